/*
 * procprobe.c - look at /proc the way a curious program would, with raw
 * system calls where libc would hide the case, and say what happened.
 *
 *   procprobe OP:ARG...
 *
 * Each OP prints one line "OP ARG: RESULT", RESULT being "ok ..." or an
 * errno name:
 *   open:P      openat(P, O_RDONLY)
 *   cat:P       the file's contents, then the line (NULs shown as '|')
 *   ls:P        getdents64 of P: the names in the order given
 *   readlink:P  readlinkat(P): "ok =TARGET"
 *   stat:P      newfstatat(P): "ok mode=OCTAL ino=N"; lstat:P without following
 *   below:D#N   open D as a directory (fd K), then /proc/self/fd/K/N, print it
 *               (in this and the reopen ops, newlines are shown as '~')
 *   reopen:P    open P, read 3 bytes, open /proc/self/fd/K: "ok A|B|C", A the
 *               3 bytes, B all of the reopened file, C the rest of the first
 *   reopen-unlinked:P  create P, write, unlink, reopen through /proc: "ok TEXT"
 *   fdlink:P    open P (O_PATH), readlink /proc/self/fd/K
 *   anon:KIND   pipe, socket or eventfd: readlink, reopen, and a name below it
 *   fds:-       the numbers in /proc/self/fd, then those fcntl finds open
 *   rtfds:N     for every fd below N, open /proc/self/fd/FD/N... each in
 *               turn; prints those that opened (none, if all is well)
 *   fdnum:P     open P: the fd number it got
 *   closeall:N  close_range(N, ~0U, 0)
 *   ids:-       pid, ppid, tid
 *   threads:N   start N threads that wait until the program ends
 *   procs:-     each pid in /proc as PID:STAT-PID:STATUS-PID:PPID:ARGV0, then
 *               self=PID; fork-procs:- the same from a forked child
 *   uname:-     nodename, sysname, release
 *   write:P#T   create P with the text T
 *   wait:-      print "ready", wait for a line on stdin
 * In ARG, "{pid}" and "{tid}" stand for the process's and thread's ids.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r)
{
	return r < 0 ? strerrorname_np(errno) : "ok";
}

static long sys_open(const char *p, int flags)
{
	return syscall(SYS_openat, AT_FDCWD, p, flags | O_CLOEXEC, 0);
}

static long read_fd(int fd, char *buf, size_t n)
{
	size_t got = 0;
	long r;
	while (got < n - 1 && (r = syscall(SYS_read, fd, buf + got, n - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = 0;
	for (size_t i = 0; i < got; i++)
		if (!buf[i])
			buf[i] = '|';
	return r < 0 ? r : (long)got;
}

/* One line: newlines shown as '~'. */
static char *flat(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\n')
			*p = '~';
	return s;
}

static void do_cat(const char *arg)
{
	static char buf[1 << 20];
	long fd = sys_open(arg, O_RDONLY);
	if (fd < 0) {
		printf("cat %s: %s\n", arg, err(fd));
		return;
	}
	long r = read_fd((int)fd, buf, sizeof buf);
	close((int)fd);
	if (r >= 0)
		fputs(buf, stdout);
	printf("%scat %s: %s\n", r > 0 && buf[r - 1] != '\n' ? "\n" : "", arg, err(r));
}

static void do_ls(const char *arg)
{
	char buf[8192];
	long fd = sys_open(arg, O_RDONLY | O_DIRECTORY), n;
	if (fd < 0) {
		printf("ls %s: %s\n", arg, err(fd));
		return;
	}
	printf("ls %s: ok", arg);
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			printf(" %s", d->d_name);
			off += d->d_reclen;
		}
	if (n < 0)
		printf(" getdents:%s", err(n));
	printf("\n");
	close((int)fd);
}

static void print_link(const char *op, const char *arg, const char *path)
{
	char buf[4096];
	long n = syscall(SYS_readlinkat, AT_FDCWD, path, buf, sizeof buf - 1);
	if (n < 0) {
		printf("%s %s: %s\n", op, arg, err(n));
		return;
	}
	buf[n] = 0;
	printf("%s %s: ok =%s\n", op, arg, buf);
}

static void do_stat(const char *op, const char *arg, int flags)
{
	struct stat st;
	long r = syscall(SYS_newfstatat, AT_FDCWD, arg, &st, flags);
	if (r < 0)
		printf("%s %s: %s\n", op, arg, err(r));
	else
		printf("%s %s: ok mode=%o ino=%lu\n", op, arg, st.st_mode, (unsigned long)st.st_ino);
}

static void do_below(const char *arg)
{
	char dir[4096], path[4200], buf[4096];
	const char *hash = strchr(arg, '#');
	if (!hash)
		exit(2);
	snprintf(dir, sizeof dir, "%.*s", (int)(hash - arg), arg);
	long fd = sys_open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		printf("below %s: dir %s\n", arg, err(fd));
		return;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%ld/%s", fd, hash + 1);
	long f = sys_open(path, O_RDONLY);
	if (f < 0) {
		printf("below %s: %s\n", arg, err(f));
	} else {
		read_fd((int)f, buf, sizeof buf);
		printf("below %s: ok %s\n", arg, flat(buf));
		close((int)f);
	}
	close((int)fd);
}

static void do_reopen(const char *arg)
{
	char a[4], b[4096], c[4096], path[64];
	long fd = sys_open(arg, O_RDONLY);
	if (fd < 0) {
		printf("reopen %s: %s\n", arg, err(fd));
		return;
	}
	long r = syscall(SYS_read, fd, a, 3);
	a[r > 0 ? r : 0] = 0;
	snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
	long fd2 = sys_open(path, O_RDONLY);
	if (fd2 < 0) {
		printf("reopen %s: %s\n", arg, err(fd2));
		close((int)fd);
		return;
	}
	read_fd((int)fd2, b, sizeof b);
	read_fd((int)fd, c, sizeof c);
	printf("reopen %s: ok %s|%s|%s\n", arg, flat(a), flat(b), flat(c));
	close((int)fd);
	close((int)fd2);
}

static void do_reopen_unlinked(const char *arg)
{
	char buf[64], path[64];
	long fd = syscall(SYS_openat, AT_FDCWD, arg, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd < 0 || write((int)fd, "still here", 10) != 10 || unlink(arg)) {
		printf("reopen-unlinked %s: %s\n", arg, err(-1));
		return;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
	long fd2 = sys_open(path, O_RDONLY);
	if (fd2 < 0) {
		printf("reopen-unlinked %s: %s\n", arg, err(fd2));
	} else {
		read_fd((int)fd2, buf, sizeof buf);
		printf("reopen-unlinked %s: ok %s\n", arg, flat(buf));
		close((int)fd2);
	}
	close((int)fd);
}

static void do_fdlink(const char *arg)
{
	char path[64];
	long fd = sys_open(arg, O_PATH);
	if (fd < 0) {
		printf("fdlink %s: %s\n", arg, err(fd));
		return;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
	print_link("fdlink", arg, path);
	close((int)fd);
}

static void do_anon(const char *arg)
{
	int fds[2] = { -1, -1 };
	char path[64], below[80];
	if (!strcmp(arg, "pipe"))
		(void)!pipe2(fds, O_CLOEXEC);
	else if (!strcmp(arg, "socket"))
		fds[0] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	else
		fds[0] = eventfd(0, EFD_CLOEXEC);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fds[0]);
	snprintf(below, sizeof below, "%s/x", path);
	char link[256];
	long n = syscall(SYS_readlinkat, AT_FDCWD, path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	/* the prefix of the link: "pipe", "socket", "anon_inode" */
	char *colon = strchr(link, ':');
	if (colon)
		*colon = 0;
	long r = sys_open(path, fds[1] >= 0 ? O_RDONLY | O_NONBLOCK : O_RDONLY);
	const char *reopen = err(r);
	if (r >= 0)
		close((int)r);
	long b = sys_open(below, O_RDONLY);
	printf("anon %s: ok link=%s reopen=%s below=%s\n", arg, n < 0 ? err(n) : link, reopen, err(b));
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

static void do_fds(void)
{
	char buf[8192];
	long fd = sys_open("/proc/self/fd", O_RDONLY | O_DIRECTORY), n;
	printf("fds -: ok listed");
	while (fd >= 0 && (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (d->d_name[0] != '.' && atoi(d->d_name) != fd)
				printf(" %s", d->d_name);
			off += d->d_reclen;
		}
	printf(" probed");
	for (int i = 0; i < 4096; i++)
		if (i != fd && fcntl(i, F_GETFD) >= 0)
			printf(" %d", i);
	printf("\n");
	if (fd >= 0)
		close((int)fd);
}

static void do_rtfds(const char *arg)
{
	char path[4200];
	printf("rtfds %s: ok", arg);
	for (int i = 0; i < 4096; i++) {
		snprintf(path, sizeof path, "/proc/self/fd/%d/%s", i, arg);
		long fd = sys_open(path, O_RDONLY);
		if (fd >= 0) {
			printf(" %d", i);
			close((int)fd);
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", i);
		struct stat st;
		if (fcntl(i, F_GETFD) < 0 && syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
			printf(" hidden:%d", i);
	}
	printf("\n");
}

/* For each process in /proc: what its stat, status and cmdline say. */
static void do_procs(const char *op)
{
	char buf[8192], path[300], text[8192];
	long fd = sys_open("/proc", O_RDONLY | O_DIRECTORY), n;
	printf("%s -: ok", op);
	while (fd >= 0 && (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] < '1' || d->d_name[0] > '9')
				continue;
			int stat_pid = -1, status_pid = -1, ppid = -1;
			snprintf(path, sizeof path, "/proc/%s/stat", d->d_name);
			long f = sys_open(path, O_RDONLY);
			if (f >= 0 && read_fd((int)f, text, sizeof text) > 0)
				sscanf(text, "%d", &stat_pid);
			close((int)f);
			snprintf(path, sizeof path, "/proc/%s/status", d->d_name);
			f = sys_open(path, O_RDONLY);
			if (f >= 0 && read_fd((int)f, text, sizeof text) > 0) {
				char *p = strstr(text, "\nPid:\t"), *q = strstr(text, "\nPPid:\t");
				if (p)
					status_pid = atoi(p + 6);
				if (q)
					ppid = atoi(q + 7);
			}
			close((int)f);
			snprintf(path, sizeof path, "/proc/%s/cmdline", d->d_name);
			f = sys_open(path, O_RDONLY);
			if (f < 0 || read_fd((int)f, text, sizeof text) < 0)
				text[0] = 0;
			close((int)f);
			char *bar = strchr(text, '|');
			if (bar)
				*bar = 0;
			printf(" %s:%d:%d:%d:%s", d->d_name, stat_pid, status_pid, ppid, text);
		}
	printf(" self=%d\n", getpid());
	close((int)fd);
}

static int gate[2], started[2];

static void *waiter(void *arg)
{
	char c;
	int tid = (int)syscall(SYS_gettid);
	(void)arg;
	(void)!write(started[1], &tid, sizeof tid);
	(void)!read(gate[0], &c, 1);
	return NULL;
}

/* arg with {pid} and {tid} replaced */
static char *expand(const char *arg)
{
	static char out[4096];
	size_t n = 0;
	while (*arg && n < sizeof out - 16) {
		if (!strncmp(arg, "{pid}", 5)) {
			n += (size_t)sprintf(out + n, "%d", getpid());
			arg += 5;
		} else if (!strncmp(arg, "{tid}", 5)) {
			n += (size_t)sprintf(out + n, "%ld", syscall(SYS_gettid));
			arg += 5;
		} else {
			out[n++] = *arg++;
		}
	}
	out[n] = 0;
	return out;
}

int main(int argc, char **argv)
{
	if (pipe2(gate, O_CLOEXEC) || pipe2(started, O_CLOEXEC))
		return 2;
	for (int i = 1; i < argc; i++) {
		char op[64], *arg = strchr(argv[i], ':');
		if (!arg || (size_t)(arg - argv[i]) >= sizeof op)
			return 2;
		snprintf(op, sizeof op, "%.*s", (int)(arg - argv[i]), argv[i]);
		arg = expand(arg + 1);
		if (!strcmp(op, "open")) {
			long fd = sys_open(arg, O_RDONLY);
			printf("open %s: %s\n", arg, err(fd));
			if (fd >= 0)
				close((int)fd);
		} else if (!strcmp(op, "cat")) {
			do_cat(arg);
		} else if (!strcmp(op, "ls")) {
			do_ls(arg);
		} else if (!strcmp(op, "readlink")) {
			print_link("readlink", arg, arg);
		} else if (!strcmp(op, "stat")) {
			do_stat(op, arg, 0);
		} else if (!strcmp(op, "lstat")) {
			do_stat(op, arg, AT_SYMLINK_NOFOLLOW);
		} else if (!strcmp(op, "below")) {
			do_below(arg);
		} else if (!strcmp(op, "reopen")) {
			do_reopen(arg);
		} else if (!strcmp(op, "reopen-unlinked")) {
			do_reopen_unlinked(arg);
		} else if (!strcmp(op, "fdlink")) {
			do_fdlink(arg);
		} else if (!strcmp(op, "anon")) {
			do_anon(arg);
		} else if (!strcmp(op, "fds")) {
			do_fds();
		} else if (!strcmp(op, "rtfds")) {
			do_rtfds(arg);
		} else if (!strcmp(op, "ids")) {
			printf("ids -: ok pid=%d ppid=%d tid=%ld\n", getpid(), getppid(), syscall(SYS_gettid));
		} else if (!strcmp(op, "threads")) {
			printf("threads %s: ok", arg);
			for (int k = 0; k < atoi(arg); k++) {
				pthread_t t;
				int tid;
				int e = pthread_create(&t, NULL, waiter, NULL);
				if (e) {
					printf(" pthread_create:%s", strerrorname_np(e));
					break;
				}
				if (read(started[0], &tid, sizeof tid) == sizeof tid)
					printf(" %d", tid);
			}
			printf("\n");
		} else if (!strcmp(op, "write")) {
			char *hash = strchr(arg, '#');
			if (!hash)
				return 2;
			*hash = 0;
			long fd = syscall(SYS_openat, AT_FDCWD, arg, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
			long r = fd < 0 ? fd : write((int)fd, hash + 1, strlen(hash + 1));
			printf("write %s: %s\n", arg, err(r));
			if (fd >= 0)
				close((int)fd);
		} else if (!strcmp(op, "fdnum")) {
			long fd = sys_open(arg, O_RDONLY);
			printf("fdnum %s: %s %ld\n", arg, err(fd), fd);
			if (fd >= 0)
				close((int)fd);
		} else if (!strcmp(op, "closeall")) {
			long r = syscall(SYS_close_range, atoi(arg), ~0U, 0);
			printf("closeall %s: %s\n", arg, err(r));
		} else if (!strcmp(op, "procs")) {
			do_procs(op);
		} else if (!strcmp(op, "fork-procs")) {
			fflush(stdout);
			pid_t child = fork();
			if (child == 0) {
				do_procs(op);
				fflush(stdout);
				_exit(0);
			}
			waitpid(child, NULL, 0);
		} else if (!strcmp(op, "uname")) {
			struct utsname u;
			uname(&u);
			printf("uname -: ok nodename=%s sysname=%s release=%s\n", u.nodename, u.sysname, u.release);
		} else if (!strcmp(op, "wait")) {
			char line[16];
			printf("ready\n");
			fflush(stdout);
			if (!fgets(line, sizeof line, stdin))
				return 2;
		} else {
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
