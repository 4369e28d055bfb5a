/*
 * fdrace.c - race dup2 against the runtime's short-lived host fds.
 *
 *   fdrace DIR OTHER SECONDS
 *
 * Two threads make DIR/d, rename it to DIR/e and remove that, over and
 * over; in a confined passthrough mount each of those calls resolves DIR
 * through O_PATH fds the runtime opens at the lowest free numbers. The other thread keeps
 * dup2()ing an fd of OTHER onto the numbers just above the application's
 * own and closing them again. Should a dup2 ever replace the runtime's fd
 * mid-call, "d" or "e" is made in OTHER instead: the test looks for it there.
 * Prints how many dup2 calls succeeded and how many answered EBUSY.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static char target[512], moved[512];

static void *churn(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		mkdir(target, 0700);
		rename(target, moved);
		rmdir(moved);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: fdrace DIR OTHER SECONDS\n");
		return 2;
	}
	snprintf(target, sizeof target, "%s/d", argv[1]);
	snprintf(moved, sizeof moved, "%s/e", argv[1]);
	int other = open(argv[2], O_PATH | O_DIRECTORY);
	if (other < 0) {
		perror(argv[2]);
		return 1;
	}
	int base = other + 1; /* the lowest numbers the runtime's fds take */
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, churn, NULL);
	long ok = 0, busy = 0, other_err = 0;
	time_t end = time(NULL) + atoi(argv[3]);
	while (time(NULL) < end) {
		for (int fd = base; fd < base + 2; fd++) {
			int r = dup2(other, fd);
			if (r == fd) {
				ok++;
				close(fd);
			} else if (errno == EBUSY) {
				busy++;
			} else {
				other_err++;
			}
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("dup2 ok=%s busy=%s errors=%ld\n", ok ? "yes" : "no", busy ? "yes" : "no", other_err);
	return 0;
}
