/*
 * ocall_table.h - the sgx platform's OCALLs, one row each: the one table
 * both halves are driven by. The enclave's marshaller (enclave/ocall.c)
 * reads a row to copy a call's arguments into the thread's untrusted
 * buffer and, after the host's answer is checked, to copy results back;
 * the host's server (host/ocall_server.c) reads the same row to turn the
 * buffer back into the arguments of one Linux system call. Adding an OCALL
 * is adding a row here and a one-line platform.h function in ocall.c.
 *
 *   OC(NAME, nr, result, a0, a1, a2, a3, a4, a5)
 *
 * NAME gives the code OC_NAME; nr is the host's system call; each argument
 * is one of
 *   V          a value, passed as it is
 *   S, SN      a NUL-terminated string the host reads (SN: NULL allowed),
 *              at most OC_STRING_MAX bytes with its NUL
 *   IN(n)      a buffer the host reads, its length the value of argument n
 *   OUT(n)     a buffer the host writes, its length the value of argument n;
 *              the result is the count written (the row's result is LEN(n))
 *   INS(n), OUTS(n)  the same, for calls where a short count is an honest
 *              answer (read, write, getdents): a buffer larger than the
 *              untrusted buffer has room for is shortened, not refused
 *   INF(sz)    a fixed-size struct the host reads; INFN: NULL allowed
 *   OUTF(sz)   a fixed-size struct the host writes (copied back when the
 *              result is >= 0)
 *   INOUTF(sz) a fixed-size struct copied there and back (a socklen)
 *   OUTL(n)    a buffer the host writes whose size is the 32-bit value that
 *              argument n (an INOUTF(4)) points to: copied back, at most
 *              that size, as many bytes as the host writes back there
 *   UPTR(sz)   a pointer the host uses as it is (a futex word): it must
 *              already lie outside ELRANGE, [p, p + sz)
 *   UPTRL(n)   the same, for [p, p + the value of argument n)
 * and the result is one of
 *   ANY        a value or -errno
 *   LEN(n)     a count of bytes at most the value of argument n
 *   UADDR(n)   a host address: [r, r + value of argument n) outside ELRANGE
 * Every result also must be >= -4095 when negative. Beyond these (the copy
 * rules: nothing is copied back unless it fits what was asked), the runtime
 * checks what it uses (runtime/lib/host.h): fds, stat modes, dirents.
 *
 * docs/platforms.md, "The OCALL layer", describes the buffer's format.
 */
#ifndef COFFER_PLATFORM_SGX_OCALL_TABLE_H
#define COFFER_PLATFORM_SGX_OCALL_TABLE_H

#include <stdint.h>

#include <asm/unistd_64.h>

/* argument kinds: kind in bits 0-3, NULL allowed in bit 4, a parameter
 * (an argument index or a size) from bit 8 */
enum oc_kind {
	OCK_V,
	OCK_S,
	OCK_IN,
	OCK_OUT,
	OCK_INF,
	OCK_OUTF,
	OCK_INOUTF,
	OCK_OUTL,
	OCK_UPTR,
	OCK_UPTRL,
};
#define OCK_NULLOK 0x10
#define OCK_SHORT 0x20
#define OC_KIND(a) ((a) & 0xf)
#define OC_PARAM(a) ((a) >> 8)

#define V OCK_V
#define S OCK_S
#define SN (OCK_S | OCK_NULLOK)
#define IN(n) (OCK_IN | (n) << 8)
#define OUT(n) (OCK_OUT | (n) << 8)
#define INS(n) (OCK_IN | OCK_SHORT | (n) << 8)
#define OUTS(n) (OCK_OUT | OCK_SHORT | (n) << 8)
#define INF(sz) (OCK_INF | (sz) << 8)
#define INFN(sz) (OCK_INF | OCK_NULLOK | (sz) << 8)
#define OUTF(sz) (OCK_OUTF | (sz) << 8)
#define INOUTF(sz) (OCK_INOUTF | (sz) << 8)
#define OUTL(n) (OCK_OUTL | (n) << 8)
#define UPTR(sz) (OCK_UPTR | (sz) << 8)
#define UPTRL(n) (OCK_UPTRL | (n) << 8)

/* result kinds */
enum oc_res { OCR_ANY, OCR_LEN, OCR_UADDR };
#define ANY OCR_ANY
#define LEN(n) (OCR_LEN | (n) << 8)
#define UADDR(n) (OCR_UADDR | (n) << 8)

/* sizes of the fixed structs (platform/abi.h asserts the first ones) */
#define OCSZ_STAT 144
#define OCSZ_STATX 256
#define OCSZ_STATFS 120
#define OCSZ_UTSNAME 390
#define OCSZ_SIGINFO 128
#define OCSZ_TIMESPEC 16
#define OCSZ_SHMID_DS 112
#define OC_STRING_MAX 4096

/* The rows. The platform.h function each serves is in enclave/ocall.c. */
#define OC_TABLE                                                                              \
	OC(FORWARD, 0, ANY, V, V, V, V, V, V) /* plat_forward: see ocall.c */                  \
	OC(OPENAT, __NR_openat, ANY, V, S, V, V, V, V)                                         \
	OC(OPENAT2, __NR_openat2, ANY, V, S, INF(24), V, V, V)                                 \
	OC(CLOSE, __NR_close, ANY, V, V, V, V, V, V)                                           \
	OC(CLOSE_RANGE, __NR_close_range, ANY, V, V, V, V, V, V)                               \
	OC(READ, __NR_read, LEN(2), V, OUTS(2), V, V, V, V)                                     \
	OC(WRITE, __NR_write, LEN(2), V, INS(2), V, V, V, V)                                    \
	OC(PREAD, __NR_pread64, LEN(2), V, OUTS(2), V, V, V, V)                                 \
	OC(LSEEK, __NR_lseek, ANY, V, V, V, V, V, V)                                           \
	OC(FSTAT, __NR_fstat, ANY, V, OUTF(OCSZ_STAT), V, V, V, V)                               \
	OC(FSTATAT, __NR_newfstatat, ANY, V, S, OUTF(OCSZ_STAT), V, V, V)                        \
	OC(STATX, __NR_statx, ANY, V, S, V, V, OUTF(OCSZ_STATX), V)                              \
	OC(FSTATFS, __NR_fstatfs, ANY, V, OUTF(OCSZ_STATFS), V, V, V, V)                         \
	OC(STATFS, __NR_statfs, ANY, S, OUTF(OCSZ_STATFS), V, V, V, V)                           \
	OC(FTRUNCATE, __NR_ftruncate, ANY, V, V, V, V, V, V)                                   \
	OC(TRUNCATE, __NR_truncate, ANY, S, V, V, V, V, V)                                     \
	OC(FCNTL, __NR_fcntl, ANY, V, V, V, V, V, V)                                           \
	OC(DUP, __NR_dup, ANY, V, V, V, V, V, V)                                               \
	OC(DUP2, __NR_dup2, ANY, V, V, V, V, V, V)                                             \
	OC(DUP3, __NR_dup3, ANY, V, V, V, V, V, V)                                             \
	OC(PIPE2, __NR_pipe2, ANY, OUTF(8), V, V, V, V, V)                                     \
	OC(SOCKETPAIR, __NR_socketpair, ANY, V, V, V, OUTF(8), V, V)                           \
	OC(MEMFD_CREATE, __NR_memfd_create, ANY, S, V, V, V, V, V)                             \
	OC(SIGNALFD, __NR_signalfd4, ANY, V, INF(8), V, V, V, V)                               \
	OC(INOTIFY_ADD_WATCH, __NR_inotify_add_watch, ANY, V, S, V, V, V, V)                   \
	OC(IOCTL_OUT4, __NR_ioctl, ANY, V, V, OUTF(4), V, V, V)                                \
	OC(GETSOCKOPT, __NR_getsockopt, ANY, V, V, V, OUTL(4), INOUTF(4), V)                   \
	OC(GETPEERNAME, __NR_getpeername, ANY, V, OUTL(2), INOUTF(4), V, V, V)                 \
	OC(GETXATTR, __NR_getxattr, LEN(3), S, S, OUT(3), V, V, V)                             \
	OC(LGETXATTR, __NR_lgetxattr, LEN(3), S, S, OUT(3), V, V, V)                           \
	OC(SETXATTR, __NR_setxattr, ANY, S, S, IN(3), V, V, V)                                 \
	OC(LSETXATTR, __NR_lsetxattr, ANY, S, S, IN(3), V, V, V)                               \
	OC(LISTXATTR, __NR_listxattr, LEN(2), S, OUT(2), V, V, V, V)                           \
	OC(LLISTXATTR, __NR_llistxattr, LEN(2), S, OUT(2), V, V, V, V)                         \
	OC(REMOVEXATTR, __NR_removexattr, ANY, S, S, V, V, V, V)                               \
	OC(LREMOVEXATTR, __NR_lremovexattr, ANY, S, S, V, V, V, V)                             \
	OC(GETDENTS, __NR_getdents64, LEN(2), V, OUTS(2), V, V, V, V)                           \
	OC(READLINKAT, __NR_readlinkat, LEN(3), V, S, OUT(3), V, V, V)                         \
	OC(MKDIRAT, __NR_mkdirat, ANY, V, S, V, V, V, V)                                       \
	OC(MKNODAT, __NR_mknodat, ANY, V, S, V, V, V, V)                                       \
	OC(UNLINKAT, __NR_unlinkat, ANY, V, S, V, V, V, V)                                     \
	OC(RENAMEAT2, __NR_renameat2, ANY, V, S, V, S, V, V)                                   \
	OC(LINKAT, __NR_linkat, ANY, V, S, V, S, V, V)                                         \
	OC(SYMLINKAT, __NR_symlinkat, ANY, S, V, S, V, V, V)                                   \
	OC(FCHMODAT, __NR_fchmodat, ANY, V, S, V, V, V, V)                                     \
	OC(FCHMODAT2, 452, ANY, V, S, V, V, V, V)                                              \
	OC(FCHOWNAT, __NR_fchownat, ANY, V, S, V, V, V, V)                                     \
	OC(UTIMENSAT, __NR_utimensat, ANY, V, SN, INFN(2 * OCSZ_TIMESPEC), V, V, V)              \
	OC(FACCESSAT2, __NR_faccessat2, ANY, V, S, V, V, V, V)                                 \
	OC(GETCWD, __NR_getcwd, LEN(1), OUT(1), V, V, V, V, V)                                 \
	OC(CHDIR, __NR_chdir, ANY, S, V, V, V, V, V)                                           \
	OC(FCHDIR, __NR_fchdir, ANY, V, V, V, V, V, V)                                         \
	OC(UMASK, __NR_umask, ANY, V, V, V, V, V, V)                                           \
	OC(GETPID, __NR_getpid, ANY, V, V, V, V, V, V)                                         \
	OC(GETTID, __NR_gettid, ANY, V, V, V, V, V, V)                                         \
	OC(GETPPID, __NR_getppid, ANY, V, V, V, V, V, V)                                       \
	OC(GETPGID, __NR_getpgid, ANY, V, V, V, V, V, V)                                       \
	OC(GETUID, __NR_getuid, ANY, V, V, V, V, V, V)                                         \
	OC(GETEUID, __NR_geteuid, ANY, V, V, V, V, V, V)                                       \
	OC(GETEGID, __NR_getegid, ANY, V, V, V, V, V, V)                                       \
	OC(PRLIMIT, __NR_prlimit64, ANY, V, V, V, OUTF(16), V, V)                              \
	OC(GETPRIORITY, __NR_getpriority, ANY, V, V, V, V, V, V)                               \
	OC(SETPRIORITY, __NR_setpriority, ANY, V, V, V, V, V, V)                               \
	OC(IOPRIO_GET, __NR_ioprio_get, ANY, V, V, V, V, V, V)                                 \
	OC(IOPRIO_SET, __NR_ioprio_set, ANY, V, V, V, V, V, V)                                 \
	OC(UNSHARE, __NR_unshare, ANY, V, V, V, V, V, V)                                       \
	OC(UNAME, __NR_uname, ANY, OUTF(OCSZ_UTSNAME), V, V, V, V, V)                            \
	OC(PIDFD_OPEN, __NR_pidfd_open, ANY, V, V, V, V, V, V)                                 \
	OC(SHMCTL, __NR_shmctl, ANY, V, V, V, V, V, V)                                         \
	OC(SHMCTL_STAT, __NR_shmctl, ANY, V, V, OUTF(OCSZ_SHMID_DS), V, V, V)                    \
	OC(SEMCTL, __NR_semctl, ANY, V, V, V, V, V, V)                                         \
	OC(MSGCTL, __NR_msgctl, ANY, V, V, V, V, V, V)                                         \
	OC(MEMBARRIER, __NR_membarrier, ANY, V, V, V, V, V, V)                                 \
	OC(SCHED_YIELD, __NR_sched_yield, ANY, V, V, V, V, V, V)                               \
	OC(CLOCK_GETTIME, __NR_clock_gettime, ANY, V, OUTF(OCSZ_TIMESPEC), V, V, V, V)           \
	OC(FUTEX_WAKE, __NR_futex, ANY, UPTR(4), V, V, V, V, V)                                \
	OC(TGSIGQUEUEINFO, __NR_rt_tgsigqueueinfo, ANY, V, V, V, INF(OCSZ_SIGINFO), V, V)        \
	OC(TGKILL, __NR_tgkill, ANY, V, V, V, V, V, V)                                         \
	OC(SIGQUEUEINFO, __NR_rt_sigqueueinfo, ANY, V, V, INFN(OCSZ_SIGINFO), V, V, V)           \
	OC(PIDFD_SEND_SIGNAL, __NR_pidfd_send_signal, ANY, V, V, INFN(OCSZ_SIGINFO), V, V, V)    \
	OC(SIGPENDING, __NR_rt_sigpending, ANY, OUTF(8), V, V, V, V, V)                        \
	OC(GETRANDOM, __NR_getrandom, LEN(1), OUTS(1), V, V, V, V, V)                           \
	OC(MMAP_UNTRUSTED, __NR_mmap, UADDR(1), V, V, V, V, V, V)                              \
	OC(MUNMAP_UNTRUSTED, __NR_munmap, ANY, UPTRL(1), V, V, V, V, V)

enum oc_code {
	OC_NONE, /* 0 is no OCALL */
#define OC(name, nr, res, a0, a1, a2, a3, a4, a5) OC_##name,
	OC_TABLE
#undef OC
	OC_COUNT
};

struct oc_row {
	const char *name;
	long nr;
	uint32_t res;
	uint32_t arg[6];
};

/* The table itself: each half has its own copy. */
static const struct oc_row oc_rows[OC_COUNT] = {
#define OC(name, nr, res, a0, a1, a2, a3, a4, a5) [OC_##name] = { #name, nr, res, { a0, a1, a2, a3, a4, a5 } },
	OC_TABLE
#undef OC
};

/* The argument block in the thread's untrusted buffer: this header, then
 * the buffers. A buffer argument is passed as its offset from the header's
 * start (0: NULL); the host turns it into an address after checking it
 * lies inside `size`. */
struct oc_frame {
	uint64_t size; /* header and buffers: what the host may touch */
	int64_t nr;    /* OC_FORWARD: the system call */
	uint64_t arg[6];
};
#define OC_FRAME_HDR 64

#endif
