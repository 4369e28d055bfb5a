/*
 * procfs.c - the proc mount: the host's /proc, except where it would describe
 * the enclave image instead of the application.
 *
 *  - /proc/self/exe, /proc/thread-self/exe and /proc/<own pid>/exe name the
 *    application's program (ld.so, the JVM and Node find their files from it);
 *    opening or stat'ing them opens or stats that program;
 *  - /proc/self/mem and /proc/<pid>/mem cannot be opened for writing: that
 *    would let the application write runtime memory behind the runtime's back.
 * In a signed enclave the mount is restricted: the process's own entries and
 * a few system-wide ones (cpuinfo, meminfo, sys/...) exist, read-only; other
 * processes' entries do not (ENOENT). Everything else is the passthrough
 * mount's behaviour.
 *
 * dev_ops is the same idea for /dev in a signed enclave: null, zero, full,
 * random, urandom, the terminal and the std* links; nothing else.
 */
#include <linux/fcntl.h>

#include "../proc/proc.h"
#include "vfs.h"

/* If rel names this process's "exe" (or "mem") entry, return true. */
static bool own_entry(const char *rel, const char *entry)
{
	const char *rest;
	char pid[16];

	if (str_starts(rel, "self/"))
		rest = rel + 5;
	else if (str_starts(rel, "thread-self/"))
		rest = rel + 12;
	else {
		int n = rt_snprintf(pid, sizeof pid, "%d/", current()->proc->pid);
		if (strncmp(rel, pid, (size_t)n) != 0)
			return false;
		rest = rel + n;
		if (str_starts(rest, "task/")) {
			rest += 5;
			while (*rest >= '0' && *rest <= '9')
				rest++;
			if (*rest++ != '/')
				return false;
		}
	}
	return strcmp(rest, entry) == 0;
}

static bool first_is(const char *rel, const char *name, const char **rest)
{
	size_t n = strlen(name);
	if (strncmp(rel, name, n) || (rel[n] && rel[n] != '/'))
		return false;
	*rest = rel + n;
	return true;
}

/* May a signed enclave see this /proc entry? */
static bool proc_allowed(const struct vfs_path *p)
{
	static const char *const global[] = { "cpuinfo", "meminfo", "stat", "uptime", "loadavg", "version",
					      "filesystems", "mounts", "sys" };
	const char *rel = p->rel, *rest;
	char pid[16];

	if (!p->mnt->restricted || !*rel)
		return true;
	rt_snprintf(pid, sizeof pid, "%d", current()->proc->pid);
	if (first_is(rel, "self", &rest) || first_is(rel, "thread-self", &rest) || first_is(rel, pid, &rest))
		return true;
	for (unsigned i = 0; i < RT_ARRAY_LEN(global); i++)
		if (first_is(rel, global[i], &rest))
			return true;
	return false;
}

/* Resolve the program's path for /proc/self/exe redirection. */
static long exe_path(char *abs, struct vfs_path *out)
{
	char exe[RT_PATH_MAX];
	struct rt_proc *p = current()->proc;

	rt_lock(&p->lock);
	size_t n = p->exe ? str_copy(exe, p->exe, sizeof exe) : 0;
	rt_unlock(&p->lock);
	if (!n)
		return -ENOENT;
	long r = vfs_resolve(VFS_AT_FDCWD, exe, abs, out);
	if (!r && out->mnt->ops == &proc_ops)
		return -ELOOP;
	return r;
}

#define REDIRECT_EXE(p, q)                                  \
	char _abs[RT_PATH_MAX];                             \
	struct vfs_path q;                                  \
	bool redirect = own_entry((p)->rel, "exe");         \
	if (redirect) {                                     \
		long _r = exe_path(_abs, &q);               \
		if (_r)                                     \
			return _r;                          \
	}

static long proc_open(const struct vfs_path *p, int flags, unsigned mode, struct file **out)
{
	if (own_entry(p->rel, "mem") && (flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	if (p->mnt->restricted && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)))
		return -EACCES;
	REDIRECT_EXE(p, q);
	if (redirect)
		return q.mnt->ops->open(&q, flags, mode, out);
	return passthrough_ops.open(p, flags, mode, out);
}

static long proc_stat(const struct vfs_path *p, int at_flags, struct kstat_buf *st)
{
	REDIRECT_EXE(p, q);
	if (redirect && !(at_flags & 0x100 /* AT_SYMLINK_NOFOLLOW */))
		return q.mnt->ops->stat(&q, at_flags, st);
	return passthrough_ops.stat(p, at_flags, st);
}

static long proc_statx(const struct vfs_path *p, int at_flags, unsigned mask, void *buf)
{
	REDIRECT_EXE(p, q);
	if (redirect && !(at_flags & 0x100))
		return q.mnt->ops->statx(&q, at_flags, mask, buf);
	return passthrough_ops.statx(p, at_flags, mask, buf);
}

static long proc_access(const struct vfs_path *p, int mode, int at_flags)
{
	REDIRECT_EXE(p, q);
	if (redirect)
		return q.mnt->ops->access(&q, mode, at_flags);
	return passthrough_ops.access(p, mode, at_flags);
}

static long proc_readlink(const struct vfs_path *p, char *buf, size_t n)
{
	if (own_entry(p->rel, "exe")) {
		struct rt_proc *pr = current()->proc;
		rt_lock(&pr->lock);
		size_t len = pr->exe ? strlen(pr->exe) : 0;
		if (len)
			memcpy(buf, pr->exe, RT_MIN(len, n));
		rt_unlock(&pr->lock);
		return len ? (long)RT_MIN(len, n) : -ENOENT;
	}
	return passthrough_ops.readlink(p, buf, n);
}

static long proc_denied(void)
{
	return -EACCES;
}

static long proc_mkdir(const struct vfs_path *p, unsigned mode)
{
	(void)p, (void)mode;
	return proc_denied();
}

static long proc_unlink(const struct vfs_path *p, int at_flags)
{
	(void)p, (void)at_flags;
	return proc_denied();
}

static long proc_xattr(const struct vfs_path *p, long nr, uintptr_t name, uintptr_t value, size_t size,
		       int flags)
{
	return passthrough_ops.xattr(p, nr, name, value, size, flags);
}

static long proc_statfs(const struct vfs_path *p, void *buf)
{
	return passthrough_ops.statfs(p, buf);
}

static long proc_host_path(const struct vfs_path *p, char *buf, size_t n)
{
	return passthrough_ops.host_path(p, buf, n);
}

const struct mount_ops proc_ops = {
	.name = "proc",
	.visible = proc_allowed,
	.open = proc_open,
	.stat = proc_stat,
	.statx = proc_statx,
	.access = proc_access,
	.readlink = proc_readlink,
	.mkdir = proc_mkdir,
	.unlink = proc_unlink,
	.statfs = proc_statfs,
	.xattr = proc_xattr,
	.host_path = proc_host_path,
};

/* ---- /dev in a signed enclave ------------------------------------------------- */

static bool dev_allowed(const struct vfs_path *p)
{
	static const char *const ok[] = { "null", "zero", "full", "random", "urandom", "tty", "ptmx",
					  "pts", "stdin", "stdout", "stderr", "fd" };
	const char *rest;
	if (!*p->rel)
		return true;
	for (unsigned i = 0; i < RT_ARRAY_LEN(ok); i++)
		if (first_is(p->rel, ok[i], &rest))
			return true;
	return false;
}

static long dev_open(const struct vfs_path *p, int flags, unsigned mode, struct file **out)
{
	if (flags & O_CREAT)
		return -EACCES;
	return passthrough_ops.open(p, flags, mode, out);
}

static long dev_stat(const struct vfs_path *p, int at_flags, struct kstat_buf *st)
{
	return passthrough_ops.stat(p, at_flags, st);
}

static long dev_statx(const struct vfs_path *p, int at_flags, unsigned mask, void *buf)
{
	return passthrough_ops.statx(p, at_flags, mask, buf);
}

static long dev_access(const struct vfs_path *p, int mode, int at_flags)
{
	return passthrough_ops.access(p, mode, at_flags);
}

static long dev_readlink(const struct vfs_path *p, char *buf, size_t n)
{
	return passthrough_ops.readlink(p, buf, n);
}

const struct mount_ops dev_ops = {
	.name = "dev",
	.visible = dev_allowed,
	.open = dev_open,
	.stat = dev_stat,
	.statx = dev_statx,
	.access = dev_access,
	.readlink = dev_readlink,
	.mkdir = proc_mkdir,
	.unlink = proc_unlink,
};
