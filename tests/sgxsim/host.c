/*
 * host.c - the sgx-sim test: builds the test enclave (enclave.c, laid out
 * by tlayout.c, signed at build time by mksig.c) in ELRANGE with the
 * simulated CPU (platform/sgx/host), EINITs it, and checks every crossing:
 * OCALLs, #UD from `syscall` handled from the SSA (through an OCALL), a
 * SIGSEGV fixed from the SSA, a host signal while inside (AEX, exception
 * entry, ERESUME), ENCLU[EREPORT] refused as #GP, several host threads on
 * their own TCSs, a busy TCS and all TCSs taken refused, and host pointers
 * into ELRANGE refused by the enclave. EINIT must refuse a SIGSTRUCT whose
 * ENCLAVEHASH or signature was changed.
 *
 *   test_sgxsim IMAGE SIGSTRUCT [--checking] [--bench]
 *
 * The OCALL layer's calls and a lying host are in ocalls_host.c; --checking
 * says the enclave was built with SGX_OCALL_CHECK.
 *
 * Linked statically with glibc: SUD lets the whole host text (the one
 * executable PT_LOAD) make system calls, and nothing else, not even the
 * vDSO's fallbacks: the clocks are read with a plain system call.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <x86intrin.h>

#include "../../tools/crypto.h"
#include "tlayout.h"
#include "test.h"
#include "check.h"

#define THREADS 4

int failures;
void t_ocall_tests(struct sim_thread *t, uint64_t tcs, uint64_t spare, uint64_t spare2, uint64_t *ubuf,
		   size_t len, uint64_t enclave_base, bool checking); /* ocalls_host.c */
void t_ocall_bench(struct sim_thread *t, uint64_t tcs, uint64_t *ubuf, size_t len, double (*now)(void));

static uint64_t enclave_base, enclave_size;
static uint64_t ptr_answer;     /* what OCALL GETPTR returns */
static char written[256];       /* what OCALL WRITE got */
static volatile int host_signals;

/* EINIT's RSA check (tools/crypto.c: signature, then Q1/Q2 once more) */
static int rsa_verify(const uint8_t *ss)
{
	const char *why;
	return sigstruct_verify(ss, &why);
}

/* clock_gettime without the vDSO, whose fallback `syscall` lies outside the
 * host text that SUD allows */
static void clock_now(clockid_t id, struct timespec *ts)
{
	syscall(SYS_clock_gettime, id, ts);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	uint8_t *buf = malloc(64 << 20);
	*len = fread(buf, 1, 64 << 20, f);
	fclose(f);
	return buf;
}

static long ocall(void *ctx, long code, uint64_t args)
{
	(void)ctx;
	switch (code) {
	case T_OC_WRITE: {
		struct t_write *w = (struct t_write *)args;
		size_t n = w->len < sizeof written - 1 ? w->len : sizeof written - 1;
		memcpy(written, w->data, n);
		written[n] = 0;
		return write(1, w->data, n);
	}
	case T_OC_TIME: {
		struct timespec ts;
		clock_now(CLOCK_REALTIME, &ts);
		*(uint64_t *)args = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		return 0;
	}
	case T_OC_GETPID:
		return getpid();
	case T_OC_GETPTR:
		return (long)ptr_answer;
	case T_OC_NOP:
		return T_NOP_ANSWER;
	}
	return -ENOSYS;
}

static void on_host_signal(int sig)
{
	(void)sig;
	host_signals++;
}

struct worker {
	pthread_t id;
	struct sim_thread *t;
	int tcs;
	long err, result;
	uint64_t ubuf[512];
	long code;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const char *why;
	w->t = sim_thread_init(&why);
	if (!w->t) {
		fprintf(stderr, "sim_thread_init: %s\n", why);
		w->err = -1;
		return NULL;
	}
	w->err = sim_ecall(w->t, sim_tcs_addr((unsigned)w->tcs), w->code, w->ubuf, sizeof w->ubuf, ocall, NULL,
			   &w->result);
	sim_thread_fini(w->t);
	return NULL;
}

static void text_range(uint64_t *lo, uint64_t *hi)
{
	extern const Elf64_Ehdr __ehdr_start;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
	for (unsigned i = 0; i < __ehdr_start.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
			*lo = ph[i].p_vaddr;
			*hi = ph[i].p_vaddr + ph[i].p_memsz;
			return;
		}
	fprintf(stderr, "no executable segment\n");
	exit(1);
}

/* CPU time of this thread: on a loaded machine wall time says little */
static double now(void)
{
	struct timespec ts;
	clock_now(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int leaf_noop(uint64_t leaf, uint64_t rbx, uint64_t rcx, uint64_t rdx, uint64_t *rax)
{
	(void)leaf, (void)rbx, (void)rcx, (void)rdx;
	*rax = 0;
	return 0;
}

static void bench(struct sim_thread *t, uint64_t tcs, uint64_t *ubuf, size_t len)
{
	long r;
	sim_set_leaf_hook(leaf_noop);
	struct { long code; const char *what; } cases[] = {
		{ T_EC_BENCH_ENCLU, "trapped ENCLU alone (EREPORT to a no-op hook: SIGILL, handler, sigreturn)" },
		{ T_EC_BENCH_OCALL, "OCALL round trip (EEXIT trapped, EENTER a function)" },
		{ T_EC_BENCH_UD, "#UD from syscall served inside (AEX, exception EENTER+EEXIT, ERESUME trapped)" },
	};
	for (unsigned i = 0; i < 3; i++) {
		double t0 = now();
		uint64_t c0 = __rdtsc();
		sim_ecall(t, tcs, cases[i].code, ubuf, len, ocall, NULL, &r);
		uint64_t c1 = __rdtsc();
		double t1 = now();
		printf("bench: %s: %.0f ns CPU, %.0f TSC cycles (wall) each\n", cases[i].what,
		       (t1 - t0) * 1e9 / T_BENCH_ROUNDS, (double)(c1 - c0) / T_BENCH_ROUNDS);
	}
	t_ocall_bench(t, tcs, ubuf, len, now);
	/* the parts: a signal caught by the simulator's handler (raise: its
	 * tgkill too) and one of the four FS/GS base writes of a round trip */
	double t0 = now();
	for (int i = 0; i < T_BENCH_ROUNDS; i++)
		raise(SIGUSR1);
	double t1 = now();
	unsigned long fs;
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
	double t2 = now();
	for (int i = 0; i < T_BENCH_ROUNDS; i++)
		syscall(SYS_arch_prctl, ARCH_SET_FS, fs);
	double t3 = now();
	printf("bench: raise() of a caught signal %.0f ns CPU; arch_prctl(ARCH_SET_FS) %.0f ns CPU\n",
	       (t1 - t0) * 1e9 / T_BENCH_ROUNDS, (t3 - t2) * 1e9 / T_BENCH_ROUNDS);
}

int main(int argc, char **argv)
{
	static uint64_t ubuf[512];
	const char *why = NULL;
	size_t img_len, ss_len;
	struct tl_result lr;
	long r, e;

	if (argc < 3) {
		fprintf(stderr, "usage: test_sgxsim IMAGE SIGSTRUCT [--checking] [--bench]\n");
		return 2;
	}
	bool checking = false, do_bench = false;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--checking"))
			checking = true;
		else if (!strcmp(argv[i], "--bench"))
			do_bench = true;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	uint8_t *img = slurp(argv[1], &img_len);
	uint8_t *ss = slurp(argv[2], &ss_len);
	if (ss_len != SIGSTRUCT_SIZE || tl_plan(img, img_len, THREADS, &lr, &why)) {
		fprintf(stderr, "bad inputs: %s\n", why ? why : "SIGSTRUCT size");
		return 1;
	}

	uint64_t lo, hi;
	text_range(&lo, &hi);
	static const int sigs[] = { SIGUSR1, 0 };
	if (sim_install(lo, hi, on_host_signal, sigs, &why)) {
		fprintf(stderr, "sim_install: %s\n", why);
		return 1;
	}
	struct sim_thread *t = sim_thread_init(&why);
	if (!t) {
		fprintf(stderr, "sim_thread_init: %s\n", why);
		return 77; /* skip: no SUD on this kernel */
	}

	/* ECREATE, EADD/EEXTEND from the page list, EINIT */
	struct sgx_sha256 sha = sha256_ops();
	struct sim_secs secs = { .size = lr.size, .ssaframesize = 1, .attributes = SGX_FLAGS_MODE64BIT,
				 .xfrm = SGX_XFRM_LEGACY, .miscselect = SGX_MISC_EXINFO };
	struct { struct sim_secs s; const char *reason; } bad_secs[] = {
		{ { 3 * 4096, 1, SGX_FLAGS_MODE64BIT, 3, 0 }, "power of two" },
		{ { 1 << 20, 1, 0, 3, 0 }, "MODE64BIT" },
		{ { 1 << 20, 1, SGX_FLAGS_MODE64BIT, 1, 0 }, "XFRM" },
		{ { 1 << 20, 1, SGX_FLAGS_MODE64BIT, 3, 2 }, "MISCSELECT" },
		{ { 1 << 20, 0, SGX_FLAGS_MODE64BIT, 3, 0 }, "SSAFRAMESIZE" },
	};
	for (unsigned i = 0; i < sizeof bad_secs / sizeof bad_secs[0]; i++) {
		uint64_t b;
		CHECK(sim_ecreate(&bad_secs[i].s, &sha, &b, &why) && strstr(why, bad_secs[i].reason),
		      "ECREATE refuses a bad SECS: %s", why);
	}
	why = NULL;
	CHECK(!sim_ecreate(&secs, &sha, &enclave_base, &why), "ECREATE (%s)", why ? why : "");
	uint64_t b2;
	CHECK(sim_ecreate(&secs, &sha, &b2, &why) && strstr(why, "one enclave"), "a second ECREATE: %s", why);
	enclave_size = lr.size;
	CHECK((enclave_base & (enclave_size - 1)) == 0, "ELRANGE %#lx+%#lx is aligned to its size",
	      (unsigned long)enclave_base, (unsigned long)enclave_size);
	why = NULL;
	CHECK(!tl_build(img, img_len, &lr, sim_add_page, &why), "EADD of every page (%s)", why ? why : "");
	struct layout_page again = { .offset = 0, .secinfo = SGX_SECINFO_REG | SGX_SECINFO_R, .measure = true };
	CHECK(sim_add_page(&why, &again) && strstr(why, "added already"), "a page added twice is refused: %s", why);
	struct layout_page wonly = { .offset = lr.threads_off + 4096 * 4 /* a guard page */, .secinfo = SGX_SECINFO_REG | SGX_SECINFO_W };
	CHECK(sim_add_page(&why, &wonly) && strstr(why, "W without R"), "W without R is refused: %s", why);

	uint8_t bad[SIGSTRUCT_SIZE];
	memcpy(bad, ss, sizeof bad);
	bad[SS_ENCLAVEHASH] ^= 1;
	CHECK(sim_einit(bad, rsa_verify, &why) && strstr(why, "ENCLAVEHASH"),
	      "EINIT refuses another ENCLAVEHASH: %s", why);
	memcpy(bad, ss, sizeof bad);
	bad[SS_SIGNATURE + 7] ^= 1;
	CHECK(sim_einit(bad, rsa_verify, &why) && strstr(why, "signature"),
	      "EINIT refuses a changed signature: %s", why);
	why = "";
	CHECK(!sim_einit(ss, rsa_verify, &why), "EINIT with the SIGSTRUCT (%s)", why);
	CHECK(!memcmp(sim_mrenclave(), ss + SS_ENCLAVEHASH, 32), "MRENCLAVE of the page adds is the signed one");
	CHECK(sim_tcs_count() == THREADS, "%u TCSs", sim_tcs_count());
	uint8_t mrsigner[32];
	sha256(ss + SS_MODULUS, SGX_RSA_SIZE, mrsigner);
	const struct sgx_enclave_identity *id = sim_identity();
	CHECK(id && !memcmp(id->mrsigner, mrsigner, 32) && !memcmp(id->mrenclave, ss + SS_ENCLAVEHASH, 32) &&
		      id->attr_flags == (SGX_FLAGS_MODE64BIT | SGX_FLAGS_INIT) && id->miscselect == SGX_MISC_EXINFO,
	      "the identity EINIT fixed: MRSIGNER, MRENCLAVE, ATTRIBUTES with INIT, MISCSELECT");

	int tcs0 = sim_tcs_acquire();
	uint64_t tcs = sim_tcs_addr((unsigned)tcs0);

	/* OCALLs */
	e = sim_ecall(t, tcs, T_EC_HELLO, ubuf, sizeof ubuf, ocall, NULL, &r);
	CHECK(!e && r == 23 && !strcmp(written, "hello from the enclave\n"), "OCALL write: %ld %ld '%s'", e, r,
	      written);
	struct timespec ts;
	clock_now(CLOCK_REALTIME, &ts);
	e = sim_ecall(t, tcs, T_EC_TIME, ubuf, sizeof ubuf, ocall, NULL, &r);
	CHECK(!e && r / 1000000000 >= ts.tv_sec && r / 1000000000 <= ts.tv_sec + 3600, "OCALL time: %ld", r);

	/* #UD from syscall, handled from the SSA through an OCALL */
	struct sim_stats s0, s1;
	sim_stats(&s0);
	e = sim_ecall(t, tcs, T_EC_SYSCALL_UD, ubuf, sizeof ubuf, ocall, NULL, &r);
	sim_stats(&s1);
	CHECK(!e && r == getpid(), "syscall in the enclave: #UD, getpid through an OCALL = %ld (pid %d), XMM kept",
	      r, getpid());
	CHECK(s1.aexs - s0.aexs == 1 && s1.eresumes - s0.eresumes == 1, "one AEX and one ERESUME for it");

	/* SIGSEGV fixed from the SSA */
	e = sim_ecall(t, tcs, T_EC_SEGV_FIX, ubuf, sizeof ubuf, ocall, NULL, &r);
	CHECK(!e && r == 1, "store to a read-only enclave page: #PF with MADDR, fixed in the SSA, resumed (%ld %ld)",
	      e, r);

	/* ENCLU[EREPORT] is not simulated yet: #GP into the enclave */
	e = sim_ecall(t, tcs, T_EC_ENCLU_REPORT, ubuf, sizeof ubuf, ocall, NULL, &r);
	CHECK(!e && r == 1, "ENCLU[EREPORT] raises #GP in the enclave (%ld %ld)", e, r);

	/* pointers into ELRANGE */
	e = sim_ecall(t, tcs, T_EC_HELLO, (void *)(enclave_base + 4096), 256, ocall, NULL, &r);
	CHECK(!e && r == -14, "an ECALL buffer inside ELRANGE is refused (%ld)", r);
	e = sim_ecall(t, tcs, T_EC_HELLO, (void *)(enclave_base - 16), 256, ocall, NULL, &r);
	CHECK(!e && r == -14, "an ECALL buffer overlapping ELRANGE's start is refused (%ld)", r);
	ptr_answer = enclave_base + enclave_size - 8;
	e = sim_ecall(t, tcs, T_EC_CHECK_PTR, ubuf, sizeof ubuf, ocall, NULL, &r);
	CHECK(!e && r == -14, "a pointer into ELRANGE from an OCALL is refused (%ld)", r);
	ptr_answer = (uint64_t)ubuf;
	e = sim_ecall(t, tcs, T_EC_CHECK_PTR, ubuf, sizeof ubuf, ocall, NULL, &r);
	CHECK(!e && r == 0, "a pointer outside ELRANGE is accepted (%ld)", r);

	/* all TCSs taken */
	int taken[THREADS];
	taken[0] = tcs0;
	for (int i = 1; i < THREADS; i++)
		taken[i] = sim_tcs_acquire();
	r = sim_tcs_acquire();
	CHECK(r == -SIM_EAGAIN, "a fifth thread gets no TCS: %ld", r);
	for (int i = 1; i < THREADS; i++)
		sim_tcs_release(taken[i]);

	/* a host signal while inside: AEX, exception entry, ERESUME; a busy TCS */
	static struct worker spin;
	spin.tcs = tcs0;
	spin.code = T_EC_SPIN;
	pthread_create(&spin.id, NULL, worker_main, &spin);
	while (!__atomic_load_n(&spin.ubuf[0], __ATOMIC_ACQUIRE))
		sched_yield();
	e = sim_ecall(t, tcs, T_EC_HELLO, ubuf, sizeof ubuf, ocall, NULL, &r);
	CHECK(e == -SIM_EBUSY, "EENTER on a TCS another thread is inside: %ld", e);
	for (int done = 0; !done;) {
		pthread_kill(spin.id, SIGUSR1);
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
		done = pthread_tryjoin_np(spin.id, NULL) == 0;
	}
	CHECK(!spin.err && spin.result >= 1, "SIGUSR1 inside: AEX, exception entry saw it, ERESUME (%ld %ld)",
	      spin.err, spin.result);

	/* threads, each on its own TCS */
	static struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i].tcs = i;
		w[i].code = T_EC_THREAD;
		pthread_create(&w[i].id, NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(w[i].id, NULL);
		uint64_t want = sim_tcs_addr((unsigned)i) - enclave_base;
		CHECK(!w[i].err && (uint64_t)w[i].result == want,
		      "thread %d on TCS %d: 200 OCALLs and #UDs, its own thread block (%ld %#lx)", i, i, w[i].err,
		      (unsigned long)w[i].result);
	}

	/* a spoiled XSAVE area in the SSA: ERESUME refuses (hardware: #GP),
	 * and that TCS stays at CSSA 1: the last test on it */
	uint64_t tcs3 = sim_tcs_addr(3);
	e = sim_ecall(t, tcs3, T_EC_BAD_XSAVE, ubuf, sizeof ubuf, ocall, NULL, &r);
	CHECK(e == -SIM_EINVAL && t->eresume_fail == 1, "ERESUME refuses an XSAVE header with features outside XFRM (%ld)",
	      e);
	CHECK(!t->tcs, "the thread is out of enclave mode after the refused ERESUME");

	/* EEXIT to an address inside ELRANGE: the host thread cannot go on
	 * (hardware would fetch abort-page bytes); a child process shows it */
	pid_t child = fork();
	if (child == 0) {
		sim_ecall(t, tcs, T_EC_EEXIT_INSIDE, ubuf, sizeof ubuf, ocall, NULL, &r);
		_exit(0);
	}
	int status = 0;
	waitpid(child, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGILL, "EEXIT into ELRANGE ends the host (status %#x)",
	      status);

	/* the OCALL layer; TCSs 1 and 2 are the spares the checking build may stop */
	t_ocall_tests(t, tcs, sim_tcs_addr(2), sim_tcs_addr(1), ubuf, sizeof ubuf, enclave_base, checking);

	if (do_bench)
		bench(t, tcs, ubuf, sizeof ubuf);
	sim_stats(&s1);
	printf("EENTER %lu, EEXIT %lu, AEX %lu, ERESUME %lu; host signals outside %d\n",
	       (unsigned long)s1.eenters, (unsigned long)s1.eexits, (unsigned long)s1.aexs,
	       (unsigned long)s1.eresumes, host_signals);
	printf("%s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
