/* An sgx_sha256 for hosted tests, backed by OpenSSL. */
#ifndef COFFER_TEST_SHA256_OPENSSL_H
#define COFFER_TEST_SHA256_OPENSSL_H

#include <openssl/evp.h>

#include "../../common/sgx.h"

static void ossl_init(void *ctx)
{
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
}

static void ossl_update(void *ctx, const void *p, size_t n)
{
	EVP_DigestUpdate(ctx, p, n);
}

static void ossl_final(void *ctx, uint8_t out[32])
{
	EVP_DigestFinal_ex(ctx, out, NULL);
}

static inline struct sgx_sha256 sha256_openssl(void)
{
	struct sgx_sha256 s = { EVP_MD_CTX_new(), ossl_init, ossl_update, ossl_final, NULL };
	return s;
}

#endif
