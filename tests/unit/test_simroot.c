/*
 * Unit tests for tools/simroot.c: where the simulated CPU secret of sgx-sim
 * lives, that it is made once (private, stable across loads, the same for
 * processes racing to make it), and that a file others can read, a link, or
 * a malformed file is refused with a message saying what to do.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../tools/simroot.h"
#include "check.h"

static char base[] = "/tmp/coffer-simroot-XXXXXX";

static void test_path(void)
{
	char p[4096], want[4096], err[256];

	unsetenv("COFFER_SGX_SIM_ROOT");
	setenv("HOME", "/home/someone", 1);
	unsetenv("XDG_STATE_HOME");
	CHECK(simroot_path(p, sizeof p, err, sizeof err) == 0 && !strcmp(p, "/home/someone/.local/state/coffer/sgx-sim-root"));
	setenv("XDG_STATE_HOME", "relative/state", 1); /* ignored, as the XDG spec says */
	CHECK(simroot_path(p, sizeof p, err, sizeof err) == 0 && !strcmp(p, "/home/someone/.local/state/coffer/sgx-sim-root"));
	snprintf(want, sizeof want, "%s/state", base);
	setenv("XDG_STATE_HOME", want, 1);
	strcat(want, "/coffer/sgx-sim-root");
	CHECK(simroot_path(p, sizeof p, err, sizeof err) == 0 && !strcmp(p, want));
	setenv("COFFER_SGX_SIM_ROOT", "/x/y", 1);
	CHECK(simroot_path(p, sizeof p, err, sizeof err) == 0 && !strcmp(p, "/x/y"));
	unsetenv("COFFER_SGX_SIM_ROOT");
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	CHECK(simroot_path(p, sizeof p, err, sizeof err) == -1 && strstr(err, "HOME"));
}

static void test_create_and_load(void)
{
	char path[4096], dir[4096], err[512];
	struct sgx_sim_root a, b, c;
	struct stat st;
	static const uint8_t zero[16];

	snprintf(path, sizeof path, "%s/state/coffer/sgx-sim-root", base);
	CHECK(simroot_load(path, &a, err, sizeof err) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == SGX_SIM_ROOT_FILE_SIZE);
	snprintf(dir, sizeof dir, "%s/state/coffer", base);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(memcmp(a.key, zero, 16) && memcmp(a.seal_fuses, zero, 16) && memcmp(a.ownerepoch, zero, 16));
	CHECK(a.cpusvn[0] == 1 && a.cpusvn[15] == 1);
	CHECK(!memcmp(a.report_keyid, zero, 16));
	CHECK(simroot_load(path, &b, err, sizeof err) == 0 && !memcmp(&a, &b, sizeof a)); /* stable */

	/* another machine (file) has another secret */
	snprintf(path, sizeof path, "%s/other/sgx-sim-root", base);
	CHECK(simroot_load(path, &c, err, sizeof err) == 0 && memcmp(a.key, c.key, 16));

	/* refused: readable by others, a link, malformed */
	snprintf(path, sizeof path, "%s/state/coffer/sgx-sim-root", base);
	chmod(path, 0640);
	CHECK(simroot_load(path, &b, err, sizeof err) == -1 && strstr(err, "chmod 600") && strstr(err, "mode 640"));
	chmod(path, 0600);
	snprintf(dir, sizeof dir, "%s/link", base);
	CHECK(symlink(path, dir) == 0);
	CHECK(simroot_load(dir, &b, err, sizeof err) == -1 && strstr(err, "symbolic link"));
	snprintf(dir, sizeof dir, "%s/short", base);
	FILE *f = fopen(dir, "w");
	fputs("CSGXSIM", f);
	fclose(f);
	chmod(dir, 0600);
	CHECK(simroot_load(dir, &b, err, sizeof err) == -1 && strstr(err, "72 bytes"));
	snprintf(dir, sizeof dir, "%s/magic", base);
	f = fopen(dir, "w");
	for (int i = 0; i < 72; i++)
		fputc('x', f);
	fclose(f);
	chmod(dir, 0600);
	CHECK(simroot_load(dir, &b, err, sizeof err) == -1 && strstr(err, "CSGXSIM"));
}

/* Processes that all find no file and make one at once agree on one. */
static void test_race(void)
{
	enum { N = 8 };
	char path[4096], err[512];
	int go[2], res[2];
	struct sgx_sim_root first, r;

	snprintf(path, sizeof path, "%s/race/sgx-sim-root", base);
	CHECK(pipe(go) == 0 && pipe(res) == 0);
	for (int i = 0; i < N; i++) {
		if (fork() == 0) {
			char c;
			close(go[1]);
			if (read(go[0], &c, 1) != 0) /* wait for the start: EOF */
				_exit(3);
			if (simroot_load(path, &r, err, sizeof err))
				_exit(2);
			_exit(write(res[1], r.key, 16) == 16 ? 0 : 4);
		}
	}
	close(go[0]);
	close(go[1]); /* all start */
	close(res[1]);
	int same = 0, status, ok = 0;
	for (int i = 0; i < N; i++) {
		if (read(res[0], r.key, 16) != 16)
			break;
		if (i == 0)
			memcpy(first.key, r.key, 16);
		same += !memcmp(first.key, r.key, 16);
	}
	for (int i = 0; i < N; i++)
		ok += wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	CHECK(ok == N && same == N);
	CHECK(simroot_load(path, &r, err, sizeof err) == 0 && !memcmp(first.key, r.key, 16));
}

/* A temporary file left by a thread killed between its open and its unlink
 * (a dead thread's id, here our own) does not stop the next creation. */
static void test_stale_temporary(void)
{
	char path[4096], tmp[4200], err[512];
	struct sgx_sim_root r;

	snprintf(path, sizeof path, "%s/stale/sgx-sim-root", base);
	snprintf(tmp, sizeof tmp, "%s/stale", base);
	CHECK(mkdir(tmp, 0700) == 0);
	snprintf(tmp, sizeof tmp, "%s.new.%ld", path, (long)gettid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, "half", 4) == 4 && close(fd) == 0);
	CHECK(simroot_load(path, &r, err, sizeof err) == 0);
	CHECK(access(tmp, F_OK) != 0);
}

int main(void)
{
	if (!mkdtemp(base))
		return 2;
	test_path();
	test_create_and_load();
	test_race();
	test_stale_temporary();
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", base);
	if (system(cmd))
		return 2;
	return CHECK_DONE();
}
