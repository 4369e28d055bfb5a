/*
 * signal.c - the application's signals: dispositions, masks, the alternate
 * stack, holding, and delivery with Linux signal frames.
 *
 * Invariants:
 *  - thread->sigmask is the application's mask; the thread's host mask while
 *    application code runs is sig_host_mask(sigmask). Changing the mask inside
 *    a system call only edits the saved host mask in the SIGSYS frame, which
 *    the host installs atomically when the call returns.
 *  - the host disposition of a signal follows the application's (default,
 *    ignore, or "runtime" for a handler), except that SIGSYS, SIGSEGV and
 *    SIGBUS always reach the runtime (interception and fault fix-ups).
 *  - a signal that interrupts runtime code is only held: recorded in the
 *    thread, blocked in the interrupted runtime context, `intr` set. Nothing
 *    else happens in that handler (no locks, no allocation). Held signals are
 *    delivered by rt_deliver_held just before the return to the application;
 *    held signals the application has blocked by then go back to the kernel
 *    (rt_tgsigqueueinfo to itself keeps the siginfo), so the kernel remains
 *    the one place where blocked signals wait.
 *  - a frame for the application is laid out exactly as the kernel would
 *    (arch/x86/kernel/signal_64.c): red zone skipped, XSAVE area 64-byte
 *    aligned, struct rt_sigframe below it, %rsp + 8 16-byte aligned.
 */
#include "../mm/mm.h"
#include "../syscall/sys.h"
#include "proc.h"

#define UNBLOCKABLE (K_SIGBIT(K_SIGKILL) | K_SIGBIT(K_SIGSTOP))
#define SYNC_SIGNALS                                                                 \
	(K_SIGBIT(K_SIGSEGV) | K_SIGBIT(K_SIGBUS) | K_SIGBIT(K_SIGILL) | K_SIGBIT(K_SIGFPE) | \
	 K_SIGBIT(K_SIGTRAP))
#define MINSIGSTKSZ 2048

static bool reserved(int sig)
{
	return plat_sig_reserved() & K_SIGBIT(sig);
}

uint64_t sig_host_mask(uint64_t app_mask)
{
	return app_mask & ~plat_sig_reserved() & ~UNBLOCKABLE;
}

enum dfl { DFL_TERM, DFL_CORE, DFL_IGN, DFL_STOP };

static enum dfl default_action(int sig)
{
	switch (sig) {
	case K_SIGCHLD:
	case K_SIGURG:
	case K_SIGWINCH:
	case K_SIGCONT:
		return DFL_IGN;
	case K_SIGSTOP:
	case K_SIGTSTP:
	case K_SIGTTIN:
	case K_SIGTTOU:
		return DFL_STOP;
	case K_SIGQUIT:
	case K_SIGILL:
	case K_SIGTRAP:
	case K_SIGABRT:
	case K_SIGBUS:
	case K_SIGFPE:
	case K_SIGSEGV:
	case K_SIGXCPU:
	case K_SIGXFSZ:
	case K_SIGSYS:
		return DFL_CORE;
	default:
		return DFL_TERM;
	}
}

static void set_host_mode(int sig, const struct ksigaction *act)
{
	unsigned long extra = 0;

	if (sig == K_SIGKILL || sig == K_SIGSTOP)
		return;
	if (sig == K_SIGCHLD)
		extra = act->flags & (K_SA_NOCLDSTOP | K_SA_NOCLDWAIT);
	if (reserved(sig))
		plat_sig_set_mode(sig, PLAT_SIG_RUNTIME, 0);
	else if (act->handler == K_SIG_IGN)
		plat_sig_set_mode(sig, PLAT_SIG_IGNORE, 0);
	else if (act->handler == K_SIG_DFL)
		plat_sig_set_mode(sig, PLAT_SIG_DEFAULT, extra);
	else
		plat_sig_set_mode(sig, PLAT_SIG_RUNTIME, extra);
}

void sig_boot(struct rt_proc *p, uint64_t app_mask, uint64_t ignored)
{
	struct rt_thread *t = current();

	/* The host's dispositions are what execve left: default, or ignore for
	 * the signals the boot block lists as ignored. Only the signals the
	 * platform reserves need to change. */
	for (int sig = 1; sig <= K_NSIG; sig++) {
		struct ksigaction *a = &p->sigact[sig - 1];
		memset(a, 0, sizeof *a);
		if (sig == K_SIGKILL || sig == K_SIGSTOP)
			continue;
		if (ignored & K_SIGBIT(sig))
			a->handler = K_SIG_IGN;
		if (reserved(sig))
			set_host_mode(sig, a);
	}
	t->sigmask = app_mask & ~UNBLOCKABLE;
	t->altstack.ss_flags = K_SS_DISABLE;
}

uint64_t sig_ignored_set(struct rt_proc *p)
{
	uint64_t set = 0;

	rt_lock(&p->lock);
	for (int sig = 1; sig <= K_NSIG; sig++)
		if (p->sigact[sig - 1].handler == K_SIG_IGN)
			set |= K_SIGBIT(sig);
	rt_unlock(&p->lock);
	return set;
}

static struct ksigaction get_action(struct rt_proc *p, int sig)
{
	rt_lock(&p->lock);
	struct ksigaction a = p->sigact[sig - 1];
	rt_unlock(&p->lock);
	return a;
}

void sig_update_intr(struct rt_thread *t)
{
	uint64_t held = __atomic_load_n(&t->held, __ATOMIC_RELAXED);
	uint64_t stuck = held & t->sigmask & plat_sig_reserved();
	if (held & ~stuck)
		t->tls.intr = 1;
}

/* ---- holding (runs in a host handler that interrupted runtime code) ----- */

static void hold(struct rt_thread *t, int sig, const struct ksiginfo *info)
{
	uint64_t bit = K_SIGBIT(sig);
	if (!(__atomic_load_n(&t->held, __ATOMIC_RELAXED) & bit))
		t->held_info[sig - 1] = *info;
	__atomic_or_fetch(&t->held, bit, __ATOMIC_SEQ_CST);
	t->tls.intr = 1;
}

/* Was this signal sent to the thread (tgkill, a fault, SIGPIPE) rather than
 * to the process? siginfo does not say; these are the cases Linux queues on
 * the thread. Everything else waits in the process's shared queue, where
 * another thread that does not block it may take it. */
static bool thread_directed(int sig, const struct ksiginfo *info)
{
	return info->si_code == K_SI_TKILL || sig == K_SIGPIPE ||
	       ((SYNC_SIGNALS & K_SIGBIT(sig)) && info->si_code > 0);
}

/* Hand a held signal the application now blocks back to the kernel, where a
 * blocked signal waits. The kernel takes any siginfo a thread queues to
 * itself; rt_sigqueueinfo addressed to our own tid still queues on the whole
 * process (it is kill_pid_info on the thread group). */
static void requeue(struct rt_thread *t, int sig, struct ksiginfo *info)
{
	long r = thread_directed(sig, info)
			 ? plat_signal_thread(t->proc->pid, t->tid, sig, info)
			 : plat_signal_process(t->tid, sig, info);
	if (r)
		log_warn("signal %d could not be queued again (%ld) and is lost", sig, r);
}

/* ---- default actions ------------------------------------------------------ */

/* Let the host carry out the default action: terminate (with a core dump
 * where Linux makes one) or stop. */
static void host_default(struct rt_thread *t, struct kucontext *ctx, int sig)
{
	struct rt_proc *p = t->proc;
	struct ksigaction dfl = { 0 };

	rt_lock(&p->lock);
	p->sigact[sig - 1] = dfl;
	rt_unlock(&p->lock);
	plat_sig_set_mode(sig, PLAT_SIG_DEFAULT, 0);
	ctx->uc_sigmask &= ~K_SIGBIT(sig);
	plat_signal_thread(p->pid, t->tid, sig, NULL);
}

static void dispatch(struct rt_thread *t, struct kucontext *ctx, int sig, struct ksiginfo *info);

/* Linux's force_sigsegv: the frame for `sig` (0: a sigreturn) could not be
 * written or read. When that was SIGSEGV's own frame the process dies of it;
 * otherwise the program gets a SIGSEGV from the kernel, which its handler
 * may take, unless it blocks or ignores SIGSEGV: then the default action. */
static void force_sigsegv(struct rt_thread *t, struct kucontext *ctx, int sig)
{
	log_debug("cannot use a signal frame on the application's stack (signal %d): SIGSEGV", sig);
	if (sig == K_SIGSEGV) {
		host_default(t, ctx, K_SIGSEGV);
		return;
	}
	struct rt_proc *p = t->proc;
	uint64_t bit = K_SIGBIT(K_SIGSEGV);
	rt_lock(&p->lock);
	if (p->sigact[K_SIGSEGV - 1].handler == K_SIG_IGN || (t->sigmask & bit)) {
		struct ksigaction dfl = { 0 };
		p->sigact[K_SIGSEGV - 1] = dfl;
		set_host_mode(K_SIGSEGV, &dfl);
	}
	rt_unlock(&p->lock);
	t->sigmask &= ~bit;
	ctx->uc_sigmask = sig_host_mask(t->sigmask);
	struct ksiginfo info = { .si_signo = K_SIGSEGV, .si_code = K_SI_KERNEL };
	dispatch(t, ctx, K_SIGSEGV, &info);
}

/* ---- frames --------------------------------------------------------------- */

size_t sig_fpstate_size(const uint8_t *fp)
{
	const struct kfpx_sw_bytes *sw = (const void *)(fp + FPX_SW_OFFSET);

	if (sw->magic1 != FP_XSTATE_MAGIC1 || sw->extended_size < FXSAVE_SIZE + 64 + 4 ||
	    sw->extended_size > (64u << 10) || sw->xstate_size + 4 != sw->extended_size)
		return FXSAVE_SIZE;
	if (*(const uint32_t *)(fp + sw->xstate_size) != FP_XSTATE_MAGIC2)
		return FXSAVE_SIZE;
	return sw->extended_size;
}

/* __on_sig_stack: is sp inside the alternate stack? */
static bool in_altstack(const struct rt_thread *t, uintptr_t sp)
{
	const struct kstack *a = &t->altstack;
	return !(a->ss_flags & K_SS_DISABLE) && a->ss_size && sp > a->ss_sp && sp - a->ss_sp <= a->ss_size;
}

/* on_sig_stack: with SS_AUTODISARM a thread is never "on" its alternate stack
 * (the stack is disarmed while a handler runs on it). */
static bool on_altstack(const struct rt_thread *t, uintptr_t sp)
{
	return !(t->altstack.ss_flags & K_SS_AUTODISARM) && in_altstack(t, sp);
}

/* The FPU state a handler starts with, as Linux gives it (fpu__clear_user_
 * states): x87 control word 0x37f, MXCSR 0x1f80, every register clear, and an
 * XSAVE header that marks all components as in their initial state. The
 * software trailer and the header's format fields stay: the kernel checks
 * them when this frame is restored. */
static void fpu_init_image(uint8_t *fp, size_t size)
{
	uint32_t mxcsr_mask = *(uint32_t *)(fp + 28);
	memset(fp, 0, 416); /* control/status words, st0-7, xmm0-15 */
	*(uint16_t *)fp = 0x37f;
	*(uint32_t *)(fp + 24) = 0x1f80;
	*(uint32_t *)(fp + 28) = mxcsr_mask;
	if (size > FXSAVE_SIZE)
		*(uint64_t *)(fp + FXSAVE_SIZE) = 0; /* XSTATE_BV: all in init state */
}

bool sig_deliver(struct rt_thread *t, struct kucontext *ctx, int sig, const struct ksiginfo *info,
		 const struct ksigaction *action)
{
	struct ksigcontext *m = &ctx->uc_mcontext;
	struct ksigaction act = *action;
	uintptr_t sp = m->rsp - 128; /* red zone */
	bool was_on = on_altstack(t, m->rsp);
	bool nested_alt = in_altstack(t, m->rsp), entering_alt = false;

	if (!(act.flags & K_SA_RESTORER))
		return false; /* x86-64 Linux: no restorer means SIGSEGV */
	if ((act.flags & K_SA_ONSTACK) && !(t->altstack.ss_flags & K_SS_DISABLE) && t->altstack.ss_size &&
	    !was_on) {
		sp = t->altstack.ss_sp + t->altstack.ss_size;
		entering_alt = true;
	}

	const uint8_t *hfp = (const uint8_t *)m->fpstate;
	size_t fpsize = hfp ? sig_fpstate_size(hfp) : 0;
	uintptr_t ufp = 0;
	if (hfp) {
		sp = RT_ALIGN_DOWN(sp - fpsize, 64);
		ufp = sp;
	}
	sp -= sizeof(struct krt_sigframe);
	sp = RT_ALIGN_DOWN(sp, 16) - 8;
	/* A frame that does not fit on the alternate stack would overwrite
	 * whatever lies below it: Linux kills with SIGSEGV instead. */
	if ((nested_alt || entering_alt) && !in_altstack(t, sp))
		return false;

	struct krt_sigframe fr;
	memset(&fr, 0, sizeof fr);
	fr.pretcode = act.restorer;
	fr.uc.uc_flags = ctx->uc_flags;
	fr.uc.uc_stack.ss_sp = t->altstack.ss_sp;
	fr.uc.uc_stack.ss_size = t->altstack.ss_size;
	fr.uc.uc_stack.ss_flags = (t->altstack.ss_flags & K_SS_DISABLE) ? K_SS_DISABLE
				  : was_on                           ? K_SS_ONSTACK
								     : 0;
	fr.uc.uc_stack.ss_flags |= (int32_t)(t->altstack.ss_flags & K_SS_AUTODISARM);
	fr.uc.uc_mcontext = *m;
	fr.uc.uc_mcontext.fpstate = ufp;
	uint64_t frame_mask = t->restore_mask ? t->saved_mask : t->sigmask;
	fr.uc.uc_sigmask = frame_mask;
	fr.uc.uc_mcontext.oldmask = frame_mask;
	fr.info = *info;

	if ((hfp && uaccess_copy_to(ufp, hfp, fpsize)) || uaccess_copy_to(sp, &fr, sizeof fr))
		return false;
	if (hfp)
		fpu_init_image((uint8_t *)hfp, fpsize);

	m->rip = act.handler;
	m->rsp = sp;
	m->rdi = (uint64_t)sig;
	m->rsi = sp + offsetof(struct krt_sigframe, info);
	m->rdx = sp + offsetof(struct krt_sigframe, uc);
	m->rax = 0;
	m->eflags &= ~(K_EFLAGS_DF | K_EFLAGS_TF | K_EFLAGS_RF);

	if (t->altstack.ss_flags & K_SS_AUTODISARM) { /* at every delivery, as Linux */
		t->altstack.ss_sp = 0;
		t->altstack.ss_size = 0;
		t->altstack.ss_flags = K_SS_DISABLE;
	}
	uint64_t mask = t->sigmask | act.mask;
	if (!(act.flags & K_SA_NODEFER))
		mask |= K_SIGBIT(sig);
	t->sigmask = mask & ~UNBLOCKABLE;
	t->restore_mask = false;
	ctx->uc_sigmask = sig_host_mask(t->sigmask);
	return true;
}

/* Act on one signal for the application, in application context. */
static void dispatch(struct rt_thread *t, struct kucontext *ctx, int sig, struct ksiginfo *info)
{
	struct rt_proc *p = t->proc;
	bool blocked = t->sigmask & K_SIGBIT(sig);

	/* Read the action, and reset it for SA_RESETHAND, in one step: another
	 * thread's sigaction must not slip in between. */
	rt_lock(&p->lock);
	struct ksigaction act = p->sigact[sig - 1];
	bool handler = act.handler != K_SIG_IGN && act.handler != K_SIG_DFL;
	if (handler && !blocked && (act.flags & K_SA_RESETHAND)) {
		struct ksigaction dfl = { 0 };
		p->sigact[sig - 1] = dfl;
		set_host_mode(sig, &dfl);
	}
	rt_unlock(&p->lock);

	if (act.handler == K_SIG_IGN)
		return;
	if (act.handler == K_SIG_DFL) {
		if (default_action(sig) != DFL_IGN)
			host_default(t, ctx, sig);
		return;
	}
	if (blocked) {
		/* SIGSEGV, SIGBUS and SIGSYS cannot wait in the kernel (the host
		 * never blocks them): they wait here until unblocked. */
		if (reserved(sig))
			hold(t, sig, info);
		else
			requeue(t, sig, info);
		return;
	}
	if (!sig_deliver(t, ctx, sig, info, &act))
		force_sigsegv(t, ctx, sig);
}

void sig_thread_exit(struct rt_thread *t)
{
	/* Signals for the process must go to a thread that stays: block all
	 * but SIGSEGV and SIGBUS. Those stay open so that a fault on the way
	 * out still reaches the runtime's handler, which says where it was (a
	 * fault with its signal blocked ends the process at once, with no
	 * word); one of them sent to the process that lands here is sent on
	 * (rt_on_signal). */
	__atomic_store_n(&t->exiting, true, __ATOMIC_SEQ_CST);
	plat_sig_setmask(~(K_SIGBIT(K_SIGSEGV) | K_SIGBIT(K_SIGBUS)));
	uint64_t held = __atomic_exchange_n(&t->held, 0, __ATOMIC_SEQ_CST);
	while (held) {
		int sig = __builtin_ctzll(held) + 1;
		held &= ~K_SIGBIT(sig);
		if (!thread_directed(sig, &t->held_info[sig - 1]))
			requeue(t, sig, &t->held_info[sig - 1]);
	}
}

void sig_after_fork_child(struct rt_thread *t)
{
	/* A child does not inherit its parent's pending signals. */
	__atomic_store_n(&t->held, 0, __ATOMIC_SEQ_CST);
	t->tls.intr = 0;
}

void rt_deliver_held(struct kucontext *ctx)
{
	struct rt_thread *t = current();

	t->tls.intr = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	uint64_t held = __atomic_load_n(&t->held, __ATOMIC_SEQ_CST);
	while (held) {
		int sig = __builtin_ctzll(held) + 1;
		uint64_t bit = K_SIGBIT(sig);
		held &= ~bit;
		if ((t->sigmask & bit) && reserved(sig))
			continue; /* waits in the runtime until unblocked */
		struct ksiginfo info = t->held_info[sig - 1];
		__atomic_and_fetch(&t->held, ~bit, __ATOMIC_SEQ_CST);
		dispatch(t, ctx, sig, &info);
	}
	if (t->restore_mask) {
		/* a wait with a temporary mask ended without a handler */
		t->sigmask = t->saved_mask;
		t->restore_mask = false;
		ctx->uc_sigmask = sig_host_mask(t->sigmask);
	}
}

static bool is_fault(int sig, const struct ksiginfo *info)
{
	return (SYNC_SIGNALS & K_SIGBIT(sig)) && info->si_code > 0;
}

bool rt_on_signal(int sig, struct ksiginfo *info, struct kucontext *ctx, bool in_runtime)
{
	struct rt_thread *t = current();

	if (sig < 1 || sig > K_NSIG)
		return true;
	if (in_runtime) {
		if (is_fault(sig, info)) {
			uintptr_t fix = uaccess_fixup(ctx->uc_mcontext.rip);
			if (!fix)
				return false;
			ctx->uc_mcontext.rip = fix;
			return true;
		}
		if (__atomic_load_n(&t->exiting, __ATOMIC_SEQ_CST)) {
			/* the thread is on its way out: one for the process goes
			 * back to it, as in sig_thread_exit; one for the thread
			 * ends with it, as in Linux */
			if (!thread_directed(sig, info))
				requeue(t, sig, info);
			return true;
		}
		hold(t, sig, info);
		if (!reserved(sig))
			ctx->uc_sigmask |= K_SIGBIT(sig);
		return true;
	}
	if (is_fault(sig, info)) {
		struct ksigaction act = get_action(t->proc, sig);
		if (act.handler == K_SIG_DFL || act.handler == K_SIG_IGN || (t->sigmask & K_SIGBIT(sig))) {
			/* Linux says this in the kernel's log (show_signal_msg);
			 * the run's log says it too, where the program was */
			log_info("the program faulted: signal %d (code %d) at %p, address %p, thread %d; it ends", sig,
				 info->si_code, (void *)ctx->uc_mcontext.rip, (void *)info->u.fault.addr, t->tid);
			host_default(t, ctx, sig); /* as Linux's force_sig */
			return true;
		}
	}
	dispatch(t, ctx, sig, info);
	if (t->tls.intr)
		rt_deliver_held(ctx);
	return true;
}

bool sig_restart_after_eintr(struct rt_thread *t)
{
	uint64_t pending = __atomic_load_n(&t->held, __ATOMIC_SEQ_CST) & ~t->sigmask;

	if (!pending)
		return true; /* no handler will run: Linux restarts transparently */
	int sig = __builtin_ctzll(pending) + 1;
	struct ksigaction act = get_action(t->proc, sig);
	if (act.handler == K_SIG_IGN || act.handler == K_SIG_DFL)
		return true;
	return (act.flags & K_SA_RESTART) != 0;
}

void sig_wait_mask_begin(struct rt_thread *t, uint64_t mask)
{
	t->saved_mask = t->sigmask;
	t->restore_mask = true;
	t->sigmask = mask & ~UNBLOCKABLE;
	sig_update_intr(t);
}

void sig_wait_mask_end(struct rt_thread *t, long result)
{
	/* Interrupted by a held signal: the delivery puts the old mask into the
	 * handler's frame. Otherwise the old mask comes back now. */
	if (result == -EINTR && t->tls.intr)
		return;
	t->sigmask = t->saved_mask;
	t->restore_mask = false;
}

/* ---- operations behind the system calls --------------------------------- */

long sig_action(int sig, const struct ksigaction *act, struct ksigaction *old)
{
	if (sig < 1 || sig > K_NSIG)
		return -EINVAL;
	if (act && (sig == K_SIGKILL || sig == K_SIGSTOP))
		return -EINVAL;
	struct rt_proc *p = current()->proc;
	rt_lock(&p->lock);
	if (old)
		*old = p->sigact[sig - 1];
	if (act) {
		p->sigact[sig - 1] = *act;
		p->sigact[sig - 1].mask &= ~UNBLOCKABLE;
		set_host_mode(sig, act);
	}
	rt_unlock(&p->lock);
	return 0;
}

void sig_set_mask(struct rt_thread *t, struct kucontext *ctx, uint64_t mask)
{
	t->sigmask = mask & ~UNBLOCKABLE;
	ctx->uc_sigmask = sig_host_mask(t->sigmask);
	sig_update_intr(t);
}

static long restore_fpstate(struct kucontext *ctx, uintptr_t ufp)
{
	uint8_t *hfp = (uint8_t *)ctx->uc_mcontext.fpstate;

	if (!hfp || !ufp)
		return 0;
	size_t size = sig_fpstate_size(hfp);
	struct kfpx_sw_bytes sw = *(struct kfpx_sw_bytes *)(hfp + FPX_SW_OFFSET);
	uint32_t mxcsr_mask = *(uint32_t *)(hfp + 28);
	uint8_t xhdr_tail[56];
	bool xsave = size > FXSAVE_SIZE;

	if (xsave)
		memcpy(xhdr_tail, hfp + FXSAVE_SIZE + 8, sizeof xhdr_tail);
	if (uaccess_copy_from(hfp, ufp, xsave ? size - 4 : FXSAVE_SIZE))
		return -EFAULT;
	/* Keep what the kernel checks on its way back: the software trailer,
	 * the XSAVE header's format fields, legal MXCSR bits. */
	*(struct kfpx_sw_bytes *)(hfp + FPX_SW_OFFSET) = sw;
	*(uint32_t *)(hfp + 24) &= mxcsr_mask ? mxcsr_mask : 0xffbf;
	*(uint32_t *)(hfp + 28) = mxcsr_mask;
	if (xsave) {
		*(uint64_t *)(hfp + FXSAVE_SIZE) &= sw.xfeatures;
		memcpy(hfp + FXSAVE_SIZE + 8, xhdr_tail, sizeof xhdr_tail);
		*(uint32_t *)(hfp + sw.xstate_size) = FP_XSTATE_MAGIC2;
	}
	return 0;
}

void sig_return(struct rt_thread *t, struct kucontext *ctx)
{
	struct ksigcontext *m = &ctx->uc_mcontext;
	struct kucontext uc;

	/* The restorer's `ret` popped pretcode: %rsp points at the ucontext. */
	if (uaccess_copy_from(&uc, m->rsp, sizeof uc) || restore_fpstate(ctx, uc.uc_mcontext.fpstate)) {
		force_sigsegv(t, ctx, 0);
		return;
	}
	struct ksigcontext *u = &uc.uc_mcontext;
	m->r8 = u->r8, m->r9 = u->r9, m->r10 = u->r10, m->r11 = u->r11;
	m->r12 = u->r12, m->r13 = u->r13, m->r14 = u->r14, m->r15 = u->r15;
	m->rdi = u->rdi, m->rsi = u->rsi, m->rbp = u->rbp, m->rbx = u->rbx;
	m->rdx = u->rdx, m->rax = u->rax, m->rcx = u->rcx, m->rsp = u->rsp;
	m->rip = u->rip;
	m->eflags = (m->eflags & ~K_EFLAGS_FIX) | (u->eflags & K_EFLAGS_FIX);
	t->restore_mask = false;
	sig_set_mask(t, ctx, uc.uc_sigmask);

	/* The alternate stack as the frame recorded it (Linux ignores errors). */
	struct kstack *s = &uc.uc_stack;
	if (!on_altstack(t, m->rsp)) {
		if (s->ss_flags & K_SS_DISABLE) {
			t->altstack.ss_flags = K_SS_DISABLE;
		} else if (s->ss_size >= MINSIGSTKSZ) {
			t->altstack.ss_sp = s->ss_sp;
			t->altstack.ss_size = s->ss_size;
			t->altstack.ss_flags = s->ss_flags & (int32_t)K_SS_AUTODISARM;
		}
	}
}

long sig_altstack(struct rt_thread *t, uintptr_t sp, const struct kstack *ss, struct kstack *old)
{
	bool on = on_altstack(t, sp);

	if (old) {
		*old = t->altstack;
		if (old->ss_flags & K_SS_DISABLE) {
			old->ss_sp = 0;
			old->ss_size = 0;
			old->ss_flags = K_SS_DISABLE;
		} else {
			old->ss_flags = (on ? K_SS_ONSTACK : 0) | (old->ss_flags & (int32_t)K_SS_AUTODISARM);
		}
	}
	if (!ss)
		return 0;
	if (on)
		return -EPERM;
	int32_t mode = ss->ss_flags & ~(int32_t)K_SS_AUTODISARM;
	if (mode != 0 && mode != K_SS_DISABLE && mode != K_SS_ONSTACK)
		return -EINVAL;
	if (mode == K_SS_DISABLE) {
		t->altstack.ss_sp = 0;
		t->altstack.ss_size = 0;
		t->altstack.ss_flags = K_SS_DISABLE;
		return 0;
	}
	if (ss->ss_size < MINSIGSTKSZ)
		return -ENOMEM;
	t->altstack.ss_sp = ss->ss_sp;
	t->altstack.ss_size = ss->ss_size;
	t->altstack.ss_flags = ss->ss_flags & (int32_t)K_SS_AUTODISARM;
	return 0;
}

int sig_take_held(struct rt_thread *t, uint64_t set, struct ksiginfo *info)
{
	uint64_t held = __atomic_load_n(&t->held, __ATOMIC_SEQ_CST) & set;
	if (!held)
		return 0;
	int sig = __builtin_ctzll(held) + 1;
	*info = t->held_info[sig - 1];
	__atomic_and_fetch(&t->held, ~K_SIGBIT(sig), __ATOMIC_SEQ_CST);
	return sig;
}
