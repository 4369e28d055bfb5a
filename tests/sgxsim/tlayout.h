/*
 * tlayout.h - the page list of the sgx-sim test enclave: a stand-in for the
 * layout the layout branch builds for the runtime (common/layout.h), small
 * enough to read at a glance. The test enclave is a flat image (objcopy -O
 * binary of a static, position-independent link) that starts with struct
 * tl_head; both the signer (mksig.c) and the test host (host.c) walk the
 * same list, so the MRENCLAVE the host's EINIT computes must be the one the
 * SIGSTRUCT carries.
 *
 *   [0, image)        the image, RWX, measured (its .bss as zeros)
 *   image             one read-only page: the test's page fault
 *   per thread, 12 pages: TCS, SSA frame 0, SSA frame 1, thread block
 *                     (%gs, the measured fields of sgx_abi.h), guard (not
 *                     added), 4 stack pages, guard, 2 exception-stack pages
 */
#ifndef COFFER_TESTS_SGXSIM_TLAYOUT_H
#define COFFER_TESTS_SGXSIM_TLAYOUT_H

#include "../../platform/sgx/host/sim.h"

#define TL_MAGIC "CFSIMENC"
#define TL_THREAD_PAGES 12

struct tl_head {
	char magic[8];
	uint64_t entry;      /* OENTRY: offset of sgx_entry */
	uint64_t image_size; /* with .bss */
	uint64_t eexit;      /* the entry code's EEXIT `enclu` (sgx_eexit_enclu) */
};

struct tl_result {
	uint64_t size;            /* ELRANGE */
	uint64_t ro_off;          /* the read-only page */
	uint64_t threads_off;     /* thread i's TCS: threads_off + i * TL_THREAD_PAGES pages */
	unsigned threads;
};

/* Check the image and compute the sizes. 0, or -1 with *why. */
int tl_plan(const uint8_t *img, size_t len, unsigned threads, struct tl_result *out, const char **why);
/* Call add(ctx, page) for every page in EADD order. 0, or add's error. */
int tl_build(const uint8_t *img, size_t len, const struct tl_result *r, layout_add_fn add, void *ctx);

#endif
