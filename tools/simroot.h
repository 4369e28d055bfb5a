/*
 * simroot.h - where the sgx-sim platform's simulated CPU secret lives on the
 * host, and how it is read or made (docs/platforms.md, "Keys and local
 * attestation on sgx-sim").
 *
 * A real CPU derives every EGETKEY and EREPORT key from fused secrets no
 * software can read, the same for every enclave on the package and for its
 * whole life. The simulator needs the same: a secret per machine, stable
 * across runs (data sealed yesterday unseals today), private to its owner.
 * It is a file of 72 bytes (common/sgx.h, SGX_SIM_ROOT_FILE_SIZE) made once
 * from getrandom() with mode 0600 in a 0700 directory:
 *
 *     $COFFER_SGX_SIM_ROOT, else $XDG_STATE_HOME/coffer/sgx-sim-root,
 *     else $HOME/.local/state/coffer/sgx-sim-root
 *
 * Not /etc/machine-id: it is world-readable (every local user could derive
 * every simulated enclave's keys) and is meant as an identifier, not a
 * secret. The launcher reads the file and hands the bytes to the sgx-sim
 * host through an inherited descriptor; the host parses them with
 * sgx_sim_root_parse and draws the per-boot REPORT KEYID itself.
 */
#ifndef COFFER_TOOLS_SIMROOT_H
#define COFFER_TOOLS_SIMROOT_H

#include <stddef.h>

#include "../common/sgx.h"

/* The file's path from the environment; 0, or -1 with a message in err. */
int simroot_path(char *out, size_t n, char *err, size_t errn);

/* Read the root at path, making it first if it does not exist (two
 * processes racing to make it end up with the same one). Refuses a file
 * that is not a regular file owned by the caller, that others may read or
 * write, a symbolic link, or one of the wrong size or magic. 0, or -1 with
 * a message naming the path and what to do in err. report_keyid is left
 * zero. */
int simroot_load(const char *path, struct sgx_sim_root *root, char *err, size_t errn);

#endif
