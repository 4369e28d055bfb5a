/*
 * driver.c - the hardware path: an enclave built with the Linux in-kernel
 * SGX driver's ioctls and initialised with its SIGSTRUCT (driver.h).
 *
 * What the kernel does with each ioctl is in arch/x86/kernel/cpu/sgx/ioctl.c
 * and Documentation/arch/x86/sgx.rst; what the CPU checks is the SDM's
 * ECREATE, EADD, EEXTEND and EINIT. docs/platforms.md reviews this file
 * against both, step by step. In short:
 *
 *   - Everything we can check before the ioctls, we check, so that a bad
 *     manifest or a CPU that lacks something gets a sentence instead of the
 *     driver's bare EINVAL or EIO (ECREATE faults become EIO).
 *   - ADD_PAGES takes a run of pages with one SECINFO and one MEASURE flag
 *     from a page-aligned source. The layout hands us one page at a time,
 *     and its data pointer is good only during the call, so pages are copied
 *     into a staging buffer and consecutive pages with equal SECINFO, flag
 *     and kind (data or zeros) go in one call; zero pages come from a
 *     mapping never written. The order of the EADDs is the layout's, which
 *     is what MRENCLAVE measures.
 *   - The driver may add fewer pages than asked (a signal arrived, or
 *     rescheduling): it returns 0 with `count` short, and we go on from
 *     there; -EINTR means nothing was added and is simply retried.
 *   - The in-kernel driver reports any EINIT error code as -EPERM and keeps
 *     the code to itself (pr_debug). Out-of-tree drivers return the code as
 *     a positive value. We map a code to its sentence, and for -EPERM we
 *     check, ourselves, what EINIT checks that we can: the SIGSTRUCT's
 *     fields, the measurement (replayed while adding, when given SHA-256),
 *     the attributes under the SIGSTRUCT's masks, and Q1/Q2.
 *   - ELRANGE is mapped from the enclave fd after EINIT, one mapping per run
 *     of contiguous pages with the same permissions, as the kernel's
 *     selftests do; a second walk of the page list finds the runs, so that
 *     nothing here needs a table sized by the layout.
 */
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "../../../common/cstring.h"
#include "driver.h"

#define PAGE SGX_PAGE_SIZE

/* Retries of an ioctl that made no progress (EINTR, EAGAIN, or EINIT's
 * SGX_UNMASKED_EVENT) before we give up: each one means a signal or an
 * interrupt arrived before any work, so a real kernel never comes near it;
 * it keeps a driver that always says "again" from hanging the start. */
#define STALL_LIMIT 65536u

static bool is_err(long r)
{
	return r < 0 && r >= -4095;
}

/* ---- the CPU ------------------------------------------------------------------ */

int sgxhw_check_cpu(const struct sgxhw_ops *ops, struct sgxhw_cpu *cpu, const char **why)
{
	uint32_t r[4];

	ops->cpuid(ops->ctx, 0, 0, r);
	/* "GenuineIntel" in EBX, EDX, ECX */
	if (r[1] != 0x756e6547 || r[3] != 0x49656e69 || r[2] != 0x6c65746e) {
		*why = "this CPU is not an Intel CPU, and SGX is Intel's";
		return -ENODEV;
	}
	if (r[0] < 0x12) {
		*why = "this CPU has no SGX leaf (CPUID 12H): it has no SGX, or SGX is disabled in the BIOS";
		return -ENODEV;
	}
	ops->cpuid(ops->ctx, 7, 0, r);
	if (!(r[1] & 1u << 2)) {
		*why = "this CPU does not report SGX (CPUID.(EAX=7,ECX=0):EBX[2]): enable SGX in the BIOS, or use a "
		       "machine with SGX";
		return -ENODEV;
	}
	if (!(r[2] & 1u << 30)) {
		*why = "this CPU lacks SGX flexible launch control (SGX_LC, CPUID.(EAX=7,ECX=0):ECX[30]), which "
		       "Coffer needs to launch enclaves without a launch token";
		return -ENODEV;
	}
	ops->cpuid(ops->ctx, 0x12, 0, r);
	if (!(r[0] & 1u << 0)) {
		*why = "this CPU does not report the SGX1 instructions (CPUID.(EAX=12H,ECX=0):EAX[0])";
		return -ENODEV;
	}
	if (!(r[0] & 1u << 1)) {
		*why = "this CPU lacks SGX2 (CPUID.(EAX=12H,ECX=0):EAX[1]), which Coffer needs";
		return -ENODEV;
	}
	cpu->misc_valid = r[1];
	cpu->max_size_log2 = (r[3] >> 8) & 0xff;
	ops->cpuid(ops->ctx, 0x12, 1, r);
	cpu->attr_valid = r[0] | (uint64_t)r[1] << 32;
	cpu->xfrm_valid = r[2] | (uint64_t)r[3] << 32;
	ops->cpuid(ops->ctx, 1, 0, r);
	cpu->xcr0 = r[2] & 1u << 27 ? ops->xgetbv0(ops->ctx) : 3; /* OSXSAVE */
	return 0;
}

/* ---- SECS ---------------------------------------------------------------------- */

void sgxhw_secs(uint8_t out[SGX_PAGE_SIZE], uint64_t base, const struct sgxhw_params *p)
{
	memset(out, 0, SECS_SIZE_BYTES);
	sgx_put_le64(out + SECS_SIZE, p->size);
	sgx_put_le64(out + SECS_BASEADDR, base);
	sgx_put_le32(out + SECS_SSAFRAMESIZE, p->ssaframesize);
	sgx_put_le32(out + SECS_MISCSELECT, p->miscselect);
	sgx_put_le64(out + SECS_ATTRIBUTES, p->attributes);
	sgx_put_le64(out + SECS_XFRM, p->xfrm);
	/* MRENCLAVE, MRSIGNER, CONFIGID, ISVPRODID, ISVSVN, CONFIGSVN: zero.
	 * ECREATE starts MRENCLAVE itself; EINIT fills MRSIGNER and the
	 * product values from the SIGSTRUCT; CONFIGID needs KSS. */
}

/* Attribute bits we allow: DEBUG, MODE64BIT, KSS. INIT is set by EINIT
 * (ECREATE faults on it); PROVISIONKEY needs the kernel's permission
 * (SGX_IOC_ENCLAVE_PROVISION with /dev/sgx_provision), which only
 * quoting enclaves need; EINITTOKENKEY is for Intel's launch enclave. */
#define ATTR_ALLOWED (SGX_FLAGS_DEBUG | SGX_FLAGS_MODE64BIT | SGX_FLAGS_KSS)

static int check_params(const struct sgxhw_ops *ops, const struct sgxhw_cpu *cpu, const struct sgxhw_params *p,
			const char **why)
{
	struct sgx_sigstruct s;

	if (p->size < 2 * PAGE || (p->size & (p->size - 1))) {
		*why = "the enclave size must be a power of two of at least two pages";
		return -EINVAL;
	}
	/* 2^46 keeps twice the size (the reservation) inside a 47-bit address space */
	if (p->size > (1ull << 46) || (cpu->max_size_log2 < 64 && p->size > (1ull << cpu->max_size_log2))) {
		*why = "the enclave size is larger than this CPU allows (CPUID.(EAX=12H,ECX=0):EDX[15:8])";
		return -EINVAL;
	}
	if (!(p->attributes & SGX_FLAGS_MODE64BIT) || (p->attributes & SGX_FLAGS_INIT)) {
		*why = "the enclave's ATTRIBUTES must have MODE64BIT set and INIT clear";
		return -EINVAL;
	}
	if (p->attributes & ~ATTR_ALLOWED) {
		*why = "the enclave's ATTRIBUTES ask for PROVISIONKEY, EINITTOKENKEY or a reserved bit, which Coffer "
		       "does not launch";
		return -EINVAL;
	}
	if (p->attributes & ~cpu->attr_valid) {
		*why = "the enclave's ATTRIBUTES have a bit this CPU does not support (CPUID.(EAX=12H,ECX=1):EAX/EBX)";
		return -EINVAL;
	}
	/* XCR0's rules (SDM vol. 1, 13.3), which ECREATE applies to XFRM */
	const char *xf = sgx_xfrm_fault(p->xfrm);
	if (xf) {
		*why = xf;
		return -EINVAL;
	}
	if (p->xfrm & ~cpu->xfrm_valid) {
		*why = "the enclave's XFRM is not a set of XSAVE features this CPU allows in an enclave "
		       "(CPUID.(EAX=12H,ECX=1):ECX/EDX)";
		return -EINVAL;
	}
	/* EENTER requires XFRM to be a subset of XCR0 */
	if (p->xfrm & ~cpu->xcr0) {
		*why = "the enclave's XFRM has XSAVE features this kernel has not enabled (XCR0), so EENTER would "
		       "fail";
		return -EINVAL;
	}
	/* Linux keeps AMX disabled (XFD) until the process asks for it
	 * (arch_prctl ARCH_REQ_XCOMP_PERM, 5.16+); without that, EENTER with
	 * AMX in XFRM raises #NM. Not asked for yet, so not allowed. */
	if (p->xfrm & (3ull << 17)) {
		*why = "the enclave's XFRM has AMX, which needs a permission request to the kernel that Coffer does "
		       "not make yet";
		return -EINVAL;
	}
	if ((p->miscselect & ~1u) || (p->miscselect & ~cpu->misc_valid)) {
		*why = "the enclave's MISCSELECT has a bit other than EXINFO, or one this CPU does not support";
		return -EINVAL;
	}
	/* the frame holds the XSAVE area at this CPU's offsets (CPUID leaf
	 * 0DH), MISC and GPRSGX: the layout's check, shared with sgx-sim */
	if (layout_ssa_check_cpu(p->xfrm, p->miscselect, p->ssaframesize, ops->cpuid, ops->ctx, why))
		return -EINVAL;
	if (!p->walk) {
		*why = "no page list was given for the enclave";
		return -EINVAL;
	}
	if (!p->sigstruct) {
		*why = "no SIGSTRUCT was given for the enclave";
		return -EINVAL;
	}
	if (sgx_sigstruct_parse(p->sigstruct, SIGSTRUCT_SIZE, &s, why))
		return -EINVAL;
	return 0;
}

/* ---- adding pages ------------------------------------------------------------ */

/* The scratch mapping: the SECS page, the SECINFO page, the staging pages,
 * then zero pages that are never written. */
#define SCRATCH_SECS 0
#define SCRATCH_SECINFO PAGE
#define SCRATCH_STAGING (2 * PAGE)
#define SCRATCH_ZEROS (SCRATCH_STAGING + SGXHW_BATCH_PAGES * PAGE)
#define SCRATCH_LEN (SCRATCH_ZEROS + SGXHW_BATCH_PAGES * PAGE)

struct adder {
	struct sgxhw_enclave *e;
	uint8_t *scratch;
	uint64_t start;   /* the batch: offset of its first page */
	uint32_t n;       /* pages in it */
	uint64_t secinfo; /* and what they share */
	bool measure, zero;
	struct sgx_measure m;
	bool measuring;
	const char *why;
};

static int add_error(long r, const char **why)
{
	switch (r) {
	case -ENOMEM:
		*why = "the driver is out of EPC memory for the enclave's pages (ENCLAVE_ADD_PAGES: ENOMEM)";
		break;
	case -EIO:
		*why = "EADD or EEXTEND failed in the driver (ENCLAVE_ADD_PAGES: EIO): the CPU refused a page (a TCS "
		       "with invalid fields) or the EPC was lost, e.g. after a suspend";
		break;
	case -EACCES:
		*why = "the driver refused the pages' source as not executable (ENCLAVE_ADD_PAGES: EACCES)";
		break;
	case -EBUSY:
		*why = "the driver refused a page as already added, or was busy (ENCLAVE_ADD_PAGES: EBUSY)";
		break;
	case -EINVAL:
		*why = "the driver refused the page arguments (ENCLAVE_ADD_PAGES: EINVAL)";
		break;
	default:
		*why = "ENCLAVE_ADD_PAGES failed";
		break;
	}
	return r < 0 ? (int)r : -EIO;
}

static int flush(struct adder *a)
{
	struct sgxhw_enclave *e = a->e;
	uint8_t *secinfo = a->scratch + SCRATCH_SECINFO;
	uint64_t src = (uintptr_t)(a->scratch + (a->zero ? SCRATCH_ZEROS : SCRATCH_STAGING));
	uint64_t len = (uint64_t)a->n * PAGE, done = 0;
	unsigned stalls = 0;

	if (!a->n)
		return 0;
	memset(secinfo, 0, SECINFO_SIZE);
	sgx_put_le64(secinfo, a->secinfo);
	while (done < len) {
		struct sgxhw_enclave_add_pages arg = {
			.src = src + done,
			.offset = a->start + done,
			.length = len - done,
			.secinfo = (uintptr_t)secinfo,
			.flags = a->measure ? SGXHW_PAGE_MEASURE : 0,
			.count = 0,
		};
		long r = e->ops->ioctl(e->ops->ctx, e->fd, SGXHW_IOC_ENCLAVE_ADD_PAGES, &arg);
		e->ioctls++;
		if (arg.count > arg.length || arg.count % PAGE) {
			a->why = "the driver reported more pages added than asked, or part of a page "
				 "(ENCLAVE_ADD_PAGES count)";
			return -EIO;
		}
		done += arg.count;
		if (arg.count)
			stalls = 0;
		if (r == -EINTR || r == -EAGAIN || (r == 0 && !arg.count)) {
			if (!arg.count && ++stalls > STALL_LIMIT) {
				a->why = "the driver made no progress adding pages (ENCLAVE_ADD_PAGES)";
				return -EIO;
			}
			continue;
		}
		if (r != 0)
			return add_error(r, &a->why);
	}
	e->pages += a->n;
	a->n = 0;
	return 0;
}

static bool secinfo_ok(uint64_t f)
{
	uint64_t perm = f & SGX_SECINFO_PERM_MASK, type = f & SGX_SECINFO_TYPE_MASK;

	if (f & ~(SGX_SECINFO_PERM_MASK | SGX_SECINFO_TYPE_MASK))
		return false;
	if (type == SGX_SECINFO_TCS)
		return perm == 0; /* the CPU zeroes a TCS's permissions: the measurement must say 0 */
	return type == SGX_SECINFO_REG && (!(perm & SGX_SECINFO_W) || (perm & SGX_SECINFO_R));
}

static int add_page(void *ctx, const struct layout_page *pg)
{
	struct adder *a = ctx;
	bool zero = pg->data == NULL;

	if (pg->offset % PAGE || pg->offset >= a->e->size) {
		a->why = "the layout gave a page outside ELRANGE or not page aligned";
		return -EINVAL;
	}
	if (!secinfo_ok(pg->secinfo)) {
		a->why = "the layout gave a page a SECINFO the driver refuses (type REG or TCS, W only with R, TCS "
			 "without permissions)";
		return -EINVAL;
	}
	if (a->n && (pg->offset != a->start + (uint64_t)a->n * PAGE || pg->secinfo != a->secinfo ||
		     pg->measure != a->measure || zero != a->zero || a->n == SGXHW_BATCH_PAGES)) {
		int r = flush(a);
		if (r)
			return r;
	}
	if (!a->n) {
		a->start = pg->offset;
		a->secinfo = pg->secinfo;
		a->measure = pg->measure;
		a->zero = zero;
	}
	if (!zero)
		memcpy(a->scratch + SCRATCH_STAGING + (uint64_t)a->n * PAGE, pg->data, PAGE);
	a->n++;
	if (a->measuring)
		sgx_measure_add_page(&a->m, pg->offset, pg->secinfo, pg->data, pg->measure);
	return 0;
}

/* ---- mapping ------------------------------------------------------------------ */

struct mapper {
	struct sgxhw_enclave *e;
	uint64_t start, end; /* the run */
	int prot;
	const char *why;
};

static int page_prot(uint64_t secinfo)
{
	/* The driver caps a TCS at read-write, a regular page at its SECINFO
	 * permissions, whose bits are PROT_READ, PROT_WRITE, PROT_EXEC. */
	if ((secinfo & SGX_SECINFO_TYPE_MASK) == SGX_SECINFO_TCS)
		return PROT_READ | PROT_WRITE;
	return (int)(secinfo & SGX_SECINFO_PERM_MASK);
}

static int map_run(struct mapper *mp)
{
	struct sgxhw_enclave *e = mp->e;

	if (mp->end == mp->start)
		return 0;
	uintptr_t at = (uintptr_t)(e->base + mp->start);
	long r = e->ops->mmap(e->ops->ctx, at, mp->end - mp->start, mp->prot, MAP_SHARED | MAP_FIXED, e->fd, 0);
	if (r != (long)at) {
		mp->why = "mapping the enclave's pages from /dev/sgx_enclave failed";
		return is_err(r) ? (int)r : -EIO;
	}
	mp->start = mp->end;
	return 0;
}

static int map_page(void *ctx, const struct layout_page *pg)
{
	struct mapper *mp = ctx;
	int prot = page_prot(pg->secinfo);

	if (pg->offset != mp->end || prot != mp->prot) {
		int r = map_run(mp);
		if (r)
			return r;
		mp->start = mp->end = pg->offset;
		mp->prot = prot;
	}
	mp->end += PAGE;
	return 0;
}

/* ---- EINIT --------------------------------------------------------------------- */

const char *sgxhw_einit_reason(long code)
{
	switch (code) {
	case SGX_INVALID_SIG_STRUCT:
		return "EINIT refused the SIGSTRUCT: one of its fields is invalid (SGX_INVALID_SIG_STRUCT)";
	case SGX_INVALID_ATTRIBUTE:
		return "EINIT refused the enclave: its ATTRIBUTES, XFRM or MISCSELECT differ from the SIGSTRUCT's "
		       "under its masks, or ask for what this CPU does not allow (SGX_INVALID_ATTRIBUTE)";
	case SGX_INVALID_MEASUREMENT:
		return "EINIT refused the enclave: its measurement is not the SIGSTRUCT's ENCLAVEHASH, so the pages "
		       "loaded are not the ones signed (SGX_INVALID_MEASUREMENT)";
	case SGX_INVALID_SIGNATURE:
		return "EINIT refused the SIGSTRUCT: its RSA signature does not verify (SGX_INVALID_SIGNATURE)";
	case SGX_INVALID_EINITTOKEN:
		return "EINIT asked for a launch token: the launch key hash MSRs do not hold the signer's key, so "
		       "flexible launch control is locked or off in the BIOS (SGX_INVALID_EINITTOKEN)";
	case SGX_INVALID_CPUSVN:
		return "EINIT refused the CPUSVN of the launch token (SGX_INVALID_CPUSVN)";
	case SGX_UNMASKED_EVENT:
		return "EINIT was interrupted by pending events every time it was tried (SGX_UNMASKED_EVENT)";
	default:
		return "EINIT failed with an SGX error code Coffer does not know";
	}
}

/* The in-kernel driver turns every EINIT error code into EPERM: redo the
 * checks of EINIT (SDM, EINIT "Operation") that need no key. */
static const char *explain_eperm(const struct sgxhw_enclave *e, const struct sgxhw_params *p)
{
	struct sgx_sigstruct s;
	const char *why;

	if (sgx_sigstruct_parse(p->sigstruct, SIGSTRUCT_SIZE, &s, &why))
		return sgxhw_einit_reason(SGX_INVALID_SIG_STRUCT);
	if (sgx_sigstruct_check_q(p->sigstruct, &why))
		return sgxhw_einit_reason(SGX_INVALID_SIGNATURE);
	if (((p->attributes ^ s.attr_flags) & s.mask_flags) || ((p->xfrm ^ s.attr_xfrm) & s.mask_xfrm) ||
	    ((p->miscselect ^ s.miscselect) & s.miscmask))
		return sgxhw_einit_reason(SGX_INVALID_ATTRIBUTE);
	if (e->measured && memcmp(e->mrenclave, s.enclavehash, SGX_HASH_SIZE))
		return sgxhw_einit_reason(SGX_INVALID_MEASUREMENT);
	return "EINIT refused the SIGSTRUCT and the in-kernel driver does not say why (EPERM): its fields, "
	       "attributes and measurement check out here, so the signature does not verify or the launch key "
	       "MSRs could not be set";
}

static int einit(struct sgxhw_enclave *e, const struct sgxhw_params *p, const char **why)
{
	struct sgxhw_enclave_init arg = { .sigstruct = (uintptr_t)p->sigstruct };
	long r;

	for (unsigned tries = 0;; tries++) {
		r = e->ops->ioctl(e->ops->ctx, e->fd, SGXHW_IOC_ENCLAVE_INIT, &arg);
		/* EINTR: a signal during the driver's sleeps between tries; an
		 * out-of-tree driver may hand SGX_UNMASKED_EVENT back to us */
		if ((r == -EINTR || r == -EAGAIN || r == SGX_UNMASKED_EVENT) && tries < STALL_LIMIT)
			continue;
		break;
	}
	if (r == 0)
		return 0;
	if (r > 0) {
		*why = sgxhw_einit_reason(r);
		return -EPERM;
	}
	switch (r) {
	case -EPERM:
		*why = explain_eperm(e, p);
		break;
	case -EIO:
		*why = "EINIT faulted in the driver (ENCLAVE_INIT: EIO): EPC lost, e.g. after a suspend";
		break;
	case -EACCES:
		*why = "the driver does not allow the enclave's ATTRIBUTES (ENCLAVE_INIT: EACCES)";
		break;
	case -EINVAL:
		*why = "the driver refused the SIGSTRUCT: a reserved ATTRIBUTES, XFRM or MISCSELECT bit under its "
		       "masks, or a VENDOR other than 0 or 0x8086 (ENCLAVE_INIT: EINVAL)";
		break;
	default:
		*why = "ENCLAVE_INIT failed";
		break;
	}
	return (int)r;
}

/* ---- the sequence ---------------------------------------------------------------- */

int sgxhw_open(const struct sgxhw_ops *ops, struct sgxhw_enclave *e, const char **why)
{
	memset(e, 0, sizeof *e);
	e->ops = ops;
	e->fd = -1;
	long fd = ops->open(ops->ctx, "/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		switch (fd) {
		case -ENOENT:
			*why = "/dev/sgx_enclave does not exist: this kernel has no SGX driver (Linux 5.11 or later "
			       "with CONFIG_X86_SGX), or SGX is disabled in the BIOS";
			break;
		case -EACCES:
		case -EPERM:
			*why = "/dev/sgx_enclave is not open to this user: add the user to the group that owns it "
			       "(usually sgx), or give the container the device";
			break;
		case -ENODEV:
		case -ENXIO:
			*why = "/dev/sgx_enclave exists but no SGX driver answers it";
			break;
		default:
			*why = "/dev/sgx_enclave could not be opened";
			break;
		}
		return (int)fd;
	}
	if (fd > 0x7fffffff) {
		*why = "open returned an impossible file descriptor for /dev/sgx_enclave";
		return -EIO;
	}
	e->fd = (int)fd;
	/* Enclave code runs from mappings of this file: a /dev mounted noexec
	 * would refuse them only at the end, after the whole build. */
	long a = ops->mmap(ops->ctx, 0, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, e->fd, 0);
	if (is_err(a)) {
		*why = a == -EPERM || a == -EACCES
			       ? "/dev/sgx_enclave cannot be mapped executable: /dev is mounted noexec (remount it "
				 "with exec)"
			       : "/dev/sgx_enclave cannot be mapped";
		ops->close(ops->ctx, e->fd);
		e->fd = -1;
		return (int)a;
	}
	ops->munmap(ops->ctx, (uintptr_t)a, PAGE);
	return 0;
}

void sgxhw_destroy(struct sgxhw_enclave *e)
{
	if (e->base)
		e->ops->munmap(e->ops->ctx, (uintptr_t)e->base, e->size);
	if (e->fd >= 0)
		e->ops->close(e->ops->ctx, e->fd);
	e->base = 0;
	e->fd = -1;
}

/* Reserve [base, base + size) with base aligned to size (SECS.BASEADDR
 * must be naturally aligned): map twice the size, keep the aligned half. */
static int reserve(struct sgxhw_enclave *e, uint64_t size, const char **why)
{
	const struct sgxhw_ops *ops = e->ops;
	long r = ops->mmap(ops->ctx, 0, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (is_err(r) || r % PAGE || (uint64_t)r + 2 * size < (uint64_t)r) {
		*why = "no room in the address space for ELRANGE (twice the enclave size, to align it)";
		return is_err(r) ? (int)r : -ENOMEM;
	}
	uint64_t area = (uint64_t)r, base = (area + size - 1) & ~(size - 1);
	if (base > area)
		ops->munmap(ops->ctx, (uintptr_t)area, base - area);
	if (area + size > base)
		ops->munmap(ops->ctx, (uintptr_t)(base + size), area + size - base);
	e->base = base;
	e->size = size;
	return 0;
}

int sgxhw_build(struct sgxhw_enclave *e, const struct sgxhw_cpu *cpu, const struct sgxhw_params *p,
		const char **why)
{
	const struct sgxhw_ops *ops = e->ops;
	struct adder a;
	int r;

	r = check_params(ops, cpu, p, why);
	if (r)
		goto fail;
	long s = ops->mmap(ops->ctx, 0, SCRATCH_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err(s) || s % PAGE) {
		*why = "no memory for the enclave's staging pages";
		r = is_err(s) ? (int)s : -ENOMEM;
		goto fail;
	}
	memset(&a, 0, sizeof a);
	a.e = e;
	a.scratch = (uint8_t *)(uintptr_t)s;

	r = reserve(e, p->size, why);
	if (r)
		goto unscratch;

	sgxhw_secs(a.scratch + SCRATCH_SECS, e->base, p);
	struct sgxhw_enclave_create create = { .src = (uintptr_t)(a.scratch + SCRATCH_SECS) };
	long c = ops->ioctl(ops->ctx, e->fd, SGXHW_IOC_ENCLAVE_CREATE, &create);
	if (c) {
		*why = c == -EIO ? "ECREATE failed (ENCLAVE_CREATE: EIO): the CPU refused the SECS"
		       : c == -ENOMEM ? "the driver is out of EPC memory (ENCLAVE_CREATE: ENOMEM)"
				      : "ENCLAVE_CREATE failed";
		r = c < 0 ? (int)c : -EIO;
		goto unscratch;
	}

	if (p->sha) {
		sgx_measure_ecreate(&a.m, p->sha, p->ssaframesize, p->size);
		a.measuring = true;
	}
	r = p->walk(p->walk_ctx, add_page, &a, why);
	if (r > 0) /* not a walker's answer: keep the contract of negative errors */
		r = -EINVAL;
	if (!r)
		r = flush(&a);
	if (r) {
		if (a.why)
			*why = a.why;
		if (a.measuring) /* close the hash context */
			sgx_measure_finish(&a.m, e->mrenclave);
		goto unscratch;
	}
	if (a.measuring)
		e->measured = sgx_measure_finish(&a.m, e->mrenclave) == 0;

	r = einit(e, p, why);
	if (r)
		goto unscratch;

	struct mapper mp = { .e = e };
	r = p->walk(p->walk_ctx, map_page, &mp, why);
	if (r > 0)
		r = -EINVAL;
	if (!r)
		r = map_run(&mp);
	if (r) {
		if (mp.why)
			*why = mp.why;
		goto unscratch;
	}
	ops->munmap(ops->ctx, (uintptr_t)s, SCRATCH_LEN);
	return 0;

unscratch:
	ops->munmap(ops->ctx, (uintptr_t)s, SCRATCH_LEN);
fail:
	sgxhw_destroy(e);
	return r;
}
