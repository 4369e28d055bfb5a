/*
 * uaccess.h - the copy routines of uaccess.S, for mm.c's checked copies
 * (mm.h) only: they touch application memory between uaccess_begin and
 * uaccess_end, where a fault resumes at uaccess_fault with -EFAULT instead
 * of killing the process (uaccess_fixup).
 */
#ifndef COFFER_RT_UACCESS_H
#define COFFER_RT_UACCESS_H

#include "../lib/rt.h"

long uaccess_raw_copy(void *dst, const void *src, size_t n);
long uaccess_raw_strncpy(char *dst, const char *src, size_t max);
long uaccess_raw_get_u64(uint64_t *out, const void *src);
extern const char uaccess_begin[], uaccess_end[], uaccess_fault[];

#endif
