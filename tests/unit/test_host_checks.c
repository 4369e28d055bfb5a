/*
 * Unit tests for runtime/lib/host.c: the runtime's checks on what the host
 * answers to its own calls (docs/platforms.md, "The boundary: the runtime's
 * own host calls"). Each check gets an honest answer, which passes
 * unchanged, and lies, each of which must become -EIO with one warning
 * naming the call. The plat_host_* functions host.c calls itself are a
 * fake host here whose answers the test sets.
 */
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "../../runtime/lib/host.h"
#include "check.h"

/* ---- the fake host and the log --------------------------------------------- */

static long fake_ret, fake_id;
static struct ktimespec fake_ts;

long plat_host_geteuid(void) { return fake_id; }
long plat_host_getegid(void) { return fake_id; }
long plat_clock_gettime(int clock, struct ktimespec *out)
{
	(void)clock;
	*out = fake_ts;
	return fake_ret;
}

static int warnings;
static char last_warning[512];

void rt_log(int level, const char *fmt, ...)
{
	va_list ap;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(last_warning, sizeof last_warning, fmt, ap);
	va_end(ap);
	warnings++;
}

/* r is refused as a lie from `call`: -EIO and one warning naming it. */
static int refused(long r, const char *call)
{
	int ok = r == -EIO && warnings == 1 && strstr(last_warning, call) != NULL;
	warnings = 0;
	last_warning[0] = 0;
	return ok;
}

static int passed(long r, long want)
{
	int ok = r == want && warnings == 0;
	warnings = 0;
	return ok;
}

/* ---- records as the host lays them out -------------------------------------- */

static size_t put_dirent(uint8_t *buf, size_t off, uint16_t reclen, const char *name)
{
	memset(buf + off, 0, reclen);
	memcpy(buf + off + 16, &reclen, 2);
	buf[off + 18] = 8; /* DT_REG */
	memcpy(buf + off + 19, name, strlen(name)); /* NUL from the memset, if it fits */
	return off + reclen;
}

int main(void)
{
	/* errno values and plain results */
	CHECK(passed(host_ret("x", -ENOENT), -ENOENT));
	CHECK(passed(host_ret("x", -4095), -4095));
	CHECK(refused(host_ret("ret", -4096), "ret"));
	CHECK(refused(host_ret("ret", LONG_MIN), "ret"));
	CHECK(passed(host_zero("x", 0), 0));
	CHECK(passed(host_zero("x", -EPERM), -EPERM));
	CHECK(refused(host_zero("zero", 1), "zero"));

	/* lengths: never more than asked */
	CHECK(passed(host_len("x", 10, 10), 10));
	CHECK(passed(host_len("x", 0, 10), 0));
	CHECK(passed(host_len("x", -EINTR, 10), -EINTR));
	CHECK(refused(host_len("pread", 11, 10), "pread"));
	CHECK(refused(host_len("read", LONG_MAX, 4096), "read"));
	CHECK(refused(host_len("read", -5000, 4096), "read"));

	/* fds and ids */
	CHECK(passed(host_fd("x", 0), 0));
	CHECK(passed(host_fd("x", HOST_FD_LIMIT - 1), HOST_FD_LIMIT - 1));
	CHECK(passed(host_fd("x", -EMFILE), -EMFILE));
	CHECK(refused(host_fd("openat", HOST_FD_LIMIT), "openat"));
	CHECK(refused(host_fd("dup", INT_MAX + 1L), "dup"));
	CHECK(refused(host_fd("memfd_create", -99999), "memfd_create"));
	CHECK(passed(host_pid("x", 1), 1));
	CHECK(passed(host_pid("x", HOST_PID_LIMIT), HOST_PID_LIMIT));
	CHECK(refused(host_pid("getpid", 0), "getpid"));
	CHECK(refused(host_pid("gettid", -1), "gettid"));
	CHECK(refused(host_pid("getppid", HOST_PID_LIMIT + 1), "getppid"));
	CHECK(passed(host_id("x", 0), 0));
	CHECK(passed(host_id("x", 0xffffffffL), 0xffffffffL));
	CHECK(refused(host_id("getuid", -1), "getuid"));
	CHECK(refused(host_id("getuid", 0x100000000L), "getuid"));
	fake_id = 1000;
	CHECK(host_euid() == 1000 && host_egid() == 1000 && warnings == 0);
	fake_id = -3;
	CHECK(host_euid() == 65534 && refused(-EIO, "geteuid"));
	CHECK(host_egid() == 65534 && refused(-EIO, "getegid"));

	/* stat: a file type (or none: anonymous inodes), a size >= 0 */
	struct kstat st = { .st_mode = 0100644, .st_size = 5 };
	CHECK(passed(host_stat("x", 0, &st), 0));
	CHECK(passed(host_stat("x", -ENOENT, &st), -ENOENT));
	st.st_mode = 0600; /* eventfd, epoll */
	CHECK(passed(host_stat("x", 0, &st), 0));
	st.st_mode = 0170644;
	CHECK(refused(host_stat("fstat", 0, &st), "fstat"));
	st.st_mode = 0030000;
	CHECK(refused(host_stat("fstat", 0, &st), "fstat"));
	st.st_mode = 0040755;
	st.st_size = -1;
	CHECK(refused(host_stat("newfstatat", 0, &st), "newfstatat"));
	st.st_size = 0;
	st.st_blocks = -8;
	CHECK(refused(host_stat("fstat", 0, &st), "fstat"));
	CHECK(refused(host_stat("fstat", 3, &st), "fstat"));

	/* statx: the same, for the fields its mask says it filled */
	struct kstatx sx = { .stx_mask = 0x201, .stx_mode = 0100600, .stx_size = 1 };
	CHECK(passed(host_statx("x", 0, &sx), 0));
	sx.stx_mode = 0150600;
	CHECK(refused(host_statx("statx", 0, &sx), "statx"));
	sx.stx_mask = 0x200; /* the type was not asked for: not looked at */
	CHECK(passed(host_statx("x", 0, &sx), 0));
	sx.stx_size = 1ULL << 63;
	CHECK(refused(host_statx("statx", 0, &sx), "statx"));

	/* fd pairs */
	int fds[2] = { 3, 4 };
	CHECK(passed(host_pair("x", 0, fds), 0));
	CHECK(passed(host_pair("x", -EMFILE, fds), -EMFILE));
	fds[1] = 3;
	CHECK(refused(host_pair("pipe2", 0, fds), "pipe2"));
	fds[1] = -1;
	CHECK(refused(host_pair("pipe2", 0, fds), "pipe2"));
	fds[1] = (int)HOST_FD_LIMIT;
	CHECK(refused(host_pair("socketpair", 0, fds), "socketpair"));

	/* getdents: every record inside the count, with a header and a NUL */
	uint8_t d[256];
	size_t n = put_dirent(d, 0, 24, "a");
	n = put_dirent(d, n, 32, "hello");
	CHECK(passed(host_dents("x", (long)n, d, sizeof d), (long)n));
	CHECK(passed(host_dents("x", 0, d, sizeof d), 0));
	CHECK(refused(host_dents("getdents64", (long)n + 1, d, n), "getdents64")); /* more than asked */
	CHECK(refused(host_dents("getdents64", (long)n - 1, d, sizeof d), "getdents64")); /* last record past the count */
	put_dirent(d, 0, 0, "");
	CHECK(refused(host_dents("getdents64", 24, d, sizeof d), "getdents64")); /* zero length: no progress */
	put_dirent(d, 0, 24, "abcdefgh"); /* name fills its record: no NUL */
	d[19 + 4] = 'x';
	memset(d + 19, 'y', 5);
	CHECK(refused(host_dents("getdents64", 24, d, sizeof d), "getdents64"));
	put_dirent(d, 0, 24, "a");
	CHECK(refused(host_dents("getdents64", 10, d, sizeof d), "getdents64")); /* a piece of a header */

	/* time */
	struct ktimespec ts = { 5, 999999999 };
	CHECK(passed(host_time("x", 0, &ts), 0));
	ts.tv_nsec = 1000000000;
	CHECK(refused(host_time("clock_gettime", 0, &ts), "clock_gettime"));
	ts.tv_nsec = -1;
	CHECK(refused(host_time("clock_gettime", 0, &ts), "clock_gettime"));
	ts.tv_nsec = 0;
	ts.tv_sec = -1;
	CHECK(refused(host_time("clock_gettime", 0, &ts), "clock_gettime"));
	fake_ret = 0;
	fake_ts = (struct ktimespec){ 1700000000, 5 };
	CHECK(host_realtime_sec() == 1700000000 && warnings == 0);
	fake_ts.tv_nsec = 2000000000;
	CHECK(host_realtime_sec() == 0 && refused(-EIO, "clock_gettime"));

	/* limits, lengths written back, strings */
	struct krlimit rl = { 1024, 4096 };
	CHECK(passed(host_rlimit("x", 0, &rl), 0));
	rl.rlim_cur = 8192;
	CHECK(refused(host_rlimit("getrlimit", 0, &rl), "getrlimit"));
	CHECK(passed(host_fits("x", 0, 16, 128), 0));
	CHECK(refused(host_fits("getpeername", 0, 129, 128), "getpeername"));
	CHECK(refused(host_fits("getsockopt", 0, 8, 4), "getsockopt"));
	CHECK(passed(host_getfl("x", 02), 02));           /* O_RDWR */
	CHECK(passed(host_getfl("x", 0104001), 0104001)); /* O_WRONLY | O_LARGEFILE | O_NONBLOCK */
	CHECK(passed(host_getfl("x", 010000000), 010000000)); /* O_PATH */
	CHECK(passed(host_getfl("x", -EBADF), -EBADF));
	CHECK(refused(host_getfl("fcntl", 03), "fcntl"));        /* no access mode */
	CHECK(refused(host_getfl("fcntl", 02 | 04), "fcntl"));   /* a bit between the mode and O_CREAT */
	CHECK(refused(host_getfl("fcntl", 1L << 40), "fcntl"));  /* far above any flag */
	CHECK(refused(host_getfl("fcntl", -5000), "fcntl"));
	struct kutsname u;
	memset(&u, 0, sizeof u);
	strcpy(u.sysname, "Linux");
	CHECK(passed(host_utsname("x", 0, &u), 0));
	memset(u.machine, 'x', sizeof u.machine);
	CHECK(refused(host_utsname("uname", 0, &u), "uname"));
	char cwd[16] = "/home/u";
	CHECK(passed(host_cwd("x", 8, cwd, sizeof cwd), 8));
	CHECK(refused(host_cwd("getcwd", 7, cwd, sizeof cwd), "getcwd")); /* no NUL where it says */
	CHECK(refused(host_cwd("getcwd", 17, cwd, sizeof cwd), "getcwd"));
	strcpy(cwd, "(unreachable)/");
	CHECK(passed(host_cwd("x", 15, cwd, sizeof cwd), 15)); /* honest Linux */
	return CHECK_DONE();
}
