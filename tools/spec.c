/*
 * spec.c - loading the owner's YAML manifest (schema in docs/manifest.md).
 *
 * libyaml builds the document tree with line and column marks; everything
 * after that is ours: keys are checked against the schema (unknown and
 * repeated keys are errors), scalars are typed the way YAML resolves plain
 * scalars (a quoted "64" is a string, not a number), paths must be absolute,
 * mounts must not overlap. All problems are reported, each on its own line
 * as FILE:LINE:COLUMN: message, before the load fails; a value that a YAML
 * alias uses in several places is one problem, reported once.
 *
 * What is signed must be what a reviewer reads. A double-quoted YAML scalar
 * can hold any character through an escape ("\0", "\x1b", "\u202e"), and
 * what the scalar then means is not what the text shows: a NUL would cut the
 * string where the runtime reads it, an escape sequence or a bidirectional
 * override would display one thing and mean another. So every string is
 * checked, as libyaml decoded it (string_fault): never NUL, other C0
 * controls, DEL, C1 controls or bidirectional controls; in paths and names
 * also no tab, newline or invisible format character. Tab and newline stay
 * legal in argv entries and env values, where block scalars (`|`) are the
 * ordinary way to write several lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "../common/path.h"
#include "../common/sgx.h"
#include "spec.h"

struct ctx {
	const char *file;
	yaml_document_t *doc;
	int errors;
	/* scalars whose content was already found wrong: an alias repeats a
	 * node, not its problem */
	const yaml_node_t **faulty;
	size_t nfaulty, capfaulty;
};

/* Record n as faulty; false if it was already (its problem is reported). */
static bool first_fault(struct ctx *c, const yaml_node_t *n)
{
	for (size_t i = 0; i < c->nfaulty; i++)
		if (c->faulty[i] == n)
			return false;
	if (c->nfaulty == c->capfaulty) {
		size_t cap = c->capfaulty ? 2 * c->capfaulty : 16;
		const yaml_node_t **v = realloc(c->faulty, cap * sizeof *v);
		if (!v)
			return true;
		c->faulty = v;
		c->capfaulty = cap;
	}
	c->faulty[c->nfaulty++] = n;
	return true;
}

static void err(struct ctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void err(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%zu:%zu: ", c->file, n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	c->errors++;
}

static yaml_node_t *node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* Which strings may hold what (see the top of this file). */
enum str_kind {
	STR_TEXT, /* argv entries, env values: tab and newline allowed */
	STR_NAME, /* paths and names: nothing a reader could miss */
	STR_ANY,  /* every other scalar, keys too: as STR_TEXT */
};

/* The first character of s (length n, UTF-8 as libyaml checked it) that the
 * YAML a reviewer reads would hide, or -1 if there is none. */
static long string_fault(const unsigned char *s, size_t n, enum str_kind kind, const char **what)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp = s[i];
		size_t len = 1;
		if (cp >= 0xf0 && n - i >= 4) {
			cp = (cp & 0x07) << 18 | (uint32_t)(s[i + 1] & 0x3f) << 12 | (uint32_t)(s[i + 2] & 0x3f) << 6 |
			     (s[i + 3] & 0x3f);
			len = 4;
		} else if (cp >= 0xe0 && n - i >= 3) {
			cp = (cp & 0x0f) << 12 | (uint32_t)(s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f);
			len = 3;
		} else if (cp >= 0xc0 && n - i >= 2) {
			cp = (cp & 0x1f) << 6 | (s[i + 1] & 0x3f);
			len = 2;
		}
		i += len;
		*what = NULL;
		if (cp == 0)
			*what = "a NUL character";
		else if ((cp == '\t' || cp == '\n') && kind != STR_NAME)
			continue;
		else if (cp < 0x20 || cp == 0x7f)
			*what = "a control character";
		else if (cp >= 0x80 && cp <= 0x9f)
			*what = "a C1 control character";
		else if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
			 (cp >= 0x2066 && cp <= 0x2069))
			*what = "a bidirectional control character";
		else if (kind == STR_NAME && (cp == 0x00ad || cp == 0x034f || cp == 0x180e || (cp >= 0x200b && cp <= 0x200d) ||
					      cp == 0x2028 || cp == 0x2029 || (cp >= 0x2060 && cp <= 0x2064) ||
					      cp == 0xfeff || (cp >= 0xfe00 && cp <= 0xfe0f)))
			*what = "an invisible character";
		if (*what)
			return (long)cp;
	}
	return -1;
}

/* Check a scalar's content; false after reporting the problem (once per
 * node, however many aliases use it). */
static bool check_chars(struct ctx *c, const yaml_node_t *n, const char *what, enum str_kind kind)
{
	const char *bad;
	long cp = string_fault(n->data.scalar.value, n->data.scalar.length, kind, &bad);
	if (cp < 0)
		return true;
	if (first_fault(c, n))
		err(c, n, "%s contains %s (U+%04lX): not allowed in %s", what, bad, cp,
		    kind == STR_TEXT   ? "argv entries and env values (of the control characters only tab and newline are)"
		    : kind == STR_NAME ? "paths and names"
				       : "a manifest");
	return false;
}

/* A string: any scalar (YAML would also read `1` as a string here), with
 * nothing in it that a reader of the YAML would not see. */
static char *get_str_kind(struct ctx *c, const yaml_node_t *n, const char *what, enum str_kind kind)
{
	if (n->type != YAML_SCALAR_NODE) {
		if (first_fault(c, n))
			err(c, n, "%s must be a string, not %s", what, kind_name(n));
		return NULL;
	}
	if (!check_chars(c, n, what, kind))
		return NULL;
	return strdup(scalar(n));
}


/* A portable environment variable name: letters, digits, _; no digit first. */
static bool env_name_ok(const char *s, size_t n)
{
	if (!n || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* hostname, domainname: what sethostname would take (64 bytes at most),
 * printable ASCII, as the binary manifest requires. */
static char *get_uts_name(struct ctx *c, const yaml_node_t *n, const char *what)
{
	char *s = get_str_kind(c, n, what, STR_NAME);
	if (!s)
		return NULL;
	bool ascii = true;
	for (const char *p = s; *p; p++)
		ascii &= *p >= 0x20 && *p <= 0x7e;
	if (strlen(s) > MAN_UTS_NAME_MAX || !ascii) {
		err(c, n, "%s must be at most %u printable ASCII characters, not '%s'", what, MAN_UTS_NAME_MAX, s);
		free(s);
		return NULL;
	}
	return s;
}

static char *get_path(struct ctx *c, const yaml_node_t *n, const char *what)
{
	char *s = get_str_kind(c, n, what, STR_NAME);
	if (s && s[0] != '/') {
		if (first_fault(c, n))
			err(c, n, "%s must be an absolute path, not '%s'", what, s);
		free(s);
		return NULL;
	}
	/* keep it canonical: no trailing slash, no //, no . or .. */
	if (s) {
		bool bad = false;
		for (char *p = s; *p && !bad; p++)
			if (*p == '/' && (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || !p[2] || (p[2] == '.' && (p[3] == '/' || !p[3]))))))
				bad = true;
		size_t len = strlen(s);
		if (len > 1 && s[len - 1] == '/')
			bad = true;
		if (bad) {
			if (first_fault(c, n))
				err(c, n, "%s '%s' must be written without '//', '.', '..' or a trailing '/'", what, s);
			free(s);
			return NULL;
		}
	}
	return s;
}

static bool get_bool(struct ctx *c, const yaml_node_t *n, const char *what, bool *out)
{
	if (n->type == YAML_SCALAR_NODE && plain(n)) {
		const char *v = scalar(n);
		if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE")) {
			*out = true;
			return true;
		}
		if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE")) {
			*out = false;
			return true;
		}
	}
	err(c, n, "%s must be true or false", what);
	return false;
}

static bool get_uint(struct ctx *c, const yaml_node_t *n, const char *what, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	if (n->type == YAML_SCALAR_NODE && plain(n)) {
		char *end;
		errno = 0;
		const char *v = scalar(n);
		unsigned long long x = strtoull(v, &end, 10);
		if (*v >= '0' && *v <= '9' && !*end && !errno && x >= min && x <= max) {
			*out = x;
			return true;
		}
	}
	if (first_fault(c, n))
		err(c, n, "%s must be an integer from %llu to %llu", what, (unsigned long long)min,
		    (unsigned long long)max);
	return false;
}

bool spec_parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		return false;
	unsigned long long x = strtoull(s, &end, 10);
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end == 'T' || *end == 't')
		shift = 40;
	if (shift)
		end++;
	if (*end == 'i' && shift) /* 4Gi */
		end++;
	if (*end == 'B' && shift)
		end++;
	if (*end || errno || end == s || x > (~0ULL >> shift))
		return false;
	*out = x << shift;
	return true;
}

static bool repeated(struct ctx *c, const yaml_node_t *map, const yaml_node_pair_t *upto, const char *key)
{
	for (const yaml_node_pair_t *p = map->data.mapping.pairs.start; p < upto; p++) {
		yaml_node_t *k = node(c, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), key))
			return true;
	}
	return false;
}

/* The key of pair p of a mapping, or NULL (after an error) if it is not a
 * plain string or repeats an earlier key. */
static const char *map_key(struct ctx *c, const yaml_node_t *map, const yaml_node_pair_t *p)
{
	yaml_node_t *kn = node(c, p->key);
	if (kn->type != YAML_SCALAR_NODE) {
		err(c, kn, "keys must be plain strings");
		return NULL;
	}
	if (!check_chars(c, kn, "a key", STR_NAME))
		return NULL;
	const char *k = scalar(kn);
	if (repeated(c, map, p, k)) {
		err(c, kn, "'%s' appears twice", k);
		return NULL;
	}
	return k;
}

static void unknown_key(struct ctx *c, yaml_node_t *kn, const char *kname, const char *where, const char *known)
{
	err(c, kn, "unknown key '%s'%s%s (known keys: %s)", kname, where ? " in " : "", where ? where : "", known);
}

static char **get_str_list(struct ctx *c, yaml_node_t *n, const char *what, enum str_kind kind, size_t *count)
{
	*count = 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		err(c, n, "%s must be a list of strings, not %s", what, kind_name(n));
		return NULL;
	}
	size_t cap = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	char **v = calloc(cap + 1, sizeof *v);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		char item[64];
		snprintf(item, sizeof item, "%s[%zu]", what, (size_t)(it - n->data.sequence.items.start));
		char *s = get_str_kind(c, node(c, *it), item, kind);
		if (s)
			v[(*count)++] = s;
	}
	return v;
}

static void load_env(struct ctx *c, yaml_node_t *n, struct spec *s)
{
	if (n->type != YAML_MAPPING_NODE) {
		err(c, n, "env must be a mapping of NAME: value, not %s", kind_name(n));
		return;
	}
	size_t cap = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	s->env = calloc(cap + 1, sizeof *s->env);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key), *vn = node(c, p->value);
		const char *name = map_key(c, n, p);
		if (!name)
			continue;
		if (!env_name_ok(name, kn->data.scalar.length)) {
			if (first_fault(c, kn))
				err(c, kn, "'%s' is not a valid environment variable name (letters, digits and _)", name);
			continue;
		}
		if (vn->type != YAML_SCALAR_NODE) {
			if (first_fault(c, vn))
				err(c, vn, "the value of %s must be a string, not %s", name, kind_name(vn));
			continue;
		}
		char what[300];
		snprintf(what, sizeof what, "the value of %s", name);
		if (!check_chars(c, vn, what, STR_TEXT))
			continue;
		char *e;
		if (asprintf(&e, "%s=%s", name, scalar(vn)) > 0)
			s->env[s->nenv++] = e;
	}
}

static void free_strv(char **v, size_t n);

static void spec_mount_free(struct spec_mount *m)
{
	free(m->path);
	free(m->source);
	free_strv(m->files, m->nfiles);
}

static const struct {
	const char *name;
	enum man_mount_type type;
} mount_types[] = {
	{ "trusted", MAN_MOUNT_TRUSTED },
	{ "passthrough", MAN_MOUNT_PASSTHROUGH },
	{ "tmpfs", MAN_MOUNT_TMPFS },
	{ "encrypted", MAN_MOUNT_ENCRYPTED },
	{ "shm", MAN_MOUNT_SHM },
};

static bool overlaps(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na == 1 || nb == 1)
		return true; /* "/" covers everything */
	size_t n = na < nb ? na : nb;
	return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/') && (b[n] == 0 || b[n] == '/');
}

/* Is rel a relative path written canonically (no leading or trailing '/',
 * no empty, "." or ".." component)? */
static bool rel_canonical(const char *rel)
{
	char abs[PATH_MAX];
	return *rel && *rel != '/' && (size_t)snprintf(abs, sizeof abs, "/%s", rel) < sizeof abs &&
	       path_canonical(abs);
}

/* `files:` of a trusted mount: relative canonical paths, none inside
 * another (a directory listed brings its whole tree already). */
static void load_files(struct ctx *c, yaml_node_t *n, struct spec_mount *m, const char *what)
{
	char list[80];
	snprintf(list, sizeof list, "%s files", what);
	m->listed = true;
	m->files = get_str_list(c, n, list, STR_NAME, &m->nfiles);
	if (!m->files)
		return;
	if (!m->nfiles && n->type == YAML_SEQUENCE_NODE)
		err(c, n, "%s: files must list at least one path below the mount", what);
	for (size_t i = 0; i < m->nfiles; i++) {
		yaml_node_t *item = node(c, n->data.sequence.items.start[i]);
		if (!rel_canonical(m->files[i])) {
			err(c, item, "%s: '%s' must be a path relative to the mount, written without a leading or "
				     "trailing '/', '//', '.' or '..'", list, m->files[i]);
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (!rel_canonical(m->files[j]))
				continue;
			char a[PATH_MAX], b[PATH_MAX];
			snprintf(a, sizeof a, "/%s", m->files[i]);
			snprintf(b, sizeof b, "/%s", m->files[j]);
			size_t line = node(c, n->data.sequence.items.start[j])->start_mark.line + 1;
			if (!strcmp(a, b))
				err(c, item, "%s: '%s' appears twice (line %zu)", list, m->files[i], line);
			else if (overlaps(a, b))
				err(c, item, "%s: '%s' overlaps '%s' (line %zu): a listed directory brings its whole tree",
				    list, m->files[i], m->files[j], line);
		}
	}
}

static void load_mount(struct ctx *c, yaml_node_t *n, struct spec *s, size_t index)
{
	struct spec_mount m = { .line = (int)n->start_mark.line + 1, .col = (int)n->start_mark.column + 1 };
	yaml_node_t *type_node = NULL, *source_node = NULL, *ro_node = NULL, *path_node = NULL, *files_node = NULL;
	bool have_type = false;
	char what[64];

	snprintf(what, sizeof what, "mounts[%zu]", index);
	if (n->type != YAML_MAPPING_NODE) {
		err(c, n, "%s must be a mapping with path and type, not %s", what, kind_name(n));
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key), *vn = node(c, p->value);
		const char *k = map_key(c, n, p);
		if (!k)
			continue;
		if (!strcmp(k, "path")) {
			path_node = vn;
			m.path = get_path(c, vn, "the mount path");
		} else if (!strcmp(k, "type")) {
			type_node = vn;
			if (vn->type != YAML_SCALAR_NODE) {
				err(c, vn, "the mount type must be a string, not %s", kind_name(vn));
				continue;
			}
			const char *t = scalar(vn);
			for (size_t i = 0; i < sizeof mount_types / sizeof mount_types[0]; i++)
				if (!strcmp(t, mount_types[i].name)) {
					m.type = mount_types[i].type;
					have_type = true;
				}
			if (!have_type)
				err(c, vn, "unknown mount type '%s' (trusted, passthrough, tmpfs, shm, encrypted)", t);
		} else if (!strcmp(k, "source")) {
			source_node = vn;
			m.source = get_path(c, vn, "the mount source");
		} else if (!strcmp(k, "readonly")) {
			ro_node = vn;
			get_bool(c, vn, "readonly", &m.readonly);
		} else if (!strcmp(k, "files")) {
			files_node = vn;
			load_files(c, vn, &m, what);
		} else {
			unknown_key(c, kn, k, what, "path, type, source, readonly, files");
		}
	}
	if (!m.path && !path_node)
		err(c, n, "%s has no path", what);
	if (!type_node && m.path)
		err(c, n, "%s (%s) has no type: trusted, passthrough, tmpfs or shm", what, m.path);
	if (have_type && m.type == MAN_MOUNT_ENCRYPTED)
		err(c, type_node, "encrypted mounts are reserved for a later version of coffer and are not supported yet");
	if (have_type && (m.type == MAN_MOUNT_TMPFS || m.type == MAN_MOUNT_SHM) && source_node)
		err(c, source_node, "%s mount has no host source", m.type == MAN_MOUNT_SHM ? "an shm" : "a tmpfs");
	if (have_type && m.type != MAN_MOUNT_TRUSTED && files_node)
		err(c, files_node, "files applies to trusted mounts only");
	if (have_type && m.type != MAN_MOUNT_PASSTHROUGH && ro_node)
		err(c, ro_node, "readonly applies to passthrough mounts only (trusted mounts are always read-only)");
	if (!m.path || !have_type) {
		spec_mount_free(&m);
		return;
	}
	if (m.type == MAN_MOUNT_TMPFS || m.type == MAN_MOUNT_SHM) {
		free(m.source);
		m.source = strdup("");
	} else if (!m.source) {
		m.source = strdup(m.path);
	}
	for (size_t i = 0; i < s->nmounts; i++) {
		if (overlaps(s->mounts[i].path, m.path)) {
			err(c, n, "%s %s %s mounts[%zu] %s (line %d): mounts must not be inside one another", what, m.path,
			    strcmp(s->mounts[i].path, m.path) ? "overlaps" : "repeats", i, s->mounts[i].path,
			    s->mounts[i].line);
			spec_mount_free(&m);
			return;
		}
	}
	s->mounts[s->nmounts++] = m;
}

/* enclave.xsave: names of XSAVE feature groups -> XFRM bits beyond x87|SSE
 * (common/sgx.h). The names are those of Gramine's sgx.require_* keys. */
static const struct {
	const char *name;
	uint32_t bits;
} xsave_names[] = {
	{ "avx", (uint32_t)SGX_XFRM_AVX },
	{ "avx512", (uint32_t)SGX_XFRM_AVX512 },
	{ "pkru", (uint32_t)SGX_XFRM_PKRU },
	{ "amx", (uint32_t)SGX_XFRM_AMX },
};

static void load_xsave(struct ctx *c, yaml_node_t *n, struct spec *s)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		err(c, n, "enclave.xsave must be a list of XSAVE features (avx, avx512, pkru, amx), not %s",
		    kind_name(n));
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = node(c, *it);
		char what[64];
		snprintf(what, sizeof what, "enclave.xsave[%zu]", (size_t)(it - n->data.sequence.items.start));
		char *name = get_str_kind(c, item, what, STR_NAME);
		if (!name)
			continue;
		size_t k = 0;
		while (k < sizeof xsave_names / sizeof *xsave_names && strcmp(name, xsave_names[k].name))
			k++;
		if (k == sizeof xsave_names / sizeof *xsave_names)
			err(c, item, "%s: unknown XSAVE feature '%s' (known: avx, avx512, pkru, amx)", what, name);
		else if (s->xsave & xsave_names[k].bits)
			err(c, item, "%s: '%s' is listed twice", what, name);
		else
			s->xsave |= xsave_names[k].bits;
		free(name);
	}
	if ((s->xsave & SGX_XFRM_AVX512) && !(s->xsave & SGX_XFRM_AVX))
		err(c, n, "enclave.xsave: avx512 needs avx too (the CPU enables AVX-512 only with AVX)");
}

static void load_enclave(struct ctx *c, yaml_node_t *n, struct spec *s)
{
	uint64_t v;

	if (n->type != YAML_MAPPING_NODE) {
		err(c, n, "enclave must be a mapping, not %s", kind_name(n));
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key), *vn = node(c, p->value);
		const char *k = map_key(c, n, p);
		if (!k)
			continue;
		if (!strcmp(k, "size")) {
			s->size_line = (int)vn->start_mark.line + 1;
			s->size_col = (int)vn->start_mark.column + 1;
			if (vn->type != YAML_SCALAR_NODE || !spec_parse_size(scalar(vn), &v) || v < (1u << 20) ||
			    (v & (v - 1)) || v > (1ULL << 40))
				err(c, vn, "enclave size must be a power of two from 1M to 1T (like 512M or 4G)");
			else
				s->enclave_size = v;
		} else if (!strcmp(k, "threads")) {
			if (get_uint(c, vn, "threads", MAN_MIN_THREADS, MAN_MAX_THREADS, &v))
				s->threads = (uint32_t)v;
		} else if (!strcmp(k, "debug")) {
			get_bool(c, vn, "debug", &s->debug);
		} else if (!strcmp(k, "isvprodid")) {
			if (get_uint(c, vn, "isvprodid", 0, 65535, &v))
				s->isvprodid = (uint16_t)v;
		} else if (!strcmp(k, "isvsvn")) {
			if (get_uint(c, vn, "isvsvn", 0, 65535, &v))
				s->isvsvn = (uint16_t)v;
		} else if (!strcmp(k, "xsave")) {
			load_xsave(c, vn, s);
		} else if (!strcmp(k, "exinfo")) {
			get_bool(c, vn, "exinfo", &s->exinfo);
		} else {
			unknown_key(c, kn, k, "enclave", "size, threads, debug, isvprodid, isvsvn, xsave, exinfo");
		}
	}
}

static void load_root(struct ctx *c, yaml_node_t *root, struct spec *s)
{
	yaml_node_t *entry = NULL, *host_env_node = NULL, *cwd_node = NULL, *mounts_node = NULL;
	int mount_errors = 0;

	if (root->type != YAML_MAPPING_NODE) {
		err(c, root, "the manifest must be a mapping of keys (entrypoint, argv, env, mounts, ...), not %s",
		    kind_name(root));
		return;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key), *vn = node(c, p->value);
		const char *k = map_key(c, root, p);
		if (!k)
			continue;
		if (!strcmp(k, "version")) {
			uint64_t v;
			if (get_uint(c, vn, "version", 0, 1000, &v) && v != 1)
				err(c, vn, "manifest version %llu is not supported (this coffer reads version 1)",
				    (unsigned long long)v);
		} else if (!strcmp(k, "entrypoint")) {
			entry = vn;
			s->entrypoint = get_path(c, vn, "entrypoint");
			s->entry_line = (int)vn->start_mark.line + 1;
			s->entry_col = (int)vn->start_mark.column + 1;
		} else if (!strcmp(k, "argv")) {
			s->argv = get_str_list(c, vn, "argv", STR_TEXT, &s->nargv);
			if (s->argv && !s->nargv)
				err(c, vn, "argv must not be empty (argv[0] is the program's name)");
		} else if (!strcmp(k, "host_args")) {
			const char *v = vn->type == YAML_SCALAR_NODE ? scalar(vn) : "";
			if (!strcmp(v, "none"))
				s->host_args = MAN_ARGS_NONE;
			else if (!strcmp(v, "append"))
				s->host_args = MAN_ARGS_APPEND;
			else
				err(c, vn, "host_args must be none or append");
		} else if (!strcmp(k, "env")) {
			load_env(c, vn, s);
		} else if (!strcmp(k, "host_env")) {
			host_env_node = vn;
			s->host_env = get_str_list(c, vn, "host_env", STR_NAME, &s->nhost_env);
			for (size_t i = 0; i < s->nhost_env && vn->type == YAML_SEQUENCE_NODE; i++) {
				yaml_node_t *item = node(c, vn->data.sequence.items.start[i]);
				const char *name = s->host_env[i];
				if (!env_name_ok(name, strlen(name)) && first_fault(c, item))
					err(c, item, "host_env: '%s' is not a valid variable name", name);
				for (size_t j = 0; j < i; j++)
					if (!strcmp(s->host_env[j], name))
						err(c, item, "host_env: '%s' appears twice", name);
			}
		} else if (!strcmp(k, "cwd")) {
			cwd_node = vn;
			free(s->cwd);
			s->cwd = get_path(c, vn, "cwd");
		} else if (!strcmp(k, "mounts")) {
			mounts_node = vn;
			if (vn->type != YAML_SEQUENCE_NODE) {
				err(c, vn, "mounts must be a list, not %s", kind_name(vn));
				continue;
			}
			mounts_node = vn;
			size_t n = (size_t)(vn->data.sequence.items.top - vn->data.sequence.items.start);
			s->mounts = calloc(n + 1, sizeof *s->mounts);
			int before = c->errors;
			const char *fault = man_mounts_fault(n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
			if (fault)
				err(c, vn, "mounts has %zu entries: %s; trust whole directories, or the files "
					   "of one directory with a single mount (files:)", n, fault);
			else
				for (size_t i = 0; i < n; i++)
					load_mount(c, node(c, vn->data.sequence.items.start[i]), s, i);
			mount_errors = c->errors - before;
		} else if (!strcmp(k, "enclave")) {
			load_enclave(c, vn, s);
		} else if (!strcmp(k, "hostname")) {
			free(s->hostname);
			s->hostname = get_uts_name(c, vn, "hostname");
		} else if (!strcmp(k, "domainname")) {
			free(s->domainname);
			s->domainname = get_uts_name(c, vn, "domainname");
		} else if (!strcmp(k, "terminal")) {
			get_bool(c, vn, "terminal", &s->terminal);
		} else {
			unknown_key(c, kn, k, NULL,
				    "version, entrypoint, argv, host_args, env, host_env, cwd, hostname, domainname, "
				    "mounts, terminal, enclave");
		}
	}
	if (mounts_node && mounts_node->type != YAML_SEQUENCE_NODE)
		mount_errors++;
	/* one problem, one line: with broken mounts, checks that depend on
	 * them would only repeat it */
	if (!entry)
		err(c, root, "the manifest has no entrypoint (the absolute path of the program to run)");
	else if (s->entrypoint && !mount_errors) {
		bool trusted = false;
		for (size_t i = 0; i < s->nmounts; i++)
			if (s->mounts[i].type == MAN_MOUNT_TRUSTED && overlaps(s->mounts[i].path, s->entrypoint) &&
			    strlen(s->entrypoint) >= strlen(s->mounts[i].path))
				trusted = true;
		if (!trusted)
			err(c, entry, "entrypoint %s is not inside a trusted mount", s->entrypoint);
	}
	/* env fixed and taken from the host at once: which would win? */
	for (size_t i = 0; host_env_node && i < s->nhost_env; i++)
		for (size_t j = 0; j < s->nenv; j++) {
			size_t n = strlen(s->host_env[i]);
			if (!strncmp(s->env[j], s->host_env[i], n) && s->env[j][n] == '=')
				err(c, host_env_node, "'%s' is in env and in host_env: choose one", s->host_env[i]);
		}
	/* the working directory must exist inside the enclave: in a mount or
	 * above one (the directories leading to mount points) */
	if (cwd_node && s->cwd && !mount_errors) {
		bool ok = false;
		for (size_t i = 0; i < s->nmounts && !ok; i++)
			ok = overlaps(s->mounts[i].path, s->cwd);
		if (!ok)
			err(c, cwd_node, "cwd %s is not inside any mount", s->cwd);
	}
}

int spec_load(const char *file, struct spec *s)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ctx c = { .file = file, .doc = &doc };
	FILE *f = fopen(file, "rb");

	memset(s, 0, sizeof *s);
	if (!f) {
		fprintf(stderr, "coffer: %s: %s\n", file, strerror(errno));
		return SPEC_IO_ERROR;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "coffer: %s: Is a directory; coffer sign reads a manifest (a YAML file)\n", file);
		fclose(f);
		return SPEC_IO_ERROR;
	}
	s->file = strdup(file);
	s->enclave_size = SPEC_DEFAULT_SIZE;
	s->threads = SPEC_DEFAULT_THREADS;
	s->cwd = strdup("/");
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		fprintf(stderr, "%s:%zu:%zu: YAML syntax error: %s%s%s\n", file, parser.problem_mark.line + 1,
			parser.problem_mark.column + 1, parser.problem ? parser.problem : "malformed document",
			parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root)
		err(&c, NULL, "the manifest is empty");
	else
		load_root(&c, root, s);
	/* every other scalar too (keys, mount types, sizes, host_args...): a
	 * "trusted\0x" must not read as "trusted" */
	for (yaml_node_t *n = doc.nodes.start; root && n < doc.nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE)
			check_chars(&c, n, "this scalar", STR_ANY);
	/* a manifest is one document: anything after a second "---" would be
	 * silently unsigned */
	yaml_document_t next;
	if (root && yaml_parser_load(&parser, &next)) {
		yaml_node_t *r2 = yaml_document_get_root_node(&next);
		if (r2)
			err(&c, r2, "a manifest is one YAML document; this is a second one");
		yaml_document_delete(&next);
	} else if (root && parser.error != YAML_NO_ERROR) {
		fprintf(stderr, "%s:%zu:%zu: YAML syntax error in a second document: %s\n", file,
			parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			parser.problem ? parser.problem : "malformed document");
		c.errors++;
	}
	if (!c.errors && !s->argv) {
		/* default argv: the entrypoint's name */
		s->argv = calloc(2, sizeof *s->argv);
		s->argv[0] = strdup(s->entrypoint);
		s->nargv = 1;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	free(c.faulty);
	return c.errors ? -1 : 0;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void spec_free(struct spec *s)
{
	free(s->file);
	free(s->entrypoint);
	free_strv(s->argv, s->nargv);
	free_strv(s->env, s->nenv);
	free_strv(s->host_env, s->nhost_env);
	free(s->cwd);
	free(s->hostname);
	free(s->domainname);
	for (size_t i = 0; i < s->nmounts; i++)
		spec_mount_free(&s->mounts[i]);
	free(s->mounts);
	memset(s, 0, sizeof *s);
}
