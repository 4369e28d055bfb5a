/*
 * Unit tests for runtime/attest/la.c: the local-attestation handshake and
 * the channel, hosted, with BearSSL (as inside the enclave) and the
 * software EREPORT/EGETKEY of common/sgxkeys.c (OpenSSL's AES) behind
 * struct la_ops, as sgx-sim will run them. Each attack the protocol must
 * stop is played by a test that changes the messages between the two
 * sides: another enclave, a forged report, a report replayed from another
 * session, a substituted ECDH key; and on the channel tampering, replay,
 * reordering, dropping and truncation.
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/attest/la.h"
#include "aes_openssl.h"
#include "check.h"

static struct sgx_aes128 aes;
static struct sgx_sim_root root;

/* One simulated enclave: its identity on the simulated machine. */
struct enclave {
	struct sgx_enclave_identity id;
	const struct sgx_sim_root *root;
	struct la_ops ops;
};

static void sim_ereport(void *ctx, const uint8_t ti[512], const uint8_t rd[64], uint8_t report[432])
{
	struct enclave *e = ctx;
	sgx_sim_ereport(&aes, e->root, &e->id, ti, rd, report);
}

static int sim_egetkey(void *ctx, const uint8_t kr[512], uint8_t key[16])
{
	struct enclave *e = ctx;
	return sgx_sim_egetkey(&aes, e->root, &e->id, kr, key);
}

static int sim_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static void enclave_init(struct enclave *e, const struct sgx_enclave_identity *id)
{
	e->id = *id;
	e->root = &root;
	e->ops = (struct la_ops){ e, sim_ereport, sim_egetkey, sim_random };
}

static struct sgx_enclave_identity base_id;

static void setup(void)
{
	RAND_bytes((uint8_t *)&root, sizeof root);
	memset(&base_id, 0, sizeof base_id);
	RAND_bytes(base_id.mrenclave, 32);
	RAND_bytes(base_id.mrsigner, 32);
	base_id.attr_flags = SGX_FLAGS_INIT | SGX_FLAGS_MODE64BIT;
	base_id.attr_xfrm = 0xe7;
	base_id.isvprodid = 1;
	base_id.isvsvn = 2;
}

/* A full handshake between i and r; the four results in rc[]. */
struct run {
	struct la_session si, sr;
	uint8_t m1[LA_M1_SIZE], m2[LA_M2_SIZE], m3[LA_M3_SIZE];
	struct la_channel ci, cr;
	int rc[4];
};

static void handshake(struct run *x, struct enclave *i, struct enclave *r)
{
	memset(x->rc, 0x7f, sizeof x->rc);
	x->rc[0] = la_initiator_start(&x->si, &i->ops, x->m1);
	x->rc[1] = la_responder_reply(&x->sr, &r->ops, x->m1, x->m2);
	x->rc[2] = la_initiator_finish(&x->si, x->m2, x->m3, &x->ci);
	if (x->rc[2] == 0)
		x->rc[3] = la_responder_finish(&x->sr, x->m3, &x->cr);
}

static int has(const char *why, const char *word)
{
	return why && strstr(why, word);
}

static void test_handshake_ok(void)
{
	struct enclave a, b;
	struct run x;
	uint8_t frame[256], out[256];
	size_t n;

	enclave_init(&a, &base_id);
	enclave_init(&b, &base_id);
	handshake(&x, &a, &b);
	CHECK(x.rc[0] == 0 && x.rc[1] == 0 && x.rc[2] == 0 && x.rc[3] == 0);
	/* each way, and the keys are directional */
	CHECK(!memcmp(x.ci.send.key, x.cr.recv.key, 32) && !memcmp(x.ci.recv.key, x.cr.send.key, 32));
	CHECK(memcmp(x.ci.send.key, x.ci.recv.key, 32));
	ssize_t len = la_seal(&x.ci, 1, "parent to child", 15, frame);
	CHECK(len == 15 + LA_OVERHEAD && la_frame_size(frame) == len);
	CHECK(memmem(frame, (size_t)len, "parent", 6) == NULL); /* encrypted */
	CHECK(la_open(&x.cr, frame, (size_t)len, out, &n) == 1 && n == 15 && !memcmp(out, "parent to child", 15));
	len = la_seal(&x.cr, 2, "child to parent", 15, frame);
	CHECK(la_open(&x.ci, frame, (size_t)len, out, &n) == 2 && n == 15 && !memcmp(out, "child to parent", 15));

	/* two sessions between the same enclaves have different keys */
	struct run y;
	handshake(&y, &a, &b);
	CHECK(y.rc[3] == 0 && memcmp(x.ci.send.key, y.ci.send.key, 32));
}

/* The peer is not an enclave of our identity. */
static void test_other_identity(void)
{
	struct enclave a, b;
	struct sgx_enclave_identity id;
	struct run x;

	enclave_init(&a, &base_id);
	id = base_id; id.mrenclave[7] ^= 1;
	enclave_init(&b, &id);
	handshake(&x, &a, &b);
	CHECK(x.rc[1] == 0 && x.rc[2] == -EACCES && has(x.si.why, "MRENCLAVE"));
	handshake(&x, &b, &a); /* the other way round: the responder refuses */
	CHECK(x.rc[2] == -EACCES && has(x.si.why, "MRENCLAVE"));

	id = base_id; id.mrsigner[0] ^= 1;
	enclave_init(&b, &id);
	handshake(&x, &a, &b);
	CHECK(x.rc[2] == -EACCES && has(x.si.why, "MRSIGNER"));
	id = base_id; id.attr_flags |= SGX_FLAGS_DEBUG; /* a debug enclave of the same code */
	enclave_init(&b, &id);
	handshake(&x, &a, &b);
	CHECK(x.rc[2] == -EACCES && has(x.si.why, "ATTRIBUTES"));
	id = base_id; id.isvsvn++;
	enclave_init(&b, &id);
	handshake(&x, &a, &b);
	CHECK(x.rc[2] == -EACCES && has(x.si.why, "SVN"));

	/* the responder's check: an initiator of another identity gets M2
	 * (it is harmless) but its M3 is refused */
	struct enclave c;
	id = base_id; id.mrenclave[0] ^= 1;
	enclave_init(&c, &id);
	uint8_t m1[LA_M1_SIZE], m2[LA_M2_SIZE], m3[LA_M3_SIZE];
	struct la_session sc, sa;
	struct la_channel ch;
	CHECK(la_initiator_start(&sc, &c.ops, m1) == 0);
	CHECK(la_responder_reply(&sa, &a.ops, m1, m2) == 0);
	CHECK(la_initiator_finish(&sc, m2, m3, &ch) == -EACCES); /* c refuses a too */
	/* c makes its own M3 anyway, as a malicious initiator would */
	uint8_t rd[64];
	memset(rd, 0, sizeof rd);
	c.ops.ereport(&c, m2, rd, m3);
	CHECK(la_responder_finish(&sa, m3, &ch) == -EACCES);
}

/* Reports the CPU did not make for us. */
static void test_forged_report(void)
{
	struct enclave a, b;
	struct run x;

	enclave_init(&a, &base_id);
	enclave_init(&b, &base_id);
	/* a changed byte of REPORT_R: the identity, the data, the MAC */
	static const size_t offs[] = { RP_MRENCLAVE, RP_ATTRIBUTES, RP_ISVSVN, RP_REPORTDATA + 3, RP_KEYID, RP_MAC + 15 };
	for (size_t k = 0; k < sizeof offs / sizeof *offs; k++) {
		CHECK(la_initiator_start(&x.si, &a.ops, x.m1) == 0);
		CHECK(la_responder_reply(&x.sr, &b.ops, x.m1, x.m2) == 0);
		x.m2[SGX_TARGETINFO_SIZE + LA_POINT_SIZE + offs[k]] ^= 1;
		CHECK(la_initiator_finish(&x.si, x.m2, x.m3, &x.ci) == -EACCES && has(x.si.why, "MAC"));
	}
	/* a report made on another machine (another root key) by an enclave
	 * of our very identity */
	struct sgx_sim_root other = root;
	other.key[0] ^= 1;
	b.root = &other;
	handshake(&x, &a, &b);
	CHECK(x.rc[2] == -EACCES && has(x.si.why, "MAC"));
	/* and M3 likewise */
	b.root = &root;
	handshake(&x, &a, &b);
	CHECK(x.rc[3] == 0);
	CHECK(la_initiator_start(&x.si, &a.ops, x.m1) == 0);
	CHECK(la_responder_reply(&x.sr, &b.ops, x.m1, x.m2) == 0);
	CHECK(la_initiator_finish(&x.si, x.m2, x.m3, &x.ci) == 0);
	x.m3[RP_REPORTDATA] ^= 1;
	CHECK(la_responder_finish(&x.sr, x.m3, &x.cr) == -EACCES && has(x.sr.why, "MAC"));
}

/* Genuine reports from another session. */
static void test_replay(void)
{
	struct enclave a, b;
	struct run old, x;

	enclave_init(&a, &base_id);
	enclave_init(&b, &base_id);
	handshake(&old, &a, &b);
	CHECK(old.rc[3] == 0);
	/* an old M2 against a new M1 */
	CHECK(la_initiator_start(&x.si, &a.ops, x.m1) == 0);
	CHECK(la_initiator_finish(&x.si, old.m2, x.m3, &x.ci) == -EACCES && has(x.si.why, "REPORTDATA"));
	/* an old M3 against a new M2 */
	CHECK(la_initiator_start(&x.si, &a.ops, x.m1) == 0);
	CHECK(la_responder_reply(&x.sr, &b.ops, x.m1, x.m2) == 0);
	CHECK(la_responder_finish(&x.sr, old.m3, &x.cr) == -EACCES && has(x.sr.why, "REPORTDATA"));
	/* the old M1 replayed to a fresh responder: the responder answers,
	 * but only the session that sent M1 could go on, and it is over */
	CHECK(la_responder_reply(&x.sr, &b.ops, old.m1, x.m2) == 0);
	CHECK(la_initiator_finish(&old.si, x.m2, x.m3, &x.ci) == -EPROTO);
	/* messages out of turn */
	CHECK(la_responder_finish(&x.si, x.m3, &x.cr) == -EPROTO);
}

/* A man in the middle puts its own ECDH key in M1 or M2. */
static void test_mitm(void)
{
	struct enclave a, b;
	struct run x;
	uint8_t evil_m1[LA_M1_SIZE], evil[LA_M1_SIZE];
	struct la_session se;

	enclave_init(&a, &base_id);
	enclave_init(&b, &base_id);
	/* a valid point of the attacker's: its own M1 from a session it runs */
	CHECK(la_initiator_start(&se, &a.ops, evil) == 0);

	CHECK(la_initiator_start(&x.si, &a.ops, x.m1) == 0);
	memcpy(evil_m1, x.m1, sizeof evil_m1);
	memcpy(evil_m1 + SGX_TARGETINFO_SIZE, evil + SGX_TARGETINFO_SIZE, LA_POINT_SIZE);
	CHECK(la_responder_reply(&x.sr, &b.ops, evil_m1, x.m2) == 0);
	CHECK(la_initiator_finish(&x.si, x.m2, x.m3, &x.ci) == -EACCES && has(x.si.why, "REPORTDATA"));

	CHECK(la_initiator_start(&x.si, &a.ops, x.m1) == 0);
	CHECK(la_responder_reply(&x.sr, &b.ops, x.m1, x.m2) == 0);
	memcpy(x.m2 + SGX_TARGETINFO_SIZE, evil + SGX_TARGETINFO_SIZE, LA_POINT_SIZE);
	CHECK(la_initiator_finish(&x.si, x.m2, x.m3, &x.ci) == -EACCES && has(x.si.why, "REPORTDATA"));

	/* a changed TARGETINFO in M1: the responder's report is then made for
	 * another enclave and the initiator cannot check it */
	CHECK(la_initiator_start(&x.si, &a.ops, x.m1) == 0);
	x.m1[TI_MEASUREMENT] ^= 1;
	CHECK(la_responder_reply(&x.sr, &b.ops, x.m1, x.m2) == 0);
	CHECK(la_initiator_finish(&x.si, x.m2, x.m3, &x.ci) == -EACCES && has(x.si.why, "MAC"));
}

/* ---- the channel ---------------------------------------------------------------- */

static void channel_pair(struct la_channel *i, struct la_channel *r)
{
	struct enclave a, b;
	struct run x;
	enclave_init(&a, &base_id);
	enclave_init(&b, &base_id);
	handshake(&x, &a, &b);
	CHECK(x.rc[3] == 0);
	*i = x.ci;
	*r = x.cr;
}

static void test_channel(void)
{
	struct la_channel i, r, save;
	uint8_t f0[64], f1[64], f2[64], fc[LA_OVERHEAD], out[64], t[64];
	size_t n;
	ssize_t l0, l1, lc;

	/* the normal run: frames, CLOSE, finish */
	channel_pair(&i, &r);
	l0 = la_seal(&i, 0, "zero", 4, f0);
	l1 = la_seal(&i, 7, "", 0, f1);
	lc = la_close(&i, fc);
	CHECK(lc == LA_OVERHEAD && la_seal(&i, 1, "x", 1, f2) == -EPIPE);
	save = r;
	CHECK(la_open(&r, f0, (size_t)l0, out, &n) == 0 && n == 4 && !memcmp(out, "zero", 4));
	CHECK(la_open(&r, f1, (size_t)l1, out, &n) == 7 && n == 0);
	CHECK(la_open(&r, fc, (size_t)lc, out, &n) == LA_TYPE_CLOSE);
	CHECK(la_open(&r, f0, (size_t)l0, out, &n) == -EPROTO); /* nothing after CLOSE */
	r = save;
	CHECK(la_open(&r, f0, (size_t)l0, out, &n) == 0 && la_open(&r, f1, (size_t)l1, out, &n) == 7);
	CHECK(la_open(&r, fc, (size_t)lc, out, &n) == LA_TYPE_CLOSE && la_finish(&r) == 0);

	/* truncation: the stream ends without CLOSE */
	r = save;
	CHECK(la_open(&r, f0, (size_t)l0, out, &n) == 0 && la_open(&r, f1, (size_t)l1, out, &n) == 7);
	CHECK(la_finish(&r) == -EPIPE);
	/* a frame cut short */
	r = save;
	CHECK(la_open(&r, f0, (size_t)l0 - 1, out, &n) == -EPROTO);

	/* tampering: every byte of a frame, each on a fresh receiver; after
	 * a failure the channel refuses even the genuine frame */
	int caught = 0;
	for (ssize_t k = 0; k < l0; k++) {
		r = save;
		memcpy(t, f0, (size_t)l0);
		t[k] ^= 0x20;
		int rc = la_open(&r, t, (size_t)l0, out, &n);
		caught += rc == -EBADMSG || rc == -EPROTO;
		CHECK(la_open(&r, f0, (size_t)l0, out, &n) == -EPIPE);
		CHECK(la_finish(&r) == -EPIPE);
	}
	CHECK(caught == l0);

	/* replay */
	r = save;
	CHECK(la_open(&r, f0, (size_t)l0, out, &n) == 0);
	CHECK(la_open(&r, f0, (size_t)l0, out, &n) == -EBADMSG);
	/* reorder */
	r = save;
	CHECK(la_open(&r, f1, (size_t)l1, out, &n) == -EBADMSG);
	/* drop one frame out of the middle */
	r = save;
	CHECK(la_open(&r, f0, (size_t)l0, out, &n) == 0);
	CHECK(la_open(&r, fc, (size_t)lc, out, &n) == -EBADMSG);
	/* a frame reflected back to its sender (the directions' keys differ) */
	channel_pair(&i, &r);
	l0 = la_seal(&i, 0, "zero", 4, f0);
	CHECK(la_open(&i, f0, (size_t)l0, out, &n) == -EBADMSG);
	/* a CLOSE carrying bytes, and types and lengths la_seal refuses */
	channel_pair(&i, &r);
	CHECK(la_seal(&i, LA_TYPE_CLOSE, "x", 1, f2) == -EINVAL);
	CHECK(la_seal(&i, 0, f2, (size_t)LA_MAX_PAYLOAD + 1, f2) == -EINVAL);
	uint8_t big_hdr[LA_HDR_SIZE] = { 0, 0xff, 0xff, 0xff, 0xff };
	CHECK(la_frame_size(big_hdr) == -EPROTO);
}

/* A larger payload, in place (as fork will send pages). */
static void test_channel_bulk(void)
{
	struct la_channel i, r;
	size_t len = 200000, n;
	uint8_t *p = malloc(len), *buf = malloc(len + LA_OVERHEAD);

	channel_pair(&i, &r);
	RAND_bytes(p, (int)len);
	memcpy(buf, p, len);
	ssize_t fl = la_seal(&i, 3, buf, len, buf);
	CHECK(fl == (ssize_t)(len + LA_OVERHEAD));
	CHECK(la_open(&r, buf, (size_t)fl, buf, &n) == 3 && n == len && !memcmp(buf, p, len));
	free(p);
	free(buf);
}

/* The enclave's AES (BearSSL) gives the same CMAC as OpenSSL's, on RFC
 * 4493's example 3 and on random messages. */
static void test_bearssl_aes(void)
{
	static const uint8_t k[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
				       0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
	static const uint8_t m[40] = { 0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d,
				       0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a, 0xae, 0x2d, 0x8a, 0x57,
				       0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf,
				       0x8e, 0x51, 0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11 };
	static const uint8_t t[16] = { 0xdf, 0xa6, 0x67, 0x47, 0xde, 0x9a, 0xe6, 0x30,
				       0x30, 0xca, 0x32, 0x61, 0x14, 0x97, 0xc8, 0x27 };
	struct la_aes a;
	struct sgx_aes128 br = la_aes128(&a);
	uint8_t key[16], msg[77], x[16], y[16];

	sgx_cmac(&br, k, m, sizeof m, x);
	CHECK(!memcmp(x, t, 16));
	for (int i = 0; i < 20; i++) {
		RAND_bytes(key, sizeof key);
		RAND_bytes(msg, sizeof msg);
		sgx_cmac(&br, key, msg, (size_t)i * 3, x);
		sgx_cmac(&aes, key, msg, (size_t)i * 3, y);
		CHECK(!memcmp(x, y, 16));
	}
}

int main(void)
{
	aes = aes_openssl();
	setup();
	test_bearssl_aes();
	test_handshake_ok();
	test_other_identity();
	test_forged_report();
	test_replay();
	test_mitm();
	test_channel();
	test_channel_bulk();
	EVP_CIPHER_CTX_free(aes.ctx);
	return CHECK_DONE();
}
