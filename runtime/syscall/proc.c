/*
 * proc.c - process calls that need more than forwarding: prctl and
 * arch_prctl (the application may not touch what the runtime depends on:
 * %gs, system call dispatch, seccomp, the process's memory map), and the
 * calls that name another process by pid or pidfd. clone, fork, exec and
 * exit live in runtime/proc/; the calls that send signals in signal.c.
 *
 * A pid is confined to the application's processes (runtime/proc/pidtab.h):
 * any other pid does not exist (ESRCH), a process group or a uid selects
 * our processes in it only. Calls that act through a pidfd act on exactly
 * the process that was checked; calls that take a number are checked just
 * before and, when they only read, again just after, so a result about a
 * process that took the pid over in between is thrown away. Neither
 * process_vm_readv/writev nor pidfd_getfd reaches the runtime's memory or
 * fds in the other process: each process publishes them in the registry.
 */
#include <linux/futex.h>
#include <linux/ioprio.h>
#include <linux/resource.h>
#include <linux/timex.h>
#include <linux/prctl.h>
#include <asm/prctl.h>

#include "../boot/boot.h"
#include "../mm/mm.h"
#include "../proc/pidtab.h"
#include "../proc/proc.h"
#include "sys.h"
#include "../lib/host.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef ARCH_SHSTK_ENABLE
#define ARCH_SHSTK_ENABLE 0x5001
#define ARCH_SHSTK_STATUS 0x5005
#endif

long sys_prctl(struct sys_call *c)
{
	switch (c->a[0]) {
	case PR_SET_SYSCALL_USER_DISPATCH:
		return -EINVAL; /* interception belongs to the runtime */
	case PR_SET_SECCOMP:
		return -EINVAL; /* a filter would also apply to the runtime */
	case PR_SET_MM:
		return -EPERM;  /* the memory map belongs to the runtime */
	case PR_GET_NAME:
	case PR_GET_TID_ADDRESS:
		if (!mm_user_ok((uintptr_t)c->a[1], 0))
			return -EFAULT;
		if (c->a[0] == PR_GET_TID_ADDRESS) {
			uint64_t v = current()->clear_child_tid;
			return uaccess_copy_to((uintptr_t)c->a[1], &v, 8);
		}
		return sys_forward(c);
	case PR_SET_PTRACER:
		/* a tracer outside the application is another host process;
		 * PR_SET_PTRACER_ANY invites any of them */
		if (c->a[1] == (long)PR_SET_PTRACER_ANY ? rt_signed()
							 : c->a[1] && !pidtab_owned((int)c->a[1]))
			return -EINVAL;
		return sys_forward(c);
	case PR_GET_PDEATHSIG:
	case PR_GET_CHILD_SUBREAPER:
	case PR_GET_FP_MODE:
	case PR_GET_UNALIGN:
	case PR_GET_FPEMU:
	case PR_GET_FPEXC:
	case PR_GET_ENDIAN:
	case PR_GET_SPECULATION_CTRL:
		if (c->a[1] && !mm_user_ok((uintptr_t)c->a[1], 0))
			return -EFAULT;
		return sys_forward(c);
	default:
		return sys_forward(c);
	}
}

long sys_arch_prctl(struct sys_call *c)
{
	uintptr_t addr = (uintptr_t)c->a[1];

	switch (c->a[0]) {
	case ARCH_SET_FS:
		return sys_forward(c);
	case ARCH_GET_FS:
		return mm_user_ok(addr, 8) ? sys_forward(c) : -EFAULT;
	case ARCH_SET_GS:
		return -EPERM; /* %gs is the runtime's */
	case ARCH_GET_GS: {
		uint64_t zero = 0;
		return uaccess_copy_to(addr, &zero, 8);
	}
	case ARCH_SHSTK_ENABLE:
		return -EINVAL; /* shadow stacks would break the runtime's context switches */
	default:
		if (addr && !mm_user_ok(addr, 0))
			return -EFAULT;
		return sys_forward(c);
	}
}

/* futex: only a wait can be interrupted. The wakes, requeues, unlocks and
 * try-locks never sleep, and Linux never fails them with EINTR (glibc
 * aborts if one does), so they skip the interruptible path, which would
 * fail them whenever a signal is already held. Linux restarts an
 * interrupted wait after an SA_RESTART handler only when it has no timeout
 * (a timed wait returns EINTR). */
long sys_futex(struct sys_call *c)
{
	int cmd = (int)(c->a[1] & 0x7f); /* without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
	bool waits = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAIT_REQUEUE_PI ||
		     cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2;
	if (!waits)
		return sys_host_now(c, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	long r = sys_forward(c);
	if (r == -EINTR && waits && c->a[3])
		c->no_restart = true;
	return r;
}



/* ---- calls that name a process -------------------------------------------- */

/* A task (thread) id argument: 0 and the caller's own process are the
 * kernel's business; anything else must be a thread of one of ours. */
static long task_ok(int tid)
{
	if (tid <= 0 || tid == current()->tid || tid == current()->proc->pid)
		return 0;
	return pidtab_tid_owner(tid) > 0 ? 0 : -ESRCH;
}

/* Forward a call whose argument `i` is a task id. `reads`: the call only
 * reads, so its result is kept only if the task is still ours after it. */
static long fwd_task(struct sys_call *c, int i, bool reads)
{
	int tid = (int)c->a[i];
	long r = task_ok(tid);
	if (r)
		return r;
	r = sys_forward(c);
	if (reads && r >= 0 && task_ok(tid))
		return -ESRCH;
	return r;
}

long sys_sched_setparam(struct sys_call *c) { return fwd_task(c, 0, false); }
long sys_sched_getparam(struct sys_call *c) { return fwd_task(c, 0, true); }
long sys_sched_setscheduler(struct sys_call *c) { return fwd_task(c, 0, false); }
long sys_sched_getscheduler(struct sys_call *c) { return fwd_task(c, 0, true); }
long sys_sched_rr_get_interval(struct sys_call *c) { return fwd_task(c, 0, true); }
long sys_sched_setaffinity(struct sys_call *c) { return fwd_task(c, 0, false); }
long sys_sched_getaffinity(struct sys_call *c) { return fwd_task(c, 0, true); }
long sys_sched_setattr(struct sys_call *c) { return fwd_task(c, 0, false); }
long sys_sched_getattr(struct sys_call *c) { return fwd_task(c, 0, true); }
long sys_getpgid(struct sys_call *c) { return fwd_task(c, 0, true); }
long sys_getsid(struct sys_call *c) { return fwd_task(c, 0, true); }
long sys_get_robust_list(struct sys_call *c) { return fwd_task(c, 0, true); }
long sys_migrate_pages(struct sys_call *c) { return fwd_task(c, 0, false); }
long sys_move_pages(struct sys_call *c) { return fwd_task(c, 0, !c->a[3] /* no nodes: a query */); }
long sys_prlimit64(struct sys_call *c) { return fwd_task(c, 0, !c->a[2] /* no new limit */); }

/* getppid: a parent outside the application is not there (0, as Linux says
 * for a parent outside the caller's pid namespace). While a process is a
 * child of pid P, P is held by its parent, so the answer for P stays the
 * same until getppid says something else: the last one is kept, pid and
 * verdict in one word (a cheap call that benchmarks and loops make often). */
long sys_getppid(struct sys_call *c)
{
	static uint64_t last; /* pid << 1 | ours */
	long r = sys_forward(c);
	if (r <= 0)
		return r;
	uint64_t l = __atomic_load_n(&last, __ATOMIC_RELAXED);
	if ((long)(l >> 1) != r) {
		l = (uint64_t)r << 1 | pidtab_owned((int)r);
		__atomic_store_n(&last, l, __ATOMIC_RELAXED);
	}
	return (l & 1) ? r : 0;
}

/* setpgid: the kernel lets a process move itself or a child (ours) into a
 * group of its session; the group must hold one of ours, or be new. */
long sys_setpgid(struct sys_call *c)
{
	int pid = (int)c->a[0], pgid = (int)c->a[1], one;

	if (pgid > 0 && pgid != (pid ? pid : current()->proc->pid) &&
	    pidtab_select(PIDTAB_PGRP, pgid, &one, 1) == 0)
		return -EPERM;
	return sys_forward(c);
}

long sys_capget(struct sys_call *c)
{
	struct {
		uint32_t version;
		int pid;
	} hdr;

	if (uaccess_copy_from(&hdr, (uintptr_t)c->a[0], sizeof hdr))
		return -EFAULT;
	long r = task_ok(hdr.pid);
	if (r)
		return r;
	r = sys_forward(c);
	if (r >= 0 && task_ok(hdr.pid))
		return -ESRCH;
	return r;
}

/* kcmp: both processes ours; a file index in another process is not one of
 * its runtime fds. */
static long kcmp_fd_ok(int pid, long fd)
{
	struct pidtab_view v;

	if (pid == current()->proc->pid)
		return fd_is_runtime((int)fd) ? -EBADF : 0;
	long tgid = pidtab_tid_owner(pid);
	if (tgid < 0)
		return -ESRCH;
	long r = pidtab_view((int)tgid, &v);
	if (r < 0)
		return r;
	for (unsigned i = 0; r == 0 && i < v.nfds; i++)
		if (v.fds[i] == (int)fd)
			return -EBADF;
	return 0;
}

long sys_kcmp(struct sys_call *c)
{
	int pid1 = (int)c->a[0], pid2 = (int)c->a[1];
	long r;

	if (pid1 <= 0 || pid2 <= 0)
		return sys_forward(c);
	if ((r = task_ok(pid1)) || (r = task_ok(pid2)))
		return r;
	if (c->a[2] == 0 /* KCMP_FILE */ && ((r = kcmp_fd_ok(pid1, c->a[3])) || (r = kcmp_fd_ok(pid2, c->a[4]))))
		return r;
	r = sys_forward(c);
	if (r >= 0 && (task_ok(pid1) || task_ok(pid2)))
		return -ESRCH;
	return r;
}

/* ---- priorities of a process, a group, a user ------------------------------ */


/* The processes `which`/`who` selects among ours (0: the caller's group or
 * real uid). */
static int who_select(int which, long who, int *out, int max)
{
	if (who == 0)
		who = which == PRIO_PGRP ? host_pid("getpgid", plat_host_getpgrp())
					: host_id("getuid", plat_host_getuid());
	return pidtab_select(which == PRIO_PGRP ? PIDTAB_PGRP : PIDTAB_UID, who, out, max);
}

/* getpriority(PRIO_PROCESS, pid) for each: the highest (20 - nice). */
long sys_getpriority(struct sys_call *c)
{
	int which = (int)c->a[0], pids[512];

	if (which == PRIO_PROCESS)
		return fwd_task(c, 1, true);
	if (which != PRIO_PGRP && which != PRIO_USER)
		return -EINVAL;
	int n = who_select(which, c->a[1], pids, RT_ARRAY_LEN(pids));
	long best = -ESRCH;
	for (int i = 0; i < n; i++) {
		long r = plat_host_getpriority(pids[i]);
		if (r > 40)
			r = host_refuse("getpriority", r, "not 20 - nice");
		r = host_ret("getpriority", r);
		if (r > best)
			best = r;
	}
	return best;
}

long sys_setpriority(struct sys_call *c)
{
	int which = (int)c->a[0], pids[512];

	if (which == PRIO_PROCESS)
		return fwd_task(c, 1, false);
	if (which != PRIO_PGRP && which != PRIO_USER)
		return -EINVAL;
	int n = who_select(which, c->a[1], pids, RT_ARRAY_LEN(pids));
	long err = -ESRCH;
	for (int i = 0; i < n; i++) {
		long r = host_zero("setpriority", plat_host_setpriority(pids[i], (int)c->a[2]));
		if (r < 0 && r != -ESRCH)
			err = r;
		else if (!r && err == -ESRCH)
			err = 0;
	}
	return err;
}

/* ioprio of a process, a group or a user: the best (lowest) value. */
long sys_ioprio_get(struct sys_call *c)
{
	int which = (int)c->a[0], pids[512];

	if (which == IOPRIO_WHO_PROCESS)
		return fwd_task(c, 1, true);
	if (which != IOPRIO_WHO_PGRP && which != IOPRIO_WHO_USER)
		return -EINVAL;
	int n = who_select(which == IOPRIO_WHO_PGRP ? PRIO_PGRP : PRIO_USER, c->a[1], pids, RT_ARRAY_LEN(pids));
	long best = -ESRCH;
	for (int i = 0; i < n; i++) {
		long r = host_ret("ioprio_get", plat_host_ioprio_get(pids[i]));
		if (r >= 0 && (best == -ESRCH || r < best))
			best = r;
	}
	return best;
}

long sys_ioprio_set(struct sys_call *c)
{
	int which = (int)c->a[0], pids[512];

	if (which == IOPRIO_WHO_PROCESS)
		return fwd_task(c, 1, false);
	if (which != IOPRIO_WHO_PGRP && which != IOPRIO_WHO_USER)
		return -EINVAL;
	int n = who_select(which == IOPRIO_WHO_PGRP ? PRIO_PGRP : PRIO_USER, c->a[1], pids, RT_ARRAY_LEN(pids));
	long err = -ESRCH;
	for (int i = 0; i < n; i++) {
		long r = host_zero("ioprio_set", plat_host_ioprio_set(pids[i], (int)c->a[2]));
		if (r < 0 && r != -ESRCH)
			err = r;
		else if (!r && err == -ESRCH)
			err = 0;
	}
	return err;
}

/* ---- pidfds ------------------------------------------------------------------ */

#ifndef PIDFD_THREAD
#define PIDFD_THREAD 0x80 /* O_EXCL */
#endif

long sys_pidfd_open(struct sys_call *c)
{
	int pid = (int)c->a[0];
	unsigned flags = (unsigned)c->a[1];

	if (pid <= 0)
		return sys_forward(c);
	if (!(flags & PIDFD_THREAD))
		return fd_install_host(pidtab_pidfd(pid, flags), NULL, 0);
	/* a thread: the thread group it is in must be ours, before and after */
	long tgid = pidtab_tid_owner(pid);
	if (tgid < 0)
		return tgid;
	long fd = sys_forward(c);
	if (fd >= 0 && pidtab_tid_owner(pid) != tgid) {
		plat_host_close((int)fd);
		return -ESRCH;
	}
	return fd_install_host(fd, NULL, 0);
}

/* An fd taken from another process whose runtime serves the file itself:
 * a placeholder memfd (tmpfs, pseudo files) or, in a bundle, a trusted
 * file's host file (unverified bytes). Neither is what the other process's
 * application sees, and this runtime could only treat it as a host file. */
static bool served_by_runtime(long fd)
{
	char link[48], target[RT_PATH_MAX];

	rt_snprintf(link, sizeof link, "%s/fd/%ld", fd_host_proc(), fd);
	long n = host_len("readlinkat", plat_host_readlinkat(VFS_AT_FDCWD, link, target, sizeof target - 1), sizeof target - 1);
	if (n < 0)
		return true;
	target[n] = 0;
	if (str_starts(target, "/memfd:coffer-"))
		return true;
	for (uint32_t i = 0; rt_signed() && i < rt_manifest.nmounts; i++) {
		struct man_mount mm;
		man_mount(&rt_manifest, i, &mm);
		const char *src = man_str(&rt_manifest, mm.source);
		size_t k = strlen(src);
		if (mm.type == MAN_MOUNT_TRUSTED && k && !strncmp(target, src, k) &&
		    (target[k] == 0 || target[k] == '/' || src[k - 1] == '/'))
			return true;
	}
	return false;
}

/* pidfd_getfd: never one of the runtime's fds in the other process (the
 * log, the registry, a mount's host directory, an execve's boot block),
 * nor the host fd behind a file its runtime serves (EPERM, as when a
 * security module refuses the file). */
long sys_pidfd_getfd(struct sys_call *c)
{
	int target = (int)c->a[1];
	long pid = pidtab_fd_target((int)c->a[0]);
	struct pidtab_view v;

	if (pid < 0)
		return pid; /* not a process of ours, or no pidfd at all */
	if (pid == current()->proc->pid) {
		/* only what the application holds, and only as it holds it: the
		 * host fd behind a trusted or tmpfs file is the runtime's */
		if (!fd_owned(target, false))
			return -EBADF;
		return fd_owned(target, true) ? fd_install_host(sys_forward(c), NULL, 0) : -EPERM;
	}
	for (;;) {
		long r = pidtab_view((int)pid, &v);
		if (r < 0)
			return r;
		for (unsigned i = 0; r == 0 && i < v.nfds; i++)
			if (v.fds[i] == target)
				return -EBADF;
		long fd = sys_forward(c);
		if (fd >= 0 && served_by_runtime(fd)) {
			plat_host_close((int)fd);
			return -EPERM;
		}
		if (fd < 0 || r == 1 || pidtab_view_same((int)pid, &v))
			return fd_install_host(fd, NULL, 0);
		plat_host_close((int)fd); /* it changed meanwhile: again */
	}
}

/* ---- another process's memory ---------------------------------------------- */

/* Copy an iovec array into runtime memory (the kernel must see what was
 * checked) and check that each range avoids the runtime memory of the
 * process it is in: ours (v NULL) or the one v describes. */
static long copy_iov(uintptr_t uiov, long cnt, const struct pidtab_view *v, struct kiovec **out)
{
	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	struct kiovec *iov = rt_alloc(cnt ? (size_t)cnt * sizeof *iov : 1);
	if (!iov)
		return -ENOMEM;
	if (uaccess_copy_from(iov, uiov, (size_t)cnt * sizeof *iov)) {
		rt_free(iov);
		return -EFAULT;
	}
	for (long i = 0; i < cnt; i++) {
		bool ok = v ? pidtab_range_ok(v, iov[i].base, iov[i].len) : mm_user_ok(iov[i].base, iov[i].len);
		if (iov[i].len && !ok) {
			rt_free(iov);
			return -EFAULT;
		}
	}
	*out = iov;
	return 0;
}

static long process_vm(struct sys_call *c)
{
	int pid = (int)c->a[0];
	struct pidtab_view v, *pv = NULL;
	struct kiovec *liov = NULL, *riov = NULL;
	long r, tgid = pid;

	if (pid <= 0)
		return sys_forward(c);
	if (pid != current()->tid && pid != current()->proc->pid) {
		if ((tgid = pidtab_tid_owner(pid)) < 0)
			return -ESRCH;
		if (tgid != current()->proc->pid) {
			if ((r = pidtab_view((int)tgid, &v)) < 0)
				return r;
			if (r == 0)
				pv = &v;
		}
	}
	if ((r = copy_iov((uintptr_t)c->a[1], c->a[2], NULL, &liov)))
		return r;
	if ((r = copy_iov((uintptr_t)c->a[3], c->a[4], pv, &riov)))
		goto out;
	r = sys_host(c, pid, (long)liov, c->a[2], (long)riov, c->a[4], c->a[5]);
	/* a change of the other's runtime memory during the call, or a reader
	 * that outlived it: say so rather than hand back what may be another's */
	if (r >= 0 && c->nr == __NR_process_vm_readv && pv && !pidtab_view_same((int)tgid, pv))
		r = -ESRCH;
out:
	rt_free(liov);
	rt_free(riov);
	return r;
}

long sys_process_vm_readv(struct sys_call *c) { return process_vm(c); }
long sys_process_vm_writev(struct sys_call *c) { return process_vm(c); }

/* process_madvise(pidfd, iov, n, advice, flags): ranges in that process. */
long sys_process_madvise(struct sys_call *c)
{
	long pid = pidtab_fd_target((int)c->a[0]);
	struct pidtab_view v, *pv = NULL;
	struct kiovec *iov;
	long r;

	if (pid < 0)
		return pid;
	if (pid != current()->proc->pid) {
		if ((r = pidtab_view((int)pid, &v)) < 0)
			return r;
		if (r == 0)
			pv = &v;
	}
	if ((r = copy_iov((uintptr_t)c->a[1], c->a[2], pv, &iov)))
		return r;
	r = sys_host(c, c->a[0], (long)iov, c->a[2], c->a[3], c->a[4], 0);
	rt_free(iov);
	return r;
}

long sys_process_mrelease(struct sys_call *c)
{
	long pid = pidtab_fd_target((int)c->a[0]);
	return pid < 0 ? pid : sys_forward(c);
}

/* ---- the host's clock ----------------------------------------------------------- *
 * Setting the system clock changes it for every process of the host: in a
 * signed bundle the application may read it only (EPERM, as for a process
 * without CAP_SYS_TIME). A development run is the host's to run. */

static long clock_setting(struct sys_call *c)
{
	return rt_signed() ? -EPERM : sys_forward(c);
}

long sys_settimeofday(struct sys_call *c) { return clock_setting(c); }
long sys_clock_settime(struct sys_call *c) { return clock_setting(c); }

/* adjtimex and clock_adjtime set what struct timex's `modes` (its first
 * field) asks for; 0 only reads. */
static long clock_adjust(struct sys_call *c, uintptr_t utx)
{
	uint32_t modes;
	if (uaccess_copy_from(&modes, utx, sizeof modes))
		return -EFAULT;
	if (modes && modes != ADJ_OFFSET_SS_READ)
		return clock_setting(c);
	return sys_forward(c);
}

long sys_adjtimex(struct sys_call *c) { return clock_adjust(c, (uintptr_t)c->a[0]); }
long sys_clock_adjtime(struct sys_call *c) { return clock_adjust(c, (uintptr_t)c->a[1]); }
