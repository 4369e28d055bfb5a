/*
 * sign.c - `coffer keygen` and `coffer sign`.
 *
 * sign: YAML manifest -> trusted files hashed -> canonical binary manifest ->
 * MRENCLAVE over the enclave image and the manifest (common/layout.h) ->
 * SIGSTRUCT signed with the owner's key -> bundle. Everything is a function
 * of the inputs: signing twice gives the same bytes (DATE comes from --date
 * or SOURCE_DATE_EPOCH, else the fixed 2000-01-01).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/bundle.h"
#include "../common/layout.h"
#include "../common/manifest.h"
#include "../common/path.h"
#include "coffer.h"
#include "crypto.h"
#include "spec.h"
#include "util.h"

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	int force = 0, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = 1; break;
		case 'h':
			printf("Usage: coffer keygen -o KEY.pem [--force]\n\n"
			       "Make an RSA-3072 signing key with exponent 3, as SGX requires (PEM,\n"
			       "mode 0600). Refuses to replace an existing file without --force.\n");
			return 0;
		default: return COFFER_EXIT_USAGE;
		}
	}
	if (!out || optind != argc) {
		fprintf(stderr, "Usage: coffer keygen -o KEY.pem [--force]\n");
		return COFFER_EXIT_USAGE;
	}
	return key_generate(out, force) ? COFFER_EXIT_FAIL : COFFER_EXIT_OK;
}

static const struct tfile *find(const struct tfile *files, size_t n, const char *path)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(files[mid].path, path);
		if (!c)
			return &files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Follow symlinks among the trusted files, at every component as the
 * runtime's resolver does (with the same normalization, common/path.c),
 * until a regular file; NULL with the reason in *why if the path does not
 * end at one. */
static const struct tfile *resolve_trusted(const struct tfile *files, size_t n, const char *path, const char **why)
{
	char cur[PATH_MAX], dir[PATH_MAX], next[PATH_MAX];
	bool isdir;

	*why = "is not a regular file among the trusted files";
	if (path_normalize("/", path, cur, sizeof cur, &isdir)) {
		*why = "is longer than PATH_MAX";
		return NULL;
	}
	for (int hops = 0; hops < 40; hops++) {
		bool changed = false;
		size_t len = strlen(cur);
		for (size_t end = 1; end <= len && !changed; end++) {
			if (end < len && cur[end] != '/')
				continue;
			char save = cur[end];
			cur[end] = 0;
			const struct tfile *f = find(files, n, cur);
			if (f && f->kind == MAN_FILE_SYMLINK) {
				const char *rest = save ? cur + end + 1 : "";
				*strrchr(cur, '/') = 0; /* cur: the link's directory */
				snprintf(dir, sizeof dir, "%s", *cur ? cur : "/");
				int w = snprintf(next, sizeof next, "%s/%s", f->target, rest);
				if (w < 0 || (size_t)w >= sizeof next ||
				    path_normalize(dir, next, cur, sizeof cur, &isdir)) {
					*why = "leads through trusted symlinks to a path longer than PATH_MAX";
					return NULL;
				}
				changed = true;
			} else {
				cur[end] = save;
			}
		}
		if (!changed) {
			const struct tfile *f = find(files, n, cur);
			return f && f->kind == MAN_FILE_REG ? f : NULL;
		}
	}
	*why = "leads through more than 40 trusted symlinks";
	return NULL;
}

/* SOURCE_DATE_EPOCH, if set: seconds since 1970 up to the year 9999. */
static int source_date_epoch(time_t *out)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end;
	if (!sde || !*sde)
		return 0;
	errno = 0;
	long long v = strtoll(sde, &end, 10);
	if (*sde < '0' || *sde > '9' || *end || errno || v > 253402300799LL) {
		fprintf(stderr, "coffer: SOURCE_DATE_EPOCH=%s: not a time (seconds since 1970)\n", sde);
		return -1;
	}
	*out = (time_t)v;
	return 1;
}

static uint32_t bcd_date(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	unsigned y = (unsigned)tm.tm_year + 1900, m = (unsigned)tm.tm_mon + 1, d = (unsigned)tm.tm_mday;
	return (y / 1000 << 28) | (y / 100 % 10 << 24) | (y / 10 % 10 << 20) | (y % 10 << 16) | (m / 10 << 12) |
	       (m % 10 << 8) | (d / 10 << 4) | (d % 10);
}

static bool parse_date(const char *s, uint32_t *out)
{
	if (strlen(s) != 8)
		return false;
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v << 4 | (uint32_t)(s[i] - '0');
	}
	/* a real calendar date */
	int y = atoi((char[5]){ s[0], s[1], s[2], s[3], 0 }), m = (s[4] - '0') * 10 + (s[5] - '0'),
	    d = (s[6] - '0') * 10 + (s[7] - '0');
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days[m - 1] ||
	    (m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
		return false;
	*out = v;
	return true;
}

static void default_output(const char *in, char *out, size_t n)
{
	size_t len = strlen(in);
	if (len > 5 && !strcmp(in + len - 5, ".yaml"))
		len -= 5;
	else if (len > 4 && !strcmp(in + len - 4, ".yml"))
		len -= 4;
	snprintf(out, n, "%.*s.coffer", (int)len, in);
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "date", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyfile = NULL, *out = NULL;
	time_t epoch = 946684800; /* 2000-01-01 */
	int have_epoch = source_date_epoch(&epoch);
	uint32_t date = bcd_date(epoch);
	char outbuf[PATH_MAX], enclave[PATH_MAX];
	int c, rc = COFFER_EXIT_FAIL;

	if (have_epoch < 0)
		return COFFER_EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 'o': out = optarg; break;
		case 'd':
			if (!parse_date(optarg, &date)) {
				fprintf(stderr, "coffer: --date %s: expected YYYYMMDD (a real date)\n", optarg);
				return COFFER_EXIT_USAGE;
			}
			break;
		case 'h':
			printf("Usage: coffer sign --key KEY.pem [-o APP.coffer] [--date YYYYMMDD] APP.yaml\n\n"
			       "Hash every trusted file the manifest names, write the binary manifest,\n"
			       "measure it with the enclave image (MRENCLAVE) and sign a SIGSTRUCT.\n"
			       "The output defaults to APP.coffer beside APP.yaml. DATE defaults to\n"
			       "SOURCE_DATE_EPOCH, else 20000101, so that signing is reproducible.\n");
			return 0;
		default: return COFFER_EXIT_USAGE;
		}
	}
	if (!keyfile || optind != argc - 1) {
		fprintf(stderr, "Usage: coffer sign --key KEY.pem [-o APP.coffer] APP.yaml\n");
		return COFFER_EXIT_USAGE;
	}
	const char *yaml = argv[optind];
	if (!out) {
		default_output(yaml, outbuf, sizeof outbuf);
		out = outbuf;
	}

	struct spec s;
	struct tfile *files = NULL;
	size_t nfiles = 0, man_len = 0, img_len = 0;
	uint8_t *man = NULL, *img = NULL;
	EVP_PKEY *key = NULL;
	struct sgx_sha256 sha = sha256_ops();
	const char *why;

	int lr_ = spec_load(yaml, &s);
	if (lr_) {
		rc = lr_ == SPEC_IO_ERROR ? COFFER_EXIT_FAIL : COFFER_EXIT_MANIFEST;
		goto out;
	}
	/* the key before the slow part: a wrong --key is reported at once */
	if (!(key = key_load(keyfile)))
		goto out;
	/* SOURCE_DATE_EPOCH also clamps file times, so that the same tree signs
	 * to the same MRENCLAVE wherever it was checked out */
	if (spec_expand(&s, have_epoch ? (uint64_t)epoch : UINT64_MAX, &files, &nfiles))
		goto out;
	if (!resolve_trusted(files, nfiles, s.entrypoint, &why)) {
		fprintf(stderr, "%s:%d:%d: entrypoint %s %s\n", yaml, s.entry_line, s.entry_col, s.entrypoint, why);
		rc = COFFER_EXIT_MANIFEST;
		goto out;
	}
	if (spec_to_manifest(&s, files, nfiles, &man, &man_len))
		goto out;
	if (find_enclave(enclave, sizeof enclave) || read_file(enclave, 64 << 20, &img, &img_len)) {
		fprintf(stderr, "coffer: cannot read the enclave image (looked at %s); set COFFER_ENCLAVE\n", enclave);
		goto out;
	}
	struct layout_result lr;
	struct manifest mo;
	size_t where;
	if (man_open(&mo, man, man_len, &why, &where)) { /* what we just wrote: a bug if it fails */
		fprintf(stderr, "coffer: the binary manifest written is invalid: %s (byte %zu)\n", why, where);
		goto out;
	}
	struct layout_params lp = { .image = img, .image_len = img_len, .manifest = man, .manifest_len = man_len,
				    .sha = &sha };
	layout_params_from_config(&lp, &mo.config);
	if (layout_build(&lp, NULL, NULL, &lr, &why)) {
		if (strstr(why, "enclave size")) {
			/* the manifest's fault: say where */
			fprintf(stderr, "%s:%d:%d: the enclave size %llu is too small for the manifest (%zu bytes), the "
					"enclave image and %u threads\n",
				yaml, s.size_line ? s.size_line : 1, s.size_col ? s.size_col : 1,
				(unsigned long long)s.enclave_size, man_len, s.threads);
			rc = COFFER_EXIT_MANIFEST;
		} else {
			fprintf(stderr, "coffer: the enclave image %s: %s\n", enclave, why);
		}
		goto out;
	}
	uint8_t ss[SIGSTRUCT_SIZE] = { 0 };
	memcpy(ss + SS_HEADER, sgx_sigstruct_header, 16);
	sgx_put_le32(ss + SS_VENDOR, 0);
	sgx_put_le32(ss + SS_DATE, date);
	memcpy(ss + SS_HEADER2, sgx_sigstruct_header2, 16);
	/* the SECS values the layout launches with, exactly: the SSA frame is
	 * sized for this XFRM and MISCSELECT, and a loader takes them from the
	 * same manifest */
	sgx_put_le32(ss + SS_MISCSELECT, lr.miscselect);
	sgx_put_le32(ss + SS_MISCMASK, 0xffffffffu);
	sgx_put_le64(ss + SS_ATTRIBUTES, lr.attributes);
	sgx_put_le64(ss + SS_ATTRIBUTES + 8, lr.xfrm);
	sgx_put_le64(ss + SS_ATTRIBUTEMASK, ~SGX_FLAGS_INIT);
	sgx_put_le64(ss + SS_ATTRIBUTEMASK + 8, ~0ULL);
	memcpy(ss + SS_ENCLAVEHASH, lr.mrenclave, 32);
	sgx_put_le16(ss + SS_ISVPRODID, s.isvprodid);
	sgx_put_le16(ss + SS_ISVSVN, s.isvsvn);
	if (sigstruct_sign(ss, key))
		goto out;

	uint8_t hdr[BUNDLE_HEADER_SIZE];
	bundle_header(hdr, man_len);
	size_t total = sizeof hdr + man_len + SIGSTRUCT_SIZE;
	uint8_t *bundle = malloc(total);
	memcpy(bundle, hdr, sizeof hdr);
	memcpy(bundle + sizeof hdr, man, man_len);
	memcpy(bundle + sizeof hdr + man_len, ss, SIGSTRUCT_SIZE);
	if (write_file(out, bundle, total, 0644)) {
		fprintf(stderr, "coffer: %s: %s\n", out, strerror(errno));
		free(bundle);
		goto out;
	}
	free(bundle);
	char mre[65], mrs[65];
	uint8_t signer[32];
	sha256(ss + SS_MODULUS, SGX_RSA_SIZE, signer);
	hex(lr.mrenclave, 32, mre);
	hex(signer, 32, mrs);
	size_t nreg = 0;
	for (size_t i = 0; i < nfiles; i++)
		nreg += files[i].kind == MAN_FILE_REG;
	printf("signed %s (%zu trusted files)\nMRENCLAVE %s\nMRSIGNER  %s\n", out, nreg, mre, mrs);
	rc = COFFER_EXIT_OK;
out:
	sha256_ops_free(&sha);
	EVP_PKEY_free(key);
	free(img);
	free(man);
	tfiles_free(files, nfiles);
	spec_free(&s);
	return rc;
}
