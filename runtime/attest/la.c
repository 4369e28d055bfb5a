/*
 * la.c - local attestation and the channel it keys (la.h says the protocol
 * and why each check is there).
 *
 * Order of checks on a peer's REPORT: the MAC first (until it verifies,
 * nothing in the report is the CPU's word), then the REPORTDATA binding to
 * this session, then the identity. Every failure ends the session and
 * wipes its secrets; a session is good for one handshake.
 */
#include <bearssl.h>

#include "la.h"

enum { LA_FRESH, LA_SENT_M1, LA_SENT_M2, LA_DONE };

static const char label_r[] = "coffer-la1 responder";
static const char label_i[] = "coffer-la1 initiator";
static const char label_keys[] = "coffer-la1 channel keys";

/* ---- AES-128 for the REPORT MAC, on BearSSL ----------------------------- */

/* One block of AES-128 = CBC encryption of that block under a zero IV. */
static void aes_set_key(void *ctx, const uint8_t key[16])
{
	struct la_aes *a = ctx;
	a->vt = br_aes_x86ni_cbcenc_get_vtable();
	if (!a->vt)
		a->vt = &br_aes_ct_cbcenc_vtable;
	a->vt->init(&a->keys.vtable, key, 16);
}

static void aes_encrypt(void *ctx, const uint8_t in[16], uint8_t out[16])
{
	struct la_aes *a = ctx;
	uint8_t iv[16] = { 0 };
	memmove(out, in, 16);
	a->vt->run(&a->keys.vtable, iv, out, 16);
}

struct sgx_aes128 la_aes128(struct la_aes *a)
{
	struct sgx_aes128 aes = { a, aes_set_key, aes_encrypt };
	return aes;
}

/* ---- the handshake -------------------------------------------------------- */

static int fail(struct la_session *s, int err, const char *why)
{
	s->why = why;
	s->state = LA_DONE;
	sgx_wipe(s->sk, sizeof s->sk);
	return err;
}

/* Our own REPORT (for identity and TARGETINFO) and a fresh key pair. */
static int begin(struct la_session *s, const struct la_ops *ops, uint8_t q[LA_POINT_SIZE])
{
	static const uint8_t zero_ti[SGX_TARGETINFO_SIZE], zero_rd[SGX_REPORTDATA_SIZE];
	br_hmac_drbg_context drbg;
	br_ec_private_key sk;
	br_ec_public_key pk;
	uint8_t seed[32], kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];

	memset(s, 0, sizeof *s);
	s->ops = ops;
	ops->ereport(ops->ctx, zero_ti, zero_rd, s->self_report);
	if (ops->random(ops->ctx, seed, sizeof seed))
		return fail(s, -EIO, "no random bytes for the ECDH key");
	br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof seed);
	sgx_wipe(seed, sizeof seed);
	size_t n = br_ec_keygen(&drbg.vtable, &br_ec_p256_m15, &sk, kbuf, BR_EC_secp256r1);
	sgx_wipe(&drbg, sizeof drbg);
	if (n == sizeof s->sk)
		memcpy(s->sk, kbuf, sizeof s->sk);
	sgx_wipe(kbuf, sizeof kbuf); /* on every path: BearSSL wrote the private scalar there */
	if (n != sizeof s->sk)
		return fail(s, -EIO, "ECDH key generation failed");
	sk.x = s->sk;
	if (br_ec_compute_pub(&br_ec_p256_m15, &pk, q, &sk) != LA_POINT_SIZE)
		return fail(s, -EIO, "ECDH public key computation failed");
	return 0;
}

/* SHA-256(label | a | b | c) into rd, the rest of rd zero. */
static void bind(uint8_t rd[SGX_REPORTDATA_SIZE], const char *label, const void *a, size_t alen, const void *b,
		 size_t blen, const void *c, size_t clen)
{
	br_sha256_context h;
	br_sha256_init(&h);
	br_sha256_update(&h, label, strlen(label));
	br_sha256_update(&h, a, alen);
	br_sha256_update(&h, b, blen);
	br_sha256_update(&h, c, clen);
	memset(rd, 0, SGX_REPORTDATA_SIZE);
	br_sha256_out(&h, rd);
}

/* The checks on a peer's REPORT made for us. */
static int check_peer(struct la_session *s, const uint8_t r[SGX_REPORT_SIZE], const uint8_t want_rd[64])
{
	uint8_t kr[SGX_KEYREQUEST_SIZE], key[16];
	struct la_aes a;
	struct sgx_aes128 aes = la_aes128(&a);

	sgx_keyrequest_report(r, kr);
	if (s->ops->egetkey(s->ops->ctx, kr, key))
		return fail(s, -EIO, "EGETKEY refused our REPORT_KEY");
	int bad = sgx_report_check_mac(&aes, key, r);
	sgx_wipe(key, sizeof key);
	sgx_wipe(&a, sizeof a);
	if (bad)
		return fail(s, -EACCES, "the peer's REPORT MAC does not verify: not made by this CPU for this enclave");
	if (memcmp(r + RP_REPORTDATA, want_rd, SGX_REPORTDATA_SIZE))
		return fail(s, -EACCES, "the peer's REPORTDATA does not bind this session's keys (a replayed or substituted message)");
	if (memcmp(r + RP_MRENCLAVE, s->self_report + RP_MRENCLAVE, 32))
		return fail(s, -EACCES, "the peer enclave's MRENCLAVE differs from ours");
	if (memcmp(r + RP_MRSIGNER, s->self_report + RP_MRSIGNER, 32))
		return fail(s, -EACCES, "the peer enclave's MRSIGNER differs from ours");
	if (memcmp(r + RP_ATTRIBUTES, s->self_report + RP_ATTRIBUTES, 16))
		return fail(s, -EACCES, "the peer enclave's ATTRIBUTES differ from ours");
	if (memcmp(r, s->self_report, RP_REPORTDATA))
		return fail(s, -EACCES, "the peer enclave's identity (SVNs, product or config ids, MISCSELECT) differs from ours");
	return 0;
}

/* Channel keys from the ECDH secret with the peer's point and the
 * transcript hash; the initiator sends with the first key. */
static int derive(struct la_session *s, const uint8_t peer_q[LA_POINT_SIZE], const uint8_t *m3, bool initiator,
		  struct la_channel *c)
{
	uint8_t pt[LA_POINT_SIZE], th[32], okm[64];
	br_sha256_context h;
	br_hkdf_context hk;

	memcpy(pt, peer_q, sizeof pt);
	if (pt[0] != 0x04 || !br_ec_p256_m15.mul(pt, sizeof pt, s->sk, sizeof s->sk, BR_EC_secp256r1)) {
		sgx_wipe(pt, sizeof pt);
		return fail(s, -EPROTO, "the peer's ECDH public key is not a point of P-256");
	}
	br_sha256_init(&h);
	br_sha256_update(&h, s->m1, sizeof s->m1);
	br_sha256_update(&h, s->m2, sizeof s->m2);
	br_sha256_update(&h, m3, LA_M3_SIZE);
	br_sha256_out(&h, th);
	br_hkdf_init(&hk, &br_sha256_vtable, th, sizeof th);
	br_hkdf_inject(&hk, pt + 1, 32); /* the shared x coordinate */
	br_hkdf_flip(&hk);
	br_hkdf_produce(&hk, label_keys, sizeof label_keys - 1, okm, sizeof okm);
	memset(c, 0, sizeof *c);
	memcpy(c->send.key, okm + (initiator ? 0 : 32), 32);
	memcpy(c->recv.key, okm + (initiator ? 32 : 0), 32);
	sgx_wipe(pt, sizeof pt);
	sgx_wipe(okm, sizeof okm);
	sgx_wipe(&hk, sizeof hk);
	s->state = LA_DONE;
	sgx_wipe(s->sk, sizeof s->sk);
	s->why = NULL;
	return 0;
}

int la_initiator_start(struct la_session *s, const struct la_ops *ops, uint8_t m1[LA_M1_SIZE])
{
	int err = begin(s, ops, s->m1 + SGX_TARGETINFO_SIZE);
	if (err)
		return err;
	sgx_targetinfo_from_report(s->self_report, s->m1);
	memcpy(m1, s->m1, LA_M1_SIZE);
	s->state = LA_SENT_M1;
	return 0;
}

int la_responder_reply(struct la_session *s, const struct la_ops *ops, const uint8_t m1[LA_M1_SIZE],
		       uint8_t m2[LA_M2_SIZE])
{
	uint8_t rd[SGX_REPORTDATA_SIZE];
	int err = begin(s, ops, s->m2 + SGX_TARGETINFO_SIZE);
	if (err)
		return err;
	memcpy(s->m1, m1, LA_M1_SIZE);
	sgx_targetinfo_from_report(s->self_report, s->m2);
	bind(rd, label_r, s->m1, LA_M1_SIZE, s->m2, SGX_TARGETINFO_SIZE + LA_POINT_SIZE, NULL, 0);
	/* targeted at the initiator as M1 names it: if M1 lies, the
	 * initiator cannot check this report */
	ops->ereport(ops->ctx, s->m1, rd, s->m2 + SGX_TARGETINFO_SIZE + LA_POINT_SIZE);
	memcpy(m2, s->m2, LA_M2_SIZE);
	s->state = LA_SENT_M2;
	return 0;
}

int la_initiator_finish(struct la_session *s, const uint8_t m2[LA_M2_SIZE], uint8_t m3[LA_M3_SIZE],
			struct la_channel *c)
{
	uint8_t rd[SGX_REPORTDATA_SIZE], r[SGX_REPORT_SIZE];
	int err;

	if (s->state != LA_SENT_M1)
		return fail(s, -EPROTO, "M2 out of turn");
	memcpy(s->m2, m2, LA_M2_SIZE);
	bind(rd, label_r, s->m1, LA_M1_SIZE, s->m2, SGX_TARGETINFO_SIZE + LA_POINT_SIZE, NULL, 0);
	if ((err = check_peer(s, s->m2 + SGX_TARGETINFO_SIZE + LA_POINT_SIZE, rd)))
		return err;
	bind(rd, label_i, s->m1, LA_M1_SIZE, s->m2, LA_M2_SIZE, NULL, 0);
	s->ops->ereport(s->ops->ctx, s->m2, rd, r);
	memcpy(m3, r, LA_M3_SIZE);
	return derive(s, s->m2 + SGX_TARGETINFO_SIZE, r, true, c);
}

int la_responder_finish(struct la_session *s, const uint8_t m3[LA_M3_SIZE], struct la_channel *c)
{
	uint8_t rd[SGX_REPORTDATA_SIZE], r[SGX_REPORT_SIZE];
	int err;

	if (s->state != LA_SENT_M2)
		return fail(s, -EPROTO, "M3 out of turn");
	memcpy(r, m3, LA_M3_SIZE);
	bind(rd, label_i, s->m1, LA_M1_SIZE, s->m2, LA_M2_SIZE, NULL, 0);
	if ((err = check_peer(s, r, rd)))
		return err;
	return derive(s, s->m1 + SGX_TARGETINFO_SIZE, r, false, c);
}

/* ---- the channel ------------------------------------------------------------- */

struct la_gcm {
	br_aes_gen_ctr_keys keys;
	br_gcm_context gcm;
};

/* GCM under key, ready for the frame numbered seq of type and length. */
static void gcm_begin(struct la_gcm *g, const uint8_t key[32], uint64_t seq, uint8_t type, uint32_t len)
{
	const br_block_ctr_class *vt = br_aes_x86ni_ctr_get_vtable();
	br_ghash gh = br_ghash_pclmul_get();
	uint8_t nonce[12] = { 0 }, aad[13];

	if (!vt)
		vt = &br_aes_ct_ctr_vtable;
	if (!gh)
		gh = br_ghash_ctmul64;
	vt->init(&g->keys.vtable, key, 32);
	br_gcm_init(&g->gcm, &g->keys.vtable, gh);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = type;
	sgx_put_le32(aad + 9, len);
	br_gcm_reset(&g->gcm, nonce, sizeof nonce);
	br_gcm_aad_inject(&g->gcm, aad, sizeof aad);
	br_gcm_flip(&g->gcm);
}

ssize_t la_seal(struct la_channel *c, uint8_t type, const void *in, size_t len, uint8_t *out)
{
	struct la_gcm g;

	if (c->failed || c->sent_close || c->send.seq == UINT64_MAX)
		return -EPIPE;
	if (len > LA_MAX_PAYLOAD || (type == LA_TYPE_CLOSE && len))
		return -EINVAL;
	if (len) /* first: in may be out (sealing in place) */
		memmove(out + LA_HDR_SIZE, in, len);
	out[0] = type;
	sgx_put_le32(out + 1, (uint32_t)len);
	gcm_begin(&g, c->send.key, c->send.seq, type, (uint32_t)len);
	br_gcm_run(&g.gcm, 1, out + LA_HDR_SIZE, len);
	br_gcm_get_tag(&g.gcm, out + LA_HDR_SIZE + len);
	sgx_wipe(&g, sizeof g);
	c->send.seq++;
	if (type == LA_TYPE_CLOSE) {
		c->sent_close = true;
		sgx_wipe(c->send.key, sizeof c->send.key);
	}
	return (ssize_t)(len + LA_OVERHEAD);
}

ssize_t la_close(struct la_channel *c, uint8_t out[LA_OVERHEAD])
{
	return la_seal(c, LA_TYPE_CLOSE, NULL, 0, out);
}

ssize_t la_frame_size(const uint8_t hdr[LA_HDR_SIZE])
{
	uint32_t len = sgx_le32(hdr + 1);
	if (len > LA_MAX_PAYLOAD)
		return -EPROTO;
	return (ssize_t)(len + LA_OVERHEAD);
}

int la_open(struct la_channel *c, const uint8_t *frame, size_t len, uint8_t *out, size_t *out_len)
{
	struct la_gcm g;

	if (c->failed)
		return -EPIPE;
	c->failed = true; /* until this frame is accepted */
	if (c->got_close)
		return -EPROTO; /* nothing follows CLOSE */
	if (len < LA_OVERHEAD)
		return -EPROTO;
	uint8_t type = frame[0];
	uint32_t plen = sgx_le32(frame + 1);
	if (plen > LA_MAX_PAYLOAD || plen != len - LA_OVERHEAD || (type == LA_TYPE_CLOSE && plen))
		return -EPROTO;
	memmove(out, frame + LA_HDR_SIZE, plen);
	gcm_begin(&g, c->recv.key, c->recv.seq, type, plen);
	br_gcm_run(&g.gcm, 0, out, plen);
	uint32_t ok = br_gcm_check_tag(&g.gcm, frame + LA_HDR_SIZE + plen);
	sgx_wipe(&g, sizeof g);
	if (!ok) {
		sgx_wipe(out, plen);
		return -EBADMSG;
	}
	c->recv.seq++;
	c->failed = false;
	if (type == LA_TYPE_CLOSE)
		c->got_close = true;
	*out_len = plen;
	return type;
}

int la_finish(struct la_channel *c)
{
	int r = !c->failed && c->got_close ? 0 : -EPIPE;
	sgx_wipe(c, sizeof *c);
	return r;
}
