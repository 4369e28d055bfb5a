/*
 * raw_syscalls.c - a static program without libc that makes its system calls
 * with its own `syscall` instructions: write, getpid, mmap, a clone'd thread,
 * exit_group. Under coffer every one of them must reach the runtime, which
 * --trace shows. Built with -static -nostdlib (tests/meson.build).
 */
#define SYS_write 1
#define SYS_mmap 9
#define SYS_getpid 39
#define SYS_clone 56
#define SYS_exit 60
#define SYS_futex 202
#define SYS_exit_group 231

typedef unsigned long u64;

static long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static unsigned long slen(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	sc6(SYS_write, 1, (long)s, (long)slen(s), 0, 0, 0);
}

static volatile int child_tid = 1;
static volatile int thread_ran;
static char stack[65536] __attribute__((aligned(16)));

__attribute__((noreturn)) static void thread_main(void)
{
	say("raw: thread says hi\n");
	thread_ran = 1;
	sc6(SYS_exit, 0, 0, 0, 0, 0, 0);
	for (;;)
		;
}

/* clone: the child starts on `stk` and calls fn; the parent returns the tid. */
static long raw_clone(unsigned long flags, void *stk, volatile int *ctid, void (*fn)(void))
{
	long ret;
	register long r10 __asm__("r10") = (long)ctid;
	register long r8 __asm__("r8") = 0;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "call *%%rbx\n\t"
			 "1:"
			 : "=a"(ret)
			 : "a"(SYS_clone), "D"(flags), "S"(stk), "d"(0), "r"(r10), "r"(r8), "b"(fn)
			 : "rcx", "r11", "memory");
	return ret;
}

void _start(void) __attribute__((noreturn));
void _start(void)
{
	__asm__ volatile("and $-16, %rsp");
	say("raw: hello\n");
	if (sc6(SYS_getpid, 0, 0, 0, 0, 0, 0) > 0)
		say("raw: getpid ok\n");
	long p = sc6(SYS_mmap, 0, 4096, 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
	if (p > 0) {
		char *m = (char *)p;
		m[0] = 'o';
		m[1] = 'k';
		m[2] = 0;
		say("raw: mmap ");
		say(m);
		say("\n");
	}
	/* CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|CHILD_CLEARTID */
	unsigned long flags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x200000;
	long tid = raw_clone(flags, stack + sizeof stack, &child_tid, thread_main);
	if (tid > 0) {
		while (child_tid != 0)
			sc6(SYS_futex, (long)&child_tid, 0 /* WAIT */, child_tid, 0, 0, 0);
		say(thread_ran ? "raw: thread joined\n" : "raw: thread did not run\n");
	}
	sc6(SYS_exit_group, 3, 0, 0, 0, 0, 0);
	for (;;)
		;
}
