/*
 * test_progsearch.c - common/progsearch.c, the shell's search for a program
 * that `coffer run` and the enclave image's development run share, against
 * a fake file system: a name with '/', PATH order, empty entries, files
 * that are not executable or not regular, candidates too long for the
 * buffer, and the messages.
 */
#include <string.h>

#include "../../common/exit.h"
#include "../../common/progsearch.h"
#include "check.h"

/* path -> mode (0100755 executable file, 0100644 not executable, 040755
 * directory) */
static const struct {
	const char *path;
	long mode;
} files[] = {
	{ "/bin/ls", 0100755 },	  { "/usr/bin/ls", 0100755 }, { "/opt/tool", 0100644 },
	{ "/usr/bin/tool", 0100755 }, { "/opt/dir", 040755 },  { "/bin/dir", 040755 },
	{ "local", 0100755 },	  { "./rel", 0100755 },	      { "sub/x", 040755 },
};

static int asked;

static long fake_mode(const char *path)
{
	asked++;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (!strcmp(files[i].path, path))
			return files[i].mode;
	return -2;
}

static bool fake_exec(const char *path)
{
	return (fake_mode(path) & 0111) != 0;
}

static const struct prog_fs fs = { fake_mode, fake_exec };

int main(void)
{
	char out[64];

	CHECK(prog_search("ls", "/bin:/usr/bin", out, sizeof out, &fs) == 0 && !strcmp(out, "/bin/ls"));
	CHECK(prog_search("ls", "/usr/bin:/bin", out, sizeof out, &fs) == 0 && !strcmp(out, "/usr/bin/ls"));
	/* a file that is not executable is passed over, remembered as 126 */
	CHECK(prog_search("tool", "/opt:/usr/bin", out, sizeof out, &fs) == 0 && !strcmp(out, "/usr/bin/tool"));
	CHECK(prog_search("tool", "/opt", out, sizeof out, &fs) == COFFER_EXIT_NOEXEC);
	CHECK(!strcmp(prog_search_why("tool", COFFER_EXIT_NOEXEC), "Permission denied"));
	/* a directory on PATH is not a program */
	CHECK(prog_search("dir", "/opt:/bin", out, sizeof out, &fs) == COFFER_EXIT_NOTFOUND);
	CHECK(!strcmp(prog_search_why("dir", COFFER_EXIT_NOTFOUND), "command not found"));
	/* an empty entry (leading, trailing or doubled ':') is the working directory */
	CHECK(prog_search("local", ":/bin", out, sizeof out, &fs) == 0 && !strcmp(out, "local"));
	CHECK(prog_search("local", "/bin:", out, sizeof out, &fs) == 0 && !strcmp(out, "local"));
	CHECK(prog_search("local", "/bin::/usr/bin", out, sizeof out, &fs) == 0 && !strcmp(out, "local"));
	/* no PATH: a shell's default */
	CHECK(prog_search("ls", NULL, out, sizeof out, &fs) == 0 && !strcmp(out, "/usr/bin/ls"));
	/* a name with '/' is taken as it is, never searched */
	CHECK(prog_search("./rel", "/bin", out, sizeof out, &fs) == 0 && !strcmp(out, "./rel"));
	CHECK(prog_search("./none", "/bin", out, sizeof out, &fs) == COFFER_EXIT_NOTFOUND);
	CHECK(!strcmp(prog_search_why("./none", COFFER_EXIT_NOTFOUND), "No such file or directory"));
	CHECK(prog_search("sub/x", "/bin", out, sizeof out, &fs) == PROG_ISDIR);
	CHECK(!strcmp(prog_search_why("sub/x", PROG_ISDIR), "Is a directory"));
	CHECK(prog_search_why("ls", 0) == NULL);
	/* a candidate that does not fit is skipped, never truncated into
	 * another name (and never asked about) */
	char small[8];
	asked = 0;
	CHECK(prog_search("ls", "/usr/bin:/bin", small, sizeof small, &fs) == 0 && !strcmp(small, "/bin/ls"));
	CHECK(asked == 2); /* /bin/ls: its mode, then whether it may run */
	CHECK(prog_search("./rel", "/bin", out, 5, &fs) == COFFER_EXIT_NOTFOUND);
	return CHECK_DONE();
}
