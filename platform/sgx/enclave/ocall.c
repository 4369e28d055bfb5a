/*
 * ocall.c - the enclave's side of the OCALL layer: platform.h's host calls
 * on the sgx platform, each one row of the OCALL table (../ocall_table.h)
 * run through one marshaller, sgx_oc:
 *
 *   out    the arguments go into the thread's untrusted buffer (struct
 *          oc_frame, then the buffers): values as they are, strings and
 *          in-buffers copied with their lengths, room kept for out-buffers
 *          (nothing of the enclave's is copied into it)
 *   exit   sgx_ocall with the row's code: the host's server makes the call
 *   back   the result is checked before anything is copied in: an errno
 *          value or a result of the row's kind (a count no larger than
 *          asked, a host address outside ELRANGE); out-buffers are copied
 *          back with the enclave's own lengths, never the host's, and each
 *          byte the host wrote is read once
 * A refusal is -EIO (a result no honest host gives) or -EFAULT (an address
 * in ELRANGE), and a line through sgx_oc_log; the runtime's own checks
 * (runtime/lib/host.h) then judge what the values mean (fds, stat modes,
 * directory records).
 *
 * plat_forward is the thin case: the runtime has already copied the
 * application's buffers into untrusted memory, so every pointer argument
 * (by the syscall table's argument letters) must lie outside ELRANGE; one
 * inside is the caller's bug, refused with -EFAULT and a line.
 *
 * With SGX_OCALL_CHECK (meson -Dsgx_ocall_check=true) every untrusted
 * address the marshaller computes is asserted to lie outside ELRANGE before
 * the exit: a failed assertion logs and stops the thread (ud2), since it
 * means the enclave's own state is wrong.
 *
 * docs/platforms.md, "The OCALL layer", has the rules and the Iago list.
 */
#include <asm-generic/errno.h>
#include <linux/futex.h>

#include "../../platform.h"
#include "../ocall_table.h"
#include "enclave.h"
#include "ocall.h"

#define TIOCGPTN 0x80045430
#define IPC_RMID 0
#define IPC_STAT 2
#define ERRNO_MAX 4095L

static long refuse(const char *name, long r, const char *why, long err)
{
	sgx_oc_log(name, r, why);
	return err;
}

#ifdef SGX_OCALL_CHECK
static void check_out(const char *name, uint64_t p, uint64_t len)
{
	if (!sgx_outside(p, len)) {
		sgx_oc_log(name, (long)p, "checking build: an address handed to the host lies in ELRANGE");
		__builtin_trap();
	}
}
#else
static inline void check_out(const char *name, uint64_t p, uint64_t len)
{
	(void)name, (void)p, (void)len;
}
#endif

static size_t str_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

long sgx_oc(unsigned code, const long in[6])
{
	if (code == OC_NONE || code == OC_FORWARD || code >= OC_COUNT)
		return -ENOSYS;
	const struct oc_row *row = &oc_rows[code];
	uint8_t *f = sgx_ubuf(OC_FRAME_HDR);
	if (!f)
		return refuse(row->name, 0, "no untrusted buffer on this thread", -ENOMEM);
	uint64_t cap = sgx_tb()->ubuf_len, used = OC_FRAME_HDR;
	uint64_t off[6] = { 0 }, size[6] = { 0 };
	struct oc_frame h = { .nr = row->nr };
	bool no_buf = false;

	for (int i = 0; i < 6; i++)
		h.arg[i] = (uint64_t)in[i];
	/* out: each buffer gets its place; in-buffers are copied */
	for (int i = 0; i < 6; i++) {
		uint32_t a = row->arg[i], p = OC_PARAM(a);
		const void *src = (const void *)in[i];
		uint64_t sz;
		bool copy = false;

		switch (OC_KIND(a)) {
		case OCK_V:
			continue;
		case OCK_UPTR:
		case OCK_UPTRL:
			if (in[i] && !sgx_outside((uint64_t)in[i], OC_KIND(a) == OCK_UPTR ? p : (uint64_t)in[p]))
				return refuse(row->name, in[i], "a pointer into ELRANGE for the host", -EFAULT);
			continue;
		case OCK_S:
			if (!src)
				goto null;
			sz = str_len(src, OC_STRING_MAX);
			if (sz == OC_STRING_MAX)
				return -ENAMETOOLONG;
			sz++;
			copy = true;
			break;
		case OCK_IN:
		case OCK_OUT:
			if (!src) {
				/* getxattr/listxattr(NULL, 0) ask for the size;
				 * anything else gets the host kernel's EFAULT */
				no_buf = true;
				h.arg[i] = 0;
				continue;
			}
			sz = (uint64_t)in[p];
			copy = OC_KIND(a) == OCK_IN;
			if ((a & OCK_SHORT) && sz > cap - used) {
				sz = cap - used; /* a short read or write: honest */
				h.arg[p] = sz;
			}
			break;
		case OCK_INF:
		case OCK_INOUTF:
			copy = true;
			/* fall through */
		case OCK_OUTF:
			if (!src)
				goto null;
			sz = p;
			break;
		case OCK_OUTL:
			if (!src || !in[p])
				return -EFAULT;
			sz = *(const uint32_t *)in[p];
			break;
		default:
			return refuse(row->name, a, "bad OCALL table row", -ENOSYS);
		}
		if (sz > cap - used)
			return refuse(row->name, (long)sz, "larger than the untrusted buffer", -ENOMEM);
		off[i] = used;
		size[i] = sz;
		h.arg[i] = used;
		check_out(row->name, (uint64_t)f + used, sz);
		if (copy)
			__builtin_memcpy(f + used, src, sz);
		used += (sz + 7) & ~7ULL;
		if (used > cap)
			used = cap;
		continue;
null:
		if (!(a & OCK_NULLOK))
			return -EFAULT;
		h.arg[i] = 0;
	}
	h.size = used;
	check_out(row->name, (uint64_t)f, used);
	__builtin_memcpy(f, &h, sizeof h);

	long r = sgx_ocall(code, f);

	/* back: the result first, then the copies, with the enclave's sizes */
	if (r < -ERRNO_MAX)
		return refuse(row->name, r, "not an errno value", -EIO);
	if (r < 0)
		return r;
	uint32_t rp = OC_PARAM(row->res);
	switch (row->res & 0xff) {
	case OCR_LEN:
		if (!no_buf && (uint64_t)r > h.arg[rp])
			return refuse(row->name, r, "more bytes than asked for", -EIO);
		break;
	case OCR_UADDR:
		if (!sgx_outside((uint64_t)r, (uint64_t)in[rp]))
			return refuse(row->name, r, "a host address in ELRANGE", -EFAULT);
		break;
	}
	/* fixed structs first: an OUTL's length is read from the enclave's copy */
	for (int i = 0; i < 6; i++) {
		uint32_t k = OC_KIND(row->arg[i]);
		if ((k == OCK_OUTF || k == OCK_INOUTF) && off[i])
			__builtin_memcpy((void *)in[i], f + off[i], size[i]);
	}
	for (int i = 0; i < 6; i++) {
		uint32_t a = row->arg[i];
		uint64_t n;
		if (OC_KIND(a) == OCK_OUT)
			n = (row->res & 0xff) == OCR_LEN && OC_PARAM(row->res) == OC_PARAM(a) ? (uint64_t)r : size[i];
		else if (OC_KIND(a) == OCK_OUTL)
			n = *(const uint32_t *)in[OC_PARAM(a)]; /* the socklen as copied back: the runtime checks it */
		else
			continue;
		if (!off[i])
			continue;
		if (n > size[i])
			n = size[i];
		__builtin_memcpy((void *)in[i], f + off[i], n);
	}
	return r;
}

#define OC0(c) sgx_oc(OC_##c, (const long[6]){ 0 })
#define OC1(c, a) sgx_oc(OC_##c, (const long[6]){ (long)(a) })
#define OC2(c, a, b) sgx_oc(OC_##c, (const long[6]){ (long)(a), (long)(b) })
#define OC3(c, a, b, d) sgx_oc(OC_##c, (const long[6]){ (long)(a), (long)(b), (long)(d) })
#define OC4(c, a, b, d, e) sgx_oc(OC_##c, (const long[6]){ (long)(a), (long)(b), (long)(d), (long)(e) })
#define OC5(c, a, b, d, e, g) \
	sgx_oc(OC_##c, (const long[6]){ (long)(a), (long)(b), (long)(d), (long)(e), (long)(g) })
#define OC6(c, a, b, d, e, g, k) \
	sgx_oc(OC_##c, (const long[6]){ (long)(a), (long)(b), (long)(d), (long)(e), (long)(g), (long)(k) })

/* ---- forwarded application calls ------------------------------------------- */

/* The argument letters of every system call (runtime/syscall/sys.h), and
 * whether its result is an address: what tells a pointer from a value. */
#define SYS_BLOCK 0
#define SYS_RESTART 0
#define SYS_CTX 0
#define SYS_RETPTR 1
static const struct {
	char spec[7];
	uint8_t retptr;
} fwd_spec[] = {
#define SC(nr, name, handler, spec, flags) [nr] = { spec, flags },
#define FWD(nr, name, spec, flags) [nr] = { spec, flags },
#define NOSYS(nr, name, spec, note) [nr] = { spec, 0 },
#define FALLBACK(nr, name, spec, note) [nr] = { spec, 0 },
#include "../../../runtime/syscall/table.h"
#undef SC
#undef FWD
#undef NOSYS
#undef FALLBACK
};

/* Letters whose argument the host's kernel dereferences (or, for p, may). */
static long forward_check(long nr, const long a[6])
{
	const char *spec = fwd_spec[nr].spec;
	for (int i = 0; i < 6 && spec[i]; i++) {
		uint64_t p = (uint64_t)a[i], len = 1;
		switch (spec[i]) {
		case 'b':
		case 'B':
			len = i < 5 ? (uint64_t)a[i + 1] : 1;
			break;
		case 'v':
		case 'V':
			len = i < 5 ? (uint64_t)a[i + 1] * 16 : 16;
			break;
		case 'p':
		case 's':
		case 'P':
		case 'w':
			break;
		default:
			continue;
		}
		if (!p || !len)
			continue;
		if (!sgx_outside(p, len))
			return refuse("forward", nr, "an argument points into ELRANGE", -EFAULT);
#ifdef SGX_OCALL_CHECK
		if (spec[i] == 'v' || spec[i] == 'V') {
			/* the iovecs are untrusted memory: each is read once */
			const volatile uint64_t *iov = (const volatile uint64_t *)p;
			for (uint64_t k = 0; k < len / 16; k++) {
				uint64_t base = iov[2 * k], n = iov[2 * k + 1];
				if (n)
					check_out("forward", base, n);
			}
		}
#endif
	}
	return 0;
}

static long forward(long nr, const long args[6])
{
	if (nr < 0 || (unsigned long)nr >= sizeof fwd_spec / sizeof fwd_spec[0])
		return -ENOSYS;
	long e = forward_check(nr, args);
	if (e)
		return e;
	struct oc_frame *f = sgx_ubuf(OC_FRAME_HDR);
	if (!f)
		return refuse("forward", nr, "no untrusted buffer on this thread", -ENOMEM);
	check_out("forward", (uint64_t)f, OC_FRAME_HDR);
	struct oc_frame h = { .size = OC_FRAME_HDR, .nr = nr };
	for (int i = 0; i < 6; i++)
		h.arg[i] = (uint64_t)args[i];
	__builtin_memcpy(f, &h, sizeof h);
	long r = sgx_ocall(OC_FORWARD, f);
	if (r < -ERRNO_MAX && !fwd_spec[nr].retptr)
		return refuse("forward", r, "not an errno value", -EIO);
	if (fwd_spec[nr].retptr && (r >= 0 || r < -ERRNO_MAX) && !sgx_outside((uint64_t)r, 1))
		return refuse("forward", r, "a host address in ELRANGE", -EFAULT);
	return r;
}

/* Interruption by the application's signals (plat_tls()->intr) is the
 * runtime wiring's part: both are the same OCALL for now. */
long plat_forward(long nr, const long args[6])
{
	return forward(nr, args);
}

long plat_forward_now(long nr, const long args[6])
{
	return forward(nr, args);
}

/* ---- files and streams ---------------------------------------------------------- */

long plat_host_openat(int dirfd, const char *path, int flags, unsigned mode)
{
	return OC4(OPENAT, dirfd, path, flags, mode);
}

long plat_host_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	uint64_t how[3] = { flags, mode, resolve };
	return OC4(OPENAT2, dirfd, path, how, sizeof how);
}

long plat_host_close(int fd)
{
	return OC1(CLOSE, fd);
}

long plat_host_close_range(unsigned lo, unsigned hi, unsigned flags)
{
	return OC3(CLOSE_RANGE, lo, hi, flags);
}

long plat_host_read(int fd, void *buf, size_t len)
{
	return OC3(READ, fd, buf, len);
}

long plat_host_write(int fd, const void *buf, size_t len)
{
	return OC3(WRITE, fd, buf, len);
}

long plat_host_pread(int fd, void *buf, size_t len, long off)
{
	return OC4(PREAD, fd, buf, len, off);
}

long plat_host_lseek(int fd, long off, int whence)
{
	return OC3(LSEEK, fd, off, whence);
}

long plat_host_fstat(int fd, struct kstat *out)
{
	return OC2(FSTAT, fd, out);
}

long plat_host_fstatat(int dirfd, const char *path, struct kstat *out, int flags)
{
	return OC4(FSTATAT, dirfd, path, out, flags);
}

long plat_host_statx(int dirfd, const char *path, int flags, unsigned mask, struct kstatx *out)
{
	return OC5(STATX, dirfd, path, flags, mask, out);
}

long plat_host_fstatfs(int fd, struct kstatfs *out)
{
	return OC2(FSTATFS, fd, out);
}

long plat_host_statfs(const char *path, struct kstatfs *out)
{
	return OC2(STATFS, path, out);
}

long plat_host_ftruncate(int fd, long len)
{
	return OC2(FTRUNCATE, fd, len);
}

long plat_host_truncate(const char *path, long len)
{
	return OC2(TRUNCATE, path, len);
}

long plat_host_fcntl(int fd, int cmd, long arg)
{
	return OC3(FCNTL, fd, cmd, arg);
}

long plat_host_dup(int fd)
{
	return OC1(DUP, fd);
}

long plat_host_dup2(int oldfd, int newfd)
{
	return OC2(DUP2, oldfd, newfd);
}

long plat_host_dup3(int oldfd, int newfd, int flags)
{
	return OC3(DUP3, oldfd, newfd, flags);
}

long plat_host_pipe2(int fds[2], int flags)
{
	return OC2(PIPE2, fds, flags);
}

long plat_host_socketpair(int domain, int type, int protocol, int fds[2])
{
	return OC4(SOCKETPAIR, domain, type, protocol, fds);
}

long plat_host_memfd_create(const char *name, unsigned flags)
{
	return OC2(MEMFD_CREATE, name, flags);
}

long plat_host_signalfd(int fd, uint64_t mask, int flags)
{
	return OC4(SIGNALFD, fd, &mask, sizeof mask, flags);
}

long plat_host_inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	return OC3(INOTIFY_ADD_WATCH, fd, path, mask);
}

long plat_host_pty_number(int fd, unsigned *out)
{
	return OC3(IOCTL_OUT4, fd, TIOCGPTN, out);
}

long plat_host_getsockopt(int fd, int level, int opt, void *val, unsigned *len)
{
	return OC5(GETSOCKOPT, fd, level, opt, val, len);
}

long plat_host_getpeername(int fd, void *addr, unsigned *len)
{
	return OC3(GETPEERNAME, fd, addr, len);
}

long plat_host_xattr(enum plat_xattr_op op, bool nofollow, const char *path, const char *name, void *value,
		     size_t size, int flags)
{
	switch (op) {
	case PLAT_XATTR_GET:
		return nofollow ? OC4(LGETXATTR, path, name, value, size) : OC4(GETXATTR, path, name, value, size);
	case PLAT_XATTR_SET:
		return nofollow ? OC5(LSETXATTR, path, name, value, size, flags)
				: OC5(SETXATTR, path, name, value, size, flags);
	case PLAT_XATTR_LIST:
		return nofollow ? OC3(LLISTXATTR, path, value, size) : OC3(LISTXATTR, path, value, size);
	case PLAT_XATTR_REMOVE:
		return nofollow ? OC2(LREMOVEXATTR, path, name) : OC2(REMOVEXATTR, path, name);
	}
	return -EINVAL;
}

/* ---- directories and names ------------------------------------------------------- */

long plat_host_getdents(int fd, void *buf, size_t len)
{
	return OC3(GETDENTS, fd, buf, len);
}

long plat_host_readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	return OC4(READLINKAT, dirfd, path, buf, len);
}

long plat_host_mkdirat(int dirfd, const char *path, unsigned mode)
{
	return OC3(MKDIRAT, dirfd, path, mode);
}

long plat_host_mknodat(int dirfd, const char *path, unsigned mode, unsigned dev)
{
	return OC4(MKNODAT, dirfd, path, mode, dev);
}

long plat_host_unlinkat(int dirfd, const char *path, int flags)
{
	return OC3(UNLINKAT, dirfd, path, flags);
}

long plat_host_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags)
{
	return OC5(RENAMEAT2, olddirfd, oldpath, newdirfd, newpath, flags);
}

long plat_host_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	return OC5(LINKAT, olddirfd, oldpath, newdirfd, newpath, flags);
}

long plat_host_symlinkat(const char *target, int dirfd, const char *path)
{
	return OC3(SYMLINKAT, target, dirfd, path);
}

long plat_host_fchmodat(int dirfd, const char *path, unsigned mode, int flags)
{
	/* fchmodat2 (Linux 6.6) only when flags need it, as on direct */
	return flags ? OC4(FCHMODAT2, dirfd, path, mode, flags) : OC3(FCHMODAT, dirfd, path, mode);
}

long plat_host_fchownat(int dirfd, const char *path, unsigned uid, unsigned gid, int flags)
{
	return OC5(FCHOWNAT, dirfd, path, (int)uid, (int)gid, flags);
}

long plat_host_utimensat(int dirfd, const char *path, const struct ktimespec *times, int flags)
{
	return OC4(UTIMENSAT, dirfd, path, times, flags);
}

long plat_host_faccessat(int dirfd, const char *path, int mode, int flags)
{
	return OC4(FACCESSAT2, dirfd, path, mode, flags);
}

long plat_host_getcwd(char *buf, size_t len)
{
	return OC2(GETCWD, buf, len);
}

long plat_host_chdir(const char *path)
{
	return OC1(CHDIR, path);
}

long plat_host_fchdir(int fd)
{
	return OC1(FCHDIR, fd);
}

long plat_host_umask(unsigned mask)
{
	return OC1(UMASK, mask);
}

/* ---- processes and identity -------------------------------------------------------- */

long plat_host_getpid(void)
{
	return OC0(GETPID);
}

long plat_host_gettid(void)
{
	return OC0(GETTID);
}

long plat_host_getppid(void)
{
	return OC0(GETPPID);
}

long plat_host_getpgrp(void)
{
	return OC1(GETPGID, 0);
}

long plat_host_getuid(void)
{
	return OC0(GETUID);
}

long plat_host_geteuid(void)
{
	return OC0(GETEUID);
}

long plat_host_getegid(void)
{
	return OC0(GETEGID);
}

long plat_host_getrlimit(int resource, struct krlimit *out)
{
	return OC4(PRLIMIT, 0 /* self */, resource, NULL, out);
}

long plat_host_getpriority(int pid)
{
	return OC2(GETPRIORITY, 0 /* PRIO_PROCESS */, pid);
}

long plat_host_setpriority(int pid, int prio)
{
	return OC3(SETPRIORITY, 0 /* PRIO_PROCESS */, pid, prio);
}

long plat_host_ioprio_get(int pid)
{
	return OC2(IOPRIO_GET, 1 /* IOPRIO_WHO_PROCESS */, pid);
}

long plat_host_ioprio_set(int pid, int prio)
{
	return OC3(IOPRIO_SET, 1 /* IOPRIO_WHO_PROCESS */, pid, prio);
}

long plat_host_unshare(unsigned long flags)
{
	return OC1(UNSHARE, flags);
}

long plat_host_uname(struct kutsname *out)
{
	return OC1(UNAME, out);
}

long plat_host_pidfd_open(int pid, unsigned flags)
{
	return OC2(PIDFD_OPEN, pid, flags);
}

long plat_host_ipc_rmid(int kind, int id)
{
	switch (kind) {
	case 0:
		return OC3(SHMCTL, id, IPC_RMID, 0);
	case 1:
		return OC3(SEMCTL, id, 0, IPC_RMID);
	case 2:
		return OC3(MSGCTL, id, IPC_RMID, 0);
	}
	return -EINVAL;
}

long plat_host_shm_exists(int id)
{
	uint8_t ds[OCSZ_SHMID_DS]; /* only the answer counts */
	long r = OC3(SHMCTL_STAT, id, IPC_STAT, ds);
	return r < 0 ? r : 0;
}

long plat_host_membarrier_query(void)
{
	return OC3(MEMBARRIER, 0 /* MEMBARRIER_CMD_QUERY */, 0, 0);
}

void plat_yield(void)
{
	OC0(SCHED_YIELD);
}

/* ---- time, futexes, signals ------------------------------------------------------------ */

long plat_clock_gettime(int clock, struct ktimespec *out)
{
	return OC2(CLOCK_GETTIME, clock, out);
}

/* The word must be untrusted memory: the host's kernel cannot reach an
 * enclave page (and must not learn about one). */
long plat_futex_wake(uint32_t *word, int n)
{
	return OC3(FUTEX_WAKE, word, FUTEX_WAKE, n);
}

long plat_signal_thread(int tgid, int tid, int sig, const struct ksiginfo *info)
{
	if (info)
		return OC4(TGSIGQUEUEINFO, tgid, tid, sig, info);
	return OC3(TGKILL, tgid, tid, sig);
}

long plat_signal_process(int pid, int sig, const struct ksiginfo *info)
{
	return OC3(SIGQUEUEINFO, pid, sig, info);
}

long plat_signal_pidfd(int pidfd, int sig, const struct ksiginfo *info)
{
	return OC4(PIDFD_SEND_SIGNAL, pidfd, sig, info, 0);
}

long plat_sig_pending(uint64_t *set)
{
	return OC2(SIGPENDING, set, sizeof *set);
}

/* ---- misc ---------------------------------------------------------------------------------- */

void plat_log_write(int fd, const char *buf, size_t len)
{
	while (len && fd >= 0) {
		long r = OC3(WRITE, fd, buf, len);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return;
		buf += r;
		len -= (size_t)r;
	}
}

long plat_random(void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		long r = OC3(GETRANDOM, (char *)buf + got, len - got, 0);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? r : -EIO;
		got += (size_t)r;
	}
	return 0;
}

/* ---- untrusted memory ------------------------------------------------------------------------ */

long sgx_host_mmap(size_t len)
{
	return OC6(MMAP_UNTRUSTED, 0, len, 3 /* PROT_READ | PROT_WRITE */, 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */,
		   -1, 0);
}

long sgx_host_munmap(void *p, size_t len)
{
	return OC2(MUNMAP_UNTRUSTED, p, len);
}
