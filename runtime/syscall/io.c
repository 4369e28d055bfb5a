/*
 * io.c - system calls on the data of open files: read and write in all their
 * forms, lseek, fstat, getdents, ftruncate, fchmod, mmap of a file, sendfile.
 *
 * A host-backed file (pipes, sockets, passthrough files) is forwarded as the
 * call came. A runtime-backed file (trusted, tmpfs, synthetic directories) is
 * served by its ops (vfs.h): this layer checks the access mode, keeps the
 * file position under the file's lock, and turns vectored calls into one
 * operation per buffer. Calls that would move data between a runtime-backed
 * file and the kernel directly (splice, tee, copy_file_range) are refused
 * with EINVAL, as Linux refuses them for files that do not support them;
 * sendfile from a runtime-backed file is emulated.
 */
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/stat.h>

#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../mm/vma.h"
#include "../proc/proc.h"
#include "sys.h"
#include "../lib/host.h"

/* The runtime-backed file behind fd (one reference), or NULL: then *err is
 * 0 for a host-backed fd (forward the call) or -EBADF. */
static struct file *rfile(long fd, long *err)
{
	struct file *f = fd_get((int)fd);
	*err = 0;
	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	if (f->ops->host) {
		file_put(f);
		return NULL;
	}
	return f;
}

static bool readable(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY && !(f->flags & O_PATH);
}

static bool writable(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY && !(f->flags & O_PATH);
}

/* Read into application buffers at off (< 0: at the file position). */
static long do_read(struct file *f, const struct kiovec *iov, long cnt, long off)
{
	long total = 0, r = 0;

	if (!readable(f))
		return -EBADF;
	if (!f->ops->pread)
		return -f->ops->deny;
	rt_lock(&f->lock);
	long pos = off < 0 ? f->pos : off;
	for (long i = 0; i < cnt && total < MAX_RW_COUNT; i++) {
		size_t n = RT_MIN(iov[i].len, (size_t)(MAX_RW_COUNT - total));
		r = f->ops->pread(f, (void *)iov[i].base, n, pos + total, true);
		if (r < 0)
			break;
		total += r;
		if ((size_t)r < n)
			break;
	}
	if (off < 0)
		f->pos = pos + total;
	rt_unlock(&f->lock);
	return total ? total : r;
}

static long do_write(struct file *f, const struct kiovec *iov, long cnt, long off)
{
	long total = 0, r = 0;

	if (!writable(f))
		return -EBADF;
	if (!f->ops->pwrite)
		return -f->ops->deny;
	rt_lock(&f->lock);
	bool append = off < 0 && (f->flags & O_APPEND);
	long pos = off < 0 ? f->pos : off;
	for (long i = 0; i < cnt && total < MAX_RW_COUNT; i++) {
		size_t n = RT_MIN(iov[i].len, (size_t)(MAX_RW_COUNT - total));
		r = f->ops->pwrite(f, (const void *)iov[i].base, n, append ? -1 : pos + total, true);
		if (r < 0)
			break;
		total += r;
		if ((size_t)r < n)
			break;
	}
	if (off < 0)
		f->pos = append && f->ops->size ? f->ops->size(f) : pos + total;
	rt_unlock(&f->lock);
	return total ? total : r;
}

/* Copy an application iovec array in (checked: the buffers' own ranges are
 * checked by the ops' copies). */
static long get_iov(uintptr_t uiov, long cnt, struct kiovec *out)
{
	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	return uaccess_copy_from(out, uiov, (size_t)cnt * sizeof *out) ? -EFAULT : 0;
}

/*
 * Read or write a host-backed fd. Linux never interrupts I/O on a regular
 * file or a block device: a signal waits until the data has moved. The
 * interruptible path (SYS_BLOCK) skips the call with EINTR when a signal is
 * already held, and that EINTR would reach an application whose handler
 * lacks SA_RESTART (C code seldom retries a read of a file). So after EINTR
 * ask what the fd is, and for such a file make the call uninterruptibly
 * (through the marshaller again: copied and checked as the first try);
 * the held signal is delivered on the way back, after the data moved.
 */
static long host_rw(struct sys_call *c)
{
	long r = sys_forward(c);
	if (r != -EINTR)
		return r;
	struct kstat_buf st;
	if (host_stat("fstat", plat_host_fstat((int)c->a[0], &st.k), &st.k))
		return r;
	unsigned type = st.st.st_mode & S_IFMT;
	if (type != S_IFREG && type != S_IFBLK)
		return r;
	return sys_host_now(c, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

static long rw_one(struct sys_call *c, bool write, long off)
{
	long err;
	struct file *f = rfile(c->a[0], &err);
	if (!f)
		return err ? err : host_rw(c);
	struct kiovec iov = { (uintptr_t)c->a[1], (size_t)c->a[2] };
	long r = write ? do_write(f, &iov, 1, off) : do_read(f, &iov, 1, off);
	file_put(f);
	return r;
}

static long rw_vec(struct sys_call *c, bool write, long off)
{
	long err;
	struct file *f = rfile(c->a[0], &err);
	if (!f)
		return err ? err : host_rw(c);
	struct kiovec iov[UIO_MAXIOV];
	long r = get_iov((uintptr_t)c->a[1], c->a[2], iov);
	if (!r)
		r = write ? do_write(f, iov, c->a[2], off) : do_read(f, iov, c->a[2], off);
	file_put(f);
	return r;
}

long sys_read(struct sys_call *c) { return rw_one(c, false, -1); }
long sys_write(struct sys_call *c) { return rw_one(c, true, -1); }

long sys_pread64(struct sys_call *c)
{
	return c->a[3] < 0 ? -EINVAL : rw_one(c, false, c->a[3]);
}

long sys_pwrite64(struct sys_call *c)
{
	return c->a[3] < 0 ? -EINVAL : rw_one(c, true, c->a[3]);
}

long sys_readv(struct sys_call *c) { return rw_vec(c, false, -1); }
long sys_writev(struct sys_call *c) { return rw_vec(c, true, -1); }

long sys_preadv(struct sys_call *c)
{
	return c->a[3] < 0 ? -EINVAL : rw_vec(c, false, c->a[3]);
}

long sys_pwritev(struct sys_call *c)
{
	return c->a[3] < 0 ? -EINVAL : rw_vec(c, true, c->a[3]);
}

long sys_preadv2(struct sys_call *c)
{
	return c->a[3] < -1 ? -EINVAL : rw_vec(c, false, c->a[3]);
}

long sys_pwritev2(struct sys_call *c)
{
	return c->a[3] < -1 ? -EINVAL : rw_vec(c, true, c->a[3]);
}

long sys_lseek(struct sys_call *c)
{
	long err, off = c->a[1];
	int whence = (int)c->a[2];
	struct file *f = rfile(c->a[0], &err);
	if (!f)
		return err ? err : sys_forward(c);
	long r;
	rt_lock(&f->lock);
	long size = f->ops->size ? f->ops->size(f) : 0;
	switch (whence) {
	case 0: r = off; break;                          /* SEEK_SET */
	case 1: r = f->pos + off; break;                 /* SEEK_CUR */
	case 2: r = f->ops->size ? size + off : -EINVAL; break; /* SEEK_END */
	case 3: r = off < size ? off : -ENXIO; break;    /* SEEK_DATA */
	case 4: r = off < size ? size : -ENXIO; break;   /* SEEK_HOLE */
	default: r = -EINVAL; break;
	}
	if (r < 0 && r > -4096)
		; /* an error from above */
	else if (r < 0)
		r = -EINVAL;
	else
		f->pos = r;
	rt_unlock(&f->lock);
	file_put(f);
	return r;
}

long file_stat(struct file *f, struct kstat_buf *st)
{
	return f->ops->stat ? f->ops->stat(f, st) : -f->ops->deny;
}

long sys_fstat(struct sys_call *c)
{
	long err;
	struct kstat_buf st;
	struct file *f = rfile(c->a[0], &err);
	if (!f)
		return err ? err : sys_forward(c);
	long r = file_stat(f, &st);
	file_put(f);
	return r ? r : uaccess_copy_to((uintptr_t)c->a[1], &st, sizeof st);
}

long sys_getdents64(struct sys_call *c)
{
	long err;
	struct file *f = rfile(c->a[0], &err);
	if (!f)
		return err ? err : sys_forward(c);
	long r = f->ops->getdents ? f->ops->getdents(f, (uintptr_t)c->a[1], (size_t)c->a[2]) : -ENOTDIR;
	file_put(f);
	return r;
}

long sys_getdents(struct sys_call *c)
{
	long err;
	struct file *f = rfile(c->a[0], &err);
	if (!f)
		return err ? err : sys_forward(c);
	file_put(f);
	return -EINVAL; /* the old format is for 32-bit libcs */
}

long sys_ftruncate(struct sys_call *c)
{
	long err;
	struct file *f = rfile(c->a[0], &err);
	if (!f)
		return err ? err : sys_forward(c);
	long r = c->a[1] < 0 ? -EINVAL : !writable(f) ? -EINVAL : f->ops->truncate ? f->ops->truncate(f, c->a[1])
												  : -f->ops->deny;
	file_put(f);
	return r;
}

long sys_fchmod(struct sys_call *c)
{
	long err;
	struct file *f = rfile(c->a[0], &err);
	if (!f)
		return err ? err : fd_on_readonly_mount((int)c->a[0]) ? -EROFS : sys_forward(c);
	long r = f->ops->chmod ? f->ops->chmod(f, (unsigned)c->a[1]) : -f->ops->deny;
	file_put(f);
	return r;
}

/* Calls that only make sense on host-backed data. */
static long host_only(struct sys_call *c, int fd_arg, long runtime_result)
{
	long err;
	struct file *f = rfile(c->a[fd_arg], &err);
	if (!f)
		return err ? err : sys_forward(c);
	file_put(f);
	return runtime_result;
}

long sys_fchown(struct sys_call *c)
{
	return fd_on_readonly_mount((int)c->a[0]) ? -EROFS : host_only(c, 0, -EPERM);
}
long sys_fallocate(struct sys_call *c) { return host_only(c, 0, -EOPNOTSUPP); }
long sys_fsync(struct sys_call *c) { return host_only(c, 0, 0); }
long sys_fdatasync(struct sys_call *c) { return host_only(c, 0, 0); }
long sys_readahead(struct sys_call *c) { return host_only(c, 0, 0); }
long sys_fadvise64(struct sys_call *c) { return host_only(c, 0, 0); }

static long splice_like(struct sys_call *c, int in, int out)
{
	long err;
	struct file *f = rfile(c->a[in], &err);
	if (err)
		return err;
	if (!f)
		f = rfile(c->a[out], &err);
	if (err)
		return err;
	if (!f)
		return sys_forward(c);
	file_put(f);
	return -EINVAL;
}

long sys_splice(struct sys_call *c) { return splice_like(c, 0, 2); }
long sys_tee(struct sys_call *c) { return splice_like(c, 0, 1); }
long sys_copy_file_range(struct sys_call *c) { return splice_like(c, 0, 2); }

/* sendfile(out, in, offset, count): from a runtime-backed file, read through
 * its ops into a bounce buffer and write to out as the application would. */
long sys_sendfile(struct sys_call *c)
{
	long err, out = c->a[0];
	uintptr_t uoff = (uintptr_t)c->a[2];
	struct file *in = rfile(c->a[1], &err);
	if (!in) {
		if (err)
			return err;
		struct file *o = rfile(out, &err);
		if (o) {
			file_put(o);
			return -EINVAL;
		}
		return err ? err : sys_forward(c);
	}
	if (!readable(in) || !in->ops->pread) {
		file_put(in);
		return -EBADF;
	}
	long off;
	if (uoff && uaccess_copy_from(&off, uoff, sizeof off)) {
		file_put(in);
		return -EFAULT;
	}
	rt_lock(&in->lock);
	if (!uoff)
		off = in->pos;
	rt_unlock(&in->lock);
	size_t count = RT_MIN((size_t)c->a[3], (size_t)MAX_RW_COUNT), done = 0;
	static const size_t chunk = 64 << 10;
	uint8_t *buf = rt_alloc(chunk);
	long r = buf ? 0 : -ENOMEM;
	while (buf && done < count) {
		size_t want = RT_MIN(chunk, count - done);
		rt_lock(&in->lock);
		r = in->ops->pread(in, buf, want, off + (long)done, false);
		rt_unlock(&in->lock);
		if (r <= 0)
			break;
		size_t got = (size_t)r, sent = 0;
		while (sent < got) {
			/* through the marshaller: copied in copy mode, and
			 * an answer larger than got - sent refused (EIO) */
			long w = sys_host_nr(__NR_write, out, (long)(buf + sent), (long)(got - sent), 0, 0, 0);
			if (w <= 0) {
				r = w;
				break;
			}
			sent += (size_t)w;
		}
		done += sent;
		if (sent < got || r <= 0)
			break;
	}
	rt_free(buf);
	if (uoff) {
		long end = off + (long)done;
		uaccess_copy_to(uoff, &end, sizeof end);
	} else {
		rt_lock(&in->lock);
		in->pos = off + (long)done;
		rt_unlock(&in->lock);
	}
	file_put(in);
	return done ? (long)done : r;
}

/* ---- mapping and reading files for the runtime and for mmap ------------- */

long vfs_file_pread(struct file *f, long fd, void *buf, size_t n, long off)
{
	if (f->ops->host) {
		size_t got = 0;
		while (got < n) {
			long r = host_len("pread", plat_host_pread((int)fd, (char *)buf + got, n - got, off + (long)got), n - got);
			if (r == -EINTR)
				continue;
			if (r < 0)
				return r;
			if (r == 0)
				break;
			got += (size_t)r;
		}
		return (long)got;
	}
	if (!f->ops->pread)
		return -f->ops->deny;
	rt_lock(&f->lock);
	long r = f->ops->pread(f, buf, n, off, false);
	rt_unlock(&f->lock);
	return r;
}

long vfs_file_copy_in(struct file *f, long fd, uintptr_t a, size_t len, long off)
{
	long r;
	if (f->ops->host) {
		r = vfs_file_pread(f, fd, (void *)a, len, off);
	} else {
		if (!f->ops->pread)
			return -ENODEV;
		rt_lock(&f->lock);
		r = f->ops->pread(f, (void *)a, len, off, true);
		rt_unlock(&f->lock);
	}
	if (r == -ESPIPE || r == -EISDIR || r == -EINVAL)
		return -ENODEV; /* a pipe, socket or directory cannot be mapped */
	return r < 0 ? r : 0;
}

long vfs_file_mmap(struct file *f, long fd, uintptr_t addr, size_t len, int prot, int flags, long off)
{
	if (vma_on()) {
		if (!readable(f))
			return -EACCES;
		if ((flags & MAP_SHARED) && (prot & PROT_WRITE))
			return -EACCES; /* served as a copy: syscall/mm.c sends the others to the host */
		return vma_mmap(addr, len, prot, flags, f, fd, off);
	}
	if (f->ops->host)
		return plat_mem_map(addr, len, prot, flags, (int)fd, off);
	/* A runtime-backed file is copied into private memory: the host must
	 * not be able to change what the application mapped. */
	if (!f->ops->pread)
		return -ENODEV;
	if (!readable(f))
		return -EACCES;
	if ((flags & MAP_SHARED) && (prot & PROT_WRITE))
		return -EACCES; /* a writable shared view would need the host */
	if (off < 0 || (off & (RT_PAGE_SIZE - 1)))
		return -EINVAL;
	int aflags = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_NORESERVE | MAP_32BIT | MAP_GROWSDOWN)) |
		     MAP_PRIVATE | MAP_ANONYMOUS;
	long a = plat_mem_map(addr, len, PROT_READ | PROT_WRITE, aflags, -1, 0);
	if (a < 0 && a > -4096)
		return a;
	if (!mm_user_ok((uintptr_t)a, len))
		rt_panic("the host mapped application memory inside runtime memory");
	rt_lock(&f->lock);
	/* Fault in the pages the copy will fill with one call rather than a
	 * page fault each (a program's text is thousands of pages). */
	long size = f->ops->size ? f->ops->size(f) : -1;
	if (size > off)
		plat_mem_populate((uintptr_t)a, RT_MIN(len, (size_t)(size - off)));
	long r = f->ops->pread(f, (void *)a, len, off, true);
	rt_unlock(&f->lock);
	if (r < 0) {
		plat_mem_unmap((uintptr_t)a, len);
		return r;
	}
	if (prot != (PROT_READ | PROT_WRITE))
		plat_mem_protect((uintptr_t)a, len, prot);
	return a;
}
