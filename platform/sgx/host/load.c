/*
 * load.c - a signed bundle opened for a loader, and its page list as the
 * hardware path's walker (load.h; sgx-sim's loader is simload.c).
 *
 * Nothing here computes a page: layout_build (common/layout.c) gives every
 * page, its offset, SECINFO and whether it is measured, exactly as `coffer
 * sign` and `coffer measure` walked them. The loader only checks that the
 * CPU it runs on can hold the SSA frame the manifest implies, creates
 * ELRANGE with the manifest's SECS values and hands the pages over. EINIT
 * then compares the CPU's measurement with the SIGSTRUCT's ENCLAVEHASH: a
 * changed image byte, manifest byte, enclave size or thread count gives
 * another measurement and is refused there.
 */
#include "../../../common/cstring.h"
#include "load.h"
#include "driver.h"

int sgx_load_open(const struct sgx_load *l, struct sgx_loaded *out, const char **why)
{
	size_t where;

	memset(out, 0, sizeof *out);
	if (l->parsed)
		out->bundle = *l->parsed;
	else if (bundle_parse(l->bundle, l->bundle_len, &out->bundle, why))
		return -1;
	if (man_open(&out->manifest, out->bundle.manifest, out->bundle.manifest_len, why, &where))
		return -1;
	layout_params_from_config(&out->params, &out->manifest.config);
	out->params.image = l->image;
	out->params.image_len = l->image_len;
	out->params.manifest = out->bundle.manifest;
	out->params.manifest_len = out->bundle.manifest_len;
	out->params.sgx_entry = true;
	out->params.sha = l->sha;
	out->params.ssaframesize = layout_ssa_pages(out->params.xfrm, out->params.miscselect);
	return 0;
}

/* the walker's contract: the first non-zero value add() returned */
struct walk {
	layout_add_fn add;
	void *ctx;
	int refused;
};

static int walk_add(void *ctx, const struct layout_page *p)
{
	struct walk *w = ctx;
	int r = w->add(w->ctx, p);
	if (r && !w->refused)
		w->refused = r;
	return r;
}

int sgxhw_layout_walk(void *ctx, layout_add_fn add, void *add_ctx, const char **why)
{
	const struct sgx_loaded *ld = ctx;
	struct walk w = { add, add_ctx, 0 };
	struct layout_result r;

	if (layout_build(&ld->params, walk_add, &w, &r, why))
		return w.refused ? w.refused : -22; /* EINVAL: the layout refused its inputs */
	return 0;
}

void sgxhw_load_params(struct sgx_loaded *ld, const struct layout_result *r, struct sgxhw_params *out)
{
	memset(out, 0, sizeof *out);
	out->size = r->size;
	out->ssaframesize = r->ssaframesize;
	out->miscselect = r->miscselect;
	out->attributes = r->attributes;
	out->xfrm = r->xfrm;
	out->sigstruct = ld->bundle.sigstruct;
	out->walk = sgxhw_layout_walk;
	out->walk_ctx = ld;
}
