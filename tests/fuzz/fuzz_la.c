/*
 * fuzz_la.c - libFuzzer target for what the host can feed local attestation
 * (runtime/attest/la.c): the handshake messages and the channel's frames,
 * with the software EREPORT/EGETKEY (common/sgxkeys.c) behind la_ops.
 *
 * Everything is deterministic per input (a fixed simulated CPU secret and
 * identity, a fixed stream as "random" bytes), so the genuine messages of a
 * run are known, and the invariant is exact: a side accepts a message if
 * and only if it is the genuine one. The first input byte picks the mode:
 *   0: the genuine M2 with the rest of the input xored over its start,
 *      given to the initiator: accepted exactly when unchanged;
 *   1: the same for M3, given to the responder;
 *   2: after a genuine handshake, the input as a stream of frames for the
 *      responder's channel;
 *   3: a genuine stream of frames (payload lengths from the input, ending
 *      with CLOSE) with the rest of the input xored over it: the receiver
 *      accepts at least the frames before the first changed one, all of
 *      them and la_finish succeeds when nothing changed.
 * In modes 2 and 3 every frame the receiver accepts must be byte for byte
 * the frame the sender's key makes for its type, payload and place in the
 * stream (resealed by a copy of the sender): authenticity. That, not "only
 * the frames of this run", is the property: the keys are the same in every
 * run, and libFuzzer learns genuine frames of other runs from this
 * harness's own comparisons, then replays them, which is no forgery.
 * A broken invariant aborts with its line. Built and run by
 * scripts/fuzz.sh; seeds in tests/fuzz/corpus/la.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/attest/la.h"

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "fuzz_la.c:%d: %s\n", __LINE__, #c);   \
			abort();                                               \
		}                                                              \
	} while (0)

static struct la_aes aes_ctx;
static struct sgx_aes128 aes;
static struct sgx_sim_root root;
static struct sgx_enclave_identity id;
static uint64_t rng;

static void sim_ereport(void *ctx, const uint8_t ti[512], const uint8_t rd[64], uint8_t report[432])
{
	(void)ctx;
	sgx_sim_ereport(&aes, &root, &id, ti, rd, report);
}

static int sim_egetkey(void *ctx, const uint8_t kr[512], uint8_t key[16])
{
	(void)ctx;
	return sgx_sim_egetkey(&aes, &root, &id, kr, key);
}

static int fixed_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		((uint8_t *)buf)[i] = (uint8_t)rng;
	}
	return 0;
}

static const struct la_ops ops = { NULL, sim_ereport, sim_egetkey, fixed_random };

static void xor_in(uint8_t *msg, size_t len, const uint8_t *d, size_t n, int *changed)
{
	*changed = 0;
	for (size_t i = 0; i < n && i < len; i++) {
		msg[i] ^= d[i];
		*changed |= d[i] != 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
/* The genuine run, made once (it is the same for every input): the
 * sessions after M2, the genuine M3, and both channels. */
static uint8_t g_m1[LA_M1_SIZE], g_m2[LA_M2_SIZE], g_m3[LA_M3_SIZE];
static struct la_session g_si, g_sr;
static struct la_channel g_ci, g_cr;

static void genuine_run(void)
{
	static int done;
	struct la_session si, sr;

	if (done)
		return;
	done = 1;
	aes = la_aes128(&aes_ctx);
	memset(&root, 0x42, sizeof root);
	memset(&id, 0, sizeof id);
	memset(id.mrenclave, 0x11, 32);
	memset(id.mrsigner, 0x22, 32);
	id.attr_flags = SGX_FLAGS_INIT | SGX_FLAGS_MODE64BIT;
	id.attr_xfrm = 3;
	rng = 0x9e3779b97f4a7c15ull;
	ASSERT(la_initiator_start(&g_si, &ops, g_m1) == 0);
	ASSERT(la_responder_reply(&g_sr, &ops, g_m1, g_m2) == 0);
	si = g_si;
	sr = g_sr;
	ASSERT(la_initiator_finish(&si, g_m2, g_m3, &g_ci) == 0);
	ASSERT(la_responder_finish(&sr, g_m3, &g_cr) == 0);
}

/* The frame the sender's key makes for (type, payload) at the mirror's
 * place in the stream is the frame that was accepted. */
static void authentic(struct la_channel *mirror, int type, const uint8_t *payload, size_t plen,
		      const uint8_t *frame, size_t fl)
{
	static uint8_t again[8192];
	ssize_t l = la_seal(mirror, (uint8_t)type, payload, plen, again);
	ASSERT(l >= 0 && (size_t)l == fl && !memcmp(again, frame, fl));
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static uint8_t m2[LA_M2_SIZE], m3[LA_M3_SIZE], buf[8192], out[8192];
	struct la_session si, sr;
	struct la_channel ci, cr;
	int changed;
	size_t got;

	if (n < 1)
		return 0;
	genuine_run();
	si = g_si;
	sr = g_sr;
	ci = g_ci;
	cr = g_cr;
	memcpy(m2, g_m2, sizeof m2);
	memcpy(m3, g_m3, sizeof m3);
	int mode = d[0] % 4;
	d++, n--;

	if (mode == 0) {
		xor_in(m2, sizeof m2, d, n, &changed);
		int rc = la_initiator_finish(&si, m2, m3, &ci);
		ASSERT((rc == 0) == !changed);
		return 0;
	}
	if (mode == 1) {
		xor_in(m3, sizeof m3, d, n, &changed);
		int rc = la_responder_finish(&sr, m3, &cr);
		ASSERT((rc == 0) == !changed);
		return 0;
	}

	struct la_channel mirror = g_ci; /* the sender, for resealing */
	if (mode == 2) {
		bool closed = false;
		while (n >= LA_HDR_SIZE) {
			ssize_t fl = la_frame_size(d);
			if (fl < 0 || (size_t)fl > n || (size_t)fl > sizeof buf)
				break;
			int type = la_open(&cr, d, (size_t)fl, out, &got);
			if (type >= 0)
				authentic(&mirror, type, out, got, d, (size_t)fl);
			closed = type == LA_TYPE_CLOSE; /* a failure after CLOSE fails the channel */
			d += fl, n -= (size_t)fl;
		}
		ASSERT((la_finish(&cr) == 0) == closed);
		return 0;
	}

	/* mode 3: up to 8 genuine frames, lengths from the input, then CLOSE */
	size_t starts[10], len = 0, frames = 0;
	unsigned k = n ? d[0] % 8 : 0;
	if (n)
		d++, n--;
	for (unsigned f = 0; f < k && n; f++) {
		size_t plen = d[0] % 64;
		d++, n--;
		if (plen > n)
			plen = n;
		starts[frames++] = len;
		ssize_t fl = la_seal(&ci, (uint8_t)f, d, plen, buf + len);
		ASSERT(fl > 0);
		len += (size_t)fl;
		d += plen, n -= plen;
	}
	starts[frames++] = len;
	ASSERT(la_close(&ci, buf + len) == LA_OVERHEAD);
	len += LA_OVERHEAD;
	starts[frames] = len;

	uint8_t genuine[sizeof buf];
	memcpy(genuine, buf, len);
	xor_in(buf, len, d, n, &changed);
	size_t first_bad = frames;
	for (size_t f = 0; f < frames; f++)
		if (memcmp(buf + starts[f], genuine + starts[f], starts[f + 1] - starts[f])) {
			first_bad = f;
			break;
		}
	/* the receiver reads the stream as a stream: sizes from the headers */
	size_t off = 0, accepted = 0;
	bool closed = false;
	while (len - off >= LA_HDR_SIZE) {
		ssize_t fl = la_frame_size(buf + off);
		if (fl < 0 || (size_t)fl > len - off)
			break;
		int type = la_open(&cr, buf + off, (size_t)fl, out, &got);
		if (type < 0)
			break;
		authentic(&mirror, type, out, got, buf + off, (size_t)fl);
		closed = type == LA_TYPE_CLOSE;
		accepted++;
		off += (size_t)fl;
	}
	ASSERT(accepted >= first_bad);
	int fin = la_finish(&cr);
	ASSERT((fin == 0) == closed);
	ASSERT(first_bad < frames || (accepted == frames && fin == 0));
	return 0;
}
