/*
 * progsearch.h - finding the program of a run as a shell would, the one
 * definition for both sides: the hosted `coffer run` (tools/run.c) and a
 * development run started straight in the enclave image
 * (platform/direct/devrun.c), which must give the same program, the same
 * exit status and the same message for the same command line (docs/cli.md).
 *
 * A name with '/' is taken as it is (it must exist and not be a directory;
 * the runtime says why an existing file cannot run); any other name is the
 * first executable regular file of that name on PATH (an empty entry is the
 * working directory), else 126 if one was found but is not executable, else
 * 127.
 *
 * Freestanding: no allocation, no libc beyond common/cstring.h; the caller
 * gives the two questions about the file system (its libc's stat and access,
 * or raw system calls).
 */
#ifndef COFFER_COMMON_PROGSEARCH_H
#define COFFER_COMMON_PROGSEARCH_H

#include <stdbool.h>
#include <stddef.h>

/* What prog_search asks of the file system. */
struct prog_fs {
	/* st_mode of path, following symlinks, or a negative value */
	long (*mode)(const char *path);
	/* may this process execute path (access X_OK)? */
	bool (*executable)(const char *path);
};

/* prog_search's answer besides 0 and the exit statuses of common/exit.h
 * (COFFER_EXIT_NOTFOUND, COFFER_EXIT_NOEXEC): a name with '/' that is a
 * directory (exit status COFFER_EXIT_NOEXEC). */
#define PROG_ISDIR (-21)

/* Find `name` with PATH `path` (NULL: the default a shell uses) into
 * out[n]. Returns 0, COFFER_EXIT_NOTFOUND, COFFER_EXIT_NOEXEC or PROG_ISDIR.
 * A candidate that does not fit in out is skipped, never truncated. */
int prog_search(const char *name, const char *path, char *out, size_t n, const struct prog_fs *fs);

/* The message after "coffer: NAME: " for a status prog_search returned
 * ("command not found", "No such file or directory", ...); NULL for 0. */
const char *prog_search_why(const char *name, int status);

#endif
