/*
 * protect.c - an application that goes after the runtime: it may not unmap,
 * remap, protect or overwrite the runtime's memory, nor block or take over
 * SIGSYS, nor switch off system call interception. Each line prints the
 * outcome; under coffer every attempt must fail and the program must go on.
 * (Natively the same checks mean nothing; only the coffer run is asserted.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned long lo, hi;
static volatile int got_sigsys;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGSYS && si->si_code == SI_TKILL)
		got_sigsys++;
}

static void report(const char *what, long r)
{
	printf("%s: %s\n", what, r == -1 ? strerrorname_np(errno) : "succeeded");
}

int main(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		unsigned long a, b;
		if (strstr(line, "coffer-enclave") && sscanf(line, "%lx-%lx", &a, &b) == 2) {
			if (!lo)
				lo = a;
			hi = b;
		}
	}
	if (f)
		fclose(f);
	if (!lo) {
		printf("no enclave image in /proc/self/maps\n");
		return 1;
	}
	printf("found the enclave image\n");
	report("munmap", munmap((void *)lo, 4096));
	report("mprotect", mprotect((void *)lo, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
	report("mmap MAP_FIXED", mmap((void *)lo, 4096, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
	report("madvise DONTNEED", madvise((void *)lo, 4096, MADV_DONTNEED));
	report("mremap", mremap((void *)lo, 4096, 8192, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0);
	int z = open("/dev/zero", O_RDONLY);
	report("read into it", read(z, (void *)(hi - 64), 16));
	close(z);
	report("open /proc/self/mem for writing", open("/proc/self/mem", O_RDWR));
	report("switch off interception", prctl(59 /* PR_SET_SYSCALL_USER_DISPATCH */, 0, 0, 0, 0));
	report("set %gs", syscall(SYS_arch_prctl, 0x1001 /* ARCH_SET_GS */, 0x1000));

	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	report("block SIGSYS", sigprocmask(SIG_BLOCK, &s, NULL));
	printf("a call with SIGSYS blocked: getppid %s\n", getppid() >= 0 ? "works" : "fails");
	sigprocmask(SIG_UNBLOCK, &s, NULL);

	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	report("install a SIGSYS handler", sigaction(SIGSYS, &sa, NULL));
	sigaction(SIGSYS, NULL, &old);
	printf("it reads back: %s\n", old.sa_sigaction == on_sigsys ? "yes" : "no");
	printf("calls still work: %s\n", getppid() >= 0 && getpid() > 0 ? "yes" : "no");
	raise(SIGSYS);
	printf("its handler got a raised SIGSYS: %d\n", got_sigsys);
	printf("still running\n");
	return 0;
}
