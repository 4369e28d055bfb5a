/*
 * sgx.c - SIGSTRUCT decoding and the MRENCLAVE measurement (sgx.h).
 *
 * The measurement records (SDM 38.7, "ECREATE", "EADD", "EEXTEND"):
 *   ECREATE  "ECREATE\0" | SSAFRAMESIZE u32 | SIZE u64 | 44 zero bytes
 *   EADD     "EADD\0\0\0\0" | offset u64 | SECINFO (flags u64, 40 zero bytes)
 *   EEXTEND  "EEXTEND\0" | offset u64 | 48 zero bytes, then the 256 bytes
 * Offsets are relative to the enclave base. An SGXS file is exactly this
 * byte stream, so its SHA-256 is the MRENCLAVE.
 */
#include "sgx.h"

#include "cstring.h"

const uint8_t sgx_sigstruct_header[16] = { 0x06, 0x00, 0x00, 0x00, 0xe1, 0x00, 0x00, 0x00,
					   0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00 };
const uint8_t sgx_sigstruct_header2[16] = { 0x01, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
					    0x60, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 };

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int sgx_sigstruct_parse(const uint8_t *raw, size_t len, struct sgx_sigstruct *s, const char **why)
{
	if (len != SIGSTRUCT_SIZE) {
		*why = "a SIGSTRUCT is 1808 bytes";
		return -1;
	}
	if (memcmp(raw + SS_HEADER, sgx_sigstruct_header, 16) || memcmp(raw + SS_HEADER2, sgx_sigstruct_header2, 16)) {
		*why = "HEADER or HEADER2 is not the SIGSTRUCT constant";
		return -1;
	}
	s->raw = raw;
	s->vendor = sgx_le32(raw + SS_VENDOR);
	if (s->vendor != 0 && s->vendor != 0x8086) {
		*why = "VENDOR must be 0 or 0x8086";
		return -1;
	}
	s->exponent = sgx_le32(raw + SS_EXPONENT);
	if (s->exponent != 3) {
		*why = "EXPONENT must be 3";
		return -1;
	}
	if (!all_zero(raw + 44, 84) || !all_zero(raw + 910, 2) || !all_zero(raw + 992, 16) ||
	    !all_zero(raw + 1028, 12)) {
		*why = "a reserved field is not zero";
		return -1;
	}
	s->date = sgx_le32(raw + SS_DATE);
	s->swdefined = sgx_le32(raw + SS_SWDEFINED);
	s->miscselect = sgx_le32(raw + SS_MISCSELECT);
	s->miscmask = sgx_le32(raw + SS_MISCMASK);
	s->attr_flags = sgx_le64(raw + SS_ATTRIBUTES);
	s->attr_xfrm = sgx_le64(raw + SS_ATTRIBUTES + 8);
	s->mask_flags = sgx_le64(raw + SS_ATTRIBUTEMASK);
	s->mask_xfrm = sgx_le64(raw + SS_ATTRIBUTEMASK + 8);
	s->isvprodid = sgx_le16(raw + SS_ISVPRODID);
	s->isvsvn = sgx_le16(raw + SS_ISVSVN);
	s->modulus = raw + SS_MODULUS;
	s->signature = raw + SS_SIGNATURE;
	s->enclavehash = raw + SS_ENCLAVEHASH;
	s->q1 = raw + SS_Q1;
	s->q2 = raw + SS_Q2;
	return 0;
}

void sgx_sigstruct_signed_bytes(const uint8_t *raw, uint8_t out[256])
{
	memcpy(out, raw, SS_SIGNED_A_LEN);
	memcpy(out + SS_SIGNED_A_LEN, raw + SS_SIGNED_B_OFF, SS_SIGNED_B_LEN);
}

/* ---- Q1 and Q2 ---------------------------------------------------------------------- */

/* Numbers of SGX_RSA_SIZE bytes as little-endian 32-bit limbs; products
 * have twice as many. Public values only: no need for constant time. */
#define Q_LIMBS (SGX_RSA_SIZE / 4)

static void q_load(uint32_t x[Q_LIMBS], const uint8_t *le)
{
	for (unsigned i = 0; i < Q_LIMBS; i++)
		x[i] = sgx_le32(le + 4 * i);
}

/* r = a * b (schoolbook) */
static void q_mul(uint32_t r[2 * Q_LIMBS], const uint32_t a[Q_LIMBS], const uint32_t b[Q_LIMBS])
{
	memset(r, 0, 2 * Q_LIMBS * sizeof *r);
	for (unsigned i = 0; i < Q_LIMBS; i++) {
		uint64_t carry = 0;
		for (unsigned j = 0; j < Q_LIMBS; j++) {
			uint64_t t = (uint64_t)a[i] * b[j] + r[i + j] + carry;
			r[i + j] = (uint32_t)t;
			carry = t >> 32;
		}
		r[i + Q_LIMBS] = (uint32_t)carry;
	}
}

/* a -= b over n limbs; returns the borrow (1 if b > a) */
static uint32_t q_sub(uint32_t *a, const uint32_t *b, unsigned n)
{
	uint64_t borrow = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t t = (uint64_t)a[i] - b[i] - borrow;
		a[i] = (uint32_t)t;
		borrow = (t >> 32) & 1;
	}
	return (uint32_t)borrow;
}

/* Is the 2*Q_LIMBS number r below the Q_LIMBS number m? */
static bool q_below(const uint32_t r[2 * Q_LIMBS], const uint32_t m[Q_LIMBS])
{
	for (unsigned i = 2 * Q_LIMBS; i-- > Q_LIMBS;)
		if (r[i])
			return false;
	for (unsigned i = Q_LIMBS; i-- > 0;)
		if (r[i] != m[i])
			return r[i] < m[i];
	return false;
}

int sgx_sigstruct_check_q(const uint8_t raw[SIGSTRUCT_SIZE], const char **why)
{
	uint32_t sig[Q_LIMBS], mod[Q_LIMBS], q[Q_LIMBS], r[2 * Q_LIMBS], t[2 * Q_LIMBS];

	q_load(sig, raw + SS_SIGNATURE);
	q_load(mod, raw + SS_MODULUS);
	q_load(q, raw + SS_Q1);
	q_mul(r, sig, sig); /* R1 = S^2 - Q1*M */
	q_mul(t, q, mod);
	if (q_sub(r, t, 2 * Q_LIMBS) || !q_below(r, mod)) {
		*why = "Q1 does not match the signature and modulus (Q1 = floor(S^2 / M))";
		return -1;
	}
	q_load(q, raw + SS_Q2);
	q_mul(t, sig, r); /* R1 < M: its low half is all of it */
	memcpy(r, t, sizeof r); /* R2 = S*R1 - Q2*M */
	q_mul(t, q, mod);
	if (q_sub(r, t, 2 * Q_LIMBS) || !q_below(r, mod)) {
		*why = "Q2 does not match the signature and modulus (Q2 = floor((S^3 - Q1*S*M) / M))";
		return -1;
	}
	return 0;
}

/* ---- measurement ------------------------------------------------------------------ */

static void record(struct sgx_measure *m, const char tag[8], uint64_t a, uint64_t b, int b_width)
{
	uint8_t r[64];
	memset(r, 0, sizeof r);
	memcpy(r, tag, 8);
	if (b_width == 4) { /* ECREATE: u32 then u64 */
		sgx_put_le32(r + 8, (uint32_t)a);
		sgx_put_le64(r + 12, b);
	} else {
		sgx_put_le64(r + 8, a);
		sgx_put_le64(r + 16, b);
	}
	m->sha->update(m->sha->ctx, r, sizeof r);
}

void sgx_measure_ecreate(struct sgx_measure *m, const struct sgx_sha256 *sha, uint32_t ssaframesize,
			 uint64_t size)
{
	m->sha = sha;
	m->size = size;
	/* SIZE must be a power of two of at least two pages */
	m->failed = size < 2 * SGX_PAGE_SIZE || (size & (size - 1)) != 0 || ssaframesize == 0;
	sha->init(sha->ctx);
	record(m, "ECREATE\0", ssaframesize, size, 4);
}

static bool offset_ok(struct sgx_measure *m, uint64_t offset, uint64_t align)
{
	if (offset % align || offset >= m->size)
		m->failed = true;
	return !m->failed;
}

void sgx_measure_eadd(struct sgx_measure *m, uint64_t offset, uint64_t secinfo_flags)
{
	if (offset_ok(m, offset, SGX_PAGE_SIZE))
		record(m, "EADD\0\0\0\0", offset, secinfo_flags, 8);
}

void sgx_measure_eadd_run(struct sgx_measure *m, uint64_t offset, uint64_t n, uint64_t secinfo_flags)
{
	uint8_t batch[64][64];

	if (!n)
		return;
	if (offset + (n - 1) * SGX_PAGE_SIZE < offset || !offset_ok(m, offset + (n - 1) * SGX_PAGE_SIZE, 1) ||
	    !offset_ok(m, offset, SGX_PAGE_SIZE))
		return;
	memset(batch, 0, sizeof batch);
	for (unsigned i = 0; i < 64; i++) {
		memcpy(batch[i], "EADD\0\0\0\0", 8);
		sgx_put_le64(batch[i] + 16, secinfo_flags);
	}
	while (n) {
		unsigned k = n < 64 ? (unsigned)n : 64;
		for (unsigned i = 0; i < k; i++, offset += SGX_PAGE_SIZE)
			sgx_put_le64(batch[i] + 8, offset);
		m->sha->update(m->sha->ctx, batch, 64u * k);
		n -= k;
	}
}

void sgx_measure_eextend(struct sgx_measure *m, uint64_t offset, const uint8_t data[256])
{
	if (!offset_ok(m, offset, 256))
		return;
	record(m, "EEXTEND\0", offset, 0, 8);
	m->sha->update(m->sha->ctx, data, 256);
}

void sgx_measure_add_page(struct sgx_measure *m, uint64_t offset, uint64_t secinfo_flags,
			  const uint8_t *page, bool extend)
{
	static const uint8_t zeros[256];

	sgx_measure_eadd(m, offset, secinfo_flags);
	for (unsigned i = 0; extend && i < SGX_PAGE_SIZE / 256; i++)
		sgx_measure_eextend(m, offset + i * 256u, page ? page + i * 256u : zeros);
}

int sgx_measure_finish(struct sgx_measure *m, uint8_t mrenclave[SGX_HASH_SIZE])
{
	m->sha->final(m->sha->ctx, mrenclave);
	return m->failed ? -1 : 0;
}

int sgx_measure_sgxs(struct sgx_measure *m, const struct sgx_sha256 *sha, const uint8_t *s, size_t len)
{
	if (len < 64 || memcmp(s, "ECREATE\0", 8))
		return -1;
	sgx_measure_ecreate(m, sha, sgx_le32(s + 8), sgx_le64(s + 12));
	if (!all_zero(s + 20, 44))
		return -1;
	for (size_t off = 64; off < len;) {
		if (len - off < 64)
			return -1;
		const uint8_t *r = s + off;
		if (!memcmp(r, "EADD\0\0\0\0", 8)) {
			if (!all_zero(r + 24, 40))
				return -1;
			sgx_measure_eadd(m, sgx_le64(r + 8), sgx_le64(r + 16));
			off += 64;
		} else if (!memcmp(r, "EEXTEND\0", 8)) {
			if (!all_zero(r + 16, 48) || len - off < 64 + 256)
				return -1;
			sgx_measure_eextend(m, sgx_le64(r + 8), r + 64);
			off += 64 + 256;
		} else {
			return -1;
		}
	}
	return m->failed ? -1 : 0;
}

enum sgx_einit_err sgx_einit_check(const struct sgx_sigstruct *ss, const uint8_t mrenclave[SGX_HASH_SIZE],
				   uint64_t flags, uint64_t xfrm, uint32_t miscselect,
				   int (*rsa_verify)(const uint8_t *sigstruct), const char **why)
{
	uint8_t diff = 0;

	/* EINIT's order: the signature (with Q1 and Q2) first, then
	 * ENCLAVEHASH, a signed field, so that a SIGSTRUCT with both faults
	 * gets the reason hardware gives */
	if (rsa_verify(ss->raw)) {
		*why = "signature does not verify with its modulus";
		return SGX_EINIT_SIGNATURE;
	}
	if (sgx_sigstruct_check_q(ss->raw, why))
		return SGX_EINIT_Q;
	/* constant time: a mismatch says nothing about where */
	for (unsigned i = 0; i < SGX_HASH_SIZE; i++)
		diff |= (uint8_t)(mrenclave[i] ^ ss->enclavehash[i]);
	if (diff) {
		*why = "ENCLAVEHASH is not the enclave's MRENCLAVE";
		return SGX_EINIT_HASH;
	}
	/* EINITTOKENKEY is for the launch enclave only: EINIT accepts it when
	 * SHA-256(MODULUS) is IA32_SGXLEPUBKEYHASH. Linux, which writes those
	 * MSRs with each enclave's own MRSIGNER, refuses the attribute before
	 * EINIT (EACCES, not in its unprivileged set); a machine Coffer
	 * simulates has no launch enclave: refused here as on Linux */
	if (flags & SGX_FLAGS_EINITTOKENKEY) {
		*why = "enclave's ATTRIBUTES have EINITTOKENKEY, which only the launch enclave may have";
		return SGX_EINIT_ATTRIBUTES;
	}
	if ((flags & ss->mask_flags) != (ss->attr_flags & ss->mask_flags) ||
	    (xfrm & ss->mask_xfrm) != (ss->attr_xfrm & ss->mask_xfrm)) {
		*why = "enclave's ATTRIBUTES do not match the SIGSTRUCT's under ATTRIBUTEMASK";
		return SGX_EINIT_ATTRIBUTES;
	}
	if ((miscselect & ss->miscmask) != (ss->miscselect & ss->miscmask)) {
		*why = "enclave's MISCSELECT does not match the SIGSTRUCT's under MISCMASK";
		return SGX_EINIT_MISCSELECT;
	}
	return SGX_EINIT_OK;
}

/* ---- XFRM ------------------------------------------------------------------------- */

const char *sgx_xfrm_fault(uint64_t xfrm)
{
	if ((xfrm & SGX_XFRM_LEGACY) != SGX_XFRM_LEGACY)
		return "XFRM must include x87 and SSE (bits 0 and 1)";
	if (xfrm & ~SGX_XFRM_KNOWN)
		return "XFRM has an XSAVE feature Coffer does not know (only AVX, AVX-512, PKRU and AMX)";
	if ((xfrm & SGX_XFRM_AVX512) && (xfrm & SGX_XFRM_AVX512) != SGX_XFRM_AVX512)
		return "XFRM has part of AVX-512 (bits 5 to 7 go together)";
	if ((xfrm & SGX_XFRM_AMX) && (xfrm & SGX_XFRM_AMX) != SGX_XFRM_AMX)
		return "XFRM has part of AMX (bits 17 and 18 go together)";
	if ((xfrm & SGX_XFRM_AVX512) && !(xfrm & SGX_XFRM_AVX))
		return "XFRM has AVX-512 without AVX";
	return NULL;
}
