/*
 * layout.h - what a Coffer enclave contains, page by page, and so what its
 * MRENCLAVE measures. `coffer sign` computes it from the enclave image file
 * and the binary manifest; the direct platform recomputes it at every start
 * from the same two inputs and refuses to run on a mismatch; an sgx platform
 * EADDs and EEXTENDs exactly these pages (docs/manifest.md, "Identity:
 * MRENCLAVE and MRSIGNER").
 *
 *   ECREATE   SSAFRAMESIZE 1, SIZE = the manifest's enclave size
 *   offset 0  the binary manifest, read-only, zero-padded to a page
 *   next page the enclave image's PT_LOAD segments at their link offsets,
 *             with their permissions; .bss pages measured as zeros
 *   then      per thread: a TCS page and two SSA pages (read-write)
 * Every page is EADDed and all 16 of its 256-byte chunks EEXTENDed. Heap and
 * stacks are not part of the measurement: an sgx platform adds them at run
 * time (EAUG), as SGX2 allows.
 */
#ifndef COFFER_COMMON_LAYOUT_H
#define COFFER_COMMON_LAYOUT_H

#include "sgx.h"

struct layout_result {
	uint8_t mrenclave[SGX_HASH_SIZE];
	uint64_t image_offset; /* where the image starts in the enclave */
	uint64_t tcs_offset;   /* the first TCS */
	uint64_t end;          /* first byte after the measured pages */
};

/* Returns 0, or -1 with a static reason. `image` is the enclave image file
 * (an x86-64 static PIE ELF); it is parsed with bounds checks. */
int layout_measure(const uint8_t *image, size_t image_len, const uint8_t *manifest, size_t manifest_len,
		   uint64_t enclave_size, uint32_t threads, const struct sgx_sha256 *sha,
		   struct layout_result *out, const char **why);

#endif
