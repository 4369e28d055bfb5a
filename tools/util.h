/*
 * util.h - small helpers shared by the coffer subcommands.
 */
#ifndef COFFER_TOOLS_UTIL_H
#define COFFER_TOOLS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A helper executable of the coffer command: $ENV_NAME if set, else `name`
 * next to this executable, else in ../libexec/coffer/. Returns 0 and the
 * path, or -1 (out then names the directory where it looked). */
int find_libexec(const char *name, const char *env_name, char *out, size_t n);
/* The enclave image, coffer-enclave ($COFFER_ENCLAVE). */
int find_enclave(char *out, size_t n);
/* Read a whole regular file (up to max bytes); returns 0, or -1 with errno
 * set (EISDIR for a directory, EINVAL for another kind of file, EFBIG if it
 * is larger than max). */
int read_file(const char *path, size_t max, uint8_t **data, size_t *len);
/* Write a file through a temporary name and rename, with mode; 0 or -1. */
int write_file(const char *path, const void *data, size_t len, unsigned mode);
void hex(const uint8_t *p, size_t n, char *out); /* out: 2n+1 chars */

#endif
