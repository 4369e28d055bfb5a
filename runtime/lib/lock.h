/*
 * lock.h - the runtime's spin lock.
 *
 * Critical sections in the runtime are a few dozen instructions (table
 * lookups, list updates), so a test-and-test-and-set lock that yields to the
 * host scheduler after a while is enough, and it needs no futex word the
 * application could see. Rules: never hold a lock across a blocking host
 * call, and never take one in code that a host signal handler can reach while
 * the interrupted code might hold it (the handler for signals that interrupt
 * runtime code takes none). Locks a fork could catch half-held are taken
 * around the host fork (proc/fork.c).
 */
#ifndef COFFER_RT_LOCK_H
#define COFFER_RT_LOCK_H

#include <asm/unistd_64.h>

#include "../../platform/platform.h"

struct rt_lock {
	volatile int held;
};

#define RT_LOCK_INIT { 0 }

static inline void rt_lock(struct rt_lock *l)
{
	for (unsigned spins = 0;; spins++) {
		if (!l->held && !__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
			return;
		if (spins > 200)
			plat_call(__NR_sched_yield, 0, 0, 0, 0, 0, 0);
		else
			__builtin_ia32_pause();
	}
}

static inline void rt_unlock(struct rt_lock *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

#endif
