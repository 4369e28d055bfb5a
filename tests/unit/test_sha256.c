/*
 * test_sha256.c - runtime/lib/sha256.c against OpenSSL: both compression
 * functions (SHA-NI where the CPU has it), every length up to a few blocks,
 * input split at every point, and a large buffer.
 */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/lib/sha256.h"
#include "check.h"

static int same_as_openssl(const uint8_t *p, size_t n, size_t split)
{
	uint8_t want[32], got[32], one[32];
	struct rt_sha256_ctx c;

	SHA256(p, n, want);
	rt_sha256_init(&c);
	rt_sha256_update(&c, p, split);
	rt_sha256_update(&c, p + split, n - split);
	rt_sha256_final(&c, got);
	rt_sha256(p, n, one);
	return !memcmp(want, got, 32) && !memcmp(want, one, 32);
}

static void run(const char *name, const uint8_t *big, size_t bign)
{
	int bad = 0;
	for (size_t n = 0; n <= 200; n++)
		for (size_t split = 0; split <= n; split += (n > 130 ? 7 : 1))
			bad += !same_as_openssl(big, n, split);
	CHECK(bad == 0);
	CHECK(same_as_openssl(big, bign, 0));
	CHECK(same_as_openssl(big, bign, 12345));
	CHECK(same_as_openssl(big + 1, bign - 1, bign / 2)); /* unaligned */

	/* FIPS 180-4 example: "abc" */
	static const uint8_t abc[32] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
					 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
					 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	uint8_t out[32];
	rt_sha256("abc", 3, out);
	CHECK(!memcmp(out, abc, 32));
	printf("%s: checked\n", name);
}

int main(void)
{
	size_t bign = 3 << 20;
	uint8_t *big = malloc(bign);
	unsigned x = 12345;
	for (size_t i = 0; i < bign; i++) {
		x = x * 1103515245 + 12345;
		big[i] = (uint8_t)(x >> 16);
	}
	CHECK(rt_sha256_use(RT_SHA256_C) == RT_SHA256_C);
	run("portable C", big, bign);
	if (rt_sha256_use(RT_SHA256_NI) == RT_SHA256_NI)
		run("SHA-NI", big, bign);
	else
		printf("SHA-NI: this CPU has no SHA extensions; not checked\n");
	CHECK(rt_sha256_use(RT_SHA256_AUTO) == (rt_sha256_ni_supported() ? RT_SHA256_NI : RT_SHA256_C));
	free(big);
	return CHECK_DONE();
}
