/*
 * hostcalls.c - the direct platform's side of the runtime's own host calls
 * (platform.h, "the runtime's own host calls"): each is one Linux system
 * call made with the platform's private primitive (direct_syscall6), with
 * no copy: on direct the runtime's buffers are the host's. On sgx the same
 * functions become OCALLs that copy their buffers across; the runtime checks
 * every result either way (runtime/lib/host.h), so nothing here checks.
 */
#include <linux/fcntl.h>
#include <linux/futex.h>

#include "../../runtime/lib/rt.h"
#include "direct.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef TIOCGPTN
#define TIOCGPTN 0x80045430
#endif
#define IPC_RMID 0
#define IPC_STAT 2
#define MEMBARRIER_CMD_QUERY 0
#define RLIMIT_QUERY_SELF 0

/* ---- files and streams ------------------------------------------------------ */

long plat_host_openat(int dirfd, const char *path, int flags, unsigned mode)
{
	return sys4(__NR_openat, dirfd, path, flags, mode);
}

long plat_host_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct { uint64_t flags, mode, resolve; } how = { flags, mode, resolve };
	return sys4(__NR_openat2, dirfd, path, &how, sizeof how);
}

long plat_host_close(int fd)
{
	return sys1(__NR_close, fd);
}

long plat_host_close_range(unsigned lo, unsigned hi, unsigned flags)
{
	return sys3(__NR_close_range, lo, hi, flags);
}

long plat_host_read(int fd, void *buf, size_t len)
{
	return sys3(__NR_read, fd, buf, len);
}

long plat_host_write(int fd, const void *buf, size_t len)
{
	return sys3(__NR_write, fd, buf, len);
}

long plat_host_pread(int fd, void *buf, size_t len, long off)
{
	return sys4(__NR_pread64, fd, buf, len, off);
}

long plat_host_lseek(int fd, long off, int whence)
{
	return sys3(__NR_lseek, fd, off, whence);
}

long plat_host_fstat(int fd, struct kstat *out)
{
	return sys2(__NR_fstat, fd, out);
}

long plat_host_fstatat(int dirfd, const char *path, struct kstat *out, int flags)
{
	return sys4(__NR_newfstatat, dirfd, path, out, flags);
}

long plat_host_statx(int dirfd, const char *path, int flags, unsigned mask, struct kstatx *out)
{
	return sys5(__NR_statx, dirfd, path, flags, mask, out);
}

long plat_host_fstatfs(int fd, struct kstatfs *out)
{
	return sys2(__NR_fstatfs, fd, out);
}

long plat_host_statfs(const char *path, struct kstatfs *out)
{
	return sys2(__NR_statfs, path, out);
}

long plat_host_ftruncate(int fd, long len)
{
	return sys2(__NR_ftruncate, fd, len);
}

long plat_host_truncate(const char *path, long len)
{
	return sys2(__NR_truncate, path, len);
}

long plat_host_fcntl(int fd, int cmd, long arg)
{
	return sys3(__NR_fcntl, fd, cmd, arg);
}

long plat_host_dup(int fd)
{
	return sys1(__NR_dup, fd);
}

long plat_host_dup2(int oldfd, int newfd)
{
	return sys2(__NR_dup2, oldfd, newfd);
}

long plat_host_dup3(int oldfd, int newfd, int flags)
{
	return sys3(__NR_dup3, oldfd, newfd, flags);
}

long plat_host_pipe2(int fds[2], int flags)
{
	return sys2(__NR_pipe2, fds, flags);
}

long plat_host_socketpair(int domain, int type, int protocol, int fds[2])
{
	return sys4(__NR_socketpair, domain, type, protocol, fds);
}

long plat_host_memfd_create(const char *name, unsigned flags)
{
	return sys2(__NR_memfd_create, name, flags);
}

long plat_host_signalfd(int fd, uint64_t mask, int flags)
{
	return sys4(__NR_signalfd4, fd, &mask, sizeof mask, flags);
}

long plat_host_inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	return sys3(__NR_inotify_add_watch, fd, path, mask);
}

long plat_host_pty_number(int fd, unsigned *out)
{
	return sys3(__NR_ioctl, fd, TIOCGPTN, out);
}

long plat_host_getsockopt(int fd, int level, int opt, void *val, unsigned *len)
{
	return sys5(__NR_getsockopt, fd, level, opt, val, len);
}

long plat_host_getpeername(int fd, void *addr, unsigned *len)
{
	return sys3(__NR_getpeername, fd, addr, len);
}

long plat_host_xattr(enum plat_xattr_op op, bool nofollow, const char *path, const char *name, void *value,
		     size_t size, int flags)
{
	static const long nr[4][2] = {
		[PLAT_XATTR_GET] = { __NR_getxattr, __NR_lgetxattr },
		[PLAT_XATTR_SET] = { __NR_setxattr, __NR_lsetxattr },
		[PLAT_XATTR_LIST] = { __NR_listxattr, __NR_llistxattr },
		[PLAT_XATTR_REMOVE] = { __NR_removexattr, __NR_lremovexattr },
	};
	if ((unsigned)op > PLAT_XATTR_REMOVE)
		return -EINVAL;
	long n = nr[op][nofollow];
	if (op == PLAT_XATTR_LIST) /* listxattr(path, list, size) */
		return sys3(n, path, value, size);
	if (op == PLAT_XATTR_REMOVE)
		return sys2(n, path, name);
	return sys5(n, path, name, value, size, flags);
}

/* ---- directories and names -------------------------------------------------- */

long plat_host_getdents(int fd, void *buf, size_t len)
{
	return sys3(__NR_getdents64, fd, buf, len);
}

long plat_host_readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	return sys4(__NR_readlinkat, dirfd, path, buf, len);
}

long plat_host_mkdirat(int dirfd, const char *path, unsigned mode)
{
	return sys3(__NR_mkdirat, dirfd, path, mode);
}

long plat_host_mknodat(int dirfd, const char *path, unsigned mode, unsigned dev)
{
	return sys4(__NR_mknodat, dirfd, path, mode, dev);
}

long plat_host_unlinkat(int dirfd, const char *path, int flags)
{
	return sys3(__NR_unlinkat, dirfd, path, flags);
}

long plat_host_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags)
{
	return sys5(__NR_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

long plat_host_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	return sys5(__NR_linkat, olddirfd, oldpath, newdirfd, newpath, flags);
}

long plat_host_symlinkat(const char *target, int dirfd, const char *path)
{
	return sys3(__NR_symlinkat, target, dirfd, path);
}

long plat_host_fchmodat(int dirfd, const char *path, unsigned mode, int flags)
{
	/* fchmodat2 (Linux 6.6) only when flags need it, as before */
	if (flags)
		return sys4(452 /* fchmodat2 */, dirfd, path, mode, flags);
	return sys3(__NR_fchmodat, dirfd, path, mode);
}

long plat_host_fchownat(int dirfd, const char *path, unsigned uid, unsigned gid, int flags)
{
	return sys5(__NR_fchownat, dirfd, path, (int)uid, (int)gid, flags);
}

long plat_host_utimensat(int dirfd, const char *path, const struct ktimespec *times, int flags)
{
	return sys4(__NR_utimensat, dirfd, path, times, flags);
}

long plat_host_faccessat(int dirfd, const char *path, int mode, int flags)
{
	return sys4(__NR_faccessat2, dirfd, path, mode, flags);
}

long plat_host_getcwd(char *buf, size_t len)
{
	return sys2(__NR_getcwd, buf, len);
}

long plat_host_chdir(const char *path)
{
	return sys1(__NR_chdir, path);
}

long plat_host_fchdir(int fd)
{
	return sys1(__NR_fchdir, fd);
}

long plat_host_umask(unsigned mask)
{
	return sys1(__NR_umask, mask);
}

/* ---- processes and identity ------------------------------------------------- */

long plat_host_getpid(void)
{
	return sys0(__NR_getpid);
}

long plat_host_gettid(void)
{
	return sys0(__NR_gettid);
}

long plat_host_getppid(void)
{
	return sys0(__NR_getppid);
}

long plat_host_getpgrp(void)
{
	return sys1(__NR_getpgid, 0);
}

long plat_host_getuid(void)
{
	return sys0(__NR_getuid);
}

long plat_host_geteuid(void)
{
	return sys0(__NR_geteuid);
}

long plat_host_getegid(void)
{
	return sys0(__NR_getegid);
}

long plat_host_getrlimit(int resource, struct krlimit *out)
{
	return sys4(__NR_prlimit64, RLIMIT_QUERY_SELF, resource, NULL, out);
}

long plat_host_getpriority(int pid)
{
	return sys2(__NR_getpriority, 0 /* PRIO_PROCESS */, pid);
}

long plat_host_setpriority(int pid, int prio)
{
	return sys3(__NR_setpriority, 0 /* PRIO_PROCESS */, pid, prio);
}

long plat_host_ioprio_get(int pid)
{
	return sys2(__NR_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, pid);
}

long plat_host_ioprio_set(int pid, int prio)
{
	return sys3(__NR_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, pid, prio);
}

long plat_host_unshare(unsigned long flags)
{
	return sys1(__NR_unshare, flags);
}

long plat_host_uname(struct kutsname *out)
{
	return sys1(__NR_uname, out);
}

long plat_host_pidfd_open(int pid, unsigned flags)
{
	return sys2(__NR_pidfd_open, pid, flags);
}

long plat_host_ipc_rmid(int kind, int id)
{
	switch (kind) {
	case 0:
		return sys3(__NR_shmctl, id, IPC_RMID, 0);
	case 1:
		return sys3(__NR_semctl, id, 0, IPC_RMID);
	case 2:
		return sys3(__NR_msgctl, id, IPC_RMID, 0);
	default:
		return -EINVAL;
	}
}

long plat_host_shm_exists(int id)
{
	struct { char b[128]; } ds; /* struct shmid64_ds; only the answer counts */
	long r = sys3(__NR_shmctl, id, IPC_STAT, &ds);
	return r < 0 ? r : 0;
}

long plat_host_membarrier_query(void)
{
	return sys3(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
}

void plat_yield(void)
{
	sys0(__NR_sched_yield);
}

/* ---- time, futexes, signals ------------------------------------------------- */

long plat_clock_gettime(int clock, struct ktimespec *out)
{
	return sys2(__NR_clock_gettime, clock, out);
}

long plat_futex_wake(uint32_t *word, int n)
{
	return sys3(__NR_futex, word, FUTEX_WAKE, n);
}

long plat_signal_thread(int tgid, int tid, int sig, const struct ksiginfo *info)
{
	if (info)
		return sys4(__NR_rt_tgsigqueueinfo, tgid, tid, sig, info);
	return sys3(__NR_tgkill, tgid, tid, sig);
}

long plat_signal_process(int pid, int sig, const struct ksiginfo *info)
{
	return sys3(__NR_rt_sigqueueinfo, pid, sig, info);
}

long plat_signal_pidfd(int pidfd, int sig, const struct ksiginfo *info)
{
	return sys4(__NR_pidfd_send_signal, pidfd, sig, info, 0);
}

long plat_sig_pending(uint64_t *set)
{
	return sys2(__NR_rt_sigpending, set, sizeof *set);
}
