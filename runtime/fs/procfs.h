/*
 * procfs.h - the runtime's /proc, shared by its three files:
 *
 *   procgen.c   the tree a bundle sees (procfs_ops): which names exist, the
 *               links (self, thread-self, exe, cwd, root, fd/N), directory
 *               listings, and the mount's operations;
 *   procinfo.c  the contents of the generated files (status, stat, maps,
 *               mounts, cpuinfo, sys/kernel/..., ...);
 *   procfs.c    the host's /proc of a development run (proc_ops), which
 *               borrows the fd directories from procgen.c so the runtime's
 *               own fds never show, and /dev in a bundle (dev_ops).
 *
 * A node of the tree is described by struct proc_node, parsed from the path
 * below the mount point on every call: nothing is cached, so what a path
 * names is always the process's state at that moment (an fd closed since is
 * gone, a new thread appears).
 */
#ifndef COFFER_RT_PROCFS_H
#define COFFER_RT_PROCFS_H

#include "vfs.h"

/* ---- a growing text buffer ------------------------------------------------ */

struct pbuf {
	char *p;
	size_t len, cap;
	bool oom; /* an append failed: the content is incomplete */
};

void pb_putn(struct pbuf *b, const char *s, size_t n);
void pb_puts(struct pbuf *b, const char *s);
void pb_printf(struct pbuf *b, const char *fmt, ...) RT_PRINTF(2, 3);
void pb_free(struct pbuf *b);

/* ---- nodes ------------------------------------------------------------------ */

enum proc_kind {
	PK_DIR,     /* a directory of fixed entries (/, sys, sys/kernel, ...) */
	PK_PID,     /* /proc/<pid> */
	PK_TASKS,   /* /proc/<pid>/task */
	PK_TID,     /* /proc/<pid>/task/<tid> */
	PK_FDS,     /* /proc/<pid>/fd and task/<tid>/fd */
	PK_FDINFOS, /* .../fdinfo */
	PK_FD,      /* .../fd/N: a magic link to the open file */
	PK_FDINFO,  /* .../fdinfo/N */
	PK_LINK,    /* a link with a path target: self, thread-self, exe, cwd, root, mounts */
	PK_FILE,    /* a generated file */
};

struct proc_node;
typedef long (*proc_gen)(struct pbuf *b, const struct proc_node *n);

struct proc_entry {
	const char *name;
	enum proc_kind kind;
	proc_gen gen;                        /* PK_FILE: the contents; PK_LINK: the target */
	const struct proc_entry *children;   /* PK_DIR: NULL-name terminated */
	unsigned flags;
};

enum {
	PE_OTHER = 1, /* served for the application's other processes too */
	PE_NOTASK = 2, /* not in task/<tid> directories */
};

struct proc_node {
	enum proc_kind kind;
	const struct proc_entry *ent; /* PK_DIR, PK_LINK, PK_FILE; NULL for "/" */
	int pid;  /* PK_PID and below: the process */
	int tid;  /* 0, or the thread of a task/<tid> path */
	int fd;   /* PK_FD, PK_FDINFO */
	bool own; /* pid is the calling process */
};

/* If p names /proc/<this process>/fd/N (self, thread-self, the own pid),
 * in a bundle's /proc or a development run's: N; else -1. */
int proc_path_fd(const struct vfs_path *p);

/* Parse rel (the path below /proc) into n: 0, -ENOENT, or -ENOTDIR (a name
 * below something that is not a directory). */
long proc_parse(const char *rel, struct proc_node *n);

/* The fd directory of the calling process (fd or fdinfo, for a development
 * run's host /proc): a runtime directory listing the application's fds. */
long proc_open_fd_dir(const struct vfs_path *p, bool info, int flags, struct file **out);
/* open of /proc/self/fd/N: a new open file description of fd's file. */
long proc_fd_reopen(int fd, int flags, unsigned mode, struct file **out);
/* Does this process's fd table hold fd (an fd the application owns)? */
bool proc_fd_visible(int fd);

/* ---- contents (procinfo.c) --------------------------------------------------- */

extern const struct proc_entry proc_root_entries[], proc_pid_entries[];

/* The text of a PK_FDINFO node, and the target of a PK_FD node ("pipe:[..]"
 * for a file with no path in the enclave). */
long proc_gen_fdinfo(struct pbuf *b, const struct proc_node *n);
long proc_fd_target(struct file *f, int fd, char *buf, size_t n);

/* The value the application gets for a system call without arguments
 * (getpid, getppid, ...): the same handler answers both. */
long proc_sys0(long nr);

/* The calling process's thread ids, its own first; returns how many were
 * written. /proc shows at most PROC_MAX_TIDS threads of a process. */
#define PROC_MAX_TIDS 1024
int proc_tids(int *out, int max);

#endif
