/*
 * iagoprobe.c - real calls whose answers the runtime checks, for
 * test_iago.py: the test runs this under each lie of the direct platform's
 * lying host (COFFER_FAULT) and without one. Each probe prints one line,
 * "NAME RESULT ERRNO" (ERRNO the name of errno after a failure, else "-"),
 * and the program ends with "alive": a refused answer is an error for that
 * call only.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

static void on_alarm(int sig)
{
	(void)sig;
}

static void report(const char *name, long r)
{
	const char *e = "-";
	if (r < 0)
		e = errno == EIO ? "EIO" : errno == EFAULT ? "EFAULT" : strerrorname_np(errno);
	printf("%s %ld %s\n", name, r < 0 ? -1 : r, e ? e : "?");
	fflush(stdout);
}

/* A pipe holding `n` bytes. */
static void filled_pipe(int p[2], int n)
{
	if (pipe(p))
		_exit(2);
	if (write(p[1], "hello, world", (size_t)n) != n)
		_exit(2);
}

int main(void)
{
	int p[2], s[2];
	char buf[64];

	filled_pipe(p, 5);
	memset(buf, '.', sizeof buf);
	report("read", read(p[0], buf, sizeof buf));
	/* what lies after the bytes read: untouched, unless the host wrote
	 * there and the runtime let it (pass mode, where it shares memory) */
	printf("tail %s\n", buf[5] == '.' && buf[63] == '.' ? "intact" : "scribbled");
	close(p[0]);
	close(p[1]);

	filled_pipe(p, 5);
	struct iovec iov[2] = { { buf, 3 }, { buf + 3, 20 } };
	report("readv", readv(p[0], iov, 2));
	close(p[0]);
	close(p[1]);

	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	report("socket", fd);
	if (fd >= 0)
		close(fd);

	filled_pipe(p, 5);
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	report("poll", poll(&pfd, 1, 0));
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, out[1];
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	report("epoll_wait", epoll_wait(ep, out, 1, 0));
	close(ep);

	struct stat st;
	report("fstat", fstat(p[0], &st));
	close(p[0]);
	close(p[1]);

	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	report("mmap", m == MAP_FAILED ? -1 : 0);
	if (m != MAP_FAILED)
		munmap(m, 4096);

	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	char dents[4096];
	report("getdents64", dfd < 0 ? -1 : syscall(SYS_getdents64, dfd, dents, sizeof dents));
	if (dfd >= 0)
		close(dfd);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		_exit(2);
	struct sockaddr_un sa;
	socklen_t len = sizeof sa;
	report("getsockname", getsockname(s[0], (struct sockaddr *)&sa, &len));

	report("send", send(s[0], "x", 1, 0));
	char data[8];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec miov = { data, sizeof data };
	struct msghdr msg = { .msg_iov = &miov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
	report("recvmsg", recvmsg(s[1], &msg, 0));
	close(s[0]);
	close(s[1]);

	pid_t child = fork();
	if (child == 0)
		_exit(3);
	siginfo_t si;
	report("waitid", waitid(P_PID, (id_t)child, &si, WEXITED));
	if (child > 0)
		waitpid(child, NULL, 0); /* reaped even when the answer was refused */

	/* a message larger than one scratch page set (copy mode sizes the
	 * scratch from the message) */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		_exit(2);
	static char big[100000];
	struct iovec biov[2] = { { big, 60000 }, { big + 60000, 40000 } };
	struct msghdr bmsg = { .msg_iov = biov, .msg_iovlen = 2 };
	long sent = sendmsg(s[0], &bmsg, MSG_DONTWAIT); /* never waits for a reader */
	report("bigmsg", sent > 65536 ? 1 : sent); /* 1: more than a 64 KiB scratch holds */
	close(s[0]);
	close(s[1]);

	/* record locks: nobody holds one, so F_UNLCK comes back */
	fd = open("a", O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	report("getlk", fd < 0 ? -1 : fcntl(fd, F_GETLK, &fl));
	struct flock ofl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	report("ofd_getlk", fd < 0 ? -1 : fcntl(fd, F_OFD_GETLK, &ofl));
	if (fl.l_type != F_UNLCK || ofl.l_type != F_UNLCK)
		puts("getlk_answer bad");

	struct statx stx;
	report("statx", fd < 0 ? -1 : statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &stx));

	/* a host file to a pipe, both the host's */
	filled_pipe(p, 0);
	report("sendfile", fd < 0 ? -1 : sendfile(p[1], fd, &(off_t){ 0 }, 1));
	report("splice", fd < 0 ? -1 : splice(fd, &(loff_t){ 0 }, p[1], NULL, 1, 0));
	close(p[0]);
	close(p[1]);
	int p2[2];
	filled_pipe(p, 5); /* never an empty pipe: tee would wait */
	if (pipe(p2))
		_exit(2);
	report("tee", tee(p[0], p2[1], 1, SPLICE_F_NONBLOCK));
	close(p[0]);
	close(p[1]);
	close(p2[0]);
	close(p2[1]);
	int cfd = open("copy", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	report("copy_file_range", fd < 0 || cfd < 0 ? -1 : copy_file_range(fd, &(loff_t){ 0 }, cfd, NULL, 1, 0));
	if (cfd >= 0)
		close(cfd);

	/* a file whose pages the host maps, grown */
	void *fm = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	void *gm = fm == MAP_FAILED ? MAP_FAILED : mremap(fm, 4096, 8192, MREMAP_MAYMOVE);
	report("mremap", gm == MAP_FAILED ? -1 : 0);
	if (gm != MAP_FAILED)
		munmap(gm, 8192);
	else if (fm != MAP_FAILED)
		munmap(fm, 4096);
	if (fd >= 0)
		close(fd);

	/* a runtime file (the enclave's host name) sent to a socket: the
	 * runtime reads it and writes the bytes itself */
	int procfd = open("/proc/sys/kernel/hostname", O_RDONLY);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		_exit(2);
	report("sendfile_rt", procfd < 0 ? -1 : sendfile(s[0], procfd, NULL, 64));
	struct iovec one = { "y", 1 };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &one, .msg_iovlen = 1 } };
	report("sendmmsg", sendmmsg(s[0], &mm, 1, 0));
	close(s[0]);
	close(s[1]);
	if (procfd >= 0)
		close(procfd);

	/* a regular file's read: interrupted (by the lying host) and retried */
	fd = open("eintr", O_RDONLY);
	report("eintr", fd < 0 ? -1 : read(fd, buf, sizeof buf));
	if (fd >= 0)
		close(fd);

	int q = msgget(IPC_PRIVATE, 0600);
	struct { long type; char text[32]; } mb = { 1, "hello" };
	if (q < 0 || msgsnd(q, &mb, 5, 0))
		_exit(2);
	report("msgrcv", msgrcv(q, &mb, sizeof mb.text, 0, 0));
	msgctl(q, IPC_RMID, NULL);

	int sh = shmget(IPC_PRIVATE, 8192, 0600);
	void *sa_ = sh < 0 ? (void *)-1 : shmat(sh, NULL, 0);
	report("shmat", sa_ == (void *)-1 ? -1 : 0);
	if (sa_ != (void *)-1)
		shmdt(sa_);
	if (sh >= 0)
		shmctl(sh, IPC_RMID, NULL);

	gid_t groups[64];
	report("getgroups", getgroups(64, groups));

	filled_pipe(p, 5);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	report("select", syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &(struct timeval){ 0, 0 }));
	close(p[0]);
	close(p[1]);

	/* an interrupted sleep tells what is left of it (copy mode copies the
	 * remainder back after EINTR too) */
	struct sigaction act = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &act, NULL);
	/* every 20 ms, so that one lands inside the sleep however late it starts */
	struct itimerval it = { .it_value = { 0, 20000 }, .it_interval = { 0, 20000 } }, off = { 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	struct timespec req = { 5, 0 }, rem = { -1, -1 };
	long r = nanosleep(&req, &rem);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("nanosleep_rem %s\n", r == -1 && errno == EINTR && rem.tv_sec >= 0 && rem.tv_sec < 5 &&
		rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000 ? "ok" : "bad");

	puts("alive");
	return 0;
}
