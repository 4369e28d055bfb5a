/*
 * coffer.h - shared declarations of the `coffer` command's parts.
 */
#ifndef COFFER_TOOLS_H
#define COFFER_TOOLS_H

#include "../common/exit.h" /* exit codes (docs/cli.md) */

int cmd_run(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_sigstruct(int argc, char **argv);
int cmd_manifest(int argc, char **argv);

#endif
