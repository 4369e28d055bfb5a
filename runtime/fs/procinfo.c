/*
 * procinfo.c - what the files of a bundle's /proc contain (procfs.h).
 *
 * Three sources, and for each file the text is written here, never copied
 * from the host:
 *  - the runtime's own state: pids and tids, the fd table, cwd, exe, umask,
 *    signal mask and dispositions, the mount table (mounts, mountinfo), the
 *    system's name (uts.c);
 *  - numbers the host's kernel keeps about this process or the machine
 *    (fault counts, CPU times, start time, resident pages, memory, load,
 *    uptime, limits): read from the host's /proc, parsed, checked, and
 *    printed again in Linux's format, so no host text reaches the
 *    application and the host cannot inject any;
 *  - the CPU itself (cpuinfo, from CPUID).
 * What is left out: the runtime's memory (maps, and sizes computed from it,
 * omit the enclave image, the runtime arena and the call-site trampolines),
 * host paths (a mapping of a host file outside every passthrough mount
 * shows no name), host processes (a tracer or parent outside the
 * application reads as 0 where it would be a pid), the host's name and
 * mounts. The addresses of code, stack and arguments in stat read 0, as
 * Linux shows them to a process without ptrace access.
 */
#include <asm/stat.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/utsname.h>

#include "../mm/mm.h"
#include "../mm/vma.h"
#include "../proc/pidtab.h"
#include "../proc/proc.h"
#include "../syscall/sys.h"
#include "procfs.h"
#include "../lib/host.h"

/* ---- text buffers ------------------------------------------------------------ */

void pb_putn(struct pbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = rt_alloc(cap);
		if (!p) {
			b->oom = true;
			return;
		}
		if (b->len)
			memcpy(p, b->p, b->len);
		rt_free(b->p);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void pb_puts(struct pbuf *b, const char *s)
{
	pb_putn(b, s, strlen(s));
}

void pb_printf(struct pbuf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = rt_vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	pb_putn(b, line, RT_MIN((size_t)n, sizeof line - 1));
}

void pb_free(struct pbuf *b)
{
	rt_free(b->p);
	*b = (struct pbuf){ 0 };
}

/* ---- reading the host's /proc ------------------------------------------------- */

static long host_open(const char *path)
{
	return host_fd("openat", plat_host_openat(VFS_AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0));
}

/* A whole (small) host file, at most max bytes. */
static long host_read(const char *path, struct pbuf *b, size_t max)
{
	char chunk[4096];
	long fd = host_open(path), r;
	if (fd < 0)
		return fd;
	while (b->len < max && (r = host_len("read", plat_host_read((int)fd, chunk, sizeof chunk), sizeof chunk)) != 0) {
		if (r == -EINTR)
			continue;
		if (r < 0) /* host_len refused more than asked */
			break;
		pb_putn(b, chunk, RT_MIN((size_t)r, max - b->len));
	}
	plat_host_close((int)fd);
	return b->oom ? -ENOMEM : 0;
}

/* Call fn for each line of a host file (without its newline; a line longer
 * than the buffer is cut), however long the file. */
static long host_lines(const char *path, void (*fn)(void *arg, char *line), void *arg)
{
	enum { SIZE = 64 << 10 };
	char *buf = rt_alloc(SIZE + 1);
	long fd = buf ? host_open(path) : -ENOMEM;
	size_t have = 0;
	bool skip = false; /* inside the rest of a cut line */

	if (fd < 0) {
		rt_free(buf);
		return fd;
	}
	for (;;) {
		long r = host_len("read", plat_host_read((int)fd, buf + have, SIZE - have), SIZE - have);
		if (r == -EINTR)
			continue;
		if (r < 0)
			break;
		have += (size_t)r;
		size_t start = 0;
		for (size_t i = 0; i < have; i++) {
			if (buf[i] != '\n')
				continue;
			buf[i] = 0;
			if (!skip)
				fn(arg, buf + start);
			skip = false;
			start = i + 1;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (r == 0)
			break;
		if (have == SIZE) { /* a line longer than the buffer */
			buf[have] = 0;
			if (!skip)
				fn(arg, buf);
			skip = true;
			have = 0;
		}
	}
	if (have && !skip) {
		buf[have] = 0;
		fn(arg, buf);
	}
	plat_host_close((int)fd);
	rt_free(buf);
	return 0;
}

static bool parse_ulong(const char **s, unsigned long *out, int base)
{
	const char *p = *s;
	unsigned long v = 0;
	bool any = false;
	for (;; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0'
			: base == 16 && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: base == 16 && *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
								: -1;
		if (d < 0)
			break;
		if (v > (~0UL - (unsigned long)d) / (unsigned long)base)
			return false;
		v = v * (unsigned long)base + (unsigned long)d;
		any = true;
	}
	*s = p;
	*out = v;
	return any;
}

static void skip_spaces(const char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
}

/* A single number from a host file (/proc/sys/...). */
static long host_number(const char *path, unsigned long *out)
{
	struct pbuf b = { 0 };
	long r = host_read(path, &b, 64);
	const char *s = b.p;
	if (!r && (!s || !parse_ulong(&s, out, 10) || (*s && *s != '\n')))
		r = -EIO;
	pb_free(&b);
	return r;
}

/* Copy printable ASCII only (the host's text about our own process). */
static void put_clean(struct pbuf *b, const char *s, size_t max)
{
	for (size_t i = 0; s[i] && i < max; i++) {
		char c = s[i];
		pb_putn(b, (c >= 0x20 && c < 0x7f) || c == '\t' ? &c : "?", 1);
	}
}

static void node_dir(const struct proc_node *n, char *buf, size_t size)
{
	if (n->tid)
		rt_snprintf(buf, size, "/proc/%d/task/%d", n->pid, n->tid);
	else
		rt_snprintf(buf, size, "/proc/%d", n->pid);
}

static void node_file(const struct proc_node *n, const char *name, char *buf, size_t size)
{
	char dir[64];
	node_dir(n, dir, sizeof dir);
	rt_snprintf(buf, size, "%s/%s", dir, name);
}

long proc_sys0(long nr)
{
	struct sys_call c = { .nr = nr, .e = &sys_table[nr] };
	return sys_table[nr].handler(&c);
}

static long proc_sys1(long nr, long a0)
{
	struct sys_call c = { .nr = nr, .e = &sys_table[nr], .a = { a0 } };
	return sys_table[nr].handler(&c);
}

/* ---- links ---------------------------------------------------------------------- */

static long gen_self(struct pbuf *b, const struct proc_node *n)
{
	(void)n;
	pb_printf(b, "%d", current()->proc->pid);
	return 0;
}

static long gen_thread_self(struct pbuf *b, const struct proc_node *n)
{
	(void)n;
	pb_printf(b, "%d/task/%d", current()->proc->pid, current()->tid);
	return 0;
}

static long gen_mounts_link(struct pbuf *b, const struct proc_node *n)
{
	(void)n;
	pb_puts(b, "self/mounts");
	return 0;
}

static long proc_string(struct pbuf *b, char *const *field)
{
	struct rt_proc *p = current()->proc;
	rt_lock(&p->lock);
	bool set = *field != NULL;
	if (set)
		pb_puts(b, *field);
	rt_unlock(&p->lock);
	return set ? 0 : -ENOENT;
}

static long gen_exe(struct pbuf *b, const struct proc_node *n)
{
	(void)n;
	return proc_string(b, &current()->proc->exe);
}

static long gen_cwd(struct pbuf *b, const struct proc_node *n)
{
	char cwd[RT_PATH_MAX];
	(void)n;
	vfs_cwd(cwd);
	pb_puts(b, cwd);
	return 0;
}

static long gen_root(struct pbuf *b, const struct proc_node *n)
{
	(void)n;
	pb_puts(b, "/");
	return 0;
}

/* ---- fds ------------------------------------------------------------------------------ */

long proc_fd_target(struct file *f, int fd, char *buf, size_t size)
{
	if (f->mnt && f->path) {
		size_t k = RT_MIN(strlen(f->path), size);
		memcpy(buf, f->path, k);
		return (long)k;
	}
	/* no path in the enclave: the host's name of the object, which for
	 * pipes, sockets, anonymous inodes and memfds is "type:[ino]" or
	 * "/memfd:name (deleted)" */
	char path[32];
	rt_snprintf(path, sizeof path, "%s/fd/%d", fd_host_proc(), fd);
	return host_len("readlinkat", plat_host_readlinkat(VFS_AT_FDCWD, path, buf, size), size);
}

/* The id of a mount in mountinfo (the synthetic root is 1). */
static int mount_id(const struct vfs_mount *m)
{
	const struct vfs_mount *x;
	for (int i = 0; (x = vfs_mount_nth(i)); i++)
		if (x == m)
			return i + 2;
	return 1;
}

struct fdinfo_filter {
	struct pbuf *b;
	int mnt_id;
};

static void fdinfo_line(void *arg, char *line)
{
	struct fdinfo_filter *ff = arg;
	if (ff->mnt_id && str_starts(line, "mnt_id:")) {
		pb_printf(ff->b, "mnt_id:\t%d\n", ff->mnt_id);
		return;
	}
	put_clean(ff->b, line, 4096);
	pb_puts(ff->b, "\n");
}

long proc_gen_fdinfo(struct pbuf *b, const struct proc_node *n)
{
	struct file *f = fd_get(n->fd);
	if (!f)
		return -ENOENT;
	long r = 0;
	if (f->ops->host) {
		/* the host's counters for its own object (position, flags,
		 * eventfd count, epoll and inotify entries) */
		char path[40];
		struct fdinfo_filter ff = { b, f->mnt ? mount_id(f->mnt) : 0 };
		rt_snprintf(path, sizeof path, "%s/fdinfo/%d", fd_host_proc(), n->fd);
		r = host_lines(path, fdinfo_line, &ff);
	} else {
		struct kstat_buf st;
		long cloexec = host_ret("fcntl", plat_host_fcntl(n->fd, F_GETFD, 0));
		f->ops->stat ? f->ops->stat(f, &st) : vfs_fill_stat(&st, 0, 0, 0, 0);
		rt_lock(&f->lock);
		long pos = f->pos;
		rt_unlock(&f->lock);
		unsigned flags = (unsigned)(f->flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | 0100000;
		if (cloexec > 0 && (cloexec & FD_CLOEXEC))
			flags |= O_CLOEXEC;
		pb_printf(b, "pos:\t%ld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%lu\n", pos, flags, mount_id(f->mnt),
			  (unsigned long)((struct stat *)st.raw)->st_ino);
	}
	file_put(f);
	return r;
}

/* ---- memory: the host's mappings without the runtime's ---------------------------------- */

/* Is [lo, hi) runtime memory (the enclave image, the arena, trampolines)? */
static bool runtime_range(unsigned long lo, unsigned long hi)
{
	return hi > lo && !mm_user_ok(lo, hi - lo);
}

/* The enclave's name for a host path, or NULL: below a passthrough mount
 * (or /dev), the mount's path. */
static bool enclave_name(const char *host, char *out, size_t size)
{
	const struct vfs_mount *m;
	for (int i = 0; (m = vfs_mount_nth(i)); i++) {
		if (!m->host_root || (m->ops != &passthrough_ops && m->ops != &dev_ops))
			continue;
		size_t n = strlen(m->host_root);
		if (n == 1)
			n = 0; /* "/" */
		if (strncmp(host, m->host_root, n) || (host[n] && host[n] != '/'))
			continue;
		const char *rest = host + n;
		int w = m->path_len == 1 ? rt_snprintf(out, size, "%s", *rest ? rest : "/")
					 : rt_snprintf(out, size, "%s%s", m->path, rest);
		return (size_t)w < size;
	}
	return false;
}

struct mapping {
	unsigned long lo, hi, off, inode;
	unsigned major, minor;
	char perms[5];
	const char *name;
};

/* "lo-hi perms off maj:min inode   name" */
static bool parse_mapping(const char *s, struct mapping *m)
{
	if (!parse_ulong(&s, &m->lo, 16) || *s++ != '-' || !parse_ulong(&s, &m->hi, 16) || *s++ != ' ')
		return false;
	for (int i = 0; i < 4; i++) {
		if (!*s || *s == ' ')
			return false;
		m->perms[i] = *s++;
	}
	m->perms[4] = 0;
	unsigned long maj, min;
	skip_spaces(&s);
	if (!parse_ulong(&s, &m->off, 16) || *s++ != ' ' || !parse_ulong(&s, &maj, 16) || *s++ != ':' ||
	    !parse_ulong(&s, &min, 16) || *s++ != ' ' || !parse_ulong(&s, &m->inode, 10))
		return false;
	m->major = (unsigned)maj;
	m->minor = (unsigned)min;
	skip_spaces(&s);
	m->name = s;
	return true;
}

/* One line of /proc/PID/maps, columns as Linux aligns them; the name
 * printable only, whoever gave it. */
static void put_map_line(struct pbuf *b, unsigned long lo, unsigned long hi, const char *perms, unsigned long off,
			 unsigned maj, unsigned min, unsigned long ino, const char *name)
{
	char line[128];
	int w = rt_snprintf(line, sizeof line, "%08lx-%08lx %s %08lx %02x:%02x %lu", lo, hi, perms, off, maj, min, ino);
	pb_putn(b, line, (size_t)w);
	if (*name) {
		for (; w < 72; w++)
			pb_putn(b, " ", 1);
		pb_putn(b, " ", 1);
		put_clean(b, name, RT_PATH_MAX);
	}
	pb_putn(b, "\n", 1);
}

static void put_mapping(struct pbuf *b, struct mapping *m)
{
	char name[RT_PATH_MAX], host[RT_PATH_MAX];
	const char *shown = "";
	if (m->name[0] == '[' || str_starts(m->name, "/memfd:") || str_starts(m->name, "/SYSV")) {
		shown = m->name; /* the kernel's names, not paths */
	} else if (m->name[0] == '/') {
		size_t n = str_copy(host, m->name, sizeof host);
		static const char deleted[] = " (deleted)";
		bool del = n >= sizeof deleted && !strcmp(host + n - (sizeof deleted - 1), deleted);
		if (del)
			host[n - (sizeof deleted - 1)] = 0;
		if (enclave_name(host, name, sizeof name - sizeof deleted)) {
			if (del)
				memcpy(name + strlen(name), deleted, sizeof deleted);
			shown = name;
		}
	}
	if (!*shown && m->name[0] == '/') {
		/* a host file the enclave has no name for */
		m->major = m->minor = 0;
		m->inode = 0;
	}
	put_map_line(b, m->lo, m->hi, m->perms, m->off, m->major, m->minor, m->inode, shown);
}

static void maps_line(void *arg, char *line)
{
	struct mapping m;
	if (parse_mapping(line, &m) && !runtime_range(m.lo, m.hi))
		put_mapping(arg, &m);
}

/* Enclave memory (mm/vma.h): the runtime's list of mappings is the truth
 * for the range; the host's lines count only outside it (shared file
 * mappings, SysV shared memory), without the host's stack, heap and vDSO,
 * which are not the program's. */
struct encl_maps {
	struct pbuf *b;
	bool shown; /* the range's lines are out */
};

static void vma_line(void *arg, const struct vma *x)
{
	struct pbuf *b = arg;
	if (x->flags & VMA_RUNTIME)
		return;
	char perms[5] = { x->prot & PROT_READ ? 'r' : '-', x->prot & PROT_WRITE ? 'w' : '-',
			  x->prot & PROT_EXEC ? 'x' : '-', x->flags & VMA_SHARED ? 's' : 'p', 0 };
	const char *name = (x->flags & VMA_STACK) ? "[stack]"
			   : (x->flags & VMA_HEAP) ? "[heap]"
			   : x->name ? x->name->s : "";
	/* Linux's encoding of dev_t (new_encode_dev) */
	unsigned maj = (unsigned)(((x->dev >> 8) & 0xfff) | ((x->dev >> 32) & ~0xfffULL));
	unsigned min = (unsigned)((x->dev & 0xff) | ((x->dev >> 12) & ~0xffULL));
	put_map_line(b, (unsigned long)x->lo, (unsigned long)x->hi, perms, (unsigned long)x->off, maj, min,
		     (unsigned long)x->ino, name);
}

static void encl_maps_line(void *arg, char *line)
{
	struct encl_maps *e = arg;
	struct mapping m;
	if (!parse_mapping(line, &m) || runtime_range(m.lo, m.hi) || vma_overlaps(m.lo, m.hi - m.lo))
		return;
	if (!strcmp(m.name, "[stack]") || !strcmp(m.name, "[heap]") || !strcmp(m.name, "[vdso]") ||
	    str_starts(m.name, "[vvar"))
		return;
	if (!e->shown && m.lo >= vma_lo) {
		vma_each(vma_line, e->b);
		e->shown = true;
	}
	put_mapping(e->b, &m);
}

static long gen_maps(struct pbuf *b, const struct proc_node *n)
{
	char path[64];
	node_file(n, "maps", path, sizeof path);
	if (vma_on() && n->own) {
		struct encl_maps e = { b, false };
		long r = host_lines(path, encl_maps_line, &e);
		if (!r && !e.shown)
			vma_each(vma_line, b);
		return r;
	}
	return host_lines(path, maps_line, b);
}

/* Sizes in bytes of the application's memory, from the host's smaps. */
struct mem_use {
	unsigned long size, rss, anon, data, stack, locked, swap;
	bool in_runtime; /* the current smaps entry is runtime memory */
};

static void smaps_line(void *arg, char *line)
{
	struct mem_use *u = arg;
	struct mapping m;
	const char *s;
	unsigned long kb;

	if (parse_mapping(line, &m)) {
		u->in_runtime = runtime_range(m.lo, m.hi);
		if (u->in_runtime)
			return;
		u->size += m.hi - m.lo;
		if (!strcmp(m.name, "[stack]"))
			u->stack += m.hi - m.lo;
		else if (m.perms[1] == 'w' && m.perms[3] == 'p')
			u->data += m.hi - m.lo;
		return;
	}
	if (u->in_runtime)
		return;
	static const struct {
		const char *key;
		size_t at;
	} keys[] = {
		{ "Rss:", offsetof(struct mem_use, rss) },
		{ "Anonymous:", offsetof(struct mem_use, anon) },
		{ "Locked:", offsetof(struct mem_use, locked) },
		{ "Swap:", offsetof(struct mem_use, swap) },
	};
	for (unsigned i = 0; i < RT_ARRAY_LEN(keys); i++) {
		if (!str_starts(line, keys[i].key))
			continue;
		s = line + strlen(keys[i].key);
		skip_spaces(&s);
		if (parse_ulong(&s, &kb, 10) && kb < (1UL << 50))
			*(unsigned long *)((char *)u + keys[i].at) += kb << 10;
	}
}

static long mem_use(const struct proc_node *n, struct mem_use *u)
{
	char path[64];
	*u = (struct mem_use){ 0 };
	rt_snprintf(path, sizeof path, "/proc/%d/smaps", n->pid);
	return host_lines(path, smaps_line, u);
}

static long gen_statm(struct pbuf *b, const struct proc_node *n)
{
	struct mem_use u;
	long r = mem_use(n, &u);
	if (r)
		return r;
	/* size resident shared text lib data dt, in pages; the program's
	 * text is not told apart from other private memory */
	pb_printf(b, "%lu %lu %lu 0 0 %lu 0\n", u.size >> 12, u.rss >> 12, (u.rss - RT_MIN(u.anon, u.rss)) >> 12,
		  (u.data + u.stack) >> 12);
	return 0;
}

/* ---- stat and status ------------------------------------------------------------------- */

enum { STAT_FIELDS = 52 };

/* The host's stat of the node's process or thread: fields[1..52] (decimal
 * text only; field 2, the name, and 3, the state, kept apart). */
struct host_stat {
	char comm[17];
	char state;
	long f[STAT_FIELDS + 1];
};

static long read_host_stat(const struct proc_node *n, struct host_stat *hs)
{
	char path[64];
	struct pbuf b = { 0 };
	node_file(n, "stat", path, sizeof path);
	long r = host_read(path, &b, 4096);
	const char *open = b.p ? strchr(b.p, '(') : NULL, *close = b.p ? strrchr(b.p, ')') : NULL;
	memset(hs, 0, sizeof *hs);
	if (!r && (!open || !close || close < open || close[1] != ' ' || !close[2]))
		r = -EIO;
	if (!r) {
		size_t len = RT_MIN((size_t)(close - open - 1), sizeof hs->comm - 1);
		for (size_t i = 0; i < len; i++) {
			char c = open[1 + i];
			hs->comm[i] = c >= 0x20 && c < 0x7f ? c : '?';
		}
		hs->state = close[2] >= 'A' && close[2] <= 'z' ? close[2] : '?';
		const char *s = close + 3;
		for (int i = 4; i <= STAT_FIELDS && *s; i++) {
			skip_spaces(&s);
			bool neg = *s == '-';
			unsigned long v;
			s += neg;
			if (!parse_ulong(&s, &v, 10))
				break;
			hs->f[i] = neg ? -(long)v : (long)v;
		}
	}
	pb_free(&b);
	return r;
}

/* The application's dispositions as Linux's bitmaps (bit sig - 1). */
static void sig_sets(uint64_t *ign, uint64_t *cgt)
{
	struct rt_proc *p = current()->proc;
	*ign = *cgt = 0;
	rt_lock(&p->lock);
	for (int sig = 1; sig <= K_NSIG; sig++) {
		uint64_t h = p->sigact[sig - 1].handler;
		if (h == K_SIG_IGN)
			*ign |= 1ULL << (sig - 1);
		else if (h != K_SIG_DFL)
			*cgt |= 1ULL << (sig - 1);
	}
	rt_unlock(&p->lock);
}

/* The parent as getppid answers it: for the caller, getppid itself; for
 * another process, its parent if that is one of the application's, else 0
 * (a parent outside the enclave's process view does not exist). */
static int own_ppid(const struct proc_node *n, const struct host_stat *hs)
{
	if (n->own)
		return (int)proc_sys0(__NR_getppid);
	return pidtab_owned((int)hs->f[4]) ? (int)hs->f[4] : 0;
}

/* The node's thread is the calling one (its mask is in reach). */
static bool calling_thread(const struct proc_node *n)
{
	int tid = n->tid ? n->tid : n->pid;
	return n->own && tid == current()->tid;
}

static int thread_count(const struct proc_node *n, const struct host_stat *hs)
{
	int tids[PROC_MAX_TIDS];
	return n->own ? RT_MIN(proc_tids(tids, (int)RT_ARRAY_LEN(tids)), 0x7fffffff) : (int)hs->f[20];
}

static long gen_stat(struct pbuf *b, const struct proc_node *n)
{
	struct host_stat hs;
	struct mem_use u = { 0 };
	long r = read_host_stat(n, &hs);
	if (!r && n->own)
		r = mem_use(n, &u);
	if (r)
		return r;
	long *f = hs.f;
	uint64_t ign = 0, cgt = 0, blk = 0;
	if (n->own) {
		sig_sets(&ign, &cgt);
		f[5] = proc_sys1(__NR_getpgid, 0);
		f[6] = proc_sys1(__NR_getsid, 0);
		blk = calling_thread(n) ? current()->sigmask : 0;
	}
	f[1] = n->tid ? n->tid : n->pid;
	f[4] = own_ppid(n, &hs);
	f[20] = thread_count(n, &hs);
	f[21] = 0;
	f[23] = (long)u.size;  /* the runtime's memory left out; 0 when unknown */
	f[24] = (long)(u.rss >> 12);
	for (int i = 26; i <= 30; i++)
		f[i] = 0; /* code, stack, esp, eip */
	f[31] = 0;    /* pending: the obsolete decimal bitmaps, 31-34 */
	f[32] = (long)(blk & 0x7fffffff);
	f[33] = (long)(ign & 0x7fffffff);
	f[34] = (long)(cgt & 0x7fffffff);
	f[35] = 0;
	for (int i = 45; i <= 51; i++)
		f[i] = 0; /* data, brk, argument and environment addresses */
	pb_printf(b, "%ld (%s) %c", f[1], hs.comm, hs.state);
	for (int i = 4; i <= STAT_FIELDS; i++)
		pb_printf(b, " %ld", f[i]);
	pb_puts(b, "\n");
	return 0;
}

/* Lines of the host's status passed on (after cleaning), in its order. */
static const char *const status_pass[] = {
	"Uid", "Gid", "Groups", "SigQ", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
	"Seccomp", "Seccomp_filters", "Speculation_Store_Bypass", "SpeculationIndirectBranch", "Cpus_allowed",
	"Cpus_allowed_list", "Mems_allowed", "Mems_allowed_list", "voluntary_ctxt_switches",
	"nonvoluntary_ctxt_switches",
};

struct status_gen {
	struct pbuf *b;
	const struct proc_node *n;
	const struct host_stat *hs;
	const struct mem_use *u;
	bool vm_done, sig_done;
};

static void status_vm(struct status_gen *g)
{
	const struct mem_use *u = g->u;
	if (g->vm_done || !g->n->own)
		return;
	g->vm_done = true;
	pb_printf(g->b, "VmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\nRssFile:\t%8lu kB\n"
			"VmData:\t%8lu kB\nVmStk:\t%8lu kB\nVmSwap:\t%8lu kB\n",
		  u->size >> 10, u->locked >> 10, u->rss >> 10, u->anon >> 10, (u->rss - RT_MIN(u->anon, u->rss)) >> 10,
		  u->data >> 10, u->stack >> 10, u->swap >> 10);
}

static void status_line(void *arg, char *line)
{
	struct status_gen *g = arg;
	const char *colon = strchr(line, ':');
	if (!colon)
		return;
	size_t klen = (size_t)(colon - line);
	if (klen == 7 && !memcmp(line, "Threads", 7)) {
		status_vm(g);
		pb_printf(g->b, "Threads:\t%d\n", thread_count(g->n, g->hs));
		return;
	}
	if (klen == 6 && !memcmp(line, "SigPnd", 6)) {
		const char *s = colon + 1;
		skip_spaces(&s);
		pb_puts(g->b, "SigPnd:\t");
		put_clean(g->b, s, 16);
		pb_puts(g->b, "\n");
		return;
	}
	if (klen == 6 && !memcmp(line, "ShdPnd", 6)) {
		const char *s = colon + 1;
		skip_spaces(&s);
		pb_puts(g->b, "ShdPnd:\t");
		put_clean(g->b, s, 16);
		pb_puts(g->b, "\n");
		if (g->n->own) {
			uint64_t ign, cgt;
			sig_sets(&ign, &cgt);
			if (calling_thread(g->n))
				pb_printf(g->b, "SigBlk:\t%016lx\n", (unsigned long)current()->sigmask);
			pb_printf(g->b, "SigIgn:\t%016lx\nSigCgt:\t%016lx\n", (unsigned long)ign, (unsigned long)cgt);
		}
		return;
	}
	if (klen == 6 && !memcmp(line, "SigBlk", 6) && !calling_thread(g->n)) {
		/* the host's mask mirrors the application's for other threads */
		const char *s = colon + 1;
		skip_spaces(&s);
		pb_puts(g->b, "SigBlk:\t");
		put_clean(g->b, s, 16);
		pb_puts(g->b, "\n");
		return;
	}
	for (unsigned i = 0; i < RT_ARRAY_LEN(status_pass); i++) {
		if (strlen(status_pass[i]) != klen || memcmp(line, status_pass[i], klen))
			continue;
		const char *s = colon + 1;
		skip_spaces(&s);
		pb_printf(g->b, "%s:\t", status_pass[i]);
		put_clean(g->b, s, 1024);
		pb_puts(g->b, "\n");
		return;
	}
}

static long gen_status(struct pbuf *b, const struct proc_node *n)
{
	struct host_stat hs;
	struct mem_use u = { 0 };
	char path[64];
	long r = read_host_stat(n, &hs);
	if (!r && n->own)
		r = mem_use(n, &u);
	if (r)
		return r;
	static const char *const states[] = { "R (running)", "S (sleeping)", "D (disk sleep)", "T (stopped)",
					      "t (tracing stop)", "Z (zombie)", "X (dead)", "I (idle)" };
	const char *state = "S (sleeping)";
	for (unsigned i = 0; i < RT_ARRAY_LEN(states); i++)
		if (states[i][0] == hs.state)
			state = states[i];
	int id = n->tid ? n->tid : n->pid;
	pb_printf(b, "Name:\t%s\n", hs.comm);
	if (n->own)
		pb_printf(b, "Umask:\t%04o\n", current()->proc->umask);
	long pgid = n->own ? proc_sys1(__NR_getpgid, 0) : hs.f[5], sid = n->own ? proc_sys1(__NR_getsid, 0) : hs.f[6];
	pb_printf(b, "State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", state, n->pid, id,
		  own_ppid(n, &hs));
	if (n->own) {
		rt_lock(&fdt_current()->lock);
		unsigned cap = fdt_current()->cap;
		rt_unlock(&fdt_current()->lock);
		pb_printf(b, "FDSize:\t%u\n", cap);
	}
	pb_printf(b, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%ld\nNSsid:\t%ld\n", n->pid, id, pgid, sid);
	struct status_gen g = { b, n, &hs, &u, false, false };
	node_file(n, "status", path, sizeof path);
	return host_lines(path, status_line, &g);
}

static long gen_host_copy(struct pbuf *b, const struct proc_node *n, const char *name)
{
	char path[64];
	node_file(n, name, path, sizeof path);
	/* the application's own memory (its arguments or environment) */
	return host_read(path, b, 1 << 20);
}

static long gen_cmdline(struct pbuf *b, const struct proc_node *n)
{
	return gen_host_copy(b, n, "cmdline");
}

static long gen_environ(struct pbuf *b, const struct proc_node *n)
{
	return gen_host_copy(b, n, "environ");
}

static long gen_comm(struct pbuf *b, const struct proc_node *n)
{
	struct host_stat hs;
	long r = read_host_stat(n, &hs);
	if (!r)
		pb_printf(b, "%s\n", hs.comm);
	return r;
}

static long gen_limits(struct pbuf *b, const struct proc_node *n)
{
	static const struct {
		const char *name, *unit;
	} lim[] = {
		{ "Max cpu time", "seconds" }, { "Max file size", "bytes" }, { "Max data size", "bytes" },
		{ "Max stack size", "bytes" }, { "Max core file size", "bytes" }, { "Max resident set", "bytes" },
		{ "Max processes", "processes" }, { "Max open files", "files" }, { "Max locked memory", "bytes" },
		{ "Max address space", "bytes" }, { "Max file locks", "locks" }, { "Max pending signals", "signals" },
		{ "Max msgqueue size", "bytes" }, { "Max nice priority", NULL }, { "Max realtime priority", NULL },
		{ "Max realtime timeout", "us" },
	};
	(void)n;
	pb_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (unsigned i = 0; i < RT_ARRAY_LEN(lim); i++) {
		struct krlimit k;
		long r = host_rlimit("prlimit64", plat_host_getrlimit((int)i, &k), &k);
		if (r)
			return r;
		unsigned long rl[2] = { k.rlim_cur, k.rlim_max };
		pb_printf(b, "%-25s ", lim[i].name);
		for (int k = 0; k < 2; k++) {
			if (rl[k] == ~0UL)
				pb_printf(b, "%-20s ", "unlimited");
			else
				pb_printf(b, "%-20lu ", rl[k]);
		}
		if (lim[i].unit)
			pb_printf(b, "%-10s\n", lim[i].unit);
		else
			pb_puts(b, "\n");
	}
	return 0;
}

/* ---- mounts -------------------------------------------------------------------------------- */

static void mount_dev(const struct vfs_mount *m, unsigned *major, unsigned *minor)
{
	struct kstat_buf st;
	struct vfs_path p = { (struct vfs_mount *)m, m->path, "", false };
	unsigned long dev = 0;
	if (m->ops->stat && !m->ops->stat(&p, 0, &st))
		dev = ((struct stat *)st.raw)->st_dev;
	*major = (unsigned)((dev >> 8) & 0xfff);
	*minor = (unsigned)((dev & 0xff) | ((dev >> 12) & 0xfff00));
}

static const char *mount_type(const struct vfs_mount *m)
{
	return m->ops == &dev_ops ? "devtmpfs" : m->type_name ? m->type_name : m->ops->name;
}

static const char *mount_opts(const struct vfs_mount *m)
{
	return m->read_only ? (m->exec_ok ? "ro" : "ro,noexec") : (m->exec_ok ? "rw" : "rw,noexec");
}

static bool has_root_mount(void)
{
	const struct vfs_mount *m;
	for (int i = 0; (m = vfs_mount_nth(i)); i++)
		if (m->path_len == 1)
			return true;
	return false;
}

/* Mounts are listed from the manifest's table: the type as the source (a
 * host directory is the host's business), never the host's mounts. */
static long gen_mounts(struct pbuf *b, const struct proc_node *n)
{
	const struct vfs_mount *m;
	(void)n;
	if (!has_root_mount())
		pb_puts(b, "synthetic / synthetic ro,noexec 0 0\n");
	for (int i = 0; (m = vfs_mount_nth(i)); i++)
		pb_printf(b, "%s %s %s %s 0 0\n", m->type_name ? m->type_name : m->ops->name, m->path, mount_type(m),
			  mount_opts(m));
	return 0;
}

static long gen_mountinfo(struct pbuf *b, const struct proc_node *n)
{
	const struct vfs_mount *m;
	unsigned major, minor;
	(void)n;
	if (!has_root_mount()) {
		struct kstat_buf st;
		vfs_fill_stat(&st, 0, 0, 0, 0); /* the synthetic directories' device */
		unsigned long dev = ((struct stat *)st.raw)->st_dev;
		pb_printf(b, "1 1 %u:%u / / ro,noexec - synthetic synthetic ro\n", (unsigned)((dev >> 8) & 0xfff),
			  (unsigned)((dev & 0xff) | ((dev >> 12) & 0xfff00)));
	}
	for (int i = 0; (m = vfs_mount_nth(i)); i++) {
		mount_dev(m, &major, &minor);
		pb_printf(b, "%d %d %u:%u / %s %s - %s %s %s\n", i + 2, m->path_len == 1 ? i + 2 : 1, major, minor,
			  m->path, mount_opts(m), mount_type(m), m->ops->name, m->read_only ? "ro" : "rw");
	}
	return 0;
}

/* ---- the system ---------------------------------------------------------------------------- */

static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* Linux's names for CPUID feature bits: leaf, register (0-3: eax..edx),
 * bit. The common ones; /proc/cpuinfo's order. */
static const struct {
	unsigned leaf : 32, reg : 2, bit : 5;
	const char *name;
} cpu_flags[] = {
	{ 1, 3, 0, "fpu" }, { 1, 3, 1, "vme" }, { 1, 3, 2, "de" }, { 1, 3, 3, "pse" }, { 1, 3, 4, "tsc" },
	{ 1, 3, 5, "msr" }, { 1, 3, 6, "pae" }, { 1, 3, 7, "mce" }, { 1, 3, 8, "cx8" }, { 1, 3, 9, "apic" },
	{ 1, 3, 11, "sep" }, { 1, 3, 12, "mtrr" }, { 1, 3, 13, "pge" }, { 1, 3, 14, "mca" }, { 1, 3, 15, "cmov" },
	{ 1, 3, 16, "pat" }, { 1, 3, 17, "pse36" }, { 1, 3, 19, "clflush" }, { 1, 3, 23, "mmx" },
	{ 1, 3, 24, "fxsr" }, { 1, 3, 25, "sse" }, { 1, 3, 26, "sse2" }, { 1, 3, 27, "ss" }, { 1, 3, 28, "ht" },
	{ 0x80000001, 3, 11, "syscall" }, { 0x80000001, 3, 20, "nx" }, { 0x80000001, 3, 26, "pdpe1gb" },
	{ 0x80000001, 3, 27, "rdtscp" }, { 0x80000001, 3, 29, "lm" },
	{ 1, 2, 0, "pni" }, { 1, 2, 1, "pclmulqdq" }, { 1, 2, 3, "monitor" }, { 1, 2, 5, "vmx" },
	{ 1, 2, 9, "ssse3" }, { 1, 2, 12, "fma" }, { 1, 2, 13, "cx16" }, { 1, 2, 17, "pcid" },
	{ 1, 2, 19, "sse4_1" }, { 1, 2, 20, "sse4_2" }, { 1, 2, 21, "x2apic" }, { 1, 2, 22, "movbe" },
	{ 1, 2, 23, "popcnt" }, { 1, 2, 24, "tsc_deadline_timer" }, { 1, 2, 25, "aes" }, { 1, 2, 26, "xsave" },
	{ 1, 2, 28, "avx" }, { 1, 2, 29, "f16c" }, { 1, 2, 30, "rdrand" }, { 1, 2, 31, "hypervisor" },
	{ 0x80000001, 2, 0, "lahf_lm" }, { 0x80000001, 2, 2, "svm" }, { 0x80000001, 2, 5, "abm" },
	{ 0x80000001, 2, 6, "sse4a" }, { 0x80000001, 2, 8, "3dnowprefetch" },
	{ 7, 1, 0, "fsgsbase" }, { 7, 1, 1, "tsc_adjust" }, { 7, 1, 2, "sgx" }, { 7, 1, 3, "bmi1" },
	{ 7, 1, 4, "hle" }, { 7, 1, 5, "avx2" }, { 7, 1, 7, "smep" }, { 7, 1, 8, "bmi2" }, { 7, 1, 9, "erms" },
	{ 7, 1, 10, "invpcid" }, { 7, 1, 11, "rtm" }, { 7, 1, 16, "avx512f" }, { 7, 1, 17, "avx512dq" },
	{ 7, 1, 18, "rdseed" }, { 7, 1, 19, "adx" }, { 7, 1, 20, "smap" }, { 7, 1, 21, "avx512ifma" },
	{ 7, 1, 23, "clflushopt" }, { 7, 1, 24, "clwb" }, { 7, 1, 28, "avx512cd" }, { 7, 1, 29, "sha_ni" },
	{ 7, 1, 30, "avx512bw" }, { 7, 1, 31, "avx512vl" },
	{ 7, 2, 1, "avx512vbmi" }, { 7, 2, 2, "umip" }, { 7, 2, 3, "pku" }, { 7, 2, 4, "ospke" },
	{ 7, 2, 5, "waitpkg" }, { 7, 2, 6, "avx512_vbmi2" }, { 7, 2, 8, "gfni" }, { 7, 2, 9, "vaes" },
	{ 7, 2, 10, "vpclmulqdq" }, { 7, 2, 11, "avx512_vnni" }, { 7, 2, 12, "avx512_bitalg" },
	{ 7, 2, 14, "avx512_vpopcntdq" }, { 7, 2, 16, "la57" }, { 7, 2, 22, "rdpid" }, { 7, 2, 27, "movdiri" },
	{ 7, 2, 28, "movdir64b" },
	{ 7, 3, 4, "fsrm" }, { 7, 3, 10, "md_clear" }, { 7, 3, 14, "serialize" }, { 7, 3, 22, "amx_bf16" },
	{ 7, 3, 23, "avx512_fp16" }, { 7, 3, 24, "amx_tile" }, { 7, 3, 25, "amx_int8" },
	{ 7, 3, 28, "flush_l1d" }, { 7, 3, 29, "arch_capabilities" },
};

/* The online CPUs: the "cpuN" lines of the host's /proc/stat. */
struct cpu_list {
	int n;
	int id[1024];
};

static void cpu_line(void *arg, char *line)
{
	struct cpu_list *l = arg;
	const char *s = line + 3;
	unsigned long id;
	if (str_starts(line, "cpu") && *s != ' ' && parse_ulong(&s, &id, 10) && *s == ' ' && id < 1u << 20 &&
	    l->n < (int)RT_ARRAY_LEN(l->id))
		l->id[l->n++] = (int)id;
}

static long gen_cpuinfo(struct pbuf *b, const struct proc_node *n)
{
	unsigned r[4], v[3][4], ext[4] = { 0 }, l7[4] = { 0 }, brand[12], addr[4] = { 0 };
	char vendor[13];
	(void)n;
	struct cpu_list *cpus = rt_zalloc(sizeof *cpus);
	if (!cpus)
		return -ENOMEM;
	host_lines("/proc/stat", cpu_line, cpus);
	cpuid(0, 0, r);
	unsigned max = r[0];
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	cpuid(1, 0, v[0]);
	if (max >= 7)
		cpuid(7, 0, l7);
	cpuid(0x80000000, 0, r);
	unsigned xmax = r[0];
	if (xmax >= 0x80000001)
		cpuid(0x80000001, 0, ext);
	memset(brand, 0, sizeof brand);
	if (xmax >= 0x80000004)
		for (unsigned i = 0; i < 3; i++)
			cpuid(0x80000002 + i, 0, brand + 4 * i);
	if (xmax >= 0x80000008)
		cpuid(0x80000008, 0, addr);
	char model_name[49];
	memcpy(model_name, brand, 48);
	model_name[48] = 0;
	const char *mn = model_name;
	while (*mn == ' ')
		mn++;
	unsigned sig = v[0][0];
	unsigned family = (sig >> 8) & 0xf, model = (sig >> 4) & 0xf;
	if (family == 0xf)
		family += (sig >> 20) & 0xff;
	if (family >= 6)
		model |= ((sig >> 16) & 0xf) << 4;
	for (int c = 0; c < cpus->n; c++) {
		pb_printf(b, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\nmodel name\t: ",
			  cpus->id[c], vendor, family, model);
		put_clean(b, mn, 48);
		pb_printf(b, "\nstepping\t: %u\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: %u\nwp\t\t: yes\nflags\t\t:",
			  sig & 0xf, max);
		for (unsigned i = 0; i < RT_ARRAY_LEN(cpu_flags); i++) {
			const unsigned *regs = cpu_flags[i].leaf == 1 ? v[0] : cpu_flags[i].leaf == 7 ? l7 : ext;
			if (regs[cpu_flags[i].reg] & (1u << cpu_flags[i].bit))
				pb_printf(b, " %s", cpu_flags[i].name);
		}
		unsigned clflush = ((v[0][1] >> 8) & 0xff) * 8;
		pb_printf(b, "\nclflush size\t: %u\ncache_alignment\t: %u\naddress sizes\t: %u bits physical, %u bits virtual\n"
			     "power management:\n\n",
			  clflush, clflush, addr[0] & 0xff, (addr[0] >> 8) & 0xff);
	}
	rt_free(cpus);
	return 0;
}

/* Lines "Key: number kB" of the host's meminfo. */
static void meminfo_line(void *arg, char *line)
{
	static const char *const keys[] = { "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached",
					    "SwapCached", "Active", "Inactive", "SwapTotal", "SwapFree",
					    "Dirty", "Writeback", "AnonPages", "Mapped", "Shmem", "Slab",
					    "CommitLimit", "Committed_AS", "VmallocTotal", "HugePages_Total",
					    "HugePages_Free", "Hugepagesize" };
	const char *colon = strchr(line, ':'), *s;
	unsigned long v;
	if (!colon)
		return;
	for (unsigned i = 0; i < RT_ARRAY_LEN(keys); i++) {
		if (strlen(keys[i]) != (size_t)(colon - line) || memcmp(line, keys[i], (size_t)(colon - line)))
			continue;
		s = colon + 1;
		skip_spaces(&s);
		if (!parse_ulong(&s, &v, 10))
			return;
		char key[32];
		rt_snprintf(key, sizeof key, "%s:", keys[i]);
		pb_printf(arg, "%-15s %8lu%s\n", key, v, str_starts(s, " kB") ? " kB" : "");
	}
}

static long gen_meminfo(struct pbuf *b, const struct proc_node *n)
{
	(void)n;
	return host_lines("/proc/meminfo", meminfo_line, b);
}

static void stat_line(void *arg, char *line)
{
	static const char *const keys[] = { "cpu", "intr", "ctxt", "btime", "processes", "procs_running",
					    "procs_blocked", "softirq" };
	const char *s = line;
	unsigned long v;
	size_t klen = 0;
	while (s[klen] && s[klen] != ' ')
		klen++;
	for (unsigned i = 0; i < RT_ARRAY_LEN(keys); i++) {
		size_t n = strlen(keys[i]);
		if (klen < n || memcmp(line, keys[i], n))
			continue;
		if (klen > n) { /* cpuN */
			const char *d = line + n;
			if (i != 0 || !parse_ulong(&d, &v, 10) || d != line + klen)
				continue;
		}
		pb_putn(arg, line, klen);
		s = line + klen;
		/* the times or counts; for intr and softirq only the total */
		for (int k = 0; k < 10; k++) {
			skip_spaces(&s);
			if (!parse_ulong(&s, &v, 10))
				break;
			pb_printf(arg, k == 0 && klen == 3 ? "  %lu" : " %lu", v);
			if (i == 1 || i == 7)
				break;
		}
		pb_puts(arg, "\n");
		return;
	}
}

static long gen_stat_system(struct pbuf *b, const struct proc_node *n)
{
	(void)n;
	return host_lines("/proc/stat", stat_line, b);
}

/* "12345.67" -> hundredths */
static bool parse_hundredths(const char **s, unsigned long *out)
{
	unsigned long whole, frac = 0;
	skip_spaces(s);
	if (!parse_ulong(s, &whole, 10) || whole > (1UL << 40))
		return false;
	if (**s == '.') {
		const char *f = ++*s;
		if (!parse_ulong(s, &frac, 10) || *s - f != 2)
			return false;
	}
	*out = whole * 100 + frac;
	return true;
}

static long gen_uptime(struct pbuf *b, const struct proc_node *n)
{
	struct pbuf h = { 0 };
	unsigned long up, idle;
	(void)n;
	long r = host_read("/proc/uptime", &h, 128);
	const char *s = h.p;
	if (!r && (!s || !parse_hundredths(&s, &up) || !parse_hundredths(&s, &idle)))
		r = -EIO;
	if (!r)
		pb_printf(b, "%lu.%02lu %lu.%02lu\n", up / 100, up % 100, idle / 100, idle % 100);
	pb_free(&h);
	return r;
}

static long gen_loadavg(struct pbuf *b, const struct proc_node *n)
{
	struct pbuf h = { 0 };
	unsigned long l[3], running, total, last;
	(void)n;
	long r = host_read("/proc/loadavg", &h, 128);
	const char *s = h.p;
	if (!r && (!s || !parse_hundredths(&s, &l[0]) || !parse_hundredths(&s, &l[1]) ||
		   !parse_hundredths(&s, &l[2])))
		r = -EIO;
	if (!r) {
		skip_spaces(&s);
		if (!parse_ulong(&s, &running, 10) || *s++ != '/' || !parse_ulong(&s, &total, 10))
			r = -EIO;
	}
	if (!r) {
		/* the last pid given out: the application's highest */
		int pids[512];
		int k = RT_MIN(pidtab_list(pids, (int)RT_ARRAY_LEN(pids)), (int)RT_ARRAY_LEN(pids));
		last = k > 0 ? (unsigned long)pids[k - 1] : 0;
		pb_printf(b, "%lu.%02lu %lu.%02lu %lu.%02lu %lu/%lu %lu\n", l[0] / 100, l[0] % 100, l[1] / 100,
			  l[1] % 100, l[2] / 100, l[2] % 100, running, total, last);
	}
	pb_free(&h);
	return r;
}

static long gen_version(struct pbuf *b, const struct proc_node *n)
{
	struct new_utsname u;
	(void)n;
	uts_get(&u);
	pb_printf(b, "%s version %s %s\n", u.sysname, u.release, u.version);
	return 0;
}

enum uts_field { UTS_NODENAME, UTS_DOMAINNAME, UTS_RELEASE, UTS_SYSNAME, UTS_VERSION };

static long gen_uts(struct pbuf *b, enum uts_field which)
{
	struct new_utsname u;
	uts_get(&u);
	const char *v = which == UTS_NODENAME ? u.nodename : which == UTS_DOMAINNAME ? u.domainname
			: which == UTS_RELEASE ? u.release : which == UTS_SYSNAME ? u.sysname : u.version;
	pb_printf(b, "%s\n", v);
	return 0;
}

static long gen_hostname(struct pbuf *b, const struct proc_node *n) { (void)n; return gen_uts(b, UTS_NODENAME); }
static long gen_domainname(struct pbuf *b, const struct proc_node *n) { (void)n; return gen_uts(b, UTS_DOMAINNAME); }
static long gen_osrelease(struct pbuf *b, const struct proc_node *n) { (void)n; return gen_uts(b, UTS_RELEASE); }
static long gen_ostype(struct pbuf *b, const struct proc_node *n) { (void)n; return gen_uts(b, UTS_SYSNAME); }
static long gen_kversion(struct pbuf *b, const struct proc_node *n) { (void)n; return gen_uts(b, UTS_VERSION); }

/* A number the host's kernel sets (limits of the kernel the calls go to). */
static long gen_host_number(struct pbuf *b, const char *path)
{
	unsigned long v;
	long r = host_number(path, &v);
	if (!r)
		pb_printf(b, "%lu\n", v);
	return r;
}

#define HOST_NUMBER(fn, path)                                        \
	static long fn(struct pbuf *b, const struct proc_node *n)   \
	{                                                            \
		(void)n;                                             \
		return gen_host_number(b, path);                     \
	}
HOST_NUMBER(gen_pid_max, "/proc/sys/kernel/pid_max")
HOST_NUMBER(gen_threads_max, "/proc/sys/kernel/threads-max")
HOST_NUMBER(gen_ngroups_max, "/proc/sys/kernel/ngroups_max")
HOST_NUMBER(gen_cap_last_cap, "/proc/sys/kernel/cap_last_cap")
HOST_NUMBER(gen_entropy_avail, "/proc/sys/kernel/random/entropy_avail")
HOST_NUMBER(gen_poolsize, "/proc/sys/kernel/random/poolsize")
HOST_NUMBER(gen_overcommit, "/proc/sys/vm/overcommit_memory")
HOST_NUMBER(gen_max_map_count, "/proc/sys/vm/max_map_count")
HOST_NUMBER(gen_file_max, "/proc/sys/fs/file-max")
HOST_NUMBER(gen_nr_open, "/proc/sys/fs/nr_open")

static void put_uuid(struct pbuf *b, const uint8_t u[16])
{
	for (int i = 0; i < 16; i++)
		pb_printf(b, "%02x%s", u[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
	pb_puts(b, "\n");
}

/* The host's boot id: it changes when the machine reboots, which is what
 * programs read it for. Checked to be a UUID. */
static long gen_boot_id(struct pbuf *b, const struct proc_node *n)
{
	struct pbuf h = { 0 };
	uint8_t u[16];
	(void)n;
	long r = host_read("/proc/sys/kernel/random/boot_id", &h, 64);
	const char *s = h.p;
	for (int i = 0; !r && i < 16; i++) {
		unsigned long v;
		const char *start = s;
		if (i == 4 || i == 6 || i == 8 || i == 10)
			s += *s == '-';
		char pair[3] = { s[0], s[0] ? s[1] : 0, 0 };
		const char *p = pair;
		if (!s[0] || !s[1] || !parse_ulong(&p, &v, 16) || p != pair + 2)
			r = -EIO;
		else
			u[i] = (uint8_t)v;
		s += 2;
		(void)start;
	}
	if (!r)
		put_uuid(b, u);
	pb_free(&h);
	return r;
}

/* A new random UUID at each read, as Linux gives. */
static long gen_uuid(struct pbuf *b, const struct proc_node *n)
{
	uint8_t u[16];
	(void)n;
	long r = plat_random(u, sizeof u);
	if (r < 0)
		return r;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	put_uuid(b, u);
	return 0;
}

/* ---- the tree -------------------------------------------------------------------------------- */

#define FILE_(n, g, fl) { n, PK_FILE, g, NULL, fl }
#define LINK_(n, g, fl) { n, PK_LINK, g, NULL, fl }
#define DIR_(n, c) { n, PK_DIR, NULL, c, 0 }

static const struct proc_entry random_entries[] = {
	FILE_("boot_id", gen_boot_id, 0), FILE_("entropy_avail", gen_entropy_avail, 0),
	FILE_("poolsize", gen_poolsize, 0), FILE_("uuid", gen_uuid, 0), { 0 },
};

static const struct proc_entry kernel_entries[] = {
	FILE_("cap_last_cap", gen_cap_last_cap, 0), FILE_("domainname", gen_domainname, 0),
	FILE_("hostname", gen_hostname, 0), FILE_("ngroups_max", gen_ngroups_max, 0),
	FILE_("osrelease", gen_osrelease, 0), FILE_("ostype", gen_ostype, 0), FILE_("pid_max", gen_pid_max, 0),
	DIR_("random", random_entries), FILE_("threads-max", gen_threads_max, 0),
	FILE_("version", gen_kversion, 0), { 0 },
};

static const struct proc_entry vm_entries[] = {
	FILE_("max_map_count", gen_max_map_count, 0), FILE_("overcommit_memory", gen_overcommit, 0), { 0 },
};

static const struct proc_entry fs_entries[] = {
	FILE_("file-max", gen_file_max, 0), FILE_("nr_open", gen_nr_open, 0), { 0 },
};

static const struct proc_entry sys_entries[] = {
	DIR_("fs", fs_entries), DIR_("kernel", kernel_entries), DIR_("vm", vm_entries), { 0 },
};

const struct proc_entry proc_root_entries[] = {
	LINK_("self", gen_self, 0), LINK_("thread-self", gen_thread_self, 0), FILE_("cpuinfo", gen_cpuinfo, 0),
	FILE_("loadavg", gen_loadavg, 0), FILE_("meminfo", gen_meminfo, 0), LINK_("mounts", gen_mounts_link, 0),
	FILE_("stat", gen_stat_system, 0), DIR_("sys", sys_entries), FILE_("uptime", gen_uptime, 0),
	FILE_("version", gen_version, 0), { 0 },
};

const struct proc_entry proc_pid_entries[] = {
	{ "task", PK_TASKS, NULL, NULL, PE_NOTASK },
	{ "fd", PK_FDS, NULL, NULL, 0 },
	{ "fdinfo", PK_FDINFOS, NULL, NULL, 0 },
	FILE_("environ", gen_environ, 0),
	FILE_("limits", gen_limits, 0),
	FILE_("stat", gen_stat, PE_OTHER),
	FILE_("statm", gen_statm, 0),
	FILE_("status", gen_status, PE_OTHER),
	FILE_("cmdline", gen_cmdline, PE_OTHER),
	FILE_("comm", gen_comm, PE_OTHER),
	LINK_("cwd", gen_cwd, 0),
	LINK_("exe", gen_exe, 0),
	LINK_("root", gen_root, 0),
	FILE_("maps", gen_maps, 0),
	FILE_("mounts", gen_mounts, 0),
	FILE_("mountinfo", gen_mountinfo, 0),
	{ 0 },
};
