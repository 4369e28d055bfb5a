/*
 * host.c - the direct platform's services: plain Linux system calls, and the
 * CPU's part (system call interception with Syscall User Dispatch, signal
 * entry). Each plat_* function here is what an OCALL would be on sgx.
 */
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <asm/prctl.h>

#include "../../common/exit.h"
#include "../../runtime/lib/rt.h"
#include "direct.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif

#define USER_CS 0x33
#define USER_DS 0x2b

void plat_log_write(int fd, const char *buf, size_t len)
{
	while (len && fd >= 0) {
		long r = sys3(__NR_write, fd, buf, len);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return;
		buf += r;
		len -= (size_t)r;
	}
}

static void scratch_release(void);

__attribute__((noreturn)) void plat_exit_group(int status)
{
	scratch_release(); /* a vfork child's is in its parent's memory */
	for (;;)
		sys1(__NR_exit_group, status);
}

__attribute__((noreturn)) void plat_thread_exit(int code)
{
	scratch_release();
	direct_exit_thread(code);
}

long plat_exec(int boot_fd, const char *title)
{
	char fdarg[32];
	rt_snprintf(fdarg, sizeof fdarg, "--boot-fd=%d", boot_fd);
	/* a lying host (fault.c) goes on lying to the next image */
	const char *argv[] = { "coffer-enclave", fdarg, title, direct_fault_arg(), NULL };
	const char *envp[] = { NULL };
	scratch_release(); /* a vfork child's is in its parent's memory */
	return sys3(__NR_execve, "/proc/self/exe", argv, envp);
}

long plat_mem_map(uintptr_t addr, size_t len, int prot, int flags, int fd, long off)
{
	long r = sys6(__NR_mmap, addr, len, prot, flags, fd, off);
	direct_maps_call(__NR_mmap, flags);
	return r;
}

long plat_mem_unmap(uintptr_t addr, size_t len)
{
	long r = sys2(__NR_munmap, addr, len);
	direct_maps_call(__NR_munmap, 0);
	return r;
}

long plat_mem_protect(uintptr_t addr, size_t len, int prot)
{
	long r = sys3(__NR_mprotect, addr, len, prot);
	direct_maps_call(__NR_mprotect, 0);
	return r;
}

long plat_mem_populate(uintptr_t addr, size_t len)
{
	return sys3(__NR_madvise, addr, len, 23 /* MADV_POPULATE_WRITE */);
}

long plat_mem_advise(uintptr_t addr, size_t len, int advice)
{
	return sys3(__NR_madvise, addr, len, advice);
}

long plat_mem_remap(uintptr_t old, size_t old_len, size_t new_len, int flags, uintptr_t new_addr)
{
	long r = sys5(__NR_mremap, old, old_len, new_len, flags, new_addr);
	direct_maps_call(__NR_mremap, 0);
	return r;
}

long plat_mem_incore(uintptr_t addr, size_t len, uint8_t *vec)
{
	return sys3(__NR_mincore, addr, len, (long)vec);
}

RT_HOT long plat_forward(long nr, const long a[6])
{
	struct plat_tls *t = plat_tls();
	for (;;) {
		t->plat_private[DIRECT_PRIV_STW] = 0;
		long r = direct_syscall_cp(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		direct_maps_call(nr, a[3]);
		/* only the platform's own stop-the-world signal ended it: again */
		if (r != -EINTR || !t->plat_private[DIRECT_PRIV_STW] || t->intr)
			return RT_UNLIKELY(direct_fault) ? direct_lie(nr, a, r, false) : r;
	}
}

RT_HOT long plat_forward_now(long nr, const long a[6])
{
	long r = direct_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	direct_maps_call(nr, a[3]);
	return RT_UNLIKELY(direct_fault) ? direct_lie(nr, a, r, true) : r;
}

bool plat_app_memory_shared(void)
{
	return true;
}

/*
 * The untrusted scratch: one anonymous mapping per thread, made on first
 * use and replaced by a larger one when a call needs more. Its address and
 * size live in plat_private[DIRECT_PRIV_SCRATCH] (address | log2 of the
 * size: the address is page aligned). It is ordinary memory outside the
 * runtime's ranges, as the untrusted side of an enclave is.
 */
#define SCRATCH_MIN_SHIFT 16

void *plat_untrusted_scratch(size_t len)
{
	uint64_t *slot = &plat_tls()->plat_private[DIRECT_PRIV_SCRATCH];
	uintptr_t base = *slot & ~(uintptr_t)(RT_PAGE_SIZE - 1);
	unsigned shift = (unsigned)(*slot & (RT_PAGE_SIZE - 1));

	if (base && len <= (1UL << shift))
		return (void *)base;
	if (len > (1UL << 32))
		return NULL;
	unsigned want = SCRATCH_MIN_SHIFT;
	while ((1UL << want) < len)
		want++;
	long m = sys6(__NR_mmap, 0, 1UL << want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m < 0 && m > -4096)
		return NULL;
	if (base)
		sys2(__NR_munmap, base, 1UL << shift);
	*slot = (uint64_t)m | want;
	return (void *)m;
}

static void scratch_release(void)
{
	uint64_t *slot = &plat_tls()->plat_private[DIRECT_PRIV_SCRATCH];
	if (*slot)
		sys2(__NR_munmap, *slot & ~(uint64_t)(RT_PAGE_SIZE - 1), 1UL << (*slot & (RT_PAGE_SIZE - 1)));
	*slot = 0;
}

long plat_random(void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		long r = sys3(__NR_getrandom, (char *)buf + got, len - got, 0);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return r ? r : -EIO;
		got += (size_t)r;
	}
	return 0;
}

/* ---- how the host shows us ------------------------------------------------ */

/* Read /proc/self/stat into buf; returns the text after the ") " that ends
 * the command name, or NULL. */
static char *self_stat(char *buf, size_t n)
{
	long fd = sys3(__NR_open, "/proc/self/stat", 0 /* O_RDONLY */, 0);
	if (fd < 0)
		return NULL;
	long len = sys3(__NR_read, fd, buf, n - 1);
	sys1(__NR_close, fd);
	if (len <= 0)
		return NULL;
	buf[len] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

void plat_describe_process(const struct plat_proc_view *v)
{
	const char *base = strrchr(v->name, '/');
	sys2(__NR_prctl, PR_SET_NAME, base ? base + 1 : v->name);

	/* PR_SET_MM_MAP replaces the whole set, so start from the current one
	 * (fields 26-28 and 45-51 of /proc/self/stat, counting from 1). */
	char buf[1024];
	char *p = self_stat(buf, sizeof buf);
	unsigned long f[52] = { 0 };
	for (int i = 3; p && *p && i < 52; i++) {
		long v_;
		char *e = strchr(p, ' ');
		if (e)
			*e = 0;
		f[i] = rt_parse_long(p, &v_) ? (unsigned long)v_ : 0;
		p = e ? e + 1 : NULL;
	}
	if (!f[26] || !f[45])
		return;
	struct prctl_mm_map map = {
		.start_code = f[26], .end_code = f[27], .start_stack = f[28],
		.start_data = f[45], .end_data = f[46], .start_brk = f[47],
		.brk = (uint64_t)sys1(__NR_brk, 0),
		.arg_start = v->arg_lo, .arg_end = v->arg_hi,
		.env_start = v->env_lo, .env_end = v->env_hi,
		.auxv = (__u64 *)v->auxv, .auxv_size = (uint32_t)v->auxv_bytes,
		.exe_fd = (uint32_t)-1,
	};
	sys5(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map, 0);
}

/* ---- threads ------------------------------------------------------------ */

long plat_thread_arm(struct plat_tls *t)
{
	t->self = t;
	t->alive = 1;
	sys1(__NR_set_tid_address, &t->alive);
	long r = sys2(__NR_arch_prctl, ARCH_SET_GS, t);
	if (r)
		return r;
	/* A forked child runs on the signal stack it inherited: keep it. */
	struct kstack ss = { .ss_sp = t->stack_lo, .ss_flags = 0, .ss_size = t->stack_hi - t->stack_lo };
	struct kstack cur;
	r = sys2(__NR_sigaltstack, NULL, &cur);
	if (r || cur.ss_sp != ss.ss_sp || cur.ss_size != ss.ss_size || (cur.ss_flags & K_SS_DISABLE))
		r = sys2(__NR_sigaltstack, &ss, NULL);
	if (r)
		return r;
	return sys5(__NR_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, direct_text_lo,
		    direct_text_hi - direct_text_lo, 0);
}

__attribute__((noreturn, used)) void direct_thread_entry(struct plat_tls *child);

void direct_thread_entry(struct plat_tls *child)
{
	long r = plat_thread_arm(child);
	if (r) {
		direct_early_error("coffer: cannot arm a new thread\n");
		plat_exit_group(COFFER_EXIT_ENCLAVE);
	}
	rt_thread_start(child);
}

long plat_thread_start(unsigned long flags, struct plat_tls *child, uintptr_t stack_top, int *ptid,
		       unsigned long tls)
{
	uint64_t *sp = (uint64_t *)(stack_top & ~(uintptr_t)15);
	sp -= 2;
	sp[0] = 0;
	sp[1] = (uint64_t)child;
	child->alive = 1;
	if (flags & CLONE_VM)
		direct_patch_sharing();
	flags = (flags & ~(unsigned long)CLONE_CHILD_SETTID) | CLONE_CHILD_CLEARTID;
	return direct_clone(flags, sp, ptid, &child->alive, tls);
}

long plat_fork(unsigned long flags, int *ptid, int *ctid, unsigned long tls, uint64_t *oldmask)
{
	direct_patch_lock(); /* no half-patched call site in the child */
	/* after the lock: a stop-the-world under way needs our SIGBUS */
	*oldmask = plat_sig_setmask(~0ULL);
	long r = sys5(__NR_clone, flags, 0, ptid, ctid, tls);
	if (r == 0 && !(flags & CLONE_VM))
		direct_patch_forked();
	direct_patch_unlock();
	return r;
}

void plat_enter_app(const struct kucontext *ctx)
{
	struct plat_tls *t = plat_tls();
	_Static_assert(sizeof(struct krt_sigframe) % 8 == 0, "frame");
	struct krt_sigframe frame __attribute__((aligned(64)));

	memset(&frame, 0, sizeof frame);
	frame.uc = *ctx;
	frame.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	frame.uc.uc_link = 0;
	frame.uc.uc_mcontext.cs = USER_CS;
	frame.uc.uc_mcontext.ss = USER_DS;
	frame.uc.uc_stack.ss_sp = t->stack_lo;
	frame.uc.uc_stack.ss_size = t->stack_hi - t->stack_lo;
	frame.uc.uc_stack.ss_flags = 0;
	direct_fix_return(&frame.uc);
	direct_load_context(&frame.uc);
}

/* ---- signals ------------------------------------------------------------ */

uint64_t plat_sig_reserved(void)
{
	return K_SIGBIT(K_SIGSYS) | K_SIGBIT(K_SIGSEGV) | K_SIGBIT(K_SIGBUS);
}

long plat_sig_set_mode(int sig, enum plat_sig_mode mode, unsigned long flags)
{
	struct ksigaction sa = { 0 };

	if (mode == PLAT_SIG_IGNORE) {
		sa.handler = K_SIG_IGN;
	} else if (mode == PLAT_SIG_RUNTIME) {
		sa.restorer = (uint64_t)direct_sigreturn;
		sa.flags = K_SA_SIGINFO | K_SA_ONSTACK | K_SA_RESTORER | flags;
		if (sig == K_SIGSYS) {
			/* Runs with the application's mask so that blocking host
			 * calls made on the application's behalf can be
			 * interrupted by its signals. */
			sa.handler = (uint64_t)direct_sigsys_entry;
			sa.flags |= K_SA_NODEFER;
			sa.mask = 0;
		} else {
			sa.handler = (uint64_t)direct_signal_entry;
			sa.mask = ~plat_sig_reserved();
		}
	} else {
		sa.flags = flags;
	}
	return sys4(__NR_rt_sigaction, sig, &sa, NULL, 8);
}

uint64_t plat_sig_setmask(uint64_t mask)
{
	uint64_t old = 0;
	sys4(__NR_rt_sigprocmask, K_SIG_SETMASK, &mask, &old, 8);
	return old;
}

static bool in_text(uintptr_t ip)
{
	return ip >= direct_text_lo && ip < direct_text_hi;
}

/* A signal reached runtime code: let the runtime hold it, then make sure the
 * held signal cannot be slept through (cp window) or missed on the way out
 * (exit window). */
static void on_runtime_signal(int sig, struct ksiginfo *info, struct kucontext *uc)
{
	if (!rt_on_signal(sig, info, uc, true)) {
		char msg[160];
		rt_snprintf(msg, sizeof msg,
			    "coffer: internal error: signal %d in the runtime at %p (address %p)\n", sig,
			    (void *)uc->uc_mcontext.rip, (void *)info->u.fault.addr);
		direct_early_error(msg);
		plat_sig_set_mode(sig, PLAT_SIG_DEFAULT, 0);
		uc->uc_sigmask &= ~K_SIGBIT(sig);
		sys3(__NR_tgkill, sys0(__NR_getpid), sys0(__NR_gettid), sig);
		return;
	}
	if (!plat_tls()->intr)
		return;
	uintptr_t ip = uc->uc_mcontext.rip;
	if (ip >= (uintptr_t)direct_cp_begin && ip < (uintptr_t)direct_cp_end)
		uc->uc_mcontext.rip = (uintptr_t)direct_cp_cancel;
	else if (ip >= (uintptr_t)direct_exitwin_begin && ip <= (uintptr_t)direct_exitwin_syscall)
		uc->uc_mcontext.rip = (uintptr_t)direct_exitwin_begin;
	else if (ip >= (uintptr_t)direct_fexit_begin && ip < (uintptr_t)direct_fexit_last)
		uc->uc_mcontext.rip = (uintptr_t)direct_fexit_begin;
}

__attribute__((used)) void direct_on_signal(int sig, struct ksiginfo *info, struct kucontext *uc);

void direct_on_signal(int sig, struct ksiginfo *info, struct kucontext *uc)
{
	/* The plain return of direct_signal_entry suits it: in application
	 * code no held signal waits (they are delivered before every return
	 * there), and on the resume stub the trap runs the exit window. */
	if (direct_stw_signal(info, uc, in_text(uc->uc_mcontext.rip)))
		return;
	if (!direct_fast_signal_fixup(uc) && in_text(uc->uc_mcontext.rip)) {
		on_runtime_signal(sig, info, uc);
		return;
	}
	rt_on_signal(sig, info, uc, false);
	direct_fix_return(uc);
}

/* Returns 0 when the exit window should run (the SIGSYS interrupted the
 * application: an intercepted call, or a SIGSYS someone sent it), 1 for a
 * plain return to interrupted runtime code. */
__attribute__((used)) int direct_on_sigsys(int sig, struct ksiginfo *info, struct kucontext *uc);

int direct_on_sigsys(int sig, struct ksiginfo *info, struct kucontext *uc)
{
	bool runtime = in_text(uc->uc_mcontext.rip);

	if (info->si_code == K_SYS_USER_DISPATCH && direct_fast_resume(uc))
		return 0; /* the slow exit of a call through a patched site */
	if (direct_fast_signal_fixup(uc)) {
		rt_on_signal(sig, info, uc, false);
		direct_fix_return(uc);
		return 0;
	}
	if (runtime) {
		on_runtime_signal(sig, info, uc);
		return 1;
	}
	if (info->si_code != K_SYS_USER_DISPATCH) {
		rt_on_signal(sig, info, uc, false);
		direct_fix_return(uc);
		return 0;
	}
	struct plat_tls *t = plat_tls();
	t->n_trapped++;
	t->app_ctx = uc;
	rt_on_syscall(uc);
	t->app_ctx = NULL;
	direct_fix_return(uc);
	return 0;
}
