/*
 * bootblock.h - the start state handed to a new enclave.
 *
 * `coffer run` (hosted) and the runtime's execve (freestanding) both start an
 * enclave image by writing a boot block into a host file descriptor and passing
 * its number on the enclave's command line (docs/design.md, boot steps 1, 4):
 * never through the environment. The block says what to run (program, argv,
 * env, cwd), how (log level, trace), and carries the runtime state that
 * survives execve (open file descriptors, umask, signal mask).
 *
 * Layout (all integers little-endian):
 *   header   magic "COFFBOOT", u32 version, u32 total size in bytes
 *   records  u16 type, u16 zero, u32 payload length, payload, zero padding to 8
 * Strings are stored with their terminating NUL, which the reader checks.
 * Unknown record types are skipped, so a newer writer can add records.
 *
 * Freestanding, no allocation: the writer fills a caller's buffer (pass a NULL
 * buffer to measure), the reader walks a caller's buffer with bounds checks.
 */
#ifndef COFFER_COMMON_BOOTBLOCK_H
#define COFFER_COMMON_BOOTBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_MAGIC "COFFBOOT"
#define BB_VERSION 1
#define BB_HEADER_SIZE 16
#define BB_MAX_SIZE (64u << 20) /* sanity bound for readers */

enum bb_type {
	BB_FLAGS = 1,     /* u32: BB_F_* */
	BB_LOG_LEVEL = 2, /* u32: 0 error .. 3 debug */
	BB_LOG_FD = 3,    /* i32: host fd of the log stream, -1 for none */
	BB_PROGRAM = 4,   /* string: path of the program to run (as given) */
	BB_ARG = 5,       /* string, repeated: argv in order */
	BB_ENV = 6,       /* string, repeated: environment in order */
	BB_CWD = 7,       /* string: absolute working directory */
	BB_UMASK = 8,     /* u32 */
	BB_SIGMASK = 9,   /* u64: the application's blocked signals */
	BB_FD = 10,       /* u32 fd, u32 kind (BB_FD_*), u64 position, string path ("" if unknown) */
	BB_SIGIGN = 11,   /* u64: signals the application ignores (kept by execve) */
	BB_MANIFEST = 12, /* bytes: the binary manifest of a signed bundle */
	BB_SIGSTRUCT = 13, /* bytes: its SIGSTRUCT (1808) */
	BB_EXPECT_MRENCLAVE = 14, /* 32 bytes: refuse to start with another MRENCLAVE */
	BB_EXPECT_MRSIGNER = 15,  /* 32 bytes: refuse to start with another MRSIGNER */
	BB_RECORD_FD = 16, /* i32: host fd to append "K path" lines to (manifest record) */
	BB_PIDTAB_FD = 17, /* i32: host fd of the process registry (runtime/proc/pidtab.c) */
};

enum bb_fd_kind {
	BB_FD_HOST = 0,    /* a host file: the fd is the application's as it is */
	BB_FD_TRUSTED = 1, /* a trusted file: reopened (and verified) by path */
};

enum bb_flags {
	BB_F_DEV_RUN = 1u << 0, /* development run: host root passed through */
	BB_F_TRACE = 1u << 1,   /* print every intercepted system call */
	BB_F_FIRST = 1u << 2,   /* first enclave of this run (not an execve) */
	BB_F_NO_PATCH = 1u << 3, /* do not patch call sites (COFFER_PATCH=0) */
	/* Testing switch of the direct platform (COFFER_MEMORY): serve the
	 * application's memory from a range as on sgx (PLAT_APP_MEM_RANGE),
	 * or from a range of fixed RWX pages as on SGX1 (PLAT_APP_MEM_FIXED). */
	BB_F_MEM_RANGE = 1u << 4,
	BB_F_MEM_FIXED = 1u << 5,
	BB_F_BOUNDARY_COPY = 1u << 6,  /* forwarded calls copy every buffer (COFFER_BOUNDARY=copy) */
	BB_F_BOUNDARY_CHECK = 1u << 7, /* and assert no host pointer is the runtime's (=check) */
};

struct bb_writer {
	uint8_t *buf; /* NULL to measure only */
	size_t cap;
	size_t len;
};

void bb_writer_init(struct bb_writer *w, void *buf, size_t cap);
void bb_put(struct bb_writer *w, enum bb_type type, const void *data, size_t len);
void bb_put_u32(struct bb_writer *w, enum bb_type type, uint32_t v);
void bb_put_u64(struct bb_writer *w, enum bb_type type, uint64_t v);
void bb_put_str(struct bb_writer *w, enum bb_type type, const char *s);
void bb_put_fd(struct bb_writer *w, uint32_t fd, uint32_t kind, uint64_t pos, const char *path);
/* Writes the header. Returns the total size, or 0 if it did not fit in cap
 * (w->len then holds the size needed). */
size_t bb_finish(struct bb_writer *w);

struct bb_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

struct bb_record {
	enum bb_type type;
	const uint8_t *data;
	uint32_t len;
};

/* Checks the header; returns 0 or a negative errno (-EINVAL malformed,
 * -EPROTO unsupported version). */
int bb_reader_init(struct bb_reader *r, const void *buf, size_t len);
/* Returns 1 and fills rec, 0 at the end, or -EINVAL if a record is malformed. */
int bb_next(struct bb_reader *r, struct bb_record *rec);

/* Typed accessors for a record's payload; they return false if the payload
 * does not have the shape the type requires. */
bool bb_get_u32(const struct bb_record *rec, uint32_t *v);
bool bb_get_u64(const struct bb_record *rec, uint64_t *v);
bool bb_get_str(const struct bb_record *rec, const char **s);
bool bb_get_fd(const struct bb_record *rec, uint32_t *fd, uint32_t *kind, uint64_t *pos, const char **path);

#endif
