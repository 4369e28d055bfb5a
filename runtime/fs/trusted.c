/*
 * trusted.c - the trusted mount: read-only files whose SHA-256 and size the
 * signed manifest holds (docs/design.md section 5).
 *
 * What exists below a trusted mount is what the manifest lists, nothing else:
 * names, kinds, sizes, modes, times and symlink targets all come from the
 * manifest; the host provides only file contents, which are checked:
 *  - the first open of a file in a process reads it whole, compares its
 *    SHA-256 with the manifest's, and keeps the hash of every 16 KiB chunk;
 *  - every later read re-reads the chunks it touches from the host and
 *    compares them with those hashes, so a host that changes the file later
 *    is caught (EIO, and an error line naming the file);
 *  - mmap copies checked bytes into private memory (vfs_file_mmap);
 *  - writes, truncation, renames, unlinks, chmods: EACCES.
 * Directories are listed from the manifest; symlinks are followed by the
 * runtime's resolver (link_target), never by the host.
 *
 * The chunk hashes are per process (fork copies them) and guarded by
 * cache_lock; a file's position and reads are guarded by its file lock.
 */
#include <linux/fcntl.h>

#include "../../common/manifest.h"
#include "../boot/boot.h"
#include "../lib/crypto.h"
#include "../mm/mm.h"
#include "../proc/proc.h"
#include "vfs.h"
#include "../lib/host.h"

#define CHUNK (16u << 10)


struct verified {
	uint32_t nchunks;
	uint8_t hash[][32];
};

static struct rt_lock cache_lock = RT_LOCK_INIT;
static struct verified **cache; /* per FILES index; NULL until first open */

/* The host path of a manifest path below mount m. */
static long host_path_of(const struct vfs_mount *m, const char *abs, char *buf, size_t n)
{
	const char *tail = m->path_len == 1 ? abs : abs + m->path_len;
	size_t len = (size_t)rt_snprintf(buf, n, "%s%s", m->host_root, tail);
	return len >= n ? -ENAMETOOLONG : 0;
}

static long lookup(const struct vfs_path *p, struct man_file *f)
{
	long i = man_find_file(&rt_manifest, p->abs);
	if (i < 0)
		return -ENOENT;
	man_file(&rt_manifest, (uint32_t)i, f);
	if (p->dir && f->kind == MAN_FILE_REG)
		return -ENOTDIR;
	return i;
}

static uint64_t ino_of(long index)
{
	return 0x7000000000ULL + (uint64_t)index + 1;
}

static unsigned type_bits(uint32_t kind)
{
	return kind == MAN_FILE_DIR ? 0040000 : kind == MAN_FILE_SYMLINK ? 0120000 : 0100000;
}

static void fill_stat(long index, const struct man_file *f, struct kstat_buf *st)
{
	uint64_t size = f->kind == MAN_FILE_SYMLINK ? strlen(man_str(&rt_manifest, f->target))
			: f->kind == MAN_FILE_DIR  ? 4096
						   : f->size;
	vfs_fill_stat(st, type_bits(f->kind) | f->mode, size, ino_of(index), f->mtime);
}

/* ---- verification ---------------------------------------------------------------- */

static long pread_all(long fd, void *buf, size_t n, long off)
{
	size_t got = 0;
	while (got < n) {
		long r = host_len("pread", plat_host_pread((int)fd, (char *)buf + got, n - got, off + (long)got), n - got);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? r : -EIO; /* shorter than signed */
		got += (size_t)r;
	}
	return (long)got;
}

/* Read the whole file, check it against the manifest, keep chunk hashes. */
static long verify_file(long index, const struct man_file *mf, const char *path, const char *host, long fd)
{
	uint32_t nchunks = (uint32_t)((mf->size + CHUNK - 1) / CHUNK);
	struct verified *v = rt_alloc(sizeof *v + (size_t)nchunks * 32);
	uint8_t *buf = rt_alloc(CHUNK);
	struct rt_sha256_ctx whole;
	uint8_t digest[32];
	long r = 0;

	if (!v || !buf) {
		rt_free(v);
		rt_free(buf);
		return -ENOMEM;
	}
	v->nchunks = nchunks;
	rt_sha256_init(&whole);
	for (uint32_t c = 0; c < nchunks && r >= 0; c++) {
		size_t n = (size_t)RT_MIN((uint64_t)CHUNK, mf->size - (uint64_t)c * CHUNK);
		r = pread_all(fd, buf, n, (long)c * CHUNK);
		if (r < 0)
			break;
		rt_sha256(buf, n, v->hash[c]);
		rt_sha256_update(&whole, buf, n);
	}
	/* also nothing after the signed end */
	if (r >= 0 && plat_host_pread((int)fd, buf, 1, (long)mf->size) != 0)
		r = -EIO;
	rt_sha256_final(&whole, digest);
	rt_free(buf);
	if (r < 0 || rt_memcmp_ct(digest, mf->sha256, 32)) {
		log_error("trusted file %s does not match the manifest (its contents on the host, %s, were "
			  "changed); refusing to use it",
			  path, host);
		rt_free(v);
		return -EACCES;
	}
	rt_lock(&cache_lock);
	if (!cache[index]) {
		cache[index] = v;
		v = NULL;
	}
	rt_unlock(&cache_lock);
	rt_free(v); /* another thread verified it meanwhile */
	return 0;
}

static const struct verified *verified(long index)
{
	rt_lock(&cache_lock);
	const struct verified *v = cache[index];
	rt_unlock(&cache_lock);
	return v;
}

/* ---- regular files ------------------------------------------------------------ */

struct tfile {
	long index;
	long fd; /* host fd: the file's contents (the application's fd number) */
	uint64_t size;
};

static long tf_pread(struct file *f, void *dst, size_t n, long off, bool user)
{
	struct tfile *t = f->priv;
	const struct verified *v = verified(t->index);
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= t->size || n == 0)
		return 0;
	n = (size_t)RT_MIN((uint64_t)n, t->size - (uint64_t)off);
	uint8_t *buf = rt_alloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	size_t done = 0;
	long r = 0;
	while (done < n) {
		uint64_t pos = (uint64_t)off + done;
		uint32_t c = (uint32_t)(pos / CHUNK);
		size_t clen = (size_t)RT_MIN((uint64_t)CHUNK, t->size - (uint64_t)c * CHUNK);
		uint8_t h[32];
		if ((r = pread_all(t->fd, buf, clen, (long)c * CHUNK)) < 0)
			break;
		rt_sha256(buf, clen, h);
		if (rt_memcmp_ct(h, v->hash[c], 32)) {
			log_error("trusted file %s was changed on the host after it was verified (bytes %lu to %lu); "
				  "reads fail with EIO",
				  f->path, (unsigned long)c * CHUNK, (unsigned long)c * CHUNK + clen);
			r = -EIO;
			break;
		}
		size_t in = (size_t)(pos - (uint64_t)c * CHUNK), take = RT_MIN(clen - in, n - done);
		if (user) {
			if (uaccess_copy_to((uintptr_t)dst + done, buf + in, take)) {
				r = -EFAULT;
				break;
			}
		} else {
			memcpy((uint8_t *)dst + done, buf + in, take);
		}
		done += take;
	}
	rt_free(buf);
	return done ? (long)done : r;
}

static long tf_size(struct file *f)
{
	return (long)((struct tfile *)f->priv)->size;
}

static long tf_stat(struct file *f, struct kstat_buf *st)
{
	struct tfile *t = f->priv;
	struct man_file mf;
	man_file(&rt_manifest, (uint32_t)t->index, &mf);
	fill_stat(t->index, &mf, st);
	return 0;
}

static void tf_release(struct file *f)
{
	rt_free(f->priv);
}

static const struct file_ops trusted_file_ops = {
	.name = "trusted",
	.pread = tf_pread,
	.size = tf_size,
	.stat = tf_stat,
	.deny = EACCES,
	.release = tf_release,
};

/* ---- directories --------------------------------------------------------------- */

static long td_getdents(struct file *f, uintptr_t ubuf, size_t room)
{
	struct tfile *t = f->priv;
	const char *dir = f->path;
	size_t dlen = strlen(dir), used = 0;
	long index = 0, r = 0;
	bool full = false;

	rt_lock(&f->lock);
	long skip = f->pos;
	/* "." and ".." then the manifest's entries directly below dir */
	for (int dot = 0; dot < 2 && !full; dot++, index++) {
		if (index < skip)
			continue;
		r = vfs_put_dirent(ubuf + used, room - used, dot ? 2 : ino_of(t->index), (uint64_t)index + 1, 4,
				   dot ? ".." : ".", (size_t)dot + 1);
		if (r <= 0) {
			full = true;
			index--;
			break;
		}
		used += (size_t)r;
	}
	for (uint32_t i = man_first_under(&rt_manifest, dir); i < rt_manifest.nfiles && !full; i++) {
		struct man_file mf;
		man_file(&rt_manifest, i, &mf);
		const char *p = man_str(&rt_manifest, mf.path);
		if (dlen > 1 && (strncmp(p, dir, dlen) || p[dlen] != '/'))
			break;
		const char *name = p + (dlen > 1 ? dlen + 1 : 1);
		if (!*name || strchr(name, '/'))
			continue; /* deeper down */
		if (index++ < skip)
			continue;
		unsigned type = mf.kind == MAN_FILE_DIR ? 4 : mf.kind == MAN_FILE_SYMLINK ? 10 : 8;
		r = vfs_put_dirent(ubuf + used, room - used, ino_of(i), (uint64_t)index, type, name, strlen(name));
		if (r <= 0) {
			full = true;
			index--;
			break;
		}
		used += (size_t)r;
	}
	f->pos = index;
	rt_unlock(&f->lock);
	if (r < 0)
		return r;
	if (full && !used)
		return -EINVAL; /* too small for one entry */
	return (long)used;
}

static const struct file_ops trusted_dir_ops = {
	.name = "trusted directory",
	.getdents = td_getdents,
	.stat = tf_stat,
	.deny = EISDIR,
	.release = tf_release,
};

/* ---- the mount ------------------------------------------------------------------ */

static long t_open(const struct vfs_path *p, int flags, unsigned mode, struct file **out)
{
	struct man_file mf;
	long index = lookup(p, &mf);
	char host[RT_PATH_MAX];
	(void)mode;

	if (index == -ENOENT && (flags & O_CREAT))
		return -EACCES;
	if (index < 0)
		return index;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return mf.kind == MAN_FILE_DIR ? -EISDIR : -EACCES;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return -EEXIST;
	if (mf.kind == MAN_FILE_SYMLINK)
		return -ELOOP; /* the resolver followed it unless O_NOFOLLOW */
	if ((flags & O_DIRECTORY) && mf.kind != MAN_FILE_DIR)
		return -ENOTDIR;

	struct tfile *t = rt_zalloc(sizeof *t);
	if (!t)
		return -ENOMEM;
	t->index = index;
	t->size = mf.size;
	long fd;
	if (mf.kind == MAN_FILE_DIR) {
		fd = file_placeholder(flags);
	} else {
		long r = host_path_of(p->mnt, p->abs, host, sizeof host);
		long a[6] = { VFS_AT_FDCWD, (long)host, O_RDONLY | (flags & O_CLOEXEC) };
		fd = r ? r : host_fd("open", plat_forward(__NR_openat, a));
		if (fd >= 0 && !verified(index) && (r = verify_file(index, &mf, p->abs, host, fd))) {
			plat_host_close((int)fd);
			fd = r;
		}
		if (fd == -ENOENT)
			log_error("trusted file %s is missing on the host (%s)", p->abs, host);
	}
	if (fd < 0) {
		rt_free(t);
		return fd;
	}
	t->fd = fd;
	*out = file_new(mf.kind == MAN_FILE_DIR ? &trusted_dir_ops : &trusted_file_ops, p->mnt, p->abs, flags);
	if (!*out) {
		plat_host_close((int)fd);
		rt_free(t);
		return -ENOMEM;
	}
	(*out)->priv = t;
	return fd;
}

static long t_stat(const struct vfs_path *p, int at_flags, struct kstat_buf *st)
{
	struct man_file mf;
	long index = lookup(p, &mf);
	(void)at_flags; /* the resolver already followed a final symlink unless asked not to */
	if (index < 0)
		return index;
	fill_stat(index, &mf, st);
	return 0;
}

static long t_statx(const struct vfs_path *p, int at_flags, unsigned mask, void *buf)
{
	struct kstat_buf st;
	(void)mask;
	long r = t_stat(p, at_flags, &st);
	if (!r)
		vfs_stat_to_statx(&st, buf);
	return r;
}

static long t_access(const struct vfs_path *p, int mode, int at_flags)
{
	struct man_file mf;
	long index = lookup(p, &mf);
	(void)at_flags;
	if (index < 0)
		return index;
	if (mode & 2 /* W_OK */)
		return -EACCES;
	if ((mode & 1 /* X_OK */) && mf.kind != MAN_FILE_DIR && !(mf.mode & 0111))
		return -EACCES;
	return 0;
}

static long t_readlink(const struct vfs_path *p, char *buf, size_t n)
{
	struct man_file mf;
	long index = lookup(p, &mf);
	if (index < 0)
		return index;
	if (mf.kind != MAN_FILE_SYMLINK)
		return -EINVAL;
	const char *target = man_str(&rt_manifest, mf.target);
	size_t len = RT_MIN(strlen(target), n);
	memcpy(buf, target, len);
	return (long)len;
}

static long t_link_target(const struct vfs_mount *m, const char *rel, char *buf, size_t n)
{
	char abs[RT_PATH_MAX];
	struct vfs_path p = { (struct vfs_mount *)m, abs, rel, false };
	if ((size_t)rt_snprintf(abs, sizeof abs, "%s%s%s", m->path_len == 1 ? "" : m->path, *rel ? "/" : "", rel) >=
	    sizeof abs)
		return -ENAMETOOLONG;
	if (m->path_len == 1 && !*rel)
		str_copy(abs, "/", sizeof abs);
	return t_readlink(&p, buf, n);
}

static long t_denied(void)
{
	return -EACCES;
}

static long t_mkdir(const struct vfs_path *p, unsigned mode)
{
	struct man_file mf;
	(void)mode;
	return lookup(p, &mf) >= 0 ? -EEXIST : t_denied();
}

static long t_mknod(const struct vfs_path *p, unsigned mode, unsigned dev)
{
	(void)dev;
	return t_mkdir(p, mode);
}

static long t_unlink(const struct vfs_path *p, int at_flags)
{
	struct man_file mf;
	(void)at_flags;
	long r = lookup(p, &mf);
	return r < 0 ? r : t_denied();
}

static long t_rename(const struct vfs_path *a, const struct vfs_path *b, unsigned flags)
{
	(void)b, (void)flags;
	return t_unlink(a, 0);
}

static long t_link(const struct vfs_path *a, const struct vfs_path *b, int at_flags)
{
	(void)b, (void)at_flags;
	return t_unlink(a, 0);
}

static long t_symlink(const char *target, const struct vfs_path *p)
{
	(void)target;
	return t_mkdir(p, 0);
}

static long t_chmod(const struct vfs_path *p, unsigned mode, int at_flags)
{
	(void)mode;
	return t_unlink(p, at_flags);
}

static long t_chown(const struct vfs_path *p, unsigned uid, unsigned gid, int at_flags)
{
	(void)uid, (void)gid;
	return t_unlink(p, at_flags);
}

static long t_truncate(const struct vfs_path *p, long len)
{
	(void)len;
	return t_unlink(p, 0);
}

static long t_utimens(const struct vfs_path *p, const void *times, int at_flags)
{
	(void)times;
	return t_unlink(p, at_flags);
}

static long t_xattr(const struct vfs_path *p, long nr, uintptr_t name, uintptr_t value, size_t size, int flags)
{
	struct man_file mf;
	(void)name, (void)value, (void)size, (void)flags;
	long r = lookup(p, &mf);
	if (r < 0)
		return r;
	if (nr == __NR_listxattr || nr == __NR_llistxattr)
		return 0; /* none signed */
	if (nr == __NR_getxattr || nr == __NR_lgetxattr)
		return -ENODATA;
	return -EACCES;
}

static long t_statfs(const struct vfs_path *p, void *buf)
{
	struct man_file mf;
	long r = lookup(p, &mf);
	if (r < 0)
		return r;
	memset(buf, 0, 120);
	*(uint64_t *)buf = 0x636f66666572ULL; /* f_type: "coffer" */
	*(uint64_t *)((uint8_t *)buf + 8) = 4096; /* f_bsize */
	*(uint64_t *)((uint8_t *)buf + 64) = 255; /* f_namelen */
	*(uint64_t *)((uint8_t *)buf + 72) = 4096; /* f_frsize */
	*(uint64_t *)((uint8_t *)buf + 80) = 1;    /* f_flags: ST_RDONLY */
	return 0;
}

const struct mount_ops trusted_ops = {
	.name = "trusted",
	.open = t_open,
	.stat = t_stat,
	.statx = t_statx,
	.access = t_access,
	.readlink = t_readlink,
	.mkdir = t_mkdir,
	.mknod = t_mknod,
	.unlink = t_unlink,
	.rename = t_rename,
	.link = t_link,
	.symlink = t_symlink,
	.chmod = t_chmod,
	.chown = t_chown,
	.truncate = t_truncate,
	.utimens = t_utimens,
	.statfs = t_statfs,
	.xattr = t_xattr,
	.link_target = t_link_target,
};

int trusted_init(void)
{
	cache = rt_zalloc(((size_t)rt_manifest.nfiles + 1) * sizeof *cache);
	return cache ? 0 : -ENOMEM;
}
