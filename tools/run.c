/*
 * run.c - `coffer run`: start a program in an enclave, in place of this process.
 *
 * Which of the two forms a command line is never depends on a file's
 * contents: `coffer run [OPTS] APP [-- ARGS]` runs a signed bundle and
 * nothing else (a file without the bundle header is refused, exit 125, never
 * run as a program), and `coffer run [OPTS] -- PROGRAM [ARGS]` is a
 * development run, refused if PROGRAM is or looks like a bundle (the bundle
 * header, a name ending in .coffer) or if an identity is pinned
 * (--mrenclave, --mrsigner): a user who meant a bundle never gets an
 * unprotected run by accident.
 *
 * Development run (no manifest): the program is found the way a shell finds
 * it (PATH search for a name without '/'), the boot block gets the host's
 * argv, environment, working directory, umask, signal mask and open fds, and
 * the enclave image (coffer-enclave) is started with the block on an
 * inherited memfd (docs/design.md, section 2, step 1). A plain development
 * run (common/devrun.h) never gets here: `coffer` is the enclave image, and
 * platform/direct/devrun.c does what this file does, with the same messages;
 * this file is the path for every other form of the command line and for a
 * coffer that has children.
 *
 * `coffer run` execs the enclave image in its own process: the program is the
 * process the shell (or subprocess.Popen) started, with its pid, parent,
 * process group, session and controlling terminal, so setsid() fails with
 * EPERM in a group leader, job control (Ctrl-Z, kill -STOP, fg) reaches the
 * program itself, and a program killed by a signal is seen killed by it
 * (WIFSIGNALED), exactly as natively. `coffer manifest record` is the one
 * caller that must outlive the program (it writes the manifest afterwards),
 * and a coffer that already has children (a shell's `exec coffer run` with
 * background jobs) cannot take the program's place either: those children
 * would become the program's. Then coffer forks, execs the enclave in the
 * child and waits, exiting with the program's status or 128+N as shells
 * report it; signals sent to it by other processes are passed on (signals
 * from the terminal reach the whole process group, so those are not sent
 * twice).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/bootblock.h"
#include "../common/bundle.h"
#include "../common/manifest.h"
#include "../common/progsearch.h"
#include "../common/sgx.h"
#include "coffer.h"
#include "run.h"
#include "util.h"

extern char **environ;

static void run_usage(FILE *out)
{
	fprintf(out,
		"Usage: coffer run [OPTIONS] APP.coffer [-- ARGS...]\n"
		"       coffer run [OPTIONS] -- PROGRAM [ARGS...]\n"
		"\n"
		"Run a signed bundle (made by `coffer sign`): the enclave checks its\n"
		"measurement and signature before anything runs, and the manifest decides\n"
		"the program, its arguments, environment and files. Or run PROGRAM in a\n"
		"development run: the host's root file system, arguments and environment\n"
		"are passed through and nothing is protected.\n"
		"\n"
		"Options:\n"
		"  --trace          print every system call the runtime intercepts (to stderr)\n"
		"  --log=LEVEL      runtime log level: error, warn (default), info, debug;\n"
		"                   the COFFER_LOG environment variable sets the default\n"
		"  --mrenclave=HEX  refuse to start unless the bundle's MRENCLAVE is HEX\n"
		"  --mrsigner=HEX   refuse to start unless it was signed by the key whose\n"
		"                   MRSIGNER is HEX (see `coffer measure`)\n"
		"  --platform=P     direct (the default), sgx (SGX hardware only, never a\n"
		"                   fallback) or sgx-sim (SGX with ENCLU simulated in\n"
		"                   software: nothing is protected); sgx and sgx-sim run\n"
		"                   signed bundles only\n"
		"  -h, --help       show this help\n"
		"\n"
		"Environment:\n"
		"  COFFER_LOG      default log level\n"
		"  COFFER_PLATFORM default platform (direct, sgx, sgx-sim); --platform wins\n"
		"  COFFER_PATCH    0: every system call traps; 1 (default): call sites are\n"
		"                  patched after their first trap (the fast path)\n"
		"  COFFER_MEMORY   host (default): the host maps the program's memory;\n"
		"                  enclave: the runtime serves it from one reserved range\n"
		"                  as on sgx; sgx1: the same with fixed RWX pages (testing)\n"
		"  COFFER_ENCLAVE  path of the enclave image (default: next to coffer)\n"
		"  COFFER_BOUNDARY how forwarded calls cross to the host: pass (default on\n"
		"                  direct: the host reads application memory), copy (every\n"
		"                  buffer through untrusted memory, as on sgx), check (copy,\n"
		"                  asserting no pointer for the host is the runtime's)\n"
		"  COFFER_FAULT    testing only: the host lies in the named way (len, iov,\n"
		"                  fd, count, revents, ptr, stat, dirent, sockaddr, msg,\n"
		"                  siginfo, scribble; docs/platforms.md)\n");
}

static int parse_level(const char *s)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	if (!strcmp(s, "warning"))
		return 1;
	return -1;
}

int run_env_level(struct run_opts *o)
{
	const char *env_level = getenv("COFFER_LOG");

	o->log_level = 1;
	if (env_level && *env_level && (o->log_level = parse_level(env_level)) < 0) {
		fprintf(stderr, "coffer: COFFER_LOG=%s: unknown level (error, warn, info, debug)\n", env_level);
		return COFFER_EXIT_USAGE;
	}
	const char *env_patch = getenv("COFFER_PATCH");
	if (env_patch && *env_patch && strcmp(env_patch, "0") && strcmp(env_patch, "1")) {
		fprintf(stderr, "coffer: COFFER_PATCH=%s: expected 0 (trap every call) or 1\n", env_patch);
		return COFFER_EXIT_USAGE;
	}
	o->no_patch = env_patch && !strcmp(env_patch, "0");
	const char *env_mem = getenv("COFFER_MEMORY");
	o->mem_flags = 0;
	if (env_mem && !strcmp(env_mem, "enclave"))
		o->mem_flags = BB_F_MEM_RANGE;
	else if (env_mem && !strcmp(env_mem, "sgx1"))
		o->mem_flags = BB_F_MEM_FIXED;
	else if (env_mem && *env_mem && strcmp(env_mem, "host")) {
		fprintf(stderr, "coffer: COFFER_MEMORY=%s: expected host (the default), enclave or sgx1\n", env_mem);
		return COFFER_EXIT_USAGE;
	}
	const char *env_boundary = getenv("COFFER_BOUNDARY");
	o->boundary = 0;
	if (env_boundary && *env_boundary) {
		if (!strcmp(env_boundary, "copy"))
			o->boundary = 1;
		else if (!strcmp(env_boundary, "check"))
			o->boundary = 2;
		else if (strcmp(env_boundary, "pass")) {
			fprintf(stderr, "coffer: COFFER_BOUNDARY=%s: expected pass, copy or check\n", env_boundary);
			return COFFER_EXIT_USAGE;
		}
	}
	const char *env_platform = getenv("COFFER_PLATFORM");
	o->platform = RUN_PLATFORM_DEFAULT;
	if (env_platform && *env_platform && run_parse_platform(o, env_platform, "COFFER_PLATFORM"))
		return COFFER_EXIT_USAGE;
	const char *env_fault = getenv("COFFER_FAULT");
	o->fault = env_fault && *env_fault ? env_fault : NULL;
	if (o->fault && strlen(o->fault) > 16) {
		fprintf(stderr, "coffer: COFFER_FAULT=%s: no such lie\n", o->fault);
		return COFFER_EXIT_USAGE;
	}
	return 0;
}

int run_parse_platform(struct run_opts *o, const char *arg, const char *what)
{
	static const char *const names[] = { "direct", "sgx", "sgx-sim" };
	for (int i = 0; i < 3; i++)
		if (!strcmp(arg, names[i])) {
			o->platform = RUN_PLATFORM_DIRECT + i;
			return 0;
		}
	fprintf(stderr, "coffer: %s=%s: unknown platform (direct, sgx, sgx-sim)\n", what, arg);
	return COFFER_EXIT_USAGE;
}

int run_parse_level(struct run_opts *o, const char *arg)
{
	if ((o->log_level = parse_level(arg)) < 0) {
		fprintf(stderr, "coffer: --log=%s: unknown level (error, warn, info, debug)\n", arg);
		return COFFER_EXIT_USAGE;
	}
	return 0;
}

static long stat_mode(const char *path)
{
	struct stat st;
	return stat(path, &st) ? -1 : (long)st.st_mode;
}

static bool executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* Find PROGRAM as a shell would (common/progsearch.c, which the enclave
 * image's development run shares): 0, or the exit status a shell would give
 * (127 not found, 126 found but not executable or a directory), with its
 * message. */
int run_find_program(const char *name, char *out, size_t n)
{
	static const struct prog_fs fs = { stat_mode, executable };
	int st = prog_search(name, getenv("PATH"), out, n, &fs);
	if (st)
		fprintf(stderr, "coffer: %s: %s\n", name, prog_search_why(name, st));
	return st == PROG_ISDIR ? COFFER_EXIT_NOEXEC : st;
}

/* The fds the program inherits: in a development run everything open now,
 * for a bundle only stdin, stdout and stderr. */
static int inherited_fds(bool all, int *fds, char **paths, int max)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd == dirfd(d) || (!all && fd > 2))
			continue;
		char link[64], target[PATH_MAX];
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t len = readlink(link, target, sizeof target - 1);
		target[len < 0 ? 0 : len] = 0;
		fds[n] = fd;
		paths[n++] = strdup(target);
	}
	closedir(d);
	return n;
}

/* The signal mask and the ignored signals that the program inherits, bit
 * N-1 for signal N: from /proc/self/status in one read (SigBlk, SigIgn),
 * else asked of the kernel signal by signal (64 calls). */
static void host_signals(uint64_t *blocked, uint64_t *ignored)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = 0;
		const char *blk = strstr(buf, "\nSigBlk:\t"), *ign = strstr(buf, "\nSigIgn:\t");
		if (blk && ign && sscanf(blk + 9, "%" SCNx64, blocked) == 1 && sscanf(ign + 9, "%" SCNx64, ignored) == 1)
			return;
	}
	sigset_t mask;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	*blocked = *ignored = 0;
	for (int s = 1; s <= 64; s++) {
		if (sigismember(&mask, s) == 1)
			*blocked |= 1ULL << (s - 1);
		struct sigaction sa;
		if (s != SIGKILL && s != SIGSTOP && sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			*ignored |= 1ULL << (s - 1);
	}
}

/* Write the boot block; returns the memfd or -1. */
static int write_bootblock(const struct run_opts *o, const struct run_target *t)
{
	struct bb_writer w;
	char cwd[PATH_MAX];
	mode_t um = umask(022);

	umask(um);
	if (!getcwd(cwd, sizeof cwd)) {
		fprintf(stderr, "coffer: cannot get the working directory: %s\n", strerror(errno));
		return -1;
	}
	uint64_t sigmask = 0, ignored = 0;
	host_signals(&sigmask, &ignored);
	int fds[1024];
	char *paths[1024];
	int nfds = inherited_fds(!t->bundle, fds, paths, 1024);
	uint32_t flags = BB_F_FIRST | (o->trace ? BB_F_TRACE : 0) | (t->bundle ? 0 : BB_F_DEV_RUN) |
			 (o->no_patch ? BB_F_NO_PATCH : 0) | o->mem_flags | (o->boundary == 1 ? BB_F_BOUNDARY_COPY : 0) |
			 (o->boundary == 2 ? BB_F_BOUNDARY_CHECK : 0);

	uint8_t *buf = NULL;
	size_t len = 0;
	for (int pass = 0; pass < 2; pass++) {
		bb_writer_init(&w, buf, len);
		bb_put_u32(&w, BB_FLAGS, flags);
		bb_put_u32(&w, BB_LOG_LEVEL, (uint32_t)o->log_level);
		bb_put_u32(&w, BB_LOG_FD, 2);
		if (o->record_fd >= 0)
			bb_put_u32(&w, BB_RECORD_FD, (uint32_t)o->record_fd);
		bb_put_str(&w, BB_PROGRAM, t->program);
		for (char **a = t->argv; *a; a++)
			bb_put_str(&w, BB_ARG, *a);
		for (char **e = environ; *e; e++)
			bb_put_str(&w, BB_ENV, *e);
		bb_put_str(&w, BB_CWD, cwd);
		bb_put_u32(&w, BB_UMASK, um);
		bb_put_u64(&w, BB_SIGMASK, sigmask);
		bb_put_u64(&w, BB_SIGIGN, ignored);
		for (int i = 0; i < nfds; i++)
			bb_put_fd(&w, (uint32_t)fds[i], BB_FD_HOST, 0, paths[i]);
		if (t->bundle) {
			bb_put(&w, BB_MANIFEST, t->bundle->manifest, t->bundle->manifest_len);
			bb_put(&w, BB_SIGSTRUCT, t->bundle->sigstruct, SIGSTRUCT_SIZE);
		}
		if (o->have_mre)
			bb_put(&w, BB_EXPECT_MRENCLAVE, o->mre, 32);
		if (o->have_mrs)
			bb_put(&w, BB_EXPECT_MRSIGNER, o->mrs, 32);
		if (pass == 0) {
			len = w.len;
			buf = malloc(len);
			if (!buf)
				return -1;
		}
	}
	for (int i = 0; i < nfds; i++)
		free(paths[i]);
	len = bb_finish(&w);
	int fd = memfd_create("coffer-boot", 0);
	if (fd < 0 || !len || write(fd, buf, len) != (ssize_t)len) {
		fprintf(stderr, "coffer: cannot write the boot block: %s\n", strerror(errno));
		free(buf);
		return -1;
	}
	free(buf);
	return fd;
}

static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM, SIGCHLD };

static int supervise(pid_t child, const char *program, const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "coffer: sigwaitinfo: %s\n", strerror(errno));
			return COFFER_EXIT_ENCLAVE;
		}
		if (sig != SIGCHLD) {
			/* from the terminal the whole group got it already */
			if (si.si_code != SI_KERNEL)
				kill(child, sig);
			continue;
		}
		int st;
		pid_t r = waitpid(child, &st, WNOHANG);
		if (r != child)
			continue;
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st)) {
			int s = WTERMSIG(st);
			if (s != SIGINT && s != SIGPIPE)
				fprintf(stderr, "coffer: %s: %s%s\n", program, strsignal(s),
					WCOREDUMP(st) ? " (core dumped)" : "");
			return COFFER_EXIT_SIGNAL + s;
		}
	}
}

static bool parse_hex32(const char *s, uint8_t out[32])
{
	if (strlen(s) != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]))
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

/* Is this file a signed bundle (by its magic)? */
static bool is_bundle(const char *path)
{
	char magic[8];
	FILE *f = fopen(path, "rb");
	bool yes = f && fread(magic, 1, 8, f) == 8 && !memcmp(magic, BUNDLE_MAGIC, 8);
	if (f)
		fclose(f);
	return yes;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

int run_check_development(const struct run_opts *o, const char *name)
{
	if (o->platform == RUN_PLATFORM_SGX || o->platform == RUN_PLATFORM_SGX_SIM) {
		fprintf(stderr, "coffer: %s: the %s platform runs signed bundles only (`coffer sign`, then `coffer "
				"run --platform=%s APP.coffer`); a development run runs on direct\n",
			name, o->platform == RUN_PLATFORM_SGX ? "sgx" : "sgx-sim",
			o->platform == RUN_PLATFORM_SGX ? "sgx" : "sgx-sim");
		return COFFER_EXIT_ENCLAVE;
	}
	if (o->have_mre || o->have_mrs) {
		fprintf(stderr, "coffer: %s: not a signed bundle: --%s pins a bundle's identity; run a bundle as "
				"`coffer run --%s=HEX APP.coffer`, without `--` before it\n",
			name, o->have_mre ? "mrenclave" : "mrsigner", o->have_mre ? "mrenclave" : "mrsigner");
		return COFFER_EXIT_ENCLAVE;
	}
	if (is_bundle(name)) {
		fprintf(stderr, "coffer: %s: a signed bundle is run as `coffer run %s`; after `--` comes a program "
				"for a development run\n",
			name, name);
		return COFFER_EXIT_ENCLAVE;
	}
	if (ends_with(name, ".coffer")) {
		fprintf(stderr, "coffer: %s: not a signed bundle (no bundle header), and a .coffer file is never "
				"run as a program\n",
			name);
		return COFFER_EXIT_ENCLAVE;
	}
	return 0;
}

/* A bundle run: check what can be checked on the host, so that a mistake is
 * reported here in one line (the enclave checks everything again). */
static int prepare_bundle(const char *path, char **args, uint8_t **raw, struct bundle *b, struct run_target *t)
{
	size_t len;
	const char *why;
	struct manifest m;
	size_t where;

	if (read_file(path, MAN_MAX_SIZE + 4096, raw, &len)) {
		fprintf(stderr, "coffer: %s: %s%s\n", path,
			errno == ENOENT || errno == EACCES ? "" : "not a signed bundle: ", strerror(errno));
		return COFFER_EXIT_ENCLAVE;
	}
	if (len < 8 || memcmp(*raw, BUNDLE_MAGIC, 8)) {
		fprintf(stderr, "coffer: %s: not a signed bundle (no bundle header); a development run is "
				"`coffer run -- PROGRAM`\n",
			path);
		return COFFER_EXIT_ENCLAVE;
	}
	if (bundle_parse(*raw, len, b, &why) || man_open(&m, b->manifest, b->manifest_len, &why, &where)) {
		fprintf(stderr, "coffer: %s: %s\n", path, why);
		return COFFER_EXIT_ENCLAVE;
	}
	/* what EINIT would refuse before any measuring: said here in one line,
	 * checked again by the enclave (platform/direct/verify.c) */
	struct sgx_sigstruct ss;
	if (sgx_sigstruct_parse(b->sigstruct, SIGSTRUCT_SIZE, &ss, &why) || sgx_sigstruct_check_q(b->sigstruct, &why)) {
		fprintf(stderr, "coffer: refusing to start: %s: the SIGSTRUCT's %s\n", path, why);
		return COFFER_EXIT_ENCLAVE;
	}
	if (*args && m.config.host_args != MAN_ARGS_APPEND) {
		fprintf(stderr, "coffer: %s: the manifest takes no arguments from the host (host_args: none)\n", path);
		return COFFER_EXIT_USAGE;
	}
	t->program = man_str(&m, m.config.entrypoint);
	t->argv = args;
	t->bundle = b;
	return 0;
}

/* Does this process have children (running, stopped or zombies)? A shell
 * that execs coffer (`exec coffer run ...`) hands over its background jobs;
 * they are host processes, not the application's, and the program would
 * reap them with wait(-1) if it took this process's place. */
static bool has_children(void)
{
	siginfo_t si;
	return waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT | __WALL) == 0 ||
	       errno != ECHILD;
}

/* Become the enclave image, or on sgx and sgx-sim the sgx platform's host
 * coffer-sgx (platform/sgx/host/main.c), which gets the same boot block and
 * program, the platform and the image; returns only if the exec failed. */
static void exec_enclave(const char *enclave, const char *sgx_host, int platform, int bfd, const char *program,
			 const char *fault)
{
	char fdarg[32], faultarg[32], platarg[32], imagearg[PATH_MAX + 16];
	snprintf(fdarg, sizeof fdarg, "--boot-fd=%d", bfd);
	snprintf(faultarg, sizeof faultarg, "--fault=%s", fault ? fault : "");
	if (sgx_host) {
		snprintf(platarg, sizeof platarg, "--platform=%s", platform == RUN_PLATFORM_SGX ? "sgx" : "sgx-sim");
		snprintf(imagearg, sizeof imagearg, "--image=%s", enclave);
		char *hargv[] = { "coffer-sgx", platarg, imagearg, fdarg, (char *)program, NULL };
		char *henv[] = { getenv("COFFER_SGX_SIM_FAITHFUL") ? "COFFER_SGX_SIM_FAITHFUL=1" : NULL, NULL };
		execve(sgx_host, hargv, henv);
		fprintf(stderr, "coffer: cannot start the sgx platform's host %s: %s\n", sgx_host, strerror(errno));
		return;
	}
	char *eargv[] = { "coffer-enclave", fdarg, (char *)program, fault ? faultarg : NULL, NULL };
	char *eenv[] = { NULL };
	execve(enclave, eargv, eenv);
	fprintf(stderr, "coffer: cannot start the enclave image %s: %s\n", enclave, strerror(errno));
}

int run_enclave(const struct run_opts *o, const struct run_target *t, const char *name)
{
	char enclave[PATH_MAX], host_path[PATH_MAX];
	const char *host = NULL;

	if (find_enclave(enclave, sizeof enclave)) {
		fprintf(stderr, "coffer: cannot find the enclave image coffer-enclave (looked next to %s); "
				"set COFFER_ENCLAVE\n", enclave);
		return COFFER_EXIT_ENCLAVE;
	}
	if (o->platform == RUN_PLATFORM_SGX || o->platform == RUN_PLATFORM_SGX_SIM) {
		if (o->fault) {
			fprintf(stderr, "coffer: COFFER_FAULT is the direct platform's lying host; it does not "
					"apply to sgx or sgx-sim\n");
			return COFFER_EXIT_USAGE;
		}
		if (find_libexec("coffer-sgx", "COFFER_SGX", host_path, sizeof host_path)) {
			fprintf(stderr, "coffer: cannot find the sgx platform's host coffer-sgx (looked next to %s); "
					"set COFFER_SGX\n", host_path);
			return COFFER_EXIT_ENCLAVE;
		}
		host = host_path;
	}
	int bfd = write_bootblock(o, t);
	if (bfd < 0)
		return COFFER_EXIT_ENCLAVE;
	if (o->record_fd < 0 && !has_children()) {
		/* the program takes this process's place (top of file) */
		exec_enclave(enclave, host, o->platform, bfd, t->program, o->fault);
		close(bfd);
		return COFFER_EXIT_ENCLAVE;
	}

	sigset_t set, old;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t self = getpid();
	pid_t child = fork();
	if (child < 0) {
		fprintf(stderr, "coffer: fork: %s\n", strerror(errno));
		return COFFER_EXIT_ENCLAVE;
	}
	if (child == 0) {
		/* the program must not outlive coffer: nobody would report it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != self)
			_exit(COFFER_EXIT_ENCLAVE);
		sigprocmask(SIG_SETMASK, &old, NULL);
		exec_enclave(enclave, host, o->platform, bfd, t->program, o->fault);
		_exit(COFFER_EXIT_ENCLAVE);
	}
	close(bfd);
	return supervise(child, name, &set);
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "trace", no_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ "mrenclave", required_argument, NULL, 'E' },
		{ "mrsigner", required_argument, NULL, 'S' },
		{ "platform", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o = { .record_fd = -1 };
	int c;

	if (run_env_level(&o))
		return COFFER_EXIT_USAGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o.trace = true; break;
		case 'l':
			if (run_parse_level(&o, optarg))
				return COFFER_EXIT_USAGE;
			break;
		case 'E':
		case 'S':
			if (!parse_hex32(optarg, c == 'E' ? o.mre : o.mrs)) {
				fprintf(stderr, "coffer: --%s: expected 64 hexadecimal digits\n",
					c == 'E' ? "mrenclave" : "mrsigner");
				return COFFER_EXIT_USAGE;
			}
			*(c == 'E' ? &o.have_mre : &o.have_mrs) = true;
			break;
		case 'P':
			if (run_parse_platform(&o, optarg, "--platform"))
				return COFFER_EXIT_USAGE;
			break;
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return COFFER_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "coffer: run: no program or bundle given\n");
		run_usage(stderr);
		return COFFER_EXIT_USAGE;
	}
	/* `coffer run APP.coffer [-- ARGS]` or `coffer run -- PROGRAM [ARGS]` */
	bool after_dashes = !strcmp(argv[optind - 1], "--");
	char program[PATH_MAX];
	struct run_target target = { 0 };
	struct bundle bundle;
	uint8_t *raw = NULL;
	const char *name = argv[optind];
	if (!after_dashes) {
		char **args = argv + optind + 1;
		if (*args && !strcmp(*args, "--"))
			args++;
		int r = prepare_bundle(name, args, &raw, &bundle, &target);
		if (r) {
			free(raw);
			return r;
		}
		/* the default stays direct until the runtime runs inside the
		 * enclave (docs/platforms.md, "Choosing a platform") */
	} else {
		int st = run_check_development(&o, name);
		if (st)
			return st;
		st = run_find_program(name, program, sizeof program);
		if (st)
			return st;
		target.program = program;
		target.argv = argv + optind;
	}

	int st = run_enclave(&o, &target, name);
	free(raw); /* target.program pointed into it */
	return st;
}
