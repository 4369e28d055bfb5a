/* Unit tests for lexical path normalization (common/path.c), which the
 * runtime and the tools share. */
#include <asm-generic/errno.h>
#include <string.h>

#include "../../common/path.h"
#include "check.h"

#define MAX 4096

static const char *norm_n(const char *base, const char *path, size_t size, bool *dir)
{
	static char out[MAX + 200];
	bool d = false;
	memset(out, 'Z', sizeof out);
	int r = path_normalize(base, path, out, size, &d);
	if (dir)
		*dir = d;
	return r ? (r == -ENOENT ? "ENOENT" : r == -ENAMETOOLONG ? "ENAMETOOLONG" : "?") : out;
}

static const char *norm(const char *base, const char *path, bool *dir)
{
	return norm_n(base, path, MAX, dir);
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

	static char longpath[MAX + 100];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	CHECK(!strcmp(norm("/", longpath, NULL), "ENAMETOOLONG"));
	/* long but collapsing back to short is fine */
	char back[600] = "/x";
	for (int i = 0; i < 100; i++)
		strcat(back, "/y/..");
	CHECK(!strcmp(norm("/", back, NULL), "/x"));

	/* the size is the caller's buffer: the result and its NUL fit exactly,
	 * one byte less is an error, never a shorter path */
	CHECK(!strcmp(norm_n("/", "/abc/def", 9, NULL), "/abc/def"));
	CHECK(!strcmp(norm_n("/", "/abc/def", 8, NULL), "ENAMETOOLONG"));
	CHECK(!strcmp(norm_n("/", "/abc/def/../g", 8, NULL), "ENAMETOOLONG"));
	CHECK(!strcmp(norm_n("/base", "rel", 10, NULL), "/base/rel"));
	CHECK(!strcmp(norm_n("/base", "rel", 9, NULL), "ENAMETOOLONG"));
	CHECK(!strcmp(norm_n("/", "/", 2, NULL), "/"));
	CHECK(!strcmp(norm_n("/", "/", 1, NULL), "ENAMETOOLONG"));
	/* Linux's limit: 4095 bytes and the NUL */
	longpath[MAX - 1] = 0;
	CHECK(!strcmp(norm("/", longpath, NULL), longpath));
	longpath[MAX - 1] = 'a';
	longpath[MAX] = 0;
	CHECK(!strcmp(norm("/", longpath, NULL), "ENAMETOOLONG"));
	/* path_canonical: what a manifest's paths must look like */
	CHECK(path_canonical("/") && path_canonical("/a") && path_canonical("/a/b.c/..d"));
	CHECK(!path_canonical("") && !path_canonical("a/b") && !path_canonical("/a/") && !path_canonical("//a"));
	CHECK(!path_canonical("/a//b") && !path_canonical("/a/./b") && !path_canonical("/a/..") && !path_canonical("/."));
	/* every normalized path is canonical */
	CHECK(path_canonical(norm("/x", "../a/./b//c/", NULL)));

	return CHECK_DONE();
}
