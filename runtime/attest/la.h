/*
 * la.h - local attestation between two enclaves of one bundle on one
 * machine, and the secure channel it keys: how fork and execve on the sgx
 * platform hand state to a child enclave (issue 11, section 3).
 *
 * The handshake (three messages; the caller carries them, over any
 * untrusted transport):
 *
 *   M1  I -> R   TARGETINFO_I | Q_I                        (577 bytes)
 *   M2  R -> I   TARGETINFO_R | Q_R | REPORT_R             (1009 bytes)
 *                REPORT_R targeted at TARGETINFO_I, REPORTDATA =
 *                SHA-256("coffer-la1 responder" | M1 | TARGETINFO_R | Q_R)
 *   M3  I -> R   REPORT_I                                  (432 bytes)
 *                REPORT_I targeted at TARGETINFO_R, REPORTDATA =
 *                SHA-256("coffer-la1 initiator" | M1 | M2)
 *
 * Q_I and Q_R are fresh ECDH P-256 public keys (uncompressed points). Each
 * side checks the peer's REPORT MAC with its own REPORT_KEY (EGETKEY under
 * the report's KEYID: only the CPU, for an enclave with our MRENCLAVE and
 * attributes, could have made it), that the REPORTDATA is the hash of this
 * session's transcript (so the public keys are the peer enclave's, and a
 * report from another session does not fit: the other side's key is fresh),
 * and that the peer's identity (REPORTBODY bytes 0..319: CPUSVN, MISCSELECT,
 * ATTRIBUTES, MRENCLAVE, MRSIGNER, CONFIGID, ISVPRODID, ISVSVN, CONFIGSVN,
 * ISVFAMILYID, ISVEXTPRODID, the reserved bytes) is byte for byte its own.
 * Then both derive, with HKDF-SHA256 (salt = SHA-256(M1 | M2 | M3), input =
 * the ECDH shared x coordinate), one AES-256-GCM key per direction.
 *
 * The channel: frames of
 *     type u8 | length u32 LE | ciphertext (length bytes) | GCM tag (16)
 * under the sender's direction key, nonce = 4 zero bytes | sequence number
 * u64 BE, additional data = sequence number | type | length. The receiver
 * counts for itself, so a replayed, reordered or dropped frame fails the
 * tag; the sender ends with an authenticated CLOSE frame, so a stream cut
 * short is told from a finished one (la_finish). After any failure the
 * channel refuses everything.
 *
 * The ENCLU leaves and randomness come through struct la_ops: real ENCLU
 * on sgx, the software EREPORT/EGETKEY (common/sgxkeys.c) on sgx-sim and in
 * the tests. Freestanding, no allocation; BearSSL for P-256 (br_ec_p256_m15),
 * SHA-256, HKDF and GCM (AES-NI and PCLMUL when the CPU has them, the
 * constant-time portable code otherwise). BearSSL uses vector registers:
 * call with the application's vector state saved (crypto.h).
 */
#ifndef COFFER_RT_ATTEST_LA_H
#define COFFER_RT_ATTEST_LA_H

#include <bearssl.h>

#include "../../common/sgx.h"
#include "../lib/rt.h"

struct la_ops {
	void *ctx;
	/* ENCLU[EREPORT] */
	void (*ereport)(void *ctx, const uint8_t ti[SGX_TARGETINFO_SIZE], const uint8_t rd[SGX_REPORTDATA_SIZE],
			uint8_t report[SGX_REPORT_SIZE]);
	/* ENCLU[EGETKEY]: 0, or the SGX error code */
	int (*egetkey)(void *ctx, const uint8_t kr[SGX_KEYREQUEST_SIZE], uint8_t key[16]);
	/* len random bytes (RDRAND inside the enclave): 0, or -1 */
	int (*random)(void *ctx, void *buf, size_t len);
};

/* AES-128 for common/'s CMAC (the REPORT MAC), on BearSSL: AES-NI when
 * the CPU has it, else the constant-time portable code. */
struct la_aes {
	br_aes_gen_cbcenc_keys keys;
	const br_block_cbcenc_class *vt;
};
struct sgx_aes128 la_aes128(struct la_aes *a);

#define LA_POINT_SIZE 65u
#define LA_M1_SIZE (SGX_TARGETINFO_SIZE + LA_POINT_SIZE)
#define LA_M2_SIZE (SGX_TARGETINFO_SIZE + LA_POINT_SIZE + SGX_REPORT_SIZE)
#define LA_M3_SIZE SGX_REPORT_SIZE

/* One direction's state. */
struct la_dir {
	uint8_t key[32];
	uint64_t seq;
};

struct la_channel {
	struct la_dir send, recv;
	bool sent_close, got_close, failed;
};

struct la_session {
	const struct la_ops *ops;
	int state;
	const char *why; /* after a failure: what was wrong (static) */
	uint8_t self_report[SGX_REPORT_SIZE]; /* our identity and TARGETINFO */
	uint8_t sk[32];                       /* our ephemeral scalar */
	uint8_t m1[LA_M1_SIZE];
	uint8_t m2[LA_M2_SIZE];
};

/* Initiator (the parent): M1. */
int la_initiator_start(struct la_session *s, const struct la_ops *ops, uint8_t m1[LA_M1_SIZE]);
/* Responder (the child): M1 in, M2 out. */
int la_responder_reply(struct la_session *s, const struct la_ops *ops, const uint8_t m1[LA_M1_SIZE],
		       uint8_t m2[LA_M2_SIZE]);
/* Initiator: M2 in, M3 out, channel keyed. */
int la_initiator_finish(struct la_session *s, const uint8_t m2[LA_M2_SIZE], uint8_t m3[LA_M3_SIZE],
			struct la_channel *c);
/* Responder: M3 in, channel keyed. */
int la_responder_finish(struct la_session *s, const uint8_t m3[LA_M3_SIZE], struct la_channel *c);
/* All four return 0, or -EACCES (the peer is not an enclave of our
 * identity, or a report does not belong to this session), -EPROTO (a
 * message malformed or out of turn), -EIO (an ENCLU leaf or the random
 * source failed); s->why names the cause. The session's secrets are wiped
 * when it ends either way. */

/* ---- the channel ------------------------------------------------------- */

#define LA_HDR_SIZE 5u
#define LA_TAG_SIZE 16u
#define LA_OVERHEAD (LA_HDR_SIZE + LA_TAG_SIZE)
#define LA_MAX_PAYLOAD (1u << 30)
#define LA_TYPE_CLOSE 0xff /* types 0..254 are the caller's */

/* Seal len bytes of type into out (len + LA_OVERHEAD bytes; in may equal
 * out, to seal in place); returns the frame's length, or -EINVAL (type,
 * length), -EPIPE (closed or failed). */
ssize_t la_seal(struct la_channel *c, uint8_t type, const void *in, size_t len, uint8_t *out);
/* The CLOSE frame (LA_OVERHEAD bytes); nothing can be sent after it. */
ssize_t la_close(struct la_channel *c, uint8_t out[LA_OVERHEAD]);
/* The length of the frame whose first LA_HDR_SIZE bytes are hdr, to read
 * the rest from a stream; -EPROTO if too long. */
ssize_t la_frame_size(const uint8_t hdr[LA_HDR_SIZE]);
/* Open one frame of exactly len bytes: the payload into out (room for
 * len - LA_OVERHEAD bytes; out may equal frame), *out_len its length;
 * returns the type, or
 * -EBADMSG (authentication failed: tampered, replayed, reordered or
 * dropped frames), -EPROTO (malformed, or after CLOSE), -EPIPE (failed
 * before). */
int la_open(struct la_channel *c, const uint8_t *frame, size_t len, uint8_t *out, size_t *out_len);
/* At the end of the peer's stream: 0 if it ended with CLOSE, -EPIPE if it
 * was cut short (truncation) or the channel failed. Wipes the keys. */
int la_finish(struct la_channel *c);

#endif
