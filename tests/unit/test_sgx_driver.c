/*
 * Unit test of the sgx platform's hardware path (platform/sgx/host/driver.c,
 * vdso.c, enter.S, linux.c) against a fake in-kernel SGX driver.
 *
 * No machine here has SGX, so the fake plays /dev/sgx_enclave, the CPU's
 * CPUID answers and the mmap of ELRANGE. It checks every ioctl argument as
 * the kernel and the CPU would (SECS fields, page alignment, ELRANGE
 * alignment, each ADD_PAGES offset/length/SECINFO/flags against the
 * expected page list, the source bytes, the SIGSTRUCT pointer), replays the
 * adds into the measurement (common/sgx.c) and makes EINIT compare it with
 * the SIGSTRUCT's ENCLAVEHASH, answering -EPERM as the in-kernel driver does
 * or a positive SGX code as out-of-tree drivers do. It can add fewer pages
 * than asked, return EINTR, lie about its progress, refuse the device.
 *
 * The uapi numbers and structures are compared with the system's
 * <asm/sgx.h>, the vDSO parser runs on this process's real vDSO and on
 * crafted images, and sgxhw_enter on a fake vDSO entry (sgx_fake_vdso.S).
 */
#include <asm/sgx.h>
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>

#include "../../common/exit.h"
#include "../../platform/sgx/host/driver.h"
#include "../../platform/sgx/host/load.h"
#include "check.h"
#include "sha256_openssl.h"

#define PAGE 4096u

/* ---- the enclave the tests load ---------------------------------------------- */

/* A layout in the shape of Coffer's: manifest, image segments with their
 * permissions, .bss, per thread a TCS and SSA, guard gaps, and an unmeasured
 * heap longer than one ADD_PAGES batch. */
#define ENCL_SIZE (2u << 20) /* 512 pages */
#define REG SGX_SECINFO_REG
#define R SGX_SECINFO_R
#define W SGX_SECINFO_W
#define X SGX_SECINFO_X

struct run_spec {
	uint32_t first, n; /* pages */
	uint64_t secinfo;
	bool data, measure;
};

static const struct run_spec layout_runs[] = {
	{ 0, 1, REG | R, true, true },          /* manifest */
	{ 1, 3, REG | R | X, true, true },      /* text */
	{ 4, 1, REG | R, true, true },          /* rodata */
	{ 5, 2, REG | R | W, true, true },      /* data */
	{ 7, 3, REG | R | W, false, true },     /* .bss */
	{ 11, 1, SGX_SECINFO_TCS, true, true }, /* thread 0: TCS */
	{ 12, 2, REG | R | W, false, true },    /* SSA */
	{ 15, 1, SGX_SECINFO_TCS, true, true }, /* thread 1 */
	{ 16, 2, REG | R | W, false, true },
	{ 20, 300, REG | R | W, false, false }, /* heap: more than one batch */
	{ 322, 4, REG | R | W, false, false },  /* stack */
};
#define NRUNS (sizeof layout_runs / sizeof layout_runs[0])

static uint8_t pattern(uint64_t offset, unsigned i)
{
	return (uint8_t)((offset / PAGE) * 31 + i * 7) | 1;
}

/* The walker: one buffer reused for every page and scribbled on after each
 * add(), as a layout that builds pages on the fly may do; the driver must
 * copy what it keeps. */
static int walk(void *ctx, layout_add_fn add, void *add_ctx, const char **why)
{
	static uint8_t buf[PAGE];
	int *calls = ctx;

	(void)why;
	if (calls)
		(*calls)++;
	for (size_t r = 0; r < NRUNS; r++) {
		const struct run_spec *s = &layout_runs[r];
		for (uint32_t i = 0; i < s->n; i++) {
			struct layout_page p = { (uint64_t)(s->first + i) * PAGE, s->secinfo, NULL, s->measure };
			if (s->data) {
				for (unsigned b = 0; b < PAGE; b++)
					buf[b] = pattern(p.offset, b);
				p.data = buf;
			}
			int ret = add(add_ctx, &p);
			memset(buf, 0xee, sizeof buf);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static void expected_mrenclave(uint8_t mr[32])
{
	static uint8_t buf[PAGE];
	struct sgx_sha256 sha = sha256_openssl();
	struct sgx_measure m;

	sgx_measure_ecreate(&m, &sha, 1, ENCL_SIZE);
	for (size_t r = 0; r < NRUNS; r++)
		for (uint32_t i = 0; i < layout_runs[r].n; i++) {
			uint64_t off = (uint64_t)(layout_runs[r].first + i) * PAGE;
			for (unsigned b = 0; b < PAGE; b++)
				buf[b] = pattern(off, b);
			sgx_measure_add_page(&m, off, layout_runs[r].secinfo, layout_runs[r].data ? buf : NULL,
					     layout_runs[r].measure);
		}
	CHECK(sgx_measure_finish(&m, mr) == 0);
	EVP_MD_CTX_free(sha.ctx);
}

#define ATTRS (SGX_FLAGS_MODE64BIT | SGX_FLAGS_DEBUG)

/* What the fake driver expects: the pages in their order, and the SECS
 * values. The synthetic layout above by default; the real enclave's
 * (layout_build over coffer-enclave and a signed manifest) in
 * test_real_layout. */
struct exp_page {
	uint64_t offset, secinfo;
	bool measure;
	uint8_t *data; /* NULL: a page of zeros */
};
static struct {
	struct exp_page *pages;
	size_t n, cap;
	uint64_t size, attrs, xfrm;
	uint32_t misc;
} exp;

static void exp_add(uint64_t offset, uint64_t secinfo, bool measure, const uint8_t *data)
{
	if (exp.n == exp.cap) {
		exp.cap = exp.cap ? 2 * exp.cap : 1024;
		exp.pages = realloc(exp.pages, exp.cap * sizeof *exp.pages);
	}
	struct exp_page *e = &exp.pages[exp.n++];
	*e = (struct exp_page){ offset, secinfo, measure, NULL };
	if (data) {
		e->data = malloc(PAGE);
		memcpy(e->data, data, PAGE);
	}
}

static void exp_clear(void)
{
	for (size_t i = 0; i < exp.n; i++)
		free(exp.pages[i].data);
	exp.n = 0;
}

static void exp_synthetic(void)
{
	static uint8_t buf[PAGE];

	exp_clear();
	for (size_t r = 0; r < NRUNS; r++)
		for (uint32_t i = 0; i < layout_runs[r].n; i++) {
			uint64_t off = (uint64_t)(layout_runs[r].first + i) * PAGE;
			for (unsigned b = 0; b < PAGE; b++)
				buf[b] = pattern(off, b);
			exp_add(off, layout_runs[r].secinfo, layout_runs[r].measure, layout_runs[r].data ? buf : NULL);
		}
	exp.size = ENCL_SIZE;
	exp.attrs = ATTRS;
	exp.xfrm = 3;
	exp.misc = 0;
}

/* the expected page at an offset (pages are in ascending order) */
static const struct exp_page *exp_at(uint64_t offset)
{
	size_t lo = 0, hi = exp.n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (exp.pages[mid].offset == offset)
			return &exp.pages[mid];
		if (exp.pages[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void make_sigstruct(uint8_t s[SIGSTRUCT_SIZE], const uint8_t mr[32])
{
	memset(s, 0, SIGSTRUCT_SIZE);
	memcpy(s + SS_HEADER, sgx_sigstruct_header, 16);
	memcpy(s + SS_HEADER2, sgx_sigstruct_header2, 16);
	sgx_put_le32(s + SS_EXPONENT, 3);
	s[SS_MODULUS + 383] = 0xc5; /* a modulus; signature, Q1 and Q2 zero satisfy the Q checks */
	sgx_put_le64(s + SS_ATTRIBUTES, ATTRS);
	sgx_put_le64(s + SS_ATTRIBUTES + 8, 3);
	sgx_put_le64(s + SS_ATTRIBUTEMASK, ~0ull);
	sgx_put_le64(s + SS_ATTRIBUTEMASK + 8, ~0ull);
	sgx_put_le32(s + SS_MISCMASK, ~0u);
	memcpy(s + SS_ENCLAVEHASH, mr, 32);
}

/* ---- the fake host ------------------------------------------------------------- */

#define FAKE_FD 7
#define MAX_MAPS 64

struct fake {
	/* behaviour */
	int open_err, probe_err;
	bool no_sgx, no_lc, no_sgx2, not_intel;
	uint64_t xcr0; /* 0: x87, SSE, AVX and AMX enabled */
	uint32_t add_max;          /* add at most this many pages per call (0: all) */
	unsigned eintr_every;      /* every n-th ADD_PAGES call returns EINTR first */
	long add_fail;             /* ADD_PAGES error once half the pages are in */
	bool add_lie;              /* report more than asked */
	bool positive_codes;       /* EINIT error as a positive SGX code (out-of-tree) */
	unsigned einit_eintr;      /* EINTRs before EINIT runs */
	const uint8_t *sigstruct;  /* the pointer INIT must be given */
	uint32_t ssaframesize;     /* expected in the SECS */
	/* state */
	bool open, created, inited, closed;
	uint64_t area, area_len;   /* the anonymous reservation */
	uint64_t base;
	unsigned add_calls;
	size_t next; /* the next expected page */
	uint64_t pages;
	struct sgx_sha256 sha;
	struct sgx_measure m;
	struct { uint64_t addr, len; int prot; bool after_init; } maps[MAX_MAPS];
	unsigned nmaps;
	long einit_code; /* what EINIT found */
	uint64_t trimmed, trims[4][2];
	unsigned ntrims;
	bool elrange_unmapped;
	struct sgxhw_ops ops; /* as the enclave keeps a pointer to it */
};

static long f_open(void *ctx, const char *path, int flags)
{
	struct fake *f = ctx;
	CHECK(!strcmp(path, "/dev/sgx_enclave"));
	CHECK((flags & O_ACCMODE) == O_RDWR);
	if (f->open_err)
		return f->open_err;
	f->open = true;
	return FAKE_FD;
}

static long f_close(void *ctx, int fd)
{
	struct fake *f = ctx;
	CHECK(fd == FAKE_FD && f->open && !f->closed);
	f->closed = true;
	return 0;
}

static void f_cpuid(void *ctx, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	struct fake *f = ctx;
	memset(r, 0, 16);
	switch (leaf) {
	case 0:
		r[0] = 0x1f;
		r[1] = 0x756e6547, r[3] = 0x49656e69, r[2] = 0x6c65746e; /* GenuineIntel */
		if (f->not_intel)
			r[1] = 0x68747541; /* Auth... */
		break;
	case 1:
		r[2] = 1u << 27; /* OSXSAVE */
		break;
	case 7:
		if (sub == 0) {
			r[1] = f->no_sgx ? 0 : 1u << 2;
			r[2] = f->no_lc ? 0 : 1u << 30;
		}
		break;
	case 0xd:
		if (sub == 0) /* supported: x87, SSE, AVX */
			r[0] = 7;
		else if (sub == 2) /* AVX: 256 bytes at 576 */
			r[0] = 256, r[1] = 576;
		break;
	case 0x12:
		if (sub == 0) {
			r[0] = f->no_sgx2 ? 1 : 3;
			r[1] = 1;           /* MISCSELECT: EXINFO */
			r[3] = 0x24 | 0x36 << 8; /* 2^54 in 64-bit mode */
		} else if (sub == 1) {
			r[0] = 0xb6; /* DEBUG, MODE64BIT, PROVISIONKEY, EINITTOKENKEY, KSS */
			r[2] = 0x7;  /* x87, SSE, AVX */
			r[2] |= 3u << 17; /* AMX TILECFG, TILEDATA */
		}
		break;
	}
}

static uint64_t f_xgetbv0(void *ctx)
{
	struct fake *f = ctx;
	return f->xcr0 ? f->xcr0 : 7 | 3u << 17;
}

static bool in_area(struct fake *f, uint64_t a, uint64_t n)
{
	return f->area && a >= f->area && a + n <= f->area + f->area_len && a + n >= a;
}

static long f_mmap(void *ctx, uintptr_t addr, size_t len, int prot, int flags, int fd, long off)
{
	struct fake *f = ctx;

	if (fd == -1) {
		CHECK(flags & MAP_ANONYMOUS);
		void *p = mmap((void *)addr, len, prot, flags, -1, 0);
		CHECK(p != MAP_FAILED);
		if (prot == PROT_NONE) { /* the reservation: twice the size */
			CHECK(len == 2ull * exp.size && !f->area);
			f->area = (uintptr_t)p;
			f->area_len = len;
		}
		return (long)(uintptr_t)p;
	}
	CHECK(fd == FAKE_FD && off == 0);
	CHECK((flags & MAP_SHARED) != 0);
	if (!(flags & MAP_FIXED)) { /* the exec probe of sgxhw_open */
		CHECK(prot & PROT_EXEC);
		if (f->probe_err)
			return f->probe_err;
		void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return (long)(uintptr_t)p;
	}
	/* ELRANGE from the enclave: inside it, page aligned, after EINIT, never
	 * more than the pages' permissions (the driver's rule) */
	CHECK(f->created && addr % PAGE == 0 && len % PAGE == 0 && len);
	CHECK(addr >= f->base && addr + len <= f->base + exp.size);
	for (uint64_t a = addr; a < addr + len; a += PAGE) {
		const struct exp_page *s = exp_at(a - f->base);
		CHECK(s != NULL);
		if (!s)
			continue;
		int max = (s->secinfo & SGX_SECINFO_TYPE_MASK) == SGX_SECINFO_TCS ? PROT_READ | PROT_WRITE
										  : (int)(s->secinfo & 7);
		CHECK(prot == max);
	}
	if (f->nmaps < MAX_MAPS) {
		f->maps[f->nmaps].addr = addr;
		f->maps[f->nmaps].len = len;
		f->maps[f->nmaps].prot = prot;
		f->maps[f->nmaps].after_init = f->inited;
		f->nmaps++;
	}
	return (long)addr;
}

static long f_munmap(void *ctx, uintptr_t addr, size_t len)
{
	struct fake *f = ctx;

	CHECK(addr % PAGE == 0);
	if (in_area(f, addr, len) && !f->created && f->ntrims < 4) {
		f->trimmed += len;
		f->trims[f->ntrims][0] = addr;
		f->trims[f->ntrims++][1] = addr + len;
	}
	if (f->created && addr == f->base && len == exp.size)
		f->elrange_unmapped = true;
	CHECK(munmap((void *)addr, len) == 0);
	return 0;
}

static long f_create(struct fake *f, struct sgxhw_enclave_create *c)
{
	const uint8_t *secs = (const uint8_t *)(uintptr_t)c->src;

	CHECK(!f->created);
	CHECK(c->src % PAGE == 0); /* ECREATE wants the SECS page aligned */
	uint64_t size = sgx_le64(secs + SECS_SIZE), base = sgx_le64(secs + SECS_BASEADDR);
	CHECK(size == exp.size);
	CHECK(base % size == 0); /* naturally aligned */
	CHECK(in_area(f, base, size));
	CHECK(sgx_le32(secs + SECS_SSAFRAMESIZE) == f->ssaframesize);
	CHECK(sgx_le32(secs + SECS_MISCSELECT) == exp.misc);
	CHECK(sgx_le64(secs + SECS_ATTRIBUTES) == exp.attrs);
	CHECK(sgx_le64(secs + SECS_XFRM) == exp.xfrm);
	/* reserved, MRENCLAVE, MRSIGNER, CONFIGID, ISVPRODID, ISVSVN, CONFIGSVN */
	static const uint8_t zeros[PAGE];
	CHECK(!memcmp(secs + 24, zeros, SECS_ATTRIBUTES - 24));
	CHECK(!memcmp(secs + SECS_XFRM + 8, zeros, PAGE - SECS_XFRM - 8));
	/* the reservation was trimmed to exactly this range */
	CHECK(f->trimmed == size && f->ntrims <= 2);
	for (unsigned i = 0; i < f->ntrims; i++)
		CHECK(f->trims[i][1] <= base || f->trims[i][0] >= base + size);
	f->base = base;
	f->created = true;
	f->sha = sha256_openssl();
	sgx_measure_ecreate(&f->m, &f->sha, sgx_le32(secs + SECS_SSAFRAMESIZE), size);
	return 0;
}

static long f_add(struct fake *f, struct sgxhw_enclave_add_pages *a)
{
	static const uint8_t zeros[PAGE];
	const uint8_t *si = (const uint8_t *)(uintptr_t)a->secinfo;

	f->add_calls++;
	CHECK(f->created && !f->inited);
	CHECK(a->src % PAGE == 0 && a->offset % PAGE == 0);
	CHECK(a->length && a->length % PAGE == 0 && a->offset + a->length <= exp.size);
	CHECK(a->count == 0);
	CHECK(a->flags == 0 || a->flags == SGX_PAGE_MEASURE);
	CHECK(a->secinfo % 64 == 0);
	for (unsigned i = 8; i < 64; i++)
		CHECK(si[i] == 0);
	uint64_t flags = sgx_le64(si);
	if (f->eintr_every && f->add_calls % f->eintr_every == 0)
		return -EINTR; /* nothing added */
	uint64_t n = a->length / PAGE;
	if (f->add_max && n > f->add_max)
		n = f->add_max;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t off = a->offset + i * PAGE;
		const uint8_t *src = (const uint8_t *)(uintptr_t)(a->src + i * PAGE);
		if (f->add_fail && f->pages == 200) {
			a->count = i * PAGE;
			return f->add_fail;
		}
		/* the next page of the expected list, in order */
		CHECK(f->next < exp.n);
		if (f->next >= exp.n)
			return -EINVAL;
		const struct exp_page *s = &exp.pages[f->next++];
		CHECK(off == s->offset);
		CHECK(flags == s->secinfo);
		CHECK(a->flags == (s->measure ? SGX_PAGE_MEASURE : 0));
		CHECK(!memcmp(src, s->data ? s->data : zeros, PAGE));
		sgx_measure_add_page(&f->m, off, flags, src, a->flags & SGX_PAGE_MEASURE);
		f->pages++;
	}
	a->count = n * PAGE;
	if (f->add_lie)
		a->count = a->length + PAGE;
	return 0;
}

static long f_init(struct fake *f, struct sgxhw_enclave_init *in)
{
	uint8_t mr[32];

	CHECK(f->created && !f->inited);
	CHECK(in->sigstruct == (uintptr_t)f->sigstruct);
	if (f->einit_eintr) {
		f->einit_eintr--;
		return -EINTR;
	}
	CHECK(f->next == exp.n); /* every page added */
	CHECK(sgx_measure_finish(&f->m, mr) == 0);
	EVP_MD_CTX_free(f->sha.ctx);
	f->sha.ctx = NULL;
	const uint8_t *s = f->sigstruct;
	long code = 0;
	if (((exp.attrs ^ sgx_le64(s + SS_ATTRIBUTES)) & sgx_le64(s + SS_ATTRIBUTEMASK)))
		code = SGX_INVALID_ATTRIBUTE;
	else if (memcmp(mr, s + SS_ENCLAVEHASH, 32))
		code = SGX_INVALID_MEASUREMENT;
	f->einit_code = code;
	if (code)
		return f->positive_codes ? code : -EPERM;
	f->inited = true;
	return 0;
}

static long f_ioctl(void *ctx, int fd, unsigned long cmd, void *arg)
{
	struct fake *f = ctx;

	CHECK(fd == FAKE_FD && f->open && !f->closed);
	if (cmd == SGX_IOC_ENCLAVE_CREATE)
		return f_create(f, arg);
	if (cmd == SGX_IOC_ENCLAVE_ADD_PAGES)
		return f_add(f, arg);
	if (cmd == SGX_IOC_ENCLAVE_INIT)
		return f_init(f, arg);
	CHECK(!"unknown ioctl");
	return -ENOTTY;
}

static struct sgxhw_ops fake_ops(struct fake *f)
{
	struct sgxhw_ops o = { f, f_open, f_ioctl, f_mmap, f_munmap, f_close, f_cpuid, f_xgetbv0, NULL };
	return o;
}

static struct sgxhw_params params(const uint8_t *sig, int *walks)
{
	struct sgxhw_params p = {
		.size = ENCL_SIZE,
		.ssaframesize = 1,
		.miscselect = 0,
		.attributes = ATTRS,
		.xfrm = 3,
		.sigstruct = sig,
		.walk = walk,
		.walk_ctx = walks,
		.sha = NULL,
	};
	return p;
}

/* Open, check the CPU and build against a fake; returns the result. */
static int build(struct fake *f, struct sgxhw_params *p, struct sgxhw_enclave *e, const char **why)
{
	struct sgxhw_ops *o = &f->ops;
	struct sgxhw_cpu cpu;
	int r;

	*o = fake_ops(f);
	f->sigstruct = p->sigstruct;
	if (!f->ssaframesize)
		f->ssaframesize = 1;
	r = sgxhw_check_cpu(o, &cpu, why);
	CHECK(r == 0);
	r = sgxhw_open(o, e, why);
	CHECK(r == 0);
	r = sgxhw_build(e, &cpu, p, why);
	if (f->sha.ctx) /* EINIT was not reached */
		EVP_MD_CTX_free(f->sha.ctx);
	f->sha.ctx = NULL;
	return r;
}

static unsigned runs_of_batches(void)
{
	unsigned n = 0;
	for (size_t r = 0; r < NRUNS; r++)
		n += (layout_runs[r].n + SGXHW_BATCH_PAGES - 1) / SGXHW_BATCH_PAGES;
	return n;
}

static uint64_t total_pages(void)
{
	uint64_t n = 0;
	for (size_t r = 0; r < NRUNS; r++)
		n += layout_runs[r].n;
	return n;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_uapi(void)
{
	/* our numbers and layouts against the kernel's header */
	CHECK(SGXHW_IOC_ENCLAVE_CREATE == SGX_IOC_ENCLAVE_CREATE);
	CHECK(SGXHW_IOC_ENCLAVE_ADD_PAGES == SGX_IOC_ENCLAVE_ADD_PAGES);
	CHECK(SGXHW_IOC_ENCLAVE_INIT == SGX_IOC_ENCLAVE_INIT);
	CHECK(SGXHW_IOC_ENCLAVE_CREATE == 0x4008a400ul);
	CHECK(SGXHW_IOC_ENCLAVE_ADD_PAGES == 0xc030a401ul);
	CHECK(SGXHW_IOC_ENCLAVE_INIT == 0x4008a402ul);
	CHECK(SGXHW_PAGE_MEASURE == SGX_PAGE_MEASURE);
	CHECK(sizeof(struct sgxhw_enclave_add_pages) == sizeof(struct sgx_enclave_add_pages));
	CHECK(offsetof(struct sgxhw_enclave_add_pages, count) == offsetof(struct sgx_enclave_add_pages, count));
	CHECK(offsetof(struct sgxhw_enclave_add_pages, secinfo) == offsetof(struct sgx_enclave_add_pages, secinfo));
	CHECK(sizeof(struct sgxhw_run) == sizeof(struct sgx_enclave_run));
	CHECK(offsetof(struct sgxhw_run, exception_addr) == offsetof(struct sgx_enclave_run, exception_addr));
	CHECK(offsetof(struct sgxhw_run, user_handler) == offsetof(struct sgx_enclave_run, user_handler));
	CHECK(offsetof(struct sgxhw_run, reserved) == offsetof(struct sgx_enclave_run, reserved));
}

static void test_cpu(void)
{
	struct fake f = { 0 };
	struct sgxhw_ops o = fake_ops(&f);
	struct sgxhw_cpu cpu;
	const char *why = NULL;

	CHECK(sgxhw_check_cpu(&o, &cpu, &why) == 0);
	CHECK(cpu.xcr0 == (7 | 3u << 17));
	CHECK(cpu.misc_valid == 1 && cpu.attr_valid == 0xb6 && cpu.xfrm_valid == (7 | 3u << 17) && cpu.max_size_log2 == 0x36);

	f.no_sgx = true;
	CHECK(sgxhw_check_cpu(&o, &cpu, &why) == -ENODEV && strstr(why, "does not report SGX"));
	f.no_sgx = false, f.no_lc = true;
	CHECK(sgxhw_check_cpu(&o, &cpu, &why) == -ENODEV && strstr(why, "flexible launch control") &&
	      strstr(why, "ECX[30]"));
	f.no_lc = false, f.no_sgx2 = true;
	CHECK(sgxhw_check_cpu(&o, &cpu, &why) == -ENODEV && strstr(why, "lacks SGX2"));
	f.no_sgx2 = false, f.not_intel = true;
	CHECK(sgxhw_check_cpu(&o, &cpu, &why) == -ENODEV && strstr(why, "not an Intel CPU"));

	/* the SSA frame: the layout's check (common/layout.c), on this CPUID
	 * (XSAVE legacy + header 576, AVX ends at 832, EXINFO 16, GPRSGX 184) */
	f.not_intel = false;
	CHECK(layout_ssa_check_cpu(3, 0, 1, o.cpuid, o.ctx, &why) == 0);
	CHECK(layout_ssa_check_cpu(7, 1, 1, o.cpuid, o.ctx, &why) == 0);
	CHECK(layout_ssa_check_cpu(1, 0, 1, o.cpuid, o.ctx, &why) == -1);    /* no SSE: not a legal XFRM */
	CHECK(layout_ssa_check_cpu(0xe7, 0, 1, o.cpuid, o.ctx, &why) == -1 && strstr(why, "does not support"));
}

static void test_open(void)
{
	struct fake f = { 0 };
	struct sgxhw_ops o = fake_ops(&f);
	struct sgxhw_enclave e;
	const char *why = NULL;

	f.open_err = -ENOENT;
	CHECK(sgxhw_open(&o, &e, &why) == -ENOENT && strstr(why, "/dev/sgx_enclave does not exist") &&
	      strstr(why, "5.11"));
	f.open_err = -EACCES;
	CHECK(sgxhw_open(&o, &e, &why) == -EACCES && strstr(why, "not open to this user") && strstr(why, "sgx"));
	f.open_err = -EPERM;
	CHECK(sgxhw_open(&o, &e, &why) == -EPERM && strstr(why, "not open to this user"));
	f.open_err = 0, f.probe_err = -EPERM;
	CHECK(sgxhw_open(&o, &e, &why) == -EPERM && strstr(why, "noexec") && f.closed && e.fd == -1);
	f = (struct fake){ 0 };
	CHECK(sgxhw_open(&o, &e, &why) == 0 && e.fd == FAKE_FD && !f.closed);
	sgxhw_destroy(&e);
	CHECK(f.closed);
}

static void test_build(void)
{
	uint8_t mr[32], sig[SIGSTRUCT_SIZE];
	struct fake f = { 0 };
	struct sgxhw_enclave e;
	const char *why = NULL;
	int walks = 0;

	expected_mrenclave(mr);
	make_sigstruct(sig, mr);
	struct sgxhw_params p = params(sig, &walks);
	int r = build(&f, &p, &e, &why);
	CHECK(r == 0);
	if (r)
		fprintf(stderr, "build: %s\n", why);
	CHECK(f.inited && f.einit_code == 0);
	CHECK(f.pages == total_pages() && e.pages == total_pages());
	/* one ADD_PAGES per run of equal pages, split only at the batch size */
	CHECK(f.add_calls == runs_of_batches());
	CHECK(e.base == f.base && e.size == ENCL_SIZE);
	/* mapped after EINIT, every added page once, in runs of equal permissions */
	uint64_t mapped = 0;
	for (unsigned i = 0; i < f.nmaps; i++) {
		CHECK(f.maps[i].after_init);
		mapped += f.maps[i].len;
	}
	CHECK(mapped == total_pages() * PAGE);
	/* manifest R | text RX | rodata R | data..SSA RW up to 10, TCS.. (RW) 11..17 | heap | stack */
	CHECK(f.nmaps == 8);
	CHECK(walks == 2);
	sgxhw_destroy(&e);
	CHECK(f.closed && f.elrange_unmapped);
}

static void test_partial(void)
{
	uint8_t mr[32], sig[SIGSTRUCT_SIZE];
	struct fake f = { .add_max = 3, .eintr_every = 2, .einit_eintr = 3 };
	struct sgxhw_enclave e;
	const char *why = NULL;

	expected_mrenclave(mr);
	make_sigstruct(sig, mr);
	struct sgxhw_params p = params(sig, NULL);
	CHECK(build(&f, &p, &e, &why) == 0);
	CHECK(f.inited && f.pages == total_pages());
	CHECK(f.add_calls > 2 * total_pages() / 3); /* short adds and EINTRs were gone through */
	sgxhw_destroy(&e);
}

static void test_einit_refusals(void)
{
	uint8_t mr[32], sig[SIGSTRUCT_SIZE];
	struct sgx_sha256 sha = sha256_openssl();
	const char *why = NULL;

	expected_mrenclave(mr);
	for (int mode = 0; mode < 3; mode++) {
		/* 0: in-kernel driver (EPERM) with our replayed measurement;
		 * 1: out-of-tree driver (positive code); 2: EPERM, no replay */
		struct fake f = { .positive_codes = mode == 1 };
		struct sgxhw_enclave e;
		make_sigstruct(sig, mr);
		sig[SS_ENCLAVEHASH] ^= 1;
		struct sgxhw_params p = params(sig, NULL);
		if (mode != 2)
			p.sha = &sha;
		CHECK(build(&f, &p, &e, &why) == -EPERM);
		CHECK(f.einit_code == SGX_INVALID_MEASUREMENT && !f.inited);
		if (mode == 2)
			CHECK(strstr(why, "does not say why") != NULL);
		else
			CHECK(why == sgxhw_einit_reason(SGX_INVALID_MEASUREMENT) &&
			      strstr(why, "ENCLAVEHASH") && strstr(why, "SGX_INVALID_MEASUREMENT"));
		/* everything undone */
		CHECK(f.closed && e.fd == -1 && e.base == 0 && f.nmaps == 0);
		CHECK(f.elrange_unmapped);
		if (mode == 0)
			CHECK(e.measured && !memcmp(e.mrenclave, mr, 32)); /* the replay is the measurement */
	}

	/* attributes under the SIGSTRUCT's mask */
	struct fake f = { 0 };
	struct sgxhw_enclave e;
	make_sigstruct(sig, mr);
	sgx_put_le64(sig + SS_ATTRIBUTES, SGX_FLAGS_MODE64BIT); /* production, the SECS says DEBUG */
	struct sgxhw_params p = params(sig, NULL);
	p.sha = &sha;
	CHECK(build(&f, &p, &e, &why) == -EPERM && why == sgxhw_einit_reason(SGX_INVALID_ATTRIBUTE));

	/* Q1 not matching the signature: EINIT's signature check */
	f = (struct fake){ 0 };
	make_sigstruct(sig, mr);
	sig[SS_Q1] = 1;
	sig[SS_ENCLAVEHASH] ^= 1; /* so that the fake refuses it */
	p = params(sig, NULL);
	CHECK(build(&f, &p, &e, &why) == -EPERM && why == sgxhw_einit_reason(SGX_INVALID_SIGNATURE));
	EVP_MD_CTX_free(sha.ctx);

	/* each code its own sentence, naming the code */
	static const struct { long code; const char *name; } codes[] = {
		{ SGX_INVALID_SIG_STRUCT, "SGX_INVALID_SIG_STRUCT" }, { SGX_INVALID_ATTRIBUTE, "SGX_INVALID_ATTRIBUTE" },
		{ SGX_INVALID_MEASUREMENT, "SGX_INVALID_MEASUREMENT" }, { SGX_INVALID_SIGNATURE, "SGX_INVALID_SIGNATURE" },
		{ SGX_INVALID_EINITTOKEN, "SGX_INVALID_EINITTOKEN" }, { SGX_INVALID_CPUSVN, "SGX_INVALID_CPUSVN" },
		{ SGX_UNMASKED_EVENT, "SGX_UNMASKED_EVENT" },
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		CHECK(strstr(sgxhw_einit_reason(codes[i].code), codes[i].name) != NULL);
	CHECK(SGX_INVALID_SIG_STRUCT == 1 && SGX_INVALID_ATTRIBUTE == 2 && SGX_INVALID_MEASUREMENT == 4 &&
	      SGX_INVALID_SIGNATURE == 8 && SGX_INVALID_EINITTOKEN == 16 && SGX_UNMASKED_EVENT == 128);
	CHECK(strstr(sgxhw_einit_reason(99), "does not know") != NULL);
}

static void test_driver_faults(void)
{
	uint8_t mr[32], sig[SIGSTRUCT_SIZE];
	struct sgxhw_enclave e;
	const char *why = NULL;

	expected_mrenclave(mr);
	make_sigstruct(sig, mr);
	struct sgxhw_params p = params(sig, NULL);

	struct fake f = { .add_lie = true };
	CHECK(build(&f, &p, &e, &why) == -EIO && strstr(why, "more pages added than asked") && f.closed);

	f = (struct fake){ .add_fail = -ENOMEM };
	CHECK(build(&f, &p, &e, &why) == -ENOMEM && strstr(why, "out of EPC memory") && f.closed);
	CHECK(f.pages == 200); /* the pages before the failure were added, no more */

	f = (struct fake){ .add_fail = -EIO };
	CHECK(build(&f, &p, &e, &why) == -EIO && strstr(why, "EADD or EEXTEND failed") && f.closed);
}

/* A parameter the CPU or the driver would refuse is refused before any
 * ioctl, with a sentence; the device is closed again. */
static void refuse(struct sgxhw_params p, const char *says)
{
	struct fake f = { 0 };
	struct sgxhw_ops o = fake_ops(&f);
	struct sgxhw_cpu cpu;
	struct sgxhw_enclave e;
	const char *why = NULL;

	CHECK(sgxhw_check_cpu(&o, &cpu, &why) == 0);
	CHECK(sgxhw_open(&o, &e, &why) == 0);
	CHECK(sgxhw_build(&e, &cpu, &p, &why) == -EINVAL);
	CHECK(why && strstr(why, says));
	if (!why || !strstr(why, says))
		fprintf(stderr, "wanted \"%s\", got \"%s\"\n", says, why ? why : "(null)");
	CHECK(!f.created && f.closed && f.area == 0);
}

/* The same with a kernel that enabled only the XSAVE features `xcr0`. */
static void refuse_xcr0(struct sgxhw_params p, uint64_t xcr0, const char *says)
{
	struct fake f = { .xcr0 = xcr0 };
	struct sgxhw_ops o = fake_ops(&f);
	struct sgxhw_cpu cpu;
	struct sgxhw_enclave e;
	const char *why = NULL;

	CHECK(sgxhw_check_cpu(&o, &cpu, &why) == 0 && cpu.xcr0 == xcr0);
	CHECK(sgxhw_open(&o, &e, &why) == 0);
	CHECK(sgxhw_build(&e, &cpu, &p, &why) == -EINVAL && strstr(why, says));
	CHECK(!f.created && f.closed);
}

static void test_params(void)
{
	uint8_t mr[32], sig[SIGSTRUCT_SIZE];
	struct sgxhw_params p;

	expected_mrenclave(mr);
	make_sigstruct(sig, mr);
	p = params(sig, NULL), p.size = ENCL_SIZE + PAGE;
	refuse(p, "power of two");
	p = params(sig, NULL), p.size = PAGE;
	refuse(p, "power of two");
	p = params(sig, NULL), p.size = 1ull << 50;
	refuse(p, "larger than this CPU allows");
	p = params(sig, NULL), p.attributes = SGX_FLAGS_DEBUG;
	refuse(p, "MODE64BIT");
	p = params(sig, NULL), p.attributes |= SGX_FLAGS_INIT;
	refuse(p, "INIT clear");
	p = params(sig, NULL), p.attributes |= SGX_FLAGS_PROVISIONKEY;
	refuse(p, "PROVISIONKEY");
	p = params(sig, NULL), p.xfrm = 1;
	refuse(p, "XFRM");
	p = params(sig, NULL), p.xfrm = 0x1f; /* MPX: not offered by this CPU */
	refuse(p, "XFRM");
	p = params(sig, NULL), p.xfrm = 3 | 3ull << 17;
	refuse(p, "AMX");
	p = params(sig, NULL), p.xfrm = 7;
	refuse_xcr0(p, 3, "XCR0");
	p = params(sig, NULL), p.miscselect = 2;
	refuse(p, "MISCSELECT");
	p = params(sig, NULL), p.ssaframesize = 0;
	refuse(p, "SSA frame");
	p = params(sig, NULL), p.walk = NULL;
	refuse(p, "no page list");
	p = params(sig, NULL), p.sigstruct = NULL;
	refuse(p, "no SIGSTRUCT");
	p = params(sig, NULL), sig[SS_EXPONENT] = 65;
	refuse(p, "EXPONENT");
}

/* ---- the layout's pages, checked before the driver sees them ------------------- */

static const struct layout_page *bad_page;

static int walk_bad(void *ctx, layout_add_fn add, void *add_ctx, const char **why)
{
	(void)ctx, (void)why;
	return add(add_ctx, bad_page);
}

static void test_bad_pages(void)
{
	static const struct {
		struct layout_page p;
		const char *says;
	} cases[] = {
		{ { 123, SGX_SECINFO_REG | SGX_SECINFO_R, NULL, true }, "not page aligned" },
		{ { ENCL_SIZE, SGX_SECINFO_REG | SGX_SECINFO_R, NULL, true }, "outside ELRANGE" },
		{ { 0, SGX_SECINFO_TCS | SGX_SECINFO_R, NULL, true }, "TCS without permissions" },
		{ { 0, SGX_SECINFO_REG | SGX_SECINFO_W, NULL, true }, "W only with R" },
		{ { 0, 3ull << 8 | SGX_SECINFO_R, NULL, true }, "type REG or TCS" },
		{ { 0, SGX_SECINFO_REG | SGX_SECINFO_R | 1ull << 20, NULL, true }, "SECINFO" },
	};
	uint8_t mr[32], sig[SIGSTRUCT_SIZE];

	expected_mrenclave(mr);
	make_sigstruct(sig, mr);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fake f = { 0 };
		struct sgxhw_enclave e;
		const char *why = NULL;
		struct sgxhw_params p = params(sig, NULL);
		p.walk = walk_bad;
		bad_page = &cases[i].p;
		CHECK(build(&f, &p, &e, &why) == -EINVAL && strstr(why, cases[i].says));
		CHECK(f.add_calls == 0 && f.closed);
	}
}

/* ---- the vDSO -------------------------------------------------------------------- */

/* A crafted shared object: one PT_LOAD at virtual address `bias`, a dynamic
 * section, a SysV hash table, three symbols. */
struct image {
	uint8_t b[0x600];
	size_t len;
};

static void craft(struct image *im, uint64_t bias)
{
	uint8_t *b = im->b;
	memset(b, 0, sizeof im->b);
	im->len = sizeof im->b;
	memcpy(b, "\x7f" "ELF", 4);
	b[4] = 2, b[5] = 1, b[6] = 1;
	sgx_put_le16(b + 16, 3);    /* ET_DYN */
	sgx_put_le16(b + 18, 62);   /* x86-64 */
	sgx_put_le64(b + 32, 64);   /* e_phoff */
	sgx_put_le16(b + 52, 64);
	sgx_put_le16(b + 54, 56);
	sgx_put_le16(b + 56, 2);
	uint8_t *ph = b + 64; /* PT_LOAD of everything */
	sgx_put_le32(ph, 1);
	sgx_put_le64(ph + 8, 0);
	sgx_put_le64(ph + 16, bias);
	sgx_put_le64(ph + 32, sizeof im->b);
	sgx_put_le64(ph + 40, sizeof im->b);
	ph += 56; /* PT_DYNAMIC at 0x100 */
	sgx_put_le32(ph, 2);
	sgx_put_le64(ph + 8, 0x100);
	sgx_put_le64(ph + 16, bias + 0x100);
	sgx_put_le64(ph + 32, 6 * 16);
	static const uint64_t dyn[][2] = { { 4, 0x200 }, { 5, 0x300 }, { 6, 0x240 }, { 10, 0x80 }, { 11, 24 }, { 0, 0 } };
	for (int i = 0; i < 6; i++) {
		sgx_put_le64(b + 0x100 + 16 * i, dyn[i][0]);
		sgx_put_le64(b + 0x108 + 16 * i, dyn[i][1] ? dyn[i][1] + (dyn[i][0] == 10 || dyn[i][0] == 11 ? 0 : bias) : 0);
	}
	sgx_put_le32(b + 0x200, 1); /* nbucket */
	sgx_put_le32(b + 0x204, 3); /* nchain: the number of symbols */
	static const char str[] = "\0__vdso_time\0__vdso_sgx_enter_enclave\0__vdso_data";
	memcpy(b + 0x300, str, sizeof str);
	uint8_t *sym = b + 0x240 + 24; /* symbol 1: __vdso_time at 0x500 */
	sgx_put_le32(sym, 1);
	sym[4] = 0x12; /* global function */
	sgx_put_le16(sym + 6, 7);
	sgx_put_le64(sym + 8, bias + 0x500);
	sym += 24; /* symbol 2: __vdso_sgx_enter_enclave at 0x540 */
	sgx_put_le32(sym, 13);
	sym[4] = 0x12;
	sgx_put_le16(sym + 6, 7);
	sgx_put_le64(sym + 8, bias + 0x540);
}

static void test_vdso_crafted(void)
{
	struct image im;
	const char *why = NULL;

	for (uint64_t bias = 0; bias <= 0x10000; bias += 0x10000) {
		craft(&im, bias);
		CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_sgx_enter_enclave", &why) == 0x540);
		CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_time", &why) == 0x500);
		CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_sgx", &why) == 0 && strstr(why, "not in the vDSO"));
		CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_data", &why) == 0);
	}
	craft(&im, 0);
	CHECK(sgxhw_vdso_len(im.b) == im.len);
	struct sgxhw_ops o = { 0 };
	o.vdso = im.b;
	CHECK((uintptr_t)sgxhw_find_enter(&o, &why) == (uintptr_t)(im.b + 0x540));

	/* hostile or broken images: refused, never read outside */
	craft(&im, 0);
	CHECK(sgxhw_elf_symbol(im.b, 0x2ff, "__vdso_time", &why) == 0); /* cut inside the tables */
	craft(&im, 0);
	sgx_put_le32(im.b + 0x204, 0x10000000); /* nchain huge */
	CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_time", &why) == 0 && strstr(why, "symbol table"));
	craft(&im, 0);
	sgx_put_le64(im.b + 0x100 + 3 * 16 + 8, 0x1000); /* strsz past the end */
	CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_time", &why) == 0 && strstr(why, "string table"));
	craft(&im, 0);
	sgx_put_le64(im.b + 0x100 + 3 * 16 + 8, 8); /* DT_STRSZ cuts "__vdso_time": its bytes past it do not count */
	CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_time", &why) == 0);
	craft(&im, 0);
	sgx_put_le32(im.b + 0x240 + 24, 0x1000); /* st_name outside the string table */
	CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_time", &why) == 0);
	craft(&im, 0);
	sgx_put_le64(im.b + 0x240 + 48 + 8, 0x5000); /* value outside */
	CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_sgx_enter_enclave", &why) == 0 && strstr(why, "defined inside"));
	craft(&im, 0);
	sgx_put_le16(im.b + 56, 200); /* phnum past the end */
	CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_time", &why) == 0 && strstr(why, "program headers"));
	craft(&im, 0);
	im.b[4] = 1; /* 32-bit */
	CHECK(sgxhw_elf_symbol(im.b, im.len, "__vdso_time", &why) == 0 && strstr(why, "64-bit"));
	o.vdso = NULL;
	CHECK(sgxhw_find_enter(&o, &why) == NULL && strstr(why, "no vDSO"));
}

static void test_vdso_real(void)
{
	const uint8_t *vdso = (const uint8_t *)getauxval(AT_SYSINFO_EHDR);
	const char *why = NULL;

	CHECK(vdso != NULL);
	if (!vdso)
		return;
	/* the auxiliary vector as the kernel gave it */
	uint64_t auxv[128] = { 0 };
	FILE *fp = fopen("/proc/self/auxv", "rb");
	CHECK(fp && fread(auxv, 1, sizeof auxv - 16, fp) > 0);
	if (fp)
		fclose(fp);
	CHECK(sgxhw_auxv_vdso(auxv) == vdso);
	uint64_t none[] = { 6, 4096, 0, 0 };
	CHECK(sgxhw_auxv_vdso(none) == NULL);

	size_t len = sgxhw_vdso_len(vdso);
	CHECK(len > 0);
	/* a symbol every x86-64 vDSO has: calling it proves the offset */
	uint64_t off = sgxhw_elf_symbol(vdso, len, "__vdso_clock_gettime", &why);
	CHECK(off > 0 && off < len);
	if (off) {
		int (*cg)(clockid_t, struct timespec *) = (int (*)(clockid_t, struct timespec *))(uintptr_t)(vdso + off);
		struct timespec ts = { 0, 0 };
		CHECK(cg(CLOCK_MONOTONIC, &ts) == 0 && (ts.tv_sec || ts.tv_nsec));
	}
	struct sgxhw_ops o = sgxhw_linux_ops;
	o.vdso = vdso;
	sgxhw_vdso_enter_fn fn = sgxhw_find_enter(&o, &why);
	if (fn) {
		CHECK((const uint8_t *)(uintptr_t)fn > vdso && (const uint8_t *)(uintptr_t)fn < vdso + len);
		printf("this kernel's vDSO has __vdso_sgx_enter_enclave at +%#lx\n",
		       (unsigned long)((const uint8_t *)(uintptr_t)fn - vdso));
	} else {
		CHECK(strstr(why, "built without SGX") != NULL);
		printf("%s\n", why);
	}
}

/* ---- the entry wrapper ----------------------------------------------------------- */

extern uint64_t fake_vdso_args[8];
int fake_vdso_enter(unsigned long, unsigned long, unsigned long, unsigned int, unsigned long, unsigned long,
		    struct sgxhw_run *);
int fake_call_enter(sgxhw_vdso_enter_fn fn, struct sgxhw_run *run, uint32_t function, const struct sgxhw_regs *in,
		    int *result);

static void test_enter(void)
{
	struct sgxhw_run run;
	struct sgxhw_regs in = { 0xd1, 0x51, 0xd2, 0x88, 0x99 };
	uint32_t mxcsr_before, mxcsr_after;
	uint16_t fcw_before, fcw_after;
	int result = -1;

	memset(&run, 0, sizeof run);
	run.tcs = 0x7000;
	__asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(mxcsr_before), "=m"(fcw_before));
	int changed = fake_call_enter(fake_vdso_enter, &run, ENCLU_EENTER, &in, &result);
	__asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(mxcsr_after), "=m"(fcw_after));
	CHECK(changed == 0); /* rbx, rbp, r12-r15 kept; DF clear */
	CHECK(mxcsr_after == mxcsr_before && fcw_after == fcw_before);
	CHECK(result == 0 && run.function == ENCLU_EEXIT);
	CHECK(fake_vdso_args[0] == 0xd1 && fake_vdso_args[1] == 0x51 && fake_vdso_args[2] == 0xd2);
	CHECK(fake_vdso_args[3] == ENCLU_EENTER);
	CHECK(fake_vdso_args[4] == 0x88 && fake_vdso_args[5] == 0x99);
	CHECK(fake_vdso_args[6] == (uintptr_t)&run);
	CHECK(fake_vdso_args[7] == 8); /* called with %rsp 16-byte aligned */
}

/* ---- the real host operations ---------------------------------------------------- */

static void test_linux_ops(void)
{
	const struct sgxhw_ops *o = &sgxhw_linux_ops;
	unsigned a, b, c, d;
	uint32_t r[4];

	CHECK(o->open(NULL, "/nonexistent/sgx_enclave", O_RDWR) == -ENOENT);
	long m = o->mmap(NULL, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m > 0 && m % PAGE == 0);
	if (m > 0) {
		*(volatile char *)m = 1;
		CHECK(o->munmap(NULL, (uintptr_t)m, PAGE) == 0);
	}
	CHECK(o->close(NULL, 999) == -EBADF);
	CHECK(o->ioctl(NULL, 999, SGXHW_IOC_ENCLAVE_INIT, NULL) == -EBADF);
	__cpuid_count(0, 0, a, b, c, d);
	o->cpuid(NULL, 0, 0, r);
	CHECK(r[0] == a && r[1] == b && r[2] == c && r[3] == d);
	CHECK((o->xgetbv0(NULL) & 3) == 3); /* x87 and SSE: always on in x86-64 Linux */
	/* on this machine, whatever it has: a clean answer, never a crash */
	struct sgxhw_cpu cpu;
	const char *why = NULL;
	int ok = sgxhw_check_cpu(o, &cpu, &why);
	printf("this CPU for the sgx platform: %s\n", ok ? why : "SGX, FLC and SGX2 present");
	CHECK(ok == 0 || (ok == -ENODEV && why));
}

/* ---- the real enclave ------------------------------------------------------------- */

static int record(void *ctx, const struct layout_page *p)
{
	(void)ctx;
	exp_add(p->offset, p->secinfo, p->measure, p->data);
	return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		exit(1);
	uint8_t *buf = malloc(64 << 20);
	*len = fread(buf, 1, 64 << 20, f);
	fclose(f);
	return buf;
}

/* coffer-enclave and a bundle `coffer sign` wrote (tests/integration/
 * test_sgxload.py passes them): the driver gets its pages from the loader's
 * walker over layout_build (platform/sgx/host/load.c), the fake expects
 * the pages layout_build gives a recorder, and checks each add against
 * them; its replay must be the SIGSTRUCT's ENCLAVEHASH for EINIT to pass.
 * refused: the bundle or image was changed after signing, and EINIT must
 * refuse with the measurement as the reason. */
static void test_real_layout(const char *image, const char *bundle, bool refused)
{
	struct sgx_sha256 sha = sha256_openssl(), rsha = sha256_openssl();
	struct sgx_load l = { .sha = &sha };
	struct sgx_loaded ld;
	struct layout_result r;
	struct sgxhw_params p;
	struct sgxhw_enclave e;
	const char *why = NULL;

	l.image = slurp(image, &l.image_len);
	l.bundle = slurp(bundle, &l.bundle_len);
	CHECK(sgx_load_open(&l, &ld, &why) == 0);
	exp_clear();
	CHECK(layout_build(&ld.params, record, NULL, &r, &why) == 0);
	exp.size = r.size;
	exp.attrs = r.attributes;
	exp.xfrm = r.xfrm;
	exp.misc = r.miscselect;
	sgxhw_load_params(&ld, &r, &p);
	p.sha = &rsha;
	struct fake f = { .ssaframesize = r.ssaframesize };
	int rc = build(&f, &p, &e, &why);
	if (refused) {
		CHECK(rc < 0 && strstr(why, "ENCLAVEHASH"));
		printf("real enclave refused: %s\n", why);
	} else {
		CHECK(rc == 0);
		CHECK(f.inited && f.pages == r.pages && exp.n == r.pages);
		CHECK(e.measured && !memcmp(e.mrenclave, ld.bundle.sigstruct + SS_ENCLAVEHASH, 32));
		CHECK(!memcmp(r.mrenclave, e.mrenclave, 32));
		printf("real enclave: %llu pages (%llu measured) in %llu ADD_PAGES calls, MRENCLAVE ",
		       (unsigned long long)f.pages, (unsigned long long)r.measured_pages, (unsigned long long)e.ioctls);
		for (int i = 0; i < 32; i++)
			printf("%02x", e.mrenclave[i]);
		printf("\n");
		sgxhw_destroy(&e);
	}
	EVP_MD_CTX_free(sha.ctx);
	EVP_MD_CTX_free(rsha.ctx);
	free((void *)l.image);
	free((void *)l.bundle);
	exp_clear();
}

/* test_sgx_driver                      the fake driver, on synthetic pages
 * test_sgx_driver IMAGE BUNDLE [refused] the real enclave's pages */
int main(int argc, char **argv)
{
	if (argc >= 3) {
		test_real_layout(argv[1], argv[2], argc > 3 && !strcmp(argv[3], "refused"));
		return CHECK_DONE();
	}
	exp_synthetic();
	test_uapi();
	test_cpu();
	test_open();
	test_build();
	test_partial();
	test_einit_refusals();
	test_driver_faults();
	test_params();
	test_bad_pages();
	test_vdso_crafted();
	test_vdso_real();
	test_enter();
	test_linux_ops();
	CHECK(COFFER_EXIT_ENCLAVE == 125); /* what the caller exits with on any failure here */
	return CHECK_DONE();
}
