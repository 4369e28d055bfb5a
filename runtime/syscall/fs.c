/*
 * fs.c - file system calls: everything that takes a path (resolved by the VFS,
 * then served by the mount's ops), the fd table calls (close, dup, fcntl,
 * close_range), the calls that create fds (pipe, eventfd, epoll, ...), the
 * working directory and umask, and poll/select/epoll waits.
 *
 * Path-taking calls go through one helper per shape; their flags are the
 * application's (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, AT_REMOVEDIR) and are
 * passed to the mount. A path with AT_EMPTY_PATH and "" means the fd itself:
 * for host-backed files that call is forwarded as it is.
 */
#include <asm/stat.h>
#include <linux/close_range.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "../boot/boot.h"
#include "../fs/procfs.h"
#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../proc/pidtab.h"
#include "../proc/proc.h"
#include "sys.h"
#include "../lib/host.h"


/* ---- helpers ---------------------------------------------------------------- */

struct upath {
	char path[RT_PATH_MAX];
	char abs[RT_PATH_MAX];
	struct vfs_path p;
};

/* Copy and resolve, in Linux's order: the path is read first (EFAULT,
 * ENAMETOOLONG), an empty one is ENOENT unless the caller allows it, and the
 * directory fd matters (EBADF, ENOTDIR) only for a relative path; an
 * absolute one ignores it. With empty non-NULL an empty path is allowed
 * (AT_EMPTY_PATH): *empty is set and dirfd, if not AT_FDCWD, must be the
 * application's. rflags: VFS_NOFOLLOW for calls that act on a final
 * symlink itself. */
static long resolve_f(int dirfd, uintptr_t upath, struct upath *u, bool *empty, int rflags)
{
	long r = uaccess_strncpy(u->path, upath, sizeof u->path);
	if (r < 0)
		return r;
	if (empty) {
		*empty = r == 0;
		if (*empty)
			return dirfd == VFS_AT_FDCWD || fd_owned(dirfd, false) ? 0 : -EBADF;
	}
	return vfs_resolve_at(dirfd, u->path, rflags, u->abs, &u->p);
}

/* empty for resolve_f when the call's flags allow an empty path */
#define EMPTY_IF(flags, e) (((flags) & AT_EMPTY_PATH) ? (e) : NULL)

static long resolve(int dirfd, uintptr_t upath, struct upath *u, bool *empty)
{
	return resolve_f(dirfd, upath, u, empty, 0);
}

static int nofollow_if(int at_flags)
{
	return (at_flags & AT_SYMLINK_NOFOLLOW) ? VFS_NOFOLLOW : 0;
}

/* stat and statx of a magic link (/proc/self/fd/N) describe the open file. */
static int stat_flags(int at_flags)
{
	return (at_flags & AT_SYMLINK_NOFOLLOW) ? VFS_NOFOLLOW : VFS_REOPEN;
}

/* fstat of fd, host-backed or not (AT_EMPTY_PATH calls). */
static long fd_stat(int fd, struct kstat_buf *st)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r = f->ops->host ? sys_host_nr(__NR_fstat, fd, (long)st, 0, 0, 0, 0) : file_stat(f, st);
	file_put(f);
	return r;
}

#define OP(u, op) ((u)->p.mnt->ops->op)
#define NEED_OP(u, op)                        \
	do {                                  \
		if (!OP(u, op))               \
			return -EACCES;       \
	} while (0)

/* ---- open ---------------------------------------------------------------------- */

long vfs_open(int dirfd, uintptr_t upath, int flags, unsigned mode)
{
	struct upath u;
	struct file *f;
	bool excl = (flags & O_CREAT) && (flags & O_EXCL);
	long r = resolve_f(dirfd, upath, &u, NULL, (flags & O_NOFOLLOW) || excl ? VFS_NOFOLLOW : VFS_REOPEN);

	if (r)
		return r;
	NEED_OP(&u, open);
	long fd = OP(&u, open)(&u.p, flags, mode, &f);
	if (fd < 0)
		return fd;
	vfs_record((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) ? 'W' : 'R', u.p.abs);
	return fd_install((int)fd, f);
}

struct file *vfs_open_file(const char *abs, int flags, long *fd)
{
	struct upath u;
	struct file *f = NULL;
	long r = vfs_resolve(VFS_AT_FDCWD, abs, u.abs, &u.p);

	if (!r && !OP(&u, open))
		r = -EACCES;
	if (!r)
		r = OP(&u, open)(&u.p, flags, 0, &f);
	*fd = r;
	return r < 0 ? NULL : f;
}

void vfs_file_close(struct file *f, long fd)
{
	plat_host_close((int)fd);
	file_put(f);
}

long sys_open(struct sys_call *c)
{
	return vfs_open(VFS_AT_FDCWD, (uintptr_t)c->a[0], (int)c->a[1], (unsigned)c->a[2]);
}

long sys_openat(struct sys_call *c)
{
	return vfs_open((int)c->a[0], (uintptr_t)c->a[1], (int)c->a[2], (unsigned)c->a[3]);
}

long sys_creat(struct sys_call *c)
{
	return vfs_open(VFS_AT_FDCWD, (uintptr_t)c->a[0], O_CREAT | O_WRONLY | O_TRUNC, (unsigned)c->a[1]);
}

/* ---- stat ----------------------------------------------------------------------- */

static long do_stat(struct sys_call *c, int dirfd, uintptr_t upath, uintptr_t ubuf, int flags)
{
	struct upath u;
	struct kstat_buf st;
	bool empty = false;
	long r = resolve_f(dirfd, upath, &u, EMPTY_IF(flags, &empty), stat_flags(flags));

	if (r)
		return r;
	if (empty) {
		if (dirfd != VFS_AT_FDCWD) {
			r = fd_stat(dirfd, &st);
			return r ? r : uaccess_copy_to(ubuf, &st, sizeof st);
		}
		r = vfs_resolve(VFS_AT_FDCWD, ".", u.abs, &u.p);
		if (r)
			return r;
	}
	(void)c;
	NEED_OP(&u, stat);
	r = OP(&u, stat)(&u.p, flags & AT_SYMLINK_NOFOLLOW, &st);
	if (r)
		return r;
	vfs_record('S', u.p.abs);
	return uaccess_copy_to(ubuf, &st, sizeof st);
}

long sys_stat(struct sys_call *c)
{
	return do_stat(c, VFS_AT_FDCWD, (uintptr_t)c->a[0], (uintptr_t)c->a[1], 0);
}

long sys_lstat(struct sys_call *c)
{
	return do_stat(c, VFS_AT_FDCWD, (uintptr_t)c->a[0], (uintptr_t)c->a[1], AT_SYMLINK_NOFOLLOW);
}

/* The flags fstatat and statx take (AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT,
 * AT_EMPTY_PATH, AT_STATX_*), checked before the path, as Linux does. */
#define STAT_AT_FLAGS (0x100 | 0x800 | AT_EMPTY_PATH | 0x6000)

long sys_newfstatat(struct sys_call *c)
{
	if (c->a[3] & ~(long)STAT_AT_FLAGS)
		return -EINVAL;
	return do_stat(c, (int)c->a[0], (uintptr_t)c->a[1], (uintptr_t)c->a[2], (int)c->a[3]);
}

long sys_statx(struct sys_call *c)
{
	int dirfd = (int)c->a[0], flags = (int)c->a[2];
	struct upath u;
	uint8_t buf[256];
	bool empty = false;

	if ((flags & ~STAT_AT_FLAGS) || (flags & 0x6000) == 0x6000 || ((unsigned)c->a[3] & 0x80000000u))
		return -EINVAL; /* STATX__RESERVED in the mask */
	long r = resolve_f(dirfd, (uintptr_t)c->a[1], &u, EMPTY_IF(flags, &empty), stat_flags(flags));

	if (r)
		return r;
	if (empty) {
		if (dirfd != VFS_AT_FDCWD) {
			struct file *f = fd_get(dirfd);
			if (!f)
				return -EBADF;
			bool host = f->ops->host;
			struct kstat_buf st;
			r = host ? 0 : file_stat(f, &st);
			file_put(f);
			if (host)
				return sys_forward(c);
			if (r)
				return r;
			vfs_stat_to_statx(&st, buf);
			return uaccess_copy_to((uintptr_t)c->a[4], buf, sizeof buf);
		}
		r = vfs_resolve(VFS_AT_FDCWD, ".", u.abs, &u.p);
		if (r)
			return r;
	}
	NEED_OP(&u, statx);
	r = OP(&u, statx)(&u.p, flags & ~AT_EMPTY_PATH, (unsigned)c->a[3], buf);
	if (r)
		return r;
	vfs_record('S', u.p.abs);
	return uaccess_copy_to((uintptr_t)c->a[4], buf, sizeof buf);
}

long sys_statfs(struct sys_call *c)
{
	struct upath u;
	uint8_t buf[120];
	long r = resolve(VFS_AT_FDCWD, (uintptr_t)c->a[0], &u, NULL);

	if (r)
		return r;
	NEED_OP(&u, statfs);
	r = OP(&u, statfs)(&u.p, buf);
	return r ? r : uaccess_copy_to((uintptr_t)c->a[1], buf, sizeof buf);
}

/* ---- access, readlink ----------------------------------------------------------- */

static long do_access(int dirfd, uintptr_t upath, int mode, int flags)
{
	struct upath u;
	bool empty = false;
	long r = resolve_f(dirfd, upath, &u, EMPTY_IF(flags, &empty), nofollow_if(flags));

	if (r)
		return r;
	if (empty) {
		if (dirfd != VFS_AT_FDCWD)
			return fd_owned(dirfd, true) ? host_zero("faccessat2", plat_host_faccessat(dirfd, "", mode, flags))
						      : ((mode & 2) ? -EACCES : 0);
		r = vfs_resolve(VFS_AT_FDCWD, ".", u.abs, &u.p);
		if (r)
			return r;
	}
	if (mode & ~7)
		return -EINVAL;
	NEED_OP(&u, access);
	r = OP(&u, access)(&u.p, mode, flags & ~AT_EMPTY_PATH);
	if (r != -ENOENT)
		vfs_record('S', u.p.abs);
	return r;
}

long sys_access(struct sys_call *c)
{
	return do_access(VFS_AT_FDCWD, (uintptr_t)c->a[0], (int)c->a[1], 0);
}

long sys_faccessat(struct sys_call *c)
{
	return do_access((int)c->a[0], (uintptr_t)c->a[1], (int)c->a[2], 0);
}

long sys_faccessat2(struct sys_call *c)
{
	return do_access((int)c->a[0], (uintptr_t)c->a[1], (int)c->a[2], (int)c->a[3]);
}

static long do_readlink(int dirfd, uintptr_t upath, uintptr_t ubuf, long size)
{
	struct upath u;
	char buf[RT_PATH_MAX];
	bool empty = false;
	long r;

	if (size <= 0)
		return -EINVAL;
	if ((r = resolve_f(dirfd, upath, &u, &empty, VFS_NOFOLLOW)))
		return r;
	if (empty) {
		if (dirfd == VFS_AT_FDCWD)
			return -ENOENT;
		return host_len("readlinkat", plat_host_readlinkat(dirfd, "", (char *)ubuf, (size_t)size), (size_t)size);
	}
	NEED_OP(&u, readlink);
	r = OP(&u, readlink)(&u.p, buf, RT_MIN((size_t)size, sizeof buf));
	if (r < 0)
		return r;
	vfs_record('S', u.p.abs);
	return uaccess_copy_to(ubuf, buf, (size_t)r) ? -EFAULT : r;
}

long sys_readlink(struct sys_call *c)
{
	return do_readlink(VFS_AT_FDCWD, (uintptr_t)c->a[0], (uintptr_t)c->a[1], c->a[2]);
}

long sys_readlinkat(struct sys_call *c)
{
	return do_readlink((int)c->a[0], (uintptr_t)c->a[1], (uintptr_t)c->a[2], c->a[3]);
}

/* ---- creating and removing names ------------------------------------------------------ */

static long do_mkdir(int dirfd, uintptr_t upath, unsigned mode)
{
	struct upath u;
	long r = resolve_f(dirfd, upath, &u, NULL, VFS_NOFOLLOW);
	if (r)
		return r;
	NEED_OP(&u, mkdir);
	vfs_record('W', u.p.abs);
	return OP(&u, mkdir)(&u.p, mode);
}

long sys_mkdir(struct sys_call *c)
{
	return do_mkdir(VFS_AT_FDCWD, (uintptr_t)c->a[0], (unsigned)c->a[1]);
}

long sys_mkdirat(struct sys_call *c)
{
	return do_mkdir((int)c->a[0], (uintptr_t)c->a[1], (unsigned)c->a[2]);
}

static long do_mknod(int dirfd, uintptr_t upath, unsigned mode, unsigned dev)
{
	struct upath u;
	long r = resolve_f(dirfd, upath, &u, NULL, VFS_NOFOLLOW);
	if (r)
		return r;
	NEED_OP(&u, mknod);
	/* A device node would open a host device (a disk, a terminal, memory)
	 * past every mount: a bundle may make FIFOs and sockets only, as a
	 * process without CAP_MKNOD. */
	unsigned type = mode & S_IFMT;
	if (rt_signed() && (type == S_IFCHR || type == S_IFBLK))
		return -EPERM;
	vfs_record('W', u.p.abs);
	return OP(&u, mknod)(&u.p, mode, dev);
}

long sys_mknod(struct sys_call *c)
{
	return do_mknod(VFS_AT_FDCWD, (uintptr_t)c->a[0], (unsigned)c->a[1], (unsigned)c->a[2]);
}

long sys_mknodat(struct sys_call *c)
{
	return do_mknod((int)c->a[0], (uintptr_t)c->a[1], (unsigned)c->a[2], (unsigned)c->a[3]);
}

static long do_unlink(int dirfd, uintptr_t upath, int flags)
{
	struct upath u;
	long r = resolve_f(dirfd, upath, &u, NULL, VFS_NOFOLLOW);
	if (r)
		return r;
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	NEED_OP(&u, unlink);
	vfs_record('W', u.p.abs);
	return OP(&u, unlink)(&u.p, flags);
}

long sys_unlink(struct sys_call *c)
{
	return do_unlink(VFS_AT_FDCWD, (uintptr_t)c->a[0], 0);
}

long sys_rmdir(struct sys_call *c)
{
	return do_unlink(VFS_AT_FDCWD, (uintptr_t)c->a[0], AT_REMOVEDIR);
}

long sys_unlinkat(struct sys_call *c)
{
	return do_unlink((int)c->a[0], (uintptr_t)c->a[1], (int)c->a[2]);
}

/* The second name of a rename or link, on the first one's mount. */
static long second_name(const struct upath *u1, int dfd2, uintptr_t p2, struct upath *u2)
{
	long r = resolve_f(dfd2, p2, u2, NULL, VFS_NOFOLLOW);
	return !r && u1->p.mnt != u2->p.mnt ? -EXDEV : r;
}

static long do_two(int dfd1, uintptr_t p1, int dfd2, uintptr_t p2, struct upath *u1, struct upath *u2)
{
	long r = resolve_f(dfd1, p1, u1, NULL, VFS_NOFOLLOW);
	return r ? r : second_name(u1, dfd2, p2, u2);
}

static long do_rename(int dfd1, uintptr_t p1, int dfd2, uintptr_t p2, unsigned flags)
{
	struct upath *u = rt_alloc(2 * sizeof *u);
	if (!u)
		return -ENOMEM;
	long r = do_two(dfd1, p1, dfd2, p2, &u[0], &u[1]);
	if (!r) {
		vfs_record('W', u[0].p.abs);
		vfs_record('W', u[1].p.abs);
		r = OP(&u[0], rename) ? OP(&u[0], rename)(&u[0].p, &u[1].p, flags) : -EACCES;
	}
	rt_free(u);
	return r;
}

long sys_rename(struct sys_call *c)
{
	return do_rename(VFS_AT_FDCWD, (uintptr_t)c->a[0], VFS_AT_FDCWD, (uintptr_t)c->a[1], 0);
}

long sys_renameat(struct sys_call *c)
{
	return do_rename((int)c->a[0], (uintptr_t)c->a[1], (int)c->a[2], (uintptr_t)c->a[3], 0);
}

long sys_renameat2(struct sys_call *c)
{
	return do_rename((int)c->a[0], (uintptr_t)c->a[1], (int)c->a[2], (uintptr_t)c->a[3], (unsigned)c->a[4]);
}

/* linkat of an open file rather than of a name: how an O_TMPFILE file gets
 * one. The file must be on the mount of the new name. */
static long link_open_file(int fd, bool empty_path, int dfd2, uintptr_t p2, struct upath *u2)
{
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r = resolve_f(dfd2, p2, u2, NULL, VFS_NOFOLLOW);
	if (!r && (!f->ops->host || f->mnt != u2->p.mnt || !OP(u2, link_fd)))
		r = -EXDEV;
	if (!r)
		r = OP(u2, link_fd)(fd, empty_path, &u2->p);
	file_put(f);
	return r;
}

static long do_link(int dfd1, uintptr_t p1, int dfd2, uintptr_t p2, int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct upath *u = rt_alloc(2 * sizeof *u);
	if (!u)
		return -ENOMEM;
	/* the source names an open file when it is empty (AT_EMPTY_PATH) or
	 * /proc/self/fd/N followed (AT_SYMLINK_FOLLOW) */
	bool empty = false;
	long r = resolve_f(dfd1, p1, &u[0], EMPTY_IF(flags, &empty),
			   (flags & AT_SYMLINK_FOLLOW) ? VFS_REOPEN : VFS_NOFOLLOW);
	int fd = r ? -1 : empty ? dfd1 : proc_path_fd(&u[0].p);
	if (!r && empty && dfd1 == VFS_AT_FDCWD)
		r = -EPERM; /* the working directory: a directory */
	else if (!r && fd >= 0)
		r = link_open_file(fd, empty, dfd2, p2, &u[1]);
	else if (!r && !(r = second_name(&u[0], dfd2, p2, &u[1])))
		r = OP(&u[0], link) ? OP(&u[0], link)(&u[0].p, &u[1].p, flags) : -EACCES;
	rt_free(u);
	return r;
}

long sys_link(struct sys_call *c)
{
	return do_link(VFS_AT_FDCWD, (uintptr_t)c->a[0], VFS_AT_FDCWD, (uintptr_t)c->a[1], 0);
}

long sys_linkat(struct sys_call *c)
{
	return do_link((int)c->a[0], (uintptr_t)c->a[1], (int)c->a[2], (uintptr_t)c->a[3], (int)c->a[4]);
}

static long do_symlink(uintptr_t utarget, int dirfd, uintptr_t upath)
{
	char target[RT_PATH_MAX];
	struct upath u;
	long r = uaccess_strncpy(target, utarget, sizeof target);

	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	if ((r = resolve_f(dirfd, upath, &u, NULL, VFS_NOFOLLOW)))
		return r;
	NEED_OP(&u, symlink);
	vfs_record('W', u.p.abs);
	return OP(&u, symlink)(target, &u.p);
}

long sys_symlink(struct sys_call *c)
{
	return do_symlink((uintptr_t)c->a[0], VFS_AT_FDCWD, (uintptr_t)c->a[1]);
}

long sys_symlinkat(struct sys_call *c)
{
	return do_symlink((uintptr_t)c->a[0], (int)c->a[1], (uintptr_t)c->a[2]);
}

/* ---- attributes ------------------------------------------------------------------ */

static long do_chmod(int dirfd, uintptr_t upath, unsigned mode, int flags)
{
	struct upath u;
	long r = resolve_f(dirfd, upath, &u, NULL, nofollow_if(flags));
	if (r)
		return r;
	NEED_OP(&u, chmod);
	return OP(&u, chmod)(&u.p, mode, flags);
}

long sys_chmod(struct sys_call *c)
{
	return do_chmod(VFS_AT_FDCWD, (uintptr_t)c->a[0], (unsigned)c->a[1], 0);
}

long sys_fchmodat(struct sys_call *c)
{
	return do_chmod((int)c->a[0], (uintptr_t)c->a[1], (unsigned)c->a[2], 0);
}

long sys_fchmodat2(struct sys_call *c)
{
	return do_chmod((int)c->a[0], (uintptr_t)c->a[1], (unsigned)c->a[2], (int)c->a[3]);
}

static long do_chown(struct sys_call *c, int dirfd, uintptr_t upath, unsigned uid, unsigned gid, int flags)
{
	struct upath u;
	bool empty = false;
	long r = resolve_f(dirfd, upath, &u, EMPTY_IF(flags, &empty), nofollow_if(flags));
	if (r)
		return r;
	if (empty) {
		if (dirfd == VFS_AT_FDCWD)
			return -ENOENT;
		if (fd_on_readonly_mount(dirfd))
			return -EROFS;
		return fd_owned(dirfd, true) ? sys_forward(c) : -EPERM;
	}
	NEED_OP(&u, chown);
	return OP(&u, chown)(&u.p, uid, gid, flags & ~AT_EMPTY_PATH);
}

long sys_chown(struct sys_call *c)
{
	return do_chown(c, VFS_AT_FDCWD, (uintptr_t)c->a[0], (unsigned)c->a[1], (unsigned)c->a[2], 0);
}

long sys_lchown(struct sys_call *c)
{
	return do_chown(c, VFS_AT_FDCWD, (uintptr_t)c->a[0], (unsigned)c->a[1], (unsigned)c->a[2],
			AT_SYMLINK_NOFOLLOW);
}

long sys_fchownat(struct sys_call *c)
{
	return do_chown(c, (int)c->a[0], (uintptr_t)c->a[1], (unsigned)c->a[2], (unsigned)c->a[3], (int)c->a[4]);
}

long sys_truncate(struct sys_call *c)
{
	struct upath u;
	long r = resolve(VFS_AT_FDCWD, (uintptr_t)c->a[0], &u, NULL);
	if (r)
		return r;
	NEED_OP(&u, truncate);
	return OP(&u, truncate)(&u.p, c->a[1]);
}

struct kts {
	long sec, nsec;
};

static long do_utimens(int dirfd, uintptr_t upath, const struct kts *times, int flags)
{
	struct upath u;
	long r;

	if (!upath) {
		/* utimensat(fd, NULL, ...): the fd itself */
		if (dirfd == VFS_AT_FDCWD)
			return -EFAULT;
		if (!fd_owned(dirfd, false))
			return -EBADF;
		if (!fd_owned(dirfd, true))
			return 0; /* runtime-backed: times are not kept */
		if (fd_on_readonly_mount(dirfd))
			return -EROFS;
		return host_zero("utimensat", plat_host_utimensat(dirfd, NULL, (const struct ktimespec *)times, flags));
	}
	if ((r = resolve_f(dirfd, upath, &u, NULL, nofollow_if(flags))))
		return r;
	NEED_OP(&u, utimens);
	return OP(&u, utimens)(&u.p, times, flags);
}

long sys_utimensat(struct sys_call *c)
{
	struct kts t[2];
	const struct kts *tp = NULL;

	if (c->a[2]) {
		if (uaccess_copy_from(t, (uintptr_t)c->a[2], sizeof t))
			return -EFAULT;
		tp = t;
	}
	return do_utimens((int)c->a[0], (uintptr_t)c->a[1], tp, (int)c->a[3]);
}

/* utimes and futimesat take struct timeval[2]. */
static long do_utimes(int dirfd, uintptr_t upath, uintptr_t utv)
{
	struct kts t[2];
	const struct kts *tp = NULL;

	if (utv) {
		long tv[4];
		if (uaccess_copy_from(tv, utv, sizeof tv))
			return -EFAULT;
		for (int i = 0; i < 2; i++) {
			if (tv[2 * i + 1] < 0 || tv[2 * i + 1] >= 1000000)
				return -EINVAL;
			t[i].sec = tv[2 * i];
			t[i].nsec = tv[2 * i + 1] * 1000;
		}
		tp = t;
	}
	if (!upath)
		return -EFAULT;
	return do_utimens(dirfd, upath, tp, 0);
}

long sys_utimes(struct sys_call *c)
{
	return do_utimes(VFS_AT_FDCWD, (uintptr_t)c->a[0], (uintptr_t)c->a[1]);
}

long sys_futimesat(struct sys_call *c)
{
	return do_utimes((int)c->a[0], (uintptr_t)c->a[1], (uintptr_t)c->a[2]);
}

long sys_utime(struct sys_call *c)
{
	struct kts t[2];
	const struct kts *tp = NULL;

	if (c->a[1]) {
		long ub[2]; /* struct utimbuf */
		if (uaccess_copy_from(ub, (uintptr_t)c->a[1], sizeof ub))
			return -EFAULT;
		t[0] = (struct kts){ ub[0], 0 };
		t[1] = (struct kts){ ub[1], 0 };
		tp = t;
	}
	return do_utimens(VFS_AT_FDCWD, (uintptr_t)c->a[0], tp, 0);
}

/* ---- extended attributes ----------------------------------------------------------- */

static bool l_variant(long nr)
{
	return nr == __NR_lsetxattr || nr == __NR_lgetxattr || nr == __NR_llistxattr || nr == __NR_lremovexattr;
}

static long do_xattr(struct sys_call *c, long nr, int size_arg, int flags_arg)
{
	struct upath u;
	long r = resolve_f(VFS_AT_FDCWD, (uintptr_t)c->a[0], &u, NULL, l_variant(nr) ? VFS_NOFOLLOW : 0);
	if (r)
		return r;
	NEED_OP(&u, xattr);
	return OP(&u, xattr)(&u.p, nr, (uintptr_t)c->a[1], size_arg ? (uintptr_t)c->a[size_arg - 1] : 0,
			     size_arg ? (size_t)c->a[size_arg] : 0, flags_arg ? (int)c->a[flags_arg] : 0);
}

/* fsetxattr and friends: a host-backed file's attributes are the host's; a
 * runtime-backed one (trusted, tmpfs) answers through its mount as the path
 * calls do, never through the host fd that holds its number (the trusted
 * file itself, or a placeholder memfd). */
static long do_fxattr(struct sys_call *c, long path_nr, int size_arg, int flags_arg)
{
	struct file *f = fd_get((int)c->a[0]);
	struct upath u;
	long r;

	if (!f)
		return -EBADF;
	if (f->ops->host) {
		bool ro = f->mnt && f->mnt->read_only && path_nr != __NR_getxattr;
		file_put(f);
		return ro ? -EROFS : sys_forward(c);
	}
	r = f->path ? vfs_resolve(VFS_AT_FDCWD, f->path, u.abs, &u.p) : -EOPNOTSUPP;
	file_put(f);
	if (r)
		return r;
	NEED_OP(&u, xattr);
	return OP(&u, xattr)(&u.p, path_nr, (uintptr_t)c->a[1], size_arg ? (uintptr_t)c->a[size_arg - 1] : 0,
			     size_arg ? (size_t)c->a[size_arg] : 0, flags_arg ? (int)c->a[flags_arg] : 0);
}

long sys_fsetxattr(struct sys_call *c) { return do_fxattr(c, __NR_setxattr, 3, 4); }
long sys_fgetxattr(struct sys_call *c) { return do_fxattr(c, __NR_getxattr, 3, 0); }
long sys_fremovexattr(struct sys_call *c) { return do_fxattr(c, __NR_removexattr, 0, 0); }

long sys_flistxattr(struct sys_call *c)
{
	/* flistxattr(fd, list, size): the list where the path call has it */
	struct file *f = fd_get((int)c->a[0]);
	struct upath u;
	long r;

	if (!f)
		return -EBADF;
	if (f->ops->host) {
		file_put(f);
		return sys_forward(c);
	}
	r = f->path ? vfs_resolve(VFS_AT_FDCWD, f->path, u.abs, &u.p) : -EOPNOTSUPP;
	file_put(f);
	if (r)
		return r;
	NEED_OP(&u, xattr);
	return OP(&u, xattr)(&u.p, __NR_listxattr, (uintptr_t)c->a[1], (uintptr_t)c->a[2], 0, 0);
}

long sys_setxattr(struct sys_call *c)
{
	return do_xattr(c, __NR_setxattr, 3, 4);
}

long sys_lsetxattr(struct sys_call *c)
{
	return do_xattr(c, __NR_lsetxattr, 3, 4);
}

long sys_getxattr(struct sys_call *c)
{
	return do_xattr(c, __NR_getxattr, 3, 0);
}

long sys_lgetxattr(struct sys_call *c)
{
	return do_xattr(c, __NR_lgetxattr, 3, 0);
}

/* listxattr(path, list, size): no name argument */
static long do_listxattr(struct sys_call *c, long nr)
{
	struct upath u;
	long r = resolve_f(VFS_AT_FDCWD, (uintptr_t)c->a[0], &u, NULL, l_variant(nr) ? VFS_NOFOLLOW : 0);
	if (r)
		return r;
	NEED_OP(&u, xattr);
	return OP(&u, xattr)(&u.p, nr, (uintptr_t)c->a[1], (uintptr_t)c->a[2], 0, 0);
}

long sys_listxattr(struct sys_call *c)
{
	return do_listxattr(c, __NR_listxattr);
}

long sys_llistxattr(struct sys_call *c)
{
	return do_listxattr(c, __NR_llistxattr);
}

long sys_removexattr(struct sys_call *c)
{
	return do_xattr(c, __NR_removexattr, 0, 0);
}

long sys_lremovexattr(struct sys_call *c)
{
	return do_xattr(c, __NR_lremovexattr, 0, 0);
}

long sys_inotify_add_watch(struct sys_call *c)
{
	struct upath u;
	char hp[RT_PATH_MAX];
	long r = resolve(VFS_AT_FDCWD, (uintptr_t)c->a[1], &u, NULL);
	if (r)
		return r;
	if (!OP(&u, host_path) || (r = OP(&u, host_path)(&u.p, hp, sizeof hp)))
		return r ? r : -EACCES;
	return host_ret("inotify_add_watch", plat_host_inotify_add_watch((int)c->a[0], hp, (uint32_t)c->a[2]));
}

/* ---- working directory, umask -------------------------------------------------------- */

long sys_getcwd(struct sys_call *c)
{
	char cwd[RT_PATH_MAX];

	vfs_cwd(cwd);
	size_t n = strlen(cwd) + 1;
	if ((size_t)c->a[1] < n)
		return -ERANGE;
	return uaccess_copy_to((uintptr_t)c->a[0], cwd, n) ? -EFAULT : (long)n;
}

static long set_cwd(struct upath *u)
{
	struct kstat_buf st;
	long r;

	NEED_OP(u, stat);
	if ((r = OP(u, stat)(&u->p, 0, &st)))
		return r;
	vfs_record('S', u->p.abs);
	if ((((struct stat *)st.raw)->st_mode & S_IFMT) != S_IFDIR)
		return -ENOTDIR;
	if (OP(u, access) && (r = OP(u, access)(&u->p, 1, 0)))
		return r;
	/* the directory's own name, as getcwd gives it: no symbolic link */
	char real[RT_PATH_MAX];
	if ((r = vfs_realpath(u->p.abs, real)))
		return r;
	char *cwd = rt_strdup(real);
	if (!cwd)
		return -ENOMEM;
	bool host = vfs_cwd_attach(real); /* the host follows a rename (path.c) */
	struct rt_proc *p = current()->proc;
	rt_lock(&p->lock);
	char *old = p->cwd;
	p->cwd = cwd;
	p->cwd_host = host;
	rt_unlock(&p->lock);
	rt_free(old);
	return 0;
}

long sys_chdir(struct sys_call *c)
{
	struct upath u;
	long r = resolve(VFS_AT_FDCWD, (uintptr_t)c->a[0], &u, NULL);
	return r ? r : set_cwd(&u);
}

long sys_fchdir(struct sys_call *c)
{
	struct upath u;
	long r = vfs_fd_path((int)c->a[0], u.path, sizeof u.path);
	if (!r)
		r = vfs_resolve(VFS_AT_FDCWD, u.path, u.abs, &u.p);
	return r ? r : set_cwd(&u);
}

long sys_umask(struct sys_call *c)
{
	struct rt_proc *p = current()->proc;

	rt_lock(&p->lock);
	unsigned old = p->umask;
	p->umask = (unsigned)c->a[0] & 0777;
	rt_unlock(&p->lock);
	plat_host_umask((unsigned)c->a[0] & 0777);
	return old;
}

/* ---- the fd table ------------------------------------------------------------------ */

long sys_close(struct sys_call *c)
{
	int fd = (int)c->a[0];
	struct file *f = fd_remove(fd);

	if (!f)
		return -EBADF;
	long r = host_zero("close", plat_host_close(fd));
	file_put(f);
	return r == -EBADF ? 0 : r;
}

/* Close (or mark close-on-exec) [lo, hi] on the host and in the table. */
static long close_span(unsigned lo, unsigned hi, unsigned flags)
{
	long r = host_zero("close_range", plat_host_close_range(lo, hi, flags));
	if (r || (flags & CLOSE_RANGE_CLOEXEC))
		return r;
	struct fd_table *t = fdt_current();
	for (unsigned fd = lo; fd <= hi && fd < t->cap; fd++)
		file_put(fd_remove((int)fd));
	return 0;
}

long sys_close_range(struct sys_call *c)
{
	unsigned first = (unsigned)c->a[0], last = (unsigned)c->a[1], flags = (unsigned)c->a[2];
	int rt[RT_PROC_RTFDS];
	int n = fd_runtime_list(rt, RT_PROC_RTFDS);
	long r;

	if (first > last || (flags & ~(unsigned)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)))
		return -EINVAL;
	/* This thread's own copy of the table first, then the closing in it
	 * alone (the host's close_range would unshare on its side only). */
	if ((flags & CLOSE_RANGE_UNSHARE) && (r = fdt_unshare()))
		return r;
	flags &= ~(unsigned)CLOSE_RANGE_UNSHARE;
	for (int i = 1; i < n; i++) /* sort the runtime's fds */
		for (int j = i; j > 0 && rt[j] < rt[j - 1]; j--) {
			int x = rt[j];
			rt[j] = rt[j - 1];
			rt[j - 1] = x;
		}
	/* The runtime's own fds are not the application's to close. */
	unsigned lo = first;
	for (int i = 0; i < n; i++) {
		unsigned fd = (unsigned)rt[i];
		if (fd < lo || fd > last)
			continue;
		if (fd > lo && (r = close_span(lo, fd - 1, flags)))
			return r;
		lo = fd + 1;
	}
	if (lo <= last && lo >= first)
		return close_span(lo, last, flags);
	return 0;
}

/*
 * dup2 and dup3 onto a number the application does not hold. While a call
 * runs, the runtime opens short-lived host fds of its own (the O_PATH fds
 * through which a confined passthrough mount resolves a path, a /proc
 * file's), and they take the lowest free numbers like any other fd. A host
 * dup2 onto one from another thread would replace it under that call with
 * whatever the application chose, say a directory outside the mounts. So a
 * number the application does not hold is taken with F_DUPFD, the lowest
 * free number at or above it, which never replaces anything: if that comes
 * back higher, the number was busy, and the answer is Linux's for a dup2
 * that races with an open, EBUSY (after a few tries, since an application
 * fd another thread is closing frees its number at once). Returns the new
 * fd, -errno, or 1 if meanwhile the number became the application's: then
 * replacing it is what dup2 means.
 */
static long dup_to_free(int oldfd, int newfd, int flags)
{
	int cmd = (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD;

	for (int tries = 0; tries < 64; tries++) {
		long r = host_fd("fcntl", plat_host_fcntl(oldfd, cmd, newfd));
		if (r == -EINVAL)
			return -EBADF; /* newfd past RLIMIT_NOFILE, as dup2 says it */
		if (r < 0 || r == newfd)
			return r;
		plat_host_close((int)r);
		if (fd_owned(newfd, false))
			return 1;
		plat_yield();
	}
	return -EBUSY;
}

static long dup_to(int oldfd, int newfd, int flags, long nr)
{
	struct file *f = fd_get(oldfd);
	long r;

	if (!f)
		return -EBADF;
	if (newfd >= 0 && fd_is_runtime(newfd) && (r = fd_runtime_evict(newfd))) {
		file_put(f);
		return r;
	}
	if (nr != __NR_dup && newfd >= 0 && newfd != oldfd && !fd_owned(newfd, false)) {
		if ((flags & ~O_CLOEXEC) || newfd >= FD_MAX)
			r = (flags & ~O_CLOEXEC) ? -EINVAL : -EBADF;
		else
			r = dup_to_free(oldfd, newfd, flags);
		if (r != 1) {
			if (r < 0) {
				file_put(f);
				return r;
			}
			return fd_install((int)r, f);
		}
	}
	if (nr == __NR_dup)
		r = host_fd("dup", plat_host_dup(oldfd));
	else if (nr == __NR_dup2)
		r = host_fd("dup2", plat_host_dup2(oldfd, newfd));
	else
		r = host_fd("dup3", plat_host_dup3(oldfd, newfd, flags));
	if (nr != __NR_dup && r >= 0 && r != newfd)
		r = host_refuse("dup2", r, "not the fd asked for");
	if (r < 0) {
		file_put(f);
		return r;
	}
	if (r == oldfd) { /* dup2(fd, fd) */
		file_put(f);
		return r;
	}
	return fd_install((int)r, f);
}

long sys_dup(struct sys_call *c)
{
	return dup_to((int)c->a[0], -1, 0, __NR_dup);
}

long sys_dup2(struct sys_call *c)
{
	return dup_to((int)c->a[0], (int)c->a[1], 0, __NR_dup2);
}

long sys_dup3(struct sys_call *c)
{
	int flags = (int)c->a[2];
	/* Linux checks the flags and the pair before either fd */
	if ((flags & ~O_CLOEXEC) || c->a[0] == c->a[1])
		return -EINVAL;
	return dup_to((int)c->a[0], (int)c->a[1], flags, __NR_dup3);
}

long sys_fcntl(struct sys_call *c)
{
	int fd = (int)c->a[0], cmd = (int)c->a[1];

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		struct file *f = fd_get(fd);
		if (!f)
			return -EBADF;
		long r = host_fd("fcntl", plat_host_fcntl(fd, cmd, c->a[2]));
		if (r < 0) {
			file_put(f);
			return r;
		}
		return fd_install((int)r, f);
	}
	case F_SETLKW:
	case F_OFD_SETLKW:
		/* waits for the lock: the interruptible path (fcntl is
		 * SYS_BLOCK | SYS_RESTART in the table) */
		if (!mm_user_ok((uintptr_t)c->a[2], 0))
			return -EFAULT;
		return sys_forward(c);
	case F_SETOWN: {
		/* who gets SIGIO and SIGURG: ours only (pidtab.h) */
		long r = pidtab_owner_ok((int)c->a[2]);
		if (r)
			return r;
		return host_zero("fcntl", plat_host_fcntl(fd, cmd, c->a[2]));
	}
	case F_SETOWN_EX: {
		struct f_owner_ex own;
		long r;
		if (uaccess_copy_from(&own, (uintptr_t)c->a[2], sizeof own))
			return -EFAULT;
		if (own.type == F_OWNER_TID)
			r = own.pid && pidtab_tid_owner(own.pid) < 0 ? -ESRCH : 0;
		else if (own.type == F_OWNER_PGRP)
			r = pidtab_owner_ok(-(long)own.pid);
		else
			r = pidtab_owner_ok(own.pid);
		if (r)
			return r;
		/* the owner checked above, from runtime memory */
		return sys_host_now(c, fd, cmd, (long)&own, 0, 0, 0);
	}
	case F_GETLK:
	case F_SETLK:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_GETOWN_EX:
		if (!mm_user_ok((uintptr_t)c->a[2], 0))
			return -EFAULT;
		/* fall through */
	default:
		/* Never waits, so never interrupted on Linux: the
		 * interruptible path would fail it with EINTR whenever a
		 * signal is already held. The marshaller copies and checks
		 * the lock or owner the host answers. */
		return sys_host_now(c, fd, cmd, c->a[2], 0, 0, 0);
	}
}

/* ---- calls that make fds ------------------------------------------------------------ */

static long install_pair(long r, int *fds, uintptr_t ufds, int flags)
{
	if (r < 0)
		return r;
	long a = fd_install_host(fds[0], NULL, flags);
	long b = fd_install_host(fds[1], NULL, flags);
	if (a < 0 || b < 0)
		return a < 0 ? a : b;
	return uaccess_copy_to(ufds, fds, 2 * sizeof(int));
}

long sys_pipe(struct sys_call *c)
{
	int fds[2];
	return install_pair(host_pair("pipe2", plat_host_pipe2(fds, 0), fds), fds, (uintptr_t)c->a[0], 0);
}

long sys_pipe2(struct sys_call *c)
{
	int fds[2];
	return install_pair(host_pair("pipe2", plat_host_pipe2(fds, (int)c->a[1]), fds), fds, (uintptr_t)c->a[0],
			    (int)c->a[1]);
}

long sys_socketpair(struct sys_call *c)
{
	int fds[2];
	return install_pair(host_pair("socketpair", plat_host_socketpair((int)c->a[0], (int)c->a[1], (int)c->a[2], fds), fds), fds,
			    (uintptr_t)c->a[3], 0);
}

/* A call that returns one new host fd. */
static long new_fd(struct sys_call *c)
{
	return fd_install_host(sys_forward(c), NULL, 0);
}

long sys_eventfd(struct sys_call *c) { return new_fd(c); }
long sys_eventfd2(struct sys_call *c) { return new_fd(c); }
long sys_timerfd_create(struct sys_call *c) { return new_fd(c); }
long sys_epoll_create(struct sys_call *c) { return new_fd(c); }
long sys_epoll_create1(struct sys_call *c) { return new_fd(c); }
long sys_inotify_init(struct sys_call *c) { return new_fd(c); }
long sys_inotify_init1(struct sys_call *c) { return new_fd(c); }

long sys_memfd_create(struct sys_call *c)
{
	char name[256], path[280];
	long r = uaccess_strncpy(name, (uintptr_t)c->a[0], 250);
	if (r < 0)
		return r == -ENAMETOOLONG ? -EINVAL : r;
	rt_snprintf(path, sizeof path, "/memfd:%s", name);
	return fd_install_host(plat_host_memfd_create(name, (unsigned)c->a[1]), path, 0);
}

static long signalfd_common(struct sys_call *c, int flags)
{
	int fd = (int)c->a[0];
	uint64_t mask;

	if (c->a[2] != 8)
		return -EINVAL;
	if (uaccess_copy_from(&mask, (uintptr_t)c->a[1], 8))
		return -EFAULT;
	mask = sig_host_mask(mask);
	long r = host_ret("signalfd4", plat_host_signalfd(fd, mask, flags));
	if (fd == -1)
		return fd_install_host(r, NULL, 0);
	return r;
}

long sys_signalfd(struct sys_call *c)
{
	return signalfd_common(c, 0);
}

long sys_signalfd4(struct sys_call *c)
{
	return signalfd_common(c, (int)c->a[3]);
}

/* ---- waiting for fds ------------------------------------------------------------------ */

long sys_poll(struct sys_call *c)
{
	if (!mm_user_ok((uintptr_t)c->a[0], (size_t)c->a[1] * 8))
		return -EFAULT;
	return sys_forward(c);
}

/* A wait with a temporary signal mask (ppoll, pselect6, epoll_pwait*): the
 * mask argument is replaced by its host version for the duration. `wait`
 * makes the host call (sys_host's arguments as an array). */
static long masked_wait(struct sys_call *c, int mask_arg, uintptr_t umask, size_t size,
			long (*wait)(struct sys_call *c, long *a))
{
	struct rt_thread *t = current();
	long a[6];
	uint64_t mask, host;

	memcpy(a, c->a, sizeof a);
	if (!umask)
		return wait(c, a);
	if (size != 8)
		return -EINVAL;
	if (uaccess_copy_from(&mask, umask, 8))
		return -EFAULT;
	sig_wait_mask_begin(t, mask);
	host = sig_host_mask(t->sigmask);
	a[mask_arg] = (long)&host;
	long r = wait(c, a);
	sig_wait_mask_end(t, r);
	return r;
}

static long host_wait(struct sys_call *c, long *a)
{
	return sys_host(c, a[0], a[1], a[2], a[3], a[4], a[5]);
}

long sys_ppoll(struct sys_call *c)
{
	if (!mm_user_ok((uintptr_t)c->a[0], (size_t)c->a[1] * 8) || !mm_user_ok((uintptr_t)c->a[2], 0))
		return -EFAULT;
	return masked_wait(c, 3, (uintptr_t)c->a[3], (size_t)c->a[4], host_wait);
}

long sys_pselect6(struct sys_call *c)
{
	/* The sixth argument points at { const sigset_t *ss; size_t ss_len; }. */
	long ss[2];
	if (!c->a[5])
		return sys_forward(c);
	if (uaccess_copy_from(ss, (uintptr_t)c->a[5], sizeof ss))
		return -EFAULT;
	if (!ss[0])
		return sys_forward(c);
	struct rt_thread *t = current();
	uint64_t mask, host;
	if (ss[1] != 8)
		return -EINVAL;
	if (uaccess_copy_from(&mask, (uintptr_t)ss[0], 8))
		return -EFAULT;
	sig_wait_mask_begin(t, mask);
	host = sig_host_mask(t->sigmask);
	long hs[2] = { (long)&host, 8 };
	long r = sys_host(c, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], (long)hs);
	sig_wait_mask_end(t, r);
	return r;
}

/* epoll_wait's checks, in Linux's order: the count (up to INT_MAX bytes of
 * events), then the buffer, then the fd (its spec is 'd' for this). */
static long events_check(const long *a)
{
	int max = (int)a[2];
	if (max <= 0 || max > 0x7fffffff / 12)
		return -EINVAL;
	if (!mm_user_ok((uintptr_t)a[1], (size_t)max * 12))
		return -EFAULT;
	return fd_owned((int)a[0], false) ? 0 : -EBADF;
}

static int64_t monotonic_ns(void)
{
	struct ktimespec ts;
	if (host_time("clock_gettime", plat_clock_gettime(1 /* CLOCK_MONOTONIC */, &ts), &ts))
		return 0;
	return ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The host's epoll_wait (and epoll_pwait, epoll_pwait2) fails with a plain
 * EINTR whenever the thread was woken for a signal, even if no handler then
 * runs on it: a signal for the whole process that the kernel aimed at this
 * thread and that another thread took first. poll, select and the sleeps
 * are restarted by the kernel in that case (ERESTARTNOHAND,
 * ERESTART_RESTARTBLOCK); epoll waits are not. Natively the race is rare;
 * under the runtime every intercepted call of every thread ends in
 * rt_sigreturn, which lets that thread take a shared signal, and it is
 * common (tests/integration/progs/stress.c found it). So when the host says
 * EINTR but no signal is held for the application on this thread (no
 * handler will run), wait again for what is left of the timeout, as the
 * kernel's restart of poll does. a[3] is the timeout: milliseconds, or for
 * epoll_pwait2 a timespec pointer (ts).
 */
static long epoll_again(struct sys_call *c, long *a, bool ts)
{
	struct rt_thread *t = current();
	long left[2]; /* a timespec */
	int64_t deadline = -1, ns = -1;

	if (ts && a[3]) {
		if (uaccess_copy_from(left, (uintptr_t)a[3], sizeof left))
			return -EFAULT;
		if (left[0] < 0 || left[1] < 0 || left[1] >= 1000000000)
			return -EINVAL;
		ns = left[0] > INT64_MAX / 1000000000 - 1 ? INT64_MAX / 2 : left[0] * 1000000000 + left[1];
		a[3] = (long)left; /* the host reads the runtime's copy from now on */
	} else if (!ts && (int)a[3] >= 0) {
		ns = (int64_t)(int)a[3] * 1000000;
	}
	if (ns > 0)
		deadline = monotonic_ns() + ns;
	for (;;) {
		long r = host_wait(c, a);
		if (r != -EINTR || t->tls.intr || !ns)
			return r;
		if (deadline < 0)
			continue;
		ns = deadline - monotonic_ns();
		if (ns <= 0)
			return 0; /* timed out with no events */
		if (ts) {
			left[0] = ns / 1000000000;
			left[1] = ns % 1000000000;
		} else {
			a[3] = (long)((ns + 999999) / 1000000);
		}
	}
}

static long epoll_ms(struct sys_call *c, long *a)
{
	return epoll_again(c, a, false);
}

static long epoll_ts(struct sys_call *c, long *a)
{
	return epoll_again(c, a, true);
}

long sys_epoll_wait(struct sys_call *c)
{
	long a[6];
	long r = events_check(c->a);
	if (r)
		return r;
	memcpy(a, c->a, sizeof a);
	return epoll_ms(c, a);
}

long sys_epoll_pwait(struct sys_call *c)
{
	long r = events_check(c->a);
	if (r)
		return r;
	return masked_wait(c, 4, (uintptr_t)c->a[4], (size_t)c->a[5], epoll_ms);
}

long sys_epoll_pwait2(struct sys_call *c)
{
	long r = events_check(c->a);
	if (r)
		return r;
	return masked_wait(c, 4, (uintptr_t)c->a[4], (size_t)c->a[5], epoll_ts);
}
