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
#define SGX_MISC_EXINFO 0x01u /* page-fault and #GP details, 16 bytes */
#define SGX_MISC_KNOWN SGX_MISC_EXINFO

/* SSA frame (SDM 38.9): the XSAVE area from offset 0, MISC regions just
 * below GPRSGX, GPRSGX in the last 184 bytes of the frame. */
#define SGX_GPRSGX_SIZE 184u
#define SGX_EXINFO_SIZE 16u
#define SGX_XSAVE_LEGACY_SIZE 576u /* legacy region 512 + XSAVE header 64 */

/* TCS (SDM 38.8): 4096 bytes; everything not listed (the first 8 bytes,
 * and from byte 72 on) is reserved and zero when added */
enum sgx_tcs_offset {
	TCS_FLAGS = 8,    /* u64: DBGOPTIN (bit 0) and AEXNOTIFY (bit 1) */
	TCS_OSSA = 16,    /* u64: first SSA frame, from the enclave base, page aligned */
	TCS_CSSA = 24,    /* u32: current SSA frame, 0 when added */
	TCS_NSSA = 28,    /* u32: number of SSA frames */
	TCS_OENTRY = 32,  /* u64: entry point, from the enclave base */
	TCS_AEP = 40,     /* u64: written by EENTER */
	TCS_OFSBASE = 48, /* u64: FS base, from the enclave base, page aligned */
	TCS_OGSBASE = 56, /* u64: GS base, likewise */
	TCS_OFSLIMIT = 64, /* u32: FS limit (32-bit enclaves only) */
	TCS_OGSLIMIT = 68, /* u32: GS limit (32-bit enclaves only) */
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

#endif
