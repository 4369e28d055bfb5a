/*
 * record.c - `coffer manifest record`: write a manifest from what a program
 * does in a development run.
 *
 *   coffer manifest record -o APP.yaml -- PROGRAM [ARGS...]
 *
 * The program runs as under `coffer run -- PROGRAM`, with one addition: the
 * runtime appends a line "K /path" to a file of ours for every path the
 * program looks up (S), reads (R), writes, creates or removes (W) or runs
 * (X) (runtime/fs/record.c). From those lines and the host's file system we
 * write the manifest:
 *
 *  - every path is resolved on the host one component at a time; each
 *    symlink met on the way is kept as an entry of its own (the runtime
 *    follows symlinks among the trusted files itself, so the manifest needs
 *    the link and what it points to);
 *  - files read, looked up or run become trusted mounts, one per file, or
 *    one per directory where that is shorter: a directory whose whole tree
 *    is small (GROUP_MAX_ENTRIES, GROUP_MAX_BYTES), readable by anyone, at
 *    least two levels deep, not one of the system-wide collections
 *    (collection[]), and holding at least two of the files used;
 *  - directories written to become a tmpfs (scratch places like /tmp) or
 *    passthrough mount, with a comment asking the owner to choose;
 *  - argv, environment and working directory are the ones the program ran
 *    with.
 *
 * What we write is read back with the manifest parser before we finish, so
 * a recorded manifest is always one `coffer sign` accepts.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/path.h"
#include "coffer.h"
#include "run.h"
#include "spec.h"
#include "util.h"

extern char **environ;

#define SHM_DIR "/dev/shm"
/* A directory whose files are trusted one by one is one mount listing
 * them (files:) once the program used this many entries directly in it. */
#define LIST_MIN_FILES 2
#define GROUP_MAX_ENTRIES 4096
#define GROUP_MAX_BYTES (128ULL << 20)
#define MAX_LINKS 40

/* Directories many unrelated programs share: trusted file by file, never
 * whole, however small they are on a given machine. */
static const char *const collection[] = {
	"/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32",
	"/usr/libexec", "/usr/share", "/usr/include", "/usr/src", "/usr/games",
	"/usr/local", "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib", "/usr/local/share",
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/python3", "/usr/lib/python3/dist-packages",
	"/var/lib", "/var/cache", "/var/log", "/var/spool", "/var/mail", "/var/tmp",
};

/* Environment variables that describe the terminal rather than the
 * application: taken from the host at start (host_env), not fixed. */
static const char *const from_host[] = { "TERM", "COLUMNS", "LINES" };

/* ---- the tree of host paths the program used ----------------------------- */

enum {
	N_USED = 1,    /* a file or symlink the program used */
	N_LISTED = 2,  /* a directory the program opened (to list it) */
	N_EXEC = 4,    /* run as a program or interpreter */
	N_WRITE = 8,   /* a directory the program wrote in */
	N_DIR = 16,    /* a directory on the host */
	N_SOCKET = 32, /* a directory where it bound or reached a UNIX socket */
};

struct node {
	char *name;
	unsigned flags;
	struct node **kids;
	size_t nkids, cap;
	/* for the whole subtree, filled in by count() */
	size_t used;
	bool has_write, has_exec;
};

static struct node *node_new(const char *name)
{
	struct node *n = calloc(1, sizeof *n);
	if (!n || !(n->name = strdup(name))) {
		perror("coffer");
		exit(COFFER_EXIT_FAIL);
	}
	return n;
}

/* The child of n called name (created if need be), kept sorted. */
static struct node *child(struct node *n, const char *name)
{
	size_t lo = 0, hi = n->nkids;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(n->kids[mid]->name, name);
		if (!c)
			return n->kids[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (n->nkids == n->cap) {
		n->cap = n->cap ? 2 * n->cap : 4;
		n->kids = realloc(n->kids, n->cap * sizeof *n->kids);
		if (!n->kids) {
			perror("coffer");
			exit(COFFER_EXIT_FAIL);
		}
	}
	memmove(n->kids + lo + 1, n->kids + lo, (n->nkids - lo) * sizeof *n->kids);
	n->nkids++;
	return n->kids[lo] = node_new(name);
}

/* The node of an absolute, canonical path. */
static struct node *lookup(struct node *root, const char *path)
{
	char buf[PATH_MAX];
	struct node *n = root;
	snprintf(buf, sizeof buf, "%s", path);
	for (char *save, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save))
		n = child(n, c);
	return n;
}

static void tree_free(struct node *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		tree_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n);
}

/* Is path one of dirs (NULL-terminated) or below one? */
static bool under(const char *path, const char *const *dirs)
{
	for (; *dirs; dirs++) {
		size_t n = strlen(*dirs);
		if (!strncmp(path, *dirs, n) && (path[n] == '/' || !path[n]))
			return true;
	}
	return false;
}

/* Paths the enclave provides itself (a restricted /proc and /dev) or not at
 * all (/sys): never recorded. */
static bool provided(const char *path)
{
	static const char *const dirs[] = { "/proc", "/dev", "/sys", NULL };
	return under(path, dirs);
}

/*
 * Resolve path on the host as the runtime resolves it inside the enclave:
 * component by component, each symlink replaced by its target (relative to
 * the link's directory, or absolute). Every symlink met is added to the
 * tree as used, whether or not the rest resolves. Returns 0 with the real
 * path in out, or -1 if it does not exist or leads where we do not record.
 */
static int resolve(struct node *root, const char *path, char *out, size_t outlen)
{
	char done[PATH_MAX] = "", todo[2 * PATH_MAX], target[PATH_MAX], tmp[2 * PATH_MAX];
	int links = 0;

	if (snprintf(todo, sizeof todo, "%s", path) >= (int)sizeof todo)
		return -1;
	char *rest = todo;
	while (*rest) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		char *end = strchr(rest, '/');
		size_t clen = end ? (size_t)(end - rest) : strlen(rest);
		char comp[NAME_MAX + 1];
		if (clen > NAME_MAX)
			return -1;
		memcpy(comp, rest, clen);
		comp[clen] = 0;
		rest += clen;
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(done, '/');
			if (slash)
				*slash = 0;
			continue;
		}
		char cand[PATH_MAX];
		if (snprintf(cand, sizeof cand, "%s/%s", done, comp) >= (int)sizeof cand)
			return -1;
		if (provided(cand))
			return -1;
		struct stat st;
		if (lstat(cand, &st))
			return -1;
		if (!S_ISLNK(st.st_mode)) {
			memcpy(done, cand, strlen(cand) + 1);
			continue;
		}
		ssize_t tl = readlink(cand, target, sizeof target - 1);
		if (tl <= 0 || ++links > MAX_LINKS)
			return -1;
		target[tl] = 0;
		lookup(root, cand)->flags |= N_USED;
		if (snprintf(tmp, sizeof tmp, "%s/%s", target, rest) >= (int)sizeof todo)
			return -1;
		memcpy(todo, tmp, strlen(tmp) + 1);
		rest = todo;
		if (target[0] == '/')
			done[0] = 0;
	}
	snprintf(out, outlen, "%s", done[0] ? done : "/");
	return 0;
}

/* ---- reading the record ----------------------------------------------------- */

struct strset {
	char **v;
	size_t n, cap;
};

static void strset_add(struct strset *s, const char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
	}
	if (!s->v || !(s->v[s->n++] = strdup(str))) {
		perror("coffer");
		exit(COFFER_EXIT_FAIL);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool strset_has(const struct strset *s, const char *str)
{
	return bsearch(&str, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

static void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* The directory a written path lies in: its parent, or the nearest one that
 * still exists (the program may have removed what it made). */
static int write_dir(struct node *root, const char *path, char *out, size_t n)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s", path);
	for (;;) {
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			snprintf(p, sizeof p, "/");
		else
			*slash = 0;
		struct stat st;
		if (!resolve(root, p, out, n) && !stat(out, &st) && S_ISDIR(st.st_mode))
			return 0;
		if (!strcmp(p, "/"))
			return -1;
	}
}

struct record {
	bool wrote_root;   /* wrote in / itself */
	bool used_shm;     /* used /dev/shm (POSIX shared memory, semaphores) */
	size_t processes;  /* processes started (fork, exec) */
	bool terminal;     /* made a pseudo-terminal (opened /dev/ptmx) */
	bool have_start;
	struct statx_timestamp start;
};

/* A file's birth time, if the file system keeps one. File systems take
 * their times from a coarse clock, so the run's start is the birth time of
 * the record file, made just before the run, not a clock reading. */
static bool birth(int dirfd, const char *path, int flags, struct statx_timestamp *out)
{
	struct statx stx;
	if (statx(dirfd, path, flags | AT_SYMLINK_NOFOLLOW, STATX_BTIME, &stx) || !(stx.stx_mask & STATX_BTIME))
		return false;
	*out = stx.stx_btime;
	return true;
}

/* Did the file at path exist before the run started? Where there are no
 * birth times, assume it did. */
static bool existed_before(const char *path, const struct record *rec)
{
	struct statx_timestamp b;
	if (access(path, F_OK))
		return false;
	if (!rec->have_start || !birth(AT_FDCWD, path, 0, &b))
		return true;
	return b.tv_sec < rec->start.tv_sec || (b.tv_sec == rec->start.tv_sec && b.tv_nsec < rec->start.tv_nsec);
}


/* Read the record file into the tree. Returns 0 or -1. */
static int load_record(int fd, struct node *root, struct record *rec)
{
	FILE *f = fdopen(dup(fd), "r");
	char *line = NULL, real[PATH_MAX];
	size_t cap = 0;
	ssize_t len;
	struct strset written = { 0 }, lines = { 0 };

	if (!f || lseek(fd, 0, SEEK_SET) < 0) {
		perror("coffer: reading the record");
		return -1;
	}
	rewind(f);
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n' || len < 4 || line[1] != ' ' || line[2] != '/')
			continue; /* cannot happen: every line is written whole */
		line[len - 1] = 0;
		strset_add(&lines, line);
	}
	free(line);
	fclose(f);
	qsort(lines.v, lines.n, sizeof *lines.v, cmp_str);

	/* First what was written: those places become writable mounts, and a
	 * file the program made itself is not one to trust. */
	for (size_t i = 0; i < lines.n; i++) {
		const char *path = lines.v[i] + 2;
		char kind = lines.v[i][0];
		if ((kind != 'W' && kind != 'U') || provided(path))
			continue;
		if (write_dir(root, path, real, sizeof real))
			continue;
		if (!strcmp(real, "/")) {
			rec->wrote_root = true;
			continue;
		}
		struct node *dir = lookup(root, real);
		dir->flags |= N_WRITE | N_DIR | (kind == 'U' ? N_SOCKET : 0);
		char file[2 * PATH_MAX];
		const char *base = strrchr(path, '/') + 1;
		snprintf(file, sizeof file, "%s/%s", real, base);
		strset_add(&written, file);
		/* data that was there before: the directory is not scratch space */
		if (*base && existed_before(file, rec))
			child(dir, base)->flags |= N_USED;
	}
	qsort(written.v, written.n, sizeof *written.v, cmp_str);

	for (size_t i = 0; i < lines.n; i++) {
		char kind = lines.v[i][0];
		const char *path = lines.v[i] + 2;
		struct stat st;
		if (kind == 'P')
			rec->processes++;
		if (!strcmp(path, "/dev/ptmx") || !strcmp(path, "/dev/pts/ptmx"))
			rec->terminal = true;
		if (!strncmp(path, SHM_DIR "/", sizeof SHM_DIR))
			rec->used_shm = true;
		if (kind == 'W' || kind == 'U' || kind == 'P' || provided(path) || resolve(root, path, real, sizeof real))
			continue;
		if (!strcmp(real, "/") || strset_has(&written, real) || lstat(real, &st))
			continue;
		struct node *n = lookup(root, real);
		if (S_ISDIR(st.st_mode))
			n->flags |= N_DIR | (kind == 'R' ? N_LISTED : 0);
		else
			n->flags |= N_USED | (kind == 'X' ? N_EXEC : 0);
	}
	strset_free(&lines);
	strset_free(&written);
	return 0;
}

static void count(struct node *n)
{
	n->used = (n->flags & (N_USED | N_LISTED)) ? 1 : 0;
	n->has_write = n->flags & N_WRITE;
	n->has_exec = n->flags & N_EXEC;
	for (size_t i = 0; i < n->nkids; i++) {
		count(n->kids[i]);
		n->used += n->kids[i]->used;
		n->has_write |= n->kids[i]->has_write;
		n->has_exec |= n->kids[i]->has_exec;
	}
}

/* ---- choosing the mounts ------------------------------------------------- */

struct tree_size {
	size_t entries;
	unsigned long long bytes;
};

/* Can the whole tree at dirfd be trusted, and is it small enough? Every
 * entry must be a file, directory or symlink that anyone may read: a
 * directory holding private files is never trusted whole. */
static bool small_public_tree(int dirfd, struct tree_size *sz)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	bool ok = d != NULL;

	if (!d)
		close(dirfd);
	while (ok && (e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (++sz->entries > GROUP_MAX_ENTRIES || fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			ok = false;
			break;
		}
		if (S_ISLNK(st.st_mode))
			continue;
		if (S_ISREG(st.st_mode)) {
			sz->bytes += (unsigned long long)st.st_size;
			ok = (st.st_mode & S_IROTH) && sz->bytes <= GROUP_MAX_BYTES;
		} else if (S_ISDIR(st.st_mode)) {
			int sub = (st.st_mode & (S_IROTH | S_IXOTH)) == (S_IROTH | S_IXOTH)
					  ? openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
					  : -1;
			ok = sub >= 0 && small_public_tree(sub, sz);
		} else {
			ok = false;
		}
	}
	if (d)
		closedir(d);
	return ok;
}

static bool is_collection(const char *path)
{
	for (size_t i = 0; i < sizeof collection / sizeof collection[0]; i++)
		if (!strcmp(path, collection[i]))
			return true;
	return !strncmp(path, "/home/", 6) && !strchr(path + 6, '/');
}

/* in the order they are written */
enum mount_kind {
	M_TRUSTED,
	M_CWD,         /* an empty tmpfs where the working directory is */
	M_TMPFS,       /* a written directory, proposed tmpfs */
	M_PASSTHROUGH, /* a written directory, proposed passthrough */
};

struct mount {
	char *path;
	enum mount_kind kind;
	char note[160];
	struct strset files; /* M_TRUSTED of a directory: only these (files:) */
	bool listed;
};

struct plan {
	size_t processes;
	bool terminal;
	const char *cwd;
	struct mount *m;
	size_t n, cap;
	struct strset partial; /* directories listed but not trusted whole */
	struct strset exec_unsafe; /* programs run from where the program also wrote */
};

static struct mount *add_mount(struct plan *p, const char *path, enum mount_kind kind)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 32;
		p->m = realloc(p->m, p->cap * sizeof *p->m);
	}
	if (!p->m) {
		perror("coffer");
		exit(COFFER_EXIT_FAIL);
	}
	struct mount *m = &p->m[p->n++];
	*m = (struct mount){ .path = strdup(path), .kind = kind };
	return m;
}

static void human_size(unsigned long long b, char *out, size_t n)
{
	if (b >= 10ULL << 20)
		snprintf(out, n, "%llu MiB", b >> 20);
	else if (b >= 10ULL << 10)
		snprintf(out, n, "%llu KiB", b >> 10);
	else
		snprintf(out, n, "%llu bytes", b);
}

/* Is a written directory a scratch place, where tmpfs is the natural choice? */
static bool scratch(const char *path)
{
	static const char *const dirs[] = { "/tmp", "/var/tmp", "/run", NULL };
	return under(path, dirs);
}

static void find_exec(struct node *n, const char *path, struct plan *p)
{
	char sub[PATH_MAX];
	if (n->flags & N_EXEC)
		strset_add(&p->exec_unsafe, path);
	for (size_t i = 0; i < n->nkids; i++) {
		snprintf(sub, sizeof sub, "%s/%s", path, n->kids[i]->name);
		find_exec(n->kids[i], sub, p);
	}
}

/* May directory n at path be trusted whole? Then its size is in *sz. */
static bool whole_ok(const struct node *n, const char *path, int depth, struct tree_size *sz)
{
	if (depth < 2 || n->has_write || is_collection(path) || !(n->used >= 2 || (n->flags & N_LISTED)))
		return false;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 && small_public_tree(fd, sz);
}

/* The entries the program used directly in n: files and symlinks. */
static size_t used_here(const struct node *n)
{
	size_t k = 0;
	for (size_t i = 0; i < n->nkids; i++)
		k += (n->kids[i]->flags & N_USED) && !(n->kids[i]->flags & N_DIR) && !n->kids[i]->nkids;
	return k;
}

/* The files: of a mount of directory n at path: every entry used below it,
 * relative to the mount (rel: n's own, "" at the top); a subdirectory that
 * may be trusted whole is listed as one entry, which brings its tree. */
static void list_used(const struct node *n, const char *path, const char *rel, int depth, struct mount *m,
		      struct plan *p)
{
	char sub[PATH_MAX], subrel[PATH_MAX];
	for (size_t i = 0; i < n->nkids; i++) {
		const struct node *k = n->kids[i];
		if (!k->used)
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, k->name);
		snprintf(subrel, sizeof subrel, "%s%s%s", rel, *rel ? "/" : "", k->name);
		struct tree_size sz = { 0 };
		if ((!(k->flags & N_DIR) && !k->nkids) || whole_ok(k, sub, depth + 1, &sz)) {
			strset_add(&m->files, subrel);
			continue;
		}
		if (k->flags & N_LISTED)
			strset_add(&p->partial, sub);
		list_used(k, sub, subrel, depth + 1, m, p);
	}
}

/* Would a mount of directory n at path listing what was used below it
 * leave out the working directory (below path, nothing used in it)? Then
 * the working directory must get a mount of its own, which cannot be inside
 * another. */
static bool hides_cwd(const struct node *n, const char *path, const char *cwd)
{
	size_t len = strlen(path);
	if (strncmp(cwd, path, len) || cwd[len] != '/')
		return false;
	char rest[PATH_MAX];
	snprintf(rest, sizeof rest, "%s", cwd + len + 1);
	for (char *save, *c = strtok_r(rest, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		const struct node *k = NULL;
		for (size_t i = 0; i < n->nkids && !k; i++)
			if (!strcmp(n->kids[i]->name, c))
				k = n->kids[i];
		/* something used below it, not just the directory listed */
		if (!k || k->used <= ((k->flags & (N_USED | N_LISTED)) ? 1u : 0u))
			return true;
		n = k;
	}
	return false;
}

static void plan_node(struct node *n, const char *path, int depth, struct plan *p)
{
	char sub[PATH_MAX];

	if (n->flags & N_WRITE) {
		/* what was here before the run that it used */
		size_t found = n->used - ((n->flags & (N_USED | N_LISTED)) ? 1 : 0);
		bool sock = n->flags & N_SOCKET; /* a tmpfs holds no sockets */
		bool tmp = scratch(path) && !found && p->processes <= 1 && !sock;
		struct mount *m = add_mount(p, path, tmp ? M_TMPFS : M_PASSTHROUGH);
		if (found)
			snprintf(m->note, sizeof m->note, "it used %zu file%s here that %s there before it ran", found,
				 found == 1 ? "" : "s", found == 1 ? "was" : "were");
		else if (sock)
			snprintf(m->note, sizeof m->note, "not tmpfs: it used a UNIX socket here, which a tmpfs cannot hold");
		else if (scratch(path) && !tmp)
			snprintf(m->note, sizeof m->note,
				 "not tmpfs: it ran %zu processes, and each has its own tmpfs", p->processes);
		find_exec(n, path, p);
		return;
	}
	if (!n->used)
		return; /* only on the way to a written directory */
	if (!(n->flags & N_DIR) && !n->nkids) {
		add_mount(p, path, M_TRUSTED);
		return;
	}
	struct tree_size sz = { 0 };
	if (whole_ok(n, path, depth, &sz)) {
		char size[32];
		struct mount *m = add_mount(p, path, M_TRUSTED);
		human_size(sz.bytes, size, sizeof size);
		snprintf(m->note, sizeof m->note, "%zu entr%s, %s; used: %zu", sz.entries,
			 sz.entries == 1 ? "y" : "ies", size, n->used);
		return;
	}
	if (n->flags & N_LISTED)
		strset_add(&p->partial, path[0] ? path : "/");
	/* Many files of one directory (the shared libraries): one mount of
	 * the directory that trusts just those, not one mount each. */
	if (depth >= 1 && !n->has_write && used_here(n) >= LIST_MIN_FILES && !hides_cwd(n, path, p->cwd)) {
		struct mount *m = add_mount(p, path, M_TRUSTED);
		m->listed = true;
		list_used(n, path, "", depth, m, p);
		snprintf(m->note, sizeof m->note, "only the %zu entr%s listed", m->files.n, m->files.n == 1 ? "y" : "ies");
		return;
	}
	for (size_t i = 0; i < n->nkids; i++) {
		snprintf(sub, sizeof sub, "%s/%s", path, n->kids[i]->name);
		plan_node(n->kids[i], sub, depth + 1, p);
	}
}

/* ---- writing YAML ------------------------------------------------------------ */

static bool valid_utf8(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80 ? 0 : (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2 : (*s & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || (n == 1 && *s < 0xc2))
			return false;
		s++;
		for (int i = 0; i < n; i++, s++)
			if ((*s & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* A scalar: plain where every YAML reader takes it as the same string,
 * double-quoted otherwise. */
static void scalar(FILE *f, const char *s)
{
	static const char *const words[] = { "true", "false", "yes", "no", "on", "off", "null", "y", "n" };
	bool plain = *s && (*s == '/' || *s == '_' || ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z'));
	for (const char *c = s; plain && *c; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			strchr("/_.-+=@,", *c) || (*c == ':' && c[1] && c[1] != ' ');
	for (size_t i = 0; plain && i < sizeof words / sizeof words[0]; i++)
		plain = strcasecmp(s, words[i]) != 0;
	if (plain) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(f, "\\x%02x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

/* The command as a shell would take it back: arguments that are empty or
 * hold anything but plain characters in single quotes. */
static void comment_command(FILE *f, char **argv)
{
	fputs("#  ", f);
	for (char **a = argv; *a; a++) {
		bool plain = **a != 0;
		for (const char *c = *a; plain && *c; c++)
			plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
				strchr("/_.,:=+-@%", *c);
		fputs(plain ? " " : " '", f);
		for (const unsigned char *c = (const unsigned char *)*a; *c; c++) {
			if (*c == '\'')
				fputs("'\\''", f);
			else
				fputc(*c < 0x20 || *c == 0x7f ? '?' : *c, f);
		}
		if (!plain)
			fputc('\'', f);
	}
	fputc('\n', f);
}

static int cmp_mount(const void *a, const void *b)
{
	const struct mount *x = a, *y = b;
	int rx = x->kind >= M_TMPFS ? M_TMPFS : (int)x->kind, ry = y->kind >= M_TMPFS ? M_TMPFS : (int)y->kind;
	return rx != ry ? rx - ry : strcmp(x->path, y->path);
}

/* Is path inside a planned mount, or above one? */
static bool covered(const struct plan *p, const char *path)
{
	for (size_t i = 0; i < p->n; i++) {
		const char *a = p->m[i].path, *b = path;
		size_t la = strlen(a), lb = strlen(b);
		if (la > lb) {
			const char *t = a;
			a = b, b = t;
			la = lb;
		}
		if (!strcmp(a, "/") || (!strncmp(a, b, la) && (b[la] == '/' || !b[la])))
			return true;
	}
	return false;
}

static bool from_host_name(const char *var)
{
	for (size_t i = 0; i < sizeof from_host / sizeof from_host[0]; i++) {
		size_t n = strlen(from_host[i]);
		if (!strncmp(var, from_host[i], n) && var[n] == '=')
			return true;
	}
	return false;
}

static void write_yaml(FILE *f, const char *entry, char **argv, const char *cwd, struct plan *p, bool shm)
{
	fputs("# Recorded by `coffer manifest record` from a development run of\n", f);
	comment_command(f, argv);
	fputs("# Review it before you sign it: it trusts the files the program used in\n"
	      "# that run, and fixes the arguments and environment it ran with.\n"
	      "version: 1\n"
	      "entrypoint: ", f);
	scalar(f, entry);
	fputs("\nargv:\n", f);
	for (char **a = argv; *a; a++) {
		fputs("  - ", f);
		scalar(f, *a);
		fputc('\n', f);
	}
	fputs("host_args: none   # append: `coffer run APP.coffer -- ARGS` adds ARGS\n", f);

	bool any = false;
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e || !strncmp(*e, "_=", 2) || from_host_name(*e))
			continue;
		if (!valid_utf8((const unsigned char *)*e)) {
			fprintf(stderr, "coffer: warning: environment variable %.*s is not UTF-8; left out\n",
				(int)(eq - *e), *e);
			continue;
		}
		if (!any)
			fputs("env:\n", f);
		any = true;
		char *name = strndup(*e, (size_t)(eq - *e));
		fputs("  ", f);
		scalar(f, name);
		fputs(": ", f);
		scalar(f, eq + 1);
		fputc('\n', f);
		free(name);
	}
	any = false;
	for (char **e = environ; *e; e++) {
		if (!from_host_name(*e))
			continue;
		fputs(any ? ", " : "host_env: [", f);
		fprintf(f, "%.*s", (int)(strchr(*e, '=') - *e), *e);
		any = true;
	}
	if (any)
		fputs("]   # values taken from the host at start, not signed\n", f);
	fputs("cwd: ", f);
	scalar(f, cwd);
	fputc('\n', f);
	if (p->terminal)
		fputs("# The program made a pseudo-terminal (/dev/ptmx). What passes through it\n"
		      "# is host I/O: host processes can read it and type into it.\n"
		      "terminal: true\n", f);

	qsort(p->m, p->n, sizeof *p->m, cmp_mount);
	fputs("mounts:\n", f);
	if (p->partial.n) {
		fputs("  # The program listed these directories; only the entries it used\n"
		      "  # are mounted, so a listing inside the enclave shows only those:\n", f);
		for (size_t i = 0; i < p->partial.n; i++)
			fprintf(f, "  #   %s\n", p->partial.v[i]);
	}
	if (shm)
		fputs("  # The program used POSIX shared memory or semaphores (shm_open, sem_open:\n"
		      "  # /dev/shm). This shares it between the application's processes, in host\n"
		      "  # memory: the host can read and change it (docs/threat-model.md).\n"
		      "  - path: " SHM_DIR "\n"
		      "    type: shm\n", f);
	bool writable = false;
	for (size_t i = 0; i < p->n; i++) {
		const struct mount *m = &p->m[i];
		if (m->kind >= M_TMPFS && !writable) {
			fputs("  # CHOOSE: the program wrote in the directories below. tmpfs keeps what\n"
			      "  # it writes in enclave memory, empty at start and gone at exit;\n"
			      "  # passthrough uses the host directory, which the host can read and\n"
			      "  # change (add `readonly: true` if the program only needs to read it).\n", f);
			writable = true;
		}
		fputs("  - path: ", f);
		scalar(f, m->path);
		if (m->note[0])
			fprintf(f, "   # %s", m->note);
		fprintf(f, "\n    type: %s\n",
			m->kind == M_TRUSTED ? "trusted" : m->kind == M_PASSTHROUGH ? "passthrough" : "tmpfs");
		if (m->listed) {
			qsort(m->files.v, m->files.n, sizeof *m->files.v, cmp_str);
			fputs("    files:\n", f);
			for (size_t j = 0; j < m->files.n; j++) {
				fputs("      - ", f);
				scalar(f, m->files.v[j]);
				fputc('\n', f);
			}
		}
	}

	fprintf(f,
		"enclave:\n"
		"  size: 4G       # address space: heap, stacks and mapped files live in it\n"
		"  threads: %d    # the most threads at once\n"
		"  debug: false\n"
		"  isvprodid: 0\n"
		"  isvsvn: 0\n",
		SPEC_DEFAULT_THREADS);
}

/* ---- the command ------------------------------------------------------------- */

static void record_usage(FILE *out)
{
	fprintf(out,
		"Usage: coffer manifest record -o APP.yaml [OPTIONS] -- PROGRAM [ARGS...]\n"
		"\n"
		"Run PROGRAM in a development run (as `coffer run -- PROGRAM` does), watch\n"
		"which files it reads, runs and writes, and write a manifest for it: the\n"
		"files it used as trusted mounts, the directories it wrote in as tmpfs or\n"
		"passthrough mounts for you to choose, and the arguments, environment and\n"
		"working directory it ran with. Sign the result with `coffer sign`.\n"
		"\n"
		"Options:\n"
		"  -o, --output=FILE  where to write the manifest (required)\n"
		"  --force            replace FILE if it exists\n"
		"  --log=LEVEL        runtime log level (as for coffer run)\n"
		"  -h, --help         show this help\n"
		"\n"
		"Exit status: the program's (128+N if signal N killed it); 1 if the manifest could not\n"
		"be written or FILE exists (without --force).\n");
}

static int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o = { .record_fd = -1 };
	const char *output = NULL;
	bool force = false;
	int c;

	if (run_env_level(&o))
		return COFFER_EXIT_USAGE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'f': force = true; break;
		case 'l':
			if (run_parse_level(&o, optarg))
				return COFFER_EXIT_USAGE;
			break;
		case 'h': record_usage(stdout); return 0;
		default: record_usage(stderr); return COFFER_EXIT_USAGE;
		}
	}
	if (!output || optind >= argc) {
		fprintf(stderr, "coffer: manifest record: %s\n", output ? "no program given" : "-o FILE is required");
		record_usage(stderr);
		return COFFER_EXIT_USAGE;
	}

	/* a manifest someone may have edited is not replaced by surprise */
	if (!force && access(output, F_OK) == 0) {
		fprintf(stderr, "coffer: %s exists; give --force to replace it\n", output);
		return COFFER_EXIT_FAIL;
	}
	char program[PATH_MAX], entry[PATH_MAX], cwd[PATH_MAX];
	int st = run_check_development(&o, argv[optind]);
	if (st)
		return st;
	st = run_find_program(argv[optind], program, sizeof program);
	if (st)
		return st;
	if (!getcwd(cwd, sizeof cwd)) {
		fprintf(stderr, "coffer: cannot get the working directory: %s\n", strerror(errno));
		return COFFER_EXIT_FAIL;
	}
	bool isdir;
	if (path_normalize(cwd, program, entry, sizeof entry, &isdir)) {
		fprintf(stderr, "coffer: %s: the path is longer than PATH_MAX\n", program);
		return COFFER_EXIT_FAIL;
	}

	/* The record: an unlinked file opened for appending, so that every
	 * process of the run adds whole lines to it. */
	const char *tmpdir = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof tmpl, "%s/coffer-record-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemp(tmpl);
	if (fd < 0) {
		fprintf(stderr, "coffer: cannot make the record file %s: %s\n", tmpl, strerror(errno));
		return COFFER_EXIT_FAIL;
	}
	unlink(tmpl);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_APPEND)) {
		fprintf(stderr, "coffer: cannot set up the record file: %s\n", strerror(errno));
		close(fd);
		return COFFER_EXIT_FAIL;
	}
	o.record_fd = fd;

	struct run_target t = { .program = program, .argv = argv + optind };
	struct record rec = { 0 };
	rec.have_start = birth(fd, "", AT_EMPTY_PATH, &rec.start);
	st = run_enclave(&o, &t, argv[optind]);
	if (st == COFFER_EXIT_ENCLAVE) {
		close(fd);
		return st;
	}
	if (st)
		fprintf(stderr, "coffer: warning: %s exited with status %d; the manifest has what it used until then\n",
			argv[optind], st);

	struct node *root = node_new("");
	if (load_record(fd, root, &rec)) {
		close(fd);
		return COFFER_EXIT_FAIL;
	}
	close(fd);
	if (rec.wrote_root)
		fprintf(stderr, "coffer: warning: %s wrote in / itself; a mount cannot cover that, "
				"so the manifest leaves it out\n", argv[optind]);
	count(root);

	struct plan plan = { .processes = rec.processes, .terminal = rec.terminal, .cwd = cwd };
	plan_node(root, "", 0, &plan);
	/* The working directory must exist in the enclave. If the program used
	 * nothing in it, an empty one is what it saw that mattered. */
	if (!covered(&plan, cwd))
		snprintf(add_mount(&plan, cwd, M_CWD)->note, sizeof plan.m[0].note,
			 "the working directory; the program used nothing in it");
	for (size_t i = 0; i < plan.exec_unsafe.n; i++)
		fprintf(stderr, "coffer: warning: %s ran %s, in a directory it also wrote in; programs run only "
				"from trusted mounts, so the recorded manifest cannot run it\n",
			argv[optind], plan.exec_unsafe.v[i]);

	char *yaml = NULL;
	size_t yaml_len = 0;
	FILE *mf = open_memstream(&yaml, &yaml_len);
	if (!mf) {
		perror("coffer");
		return COFFER_EXIT_FAIL;
	}
	write_yaml(mf, entry, argv + optind, cwd, &plan, rec.used_shm);
	fclose(mf);
	int ret = st;
	if (write_file(output, yaml, yaml_len, 0644)) {
		fprintf(stderr, "coffer: cannot write %s: %s\n", output, strerror(errno));
		ret = COFFER_EXIT_FAIL;
	} else {
		/* What we wrote must be a manifest `coffer sign` takes. */
		struct spec s;
		if (spec_load(output, &s)) {
			fprintf(stderr, "coffer: internal error: the recorded manifest %s does not parse "
					"(please report this)\n", output);
			ret = COFFER_EXIT_FAIL;
		} else {
			spec_free(&s);
			size_t trusted = 0, choose = 0;
			for (size_t i = 0; i < plan.n; i++) {
				trusted += plan.m[i].kind == M_TRUSTED;
				choose += plan.m[i].kind >= M_TMPFS;
			}
			fprintf(stderr, "coffer: wrote %s: %zu trusted mount%s, %zu to choose\n", output, trusted,
				trusted == 1 ? "" : "s", choose);
		}
	}
	free(yaml);
	for (size_t i = 0; i < plan.n; i++) {
		free(plan.m[i].path);
		strset_free(&plan.m[i].files);
	}
	free(plan.m);
	strset_free(&plan.partial);
	strset_free(&plan.exec_unsafe);
	tree_free(root);
	return ret;
}

int cmd_manifest(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "record"))
		return cmd_record(argc - 1, argv + 1);
	FILE *out = argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? stdout : stderr;
	fprintf(out, "Usage: coffer manifest record -o APP.yaml [OPTIONS] -- PROGRAM [ARGS...]\n"
		     "\n"
		     "Commands:\n"
		     "  record   write a manifest from what a program does in a development run\n");
	return out == stdout ? 0 : COFFER_EXIT_USAGE;
}
