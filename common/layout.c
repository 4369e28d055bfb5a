/*
 * layout.c - the enclave layout and its measurement (layout.h).
 *
 * TCS contents (SDM 38.8): FLAGS 0, OSSA = offset of the thread's first SSA
 * frame, NSSA 2, OENTRY = the image's entry point, OFSBASE = OGSBASE = 0
 * (the runtime sets its own), OFSLIMIT = OGSLIMIT = 0xfff. Everything else 0.
 */
#include "layout.h"
#include "manifest.h"

#include "cstring.h"

#define PT_LOAD_ 1
#define PF_X_ 1
#define PF_W_ 2
#define PF_R_ 4
#define MAX_PHNUM 64

struct seg {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags;
};

#define FAIL(msg)               \
	do {                    \
		*why = (msg);   \
		return -1;      \
	} while (0)

static int parse_image(const uint8_t *e, size_t len, struct seg *segs, unsigned *nseg, uint64_t *entry,
		       uint64_t *span, const char **why)
{
	if (len < 64 || memcmp(e, "\x7f" "ELF\x02\x01\x01", 7))
		FAIL("the enclave image is not a 64-bit little-endian ELF file");
	if (sgx_le16(e + 16) != 3 /* ET_DYN */ || sgx_le16(e + 18) != 62 /* x86-64 */)
		FAIL("the enclave image is not an x86-64 position-independent executable");
	uint64_t phoff = sgx_le64(e + 32);
	unsigned phentsize = sgx_le16(e + 54), phnum = sgx_le16(e + 56);
	if (phentsize != 56 || phnum == 0 || phnum > MAX_PHNUM || phoff > len || (uint64_t)phnum * 56 > len - phoff)
		FAIL("the enclave image has malformed program headers");
	*entry = sgx_le64(e + 24);
	*nseg = 0;
	*span = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = e + phoff + 56 * (size_t)i;
		if (sgx_le32(ph) != PT_LOAD_)
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
		    (*nseg && s.vaddr < segs[*nseg - 1].vaddr + segs[*nseg - 1].memsz))
			FAIL("the enclave image has a malformed or unordered PT_LOAD segment");
		segs[(*nseg)++] = s;
		*span = s.vaddr + s.memsz;
	}
	if (!*nseg)
		FAIL("the enclave image has nothing to load");
	*span = (*span + SGX_PAGE_SIZE - 1) & ~(uint64_t)(SGX_PAGE_SIZE - 1);
	return 0;
}

static uint64_t secinfo(uint32_t pf)
{
	return SGX_SECINFO_REG | ((pf & PF_R_) ? SGX_SECINFO_R : 0) | ((pf & PF_W_) ? SGX_SECINFO_W : 0) |
	       ((pf & PF_X_) ? SGX_SECINFO_X : 0);
}

/* Measure the image pages: each page gets the union of the permissions of
 * the segments that touch it, and its bytes from the file where a segment
 * has file bytes there. */
static void measure_image(struct sgx_measure *m, uint64_t base, const uint8_t *img, const struct seg *segs,
			  unsigned nseg, uint64_t span)
{
	uint8_t page[SGX_PAGE_SIZE];

	for (uint64_t pg = 0; pg < span; pg += SGX_PAGE_SIZE) {
		uint32_t pf = 0;
		bool used = false;
		memset(page, 0, sizeof page);
		for (unsigned i = 0; i < nseg; i++) {
			const struct seg *s = &segs[i];
			if (s->vaddr >= pg + SGX_PAGE_SIZE || s->vaddr + s->memsz <= pg)
				continue;
			used = true;
			pf |= s->flags;
			/* file bytes of this segment inside the page */
			uint64_t lo = s->vaddr > pg ? s->vaddr : pg;
			uint64_t fend = s->vaddr + s->filesz;
			uint64_t hi = fend < pg + SGX_PAGE_SIZE ? fend : pg + SGX_PAGE_SIZE;
			if (hi > lo)
				memcpy(page + (lo - pg), img + s->offset + (lo - s->vaddr), hi - lo);
		}
		if (used)
			sgx_measure_add_page(m, base + pg, secinfo(pf), page, true);
	}
}

int layout_measure(const uint8_t *image, size_t image_len, const uint8_t *manifest, size_t manifest_len,
		   uint64_t enclave_size, uint32_t threads, const struct sgx_sha256 *sha,
		   struct layout_result *out, const char **why)
{
	struct seg segs[MAX_PHNUM];
	unsigned nseg;
	uint64_t entry, span;
	struct sgx_measure m;
	uint8_t page[SGX_PAGE_SIZE];

	if (parse_image(image, image_len, segs, &nseg, &entry, &span, why))
		return -1;
	if (threads < MAN_MIN_THREADS || threads > MAN_MAX_THREADS)
		FAIL("the thread count is not from 1 to 4096");
	uint64_t man_pages = (manifest_len + SGX_PAGE_SIZE - 1) / SGX_PAGE_SIZE;
	out->image_offset = man_pages * SGX_PAGE_SIZE;
	out->tcs_offset = out->image_offset + span;
	out->end = out->tcs_offset + (uint64_t)threads * 3 * SGX_PAGE_SIZE;
	if (out->end > enclave_size)
		FAIL("the enclave size is too small for the manifest, the image and the threads");

	sgx_measure_ecreate(&m, sha, 1, enclave_size);
	for (uint64_t i = 0; i < man_pages; i++) {
		size_t off = (size_t)(i * SGX_PAGE_SIZE);
		size_t n = manifest_len - off < SGX_PAGE_SIZE ? manifest_len - off : SGX_PAGE_SIZE;
		memset(page, 0, sizeof page);
		memcpy(page, manifest + off, n);
		sgx_measure_add_page(&m, off, SGX_SECINFO_REG | SGX_SECINFO_R, page, true);
	}
	measure_image(&m, out->image_offset, image, segs, nseg, span);
	for (uint32_t t = 0; t < threads; t++) {
		uint64_t tcs = out->tcs_offset + (uint64_t)t * 3 * SGX_PAGE_SIZE;
		memset(page, 0, sizeof page);
		sgx_put_le64(page + 16, tcs + SGX_PAGE_SIZE);       /* OSSA */
		sgx_put_le32(page + 28, 2);                          /* NSSA (CSSA at 24 is 0) */
		sgx_put_le64(page + 32, out->image_offset + entry);  /* OENTRY */
		sgx_put_le32(page + 64, 0xfff);                      /* OFSLIMIT */
		sgx_put_le32(page + 68, 0xfff);                      /* OGSLIMIT */
		sgx_measure_add_page(&m, tcs, SGX_SECINFO_TCS, page, true);
		sgx_measure_add_page(&m, tcs + SGX_PAGE_SIZE, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W, NULL, true);
		sgx_measure_add_page(&m, tcs + 2 * SGX_PAGE_SIZE, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W, NULL,
				     true);
	}
	if (sgx_measure_finish(&m, out->mrenclave))
		FAIL("a page fell outside the enclave");
	return 0;
}
