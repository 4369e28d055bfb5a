/*
 * coffer.c - the `coffer` command: entry point and subcommand dispatch.
 *
 * Hosted C (glibc). Each subcommand lives in its own file and has the shape
 * `int cmd_NAME(int argc, char **argv)` with argv[0] the subcommand name.
 * Exit codes are documented in docs/cli.md and in `coffer --help`.
 *
 * This file is built twice (meson.build). coffer-launcher is built with
 * COFFER_LAUNCHER: statically linked, with nothing but libc, it does `run`,
 * --help and --version, and replaces itself (execv) with coffer-tools for
 * every other command. coffer-tools is the same dispatch with every command,
 * linked with OpenSSL and libyaml. The split is for start-up time: mapping
 * and relocating libcrypto costs a few milliseconds, which every `coffer run`
 * (and so every program start under Coffer) would otherwise pay
 * (docs/performance.md, "Start-up"). The user sees one command.
 *
 * `coffer` is the enclave image, which keeps a plain development run and
 * execs coffer-launcher for every other command line (docs/cli.md).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coffer.h"
#include "util.h"

#ifdef COFFER_LAUNCHER
#define TOOL(fn) NULL /* in coffer-tools */
#else
#define TOOL(fn) fn
#endif

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "run a program inside the enclave boundary" },
	{ "keygen", TOOL(cmd_keygen), "make an RSA-3072 (exponent 3) signing key" },
	{ "sign", TOOL(cmd_sign), "turn a YAML manifest into a signed bundle" },
	{ "measure", TOOL(cmd_measure), "print and check a bundle's identity" },
	{ "sigstruct", TOOL(cmd_sigstruct), "decode any SIGSTRUCT" },
	{ "manifest", TOOL(cmd_manifest), "record a manifest from a development run" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: coffer COMMAND [OPTIONS] [ARGS...]\n"
		"\n"
		"Run unmodified Linux programs inside an SGX enclave boundary.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  -h, --help     show this help\n"
		"  --version      show the version and platform\n"
		"\n"
		"Run `coffer COMMAND --help` for a command's options.\n"
		"\n"
		"Exit status of `coffer run`: the program's own status (it runs in coffer's\n"
		"process: killed by signal N, it is seen killed as natively; 128+N where\n"
		"coffer stays its parent); 125 if the enclave could not start, its identity\n"
		"did not verify or the file is not a signed bundle; 126 if the program\n"
		"cannot be executed; 127 if it was not found; 134 on an internal error.\n"
		"Other commands: 0 success, 1 failure, 3 malformed manifest.\n"
		"All commands: 2 for a usage error (docs/cli.md).\n");
}

/* A command that lives in coffer-tools: become it, with the same arguments. */
static int exec_tools(char **argv)
{
	char path[PATH_MAX];

	if (find_libexec("coffer-tools", "COFFER_TOOLS", path, sizeof path)) {
		fprintf(stderr, "coffer: cannot find coffer-tools, which does `coffer %s` (looked next to %s); "
				"set COFFER_TOOLS\n", argv[1], path);
		return COFFER_EXIT_FAIL;
	}
	execv(path, argv);
	fprintf(stderr, "coffer: cannot start %s: %s\n", path, strerror(errno));
	return COFFER_EXIT_FAIL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return COFFER_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("coffer %s (platform: direct, simulated SGX)\n", COFFER_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn ? commands[i].fn(argc - 1, argv + 1) : exec_tools(argv);
	fprintf(stderr, "coffer: unknown command '%s'; see `coffer --help`\n", cmd);
	return COFFER_EXIT_USAGE;
}
