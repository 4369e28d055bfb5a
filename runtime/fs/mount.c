/*
 * mount.c - the mount table: built once at boot, read-only afterwards, so
 * lookups take no lock. It grows as mounts are added (a manifest has at most
 * MAN_MAX_MOUNTS, common/manifest.h, plus the runtime's /proc and /dev).
 * Entries are kept longest path first, which makes the first prefix match
 * the most specific mount. The manifest's mounts do not nest (the manifest
 * reader refuses overlaps); the one nesting is a manifest mount below the
 * runtime's /dev (/dev/shm), which its longer path makes win. A path above
 * mount points is served by the synthetic mount (synth.c).
 */
#include "vfs.h"

static struct vfs_mount **mounts; /* each allocated once: pointers stay valid */
static int nmounts, cap_mounts;
static struct vfs_mount synth_mount = { .path = "", .ops = &synth_ops, .read_only = true };
bool vfs_any_links;
bool vfs_host_view = true;

struct vfs_mount *vfs_mount_add(const char *path, const char *host_root, const struct mount_ops *ops, bool ro)
{
	size_t len = strlen(path);

	if (path[0] != '/')
		return NULL;
	for (int i = 0; i < nmounts; i++)
		if (strcmp(mounts[i]->path, path) == 0)
			return NULL;
	char *p = rt_strdup(path), *h = host_root ? rt_strdup(host_root) : NULL;
	struct vfs_mount *m = rt_zalloc(sizeof *m);
	if (!p || (host_root && !h) || !m)
		return NULL;
	if (nmounts == cap_mounts) {
		int cap = cap_mounts ? 2 * cap_mounts : 64;
		struct vfs_mount **v = rt_alloc((size_t)cap * sizeof *v);
		if (!v)
			return NULL;
		if (nmounts)
			memcpy(v, mounts, (size_t)nmounts * sizeof *v);
		rt_free(mounts);
		mounts = v;
		cap_mounts = cap;
	}
	*m = (struct vfs_mount){ .path = p, .path_len = len, .host_root = h, .ops = ops, .read_only = ro };
	int at = nmounts;
	while (at > 0 && mounts[at - 1]->path_len < len) {
		mounts[at] = mounts[at - 1];
		at--;
	}
	mounts[at] = m;
	nmounts++;
	if (ops->link_target)
		vfs_any_links = true;
	if (!h || strcmp(h, p) || !(ops == &proc_ops || (ops == &passthrough_ops && len == 1)))
		vfs_host_view = false;
	return m;
}

/* Is abs strictly above mount point m (so a directory leading to it)? */
static bool above(const char *abs, const struct vfs_mount *m)
{
	size_t n = strlen(abs);
	if (n == 1)
		return m->path_len > 1;
	return m->path_len > n && strncmp(m->path, abs, n) == 0 && m->path[n] == '/';
}

struct vfs_mount *vfs_mount_find(const char *abs, const char **rel)
{
	for (int i = 0; i < nmounts; i++) {
		struct vfs_mount *m = mounts[i];
		if (m->path_len == 1) {
			*rel = abs + 1;
			return m;
		}
		if (strncmp(abs, m->path, m->path_len) == 0 && (abs[m->path_len] == 0 || abs[m->path_len] == '/')) {
			*rel = abs + m->path_len + (abs[m->path_len] == '/');
			return m;
		}
	}
	for (int i = 0; i < nmounts; i++)
		if (above(abs, mounts[i])) {
			*rel = abs;
			return &synth_mount;
		}
	return NULL;
}

long vfs_host_to_enclave(const char *host, char *out, size_t n)
{
	const struct vfs_mount *best = NULL;
	size_t best_len = 0;
	char norm[RT_PATH_MAX];
	bool dir;

	if (host[0] != '/' || vfs_normalize("/", host, norm, &dir) || strcmp(norm, host))
		return -ENOENT; /* "..", "." or "//" could lead anywhere */
	for (int i = 0; i < nmounts; i++) {
		const struct vfs_mount *m = mounts[i];
		if (!m->ops->sock_path || !m->host_root)
			continue;
		size_t hl = strlen(m->host_root);
		if (hl == 1 || (strncmp(host, m->host_root, hl) == 0 && (host[hl] == 0 || host[hl] == '/'))) {
			if (!best || hl > best_len) {
				best = m;
				best_len = hl;
			}
		}
	}
	if (!best)
		return -ENOENT;
	const char *rest = host + best_len;
	if (*rest == '/')
		rest++;
	size_t w;
	if (!*rest)
		w = (size_t)rt_snprintf(out, n, "%s", best->path);
	else
		w = (size_t)rt_snprintf(out, n, "%s/%s", best->path_len == 1 ? "" : best->path, rest);
	return w >= n ? -ENAMETOOLONG : 0;
}

int vfs_mount_children(const char *abs, void (*fn)(void *arg, const char *name, size_t len), void *arg)
{
	size_t n = strlen(abs), skip = n == 1 ? 1 : n + 1;
	int count = 0;

	for (int i = 0; i < nmounts; i++) {
		if (!above(abs, mounts[i]))
			continue;
		const char *name = mounts[i]->path + skip;
		size_t len = 0;
		while (name[len] && name[len] != '/')
			len++;
		bool seen = false;
		for (int j = 0; j < i && !seen; j++)
			seen = above(abs, mounts[j]) && strncmp(mounts[j]->path + skip, name, len) == 0 &&
			       (mounts[j]->path[skip + len] == 0 || mounts[j]->path[skip + len] == '/');
		if (!seen) {
			fn(arg, name, len);
			count++;
		}
	}
	return count;
}

const struct vfs_mount *vfs_mount_nth(int i)
{
	return i >= 0 && i < nmounts ? mounts[nmounts - 1 - i] : NULL;
}
