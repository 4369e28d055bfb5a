/*
 * platform.h - the boundary between the runtime (trusted) and the host.
 *
 * Everything the runtime asks of the host goes through the functions below;
 * everything the host tells the runtime arrives through the three callbacks at
 * the end (rt_main, rt_on_syscall, rt_on_signal). Two platforms implement this
 * file: `direct` (plain Linux, the default and what the tests use) and, later,
 * `sgx`. Each function is shaped so that it could be an OCALL: arguments are
 * values or buffers with explicit lengths, and every result is untrusted: the
 * runtime checks lengths, addresses and counts before it uses them.
 *
 * Services, in groups:
 *   start and stop     rt_main, plat_exit_group, plat_exec
 *   memory             plat_mem_*           (the runtime's own memory)
 *   forwarded calls    plat_forward         (application calls, checked)
 *   the runtime's own  plat_host_*, plat_futex_*, plat_clock_gettime, ...
 *   host calls         (files, directories, identity, time, signals)
 *   threads, processes plat_thread_*, plat_fork, plat_enter_app
 *   signals            plat_sig_*
 *   misc               plat_log_write, plat_random
 *
 * Threads: every thread that runs runtime or application code has a runtime
 * thread block whose first member is a struct plat_tls; the platform keeps its
 * address where the runtime's code can reach it without touching %fs (which
 * belongs to the application's libc). On direct that is the %gs base.
 */
#ifndef COFFER_PLATFORM_H
#define COFFER_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"

/* How the application's memory is provided (plat_boot_info.app_mem; docs/
 * platforms.md, "Application memory inside ELRANGE"). */
enum plat_app_mem {
	/* The host maps it: application mmap and friends are forwarded and
	 * checked against runtime memory (direct's default). */
	PLAT_APP_MEM_HOST,
	/* The runtime serves it from [app_mem_lo, app_mem_hi), which the host
	 * keeps reserved and in which plat_mem_map(MAP_FIXED) replaces pages
	 * with fresh zero pages of the asked protection (MAP_SHARED: shared
	 * with forked children) and plat_mem_protect changes protection: the
	 * runtime keeps the mappings' list, the host page tables follow it, so
	 * PROT_NONE faults. (direct's COFFER_MEMORY=enclave; EDMM later.) */
	PLAT_APP_MEM_RANGE,
	/* The runtime serves it from [app_mem_lo, app_mem_hi), whose pages all
	 * exist, readable, writable and executable, from the start and never
	 * change: the runtime zeroes what it hands out again, and protection is
	 * bookkeeping only (SGX1 after EINIT; direct's COFFER_MEMORY=sgx1). */
	PLAT_APP_MEM_FIXED,
};

/* ---- per-thread block shared by platform and runtime -------------------- */

struct plat_tls {
	struct plat_tls *self; /* %gs:0 */
	/* Set by the runtime when a signal is held for the application and can be
	 * delivered now. While set, interruptible host calls return -EINTR
	 * without blocking, and the platform asks the runtime to deliver before
	 * it returns to the application. */
	volatile int32_t intr; /* %gs:8 */
	int32_t pad;
	uintptr_t stack_lo, stack_hi; /* this thread's runtime stack */
	/* The application context the current system call was made from, set
	 * by the platform for the duration of rt_on_syscall (NULL otherwise). */
	struct kucontext *app_ctx;
	/* 1 while the host thread exists; the host clears it (and wakes a
	 * futex on it) when the thread is gone, so its stack can be reused. */
	volatile int alive;
	/* 1 while rt_on_syscall runs for a call that came through a patched
	 * call site (plat_patch_syscall) rather than a trap. */
	int fast;
	/* Calls this thread made through traps and through patched sites. */
	uint64_t n_trapped, n_fast;
	/* The platform's own per-thread scratch; the runtime leaves it alone. */
	uint64_t plat_private[8];
};
#define PLAT_TLS_INTR_OFFSET 8

/* The current thread's block. Volatile: the load must not be moved above a
 * check that %gs is set up yet. */
static inline struct plat_tls *plat_tls(void)
{
	struct plat_tls *t;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(t));
	return t;
}

/* ---- start and stop ------------------------------------------------------ */

/* Who this enclave is, as the CPU establishes it at EINIT (simulated on
 * direct: the platform recomputes the measurement and checks the signature
 * before rt_main, and refuses to start on any mismatch). */
struct plat_identity {
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint16_t isvprodid, isvsvn;
	uint64_t attributes, xfrm;
	uint32_t miscselect;
};

struct plat_boot_info {
	const uint8_t *bootblock; /* serialized start state, common/bootblock.h */
	size_t bootblock_len;
	/* A signed enclave: its manifest (covered by MRENCLAVE, validated with
	 * man_open) and SIGSTRUCT; NULL for a development run. */
	const uint8_t *manifest;
	size_t manifest_len;
	const uint8_t *sigstruct;
	struct plat_identity id;
	uintptr_t image_lo, image_hi; /* the enclave image, page aligned */
	uintptr_t text_lo, text_hi;   /* its code (the calls it may make itself) */
	uintptr_t stack_top;          /* the app's initial stack is built below */
	uintptr_t vdso;               /* host vDSO image, 0 if none */
	unsigned long hwcap, hwcap2, minsigstksz, clktck;
	unsigned long uid, euid, gid, egid;
	const char *platform_name;
	bool simulated; /* identity, keys and quotes are simulated */
	/* Where the application's memory comes from (see "memory" below):
	 * app_mem_hi == 0 for host memory, else the range the runtime serves
	 * every application mapping from, and how its pages behave. */
	uintptr_t app_mem_lo, app_mem_hi;
	enum plat_app_mem app_mem;
	/* PLAT_APP_MEM_FIXED: the range's pages hold zeros at boot, vouched for
	 * (measured, or the host's fresh memory where the host is trusted
	 * anyway); if not, the runtime zeroes each page before first use. */
	bool app_mem_zeroed;
};

/* Leave the enclave: the whole process exits with `status`. */
__attribute__((noreturn)) void plat_exit_group(int status);

/* Replace this process image with a fresh enclave that boots from the start
 * state in host file descriptor `boot_fd` (boot step 4 in docs/design.md).
 * `title` is only for the host's process list. Returns only on failure. */
long plat_exec(int boot_fd, const char *title);

/* ---- memory (the runtime's own) ---------------------------------------- */

/* Also used on the application's range with PLAT_APP_MEM_RANGE: only
 * MAP_FIXED anonymous maps inside it (fresh zero pages), and protect. */
long plat_mem_map(uintptr_t addr, size_t len, int prot, int flags, int fd, long off);
long plat_mem_unmap(uintptr_t addr, size_t len);
long plat_mem_protect(uintptr_t addr, size_t len, int prot);
/* Fault in [addr, addr + len) writable now (MADV_POPULATE_WRITE), so that
 * later touches cannot fail for lack of memory. */
long plat_mem_populate(uintptr_t addr, size_t len);
/* For application memory the runtime serves from its own range when that
 * range is host memory (PLAT_APP_MEM_RANGE): madvise, mremap of whole host
 * mappings, and mincore into `vec` (one byte per page, inside the range).
 * Results are -errno, or for plat_mem_remap the new address, which the
 * runtime compares with the one it asked for. */
long plat_mem_advise(uintptr_t addr, size_t len, int advice);
long plat_mem_remap(uintptr_t old, size_t old_len, size_t new_len, int flags, uintptr_t new_addr);
long plat_mem_incore(uintptr_t addr, size_t len, uint8_t *vec);

/* ---- forwarded application system calls -------------------------------- */

/* Make system call `nr` on the host with the given arguments, which the
 * runtime has already checked (pointers outside runtime memory, file
 * descriptors the application owns). Interruptible: if a signal for the
 * application is pending (plat_tls()->intr), returns -EINTR without making
 * the call, and a blocking call is interrupted by such a signal.
 * On sgx this is an OCALL marshalled from the runtime's per-call argument
 * description (runtime/syscall/table.h). */
long plat_forward(long nr, const long args[6]);

/* The same, never interrupted by the application's signals: for forwarded
 * calls that do not wait (the table's calls without SYS_BLOCK, fcntl
 * commands that never block) and for the retry of an interrupted read,
 * write or open of a regular file, which Linux never interrupts. The
 * runtime's marshaller (runtime/syscall/marshal.c) makes every forwarded
 * call through one of these two. */
long plat_forward_now(long nr, const long args[6]);
/* Whether the host reaches application memory as it is: on direct the host
 * kernel shares the address space, so a forwarded call may hand it the
 * application's own pointers (the thin case); on sgx it cannot, and every
 * buffer is copied through plat_untrusted_scratch. */
bool plat_app_memory_shared(void);

/* At least `len` bytes of this thread's untrusted scratch memory: outside
 * the enclave (on direct: outside runtime memory), readable and writable by
 * the host, so everything in it is hostile and read once. The area is the
 * calling thread's until its next call here, which may move it (a larger
 * len); it goes with the thread. NULL if it cannot be had. The runtime
 * reaches it only through fault-safe copies (an application on direct can
 * unmap it, which then fails the call with EFAULT). */
void *plat_untrusted_scratch(size_t len);


/* ---- the runtime's own host calls ---------------------------------------
 *
 * What the runtime itself asks of the host's kernel, one typed function per
 * service, grouped as Gramine's PAL groups them. Arguments are values, or
 * buffers with explicit lengths that the platform copies (on sgx, across
 * the boundary); strings are NUL-terminated runtime strings. Each returns
 * the host's result: a value >= 0, or -errno (-4095..-1). None is
 * interrupted by the application's signals. Nothing here is trusted: the
 * runtime checks every result where it uses it (runtime/lib/host.h; the
 * list per call is in docs/platforms.md, "The boundary: the runtime's own
 * host calls"). "Checks:" below says what the runtime checks.
 *
 * A host fd is the host's number; the runtime's fd table (runtime/fs)
 * decides which of them the application may use. */

/* -- files and streams -- */
/* Checks: the fd is in [0, FD_MAX) (runtime/fs/vfs.h). */
long plat_host_openat(int dirfd, const char *path, int flags, unsigned mode);
/* openat2 with struct open_how { flags, mode, resolve }. Checks: as openat. */
long plat_host_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
long plat_host_close(int fd);
long plat_host_close_range(unsigned lo, unsigned hi, unsigned flags);
/* Checks: the count is at most len. */
long plat_host_read(int fd, void *buf, size_t len);
long plat_host_write(int fd, const void *buf, size_t len);
long plat_host_pread(int fd, void *buf, size_t len, long off);
/* Checks: the offset is >= 0. */
long plat_host_lseek(int fd, long off, int whence);
/* Checks: the mode's type bits name a file type (or none: anonymous
 * inodes), size and blocks are >= 0. */
long plat_host_fstat(int fd, struct kstat *out);
long plat_host_fstatat(int dirfd, const char *path, struct kstat *out, int flags);
/* Checks: as fstat, for the fields stx_mask says were filled. */
long plat_host_statx(int dirfd, const char *path, int flags, unsigned mask, struct kstatx *out);
long plat_host_fstatfs(int fd, struct kstatfs *out);
long plat_host_statfs(const char *path, struct kstatfs *out);
long plat_host_ftruncate(int fd, long len);
long plat_host_truncate(const char *path, long len);
/* fcntl with an integer argument (F_GETFD, F_SETFD, F_DUPFD_CLOEXEC,
 * F_SETLEASE); commands with a pointer are forwarded application calls.
 * Checks: F_DUPFD*: as openat. */
long plat_host_fcntl(int fd, int cmd, long arg);
/* Checks: as openat; dup2 and dup3 return newfd. */
long plat_host_dup(int fd);
long plat_host_dup2(int oldfd, int newfd);
long plat_host_dup3(int oldfd, int newfd, int flags);
/* Checks: both fds as openat, and different. */
long plat_host_pipe2(int fds[2], int flags);
long plat_host_socketpair(int domain, int type, int protocol, int fds[2]);
long plat_host_memfd_create(const char *name, unsigned flags);
long plat_host_signalfd(int fd, uint64_t mask, int flags);
long plat_host_inotify_add_watch(int fd, const char *path, uint32_t mask);
/* TIOCGPTN: the number of the pseudo-terminal whose master is fd. */
long plat_host_pty_number(int fd, unsigned *out);
/* Checks: *len (in: the buffer's size, out: the value's) fits the buffer. */
long plat_host_getsockopt(int fd, int level, int opt, void *val, unsigned *len);
/* Checks: *len (in: the buffer's size, out: the address's) fits the buffer. */
long plat_host_getpeername(int fd, void *addr, unsigned *len);
/* Extended attributes of path. Checks: get and list return at most size. */
enum plat_xattr_op {
	PLAT_XATTR_GET,
	PLAT_XATTR_SET,
	PLAT_XATTR_LIST,
	PLAT_XATTR_REMOVE,
};
long plat_host_xattr(enum plat_xattr_op op, bool nofollow, const char *path, const char *name, void *value,
		     size_t size, int flags);

/* -- directories and names -- */
/* Checks: the byte count is at most len, and each record's length keeps
 * it inside the count, holds its header and a NUL-terminated name. */
long plat_host_getdents(int fd, void *buf, size_t len);
/* Checks: the length is at most len (no NUL is written). */
long plat_host_readlinkat(int dirfd, const char *path, char *buf, size_t len);
long plat_host_mkdirat(int dirfd, const char *path, unsigned mode);
long plat_host_mknodat(int dirfd, const char *path, unsigned mode, unsigned dev);
long plat_host_unlinkat(int dirfd, const char *path, int flags);
long plat_host_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags);
long plat_host_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags);
long plat_host_symlinkat(const char *target, int dirfd, const char *path);
long plat_host_fchmodat(int dirfd, const char *path, unsigned mode, int flags);
long plat_host_fchownat(int dirfd, const char *path, unsigned uid, unsigned gid, int flags);
/* times: 2 timespecs, or NULL for now; path NULL: dirfd itself. */
long plat_host_utimensat(int dirfd, const char *path, const struct ktimespec *times, int flags);
long plat_host_faccessat(int dirfd, const char *path, int mode, int flags);
/* Checks: the length (with its NUL) is at most len, the NUL is there. */
long plat_host_getcwd(char *buf, size_t len);
long plat_host_chdir(const char *path);
long plat_host_fchdir(int fd);
/* Returns the previous mask. */
long plat_host_umask(unsigned mask);

/* -- processes and identity -- */
/* Checks: ids are in (0, PID_MAX] (runtime/lib/host.h). */
long plat_host_getpid(void);
long plat_host_gettid(void);
long plat_host_getppid(void);
long plat_host_getpgrp(void);
/* Checks: in [0, 2^32). */
long plat_host_getuid(void);
long plat_host_geteuid(void);
long plat_host_getegid(void);
/* Checks: cur <= max. */
long plat_host_getrlimit(int resource, struct krlimit *out);
/* Of host process pid. getpriority returns 20 - nice; checks: in [1, 40]. */
long plat_host_getpriority(int pid);
long plat_host_setpriority(int pid, int prio);
long plat_host_ioprio_get(int pid);
long plat_host_ioprio_set(int pid, int prio);
long plat_host_unshare(unsigned long flags);
/* Checks: every field is NUL-terminated (the runtime terminates them). */
long plat_host_uname(struct kutsname *out);
/* Checks: the fd as openat. */
long plat_host_pidfd_open(int pid, unsigned flags);
/* SysV IPC objects: remove one (kind: 0 shm, 1 sem, 2 msg), or ask if a
 * segment still exists (IPC_STAT: 0 or -errno). */
long plat_host_ipc_rmid(int kind, int id);
long plat_host_shm_exists(int id);
/* membarrier(MEMBARRIER_CMD_QUERY): the commands the host supports. */
long plat_host_membarrier_query(void);
/* Let another host thread run. */
void plat_yield(void);

/* -- time -- */
/* Checks: tv_nsec in [0, 1e9), tv_sec >= 0. */
long plat_clock_gettime(int clock, struct ktimespec *out);

/* -- threads and futexes -- */
/* Wake up to n waiters on the (shared, not private) futex word. */
long plat_futex_wake(uint32_t *word, int n);

/* -- signals -- */
/* Send sig to host thread tid of process tgid, with info when not NULL
 * (rt_tgsigqueueinfo), else as tgkill. */
long plat_signal_thread(int tgid, int tid, int sig, const struct ksiginfo *info);
/* rt_sigqueueinfo to host process pid. */
long plat_signal_process(int pid, int sig, const struct ksiginfo *info);
/* pidfd_send_signal (info NULL: as kill). */
long plat_signal_pidfd(int pidfd, int sig, const struct ksiginfo *info);
/* The host signals pending for the calling thread or its process. */
long plat_sig_pending(uint64_t *set);

/* ---- threads and processes --------------------------------------------- */

/* Start a host thread or vfork child (clone with CLONE_VM). The child starts on
 * `stack_top` with all signals blocked, calls plat_thread_arm(child) and then
 * rt_thread_start(child), which must not return. `flags`, `ptid` and `tls`
 * are passed to clone (without CLONE_CHILD_SETTID/CLEARTID: the child-tid
 * word is child->alive). Returns the child's host tid or -errno. */
long plat_thread_start(unsigned long flags, struct plat_tls *child, uintptr_t stack_top,
		       int *ptid, unsigned long tls);

/* Fork-like clone without CLONE_VM: returns 0 in the child (which must call
 * plat_thread_arm again), the child's pid in the parent, or -errno. It
 * returns, in both processes, with every signal blocked, the reserved ones
 * too, and the previous mask in *oldmask: a signal sent to the child right
 * after the fork waits in the host until the child has dropped what it
 * copied from the parent and restores the mask. */
long plat_fork(unsigned long flags, int *ptid, int *ctid, unsigned long tls, uint64_t *oldmask);

/* Make the calling host thread ready to run application code: set the thread
 * block, the signal stack, system call interception, and `alive`. */
long plat_thread_arm(struct plat_tls *t);

/* Switch to the application: load all registers and the host signal mask
 * from `ctx` atomically (fpstate 0 means a clean FPU). Does not return. */
__attribute__((noreturn)) void plat_enter_app(const struct kucontext *ctx);

/* Exit the calling host thread. */
__attribute__((noreturn)) void plat_thread_exit(int code);

/* ---- signals ------------------------------------------------------------ */

enum plat_sig_mode {
	PLAT_SIG_DEFAULT, /* host default action (terminate, stop, ignore) */
	PLAT_SIG_IGNORE,
	PLAT_SIG_RUNTIME, /* host signal reaches rt_on_signal */
};
/* `flags` may add SA_NOCLDSTOP / SA_NOCLDWAIT, which change what the host
 * kernel does for SIGCHLD. */
long plat_sig_set_mode(int sig, enum plat_sig_mode mode, unsigned long flags);
/* Set the host signal mask of the calling thread; returns the old mask. */
uint64_t plat_sig_setmask(uint64_t mask);
/* Signals the platform needs for itself and never lets a mask block. */
uint64_t plat_sig_reserved(void);

/* ---- the fast path: call-site patching ---------------------------------- */

/* Make later calls from the `syscall` instruction that ends at `ip` reach
 * rt_on_syscall without a trap. `code` holds the application's bytes from
 * ip - PLAT_PATCH_BEFORE to ip + PLAT_PATCH_AFTER, read by the runtime; only
 * the last `before` of the bytes before ip and the first `after` of those
 * from ip on could be read (the others are 0). `nr` is the call number this
 * trap carried. Only code the platform recognises is patched; on direct
 * (patch.c lists the shapes):
 *   mov $nr,%eax; syscall                    the mov must have loaded `nr`
 *   mov $nr,%rax; syscall                    and carry no other prefix
 *   xor %eax,%eax; syscall; cmp $-4096,%rax  glibc's read (nr 0)
 *   glibc's syscall() and Go's Syscall6      the number comes in %rax
 * The change is safe against other threads executing those bytes, and the
 * `syscall` instruction itself stays, so a thread that is about to execute
 * it still traps. Some shapes rewrite an address where threads can stand
 * or return (the instruction after the `syscall`, or one in the middle of
 * the bytes replaced); the platform then sends every return to that address
 * elsewhere, after it has stopped each other thread of the process once
 * (rt_thread_tids) to check where it stands. Returns 0 once the site is
 * patched (also when it already was), -ENOEXEC for code it does not
 * recognise, other -errno when the code could not be changed; in every case
 * but 0 the site keeps trapping.
 *
 * A call through a patched site reaches rt_on_syscall with plat_tls()->fast
 * set and a context without an FPU state (fpstate 0: the runtime does not
 * touch vector registers) and with uc_sigmask ~0 ("unchanged"); a handler
 * that needs the full context can send the call back to the trap path by
 * moving rip back onto the `syscall` instruction (rip -= 2) without setting
 * rax, as for a restart. A handler that sets uc_sigmask makes the platform
 * install it when the call returns, as after a trap. */
#define PLAT_PATCH_BEFORE 32
#define PLAT_PATCH_AFTER 8
long plat_patch_syscall(uintptr_t ip, long nr, const uint8_t code[PLAT_PATCH_BEFORE + PLAT_PATCH_AFTER],
			size_t before, size_t after);

struct plat_patch_stats {
	uint64_t sites_patched;  /* call sites rewritten in this process */
	uint64_t sites_refused;  /* recognised but not changeable (they trap) */
	uint64_t sites_unknown;  /* trapped, of no shape the platform knows */
};
void plat_patch_stats(struct plat_patch_stats *s);

/* ---- misc -------------------------------------------------------------- */

/* How the host should show this process (ps, top, pgrep, /proc/PID/cmdline,
 * /proc/PID/auxv): the application's name and where its argv, environment
 * strings and auxiliary vector lie. Best effort: a host may ignore it. */
struct plat_proc_view {
	const char *name;
	uintptr_t arg_lo, arg_hi, env_lo, env_hi;
	const uint64_t *auxv;
	size_t auxv_bytes;
};
void plat_describe_process(const struct plat_proc_view *v);

/* Write log output to host fd `fd` (the runtime owns the choice of fd). */
void plat_log_write(int fd, const char *buf, size_t len);
/* Fill with random bytes (untrusted on direct; the runtime mixes it). */
long plat_random(void *buf, size_t len);

/* ---- callbacks the runtime provides ------------------------------------- */

/* Boot: called once per enclave start on the platform's start stack. */
__attribute__((noreturn)) void rt_main(const struct plat_boot_info *bi);

/* An application system call was intercepted. `ctx` holds the application's
 * registers (the call number in rax, arguments in rdi, rsi, rdx, r10, r8, r9);
 * the runtime stores the result in ctx->uc_mcontext.rax, or changes ctx
 * entirely (sigreturn, signal delivery). */
void rt_on_syscall(struct kucontext *ctx);

/* A host signal arrived. `in_runtime` says whether it interrupted runtime code
 * (then `ctx` is the runtime's context and the runtime may only hold the
 * signal) or application code (then the runtime may deliver it by changing
 * `ctx`). Returns true if it handled the signal; false on a fault in runtime
 * code that it cannot fix up. */
bool rt_on_signal(int sig, struct ksiginfo *info, struct kucontext *ctx, bool in_runtime);

/* Deliver held signals into the application context `ctx` now: called by the
 * platform just before it returns to the application when intr is set. */
void rt_deliver_held(struct kucontext *ctx);

/* The platform mapped [lo, hi) for itself (call-site trampolines): the
 * application must not map, unmap or change anything there. */
void rt_reserve(uintptr_t lo, uintptr_t hi);

/* With enclave memory (plat_boot_info.app_mem): a region of `len` bytes
 * of the application's range less than `reach` from `near`, readable,
 * writable and executable, hidden from the application and reserved as
 * runtime memory (rt_reserve done), for the platform's code that must sit
 * next to the application's (call-site trampolines: on sgx they must be
 * enclave pages). 0 with host memory or when there is no room: the
 * platform then finds its own. */
uintptr_t rt_code_region(uintptr_t near, size_t len, size_t reach);

/* The host thread ids of the other live threads of this process (at most
 * max); for the platform's stop-the-world in plat_patch_syscall. */
size_t rt_thread_tids(int *out, size_t max);
/* Whether a thread of another process runs in this memory now (a vfork
 * child, or the parent of one): stop-the-world cannot reach it. */
bool rt_memory_shared(void);

/* A new thread made by plat_thread_start runs this. */
__attribute__((noreturn)) void rt_thread_start(struct plat_tls *self);

#endif
