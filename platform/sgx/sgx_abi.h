/*
 * sgx_abi.h - the contract between the sgx platform's two halves: the
 * enclave's entry code (platform/sgx/enclave/) and the untrusted host
 * (platform/sgx/host/), on hardware and in simulation alike.
 *
 * Registers at EENTER (besides what the CPU sets: RAX = CSSA, RBX = TCS,
 * RCX = the address after EENTER, where the enclave's EEXIT goes):
 *   ECALL          RDI = call number, RSI/RDX = the thread's untrusted
 *                  buffer and its length (checked to lie outside ELRANGE)
 *   OCALL return   RDI = the host's result (untrusted, checked by the caller)
 *   exception      RDI = the host signal (a hint: EXITINFO in the SSA is what
 *                  the enclave trusts for exceptions)
 * The enclave tells the three apart by its own state, never by the host's
 * word: an OCALL is pending (TB_OCALL_RSP) at the level (CSSA) it was made
 * at: OCALL return; else CSSA 0: ECALL; else exception.
 *
 * Registers at EEXIT: RDI = one of SGX_EXIT_*, RSI and RDX as below; every
 * other general register is scrubbed (zero, or RBX/RCX/RAX as EEXIT needs).
 *
 * The thread block: one page per thread in enclave memory, at %gs (TCS
 * OGSBASE). The layout fills the measured fields (offsets from the enclave
 * base, since the base is chosen at load time: common/layout.c,
 * layout_tb_fill, is the one writer); the entry code fills the rest. TB_SELF
 * is 0 until the first entry on the thread computes the base from RBX (the
 * TCS address, which the CPU gives) minus TB_TCS_OFF.
 *
 * %gs:0 is not the platform's: it is the word through which the runtime
 * finds its own thread block (platform.h, plat_tls(): a struct plat_tls,
 * the head of the runtime's struct rt_thread, which lives elsewhere in
 * enclave memory). It stays 0, measured so, until the platform arms the
 * thread for the runtime; the entry code neither reads nor writes it, and
 * nothing of the platform's lies where the runtime's fields would.
 */
#ifndef COFFER_PLATFORM_SGX_ABI_H
#define COFFER_PLATFORM_SGX_ABI_H

/* why the enclave exits (RDI at EEXIT) */
#define SGX_EXIT_RETURN 0 /* ECALL done: RSI = its result */
#define SGX_EXIT_OCALL 1  /* RSI = OCALL code, RDX = its untrusted argument block */
#define SGX_EXIT_RESUME 2 /* exception handled: ERESUME the interrupted context */
#define SGX_EXIT_FATAL 3  /* exception not handled: RSI = vector (or 256 + signal) */

/* What the enclave image (coffer-enclave) answers on sgx today
 * (platform/sgx/enclave/main.c): one probe ECALL, which relocates the image
 * in ELRANGE and writes one line through one OCALL. The runtime's ECALLs
 * and OCALLs come with the runtime's wiring. */
#define SGX_ECALL_PROBE 1      /* RSI/RDX: the thread's untrusted buffer; result: the OCALL's */
#define SGX_OCALL_PROBE_WRITE 1 /* RDX: struct { u64 len; char line[len]; } in that buffer */

/* thread block, at %gs */
#define TB_RT_TLS 0        /* the runtime's struct plat_tls *, 0 until armed */
#define TB_SELF_OFF 8      /* measured: its own offset */
#define TB_TCS_OFF 16      /* measured: the thread's TCS */
#define TB_STACK_OFF 24    /* measured: top of the thread's stack */
#define TB_XSTACK_OFF 32   /* measured: top of its exception stack */
#define TB_SSA_OFF 40      /* measured: SSA frame 0 */
#define TB_SSA_SIZE 48     /* measured: bytes per SSA frame */
#define TB_ENCLAVE_SIZE 56 /* measured: ELRANGE size */
#define TB_BASE 64         /* ELRANGE base */
#define TB_URSP 72         /* host RSP and RBP at the entry being served */
#define TB_URBP 80
#define TB_EXIT 88         /* where EEXIT goes (RCX at that entry) */
#define TB_CSSA 96         /* the level being served: 0 ECALL, 1 exception */
#define TB_OCALL_RSP 104   /* enclave RSP inside a pending OCALL, else 0 */
#define TB_UBUF 112        /* the thread's untrusted buffer, checked */
#define TB_UBUF_LEN 120
#define TB_SELF 128        /* its own address, from the first entry on */
#define TB_MEASURED_END 64 /* bytes [0, 64) come from the layout */
#define TB_SIZE 136

#endif
