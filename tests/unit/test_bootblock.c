/* Unit tests for the boot block format (common/bootblock.c): round trip,
 * measuring, and a reader that refuses every kind of malformed input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/bootblock.h"
#include "check.h"

static size_t build(uint8_t *buf, size_t cap)
{
	struct bb_writer w;
	bb_writer_init(&w, buf, cap);
	bb_put_u32(&w, BB_FLAGS, BB_F_DEV_RUN | BB_F_TRACE);
	bb_put_str(&w, BB_PROGRAM, "/usr/bin/python3");
	bb_put_str(&w, BB_ARG, "python3");
	bb_put_str(&w, BB_ARG, "-c");
	bb_put_str(&w, BB_ARG, "");
	bb_put_u64(&w, BB_SIGMASK, 0x8000000000000001ULL);
	bb_put_fd(&w, 7, BB_FD_TRUSTED, 0x100000002ULL, "/tmp/x");
	size_t n = bb_finish(&w);
	return n ? n : w.len;
}

int main(void)
{
	/* measuring gives the exact size */
	size_t need = build(NULL, 0);
	uint8_t *buf = malloc(need);
	CHECK(build(buf, need) == need && need % 8 == 0);
	CHECK(build(buf, need - 8) == need); /* too small: not finished, size reported */
	build(buf, need);

	struct bb_reader r;
	struct bb_record rec;
	CHECK(bb_reader_init(&r, buf, need) == 0);
	int args = 0, fds = 0;
	uint32_t flags = 0, fd = 0, kind = 0;
	uint64_t pos = 0;
	uint64_t mask = 0;
	const char *s, *prog = NULL;
	while (bb_next(&r, &rec) > 0) {
		switch (rec.type) {
		case BB_FLAGS: CHECK(bb_get_u32(&rec, &flags)); break;
		case BB_PROGRAM: CHECK(bb_get_str(&rec, &prog)); break;
		case BB_ARG: CHECK(bb_get_str(&rec, &s)); args++; break;
		case BB_SIGMASK: CHECK(bb_get_u64(&rec, &mask)); CHECK(!bb_get_u32(&rec, &flags)); break;
		case BB_FD:
			CHECK(bb_get_fd(&rec, &fd, &kind, &pos, &s) && fd == 7 && !strcmp(s, "/tmp/x"));
			CHECK(kind == BB_FD_TRUSTED && pos == 0x100000002ULL);
			fds++;
			break;
		default: CHECK(0);
		}
	}
	CHECK(flags == (BB_F_DEV_RUN | BB_F_TRACE) && prog && !strcmp(prog, "/usr/bin/python3"));
	CHECK(args == 3 && fds == 1 && mask == 0x8000000000000001ULL);

	/* malformed input is refused, never read past the end */
	uint8_t *bad = malloc(need);
	memcpy(bad, buf, need);
	bad[0] = 'X';
	CHECK(bb_reader_init(&r, bad, need) == -EINVAL);
	memcpy(bad, buf, need);
	bad[8] = 99; /* version */
	CHECK(bb_reader_init(&r, bad, need) == -EPROTO);
	CHECK(bb_reader_init(&r, buf, need - 8) == -EINVAL); /* size says more than given */
	CHECK(bb_reader_init(&r, buf, 10) == -EINVAL);
	memcpy(bad, buf, need);
	bad[BB_HEADER_SIZE + 4] = 0xff; /* first record's length runs past the end */
	CHECK(bb_reader_init(&r, bad, need) == 0 && bb_next(&r, &rec) == -EINVAL);
	/* a string without its NUL */
	memcpy(bad, buf, need);
	CHECK(bb_reader_init(&r, bad, need) == 0);
	bb_next(&r, &rec);
	bb_next(&r, &rec); /* BB_PROGRAM */
	((uint8_t *)rec.data)[rec.len - 1] = 'x';
	CHECK(!bb_get_str(&rec, &s));
	/* every truncation of a valid block fails cleanly or reads a prefix */
	for (size_t n = 0; n < need; n++) {
		uint8_t *t = malloc(n ? n : 1);
		memcpy(t, buf, n);
		if (bb_reader_init(&r, t, n) == 0)
			while (bb_next(&r, &rec) > 0)
				;
		free(t);
	}
	free(bad);
	free(buf);
	return CHECK_DONE();
}
