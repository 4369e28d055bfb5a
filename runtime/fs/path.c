/*
 * path.c - making application paths absolute (normalize.c), finding the
 * mount that serves them, and following the symbolic links the runtime
 * knows (trusted and tmpfs symlinks, and the links of a bundle's /proc:
 * self, exe, cwd, root, fd/N) one component at a time, so that no link
 * leads out of the enclave's file system.
 *
 * /proc/self/fd/N is a "magic" link: open and stat act on the open file
 * itself. Callers that want that (VFS_REOPEN) get the path of the link as
 * it is when it is the last component, and its mount reopens the file;
 * anywhere else, and for every other call, it is followed as a symlink to
 * the file's path.
 */
#include <asm/stat.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "../mm/mm.h"
#include "../proc/proc.h"
#include "vfs.h"
#include "../lib/host.h"

/* Follow the first symlink the runtime knows along abs (in place); sets
 * *changed. A missing directory on the way is ENOENT. */
static long follow_once(char *abs, int flags, bool *changed)
{
	size_t len = strlen(abs);
	char target[RT_PATH_MAX], next[RT_PATH_MAX];
	bool dir;

	*changed = false;
	for (size_t end = 1; end <= len; end++) {
		if (end < len && abs[end] != '/')
			continue;
		if (end == 1 && len > 1)
			continue; /* "/" itself */
		bool last = end == len;
		if (last && (flags & VFS_NOFOLLOW))
			break;
		char save = abs[end];
		abs[end] = 0;
		const char *rel;
		struct vfs_mount *m = vfs_mount_find(abs, &rel);
		long n = -EINVAL;
		if (!m) {
			abs[end] = save;
			return last ? 0 : -ENOENT;
		}
		if (!m->ops->link_target) {
			abs[end] = save;
			break; /* the host resolves inside this mount */
		}
		if (last && (flags & VFS_REOPEN) && m->ops->reopens && m->ops->reopens(m, rel))
			break; /* the mount opens the file itself */
		n = m->ops->link_target(m, rel, target, sizeof target - 1);
		if (n == -ENOENT && !last) {
			abs[end] = save;
			return -ENOENT;
		}
		if (n < 0) {
			abs[end] = save;
			continue;
		}
		target[n] = 0;
		/* the link's directory, then the target, then the rest */
		char *slash = strrchr(abs, '/');
		*slash = 0;
		const char *rest = last ? "" : abs + end + 1;
		int w = target[0] == '/' ? rt_snprintf(next, sizeof next, "%s/%s", target, rest)
					 : rt_snprintf(next, sizeof next, "%s/%s/%s", abs, target, rest);
		if ((size_t)w >= sizeof next)
			return -ENAMETOOLONG;
		long r = vfs_normalize("/", next, abs, &dir);
		if (r)
			return r;
		*changed = true;
		return 0;
	}
	return 0;
}

/*
 * The working directory, and a directory fd, are the directory itself, as in
 * the kernel, not a name: a rename of the directory or of one above it must
 * be followed. For a directory on a passthrough mount the host knows the
 * directory: the host process's own working directory is moved to it
 * (vfs_cwd_attach), and its name is asked of the host again when it matters
 * (getcwd, resolving a relative path, execve, /proc/self/cwd) with getcwd,
 * or for an fd with /proc/self/fd/N. The host's answer is untrusted: it is
 * taken only when it names a place on the same passthrough mount, which the
 * host controls anyway. Elsewhere (tmpfs, trusted files, /proc) the name is
 * kept.
 */
static bool host_renamed(const char *host, const char *was, char *out)
{
	char enc[RT_PATH_MAX];
	const char *r1, *r2;
	if (vfs_host_to_enclave(host, enc, sizeof enc) || !strcmp(enc, was))
		return false;
	const struct vfs_mount *m = vfs_mount_find(was, &r1);
	if (!m || m->ops != &passthrough_ops || vfs_mount_find(enc, &r2) != m)
		return false;
	str_copy(out, enc, RT_PATH_MAX);
	return true;
}

void vfs_cwd(char *buf)
{
	struct rt_proc *p = current()->proc;
	char host[RT_PATH_MAX], now[RT_PATH_MAX];
	bool moved = false;

	rt_lock(&p->lock);
	str_copy(buf, p->cwd, RT_PATH_MAX);
	bool ask = p->cwd_host;
	rt_unlock(&p->lock);
	if (ask && host_cwd("getcwd", plat_host_getcwd(host, sizeof host), host, sizeof host) > 0)
		moved = host_renamed(host, buf, now);
	if (!moved)
		return;
	char *s = rt_strdup(now), *old = NULL;
	rt_lock(&p->lock);
	if (s && !strcmp(p->cwd, buf)) { /* nobody moved it meanwhile */
		old = p->cwd;
		p->cwd = s;
		s = NULL;
	}
	rt_unlock(&p->lock);
	rt_free(old);
	rt_free(s);
	str_copy(buf, now, RT_PATH_MAX);
}

bool vfs_cwd_attach(const char *abs)
{
	char base[RT_PATH_MAX], hp[RT_PATH_MAX];
	struct vfs_path p;
	bool ok = false;

	if (vfs_resolve(VFS_AT_FDCWD, abs, base, &p) || p.mnt->ops != &passthrough_ops)
		return false;
	if (p.mnt->ops->host_path && !p.mnt->ops->host_path(&p, hp, sizeof hp)) {
		ok = plat_host_chdir(hp) == 0;
	} else {
		/* a confined mount: through an fd it opens beneath its root */
		long fd;
		struct file *f = vfs_open_file(abs, O_PATH | O_DIRECTORY | O_CLOEXEC, &fd);
		if (f) {
			ok = f->ops->host && plat_host_fchdir((int)fd) == 0;
			vfs_file_close(f, fd);
		}
	}
	return ok;
}

void vfs_fd_path_now(int fd, const struct file *f, char *path)
{
	char link[48], host[RT_PATH_MAX], now[RT_PATH_MAX];
	if (!f->ops->host || !f->mnt || f->mnt->ops != &passthrough_ops)
		return;
	rt_snprintf(link, sizeof link, "%s/fd/%d", fd_host_proc(), fd);
	long n = host_len("readlinkat", plat_host_readlinkat(VFS_AT_FDCWD, link, host, sizeof host - 1), sizeof host - 1);
	if (n <= 0 || n >= (long)sizeof host - 1)
		return;
	host[n] = 0;
	if (host_renamed(host, path, now))
		str_copy(path, now, RT_PATH_MAX);
}

long vfs_resolve_at(int dirfd, const char *path, int flags, char *abs, struct vfs_path *out)
{
	char base[RT_PATH_MAX];
	bool dir;
	long r;

	if (!*path)
		return -ENOENT;
	base[0] = 0;
	if (path[0] != '/') {
		if (dirfd == VFS_AT_FDCWD) {
			vfs_cwd(base);
		} else if ((r = vfs_fd_path(dirfd, base, sizeof base))) {
			return r;
		}
	}
	if ((r = vfs_normalize(base, path, abs, &dir)))
		return r;
	if (vfs_any_links) {
		/* a trailing slash follows a final symlink whatever the flags say */
		int fflags = dir ? flags & ~VFS_NOFOLLOW : flags;
		for (int hops = 0;; hops++) {
			bool changed;
			if ((r = follow_once(abs, fflags, &changed)))
				return r;
			if (!changed)
				break;
			if (hops == 40)
				return -ELOOP;
		}
	}
	const char *rel;
	struct vfs_mount *m = vfs_mount_find(abs, &rel);
	if (!m)
		return -ENOENT;
	out->mnt = m;
	out->abs = abs;
	out->rel = rel;
	out->dir = dir;
	if (m->ops->visible && !m->ops->visible(out))
		return -ENOENT;
	return 0;
}

long vfs_resolve_user(int dirfd, uintptr_t upath, char *abs, struct vfs_path *out)
{
	char path[RT_PATH_MAX];
	long r = uaccess_strncpy(path, upath, sizeof path);

	if (r < 0)
		return r;
	return vfs_resolve_at(dirfd, path, 0, abs, out);
}

/* Is p itself a symbolic link (its last component not followed)? */
static bool path_is_link(struct vfs_path *p)
{
	struct kstat_buf st;
	return p->mnt->ops->stat && !p->mnt->ops->stat(p, AT_SYMLINK_NOFOLLOW, &st) &&
	       (((struct stat *)st.raw)->st_mode & S_IFMT) == S_IFLNK;
}

long vfs_open_nofollow_check(const char *abs)
{
	char buf[RT_PATH_MAX];
	struct vfs_path p;
	long r = vfs_resolve_at(VFS_AT_FDCWD, abs, VFS_NOFOLLOW, buf, &p);
	if (r)
		return r;
	return path_is_link(&p) ? -ELOOP : 0;
}

long vfs_realpath(const char *abs, char *out)
{
	char cur[RT_PATH_MAX], next[RT_PATH_MAX], link[RT_PATH_MAX], pathbuf[RT_PATH_MAX];
	bool dir;

	str_copy(cur, abs, sizeof cur);
	for (int follow = 0; follow < 40; follow++) {
		size_t len = strlen(cur);
		bool changed = false;
		for (size_t end = 1; end <= len && !changed; end++) {
			if (end < len && cur[end] != '/')
				continue;
			/* cur[0..end) is a prefix ending at a component boundary */
			char save = cur[end];
			cur[end] = 0;
			struct vfs_path p;
			long r = vfs_resolve(VFS_AT_FDCWD, cur, pathbuf, &p);
			if (!r && path_is_link(&p) && p.mnt->ops->readlink) {
				long n = p.mnt->ops->readlink(&p, link, sizeof link - 1);
				if (n > 0) {
					link[n] = 0;
					char *slash = strrchr(cur, '/');
					*slash = 0; /* the directory holding the link */
					const char *rest = save ? cur + end + 1 : "";
					int m = link[0] == '/'
							? rt_snprintf(next, sizeof next, "%s/%s", link, rest)
							: rt_snprintf(next, sizeof next, "%s/%s/%s", *cur ? cur : "", link, rest);
					if ((size_t)m >= sizeof next)
						return -ENAMETOOLONG;
					if ((r = vfs_normalize("/", next, cur, &dir)))
						return r;
					changed = true;
					continue;
				}
			}
			cur[end] = save;
		}
		if (!changed) {
			str_copy(out, cur, RT_PATH_MAX);
			return 0;
		}
	}
	return -ELOOP;
}
