/*
 * exec.c - execve: boot step 4 of docs/design.md.
 *
 * Everything that can fail is checked here, in the calling process, so that
 * execve returns an error the way Linux does (ENOENT, EACCES, ENOEXEC, E2BIG):
 * the path, argv and envp are copied in, and the program is resolved through
 * its #! lines to an x86-64 ELF. Then the state that survives execve is
 * written as a boot block into a memfd, and the host replaces the process
 * image with a fresh enclave that boots from it. The block carries: program,
 * argv, envp, cwd, umask, signal mask, ignored signals, the fd table (the
 * host has closed the close-on-exec fds by the time the new enclave looks),
 * and the runtime's log fd and settings. Handled signals go back to default,
 * as on Linux.
 */
#include <linux/fcntl.h>
#include <linux/memfd.h>

#include "../../common/bootblock.h"
#include "../../common/manifest.h"
#include "../../common/sgx.h"
#include "../boot/boot.h"
#include "../boot/loader.h"
#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../syscall/sys.h"
#include "pidtab.h"
#include "proc.h"
#include "../lib/host.h"

#define MAX_ARGS (1 << 20)


static long copy_strv(uintptr_t uv, struct strvec *out)
{
	char *buf = rt_alloc(128 << 10);
	long r = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; uv; i++) {
		uint64_t p;
		if (i >= MAX_ARGS) {
			r = -E2BIG;
			break;
		}
		if ((r = uaccess_get_u64(&p, uv + i * 8)))
			break;
		if (!p)
			break;
		r = uaccess_strncpy(buf, (uintptr_t)p, 128 << 10);
		if (r < 0) {
			if (r == -ENAMETOOLONG)
				r = -E2BIG;
			break;
		}
		if ((r = strvec_push(out, buf)))
			break;
		if (out->bytes > (2UL << 20)) {
			r = -E2BIG;
			break;
		}
	}
	rt_free(buf);
	return r;
}

/* Write the whole block; called once to measure (w->buf NULL), once to fill.
 * The caller holds the fd table lock so both passes see the same table. */
static void write_block(struct bb_writer *w, const char *prog, const struct strvec *argv,
			const struct strvec *envp, const char *cwd, unsigned umask, uint64_t ignored,
			struct rt_thread *t, struct fd_table *fdt)
{
	bb_put_u32(w, BB_FLAGS, rt_boot_flags & ~(uint32_t)BB_F_FIRST);
	bb_put_u32(w, BB_LOG_LEVEL, (uint32_t)rt_log_level);
	bb_put_u32(w, BB_LOG_FD, (uint32_t)t->proc->log_fd);
	if (t->proc->record_fd >= 0)
		bb_put_u32(w, BB_RECORD_FD, (uint32_t)t->proc->record_fd);
	if (t->proc->pidtab_fd >= 0)
		bb_put_u32(w, BB_PIDTAB_FD, (uint32_t)t->proc->pidtab_fd);
	bb_put_str(w, BB_PROGRAM, prog);
	for (size_t i = 0; i < argv->n; i++)
		bb_put_str(w, BB_ARG, argv->v[i]);
	for (size_t i = 0; i < envp->n; i++)
		bb_put_str(w, BB_ENV, envp->v[i]);
	bb_put_str(w, BB_CWD, cwd);
	bb_put_u32(w, BB_UMASK, umask);
	bb_put_u64(w, BB_SIGMASK, t->sigmask);
	bb_put_u64(w, BB_SIGIGN, ignored);
	for (unsigned fd = 0; fd < fdt->cap; fd++) {
		struct file *f = fdt->files[fd];
		if (f && f->ops->host)
			bb_put_fd(w, fd, BB_FD_HOST, 0, f->path ? f->path : "");
		else if (f && f->mnt && f->mnt->ops == &trusted_ops && f->ops->pread)
			bb_put_fd(w, fd, BB_FD_TRUSTED, (uint64_t)f->pos, f->path);
	}
	/* the same signed enclave, verified again by the new image */
	if (rt_manifest.raw) {
		bb_put(w, BB_MANIFEST, rt_manifest.raw, rt_manifest.size);
		bb_put(w, BB_SIGSTRUCT, rt_sigstruct, SIGSTRUCT_SIZE);
	}
}

static long make_boot_fd(const char *prog, const struct strvec *argv, const struct strvec *envp)
{
	struct rt_thread *t = current();
	struct rt_proc *p = t->proc;
	struct fd_table *fdt = t->fdt; /* this thread's: it is the process's from now on */
	char cwd[RT_PATH_MAX];
	struct bb_writer w;

	uint64_t ignored = sig_ignored_set(p);
	vfs_cwd(cwd);
	rt_lock(&p->lock);
	unsigned umask = p->umask;
	rt_unlock(&p->lock);

	rt_lock(&fdt->lock);
	bb_writer_init(&w, NULL, 0);
	write_block(&w, prog, argv, envp, cwd, umask, ignored, t, fdt);
	size_t need = w.len;
	uint8_t *buf = rt_alloc(need);
	if (buf) {
		bb_writer_init(&w, buf, need);
		write_block(&w, prog, argv, envp, cwd, umask, ignored, t, fdt);
	}
	rt_unlock(&fdt->lock);
	if (!buf)
		return -ENOMEM;
	size_t len = bb_finish(&w);
	/* close-on-exec until the last moment, and a runtime fd meanwhile, so
	 * that the application's other threads can neither inherit nor close it */
	long fd = len ? host_fd("memfd_create", plat_host_memfd_create("coffer-boot", MFD_CLOEXEC)) : -E2BIG;
	for (size_t off = 0; fd >= 0 && off < len;) {
		long r = host_len("write", plat_host_write((int)fd, buf + off, len - off), len - off);
		if (r == -EINTR)
			continue;
		if (r <= 0) {
			plat_host_close((int)fd);
			fd = r ? r : -EIO;
			break;
		}
		off += (size_t)r;
	}
	rt_free(buf);
	if (fd >= 0)
		fd_runtime_add((int)fd);
	return fd;
}

static long exec_common(struct sys_call *c, int dirfd, uintptr_t upath, uintptr_t uargv, uintptr_t uenvp,
			int flags)
{
	char path[RT_PATH_MAX], prog[RT_PATH_MAX], why[256];
	struct strvec argv = { 0 }, envp = { 0 };
	struct loader_prog lp;
	long r = uaccess_strncpy(path, upath, sizeof path);

	if (r < 0)
		return r;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (current()->tls.intr)
		return SYS_RESTART_NOW; /* deliver the held signal to this image first */
	if (r == 0) {
		if (!(flags & AT_EMPTY_PATH) || dirfd == VFS_AT_FDCWD)
			return -ENOENT;
		if ((r = vfs_fd_path(dirfd, prog, sizeof prog)))
			return r;
	} else if (path[0] == '/' || dirfd == VFS_AT_FDCWD) {
		str_copy(prog, path, sizeof prog);
	} else {
		char dir[RT_PATH_MAX];
		if ((r = vfs_fd_path(dirfd, dir, sizeof dir)))
			return r;
		if ((size_t)rt_snprintf(prog, sizeof prog, "%s/%s", dir, path) >= sizeof prog)
			return -ENAMETOOLONG;
	}
	/* execveat(AT_SYMLINK_NOFOLLOW) opens the program with O_NOFOLLOW */
	if (*path && (flags & AT_SYMLINK_NOFOLLOW) && (r = vfs_open_nofollow_check(prog)))
		return r;
	if ((r = copy_strv(uargv, &argv)) || (r = copy_strv(uenvp, &envp)))
		goto out;
	if (argv.n == 0 && (r = strvec_push(&argv, ""))) /* Linux 5.18+: argv {""} */
		goto out;
	r = loader_resolve(prog, (const char *const *)argv.v, argv.n, &lp, why, sizeof why);
	if (r) {
		log_debug("execve %s: %s", prog, why);
		goto out;
	}
	strvec_free(&lp.argv);
	/* Other processes must not take the boot fd (pidfd_getfd) or rely on
	 * this image's runtime memory from now on: the new image publishes. */
	pidtab_begin();
	long bfd = make_boot_fd(prog, &argv, &envp);
	if (bfd < 0) {
		pidtab_end();
		r = bfd;
		goto out;
	}
	strvec_free(&argv);
	strvec_free(&envp);
	/* From here no signal may be taken by this image: a signal that
	 * arrives now stays pending in the kernel and reaches the new image
	 * (handled ones with their default action, as on Linux). One that was
	 * held already is delivered first, and execve runs again. */
	uint64_t old = plat_sig_setmask(~plat_sig_reserved());
	if (current()->tls.intr) {
		plat_sig_setmask(old);
		r = SYS_RESTART_NOW;
		goto close_boot;
	}
	plat_host_fcntl((int)bfd, F_SETFD, 0);
	int log_fd = current()->proc->log_fd, record_fd = current()->proc->record_fd;
	int pidtab_fd = current()->proc->pidtab_fd;
	if (log_fd >= 0)
		plat_host_fcntl(log_fd, F_SETFD, 0);
	if (record_fd >= 0)
		plat_host_fcntl(record_fd, F_SETFD, 0);
	if (pidtab_fd >= 0)
		plat_host_fcntl(pidtab_fd, F_SETFD, 0);
	sys_trace_now(c, "0");
	r = plat_exec((int)bfd, prog);
	/* still here: the host refused */
	c->traced = false;
	plat_sig_setmask(old);
	if (log_fd >= 0)
		plat_host_fcntl(log_fd, F_SETFD, FD_CLOEXEC);
	if (record_fd >= 0)
		plat_host_fcntl(record_fd, F_SETFD, FD_CLOEXEC);
	if (pidtab_fd >= 0)
		plat_host_fcntl(pidtab_fd, F_SETFD, FD_CLOEXEC);
	log_debug("host execve of the enclave failed: %ld", r);
close_boot:
	fd_runtime_remove((int)bfd);
	plat_host_close((int)bfd);
	pidtab_end();
	return r;
out:
	strvec_free(&argv);
	strvec_free(&envp);
	/* A signal that interrupted the checks is delivered first; execve then
	 * runs again (Linux never fails an execve with EINTR). */
	if (r == -EINTR && current()->tls.intr)
		r = SYS_RESTART_NOW;
	return r;
}

long sys_execve(struct sys_call *c)
{
	return exec_common(c, VFS_AT_FDCWD, (uintptr_t)c->a[0], (uintptr_t)c->a[1], (uintptr_t)c->a[2], 0);
}

long sys_execveat(struct sys_call *c)
{
	return exec_common(c, (int)c->a[0], (uintptr_t)c->a[1], (uintptr_t)c->a[2], (uintptr_t)c->a[3],
			   (int)c->a[4]);
}
