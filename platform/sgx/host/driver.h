/*
 * driver.h - building and entering an enclave on SGX hardware through the
 * Linux in-kernel SGX driver (Linux 5.11 and later, /dev/sgx_enclave).
 *
 * The sequence (docs/platforms.md, "Review of the hardware path against the
 * SDM and the kernel documentation", walks through it step by step):
 *
 *   sgxhw_check_cpu   CPUID: SGX, flexible launch control, SGX2, and the
 *                     MISCSELECT/ATTRIBUTES/XFRM bits the CPU accepts
 *   sgxhw_open        open /dev/sgx_enclave; refuse a /dev mounted noexec
 *   sgxhw_build       reserve ELRANGE aligned to its size, ENCLAVE_CREATE
 *                     with the SECS, ENCLAVE_ADD_PAGES for every page of the
 *                     layout (in its order: that order is the MRENCLAVE),
 *                     ENCLAVE_INIT with the SIGSTRUCT, then map each run of
 *                     pages from the enclave fd with its permissions
 *   sgxhw_find_enter  __vdso_sgx_enter_enclave in the vDSO
 *   sgxhw_enter       EENTER or ERESUME through it (enter.S)
 *
 * Every step returns 0 or a negative errno value with a static one-line
 * reason in *why; the caller prints the reason and exits
 * COFFER_EXIT_ENCLAVE (125, common/exit.h). Nothing here falls back to
 * anything: the sgx platform is hardware only.
 *
 * All contact with the host (open, ioctl, mmap, munmap, close, cpuid, the
 * vDSO image) goes through struct sgxhw_ops, so the unit test
 * (tests/unit/test_sgx_driver.c) drives this code against a fake driver;
 * sgxhw_linux_ops (linux.c) is the real one, raw system calls.
 *
 * Freestanding: no libc, no allocation beyond the anonymous mappings made
 * through the ops; linked into the sgx host binary (platform/sgx/host/).
 */
#ifndef COFFER_SGX_HOST_DRIVER_H
#define COFFER_SGX_HOST_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../../common/layout.h"
#include "../../../common/sgx.h"

/* ---- the kernel's interface, written out (arch/x86/include/uapi/asm/sgx.h) */

/* SGX_IOC_* = _IOC(dir, 0xA4, nr, size): dir << 30 | size << 16 | 0xA4 << 8 | nr,
 * with dir 1 (_IOW, user to kernel) or 3 (_IOWR: ADD_PAGES writes back count). */
#define SGXHW_IOC(dir, nr, size) ((unsigned long)(dir) << 30 | (unsigned long)(size) << 16 | 0xA4ul << 8 | (nr))

struct sgxhw_enclave_create {
	uint64_t src; /* the SECS page (4096 bytes) */
};

#define SGXHW_PAGE_MEASURE 0x01 /* EEXTEND the whole page after the EADD */

struct sgxhw_enclave_add_pages {
	uint64_t src;     /* page-aligned source, `length` bytes */
	uint64_t offset;  /* from the enclave base, page aligned */
	uint64_t length;  /* a multiple of the page size */
	uint64_t secinfo; /* address of a 64-byte SECINFO */
	uint64_t flags;   /* SGXHW_PAGE_MEASURE */
	uint64_t count;   /* out: bytes added (a multiple of the page size) */
};

struct sgxhw_enclave_init {
	uint64_t sigstruct; /* address of the 1808-byte SIGSTRUCT */
};

#define SGXHW_IOC_ENCLAVE_CREATE SGXHW_IOC(1, 0x00, sizeof(struct sgxhw_enclave_create))
#define SGXHW_IOC_ENCLAVE_ADD_PAGES SGXHW_IOC(3, 0x01, sizeof(struct sgxhw_enclave_add_pages))
#define SGXHW_IOC_ENCLAVE_INIT SGXHW_IOC(1, 0x02, sizeof(struct sgxhw_enclave_init))

/* The vDSO entry's context (uapi struct sgx_enclave_run). */
struct sgxhw_run {
	uint64_t tcs;                  /* TCS to enter on */
	uint32_t function;             /* out: the last ENCLU leaf: EEXIT, or EENTER/ERESUME on an exception */
	uint16_t exception_vector;     /* out, on an exception */
	uint16_t exception_error_code; /* out, on an exception */
	uint64_t exception_addr;       /* out, on an exception (#PF: the address) */
	uint64_t user_handler;         /* exit handler, or 0 */
	uint64_t user_data;            /* for the handler */
	uint8_t reserved[216];         /* must be zero: the vDSO checks */
};

_Static_assert(sizeof(struct sgxhw_enclave_create) == 8, "uapi sgx_enclave_create");
_Static_assert(sizeof(struct sgxhw_enclave_add_pages) == 48, "uapi sgx_enclave_add_pages");
_Static_assert(sizeof(struct sgxhw_enclave_init) == 8, "uapi sgx_enclave_init");
_Static_assert(sizeof(struct sgxhw_run) == 256, "uapi sgx_enclave_run");
_Static_assert(offsetof(struct sgxhw_run, function) == 8 && offsetof(struct sgxhw_run, exception_vector) == 12 &&
		       offsetof(struct sgxhw_run, exception_error_code) == 14 &&
		       offsetof(struct sgxhw_run, exception_addr) == 16 &&
		       offsetof(struct sgxhw_run, user_handler) == 24 && offsetof(struct sgxhw_run, user_data) == 32,
	       "uapi sgx_enclave_run offsets (vsgx.S uses them)");

/* ENCLU leaf numbers, as run.function and as the entry's `function`:
 * ENCLU_EENTER, ENCLU_ERESUME, ENCLU_EEXIT of common/sgx_arch.h. */

/* Exit handler, called by the vDSO after every exit (EEXIT or exception)
 * with the registers of the exit (rdi..r9 undefined after an exception).
 * Returns <= 0 to return that from the entry, or EENTER/ERESUME to enter
 * again at once. */
typedef int (*sgxhw_exit_handler)(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
				  struct sgxhw_run *run);

/* ---- the page list (common/layout.h, layout branch) ------------------------ */

/* struct layout_page and layout_add_fn: common/layout.h. */

/* Calls add(add_ctx, page) for every page of the enclave in the one fixed
 * order of the EADDs (in production: layout_build). Returns 0, the first
 * non-zero value add() returned, or another negative value with *why. */
typedef int (*sgxhw_walk_fn)(void *ctx, layout_add_fn add, void *add_ctx, const char **why);

/* ---- the host, as an ops table ------------------------------------------------ */

struct sgxhw_ops {
	void *ctx;
	/* System calls: the result, or a negative errno value. */
	long (*open)(void *ctx, const char *path, int flags);
	long (*ioctl)(void *ctx, int fd, unsigned long cmd, void *arg);
	long (*mmap)(void *ctx, uintptr_t addr, size_t len, int prot, int flags, int fd, long off);
	long (*munmap)(void *ctx, uintptr_t addr, size_t len);
	long (*close)(void *ctx, int fd);
	void (*cpuid)(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t out[4]); /* eax, ebx, ecx, edx */
	uint64_t (*xgetbv0)(void *ctx); /* XCR0; called only when CPUID says OSXSAVE */
	const uint8_t *vdso; /* the vDSO's ELF header (auxv AT_SYSINFO_EHDR), or NULL */
};

/* Raw Linux system calls and the CPUID instruction (linux.c); .vdso is set
 * by the caller (sgxhw_auxv_vdso). */
extern const struct sgxhw_ops sgxhw_linux_ops;

/* AT_SYSINFO_EHDR from the auxiliary vector (pairs ending with AT_NULL). */
const uint8_t *sgxhw_auxv_vdso(const uint64_t *auxv);

/* ---- the CPU ------------------------------------------------------------------- */

struct sgxhw_cpu {
	uint32_t misc_valid;    /* CPUID.(12H,0):EBX, MISCSELECT bits ECREATE accepts */
	uint64_t attr_valid;    /* CPUID.(12H,1):EBX:EAX, ATTRIBUTES bits */
	uint64_t xfrm_valid;    /* CPUID.(12H,1):EDX:ECX, XFRM bits */
	unsigned max_size_log2; /* CPUID.(12H,0):EDX[15:8], largest enclave in 64-bit mode */
	uint64_t xcr0;          /* XSAVE features the kernel enabled (3 without OSXSAVE) */
};

/* SGX, SGX_LC (flexible launch control) and SGX2, or -ENODEV and why.
 * Call it before sgxhw_open: without FLC the kernel creates no
 * /dev/sgx_enclave, and this names the cause rather than the symptom. */
int sgxhw_check_cpu(const struct sgxhw_ops *ops, struct sgxhw_cpu *cpu, const char **why);

/* ---- building ------------------------------------------------------------------ */

struct sgxhw_params {
	uint64_t size;         /* ELRANGE: a power of two, at least two pages */
	uint32_t ssaframesize; /* in pages */
	uint32_t miscselect;
	uint64_t attributes; /* SECS.ATTRIBUTES.FLAGS; MODE64BIT required, INIT clear */
	uint64_t xfrm;
	const uint8_t *sigstruct; /* SIGSTRUCT_SIZE bytes */
	sgxhw_walk_fn walk;       /* the pages */
	void *walk_ctx;
	/* Optional: replay the adds into a measurement, so that a refusal by
	 * EINIT can be explained (the in-kernel driver only says EPERM). */
	const struct sgx_sha256 *sha;
};

/* Pages per ADD_PAGES call at most (and the size of the staging buffer). */
#define SGXHW_BATCH_PAGES 256u

struct sgxhw_enclave {
	const struct sgxhw_ops *ops;
	int fd;
	uint64_t base, size; /* ELRANGE */
	uint64_t pages;      /* pages added */
	uint64_t ioctls;     /* ADD_PAGES calls made */
	uint8_t mrenclave[SGX_HASH_SIZE]; /* replayed, when params.sha was given */
	bool measured;
};

/* Open /dev/sgx_enclave read-write. -ENOENT, -EACCES... with why. */
int sgxhw_open(const struct sgxhw_ops *ops, struct sgxhw_enclave *e, const char **why);

/* Build, initialise and map the enclave (e opened by sgxhw_open). On
 * failure everything is undone (ELRANGE unmapped, fd closed). */
int sgxhw_build(struct sgxhw_enclave *e, const struct sgxhw_cpu *cpu, const struct sgxhw_params *p,
		const char **why);

/* Unmap ELRANGE and close the enclave fd (the kernel then EREMOVEs it). */
void sgxhw_destroy(struct sgxhw_enclave *e);

/* The SECS page for ECREATE (SDM 38.7); out is 4096 bytes. */
void sgxhw_secs(uint8_t out[SGX_PAGE_SIZE], uint64_t base, const struct sgxhw_params *p);

/* The sentence for an SGX error code from ENCLS[EINIT] (SDM, "Error or
 * Information Codes for Intel SGX Instructions"). */
const char *sgxhw_einit_reason(long code);

/* ---- entering ------------------------------------------------------------------ */

typedef int (*sgxhw_vdso_enter_fn)(unsigned long rdi, unsigned long rsi, unsigned long rdx, unsigned int function,
				   unsigned long r8, unsigned long r9, struct sgxhw_run *run);

/* Find `name` among the dynamic symbols of the ELF image at `image`, whose
 * length is `len`; every table is bounds-checked against len. Returns the
 * symbol's offset from the image start (> 0), or 0 with why. */
uint64_t sgxhw_elf_symbol(const uint8_t *image, size_t len, const char *name, const char **why);

/* The length of the loaded vDSO image at `vdso`, from its own headers (the
 * end of its last PT_LOAD), or 0 if they are not sane. */
size_t sgxhw_vdso_len(const uint8_t *vdso);

/* __vdso_sgx_enter_enclave of ops->vdso, or NULL with why. */
sgxhw_vdso_enter_fn sgxhw_find_enter(const struct sgxhw_ops *ops, const char **why);

/* Registers passed to the enclave on entry (all others but RAX/RBX/RCX, which
 * ENCLU takes, are whatever enter.S leaves in them). */
struct sgxhw_regs {
	uint64_t rdi, rsi, rdx, r8, r9;
};

/* EENTER or ERESUME (function) on run->tcs through the vDSO's entry `fn`.
 * Saves and restores everything the C ABI wants kept across a call, since
 * an exit may leave any register changed (an AEX zeroes them): rbx, rbp,
 * r12-r15, MXCSR and the x87 control word; clears DF. Returns the vDSO's
 * result: 0 (run->function says how the enclave left), -EINVAL, or the
 * handler's value. enter.S. */
int sgxhw_enter(sgxhw_vdso_enter_fn fn, struct sgxhw_run *run, uint32_t function, const struct sgxhw_regs *in);

#endif
