/*
 * probe.c - try file operations and say what happened, one line each.
 *
 *   probe OP:PATH...
 *
 * OP is one of open (read-only), write (open for writing), creat, stat,
 * lstat, access, readlink, chdir, mkdir, rmdir, unlink, rename (to
 * PATH.new), truncate, chmod, exec (execve PATH; printed only if it
 * returns), cat (print the contents), env (print the variable PATH's
 * value, or "unset"), args (print argv, one per line), and reread: read the file, print
 * "ready", wait for a line on stdin, then read it again chunk by chunk
 * (16 KiB) and print each chunk's result, then open and read it anew.
 * churn: 5000 times create PATH, write 200 KiB into it 9000 bytes at a time
 * (so the file's storage grows step by step), and unlink it.
 *
 * Each line is "OP PATH: ok" or "OP PATH: ERRNAME". The bundle tests run
 * it inside and outside a manifest's mounts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 16384

static void report(const char *op, const char *path, int r)
{
	printf("%s %s: %s\n", op, path, r < 0 ? strerrorname_np(errno) : "ok");
	fflush(stdout);
}

static int churn(const char *path)
{
	static char buf[9000];
	for (int i = 0; i < 5000; i++) {
		int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
		if (fd < 0)
			return -1;
		for (long done = 0; done < 200 << 10; done += sizeof buf)
			if (write(fd, buf, sizeof buf) != sizeof buf) {
				if (errno == 0)
					errno = ENOSPC;
				close(fd);
				return -1;
			}
		if (close(fd) || unlink(path))
			return -1;
	}
	return 0;
}

static long read_all(int fd, long *total)
{
	char buf[4096];
	long n;
	*total = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		*total += n;
	return n;
}

static void reread(const char *path)
{
	int fd = open(path, O_RDONLY);
	long total;
	if (fd < 0 || read_all(fd, &total) < 0) {
		report("reread", path, -1);
		return;
	}
	printf("ready %ld\n", total);
	fflush(stdout);
	char line[16];
	if (!fgets(line, sizeof line, stdin))
		return;
	for (long off = 0; off < total; off += CHUNK) {
		char buf[CHUNK];
		char what[32];
		snprintf(what, sizeof what, "chunk%ld", off / CHUNK);
		report(what, path, (int)pread(fd, buf, CHUNK, off));
	}
	close(fd);
	fd = open(path, O_RDONLY);
	report("reopen", path, fd < 0 ? -1 : (int)read_all(fd, &total));
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *path = strchr(argv[i], ':');
		if (!path) {
			fprintf(stderr, "probe: %s: expected OP:PATH\n", argv[i]);
			return 2;
		}
		*path++ = 0;
		const char *op = argv[i];
		char other[4096];
		int r, fd;
		snprintf(other, sizeof other, "%s.new", path);
		if (!strcmp(op, "churn")) {
			r = churn(path);
		} else if (!strcmp(op, "open") || !strcmp(op, "write") || !strcmp(op, "creat")) {
			int flags = op[0] == 'o' ? O_RDONLY : op[0] == 'w' ? O_WRONLY : O_WRONLY | O_CREAT | O_EXCL;
			r = fd = open(path, flags, 0644);
			if (fd >= 0)
				close(fd);
		} else if (!strcmp(op, "stat") || !strcmp(op, "lstat")) {
			struct stat st;
			r = op[0] == 's' ? stat(path, &st) : lstat(path, &st);
		} else if (!strcmp(op, "access")) {
			r = access(path, F_OK);
		} else if (!strcmp(op, "readlink")) {
			r = (int)readlink(path, other, sizeof other);
		} else if (!strcmp(op, "chdir")) {
			r = chdir(path);
		} else if (!strcmp(op, "mkdir")) {
			r = mkdir(path, 0755);
		} else if (!strcmp(op, "rmdir")) {
			r = rmdir(path);
		} else if (!strcmp(op, "unlink")) {
			r = unlink(path);
		} else if (!strcmp(op, "rename")) {
			r = rename(path, other);
		} else if (!strcmp(op, "truncate")) {
			r = truncate(path, 0);
		} else if (!strcmp(op, "chmod")) {
			r = chmod(path, 0777);
		} else if (!strcmp(op, "exec")) {
			char *args[] = { path, NULL };
			r = execv(path, args);
		} else if (!strcmp(op, "cat")) {
			char buf[4096];
			long n;
			r = fd = open(path, O_RDONLY);
			if (fd >= 0) {
				while ((n = read(fd, buf, sizeof buf)) > 0)
					fwrite(buf, 1, (size_t)n, stdout);
				r = (int)n;
				close(fd);
			}
		} else if (!strcmp(op, "env")) {
			const char *v = getenv(path);
			printf("env %s=%s\n", path, v ? v : "(unset)");
			continue;
		} else if (!strcmp(op, "args")) {
			for (int a = 0; a < argc; a++)
				printf("arg %d: %s\n", a, argv[a]);
			continue;
		} else if (!strcmp(op, "reread")) {
			reread(path);
			continue;
		} else {
			fprintf(stderr, "probe: unknown operation %s\n", op);
			return 2;
		}
		report(op, path, r);
	}
	return 0;
}
