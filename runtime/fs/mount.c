/*
 * mount.c - the mount table: built once at boot, read-only afterwards, so
 * lookups take no lock. Entries are kept longest path first, which makes the
 * first prefix match the most specific mount.
 */
#include "vfs.h"

#define MAX_MOUNTS 64

static struct vfs_mount mounts[MAX_MOUNTS];
static int nmounts;

int vfs_mount_add(const char *path, const char *host_root, const struct mount_ops *ops, bool ro)
{
	size_t len = strlen(path);

	if (nmounts == MAX_MOUNTS || path[0] != '/')
		return -EINVAL;
	for (int i = 0; i < nmounts; i++)
		if (strcmp(mounts[i].path, path) == 0)
			return -EEXIST;
	char *p = rt_strdup(path), *h = host_root ? rt_strdup(host_root) : NULL;
	if (!p || (host_root && !h))
		return -ENOMEM;
	int at = nmounts;
	while (at > 0 && mounts[at - 1].path_len < len) {
		mounts[at] = mounts[at - 1];
		at--;
	}
	mounts[at] = (struct vfs_mount){ .path = p, .path_len = len, .host_root = h, .ops = ops, .read_only = ro };
	nmounts++;
	return 0;
}

struct vfs_mount *vfs_mount_find(const char *abs, const char **rel)
{
	for (int i = 0; i < nmounts; i++) {
		struct vfs_mount *m = &mounts[i];
		if (m->path_len == 1) {
			*rel = abs + 1;
			return m;
		}
		if (strncmp(abs, m->path, m->path_len) == 0 && (abs[m->path_len] == 0 || abs[m->path_len] == '/')) {
			*rel = abs + m->path_len + (abs[m->path_len] == '/');
			return m;
		}
	}
	return NULL;
}
