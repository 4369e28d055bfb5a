/*
 * manifest_write.c - struct spec + trusted files -> the canonical binary
 * manifest (common/manifest.h). Canonical: the same inputs always give the
 * same bytes (sections in a fixed order, files sorted, no padding garbage),
 * which `coffer sign` relies on to be reproducible. The result is checked
 * with the runtime's own reader before it is returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/exit.h"
#include "spec.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		while (b->len + n > b->cap)
			b->cap = b->cap ? 2 * b->cap : 4096;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			perror("coffer");
			exit(COFFER_EXIT_FAIL);
		}
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	put(b, x, 4);
}

static void put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

/* Strings: offset 0 is "". */
static uint32_t str(struct buf *strings, const char *s)
{
	if (!*s)
		return 0;
	uint32_t off = (uint32_t)strings->len;
	put(strings, s, strlen(s) + 1);
	return off;
}

int spec_to_manifest(const struct spec *s, const struct tfile *files, size_t nfiles, uint8_t **out, size_t *len)
{
	struct buf strings = { 0 }, sec[MAN_SECTION_MAX + 1] = { { 0 } };
	uint32_t count[MAN_SECTION_MAX + 1] = { 0 };

	put(&strings, "", 1);
	/* CONFIG */
	put32(&sec[MAN_CONFIG], str(&strings, s->entrypoint));
	put32(&sec[MAN_CONFIG], str(&strings, s->cwd));
	put64(&sec[MAN_CONFIG], s->enclave_size);
	put32(&sec[MAN_CONFIG], s->threads);
	put32(&sec[MAN_CONFIG], (s->debug ? MAN_F_DEBUG : 0) | (s->terminal ? MAN_F_TERMINAL : 0) |
					(s->exinfo ? MAN_F_EXINFO : 0));
	uint8_t ids[4] = { (uint8_t)s->isvprodid, (uint8_t)(s->isvprodid >> 8), (uint8_t)s->isvsvn,
			   (uint8_t)(s->isvsvn >> 8) };
	put(&sec[MAN_CONFIG], ids, 4);
	put32(&sec[MAN_CONFIG], s->host_args);
	put32(&sec[MAN_CONFIG], str(&strings, s->hostname ? s->hostname : ""));
	put32(&sec[MAN_CONFIG], str(&strings, s->domainname ? s->domainname : ""));
	put32(&sec[MAN_CONFIG], s->xsave);
	static const uint8_t zero[4];
	put(&sec[MAN_CONFIG], zero, 4);
	count[MAN_CONFIG] = 1;

	for (size_t i = 0; i < s->nargv; i++)
		put32(&sec[MAN_ARGV], str(&strings, s->argv[i]));
	count[MAN_ARGV] = (uint32_t)s->nargv;
	for (size_t i = 0; i < s->nenv; i++)
		put32(&sec[MAN_ENV], str(&strings, s->env[i]));
	count[MAN_ENV] = (uint32_t)s->nenv;
	for (size_t i = 0; i < s->nhost_env; i++)
		put32(&sec[MAN_ENV_HOST], str(&strings, s->host_env[i]));
	count[MAN_ENV_HOST] = (uint32_t)s->nhost_env;
	for (size_t i = 0; i < s->nmounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		put32(&sec[MAN_MOUNTS], m->type);
		put32(&sec[MAN_MOUNTS], str(&strings, m->path));
		put32(&sec[MAN_MOUNTS], str(&strings, m->source));
		put32(&sec[MAN_MOUNTS], m->readonly ? MAN_MOUNT_F_READONLY : 0);
	}
	count[MAN_MOUNTS] = (uint32_t)s->nmounts;
	for (size_t i = 0; i < nfiles; i++) {
		const struct tfile *f = &files[i];
		put32(&sec[MAN_FILES], str(&strings, f->path));
		put32(&sec[MAN_FILES], f->kind);
		put64(&sec[MAN_FILES], f->size);
		put32(&sec[MAN_FILES], f->target ? str(&strings, f->target) : 0);
		put32(&sec[MAN_FILES], f->mode);
		put(&sec[MAN_FILES], f->sha256, 32);
		put64(&sec[MAN_FILES], f->mtime);
	}
	count[MAN_FILES] = (uint32_t)nfiles;
	while (strings.len % 8)
		put(&strings, "", 1);
	sec[MAN_STRINGS] = strings;

	/* header, section table, sections in type order */
	struct buf b = { 0 };
	uint32_t nsec = MAN_SECTION_MAX;
	size_t off = MAN_HEADER_SIZE + nsec * MAN_SECTION_SIZE, total = off;
	for (int t = 1; t <= MAN_SECTION_MAX; t++)
		total += sec[t].len;
	if (total > MAN_MAX_SIZE) {
		fprintf(stderr, "coffer: the manifest would be %zu bytes, more than the %u allowed\n", total,
			MAN_MAX_SIZE);
		return -1;
	}
	put(&b, MAN_MAGIC, 8);
	put32(&b, MAN_VERSION);
	put32(&b, (uint32_t)total);
	put32(&b, nsec);
	put32(&b, 0);
	for (int t = 1; t <= MAN_SECTION_MAX; t++) {
		put32(&b, (uint32_t)t);
		put32(&b, (uint32_t)off);
		put32(&b, (uint32_t)sec[t].len);
		put32(&b, t == MAN_STRINGS ? 0 : count[t]);
		off += sec[t].len;
	}
	for (int t = 1; t <= MAN_SECTION_MAX; t++) {
		if (sec[t].len)
			put(&b, sec[t].p, sec[t].len);
		free(sec[t].p);
	}

	struct manifest m;
	const char *why;
	size_t where;
	if (man_open(&m, b.p, b.len, &why, &where)) {
		fprintf(stderr, "coffer: internal error: the manifest written does not read back: %s (byte %zu)\n",
			why, where);
		free(b.p);
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
