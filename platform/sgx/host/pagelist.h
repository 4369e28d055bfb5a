/*
 * pagelist.h - the layout branch's page-list callback (docs: sgx-plan, "The
 * page list API"), which the hardware path (driver.c) and the simulator
 * (sim.c) both consume; declared here, once, until common/layout.h has it.
 */
#ifndef COFFER_PLATFORM_SGX_PAGELIST_H
#define COFFER_PLATFORM_SGX_PAGELIST_H

#include <stdbool.h>
#include <stdint.h>

#ifndef COFFER_LAYOUT_PAGE_DEFINED
#define COFFER_LAYOUT_PAGE_DEFINED
struct layout_page {
	uint64_t offset;     /* from the enclave base (ELRANGE start), page aligned */
	uint64_t secinfo;    /* SECINFO.FLAGS: R/W/X and page type (REG or TCS) */
	const uint8_t *data; /* 4096 bytes to add, or NULL for a page of zeros */
	bool measure;        /* EEXTEND all 16 256-byte chunks after the EADD */
};
typedef int (*layout_add_fn)(void *ctx, const struct layout_page *p);
#endif

#endif
