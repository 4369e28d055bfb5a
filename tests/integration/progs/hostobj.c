/*
 * hostobj.c - try the calls that reach host objects outside the file view
 * (ioctl requests, device nodes) and print what each returned, one line
 * each: "NAME: ok [detail]" or "NAME: ERRNAME".
 *
 *   hostobj DIR FOREIGN-PTY [RO-DIR FOREIGN-PID TRUSTED-FILE]
 *
 * DIR is a writable directory (a passthrough mount in a bundle) for the
 * mknod and /dev/fd cases; FOREIGN-PTY the number of a pseudo-terminal of
 * another session, which /dev/pts must not show. With the last three: a
 * read-only passthrough directory holding a file "f", a host process's pid
 * and a trusted file, for the ways around the confinement an attack review
 * found. Linked statically, so a bundle needs no libraries.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

static void say(const char *name, long r, const char *detail)
{
	if (r < 0)
		printf("%s: %s\n", name, strerrorname_np(errno));
	else
		printf("%s: ok%s%s\n", name, detail ? " " : "", detail ? detail : "");
	fflush(stdout);
}

static void terminal(void)
{
	char detail[64];
	say("access ptmx", access("/dev/ptmx", R_OK | W_OK), NULL);
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	say("open ptmx", master, NULL);
	if (master < 0)
		return;
	int unlock = 0;
	unsigned n;
	say("TIOCSPTLCK", ioctl(master, TIOCSPTLCK, &unlock), NULL);
	say("TIOCGPTN", ioctl(master, TIOCGPTN, &n), NULL);
	char name[32];
	snprintf(name, sizeof name, "/dev/pts/%u", n);
	int slave = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK);
	say("open pts", slave, NULL);
	if (slave < 0)
		return;

	struct winsize ws = { .ws_row = 33, .ws_col = 77 }, got = { 0 };
	say("TIOCSWINSZ", ioctl(master, TIOCSWINSZ, &ws), NULL);
	long r = ioctl(slave, TIOCGWINSZ, &got);
	snprintf(detail, sizeof detail, "%ux%u", got.ws_row, got.ws_col);
	say("TIOCGWINSZ", r, detail);
	struct termios t;
	say("TCGETS", ioctl(slave, TCGETS, &t), NULL);
	t.c_lflag &= ~(tcflag_t)ECHO;
	say("TCSETS", ioctl(slave, TCSETS, &t), NULL);

	/* Push a command into the terminal's input, as an attacker would into
	 * the shell that started coffer. */
	const char *inject = "echo injected\n";
	r = 0;
	for (const char *p = inject; *p && r == 0; p++)
		r = ioctl(slave, TIOCSTI, p);
	say("TIOCSTI", r, NULL);
	char buf[64];
	ssize_t got_bytes = read(slave, buf, sizeof buf);
	say("read injected", got_bytes > 0 ? 0 : -1, NULL);

	say("TIOCLINUX", ioctl(slave, TIOCLINUX, buf), NULL);
	say("TIOCCONS", ioctl(slave, TIOCCONS), NULL);
	say("TIOCSCTTY 1", ioctl(slave, TIOCSCTTY, 1), NULL);
	close(slave);
	close(master);
}

static void files(const char *dir)
{
	char path[512], detail[64];
	int p[2];
	if (pipe(p) == 0) {
		int n = -1;
		if (write(p[1], "12345", 5) != 5)
			return;
		long r = ioctl(p[0], FIONREAD, &n);
		snprintf(detail, sizeof detail, "%d", n);
		say("FIONREAD", r, detail);
		close(p[0]);
		close(p[1]);
	}
	snprintf(path, sizeof path, "%s/hostobj-file", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd >= 0) {
		say("FIOCLEX", ioctl(fd, FIOCLEX), NULL);
		int flags = fcntl(fd, F_GETFD);
		say("cloexec set", (flags & FD_CLOEXEC) ? 0 : (errno = EINVAL, -1), NULL);
		say("FIONCLEX", ioctl(fd, FIONCLEX), NULL);
		flags = fcntl(fd, F_GETFD);
		say("cloexec clear", (flags & FD_CLOEXEC) ? (errno = EINVAL, -1) : 0, NULL);
		close(fd);
		unlink(path);
	}
	/* an unknown request on a real file: ENOTTY, as an unknown driver call */
	say("write /dev/null", (fd = open("/dev/null", O_WRONLY)) < 0 ? -1 : write(fd, "x", 1) - 1, NULL);
	close(fd);
	fd = open("/dev/hostobj-new", O_CREAT | O_EXCL | O_WRONLY, 0600);
	say("create in /dev", fd, NULL);
	if (fd >= 0) {
		close(fd);
		unlink("/dev/hostobj-new");
	}
	int v;
	fd = open("/dev/null", O_RDONLY);
	say("unknown request", ioctl(fd, _IOR('Q', 0x77, int), &v), NULL);
	close(fd);
}

static void sockets(void)
{
	char buf[4096], detail[64];
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifconf ifc = { .ifc_len = sizeof buf, .ifc_buf = buf };
	long r = ioctl(s, SIOCGIFCONF, &ifc);
	bool lo = false;
	for (int i = 0; r == 0 && i < ifc.ifc_len / (int)sizeof(struct ifreq); i++)
		lo |= strcmp(ifc.ifc_req[i].ifr_name, "lo") == 0;
	say("SIOCGIFCONF lo", r == 0 && !lo ? (errno = ENOENT, -1) : r, NULL);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	r = ioctl(s, SIOCGIFFLAGS, &ifr);
	snprintf(detail, sizeof detail, "up=%d", !!(ifr.ifr_flags & IFF_UP));
	say("SIOCGIFFLAGS lo", r, detail);
	/* taking an interface down needs CAP_NET_ADMIN, which root has */
	say("SIOCSIFMTU lo", ioctl(s, SIOCSIFMTU, &ifr), NULL);
	close(s);
}

static void nodes(const char *dir)
{
	char path[512];
	snprintf(path, sizeof path, "%s/hostobj-null", dir);
	long r = mknod(path, S_IFCHR | 0600, makedev(1, 3));
	say("mknod chr", r, NULL);
	if (r == 0)
		unlink(path);
	snprintf(path, sizeof path, "%s/hostobj-disk", dir);
	r = mknod(path, S_IFBLK | 0600, makedev(8, 0));
	say("mknod blk", r, NULL);
	if (r == 0)
		unlink(path);
	snprintf(path, sizeof path, "%s/hostobj-fifo", dir);
	r = mknod(path, S_IFIFO | 0600, 0);
	say("mknod fifo", r, NULL);
	if (r == 0)
		unlink(path);
}

static void list(const char *name, const char *path)
{
	char line[1024] = "";
	DIR *d = opendir(path);
	if (!d) {
		say(name, -1, NULL);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strlen(line) + strlen(e->d_name) + 2 < sizeof line)
			strcat(strcat(line, " "), e->d_name);
	closedir(d);
	say(name, 0, line + (line[0] == ' '));
}

/* /dev: its names, the terminals it shows, and its links into /proc. */
static void devtree(const char *dir, const char *foreign_pty)
{
	char path[512];
	list("ls /dev", "/dev");
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	unsigned n = 0;
	int unlock = 0;
	ioctl(master, TIOCSPTLCK, &unlock);
	ioctl(master, TIOCGPTN, &n);
	char own[64], listing[64];
	snprintf(own, sizeof own, "/dev/pts/%u", n);
	int fd = open(own, O_RDWR | O_NOCTTY);
	say("open own pts", fd, NULL);
	close(fd);
	snprintf(listing, sizeof listing, "ls /dev/pts has %u", n);
	DIR *d = opendir("/dev/pts");
	bool seen = false;
	struct dirent *e;
	while (d && (e = readdir(d)))
		seen |= strtoul(e->d_name, NULL, 10) == n && e->d_name[0] >= '0' && e->d_name[0] <= '9';
	if (d)
		closedir(d);
	say(listing, seen ? 0 : (errno = ENOENT, -1), NULL);
	close(master);
	snprintf(path, sizeof path, "/dev/pts/%s", foreign_pty);
	say("open foreign pts", open(path, O_RDWR | O_NOCTTY), NULL);

	/* /dev/fd/N of a directory fd, then a symlink to "/" made in it */
	snprintf(path, sizeof path, "%s/hostobj-root", dir);
	symlink("/", path);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof path, "/dev/fd/%d/hostobj-root/etc/hostname", dfd);
	say("dev/fd escape", open(path, O_RDONLY), NULL);
	snprintf(path, sizeof path, "/dev/fd/%d", dfd);
	list("ls /dev/fd/N", path);
	close(dfd);
	snprintf(path, sizeof path, "%s/hostobj-root", dir);
	unlink(path);
	say("stdin link", (fd = open("/dev/stdin", O_RDONLY)) < 0 ? -1 : 0, NULL);
	close(fd);
	char target[64] = "";
	long r = readlink("/dev/stderr", target, sizeof target - 1);
	say("readlink stderr", r, target);
}

/* Ways around a confinement that the attack review found (issue 8). */
static void review(const char *ro, const char *foreign_pid, const char *trusted)
{
	char path[512];
	/* metadata of a read-only passthrough mount, through an fd */
	snprintf(path, sizeof path, "%s/f", ro);
	int fd = open(path, O_RDONLY);
	say("ro open", fd, NULL);
	say("ro fchmod", fchmod(fd, 0777), NULL);
	say("ro fchown", fchown(fd, 1, 1), NULL);
	say("ro fsetxattr", fsetxattr(fd, "user.x", "1", 1, 0), NULL);
	say("ro fremovexattr", fremovexattr(fd, "user.keep"), NULL);
	say("ro futimens", futimens(fd, NULL), NULL);
	say("ro fchownat empty", fchownat(fd, "", 2, 2, AT_EMPTY_PATH), NULL);
	say("ro setxattr", setxattr(path, "user.y", "1", 1, 0), NULL);
	close(fd);
	fd = open(ro, O_RDONLY | O_DIRECTORY);
	say("ro dir fchmod", fchmod(fd, 0777), NULL);
	close(fd);

	/* a host process's /proc directory as a pidfd (development runs: the
	 * host's /proc, reached by another name) */
	snprintf(path, sizeof path, "/proc/self/root/proc/%s", foreign_pid);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		say("pidfd_send_signal proc dir", syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0), NULL);
		close(fd);
	} else {
		say("pidfd_send_signal proc dir", -1, NULL);
	}

	/* pidfd_getfd on ourselves: only what the application holds, as it holds it */
	int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	say("getfd hidden fd 9", syscall(SYS_pidfd_getfd, self, 9, 0), NULL);
	fd = open(trusted, O_RDONLY);
	say("getfd trusted file", syscall(SYS_pidfd_getfd, self, fd, 0), NULL);
	close(fd);
	close(self);

	/* netlink beyond routing */
	int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG);
	say("netlink sock_diag", s, NULL);
	close(s);
	s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	say("netlink route", s, NULL);
	close(s);
}

/* What root could do on the host that a container could not. */
static void privileges(void)
{
	char detail[64];
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	say("packet socket", s, NULL);
	if (s >= 0)
		close(s);
	s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	say("raw socket", s, NULL);
	if (s >= 0)
		close(s);
	snprintf(detail, sizeof detail, "sys_admin=%d net_admin=%d chown=%d",
		 (int)prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN), (int)prctl(PR_CAPBSET_READ, CAP_NET_ADMIN),
		 (int)prctl(PR_CAPBSET_READ, CAP_CHOWN));
	say("bounding set", 0, detail);
	snprintf(detail, sizeof detail, "%d", (int)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	say("no_new_privs", 0, detail);
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 6) {
		fprintf(stderr, "usage: hostobj DIR FOREIGN-PTY [RO-DIR FOREIGN-PID TRUSTED-FILE]\n");
		return 2;
	}
	terminal();
	files(argv[1]);
	sockets();
	nodes(argv[1]);
	privileges();
	devtree(argv[1], argv[2]);
	if (argc == 6)
		review(argv[3], argv[4], argv[5]);
	return 0;
}
