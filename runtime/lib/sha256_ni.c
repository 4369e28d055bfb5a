/*
 * sha256_ni.c - SHA-256 compression with the x86 SHA extensions
 * (SHA256RNDS2, SHA256MSG1, SHA256MSG2; Intel SDM vol. 2, and Intel's
 * "Intel SHA Extensions" paper for how the state is laid out).
 *
 * Built apart from the rest of the runtime, with SSE4.1 and SHA enabled
 * (meson.build): the runtime proper is compiled without vector registers.
 */
#include <cpuid.h>
#include <immintrin.h>

#include "sha256.h"

int rt_sha256_ni_supported(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & bit_SHA) != 0;
}

void rt_sha256_blocks_ni(uint32_t h[8], const uint8_t *p, size_t n)
{
	/* big-endian message words */
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	/* The instructions want the state as ABEF and CDGH, A and C in the
	 * top lanes. */
	__m128i abcd = _mm_loadu_si128((const __m128i *)&h[0]); /* lanes 0..3: A B C D */
	__m128i efgh = _mm_loadu_si128((const __m128i *)&h[4]); /* E F G H */
	__m128i badc = _mm_shuffle_epi32(abcd, 0xb1);            /* B A D C */
	__m128i hgfe = _mm_shuffle_epi32(efgh, 0x1b);            /* H G F E */
	__m128i abef = _mm_alignr_epi8(badc, hgfe, 8);           /* F E B A */
	__m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xf0);        /* H G D C */

	for (; n; n--, p += 64) {
		__m128i save_abef = abef, save_cdgh = cdgh, w[4];
#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			__m128i m;
			if (g < 4) {
				m = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
			} else {
				/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at once */
				__m128i t = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
				t = _mm_add_epi32(t, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
				m = _mm_sha256msg2_epu32(t, w[(g + 3) & 3]);
			}
			w[g & 3] = m;
			__m128i wk = _mm_add_epi32(m, _mm_load_si128((const __m128i *)&rt_sha256_k[4 * g]));
			/* two rounds: cdgh receives the new ABEF; two more with the
			 * old ABEF as CDGH: abef is ABEF again, cdgh CDGH */
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
			wk = _mm_shuffle_epi32(wk, 0x0e);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
		}
		abef = _mm_add_epi32(abef, save_abef);
		cdgh = _mm_add_epi32(cdgh, save_cdgh);
	}
	__m128i abef_r = _mm_shuffle_epi32(abef, 0x1b); /* A B E F */
	__m128i cdgh_r = _mm_shuffle_epi32(cdgh, 0xb1); /* G H C D */
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(abef_r, cdgh_r, 0xf0)); /* A B C D */
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(cdgh_r, abef_r, 8));    /* E F G H */
}
