/*
 * proc.c - process calls that need more than forwarding: prctl and
 * arch_prctl (the application may not touch what the runtime depends on:
 * %gs, system call dispatch, seccomp, the process's memory map), and
 * process_vm_writev to itself. clone, fork, exec and exit live in
 * runtime/proc/.
 */
#include <linux/prctl.h>
#include <asm/prctl.h>

#include "../mm/mm.h"
#include "../proc/proc.h"
#include "sys.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef ARCH_SHSTK_ENABLE
#define ARCH_SHSTK_ENABLE 0x5001
#define ARCH_SHSTK_STATUS 0x5005
#endif

long sys_prctl(struct sys_call *c)
{
	switch (c->a[0]) {
	case PR_SET_SYSCALL_USER_DISPATCH:
		return -EINVAL; /* interception belongs to the runtime */
	case PR_SET_SECCOMP:
		return -EINVAL; /* a filter would also apply to the runtime */
	case PR_SET_MM:
		return -EPERM;  /* the memory map belongs to the runtime */
	case PR_GET_NAME:
	case PR_GET_TID_ADDRESS:
		if (!mm_user_ok((uintptr_t)c->a[1], 0))
			return -EFAULT;
		if (c->a[0] == PR_GET_TID_ADDRESS) {
			uint64_t v = current()->clear_child_tid;
			return uaccess_copy_to((uintptr_t)c->a[1], &v, 8);
		}
		return sys_forward(c);
	case PR_GET_PDEATHSIG:
	case PR_GET_CHILD_SUBREAPER:
	case PR_GET_FP_MODE:
	case PR_GET_UNALIGN:
	case PR_GET_FPEMU:
	case PR_GET_FPEXC:
	case PR_GET_ENDIAN:
	case PR_GET_SPECULATION_CTRL:
		if (c->a[1] && !mm_user_ok((uintptr_t)c->a[1], 0))
			return -EFAULT;
		return sys_forward(c);
	default:
		return sys_forward(c);
	}
}

long sys_arch_prctl(struct sys_call *c)
{
	uintptr_t addr = (uintptr_t)c->a[1];

	switch (c->a[0]) {
	case ARCH_SET_FS:
		return sys_forward(c);
	case ARCH_GET_FS:
		return mm_user_ok(addr, 8) ? sys_forward(c) : -EFAULT;
	case ARCH_SET_GS:
		return -EPERM; /* %gs is the runtime's */
	case ARCH_GET_GS: {
		uint64_t zero = 0;
		return uaccess_copy_to(addr, &zero, 8);
	}
	case ARCH_SHSTK_ENABLE:
		return -EINVAL; /* shadow stacks would break the runtime's context switches */
	default:
		if (addr && !mm_user_ok(addr, 0))
			return -EFAULT;
		return sys_forward(c);
	}
}

/* futex: Linux restarts an interrupted wait after an SA_RESTART handler only
 * when it has no timeout (a timed wait returns EINTR). */
long sys_futex(struct sys_call *c)
{
	int cmd = (int)(c->a[1] & 0x7f); /* without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
	bool waits = cmd == 0 /* WAIT */ || cmd == 9 /* WAIT_BITSET */ || cmd == 11 /* WAIT_REQUEUE_PI */ ||
		     cmd == 6 /* LOCK_PI */ || cmd == 13 /* LOCK_PI2 */;
	long r = sys_forward(c);
	if (r == -EINTR && waits && c->a[3])
		c->no_restart = true;
	return r;
}

long sys_process_vm_writev(struct sys_call *c)
{
	int pid = (int)c->a[0];

	/* Writing into itself must not reach runtime memory. */
	if (pid == current()->proc->pid) {
		long r = sys_check_iov((uintptr_t)c->a[3], c->a[4], true);
		if (r)
			return r;
	}
	return sys_forward(c);
}
