/*
 * alloc.c - the runtime heap.
 *
 * Small blocks (up to 64 KiB) come from power-of-two size classes with one
 * free list each; larger blocks are page runs kept on a first-fit free list.
 * Every block has a 16-byte header recording its class or run size, so
 * rt_free needs no size. The run list is in address order, and a freed run
 * merges with its free neighbours. Memory comes from the heap part of the
 * runtime arena (mm_heap_grow) and is never given back to the host: the
 * runtime's own allocations are few and mostly long-lived (file objects,
 * paths, tables).
 *
 * One lock guards everything (heap_lock). The signal handler for signals that
 * interrupt runtime code never allocates, so it cannot deadlock on it. A vfork
 * child shares the heap with its parent, so the lock is one that a waiter can
 * take over from a holder that died (lock.h); every update below is a single
 * store that leaves the lists consistent, so a dead holder only leaks.
 */
#include "../mm/mm.h"
#include "lock.h"
#include "rt.h"

#define MIN_SHIFT 4
#define MAX_SHIFT 16
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define HDR 16
#define MAGIC_SMALL 0x5a11c0de
#define MAGIC_BIG 0xb16b16

struct hdr {
	uint32_t magic;
	uint32_t cls;  /* size class for small blocks */
	uint64_t size; /* total bytes of a big run, header included */
};

struct free_node {
	struct free_node *next;
	uint64_t size; /* big runs only */
};

static struct rt_olock heap_lock = RT_OLOCK_INIT;
struct plat_tls rt_boot_owner = { .alive = 1 };
bool rt_tls_ready;
static struct free_node *small_free[NCLASSES];
static struct free_node *big_free;
static char *bump, *bump_end; /* unused tail of the last grown chunk */

static void *carve(size_t bytes)
{
	bytes = RT_ALIGN_UP(bytes, 16);
	if ((size_t)(bump_end - bump) < bytes) {
		size_t want = bytes < (1UL << 20) ? (1UL << 20) : bytes;
		char *p = mm_heap_grow(want);
		if (!p)
			return NULL;
		if (p != bump_end)
			bump = p; /* the old tail is lost; growth is contiguous in practice */
		bump_end = p + RT_ALIGN_UP(want, 2UL << 20);
	}
	void *r = bump;
	bump += bytes;
	return r;
}

static unsigned class_of(size_t total)
{
	unsigned cls = 0;
	while (((size_t)1 << (cls + MIN_SHIFT)) < total)
		cls++;
	return cls;
}

void *rt_alloc(size_t size)
{
	size_t total = size + HDR;
	struct hdr *h;

	if (size > MM_HEAP_SIZE)
		return NULL;
	rt_olock(&heap_lock);
	if (total <= (1UL << MAX_SHIFT)) {
		unsigned cls = class_of(total);
		struct free_node *n = small_free[cls];
		if (n) {
			small_free[cls] = n->next;
			h = (struct hdr *)n;
		} else {
			h = carve((size_t)1 << (cls + MIN_SHIFT));
		}
		if (h) {
			h->magic = MAGIC_SMALL;
			h->cls = cls;
		}
	} else {
		total = RT_ALIGN_UP(total, RT_PAGE_SIZE);
		struct free_node **pp = &big_free, *n;
		h = NULL;
		for (; (n = *pp); pp = &n->next) {
			if (n->size < total)
				continue;
			if (n->size - total >= RT_PAGE_SIZE * 4) {
				/* split: keep the front on the list */
				n->size -= total;
				h = (struct hdr *)((char *)n + n->size);
			} else {
				*pp = n->next;
				total = n->size;
				h = (struct hdr *)n;
			}
			break;
		}
		if (!h)
			h = carve(total);
		if (h) {
			h->magic = MAGIC_BIG;
			h->cls = 0;
			h->size = total;
		}
	}
	rt_ounlock(&heap_lock);
	return h ? (char *)h + HDR : NULL;
}

void *rt_zalloc(size_t size)
{
	void *p = rt_alloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

/*
 * Put a freed run back on big_free, which is kept in address order so that
 * it merges with a free neighbour. Without merging, a run split for a
 * smaller request could never serve a larger one again: a program that
 * keeps creating and deleting tmpfs files of 100 KiB grew the heap by
 * hundreds of MiB of fragments, and every allocation walked them all
 * (found by running tests/integration/progs/stress.c with /tmp in a tmpfs).
 * Each step is one store that leaves the list consistent, as the heap lock
 * requires (a neighbour is unlinked before another run grows over it, so a
 * holder that dies in between only leaks it).
 */
static void big_insert(struct free_node *n, uint64_t size)
{
	struct free_node **pp = &big_free, *prev = NULL;

	RT_ASSERT(size >= sizeof *n && size % RT_PAGE_SIZE == 0);
	while (*pp && *pp < n) {
		prev = (struct free_node *)*pp;
		pp = &prev->next;
	}
	struct free_node *next = *pp;
	bool to_next = next && (char *)n + size == (char *)next;

	if (prev && (char *)prev + prev->size == (char *)n) {
		uint64_t grow = size;
		if (to_next) {
			prev->next = next->next;
			grow += next->size;
		}
		prev->size += grow;
		return;
	}
	n->size = size + (to_next ? next->size : 0);
	n->next = to_next ? next->next : next;
	*pp = n;
}

void rt_free(void *p)
{
	if (!p)
		return;
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	rt_olock(&heap_lock);
	if (h->magic == MAGIC_SMALL && h->cls < NCLASSES) {
		unsigned cls = h->cls;
		h->magic = 0;
		struct free_node *n = (struct free_node *)h;
		n->next = small_free[cls];
		small_free[cls] = n;
	} else if (h->magic == MAGIC_BIG) {
		uint64_t size = h->size;
		h->magic = 0;
		big_insert((struct free_node *)h, size);
	} else {
		rt_ounlock(&heap_lock);
		rt_panic("rt_free: bad block %p", p);
	}
	rt_ounlock(&heap_lock);
}

char *rt_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = rt_alloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

void rt_alloc_lock(void)
{
	rt_olock(&heap_lock);
}

void rt_alloc_unlock(void)
{
	rt_ounlock(&heap_lock);
}

