/*
 * bootblock.c - writer and bounds-checked reader for the boot block
 * (format in bootblock.h). Shared by the hosted CLI and the runtime, so it
 * uses nothing but memcpy/memcmp/strlen.
 */
#include "bootblock.h"

#include <asm-generic/errno.h>

#include "cstring.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

void bb_writer_init(struct bb_writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = BB_HEADER_SIZE;
}

/* Copy n bytes at the current end if they fit; always advance the length. */
static void emit(struct bb_writer *w, const void *data, size_t n)
{
	if (w->buf && w->len + n <= w->cap && n)
		memcpy(w->buf + w->len, data, n);
	w->len += n;
}

static void emit_zeros(struct bb_writer *w, size_t n)
{
	static const uint8_t zeros[8];
	emit(w, zeros, n);
}

static void put_header(struct bb_writer *w, enum bb_type type, size_t len)
{
	uint8_t h[8] = { (uint8_t)type, (uint8_t)(type >> 8), 0, 0 };
	put_le32(h + 4, (uint32_t)len);
	emit(w, h, sizeof h);
}

void bb_put(struct bb_writer *w, enum bb_type type, const void *data, size_t len)
{
	put_header(w, type, len);
	emit(w, data, len);
	emit_zeros(w, pad8(len) - len);
}

void bb_put_u32(struct bb_writer *w, enum bb_type type, uint32_t v)
{
	uint8_t b[4];
	put_le32(b, v);
	bb_put(w, type, b, 4);
}

void bb_put_u64(struct bb_writer *w, enum bb_type type, uint64_t v)
{
	uint8_t b[8];
	put_le32(b, (uint32_t)v);
	put_le32(b + 4, (uint32_t)(v >> 32));
	bb_put(w, type, b, 8);
}

void bb_put_str(struct bb_writer *w, enum bb_type type, const char *s)
{
	bb_put(w, type, s, strlen(s) + 1);
}

void bb_put_fd(struct bb_writer *w, uint32_t fd, uint32_t kind, uint64_t pos, const char *path)
{
	size_t plen = strlen(path) + 1;
	uint8_t b[16];

	put_le32(b, fd);
	put_le32(b + 4, kind);
	put_le32(b + 8, (uint32_t)pos);
	put_le32(b + 12, (uint32_t)(pos >> 32));
	put_header(w, BB_FD, 16 + plen);
	emit(w, b, 16);
	emit(w, path, plen);
	emit_zeros(w, pad8(16 + plen) - (16 + plen));
}

size_t bb_finish(struct bb_writer *w)
{
	if (!w->buf || w->len > w->cap || w->len > BB_MAX_SIZE)
		return 0;
	memcpy(w->buf, BB_MAGIC, 8);
	put_le32(w->buf + 8, BB_VERSION);
	put_le32(w->buf + 12, (uint32_t)w->len);
	return w->len;
}

int bb_reader_init(struct bb_reader *r, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	r->buf = b;
	r->len = 0;
	r->off = BB_HEADER_SIZE;
	if (!b || len < BB_HEADER_SIZE || memcmp(b, BB_MAGIC, 8) != 0)
		return -EINVAL;
	if (get_le32(b + 8) != BB_VERSION)
		return -EPROTO;
	uint32_t size = get_le32(b + 12);
	if (size < BB_HEADER_SIZE || size > len || size > BB_MAX_SIZE || size % 8)
		return -EINVAL;
	r->len = size;
	return 0;
}

int bb_next(struct bb_reader *r, struct bb_record *rec)
{
	if (r->off == r->len)
		return 0;
	if (r->len - r->off < 8)
		return -EINVAL;
	const uint8_t *h = r->buf + r->off;
	uint32_t len = get_le32(h + 4);
	if (h[2] || h[3] || len > r->len - r->off - 8 || pad8(len) > r->len - r->off - 8)
		return -EINVAL;
	rec->type = (enum bb_type)(h[0] | h[1] << 8);
	rec->data = h + 8;
	rec->len = len;
	r->off += 8 + pad8(len);
	return 1;
}

bool bb_get_u32(const struct bb_record *rec, uint32_t *v)
{
	if (rec->len != 4)
		return false;
	*v = get_le32(rec->data);
	return true;
}

bool bb_get_u64(const struct bb_record *rec, uint64_t *v)
{
	if (rec->len != 8)
		return false;
	*v = get_le32(rec->data) | (uint64_t)get_le32(rec->data + 4) << 32;
	return true;
}

/* A string payload: at least the NUL, the NUL last, no NUL before it. */
static bool valid_str(const uint8_t *p, uint32_t len)
{
	if (len == 0 || p[len - 1] != 0)
		return false;
	for (uint32_t i = 0; i + 1 < len; i++)
		if (p[i] == 0)
			return false;
	return true;
}

bool bb_get_str(const struct bb_record *rec, const char **s)
{
	if (!valid_str(rec->data, rec->len))
		return false;
	*s = (const char *)rec->data;
	return true;
}

bool bb_get_fd(const struct bb_record *rec, uint32_t *fd, uint32_t *kind, uint64_t *pos, const char **path)
{
	if (rec->len < 17 || get_le32(rec->data + 4) > BB_FD_TRUSTED || !valid_str(rec->data + 16, rec->len - 16))
		return false;
	*fd = get_le32(rec->data);
	*kind = get_le32(rec->data + 4);
	*pos = get_le32(rec->data + 8) | (uint64_t)get_le32(rec->data + 12) << 32;
	*path = (const char *)rec->data + 16;
	return true;
}
