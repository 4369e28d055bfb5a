/*
 * crypto.h - the runtime's cryptography, on BearSSL (Debian libbearssl-dev,
 * linked statically into the enclave image): SHA-256 for measurements and
 * trusted files, and RSA-3072 PKCS#1 v1.5 verification for SIGSTRUCTs.
 *
 * BearSSL is built by Debian with the stack protector, which reads a canary
 * at %fs:0x28. Before the application runs, the platform points %fs at a
 * block of its own; afterwards %fs is the application's thread pointer, whose
 * word at 0x28 is the libc's canary (glibc, musl) and stays put while a
 * runtime call runs. BearSSL also uses vector registers: callers must be in a
 * context where the application's vector state is saved (a signal frame).
 */
#ifndef COFFER_RT_CRYPTO_H
#define COFFER_RT_CRYPTO_H

#include "../../common/sgx.h"
#include "rt.h"

struct rt_sha256_ctx {
	uint64_t opaque[14]; /* br_sha256_context */
};

void rt_sha256_init(struct rt_sha256_ctx *c);
void rt_sha256_update(struct rt_sha256_ctx *c, const void *data, size_t len);
void rt_sha256_final(struct rt_sha256_ctx *c, uint8_t out[32]);
void rt_sha256(const void *data, size_t len, uint8_t out[32]);

/* An sgx_sha256 over ctx, for common/ code (measurement). */
struct sgx_sha256 rt_sha256_ops(struct rt_sha256_ctx *ctx);

/* Verify a SIGSTRUCT's signature with its own modulus (exponent 3).
 * Returns 0 or -1. */
int rt_sigstruct_verify(const uint8_t *sigstruct);

/* Constant-time comparison; 0 if equal. */
int rt_memcmp_ct(const void *a, const void *b, size_t n);

#endif
