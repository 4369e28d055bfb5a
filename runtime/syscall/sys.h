/*
 * sys.h - the system call layer: one dispatch table, handlers per family.
 *
 * Every x86-64 system call number has an entry in table.h with its name, its
 * handler, an argument description and flags. The argument description is one
 * letter per argument; the dispatcher uses it to check the arguments before any
 * handler runs (file descriptors the application owns, pointers outside
 * runtime memory) and --trace uses it to print the call. The same description
 * drives the marshaller of forwarded calls (marshal.c), which copies their
 * memory across the boundary and checks the host's answers.
 *
 *   d u x o  a value: signed, unsigned, hex, octal (printed only)
 *   p        a pointer the kernel reads, or an opaque value (printed in hex)
 *   s        a string the kernel reads that is not a path (printed)
 *   P        a path, resolved by the runtime (printed)
 *   f        a file descriptor the application must own (else EBADF); for a
 *            runtime-backed file (trusted, tmpfs) a forwarded call reaches
 *            the host fd that holds its number, so every call that moves
 *            file data has a handler that serves such files itself
 *   F        like f, but -1 is allowed
 *   D        a directory fd for a path: AT_FDCWD or an fd the application owns
 *   a        an address that must not be in runtime memory (EINVAL)
 *   m        a memory range [arg, arg + next arg) that must not overlap
 *            runtime memory (ENOMEM, as if it were not mapped)
 *   w        a pointer the kernel writes through, to at most a page (EFAULT)
 *   b        a buffer the kernel writes, its length in the next argument
 *   B        a buffer the kernel reads, its length in the next argument
 *   v        an iovec array the kernel writes through, count in the next arg
 *   V        an iovec array the kernel reads, count in the next argument
 *
 * Flags: SYS_BLOCK for calls that may sleep (forwarded through the platform's
 * interruptible path, so a signal for the application ends them with EINTR);
 * SYS_RESTART for those Linux restarts after a handler with SA_RESTART (per
 * signal(7): not SysV IPC, not timed futex waits, not sleeps or polls);
 * SYS_RETPTR for calls whose result is an address (traced in hex); SYS_CTX
 * for calls whose handler needs the complete trap context (the FPU state:
 * sigreturn, the clones and execs), which always trap.
 */
#ifndef COFFER_RT_SYS_H
#define COFFER_RT_SYS_H

#include <asm/unistd_64.h>

#include "../../platform/platform.h"
#include "../fs/vfs.h"
#include "../lib/rt.h"

struct sys_entry;

struct sys_call {
	long nr;
	long a[6];
	struct kucontext *ctx;   /* the application's registers */
	const struct sys_entry *e;
	bool ctx_replaced;       /* the handler rewrote ctx: leave rax alone */
	bool traced;             /* the handler printed its own trace line */
	bool no_restart;         /* EINTR even with SA_RESTART (a timed wait) */
};

/* A handler's answer meaning "deliver the pending signal first, then make
 * this call again" (Linux's ERESTARTNOINTR): fork, clone and execve use it
 * when a signal is already held, so that it reaches the right image. */
#define SYS_RESTART_NOW (-513L)

typedef long (*sys_handler)(struct sys_call *c);

/* Linux's limits: the most bytes one read or write moves (MAX_RW_COUNT,
 * INT_MAX rounded down to a page), the most iovecs one call takes. */
#define MAX_RW_COUNT 0x7ffff000L
#define UIO_MAXIOV 1024

enum {
	SYS_BLOCK = 1,
	SYS_RESTART = 2,
	SYS_RETPTR = 4,
	SYS_QUIET = 8, /* refused without a warning: libc falls back */
	SYS_CTX = 16,  /* needs the trap's full context (FPU state): never
			* through a patched call site (dispatch.c) */
};

struct sys_entry {
	const char *name;
	sys_handler handler;
	char spec[7];
	uint8_t flags;
	const char *note; /* why a call is refused (docs/syscalls.md) */
};

#define SYS_NR_MAX 470
extern const struct sys_entry sys_table[SYS_NR_MAX];

extern bool sys_trace; /* --trace; set at boot */
extern bool sys_patch; /* patch call sites (COFFER_PATCH); set at boot */

/* Forward the call as it is (after the generic checks). */
long sys_forward(struct sys_call *c);
/* Forward with other arguments (same number, same blocking class). */
long sys_host(struct sys_call *c, long a0, long a1, long a2, long a3, long a4, long a5);
/* The same through the host call that is never interrupted (plat_forward_now):
 * for a call Linux does not interrupt although its table entry may block (a
 * read of a regular file after EINTR, fcntl's non-waiting locks). */
long sys_host_now(struct sys_call *c, long a0, long a1, long a2, long a3, long a4, long a5);
/* Forward call nr with runtime buffers for its pointers, from a handler of
 * another call (checked as forwarded calls are). */
long sys_host_nr(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
/* Refuse with ENOSYS, warning once per call per process. */
long sys_enosys(struct sys_call *c);

long sys_check_iov(uintptr_t uiov, long cnt, bool kernel_writes);

/* marshal.c: how forwarded calls cross to the host (COFFER_BOUNDARY). */
enum sys_boundary {
	BOUNDARY_PASS,  /* the host reaches application memory: pointers as they are */
	BOUNDARY_COPY,  /* every buffer copied through untrusted scratch (sgx) */
	BOUNDARY_CHECK, /* copy, and assert that no pointer the host sees or
			 * gives back lies in runtime memory */
};
extern int sys_boundary; /* set at boot */
/* Make forwarded call c on the host with arguments a (sys_host's), copying
 * and checking as the boundary mode and the call's description say. */
long marshal_forward(struct sys_call *c, const long a[6]);
/* The same, never interrupted (sys_host_now). */
long marshal_forward_now(struct sys_call *c, const long a[6]);
/* Refuse a host answer to call c: log "host answer refused: CALL: CHECK"
 * and return err (EIO, or EFAULT for an address), as the marshaller does. */
long sys_refuse(const struct sys_call *c, long err, const char *check);
/* How many bytes the kernel writes before the counted ones of call nr's 'b'
 * buffer at argument i (msgrcv's mtype: 8), else 0. */
size_t marshal_buf_head(long nr, int i);
/* ioctl.c: how a permitted request's argument crosses. */
enum { MARSHAL_IOC_VALUE, MARSHAL_IOC_IN, MARSHAL_IOC_OUT, MARSHAL_IOC_INOUT, MARSHAL_IOC_IFCONF };
int ioctl_shape(unsigned request, size_t *size);

/* Print a trace line now (for calls that do not come back: exit, execve). */
void sys_trace_now(struct sys_call *c, const char *result);

/* The system's name as the application sees it, for uname and
 * /proc/sys/kernel (uts.c). */
struct new_utsname;
void uts_get(struct new_utsname *u);
/* At boot, after pidtab_boot: the run's first enclave sets the names the
 * run starts with (into the registry once there is one). */
void uts_boot(void);
/* The process registry was made (pidtab_prepare): share the run's names. */
void uts_registry_made(void);

/* Handlers, one family per file. */
#define SC(nr, name, handler, spec, flags) long handler(struct sys_call *c);
#define FWD(nr, name, spec, flags)
#define NOSYS(nr, name, spec, note)
#define FALLBACK(nr, name, spec, note)
#include "table.h"
#undef SC
#undef FWD
#undef NOSYS
#undef FALLBACK

#endif
