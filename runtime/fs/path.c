/*
 * path.c - making application paths absolute (normalize.c), finding the
 * mount that serves them, and resolving symbolic links for /proc/self/exe.
 */
#include "../mm/mm.h"
#include "../proc/proc.h"
#include "vfs.h"

long vfs_resolve(int dirfd, const char *path, char *abs, struct vfs_path *out)
{
	char base[RT_PATH_MAX];
	bool dir;
	long r;

	if (!*path)
		return -ENOENT;
	base[0] = 0;
	if (path[0] != '/') {
		if (dirfd == VFS_AT_FDCWD) {
			struct rt_proc *p = current()->proc;
			rt_lock(&p->lock);
			str_copy(base, p->cwd, sizeof base);
			rt_unlock(&p->lock);
		} else if ((r = vfs_fd_path(dirfd, base, sizeof base))) {
			return r;
		}
	}
	if ((r = vfs_normalize(base, path, abs, &dir)))
		return r;
	const char *rel;
	struct vfs_mount *m = vfs_mount_find(abs, &rel);
	if (!m)
		return -ENOENT;
	out->mnt = m;
	out->abs = abs;
	out->rel = rel;
	out->dir = dir;
	return 0;
}

long vfs_resolve_user(int dirfd, uintptr_t upath, char *abs, struct vfs_path *out)
{
	char path[RT_PATH_MAX];
	long r = uaccess_strncpy(path, upath, sizeof path);

	if (r < 0)
		return r;
	return vfs_resolve(dirfd, path, abs, out);
}

long vfs_realpath(const char *abs, char *out)
{
	char cur[RT_PATH_MAX], next[RT_PATH_MAX], link[RT_PATH_MAX], pathbuf[RT_PATH_MAX];
	struct kstat_buf st;
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
			if (!r && p.mnt->ops->stat && !p.mnt->ops->stat(&p, 0x100, &st) &&
			    (*(uint32_t *)(st.raw + 24) & 0170000) == 0120000 && p.mnt->ops->readlink) {
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
