/*
 * pidtab.h - the enclave's process view: which host processes belong to the
 * application (the program and every process it forked or spawned, at any
 * depth), as opposed to the rest of the host.
 *
 * Every system call that names a process by pid (kill, tgkill, pidfd_open,
 * waitid, process_vm_readv, ...) and the runtime's /proc consult this view;
 * a pid outside it does not exist for the application (ESRCH, ENOENT in
 * /proc). Pids are the host's numbers: the view restricts which of them the
 * application can name, it does not renumber them.
 *
 * The view is a registry the runtime owns (pidtab.c explains it): a shared
 * table, created by the first enclave of a run, inherited by every child and
 * carried across execve as a hidden runtime fd. A process is in it under its
 * pid and its start time, so a pid the host has since given to another
 * process is not mistaken for ours.
 */
#ifndef COFFER_RT_PIDTAB_H
#define COFFER_RT_PIDTAB_H

#include "../lib/rt.h"

/* Does pid name one of the application's processes (a thread group id)? */
bool pidtab_owned(int pid);
/* At exit_group: mark this process as exiting, and say whether it is the
 * last of the application's processes (every other one has exited, is a
 * zombie, or is exiting too: then more than one may answer true). */
bool pidtab_last_exit(void);
/* Write up to max of the application's process ids to out, in ascending
 * order; returns how many there are in all (which may exceed max). */
int pidtab_list(int *out, int max);

/* ---- the registry's life (boot, fork, exec) ------------------------------ */

/* At boot, before the application runs: map the registry inherited through
 * host fd `fd` and enter this process. With none (-1, or the first enclave
 * of a run) there is no registry until pidtab_prepare makes one. The fd
 * becomes a runtime fd, close-on-exec. Returns 0 or -errno. Publishing
 * stays open until pidtab_end(). */
int pidtab_boot(int fd, bool first);
/* Make the registry if there is none yet: before this process starts
 * another (fork, vfork, clone without CLONE_THREAD), and for the run's
 * host-wide objects (which need its token or its table). 0 or -errno. */
long pidtab_prepare(void);
/* The parent, as soon as the host fork or clone returned `pid`: enter the
 * child (its parent is us, or our parent with CLONE_PARENT). */
void pidtab_add_child(int pid, bool clone_parent);
/* The child, before it runs application code: enter itself and publish
 * (forked: a host fork, else a CLONE_VM child sharing our memory). */
void pidtab_child_start(bool forked);

/* What other processes of the application may need to know about this one
 * (its runtime memory and runtime fds) is published under a sequence count.
 * Around anything that changes it (a runtime fd made or moved, runtime
 * memory mapped, an execve), call begin first and end after: end publishes
 * the current state. Nests. An execve that succeeds never calls end: the
 * new image publishes at boot. */
void pidtab_begin(void);
void pidtab_end(void);

/* The run's shared area for its host and domain names (syscall/uts.c lays
 * it out; zero in a new registry), or NULL while there is no registry. */
#define PIDTAB_UTS_SIZE 512
void *pidtab_uts(void);

/* ---- acting on a process --------------------------------------------------- */

/* A pidfd (host fd, the caller closes it) for the application's process
 * `pid`, opened with pidfd_open `flags` and checked to refer to the very
 * process the registry holds; -ESRCH if pid is not one of ours, or the
 * error pidfd_open gave. */
long pidtab_pidfd(int pid, unsigned flags);
/* The pid of the process that the application's pidfd (or /proc/PID
 * directory fd) `fd` refers to, if it is one of ours and alive or a zombie;
 * -ESRCH otherwise, -EBADF if fd names no process. */
long pidtab_fd_target(int fd);
/* A thread pidfd (Linux 6.9 and newer) for thread `tid` of our process
 * `tgid`, checked like pidtab_pidfd; -ESRCH, or -ENOSYS where the kernel
 * has no thread pidfds. */
long pidtab_thread_pidfd(int tgid, int tid);
/* The thread group of host thread `tid`, if it is one of ours: tgid or
 * -ESRCH. */
long pidtab_tid_owner(int tid);

/* What a process published (pidtab_begin/end). */
#define PIDTAB_RANGES 12
#define PIDTAB_FDS 8
struct pidtab_view {
	uint32_t seq;
	uint32_t nranges;
	struct {
		uint64_t lo, hi;
	} ranges[PIDTAB_RANGES]; /* runtime memory */
	uint32_t nfds;
	int32_t fds[PIDTAB_FDS]; /* runtime fds */
	bool overflow;           /* more runtime memory than ranges could hold */
};
/* Read what `pid` (one of ours) published. Waits while it is changing.
 * Returns 0, -ESRCH if it is gone, or 1 if it is a zombie or otherwise has
 * nothing to protect any more (no memory, no fds). */
long pidtab_view(int pid, struct pidtab_view *v);
/* Still what pidtab_view returned? (a change in between: read again) */
bool pidtab_view_same(int pid, const struct pidtab_view *v);
/* Does [lo, lo+len) avoid the runtime memory of view v? */
bool pidtab_range_ok(const struct pidtab_view *v, uint64_t lo, uint64_t len);

/* The application's processes in a process group, or of a real uid, or
 * all of them (key unused), at most max of them, in ascending order. */
enum pidtab_by { PIDTAB_ALL, PIDTAB_PGRP, PIDTAB_UID };
int pidtab_select(enum pidtab_by by, long key, int *out, int max);
/* Who may receive SIGIO/SIGURG (F_SETOWN, FIOSETOWN): 0 (nobody), one of
 * our processes, or -pgrp of a group led by one of ours. 0 or -ESRCH. */
long pidtab_owner_ok(long who);

/* ---- other host-wide objects of the application ---------------------------- */

/* SysV IPC ids the application created, by kind (PIDTAB_SHM, _SEM, _MSG):
 * the only ones it may name (runtime/syscall/ipc.c). add: 0 or -ENOSPC. */
enum { PIDTAB_SHM = 1, PIDTAB_SEM = 2, PIDTAB_MSG = 3 };
bool pidtab_ipc_has(int kind, int id);
long pidtab_ipc_add(int kind, int id);
void pidtab_ipc_remove(int kind, int id);
/* A random number of this run (made with the registry, which this makes if
 * needed; 0 if it cannot be made): the prefix of the host names of its POSIX
 * message queues and shared-memory mounts. */
uint64_t pidtab_token(void);

/* Facts from /proc/PID/stat and status of a host process (any process; the
 * caller checks ownership). */
struct pidtab_stat {
	char state;
	int ppid, pgrp, session;
	uint64_t start; /* clock ticks after boot */
};
long pidtab_stat(int pid, struct pidtab_stat *st);

#endif
