/*
 * host.c - the structured checks of host.h: stat and statx records,
 * directory entries, fd pairs, times, limits. Each returns the result
 * unchanged when the host's answer is one Linux could give, -EIO (and a
 * warning) when it is not.
 */
#include "host.h"

long host_refuse(const char *call, long r, const char *why)
{
	log_warn("host call %s answered %ld: refused (%s)", call, r, why);
	return -EIO;
}

/* S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO, or no
 * type at all: Linux's anonymous inodes (eventfd, epoll, timerfd...). */
static bool mode_type_ok(unsigned mode)
{
	switch (mode & 0170000) {
	case 0:
	case 0140000:
	case 0120000:
	case 0100000:
	case 0060000:
	case 0040000:
	case 0020000:
	case 0010000:
		return true;
	default:
		return false;
	}
}

long host_stat(const char *call, long r, const struct kstat *st)
{
	r = host_zero(call, r);
	if (r)
		return r;
	if (!mode_type_ok(st->st_mode))
		return host_refuse(call, st->st_mode, "stat: no file type in st_mode");
	if (st->st_size < 0 || st->st_blocks < 0)
		return host_refuse(call, st->st_size, "stat: negative size");
	return 0;
}

#define STATX_TYPE 0x1U
#define STATX_SIZE 0x200U

long host_statx(const char *call, long r, const struct kstatx *st)
{
	r = host_zero(call, r);
	if (r)
		return r;
	if ((st->stx_mask & STATX_TYPE) && !mode_type_ok(st->stx_mode))
		return host_refuse(call, st->stx_mode, "statx: no file type in stx_mode");
	if ((st->stx_mask & STATX_SIZE) && st->stx_size > (uint64_t)INT64_MAX)
		return host_refuse(call, (long)st->stx_size, "statx: negative size");
	return 0;
}

long host_pair(const char *call, long r, const int fds[2])
{
	r = host_zero(call, r);
	if (r)
		return r;
	for (int i = 0; i < 2; i++)
		if (fds[i] < 0 || fds[i] >= HOST_FD_LIMIT)
			return host_refuse(call, fds[i], "fd out of range");
	if (fds[0] == fds[1])
		return host_refuse(call, fds[0], "the same fd twice");
	return 0;
}

/* struct linux_dirent64: d_ino 8, d_off 8, d_reclen 2, d_type 1, d_name */
#define DIRENT_NAME 19

long host_dents(const char *call, long r, const void *buf, size_t len)
{
	r = host_len(call, r, len);
	if (r <= 0)
		return r;
	const uint8_t *p = buf;
	for (size_t off = 0; off < (size_t)r;) {
		uint16_t reclen;
		if ((size_t)r - off < DIRENT_NAME + 1)
			return host_refuse(call, r, "getdents: record header past the end");
		memcpy(&reclen, p + off + 16, sizeof reclen);
		if (reclen < DIRENT_NAME + 1 || reclen > (size_t)r - off)
			return host_refuse(call, reclen, "getdents: record length out of bounds");
		size_t i = DIRENT_NAME;
		while (i < reclen && p[off + i])
			i++;
		if (i == reclen)
			return host_refuse(call, reclen, "getdents: name without NUL in its record");
		off += reclen;
	}
	return r;
}

long host_time(const char *call, long r, const struct ktimespec *ts)
{
	r = host_zero(call, r);
	if (r)
		return r;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
		return host_refuse(call, ts->tv_nsec, "clock: time out of range");
	return 0;
}

long host_rlimit(const char *call, long r, const struct krlimit *rl)
{
	r = host_zero(call, r);
	if (r)
		return r;
	if (rl->rlim_cur > rl->rlim_max)
		return host_refuse(call, (long)rl->rlim_cur, "rlimit: soft limit above the hard one");
	return 0;
}

static bool has_nul(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i])
			return true;
	return false;
}

long host_utsname(const char *call, long r, const struct kutsname *u)
{
	r = host_zero(call, r);
	if (r)
		return r;
	if (!has_nul(u->sysname, sizeof u->sysname) || !has_nul(u->nodename, sizeof u->nodename) ||
	    !has_nul(u->release, sizeof u->release) || !has_nul(u->version, sizeof u->version) ||
	    !has_nul(u->machine, sizeof u->machine) || !has_nul(u->domainname, sizeof u->domainname))
		return host_refuse(call, 0, "uname: a field without its NUL");
	return 0;
}

/* getcwd: the length counts the NUL, which must be where it says. (Linux
 * answers "(unreachable)/..." for a directory outside the root: honest,
 * and left to the caller, which maps only absolute host paths.) */
long host_cwd(const char *call, long r, const char *buf, size_t len)
{
	r = host_len(call, r, len);
	if (r <= 0)
		return r;
	if (buf[r - 1])
		return host_refuse(call, r, "getcwd: no NUL where the length says");
	return r;
}

#define OVERFLOW_ID 65534

uint32_t host_euid(void)
{
	long r = host_id("geteuid", plat_host_geteuid());
	return r < 0 ? OVERFLOW_ID : (uint32_t)r;
}

uint32_t host_egid(void)
{
	long r = host_id("getegid", plat_host_getegid());
	return r < 0 ? OVERFLOW_ID : (uint32_t)r;
}

uint64_t host_realtime_sec(void)
{
	struct ktimespec ts;
	if (host_time("clock_gettime", plat_clock_gettime(0 /* CLOCK_REALTIME */, &ts), &ts))
		return 0;
	return (uint64_t)ts.tv_sec;
}

long host_fits(const char *call, long r, unsigned len, unsigned max)
{
	r = host_zero(call, r);
	if (r)
		return r;
	if (len > max)
		return host_refuse(call, len, "answer longer than the buffer");
	return 0;
}

/* Linux's VALID_OPEN_FLAGS on x86_64 (the access mode, then O_CREAT..
 * __O_TMPFILE), with the two file-mode bits it keeps beside them in f_flags
 * (__FMODE_EXEC, __FMODE_NONOTIFY). */
#define GETFL_BITS (037777703UL | 040UL | 0400000000UL)

long host_getfl(const char *call, long r)
{
	if (r < -4095)
		return host_refuse(call, r, "not an errno value");
	if (r < 0)
		return r;
	if ((r & 3) == 3)
		return host_refuse(call, r, "no access mode");
	if ((unsigned long)r & ~GETFL_BITS)
		return host_refuse(call, r, "flags Linux does not have");
	return r;
}
