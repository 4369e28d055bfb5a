/*
 * layout.c - how long measuring an enclave takes (common/layout.c): the
 * direct platform's start-up computation, for enclave sizes from 256 MiB to
 * 32 GiB with 64 threads, hashing every heap record ("full") and resuming
 * from the direct platform's table of heap midstates ("table"), with the
 * runtime's SHA-256 (SHA-NI where the CPU has it). Prints the best of 5.
 * docs/platforms.md, "What MRENCLAVE covers, and what it costs".
 *
 * Usage: bench_layout build/coffer-enclave
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/layout.h"
#include "../platform/direct/midstates.h"
#include "../runtime/lib/sha256.h"

static void s_init(void *c) { rt_sha256_init(c); }
static void s_update(void *c, const void *p, size_t n) { rt_sha256_update(c, p, n); }
static void s_final(void *c, uint8_t out[32]) { rt_sha256_final(c, out); }
static void s_resume(void *c, const uint32_t h[8], uint64_t len)
{
	struct rt_sha256_ctx *x = c;
	memcpy(x->h, h, 32);
	x->len = len;
}

int main(int argc, char **argv)
{
	static uint8_t img[16 << 20], man[20000];
	struct rt_sha256_ctx ctx;
	FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;

	if (!f) {
		fprintf(stderr, "usage: bench_layout ENCLAVE-IMAGE\n");
		return 2;
	}
	size_t n = fread(img, 1, sizeof img, f);
	fclose(f);
	for (int table = 0; table < 2; table++) {
		struct sgx_sha256 sha = { &ctx, s_init, s_update, s_final, table ? s_resume : NULL };
		for (uint64_t size = 256ULL << 20; size <= 32ULL << 30; size <<= 1) {
			struct layout_params p = {
				.image = img, .image_len = n, .manifest = man, .manifest_len = sizeof man,
				.size = size, .threads = 64, .attributes = SGX_FLAGS_MODE64BIT,
				.xfrm = SGX_XFRM_LEGACY, .sha = &sha, .midstates = direct_midstates,
				.nmidstates = direct_nmidstates,
			};
			struct layout_result r;
			const char *why;
			double best = 1e30;
			for (int k = 0; k < 5; k++) {
				struct timespec a, b;
				clock_gettime(CLOCK_MONOTONIC, &a);
				if (layout_build(&p, NULL, NULL, &r, &why)) {
					fprintf(stderr, "bench_layout: %s\n", why);
					return 1;
				}
				clock_gettime(CLOCK_MONOTONIC, &b);
				double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
				best = ms < best ? ms : best;
			}
			printf("%s %6llu MiB  %8.2f ms\n", table ? "table" : "full ", (unsigned long long)(size >> 20),
			       best);
		}
	}
	return 0;
}
