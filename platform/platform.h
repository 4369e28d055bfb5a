/*
 * platform.h - the boundary between the runtime (trusted) and the host.
 *
 * Everything the runtime asks of the host goes through the functions below;
 * everything the host tells the runtime arrives through the three callbacks at
 * the end (rt_main, rt_on_syscall, rt_on_signal). Two platforms implement this
 * file: `direct` (plain Linux, the default and what the tests use) and, later,
 * `sgx`. Each function is shaped so that it could be an OCALL: arguments are
 * values or buffers with explicit lengths, and every result is untrusted: the
 * runtime checks lengths, addresses and counts before it uses them.
 *
 * Services, in groups:
 *   start and stop     rt_main, plat_exit_group, plat_exec
 *   memory             plat_mem_*           (the runtime's own memory)
 *   forwarded calls    plat_forward         (application calls, checked)
 *   threads, processes plat_thread_*, plat_fork, plat_enter_app
 *   signals            plat_sig_*
 *   misc               plat_log_write, plat_random
 *
 * Threads: every thread that runs runtime or application code has a runtime
 * thread block whose first member is a struct plat_tls; the platform keeps its
 * address where the runtime's code can reach it without touching %fs (which
 * belongs to the application's libc). On direct that is the %gs base.
 */
#ifndef COFFER_PLATFORM_H
#define COFFER_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"

/* ---- per-thread block shared by platform and runtime -------------------- */

struct plat_tls {
	struct plat_tls *self; /* %gs:0 */
	/* Set by the runtime when a signal is held for the application and can be
	 * delivered now. While set, interruptible host calls return -EINTR
	 * without blocking, and the platform asks the runtime to deliver before
	 * it returns to the application. */
	volatile int32_t intr; /* %gs:8 */
	int32_t pad;
	uintptr_t stack_lo, stack_hi; /* this thread's runtime stack */
	/* The application context the current system call was made from, set
	 * by the platform for the duration of rt_on_syscall (NULL otherwise). */
	struct kucontext *app_ctx;
	/* 1 while the host thread exists; the host clears it (and wakes a
	 * futex on it) when the thread is gone, so its stack can be reused. */
	volatile int alive;
	/* 1 while rt_on_syscall runs for a call that came through a patched
	 * call site (plat_patch_syscall) rather than a trap. */
	int fast;
	/* Calls this thread made through traps and through patched sites. */
	uint64_t n_trapped, n_fast;
	/* The platform's own per-thread scratch; the runtime leaves it alone. */
	uint64_t plat_private[8];
};
#define PLAT_TLS_INTR_OFFSET 8

/* The current thread's block. Volatile: the load must not be moved above a
 * check that %gs is set up yet. */
static inline struct plat_tls *plat_tls(void)
{
	struct plat_tls *t;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(t));
	return t;
}

/* ---- start and stop ------------------------------------------------------ */

/* Who this enclave is, as the CPU establishes it at EINIT (simulated on
 * direct: the platform recomputes the measurement and checks the signature
 * before rt_main, and refuses to start on any mismatch). */
struct plat_identity {
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint16_t isvprodid, isvsvn;
	uint64_t attributes, xfrm;
	uint32_t miscselect;
};

struct plat_boot_info {
	const uint8_t *bootblock; /* serialized start state, common/bootblock.h */
	size_t bootblock_len;
	/* A signed enclave: its manifest (covered by MRENCLAVE, validated with
	 * man_open) and SIGSTRUCT; NULL for a development run. */
	const uint8_t *manifest;
	size_t manifest_len;
	const uint8_t *sigstruct;
	struct plat_identity id;
	uintptr_t image_lo, image_hi; /* the enclave image, page aligned */
	uintptr_t text_lo, text_hi;   /* its code (the calls it may make itself) */
	uintptr_t stack_top;          /* the app's initial stack is built below */
	uintptr_t vdso;               /* host vDSO image, 0 if none */
	unsigned long hwcap, hwcap2, minsigstksz, clktck;
	unsigned long uid, euid, gid, egid;
	const char *platform_name;
	bool simulated; /* identity, keys and quotes are simulated */
};

/* Leave the enclave: the whole process exits with `status`. */
__attribute__((noreturn)) void plat_exit_group(int status);

/* Replace this process image with a fresh enclave that boots from the start
 * state in host file descriptor `boot_fd` (boot step 4 in docs/design.md).
 * `title` is only for the host's process list. Returns only on failure. */
long plat_exec(int boot_fd, const char *title);

/* ---- memory (the runtime's own) ---------------------------------------- */

long plat_mem_map(uintptr_t addr, size_t len, int prot, int flags, int fd, long off);
long plat_mem_unmap(uintptr_t addr, size_t len);
long plat_mem_protect(uintptr_t addr, size_t len, int prot);

/* ---- forwarded application system calls -------------------------------- */

/* Make system call `nr` on the host with the given arguments, which the
 * runtime has already checked (pointers outside runtime memory, file
 * descriptors the application owns). Interruptible: if a signal for the
 * application is pending (plat_tls()->intr), returns -EINTR without making
 * the call, and a blocking call is interrupted by such a signal.
 * On sgx this is an OCALL marshalled from the runtime's per-call argument
 * description (runtime/syscall/table.h). */
long plat_forward(long nr, const long args[6]);

/* The same, never interrupted by the application's signals: for forwarded
 * calls that do not wait (the table's calls without SYS_BLOCK). The
 * runtime's marshaller (runtime/syscall/marshal.c) makes every forwarded
 * call through one of these two. */
long plat_forward_now(long nr, const long args[6]);

/* Whether the host reaches application memory as it is: on direct the host
 * kernel shares the address space, so a forwarded call may hand it the
 * application's own pointers (the thin case); on sgx it cannot, and every
 * buffer is copied through plat_untrusted_scratch. */
bool plat_app_memory_shared(void);

/* At least `len` bytes of this thread's untrusted scratch memory: outside
 * the enclave (on direct: outside runtime memory), readable and writable by
 * the host, so everything in it is hostile and read once. The area is the
 * calling thread's until its next call here, which may move it (a larger
 * len); it goes with the thread. NULL if it cannot be had. The runtime
 * reaches it only through fault-safe copies (an application on direct can
 * unmap it, which then fails the call with EFAULT). */
void *plat_untrusted_scratch(size_t len);

/* The same for the runtime's own host calls: not interrupted by the
 * application's signals (retries on EINTR where that is safe is the
 * caller's business). */
long plat_call(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

/* ---- threads and processes --------------------------------------------- */

/* Start a host thread or vfork child (clone with CLONE_VM). The child starts on
 * `stack_top` with all signals blocked, calls plat_thread_arm(child) and then
 * rt_thread_start(child), which must not return. `flags`, `ptid` and `tls`
 * are passed to clone (without CLONE_CHILD_SETTID/CLEARTID: the child-tid
 * word is child->alive). Returns the child's host tid or -errno. */
long plat_thread_start(unsigned long flags, struct plat_tls *child, uintptr_t stack_top,
		       int *ptid, unsigned long tls);

/* Fork-like clone without CLONE_VM: returns 0 in the child (which must call
 * plat_thread_arm again), the child's pid in the parent, or -errno. It
 * returns, in both processes, with every signal blocked, the reserved ones
 * too, and the previous mask in *oldmask: a signal sent to the child right
 * after the fork waits in the host until the child has dropped what it
 * copied from the parent and restores the mask. */
long plat_fork(unsigned long flags, int *ptid, int *ctid, unsigned long tls, uint64_t *oldmask);

/* Make the calling host thread ready to run application code: set the thread
 * block, the signal stack, system call interception, and `alive`. */
long plat_thread_arm(struct plat_tls *t);

/* Switch to the application: load all registers and the host signal mask
 * from `ctx` atomically (fpstate 0 means a clean FPU). Does not return. */
__attribute__((noreturn)) void plat_enter_app(const struct kucontext *ctx);

/* Exit the calling host thread. */
__attribute__((noreturn)) void plat_thread_exit(int code);

/* ---- signals ------------------------------------------------------------ */

enum plat_sig_mode {
	PLAT_SIG_DEFAULT, /* host default action (terminate, stop, ignore) */
	PLAT_SIG_IGNORE,
	PLAT_SIG_RUNTIME, /* host signal reaches rt_on_signal */
};
/* `flags` may add SA_NOCLDSTOP / SA_NOCLDWAIT, which change what the host
 * kernel does for SIGCHLD. */
long plat_sig_set_mode(int sig, enum plat_sig_mode mode, unsigned long flags);
/* Set the host signal mask of the calling thread; returns the old mask. */
uint64_t plat_sig_setmask(uint64_t mask);
/* Signals the platform needs for itself and never lets a mask block. */
uint64_t plat_sig_reserved(void);

/* ---- the fast path: call-site patching ---------------------------------- */

/* Make later calls from the `syscall` instruction that ends at `ip` reach
 * rt_on_syscall without a trap. `code` holds the application's bytes from
 * ip - PLAT_PATCH_BEFORE to ip + PLAT_PATCH_AFTER, read by the runtime; only
 * the last `before` of the bytes before ip and the first `after` of those
 * from ip on could be read (the others are 0). `nr` is the call number this
 * trap carried. Only code the platform recognises is patched; on direct
 * (patch.c lists the shapes):
 *   mov $nr,%eax; syscall                    the mov must have loaded `nr`
 *   mov $nr,%rax; syscall                    and carry no other prefix
 *   xor %eax,%eax; syscall; cmp $-4096,%rax  glibc's read (nr 0)
 *   glibc's syscall() and Go's Syscall6      the number comes in %rax
 * The change is safe against other threads executing those bytes, and the
 * `syscall` instruction itself stays, so a thread that is about to execute
 * it still traps. Some shapes rewrite an address where threads can stand
 * or return (the instruction after the `syscall`, or one in the middle of
 * the bytes replaced); the platform then sends every return to that address
 * elsewhere, after it has stopped each other thread of the process once
 * (rt_thread_tids) to check where it stands. Returns 0 once the site is
 * patched (also when it already was), -ENOEXEC for code it does not
 * recognise, other -errno when the code could not be changed; in every case
 * but 0 the site keeps trapping.
 *
 * A call through a patched site reaches rt_on_syscall with plat_tls()->fast
 * set and a context without an FPU state (fpstate 0: the runtime does not
 * touch vector registers) and with uc_sigmask ~0 ("unchanged"); a handler
 * that needs the full context can send the call back to the trap path by
 * moving rip back onto the `syscall` instruction (rip -= 2) without setting
 * rax, as for a restart. A handler that sets uc_sigmask makes the platform
 * install it when the call returns, as after a trap. */
#define PLAT_PATCH_BEFORE 32
#define PLAT_PATCH_AFTER 8
long plat_patch_syscall(uintptr_t ip, long nr, const uint8_t code[PLAT_PATCH_BEFORE + PLAT_PATCH_AFTER],
			size_t before, size_t after);

struct plat_patch_stats {
	uint64_t sites_patched;  /* call sites rewritten in this process */
	uint64_t sites_refused;  /* recognised but not changeable (they trap) */
	uint64_t sites_unknown;  /* trapped, of no shape the platform knows */
};
void plat_patch_stats(struct plat_patch_stats *s);

/* ---- misc -------------------------------------------------------------- */

/* How the host should show this process (ps, top, pgrep, /proc/PID/cmdline,
 * /proc/PID/auxv): the application's name and where its argv, environment
 * strings and auxiliary vector lie. Best effort: a host may ignore it. */
struct plat_proc_view {
	const char *name;
	uintptr_t arg_lo, arg_hi, env_lo, env_hi;
	const uint64_t *auxv;
	size_t auxv_bytes;
};
void plat_describe_process(const struct plat_proc_view *v);

/* Write log output to host fd `fd` (the runtime owns the choice of fd). */
void plat_log_write(int fd, const char *buf, size_t len);
/* Fill with random bytes (untrusted on direct; the runtime mixes it). */
long plat_random(void *buf, size_t len);

/* ---- callbacks the runtime provides ------------------------------------- */

/* Boot: called once per enclave start on the platform's start stack. */
__attribute__((noreturn)) void rt_main(const struct plat_boot_info *bi);

/* An application system call was intercepted. `ctx` holds the application's
 * registers (the call number in rax, arguments in rdi, rsi, rdx, r10, r8, r9);
 * the runtime stores the result in ctx->uc_mcontext.rax, or changes ctx
 * entirely (sigreturn, signal delivery). */
void rt_on_syscall(struct kucontext *ctx);

/* A host signal arrived. `in_runtime` says whether it interrupted runtime code
 * (then `ctx` is the runtime's context and the runtime may only hold the
 * signal) or application code (then the runtime may deliver it by changing
 * `ctx`). Returns true if it handled the signal; false on a fault in runtime
 * code that it cannot fix up. */
bool rt_on_signal(int sig, struct ksiginfo *info, struct kucontext *ctx, bool in_runtime);

/* Deliver held signals into the application context `ctx` now: called by the
 * platform just before it returns to the application when intr is set. */
void rt_deliver_held(struct kucontext *ctx);

/* The platform mapped [lo, hi) for itself (call-site trampolines): the
 * application must not map, unmap or change anything there. */
void rt_reserve(uintptr_t lo, uintptr_t hi);

/* The host thread ids of the other live threads of this process (at most
 * max); for the platform's stop-the-world in plat_patch_syscall. */
size_t rt_thread_tids(int *out, size_t max);
/* Whether a thread of another process runs in this memory now (a vfork
 * child, or the parent of one): stop-the-world cannot reach it. */
bool rt_memory_shared(void);

/* A new thread made by plat_thread_start runs this. */
__attribute__((noreturn)) void rt_thread_start(struct plat_tls *self);

#endif
