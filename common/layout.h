/*
 * layout.h - the Coffer enclave as SGX1 hardware builds it, page by page,
 * and so what its MRENCLAVE measures (docs/platforms.md, "The enclave
 * layout"). `coffer sign` and `coffer measure` compute it from the enclave
 * image file and the binary manifest; the direct platform recomputes it at
 * every start from the same two inputs and refuses to run on a mismatch; the
 * sgx loaders (simulated and hardware) EADD exactly these pages, in this
 * order, with these SECINFOs, and EEXTEND those marked measured.
 *
 * ELRANGE (offsets from the enclave base, which the loader aligns to SIZE;
 * the part above the heap is placed from the top of ELRANGE down):
 *
 *   0            the heap: every page up to the guard below the manifest,
 *                RWX, not measured
 *                (one guard page, not added)
 *   manifest     the binary manifest, R, measured, zero-padded to a page
 *                (one guard page, not added)
 *   image        the enclave image's PT_LOAD segments at their link
 *                offsets, with their permissions, measured (.bss as zeros)
 *   per thread t, at thread0 + t * thread_stride, up to SIZE:
 *                one guard page (not added)
 *                stack    LAYOUT_STACK_PAGES, RW, not measured
 *                one guard page (not added)
 *                xstack   LAYOUT_XSTACK_PAGES: the exception entry's stack,
 *                         RW, not measured
 *                TCS      measured (OSSA, NSSA 2, OENTRY, OFS/OGSBASE)
 *                SSA      NSSA frames of SSAFRAMESIZE pages, RW, not measured
 *                block    the thread block (%gs base), RW, measured: the
 *                         words platform/sgx/sgx_abi.h marks measured
 *                         (layout_thread_block), zeros elsewhere
 *
 * Pages are added in ascending offset order, which is the order above: the
 * heap's EADD records come first after ECREATE, so that what is hashed
 * before the k-th of them depends on SIZE, SSAFRAMESIZE and k only (see
 * struct layout_midstate).
 * SGX1: all of it exists from EINIT and no permission changes afterwards.
 * Pages not measured hold whatever the host put in them: nothing reads them
 * before writing them (SSA frames are written by AEX, stacks by their
 * thread), and the runtime zeroes heap memory when it hands it out, as it
 * must anyway when it reuses memory.
 */
#ifndef COFFER_COMMON_LAYOUT_H
#define COFFER_COMMON_LAYOUT_H

#include "sgx.h"

#define LAYOUT_NSSA 2u          /* CSSA 0: normal entry; 1: exception entry */
#define LAYOUT_STACK_PAGES 64u  /* a thread's runtime stack in the enclave: 256 KiB */
#define LAYOUT_XSTACK_PAGES 16u /* its exception stack (CSSA 1 entries): 64 KiB */
#define LAYOUT_BLOCK_PAGES 1u   /* a thread block: %gs base, platform/sgx/sgx_abi.h */
#define LAYOUT_MAX_SSA_PAGES 16u

/* The sgx entry point of an enclave image: an ELF note in a PT_NOTE segment,
 * name "Coffer", type LAYOUT_NOTE_SGX_ENTRY, 8 bytes of description: the
 * entry point's link-time address minus the description's own, as a signed
 * little-endian 64-bit number (`.quad sgx_entry - .`, which the linker
 * resolves with no dynamic relocation). */
#define LAYOUT_NOTE_NAME "Coffer"
#define LAYOUT_NOTE_SGX_ENTRY 0x53475831u /* "SGX1" */
/* A second note of the same shape, type LAYOUT_NOTE_SGX_EEXIT: the entry
 * code's one EEXIT instruction, which sgx-sim's fast variant rewrites
 * (platform/sgx/host/sim.h, sim_fast). Optional; not part of any page. */
#define LAYOUT_NOTE_SGX_EEXIT 0x53475845u /* "SGXE" */

#define LAYOUT_HEAP_SECINFO (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X)

/* The SHA-256 state after ECREATE(ssaframesize, size) and the EADD records
 * of heap pages 0 to pages-1: a function of these three numbers only, so a
 * table of them computed at build time (the direct platform's, built into
 * the enclave image, tools/gen_midstates.c) lets a start-up verification
 * skip hashing millions of identical-but-for-the-offset records without
 * trusting anything it did not compute from the same input. */
struct layout_midstate {
	uint64_t size;
	uint32_t ssaframesize;
	uint32_t pages;
	uint32_t h[8];
};

struct layout_page {
	uint64_t offset;     /* from the enclave base (ELRANGE start), page aligned */
	uint64_t secinfo;    /* SECINFO.FLAGS: R/W/X and page type (REG or TCS) */
	const uint8_t *data; /* 4096 bytes to add, or NULL for a page of zeros */
	bool measure;        /* EEXTEND all 16 256-byte chunks after the EADD */
};

/* Called once per page, in order; p->data is valid only during the call
 * (copy it: EADD does). A non-zero return stops the calls, and
 * layout_build then returns -1 with "the loader refused a page". */
typedef int (*layout_add_fn)(void *ctx, const struct layout_page *p);

struct layout_params {
	const uint8_t *image;    /* the enclave image file (x86-64 static PIE) */
	size_t image_len;
	const uint8_t *manifest; /* the binary manifest, as signed */
	size_t manifest_len;
	uint64_t size;           /* SECS.SIZE: ELRANGE, a power of two */
	uint32_t threads;        /* one TCS each, 1 to 4096 */
	uint64_t attributes;     /* SECS.ATTRIBUTES.FLAGS: MODE64BIT, DEBUG... (not measured) */
	uint64_t xfrm;           /* SECS.ATTRIBUTES.XFRM (not measured; sizes the SSA) */
	uint32_t miscselect;     /* SECS.MISCSELECT (not measured; sizes the SSA) */
	uint32_t ssaframesize;   /* SECS.SSAFRAMESIZE in pages; 0: layout_ssa_pages() */
	bool sgx_entry;          /* the image must have the sgx entry note */
	const struct sgx_sha256 *sha;
	/* optional, used only if sha->resume exists: trusted precomputed states */
	const struct layout_midstate *midstates;
	size_t nmidstates;
};

/* Where thread t's pages are (offsets from the enclave base). */
struct layout_thread {
	uint64_t stack;      /* lowest stack page; the stack's top is the guard below xstack */
	uint64_t xstack;     /* lowest exception stack page; its top is tcs */
	uint64_t tcs;
	uint64_t ssa;        /* OSSA: frame i at ssa + i * ssaframesize pages */
	uint64_t block;      /* the thread block: OFSBASE and OGSBASE */
};

struct layout_result {
	uint8_t mrenclave[SGX_HASH_SIZE];
	/* SECS */
	uint64_t size;
	uint32_t ssaframesize;
	uint64_t attributes, xfrm;
	uint32_t miscselect;
	/* regions */
	uint64_t manifest_offset, manifest_size; /* size in bytes, page multiple */
	uint64_t image_offset, image_size;
	uint64_t entry;                          /* OENTRY */
	bool entry_from_note;                    /* false: the ELF's e_entry */
	uint64_t eexit;                          /* the EEXIT note's target, or 0 */
	uint32_t threads;
	uint64_t thread0, thread_stride;         /* per-thread regions, guard first, up to size */
	uint64_t heap_offset, heap_size;
	uint64_t pages, measured_pages;          /* EADDs, and of them EEXTENDed */
};

/* Compute the ECREATE record and every page, call add() for each (add may
 * be NULL: measure only), and fill *out. Returns 0, or -1 with a static
 * reason in *why naming the input at fault. */
int layout_build(const struct layout_params *p, layout_add_fn add, void *ctx, struct layout_result *out,
		 const char **why);

/* Thread t's offsets (t < r->threads). */
void layout_thread(const struct layout_result *r, uint32_t t, struct layout_thread *out);

/* The measured contents of thread t's block (one page, zeros but for the
 * words platform/sgx/sgx_abi.h lists as measured: the block's, TCS's, SSA
 * frames' and stacks' offsets, the SSA frame and ELRANGE sizes), which the
 * sgx entry code reads at its first entry on the thread. The one place
 * these words are written: layout_build, and the sgx-sim test enclave's
 * own layout (tests/sgxsim/tlayout.c) through layout_tb_fill. */
struct layout_tb {
	uint64_t self, tcs, stack_top, xstack_top, ssa, ssa_size, enclave_size;
};
void layout_tb_fill(uint8_t page[SGX_PAGE_SIZE], const struct layout_tb *tb);
void layout_thread_block(const struct layout_result *r, uint32_t t, uint8_t page[SGX_PAGE_SIZE]);

/* Fill the SECS inputs of *p from a validated manifest's CONFIG: size,
 * threads, ATTRIBUTES (MODE64BIT, DEBUG as asked), XFRM (x87|SSE plus
 * enclave.xsave), MISCSELECT (EXINFO if asked), ssaframesize 0. The caller
 * sets image, manifest, sha and sgx_entry. */
struct man_config;
void layout_params_from_config(struct layout_params *p, const struct man_config *c);

/* The XSAVE area XFRM needs in the architectural non-compacted format (SDM
 * vol. 1, 13.4-13.5: the offsets Intel CPUs enumerate in CPUID leaf 0xD),
 * and the SSA frame size in pages that ECREATE requires for XFRM and
 * MISCSELECT: XSAVE area + MISC regions + GPRSGX, rounded up. 0 if xfrm or
 * miscselect is invalid. */
uint32_t layout_xsave_size(uint64_t xfrm);
uint32_t layout_ssa_pages(uint64_t xfrm, uint32_t miscselect);

/* Check an SSA frame size against a CPU's CPUID leaf 0xD (for the loaders,
 * before ECREATE): every XFRM feature must be supported (sub-leaf 0 EDX:EAX),
 * and the frame must hold the XSAVE area at the offsets and sizes the CPU
 * reports (sub-leaf i: EAX size, EBX offset), plus MISC and GPRSGX. cpuid
 * NULL: this machine's CPUID instruction; else cpuid(ctx, ...) (the
 * hardware path's ops->cpuid). The one SSA check of every loader: sgx-sim's
 * (platform/sgx/host/simload.c) and the driver path's (driver.c). Returns
 * 0, or -1 with a static reason. */
typedef void (*layout_cpuid_fn)(void *ctx, uint32_t leaf, uint32_t sub, uint32_t r[4]);
int layout_ssa_check_cpu(uint64_t xfrm, uint32_t miscselect, uint32_t ssaframesize, layout_cpuid_fn cpuid,
			 void *ctx, const char **why);

#endif
