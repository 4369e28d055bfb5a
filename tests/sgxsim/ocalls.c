/*
 * ocalls.c - the test enclave's ECALLs for the OCALL layer (platform/sgx/
 * enclave/ocall.c): platform.h's host calls made through the real table
 * against real host files, pipes and futexes, and against a lying host
 * (host.c's server, told by struct t_lie what to lie about), where each
 * lie must come back refused, -EIO or -EFAULT, with a log line, as the
 * runtime would see it: the OCALL layer's checks, then the runtime's own
 * (runtime/lib/host.c, linked in as the runtime links it).
 */
#include "../../platform/platform.h"
#include "../../platform/sgx/enclave/enclave.h"
#include "../../platform/sgx/enclave/ocall.h"
#include "../../runtime/lib/host.h"
#include "test.h"

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_DIRECTORY 0200000
#define O_CLOEXEC 02000000
#define AT_SYMLINK_NOFOLLOW 0x100

static long log_lines;

void sgx_oc_log(const char *call, long r, const char *why)
{
	(void)call, (void)r, (void)why;
	log_lines++;
}

/* runtime/lib/host.c's refusals end here, as in the runtime's log */
void rt_log(int level, const char *fmt, ...)
{
	(void)level, (void)fmt;
	log_lines++;
}

static bool same(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

static size_t len_of(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* The directory named at the start of the ECALL's buffer, copied in. */
static bool take_dir(char *dir, size_t max, size_t skip)
{
	const char *src = (const char *)sgx_ubuf(skip + max);
	if (!src)
		return false;
	src += skip;
	size_t i = 0;
	while (i < max - 1 && src[i]) {
		dir[i] = src[i];
		i++;
	}
	dir[i] = 0;
	return i > 0;
}

static bool name_is(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Does this getdents64 block hold a record named `name`? */
static bool has_entry(const uint8_t *buf, long n, const char *name)
{
	for (long off = 0; off < n;) {
		uint16_t reclen;
		memcpy(&reclen, buf + off + 16, 2);
		if (name_is((const char *)buf + off + 19, name))
			return true;
		off += reclen;
	}
	return false;
}

static long files(void)
{
	char dir[200];
	if (!take_dir(dir, sizeof dir, 0))
		return -1;
	long d = host_fd("openat", plat_host_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0));
	if (d < 0)
		return -2;
	uint8_t ents[1024];
	long n = host_dents("getdents64", plat_host_getdents((int)d, ents, sizeof ents), ents, sizeof ents);
	if (n <= 0 || !has_entry(ents, n, "a") || !has_entry(ents, n, "link") || !has_entry(ents, n, ".."))
		return -3;
	long f = host_fd("openat", plat_host_openat((int)d, "a", O_RDONLY | O_CLOEXEC, 0));
	if (f < 0)
		return -4;
	/* pread into the middle of a buffer: the bytes around stay */
	char buf[16];
	memset(buf, '#', sizeof buf);
	long r = host_len("pread", plat_host_pread((int)f, buf + 2, 5, 2), 5);
	if (r != 5 || !same(buf, "##llo w#########", sizeof buf))
		return -5;
	struct kstat st;
	if (host_stat("fstat", plat_host_fstat((int)f, &st), &st) || (st.st_mode & 0170000) != 0100000 ||
	    st.st_size != (int64_t)len_of(T_OC_FILE_DATA))
		return -6;
	if (host_stat("fstatat", plat_host_fstatat((int)d, "link", &st, AT_SYMLINK_NOFOLLOW), &st) ||
	    (st.st_mode & 0170000) != 0120000)
		return -7;
	memset(buf, '#', sizeof buf);
	r = host_len("readlinkat", plat_host_readlinkat((int)d, "link", buf, 4), 4);
	if (r != 1 || !same(buf, "a####", 5))
		return -8;
	/* a buffer too small for the link: no byte past it is written */
	char tiny[2] = { '#', '#' };
	if (plat_host_readlinkat((int)d, "link", tiny, 0) >= 0 && tiny[0] != '#')
		return -9;
	if (plat_host_openat((int)d, "missing", O_RDONLY, 0) != -2 /* ENOENT */)
		return -10;
	if (host_zero("close", plat_host_close((int)f)) || host_zero("close", plat_host_close((int)d)))
		return -11;
	if (plat_host_close((int)f) != -9 /* EBADF: really closed */)
		return -12;
	return log_lines ? -13 : 0;
}

static long time_now(void)
{
	struct ktimespec ts = { -1, -1 };
	long r = host_time("clock_gettime", plat_clock_gettime(0, &ts), &ts);
	return r ? r : ts.tv_sec;
}

static long pipe_test(void)
{
	int fds[2] = { -1, -1 };
	if (host_pair("pipe2", plat_host_pipe2(fds, O_CLOEXEC), fds))
		return -1;
	if (host_len("write", plat_host_write(fds[1], "ping", 4), 4) != 4)
		return -2;
	char back[8] = { 0 };
	if (host_len("read", plat_host_read(fds[0], back, sizeof back), sizeof back) != 4 || !same(back, "ping", 5))
		return -3;
	/* more than the untrusted buffer holds: a short write, honestly */
	static char big[8192];
	long w = plat_host_write(fds[1], big, sizeof big);
	if (w <= 0 || w >= (long)sizeof big)
		return -4;
	plat_host_close(fds[0]);
	plat_host_close(fds[1]);
	return 0;
}

static long futex_test(void)
{
	uint64_t *slot = sgx_ubuf(8);
	if (!slot)
		return -1;
	uint32_t *word = (uint32_t *)*slot; /* read once */
	uint32_t inside = 0;
	long lines = log_lines;
	if (plat_futex_wake(&inside, 1) != -14 || log_lines != lines + 1)
		return -2; /* an enclave word is refused before leaving */
	for (;;) {
		long r = plat_futex_wake(word, 1);
		if (r == 1)
			return 1;
		if (r != 0)
			return -3;
		plat_yield();
	}
}

static long forward_test(void)
{
	long a[6] = { 0 };
	long pid = plat_forward(39 /* getpid */, a);
	if (pid != plat_host_getpid())
		return -1;
	long u = sgx_host_mmap(4096);
	if (u < 0 || !sgx_outside((uint64_t)u, 4096))
		return -2;
	a[0] = u;
	if (plat_forward(63 /* uname */, a) != 0 || !same((const char *)u, "Linux", 6))
		return -3;
	struct kutsname inside;
	a[0] = (long)&inside;
	long lines = log_lines;
	if (plat_forward_now(63, a) != -14 || log_lines != lines + 1)
		return -4;
	/* a buffer that starts outside and runs into ELRANGE */
	a[0] = 1;
	a[1] = (long)(sgx_tb()->base - 8);
	a[2] = 64;
	if (plat_forward(1 /* write */, a) != -14)
		return -5;
	if (sgx_host_munmap((void *)(sgx_tb()->base - 4096), 8192) != -14)
		return -6; /* a range that runs into ELRANGE is not the host's to unmap */
	if (sgx_host_munmap((void *)u, 4096))
		return -7;
	return 0;
}

/* The lies: each must be refused. The result is the refusal, or a
 * positive step number when the call was not refused as it must be.
 * Lengths, errno values and addresses are the OCALL layer's own checks
 * (called here without the runtime's); fds, stat modes, directory records
 * and socket address lengths are the runtime's (host.h), on top. */
static long lie(void)
{
	struct t_lie *l = sgx_ubuf(sizeof *l);
	if (!l)
		return 100;
	uint64_t mode = l->mode;
	char dir[200];
	if (!take_dir(dir, sizeof dir, 8))
		return 101;
	long lines = log_lines, r = 102;
	long d = -1;
	if (mode != T_LIE_FD_NEG && mode != T_LIE_FD_HUGE && mode != T_LIE_PTR && mode != T_LIE_FWD_PTR) {
		d = host_fd("openat", plat_host_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0));
		if (d < 0)
			return 103;
	}
	switch (mode) {
	case T_LIE_LEN: {
		long f = host_fd("openat", plat_host_openat((int)d, "a", O_RDONLY, 0));
		char buf[12];
		memset(buf, '#', sizeof buf);
		r = plat_host_pread((int)f, buf, 4, 0); /* the OCALL layer's own check */
		plat_host_close((int)f);
		if (buf[4] != '#')
			return 104; /* a byte past what was asked was written */
		break;
	}
	case T_LIE_FD_NEG: /* the OCALL layer's own check: no errno value */
		r = plat_host_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0);
		break;
	case T_LIE_FD_HUGE: /* the runtime's */
		r = host_fd("openat", plat_host_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0));
		break;
	case T_LIE_STAT: {
		struct kstat st;
		r = host_stat("fstat", plat_host_fstat((int)d, &st), &st);
		break;
	}
	case T_LIE_DENTS: {
		uint8_t ents[512];
		r = host_dents("getdents64", plat_host_getdents((int)d, ents, sizeof ents), ents, sizeof ents);
		break;
	}
	case T_LIE_PTR:
		r = sgx_host_mmap(4096);
		break;
	case T_LIE_FWD_PTR: {
		long a[6] = { 0, 4096, 3 /* PROT_READ | PROT_WRITE */, 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */, -1, 0 };
		r = plat_forward(9 /* mmap */, a);
		break;
	}
	case T_LIE_READLINK: {
		char buf[8];
		memset(buf, '#', sizeof buf);
		r = plat_host_readlinkat((int)d, "link", buf, 2); /* the OCALL layer's own check */
		if (buf[2] != '#')
			return 105;
		break;
	}
	case T_LIE_PEERLEN: {
		int sv[2];
		if (host_pair("socketpair", plat_host_socketpair(1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, sv), sv))
			return 106;
		uint8_t addr[16 + 8];
		memset(addr, '#', sizeof addr);
		unsigned len = 16;
		long g = plat_host_getpeername(sv[0], addr, &len);
		r = g < 0 ? g : host_fits("getpeername", g, len, 16);
		plat_host_close(sv[0]);
		plat_host_close(sv[1]);
		if (addr[16] != '#')
			return 107; /* written past the buffer */
		break;
	}
	}
	if (d >= 0)
		plat_host_close((int)d);
	if (r >= 0)
		return 108;
	return log_lines > lines ? r : 109;
}

/* An enclave bug: the thread's untrusted buffer pointing into ELRANGE.
 * The checking build stops the thread before the host sees the address. */
static long bug(void)
{
	static uint8_t inside[4096];
	struct sgx_tb *tb = sgx_tb();
	uint64_t saved = tb->ubuf, saved_len = tb->ubuf_len;
	tb->ubuf = (uint64_t)inside;
	tb->ubuf_len = sizeof inside;
	long r = plat_host_getpid();
	tb->ubuf = saved;
	tb->ubuf_len = saved_len;
	return r;
}

/* Another: an iovec in untrusted memory naming enclave memory. Only the
 * checking build looks inside iovecs (and stops); the plain one forwards
 * it, and the host's kernel answers for fd -1. */
static long bug_iov(void)
{
	static uint8_t secret[8];
	long u = sgx_host_mmap(4096);
	if (u < 0)
		return -1000;
	uint64_t *iov = (uint64_t *)u;
	iov[0] = (uint64_t)secret;
	iov[1] = sizeof secret;
	long a[6] = { -1, u, 1 };
	long r = plat_forward(20 /* writev */, a);
	sgx_host_munmap((void *)u, 4096);
	return r;
}

long t_ocall_ecall(long code)
{
	log_lines = 0;
	switch (code) {
	case T_EC_OC_FILES:
		return files();
	case T_EC_OC_TIME:
		return time_now();
	case T_EC_OC_PIPE:
		return pipe_test();
	case T_EC_OC_FUTEX:
		return futex_test();
	case T_EC_OC_FORWARD:
		return forward_test();
	case T_EC_OC_LIE:
		return lie();
	case T_EC_OC_BUG:
		return bug();
	case T_EC_OC_BUG_IOV:
		return bug_iov();
	case T_EC_BENCH_OC:
		for (long i = 0; i < T_BENCH_ROUNDS; i++)
			if (plat_host_getpid() <= 0)
				return -1;
		return 0;
	}
	return -38;
}
