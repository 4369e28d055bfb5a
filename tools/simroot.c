/*
 * simroot.c - the simulated CPU secret of sgx-sim on the host (simroot.h
 * says where and why there).
 *
 * Creation is race-free without locks: the bytes are written to a private
 * temporary name (the thread's id) and link()ed to the final name, which fails with EEXIST
 * if another process got there first; the loser discards its file and
 * reads the winner's. A file is never seen half written.
 */
#define _GNU_SOURCE
#include "simroot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int failf(char *err, size_t errn, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errn, fmt, ap);
	va_end(ap);
	return -1;
}

int simroot_path(char *out, size_t n, char *err, size_t errn)
{
	const char *p = getenv("COFFER_SGX_SIM_ROOT"), *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int len;

	if (p && *p)
		len = snprintf(out, n, "%s", p);
	else if (xdg && xdg[0] == '/') /* the XDG spec: relative values are ignored */
		len = snprintf(out, n, "%s/coffer/sgx-sim-root", xdg);
	else if (home && home[0] == '/')
		len = snprintf(out, n, "%s/.local/state/coffer/sgx-sim-root", home);
	else
		return failf(err, errn, "sgx-sim: no place for the simulated CPU secret: set HOME, XDG_STATE_HOME or COFFER_SGX_SIM_ROOT");
	if (len < 0 || (size_t)len >= n)
		return failf(err, errn, "sgx-sim: the path of the simulated CPU secret is too long");
	return 0;
}

/* mkdir -p of path's directory, new directories 0700. */
static int make_parent(const char *path, char *err, size_t errn)
{
	char dir[4096];
	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return failf(err, errn, "%s: path too long", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	for (char *p = dir + 1;; p++) {
		if (*p == '/' || *p == 0) {
			char c = *p;
			*p = 0;
			if (mkdir(dir, 0700) && errno != EEXIST)
				return failf(err, errn, "%s: cannot make the directory for the simulated CPU secret: %s", dir,
					     strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int create(const char *path, char *err, size_t errn)
{
	struct sgx_sim_root r;
	uint8_t buf[SGX_SIM_ROOT_FILE_SIZE];
	char tmp[4200];
	int fd;

	if (make_parent(path, err, errn))
		return -1;
	memset(&r, 0, sizeof r);
	if (getrandom(r.key, sizeof r.key, 0) != sizeof r.key ||
	    getrandom(r.ownerepoch, sizeof r.ownerepoch, 0) != sizeof r.ownerepoch ||
	    getrandom(r.seal_fuses, sizeof r.seal_fuses, 0) != sizeof r.seal_fuses)
		return failf(err, errn, "sgx-sim: getrandom failed: %s", strerror(errno));
	/* CPUSVN: every component at 1, so that keys for an older TCB (a
	 * component at 0) can be asked for, as on a patched CPU */
	memset(r.cpusvn, 1, sizeof r.cpusvn);
	sgx_sim_root_format(&r, buf);
	memset(&r, 0, sizeof r);

	/* private to this thread: no live thread has our id, so a file of
	 * that name is one a dead thread left (killed before its unlink) */
	snprintf(tmp, sizeof tmp, "%s.new.%ld", path, (long)gettid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return failf(err, errn, "%s: cannot create: %s", tmp, strerror(errno));
	int ok = write(fd, buf, sizeof buf) == (ssize_t)sizeof buf && fsync(fd) == 0;
	int saved = errno;
	close(fd);
	memset(buf, 0, sizeof buf);
	if (!ok) {
		unlink(tmp);
		return failf(err, errn, "%s: cannot write: %s", tmp, strerror(saved));
	}
	if (link(tmp, path) && errno != EEXIST) { /* EEXIST: another process made it first */
		saved = errno;
		unlink(tmp);
		return failf(err, errn, "%s: cannot create: %s", path, strerror(saved));
	}
	unlink(tmp);
	return 0;
}

int simroot_load(const char *path, struct sgx_sim_root *root, char *err, size_t errn)
{
	uint8_t buf[SGX_SIM_ROOT_FILE_SIZE + 1];
	struct stat st;
	const char *why;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (create(path, err, errn))
			return -1;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (errno == ELOOP)
			return failf(err, errn, "%s: is a symbolic link; the simulated CPU secret must be a plain file of yours", path);
		return failf(err, errn, "%s: cannot open the simulated CPU secret: %s", path, strerror(errno));
	}
	if (fstat(fd, &st)) {
		close(fd);
		return failf(err, errn, "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		return failf(err, errn,
			     "%s: the simulated CPU secret must be a regular file owned by you with mode 0600 (it is mode %03o, owner %ld); "
			     "chmod 600 it, or remove it to make a new one (keys sealed under it are then lost)",
			     path, (unsigned)(st.st_mode & 0777), (long)st.st_uid);
	}
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	int bad = sgx_sim_root_parse(buf, n < 0 ? 0 : (size_t)n, root, &why);
	memset(buf, 0, sizeof buf);
	if (bad)
		return failf(err, errn, "%s: %s; remove it to make a new one (keys sealed under it are then lost)", path, why);
	return 0;
}
