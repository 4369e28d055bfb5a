/*
 * mksig.c - sign the sgx-sim test enclave at build time: MRENCLAVE over the
 * test layout's pages (tlayout.c, measured with common/sgx.c), then a
 * SIGSTRUCT with the test key (tools/crypto.c). The SIGSTRUCT asks for
 * MODE64BIT, XFRM x87+SSE and MISCSELECT EXINFO, which the test host's
 * ECREATE gives.
 *
 *   mksig IMAGE KEY.pem THREADS OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/crypto.h"
#include "tlayout.h"

static int measure(void *ctx, const struct layout_page *p)
{
	sgx_measure_add_page(ctx, p->offset, p->secinfo, p->data, p->measure);
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t img[64 << 20];
	uint8_t ss[SIGSTRUCT_SIZE] = { 0 };
	struct tl_result r;
	struct sgx_measure m;
	const char *why;

	if (argc != 5) {
		fprintf(stderr, "usage: mksig IMAGE KEY.pem THREADS OUT\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	size_t len = fread(img, 1, sizeof img, f);
	fclose(f);
	if (tl_plan(img, len, (unsigned)atoi(argv[3]), &r, &why)) {
		fprintf(stderr, "mksig: %s: %s\n", argv[1], why);
		return 1;
	}
	EVP_PKEY *key = key_load(argv[2]);
	if (!key)
		return 1;
	struct sgx_sha256 sha = sha256_ops();
	sgx_measure_ecreate(&m, &sha, 1, r.size);
	tl_build(img, len, &r, measure, &m);
	if (sgx_measure_finish(&m, ss + SS_ENCLAVEHASH)) {
		fprintf(stderr, "mksig: a page fell outside the enclave\n");
		return 1;
	}
	sha256_ops_free(&sha);
	memcpy(ss + SS_HEADER, sgx_sigstruct_header, 16);
	memcpy(ss + SS_HEADER2, sgx_sigstruct_header2, 16);
	sgx_put_le32(ss + SS_DATE, 0x20261207);
	sgx_put_le32(ss + SS_MISCSELECT, SGX_MISC_EXINFO);
	sgx_put_le32(ss + SS_MISCMASK, 0xffffffffu);
	sgx_put_le64(ss + SS_ATTRIBUTES, SGX_FLAGS_MODE64BIT);
	sgx_put_le64(ss + SS_ATTRIBUTES + 8, SGX_XFRM_LEGACY);
	sgx_put_le64(ss + SS_ATTRIBUTEMASK, ~SGX_FLAGS_INIT);
	sgx_put_le64(ss + SS_ATTRIBUTEMASK + 8, ~0ULL);
	if (sigstruct_sign(ss, key))
		return 1;
	f = fopen(argv[4], "wb");
	if (!f || fwrite(ss, 1, sizeof ss, f) != sizeof ss || fclose(f)) {
		perror(argv[4]);
		return 1;
	}
	return 0;
}
