/* test.h - what the sgx-sim test enclave (enclave.c) and its host (host.c) agree on. */
#ifndef COFFER_TESTS_SGXSIM_TEST_H
#define COFFER_TESTS_SGXSIM_TEST_H

#include <stdint.h>

enum {
	T_EC_HELLO = 1,       /* OCALL WRITE of a message: its length */
	T_EC_TIME,            /* OCALL TIME: the host's clock */
	T_EC_SYSCALL_UD,      /* `syscall` (getpid) -> #UD -> OCALL GETPID: the pid */
	T_EC_SEGV_FIX,        /* a store to a read-only page, fixed from the SSA: 1 */
	T_EC_CHECK_PTR,       /* OCALL GETPTR: 0 if outside ELRANGE, -14 if inside */
	T_EC_SPIN,            /* spin until a host signal's exception entry: count */
	T_EC_LEAF_GP,         /* EREPORT/EGETKEY with bad operands: the #GPs seen (-1: the two #PFs not) */
	T_EC_THREAD,          /* 200 OCALLs and #UDs: the thread's TCS offset */
	T_EC_BENCH_OCALL,     /* T_BENCH_ROUNDS OCALLs */
	T_EC_BENCH_UD,        /* T_BENCH_ROUNDS #UDs handled inside */
	T_EC_BAD_XSAVE,       /* the handler spoils SSA[0]'s XSAVE header: ERESUME refuses */
	T_EC_EEXIT_INSIDE,    /* EEXIT to an address in ELRANGE: the host dies of SIGILL */
	T_EC_BENCH_ENCLU,     /* T_BENCH_ROUNDS ENCLU[EREPORT], served by a no-op leaf hook */
	T_EC_REPORT_SELF,     /* EREPORT for itself, REPORT_KEY, MAC checked inside: 1, the REPORT */
	T_EC_SEAL_KEYS,       /* SEAL keys, MRENCLAVE and MRSIGNER policy: 0, 32 bytes */
	T_EC_SEAL_SVN_UP,     /* the same at ISVSVN + 1: -(RAX * 2 + ZF) */
	T_EC_OCALLS,          /* T_OCALLS OCALLs: 0 */
	T_EC_LA_INITIATOR,    /* local attestation (la.c) as initiator over OCALL SEND/RECV: 1 */
	T_EC_LA_RESPONDER,    /* ... as responder: 1, or la.c's negative error */
	T_EC_BENCH_EGETKEY,   /* T_BENCH_ROUNDS times T_EC_SEAL_KEYS (EREPORT, 2 EGETKEY) */
	/* the OCALL layer (ocalls.c): 0, or minus the failed step */
	T_EC_OC_FILES,        /* ubuf: a directory holding "a" (T_OC_FILE_DATA) and "link" -> "a" */
	T_EC_OC_TIME,         /* clock_gettime(CLOCK_REALTIME): its seconds */
	T_EC_OC_PIPE,         /* pipe2, write, read, close */
	T_EC_OC_FUTEX,        /* ubuf: the address of an untrusted futex word a host thread waits on */
	T_EC_OC_FORWARD,      /* plat_forward with untrusted and with enclave pointers */
	T_EC_OC_LIE,          /* ubuf: struct t_lie; the host lies as it says: the refusal */
	T_EC_OC_BUG,          /* the thread's untrusted buffer made to point into ELRANGE, then an OCALL */
	T_EC_OC_BUG_IOV,      /* a forwarded writev(-1) whose untrusted iovec points into ELRANGE */
	T_EC_BENCH_OC,        /* T_BENCH_ROUNDS plat_host_getpid() through the OCALL table */
};
#define T_LEAF_GPS 8
#define T_OCALLS 10
#define T_RDATA_BYTE 0x40
/* the test's own OCALL codes, above the OCALL table's */
enum { T_OC_WRITE = 0x1001, T_OC_TIME, T_OC_GETPID, T_OC_GETPTR, T_OC_NOP, T_OC_SEND, T_OC_RECV };
/* what the lying host does (T_EC_OC_LIE) */
enum {
	T_LIE_NONE,
	T_LIE_LEN,       /* pread: a count larger than asked */
	T_LIE_FD_NEG,    /* openat: -5000 (no errno value) */
	T_LIE_FD_HUGE,   /* openat: 1 << 30 */
	T_LIE_STAT,      /* fstat: a mode of no file type */
	T_LIE_DENTS,     /* getdents: the first record's length past the count */
	T_LIE_PTR,       /* mmap of untrusted memory: an address in ELRANGE */
	T_LIE_READLINK,  /* readlinkat: one byte more than the buffer */
	T_LIE_PEERLEN,   /* getpeername: an address length larger than the buffer */
	T_LIE_FWD_PTR,   /* a forwarded mmap: an address in ELRANGE */
	T_LIE_COUNT
};
#define T_OC_FILE_DATA "hello world"
struct t_lie {
	uint64_t mode;
	char dir[248];
};
#define T_NOP_ANSWER 77
#define T_NR_INSIDE 500     /* a system call number the enclave serves itself */
#define T_NR_BAD_XSAVE 501  /* one whose handler spoils the XSAVE header */
#define T_BENCH_ROUNDS 20000
#define T_ASYNC_SIGNAL 10   /* SIGUSR1 */
#define T_RO_PATTERN 0x5a  /* every byte of the read-only page */

struct t_write {
	uint64_t len;
	char data[];
};

#endif
