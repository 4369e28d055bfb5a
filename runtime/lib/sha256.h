/*
 * sha256.h - SHA-256 for the runtime (FIPS 180-4): measurements, trusted
 * files, SIGSTRUCT digests.
 *
 * Two compression functions: the x86 SHA extensions (SHA-NI, in
 * sha256_ni.c, about ten times faster) where the CPU has them, portable C
 * otherwise. The choice is made once, from CPUID. Hashing trusted files is
 * most of a signed enclave's start-up, so the difference shows.
 *
 * The SHA-NI code uses XMM registers, which hold the application's values
 * when a call came through a patched call site (no signal frame saved them):
 * sha256.c saves and restores XMM0-15 around it. It executes no VEX-encoded
 * instruction, so the upper halves of the YMM/ZMM registers are untouched.
 */
#ifndef COFFER_RT_SHA256_H
#define COFFER_RT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct rt_sha256_ctx {
	uint32_t h[8];
	uint64_t len; /* bytes so far */
	uint8_t buf[64];
};

void rt_sha256_init(struct rt_sha256_ctx *c);
void rt_sha256_update(struct rt_sha256_ctx *c, const void *data, size_t len);
void rt_sha256_final(struct rt_sha256_ctx *c, uint8_t out[32]);
void rt_sha256(const void *data, size_t len, uint8_t out[32]);

/* Which compression function runs: RT_SHA256_AUTO (CPUID decides, the
 * default), or one forced (tests). Returns the one now in use, or -1 if the
 * forced one is not available on this CPU. */
enum { RT_SHA256_AUTO, RT_SHA256_C, RT_SHA256_NI };
int rt_sha256_use(int which);

/* The round constants, 16-byte aligned. */
extern const uint32_t rt_sha256_k[64];

/* The compression functions: n 64-byte blocks into h. */
void rt_sha256_blocks_c(uint32_t h[8], const uint8_t *p, size_t n);
void rt_sha256_blocks_ni(uint32_t h[8], const uint8_t *p, size_t n);
int rt_sha256_ni_supported(void);

#endif
