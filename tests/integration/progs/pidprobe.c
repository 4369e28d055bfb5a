/*
 * pidprobe.c - every system call that names a process, against a process of
 * the application and against one that is not (test_pids.py).
 *
 *   pidprobe victim           native helper: prints "PID ADDR" (ADDR: a page
 *                             of 'V' bytes), counts the signals it gets; on
 *                             SIGUSR2 prints whether its page and fd 5 are
 *                             intact and which signals came, and exits
 *   pidprobe foreign PID ADDR [group]
 *                             try each call on PID (its page at ADDR); PID
 *                             "dead": a pid just reaped, for Linux's answer
 *                             for a process that does not exist. With
 *                             "group": kill(0), kill(-1) too
 *   pidprobe own              (under coffer) reads an address in its runtime
 *                             memory from stdin after printing "pid N"; the
 *                             same calls on its own children: a fork, a
 *                             grandchild, a posix_spawn child (after its
 *                             execve), a zombie, and after its own execve
 *   pidprobe sleeper          prints the address of a page of 'S' bytes, waits
 *   pidprobe afterexec PID    (own's execve) the calls on a child forked
 *                             before the execve
 *   pidprobe ipchost KEY      native helper: makes a SysV shared memory
 *                             segment, semaphore set and message queue
 *                             (keys KEY, KEY+1, KEY+2) and a POSIX message
 *                             queue "pidprobe.KEY", prints "SHM SEM MSG";
 *                             on SIGUSR2 says whether each is still there,
 *                             removes them and exits
 *   pidprobe xattr FILE...    fsetxattr, fgetxattr, flistxattr, fremovexattr
 *                             of user.pidprobe on each FILE (created if absent)
 *   pidprobe clock            set the host's clock to what it says (no change)
 *   pidprobe ipc KEY SHM SEM MSG
 *                             each IPC call on those host objects, then on
 *                             objects of its own (shared with a child)
 *
 * Raw system calls throughout (libc would answer some itself). Each line is
 * "call: ok", "call: VALUE" or "call: ERRNAME".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define IOPRIO_WHO_PROCESS 1

static char page[PAGE] __attribute__((aligned(PAGE)));
static volatile sig_atomic_t got[65];
static const char *self_path;

static void say(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: ok\n", what);
	fflush(stdout);
}

static void count(int sig)
{
	got[sig]++;
}

/* ---- the native victim --------------------------------------------------- */

static int victim(void)
{
	memset(page, 'V', PAGE);
	int fd = open("/dev/null", O_RDONLY);
	dup2(fd, 5);
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP && s != SIGSEGV)
			signal(s, count);
	printf("%d %p\n", getpid(), (void *)page);
	fflush(stdout);
	while (!got[SIGUSR2])
		pause();
	bool intact = true;
	for (int i = 0; i < PAGE; i++)
		intact &= page[i] == 'V';
	printf("memory intact: %s\n", intact ? "yes" : "no");
	printf("fd 5 intact: %s\n", fcntl(5, F_GETFD) >= 0 ? "yes" : "no");
	printf("signals:");
	for (int s = 1; s < 32; s++)
		if (s != SIGUSR2 && got[s])
			printf(" %s", sigabbrev_np(s));
	printf("\n");
	return 0;
}

/* ---- the calls ------------------------------------------------------------ */

static void calls(pid_t pid, uintptr_t addr, bool foreign)
{
	char buf[64];
	char line[128];
	struct iovec l = { buf, sizeof buf }, r = { (void *)addr, sizeof buf };
	siginfo_t si;
	int sig = foreign ? SIGUSR1 : SIGCONT; /* harmless to our own children */

	say("kill 0", syscall(SYS_kill, pid, 0));
	say("kill", syscall(SYS_kill, pid, sig));
	say("tkill", syscall(SYS_tkill, pid, sig));
	say("tgkill", syscall(SYS_tgkill, pid, pid, sig));
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	say("rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, pid, sig, &si));
	say("rt_tgsigqueueinfo", syscall(SYS_rt_tgsigqueueinfo, pid, pid, sig, &si));
	long pidfd = syscall(SYS_pidfd_open, pid, 0);
	say("pidfd_open", pidfd);
	if (pidfd >= 0) {
		say("pidfd_send_signal", syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0));
		long fd = syscall(SYS_pidfd_getfd, pidfd, 0, 0);
		say("pidfd_getfd", fd);
		if (fd >= 0)
			close((int)fd);
		close((int)pidfd);
	}
	memset(buf, 0, sizeof buf);
	long n = syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 0);
	snprintf(line, sizeof line, "process_vm_readv%s", n > 0 && buf[0] ? " (read something)" : "");
	say(line, n);
	memset(buf, 'W', sizeof buf);
	say("process_vm_writev", syscall(SYS_process_vm_writev, pid, &l, 1, &r, 1, 0));
	say("waitid", syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOHANG, NULL));
	if (foreign)
		say("waitid P_PGID", syscall(SYS_waitid, P_PGID, pid, &si, WEXITED | WNOHANG, NULL));
	say("wait4", syscall(SYS_wait4, pid, NULL, WNOHANG, NULL));
	say("getpgid", syscall(SYS_getpgid, pid));
	say("getsid", syscall(SYS_getsid, pid));
	say("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, pid));
	say("setpriority", syscall(SYS_setpriority, PRIO_PROCESS, pid, 5));
	say("getpriority pgrp", syscall(SYS_getpriority, PRIO_PGRP, pid));
	struct sched_param sp = { 0 };
	say("sched_getparam", syscall(SYS_sched_getparam, pid, &sp));
	say("sched_setparam", syscall(SYS_sched_setparam, pid, &sp));
	say("sched_getscheduler", syscall(SYS_sched_getscheduler, pid));
	say("sched_setscheduler", syscall(SYS_sched_setscheduler, pid, SCHED_BATCH, &sp));
	struct timespec ts;
	say("sched_rr_get_interval", syscall(SYS_sched_rr_get_interval, pid, &ts));
	cpu_set_t set;
	CPU_ZERO(&set);
	long k = syscall(SYS_sched_getaffinity, pid, sizeof set, &set);
	say("sched_getaffinity", k);
	if (k < 0) {
		CPU_ZERO(&set);
		CPU_SET(0, &set);
	}
	say("sched_setaffinity", syscall(SYS_sched_setaffinity, pid, sizeof set, &set));
	uint32_t attr[14] = { 0 };
	say("sched_getattr", syscall(SYS_sched_getattr, pid, attr, sizeof attr, 0));
	attr[0] = sizeof attr;
	attr[1] = SCHED_BATCH;
	say("sched_setattr", syscall(SYS_sched_setattr, pid, attr, 0));
	struct rlimit rl;
	say("prlimit64 get", syscall(SYS_prlimit64, pid, RLIMIT_CORE, NULL, &rl));
	long got_rl = syscall(SYS_prlimit64, pid, RLIMIT_CORE, NULL, &rl);
	if (got_rl < 0)
		rl.rlim_cur = rl.rlim_max = 0;
	say("prlimit64 set", syscall(SYS_prlimit64, pid, RLIMIT_CORE, &rl, NULL));
	say("ioprio_get", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, pid));
	say("ioprio_set", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, pid, (2 << 13) | 4));
	unsigned long nodes = 1;
	long mp = syscall(SYS_migrate_pages, pid, 64, &nodes, &nodes);
	say("migrate_pages", mp < 0 && errno == ENOSYS ? 0 : mp);
	long mv = syscall(SYS_move_pages, pid, 0, NULL, NULL, NULL, 0);
	say("move_pages", mv < 0 && errno == ENOSYS ? 0 : mv);
	say("kcmp", syscall(SYS_kcmp, getpid(), pid, KCMP_VM, 0, 0));
	void *head;
	size_t len;
	say("get_robust_list", syscall(SYS_get_robust_list, pid, &head, &len));
	struct __user_cap_header_struct ch = { _LINUX_CAPABILITY_VERSION_3, pid };
	struct __user_cap_data_struct cd[2];
	say("capget", syscall(SYS_capget, &ch, cd));
	int pfd[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, pfd);
	say("F_SETOWN", syscall(SYS_fcntl, pfd[0], F_SETOWN, pid));
	struct f_owner_ex own = { F_OWNER_PID, pid };
	say("F_SETOWN_EX", syscall(SYS_fcntl, pfd[0], F_SETOWN_EX, &own));
	close(pfd[0]);
	close(pfd[1]);
	say("PR_SET_PTRACER", syscall(SYS_prctl, PR_SET_PTRACER, pid, 0, 0, 0));
	syscall(SYS_prctl, PR_SET_PTRACER, 0, 0, 0, 0);
}

static pid_t dead_pid(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p;
}

static int foreign(int argc, char **argv)
{
	pid_t pid = strcmp(argv[2], "dead") ? (pid_t)atoi(argv[2]) : dead_pid();
	uintptr_t addr = (uintptr_t)strtoull(argv[3], NULL, 16);

	signal(SIGUSR1, count);
	calls(pid, addr, true);
	if (argc > 4 && !strcmp(argv[4], "group")) {
		/* the victim shares our process group */
		say("kill(0, SIGUSR1)", syscall(SYS_kill, 0, SIGUSR1));
		printf("SIGUSR1 reached the probe: %d\n", got[SIGUSR1]);
		long r = syscall(SYS_kill, -1, 0);
		say("kill(-1, 0)", r);
		/* only when confined: never let a failure reach the host's processes */
		if (r < 0 && errno == ESRCH)
			say("kill(-1, SIGTERM)", syscall(SYS_kill, -1, SIGTERM));
		say("kill(-pgrp, SIGUSR1)", syscall(SYS_kill, -getpgrp(), SIGUSR1));
		say("kill(-victim, 0)", syscall(SYS_kill, -pid, 0));
	}
	return 0;
}

/* ---- own processes ---------------------------------------------------------- */

static int sleeper(void)
{
	memset(page, 'S', PAGE);
	printf("%p\n", (void *)page);
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

/* A child that keeps our page (a copy) and waits. */
static pid_t child_waiting(void)
{
	pid_t p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	return p;
}

static void check_memory(pid_t pid, uintptr_t addr, char expect, const char *who)
{
	char buf[64], line[128];
	struct iovec l = { buf, sizeof buf }, r = { (void *)addr, sizeof buf };

	long n = syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 0);
	snprintf(line, sizeof line, "%s: process_vm_readv %s", who,
		 n == sizeof buf && buf[0] == expect ? "reads its page" : "fails");
	say(line, n);
	memset(buf, 'W', sizeof buf);
	n = syscall(SYS_process_vm_writev, pid, &l, 1, &r, 1, 0);
	memset(buf, 0, sizeof buf);
	syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 0);
	snprintf(line, sizeof line, "%s: process_vm_writev %s", who, buf[0] == 'W' ? "wrote" : "did not write");
	say(line, n);
}

static void check_runtime(pid_t pid, uintptr_t rt, const char *who)
{
	char buf[64], line[128];
	struct iovec l = { buf, sizeof buf }, r = { (void *)rt, sizeof buf };
	snprintf(line, sizeof line, "%s: process_vm_readv of runtime memory", who);
	say(line, syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 0));
	snprintf(line, sizeof line, "%s: process_vm_writev of runtime memory", who);
	say(line, syscall(SYS_process_vm_writev, pid, &l, 1, &r, 1, 0));
}

/* pidfd_getfd of each fd number in the child: the runtime's must not come,
 * nor the host fd behind a file its runtime serves (fd 8: the program, a
 * trusted file in the bundle; fd 9: a file in /tmp, a tmpfs there). */
static void check_fds(pid_t pid, const char *who)
{
	char line[128];
	long pidfd = syscall(SYS_pidfd_open, pid, 0);
	int mine = 0, gotten = 0;
	for (int fd = 0; fd < 1024; fd++) {
		long r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (fd == 8 || fd == 9) {
			snprintf(line, sizeof line, "%s: pidfd_getfd of fd %d", who, fd);
			say(line, r);
		}
		if (r < 0)
			continue;
		if (fd == 8 || fd == 9) {
			close((int)r);
			continue;
		}
		gotten++;
		mine += fd <= 2;
		close((int)r);
	}
	close((int)pidfd);
	snprintf(line, sizeof line, "%s: pidfd_getfd got fds 0-2: %d, others: %d", who, mine, gotten - mine);
	say(line, 0);
}

static int own(void)
{
	uintptr_t rt = 0;
	char line[64];

	printf("pid %d\n", getpid());
	fflush(stdout);
	if (fgets(line, sizeof line, stdin))
		rt = (uintptr_t)strtoull(line, NULL, 16);
	memset(page, 'P', PAGE);
	signal(SIGUSR1, count); /* kill(0, SIGUSR1) below reaches the children too */
	int fd = open(self_path, O_RDONLY);
	dup3(fd, 8, O_CLOEXEC);
	close(fd);
	fd = open(getenv("PIDPROBE_FILE") ? getenv("PIDPROBE_FILE") : "/tmp/pidprobe.file", O_RDWR | O_CREAT, 0600);
	dup3(fd, 9, O_CLOEXEC);
	close(fd);

	/* a child */
	pid_t c = child_waiting();
	check_memory(c, (uintptr_t)page, 'P', "child");
	calls(c, (uintptr_t)page, false);
	check_runtime(c, rt, "child");
	check_runtime(getpid(), rt, "self");
	check_fds(c, "child");

	/* a grandchild */
	int p[2];
	pipe2(p, O_CLOEXEC);
	pid_t mid = fork();
	if (mid == 0) {
		pid_t g = child_waiting();
		write(p[1], &g, sizeof g);
		for (;;)
			pause();
	}
	pid_t g;
	read(p[0], &g, sizeof g);
	say("grandchild: kill 0", syscall(SYS_kill, g, 0));
	check_memory(g, (uintptr_t)page, 'P', "grandchild");
	say("grandchild: pidfd_open", syscall(SYS_pidfd_open, g, 0));
	kill(mid, SIGKILL);
	waitpid(mid, NULL, 0);
	say("orphaned grandchild: kill 0", syscall(SYS_kill, g, 0));
	say("orphaned grandchild: kill SIGKILL", syscall(SYS_kill, g, SIGKILL));

	/* a posix_spawn child (vfork, then execve) */
	int out[2];
	pipe2(out, O_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	char *sargv[] = { "pidprobe", "sleeper", NULL };
	pid_t s;
	int e = posix_spawn(&s, self_path, &fa, NULL, sargv, environ);
	say("posix_spawn", e ? (errno = e, -1) : 0);
	char addr[32] = { 0 };
	read(out[0], addr, sizeof addr - 1);
	say("spawned: kill 0", syscall(SYS_kill, s, 0));
	say("spawned: sched_getaffinity",
	    syscall(SYS_sched_getaffinity, s, sizeof(cpu_set_t), &(cpu_set_t){ 0 }));
	check_memory(s, (uintptr_t)strtoull(addr, NULL, 16), 'S', "spawned");
	check_fds(s, "spawned");
	kill(s, SIGKILL);
	waitpid(s, NULL, 0);

	/* a zombie */
	pid_t z = fork();
	if (z == 0)
		_exit(7);
	siginfo_t si;
	syscall(SYS_waitid, P_PID, z, &si, WEXITED | WNOWAIT, NULL);
	say("zombie: kill 0", syscall(SYS_kill, z, 0));
	say("zombie: kill SIGTERM", syscall(SYS_kill, z, SIGTERM));
	long zfd = syscall(SYS_pidfd_open, z, 0);
	say("zombie: pidfd_open", zfd);
	say("zombie: waitid P_PIDFD", syscall(SYS_waitid, P_PIDFD, zfd, &si, WEXITED, NULL));
	printf("zombie: status %d\n", si.si_status);
	say("reaped: kill 0", syscall(SYS_kill, z, 0));

	/* own process group and kill(-1) */
	say("kill(0, SIGUSR1)", syscall(SYS_kill, 0, SIGUSR1));
	printf("SIGUSR1 reached the probe: %d\n", got[SIGUSR1]);
	say("kill(-1, 0)", syscall(SYS_kill, -1, 0));

	/* execve with the child still there */
	char cs[16];
	snprintf(cs, sizeof cs, "%d", c);
	char *eargv[] = { "pidprobe", "afterexec", cs, NULL };
	fflush(stdout);
	execve(self_path, eargv, environ);
	say("execve", -1);
	return 1;
}

static int afterexec(char **argv)
{
	pid_t c = atoi(argv[2]);
	say("after execve: kill 0", syscall(SYS_kill, c, 0));
	say("after execve: pidfd_open", syscall(SYS_pidfd_open, c, 0));
	say("after execve: getpgid", syscall(SYS_getpgid, c));
	say("after execve: kill(-1, SIGTERM)", syscall(SYS_kill, -1, SIGTERM));
	int st = 0;
	if (waitpid(c, &st, 0) < 0)
		say("after execve: waitpid", -1);
	printf("after execve: child %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM ? "got SIGTERM" : "did not");
	return 0;
}

/* ---- SysV IPC and POSIX message queues ---------------------------------------- */

static int ipchost(char **argv)
{
	key_t key = (key_t)atoi(argv[2]);
	char name[64];
	snprintf(name, sizeof name, "pidprobe.%d", key);
	int shm = shmget(key, PAGE, IPC_CREAT | 0600);
	int sem = semget(key + 1, 1, IPC_CREAT | 0600);
	int msg = msgget(key + 2, IPC_CREAT | 0600);
	struct mq_attr { long flags, maxmsg, msgsize, curmsgs, pad[4]; } at = { 0, 4, 64, 0, { 0 } };
	long mq = syscall(SYS_mq_open, name, O_RDWR | O_CREAT, 0600, &at);
	if (shm < 0 || sem < 0 || msg < 0 || mq < 0) {
		perror("ipchost");
		return 1;
	}
	char *p = shmat(shm, NULL, 0);
	memset(p, 'H', PAGE);
	signal(SIGUSR2, count);
	printf("%d %d %d\n", shm, sem, msg);
	fflush(stdout);
	while (!got[SIGUSR2])
		pause();
	struct shmid_ds ds;
	bool intact = p[0] == 'H' && p[PAGE - 1] == 'H';
	printf("shm: %s\n", shmctl(shm, IPC_STAT, &ds) == 0 && intact ? "intact" : "touched");
	printf("sem: %s\n", semctl(sem, 0, GETVAL) == 0 ? "intact" : "touched");
	struct msqid_ds mds;
	printf("msg: %s\n", msgctl(msg, IPC_STAT, &mds) == 0 && mds.msg_qnum == 0 ? "intact" : "touched");
	long r = syscall(SYS_mq_getsetattr, mq, NULL, &at);
	printf("mq: %s\n", r == 0 && at.curmsgs == 0 && syscall(SYS_mq_unlink, name) == 0 ? "intact" : "touched");
	shmdt(p);
	shmctl(shm, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
	msgctl(msg, IPC_RMID, NULL);
	return 0;
}

static int ipc(char **argv)
{
	key_t key = (key_t)atoi(argv[2]);
	int shm = atoi(argv[3]), sem = atoi(argv[4]), msg = atoi(argv[5]);
	char name[64];
	struct { long type; char text[8]; } m = { 1, "hello" };
	struct sembuf op = { 0, 1, IPC_NOWAIT };
	struct shmid_ds ds;

	snprintf(name, sizeof name, "pidprobe.%d", key);
	/* the host's objects: not there */
	say("host shmget", syscall(SYS_shmget, key, 0, 0));
	say("host shmget IPC_CREAT", syscall(SYS_shmget, key, PAGE, IPC_CREAT | 0600));
	say("host shmat", syscall(SYS_shmat, shm, NULL, 0));
	say("host shmctl IPC_STAT", syscall(SYS_shmctl, shm, IPC_STAT, &ds));
	say("host shmctl IPC_RMID", syscall(SYS_shmctl, shm, IPC_RMID, NULL));
	say("shmctl SHM_INFO", syscall(SYS_shmctl, 0, SHM_INFO, &ds));
	say("shmctl SHM_STAT_ANY", syscall(SYS_shmctl, 0, SHM_STAT_ANY, &ds));
	say("host semget", syscall(SYS_semget, key + 1, 0, 0));
	say("host semop", syscall(SYS_semop, sem, &op, 1));
	say("host semctl IPC_RMID", syscall(SYS_semctl, sem, 0, IPC_RMID, 0));
	say("semctl SEM_INFO", syscall(SYS_semctl, 0, 0, SEM_INFO, &ds));
	say("host msgget", syscall(SYS_msgget, key + 2, 0));
	say("host msgsnd", syscall(SYS_msgsnd, msg, &m, sizeof m.text, IPC_NOWAIT));
	say("host msgrcv", syscall(SYS_msgrcv, msg, &m, sizeof m.text, 0, IPC_NOWAIT));
	say("host msgctl IPC_RMID", syscall(SYS_msgctl, msg, IPC_RMID, NULL));
	say("msgctl MSG_INFO", syscall(SYS_msgctl, 0, MSG_INFO, &ds));
	say("host mq_open", syscall(SYS_mq_open, name, O_RDWR, 0, NULL));
	say("host mq_unlink", syscall(SYS_mq_unlink, name));

	/* our own, with the same names, shared with a child */
	long s2 = syscall(SYS_shmget, IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	say("own shmget", s2);
	char *p = (char *)syscall(SYS_shmat, s2, NULL, 0);
	say("own shmat", (long)p == -1 ? -1 : 0);
	long s3 = syscall(SYS_shmget, key + 7, PAGE, IPC_CREAT | 0600);
	say("own keyed shmget", s3);
	say("own keyed shmget again", syscall(SYS_shmget, key + 7, 0, 0) == s3 ? 0 : -1);
	long se = syscall(SYS_semget, IPC_PRIVATE, 1, IPC_CREAT | 0600);
	say("own semget", se);
	long mq2 = syscall(SYS_msgget, IPC_PRIVATE, IPC_CREAT | 0600);
	say("own msgget", mq2);
	long q = syscall(SYS_mq_open, name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	say("own mq_open", q);
	pid_t c = fork();
	if (c == 0) {
		p[0] = 'C';
		syscall(SYS_semop, se, &op, 1);
		syscall(SYS_msgsnd, mq2, &m, sizeof m.text, 0);
		long cq = syscall(SYS_mq_open, name, O_WRONLY, 0, NULL);
		syscall(SYS_mq_timedsend, cq, "child", 5, 0, NULL);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	say("child wrote the segment", p[0] == 'C' ? 0 : -1);
	say("own semctl GETVAL", syscall(SYS_semctl, se, 0, GETVAL, 0) == 1 ? 0 : -1);
	say("own msgrcv", syscall(SYS_msgrcv, mq2, &m, sizeof m.text, 0, IPC_NOWAIT));
	char buf[64];
	say("own mq_timedreceive", syscall(SYS_mq_timedreceive, q, buf, 8192, NULL, NULL));
	say("own shmdt", syscall(SYS_shmdt, p));
	say("own shmctl IPC_RMID", syscall(SYS_shmctl, s2, IPC_RMID, NULL));
	say("own keyed shmctl IPC_RMID", syscall(SYS_shmctl, s3, IPC_RMID, NULL));
	say("own semctl IPC_RMID", syscall(SYS_semctl, se, 0, IPC_RMID, 0));
	say("own msgctl IPC_RMID", syscall(SYS_msgctl, mq2, IPC_RMID, NULL));
	say("own mq_unlink", syscall(SYS_mq_unlink, name));
	say("removed shmctl IPC_STAT", syscall(SYS_shmctl, s2, IPC_STAT, &ds));
	return 0;
}

static int xattrs(int argc, char **argv)
{
	char line[300], buf[64];
	for (int i = 2; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0)
			fd = open(argv[i], O_RDWR | O_CREAT, 0600);
		snprintf(line, sizeof line, "%s fsetxattr", argv[i]);
		say(line, syscall(SYS_fsetxattr, fd, "user.pidprobe", "v", 1, 0));
		snprintf(line, sizeof line, "%s fgetxattr", argv[i]);
		say(line, syscall(SYS_fgetxattr, fd, "user.pidprobe", buf, sizeof buf));
		long n = syscall(SYS_flistxattr, fd, buf, sizeof buf);
		snprintf(line, sizeof line, "%s flistxattr %s", argv[i], n > 0 ? "lists" : "empty");
		say(line, n);
		snprintf(line, sizeof line, "%s fremovexattr", argv[i]);
		say(line, syscall(SYS_fremovexattr, fd, "user.pidprobe"));
		close(fd);
	}
	return 0;
}

static int clock_set(void)
{
	struct timespec ts;
	struct timeval tv;
	struct { unsigned modes; long pad[25]; } tx = { 0, { 0 } };

	clock_gettime(CLOCK_REALTIME, &ts);
	say("clock_settime", syscall(SYS_clock_settime, CLOCK_REALTIME, &ts));
	gettimeofday(&tv, NULL);
	say("settimeofday", syscall(SYS_settimeofday, &tv, NULL));
	say("adjtimex read", syscall(SYS_adjtimex, &tx) < 0 ? -1 : 0);
	tx.modes = 0x4000; /* ADJ_TICK, to what it is */
	say("adjtimex set", syscall(SYS_adjtimex, &tx) < 0 ? -1 : 0);
	tx.modes = 0;
	say("clock_adjtime read", syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx) < 0 ? -1 : 0);
	tx.modes = 0x4000;
	say("clock_adjtime set", syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx) < 0 ? -1 : 0);
	return 0;
}

int main(int argc, char **argv)
{
	self_path = getenv("PIDPROBE") ? getenv("PIDPROBE") : "/proc/self/exe";
	if (argc >= 2 && !strcmp(argv[1], "victim"))
		return victim();
	if (argc >= 2 && !strcmp(argv[1], "sleeper"))
		return sleeper();
	if (argc >= 4 && !strcmp(argv[1], "foreign"))
		return foreign(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "own"))
		return own();
	if (argc >= 3 && !strcmp(argv[1], "afterexec"))
		return afterexec(argv);
	if (argc >= 3 && !strcmp(argv[1], "ipchost"))
		return ipchost(argv);
	if (argc >= 2 && !strcmp(argv[1], "clock"))
		return clock_set();
	if (argc >= 2 && !strcmp(argv[1], "xattr"))
		return xattrs(argc, argv);
	if (argc >= 6 && !strcmp(argv[1], "ipc"))
		return ipc(argv);
	fprintf(stderr, "usage: pidprobe victim | sleeper | foreign PID|dead ADDR [group] | own | afterexec PID\n");
	return 2;
}
