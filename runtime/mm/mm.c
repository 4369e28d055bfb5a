/*
 * mm.c - reserving and handing out runtime memory; checked copies.
 *
 * The arena is reserved PROT_NONE in one piece at boot and made read-write in
 * pieces as the heap grows and thread slots are used, so the host commits only
 * what is touched and nothing else can ever be mapped inside it.
 *
 *   arena: [guard][heap ........ MM_HEAP_SIZE][guard][slot 0][slot 1]...[guard]
 *   slot:  [guard page][runtime stack ............][struct rt_thread]
 */
#include <linux/mman.h>

#include "../../platform/platform.h"
#include "../lib/lock.h"
#include "../proc/pidtab.h"
#include "mm.h"
#include "uaccess.h"

struct mm_layout mm_layout;

static uintptr_t heap_top; /* committed up to here; heap lock */

int mm_init(uintptr_t image_lo, uintptr_t image_hi)
{
	size_t size = RT_PAGE_SIZE + MM_HEAP_SIZE + RT_PAGE_SIZE + MM_SLOTS * MM_SLOT_SIZE + RT_PAGE_SIZE;
	long a = plat_mem_map(0, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (a < 0 && a > -4096)
		return (int)a;
	/* Guard pages around the image: refuse to let anything be mapped right
	 * next to it. Best effort: a page may already be in use at boot. */
	plat_mem_map(image_lo - RT_PAGE_SIZE, RT_PAGE_SIZE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	plat_mem_map(image_hi, RT_PAGE_SIZE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	struct mm_layout *m = &mm_layout;
	m->image_lo = image_lo - RT_PAGE_SIZE;
	m->image_hi = image_hi + RT_PAGE_SIZE;
	m->arena_lo = (uintptr_t)a;
	m->arena_hi = (uintptr_t)a + size;
	m->heap_lo = m->arena_lo + RT_PAGE_SIZE;
	m->heap_hi = m->heap_lo + MM_HEAP_SIZE;
	m->slots_lo = m->heap_hi + RT_PAGE_SIZE;
	m->slots_hi = m->slots_lo + MM_SLOTS * MM_SLOT_SIZE;
	heap_top = m->heap_lo;
	return 0;
}

void rt_reserve(uintptr_t lo, uintptr_t hi)
{
	static struct rt_lock lock = RT_LOCK_INIT;
	struct mm_layout *m = &mm_layout;

	pidtab_begin(); /* other processes read our runtime ranges */
	rt_lock(&lock);
	unsigned n = m->nreserved;
	if (n < RT_ARRAY_LEN(m->reserved)) {
		m->reserved[n].lo = lo;
		m->reserved[n].hi = hi;
		__atomic_store_n(&m->nreserved, n + 1, __ATOMIC_RELEASE);
	} else {
		/* The platform maps at most this many regions (patch.c). */
		log_warn("too many reserved ranges; %p-%p is not protected", (void *)lo, (void *)hi);
	}
	rt_unlock(&lock);
	pidtab_end();
}

void *mm_heap_grow(size_t bytes)
{
	const size_t step = 2UL << 20;
	size_t len = RT_ALIGN_UP(bytes, step);

	if (len > mm_layout.heap_hi - heap_top)
		return NULL;
	if (plat_mem_protect(heap_top, len, PROT_READ | PROT_WRITE))
		return NULL;
	void *p = (void *)heap_top;
	heap_top += len;
	return p;
}

int mm_slot_commit(unsigned i)
{
	uintptr_t base = mm_slot_base(i);
	return (int)plat_mem_protect(base + RT_PAGE_SIZE, MM_SLOT_SIZE - RT_PAGE_SIZE,
				     PROT_READ | PROT_WRITE);
}

/* ---- checked copies ---------------------------------------------------- */

long uaccess_copy_from(void *dst, uintptr_t src, size_t n)
{
	if (!mm_user_ok(src, n))
		return -EFAULT;
	return n ? uaccess_raw_copy(dst, (const void *)src, n) : 0;
}

long uaccess_copy_to(uintptr_t dst, const void *src, size_t n)
{
	if (!mm_user_ok(dst, n))
		return -EFAULT;
	return n ? uaccess_raw_copy((void *)dst, src, n) : 0;
}

long uaccess_strncpy(char *dst, uintptr_t src, size_t max)
{
	if (!mm_user_ok(src, 0))
		return -EFAULT;
	/* Do not read past the end of application memory into ours. */
	size_t lim = max;
	const struct mm_layout *m = &mm_layout;
	if (src < m->image_lo && m->image_lo - src < lim)
		lim = m->image_lo - src;
	if (src < m->arena_lo && m->arena_lo - src < lim)
		lim = m->arena_lo - src;
	long r = uaccess_raw_strncpy(dst, (const char *)src, lim);
	if (r == -ENAMETOOLONG && lim < max)
		return -EFAULT;
	return r;
}

long uaccess_get_u64(uint64_t *out, uintptr_t src)
{
	if (!mm_user_ok(src, 8))
		return -EFAULT;
	return uaccess_raw_get_u64(out, (const void *)src);
}

uintptr_t uaccess_fixup(uintptr_t ip)
{
	if (ip >= (uintptr_t)uaccess_begin && ip < (uintptr_t)uaccess_end)
		return (uintptr_t)uaccess_fault;
	return 0;
}
