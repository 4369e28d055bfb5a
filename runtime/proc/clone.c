/*
 * clone.c - new threads and processes, and their end.
 *
 * clone with CLONE_VM (threads, and the vfork children of posix_spawn and
 * Python's subprocess) gets a fresh runtime slot: the child starts in
 * rt_thread_start on its own runtime stack, with every host signal blocked,
 * arms interception, and enters the application with the registers the
 * parent had at the clone (rax 0, the new stack) through plat_enter_app,
 * which installs its signal mask in the same step. A vfork child that is not
 * a thread gets its own rt_proc (fd table, cwd, dispositions), because it is
 * a separate process that shares our memory until it execs.
 *
 * clone without CLONE_VM is a host fork: the child continues right here with
 * a copy of everything, re-arms interception, and forgets the parent's other
 * threads. Runtime locks are held across the fork so none is copied held.
 *
 * CLONE_CHILD_CLEARTID belongs to the runtime for CLONE_VM children (it frees
 * the slot); the application's clear-tid address is emulated in sys_exit.
 * clone3 is refused (table.h): glibc then uses clone.
 */
#include <linux/futex.h>
#include <linux/sched.h>

#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../syscall/sys.h"
#include "pidtab.h"
#include "proc.h"

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
		t->proc = proc_clone(parent->proc, flags);
		if (!t->proc) {
			t->tls.alive = 0;
			thread_release_slot(t);
			return -ENOMEM;
		}
	}
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

void rt_thread_start(struct plat_tls *self)
{
	struct rt_thread *t = (struct rt_thread *)self;

	t->tid = (int)plat_call(__NR_gettid, 0, 0, 0, 0, 0, 0);
	if (t->proc->pid == 0) { /* a new process sharing our memory */
		t->proc->pid = (int)plat_call(__NR_getpid, 0, 0, 0, 0, 0, 0);
		pidtab_child_start(false);
	}
	if (t->set_child_tid) {
		int tid = t->tid;
		uaccess_copy_to(t->set_child_tid, &tid, sizeof tid);
	}
	t->start.uc_sigmask = sig_host_mask(t->sigmask);
	plat_enter_app(&t->start);
}

static long clone_fork(struct sys_call *c, unsigned long flags, uintptr_t ptid, uintptr_t ctid,
		       unsigned long tls)
{
	struct rt_thread *t = current();
	(void)c;

	/* The parent's runtime locks are held across the host fork; with
	 * CLONE_VFORK the parent would sleep holding them until the child
	 * execs, stalling its other threads. Without CLONE_VM the child has its
	 * own memory anyway, so it runs as a plain fork child. */
	flags &= ~(unsigned long)CLONE_VFORK;
	/* The child's clear-tid word is the platform's (plat_thread_arm); the
	 * application's is emulated like a thread's. */
	fork_lock_all();
	long r = plat_fork(flags & ~(unsigned long)CLONE_CHILD_CLEARTID, (int *)ptid, (int *)ctid, tls);
	fork_unlock_all();
	if (r > 0)
		pidtab_add_child((int)r, flags & CLONE_PARENT);
	if (r != 0)
		return r;
	/* child */
	if (plat_thread_arm(&t->tls))
		rt_panic("cannot arm the forked child");
	t->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
	t->tid = (int)plat_call(__NR_gettid, 0, 0, 0, 0, 0, 0);
	t->proc->pid = (int)plat_call(__NR_getpid, 0, 0, 0, 0, 0, 0);
	thread_after_fork_child(t);
	sig_after_fork_child(t);
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
	if (flags & CLONE_VM)
		return record_pidfd(clone_vm(c, flags, stack, ptid, ctid, tls), flags, ptid);
	if (stack)
		return -EINVAL; /* a forked child on another stack: not used by libcs */
	return record_pidfd(clone_fork(c, flags, ptid, ctid, tls), flags, ptid);
}

long sys_fork(struct sys_call *c)
{
	if (current()->tls.intr)
		return SYS_RESTART_NOW;
	return clone_fork(c, K_SIGCHLD, 0, 0, 0);
}

long sys_vfork(struct sys_call *c)
{
	if (current()->tls.intr)
		return SYS_RESTART_NOW;
	return clone_vm(c, CLONE_VM | CLONE_VFORK | K_SIGCHLD, 0, 0, 0, 0);
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
			plat_call(__NR_futex, (long)t->clear_child_tid, FUTEX_WAKE, 1, 0, 0, 0);
	}
	sig_thread_exit(t); /* after the last access that could fault */
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
	plat_exit_group((int)c->a[0]);
}
