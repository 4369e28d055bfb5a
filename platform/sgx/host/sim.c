/*
 * sim.c - sgx-sim's simulated CPU: the enclave's memory in ELRANGE, the
 * measurement and EINIT, the state hardware keeps per TCS (CSSA, busy, AEP,
 * the host's FS/GS), and the signal handler that performs EEXIT, ERESUME,
 * EREPORT and EGETKEY (common/sgxkeys.c) when the real ENCLU instruction
 * raises #UD, and the AEX when any other signal interrupts a thread inside
 * ELRANGE (SDM vol. 3D ch. 37-40; sim.h has the overview, docs/platforms.md
 * what differs from hardware). The fast variant (sim_fast) switches FS/GS
 * lazily and rewrites the entry code's EEXIT into a jump whose landing
 * (sim_eexit_landed) finishes the leaf.
 *
 * State. `sim` is written by one thread while the enclave is built
 * (sim_ecreate .. sim_einit) and only read afterwards, except the per-TCS
 * fields: `busy` is taken with a compare-and-swap by EENTER and ERESUME and
 * dropped by EEXIT and AEX, exactly as hardware's TCS busy flag, and the
 * rest of a TCS's fields are written only by the thread holding it busy.
 * `owner` is the host's allocation of TCSs to threads (sim_tcs_acquire).
 *
 * Which host thread a signal interrupted: each thread entering the enclave
 * has a sim_thread block heading its signal stack (SA_ONSTACK handlers), so
 * the handler finds it from its own stack pointer, checked against the list
 * of blocks. The handler never runs on the enclave's stack, as hardware's
 * AEX never leaves the exit frame there.
 *
 * Every handler blocks all signals while it runs: an AEX or an EEXIT is one
 * step, as on the CPU.
 */
#include <asm/prctl.h>
#include <asm/sigcontext.h>
#include <asm/signal.h>
#include <linux/signal.h>
#include <asm/siginfo.h>
#include <asm/ucontext.h>
#include <asm/unistd_64.h>
#include <linux/mman.h>
#include <linux/prctl.h>

#include "../../../common/cstring.h"
#include "sim.h"

#define MAX_TCS 4096
#define MAX_THREADS 4096
#define THREAD_BLOCK (64u << 10) /* a sim_thread and its signal stack, aligned to its size */

struct sim_tcs {
	uint64_t addr, ossa, oentry, ofsbase, ogsbase; /* linear addresses */
	uint32_t nssa, cssa;
	uint64_t aep;
	int busy;                 /* hardware's busy flag */
	int owner;                /* the host's allocation */
	uint64_t fsbase, gsbase;  /* the enclave's FS/GS while inside */
};

enum { SIM_NONE, SIM_CREATED, SIM_INITIALIZED };

static struct {
	int state;
	bool measured;
	uint64_t base, size, frame_bytes;
	uint64_t attributes, xfrm;
	uint32_t miscselect, xsave_size;
	uint32_t comp_off[64], comp_size[64]; /* XSAVE standard-format components (CPUID 0xD) */
	struct sgx_measure m;
	uint8_t mrenclave[SGX_HASH_SIZE];
	struct sgx_enclave_identity id;       /* what EINIT fixed: for EREPORT/EGETKEY */
	uint8_t *added;                       /* per page: 0 free, else 1 + page type | R/W/X << 4 */
	struct sim_tcs *tcs;
	unsigned ntcs;
	uint64_t text_lo, text_hi;
	sim_host_signal_fn host_signal;
	sim_leaf_fn leaf_hook;
	bool have_root;
	struct sgx_sim_root root;             /* the simulated CPU's secrets (sim_set_root) */
	struct sgx_aes128 aes;
	int leaf_lock;                        /* one EREPORT/EGETKEY at a time: aes has one context */
	unsigned mode;                        /* SIM_FAST_* */
	uint64_t eexit_site;                  /* the rewritten EEXIT, or 0 */
	bool entered;                         /* an EENTER happened: code may be running */
	struct sim_thread *threads[MAX_THREADS];
	unsigned nthreads;
	struct sim_stats stats;
} sim;

#define sys(n, a, b, c, d, e, f) sim_syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* ---- small helpers ------------------------------------------------------------------ */

static void put(const char *s)
{
	sys(__NR_write, 2, s, strlen(s), 0, 0, 0);
}

static void put_hex(uint64_t v)
{
	char b[19] = "0x";
	int n = 2;
	for (int sh = 60; sh >= 0; sh -= 4)
		if (v >> sh || sh == 0 || n > 2)
			b[n++] = "0123456789abcdef"[(v >> sh) & 15];
	b[n] = 0;
	put(b);
}

static bool in_elrange(uint64_t a)
{
	return a - sim.base < sim.size;
}

/* Load FS/GS base on this thread; t->fs/t->gs say what is loaded, so a
 * base already in place is not written again (each write is a system call:
 * this CPU has no usable FSGSBASE). */
static void set_fs_gs(struct sim_thread *t, uint64_t fs, uint64_t gs)
{
	if (t->fs != fs) {
		sys(__NR_arch_prctl, ARCH_SET_FS, fs, 0, 0, 0, 0);
		t->fs = fs;
		t->fsgs_writes++;
	}
	if (t->gs != gs) {
		sys(__NR_arch_prctl, ARCH_SET_GS, gs, 0, 0, 0, 0);
		t->gs = gs;
		t->fsgs_writes++;
	}
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static uint64_t xcr0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (uint64_t)hi << 32;
}

static struct sim_tcs *tcs_at(uint64_t addr)
{
	for (unsigned i = 0; i < sim.ntcs; i++)
		if (sim.tcs[i].addr == addr)
			return &sim.tcs[i];
	return NULL;
}

static uint8_t *ssa_gpr(const struct sim_tcs *tc, uint32_t frame)
{
	return (uint8_t *)(tc->ossa + (frame + 1) * sim.frame_bytes - SSA_GPR_SIZE);
}

static void *map_aligned(uint64_t size, int prot)
{
	long p = sys(__NR_mmap, 0, 2 * size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p < 0 && p > -4096)
		return NULL;
	uint64_t a = ((uint64_t)p + size - 1) & ~(size - 1);
	if (a > (uint64_t)p)
		sys(__NR_munmap, p, a - (uint64_t)p, 0, 0, 0, 0);
	if ((uint64_t)p + size > a)
		sys(__NR_munmap, a + size, (uint64_t)p + size - a, 0, 0, 0, 0);
	return (void *)a;
}

#define FAIL(msg)             \
	do {                  \
		*why = (msg); \
		return -1;    \
	} while (0)

/* ---- building: ECREATE, EADD/EEXTEND, EINIT --------------------------------------- */

int sim_ecreate(const struct sim_secs *s, const struct sgx_sha256 *sha, uint64_t *base, const char **why)
{
	uint32_t r[4];

	if (s->size < 2 * SGX_PAGE_SIZE || (s->size & (s->size - 1)) || s->size > (1ULL << 40))
		FAIL("the enclave size is not a power of two from 8 KiB to 1 TiB");
	if (!(s->attributes & SGX_FLAGS_MODE64BIT) || (s->attributes & SGX_FLAGS_INIT))
		FAIL("ATTRIBUTES must have MODE64BIT and not INIT");
	if ((s->xfrm & SGX_XFRM_LEGACY) != SGX_XFRM_LEGACY || (s->xfrm & ~xcr0()))
		FAIL("XFRM must have x87 and SSE and only features this CPU has enabled (XCR0)");
	if (s->miscselect & ~SGX_MISC_EXINFO)
		FAIL("MISCSELECT may only select EXINFO");
	if (s->ssaframesize == 0 || s->ssaframesize > 16)
		FAIL("SSAFRAMESIZE must be 1 to 16 pages");
	if (sim.state != SIM_NONE)
		FAIL("sgx-sim simulates one enclave per process and it exists already");

	/* the XSAVE area the XFRM needs: what the SSA frame must hold */
	sim.xsave_size = 512 + 64;
	for (unsigned i = 2; i < 64; i++) {
		if (!(s->xfrm & (1ULL << i)))
			continue;
		cpuid(0xd, i, r);
		sim.comp_size[i] = r[0];
		sim.comp_off[i] = r[1];
		if (r[0] + r[1] > sim.xsave_size)
			sim.xsave_size = r[0] + r[1];
	}
	uint64_t frame = (uint64_t)s->ssaframesize * SGX_PAGE_SIZE;
	if (sim.xsave_size + SSA_EXINFO_SIZE + SSA_GPR_SIZE > frame)
		FAIL("the SSA frame is too small for the XSAVE area of XFRM, MISC and GPRSGX");

	uint8_t *elrange = map_aligned(s->size, PROT_NONE);
	sim.added = map_aligned(s->size / SGX_PAGE_SIZE > SGX_PAGE_SIZE ? s->size / SGX_PAGE_SIZE : SGX_PAGE_SIZE,
				PROT_READ | PROT_WRITE);
	sim.tcs = map_aligned(1u << 20, PROT_READ | PROT_WRITE);
	if (!elrange || !sim.added || !sim.tcs)
		FAIL("cannot reserve ELRANGE (mmap of twice the enclave size failed)");
	sim.base = (uint64_t)elrange;
	sim.size = s->size;
	sim.frame_bytes = frame;
	sim.attributes = s->attributes;
	sim.xfrm = s->xfrm;
	sim.miscselect = s->miscselect;
	sgx_measure_ecreate(&sim.m, sha, s->ssaframesize, s->size);
	sim.state = SIM_CREATED;
	*base = sim.base;
	return 0;
}
_Static_assert(MAX_TCS * sizeof(struct sim_tcs) <= (1u << 20), "the TCS table fits its mapping");

static int add_tcs(uint64_t off, const uint8_t *d, const char **why)
{
	static const uint8_t zero[SGX_PAGE_SIZE];
	if (!d)
		d = zero;
	if (sim.ntcs == MAX_TCS)
		FAIL("more than 4096 TCS pages");
	uint64_t flags = sgx_le64(d + TCS_FLAGS), ossa = sgx_le64(d + TCS_OSSA);
	uint32_t cssa = sgx_le32(d + TCS_CSSA), nssa = sgx_le32(d + TCS_NSSA);
	uint64_t oentry = sgx_le64(d + TCS_OENTRY), ofs = sgx_le64(d + TCS_OFSBASE), ogs = sgx_le64(d + TCS_OGSBASE);
	if (flags & ~1ULL || sgx_le64(d) || sgx_le64(d + TCS_AEP))
		FAIL("a TCS has reserved FLAGS bits, a nonzero STATE or AEP");
	for (unsigned i = TCS_RESERVED; i < SGX_PAGE_SIZE; i++)
		if (d[i])
			FAIL("a TCS has nonzero reserved bytes");
	if (cssa != 0 || nssa == 0 || (ossa & (SGX_PAGE_SIZE - 1)) || (ofs & (SGX_PAGE_SIZE - 1)) ||
	    (ogs & (SGX_PAGE_SIZE - 1)))
		FAIL("a TCS has CSSA != 0, NSSA 0, or an unaligned OSSA, OFSBASE or OGSBASE");
	if (ossa >= sim.size || (uint64_t)nssa * sim.frame_bytes > sim.size - ossa || oentry >= sim.size ||
	    ofs >= sim.size || ogs >= sim.size)
		FAIL("a TCS points outside ELRANGE (OSSA frames, OENTRY, OFSBASE or OGSBASE)");
	struct sim_tcs *tc = &sim.tcs[sim.ntcs++];
	*tc = (struct sim_tcs){
		.addr = sim.base + off,
		.ossa = sim.base + ossa,
		.oentry = sim.base + oentry,
		.ofsbase = sim.base + ofs,
		.ogsbase = sim.base + ogs,
		.nssa = nssa,
	};
	(void)off;
	return 0;
}

/*
 * A page of zeros is not written: ELRANGE was mapped anonymous and PROT_NONE
 * at ECREATE and no page is added twice, so it reads as zeros already. Runs
 * of such pages with one protection (the heap, stacks) get one mprotect when
 * the run ends, so building an enclave costs what its contents cost, not
 * its size, and commits no memory for its heap.
 */
static struct {
	uint64_t lo, hi; /* offsets of the pending run; empty when equal */
	int prot;
} zero_run;

static int flush_zero_run(void)
{
	long r = 0;

	if (zero_run.hi > zero_run.lo)
		r = sys(__NR_mprotect, sim.base + zero_run.lo, zero_run.hi - zero_run.lo, zero_run.prot, 0, 0, 0);
	zero_run.lo = zero_run.hi = 0;
	return r ? -1 : 0;
}

static int add_zero_page(uint64_t off, int prot)
{
	if (zero_run.hi > zero_run.lo && (off != zero_run.hi || prot != zero_run.prot) && flush_zero_run())
		return -1;
	if (zero_run.hi == zero_run.lo) {
		zero_run.lo = off;
		zero_run.prot = prot;
	}
	zero_run.hi = off + SGX_PAGE_SIZE;
	return 0;
}

int sim_add_page(void *ctx, const struct layout_page *p)
{
	const char **why = ctx;
	uint64_t type = (p->secinfo >> 8) & 0xff, perm = p->secinfo & 7;

	if (sim.state != SIM_CREATED || sim.measured)
		FAIL("EADD after EINIT or before ECREATE");
	if ((p->offset & (SGX_PAGE_SIZE - 1)) || p->offset >= sim.size)
		FAIL("EADD of an unaligned page or one outside ELRANGE");
	if (sim.added[p->offset / SGX_PAGE_SIZE])
		FAIL("EADD of a page that was added already");
	if (p->secinfo & ~0xff07ULL)
		FAIL("SECINFO has reserved bits set");
	if (type == SGX_PT_TCS) {
		if (perm)
			FAIL("a TCS page's SECINFO has R, W or X");
		if (add_tcs(p->offset, p->data, why))
			return -1;
	} else if (type != SGX_PT_REG) {
		FAIL("EADD of a page that is neither REG nor TCS");
	} else if ((perm & SGX_SECINFO_W) && !(perm & SGX_SECINFO_R)) {
		FAIL("SECINFO has W without R");
	}

	uint8_t *page = (uint8_t *)(sim.base + p->offset);
	int prot = type == SGX_PT_TCS ? PROT_NONE
				      : ((perm & SGX_SECINFO_R) ? PROT_READ : 0) | ((perm & SGX_SECINFO_W) ? PROT_WRITE : 0) |
						((perm & SGX_SECINFO_X) ? PROT_EXEC : 0);
	if (p->data) {
		if (flush_zero_run() || sys(__NR_mprotect, page, SGX_PAGE_SIZE, PROT_READ | PROT_WRITE, 0, 0, 0))
			FAIL("mprotect of an ELRANGE page failed");
		memcpy(page, p->data, SGX_PAGE_SIZE);
		if (sys(__NR_mprotect, page, SGX_PAGE_SIZE, prot, 0, 0, 0))
			FAIL("mprotect of an ELRANGE page failed");
	} else if (add_zero_page(p->offset, prot)) {
		FAIL("mprotect of an ELRANGE page failed");
	}
	sgx_measure_add_page(&sim.m, p->offset, p->secinfo, p->data, p->measure); /* the bytes just copied */
	sim.added[p->offset / SGX_PAGE_SIZE] = (uint8_t)((1 + type) | perm << 4);
	return 0;
}

int sim_einit(const uint8_t sigstruct[SIGSTRUCT_SIZE], int (*rsa_verify)(const uint8_t *), const char **why)
{
	struct sgx_sigstruct ss;

	if (sim.state != SIM_CREATED)
		FAIL("EINIT of an enclave not created or initialised already");
	if (flush_zero_run())
		FAIL("mprotect of an ELRANGE page failed");
	if (!sim.measured && sgx_measure_finish(&sim.m, sim.mrenclave))
		FAIL("a measured page fell outside the enclave");
	sim.measured = true; /* a refused EINIT may be retried with another SIGSTRUCT */
	/* hardware checks the SSA pages at EENTER; checked once here */
	for (unsigned i = 0; i < sim.ntcs; i++) {
		const struct sim_tcs *tc = &sim.tcs[i];
		for (uint64_t a = tc->ossa; a < tc->ossa + tc->nssa * sim.frame_bytes; a += SGX_PAGE_SIZE)
			if ((sim.added[(a - sim.base) / SGX_PAGE_SIZE] & 15) != 1 + SGX_PT_REG)
				FAIL("a TCS's SSA frames are not all added REG pages");
	}
	if (sgx_sigstruct_parse(sigstruct, SIGSTRUCT_SIZE, &ss, why))
		return -1;
	if (sgx_einit_check(&ss, sim.mrenclave, sim.attributes, sim.xfrm, sim.miscselect, rsa_verify, why))
		return -1;
	sim.attributes |= SGX_FLAGS_INIT;

	/* the SECS's identity fields, as EINIT sets them (KSS is not offered:
	 * CONFIGID and CONFIGSVN stay zero) */
	struct sgx_enclave_identity *id = &sim.id;
	const struct sgx_sha256 *sha = sim.m.sha;
	memset(id, 0, sizeof *id);
	memcpy(id->mrenclave, sim.mrenclave, SGX_HASH_SIZE);
	sha->init(sha->ctx);
	sha->update(sha->ctx, ss.modulus, SGX_RSA_SIZE);
	sha->final(sha->ctx, id->mrsigner);
	id->attr_flags = sim.attributes;
	id->attr_xfrm = sim.xfrm;
	id->miscselect = sim.miscselect;
	id->isvprodid = ss.isvprodid;
	id->isvsvn = ss.isvsvn;
	memcpy(id->isvfamilyid, sigstruct + SS_ISVFAMILYID, 16);
	memcpy(id->isvextprodid, sigstruct + SS_ISVEXTPRODID, 16);
	sim.state = SIM_INITIALIZED;
	return 0;
}

const struct sgx_enclave_identity *sim_identity(void)
{
	return sim.state == SIM_INITIALIZED ? &sim.id : NULL;
}

const uint8_t *sim_mrenclave(void)
{
	return sim.mrenclave;
}

unsigned sim_tcs_count(void)
{
	return sim.ntcs;
}

uint64_t sim_tcs_addr(unsigned i)
{
	return i < sim.ntcs ? sim.tcs[i].addr : 0;
}

void sim_set_leaf_hook(sim_leaf_fn fn)
{
	sim.leaf_hook = fn;
}

void sim_stats(struct sim_stats *out)
{
	out->eenters = __atomic_load_n(&sim.stats.eenters, __ATOMIC_RELAXED);
	out->eexits = __atomic_load_n(&sim.stats.eexits, __ATOMIC_RELAXED);
	out->aexs = __atomic_load_n(&sim.stats.aexs, __ATOMIC_RELAXED);
	out->eresumes = __atomic_load_n(&sim.stats.eresumes, __ATOMIC_RELAXED);
}

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* ---- EENTER ------------------------------------------------------------------------ */

static bool tcs_take(struct sim_tcs *tc)
{
	int free = 0;
	return __atomic_compare_exchange_n(&tc->busy, &free, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void tcs_drop(struct sim_tcs *tc)
{
	__atomic_store_n(&tc->busy, 0, __ATOMIC_RELEASE);
}

_Static_assert(__builtin_offsetof(struct sim_call, tcs) == 8 && __builtin_offsetof(struct sim_call, rdi) == 16 &&
		       __builtin_offsetof(struct sim_call, r9) == 48 && __builtin_offsetof(struct sim_call, cssa) == 56,
	       "struct sim_call and enclu.S disagree");

/* enclu.S, at its EENTER: the checks and state changes of ENCLU[EENTER]
 * (SDM EENTER) before the jump. Returns OENTRY's address or -error. */
long sim_eenter_prepare(struct sim_call *c, uint64_t ursp, uint64_t urbp, uint64_t aep);
long sim_eenter_prepare(struct sim_call *c, uint64_t ursp, uint64_t urbp, uint64_t aep)
{
	struct sim_thread *t = c->thread;
	struct sim_tcs *tc;

	if (sim.state != SIM_INITIALIZED || !t || t->tcs || !(tc = tcs_at(c->tcs)))
		return -SIM_EINVAL;
	if (!tcs_take(tc))
		return -SIM_EBUSY;
	if (tc->cssa >= tc->nssa) {
		tcs_drop(tc);
		return -SIM_ENOSSA;
	}
	uint8_t *gpr = ssa_gpr(tc, tc->cssa);
	sgx_put_le64(gpr + GPR_URSP, ursp);
	sgx_put_le64(gpr + GPR_URBP, urbp);
	tc->aep = aep;
	sim.entered = true;
	tc->fsbase = tc->ofsbase;
	tc->gsbase = tc->ogsbase;
	t->tcs = tc; /* from here a signal finds the thread inside */
	set_fs_gs(t, tc->fsbase, tc->gsbase);
	c->cssa = tc->cssa;
	count(&sim.stats.eenters);
	return (long)tc->oentry;
}

/* ---- the signal handler: EEXIT, ERESUME, AEX --------------------------------------- */

#define FP_MAGIC1 0x46505853u
#define FP_SW 464      /* software bytes of the legacy area (the kernel's) */
#define FP_MXCSR 24
#define FP_MXCSR_MASK 28
#define XS_BV 512
#define XS_COMP 520

static bool fp_has_xsave(const uint8_t *fp)
{
	return fp && sgx_le32(fp + FP_SW) == FP_MAGIC1;
}

/* AEX: the XFRM components of the interrupted context into the SSA frame's
 * XSAVE area (standard format), then their INIT state in the signal frame,
 * which the kernel loads when the handler returns (SDM 40.3.2). */
static void xsave_to_ssa(uint8_t *xs, uint8_t *fp)
{
	memset(xs, 0, 512 + 64);
	if (!fp) {
		sgx_put_le16(xs, 0x37f);
		sgx_put_le32(xs + FP_MXCSR, 0x1f80);
		return;
	}
	memcpy(xs, fp, FP_SW);
	uint64_t bv = SGX_XFRM_LEGACY;
	if (fp_has_xsave(fp)) {
		uint32_t xsize = sgx_le32(fp + FP_SW + 16);
		bv = sgx_le64(fp + XS_BV) & sim.xfrm;
		for (unsigned i = 2; i < 64; i++)
			if ((bv >> i) & 1) {
				if (sim.comp_off[i] + sim.comp_size[i] > xsize)
					bv &= ~(1ULL << i);
				else
					memcpy(xs + sim.comp_off[i], fp + sim.comp_off[i], sim.comp_size[i]);
			}
		sgx_put_le64(fp + XS_BV, sgx_le64(fp + XS_BV) & ~sim.xfrm);
	}
	sgx_put_le64(xs + XS_BV, bv);
	uint32_t mask = sgx_le32(fp + FP_MXCSR_MASK);
	memset(fp, 0, FP_SW);
	sgx_put_le16(fp, 0x37f);
	sgx_put_le32(fp + FP_MXCSR, 0x1f80);
	sgx_put_le32(fp + FP_MXCSR_MASK, mask);
}

/* ERESUME: the SSA's XSAVE area back into the signal frame, after the
 * checks XRSTOR makes (its #GP is ERESUME's). */
static bool xsave_from_ssa(const uint8_t *xs, uint8_t *fp)
{
	uint64_t bv = sgx_le64(xs + XS_BV);
	if ((bv & ~sim.xfrm) || sgx_le64(xs + XS_COMP))
		return false;
	for (unsigned i = 528; i < 576; i++)
		if (xs[i])
			return false;
	if (!fp)
		return bv == 0;
	uint32_t mask = sgx_le32(fp + FP_MXCSR_MASK);
	if (sgx_le32(xs + FP_MXCSR) & ~mask)
		return false;
	memcpy(fp, xs, FP_SW);
	sgx_put_le32(fp + FP_MXCSR_MASK, mask);
	if (fp_has_xsave(fp)) {
		uint32_t xsize = sgx_le32(fp + FP_SW + 16);
		for (unsigned i = 2; i < 64; i++)
			if ((bv >> i) & 1) {
				if (sim.comp_off[i] + sim.comp_size[i] > xsize)
					return false;
				memcpy(fp + sim.comp_off[i], xs + sim.comp_off[i], sim.comp_size[i]);
			}
		sgx_put_le64(fp + XS_BV, (sgx_le64(fp + XS_BV) & ~sim.xfrm) | bv);
	} else if ((bv & SGX_XFRM_LEGACY) != SGX_XFRM_LEGACY) {
		return false; /* an FXSAVE frame cannot say "initial state" */
	}
	return true;
}

static struct sim_thread *current_thread(void)
{
	uint64_t sp = (uint64_t)__builtin_frame_address(0) & ~(uint64_t)(THREAD_BLOCK - 1);
	unsigned n = __atomic_load_n(&sim.nthreads, __ATOMIC_ACQUIRE);
	if (n > MAX_THREADS)
		n = MAX_THREADS;
	for (unsigned i = 0; i < n; i++) {
		struct sim_thread *t = __atomic_load_n(&sim.threads[i], __ATOMIC_ACQUIRE);
		if ((uint64_t)t == sp)
			return t;
	}
	return NULL;
}

/* A fault the host cannot hand to the enclave: say so, restore the default
 * action and send the signal again, so that the process dies of it (with a
 * core, where enabled) once the handler returns. */
static void host_fault(int sig, uint64_t rip, const char *what)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	put("sgx-sim: ");
	put(what);
	put(" (signal ");
	put_hex((uint64_t)sig);
	put(" at ");
	put_hex(rip);
	put(")\n");
	sys(__NR_rt_sigaction, sig, &dfl, 0, 8, 0, 0);
	sys(__NR_kill, sys(__NR_getpid, 0, 0, 0, 0, 0, 0), sig, 0, 0, 0, 0);
}

/* EEXIT and AEX: the TCS free, the thread out of enclave mode, and the
 * host's FS/GS back, unless they are switched lazily (SIM_FAST_TLS): then
 * the enclave's stay loaded until the host asks for its own
 * (sim_host_tls) or a host signal handler runs. */
static void leave_enclave(struct sim_thread *t, struct sim_tcs *tc)
{
	if (!(sim.mode & SIM_FAST_TLS))
		set_fs_gs(t, t->host_fsbase, t->host_gsbase);
	t->tcs = NULL;
	tcs_drop(tc);
}

static int exception_vector(int sig, const siginfo_t *si, const struct sigcontext *mc)
{
	switch (sig) {
	case SIGILL:
	case SIGSYS:
		return SGX_VEC_UD;
	case SIGSEGV:
	case SIGBUS:
		return mc->trapno == SGX_VEC_GP ? SGX_VEC_GP : SGX_VEC_PF;
	case SIGFPE:
		return mc->trapno == SGX_VEC_MF || mc->trapno == SGX_VEC_XM ? (int)mc->trapno : SGX_VEC_DE;
	case SIGTRAP:
		return mc->trapno == SGX_VEC_BP ? SGX_VEC_BP : SGX_VEC_DB;
	}
	(void)si;
	return -1;
}

static void aex(struct sim_thread *t, int sig, const siginfo_t *si, struct ucontext *uc, bool fault, int vector)
{
	struct sigcontext *mc = &uc->uc_mcontext;
	struct sim_tcs *tc = t->tcs;
	uint8_t *gpr = ssa_gpr(tc, tc->cssa);
	uint8_t *frame = gpr + SSA_GPR_SIZE - sim.frame_bytes;
	uint8_t *exinfo = gpr - SSA_EXINFO_SIZE;
	uint32_t exitinfo = 0;
	uint64_t rip = mc->rip;

	if (fault && vector < 0)
		vector = exception_vector(sig, si, mc);
	if (sig == SIGSYS && si->si_code == SYS_USER_DISPATCH)
		rip -= 2; /* #UD is raised at the `syscall`, SUD reports after it */
	if (vector == SGX_VEC_PF || vector == SGX_VEC_GP) {
		if (sim.miscselect & SGX_MISC_EXINFO) {
			exitinfo = EXITINFO_VALID | EXITINFO_TYPE_HW << 8 | (uint32_t)vector;
			sgx_put_le64(exinfo + EXINFO_MADDR,
				     vector == SGX_VEC_PF ? (uint64_t)si->si_addr : 0);
			sgx_put_le32(exinfo + EXINFO_ERRCD, (uint32_t)mc->err);
			sgx_put_le32(exinfo + 12, 0);
		}
	} else if (vector >= 0) {
		exitinfo = EXITINFO_VALID | (vector == SGX_VEC_BP ? EXITINFO_TYPE_SW : EXITINFO_TYPE_HW) << 8 |
			   (uint32_t)vector;
	}

	static const struct {
		unsigned off;
		size_t mc;
	} regs[] = {
		{ GPR_RAX, __builtin_offsetof(struct sigcontext, rax) },
		{ GPR_RCX, __builtin_offsetof(struct sigcontext, rcx) },
		{ GPR_RDX, __builtin_offsetof(struct sigcontext, rdx) },
		{ GPR_RBX, __builtin_offsetof(struct sigcontext, rbx) },
		{ GPR_RSP, __builtin_offsetof(struct sigcontext, rsp) },
		{ GPR_RBP, __builtin_offsetof(struct sigcontext, rbp) },
		{ GPR_RSI, __builtin_offsetof(struct sigcontext, rsi) },
		{ GPR_RDI, __builtin_offsetof(struct sigcontext, rdi) },
		{ GPR_R8, __builtin_offsetof(struct sigcontext, r8) },
		{ GPR_R9, __builtin_offsetof(struct sigcontext, r9) },
		{ GPR_R10, __builtin_offsetof(struct sigcontext, r10) },
		{ GPR_R11, __builtin_offsetof(struct sigcontext, r11) },
		{ GPR_R12, __builtin_offsetof(struct sigcontext, r12) },
		{ GPR_R13, __builtin_offsetof(struct sigcontext, r13) },
		{ GPR_R14, __builtin_offsetof(struct sigcontext, r14) },
		{ GPR_R15, __builtin_offsetof(struct sigcontext, r15) },
	};
	for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++) {
		uint64_t *r = (uint64_t *)((uint8_t *)mc + regs[i].mc);
		sgx_put_le64(gpr + regs[i].off, *r);
		*r = 0; /* synthetic state: RDX, RSI, RDI, R8-R15 are 0 */
	}
	sgx_put_le64(gpr + GPR_RFLAGS, mc->eflags);
	sgx_put_le64(gpr + GPR_RIP, rip);
	sgx_put_le32(gpr + GPR_EXITINFO, exitinfo);
	sgx_put_le32(gpr + GPR_EXITINFO + 4, 0);
	sgx_put_le64(gpr + GPR_FSBASE, tc->fsbase);
	sgx_put_le64(gpr + GPR_GSBASE, tc->gsbase);
	xsave_to_ssa(frame, (uint8_t *)mc->fpstate);
	tc->cssa++;

	mc->rax = ENCLU_ERESUME;
	mc->rbx = tc->addr;
	mc->rcx = tc->aep;
	mc->rsp = sgx_le64(gpr + GPR_URSP);
	mc->rbp = sgx_le64(gpr + GPR_URBP);
	mc->rip = tc->aep;
	mc->eflags &= ~(uint64_t)(0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x800 | 0x10000); /* CF PF AF ZF SF OF RF */
	t->event_sig = sig;
	t->event_fault = fault;
	t->aexs++;
	count(&sim.stats.aexs);
	leave_enclave(t, tc);
}

/* ---- EREPORT and EGETKEY ----------------------------------------------------------- */

/* The operands of EREPORT/EGETKEY, checked in the SDM's order: every one
 * aligned and inside ELRANGE, else #GP(0); then each one's page an added
 * REG page with the access (the EPCM's check), else #PF at that address
 * (error code: P when the page exists, W for the output, U, and SGX for an
 * EPCM refusal). Each operand lies in one page (its size is at most its
 * alignment). 0, or the vector with *fault the #PF's address and *errcd. */
struct operand {
	uint64_t addr, align;
	unsigned perm;
};

static int operands_check(const struct operand *o, unsigned n, uint64_t *fault, uint32_t *errcd)
{
	for (unsigned i = 0; i < n; i++)
		if ((o[i].addr & (o[i].align - 1)) || !in_elrange(o[i].addr))
			return SGX_VEC_GP;
	for (unsigned i = 0; i < n; i++) {
		uint8_t p = sim.added[(o[i].addr - sim.base) / SGX_PAGE_SIZE];
		if ((p & 15) != 1 + SGX_PT_REG || ((p >> 4) & o[i].perm) != o[i].perm) {
			*fault = o[i].addr;
			*errcd = 4 | ((o[i].perm & SGX_SECINFO_W) ? 2 : 0) | (p ? 1 | 0x8000 : 0);
			return SGX_VEC_PF;
		}
	}
	return 0;
}

static void leaf_lock(void)
{
	while (__atomic_exchange_n(&sim.leaf_lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void leaf_unlock(void)
{
	__atomic_store_n(&sim.leaf_lock, 0, __ATOMIC_RELEASE);
}

/* ENCLU[EREPORT] (SDM vol. 3D): RBX = TARGETINFO (512-aligned), RCX =
 * REPORTDATA (128-aligned), RDX = the REPORT to write (512-aligned), all
 * in ELRANGE, else #GP. No error code, flags untouched. 0, or the vector
 * of the fault (operands_check). */
static int ereport(struct sigcontext *mc, uint64_t *fault, uint32_t *errcd)
{
	uint8_t ti[SGX_TARGETINFO_SIZE], rd[SGX_REPORTDATA_SIZE], report[SGX_REPORT_SIZE];
	const struct operand o[] = {
		{ mc->rbx, 512, SGX_SECINFO_R },
		{ mc->rcx, 128, SGX_SECINFO_R },
		{ mc->rdx, 512, SGX_SECINFO_R | SGX_SECINFO_W },
	};
	int v = operands_check(o, 3, fault, errcd);
	if (v)
		return v;
	memcpy(ti, (const void *)mc->rbx, sizeof ti); /* read once: other threads share the pages */
	memcpy(rd, (const void *)mc->rcx, sizeof rd);
	leaf_lock();
	sgx_sim_ereport(&sim.aes, &sim.root, &sim.id, ti, rd, report);
	leaf_unlock();
	memcpy((void *)mc->rdx, report, sizeof report);
	return 0;
}

/* ENCLU[EGETKEY]: RBX = KEYREQUEST (512-aligned), RCX = the 16-byte key
 * to write (16-aligned), both in ELRANGE, else #GP; a reserved field set
 * is #GP too. RAX = 0 or the error code, ZF set on error and the key not
 * written; CF, PF, AF, OF, SF cleared. 0, or the vector of the fault. */
static int egetkey(struct sigcontext *mc, uint64_t *fault, uint32_t *errcd)
{
	uint8_t kr[SGX_KEYREQUEST_SIZE], key[16];
	const struct operand o[] = {
		{ mc->rbx, 512, SGX_SECINFO_R },
		{ mc->rcx, 16, SGX_SECINFO_R | SGX_SECINFO_W },
	};
	int v = operands_check(o, 2, fault, errcd);
	if (v)
		return v;
	memcpy(kr, (const void *)mc->rbx, sizeof kr);
	leaf_lock();
	int e = sgx_sim_egetkey(&sim.aes, &sim.root, &sim.id, kr, key);
	leaf_unlock();
	if (e == SGX_SIM_GP)
		return SGX_VEC_GP;
	if (!e)
		memcpy((void *)mc->rcx, key, sizeof key);
	sgx_wipe(key, sizeof key);
	mc->rax = (uint64_t)e;
	mc->eflags &= ~(uint64_t)(0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x800); /* CF PF AF ZF SF OF */
	if (e)
		mc->eflags |= 0x40;
	return 0;
}

int sim_set_root(int fd, const struct sgx_aes128 *aes, const char **why)
{
	uint8_t buf[SGX_SIM_ROOT_FILE_SIZE + 1];
	size_t n = 0;
	long r = 0;
	int ret = -1;

	while (n < sizeof buf && (r = sys(__NR_read, fd, buf + n, sizeof buf - n, 0, 0, 0)) > 0)
		n += (size_t)r;
	sys(__NR_close, fd, 0, 0, 0, 0, 0);
	if (r < 0)
		*why = "cannot read the simulated CPU secret from its descriptor";
	else if (!sgx_sim_root_parse(buf, n, &sim.root, why)) {
		/* CR_REPORT_KEYID: drawn once per boot, here per host process */
		if (sys(__NR_getrandom, sim.root.report_keyid, sizeof sim.root.report_keyid, 0, 0, 0, 0) !=
		    (long)sizeof sim.root.report_keyid)
			*why = "getrandom failed for the REPORT KEYID";
		else {
			sim.aes = *aes;
			sim.have_root = true;
			ret = 0;
		}
	}
	sgx_wipe(buf, sizeof buf);
	return ret;
}

/* ---- the fast variant (SIM_FAST_*) -------------------------------------------------- */

/* The one EEXIT of the entry code (platform/sgx/enclave/entry.S, .Leexit):
 * mov $ENCLU_EEXIT, %eax; add $0, %eax; enclu. */
static const uint8_t eexit_bytes[11] = { 0xb8, ENCLU_EEXIT, 0, 0, 0, 0x83, 0xc0, 0x00, 0x0f, 0x01, 0xd7 };

int sim_fast(unsigned mode, uint64_t eexit_off, const char **why)
{
	if (sim.state != SIM_INITIALIZED)
		FAIL("the fast variant is chosen after EINIT");
	if (mode & ~(unsigned)(SIM_FAST_TLS | SIM_FAST_EEXIT))
		FAIL("unknown SIM_FAST_* bits");
	if (sim.entered)
		FAIL("the fast variant is chosen before the first EENTER (its code is rewritten)");
	if ((mode & SIM_FAST_EEXIT) && !sim.eexit_site) {
		uint64_t off = eexit_off - (sizeof eexit_bytes - 3);
		if (eexit_off < sizeof eexit_bytes - 3 || eexit_off > sim.size - 3 ||
		    off / SGX_PAGE_SIZE != (eexit_off + 2) / SGX_PAGE_SIZE)
			FAIL("the EEXIT site is outside ELRANGE or its bytes cross a page");
		uint8_t p = sim.added[off / SGX_PAGE_SIZE];
		unsigned perm = p >> 4;
		if ((p & 15) != 1 + SGX_PT_REG || !(perm & SGX_SECINFO_X) || !(perm & SGX_SECINFO_R))
			FAIL("the EEXIT site is not in an executable page of the enclave");
		uint8_t *site = (uint8_t *)(sim.base + off);
		if (memcmp(site, eexit_bytes, sizeof eexit_bytes))
			FAIL("the bytes at the EEXIT site are not the entry code's EEXIT (mov $4, %eax; add $0, %eax; enclu)");
		uint8_t *page = (uint8_t *)(sim.base + (off & ~(uint64_t)(SGX_PAGE_SIZE - 1)));
		int prot = PROT_READ | PROT_EXEC | ((perm & SGX_SECINFO_W) ? PROT_WRITE : 0);
		if (sys(__NR_mprotect, page, SGX_PAGE_SIZE, PROT_READ | PROT_WRITE, 0, 0, 0))
			FAIL("mprotect of the EEXIT site's page failed");
		/* jmp *%rbx; nop: to the EEXIT target, where the host's landing
		 * (enclu.S, .Lafter) does the rest of EEXIT */
		site[8] = 0xff;
		site[9] = 0xe3;
		site[10] = 0x90;
		if (sys(__NR_mprotect, page, SGX_PAGE_SIZE, prot, 0, 0, 0))
			FAIL("mprotect of the EEXIT site's page failed");
		sim.eexit_site = sim.base + eexit_off;
	}
	sim.mode = mode;
	return 0;
}

void sim_host_tls(struct sim_thread *t)
{
	set_fs_gs(t, t->host_fsbase, t->host_gsbase);
}

/* enclu.S, where every EEXIT lands (.Lafter): after the rewritten EEXIT
 * the thread is still in enclave mode, and the rest of the leaf (the TCS
 * free, the thread out of enclave mode, counted) is done here; after a
 * trapped one the handler did it already. */
void sim_eexit_landed(struct sim_call *c);
void sim_eexit_landed(struct sim_call *c)
{
	struct sim_thread *t = c->thread;
	struct sim_tcs *tc = t->tcs;

	if (!tc)
		return;
	t->exits++;
	count(&sim.stats.eexits);
	leave_enclave(t, tc);
}

/* ENCLU executed inside the enclave: 0 when the leaf was performed, else
 * the vector of the exception it raises (#PF: *fault, *errcd). */
static int enclave_enclu(struct sim_thread *t, struct sigcontext *mc, uint64_t *fault, uint32_t *errcd)
{
	struct sim_tcs *tc = t->tcs;
	uint64_t leaf = mc->rax;

	if (leaf == ENCLU_EEXIT) {
		uint64_t target = mc->rbx;
		if (in_elrange(target) || (uint64_t)((int64_t)(target << 16) >> 16) != target) {
			/* hardware: #GP if not canonical; inside ELRANGE the next fetch
			 * gets abort-page bytes. Both kill the host thread here. */
			host_fault(SIGILL, mc->rip, "EEXIT to an address inside ELRANGE or not canonical");
			return 0;
		}
		mc->rip = target;
		mc->rcx = tc->aep;
		t->exits++;
		count(&sim.stats.eexits);
		leave_enclave(t, tc);
		return 0;
	}
	if (leaf == ENCLU_EREPORT || leaf == ENCLU_EGETKEY) {
		uint64_t rax = mc->rax;
		if (sim.leaf_hook) {
			if (sim.leaf_hook(leaf, mc->rbx, mc->rcx, mc->rdx, &rax))
				return SGX_VEC_GP;
			mc->rax = rax;
			mc->rip += 3;
			return 0;
		}
		if (!sim.have_root) {
			put("sgx-sim: EREPORT/EGETKEY without the simulated CPU secret (sim_set_root): #GP\n");
			return SGX_VEC_GP;
		}
		int v = leaf == ENCLU_EREPORT ? ereport(mc, fault, errcd) : egetkey(mc, fault, errcd);
		if (v)
			return v;
		mc->rip += 3;
		return 0;
	}
	return SGX_VEC_GP; /* EENTER/ERESUME inside, or an unknown leaf: #GP as on hardware */
}

/* ENCLU[ERESUME] at the AEP (enclu.S). */
static void eresume(struct sim_thread *t, struct ucontext *uc)
{
	struct sigcontext *mc = &uc->uc_mcontext;
	struct sim_tcs *tc = tcs_at(mc->rbx);
	long err = -SIM_EINVAL;

	if (sim.state != SIM_INITIALIZED || !tc || t->tcs)
		goto fail;
	err = -SIM_EBUSY;
	if (!tcs_take(tc))
		goto fail;
	err = -SIM_ENOSSA;
	if (tc->cssa == 0)
		goto drop;
	uint8_t *gpr = ssa_gpr(tc, tc->cssa - 1);
	err = -SIM_EINVAL;
	if (!xsave_from_ssa(gpr + SSA_GPR_SIZE - sim.frame_bytes, (uint8_t *)mc->fpstate))
		goto drop;
	uint64_t aep = mc->rcx;
	mc->rax = sgx_le64(gpr + GPR_RAX);
	mc->rcx = sgx_le64(gpr + GPR_RCX);
	mc->rdx = sgx_le64(gpr + GPR_RDX);
	mc->rbx = sgx_le64(gpr + GPR_RBX);
	mc->rsp = sgx_le64(gpr + GPR_RSP);
	mc->rbp = sgx_le64(gpr + GPR_RBP);
	mc->rsi = sgx_le64(gpr + GPR_RSI);
	mc->rdi = sgx_le64(gpr + GPR_RDI);
	mc->r8 = sgx_le64(gpr + GPR_R8);
	mc->r9 = sgx_le64(gpr + GPR_R9);
	mc->r10 = sgx_le64(gpr + GPR_R10);
	mc->r11 = sgx_le64(gpr + GPR_R11);
	mc->r12 = sgx_le64(gpr + GPR_R12);
	mc->r13 = sgx_le64(gpr + GPR_R13);
	mc->r14 = sgx_le64(gpr + GPR_R14);
	mc->r15 = sgx_le64(gpr + GPR_R15);
	mc->eflags = sgx_le64(gpr + GPR_RFLAGS); /* the kernel keeps only user-settable bits */
	mc->rip = sgx_le64(gpr + GPR_RIP);
	tc->cssa--;
	tc->aep = aep;
	tc->fsbase = sgx_le64(gpr + GPR_FSBASE);
	tc->gsbase = sgx_le64(gpr + GPR_GSBASE);
	t->tcs = tc;
	set_fs_gs(t, tc->fsbase, tc->gsbase);
	count(&sim.stats.eresumes);
	return;
drop:
	tcs_drop(tc);
fail:
	mc->rax = (uint64_t)err;
	mc->rip += 3;
	t->eresume_fail++;
}

extern const char sim_eresume_enclu[];

static bool is_fault(int sig, const siginfo_t *si)
{
	return si->si_code > 0 && (sig == SIGILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
				   sig == SIGTRAP || sig == SIGSYS);
}

static void handler(int sig, siginfo_t *si, void *ucv)
{
	struct ucontext *uc = ucv;
	struct sigcontext *mc = &uc->uc_mcontext;
	struct sim_thread *t = current_thread();
	bool fault = is_fault(sig, si);
	uint64_t rip = mc->rip;

	if (t)
		t->signals++;

	if (sim.size && in_elrange(rip)) {
		if (!t || !t->tcs) {
			host_fault(sig, rip, "a signal inside ELRANGE on a thread not in enclave mode");
			return;
		}
		if (sig == SIGILL && fault) {
			const uint8_t *i = (const uint8_t *)rip;
			if (i[0] == 0x0f && i[1] == 0x01 && i[2] == 0xd7) {
				uint64_t addr = 0;
				uint32_t errcd = 0;
				int v = enclave_enclu(t, mc, &addr, &errcd);
				if (!v)
					return;
				siginfo_t pf = *si; /* the #PF's address and error code, as the kernel would give them */
				if (v == SGX_VEC_PF) {
					pf.si_addr = (void *)addr;
					mc->err = errcd;
				}
				aex(t, sig, &pf, uc, true, v);
				return;
			}
		}
		aex(t, sig, si, uc, fault, -1);
		return;
	}
	if (sig == SIGILL && fault && t && rip == (uint64_t)sim_eresume_enclu && mc->rax == ENCLU_ERESUME) {
		eresume(t, uc);
		return;
	}
	if (fault) {
		host_fault(sig, rip,
			   sig == SIGSYS ? "a system call outside the host's text" : "a fault in the host's code");
		return;
	}
	/* asynchronous, for the host: with its own %fs, even when it came
	 * between EENTER's switch and the jump */
	if (sim.host_signal) {
		if (!t) {
			sim.host_signal(sig);
			return;
		}
		uint64_t fs = t->fs, gs = t->gs;
		set_fs_gs(t, t->host_fsbase, t->host_gsbase);
		sim.host_signal(sig);
		set_fs_gs(t, fs, gs);
	}
}

int sim_install(uint64_t text_lo, uint64_t text_hi, sim_host_signal_fn host_signal, const int *sigs,
		const char **why)
{
	static const int faults[] = { SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP, SIGSYS, 0 };
	struct sigaction sa = {
		.sa_handler = (__sighandler_t)(void *)handler,
		.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		.sa_restorer = sim_restorer,
		.sa_mask = ~0UL,
	};

	sim.text_lo = text_lo;
	sim.text_hi = text_hi;
	sim.host_signal = host_signal;
	for (const int *s = faults; *s; s++)
		if (sys(__NR_rt_sigaction, *s, &sa, 0, 8, 0, 0))
			FAIL("rt_sigaction failed");
	for (const int *s = sigs; s && *s; s++)
		if (sys(__NR_rt_sigaction, *s, &sa, 0, 8, 0, 0))
			FAIL("rt_sigaction failed for a host signal");
	return 0;
}

/* ---- host threads -------------------------------------------------------------------- */

struct sim_thread *sim_thread_init(const char **why)
{
	struct sim_thread *t = map_aligned(THREAD_BLOCK, PROT_READ | PROT_WRITE);
	*why = NULL;
	if (!t) {
		*why = "cannot map a thread's signal stack";
		return NULL;
	}
	*t = (struct sim_thread){ .self = t };
	stack_t ss = { .ss_sp = (uint8_t *)t + SGX_PAGE_SIZE, .ss_size = THREAD_BLOCK - SGX_PAGE_SIZE };
	if (sys(__NR_sigaltstack, &ss, 0, 0, 0, 0, 0)) {
		*why = "sigaltstack failed";
		goto fail;
	}
	sys(__NR_arch_prctl, ARCH_GET_FS, &t->host_fsbase, 0, 0, 0, 0);
	sys(__NR_arch_prctl, ARCH_GET_GS, &t->host_gsbase, 0, 0, 0, 0);
	t->fs = t->host_fsbase;
	t->gs = t->host_gsbase;
	/* SUD: system calls from outside the host's text raise SIGSYS; there is
	 * no selector byte, so nothing in ELRANGE can turn it off */
	if (sys(__NR_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, sim.text_lo, sim.text_hi - sim.text_lo,
		0, 0)) {
		*why = "syscall user dispatch (prctl, Linux 5.11+) is not available";
		goto fail;
	}
	/* a slot is claimed, then filled: a reader (the handler of this same
	 * thread, or another's, which skips it) may see it empty, never torn */
	unsigned n = __atomic_fetch_add(&sim.nthreads, 1, __ATOMIC_ACQ_REL);
	if (n >= MAX_THREADS) {
		*why = "more than 4096 host threads";
		goto fail;
	}
	__atomic_store_n(&sim.threads[n], t, __ATOMIC_RELEASE);
	return t;
fail:
	sys(__NR_munmap, t, THREAD_BLOCK, 0, 0, 0, 0);
	return NULL;
}

void sim_thread_fini(struct sim_thread *t)
{
	stack_t ss = { .ss_flags = SS_DISABLE };
	sys(__NR_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0);
	sys(__NR_sigaltstack, &ss, 0, 0, 0, 0, 0);
	/* the block stays listed and mapped: a late signal may still look it up */
	(void)t;
}

/* ---- the host's TCS allocation ---------------------------------------------------------- */

int sim_tcs_acquire(void)
{
	for (unsigned i = 0; i < sim.ntcs; i++) {
		int free = 0;
		if (__atomic_compare_exchange_n(&sim.tcs[i].owner, &free, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return (int)i;
	}
	return -SIM_EAGAIN;
}

void sim_tcs_release(int i)
{
	if (i >= 0 && (unsigned)i < sim.ntcs)
		__atomic_store_n(&sim.tcs[i].owner, 0, __ATOMIC_RELEASE);
}
