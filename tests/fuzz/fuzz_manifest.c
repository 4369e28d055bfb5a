/*
 * fuzz_manifest.c - libFuzzer target for the binary manifest reader
 * (common/manifest.c) and the signed bundle framing (common/bundle.c).
 *
 * Every input goes through two doors:
 *   1. man_open() on the bytes as they are. When it accepts them, every
 *      accessor is called on every valid index and the promises of
 *      common/manifest.h are checked against an independent re-reading of
 *      the raw bytes: sections inside the blob and disjoint, strings
 *      NUL-terminated inside STRINGS, paths absolute and normalized, files
 *      strictly sorted and inside a trusted mount, mounts disjoint,
 *      man_find_file() and man_first_under() agreeing with a linear scan.
 *   2. bundle_parse() on the same bytes. When it accepts them, the embedded
 *      manifest and SIGSTRUCT are copied into buffers of exactly their own
 *      size (so that AddressSanitizer sees a read past the manifest's end,
 *      which inside the bundle would land on the SIGSTRUCT) and fed to
 *      man_open() (with the checks above) and sgx_sigstruct_parse().
 *
 * A broken invariant aborts with the line that failed, which libFuzzer
 * reports as a crash and saves the input. Built and run by scripts/fuzz.sh;
 * seeds in tests/fuzz/corpus/manifest (tests/fuzz/README.md).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/bundle.h"
#include "../../common/manifest.h"
#include "../../common/sgx.h"

#define REQUIRE(cond)                                                                               \
	do {                                                                                        \
		if (!(cond)) {                                                                      \
			fprintf(stderr, "fuzz_manifest: invariant broken at %s:%d: %s\n", __FILE__, \
				__LINE__, #cond);                                                   \
			abort();                                                                    \
		}                                                                                   \
	} while (0)

/* The FILES entry grew from 56 to 64 bytes (mtime); follow the header. */
#ifndef MAN_FILE_SIZE
#define MAN_FILE_SIZE 56u
#endif

/* Every file-path comparison below is quadratic in the number of files; past
 * this many files only each file's own path is looked up. */
#define FULL_CHECK_MAX_FILES 256

static volatile uint64_t sink;

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* The string at s must start inside STRINGS and end there with a NUL;
 * returns its length. */
static size_t check_str(const struct manifest *m, const char *s)
{
	REQUIRE(s >= m->strings && s < m->strings + m->strings_size);
	const char *nul = memchr(s, 0, (size_t)(m->strings + m->strings_size - s));
	REQUIRE(nul != NULL);
	for (const char *c = s; c < nul; c++)
		sink += (unsigned char)*c;
	return (size_t)(nul - s);
}

/* Written independently of common/manifest.c: "/" or "/a/b" with no empty,
 * "." or ".." component. */
static bool ref_path_normal(const char *p)
{
	if (p[0] != '/')
		return false;
	if (p[1] == 0)
		return true;
	size_t n = strlen(p);
	if (p[n - 1] == '/')
		return false;
	size_t start = 1;
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		size_t len = i - start;
		if (len == 0 || (len == 1 && p[start] == '.') || (len == 2 && p[start] == '.' && p[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

/* path == dir, or path below dir */
static bool ref_under(const char *path, const char *dir)
{
	if (!strcmp(dir, "/"))
		return true;
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

static const char *file_path(const struct manifest *m, uint32_t i)
{
	struct man_file f;
	man_file(m, i, &f);
	return man_str(m, f.path);
}

/* A section as the raw header table states it. */
struct ref_section {
	bool present;
	uint32_t off, size, count;
};

static void ref_sections(const uint8_t *b, struct ref_section sec[MAN_SECTION_MAX + 1])
{
	memset(sec, 0, sizeof(struct ref_section) * (MAN_SECTION_MAX + 1));
	uint32_t nsec = rd32(b + 16);
	for (uint32_t i = 0; i < nsec; i++) {
		const uint8_t *e = b + MAN_HEADER_SIZE + (size_t)i * MAN_SECTION_SIZE;
		uint32_t type = rd32(e);
		REQUIRE(type >= 1 && type <= MAN_SECTION_MAX && !sec[type].present);
		sec[type] = (struct ref_section){ true, rd32(e + 4), rd32(e + 8), rd32(e + 12) };
	}
}

/* A view (pointer, count) must be where the header table says. */
static void check_view(const uint8_t *raw, size_t size, const struct ref_section *s, const uint8_t *p, uint32_t n,
		       uint32_t elem)
{
	if (!s->present) {
		REQUIRE(n == 0);
		return;
	}
	REQUIRE(n == s->count);
	REQUIRE((uint64_t)n * elem == s->size);
	REQUIRE(p == raw + s->off);
	REQUIRE((uint64_t)s->off + s->size <= size);
}

static void check_layout(const struct manifest *m, const uint8_t *raw, size_t size)
{
	struct ref_section sec[MAN_SECTION_MAX + 1];

	REQUIRE(m->raw == raw && m->size == size);
	REQUIRE(size >= MAN_HEADER_SIZE && !memcmp(raw, MAN_MAGIC, 8));
	REQUIRE(rd32(raw + 8) == MAN_VERSION && rd32(raw + 12) == size && rd32(raw + 20) == 0);
	uint32_t nsec = rd32(raw + 16);
	REQUIRE(nsec <= MAN_SECTION_MAX && MAN_HEADER_SIZE + (size_t)nsec * MAN_SECTION_SIZE <= size);
	ref_sections(raw, sec);

	/* sections in order, after the table, not overlapping, inside the blob */
	size_t next = MAN_HEADER_SIZE + (size_t)nsec * MAN_SECTION_SIZE;
	for (uint32_t i = 0; i < nsec; i++) {
		const uint8_t *e = raw + MAN_HEADER_SIZE + (size_t)i * MAN_SECTION_SIZE;
		uint32_t off = rd32(e + 4), sz = rd32(e + 8);
		REQUIRE(off >= next && (uint64_t)off + sz <= size);
		next = (size_t)off + sz;
	}

	REQUIRE(sec[MAN_STRINGS].present && sec[MAN_CONFIG].present);
	REQUIRE(m->strings == (const char *)raw + sec[MAN_STRINGS].off);
	REQUIRE(m->strings_size == sec[MAN_STRINGS].size && m->strings_size > 0);
	REQUIRE((uint64_t)sec[MAN_STRINGS].off + m->strings_size <= size);
	REQUIRE(m->strings[0] == 0 && m->strings[m->strings_size - 1] == 0);
	REQUIRE(*man_str(m, 0) == 0);

	check_view(raw, size, &sec[MAN_ARGV], m->argv, m->nargv, 4);
	check_view(raw, size, &sec[MAN_ENV], m->env, m->nenv, 4);
	check_view(raw, size, &sec[MAN_ENV_HOST], m->env_host, m->nenv_host, 4);
	check_view(raw, size, &sec[MAN_MOUNTS], m->mounts, m->nmounts, 16);
	check_view(raw, size, &sec[MAN_FILES], m->files, m->nfiles, MAN_FILE_SIZE);

	/* CONFIG, decoded again from its bytes */
	REQUIRE(sec[MAN_CONFIG].count == 1 && sec[MAN_CONFIG].size == 48);
	const uint8_t *c = raw + sec[MAN_CONFIG].off;
	const struct man_config *cf = &m->config;
	REQUIRE(cf->entrypoint == rd32(c) && cf->cwd == rd32(c + 4));
	REQUIRE(cf->enclave_size == rd64(c + 8) && cf->threads == rd32(c + 16));
	REQUIRE(cf->flags == rd32(c + 20) && cf->host_args == rd32(c + 28));
	REQUIRE(cf->isvprodid == (uint16_t)(c[24] | c[25] << 8) && cf->isvsvn == (uint16_t)(c[26] | c[27] << 8));
	REQUIRE(cf->hostname == rd32(c + 32) && cf->domainname == rd32(c + 36));
	/* 40-43: the XSAVE features beyond x87 and SSE, as XCR0 allows them:
	 * AVX (2), AVX-512 (5-7, whole, with AVX), PKRU (9), AMX (17-18, whole) */
	uint32_t xs = rd32(c + 40);
	REQUIRE(cf->xsave == xs);
	REQUIRE((xs & ~(0x4u | 0xe0u | 0x200u | 0x60000u)) == 0);
	REQUIRE((xs & 0xe0u) == 0 || ((xs & 0xe0u) == 0xe0u && (xs & 0x4u)));
	REQUIRE((xs & 0x60000u) == 0 || (xs & 0x60000u) == 0x60000u);
	for (int i = 44; i < 48; i++)
		REQUIRE(c[i] == 0);
	REQUIRE(cf->entrypoint < m->strings_size && cf->cwd < m->strings_size);
	REQUIRE(cf->hostname < m->strings_size && cf->domainname < m->strings_size);
	check_str(m, man_str(m, cf->entrypoint));
	check_str(m, man_str(m, cf->cwd));
	/* the enclave's names: at most 64 printable ASCII characters */
	for (uint32_t off = cf->hostname, k = 0; k < 2; off = cf->domainname, k++) {
		const char *name = man_str(m, off);
		check_str(m, name);
		size_t len = strlen(name);
		REQUIRE(len <= 64);
		for (size_t i = 0; i < len; i++)
			REQUIRE(name[i] >= 0x20 && name[i] <= 0x7e);
	}
	REQUIRE(ref_path_normal(man_str(m, cf->entrypoint)));
	REQUIRE(ref_path_normal(man_str(m, cf->cwd)));
	uint64_t s = cf->enclave_size;
	REQUIRE(s >= (1u << 20) && s <= (1ULL << 40) && (s & (s - 1)) == 0);
	REQUIRE(cf->threads >= 1 && cf->threads <= 4096);
	REQUIRE((cf->flags & ~(MAN_F_DEBUG | MAN_F_TERMINAL | MAN_F_EXINFO)) == 0);
	REQUIRE(cf->host_args == MAN_ARGS_NONE || cf->host_args == MAN_ARGS_APPEND);
}

static void check_strings(const struct manifest *m)
{
	REQUIRE(m->nargv >= 1);
	for (uint32_t i = 0; i < m->nargv; i++) {
		REQUIRE(rd32(m->argv + 4 * (size_t)i) < m->strings_size);
		check_str(m, man_argv(m, i));
	}
	for (uint32_t i = 0; i < m->nenv; i++) {
		const char *e = man_env(m, i);
		size_t n = check_str(m, e);
		const char *eq = memchr(e, '=', n);
		REQUIRE(eq != NULL && eq != e);
	}
	for (uint32_t i = 0; i < m->nenv_host; i++)
		check_str(m, man_env_host(m, i));
}

static void check_mounts(const struct manifest *m)
{
	for (uint32_t i = 0; i < m->nmounts; i++) {
		struct man_mount a;
		const uint8_t *p = m->mounts + 16 * (size_t)i;
		man_mount(m, i, &a);
		REQUIRE(a.type == rd32(p) && a.path == rd32(p + 4) && a.source == rd32(p + 8) &&
			a.flags == rd32(p + 12));
		REQUIRE(a.type >= MAN_MOUNT_TRUSTED && a.type <= MAN_MOUNT_SHM);
		REQUIRE(m->nmounts <= MAN_MAX_MOUNTS);
		REQUIRE((a.flags & ~MAN_MOUNT_F_READONLY) == 0);
		REQUIRE(a.path < m->strings_size && a.source < m->strings_size);
		const char *path = man_str(m, a.path), *src = man_str(m, a.source);
		check_str(m, path);
		check_str(m, src);
		REQUIRE(ref_path_normal(path));
		if (a.type == MAN_MOUNT_TMPFS || a.type == MAN_MOUNT_SHM)
			REQUIRE(src[0] == 0);
		else
			REQUIRE(src[0] == '/');
		for (uint32_t j = 0; j < i; j++) {
			struct man_mount b;
			man_mount(m, j, &b);
			const char *other = man_str(m, b.path);
			REQUIRE(!ref_under(path, other) && !ref_under(other, path));
		}
	}
}

static void check_files(const struct manifest *m)
{
	for (uint32_t i = 0; i < m->nfiles; i++) {
		struct man_file f;
		const uint8_t *p = m->files + MAN_FILE_SIZE * (size_t)i;
		man_file(m, i, &f);
		REQUIRE(f.path == rd32(p) && f.kind == rd32(p + 4) && f.size == rd64(p + 8) &&
			f.target == rd32(p + 16) && f.mode == rd32(p + 20) && !memcmp(f.sha256, p + 24, 32));
#if MAN_FILE_SIZE >= 64
		REQUIRE(f.mtime == rd64(p + 56));
		sink += f.mtime;
#endif
		REQUIRE(f.path < m->strings_size && f.target < m->strings_size);
		const char *path = man_str(m, f.path), *target = man_str(m, f.target);
		check_str(m, path);
		check_str(m, target);
		REQUIRE(ref_path_normal(path));
		if (i > 0)
			REQUIRE(strcmp(file_path(m, i - 1), path) < 0);
		REQUIRE(f.kind >= MAN_FILE_REG && f.kind <= MAN_FILE_SYMLINK);
		REQUIRE((f.kind == MAN_FILE_SYMLINK) == (target[0] != 0));
		REQUIRE(f.kind == MAN_FILE_REG || f.size == 0);
		REQUIRE((f.mode & ~07777u) == 0);
		bool inside = false;
		for (uint32_t j = 0; j < m->nmounts && !inside; j++) {
			struct man_mount mt;
			man_mount(m, j, &mt);
			inside = mt.type == MAN_MOUNT_TRUSTED && ref_under(path, man_str(m, mt.path));
		}
		REQUIRE(inside);
		sink += f.sha256[0] + f.size;
	}
}

/* man_find_file(q) against a linear scan. */
static void check_find(const struct manifest *m, const char *q)
{
	long want = -1;
	for (uint32_t i = 0; i < m->nfiles && want < 0; i++)
		if (!strcmp(file_path(m, i), q))
			want = i;
	REQUIRE(man_find_file(m, q) == want);
}

/* man_first_under(dir) is the lower bound of dir + "/" among the sorted
 * paths: every file before it sorts below dir + "/", every file from it on
 * does not, so the files under dir are the ones from it while they start
 * with dir + "/". For "/" it is the index after "/" itself if that is there.
 * (manifest.h says "or nfiles" when nothing is under dir; the code returns
 * the insertion point, which is what a caller that stops at the first path
 * not starting with dir + "/" needs. Checked here as the code does it.) */
static void check_first_under(const struct manifest *m, const char *dir)
{
	size_t n = strlen(dir);
	uint32_t got = man_first_under(m, dir);
	REQUIRE(got <= m->nfiles);
	if (n == 1) {
		REQUIRE(got == (m->nfiles && !strcmp(file_path(m, 0), "/") ? 1u : 0u));
		return;
	}
	char *key = malloc(n + 2);
	REQUIRE(key != NULL);
	memcpy(key, dir, n);
	key[n] = '/';
	key[n + 1] = 0;
	uint32_t want = 0;
	while (want < m->nfiles && strcmp(file_path(m, want), key) < 0)
		want++;
	REQUIRE(got == want);
	for (uint32_t i = want; i < m->nfiles && !strncmp(file_path(m, i), key, n + 1); i++)
		REQUIRE(ref_under(file_path(m, i), dir));
	free(key);
}

/* A heap copy of s[0, n) + suffix, exactly sized for AddressSanitizer. */
static char *query(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	char *q = malloc(n + k + 1);
	REQUIRE(q != NULL);
	memcpy(q, s, n);
	memcpy(q + n, suffix, k + 1);
	return q;
}

static void check_lookups(const struct manifest *m)
{
	bool full = m->nfiles <= FULL_CHECK_MAX_FILES;

	for (uint32_t i = 0; i < m->nfiles; i++) {
		const char *path = file_path(m, i);
		REQUIRE(man_find_file(m, path) == (long)i);
		if (!full)
			continue;
		struct man_file f;
		man_file(m, i, &f);
		size_t n = strlen(path);
		/* the path with something after it, and each proper prefix
		 * (parent directories, and a cut in the middle of a name) */
		static const char *const suffixes[] = { "/", "/x", "x", "\x01", "\xff" };
		for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
			char *q = query(path, n, suffixes[k]);
			check_find(m, q);
			free(q);
		}
		for (size_t cut = 1; cut < n; cut++) {
			if (path[cut] != '/' && cut != n - 1)
				continue;
			char *q = query(path, cut, "");
			check_find(m, q);
			check_first_under(m, q);
			free(q);
		}
		check_first_under(m, path);
		if (f.kind == MAN_FILE_DIR)
			sink += man_first_under(m, path);
	}
	check_find(m, "");
	check_find(m, "/");
	check_first_under(m, "/");
	for (uint32_t j = 0; full && j < m->nmounts; j++) {
		struct man_mount mt;
		man_mount(m, j, &mt);
		check_find(m, man_str(m, mt.path));
		check_first_under(m, man_str(m, mt.path));
	}
}

static void fuzz_manifest(const uint8_t *raw, size_t size)
{
	struct manifest m;
	const char *why = NULL;
	size_t where = (size_t)-1;

	if (man_open(&m, raw, size, &why, &where) != 0) {
		REQUIRE(why != NULL && why[0] != 0);
		REQUIRE(where <= size);
		return;
	}
	check_layout(&m, raw, size);
	check_strings(&m);
	check_mounts(&m);
	check_files(&m);
	check_lookups(&m);
}

static void fuzz_bundle(const uint8_t *raw, size_t size)
{
	struct bundle b;
	const char *why = NULL;

	if (bundle_parse(raw, size, &b, &why) != 0) {
		REQUIRE(why != NULL && why[0] != 0);
		return;
	}
	REQUIRE(size >= BUNDLE_HEADER_SIZE + SIGSTRUCT_SIZE);
	REQUIRE(b.manifest >= raw + BUNDLE_HEADER_SIZE && b.manifest <= raw + size);
	REQUIRE(b.manifest_len <= (size_t)(raw + size - b.manifest));
	REQUIRE(b.sigstruct >= b.manifest + b.manifest_len);
	REQUIRE(b.sigstruct + SIGSTRUCT_SIZE == raw + size);
	REQUIRE(b.manifest == raw + rd32(raw + 12) && b.manifest_len == rd32(raw + 16));
	REQUIRE(b.sigstruct == raw + rd32(raw + 20) && rd32(raw + 24) == SIGSTRUCT_SIZE);

	uint8_t *man = malloc(b.manifest_len ? b.manifest_len : 1);
	REQUIRE(man != NULL);
	memcpy(man, b.manifest, b.manifest_len);
	fuzz_manifest(man, b.manifest_len);
	free(man);

	uint8_t *ss = malloc(SIGSTRUCT_SIZE);
	REQUIRE(ss != NULL);
	memcpy(ss, b.sigstruct, SIGSTRUCT_SIZE);
	struct sgx_sigstruct s;
	if (sgx_sigstruct_parse(ss, SIGSTRUCT_SIZE, &s, &why) == 0) {
		REQUIRE(s.raw == ss && s.exponent == 3);
		sink += s.isvprodid + s.isvsvn + s.enclavehash[0] + s.q2[SGX_RSA_SIZE - 1];
	} else {
		REQUIRE(why != NULL);
	}
	free(ss);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_manifest(data, size);
	fuzz_bundle(data, size);
	return 0;
}
