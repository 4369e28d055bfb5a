/*
 * mm.h - the runtime's own memory and the application's access to memory.
 *
 * Runtime memory is two ranges: the enclave image (as the host loaded it) and
 * one arena reserved at boot that holds the runtime heap and every thread's
 * runtime stack and thread block. Each range has a guard page on both sides
 * that nothing else can be mapped into, so an application object of at most a
 * page that starts outside runtime memory cannot reach into it: checking the
 * first byte of such a pointer is enough, and only buffers with an explicit
 * length need their whole range checked.
 *
 * The application may not map over, unmap, remap, protect, or make the kernel
 * write into runtime memory: every system call that takes an address goes
 * through mm_user_ok() first.
 */
#ifndef COFFER_RT_MM_H
#define COFFER_RT_MM_H

#include "../lib/rt.h"

struct mm_layout {
	uintptr_t image_lo, image_hi; /* including the guard pages */
	uintptr_t arena_lo, arena_hi;
	uintptr_t heap_lo, heap_hi;   /* heap part of the arena */
	uintptr_t slots_lo, slots_hi; /* thread slots part */
	/* Ranges the platform mapped for itself later (call-site trampolines,
	 * rt_reserve): entries are only ever added, each one before the count
	 * that publishes it. */
	unsigned nreserved;
	struct {
		uintptr_t lo, hi;
	} reserved[16];
};
/* Set in mm_init; afterwards only rt_reserve adds ranges. */
extern struct mm_layout mm_layout;

#define MM_SLOT_SIZE (256UL << 10)
#define MM_SLOTS 4096UL
#define MM_HEAP_SIZE (1UL << 30)

/* Reserve the arena next to nothing else; returns 0 or -errno. */
int mm_init(uintptr_t image_lo, uintptr_t image_hi);

/* Is r, the result of an mmap-like call, -errno rather than an address? */
static inline bool mm_is_err(long r)
{
	return r < 0 && r > -4096;
}

/* True if [addr, addr+len) lies entirely outside runtime memory and does not
 * wrap. len 0 checks only that addr is outside. */
static inline bool mm_user_ok(uintptr_t addr, size_t len)
{
	uintptr_t end = addr + len;
	const struct mm_layout *m = &mm_layout;

	if (end < addr)
		return false;
	if (len == 0)
		end = addr + 1;
	if (addr < m->image_hi && end > m->image_lo)
		return false;
	if (addr < m->arena_hi && end > m->arena_lo)
		return false;
	unsigned n = __atomic_load_n(&m->nreserved, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < n; i++)
		if (addr < m->reserved[i].hi && end > m->reserved[i].lo)
			return false;
	return true;
}

/* Commit more heap; returns the start of `bytes` new bytes or NULL. Called
 * with the heap lock held. */
void *mm_heap_grow(size_t bytes);

/* Make thread slot `i` usable (its stack and block read-write). */
int mm_slot_commit(unsigned i);
static inline uintptr_t mm_slot_base(unsigned i)
{
	return mm_layout.slots_lo + (uintptr_t)i * MM_SLOT_SIZE;
}

/* Copying between runtime and application memory. Faults are caught and
 * turned into -EFAULT; addresses in runtime memory give -EFAULT too. */
long uaccess_copy_from(void *dst, uintptr_t src, size_t n);
long uaccess_copy_to(uintptr_t dst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most max-1 characters; returns its
 * length, -EFAULT, or -ENAMETOOLONG. */
long uaccess_strncpy(char *dst, uintptr_t src, size_t max);
/* Read one 64-bit word; returns 0 or -EFAULT. */
long uaccess_get_u64(uint64_t *out, uintptr_t src);

/* If a fault at `ip` happened inside a uaccess routine, return the address
 * to resume at (which makes the routine return -EFAULT), else 0. */
uintptr_t uaccess_fixup(uintptr_t ip);

#endif
