/*
 * sgx.h - the SGX structures Coffer produces and consumes, byte for byte as
 * the Intel SDM (volume 3D, chapter 38 "Enclave data structures") defines
 * them, and the measurement (MRENCLAVE) that EADD and EEXTEND accumulate.
 *
 * Structures are handled as byte arrays with the SDM's offsets rather than as
 * C structs, so there is no question of padding or alignment, and a parser
 * can never read outside the bytes it was given. All integers are
 * little-endian, as on the CPU. The RSA values in a SIGSTRUCT (modulus,
 * signature, Q1, Q2) are little-endian byte strings of 384 bytes.
 *
 * Freestanding: no allocation, no libc. SHA-256 is supplied by the caller
 * (OpenSSL in the tools, BearSSL in the enclave) through struct sgx_sha256.
 */
#ifndef COFFER_COMMON_SGX_H
#define COFFER_COMMON_SGX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SGX_PAGE_SIZE 4096u
#define SGX_HASH_SIZE 32u
#define SGX_RSA_SIZE 384u /* RSA-3072 */

/* ---- SIGSTRUCT (1808 bytes) ----------------------------------------------- */

#define SIGSTRUCT_SIZE 1808u
enum sigstruct_offset {
	SS_HEADER = 0,          /* 16 */
	SS_VENDOR = 16,         /* u32: 0, or 0x8086 for Intel */
	SS_DATE = 20,           /* u32: BCD yyyymmdd */
	SS_HEADER2 = 24,        /* 16 */
	SS_SWDEFINED = 40,      /* u32 */
	SS_MODULUS = 128,       /* 384, little-endian */
	SS_EXPONENT = 512,      /* u32, must be 3 */
	SS_SIGNATURE = 516,     /* 384, little-endian */
	SS_MISCSELECT = 900,    /* u32 */
	SS_MISCMASK = 904,      /* u32 */
	SS_CET_ATTRIBUTES = 908,
	SS_CET_ATTRIBUTES_MASK = 909,
	SS_ISVFAMILYID = 912,   /* 16 */
	SS_ATTRIBUTES = 928,    /* 16: flags u64, xfrm u64 */
	SS_ATTRIBUTEMASK = 944, /* 16 */
	SS_ENCLAVEHASH = 960,   /* 32: MRENCLAVE */
	SS_ISVEXTPRODID = 1008, /* 16 */
	SS_ISVPRODID = 1024,    /* u16 */
	SS_ISVSVN = 1026,       /* u16 */
	SS_Q1 = 1040,           /* 384 */
	SS_Q2 = 1424,           /* 384 */
};
/* The signed bytes are [0, 128) followed by [900, 1028). */
#define SS_SIGNED_A_LEN 128u
#define SS_SIGNED_B_OFF 900u
#define SS_SIGNED_B_LEN 128u

extern const uint8_t sgx_sigstruct_header[16];
extern const uint8_t sgx_sigstruct_header2[16];

/* ATTRIBUTES.FLAGS bits */
#define SGX_FLAGS_INIT 0x01ULL
#define SGX_FLAGS_DEBUG 0x02ULL
#define SGX_FLAGS_MODE64BIT 0x04ULL
#define SGX_FLAGS_PROVISIONKEY 0x10ULL
#define SGX_FLAGS_EINITTOKENKEY 0x20ULL
#define SGX_FLAGS_KSS 0x80ULL
#define SGX_XFRM_LEGACY 0x03ULL /* x87 and SSE: required */

/* A decoded SIGSTRUCT: pointers into the caller's 1808 bytes. */
struct sgx_sigstruct {
	const uint8_t *raw;
	uint32_t vendor, date, swdefined, exponent, miscselect, miscmask;
	uint64_t attr_flags, attr_xfrm, mask_flags, mask_xfrm;
	uint16_t isvprodid, isvsvn;
	const uint8_t *modulus, *signature, *enclavehash, *q1, *q2;
};

/* Decode and check the fixed fields (headers, exponent 3, reserved bytes
 * zero). Returns 0, or -1 with a static reason in *why. */
int sgx_sigstruct_parse(const uint8_t *raw, size_t len, struct sgx_sigstruct *out, const char **why);
/* The 256 signed bytes, in signing order. */
void sgx_sigstruct_signed_bytes(const uint8_t *raw, uint8_t out[256]);
/* Check Q1 and Q2 as EINIT uses them (SDM, SIGSTRUCT): with S the signature
 * and M the modulus, Q1 = floor(S^2 / M) and Q2 = floor((S^3 - Q1*S*M) / M).
 * Checked without a division: R1 = S^2 - Q1*M must satisfy 0 <= R1 < M, and
 * R2 = S*R1 - Q2*M (= S^3 - Q1*S*M - Q2*M) must satisfy 0 <= R2 < M. Both
 * sides use this one check, so `coffer measure` and the enclave's start
 * refuse the same SIGSTRUCTs. Returns 0, or -1 with a static reason naming
 * which of the two is wrong. */
int sgx_sigstruct_check_q(const uint8_t raw[SIGSTRUCT_SIZE], const char **why);

/* ---- SHA-256, supplied by the caller ----------------------------------------- */

struct sgx_sha256 {
	void *ctx;
	void (*init)(void *ctx);
	void (*update)(void *ctx, const void *data, size_t len);
	void (*final)(void *ctx, uint8_t out[SGX_HASH_SIZE]);
	/* Optional (may be NULL): continue from a state h after len bytes, len
	 * a multiple of 64 (struct layout_midstate). */
	void (*resume)(void *ctx, const uint32_t h[8], uint64_t len);
};

/* ---- measurement ------------------------------------------------------------------ */

/* SECINFO.FLAGS: permissions and page type */
#define SGX_SECINFO_R 0x01ULL
#define SGX_SECINFO_W 0x02ULL
#define SGX_SECINFO_X 0x04ULL
#define SGX_PT_SECS 0ULL
#define SGX_PT_TCS 1ULL
#define SGX_PT_REG 2ULL
#define SGX_SECINFO_TCS (SGX_PT_TCS << 8)
#define SGX_SECINFO_REG (SGX_PT_REG << 8)

/* MRENCLAVE as ECREATE, EADD and EEXTEND extend it (SDM 38.7): each
 * operation appends a 64-byte record; EEXTEND also the 256 bytes it
 * measures. */
#define SGX_MEASURE_RECORD 64u /* bytes of one record */
struct sgx_measure {
	const struct sgx_sha256 *sha;
	uint64_t size; /* enclave size from ECREATE: offsets must stay below it */
	bool failed;
};

void sgx_measure_ecreate(struct sgx_measure *m, const struct sgx_sha256 *sha, uint32_t ssaframesize,
			 uint64_t size);
void sgx_measure_eadd(struct sgx_measure *m, uint64_t offset, uint64_t secinfo_flags);
void sgx_measure_eextend(struct sgx_measure *m, uint64_t offset, const uint8_t data[256]);
/* EADD n pages from offset on with the same SECINFO and no EEXTEND: the
 * same records as n sgx_measure_eadd() calls, hashed in batches (the heap of
 * a large enclave is millions of them). */
void sgx_measure_eadd_run(struct sgx_measure *m, uint64_t offset, uint64_t n, uint64_t secinfo_flags);
/* EADD a page and EEXTEND all 16 of its 256-byte chunks (NULL: zeros). */
void sgx_measure_add_page(struct sgx_measure *m, uint64_t offset, uint64_t secinfo_flags,
			  const uint8_t *page, bool extend);
/* Returns 0 and the MRENCLAVE, or -1 if an operation was out of range. */
int sgx_measure_finish(struct sgx_measure *m, uint8_t mrenclave[SGX_HASH_SIZE]);

/* Replay an SGXS stream (the records as measured, EEXTEND data inline) into
 * m; returns 0, or -1 if the stream is malformed. */
int sgx_measure_sgxs(struct sgx_measure *m, const struct sgx_sha256 *sha, const uint8_t *s, size_t len);

/* ---- EINIT's checks, shared by every platform (sgx-sim) ------------------------------ */

#include "sgx_arch.h"

/* What EINIT refuses a SIGSTRUCT for, in the order it checks. */
enum sgx_einit_err {
	SGX_EINIT_OK = 0,
	SGX_EINIT_SIGNATURE,  /* the signature does not verify with its modulus */
	SGX_EINIT_Q,          /* Q1 or Q2 is not what EINIT computes */
	SGX_EINIT_HASH,       /* ENCLAVEHASH is not the enclave's MRENCLAVE */
	SGX_EINIT_ATTRIBUTES, /* EINITTOKENKEY, or ATTRIBUTES differ under ATTRIBUTEMASK */
	SGX_EINIT_MISCSELECT, /* the enclave's MISCSELECT differs under MISCMASK */
};
/* Check a parsed SIGSTRUCT against the enclave being initialised, as EINIT
 * does and in its order (SDM EINIT): its signature (rsa_verify: 0 when the
 * PKCS#1 v1.5 signature over the signed bytes verifies with the SIGSTRUCT's
 * own modulus, supplied by the caller's RSA code), Q1 and Q2, ENCLAVEHASH
 * against mrenclave (compared in constant time), the controlled attribute
 * EINITTOKENKEY (refused: Coffer has no launch enclave), and the SECS's
 * ATTRIBUTES (flags, xfrm) and MISCSELECT under the SIGSTRUCT's masks.
 * Returns
 * SGX_EINIT_OK, or the first failed check with a static reason in *why.
 * The direct platform (verify.c) and the simulated EINIT (sgx-sim) use it. */
enum sgx_einit_err sgx_einit_check(const struct sgx_sigstruct *ss, const uint8_t mrenclave[SGX_HASH_SIZE],
				   uint64_t flags, uint64_t xfrm, uint32_t miscselect,
				   int (*rsa_verify)(const uint8_t *sigstruct), const char **why);
/* ---- SECS, TCS and SSA values of the enclave layout (common/layout.h) ---- */

/* XFRM (XCR0 bits an enclave runs with: SDM vol. 1 13.1, vol. 3D 38.7.2).
 * x87 and SSE are always on; the others are all-or-nothing groups. */
#define SGX_XFRM_X87 0x01ULL
#define SGX_XFRM_SSE 0x02ULL
#define SGX_XFRM_AVX 0x04ULL            /* YMM upper halves */
#define SGX_XFRM_AVX512 0xe0ULL         /* opmask, ZMM_Hi256, Hi16_ZMM */
#define SGX_XFRM_PKRU 0x200ULL          /* protection keys */
#define SGX_XFRM_AMX 0x60000ULL         /* XTILECFG, XTILEDATA */
#define SGX_XFRM_KNOWN (SGX_XFRM_LEGACY | SGX_XFRM_AVX | SGX_XFRM_AVX512 | SGX_XFRM_PKRU | SGX_XFRM_AMX)
/* Why xfrm is not an XFRM Coffer can launch an enclave with, or NULL: x87
 * and SSE set, only the bits above, groups whole, AVX-512 only with AVX (the
 * rules XSETBV and ECREATE apply to XCR0 and XFRM). */
const char *sgx_xfrm_fault(uint64_t xfrm);

/* MISCSELECT: what AEX saves in the SSA's MISC region besides GPRSGX */
/* SGX_MISC_EXINFO (bit 0, page-fault and #GP details, 16 bytes): sgx_arch.h */
#define SGX_MISC_KNOWN SGX_MISC_EXINFO

/* SSA frame (SDM 38.9): the XSAVE area from offset 0, MISC regions just
 * below GPRSGX, GPRSGX in the last 184 bytes of the frame (SSA_GPR_SIZE and
 * SSA_EXINFO_SIZE: sgx_arch.h). */
#define SGX_XSAVE_LEGACY_SIZE 576u /* legacy region 512 + XSAVE header 64 */

/* TCS field offsets (SDM 38.8; TCS_FLAGS ... TCS_OGSLIMIT): sgx_arch.h. Everything
 * not listed there (the first 8 bytes, and from byte 72 on) is reserved and
 * zero when added. */

/* ---- SECS (4096 bytes): what ECREATE is given (hardware path) ------------- */

/* SDM 38.7 "SGX Enclave Control Structure (SECS)"; every byte not named here
 * is reserved and must be zero. platform/sgx/host builds it; MRENCLAVE and
 * MRSIGNER are computed by the CPU, ECREATE ignores what is passed. */
#define SECS_SIZE_BYTES 4096u
enum secs_offset {
	SECS_SIZE = 0,          /* u64: ELRANGE size, a power of two */
	SECS_BASEADDR = 8,      /* u64: ELRANGE base, aligned to SIZE */
	SECS_SSAFRAMESIZE = 16, /* u32: pages per SSA frame */
	SECS_MISCSELECT = 20,   /* u32 */
	SECS_ATTRIBUTES = 48,   /* u64 FLAGS, then u64 XFRM */
	SECS_XFRM = 56,
	SECS_MRENCLAVE = 64,    /* 32 */
	SECS_MRSIGNER = 128,    /* 32 */
	SECS_CONFIGID = 192,    /* 64 */
	SECS_ISVPRODID = 256,   /* u16 */
	SECS_ISVSVN = 258,      /* u16 */
	SECS_CONFIGSVN = 260,   /* u16 */
};

/* SECINFO: FLAGS (u64) then 56 reserved zero bytes; 64-byte aligned. */
#define SECINFO_SIZE 64u
#define SGX_SECINFO_PERM_MASK 0x07ULL
#define SGX_SECINFO_TYPE_MASK 0xff00ULL

/* Error codes of ENCLS/ENCLU in RAX (SDM vol. 3D, instruction reference,
 * "Error or Information Codes for Intel SGX Instructions"): the ones EINIT
 * returns. */
enum sgx_error_code {
	SGX_INVALID_SIG_STRUCT = 1,
	SGX_INVALID_ATTRIBUTE = 2,
	SGX_INVALID_MEASUREMENT = 4,
	SGX_INVALID_SIGNATURE = 8,
	SGX_INVALID_EINITTOKEN = 16,
	SGX_INVALID_CPUSVN = 32,
	SGX_UNMASKED_EVENT = 128,
};

/* ---- little-endian helpers ------------------------------------------------ */

static inline uint16_t sgx_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t sgx_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t sgx_le64(const uint8_t *p)
{
	return sgx_le32(p) | (uint64_t)sgx_le32(p + 4) << 32;
}

static inline void sgx_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void sgx_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void sgx_put_le64(uint8_t *p, uint64_t v)
{
	sgx_put_le32(p, (uint32_t)v);
	sgx_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ==== Keys and local attestation (sgxkeys.c, cmac.c) ========================
 *
 * REPORT, TARGETINFO and KEYREQUEST with the SDM's offsets (volume 3D,
 * "REPORT", "TARGETINFO", "KEYREQUEST" in the chapter on enclave data
 * structures), and EREPORT and EGETKEY done in software after the SDM's
 * pseudo-code, for the sgx-sim platform (docs/platforms.md, "Keys and local
 * attestation on sgx-sim"). CET fields of newer SDM editions are reserved
 * here: Coffer's enclaves do not enable CET, and a zero byte is what the
 * hardware reports then.
 */

/* Zero secrets with stores the compiler may not drop as dead. */
static inline void sgx_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;
	while (n--)
		*v++ = 0;
}

/* ---- AES-128 and AES-128-CMAC (RFC 4493), AES supplied by the caller ---- */

/* One AES-128 block encryption under a key set beforehand (BearSSL's
 * br_aes_x86ni or br_aes_ct in the enclave, OpenSSL in tools and tests). */
struct sgx_aes128 {
	void *ctx;
	void (*set_key)(void *ctx, const uint8_t key[16]);
	void (*encrypt)(void *ctx, const uint8_t in[16], uint8_t out[16]);
};

/* AES-CMAC of msg under key (RFC 4493): the derivation function of EGETKEY
 * and the REPORT MAC. Leaves the AES context keyed with key. */
void sgx_cmac(const struct sgx_aes128 *aes, const uint8_t key[16], const void *msg, size_t len,
	      uint8_t mac[16]);

/* ---- REPORT (432 bytes): REPORTBODY (384), KEYID, MAC --------------------- */

#define SGX_REPORT_SIZE 432u
#define SGX_REPORT_BODY_SIZE 384u
#define SGX_REPORTDATA_SIZE 64u
enum sgx_report_offset {
	RP_CPUSVN = 0,         /* 16 */
	RP_MISCSELECT = 16,    /* u32 */
	/* 20..31 reserved (CET_ATTRIBUTES at 20 where CET is enabled) */
	RP_ISVEXTPRODID = 32,  /* 16 */
	RP_ATTRIBUTES = 48,    /* 16: flags u64, xfrm u64 */
	RP_MRENCLAVE = 64,     /* 32 */
	/* 96..127 reserved */
	RP_MRSIGNER = 128,     /* 32 */
	/* 160..191 reserved */
	RP_CONFIGID = 192,     /* 64 */
	RP_ISVPRODID = 256,    /* u16 */
	RP_ISVSVN = 258,       /* u16 */
	RP_CONFIGSVN = 260,    /* u16 */
	/* 262..303 reserved */
	RP_ISVFAMILYID = 304,  /* 16 */
	RP_REPORTDATA = 320,   /* 64 */
	RP_KEYID = 384,        /* 32: not MACed */
	RP_MAC = 416,          /* 16: CMAC over bytes [0, 384) */
};

/* ---- TARGETINFO (512 bytes) ------------------------------------------------ */

#define SGX_TARGETINFO_SIZE 512u
enum sgx_targetinfo_offset {
	TI_MEASUREMENT = 0,    /* 32: the target's MRENCLAVE */
	TI_ATTRIBUTES = 32,    /* 16 */
	/* 48..49 reserved (CET_ATTRIBUTES at 48) */
	TI_CONFIGSVN = 50,     /* u16 */
	TI_MISCSELECT = 52,    /* u32 */
	/* 56..63 reserved */
	TI_CONFIGID = 64,      /* 64 */
	/* 128..511 reserved */
};

/* ---- KEYREQUEST (512 bytes) ------------------------------------------------ */

#define SGX_KEYREQUEST_SIZE 512u
enum sgx_keyrequest_offset {
	KR_KEYNAME = 0,        /* u16 */
	KR_KEYPOLICY = 2,      /* u16 */
	KR_ISVSVN = 4,         /* u16 */
	/* 6..7 reserved (CET_ATTRIBUTES_MASK at 6) */
	KR_CPUSVN = 8,         /* 16 */
	KR_ATTRIBUTEMASK = 24, /* 16 */
	KR_KEYID = 40,         /* 32 */
	KR_MISCMASK = 72,      /* u32 */
	KR_CONFIGSVN = 76,     /* u16 */
	/* 78..511 reserved */
};

/* KEYNAME */
#define SGX_KEYNAME_EINITTOKEN 0
#define SGX_KEYNAME_PROVISION 1
#define SGX_KEYNAME_PROVISION_SEAL 2
#define SGX_KEYNAME_REPORT 3
#define SGX_KEYNAME_SEAL 4

/* KEYPOLICY; bits 15:6 are reserved, bits 5:2 need ATTRIBUTES.KSS */
#define SGX_KEYPOLICY_MRENCLAVE 0x0001
#define SGX_KEYPOLICY_MRSIGNER 0x0002
#define SGX_KEYPOLICY_NOISVPRODID 0x0004
#define SGX_KEYPOLICY_CONFIGID 0x0008
#define SGX_KEYPOLICY_ISVFAMILYID 0x0010
#define SGX_KEYPOLICY_ISVEXTPRODID 0x0020
#define SGX_KEYPOLICY_KSS_BITS 0x003c
#define SGX_KEYPOLICY_RESERVED 0xffc0

#define SGX_FLAGS_LAUNCHKEY SGX_FLAGS_EINITTOKENKEY

/* ENCLU error codes in RAX (SDM "Error codes"; the Linux kernel's
 * enum sgx_return_code has the same values). */
#define SGX_INVALID_ATTRIBUTE 2
#define SGX_INVALID_CPUSVN 32
#define SGX_INVALID_ISVSVN 64
#define SGX_INVALID_KEYNAME 256
/* Not an error code: the instruction faults with #GP(0) (a reserved field
 * or KEYPOLICY bit set, KSS bits without ATTRIBUTES.KSS). The simulator
 * delivers it to the enclave as the exception hardware would raise. */
#define SGX_SIM_GP (-1)

/* ---- the simulated machine and enclave ------------------------------------ */

/* What the CPU holds and software never reads, simulated. key plays the
 * package's fused key (the derivation key of every EGETKEY and EREPORT);
 * ownerepoch is CR_SGXOWNEREPOCH, seal_fuses CR_SEAL_FUSES, cpusvn
 * CR_CPUSVN; report_keyid is CR_REPORT_KEYID, which hardware draws at
 * reset: the simulator draws it once per host process. */
struct sgx_sim_root {
	uint8_t key[16];
	uint8_t ownerepoch[16];
	uint8_t seal_fuses[16];
	uint8_t cpusvn[16];
	uint8_t report_keyid[32];
};

/* The machine's lasting part on the host (docs/platforms.md): 72 bytes,
 *   "CSGXSIM\1" | key | ownerepoch | seal_fuses | cpusvn   (16 bytes each)
 * tools/simroot.c keeps it per user, created once from random bytes;
 * report_keyid is not in it (a new one each boot, i.e. each host process). */
#define SGX_SIM_ROOT_FILE_SIZE 72u
extern const uint8_t sgx_sim_root_magic[8];
/* Decode a root file's bytes (report_keyid left zero for the caller to
 * draw). Returns 0, or -1 with a static reason in *why. */
int sgx_sim_root_parse(const uint8_t *buf, size_t len, struct sgx_sim_root *out, const char **why);
void sgx_sim_root_format(const struct sgx_sim_root *r, uint8_t out[SGX_SIM_ROOT_FILE_SIZE]);

/* The SECS fields EREPORT and EGETKEY read: the running enclave's identity
 * as EINIT fixed it. SECS.PADDING is not here: EINIT only accepts
 * signatures with PKCS#1 v1.5 SHA-256 padding, so it always equals the
 * SDM's HARDCODED_PKCS1_5_PADDING (sgx_pkcs1_5_padding). */
struct sgx_enclave_identity {
	uint8_t mrenclave[SGX_HASH_SIZE];
	uint8_t mrsigner[SGX_HASH_SIZE];
	uint64_t attr_flags, attr_xfrm;
	uint32_t miscselect;
	uint16_t isvprodid, isvsvn, configsvn;
	uint8_t configid[64];
	uint8_t isvfamilyid[16];
	uint8_t isvextprodid[16];
};

/* HARDCODED_PKCS1_5_PADDING (352 bytes): 00 01, 330 bytes of FF, 00 and
 * the DER DigestInfo prefix of SHA-256, in the order the SDM's bit ranges
 * give (bit 0 is the first byte). */
extern const uint8_t sgx_pkcs1_5_padding[352];

/* The key derivation data (the SDM's TMP_KEYDEPENDENCIES). The SDM names
 * the fields but does not fix how the CPU packs them; this is Coffer's
 * packing, in the SDM's order, integers little-endian. */
#define SGX_KEYDEP_SIZE 642u
enum sgx_keydep_offset {
	KD_KEYNAME = 0,        /* u16 */
	KD_ISVPRODID = 2,      /* u16 */
	KD_ISVSVN = 4,         /* u16 */
	KD_OWNEREPOCH = 6,     /* 16 */
	KD_ATTRIBUTES = 22,    /* 16 */
	KD_ATTRIBUTESMASK = 38,/* 16 */
	KD_MRENCLAVE = 54,     /* 32 */
	KD_MRSIGNER = 86,      /* 32 */
	KD_KEYID = 118,        /* 32 */
	KD_SEAL_KEY_FUSES = 150, /* 16 */
	KD_CPUSVN = 166,       /* 16 */
	KD_PADDING = 182,      /* 352 */
	KD_MISCSELECT = 534,   /* u32 */
	KD_MISCMASK = 538,     /* u32 */
	KD_KEYPOLICY = 542,    /* u16 */
	KD_CONFIGSVN = 544,    /* u16 */
	KD_ISVEXTPRODID = 546, /* 16 */
	KD_ISVFAMILYID = 562,  /* 16 */
	KD_CONFIGID = 578,     /* 64 */
};

/* EREPORT: the REPORT of enclave id for the target described by
 * targetinfo (512 bytes), with reportdata (64 bytes), MACed with the
 * target's report key. Cannot fail (the SDM's EREPORT has no error code). */
void sgx_sim_ereport(const struct sgx_aes128 *aes, const struct sgx_sim_root *root,
		     const struct sgx_enclave_identity *id, const uint8_t targetinfo[SGX_TARGETINFO_SIZE],
		     const uint8_t reportdata[SGX_REPORTDATA_SIZE], uint8_t report[SGX_REPORT_SIZE]);

/* EGETKEY for enclave id: 0 and the key, an SGX_INVALID_* error code (key
 * untouched), or SGX_SIM_GP for a request hardware would fault on. */
int sgx_sim_egetkey(const struct sgx_aes128 *aes, const struct sgx_sim_root *root,
		    const struct sgx_enclave_identity *id, const uint8_t keyrequest[SGX_KEYREQUEST_SIZE],
		    uint8_t key[16]);

/* The identity a REPORT states (the peer's, in local attestation). */
void sgx_report_identity(const uint8_t report[SGX_REPORT_SIZE], struct sgx_enclave_identity *out);

/* The TARGETINFO that lets another enclave make reports for the enclave
 * that made report (as the SDK's self-target: any report of oneself). */
void sgx_targetinfo_from_report(const uint8_t report[SGX_REPORT_SIZE], uint8_t ti[SGX_TARGETINFO_SIZE]);

/* Check the MAC of a REPORT made for us, given our REPORT_KEY for the
 * report's KEYID (EGETKEY with sgx_keyrequest_report). Constant time.
 * Returns 0 if it matches, -1 if not. */
int sgx_report_check_mac(const struct sgx_aes128 *aes, const uint8_t report_key[16],
			 const uint8_t report[SGX_REPORT_SIZE]);

/* A KEYREQUEST for our REPORT_KEY under the KEYID of report. */
void sgx_keyrequest_report(const uint8_t report[SGX_REPORT_SIZE], uint8_t kr[SGX_KEYREQUEST_SIZE]);

#endif
