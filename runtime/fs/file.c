/*
 * file.c - open files, the fd tables, and the runtime's own fds.
 *
 * On direct a host-backed file has the same number in the application and on
 * the host, so the table only records which numbers the application owns and
 * what they are (for *at() calls, /proc, execve). The host returns new fd
 * numbers, so each is checked before it is recorded: in range and, if the
 * table already had it, the old entry is dropped with a warning (the host
 * cannot give out a number that is still open).
 *
 * A table belongs to the threads that share it (CLONE_FILES), and the host
 * table of those same threads is its other half: a thread that unshares
 * (unshare(CLONE_FILES), close_range with CLOSE_RANGE_UNSHARE, a clone
 * without CLONE_FILES) gets a copy of both, so an fd opened or closed in one
 * copy is neither seen nor closed in the other, by number or on the host.
 * The runtime's own fds are in every copy at the same numbers.
 */
#include <linux/fcntl.h>
#include <linux/sched.h>

#include "../proc/pidtab.h"
#include "../proc/proc.h"
#include "vfs.h"
#include "../lib/host.h"

/* A host-backed file's priv is what the runtime remembers of it: a socket's
 * names (syscall/net.c). */
static void host_release(struct file *f)
{
	rt_free(f->priv);
}

const struct file_ops host_file_ops = {
	.name = "host",
	.host = true,
	.release = host_release,
};

struct file *file_new(const struct file_ops *ops, struct vfs_mount *mnt, const char *path, int flags)
{
	struct file *f = rt_zalloc(sizeof *f);
	if (!f)
		return NULL;
	if (path && !(f->path = rt_strdup(path))) {
		rt_free(f);
		return NULL;
	}
	f->refs = 1;
	f->ops = ops;
	f->mnt = mnt;
	f->flags = flags;
	return f;
}

void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (f->ops->release)
		f->ops->release(f);
	rt_free(f->path);
	rt_free(f);
}

/* ---- fd table ------------------------------------------------------------ */

struct fd_table *fdt_new(void)
{
	struct fd_table *t = rt_zalloc(sizeof *t);
	if (!t)
		return NULL;
	t->refs = 1;
	t->cap = 64;
	t->files = rt_zalloc(t->cap * sizeof *t->files);
	if (!t->files) {
		rt_free(t);
		return NULL;
	}
	return t;
}

struct fd_table *fdt_copy(struct fd_table *src)
{
	struct fd_table *t = rt_zalloc(sizeof *t);
	if (!t)
		return NULL;
	rt_lock(&src->lock);
	t->refs = 1;
	t->cap = src->cap;
	t->files = rt_zalloc(t->cap * sizeof *t->files);
	if (t->files)
		for (unsigned i = 0; i < t->cap; i++)
			if ((t->files[i] = src->files[i]))
				file_get(t->files[i]);
	rt_unlock(&src->lock);
	if (!t->files) {
		rt_free(t);
		return NULL;
	}
	return t;
}

void fdt_put(struct fd_table *t)
{
	if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (unsigned i = 0; i < t->cap; i++)
		file_put(t->files[i]);
	rt_free(t->files);
	rt_free(t);
}

void fdt_sync_host(struct fd_table *t)
{
	rt_lock(&t->lock);
	for (unsigned fd = 0; fd < t->cap; fd++)
		if (t->files[fd] && plat_host_fcntl((int)fd, F_GETFD, 0) == -EBADF) {
			file_put(t->files[fd]);
			t->files[fd] = NULL;
		}
	rt_unlock(&t->lock);
}

long fdt_unshare(void)
{
	struct rt_thread *self = current();
	struct fd_table *old = self->fdt;

	/* Only this thread uses it: nothing to unshare, as on Linux. */
	if (__atomic_load_n(&old->refs, __ATOMIC_ACQUIRE) == 1)
		return 0;
	/* Copied first, so running out of memory changes nothing; an fd
	 * another thread opens between the copy and the host's unshare stays
	 * in our host copy, unknown to the table: the application cannot name
	 * it (EBADF), the fd only keeps its number taken. */
	struct fd_table *t = fdt_copy(old);
	if (!t)
		return -ENOMEM;
	long r = host_zero("unshare", plat_host_unshare(CLONE_FILES));
	if (r) {
		fdt_put(t);
		return r;
	}
	fdt_sync_host(t);
	self->proc->fdt_split = true;
	self->fdt = t;
	fdt_put(old);
	return 0;
}

struct fd_table *fdt_current(void)
{
	return current()->fdt;
}

const char *fd_host_proc(void)
{
	return current()->proc->fdt_split ? "/proc/thread-self" : "/proc/self";
}

struct file *fd_get(int fd)
{
	struct fd_table *t = fdt_current();
	struct file *f = NULL;

	if (fd < 0)
		return NULL;
	rt_lock(&t->lock);
	if ((unsigned)fd < t->cap && t->files[fd])
		f = file_get(t->files[fd]);
	rt_unlock(&t->lock);
	return f;
}

RT_HOT bool fd_owned(int fd, bool host_only)
{
	struct fd_table *t = fdt_current();
	bool ok = false;

	if (fd < 0)
		return false;
	rt_lock(&t->lock);
	if ((unsigned)fd < t->cap && t->files[fd])
		ok = !host_only || t->files[fd]->ops->host;
	rt_unlock(&t->lock);
	return ok;
}

/* Grow to hold fd; called with the lock held. Old arrays are freed only
 * after the switch, under the lock, so readers (who also lock) never see a
 * freed array. */
static bool grow(struct fd_table *t, int fd)
{
	unsigned cap = t->cap;
	while (cap <= (unsigned)fd)
		cap *= 2;
	struct file **files = rt_zalloc(cap * sizeof *files);
	if (!files)
		return false;
	memcpy(files, t->files, t->cap * sizeof *files);
	struct file **old = t->files;
	t->files = files;
	t->cap = cap;
	rt_free(old);
	return true;
}

long fd_install(int fd, struct file *f)
{
	struct fd_table *t = fdt_current();
	struct file *old = NULL;

	if (fd < 0 || fd >= FD_MAX || fd_is_runtime(fd)) {
		log_warn("host returned an invalid file descriptor %d", fd);
		file_put(f);
		return -EIO;
	}
	rt_lock(&t->lock);
	if ((unsigned)fd >= t->cap && !grow(t, fd)) {
		rt_unlock(&t->lock);
		file_put(f);
		return -ENOMEM;
	}
	old = t->files[fd];
	t->files[fd] = f;
	rt_unlock(&t->lock);
	if (old) {
		log_debug("fd %d was reused by the host while recorded as open", fd);
		file_put(old);
	}
	return fd;
}

long fd_install_host(long fd, const char *path, int flags)
{
	fd = host_fd("new fd", fd); /* every host fd the table takes */
	if (fd < 0)
		return fd;
	struct file *f = file_new(&host_file_ops, NULL, path, flags);
	if (!f) {
		plat_host_close((int)fd);
		return -ENOMEM;
	}
	return fd_install((int)fd, f);
}

bool fd_on_readonly_mount(int fd)
{
	struct file *f = fd_get(fd);
	bool ro = f && f->mnt && f->mnt->read_only;
	if (f)
		file_put(f);
	return ro;
}

struct file *fd_remove(int fd)
{
	struct fd_table *t = fdt_current();
	struct file *f = NULL;

	if (fd < 0)
		return NULL;
	rt_lock(&t->lock);
	if ((unsigned)fd < t->cap) {
		f = t->files[fd];
		t->files[fd] = NULL;
	}
	rt_unlock(&t->lock);
	return f;
}

long vfs_fd_path(int fd, char *buf, size_t n)
{
	struct file *f = fd_get(fd);
	long r = 0;

	if (!f)
		return -EBADF;
	if (!f->path)
		r = -ENOTDIR;
	else if (str_copy(buf, f->path, n) >= n)
		r = -ENAMETOOLONG;
	else if (n >= RT_PATH_MAX)
		vfs_fd_path_now(fd, f, buf);
	file_put(f);
	return r;
}

/* ---- the runtime's own host fds ------------------------------------------
 * Per process (struct rt_proc), guarded by the process lock. Readers do not
 * lock: the list changes only at boot and when a runtime fd moves. Other
 * processes of the application read it from the registry (pidtab.h), so
 * every change is published there, and a caller that creates a runtime fd
 * opens the change (pidtab_begin) before it does. */

bool fd_is_runtime(int fd)
{
	const struct rt_proc *p = current()->proc;
	for (unsigned i = 0; fd >= 0 && i < RT_ARRAY_LEN(p->rtfds); i++)
		if (p->rtfds[i] == fd)
			return true;
	return false;
}

static bool set_slot(int old, int fd)
{
	struct rt_proc *p = current()->proc;
	bool done = false;
	pidtab_begin();
	rt_lock(&p->lock);
	for (unsigned i = 0; i < RT_ARRAY_LEN(p->rtfds) && !done; i++)
		if (p->rtfds[i] == old) {
			p->rtfds[i] = fd;
			done = true;
		}
	rt_unlock(&p->lock);
	pidtab_end();
	return done;
}

long fd_runtime_add(int fd)
{
	return set_slot(-1, fd) ? 0 : -EMFILE;
}

long fd_runtime_hide(long fd)
{
	struct krlimit lim;
	if (fd < 0)
		return fd;
	if (host_rlimit("getrlimit", plat_host_getrlimit(7 /* RLIMIT_NOFILE */, &lim), &lim))
		lim.rlim_cur = 1024;
	long base = RT_MAX(RT_MIN((long)lim.rlim_cur - 16, 1000), 3);
	long r = host_fd("fcntl", plat_host_fcntl((int)fd, F_DUPFD_CLOEXEC, base));
	plat_host_close((int)fd);
	if (r < 0)
		return r;
	if (fd_runtime_add((int)r)) {
		plat_host_close((int)r);
		return -EMFILE;
	}
	return r;
}

void fd_runtime_remove(int fd)
{
	if (fd >= 0)
		set_slot(fd, -1);
}

int fd_runtime_list(int *out, int max)
{
	const struct rt_proc *p = current()->proc;
	int n = 0;
	for (unsigned i = 0; i < RT_ARRAY_LEN(p->rtfds) && n < max; i++)
		if (p->rtfds[i] >= 0)
			out[n++] = p->rtfds[i];
	return n;
}

long fd_runtime_evict(int fd)
{
	struct rt_proc *p = current()->proc;
	if (!fd_is_runtime(fd))
		return 0;
	/* Other threads' tables hold it at this number too, and this thread
	 * cannot move it there. */
	if (p->fdt_split)
		return -EBUSY;
	/* A mount's root (and an execve's boot block) is used by number by
	 * other threads, and vfork children that share its memory but not
	 * this table: it stays, and the dup2 is refused as one that races an
	 * open. Moving it would let the application's fd take its number
	 * under a call in flight, and become the root a confined mount
	 * resolves in. */
	if (fd != p->log_fd && fd != p->record_fd && fd != p->pidtab_fd)
		return -EBUSY;
	pidtab_begin();
	long r = host_fd("fcntl", plat_host_fcntl(fd, F_DUPFD_CLOEXEC, fd + 1));
	if (r < 0) {
		pidtab_end();
		return r;
	}
	set_slot(fd, (int)r);
	if (p->log_fd == fd)
		p->log_fd = (int)r;
	if (p->record_fd == fd)
		p->record_fd = (int)r;
	if (p->pidtab_fd == fd)
		p->pidtab_fd = (int)r;
	plat_host_close(fd);
	pidtab_end();
	return 0;
}
