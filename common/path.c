/*
 * path.c - lexical path normalization (path.h).
 *
 * One pass over base (if path is relative) and then path, appending each
 * component to out and backing up to the previous '/' on "..". Every append
 * is checked against size first, so an intermediate that would not fit is
 * reported even if later ".." components would shorten it again: the result
 * never depends on bytes that were not stored.
 */
#include <asm-generic/errno.h>

#include "cstring.h"
#include "path.h"

static int walk(char *out, size_t size, size_t *n, const char *s, bool *last_dot)
{
	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = s;
		while (*e && *e != '/')
			e++;
		size_t len = (size_t)(e - s);
		*last_dot = false;
		if (len == 1 && s[0] == '.') {
			*last_dot = true;
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			*last_dot = true;
			while (*n > 1 && out[*n - 1] != '/')
				(*n)--;
			if (*n > 1)
				(*n)--;
		} else {
			/* a '/' (except right after the root), the component
			 * and the final NUL */
			if (*n + (*n > 1) + len + 1 > size)
				return -ENAMETOOLONG;
			if (*n > 1)
				out[(*n)++] = '/';
			memcpy(out + *n, s, len);
			*n += len;
		}
		s = e;
	}
	return 0;
}

int path_normalize(const char *base, const char *path, char *out, size_t size, bool *dir)
{
	size_t n = 1;
	bool last_dot = false;
	int r;

	if (!*path)
		return -ENOENT;
	if (size < 2)
		return -ENAMETOOLONG;
	out[0] = '/';
	if (path[0] != '/' && (r = walk(out, size, &n, base, &last_dot)))
		return r;
	last_dot = false;
	if ((r = walk(out, size, &n, path, &last_dot)))
		return r;
	out[n] = 0;
	size_t plen = strlen(path);
	*dir = last_dot || (plen > 1 && path[plen - 1] == '/');
	return 0;
}

bool path_canonical(const char *p)
{
	if (p[0] != '/')
		return false;
	if (p[1] == 0)
		return true;
	for (const char *c = p + 1;;) {
		const char *e = c;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!*e)
			return true;
		c = e + 1;
	}
}
