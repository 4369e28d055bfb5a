/*
 * synth.c - the synthetic directories above mount points.
 *
 * A manifest mounts, say, /usr/lib/python3.11 and /usr/bin/python3.11; then
 * /, /usr, /usr/lib and /usr/bin exist as read-only directories that list
 * exactly the names leading to mount points, and nothing else of the host
 * shows through. They are never symbolic links.
 */
#include <linux/fcntl.h>

#include "vfs.h"

#define DIR_MODE (0040000 | 0555)

static uint64_t ino_of(const char *path)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a: stable inode numbers */
	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 1099511628211ULL;
	return h | 1;
}

static long synth_stat(const struct vfs_path *p, int at_flags, struct kstat_buf *st)
{
	(void)at_flags;
	vfs_fill_stat(st, DIR_MODE, 4096, ino_of(p->abs), 0);
	return 0;
}

static long synth_statx(const struct vfs_path *p, int at_flags, unsigned mask, void *buf)
{
	struct kstat_buf st;
	(void)mask;
	synth_stat(p, at_flags, &st);
	vfs_stat_to_statx(&st, buf);
	return 0;
}

static long synth_access(const struct vfs_path *p, int mode, int at_flags)
{
	(void)p, (void)at_flags;
	return (mode & 2) ? -EACCES : 0;
}

static long synth_readlink(const struct vfs_path *p, char *buf, size_t n)
{
	(void)p, (void)buf, (void)n;
	return -EINVAL;
}

static long synth_link_target(const struct vfs_mount *m, const char *rel, char *buf, size_t n)
{
	(void)m, (void)rel, (void)buf, (void)n;
	return -EINVAL;
}

/* ---- listing --------------------------------------------------------------- */

/* The mount table is fixed, so an entry's place in the listing is its key. */
struct listing {
	struct vfs_listing v;
	long key;
	const char *dir;
};

static void emit(void *arg, const char *name, size_t len)
{
	struct listing *l = arg;
	char path[RT_PATH_MAX], entry[RT_PATH_MAX];
	rt_snprintf(path, sizeof path, "%s/%.*s", l->dir, (int)len, name);
	rt_snprintf(entry, sizeof entry, "%.*s", (int)len, name);
	vfs_list(&l->v, l->key++, ino_of(path), 4 /* DT_DIR */, entry);
}

static long dir_getdents(struct file *f, uintptr_t ubuf, size_t n)
{
	struct listing l = { .v = { .ubuf = ubuf, .room = n }, .dir = f->path };
	rt_lock(&f->lock);
	l.v.pos = f->pos;
	emit(&l, ".", 1);
	emit(&l, "..", 2);
	vfs_mount_children(f->path, emit, &l);
	f->pos = l.v.pos;
	rt_unlock(&f->lock);
	return vfs_list_result(&l.v);
}

static long dir_stat(struct file *f, struct kstat_buf *st)
{
	vfs_fill_stat(st, DIR_MODE, 4096, ino_of(f->path), 0);
	return 0;
}

static const struct file_ops synth_dir_ops = {
	.name = "synthetic directory",
	.getdents = dir_getdents,
	.stat = dir_stat,
	.deny = EISDIR,
};

static long synth_open(const struct vfs_path *p, int flags, unsigned mode, struct file **out)
{
	(void)mode;
	long r = vfs_dir_open_check(flags);
	return r ? r : file_open_runtime(&synth_dir_ops, p, flags, NULL, out);
}

static long synth_denied(void)
{
	return -EACCES;
}

static long synth_mkdir(const struct vfs_path *p, unsigned mode)
{
	(void)p, (void)mode;
	return -EEXIST; /* it is a directory already */
}

static long synth_unlink(const struct vfs_path *p, int at_flags)
{
	(void)p, (void)at_flags;
	return synth_denied();
}

const struct mount_ops synth_ops = {
	.name = "synthetic",
	.open = synth_open,
	.stat = synth_stat,
	.statx = synth_statx,
	.access = synth_access,
	.readlink = synth_readlink,
	.mkdir = synth_mkdir,
	.unlink = synth_unlink,
	.link_target = synth_link_target,
};
