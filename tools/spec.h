/*
 * spec.h - the manifest as its owner wrote it (YAML), in memory, and the
 * steps from it to the signed bundle:
 *
 *   spec_load         YAML file -> struct spec, every error with file:line:col
 *   spec_expand       walk the trusted mounts: files, directories, symlinks,
 *                     with SHA-256 and size (struct tfile, sorted by path)
 *   spec_to_manifest  struct spec + files -> canonical binary manifest
 *                     (common/manifest.h)
 *
 * Hosted code (glibc, libyaml, OpenSSL). The schema is documented in
 * docs/manifest.md; keep the two in step.
 */
#ifndef COFFER_TOOLS_SPEC_H
#define COFFER_TOOLS_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/manifest.h"

struct spec_mount {
	enum man_mount_type type;
	char *path;   /* in the enclave */
	char *source; /* on the host ("" for tmpfs) */
	bool readonly;
	/* trusted mounts with `files:`: only these paths below the mount
	 * (relative, canonical; a directory brings its whole tree) */
	char **files;
	size_t nfiles;
	bool listed;
	int line, col;
};

struct spec {
	char *file; /* the YAML file, for messages */
	char *entrypoint;
	int entry_line, entry_col;
	char **argv;
	size_t nargv;
	enum man_host_args host_args;
	char **env; /* "NAME=VALUE" */
	size_t nenv;
	char **host_env;
	size_t nhost_env;
	char *cwd;
	char *hostname, *domainname; /* NULL: the defaults (localhost, "(none)") */
	struct spec_mount *mounts;
	size_t nmounts;
	uint64_t enclave_size;
	int size_line, size_col; /* where enclave.size was given (0: default) */
	uint32_t threads;
	bool debug;
	bool terminal; /* may make pseudo-terminals */
	uint16_t isvprodid, isvsvn;
	uint32_t xsave; /* XFRM bits beyond x87 and SSE (enclave.xsave) */
	bool exinfo;    /* MISCSELECT.EXINFO (enclave.exinfo) */
};

#define SPEC_DEFAULT_SIZE (4ULL << 30)
#define SPEC_DEFAULT_THREADS 64

struct tfile {
	char *path; /* in the enclave */
	enum man_file_kind kind;
	uint64_t size;
	uint32_t mode;
	char *target; /* symlinks */
	uint8_t sha256[32];
	uint64_t mtime;
};

/* Each returns 0, or -1 after printing one line per problem to stderr
 * ("FILE:LINE:COL: message" for the YAML). spec_load returns SPEC_IO_ERROR
 * if the file cannot be read at all (a failure, not a malformed manifest). */
#define SPEC_IO_ERROR (-2)
int spec_load(const char *file, struct spec *out);
/* Times newer than clamp_mtime are recorded as clamp_mtime (UINT64_MAX: as
 * they are). */
int spec_expand(const struct spec *s, uint64_t clamp_mtime, struct tfile **files, size_t *nfiles);
int spec_to_manifest(const struct spec *s, const struct tfile *files, size_t nfiles, uint8_t **out, size_t *len);
void spec_free(struct spec *s);
void tfiles_free(struct tfile *f, size_t n);

/* Parse "4G", "512M", "1048576" into bytes; false if malformed. */
bool spec_parse_size(const char *s, uint64_t *out);

#endif
