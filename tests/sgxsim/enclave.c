/*
 * enclave.c - the sgx-sim test enclave: a few ECALLs that exercise every
 * crossing of platform/sgx/enclave (OCALLs, exception entries after #UD,
 * #PF, #GP and a host signal, the pointer checks). Freestanding, general
 * registers only, linked flat (enclave.ld); the host side is host.c, which
 * checks the answers. The numbers are shared through test.h.
 */
#include "../../platform/sgx/enclave/enclave.h"
#include "test.h"

/* the compiler may call these; written so that it cannot turn them into
 * calls to themselves */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *a = d;
	const uint8_t *b = s;
	while (n--)
		*a++ = *b++;
	return d;
}

__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memset(void *d, int c, size_t n)
{
	uint8_t *a = d;
	while (n--)
		*a++ = (uint8_t)c;
	return d;
}

extern const char __image_end[];
static uint64_t scratch[8];
static volatile int async_seen;
static int pf_fixed, gp_seen;

static const uint8_t *ro_page(void)
{
	return (const uint8_t *)(((uint64_t)__image_end + 4095) & ~4095ULL);
}

long t_syscall_xmm(long nr, uint64_t v, uint64_t *back); /* head.S */
long t_ocall_ecall(long code);                          /* ocalls.c */

static long raw_syscall(long nr)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

static long say(const char *msg)
{
	size_t n = 0;
	while (msg[n])
		n++;
	struct t_write *w = sgx_ubuf(sizeof *w + n);
	if (!w)
		return -12;
	w->len = n;
	memcpy(w->data, msg, n);
	long r = sgx_ocall(T_OC_WRITE, w);
	return r >= 0 && (size_t)r <= n ? r : -5; /* a host claiming more than asked is lying */
}

static long host_time(void)
{
	uint64_t *slot = sgx_ubuf(8);
	if (!slot)
		return -12;
	*slot = 0;
	if (sgx_ocall(T_OC_TIME, slot))
		return -5;
	uint64_t v = *slot; /* read once: the host may change it under us */
	return (long)(v & 0x7fffffffffffffffULL);
}

/* #UD from `syscall`, then an XMM value that must survive the AEX */
static long syscall_ud(void)
{
	uint64_t lo = 0x1122334455667788ULL, back = 0;
	long pid = t_syscall_xmm(39 /* getpid */, lo, &back);
	return back == lo ? pid : -1;
}

static long segv_fix(void)
{
	uint64_t *target = (uint64_t *)ro_page() + 1; /* read-only: the store faults */
	pf_fixed = 0;
	/* RDI is an output too: the handler points it elsewhere */
	__asm__ volatile("movq %1, (%0)" : "+D"(target) : "r"(0x1234ULL) : "memory");
	return scratch[0] == 0x1234 && ro_page()[0] == T_RO_PATTERN ? pf_fixed : -1;
}

static long check_ptr(void)
{
	long p = sgx_ocall(T_OC_GETPTR, NULL);
	return sgx_outside((uint64_t)p, 64) ? 0 : -14;
}

static long spin(void)
{
	uint64_t *flag = sgx_ubuf(8);
	if (!flag)
		return -12;
	async_seen = 0;
	*flag = 1; /* tells the host we are inside */
	while (!async_seen)
		;
	return async_seen;
}

static long enclu_report(void)
{
	gp_seen = 0;
	__asm__ volatile("xor %%eax, %%eax\n\tenclu" : : : "rax", "rbx", "rcx", "rdx", "memory");
	return gp_seen;
}

static long per_thread(long rounds)
{
	long pid = 0;
	for (long i = 0; i < rounds; i++) {
		if (sgx_ocall(T_OC_NOP, NULL) != T_NOP_ANSWER)
			return -1;
		long p = raw_syscall(39);
		if (i && p != pid)
			return -1;
		pid = p;
	}
	return (long)sgx_tb()->tcs_off;
}

long sgx_main(long code)
{
	switch (code) {
	case T_EC_HELLO:
		return say("hello from the enclave\n");
	case T_EC_TIME:
		return host_time();
	case T_EC_SYSCALL_UD:
		return syscall_ud();
	case T_EC_SEGV_FIX:
		return segv_fix();
	case T_EC_CHECK_PTR:
		return check_ptr();
	case T_EC_SPIN:
		return spin();
	case T_EC_ENCLU_REPORT:
		return enclu_report();
	case T_EC_THREAD:
		return per_thread(200);
	case T_EC_BENCH_OCALL:
		for (long i = 0; i < T_BENCH_ROUNDS; i++)
			sgx_ocall(T_OC_NOP, NULL);
		return 0;
	case T_EC_BAD_XSAVE:
		return raw_syscall(T_NR_BAD_XSAVE);
	case T_EC_EEXIT_INSIDE:
		__asm__ volatile("lea sgx_main(%%rip), %%rbx\n\tmov $4, %%eax\n\tenclu" : : : "rax", "rbx", "rcx",
				 "memory");
		return -1;
	case T_EC_BENCH_ENCLU:
		for (long i = 0; i < T_BENCH_ROUNDS; i++)
			__asm__ volatile("xor %%eax, %%eax\n\tenclu" : : : "rax", "rbx", "rcx", "rdx", "memory");
		return 0;
	case T_EC_BENCH_UD:
		for (long i = 0; i < T_BENCH_ROUNDS; i++)
			raw_syscall(T_NR_INSIDE);
		return 0;
	}
	return t_ocall_ecall(code);
}

bool sgx_on_exception(struct sgx_event *ev)
{
	if (!(ev->exitinfo & EXITINFO_VALID)) {
		if (ev->host_signal == T_ASYNC_SIGNAL)
			async_seen++;
		return true; /* a signal from outside: resume */
	}
	uint64_t rip = sgx_gpr(ev, GPR_RIP);
	if (sgx_outside(rip, 3))
		return false;
	const uint8_t *insn = (const uint8_t *)rip;
	switch (ev->exitinfo & 0xff) {
	case SGX_VEC_UD:
		if (insn[0] != 0x0f || insn[1] != 0x05)
			return false;
		long nr = (long)sgx_gpr(ev, GPR_RAX), r;
		if (nr == 39)
			r = sgx_ocall(T_OC_GETPID, NULL);
		else if (nr == T_NR_INSIDE)
			r = 0;
		else if (nr == T_NR_BAD_XSAVE) {
			/* XSTATE_BV (byte 512 of the frame) with a feature outside XFRM */
			uint8_t *xsave = ev->gpr + SSA_GPR_SIZE - sgx_tb()->ssa_size;
			xsave[512 + 7] |= 0x40;
			r = 0;
		}
		else
			r = -38;
		sgx_gpr_set(ev, GPR_RAX, (uint64_t)r);
		sgx_gpr_set(ev, GPR_RIP, rip + 2);
		return true;
	case SGX_VEC_PF:
		if (ev->maddr != (uint64_t)ro_page() + 8) /* MADDR: the exact address */
			return false;
		/* the store goes to a writable buffer instead, and is retried */
		sgx_gpr_set(ev, GPR_RDI, (uint64_t)scratch);
		pf_fixed++;
		return true;
	case SGX_VEC_GP:
		if (insn[0] != 0x0f || insn[1] != 0x01 || insn[2] != 0xd7)
			return false;
		gp_seen++;
		sgx_gpr_set(ev, GPR_RIP, rip + 3);
		return true;
	}
	return false;
}
