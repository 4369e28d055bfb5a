/*
 * crypto.h - the runtime's cryptography, on BearSSL (Debian libbearssl-dev,
 * linked statically into the enclave image) for RSA-3072 PKCS#1 v1.5
 * verification of SIGSTRUCTs; SHA-256 is our own (sha256.h), to use the
 * CPU's SHA instructions.
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

#include "sha256.h"

/* An sgx_sha256 over ctx, for common/ code (measurement). */
struct sgx_sha256 rt_sha256_ops(struct rt_sha256_ctx *ctx);

/* Verify a SIGSTRUCT's signature with its own modulus (exponent 3).
 * Returns 0 or -1. */
int rt_sigstruct_verify(const uint8_t *sigstruct);

/* Constant-time comparison; 0 if equal. */
int rt_memcmp_ct(const void *a, const void *b, size_t n);

#endif
