/*
 * uaccess.S - copies that may fault on application memory.
 *
 * Every instruction that touches application memory lies between
 * uaccess_begin and uaccess_end; a SIGSEGV or SIGBUS there resumes at
 * uaccess_fault, which returns -EFAULT to the caller (the kernel's exception
 * table idea). None of these routines uses the stack between its first and
 * last instruction, so returning from anywhere inside is safe.
 */
	.text

	.globl uaccess_begin
uaccess_begin:

/* long uaccess_raw_copy(void *dst, const void *src, size_t n) */
	.globl uaccess_raw_copy
	.type uaccess_raw_copy, @function
uaccess_raw_copy:
	mov %rdx, %rcx
	rep movsb
	xor %eax, %eax
	ret

/* long uaccess_raw_strncpy(char *dst, const char *src, size_t max):
 * length, or -ENAMETOOLONG (-36) if no NUL in the first max bytes */
	.globl uaccess_raw_strncpy
	.type uaccess_raw_strncpy, @function
uaccess_raw_strncpy:
	xor %eax, %eax
1:	cmp %rdx, %rax
	jae 2f
	movzbl (%rsi,%rax), %ecx
	movb %cl, (%rdi,%rax)
	test %ecx, %ecx
	jz 3f
	inc %rax
	jmp 1b
2:	mov $-36, %rax
3:	ret

/* long uaccess_raw_get_u64(uint64_t *out, const uint64_t *src) */
	.globl uaccess_raw_get_u64
	.type uaccess_raw_get_u64, @function
uaccess_raw_get_u64:
	mov (%rsi), %rax
	mov %rax, (%rdi)
	xor %eax, %eax
	ret

	.globl uaccess_end
uaccess_end:

	.globl uaccess_fault
uaccess_fault:
	mov $-14, %rax		/* -EFAULT */
	cld
	ret

	.section .note.GNU-stack,"",@progbits
