/*
 * conform.c - system-call corner cases Linux programs rely on (issue 10).
 *
 * Every case prints one line, "CLASS.CASE: RESULT", where RESULT is "0" (or
 * a value) for success and the errno's name for a failure. test_conform.py
 * runs the program natively and under coffer and compares the lines, so a
 * case states nothing about what Linux answers: this machine's kernel does.
 * Raw system calls throughout, so that libc cannot hide a case.
 *
 * usage: conform DIR [CLASS]   (DIR: an empty writable directory)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

/* an address no user pointer can have */
#define KADDR ((void *)0xffff800000000000UL)

static const char *dir;
static char *argv_true[] = { "true", NULL };
static char *envp_none[] = { NULL };

static void show(const char *cls, const char *name, long r)
{
	if (r < 0)
		printf("%s.%s: %s\n", cls, name, strerrorname_np(errno));
	else
		printf("%s.%s: %ld\n", cls, name, r);
	fflush(stdout);
}

#define CASE(cls, name, call)                \
	do {                                 \
		errno = 0;                   \
		show(cls, name, (long)(call)); \
	} while (0)

static char *at(const char *name)
{
	static char buf[8][4096];
	static int i;
	char *p = buf[i++ % 8];
	snprintf(p, 4096, "%s/%s", dir, name);
	return p;
}

/* Run an execveat in a child: "ran" when the program ran, else the errno. */
static void exec_case(const char *cls, const char *name, int dirfd, const char *path, int flags)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC))
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		syscall(SYS_execveat, dirfd, path, argv_true, envp_none, flags);
		int e = errno;
		if (write(pfd[1], &e, sizeof e) < 0)
			_exit(2);
		_exit(1);
	}
	close(pfd[1]);
	int e = 0, st;
	ssize_t n = read(pfd[0], &e, sizeof e);
	close(pfd[0]);
	waitpid(pid, &st, 0);
	if (n == sizeof e)
		printf("%s.%s: %s\n", cls, name, strerrorname_np(e));
	else
		printf("%s.%s: ran, status %d\n", cls, name, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
}

/* 1. The kernel's own argument checks come before a generic pointer check. */
static void args(void)
{
	const char *c = "args";
	int ep = epoll_create1(0);
	struct epoll_event ev;
	CASE(c, "epoll_wait_zero", syscall(SYS_epoll_wait, ep, NULL, 0, 0));
	CASE(c, "epoll_wait_negative", syscall(SYS_epoll_wait, ep, NULL, -1, 0));
	CASE(c, "epoll_wait_huge", syscall(SYS_epoll_wait, ep, &ev, 0x7fffffff, 0));
	CASE(c, "epoll_wait_kaddr", syscall(SYS_epoll_wait, ep, KADDR, 1, 0));
	CASE(c, "epoll_pwait_negative", syscall(SYS_epoll_pwait, ep, NULL, -1, 0, NULL, 8));
	close(ep);

	struct timespec ts0 = { 0, 0 };
	CASE(c, "ppoll_huge", syscall(SYS_ppoll, NULL, 0x7fffffffUL, &ts0, NULL, 8));
	CASE(c, "ppoll_kaddr", syscall(SYS_ppoll, KADDR, 1, &ts0, NULL, 8));
	CASE(c, "poll_huge", syscall(SYS_poll, NULL, 0x7fffffffUL, 0));

	int fd = open("/dev/zero", O_RDONLY);
	char b[16];
	struct iovec iov = { b, sizeof b };
	CASE(c, "readv_negative", syscall(SYS_readv, fd, NULL, -1));
	CASE(c, "readv_toomany", syscall(SYS_readv, fd, &iov, 1025));
	CASE(c, "readv_null_one", syscall(SYS_readv, fd, NULL, 1));
	CASE(c, "readv_badfd_negative", syscall(SYS_readv, -1, NULL, -1));
	CASE(c, "writev_negative", syscall(SYS_writev, fd, NULL, -1));
	CASE(c, "preadv_negative_count", syscall(SYS_preadv, fd, NULL, -1, 0, 0));
	CASE(c, "preadv_negative_offset", syscall(SYS_preadv, fd, &iov, 1, -1, -1));
	CASE(c, "preadv2_negative_count", syscall(SYS_preadv2, fd, NULL, -1, 0, 0, 0));
	CASE(c, "preadv2_badflags", syscall(SYS_preadv2, fd, &iov, 1, 0, 0, 0x100000));
	CASE(c, "read_negative", syscall(SYS_read, fd, b, -1L));
	close(fd);

	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1025 };
	CASE(c, "recvmsg_toomany", syscall(SYS_recvmsg, sv[0], &mh, MSG_DONTWAIT));
	mh.msg_iovlen = (size_t)-1;
	CASE(c, "recvmsg_negative", syscall(SYS_recvmsg, sv[0], &mh, MSG_DONTWAIT));
	CASE(c, "recvmsg_null", syscall(SYS_recvmsg, sv[0], NULL, MSG_DONTWAIT));
	CASE(c, "sendmsg_toomany", syscall(SYS_sendmsg, sv[0], &(struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1025 }, 0));
	close(sv[0]);
	close(sv[1]);

	int q = msgget(IPC_PRIVATE, 0600);
	CASE(c, "msgrcv_negative", syscall(SYS_msgrcv, q, b, -1L, 0, IPC_NOWAIT));
	CASE(c, "msgrcv_null", syscall(SYS_msgrcv, q, NULL, 8, 0, IPC_NOWAIT));
	CASE(c, "msgsnd_negative", syscall(SYS_msgsnd, q, b, -1L, IPC_NOWAIT));
	msgctl(q, IPC_RMID, NULL);

	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + 2 * pg, 2 * pg); /* m+2pg..m+4pg is a hole */
	CASE(c, "mremap_unaligned", syscall(SYS_mremap, m + 1, pg, pg, 0, 0));
	CASE(c, "mremap_zero_new", syscall(SYS_mremap, m, pg, 0, 0, 0));
	CASE(c, "mremap_badflags", syscall(SYS_mremap, m, pg, pg, 0x100, 0));
	CASE(c, "mremap_hole", syscall(SYS_mremap, m + 2 * pg, pg, pg, 0, 0) < 0 ? -1 : 0);
	CASE(c, "mremap_kaddr", syscall(SYS_mremap, KADDR, pg, pg, 0, 0) < 0 ? -1 : 0);
	CASE(c, "msync_unaligned", syscall(SYS_msync, m + 1, pg, MS_SYNC));
	CASE(c, "msync_badflags", syscall(SYS_msync, m, pg, 0x100));
	CASE(c, "msync_both", syscall(SYS_msync, m, pg, MS_SYNC | MS_ASYNC));
	CASE(c, "msync_hole", syscall(SYS_msync, m + 2 * pg, pg, MS_SYNC));
	CASE(c, "msync_kaddr", syscall(SYS_msync, KADDR, pg, MS_SYNC));
	CASE(c, "madvise_unaligned", syscall(SYS_madvise, m + 1, pg, MADV_NORMAL));
	CASE(c, "mprotect_unaligned", syscall(SYS_mprotect, m + 1, pg, PROT_READ));
	CASE(c, "mprotect_kaddr", syscall(SYS_mprotect, KADDR, pg, PROT_READ));
	CASE(c, "munmap_unaligned", syscall(SYS_munmap, m + 1, pg));
	CASE(c, "munmap_zero", syscall(SYS_munmap, m, 0));
	CASE(c, "mseal_unaligned", syscall(SYS_mseal, m + 1, pg, 0));
	CASE(c, "mseal_badflags", syscall(SYS_mseal, m, pg, 1));
	CASE(c, "mseal_hole", syscall(SYS_mseal, m + 2 * pg, pg, 0));
	CASE(c, "msync_huge", syscall(SYS_msync, m, -2L * pg, MS_SYNC));
	CASE(c, "mremap_huge_new", syscall(SYS_mremap, m, pg, -2L * pg, MREMAP_MAYMOVE, 0) < 0 ? -1 : 0);
	CASE(c, "mremap_huge_old", syscall(SYS_mremap, m, -2L * pg, pg, 0, 0) < 0 ? -1 : 0);
	CASE(c, "mprotect_huge", syscall(SYS_mprotect, m, -2L * pg, PROT_READ));
	CASE(c, "madvise_huge", syscall(SYS_madvise, m, -2L * pg, MADV_NORMAL));
	CASE(c, "mlock_huge", syscall(SYS_mlock, m, -2L * pg));
	CASE(c, "mseal_huge", syscall(SYS_mseal, m, -2L * pg, 0));
	CASE(c, "munmap_huge", syscall(SYS_munmap, m + 3 * pg, -4L * pg));
	munmap(m, 2 * pg);

	struct stat st;
	CASE(c, "fstatat_badflags", syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0x80000000));
	CASE(c, "fstatat_badflags_empty", syscall(SYS_newfstatat, AT_FDCWD, "", &st, 0x40000000));
	char sx[256];
	CASE(c, "statx_badflags", syscall(SYS_statx, AT_FDCWD, "/", 0x80000000, 0x7ff, sx));
	CASE(c, "statx_bothsync", syscall(SYS_statx, AT_FDCWD, "/", 0x6000, 0x7ff, sx));
	CASE(c, "statx_reserved_mask", syscall(SYS_statx, AT_FDCWD, "/", 0, 0x80000000u, sx));
	CASE(c, "statx_badflags_badpath", syscall(SYS_statx, AT_FDCWD, KADDR, 0x80000000, 0x7ff, sx));
	CASE(c, "statx_empty_noflag_badfd", syscall(SYS_statx, -5, "", 0, 0x7ff, sx));
	CASE(c, "fstatat_badflags_badfd", syscall(SYS_newfstatat, -5, "x", &st, 0x80000000));
	CASE(c, "fstatat_empty_badfd", syscall(SYS_newfstatat, -5, "", &st, AT_EMPTY_PATH));
	CASE(c, "fstatat_empty_noflag_badfd", syscall(SYS_newfstatat, -5, "", &st, 0));
	CASE(c, "readlinkat_empty_badfd", syscall(SYS_readlinkat, -5, "", sx, 8));
	CASE(c, "faccessat2_badflags", syscall(SYS_faccessat2, AT_FDCWD, "/", R_OK, 0x1));
	CASE(c, "faccessat2_badmode", syscall(SYS_faccessat2, AT_FDCWD, "/", 0x100, 0));
	CASE(c, "openat_badpath", syscall(SYS_openat, -5, NULL, O_RDONLY));
	CASE(c, "dup3_badflags_badfd", syscall(SYS_dup3, -5, 100, 0x1234));
	CASE(c, "dup3_same", syscall(SYS_dup3, 1, 1, 0));
	CASE(c, "dup3_same_badfd", syscall(SYS_dup3, 900, 900, 0));
	CASE(c, "dup3_badfd", syscall(SYS_dup3, 900, 901, 0));
	CASE(c, "dup2_badfd_same", syscall(SYS_dup2, 900, 900));

	symlink("/bin/true", at("true-link"));
	exec_case(c, "execveat_badflags", AT_FDCWD, "/bin/true", -1);
	exec_case(c, "execveat_nofollow_link", AT_FDCWD, at("true-link"), AT_SYMLINK_NOFOLLOW);
	exec_case(c, "execveat_plain", AT_FDCWD, "/bin/true", 0);
	exec_case(c, "execveat_empty_noflag", AT_FDCWD, "", 0);
}

/* 2. A *at call with an absolute path ignores its directory fd. */
static void absolute(void)
{
	const char *c = "absolute";
	int bad = -5, nodir = open("/dev/null", O_RDONLY);
	struct stat st;
	int fd;
	CASE(c, "openat", (fd = syscall(SYS_openat, bad, "/etc/hostname", O_RDONLY)) < 0 ? -1 : 0);
	if (fd >= 0)
		close(fd);
	CASE(c, "newfstatat", syscall(SYS_newfstatat, bad, "/", &st, 0));
	CASE(c, "faccessat", syscall(SYS_faccessat, bad, "/", R_OK));
	CASE(c, "faccessat2", syscall(SYS_faccessat2, bad, "/", R_OK, 0));
	CASE(c, "faccessat2_notdir", syscall(SYS_faccessat2, nodir, "/", R_OK, 0));
	CASE(c, "mkdirat", syscall(SYS_mkdirat, bad, at("d"), 0700));
	CASE(c, "fchmodat", syscall(SYS_fchmodat, bad, at("d"), 0750));
	CASE(c, "fchownat", syscall(SYS_fchownat, bad, at("d"), -1, -1, 0));
	CASE(c, "openat_creat", (fd = syscall(SYS_openat, bad, at("f"), O_CREAT | O_WRONLY, 0600)) < 0 ? -1 : 0);
	if (fd >= 0)
		close(fd);
	CASE(c, "linkat", syscall(SYS_linkat, bad, at("f"), bad, at("f2"), 0));
	CASE(c, "linkat_notdir", syscall(SYS_linkat, nodir, at("f"), nodir, at("f3"), 0));
	CASE(c, "symlinkat", syscall(SYS_symlinkat, "f", bad, at("s")));
	CASE(c, "readlinkat", syscall(SYS_readlinkat, bad, at("s"), (char[8]){ 0 }, 8));
	CASE(c, "renameat", syscall(SYS_renameat, bad, at("f2"), bad, at("f4")));
	CASE(c, "renameat2", syscall(SYS_renameat2, bad, at("f4"), bad, at("f5"), 0));
	CASE(c, "utimensat", syscall(SYS_utimensat, bad, at("f"), NULL, 0));
	CASE(c, "mknodat", syscall(SYS_mknodat, bad, at("fifo"), S_IFIFO | 0600, 0));
	CASE(c, "unlinkat", syscall(SYS_unlinkat, bad, at("f5"), 0));
	CASE(c, "unlinkat_dir", syscall(SYS_unlinkat, bad, at("d"), AT_REMOVEDIR));
	CASE(c, "relative_badfd", syscall(SYS_faccessat2, bad, "etc", R_OK, 0));
	CASE(c, "relative_notdir", syscall(SYS_faccessat2, nodir, "etc", R_OK, 0));
	CASE(c, "empty_badfd", syscall(SYS_faccessat2, bad, "", R_OK, 0));
	CASE(c, "badpath_badfd", syscall(SYS_faccessat2, bad, KADDR, R_OK, 0));
	exec_case(c, "execveat", bad, "/bin/true", 0);
	exec_case(c, "execveat_notdir", nodir, "/bin/true", 0);
	close(nodir);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} classes[] = {
		{ "args", args },
		{ "absolute", absolute },
	};
	if (argc < 2) {
		fprintf(stderr, "usage: conform DIR [CLASS]\n");
		return 2;
	}
	dir = argv[1];
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (argc < 3 || !strcmp(argv[2], classes[i].name))
			classes[i].fn();
	return 0;
}
