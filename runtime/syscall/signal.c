/*
 * signal.c - the signal system calls: argument copying and checking around
 * the operations in runtime/proc/signal.c, which explains the design, and
 * the calls that send signals to other processes, confined to the
 * application's own (below).
 */
#include <limits.h>

#include "../mm/mm.h"
#include "../proc/pidtab.h"
#include "../proc/proc.h"
#include "sys.h"
#include "../lib/host.h"

long sys_rt_sigaction(struct sys_call *c)
{
	uintptr_t uact = (uintptr_t)c->a[1], uold = (uintptr_t)c->a[2];
	struct ksigaction act, old;

	if (c->a[3] != 8)
		return -EINVAL;
	if (uact && uaccess_copy_from(&act, uact, sizeof act))
		return -EFAULT;
	long r = sig_action((int)c->a[0], uact ? &act : NULL, &old);
	if (r)
		return r;
	if (uold && uaccess_copy_to(uold, &old, sizeof old))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(struct sys_call *c)
{
	struct rt_thread *t = current();
	uintptr_t uset = (uintptr_t)c->a[1], uold = (uintptr_t)c->a[2];
	uint64_t old = t->sigmask, set, m;

	if (c->a[3] != 8)
		return -EINVAL;
	if (uset) {
		if (uaccess_copy_from(&set, uset, 8))
			return -EFAULT;
		switch (c->a[0]) {
		case K_SIG_BLOCK: m = old | set; break;
		case K_SIG_UNBLOCK: m = old & ~set; break;
		case K_SIG_SETMASK: m = set; break;
		default: return -EINVAL;
		}
		sig_set_mask(t, c->ctx, m);
	}
	if (uold && uaccess_copy_to(uold, &old, 8))
		return -EFAULT;
	return 0;
}

long sys_rt_sigreturn(struct sys_call *c)
{
	sig_return(current(), c->ctx);
	c->ctx_replaced = true;
	return 0;
}

long sys_sigaltstack(struct sys_call *c)
{
	uintptr_t uss = (uintptr_t)c->a[0], uold = (uintptr_t)c->a[1];
	struct kstack ss, old;

	if (uss && uaccess_copy_from(&ss, uss, sizeof ss))
		return -EFAULT;
	long r = sig_altstack(current(), c->ctx->uc_mcontext.rsp, uss ? &ss : NULL, &old);
	if (r)
		return r;
	if (uold && uaccess_copy_to(uold, &old, sizeof old))
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(struct sys_call *c)
{
	uint64_t set = 0;

	if ((unsigned long)c->a[1] > 8)
		return -EINVAL;
	long r = host_zero("rt_sigpending", plat_sig_pending(&set));
	if (r)
		return r;
	set |= __atomic_load_n(&current()->held, __ATOMIC_RELAXED);
	return uaccess_copy_to((uintptr_t)c->a[0], &set, (size_t)c->a[1]);
}

long sys_rt_sigsuspend(struct sys_call *c)
{
	struct rt_thread *t = current();
	uint64_t mask;

	if (c->a[1] != 8)
		return -EINVAL;
	if (uaccess_copy_from(&mask, (uintptr_t)c->a[0], 8))
		return -EFAULT;
	sig_wait_mask_begin(t, mask);
	uint64_t host = sig_host_mask(t->sigmask);
	long r;
	do
		r = sys_host(c, (long)&host, 8, 0, 0, 0, 0);
	while (r == -EINTR && !t->tls.intr);
	sig_wait_mask_end(t, -EINTR);
	return -EINTR;
}

long sys_rt_sigtimedwait(struct sys_call *c)
{
	struct ksiginfo info;
	uint64_t set;

	if (c->a[3] != 8)
		return -EINVAL;
	if (uaccess_copy_from(&set, (uintptr_t)c->a[0], 8))
		return -EFAULT;
	/* a blocked reserved signal waits in the runtime, not in the kernel */
	int sig = sig_take_held(current(), set & current()->sigmask, &info);
	if (sig) {
		if (c->a[1] && uaccess_copy_to((uintptr_t)c->a[1], &info, sizeof info))
			return -EFAULT;
		return sig;
	}
	return sys_forward(c);
}

static long check_queued_info(int sig, uintptr_t uinfo, struct ksiginfo *info)
{
	if (uaccess_copy_from(info, uinfo, sizeof *info))
		return -EFAULT;
	/* Only the kernel raises the SIGSYS of an intercepted call. */
	if (sig == K_SIGSYS && info->si_code == K_SYS_USER_DISPATCH)
		return -EPERM;
	return 0;
}



/* ---- signals to other processes ---------------------------------------------
 * The application's processes only (runtime/proc/pidtab.h): a signal to any
 * other pid fails with ESRCH, as if the process did not exist, and a signal
 * to a process group or to -1 reaches the application's processes in it
 * only. A signal to another of ours goes through a pidfd that was checked to
 * be that very process, so a pid the host has given to someone else in
 * between is never signalled. */

/* Send through a checked pidfd; info NULL: as kill() does. */
static long send_to(int pid, int sig, const struct ksiginfo *info)
{
	long fd = pidtab_pidfd(pid, 0);
	if (fd < 0)
		return fd == -EINVAL ? -ESRCH : fd;
	long r = host_zero("pidfd_send_signal", plat_signal_pidfd((int)fd, sig, info));
	plat_host_close((int)fd);
	return r;
}

/* kill(-pgrp) and kill(0): Linux's __kill_pgrp_info over our members. */
static long send_to_group(int pgrp, int sig, const struct ksiginfo *info)
{
	int pids[512];
	int n = pidtab_select(PIDTAB_PGRP, pgrp, pids, RT_ARRAY_LEN(pids));
	long r = -ESRCH;
	bool any = false;

	for (int i = 0; i < n; i++) {
		r = send_to(pids[i], sig, info);
		any |= r == 0;
	}
	return any ? 0 : r;
}

/* kill(-1): every process of ours but the caller. */
static long send_to_all(int sig)
{
	int pids[512], self = current()->proc->pid;
	int n = pidtab_select(PIDTAB_ALL, 0, pids, RT_ARRAY_LEN(pids));
	long r = 0;
	int count = 0;

	for (int i = 0; i < n; i++) {
		if (pids[i] == self)
			continue;
		long e = send_to(pids[i], sig, NULL);
		if (e == -ESRCH) /* gone meanwhile */
			continue;
		count++;
		if (e != -EPERM)
			r = e;
	}
	return count ? r : -ESRCH;
}

long sys_kill(struct sys_call *c)
{
	int pid = (int)c->a[0], sig = (int)c->a[1];

	if (pid == current()->proc->pid)
		return sys_forward(c);
	if (pid > 0)
		return send_to(pid, sig, NULL);
	if (sig < 0 || sig > K_NSIG)
		return -EINVAL;
	if (pid == 0) {
		long pgrp = host_pid("getpgid", plat_host_getpgrp());
		return pgrp < 0 ? pgrp : send_to_group((int)pgrp, sig, NULL);
	}
	if (pid == -1)
		return send_to_all(sig);
	if (pid == INT_MIN)
		return -ESRCH;
	return send_to_group(-pid, sig, NULL);
}

/* A thread of our own process: the kernel checks the rest. */
static bool own_thread(int tid)
{
	return tid == current()->tid || pidtab_tid_owner(tid) == current()->proc->pid;
}

/* A signal to thread tid of our process tgid: through a checked thread
 * pidfd where the kernel has them, else by number after a check. */
static long send_to_thread(int tgid, int tid, int sig, const struct ksiginfo *info)
{
	long fd = pidtab_thread_pidfd(tgid, tid);
	if (fd >= 0) {
		long r = host_zero("pidfd_send_signal", plat_signal_pidfd((int)fd, sig, info));
		plat_host_close((int)fd);
		return r;
	}
	if (fd != -ENOSYS || !pidtab_owned(tgid))
		return -ESRCH;
	return host_zero("tgkill", plat_signal_thread(tgid, tid, sig, info));
}

long sys_tkill(struct sys_call *c)
{
	int tid = (int)c->a[0];

	if (tid <= 0 || own_thread(tid))
		return sys_forward(c);
	long tgid = pidtab_tid_owner(tid);
	if (tgid < 0)
		return tgid;
	return send_to_thread((int)tgid, tid, (int)c->a[1], NULL);
}

long sys_tgkill(struct sys_call *c)
{
	int tgid = (int)c->a[0], tid = (int)c->a[1];

	if (tgid <= 0 || tid <= 0 || tgid == current()->proc->pid)
		return sys_forward(c);
	return send_to_thread(tgid, tid, (int)c->a[2], NULL);
}

long sys_rt_sigqueueinfo(struct sys_call *c)
{
	struct ksiginfo info;
	int pid = (int)c->a[0];
	long r = check_queued_info((int)c->a[1], (uintptr_t)c->a[2], &info);
	if (r)
		return r;
	if (pid <= 0 || pid == current()->proc->pid)
		return sys_host(c, c->a[0], c->a[1], (long)&info, 0, 0, 0);
	return send_to(pid, (int)c->a[1], &info);
}

long sys_rt_tgsigqueueinfo(struct sys_call *c)
{
	struct ksiginfo info;
	int tgid = (int)c->a[0];
	long r = check_queued_info((int)c->a[2], (uintptr_t)c->a[3], &info);
	if (r)
		return r;
	if (tgid <= 0 || (int)c->a[1] <= 0 || tgid == current()->proc->pid)
		return sys_host(c, c->a[0], c->a[1], c->a[2], (long)&info, 0, 0);
	return send_to_thread(tgid, (int)c->a[1], (int)c->a[2], &info);
}

#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP (1UL << 2)
#endif

long sys_pidfd_send_signal(struct sys_call *c)
{
	struct ksiginfo info, *pinfo = NULL;
	int sig = (int)c->a[1];

	if (c->a[2]) {
		long r = check_queued_info(sig, (uintptr_t)c->a[2], &info);
		if (r)
			return r;
		pinfo = &info;
	}
	long pid = pidtab_fd_target((int)c->a[0]);
	if (pid < 0)
		return pid; /* not a process of ours, or no pidfd at all */
	if ((unsigned long)c->a[3] & PIDFD_SIGNAL_PROCESS_GROUP) {
		/* the group may hold other host processes: ours only */
		struct pidtab_stat st;
		if ((unsigned long)c->a[3] & ~PIDFD_SIGNAL_PROCESS_GROUP)
			return -EINVAL;
		if (pidtab_stat((int)pid, &st))
			return -ESRCH;
		return send_to_group(st.pgrp, sig, pinfo);
	}
	/* through the application's own fd: it refers to a process of ours */
	return sys_host(c, c->a[0], c->a[1], (long)pinfo, c->a[3], 0, 0);
}
