/*
 * passthrough.c - the passthrough mount: a host directory shown as it is.
 *
 * Nothing is protected: the host sees and may change every byte. It is what a
 * development run uses for "/" and what a manifest grants for paths the owner
 * chooses not to protect. Each operation maps the mount-relative path onto the
 * host directory and makes the corresponding *at() call with an absolute host
 * path, so the runtime's normalized path is the only one the host sees.
 */
#include <linux/fcntl.h>

#include "../proc/proc.h"
#include "vfs.h"

#define AT_FDCWD_HOST (-100)

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
	long a[6] = { AT_FDCWD_HOST, (long)hp, flags, mode };
	long fd = plat_forward(__NR_openat, a);
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
	HOST_PATH(p, hp);
	return plat_call(__NR_newfstatat, AT_FDCWD_HOST, (long)hp, (long)st, at_flags, 0, 0);
}

static long pt_statx(const struct vfs_path *p, int at_flags, unsigned mask, void *buf)
{
	HOST_PATH(p, hp);
	return plat_call(__NR_statx, AT_FDCWD_HOST, (long)hp, at_flags, mask, (long)buf, 0);
}

static long pt_access(const struct vfs_path *p, int mode, int at_flags)
{
	HOST_PATH(p, hp);
	return plat_call(439 /* faccessat2 */, AT_FDCWD_HOST, (long)hp, mode, at_flags, 0, 0);
}

static long pt_readlink(const struct vfs_path *p, char *buf, size_t n)
{
	HOST_PATH(p, hp);
	return plat_call(__NR_readlinkat, AT_FDCWD_HOST, (long)hp, (long)buf, (long)n, 0, 0);
}

#define WRITABLE(p)                       \
	do {                              \
		if ((p)->mnt->read_only)  \
			return -EROFS;    \
	} while (0)

static long pt_mkdir(const struct vfs_path *p, unsigned mode)
{
	WRITABLE(p);
	HOST_PATH(p, hp);
	return plat_call(__NR_mkdirat, AT_FDCWD_HOST, (long)hp, mode, 0, 0, 0);
}

static long pt_mknod(const struct vfs_path *p, unsigned mode, unsigned dev)
{
	WRITABLE(p);
	HOST_PATH(p, hp);
	return plat_call(__NR_mknodat, AT_FDCWD_HOST, (long)hp, mode, dev, 0, 0);
}

static long pt_unlink(const struct vfs_path *p, int at_flags)
{
	WRITABLE(p);
	HOST_PATH(p, hp);
	return plat_call(__NR_unlinkat, AT_FDCWD_HOST, (long)hp, at_flags, 0, 0, 0);
}

static long pt_rename(const struct vfs_path *from, const struct vfs_path *to, unsigned flags)
{
	WRITABLE(from);
	HOST_PATH(from, h1);
	HOST_PATH(to, h2);
	return plat_call(__NR_renameat2, AT_FDCWD_HOST, (long)h1, AT_FDCWD_HOST, (long)h2, flags, 0);
}

static long pt_link(const struct vfs_path *from, const struct vfs_path *to, int at_flags)
{
	WRITABLE(from);
	HOST_PATH(from, h1);
	HOST_PATH(to, h2);
	return plat_call(__NR_linkat, AT_FDCWD_HOST, (long)h1, AT_FDCWD_HOST, (long)h2, at_flags, 0);
}

static long pt_symlink(const char *target, const struct vfs_path *p)
{
	WRITABLE(p);
	HOST_PATH(p, hp);
	return plat_call(__NR_symlinkat, (long)target, AT_FDCWD_HOST, (long)hp, 0, 0, 0);
}

static long pt_chmod(const struct vfs_path *p, unsigned mode, int at_flags)
{
	WRITABLE(p);
	HOST_PATH(p, hp);
	if (at_flags)
		return plat_call(452 /* fchmodat2 */, AT_FDCWD_HOST, (long)hp, mode, at_flags, 0, 0);
	return plat_call(__NR_fchmodat, AT_FDCWD_HOST, (long)hp, mode, 0, 0, 0);
}

static long pt_chown(const struct vfs_path *p, unsigned uid, unsigned gid, int at_flags)
{
	WRITABLE(p);
	HOST_PATH(p, hp);
	return plat_call(__NR_fchownat, AT_FDCWD_HOST, (long)hp, (int)uid, (int)gid, at_flags, 0);
}

static long pt_truncate(const struct vfs_path *p, long len)
{
	WRITABLE(p);
	HOST_PATH(p, hp);
	return plat_call(__NR_truncate, (long)hp, len, 0, 0, 0, 0);
}

static long pt_utimens(const struct vfs_path *p, const void *times, int at_flags)
{
	WRITABLE(p);
	HOST_PATH(p, hp);
	return plat_call(__NR_utimensat, AT_FDCWD_HOST, (long)hp, (long)times, at_flags, 0, 0);
}

static long pt_statfs(const struct vfs_path *p, void *buf)
{
	HOST_PATH(p, hp);
	return plat_call(__NR_statfs, (long)hp, (long)buf, 0, 0, 0, 0);
}

static long pt_xattr(const struct vfs_path *p, long nr, uintptr_t name, uintptr_t value, size_t size,
		     int flags)
{
	HOST_PATH(p, hp);
	if (p->mnt->read_only && (nr == __NR_setxattr || nr == __NR_lsetxattr || nr == __NR_removexattr ||
				  nr == __NR_lremovexattr))
		return -EROFS;
	return plat_call(nr, (long)hp, (long)name, (long)value, (long)size, flags, 0);
}

static long pt_host_path(const struct vfs_path *p, char *buf, size_t n)
{
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
	.symlink = pt_symlink,
	.chmod = pt_chmod,
	.chown = pt_chown,
	.truncate = pt_truncate,
	.utimens = pt_utimens,
	.statfs = pt_statfs,
	.xattr = pt_xattr,
	.host_path = pt_host_path,
};
