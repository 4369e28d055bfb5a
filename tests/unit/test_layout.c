/*
 * test_layout.c - the enclave layout (common/layout.c) against an
 * independent reading of it: a small hand-built ELF image and manifest, the
 * pages the layout is documented to add (written out here from
 * docs/platforms.md, "The enclave layout", not from layout.c), and
 * MRENCLAVE recomputed from those pages with the SDM's record format and
 * OpenSSL's SHA-256. Also: SSA frame sizes for several XFRMs, the CPUID
 * cross-check with made-up CPUs, which inputs change MRENCLAVE and which do
 * not, the sgx entry note, and the heap midstates (the direct platform's
 * generated table included).
 */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/layout.h"
#include "../../platform/direct/midstates.h"
#include "../../runtime/lib/sha256.h"
#include "check.h"
#include "sha256_openssl.h"

#define PG 4096u

/* ---- a small image: R headers page, RX text page, RW data + bss ---------------- */

static uint8_t img[0x3000];

static void put16(uint8_t *p, uint16_t v) { sgx_put_le16(p, v); }
static void put32(uint8_t *p, uint32_t v) { sgx_put_le32(p, v); }
static void put64(uint8_t *p, uint64_t v) { sgx_put_le64(p, v); }

static void phdr(unsigned i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr, uint64_t filesz,
		 uint64_t memsz)
{
	uint8_t *p = img + 64 + 56 * i;
	put32(p, type);
	put32(p + 4, flags);
	put64(p + 8, off);
	put64(p + 16, vaddr);
	put64(p + 24, vaddr);
	put64(p + 32, filesz);
	put64(p + 40, memsz);
	put64(p + 48, 0x1000);
}

/* with_note: a PT_NOTE naming entry `note_entry` */
static void make_image(bool with_note, uint64_t note_entry)
{
	for (size_t i = 0; i < sizeof img; i++)
		img[i] = (uint8_t)(i * 7 + 3);
	memset(img, 0, 64 + 56 * 4);
	memcpy(img, "\x7f" "ELF\x02\x01\x01", 7);
	put16(img + 16, 3);
	put16(img + 18, 62);
	put64(img + 24, 0x1010); /* e_entry */
	put64(img + 32, 64);
	put16(img + 54, 56);
	put16(img + 56, with_note ? 4 : 3);
	phdr(0, 1, 4, 0, 0, 0x800, 0x800);           /* R */
	phdr(1, 1, 5, 0x1000, 0x1000, 0x1000, 0x1000); /* RX */
	phdr(2, 1, 6, 0x2000, 0x2000, 0x100, 0x2000);  /* RW, .bss from 0x2100 */
	if (with_note) {
		uint8_t *n = img + 0x400;
		memset(n, 0, 28);
		put32(n, 7);
		put32(n + 4, 8);
		put32(n + 8, LAYOUT_NOTE_SGX_ENTRY);
		memcpy(n + 12, "Coffer", 7);
		put64(n + 20, note_entry - 0x414); /* from the description's own address */
		phdr(3, 4, 4, 0x400, 0x400, 28, 28);
	}
}

static uint8_t man[5000];

/* ---- the loader side: record what layout_build adds ------------------------------ */

struct rec {
	uint64_t offset, secinfo;
	bool measure, has_data;
	uint8_t data[PG];
};

static struct rec *recs;
static size_t nrecs, caprecs;
static int refuse_at = -1;

static int record_page(void *ctx, const struct layout_page *p)
{
	(void)ctx;
	if ((int)nrecs == refuse_at)
		return -1;
	if (nrecs == caprecs) {
		caprecs = caprecs ? 2 * caprecs : 1024;
		recs = realloc(recs, caprecs * sizeof *recs);
	}
	struct rec *r = &recs[nrecs++];
	r->offset = p->offset;
	r->secinfo = p->secinfo;
	r->measure = p->measure;
	r->has_data = p->data != NULL;
	if (p->data)
		memcpy(r->data, p->data, PG);
	else
		memset(r->data, 0, PG);
	return 0;
}

static struct sgx_sha256 sha;

static struct layout_params params(uint64_t size, uint32_t threads)
{
	struct layout_params p = {
		.image = img, .image_len = sizeof img, .manifest = man, .manifest_len = sizeof man,
		.size = size, .threads = threads, .attributes = SGX_FLAGS_MODE64BIT, .xfrm = SGX_XFRM_LEGACY,
		.sha = &sha,
	};
	return p;
}

static int mr(const struct layout_params *p, uint8_t out[32])
{
	struct layout_result r;
	const char *why;
	if (layout_build(p, NULL, NULL, &r, &why))
		return -1;
	memcpy(out, r.mrenclave, 32);
	return 0;
}

/* ---- the expected layout, from the documentation -------------------------------- */

struct exp {
	uint64_t offset, secinfo;
	bool measure;
	const uint8_t *data; /* NULL: zeros */
	uint8_t buf[PG];
};

static struct exp *exps;
static size_t nexps;

static void expect(uint64_t off, uint64_t si, bool measure, const uint8_t *src, size_t n)
{
	struct exp *e = &exps[nexps++];
	e->offset = off;
	e->secinfo = si;
	e->measure = measure;
	memset(e->buf, 0, PG);
	if (src)
		memcpy(e->buf, src, n);
	e->data = e->buf;
}

#define R 1
#define W 2
#define X 4
#define REG (2 << 8)
#define TCS (1 << 8)

/* SDM 38.7 records, hashed with OpenSSL's SHA-256 directly */
static void kat_start(SHA256_CTX *c, uint64_t size, uint32_t ssa)
{
	uint8_t r[64] = "ECREATE";

	SHA256_Init(c);
	put32(r + 8, ssa);
	put64(r + 12, size);
	SHA256_Update(c, r, 64);
}

static void kat_eadd(SHA256_CTX *c, uint64_t offset, uint64_t secinfo)
{
	uint8_t r[64] = "EADD";

	put64(r + 8, offset);
	put64(r + 16, secinfo);
	SHA256_Update(c, r, 64);
}

static void kat_mrenclave(uint64_t size, uint32_t ssa, uint8_t out[32])
{
	SHA256_CTX c;
	uint8_t r[64];

	kat_start(&c, size, ssa);
	for (size_t i = 0; i < nexps; i++) {
		kat_eadd(&c, exps[i].offset, exps[i].secinfo);
		for (unsigned k = 0; exps[i].measure && k < 16; k++) {
			memset(r, 0, 64);
			memcpy(r, "EEXTEND", 7);
			put64(r + 8, exps[i].offset + 256 * k);
			SHA256_Update(&c, r, 64);
			SHA256_Update(&c, exps[i].buf + 256 * k, 256);
		}
	}
	SHA256_Final(out, &c);
}

static void test_known_answer(void)
{
	const uint64_t size = 1 << 20;
	const uint32_t threads = 2, ssa = 1;
	struct layout_result r;
	const char *why = NULL;

	make_image(true, 0x1800);
	for (size_t i = 0; i < sizeof man; i++)
		man[i] = (uint8_t)(i * 13 + 1);
	struct layout_params p = params(size, threads);
	nrecs = 0;
	CHECK(layout_build(&p, record_page, NULL, &r, &why) == 0);

	/* from the top down: threads (86 pages each: guard, 64 stack, guard, 16
	 * exception stack, TCS, 2 SSA, block), the image (4 pages), a guard, the
	 * manifest (2 pages), a guard */
	uint64_t stride = 86 * PG, thread0 = size - threads * stride;
	uint64_t image = thread0 - 4 * PG, manifest = image - PG - 2 * PG, heap = manifest - PG;
	CHECK(r.thread_stride == stride && r.thread0 == thread0);
	CHECK(r.image_offset == image && r.image_size == 4 * PG);
	CHECK(r.manifest_offset == manifest && r.manifest_size == 2 * PG);
	CHECK(r.heap_offset == 0 && r.heap_size == heap);
	CHECK(r.entry == image + 0x1800 && r.entry_from_note);
	CHECK(r.ssaframesize == 1 && r.size == size && r.threads == 2);

	exps = calloc(size / PG, sizeof *exps);
	nexps = 0;
	for (uint64_t o = 0; o < heap; o += PG)
		expect(o, REG | R | W | X, false, NULL, 0);
	expect(manifest, REG | R, true, man, PG);
	expect(manifest + PG, REG | R, true, man + PG, sizeof man - PG);
	expect(image, REG | R, true, img, 0x800);
	expect(image + PG, REG | R | X, true, img + 0x1000, PG);
	expect(image + 2 * PG, REG | R | W, true, img + 0x2000, 0x100);
	expect(image + 3 * PG, REG | R | W, true, NULL, 0);
	for (uint32_t t = 0; t < threads; t++) {
		uint64_t base = thread0 + t * stride; /* the guard */
		uint64_t stack = base + PG, xstack = stack + 65 * PG, tcs = xstack + 16 * PG, ssa0 = tcs + PG,
			 block = ssa0 + 2 * PG;
		for (unsigned i = 0; i < 64; i++)
			expect(stack + i * PG, REG | R | W, false, NULL, 0);
		for (unsigned i = 0; i < 16; i++)
			expect(xstack + i * PG, REG | R | W, false, NULL, 0);
		uint8_t t_page[PG] = { 0 };
		put64(t_page + 16, ssa0);          /* OSSA */
		put32(t_page + 28, 2);             /* NSSA */
		put64(t_page + 32, image + 0x1800); /* OENTRY */
		put64(t_page + 48, block);         /* OFSBASE */
		put64(t_page + 56, block);         /* OGSBASE */
		put32(t_page + 64, 0xfff);
		put32(t_page + 68, 0xfff);
		expect(tcs, TCS, true, t_page, PG);
		expect(ssa0, REG | R | W, false, NULL, 0);
		expect(ssa0 + PG, REG | R | W, false, NULL, 0);
		/* the thread block's measured words (platform/sgx/sgx_abi.h):
		 * its own offset, the TCS, the stacks' tops, SSA frame 0, the
		 * frame's and ELRANGE's sizes */
		uint8_t b_page[PG] = { 0 };
		put64(b_page + 8, block);
		put64(b_page + 16, tcs);
		put64(b_page + 24, stack + 64 * PG);
		put64(b_page + 32, tcs);
		put64(b_page + 40, ssa0);
		put64(b_page + 48, PG);
		put64(b_page + 56, size);
		expect(block, REG | R | W, true, b_page, PG);
		struct layout_thread th;
		layout_thread(&r, t, &th);
		CHECK(th.stack == stack && th.xstack == xstack && th.tcs == tcs && th.ssa == ssa0 && th.block == block);
	}
	CHECK(exps[nexps - 1].offset == size - PG); /* the last thread's block ends ELRANGE */

	/* the page list, one by one */
	CHECK(nrecs == nexps && r.pages == nexps);
	size_t measured = 0;
	for (size_t i = 0; i < nrecs && i < nexps; i++) {
		CHECK(recs[i].offset == exps[i].offset);
		CHECK(recs[i].secinfo == exps[i].secinfo);
		CHECK(recs[i].measure == exps[i].measure);
		CHECK(!memcmp(recs[i].data, exps[i].buf, PG));
		if (!recs[i].measure)
			CHECK(!recs[i].has_data); /* zero pages come as NULL */
		measured += exps[i].measure;
	}
	CHECK(r.measured_pages == measured);
	/* ascending, so no page twice, and the guards are not added */
	for (size_t i = 1; i < nrecs; i++)
		CHECK(recs[i].offset > recs[i - 1].offset);
	for (size_t i = 0; i < nrecs; i++) {
		CHECK(recs[i].offset != heap && recs[i].offset != manifest + 2 * PG);
		for (uint32_t t = 0; t < threads; t++)
			CHECK(recs[i].offset != thread0 + t * stride && recs[i].offset != thread0 + t * stride + 65 * PG);
	}

	uint8_t want[32];
	kat_mrenclave(size, ssa, want);
	CHECK(!memcmp(want, r.mrenclave, 32));

	/* what a loader does with the pages it was given, replayed through the
	 * measurement (as the sgx driver path's fake driver will), gives it too */
	struct sgx_measure m;
	uint8_t replay[32];
	sgx_measure_ecreate(&m, &sha, r.ssaframesize, r.size);
	for (size_t i = 0; i < nrecs; i++)
		sgx_measure_add_page(&m, recs[i].offset, recs[i].secinfo, recs[i].has_data ? recs[i].data : NULL,
				     recs[i].measure);
	CHECK(sgx_measure_finish(&m, replay) == 0 && !memcmp(replay, want, 32));

	/* measuring without a loader gives the same */
	uint8_t m2[32];
	CHECK(mr(&p, m2) == 0 && !memcmp(m2, want, 32));
	free(exps);
}

/* ---- what MRENCLAVE depends on -------------------------------------------------- */

static void test_sensitivity(void)
{
	uint8_t base[32], m[32];

	make_image(true, 0x1800);
	struct layout_params p = params(1 << 20, 2);
	CHECK(mr(&p, base) == 0);

	img[0x1234] ^= 1; /* an image byte */
	CHECK(mr(&p, m) == 0 && memcmp(m, base, 32));
	img[0x1234] ^= 1;
	img[0x2200] ^= 1; /* beyond the RW segment's file bytes: .bss, not loaded */
	CHECK(mr(&p, m) == 0 && !memcmp(m, base, 32));
	img[0x2200] ^= 1;
	man[4999] ^= 1; /* a manifest byte */
	CHECK(mr(&p, m) == 0 && memcmp(m, base, 32));
	man[4999] ^= 1;
	p.size = 2 << 20;
	CHECK(mr(&p, m) == 0 && memcmp(m, base, 32));
	p = params(1 << 20, 1);
	CHECK(mr(&p, m) == 0 && memcmp(m, base, 32));
	p = params(1 << 20, 2);
	p.ssaframesize = 2;
	CHECK(mr(&p, m) == 0 && memcmp(m, base, 32));
	p = params(1 << 20, 2);
	make_image(true, 0x1808); /* another entry point */
	CHECK(mr(&p, m) == 0 && memcmp(m, base, 32));
	make_image(true, 0x1800);
	CHECK(mr(&p, m) == 0 && !memcmp(m, base, 32));

	/* not measured: ATTRIBUTES, and XFRM or MISCSELECT that need no more SSA */
	p.attributes |= SGX_FLAGS_DEBUG;
	CHECK(mr(&p, m) == 0 && !memcmp(m, base, 32));
	p.xfrm = SGX_XFRM_LEGACY | SGX_XFRM_AVX | SGX_XFRM_AVX512 | SGX_XFRM_PKRU;
	p.miscselect = SGX_MISC_EXINFO;
	CHECK(mr(&p, m) == 0 && !memcmp(m, base, 32));
	/* AMX needs three SSA pages: SSAFRAMESIZE, so MRENCLAVE, changes */
	p.xfrm |= SGX_XFRM_AMX;
	struct layout_result r;
	const char *why;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == 0 && r.ssaframesize == 3 && memcmp(r.mrenclave, base, 32));
	CHECK(r.attributes == (SGX_FLAGS_MODE64BIT | SGX_FLAGS_DEBUG) && r.miscselect == SGX_MISC_EXINFO);
}

/* ---- bad inputs ------------------------------------------------------------------ */

static void test_refusals(void)
{
	struct layout_result r;
	const char *why = NULL;

	/* no note: e_entry, unless an sgx layout is asked for */
	make_image(false, 0);
	struct layout_params p = params(1 << 20, 2);
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == 0 && !r.entry_from_note && r.entry == r.image_offset + 0x1010);
	p.sgx_entry = true;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "no sgx entry point"));
	make_image(true, 0x1800);
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == 0 && r.entry_from_note);
	make_image(true, 0x2010); /* in the RW segment */
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "not in an executable segment"));
	make_image(true, 0x1800);
	put32(img + 0x404, 4); /* descsz 4 */
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "malformed"));
	make_image(true, 0x1800);
	put32(img + 0x400, 0x7fffffff); /* namesz past the segment */
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "malformed ELF note"));
	make_image(true, 0x1800);

	p = params(1 << 16, 1); /* 64 KiB: too small */
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "too small"));
	p = params(3 << 20, 1);
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "power of two"));
	p = params(1 << 20, 0);
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "thread count"));
	p = params(1 << 20, 1);
	p.attributes = 0;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "MODE64BIT"));
	p = params(1 << 20, 1);
	p.attributes |= SGX_FLAGS_INIT;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "MODE64BIT"));
	p = params(1 << 20, 1);
	p.xfrm = 1;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "x87 and SSE"));
	p.xfrm = SGX_XFRM_LEGACY | 0x20;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "AVX-512"));
	p.xfrm = SGX_XFRM_LEGACY | SGX_XFRM_AVX512;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "without AVX"));
	p.xfrm = SGX_XFRM_LEGACY | 0x8; /* MPX: not supported */
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "does not know"));
	p = params(1 << 20, 1);
	p.miscselect = 2;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "MISCSELECT"));
	p = params(1 << 20, 1);
	p.xfrm |= SGX_XFRM_AMX;
	p.ssaframesize = 2; /* AMX needs 3 */
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "SSA frame size"));
	p.ssaframesize = 17;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == -1 && strstr(why, "SSA frame size"));

	/* the loader's refusal stops the build */
	p = params(1 << 20, 1);
	nrecs = 0;
	refuse_at = 5;
	CHECK(layout_build(&p, record_page, NULL, &r, &why) == -1 && strstr(why, "refused"));
	CHECK(nrecs == 5);
	refuse_at = -1;
}

/* ---- SSA frames and CPUID -------------------------------------------------------- */

/* A made-up CPU: XCR0 support `supported`, components at Intel's offsets
 * unless overridden */
static uint64_t fake_supported;
static uint32_t fake_tiledata_off = 2816, fake_pkru_off = 2688;

static void fake_cpuid(void *ctx, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	(void)ctx;
	static const uint32_t size[19] = { [2] = 256, [5] = 64, [6] = 512, [7] = 1024, [9] = 8, [17] = 64, [18] = 8192 };
	static const uint32_t off[19] = { [2] = 576, [5] = 1088, [6] = 1152, [7] = 1664, [17] = 2752 };
	memset(r, 0, 16);
	if (leaf == 0) {
		r[0] = 0x20;
	} else if (leaf == 0xd && sub == 0) {
		r[0] = (uint32_t)fake_supported;
		r[3] = (uint32_t)(fake_supported >> 32);
	} else if (leaf == 0xd && sub < 19) {
		r[0] = size[sub];
		r[1] = sub == 18 ? fake_tiledata_off : sub == 9 ? fake_pkru_off : off[sub];
	}
}

static void test_ssa(void)
{
	const uint64_t L = SGX_XFRM_LEGACY, AVX = SGX_XFRM_AVX, Z = SGX_XFRM_AVX512, PK = SGX_XFRM_PKRU,
		       AMX = SGX_XFRM_AMX;
	const char *why = NULL;

	CHECK(layout_xsave_size(L) == 576);
	CHECK(layout_xsave_size(L | AVX) == 832);
	CHECK(layout_xsave_size(L | AVX | Z) == 2688);
	CHECK(layout_xsave_size(L | AVX | Z | PK) == 2696);
	CHECK(layout_xsave_size(L | PK) == 2696);
	CHECK(layout_xsave_size(L | AMX) == 11008);
	CHECK(layout_xsave_size(L | AVX | Z | PK | AMX) == 11008);
	CHECK(layout_xsave_size(1) == 0 && layout_xsave_size(L | 0x40) == 0);
	CHECK(layout_ssa_pages(L, 0) == 1);
	CHECK(layout_ssa_pages(L | AVX | Z | PK, SGX_MISC_EXINFO) == 1); /* 2696 + 16 + 184 */
	CHECK(layout_ssa_pages(L | AMX, 0) == 3);                        /* 11008 + 184 */
	CHECK(layout_ssa_pages(L | AMX, SGX_MISC_EXINFO) == 3);
	CHECK(layout_ssa_pages(L, 2) == 0);

	/* an Intel CPU with everything */
	fake_supported = L | AVX | Z | PK | AMX;
	CHECK(layout_ssa_check_cpu(L | AVX | Z | PK | AMX, SGX_MISC_EXINFO, 3, fake_cpuid, NULL, &why) == 0);
	CHECK(layout_ssa_check_cpu(L | AVX, 0, 1, fake_cpuid, NULL, &why) == 0);
	/* a frame too small for AMX */
	CHECK(layout_ssa_check_cpu(L | AMX, 0, 2, fake_cpuid, NULL, &why) == -1 && strstr(why, "does not fit"));
	/* a CPU without AMX */
	fake_supported = L | AVX | Z | PK;
	CHECK(layout_ssa_check_cpu(L | AMX, 0, 3, fake_cpuid, NULL, &why) == -1 && strstr(why, "does not support"));
	/* a CPU that lays XTILEDATA out further than Intel's: the frame must grow */
	fake_supported = L | AMX;
	fake_tiledata_off = 4096;
	CHECK(layout_ssa_check_cpu(L | AMX, 0, 3, fake_cpuid, NULL, &why) == -1 && strstr(why, "does not fit"));
	fake_tiledata_off = 2816;
	/* PKRU at AMD's offset (no MPX area before it): smaller, fits */
	fake_supported = L | PK;
	fake_pkru_off = 2432;
	CHECK(layout_ssa_check_cpu(L | PK, 0, 1, fake_cpuid, NULL, &why) == 0);
	/* this machine: x87 and SSE always fit one page */
	CHECK(layout_ssa_check_cpu(L, 0, 1, NULL, NULL, &why) == 0);
	CHECK(layout_ssa_check_cpu(L, 0, 0, NULL, NULL, &why) == -1);
}

/* ---- heap midstates -------------------------------------------------------------- */

static void rt_init(void *c) { rt_sha256_init(c); }
static void rt_update(void *c, const void *p, size_t n) { rt_sha256_update(c, p, n); }
static void rt_final(void *c, uint8_t out[32]) { rt_sha256_final(c, out); }
static void rt_resume(void *c, const uint32_t h[8], uint64_t len)
{
	struct rt_sha256_ctx *x = c;
	memcpy(x->h, h, 32);
	x->len = len;
}

/* the state after ECREATE and k heap records, by OpenSSL's SHA256_CTX */
static void midstate(uint64_t size, uint32_t ssa, uint32_t k, uint32_t h[8])
{
	SHA256_CTX c;

	kat_start(&c, size, ssa);
	for (uint64_t i = 0; i < k; i++)
		kat_eadd(&c, i * PG, REG | R | W | X);
	memcpy(h, c.h, 32);
}

static void test_midstates(void)
{
	struct rt_sha256_ctx rc;
	struct sgx_sha256 rsha = { &rc, rt_init, rt_update, rt_final, rt_resume };
	uint8_t want[32];
	struct layout_result r;
	const char *why;

	make_image(true, 0x1800);
	struct layout_params p = params(1 << 20, 2);
	CHECK(mr(&p, want) == 0);

	struct layout_midstate tab[3] = {
		{ 1 << 20, 1, 30, { 0 } },
		{ 1 << 20, 1, 60, { 0 } },
		{ 2 << 20, 1, 60, { 0 } }, /* another size: not used */
	};
	midstate(1 << 20, 1, 30, tab[0].h);
	midstate(1 << 20, 1, 60, tab[1].h);
	memset(tab[2].h, 0x55, 32);
	p.sha = &rsha;
	p.midstates = tab;
	p.nmidstates = 3;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == 0 && !memcmp(r.mrenclave, want, 32));
	/* the best entry is used: spoil it and the result changes */
	tab[1].h[0] ^= 1;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == 0 && memcmp(r.mrenclave, want, 32));
	tab[1].h[0] ^= 1;
	/* an entry past the heap (76 pages here) is not used */
	tab[1].pages = 77;
	midstate(1 << 20, 1, 77, tab[1].h);
	tab[0].h[0] ^= 1;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == 0 && memcmp(r.mrenclave, want, 32)); /* tab[0] used */
	tab[0].h[0] ^= 1;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == 0 && !memcmp(r.mrenclave, want, 32));
	/* without resume the table is ignored */
	p.sha = &sha;
	tab[0].h[0] ^= 1;
	CHECK(layout_build(&p, NULL, NULL, &r, &why) == 0 && !memcmp(r.mrenclave, want, 32));

	/* the direct platform's generated table: its shape, and its first entry
	 * for each SSA frame size against OpenSSL */
	CHECK(direct_nmidstates > 0);
	bool seen1 = false, seen3 = false;
	for (size_t i = 0; i < direct_nmidstates; i++) {
		const struct layout_midstate *m = &direct_midstates[i];
		CHECK(m->size >= MIDSTATE_MIN_SIZE && m->size <= MIDSTATE_MAX_SIZE && !(m->size & (m->size - 1)));
		CHECK(m->pages % MIDSTATE_FINE == 0 && m->pages > 0 && m->pages < m->size / PG);
		CHECK(m->pages % MIDSTATE_STEP == 0 || m->pages + MIDSTATE_STEP >= m->size / PG);
		CHECK(i == 0 || direct_midstates[i - 1].size != m->size || direct_midstates[i - 1].pages < m->pages);
		CHECK(m->ssaframesize == 1 || m->ssaframesize == 3);
		bool *seen = m->ssaframesize == 1 ? &seen1 : &seen3;
		bool last = i + 1 == direct_nmidstates || direct_midstates[i + 1].size != m->size;
		if (!*seen || (last && m->size == MIDSTATE_MIN_SIZE)) {
			uint32_t h[8];
			midstate(m->size, m->ssaframesize, m->pages, h);
			CHECK(!memcmp(h, m->h, 32));
			*seen = true;
		}
	}
	CHECK(seen1 && seen3);
}

int main(void)
{
	sha = sha256_openssl();
	test_known_answer();
	test_sensitivity();
	test_refusals();
	test_ssa();
	test_midstates();
	free(recs);
	return CHECK_DONE();
}
