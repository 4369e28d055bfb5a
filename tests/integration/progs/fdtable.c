/*
 * fdtable.c - fd tables of one's own: unshare(CLONE_FILES),
 * close_range(CLOSE_RANGE_UNSHARE) and clone without CLONE_FILES.
 *
 *   fdtable CASE DIR
 *
 * DIR is a writable directory (in a bundle, a passthrough mount: its
 * files are opened through the runtime's mount handle, one of the runtime's
 * own fds, which must keep working in every copy of the table). Each case
 * prints lines that must be the same natively and under coffer:
 *
 *   closerange  a thread closes every fd with CLOSE_RANGE_UNSHARE; the main
 *               thread's fds survive and work, and the thread sees only
 *               its own (/proc/thread-self/fd)
 *   unshare     a thread unshares; an fd the main thread opens afterwards
 *               does not exist for it, even by number; its close and its
 *               new fd at the same number do not touch the main thread's;
 *               fork, wait and /proc work in its copy
 *   clone       raw clone: a thread without CLONE_FILES, vfork-like
 *               children with and without it, and the combinations Linux
 *               refuses
 *   exec        a thread unshares, changes its fds and execs: the new
 *               image has that thread's fds (execcheck prints them)
 *   evict       a thread unshares, then the main thread dup2()s onto every
 *               number up to 1023 it does not hold (under coffer the
 *               runtime's own fds are among them and must stay where they
 *               are, in both tables: EBUSY), and the thread execs
 *   reroot      dup2() a directory below DIR onto every number up to 1023
 *               that is free, then read DIR/x: it must be DIR/x, not the
 *               directory's x (under coffer, in a bundle, DIR's mount root
 *               is one of the runtime's fds: EBUSY)
 *   flags       unshare's answer to each flag, alone and with threads (not
 *               the same natively as root: compared with fixed lines)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;
static sem_t go_main, go_thread;

static char *in_dir(const char *name)
{
	static char buf[4][512];
	static int i;
	char *b = buf[i++ % 4];
	snprintf(b, 512, "%s/%s", dir, name);
	return b;
}

static int make(const char *name, int flags)
{
	int fd = open(in_dir(name), O_RDWR | O_CREAT | O_TRUNC | flags, 0600);
	if (fd < 0) {
		perror(name);
		exit(1);
	}
	return fd;
}

static const char *err(long r)
{
	return r >= 0 ? "ok" : strerrorname_np(errno);
}

/* Is fd open on the file DIR/name? */
static const char *is(int fd, const char *name)
{
	struct stat a, b;
	if (fstat(fd, &a))
		return strerrorname_np(errno);
	if (stat(in_dir(name), &b))
		return "gone";
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev ? name : "another file";
}

/* The fds of this thread's table, but the listing's own. */
static void list_fds(const char *who)
{
	DIR *d = opendir("/proc/thread-self/fd");
	if (!d) {
		printf("%s: /proc/thread-self/fd: %s\n", who, strerrorname_np(errno));
		return;
	}
	int seen[64], n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64)
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			seen[n++] = atoi(e->d_name);
	closedir(d);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && seen[j] < seen[j - 1]; j--) {
			int x = seen[j];
			seen[j] = seen[j - 1];
			seen[j - 1] = x;
		}
	printf("%s: fds", who);
	for (int i = 0; i < n; i++)
		printf(" %d", seen[i]);
	printf("\n");
}

/* ---- closerange ---------------------------------------------------------- */

static int cr_f, cr_p[2];

static void *cr_thread(void *arg)
{
	(void)arg;
	printf("thread: close_range %s\n", err(syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_UNSHARE)));
	printf("thread: f %s, pipe %s\n", err(fcntl(cr_f, F_GETFD)), err(write(cr_p[1], "x", 1)));
	int g = make("g", 0);
	printf("thread: new fd %d is %s\n", g, is(g, "g"));
	list_fds("thread");
	return NULL;
}

static int case_closerange(void)
{
	cr_f = make("f", 0);
	if (pipe(cr_p))
		return 1;
	pthread_t t;
	pthread_create(&t, NULL, cr_thread, NULL);
	pthread_join(t, NULL);
	char c = 0;
	long w = write(cr_p[1], "y", 1);
	long r = read(cr_p[0], &c, 1);
	printf("main: f is %s, pipe write %s read %s '%c'\n", is(cr_f, "f"), err(w), err(r), c);
	printf("main: write to f %s\n", err(write(cr_f, "main\n", 5)));
	list_fds("main");
	return 0;
}

/* ---- unshare ----------------------------------------------------------- */

static int un_f, un_h;

static void *un_thread(void *arg)
{
	(void)arg;
	printf("thread: unshare %s\n", err(unshare(CLONE_FILES)));
	sem_post(&go_main);
	sem_wait(&go_thread); /* main has opened h */
	char c;
	printf("thread: main's new fd %d: fcntl %s, read %s\n", un_h, err(fcntl(un_h, F_GETFD)),
	       err(read(un_h, &c, 1)));
	printf("thread: close f %s\n", err(close(un_f)));
	int g = make("g", 0);
	printf("thread: new fd %d is %s, write %s\n", g, is(g, "g"), err(write(g, "thread\n", 7)));
	/* the runtime's own fds in this copy: the registry (fork, wait,
	 * kill), /proc */
	pid_t pid = fork();
	if (pid == 0)
		_exit(kill(getppid(), 0) == 0 && fcntl(g, F_GETFD) == 0 ? 7 : 1);
	int st = 0;
	waitpid(pid, &st, 0);
	printf("thread: child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	int s = open("/proc/self/status", O_RDONLY);
	printf("thread: /proc/self/status %s\n", err(s));
	close(s);
	list_fds("thread");
	sem_post(&go_main);
	return NULL;
}

static int case_unshare(void)
{
	un_f = make("f", 0);
	pthread_t t;
	pthread_create(&t, NULL, un_thread, NULL);
	sem_wait(&go_main);
	un_h = make("h", 0);
	sem_post(&go_thread);
	sem_wait(&go_main);
	printf("main: fd %d is %s, write %s\n", un_f, is(un_f, "f"), err(write(un_f, "main\n", 5)));
	printf("main: fd %d is %s\n", un_h, is(un_h, "h"));
	list_fds("main");
	pthread_join(t, NULL);
	return 0;
}

/* ---- clone ------------------------------------------------------------- */

static int cl_f;
static long cl_close, cl_new;
static pid_t cl_tid = 1;

static int cl_thread(void *arg)
{
	(void)arg;
	/* raw calls only: this thread shares the main thread's TLS */
	cl_new = syscall(SYS_openat, AT_FDCWD, in_dir("g"), O_RDWR | O_CREAT, 0600);
	cl_close = syscall(SYS_close, cl_f);
	return 0;
}

static int cl_child(void *arg)
{
	syscall(SYS_close, *(int *)arg);
	syscall(SYS_exit_group, 0);
	return 0;
}

static void vfork_like(const char *what, unsigned long files)
{
	static char stack[65536] __attribute__((aligned(16)));
	int fd = make("v", 0);
	pid_t pid = clone(cl_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | files | SIGCHLD, &fd);
	int st = -1;
	waitpid(pid, &st, 0);
	printf("main: vfork-like child %s closed its fd: parent's %s\n", what, err(fcntl(fd, F_GETFD)));
	close(fd);
}

static int case_clone(void)
{
	static char stack[65536] __attribute__((aligned(16)));
	cl_f = make("f", 0);
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
			      CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	long r = clone(cl_thread, stack + sizeof stack, (int)flags, NULL, &cl_tid, NULL, &cl_tid);
	printf("main: thread without CLONE_FILES %s\n", err(r));
	while (__atomic_load_n(&cl_tid, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &cl_tid, FUTEX_WAIT, cl_tid, NULL, NULL, 0);
	printf("thread: close %s, new fd %ld\n", cl_close == 0 ? "ok" : "failed", cl_new);
	printf("main: fd %d is %s, fd %ld %s\n", cl_f, is(cl_f, "f"), cl_new, err(fcntl((int)cl_new, F_GETFD)));
	vfork_like("without CLONE_FILES", 0);
	vfork_like("with CLONE_FILES", CLONE_FILES);
	/* what Linux refuses */
	r = syscall(SYS_clone, CLONE_VM | CLONE_THREAD, stack + sizeof stack, NULL, NULL, 0);
	printf("main: CLONE_THREAD without CLONE_SIGHAND %s\n", err(r));
	r = syscall(SYS_clone, CLONE_SIGHAND, NULL, NULL, NULL, 0);
	printf("main: CLONE_SIGHAND without CLONE_VM %s\n", err(r));
	list_fds("main");
	return 0;
}

/* ---- exec ------------------------------------------------------------- */

static char **ex_argv;

static void *ex_thread(void *arg)
{
	(void)arg;
	if (unshare(CLONE_FILES)) {
		perror("unshare");
		exit(1);
	}
	sem_post(&go_main);
	sem_wait(&go_thread);
	close(3);
	make("g", 0);        /* 3 */
	make("h", O_CLOEXEC); /* 5 */
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	char *argv[] = { ex_argv[0], "execcheck", (char *)dir, NULL };
	execv(self, argv);
	perror("execv");
	exit(1);
}

/* dup2 src onto every free number from `from` up to 1023: how many
 * answered EBUSY. */
static int dup2_busy(int src, int from)
{
	int busy = 0;
	for (int fd = from; fd < 1024; fd++) {
		if (fcntl(fd, F_GETFD) == 0)
			continue;
		if (dup2(src, fd) == fd)
			close(fd);
		else if (errno == EBUSY)
			busy++;
	}
	return busy;
}

static void exec_between(void)
{
	make("n", 0); /* 5 here, after the thread unshared */
}

static void evict_between(void)
{
	printf("dup2 refused: %s\n", dup2_busy(0, 5) ? "yes" : "no");
}

static int case_reroot(void)
{
	int x = make("x", 0);
	if (write(x, "top\n", 4) != 4)
		return 1;
	close(x);
	mkdir(in_dir("sub"), 0700);
	int sub = open(in_dir("sub"), O_RDONLY | O_DIRECTORY);
	x = open(in_dir("sub/x"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (sub < 0 || x < 0 || write(x, "sub\n", 4) != 4)
		return 1;
	close(x);
	int busy = dup2_busy(sub, sub + 1);
	char b[16] = "";
	x = open(in_dir("x"), O_RDONLY);
	printf("dup2 refused: %s\n", busy ? "yes" : "no");
	printf("x: %s", x >= 0 && read(x, b, sizeof b - 1) > 0 ? b : "unreadable\n");
	return 0;
}

/* A thread unshares; `between` runs in the main thread before the thread
 * goes on to exec. */
static int case_exec(char **argv, void (*between)(void))
{
	ex_argv = argv;
	make("f", 0); /* 3 */
	make("m", 0); /* 4 */
	pthread_t t;
	pthread_create(&t, NULL, ex_thread, NULL);
	sem_wait(&go_main);
	between();
	sem_post(&go_thread);
	pthread_join(t, NULL); /* never returns: the exec ends this image */
	return 1;
}

static int case_execcheck(void)
{
	printf("after exec: 3 is %s, 4 is %s, 5 %s\n", is(3, "g"), is(4, "m"), err(fcntl(5, F_GETFD)));
	list_fds("after exec");
	return 0;
}

/* ---- flags ----------------------------------------------------------- */

static void *idle(void *arg)
{
	(void)arg;
	sem_wait(&go_thread);
	return NULL;
}

static void try_flags(const char *name, unsigned long flags)
{
	printf("%s %s\n", name, err(syscall(SYS_unshare, flags)));
}

static int case_flags(void)
{
	try_flags("0", 0);
	try_flags("CLONE_FS", CLONE_FS);
	try_flags("CLONE_THREAD|CLONE_SIGHAND|CLONE_VM", CLONE_THREAD | CLONE_SIGHAND | CLONE_VM);
	try_flags("CLONE_SYSVSEM", CLONE_SYSVSEM);
	try_flags("CLONE_FILES", CLONE_FILES);
	try_flags("CLONE_NEWUTS", CLONE_NEWUTS);
	try_flags("CLONE_NEWNS", CLONE_NEWNS);
	try_flags("CLONE_NEWUSER", CLONE_NEWUSER);
	try_flags("CLONE_NEWNET|CLONE_NEWPID", CLONE_NEWNET | CLONE_NEWPID);
	try_flags("CLONE_IO", CLONE_IO);
	try_flags("CLONE_PIDFD", CLONE_PIDFD);
	long r = syscall(SYS_clone, CLONE_FILES | SIGCHLD, NULL, NULL, NULL, 0);
	if (r == 0)
		_exit(0);
	printf("clone CLONE_FILES without CLONE_VM %s\n", err(r < 0 ? r : 0));
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	pthread_t t;
	pthread_create(&t, NULL, idle, NULL);
	printf("with a thread:\n");
	try_flags("CLONE_FILES", CLONE_FILES);
	try_flags("CLONE_VM", CLONE_VM);
	try_flags("CLONE_THREAD", CLONE_THREAD);
	try_flags("CLONE_NEWUSER", CLONE_NEWUSER);
	try_flags("CLONE_NEWUTS", CLONE_NEWUTS);
	sem_post(&go_thread);
	pthread_join(t, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fdtable closerange|unshare|clone|exec|evict|reroot|flags DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0); /* lines in order across threads, exec and fork */
	dir = argv[2];
	sem_init(&go_main, 0, 0);
	sem_init(&go_thread, 0, 0);
	const char *c = argv[1];
	if (!strcmp(c, "closerange"))
		return case_closerange();
	if (!strcmp(c, "unshare"))
		return case_unshare();
	if (!strcmp(c, "clone"))
		return case_clone();
	if (!strcmp(c, "exec"))
		return case_exec(argv, exec_between);
	if (!strcmp(c, "reroot"))
		return case_reroot();
	if (!strcmp(c, "evict"))
		return case_exec(argv, evict_between);
	if (!strcmp(c, "execcheck"))
		return case_execcheck();
	if (!strcmp(c, "flags"))
		return case_flags();
	fprintf(stderr, "fdtable: unknown case %s\n", c);
	return 2;
}
