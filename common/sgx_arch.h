/*
 * sgx_arch.h - the numbers of SGX enclave entry and exit that assembly needs
 * too: TCS field offsets (SDM vol. 3D 38.8), the GPRSGX region of an SSA
 * frame (38.9.1, Table 38-8), EXITINFO (Table 38-9), the ENCLU leaves and
 * the exception vectors an AEX reports. Macros only, so that .S files can
 * include it; sgx.h includes it for C.
 */
#ifndef COFFER_COMMON_SGX_ARCH_H
#define COFFER_COMMON_SGX_ARCH_H

/* TCS (one page, type PT_TCS) */
#define TCS_FLAGS 8       /* u64: bit 0 DBGOPTIN, the rest reserved */
#define TCS_OSSA 16       /* u64: offset of SSA frame 0 from the enclave base */
#define TCS_CSSA 24       /* u32: current SSA frame */
#define TCS_NSSA 28       /* u32: number of SSA frames */
#define TCS_OENTRY 32     /* u64: entry point, offset from the base */
#define TCS_AEP 40        /* u64: written by EENTER/ERESUME */
#define TCS_OFSBASE 48    /* u64: %fs base on entry, offset from the base */
#define TCS_OGSBASE 56    /* u64: %gs base on entry, offset from the base */
#define TCS_OFSLIMIT 64   /* u32 */
#define TCS_OGSLIMIT 68   /* u32 */
#define TCS_RESERVED 72   /* to the end of the page: must be zero */

/* GPRSGX: the last 184 bytes of an SSA frame */
#define SSA_GPR_SIZE 184
#define GPR_RAX 0
#define GPR_RCX 8
#define GPR_RDX 16
#define GPR_RBX 24
#define GPR_RSP 32
#define GPR_RBP 40
#define GPR_RSI 48
#define GPR_RDI 56
#define GPR_R8 64
#define GPR_R9 72
#define GPR_R10 80
#define GPR_R11 88
#define GPR_R12 96
#define GPR_R13 104
#define GPR_R14 112
#define GPR_R15 120
#define GPR_RFLAGS 128
#define GPR_RIP 136
#define GPR_URSP 144      /* host RSP: saved by EENTER, loaded by an AEX */
#define GPR_URBP 152      /* host RBP: the same */
#define GPR_EXITINFO 160  /* u32 */
#define GPR_FSBASE 168
#define GPR_GSBASE 176

/* MISC.EXINFO (MISCSELECT bit 0): 16 bytes just below GPRSGX */
#define SGX_MISC_EXINFO 0x1
#define SSA_EXINFO_SIZE 16
#define EXINFO_MADDR 0    /* u64: CR2 of a #PF, 0 for #GP (the host's CR2 loses its low 12 bits) */
#define EXINFO_ERRCD 8    /* u32: the error code */

/* EXITINFO: bits 7:0 vector, 10:8 type, 31 valid */
#define EXITINFO_VALID 0x80000000u
#define EXITINFO_TYPE_HW 3u /* hardware exception */
#define EXITINFO_TYPE_SW 6u /* software exception (#BP) */
#define SGX_VEC_DE 0
#define SGX_VEC_DB 1
#define SGX_VEC_BP 3
#define SGX_VEC_BR 5
#define SGX_VEC_UD 6
#define SGX_VEC_GP 13
#define SGX_VEC_PF 14
#define SGX_VEC_MF 16
#define SGX_VEC_AC 17
#define SGX_VEC_XM 19

/* ENCLU leaves (EAX) */
#define ENCLU_EREPORT 0
#define ENCLU_EGETKEY 1
#define ENCLU_EENTER 2
#define ENCLU_ERESUME 3
#define ENCLU_EEXIT 4
#define ENCLU_EACCEPT 5
#define ENCLU_EMODPE 6
#define ENCLU_EACCEPTCOPY 7

#endif
