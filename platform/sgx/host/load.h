/*
 * load.h - the enclave of a signed bundle, built page by page: the one
 * page list of common/layout.c (layout_build), over the enclave image
 * (coffer-enclave) and the bundle's binary manifest, handed to the
 * simulated CPU (sim_load: ECREATE, EADD/EEXTEND, EINIT against the
 * bundle's SIGSTRUCT) or to the in-kernel driver (sgxhw_layout_walk, the
 * walker sgxhw_build takes). Both add exactly the pages `coffer sign`
 * measured, in its order, so EINIT accepts the SIGSTRUCT it wrote and
 * nothing else: one bundle, one identity (docs/platforms.md).
 *
 * Freestanding, like the rest of platform/sgx/host.
 */
#ifndef COFFER_PLATFORM_SGX_LOAD_H
#define COFFER_PLATFORM_SGX_LOAD_H

#include "../../../common/bundle.h"
#include "../../../common/layout.h"
#include "../../../common/manifest.h"

/* What a loader starts from. */
struct sgx_load {
	const uint8_t *image;  /* the enclave image file (coffer-enclave) */
	size_t image_len;
	const uint8_t *bundle; /* the signed bundle: binary manifest + SIGSTRUCT */
	size_t bundle_len;
	const struct bundle *parsed; /* or, when not NULL, its two parts (a boot block's) */
	const struct sgx_sha256 *sha; /* the layout's own measurement */
};

/* The bundle opened and the layout's parameters from its manifest (the
 * SECS values `coffer sign` signed: size, threads, ATTRIBUTES, XFRM,
 * MISCSELECT), with the sgx entry point required of the image. 0, or -1
 * with a static reason naming the input at fault. */
struct sgx_loaded {
	struct bundle bundle;
	struct manifest manifest;
	struct layout_params params;
};
int sgx_load_open(const struct sgx_load *l, struct sgx_loaded *out, const char **why);

/* Where a load failed: the inputs, ECREATE, an EADD, or EINIT (whose
 * reason *why then gives: common/sgx.c's sgx_einit_check). */
enum sgx_load_stage { SGX_LOAD_INPUT = 1, SGX_LOAD_ECREATE, SGX_LOAD_EADD, SGX_LOAD_EINIT };

/* sgx-sim: open the bundle, check the SSA frame against this CPU
 * (layout_ssa_check_cpu), ECREATE (sim_ecreate, measured with cpu_sha,
 * another instance than l->sha), EADD/EEXTEND every page of layout_build
 * (sim_add_page), EINIT with the bundle's SIGSTRUCT (rsa_verify as
 * sim_einit takes it). 0 and the layout in *out (MRENCLAVE, the offsets of
 * every region and thread) and ELRANGE's base in *base; or -stage with
 * *why. */
int sim_load(const struct sgx_load *l, const struct sgx_sha256 *cpu_sha, int (*rsa_verify)(const uint8_t *),
	     struct layout_result *out, uint64_t *base, const char **why);

/* The hardware path's page walker (driver.h, sgxhw_walk_fn) over
 * layout_build: ctx is an opened struct sgx_loaded. */
int sgxhw_layout_walk(void *ctx, layout_add_fn add, void *add_ctx, const char **why);
/* sgxhw_build's parameters for an opened bundle whose layout r was built
 * (measure only, add NULL): the SECS values, the SIGSTRUCT, the walker. */
struct sgxhw_params;
void sgxhw_load_params(struct sgx_loaded *ld, const struct layout_result *r, struct sgxhw_params *out);

#endif
