/*
 * getppid.c - a static program that makes N getppid system calls, each with
 * its own raw `syscall` instruction (inline asm: libc is not involved in the
 * calls, so under coffer every one of them traps through Syscall User
 * Dispatch, and natively every one enters the kernel; getppid has no vDSO
 * shortcut and glibc does not cache it).
 *
 *   bench_getppid [N]          N calls (default 1000000), exit 0
 *   bench_getppid N sigmask    N rt_sigprocmask(SIG_BLOCK, NULL, &old, 8) calls
 *                              instead: a kernel entry natively, answered
 *                              inside the runtime under coffer, so the time
 *                              per call there is the fast path's own cost
 *   bench_getppid N fstat      N fstat calls on a pipe: forwarded to the host
 *                              under coffer through the marshaller, the
 *                              144-byte answer checked (and, with
 *                              COFFER_BOUNDARY=copy, copied)
 *
 * Exit status 1 if a call fails or the answers disagree, 2 for a bad N.
 * Linked statically (bench/meson.build); glibc is used only for main, the
 * argument and the error message. bench/run.py times it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYS_getppid 110

/* The number is loaded right before the `syscall`, in the 7-byte form glibc's
 * wrappers use (mov $nr,%eax; syscall), which is what coffer's call-site
 * patching recognises; left to itself the compiler hoists the load out of the
 * loop. */
static inline long raw_getppid(void)
{
	long ret;
	__asm__ volatile("mov $%c1, %%eax\n\tsyscall"
			 : "=a"(ret)
			 : "i"(SYS_getppid)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long raw_sigmask_query(unsigned long *old)
{
	long ret;
	register long r10 __asm__("r10") = 8;
	__asm__ volatile("mov $14, %%eax\n\tsyscall" /* rt_sigprocmask */
			 : "=a"(ret)
			 : "D"(0L), "S"(0L), "d"(old), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long raw_fstat(long fd, struct stat *st)
{
	long ret;
	__asm__ volatile("mov $5, %%eax\n\tsyscall" /* fstat */
			 : "=a"(ret)
			 : "D"(fd), "S"(st)
			 : "rcx", "r11", "memory");
	return ret;
}

static int fstat_loop(unsigned long n)
{
	int p[2];
	struct stat st;

	if (pipe(p)) {
		perror("pipe");
		return 1;
	}
	for (unsigned long i = 0; i < n; i++) {
		long r = raw_fstat(p[0], &st);
		if (r != 0 || !S_ISFIFO(st.st_mode)) {
			fprintf(stderr, "fstat: call %lu returned %ld, mode %#o\n", i, r, st.st_mode);
			return 1;
		}
	}
	return 0;
}

static int sigmask_loop(unsigned long n)
{
	unsigned long first = 0, old = 0;

	for (unsigned long i = 0; i < n; i++) {
		long r = raw_sigmask_query(&old);
		if (r != 0 || (i && old != first)) {
			fprintf(stderr, "rt_sigprocmask: call %lu returned %ld, mask %#lx\n", i, r, old);
			return 1;
		}
		first = old;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n = 1000000;

	if (argc > 3 || (argc == 3 && strcmp(argv[2], "sigmask") && strcmp(argv[2], "fstat"))) {
		fprintf(stderr, "usage: %s [N [sigmask|fstat]]\n", argv[0]);
		return 2;
	}
	if (argc >= 2) {
		char *end;
		n = strtoul(argv[1], &end, 10);
		if (argv[1][0] < '0' || argv[1][0] > '9' || *end != '\0') {
			fprintf(stderr, "%s: bad call count '%s'\n", argv[0], argv[1]);
			return 2;
		}
	}

	if (argc == 3)
		return strcmp(argv[2], "fstat") ? sigmask_loop(n) : fstat_loop(n);
	long first = n ? raw_getppid() : 0;
	if (first < 0) {
		fprintf(stderr, "getppid: error %ld\n", -first);
		return 1;
	}
	for (unsigned long i = 1; i < n; i++) {
		long r = raw_getppid();
		if (r != first) {
			fprintf(stderr, "getppid: call %lu returned %ld, first returned %ld\n",
				i, r, first);
			return 1;
		}
	}
	return 0;
}
