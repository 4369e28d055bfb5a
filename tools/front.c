/*
 * front.c - the first code `coffer` runs: a plain development run goes
 * straight to the enclave image.
 *
 * `coffer` is linked with coffer_front as its entry point instead of the C
 * library's _start. A command line of the form common/devrun.h describes
 * (`coffer run [--trace] [--log=LEVEL] -- PROGRAM [ARGS...]`), in a process
 * with no children, is exec'd here into coffer-enclave with its arguments
 * and environment unchanged; the enclave checks the program and collects
 * the process state itself (platform/direct/devrun.c). Every other command
 * line, and any failure here, jumps to _start with the registers the kernel
 * gave us, and the hosted `coffer` (tools/coffer.c) runs as if this file did
 * not exist: it explains a bad command line, checks bundles, supervises the
 * program when this process has children, finds coffer-tools.
 *
 * Why: a program start under Coffer used to be two full process starts,
 * this static glibc program (its exec, its C library's start, the boot
 * block it wrote) and then the enclave image; the front's whole cost is a
 * few system calls (docs/performance.md, "Start-up").
 *
 * This runs before the C library has relocated itself (coffer is a static
 * PIE) or set up %fs: it calls no libc function, reads no pointer from
 * static data and uses no stack protector (meson.build compiles it so, and
 * tests/integration/test_start.py checks that its object needs no symbol
 * but _start).
 */
#include <asm/unistd_64.h>
#include <stddef.h>

#include "../common/devrun.h"

#define P_ALL 0
#define WNOHANG 1
#define WSTOPPED 2
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x01000000
#define WALL 0x40000000
#define ECHILD 10

/*
 * The kernel starts us with %rsp at argc and every other register zero
 * (%rdx too, which _start passes on as the dynamic loader's finalizer).
 * front_main returns only to let the C library start: %rsp, %rdx and %rbx
 * are put back as they were.
 */
__asm__(".text\n"
	".globl coffer_front\n"
	".type coffer_front, @function\n"
	"coffer_front:\n"
	"	mov %rsp, %rbx\n"
	"	mov %rsp, %rdi\n"
	"	call front_main\n"
	"	mov %rbx, %rsp\n"
	"	xor %ebx, %ebx\n"
	"	xor %edx, %edx\n"
	"	jmp _start\n"
	".size coffer_front, . - coffer_front\n");

static long sc(long nr, long a, long b, long c, long d, long e)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}

static void exec(const char *path, char **argv, char **envp)
{
	sc(__NR_execve, (long)path, (long)argv, (long)envp, 0, 0);
}

/* dst = prefix + rest; false if it does not fit. */
static int join(char *dst, size_t n, const char *prefix, size_t plen, const char *rest)
{
	size_t i = 0;
	for (; i < plen && i < n; i++)
		dst[i] = prefix[i];
	for (; *rest && i < n; i++)
		dst[i] = *rest++;
	if (i >= n)
		return 0;
	dst[i] = 0;
	return 1;
}

__attribute__((used)) void front_main(long *sp);

void front_main(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	struct devrun d;
	char siginfo[128];

	if (!devrun_parse(argc, argv, envp, &d))
		return;
	/* children of this process would become the program's: tools/run.c
	 * keeps coffer as their parent then */
	if (sc(__NR_waitid, P_ALL, 0, (long)siginfo, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | WALL, 0) !=
	    -ECHILD)
		return;
	/* the enclave image where tools/util.c's find_enclave looks; the
	 * hosted path reports one that is missing or cannot be started */
	for (char **e = envp; *e; e++) {
		const char *v = devrun_after(*e, "COFFER_ENCLAVE=");
		if (v && *v) {
			exec(v, argv, envp);
			return;
		}
		if (v)
			break;
	}
	char self[4096], path[4096];
	long len = sc(__NR_readlink, (long)"/proc/self/exe", (long)self, sizeof self - 1, 0, 0);
	if (len <= 0)
		return;
	while (len > 0 && self[len - 1] != '/')
		len--;
	if (join(path, sizeof path, self, (size_t)len, "coffer-enclave"))
		exec(path, argv, envp);
	if (join(path, sizeof path, self, (size_t)len, "../libexec/coffer/coffer-enclave"))
		exec(path, argv, envp);
}
