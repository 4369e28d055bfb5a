/*
 * shmprobe.c - memory shared between processes, one line per check.
 *
 *   shmprobe posix NAME   shm_open NAME, fork: the child opens it by name and
 *                         answers through it; a named semaphore (sem_open)
 *                         between the two; an execve'd child opens it too;
 *                         the name is listed in /dev/shm; unlinked, it is
 *                         gone
 *   shmprobe keep NAME    make NAME and leave it (the run ends with it)
 *   shmprobe open NAME    shm_open NAME without O_CREAT: ok or the error
 *   shmprobe anon         MAP_SHARED|MAP_ANONYMOUS and a memfd mapped
 *                         MAP_SHARED, each written by a forked child
 *   shmprobe escape PATH  make symlinks in /dev/shm to PATH and to PATH
 *                         relative to /dev/shm, and open each
 *   shmprobe cat FILE     print FILE (/proc/self/mounts)
 *   shmprobe ls DIR       the names in DIR, one per line, as listed
 *
 * Each line is "WHAT: ok", "WHAT: ERRNAME" or "WHAT: what was seen".
 * Linked statically: a bundle needs nothing but the program
 * (tests/integration/test_shm.py).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE 4096

static void say(const char *what, int r)
{
	printf("%s: %s\n", what, r < 0 ? strerrorname_np(errno) : "ok");
	fflush(stdout);
}

static char *map_named(const char *name, int flags)
{
	int fd = shm_open(name, flags, 0600);
	if (fd < 0)
		return NULL;
	if ((flags & O_CREAT) && ftruncate(fd, SIZE)) {
		close(fd);
		return NULL;
	}
	char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static int wait_child(pid_t pid)
{
	int st;
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int posix(const char *self, const char *name)
{
	char *p = map_named(name, O_CREAT | O_EXCL | O_RDWR);
	say("create", p ? 0 : -1);
	if (!p)
		return 1;
	strcpy(p, "from the parent");
	char sem_name[64];
	snprintf(sem_name, sizeof sem_name, "%s.sem", name);
	sem_t *sem = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);
	say("sem_open", sem == SEM_FAILED ? -1 : 0);
	pid_t pid = fork();
	if (pid == 0) {
		char *q = map_named(name, O_RDWR);
		if (!q)
			_exit(2);
		char seen[64];
		snprintf(seen, sizeof seen, "%s", q);
		snprintf(q, SIZE, "the child saw '%s'", seen);
		if (sem != SEM_FAILED)
			sem_post(sem);
		_exit(0);
	}
	if (sem != SEM_FAILED)
		say("sem_wait", sem_wait(sem));
	say("fork child", wait_child(pid) == 0 ? 0 : -1);
	printf("shared: %s\n", p);
	/* an execve'd process boots the runtime anew: it finds it too */
	pid = fork();
	if (pid == 0) {
		execl(self, self, "open", name, (char *)NULL);
		_exit(127);
	}
	wait_child(pid);
	DIR *d = opendir("/dev/shm");
	int listed = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		listed += !strcmp(e->d_name, name + 1);
	if (d)
		closedir(d);
	printf("listed: %d\n", listed);
	if (sem != SEM_FAILED)
		say("sem_unlink", sem_unlink(sem_name));
	say("unlink", shm_unlink(name));
	say("reopen", shm_open(name, O_RDWR, 0));
	return 0;
}

static int anon(void)
{
	char *a = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd = memfd_create("shmprobe", 0);
	char *m = fd >= 0 && !ftruncate(fd, SIZE) ? mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
						  : MAP_FAILED;
	if (a == MAP_FAILED || m == MAP_FAILED) {
		say("map", -1);
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		strcpy(a, "anonymous");
		strcpy(m, "memfd");
		_exit(0);
	}
	wait_child(pid);
	printf("anon: %s\nmemfd: %s\n", a, m);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* lines in order with the children's */
	if (argc == 2 && !strcmp(argv[1], "anon"))
		return anon();
	if (argc != 3) {
		fprintf(stderr, "usage: shmprobe posix|keep|open NAME | escape|cat PATH | ls DIR | anon\n");
		return 2;
	}
	if (!strcmp(argv[1], "posix"))
		return posix(argv[0], argv[2]);
	if (!strcmp(argv[1], "keep")) {
		say("keep", map_named(argv[2], O_CREAT | O_RDWR) ? 0 : -1);
		return 0;
	}
	if (!strcmp(argv[1], "escape")) {
		char rel[4096];
		snprintf(rel, sizeof rel, "../..%s", argv[2]);
		say("symlink absolute", symlink(argv[2], "/dev/shm/abs"));
		say("open absolute", open("/dev/shm/abs", O_RDONLY));
		say("symlink relative", symlink(rel, "/dev/shm/rel"));
		say("open relative", open("/dev/shm/rel", O_RDONLY));
		unlink("/dev/shm/abs");
		unlink("/dev/shm/rel");
		return 0;
	}
	if (!strcmp(argv[1], "cat")) {
		FILE *f = fopen(argv[2], "r");
		for (int c; f && (c = getc(f)) != EOF;)
			putchar(c);
		return f ? 0 : 1;
	}
	if (!strcmp(argv[1], "ls")) {
		DIR *d = opendir(argv[2]);
		for (struct dirent *e; d && (e = readdir(d));)
			printf("%s\n", e->d_name);
		return d ? 0 : 1;
	}
	if (!strcmp(argv[1], "open")) {
		char *p = map_named(argv[2], O_RDWR);
		if (p)
			printf("open: %s\n", p);
		else
			say("open", -1);
		return 0;
	}
	return 2;
}
