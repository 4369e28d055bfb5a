/*
 * Unit tests for tools/crypto.c (the OpenSSL side of SGX signing) against the
 * public vectors in tests/vectors (see its README):
 *  - PKCS#1 v1.5 is deterministic, so re-signing the signed bytes of
 *    fortanix-sig1.sigstruct.bin with fortanix-sig1.key.pem must reproduce
 *    its MODULUS, EXPONENT, SIGNATURE, Q1 and Q2 byte for byte;
 *  - sigstruct_verify accepts the vectors and rejects any change to a signed
 *    byte, the modulus, the signature, Q1 or Q2, with the right reason;
 *  - key_generate / key_load: a fresh key signs SIGSTRUCTs that verify, an
 *    existing file is not replaced, keys SGX cannot use are refused.
 * Run from the source root (tests/meson.build) so the vectors' relative path
 * works.
 */
#define _GNU_SOURCE
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/sgx.h"
#include "../../tools/crypto.h"
#include "check.h"

#define VECTORS "tests/vectors/"

static uint8_t *slurp(const char *name, size_t *len)
{
	FILE *f = fopen(name, "rb");
	if (!f) {
		perror(name);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	uint8_t *b = malloc(*len ? *len : 1);
	if (!b || fread(b, 1, *len, f) != *len)
		exit(2);
	fclose(f);
	return b;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Verify a copy of ss with byte `off` flipped; returns the reason or NULL. */
static const char *verify_flipped(const uint8_t *ss, size_t off)
{
	uint8_t copy[SIGSTRUCT_SIZE];
	const char *why = NULL;
	memcpy(copy, ss, sizeof copy);
	copy[off] ^= 0x01;
	return sigstruct_verify(copy, &why) ? why : NULL;
}

static void test_resign_vector(void)
{
	size_t len;
	uint8_t *orig = slurp(VECTORS "fortanix-sig1.sigstruct.bin", &len);
	uint8_t ss[SIGSTRUCT_SIZE];

	CHECK(len == SIGSTRUCT_SIZE);
	if (len != SIGSTRUCT_SIZE) {
		free(orig);
		return;
	}
	EVP_PKEY *key = key_load(VECTORS "fortanix-sig1.key.pem");
	CHECK(key != NULL);
	if (!key) {
		free(orig);
		return;
	}

	/* SIGNATURE, Q1 and Q2 cleared: signing restores them exactly */
	memcpy(ss, orig, sizeof ss);
	memset(ss + SS_SIGNATURE, 0, SGX_RSA_SIZE);
	memset(ss + SS_Q1, 0, SGX_RSA_SIZE);
	memset(ss + SS_Q2, 0, SGX_RSA_SIZE);
	CHECK(sigstruct_sign(ss, key) == 0);
	CHECK(memcmp(ss + SS_SIGNATURE, orig + SS_SIGNATURE, SGX_RSA_SIZE) == 0);
	CHECK(memcmp(ss + SS_Q1, orig + SS_Q1, SGX_RSA_SIZE) == 0);
	CHECK(memcmp(ss + SS_Q2, orig + SS_Q2, SGX_RSA_SIZE) == 0);
	CHECK(memcmp(ss, orig, SIGSTRUCT_SIZE) == 0);

	/* MODULUS and EXPONENT come from the key too */
	memcpy(ss, orig, sizeof ss);
	memset(ss + SS_MODULUS, 0, SGX_RSA_SIZE);
	memset(ss + SS_EXPONENT, 0, 4);
	memset(ss + SS_SIGNATURE, 0, SGX_RSA_SIZE);
	memset(ss + SS_Q1, 0, 2 * SGX_RSA_SIZE);
	CHECK(sigstruct_sign(ss, key) == 0);
	CHECK(memcmp(ss, orig, SIGSTRUCT_SIZE) == 0);

	/* signing other bytes gives another signature, which verifies */
	memcpy(ss, orig, sizeof ss);
	sgx_put_le16(ss + SS_ISVSVN, 1);
	CHECK(sigstruct_sign(ss, key) == 0);
	CHECK(memcmp(ss + SS_SIGNATURE, orig + SS_SIGNATURE, SGX_RSA_SIZE) != 0);
	const char *why = NULL;
	CHECK(sigstruct_verify(ss, &why) == 0);

	EVP_PKEY_free(key);
	free(orig);
}

static void test_verify_vector(const char *file)
{
	size_t len;
	uint8_t *ss = slurp(file, &len);
	const char *why = NULL, *r;

	CHECK(len == SIGSTRUCT_SIZE);
	if (len != SIGSTRUCT_SIZE) {
		free(ss);
		return;
	}
	CHECK(sigstruct_verify(ss, &why) == 0);

	/* every signed byte counts: both ranges, first and last byte */
	static const size_t signed_bytes[] = { 0, SS_DATE, SS_SWDEFINED, 127, SS_MISCSELECT, SS_ATTRIBUTES,
					       SS_ENCLAVEHASH, SS_ENCLAVEHASH + 31, SS_ISVPRODID, SS_ISVSVN + 1 };
	for (size_t i = 0; i < sizeof signed_bytes / sizeof signed_bytes[0]; i++) {
		r = verify_flipped(ss, signed_bytes[i]);
		CHECK(r && strstr(r, "signature does not verify"));
	}
	/* the modulus and the signature itself */
	r = verify_flipped(ss, SS_MODULUS);
	CHECK(r && strstr(r, "signature does not verify"));
	r = verify_flipped(ss, SS_SIGNATURE + 200);
	CHECK(r && strstr(r, "signature does not verify"));
	/* Q1 and Q2: the signature verifies, they do not match it */
	size_t q[] = { SS_Q1, SS_Q1 + 191, SS_Q2, SS_Q2 + SGX_RSA_SIZE - 1 };
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		r = verify_flipped(ss, q[i]);
		CHECK(r && (strstr(r, "Q1") || strstr(r, "Q2")));
	}
	/* bytes outside the signature, Q1 and Q2 are not verify's business
	 * (sgx_sigstruct_parse checks the reserved ones) */
	CHECK(verify_flipped(ss, 1030) == NULL);
	free(ss);
}

static void test_generate_and_load(void)
{
	char dir[] = "/tmp/coffer-test-crypto-XXXXXX", path[64], bad[64];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		CHECK(0);
		return;
	}
	snprintf(path, sizeof path, "%s/key.pem", dir);
	snprintf(bad, sizeof bad, "%s/rsa2048.pem", dir);

	CHECK(key_generate(path, 0) == 0);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(key_generate(path, 0) == -1); /* exists: not replaced */

	EVP_PKEY *key = key_load(path);
	CHECK(key != NULL);
	if (key) {
		CHECK(EVP_PKEY_get_bits(key) == 3072);
		uint8_t ss[SIGSTRUCT_SIZE] = { 0 };
		memcpy(ss + SS_HEADER, sgx_sigstruct_header, 16);
		memcpy(ss + SS_HEADER2, sgx_sigstruct_header2, 16);
		sgx_put_le32(ss + SS_DATE, 0x20000101);
		memset(ss + SS_ENCLAVEHASH, 0xab, 32);
		CHECK(sigstruct_sign(ss, key) == 0);
		CHECK(sgx_le32(ss + SS_EXPONENT) == 3);
		CHECK(!all_zero(ss + SS_MODULUS, SGX_RSA_SIZE));
		CHECK(!all_zero(ss + SS_Q1, SGX_RSA_SIZE) && !all_zero(ss + SS_Q2, SGX_RSA_SIZE));
		const char *why = NULL;
		CHECK(sigstruct_verify(ss, &why) == 0);
		struct sgx_sigstruct parsed;
		CHECK(sgx_sigstruct_parse(ss, sizeof ss, &parsed, &why) == 0);
		/* deterministic: signing again gives the same bytes */
		uint8_t again[SIGSTRUCT_SIZE];
		memcpy(again, ss, sizeof again);
		CHECK(sigstruct_sign(again, key) == 0);
		CHECK(memcmp(again, ss, sizeof ss) == 0);
		EVP_PKEY_free(key);
	}
	CHECK(key_generate(path, 1) == 0); /* --force */

	/* an RSA-2048 key (exponent 65537) is refused */
	EVP_PKEY *rsa2048 = EVP_RSA_gen(2048);
	CHECK(rsa2048 != NULL);
	FILE *f = fopen(bad, "w");
	CHECK(f && rsa2048 && PEM_write_PrivateKey(f, rsa2048, NULL, NULL, 0, NULL, NULL));
	if (f)
		fclose(f);
	EVP_PKEY_free(rsa2048);
	CHECK(key_load(bad) == NULL);
	CHECK(key_load("/nonexistent/key.pem") == NULL);

	unlink(path);
	unlink(bad);
	rmdir(dir);
}

int main(void)
{
	test_resign_vector();
	test_verify_vector(VECTORS "fortanix-sig1.sigstruct.bin");
	test_verify_vector(VECTORS "fortanix-test_enclave.sig");
	test_generate_and_load();
	return CHECK_DONE();
}
