/*
 * linux.c - sgxhw_linux_ops: the hardware path's host operations as raw
 * Linux system calls and the CPUID instruction (driver.h). No libc: the sgx
 * host binary has none. The vDSO pointer is the caller's to fill in (from
 * the auxiliary vector, sgxhw_auxv_vdso).
 */
#include <asm/unistd_64.h>

#include "driver.h"

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static long lx_open(void *ctx, const char *path, int flags)
{
	(void)ctx;
	return sys6(__NR_openat, -100 /* AT_FDCWD */, (long)path, flags, 0, 0, 0);
}

static long lx_ioctl(void *ctx, int fd, unsigned long cmd, void *arg)
{
	(void)ctx;
	return sys6(__NR_ioctl, fd, (long)cmd, (long)arg, 0, 0, 0);
}

static long lx_mmap(void *ctx, uintptr_t addr, size_t len, int prot, int flags, int fd, long off)
{
	(void)ctx;
	return sys6(__NR_mmap, (long)addr, (long)len, prot, flags, fd, off);
}

static long lx_munmap(void *ctx, uintptr_t addr, size_t len)
{
	(void)ctx;
	return sys6(__NR_munmap, (long)addr, (long)len, 0, 0, 0, 0);
}

static long lx_close(void *ctx, int fd)
{
	(void)ctx;
	return sys6(__NR_close, fd, 0, 0, 0, 0, 0);
}

static void lx_cpuid(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	(void)ctx;
	__asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3]) : "0"(leaf), "2"(subleaf));
}

static uint64_t lx_xgetbv0(void *ctx)
{
	uint32_t lo, hi;

	(void)ctx;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (uint64_t)hi << 32;
}

const struct sgxhw_ops sgxhw_linux_ops = {
	.ctx = NULL,
	.open = lx_open,
	.ioctl = lx_ioctl,
	.mmap = lx_mmap,
	.munmap = lx_munmap,
	.close = lx_close,
	.cpuid = lx_cpuid,
	.xgetbv0 = lx_xgetbv0,
	.vdso = NULL,
};
