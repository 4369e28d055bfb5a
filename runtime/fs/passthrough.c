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
	long r = (flags & O_PATH) ? -EINTR : host_fd("open", plat_forward(nr, a));
	if (r != -EINTR)
		return r;
	if (!(flags & O_PATH)) {
		int probe = O_PATH | O_CLOEXEC | (int)(flags & O_NOFOLLOW);
		const char *path = (const char *)a[1];
		long fd = host_fd("openat", how ? plat_host_openat2((int)a[0], path, (uint64_t)probe, 0, how->resolve)
					       : plat_host_openat((int)a[0], path, probe, 0));
		if (fd >= 0) {
			struct kstat_buf st;
			long e = host_stat("fstat", plat_host_fstat((int)fd, &st.k), &st.k);
			plat_host_close((int)fd);
			unsigned type = st.st.st_mode & S_IFMT;
			if (e || (type != S_IFREG && type != S_IFDIR))
				return r;
		} else if (fd != -ENOENT) {
			return r;
		}
	}
	return host_fd("open", plat_forward_now(nr, a));
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
	plat_host_close((int)fd);
}

/* How a call on a confined mount names its file to the host: (dirfd, name),
 * and the fd that pins it, closed after the call. */
struct host_ref {
	int dirfd;
	const char *name;
	long fd;
	char buf[256];
};

/* An existing file: its final symlink followed inside the mount (through
 * /proc/self/fd/N of an O_PATH fd), or the link itself (nofollow: its
 * directory's fd and its name). */
static long file_ref(const struct vfs_path *p, bool nofollow, struct host_ref *at)
{
	if (nofollow) {
		at->fd = in_root_parent(p, at->buf, sizeof at->buf);
		if (at->fd == -EBUSY)
			return file_ref(p, false, at);
		at->dirfd = (int)at->fd;
	} else {
		at->fd = in_root(p, O_PATH | O_CLOEXEC, 0);
		if (at->fd >= 0)
			fd_path(at->fd, at->buf, sizeof at->buf);
		at->dirfd = AT_FDCWD;
	}
	at->name = at->buf;
	return at->fd < 0 ? at->fd : 0;
}

/* The last component, to create or remove: its directory's fd and name. */
static long name_ref(const struct vfs_path *p, struct host_ref *at)
{
	at->fd = in_root_parent(p, at->buf, sizeof at->buf);
	at->dirfd = (int)at->fd;
	at->name = at->buf;
	return at->fd < 0 ? (at->fd == -EBUSY ? -EEXIST : at->fd) : 0;
}

/* Run `call` (which names the file as at.dirfd, at.name) on a confined
 * mount's file or name, and close the pinning fd. */
#define ON_FILE(p, nofollow, call)                               \
	({                                                       \
		struct host_ref at;                              \
		long r_ = file_ref(p, nofollow, &at);            \
		if (!r_) {                                       \
			r_ = (call);                             \
			close_fd(at.fd);                         \
		}                                                \
		r_;                                              \
	})
#define ON_NAME(p, call)                                         \
	({                                                       \
		struct host_ref at;                              \
		long r_ = name_ref(p, &at);                      \
		if (!r_) {                                       \
			r_ = (call);                             \
			close_fd(at.fd);                         \
		}                                                \
		r_;                                              \
	})

int passthrough_confine(struct vfs_mount *m)
{
	long *fd = rt_alloc(sizeof *fd);
	if (!fd)
		return -ENOMEM;
	*fd = host_fd("openat2", plat_host_openat2(AT_FDCWD, m->host_root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0));
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
		close_fd(fd);
		return -ENOMEM;
	}
	return fd;
}

static long pt_stat(const struct vfs_path *p, int at_flags, struct kstat_buf *st)
{
	long r;
	if (confined(p->mnt)) {
		r = ON_FILE(p, at_flags & AT_SYMLINK_NOFOLLOW,
			    plat_host_fstatat(at.dirfd, at.name, &st->k, at_flags & ~AT_SYMLINK_NOFOLLOW));
	} else {
		HOST_PATH(p, hp);
		r = plat_host_fstatat(AT_FDCWD, hp, &st->k, at_flags);
	}
	return host_stat("newfstatat", r, &st->k);
}

static long pt_statx(const struct vfs_path *p, int at_flags, unsigned mask, void *buf)
{
	long r;
	if (confined(p->mnt)) {
		r = ON_FILE(p, at_flags & AT_SYMLINK_NOFOLLOW,
			    plat_host_statx(at.dirfd, at.name, at_flags & ~AT_SYMLINK_NOFOLLOW, mask, buf));
	} else {
		HOST_PATH(p, hp);
		r = plat_host_statx(AT_FDCWD, hp, at_flags, mask, buf);
	}
	return host_statx("statx", r, buf);
}

static long pt_access(const struct vfs_path *p, int mode, int at_flags)
{
	if (confined(p->mnt))
		return host_zero("faccessat2", ON_FILE(p, at_flags & AT_SYMLINK_NOFOLLOW,
						      plat_host_faccessat(at.dirfd, at.name, mode,
									  at_flags & ~AT_SYMLINK_NOFOLLOW)));
	HOST_PATH(p, hp);
	return host_zero("faccessat2", plat_host_faccessat(AT_FDCWD, hp, mode, at_flags));
}

static long pt_readlink(const struct vfs_path *p, char *buf, size_t n)
{
	if (confined(p->mnt))
		return host_len("readlinkat", ON_FILE(p, true, plat_host_readlinkat(at.dirfd, at.name, buf, n)), n);
	HOST_PATH(p, hp);
	return host_len("readlinkat", plat_host_readlinkat(AT_FDCWD, hp, buf, n), n);
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
		return host_zero("mkdirat", ON_NAME(p, plat_host_mkdirat(at.dirfd, at.name, mode)));
	HOST_PATH(p, hp);
	return host_zero("mkdirat", plat_host_mkdirat(AT_FDCWD, hp, mode));
}

static long pt_mknod(const struct vfs_path *p, unsigned mode, unsigned dev)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return host_zero("mknodat", ON_NAME(p, plat_host_mknodat(at.dirfd, at.name, mode, dev)));
	HOST_PATH(p, hp);
	return host_zero("mknodat", plat_host_mknodat(AT_FDCWD, hp, mode, dev));
}

static long pt_unlink(const struct vfs_path *p, int at_flags)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return host_zero("unlinkat", ON_NAME(p, plat_host_unlinkat(at.dirfd, at.name, at_flags)));
	HOST_PATH(p, hp);
	return host_zero("unlinkat", plat_host_unlinkat(AT_FDCWD, hp, at_flags));
}

/* rename and link between two names of one confined mount */
static long two_names(const struct vfs_path *from, const struct vfs_path *to, bool link, unsigned flags)
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
	long r = link ? plat_host_linkat((int)f1, b1, (int)f2, b2, (int)flags)
		      : plat_host_renameat2((int)f1, b1, (int)f2, b2, flags);
	close_fd(f1);
	close_fd(f2);
	return host_zero(link ? "linkat" : "renameat2", r);
}

static long pt_rename(const struct vfs_path *from, const struct vfs_path *to, unsigned flags)
{
	WRITABLE(from);
	if (confined(from->mnt))
		return two_names(from, to, false, flags);
	HOST_PATH(from, h1);
	HOST_PATH(to, h2);
	return host_zero("renameat2", plat_host_renameat2(AT_FDCWD, h1, AT_FDCWD, h2, flags));
}

static long pt_link(const struct vfs_path *from, const struct vfs_path *to, int at_flags)
{
	WRITABLE(from);
	if (confined(from->mnt))
		return two_names(from, to, true, 0); /* links the name itself */
	HOST_PATH(from, h1);
	HOST_PATH(to, h2);
	return host_zero("linkat", plat_host_linkat(AT_FDCWD, h1, AT_FDCWD, h2, at_flags));
}

static long pt_link_fd(int hostfd, bool empty_path, const struct vfs_path *to)
{
	/* the host checks what Linux checks: AT_EMPTY_PATH needs
	 * CAP_DAC_READ_SEARCH, the /proc link does not */
	char src[48];
	rt_snprintf(src, sizeof src, "%s/fd/%d", fd_host_proc(), hostfd);
	int from = empty_path ? hostfd : AT_FDCWD;
	const char *name = empty_path ? "" : src;
	int flags = empty_path ? AT_EMPTY_PATH : AT_SYMLINK_FOLLOW;
	WRITABLE(to);
	if (confined(to->mnt))
		return host_zero("linkat", ON_NAME(to, plat_host_linkat(from, name, at.dirfd, at.name, flags)));
	HOST_PATH(to, h2);
	return host_zero("linkat", plat_host_linkat(from, name, AT_FDCWD, h2, flags));
}

static long pt_symlink(const char *target, const struct vfs_path *p)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return host_zero("symlinkat", ON_NAME(p, plat_host_symlinkat(target, at.dirfd, at.name)));
	HOST_PATH(p, hp);
	return host_zero("symlinkat", plat_host_symlinkat(target, AT_FDCWD, hp));
}

static long pt_chmod(const struct vfs_path *p, unsigned mode, int at_flags)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return host_zero("fchmodat", ON_FILE(p, at_flags != 0, plat_host_fchmodat(at.dirfd, at.name, mode, at_flags)));
	HOST_PATH(p, hp);
	return host_zero("fchmodat", plat_host_fchmodat(AT_FDCWD, hp, mode, at_flags));
}

static long pt_chown(const struct vfs_path *p, unsigned uid, unsigned gid, int at_flags)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return host_zero("fchownat", ON_FILE(p, at_flags & AT_SYMLINK_NOFOLLOW,
						    plat_host_fchownat(at.dirfd, at.name, uid, gid,
								       at_flags & AT_SYMLINK_NOFOLLOW)));
	HOST_PATH(p, hp);
	return host_zero("fchownat", plat_host_fchownat(AT_FDCWD, hp, uid, gid, at_flags));
}

static long pt_truncate(const struct vfs_path *p, long len)
{
	WRITABLE(p);
	if (confined(p->mnt)) {
		long fd = in_root(p, O_WRONLY | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		long r = plat_host_ftruncate((int)fd, len);
		close_fd(fd);
		return host_zero("ftruncate", r);
	}
	HOST_PATH(p, hp);
	return host_zero("truncate", plat_host_truncate(hp, len));
}

static long pt_utimens(const struct vfs_path *p, const void *times, int at_flags)
{
	WRITABLE(p);
	if (confined(p->mnt))
		return host_zero("utimensat", ON_FILE(p, at_flags & AT_SYMLINK_NOFOLLOW,
						     plat_host_utimensat(at.dirfd, at.name, times,
									 at_flags & AT_SYMLINK_NOFOLLOW)));
	HOST_PATH(p, hp);
	return host_zero("utimensat", plat_host_utimensat(AT_FDCWD, hp, times, at_flags));
}

static long pt_statfs(const struct vfs_path *p, void *buf)
{
	if (confined(p->mnt)) {
		long fd = in_root(p, O_PATH | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		long r = plat_host_fstatfs((int)fd, buf);
		close_fd(fd);
		return host_zero("fstatfs", r);
	}
	HOST_PATH(p, hp);
	return host_zero("statfs", plat_host_statfs(hp, buf));
}

static long pt_xattr(const struct vfs_path *p, long nr, uintptr_t name, uintptr_t value, size_t size,
		     int flags)
{
	enum plat_xattr_op op;
	bool nofollow = nr == __NR_lgetxattr || nr == __NR_lsetxattr || nr == __NR_llistxattr ||
			nr == __NR_lremovexattr;

	switch (nr) {
	case __NR_getxattr:
	case __NR_lgetxattr:
		op = PLAT_XATTR_GET;
		break;
	case __NR_setxattr:
	case __NR_lsetxattr:
		op = PLAT_XATTR_SET;
		break;
	case __NR_listxattr:
	case __NR_llistxattr:
		op = PLAT_XATTR_LIST;
		break;
	case __NR_removexattr:
	case __NR_lremovexattr:
		op = PLAT_XATTR_REMOVE;
		break;
	default:
		return -ENOSYS;
	}
	if (p->mnt->read_only && (op == PLAT_XATTR_SET || op == PLAT_XATTR_REMOVE))
		return -EROFS;
	long r;
	if (confined(p->mnt)) {
		/* through the O_PATH fd's /proc/self/fd name (which the host follows) */
		long fd = in_root(p, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0), 0);
		if (fd < 0)
			return fd;
		char path[40];
		fd_path(fd, path, sizeof path);
		r = plat_host_xattr(op, nofollow, path, (const char *)name, (void *)value, size, flags);
		close_fd(fd);
	} else {
		HOST_PATH(p, hp);
		r = plat_host_xattr(op, nofollow, hp, (const char *)name, (void *)value, size, flags);
	}
	if (op == PLAT_XATTR_GET || op == PLAT_XATTR_LIST)
		return size ? host_len("xattr", r, size) : host_ret("xattr", r);
	return host_zero("xattr", r);
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
