/*
 * util.c - small helpers shared by the coffer subcommands (util.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int find_libexec(const char *name, const char *env_name, char *out, size_t n)
{
	const char *env = getenv(env_name);
	char self[PATH_MAX];
	struct stat st;

	if (env && *env) {
		snprintf(out, n, "%s", env);
		return access(out, X_OK);
	}
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len < 0)
		return -1;
	self[len] = 0;
	*strrchr(self, '/') = 0;
	const char *candidates[] = { "%s/%s", "%s/../libexec/coffer/%s" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(out, n, candidates[i], self, name);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
	}
	snprintf(out, n, "%s", self);
	return -1;
}

int find_enclave(char *out, size_t n)
{
	return find_libexec("coffer-enclave", "COFFER_ENCLAVE", out, n);
}

int read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		int e = S_ISREG(st.st_mode) ? EFBIG : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		errno = e;
		return -1;
	}
	uint8_t *b = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (b && got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			free(b);
			b = NULL;
			break;
		}
		got += (size_t)r;
	}
	int e = errno;
	close(fd);
	if (!b) {
		errno = e;
		return -1;
	}
	*data = b;
	*len = got;
	return 0;
}

int write_file(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	const uint8_t *p = data;
	while (len) {
		ssize_t r = write(fd, p, len);
		if (r <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			errno = e;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	if (fsync(fd) || close(fd) || rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}
