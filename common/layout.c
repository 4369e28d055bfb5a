/*
 * layout.c - the enclave layout and its measurement (layout.h).
 *
 * TCS contents (SDM vol. 3D 38.8): FLAGS 0 (no debugger opt-in, no AEX
 * notify), OSSA = the thread's first SSA frame, CSSA 0, NSSA 2, OENTRY = the
 * image's sgx entry point, OFSBASE = OGSBASE = the thread's block (both page
 * aligned, as EADD of a TCS requires), OFSLIMIT = OGSLIMIT = 0xfff (used by
 * 32-bit enclaves only; EENTER ignores them in 64-bit mode), the rest zero.
 *
 * The SSA frame size comes from XFRM and MISCSELECT the way ECREATE checks
 * it (SDM 38.7, ECREATE: XSAVE size of XFRM + MISC + GPRSGX must fit), with
 * the XSAVE offsets Intel's CPUs enumerate, so that it is a function of the
 * manifest alone and MRENCLAVE does not depend on the signing machine;
 * layout_ssa_check_cpu() lets a loader confirm it on the machine it runs on.
 */
#include "layout.h"
#include "manifest.h"
#include "../platform/sgx/sgx_abi.h"

#include "cstring.h"

#define PT_LOAD_ 1
#define PT_NOTE_ 4
#define PF_X_ 1
#define PF_W_ 2
#define PF_R_ 4
#define MAX_PHNUM 64
#define PAGE SGX_PAGE_SIZE

struct seg {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags;
};

struct image {
	struct seg segs[MAX_PHNUM];
	unsigned nseg;
	uint64_t e_entry, span;
	bool have_note, have_eexit;
	uint64_t note_entry, note_eexit;
};

#define FAIL(msg)               \
	do {                    \
		*why = (msg);   \
		return -1;      \
	} while (0)

/* The sgx entry note in one PT_NOTE segment's bytes (file offset off, len
 * bytes, loaded at vaddr). Notes are 4-byte aligned: namesz, descsz, type,
 * name padded to 4, desc padded to 4. */
static int find_note(const uint8_t *e, uint64_t off, uint64_t len, uint64_t vaddr, struct image *im,
		     const char **why)
{
	for (uint64_t at = 0; len - at >= 12;) {
		const uint8_t *n = e + off + at;
		uint64_t namesz = sgx_le32(n), descsz = sgx_le32(n + 4), type = sgx_le32(n + 8);
		uint64_t name_pad = (namesz + 3) & ~3ULL, desc_pad = (descsz + 3) & ~3ULL;
		if (name_pad > len - at - 12 || desc_pad > len - at - 12 - name_pad)
			FAIL("the enclave image has a malformed ELF note");
		if (namesz == sizeof LAYOUT_NOTE_NAME && !memcmp(n + 12, LAYOUT_NOTE_NAME, namesz) &&
		    (type == LAYOUT_NOTE_SGX_ENTRY || type == LAYOUT_NOTE_SGX_EEXIT)) {
			bool eexit = type == LAYOUT_NOTE_SGX_EEXIT;
			if (descsz != 8 || (eexit ? im->have_eexit : im->have_note))
				FAIL("the enclave image's sgx entry or EEXIT note is malformed or given twice");
			uint64_t desc = vaddr + at + 12 + name_pad;
			/* wraps for a negative distance */
			*(eexit ? &im->note_eexit : &im->note_entry) = desc + sgx_le64(n + 12 + name_pad);
			*(eexit ? &im->have_eexit : &im->have_note) = true;
		}
		at += 12 + name_pad + desc_pad;
	}
	return 0;
}

static int parse_image(const uint8_t *e, size_t len, struct image *im, const char **why)
{
	if (len < 64 || memcmp(e, "\x7f" "ELF\x02\x01\x01", 7))
		FAIL("the enclave image is not a 64-bit little-endian ELF file");
	if (sgx_le16(e + 16) != 3 /* ET_DYN */ || sgx_le16(e + 18) != 62 /* x86-64 */)
		FAIL("the enclave image is not an x86-64 position-independent executable");
	uint64_t phoff = sgx_le64(e + 32);
	unsigned phentsize = sgx_le16(e + 54), phnum = sgx_le16(e + 56);
	if (phentsize != 56 || phnum == 0 || phnum > MAX_PHNUM || phoff > len || (uint64_t)phnum * 56 > len - phoff)
		FAIL("the enclave image has malformed program headers");
	im->e_entry = sgx_le64(e + 24);
	im->nseg = 0;
	im->span = 0;
	im->have_note = im->have_eexit = false;
	im->note_entry = im->note_eexit = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = e + phoff + 56 * (size_t)i;
		uint32_t type = sgx_le32(ph);
		if (type == PT_NOTE_) {
			uint64_t off = sgx_le64(ph + 8), vaddr = sgx_le64(ph + 16), filesz = sgx_le64(ph + 32);
			if (off > len || filesz > len - off || (off & 3))
				FAIL("the enclave image has a malformed PT_NOTE segment");
			if (find_note(e, off, filesz, vaddr, im, why))
				return -1;
			continue;
		}
		if (type != PT_LOAD_)
			continue;
		struct seg s = {
			.flags = sgx_le32(ph + 4),
			.offset = sgx_le64(ph + 8),
			.vaddr = sgx_le64(ph + 16),
			.filesz = sgx_le64(ph + 32),
			.memsz = sgx_le64(ph + 40),
		};
		if (s.filesz > s.memsz || s.offset > len || s.filesz > len - s.offset ||
		    s.vaddr + s.memsz < s.vaddr || s.vaddr + s.memsz > (1ULL << 32) ||
		    (im->nseg && s.vaddr < im->segs[im->nseg - 1].vaddr + im->segs[im->nseg - 1].memsz))
			FAIL("the enclave image has a malformed or unordered PT_LOAD segment");
		im->segs[im->nseg++] = s;
		im->span = s.vaddr + s.memsz;
	}
	if (!im->nseg)
		FAIL("the enclave image has nothing to load");
	im->span = (im->span + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	return 0;
}

/* Is the entry point inside an executable segment of the image? */
static bool entry_ok(const struct image *im, uint64_t entry)
{
	for (unsigned i = 0; i < im->nseg; i++)
		if ((im->segs[i].flags & PF_X_) && entry >= im->segs[i].vaddr &&
		    entry - im->segs[i].vaddr < im->segs[i].memsz)
			return true;
	return false;
}

static uint64_t secinfo(uint32_t pf)
{
	return SGX_SECINFO_REG | ((pf & PF_R_) ? SGX_SECINFO_R : 0) | ((pf & PF_W_) ? SGX_SECINFO_W : 0) |
	       ((pf & PF_X_) ? SGX_SECINFO_X : 0);
}

/* The state of one build: the measurement and the loader's callback. */
struct build {
	struct sgx_measure m;
	layout_add_fn add;
	void *ctx;
	bool refused;
	uint64_t pages, measured;
};

static void page(struct build *b, uint64_t offset, uint64_t si, const uint8_t *data, bool measure)
{
	struct layout_page p = { offset, si, data, measure };

	sgx_measure_add_page(&b->m, offset, si, data, measure);
	b->pages++;
	b->measured += measure;
	if (b->add && !b->refused && b->add(b->ctx, &p))
		b->refused = true;
}

/* n pages of zeros, not measured: batched EADD records, one callback each */
static void zero_run(struct build *b, uint64_t offset, uint64_t n, uint64_t si)
{
	sgx_measure_eadd_run(&b->m, offset, n, si);
	b->pages += n;
	for (uint64_t i = 0; b->add && !b->refused && i < n; i++) {
		struct layout_page p = { offset + i * PAGE, si, NULL, false };
		if (b->add(b->ctx, &p))
			b->refused = true;
	}
}

/* The heap: n pages from offset 0, right after ECREATE. What is hashed up
 * to the k-th heap record depends only on SIZE, SSAFRAMESIZE and k, so a
 * SHA-256 state computed once for the same (SIZE, SSAFRAMESIZE, k) and kept
 * in trusted memory (p->midstates: the direct platform's table, built into
 * the enclave image) stands for those records exactly; the rest are hashed. */
static void heap_run(struct build *b, const struct layout_params *p, uint64_t n, uint32_t ssa)
{
	const struct layout_midstate *best = NULL;

	for (size_t i = 0; p->sha->resume && i < p->nmidstates; i++) {
		const struct layout_midstate *s = &p->midstates[i];
		if (s->size == p->size && s->ssaframesize == ssa && s->pages <= n && (!best || s->pages > best->pages))
			best = s;
	}
	uint64_t done = 0;
	if (best) {
		p->sha->resume(p->sha->ctx, best->h, SGX_MEASURE_RECORD * (1 + best->pages));
		done = best->pages;
	}
	sgx_measure_eadd_run(&b->m, done * PAGE, n - done, LAYOUT_HEAP_SECINFO);
	b->pages += n;
	for (uint64_t i = 0; b->add && !b->refused && i < n; i++) {
		struct layout_page pg = { i * PAGE, LAYOUT_HEAP_SECINFO, NULL, false };
		if (b->add(b->ctx, &pg))
			b->refused = true;
	}
}

/* The image pages: each page gets the union of the permissions of the
 * segments that touch it, and its bytes from the file where a segment has
 * file bytes there. Pages no segment touches are holes: not added. */
static void add_image(struct build *b, uint64_t base, const uint8_t *img, const struct image *im)
{
	uint8_t buf[PAGE];

	for (uint64_t pg = 0; pg < im->span; pg += PAGE) {
		uint32_t pf = 0;
		bool used = false;
		memset(buf, 0, sizeof buf);
		for (unsigned i = 0; i < im->nseg; i++) {
			const struct seg *s = &im->segs[i];
			if (s->vaddr >= pg + PAGE || s->vaddr + s->memsz <= pg)
				continue;
			used = true;
			pf |= s->flags;
			/* file bytes of this segment inside the page */
			uint64_t lo = s->vaddr > pg ? s->vaddr : pg;
			uint64_t fend = s->vaddr + s->filesz;
			uint64_t hi = fend < pg + PAGE ? fend : pg + PAGE;
			if (hi > lo)
				memcpy(buf + (lo - pg), img + s->offset + (lo - s->vaddr), hi - lo);
		}
		if (used)
			page(b, base + pg, secinfo(pf), buf, true);
	}
}

/* ---- XSAVE and SSA sizes --------------------------------------------------------- */

/* The XSAVE state components Coffer knows, at the offsets and sizes of the
 * non-compacted format that Intel CPUs enumerate (CPUID.(0DH, i)). */
static const struct {
	uint8_t bit;
	uint16_t offset, size;
} xcomp[] = {
	{ 2, 576, 256 },    /* AVX: YMM_Hi128 */
	{ 5, 1088, 64 },    /* AVX-512: opmask */
	{ 6, 1152, 512 },   /* AVX-512: ZMM_Hi256 */
	{ 7, 1664, 1024 },  /* AVX-512: Hi16_ZMM */
	{ 9, 2688, 8 },     /* PKRU */
	{ 17, 2752, 64 },   /* AMX: XTILECFG */
	{ 18, 2816, 8192 }, /* AMX: XTILEDATA */
};

uint32_t layout_xsave_size(uint64_t xfrm)
{
	uint32_t size = SGX_XSAVE_LEGACY_SIZE;

	if (sgx_xfrm_fault(xfrm))
		return 0;
	for (unsigned i = 0; i < sizeof xcomp / sizeof *xcomp; i++)
		if ((xfrm >> xcomp[i].bit) & 1 && xcomp[i].offset + xcomp[i].size > size)
			size = xcomp[i].offset + xcomp[i].size;
	return size;
}

static uint32_t misc_size(uint32_t miscselect)
{
	return (miscselect & SGX_MISC_EXINFO) ? SSA_EXINFO_SIZE : 0;
}

uint32_t layout_ssa_pages(uint64_t xfrm, uint32_t miscselect)
{
	uint32_t x = layout_xsave_size(xfrm);

	if (!x || (miscselect & ~SGX_MISC_KNOWN))
		return 0;
	return (x + misc_size(miscselect) + SSA_GPR_SIZE + PAGE - 1) / PAGE;
}

static void cpuid_insn(void *ctx, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	(void)ctx;
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

int layout_ssa_check_cpu(uint64_t xfrm, uint32_t miscselect, uint32_t ssaframesize, layout_cpuid_fn cpuid,
			 void *ctx, const char **why)
{
	uint32_t r[4];

	if (!cpuid)
		cpuid = cpuid_insn;
	if (!layout_ssa_pages(xfrm, miscselect))
		FAIL("the XFRM or MISCSELECT is not one Coffer can launch");
	cpuid(ctx, 0, 0, r);
	if (r[0] < 0xd)
		FAIL("the CPU has no CPUID leaf 0xD (XSAVE)");
	cpuid(ctx, 0xd, 0, r);
	uint64_t supported = r[0] | (uint64_t)r[3] << 32;
	if (xfrm & ~supported)
		FAIL("the CPU does not support every XSAVE feature of the enclave's XFRM (enclave.xsave)");
	uint64_t need = SGX_XSAVE_LEGACY_SIZE;
	for (unsigned bit = 2; bit < 64; bit++) {
		if (!((xfrm >> bit) & 1))
			continue;
		cpuid(ctx, 0xd, bit, r);
		if (!r[0])
			FAIL("the CPU reports an empty XSAVE component for a feature of the enclave's XFRM");
		if ((uint64_t)r[1] + r[0] > need)
			need = (uint64_t)r[1] + r[0];
	}
	if (need + misc_size(miscselect) + SSA_GPR_SIZE > (uint64_t)ssaframesize * PAGE)
		FAIL("the CPU's XSAVE layout for the enclave's XFRM does not fit the SSA frame (SSAFRAMESIZE)");
	return 0;
}

/* ---- the layout ------------------------------------------------------------------ */

void layout_params_from_config(struct layout_params *p, const struct man_config *c)
{
	p->size = c->enclave_size;
	p->threads = c->threads;
	p->attributes = SGX_FLAGS_MODE64BIT | ((c->flags & MAN_F_DEBUG) ? SGX_FLAGS_DEBUG : 0);
	p->xfrm = SGX_XFRM_LEGACY | c->xsave;
	p->miscselect = (c->flags & MAN_F_EXINFO) ? SGX_MISC_EXINFO : 0;
	p->ssaframesize = 0;
}

void layout_thread(const struct layout_result *r, uint32_t t, struct layout_thread *out)
{
	uint64_t base = r->thread0 + (uint64_t)t * r->thread_stride;

	out->stack = base + PAGE; /* after the guard */
	out->xstack = out->stack + (uint64_t)(LAYOUT_STACK_PAGES + 1) * PAGE; /* after the second guard */
	out->tcs = out->xstack + (uint64_t)LAYOUT_XSTACK_PAGES * PAGE;
	out->ssa = out->tcs + PAGE;
	out->block = out->ssa + (uint64_t)LAYOUT_NSSA * r->ssaframesize * PAGE;
}

void layout_tb_fill(uint8_t page[SGX_PAGE_SIZE], const struct layout_tb *tb)
{
	memset(page, 0, SGX_PAGE_SIZE);
	sgx_put_le64(page + TB_SELF_OFF, tb->self);
	sgx_put_le64(page + TB_TCS_OFF, tb->tcs);
	sgx_put_le64(page + TB_STACK_OFF, tb->stack_top);
	sgx_put_le64(page + TB_XSTACK_OFF, tb->xstack_top);
	sgx_put_le64(page + TB_SSA_OFF, tb->ssa);
	sgx_put_le64(page + TB_SSA_SIZE, tb->ssa_size);
	sgx_put_le64(page + TB_ENCLAVE_SIZE, tb->enclave_size);
}

void layout_thread_block(const struct layout_result *r, uint32_t t, uint8_t page[SGX_PAGE_SIZE])
{
	struct layout_thread th;

	layout_thread(r, t, &th);
	struct layout_tb tb = {
		.self = th.block,
		.tcs = th.tcs,
		.stack_top = th.stack + (uint64_t)LAYOUT_STACK_PAGES * PAGE,
		.xstack_top = th.xstack + (uint64_t)LAYOUT_XSTACK_PAGES * PAGE,
		.ssa = th.ssa,
		.ssa_size = (uint64_t)r->ssaframesize * PAGE,
		.enclave_size = r->size,
	};
	layout_tb_fill(page, &tb);
}

#define ATTR_ALLOWED (SGX_FLAGS_DEBUG | SGX_FLAGS_MODE64BIT | SGX_FLAGS_PROVISIONKEY | SGX_FLAGS_EINITTOKENKEY | \
		      SGX_FLAGS_KSS)

int layout_build(const struct layout_params *p, layout_add_fn add, void *ctx, struct layout_result *out,
		 const char **why)
{
	struct image im;
	struct build b = { .add = add, .ctx = ctx };
	uint8_t buf[PAGE];

	memset(out, 0, sizeof *out);
	if (parse_image(p->image, p->image_len, &im, why))
		return -1;
	if (p->sgx_entry && !im.have_note)
		FAIL("the enclave image has no sgx entry point (ELF note \"Coffer\", type 0x53475831): it was built "
		     "without the sgx platform's enclave code");
	out->entry_from_note = im.have_note;
	uint64_t entry = im.have_note ? im.note_entry : im.e_entry;
	if (!entry_ok(&im, entry))
		FAIL("the enclave image's entry point is not in an executable segment");
	if (im.have_eexit && !entry_ok(&im, im.note_eexit))
		FAIL("the enclave image's EEXIT note does not point into an executable segment");
	if (p->size < 2 * PAGE || (p->size & (p->size - 1)) || p->size > (1ULL << 48))
		FAIL("the enclave size is not a power of two from 8 KiB to 256 TiB");
	if (p->threads < MAN_MIN_THREADS || p->threads > MAN_MAX_THREADS)
		FAIL("the thread count is not from 1 to 4096");
	if (!(p->attributes & SGX_FLAGS_MODE64BIT) || (p->attributes & ~ATTR_ALLOWED))
		FAIL("the ATTRIBUTES must have MODE64BIT and only DEBUG, PROVISIONKEY, EINITTOKENKEY or KSS besides");
	const char *xf = sgx_xfrm_fault(p->xfrm);
	if (xf)
		FAIL(xf);
	if (p->miscselect & ~SGX_MISC_KNOWN)
		FAIL("the MISCSELECT has a bit Coffer does not know (only EXINFO)");
	uint32_t need = layout_ssa_pages(p->xfrm, p->miscselect);
	uint32_t ssa = p->ssaframesize ? p->ssaframesize : need;
	if (ssa < need || ssa > LAYOUT_MAX_SSA_PAGES)
		FAIL("the SSA frame size is smaller than XFRM and MISCSELECT need, or larger than 16 pages");

	out->size = p->size;
	out->ssaframesize = ssa;
	out->attributes = p->attributes;
	out->xfrm = p->xfrm;
	out->miscselect = p->miscselect;
	out->threads = p->threads;
	/* from the top of ELRANGE down: threads, image, guard, manifest, guard;
	 * the heap is the rest, from offset 0. None of these sums can overflow:
	 * the image span is below 4 GiB, the manifest below MAN_MAX_SIZE, the
	 * threads' regions below 2^33. */
	out->manifest_size = ((uint64_t)p->manifest_len + PAGE - 1) / PAGE * PAGE;
	out->image_size = im.span;
	out->thread_stride = (1 + LAYOUT_STACK_PAGES + 1 + LAYOUT_XSTACK_PAGES + 1 + (uint64_t)LAYOUT_NSSA * ssa +
			      LAYOUT_BLOCK_PAGES) * PAGE;
	uint64_t top = out->manifest_size + PAGE + im.span + (uint64_t)p->threads * out->thread_stride;
	if (p->manifest_len > MAN_MAX_SIZE || !p->manifest_len || top + 2 * PAGE > p->size)
		FAIL("the enclave size is too small for the manifest, the image and the threads");
	out->manifest_offset = p->size - top;
	out->image_offset = out->manifest_offset + out->manifest_size + PAGE;
	out->entry = out->image_offset + entry;
	out->eexit = im.have_eexit ? out->image_offset + im.note_eexit : 0;
	out->thread0 = out->image_offset + im.span;
	out->heap_offset = 0;
	out->heap_size = out->manifest_offset - PAGE;

	sgx_measure_ecreate(&b.m, p->sha, ssa, p->size);
	heap_run(&b, p, out->heap_size / PAGE, ssa);
	for (uint64_t off = 0; off < p->manifest_len; off += PAGE) {
		size_t n = p->manifest_len - off < PAGE ? (size_t)(p->manifest_len - off) : PAGE;
		memset(buf, 0, sizeof buf);
		memcpy(buf, p->manifest + off, n);
		page(&b, out->manifest_offset + off, SGX_SECINFO_REG | SGX_SECINFO_R, buf, true);
	}
	add_image(&b, out->image_offset, p->image, &im);
	for (uint32_t t = 0; t < p->threads; t++) {
		struct layout_thread th;
		layout_thread(out, t, &th);
		zero_run(&b, th.stack, LAYOUT_STACK_PAGES, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W);
		zero_run(&b, th.xstack, LAYOUT_XSTACK_PAGES, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W);
		memset(buf, 0, sizeof buf);
		sgx_put_le64(buf + TCS_OSSA, th.ssa);
		sgx_put_le32(buf + TCS_NSSA, LAYOUT_NSSA);
		sgx_put_le64(buf + TCS_OENTRY, out->entry);
		sgx_put_le64(buf + TCS_OFSBASE, th.block);
		sgx_put_le64(buf + TCS_OGSBASE, th.block);
		sgx_put_le32(buf + TCS_OFSLIMIT, 0xfff);
		sgx_put_le32(buf + TCS_OGSLIMIT, 0xfff);
		page(&b, th.tcs, SGX_SECINFO_TCS, buf, true);
		zero_run(&b, th.ssa, (uint64_t)LAYOUT_NSSA * ssa, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W);
		_Static_assert(LAYOUT_BLOCK_PAGES == 1, "the thread block is one page");
		layout_thread_block(out, t, buf);
		page(&b, th.block, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W, buf, true);
	}
	out->pages = b.pages;
	out->measured_pages = b.measured;
	if (sgx_measure_finish(&b.m, out->mrenclave))
		FAIL("a page fell outside the enclave");
	if (b.refused)
		FAIL("the loader refused a page");
	return 0;
}
