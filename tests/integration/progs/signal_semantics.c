/*
 * signal_semantics.c - Linux signal semantics the runtime must reproduce,
 * printed step by step so the output under coffer can be compared with the
 * native output: SA_RESTART and EINTR for a thread blocked in read(), nanosleep
 * interrupted by a handler, sigsuspend and ppoll with temporary masks, SIGCHLD,
 * SA_RESETHAND, SA_NODEFER, a handler interrupted by another signal, delivery
 * to a thread blocked in a condition variable, alternate stacks, and the
 * context (registers, mask) a handler returns to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

static volatile int hits, order_pos;
static char order[64];
static volatile pid_t handler_tid;

static void count(int sig)
{
	(void)sig;
	hits++;
	handler_tid = (pid_t)syscall(SYS_gettid);
}

static void on(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

static void msleep(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct reader {
	int fd;
	pthread_t th;
	long r;
	int err;
	char c;
};

static void *read_one(void *arg)
{
	struct reader *rd = arg;
	rd->r = read(rd->fd, &rd->c, 1);
	rd->err = rd->r < 0 ? errno : 0;
	return NULL;
}

static void blocked_read(int flags)
{
	int p[2];
	struct reader rd = { 0 };
	pipe(p);
	rd.fd = p[0];
	hits = 0;
	on(SIGUSR1, count, flags);
	pthread_create(&rd.th, NULL, read_one, &rd);
	msleep(100);
	pthread_kill(rd.th, SIGUSR1);
	msleep(100);
	write(p[1], "x", 1);
	pthread_join(rd.th, NULL);
	printf("read with%s SA_RESTART: r=%ld %s handler=%d\n", flags ? "" : "out", rd.r,
	       rd.r == 1 ? "got x" : strerrorname_np(rd.err), hits);
	close(p[0]);
	close(p[1]);
}

static void *kill_later(void *arg)
{
	msleep(100);
	kill(getpid(), (int)(long)arg);
	return NULL;
}

static void nested2(int sig)
{
	(void)sig;
	order[order_pos++] = '2';
}

static void nested1(int sig)
{
	(void)sig;
	order[order_pos++] = '[';
	raise(SIGUSR2);
	order[order_pos++] = ']';
}

static void nodefer(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("SA_NODEFER: own signal blocked in handler: %d\n", sigismember(&cur, sig));
}

static void deferred(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("default: own signal blocked in handler: %d\n", sigismember(&cur, sig));
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go;
static pid_t waiter_tid;

static void *cond_waiter(void *arg)
{
	(void)arg;
	waiter_tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&mu);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static char *altbase;
static volatile int on_alt;

static void alt_handler(int sig)
{
	(void)sig;
	int local;
	on_alt = (char *)&local > altbase && (char *)&local < altbase + 65536;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	blocked_read(SA_RESTART);
	blocked_read(0);

	/* nanosleep is not restarted: EINTR with the time left */
	hits = 0;
	on(SIGUSR1, count, SA_RESTART);
	pthread_t th;
	pthread_create(&th, NULL, kill_later, (void *)(long)SIGUSR1);
	struct timespec ts = { 2, 0 }, rem = { 0, 0 };
	int r = nanosleep(&ts, &rem);
	pthread_join(th, NULL);
	printf("nanosleep: r=%d %s handler=%d time left %s\n", r, r ? strerrorname_np(errno) : "", hits,
	       rem.tv_sec >= 1 ? "yes" : "no");

	/* sigsuspend: wait with USR1 unblocked, old mask back afterwards */
	sigset_t block, empty, cur;
	sigemptyset(&block);
	sigemptyset(&empty);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	hits = 0;
	pthread_create(&th, NULL, kill_later, (void *)(long)SIGUSR1);
	r = sigsuspend(&empty);
	pthread_join(th, NULL);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("sigsuspend: r=%d %s handler=%d USR1 blocked after: %d\n", r, strerrorname_np(errno), hits,
	       sigismember(&cur, SIGUSR1));

	/* ppoll with a mask: a pending blocked signal is delivered inside */
	hits = 0;
	raise(SIGUSR1);
	r = ppoll(NULL, 0, &(struct timespec){ 5, 0 }, &empty);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("ppoll: r=%d %s handler=%d USR1 blocked after: %d\n", r, strerrorname_np(errno), hits,
	       sigismember(&cur, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &block, NULL);

	/* SIGCHLD */
	hits = 0;
	on(SIGCHLD, count, SA_RESTART);
	pid_t pid = fork();
	if (pid == 0)
		_exit(9);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	msleep(50);
	printf("SIGCHLD: handler=%d status=%d\n", hits, WEXITSTATUS(st));
	on(SIGCHLD, SIG_DFL, 0);

	/* SA_RESETHAND */
	hits = 0;
	on(SIGUSR2, count, SA_RESETHAND);
	raise(SIGUSR2);
	struct sigaction now;
	sigaction(SIGUSR2, NULL, &now);
	printf("SA_RESETHAND: handler=%d reset to default: %d\n", hits, now.sa_handler == SIG_DFL);

	on(SIGUSR1, nodefer, SA_NODEFER);
	raise(SIGUSR1);
	on(SIGUSR1, deferred, 0);
	raise(SIGUSR1);

	/* a handler interrupted by another signal */
	on(SIGUSR1, nested1, 0);
	on(SIGUSR2, nested2, 0);
	raise(SIGUSR1);
	order[order_pos] = 0;
	printf("nested handlers: %s\n", order);

	/* a signal for a thread blocked in pthread_cond_wait */
	hits = 0;
	on(SIGUSR1, count, SA_RESTART);
	pthread_create(&th, NULL, cond_waiter, NULL);
	msleep(100);
	pthread_kill(th, SIGUSR1);
	msleep(100);
	pthread_mutex_lock(&mu);
	go = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	printf("thread in cond_wait: handler=%d ran on that thread: %d\n", hits, handler_tid == waiter_tid);

	/* alternate stack with SS_AUTODISARM */
	altbase = malloc(65536);
	stack_t ss = { .ss_sp = altbase, .ss_size = 65536, .ss_flags = (int)SS_AUTODISARM };
	printf("sigaltstack SS_AUTODISARM: %d\n", sigaltstack(&ss, NULL));
	on(SIGUSR2, alt_handler, SA_ONSTACK);
	raise(SIGUSR2);
	stack_t now_ss;
	sigaltstack(NULL, &now_ss);
	printf("ran on the alternate stack: %d, still enabled after: %d\n", on_alt, !(now_ss.ss_flags & SS_DISABLE));

	/* kill to self with a blocked signal, then unblock: delivered at once */
	hits = 0;
	on(SIGUSR1, count, 0);
	sigprocmask(SIG_BLOCK, &block, NULL);
	kill(getpid(), SIGUSR1);
	printf("blocked: handler=%d\n", hits);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	printf("unblocked: handler=%d\n", hits);

	/* a signal that kills by default while another handler is set */
	on(SIGTERM, SIG_DFL, 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("child killed by SIGTERM: %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	return 0;
}
