/*
 * ocalls_host.c - the host half of the OCALL layer's test: the server
 * (platform/sgx/host/ocall_server.c) behind the test enclave's ECALLs
 * (ocalls.c), honest against a temporary directory, a pipe and a futex
 * word of this process, then lying (struct t_lie): each lie is made after
 * the real call, on the result or in the untrusted buffer, as a hostile
 * host would, and the enclave must refuse it without a crash.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "../../platform/sgx/host/ocall_server.h"
#include "../../platform/sgx/host/sim.h"
#include "check.h"
#include "test.h"
#include "../../platform/sgx/ocall_table.h" /* last: its short macro names */

struct t_ubuf {
	uint64_t lo, len;
	struct sim_thread *t;
};

static int lie_mode;
static uint64_t lie_addr; /* an address in ELRANGE, for T_LIE_PTR */

/* The server, and the lie of the moment after it. */
static long serve(void *ctx, long code, uint64_t frame)
{
	const struct t_ubuf *u = ctx;
	/* the server itself is freestanding and leaves %fs alone: it runs
	 * with the enclave's FS/GS under the fast variant (sim_fast) */
	long r = oc_serve(u->lo, u->len, code, frame);
	if (!lie_mode || r < 0)
		return r;
	sim_host_tls(u->t); /* the lies call libc */
	const struct oc_frame *h = (const struct oc_frame *)frame;
	switch (lie_mode) {
	case T_LIE_LEN:
		if (code == OC_PREAD)
			r = (long)h->arg[2] + 1000;
		break;
	case T_LIE_FD_NEG:
	case T_LIE_FD_HUGE:
		if (code == OC_OPENAT) {
			close((int)r);
			r = lie_mode == T_LIE_FD_NEG ? -5000 : 1L << 30;
		}
		break;
	case T_LIE_STAT:
		if (code == OC_FSTAT) {
			uint32_t mode = 0170644; /* no file type has these bits */
			memcpy((char *)frame + h->arg[1] + 24, &mode, 4);
		}
		break;
	case T_LIE_DENTS:
		if (code == OC_GETDENTS && r > 0) {
			uint16_t reclen = (uint16_t)(r + 8);
			memcpy((char *)frame + h->arg[1] + 16, &reclen, 2);
		}
		break;
	case T_LIE_PTR:
		if (code == OC_MMAP_UNTRUSTED) {
			munmap((void *)r, h->arg[1]);
			r = (long)lie_addr;
		}
		break;
	case T_LIE_FWD_PTR:
		if (code == OC_FORWARD && h->nr == SYS_mmap) {
			munmap((void *)r, h->arg[1]);
			r = (long)lie_addr;
		}
		break;
	case T_LIE_READLINK:
		if (code == OC_READLINKAT)
			r = (long)h->arg[3] + 1;
		break;
	case T_LIE_PEERLEN:
		if (code == OC_GETPEERNAME) {
			uint32_t len = 1 << 20;
			memcpy((char *)frame + h->arg[2], &len, 4);
		}
		break;
	}
	return r;
}

static uint32_t futex_word;
static long futex_result = 99;

static void *waiter(void *arg)
{
	(void)arg;
	long r = syscall(SYS_futex, &futex_word, FUTEX_WAIT, 0, NULL, NULL, 0);
	__atomic_store_n(&futex_result, r, __ATOMIC_RELEASE);
	return NULL;
}

static void make_dir(char *dir)
{
	strcpy(dir, "/tmp/coffer-sgxsim-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	char path[256];
	snprintf(path, sizeof path, "%s/a", dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, T_OC_FILE_DATA, strlen(T_OC_FILE_DATA)) != (ssize_t)strlen(T_OC_FILE_DATA)) {
		perror(path);
		exit(1);
	}
	close(fd);
	snprintf(path, sizeof path, "%s/link", dir);
	if (symlink("a", path)) {
		perror(path);
		exit(1);
	}
}

static void remove_dir(const char *dir)
{
	char path[256];
	snprintf(path, sizeof path, "%s/a", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/link", dir);
	unlink(path);
	rmdir(dir);
}

/* The rows are consistent: a length argument is a value, an out-buffer's
 * result is its count, an OUTL's size is a socklen. NULL, or the row at
 * fault. */
static const char *table_lint(void)
{
	for (int c = OC_NONE + 1; c < OC_COUNT; c++) {
		const struct oc_row *r = &oc_rows[c];
		if (!r->name)
			return "(a code without a row)";
		uint32_t rk = r->res & 0xff, rp = OC_PARAM(r->res);
		if (rk != OCR_ANY && (rp > 5 || OC_KIND(r->arg[rp]) != OCK_V))
			return r->name;
		bool len_has_buf = rk != OCR_LEN;
		for (int i = 0; i < 6; i++) {
			uint32_t k = OC_KIND(r->arg[i]), p = OC_PARAM(r->arg[i]);
			switch (k) {
			case OCK_IN:
			case OCK_OUT:
				if (p > 5 || OC_KIND(r->arg[p]) != OCK_V)
					return r->name;
				if (k == OCK_OUT && (rk != OCR_LEN || rp != p))
					return r->name;
				if (rk == OCR_LEN && rp == p)
					len_has_buf = true;
				break;
			case OCK_UPTRL:
				if (p > 5 || OC_KIND(r->arg[p]) != OCK_V)
					return r->name;
				break;
			case OCK_OUTL:
				if (p > 5 || r->arg[p] != INOUTF(4))
					return r->name;
				break;
			case OCK_INF:
			case OCK_OUTF:
			case OCK_INOUTF:
			case OCK_UPTR:
				if (!p)
					return r->name;
				break;
			}
		}
		if (!len_has_buf)
			return r->name;
	}
	return NULL;
}

/* The OCALL layer's tests on TCS `tcs`; `spare` and `spare2` are TCSs
 * that may be left unusable (the checking build's stops). */
void t_ocall_tests(struct sim_thread *t, uint64_t tcs, uint64_t spare, uint64_t spare2, uint64_t *ubuf,
		   size_t len, uint64_t enclave_base, bool checking)
{
	struct t_ubuf u = { (uint64_t)ubuf, len, t };
	char dir[64];
	long e, r;

	const char *bad = table_lint();
	CHECK(!bad, "the OCALL table's %d rows are consistent (%s)", OC_COUNT - 1, bad ? bad : "");

	make_dir(dir);
	strcpy((char *)ubuf, dir);
	e = sim_ecall(t, tcs, T_EC_OC_FILES, ubuf, len, serve, &u, &r);
	CHECK(!e && r == 0,
	      "OCALL layer: openat, getdents, pread, fstat, fstatat, readlinkat, close on a temp dir (%ld %ld)", e,
	      r);

	struct timespec ts;
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
	e = sim_ecall(t, tcs, T_EC_OC_TIME, ubuf, len, serve, &u, &r);
	CHECK(!e && r >= ts.tv_sec && r <= ts.tv_sec + 3600, "OCALL layer: clock_gettime %ld (host %ld)", r,
	      (long)ts.tv_sec);

	e = sim_ecall(t, tcs, T_EC_OC_PIPE, ubuf, len, serve, &u, &r);
	CHECK(!e && r == 0, "OCALL layer: pipe2, write, read; a write larger than the buffer is short (%ld %ld)", e,
	      r);

	pthread_t w;
	futex_word = 0;
	pthread_create(&w, NULL, waiter, NULL);
	ubuf[0] = (uint64_t)&futex_word;
	e = sim_ecall(t, tcs, T_EC_OC_FUTEX, ubuf, len, serve, &u, &r);
	if (e || r != 1) /* not woken by the enclave: do not hang on it */
		while (__atomic_load_n(&futex_result, __ATOMIC_ACQUIRE) == 99)
			syscall(SYS_futex, &futex_word, FUTEX_WAKE, 1, NULL, NULL, 0);
	pthread_join(w, NULL);
	CHECK(!e && r == 1 && futex_result == 0,
	      "OCALL layer: futex wake of a host waiter (%ld %ld, waiter %ld); an enclave word is refused", e, r,
	      futex_result);

	e = sim_ecall(t, tcs, T_EC_OC_FORWARD, ubuf, len, serve, &u, &r);
	CHECK(!e && r == 0, "plat_forward: getpid, uname into untrusted memory; pointers into ELRANGE refused (%ld %ld)",
	      e, r);

	static const struct {
		int mode;
		long want;
		const char *what;
	} lies[] = {
		{ T_LIE_LEN, -EIO, "pread answers more bytes than asked" },
		{ T_LIE_FD_NEG, -EIO, "openat answers -5000" },
		{ T_LIE_FD_HUGE, -EIO, "openat answers fd 2^30" },
		{ T_LIE_STAT, -EIO, "fstat answers a mode of no file type" },
		{ T_LIE_DENTS, -EIO, "getdents answers a record length past the count" },
		{ T_LIE_PTR, -EFAULT, "mmap of untrusted memory answers an address in ELRANGE" },
		{ T_LIE_READLINK, -EIO, "readlinkat answers one byte more than the buffer" },
		{ T_LIE_PEERLEN, -EIO, "getpeername answers an address length past the buffer" },
		{ T_LIE_FWD_PTR, -EFAULT, "a forwarded mmap answers an address in ELRANGE" },
	};
	lie_addr = enclave_base + 4096;
	for (unsigned i = 0; i < sizeof lies / sizeof lies[0]; i++) {
		struct { uint64_t mode; char dir[248]; } *l = (void *)ubuf;
		l->mode = (uint64_t)lies[i].mode;
		strcpy(l->dir, dir);
		lie_mode = lies[i].mode;
		e = sim_ecall(t, tcs, T_EC_OC_LIE, ubuf, len, serve, &u, &r);
		lie_mode = 0;
		CHECK(!e && r == lies[i].want, "lying host: %s: refused in the enclave with a log line (%ld %ld)",
		      lies[i].what, e, r);
	}
	remove_dir(dir);

	/* the enclave's own bug: an untrusted buffer in ELRANGE */
	e = sim_ecall(t, spare, T_EC_OC_BUG, ubuf, len, serve, &u, &r);
	if (checking)
		CHECK(e == -SIM_EFAULT, "checking build: an OCALL block in ELRANGE stops the thread before the exit (%ld)",
		      e);
	else
		CHECK(!e && r == -EFAULT, "an OCALL block outside the thread's buffer is refused by the host (%ld %ld)",
		      e, r);
	e = sim_ecall(t, spare2, T_EC_OC_BUG_IOV, ubuf, len, serve, &u, &r);
	if (checking)
		CHECK(e == -SIM_EFAULT, "checking build: a forwarded iovec naming enclave memory stops the thread (%ld)",
		      e);
	else
		CHECK(!e && r == -EBADF, "a forwarded iovec's contents are not looked at outside the checking build (%ld %ld)",
		      e, r);
}

/* The cost of one OCALL through the table (getpid), CPU time per call. */
void t_ocall_bench(struct sim_thread *t, uint64_t tcs, uint64_t *ubuf, size_t len, double (*now)(void))
{
	struct t_ubuf u = { (uint64_t)ubuf, len, t };
	long r;
	double t0 = now();
	sim_ecall(t, tcs, T_EC_BENCH_OC, ubuf, len, serve, &u, &r);
	double t1 = now();
	printf("bench: plat_host_getpid through the OCALL table (marshal, EEXIT, server, EENTER, checks): %.0f ns CPU "
	       "each (%ld)\n",
	       (t1 - t0) * 1e9 / T_BENCH_ROUNDS, r);
}
