/*
 * sim.h - sgx-sim's simulated CPU and the host side of the crossings: what
 * the untrusted half of the sgx platform calls to build an enclave in
 * ELRANGE and to enter it. On hardware the same calls become the driver's
 * ioctls and ENCLU[EENTER]; here the CPU's part is done in software:
 *
 *   ECREATE/EADD/EEXTEND/EINIT  sim_ecreate, sim_add_page, sim_einit (the
 *                  measurement replayed through common/sgx.c, the SIGSTRUCT
 *                  checked as EINIT does with common/sgx.c's sgx_einit_check)
 *   EENTER         sim_eenter (enclu.S), a host function
 *   EEXIT, ERESUME the real ENCLU instruction, which raises #UD on this CPU:
 *   EREPORT,       the SIGILL handler finds it and performs the leaf
 *   EGETKEY        (EREPORT/EGETKEY with common/sgxkeys.c, sim_set_root);
 *                  or, in the fast variant (sim_fast), EEXIT rewritten
 *                  into a jump after EINIT
 *   AEX            any other signal while a thread runs inside ELRANGE: the
 *                  handler saves the context into the SSA and returns to the
 *                  AEP with the synthetic state
 * docs/platforms.md, "sgx-sim: what is simulated and what is not", says what
 * follows hardware and what does not.
 *
 * Freestanding: raw system calls, no libc (the host binary is static, like
 * coffer-enclave); memcpy/memset come from whoever links it. One enclave per
 * process: the simulated CPU state is one global (sim.c says who writes it).
 */
#ifndef COFFER_PLATFORM_SGX_SIM_H
#define COFFER_PLATFORM_SGX_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../../common/layout.h"
#include "../../../common/sgx.h"

#include "../../../common/layout.h"

/* What ECREATE takes from the SECS. */
struct sim_secs {
	uint64_t size;          /* ELRANGE: a power of two, at least a page */
	uint32_t ssaframesize;  /* pages per SSA frame */
	uint64_t attributes;    /* ATTRIBUTES.FLAGS (MODE64BIT required) */
	uint64_t xfrm;          /* ATTRIBUTES.XFRM (x87 and SSE required) */
	uint32_t miscselect;    /* SGX_MISC_EXINFO or 0 */
};

/* Errors of the simulated leaves, returned negative. EENTER's are the #GP
 * hardware raises; SIM_EBUSY is also what a host gets for a busy TCS. */
enum sim_err {
	SIM_EINVAL = 22,   /* a bad argument (the SDM's #GP) */
	SIM_EBUSY = 16,    /* EENTER/ERESUME on a busy TCS */
	SIM_ENOSSA = 28,   /* EENTER with CSSA = NSSA, or ERESUME with CSSA 0 */
	SIM_EAGAIN = 11,   /* every TCS is taken (sim_tcs_acquire) */
	SIM_EFAULT = 14,   /* the exception could not be delivered: give up */
};

/* ECREATE: reserve ELRANGE at an address aligned to its size (PROT_NONE
 * until pages are added) and start the measurement. 0, or -1 with *why. */
int sim_ecreate(const struct sim_secs *secs, const struct sgx_sha256 *sha, uint64_t *base, const char **why);
/* EADD (+ EEXTEND when p->measure): a layout_add_fn; ctx is a
 * `const char **` for the reason of a refusal. The page is copied into
 * place and gets the permissions of its SECINFO (a TCS page gets none: the
 * simulated CPU keeps what it needs of it). 0, or -1. */
int sim_add_page(void *ctx, const struct layout_page *p);
/* EINIT: finish MRENCLAVE and check the SIGSTRUCT against it and the SECS
 * (rsa_verify: the caller's RSA-3072 verification of a SIGSTRUCT, 0 when it
 * verifies). 0, or -1 with *why. */
int sim_einit(const uint8_t sigstruct[SIGSTRUCT_SIZE], int (*rsa_verify)(const uint8_t *), const char **why);
/* MRENCLAVE after a successful sim_einit. */
const uint8_t *sim_mrenclave(void);
/* The enclave's identity as EINIT fixed it (MRENCLAVE, MRSIGNER, the
 * attributes, ISV fields): what EREPORT and EGETKEY read (common/sgx.h,
 * sgx_sim_ereport/sgx_sim_egetkey, through the leaf hook). NULL before. */
const struct sgx_enclave_identity *sim_identity(void);
/* The TCS pages added, in order of their EADD. */
unsigned sim_tcs_count(void);
uint64_t sim_tcs_addr(unsigned i);

/* What the host does with signals that are not the simulator's: it is
 * called on the signal stack with the host's %fs, for any signal that does
 * not interrupt the enclave (a fault in host code is fatal before that). */
typedef void (*sim_host_signal_fn)(int sig);

/* Install the simulator's signal handlers and remember the host binary's
 * text [text_lo, text_hi): the one range SUD lets make system calls, so
 * that a `syscall` inside ELRANGE raises SIGSYS (and becomes #UD). Every
 * signal in sigs (a 0-terminated list of asynchronous signals the host
 * wants) gets the handler too. 0, or -1 with *why. */
int sim_install(uint64_t text_lo, uint64_t text_hi, sim_host_signal_fn host_signal, const int *sigs,
		const char **why);

/* ---- host threads ---------------------------------------------------------------- */

struct sim_call;
/* The host's exception step, called at the AEP after an AEX (on the host
 * stack of the interrupted entry): it enters the enclave for exception
 * handling (CSSA 1) and returns 0 to ERESUME, or a negative error to give
 * up the interrupted ECALL. */
typedef long (*sim_aex_fn)(struct sim_call *c, int sig);

/* One per host thread that enters the enclave, made by sim_thread_init on
 * that thread: its signal stack (which the block heads, so the handler
 * finds it from its own stack pointer), SUD, the host's %fs/%gs. */
struct sim_thread {
	struct sim_thread *self;
	uint64_t host_fsbase, host_gsbase;
	struct sim_tcs *tcs;     /* the TCS this thread is inside, or NULL */
	int event_sig;           /* the signal of the last AEX */
	bool event_fault;        /* it was an exception, not a signal from outside */
	uint64_t eresume_fail;   /* set when a trapped ERESUME failed */
	uint64_t exits, aexs;    /* counters: EEXITs and AEXs on this thread */
	uint64_t fs, gs;         /* the FS/GS base loaded now (set_fs_gs skips a write of the same) */
	uint64_t fsgs_writes;    /* counters: FS/GS base writes, and signals taken by the simulator */
	uint64_t signals;
};
struct sim_thread *sim_thread_init(const char **why);
void sim_thread_fini(struct sim_thread *t);

/* One crossing: the registers the enclave gets at EENTER and leaves at
 * EEXIT (RDI/RSI/RDX: sgx_abi.h), and what to do after an AEX. */
struct sim_call {
	struct sim_thread *thread;
	uint64_t tcs;
	uint64_t rdi, rsi, rdx, r8, r9;
	uint64_t cssa;          /* set by EENTER: RAX as the enclave saw it */
	sim_aex_fn on_aex;
	void *ctx;              /* the host's, for on_aex */
};
/* ENCLU[EENTER] on c->tcs and run until the enclave's EEXIT: 0 and the
 * enclave's RDI/RSI/RDX in c; or -SIM_EBUSY/-SIM_ENOSSA/-SIM_EINVAL when
 * EENTER faults; or on_aex's error after an AEX it could not handle. */
long sim_eenter(struct sim_call *c);

/* The host's loop around one ECALL: enter with (code, ubuf, len), serve
 * OCALLs with ocall(ctx, code, untrusted_args) until the enclave returns,
 * and after an AEX enter for exception handling (RDI = the signal), serving
 * its OCALLs too, then ERESUME. 0 and the ECALL's result in *result, or a
 * negative sim_err (sim_eenter's, or -SIM_EFAULT when the enclave did not
 * handle an exception or broke the exit protocol). */
typedef long (*sim_ocall_fn)(void *ctx, long code, uint64_t untrusted_args);
long sim_ecall(struct sim_thread *t, uint64_t tcs, long code, void *ubuf, size_t len, sim_ocall_fn ocall,
	       void *ctx, long *result);

/* The host's allocation of TCSs to host threads (on hardware too): a free
 * TCS index, or -SIM_EAGAIN when every one is taken. */
int sim_tcs_acquire(void);
void sim_tcs_release(int i);

/* Cost counters of the whole process (all threads). */
struct sim_stats {
	uint64_t eenters, eexits, aexs, eresumes;
};
void sim_stats(struct sim_stats *out);

/* The simulated CPU's secrets for EREPORT and EGETKEY: the 72 bytes of the
 * root file (common/sgx.h, SGX_SIM_ROOT_FILE_SIZE; tools/simroot.c keeps
 * it) read from fd, the descriptor the launcher hands down (closed here);
 * CR_REPORT_KEYID is drawn here, once per process as a CPU does per boot.
 * aes: the AES-128 block function of the derivations (one context: the
 * simulator serialises the leaves). Without it EREPORT and EGETKEY are #GP.
 * 0, or -1 with *why. */
int sim_set_root(int fd, const struct sgx_aes128 *aes, const char **why);

/* Replaces the simulator's own EREPORT/EGETKEY (for measuring the trap
 * alone): the hook gets the leaf and RBX/RCX/RDX and returns 0 with RAX,
 * or nonzero for #GP. NULL: the simulator's leaves. */
typedef int (*sim_leaf_fn)(uint64_t leaf, uint64_t rbx, uint64_t rcx, uint64_t rdx, uint64_t *rax);
void sim_set_leaf_hook(sim_leaf_fn fn);

/* The fast variant, chosen after EINIT; the enclave's measured bytes are
 * not changed by it (docs/platforms.md, "What it costs"):
 *   SIM_FAST_TLS    FS/GS switched lazily: EEXIT and AEX leave the
 *                   enclave's loaded; EENTER and ERESUME write only a base
 *                   that differs. The host's come back in a host signal
 *                   handler, at the end of sim_ecall, and when the host
 *                   calls sim_host_tls: an OCALL server that reads %fs or
 *                   %gs (a libc's TLS, its stack protector) calls it first.
 *   SIM_FAST_EEXIT  the entry code's one EEXIT (`enclu` at eexit_off, the
 *                   offset the image exports; the 11 bytes ending there are
 *                   checked to be entry.S's EEXIT sequence) becomes
 *                   `jmp *%rbx; nop` in the simulator's copy of the page;
 *                   the host's landing (enclu.S) finishes the leaf, so an
 *                   OCALL takes no signal. Every other ENCLU still traps.
 * Host code that sim_ecall reaches (OCALL servers, an on_aex step) runs
 * with the enclave's FS/GS under SIM_FAST_TLS. Chosen after EINIT and
 * before the first EENTER. 0, or -1 with *why (the site's bytes are not
 * the EEXIT sequence, or an EENTER happened already). */
enum { SIM_FAST_TLS = 1, SIM_FAST_EEXIT = 2 };
int sim_fast(unsigned mode, uint64_t eexit_off, const char **why);
void sim_host_tls(struct sim_thread *t);

/* enclu.S */
long sim_syscall6(long nr, long a, long b, long c, long d, long e, long f);
void sim_restorer(void);

#endif
