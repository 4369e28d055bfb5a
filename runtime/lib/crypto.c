/*
 * crypto.c - the runtime's small crypto interface (crypto.h): SIGSTRUCT
 * verification with BearSSL, SHA-256 for common/ code.
 */
#include <bearssl.h>

#include "crypto.h"

static void ops_init(void *ctx)
{
	rt_sha256_init(ctx);
}

static void ops_update(void *ctx, const void *p, size_t n)
{
	rt_sha256_update(ctx, p, n);
}

static void ops_final(void *ctx, uint8_t out[32])
{
	rt_sha256_final(ctx, out);
}

/* len is a multiple of 64: nothing is buffered */
static void ops_resume(void *ctx, const uint32_t h[8], uint64_t len)
{
	struct rt_sha256_ctx *c = ctx;
	for (int i = 0; i < 8; i++)
		c->h[i] = h[i];
	c->len = len;
}

struct sgx_sha256 rt_sha256_ops(struct rt_sha256_ctx *ctx)
{
	struct sgx_sha256 s = { ctx, ops_init, ops_update, ops_final, ops_resume };
	return s;
}

int rt_memcmp_ct(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= x[i] ^ y[i];
	return acc != 0;
}

int rt_sigstruct_verify(const uint8_t *ss)
{
	uint8_t n[SGX_RSA_SIZE], sig[SGX_RSA_SIZE], msg[256], want[32], got[32];
	static const uint8_t e[1] = { 3 };

	/* SGX stores the numbers little-endian; BearSSL reads big-endian */
	for (unsigned i = 0; i < SGX_RSA_SIZE; i++) {
		n[i] = ss[SS_MODULUS + SGX_RSA_SIZE - 1 - i];
		sig[i] = ss[SS_SIGNATURE + SGX_RSA_SIZE - 1 - i];
	}
	if (sgx_le32(ss + SS_EXPONENT) != 3)
		return -1;
	sgx_sigstruct_signed_bytes(ss, msg);
	rt_sha256(msg, sizeof msg, want);
	br_rsa_public_key pk = { n, sizeof n, (unsigned char *)e, sizeof e };
	br_rsa_pkcs1_vrfy vrfy = br_rsa_pkcs1_vrfy_get_default();
	if (!vrfy(sig, sizeof sig, BR_HASH_OID_SHA256, sizeof got, &pk, got))
		return -1;
	return rt_memcmp_ct(want, got, sizeof got) ? -1 : 0;
}

/* What BearSSL (built with the stack protector and _FORTIFY_SOURCE) needs
 * from a libc. */
void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	rt_panic("stack smashing detected in BearSSL");
}

int *__errno_location(void);
int *__errno_location(void)
{
	static int err; /* only written by code paths the runtime never uses */
	return &err;
}
