/*
 * sysnr.c - make system calls by number: `sysnr NR...` calls each NR with
 * every argument -1 and prints "NR RESULT", RESULT being the return value
 * or the error's name (ENOSYS). test_syscalls_doc.py checks that what
 * docs/syscalls.md lists as refused really is refused. With arguments that
 * are all invalid, a call the runtime wrongly passed to the host would fail
 * with EINVAL, EFAULT or EBADF rather than do anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *end;
		long nr = strtol(argv[i], &end, 10);
		if (*end || end == argv[i]) {
			fprintf(stderr, "sysnr: %s is not a system call number\n", argv[i]);
			return 2;
		}
		errno = 0;
		long r = syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
		if (r == -1 && errno)
			printf("%ld %s\n", nr, strerrorname_np(errno));
		else
			printf("%ld %ld\n", nr, r);
	}
	return 0;
}
