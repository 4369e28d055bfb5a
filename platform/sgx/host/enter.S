/*
 * enter.S - sgxhw_enter: EENTER or ERESUME through the vDSO's
 * __vdso_sgx_enter_enclave (driver.h).
 *
 *   int sgxhw_enter(fn %rdi, run %rsi, function %edx, const struct sgxhw_regs *in %rcx)
 *
 * The vDSO function takes (rdi, rsi, rdx, function in ecx, r8, r9, run as
 * the 7th argument on the stack) and keeps only %rbx, %rbp and %rsp of the
 * C ABI (uapi asm/sgx.h): whatever the enclave left in the other registers
 * at EEXIT is still there, and an AEX replaces them with synthetic values
 * (zeros) before an exception is reported. So this wrapper keeps every
 * callee-saved register itself, in its own frame found again through %rbp
 * (which the vDSO restores), and also MXCSR and the x87 control word, which
 * the enclave may change; it clears DF on the way out. The vDSO calls the
 * exit handler in run->user_handler itself, on this stack.
 *
 * Frame, from %rbp: -8 rbx, -16 r12, -24 r13, -32 r14, -40 r15,
 * -56 MXCSR, -52 x87 control word, -64 the 7th argument (run) at %rsp when
 * the vDSO is called, which is then 16-byte aligned as the ABI wants.
 */
	.text

	.globl sgxhw_enter
	.type sgxhw_enter, @function
sgxhw_enter:
	push %rbp
	mov %rsp, %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	sub $24, %rsp
	stmxcsr -56(%rbp)
	fnstcw -52(%rbp)
	mov %rsi, (%rsp)	/* run: the 7th argument */
	mov %rdi, %rax		/* the vDSO function */
	mov %rcx, %r11		/* the registers to pass */
	mov %edx, %ecx		/* function: EENTER or ERESUME */
	mov 0(%r11), %rdi
	mov 8(%r11), %rsi
	mov 16(%r11), %rdx
	mov 24(%r11), %r8
	mov 32(%r11), %r9
	call *%rax
	cld
	ldmxcsr -56(%rbp)
	fldcw -52(%rbp)
	lea -40(%rbp), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.size sgxhw_enter, .-sgxhw_enter

	.section .note.GNU-stack, "", @progbits
