/*
 * enclave.c - the sgx-sim test enclave: a few ECALLs that exercise every
 * crossing of platform/sgx/enclave (OCALLs, exception entries after #UD,
 * #PF, #GP and a host signal, the pointer checks), EREPORT and EGETKEY as
 * real ENCLU (a report for itself checked with BearSSL's AES, seal keys,
 * the faults of bad operands), and local attestation with
 * runtime/attest/la.c. Freestanding, general registers only in its own
 * code (BearSSL may use vector registers), linked flat as a static PIE
 * that relocates itself (enclave.ld); the host side is host.c, which
 * checks the answers. The numbers are shared through test.h.
 */
#include <bearssl.h>

#include "../../platform/sgx/enclave/enclave.h"
#include "../../common/elfreloc.h"
#include "../../common/sgx.h"
#include "../../runtime/attest/la.h"
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

__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memmove(void *d, const void *s, size_t n)
{
	uint8_t *a = d;
	const uint8_t *b = s;
	if (a < b)
		while (n--)
			*a++ = *b++;
	else
		while (n--)
			a[n] = b[n];
	return d;
}

__attribute__((optimize("no-tree-loop-distribute-patterns"))) int memcmp(const void *x, const void *y, size_t n)
{
	const uint8_t *a = x, *b = y;
	for (; n; n--, a++, b++)
		if (*a != *b)
			return *a - *b;
	return 0;
}

/* Debian's libbearssl.a is built with the stack protector: its canary is
 * %fs:0x28, a measured word of the thread block here (OFSBASE), constant */
void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	__builtin_trap();
}

/* what tells the two test images (T_VARIANT 0 and 1) apart */
__attribute__((used)) static const volatile uint8_t variant = T_VARIANT;

/* Debian's libbearssl.a is built with _FORTIFY_SOURCE */
void *__memcpy_chk(void *d, const void *s, size_t n, size_t room);
void *__memcpy_chk(void *d, const void *s, size_t n, size_t room)
{
	if (n > room)
		__builtin_trap();
	return memcpy(d, s, n);
}

void *__memset_chk(void *d, int c, size_t n, size_t room);
void *__memset_chk(void *d, int c, size_t n, size_t room)
{
	if (n > room)
		__builtin_trap();
	return memset(d, c, n);
}

void *__memmove_chk(void *d, const void *s, size_t n, size_t room);
void *__memmove_chk(void *d, const void *s, size_t n, size_t room)
{
	if (n > room)
		__builtin_trap();
	return memmove(d, s, n);
}

size_t strlen(const char *str)
{
	size_t n = 0;
	while (str[n])
		n++;
	return n;
}

/* The image is a static PIE linked at 0 (enclave.ld): the pointers in its
 * data (BearSSL's vtables) are relocated here, at the first ECALL, before
 * anything reads them (common/elfreloc.h; a second thread racing through
 * it writes the same values). */
extern Elf64_Dyn _DYNAMIC[];
static void relocate(void)
{
	static volatile int done;
	if (done)
		return;
	if (elf_relocate_self(sgx_tb()->base, _DYNAMIC))
		__builtin_trap();
	done = 1;
}

extern const char __image_end[];
static uint64_t scratch[8];
static volatile int async_seen;
static int pf_fixed, gp_seen, leaf_pf_seen;
static uint64_t leaf_pf_addr;

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

/* ---- EREPORT and EGETKEY, as real ENCLU ------------------------------------ */

static void enclu_ereport(const void *ti, const void *rd, void *report)
{
	__asm__ volatile("enclu" : : "a"((uint64_t)ENCLU_EREPORT), "b"(ti), "c"(rd), "d"(report) : "memory");
}

/* RAX, and ZF (set on error) in *zf */
static long enclu_egetkey(const void *kr, void *key, int *zf)
{
	long rax = ENCLU_EGETKEY;
	uint8_t z;
	__asm__ volatile("enclu\n\tsetz %1" : "+a"(rax), "=q"(z) : "b"(kr), "c"(key) : "memory", "cc");
	*zf = z;
	return rax;
}

/* AES-128 on BearSSL's constant-time code, called directly (the flat test
 * image has no relocations, so no vtables) */
static br_aes_ct_cbcenc_keys aes_keys;
static void aes_set_key(void *ctx, const uint8_t key[16])
{
	br_aes_ct_cbcenc_init(ctx, key, 16);
}
static void aes_encrypt(void *ctx, const uint8_t in[16], uint8_t out[16])
{
	uint8_t iv[16] = { 0 };
	memcpy(out, in, 16);
	br_aes_ct_cbcenc_run(ctx, iv, out, 16);
}
static struct sgx_aes128 aes; /* filled at run time: no relocations */

static _Alignas(512) uint8_t ti[SGX_TARGETINFO_SIZE], report[SGX_REPORT_SIZE], kr[SGX_KEYREQUEST_SIZE];
static _Alignas(512) uint8_t rdata[SGX_REPORTDATA_SIZE];
static _Alignas(16) uint8_t key[16];

/* EREPORT for ourselves (the TARGETINFO from a first report), then our
 * REPORT_KEY, and the MAC checked here: 1, and the report in the buffer */
static long report_self(void)
{
	uint8_t *out = sgx_ubuf(SGX_REPORT_SIZE);
	int zf;
	if (!out)
		return -12;
	aes.ctx = &aes_keys;
	aes.set_key = aes_set_key;
	aes.encrypt = aes_encrypt;
	memset(ti, 0, sizeof ti);
	memset(rdata, 0, sizeof rdata);
	enclu_ereport(ti, rdata, report);
	sgx_targetinfo_from_report(report, ti);
	for (unsigned i = 0; i < sizeof rdata; i++)
		rdata[i] = (uint8_t)(T_RDATA_BYTE + i);
	enclu_ereport(ti, rdata, report);
	sgx_keyrequest_report(report, kr);
	if (enclu_egetkey(kr, key, &zf) || zf)
		return -2;
	if (sgx_report_check_mac(&aes, key, report))
		return -3;
	report[RP_REPORTDATA] ^= 1; /* one changed byte: the MAC must fail */
	int forged = sgx_report_check_mac(&aes, key, report);
	report[RP_REPORTDATA] ^= 1;
	if (!forged)
		return -4;
	memcpy(out, report, SGX_REPORT_SIZE);
	return 1;
}

/* SEAL keys under MRENCLAVE and MRSIGNER policy, at our own ISVSVN and the
 * CPUSVN the report states (+svn_up on the ISVSVN): 0 and the two keys in
 * the buffer, or -(RAX) with ZF, or -1000 if the key was written on error */
static long seal_keys(uint16_t svn_up)
{
	uint8_t *out = sgx_ubuf(32);
	int zf;
	if (!out)
		return -12;
	memset(ti, 0, sizeof ti);
	enclu_ereport(ti, rdata, report);
	for (unsigned k = 0; k < 2; k++) {
		memset(kr, 0, sizeof kr);
		sgx_put_le16(kr + KR_KEYNAME, SGX_KEYNAME_SEAL);
		sgx_put_le16(kr + KR_KEYPOLICY, k ? SGX_KEYPOLICY_MRSIGNER : SGX_KEYPOLICY_MRENCLAVE);
		sgx_put_le16(kr + KR_ISVSVN, (uint16_t)(sgx_le16(report + RP_ISVSVN) + svn_up));
		memcpy(kr + KR_CPUSVN, report + RP_CPUSVN, 16);
		sgx_put_le64(kr + KR_ATTRIBUTEMASK, ~0ULL);
		memset(key, 0xee, sizeof key);
		long e = enclu_egetkey(kr, key, &zf);
		if (e || zf) {
			for (unsigned i = 0; i < sizeof key; i++)
				if (key[i] != 0xee)
					return -1000;
			return -(e * 2 + zf);
		}
		memcpy(out + 16 * k, key, 16);
	}
	return 0;
}

/* ---- local attestation (runtime/attest/la.c) with real ENCLU ------------- */

/* la.c's buffers are not aligned as ENCLU wants: copied through ours */
static void la_ereport(void *ctx, const uint8_t t[SGX_TARGETINFO_SIZE], const uint8_t rd[SGX_REPORTDATA_SIZE],
		       uint8_t out[SGX_REPORT_SIZE])
{
	(void)ctx;
	memcpy(ti, t, sizeof ti);
	memcpy(rdata, rd, sizeof rdata);
	enclu_ereport(ti, rdata, report);
	memcpy(out, report, SGX_REPORT_SIZE);
}

static int la_egetkey(void *ctx, const uint8_t k[SGX_KEYREQUEST_SIZE], uint8_t out[16])
{
	int zf;
	(void)ctx;
	memcpy(kr, k, sizeof kr);
	long e = enclu_egetkey(kr, key, &zf);
	if (!e)
		memcpy(out, key, 16);
	sgx_wipe(key, sizeof key);
	return (int)e;
}

static int la_random(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;
	(void)ctx;
	while (len) {
		uint64_t v;
		uint8_t ok = 0;
		for (int tries = 0; tries < 10 && !ok; tries++)
			__asm__ volatile("rdrand %0\n\tsetc %1" : "=r"(v), "=q"(ok) : : "cc");
		if (!ok)
			return -1;
		size_t n = len < 8 ? len : 8;
		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
	return 0;
}

/* The transport: the host carries bytes over its socket, untrusted */
static long la_send(const void *buf, size_t len)
{
	struct t_write *w = sgx_ubuf(sizeof *w + len);
	if (!w)
		return -12;
	w->len = len;
	memcpy(w->data, buf, len);
	return sgx_ocall(T_OC_SEND, w) == (long)len ? 0 : -5;
}

static long la_recv(void *buf, size_t len)
{
	struct t_write *w = sgx_ubuf(sizeof *w + len);
	if (!w)
		return -12;
	w->len = len;
	if (sgx_ocall(T_OC_RECV, w) != (long)len)
		return -5;
	memcpy(buf, w->data, len);
	return 0;
}

static const char ping[] = "ping from the initiator", pong[] = "pong from the responder";
#define LA_MSG 23

/* The handshake, then one message each way on the channel: 1, or the
 * negative error of the step that failed */
static long la_run(bool initiator)
{
	static struct la_session s;
	static struct la_channel c;
	static uint8_t m1[LA_M1_SIZE], m2[LA_M2_SIZE], m3[LA_M3_SIZE], frame[LA_MSG + LA_OVERHEAD], msg[LA_MSG];
	struct la_ops ops = { NULL, la_ereport, la_egetkey, la_random };
	long e;
	size_t n;

	aes.ctx = &aes_keys;
	aes.set_key = aes_set_key;
	aes.encrypt = aes_encrypt;
	if (initiator) {
		if ((e = la_initiator_start(&s, &ops, m1)) || (e = la_send(m1, sizeof m1)) ||
		    (e = la_recv(m2, sizeof m2)) || (e = la_initiator_finish(&s, m2, m3, &c)) ||
		    (e = la_send(m3, sizeof m3)))
			return e;
		if (la_seal(&c, 1, ping, LA_MSG, frame) != (ssize_t)sizeof frame || (e = la_send(frame, sizeof frame)) ||
		    (e = la_recv(frame, sizeof frame)))
			return e ? e : -5;
		if (la_open(&c, frame, sizeof frame, msg, &n) != 1 || n != LA_MSG || memcmp(msg, pong, LA_MSG))
			return -74; /* EBADMSG */
		return 1;
	}
	if ((e = la_recv(m1, sizeof m1)) || (e = la_responder_reply(&s, &ops, m1, m2)) || (e = la_send(m2, sizeof m2)) ||
	    (e = la_recv(m3, sizeof m3)) || (e = la_responder_finish(&s, m3, &c)) || (e = la_recv(frame, sizeof frame)))
		return e;
	if (la_open(&c, frame, sizeof frame, msg, &n) != 1 || n != LA_MSG || memcmp(msg, ping, LA_MSG))
		return -74;
	if (la_seal(&c, 1, pong, LA_MSG, frame) != (ssize_t)sizeof frame || (e = la_send(frame, sizeof frame)))
		return e ? e : -5;
	return 1;
}

/* Operands EREPORT and EGETKEY refuse with #GP: the count of #GPs seen */
static long leaf_gp(void)
{
	uint8_t *guard = (uint8_t *)sgx_tb() + 4096; /* the thread block's guard page: not added */
	uint8_t *outside = (uint8_t *)(sgx_tb()->base - 4096);
	gp_seen = 0;
	enclu_ereport(ti + 64, rdata, report);    /* TARGETINFO not 512-aligned */
	enclu_ereport(ti, rdata + 64, report);    /* REPORTDATA not 128-aligned */
	enclu_ereport(ti, rdata, report + 16);    /* REPORT not 512-aligned */
	enclu_ereport(ti, rdata, outside);        /* REPORT outside ELRANGE */
	int zf;
	memset(kr, 0, sizeof kr);
	sgx_put_le16(kr + KR_KEYNAME, SGX_KEYNAME_SEAL);
	enclu_egetkey(kr + 256, key, &zf);        /* KEYREQUEST not 512-aligned */
	enclu_egetkey(kr, key + 8, &zf);          /* key not 16-aligned */
	enclu_egetkey(outside, key, &zf);         /* KEYREQUEST outside ELRANGE */
	kr[100] = 1;
	enclu_egetkey(kr, key, &zf);              /* a reserved byte of KEYREQUEST */
	kr[100] = 0;
	/* a page never added, or without W: #PF at that address */
	leaf_pf_seen = 0;
	leaf_pf_addr = (uint64_t)guard;
	enclu_ereport(ti, rdata, guard);
	leaf_pf_addr = (uint64_t)ro_page();
	enclu_egetkey(kr, (void *)ro_page(), &zf);
	return leaf_pf_seen == 2 ? gp_seen : -1;
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
	/* %gs:0 is the runtime's word (sgx_abi.h): the entry code leaves it alone */
	uint64_t rt_word;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(rt_word));
	if (rt_word || sgx_tb()->rt_tls)
		return -1;
	return (long)sgx_tb()->tcs_off;
}

long sgx_main(long code)
{
	relocate();
	switch (code) {
	case T_EC_LA_INITIATOR:
		return la_run(true);
	case T_EC_LA_RESPONDER:
		return la_run(false);
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
	case T_EC_LEAF_GP:
		return leaf_gp();
	case T_EC_REPORT_SELF:
		return report_self();
	case T_EC_SEAL_KEYS:
		return seal_keys(0);
	case T_EC_SEAL_SVN_UP:
		return seal_keys(1);
	case T_EC_BENCH_EGETKEY:
		for (long i = 0; i < T_BENCH_ROUNDS; i++)
			if (seal_keys(0))
				return -1;
		return 0;
	case T_EC_OCALLS:
		for (long i = 0; i < T_OCALLS; i++)
			if (sgx_ocall(T_OC_NOP, NULL) != T_NOP_ANSWER)
				return -1;
		return 0;
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
		if (insn[0] == 0x0f && insn[1] == 0x01 && insn[2] == 0xd7) {
			/* EREPORT/EGETKEY with an operand in a page it may not use */
			if (ev->maddr != leaf_pf_addr)
				return false;
			leaf_pf_seen++;
			sgx_gpr_set(ev, GPR_RIP, rip + 3);
			return true;
		}
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
