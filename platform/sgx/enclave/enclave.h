/*
 * enclave.h - the trusted half of the sgx platform, as the code linked into
 * the enclave image sees it (entry.S, enclave.c). sgx_main and
 * sgx_on_exception come from the image: coffer-enclave's main.c (today a
 * probe: relocation and one OCALL; the runtime's entry next), or the sgx-sim
 * test enclave (tests/sgxsim).
 *
 * Freestanding, general registers only. Every address the host gives is
 * checked with sgx_outside before it is touched.
 */
#ifndef COFFER_PLATFORM_SGX_ENCLAVE_H
#define COFFER_PLATFORM_SGX_ENCLAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../../common/sgx_arch.h"
#include "../sgx_abi.h"

/* The thread block at %gs (sgx_abi.h gives the offsets). Its first word is
 * the runtime's (plat_tls()): the platform reaches its block through
 * `self`, never through %gs:0. */
struct sgx_tb {
	void *rt_tls;
	uint64_t self_off, tcs_off, stack_off, xstack_off, ssa_off, ssa_size, enclave_size;
	uint64_t base, ursp, urbp, exit, cssa, ocall_rsp, ubuf, ubuf_len;
	struct sgx_tb *self;
};
_Static_assert(sizeof(struct sgx_tb) == TB_SIZE, "struct sgx_tb and sgx_abi.h disagree");
_Static_assert(__builtin_offsetof(struct sgx_tb, rt_tls) == TB_RT_TLS && TB_RT_TLS == 0,
	       "%gs:0 is the runtime's plat_tls()");
_Static_assert(__builtin_offsetof(struct sgx_tb, self) == TB_SELF, "TB_SELF");
_Static_assert(__builtin_offsetof(struct sgx_tb, base) == TB_BASE, "TB_BASE");
_Static_assert(__builtin_offsetof(struct sgx_tb, ocall_rsp) == TB_OCALL_RSP, "TB_OCALL_RSP");
_Static_assert(__builtin_offsetof(struct sgx_tb, ubuf_len) == TB_UBUF_LEN, "TB_UBUF_LEN");

static inline struct sgx_tb *sgx_tb(void)
{
	struct sgx_tb *tb;
	__asm__("mov %%gs:%c1, %0" : "=r"(tb) : "i"(TB_SELF));
	return tb;
}

/* True when [p, p + len) lies wholly outside ELRANGE (and does not wrap):
 * the only addresses the enclave accepts from the host. */
bool sgx_outside(uint64_t p, uint64_t len);

/* The thread's untrusted buffer if it holds len bytes, else NULL. */
void *sgx_ubuf(size_t len);

/* Leave for the host with an OCALL code and an argument block in untrusted
 * memory (normally the thread's buffer); returns the host's result, which
 * the caller checks. */
long sgx_ocall(long code, void *untrusted_args);

/* An event taken from the SSA: the interrupted context, and why. */
struct sgx_event {
	uint8_t *gpr;       /* GPRSGX of the interrupted frame: may be changed */
	uint32_t exitinfo;  /* EXITINFO: valid bit, type, vector */
	uint64_t maddr;     /* MISC.EXINFO, when MISCSELECT has it: #PF address */
	uint32_t errcd;     /*   and error code */
	long host_signal;   /* the host's word for a non-exception event (untrusted) */
};

/* Supplied by the enclave program (the runtime, later): */
long sgx_main(long code);                       /* an ECALL; the buffer is checked */
bool sgx_on_exception(struct sgx_event *ev);    /* true: resume the context */

/* GPRSGX fields */
static inline uint64_t sgx_gpr(const struct sgx_event *ev, unsigned off)
{
	uint64_t v;
	__builtin_memcpy(&v, ev->gpr + off, 8);
	return v;
}

static inline void sgx_gpr_set(struct sgx_event *ev, unsigned off, uint64_t v)
{
	__builtin_memcpy(ev->gpr + off, &v, 8);
}

#endif
