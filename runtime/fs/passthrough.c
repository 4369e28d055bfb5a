/*
 * passthrough.c - the passthrough mount: a host directory shown as it is.
 *
 * Nothing is protected: the host sees and may change every byte. It is what a
 * development run uses for "/" and what a manifest grants for paths the owner
 * chooses not to protect.
 *
 * Each operation maps the mount-relative path onto the host directory. For
 * the host's "/" (a development run) that is one *at() call with an absolute
 * host path. For any other host directory the mount is confined: the host
 * resolves the path with openat2(RESOLVE_IN_ROOT) against an fd of the
 * mount's root, so a symlink or ".." on the host cannot lead out of it (an
 * absolute link means the mount's root). Calls that name an existing file go
 * through an O_PATH fd of it (/proc/self/fd/N for those that take a path),
 * calls that create or remove a name go through an fd of its directory.
 */
#include <linux/fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>

#include "../proc/proc.h"
#include "vfs.h"
#include "../lib/host.h"

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452 /* Linux 6.6; older uapi headers lack it */
#endif

/* ---- confinement (mounts of a host directory other than "/") ------------- */

static bool confined(const struct vfs_mount *m)
{
	return m->priv != NULL;
}

static long root_fd(const struct vfs_mount *m)
{
	return *(const long *)m->priv;
}

/*
 * Open on the host: openat (how NULL, flags in a[2]) or openat2 (a[2] is
 * how). Opening a FIFO (or a terminal, or some devices) can wait for the
 * other side, and a signal must end that wait, so opens take the
 * interruptible path. That path also skips the call with EINTR when a signal
 * is already held, yet Linux never interrupts the open of a regular file or
 * a directory: an application whose handler lacks SA_RESTART would see an
 * EINTR it never sees natively. So after EINTR, look at what the path names
 * (an O_PATH open never waits) and for a file, a directory, or nothing yet
 * (O_CREAT makes a file), open it uninterruptibly; the held signal is
 * delivered on the way back. Should the path turn into a FIFO in between,
 * that open waits for its peer with the application's signals held.
 */
static long host_open(long nr, long a[6], struct open_how *how)
{
	long flags = how ? (long)how->flags : a[2];
	long r = (flags & O_PATH) ? -EINTR : plat_forward(nr, a);
	if (r != -EINTR)
		return r;
	if (!(flags & O_PATH)) {
		long probe[6] = { a[0], a[1], O_PATH | O_CLOEXEC | (flags & O_NOFOLLOW), 0, 0, 0 };
		struct open_how h;
		if (how) {
			h = *how;
			h.flags = (uint64_t)probe[2];
			h.mode = 0;
			probe[2] = (long)&h;
			probe[3] = sizeof h;
		}
		long fd = plat_call(nr, probe[0], probe[1], probe[2], probe[3], 0, 0);
		if (fd >= 0) {
			struct kstat_buf st;
			long e = plat_call(__NR_fstat, fd, (long)&st, 0, 0, 0, 0);
			plat_call(__NR_close, fd, 0, 0, 0, 0, 0);
			unsigned type = st.st.st_mode & S_IFMT;
			if (e || (type != S_IFREG && type != S_IFDIR))
				return r;
		} else if (fd != -ENOENT) {
			return r;
		}
	}
	return plat_call(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* Open rel inside the mount's root; the host resolves it but cannot leave. */
static long in_root(const struct vfs_path *p, int flags, unsigned mode)
{
	struct open_how how = { .flags = (uint64_t)flags, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	char path[RT_PATH_MAX];
	if (flags & (O_CREAT | __O_TMPFILE))
		how.mode = mode;
	rt_snprintf(path, sizeof path, "%s%s", *p->rel ? p->rel : ".", p->dir && *p->rel ? "/" : "");
	long a[6] = { root_fd(p->mnt), (long)path, (long)&how, sizeof how };
	return host_open(__NR_openat2, a, &how);
}

/* An O_PATH fd of the directory holding the last component, and that name. */
static long in_root_parent(const struct vfs_path *p, char *base, size_t n)
{
	const char *slash = strrchr(p->rel, '/');
	if (!*p->rel)
		return -EBUSY; /* the mount's root itself */
	str_copy(base, slash ? slash + 1 : p->rel, n);
	char dir[RT_PATH_MAX];
	size_t dlen = slash ? (size_t)(slash - p->rel) : 0;
	memcpy(dir, p->rel, dlen);
	dir[dlen] = 0;
	struct vfs_path parent = { p->mnt, p->abs, dir, true };
	return in_root(&parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
}

static void fd_path(long fd, char *buf, size_t n)
{
	rt_snprintf(buf, n, "%s/fd/%ld", fd_host_proc(), fd);
}

static void close_fd(long fd)
{
	plat_call(__NR_close, fd, 0, 0, 0, 0, 0);
}

/* A call on an existing file: follow a final symlink inside the mount, or
 * act on the link itself (nofollow). Runs nr with (dirfd, name) as its
 * first two arguments and the rest from a[2..]. */
static long on_file(const struct vfs_path *p, bool nofollow, long nr, long a2, long a3, long a4)
{
	char base[256];
	long fd, r;
	if (nofollow) {
		fd = in_root_parent(p, base, sizeof base);
		if (fd < 0)
			return fd == -EBUSY ? on_file(p, false, nr, a2, a3, a4) : fd;
		r = plat_call(nr, fd, (long)base, a2, a3, a4, 0);
	} else {
		fd = in_root(p, O_PATH | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		char path[40];
		fd_path(fd, path, sizeof path);
		r = plat_call(nr, AT_FDCWD, (long)path, a2, a3, a4, 0);
	}
	close_fd(fd);
	return r;
}

/* A call that creates or removes the last component: (dirfd, name, ...). */
static long on_name(const struct vfs_path *p, long nr, long a2, long a3)
{
	char base[256];
	long fd = in_root_parent(p, base, sizeof base);
	if (fd < 0)
		return fd == -EBUSY ? -EEXIST : fd;
	long r = plat_call(nr, fd, (long)base, a2, a3, 0, 0);
	close_fd(fd);
	return r;
}

int passthrough_confine(struct vfs_mount *m)
{
	long *fd = rt_alloc(sizeof *fd);
	if (!fd)
		return -ENOMEM;
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC };
	*fd = plat_call(__NR_openat2, AT_FDCWD, (long)m->host_root, (long)&how, sizeof how, 0, 0);
	if (*fd < 0) {
		long r = *fd;
		rt_free(fd);
		return (int)r;
	}
	if ((*fd = fd_runtime_hide(*fd)) < 0) {
		long r = *fd;
		rt_free(fd);
		return (int)r;
	}
	m->priv = fd;
	return 0;
}

/* host_root + "/" + rel, and a trailing "/" when the caller's path demanded a
 * directory (so the host checks that too). */
static long host_path(const struct vfs_path *p, char *buf, size_t n)
{
	const char *root = p->mnt->host_root;
	size_t len;

	if (strcmp(root, "/") == 0)
		len = (size_t)rt_snprintf(buf, n, "/%s%s", p->rel, p->dir && *p->rel ? "/" : "");
	else
		len = (size_t)rt_snprintf(buf, n, "%s%s%s%s", root, *p->rel ? "/" : "", p->rel,
					  p->dir && *p->rel ? "/" : "");
	return len >= n ? -ENAMETOOLONG : 0;
}

#define HOST_PATH(p, hp)                                   \
	char hp[RT_PATH_MAX];                              \
	do {                                               \
		long _r = host_path(p, hp, sizeof hp);     \
		if (_r)                                    \
			return _r;                         \
	} while (0)

static long pt_open(const struct vfs_path *p, int flags, unsigned mode, struct file **out)
{
	HOST_PATH(p, hp);
	if (p->mnt->read_only && ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC))))
		return -EROFS;
	long a[6] = { AT_FDCWD, (long)hp, flags, mode };
	long fd = confined(p->mnt) ? in_root(p, flags, mode) : host_open(__NR_openat, a, NULL);
	if (fd < 0)
		return fd;
	*out = file_new(&host_file_ops, p->mnt, p->abs, flags);
	if (!*out) {
		plat_call(__NR_close, fd, 0, 0, 0, 0, 0);
		return -ENOMEM;
	}
	return fd;
}

static long pt_stat(const struct vfs_path *p, int at_flags, struct kstat_buf *st)
{
	if (confined(p->mnt))
		return on_file(p, at_flags & AT_SYMLINK_NOFOLLOW, __NR_newfstatat, (long)st, at_flags & ~AT_SYMLINK_NOFOLLOW, 0);
	HOST_PATH(p, hp);
	return plat_call(__NR_newfstatat, AT_FDCWD, (long)hp, (long)st, at_flags, 0, 0);
}

static long pt_statx(const struct vfs_path *p, int at_flags, unsigned mask, void *buf)
{
	if (confined(p->mnt))
		return on_file(p, at_flags & AT_SYMLINK_NOFOLLOW, __NR_statx, at_flags & ~AT_SYMLINK_NOFOLLOW, mask, (long)buf);
	HOST_PATH(p, hp);
	return plat_call(__NR_statx, AT_FDCWD, (long)hp, at_flags, mask, (long)buf, 0);
}

static long pt_access(const struct vfs_path *p, int mode, int at_flags)
{
	if (confined(p->mnt))
		return on_file(p, at_flags & AT_SYMLINK_NOFOLLOW, __NR_faccessat2, mode, at_flags & ~AT_SYMLINK_NOFOLLOW, 0);
	HOST_PATH(p, hp);
	return plat_call(__NR_faccessat2, AT_FDCWD, (long)hp, mode, at_flags, 0, 0);
}

static long pt_readlink(const struct vfs_path *p, char *buf, size_t n)
{
	if (confined(p->mnt))
		return on_file(p, true, __NR_readlinkat, (long)buf, (long)n, 0);
	HOST_PATH(p, hp);
	return plat_call(__NR_readlinkat, AT_FDCWD, (long)hp, (long)buf, (long)n, 0, 0);
}

#define WRITABLE(p)                       \
	do {                              \
		if ((p)->mnt->read_only)  \
			return -EROFS;    \
	} while (0)

static long pt_mkdir(const struct vfs_path *p, unsigned mode)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return on_name(p, __NR_mkdirat, mode, 0);
	HOST_PATH(p, hp);
	return plat_call(__NR_mkdirat, AT_FDCWD, (long)hp, mode, 0, 0, 0);
}

static long pt_mknod(const struct vfs_path *p, unsigned mode, unsigned dev)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return on_name(p, __NR_mknodat, mode, dev);
	HOST_PATH(p, hp);
	return plat_call(__NR_mknodat, AT_FDCWD, (long)hp, mode, dev, 0, 0);
}

static long pt_unlink(const struct vfs_path *p, int at_flags)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return on_name(p, __NR_unlinkat, at_flags, 0);
	HOST_PATH(p, hp);
	return plat_call(__NR_unlinkat, AT_FDCWD, (long)hp, at_flags, 0, 0, 0);
}

/* rename and link between two names of one confined mount */
static long two_names(const struct vfs_path *from, const struct vfs_path *to, long nr, long flags)
{
	char b1[256], b2[256];
	long f1 = in_root_parent(from, b1, sizeof b1);
	if (f1 < 0)
		return f1 == -EBUSY ? -EBUSY : f1;
	long f2 = in_root_parent(to, b2, sizeof b2);
	if (f2 < 0) {
		close_fd(f1);
		return f2 == -EBUSY ? -EBUSY : f2;
	}
	long r = plat_call(nr, f1, (long)b1, f2, (long)b2, flags, 0);
	close_fd(f1);
	close_fd(f2);
	return r;
}

static long pt_rename(const struct vfs_path *from, const struct vfs_path *to, unsigned flags)
{
	WRITABLE(from);
	if (confined(from->mnt))
		return two_names(from, to, __NR_renameat2, flags);
	HOST_PATH(from, h1);
	HOST_PATH(to, h2);
	return plat_call(__NR_renameat2, AT_FDCWD, (long)h1, AT_FDCWD, (long)h2, flags, 0);
}

static long pt_link(const struct vfs_path *from, const struct vfs_path *to, int at_flags)
{
	WRITABLE(from);
	if (confined(from->mnt))
		return two_names(from, to, __NR_linkat, 0); /* links the name itself */
	HOST_PATH(from, h1);
	HOST_PATH(to, h2);
	return plat_call(__NR_linkat, AT_FDCWD, (long)h1, AT_FDCWD, (long)h2, at_flags, 0);
}

static long pt_link_fd(int hostfd, bool empty_path, const struct vfs_path *to)
{
	/* the host checks what Linux checks: AT_EMPTY_PATH needs
	 * CAP_DAC_READ_SEARCH, the /proc link does not */
	char src[48];
	rt_snprintf(src, sizeof src, "%s/fd/%d", fd_host_proc(), hostfd);
	long from = empty_path ? hostfd : AT_FDCWD;
	const char *name = empty_path ? "" : src;
	int flags = empty_path ? AT_EMPTY_PATH : AT_SYMLINK_FOLLOW;
	WRITABLE(to);
	if (confined(to->mnt)) {
		char base[256];
		long dfd = in_root_parent(to, base, sizeof base);
		if (dfd < 0)
			return dfd == -EBUSY ? -EEXIST : dfd;
		long r = plat_call(__NR_linkat, from, (long)name, dfd, (long)base, flags, 0);
		close_fd(dfd);
		return r;
	}
	HOST_PATH(to, h2);
	return plat_call(__NR_linkat, from, (long)name, AT_FDCWD, (long)h2, flags, 0);
}

static long pt_symlink(const char *target, const struct vfs_path *p)
{
	WRITABLE(p);
	if (confined(p->mnt)) {
		char base[256];
		long fd = in_root_parent(p, base, sizeof base);
		if (fd < 0)
			return fd == -EBUSY ? -EEXIST : fd;
		long r = plat_call(__NR_symlinkat, (long)target, fd, (long)base, 0, 0, 0);
		close_fd(fd);
		return r;
	}
	HOST_PATH(p, hp);
	return plat_call(__NR_symlinkat, (long)target, AT_FDCWD, (long)hp, 0, 0, 0);
}

static long pt_chmod(const struct vfs_path *p, unsigned mode, int at_flags)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return at_flags ? on_file(p, true, __NR_fchmodat2, mode, at_flags, 0)
				: on_file(p, false, __NR_fchmodat, mode, 0, 0);
	HOST_PATH(p, hp);
	if (at_flags)
		return plat_call(__NR_fchmodat2, AT_FDCWD, (long)hp, mode, at_flags, 0, 0);
	return plat_call(__NR_fchmodat, AT_FDCWD, (long)hp, mode, 0, 0, 0);
}

static long pt_chown(const struct vfs_path *p, unsigned uid, unsigned gid, int at_flags)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return on_file(p, at_flags & AT_SYMLINK_NOFOLLOW, __NR_fchownat, (int)uid, (int)gid,
			       at_flags & AT_SYMLINK_NOFOLLOW);
	HOST_PATH(p, hp);
	return plat_call(__NR_fchownat, AT_FDCWD, (long)hp, (int)uid, (int)gid, at_flags, 0);
}

static long pt_truncate(const struct vfs_path *p, long len)
{
	WRITABLE(p);
	if (confined(p->mnt)) {
		long fd = in_root(p, O_WRONLY | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		long r = plat_call(__NR_ftruncate, fd, len, 0, 0, 0, 0);
		close_fd(fd);
		return r;
	}
	HOST_PATH(p, hp);
	return plat_call(__NR_truncate, (long)hp, len, 0, 0, 0, 0);
}

static long pt_utimens(const struct vfs_path *p, const void *times, int at_flags)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return on_file(p, at_flags & AT_SYMLINK_NOFOLLOW, __NR_utimensat, (long)times,
			       at_flags & AT_SYMLINK_NOFOLLOW, 0);
	HOST_PATH(p, hp);
	return plat_call(__NR_utimensat, AT_FDCWD, (long)hp, (long)times, at_flags, 0, 0);
}

static long pt_statfs(const struct vfs_path *p, void *buf)
{
	if (confined(p->mnt)) {
		long fd = in_root(p, O_PATH | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		long r = plat_call(__NR_fstatfs, fd, (long)buf, 0, 0, 0, 0);
		close_fd(fd);
		return r;
	}
	HOST_PATH(p, hp);
	return plat_call(__NR_statfs, (long)hp, (long)buf, 0, 0, 0, 0);
}

static long pt_xattr(const struct vfs_path *p, long nr, uintptr_t name, uintptr_t value, size_t size,
		     int flags)
{
	if (p->mnt->read_only && (nr == __NR_setxattr || nr == __NR_lsetxattr || nr == __NR_removexattr ||
				  nr == __NR_lremovexattr))
		return -EROFS;
	if (confined(p->mnt)) {
		/* through the O_PATH fd's /proc/self/fd name (which the host follows) */
		long fd = in_root(p, O_PATH | O_CLOEXEC | ((nr == __NR_lgetxattr || nr == __NR_lsetxattr ||
							    nr == __NR_llistxattr || nr == __NR_lremovexattr)
								   ? O_NOFOLLOW
								   : 0),
				  0);
		if (fd < 0)
			return fd;
		char path[40];
		fd_path(fd, path, sizeof path);
		long r = plat_call(nr, (long)path, (long)name, (long)value, (long)size, flags, 0);
		close_fd(fd);
		return r;
	}
	HOST_PATH(p, hp);
	return plat_call(nr, (long)hp, (long)name, (long)value, (long)size, flags, 0);
}

/*
 * A UNIX socket address. Unconfined: the host path. Confined: the host's
 * bind and connect would follow symlinks and ".." out of the mount, and a
 * check before the call races with a rename, so the socket is reached
 * through an fd that openat2(RESOLVE_IN_ROOT) resolved: connect and sendto
 * go to /proc/self/fd/N, an O_PATH fd of the socket file itself; bind makes
 * NAME in /proc/self/fd/N, an O_PATH fd of its directory. The fd pins what
 * was checked, so nothing can be swapped in between. The price: the host
 * kernel records that string as the bound address (syscall/net.c keeps
 * the enclave's own), and NAME must fit in sun_path after it.
 */
static long pt_sock_path(const struct vfs_path *p, bool bind, char *buf, size_t n, long *hold)
{
	char base[256];
	long fd;
	size_t len;

	*hold = -1;
	if (bind && p->mnt->read_only)
		return -EROFS;
	if (!confined(p->mnt))
		return host_path(p, buf, n);
	if (bind) {
		fd = in_root_parent(p, base, sizeof base);
		if (fd < 0)
			return fd == -EBUSY ? -EADDRINUSE : fd; /* the mount's root exists */
		len = (size_t)rt_snprintf(buf, n, "%s/fd/%ld/%s%s", fd_host_proc(), fd, base, p->dir ? "/" : "");
	} else {
		fd = in_root(p, O_PATH | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		len = (size_t)rt_snprintf(buf, n, "%s/fd/%ld", fd_host_proc(), fd);
	}
	if (len >= n) {
		close_fd(fd);
		return -ENAMETOOLONG;
	}
	*hold = fd;
	return 0;
}

static long pt_host_path(const struct vfs_path *p, char *buf, size_t n)
{
	if (confined(p->mnt))
		return -EOPNOTSUPP; /* a plain host path could lead out of the mount */
	return host_path(p, buf, n);
}

const struct mount_ops passthrough_ops = {
	.name = "passthrough",
	.open = pt_open,
	.stat = pt_stat,
	.statx = pt_statx,
	.access = pt_access,
	.readlink = pt_readlink,
	.mkdir = pt_mkdir,
	.mknod = pt_mknod,
	.unlink = pt_unlink,
	.rename = pt_rename,
	.link = pt_link,
	.link_fd = pt_link_fd,
	.symlink = pt_symlink,
	.chmod = pt_chmod,
	.chown = pt_chown,
	.truncate = pt_truncate,
	.utimens = pt_utimens,
	.statfs = pt_statfs,
	.xattr = pt_xattr,
	.host_path = pt_host_path,
	.sock_path = pt_sock_path,
};
