/*
 * sha256.c - SHA-256 (sha256.h): the padding, the context and the portable
 * compression function.
 */
#include "sha256.h"

/* the round constants; 16-byte aligned for sha256_ni.c */
const uint32_t rt_sha256_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void rt_sha256_blocks_c(uint32_t h[8], const uint8_t *p, size_t n)
{
	for (; n; n--, p += 64) {
		uint32_t w[64], s[8];
		for (int i = 0; i < 16; i++)
			w[i] = be32(p + 4 * i);
		for (int i = 16; i < 64; i++) {
			uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
			uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
			w[i] = w[i - 16] + s0 + w[i - 7] + s1;
		}
		for (int i = 0; i < 8; i++)
			s[i] = h[i];
		for (int i = 0; i < 64; i++) {
			uint32_t e = s[4], a = s[0];
			uint32_t t1 = s[7] + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & s[5]) ^ (~e & s[6])) + rt_sha256_k[i] + w[i];
			uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & s[1]) ^ (a & s[2]) ^ (s[1] & s[2]));
			s[7] = s[6];
			s[6] = s[5];
			s[5] = s[4];
			s[4] = s[3] + t1;
			s[3] = s[2];
			s[2] = s[1];
			s[1] = s[0];
			s[0] = t1 + t2;
		}
		for (int i = 0; i < 8; i++)
			h[i] += s[i];
	}
}

/* 0: not chosen yet; then RT_SHA256_C or RT_SHA256_NI. Written once at
 * start (every thread would write the same value anyway). */
static int mode;

int rt_sha256_use(int which)
{
	if (which == RT_SHA256_AUTO)
		which = rt_sha256_ni_supported() ? RT_SHA256_NI : RT_SHA256_C;
	else if (which == RT_SHA256_NI && !rt_sha256_ni_supported())
		return -1;
	__atomic_store_n(&mode, which, __ATOMIC_RELAXED);
	return which;
}

/* SHA-NI with the application's XMM registers kept (sha256.h). The save
 * area's loads and stores are written out: this file is compiled without
 * vector registers, so the compiler itself never touches them. */
static void blocks_ni(uint32_t h[8], const uint8_t *p, size_t n)
{
	uint8_t save[256] __attribute__((aligned(16)));

	__asm__ volatile("movdqa %%xmm0, 0(%0)\n\tmovdqa %%xmm1, 16(%0)\n\t"
			 "movdqa %%xmm2, 32(%0)\n\tmovdqa %%xmm3, 48(%0)\n\t"
			 "movdqa %%xmm4, 64(%0)\n\tmovdqa %%xmm5, 80(%0)\n\t"
			 "movdqa %%xmm6, 96(%0)\n\tmovdqa %%xmm7, 112(%0)\n\t"
			 "movdqa %%xmm8, 128(%0)\n\tmovdqa %%xmm9, 144(%0)\n\t"
			 "movdqa %%xmm10, 160(%0)\n\tmovdqa %%xmm11, 176(%0)\n\t"
			 "movdqa %%xmm12, 192(%0)\n\tmovdqa %%xmm13, 208(%0)\n\t"
			 "movdqa %%xmm14, 224(%0)\n\tmovdqa %%xmm15, 240(%0)"
			 :
			 : "r"(save)
			 : "memory");
	rt_sha256_blocks_ni(h, p, n);
	__asm__ volatile("movdqa 0(%0), %%xmm0\n\tmovdqa 16(%0), %%xmm1\n\t"
			 "movdqa 32(%0), %%xmm2\n\tmovdqa 48(%0), %%xmm3\n\t"
			 "movdqa 64(%0), %%xmm4\n\tmovdqa 80(%0), %%xmm5\n\t"
			 "movdqa 96(%0), %%xmm6\n\tmovdqa 112(%0), %%xmm7\n\t"
			 "movdqa 128(%0), %%xmm8\n\tmovdqa 144(%0), %%xmm9\n\t"
			 "movdqa 160(%0), %%xmm10\n\tmovdqa 176(%0), %%xmm11\n\t"
			 "movdqa 192(%0), %%xmm12\n\tmovdqa 208(%0), %%xmm13\n\t"
			 "movdqa 224(%0), %%xmm14\n\tmovdqa 240(%0), %%xmm15"
			 :
			 : "r"(save)
			 : "memory");
}

static void blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
	int m = __atomic_load_n(&mode, __ATOMIC_RELAXED);
	if (!m)
		m = rt_sha256_use(RT_SHA256_AUTO);
	if (m == RT_SHA256_NI)
		blocks_ni(h, p, n);
	else
		rt_sha256_blocks_c(h, p, n);
}

void rt_sha256_init(struct rt_sha256_ctx *c)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	for (int i = 0; i < 8; i++)
		c->h[i] = iv[i];
	c->len = 0;
}

void rt_sha256_update(struct rt_sha256_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t have = (size_t)(c->len & 63);

	c->len += len;
	if (have) {
		size_t take = 64 - have < len ? 64 - have : len;
		for (size_t i = 0; i < take; i++)
			c->buf[have + i] = p[i];
		p += take;
		len -= take;
		if (have + take < 64)
			return;
		blocks(c->h, c->buf, 1);
	}
	if (len >= 64) {
		blocks(c->h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	for (size_t i = 0; i < len; i++)
		c->buf[i] = p[i];
}

void rt_sha256_final(struct rt_sha256_ctx *c, uint8_t out[32])
{
	uint64_t bits = c->len * 8;
	size_t have = (size_t)(c->len & 63);
	uint8_t pad[72] = { 0x80 };
	size_t n = (have < 56 ? 56 : 120) - have;

	for (int i = 0; i < 8; i++)
		pad[n + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
	rt_sha256_update(c, pad, n + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
}

void rt_sha256(const void *data, size_t len, uint8_t out[32])
{
	struct rt_sha256_ctx c;
	rt_sha256_init(&c);
	rt_sha256_update(&c, data, len);
	rt_sha256_final(&c, out);
}
