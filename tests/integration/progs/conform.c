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
#include <linux/membarrier.h>
#include <mqueue.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
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

/* a child's end, as waitpid tells it */
static void show_status(const char *cls, const char *name, int st)
{
	if (WIFSIGNALED(st))
		printf("%s.%s: signal %d\n", cls, name, WTERMSIG(st));
	else
		printf("%s.%s: exit %d\n", cls, name, WEXITSTATUS(st));
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

/* 3. Fork-style clone: any flags Linux takes without CLONE_VM, and a child
 * on a stack of its own. */
static char child_stack[65536] __attribute__((aligned(16)));

static int clone_child(void *arg)
{
	char here;
	/* the child runs on the stack it was given */
	return (uintptr_t)&here > (uintptr_t)child_stack && (uintptr_t)&here < (uintptr_t)arg ? 7 : 8;
}

static void clones(void)
{
	const char *c = "clone";
	static const struct {
		const char *name;
		unsigned long flags;
	} shapes[] = {
		{ "sigchld", SIGCHLD },
		{ "parent", SIGCHLD | CLONE_PARENT },
		{ "fs", SIGCHLD | CLONE_FS },
		{ "io", SIGCHLD | CLONE_IO },
		{ "sysvsem", SIGCHLD | CLONE_SYSVSEM },
		{ "no_signal", 0 },
		{ "settid", SIGCHLD | CLONE_PARENT_SETTID },
	};
	void *top = child_stack + sizeof child_stack;
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		pid_t ptid = 0;
		pid_t pid = clone(clone_child, top, shapes[i].flags, top, &ptid);
		char n[64];
		snprintf(n, sizeof n, "%s_started", shapes[i].name);
		CASE(c, n, pid < 0 ? -1 : 0);
		if (pid < 0)
			continue;
		int st;
		/* CLONE_PARENT: the child is our parent's, not ours */
		pid_t w = waitpid(pid, &st, __WALL);
		snprintf(n, sizeof n, "%s_ours", shapes[i].name);
		CASE(c, n, w == pid);
		if (w == pid) {
			snprintf(n, sizeof n, "%s_end", shapes[i].name);
			show_status(c, n, st);
		} else {
			struct timespec ts = { 0, 200000000 };
			nanosleep(&ts, NULL); /* let the orphan end before the stack is reused */
		}
		if (shapes[i].flags & CLONE_PARENT_SETTID) {
			snprintf(n, sizeof n, "%s_ptid", shapes[i].name);
			CASE(c, n, ptid == pid);
		}
	}
}

/* 4. Every fd the host makes for the program is the program's. */
static void fds(void)
{
	const char *c = "fds";
	char name[64], b[64];
	snprintf(name, sizeof name, "/conform-%d", getpid());
	struct mq_attr qa = { .mq_maxmsg = 4, .mq_msgsize = 32 };
	int q = syscall(SYS_mq_open, name + 1, O_RDWR | O_CREAT | O_EXCL, 0600, &qa);
	CASE(c, "mq_open", q < 0 ? -1 : 0);
	CASE(c, "mq_fcntl", syscall(SYS_fcntl, q, F_GETFD));
	CASE(c, "mq_send", syscall(SYS_mq_timedsend, q, "hello", 5, 1, NULL));
	CASE(c, "mq_receive", syscall(SYS_mq_timedreceive, q, b, sizeof b, NULL, NULL));
	CASE(c, "mq_getattr", syscall(SYS_mq_getsetattr, q, NULL, &qa));
	CASE(c, "mq_dup", (syscall(SYS_dup, q) < 0) ? -1 : 0);
	CASE(c, "mq_close", syscall(SYS_close, q));
	CASE(c, "mq_unlink", syscall(SYS_mq_unlink, name + 1));
	CASE(c, "mq_unlink_again", syscall(SYS_mq_unlink, name + 1));

	int m = posix_openpt(O_RDWR | O_NOCTTY);
	int unlock = 0;
	ioctl(m, TIOCSPTLCK, &unlock);
	int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	CASE(c, "ptpeer", peer < 0 ? -1 : 0);
	CASE(c, "ptpeer_fcntl", syscall(SYS_fcntl, peer, F_GETFL) & O_ACCMODE);
	CASE(c, "ptpeer_isatty", isatty(peer));
	CASE(c, "ptpeer_write", syscall(SYS_write, peer, "x", 1));
	CASE(c, "ptpeer_close", syscall(SYS_close, peer));
	close(m);

	int fd;
	CASE(c, "memfd", (fd = syscall(SYS_memfd_create, "conform", 0)) < 0 ? -1 : 0);
	CASE(c, "memfd_write", syscall(SYS_write, fd, "abc", 3));
	CASE(c, "memfd_close", syscall(SYS_close, fd));
	CASE(c, "timerfd", (fd = timerfd_create(CLOCK_MONOTONIC, 0)) < 0 ? -1 : 0);
	CASE(c, "timerfd_close", syscall(SYS_close, fd));
	CASE(c, "inotify", (fd = inotify_init1(0)) < 0 ? -1 : 0);
	CASE(c, "inotify_close", syscall(SYS_close, fd));
	sigset_t ss;
	sigemptyset(&ss);
	CASE(c, "signalfd", (fd = signalfd(-1, &ss, 0)) < 0 ? -1 : 0);
	CASE(c, "signalfd_close", syscall(SYS_close, fd));
	CASE(c, "pidfd", (fd = syscall(SYS_pidfd_open, getpid(), 0)) < 0 ? -1 : 0);
	CASE(c, "pidfd_close", syscall(SYS_close, fd));
}

/* 5. Signals. */
static volatile sig_atomic_t got;
static void on_sig(int sig)
{
	got = sig;
}

static void on_segv(int sig)
{
	(void)sig;
	_exit(42);
}

static void signals(void)
{
	const char *c = "signals";
	/* a fault signal sent with kill() right after fork reaches the child */
	int sigs[] = { SIGBUS, SIGSEGV, SIGSYS, SIGILL, SIGFPE, SIGTRAP };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			for (;;)
				pause();
		}
		kill(pid, sigs[i]);
		int st;
		waitpid(pid, &st, 0);
		char n[32];
		snprintf(n, sizeof n, "kill_after_fork_%d", sigs[i]);
		show_status(c, n, st);
	}
	/* SA_RESETHAND: the handler runs once, then sigaction reports the default */
	struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_RESETHAND | SA_SIGINFO | SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	CASE(c, "resethand_ran", got);
	CASE(c, "resethand_handler_default", now.sa_handler == SIG_DFL);
	CASE(c, "resethand_flags", now.sa_flags & ~0x04000000);
	/* a frame that cannot be written: a SIGSEGV the program sees */
	pid_t pid = fork();
	if (pid == 0) {
		long pg = sysconf(_SC_PAGESIZE);
		void *alt = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		stack_t st = { .ss_sp = alt, .ss_size = 4 * pg };
		sigaltstack(&st, NULL);
		struct sigaction a = { .sa_handler = on_sig, .sa_flags = SA_ONSTACK };
		sigaction(SIGUSR2, &a, NULL);
		struct sigaction seg = { .sa_handler = on_segv }; /* on the normal stack */
		sigaction(SIGSEGV, &seg, NULL);
		raise(SIGUSR2);
		_exit(3);
	}
	int st;
	waitpid(pid, &st, 0);
	show_status(c, "bad_frame", st);
}

/* 6. The working directory is the directory, not a path. */
static void cwd(void)
{
	const char *c = "cwd";
	char buf[4096], here[4096];
	if (!getcwd(here, sizeof here))
		abort();
	mkdir(at("real"), 0755);
	mkdir(at("real/sub"), 0755);
	symlink("real", at("link"));
	CASE(c, "chdir_link", chdir(at("link")));
	CASE(c, "getcwd_is_real", getcwd(buf, sizeof buf) && !strcmp(buf, at("real")));
	CASE(c, "rename_cwd", rename(at("real"), at("moved")));
	CASE(c, "getcwd_after_rename", getcwd(buf, sizeof buf) && !strcmp(buf, at("moved")));
	CASE(c, "relative_after_rename", access("sub", F_OK));
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	CASE(c, "open_dot_after_rename", fd < 0 ? -1 : 0);
	close(fd);
	CASE(c, "chdir_back", chdir(here));
	/* a directory fd follows a rename too */
	int dfd = open(at("moved"), O_RDONLY | O_DIRECTORY);
	CASE(c, "rename_dirfd", rename(at("moved"), at("again")));
	CASE(c, "openat_after_rename", (fd = openat(dfd, "sub", O_RDONLY | O_DIRECTORY)) < 0 ? -1 : 0);
	if (fd >= 0)
		close(fd);
	CASE(c, "fchdir_after_rename", fchdir(dfd));
	CASE(c, "getcwd_after_fchdir", getcwd(buf, sizeof buf) && !strcmp(buf, at("again")));
	CASE(c, "chdir_back_again", chdir(here));
	close(dfd);
	mkdir(at("locked"), 0700);
	pid_t pid = fork();
	if (pid == 0) {
		int dfd = open(at("locked"), O_RDONLY | O_DIRECTORY);
		chmod(at("locked"), 0);
		if (setgid(65534) || setuid(65534))
			_exit(100);
		errno = 0;
		_exit(fchdir(dfd) ? errno : 0);
	}
	int st;
	waitpid(pid, &st, 0);
	show_status(c, "fchdir_no_search", st);
	chmod(at("locked"), 0700);
}

/* 6, as a host would try it: the working directory moved on the host while
 * the program waits (a line on stdin); then what getcwd and a relative path
 * give. Run by test_conform.py, not compared with a native run. */
static void cwd_moved(void)
{
	char buf[4096], go;
	mkdir(at("x"), 0755);
	close(open(at("x/f"), O_WRONLY | O_CREAT, 0600));
	if (chdir(at("x")))
		abort();
	printf("ready\n");
	fflush(stdout);
	if (read(0, &go, 1) != 1)
		abort();
	printf("getcwd %s\n", getcwd(buf, sizeof buf) ? buf : strerrorname_np(errno));
	printf("relative %s\n", access("f", F_OK) ? strerrorname_np(errno) : "0");
	fflush(stdout);
}

/* 7. A program that runs is a busy file. */
static void busy(void)
{
	const char *c = "busy";
	int pfd[2];
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		abort();
	self[n] = 0;
	int fd = open(self, O_WRONLY);
	CASE(c, "open_self_for_write", fd < 0 ? -1 : 0);
	if (fd >= 0)
		close(fd);
	/* copy /bin/true, hold it open for writing, run it */
	int in = open("/bin/true", O_RDONLY), out = open(at("true-copy"), O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char b[65536];
	while ((n = read(in, b, sizeof b)) > 0)
		if (write(out, b, n) != n)
			abort();
	close(in);
	if (pipe(pfd))
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		execl(at("true-copy"), "true", NULL);
		_exit(errno);
	}
	int st;
	waitpid(pid, &st, 0);
	show_status(c, "exec_open_for_write", st);
	close(out);
	close(pfd[0]);
	close(pfd[1]);
	/* a running child holds its program busy */
	if (pipe(pfd))
		abort();
	symlink("/bin/sleep", at("unused"));
	int c2 = open(at("true-copy"), O_RDONLY);
	close(c2);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		execl("/bin/sh", "sh", "-c", "cp /bin/sleep \"$0\"/sleep-copy && exec \"$0\"/sleep-copy 5", dir, NULL);
		_exit(127);
	}
	close(pfd[1]);
	for (int i = 0; i < 500; i++) {
		struct timespec ts = { 0, 10000000 };
		char maps[256];
		snprintf(maps, sizeof maps, "/proc/%d/comm", pid);
		FILE *f = fopen(maps, "r");
		char comm[64] = "";
		if (f) {
			if (!fgets(comm, sizeof comm, f))
				comm[0] = 0;
			fclose(f);
		}
		if (!strncmp(comm, "sleep-copy", 10))
			break;
		nanosleep(&ts, NULL);
	}
	fd = open(at("sleep-copy"), O_WRONLY);
	CASE(c, "write_running_child", fd < 0 ? -1 : 0);
	if (fd >= 0)
		close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	fd = open(at("sleep-copy"), O_WRONLY);
	CASE(c, "write_after_exit", fd < 0 ? -1 : 0);
	if (fd >= 0)
		close(fd);
	close(pfd[0]);
}

/* 8. The runtime's own resources are invisible. */
static void hidden(void)
{
	const char *c = "hidden";
	struct rlimit rl = { 64, 64 };
	setrlimit(RLIMIT_NOFILE, &rl);
	int n = 0, fd;
	while ((fd = dup(0)) >= 0)
		n++;
	CASE(c, "dups_until_limit", n);
	CASE(c, "dup_at_limit", dup(0));
	for (int i = 3; i < 64; i++)
		if (i != 0)
			close(i);
	CASE(c, "membarrier_query", syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0) >= 0);
	CASE(c, "membarrier_private_expedited", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
	CASE(c, "membarrier_sync_core", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0));
	CASE(c, "membarrier_registrations", syscall(SYS_membarrier, 1 << 9 /* GET_REGISTRATIONS */, 0, 0));
	CASE(c, "membarrier_register", syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
	CASE(c, "membarrier_registrations_after", syscall(SYS_membarrier, 1 << 9, 0, 0));
}

/* 9. A name for an O_TMPFILE file through /proc/self/fd. */
static void tmpfile_link(void)
{
	const char *c = "tmpfile";
	int fd = open(dir, O_TMPFILE | O_WRONLY, 0600);
	CASE(c, "open", fd < 0 ? -1 : 0);
	CASE(c, "write", write(fd, "data", 4));
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	CASE(c, "linkat_proc", linkat(AT_FDCWD, p, AT_FDCWD, at("named"), AT_SYMLINK_FOLLOW));
	CASE(c, "linkat_empty", linkat(fd, "", AT_FDCWD, at("named2"), AT_EMPTY_PATH));
	struct stat st;
	CASE(c, "named_size", stat(at("named"), &st) ? -1 : st.st_size);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} classes[] = {
		{ "args", args },
		{ "absolute", absolute },
		{ "clone", clones },
		{ "fds", fds },
		{ "signals", signals },
		{ "cwd", cwd },
		{ "busy", busy },
		{ "hidden", hidden },
		{ "tmpfile", tmpfile_link },
		{ "cwdmoved", cwd_moved }, /* interactive: named only */
	};
	if (argc < 2) {
		fprintf(stderr, "usage: conform DIR [CLASS]\n");
		return 2;
	}
	dir = argv[1];
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (argc < 3 ? strcmp(classes[i].name, "cwdmoved") : !strcmp(argv[2], classes[i].name))
			classes[i].fn();
	return 0;
}
