/*
 * vma.h - enclave memory: the application's mappings served by the runtime
 * from one range the platform owns (docs/runtime.md, "Enclave memory").
 *
 * On sgx the host cannot map anything inside ELRANGE, so mmap, munmap,
 * mprotect, mremap, brk, madvise, mincore and msync of the application are
 * answered here, from [lo, hi) handed over at boot (plat_boot_info.app_mem),
 * with a sorted list of mappings kept the way Linux keeps its VMAs: placed
 * top-down below the stack, hints honoured when free, MAP_FIXED replacing,
 * splitting on partial munmap/mprotect, merging neighbours that became
 * alike, and Linux's error numbers. With host memory (direct's default) none
 * of this runs: vma_on() is false and the calls are forwarded as before.
 *
 * Pages change through the platform in one of two ways (enum plat_app_mem):
 * RANGE asks the host for fresh zero pages and protection changes, FIXED
 * (SGX1) has every page RWX for good: the runtime zeroes a page before the
 * program can reach it if it may hold anything else (bitmaps of such pages),
 * and a mapping's protection is only what /proc/self/maps and mprotect's
 * checks see.
 *
 * Lock: one lock (vma_lock in vma.c) guards the list, the break and the
 * bitmap; it is taken before the allocator's and around fork (thread.c).
 */
#ifndef COFFER_RT_VMA_H
#define COFFER_RT_VMA_H

#include "../lib/rt.h"

struct file;

enum {
	VMA_SHARED = 1u << 0,    /* MAP_SHARED (anonymous, or a read-only file copy) */
	VMA_FILE = 1u << 1,      /* a copy of a file's bytes (name, dev, ino, off) */
	VMA_MAYWRITE = 1u << 2,  /* mprotect may add PROT_WRITE */
	VMA_HEAP = 1u << 3,      /* the program break: [heap] */
	VMA_STACK = 1u << 4,     /* the initial thread's stack: [stack] */
	VMA_GROWSDOWN = 1u << 5, /* asked with MAP_GROWSDOWN (it does not grow) */
	VMA_LOCKED = 1u << 6,    /* MAP_LOCKED */
	VMA_SEALED = 1u << 7,    /* mseal: no unmap, protect, move, replace */
	VMA_RUNTIME = 1u << 8,   /* the platform's code (rt_code_region): not shown */
	VMA_PRISTINE = 1u << 9,  /* a file copy never writable since: still the file's bytes */
};

/* Name of a file mapping, shared by the pieces a split makes. */
struct vma_name {
	int refs; /* under the vma lock */
	char s[];
};

struct vma {
	uintptr_t lo, hi;
	uint32_t prot, flags;
	uint64_t off; /* file offset of lo */
	uint64_t dev, ino;
	struct vma_name *name;
};

/* Set by vma_init; the range does not change afterwards. */
extern bool vma_enabled;
extern uintptr_t vma_lo, vma_hi;

static inline bool vma_on(void)
{
	return RT_UNLIKELY(vma_enabled);
}

/* Does [a, a+len) overlap the range? */
static inline bool vma_overlaps(uintptr_t a, size_t len)
{
	return a < vma_hi && a + len > vma_lo;
}

/* At boot, with the platform's range; `fixed`: PLAT_APP_MEM_FIXED, whose
 * pages hold zeros at boot if `zeroed` (else the runtime zeroes each before
 * the program can reach it). */
int vma_init(uintptr_t lo, uintptr_t hi, bool fixed, bool zeroed);

/* The application's calls; arguments as the system calls take them, results
 * as Linux gives them. `f`/`fd` name the file of a file mapping (NULL: an
 * anonymous one); the file's bytes are copied in. */
long vma_mmap(uintptr_t addr, size_t len, int prot, int flags, struct file *f, long fd, long off);
long vma_munmap(uintptr_t addr, size_t len);
long vma_mprotect(uintptr_t addr, size_t len, int prot);
long vma_mremap(uintptr_t old, size_t oldlen, size_t newlen, int flags, uintptr_t newaddr);
long vma_brk(uintptr_t brk);
long vma_madvise(uintptr_t addr, size_t len, int advice);
long vma_mincore(uintptr_t addr, size_t len, uintptr_t vec);
long vma_msync(uintptr_t addr, size_t len, int flags);
long vma_mseal(uintptr_t addr, size_t len, unsigned long flags);
/* mlock/munlock: recorded (msync's EBUSY), the range checked; the pages
 * are never the host's to lock. */
long vma_mlock(uintptr_t addr, size_t len, bool lock);

/* For the loader: the initial thread's stack, `size` bytes at the top of
 * the range (returns its top or 0); the program break starts at `start`. */
uintptr_t vma_stack(size_t size);
void vma_brk_init(uintptr_t start);

/* Call fn for each mapping in address order, under the lock: fn must not
 * take another lock than the allocator's. */
void vma_each(void (*fn)(void *arg, const struct vma *v), void *arg);

/* fork: held across the host fork so the child gets a whole list. */
void vma_fork_lock(void);
void vma_fork_unlock(void);

#endif
