/*
 * crypto.h - the tools' OpenSSL side of SGX signing: RSA-3072 keys with
 * exponent 3, SIGSTRUCT signatures (PKCS#1 v1.5 over SHA-256 of the signed
 * bytes) with their Q1 and Q2, and SHA-256 for the measurement code.
 */
#ifndef COFFER_TOOLS_CRYPTO_H
#define COFFER_TOOLS_CRYPTO_H

#include <openssl/evp.h>
#include <stdint.h>

#include "../common/sgx.h"

/* Generate an RSA-3072 key with exponent 3 into a new PEM file (mode 0600).
 * Returns 0, or -1 after a message on stderr. */
int key_generate(const char *path, int force);
/* Load a private key and check it is what SGX requires; NULL after a message. */
EVP_PKEY *key_load(const char *path);
/* Fill MODULUS and EXPONENT from key, sign, and fill SIGNATURE, Q1, Q2. */
int sigstruct_sign(uint8_t ss[SIGSTRUCT_SIZE], EVP_PKEY *key);
/* Check the signature against the SIGSTRUCT's own modulus, then Q1 and Q2
 * against the signature as EINIT does (sgx_sigstruct_check_q, the check the
 * enclave makes too): 0, or -1 with a static reason. */
int sigstruct_verify(const uint8_t ss[SIGSTRUCT_SIZE], const char **why);
void sha256(const void *data, size_t len, uint8_t out[32]);
/* An sgx_sha256 backed by OpenSSL (free with sha256_ops_free). */
struct sgx_sha256 sha256_ops(void);
void sha256_ops_free(struct sgx_sha256 *s);

#endif
