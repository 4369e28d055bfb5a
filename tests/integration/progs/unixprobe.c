/*
 * unixprobe.c - try UNIX socket addresses and say what happened, one line
 * each: "OP ARG: RESULT", RESULT "ok ..." or an errno name.
 *
 *   unixprobe OP:ARG...
 *
 * Addresses are printed as  path[LEN] ("/data/s[10]"), @name[LEN] for an
 * abstract one (NULs after the first shown as @), or unnamed[LEN].
 *
 *   bind:PATH        bind a stream socket to PATH (then close it)
 *   connect:PATH     connect a stream socket to PATH
 *   sendto:PATH      send a datagram to PATH
 *   symlink:T=L      make symlink L pointing at T
 *   mkdir:PATH  unlink:PATH  chdir:PATH
 *   pair:PATH        server bound at PATH, a client connects, the server
 *                    accepts; prints the server's name, the client's peer,
 *                    the address accept gave, the accepted socket's own name
 *                    and peer, and whether a byte went through
 *   dgram:S=C        datagram server at S, client bound at C sends to it;
 *                    prints the sender address recvfrom and recvmsg gave,
 *                    and whether the server's reply to it reached the client
 *   abstract:NAME    the same as pair with the abstract name "\0NAME"
 *   autobind:-       bind with only the family: the kernel picks a name
 *   addrlen:PATH     bind PATH with the lengths Linux checks: 0, 1, 111,
 *                    sizeof(sa_family_t) with another family; then
 *                    getsockname into 0, 5 and full-size buffers (returned
 *                    length and bytes)
 *   long:PATH        bind the relative name "s" in directory PATH (chdir),
 *                    then connect to PATH/s given as a 108-byte path
 *                    without a NUL (PATH must make it exactly 108)
 *   serve:PATH       bind and listen at PATH, print "ready", accept one
 *                    connection, print its address and its peer
 *   recv:PATH        bind a datagram socket at PATH, print "ready", receive
 *                    with recvfrom, recvmsg, two with recvmmsg, and one
 *                    with recvfrom into a 5-byte address; print the
 *                    senders (the last as length:the buffer's first 6 bytes)
 *   mmsg:PATH        an unbound datagram socket sends two messages to PATH
 *                    with one sendmmsg (a server bound there receives them)
 *   scm:-            pass a pipe's read end over a socketpair (SCM_RIGHTS)
 *                    and read through the fd that arrives
 *   scmrace:-        a thread keeps changing the fd in an SCM_RIGHTS message
 *                    between a pipe and the numbers below it that the
 *                    application does not own (the runtime's fds) while
 *                    another sends it; counts fds that arrive that are not
 *                    the pipe
 *   race:DIR=TARGET  two threads: one swaps DIR/d (a directory) and DIR/l
 *                    (a symlink to TARGET) with renameat2(RENAME_EXCHANGE),
 *                    the other binds and connects through DIR/d meanwhile;
 *                    prints how many binds and connects got through
 *   fdpath:DIR=NAME  connect to /proc/self/fd/N/NAME, N an fd of DIR
 *   peername:PATH    as peerof, with a server of its own bound at PATH
 *   peerof:PATH      connect to the server at PATH and ask for its name:
 *                    getpeername, then getsockopt(SO_PEERNAME) into a
 *                    full-size buffer and into one as long as that name
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static char out[4096];
static volatile int race_stop;

static void line(const char *op, const char *arg, int r, const char *extra)
{
	printf("%s %s: %s%s%s\n", op, arg, r < 0 ? strerrorname_np(errno) : "ok", extra && *extra ? " " : "",
	       extra ? extra : "");
	fflush(stdout);
}

static socklen_t mkaddr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	size_t n = strlen(path) < sizeof a->sun_path ? strlen(path) : sizeof a->sun_path;
	memcpy(a->sun_path, path, n);
	return offsetof(struct sockaddr_un, sun_path) + n + (n < sizeof a->sun_path);
}

/* Append an address as path[LEN], @abstract[LEN] or unnamed[LEN]. */
static void show(char *buf, size_t n, const char *label, const struct sockaddr_un *a, socklen_t len)
{
	size_t at = strlen(buf);
	char name[256] = "";
	if (len <= offsetof(struct sockaddr_un, sun_path)) {
		snprintf(buf + at, n - at, "%s%s=unnamed[%u]", at ? " " : "", label, len);
		return;
	}
	size_t plen = len - offsetof(struct sockaddr_un, sun_path);
	if (a->sun_path[0]) {
		snprintf(name, sizeof name, "%.*s", (int)strnlen(a->sun_path, plen), a->sun_path);
	} else {
		for (size_t i = 0; i < plen && i < sizeof name - 1; i++)
			name[i] = a->sun_path[i] ? a->sun_path[i] : '@';
		name[plen < sizeof name ? plen : sizeof name - 1] = 0;
	}
	snprintf(buf + at, n - at, "%s%s=%s[%u]", at ? " " : "", label, name, len);
}

static int do_bind(const char *path)
{
	struct sockaddr_un a;
	socklen_t len = mkaddr(&a, path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	int r = bind(s, (struct sockaddr *)&a, len);
	int e = errno;
	close(s);
	errno = e;
	return r;
}

static int do_connect(const char *path, int type)
{
	struct sockaddr_un a;
	socklen_t len = mkaddr(&a, path);
	int s = socket(AF_UNIX, type, 0);
	int r = type == SOCK_DGRAM ? (int)sendto(s, "x", 1, 0, (struct sockaddr *)&a, len)
				   : connect(s, (struct sockaddr *)&a, len);
	int e = errno;
	close(s);
	errno = e;
	return r < 0 ? -1 : 0;
}

/* A server at (a, len), a client connecting to it: names on both sides. */
static int pair(const struct sockaddr_un *a, socklen_t len)
{
	struct sockaddr_un n;
	socklen_t nl;
	int srv = socket(AF_UNIX, SOCK_STREAM, 0), cl = socket(AF_UNIX, SOCK_STREAM, 0);
	out[0] = 0;
	if (bind(srv, (const struct sockaddr *)a, len) || listen(srv, 4) ||
	    connect(cl, (const struct sockaddr *)a, len))
		return -1;
	nl = sizeof n;
	getsockname(srv, (struct sockaddr *)&n, &nl);
	show(out, sizeof out, "srv", &n, nl);
	nl = sizeof n;
	getpeername(cl, (struct sockaddr *)&n, &nl);
	show(out, sizeof out, "peer", &n, nl);
	nl = sizeof n;
	int c = accept(srv, (struct sockaddr *)&n, &nl);
	if (c < 0)
		return -1;
	show(out, sizeof out, "acc", &n, nl);
	nl = sizeof n;
	getsockname(c, (struct sockaddr *)&n, &nl);
	show(out, sizeof out, "accname", &n, nl);
	nl = sizeof n;
	getpeername(c, (struct sockaddr *)&n, &nl);
	show(out, sizeof out, "accpeer", &n, nl);
	char b = 0;
	int ok = write(cl, "y", 1) == 1 && read(c, &b, 1) == 1 && b == 'y';
	strcat(out, ok ? " data=ok" : " data=lost");
	close(c);
	close(cl);
	close(srv);
	return 0;
}

static int dgram(char *arg)
{
	char *eq = strchr(arg, '=');
	struct sockaddr_un sa, ca, n;
	socklen_t sl, cl, nl;
	char b;
	*eq = 0;
	sl = mkaddr(&sa, arg);
	cl = mkaddr(&ca, eq + 1);
	*eq = '=';
	out[0] = 0;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (bind(s, (struct sockaddr *)&sa, sl) || bind(c, (struct sockaddr *)&ca, cl))
		return -1;
	if (sendto(c, "a", 1, 0, (struct sockaddr *)&sa, sl) != 1 || sendto(c, "b", 1, 0, (struct sockaddr *)&sa, sl) != 1)
		return -1;
	nl = sizeof n;
	if (recvfrom(s, &b, 1, 0, (struct sockaddr *)&n, &nl) != 1)
		return -1;
	show(out, sizeof out, "from", &n, nl);
	struct iovec iov = { &b, 1 };
	struct msghdr m = { .msg_name = &n, .msg_namelen = sizeof n, .msg_iov = &iov, .msg_iovlen = 1 };
	if (recvmsg(s, &m, 0) != 1)
		return -1;
	show(out, sizeof out, "msg", &n, m.msg_namelen);
	/* answer the sender at the address it came from */
	int sent = sendto(s, "r", 1, MSG_DONTWAIT, (struct sockaddr *)&n, m.msg_namelen) == 1;
	int got = sent && recv(c, &b, 1, MSG_DONTWAIT) == 1;
	strcat(out, got ? " reply=ok" : " reply=lost");
	close(s);
	close(c);
	return 0;
}

static int autobind(void)
{
	struct sockaddr_un n;
	socklen_t nl = sizeof n;
	sa_family_t fam = AF_UNIX;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	out[0] = 0;
	if (bind(s, (struct sockaddr *)&fam, sizeof fam) || getsockname(s, (struct sockaddr *)&n, &nl))
		return -1;
	/* the kernel's name: NUL and five hex digits */
	snprintf(out, sizeof out, "len=%u abstract=%d", nl, n.sun_path[0] == 0);
	close(s);
	return 0;
}

static void addrlen(const char *path)
{
	struct sockaddr_un a, n;
	socklen_t len = mkaddr(&a, path);
	char arg[300];
	for (int i = 0; i < 3; i++) {
		static const long lens[] = { 0, 1, sizeof(struct sockaddr_un) + 1 };
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		int r = (int)syscall(SYS_bind, s, &a, lens[i]);
		snprintf(arg, sizeof arg, "%s/len=%ld", path, lens[i]);
		line("addrlen", arg, r, NULL);
		close(s);
	}
	struct sockaddr_un other = a;
	other.sun_family = AF_INET6;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(arg, sizeof arg, "%s/family", path);
	line("addrlen", arg, (int)syscall(SYS_bind, s, &other, len), NULL);
	int r = bind(s, (struct sockaddr *)&a, len);
	line("addrlen", path, r, NULL);
	/* getsockname: truncated copies, full length returned */
	static const socklen_t room[] = { 0, 5, sizeof n };
	for (int i = 0; i < 3; i++) {
		memset(&n, 0x7f, sizeof n);
		socklen_t nl = room[i];
		r = getsockname(s, (struct sockaddr *)&n, &nl);
		char bytes[300] = "";
		for (socklen_t k = 0; k < room[i] && k < nl && k < 12; k++)
			sprintf(bytes + strlen(bytes), "%02x", ((unsigned char *)&n)[k]);
		/* the byte after what was copied stays untouched */
		snprintf(out, sizeof out, "len=%u bytes=%s next=%02x", nl, bytes,
			 room[i] < sizeof n ? ((unsigned char *)&n)[room[i]] : 0);
		snprintf(arg, sizeof arg, "%s/getsockname=%u", path, room[i]);
		line("addrlen", arg, r, out);
	}
	/* a length that is not readable/writable */
	socklen_t *bad = (socklen_t *)8;
	snprintf(arg, sizeof arg, "%s/badlen", path);
	line("addrlen", arg, getsockname(s, (struct sockaddr *)&n, bad), NULL);
	close(s);
}

static int longpath(const char *dir)
{
	struct sockaddr_un a;
	char full[200];
	if (chdir(dir))
		return -1;
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);
	socklen_t len = mkaddr(&a, "s");
	if (bind(srv, (struct sockaddr *)&a, len) || listen(srv, 1))
		return -1;
	snprintf(full, sizeof full, "%s/s", dir);
	if (strlen(full) != sizeof a.sun_path) {
		snprintf(out, sizeof out, "path is %zu bytes, not %zu", strlen(full), sizeof a.sun_path);
		errno = EINVAL;
		return -1;
	}
	memcpy(a.sun_path, full, sizeof a.sun_path); /* no NUL */
	int cl = socket(AF_UNIX, SOCK_STREAM, 0);
	int r = connect(cl, (struct sockaddr *)&a, sizeof a);
	close(cl);
	close(srv);
	chdir("/");
	return r;
}

static int serve(const char *path, int type)
{
	struct sockaddr_un a, n;
	socklen_t len = mkaddr(&a, path), nl = sizeof n;
	int s = socket(AF_UNIX, type, 0);
	char b;
	out[0] = 0;
	if (bind(s, (struct sockaddr *)&a, len) || (type == SOCK_STREAM && listen(s, 1)))
		return -1;
	printf("ready\n");
	fflush(stdout);
	if (type == SOCK_STREAM) {
		int c = accept(s, (struct sockaddr *)&n, &nl);
		if (c < 0)
			return -1;
		show(out, sizeof out, "acc", &n, nl);
		nl = sizeof n;
		getpeername(c, (struct sockaddr *)&n, &nl);
		show(out, sizeof out, "accpeer", &n, nl);
		close(c);
	} else {
		if (recvfrom(s, &b, 1, 0, (struct sockaddr *)&n, &nl) != 1)
			return -1;
		show(out, sizeof out, "from", &n, nl);
		struct iovec iov = { &b, 1 };
		struct msghdr m = { .msg_name = &n, .msg_namelen = sizeof n, .msg_iov = &iov, .msg_iovlen = 1 };
		if (recvmsg(s, &m, 0) != 1)
			return -1;
		show(out, sizeof out, "msg", &n, m.msg_namelen);
		struct sockaddr_un names[2];
		char bufs[2];
		struct iovec iovs[2] = { { &bufs[0], 1 }, { &bufs[1], 1 } };
		struct mmsghdr mm[2];
		memset(mm, 0, sizeof mm);
		for (int i = 0; i < 2; i++)
			mm[i].msg_hdr = (struct msghdr){ .msg_name = &names[i], .msg_namelen = sizeof names[i],
							 .msg_iov = &iovs[i], .msg_iovlen = 1 };
		if (recvmmsg(s, mm, 2, MSG_WAITFORONE, NULL) != 2 &&
		    recvmmsg(s, mm + 1, 1, 0, NULL) != 1)
			return -1;
		show(out, sizeof out, "mmsg0", &names[0], mm[0].msg_hdr.msg_namelen);
		show(out, sizeof out, "mmsg1", &names[1], mm[1].msg_hdr.msg_namelen);
		/* into a 5-byte buffer: 5 bytes copied, the full length returned */
		memset(&n, 0x7f, sizeof n);
		nl = 5;
		if (recvfrom(s, &b, 1, 0, (struct sockaddr *)&n, &nl) != 1)
			return -1;
		unsigned char *raw = (unsigned char *)&n;
		snprintf(out + strlen(out), sizeof out - strlen(out), " cut=%u:%02x%02x%02x%02x%02x%02x", nl, raw[0],
			 raw[1], raw[2], raw[3], raw[4], raw[5]);
	}
	close(s);
	return 0;
}

static int mmsg(const char *path)
{
	struct sockaddr_un a;
	socklen_t len = mkaddr(&a, path);
	int srv = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (bind(srv, (struct sockaddr *)&a, len))
		return -1;
	struct iovec iov = { "m", 1 };
	struct mmsghdr mm[2];
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 2; i++)
		mm[i].msg_hdr = (struct msghdr){ .msg_name = &a, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1 };
	int n = sendmmsg(c, mm, 2, 0);
	if (n < 0)
		return -1;
	char b;
	int got = 0;
	while (recv(srv, &b, 1, MSG_DONTWAIT) == 1)
		got++;
	snprintf(out, sizeof out, "sent=%d len0=%u len1=%u got=%d", n, mm[0].msg_len, mm[1].msg_len, got);
	close(srv);
	close(c);
	return 0;
}

static void put_fd(struct msghdr *m, char *ctl, size_t n, int fd)
{
	memset(ctl, 0, n);
	m->msg_control = ctl;
	m->msg_controllen = CMSG_SPACE(sizeof(int));
	struct cmsghdr *h = CMSG_FIRSTHDR(m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof fd);
}

static int take_fd(int s)
{
	char b, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &b, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	if (recvmsg(s, &m, 0) != 1)
		return -1;
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	if (!h || h->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(h), sizeof fd);
	return fd;
}

static int scm(void)
{
	int sv[2], p[2];
	char ctl[CMSG_SPACE(sizeof(int))], b = 'x';
	struct iovec iov = { &b, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(p))
		return -1;
	put_fd(&m, ctl, sizeof ctl, p[0]);
	if (sendmsg(sv[0], &m, 0) != 1)
		return -1;
	int fd = take_fd(sv[1]);
	if (fd < 0 || write(p[1], "z", 1) != 1 || read(fd, &b, 1) != 1 || b != 'z')
		return -1;
	snprintf(out, sizeof out, "passed=%d", fd != p[0]);
	return 0;
}

static int *scm_slot;
static int scm_cands[64], scm_ncands;

static void *scm_flipper(void *arg)
{
	int pipe_fd = *(int *)arg;
	unsigned spin = 1;
	/* each value stays a little while (a varying number of pauses) */
	while (!race_stop) {
		for (int i = 0; i < scm_ncands && !race_stop; i++) {
			__atomic_store_n(scm_slot, pipe_fd, __ATOMIC_RELAXED);
			for (unsigned k = spin; k; k--)
				__builtin_ia32_pause();
			__atomic_store_n(scm_slot, scm_cands[i], __ATOMIC_RELAXED);
			for (unsigned k = spin; k; k--)
				__builtin_ia32_pause();
			spin = spin * 7 % 61 + 1;
		}
	}
	return NULL;
}

static int scmrace(void)
{
	int sv[2], p[2];
	struct stat pst, st;
	char ctl[CMSG_SPACE(sizeof(int))], b = 'x';
	struct iovec iov = { &b, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	pthread_t t;
	int sent = 0, leaked = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(p) || fstat(p[0], &pst))
		return -1;
	/* the host gives the lowest free number: a hole below the pipe that
	 * fcntl calls closed is an fd someone else (the runtime) holds; the
	 * runtime keeps most of its fds from min(RLIMIT_NOFILE - 16, 1000) up
	 * (docs/runtime.md, "Files"), so the closed ones there are tried too */
	for (int fd = 0; fd < p[0] && fd < 64; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			scm_cands[scm_ncands++] = fd;
	struct rlimit nofile;
	int base = getrlimit(RLIMIT_NOFILE, &nofile) || nofile.rlim_cur > 1016 ? 1000 : (int)nofile.rlim_cur - 16;
	for (int fd = base > p[0] ? base : p[0] + 1; fd < base + 4 && scm_ncands < 64; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			scm_cands[scm_ncands++] = fd;
	put_fd(&m, ctl, sizeof ctl, p[0]);
	scm_slot = (int *)CMSG_DATA(CMSG_FIRSTHDR(&m));
	race_stop = 0;
	pthread_create(&t, NULL, scm_flipper, &p[0]);
	/* 20000 sends, and more (up to ten times) until both outcomes were
	 * seen: a scheduler that keeps the flipper off the CPU must not make
	 * the race vacuous */
	int refused = 0;
	for (int i = 0; i < 20000 || ((!sent || !refused) && i < 200000); i++) {
		if (i % 256 == 255)
			sched_yield(); /* on a core it shares with the flipper */
		if (sendmsg(sv[0], &m, 0) != 1) {
			refused++;
			continue;
		}
		sent++;
		int fd = take_fd(sv[1]);
		if (fd < 0 || fstat(fd, &st) || st.st_ino != pst.st_ino || st.st_dev != pst.st_dev)
			leaked++;
		if (fd >= 0)
			close(fd);
	}
	race_stop = 1;
	pthread_join(t, NULL);
	snprintf(out, sizeof out, "holes=%s sent=%s leaked=%d", scm_ncands ? "some" : "none", sent ? "some" : "none",
		 leaked);
	return 0;
}

static char race_dir[256];

static void *swapper(void *arg)
{
	char d[300], l[300];
	(void)arg;
	snprintf(d, sizeof d, "%s/d", race_dir);
	snprintf(l, sizeof l, "%s/l", race_dir);
	while (!race_stop)
		syscall(SYS_renameat2, AT_FDCWD, d, AT_FDCWD, l, RENAME_EXCHANGE);
	return NULL;
}

static int race(char *arg)
{
	char *eq = strchr(arg, '=');
	char p[300];
	pthread_t t;
	int bound = 0, connected = 0, tries = 4000;
	*eq = 0;
	snprintf(race_dir, sizeof race_dir, "%s", arg);
	snprintf(p, sizeof p, "%s/d", arg);
	if (mkdir(p, 0755))
		return -1;
	snprintf(p, sizeof p, "%s/l", arg);
	if (symlink(eq + 1, p))
		return -1;
	*eq = '=';
	/* before the swaps: the directory is a directory */
	snprintf(p, sizeof p, "%s/d/first.sock", race_dir);
	int first = do_bind(p);
	pthread_create(&t, NULL, swapper, NULL);
	for (int i = 0; i < tries; i++) {
		snprintf(p, sizeof p, "%s/d/new.sock", race_dir);
		if (do_bind(p) == 0) {
			bound++;
			unlink(p);
		}
		snprintf(p, sizeof p, "%s/d/peer.sock", race_dir);
		if (do_connect(p, SOCK_STREAM) == 0)
			connected++;
	}
	race_stop = 1;
	pthread_join(t, NULL);
	snprintf(out, sizeof out, "first=%s tries=%d bound=%d connected=%d", first ? strerrorname_np(errno) : "ok",
		 tries, bound, connected);
	return 0;
}

static int fdpath(char *arg)
{
	char *eq = strchr(arg, '=');
	char p[300];
	*eq = 0;
	int fd = open(arg, O_PATH | O_DIRECTORY);
	*eq = '=';
	if (fd < 0)
		return -1;
	snprintf(p, sizeof p, "/proc/self/fd/%d/%s", fd, eq + 1);
	int r = do_connect(p, SOCK_STREAM);
	int e = errno;
	if (r) {
		snprintf(p, sizeof p, "/proc/self/fd/%d/new.sock", fd);
		/* binding there must not work either */
		if (do_bind(p) == 0) {
			strcpy(out, "bound");
			r = 0;
		}
	}
	close(fd);
	errno = e;
	return r;
}

static int peerof(const char *path, int srv)
{
	struct sockaddr_un a, n;
	socklen_t len = mkaddr(&a, path), nl = sizeof n;
	int cl = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(cl, (struct sockaddr *)&a, len) || getpeername(cl, (struct sockaddr *)&n, &nl))
		return -1;
	show(out, sizeof out, "peer", &n, nl);
	len = nl;
	nl = sizeof n;
	int r = getsockopt(cl, SOL_SOCKET, SO_PEERNAME, &n, &nl);
	snprintf(out + strlen(out), sizeof out - strlen(out), " full=%s", r ? strerrorname_np(errno) : "ok");
	memset(&n, 0, sizeof n);
	nl = len;
	r = getsockopt(cl, SOL_SOCKET, SO_PEERNAME, &n, &nl);
	snprintf(out + strlen(out), sizeof out - strlen(out), " exact=%s", r ? strerrorname_np(errno) : "ok");
	if (!r)
		show(out, sizeof out, "name", &n, nl);
	close(cl);
	if (srv >= 0)
		close(srv);
	return 0;
}

static int peername(const char *path)
{
	struct sockaddr_un a;
	socklen_t len = mkaddr(&a, path);
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(srv, (struct sockaddr *)&a, len) || listen(srv, 1))
		return -1;
	return peerof(path, srv);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *op = argv[i], *arg = strchr(op, ':');
		struct sockaddr_un a;
		int r = 0;
		if (!arg) {
			fprintf(stderr, "bad argument %s\n", op);
			return 2;
		}
		*arg++ = 0;
		out[0] = 0;
		if (!strcmp(op, "bind"))
			r = do_bind(arg);
		else if (!strcmp(op, "connect"))
			r = do_connect(arg, SOCK_STREAM);
		else if (!strcmp(op, "sendto"))
			r = do_connect(arg, SOCK_DGRAM);
		else if (!strcmp(op, "symlink")) {
			char *eq = strchr(arg, '=');
			*eq = 0;
			r = symlink(arg, eq + 1);
			*eq = '=';
		} else if (!strcmp(op, "mkdir"))
			r = mkdir(arg, 0755);
		else if (!strcmp(op, "unlink"))
			r = unlink(arg);
		else if (!strcmp(op, "chdir"))
			r = chdir(arg);
		else if (!strcmp(op, "pair"))
			r = pair(&a, mkaddr(&a, arg));
		else if (!strcmp(op, "dgram"))
			r = dgram(arg);
		else if (!strcmp(op, "abstract")) {
			memset(&a, 0, sizeof a);
			a.sun_family = AF_UNIX;
			memcpy(a.sun_path + 1, arg, strlen(arg));
			r = pair(&a, offsetof(struct sockaddr_un, sun_path) + 1 + strlen(arg));
		} else if (!strcmp(op, "autobind"))
			r = autobind();
		else if (!strcmp(op, "addrlen")) {
			addrlen(arg);
			continue;
		} else if (!strcmp(op, "long"))
			r = longpath(arg);
		else if (!strcmp(op, "serve"))
			r = serve(arg, SOCK_STREAM);
		else if (!strcmp(op, "recv"))
			r = serve(arg, SOCK_DGRAM);
		else if (!strcmp(op, "race"))
			r = race(arg);
		else if (!strcmp(op, "fdpath"))
			r = fdpath(arg);
		else if (!strcmp(op, "mmsg"))
			r = mmsg(arg);
		else if (!strcmp(op, "peername"))
			r = peername(arg);
		else if (!strcmp(op, "peerof"))
			r = peerof(arg, -1);
		else if (!strcmp(op, "scm"))
			r = scm();
		else if (!strcmp(op, "scmrace"))
			r = scmrace();
		else {
			fprintf(stderr, "unknown op %s\n", op);
			return 2;
		}
		line(op, arg, r, out);
	}
	return 0;
}
