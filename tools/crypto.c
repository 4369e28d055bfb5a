/*
 * crypto.c - OpenSSL 3 for SGX signing (crypto.h).
 *
 * SGX stores RSA numbers little-endian; OpenSSL works big-endian: every
 * conversion goes through BN_lebin2bn / BN_bn2lebinpad. Q1 and Q2 let the
 * CPU check the signature without a division (SDM, EINIT):
 *   Q1 = floor(S^2 / M)      Q2 = floor((S^3 - Q1 * S * M) / M)
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"

static void ossl_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];
	ERR_error_string_n(e, buf, sizeof buf);
	fprintf(stderr, "coffer: %s: %s\n", what, e ? buf : "failed");
}

int key_generate(const char *path, int force)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;
	BIGNUM *e = BN_new();
	int rc = -1;

	BN_set_word(e, 3);
	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072) <= 0 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 || EVP_PKEY_generate(ctx, &key) <= 0) {
		ossl_error("generating an RSA-3072 key");
		goto out;
	}
	/* A new file, mode 0600, never through a symlink: with --force the old
	 * name is removed first, so its permissions and any link it was do not
	 * carry over to the private key. */
	if (force && unlink(path) && errno != ENOENT) {
		fprintf(stderr, "coffer: %s: %s\n", path, strerror(errno));
		goto out;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "coffer: %s: %s%s\n", path, strerror(errno),
			errno == EEXIST ? " (use --force to replace it)" : "");
		goto out;
	}
	FILE *f = fdopen(fd, "w");
	if (!f || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) || fclose(f)) {
		ossl_error(path);
		goto out;
	}
	rc = 0;
out:
	BN_free(e);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* A passphrase callback that never asks: a key is read without a terminal,
 * and an encrypted one is reported as such. */
static int no_passphrase(char *buf, int size, int rwflag, void *asked)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(bool *)asked = true;
	return -1;
}

#define KEY_HINT "SGX needs an RSA-3072 key with exponent 3 (make one with coffer keygen)"

EVP_PKEY *key_load(const char *path)
{
	struct stat st;
	bool asked = false;
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "coffer: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
		fprintf(stderr, "coffer: %s: %s; --key names a private key file in PEM: " KEY_HINT "\n", path,
			S_ISDIR(st.st_mode) ? "Is a directory" : "not a regular file");
		fclose(f);
		return NULL;
	}
	EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, no_passphrase, &asked);
	fclose(f);
	ERR_clear_error();
	if (!key) {
		if (asked)
			fprintf(stderr, "coffer: %s: the private key is encrypted with a passphrase; coffer reads "
					"unencrypted PEM keys only\n",
				path);
		else
			fprintf(stderr, "coffer: %s: not a PEM private key; " KEY_HINT "\n", path);
		return NULL;
	}
	BIGNUM *e = NULL;
	int ok = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) == 3072 &&
		 EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) && BN_is_word(e, 3);
	BN_free(e);
	if (!ok) {
		fprintf(stderr, "coffer: %s: " KEY_HINT "\n", path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/* Q1 and Q2 for signature s and modulus m, little-endian into ss. */
static int put_q1q2(uint8_t *ss, const BIGNUM *s, const BIGNUM *m)
{
	BN_CTX *bc = BN_CTX_new();
	BIGNUM *q1 = BN_new(), *q2 = BN_new(), *t = BN_new(), *u = BN_new();
	int ok = bc && q1 && q2 && t && u && BN_sqr(t, s, bc) && BN_div(q1, NULL, t, m, bc) && /* q1 = s^2 / m */
		 BN_mul(t, t, s, bc) &&                                                         /* t = s^3 */
		 BN_mul(u, q1, s, bc) && BN_mul(u, u, m, bc) &&                                 /* u = q1*s*m */
		 BN_sub(t, t, u) && BN_div(q2, NULL, t, m, bc) &&
		 BN_bn2lebinpad(q1, ss + SS_Q1, SGX_RSA_SIZE) == SGX_RSA_SIZE &&
		 BN_bn2lebinpad(q2, ss + SS_Q2, SGX_RSA_SIZE) == SGX_RSA_SIZE;
	BN_free(q1);
	BN_free(q2);
	BN_free(t);
	BN_free(u);
	BN_CTX_free(bc);
	return ok ? 0 : -1;
}

int sigstruct_sign(uint8_t ss[SIGSTRUCT_SIZE], EVP_PKEY *key)
{
	BIGNUM *n = NULL, *s = NULL;
	uint8_t msg[256], sig[SGX_RSA_SIZE];
	size_t siglen = sizeof sig;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    BN_bn2lebinpad(n, ss + SS_MODULUS, SGX_RSA_SIZE) != SGX_RSA_SIZE)
		goto out;
	sgx_put_le32(ss + SS_EXPONENT, 3);
	sgx_sigstruct_signed_bytes(ss, msg);
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) <= 0 ||
	    EVP_DigestSign(md, sig, &siglen, msg, sizeof msg) <= 0 || siglen != SGX_RSA_SIZE)
		goto out;
	s = BN_bin2bn(sig, (int)siglen, NULL);
	if (!s || BN_bn2lebinpad(s, ss + SS_SIGNATURE, SGX_RSA_SIZE) != SGX_RSA_SIZE || put_q1q2(ss, s, n))
		goto out;
	rc = 0;
out:
	if (rc)
		ossl_error("signing the SIGSTRUCT");
	BN_free(n);
	BN_free(s);
	EVP_MD_CTX_free(md);
	return rc;
}

int sigstruct_verify(const uint8_t ss[SIGSTRUCT_SIZE], const char **why)
{
	BIGNUM *n = BN_lebin2bn(ss + SS_MODULUS, SGX_RSA_SIZE, NULL), *e = BN_new();
	BIGNUM *s = BN_lebin2bn(ss + SS_SIGNATURE, SGX_RSA_SIZE, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t msg[256], sig[SGX_RSA_SIZE];
	int rc = -1;

	*why = "the signature does not verify with the SIGSTRUCT's modulus";
	BN_set_word(e, 3);
	sgx_sigstruct_signed_bytes(ss, msg);
	if (!n || !s || !bld || !pc || !md || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) || !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    EVP_PKEY_fromdata_init(pc) <= 0 || EVP_PKEY_fromdata(pc, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0 ||
	    BN_bn2binpad(s, sig, SGX_RSA_SIZE) != SGX_RSA_SIZE ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) <= 0 ||
	    EVP_DigestVerify(md, sig, sizeof sig, msg, sizeof msg) != 1)
		goto out;
	if (sgx_sigstruct_check_q(ss, why))
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	BN_free(n);
	BN_free(e);
	BN_free(s);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(pc);
	EVP_MD_CTX_free(md);
	return rc;
}

void sha256(const void *data, size_t len, uint8_t out[32])
{
	EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL);
}

static void ops_init(void *ctx)
{
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
}

static void ops_update(void *ctx, const void *p, size_t n)
{
	EVP_DigestUpdate(ctx, p, n);
}

static void ops_final(void *ctx, uint8_t out[32])
{
	EVP_DigestFinal_ex(ctx, out, NULL);
}

struct sgx_sha256 sha256_ops(void)
{
	struct sgx_sha256 s = { EVP_MD_CTX_new(), ops_init, ops_update, ops_final, NULL }; /* no resume: EVP has no midstate API */
	return s;
}

void sha256_ops_free(struct sgx_sha256 *s)
{
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
}
