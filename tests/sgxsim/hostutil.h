/* hostutil.h - what the sgx-sim test hosts (host.c, loadhost.c) share */
#ifndef COFFER_TESTS_SGXSIM_HOSTUTIL_H
#define COFFER_TESTS_SGXSIM_HOSTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* EINIT's RSA check (tools/crypto.c: the signature, then Q1/Q2 once more) */
int rsa_verify(const uint8_t *ss);
/* a whole file (at most 64 MiB), or exit */
uint8_t *slurp(const char *path, size_t *len);
/* the host binary's text: the one range SUD lets make system calls */
void text_range(uint64_t *lo, uint64_t *hi);

#endif
