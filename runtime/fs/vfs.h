/*
 * vfs.h - the enclave's view of files: mounts, path resolution, open files
 * and the file descriptor table.
 *
 * Paths are resolved by the runtime, never by the host alone: a path is made
 * absolute (against the working directory or a directory fd), normalized
 * ("." and ".." and repeated slashes removed; ".." cannot climb above "/"),
 * and then matched against the mount table by longest prefix. The mount's ops
 * table does the rest; a path no mount covers does not exist (ENOENT).
 *
 * Mount types are ops tables (the Linux VFS way): this issue has
 * `passthrough` (host files under a host directory) and `proc` (host /proc
 * with the entries that must describe the application, not the enclave
 * image); trusted, encrypted, tmpfs and pseudo mounts add their own ops.
 *
 * Open files: struct file is one open file description (shared by dup and
 * fork, reference counted). A file is either host-backed (file_ops.host: the
 * host fd has the same number as the application's fd, so calls on it are
 * forwarded after a table check; this is also what lets poll, select, epoll
 * and SCM_RIGHTS pass through untranslated on direct) or runtime-backed
 * (its ops implement read, write, ... and a host placeholder fd reserves the
 * number). The fd table is per process and guarded by its lock.
 */
#ifndef COFFER_RT_VFS_H
#define COFFER_RT_VFS_H

#include "../lib/lock.h"
#include "../lib/rt.h"

#define VFS_AT_FDCWD (-100)

struct file;
struct vfs_mount;

/* A resolved path: which mount, and the path inside it. */
struct vfs_path {
	struct vfs_mount *mnt;
	const char *abs; /* absolute, normalized path in the enclave's view */
	const char *rel; /* the part below the mount point ("" for its root) */
	bool dir;        /* the path ended in "/", "." or "..": must be a directory */
};

struct kstat_buf {
	uint8_t raw[144]; /* struct stat (x86-64) */
};

struct mount_ops {
	const char *name;
	long (*open)(const struct vfs_path *p, int flags, unsigned mode, struct file **out);
	long (*stat)(const struct vfs_path *p, int at_flags, struct kstat_buf *st);
	long (*statx)(const struct vfs_path *p, int at_flags, unsigned mask, void *buf /* 256 */);
	long (*access)(const struct vfs_path *p, int mode, int at_flags);
	long (*readlink)(const struct vfs_path *p, char *buf, size_t n);
	long (*mkdir)(const struct vfs_path *p, unsigned mode);
	long (*mknod)(const struct vfs_path *p, unsigned mode, unsigned dev);
	long (*unlink)(const struct vfs_path *p, int at_flags);
	long (*rename)(const struct vfs_path *from, const struct vfs_path *to, unsigned flags);
	long (*link)(const struct vfs_path *from, const struct vfs_path *to, int at_flags);
	long (*symlink)(const char *target, const struct vfs_path *p);
	long (*chmod)(const struct vfs_path *p, unsigned mode, int at_flags);
	long (*chown)(const struct vfs_path *p, unsigned uid, unsigned gid, int at_flags);
	long (*truncate)(const struct vfs_path *p, long len);
	long (*utimens)(const struct vfs_path *p, const void *times /* 2 timespecs or NULL */, int at_flags);
	long (*statfs)(const struct vfs_path *p, void *buf /* struct statfs, 120 */);
	/* Extended attributes: `nr` is the path variant's system call number
	 * (getxattr, lsetxattr, ...); name and value are application buffers
	 * the caller has checked. */
	long (*xattr)(const struct vfs_path *p, long nr, uintptr_t name, uintptr_t value, size_t size,
		      int flags);
	/* The host path, for what only the host can do (inotify); -ENOTSUP if
	 * the mount has no host path. */
	long (*host_path)(const struct vfs_path *p, char *buf, size_t n);
};

struct vfs_mount {
	const char *path;      /* mount point in the enclave's view, normalized */
	size_t path_len;
	const char *host_root; /* host directory (passthrough, proc) */
	const struct mount_ops *ops;
	bool read_only;
};

struct file_ops {
	const char *name;
	bool host; /* host-backed: calls on the fd are forwarded */
	void (*release)(struct file *f);
};

struct file {
	int refs; /* atomic */
	const struct file_ops *ops;
	struct vfs_mount *mnt; /* NULL for pipes, sockets, ... */
	char *path;            /* absolute path in the enclave's view, or NULL */
	int flags;             /* flags it was opened with */
	void *priv;
};

/* ---- mounts (mount.c) ------------------------------------------------- */

extern const struct mount_ops passthrough_ops, proc_ops;
/* Add a mount; the table is built at boot and fixed afterwards. */
int vfs_mount_add(const char *path, const char *host_root, const struct mount_ops *ops, bool ro);
struct vfs_mount *vfs_mount_find(const char *abs, const char **rel);

/* ---- paths (path.c) ------------------------------------------------------ */

/* Normalize `path` (absolute, or relative to `base`, which must be absolute)
 * into out[RT_PATH_MAX]. Returns 0 or -ENAMETOOLONG / -ENOENT (empty path). */
int vfs_normalize(const char *base, const char *path, char *out, bool *dir);
/* Resolve an application path (already copied into runtime memory) relative
 * to dirfd. `abs` must have room for RT_PATH_MAX. */
long vfs_resolve(int dirfd, const char *path, char *abs, struct vfs_path *out);
/* Resolve every symbolic link in an absolute path (through the mounts, as the
 * kernel's d_path of an open file would show it); out has RT_PATH_MAX. */
long vfs_realpath(const char *abs, char *out);
/* Copy a path from application memory and resolve it. */
long vfs_resolve_user(int dirfd, uintptr_t upath, char *abs, struct vfs_path *out);

/* ---- files and the fd table (file.c) ------------------------------------ */

extern const struct file_ops host_file_ops;

struct file *file_new(const struct file_ops *ops, struct vfs_mount *mnt, const char *path, int flags);
static inline struct file *file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}
void file_put(struct file *f);

struct fd_table {
	int refs; /* processes sharing it (CLONE_FILES); atomic */
	struct rt_lock lock;
	unsigned cap;
	struct file **files;
};

#define FD_MAX (1 << 20)

struct fd_table *fdt_new(void);
struct fd_table *fdt_copy(struct fd_table *t);
void fdt_put(struct fd_table *t);

/* The current process's table. */
struct fd_table *fdt_current(void);
/* Take a reference to the file at fd, or NULL. */
struct file *fd_get(int fd);
/* True if the application owns fd (and, for host_only, it is host-backed). */
bool fd_owned(int fd, bool host_only);
/* Record that host fd `fd` now belongs to the application as `f` (takes the
 * caller's reference). The fd came from the host: it is checked. */
long fd_install(int fd, struct file *f);
/* Register a host-backed fd returned by the host (socket, pipe, ...). */
long fd_install_host(long fd, const char *path, int flags);
/* Remove fd from the table and return its file (caller puts it), or NULL. */
struct file *fd_remove(int fd);

/* Host fds the runtime keeps for itself (the log stream): hidden from the
 * application; if it dup2()s onto one, the runtime moves its fd away first. */
bool fd_is_runtime(int fd);
void fd_runtime_add(int fd);
void fd_runtime_remove(int fd);
/* Make room at `fd` for the application; returns 0 or -errno. */
long fd_runtime_evict(int fd);
int fd_runtime_list(int *out, int max);

/* The path of a directory fd for *at() calls; copies into buf. */
long vfs_fd_path(int fd, char *buf, size_t n);

/* ---- operations (vfs.c) ----------------------------------------------------- */

long vfs_open(int dirfd, uintptr_t upath, int flags, unsigned mode);
/* Open for the runtime itself (program loading): the fd is not the
 * application's. Returns a host fd or -errno; close with plat_call. */
long vfs_open_internal(const char *abs, int flags, struct vfs_path *p, char *pathbuf);

#endif
