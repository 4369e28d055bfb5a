/*
 * signal.c - the signal system calls: argument copying and checking around
 * the operations in runtime/proc/signal.c, which explains the design.
 */
#include "../mm/mm.h"
#include "../proc/proc.h"
#include "sys.h"

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
	long r = plat_call(__NR_rt_sigpending, (long)&set, 8, 0, 0, 0, 0);
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

long sys_rt_sigqueueinfo(struct sys_call *c)
{
	struct ksiginfo info;
	long r = check_queued_info((int)c->a[1], (uintptr_t)c->a[2], &info);
	return r ? r : sys_host(c, c->a[0], c->a[1], (long)&info, 0, 0, 0);
}

long sys_rt_tgsigqueueinfo(struct sys_call *c)
{
	struct ksiginfo info;
	long r = check_queued_info((int)c->a[2], (uintptr_t)c->a[3], &info);
	return r ? r : sys_host(c, c->a[0], c->a[1], c->a[2], (long)&info, 0, 0);
}

long sys_pidfd_send_signal(struct sys_call *c)
{
	struct ksiginfo info;
	if (!c->a[2])
		return sys_forward(c);
	long r = check_queued_info((int)c->a[1], (uintptr_t)c->a[2], &info);
	return r ? r : sys_host(c, c->a[0], c->a[1], (long)&info, c->a[3], 0, 0);
}
