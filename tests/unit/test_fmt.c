/* Unit tests for the runtime's snprintf (runtime/lib/fmt.c). */
#include <limits.h>
#include <string.h>

#include "../../runtime/lib/rt.h"
#include "check.h"

static char buf[128];

#define FMT(...) (rt_snprintf(buf, sizeof buf, __VA_ARGS__), buf)

int main(void)
{
	CHECK(!strcmp(FMT("%d %d %d", 0, -5, 42), "0 -5 42"));
	CHECK(!strcmp(FMT("%ld", (long)LONG_MIN), "-9223372036854775808"));
	CHECK(!strcmp(FMT("%lu", (unsigned long)ULONG_MAX), "18446744073709551615"));
	CHECK(!strcmp(FMT("%x %X %o", 255, 255, 8), "ff FF 10"));
	CHECK(!strcmp(FMT("%p", (void *)0x1234), "0x1234"));
	CHECK(!strcmp(FMT("[%5d|%-5d|%05d]", 42, 42, 42), "[   42|42   |00042]"));
	CHECK(!strcmp(FMT("%s|%.3s|%8s", "abc", "abcdef", "x"), "abc|abc|       x"));
	CHECK(!strcmp(FMT("%.*s", 2, "xyz"), "xy"));
	const char *volatile null_str = NULL;
	CHECK(!strcmp(FMT("%s", null_str), "(null)"));
	CHECK(!strcmp(FMT("%c%%", 'a'), "a%"));
	CHECK(!strcmp(FMT("%zu", (size_t)7), "7"));
	/* truncation: always terminated, returns the full length */
	char small[5];
	CHECK(rt_snprintf(small, sizeof small, "%s", "abcdefgh") == 8 && !strcmp(small, "abcd"));
	CHECK(rt_snprintf(NULL, 0, "%d", 12345) == 5);
	long v;
	CHECK(rt_parse_long("123", &v) && v == 123);
	CHECK(rt_parse_long("-7", &v) && v == -7);
	CHECK(!rt_parse_long("12a", &v));
	CHECK(!rt_parse_long("", &v));
	CHECK(!rt_parse_long("99999999999999999999", &v));
	return CHECK_DONE();
}
