/*
 * execchain.c - `bench_execchain N`: the program executes itself N times
 * (argv[0], which must be a path, with N-1), then exits 0.
 *
 * A static program, so natively each exec is the kernel's alone (no ld.so,
 * no libraries), and under Coffer each is the runtime's execve: a boot
 * block, a fresh enclave image, its boot, and the program loaded again
 * (docs/design.md, section 2, step 4). bench/run.py subtracts N = 0 and
 * divides by N: the cost of one execve inside.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end, next[24];
	long n = argc == 2 ? strtol(argv[1], &end, 10) : -1;

	if (argc != 2 || *end || n < 0) {
		fprintf(stderr, "usage: bench_execchain N (N >= 0; run it by its path)\n");
		return 2;
	}
	if (n == 0)
		return 0;
	snprintf(next, sizeof next, "%ld", n - 1);
	execv(argv[0], (char *[]){ argv[0], next, NULL });
	perror(argv[0]);
	return 1;
}
