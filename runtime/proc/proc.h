/*
 * proc.h - threads, processes and signals as the runtime keeps them.
 *
 * A host thread that runs application code has a struct rt_thread, which sits
 * at the top of its slot in the runtime arena (mm.h) above its runtime stack;
 * its first member is the platform's struct plat_tls, so current() is one
 * %gs-relative load. Threads of one process share a struct rt_proc (working
 * directory, umask, signal dispositions). The fd table is the thread's, as
 * in Linux: threads made with CLONE_FILES share one (the usual case), a
 * thread made without it, or that called unshare(CLONE_FILES) or
 * close_range(CLOSE_RANGE_UNSHARE), has a copy of its own, and so does its
 * host side (file.c, fdt_unshare). After a host fork the child
 * has its own copy of all runtime memory, so "per process" state needs no
 * special care there; only clone with CLONE_VM and without CLONE_THREAD (the
 * vfork that posix_spawn and Python use) makes a second process in the same
 * memory, which therefore gets its own rt_proc.
 *
 * Signals (docs/design.md section 4): the application's dispositions, mask and
 * alternate stack are runtime state. The host mask of a thread mirrors the
 * application's mask except for the signals the platform reserves (SIGSYS,
 * SIGSEGV, SIGBUS), so the kernel keeps pending and blocked signals for us.
 * A host signal for which the application has a handler reaches the runtime:
 * if it interrupted application code it is delivered at once (a Linux signal
 * frame is built on the application's stack); if it interrupted the runtime it
 * is held in the thread (`held`) and delivered on the way back to the
 * application, and interruptible host calls give up with -EINTR meanwhile.
 */
#ifndef COFFER_RT_PROC_H
#define COFFER_RT_PROC_H

#include "../../platform/platform.h"
#include "../lib/lock.h"
#include "../lib/rt.h"

struct fd_table;

/* Host fds a process's runtime may keep: the log, the record fd, an execve
 * boot block, and one handle per mount (at most 64, mount.c). */
#define RT_PROC_RTFDS 72

struct rt_proc {
	int refs;          /* threads using this struct; atomic */
	int pid;           /* host process id */
	/* Set once a thread of this process has an fd table of its own, or a
	 * vfork child shares ours: the runtime fds below are then in host
	 * tables others use and must not move (fd_runtime_evict refuses).
	 * Cleared in a forked child. */
	bool fdt_split;
	struct rt_lock lock; /* guards everything below */
	char *cwd;         /* absolute, normalized, no symlinks; vfs_cwd() */
	bool cwd_host;     /* the host process's working directory is cwd (path.c) */
	unsigned umask;
	char *exe;         /* path of the running program, for /proc/self/exe */
	struct ksigaction sigact[K_NSIG]; /* index signal - 1 */
	/* Host fds the runtime keeps for itself in this process (-1: unused);
	 * log_fd is also one of them. Per process: a vfork child shares our
	 * memory but has its own host fd table. Every fd table of the process
	 * holds them at these numbers (a host copy of a table copies them). */
	int log_fd;
	int record_fd; /* coffer manifest record: where paths are reported, or -1 */
	int pidtab_fd; /* the process registry (pidtab.c), or -1 */
	uint64_t start_time; /* host start time, the registry's key with pid */
	int rtfds[RT_PROC_RTFDS];
};

enum slot_state { SLOT_FREE = 0, SLOT_LIVE, SLOT_EXITING };

struct rt_thread {
	struct plat_tls tls; /* must be first */
	int tid;
	unsigned slot;
	enum slot_state state;
	struct rt_proc *proc;
	struct fd_table *fdt;  /* this thread's fd table (shared or its own) */
	bool fdt_sync;         /* a new copy: drop what the host copy lacks (clone.c) */

	uint64_t sigmask;      /* the application's blocked signals */
	uint64_t saved_mask;   /* mask to restore after a sigsuspend-like wait */
	bool restore_mask;
	struct kstack altstack; /* the application's sigaltstack */
	uint64_t held;          /* held signals (atomic: also set by handlers) */
	struct ksiginfo held_info[K_NSIG];
	bool exiting;           /* past sig_thread_exit: signals for the process are sent on */

	uintptr_t clear_child_tid; /* set_tid_address / CLONE_CHILD_CLEARTID */
	uintptr_t set_child_tid;   /* CLONE_CHILD_SETTID, done by the child */
	struct kucontext start;     /* first application context of a new thread */
};

static inline struct rt_thread *current(void)
{
	return (struct rt_thread *)plat_tls();
}

/* ---- threads and processes (thread.c, fork.c, exec.c) -------------------- */

/* Set up the first thread of an enclave on slot 0. */
struct rt_thread *thread_boot(void);
struct rt_thread *thread_alloc(void);
void thread_release_slot(struct rt_thread *t);
/* Is this the only thread of its process (counting threads not started)? */
bool thread_alone(void);
/* After a host fork: this thread is the only one in the child. */
void thread_after_fork_child(struct rt_thread *self);
/* Add the calls the process's other live threads have made so far (their
 * counters, read while they run) to *trapped and *fast. */
void thread_calls_of_others(uint64_t *trapped, uint64_t *fast);

struct rt_proc *proc_new(void);
/* A copy for a CLONE_VM child that is a new process (vfork). */
struct rt_proc *proc_clone(struct rt_proc *p);
void proc_put(struct rt_proc *p);
void proc_set_exe(struct rt_proc *p, const char *path);

/* Fork safety: take every runtime lock a host fork could catch half-held. */
void fork_lock_all(void);
void fork_unlock_all(void);

/* ---- signals (signal.c) ------------------------------------------------- */

/* Host mask for an application mask. */
uint64_t sig_host_mask(uint64_t app_mask);
/* At boot: dispositions inherited from the host (ignored stay ignored) and
 * the application's initial mask. */
void sig_boot(struct rt_proc *p, uint64_t app_mask, uint64_t ignored);
/* The signals the application ignores (for execve's boot block). */
uint64_t sig_ignored_set(struct rt_proc *p);
/* Recompute `intr` after the mask or the held set changed. */
void sig_update_intr(struct rt_thread *t);
/* Deliver `sig` to the application in context `ctx` now (a frame on its
 * stack). Returns false if the frame could not be written (the process is
 * then killed with SIGSEGV, as Linux does). */
bool sig_deliver(struct rt_thread *t, struct kucontext *ctx, int sig, const struct ksiginfo *info,
		 const struct ksigaction *act);
/* A thread is about to exit: block every signal and hand its held
 * process-directed signals back to the process. Nothing that may fault may
 * run after it. */
void sig_thread_exit(struct rt_thread *t);
/* Bytes of the XSAVE (or FXSAVE) area at fp, as its trailer describes. */
size_t sig_fpstate_size(const uint8_t *fp);
/* In a forked child: forget the parent's held signals. */
void sig_after_fork_child(struct rt_thread *t);
/* Whether a system call interrupted by the held signal should be restarted
 * (the handler has SA_RESTART, or no handler will run). */
bool sig_restart_after_eintr(struct rt_thread *t);
/* Enter a wait with a temporary mask (sigsuspend, ppoll, pselect, epoll_pwait):
 * the old mask comes back after the handler that ends the wait. */
void sig_wait_mask_begin(struct rt_thread *t, uint64_t mask);
void sig_wait_mask_end(struct rt_thread *t, long result);

/* The operations behind the signal system calls (runtime/syscall/signal.c). */
long sig_action(int sig, const struct ksigaction *act, struct ksigaction *old);
/* Set the application's mask; it takes effect when ctx is resumed. */
void sig_set_mask(struct rt_thread *t, struct kucontext *ctx, uint64_t mask);
/* rt_sigreturn: load the context the application's frame holds into ctx. */
void sig_return(struct rt_thread *t, struct kucontext *ctx);
long sig_altstack(struct rt_thread *t, uintptr_t sp, const struct kstack *ss, struct kstack *old);
/* Take a held signal in `set`, if any: returns its number (0 if none). */
int sig_take_held(struct rt_thread *t, uint64_t set, struct ksiginfo *info);

#endif
