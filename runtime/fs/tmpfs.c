/*
 * tmpfs.c - files in runtime memory, gone when the process exits.
 *
 * A tree of nodes per mount: directories with a list of children, regular
 * files with a growable byte buffer, symlinks with a target. One lock per
 * mount (struct tmpfs.lock) guards the tree and every node's contents; a
 * file's position is guarded by its file lock, which is taken first.
 *
 * Like Gramine's tmpfs (and unlike Linux's) the tree belongs to one process:
 * a forked child gets a copy, execve starts empty. A node that is unlinked
 * while open lives on until its last open file is released. Hard links are
 * not supported (EPERM); mmap gives a private copy, and a writable shared
 * mapping is refused (ENODEV).
 */
#include <asm/stat.h>
#include <asm-generic/statfs.h>
#include <linux/fcntl.h>
#include <linux/magic.h>
#include <linux/stat.h>

#include "../mm/mm.h"
#include "../proc/proc.h"
#include "vfs.h"
#include "../lib/host.h"

/* utimensat's special nanosecond values (the kernel's include/linux/stat.h;
 * the uapi headers do not have them) */
#define UTIME_NOW ((1L << 30) - 1)
#define UTIME_OMIT ((1L << 30) - 2)


struct tnode {
	unsigned mode;
	uint64_t ino;
	uint64_t mtime;
	uint32_t uid, gid;
	struct tnode *parent, *next, *children; /* directory tree */
	char *name;
	char *target;  /* symlinks */
	uint8_t *data; /* regular files */
	size_t size, cap;
	int opens;
	bool unlinked;
};

struct tmpfs {
	struct rt_lock lock;
	struct tnode *root;
	uint64_t next_ino;
};

static uint64_t now(void)
{
	return host_realtime_sec();
}

static struct tnode *node_new(struct tmpfs *fs, unsigned mode, const char *name, size_t len)
{
	struct tnode *n = rt_zalloc(sizeof *n);
	char *nm = rt_alloc(len + 1);
	if (!n || !nm) {
		rt_free(n);
		rt_free(nm);
		return NULL;
	}
	memcpy(nm, name, len);
	nm[len] = 0;
	n->name = nm;
	n->mode = mode;
	n->ino = ++fs->next_ino;
	n->mtime = now();
	return n;
}

static void node_free(struct tnode *n)
{
	rt_free(n->name);
	rt_free(n->target);
	rt_free(n->data);
	rt_free(n);
}

static struct tnode *child(struct tnode *dir, const char *name, size_t len)
{
	for (struct tnode *c = dir->children; c; c = c->next)
		if (strlen(c->name) == len && !memcmp(c->name, name, len))
			return c;
	return NULL;
}

static void attach(struct tnode *dir, struct tnode *n)
{
	n->parent = dir;
	n->next = dir->children;
	dir->children = n;
	dir->mtime = n->mtime;
}

static void detach(struct tnode *n)
{
	struct tnode **pp = &n->parent->children;
	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	n->parent->mtime = now();
	n->next = NULL;
}

/* Walk rel from the root. With want_parent, stop at the last component's
 * directory and return the last name in name and len (it may not exist). */
static long walk(struct tmpfs *fs, const char *rel, bool want_parent, struct tnode **out, const char **name,
		 size_t *len)
{
	struct tnode *n = fs->root;
	const char *p = rel;

	if (want_parent && !*p)
		return -EBUSY; /* the mount's root itself */
	for (;;) {
		const char *e = p;
		while (*e && *e != '/')
			e++;
		if (want_parent && !*e) {
			if ((n->mode & S_IFMT) != S_IFDIR)
				return -ENOTDIR;
			*out = n;
			*name = p;
			*len = (size_t)(e - p);
			return 0;
		}
		if (e == p) { /* "" (the root) */
			*out = n;
			return 0;
		}
		if ((n->mode & S_IFMT) != S_IFDIR)
			return -ENOTDIR;
		n = child(n, p, (size_t)(e - p));
		if (!n)
			return -ENOENT;
		if (!*e) {
			*out = n;
			return 0;
		}
		p = e + 1;
	}
}

static struct tmpfs *fs_of(const struct vfs_mount *m)
{
	return m->priv;
}

static long lookup(const struct vfs_path *p, struct tnode **n)
{
	long r = walk(fs_of(p->mnt), p->rel, false, n, NULL, NULL);
	if (!r && p->dir && ((*n)->mode & S_IFMT) != S_IFDIR)
		r = -ENOTDIR;
	return r;
}

static void node_stat(const struct tnode *n, struct kstat_buf *st)
{
	uint64_t size = (n->mode & S_IFMT) == S_IFLNK ? strlen(n->target)
			: (n->mode & S_IFMT) == S_IFDIR ? 4096
							  : n->size;
	vfs_fill_stat(st, n->mode, size, n->ino, n->mtime);
	((struct stat *)st->raw)->st_uid = n->uid;
	((struct stat *)st->raw)->st_gid = n->gid;
}

/* ---- open files ----------------------------------------------------------------- */

static long grow(struct tnode *n, size_t need)
{
	if (need <= n->cap)
		return 0;
	if (need > (512UL << 20))
		return -EFBIG;
	size_t cap = n->cap ? n->cap : 4096;
	while (cap < need)
		cap *= 2;
	uint8_t *d = rt_alloc(cap);
	if (!d)
		return -ENOSPC;
	if (n->size)
		memcpy(d, n->data, n->size);
	rt_free(n->data);
	n->data = d;
	n->cap = cap;
	return 0;
}

static long tf_pread(struct file *f, void *dst, size_t len, long off, bool user)
{
	struct tmpfs *fs = fs_of(f->mnt);
	struct tnode *n = f->priv;
	long r;

	if (off < 0)
		return -EINVAL;
	rt_lock(&fs->lock);
	if ((size_t)off >= n->size) {
		r = 0;
	} else {
		size_t k = RT_MIN(len, n->size - (size_t)off);
		if (user)
			r = uaccess_copy_to((uintptr_t)dst, n->data + off, k) ? -EFAULT : (long)k;
		else {
			memcpy(dst, n->data + off, k);
			r = (long)k;
		}
	}
	rt_unlock(&fs->lock);
	return r;
}

static long tf_pwrite(struct file *f, const void *src, size_t len, long off, bool user)
{
	struct tmpfs *fs = fs_of(f->mnt);
	struct tnode *n = f->priv;
	long r;

	rt_lock(&fs->lock);
	size_t at = off < 0 ? n->size : (size_t)off;
	r = grow(n, at + len);
	if (!r && at > n->size)
		memset(n->data + n->size, 0, at - n->size); /* a hole reads as zeros */
	if (!r) {
		if (user)
			r = uaccess_copy_from(n->data + at, (uintptr_t)src, len) ? -EFAULT : 0;
		else
			memcpy(n->data + at, src, len);
	}
	if (!r) {
		n->size = RT_MAX(n->size, at + len);
		n->mtime = now();
		r = (long)len;
	}
	rt_unlock(&fs->lock);
	return r;
}

static long tf_size(struct file *f)
{
	struct tmpfs *fs = fs_of(f->mnt);
	rt_lock(&fs->lock);
	long s = (long)((struct tnode *)f->priv)->size;
	rt_unlock(&fs->lock);
	return s;
}

static long tf_stat(struct file *f, struct kstat_buf *st)
{
	struct tmpfs *fs = fs_of(f->mnt);
	rt_lock(&fs->lock);
	node_stat(f->priv, st);
	rt_unlock(&fs->lock);
	return 0;
}

static long resize(struct tnode *n, long len)
{
	long r = grow(n, (size_t)len);
	if (r)
		return r;
	if ((size_t)len > n->size)
		memset(n->data + n->size, 0, (size_t)len - n->size);
	n->size = (size_t)len;
	n->mtime = now();
	return 0;
}

static long tf_truncate(struct file *f, long len)
{
	struct tmpfs *fs = fs_of(f->mnt);
	rt_lock(&fs->lock);
	long r = resize(f->priv, len);
	rt_unlock(&fs->lock);
	return r;
}

static long tf_chmod(struct file *f, unsigned mode)
{
	struct tmpfs *fs = fs_of(f->mnt);
	struct tnode *n = f->priv;
	rt_lock(&fs->lock);
	n->mode = (n->mode & S_IFMT) | (mode & 07777);
	rt_unlock(&fs->lock);
	return 0;
}

static void tf_release(struct file *f)
{
	struct tmpfs *fs = fs_of(f->mnt);
	struct tnode *n = f->priv;
	rt_lock(&fs->lock);
	bool gone = --n->opens == 0 && n->unlinked;
	rt_unlock(&fs->lock);
	if (gone)
		node_free(n);
}

static long td_getdents(struct file *f, uintptr_t ubuf, size_t room)
{
	struct tmpfs *fs = fs_of(f->mnt);
	struct tnode *dir = f->priv;
	size_t used = 0;
	long index = 0, r = 0;
	bool full = false;

	rt_lock(&f->lock);
	rt_lock(&fs->lock);
	long skip = f->pos;
	for (int dot = 0; dot < 2; dot++) {
		if (index++ < skip)
			continue;
		uint64_t ino = dot && dir->parent ? dir->parent->ino : dir->ino;
		r = vfs_put_dirent(ubuf + used, room - used, ino, (uint64_t)index, 4, dot ? ".." : ".", (size_t)dot + 1);
		if (r <= 0) {
			full = true;
			index--;
			break;
		}
		used += (size_t)r;
	}
	for (struct tnode *c = dir->children; c && !full; c = c->next) {
		if (index++ < skip)
			continue;
		unsigned t = (c->mode & S_IFMT) == S_IFDIR ? 4 : (c->mode & S_IFMT) == S_IFLNK ? 10 : 8;
		r = vfs_put_dirent(ubuf + used, room - used, c->ino, (uint64_t)index, t, c->name, strlen(c->name));
		if (r <= 0) {
			full = true;
			index--;
			break;
		}
		used += (size_t)r;
	}
	f->pos = index;
	rt_unlock(&fs->lock);
	rt_unlock(&f->lock);
	if (r < 0)
		return r;
	return full && !used ? -EINVAL : (long)used;
}

static const struct file_ops tmpfs_file_ops, tmpfs_dir_ops;

/* open of /proc/self/fd/N: the same node, even if it was renamed or
 * unlinked since, in a new open file description. */
static long tf_reopen(struct file *f, int flags, struct file **out)
{
	struct tmpfs *fs = fs_of(f->mnt);
	struct tnode *n = f->priv;
	bool isdir = f->ops == &tmpfs_dir_ops;
	long r = 0;

	if (isdir && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)))
		return -EISDIR;
	if (!isdir && (flags & O_DIRECTORY))
		return -ENOTDIR;
	long fd = file_placeholder(flags);
	if (fd < 0)
		return fd;
	if (!(*out = file_new(f->ops, f->mnt, f->path, flags))) {
		plat_host_close((int)fd);
		return -ENOMEM;
	}
	rt_lock(&fs->lock);
	n->opens++;
	if (!isdir && (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY)
		r = resize(n, 0);
	rt_unlock(&fs->lock);
	(*out)->priv = n;
	if (r) {
		file_put(*out); /* drops the open count again */
		plat_host_close((int)fd);
		return r;
	}
	return fd;
}

static const struct file_ops tmpfs_file_ops = {
	.name = "tmpfs",
	.pread = tf_pread,
	.pwrite = tf_pwrite,
	.size = tf_size,
	.stat = tf_stat,
	.truncate = tf_truncate,
	.chmod = tf_chmod,
	.reopen = tf_reopen,
	.deny = EINVAL,
	.release = tf_release,
};

static const struct file_ops tmpfs_dir_ops = {
	.name = "tmpfs directory",
	.stat = tf_stat,
	.getdents = td_getdents,
	.chmod = tf_chmod,
	.reopen = tf_reopen,
	.deny = EISDIR,
	.release = tf_release,
};

/* ---- the mount -------------------------------------------------------------------- */

static unsigned current_umask(void)
{
	return current()->proc->umask;
}

static long m_open(const struct vfs_path *p, int flags, unsigned mode, struct file **out)
{
	struct tmpfs *fs = fs_of(p->mnt);
	struct tnode *n, *dir;
	const char *name;
	size_t len;
	long r;

	if ((flags & O_TMPFILE) == O_TMPFILE) /* O_TMPFILE includes O_DIRECTORY */
		return -EOPNOTSUPP;
	rt_lock(&fs->lock);
	r = walk(fs, p->rel, false, &n, NULL, NULL);
	if (r == -ENOENT && (flags & O_CREAT)) {
		r = walk(fs, p->rel, true, &dir, &name, &len);
		if (!r && p->dir)
			r = -EISDIR;
		if (!r && !(n = node_new(fs, S_IFREG | (mode & 07777 & ~current_umask()), name, len)))
			r = -ENOMEM;
		if (!r) {
			n->uid = host_euid();
			n->gid = host_egid();
			attach(dir, n);
		}
	} else if (!r) {
		unsigned type = n->mode & S_IFMT;
		if ((flags & O_CREAT) && (flags & O_EXCL))
			r = -EEXIST;
		else if (type == S_IFLNK)
			r = -ELOOP;
		else if (type == S_IFDIR && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)))
			r = -EISDIR;
		else if (type != S_IFDIR && ((flags & O_DIRECTORY) || p->dir))
			r = -ENOTDIR;
		else if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && type == S_IFREG)
			r = resize(n, 0);
	}
	if (!r)
		n->opens++;
	rt_unlock(&fs->lock);
	if (r)
		return r;

	long fd = file_placeholder(flags);
	bool isdir = (n->mode & S_IFMT) == S_IFDIR;
	*out = fd < 0 ? NULL : file_new(isdir ? &tmpfs_dir_ops : &tmpfs_file_ops, p->mnt, p->abs, flags);
	if (!*out) {
		if (fd >= 0)
			plat_host_close((int)fd);
		rt_lock(&fs->lock);
		n->opens--;
		rt_unlock(&fs->lock);
		return fd < 0 ? fd : -ENOMEM;
	}
	(*out)->priv = n;
	return fd;
}

static long m_stat(const struct vfs_path *p, int at_flags, struct kstat_buf *st)
{
	struct tmpfs *fs = fs_of(p->mnt);
	struct tnode *n;
	(void)at_flags;
	rt_lock(&fs->lock);
	long r = lookup(p, &n);
	if (!r)
		node_stat(n, st);
	rt_unlock(&fs->lock);
	return r;
}

static long m_statx(const struct vfs_path *p, int at_flags, unsigned mask, void *buf)
{
	struct kstat_buf st;
	(void)mask;
	long r = m_stat(p, at_flags, &st);
	if (!r)
		vfs_stat_to_statx(&st, buf);
	return r;
}

static long m_access(const struct vfs_path *p, int mode, int at_flags)
{
	struct kstat_buf st;
	long r = m_stat(p, at_flags, &st);
	unsigned m = ((struct stat *)st.raw)->st_mode;
	if (!r && (mode & 1) && (m & S_IFMT) != S_IFDIR && !(m & 0111))
		r = -EACCES;
	return r;
}

static long m_readlink(const struct vfs_path *p, char *buf, size_t len)
{
	struct tmpfs *fs = fs_of(p->mnt);
	struct tnode *n;
	rt_lock(&fs->lock);
	long r = walk(fs, p->rel, false, &n, NULL, NULL);
	if (!r && (n->mode & S_IFMT) != S_IFLNK)
		r = -EINVAL;
	if (!r) {
		size_t k = RT_MIN(strlen(n->target), len);
		memcpy(buf, n->target, k);
		r = (long)k;
	}
	rt_unlock(&fs->lock);
	return r;
}

static long m_link_target(const struct vfs_mount *m, const char *rel, char *buf, size_t len)
{
	struct vfs_path p = { (struct vfs_mount *)m, "", rel, false };
	return m_readlink(&p, buf, len);
}

/* Create a node at p (mkdir, symlink, mknod). */
static long create(const struct vfs_path *p, unsigned mode, const char *target)
{
	struct tmpfs *fs = fs_of(p->mnt);
	struct tnode *dir, *n;
	const char *name;
	size_t len;

	rt_lock(&fs->lock);
	long r = walk(fs, p->rel, true, &dir, &name, &len);
	if (r == -EBUSY)
		r = -EEXIST;
	if (!r && child(dir, name, len))
		r = -EEXIST;
	if (!r && !(n = node_new(fs, mode, name, len)))
		r = -ENOMEM;
	if (!r && target && !(n->target = rt_strdup(target))) {
		node_free(n);
		r = -ENOMEM;
	}
	if (!r) {
		n->uid = host_euid();
		n->gid = host_egid();
		attach(dir, n);
	}
	rt_unlock(&fs->lock);
	return r;
}

static long m_mkdir(const struct vfs_path *p, unsigned mode)
{
	return create(p, S_IFDIR | (mode & 07777 & ~current_umask()), NULL);
}

static long m_mknod(const struct vfs_path *p, unsigned mode, unsigned dev)
{
	(void)dev;
	unsigned type = mode & S_IFMT;
	if (type != 0 && type != S_IFREG)
		return -EPERM; /* devices, fifos and sockets need the host */
	return create(p, S_IFREG | (mode & 07777 & ~current_umask()), NULL);
}

static long m_symlink(const char *target, const struct vfs_path *p)
{
	return create(p, S_IFLNK | 0777, target);
}

static void drop(struct tnode *n)
{
	detach(n);
	if (n->opens)
		n->unlinked = true;
	else
		node_free(n);
}

static long m_unlink(const struct vfs_path *p, int at_flags)
{
	struct tmpfs *fs = fs_of(p->mnt);
	struct tnode *n;
	rt_lock(&fs->lock);
	long r = walk(fs, p->rel, false, &n, NULL, NULL);
	if (!r && n == fs->root)
		r = -EBUSY;
	else if (!r && (at_flags & AT_REMOVEDIR)) {
		if ((n->mode & S_IFMT) != S_IFDIR)
			r = -ENOTDIR;
		else if (n->children)
			r = -ENOTEMPTY;
	} else if (!r && (n->mode & S_IFMT) == S_IFDIR) {
		r = -EISDIR;
	}
	if (!r)
		drop(n);
	rt_unlock(&fs->lock);
	return r;
}

static bool inside(const struct tnode *n, const struct tnode *dir)
{
	for (; n; n = n->parent)
		if (n == dir)
			return true;
	return false;
}

static long m_rename(const struct vfs_path *from, const struct vfs_path *to, unsigned flags)
{
	struct tmpfs *fs = fs_of(from->mnt);
	struct tnode *n, *dir, *old;
	const char *name;
	size_t len;

	if (flags & ~1u) /* only RENAME_NOREPLACE */
		return -EINVAL;
	rt_lock(&fs->lock);
	long r = walk(fs, from->rel, false, &n, NULL, NULL);
	if (!r && n == fs->root)
		r = -EBUSY;
	if (!r)
		r = walk(fs, to->rel, true, &dir, &name, &len);
	if (!r && inside(dir, n))
		r = -EINVAL; /* a directory into itself */
	if (!r && (old = child(dir, name, len)) && old != n) {
		bool ndir = (n->mode & S_IFMT) == S_IFDIR, odir = (old->mode & S_IFMT) == S_IFDIR;
		if (flags & 1)
			r = -EEXIST;
		else if (ndir && !odir)
			r = -ENOTDIR;
		else if (!ndir && odir)
			r = -EISDIR;
		else if (odir && old->children)
			r = -ENOTEMPTY;
		else
			drop(old);
	}
	if (!r && child(dir, name, len) != n) {
		char *nm = rt_alloc(len + 1);
		if (!nm) {
			r = -ENOMEM;
		} else {
			memcpy(nm, name, len);
			nm[len] = 0;
			detach(n);
			rt_free(n->name);
			n->name = nm;
			attach(dir, n);
		}
	}
	rt_unlock(&fs->lock);
	return r;
}

static long m_link(const struct vfs_path *from, const struct vfs_path *to, int at_flags)
{
	(void)from, (void)to, (void)at_flags;
	return -EPERM;
}

static long m_chmod(const struct vfs_path *p, unsigned mode, int at_flags)
{
	struct tmpfs *fs = fs_of(p->mnt);
	struct tnode *n;
	(void)at_flags;
	rt_lock(&fs->lock);
	long r = lookup(p, &n);
	if (!r)
		n->mode = (n->mode & S_IFMT) | (mode & 07777);
	rt_unlock(&fs->lock);
	return r;
}

static long m_chown(const struct vfs_path *p, unsigned uid, unsigned gid, int at_flags)
{
	struct tmpfs *fs = fs_of(p->mnt);
	struct tnode *n;
	(void)at_flags;
	rt_lock(&fs->lock);
	long r = lookup(p, &n);
	if (!r) {
		if (uid != (unsigned)-1)
			n->uid = uid;
		if (gid != (unsigned)-1)
			n->gid = gid;
	}
	rt_unlock(&fs->lock);
	return r;
}

static long m_truncate(const struct vfs_path *p, long len)
{
	struct tmpfs *fs = fs_of(p->mnt);
	struct tnode *n;
	if (len < 0)
		return -EINVAL;
	rt_lock(&fs->lock);
	long r = lookup(p, &n);
	if (!r && (n->mode & S_IFMT) != S_IFREG)
		r = (n->mode & S_IFMT) == S_IFDIR ? -EISDIR : -EINVAL;
	if (!r)
		r = resize(n, len);
	rt_unlock(&fs->lock);
	return r;
}

static long m_utimens(const struct vfs_path *p, const void *times, int at_flags)
{
	struct tmpfs *fs = fs_of(p->mnt);
	struct tnode *n;
	(void)at_flags;
	rt_lock(&fs->lock);
	long r = lookup(p, &n);
	if (!r) {
		const long *ts = times; /* atime, then mtime, as timespecs */
		if (!ts || ts[3] == UTIME_NOW)
			n->mtime = now();
		else if (ts[3] != UTIME_OMIT)
			n->mtime = (uint64_t)ts[2];
	}
	rt_unlock(&fs->lock);
	return r;
}

static long m_statfs(const struct vfs_path *p, void *buf)
{
	struct kstat_buf st;
	long r = m_stat(p, 0, &st);
	if (r)
		return r;
	struct statfs *f = buf;
	memset(f, 0, sizeof *f);
	f->f_type = TMPFS_MAGIC;
	f->f_bsize = 4096;
	f->f_blocks = 1 << 18;
	f->f_bfree = 1 << 17;
	f->f_bavail = 1 << 17;
	f->f_namelen = 255;
	f->f_frsize = 4096;
	return 0;
}

static long m_xattr(const struct vfs_path *p, long nr, uintptr_t name, uintptr_t value, size_t size, int flags)
{
	struct kstat_buf st;
	(void)name, (void)value, (void)size, (void)flags;
	long r = m_stat(p, 0, &st);
	if (r)
		return r;
	return (nr == __NR_listxattr || nr == __NR_llistxattr) ? 0 : -EOPNOTSUPP;
}

const struct mount_ops tmpfs_ops = {
	.name = "tmpfs",
	.open = m_open,
	.stat = m_stat,
	.statx = m_statx,
	.access = m_access,
	.readlink = m_readlink,
	.mkdir = m_mkdir,
	.mknod = m_mknod,
	.unlink = m_unlink,
	.rename = m_rename,
	.link = m_link,
	.symlink = m_symlink,
	.chmod = m_chmod,
	.chown = m_chown,
	.truncate = m_truncate,
	.utimens = m_utimens,
	.statfs = m_statfs,
	.xattr = m_xattr,
	.link_target = m_link_target,
};

int tmpfs_init(struct vfs_mount *m)
{
	struct tmpfs *fs = rt_zalloc(sizeof *fs);
	if (!fs || !(fs->root = node_new(fs, S_IFDIR | 01777, "", 0)))
		return -ENOMEM;
	m->priv = fs;
	return 0;
}
