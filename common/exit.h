/*
 * exit.h - the exit statuses of `coffer` and of the enclave, defined once for
 * both sides of the boundary (the tools return them, the enclave image exits
 * with them, and `coffer run` passes the enclave's status on unchanged).
 * docs/cli.md is the user's table of them; keep the two in step.
 *
 * The 125/126/127 triple is the shells' and env(1)'s convention: 125 the
 * launcher itself failed, 126 the program exists but cannot be run, 127 it
 * was not found. Anything else from `coffer run` is the program's own status
 * (the program runs in coffer's process, so a signal that ends it ends that
 * process), or 128+N where coffer stays its parent and signal N ended it
 * (`manifest record`).
 */
#ifndef COFFER_COMMON_EXIT_H
#define COFFER_COMMON_EXIT_H

enum coffer_exit {
	COFFER_EXIT_OK = 0,
	COFFER_EXIT_FAIL = 1,      /* a tool command failed (I/O, a check) */
	COFFER_EXIT_USAGE = 2,     /* bad command line */
	COFFER_EXIT_MANIFEST = 3,  /* the manifest (YAML) is malformed */
	COFFER_EXIT_ENCLAVE = 125, /* the enclave could not start, or its identity did not verify */
	COFFER_EXIT_NOEXEC = 126,  /* the program exists but cannot be run */
	COFFER_EXIT_NOTFOUND = 127, /* the program was not found */
	COFFER_EXIT_SIGNAL = 128,  /* + N: ended by signal N */
	COFFER_EXIT_PANIC = 134,   /* the runtime stopped on an internal error (128 + SIGABRT) */
};

#endif
