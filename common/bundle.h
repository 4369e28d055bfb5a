/*
 * bundle.h - the signed bundle (`app.coffer`): one file that carries the
 * binary manifest and its SIGSTRUCT.
 *
 *   magic "COFFBNDL", u32 version 1, u32 manifest offset, u32 manifest size,
 *   u32 SIGSTRUCT offset, u32 SIGSTRUCT size (1808), u32 zero   (32 bytes)
 *   the manifest, then the SIGSTRUCT, each where the header says
 *
 * The enclave image is not in the bundle: it is part of what the SIGSTRUCT
 * measures (MRENCLAVE covers image + manifest), so a bundle runs only with the
 * coffer-enclave it was signed for. Freestanding, bounds-checked.
 */
#ifndef COFFER_COMMON_BUNDLE_H
#define COFFER_COMMON_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#define BUNDLE_MAGIC "COFFBNDL"
#define BUNDLE_VERSION 1
#define BUNDLE_HEADER_SIZE 32u

struct bundle {
	const uint8_t *manifest;
	size_t manifest_len;
	const uint8_t *sigstruct; /* SIGSTRUCT_SIZE bytes */
};

/* Returns 0, or -1 with a static reason. */
int bundle_parse(const uint8_t *raw, size_t len, struct bundle *out, const char **why);
/* Header for a bundle of a manifest of man_len bytes (manifest at 32,
 * SIGSTRUCT right after it). */
void bundle_header(uint8_t hdr[BUNDLE_HEADER_SIZE], size_t man_len);

#endif
