/*
 * rt.h - the runtime's base: types, errno values, string helpers, logging.
 *
 * The runtime is freestanding C: no libc, no host allocator, nothing that could
 * call into the application's libc. Everything a runtime file needs that a
 * hosted program would take from <string.h> or <stdio.h> is declared here and
 * implemented in runtime/lib/. Constants come from the kernel's UAPI headers
 * (linux-libc-dev), which describe the ABI and contain no code.
 *
 * Conventions: functions that can fail return a negative errno value
 * (-ENOENT); 0 or a positive value means success.
 */
#ifndef COFFER_RT_H
#define COFFER_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm-generic/errno.h>

typedef long ssize_t;

#define RT_UNUSED __attribute__((unused))
#define RT_NORETURN __attribute__((noreturn))
#define RT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define RT_LIKELY(x) __builtin_expect(!!(x), 1)
#define RT_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* On the path of every system call (grouped in .text.hot; entry.S says why). */
#define RT_HOT __attribute__((hot))
#define RT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define RT_ALIGN_UP(x, a) (((x) + (a)-1) & ~((uintptr_t)(a)-1))
#define RT_ALIGN_DOWN(x, a) ((x) & ~((uintptr_t)(a)-1))
#define RT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RT_MAX(a, b) ((a) > (b) ? (a) : (b))
#define RT_PAGE_SIZE 4096UL
#define RT_PATH_MAX 4096

/* -- string.c: the few libc routines the compiler and BearSSL also expect -- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
bool str_starts(const char *s, const char *prefix);
/* Copy at most size-1 bytes and always terminate; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t size);

/* -- fmt.c: a small snprintf (%d %i %u %x %X %o %p %s %c %%, with l/ll/z,
 * width, '0' and '-' flags, and .precision for strings). -- */
int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int rt_snprintf(char *buf, size_t size, const char *fmt, ...) RT_PRINTF(3, 4);
/* Parse a decimal number; returns false on junk or overflow. */
bool rt_parse_long(const char *s, long *out);

/* -- log.c -- */
enum rt_log_level { RT_LOG_ERROR = 0, RT_LOG_WARN = 1, RT_LOG_INFO = 2, RT_LOG_DEBUG = 3 };
/* Set once at boot, read-only afterwards. */
extern int rt_log_level;
/* The log fd before the first process exists (then: rt_proc.log_fd). */
extern int rt_boot_log_fd;
void rt_log(int level, const char *fmt, ...) RT_PRINTF(2, 3);
/* Write raw bytes to the runtime's log stream (the host stderr at start). */
void rt_log_write(const char *buf, size_t len);
RT_NORETURN void rt_panic(const char *fmt, ...) RT_PRINTF(1, 2);
const char *rt_errno_name(long err); /* "ENOENT" for 2, NULL if unknown */

#define log_error(...) rt_log(RT_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) rt_log(RT_LOG_WARN, __VA_ARGS__)
#define log_info(...) \
	do { if (rt_log_level >= RT_LOG_INFO) rt_log(RT_LOG_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) \
	do { if (rt_log_level >= RT_LOG_DEBUG) rt_log(RT_LOG_DEBUG, __VA_ARGS__); } while (0)

#define RT_ASSERT(c)                                                              \
	do {                                                                      \
		if (RT_UNLIKELY(!(c)))                                            \
			rt_panic("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__); \
	} while (0)

/* -- alloc.c: the runtime heap, inside the runtime's reserved memory. -- */
void *rt_alloc(size_t size);        /* NULL when out of memory */
void *rt_zalloc(size_t size);
void rt_free(void *p);
char *rt_strdup(const char *s);
/* Fork safety: hold the heap lock across a host fork. */
void rt_alloc_lock(void);
void rt_alloc_unlock(void);

#endif
