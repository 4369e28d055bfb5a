/*
 * direct.h - internals of the direct platform (plain Linux, simulated CPU).
 * Not for the runtime: it sees only platform.h.
 */
#ifndef COFFER_DIRECT_H
#define COFFER_DIRECT_H

#include <asm/unistd_64.h>
#include <linux/mman.h>

#include "../platform.h"

long direct_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
long direct_syscall_cp(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
long direct_clone(unsigned long flags, void *stack, int *ptid, volatile int *ctid, unsigned long tls);
__attribute__((noreturn)) void direct_load_context(struct kucontext *uc);
__attribute__((noreturn)) void direct_exit_thread(int code);

void direct_sigsys_entry(void);
void direct_signal_entry(void);
void direct_sigreturn(void);

void direct_fast_entry(void);

/* devrun.c: the boot block of `coffer run -- PROGRAM` from this process's
 * arguments, environment and state. Returns -EINVAL if the command line is
 * not a plain development run (common/devrun.h); exits with coffer's
 * status and message if the program cannot be run. */
/* coffer's first step (devrun.c): returns with *bi filled for a plain
 * development run; becomes coffer-launcher for any other command line. */
void direct_front(int argc, char **argv, char **envp, struct plat_boot_info *bi);

/* Labels inside entry.S. */
extern const char direct_cp_begin[], direct_cp_end[], direct_cp_cancel[];
extern const char direct_exitwin_begin[], direct_exitwin_syscall[];
extern const char direct_fexit_begin[], direct_fexit_last[];

/* patch.c: the fast path's side of host signal handling. A signal that
 * lands on the last instruction of the fast exit, or on the resume stub,
 * interrupted the application: these put the application's real state into
 * `uc` and return true. */
bool direct_fast_signal_fixup(struct kucontext *uc);
/* The trap at the resume stub: true if `uc` was it (now fixed up). */
bool direct_fast_resume(struct kucontext *uc);
/* Patched sites of the second form move a return address: every return to
 * the application passes its context through this first. */
void direct_fix_return(struct kucontext *uc);
/* The platform's own stop-the-world signal (patch.c), DIRECT_STW_SIG: true
 * if it was one (handled). */
bool direct_stw_signal(const struct ksiginfo *info, struct kucontext *uc, bool in_runtime);
/* SIGBUS: it must be one the host mask never blocks (plat_sig_reserved), and
 * not SIGSYS, the signal of a trap. A standard signal does not queue: while
 * one SIGSYS is pending the kernel drops the next, and Syscall User Dispatch
 * skips the call it dispatches all the same, so a trap that met a pending
 * stop-the-world SIGSYS would come back from a call never made, with %rax
 * holding the call number. A dropped SIGBUS raised by a fault costs nothing:
 * the faulting instruction runs again. */
#define DIRECT_STW_SIG K_SIGBUS
/* plat_tls.plat_private[DIRECT_PRIV_STW]: that signal ended a host call. */
#define DIRECT_PRIV_STW 6
/* plat_tls.plat_private[DIRECT_PRIV_SCRATCH]: the thread's untrusted
 * scratch (host.c), address | log2 of its size, 0 before first use. */
#define DIRECT_PRIV_SCRATCH 7

/* fault.c: a lying host for tests (COFFER_FAULT, docs/platforms.md). 0 for
 * an honest host, else which lie; set by direct_start from --fault=NAME. */
extern int direct_fault;
/* Parse NAME; false if it names no lie. */
bool direct_fault_set(const char *name);
/* "--fault=NAME" for the next image, or NULL (the end of its argv). */
const char *direct_fault_arg(void);
/* The host's answer to forwarded call nr after it made it (result r),
 * bent as the lie says; `now`: made by plat_forward_now. */
long direct_lie(long nr, const long a[6], long r, bool now);

/* patch.c keeps a copy of the executable mappings, good while
 * direct_maps_gen stays as it was; every host call that may change or
 * replace an existing mapping bumps it when it returns (direct_maps_call).
 * A call that only adds a mapping does not: a site in a mapping the copy
 * lacks makes patch.c read the listing again. The heap's end (brk) moves
 * over pages that no trap can come from: new ones are not executable, and
 * freed ones return only through a mapping call. */
extern uint64_t direct_maps_gen;

static inline bool direct_changes_maps(long nr, long flags)
{
	switch (nr) {
	case __NR_mmap:
		return flags & MAP_FIXED;
	case __NR_munmap:
	case __NR_mprotect:
	case __NR_mremap:
	case __NR_shmat:
	case __NR_shmdt:
	case __NR_pkey_mprotect:
	case __NR_remap_file_pages:
		return true;
	default:
		return false;
	}
}

/* After host call nr (mmap's flags in `flags`). */
static inline void direct_maps_call(long nr, long flags)
{
	if (RT_UNLIKELY(direct_changes_maps(nr, flags)))
		__atomic_add_fetch(&direct_maps_gen, 1, __ATOMIC_RELEASE);
}

/* Around a host fork: no patch may be half done in the child. */
void direct_patch_lock(void);
void direct_patch_unlock(void);
/* patch.c: before a host clone that shares memory (a thread, a vfork
 * child); in a forked child, which has its own. */
void direct_patch_sharing(void);
void direct_patch_forked(void);

#define sys0(n) direct_syscall6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) direct_syscall6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) direct_syscall6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) direct_syscall6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) direct_syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(n, a, b, c, d, e) \
	direct_syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define sys6(n, a, b, c, d, e, f) \
	direct_syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Facts about the image, filled in by direct_start. */
extern uintptr_t direct_text_lo, direct_text_hi;
extern uintptr_t direct_image_lo;

/* Write a short message to host stderr before the runtime's log works. */
void direct_early_error(const char *msg);

/* A signed bundle: give up the host capabilities a container would not
 * have (caps.c). 0, or -1 with the reason in why. */
int direct_limit_caps(char *why, size_t whylen);

#endif
