/* tlayout.c - the test enclave's page list (tlayout.h). */
#include "tlayout.h"

#include "../../common/cstring.h"
#include "../../platform/sgx/sgx_abi.h"
#include "test.h"

#define PG SGX_PAGE_SIZE
#define RWX (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X)
#define RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

int tl_plan(const uint8_t *img, size_t len, unsigned threads, struct tl_result *out, const char **why)
{
	struct tl_head h;

	if (len < sizeof h) {
		*why = "the test enclave image is too short";
		return -1;
	}
	memcpy(&h, img, sizeof h);
	if (memcmp(h.magic, TL_MAGIC, 8) || h.image_size < len || h.entry >= len || h.image_size > (64u << 20)) {
		*why = "the test enclave image has no valid header";
		return -1;
	}
	if (threads == 0 || threads > 64) {
		*why = "1 to 64 threads";
		return -1;
	}
	out->ro_off = (h.image_size + PG - 1) / PG * PG;
	out->threads_off = out->ro_off + PG;
	out->threads = threads;
	uint64_t end = out->threads_off + (uint64_t)threads * TL_THREAD_PAGES * PG;
	for (out->size = 2 * PG; out->size < end; out->size *= 2)
		;
	return 0;
}

static int add(layout_add_fn fn, void *ctx, uint64_t off, uint64_t secinfo, const uint8_t *data)
{
	struct layout_page p = { .offset = off, .secinfo = secinfo, .data = data, .measure = true };
	return fn(ctx, &p);
}

int tl_build(const uint8_t *img, size_t len, const struct tl_result *r, layout_add_fn fn, void *ctx)
{
	uint8_t page[PG];
	struct tl_head h;
	int e;

	memcpy(&h, img, sizeof h);
	for (uint64_t off = 0; off < r->ro_off; off += PG) {
		memset(page, 0, PG);
		if (off < len)
			memcpy(page, img + off, len - off < PG ? len - off : PG);
		if ((e = add(fn, ctx, off, RWX, page)))
			return e;
	}
	memset(page, T_RO_PATTERN, PG);
	if ((e = add(fn, ctx, r->ro_off, SGX_SECINFO_REG | SGX_SECINFO_R, page)))
		return e;
	for (unsigned t = 0; t < r->threads; t++) {
		uint64_t tcs = r->threads_off + (uint64_t)t * TL_THREAD_PAGES * PG;
		uint64_t tb = tcs + 3 * PG;
		memset(page, 0, PG);
		sgx_put_le64(page + TCS_OSSA, tcs + PG);
		sgx_put_le32(page + TCS_NSSA, 2);
		sgx_put_le64(page + TCS_OENTRY, h.entry);
		sgx_put_le64(page + TCS_OFSBASE, tb);
		sgx_put_le64(page + TCS_OGSBASE, tb);
		sgx_put_le32(page + TCS_OFSLIMIT, 0xfff);
		sgx_put_le32(page + TCS_OGSLIMIT, 0xfff);
		if ((e = add(fn, ctx, tcs, SGX_SECINFO_TCS, page)))
			return e;
		if ((e = add(fn, ctx, tcs + PG, RW, NULL)) || (e = add(fn, ctx, tcs + 2 * PG, RW, NULL)))
			return e;
		struct layout_tb b = { .self = tb, .tcs = tcs, .stack_top = tcs + 9 * PG, .xstack_top = tcs + 12 * PG,
				       .ssa = tcs + PG, .ssa_size = PG, .enclave_size = r->size };
		layout_tb_fill(page, &b);
		if ((e = add(fn, ctx, tb, RW, page)))
			return e;
		for (unsigned i = 5; i < 9; i++)
			if ((e = add(fn, ctx, tcs + i * PG, RW, NULL)))
				return e;
		for (unsigned i = 10; i < 12; i++)
			if ((e = add(fn, ctx, tcs + i * PG, RW, NULL)))
				return e;
	}
	return 0;
}
