/* An sgx_aes128 for hosted tests, backed by OpenSSL (AES-128-ECB, one
 * block at a time). */
#ifndef COFFER_TEST_AES_OPENSSL_H
#define COFFER_TEST_AES_OPENSSL_H

#include <openssl/evp.h>
#include <stdlib.h>

#include "../../common/sgx.h"

static void ossl_aes_set_key(void *ctx, const uint8_t key[16])
{
	if (EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL) != 1)
		abort();
	EVP_CIPHER_CTX_set_padding(ctx, 0);
}

static void ossl_aes_encrypt(void *ctx, const uint8_t in[16], uint8_t out[16])
{
	int n;
	if (EVP_EncryptUpdate(ctx, out, &n, in, 16) != 1 || n != 16)
		abort();
}

static inline struct sgx_aes128 aes_openssl(void)
{
	struct sgx_aes128 a = { EVP_CIPHER_CTX_new(), ossl_aes_set_key, ossl_aes_encrypt };
	return a;
}

#endif
