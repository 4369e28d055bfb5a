/*
 * mm.c - memory system calls. The application may map, unmap, protect and
 * remap its own memory as it likes; ranges that touch runtime memory are
 * refused as if they were not mapped (ENOMEM), and addresses the host hands
 * back are checked to lie outside runtime memory (a host that returned one
 * inside would be attacking the runtime).
 *
 * With enclave memory (mm/vma.h: the platform gave a range at boot) the
 * calls are served from that range by the runtime, and only what cannot
 * live inside it goes to the host, outside it: a MAP_SHARED mapping of a
 * host file open for writing (its other users must see the writes; the file
 * is unprotected anyway, like Gramine's untrusted shared memory), and SysV
 * shared memory. Every other address is inside the range or refused as one
 * Linux cannot use (ENOMEM). With host memory each handler is one branch
 * and then the forwarding it always did.
 */
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../mm/vma.h"
#include "sys.h"
#include "../lib/host.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif

static long checked_addr(long r, size_t len)
{
	if (mm_is_err(r))
		return r;
	if (!mm_user_ok((uintptr_t)r, len))
		rt_panic("the host mapped application memory inside runtime memory (%p)", (void *)r);
	return r;
}

/* Is [a, a+len) inside the enclave range, outside it, or across its edge? */
enum where { INSIDE, OUTSIDE, ACROSS };
static enum where where(uintptr_t a, size_t len)
{
	size_t alen = RT_ALIGN_UP(len, RT_PAGE_SIZE);
	if (a + alen >= a && !vma_overlaps(a, alen ? alen : 1))
		return OUTSIDE;
	return a >= vma_lo && a + alen <= vma_hi && a + alen >= a ? INSIDE : ACROSS;
}

/* A MAP_SHARED mapping of a host file open for writing: the host's, placed
 * by the host outside the range. */
static long mmap_host_shared(struct sys_call *c, size_t len)
{
	long flags = c->a[3];
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		return vma_overlaps((uintptr_t)c->a[0], len) ? -ENODEV : -ENOMEM;
	long r = checked_addr(sys_host(c, 0, c->a[1], c->a[2], flags, c->a[4], c->a[5]), len);
	if (!mm_is_err(r) && vma_overlaps((uintptr_t)r, len))
		rt_panic("the host mapped a shared file inside the enclave range (%p)", (void *)r);
	return r;
}

static long mmap_enclave(struct sys_call *c)
{
	uintptr_t addr = (uintptr_t)c->a[0];
	size_t len = (size_t)c->a[1];
	int prot = (int)c->a[2], flags = (int)c->a[3];

	if (flags & MAP_ANONYMOUS)
		return vma_mmap(addr, len, prot, flags, NULL, -1, c->a[5]);
	struct file *f = fd_get((int)c->a[4]);
	if (!f)
		return -EBADF;
	long r;
	int type = flags & 0x0f;
	int acc = f->flags & O_ACCMODE;
	if (f->ops->host) {
		/* the host object's own mode (a memfd, a socket's fd... were
		 * installed without one): it only picks the kind of mapping */
		long fl = host_getfl("fcntl", plat_host_fcntl((int)c->a[4], F_GETFL, 0));
		if (fl == -EIO) { /* F_GETFL never fails so: a refused answer */
			file_put(f);
			return fl;
		}
		if (fl >= 0)
			acc = (int)(fl & O_ACCMODE);
	}
	if (f->ops->host && (type == MAP_SHARED || type == 3 /* MAP_SHARED_VALIDATE */) && acc == O_RDWR)
		r = mmap_host_shared(c, len);
	else if (acc == O_WRONLY)
		r = -EACCES;
	else
		r = vfs_file_mmap(f, c->a[4], addr, len, prot, flags, c->a[5]);
	file_put(f);
	return r;
}

long sys_mmap(struct sys_call *c)
{
	uintptr_t addr = (uintptr_t)c->a[0];
	size_t len = (size_t)c->a[1];
	long flags = c->a[3];
	int fd = (int)c->a[4];

	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && !mm_user_ok(addr, len))
		return (flags & MAP_FIXED_NOREPLACE) ? -EEXIST : -ENOMEM;
	if (vma_on())
		return mmap_enclave(c);
	if (flags & MAP_ANONYMOUS)
		return checked_addr(sys_forward(c), len);
	struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	long r = f->ops->host ? sys_forward(c) : vfs_file_mmap(f, fd, addr, len, (int)c->a[2], (int)flags, c->a[5]);
	file_put(f);
	return checked_addr(r, len);
}

long sys_mremap(struct sys_call *c)
{
	size_t newlen = (size_t)c->a[2];
	long flags = c->a[3];

	if ((flags & MREMAP_FIXED) && !mm_user_ok((uintptr_t)c->a[4], newlen))
		return -EINVAL;
	if (vma_on()) {
		uintptr_t old = (uintptr_t)c->a[0];
		if (where(old, (size_t)c->a[1]) != OUTSIDE)
			return vma_mremap(old, (size_t)c->a[1], newlen, (int)flags, (uintptr_t)c->a[4]);
		/* a host mapping (shared file) stays outside */
		if ((flags & MREMAP_FIXED) && vma_overlaps((uintptr_t)c->a[4], newlen))
			return -EINVAL;
		long r = checked_addr(sys_forward(c), newlen);
		if (!mm_is_err(r) && vma_overlaps((uintptr_t)r, newlen))
			rt_panic("the host moved a mapping inside the enclave range (%p)", (void *)r);
		return r;
	}
	return checked_addr(sys_forward(c), newlen);
}

long sys_mincore(struct sys_call *c)
{
	size_t pages = ((size_t)c->a[1] + RT_PAGE_SIZE - 1) / RT_PAGE_SIZE;
	if (!mm_user_ok((uintptr_t)c->a[2], pages))
		return -EFAULT;
	if (vma_on() && where((uintptr_t)c->a[0], (size_t)c->a[1]) != OUTSIDE)
		return vma_mincore((uintptr_t)c->a[0], (size_t)c->a[1], (uintptr_t)c->a[2]);
	return sys_forward(c);
}

/* munmap: the range's part by the runtime, each part outside by the host
 * (never the host's call over the range: it would punch a hole the host
 * could later fill). */
long sys_munmap(struct sys_call *c)
{
	if (!vma_on())
		return sys_forward(c);
	uintptr_t a = (uintptr_t)c->a[0];
	size_t len = (size_t)c->a[1];
	enum where w = where(a, len);
	if (w == OUTSIDE)
		return sys_forward(c);
	long r = vma_munmap(a, len);
	if (r || w == INSIDE)
		return r;
	uintptr_t e = a + RT_ALIGN_UP(len, RT_PAGE_SIZE);
	if (a < vma_lo && (r = sys_host(c, (long)a, (long)(vma_lo - a), 0, 0, 0, 0)))
		return r;
	if (e > vma_hi)
		r = sys_host(c, (long)vma_hi, (long)(e - vma_hi), 0, 0, 0, 0);
	return r;
}

/* The others: a range wholly outside the range is the host's; any other is
 * the runtime's, whose checks answer EINVAL for bad arguments and ENOMEM for
 * the part outside the range (a hole, for the program). */
long sys_mprotect(struct sys_call *c)
{
	if (!vma_on() || where((uintptr_t)c->a[0], (size_t)c->a[1]) == OUTSIDE)
		return sys_forward(c);
	return vma_mprotect((uintptr_t)c->a[0], (size_t)c->a[1], (int)c->a[2]);
}

long sys_pkey_mprotect(struct sys_call *c)
{
	if (!vma_on() || where((uintptr_t)c->a[0], (size_t)c->a[1]) == OUTSIDE)
		return sys_forward(c);
	/* no protection keys on enclave pages: only "none" (-1) */
	if ((int)c->a[3] != -1)
		return -EINVAL;
	return vma_mprotect((uintptr_t)c->a[0], (size_t)c->a[1], (int)c->a[2]);
}

long sys_msync(struct sys_call *c)
{
	if (!vma_on() || where((uintptr_t)c->a[0], (size_t)c->a[1]) == OUTSIDE)
		return sys_forward(c);
	return vma_msync((uintptr_t)c->a[0], (size_t)c->a[1], (int)c->a[2]);
}

long sys_madvise(struct sys_call *c)
{
	if (!vma_on() || where((uintptr_t)c->a[0], (size_t)c->a[1]) == OUTSIDE)
		return sys_forward(c);
	return vma_madvise((uintptr_t)c->a[0], (size_t)c->a[1], (int)c->a[2]);
}

long sys_mseal(struct sys_call *c)
{
	if (!vma_on() || where((uintptr_t)c->a[0], (size_t)c->a[1]) == OUTSIDE)
		return sys_forward(c);
	return vma_mseal((uintptr_t)c->a[0], (size_t)c->a[1], (unsigned long)c->a[2]);
}

/*
 * Locking. Enclave pages are not the host's to page out (on SGX1 the CPU
 * pages EPC, encrypted, whatever the program asks), so with enclave memory
 * the runtime checks the range (ENOMEM for a hole) and records the lock,
 * and mlockall is accepted without the host, which would otherwise lock
 * every page of the reserved range. RLIMIT_MEMLOCK is not applied.
 */
long sys_mlock(struct sys_call *c)
{
	if (!vma_on() || where((uintptr_t)c->a[0], (size_t)c->a[1]) == OUTSIDE)
		return sys_forward(c);
	return vma_mlock((uintptr_t)c->a[0], (size_t)c->a[1], true);
}

long sys_mlock2(struct sys_call *c)
{
	if (!vma_on() || where((uintptr_t)c->a[0], (size_t)c->a[1]) == OUTSIDE)
		return sys_forward(c);
	if ((unsigned long)c->a[2] & ~1UL /* MLOCK_ONFAULT */)
		return -EINVAL;
	return vma_mlock((uintptr_t)c->a[0], (size_t)c->a[1], true);
}

long sys_munlock(struct sys_call *c)
{
	if (!vma_on() || where((uintptr_t)c->a[0], (size_t)c->a[1]) == OUTSIDE)
		return sys_forward(c);
	return vma_mlock((uintptr_t)c->a[0], (size_t)c->a[1], false);
}

long sys_mlockall(struct sys_call *c)
{
	if (!vma_on())
		return sys_forward(c);
	unsigned long fl = (unsigned long)c->a[0];
	if (!fl || (fl & ~(unsigned long)(MCL_CURRENT | MCL_FUTURE | 4 /* MCL_ONFAULT */)) || fl == 4)
		return -EINVAL;
	return 0;
}

long sys_munlockall(struct sys_call *c)
{
	return vma_on() ? 0 : sys_forward(c);
}

long sys_brk(struct sys_call *c)
{
	if (vma_on())
		return vma_brk((uintptr_t)c->a[0]);
	long r = sys_forward(c);
	if (r > 0 && !mm_user_ok((uintptr_t)r, 0))
		rt_panic("the host put the program break inside runtime memory");
	return r;
}

/*
 * membarrier: the kernel keeps registrations per address space, and the
 * runtime registers for itself (call-site patching needs the SYNC_CORE
 * barrier, platform/direct/patch.c). The program must see only its own:
 * a barrier it never registered for is EPERM, and GET_REGISTRATIONS lists
 * what it registered. Kept in a global, as the kernel keeps it in the mm:
 * shared with CLONE_VM children, copied by fork, gone at execve.
 */
enum {
	MB_QUERY = 0,
	MB_GLOBAL_EXPEDITED = 2,
	MB_REGISTER_GLOBAL_EXPEDITED = 4,
	MB_PRIVATE_EXPEDITED = 8,
	MB_REGISTER_PRIVATE_EXPEDITED = 16,
	MB_PRIVATE_EXPEDITED_SYNC_CORE = 32,
	MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64,
	MB_PRIVATE_EXPEDITED_RSEQ = 128,
	MB_REGISTER_PRIVATE_EXPEDITED_RSEQ = 256,
	MB_GET_REGISTRATIONS = 512,
};

static unsigned app_membarrier;

long sys_membarrier(struct sys_call *c)
{
	int cmd = (int)c->a[0];
	unsigned reg = 0;

	if (c->a[1] && cmd != MB_PRIVATE_EXPEDITED_RSEQ)
		return -EINVAL; /* flags are for the rseq barrier only */
	switch (cmd) {
	case MB_GET_REGISTRATIONS:
		return __atomic_load_n(&app_membarrier, __ATOMIC_RELAXED);
	case MB_REGISTER_GLOBAL_EXPEDITED:
	case MB_REGISTER_PRIVATE_EXPEDITED:
	case MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
	case MB_REGISTER_PRIVATE_EXPEDITED_RSEQ: {
		long r = sys_forward(c);
		if (r == 0)
			__atomic_or_fetch(&app_membarrier, (unsigned)cmd, __ATOMIC_RELAXED);
		return r;
	}
	case MB_PRIVATE_EXPEDITED: reg = MB_REGISTER_PRIVATE_EXPEDITED; break;
	case MB_PRIVATE_EXPEDITED_SYNC_CORE: reg = MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE; break;
	case MB_PRIVATE_EXPEDITED_RSEQ: reg = MB_REGISTER_PRIVATE_EXPEDITED_RSEQ; break;
	}
	if (reg && !(__atomic_load_n(&app_membarrier, __ATOMIC_RELAXED) & reg)) {
		/* the host would answer for the runtime's registration: check
		 * the command is one it serves, then answer for the program */
		long q = host_ret("membarrier", plat_host_membarrier_query());
		return q >= 0 && (q & cmd) ? -EPERM : -EINVAL;
	}
	return sys_forward(c);
}
