/*
 * marshal.c - the one way forwarded system calls cross to the host.
 *
 * Every call the runtime forwards (sys_forward, sys_host, and sys_host_now
 * for the handlers that must not be interrupted) comes here with
 * the arguments the host should see. The call's argument description
 * (table.h, the letters of sys.h) says which arguments are buffers, strings
 * and iovecs; `mptr` below adds what a letter cannot say (how big a 'w' or
 * 'p' structure is and which way it goes), and a few calls whose memory is
 * nested (msghdr, ioctl, fcntl locks, pselect6's mask pair) have small
 * functions of their own. There are no per-call wrappers beyond those.
 *
 * Two ways to cross (COFFER_BOUNDARY, sys_boundary):
 *   pass   the host reaches application memory as it is (direct, where
 *          plat_app_memory_shared): pointers go through untouched, the
 *          thin case;
 *   copy   every buffer is copied into the thread's untrusted scratch
 *          (plat_untrusted_scratch), the host sees only the copies, and
 *          results are copied back: how sgx must cross. `check` is copy plus
 *          assertions that no pointer handed to the host lies in runtime
 *          memory (a bug of this file, so a panic).
 *
 * In both ways every answer is checked before the application sees it
 * (Iago): a result no larger than the length asked for, descriptors in
 * range and not the runtime's, counts within their arrays, addresses outside
 * runtime memory, and the structures the host filled: stat and statx modes,
 * directory records, socket address lengths, poll events, message lengths,
 * the record locks and owners fcntl reports.
 * A failed check fails that call with EIO (EFAULT for an address) and a log
 * line naming the check; nothing the host says is used before it passed.
 * In copy mode the checks that bound a copy run on values read once from
 * the scratch before the copy; the structure checks run on the application's
 * copy afterwards, which the host can no longer change. docs/platforms.md
 * lists the checks per call.
 */
#include <asm/stat.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../mm/uaccess.h"
#include "sys.h"

int sys_boundary;

/* The most a read- or write-like buffer moves per call in copy mode: the
 * length is cut down (a short read or write, which callers handle). */
#define COPY_IO_MAX (1UL << 20)
/* Linux's highest possible descriptor (NR_OPEN). */
#define FD_LIMIT (1L << 20)
#define SOCKADDR_MAX 128 /* sizeof(struct sockaddr_storage) */
/* The end of user addresses (TASK_SIZE): a range beyond it is one the
 * kernel refuses (access_ok) before it reads or writes a byte. */
#define USER_TOP 0x7ffffffff000UL
/* What the host gets in place of such a range, or of a buffer whose count
 * the kernel refuses: an address no call can use, with the arguments as the
 * application gave them, so the host gives the kernel's own error in the
 * kernel's own order (EBADF before EFAULT or EINVAL). */
#define BAD_POINTER 0xffff800000000000UL
/* Scratch for one message (its data, control, name and vectors), and for a
 * vector of them (sendmmsg and recvmmsg move fewer messages if it fills). */
#define MSG_SCRATCH (COPY_IO_MAX + (128UL << 10) + UIO_MAXIOV * 16)
#define MMSG_SCRATCH (4 * MSG_SCRATCH)

/* ---- what the letters do not say ----------------------------------------------- */

enum { MD_VALUE, MD_IN, MD_OUT, MD_INOUT };
enum {
	H_FIX,   /* `size` bytes */
	H_MUL,   /* a[ref] * size + add bytes */
	H_DEREF, /* the int at a[ref] (a socklen, in and out) */
	H_BITS,  /* a bit mask of a[ref] bits, in longs (select, mempolicy) */
};

struct mptr {
	uint8_t dir, how;
	int8_t ref;
	uint8_t add;
	uint16_t size;
};

#define IN(n) { MD_IN, H_FIX, -1, 0, n }
#define OUT(n) { MD_OUT, H_FIX, -1, 0, n }
#define INOUT(n) { MD_INOUT, H_FIX, -1, 0, n }
#define IN_N(k, u) { MD_IN, H_MUL, k, 0, u }
#define OUT_N(k, u) { MD_OUT, H_MUL, k, 0, u }
#define INOUT_N(k, u) { MD_INOUT, H_MUL, k, 0, u }
#define OUT_LENP(k) { MD_OUT, H_DEREF, k, 0, 0 }
#define BITS(d, k) { d, H_BITS, k, 0, 0 }
/* An address the host uses as one (a futex word, a robust list): a value,
 * never copied; on sgx these calls are served inside. */
#define ADDR { MD_VALUE, H_FIX, -1, 0, 0 }
/* A 'b' buffer that starts with n bytes the kernel writes besides the ones
 * its length counts (msgrcv's long mtype before msgsz bytes of text): the
 * letter's rules hold (the result is at most the length, and only that much
 * comes back), over n more bytes. */
#define HDR(n) { MD_VALUE, H_FIX, -1, n, 0 }

#define STAT_SIZE 144
#define RUSAGE_SIZE 144
#define SIGINFO_SIZE 128

static const struct mptr mtab[SYS_NR_MAX][6] = {
	[__NR_stat] = { [1] = OUT(STAT_SIZE) },
	[__NR_fstat] = { [1] = OUT(STAT_SIZE) },
	[__NR_lstat] = { [1] = OUT(STAT_SIZE) },
	[__NR_newfstatat] = { [2] = OUT(STAT_SIZE) },
	[__NR_statx] = { [4] = OUT(256) },
	[__NR_statfs] = { [1] = OUT(120) },
	[__NR_fstatfs] = { [1] = OUT(120) },
	[__NR_poll] = { [0] = INOUT_N(1, 8) },
	[__NR_ppoll] = { [0] = INOUT_N(1, 8), [2] = INOUT(16), [3] = IN_N(4, 1) },
	[__NR_select] = { [1] = BITS(MD_INOUT, 0), [2] = BITS(MD_INOUT, 0), [3] = BITS(MD_INOUT, 0),
			  [4] = INOUT(16) },
	[__NR_pselect6] = { [1] = BITS(MD_INOUT, 0), [2] = BITS(MD_INOUT, 0), [3] = BITS(MD_INOUT, 0),
			    [4] = INOUT(16) /* [5]: marshal_pselect_mask */ },
	[__NR_epoll_wait] = { [1] = OUT_N(2, 12) },
	[__NR_epoll_pwait] = { [1] = OUT_N(2, 12), [4] = IN_N(5, 1) },
	[__NR_epoll_pwait2] = { [1] = OUT_N(2, 12), [3] = IN(16), [4] = IN_N(5, 1) },
	[__NR_epoll_ctl] = { [3] = IN(12) },
	[__NR_pipe] = { [0] = OUT(8) },
	[__NR_pipe2] = { [0] = OUT(8) },
	[__NR_socketpair] = { [3] = OUT(8) },
	[__NR_nanosleep] = { [0] = IN(16), [1] = OUT(16) },
	[__NR_clock_nanosleep] = { [2] = IN(16), [3] = OUT(16) },
	[__NR_getitimer] = { [1] = OUT(32) },
	[__NR_setitimer] = { [1] = IN(32), [2] = OUT(32) },
	[__NR_sendfile] = { [2] = INOUT(8) },
	[__NR_splice] = { [1] = INOUT(8), [3] = INOUT(8) },
	[__NR_copy_file_range] = { [1] = INOUT(8), [3] = INOUT(8) },
	[__NR_connect] = { [1] = IN_N(2, 1) },
	[__NR_bind] = { [1] = IN_N(2, 1) },
	[__NR_sendto] = { [4] = IN_N(5, 1) },
	[__NR_accept] = { [1] = OUT_LENP(2), [2] = INOUT(4) },
	[__NR_accept4] = { [1] = OUT_LENP(2), [2] = INOUT(4) },
	[__NR_recvfrom] = { [4] = OUT_LENP(5), [5] = INOUT(4) },
	[__NR_getsockname] = { [1] = OUT_LENP(2), [2] = INOUT(4) },
	[__NR_getpeername] = { [1] = OUT_LENP(2), [2] = INOUT(4) },
	[__NR_setsockopt] = { [3] = IN_N(4, 1) },
	[__NR_getsockopt] = { [3] = OUT_LENP(4), [4] = INOUT(4) },
	[__NR_wait4] = { [1] = OUT(4), [3] = OUT(RUSAGE_SIZE) },
	[__NR_waitid] = { [2] = OUT(SIGINFO_SIZE), [4] = OUT(RUSAGE_SIZE) },
	[__NR_semop] = { [1] = IN_N(2, 6) },
	[__NR_semtimedop] = { [1] = IN_N(2, 6), [3] = IN(16) },
	[__NR_shmctl] = { [2] = INOUT(112) },
	[__NR_msgctl] = { [2] = INOUT(120) },
	[__NR_msgsnd] = { [1] = { MD_IN, H_MUL, 2, 8, 1 } },   /* mtype, then msgsz bytes */
	[__NR_msgrcv] = { [1] = HDR(8) },
	[__NR_gettimeofday] = { [0] = OUT(16), [1] = OUT(8) },
	[__NR_settimeofday] = { [0] = IN(16), [1] = IN(8) },
	[__NR_getrlimit] = { [1] = OUT(16) },
	[__NR_setrlimit] = { [1] = IN(16) },
	[__NR_prlimit64] = { [2] = IN(16), [3] = OUT(16) },
	[__NR_getrusage] = { [1] = OUT(RUSAGE_SIZE) },
	[__NR_sysinfo] = { [0] = OUT(112) },
	[__NR_times] = { [0] = OUT(32) },
	[__NR_time] = { [0] = OUT(8) },
	[__NR_getgroups] = { [1] = OUT_N(0, 4) },
	[__NR_setgroups] = { [1] = IN_N(0, 4) },
	[__NR_getresuid] = { [0] = OUT(4), [1] = OUT(4), [2] = OUT(4) },
	[__NR_getresgid] = { [0] = OUT(4), [1] = OUT(4), [2] = OUT(4) },
	[__NR_capget] = { [0] = INOUT(8), [1] = OUT(24) },
	[__NR_capset] = { [0] = IN(8), [1] = IN(24) },
	[__NR_rt_sigtimedwait] = { [0] = IN_N(3, 1), [1] = OUT(SIGINFO_SIZE), [2] = IN(16) },
	[__NR_rt_sigqueueinfo] = { [2] = IN(SIGINFO_SIZE) },
	[__NR_rt_tgsigqueueinfo] = { [3] = IN(SIGINFO_SIZE) },
	[__NR_pidfd_send_signal] = { [2] = IN(SIGINFO_SIZE) },
	[__NR_rt_sigsuspend] = { [0] = IN_N(1, 1) },
	[__NR_utime] = { [1] = IN(16) },
	[__NR_utimes] = { [1] = IN(32) },
	[__NR_futimesat] = { [2] = IN(32) },
	[__NR_utimensat] = { [2] = IN(32) },
	[__NR_sched_setparam] = { [1] = IN(4) },
	[__NR_sched_getparam] = { [1] = OUT(4) },
	[__NR_sched_setscheduler] = { [2] = IN(4) },
	[__NR_sched_rr_get_interval] = { [1] = OUT(16) },
	[__NR_sched_setaffinity] = { [2] = IN_N(1, 1) },
	[__NR_sched_getaffinity] = { [2] = OUT_N(1, 1) },
	[__NR_sched_setattr] = { [1] = IN(48) },
	[__NR_sched_getattr] = { [1] = OUT_N(2, 1) },
	[__NR_adjtimex] = { [0] = INOUT(208) },
	[__NR_clock_adjtime] = { [1] = INOUT(208) },
	[__NR_timer_create] = { [1] = IN(64), [2] = OUT(4) },
	[__NR_timer_settime] = { [2] = IN(32), [3] = OUT(32) },
	[__NR_timer_gettime] = { [1] = OUT(32) },
	[__NR_timerfd_settime] = { [2] = IN(32), [3] = OUT(32) },
	[__NR_timerfd_gettime] = { [1] = OUT(32) },
	[__NR_clock_settime] = { [1] = IN(16) },
	[__NR_clock_gettime] = { [1] = OUT(16) },
	[__NR_clock_getres] = { [1] = OUT(16) },
	[__NR_set_mempolicy] = { [1] = BITS(MD_IN, 2) },
	[__NR_get_mempolicy] = { [0] = OUT(4), [1] = BITS(MD_OUT, 2) },
	[__NR_mbind] = { [3] = BITS(MD_IN, 4) },
	[__NR_mq_open] = { [3] = IN(64) },
	[__NR_mq_timedsend] = { [4] = IN(16) },
	[__NR_mq_timedreceive] = { [3] = OUT(4), [4] = IN(16) },
	[__NR_mq_notify] = { [1] = IN(64) },
	[__NR_mq_getsetattr] = { [1] = IN(64), [2] = OUT(64) },
	[__NR_move_pages] = { [2] = IN_N(1, 8), [3] = IN_N(1, 4), [4] = OUT_N(1, 4) },
	[__NR_getcpu] = { [0] = OUT(4), [1] = OUT(4), [2] = ADDR },
	[__NR_setxattr] = { [2] = IN_N(3, 1) },
	[__NR_lsetxattr] = { [2] = IN_N(3, 1) },
	[__NR_fsetxattr] = { [2] = IN_N(3, 1) },
	[__NR_signalfd] = { [1] = IN_N(2, 1) },
	[__NR_signalfd4] = { [1] = IN_N(2, 1) },
	[451 /* cachestat */] = { [1] = IN(16), [2] = OUT(32) },
	/* remote addresses: the array is copied, not what it points at */
	[__NR_process_vm_readv] = { [3] = IN_N(4, 16) },
	[__NR_process_vm_writev] = { [3] = IN_N(4, 16) },
	[__NR_process_madvise] = { [1] = IN_N(2, 16) },
	[__NR_futex] = { ADDR, ADDR, ADDR, ADDR, ADDR, ADDR },
	[__NR_futex_waitv] = { ADDR },
	[454 /* futex_wake */] = { ADDR },
	[455 /* futex_wait */] = { ADDR },
	[456 /* futex_requeue */] = { ADDR },
	[__NR_set_robust_list] = { ADDR },
};

size_t marshal_buf_head(long nr, int i)
{
	if (nr < 0 || nr >= SYS_NR_MAX || i < 0 || i >= 6 || mtab[nr][i].dir != MD_VALUE)
		return 0;
	return mtab[nr][i].add;
}

/* Calls whose result is a new descriptor. */
static bool returns_fd(long nr)
{
	switch (nr) {
	case __NR_open: case __NR_openat: case __NR_creat: case __NR_dup:
	case __NR_socket: case __NR_accept: case __NR_accept4:
	case __NR_epoll_create: case __NR_epoll_create1: case __NR_eventfd: case __NR_eventfd2:
	case __NR_timerfd_create: case __NR_signalfd: case __NR_signalfd4:
	case __NR_inotify_init: case __NR_inotify_init1: case __NR_memfd_create:
	case __NR_pidfd_open: case __NR_pidfd_getfd: case __NR_mq_open:
		return true;
	}
	return false;
}

/* ---- refusing an answer ------------------------------------------------------- */

static long refuse(const struct sys_call *c, long err, const char *check)
{
	log_warn("host answer refused: %s: %s", c->e ? c->e->name : "?", check);
	return err;
}

long sys_refuse(const struct sys_call *c, long err, const char *check)
{
	return refuse(c, err, check);
}

/* ---- copies between trusted memory and the scratch ----------------------------- */

/*
 * An argument is the application's own pointer when it is what the
 * application passed in that position (checked against runtime memory over
 * its whole length here); a handler that substituted one of its own buffers
 * (a runtime copy of a name, a shadow msghdr) passed a runtime pointer.
 * Both are reached through the fault-safe copy, as is the scratch, which an
 * application on direct could unmap.
 */
static long trusted_copy(const struct sys_call *c, int i, uintptr_t p, void *dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (i >= 0 && p == (uintptr_t)c->a[i] && !mm_user_ok(p, n))
		return -EFAULT;
	return uaccess_raw_copy(dst, src, n);
}

/* Read what the host wrote (or its memory as it stands): once, into `dst`. */
static long host_read(void *dst, uintptr_t src, size_t n)
{
	return n ? uaccess_raw_copy(dst, (const void *)src, n) : 0;
}

struct scratch {
	uint8_t *base;
	size_t used, cap;
};

static uintptr_t sc_alloc(struct scratch *s, size_t n)
{
	size_t at = RT_ALIGN_UP(s->used, 16);
	if (n > s->cap || at > s->cap - n)
		return 0;
	s->used = at + n;
	return (uintptr_t)s->base + at;
}

static void check_outside(uintptr_t p, size_t n)
{
	if (sys_boundary == BOUNDARY_CHECK && p && !mm_user_ok(p, n))
		rt_panic("marshal: a pointer for the host lies in runtime memory (%p, %zu bytes)", (void *)p, n);
}

/* ---- one argument ------------------------------------------------------------- */

struct slot {
	uintptr_t app;  /* the pointer the call was made with */
	uintptr_t host; /* its copy in the scratch (0: passed as it is) */
	size_t len;
	uint8_t dir;
	int8_t lenp;    /* H_DEREF: the slot holding the returned length */
	bool retlen;    /* 'b': copy back only the result's length */
	bool bad;       /* refused by the kernel's own checks: BAD_POINTER */
	bool iov;       /* an iovec array (len: count) */
};

struct plan {
	struct slot s[6];
	long h[6];      /* the arguments the host gets */
	long iov_sum;   /* bytes the iovecs of the call cover, -1: none */
	uintptr_t iov_data; /* copy mode: where those bytes are in the scratch */
	struct kiovec *iov_app; /* copy mode: the application's vectors */
	struct kiovec iov_small[16];
};

static size_t bits_len(long n)
{
	return n <= 0 ? 0 : ((size_t)n + 63) / 64 * 8;
}

/* How big argument i is, per its description; -1 for a value. */
static long arg_size(const struct sys_call *c, const long *a, int i, struct slot *sl)
{
	const struct mptr *m = &mtab[c->nr][i];
	char l = c->e->spec[i];

	sl->dir = MD_VALUE;
	sl->lenp = -1;
	sl->retlen = false;
	sl->iov = false;
	if (m->dir) {
		sl->dir = m->dir;
		switch (m->how) {
		case H_FIX: return m->size;
		case H_MUL:
			/* a count the kernel refuses; msgsnd reads its mtype first */
			if (a[m->ref] < 0 || (unsigned long)a[m->ref] > (1UL << 30) / (m->size ? m->size : 1))
				return m->add ? m->add : -EINVAL;
			return a[m->ref] * m->size + m->add;
		case H_BITS: return (long)bits_len(a[m->ref] > (1L << 20) ? (1L << 20) : a[m->ref]);
		case H_DEREF: sl->lenp = m->ref; return 0; /* sized after the length's own copy */
		}
	}
	switch (l) {
	case 'b':
		sl->dir = MD_OUT;
		sl->retlen = true;
		return (long)RT_MIN((unsigned long)a[i + 1], COPY_IO_MAX) + m->add;
	case 'B':
		sl->dir = MD_IN;
		return (long)RT_MIN((unsigned long)a[i + 1], COPY_IO_MAX);
	case 'v':
	case 'V':
		/* vmsplice: the pipe keeps the pages, and scratch pages are
		 * reused by the next call; sgx cannot give the host its pages */
		if (c->nr == __NR_vmsplice)
			return -EINVAL;
		sl->dir = l == 'v' ? MD_OUT : MD_IN;
		sl->iov = true;
		return a[i + 1] < 0 || a[i + 1] > UIO_MAXIOV ? -EINVAL : a[i + 1];
	}
	return -1;
}

/* Copy a string argument into the scratch; returns its host address or -errno. */
static long copy_string(const struct sys_call *c, int i, uintptr_t p, struct scratch *sc)
{
	char buf[4096];
	long n;

	if (p == (uintptr_t)c->a[i])
		n = uaccess_strncpy(buf, p, sizeof buf);
	else
		n = uaccess_raw_strncpy(buf, (const char *)p, sizeof buf);
	if (n < 0)
		return n;
	uintptr_t h = sc_alloc(sc, (size_t)n + 1);
	if (!h)
		return -ENOMEM;
	return uaccess_raw_copy((void *)h, buf, (size_t)n + 1) ?: (long)h;
}

/* An iovec argument: the application's vectors in p->iov_app, one block of
 * data in the scratch, host vectors pointing into it. */
static long copy_iov(const struct sys_call *c, int i, struct plan *p, struct slot *sl, struct scratch *sc,
		     long *cnt_arg)
{
	long cnt = (long)sl->len;
	struct kiovec *v = p->iov_small;

	if (cnt > (long)RT_ARRAY_LEN(p->iov_small) && !(v = p->iov_app = rt_alloc((size_t)cnt * sizeof *v)))
		return -ENOMEM;
	if (trusted_copy(c, i, sl->app, v, (const void *)sl->app, (size_t)cnt * sizeof *v))
		return -EFAULT;
	size_t total = 0;
	long keep = 0;
	for (; keep < cnt && total < COPY_IO_MAX; keep++) {
		size_t n = RT_MIN(v[keep].len, COPY_IO_MAX - total);
		if (n && sl->dir == MD_OUT && !mm_user_ok(v[keep].base, n))
			return -EFAULT;
		v[keep].len = n;
		total += n;
	}
	uintptr_t hv = sc_alloc(sc, (size_t)keep * sizeof *v);
	uintptr_t data = sc_alloc(sc, total);
	if ((keep && !hv) || (total && !data))
		return -ENOMEM;
	for (long k = 0, off = 0; k < keep; off += (long)v[k].len, k++) {
		struct kiovec hk = { data + (uintptr_t)off, v[k].len };
		if (uaccess_raw_copy((void *)(hv + (uintptr_t)k * sizeof hk), &hk, sizeof hk))
			return -EFAULT;
		if (sl->dir == MD_IN && v[k].len && uaccess_copy_from((void *)hk.base, v[k].base, v[k].len))
			return -EFAULT;
	}
	sl->len = (size_t)keep;
	sl->host = hv;
	*cnt_arg = keep;
	p->iov_sum = (long)total;
	p->iov_data = data;
	p->iov_app = v;
	check_outside(hv, (size_t)keep * sizeof *v);
	check_outside(data, total);
	return 0;
}

/* The sum of an iovec array as the host will see it (pass mode). */
static long iov_sum(uintptr_t iov, long cnt)
{
	struct kiovec v[16];
	long sum = 0;

	for (long k = 0; k < cnt; k += 16) {
		long n = RT_MIN(cnt - k, 16);
		if (host_read(v, iov + (uintptr_t)k * sizeof v[0], (size_t)n * sizeof v[0]))
			return -1;
		for (long j = 0; j < n; j++)
			sum += (long)RT_MIN(v[j].len, (size_t)MAX_RW_COUNT);
	}
	return sum;
}

/* ---- the calls with nested memory ---------------------------------------------- */

struct kmsghdr_ {
	uintptr_t name;
	uint32_t namelen, pad;
	uintptr_t iov;
	size_t iovlen;
	uintptr_t control;
	size_t controllen;
	int32_t flags, pad2;
};

struct kmmsghdr_ {
	struct kmsghdr_ hdr;
	uint32_t len, pad;
};

/* One message header for the host, with its name, control data and data in
 * the scratch; `t` is the trusted header (a runtime shadow in net.c). The
 * data is one block at *data of *sum bytes. */
static long msg_out(const struct kmsghdr_ *t, bool recv, struct scratch *sc, struct kmsghdr_ *h, long *sum,
		    uintptr_t *data)
{
	*h = *t;
	h->name = h->control = h->iov = 0;
	if (t->name && t->namelen) {
		if (t->namelen > SOCKADDR_MAX * 2 || !(h->name = sc_alloc(sc, t->namelen)))
			return -EINVAL;
		if (!recv && uaccess_raw_copy((void *)h->name, (const void *)t->name, t->namelen))
			return -EFAULT;
	}
	if (t->control && t->controllen) {
		if (t->controllen > 65536 || !(h->control = sc_alloc(sc, t->controllen)))
			return -EINVAL;
		if (!recv && uaccess_raw_copy((void *)h->control, (const void *)t->control, t->controllen))
			return -EFAULT;
	}
	if (t->iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	struct kiovec *hv = (struct kiovec *)sc_alloc(sc, t->iovlen * sizeof *hv);
	if (t->iovlen && !hv)
		return -ENOMEM;
	/* the lengths (cut to COPY_IO_MAX in all), then the block */
	size_t total = 0;
	for (size_t k = 0; k < t->iovlen; k++) {
		struct kiovec v;
		if (uaccess_copy_from(&v, t->iov + k * sizeof v, sizeof v))
			return -EFAULT;
		total += RT_MIN(v.len, COPY_IO_MAX - total);
	}
	*data = sc_alloc(sc, total);
	if (total && !*data)
		return -ENOMEM;
	size_t off = 0;
	for (size_t k = 0; k < t->iovlen; k++) {
		struct kiovec v;
		if (uaccess_copy_from(&v, t->iov + k * sizeof v, sizeof v))
			return -EFAULT;
		v.len = RT_MIN(v.len, total - off);
		if (v.len && (recv ? !mm_user_ok(v.base, v.len) : uaccess_copy_from((void *)(*data + off), v.base, v.len) != 0))
			return -EFAULT;
		struct kiovec hk = { *data + off, v.len };
		if (uaccess_raw_copy(&hv[k], &hk, sizeof hk))
			return -EFAULT;
		off += v.len;
	}
	*sum = (long)off;
	h->iov = (uintptr_t)hv;
	check_outside(h->name, t->namelen);
	check_outside(h->control, t->controllen);
	check_outside(h->iov, t->iovlen * sizeof *hv);
	check_outside(*data, total);
	return 0;
}

/* After a receive: check the host's header at `hh` (read once) against what
 * it was given (`given`), then, copying, give the trusted header `t` its
 * lengths and flags, and the data (from our block at `data`, never through
 * the host's vectors), name and control bytes. */
static long msg_back(const struct sys_call *c, struct kmsghdr_ *t, const struct kmsghdr_ *given, uintptr_t hh,
		     long got, long sum, uintptr_t data, bool copy)
{
	struct kmsghdr_ h;

	if (host_read(&h, hh, sizeof h))
		return -EFAULT;
	if (!(h.flags & 0x20 /* MSG_TRUNC */) && got > sum)
		return refuse(c, -EIO, "more bytes received than the buffers hold");
	if (given->name && h.namelen > given->namelen)
		return refuse(c, -EIO, "msg_namelen larger than the name buffer");
	if (h.controllen > given->controllen)
		return refuse(c, -EIO, "msg_controllen larger than the control buffer");
	if (!copy)
		return 0;
	long left = RT_MIN(got, sum);
	for (size_t k = 0; left > 0 && k < t->iovlen; k++) {
		struct kiovec v;
		if (uaccess_copy_from(&v, t->iov + k * sizeof v, sizeof v))
			return -EFAULT;
		size_t n = RT_MIN((size_t)left, v.len);
		if (n && uaccess_copy_to(v.base, (const void *)data, n))
			return -EFAULT;
		data += n;
		left -= (long)n;
	}
	if (t->name && given->name && h.namelen &&
	    uaccess_raw_copy((void *)t->name, (const void *)given->name, RT_MIN(h.namelen, t->namelen)))
		return -EFAULT;
	if (t->control && h.controllen &&
	    uaccess_raw_copy((void *)t->control, (const void *)given->control, h.controllen))
		return -EFAULT;
	t->namelen = h.namelen;
	t->controllen = h.controllen;
	t->flags = h.flags;
	return 0;
}

/* sendmsg, recvmsg: a[1] is net.c's shadow header in runtime memory. */
static long marshal_msg(struct sys_call *c, const long *a, long (*host)(long, const long *))
{
	bool recv = c->nr == __NR_recvmsg, copy = sys_boundary != BOUNDARY_PASS;
	struct kmsghdr_ *t = (struct kmsghdr_ *)a[1];
	struct kmsghdr_ given = *t; /* pass: the header as given; copy: the host's copy */
	long h[6] = { a[0], a[1], a[2], 0, 0, 0 };
	uintptr_t hh = (uintptr_t)t, data = 0;
	long sum = 0, r;

	if (!copy) {
		sum = iov_sum(t->iov, (long)RT_MIN(t->iovlen, (size_t)UIO_MAXIOV));
	} else {
		struct scratch sc = { plat_untrusted_scratch(MSG_SCRATCH), 0, MSG_SCRATCH };
		if (!sc.base)
			return -ENOMEM;
		hh = sc_alloc(&sc, sizeof *t);
		if (!hh || (r = msg_out(t, recv, &sc, &given, &sum, &data)))
			return hh ? r : -ENOMEM;
		if (uaccess_raw_copy((void *)hh, &given, sizeof given))
			return -EFAULT;
		check_outside(hh, sizeof given);
		h[1] = (long)hh;
	}
	r = host(c->nr, h);
	if (r < -4095)
		return refuse(c, -EIO, "a result below the error range");
	if (r < 0)
		return r;
	if (!recv)
		return r > sum ? refuse(c, -EIO, "more bytes sent than the buffers hold") : r;
	long e = msg_back(c, t, &given, hh, r, sum, data, copy);
	return e ? e : r;
}

/* sendmmsg, recvmmsg: a[1] is net.c's vector of shadow headers. */
static long marshal_mmsg(struct sys_call *c, const long *a, long (*host)(long, const long *))
{
	bool recv = c->nr == __NR_recvmmsg, copy = sys_boundary != BOUNDARY_PASS;
	struct kmmsghdr_ *t = (struct kmmsghdr_ *)a[1];
	unsigned vlen = (unsigned)a[2];
	long h[6] = { a[0], a[1], a[2], a[3], a[4], 0 };
	long r;

	if (vlen > UIO_MAXIOV)
		return -EINVAL;
	if (!copy) {
		struct kmsghdr_ *given = vlen ? rt_alloc(vlen * sizeof *given) : NULL;
		if (vlen && !given)
			return -ENOMEM;
		for (unsigned i = 0; i < vlen; i++)
			given[i] = t[i].hdr;
		r = host(c->nr, h);
		for (long i = 0; r > 0 && i < r && i < (long)vlen; i++) {
			long sum = iov_sum(t[i].hdr.iov, (long)RT_MIN(t[i].hdr.iovlen, (size_t)UIO_MAXIOV));
			if ((long)t[i].len > sum && !(recv && (t[i].hdr.flags & 0x20)))
				r = refuse(c, -EIO, "a message length larger than its buffers");
			else if (recv)
				r = msg_back(c, &t[i].hdr, &given[i], (uintptr_t)&t[i].hdr, 0, 0, 0, false) ?: r;
		}
		rt_free(given);
		if (r > (long)vlen)
			return refuse(c, -EIO, "more messages than the vector holds");
		return r;
	}
	struct scratch sc = { plat_untrusted_scratch(MMSG_SCRATCH), 0, MMSG_SCRATCH };
	if (!sc.base)
		return -ENOMEM;
	uintptr_t hv = sc_alloc(&sc, vlen * sizeof *t);
	long *sums = vlen ? rt_alloc(vlen * sizeof *sums * 2) : NULL; /* sum, data */
	struct kmmsghdr_ *hm = vlen ? rt_alloc(vlen * sizeof *hm) : NULL;
	r = (vlen && (!hv || !sums || !hm)) ? -ENOMEM : 0;
	for (unsigned i = 0; !r && i < vlen; i++) {
		hm[i] = t[i];
		hm[i].len = 0;
		size_t mark = sc.used;
		r = msg_out(&t[i].hdr, recv, &sc, &hm[i].hdr, &sums[i], (uintptr_t *)&sums[vlen + i]);
		if (r == -ENOMEM && i > 0) { /* the scratch is full: the messages so far */
			sc.used = mark;
			vlen = i;
			h[2] = i;
			r = 0;
		}
	}
	if (!r && vlen && uaccess_raw_copy((void *)hv, hm, vlen * sizeof *hm))
		r = -EFAULT;
	if (!r) {
		check_outside(hv, vlen * sizeof *t);
		h[1] = vlen ? (long)hv : a[1];
		r = host(c->nr, h);
		if (r > (long)vlen)
			r = refuse(c, -EIO, "more messages than the vector holds");
	}
	for (long i = 0; r > 0 && i < r; i++) {
		uint32_t len;
		uintptr_t hi = hv + (uintptr_t)i * sizeof *t;
		if (host_read(&len, hi + offsetof(struct kmmsghdr_, len), sizeof len)) {
			r = -EFAULT;
			break;
		}
		if (!recv) {
			if ((long)len > sums[i])
				r = refuse(c, -EIO, "a message length larger than its buffers");
			else
				t[i].len = len;
			continue;
		}
		long e = msg_back(c, &t[i].hdr, &hm[i].hdr, hi, len, sums[i], (uintptr_t)sums[vlen + i], true);
		if (e)
			r = e;
		else
			t[i].len = len;
	}
	rt_free(sums);
	rt_free(hm);
	return r;
}

/* ioctl: the argument as ioctl.c's list says (its checks already ran). */
static long marshal_ioctl(struct sys_call *c, const long *a, long (*host)(long, const long *))
{
	size_t size;
	int how = ioctl_shape((unsigned)a[1], &size);
	long h[6] = { a[0], a[1], a[2], 0, 0, 0 };

	if (sys_boundary == BOUNDARY_PASS || how == MARSHAL_IOC_VALUE || !a[2])
		return host(c->nr, h);
	struct scratch sc = { plat_untrusted_scratch(64 << 10), 0, 64 << 10 };
	if (!sc.base)
		return -ENOMEM;
	if (how == MARSHAL_IOC_IFCONF) {
		struct { int len, pad; uintptr_t buf; } ifc, hi;
		if (uaccess_copy_from(&ifc, (uintptr_t)a[2], sizeof ifc) || ifc.len < 0 || ifc.len > 32768)
			return -EFAULT;
		uintptr_t hc = sc_alloc(&sc, sizeof ifc), hb = ifc.buf ? sc_alloc(&sc, (size_t)ifc.len) : 0;
		if (!hc || (ifc.buf && !hb))
			return -ENOMEM;
		hi = ifc;
		hi.buf = hb;
		if (uaccess_raw_copy((void *)hc, &hi, sizeof hi))
			return -EFAULT;
		check_outside(hc, sizeof hi);
		check_outside(hb, (size_t)ifc.len);
		h[2] = (long)hc;
		long r = host(c->nr, h);
		if (r < 0)
			return r;
		if (host_read(&hi, hc, sizeof hi))
			return -EFAULT;
		if (hi.len < 0 || (ifc.buf && hi.len > ifc.len))
			return refuse(c, -EIO, "ifc_len larger than the buffer");
		if (ifc.buf && hi.len && uaccess_copy_to(ifc.buf, (const void *)hb, (size_t)hi.len))
			return -EFAULT;
		ifc.len = hi.len;
		return uaccess_copy_to((uintptr_t)a[2], &ifc, sizeof ifc) ?: r;
	}
	uintptr_t hp = sc_alloc(&sc, size);
	if (!hp)
		return -ENOMEM;
	if (how != MARSHAL_IOC_OUT && uaccess_copy_from((void *)hp, (uintptr_t)a[2], size))
		return -EFAULT;
	check_outside(hp, size);
	h[2] = (long)hp;
	long r = host(c->nr, h);
	if (r >= 0 && how != MARSHAL_IOC_IN && uaccess_copy_to((uintptr_t)a[2], (const void *)hp, size))
		return -EFAULT;
	return r;
}

static bool fd_ok(long fd);

/* F_DUPFD(_CLOEXEC)'s new descriptor, like any other call's. */
static long fcntl_dupfd_ok(const struct sys_call *c, const long *a, long r)
{
	if ((a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC) && r >= 0 && !fd_ok(r))
		return refuse(c, -EIO, "a new descriptor out of range or the runtime's");
	return r;
}

/* Linux's largest process number (PID_MAX_LIMIT). */
#define PID_LIMIT (4L << 20)

struct kflock_ {
	int16_t type, whence;
	int32_t pad;
	int64_t start, len;
	int32_t pid, pad2;
};

/*
 * The structure fcntl's answer filled (read once into `v`): a record lock
 * (F_GETLK, F_OFD_GETLK), an owner (F_GETOWN_EX) or a write-life hint.
 * `given` is the lock the call asked about: when no lock conflicts, Linux
 * changes only l_type to F_UNLCK and leaves the rest as given. 0 or the
 * refusal.
 */
static long fcntl_answer_ok(const struct sys_call *c, long cmd, void *v, const struct kflock_ *given)
{
	switch (cmd) {
	case F_GETLK: case F_OFD_GETLK: {
		struct kflock_ *l = v;
		if (l->type != F_RDLCK && l->type != F_WRLCK && l->type != F_UNLCK)
			return refuse(c, -EIO, "l_type is no lock type");
		if (l->type == F_UNLCK) {
			/* nothing else is the host's to say */
			*l = *given;
			l->type = F_UNLCK;
			return 0;
		}
		/* a conflicting lock, as posix_lock_to_flock writes it: from the
		 * start of the file, a range that ends inside off_t, the
		 * holder's pid (-1 for an open file description's lock, 0 for
		 * a holder this pid namespace cannot name) */
		if (l->whence != 0 /* SEEK_SET */ || l->start < 0 || l->len < 0 ||
		    l->start > INT64_MAX - l->len)
			return refuse(c, -EIO, "a lock range that is not one");
		if (l->pid < -1 || l->pid > PID_LIMIT)
			return refuse(c, -EIO, "l_pid is no process");
		return 0;
	}
	case F_GETOWN_EX: {
		struct f_owner_ex *o = v;
		if (o->type != F_OWNER_TID && o->type != F_OWNER_PID && o->type != F_OWNER_PGRP)
			return refuse(c, -EIO, "an owner of no kind");
		if (o->pid < 0 || o->pid > PID_LIMIT)
			return refuse(c, -EIO, "an owner that is no process");
		return 0;
	}
	case 1035: case 1037: /* F_GET_(FILE_)RW_HINT: RWH_WRITE_LIFE_NOT_SET..EXTREME */
		if (*(uint64_t *)v > 5)
			return refuse(c, -EIO, "a write-life hint that is none");
		return 0;
	}
	return 0;
}

/*
 * fcntl: record locks and owners are structures; the rest are values. The
 * argument is the application's pointer or, for F_SETOWN_EX, fs.c's runtime
 * copy of the owner it checked (trusted_copy tells them apart). An answer
 * structure is read once (from the scratch, or in pass mode from the
 * memory the host shared), checked, and only then given to the caller.
 */
static long marshal_fcntl(struct sys_call *c, const long *a, long (*host)(long, const long *))
{
	long h[6] = { a[0], a[1], a[2], 0, 0, 0 };
	size_t size = 0;
	bool in = true, out = false;

	switch (a[1]) {
	case F_GETLK: case F_OFD_GETLK: size = 32; out = true; break;
	case F_SETLK: case F_SETLKW: case F_OFD_SETLK: case F_OFD_SETLKW: size = 32; break;
	case F_SETOWN_EX: size = 8; break;
	case F_GETOWN_EX: size = 8; in = false; out = true; break;
	case 1035: case 1037: size = 8; in = false; out = true; break; /* F_GET_(FILE_)RW_HINT */
	case 1036: case 1038: size = 8; break;                         /* F_SET_(FILE_)RW_HINT */
	}
	bool copy = sys_boundary != BOUNDARY_PASS;
	union {
		struct kflock_ lock;
		struct f_owner_ex owner;
		uint64_t hint;
	} given, v;
	long r;

	if (!size || !a[2])
		return fcntl_dupfd_ok(c, a, host(c->nr, h));
	uintptr_t hp = (uintptr_t)a[2];
	if (copy) {
		if (in && trusted_copy(c, 2, (uintptr_t)a[2], &given, (const void *)a[2], size))
			return -EFAULT;
		if (!(hp = (uintptr_t)plat_untrusted_scratch(size)))
			return -ENOMEM;
		if (in && uaccess_raw_copy((void *)hp, &given, size))
			return -EFAULT;
		check_outside(hp, size);
		h[2] = (long)hp;
	}
	r = host(c->nr, h);
	if (r < 0 || !out)
		return r;
	if (host_read(&v, hp, size))
		return -EFAULT;
	/* pass mode: the lock as given is what the host left in shared memory */
	if (!copy && size == sizeof given.lock)
		given.lock = v.lock;
	long bad = fcntl_answer_ok(c, a[1], &v, &given.lock);
	if (bad)
		return bad;
	/* copy mode: the checked answer, never the scratch again */
	if (copy && trusted_copy(c, 2, (uintptr_t)a[2], (void *)a[2], &v, size))
		return -EFAULT;
	return r;
}

/* ---- the checks ------------------------------------------------------------------ */

static bool mode_ok(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	}
	return false;
}

/* Walk getdents64 records (off 18: the name after ino, off, reclen, type)
 * or getdents ones (name at 18, type in the last byte). */
static bool dirents_ok(uintptr_t buf, long len)
{
	for (long off = 0; off < len;) {
		uint8_t rec[288];
		uint16_t reclen;
		if (len - off < 20 || host_read(&reclen, buf + (uintptr_t)off + 16, 2))
			return false;
		if (reclen < 20 || reclen > len - off || reclen > sizeof rec)
			return false;
		if (host_read(rec, buf + (uintptr_t)off, reclen))
			return false;
		bool nul = false;
		for (size_t k = 19; k < reclen && !nul; k++)
			nul = rec[k] == 0;
		if (!nul)
			return false;
		off += reclen;
	}
	return true;
}

static bool fd_ok(long fd)
{
	return fd >= 0 && fd < FD_LIMIT && !fd_is_runtime((int)fd);
}

/* The answers' structures, in the application's (or handler's) memory, after
 * the copy back. 0 or the refusal. */
static long check_structs(const struct sys_call *c, const long *a, long r)
{
	switch (c->nr) {
	case __NR_stat: case __NR_fstat: case __NR_lstat: case __NR_newfstatat: {
		uintptr_t st = (uintptr_t)(c->nr == __NR_newfstatat ? a[2] : a[1]);
		uint32_t mode;
		if (r == 0 && st && !host_read(&mode, st + 24, sizeof mode) && !mode_ok(mode))
			return refuse(c, -EIO, "st_mode names no file type");
		return 0;
	}
	case __NR_statx: {
		uint32_t mask;
		uint16_t mode;
		if (r == 0 && !host_read(&mask, (uintptr_t)a[4], 4) && (mask & 1 /* STATX_TYPE */) &&
		    !host_read(&mode, (uintptr_t)a[4] + 28, 2) && !mode_ok(mode))
			return refuse(c, -EIO, "stx_mode names no file type");
		return 0;
	}
	case __NR_getdents64: case __NR_getdents:
		if (r > 0 && !dirents_ok((uintptr_t)a[1], r))
			return refuse(c, -EIO, "a directory record runs past the answer or has no name");
		return 0;
	case __NR_accept: case __NR_accept4: case __NR_getsockname: case __NR_getpeername:
	case __NR_recvfrom: {
		int k = c->nr == __NR_recvfrom ? 5 : 2;
		uint32_t len;
		if (r >= 0 && a[k] && a[k - 1] && !host_read(&len, (uintptr_t)a[k], 4) && len > SOCKADDR_MAX)
			return refuse(c, -EIO, "socket address length larger than any address");
		return 0;
	}
	case __NR_poll: case __NR_ppoll: {
		long ready = 0;
		for (long k = 0; r >= 0 && k < a[1]; k++) {
			int16_t ev[2];
			if (host_read(ev, (uintptr_t)a[0] + (uintptr_t)k * 8 + 4, 4))
				return -EFAULT;
			if (ev[1] & ~(ev[0] | 0x8 | 0x10 | 0x20)) /* POLLERR, POLLHUP, POLLNVAL */
				return refuse(c, -EIO, "revents not asked for");
			ready += ev[1] != 0;
		}
		if (r >= 0 && ready != r)
			return refuse(c, -EIO, "the count differs from the ready entries");
		return 0;
	}
	case __NR_waitid: {
		int32_t signo; /* a child's state is SIGCHLD's, or nothing (WNOHANG) */
		if (r == 0 && a[2] && !host_read(&signo, (uintptr_t)a[2], 4) && signo != 0 && signo != 17)
			return refuse(c, -EIO, "siginfo of a child that is not SIGCHLD's");
		return 0;
	}
	case __NR_rt_sigtimedwait: {
		int32_t signo;
		if (r > 0 && a[1] && !host_read(&signo, (uintptr_t)a[1], 4) && signo != r)
			return refuse(c, -EIO, "siginfo for another signal");
		return 0;
	}
	}
	return 0;
}

/* The result alone, against what the host was given (h). 0 or the refusal. */
static long check_result(const struct sys_call *c, const long *h, long r, const struct plan *p)
{
	const char *spec = c->e->spec;
	long nr = c->nr;

	if (r < -4095)
		return refuse(c, -EIO, "a result below the error range");
	if (r < 0)
		return 0;
	for (int i = 0; i < 6 && spec[i]; i++) {
		bool trunc = (nr == __NR_recvfrom && (h[3] & 0x20)) || /* MSG_TRUNC: the real length */
			     (spec[i] == 'b' && h[i + 1] == 0 && !mtab[nr][i].add); /* a size query (getxattr) */
		if ((spec[i] == 'b' || spec[i] == 'B') && !trunc && r > h[i + 1] && mtab[nr][i].dir == MD_VALUE)
			return refuse(c, -EIO, "more bytes than asked for");
		if ((spec[i] == 'v' || spec[i] == 'V') && !mtab[nr][i].dir && p->iov_sum >= 0 && r > p->iov_sum)
			return refuse(c, -EIO, "more bytes than the iovecs hold");
	}
	if (returns_fd(nr) && !fd_ok(r))
		return refuse(c, -EIO, "a new descriptor out of range or the runtime's");
	switch (nr) {
	case __NR_mmap:
		if (!mm_user_ok((uintptr_t)r, (size_t)h[1]))
			return refuse(c, -EFAULT, "an address inside runtime memory");
		break;
	case __NR_mremap:
		if (!mm_user_ok((uintptr_t)r, (size_t)h[2]))
			return refuse(c, -EFAULT, "an address inside runtime memory");
		break;
	case __NR_shmat:
		if (!mm_user_ok((uintptr_t)r, RT_PAGE_SIZE))
			return refuse(c, -EFAULT, "an address inside runtime memory");
		break;
	case __NR_poll: case __NR_ppoll:
		if (r > h[1])
			return refuse(c, -EIO, "more ready entries than given");
		break;
	case __NR_epoll_wait: case __NR_epoll_pwait: case __NR_epoll_pwait2:
		if (r > h[2])
			return refuse(c, -EIO, "more events than maxevents");
		break;
	case __NR_select: case __NR_pselect6:
		if (r > 3 * h[0])
			return refuse(c, -EIO, "more ready bits than the sets hold");
		break;
	case __NR_getgroups:
		if (r > 65536 || (h[0] > 0 && r > h[0]))
			return refuse(c, -EIO, "more groups than the array holds");
		break;
	case __NR_sched_getaffinity:
		if (r > h[1])
			return refuse(c, -EIO, "more bytes than asked for");
		break;
	case __NR_rt_sigtimedwait:
		if (r < 1 || r > 64)
			return refuse(c, -EIO, "no such signal");
		break;
	case __NR_sendfile:
		if (r > h[3])
			return refuse(c, -EIO, "more bytes than asked for");
		break;
	case __NR_splice: case __NR_copy_file_range:
		if (r > h[4])
			return refuse(c, -EIO, "more bytes than asked for");
		break;
	case __NR_tee:
		if (r > h[2])
			return refuse(c, -EIO, "more bytes than asked for");
		break;
	}
	return 0;
}

/* ---- the marshaller ---------------------------------------------------------- */

/* pselect6's sixth argument: { const sigset_t *ss; size_t len; } (the
 * handler's runtime pair holding its runtime mask). */
static long pselect_mask(const struct sys_call *c, struct plan *p, const long *a, struct scratch *sc)
{
	long pair[2];
	if (!a[5])
		return 0;
	bool app = a[5] == c->a[5]; /* the application's pair, or the handler's */
	if ((app ? uaccess_copy_from(pair, (uintptr_t)a[5], sizeof pair) : host_read(pair, (uintptr_t)a[5], sizeof pair)) ||
	    pair[1] < 0 || pair[1] > 128 || (app && pair[0] && !mm_user_ok((uintptr_t)pair[0], (size_t)pair[1])))
		return -EFAULT;
	uintptr_t hp = sc_alloc(sc, sizeof pair), hm = pair[0] ? sc_alloc(sc, (size_t)pair[1]) : 0;
	if (!hp || (pair[0] && !hm))
		return -ENOMEM;
	if (pair[0] && uaccess_raw_copy((void *)hm, (const void *)pair[0], (size_t)pair[1]))
		return -EFAULT;
	pair[0] = (long)hm;
	if (uaccess_raw_copy((void *)hp, pair, sizeof pair))
		return -EFAULT;
	check_outside(hp, sizeof pair);
	p->h[5] = (long)hp;
	return 0;
}

static long copy_call(struct sys_call *c, const long *a, long (*host)(long, const long *))
{
	struct plan p;
	long r;

	p.iov_sum = -1;
	p.iov_app = NULL;
	memcpy(p.h, a, sizeof p.h);
	memset(p.s, 0, sizeof p.s);
	for (int i = 0; i < 6; i++)
		p.s[i].lenp = -1;
	/* sizes first, then one scratch area for all of them */
	size_t need = 256;
	for (int i = 0; i < 6; i++) {
		struct slot *sl = &p.s[i];
		sl->app = (uintptr_t)a[i];
		sl->host = 0;
		long n = c->e->spec[i] || mtab[c->nr][i].dir ? arg_size(c, a, i, sl) : -1;
		char l = c->e->spec[i];
		/* the full range the application named (before any cut) */
		unsigned long full = l == 'b' || l == 'B' ? (unsigned long)a[i + 1] : n > 0 ? (unsigned long)n : 0;
		if (l == 'b' && full <= USER_TOP)
			full += mtab[c->nr][i].add;
		if (l == 'v' || l == 'V')
			full *= sizeof(struct kiovec);
		if (a[i] && (n < -1 || (n >= 0 && sl->dir != MD_VALUE && sl->lenp < 0 && (uintptr_t)a[i] == (uintptr_t)c->a[i] &&
					(full > USER_TOP || (uintptr_t)a[i] > USER_TOP - full)))) {
			sl->dir = MD_VALUE;
			sl->bad = true;
			p.h[i] = (long)BAD_POINTER;
			continue;
		}
		if (n < -1) {
			sl->dir = MD_VALUE; /* a count the kernel refuses, with NULL */
			continue;
		}
		sl->len = n < 0 ? 0 : (size_t)n;
		if (n < 0) {
			if (l == 's' || l == 'P')
				need += 4096 + 16;
			else
				sl->dir = MD_VALUE;
			continue;
		}
		if (!a[i])
			sl->dir = MD_VALUE; /* NULL stays NULL */
		if (sl->iov)
			need += (size_t)n * sizeof(struct kiovec) + COPY_IO_MAX + 32;
		else if (sl->lenp >= 0)
			need += SOCKADDR_MAX * 4 + 16;
		else
			need += (size_t)n + 16;
	}
	need += 4096 + 16; /* pselect6's pair */
	struct scratch sc = { plat_untrusted_scratch(need), 0, need };
	if (!sc.base)
		return -ENOMEM;
	check_outside((uintptr_t)sc.base, need);
	for (int i = 0; i < 6; i++) {
		struct slot *sl = &p.s[i];
		char l = c->e->spec[i];
		if (!c->e->spec[i] && !mtab[c->nr][i].dir)
			break;
		if ((l == 's' || l == 'P') && !mtab[c->nr][i].dir && a[i]) {
			if ((r = copy_string(c, i, sl->app, &sc)) < 0)
				goto out;
			p.h[i] = r;
			continue;
		}
		if (sl->dir == MD_VALUE || sl->bad)
			continue;
		if (sl->iov) {
			if ((r = copy_iov(c, i, &p, sl, &sc, &p.h[i + 1])))
				goto out;
			p.h[i] = (long)sl->host;
			continue;
		}
		if (sl->lenp >= 0) {
			/* a socket address sized by the int at a[lenp]: the
			 * most any address is, whatever the int says */
			int given;
			if (trusted_copy(c, sl->lenp, (uintptr_t)a[sl->lenp], &given, (const void *)a[sl->lenp], 4))
				{ r = -EFAULT; goto out; }
			sl->len = given < 0 ? 0 : RT_MIN((size_t)given, (size_t)SOCKADDR_MAX * 4);
		}
		if (!(sl->host = sc_alloc(&sc, sl->len)) && sl->len) {
			r = -ENOMEM;
			goto out;
		}
		if (sl->dir != MD_OUT && trusted_copy(c, i, sl->app, (void *)sl->host, (const void *)sl->app, sl->len)) {
			r = -EFAULT;
			goto out;
		}
		if (sl->dir == MD_OUT && sl->app == (uintptr_t)c->a[i] && !mm_user_ok(sl->app, sl->len)) {
			r = -EFAULT;
			goto out;
		}
		/* what the kernel leaves of a structure reads as zeros, never as
		 * an earlier call's bytes (a 'b' buffer comes back only as far
		 * as the result says) */
		if (sl->dir == MD_OUT && !sl->retlen && sl->len)
			memset((void *)sl->host, 0, sl->len);
		check_outside(sl->host, sl->len);
		p.h[i] = (long)(sl->host ? sl->host : sc_alloc(&sc, 1));
		/* the buffer's length as the host sees it (cut to COPY_IO_MAX) */
		if (sl->retlen || l == 'B')
			p.h[i + 1] = (long)(sl->len - mtab[c->nr][i].add);
	}
	if (c->nr == __NR_pselect6 && (r = pselect_mask(c, &p, a, &sc)))
		goto out;

	r = host(c->nr, p.h);
	long bad = check_result(c, p.h, r, &p);
	if (bad) {
		r = bad;
		goto out;
	}
	/* An interrupted sleep or wait still tells what is left of its time
	 * (nanosleep's rem, select's and ppoll's timeout): structures of a
	 * fixed size come back after EINTR too. */
	bool intr = r == -EINTR;
	if (r < 0 && !intr)
		goto out;
	/* copy back: lengths first (an address is copied by its own) */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 6; i++) {
			struct slot *sl = &p.s[i];
			if (sl->dir != MD_OUT && sl->dir != MD_INOUT)
				continue;
			if (intr && (sl->iov || sl->retlen || sl->lenp >= 0))
				continue;
			if ((sl->lenp >= 0) != (pass == 1))
				continue;
			size_t n = sl->len;
			if (sl->iov) {
				/* from our own layout, never the host's vectors */
				long left = RT_MIN(r, p.iov_sum);
				uintptr_t from = p.iov_data;
				for (size_t k = 0; left > 0 && k < sl->len; k++) {
					size_t m = RT_MIN((size_t)left, p.iov_app[k].len);
					if (uaccess_copy_to(p.iov_app[k].base, (const void *)from, m)) {
						r = -EFAULT;
						goto out;
					}
					from += m;
					left -= (long)m;
				}
				continue;
			}
			if (sl->retlen)
				n = RT_MIN((size_t)r + mtab[c->nr][i].add, n);
			/* arrays the result counts: only the entries it gave */
			if (!intr && i == 1 && (c->nr == __NR_epoll_wait || c->nr == __NR_epoll_pwait ||
						c->nr == __NR_epoll_pwait2 || (c->nr == __NR_getgroups && a[0] > 0)))
				n = RT_MIN(n, (size_t)r * mtab[c->nr][i].size);
			if (sl->lenp >= 0) {
				int ret; /* what the host says now, read once */
				if (host_read(&ret, p.s[sl->lenp].host, 4)) {
					r = -EFAULT;
					goto out;
				}
				n = ret < 0 ? 0 : RT_MIN((size_t)ret, n);
			}
			if (trusted_copy(c, i, sl->app, (void *)sl->app, (const void *)sl->host, n)) {
				r = -EFAULT;
				goto out;
			}
		}
	}
	if (!intr && (bad = check_structs(c, a, r)))
		r = bad;
out:
	if (p.iov_app && p.iov_app != p.iov_small)
		rt_free(p.iov_app);
	return r;
}

/* The marshaller itself, with the host call to make (interruptible or not). */
RT_HOT static long marshal(struct sys_call *c, const long a[6], long (*host)(long, const long *))
{
	long r;

	switch (c->nr) {
	case __NR_sendmsg: case __NR_recvmsg:
		r = marshal_msg(c, a, host);
		break;
	case __NR_sendmmsg: case __NR_recvmmsg:
		r = marshal_mmsg(c, a, host);
		break;
	case __NR_ioctl:
		r = marshal_ioctl(c, a, host);
		break;
	case __NR_fcntl:
		r = marshal_fcntl(c, a, host);
		break;
	default:
		goto described;
	}
	/* one of the calls with nested memory */
	return r < -4095 ? refuse(c, -EIO, "a result below the error range") : r;
described:
	if (sys_boundary != BOUNDARY_PASS)
		return copy_call(c, a, host);

	/* the thin case: the host gets the pointers; the answer is checked */
	struct plan p;
	p.iov_sum = -1;
	const char *spec = c->e->spec;
	for (int i = 0; i < 6 && spec[i]; i++)
		if ((spec[i] == 'v' || spec[i] == 'V') && !mtab[c->nr][i].dir)
			p.iov_sum = a[i] ? iov_sum((uintptr_t)a[i], RT_MIN(a[i + 1], (long)UIO_MAXIOV)) : 0;
	r = host(c->nr, a);
	long bad = check_result(c, a, r, &p);
	if (!bad && r >= 0)
		bad = check_structs(c, a, r);
	return bad ? bad : r;
}

RT_HOT long marshal_forward(struct sys_call *c, const long a[6])
{
	if (RT_UNLIKELY(!c->e))
		return plat_forward_now(c->nr, a);
	/* the host call itself: one that may block (interruptible) or not */
	return marshal(c, a, c->e->flags & SYS_BLOCK ? plat_forward : plat_forward_now);
}

long marshal_forward_now(struct sys_call *c, const long a[6])
{
	if (RT_UNLIKELY(!c->e))
		return plat_forward_now(c->nr, a);
	return marshal(c, a, plat_forward_now);
}
