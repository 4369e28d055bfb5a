/*
 * patch_sites.c - call sites in the form coffer patches (`mov $nr,%eax; syscall`),
 * to test the fast path (platform/direct/patch.c) and the trap path alike:
 * the program's answers must be the same natively, under coffer, and under
 * coffer with COFFER_PATCH=0.
 *
 *   patch_sites regs N    N calls through one site that loads every register
 *                         and the red zone first: all must come back as they
 *                         were (the `syscall` contract: only rax, rcx, r11);
 *                         and N through a look-alike that must not be patched
 *   patch_sites race T N  T threads start together on a site nobody has used
 *                         yet, N calls each, every answer checked
 *   patch_sites readsite T N  glibc's read form (xor %eax,%eax; syscall; cmp):
 *                         a first call that blocks while the site is
 *                         patched, other threads asleep meanwhile (no
 *                         EINTR for them), then T threads racing, N reads each
 *   patch_sites stw T K   K sites of glibc's read form patched one after
 *                         another (each patch signals every other thread
 *                         and waits for it) while T threads make calls that
 *                         always trap and check every answer, and a thread
 *                         born for each patch writes what the patching read
 *                         waits for: no call may be lost or answered wrongly
 *   patch_sites signals   signals while calls through patched sites block:
 *                         SA_RESTART restarts, no SA_RESTART gives EINTR, a
 *                         mask set through a patched site holds and its
 *                         release delivers at once, a timer storm during a
 *                         loop of calls
 *   patch_sites shapes T N    T threads start together on sites of the shapes
 *                         whose number comes in a register: a byte-for-byte
 *                         copy of Go's Syscall6 (which patching moves two
 *                         instructions of: a thread may stand between
 *                         them), glibc's syscall(), `mov $nr,%rax;
 *                         syscall`, and a site of no known
 *                         shape, which keeps trapping; N calls of each per
 *                         thread, every answer and register checked
 *                         and glibc's openat and prlimit forms
 *   patch_sites alone N   the glibc forms and `mov $nr,%rax; syscall` from
 *                         the only thread, N calls each
 *   patch_sites vforkshape N  a vfork child makes the first calls through the
 *                         Go shape's site (it must stay unpatched while
 *                         the child shares the memory), then N in the parent
 *   patch_sites open FILE...  opens each FILE through one site with XMM0-15 live:
 *                         they must survive the runtime's hashing of trusted
 *                         files (SHA-NI uses XMM registers)
 *   patch_sites codemaps N  sites in code the program maps itself after
 *                         start, N calls each: a new private mapping, a site
 *                         added after the mapping became writable too, code
 *                         mapped again at the address of a patched site, and
 *                         a shared mapping of a memfd, which must not change
 *                         (the patcher's copy of /proc/self/maps must follow)
 *
 * Prints "ok ..." lines; exits 1 with a message at the first wrong result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FAIL(...)                                      \
	do {                                           \
		fprintf(stderr, "patch: " __VA_ARGS__); \
		fputc('\n', stderr);                    \
		exit(1);                               \
	} while (0)

/* One call site per function: noinline, so each test knows its site. */
#define SITE(name, nr)                                                                      \
	static __attribute__((noinline)) long name(long a, long b, long c, long d)          \
	{                                                                                   \
		long r;                                                                     \
		register long r10 __asm__("r10") = d;                                       \
		__asm__ volatile("mov $" #nr ", %%eax\n\tsyscall"                           \
				 : "=a"(r), "+D"(a), "+S"(b), "+d"(c), "+r"(r10)            \
				 :                                                          \
				 : "rcx", "r11", "memory");                                 \
		return r;                                                                   \
	}

SITE(site_read, 0)
SITE(site_sigprocmask, 14)
SITE(site_getpid, 39)
SITE(site_getppid, 110)
SITE(site_getppid2, 110)

/* mov $110,%rax (48 c7 c0 imm32); syscall: the form Go's runtime uses too */
static __attribute__((noinline)) long site_getppid_rax(void)
{
	long r;
	__asm__ volatile("mov $110, %%rax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
	return r;
}

/* ---- regs: every register and the red zone across one call ------------------ */

/* long regs_probe(uint64_t out[48]): out[0..11] rbx rbp r12 r13 r14 r15 rdi
 * rsi rdx r8 r9 r10 after the call, out[12] its result, out[16..31] the red
 * zone (rsp-16 down to rsp-128), out[32..63] XMM0-15. */
__asm__(".text\n"
	/* XMM0-15 := xmm_pattern (clobbers %rax) */
	".macro load_xmm_pattern\n"
	"	lea xmm_pattern(%rip), %rax\n"
	"	movdqu 0(%rax), %xmm0\n movdqu 16(%rax), %xmm1\n movdqu 32(%rax), %xmm2\n"
	"	movdqu 48(%rax), %xmm3\n movdqu 64(%rax), %xmm4\n movdqu 80(%rax), %xmm5\n"
	"	movdqu 96(%rax), %xmm6\n movdqu 112(%rax), %xmm7\n movdqu 128(%rax), %xmm8\n"
	"	movdqu 144(%rax), %xmm9\n movdqu 160(%rax), %xmm10\n movdqu 176(%rax), %xmm11\n"
	"	movdqu 192(%rax), %xmm12\n movdqu 208(%rax), %xmm13\n movdqu 224(%rax), %xmm14\n"
	"	movdqu 240(%rax), %xmm15\n"
	".endm\n"
	".globl regs_probe\n"
	".type regs_probe, @function\n"
	"regs_probe:\n"
	"	push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"	push %rdi\n"
	"	mov $0x0123456789abcdef, %rax\n"
	"	mov $-16, %rcx\n"
	"1:	mov %rax, (%rsp,%rcx)\n"
	"	add $0x1111, %rax\n"
	"	sub $8, %rcx\n"
	"	cmp $-128, %rcx\n"
	"	jge 1b\n"
	"	load_xmm_pattern\n"
	"	mov $0x1001, %rbx\n mov $0x1002, %rbp\n mov $0x1003, %r12\n mov $0x1004, %r13\n"
	"	mov $0x1005, %r14\n mov $0x1006, %r15\n mov $0x1007, %rdi\n mov $0x1008, %rsi\n"
	"	mov $0x1009, %rdx\n mov $0x100a, %r8\n mov $0x100b, %r9\n mov $0x100c, %r10\n"
	"	mov $39, %eax\n" /* getpid */
	"	syscall\n"
	"	push %rax\n"
	"	mov 8(%rsp), %rax\n" /* out */
	"	mov %rbx, 0(%rax)\n mov %rbp, 8(%rax)\n mov %r12, 16(%rax)\n mov %r13, 24(%rax)\n"
	"	mov %r14, 32(%rax)\n mov %r15, 40(%rax)\n mov %rdi, 48(%rax)\n mov %rsi, 56(%rax)\n"
	"	mov %rdx, 64(%rax)\n mov %r8, 72(%rax)\n mov %r9, 80(%rax)\n mov %r10, 88(%rax)\n"
	"	pop %rbx\n mov %rbx, 96(%rax)\n"
	"	lea 128(%rax), %rdx\n"
	"	mov $-16, %rcx\n"
	"2:	mov (%rsp,%rcx), %rbx\n"
	"	mov %rbx, (%rdx)\n"
	"	add $8, %rdx\n"
	"	sub $8, %rcx\n"
	"	cmp $-128, %rcx\n"
	"	jge 2b\n"
	"	movdqu %xmm0, 256(%rax)\n movdqu %xmm1, 272(%rax)\n movdqu %xmm2, 288(%rax)\n"
	"	movdqu %xmm3, 304(%rax)\n movdqu %xmm4, 320(%rax)\n movdqu %xmm5, 336(%rax)\n"
	"	movdqu %xmm6, 352(%rax)\n movdqu %xmm7, 368(%rax)\n movdqu %xmm8, 384(%rax)\n"
	"	movdqu %xmm9, 400(%rax)\n movdqu %xmm10, 416(%rax)\n movdqu %xmm11, 432(%rax)\n"
	"	movdqu %xmm12, 448(%rax)\n movdqu %xmm13, 464(%rax)\n movdqu %xmm14, 480(%rax)\n"
	"	movdqu %xmm15, 496(%rax)\n"
	"	mov 96(%rax), %rax\n"
	"	pop %rdi\n pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"	ret\n"
	/* long xmm_openat(const char *path, uint8_t out[256]): openat(AT_FDCWD,
	 * path, O_RDONLY) with XMM0-15 loaded, which are stored to out after. */
	".globl xmm_openat\n"
	".type xmm_openat, @function\n"
	"xmm_openat:\n"
	"	load_xmm_pattern\n"
	"	mov %rsi, %r8\n"
	"	mov %rdi, %rsi\n"
	"	mov $-100, %rdi\n" /* AT_FDCWD */
	"	xor %edx, %edx\n" /* O_RDONLY */
	"	mov $257, %eax\n" /* openat */
	"	syscall\n"
	"	movdqu %xmm0, 0(%r8)\n movdqu %xmm1, 16(%r8)\n movdqu %xmm2, 32(%r8)\n"
	"	movdqu %xmm3, 48(%r8)\n movdqu %xmm4, 64(%r8)\n movdqu %xmm5, 80(%r8)\n"
	"	movdqu %xmm6, 96(%r8)\n movdqu %xmm7, 112(%r8)\n movdqu %xmm8, 128(%r8)\n"
	"	movdqu %xmm9, 144(%r8)\n movdqu %xmm10, 160(%r8)\n movdqu %xmm11, 176(%r8)\n"
	"	movdqu %xmm12, 192(%r8)\n movdqu %xmm13, 208(%r8)\n movdqu %xmm14, 224(%r8)\n"
	"	movdqu %xmm15, 240(%r8)\n"
	"	ret\n"
	/* long site_read3(int fd, void *buf, size_t n): glibc's read, byte for
	 * byte: xor %eax,%eax; syscall; cmp $-4096,%rax (31 c0 0f 05 48 3d
	 * 00 f0 ff ff), the second form coffer patches. */
	".p2align 4\n"
	".globl site_read3\n"
	".type site_read3, @function\n"
	"site_read3:\n"
	"	xor %eax, %eax\n"
	"	syscall\n"
	"	cmp $-4096, %rax\n"
	"	ret\n"
	/* long rex_probe(void): `mov $39,%r8d; syscall` with %eax already 39:
	 * b8 27 00 00 00 0f 05 behind a REX prefix, which is not the patched
	 * pattern. Returns %r8 after the call (39). */
	".globl rex_probe\n"
	".type rex_probe, @function\n"
	"rex_probe:\n"
	"	mov $0x5555, %r8\n"
	"	mov $39, %eax\n"
	"	mov $39, %r8d\n"
	"	syscall\n"
	"	mov %r8, %rax\n"
	"	ret\n");

/* Go 1.19's runtime/internal/syscall.Syscall6, byte for byte, and a caller
 * that keeps to the C ABI:
 *   long go_call(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
 * Go's register ABI: the number in %rax, a1..a6 in %rbx %rcx %rdi %rsi %r8
 * %r9; the result in %rax (-1 on error, errno in %rcx), r2 (%rdx after the
 * call) in %rbx. go_call returns the result or -errno, or -1000 when a
 * register came back wrong: %rbp and %r12-%r15 (never touched), %rdi %rsi
 * %r10 %r8 %r9 (the arguments Syscall6 left there), r2 (a3: the kernel
 * keeps %rdx). */
__asm__(".text\n"
	".p2align 5\n"
	".globl go_syscall6\n"
	".type go_syscall6, @function\n"
	"go_syscall6:\n"
	"	.byte 0x49, 0x89, 0xf2\n" /* mov %rsi,%r10 */
	"	.byte 0x48, 0x89, 0xfa\n" /* mov %rdi,%rdx */
	"	.byte 0x48, 0x89, 0xce\n" /* mov %rcx,%rsi */
	"	.byte 0x48, 0x89, 0xdf\n" /* mov %rbx,%rdi */
	"	syscall\n"
	"	.byte 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff\n" /* cmp $-4095,%rax */
	"	jbe 1f\n"
	"	neg %rax\n"
	"	mov %rax, %rcx\n"
	"	mov $-1, %rax\n"
	"	mov $0, %ebx\n"
	"	ret\n"
	"1:	mov %rdx, %rbx\n"
	"	mov $0, %ecx\n"
	"	ret\n"
	".globl go_call\n"
	".type go_call, @function\n"
	"go_call:\n"
	"	push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"	sub $56, %rsp\n" /* a1..a6 at 0..40(%rsp) */
	"	mov %rsi, 0(%rsp)\n mov %rdx, 8(%rsp)\n mov %rcx, 16(%rsp)\n"
	"	mov %r8, 24(%rsp)\n mov %r9, 32(%rsp)\n"
	"	mov 112(%rsp), %rax\n mov %rax, 40(%rsp)\n"
	"	mov %rdi, %rax\n"
	"	mov 0(%rsp), %rbx\n mov 8(%rsp), %rcx\n mov 16(%rsp), %rdi\n"
	"	mov 24(%rsp), %rsi\n mov 32(%rsp), %r8\n mov 40(%rsp), %r9\n"
	"	mov $0x5a5a0001, %ebp\n mov $0x5a5a0002, %r12d\n mov $0x5a5a0003, %r13d\n"
	"	mov $0x5a5a0004, %r14d\n mov $0x5a5a0005, %r15d\n"
	"	call go_syscall6\n"
	"	cmp $-1, %rax\n"
	"	jne 2f\n"
	"	neg %rcx\n"
	"	mov %rcx, %rax\n" /* -errno */
	"	mov 16(%rsp), %rbx\n" /* no r2 on error */
	"2:	mov $-1000, %rdx\n"
	"	cmp 16(%rsp), %rbx\n cmovne %rdx, %rax\n"
	"	cmp 0(%rsp), %rdi\n cmovne %rdx, %rax\n"
	"	cmp 8(%rsp), %rsi\n cmovne %rdx, %rax\n"
	"	cmp 24(%rsp), %r10\n cmovne %rdx, %rax\n"
	"	cmp 32(%rsp), %r8\n cmovne %rdx, %rax\n"
	"	cmp 40(%rsp), %r9\n cmovne %rdx, %rax\n"
	"	cmp $0x5a5a0001, %rbp\n cmovne %rdx, %rax\n"
	"	cmp $0x5a5a0002, %r12\n cmovne %rdx, %rax\n"
	"	cmp $0x5a5a0003, %r13\n cmovne %rdx, %rax\n"
	"	cmp $0x5a5a0004, %r14\n cmovne %rdx, %rax\n"
	"	cmp $0x5a5a0005, %r15\n cmovne %rdx, %rax\n"
	"	add $56, %rsp\n"
	"	pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"	ret\n"
	/* long trap_call(long nr, long a0, long a1): a `syscall` of no shape
	 * coffer knows (the number from a register, behind bytes no real
	 * code has): it traps every time */
	".globl trap_call\n"
	".type trap_call, @function\n"
	"trap_call:\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	mov %rdx, %rsi\n"
	"	nop\n"
	"	syscall\n"
	"	ret\n");
long go_call(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
long trap_call(long nr, long a0, long a1);

/* Two forms of glibc 2.36's libc.so.6 whose number is set before other
 * instructions: __open64_nocancel's core (opendir, fopen's internals) and
 * prlimit's (getrlimit), as the compiler left them. */
__asm__(".text\n"
	".globl glibc_openat_form\n"
	".type glibc_openat_form, @function\n"
	"glibc_openat_form:\n" /* (path, flags): openat(AT_FDCWD, path, flags) */
	"	mov %esi, %edx\n"
	"	mov $257, %eax\n"
	"	mov %rdi, %rsi\n"
	"	mov $-100, %edi\n"
	"	syscall\n"
	"	ret\n"
	".globl glibc_prlimit_form\n"
	".type glibc_prlimit_form, @function\n"
	"glibc_prlimit_form:\n" /* (resource, old): prlimit64(0, resource, NULL, old) */
	"	mov %rsi, %r10\n"
	"	xor %edx, %edx\n"
	"	mov %edi, %esi\n"
	"	mov $302, %eax\n"
	"	xor %edi, %edi\n"
	"	syscall\n"
	"	ret\n");
long glibc_openat_form(const char *path, int flags);
long glibc_prlimit_form(int resource, struct rlimit *old);

/* N calls through each glibc form, checked against libc's own answers. */
static void glibc_forms(const char *what, long n)
{
	struct rlimit want, got;

	if (getrlimit(RLIMIT_NOFILE, &want))
		FAIL("%s: getrlimit", what);
	for (long i = 0; i < n; i++) {
		long fd = glibc_openat_form("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fcntl((int)fd, F_GETFD) != FD_CLOEXEC || close((int)fd))
			FAIL("%s: glibc's openat form gave %ld at call %ld", what, fd, i);
		fd = glibc_openat_form("/nonexistent/x", O_RDONLY);
		if (fd != -ENOENT)
			FAIL("%s: glibc's openat form of a missing file gave %ld at call %ld", what, fd, i);
		memset(&got, 0x5a, sizeof got);
		long r = glibc_prlimit_form(RLIMIT_NOFILE, &got);
		if (r || got.rlim_cur != want.rlim_cur || got.rlim_max != want.rlim_max)
			FAIL("%s: glibc's prlimit form gave %ld at call %ld", what, r, i);
	}
}

/* STW_SITES copies of site_read3, each its own call site: stw_read0 ... */
#define STW_SITES 24
__asm__(".text\n"
	".altmacro\n"
	".macro stw_site k\n"
	"	.p2align 4\n"
	"	.globl stw_read\\k\n"
	"	.type stw_read\\k, @function\n"
	"stw_read\\k:\n"
	"	xor %eax, %eax\n"
	"	syscall\n"
	"	cmp $-4096, %rax\n"
	"	ret\n"
	".endm\n"
	".set k, 0\n"
	".rept 24\n"
	"	stw_site %k\n"
	"	.set k, k + 1\n"
	".endr\n"
	".noaltmacro\n");
#define STW_DECL(k) long stw_read##k(long fd, void *buf, long n);
#define STW_DECL4(a, b, c, d) STW_DECL(a) STW_DECL(b) STW_DECL(c) STW_DECL(d)
STW_DECL4(0, 1, 2, 3)
STW_DECL4(4, 5, 6, 7)
STW_DECL4(8, 9, 10, 11)
STW_DECL4(12, 13, 14, 15)
STW_DECL4(16, 17, 18, 19)
STW_DECL4(20, 21, 22, 23)

long rex_probe(void);
long site_read3(long fd, void *buf, long n);
long regs_probe(uint64_t out[64]);
long xmm_openat(const char *path, uint8_t out[256]);
uint8_t xmm_pattern[256];

static void fill_pattern(void)
{
	for (int i = 0; i < 256; i++)
		xmm_pattern[i] = (uint8_t)(i * 37 + 11);
}

static void regs(long n)
{
	pid_t pid = getpid();

	fill_pattern();
	for (long i = 0; i < n; i++) {
		uint64_t out[64];
		memset(out, 0, sizeof out);
		long r = regs_probe(out);
		if (r != pid || (long)out[12] != pid)
			FAIL("regs: call %ld: getpid gave %ld, want %d", i, r, pid);
		for (int k = 0; k < 12; k++)
			if (out[k] != 0x1001u + (unsigned)k)
				FAIL("regs: call %ld: register %d is %#lx, want %#x", i, k, (unsigned long)out[k],
				     0x1001 + k);
		for (int k = 0; k < 15; k++)
			if (out[16 + k] != 0x0123456789abcdefULL + 0x1111ULL * (unsigned)k)
				FAIL("regs: call %ld: red zone word %d changed", i, k);
		if (memcmp(&out[32], xmm_pattern, 256))
			FAIL("regs: call %ld: an XMM register changed", i);
	}
	for (long i = 0; i < n; i++)
		if (rex_probe() != 39)
			FAIL("regs: call %ld: mov $39,%%r8d before a syscall did not happen", i);
	printf("ok regs %ld\n", n);
}

/* ---- race: many threads hit an unpatched site at once ----------------------- */

static volatile int go;
static long race_n;
static long want_ppid;

static void *race_thread(void *arg)
{
	(void)arg;
	while (!go)
		__builtin_ia32_pause();
	for (long i = 0; i < race_n; i++) {
		long r = site_getppid2(0, 0, 0, 0);
		if (r != want_ppid)
			FAIL("race: getppid gave %ld, want %ld", r, want_ppid);
	}
	return NULL;
}

/* Start nthreads threads of fn, let them go at once, wait for all. */
static void run_together(const char *what, int nthreads, void *(*fn)(void *))
{
	pthread_t th[64];

	if (nthreads < 1 || nthreads > 64)
		FAIL("%s: 1 to 64 threads", what);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, fn, NULL))
			FAIL("%s: pthread_create", what);
	go = 1;
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
}

static void race(int nthreads, long n)
{
	race_n = n;
	want_ppid = getppid();
	run_together("race", nthreads, race_thread);
	printf("ok race %d %ld\n", nthreads, n);
}

/* ---- signals ---------------------------------------------------------------- */

static volatile int usr1, alrm;
static void on_usr1(int s)
{
	(void)s;
	usr1++;
}
static void on_alrm(int s)
{
	(void)s;
	alrm++;
	if (site_getpid(0, 0, 0, 0) != getpid()) /* a fast call inside a handler */
		_exit(3);
}

static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		FAIL("sigaction");
}

struct reader {
	int fd;
	pthread_t self;
	volatile int started;
	long result;
	char buf[16];
};

static void *reader(void *arg)
{
	struct reader *r = arg;
	r->self = pthread_self();
	r->started = 1;
	r->result = site_read(r->fd, (long)r->buf, sizeof r->buf, 0);
	return NULL;
}

/* Start a reader blocked on an empty pipe, send it SIGUSR1, then write. */
static long blocked_read(const char *data)
{
	int p[2];
	struct reader r = { 0 };
	pthread_t th;

	if (pipe(p))
		FAIL("pipe");
	r.fd = p[0];
	usr1 = 0;
	pthread_create(&th, NULL, reader, &r);
	while (!r.started)
		usleep(1000);
	usleep(50000); /* let it block in the call */
	pthread_kill(th, SIGUSR1);
	while (!usr1)
		usleep(1000);
	usleep(20000);
	if (write(p[1], data, strlen(data)) < 0)
		FAIL("write");
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
	return r.result;
}

static void signals(void)
{
	char buf[8];
	int p[2];

	/* Make the read site hot (patched under coffer) with a call that does
	 * not block. */
	if (pipe(p) || write(p[1], "x", 1) != 1 || site_read(p[0], (long)buf, 1, 0) != 1)
		FAIL("signals: first read");
	close(p[0]);
	close(p[1]);

	handle(SIGUSR1, on_usr1, SA_RESTART);
	long r = blocked_read("restart");
	if (r != 7)
		FAIL("signals: SA_RESTART read gave %ld, want 7", r);
	printf("ok restart\n");

	handle(SIGUSR1, on_usr1, 0);
	r = blocked_read("eintr");
	if (r != -EINTR)
		FAIL("signals: read without SA_RESTART gave %ld, want %d", r, -EINTR);
	printf("ok eintr\n");

	/* A mask set through a patched site. */
	uint64_t none = 0, usr1bit = 1ULL << (SIGUSR1 - 1), old = 0;
	site_sigprocmask(SIG_BLOCK, (long)&none, 0, 8);
	site_sigprocmask(SIG_BLOCK, (long)&none, 0, 8);
	usr1 = 0;
	site_sigprocmask(SIG_BLOCK, (long)&usr1bit, (long)&old, 8);
	if (old & usr1bit)
		FAIL("signals: SIGUSR1 blocked already");
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
	sigset_t pend;
	sigpending(&pend);
	if (usr1 || !sigismember(&pend, SIGUSR1))
		FAIL("signals: blocked SIGUSR1 was delivered (%d) or is not pending", usr1);
	site_sigprocmask(SIG_UNBLOCK, (long)&usr1bit, 0, 8);
	if (usr1 != 1) /* delivered before the call returns */
		FAIL("signals: unblocking did not deliver SIGUSR1 at once (%d)", usr1);
	printf("ok mask\n");

	/* A timer storm while a loop of calls runs. */
	handle(SIGALRM, on_alrm, SA_RESTART);
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	setitimer(ITIMER_REAL, &it, NULL);
	long ppid = getppid();
	for (long i = 0; i < 300000 && alrm < 200; i++)
		if (site_getppid(0, 0, 0, 0) != ppid)
			FAIL("signals: getppid wrong during the timer storm");
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	if (!alrm)
		FAIL("signals: no SIGALRM arrived");
	printf("ok storm\n");
}

/* ---- readsite: glibc's read form, whose return address moves ----------------- */

struct sleeper {
	int kind; /* 0 poll, 1 nanosleep */
	long result;
};

static void *sleeper(void *arg)
{
	struct sleeper *s = arg;
	if (s->kind == 0) {
		s->result = poll(NULL, 0, 600);
	} else {
		struct timespec ts = { 0, 600000000 };
		s->result = nanosleep(&ts, NULL);
	}
	return NULL;
}

static void *first_reader(void *arg)
{
	struct reader *r = arg;
	r->started = 1;
	r->result = site_read3(r->fd, r->buf, sizeof r->buf);
	return NULL;
}

static long race3_n;

static void *race3_thread(void *arg)
{
	int p[2];
	(void)arg;
	if (pipe(p))
		FAIL("readsite: pipe");
	while (!go)
		__builtin_ia32_pause();
	for (long i = 0; i < race3_n; i++) {
		char out[8], in[8] = { 0 };
		memcpy(out, &i, sizeof out);
		if (write(p[1], out, sizeof out) != sizeof out)
			FAIL("readsite: write");
		long r = site_read3(p[0], in, sizeof in);
		if (r != sizeof in || memcmp(in, out, sizeof in))
			FAIL("readsite: race read %ld gave %ld", i, r);
	}
	close(p[0]);
	close(p[1]);
	return NULL;
}

/* The first call through the site blocks: it is patched on the way in (its
 * return address moves) while other threads sleep in poll and nanosleep,
 * which the patching must not end with EINTR. Then T threads race through
 * the patched site. */
static void readsite(int nthreads, long n)
{
	struct sleeper sl[2] = { { 0, -9 }, { 1, -9 } };
	pthread_t sth[2], rth, th[64];
	struct reader r = { 0 };
	int p[2];

	if (nthreads < 1 || nthreads > 64 || pipe(p))
		FAIL("readsite: setup");
	for (int i = 0; i < 2; i++)
		pthread_create(&sth[i], NULL, sleeper, &sl[i]);
	usleep(100000);
	r.fd = p[0];
	pthread_create(&rth, NULL, first_reader, &r);
	while (!r.started)
		usleep(1000);
	usleep(100000);
	if (write(p[1], "abc", 3) != 3)
		FAIL("readsite: write");
	pthread_join(rth, NULL);
	if (r.result != 3 || memcmp(r.buf, "abc", 3))
		FAIL("readsite: the first read gave %ld", r.result);
	char buf[8];
	if (write(p[1], "defg", 4) != 4 || site_read3(p[0], buf, sizeof buf) != 4 || memcmp(buf, "defg", 4))
		FAIL("readsite: the second read");
	for (int i = 0; i < 2; i++)
		pthread_join(sth[i], NULL);
	if (sl[0].result != 0 || sl[1].result != 0)
		FAIL("readsite: poll gave %ld, nanosleep %ld (want 0, 0)", sl[0].result, sl[1].result);
	printf("ok readsite\n");

	race3_n = n;
	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, race3_thread, NULL);
	go = 1;
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	printf("ok readsite race %d %ld\n", nthreads, n);
}

/* ---- open: XMM registers across hashing of trusted files --------------------- */

static void open_files(int n, char **paths)
{
	fill_pattern();
	for (int i = 0; i < n; i++) {
		uint8_t out[256];
		long fd = xmm_openat(paths[i], out);
		if (fd < 0)
			FAIL("open: %s: error %ld", paths[i], -fd);
		if (memcmp(out, xmm_pattern, sizeof out))
			FAIL("open: %s: an XMM register changed", paths[i]);
		char c;
		if (read((int)fd, &c, 1) != 1)
			FAIL("open: %s: read", paths[i]);
		close((int)fd);
	}
	printf("ok open %d\n", n);
}

/* ---- stw: the stop-the-world of a second-form patch, against trapping calls -- */

static long (*const stw_sites[STW_SITES])(long, void *, long) = {
	stw_read0,  stw_read1,  stw_read2,  stw_read3,  stw_read4,  stw_read5,
	stw_read6,  stw_read7,  stw_read8,  stw_read9,  stw_read10, stw_read11,
	stw_read12, stw_read13, stw_read14, stw_read15, stw_read16, stw_read17,
	stw_read18, stw_read19, stw_read20, stw_read21, stw_read22, stw_read23,
};
static volatile int stw_done;

/* Calls that always trap (trap_call: a shape never patched), each with an
 * answer that cannot be its call number: a call the kernel skipped would
 * come back holding the number. */
static void *stw_trapper(void *arg)
{
	int fd = *(int *)arg;
	long n = 0;
	pid_t tid = gettid();
	while (!stw_done) {
		long r = trap_call(SYS_lseek, fd, 0);
		if (r != -ESPIPE)
			FAIL("stw: lseek on a pipe gave %ld at call %ld", r, n);
		r = trap_call(SYS_gettid, 0, 0);
		if (r != tid)
			FAIL("stw: gettid gave %ld, want %d, at call %ld", r, tid, n);
		n++;
	}
	return NULL;
}

/* The thread born while a site is patched: its first calls, then the byte
 * the patching read waits for. */
static void *stw_newborn(void *arg)
{
	int fd = *(int *)arg;
	if (syscall(SYS_gettid) <= 0 || getpid() <= 0)
		FAIL("stw: gettid or getpid in a new thread");
	char c = 'b';
	if (write(fd, &c, 1) != 1)
		FAIL("stw: a new thread's write was lost");
	return NULL;
}

static void stw(int nthreads, int nsites)
{
	pthread_t th[16], nb;
	int p[2], q[2];

	if (nthreads < 1 || nthreads > 16 || nsites < 1 || nsites > STW_SITES)
		FAIL("stw: 1 to 16 threads, 1 to %d sites", STW_SITES);
	if (pipe(p) || pipe(q))
		FAIL("stw: pipe");
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, stw_trapper, &q[0]))
			FAIL("stw: pthread_create");
	for (int k = 0; k < nsites; k++) {
		char c = 0;
		if (pthread_create(&nb, NULL, stw_newborn, &p[1]))
			FAIL("stw: pthread_create");
		long r = stw_sites[k](p[0], &c, 1); /* traps, is patched, waits */
		if (r != 1 || c != 'b')
			FAIL("stw: site %d read %ld", k, r);
		pthread_join(nb, NULL);
		c = 0;
		if (write(p[1], "a", 1) != 1 || stw_sites[k](p[0], &c, 1) != 1 || c != 'a')
			FAIL("stw: site %d after its patch", k);
	}
	stw_done = 1;
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	printf("ok stw %d %d\n", nthreads, nsites);
}

/* ---- shapes: sites whose call number comes in a register --------------------- */

static long shapes_n;
static int shapes_pipe;

static void *shapes_thread(void *arg)
{
	(void)arg;
	pid_t tid = gettid();
	while (!go)
		__builtin_ia32_pause();
	for (long i = 0; i < shapes_n; i++) {
		long r = go_call(SYS_getppid, 1, 2, 3, 4, 5, 6);
		if (r != want_ppid)
			FAIL("shapes: Go's Syscall6: getppid gave %ld, want %ld, at call %ld", r, want_ppid, i);
		r = go_call(SYS_lseek, shapes_pipe, 0, SEEK_CUR, 0x44, 0x55, 0x66);
		if (r != -ESPIPE)
			FAIL("shapes: Go's Syscall6: lseek on a pipe gave %ld at call %ld", r, i);
		r = site_getppid_rax();
		if (r != want_ppid)
			FAIL("shapes: mov $110,%%rax; syscall gave %ld, want %ld, at call %ld", r, want_ppid, i);
		r = syscall(SYS_gettid);
		if (r != tid)
			FAIL("shapes: syscall(SYS_gettid) gave %ld, want %d, at call %ld", r, tid, i);
		r = syscall(SYS_lseek, shapes_pipe, 0, SEEK_CUR);
		if (r != -1 || errno != ESPIPE)
			FAIL("shapes: syscall(SYS_lseek) gave %ld (errno %d) at call %ld", r, errno, i);
		r = trap_call(SYS_gettid, 0, 0);
		if (r != tid)
			FAIL("shapes: an unknown shape's gettid gave %ld, want %d, at call %ld", r, tid, i);
		glibc_forms("shapes", 1);
	}
	return NULL;
}

/* The glibc forms and `mov $nr,%rax` from the only thread there is: the
 * patcher writes each site at once (patch.c, poke_alone). */
static void alone(long n)
{
	want_ppid = getppid();
	glibc_forms("alone", n);
	for (long i = 0; i < n; i++)
		if (site_getppid_rax() != want_ppid)
			FAIL("alone: mov $110,%%rax; syscall gave a wrong answer at call %ld", i);
	printf("ok alone %ld\n", n);
}

static void shapes(int nthreads, long n)
{
	int p[2];

	if (pipe(p))
		FAIL("shapes: pipe");
	shapes_n = n;
	shapes_pipe = p[0];
	want_ppid = getppid();
	run_together("shapes", nthreads, shapes_thread);
	printf("ok shapes %d %ld\n", nthreads, n);
}

/* A vfork child makes the first calls through the Go shape's site: it shares
 * the parent's memory, whose threads its stop-the-world cannot reach, so
 * the site must stay as it is until the child is gone; then the parent's
 * calls patch it. */
static void vforkshape(long n)
{
	long ppid = getppid(), pid = getpid();
	pid_t child = vfork();
	if (child == 0) {
		for (int i = 0; i < 3; i++)
			if (go_call(SYS_getppid, 1, 2, 3, 4, 5, 6) != pid)
				_exit(3);
		_exit(0);
	}
	int status;
	if (child < 0 || waitpid(child, &status, 0) != child || status != 0)
		FAIL("vforkshape: the child's calls (status %#x)", status);
	for (long i = 0; i < n; i++)
		if (go_call(SYS_getppid, 1, 2, 3, 4, 5, 6) != ppid)
			FAIL("vforkshape: getppid at call %ld", i);
	printf("ok vforkshape %ld\n", n);
}

/* ---- codemaps: sites in code mapped after start ----------------------------- */

/* mov $nr, %eax; syscall; ret */
static void put_site(uint8_t *p, int nr)
{
	static const uint8_t code[8] = { 0xb8, 0, 0, 0, 0, 0x0f, 0x05, 0xc3 };
	memcpy(p, code, sizeof code);
	p[1] = (uint8_t)nr;
}

static void call_site(const char *what, const uint8_t *fn, long want, long n)
{
	for (long i = 0; i < n; i++) {
		long r = ((long (*)(void))(uintptr_t)fn)();
		if (r != want)
			FAIL("codemaps: %s: call %ld returned %ld, not %ld", what, i, r, want);
	}
}

static void codemaps(long n)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("codemaps: mmap: %s", strerror(errno));
	/* sites at 16 and 80: the runtime reads 8 bytes before a `syscall` */
	put_site(p + 16, SYS_getpid);
	if (mprotect(p, 2 * page, PROT_READ | PROT_EXEC))
		FAIL("codemaps: mprotect: %s", strerror(errno));
	call_site("a new mapping", p + 16, getpid(), n);

	/* writable too now: a second site in the same page, and the page must
	 * stay writable after it was patched */
	if (mprotect(p, 2 * page, PROT_READ | PROT_WRITE | PROT_EXEC))
		FAIL("codemaps: mprotect rwx: %s", strerror(errno));
	put_site(p + 80, SYS_getppid);
	call_site("a site in a writable mapping", p + 80, getppid(), n);
	p[page - 1] = 1;

	/* other code at the address of the first, patched site */
	if (munmap(p, 2 * page))
		FAIL("codemaps: munmap: %s", strerror(errno));
	uint8_t *q = mmap(p, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (q != p)
		FAIL("codemaps: mmap again: %s", strerror(errno));
	put_site(p + 16, SYS_getppid);
	call_site("code mapped again at a patched site", p + 16, getppid(), n);
	p[page - 1] = 2;

	/* a shared mapping: patching would write the memfd */
	int fd = memfd_create("codemaps", 0);
	uint8_t code[8], after[8];
	put_site(code, SYS_getpid);
	if (fd < 0 || ftruncate(fd, page) || pwrite(fd, code, sizeof code, 16) != sizeof code)
		FAIL("codemaps: memfd: %s", strerror(errno));
	uint8_t *sh = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		FAIL("codemaps: mmap shared: %s", strerror(errno));
	call_site("a shared mapping", sh + 16, getpid(), n);
	if (pread(fd, after, sizeof after, 16) != sizeof after || memcmp(code, after, sizeof code))
		FAIL("codemaps: the shared mapping's file changed");
	printf("ok codemaps %ld\n", n);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "regs"))
		regs(atol(argv[2]));
	else if (argc >= 4 && !strcmp(argv[1], "race"))
		race(atoi(argv[2]), atol(argv[3]));
	else if (argc >= 4 && !strcmp(argv[1], "readsite"))
		readsite(atoi(argv[2]), atol(argv[3]));
	else if (argc >= 4 && !strcmp(argv[1], "stw"))
		stw(atoi(argv[2]), atoi(argv[3]));
	else if (argc >= 3 && !strcmp(argv[1], "vforkshape"))
		vforkshape(atol(argv[2]));
	else if (argc >= 4 && !strcmp(argv[1], "shapes"))
		shapes(atoi(argv[2]), atol(argv[3]));
	else if (argc >= 3 && !strcmp(argv[1], "alone"))
		alone(atol(argv[2]));
	else if (argc == 2 && !strcmp(argv[1], "signals"))
		signals();
	else if (argc >= 3 && !strcmp(argv[1], "open"))
		open_files(argc - 2, argv + 2);
	else if (argc >= 3 && !strcmp(argv[1], "codemaps"))
		codemaps(atol(argv[2]));
	else {
		fprintf(stderr, "usage: patch_sites regs N | race THREADS N | readsite THREADS N | stw THREADS SITES | shapes THREADS N | alone N | vforkshape N | signals | open FILE... | codemaps N\n");
		return 2;
	}
	return 0;
}
