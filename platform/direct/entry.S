/*
 * entry.S - the direct platform's machine-level entry and exit points.
 *
 * Every `syscall` instruction of the enclave image lives in its text, which is
 * the region Syscall User Dispatch allows; any other `syscall` traps (SIGSYS).
 *
 *  _start                 process entry: call direct_start(initial %rsp)
 *  direct_syscall6        a plain host system call
 *  direct_syscall_cp      an interruptible one: between direct_cp_begin and
 *                         direct_cp_end it checks the thread's `intr` flag
 *                         before it enters the kernel; a signal that arrives
 *                         in that window is made to skip the call (the
 *                         handler moves %rip to direct_cp_cancel), so a held
 *                         signal can never be lost while the thread sleeps.
 *  direct_sigsys_entry    SIGSYS handler (runs on the runtime's signal stack
 *                         with the application's mask): dispatch, then the
 *                         exit window, which returns to the application with
 *                         rt_sigreturn only when no held signal is waiting;
 *                         a signal that lands inside the window rewinds it.
 *  direct_signal_entry    handler for every other host signal (all signals
 *                         blocked while it runs).
 *  direct_sigreturn       the SA_RESTORER stub (inside the allowed region).
 *  direct_clone           clone for threads: the child starts on its new stack.
 */

	.text

	.globl _start
	.type _start, @function
_start:
	xor %ebp, %ebp
	mov %rsp, %rdi
	and $-16, %rsp
	call direct_start
	ud2

/* long direct_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5) */
	.globl direct_syscall6
	.type direct_syscall6, @function
direct_syscall6:
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
	syscall
	ret

/* long direct_syscall_cp(long nr, long a0, ..., long a5) */
	.globl direct_syscall_cp
	.type direct_syscall_cp, @function
direct_syscall_cp:
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
	.globl direct_cp_begin
direct_cp_begin:
	cmpl $0, %gs:8
	jne direct_cp_cancel
	syscall
	.globl direct_cp_end
direct_cp_end:
	ret
	.globl direct_cp_cancel
direct_cp_cancel:
	mov $-4, %rax		/* -EINTR */
	ret

/* SIGSYS: %rdi = signo, %rsi = siginfo, %rdx = ucontext; %rsp = &frame.pretcode */
	.globl direct_sigsys_entry
	.type direct_sigsys_entry, @function
direct_sigsys_entry:
	mov %rsp, %rbx			/* frame address, callee-saved */
	mov %rdx, %r12			/* ucontext */
	sub $8, %rsp			/* 16-byte alignment for C */
	call direct_on_sigsys
	test %eax, %eax
	jnz 3f
	.globl direct_exitwin_begin
direct_exitwin_begin:
	cmpl $0, %gs:8
	jne 2f
	lea 8(%rbx), %rsp		/* rt_sigreturn finds the frame at %rsp - 8 */
	mov $15, %eax
	.globl direct_exitwin_syscall
direct_exitwin_syscall:
	syscall
	ud2
2:	lea -8(%rbx), %rsp
	mov %r12, %rdi
	call rt_deliver_held
	jmp direct_exitwin_begin
3:	lea 8(%rbx), %rsp		/* it interrupted runtime code: plain return */
	mov $15, %eax
	syscall
	ud2

/* Any other host signal; runs with every signal blocked. */
	.globl direct_signal_entry
	.type direct_signal_entry, @function
direct_signal_entry:
	mov %rsp, %rbx
	sub $8, %rsp
	call direct_on_signal
	lea 8(%rbx), %rsp
	mov $15, %eax
	syscall
	ud2

	.globl direct_sigreturn
	.type direct_sigreturn, @function
direct_sigreturn:
	mov $15, %eax
	syscall
	ud2

/* Load a complete context: %rdi points at a struct kucontext that sits 8
 * bytes above a (dummy) pretcode slot, as in a kernel signal frame. */
	.globl direct_load_context
	.type direct_load_context, @function
direct_load_context:
	mov %rdi, %rsp
	mov $15, %eax
	syscall
	ud2

/* long direct_clone(flags, stack, ptid, ctid, tls): the child starts on
 * `stack` whose first two words are (padding, argument). */
	.globl direct_clone
	.type direct_clone, @function
direct_clone:
	mov %rcx, %r10
	mov $56, %eax
	syscall
	test %rax, %rax
	jnz 1f
	xor %ebp, %ebp
	mov 8(%rsp), %rdi
	and $-16, %rsp
	call direct_thread_entry
	ud2
1:	ret

/* Exit the thread after unmapping nothing: kept in asm so that no stack is
 * touched after the call. */
	.globl direct_exit_thread
	.type direct_exit_thread, @function
direct_exit_thread:
	mov $60, %eax
	syscall
	ud2

	.section .note.GNU-stack,"",@progbits
