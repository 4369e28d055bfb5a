/*
 * procfs.c - /proc in a development run: the host's /proc (nothing there is
 * confidential), except where it would describe the runtime instead of the
 * application:
 *  - /proc/self/exe, /proc/thread-self/exe and /proc/<own pid>/exe name the
 *    application's program (ld.so, the JVM and Node find their files from it);
 *    opening or stat'ing them opens or stats that program;
 *  - /proc/self/mem and /proc/<pid>/mem cannot be opened for writing: that
 *    would let the application write runtime memory behind the runtime's back;
 *  - the runtime's own fds (the log, a record fd, placeholders) do not exist
 *    in the process's fd and fdinfo directories: listing one lists the
 *    application's fd table (CPython's subprocess and the JVM close fds by
 *    listing /proc/self/fd), and naming a runtime fd there is ENOENT;
 *  - with enclave memory (mm/vma.h), maps is the runtime's list, as in a
 *    bundle (the host's would show one reservation);
 *  - sys/kernel/hostname and domainname are the enclave's names (uts.c), as
 *    in a bundle: the generated files, which cannot be written (writing the
 *    host's would rename the host).
 * Everything else is the passthrough mount's behaviour. A bundle has the
 * runtime's generated /proc instead (procgen.c).
 *
 * A bundle's /dev is devfs.c.
 */
#include <linux/fcntl.h>

#include "../mm/vma.h"
#include "../proc/proc.h"
#include "procfs.h"

static bool first_is(const char *rel, const char *name, const char **rest)
{
	size_t n = strlen(name);
	if (strncmp(rel, name, n) || (rel[n] && rel[n] != '/'))
		return false;
	*rest = rel + n;
	return true;
}

/* If rel is inside this process's directory (self, thread-self, <own pid>,
 * or a task/<tid> below one), the part after it ("" for the directory
 * itself); else NULL. */
static const char *own_rest(const char *rel)
{
	const char *rest, *t;
	char pid[16];

	rt_snprintf(pid, sizeof pid, "%d", current()->proc->pid);
	if (!first_is(rel, "self", &rest) && !first_is(rel, "thread-self", &rest) && !first_is(rel, pid, &rest))
		return NULL;
	if (*rest == '/')
		rest++;
	if (first_is(rest, "task", &t) && *t == '/') {
		const char *d = ++t;
		while (*t >= '0' && *t <= '9')
			t++;
		if (t > d && (*t == '/' || !*t))
			rest = *t ? t + 1 : t;
	}
	return rest;
}

static bool own_entry(const char *rel, const char *entry)
{
	const char *rest = own_rest(rel);
	return rest && strcmp(rest, entry) == 0;
}

/* The fd named by an own fd/N or fdinfo/N path (or below one), else -1. */
static long own_fd(const char *rel)
{
	const char *rest = own_rest(rel), *t;
	long fd;
	char num[16];
	if (!rest || (!first_is(rest, "fd", &t) && !first_is(rest, "fdinfo", &t)) || *t != '/')
		return -1;
	size_t n = 0;
	for (t++; t[n] && t[n] != '/' && n < sizeof num - 1; n++)
		num[n] = t[n];
	num[n] = 0;
	return rt_parse_long(num, &fd) && fd >= 0 ? fd : -1;
}

/* The runtime-backed file an own fd/N link names (one reference), or NULL:
 * the host knows only its placeholder, so the runtime answers for it. */
static struct file *own_runtime_file(const char *rel, int *fd)
{
	const char *rest = own_rest(rel), *t;
	long n;
	if (!rest || !first_is(rest, "fd", &t) || *t != '/' || strchr(t + 1, '/') || !rt_parse_long(t + 1, &n) ||
	    n < 0 || n > 0x7fffffff)
		return NULL;
	struct file *f = fd_get((int)n);
	if (f && f->ops->host) {
		file_put(f);
		f = NULL;
	}
	*fd = (int)n;
	return f;
}

/* Only the application's fds exist in its fd directories. */
static bool proc_visible(const struct vfs_path *p)
{
	long fd = own_fd(p->rel);
	return fd < 0 || (fd <= 0x7fffffff && proc_fd_visible((int)fd));
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

static bool uts_entry(const char *rel)
{
	return !strcmp(rel, "sys/kernel/hostname") || !strcmp(rel, "sys/kernel/domainname");
}

static long proc_open(const struct vfs_path *p, int flags, unsigned mode, struct file **out)
{
	/* with enclave memory, the runtime's list of mappings (procinfo.c) */
	if (uts_entry(p->rel) || (vma_on() && own_entry(p->rel, "maps")))
		return procfs_ops.open(p, flags, mode, out);
	if (own_entry(p->rel, "mem") && (flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	if (own_entry(p->rel, "fd") || own_entry(p->rel, "fdinfo"))
		return proc_open_fd_dir(p, own_entry(p->rel, "fdinfo"), flags, out);
	int fd;
	struct file *f = own_runtime_file(p->rel, &fd);
	if (f) {
		file_put(f);
		return proc_fd_reopen(fd, flags, mode, out);
	}
	REDIRECT_EXE(p, q);
	if (redirect)
		return q.mnt->ops->open(&q, flags, mode, out);
	return passthrough_ops.open(p, flags, mode, out);
}

static long proc_stat(const struct vfs_path *p, int at_flags, struct kstat_buf *st)
{
	int fd;
	struct file *f = (at_flags & AT_SYMLINK_NOFOLLOW) ? NULL : own_runtime_file(p->rel, &fd);
	if (f) {
		long r = file_stat(f, st);
		file_put(f);
		return r;
	}
	REDIRECT_EXE(p, q);
	if (redirect && !(at_flags & AT_SYMLINK_NOFOLLOW))
		return q.mnt->ops->stat(&q, at_flags, st);
	return passthrough_ops.stat(p, at_flags, st);
}

static long proc_statx(const struct vfs_path *p, int at_flags, unsigned mask, void *buf)
{
	int fd;
	struct file *f = (at_flags & AT_SYMLINK_NOFOLLOW) ? NULL : own_runtime_file(p->rel, &fd);
	if (f) {
		struct kstat_buf st;
		long r = file_stat(f, &st);
		file_put(f);
		if (!r)
			vfs_stat_to_statx(&st, buf);
		return r;
	}
	REDIRECT_EXE(p, q);
	if (redirect && !(at_flags & AT_SYMLINK_NOFOLLOW))
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
	int fd;
	struct file *f = own_runtime_file(p->rel, &fd);
	if (f) {
		long r = proc_fd_target(f, fd, buf, n);
		file_put(f);
		return r;
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
	.visible = proc_visible,
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
