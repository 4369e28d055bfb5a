/*
 * verify.c - the direct platform's stand-in for EINIT: before any runtime or
 * application code runs, establish which enclave this is and refuse to start
 * if it is not what was signed.
 *
 *   1. the SIGSTRUCT and the manifest parse (common/sgx.c, common/manifest.c);
 *   2. MRENCLAVE is recomputed over this enclave image (the file the host
 *      started, /proc/self/exe) and the manifest, with the layout every
 *      platform uses (common/layout.c), and must equal ENCLAVEHASH; the
 *      heap's EADD records resume from a SHA-256 state built into this
 *      image for the same SIZE and SSAFRAMESIZE (midstates.h);
 *   3. the RSA-3072 signature over the SIGSTRUCT's signed bytes verifies with
 *      its own modulus, and Q1 and Q2 are the quotients EINIT checks
 *      (common/sgx.c: a SIGSTRUCT hardware would refuse is refused here);
 *      MRSIGNER = SHA-256 of that modulus;
 *   4. the attributes the enclave is launched with (64-bit, DEBUG if the
 *      manifest asks, XFRM and MISCSELECT from the manifest) satisfy
 *      ATTRIBUTES under ATTRIBUTEMASK and MISCSELECT under MISCMASK, as
 *      EINIT checks;
 *   5. MRENCLAVE and MRSIGNER equal what the user pinned, if anything.
 * 2-4 are EINIT's checks, made by common/sgx.c (sgx_einit_check), which the
 * simulated EINIT of sgx-sim shares. Each refusal says what differs. On sgx
 * the CPU does 2-4 and the platform only 5.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/mman.h>

#include "../../common/layout.h"
#include "../../common/manifest.h"
#include "../../runtime/lib/crypto.h"
#include "direct.h"
#include "midstates.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

/* The enclave image file, read whole into fresh memory. */
static long read_image(const uint8_t **data, size_t *len)
{
	long fd = sys3(__NR_open, "/proc/self/exe", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	long size = sys3(__NR_lseek, fd, 0, SEEK_END);
	long r = size;
	if (size > 0 && size <= (64L << 20)) {
		long map = sys6(__NR_mmap, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		r = map;
		for (long got = 0; map > 0 && got < size;) {
			long n = sys4(__NR_pread64, fd, map + got, size - got, got);
			if (n == -EINTR)
				continue;
			if (n <= 0) {
				r = n ? n : -EIO;
				break;
			}
			got += n;
		}
		if (r > 0) {
			*data = (const uint8_t *)map;
			*len = (size_t)size;
			r = 0;
		}
	} else if (size > 0) {
		r = -EFBIG;
	}
	sys1(__NR_close, fd);
	return r;
}

int direct_verify(struct plat_boot_info *bi, const uint8_t *expect_mre, const uint8_t *expect_mrs, char *why,
		  size_t whylen)
{
	struct sgx_sigstruct ss;
	struct manifest m;
	const char *reason;
	size_t where;
	char a[65], b[65];

	if (sgx_sigstruct_parse(bi->sigstruct, SIGSTRUCT_SIZE, &ss, &reason)) {
		rt_snprintf(why, whylen, "the SIGSTRUCT is malformed: %s", reason);
		return -1;
	}
	if (man_open(&m, bi->manifest, bi->manifest_len, &reason, &where)) {
		rt_snprintf(why, whylen, "the manifest is malformed: %s (byte %zu)", reason, where);
		return -1;
	}

	const uint8_t *img = NULL;
	size_t img_len = 0;
	long r = read_image(&img, &img_len);
	if (r) {
		rt_snprintf(why, whylen, "cannot read the enclave image to measure it (%ld)", r);
		return -1;
	}
	struct rt_sha256_ctx sctx;
	struct sgx_sha256 sha = rt_sha256_ops(&sctx);
	struct layout_result lr;
	struct layout_params lp = { .image = img, .image_len = img_len, .manifest = bi->manifest,
				    .manifest_len = bi->manifest_len, .sha = &sha, .midstates = direct_midstates,
				    .nmidstates = direct_nmidstates };
	layout_params_from_config(&lp, &m.config);
	int lerr = layout_build(&lp, NULL, NULL, &lr, &reason);
	sys2(__NR_munmap, img, img_len);
	if (lerr) {
		rt_snprintf(why, whylen, "the enclave cannot be laid out: %s", reason);
		return -1;
	}
	/* the SECS values the layout launches with (from the manifest) */
	uint64_t flags = lr.attributes, xfrm = lr.xfrm;
	switch (sgx_einit_check(&ss, lr.mrenclave, flags, xfrm, lr.miscselect, rt_sigstruct_verify, &reason)) {
	case SGX_EINIT_OK:
		break;
	case SGX_EINIT_HASH:
		hex(lr.mrenclave, 32, a);
		hex(ss.enclavehash, 32, b);
		rt_snprintf(why, whylen,
			    "MRENCLAVE %s does not match the SIGSTRUCT's ENCLAVEHASH %s: the manifest or the "
			    "enclave image changed after signing",
			    a, b);
		return -1;
	case SGX_EINIT_SIGNATURE:
		rt_snprintf(why, whylen, "the SIGSTRUCT's signature does not verify with its modulus");
		return -1;
	case SGX_EINIT_ATTRIBUTES:
		rt_snprintf(why, whylen,
			    "the launch attributes (flags %#lx, XFRM %#lx) do not satisfy the SIGSTRUCT's ATTRIBUTES "
			    "%#lx/%#lx under ATTRIBUTEMASK %#lx/%#lx",
			    (unsigned long)flags, (unsigned long)xfrm, (unsigned long)ss.attr_flags,
			    (unsigned long)ss.attr_xfrm, (unsigned long)ss.mask_flags, (unsigned long)ss.mask_xfrm);
		return -1;
	case SGX_EINIT_MISCSELECT:
		rt_snprintf(why, whylen, "the launch MISCSELECT %#x does not satisfy the SIGSTRUCT's %#x under MISCMASK %#x",
			    lr.miscselect, ss.miscselect, ss.miscmask);
		return -1;
	default: /* Q1/Q2: the reason names which */
		rt_snprintf(why, whylen, "the SIGSTRUCT's %s", reason);
		return -1;
	}
	if (m.config.isvprodid != ss.isvprodid || m.config.isvsvn != ss.isvsvn) {
		rt_snprintf(why, whylen, "the manifest's ISVPRODID/ISVSVN %u/%u differ from the SIGSTRUCT's %u/%u",
			    m.config.isvprodid, m.config.isvsvn, ss.isvprodid, ss.isvsvn);
		return -1;
	}

	struct plat_identity *id = &bi->id;
	memcpy(id->mrenclave, lr.mrenclave, 32);
	rt_sha256(ss.modulus, SGX_RSA_SIZE, id->mrsigner);
	id->isvprodid = ss.isvprodid;
	id->isvsvn = ss.isvsvn;
	id->attributes = flags | SGX_FLAGS_INIT;
	id->xfrm = xfrm;
	id->miscselect = lr.miscselect;

	if (expect_mre && rt_memcmp_ct(expect_mre, id->mrenclave, 32)) {
		hex(id->mrenclave, 32, a);
		hex(expect_mre, 32, b);
		rt_snprintf(why, whylen, "MRENCLAVE is %s, not the expected %s", a, b);
		return -1;
	}
	if (expect_mrs && rt_memcmp_ct(expect_mrs, id->mrsigner, 32)) {
		hex(id->mrsigner, 32, a);
		hex(expect_mrs, 32, b);
		rt_snprintf(why, whylen, "MRSIGNER is %s, not the expected %s: signed with another key", a, b);
		return -1;
	}
	return 0;
}
