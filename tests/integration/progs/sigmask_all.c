/*
 * sigmask_all.c - blocks every signal with sigprocmask and checks that the
 * program still works: output, files, threads, fork and wait, sleeping, and
 * that signals sent meanwhile stay pending until it collects them with
 * sigwaitinfo. (The runtime relies on SIGSYS internally: the application's
 * mask must not break it.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *worker(void *arg)
{
	long *n = arg;
	for (int i = 0; i < 1000; i++)
		*n += i;
	return NULL;
}

int main(void)
{
	sigset_t all, cur, pend;
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL))
		return 1;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("mask: SIGSYS %d SIGSEGV %d SIGUSR1 %d SIGKILL %d\n", sigismember(&cur, SIGSYS),
	       sigismember(&cur, SIGSEGV), sigismember(&cur, SIGUSR1), sigismember(&cur, SIGKILL));

	int fd = open("/etc/hostname", O_RDONLY);
	char buf[64];
	printf("file read: %d\n", fd >= 0 && read(fd, buf, sizeof buf) > 0);
	close(fd);

	pthread_t th[4];
	long sums[4] = { 0 };
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, worker, &sums[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	printf("threads: %ld %ld %ld %ld\n", sums[0], sums[1], sums[2], sums[3]);

	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int st;
	waitpid(pid, &st, 0);
	printf("fork: child exited %d\n", WEXITSTATUS(st));

	struct timespec ts = { 0, 20 * 1000 * 1000 };
	printf("nanosleep: %d\n", nanosleep(&ts, NULL));

	kill(getpid(), SIGUSR1);
	raise(SIGTERM);
	sigpending(&pend);
	printf("pending: SIGUSR1 %d SIGTERM %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGTERM));
	siginfo_t si;
	sigset_t want;
	sigemptyset(&want);
	sigaddset(&want, SIGUSR1);
	sigaddset(&want, SIGTERM);
	int a = sigwaitinfo(&want, &si);
	int b = sigwaitinfo(&want, &si);
	printf("collected: %s %s\n", strsignal(a < b ? a : b), strsignal(a < b ? b : a));
	sigpending(&pend);
	printf("pending now: %d\n", sigismember(&pend, SIGUSR1) + sigismember(&pend, SIGTERM));
	return 0;
}
