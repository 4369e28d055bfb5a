/*
 * path.h - lexical path normalization, the one definition for both sides:
 * the runtime's first step of every path lookup (runtime/fs/path.c) and the
 * tools' replay of it when they follow trusted symlinks at signing time
 * (tools/sign.c) or name a recorded program (tools/record.c), so that the
 * two can never disagree on what a path names.
 *
 * "." and empty components vanish, ".." removes the previous component and
 * stops at "/": a path can never name anything above the root, whatever the
 * host's directories look like. A result that does not fit is an error,
 * never a truncated path (which would name another file).
 *
 * Freestanding: no allocation, no libc beyond common/cstring.h.
 */
#ifndef COFFER_COMMON_PATH_H
#define COFFER_COMMON_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Normalize `path` (absolute, or relative to `base`, which must be absolute)
 * into out[size]. *dir is set if the path must name a directory: it ends in
 * "/", "/." or "/..". Returns 0, -ENOENT for an empty path (as Linux), or
 * -ENAMETOOLONG if the result with its terminating NUL does not fit in size
 * bytes (out is then not a path). */
int path_normalize(const char *base, const char *path, char *out, size_t size, bool *dir);

/* Is p an absolute path written canonically: no empty, "." or ".."
 * component and no trailing slash ("/" itself is)? What path_normalize
 * returns is; the manifest's paths must be. */
bool path_canonical(const char *p);

#endif
