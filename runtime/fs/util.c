/*
 * util.c - what mount types share: struct stat, struct statx and
 * linux_dirent64 as x86-64 Linux defines them, placeholder host fds, and
 * opening a runtime-backed file or directory.
 */
#include <linux/fcntl.h>

#include "../mm/mm.h"
#include "vfs.h"
#include "../lib/host.h"

void vfs_fill_stat(struct kstat_buf *st, unsigned mode, uint64_t size, uint64_t ino, uint64_t mtime)
{
	uint8_t *b = st->raw;
	memset(b, 0, sizeof st->raw);
	*(uint64_t *)(b + 0) = 0x636f66; /* st_dev: "cof" */
	*(uint64_t *)(b + 8) = ino;
	*(uint64_t *)(b + 16) = (mode & 0170000) == 0040000 ? 2 : 1; /* st_nlink */
	*(uint32_t *)(b + 24) = mode;
	*(uint64_t *)(b + 48) = size;
	*(uint64_t *)(b + 56) = 4096;              /* st_blksize */
	*(uint64_t *)(b + 64) = (size + 511) / 512; /* st_blocks */
	*(uint64_t *)(b + 72) = mtime;             /* atime */
	*(uint64_t *)(b + 88) = mtime;             /* mtime */
	*(uint64_t *)(b + 104) = mtime;            /* ctime */
}

void vfs_stat_to_statx(const struct kstat_buf *st, void *out)
{
	const uint8_t *s = st->raw;
	uint8_t *x = out;
	memset(x, 0, 256);
	*(uint32_t *)(x + 0) = 0x7ff; /* STATX_BASIC_STATS */
	*(uint32_t *)(x + 4) = (uint32_t)*(const uint64_t *)(s + 56);
	*(uint32_t *)(x + 16) = (uint32_t)*(const uint64_t *)(s + 16);
	*(uint32_t *)(x + 20) = *(const uint32_t *)(s + 28);
	*(uint32_t *)(x + 24) = *(const uint32_t *)(s + 32);
	*(uint16_t *)(x + 28) = (uint16_t)*(const uint32_t *)(s + 24);
	*(uint64_t *)(x + 32) = *(const uint64_t *)(s + 8);
	*(uint64_t *)(x + 40) = *(const uint64_t *)(s + 48);
	*(uint64_t *)(x + 48) = *(const uint64_t *)(s + 64);
	for (int i = 0; i < 4; i++) { /* atime, btime, ctime, mtime */
		static const int from[4] = { 72, 88, 104, 88 };
		*(int64_t *)(x + 64 + 16 * i) = *(const int64_t *)(s + from[i]);
		*(uint32_t *)(x + 72 + 16 * i) = (uint32_t)*(const uint64_t *)(s + from[i] + 8);
	}
	uint64_t dev = *(const uint64_t *)(s + 0);
	*(uint32_t *)(x + 136) = (uint32_t)(dev >> 8);
	*(uint32_t *)(x + 140) = (uint32_t)(dev & 0xff);
}

long vfs_put_dirent(uintptr_t ubuf, size_t room, uint64_t ino, uint64_t off, unsigned type, const char *name,
		    size_t len)
{
	uint8_t d[19 + 256 + 8];
	size_t reclen = RT_ALIGN_UP(19 + len + 1, 8);

	if (len > 255)
		return -ENAMETOOLONG;
	if (reclen > room)
		return 0;
	memset(d, 0, reclen);
	*(uint64_t *)d = ino;
	*(uint64_t *)(d + 8) = off;
	*(uint16_t *)(d + 16) = (uint16_t)reclen;
	d[18] = (uint8_t)type;
	memcpy(d + 19, name, len);
	return uaccess_copy_to(ubuf, d, reclen) ? -EFAULT : (long)reclen;
}

void vfs_list(struct vfs_listing *l, long key, uint64_t ino, unsigned type, const char *name)
{
	if (l->err || key < l->pos)
		return;
	long r = vfs_put_dirent(l->ubuf + l->used, l->room - l->used, ino, (uint64_t)key + 1, type, name,
				strlen(name));
	if (r <= 0) {
		l->err = r ? r : 1;
		return;
	}
	l->used += (size_t)r;
	l->pos = key + 1;
}

long vfs_list_result(const struct vfs_listing *l)
{
	if (l->err < 0)
		return l->err;
	if (l->err == 1 && l->used == 0)
		return -EINVAL; /* too small for one entry */
	return (long)l->used;
}

long vfs_dir_open_check(int flags)
{
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST; /* the directory exists */
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT))
		return -EISDIR;
	return 0;
}

long file_open_runtime(const struct file_ops *ops, const struct vfs_path *p, int flags, void *priv,
		       struct file **out)
{
	long fd = file_placeholder(flags);
	if (fd < 0)
		return fd;
	*out = file_new(ops, p->mnt, p->abs, flags);
	if (!*out) {
		plat_host_close((int)fd);
		return -ENOMEM;
	}
	(*out)->priv = priv;
	return fd;
}

long file_placeholder(int flags)
{
	/* MFD_CLOEXEC as the application asked; runtime-backed files other
	 * than trusted ones do not survive execve, so always close on exec */
	(void)flags;
	return host_fd("memfd_create", plat_host_memfd_create("coffer-file", 1 /* MFD_CLOEXEC */));
}
