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
 *  direct_fast_entry      where a patched call site lands (patch.c): no
 *                         signal; the registers are saved into a context on
 *                         the runtime stack, rt_on_syscall runs, and the
 *                         fast exit window returns to the application with a
 *                         plain jump, or, when a held signal or a new mask
 *                         must be installed, the slow exit re-enters through
 *                         a trap at the resume stub so that the kernel makes
 *                         the full signal frame the exit window needs.
 */
#include "offsets.h"

	.text

	.globl _start
	.type _start, @function
_start:
	xor %ebp, %ebp
	mov %rsp, %rdi
	and $-16, %rsp
	call direct_start
	ud2

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
	mov %r12, %rdi
	call direct_fix_return
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

/* The fast path and the host calls it makes, together in .text.hot (with
 * the C functions marked RT_HOT): this VM's kernel entries flush the TLB
 * (PTI without PCID), so every page the path touches costs a page walk per
 * call. */
	.section .text.hot,"ax",@progbits

/* The application's registers from the context at %rsp, but for those a
 * `syscall` changes (%rax, %rcx, %r11) and %rsp. */
.macro load_app_regs
	mov MC_R8(%rsp), %r8
	mov MC_R9(%rsp), %r9
	mov MC_R10(%rsp), %r10
	mov MC_R12(%rsp), %r12
	mov MC_R13(%rsp), %r13
	mov MC_R14(%rsp), %r14
	mov MC_R15(%rsp), %r15
	mov MC_RDI(%rsp), %rdi
	mov MC_RSI(%rsp), %rsi
	mov MC_RBP(%rsp), %rbp
	mov MC_RBX(%rsp), %rbx
	mov MC_RDX(%rsp), %rdx
.endm

/* From the C calling convention (nr, a0..a5: rdi rsi rdx rcx r8 r9, stack)
 * to the kernel's (rax; rdi rsi rdx r10 r8 r9). */
.macro syscall_args
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
.endm

/* long direct_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5) */
	.globl direct_syscall6
	.type direct_syscall6, @function
direct_syscall6:
	syscall_args
	syscall
	ret

/* long direct_syscall_cp(long nr, long a0, ..., long a5) */
	.globl direct_syscall_cp
	.type direct_syscall_cp, @function
direct_syscall_cp:
	syscall_args
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

/* A patched call site's trampoline jumps here with the call number in %rax,
 * the return address in %rcx (as `syscall` leaves it), %r11 free (`syscall`
 * clobbers it with the flags) and everything else as the application had
 * it; %rsp is the application's stack, whose red zone must not be touched. */
	.globl direct_fast_entry
	.type direct_fast_entry, @function
direct_fast_entry:
	mov %rsp, %r11
	mov %gs:TLS_STACK_HI, %rsp
	sub $FAST_FRAME, %rsp
	mov %r11, MC_RSP(%rsp)
	mov %rcx, MC_RIP(%rsp)
	mov %rcx, MC_RCX(%rsp)
	mov %r8, MC_R8(%rsp)
	mov %r9, MC_R9(%rsp)
	mov %r10, MC_R10(%rsp)
	mov %r12, MC_R12(%rsp)
	mov %r13, MC_R13(%rsp)
	mov %r14, MC_R14(%rsp)
	mov %r15, MC_R15(%rsp)
	mov %rdi, MC_RDI(%rsp)
	mov %rsi, MC_RSI(%rsp)
	mov %rbp, MC_RBP(%rsp)
	mov %rbx, MC_RBX(%rsp)
	mov %rdx, MC_RDX(%rsp)
	mov %rax, MC_RAX(%rsp)
	pushfq
	pop %r11
	mov %r11, MC_EFLAGS(%rsp)
	mov %r11, MC_R11(%rsp)		/* what `syscall` leaves in %r11 */
	cld
	xor %eax, %eax
	mov %rax, 0(%rsp)		/* uc_flags, uc_link, uc_stack */
	mov %rax, 8(%rsp)
	mov %rax, 16(%rsp)
	mov %rax, 24(%rsp)
	mov %rax, 32(%rsp)
	lea MC_EFLAGS+8(%rsp), %rcx	/* segments ... fpstate, reserved */
	mov $(UC_SIGMASK - MC_EFLAGS - 8) / 8, %edx
1:	mov %rax, (%rcx)
	add $8, %rcx
	dec %edx
	jnz 1b
	movq $-1, UC_SIGMASK(%rsp)	/* "unchanged" */
	mov %rsp, %rdi
	call direct_on_fastcall
	test %eax, %eax
	jnz direct_fast_slow
	push MC_EFLAGS(%rsp)
	popfq
	/* The fast exit window: from here to direct_fexit_last a signal that
	 * the runtime holds rewinds to the start (%rsp still points at the
	 * context), and the check below uses no flags, which are already the
	 * application's. At direct_fexit_last every register is the
	 * application's, so a signal there is treated as one that interrupted
	 * the application at %rcx (host.c). */
	.globl direct_fexit_begin
direct_fexit_begin:
	mov %gs:TLS_INTR, %ecx
	jrcxz 2f
	jmp direct_fast_slow
2:	load_app_regs
	mov MC_R11(%rsp), %r11
	mov MC_RAX(%rsp), %rax
	mov MC_RIP(%rsp), %rcx
	mov MC_RSP(%rsp), %rsp
	.globl direct_fexit_last
direct_fexit_last:
	jmp *%rcx

/* The slow exit: %rsp points at the context. Park what the trap at the
 * resume stub cannot carry in the thread block, load the application's
 * registers and trap there; direct_on_sigsys puts the parked values into
 * the kernel's frame and runs the ordinary exit window. */
direct_fast_slow:
	mov %rsp, %rdi
	call direct_fast_park		/* returns the stub's address */
	mov %rax, %rcx
	load_app_regs
	mov MC_RSP(%rsp), %rsp
	mov $RESUME_MAGIC, %eax
	jmp *%rcx

	.text

	.section .note.GNU-stack,"",@progbits
