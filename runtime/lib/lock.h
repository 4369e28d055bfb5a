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
			plat_yield();
		else
			__builtin_ia32_pause();
	}
}

static inline void rt_unlock(struct rt_lock *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

/*
 * A lock that survives the death of its holder, for state that a vfork child
 * shares with its parent (the heap, the runtime's fd list): a child killed
 * while it holds the lock (SIGKILL cannot be blocked) would otherwise leave
 * the parent spinning for ever. The lock records its holder's thread block;
 * a waiter that finds the holder's `alive` word cleared by the host takes the
 * lock over. What it protects must be consistent at every single store (the
 * allocator's free lists are: a dead holder can only leak a block).
 */
struct rt_olock {
	struct plat_tls *volatile owner;
};

#define RT_OLOCK_INIT { 0 }

/* The holder identity before the first thread is armed (boot). */
extern struct plat_tls rt_boot_owner;
extern bool rt_tls_ready;

static inline struct plat_tls *rt_lock_self(void)
{
	return rt_tls_ready ? plat_tls() : &rt_boot_owner;
}

static inline void rt_olock(struct rt_olock *l)
{
	struct plat_tls *self = rt_lock_self();

	for (unsigned spins = 0;; spins++) {
		struct plat_tls *o = l->owner;
		if (!o && __atomic_compare_exchange_n(&l->owner, &o, self, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (spins < 200) {
			__builtin_ia32_pause();
			continue;
		}
		if (o && !__atomic_load_n(&o->alive, __ATOMIC_ACQUIRE) &&
		    __atomic_compare_exchange_n(&l->owner, &o, self, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return; /* the holder is gone */
		plat_yield();
	}
}

static inline void rt_ounlock(struct rt_olock *l)
{
	__atomic_store_n(&l->owner, NULL, __ATOMIC_RELEASE);
}

#endif
