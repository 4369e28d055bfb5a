/*
 * switch.S - rt_switch_stack(fn, arg, sp): continue boot on another stack.
 * Used once per enclave, to leave the host's main stack to the application.
 */
	.text
	.globl rt_switch_stack
	.type rt_switch_stack, @function
rt_switch_stack:
	mov %rdx, %rsp
	and $-16, %rsp
	mov %rdi, %rax
	mov %rsi, %rdi
	xor %ebp, %ebp
	call *%rax
	ud2

	.section .note.GNU-stack,"",@progbits
