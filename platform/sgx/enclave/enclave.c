/*
 * enclave.c - the C half of the enclave's entry (entry.S): an ECALL's
 * untrusted buffer is checked before the program sees it, and an exception
 * entry reads the SSA frame the CPU (or the simulator) wrote at the AEX and
 * hands it to the program, whose verdict decides between ERESUME and a
 * fatal exit.
 */
#include "enclave.h"

bool sgx_outside(uint64_t p, uint64_t len)
{
	struct sgx_tb *tb = sgx_tb();
	uint64_t end = p + len;

	if (end < p)
		return false;
	return end <= tb->base || p >= tb->base + tb->enclave_size;
}

void *sgx_ubuf(size_t len)
{
	struct sgx_tb *tb = sgx_tb();
	return tb->ubuf && len <= tb->ubuf_len ? (void *)tb->ubuf : NULL;
}

long sgx_ecall(long code, uint64_t ubuf, uint64_t len);
long sgx_ecall(long code, uint64_t ubuf, uint64_t len)
{
	struct sgx_tb *tb = sgx_tb();

	if (ubuf && !sgx_outside(ubuf, len)) {
		tb->ubuf = tb->ubuf_len = 0;
		return -14; /* EFAULT: the host named enclave memory */
	}
	tb->ubuf = ubuf;
	tb->ubuf_len = ubuf ? len : 0;
	return sgx_main(code);
}

struct sgx_xret {
	long exit, detail;
};

/* Returned in RAX:RDX to entry.S. */
struct sgx_xret sgx_exception(long host_signal, uint64_t cssa);
struct sgx_xret sgx_exception(long host_signal, uint64_t cssa)
{
	struct sgx_tb *tb = sgx_tb();
	uint8_t *frame = (uint8_t *)(tb->base + tb->ssa_off + (cssa - 1) * tb->ssa_size);
	struct sgx_event ev = {
		.gpr = frame + tb->ssa_size - SSA_GPR_SIZE,
		.host_signal = host_signal,
	};

	__builtin_memcpy(&ev.exitinfo, ev.gpr + GPR_EXITINFO, 4);
	__builtin_memcpy(&ev.maddr, ev.gpr - SSA_EXINFO_SIZE + EXINFO_MADDR, 8);
	__builtin_memcpy(&ev.errcd, ev.gpr - SSA_EXINFO_SIZE + EXINFO_ERRCD, 4);
	if (sgx_on_exception(&ev))
		return (struct sgx_xret){ SGX_EXIT_RESUME, 0 };
	return (struct sgx_xret){ SGX_EXIT_FATAL,
				  (ev.exitinfo & EXITINFO_VALID) ? (long)(ev.exitinfo & 0xff) : 256 + host_signal };
}
