/*
 * enclu.S - the host's side of entering the enclave, shaped as on hardware
 * (the kernel's __vdso_sgx_enter_enclave and the SDKs do the same steps):
 *
 *   sim_eenter   keeps the host's callee-saved registers in a frame, lets
 *                the simulated CPU check the TCS (sim_eenter_prepare), loads
 *                RAX = CSSA, RBX = TCS, RCX = the return point, the
 *                caller's RDI..R9, and jumps to OENTRY: the EENTER
 *   .Lafter      where the enclave's EEXIT lands (RCX at EENTER): RSP/RBP
 *                are the ones this frame had, the enclave restores them;
 *                after the rewritten EEXIT of the fast variant the rest
 *                of the leaf is done here (sim_eexit_landed)
 *   .Laep        the AEP: after an AEX the simulated CPU returns here with
 *                RAX = 3, RBX = TCS, RCX = AEP and this frame's RSP/RBP;
 *                the host's exception step (c->on_aex) runs, then the
 *                real ENCLU[ERESUME] executes: on hardware the instruction,
 *                here #UD, which the simulator's SIGILL handler performs.
 *                The resumed context's EEXIT returns to .Lafter of this very
 *                frame, which is why the AEP is inside it.
 *
 * sim_eenter's frame (RBP-relative): -48 the struct sim_call *.
 */
#include "../../../common/sgx_arch.h"

#define C_TCS 8
#define C_RDI 16
#define C_RSI 24
#define C_RDX 32
#define C_R8 40
#define C_R9 48
#define C_CSSA 56

	.text
/* long sim_eenter(struct sim_call *c) */
	.globl sim_eenter
	.hidden sim_eenter
	.type sim_eenter, @function
sim_eenter:
	push %rbp
	mov %rsp, %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi
	/* RSP is 16-byte aligned here: the CPU saves it as URSP */
	mov %rsp, %rsi
	mov %rbp, %rdx
	lea .Laep(%rip), %rcx
	call sim_eenter_prepare /* (c, ursp, urbp, aep): OENTRY, or -error */
	test %rax, %rax
	js .Lout
	mov %rax, %r11
	mov -48(%rbp), %rax
	mov C_TCS(%rax), %rbx
	mov C_RDI(%rax), %rdi
	mov C_RSI(%rax), %rsi
	mov C_RDX(%rax), %rdx
	mov C_R8(%rax), %r8
	mov C_R9(%rax), %r9
	mov C_CSSA(%rax), %rax
	lea .Lafter(%rip), %rcx
	jmp *%r11

.Lafter:
	/* EEXIT: RDI/RSI/RDX are the enclave's answer; after the rewritten
	 * EEXIT (sim_fast) the simulator finishes the leaf here */
	mov -48(%rbp), %rax
	mov %rdi, C_RDI(%rax)
	mov %rsi, C_RSI(%rax)
	mov %rdx, C_RDX(%rax)
	mov %rax, %rdi
	call sim_eexit_landed /* (c); RSP is URSP, 16-byte aligned */
	xor %eax, %eax
.Lout:
	lea -40(%rbp), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

.Laep:
	mov -48(%rbp), %rdi
	call sim_aep /* (c): 0 to resume, or -error */
	test %rax, %rax
	jnz .Lout
	mov -48(%rbp), %rax
	mov C_TCS(%rax), %rbx
	lea .Laep(%rip), %rcx
	mov $ENCLU_ERESUME, %eax
	.globl sim_eresume_enclu
	.hidden sim_eresume_enclu
sim_eresume_enclu:
	enclu
	/* only reached when ERESUME failed: RAX = -error */
	jmp .Lout
	.size sim_eenter, .-sim_eenter

/* long sim_syscall6(long nr, long a, long b, long c, long d, long e, long f):
 * a host system call from the host's text (the range SUD allows) */
	.globl sim_syscall6
	.hidden sim_syscall6
	.type sim_syscall6, @function
sim_syscall6:
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
	syscall
	ret
	.size sim_syscall6, .-sim_syscall6

/* the signal handlers' return: rt_sigreturn from the host's text */
	.globl sim_restorer
	.hidden sim_restorer
	.type sim_restorer, @function
sim_restorer:
	mov $15, %eax /* __NR_rt_sigreturn */
	syscall
	ud2
	.size sim_restorer, .-sim_restorer
	.section .note.GNU-stack, "", @progbits
