/*
 * manifest.c - the bounds-checked reader of the binary manifest (manifest.h).
 * Untrusted input until man_open returns 0; fuzzed in tests/fuzz.
 */
#include "manifest.h"

#include "cstring.h"
#include "path.h"
#include "sgx.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

#define FAIL(msg, at)                   \
	do {                            \
		*why = (msg);           \
		*where = (size_t)(at);  \
		return -1;              \
	} while (0)

/* Is `path` equal to `dir` or below it? */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1)
		return true; /* "/" */
	return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static bool str_ok(const struct manifest *m, uint32_t off)
{
	return off < m->strings_size;
}

const char *man_str(const struct manifest *m, uint32_t off)
{
	return m->strings + off;
}

static const char *str_at(const struct manifest *m, const uint8_t *arr, uint32_t i)
{
	return man_str(m, le32(arr + 4 * (size_t)i));
}

const char *man_argv(const struct manifest *m, uint32_t i)
{
	return str_at(m, m->argv, i);
}

const char *man_env(const struct manifest *m, uint32_t i)
{
	return str_at(m, m->env, i);
}

const char *man_env_host(const struct manifest *m, uint32_t i)
{
	return str_at(m, m->env_host, i);
}

void man_mount(const struct manifest *m, uint32_t i, struct man_mount *out)
{
	const uint8_t *p = m->mounts + 16 * (size_t)i;
	out->type = le32(p);
	out->path = le32(p + 4);
	out->source = le32(p + 8);
	out->flags = le32(p + 12);
}

void man_file(const struct manifest *m, uint32_t i, struct man_file *out)
{
	const uint8_t *p = m->files + MAN_FILE_SIZE * (size_t)i;
	out->path = le32(p);
	out->kind = le32(p + 4);
	out->size = le64(p + 8);
	out->target = le32(p + 16);
	out->mode = le32(p + 20);
	memcpy(out->sha256, p + 24, 32);
	out->mtime = le64(p + 56);
}

static const char *file_path(const struct manifest *m, uint32_t i)
{
	return man_str(m, le32(m->files + MAN_FILE_SIZE * (size_t)i));
}

long man_find_file(const struct manifest *m, const char *path)
{
	uint32_t lo = 0, hi = m->nfiles;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(file_path(m, mid), path);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Compare path with the key dir + "/": paths below dir compare >= 0. */
static int cmp_below(const char *path, const char *dir, size_t n)
{
	int c = strncmp(path, dir, n);
	if (c)
		return c;
	unsigned char ch = (unsigned char)path[n];
	return ch < '/' ? -1 : ch > '/' ? 1 : 0;
}

uint32_t man_first_under(const struct manifest *m, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1) /* "/": everything but "/" itself, which sorts first */
		return m->nfiles && file_path(m, 0)[1] == 0 ? 1 : 0;
	uint32_t lo = 0, hi = m->nfiles;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (cmp_below(file_path(m, mid), dir, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A host or domain name: at most 64 printable ASCII characters. The
 * string is inside STRINGS and NUL-terminated there (str_ok). */
static bool uts_name_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= MAN_UTS_NAME_MAX || s[n] < 0x20 || s[n] > 0x7e)
			return false;
	return true;
}

static int check_config(struct manifest *m, const uint8_t *p, const char **why, size_t *where)
{
	struct man_config *c = &m->config;
	size_t at = (size_t)(p - m->raw);

	c->entrypoint = le32(p);
	c->cwd = le32(p + 4);
	c->enclave_size = le64(p + 8);
	c->threads = le32(p + 16);
	c->flags = le32(p + 20);
	c->isvprodid = (uint16_t)(p[24] | p[25] << 8);
	c->isvsvn = (uint16_t)(p[26] | p[27] << 8);
	c->host_args = le32(p + 28);
	c->hostname = le32(p + 32);
	c->domainname = le32(p + 36);
	c->xsave = le32(p + 40);
	for (int i = 44; i < 48; i++)
		if (p[i])
			FAIL("CONFIG has non-zero reserved bytes", at + i);
	if (!str_ok(m, c->entrypoint) || !path_canonical(man_str(m, c->entrypoint)))
		FAIL("the entrypoint is not a normalized absolute path", at);
	if (!str_ok(m, c->cwd) || !path_canonical(man_str(m, c->cwd)))
		FAIL("the working directory is not a normalized absolute path", at + 4);
	uint64_t s = c->enclave_size;
	if (s < (1u << 20) || (s & (s - 1)) || s > (1ULL << 40))
		FAIL("the enclave size is not a power of two between 1 MiB and 1 TiB", at + 8);
	if (c->threads < MAN_MIN_THREADS || c->threads > MAN_MAX_THREADS)
		FAIL("the thread count is not from 1 to 4096", at + 16);
	if (c->flags & ~(MAN_F_DEBUG | MAN_F_TERMINAL | MAN_F_EXINFO))
		FAIL("CONFIG has unknown flags", at + 20);
	if ((c->xsave & SGX_XFRM_LEGACY) || sgx_xfrm_fault(SGX_XFRM_LEGACY | c->xsave))
		FAIL("CONFIG's XSAVE features are not a valid XFRM beyond x87 and SSE", at + 40);
	if (c->host_args > MAN_ARGS_APPEND)
		FAIL("CONFIG has an unknown host argument mode", at + 28);
	if (!str_ok(m, c->hostname) || !uts_name_ok(man_str(m, c->hostname)))
		FAIL("the host name is longer than 64 characters or not printable ASCII", at + 32);
	if (!str_ok(m, c->domainname) || !uts_name_ok(man_str(m, c->domainname)))
		FAIL("the domain name is longer than 64 characters or not printable ASCII", at + 36);
	return 0;
}

static int check_strings(const struct manifest *m, const uint8_t *arr, uint32_t n, const char **why,
			 size_t *where)
{
	for (uint32_t i = 0; i < n; i++)
		if (!str_ok(m, le32(arr + 4 * (size_t)i)))
			FAIL("a string offset is outside STRINGS", (size_t)(arr - m->raw) + 4 * i);
	return 0;
}

#define STR_(x) #x
#define STR(x) STR_(x)

const char *man_mounts_fault(uint32_t n)
{
	return n > MAN_MAX_MOUNTS ? "more than " STR(MAN_MAX_MOUNTS) " mounts, the most a manifest may have (MAN_MAX_MOUNTS)"
				  : NULL;
}

static int check_mounts(const struct manifest *m, const char **why, size_t *where)
{
	const char *fault = man_mounts_fault(m->nmounts);
	if (fault)
		FAIL(fault, (size_t)(m->mounts - m->raw));
	for (uint32_t i = 0; i < m->nmounts; i++) {
		struct man_mount a;
		size_t at = (size_t)(m->mounts - m->raw) + 16 * i;
		man_mount(m, i, &a);
		if (a.type < MAN_MOUNT_TRUSTED || a.type > MAN_MOUNT_SHM)
			FAIL("a mount has an unknown type", at);
		if (a.flags & ~MAN_MOUNT_F_READONLY)
			FAIL("a mount has unknown flags", at + 12);
		if (!str_ok(m, a.path) || !str_ok(m, a.source) || !path_canonical(man_str(m, a.path)))
			FAIL("a mount path is not a normalized absolute path", at + 4);
		const char *src = man_str(m, a.source);
		bool sourceless = a.type == MAN_MOUNT_TMPFS || a.type == MAN_MOUNT_SHM;
		if (sourceless ? *src != 0 : src[0] != '/')
			FAIL("a mount's host source is not absolute (or is set for tmpfs or shm)", at + 8);
		for (uint32_t j = 0; j < i; j++) {
			struct man_mount b;
			man_mount(m, j, &b);
			const char *pa = man_str(m, a.path), *pb = man_str(m, b.path);
			if (under(pa, pb) || under(pb, pa))
				FAIL("two mounts overlap", at + 4);
		}
	}
	return 0;
}

static int check_files(const struct manifest *m, const char **why, size_t *where)
{
	const char *prev = NULL;

	for (uint32_t i = 0; i < m->nfiles; i++) {
		struct man_file f;
		size_t at = (size_t)(m->files - m->raw) + MAN_FILE_SIZE * i;
		man_file(m, i, &f);
		if (!str_ok(m, f.path) || !str_ok(m, f.target) || !path_canonical(man_str(m, f.path)))
			FAIL("a trusted file path is not a normalized absolute path", at);
		const char *path = man_str(m, f.path);
		if (prev && strcmp(prev, path) >= 0)
			FAIL("trusted files are not sorted by path", at);
		prev = path;
		if (f.kind < MAN_FILE_REG || f.kind > MAN_FILE_SYMLINK)
			FAIL("a trusted file has an unknown kind", at + 4);
		if ((f.kind == MAN_FILE_SYMLINK) != (*man_str(m, f.target) != 0))
			FAIL("a symlink without a target, or a target on a non-symlink", at + 16);
		if (f.kind != MAN_FILE_REG && f.size)
			FAIL("a directory or symlink with a size", at + 8);
		if (f.mode & ~07777u)
			FAIL("a trusted file has unknown mode bits", at + 20);
		bool inside = false;
		for (uint32_t j = 0; j < m->nmounts && !inside; j++) {
			struct man_mount mt;
			man_mount(m, j, &mt);
			inside = mt.type == MAN_MOUNT_TRUSTED && under(path, man_str(m, mt.path));
		}
		if (!inside)
			FAIL("a trusted file is outside every trusted mount", at);
	}
	return 0;
}

int man_open(struct manifest *m, const void *raw, size_t size, const char **why, size_t *where)
{
	const uint8_t *b = raw;
	static const uint32_t elem[MAN_SECTION_MAX + 1] = {
		[MAN_STRINGS] = 1, [MAN_CONFIG] = 48, [MAN_ARGV] = 4, [MAN_ENV] = 4,
		[MAN_ENV_HOST] = 4, [MAN_MOUNTS] = 16, [MAN_FILES] = MAN_FILE_SIZE,
	};
	const uint8_t *sec[MAN_SECTION_MAX + 1] = { 0 };
	uint32_t count[MAN_SECTION_MAX + 1] = { 0 }, len[MAN_SECTION_MAX + 1] = { 0 };

	*m = (struct manifest){ .raw = b, .size = size };
	if (size < MAN_HEADER_SIZE || memcmp(b, MAN_MAGIC, 8) != 0)
		FAIL("not a Coffer manifest (bad magic)", 0);
	if (le32(b + 8) != MAN_VERSION)
		FAIL("unsupported manifest version", 8);
	uint32_t total = le32(b + 12), nsec = le32(b + 16);
	if (total != size || total > MAN_MAX_SIZE)
		FAIL("the size field does not match the manifest's size", 12);
	if (nsec > MAN_SECTION_MAX || le32(b + 20) != 0)
		FAIL("bad section count", 16);
	size_t next = MAN_HEADER_SIZE + (size_t)nsec * MAN_SECTION_SIZE;
	if (next > size)
		FAIL("the section table runs past the end", 16);
	for (uint32_t i = 0; i < nsec; i++) {
		const uint8_t *e = b + MAN_HEADER_SIZE + i * MAN_SECTION_SIZE;
		uint32_t type = le32(e), off = le32(e + 4), sz = le32(e + 8), cnt = le32(e + 12);
		size_t at = (size_t)(e - b);
		if (type == 0 || type > MAN_SECTION_MAX || sec[type])
			FAIL("unknown or repeated section", at);
		if (off < next || off > size || sz > size - off)
			FAIL("a section is out of order or outside the manifest", at + 4);
		if ((uint64_t)cnt * elem[type] != sz && type != MAN_STRINGS)
			FAIL("a section's size does not match its count", at + 8);
		sec[type] = b + off;
		len[type] = sz;
		count[type] = cnt;
		next = off + sz;
	}
	if (!sec[MAN_STRINGS] || !sec[MAN_CONFIG] || count[MAN_CONFIG] != 1)
		FAIL("STRINGS or CONFIG is missing", 16);
	m->strings = (const char *)sec[MAN_STRINGS];
	m->strings_size = len[MAN_STRINGS];
	if (m->strings_size == 0 || m->strings[0] != 0 || m->strings[m->strings_size - 1] != 0)
		FAIL("STRINGS must start and end with a NUL", (size_t)(sec[MAN_STRINGS] - b));
	m->argv = sec[MAN_ARGV];
	m->nargv = count[MAN_ARGV];
	m->env = sec[MAN_ENV];
	m->nenv = count[MAN_ENV];
	m->env_host = sec[MAN_ENV_HOST];
	m->nenv_host = count[MAN_ENV_HOST];
	m->mounts = sec[MAN_MOUNTS];
	m->nmounts = count[MAN_MOUNTS];
	m->files = sec[MAN_FILES];
	m->nfiles = count[MAN_FILES];
	if (check_config(m, sec[MAN_CONFIG], why, where) || check_strings(m, m->argv, m->nargv, why, where) ||
	    check_strings(m, m->env, m->nenv, why, where) ||
	    check_strings(m, m->env_host, m->nenv_host, why, where) || check_mounts(m, why, where) ||
	    check_files(m, why, where))
		return -1;
	if (m->nargv == 0)
		FAIL("argv is empty", 16);
	for (uint32_t i = 0; i < m->nenv; i++) {
		const char *e = man_env(m, i);
		if (e[0] == '=' || !e[0])
			FAIL("an environment entry has no name", (size_t)(m->env - b) + 4 * i);
		bool eq = false;
		for (const char *c = e; *c && !eq; c++)
			eq = *c == '=';
		if (!eq)
			FAIL("an environment entry is not NAME=VALUE", (size_t)(m->env - b) + 4 * i);
	}
	return 0;
}
