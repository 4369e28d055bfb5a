/*
 * coffer.h - shared declarations of the `coffer` command's parts.
 */
#ifndef COFFER_TOOLS_H
#define COFFER_TOOLS_H

/* Exit codes (docs/cli.md). */
enum {
	COFFER_EXIT_FAIL = 1,      /* a tool command failed (I/O, a check) */
	COFFER_EXIT_USAGE = 2,     /* bad command line */
	COFFER_EXIT_MANIFEST = 3,  /* the manifest is malformed */
	COFFER_EXIT_ENCLAVE = 125, /* the enclave could not be started */
	COFFER_EXIT_NOEXEC = 126,  /* the program exists but cannot be run */
	COFFER_EXIT_NOTFOUND = 127 /* the program was not found */
};

int cmd_run(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_sigstruct(int argc, char **argv);
int cmd_manifest(int argc, char **argv);

#endif
