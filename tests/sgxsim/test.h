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
};
#define T_LEAF_GPS 8
#define T_OCALLS 10
#define T_RDATA_BYTE 0x40
enum { T_OC_WRITE = 1, T_OC_TIME, T_OC_GETPID, T_OC_GETPTR, T_OC_NOP, T_OC_SEND, T_OC_RECV };
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
