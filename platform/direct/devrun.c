/*
 * devrun.c - `coffer`'s first step, and a development run started straight
 * from its command line: the boot block built in this process, from its
 * own arguments, environment and state (docs/design.md, boot step 1).
 *
 * `coffer` is this image (docs/cli.md, "The executables"). direct_front
 * keeps a command line of the form common/devrun.h describes (`coffer run
 * [--trace] [--log=LEVEL] -- PROGRAM [ARGS...]`) in a process with no
 * children, and makes every other one coffer-launcher, the hosted command
 * (tools/coffer.c), with the same arguments and environment: bundles,
 * --help, the tools, a supervising `coffer run`. A plain development run
 * so costs one exec, as the native program does. What tools/run.c does for every other command
 * line is done here, in the same order and with the same messages and exit
 * statuses (docs/cli.md): refuse what was meant as a bundle (125), find the
 * program as a shell would (127 not found, 126 not executable), then
 * collect what the program inherits: the environment, the working
 * directory, the umask, the signal mask and ignored signals, every open
 * fd. All of that survived the exec into this image unchanged, so it is
 * read from this process; nothing has opened an fd in it yet.
 *
 * The result is an ordinary boot block in anonymous memory, which the
 * runtime reads as it reads one passed on an fd. A development run is not
 * protected by anything, so nothing here is checked against a signature:
 * the runtime still parses the block with its bounds-checked reader.
 */
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "../../common/bootblock.h"
#include "../../common/bundle.h"
#include "../../common/devrun.h"
#include "../../common/exit.h"
#include "../../common/progsearch.h"
#include "../../runtime/lib/rt.h"
#include "direct.h"

struct kdirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

RT_NORETURN RT_PRINTF(2, 3) static void fail(int code, const char *fmt, ...)
{
	char line[RT_PATH_MAX + 200];
	va_list ap;
	int n = rt_snprintf(line, sizeof line, "coffer: ");

	va_start(ap, fmt);
	n += rt_vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof line - 3)
		n = sizeof line - 3;
	line[n++] = '\n';
	line[n] = 0;
	direct_early_error(line);
	sys1(__NR_exit_group, code);
	__builtin_unreachable();
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* Does the file start with the bundle header (tools/run.c, is_bundle)? */
static bool is_bundle(const char *path)
{
	char magic[8];
	long fd = sys3(__NR_open, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	size_t got = 0;
	while (got < sizeof magic) {
		long r = sys4(__NR_pread64, fd, magic + got, sizeof magic - got, got);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	sys1(__NR_close, fd);
	return got == sizeof magic && !memcmp(magic, BUNDLE_MAGIC, 8);
}

/* st_mode of path (following symlinks), or a negative errno. */
static long mode_of(const char *path)
{
	struct statx stx;
	long r = sys5(__NR_statx, AT_FDCWD, path, 0, STATX_TYPE | STATX_MODE, &stx);
	return r < 0 ? r : stx.stx_mode;
}

static bool executable(const char *path)
{
	return sys2(__NR_access, path, 1 /* X_OK */) == 0;
}

/* Find PROGRAM as a shell would (common/progsearch.c, as tools/run.c). */
static void find_program(const char *name, char *const *envp, char *out, size_t n)
{
	static const struct prog_fs fs = { mode_of, executable };
	const char *path = NULL;
	for (char *const *e = envp; *e && !path; e++)
		path = devrun_after(*e, "PATH=");
	int st = prog_search(name, path, out, n, &fs);
	if (st)
		fail(st == PROG_ISDIR ? COFFER_EXIT_NOEXEC : st, "%s: %s", name, prog_search_why(name, st));
}

/* A hexadecimal field of /proc/self/status ("SigIgn:"). */
static bool status_hex(const char *buf, const char *name, uint64_t *out)
{
	const char *p = buf;
	size_t n = strlen(name);
	while (p && strncmp(p, name, n))
		if ((p = strchr(p, '\n')))
			p++;
	if (!p)
		return false;
	p += n;
	while (*p == '\t' || *p == ' ')
		p++;
	uint64_t v = 0;
	int digits = 0;
	for (;; p++, digits++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (d < 0)
			break;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return digits == 16;
}

/* The signal mask and the ignored signals, bit N-1 for signal N (SIG_IGN
 * survived the exec into this image, handlers did not): from
 * /proc/self/status in one read, as tools/run.c does; else asked of the
 * kernel signal by signal (each call costs about 2 us on our VMs). */
static void host_signals(uint64_t *blocked, uint64_t *ignored)
{
	char buf[4096];
	long fd = sys3(__NR_open, "/proc/self/status", O_RDONLY | O_CLOEXEC, 0);
	long n = fd >= 0 ? sys3(__NR_read, fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		sys1(__NR_close, fd);
	if (n > 0) {
		buf[n] = 0;
		if (status_hex(buf, "SigBlk:", blocked) && status_hex(buf, "SigIgn:", ignored))
			return;
	}
	*blocked = *ignored = 0;
	sys4(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, 0, blocked, 8);
	for (int s = 1; s <= 64; s++) {
		struct {
			uint64_t handler, flags, restorer, mask;
		} old;
		if (s != 9 && s != 19 && sys4(__NR_rt_sigaction, s, 0, &old, 8) == 0 && old.handler == 1 /* SIG_IGN */)
			*ignored |= 1ULL << (s - 1);
	}
}

/* Every open fd with what it names, as tools/run.c's inherited_fds. */
static void put_fds(struct bb_writer *w)
{
	long dir = sys3(__NR_open, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dir < 0)
		return;
	char buf[2048], link[32], target[RT_PATH_MAX];
	int nfds = 0;
	long n;
	while ((n = sys3(__NR_getdents64, dir, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n && nfds < 1024;) {
			const struct kdirent64 *e = (const struct kdirent64 *)(buf + off);
			off += e->reclen;
			long fd;
			if (e->name[0] == '.' || !rt_parse_long(e->name, &fd) || fd == dir)
				continue;
			rt_snprintf(link, sizeof link, "/proc/self/fd/%ld", fd);
			long len = sys3(__NR_readlink, link, target, sizeof target - 1);
			target[len < 0 ? 0 : len] = 0;
			bb_put_fd(w, (uint32_t)fd, BB_FD_HOST, 0, target);
			nfds++;
		}
	}
	sys1(__NR_close, dir);
}

static int direct_devrun(int argc, char **argv, char **envp, struct plat_boot_info *bi)
{
	struct devrun d;
	char program[RT_PATH_MAX], cwd[RT_PATH_MAX];

	if (!devrun_parse(argc, argv, envp, &d))
		return -EINVAL;
	const char *name = argv[d.prog];
	/* tools/run.c, run_check_development: what was meant as a bundle never
	 * runs unprotected (a pinned identity is not in the grammar) */
	if (is_bundle(name))
		fail(COFFER_EXIT_ENCLAVE,
		     "%s: a signed bundle is run as `coffer run %s`; after `--` comes a program for a development run",
		     name, name);
	if (ends_with(name, ".coffer"))
		fail(COFFER_EXIT_ENCLAVE,
		     "%s: not a signed bundle (no bundle header), and a .coffer file is never run as a program", name);
	find_program(name, envp, program, sizeof program);

	long r = sys2(__NR_getcwd, cwd, sizeof cwd);
	if (r < 0)
		fail(COFFER_EXIT_ENCLAVE, "cannot get the working directory: %s",
		     r == -ENOENT ? "No such file or directory" : rt_errno_name(r) ? rt_errno_name(r) : "error");
	long um = sys1(__NR_umask, 022);
	sys1(__NR_umask, um);
	uint64_t mask, ignored;
	host_signals(&mask, &ignored);

	/* Sized for everything but the fds' paths, with room for 64 of those:
	 * pages the writer never reaches are never touched, and are returned
	 * below. */
	size_t cap = RT_PAGE_SIZE + sizeof program + sizeof cwd + 64 * (RT_PATH_MAX + 32);
	for (int i = 0; i < argc; i++)
		cap += strlen(argv[i]) + 16;
	for (char *const *e = envp; *e; e++)
		cap += strlen(*e) + 16;
	struct bb_writer w;
	uint8_t *buf = NULL;
	size_t len = 0;
	for (int pass = 0; pass < 2 && !len; pass++) {
		cap = RT_ALIGN_UP(cap, RT_PAGE_SIZE);
		long map = sys6(__NR_mmap, 0, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
				0);
		if (map < 0 && map > -4096)
			fail(COFFER_EXIT_ENCLAVE, "cannot write the boot block: out of memory");
		buf = (uint8_t *)map;
		bb_writer_init(&w, buf, cap);
		bb_put_u32(&w, BB_FLAGS,
			   BB_F_FIRST | BB_F_DEV_RUN | (d.trace ? BB_F_TRACE : 0) | (d.no_patch ? BB_F_NO_PATCH : 0) |
				   (d.memory == DEVRUN_MEM_RANGE ? BB_F_MEM_RANGE : 0) |
				   (d.memory == DEVRUN_MEM_FIXED ? BB_F_MEM_FIXED : 0));
		bb_put_u32(&w, BB_LOG_LEVEL, (uint32_t)d.log_level);
		bb_put_u32(&w, BB_LOG_FD, 2);
		bb_put_str(&w, BB_PROGRAM, program);
		for (int i = d.prog; i < argc; i++)
			bb_put_str(&w, BB_ARG, argv[i]);
		for (char *const *e = envp; *e; e++)
			bb_put_str(&w, BB_ENV, *e);
		bb_put_str(&w, BB_CWD, cwd);
		bb_put_u32(&w, BB_UMASK, (uint32_t)um);
		bb_put_u64(&w, BB_SIGMASK, mask);
		bb_put_u64(&w, BB_SIGIGN, ignored);
		put_fds(&w);
		len = bb_finish(&w);
		if (!len) {
			/* many fds with long names: once more, with the size needed */
			sys2(__NR_munmap, buf, cap);
			cap = w.len + 64 * (RT_PATH_MAX + 32);
		}
	}
	if (!len)
		fail(COFFER_EXIT_ENCLAVE, "cannot write the boot block");
	size_t used = RT_ALIGN_UP(len, RT_PAGE_SIZE);
	if (used < cap)
		sys2(__NR_munmap, buf + used, cap - used);
	bi->bootblock = buf;
	bi->bootblock_len = len;
	return 0;
}

/* dst = dir (the first dlen bytes of a path) + name; false if too long. */
static bool path_join(char *dst, size_t n, const char *dir, size_t dlen, const char *name)
{
	return (size_t)rt_snprintf(dst, n, "%.*s%s", (int)dlen, dir, name) < n;
}

/* Become coffer-launcher: $COFFER_LAUNCHER, else next to this image, else
 * in ../libexec/coffer/ from it (the layout tools/util.c's find_libexec
 * knows). Returns only to say it is missing. */
RT_NORETURN static void exec_launcher(char **argv, char **envp)
{
	char self[RT_PATH_MAX], path[RT_PATH_MAX];
	const char *cmd = argv[0] && argv[1] ? argv[1] : "";

	for (char **e = envp; *e; e++) {
		const char *v = devrun_after(*e, "COFFER_LAUNCHER=");
		if (v && *v) {
			sys3(__NR_execve, v, argv, envp);
			fail(COFFER_EXIT_ENCLAVE, "cannot start coffer-launcher (COFFER_LAUNCHER=%s), which does `coffer %s`",
			     v, cmd);
		}
		if (v)
			break;
	}
	long len = sys3(__NR_readlink, "/proc/self/exe", self, sizeof self - 1);
	if (len <= 0)
		len = 0;
	while (len > 0 && self[len - 1] != '/')
		len--;
	if (path_join(path, sizeof path, self, (size_t)len, "coffer-launcher"))
		sys3(__NR_execve, path, argv, envp);
	if (path_join(path, sizeof path, self, (size_t)len, "../libexec/coffer/coffer-launcher"))
		sys3(__NR_execve, path, argv, envp);
	if (len > 1)
		len--; /* the directory without its slash, as tools/ name it */
	fail(strcmp(cmd, "run") ? 1 : COFFER_EXIT_ENCLAVE,
	     "cannot find coffer-launcher, which does `coffer %s` (looked next to %.*s); set COFFER_LAUNCHER", cmd,
	     (int)len, self);
}

void direct_front(int argc, char **argv, char **envp, struct plat_boot_info *bi)
{
	struct devrun d;
	char siginfo[128];

	/* children of this process would become the program's: tools/run.c
	 * keeps coffer as their parent then; COFFER_ENCLAVE names another
	 * image, which the launcher starts */
	if (argc >= 2 && devrun_parse(argc, argv, envp, &d) &&
	    sys5(__NR_waitid, 0 /* P_ALL */, 0, siginfo,
		 4 | 2 | 8 | 1 | 0x01000000 | 0x40000000 /* WEXITED WSTOPPED WCONTINUED WNOHANG WNOWAIT __WALL */,
		 0) == -ECHILD) {
		const char *other = NULL;
		for (char **e = envp; *e && !other; e++)
			other = devrun_after(*e, "COFFER_ENCLAVE="); /* the first counts, as getenv */
		if ((!other || !*other) && direct_devrun(argc, argv, envp, bi) == 0)
			return;
	}
	exec_launcher(argv, envp);
}
