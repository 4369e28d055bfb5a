/*
 * dispatch.c - from an intercepted system call to its handler and back.
 *
 * rt_on_syscall runs on the runtime's signal stack with the application's
 * registers in ctx. It looks the call up in sys_table, checks the arguments
 * against the entry's description (sys.h), runs the handler, optionally
 * prints a trace line, and stores the result in rax. A blocking call that a
 * signal for the application interrupted comes back with -EINTR; if Linux
 * would restart it (SA_RESTART), %rip is moved back onto the `syscall`
 * instruction so that it runs again after the handler.
 *
 * This is the hot path: no allocation, no locks beyond the fd table's, and
 * the trace check is a single branch.
 */
#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../proc/proc.h"
#include "sys.h"
#include "../lib/host.h"

bool sys_trace;
bool sys_patch;

#define SC(nr, n, h, spec, fl) [nr] = { #n, h, spec, fl, NULL },
#define FWD(nr, n, spec, fl) [nr] = { #n, sys_forward, spec, fl, NULL },
#define NOSYS(nr, n, spec, note) [nr] = { #n, sys_enosys, spec, 0, note },
#define FALLBACK(nr, n, spec, note) [nr] = { #n, sys_enosys, spec, SYS_QUIET, note },
const struct sys_entry sys_table[SYS_NR_MAX] = {
#include "table.h"
};
#undef SC
#undef FWD
#undef NOSYS
#undef FALLBACK

/* Every forwarded call goes through the marshaller (marshal.c). */
RT_HOT long sys_host(struct sys_call *c, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long a[6] = { a0, a1, a2, a3, a4, a5 };
	return marshal_forward(c, a);
}

long sys_host_now(struct sys_call *c, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long a[6] = { a0, a1, a2, a3, a4, a5 };
	return marshal_forward_now(c, a);
}

/* Call nr on the application's behalf from inside another call's handler
 * (an fstat for newfstatat's empty path): the same marshaller, with every
 * pointer a runtime buffer of the handler's. */
long sys_host_nr(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	struct sys_call c = { .nr = nr, .e = &sys_table[nr] };
	long a[6] = { a0, a1, a2, a3, a4, a5 };
	return marshal_forward(&c, a);
}

RT_HOT long sys_forward(struct sys_call *c)
{
	return marshal_forward(c, c->a); /* the arguments as they are: no copy */
}

/* Warn once per call number and process (the bitmap is copied by fork). */
static uint64_t warned[(SYS_NR_MAX + 63) / 64 + 1];

static bool first_time(long nr)
{
	unsigned long i = (unsigned long)nr < SYS_NR_MAX ? (unsigned long)nr : SYS_NR_MAX;
	uint64_t bit = 1ULL << (i % 64);
	uint64_t old = __atomic_fetch_or(&warned[i / 64], bit, __ATOMIC_RELAXED);
	return !(old & bit);
}

long sys_enosys(struct sys_call *c)
{
	if (!first_time(c->nr))
		return -ENOSYS;
	if (c->e->flags & SYS_QUIET)
		log_debug("%s (%ld): not supported, returning ENOSYS (%s)", c->e->name, c->nr, c->e->note);
	else
		log_warn("system call %s (%ld) is not supported, returning ENOSYS: %s", c->e->name, c->nr,
			 c->e->note);
	return -ENOSYS;
}

static long sys_unknown(struct sys_call *c)
{
	if (first_time(c->nr))
		log_warn("unknown system call %ld, returning ENOSYS", c->nr);
	return -ENOSYS;
}

RT_HOT static bool buffer_ok(uintptr_t p, unsigned long len)
{
	return mm_user_ok(p, RT_MIN(len, (unsigned long)MAX_RW_COUNT));
}

/* The kernel may read the iovec array again after this check; on direct the
 * application shares the runtime's address space anyway, so this guards
 * against mistakes, not malice. The sgx platform copies instead. */
long sys_check_iov(uintptr_t uiov, long cnt, bool kernel_writes)
{
	struct kiovec iov[32];

	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	for (long i = 0; i < cnt; i += 32) {
		long n = RT_MIN(cnt - i, 32);
		if (uaccess_copy_from(iov, uiov + (uintptr_t)i * sizeof iov[0], (size_t)n * sizeof iov[0]))
			return -EFAULT;
		if (!kernel_writes)
			continue;
		for (long j = 0; j < n; j++)
			if (iov[j].len && !buffer_ok(iov[j].base, iov[j].len))
				return -EFAULT;
	}
	return 0;
}

/*
 * A memory range ('m') that is not the application's may still be one the
 * kernel refuses on its own, before it looks at any mapping: an unaligned
 * start (every call but the mlock family, which rounds down) or a length
 * that wraps around. Those go to the host, which gives Linux's own answer
 * (EINVAL for most, ENOMEM for mprotect and msync); a real range over the
 * runtime's memory is ENOMEM, as for a hole.
 */
static bool kernel_refuses_range(const struct sys_entry *e, uintptr_t v, size_t len)
{
	size_t aligned = (len + RT_PAGE_SIZE - 1) & ~(size_t)(RT_PAGE_SIZE - 1);
	if (v + aligned < v || aligned < len)
		return true;
	bool rounds = e == &sys_table[__NR_mlock] || e == &sys_table[__NR_munlock] ||
		      e == &sys_table[__NR_mlock2];
	return !rounds && (v & (RT_PAGE_SIZE - 1));
}

RT_HOT static long check_args(const struct sys_entry *e, const long *a)
{
	/* A refused call is refused whatever its arguments: Linux answers
	 * ENOSYS before it looks at them, and programs probe for a call
	 * with dummy ones (an fd of -1, a NULL buffer). */
	if (e->handler == sys_enosys)
		return 0;
	for (int i = 0; i < 6 && e->spec[i]; i++) {
		uintptr_t v = (uintptr_t)a[i];
		long r;
		switch (e->spec[i]) {
		case 'f':
			if (!fd_owned((int)a[i], false))
				return -EBADF;
			break;
		case 'F':
			if ((int)a[i] != -1 && !fd_owned((int)a[i], false))
				return -EBADF;
			break;
		case 'D':
			/* A directory fd before a path is checked by the path's
			 * resolution, as Linux does it: after the path is read,
			 * and only when the path is relative (or empty with
			 * AT_EMPTY_PATH). */
			if (e->spec[i + 1] != 'P' && (int)a[i] != VFS_AT_FDCWD && !fd_owned((int)a[i], false))
				return -EBADF;
			break;
		case 'a':
			if (v && !mm_user_ok(v, 0))
				return -EINVAL;
			break;
		case 'm':
			if (!mm_user_ok(v, (size_t)a[i + 1]) && !kernel_refuses_range(e, v, (size_t)a[i + 1]))
				return -ENOMEM; /* runtime memory is not mapped, as far as the program knows */
			break;
		case 'w':
			if (v && !mm_user_ok(v, 0))
				return -EFAULT;
			break;
		case 'b': {
			/* the bytes before the counted ones (msgrcv's mtype),
			 * from the marshaller's description of the call */
			size_t head = marshal_buf_head(e - sys_table, i);
			/* such a call (msgrcv) takes its size as signed and
			 * answers a negative one (EINVAL) before it looks at
			 * the buffer, which may then reach anything */
			if (head && a[i + 1] < 0)
				break;
			if (v && ((unsigned long)a[i + 1] > ~0UL - head ||
				  !buffer_ok(v, (unsigned long)a[i + 1] + head)))
				return -EFAULT;
			break;
		}
		case 'v':
			if ((r = sys_check_iov(v, a[i + 1], true)))
				return r;
			break;
		}
	}
	return 0;
}

/* ---- trace ---------------------------------------------------------------- */

struct tbuf {
	char s[768];
	size_t n;
};

static void tput(struct tbuf *b, const char *fmt, ...) RT_PRINTF(2, 3);
static void tput(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;

	if (b->n >= sizeof b->s)
		return;
	va_start(ap, fmt);
	int n = rt_vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
	va_end(ap);
	b->n = RT_MIN(b->n + (size_t)n, sizeof b->s - 1);
}

static void tquote(struct tbuf *b, const char *p, size_t len, bool more)
{
	tput(b, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch == '\n')
			tput(b, "\\n");
		else if (ch == '\t')
			tput(b, "\\t");
		else if (ch == '"' || ch == '\\')
			tput(b, "\\%c", ch);
		else if (ch < 32 || ch >= 127)
			tput(b, "\\x%02x", ch);
		else
			tput(b, "%c", ch);
	}
	tput(b, more ? "\"..." : "\"");
}

static void tstring(struct tbuf *b, uintptr_t p)
{
	char s[72];
	long n = uaccess_strncpy(s, p, sizeof s);
	if (n >= 0)
		tquote(b, s, (size_t)n, false);
	else if (n == -ENAMETOOLONG)
		tquote(b, s, 64, true);
	else
		tput(b, "%p", (void *)p);
}

static void tbytes(struct tbuf *b, uintptr_t p, long len)
{
	char s[32];
	size_t n = len > 0 ? RT_MIN((size_t)len, sizeof s) : 0;
	if (uaccess_copy_from(s, p, n))
		tput(b, "%p", (void *)p);
	else
		tquote(b, s, n, (size_t)len > n);
}

static void trace_args(struct tbuf *b, const struct sys_call *c, long r)
{
	const char *spec = c->e ? c->e->spec : "";

	for (int i = 0; i < 6 && spec[i]; i++) {
		long v = c->a[i];
		if (i)
			tput(b, ", ");
		switch (spec[i]) {
		case 'd':
		case 'f':
		case 'F':
			tput(b, "%d", (int)v);
			break;
		case 'D':
			if ((int)v == VFS_AT_FDCWD)
				tput(b, "AT_FDCWD");
			else
				tput(b, "%d", (int)v);
			break;
		case 'u':
			tput(b, "%lu", (unsigned long)v);
			break;
		case 'o':
			tput(b, "0%lo", (unsigned long)v);
			break;
		case 's':
		case 'P':
			tstring(b, (uintptr_t)v);
			break;
		case 'B':
			tbytes(b, (uintptr_t)v, c->a[i + 1]);
			break;
		case 'b':
			if (r > 0 && c->nr != __NR_getcwd)
				tbytes(b, (uintptr_t)v, r);
			else
				tput(b, "%p", (void *)v);
			break;
		default:
			tput(b, "%p", (void *)v);
			break;
		}
	}
}

static void trace_finish(struct tbuf *b)
{
	if (b->n > sizeof b->s - 2)
		b->n = sizeof b->s - 2;
	b->s[b->n++] = '\n';
	rt_log_write(b->s, b->n);
}

static void trace_head(struct tbuf *b, const struct sys_call *c)
{
	b->n = 0;
	if (c->e)
		tput(b, "[%d] %s(", current()->tid, c->e->name);
	else
		tput(b, "[%d] syscall_%ld(", current()->tid, c->nr);
}

static void trace_line(const struct sys_call *c, long r)
{
	struct tbuf b;

	trace_head(&b, c);
	trace_args(&b, c, r);
	if (c->ctx_replaced)
		tput(&b, ") = ?");
	else if (r < 0 && r >= -4095) {
		const char *name = rt_errno_name(-r);
		if (name)
			tput(&b, ") = -1 %s", name);
		else
			tput(&b, ") = -1 (errno %ld)", -r);
	} else if (c->e && (c->e->flags & SYS_RETPTR))
		tput(&b, ") = %p", (void *)r);
	else
		tput(&b, ") = %ld", r);
	trace_finish(&b);
}

void sys_trace_now(struct sys_call *c, const char *result)
{
	struct tbuf b;

	if (!sys_trace)
		return;
	trace_head(&b, c);
	trace_args(&b, c, 0);
	tput(&b, ") = %s", result);
	trace_finish(&b);
	c->traced = true;
}

/* ---- the fast path ------------------------------------------------------- */

/* A trap from a `syscall`: ask the platform to patch the site so that its
 * later calls arrive without a signal, unless the call needs the trap's full
 * context (SYS_CTX). The platform decides from the bytes around the end of
 * the instruction whether it knows the code there; `nr` (what %rax held)
 * lets it check that an instruction it recognises really loaded it. A site
 * it cannot patch stays as it is and is remembered, so this costs one small
 * read per trap. */
static void patch_site(uintptr_t ip, long nr)
{
	uint8_t code[PLAT_PATCH_BEFORE + PLAT_PATCH_AFTER];
	size_t before = PLAT_PATCH_BEFORE, after = PLAT_PATCH_AFTER;

	if ((unsigned long)nr >= SYS_NR_MAX || (sys_table[nr].flags & SYS_CTX))
		return;
	memset(code, 0, sizeof code);
	if (uaccess_copy_from(code, ip - before, before)) {
		/* the page before may be unmapped; the `syscall`'s own is not */
		before = RT_MIN(before, ip - RT_ALIGN_DOWN(ip - 2, RT_PAGE_SIZE));
		if (uaccess_copy_from(code + PLAT_PATCH_BEFORE - before, ip - before, before))
			return;
	}
	if (uaccess_copy_from(code + PLAT_PATCH_BEFORE, ip, after)) {
		memset(code + PLAT_PATCH_BEFORE, 0, after);
		after = 0;
	}
	plat_patch_syscall(ip, nr, code, before, after);
}

/* ---- entry ---------------------------------------------------------------- */

RT_HOT void rt_on_syscall(struct kucontext *ctx)
{
	struct ksigcontext *m = &ctx->uc_mcontext;
	struct sys_call c = {
		.nr = (long)m->rax,
		.a = { (long)m->rdi, (long)m->rsi, (long)m->rdx, (long)m->r10, (long)m->r8, (long)m->r9 },
		.ctx = ctx,
	};
	long r;

	if (current()->tls.fast) {
		if ((unsigned long)c.nr < SYS_NR_MAX && (sys_table[c.nr].flags & SYS_CTX)) {
			m->rip -= 2; /* through the trap at the `syscall` instead */
			return;
		}
	} else if (sys_patch) {
		patch_site(m->rip, c.nr);
	}
	if ((unsigned long)c.nr < SYS_NR_MAX && sys_table[c.nr].handler) {
		c.e = &sys_table[c.nr];
		r = check_args(c.e, c.a);
		if (!r)
			r = c.e->handler(&c);
	} else {
		r = sys_unknown(&c);
	}
	if (r == SYS_RESTART_NOW) {
		m->rip -= 2; /* back onto the 2-byte `syscall` */
		m->rax = (uint64_t)c.nr;
		return;
	}
	if (RT_UNLIKELY(sys_trace) && !c.traced)
		trace_line(&c, r);
	if (c.ctx_replaced)
		return;
	if (r == -EINTR && c.e && (c.e->flags & SYS_RESTART) && !c.no_restart && sig_restart_after_eintr(current())) {
		m->rip -= 2; /* back onto the 2-byte `syscall` */
		m->rax = (uint64_t)c.nr;
		return;
	}
	m->rax = (uint64_t)r;
}
