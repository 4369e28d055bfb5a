/*
 * patch.c - the fast path: rewriting application call sites (docs/design.md
 * section 3, docs/runtime.md "The fast path").
 *
 * Every `syscall` outside the runtime's text traps (Syscall User Dispatch),
 * which costs a signal delivery and a sigreturn on top of the call. When a
 * trap comes from the common 7-byte sequence
 *
 *     S:    b8 nn nn nn nn    mov $nr, %eax
 *     S+5:  0f 05             syscall
 *
 * the runtime asks us to rewrite its first five bytes into `jmp T` (e9 rel32).
 * The trampoline T, in a region mapped within 2 GiB of the site, does what the
 * two instructions would and enters the runtime without a signal:
 *
 *     T:    mov $nr, %eax ; lea S+7(%rip), %rcx ; jmp *direct_fast_entry
 *
 * The `syscall` at S+5 stays: a thread that executed the mov before the
 * rewrite, a jump that targets S+5, and a call the runtime sends back to the
 * trap path (rip -= 2) all still trap there. Other shapes (`shapes` below:
 * `mov $nr,%rax`, glibc's syscall(), Go's Syscall6, whose number comes in
 * %rax) are patched the same way: the instructions before the `syscall`
 * move into T, which runs them and enters the runtime. When two of them
 * move, a thread may stand between them; that address is handled as
 * glibc's read's moved return address is (below).
 *
 * Other threads may execute S while it changes, and x86 does not promise that
 * another core sees a multi-byte change to code all at once. The five bytes
 * therefore change in three steps, each followed by a core-serialising
 * membarrier (every running thread of the process executes a serialising
 * instruction before the call returns):
 *   1. S..S+1 := eb fe, a jump to itself, in one 2-byte store that does not
 *      cross a cache line: a thread arriving at S now waits there instead of
 *      decoding a mixture of old and new bytes;
 *   2. S+2..S+4 := bytes 1-3 of rel32, which nobody can be executing now;
 *   3. S..S+1 := e9 and byte 0 of rel32: the waiting threads and every later
 *      one take the jump.
 * This is the order of the kernel's text_poke_bp, with a jump to self where
 * the kernel uses int3. The page is made writable for the duration with the
 * protection it had, read from /proc/self/maps, which also tells us the
 * mapping is private (a write to a shared one would reach its file).
 *
 * While the process has one thread and its memory is its own (mm_shared
 * below: most programs' start-up, where most sites are patched) nobody else
 * can execute S, and the final bytes are written at once through
 * /proc/self/mem (poke_alone): the kernel writes the private page as a
 * debugger's write would, without changing the mapping's protection. The two
 * mprotects of the general way cost about 24 us a site on the development
 * VM (each changes page tables and flushes), the one write about 7 us, or
 * 11 us with the open and close; python3's start patches about 33 sites.
 * Where /proc/self/mem cannot be written (no /proc, a kernel booted with
 * proc_mem.force_override=never), the general way is used from then on.
 *
 * Patching glibc's read (the second form) moves a return address, and
 * moving two instructions an address between them; the other threads are
 * stopped once first (stop_the_world), with a signal of the platform's own
 * (DIRECT_STW_SIG, direct.h says why it is not SIGSYS), and each return to
 * such an address goes to the trampoline's copy instead (direct_fix_return).
 *
 * Sites of no known shape keep trapping; plat_patch_stats counts them once
 * each, for --log=info.
 *
 * Returning from the fast entry: entry.S. Signals that land in the fast exit
 * or on the resume stub: direct_fast_signal_fixup, direct_fast_resume.
 */
#include <stddef.h>
#include <linux/mman.h>

#include "../../runtime/lib/rt.h"
#include "direct.h"
#include "offsets.h"

_Static_assert(offsetof(struct plat_tls, intr) == TLS_INTR, "TLS_INTR");
_Static_assert(offsetof(struct plat_tls, stack_hi) == TLS_STACK_HI, "TLS_STACK_HI");
_Static_assert(offsetof(struct kucontext, uc_mcontext) == UC_MC, "UC_MC");
_Static_assert(offsetof(struct kucontext, uc_mcontext.r8) == MC_R8, "MC_R8");
_Static_assert(offsetof(struct kucontext, uc_mcontext.r11) == MC_R11, "MC_R11");
_Static_assert(offsetof(struct kucontext, uc_mcontext.r15) == MC_R15, "MC_R15");
_Static_assert(offsetof(struct kucontext, uc_mcontext.rdi) == MC_RDI, "MC_RDI");
_Static_assert(offsetof(struct kucontext, uc_mcontext.rdx) == MC_RDX, "MC_RDX");
_Static_assert(offsetof(struct kucontext, uc_mcontext.rax) == MC_RAX, "MC_RAX");
_Static_assert(offsetof(struct kucontext, uc_mcontext.rcx) == MC_RCX, "MC_RCX");
_Static_assert(offsetof(struct kucontext, uc_mcontext.rsp) == MC_RSP, "MC_RSP");
_Static_assert(offsetof(struct kucontext, uc_mcontext.rip) == MC_RIP, "MC_RIP");
_Static_assert(offsetof(struct kucontext, uc_mcontext.eflags) == MC_EFLAGS, "MC_EFLAGS");
_Static_assert(offsetof(struct kucontext, uc_sigmask) == UC_SIGMASK, "UC_SIGMASK");
_Static_assert(sizeof(struct kucontext) == UC_SIZE, "UC_SIZE");
_Static_assert(FAST_FRAME >= UC_SIZE && FAST_FRAME % 16 == 0, "FAST_FRAME");

/* A region: [0, 8) the address of direct_fast_entry, [8, 12) the resume stub
 * (in the first region only), then trampolines of SLOT bytes. */
#define REGION_SIZE (64UL << 10)
#define REGION_HDR 64
#define SLOT 32
#define MAX_REGIONS 16
#define REACH ((1UL << 31) - REGION_SIZE)
#define MB (1UL << 20)
#define MAX_REFUSED 128

#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE (1 << 5)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE (1 << 6)

/* All of it under `lock`, except resume_stub (written once, before any site
 * can lead to it). A forked child gets a consistent copy: plat_fork holds
 * the lock across the fork. */
static struct {
	uintptr_t lo;
	size_t used;
} regions[MAX_REGIONS];
static unsigned nregions;
static uintptr_t resume_stub;
static volatile int lock;
static bool no_membarrier;
static bool no_proc_mem; /* /proc/self/mem could not be written once */
static uintptr_t refused[MAX_REFUSED]; /* sites not to try again */
static uint64_t n_patched, n_refused;
/* Sites of no known shape, counted once each (up to about MAX_UNKNOWN of
 * them): an open-addressed set that threads add to without the lock. */
#define MAX_UNKNOWN 1024
static uintptr_t unknown[MAX_UNKNOWN];
static uint64_t n_unknown;

/* plat_tls.plat_private: what the slow exit parks for the resume trap. */
enum { P_RESUME, P_RAX, P_RIP, P_R11, P_EFLAGS, P_MASK };
_Static_assert(DIRECT_PRIV_STW > P_MASK && DIRECT_PRIV_STW < 8, "plat_private");

static bool try_lock(void)
{
	return !lock && !__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE);
}

void direct_patch_lock(void)
{
	while (!try_lock())
		sys0(__NR_sched_yield);
}

void direct_patch_unlock(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

void plat_patch_stats(struct plat_patch_stats *s)
{
	s->sites_patched = __atomic_load_n(&n_patched, __ATOMIC_RELAXED);
	s->sites_refused = __atomic_load_n(&n_refused, __ATOMIC_RELAXED);
	s->sites_unknown = __atomic_load_n(&n_unknown, __ATOMIC_RELAXED);
}

/* ---- helpers ------------------------------------------------------------ */

/* Does another thread, of this process or of one sharing its memory, exist
 * or has one ever? Until then no other core can be executing a site while
 * it changes, and the membarriers (and their registration) are skipped: the
 * thread that writes the jump is the only one that will execute it, and
 * x86 orders a thread's own stores before its later instruction fetches.
 * Set before the host clone that makes such a thread, by the only thread
 * there is, which is not patching then; a forked child starts with one
 * thread and memory of its own (direct_patch_forked). */
static bool mm_shared;
static bool membarrier_registered; /* for this process's memory */

void direct_patch_sharing(void)
{
	__atomic_store_n(&mm_shared, true, __ATOMIC_SEQ_CST);
}

void direct_patch_forked(void)
{
	mm_shared = false;
	membarrier_registered = false; /* the kernel does not copy it */
}

static bool sync_ready(void)
{
	if (!__atomic_load_n(&mm_shared, __ATOMIC_ACQUIRE))
		return true;
	if (no_membarrier)
		return false;
	if (membarrier_registered)
		return true;
	if (sys3(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0)) {
		no_membarrier = true;
		return false;
	}
	membarrier_registered = true;
	return true;
}

static void sync_cores(void)
{
	if (__atomic_load_n(&mm_shared, __ATOMIC_ACQUIRE))
		sys3(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
}

static void store16(uintptr_t a, uint16_t v)
{
	__asm__ volatile("movw %1, %0" : "=m"(*(volatile uint16_t *)a) : "r"(v) : "memory");
}

static const char *hex(const char *p, const char *end, uintptr_t *out)
{
	uintptr_t v = 0;
	const char *start = p;
	for (; p < end; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (d < 0)
			break;
		v = v << 4 | (uintptr_t)d;
	}
	*out = v;
	return p > start ? p : NULL;
}

static char *line_end(char *p, char *end)
{
	for (; p < end; p++)
		if (*p == '\n')
			return p;
	return NULL;
}

/* ---- which code may be patched: /proc/self/maps, read once per change ---- */

/* Bumped after every host call that may change a mapping (direct.h says
 * which); the copy of the executable mappings below is good while it has
 * not moved. Reading the count before /proc/self/maps, and bumping it after
 * the change, means a change that the read may have missed always leaves
 * the count moved. */
uint64_t direct_maps_gen;

#define MAX_XMAPS 1024
/* The private executable mappings as /proc/self/maps listed them when
 * direct_maps_gen was xmaps_gen - 1 (0: no copy). Under `lock`. */
static struct {
	uintptr_t lo, hi;
	int prot;
} xmaps[MAX_XMAPS];
static unsigned nxmaps;
static uint64_t xmaps_gen;

/* Call fn(arg, lo, hi, perms) for each line of /proc/self/maps, perms
 * pointing at its four permission letters, until fn returns true. Returns
 * 0, or -1 if the file cannot be read or has a line longer than the buffer. */
static int maps_each(bool (*fn)(void *arg, uintptr_t lo, uintptr_t hi, const char *perms), void *arg)
{
	char buf[4096];
	size_t have = 0;
	int ret = -1;

	long fd = sys3(__NR_open, "/proc/self/maps", 0 /* O_RDONLY */ | 02000000 /* O_CLOEXEC */, 0);
	if (fd < 0)
		return -1;
	for (;;) {
		long n = sys3(__NR_read, fd, buf + have, sizeof buf - have);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			ret = n == 0 && have == 0 ? 0 : -1;
			break;
		}
		have += (size_t)n;
		char *line = buf, *end = buf + have, *nl;
		bool done = false;
		while (!done && (nl = line_end(line, end))) {
			uintptr_t a, b;
			const char *p = hex(line, nl, &a);
			if (p && p < nl && *p == '-' && (p = hex(p + 1, nl, &b)) && nl - p > 4)
				done = fn(arg, a, b, p + 1);
			line = nl + 1;
		}
		if (done) {
			ret = 0;
			break;
		}
		have = (size_t)(end - line);
		if (have == sizeof buf)
			break; /* a line longer than the buffer: give up */
		memmove(buf, line, have);
	}
	sys1(__NR_close, fd);
	return ret;
}

static int perms_prot(const char *perms)
{
	return (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) | PROT_EXEC;
}

struct prot_query {
	uintptr_t lo, hi;
	int prot;
};

static bool find_prot(void *arg, uintptr_t a, uintptr_t b, const char *perms)
{
	struct prot_query *q = arg;
	if (q->lo < a || q->lo >= b)
		return false;
	if (q->hi <= b && perms[2] == 'x' && perms[3] == 'p')
		q->prot = perms_prot(perms);
	return true;
}

static bool add_xmap(void *arg, uintptr_t a, uintptr_t b, const char *perms)
{
	bool *full = arg;
	if (perms[2] != 'x' || perms[3] != 'p')
		return false;
	if (nxmaps == MAX_XMAPS) {
		*full = true;
		return true;
	}
	xmaps[nxmaps].lo = a;
	xmaps[nxmaps].hi = b;
	xmaps[nxmaps++].prot = perms_prot(perms);
	return false;
}

/* The protection of the private mapping that holds all of [lo, hi), or -1
 * (not found, spread over mappings, shared, or not executable). Called with
 * `lock` held. Most sites of a program are patched while its mappings stay
 * as they are, so the listing is read again only after they changed. */
static bool xmaps_read(uint64_t gen)
{
	bool full = false;

	nxmaps = 0;
	xmaps_gen = 0;
	if (maps_each(add_xmap, &full) || full)
		return false;
	xmaps_gen = gen + 1;
	return true;
}

static int private_code_prot(uintptr_t lo, uintptr_t hi)
{
	uint64_t gen = __atomic_load_n(&direct_maps_gen, __ATOMIC_ACQUIRE);
	bool fresh = false;

	if (xmaps_gen != gen + 1) {
		if (!xmaps_read(gen))
			goto alone;
		fresh = true;
	}
	for (;;) {
		for (unsigned i = 0; i < nxmaps; i++)
			if (lo >= xmaps[i].lo && lo < xmaps[i].hi)
				return hi <= xmaps[i].hi ? xmaps[i].prot : -1;
		if (fresh)
			return -1;
		/* not in the copy: a mapping added since, or none at all */
		if (!xmaps_read(__atomic_load_n(&direct_maps_gen, __ATOMIC_ACQUIRE)))
			goto alone;
		fresh = true;
	}
alone:
	/* too many executable mappings to copy: look this one up alone */
	{
		struct prot_query q = { lo, hi, -1 };
		maps_each(find_prot, &q);
		return q.prot;
	}
}

struct overlap {
	uintptr_t lo, hi;   /* the range wanted */
	uintptr_t mlo, mhi; /* the first mapping in its way */
	bool found;
};

static bool find_overlap(void *arg, uintptr_t a, uintptr_t b, const char *perms)
{
	struct overlap *o = arg;
	(void)perms;
	if (a < o->hi && b > o->lo) {
		o->mlo = a;
		o->mhi = b;
		o->found = true;
	}
	return o->found || a >= o->hi; /* the listing is in address order */
}

/* Start using the mapped, reserved region at a. */
static long region_add(uintptr_t a)
{
	uint8_t *h = (uint8_t *)a;
	*(uint64_t *)h = (uint64_t)(uintptr_t)direct_fast_entry;
	if (!resume_stub) {
		static const uint8_t stub[4] = { 0x0f, 0x05, 0x0f, 0x0b }; /* syscall; ud2 */
		memcpy(h + 8, stub, sizeof stub);
		__atomic_store_n(&resume_stub, a + 8, __ATOMIC_RELEASE);
	}
	regions[nregions].lo = a;
	regions[nregions].used = REGION_HDR;
	__atomic_store_n(&nregions, nregions + 1, __ATOMIC_RELEASE); /* for in_region */
	return nregions - 1;
}

/* A region within reach of `site` with room for one more trampoline. */
static long region_near(uintptr_t site)
{
	for (unsigned i = 0; i < nregions; i++) {
		uintptr_t lo = regions[i].lo;
		uintptr_t d = lo > site ? lo - site : site - lo;
		if (d < REACH && regions[i].used + SLOT <= REGION_SIZE)
			return i;
	}
	if (nregions == MAX_REGIONS)
		return -ENOSPC;
	/* With enclave memory everything near the site is the application's
	 * range: the runtime cuts the region out of it (and reserves it). */
	uintptr_t a = rt_code_region(site, REGION_SIZE, REACH);
	if (a)
		return region_add(a);
	/* Look for a free hole below the site first (above a static program
	 * lies its heap, which must stay free to grow), then above. */
	uintptr_t base = RT_ALIGN_DOWN(site, REGION_SIZE);
	for (int dir = -1; dir <= 1; dir += 2) {
		for (uintptr_t k = 1; k <= 1024; k++) {
			a = dir < 0 ? base - k * MB : base + k * MB;
			if (dir < 0 && (base < k * MB + MB))
				break;
			long r = sys6(__NR_mmap, a, REGION_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (r == -EEXIST) {
				/* Step over the mapping in the way at once: one
				 * next to the site can be the runtime's 2 GiB
				 * reservation, a thousand probes long. */
				struct overlap o = { a, a + REGION_SIZE, 0, 0, false };
				if (maps_each(find_overlap, &o) || !o.found)
					continue;
				if (dir < 0)
					k = (base + REGION_SIZE - o.mlo + MB - 1) / MB - 1;
				else
					k = (o.mhi - base + MB - 1) / MB - 1;
				continue;
			}
			if (r < 0 && r > -4096)
				continue;
			if ((uintptr_t)r != a) { /* a kernel without NOREPLACE */
				sys2(__NR_munmap, r, REGION_SIZE);
				continue;
			}
			rt_reserve(a, a + REGION_SIZE);
			return region_add(a);
		}
	}
	return -ENOMEM;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static bool was_refused(uintptr_t s)
{
	for (unsigned i = 0; i < MAX_REFUSED; i++)
		if (refused[i] == s)
			return true;
	return false;
}

static long refuse(uintptr_t s, long err)
{
	refused[n_refused % MAX_REFUSED] = s;
	__atomic_store_n(&n_refused, n_refused + 1, __ATOMIC_RELAXED);
	return err;
}

/* ---- the second form: stopping the other threads once -------------------- */

/* Return addresses moved elsewhere: `from` is the instruction after a
 * patched `syscall` of the second form, which now holds a jump; `to` does
 * what `from` did. Entries are only added (published by the count). */
#define MAX_RELOCS 32
static struct {
	uintptr_t from, to;
} relocs[MAX_RELOCS];
static unsigned nrelocs;

static uint64_t stw_cookie;
static long stw_pid;
static volatile int stw_acks;

void direct_fix_return(struct kucontext *uc)
{
	unsigned n = __atomic_load_n(&nrelocs, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < n; i++)
		if (uc->uc_mcontext.rip == relocs[i].from) {
			uc->uc_mcontext.rip = relocs[i].to;
			return;
		}
}

/* The signal that stop_the_world sends: where the thread stood is fixed up
 * (a return to a moved address), and the sender hears back. In runtime code
 * the only return already decided is the exit window's, whose context is in
 * %r12 (entry.S); every later return passes direct_fix_return. The flag
 * makes an interruptible host call that this signal ended go round again. */
bool direct_stw_signal(const struct ksiginfo *info, struct kucontext *uc, bool in_runtime)
{
	if (info->si_signo != DIRECT_STW_SIG || info->si_code != K_SI_QUEUE || !stw_cookie ||
	    info->u.kill.value != stw_cookie || info->u.kill.pid != stw_pid)
		return false;
	if (!in_runtime)
		direct_fix_return(uc);
	else if (uc->uc_mcontext.rip >= (uintptr_t)direct_exitwin_begin &&
		 uc->uc_mcontext.rip <= (uintptr_t)direct_exitwin_syscall)
		direct_fix_return((struct kucontext *)uc->uc_mcontext.r12);
	plat_tls()->plat_private[DIRECT_PRIV_STW] = 1;
	__atomic_add_fetch(&stw_acks, 1, __ATOMIC_RELEASE);
	return true;
}

/* Make every other thread of the process take the signal above once, and
 * wait until all have: afterwards none can be standing on a moved address. */
static long stop_the_world(void)
{
	int tids[512];
	size_t n = rt_thread_tids(tids, RT_ARRAY_LEN(tids));
	if (n == RT_ARRAY_LEN(tids))
		return -EBUSY;
	if (!stw_cookie) {
		uint64_t c = 0;
		plat_random(&c, sizeof c);
		__atomic_store_n(&stw_cookie, c | 1, __ATOMIC_RELEASE);
	}
	stw_pid = sys0(__NR_getpid);
	__atomic_store_n(&stw_acks, 0, __ATOMIC_SEQ_CST);
	int sent = 0;
	for (size_t i = 0; i < n; i++) {
		struct ksiginfo si;
		memset(&si, 0, sizeof si);
		si.si_signo = DIRECT_STW_SIG;
		si.si_code = K_SI_QUEUE;
		si.u.kill.pid = (int32_t)stw_pid;
		si.u.kill.value = stw_cookie;
		if (sys4(__NR_rt_tgsigqueueinfo, stw_pid, tids[i], DIRECT_STW_SIG, &si) == 0)
			sent++;
	}
	struct { long s, ns; } t0, t;
	sys2(__NR_clock_gettime, 1 /* CLOCK_MONOTONIC */, &t0);
	while (__atomic_load_n(&stw_acks, __ATOMIC_ACQUIRE) < sent) {
		sys0(__NR_sched_yield);
		sys2(__NR_clock_gettime, 1, &t);
		if (t.s - t0.s >= 2) /* a thread that exited meanwhile, or waits on a vfork child */
			return -ETIMEDOUT;
	}
	return 0;
}

/* ---- patching ------------------------------------------------------------- */

/* The shapes of code before a `syscall` that are patched by moving some of
 * it. `pre` must end where the `syscall` begins, `post` follow it. The last
 * `moved` bytes of `pre` (whole instructions, at least five, none of them
 * addressing relative to %rip) run in the trampoline instead, before it
 * sets %rcx, so they see every register as they would have; their first
 * five bytes become `jmp T` and the rest, which nothing reaches any more,
 * stay. `imm`, when not 0, is the offset in `pre` of an
 * imm32 that loads %eax/%rax: it must equal the call number, and the byte
 * before `pre` must not be a REX prefix. (The trap proves only that a
 * `syscall` ends at the address: what looks like the instruction before it
 * could be the tail of a longer one. With a REX prefix before it, b8 imm32
 * is `mov $imm,%r8d` (41 b8) or the like; anything else that ends in b8
 * imm32 addresses memory through %rax (ModRM or SIB b8), which holds the
 * call number here: no compiler emits that. Glibc's read below likewise:
 * 45 31 c0 is `xor %r8d,%r8d`.) The
 * other shapes take the number from %rax, as `syscall` does, and are long,
 * exact byte strings that only the code they name has. `split`, when not 0,
 * is where a second instruction begins inside the moved bytes: a thread
 * may stand there (preempted between the two), so patching them stops the
 * world once, as for glibc's read below. */
struct shape {
	uint8_t npre, moved, imm, split, npost;
	uint8_t pre[PLAT_PATCH_BEFORE - 2], post[PLAT_PATCH_AFTER];
};

#define SYSCALL_CHECK 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff /* cmp $-4095,%rax */

static const struct shape shapes[] = {
	/* mov $nr,%eax: glibc's wrappers, Go's runtime */
	{ 5, 5, 1, 0, 0, { 0xb8 }, { 0 } },
	/* mov $nr,%rax (48 c7 c0 imm32): Go's runtime */
	{ 7, 7, 3, 0, 0, { 0x48, 0xc7, 0xc0 }, { 0 } },
	/* glibc's syscall(): the arguments shift down one register,
	 * mov 8(%rsp),%r9 (the sixth) is moved */
	{ 23, 5, 0, 0, 6,
	  { 0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0x48, 0x89, 0xd6, 0x48, 0x89, 0xca, 0x4d, 0x89, 0xc2,
	    0x4d, 0x89, 0xc8, 0x4c, 0x8b, 0x4c, 0x24, 0x08 },
	  { SYSCALL_CHECK } },
	/* Go's syscall.rawSyscallNoError (Go 1.19; getpid, getuid and the
	 * like): mov 8(%rsp),%rax, the number from the stack, is moved */
	{ 20, 5, 0, 0, 5,
	  { 0x48, 0x8b, 0x7c, 0x24, 0x10, 0x48, 0x8b, 0x74, 0x24, 0x18, 0x48, 0x8b, 0x54, 0x24, 0x20,
	    0x48, 0x8b, 0x44, 0x24, 0x08 },
	  { 0x48, 0x89, 0x44, 0x24, 0x28 } },
	/* glibc's __open64_nocancel (2.36): mov $nr,%eax; mov %rdi,%rsi;
	 * mov $AT_FDCWD,%edi. The jump covers the first mov exactly, so a
	 * thread that stands after it runs the others and traps: no split */
	{ 13, 13, 1, 0, 0, { 0xb8, 0, 0, 0, 0, 0x48, 0x89, 0xfe, 0xbf, 0x9c, 0xff, 0xff, 0xff }, { 0 } },
	/* glibc's prlimit and getrlimit (2.36): mov $nr,%eax; xor %edi,%edi */
	{ 7, 7, 1, 0, 0, { 0xb8, 0, 0, 0, 0, 0x31, 0xff }, { 0 } },
	/* Go's runtime/internal/syscall.Syscall6 (Go 1.19 and later), through
	 * which every call of Go's syscall package goes: from Go's register
	 * ABI to the kernel's, mov %rcx,%rsi; mov %rbx,%rdi are moved */
	{ 12, 6, 0, 3, 6,
	  { 0x49, 0x89, 0xf2, 0x48, 0x89, 0xfa, 0x48, 0x89, 0xce, 0x48, 0x89, 0xdf },
	  { SYSCALL_CHECK } },
};

enum { GLIBC_READ = -1 };

static const uint8_t glibc_read[10] = { 0x31, 0xc0, 0x0f, 0x05, 0x48, 0x3d, 0x00, 0xf0, 0xff, 0xff };

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The shape of the code around the `syscall` that ends at code + PLAT_PATCH_BEFORE
 * (see plat_patch_syscall), its index; GLIBC_READ; or -1 - RT_ARRAY_LEN(shapes). */
static int shape_of(const uint8_t *code, size_t before, size_t after, long nr)
{
	const uint8_t *ip = code + PLAT_PATCH_BEFORE;

	if (before < 2 || ip[-2] != 0x0f || ip[-1] != 0x05)
		return -1 - (int)RT_ARRAY_LEN(shapes);
	for (unsigned i = 0; i < RT_ARRAY_LEN(shapes); i++) {
		const struct shape *sh = &shapes[i];
		const uint8_t *p = ip - 2 - sh->npre;
		if (before < 2u + sh->npre + (sh->imm ? 1 : 0) || after < sh->npost ||
		    memcmp(ip, sh->post, sh->npost))
			continue;
		bool same = true;
		for (unsigned k = 0; k < sh->npre && same; k++)
			same = (sh->imm && k >= sh->imm && k < sh->imm + 4u) || p[k] == sh->pre[k];
		if (same && sh->imm && ((p[-1] & 0xf0) == 0x40 || get32(p + sh->imm) != (uint64_t)nr))
			same = false;
		if (same)
			return (int)i;
	}
	if (nr == 0 && before >= 4 && after >= 6 && !memcmp(ip - 4, glibc_read, sizeof glibc_read) &&
	    (ip[-5] & 0xf0) != 0x40 && ip[-5] != 0x66)
		return GLIBC_READ;
	return -1 - (int)RT_ARRAY_LEN(shapes);
}

static bool in_region(uintptr_t a)
{
	for (unsigned i = 0; i < __atomic_load_n(&nregions, __ATOMIC_ACQUIRE); i++)
		if (a - regions[i].lo < REGION_SIZE)
			return true;
	return false;
}

/* Whether the `syscall` that ends at ip belongs to a site patched already
 * (of one of the shapes), or to one being patched: a thread that was past
 * the replaced bytes when they changed traps there once more, as does a
 * call sent back to the trap path. */
static bool patched_already(const uint8_t *code, size_t before, uintptr_t ip)
{
	const uint8_t *c = code + PLAT_PATCH_BEFORE;

	for (unsigned i = 0; i < RT_ARRAY_LEN(shapes); i++) {
		size_t m = shapes[i].moved;
		const uint8_t *p = c - 2 - m;
		if (before < 2 + m)
			continue;
		if (p[0] == 0xeb && p[1] == 0xfe) /* being patched now */
			return true;
		if (p[0] == 0xe9 && in_region(ip - 2 - m + 5 + (uintptr_t)(int64_t)(int32_t)get32(p + 1)))
			return true;
	}
	return before >= 4 && c[-4] == 0xeb && c[-3] == 0x02; /* glibc's read: jmp +2 over it */
}

/* The jump `e9 rel32` at s in the three steps of the header: park arriving
 * threads on a jump to itself, then finish. */
static void park_site(uintptr_t s)
{
	store16(s, 0xfeeb); /* eb fe: jmp . */
	sync_cores();
}

static void finish_jump(uintptr_t s, uintptr_t target)
{
	volatile uint8_t *site = (volatile uint8_t *)s;
	uint8_t rel[4];

	put32(rel, (uint32_t)(target - (s + 5)));
	site[2] = rel[1];
	site[3] = rel[2];
	site[4] = rel[3];
	sync_cores();
	store16(s, (uint16_t)(0xe9 | rel[0] << 8));
	sync_cores();
}

/* Write the n final bytes at a in one write through /proc/self/mem, when
 * this is the only thread that can execute them (the header: mm_shared);
 * false if that is not so or the write failed, and the caller writes them
 * the general way (which rewrites every byte this may have written). The fd
 * lives only during the call: with one thread nothing can see or take it. */
static bool poke_alone(uintptr_t a, const uint8_t *bytes, size_t n)
{
	if (no_proc_mem || __atomic_load_n(&mm_shared, __ATOMIC_ACQUIRE))
		return false;
	long fd = sys3(__NR_open, "/proc/self/mem", 02 /* O_RDWR */ | 02000000 /* O_CLOEXEC */, 0);
	if (fd < 0) {
		no_proc_mem = true;
		return false;
	}
	long r = sys4(__NR_pwrite64, fd, bytes, n, a);
	sys1(__NR_close, fd);
	if (r != (long)n)
		no_proc_mem = true;
	return r == (long)n;
}

/* lea ret(%rip),%rcx; jmp *entry(%rip) at t + n (the entry's address is
 * the first word of the region); returns the new n. */
static size_t emit_entry(uint8_t *tp, size_t n, uintptr_t t, uintptr_t ret, uintptr_t region)
{
	tp[n++] = 0x48;
	tp[n++] = 0x8d;
	tp[n++] = 0x0d;
	put32(tp + n, (uint32_t)(ret - (t + n + 4)));
	n += 4;
	tp[n++] = 0xff;
	tp[n++] = 0x25;
	put32(tp + n, (uint32_t)(region - (t + n + 4)));
	return n + 4;
}

/* The trampolines:
 *   moved forms  T:  the moved bytes; lea S+2(%rip),%rcx; jmp *entry
 *                    (S: the `syscall`)
 *   glibc's read T:  xor %eax,%eax; lea R(%rip),%rcx; jmp *entry
 *                    syscall                (a restart traps here)
 *                R:  cmp $-4096,%rax; jmp S+8
 * R is where the moved return address S+2 now goes. Returns the offset of
 * R, or 0. */
static size_t make_trampoline(int f, const uint8_t *moved, size_t nmoved, uintptr_t sc, uintptr_t t,
			      uintptr_t region)
{
	uint8_t *tp = (uint8_t *)t;
	size_t n = 0, ret_at = 0;

	if (f != GLIBC_READ) {
		memcpy(tp, moved, nmoved);
		n = emit_entry(tp, nmoved, t, sc + 2, region);
	} else {
		tp[n++] = 0x31;
		tp[n++] = 0xc0;
		ret_at = n + 13 + 2;
		n = emit_entry(tp, n, t, t + ret_at, region);
		tp[n++] = 0x0f; /* syscall */
		tp[n++] = 0x05;
		memcpy(tp + n, glibc_read + 4, 6); /* cmp $-4096, %rax */
		n += 6;
		tp[n++] = 0xe9; /* jmp S+8 */
		put32(tp + n, (uint32_t)((sc + 8) - (t + n + 4)));
		n += 4;
	}
	for (size_t i = n; i < SLOT; i++)
		tp[i] = 0xcc;
	return ret_at;
}

/* Patch the site whose `syscall` is at sc: the bytes [s, s + len) are
 * `code` and change. */
static long patch_locked(int f, uintptr_t sc, uintptr_t s, const uint8_t *code, size_t len)
{
	volatile uint8_t *site = (volatile uint8_t *)s;
	const struct shape *sh = f == GLIBC_READ ? NULL : &shapes[f];
	unsigned split = sh ? sh->split : 0;

	if (site[0] == (sh ? 0xe9 : 0xeb))
		return 0; /* another thread did it */
	for (size_t i = 0; i < len; i++)
		if (site[i] != code[i])
			return -EAGAIN; /* changed under us: try at the next trap */
	if (was_refused(s))
		return -EPERM;
	if ((!sh || split) && __atomic_load_n(&mm_shared, __ATOMIC_ACQUIRE) && rt_memory_shared()) {
		/* the other process's threads cannot be stopped */
		log_debug("the call site at 0x%lx traps while another process shares the memory",
			  (unsigned long)sc);
		return -EAGAIN;
	}
	if (!sync_ready())
		return refuse(s, -ENOSYS);
	if ((!sh || split) && nrelocs == MAX_RELOCS)
		return refuse(s, -ENOSPC);
	uintptr_t page_lo = RT_ALIGN_DOWN(s, RT_PAGE_SIZE), page_hi = RT_ALIGN_UP(s + len, RT_PAGE_SIZE);
	int prot = private_code_prot(s, s + len);
	if (prot < 0)
		return refuse(s, -EPERM);
	long ri = region_near(s);
	if (ri < 0)
		return refuse(s, ri);

	/* The trampoline first; the membarriers below publish it. */
	uintptr_t t = regions[ri].lo + regions[ri].used;
	size_t ret_at = make_trampoline(f, code, sh ? sh->moved : 0, sc, t, regions[ri].lo);
	regions[ri].used += SLOT;
	if (!sh) {
		/* From now on every return to S+2 goes to R instead, which does
		 * the same; then no thread may still stand on S+2 itself. */
		relocs[nrelocs].from = sc + 2;
		relocs[nrelocs].to = t + ret_at;
		__atomic_store_n(&nrelocs, nrelocs + 1, __ATOMIC_RELEASE);
		long r = stop_the_world();
		if (r)
			return refuse(s, r); /* the moved return stays: harmless */
	}
	/* Alone: the final bytes in one write (the header). A moved return
	 * address is moved first all the same, for a signal frame of this
	 * thread that stands there. */
	uint8_t fin[10];
	size_t nfin = sh ? 5 : 10;
	if (sh) {
		fin[0] = 0xe9;
		put32(fin + 1, (uint32_t)(t - (s + 5)));
	} else { /* jmp +2; the syscall; jmp T; nop */
		memcpy(fin, (const uint8_t[]){ 0xeb, 0x02, code[2], code[3], 0xe9 }, 5);
		put32(fin + 5, (uint32_t)(t - (s + 9)));
		fin[9] = 0x90;
	}
	if (!__atomic_load_n(&mm_shared, __ATOMIC_ACQUIRE) && !no_proc_mem) {
		if (split) {
			relocs[nrelocs].from = s + split;
			relocs[nrelocs].to = t + split;
			__atomic_store_n(&nrelocs, nrelocs + 1, __ATOMIC_RELEASE);
			split = 0; /* done: not again below */
			long r = stop_the_world();
			if (r)
				return refuse(s, r);
		}
		if (poke_alone(s, fin, nfin)) {
			__atomic_store_n(&n_patched, n_patched + 1, __ATOMIC_RELAXED);
			return 0;
		}
	}
	/* sys3, not plat_mem_protect: the mapping is as it was afterwards, so the
	 * copy of /proc/self/maps stays good (private_code_prot) */
	if (sys3(__NR_mprotect, page_lo, page_hi - page_lo, prot | PROT_WRITE))
		return refuse(s, -EACCES);
	if (sh) {
		park_site(s);
		if (split) {
			/* No thread gets past s now. One that stands between the
			 * two instructions goes on in the trampoline's copy of
			 * the second: every return to s + split goes there from
			 * now on, and each thread passes a return once. */
			relocs[nrelocs].from = s + split;
			relocs[nrelocs].to = t + split;
			__atomic_store_n(&nrelocs, nrelocs + 1, __ATOMIC_RELEASE);
			long r = stop_the_world();
			if (r) {
				store16(s, (uint16_t)(code[0] | code[1] << 8));
				sync_cores();
				plat_mem_protect(page_lo, page_hi - page_lo, prot);
				return refuse(s, r); /* the moved return stays: harmless */
			}
		}
		finish_jump(s, t);
	} else {
		/* S+2 (the cmp, 6 bytes) := jmp T; nop. Nothing can reach it
		 * now: the `syscall` before it traps and its return is moved.
		 * Then S-2 (the xor) := jmp S+2, over the `syscall`, which stays
		 * for a thread that already executed the xor. */
		site[9] = 0x90;
		park_site(s + 4);
		finish_jump(s + 4, t);
		store16(s, 0x02eb);
		sync_cores();
	}
	sys3(__NR_mprotect, page_lo, page_hi - page_lo, prot);
	__atomic_store_n(&n_patched, n_patched + 1, __ATOMIC_RELAXED);
	return 0;
}

static void count_unknown(uintptr_t ip, const uint8_t *code)
{
	size_t h = (size_t)((ip * 0x9e3779b97f4a7c15ULL) >> 54) % MAX_UNKNOWN;

	for (size_t i = 0; i < 32; i++) { /* a full table counts no more */
		uintptr_t *slot = &unknown[(h + i) % MAX_UNKNOWN];
		uintptr_t v = __atomic_load_n(slot, __ATOMIC_RELAXED);
		if (!v && __atomic_compare_exchange_n(slot, &v, ip, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			__atomic_add_fetch(&n_unknown, 1, __ATOMIC_RELAXED);
			const uint8_t *b = code + PLAT_PATCH_BEFORE - 10;
			log_debug("the call site at 0x%lx traps: no known shape (%02x %02x %02x %02x %02x %02x "
				  "%02x %02x before the syscall)",
				  (unsigned long)(ip - 2), b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
			return;
		}
		if (v == ip)
			return;
	}
}

long plat_patch_syscall(uintptr_t ip, long nr, const uint8_t code[PLAT_PATCH_BEFORE + PLAT_PATCH_AFTER],
			size_t before, size_t after)
{
	int f = shape_of(code, before, after, nr);
	uintptr_t s;
	size_t len;

	if (f < GLIBC_READ) {
		if (patched_already(code, before, ip))
			return 0;
		count_unknown(ip, code);
		return -ENOEXEC;
	}
	if (f == GLIBC_READ) {
		s = ip - 4;
		len = sizeof glibc_read;
	} else {
		len = shapes[f].moved;
		s = ip - 2 - len;
	}
	/* the 2-byte stores must not cross a cache line */
	if ((s & 63) == 63 || (f == GLIBC_READ && ((s + 4) & 63) == 63))
		return -EOPNOTSUPP;
	if (!try_lock())
		return -EAGAIN; /* never wait: the next trap tries again */
	long r = patch_locked(f, ip - 2, s, code + PLAT_PATCH_BEFORE - (ip - s), len);
	direct_patch_unlock();
	return r;
}

/* ---- entering and leaving through a patched site ------------------------ */

__attribute__((used)) int direct_on_fastcall(struct kucontext *uc);
__attribute__((used)) uintptr_t direct_fast_park(const struct kucontext *uc);

/* Returns nonzero when the call must return through the slow exit: the
 * handler set a new signal mask. */
RT_HOT int direct_on_fastcall(struct kucontext *uc)
{
	struct plat_tls *t = plat_tls();

	t->n_fast++;
	t->app_ctx = uc;
	t->fast = 1;
	rt_on_syscall(uc);
	t->fast = 0;
	t->app_ctx = NULL;
	return uc->uc_sigmask != ~0ULL;
}

uintptr_t direct_fast_park(const struct kucontext *uc)
{
	uint64_t *p = plat_tls()->plat_private;
	const struct ksigcontext *m = &uc->uc_mcontext;

	p[P_RAX] = m->rax;
	p[P_RIP] = m->rip;
	p[P_R11] = m->r11;
	p[P_EFLAGS] = m->eflags;
	p[P_MASK] = uc->uc_sigmask;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	p[P_RESUME] = 1;
	return resume_stub;
}

static void resume_into(struct kucontext *uc, uint64_t *p)
{
	struct ksigcontext *m = &uc->uc_mcontext;

	m->rax = p[P_RAX];
	m->rip = p[P_RIP];
	m->rcx = p[P_RIP]; /* as `syscall` leaves it */
	m->r11 = p[P_R11];
	m->eflags = p[P_EFLAGS];
	if (p[P_MASK] != ~0ULL)
		uc->uc_sigmask = p[P_MASK];
	p[P_RESUME] = 0;
}

bool direct_fast_resume(struct kucontext *uc)
{
	uint64_t *p = plat_tls()->plat_private;

	if (!p[P_RESUME] || uc->uc_mcontext.rip != resume_stub + 2 || uc->uc_mcontext.rax != RESUME_MAGIC)
		return false;
	resume_into(uc, p);
	return true;
}

bool direct_fast_signal_fixup(struct kucontext *uc)
{
	struct ksigcontext *m = &uc->uc_mcontext;

	if (m->rip == (uintptr_t)direct_fexit_last) {
		m->rip = m->rcx;
		return true;
	}
	uint64_t *p = plat_tls()->plat_private;
	if (p[P_RESUME] && resume_stub && m->rip == resume_stub) {
		resume_into(uc, p);
		return true;
	}
	return false;
}
