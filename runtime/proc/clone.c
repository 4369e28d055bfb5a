/*
 * clone.c - new threads and processes, and their end.
 *
 * clone with CLONE_VM (threads, and the vfork children of posix_spawn and
 * Python's subprocess) gets a fresh runtime slot: the child starts in
 * rt_thread_start on its own runtime stack, with every host signal blocked,
 * arms interception, and enters the application with the registers the
 * parent had at the clone (rax 0, the new stack) through plat_enter_app,
 * which installs its signal mask in the same step. A vfork child that is not
 * a thread gets its own rt_proc (cwd, dispositions, runtime fds), because it
 * is a separate process that shares our memory until it execs.
 *
 * Without CLONE_FILES (a thread or a vfork child) the host gives the child a
 * copy of the parent's host fd table, and the child gets a copy of the
 * runtime's table: taken here before the host clone, trimmed by the child
 * (fdt_sync_host) to what its host copy holds, in case another thread
 * closed an fd in between.
 *
 * clone without CLONE_VM is a host fork: the child continues right here with
 * a copy of everything, re-arms interception, and forgets the parent's other
 * threads. Runtime locks are held across the fork so none is copied held.
 *
 * CLONE_CHILD_CLEARTID belongs to the runtime for CLONE_VM children (it frees
 * the slot); the application's clear-tid address is emulated in sys_exit.
 * clone3 is refused (table.h): glibc then uses clone. unshare is here too:
 * it undoes what a clone shared.
 */
#include <linux/futex.h>
#include <linux/sched.h>

#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../syscall/sys.h"
#include "pidtab.h"
#include "proc.h"
#include "../lib/host.h"

#define CSIGNAL_MASK 0xff

static long clone_vm(struct sys_call *c, unsigned long flags, uintptr_t stack, uintptr_t ptid,
		     uintptr_t ctid, unsigned long tls)
{
	struct rt_thread *parent = current();
	struct rt_thread *t = thread_alloc();

	if (!t)
		return -EAGAIN;
	if (flags & CLONE_THREAD) {
		t->proc = parent->proc;
		__atomic_add_fetch(&t->proc->refs, 1, __ATOMIC_RELAXED);
	} else {
		t->proc = proc_clone(parent->proc);
	}
	t->fdt = (flags & CLONE_FILES) ? fdt_share(parent->fdt) : fdt_copy(parent->fdt);
	t->fdt_sync = !(flags & CLONE_FILES);
	if (!t->proc || !t->fdt) {
		t->tls.alive = 0;
		thread_release_slot(t); /* the slot's next owner puts proc and fdt */
		return -ENOMEM;
	}
	/* A thread with a table of its own, or a vfork child with a process
	 * state of its own but our table: the runtime fds are in a table
	 * another thread or process uses (fd_runtime_evict). */
	if ((flags & (CLONE_THREAD | CLONE_FILES)) == CLONE_THREAD ||
	    (flags & (CLONE_THREAD | CLONE_FILES)) == CLONE_FILES)
		parent->proc->fdt_split = t->proc->fdt_split = true;
	t->sigmask = parent->sigmask;
	if (flags & CLONE_VFORK)
		t->altstack = parent->altstack;
	t->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
	t->set_child_tid = (flags & CLONE_CHILD_SETTID) ? ctid : 0;
	t->start = *c->ctx;
	t->start.uc_mcontext.rax = 0;
	if (stack)
		t->start.uc_mcontext.rsp = stack;
	/* The child inherits the floating-point state (POSIX: the FP
	 * environment of pthread_create's caller): a copy of the parent's XSAVE
	 * area at the top of the child's runtime stack, which it loads when it
	 * enters the application. */
	uintptr_t top = t->tls.stack_hi;
	const uint8_t *pfp = (const uint8_t *)c->ctx->uc_mcontext.fpstate;
	if (pfp) {
		size_t n = sig_fpstate_size(pfp);
		top = RT_ALIGN_DOWN(top - n, 64);
		memcpy((void *)top, pfp, n);
		t->start.uc_mcontext.fpstate = top;
	}

	unsigned long host_flags = flags & ~(unsigned long)(CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID);
	/* The child must not take a signal before it is armed; SIGSEGV and SIGBUS
	 * stay open for the runtime's own fault fix-ups. */
	uint64_t old = plat_sig_setmask(~plat_sig_reserved());
	long r = plat_thread_start(host_flags, &t->tls, top, (int *)ptid, tls);
	plat_sig_setmask(old);
	if (r < 0) {
		t->tls.alive = 0;
		thread_release_slot(t);
		return r;
	}
	if (!(flags & CLONE_THREAD))
		pidtab_add_child((int)r, flags & CLONE_PARENT);
	if ((flags & (CLONE_VFORK | CLONE_THREAD)) == CLONE_VFORK)
		log_debug("vfork child %ld done", r);
	return r;
}

/* The calling thread's own id from the host: a thread or process that
 * cannot name itself cannot go on (signals, the registry), so a lie ends
 * the process with a message. */
static int self_id(const char *call, long r)
{
	r = host_pid(call, r);
	if (r < 0)
		rt_panic("the host gave no valid id for %s", call);
	return (int)r;
}

void rt_thread_start(struct plat_tls *self)
{
	struct rt_thread *t = (struct rt_thread *)self;

	t->tid = self_id("gettid", plat_host_gettid());
	if (t->fdt_sync)
		fdt_sync_host(t->fdt);
	if (t->proc->pid == 0) { /* a new process sharing our memory */
		t->proc->pid = self_id("getpid", plat_host_getpid());
		pidtab_child_start(false);
	}
	if (t->set_child_tid) {
		int tid = t->tid;
		uaccess_copy_to(t->set_child_tid, &tid, sizeof tid);
	}
	t->start.uc_sigmask = sig_host_mask(t->sigmask);
	plat_enter_app(&t->start);
}

static long clone_fork(struct sys_call *c, unsigned long flags, uintptr_t stack, uintptr_t ptid, uintptr_t ctid,
		       unsigned long tls)
{
	struct rt_thread *t = current();

	/* The parent's runtime locks are held across the host fork; with
	 * CLONE_VFORK the parent would sleep holding them until the child
	 * execs, stalling its other threads. Without CLONE_VM the child has its
	 * own memory anyway, so it runs as a plain fork child. */
	flags &= ~(unsigned long)CLONE_VFORK;
	/* The child's clear-tid word is the platform's (plat_thread_arm); the
	 * application's is emulated like a thread's. */
	fork_lock_all();
	uint64_t mask;
	long r = plat_fork(flags & ~(unsigned long)CLONE_CHILD_CLEARTID, (int *)ptid, (int *)ctid, tls, &mask);
	if (r == 0)
		sig_after_fork_child(t); /* before a signal for the child is taken */
	plat_sig_setmask(mask);
	fork_unlock_all();
	if (r > 0)
		pidtab_add_child((int)r, flags & CLONE_PARENT);
	if (r != 0)
		return r;
	/* child: on its own stack if it was given one (clone(fn, stack, SIGCHLD)) */
	if (stack)
		c->ctx->uc_mcontext.rsp = stack;
	if (plat_thread_arm(&t->tls))
		rt_panic("cannot arm the forked child");
	t->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
	t->tid = self_id("gettid", plat_host_gettid());
	t->proc->pid = self_id("getpid", plat_host_getpid());
	thread_after_fork_child(t);
	pidtab_child_start(true);
	vfs_record('P', t->proc->exe ? t->proc->exe : "/");
	return 0;
}

/* CLONE_PIDFD: the host wrote a new fd into the parent's *ptid. */
static long record_pidfd(long r, unsigned long flags, uintptr_t ptid)
{
	int pidfd;

	if (r > 0 && (flags & CLONE_PIDFD) && !uaccess_copy_from(&pidfd, ptid, sizeof pidfd))
		fd_install_host(pidfd, NULL, 0);
	return r;
}

long sys_clone(struct sys_call *c)
{
	unsigned long flags = (unsigned long)c->a[0];
	uintptr_t stack = (uintptr_t)c->a[1], ptid = (uintptr_t)c->a[2], ctid = (uintptr_t)c->a[3];
	unsigned long tls = (unsigned long)c->a[4];

	if ((flags & CLONE_SETTLS) && !mm_user_ok(tls, 0))
		return -EINVAL;
	/* A signal already held belongs to the parent as it is now: deliver it
	 * first, then clone (as Linux does, with ERESTARTNOINTR). */
	if (current()->tls.intr)
		return SYS_RESTART_NOW;
	if (flags & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
		     CLONE_NEWNET | CLONE_NEWCGROUP))
		return -EPERM; /* namespaces belong to the host */
	long r;
	if (!(flags & CLONE_THREAD) && (r = pidtab_prepare()))
		return r; /* a new process of the run: it must be in the registry */
	if (flags & CLONE_VM)
		return record_pidfd(clone_vm(c, flags, stack, ptid, ctid, tls), flags, ptid);
	/* Two processes with one host fd table would each keep a table of
	 * their own in their own memory, and one's close would leave the
	 * other naming a host fd that is gone (or the runtime's). */
	if (flags & CLONE_FILES) {
		log_debug("clone: CLONE_FILES without CLONE_VM is not supported");
		return -EINVAL;
	}
	return record_pidfd(clone_fork(c, flags, stack, ptid, ctid, tls), flags, ptid);
}

long sys_fork(struct sys_call *c)
{
	if (current()->tls.intr)
		return SYS_RESTART_NOW;
	long r = pidtab_prepare();
	return r ? r : clone_fork(c, K_SIGCHLD, 0, 0, 0, 0);
}

long sys_vfork(struct sys_call *c)
{
	if (current()->tls.intr)
		return SYS_RESTART_NOW;
	long r = pidtab_prepare();
	return r ? r : clone_vm(c, CLONE_VM | CLONE_VFORK | K_SIGCHLD, 0, 0, 0, 0);
}

long sys_set_tid_address(struct sys_call *c)
{
	struct rt_thread *t = current();
	t->clear_child_tid = (uintptr_t)c->a[0];
	return t->tid;
}

/* Calls of the threads that have exited, for the summary at exit_group. */
static uint64_t exited_trapped, exited_fast;

static void count_calls(const struct rt_thread *t)
{
	__atomic_add_fetch(&exited_trapped, t->tls.n_trapped, __ATOMIC_RELAXED);
	__atomic_add_fetch(&exited_fast, t->tls.n_fast, __ATOMIC_RELAXED);
}

long sys_exit(struct sys_call *c)
{
	struct rt_thread *t = current();

	sys_trace_now(c, "?");
	count_calls(t);
	if (t->clear_child_tid && mm_user_ok(t->clear_child_tid, sizeof(int))) {
		int zero = 0;
		if (!uaccess_copy_to(t->clear_child_tid, &zero, sizeof zero))
			plat_futex_wake((uint32_t *)t->clear_child_tid, 1);
	}
	sig_thread_exit(t); /* after the last access that could fault */
	/* Its fds close with it if the table was its own (the host closes
	 * its copy as the thread ends). */
	struct fd_table *fdt = t->fdt;
	t->fdt = NULL;
	fdt_put(fdt);
	thread_release_slot(t);
	plat_thread_exit((int)c->a[0]);
}

long sys_exit_group(struct sys_call *c)
{
	sys_trace_now(c, "?");
	if (rt_log_level >= RT_LOG_INFO) {
		/* With the threads still running, as far as they got. */
		struct plat_patch_stats ps;
		count_calls(current());
		thread_calls_of_others(&exited_trapped, &exited_fast);
		plat_patch_stats(&ps);
		log_info("system calls: %lu trapped, %lu through patched call sites; call sites: %lu "
			 "patched, %lu left trapping (%lu of unknown shape)",
			 (unsigned long)exited_trapped, (unsigned long)exited_fast,
			 (unsigned long)ps.sites_patched,
			 (unsigned long)(ps.sites_refused + ps.sites_unknown), (unsigned long)ps.sites_unknown);
	}
	shm_run_end();
	plat_exit_group((int)c->a[0]);
}

/*
 * unshare: the checks and answers of Linux for a process without
 * capabilities. Flags that imply others are widened first (CLONE_NEWUSER
 * means CLONE_THREAD and CLONE_FS, CLONE_VM means CLONE_SIGHAND, which means
 * CLONE_THREAD, CLONE_NEWNS means CLONE_FS); CLONE_THREAD, CLONE_SIGHAND and
 * CLONE_VM are no-ops that fail with EINVAL unless this is the only thread;
 * namespaces need CAP_SYS_ADMIN, which an enclave never has: EPERM (for a
 * user namespace, as a Linux whose unprivileged user namespaces are off).
 * CLONE_FILES gives this thread its own fd table (fdt_unshare), and
 * CLONE_SYSVSEM its own SysV semaphore undo list on the host, which keeps
 * those. The working directory and umask are per process in the runtime, so
 * CLONE_FS is the no-op it is for a thread that shares them with nobody,
 * and is refused (EINVAL) while other threads share them.
 */
#define UNSHARE_NS                                                                                    \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUSER | CLONE_NEWPID |   \
	 CLONE_NEWCGROUP | CLONE_NEWTIME)

long sys_unshare(struct sys_call *c)
{
	unsigned long flags = (unsigned long)c->a[0];

	if (flags & CLONE_NEWUSER)
		flags |= CLONE_THREAD | CLONE_FS;
	if (flags & CLONE_VM)
		flags |= CLONE_SIGHAND;
	if (flags & CLONE_SIGHAND)
		flags |= CLONE_THREAD;
	if (flags & CLONE_NEWNS)
		flags |= CLONE_FS;
	if (flags & ~(unsigned long)(CLONE_THREAD | CLONE_FS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES |
				     CLONE_SYSVSEM | UNSHARE_NS))
		return -EINVAL;
	bool alone = thread_alone();
	if ((flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)) && !alone)
		return -EINVAL;
	if (flags & UNSHARE_NS)
		return -EPERM;
	if ((flags & CLONE_FS) && !alone) {
		log_debug("unshare(CLONE_FS) refused: other threads share the working directory");
		return -EINVAL;
	}
	if (flags & CLONE_FILES) {
		long r = fdt_unshare();
		if (r)
			return r;
	}
	if (flags & CLONE_SYSVSEM)
		return host_zero("unshare", plat_host_unshare(CLONE_SYSVSEM));
	return 0;
}
