/*
 * run.h - starting a program in an enclave and waiting for it; shared by
 * `coffer run` and `coffer manifest record`.
 */
#ifndef COFFER_TOOLS_RUN_H
#define COFFER_TOOLS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bundle;

struct run_opts {
	bool trace;
	int log_level;
	bool no_patch; /* COFFER_PATCH=0 */
	uint32_t mem_flags; /* COFFER_MEMORY: BB_F_MEM_* */
	int boundary;  /* COFFER_BOUNDARY: 0 pass, 1 copy, 2 check */
	const char *fault; /* COFFER_FAULT: the lie a test host tells, or NULL */
	bool have_mre, have_mrs;
	uint8_t mre[32], mrs[32];
	int record_fd; /* development runs: where the runtime reports paths, or -1 */
	int platform;  /* --platform or COFFER_PLATFORM: RUN_PLATFORM_* */
};

/* Where a run goes (`coffer run --platform=`, COFFER_PLATFORM). */
enum { RUN_PLATFORM_DEFAULT, RUN_PLATFORM_DIRECT, RUN_PLATFORM_SGX, RUN_PLATFORM_SGX_SIM };

/* What the enclave starts from: a program (development run) or a bundle. */
struct run_target {
	const char *program; /* the program path, or the bundle's entrypoint */
	char **argv;         /* host arguments (a bundle: only if the manifest takes them) */
	const struct bundle *bundle; /* NULL for a development run */
};

/* The runtime log level from COFFER_LOG (default warn), or from --log=ARG;
 * the platform from COFFER_PLATFORM, or from --platform=ARG (what names
 * the value in a message). Each returns 0, or 2 (usage) after printing the
 * problem. */
int run_env_level(struct run_opts *o);
int run_parse_level(struct run_opts *o, const char *arg);
int run_parse_platform(struct run_opts *o, const char *arg, const char *what);

/* A development run of `name` (`coffer run -- PROGRAM`, `coffer manifest
 * record`): refuses, with exit status 125 after one line, what was meant as
 * a bundle: a pinned identity in o, a file with the bundle header, a name
 * ending in .coffer. Returns 0 if the run may go ahead. */
int run_check_development(const struct run_opts *o, const char *name);

/* Find PROGRAM as a shell would; returns 0 with its path in out, or the
 * exit status after printing the problem (127 not found, 126 not executable). */
int run_find_program(const char *name, char *out, size_t n);

/* Start the enclave. Without a record fd (`coffer run`) this process
 * becomes the enclave and the call returns only 125, if the enclave could
 * not be started. With one (`coffer manifest record`), or if this process
 * has children already, the enclave runs in a child and the call returns
 * the program's exit status (128+N if signal N killed it) or 125. name is
 * what messages call the program. */
int run_enclave(const struct run_opts *o, const struct run_target *t, const char *name);

#endif
