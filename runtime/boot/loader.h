/*
 * loader.h - loading an application program as the kernel's execve would.
 *
 * Two steps, so that execve can fail cleanly before the point of no return:
 *   loader_resolve  follows `#!` lines (up to 4 levels, like Linux) to the ELF
 *                   file that will run, checks every file on the way (regular,
 *                   executable, an x86-64 ELF or a script), and gives the argv
 *                   the kernel would give;
 *   loader_load     maps that ELF and its PT_INTERP loader, builds the initial
 *                   stack (argv, envp, auxv) and the first register context.
 * Files are opened through the VFS, so the same mounts and checks apply to a
 * program as to any open().
 */
#ifndef COFFER_RT_LOADER_H
#define COFFER_RT_LOADER_H

#include "../../platform/platform.h"
#include "../lib/rt.h"

struct strvec {
	char **v;
	size_t n, cap;
	size_t bytes; /* total string bytes including NULs */
};

int strvec_push(struct strvec *s, const char *str);
void strvec_free(struct strvec *s);

struct loader_prog {
	char elf[RT_PATH_MAX]; /* absolute path of the ELF file to map */
	struct strvec argv;    /* final argv (shebang prefixes applied) */
	int fail_depth;        /* on failure: 0 the program itself, 1+ an interpreter */
};

/* `path` is the program as execve got it (absolute or relative to the cwd).
 * Takes ownership of nothing; fills prog (free prog->argv when done).
 * On failure returns -errno and writes a one-line reason into why. */
long loader_resolve(const char *path, const char *const *argv, size_t argc, struct loader_prog *prog,
		    char *why, size_t whylen);

struct loader_env {
	const char *execfn;          /* AT_EXECFN: the path as given */
	const char *const *envp;
	size_t envc;
	const struct plat_boot_info *bi;
	struct plat_proc_view view;  /* out: where argv, env and auxv went */
};

/* Map the program and build its start context. Returns 0 or -errno (the
 * address space may be half-built on failure: boot then exits). */
long loader_load(const struct loader_prog *prog, struct loader_env *env, struct kucontext *ctx,
		 char *why, size_t whylen);

#endif
