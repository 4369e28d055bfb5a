/*
 * entry.S - the enclave's side of every crossing (sgx platform, hardware and
 * simulation alike: the simulator runs this same code).
 *
 *   sgx_entry   OENTRY of every TCS: tells an ECALL, an OCALL return and an
 *               exception entry apart (sgx_abi.h says how) and switches to
 *               the thread's enclave stack from the thread block at %gs
 *   sgx_ocall   leave for the host with an OCALL code and resume when the
 *               host enters again
 *   .Leexit     the one EEXIT: scrubs the registers the host would see;
 *               its `enclu` is sgx_eexit_enclu, which sgx-sim's fast
 *               variant rewrites in its own copy (host/sim.h, sim_fast),
 *               found through the image's second ELF note
 *
 * What the host gives is not trusted: RSP/RBP and the EEXIT target are only
 * handed back to it, RDI is a value the C code checks. The exception entry
 * keeps the interrupted level's host stack and EEXIT target (and a pending
 * OCALL of it, if the event came in the few instructions before its EEXIT)
 * on the exception stack and puts them back before leaving, so that the
 * interrupted context, once resumed, leaves to where its own entry came from.
 *
 * Not yet here (the runtime's wiring, a later step): restoring a clean
 * extended state (XRSTOR) at entry and scrubbing the vector registers at
 * exit. This code and the test enclave use general registers only.
 */
#include "../../../common/sgx_arch.h"
#include "../sgx_abi.h"

/* the host stack and EEXIT target of the entry being served: kept at
 * entry, and loaded into R11/RBP/R10 for .Leexit */
.macro HOST_SAVE
	mov %rsp, %gs:TB_URSP
	mov %rbp, %gs:TB_URBP
	mov %rcx, %gs:TB_EXIT
.endm
.macro HOST_LOAD
	mov %gs:TB_EXIT, %r10
	mov %gs:TB_URSP, %r11
	mov %gs:TB_URBP, %rbp
.endm

	.text

/* OENTRY. RAX = CSSA, RBX = TCS, RCX = EEXIT target, RSP/RBP the host's. */
	.globl sgx_entry
	.hidden sgx_entry
	.type sgx_entry, @function
sgx_entry:
	cmpq $0, %gs:TB_SELF
	jne 1f
	/* first entry on this thread: locate the enclave and the block */
	mov %rbx, %r11
	sub %gs:TB_TCS_OFF, %r11
	mov %r11, %gs:TB_BASE
	add %gs:TB_SELF_OFF, %r11
	mov %r11, %gs:TB_SELF
1:	cmpq $0, %gs:TB_OCALL_RSP
	je 2f
	cmp %gs:TB_CSSA, %rax
	je .Locall_return
2:	test %rax, %rax
	jnz .Lexception

	/* ECALL: RDI = number, RSI/RDX = untrusted buffer */
	HOST_SAVE
	movq $0, %gs:TB_CSSA
	mov %gs:TB_BASE, %rsp
	add %gs:TB_STACK_OFF, %rsp
	xor %ebp, %ebp
	cld
	call sgx_ecall /* (number, ubuf, ubuf_len) */
	mov %rax, %rsi
	xor %edx, %edx
	mov $SGX_EXIT_RETURN, %edi
	HOST_LOAD
	jmp .Leexit

.Locall_return:
	/* the host's new stack and return point serve the level from now on */
	HOST_SAVE
	mov %gs:TB_OCALL_RSP, %rsp
	movq $0, %gs:TB_OCALL_RSP
	mov %rdi, %rax
	cld
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

.Lexception:
	/* RAX = CSSA >= 1: SSA frame RAX-1 holds the interrupted context */
	mov %rsp, %r10
	mov %gs:TB_BASE, %rsp
	add %gs:TB_XSTACK_OFF, %rsp
	pushq %gs:TB_URSP
	pushq %gs:TB_URBP
	pushq %gs:TB_EXIT
	pushq %gs:TB_CSSA
	pushq %gs:TB_OCALL_RSP
	push %r10 /* this entry's host RSP, RBP, EEXIT target */
	push %rbp
	push %rcx /* 8 words: the stack stays 16-byte aligned */
	mov %r10, %gs:TB_URSP
	mov %rbp, %gs:TB_URBP
	mov %rcx, %gs:TB_EXIT
	mov %rax, %gs:TB_CSSA
	movq $0, %gs:TB_OCALL_RSP
	xor %ebp, %ebp
	cld
	mov %rax, %rsi
	call sgx_exception /* (host signal, cssa): SGX_EXIT_RESUME or _FATAL in RAX, detail in RDX */
	mov %rax, %rdi
	mov %rdx, %rsi
	xor %edx, %edx
	pop %r10
	pop %rbp
	pop %r11
	popq %gs:TB_OCALL_RSP
	popq %gs:TB_CSSA
	popq %gs:TB_EXIT
	popq %gs:TB_URBP
	popq %gs:TB_URSP
	jmp .Leexit
	.size sgx_entry, .-sgx_entry

/* long sgx_ocall(long code, void *untrusted_args): the host's result, untrusted */
	.globl sgx_ocall
	.hidden sgx_ocall
	.type sgx_ocall, @function
sgx_ocall:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %gs:TB_OCALL_RSP
	mov %rsi, %rdx
	mov %rdi, %rsi
	mov $SGX_EXIT_OCALL, %edi
	HOST_LOAD
	/* fall through */

/* EEXIT to R10 on host stack R11 (RBP already the host's), RDI/RSI/RDX out */
.Leexit:
	mov %r11, %rsp
	mov %r10, %rbx
	xor %ecx, %ecx
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	/* the 11 bytes sgx-sim's fast variant checks and rewrites may not
	 * cross a page (it rewrites them in one added page): aligned to 16 */
	.balign 16
	mov $ENCLU_EEXIT, %eax
	/* clears CF..OF as the host would otherwise see the enclave's */
	add $0, %eax
	/* the simulator's fast variant finds this instruction by the symbol
	 * (the image exports its offset) and checks the bytes above */
	.globl sgx_eexit_enclu
	.hidden sgx_eexit_enclu
sgx_eexit_enclu:
	enclu
	ud2
	.size sgx_ocall, .-sgx_ocall

/* The image's OENTRY for the layout (common/layout.h, LAYOUT_NOTE_*): an
 * ELF note "Coffer", type "SGX1", whose 8 bytes are sgx_entry's address
 * minus their own, resolved by the linker with no dynamic relocation. The
 * linker puts a SHT_NOTE section named .note.* into a PT_NOTE segment, where
 * the layout looks; an image linked flat (the sgx-sim test enclave)
 * discards it. The ELF entry point stays the direct platform's _start. */
	.pushsection .note.coffer.sgx, "a", @note
	.balign 4
	.long 7, 8, 0x53475831
	.asciz "Coffer"
	.balign 4
	.quad sgx_entry - .
	/* and, type "SGXE", sgx_eexit_enclu's the same way: the one EEXIT,
	 * which sgx-sim's fast variant rewrites (host/sim.h, sim_fast) */
	.balign 4
	.long 7, 8, 0x53475845
	.asciz "Coffer"
	.balign 4
	.quad sgx_eexit_enclu - .
	.popsection
	.section .note.GNU-stack, "", @progbits
