/*
 * boot.h - what boot.c establishes for the rest of the runtime: the
 * enclave's signed manifest and SIGSTRUCT (read-only after boot) and the
 * boot block's flags.
 */
#ifndef COFFER_RT_BOOT_H
#define COFFER_RT_BOOT_H

#include "../../common/manifest.h"
#include "../lib/rt.h"

extern uint32_t rt_boot_flags;       /* BB_F_* of this enclave */
extern struct manifest rt_manifest;  /* .raw is NULL in a development run */
extern const uint8_t *rt_sigstruct;  /* NULL in a development run */

/* A signed enclave (a bundle), as opposed to a development run. */
static inline bool rt_signed(void)
{
	return rt_manifest.raw != NULL;
}

#endif
