/*
 * offsets.h - byte offsets that entry.S uses, checked against the C
 * structures by _Static_assert in patch.c.
 */
#ifndef COFFER_DIRECT_OFFSETS_H
#define COFFER_DIRECT_OFFSETS_H

/* struct plat_tls */
#define TLS_INTR 8
#define TLS_STACK_HI 24

/* struct kucontext and its uc_mcontext (struct ksigcontext) */
#define UC_MC 40
#define MC_R8 (UC_MC + 0)
#define MC_R9 (UC_MC + 8)
#define MC_R10 (UC_MC + 16)
#define MC_R11 (UC_MC + 24)
#define MC_R12 (UC_MC + 32)
#define MC_R13 (UC_MC + 40)
#define MC_R14 (UC_MC + 48)
#define MC_R15 (UC_MC + 56)
#define MC_RDI (UC_MC + 64)
#define MC_RSI (UC_MC + 72)
#define MC_RBP (UC_MC + 80)
#define MC_RBX (UC_MC + 88)
#define MC_RDX (UC_MC + 96)
#define MC_RAX (UC_MC + 104)
#define MC_RCX (UC_MC + 112)
#define MC_RSP (UC_MC + 120)
#define MC_RIP (UC_MC + 128)
#define MC_EFLAGS (UC_MC + 136)
#define UC_SIGMASK 296
#define UC_SIZE 304

/* The fast path's frame on the runtime stack: a zeroed struct kucontext,
 * rounded up to 16 bytes. */
#define FAST_FRAME 320

/* rax of the jump to the resume stub (see entry.S): not a call number. */
#define RESUME_MAGIC 0x7265736d

#endif
