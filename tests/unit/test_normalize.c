/* Unit tests for lexical path normalization (runtime/fs/normalize.c). */
#include <string.h>

#include "../../runtime/fs/vfs.h"
#include "check.h"

static const char *norm(const char *base, const char *path, bool *dir)
{
	static char out[RT_PATH_MAX];
	bool d = false;
	int r = vfs_normalize(base, path, out, &d);
	if (dir)
		*dir = d;
	return r ? (r == -ENOENT ? "ENOENT" : "ENAMETOOLONG") : out;
}

int main(void)
{
	bool dir;

	CHECK(!strcmp(norm("/", "/", NULL), "/"));
	CHECK(!strcmp(norm("/", "/a/b/c", &dir), "/a/b/c") && !dir);
	CHECK(!strcmp(norm("/", "//a///b//", &dir), "/a/b") && dir);
	CHECK(!strcmp(norm("/", "/a/./b/.", &dir), "/a/b") && dir);
	CHECK(!strcmp(norm("/", "/a/b/../c", NULL), "/a/c"));
	CHECK(!strcmp(norm("/", "/../../etc/passwd", NULL), "/etc/passwd"));
	CHECK(!strcmp(norm("/", "/a/..", &dir), "/") && dir);
	CHECK(!strcmp(norm("/home/u", "x/y", NULL), "/home/u/x/y"));
	CHECK(!strcmp(norm("/home/u", "../../../../etc", NULL), "/etc"));
	CHECK(!strcmp(norm("/home/u", ".", &dir), "/home/u") && dir);
	CHECK(!strcmp(norm("/home/u", "/abs", NULL), "/abs"));
	CHECK(!strcmp(norm("/", "", NULL), "ENOENT"));
	CHECK(!strcmp(norm("/", "a", NULL), "/a"));

	static char longpath[RT_PATH_MAX + 100];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	CHECK(!strcmp(norm("/", longpath, NULL), "ENAMETOOLONG"));
	/* long but collapsing back to short is fine */
	char back[600] = "/x";
	for (int i = 0; i < 100; i++)
		strcat(back, "/y/..");
	CHECK(!strcmp(norm("/", back, NULL), "/x"));
	return CHECK_DONE();
}
