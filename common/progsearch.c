/*
 * progsearch.c - a shell's search for a program, shared by `coffer run` and
 * the enclave image's development run (progsearch.h).
 */
#include "cstring.h"
#include "exit.h"
#include "progsearch.h"

static bool has_slash(const char *s)
{
	for (; *s; s++)
		if (*s == '/')
			return true;
	return false;
}

/* out = dir[0..len) "/" name (or name alone for an empty entry); false if it
 * does not fit. */
static bool join(char *out, size_t n, const char *dir, size_t len, const char *name)
{
	size_t m = strlen(name), need = (len ? len + 1 : 0) + m + 1;
	if (need > n)
		return false;
	memcpy(out, dir, len);
	if (len)
		out[len++] = '/';
	memcpy(out + len, name, m + 1);
	return true;
}

#define S_TYPE(m) ((m) & 0170000)

int prog_search(const char *name, const char *path, char *out, size_t n, const struct prog_fs *fs)
{
	if (has_slash(name)) {
		long mode = fs->mode(name);
		if (mode < 0 || !join(out, n, "", 0, name))
			return COFFER_EXIT_NOTFOUND;
		return S_TYPE(mode) == 0040000 ? PROG_ISDIR : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	bool denied = false;
	for (const char *p = path;;) {
		const char *end = p;
		while (*end && *end != ':')
			end++;
		if (join(out, n, p, (size_t)(end - p), name)) {
			long mode = fs->mode(out);
			if (mode >= 0 && S_TYPE(mode) == 0100000) {
				if (fs->executable(out))
					return 0;
				denied = true;
			}
		}
		if (!*end)
			break;
		p = end + 1;
	}
	return denied ? COFFER_EXIT_NOEXEC : COFFER_EXIT_NOTFOUND;
}

const char *prog_search_why(const char *name, int status)
{
	switch (status) {
	case 0:
		return NULL;
	case COFFER_EXIT_NOTFOUND:
		return has_slash(name) ? "No such file or directory" : "command not found";
	case PROG_ISDIR:
		return "Is a directory";
	default:
		return "Permission denied";
	}
}
