/*
 * host.h - the runtime's checks on what the host answers to its own calls.
 *
 * Every plat_host_* result (platform.h, "the runtime's own host calls") is
 * untrusted: on sgx a hostile host picks it. The runtime passes each result
 * it uses through one of these before use. A result no honest Linux could
 * give becomes -EIO for that call, with a warning naming the call (the
 * runtime goes on; a lying host can only make calls fail). The list of
 * checks per call is in docs/platforms.md, "The boundary: the runtime's own
 * host calls"; tests/unit/test_host_checks.c feeds each check a lie.
 *
 * Shared by every subsystem; no state.
 */
#ifndef COFFER_RT_HOST_H
#define COFFER_RT_HOST_H

#include "../../platform/platform.h"
#include "rt.h"

/* Host fds the runtime accepts: below FD_MAX (runtime/fs/vfs.h asserts
 * they agree). */
#define HOST_FD_LIMIT (1L << 20)
/* Host process and thread ids: Linux's PID_MAX_LIMIT. */
#define HOST_PID_LIMIT (1L << 22)
#define HOST_ERRNO_MAX 4095L

/* Log that `call` gave `r`, which `why` refuses; returns -EIO. */
long host_refuse(const char *call, long r, const char *why);

/* Any result: a negative one must be an errno value. */
static inline long host_ret(const char *call, long r)
{
	if (RT_UNLIKELY(r < -HOST_ERRNO_MAX))
		return host_refuse(call, r, "not an errno value");
	return r;
}

/* 0 or -errno. */
static inline long host_zero(const char *call, long r)
{
	if (RT_UNLIKELY(r > 0))
		return host_refuse(call, r, "success is 0");
	return host_ret(call, r);
}

/* A count of bytes at most `max`. */
static inline long host_len(const char *call, long r, size_t max)
{
	if (RT_UNLIKELY(r > 0 && (unsigned long)r > max))
		return host_refuse(call, r, "more bytes than asked for");
	return host_ret(call, r);
}

/* A new host fd. */
static inline long host_fd(const char *call, long r)
{
	if (RT_UNLIKELY(r >= HOST_FD_LIMIT))
		return host_refuse(call, r, "fd out of range");
	return host_ret(call, r);
}

/* A host process, thread or group id. */
static inline long host_pid(const char *call, long r)
{
	if (RT_UNLIKELY(r <= 0 || r > HOST_PID_LIMIT))
		return host_refuse(call, r, "not a process id");
	return r;
}

/* A user or group id. */
static inline long host_id(const char *call, long r)
{
	if (RT_UNLIKELY(r < 0 || r > 0xffffffffL))
		return host_refuse(call, r, "not a user or group id");
	return r;
}

/* The process's effective ids and the time, for the runtime's own records
 * (file owners, timestamps): checked; a lie gives the overflow id 65534 and
 * time 0, with a warning. */
uint32_t host_euid(void);
uint32_t host_egid(void);
uint64_t host_realtime_sec(void);

/* The checks of the structured answers, in host.c. */
long host_stat(const char *call, long r, const struct kstat *st);
long host_statx(const char *call, long r, const struct kstatx *st);
long host_pair(const char *call, long r, const int fds[2]);
long host_dents(const char *call, long r, const void *buf, size_t len);
long host_time(const char *call, long r, const struct ktimespec *ts);
long host_rlimit(const char *call, long r, const struct krlimit *rl);
long host_utsname(const char *call, long r, const struct kutsname *u);
long host_cwd(const char *call, long r, const char *buf, size_t len);
long host_fits(const char *call, long r, unsigned len, unsigned max);
/* fcntl(F_GETFL): an access mode Linux has (read, write or both) and no
 * bit outside the open flags Linux keeps in f_flags. */
long host_getfl(const char *call, long r);

#endif
