/* head.S - the test enclave image's header (tlayout.h, struct tl_head) */
	.section .head, "awx"
	.ascii "CFSIMENC"
	.quad __head_entry
	.quad __head_end
	.quad __head_eexit

/* long t_syscall_xmm(long nr, uint64_t v, uint64_t *back): `syscall` with v
 * in XMM5, which must hold v again after the #UD's AEX and ERESUME */
	.text
	.globl t_syscall_xmm
	.hidden t_syscall_xmm
	.type t_syscall_xmm, @function
t_syscall_xmm:
	movq %rsi, %xmm5
	mov %rdi, %rax
	mov %rdx, %r8
	syscall
	movq %xmm5, %rsi
	mov %rsi, (%r8)
	ret
	.size t_syscall_xmm, .-t_syscall_xmm
	.section .note.GNU-stack, "", @progbits
