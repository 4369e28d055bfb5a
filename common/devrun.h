/*
 * devrun.h - the command line of a plain development run, which `coffer`
 * hands to the enclave image unchanged (docs/design.md, boot step 1):
 *
 *   coffer run [--trace | --log=LEVEL]... -- PROGRAM [ARGS...]
 *
 * with COFFER_LOG (a level or empty), COFFER_PATCH (0, 1 or empty) and
 * COFFER_MEMORY (host, enclave, sgx1 or empty) valid if set, and
 * COFFER_BOUNDARY and COFFER_FAULT unset or empty (those testing switches
 * take the ordinary path), and COFFER_PLATFORM unset, empty or direct (the
 * hosted path refuses a development run on sgx or sgx-sim). `coffer` is
 * the enclave image: a line that matches stays there, which builds its
 * boot state itself (platform/direct/devrun.c). Every other line (--help, --mrenclave,
 * `--log LEVEL`, an abbreviated option, a bad level, a bundle, no program)
 * goes to the hosted `coffer run` (tools/run.c, in coffer-launcher), which
 * explains what is wrong. Both must agree on which lines are plain (the
 * launcher execs the image with a boot block for the others), hence one
 * parser.
 *
 * Header-only and calling no C library function: the enclave has no libc.
 */
#ifndef COFFER_COMMON_DEVRUN_H
#define COFFER_COMMON_DEVRUN_H

#include <stdbool.h>

struct devrun {
	bool trace;    /* --trace */
	bool no_patch; /* COFFER_PATCH=0 */
	int memory;    /* COFFER_MEMORY: DEVRUN_MEM_HOST, _RANGE or _FIXED */
	int log_level; /* 0 error .. 3 debug, as tools/run.c numbers them */
	int prog;      /* argv[prog] is PROGRAM; its arguments follow */
};

/* COFFER_MEMORY as tools/run.c reads it: empty or host, enclave, sgx1. */
enum { DEVRUN_MEM_HOST, DEVRUN_MEM_RANGE, DEVRUN_MEM_FIXED };

/* The rest of s after prefix, or NULL if s does not start with it. */
static inline const char *devrun_after(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return (const char *)0;
	return s;
}

static inline bool devrun_eq(const char *a, const char *b)
{
	const char *rest = devrun_after(a, b);
	return rest && !*rest;
}

/* A level name as tools/run.c accepts it, or -1. */
static inline int devrun_level(const char *s)
{
	if (devrun_eq(s, "error"))
		return 0;
	if (devrun_eq(s, "warn") || devrun_eq(s, "warning"))
		return 1;
	if (devrun_eq(s, "info"))
		return 2;
	if (devrun_eq(s, "debug"))
		return 3;
	return -1;
}

/* Is argv (argv[0] the command, argv[1] "run") a plain development run?
 * Fills d if it is. The environment is read as getenv would: the first
 * entry of a name counts. */
static inline bool devrun_parse(int argc, char *const *argv, char *const *envp, struct devrun *d)
{
	bool seen_log = false, seen_patch = false, seen_mem = false;

	d->trace = false;
	d->no_patch = false;
	d->memory = DEVRUN_MEM_HOST;
	d->log_level = 1;
	for (char *const *e = envp; *e; e++) {
		const char *v;
		if (!seen_log && (v = devrun_after(*e, "COFFER_LOG="))) {
			seen_log = true;
			if (*v && (d->log_level = devrun_level(v)) < 0)
				return false;
		} else if (!seen_patch && (v = devrun_after(*e, "COFFER_PATCH="))) {
			seen_patch = true;
			if (*v && !devrun_eq(v, "0") && !devrun_eq(v, "1"))
				return false;
			d->no_patch = devrun_eq(v, "0");
		} else if (!seen_mem && (v = devrun_after(*e, "COFFER_MEMORY="))) {
			seen_mem = true;
			if (devrun_eq(v, "enclave"))
				d->memory = DEVRUN_MEM_RANGE;
			else if (devrun_eq(v, "sgx1"))
				d->memory = DEVRUN_MEM_FIXED;
			else if (*v && !devrun_eq(v, "host"))
				return false; /* the hosted path says what is wrong */
		} else if ((v = devrun_after(*e, "COFFER_PLATFORM="))) {
			/* any other value: the hosted path decides (getenv) */
			if (*v && !devrun_eq(v, "direct"))
				return false;
		} else if ((v = devrun_after(*e, "COFFER_BOUNDARY=")) || (v = devrun_after(*e, "COFFER_FAULT="))) {
			/* testing switches: the ordinary path reads and checks them */
			if (*v)
				return false;
		}
	}
	if (argc < 4 || !devrun_eq(argv[1], "run"))
		return false;
	for (int i = 2; i < argc; i++) {
		const char *v;
		if (devrun_eq(argv[i], "--")) {
			d->prog = i + 1;
			return i + 1 < argc;
		} else if (devrun_eq(argv[i], "--trace")) {
			d->trace = true;
		} else if ((v = devrun_after(argv[i], "--log=")) && devrun_level(v) >= 0) {
			d->log_level = devrun_level(v);
		} else {
			return false;
		}
	}
	return false;
}

#endif
