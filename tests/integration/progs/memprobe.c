/*
 * memprobe - the memory calls one by one, for test_encmem.py: each case
 * prints "name: outcome" lines that are the same natively and under coffer
 * (host memory, or enclave memory: COFFER_MEMORY=enclave), except where a
 * case says what it shows about the mode (addresses, faults in sgx1).
 *
 *   memprobe CASE...     run the cases (all: every portable one)
 *   memprobe hostile     read an address from stdin (runtime memory, from
 *                        the host's maps), try to map over it
 *   memprobe brkhole     a call site in the middle of a big heap, far from
 *                        every other, gets its trampolines in a hole of the
 *                        heap; then the break goes back below them
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define PG 4096UL
#define RT_MAX_U(a, b) ((a) > (b) ? (a) : (b))

static sigjmp_buf jb;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

/* "ok", "fault": does reading (or writing) p fault? */
static const char *touch(volatile char *p, int write)
{
	if (sigsetjmp(jb, 1))
		return "fault";
	if (write)
		*p = 1;
	else
		(void)*p;
	return "ok";
}

static const char *err(long r)
{
	if (r != -1)
		return "ok";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EEXIST: return "EEXIST";
	case EFAULT: return "EFAULT";
	case EACCES: return "EACCES";
	case ENODEV: return "ENODEV";
	case EBADF: return "EBADF";
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	default: return strerror(errno);
	}
}

static const char *merr(void *p)
{
	return err(p == MAP_FAILED ? -1 : 0);
}

static char *anon(size_t len, int prot)
{
	char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

/* The /proc/self/maps lines inside [lo, hi): "perms" each, space-separated. */
static void maps_in(const char *what, uintptr_t lo, uintptr_t hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], out[512] = "";
	while (f && fgets(line, sizeof line, f)) {
		unsigned long a, b;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3 || b <= lo || a >= hi)
			continue;
		char one[64];
		snprintf(one, sizeof one, "%s%lu:%s", *out ? " " : "", (RT_MAX_U(a, lo) - lo) / PG, perms);
		strncat(out, one, sizeof out - strlen(out) - 1);
	}
	if (f)
		fclose(f);
	printf("%s: %s\n", what, out);
}

static void c_hint(void)
{
	char *a = anon(3 * PG, PROT_READ);
	munmap(a, 3 * PG);
	char *b = mmap(a + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("hint honoured: %s\n", b == a + 2 * PG ? "yes" : "no");
	/* an unaligned hint is rounded down to its page (x86-64) */
	char *c = mmap(a + PG + 100, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("unaligned hint: %s\n", c == a + PG ? "rounded down" : c == a + 2 * PG ? "rounded up" : "elsewhere");
	/* a taken hint is not honoured: the mapping goes elsewhere */
	char *d = mmap(a + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("taken hint: %s\n", d != a + PG && d != MAP_FAILED ? "elsewhere" : "same");
}

static void c_fixed(void)
{
	char *a = anon(4 * PG, PROT_READ | PROT_WRITE);
	memset(a, 'a', 4 * PG);
	char *b = mmap(a + PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("fixed over: %s at %s, bytes %c%c%c%c\n", merr(b), b == a + PG ? "asked" : "other", a[0],
	       a[PG] ? a[PG] : '0', a[2 * PG] ? a[2 * PG] : '0', a[3 * PG]);
	char *c = mmap(a, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("noreplace over: %s\n", merr(c));
	maps_in("fixed maps", (uintptr_t)a, (uintptr_t)a + 4 * PG);
}

static void c_munmap(void)
{
	char *a = anon(3 * PG, PROT_READ | PROT_WRITE);
	a[0] = a[2 * PG] = 'x';
	printf("munmap middle: %s\n", err(munmap(a + PG, PG)));
	maps_in("munmap maps", (uintptr_t)a, (uintptr_t)a + 3 * PG);
	printf("munmap ends kept: %c%c\n", a[0], a[2 * PG]);
	printf("munmap unmapped again: %s\n", err(munmap(a + PG, PG)));
}

static void c_mprotect(void)
{
	char *a = anon(3 * PG, PROT_READ | PROT_WRITE);
	printf("mprotect middle: %s\n", err(mprotect(a + PG, PG, PROT_READ)));
	maps_in("mprotect maps", (uintptr_t)a, (uintptr_t)a + 3 * PG);
	printf("mprotect back: %s\n", err(mprotect(a + PG, PG, PROT_READ | PROT_WRITE)));
	maps_in("mprotect merged", (uintptr_t)a, (uintptr_t)a + 3 * PG);
	printf("mprotect hole: %s\n", err(munmap(a + 2 * PG, PG) || mprotect(a, 3 * PG, PROT_READ)));
}

/* Does a PROT_NONE page fault, and a write to a read-only one? (sgx1: no) */
static void c_faults(void)
{
	char *a = anon(2 * PG, PROT_READ | PROT_WRITE);
	mprotect(a, PG, PROT_NONE);
	mprotect(a + PG, PG, PROT_READ);
	printf("read PROT_NONE: %s\n", touch(a, 0));
	printf("write PROT_READ: %s\n", touch(a + PG, 1));
	munmap(a, 2 * PG);
	printf("read unmapped: %s\n", touch(a, 0));
}

static void c_mremap(void)
{
	char *a = anon(2 * PG, PROT_READ | PROT_WRITE);
	munmap(a + PG, PG);
	a[0] = 'g';
	char *b = mremap(a, PG, 2 * PG, 0);
	printf("grow in place: %s %s %c\n", merr(b), b == a ? "same" : "moved", b == MAP_FAILED ? '?' : b[0]);
	/* no room after: without MAYMOVE ENOMEM, with it moved */
	char *blk = mmap(a + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("grow blocked: %s\n", merr(mremap(a, 2 * PG, 4 * PG, 0)));
	a[PG] = 'h';
	char *c = mremap(a, 2 * PG, 4 * PG, MREMAP_MAYMOVE);
	printf("grow moved: %s %s %c%c tail %d\n", merr(c), c != a ? "moved" : "same", c[0], c[PG], c[3 * PG]);
	maps_in("old place", (uintptr_t)a, (uintptr_t)a + 2 * PG);
	munmap(blk, PG);
	/* MREMAP_FIXED to a place of our choosing, overlap refused */
	char *d = anon(8 * PG, PROT_NONE);
	munmap(d, 8 * PG);
	char *e = mremap(c, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, d + 2 * PG);
	printf("fixed target: %s %s %c\n", merr(e), e == d + 2 * PG ? "there" : "elsewhere", e[PG]);
	printf("fixed overlap: %s\n", merr(mremap(e, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, e + PG)));
	char *f = mremap(e, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	printf("dontunmap: %s old %d new %c\n", merr(f), e[0], f == MAP_FAILED ? '?' : f[0]);
	printf("shrink: %s\n", merr(mremap(e, 4 * PG, PG, 0)));
	printf("unmapped old: %s\n", merr(mremap(e + 2 * PG, PG, 2 * PG, MREMAP_MAYMOVE)));
	printf("bad flags: %s\n", merr(mremap(e, PG, PG, 64)));
}

static void c_brk(void)
{
	char *cur = sbrk(0);
	char *top = (char *)(((uintptr_t)cur + 3 * PG + PG - 1) & ~(PG - 1));
	printf("brk grow: %s\n", syscall(SYS_brk, top) == (long)top ? "ok" : "refused");
	memset(top - 2 * PG, 'b', 2 * PG);
	FILE *fm = fopen("/proc/self/maps", "r");
	char line[512];
	int heap = 0;
	while (fm && fgets(line, sizeof line, fm))
		heap |= strstr(line, "[heap]") != NULL;
	fclose(fm);
	printf("brk heap shown: %d\n", heap);
	printf("brk below start: %s\n", syscall(SYS_brk, 4096) == (long)top ? "unchanged" : "moved");
	printf("brk shrink: %s\n", syscall(SYS_brk, cur) == (long)cur ? "ok" : "refused");
	printf("brk regrow zero: %s\n",
	       syscall(SYS_brk, top) == (long)top && top[-1] == 0 ? "ok" : "stale");
}

static void c_madvise(void)
{
	char *a = anon(2 * PG, PROT_READ | PROT_WRITE);
	memset(a, 'm', 2 * PG);
	printf("dontneed: %s bytes %d %d\n", err(madvise(a, PG, MADV_DONTNEED)), a[0], a[PG]);
	char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s[0] = 's';
	printf("dontneed shared: %s %c\n", err(madvise(s, PG, MADV_DONTNEED)), s[0]);
	printf("free: %s\n", err(madvise(a, PG, MADV_FREE)));
	printf("free shared: %s\n", err(madvise(s, PG, MADV_FREE)));
	printf("bad advice: %s\n", err(madvise(a, PG, 77)));
	printf("unaligned: %s\n", err(madvise(a + 1, PG, MADV_NORMAL)));
	munmap(a + PG, PG);
	printf("hole: %s\n", err(madvise(a, 2 * PG, MADV_NORMAL)));
	unsigned char vec[2];
	printf("mincore: %s %d\n", err(mincore(a, PG, vec)), vec[0] & 1);
	printf("mincore hole: %s\n", err(mincore(a, 2 * PG, vec)));
	printf("msync: %s\n", err(msync(a, PG, MS_SYNC)));
	printf("msync both: %s\n", err(msync(a, PG, MS_SYNC | MS_ASYNC)));
	printf("msync hole: %s\n", err(msync(a, 2 * PG, MS_ASYNC)));
}

static void c_file(void)
{
	char path[] = "/tmp/memprobe.XXXXXX";
	int fd = mkstemp(path);
	char buf[PG + 10];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)('A' + i % 26);
	if (write(fd, buf, sizeof buf) != (long)sizeof buf)
		exit(2);
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("file private: %s same %d tail %d\n", merr(p), !memcmp(p, buf, sizeof buf), p[sizeof buf]);
	p[0] = 'z';
	char c;
	printf("file unchanged: %d\n", pread(fd, &c, 1, 0) == 1 && c == 'A');
	char *q = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
	printf("file offset: %s %c\n", merr(q), q[0]);
	printf("file unaligned offset: %s\n", merr(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100)));
	int ro = open(path, O_RDONLY);
	printf("shared ro writable: %s\n", merr(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0)));
	char *r = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
	printf("shared ro: %s %c mprotect write %s\n", merr(r), r[1], err(mprotect(r, PG, PROT_READ | PROT_WRITE)));
	/* a shared writable mapping writes through to the file */
	char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	w[2] = '#';
	msync(w, PG, MS_SYNC);
	printf("shared write: %s %d\n", merr(w), pread(fd, &c, 1, 2) == 1 && c == '#');
	int wo = open(path, O_WRONLY);
	printf("write-only fd: %s\n", merr(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wo, 0)));
	printf("bad fd: %s\n", merr(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0)));
	unlink(path);
}

static void c_errors(void)
{
	printf("len 0: %s\n", merr(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
	printf("no type: %s\n", merr(mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0)));
	printf("fixed unaligned: %s\n", merr(mmap((void *)0x300001, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
	printf("munmap unaligned: %s\n", err(munmap((void *)0x300001, PG)));
	printf("munmap len 0: %s\n", err(munmap((void *)0x300000, 0)));
	printf("mprotect unaligned: %s\n", err(mprotect((void *)0x300001, PG, PROT_READ)));
	printf("mremap unaligned: %s\n", merr(mremap((void *)0x300001, PG, PG, 0)));
}

static void c_seal(void)
{
	char *a = anon(3 * PG, PROT_READ);
	printf("mseal: %s\n", err(syscall(462 /* mseal */, a + PG, PG, 0)));
	printf("sealed munmap: %s\n", err(munmap(a, 3 * PG)));
	printf("sealed mprotect: %s\n", err(mprotect(a + PG, PG, PROT_READ | PROT_WRITE)));
	printf("sealed mremap: %s\n", merr(mremap(a + PG, PG, 2 * PG, MREMAP_MAYMOVE)));
	printf("sealed fixed over: %s\n", merr(mmap(a + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
	printf("sealed dontneed: %s\n", err(madvise(a + PG, PG, MADV_DONTNEED)));
	printf("unsealed munmap: %s\n", err(munmap(a, PG)));
}

/* Fresh memory reads zeros: new mappings, a reservation made reachable,
 * the break. (sgx1 on direct leaves a pattern in
 * the range's pages, as a host may in pages added without EEXTEND.) */
static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void c_zeros(void)
{
	int ok = 1;
	for (int i = 0; i < 64; i++) {
		char *a = anon(64 * PG, PROT_READ | PROT_WRITE);
		ok &= all_zero(a, 64 * PG);
	}
	printf("fresh mappings zero: %d\n", ok);
	char *r = anon(256 * PG, PROT_NONE);
	mprotect(r, 256 * PG, PROT_READ | PROT_WRITE);
	printf("reservation made reachable zero: %d\n", all_zero(r, 256 * PG));
	r[0] = 1;
	mprotect(r, 256 * PG, PROT_NONE);
	mprotect(r, 256 * PG, PROT_READ);
	printf("contents kept across PROT_NONE: %d\n", r[0] == 1 && all_zero(r + 1, 256 * PG - 1));
	char *b = sbrk(0);
	char *t = (char *)(((uintptr_t)b + 64 * PG) & ~(PG - 1));
	syscall(SYS_brk, t);
	printf("break zero: %d\n", all_zero(b, t - b));
}

static void c_lock(void)
{
	char *a = anon(3 * PG, PROT_READ | PROT_WRITE);
	printf("mlock: %s\n", err(mlock(a + 100, PG)));
	printf("msync invalidate locked: %s\n", err(msync(a, PG, MS_INVALIDATE)));
	printf("munlock: %s\n", err(munlock(a, 2 * PG)));
	printf("msync invalidate unlocked: %s\n", err(msync(a, PG, MS_INVALIDATE)));
	munmap(a + 2 * PG, PG);
	printf("mlock hole: %s\n", err(mlock(a, 3 * PG)));
	printf("mlock2 bad flags: %s\n", err(syscall(SYS_mlock2, a, PG, 8)));
	printf("mlockall none: %s\n", err(mlockall(0)));
	printf("munlockall: %s\n", err(munlockall()));
}

static void c_fork(void)
{
	char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *p = anon(PG, PROT_READ | PROT_WRITE);
	s[0] = p[0] = 'p';
	pid_t c = fork();
	if (c == 0) {
		s[0] = p[0] = 'c';
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("fork shared %c private %c\n", s[0], p[0]);
}

/* Where things are: every mapping (but [vsyscall]) as "lo hi" lines. */
static void c_where(void)
{
	char *a = anon(PG, PROT_READ);
	printf("where mmap %p stack %p\n", (void *)a, (void *)&a);
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	while (f && fgets(line, sizeof line, f))
		printf("where map %s", line);
}

/* Out of the range: a mapping bigger than it, and a fixed address far away. */
static void c_outside(void)
{
	printf("huge: %s\n", merr(mmap(NULL, 100UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)));
	void *far = (void *)0x7e0000000000UL;
	printf("fixed far: %s\n", merr(mmap(far, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
	printf("noreplace far: %s\n",
	       merr(mmap(far + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)));
	/* a shared writable file mapping: where does it go, and at a fixed
	 * address among the others? */
	char path[] = "/tmp/memprobe.XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	if (ftruncate(fd, PG))
		exit(2);
	char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("shared file: %s addr %p\n", merr(w), (void *)w);
	char *a = anon(PG, PROT_READ);
	printf("shared file fixed: %s\n", merr(mmap(a, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0)));
}

/* getpid as the 7-byte shape the fast path patches, then ret */
static const unsigned char getpid_code[] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3 };

static long call_code(char *code)
{
	memcpy(code, getpid_code, sizeof getpid_code);
	long r = 0;
	for (int i = 0; i < 3; i++) /* the first traps and is patched */
		r = ((long (*)(void))code)();
	return r;
}

/* A site 6 GiB into an 8 GiB heap is out of reach of every trampoline
 * region (near the libraries, at the top of the range): its region is cut
 * from the hole just below it. The break then goes back to the heap's
 * start, over that region. */
static void c_brkhole(void)
{
	printf("brkhole\n"); /* stdout's buffer, before the break moves */
	uintptr_t s = ((uintptr_t)sbrk(0) + PG - 1) & ~(PG - 1);
	if (brk((void *)(s + (8UL << 30)))) {
		printf("brk 8 GiB: %s\n", err(-1));
		return;
	}
	char *code = (char *)s + (6UL << 30);
	printf("hole: %s\n", err(munmap(code - (1UL << 20), 1UL << 20)));
	printf("code: %s\n", merr(mmap(code, PG, PROT_READ | PROT_WRITE | PROT_EXEC,
					  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
	printf("site: %s\n", call_code(code + 64) == getpid() ? "ok" : "wrong");
	/* glibc's brk() cannot tell a refused shrink (the old break) from success */
	long b = syscall(SYS_brk, s);
	printf("brk over the trampolines: %s\n", b == (long)s ? "shrunk" : b == (long)s + (8L << 30) ? "kept" : "?");
	/* the break where it is now, code mapped again: a new site */
	char *again = mmap(code, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			   -1, 0);
	if (again == MAP_FAILED)
		again = mmap(NULL, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("another site: %s\n", call_code(again + 128) == getpid() ? "ok" : "wrong");
	printf("still alive\n");
}

static void c_hostile(void)
{
	unsigned long a;
	printf("pid %d\n", getpid());
	fflush(stdout);
	if (scanf("%lx", &a) != 1)
		exit(2);
	void *p = (void *)a;
	printf("fixed over runtime: %s\n", merr(mmap(p, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
	printf("noreplace over runtime: %s\n", merr(mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)));
	printf("munmap runtime: %s\n", err(munmap(p, PG)));
	printf("mprotect runtime: %s\n", err(mprotect(p, PG, PROT_READ | PROT_WRITE)));
	char *m = anon(PG, PROT_READ);
	printf("mremap onto runtime: %s\n", merr(mremap(m, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, p)));
	printf("madvise runtime: %s\n", err(madvise(p, PG, MADV_DONTNEED)));
	printf("still alive\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
		int portable; /* in "all" */
	} cases[] = {
		{ "hint", c_hint, 1 },       { "fixed", c_fixed, 1 },     { "munmap", c_munmap, 1 },
		{ "mprotect", c_mprotect, 1 }, { "mremap", c_mremap, 1 }, { "brk", c_brk, 1 },
		{ "madvise", c_madvise, 1 }, { "file", c_file, 1 },       { "errors", c_errors, 1 },
		{ "fork", c_fork, 1 },       { "seal", c_seal, 1 },      { "zeros", c_zeros, 1 },     { "lock", c_lock, 1 },       { "faults", c_faults, 0 },   { "where", c_where, 0 },
		{ "outside", c_outside, 0 }, { "hostile", c_hostile, 0 },
		{ "brkhole", c_brkhole, 0 },
	};
	struct sigaction sa = { .sa_handler = on_segv };
	sigaction(SIGSEGV, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++)
		for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
			if (!strcmp(argv[i], cases[k].name) || (!strcmp(argv[i], "all") && cases[k].portable))
				cases[k].fn();
	return 0;
}
