/*
 * cmac.c - AES-128-CMAC (RFC 4493, NIST SP 800-38B), over an AES-128 block
 * function the caller supplies (struct sgx_aes128 in sgx.h).
 *
 * SGX uses CMAC twice: as the key derivation function of EGETKEY and
 * EREPORT (a CMAC under the package key over the derivation data) and as
 * the REPORT MAC. Both messages are short and whole in memory, so there is
 * only a one-shot function. Freestanding, no allocation; the subkeys and
 * the chaining value are wiped before return.
 */
#include "sgx.h"

#include "cstring.h"


/* Multiply by x in GF(2^128) (RFC 4493, "Generate_Subkey"): shift left one
 * bit, and if a bit fell out xor Rb = 0x87 into the last byte. Constant
 * time: the condition becomes a mask. */
static void dbl(uint8_t b[16])
{
	uint8_t carry = b[0] >> 7;
	for (int i = 0; i < 15; i++)
		b[i] = (uint8_t)(b[i] << 1 | b[i + 1] >> 7);
	b[15] = (uint8_t)(b[15] << 1 ^ (0x87 & -carry));
}

void sgx_cmac(const struct sgx_aes128 *aes, const uint8_t key[16], const void *msg, size_t len,
	      uint8_t mac[16])
{
	const uint8_t *m = msg;
	uint8_t k[16], x[16];
	size_t i, n = len ? (len + 15) / 16 : 1; /* blocks, the last may be partial */

	aes->set_key(aes->ctx, key);
	memset(k, 0, sizeof k);
	aes->encrypt(aes->ctx, k, k); /* L = AES(K, 0) */
	dbl(k);                       /* K1 */
	bool complete = len && len % 16 == 0;
	if (!complete)
		dbl(k); /* K2 for a padded last block */

	memset(x, 0, sizeof x);
	for (i = 0; i + 1 < n; i++) {
		for (int j = 0; j < 16; j++)
			x[j] ^= m[16 * i + j];
		aes->encrypt(aes->ctx, x, x);
	}
	/* the last block: whole, xor K1; or padded with 10*, xor K2 */
	size_t rest = len - 16 * i;
	for (size_t j = 0; j < 16; j++) {
		uint8_t b = j < rest ? m[16 * i + j] : j == rest ? 0x80 : 0;
		x[j] ^= b ^ k[j];
	}
	aes->encrypt(aes->ctx, x, mac);
	sgx_wipe(k, sizeof k);
	sgx_wipe(x, sizeof x);
}
