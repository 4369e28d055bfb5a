/*
 * normalize.c - lexical path normalization, the first step of every path
 * lookup (vfs.h). Kept free of runtime state so it is unit-tested hosted.
 *
 * "." and empty components vanish, ".." removes the previous component and
 * stops at "/". So a path can never name anything outside the mount table,
 * whatever the host's directories look like. A path that ends in "/", "/." or
 * "/.." must name a directory; `dir` records that, and mounts pass it on (a
 * passthrough mount appends "/" for the host).
 */
#include "vfs.h"

static int walk(char *out, size_t *n, const char *s, bool *last_dot)
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
			if (*n + len + 2 >= RT_PATH_MAX)
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

int vfs_normalize(const char *base, const char *path, char *out, bool *dir)
{
	size_t n = 1;
	bool last_dot = false;
	int r;

	if (!*path)
		return -ENOENT;
	out[0] = '/';
	if (path[0] != '/' && (r = walk(out, &n, base, &last_dot)))
		return r;
	last_dot = false;
	if ((r = walk(out, &n, path, &last_dot)))
		return r;
	out[n] = 0;
	size_t plen = strlen(path);
	*dir = last_dot || (plen > 1 && path[plen - 1] == '/');
	return 0;
}

