/*
 * midstates.h - the direct platform's table of SHA-256 states after ECREATE
 * and the first k heap EADD records (gen_midstates.c says why and how it is
 * made; common/layout.h, struct layout_midstate). verify.c gives it to
 * layout_build().
 *
 * Covered: SIZE from 32 MiB to 16 GiB, SSAFRAMESIZE 1 (x87/SSE, AVX,
 * AVX-512, PKRU) and 3 (AMX), k every MIDSTATE_STEP pages and every
 * MIDSTATE_FINE pages in the last MIDSTATE_STEP pages of ELRANGE. Other
 * enclaves are measured in full (a 32 GiB enclave: about 1 s).
 */
#ifndef COFFER_DIRECT_MIDSTATES_H
#define COFFER_DIRECT_MIDSTATES_H

#include "../../common/layout.h"

#define MIDSTATE_MIN_SIZE (32ULL << 20)
#define MIDSTATE_MAX_SIZE (16ULL << 30)
#define MIDSTATE_STEP 65536u /* pages: 256 MiB of heap, 4 MiB of records */
#define MIDSTATE_FINE 1024u  /* in the last STEP pages: 4 MiB of heap, 64 KiB of records */
#define MIDSTATE_SSA_PAGES 1, 3

extern const struct layout_midstate direct_midstates[];
extern const size_t direct_nmidstates;

#endif
