/*
 * cstring.h - the few C library functions common/ uses, declared once.
 *
 * common/ is compiled twice: into the hosted tools, where glibc supplies
 * these, and into the freestanding enclave image, where runtime/lib/string.c
 * does (the compiler may call memcpy and memset on its own there too). The
 * prototypes are the standard ones, so both definitions satisfy them; no
 * common/ file includes <string.h>, which the freestanding build lacks.
 */
#ifndef COFFER_COMMON_CSTRING_H
#define COFFER_COMMON_CSTRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
