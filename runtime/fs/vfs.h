/*
 * vfs.h - the enclave's view of files: mounts, path resolution, open files
 * and the file descriptor table.
 *
 * Paths are resolved by the runtime, never by the host alone: a path is made
 * absolute (against the working directory or a directory fd), normalized
 * ("." and ".." and repeated slashes removed; ".." cannot climb above "/"),
 * symbolic links the runtime knows of (trusted files, tmpfs) are followed
 * component by component, and the result is matched against the mount table
 * by longest prefix. The mount's ops table does the rest. Mounts never nest;
 * the directories above mount points exist as read-only "synthetic"
 * directories that list the mount points below them. Any other path does not
 * exist (ENOENT).
 *
 * Mount types are ops tables (the Linux VFS way): passthrough (a host
 * directory, nothing protected), proc (the host's /proc with the entries that
 * must describe the application), trusted (read-only files whose hashes the
 * manifest holds), tmpfs (files in runtime memory), synthetic.
 *
 * Open files: struct file is one open file description (shared by dup and
 * fork, reference counted). A file is either host-backed (file_ops.host: the
 * host fd has the same number as the application's fd, so calls on it are
 * forwarded after a table check; this is also what lets poll, select, epoll
 * and SCM_RIGHTS pass through untranslated on direct) or runtime-backed: its
 * ops serve reads, writes, seeks, stat, directory listing and mmap, and a host
 * fd reserves the number (the file itself for a trusted file, a placeholder
 * otherwise), so metadata calls that do not touch data can still be forwarded.
 */
#ifndef COFFER_RT_VFS_H
#define COFFER_RT_VFS_H

#include <asm/stat.h>

#include "../../common/path.h"
#include "../lib/lock.h"
#include "../lib/host.h"
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

/* The kernel's struct stat (x86-64, <asm/stat.h>); raw for byte copies. */
struct kstat_buf {
	union {
		struct stat st;
		struct kstat k; /* the same record, as platform/abi.h names it */
		uint8_t raw[144];
	};
};
_Static_assert(sizeof(struct stat) == 144, "x86-64 struct stat");

/* An application buffer: base is an application address. */
struct kiovec {
	uintptr_t base;
	size_t len;
};

struct mount_ops {
	const char *name;
	/* May the application see this path at all? If not, every call naming
	 * it fails with ENOENT, as if it did not exist. NULL: all of it. */
	bool (*visible)(const struct vfs_path *p);
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
	/* Give the open host file hostfd (of this mount) the name `to`: linkat
	 * of an fd, with AT_EMPTY_PATH (empty_path) or through
	 * /proc/self/fd/N. NULL: the mount cannot (EXDEV). */
	long (*link_fd)(int hostfd, bool empty_path, const struct vfs_path *to);
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
	/* If the path is a symbolic link this mount knows (the runtime follows
	 * it, not the host), copy its target and return its length; else
	 * -EINVAL (not a link) or -ENOENT. NULL: the mount has none. */
	long (*link_target)(const struct vfs_mount *m, const char *rel, char *buf, size_t n);
	/* Is rel a "magic" link (/proc/self/fd/N) that open and stat follow to
	 * the open file itself rather than to its path? Resolution with
	 * VFS_REOPEN stops there and leaves it to the mount. NULL: none. */
	bool (*reopens)(const struct vfs_mount *m, const char *rel);
	/* A UNIX socket at p, for the host kernel (syscall/net.c): write the
	 * path the host's bind (`bind`: the socket file is made there) or
	 * connect/sendto (p must name a socket) should be given into buf, and
	 * set *hold to a host fd that path goes through (the caller closes it
	 * after the call) or -1. NULL: the mount cannot hold sockets. */
	long (*sock_path)(const struct vfs_path *p, bool bind, char *buf, size_t n, long *hold);
};

struct vfs_mount {
	const char *path;      /* mount point in the enclave's view, normalized */
	size_t path_len;
	const char *host_root; /* host directory (passthrough, proc, trusted) */
	const struct mount_ops *ops;
	bool read_only;
	bool exec_ok;          /* programs may be executed from here */
	const char *type_name; /* the type /proc/mounts shows; NULL: ops->name */
	void *priv;            /* the mount type's state (tmpfs tree, ...) */
};

struct file_ops {
	const char *name;
	bool host; /* host-backed: calls on the fd are forwarded */
	/* Runtime-backed files. pread/pwrite move n bytes at offset off
	 * (off < 0 for pwrite: append) to or from dst/src, which is an
	 * application address if `user`, else runtime memory; the generic layer
	 * keeps the file position. A NULL op fails with the errno in `deny`. */
	long (*pread)(struct file *f, void *dst, size_t n, long off, bool user);
	long (*pwrite)(struct file *f, const void *src, size_t n, long off, bool user);
	long (*size)(struct file *f);
	long (*stat)(struct file *f, struct kstat_buf *st);
	long (*getdents)(struct file *f, uintptr_t ubuf, size_t n); /* getdents64; pos = entry index */
	long (*truncate)(struct file *f, long len);
	long (*chmod)(struct file *f, unsigned mode);
	/* A new open file description of the same file (open of
	 * /proc/self/fd/N) with these open flags: returns its host fd and the
	 * file in *out, as mount_ops.open. NULL: reopened by its path. */
	long (*reopen)(struct file *f, int flags, struct file **out);
	int deny; /* errno for missing ops: EACCES (trusted), EISDIR, EINVAL, ... */
	void (*release)(struct file *f);
};

struct file {
	int refs; /* atomic */
	const struct file_ops *ops;
	struct vfs_mount *mnt; /* NULL for pipes, sockets, ... */
	char *path;            /* absolute path in the enclave's view, or NULL */
	int flags;             /* flags it was opened with */
	struct rt_lock lock;   /* guards pos and the type's state */
	long pos;              /* runtime-backed files: the file position */
	void *priv;
};

/* ---- mounts (mount.c) ------------------------------------------------- */

/* proc_ops: the host's /proc of a development run; procfs_ops: a bundle's
 * generated /proc (procfs.h). */
extern const struct mount_ops passthrough_ops, proc_ops, procfs_ops, dev_ops, trusted_ops, tmpfs_ops, synth_ops;
/* Setting mounts up at boot: the trusted files' table, a tmpfs's root, and a
 * passthrough mount confined to its host directory (0 or -errno). */
int trusted_init(void);
int tmpfs_init(struct vfs_mount *m);
int passthrough_confine(struct vfs_mount *m);
/* A manifest's shm mount at `path`, the index-th of its shm mounts (shm.c):
 * the mount, or NULL with the reason in *why. */
struct vfs_mount *shm_mount_add(const char *path, unsigned index, const char **why);
/* At exit_group (and a failed boot): if no other process of the run is
 * left, remove the run's shm directories. */
void shm_run_end(void);
/* Set at boot if a mount lets the runtime follow symlinks itself (trusted,
 * tmpfs); a development run has none and skips that walk. */
extern bool vfs_any_links;
/* True while every mount shows a host directory at its own path and
 * unconfined (a development run: "/" and /proc): then paths in the enclave
 * and on the host are the same, and UNIX socket addresses pass untranslated. */
extern bool vfs_host_view;
/* Add a mount; the table is built at boot and fixed afterwards. */
struct vfs_mount *vfs_mount_add(const char *path, const char *host_root, const struct mount_ops *ops, bool ro);
/* The mount serving an absolute normalized path (the synthetic mount for the
 * directories above mount points), or NULL. */
struct vfs_mount *vfs_mount_find(const char *abs, const char **rel);
/* The enclave path of a host path (absolute, normalized) below the host
 * directory of a mount that can hold sockets (passthrough), for addresses
 * the host reports; the longest such directory wins. Returns 0, -ENOENT (no
 * such mount: the path must stay hidden) or -ENAMETOOLONG. */
long vfs_host_to_enclave(const char *host, char *out, size_t n);
/* Visit the names directly below `abs` that lead to mount points (for
 * listing a synthetic directory); returns how many. */
int vfs_mount_children(const char *abs, void (*fn)(void *arg, const char *name, size_t len), void *arg);
/* The i-th mount, shortest path first (the order they would have been
 * mounted in), or NULL past the last. */
const struct vfs_mount *vfs_mount_nth(int i);

/* ---- paths (common/path.c, path.c) ---------------------------------------- */

/* Normalize `path` (absolute, or relative to `base`, which must be absolute)
 * into out[RT_PATH_MAX], lexically (common/path.h, shared with the tools).
 * Returns 0 or -ENAMETOOLONG / -ENOENT (empty path). */
static inline int vfs_normalize(const char *base, const char *path, char *out, bool *dir)
{
	return path_normalize(base, path, out, RT_PATH_MAX, dir);
}

enum {
	VFS_NOFOLLOW = 1, /* do not follow a symlink in the last component */
	VFS_REOPEN = 2,   /* stop at a final magic link (mount_ops.reopens) */
};

/* Resolve an application path (already copied into runtime memory) relative
 * to dirfd. `abs` must have room for RT_PATH_MAX. */
long vfs_resolve_at(int dirfd, const char *path, int flags, char *abs, struct vfs_path *out);
static inline long vfs_resolve(int dirfd, const char *path, char *abs, struct vfs_path *out)
{
	return vfs_resolve_at(dirfd, path, 0, abs, out);
}
/* Resolve every symbolic link in an absolute path (through the mounts, as the
 * kernel's d_path of an open file would show it); out has RT_PATH_MAX. */
long vfs_realpath(const char *abs, char *out);
/* The working directory's name now, RT_PATH_MAX bytes (path.c says how a
 * rename is followed). */
void vfs_cwd(char *buf);
/* Move the host process's working directory to abs, a directory: true when
 * the host can name it from now on (passthrough mounts). */
bool vfs_cwd_attach(const char *abs);
/* Bring path (RT_PATH_MAX bytes, f's name) up to date for fd, the host fd
 * of the open directory f, when the host can tell. */
void vfs_fd_path_now(int fd, const struct file *f, char *path);
/* ELOOP when abs names a symbolic link itself (O_NOFOLLOW's answer), else
 * 0 or why it cannot be resolved. */
long vfs_open_nofollow_check(const char *abs);
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
/* A host fd to stand for a runtime-backed file (close-on-exec if flags say). */
long file_placeholder(int flags);
/* Open a runtime-backed file of `ops` at p with `priv`: its placeholder fd,
 * or -errno. */
long file_open_runtime(const struct file_ops *ops, const struct vfs_path *p, int flags, void *priv,
		       struct file **out);
/* What open(2) of an existing directory with these flags answers before it
 * opens anything: -EEXIST (O_CREAT|O_EXCL), -EISDIR (writing), or 0. */
long vfs_dir_open_check(int flags);

/* An fd table: a thread's, shared by the threads and vfork children made
 * with CLONE_FILES, as the host's table of the same threads is. Every entry
 * stands for a host fd of the same number in that host table. */
struct fd_table {
	int refs; /* threads using it; atomic */
	struct rt_lock lock;
	unsigned cap;
	struct file **files;
};

#define FD_MAX (1 << 20)
_Static_assert(FD_MAX == HOST_FD_LIMIT, "host fds the runtime accepts (lib/host.h)");

struct fd_table *fdt_new(void);
struct fd_table *fdt_copy(struct fd_table *t);
static inline struct fd_table *fdt_share(struct fd_table *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}
void fdt_put(struct fd_table *t);
/* Called by the thread that owns `t`, a copy made before its host table
 * was copied: forget every fd its host table does not hold (another thread
 * closed it in between). */
void fdt_sync_host(struct fd_table *t);
/* unshare(CLONE_FILES) for the calling thread: its own copy of its table,
 * on the host too (a close in one copy never closes the other's host fd).
 * 0, or -errno with nothing changed. */
long fdt_unshare(void);

/* The calling thread's table. */
struct fd_table *fdt_current(void);
/* The host's /proc directory whose fd/ and fdinfo/ show the calling
 * thread's host fds: "/proc/self" (the thread group leader's table), or
 * "/proc/thread-self" once the process's threads may have tables of their
 * own. The shorter one while it is right: UNIX socket paths go through it. */
const char *fd_host_proc(void);
/* Take a reference to the file at fd, or NULL. */
struct file *fd_get(int fd);
/* True if the application owns fd (and, for host_only, it is host-backed). */
bool fd_owned(int fd, bool host_only);
/* Record that host fd `fd` now belongs to the application as `f` (takes the
 * caller's reference). The fd came from the host: it is checked. */
long fd_install(int fd, struct file *f);
/* Register a host-backed fd returned by the host (socket, pipe, ...). */
long fd_install_host(long fd, const char *path, int flags);
/* True if fd is an open file of a read-only mount (a passthrough mount with
 * readonly: true): calls that change its data or metadata through the fd
 * fail with EROFS, as they do through its path. */
bool fd_on_readonly_mount(int fd);
/* Remove fd from the table and return its file (caller puts it), or NULL. */
struct file *fd_remove(int fd);

/* Host fds the runtime keeps for itself (the log stream, mount handles):
 * hidden from the application (EBADF, and absent from /proc/self/fd); if it
 * dup2()s onto one, the runtime moves its fd away first. */
bool fd_is_runtime(int fd);
/* Record fd as the runtime's: 0, or -EMFILE if the table is full. */
long fd_runtime_add(int fd);
/* Move a new host fd of the runtime's out of the application's way (to a
 * high number, close-on-exec, as the log fd) and record it; returns the new
 * number or -errno (fd is closed either way on failure). */
long fd_runtime_hide(long fd);
void fd_runtime_remove(int fd);
/* Make room at `fd` for the application; returns 0 or -errno. */
long fd_runtime_evict(int fd);
int fd_runtime_list(int *out, int max);

/* fstat of a runtime-backed file (io.c). */
long file_stat(struct file *f, struct kstat_buf *st);

/* The path of a directory fd for *at() calls; copies into buf. */
long vfs_fd_path(int fd, char *buf, size_t n);

/* ---- operations (syscall/fs.c) ------------------------------------------- */

long vfs_open(int dirfd, uintptr_t upath, int flags, unsigned mode);
/* Open for the runtime itself (program loading): the file is not the
 * application's. Returns its file (one reference) and host fd in *fd, or
 * NULL with *fd the negative errno. Close with vfs_file_close. */
struct file *vfs_open_file(const char *abs, int flags, long *fd);
void vfs_file_close(struct file *f, long fd);
/* Map (or, for runtime-backed files, copy) a file into application memory,
 * as mmap would. */
long vfs_file_mmap(struct file *f, long fd, uintptr_t addr, size_t len, int prot, int flags, long off);
/* Read from a file at an offset into runtime memory (program loading). */
long vfs_file_pread(struct file *f, long fd, void *buf, size_t n, long off);

/* coffer manifest record: report a path the program used (record.c); kind
 * is S (looked up), R (read), W (written), X (executed) or P (a process
 * started). */
void vfs_record(char kind, const char *abs);
void vfs_record_to(int record_fd, char kind, const char *abs); /* before current() */

/* ---- helpers for mount types ---------------------------------------------- */

/* Fill a struct stat. */
void vfs_fill_stat(struct kstat_buf *st, unsigned mode, uint64_t size, uint64_t ino, uint64_t mtime);
/* Fill a struct statx from a struct stat. */
void vfs_stat_to_statx(const struct kstat_buf *st, void *statx);
/* A getdents64 answer being written for a runtime-backed directory. Each
 * entry has a key, ascending through the listing, that is its position: a
 * listing resumed at pos goes on from the first key at or above it, so
 * entries that come or go between calls (processes, fds, ptys) neither
 * repeat nor push others out. */
struct vfs_listing {
	uintptr_t ubuf;
	size_t room, used;
	long pos; /* the first key to emit; afterwards, the next one */
	long err; /* < 0: an error; 1: the buffer is full */
};
void vfs_list(struct vfs_listing *l, long key, uint64_t ino, unsigned type, const char *name);
/* The getdents64 result: bytes written, the error, or -EINVAL if not even
 * one entry fitted. */
long vfs_list_result(const struct vfs_listing *l);
/* Append one linux_dirent64 to ubuf; returns its length, 0 if it does not
 * fit, or -EFAULT. */
long vfs_put_dirent(uintptr_t ubuf, size_t room, uint64_t ino, uint64_t off, unsigned type, const char *name,
		    size_t len);

#endif
