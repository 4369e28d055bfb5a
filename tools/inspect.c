/*
 * inspect.c - `coffer measure` (a bundle's identity, checked) and
 * `coffer sigstruct` (decode any SIGSTRUCT, ours or another tool's).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/bundle.h"
#include "../common/layout.h"
#include "../common/manifest.h"
#include "coffer.h"
#include "crypto.h"
#include "util.h"

static int load_bundle(const char *path, uint8_t **raw, size_t *len, struct bundle *b)
{
	const char *why;
	if (read_file(path, MAN_MAX_SIZE + 4096, raw, len)) {
		fprintf(stderr, "coffer: %s: %s%s\n", path, strerror(errno),
			errno == EISDIR ? "; coffer measure reads a signed bundle (APP.coffer)" : "");
		return -1;
	}
	if (bundle_parse(*raw, *len, b, &why)) {
		fprintf(stderr, "coffer: %s: %s\n", path, why);
		free(*raw);
		return -1;
	}
	return 0;
}

int cmd_measure(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: coffer measure APP.coffer\n\n"
		       "Print the identity of a signed bundle (MRENCLAVE, MRSIGNER, ISVPRODID,\n"
		       "ISVSVN, debug) and check it: the signature, and the measurement against\n"
		       "the enclave image this coffer uses. Exit status 1 if a check fails.\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "Usage: coffer measure APP.coffer\n");
		return COFFER_EXIT_USAGE;
	}
	uint8_t *raw, *img = NULL, signer[32];
	size_t len, img_len;
	struct bundle b;
	struct sgx_sigstruct ss;
	struct manifest m;
	const char *why;
	size_t where;
	char h[65], enclave[PATH_MAX];
	int rc = 0;

	if (load_bundle(argv[1], &raw, &len, &b))
		return COFFER_EXIT_FAIL;
	if (sgx_sigstruct_parse(b.sigstruct, SIGSTRUCT_SIZE, &ss, &why)) {
		fprintf(stderr, "coffer: %s: SIGSTRUCT: %s\n", argv[1], why);
		free(raw);
		return COFFER_EXIT_FAIL;
	}
	hex(ss.enclavehash, 32, h);
	printf("mrenclave: %s\n", h);
	sha256(ss.modulus, SGX_RSA_SIZE, signer);
	hex(signer, 32, h);
	printf("mrsigner:  %s\n", h);
	printf("isvprodid: %u\nisvsvn:    %u\n", ss.isvprodid, ss.isvsvn);
	printf("debug:     %s\n", (ss.attr_flags & SGX_FLAGS_DEBUG) ? "true" : "false");
	if (sigstruct_verify(b.sigstruct, &why)) {
		printf("signature: INVALID: %s\n", why);
		rc = 1;
	} else {
		printf("signature: valid\n");
	}
	if (man_open(&m, b.manifest, b.manifest_len, &why, &where)) {
		printf("manifest:  INVALID: %s (byte %zu)\n", why, where);
		rc = 1;
	} else if (find_enclave(enclave, sizeof enclave) || read_file(enclave, 64 << 20, &img, &img_len)) {
		printf("enclave:   not checked: no enclave image found (%s)\n", enclave);
		rc = 1;
	} else {
		struct sgx_sha256 sha = sha256_ops();
		struct layout_result lr;
		struct layout_params lp = { .image = img, .image_len = img_len, .manifest = b.manifest,
					    .manifest_len = b.manifest_len, .sha = &sha };
		layout_params_from_config(&lp, &m.config);
		if (layout_build(&lp, NULL, NULL, &lr, &why)) {
			printf("enclave:   INVALID: %s\n", why);
			rc = 1;
		} else if (memcmp(lr.mrenclave, ss.enclavehash, 32)) {
			hex(lr.mrenclave, 32, h);
			printf("enclave:   DIFFERS: %s with this manifest measures %s; the bundle was signed for another "
			       "enclave image or altered\n",
			       enclave, h);
			rc = 1;
		} else {
			printf("enclave:   matches %s\n", enclave);
		}
		sha256_ops_free(&sha);
	}
	free(img);
	free(raw);
	return rc ? COFFER_EXIT_FAIL : COFFER_EXIT_OK;
}

static void print_flags(uint64_t f)
{
	static const char *const names[] = { "INIT", "DEBUG", "MODE64BIT", "bit3", "PROVISIONKEY", "EINITTOKENKEY",
					     "CET", "KSS", "bit8", "bit9", "AEXNOTIFY" };
	printf("0x%016llx", (unsigned long long)f);
	const char *sep = " (";
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (f & (1ULL << i)) {
			printf("%s%s", sep, names[i]);
			sep = "|";
		}
	if (*sep == '|')
		printf(")");
	printf("\n");
}

int cmd_sigstruct(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: coffer sigstruct FILE\n\n"
		       "Decode a SIGSTRUCT: a 1808-byte file as SGX tools write it (.sig, .sigstruct),\n"
		       "or the one in a signed Coffer bundle. Checks the signature and Q1/Q2.\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "Usage: coffer sigstruct FILE\n");
		return COFFER_EXIT_USAGE;
	}
	uint8_t *raw, signer[32];
	size_t len;
	const uint8_t *p;
	struct bundle b;
	struct sgx_sigstruct ss;
	const char *why;
	char h[2 * SGX_RSA_SIZE + 1];

	if (read_file(argv[1], MAN_MAX_SIZE + 4096, &raw, &len)) {
		fprintf(stderr, "coffer: %s: %s%s\n", argv[1], strerror(errno),
			errno == EISDIR ? "; coffer sigstruct reads a SIGSTRUCT file or a signed bundle" : "");
		return COFFER_EXIT_FAIL;
	}
	p = raw;
	if (len != SIGSTRUCT_SIZE) {
		if (bundle_parse(raw, len, &b, &why)) {
			fprintf(stderr, "coffer: %s: neither a SIGSTRUCT (1808 bytes) nor a bundle: %s\n", argv[1], why);
			free(raw);
			return COFFER_EXIT_FAIL;
		}
		p = b.sigstruct;
	}
	if (sgx_sigstruct_parse(p, SIGSTRUCT_SIZE, &ss, &why)) {
		fprintf(stderr, "coffer: %s: not a valid SIGSTRUCT: %s\n", argv[1], why);
		free(raw);
		return COFFER_EXIT_FAIL;
	}
	printf("vendor:        0x%04x%s\n", ss.vendor, ss.vendor == 0x8086 ? " (Intel)" : "");
	printf("date:          %04x-%02x-%02x\n", ss.date >> 16, (ss.date >> 8) & 0xff, ss.date & 0xff);
	printf("swdefined:     0x%08x\n", ss.swdefined);
	printf("miscselect:    0x%08x\nmiscmask:      0x%08x\n", ss.miscselect, ss.miscmask);
	printf("attributes:    ");
	print_flags(ss.attr_flags);
	printf("xfrm:          0x%016llx\n", (unsigned long long)ss.attr_xfrm);
	printf("attributemask: 0x%016llx\nxfrmmask:      0x%016llx\n", (unsigned long long)ss.mask_flags,
	       (unsigned long long)ss.mask_xfrm);
	hex(ss.enclavehash, 32, h);
	printf("enclavehash:   %s\n", h);
	printf("isvprodid:     %u\nisvsvn:        %u\n", ss.isvprodid, ss.isvsvn);
	hex(p + SS_ISVFAMILYID, 16, h);
	printf("isvfamilyid:   %s\n", h);
	hex(p + SS_ISVEXTPRODID, 16, h);
	printf("isvextprodid:  %s\n", h);
	sha256(ss.modulus, SGX_RSA_SIZE, signer);
	hex(signer, 32, h);
	printf("mrsigner:      %s\n", h);
	printf("exponent:      %u\n", ss.exponent);
	int bad = sigstruct_verify(p, &why);
	printf("signature:     %s%s\n", bad ? "INVALID: " : "valid (RSA-3072, PKCS#1 v1.5, SHA-256; Q1 and Q2 match)",
	       bad ? why : "");
	free(raw);
	return bad ? COFFER_EXIT_FAIL : COFFER_EXIT_OK;
}
