/*
 * abi.h - the x86-64 Linux user ABI that the runtime and every platform share.
 *
 * The application is an unmodified Linux program, so the runtime must produce
 * and consume the exact structures the kernel would: the signal frame
 * (ucontext, sigcontext, siginfo, the XSAVE area), sigaction, stack_t. They
 * are written out here rather than taken from <asm/...> because those headers
 * clash with each other and with libc's names; the layouts are fixed by the
 * kernel ABI (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h, siginfo.h).
 * Constants (errno, O_*, MAP_*, CLONE_*, AT_*) do come from the UAPI headers.
 */
#ifndef COFFER_PLATFORM_ABI_H
#define COFFER_PLATFORM_ABI_H

#include <stddef.h>
#include <stdint.h>

#define K_NSIG 64

/* stack_t */
struct kstack {
	uintptr_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

/* struct sigcontext (64-bit); glibc's gregs[] index the first 23 words. */
struct ksigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
	uint64_t rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* address of the XSAVE area, or 0 */
	uint64_t reserved1[8];
};

/* struct ucontext as the kernel lays it out in a signal frame. */
struct kucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct kstack uc_stack;
	struct ksigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

/* siginfo_t: 128 bytes; only the fields the runtime reads are named. */
struct ksiginfo {
	int32_t si_signo;
	int32_t si_errno;
	int32_t si_code;
	int32_t pad0;
	union {
		struct { /* kill, tkill, sigqueue */
			int32_t pid;
			uint32_t uid;
			uint64_t value;
		} kill;
		struct { /* SIGSEGV, SIGBUS, SIGILL, SIGFPE */
			uint64_t addr;
		} fault;
		struct { /* SIGSYS */
			uint64_t call_addr;
			int32_t syscall;
			uint32_t arch;
		} sys;
		uint8_t raw[112];
	} u;
};

/* The kernel's struct sigaction for rt_sigaction (sigsetsize 8). */
struct ksigaction {
	uint64_t handler; /* or SIG_DFL (0) / SIG_IGN (1) */
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

#define K_SIG_DFL 0UL
#define K_SIG_IGN 1UL

/* The signal frame the kernel builds on x86-64 (arch/x86/kernel/signal_64.c):
 * the handler starts with %rsp at `pretcode` and the XSAVE area follows,
 * 64-byte aligned, somewhere above. */
struct krt_sigframe {
	uint64_t pretcode;
	struct kucontext uc;
	struct ksiginfo info;
};

/* The trailer of the 512-byte FXSAVE part of an XSAVE area in a signal frame
 * (struct _fpx_sw_bytes at byte 464). */
struct kfpx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size; /* xstate_size + 4 for magic2 */
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define FXSAVE_SIZE 512
#define FPX_SW_OFFSET 464

/* EFLAGS bits user code may set through sigreturn (arch/x86 FIX_EFLAGS). */
#define K_EFLAGS_FIX 0x40dd5UL /* AC|OF|DF|TF|SF|ZF|AF|PF|CF|RF */
#define K_EFLAGS_TF 0x100UL
#define K_EFLAGS_DF 0x400UL
#define K_EFLAGS_RF 0x10000UL

/* si_code values the runtime distinguishes. */
#define K_SI_USER 0
#define K_SI_KERNEL 0x80
#define K_SI_QUEUE (-1)
#define K_SI_TKILL (-6)
#define K_SYS_USER_DISPATCH 2

/* sigaction flags */
#define K_SA_NOCLDSTOP 0x00000001UL
#define K_SA_NOCLDWAIT 0x00000002UL
#define K_SA_SIGINFO 0x00000004UL
#define K_SA_RESTORER 0x04000000UL
#define K_SA_ONSTACK 0x08000000UL
#define K_SA_RESTART 0x10000000UL
#define K_SA_NODEFER 0x40000000UL
#define K_SA_RESETHAND 0x80000000UL

#define K_SS_ONSTACK 1
#define K_SS_DISABLE 2
#define K_SS_AUTODISARM (1U << 31)

#define K_SIG_BLOCK 0
#define K_SIG_UNBLOCK 1
#define K_SIG_SETMASK 2

/* Signal numbers (asm/signal.h) */
#define K_SIGHUP 1
#define K_SIGINT 2
#define K_SIGQUIT 3
#define K_SIGILL 4
#define K_SIGTRAP 5
#define K_SIGABRT 6
#define K_SIGBUS 7
#define K_SIGFPE 8
#define K_SIGKILL 9
#define K_SIGUSR1 10
#define K_SIGSEGV 11
#define K_SIGUSR2 12
#define K_SIGPIPE 13
#define K_SIGALRM 14
#define K_SIGTERM 15
#define K_SIGSTKFLT 16
#define K_SIGCHLD 17
#define K_SIGCONT 18
#define K_SIGSTOP 19
#define K_SIGTSTP 20
#define K_SIGTTIN 21
#define K_SIGTTOU 22
#define K_SIGURG 23
#define K_SIGXCPU 24
#define K_SIGXFSZ 25
#define K_SIGVTALRM 26
#define K_SIGPROF 27
#define K_SIGWINCH 28
#define K_SIGIO 29
#define K_SIGPWR 30
#define K_SIGSYS 31
#define K_SIGRTMIN 32

#define K_SIGBIT(sig) (1ULL << ((sig)-1))

#endif
