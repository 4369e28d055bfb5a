/*
 * boot.c - rt_main: from the platform's hand-over to the application's
 * first instruction (docs/design.md, section 2, step 3).
 *
 *  1. block every host signal; reserve runtime memory; read the boot block
 *     (untrusted bytes: the reader is bounds-checked);
 *  2. take thread slot 0 and move onto its runtime stack, so that the host's
 *     main stack is free for the application;
 *  3. arm interception; build the process: signals, mounts, cwd, umask, fds;
 *  4. resolve and load the program and its loader, build the initial stack;
 *  5. enter the application with its signal mask, atomically.
 * A failure before step 5 prints one line naming the program and the problem
 * and exits with 127 (not found) or 126 (found but cannot run), as shells do,
 * or 125 when the enclave itself cannot start (docs/cli.md lists the codes).
 */
#include <linux/fcntl.h>

#include "../../common/bootblock.h"
#include "../../common/exit.h"
#include "../../common/manifest.h"
#include "../../common/sgx.h"
#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../mm/vma.h"
#include "../proc/pidtab.h"
#include "../proc/proc.h"
#include "../syscall/sys.h"
#include "boot.h"
#include "loader.h"
#include "../lib/host.h"

uint32_t rt_boot_flags; /* BB_F_* of this enclave */
/* A signed enclave's manifest and SIGSTRUCT (runtime copies; read-only after
 * boot). rt_manifest.raw is NULL in a development run. */
struct manifest rt_manifest;
const uint8_t *rt_sigstruct;

struct boot_cfg {
	const struct plat_boot_info *bi;
	struct rt_thread *thread;
	uint32_t log_level;
	int log_fd, record_fd, pidtab_fd;
	const char *program, *cwd;
	uint32_t umask;
	uint64_t sigmask, sigign;
	const char **argv, **envp;
	size_t argc, envc;
	struct bb_record *fds;
	size_t nfds;
};

void rt_switch_stack(void (*fn)(void *), void *arg, uintptr_t sp) __attribute__((noreturn));

RT_NORETURN static void boot_fail(int code, const char *fmt, ...) RT_PRINTF(2, 3);
static void boot_fail(int code, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n = rt_snprintf(line, sizeof line, "coffer: ");

	va_start(ap, fmt);
	n += rt_vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	rt_log_write(line, (size_t)n);
	shm_run_end(); /* mounted already, and the run ends here */
	plat_exit_group(code);
}

static size_t count_type(const struct plat_boot_info *bi, enum bb_type type)
{
	struct bb_reader r;
	struct bb_record rec;
	size_t n = 0;

	bb_reader_init(&r, bi->bootblock, bi->bootblock_len);
	while (bb_next(&r, &rec) > 0)
		n += rec.type == type;
	return n;
}

static void parse_bootblock(const struct plat_boot_info *bi, struct boot_cfg *cfg)
{
	struct bb_reader r;
	struct bb_record rec;
	uint32_t v;
	int err;

	if ((err = bb_reader_init(&r, bi->bootblock, bi->bootblock_len)))
		boot_fail(COFFER_EXIT_ENCLAVE, "the boot block is malformed (%d); start programs with `coffer run`", err);
	cfg->argv = rt_zalloc((count_type(bi, BB_ARG) + 1) * sizeof *cfg->argv);
	cfg->envp = rt_zalloc((count_type(bi, BB_ENV) + 1) * sizeof *cfg->envp);
	cfg->fds = rt_zalloc((count_type(bi, BB_FD) + 1) * sizeof *cfg->fds);
	if (!cfg->argv || !cfg->envp || !cfg->fds)
		boot_fail(COFFER_EXIT_ENCLAVE, "out of memory while booting");
	cfg->log_fd = -1;
	cfg->record_fd = -1;
	cfg->pidtab_fd = -1;
	cfg->log_level = RT_LOG_WARN;
	cfg->umask = 022;
	while ((err = bb_next(&r, &rec)) > 0) {
		bool ok = true;
		switch (rec.type) {
		case BB_FLAGS: ok = bb_get_u32(&rec, &rt_boot_flags); break;
		case BB_LOG_LEVEL: ok = bb_get_u32(&rec, &cfg->log_level); break;
		case BB_LOG_FD:
			ok = bb_get_u32(&rec, &v);
			cfg->log_fd = (int)v;
			break;
		case BB_RECORD_FD:
			ok = bb_get_u32(&rec, &v);
			cfg->record_fd = (int)v;
			break;
		case BB_PIDTAB_FD:
			ok = bb_get_u32(&rec, &v);
			cfg->pidtab_fd = (int)v;
			break;
		case BB_PROGRAM: ok = bb_get_str(&rec, &cfg->program); break;
		case BB_ARG: ok = bb_get_str(&rec, &cfg->argv[cfg->argc++]); break;
		case BB_ENV: ok = bb_get_str(&rec, &cfg->envp[cfg->envc++]); break;
		case BB_CWD: ok = bb_get_str(&rec, &cfg->cwd); break;
		case BB_UMASK: ok = bb_get_u32(&rec, &cfg->umask); break;
		case BB_SIGMASK: ok = bb_get_u64(&rec, &cfg->sigmask); break;
		case BB_SIGIGN: ok = bb_get_u64(&rec, &cfg->sigign); break;
		case BB_FD: cfg->fds[cfg->nfds++] = rec; break;
		default: break; /* a newer writer's record */
		}
		if (!ok)
			boot_fail(COFFER_EXIT_ENCLAVE, "the boot block has a malformed record (type %d)", rec.type);
	}
	if (err < 0)
		boot_fail(COFFER_EXIT_ENCLAVE, "the boot block is truncated");
	bool signed_first = bi->manifest && (rt_boot_flags & BB_F_FIRST);
	if (!cfg->program || !cfg->cwd || cfg->cwd[0] != '/' || (cfg->argc == 0 && !signed_first))
		boot_fail(COFFER_EXIT_ENCLAVE, "the boot block lacks the program, its arguments or the working directory");
}

/* The log stream lives on a runtime fd high up, out of the application's way. */
static void setup_log(struct boot_cfg *cfg)
{
	int fd = cfg->log_fd;
	bool app_owned = false;

	for (size_t i = 0; i < cfg->nfds; i++) {
		uint32_t n;
		const char *path;
		uint32_t kind;
		uint64_t pos;
		if (bb_get_fd(&cfg->fds[i], &n, &kind, &pos, &path) && (int)n == fd)
			app_owned = true;
	}
	if (fd >= 0 && app_owned) {
		struct krlimit lim;
		if (host_rlimit("getrlimit", plat_host_getrlimit(7 /* RLIMIT_NOFILE */, &lim), &lim))
			lim.rlim_cur = 1024;
		long base = RT_MIN((long)lim.rlim_cur - 16, 1000);
		long r = host_fd("fcntl", plat_host_fcntl(fd, F_DUPFD_CLOEXEC, RT_MAX(base, 3)));
		fd = r >= 0 ? (int)r : -1;
	} else if (fd >= 0) {
		if (plat_host_fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			fd = -1;
	}
	rt_boot_log_fd = fd;
}

/* A trusted file that survived execve at host fd `fd`: open it again
 * through its mount (which verifies it in this new enclave) and put it back
 * at the same number and position. */
static void reopen_trusted(uint32_t fd, uint64_t pos, const char *path)
{
	long nfd;
	struct file *f = vfs_open_file(path, O_RDONLY, &nfd);
	if (f && plat_host_dup2((int)nfd, (int)fd) == (long)fd) {
		plat_host_close((int)nfd);
		f->pos = (long)pos;
		fd_install((int)fd, f);
		return;
	}
	if (f)
		vfs_file_close(f, nfd);
	log_warn("fd %u (%s) cannot be opened again after execve (%ld); it is closed", fd, path, nfd);
	plat_host_close((int)fd);
}

static void setup_fds(struct boot_cfg *cfg)
{
	for (size_t i = 0; i < cfg->nfds; i++) {
		uint32_t fd, kind;
		uint64_t pos;
		const char *path;
		if (!bb_get_fd(&cfg->fds[i], &fd, &kind, &pos, &path))
			boot_fail(COFFER_EXIT_ENCLAVE, "the boot block has a malformed fd record");
		if ((int)fd == rt_boot_log_fd || (int)fd == cfg->record_fd || (int)fd == cfg->pidtab_fd ||
		    plat_host_fcntl((int)fd, F_GETFD, 0) < 0)
			continue; /* closed on exec */
		if (kind == BB_FD_TRUSTED)
			reopen_trusted(fd, pos, path);
		else
			fd_install_host(fd, path[0] == '/' ? path : NULL, 0);
	}
}

/* ---- a signed enclave ----------------------------------------------------- */

static void add_mounts(void)
{
	unsigned nshm = 0;

	if (trusted_init())
		boot_fail(COFFER_EXIT_ENCLAVE, "out of memory while booting");
	for (uint32_t i = 0; i < rt_manifest.nmounts; i++) {
		struct man_mount mm;
		man_mount(&rt_manifest, i, &mm);
		const char *path = man_str(&rt_manifest, mm.path), *src = man_str(&rt_manifest, mm.source);
		struct vfs_mount *m = NULL;
		switch (mm.type) {
		case MAN_MOUNT_TRUSTED:
			if ((m = vfs_mount_add(path, src, &trusted_ops, true)))
				m->exec_ok = true;
			break;
		case MAN_MOUNT_PASSTHROUGH:
			m = vfs_mount_add(path, src, &passthrough_ops, mm.flags & MAN_MOUNT_F_READONLY);
			if (m && strcmp(src, "/") && passthrough_confine(m))
				boot_fail(COFFER_EXIT_ENCLAVE, "mount %s: the host directory %s cannot be opened", path, src);
			break;
		case MAN_MOUNT_TMPFS:
			if ((m = vfs_mount_add(path, NULL, &tmpfs_ops, false)) && tmpfs_init(m))
				m = NULL;
			break;
		case MAN_MOUNT_SHM: {
			const char *why;
			if (!(m = shm_mount_add(path, nshm++, &why)))
				boot_fail(COFFER_EXIT_ENCLAVE, "mount %s: shared memory: %s", path, why);
			break;
		}
		default:
			boot_fail(COFFER_EXIT_ENCLAVE, "mount %s: encrypted mounts are not supported by this runtime", path);
		}
		if (!m)
			boot_fail(COFFER_EXIT_ENCLAVE, "cannot mount %s", path);
	}
	/* The runtime's /proc and the restricted /dev, where the manifest leaves
	 * them free. A mount of "/" does not hide the runtime's /proc (its
	 * longer path wins): /proc/self/exe and the rest describe the
	 * application whatever the tree holds. */
	static const struct {
		const char *path;
		const struct mount_ops *ops;
	} views[] = { { "/proc", &procfs_ops }, { "/dev", &dev_ops } };
	for (unsigned i = 0; i < RT_ARRAY_LEN(views); i++) {
		const char *rel;
		struct vfs_mount *at = vfs_mount_find(views[i].path, &rel);
		if (at && at->ops != &synth_ops && !(views[i].ops == &procfs_ops && at->path_len == 1))
			continue;
		/* a manifest mount below /proc replaces the runtime's; one below
		 * /dev (/dev/shm) joins it: devfs lists it with its devices */
		bool covers_mount = false;
		for (uint32_t j = 0; j < rt_manifest.nmounts && !covers_mount && views[i].ops == &procfs_ops; j++) {
			struct man_mount mm;
			man_mount(&rt_manifest, j, &mm);
			const char *mp = man_str(&rt_manifest, mm.path);
			covers_mount = str_starts(mp, views[i].path) && mp[strlen(views[i].path)] == '/';
		}
		if (covers_mount)
			continue;
		/* /dev's devices are written to (null, a terminal); its names
		 * cannot change (dev_ops has no operation that makes one) */
		bool ro = views[i].ops != &dev_ops;
		if (!vfs_mount_add(views[i].path, views[i].ops == &dev_ops ? views[i].path : NULL, views[i].ops, ro))
			boot_fail(COFFER_EXIT_ENCLAVE, "cannot mount %s", views[i].path);
	}
}

/* Append to a NULL-terminated array built on the heap. */
static void push(const char ***v, size_t *n, const char *s)
{
	const char **nv = rt_alloc((*n + 2) * sizeof *nv);
	if (!nv)
		boot_fail(COFFER_EXIT_ENCLAVE, "out of memory while booting");
	if (*n)
		memcpy(nv, *v, *n * sizeof *nv);
	rt_free(*v);
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*v = nv;
}

/* The first process of a signed enclave runs what the manifest says: its
 * entrypoint, argv (plus the host's arguments only if it allows them), its
 * environment plus the host variables it names, its working directory.
 * Everything else the host passed is ignored. */
static void apply_manifest(struct boot_cfg *cfg)
{
	const struct manifest *m = &rt_manifest;
	const char **argv = NULL, **envp = NULL;
	size_t argc = 0, envc = 0;

	for (uint32_t i = 0; i < m->nargv; i++)
		push(&argv, &argc, man_argv(m, i));
	if (m->config.host_args == MAN_ARGS_APPEND)
		for (size_t i = 0; i < cfg->argc; i++)
			push(&argv, &argc, cfg->argv[i]);
	for (uint32_t i = 0; i < m->nenv; i++)
		push(&envp, &envc, man_env(m, i));
	for (uint32_t i = 0; i < m->nenv_host; i++) {
		const char *name = man_env_host(m, i);
		size_t n = strlen(name);
		for (size_t j = 0; j < cfg->envc; j++)
			if (!strncmp(cfg->envp[j], name, n) && cfg->envp[j][n] == '=')
				push(&envp, &envc, cfg->envp[j]);
	}
	rt_free(cfg->argv);
	rt_free(cfg->envp);
	cfg->argv = argv ? argv : rt_zalloc(sizeof *argv);
	cfg->envp = envp ? envp : rt_zalloc(sizeof *envp);
	cfg->argc = argc;
	cfg->envc = envc;
	cfg->program = man_str(m, m->config.entrypoint);
	cfg->cwd = man_str(m, m->config.cwd);
}

static void load_manifest(struct boot_cfg *cfg)
{
	const struct plat_boot_info *bi = cfg->bi;
	uint8_t *raw = rt_alloc(bi->manifest_len), *ss = rt_alloc(SIGSTRUCT_SIZE);
	const char *why;
	size_t where;

	if (!raw || !ss)
		boot_fail(COFFER_EXIT_ENCLAVE, "out of memory while booting");
	memcpy(raw, bi->manifest, bi->manifest_len);
	memcpy(ss, bi->sigstruct, SIGSTRUCT_SIZE);
	if (man_open(&rt_manifest, raw, bi->manifest_len, &why, &where))
		boot_fail(COFFER_EXIT_ENCLAVE, "the manifest is malformed: %s (byte %zu)", why, where);
	rt_sigstruct = ss;
	if (rt_boot_flags & BB_F_FIRST)
		apply_manifest(cfg);
}

static void notice(const struct boot_cfg *cfg)
{
	/* Always said, whatever the log level: simulation never pretends. */
	char note[240];
	int n;
	if (rt_manifest.raw) {
		char mre[17];
		for (int i = 0; i < 8; i++)
			rt_snprintf(mre + 2 * i, 3, "%02x", cfg->bi->id.mrenclave[i]);
		n = rt_snprintf(note, sizeof note,
				"coffer: simulated SGX on the %s platform: identity checked (MRENCLAVE %s...), but "
				"nothing is hidden from the host\n",
				cfg->bi->platform_name, mre);
	} else {
		n = rt_snprintf(note, sizeof note,
				"coffer: development run on the simulated %s platform: no manifest, nothing is "
				"protected\n",
				cfg->bi->platform_name);
	}
	rt_log_write(note, (size_t)n);
}

static void boot_continue(void *arg)
{
	struct boot_cfg *cfg = arg;
	struct rt_thread *t = cfg->thread;
	char why[300];

	if (plat_thread_arm(&t->tls))
		boot_fail(COFFER_EXIT_ENCLAVE, "cannot arm system call interception (Linux 5.11 or newer is needed)");
	rt_tls_ready = true;
	if (cfg->bi->manifest)
		load_manifest(cfg);
	else if (!(rt_boot_flags & BB_F_DEV_RUN))
		boot_fail(COFFER_EXIT_ENCLAVE, "the boot block names neither a signed bundle nor a development run");
	struct rt_proc *p = proc_new();
	if (!p || !(t->fdt = fdt_new()) || !(p->cwd = rt_strdup(cfg->cwd)))
		boot_fail(COFFER_EXIT_ENCLAVE, "out of memory while booting");
	t->proc = p;
	p->log_fd = rt_boot_log_fd;
	if (p->log_fd >= 0)
		fd_runtime_add(p->log_fd);
	if (cfg->record_fd >= 0 && !cfg->bi->manifest &&
	    plat_host_fcntl(cfg->record_fd, F_SETFD, FD_CLOEXEC) == 0) {
		p->record_fd = cfg->record_fd;
		fd_runtime_add(p->record_fd);
		vfs_record_to(p->record_fd, 'P', cfg->program);
	}
	long tid = host_pid("gettid", plat_host_gettid()), pid = host_pid("getpid", plat_host_getpid());
	if (tid < 0 || pid < 0)
		boot_fail(COFFER_EXIT_ENCLAVE, "the host gave no valid process or thread id");
	t->tid = (int)tid;
	p->pid = (int)pid;
	if (pidtab_boot(cfg->pidtab_fd, rt_boot_flags & BB_F_FIRST) < 0)
		boot_fail(COFFER_EXIT_ENCLAVE, "cannot set up the process registry");
	uts_boot();
	p->umask = cfg->umask & 0777;
	plat_host_umask(p->umask);
	sig_boot(p, cfg->sigmask, cfg->sigign);

	if (rt_manifest.raw) {
		add_mounts();
	} else {
		struct vfs_mount *root = vfs_mount_add("/", "/", &passthrough_ops, false);
		if (!root || !vfs_mount_add("/proc", "/proc", &proc_ops, false))
			boot_fail(COFFER_EXIT_ENCLAVE, "cannot build the mount table");
		root->exec_ok = true;
	}
	p->cwd_host = vfs_cwd_attach(p->cwd);
	setup_fds(cfg);
	if (rt_boot_flags & BB_F_FIRST)
		notice(cfg);

	struct loader_prog prog;
	long r = loader_resolve(cfg->program, cfg->argv, cfg->argc, &prog, why, sizeof why);
	if (r)
		boot_fail(r == -ENOENT && prog.fail_depth == 0 ? COFFER_EXIT_NOTFOUND : COFFER_EXIT_NOEXEC, "%s: %s", cfg->program, why);
	struct loader_env env = { .execfn = cfg->program, .envp = cfg->envp, .envc = cfg->envc, .bi = cfg->bi };
	struct kucontext ctx;
	r = loader_load(&prog, &env, &ctx, why, sizeof why);
	if (r)
		boot_fail(COFFER_EXIT_NOEXEC, "%s: %s", cfg->program, why);
	char real[RT_PATH_MAX];
	proc_set_exe(p, vfs_realpath(prog.elf, real) ? prog.elf : real);
	plat_describe_process(&env.view);
	strvec_free(&prog.argv);
	log_debug("starting %s (entry %p, stack %p)", prog.elf, (void *)ctx.uc_mcontext.rip,
		  (void *)ctx.uc_mcontext.rsp);

	plat_mem_unmap((uintptr_t)cfg->bi->bootblock, RT_ALIGN_UP(cfg->bi->bootblock_len, RT_PAGE_SIZE));
	rt_free(cfg->argv);
	rt_free(cfg->envp);
	rt_free(cfg->fds);
	ctx.uc_sigmask = sig_host_mask(t->sigmask);
	pidtab_end(); /* publish this image's runtime memory and fds */
	plat_enter_app(&ctx);
}

void rt_main(const struct plat_boot_info *bi)
{
	static struct boot_cfg cfg;

	plat_sig_setmask(~0ULL);
	if (mm_init(bi->image_lo, bi->image_hi))
		boot_fail(COFFER_EXIT_ENCLAVE, "cannot reserve runtime memory");
	if (bi->app_mem != PLAT_APP_MEM_HOST &&
	    vma_init(bi->app_mem_lo, bi->app_mem_hi, bi->app_mem == PLAT_APP_MEM_FIXED, bi->app_mem_zeroed))
		boot_fail(COFFER_EXIT_ENCLAVE, "the platform's range for application memory (%p-%p) is unusable",
			  (void *)bi->app_mem_lo, (void *)bi->app_mem_hi);
	cfg.bi = bi;
	parse_bootblock(bi, &cfg);
	rt_log_level = (int)RT_MIN(cfg.log_level, (uint32_t)RT_LOG_DEBUG);
	sys_trace = (rt_boot_flags & BB_F_TRACE) != 0;
	sys_patch = !(rt_boot_flags & BB_F_NO_PATCH);
	/* a platform whose host cannot reach application memory always copies */
	if (rt_boot_flags & BB_F_BOUNDARY_CHECK)
		sys_boundary = BOUNDARY_CHECK;
	else if ((rt_boot_flags & BB_F_BOUNDARY_COPY) || !plat_app_memory_shared())
		sys_boundary = BOUNDARY_COPY;
	setup_log(&cfg);
	cfg.thread = thread_boot();
	if (!cfg.thread)
		boot_fail(COFFER_EXIT_ENCLAVE, "cannot allocate the first thread");
	rt_switch_stack(boot_continue, &cfg, cfg.thread->tls.stack_hi);
}
