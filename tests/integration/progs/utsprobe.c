/*
 * utsprobe.c - the enclave's host and domain names (test_hostname.py).
 *
 *   utsprobe [NEWHOST NEWDOMAIN]
 *
 * Prints the names as uname and /proc/sys/kernel see them; with arguments,
 * starts a child that waits, sets the names (sethostname, setdomainname),
 * and prints what the waiting child, a child forked afterwards and this
 * process see; then the errors Linux gives for a bad length or pointer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *who)
{
	struct utsname u;
	char h[128] = "", d[128] = "";
	uname(&u);
	int fd = open("/proc/sys/kernel/hostname", O_RDONLY);
	if (fd >= 0 && read(fd, h, sizeof h - 1) > 0)
		h[strcspn(h, "\n")] = 0;
	close(fd);
	fd = open("/proc/sys/kernel/domainname", O_RDONLY);
	if (fd >= 0 && read(fd, d, sizeof d - 1) > 0)
		d[strcspn(d, "\n")] = 0;
	close(fd);
	printf("%s: uname %s %s, /proc %s %s\n", who, u.nodename, u.domainname, h, d);
}

static const char *err(long r)
{
	return r == 0 ? "ok" : strerrorname_np(errno);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0); /* nothing buffered twice across fork */
	show("start");
	if (argc < 3)
		return 0;
	int p[2];
	if (pipe(p))
		return 1;
	pid_t waiting = fork();
	if (waiting == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) == 1)
			show("running child");
		_exit(0);
	}
	close(p[0]);
	printf("sethostname %s\n", err(sethostname(argv[1], strlen(argv[1]))));
	printf("setdomainname %s\n", err(setdomainname(argv[2], strlen(argv[2]))));
	if (write(p[1], "x", 1) != 1)
		return 1;
	waitpid(waiting, NULL, 0);
	pid_t later = fork();
	if (later == 0) {
		show("new child");
		_exit(0);
	}
	waitpid(later, NULL, 0);
	show("self");
	char name[66];
	memset(name, 'a', sizeof name);
	printf("length 65 %s, -1 %s, bad pointer %s\n", err(sethostname(name, 65)),
	       err(syscall(SYS_sethostname, name, -1)), err(syscall(SYS_sethostname, (char *)8, 4)));
	printf("length 64 %s, 0 %s\n", err(sethostname(name, 64)), err(setdomainname(name, 0)));
	show("end");
	return 0;
}
