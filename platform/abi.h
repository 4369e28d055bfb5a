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

/* ---- structures the host fills for the runtime's own calls (platform.h) -- */

struct ktimespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

/* struct stat (x86-64, arch/x86/include/uapi/asm/stat.h): 144 bytes. */
struct kstat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid;
	int32_t pad0;
	uint64_t st_rdev;
	int64_t st_size, st_blksize, st_blocks;
	uint64_t st_atime_sec, st_atime_nsec;
	uint64_t st_mtime_sec, st_mtime_nsec;
	uint64_t st_ctime_sec, st_ctime_nsec;
	int64_t unused[3];
};

struct kstatx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

/* struct statx (include/uapi/linux/stat.h): 256 bytes. */
struct kstatx {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, pad0;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct kstatx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t spare[14];
};

/* struct statfs (x86-64): 120 bytes. */
struct kstatfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};

struct krlimit {
	uint64_t rlim_cur, rlim_max;
};

/* struct new_utsname */
struct kutsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

_Static_assert(sizeof(struct kstat) == 144, "x86-64 struct stat");
_Static_assert(sizeof(struct kstatx) == 256, "struct statx");
_Static_assert(sizeof(struct kstatfs) == 120, "x86-64 struct statfs");
_Static_assert(sizeof(struct kutsname) == 390, "struct new_utsname");

#endif
