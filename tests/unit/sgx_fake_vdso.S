/*
 * sgx_fake_vdso.S - for test_sgx_driver.c: a stand-in for
 * __vdso_sgx_enter_enclave that behaves as badly as the real one may, and
 * a caller that checks sgxhw_enter (platform/sgx/host/enter.S) keeps the
 * registers the C ABI says a call keeps.
 *
 * fake_vdso_enter(rdi, rsi, rdx, function ecx, r8, r9, run on the stack)
 *   records its arguments in fake_vdso_args[0..6] and %rsp modulo 16 at
 *   entry in [7]; keeps %rbx and %rbp as the real one does; then does what
 *   an enclave exit may do to everything else: zeroes %r12-%r15 (an AEX
 *   leaves synthetic zeros), changes MXCSR and the x87 control word, sets
 *   DF; sets run->function to EEXIT (4) and returns 0.
 *
 * int fake_call_enter(fn, run, function, regs, int *result)
 *   loads %rbx, %r12-%r15 with known values, calls sgxhw_enter(fn, run,
 *   function, regs), stores its result, and returns a mask of the
 *   registers that came back changed: 1 rbx, 2 r12, 4 r13, 8 r14, 16 r15,
 *   32 rbp, and 64 if DF was left set.
 */
	.text

	.globl fake_vdso_enter
	.type fake_vdso_enter, @function
fake_vdso_enter:
	push %rbp
	mov %rsp, %rbp
	push %rbx
	lea fake_vdso_args(%rip), %rax
	mov %rdi, 0(%rax)
	mov %rsi, 8(%rax)
	mov %rdx, 16(%rax)
	mov %rcx, 24(%rax)
	mov %r8, 32(%rax)
	mov %r9, 40(%rax)
	mov 16(%rbp), %rbx		/* the 7th argument */
	mov %rbx, 48(%rax)
	lea 8(%rbp), %rcx		/* %rsp at entry */
	and $15, %rcx
	mov %rcx, 56(%rax)
	movl $4, 8(%rbx)		/* run->function = EEXIT */
	xor %r12, %r12
	xor %r13, %r13
	xor %r14, %r14
	xor %r15, %r15
	sub $8, %rsp
	movl $0x7f80, (%rsp)		/* round toward zero, all masked */
	ldmxcsr (%rsp)
	movw $0x0c7f, (%rsp)		/* truncate */
	fldcw (%rsp)
	add $8, %rsp
	std
	xor %eax, %eax
	pop %rbx
	leave
	ret
	.size fake_vdso_enter, .-fake_vdso_enter

/* %eax |= bit unless reg == val */
	.macro kept reg, val, bit
	movabs $\val, %r10
	cmp %r10, \reg
	je 1f
	or $\bit, %eax
1:
	.endm

	.globl fake_call_enter
	.type fake_call_enter, @function
fake_call_enter:
	push %rbp
	mov %rsp, %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %r8
	movabs $0x1111111111111111, %rbx
	movabs $0x1212121212121212, %r12
	movabs $0x1313131313131313, %r13
	movabs $0x1414141414141414, %r14
	movabs $0x1515151515151515, %r15
	call sgxhw_enter
	pushf				/* DF, before C code needs it clear again */
	pop %r11
	cld
	pop %r8
	mov %eax, (%r8)
	xor %eax, %eax
	kept %rbx, 0x1111111111111111, 1
	kept %r12, 0x1212121212121212, 2
	kept %r13, 0x1313131313131313, 4
	kept %r14, 0x1414141414141414, 8
	kept %r15, 0x1515151515151515, 16
	lea 40(%rsp), %r10
	cmp %r10, %rbp
	je 1f
	or $32, %eax
1:	test $0x400, %r11d
	jz 1f
	or $64, %eax
1:	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.size fake_call_enter, .-fake_call_enter

	.bss
	.globl fake_vdso_args
	.align 8
fake_vdso_args:
	.zero 64

	.section .note.GNU-stack, "", @progbits
