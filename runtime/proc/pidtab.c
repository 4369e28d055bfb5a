/*
 * pidtab.c - the registry of the application's processes (pidtab.h).
 *
 * The registry is a memfd mapped MAP_SHARED into runtime memory (reserved
 * like the arena, with a guard page either side). A host fork keeps the
 * mapping; a vfork child shares it; an execve hands the fd to the new image
 * in the boot block (BB_PIDTAB_FD), where it is a hidden runtime fd like the
 * log. So every process of the application, and no other, sees the same
 * table.
 *
 * It is made when a process of the run first needs it, not at start: before
 * the first fork, vfork or clone of another process (pidtab_prepare), at the
 * first SysV object, POSIX message queue or shared-memory mount (which need
 * the run's token), at the first sethostname. Until then the run is this one
 * process (an execve of it hands nothing on, and the new image is alone
 * too), which is all the view needs to answer: only itself is ours. A
 * program that starts no other process never pays for the 1 GiB mapping,
 * its page tables and its teardown at exit (docs/performance.md,
 * "Start-up").
 *
 * The table is indexed by pid (Linux never hands out a pid at or above
 * PID_MAX_LIMIT, 4M on 64-bit): entry[pid].start is the start time of the
 * application's process with that pid (field 22 of /proc/PID/stat, in clock
 * ticks after boot), 0 if there never was one. A pid is ours if the process
 * that holds it now has that start time: a process of ours that died and was
 * reaped by anyone (its parent, init after it was orphaned, the kernel for a
 * parent that ignores SIGCHLD) leaves a stale entry that no other process
 * matches, because a pid cannot come back within one clock tick. So nothing
 * has to be removed, and there is no lock: each field is one store.
 *
 * Who writes an entry: the parent, as soon as the host fork or clone returns
 * (before it hands the pid to the application), after checking in
 * /proc/PID/stat that the process with that pid is its own child (another
 * thread might have reaped it and the pid gone elsewhere); and the child
 * itself before it runs application code (so a child that names itself to a
 * sibling before its parent got round to it is already there). Both write
 * the same value. A bitmap of pids ever entered, and the highest one, let
 * pidtab_list and group kills walk the table.
 *
 * Acting on a pid without a race: pidtab_pidfd opens a pidfd for the pid,
 * compares the start time of the process now holding the pid, then checks
 * that the pidfd's process has not been reaped since (pidfd_send_signal with
 * signal 0). The pidfd's process held the pid the whole time, so it is the
 * process whose start time matched; signals then go through the pidfd.
 *
 * Each entry also carries what other processes must not reach in this one:
 * its runtime memory (image, arena, reserved ranges) and its runtime fds,
 * written only by the process itself under a sequence count (odd while it
 * changes: around the creation of a runtime fd, the mapping of runtime
 * memory, an execve until the new image has booted). pidfd_getfd and
 * process_vm_readv/writev read it with pidtab_view and check it again after
 * they acted. Writers in one process take pt_wlock, an owner lock, since a
 * vfork child shares it and may be killed while holding it.
 *
 * The same table holds the other host-wide objects the application made and
 * may therefore name: the SysV IPC ids it created (slots of kind << 32 | id,
 * claimed and freed with one compare-and-swap each), and a random token of
 * the run that prefixes the names of its POSIX message queues, and the
 * run's host and domain names (an area syscall/uts.c lays out: the run is
 * one UTS namespace).
 */
#include <limits.h>
#include <linux/fs.h>
#include <linux/memfd.h>
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../syscall/sys.h"
#include "pidtab.h"
#include "proc.h"
#include "../lib/host.h"

#define PT_MAGIC 0x316261746469705fULL /* "_pidtab1" */
#define PT_PID_LIMIT (4u << 20)        /* PID_MAX_LIMIT on 64-bit */
#define PT_HDR_SIZE 4096UL
#define PT_IPC_SLOTS 4096u
#define PT_IPC_SIZE (PT_IPC_SLOTS * 8UL)
#define PT_MAP_SIZE ((unsigned long)PT_PID_LIMIT / 8)
#define PT_MAP_OFF (PT_HDR_SIZE + PT_IPC_SIZE)
#define PT_ENTRY_OFF (PT_MAP_OFF + PT_MAP_SIZE)

struct pt_header {
	uint64_t magic;
	uint32_t limit;
	int max_pid;    /* highest pid ever entered; atomic */
	uint64_t token; /* random, this run's: names of its host-wide objects */
	uint8_t uts[PIDTAB_UTS_SIZE] __attribute__((aligned(8))); /* uts.c's */
};
_Static_assert(sizeof(struct pt_header) <= PT_HDR_SIZE, "the header fits its page");

struct pt_entry {
	uint64_t start;  /* the process's start time, 0: none; atomic */
	uint64_t pstart; /* start time of the process that published below */
	uint32_t seq;    /* odd while the process changes what follows */
	int32_t depth;   /* nesting of pidtab_begin, the process's own */
	uint32_t nranges, nfds;
	int32_t fds[PIDTAB_FDS];
	struct {
		uint64_t lo, hi;
	} ranges[PIDTAB_RANGES];
};
_Static_assert(sizeof(struct pt_entry) == 256, "entries are 256 bytes");

/* after the entries, a bitmap of the processes that have begun to exit */
#define PT_EXIT_OFF (PT_ENTRY_OFF + (unsigned long)PT_PID_LIMIT * sizeof(struct pt_entry))
#define PT_SIZE (PT_EXIT_OFF + PT_MAP_SIZE)
#define PT_OVERFLOW 0xffffffffu

/* The mapping, the same in every process of one image once it is set; NULL
 * until the registry is needed (pidtab_prepare). Set under pt_wlock. */
static struct pt_header *pt;
/* Serialises this process's writers of its own entry. */
static struct rt_olock pt_wlock = RT_OLOCK_INIT;
/* Before the registry exists: the nesting of pidtab_begin (the entry's
 * depth, which it becomes when the registry is made). Under pt_wlock. */
static int pt_early_depth;
/* Serialises the making of the registry by two threads. */
static struct rt_olock pt_make_lock = RT_OLOCK_INIT;
/* Set once the registry is whole: mapped, this process entered, its fd
 * hidden among the runtime's and named in pidtab_fd, the host name moved
 * into it. pidtab_prepare tests this, not `pt`: a thread that forks while
 * another is still making the registry must wait for it, or its child gets
 * the memfd at an application fd number and no pidtab_fd to hand on at
 * execve (a new image with a registry of its own). */
static bool pt_ready;

static uint64_t *pt_bitmap(void)
{
	return (uint64_t *)((uintptr_t)pt + PT_MAP_OFF);
}

static uint64_t *pt_exiting(void)
{
	return (uint64_t *)((uintptr_t)pt + PT_EXIT_OFF);
}

static struct pt_entry *pt_entry(int pid)
{
	return (struct pt_entry *)((uintptr_t)pt + PT_ENTRY_OFF) + pid;
}

static bool pid_in_range(int pid)
{
	return pid > 0 && (unsigned)pid < PT_PID_LIMIT;
}

/* ---- reading /proc ---------------------------------------------------------- */

static long read_small(const char *path, char *buf, size_t n)
{
	long fd = host_fd("openat", plat_host_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0));
	if (fd < 0)
		return fd;
	long len = host_len("read", plat_host_read((int)fd, buf, n - 1), n - 1);
	plat_host_close((int)fd);
	if (len < 0)
		return len;
	buf[len] = 0;
	return len;
}

static bool parse_num(const char **p, long *out)
{
	char tok[24];
	size_t n = 0;
	while (**p == ' ')
		(*p)++;
	while (**p && **p != ' ' && **p != '\n' && n < sizeof tok - 1)
		tok[n++] = *(*p)++;
	tok[n] = 0;
	return n > 0 && rt_parse_long(tok, out);
}

long pidtab_stat(int pid, struct pidtab_stat *st)
{
	char path[40], buf[640];
	long v;

	if (pid <= 0)
		return -ESRCH;
	rt_snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_small(path, buf, sizeof buf) < 0)
		return -ESRCH;
	/* the command name may hold anything, ')' too: the last one ends it */
	const char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -ESRCH;
	p += 2;
	st->state = *p++;
	for (int field = 4; field <= 22; field++) {
		if (!parse_num(&p, &v))
			return -ESRCH;
		if (field == 4)
			st->ppid = (int)v;
		else if (field == 5)
			st->pgrp = (int)v;
		else if (field == 6)
			st->session = (int)v;
		else if (field == 22)
			st->start = (uint64_t)v;
	}
	return 0;
}

/* A field of /proc/PID/status ("Tgid:"), its first number. */
static long status_field(int pid, const char *name, long *out)
{
	char path[40], buf[2048];

	rt_snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (read_small(path, buf, sizeof buf) < 0)
		return -ESRCH;
	size_t n = strlen(name);
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, n))
			continue;
		p += n;
		while (*p == '\t' || *p == ' ')
			p++;
		return parse_num(&p, out) ? 0 : -ESRCH;
	}
	return -ESRCH;
}

/* ---- entering processes ----------------------------------------------------- */

static void pt_enter(int pid, uint64_t start)
{
	if (!pt || !pid_in_range(pid) || !start)
		return;
	__atomic_store_n(&pt_entry(pid)->start, start, __ATOMIC_RELEASE);
	__atomic_fetch_and(&pt_exiting()[pid / 64], ~(1ULL << (pid % 64)), __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&pt_bitmap()[pid / 64], 1ULL << (pid % 64), __ATOMIC_RELEASE);
	int m = __atomic_load_n(&pt->max_pid, __ATOMIC_RELAXED);
	while (m < pid && !__atomic_compare_exchange_n(&pt->max_pid, &m, pid, true, __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

/* Enter the calling process (its rt_proc's pid) under its own start time. */
static void pt_enter_self(void)
{
	struct rt_proc *p = current()->proc;
	struct pidtab_stat st;

	if (pidtab_stat(p->pid, &st)) {
		log_warn("cannot read this process's start time: other processes cannot name it");
		return;
	}
	p->start_time = st.start;
	pt_enter(p->pid, st.start);
}

static long pt_map(int fd, bool create, struct pt_header **out)
{
	unsigned long total = PT_SIZE + 2 * RT_PAGE_SIZE; /* a guard page each side */
	long a = plat_mem_map(0, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a < 0 && a > -4096)
		return a;
	long m = plat_mem_map((uintptr_t)a + RT_PAGE_SIZE, PT_SIZE, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd, 0);
	if (m != a + (long)RT_PAGE_SIZE) {
		plat_mem_unmap((uintptr_t)a, total);
		return m < 0 && m > -4096 ? m : -ENOMEM;
	}
	struct pt_header *h = (struct pt_header *)m;
	if (create) {
		h->limit = PT_PID_LIMIT;
		if (plat_random(&h->token, sizeof h->token)) {
			plat_mem_unmap((uintptr_t)a, total);
			return -EIO;
		}
		__atomic_store_n(&h->magic, PT_MAGIC, __ATOMIC_RELEASE);
	} else if (h->magic != PT_MAGIC || h->limit != PT_PID_LIMIT) {
		plat_mem_unmap((uintptr_t)a, total);
		return -EINVAL;
	}
	rt_reserve((uintptr_t)a, (uintptr_t)a + total);
	*out = h;
	return 0;
}

/* Make the registry's memfd and map it; returns the fd or -errno. */
static long pt_make(struct pt_header **h)
{
	long fd = host_fd("memfd_create", plat_host_memfd_create("coffer-pidtab", MFD_CLOEXEC));
	long r;
	if (fd < 0)
		return fd;
	if ((r = host_zero("ftruncate", plat_host_ftruncate((int)fd, (long)PT_SIZE))) || (r = pt_map((int)fd, true, h))) {
		plat_host_close((int)fd);
		return r;
	}
	return fd;
}

/* Start using registry h (under pt_wlock: pidtab_begin and _end see either
 * no registry and pt_early_depth, or the entry with that depth). The entry
 * stays changing while the depth is not 0. */
static void pt_install(struct pt_header *h)
{
	struct rt_proc *p = current()->proc;

	rt_olock(&pt_wlock);
	__atomic_store_n(&pt, h, __ATOMIC_RELEASE);
	if (pid_in_range(p->pid)) {
		struct pt_entry *e = pt_entry(p->pid);
		e->depth = pt_early_depth;
		if (e->depth && !(__atomic_load_n(&e->seq, __ATOMIC_RELAXED) & 1))
			__atomic_add_fetch(&e->seq, 1, __ATOMIC_RELEASE);
	}
	rt_ounlock(&pt_wlock);
}

int pidtab_boot(int fd, bool first)
{
	struct rt_proc *p = current()->proc;
	struct pt_header *h;

	p->pidtab_fd = -1;
	/* Publishing stays open until boot.c's pidtab_end. */
	pt_early_depth = 1;
	if (first || fd < 0)
		return 0; /* made when needed */
	/* inherited from our own execve: it must be what we made */
	long size = host_ret("lseek", plat_host_lseek(fd, 0, SEEK_END));
	if (size != (long)PT_SIZE || pt_map(fd, false, &h)) {
		log_warn("the process registry inherited at fd %d is unusable; starting a new one when needed", fd);
		plat_host_close(fd);
		return 0;
	}
	plat_host_fcntl(fd, F_SETFD, FD_CLOEXEC);
	fd_runtime_add(fd);
	p->pidtab_fd = fd;
	pt_install(h);
	pt_enter_self();
	__atomic_store_n(&pt_ready, true, __ATOMIC_RELEASE);
	return 0;
}

long pidtab_prepare(void)
{
	struct rt_proc *p = current()->proc;
	struct pt_header *h;

	if (__atomic_load_n(&pt_ready, __ATOMIC_ACQUIRE))
		return 0;
	rt_olock(&pt_make_lock);
	long fd = pt_ready ? -EEXIST : pt_make(&h);
	if (fd >= 0) { /* 0 too: the host's lowest free fd, when the program closed its stdin */
		pt_install(h);
		pt_enter_self();
		/* a runtime fd, and published: the first process another can name */
		pidtab_begin();
		long r = fd_runtime_hide(fd); /* out of the application's way */
		if (r >= 0)
			p->pidtab_fd = (int)r;
		else
			log_warn("the process registry has no fd (%ld): an execve will start a new one", r);
		pidtab_end();
		uts_registry_made();
		__atomic_store_n(&pt_ready, true, __ATOMIC_RELEASE); /* last */
		fd = 0;
	}
	rt_ounlock(&pt_make_lock);
	if (fd == -EEXIST)
		fd = 0; /* another thread made it meanwhile */
	if (fd < 0)
		log_warn("cannot make the process registry (%ld)", fd);
	return fd;
}

void pidtab_add_child(int pid, bool clone_parent)
{
	struct pidtab_stat st;
	int parent = clone_parent ? (int)host_pid("getppid", plat_host_getppid()) : current()->proc->pid;

	if (pid > 0 && !pidtab_stat(pid, &st) && st.ppid == parent)
		pt_enter(pid, st.start);
}

void pidtab_child_start(bool forked)
{
	struct rt_proc *p = current()->proc;
	/* A forked child's copy of the writer lock may be held by a thread
	 * that does not exist here (a vfork child shares ours: the lock's
	 * owner check handles a holder that died). */
	if (forked)
		pt_wlock.owner = NULL;
	pt_enter_self();
	if (pt && pid_in_range(p->pid))
		pt_entry(p->pid)->depth = 0;
	pidtab_begin();
	pidtab_end();
}

/* ---- publishing ------------------------------------------------------------- */

void pidtab_begin(void)
{
	struct rt_proc *p = current()->proc;
	if (!p || !pid_in_range(p->pid))
		return;
	rt_olock(&pt_wlock);
	if (!pt) {
		pt_early_depth++;
	} else {
		struct pt_entry *e = pt_entry(p->pid);
		if (e->depth++ == 0 && !(e->seq & 1))
			__atomic_add_fetch(&e->seq, 1, __ATOMIC_RELEASE);
	}
	rt_ounlock(&pt_wlock);
}

void pidtab_end(void)
{
	struct rt_proc *p = current()->proc;
	if (!p || !pid_in_range(p->pid))
		return;
	rt_olock(&pt_wlock);
	if (!pt) {
		RT_ASSERT(pt_early_depth > 0);
		pt_early_depth--;
		rt_ounlock(&pt_wlock);
		return;
	}
	struct pt_entry *e = pt_entry(p->pid);
	RT_ASSERT(e->depth > 0);
	if (--e->depth == 0) {
		const struct mm_layout *m = &mm_layout;
		unsigned nres = __atomic_load_n(&m->nreserved, __ATOMIC_ACQUIRE), n = 0;
		if (2 + nres > PIDTAB_RANGES) {
			e->nranges = PT_OVERFLOW;
		} else {
			e->ranges[n].lo = m->image_lo;
			e->ranges[n++].hi = m->image_hi;
			e->ranges[n].lo = m->arena_lo;
			e->ranges[n++].hi = m->arena_hi;
			for (unsigned i = 0; i < nres; i++, n++) {
				e->ranges[n].lo = m->reserved[i].lo;
				e->ranges[n].hi = m->reserved[i].hi;
			}
			e->nranges = n;
		}
		int fds[PIDTAB_FDS];
		int nf = fd_runtime_list(fds, PIDTAB_FDS);
		for (int i = 0; i < nf; i++)
			e->fds[i] = fds[i];
		e->nfds = (uint32_t)nf;
		e->pstart = p->start_time;
		__atomic_add_fetch(&e->seq, 1, __ATOMIC_RELEASE);
	}
	rt_ounlock(&pt_wlock);
}

void *pidtab_uts(void)
{
	return pt ? pt->uts : NULL;
}

/* ---- the view --------------------------------------------------------------- */

static int self_pid(void)
{
	return current()->proc->pid;
}

/* The entry's start time matches the process that holds pid now. */
static bool pt_matches(int pid, struct pidtab_stat *st)
{
	if (!pt || !pid_in_range(pid))
		return false;
	uint64_t start = __atomic_load_n(&pt_entry(pid)->start, __ATOMIC_ACQUIRE);
	return start && !pidtab_stat(pid, st) && st->start == start;
}

bool pidtab_owned(int pid)
{
	struct pidtab_stat st;
	return pid > 0 && (pid == self_pid() || pt_matches(pid, &st));
}

bool pidtab_last_exit(void)
{
	int self = self_pid(), top = pt ? __atomic_load_n(&pt->max_pid, __ATOMIC_ACQUIRE) : 0;

	if (!pt)
		return true; /* no other process was ever started */
	if (!pid_in_range(self))
		return false;
	/* Mark ourselves first, then look: of two processes exiting at once,
	 * at least one sees the other's mark (both atomics are sequentially
	 * consistent), so the last one out is never missed. */
	__atomic_fetch_or(&pt_exiting()[self / 64], 1ULL << (self % 64), __ATOMIC_SEQ_CST);
	for (int w = 0; w <= top / 64; w++) {
		uint64_t bits = __atomic_load_n(&pt_bitmap()[w], __ATOMIC_SEQ_CST) &
				~__atomic_load_n(&pt_exiting()[w], __ATOMIC_SEQ_CST);
		while (bits) {
			int pid = w * 64 + __builtin_ctzll(bits);
			struct pidtab_stat st;
			bits &= bits - 1;
			if (pid != self && pt_matches(pid, &st) && st.state != 'Z' && st.state != 'X')
				return false;
		}
	}
	return true;
}

int pidtab_list(int *out, int max)
{
	int self = self_pid(), n = 0;
	int top = pt ? __atomic_load_n(&pt->max_pid, __ATOMIC_ACQUIRE) : 0;
	bool self_done = false;

	for (int w = 0; pt && w <= top / 64; w++) {
		uint64_t bits = __atomic_load_n(&pt_bitmap()[w], __ATOMIC_ACQUIRE);
		while (bits) {
			int pid = w * 64 + __builtin_ctzll(bits);
			bits &= bits - 1;
			if (!self_done && pid >= self) {
				self_done = true;
				if (pid > self) {
					if (n < max)
						out[n] = self;
					n++;
				}
			}
			if (pid == self || pidtab_owned(pid)) {
				if (n < max)
					out[n] = pid;
				n++;
			}
		}
	}
	if (!self_done) {
		if (n < max)
			out[n] = self;
		n++;
	}
	return n;
}

/* Has the process behind pidfd fd been reaped? (A zombie has not.) */
static bool pidfd_alive(long fd)
{
	long r = host_zero("pidfd_send_signal", plat_signal_pidfd((int)fd, 0, NULL));
	return r == 0 || r == -EPERM;
}

long pidtab_pidfd(int pid, unsigned flags)
{
	struct pidtab_stat st;

	if (pid <= 0)
		return -EINVAL;
	bool self = pid == self_pid();
	if (!self && (!pt || !pid_in_range(pid) || !__atomic_load_n(&pt_entry(pid)->start, __ATOMIC_ACQUIRE)))
		return -ESRCH;
	long fd = host_fd("pidfd_open", plat_host_pidfd_open(pid, flags));
	if (fd < 0 || self)
		return fd;
	if (!pt_matches(pid, &st) || !pidfd_alive(fd)) {
		plat_host_close((int)fd);
		return -ESRCH;
	}
	return fd;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

long pidtab_thread_pidfd(int tgid, int tid)
{
	long owner;

	if (tid <= 0 || tgid <= 0)
		return -ESRCH;
	long fd = host_fd("pidfd_open", plat_host_pidfd_open(tid, PIDFD_THREAD));
	if (fd == -EINVAL)
		return -ENOSYS; /* before Linux 6.9 */
	if (fd < 0)
		return -ESRCH;
	/* while the thread lives (before and after), tgid is its group's */
	if (status_field(tid, "Tgid:", &owner) || owner != tgid || !pidtab_owned(tgid) || !pidfd_alive(fd)) {
		plat_host_close((int)fd);
		return -ESRCH;
	}
	return fd;
}

long pidtab_fd_target(int fd)
{
	char path[48], buf[1024];
	long pid = -1;
	struct pidtab_stat st;

	rt_snprintf(path, sizeof path, "%s/fdinfo/%d", fd_host_proc(), fd);
	if (read_small(path, buf, sizeof buf) < 0)
		return -EBADF;
	const char *p = buf;
	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, "Pid:", 4))
			break;
	if (p && *p) {
		p += 4;
		while (*p == '\t' || *p == ' ')
			p++;
		if (*p == '-')
			return -ESRCH; /* reaped */
		if (!parse_num(&p, &pid))
			return -EBADF;
	} else {
		/* A /proc/PID directory of the host's works as a pidfd too. Which
		 * process it is, the host's link says, not the path the
		 * application opened it by (/proc/self/root/proc/PID, an openat
		 * below another directory fd, an fd received from elsewhere). */
		char dir[64];
		rt_snprintf(path, sizeof path, "%s/fd/%d", fd_host_proc(), fd);
		long n = host_len("readlinkat", plat_host_readlinkat(AT_FDCWD, path, dir, sizeof dir - 1), sizeof dir - 1);
		if (n < 0)
			return -EBADF;
		dir[n] = 0;
		if (!str_starts(dir, "/proc/") || !rt_parse_long(dir + 6, &pid))
			return -EBADF;
	}
	if (pid <= 0 || pid > 0x7fffffff)
		return -ESRCH;
	if ((int)pid == self_pid())
		return pid;
	/* The pid it had is now held by our process, and the fd's process was
	 * alive before and after that check: they are the same. */
	if ((!pt_matches((int)pid, &st) && pidtab_tid_owner((int)pid) < 0) || !pidfd_alive(fd))
		return -ESRCH; /* (a thread's pidfd names its tid) */
	return pid;
}

long pidtab_tid_owner(int tid)
{
	long tgid;

	if (tid <= 0)
		return -ESRCH;
	if (status_field(tid, "Tgid:", &tgid))
		return -ESRCH;
	return pidtab_owned((int)tgid) ? tgid : -ESRCH;
}

long pidtab_view(int pid, struct pidtab_view *v)
{
	struct pidtab_stat st;

	if (!pt || !pid_in_range(pid))
		return -ESRCH;
	struct pt_entry *e = pt_entry(pid);
	for (unsigned tries = 0; tries < 100000; tries++) {
		if (!pt_matches(pid, &st))
			return -ESRCH;
		if (st.state == 'Z' || st.state == 'X')
			return 1;
		uint32_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		if ((s1 & 1) || __atomic_load_n(&e->pstart, __ATOMIC_RELAXED) != st.start) {
			plat_yield();
			continue;
		}
		v->seq = s1;
		v->overflow = e->nranges == PT_OVERFLOW;
		v->nranges = v->overflow ? 0 : RT_MIN(e->nranges, (uint32_t)PIDTAB_RANGES);
		for (unsigned i = 0; i < v->nranges; i++) {
			v->ranges[i].lo = e->ranges[i].lo;
			v->ranges[i].hi = e->ranges[i].hi;
		}
		v->nfds = RT_MIN(e->nfds, (uint32_t)PIDTAB_FDS);
		for (unsigned i = 0; i < v->nfds; i++)
			v->fds[i] = e->fds[i];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) == s1)
			return 0;
	}
	return -EAGAIN;
}

bool pidtab_view_same(int pid, const struct pidtab_view *v)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return pt && pid_in_range(pid) && __atomic_load_n(&pt_entry(pid)->seq, __ATOMIC_ACQUIRE) == v->seq;
}

bool pidtab_range_ok(const struct pidtab_view *v, uint64_t lo, uint64_t len)
{
	uint64_t hi = lo + len;
	if (v->overflow || hi < lo)
		return false;
	if (len == 0)
		hi = lo + 1;
	for (unsigned i = 0; i < v->nranges; i++)
		if (lo < v->ranges[i].hi && hi > v->ranges[i].lo)
			return false;
	return true;
}

/* ---- selections --------------------------------------------------------------- */

int pidtab_select(enum pidtab_by by, long key, int *out, int max)
{
	int all[512];
	int n = pidtab_list(all, RT_ARRAY_LEN(all)), k = 0;
	struct pidtab_stat st;
	long uid;

	if (n > (int)RT_ARRAY_LEN(all)) {
		log_warn("more than %zu processes: a group operation reaches the first ones only", RT_ARRAY_LEN(all));
		n = RT_ARRAY_LEN(all);
	}
	for (int i = 0; i < n && k < max; i++) {
		bool take = false;
		switch (by) {
		case PIDTAB_ALL: take = true; break;
		case PIDTAB_PGRP: take = !pidtab_stat(all[i], &st) && st.pgrp == key; break;
		case PIDTAB_UID: take = !status_field(all[i], "Uid:", &uid) && uid == key; break;
		}
		if (take)
			out[k++] = all[i];
	}
	return k;
}

long pidtab_owner_ok(long who)
{
	if (who == 0)
		return 0;
	if (who > 0)
		return pidtab_owned((int)who) ? 0 : -ESRCH;
	/* a process group: its leader must be ours (the group the first
	 * process starts in is its parent's unless a job-control shell gave it
	 * its own, and may hold other host processes of the same job) */
	if (who <= INT_MIN)
		return -ESRCH;
	return pidtab_owned((int)-who) ? 0 : -ESRCH;
}

/* ---- host-wide objects the application made -------------------------------- */

static uint64_t *pt_ipc(void)
{
	return (uint64_t *)((uintptr_t)pt + PT_HDR_SIZE);
}

static uint64_t ipc_key(int kind, int id)
{
	return (uint64_t)(uint32_t)kind << 32 | (uint32_t)id;
}

bool pidtab_ipc_has(int kind, int id)
{
	uint64_t k = ipc_key(kind, id);
	for (unsigned i = 0; pt && id >= 0 && i < PT_IPC_SLOTS; i++)
		if (__atomic_load_n(&pt_ipc()[i], __ATOMIC_ACQUIRE) == k)
			return true;
	return false;
}

long pidtab_ipc_add(int kind, int id)
{
	uint64_t k = ipc_key(kind, id);
	if (pidtab_prepare() || id < 0)
		return -ENOSPC;
	if (pidtab_ipc_has(kind, id))
		return 0;
	for (unsigned i = 0; i < PT_IPC_SLOTS; i++) {
		uint64_t zero = 0;
		if (__atomic_compare_exchange_n(&pt_ipc()[i], &zero, k, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return 0;
	}
	return -ENOSPC;
}

void pidtab_ipc_remove(int kind, int id)
{
	uint64_t k = ipc_key(kind, id);
	for (unsigned i = 0; pt && i < PT_IPC_SLOTS; i++) {
		uint64_t want = k;
		__atomic_compare_exchange_n(&pt_ipc()[i], &want, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
}

uint64_t pidtab_token(void)
{
	return pidtab_prepare() ? 0 : pt->token;
}
