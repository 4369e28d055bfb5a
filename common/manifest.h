/*
 * manifest.h - the canonical binary manifest: what `coffer sign` writes from
 * the owner's YAML and what the runtime reads and enforces. It is measured
 * into MRENCLAVE, so every byte of it is covered by the signature.
 *
 * Layout (integers little-endian, every offset relative to the start):
 *   header   magic "COFFMANI", u32 version, u32 total size,
 *            u32 section count, u32 zero, then the section table:
 *            per section u32 type, u32 offset, u32 size, u32 count
 *   STRINGS  NUL-terminated strings; everything else names strings by offset
 *   CONFIG   one struct man_config (fixed size)
 *   ARGV     count u32 string offsets: argv, argv[0] first
 *   ENV      count u32 string offsets: "NAME=VALUE"
 *   ENV_HOST count u32 string offsets: names passed through from the host
 *   MOUNTS   count struct man_mount
 *   FILES    count struct man_file (64 bytes), sorted by path (bytewise, strictly
 *            increasing): the contents of every trusted mount as signed
 *
 * The reader (man_open) validates everything once: sections inside the
 * blob, in order and not overlapping, every string offset inside STRINGS and
 * terminated there, enum values known, files sorted and inside a trusted
 * mount, mount paths absolute, normalized and disjoint. After that the
 * accessors can be used without further checks. Freestanding, no allocation.
 */
#ifndef COFFER_COMMON_MANIFEST_H
#define COFFER_COMMON_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAN_MAGIC "COFFMANI"
#define MAN_VERSION 1
#define MAN_MAX_SIZE (256u << 20)
/* enclave threads (one TCS each); every message says "from 1 to 4096" */
#define MAN_MIN_THREADS 1u
#define MAN_MAX_THREADS 4096u
/* The most mounts a manifest may have (the runtime adds /proc and /dev of
 * its own). The runtime's table grows as needed; the limit keeps boot, which
 * checks every pair of mounts for overlap, fast. man_open refuses more, and
 * `coffer sign` says so at the YAML's `mounts` (man_mounts_fault). */
#define MAN_MAX_MOUNTS 1024
#define MAN_HEADER_SIZE 24u
#define MAN_SECTION_SIZE 16u

enum man_section {
	MAN_STRINGS = 1,
	MAN_CONFIG = 2,
	MAN_ARGV = 3,
	MAN_ENV = 4,
	MAN_ENV_HOST = 5,
	MAN_MOUNTS = 6,
	MAN_FILES = 7,
	MAN_SECTION_MAX = 7,
};

enum man_host_args { MAN_ARGS_NONE = 0, MAN_ARGS_APPEND = 1 };

/* CONFIG: 48 bytes */
struct man_config {
	uint32_t entrypoint; /* string: absolute path of the program */
	uint32_t cwd;        /* string: absolute working directory */
	uint64_t enclave_size;
	uint32_t threads;
	uint32_t flags; /* MAN_F_* */
	uint16_t isvprodid;
	uint16_t isvsvn;
	uint32_t host_args; /* enum man_host_args */
	uint32_t hostname;   /* string: the enclave's host name ("": localhost) */
	uint32_t domainname; /* string: its domain name ("": "(none)") */
	/* XSAVE features the application uses beyond x87 and SSE: SECS.XFRM is
	 * SGX_XFRM_LEGACY | xsave (common/sgx.h: AVX, AVX-512, PKRU, AMX). 0 in
	 * a manifest written before the key existed, which keeps its bytes. */
	uint32_t xsave;
	uint8_t reserved[4];
};
/* Longest host or domain name (Linux's __NEW_UTS_LEN); printable ASCII. */
#define MAN_UTS_NAME_MAX 64u
#define MAN_F_DEBUG 1u
#define MAN_F_TERMINAL 2u /* may make pseudo-terminals (/dev/ptmx) */
#define MAN_F_EXINFO 4u   /* MISCSELECT.EXINFO: fault details in the SSA */

enum man_mount_type {
	MAN_MOUNT_TRUSTED = 1,
	MAN_MOUNT_PASSTHROUGH = 2,
	MAN_MOUNT_TMPFS = 3,
	MAN_MOUNT_ENCRYPTED = 4, /* reserved: refused by this version */
	MAN_MOUNT_SHM = 5,       /* shared memory of the run's processes, in host memory */
};

/* MOUNTS entry: 16 bytes */
struct man_mount {
	uint32_t type;   /* enum man_mount_type */
	uint32_t path;   /* string: where it appears in the enclave */
	uint32_t source; /* string: host path ("" for tmpfs) */
	uint32_t flags;  /* MAN_MOUNT_F_* */
};
#define MAN_MOUNT_F_READONLY 1u

enum man_file_kind { MAN_FILE_REG = 1, MAN_FILE_DIR = 2, MAN_FILE_SYMLINK = 3 };

/* FILES entry: 64 bytes */
struct man_file {
	uint32_t path;   /* string: absolute path in the enclave */
	uint32_t kind;   /* enum man_file_kind */
	uint64_t size;   /* regular files: bytes */
	uint32_t target; /* string: symlink target, else 0 ("") */
	uint32_t mode;   /* permission bits (0777 etc.) as signed */
	uint8_t sha256[32];
	uint64_t mtime;  /* modification time as signed (seconds) */
};
#define MAN_FILE_SIZE 64u

/* A validated manifest: views into the caller's bytes. */
struct manifest {
	const uint8_t *raw;
	size_t size;
	const char *strings;
	uint32_t strings_size;
	struct man_config config;
	const uint8_t *argv, *env, *env_host, *mounts, *files;
	uint32_t nargv, nenv, nenv_host, nmounts, nfiles;
};

/* Validate; returns 0, or -1 with a static reason and the byte offset where
 * it was found. */
int man_open(struct manifest *m, const void *raw, size_t size, const char **why, size_t *where);

/* Accessors (valid indexes only). */
const char *man_str(const struct manifest *m, uint32_t off);
const char *man_argv(const struct manifest *m, uint32_t i);
const char *man_env(const struct manifest *m, uint32_t i);
const char *man_env_host(const struct manifest *m, uint32_t i);
void man_mount(const struct manifest *m, uint32_t i, struct man_mount *out);
void man_file(const struct manifest *m, uint32_t i, struct man_file *out);

/* Why a manifest with n mounts cannot run, or NULL if it can: the one
 * check of the mount count, shared by man_open and `coffer sign`. */
const char *man_mounts_fault(uint32_t n);

/* Binary search FILES; returns the index or -1. */
long man_find_file(const struct manifest *m, const char *path);
/* Where the paths below `dir` + "/" start in FILES (for listing a
 * directory): the first index whose path sorts at or after dir + "/". The
 * caller stops at the first path that is not below dir. */
uint32_t man_first_under(const struct manifest *m, const char *dir);

/* ---- writer (used by `coffer sign`) -------------------------------------- */

/* The writer builds the sections in caller-provided growable buffers; it is
 * hosted-only (tools/) and lives in tools/manifest_write.c. */

#endif
