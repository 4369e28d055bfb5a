/*
 * simload.c - a signed bundle's enclave built on sgx-sim from the layout's
 * page list (load.h, sim_load): ECREATE with the manifest's SECS values,
 * EADD/EEXTEND of every page layout_build gives, EINIT against the
 * bundle's SIGSTRUCT.
 *
 * Nothing here computes a page: layout_build (common/layout.c) gives every
 * page, its offset, SECINFO and whether it is measured, exactly as `coffer
 * sign` and `coffer measure` walked them. The loader checks that this CPU
 * can hold the SSA frame the manifest implies, creates ELRANGE and hands
 * the pages over. EINIT then compares the simulated CPU's measurement with
 * the SIGSTRUCT's ENCLAVEHASH: a changed image byte, manifest byte, enclave
 * size or thread count gives another measurement and is refused there.
 */
#include "../../../common/cstring.h"
#include "load.h"
#include "sim.h"

/* sim_add_page's reason survives layout_build's "the loader refused a page" */
struct sim_adder {
	const char *why;
};

static int sim_add(void *ctx, const struct layout_page *p)
{
	struct sim_adder *a = ctx;
	return sim_add_page(&a->why, p);
}

int sim_load(const struct sgx_load *l, const struct sgx_sha256 *cpu_sha, int (*rsa_verify)(const uint8_t *),
	     struct layout_result *out, uint64_t *base, const char **why)
{
	struct sgx_loaded ld;
	struct sim_adder a = { 0 };

	if (sgx_load_open(l, &ld, why))
		return -SGX_LOAD_INPUT;
	const struct layout_params *p = &ld.params;
	/* the layout's own checks of the image and the sizes, before ELRANGE exists */
	if (layout_build(p, NULL, NULL, out, why))
		return -SGX_LOAD_INPUT;
	if (layout_ssa_check_cpu(p->xfrm, p->miscselect, out->ssaframesize, NULL, NULL, why))
		return -SGX_LOAD_ECREATE;
	struct sim_secs secs = {
		.size = out->size,
		.ssaframesize = out->ssaframesize,
		.attributes = out->attributes,
		.xfrm = out->xfrm,
		.miscselect = out->miscselect,
	};
	if (sim_ecreate(&secs, cpu_sha, base, why))
		return -SGX_LOAD_ECREATE;
	if (layout_build(p, sim_add, &a, out, why)) {
		if (a.why)
			*why = a.why;
		return -SGX_LOAD_EADD;
	}
	if (sim_einit(ld.bundle.sigstruct, rsa_verify, why))
		return -SGX_LOAD_EINIT;
	/* EINIT compared the CPU's measurement with ENCLAVEHASH; the layout's
	 * own must be the same, or the two walked different pages */
	if (memcmp(sim_mrenclave(), out->mrenclave, SGX_HASH_SIZE)) {
		*why = "the simulated CPU measured other pages than the layout gave (a loader bug)";
		return -SGX_LOAD_EINIT;
	}
	return 0;
}
