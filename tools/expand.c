/*
 * expand.c - turning trusted mounts into the signed list of files.
 *
 * Every trusted mount's host source is walked: regular files are read and
 * hashed (SHA-256) with their size and permission bits, directories are
 * recorded (so that listing them inside the enclave needs no host), and
 * symbolic links are recorded as links with their target, never followed.
 * Anything else (devices, sockets, fifos) cannot be trusted and is an error.
 * A mount with `files:` is walked only along the listed paths: its root and
 * the directories on the way to each listed path are recorded (not their
 * other entries), and each listed path is walked whole. The result is
 * sorted by path, the order the runtime searches.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/exit.h"
#include "spec.h"

#define RT_CLAMP(t, max) ((uint64_t)(t) < (max) ? (uint64_t)(t) : (max))

struct list {
	struct tfile *v;
	size_t n, cap;
	int errors;
	uint64_t clamp; /* newest time recorded */
};

static struct tfile *add(struct list *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (!l->v) {
			perror("coffer");
			exit(COFFER_EXIT_FAIL);
		}
	}
	struct tfile *f = &l->v[l->n++];
	memset(f, 0, sizeof *f);
	return f;
}

static int hash_file(const char *host, uint8_t out[32], uint64_t *size)
{
	int fd = open(host, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	static uint8_t buf[1 << 16];
	ssize_t r;
	*size = 0;
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)r);
		*size += (uint64_t)r;
	}
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	int e = errno;
	close(fd);
	errno = e;
	return r < 0 ? -1 : 0;
}

static char *join(const char *a, const char *b)
{
	char *s;
	if (asprintf(&s, "%s%s%s", a, strcmp(a, "/") ? "/" : "", b) < 0)
		exit(COFFER_EXIT_FAIL);
	return s;
}

static void add_dir(struct list *l, const char *path, const struct stat *st)
{
	struct tfile *f = add(l);
	f->path = strdup(path);
	f->kind = MAN_FILE_DIR;
	f->mode = st->st_mode & 07777;
	f->mtime = RT_CLAMP(st->st_mtime, l->clamp);
}

/* follow_top: the mount's host source is another name than its path; a
 * symlink there names a host location, which means nothing inside the
 * enclave, so the source itself is followed on the host. */
static void walk(struct list *l, const char *host, const char *path, bool follow_top)
{
	struct stat st;

	if ((follow_top ? stat(host, &st) : lstat(host, &st))) {
		fprintf(stderr, "coffer: trusted file %s: %s\n", host, strerror(errno));
		l->errors++;
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(host, target, sizeof target - 1);
		if (n <= 0) {
			fprintf(stderr, "coffer: trusted symlink %s: %s\n", host, strerror(errno));
			l->errors++;
			return;
		}
		target[n] = 0;
		struct tfile *f = add(l);
		f->path = strdup(path);
		f->kind = MAN_FILE_SYMLINK;
		f->target = strdup(target);
		f->mode = 0777;
		f->mtime = RT_CLAMP(st.st_mtime, l->clamp);
		return;
	}
	if (S_ISREG(st.st_mode)) {
		struct tfile *f = add(l);
		f->path = strdup(path);
		f->kind = MAN_FILE_REG;
		f->mode = st.st_mode & 07777;
		f->mtime = RT_CLAMP(st.st_mtime, l->clamp);
		if (hash_file(host, f->sha256, &f->size)) {
			fprintf(stderr, "coffer: trusted file %s: cannot read: %s\n", host, strerror(errno));
			l->errors++;
		}
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "coffer: %s: only regular files, directories and symlinks can be trusted\n", host);
		l->errors++;
		return;
	}
	add_dir(l, path, &st);
	DIR *d = opendir(host);
	if (!d) {
		fprintf(stderr, "coffer: trusted directory %s: %s\n", host, strerror(errno));
		l->errors++;
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *h = join(host, e->d_name), *p = join(path, e->d_name);
		walk(l, h, p, false);
		free(h);
		free(p);
	}
	closedir(d);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct tfile *)a)->path, ((const struct tfile *)b)->path);
}

/* A trusted mount with `files:`: its root, the directories leading to each
 * listed path (each a real directory on the host, not a symlink: the
 * runtime would find the directory where the host has a link), and each
 * listed path walked whole. */
static void walk_listed(struct list *l, const struct spec_mount *m)
{
	struct stat st;
	bool follow = strcmp(m->source, m->path) != 0;

	int r = follow ? stat(m->source, &st) : lstat(m->source, &st);
	if (r || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "coffer: trusted directory %s: %s\n", m->source,
			r ? strerror(errno) : "not a directory (a mount with files: must be one)");
		l->errors++;
		return;
	}
	add_dir(l, m->path, &st);
	for (size_t i = 0; i < m->nfiles; i++) {
		const char *rel = m->files[i];
		for (const char *slash = strchr(rel, '/'); slash; slash = strchr(slash + 1, '/')) {
			char *h, *p;
			if (asprintf(&h, "%s/%.*s", m->source, (int)(slash - rel), rel) < 0 ||
			    asprintf(&p, "%s/%.*s", m->path, (int)(slash - rel), rel) < 0)
				exit(COFFER_EXIT_FAIL);
			r = lstat(h, &st);
			if (r || !S_ISDIR(st.st_mode)) {
				fprintf(stderr, "coffer: trusted file %s/%s: %s: %s\n", m->source, rel, h,
					r ? strerror(errno)
					: S_ISLNK(st.st_mode) ? "a symbolic link on the way (list the link and what it points to instead)"
							      : "not a directory");
				l->errors++;
				free(h);
				free(p);
				break;
			}
			add_dir(l, p, &st);
			free(h);
			free(p);
		}
		char *h = join(m->source, rel), *p = join(m->path, rel);
		walk(l, h, p, false);
		free(h);
		free(p);
	}
}

int spec_expand(const struct spec *s, uint64_t clamp_mtime, struct tfile **files, size_t *nfiles)
{
	struct list l = { .clamp = clamp_mtime };

	for (size_t i = 0; i < s->nmounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		if (m->type != MAN_MOUNT_TRUSTED)
			continue;
		if (m->listed)
			walk_listed(&l, m);
		else
			walk(&l, m->source, m->path, strcmp(m->source, m->path) != 0);
	}
	qsort(l.v, l.n, sizeof *l.v, by_path);
	/* the directories on the way to several listed paths, once */
	size_t w = 0;
	for (size_t r = 0; r < l.n; r++) {
		if (w && !strcmp(l.v[w - 1].path, l.v[r].path)) {
			free(l.v[r].path);
			free(l.v[r].target);
			continue;
		}
		l.v[w++] = l.v[r];
	}
	l.n = w;
	*files = l.v;
	*nfiles = l.n;
	return l.errors ? -1 : 0;
}

void tfiles_free(struct tfile *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].target);
	}
	free(f);
}
