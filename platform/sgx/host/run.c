/*
 * run.c - the host's loop around the enclave's crossings (sim.h, sim_ecall):
 * an ECALL, the OCALLs it makes, and the exception entries after AEXs. The
 * same loop will drive hardware, where sim_eenter becomes the vDSO's
 * __vdso_sgx_enter_enclave; nothing here depends on the CPU being simulated.
 *
 * The enclave's registers at EEXIT are untrusted input: the exit reason
 * must be one sgx_abi.h defines for the entry it answers (an ECALL ends with
 * SGX_EXIT_RETURN, an exception entry with _RESUME or _FATAL), else the
 * crossing is refused with -SIM_EFAULT.
 */
#include "../sgx_abi.h"
#include "sim.h"

struct run {
	sim_ocall_fn ocall;
	void *ctx;
};

/* Enter, serve OCALLs, and return the enclave's final exit reason. */
static long serve(struct sim_call *c, const struct run *r)
{
	for (;;) {
		long e = sim_eenter(c);
		if (e)
			return e;
		if (c->rdi != SGX_EXIT_OCALL)
			return 0;
		c->rdi = (uint64_t)r->ocall(r->ctx, (long)c->rsi, c->rdx);
		c->rsi = c->rdx = c->r8 = c->r9 = 0;
	}
}

/* At the AEP: enter for exception handling (CSSA 1), RDI = the signal. */
static long on_aex(struct sim_call *c, int sig)
{
	const struct run *r = c->ctx;
	struct sim_call x = {
		.thread = c->thread,
		.tcs = c->tcs,
		.rdi = (uint64_t)sig,
		.on_aex = on_aex,
		.ctx = c->ctx,
	};
	long e = serve(&x, r);
	if (e == -SIM_ENOSSA && !c->thread->event_fault)
		return 0; /* a signal during exception handling: resume; the host may send it again */
	if (e)
		return e;
	return x.rdi == SGX_EXIT_RESUME ? 0 : -SIM_EFAULT;
}

long sim_ecall(struct sim_thread *t, uint64_t tcs, long code, void *ubuf, size_t len, sim_ocall_fn ocall,
	       void *ctx, long *result)
{
	struct run r = { ocall, ctx };
	struct sim_call c = {
		.thread = t,
		.tcs = tcs,
		.rdi = (uint64_t)code,
		.rsi = (uint64_t)ubuf,
		.rdx = len,
		.on_aex = on_aex,
		.ctx = &r,
	};
	long e = serve(&c, &r);
	sim_host_tls(t); /* the caller may use its TLS again (SIM_FAST_TLS) */
	if (e)
		return e;
	if (c.rdi != SGX_EXIT_RETURN)
		return -SIM_EFAULT;
	*result = (long)c.rsi;
	return 0;
}

/* enclu.S, at the AEP. */
long sim_aep(struct sim_call *c);
long sim_aep(struct sim_call *c)
{
	if (!c->on_aex)
		return -SIM_EFAULT;
	return c->on_aex(c, c->thread->event_sig);
}
