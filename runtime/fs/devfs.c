/*
 * devfs.c - /dev in a bundle: a directory the runtime writes itself.
 *
 * The host's /dev holds its disks, consoles, every terminal of every user
 * and /dev/fd, a link into the host's /proc through which a path reaches
 * whatever an fd number names on the host, the runtime's own mount handles
 * included. None of that may show. So a bundle's /dev has a fixed set of
 * names, listed by the runtime:
 *
 *   null zero full random urandom tty ptmx   the host's devices, opened by
 *                                             their fixed host path
 *   fd stdin stdout stderr                    links the runtime follows into
 *                                             its own /proc (/proc/self/fd,
 *                                             /proc/self/fd/0, ...), whose fd
 *                                             links reopen the open file
 *   pts/                                      the pseudo-terminals this
 *                                             process holds: a slave it has
 *                                             open (its terminal), or the
 *                                             slave of a master it has open
 *                                             (openpty, script, expect), and
 *                                             pts/ptmx
 *
 *   the manifest's mounts below /dev          listed after the devices (a
 *                                             shm mount at /dev/shm, shm.c);
 *                                             the mount table serves them
 *
 * A new pseudo-terminal is a host object that host processes can watch and
 * write to, so ptmx (and pts/ptmx) open only if the manifest says
 * `terminal: true` (MAN_F_TERMINAL); otherwise they are listed but refused
 * (EACCES) with a warning naming the key, once per process. The terminal the
 * program was started on (its stdin, /dev/tty) needs no permission.
 *
 * A terminal of another session (an administrator's shell) does not exist:
 * the process holds neither side of it. Holding the master keeps the pty's
 * number from being reused, so the check cannot be raced into naming
 * another terminal. Nothing can be made, removed or renamed here; O_CREAT of
 * a device that exists opens it, as on Linux (a shell's "> /dev/null").
 * A development run sees the host's /dev through its "/" mount instead.
 */
#include <asm/ioctls.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "../../common/manifest.h"
#include "../boot/boot.h"
#include "../proc/proc.h"
#include "vfs.h"
#include "../lib/host.h"

enum dev_kind { DK_ROOT, DK_DEV, DK_LINK, DK_PTS, DK_PTY };

static const struct dev_entry {
	const char *name;
	enum dev_kind kind;
	const char *target; /* DK_LINK */
} dev_entries[] = {
	{ "null", DK_DEV, NULL },     { "zero", DK_DEV, NULL },
	{ "full", DK_DEV, NULL },     { "random", DK_DEV, NULL },
	{ "urandom", DK_DEV, NULL },  { "tty", DK_DEV, NULL },
	{ "ptmx", DK_DEV, NULL },     { "pts", DK_PTS, NULL },
	{ "fd", DK_LINK, "/proc/self/fd" },
	{ "stdin", DK_LINK, "/proc/self/fd/0" },
	{ "stdout", DK_LINK, "/proc/self/fd/1" },
	{ "stderr", DK_LINK, "/proc/self/fd/2" },
};

#define PTS_MAJOR_FIRST 136 /* Unix98 pty slaves: majors 136 to 143 */
#define PTS_MAJOR_LAST 143
#define PTMX_MAJOR 5
#define PTMX_MINOR 2

struct dev_node {
	enum dev_kind kind;
	const struct dev_entry *ent; /* DK_DEV, DK_LINK, DK_PTS */
	long pty;                    /* DK_PTY: the number, -1 for pts/ptmx */
};

/* What rel (below /dev) names: 0, -ENOENT, or -ENOTDIR (a name below a
 * device or link). */
static long dev_parse(const char *rel, struct dev_node *n)
{
	*n = (struct dev_node){ .kind = DK_ROOT };
	if (!*rel)
		return 0;
	const char *slash = strchr(rel, '/');
	size_t len = slash ? (size_t)(slash - rel) : strlen(rel);
	for (size_t i = 0; i < RT_ARRAY_LEN(dev_entries); i++) {
		const struct dev_entry *e = &dev_entries[i];
		if (strlen(e->name) != len || strncmp(rel, e->name, len))
			continue;
		n->kind = e->kind;
		n->ent = e;
		if (!slash)
			return 0;
		if (e->kind != DK_PTS)
			return -ENOTDIR;
		const char *name = slash + 1;
		n->kind = DK_PTY;
		if (!strncmp(name, "ptmx", 4) && (!name[4] || name[4] == '/')) {
			n->pty = -1;
			return name[4] ? -ENOTDIR : 0;
		}
		/* a number as the kernel writes it, or a name below one */
		const char *end = name;
		long v = 0;
		while (*end >= '0' && *end <= '9' && v <= 0xfffff)
			v = v * 10 + (*end++ - '0');
		if (end == name || (name[0] == '0' && end - name > 1) || v > 0xfffff || (*end && *end != '/'))
			return -ENOENT;
		n->pty = v;
		return *end ? -ENOTDIR : 0;
	}
	return -ENOENT;
}

/* ---- the pseudo-terminals this process holds ------------------------------------ */

/* Visit each pty number the process holds a side of; stops when fn returns
 * true, and returns whether it did. */
static bool held_ptys(bool (*fn)(void *arg, long pty), void *arg)
{
	struct fd_table *t = fdt_current();
	for (unsigned fd = 0;; fd++) {
		rt_lock(&t->lock);
		unsigned cap = t->cap;
		bool host = fd < cap && t->files[fd] && t->files[fd]->ops->host;
		rt_unlock(&t->lock);
		if (fd >= cap)
			return false;
		if (!host)
			continue;
		struct kstat_buf st;
		if (host_stat("fstat", plat_host_fstat((int)fd, &st.k), &st.k) || !S_ISCHR(st.st.st_mode))
			continue;
		unsigned long rdev = st.st.st_rdev;
		unsigned major = (unsigned)((rdev >> 8) & 0xfff), minor = (unsigned)((rdev & 0xff) | ((rdev >> 12) & 0xfff00));
		long pty = -1;
		if (major >= PTS_MAJOR_FIRST && major <= PTS_MAJOR_LAST) {
			pty = (long)(major - PTS_MAJOR_FIRST) * 256 + minor;
		} else if (major == PTMX_MAJOR && minor == PTMX_MINOR) {
			unsigned n;
			if (host_zero("ioctl TIOCGPTN", plat_host_pty_number((int)fd, &n)) == 0 && n < (1U << 20))
				pty = n;
		}
		if (pty >= 0 && fn(arg, pty))
			return true;
	}
}

static bool is_pty(void *arg, long pty)
{
	return *(long *)arg == pty;
}

static bool pty_held(long pty)
{
	return pty < 0 /* pts/ptmx */ || held_ptys(is_pty, &pty);
}

/* Is n a way to make a new pseudo-terminal the manifest does not allow? Says
 * so once per process (a flag, not a lock: a fork may copy it either way). */
static bool pty_refused(const struct dev_node *n)
{
	static bool warned; /* atomic */
	bool ptmx = (n->kind == DK_DEV && !strcmp(n->ent->name, "ptmx")) || (n->kind == DK_PTY && n->pty < 0);
	if (!ptmx || (rt_manifest.config.flags & MAN_F_TERMINAL))
		return false;
	if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
		log_warn("/dev/ptmx: a new pseudo-terminal is refused (EACCES): the manifest does not say "
			 "`terminal: true`");
	return true;
}

/* ---- directories ------------------------------------------------------------------ */

#define DIR_MODE (S_IFDIR | 0755)

static uint64_t dev_ino(const char *rel)
{
	uint64_t h = 0x6465762f; /* FNV-1a over the name: stable inode numbers */
	for (; *rel; rel++)
		h = (h ^ (unsigned char)*rel) * 1099511628211ULL;
	return h | 1;
}

static void emit(struct vfs_listing *l, long key, const char *name, unsigned type)
{
	vfs_list(l, key, dev_ino(name), type, name);
}

/* The ptys of pts/, ascending; a pty's key is 3 + its number, so keys stay
 * put as ptys come and go. */
struct ptys {
	long v[64];
	unsigned n;
};

static bool collect_pty(void *arg, long pty)
{
	struct ptys *s = arg;
	unsigned i = s->n;
	for (unsigned j = 0; j < s->n; j++)
		if (s->v[j] == pty)
			return false; /* both sides held */
	if (i == RT_ARRAY_LEN(s->v))
		return true;
	for (; i > 0 && s->v[i - 1] > pty; i--)
		s->v[i] = s->v[i - 1];
	s->v[i] = pty;
	s->n++;
	return false;
}

/* The manifest's mounts below /dev (shm), after the devices: the mount
 * table is fixed, so each keeps its key. */
struct mounted {
	struct vfs_listing *l;
	long key;
};

static void emit_mounted(void *arg, const char *name, size_t len)
{
	struct mounted *mt = arg;
	char buf[256];
	struct dev_node node;
	if (len < sizeof buf) {
		memcpy(buf, name, len);
		buf[len] = 0;
		if (dev_parse(buf, &node)) /* not one of the devices it hides */
			emit(mt->l, mt->key, buf, 4 /* DT_DIR */);
	}
	mt->key++;
}

static long dir_getdents(struct file *f, uintptr_t ubuf, size_t n)
{
	struct vfs_listing l = { .ubuf = ubuf, .room = n };
	bool pts = f->priv != NULL;

	rt_lock(&f->lock);
	l.pos = f->pos;
	rt_unlock(&f->lock);
	emit(&l, 0, ".", 4 /* DT_DIR */);
	emit(&l, 1, "..", 4);
	if (pts) {
		struct ptys s = { .n = 0 };
		char name[16];
		emit(&l, 2, "ptmx", 2);
		held_ptys(collect_pty, &s);
		for (unsigned i = 0; i < s.n; i++) {
			rt_snprintf(name, sizeof name, "%ld", s.v[i]);
			emit(&l, 3 + s.v[i], name, 2 /* DT_CHR */);
		}
	} else {
		for (size_t i = 0; i < RT_ARRAY_LEN(dev_entries); i++) {
			enum dev_kind k = dev_entries[i].kind;
			emit(&l, 2 + (long)i, dev_entries[i].name, k == DK_LINK ? 10 /* DT_LNK */ : k == DK_PTS ? 4 : 2);
		}
		struct mounted mt = { &l, 2 + (long)RT_ARRAY_LEN(dev_entries) };
		vfs_mount_children("/dev", emit_mounted, &mt);
	}
	rt_lock(&f->lock);
	f->pos = l.pos;
	rt_unlock(&f->lock);
	return vfs_list_result(&l);
}

static long dir_stat(struct file *f, struct kstat_buf *st)
{
	vfs_fill_stat(st, DIR_MODE, 0, dev_ino(f->priv ? "pts" : ""), 0);
	return 0;
}

static const struct file_ops dev_dir_ops = {
	.name = "/dev directory",
	.getdents = dir_getdents,
	.stat = dir_stat,
	.deny = EISDIR,
};

/* ---- the mount's operations -------------------------------------------------------- */

static bool dev_visible(const struct vfs_path *p)
{
	struct dev_node n;
	long r = dev_parse(p->rel, &n);
	if (r == -ENOTDIR)
		return true; /* the call fails with ENOTDIR itself */
	return r == 0 && (n.kind != DK_PTY || pty_held(n.pty));
}

/* Parse and check what the resolver let through (visible already ran). */
static long node_of(const struct vfs_path *p, struct dev_node *n)
{
	long r = dev_parse(p->rel, n);
	if (!r && n->kind == DK_PTY && !pty_held(n->pty))
		return -ENOENT;
	return r;
}

static long dev_link_target(const struct vfs_mount *m, const char *rel, char *buf, size_t size)
{
	struct dev_node n;
	(void)m;
	long r = dev_parse(rel, &n);
	if (r)
		return r;
	if (n.kind != DK_LINK)
		return -EINVAL;
	return (long)str_copy(buf, n.ent->target, size);
}

static long dev_open(const struct vfs_path *p, int flags, unsigned mode, struct file **out)
{
	struct dev_node n;
	long r = node_of(p, &n);
	if (r)
		return r;
	if (n.kind == DK_LINK)
		return (flags & O_PATH) ? -EOPNOTSUPP : -ELOOP; /* reached only with O_NOFOLLOW */
	if (!(flags & O_PATH) && pty_refused(&n))
		return -EACCES;
	if (n.kind == DK_ROOT || n.kind == DK_PTS) {
		r = vfs_dir_open_check(flags);
		return r ? r : file_open_runtime(&dev_dir_ops, p, flags, n.kind == DK_PTS ? (void *)1 : NULL, out);
	}
	if (flags & O_CREAT) { /* the device exists: O_EXCL fails, else open it */
		if (flags & O_EXCL)
			return -EEXIST;
		flags &= ~O_CREAT;
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	return passthrough_ops.open(p, flags, mode, out);
}

static long dev_stat(const struct vfs_path *p, int at_flags, struct kstat_buf *st)
{
	struct dev_node n;
	long r = node_of(p, &n);
	if (r)
		return r;
	switch (n.kind) {
	case DK_ROOT:
	case DK_PTS:
		vfs_fill_stat(st, DIR_MODE, 0, dev_ino(p->rel), 0);
		return 0;
	case DK_LINK:
		vfs_fill_stat(st, S_IFLNK | 0777, strlen(n.ent->target), dev_ino(p->rel), 0);
		return 0;
	default:
		return passthrough_ops.stat(p, at_flags, st);
	}
}

static long dev_statx(const struct vfs_path *p, int at_flags, unsigned mask, void *buf)
{
	struct kstat_buf st;
	long r = dev_stat(p, at_flags, &st);
	if (!r)
		vfs_stat_to_statx(&st, buf);
	(void)mask;
	return r;
}

static long dev_access(const struct vfs_path *p, int mode, int at_flags)
{
	struct dev_node n;
	long r = node_of(p, &n);
	if (r)
		return r;
	if ((mode & 6) && pty_refused(&n))
		return -EACCES;
	if (n.kind == DK_DEV || n.kind == DK_PTY)
		return passthrough_ops.access(p, mode, at_flags);
	return (mode & 2) && n.kind != DK_LINK ? -EACCES : 0;
}

static long dev_readlink(const struct vfs_path *p, char *buf, size_t size)
{
	struct dev_node n;
	long r = node_of(p, &n);
	if (r)
		return r;
	if (n.kind != DK_LINK)
		return -EINVAL;
	size_t len = strlen(n.ent->target);
	memcpy(buf, n.ent->target, RT_MIN(len, size));
	return (long)RT_MIN(len, size);
}

static long dev_denied(const struct vfs_path *p)
{
	struct dev_node n;
	long r = node_of(p, &n);
	return r ? r : -EACCES;
}

static long dev_mkdir(const struct vfs_path *p, unsigned mode)
{
	(void)mode;
	struct dev_node n;
	return dev_parse(p->rel, &n) == 0 ? -EEXIST : -EACCES;
}

static long dev_unlink(const struct vfs_path *p, int at_flags)
{
	(void)at_flags;
	return dev_denied(p);
}

const struct mount_ops dev_ops = {
	.name = "dev",
	.visible = dev_visible,
	.open = dev_open,
	.stat = dev_stat,
	.statx = dev_statx,
	.access = dev_access,
	.readlink = dev_readlink,
	.mkdir = dev_mkdir,
	.unlink = dev_unlink,
	.link_target = dev_link_target,
};
