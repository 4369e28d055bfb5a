/*
 * mm.c - memory system calls. The application may map, unmap, protect and
 * remap its own memory as it likes; ranges that touch runtime memory are
 * refused as if they were not mapped (ENOMEM), and addresses the host hands
 * back are checked to lie outside runtime memory (a host that returned one
 * inside would be attacking the runtime).
 */
#include <linux/mman.h>

#include "../fs/vfs.h"
#include "../mm/mm.h"
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
	if (r < 0 && r > -4096)
		return r;
	if (!mm_user_ok((uintptr_t)r, len))
		rt_panic("the host mapped application memory inside runtime memory (%p)", (void *)r);
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
	return checked_addr(sys_forward(c), newlen);
}

long sys_mincore(struct sys_call *c)
{
	size_t pages = ((size_t)c->a[1] + RT_PAGE_SIZE - 1) / RT_PAGE_SIZE;
	if (!mm_user_ok((uintptr_t)c->a[2], pages))
		return -EFAULT;
	return sys_forward(c);
}

long sys_brk(struct sys_call *c)
{
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
