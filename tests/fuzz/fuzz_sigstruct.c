/*
 * fuzz_sigstruct.c - libFuzzer target for the SIGSTRUCT decoder and the
 * SGXS measurement replay (common/sgx.c).
 *
 * Every input is read twice:
 *   1. as a SIGSTRUCT: sgx_sigstruct_parse() must accept exactly the
 *      1808-byte inputs whose fixed fields are right (both headers, VENDOR 0
 *      or 0x8086, EXPONENT 3, the four reserved ranges zero: SDM vol. 3D,
 *      "SIGSTRUCT"), checked against a reading of the bytes written here
 *      from the SDM's table; on success every decoded field must equal the
 *      bytes at its offset, and sgx_sigstruct_signed_bytes() must return
 *      [0, 128) followed by [900, 1028), and sgx_sigstruct_check_q() must
 *      run on it and name Q1 or Q2 when it refuses;
 *   2. as an SGXS stream: sgx_measure_sgxs() with a stand-in SHA-256 that
 *      only mixes bytes (strength is irrelevant here) but also compares
 *      everything hashed with the input. When the replay succeeds, the bytes
 *      hashed must be the stream itself, byte for byte (an SGXS file is the
 *      measured byte stream: sgx.c), and every record must be in range.
 *
 * A broken invariant aborts with the line that failed, which libFuzzer
 * reports as a crash. Built and run by scripts/fuzz.sh; seeds in
 * tests/fuzz/corpus/sigstruct (tests/fuzz/README.md).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/sgx.h"

#define REQUIRE(cond)                                                                                \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "fuzz_sigstruct: invariant broken at %s:%d: %s\n", __FILE__, \
				__LINE__, #cond);                                                    \
			abort();                                                                     \
		}                                                                                    \
	} while (0)

static volatile uint64_t sink;

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static uint64_t sum(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

/* ---- SIGSTRUCT -------------------------------------------------------------- */

static const uint8_t header[16] = { 0x06, 0, 0, 0, 0xe1, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0 };
static const uint8_t header2[16] = { 0x01, 0x01, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 0x01, 0, 0, 0 };

static bool ref_sigstruct_ok(const uint8_t *r, size_t len)
{
	if (len != 1808)
		return false;
	uint32_t vendor = rd32(r + 16);
	return !memcmp(r, header, 16) && !memcmp(r + 24, header2, 16) && (vendor == 0 || vendor == 0x8086) &&
	       rd32(r + 512) == 3 && zero(r + 44, 84) && zero(r + 910, 2) && zero(r + 992, 16) &&
	       zero(r + 1028, 12);
}

static void fuzz_sigstruct(const uint8_t *raw, size_t len)
{
	struct sgx_sigstruct s;
	const char *why = NULL;
	int rc = sgx_sigstruct_parse(raw, len, &s, &why);

	REQUIRE((rc == 0) == ref_sigstruct_ok(raw, len));
	if (rc != 0) {
		REQUIRE(why != NULL && why[0] != 0);
		return;
	}
	REQUIRE(s.raw == raw);
	REQUIRE(s.vendor == rd32(raw + 16) && s.date == rd32(raw + 20) && s.swdefined == rd32(raw + 40));
	REQUIRE(s.exponent == 3 && s.miscselect == rd32(raw + 900) && s.miscmask == rd32(raw + 904));
	REQUIRE(s.attr_flags == rd64(raw + 928) && s.attr_xfrm == rd64(raw + 936));
	REQUIRE(s.mask_flags == rd64(raw + 944) && s.mask_xfrm == rd64(raw + 952));
	REQUIRE(s.isvprodid == rd16(raw + 1024) && s.isvsvn == rd16(raw + 1026));
	REQUIRE(s.modulus == raw + 128 && s.signature == raw + 516 && s.enclavehash == raw + 960);
	REQUIRE(s.q1 == raw + 1040 && s.q2 == raw + 1424);
	/* read every byte the pointers promise */
	sink += sum(s.modulus, SGX_RSA_SIZE) + sum(s.signature, SGX_RSA_SIZE) + sum(s.enclavehash, SGX_HASH_SIZE) +
		sum(s.q1, SGX_RSA_SIZE) + sum(s.q2, SGX_RSA_SIZE);
	sink += s.date + s.swdefined + s.attr_flags + s.attr_xfrm + s.mask_flags + s.mask_xfrm;

	uint8_t signed_bytes[256];
	sgx_sigstruct_signed_bytes(raw, signed_bytes);
	REQUIRE(!memcmp(signed_bytes, raw, 128) && !memcmp(signed_bytes + 128, raw + 900, 128));

	/* Q1 and Q2 (big-number arithmetic on any bytes): a refusal names
	 * which of the two is wrong */
	why = NULL;
	if (sgx_sigstruct_check_q(raw, &why))
		REQUIRE(why && (strstr(why, "Q1 does not match") || strstr(why, "Q2 does not match")));
}

/* ---- SGXS -------------------------------------------------------------------------- */

/* Not SHA-256: FNV-1a over the bytes, plus a check that the bytes hashed are
 * the input stream in order. */
struct stub_sha {
	const uint8_t *expect;
	size_t expect_len;
	uint64_t h;
	size_t n; /* bytes hashed since init */
	bool mismatch;
	int inits, finals;
};

static void stub_init(void *ctx)
{
	struct stub_sha *c = ctx;
	c->h = 0xcbf29ce484222325ULL;
	c->n = 0;
	c->mismatch = false;
	c->inits++;
}

static void stub_update(void *ctx, const void *data, size_t len)
{
	struct stub_sha *c = ctx;
	const uint8_t *p = data;
	REQUIRE(c->inits > c->finals);
	for (size_t i = 0; i < len; i++) {
		c->h = (c->h ^ p[i]) * 0x100000001b3ULL;
		if (c->n >= c->expect_len || c->expect[c->n] != p[i])
			c->mismatch = true;
		c->n++;
	}
}

static void stub_final(void *ctx, uint8_t out[SGX_HASH_SIZE])
{
	struct stub_sha *c = ctx;
	REQUIRE(c->inits > c->finals);
	for (unsigned i = 0; i < SGX_HASH_SIZE; i++) {
		out[i] = (uint8_t)(c->h >> (8 * (i % 8)));
		if (i % 8 == 7)
			c->h *= 0x100000001b3ULL;
	}
	c->finals++;
}

/* A stream that replayed: walk it again and check every record. */
static void check_sgxs(const uint8_t *s, size_t len)
{
	REQUIRE(len >= 64 && !memcmp(s, "ECREATE\0", 8) && zero(s + 20, 44));
	uint32_t ssa = rd32(s + 8);
	uint64_t size = rd64(s + 12);
	REQUIRE(ssa != 0 && size >= 2 * SGX_PAGE_SIZE && (size & (size - 1)) == 0);
	for (size_t off = 64; off < len;) {
		const uint8_t *r = s + off;
		REQUIRE(len - off >= 64);
		uint64_t at = rd64(r + 8);
		if (!memcmp(r, "EADD\0\0\0\0", 8)) {
			REQUIRE(at % SGX_PAGE_SIZE == 0 && at < size && zero(r + 24, 40));
			off += 64;
		} else {
			REQUIRE(!memcmp(r, "EEXTEND\0", 8));
			REQUIRE(at % 256 == 0 && at < size && zero(r + 16, 48) && len - off >= 64 + 256);
			off += 64 + 256;
		}
	}
}

static void fuzz_sgxs(const uint8_t *s, size_t len)
{
	struct stub_sha c = { .expect = s, .expect_len = len };
	struct sgx_sha256 sha = { .ctx = &c, .init = stub_init, .update = stub_update, .final = stub_final };
	struct sgx_measure m;
	uint8_t mr[SGX_HASH_SIZE];

	int rc = sgx_measure_sgxs(&m, &sha, s, len);
	REQUIRE(c.inits <= 1 && c.finals == 0);
	if (len < 64 || memcmp(s, "ECREATE\0", 8)) {
		REQUIRE(rc != 0 && c.inits == 0);
		return;
	}
	REQUIRE(c.inits == 1);
	if (rc != 0) {
		sgx_measure_finish(&m, mr); /* must be safe after a failed replay too */
		return;
	}
	check_sgxs(s, len);
	REQUIRE(!c.mismatch && c.n == len);
	REQUIRE(sgx_measure_finish(&m, mr) == 0);
	REQUIRE(c.finals == 1);
	sink += mr[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_sigstruct(data, size);
	fuzz_sgxs(data, size);
	return 0;
}
