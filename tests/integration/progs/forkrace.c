/*
 * forkrace.c - the first fork of a run, made by several threads at once
 * (test_pids.py): the process registry is made by the first of them
 * (runtime/proc/pidtab.c, pidtab_prepare), and every other must wait until
 * it is whole, or its child gets the registry's memfd at an application fd
 * and no registry to hand on at its execve.
 *
 *   forkrace [US]     THREADS threads fork, thread i at i * US microseconds
 *                     after a start two milliseconds away (a thread that
 *                     comes before the registry is published only waits for
 *                     it: spread out, one of them is likelier to come while
 *                     the first one is finishing it); each
 *                     child checks that it holds no fd the program did not
 *                     hold at its start and execs `forkrace child`; prints "forkrace: ok" when
 *                     every child said so
 *   forkrace child    exits 0 if its parent is a process of the application
 *                     (getppid is not 0 after the execve: the registry came
 *                     along), 3 if not
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 12

static struct timespec start;
static pthread_barrier_t ready;
static long step_ns;
static pid_t kids[THREADS];
static const char *self;
static char had[256]; /* the fds open at the start */

static void *racer(void *arg)
{
	long i = (long)arg;

	pthread_barrier_wait(&ready); /* start is set */
	struct timespec t = start;

	t.tv_nsec += i * step_ns;
	t.tv_sec += t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL))
		;
	/* the raw call: glibc's fork takes locks that would make the
	 * threads fork one after the other */
	pid_t pid = syscall(SYS_fork);
	if (pid == 0) {
		for (int fd = 0; fd < 256; fd++)
			if (!had[fd] && (fcntl(fd, F_GETFD) >= 0 || errno != EBADF))
				_exit(2); /* an fd the program never opened */
		execl(self, self, "child", (char *)NULL);
		_exit(4);
	}
	kids[i] = pid;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[THREADS];

	if (argc == 2 && !strcmp(argv[1], "child"))
		return syscall(SYS_getppid) != 0 ? 0 : 3;
	self = argv[0];
	if (argc == 2)
		step_ns = atol(argv[1]) * 1000;
	for (int fd = 0; fd < 256; fd++)
		had[fd] = fcntl(fd, F_GETFD) >= 0;
	pthread_barrier_init(&ready, NULL, THREADS + 1);
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, racer, (void *)i)) {
			printf("forkrace: pthread_create failed\n");
			return 1;
		}
	clock_gettime(CLOCK_MONOTONIC, &start);
	start.tv_nsec += 2000000; /* the threads are asleep by then */
	start.tv_sec += start.tv_nsec / 1000000000L;
	start.tv_nsec %= 1000000000L;
	pthread_barrier_wait(&ready);
	int bad = 0;
	for (int i = 0; i < THREADS; i++) {
		int st;
		pthread_join(th[i], NULL);
		if (kids[i] < 0) {
			printf("forkrace: fork: %s\n", strerror(errno));
			bad = 1;
			continue;
		}
		if (waitpid(kids[i], &st, 0) != kids[i]) {
			printf("forkrace: waitpid: %s\n", strerror(errno));
			bad = 1;
		} else if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			/* 2: an fd it should not hold; 3: a parent not ours; 4: no execve */
			printf("forkrace: child %d: status %#x\n", i, st);
			bad = 1;
		}
	}
	if (!bad)
		printf("forkrace: ok\n");
	return bad;
}
