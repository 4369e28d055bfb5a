/*
 * Unit tests for common/sgx.c against public vectors in tests/vectors (see
 * its README): MRENCLAVE replay of SGXS streams, SIGSTRUCT decoding,
 * MRSIGNER, and the signature over the signed bytes. Started from the source
 * root (tests/meson.build), so the vectors' relative path works.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/sgx.h"
#include "check.h"
#include "sha256_openssl.h"

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
	uint8_t *b = malloc(*len);
	if (fread(b, 1, *len, f) != *len)
		exit(2);
	fclose(f);
	return b;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static int replay(const char *file, const char *want)
{
	size_t len;
	uint8_t *s = slurp(file, &len), mr[32];
	char got[65];
	struct sgx_sha256 sha = sha256_openssl();
	struct sgx_measure m;
	int ok = sgx_measure_sgxs(&m, &sha, s, len) == 0 && sgx_measure_finish(&m, mr) == 0;
	hex(mr, 32, got);
	free(s);
	EVP_MD_CTX_free(sha.ctx);
	return ok && !strcmp(got, want);
}

/* RSA PKCS#1 v1.5 SHA-256 verification of a SIGSTRUCT with OpenSSL. */
static int verify(const uint8_t *raw)
{
	uint8_t be_mod[384], be_sig[384], msg[256];
	for (int i = 0; i < 384; i++) {
		be_mod[i] = raw[SS_MODULUS + 383 - i];
		be_sig[i] = raw[SS_SIGNATURE + 383 - i];
	}
	sgx_sigstruct_signed_bytes(raw, msg);
	BIGNUM *n = BN_bin2bn(be_mod, 384, NULL), *e = BN_new();
	BN_set_word(e, 3);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;
	EVP_PKEY_fromdata_init(pc);
	EVP_PKEY_fromdata(pc, &key, EVP_PKEY_PUBLIC_KEY, params);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestVerify(md, be_sig, 384, msg, 256) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return ok;
}

/* Q1 and Q2 as EINIT checks them: the vector's values pass; every byte of
 * either, changed, fails with the reason naming which; so do Q1 +/- 1 and
 * Q2 +/- 1 (the quotients are exact, not merely close). */
static void add_one(uint8_t *le, int delta)
{
	for (unsigned i = 0; i < SGX_RSA_SIZE; i++) {
		uint8_t old = le[i];
		le[i] = (uint8_t)(le[i] + delta);
		if ((delta > 0 && le[i] > old) || (delta < 0 && le[i] < old))
			break;
	}
}

static void test_q(const char *file)
{
	size_t len;
	uint8_t *raw = slurp(file, &len);
	struct sgx_sigstruct ss;
	const char *why = NULL;

	CHECK(sgx_sigstruct_parse(raw, len, &ss, &why) == 0);
	CHECK(sgx_sigstruct_check_q(raw, &why) == 0);
	int wrong = 0;
	for (unsigned off = SS_Q1; off < SS_Q2 + SGX_RSA_SIZE; off++) {
		for (unsigned mask = 0x01; mask <= 0x80; mask <<= 7) {
			raw[off] ^= (uint8_t)mask;
			why = NULL;
			if (sgx_sigstruct_check_q(raw, &why) != -1 ||
			    !strstr(why, off < SS_Q2 ? "Q1 does not match" : "Q2 does not match"))
				wrong++;
			raw[off] ^= (uint8_t)mask;
		}
	}
	CHECK(wrong == 0);
	for (int d = -1; d <= 1; d += 2) {
		add_one(raw + SS_Q1, d);
		CHECK(sgx_sigstruct_check_q(raw, &why) == -1 && strstr(why, "Q1"));
		add_one(raw + SS_Q1, -d);
		add_one(raw + SS_Q2, d);
		CHECK(sgx_sigstruct_check_q(raw, &why) == -1 && strstr(why, "Q2"));
		add_one(raw + SS_Q2, -d);
	}
	CHECK(sgx_sigstruct_check_q(raw, &why) == 0);
	/* the signature or the modulus changed: Q1 no longer fits them */
	raw[SS_SIGNATURE + 7] ^= 1;
	CHECK(sgx_sigstruct_check_q(raw, &why) == -1);
	raw[SS_SIGNATURE + 7] ^= 1;
	raw[SS_MODULUS + 300] ^= 4;
	CHECK(sgx_sigstruct_check_q(raw, &why) == -1);
	free(raw);
}

static int rsa_ok(const uint8_t *raw)
{
	return verify(raw) ? 0 : -1;
}

/* EINIT's checks (sgx_einit_check), each refusal on its own */
static void test_einit(const char *file)
{
	size_t len;
	uint8_t *raw = slurp(file, &len);
	struct sgx_sigstruct ss;
	const char *why;
	uint8_t mr[32];

	CHECK(sgx_sigstruct_parse(raw, len, &ss, &why) == 0);
	uint64_t fl = ss.attr_flags, xf = ss.attr_xfrm;
	uint32_t misc = ss.miscselect;
	memcpy(mr, ss.enclavehash, 32);
	CHECK(sgx_einit_check(&ss, mr, fl, xf, misc, rsa_ok, &why) == SGX_EINIT_OK);
	mr[31] ^= 1;
	CHECK(sgx_einit_check(&ss, mr, fl, xf, misc, rsa_ok, &why) == SGX_EINIT_HASH && strstr(why, "ENCLAVEHASH"));
	mr[31] ^= 1;
	CHECK(ss.mask_flags && ss.mask_xfrm && ss.miscmask);
	CHECK(sgx_einit_check(&ss, mr, fl ^ (ss.mask_flags & -ss.mask_flags), xf, misc, rsa_ok, &why) ==
	      SGX_EINIT_ATTRIBUTES);
	CHECK(sgx_einit_check(&ss, mr, fl, xf ^ (ss.mask_xfrm & -ss.mask_xfrm), misc, rsa_ok, &why) ==
	      SGX_EINIT_ATTRIBUTES);
	CHECK(sgx_einit_check(&ss, mr, fl, xf, misc ^ (ss.miscmask & -ss.miscmask), rsa_ok, &why) ==
	      SGX_EINIT_MISCSELECT && strstr(why, "MISCSELECT"));
	/* bits outside the masks do not matter */
	uint64_t free_flag = ~ss.mask_flags & (SGX_FLAGS_DEBUG | SGX_FLAGS_KSS);
	CHECK(sgx_einit_check(&ss, mr, fl ^ free_flag, xf, misc, rsa_ok, &why) == SGX_EINIT_OK);
	/* the controlled attribute, whatever the masks say */
	CHECK(sgx_einit_check(&ss, mr, fl | SGX_FLAGS_EINITTOKENKEY, xf, misc, rsa_ok, &why) == SGX_EINIT_ATTRIBUTES &&
	      strstr(why, "EINITTOKENKEY"));
	raw[SS_SIGNATURE + 100] ^= 1;
	CHECK(sgx_einit_check(&ss, mr, fl, xf, misc, rsa_ok, &why) == SGX_EINIT_SIGNATURE);
	/* EINIT's order: the signature before ENCLAVEHASH */
	mr[31] ^= 1;
	CHECK(sgx_einit_check(&ss, mr, fl, xf, misc, rsa_ok, &why) == SGX_EINIT_SIGNATURE && strstr(why, "signature"));
	mr[31] ^= 1;
	raw[SS_SIGNATURE + 100] ^= 1;
	raw[SS_Q1 + 5] ^= 1;
	CHECK(sgx_einit_check(&ss, mr, fl, xf, misc, rsa_ok, &why) == SGX_EINIT_Q && strstr(why, "Q1"));
	mr[31] ^= 1;
	CHECK(sgx_einit_check(&ss, mr, fl, xf, misc, rsa_ok, &why) == SGX_EINIT_Q && strstr(why, "Q1"));
	mr[31] ^= 1;
	free(raw);
}

int main(void)
{
	CHECK(replay(VECTORS "fortanix-test_enclave.sgxs",
		     "784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc"));
	CHECK(replay(VECTORS "fortanix-report.sgxs",
		     "a06a560b26f5e397b2d7872fac66fe4b43bf4f507296ee048f110be6fb1a2290"));

	size_t len;
	uint8_t *sig = slurp(VECTORS "fortanix-test_enclave.sig", &len), mrsigner[32];
	struct sgx_sigstruct ss;
	const char *why = NULL;
	char h[65];
	CHECK(sgx_sigstruct_parse(sig, len, &ss, &why) == 0);
	hex(ss.enclavehash, 32, h);
	CHECK(!strcmp(h, "784acfd7d5096a8f0fbd3265760bff21b120f62407a9a9e5ba31aa3c8ed198fc"));
	SHA256(ss.modulus, 384, mrsigner);
	hex(mrsigner, 32, h);
	CHECK(!strcmp(h, "fb4bab3d6036ac1d730fa83d7366df1dd2dfeac194ef335d6854d8a6c6475542"));
	CHECK(ss.isvprodid == 65535 && ss.isvsvn == 0 && ss.date == 0x20161214);
	CHECK(ss.attr_flags == SGX_FLAGS_MODE64BIT && ss.attr_xfrm == 3);
	CHECK(verify(sig));
	sig[SS_ENCLAVEHASH] ^= 1; /* a signed byte */
	CHECK(!verify(sig));
	sig[SS_ENCLAVEHASH] ^= 1;
	sig[SS_Q1] ^= 1; /* not signed */
	CHECK(verify(sig));

	/* malformed SIGSTRUCTs are refused with a reason */
	CHECK(sgx_sigstruct_parse(sig, len - 1, &ss, &why) == -1 && why);
	sig[0] = 7;
	CHECK(sgx_sigstruct_parse(sig, len, &ss, &why) == -1 && strstr(why, "HEADER"));
	sig[0] = 6;
	sig[SS_EXPONENT] = 65;
	CHECK(sgx_sigstruct_parse(sig, len, &ss, &why) == -1 && strstr(why, "EXPONENT"));
	sig[SS_EXPONENT] = 3;
	sig[50] = 1;
	CHECK(sgx_sigstruct_parse(sig, len, &ss, &why) == -1 && strstr(why, "reserved"));
	free(sig);

	uint8_t *s1 = slurp(VECTORS "fortanix-sig1.sigstruct.bin", &len);
	CHECK(sgx_sigstruct_parse(s1, len, &ss, &why) == 0);
	hex(ss.enclavehash, 32, h);
	CHECK(!strcmp(h, "c50673624a6cb17c1c6c2a4e6906f47a170c4629b8723781d1017ef376f1a75d"));
	SHA256(ss.modulus, 384, mrsigner);
	hex(mrsigner, 32, h);
	CHECK(!strcmp(h, "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e"));
	CHECK(verify(s1));
	free(s1);

	test_q(VECTORS "fortanix-test_enclave.sig");
	test_q(VECTORS "fortanix-sig1.sigstruct.bin");
	test_einit(VECTORS "fortanix-test_enclave.sig");
	test_einit(VECTORS "fortanix-sig1.sigstruct.bin");

	/* measurement refuses out-of-range and misaligned offsets */
	struct sgx_sha256 sha = sha256_openssl();
	struct sgx_measure m;
	uint8_t mr[32];
	sgx_measure_ecreate(&m, &sha, 1, 1 << 20);
	sgx_measure_add_page(&m, 0, SGX_SECINFO_REG | SGX_SECINFO_R, NULL, true);
	CHECK(sgx_measure_finish(&m, mr) == 0);
	sgx_measure_ecreate(&m, &sha, 1, 1 << 20);
	sgx_measure_eadd(&m, 1 << 20, SGX_SECINFO_REG);
	CHECK(sgx_measure_finish(&m, mr) == -1);
	sgx_measure_ecreate(&m, &sha, 1, 1 << 20);
	sgx_measure_eadd(&m, 100, SGX_SECINFO_REG);
	CHECK(sgx_measure_finish(&m, mr) == -1);
	sgx_measure_ecreate(&m, &sha, 1, 3 << 12); /* not a power of two */
	CHECK(sgx_measure_finish(&m, mr) == -1);

	/* a run of EADDs is the same records as one EADD each (130: more than
	 * two batches), and refused if it leaves the enclave or is misaligned */
	uint8_t one[32];
	sgx_measure_ecreate(&m, &sha, 1, 1 << 20);
	for (unsigned i = 0; i < 130; i++)
		sgx_measure_eadd(&m, 8192 + i * 4096u, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W);
	CHECK(sgx_measure_finish(&m, one) == 0);
	sgx_measure_ecreate(&m, &sha, 1, 1 << 20);
	sgx_measure_eadd_run(&m, 8192, 130, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W);
	CHECK(sgx_measure_finish(&m, mr) == 0 && !memcmp(mr, one, 32));
	sgx_measure_ecreate(&m, &sha, 1, 1 << 20);
	sgx_measure_eadd_run(&m, (1 << 20) - 2 * 4096, 3, SGX_SECINFO_REG);
	CHECK(sgx_measure_finish(&m, mr) == -1);
	sgx_measure_ecreate(&m, &sha, 1, 1 << 20);
	sgx_measure_eadd_run(&m, 100, 1, SGX_SECINFO_REG);
	CHECK(sgx_measure_finish(&m, mr) == -1);

	/* XFRM values Coffer launches with */
	CHECK(sgx_xfrm_fault(0x3) == NULL && sgx_xfrm_fault(0x7) == NULL && sgx_xfrm_fault(0xe7) == NULL);
	CHECK(sgx_xfrm_fault(0x602e7) == NULL && sgx_xfrm_fault(0x60003) == NULL && sgx_xfrm_fault(0x203) == NULL);
	CHECK(sgx_xfrm_fault(0x1) && sgx_xfrm_fault(0x6) && sgx_xfrm_fault(0x27) && sgx_xfrm_fault(0xe3));
	CHECK(sgx_xfrm_fault(0x20003) && sgx_xfrm_fault(0xb) && sgx_xfrm_fault(0x80003));
	EVP_MD_CTX_free(sha.ctx);
	return CHECK_DONE();
}
