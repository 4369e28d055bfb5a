/*
 * vma.c - the application's mappings inside the enclave's range (vma.h).
 *
 * The list is a sorted array of non-overlapping [lo, hi) mappings: a few
 * hundred entries for most programs, some thousands for a JVM, so a binary
 * search to find and a memmove to insert are cheap next to the host calls
 * that change pages. Every operation first makes room for the entries it may
 * add (ensure), so once it has changed pages it cannot fail for want of
 * memory half-way.
 *
 * Layout, as Linux's on x86-64 in miniature:
 *
 *   lo                                                             hi
 *   [program][heap -> ...        free       ... <- mmap][gap][stack]
 *
 * The program goes low (the loader's hint), the break grows up from its end,
 * mappings are placed top-down from mmap_base (below the initial stack and a
 * guard gap of STACK_GAP), first fit; a hint is honoured when its pages are
 * free. When top-down finds no room below mmap_base, the gap above it is
 * searched too, then ENOMEM.
 *
 * Lock: vma_lock guards everything here. It is taken before the allocator's
 * lock (the list grows with rt_alloc) and a file's lock (file copies), never
 * the other way round, and held across the host fork (vma_fork_lock).
 */
#include <asm/stat.h>
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "../../platform/platform.h"
#include "../fs/vfs.h"
#include "../lib/host.h"
#include "../lib/lock.h"
#include "mm.h"
#include "vma.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif

#define STACK_GAP (1UL << 20) /* Linux's stack_guard_gap: 256 pages */
#define PAGE RT_PAGE_SIZE
#define PROT_MASK (PROT_READ | PROT_WRITE | PROT_EXEC)

bool vma_enabled;
uintptr_t vma_lo, vma_hi;

static struct rt_lock vma_lock = RT_LOCK_INIT;
static bool fixed_pages;    /* PLAT_APP_MEM_FIXED */
static struct vma *v;       /* sorted by lo */
static size_t n, cap;
static uintptr_t mmap_base; /* top-down placement starts below */
static uintptr_t brk_start, brk_cur;
/* FIXED only, one bit per page of the range. dirty: the page may hold
 * something other than zeros (it was mapped writable, the runtime wrote a
 * file into it, or the platform does not vouch for its first contents).
 * owed: the program was given a zero page it cannot reach yet (PROT_NONE),
 * to be zeroed if dirty when it becomes reachable. */
static uint64_t *dirty, *owed;

/* ---- the list ----------------------------------------------------------- */

/* Index of the first mapping that ends above a. */
static size_t find(uintptr_t a)
{
	size_t l = 0, h = n;
	while (l < h) {
		size_t m = (l + h) / 2;
		if (v[m].hi <= a)
			l = m + 1;
		else
			h = m;
	}
	return l;
}

static bool range_free(uintptr_t a, uintptr_t e)
{
	size_t i = find(a);
	return i == n || v[i].lo >= e;
}

static bool range_mapped(uintptr_t a, uintptr_t e)
{
	size_t i = find(a);
	for (uintptr_t cur = a; cur < e; i++) {
		if (i == n || v[i].lo > cur)
			return false;
		cur = v[i].hi;
	}
	return true;
}

static bool any_sealed(uintptr_t a, uintptr_t e)
{
	for (size_t i = find(a); i < n && v[i].lo < e; i++)
		if (v[i].flags & VMA_SEALED)
			return true;
	return false;
}

/* x86-64's TASK_SIZE: no mapping can be longer */
#define TASK_SIZE ((1UL << 47) - PAGE)

static int ensure(size_t more)
{
	if (n + more <= cap)
		return 0;
	size_t ncap = cap ? cap * 2 : 64;
	while (ncap < n + more)
		ncap *= 2;
	struct vma *nv = rt_alloc(ncap * sizeof *nv);
	if (!nv)
		return -ENOMEM;
	if (n)
		memcpy(nv, v, n * sizeof *nv);
	rt_free(v);
	v = nv;
	cap = ncap;
	return 0;
}

static void name_put(struct vma_name *nm)
{
	if (nm && --nm->refs == 0)
		rt_free(nm);
}

static void insert_at(size_t i, const struct vma *x)
{
	RT_ASSERT(n < cap);
	memmove(&v[i + 1], &v[i], (n - i) * sizeof *v);
	v[i] = *x;
	n++;
}

static void remove_at(size_t i)
{
	name_put(v[i].name);
	memmove(&v[i], &v[i + 1], (n - i - 1) * sizeof *v);
	n--;
}

/* Split the mapping that contains a (lo < a < hi) in two at a; needs one
 * free entry (ensure). */
static void split_at(uintptr_t a)
{
	size_t i = find(a);
	if (i == n || v[i].lo >= a)
		return;
	struct vma right = v[i];
	right.lo = a;
	if (right.flags & VMA_FILE)
		right.off += a - v[i].lo;
	if (right.name)
		right.name->refs++;
	v[i].hi = a;
	insert_at(i + 1, &right);
}

/* Split at both ends of [a, e) and return the index of the first mapping
 * inside it; needs two free entries. */
static size_t isolate(uintptr_t a, uintptr_t e)
{
	split_at(a);
	split_at(e);
	return find(a);
}

static bool alike(const struct vma *x, const struct vma *y)
{
	if (x->hi != y->lo || x->prot != y->prot || x->flags != y->flags)
		return false;
	if (!(x->flags & VMA_FILE))
		return true;
	return x->name == y->name && x->dev == y->dev && x->ino == y->ino && x->off + (x->hi - x->lo) == y->off;
}

/* Join neighbours that became alike, as Linux merges its VMAs (what
 * /proc/self/maps shows after an mprotect is undone). */
static void merge(void)
{
	for (size_t i = 0; i + 1 < n;) {
		if (alike(&v[i], &v[i + 1])) {
			v[i].hi = v[i + 1].hi;
			remove_at(i + 1);
		} else {
			i++;
		}
	}
}

/* Remove every mapping inside [a, e), after isolate(). */
static void drop(uintptr_t a, uintptr_t e)
{
	size_t i = find(a);
	while (i < n && v[i].lo < e)
		remove_at(i);
}

/* ---- pages -------------------------------------------------------------- */

static size_t page_index(uintptr_t a)
{
	return (a - vma_lo) / PAGE;
}

static void set_bits(uint64_t *map, uintptr_t a, size_t len, bool on)
{
	for (size_t p = page_index(a), e = page_index(a + len); p < e; p++) {
		if (on)
			map[p / 64] |= 1ULL << (p % 64);
		else
			map[p / 64] &= ~(1ULL << (p % 64));
	}
}

static void mark_dirty(uintptr_t a, size_t len)
{
	set_bits(dirty, a, len, true);
}

/* Zero the pages of [a, a+len) that may not be zero (those also `owed`
 * only, if owed_only) and forget that they were dirty or owed. */
static void zero_pages(uintptr_t a, size_t len, bool owed_only)
{
	size_t p = page_index(a), e = page_index(a + len);
	while (p < e) {
		uint64_t w = dirty[p / 64] & (owed_only ? owed[p / 64] : ~0ULL);
		if (!(p % 64) && p + 64 <= e && !w) {
			owed[p / 64] = 0;
			p += 64;
			continue;
		}
		uint64_t bit = 1ULL << (p % 64);
		if ((dirty[p / 64] & bit) && (!owed_only || (owed[p / 64] & bit))) {
			memset((void *)(vma_lo + p * PAGE), 0, PAGE);
			dirty[p / 64] &= ~bit;
		}
		owed[p / 64] &= ~bit;
		p++;
	}
}

/* Make [a, a+len) fresh zero pages with protection prot. FIXED: a page the
 * program cannot reach yet (PROT_NONE, as a JVM reserves gigabytes) is only
 * marked owed and zeroed when it becomes reachable (pages_protect). */
static long pages_fresh(uintptr_t a, size_t len, int prot, bool shared)
{
	if (fixed_pages) {
		if (!(prot & PROT_MASK)) {
			set_bits(owed, a, len, true);
			return 0;
		}
		zero_pages(a, len, false);
		if (prot & PROT_WRITE)
			mark_dirty(a, len);
		return 0;
	}
	int fl = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE;
	long r = plat_mem_map(a, len, prot, fl, -1, 0);
	if (mm_is_err(r))
		return r;
	if ((uintptr_t)r != a)
		rt_panic("the host mapped application memory elsewhere than asked (%p, not %p)", (void *)r, (void *)a);
	return 0;
}

/* Give [a, a+len) back: nothing may be reached there any more. */
static void pages_release(uintptr_t a, size_t len)
{
	if (!fixed_pages)
		plat_mem_map(a, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

static long pages_protect(uintptr_t a, size_t len, int prot)
{
	if (fixed_pages) {
		if (prot & PROT_MASK)
			zero_pages(a, len, true); /* what was owed */
		if (prot & PROT_WRITE)
			mark_dirty(a, len);
		return 0;
	}
	return plat_mem_protect(a, len, prot);
}

/* ---- placement ---------------------------------------------------------- */

/* The highest free [x, x+len) with floor <= x and x+len <= top, or 0. */
static uintptr_t top_down(uintptr_t floor, uintptr_t top, size_t len)
{
	size_t j = 0, h = n; /* j: how many mappings start below top */
	while (j < h) {
		size_t m = (j + h) / 2;
		if (v[m].lo < top)
			j = m + 1;
		else
			h = m;
	}
	for (uintptr_t end = top;; j--) {
		/* the gap between mapping j-1 (or floor) and end; a mapping
		 * that straddles end leaves none */
		uintptr_t glo = j > 0 ? RT_MAX(v[j - 1].hi, floor) : floor;
		if (end > glo && end - glo >= len)
			return end - len;
		if (j == 0)
			return 0;
		end = RT_MIN(end, v[j - 1].lo);
		if (end <= floor)
			return 0;
	}
}

static uintptr_t place(uintptr_t hint, size_t len, bool low32)
{
	if (hint) {
		uintptr_t h = RT_ALIGN_DOWN(hint, PAGE); /* as x86-64 Linux rounds it */
		if (h >= vma_lo && h <= vma_hi && vma_hi - h >= len && range_free(h, h + len) &&
		    (!low32 || h + len <= (1UL << 31)))
			return h;
	}
	uintptr_t top = low32 ? RT_MIN(mmap_base, 1UL << 31) : mmap_base;
	if (top <= vma_lo)
		return 0;
	uintptr_t a = top_down(vma_lo, top, len);
	if (!a && !low32)
		a = top_down(vma_lo, vma_hi, len);
	return a;
}

/* ---- boot --------------------------------------------------------------- */

int vma_init(uintptr_t lo, uintptr_t hi, bool fixed, bool zeroed)
{
	if ((lo | hi) & (PAGE - 1) || hi <= lo || !mm_user_ok(lo, hi - lo))
		return -EINVAL;
	size_t words = ((hi - lo) / PAGE + 63) / 64;
	if (fixed) {
		if (!(dirty = rt_alloc(words * 8)) || !(owed = rt_zalloc(words * 8)))
			return -ENOMEM;
		/* pages added without EEXTEND hold what the host put there */
		memset(dirty, zeroed ? 0 : 0xff, words * 8);
	}
	if (ensure(8))
		return -ENOMEM;
	vma_lo = lo;
	vma_hi = hi;
	mmap_base = hi;
	fixed_pages = fixed;
	vma_enabled = true;
	return 0;
}

uintptr_t vma_stack(size_t size)
{
	uintptr_t top = vma_hi, lo = vma_hi - size;
	struct vma s = { .lo = lo, .hi = top, .prot = PROT_READ | PROT_WRITE,
			 .flags = VMA_STACK | VMA_MAYWRITE | VMA_GROWSDOWN };

	rt_lock(&vma_lock);
	if (size >= (vma_hi - vma_lo) / 2 || !range_free(lo, top) || ensure(1) ||
	    pages_fresh(lo, size, PROT_READ | PROT_WRITE, false)) {
		rt_unlock(&vma_lock);
		return 0;
	}
	insert_at(find(lo), &s);
	mmap_base = lo - STACK_GAP;
	rt_unlock(&vma_lock);
	return top;
}

void vma_brk_init(uintptr_t start)
{
	rt_lock(&vma_lock);
	brk_start = brk_cur = RT_ALIGN_UP(start, PAGE);
	rt_unlock(&vma_lock);
}

void vma_fork_lock(void)
{
	rt_lock(&vma_lock);
}

void vma_fork_unlock(void)
{
	rt_unlock(&vma_lock);
}

void vma_each(void (*fn)(void *arg, const struct vma *x), void *arg)
{
	rt_lock(&vma_lock);
	for (size_t i = 0; i < n; i++)
		fn(arg, &v[i]);
	rt_unlock(&vma_lock);
}

/* ---- mmap --------------------------------------------------------------- */

static struct vma_name *name_of(struct file *f)
{
	if (!f->path)
		return NULL;
	size_t len = strlen(f->path);
	struct vma_name *nm = rt_alloc(sizeof *nm + len + 1);
	if (nm) {
		nm->refs = 1;
		memcpy(nm->s, f->path, len + 1);
	}
	return nm;
}

static void file_ids(struct file *f, long fd, struct vma *x)
{
	struct kstat_buf st;
	long r = f->ops->host ? host_stat("fstat", plat_host_fstat((int)fd, &st.k), &st.k)
			      : f->ops->stat ? f->ops->stat(f, &st) : -1;
	if (r == 0) {
		const struct stat *s = (const struct stat *)st.raw;
		x->dev = s->st_dev;
		x->ino = s->st_ino;
	}
}

/*
 * ld.so maps a library's whole span from the file first, then each segment
 * over it with MAP_FIXED at the same file offsets: the second copy would
 * read again the bytes the first put there. If [x->lo, x->hi) lies wholly
 * on copies of the same file at the same offsets that were never writable,
 * only the protection changes. Returns x->lo, -errno, or -ENOENT (copy).
 */
static long remap_pristine(const struct vma *x, size_t alen)
{
	uintptr_t a = x->lo, e = x->lo + alen;
	if (!range_mapped(a, e))
		return -ENOENT;
	for (size_t i = find(a); i < n && v[i].lo < e; i++) {
		const struct vma *y = &v[i];
		uintptr_t at = RT_MAX(a, y->lo);
		if (!(y->flags & VMA_PRISTINE) || (y->flags & (VMA_SEALED | VMA_SHARED)) || y->dev != x->dev ||
		    y->ino != x->ino || !y->name || !x->name || strcmp(y->name->s, x->name->s) ||
		    y->off + (at - y->lo) != x->off + (at - a))
			return -ENOENT;
	}
	long r = pages_protect(a, alen, (int)x->prot);
	if (r)
		return r;
	size_t i = isolate(a, e);
	while (i < n && v[i].lo < e) {
		v[i].prot = x->prot;
		v[i].flags = x->flags | ((x->prot & PROT_WRITE) ? 0 : VMA_PRISTINE);
		i++;
	}
	merge();
	return (long)a;
}

long vma_mmap(uintptr_t addr, size_t len, int prot, int flags, struct file *f, long fd, long off)
{
	int type = flags & 0x0f; /* MAP_TYPE */
	bool want_fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	size_t alen = RT_ALIGN_UP(len, PAGE);
	long r;

	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (!len || (off & (long)(PAGE - 1)))
		return -EINVAL;
	if (alen < len)
		return -ENOMEM;
	if (f && ((uint64_t)off + alen < (uint64_t)off || off < 0))
		return -EOVERFLOW;
	if (flags & MAP_HUGETLB)
		return -ENOMEM; /* no huge pages reserved, as on a host that has none */
	if (want_fixed && (addr & (PAGE - 1)))
		return -EINVAL;

	struct vma x = { .prot = (uint32_t)prot & PROT_MASK, .off = f ? (uint64_t)off : 0 };
	if (type != MAP_PRIVATE)
		x.flags |= VMA_SHARED;
	if (type == MAP_PRIVATE || (f && ((f->flags & O_ACCMODE) == O_RDWR)) || !f)
		x.flags |= VMA_MAYWRITE;
	if (flags & MAP_GROWSDOWN)
		x.flags |= VMA_GROWSDOWN;
	if (flags & MAP_LOCKED)
		x.flags |= VMA_LOCKED;
	if (f) {
		x.flags |= VMA_FILE;
		file_ids(f, fd, &x);
		if (!(x.name = name_of(f)) && f->path)
			return -ENOMEM;
	}

	rt_lock(&vma_lock);
	if ((r = ensure(3)))
		goto fail;
	uintptr_t a;
	if (want_fixed) {
		r = -ENOMEM; /* an address this process cannot use */
		if (addr < vma_lo || addr > vma_hi || vma_hi - addr < alen)
			goto fail;
		r = -EEXIST;
		if ((flags & MAP_FIXED_NOREPLACE) && !range_free(addr, addr + alen))
			goto fail;
		r = -EPERM;
		if (any_sealed(addr, addr + alen))
			goto fail;
		a = addr;
	} else {
		r = -ENOMEM;
		if (!(a = place(addr, alen, flags & MAP_32BIT)))
			goto fail;
	}
	x.lo = a;
	x.hi = a + alen;
	if (f && want_fixed && type == MAP_PRIVATE && (r = remap_pristine(&x, alen)) != -ENOENT)
		goto fail; /* done, or failed: x was not inserted either way */
	if (f && !(x.prot & PROT_WRITE))
		x.flags |= VMA_PRISTINE;
	bool was_mapped = !range_free(a, a + alen);
	if (was_mapped) {
		isolate(a, a + alen);
		drop(a, a + alen);
	}
	bool shared_anon = !f && (x.flags & VMA_SHARED);
	if ((r = pages_fresh(a, alen, f ? PROT_READ | PROT_WRITE : (int)x.prot, shared_anon)))
		goto fail_pages;
	if (f) {
		if (fixed_pages)
			mark_dirty(a, alen);
		else /* one call to fault in what the copy fills, not a fault a page */
			plat_mem_populate(a, alen);
		if ((r = vfs_file_copy_in(f, fd, a, len, off)) ||
		    (x.prot != (PROT_READ | PROT_WRITE) && (r = pages_protect(a, alen, (int)x.prot))))
			goto fail_pages;
	}
	insert_at(find(a), &x);
	merge();
	rt_unlock(&vma_lock);
	return (long)a;

fail_pages:
	pages_release(a, alen);
fail:
	rt_unlock(&vma_lock);
	name_put(x.name);
	return r;
}

/* ---- munmap, mprotect --------------------------------------------------- */

/* Unmap [a, e) under the lock (two free entries needed). */
static void unmap_locked(uintptr_t a, uintptr_t e)
{
	if (range_free(a, e))
		return;
	size_t i = isolate(a, e);
	while (i < n && v[i].lo < e) {
		pages_release(v[i].lo, v[i].hi - v[i].lo);
		remove_at(i);
	}
}

long vma_munmap(uintptr_t addr, size_t len)
{
	size_t alen = RT_ALIGN_UP(len, PAGE);

	if ((addr & (PAGE - 1)) || !len || alen < len || addr + alen < addr)
		return -EINVAL;
	uintptr_t a = RT_MAX(addr, vma_lo), e = RT_MIN(addr + alen, vma_hi);
	if (a >= e)
		return 0;
	rt_lock(&vma_lock);
	long r = any_sealed(a, e) ? -EPERM : ensure(2);
	if (!r)
		unmap_locked(a, e);
	rt_unlock(&vma_lock);
	return r;
}

long vma_mprotect(uintptr_t addr, size_t len, int prot)
{
	size_t alen = RT_ALIGN_UP(len, PAGE);
	uintptr_t e = addr + alen;
	long r;

	if ((addr & (PAGE - 1)) ||
	    (prot & ~(PROT_MASK | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP)) ||
	    (prot & (PROT_GROWSDOWN | PROT_GROWSUP)) == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (alen < len || e < addr)
		return -ENOMEM;
	if (!len)
		return 0;
	rt_lock(&vma_lock);
	r = -ENOMEM;
	if (!range_mapped(addr, e))
		goto out;
	r = -EPERM;
	if (any_sealed(addr, e))
		goto out;
	for (size_t i = find(addr); i < n && v[i].lo < e; i++) {
		r = -EACCES;
		if ((prot & PROT_WRITE) && !(v[i].flags & VMA_MAYWRITE))
			goto out;
	}
	if ((r = ensure(2)) || (r = pages_protect(addr, alen, prot & PROT_MASK)))
		goto out;
	for (size_t i = isolate(addr, e); i < n && v[i].lo < e; i++) {
		v[i].prot = (uint32_t)prot & PROT_MASK;
		if (prot & PROT_WRITE)
			v[i].flags &= ~(uint32_t)VMA_PRISTINE;
	}
	merge();
	r = 0;
out:
	rt_unlock(&vma_lock);
	return r;
}

/* ---- brk ---------------------------------------------------------------- */

long vma_brk(uintptr_t brk)
{
	rt_lock(&vma_lock);
	uintptr_t old_end = RT_ALIGN_UP(brk_cur, PAGE), new_end = RT_ALIGN_UP(brk, PAGE);
	if (!brk_start || brk < brk_start || new_end < brk || new_end > vma_hi)
		goto out;
	if (new_end < old_end) {
		/* brk's argument is no range the dispatcher checks: the
		 * platform's code cut from the range (rt_code_region) may lie
		 * in a hole the program made in its heap, and stays */
		if (any_sealed(new_end, old_end) || !mm_user_ok(new_end, old_end - new_end) || ensure(2))
			goto out;
		unmap_locked(new_end, old_end);
	} else if (new_end > old_end) {
		/* the break never runs into a mapping */
		if (!range_free(old_end, new_end) || ensure(1) ||
		    pages_fresh(old_end, new_end - old_end, PROT_READ | PROT_WRITE, false))
			goto out;
		struct vma h = { .lo = old_end, .hi = new_end, .prot = PROT_READ | PROT_WRITE,
				 .flags = VMA_HEAP | VMA_MAYWRITE };
		insert_at(find(old_end), &h);
		merge();
	}
	brk_cur = brk;
out:;
	long r = (long)brk_cur;
	rt_unlock(&vma_lock);
	return r;
}

/* ---- mremap ------------------------------------------------------------- */

/* Move the pages of [old, old+len) to new (free, not overlapping) and leave
 * old holding nothing the program can rely on. */
static long move_pages(uintptr_t old, uintptr_t new, size_t len, const struct vma *x, bool dontunmap)
{
	bool shared_anon = (x->flags & (VMA_SHARED | VMA_FILE)) == VMA_SHARED;
	if (fixed_pages) {
		zero_pages(old, len, true); /* what old owes is zeros */
		memcpy((void *)new, (const void *)old, len);
		set_bits(owed, new, len, false);
		mark_dirty(new, len);
		if (dontunmap)
			zero_pages(old, len, false);
		return 0;
	}
	/* The host moves page tables without copying; if the range is not one
	 * host mapping (it may be split where ours is not), copy. */
	long r = plat_mem_remap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | (dontunmap ? MREMAP_DONTUNMAP : 0),
				new);
	if (r == (long)new) {
		if (!dontunmap)
			pages_release(old, len); /* the host left a hole: reserve it again */
		return 0;
	}
	if (!mm_is_err(r))
		rt_panic("the host moved application memory elsewhere than asked (%p)", (void *)r);
	if ((r = pages_fresh(new, len, PROT_READ | PROT_WRITE, shared_anon)))
		return r;
	if (!(x->prot & PROT_READ))
		plat_mem_protect(old, len, PROT_READ);
	memcpy((void *)new, (const void *)old, len);
	if (dontunmap)
		pages_fresh(old, len, (int)x->prot, false);
	return pages_protect(new, len, (int)x->prot);
}

long vma_mremap(uintptr_t old, size_t oldlen, size_t newlen, int flags, uintptr_t newaddr)
{
	size_t olen = RT_ALIGN_UP(oldlen, PAGE), nlen = RT_ALIGN_UP(newlen, PAGE);
	bool may_move = flags & MREMAP_MAYMOVE, to_fixed = flags & MREMAP_FIXED, dontunmap = flags & MREMAP_DONTUNMAP;
	long r;

	if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) || ((to_fixed || dontunmap) && !may_move) ||
	    (old & (PAGE - 1)) || olen < oldlen || nlen < newlen || !nlen || (dontunmap && olen != nlen) ||
	    old + olen < old || nlen > TASK_SIZE || olen > TASK_SIZE)
		return -EINVAL;
	if (!olen)
		return -EINVAL; /* duplicating a shared mapping: not served */
	if (to_fixed) {
		if ((newaddr & (PAGE - 1)) || newaddr < vma_lo || newaddr > vma_hi || vma_hi - newaddr < nlen)
			return -EINVAL;
		if (newaddr < old + olen && old < newaddr + nlen)
			return -EINVAL;
	}
	rt_lock(&vma_lock);
	size_t i = find(old);
	r = -EFAULT;
	if (i == n || v[i].lo > old || v[i].hi - old < olen)
		goto out;
	r = -EPERM;
	if (any_sealed(old, old + olen) || (to_fixed && any_sealed(newaddr, newaddr + nlen)))
		goto out;
	struct vma x = v[i];
	if (x.flags & VMA_FILE)
		x.off += old - x.lo;
	r = -EINVAL;
	if (dontunmap && (x.flags & (VMA_SHARED | VMA_FILE)))
		goto out;
	if ((r = ensure(6)))
		goto out;
	if (!to_fixed && !dontunmap && nlen <= olen) {
		unmap_locked(old + nlen, old + olen);
		r = (long)old;
		goto out;
	}
	bool shared_anon = (x.flags & (VMA_SHARED | VMA_FILE)) == VMA_SHARED;
	if (!to_fixed && !dontunmap && old + olen == x.hi && old + nlen <= vma_hi && range_free(old + olen, old + nlen)) {
		/* grow in place (a file mapping's new tail is zeros: docs/runtime.md) */
		if ((r = pages_fresh(old + olen, nlen - olen, (int)x.prot, shared_anon)))
			goto out;
		v[i].hi = old + nlen;
		merge();
		r = (long)old;
		goto out;
	}
	uintptr_t dst = newaddr;
	if (to_fixed) {
		if (nlen < olen) {
			unmap_locked(old + nlen, old + olen);
			olen = nlen;
		}
		unmap_locked(dst, dst + nlen);
	} else {
		r = -ENOMEM;
		if (!may_move || !(dst = place(0, nlen, false)))
			goto out;
	}
	if ((r = move_pages(old, dst, olen, &x, dontunmap)))
		goto out;
	if (nlen > olen && (r = pages_fresh(dst + olen, nlen - olen, (int)x.prot, shared_anon)))
		goto out;
	if (x.name)
		x.name->refs++; /* before the old piece may drop the last one */
	if (!dontunmap) {
		size_t j = isolate(old, old + olen);
		while (j < n && v[j].lo < old + olen)
			remove_at(j);
	}
	x.lo = dst;
	x.hi = dst + nlen;
	insert_at(find(dst), &x);
	merge();
	r = (long)dst;
out:
	rt_unlock(&vma_lock);
	return r;
}

/* ---- madvise, mincore, msync -------------------------------------------- */

enum {
	ADV_NORMAL, ADV_RANDOM, ADV_SEQUENTIAL, ADV_WILLNEED, ADV_DONTNEED,
	ADV_FREE = 8, ADV_REMOVE, ADV_DONTFORK, ADV_DOFORK, ADV_MERGEABLE, ADV_UNMERGEABLE,
	ADV_HUGEPAGE, ADV_NOHUGEPAGE, ADV_DONTDUMP, ADV_DODUMP, ADV_WIPEONFORK, ADV_KEEPONFORK,
	ADV_COLD, ADV_PAGEOUT, ADV_POPULATE_READ, ADV_POPULATE_WRITE, ADV_DONTNEED_LOCKED, ADV_COLLAPSE,
	ADV_HWPOISON = 100, ADV_SOFT_OFFLINE = 101,
};

/* One piece [a, e) of mapping x. */
static long advise_piece(const struct vma *x, uintptr_t a, uintptr_t e, int advice)
{
	bool private_anon = !(x->flags & (VMA_SHARED | VMA_FILE));
	bool discards = advice == ADV_DONTNEED || advice == ADV_DONTNEED_LOCKED || advice == ADV_FREE ||
			advice == ADV_PAGEOUT || advice == ADV_COLD;
	/* a sealed read-only private mapping's pages cannot be thrown away */
	if (discards && (x->flags & VMA_SEALED) && private_anon && !(x->prot & PROT_WRITE))
		return -EPERM;
	switch (advice) {
	case ADV_DONTNEED:
	case ADV_DONTNEED_LOCKED:
		/* private anonymous pages read as zeros afterwards; shared ones
		 * keep their contents, as on Linux; file copies keep theirs */
		if (!private_anon)
			return 0;
		if (fixed_pages) {
			zero_pages(a, e - a, false);
			if (x->prot & PROT_WRITE)
				mark_dirty(a, e - a);
			return 0;
		}
		return plat_mem_advise(a, e - a, ADV_DONTNEED);
	case ADV_FREE:
		/* the pages may be freed or kept: keeping them is one answer */
		return private_anon ? 0 : -EINVAL;
	case ADV_REMOVE:
		if (!(x->flags & VMA_SHARED) || (x->flags & VMA_FILE))
			return -EINVAL;
		if (fixed_pages) {
			memset((void *)a, 0, e - a);
			return 0;
		}
		return plat_mem_advise(a, e - a, ADV_REMOVE);
	case ADV_WIPEONFORK:
	case ADV_KEEPONFORK:
		if (!private_anon)
			return -EINVAL;
		/* a host fork honours it; an enclave fork would need it in the
		 * checkpoint: not there, so say so the way an old kernel does */
		return fixed_pages ? -EINVAL : plat_mem_advise(a, e - a, advice);
	case ADV_POPULATE_READ:
	case ADV_POPULATE_WRITE:
		if (!(x->prot & (advice == ADV_POPULATE_WRITE ? PROT_WRITE : PROT_READ)))
			return -EFAULT;
		break;
	case ADV_HWPOISON:
	case ADV_SOFT_OFFLINE:
		return -EPERM;
	}
	if (fixed_pages)
		return 0;
	/* hints the host may follow for its pages (or answer for them) */
	return plat_mem_advise(a, e - a, advice);
}

long vma_madvise(uintptr_t addr, size_t len, int advice)
{
	size_t alen = RT_ALIGN_UP(len, PAGE);
	uintptr_t e = addr + alen;

	if ((advice < ADV_NORMAL || (advice > ADV_DONTNEED && advice < ADV_FREE) || advice > ADV_COLLAPSE) &&
	    advice != ADV_HWPOISON && advice != ADV_SOFT_OFFLINE)
		return -EINVAL;
	if ((addr & (PAGE - 1)) || alen < len || e < addr)
		return -EINVAL;
	if (!len)
		return 0;
	rt_lock(&vma_lock);
	long r = 0, hole = range_mapped(addr, e) ? 0 : -ENOMEM;
	for (size_t i = find(addr); i < n && v[i].lo < e && !r; i++)
		r = advise_piece(&v[i], RT_MAX(v[i].lo, addr), RT_MIN(v[i].hi, e), advice);
	rt_unlock(&vma_lock);
	return r ? r : hole;
}

long vma_mincore(uintptr_t addr, size_t len, uintptr_t vec)
{
	size_t alen = RT_ALIGN_UP(len, PAGE);

	if (addr & (PAGE - 1))
		return -EINVAL;
	if (alen < len || addr + alen < addr)
		return -ENOMEM;
	if (!len)
		return 0;
	rt_lock(&vma_lock);
	bool mapped = range_mapped(addr, addr + alen);
	rt_unlock(&vma_lock);
	if (!mapped)
		return -ENOMEM;
	if (!fixed_pages)
		return plat_mem_incore(addr, len, (uint8_t *)vec);
	/* every page of an SGX1 enclave is in the EPC (or paged by the CPU) */
	uint8_t ones[256];
	memset(ones, 1, sizeof ones);
	for (size_t done = 0, pages = alen / PAGE; done < pages;) {
		size_t k = RT_MIN(pages - done, sizeof ones);
		if (uaccess_copy_to(vec + done, ones, k))
			return -EFAULT;
		done += k;
	}
	return 0;
}

long vma_msync(uintptr_t addr, size_t len, int flags)
{
	size_t alen = RT_ALIGN_UP(len, PAGE);
	uintptr_t e = addr + alen;

	if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) || (addr & (PAGE - 1)) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	if (alen < len || e < addr)
		return -ENOMEM;
	if (!len)
		return 0;
	rt_lock(&vma_lock);
	long r = range_mapped(addr, e) ? 0 : -ENOMEM;
	for (size_t i = find(addr); i < n && v[i].lo < e && !r; i++)
		if ((flags & MS_INVALIDATE) && (v[i].flags & VMA_LOCKED))
			r = -EBUSY;
	rt_unlock(&vma_lock);
	/* Nothing to write back: a file mapping inside the range is a copy
	 * (private, or shared of a file opened read-only); writable shared
	 * file mappings are the host's, outside the range (syscall/mm.c). */
	return r;
}

/* Set or clear a flag on every mapping of [a, e), which must all be
 * mapped (ENOMEM). */
static long set_flag(uintptr_t a, uintptr_t e, uint32_t flag, bool on)
{
	rt_lock(&vma_lock);
	long r = range_mapped(a, e) ? ensure(2) : -ENOMEM;
	if (!r) {
		for (size_t i = isolate(a, e); i < n && v[i].lo < e; i++)
			v[i].flags = on ? v[i].flags | flag : v[i].flags & ~flag;
		merge();
	}
	rt_unlock(&vma_lock);
	return r;
}

long vma_mseal(uintptr_t addr, size_t len, unsigned long flags)
{
	size_t alen = RT_ALIGN_UP(len, PAGE);
	uintptr_t e = addr + alen;

	if (flags || (addr & (PAGE - 1)) || alen < len || e < addr)
		return -EINVAL;
	/* the host's page tables need no seal: only the runtime changes them */
	return alen ? set_flag(addr, e, VMA_SEALED, true) : 0;
}

long vma_mlock(uintptr_t addr, size_t len, bool lock)
{
	/* mlock rounds the start down and the length up, as Linux does */
	uintptr_t a = RT_ALIGN_DOWN(addr, PAGE);
	size_t alen = RT_ALIGN_UP(len + (addr - a), PAGE);
	uintptr_t e = a + alen;

	if (alen < len || e < a)
		return -EINVAL;
	return alen ? set_flag(a, e, VMA_LOCKED, lock) : 0;
}

/*
 * The platform's code next to the application's (call-site trampolines,
 * platform/direct/patch.c): they must be within a rel32 jump of the site,
 * and with enclave memory everything within reach is the range. A region is
 * cut out of the range like a mapping (so placement avoids it), made RWX,
 * hidden from /proc/self/maps and reserved as runtime memory (rt_reserve),
 * which keeps every application call off it. On sgx trampolines must be
 * enclave pages anyway.
 */
uintptr_t rt_code_region(uintptr_t near, size_t len, size_t reach)
{
	if (!vma_on() || reach <= len)
		return 0;
	int rwx = PROT_READ | PROT_WRITE | PROT_EXEC;
	uintptr_t floor = near > vma_lo + (reach - len) ? near - (reach - len) : vma_lo;
	uintptr_t ceil = vma_hi - near > reach ? near + reach : vma_hi;
	rt_lock(&vma_lock);
	uintptr_t a = 0;
	if (!ensure(1) && !(a = top_down(floor, RT_MIN(near, vma_hi), len)))
		a = top_down(RT_MAX(near, vma_lo), ceil, len);
	if (a && pages_fresh(a, len, rwx, false))
		a = 0;
	if (a) {
		struct vma r = { .lo = a, .hi = a + len, .prot = (uint32_t)rwx, .flags = VMA_RUNTIME };
		insert_at(find(a), &r);
		rt_reserve(a, a + len);
	}
	rt_unlock(&vma_lock);
	return a;
}
