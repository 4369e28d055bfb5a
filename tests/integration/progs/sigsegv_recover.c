/*
 * sigsegv_recover.c - a SIGSEGV handler that reads si_addr of a deliberate
 * bad access and recovers with siglongjmp, 1,000 times; then 100 more on an
 * alternate signal stack; then faults that the handler fixes by making the
 * page accessible and returning (so the access is retried through sigreturn).
 * `sigsegv_recover die` instead writes to a PROT_NONE page with no handler
 * and dies of the SIGSEGV (its address is printed first).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static sigjmp_buf env;
static char *page;
static volatile char *expected;
static volatile int good_addr, on_altstack, fixed;
static char *alt;
static size_t altsize = 1 << 16;

static void jump_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int local;
	if (sig == SIGSEGV && si->si_addr == expected && si->si_code == SEGV_ACCERR)
		good_addr++;
	if ((char *)&local >= alt && (char *)&local < alt + altsize)
		on_altstack++;
	siglongjmp(env, 1);
}

static void fix_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	char *p = (char *)((uintptr_t)si->si_addr & ~(uintptr_t)4095);
	if (p == page && mprotect(page, 4096, PROT_READ | PROT_WRITE) == 0)
		fixed++;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	if (argc == 2 && !strcmp(argv[1], "die")) {
		printf("%p\n", (void *)(page + 8));
		fflush(stdout);
		*(volatile char *)(page + 8) = 1;
		return 1;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = jump_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	volatile int recovered = 0;
	for (volatile int i = 0; i < 1000; i++) {
		expected = page + (i * 8) % 4096;
		if (sigsetjmp(env, 1) == 0)
			*expected = (char)i;
		else
			recovered++;
	}
	printf("recovered %d of 1000, si_addr right %d\n", recovered, good_addr);

	alt = malloc(altsize);
	stack_t ss = { .ss_sp = alt, .ss_size = altsize, .ss_flags = 0 };
	sigaltstack(&ss, NULL);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	good_addr = 0;
	recovered = 0;
	for (volatile int i = 0; i < 100; i++) {
		expected = page + 100 + i;
		if (sigsetjmp(env, 1) == 0)
			(void)*expected;
		else
			recovered++;
	}
	printf("on the alternate stack: recovered %d of 100, on it %d, si_addr right %d\n", recovered,
	       on_altstack, good_addr);

	sa.sa_sigaction = fix_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	int ok = 0;
	for (int i = 0; i < 50; i++) {
		mprotect(page, 4096, PROT_NONE);
		page[i] = 'x'; /* faults; the handler opens the page; the store is retried */
		ok += page[i] == 'x';
	}
	printf("fixed and retried %d of 50 (handler ran %d times)\n", ok, fixed);

	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("SIGSEGV blocked afterwards: %d\n", sigismember(&cur, SIGSEGV));
	return 0;
}
