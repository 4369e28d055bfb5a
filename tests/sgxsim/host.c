/*
 * host.c - the sgx-sim test: builds the test enclave (enclave.c, laid out
 * by tlayout.c, signed at build time by mksig.c) in ELRANGE with the
 * simulated CPU (platform/sgx/host), EINITs it, and checks every crossing:
 * OCALLs, #UD from `syscall` handled from the SSA (through an OCALL), a
 * SIGSEGV fixed from the SSA, a host signal while inside (AEX, exception
 * entry, ERESUME), ENCLU[EREPORT] refused as #GP, several host threads on
 * their own TCSs, a busy TCS and all TCSs taken refused, and host pointers
 * into ELRANGE refused by the enclave. EINIT must refuse another enclave's
 * SIGSTRUCT (IMAGE2's) and a changed signature, and name the signature when
 * both are wrong. EREPORT and EGETKEY with the
 * simulated CPU secret (tools/simroot.c, handed over through a descriptor):
 * a report for itself checked inside, seal keys equal across instances of
 * one image and different for another image or machine, an ISVSVN above
 * the enclave's refused, bad operands #GP or #PF; local attestation
 * (la.c) with instances in child processes, over a socket, accepted for
 * the same image and refused for another image or machine. The fast variant (sim_fast) is
 * used unless COFFER_SGX_SIM_FAITHFUL=1; the exit counts of each are checked.
 *
 *   test_sgxsim IMAGE SIGSTRUCT IMAGE2 SIGSTRUCT2 [--checking] [--bench]
 *   (IMAGE2: the same enclave with one constant changed)
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <x86intrin.h>

#include "../../tools/crypto.h"
#include "hostutil.h"
#include "../../tools/simroot.h"
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

/* clock_gettime without the vDSO, whose fallback `syscall` lies outside the
 * host text that SUD allows */
static void clock_now(clockid_t id, struct timespec *ts)
{
	syscall(SYS_clock_gettime, id, ts);
}

static bool faithful;
static int la_fd = -1; /* the socket OCALL SEND/RECV carry local attestation over */
static const char *root_path;

/* AES-128 with AES-NI for the simulator's EREPORT/EGETKEY: it runs in the
 * signal handler with the enclave's %fs, so no libc and no TLS */
struct aesni {
	__m128i rk[11];
};
#define EXPAND(i, rcon)                                                                   \
	do {                                                                              \
		__m128i t = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(k, rcon), 0xff); \
		k = _mm_xor_si128(k, _mm_slli_si128(k, 4));                             \
		k = _mm_xor_si128(k, _mm_slli_si128(k, 4));                             \
		k = _mm_xor_si128(k, _mm_slli_si128(k, 4));                             \
		a->rk[i] = k = _mm_xor_si128(k, t);                                     \
	} while (0)
__attribute__((target("aes,sse2"))) static void aesni_set_key(void *ctx, const uint8_t key[16])
{
	struct aesni *a = ctx;
	__m128i k = _mm_loadu_si128((const __m128i *)key);
	a->rk[0] = k;
	EXPAND(1, 0x01);
	EXPAND(2, 0x02);
	EXPAND(3, 0x04);
	EXPAND(4, 0x08);
	EXPAND(5, 0x10);
	EXPAND(6, 0x20);
	EXPAND(7, 0x40);
	EXPAND(8, 0x80);
	EXPAND(9, 0x1b);
	EXPAND(10, 0x36);
}
__attribute__((target("aes,sse2"))) static void aesni_encrypt(void *ctx, const uint8_t in[16], uint8_t out[16])
{
	struct aesni *a = ctx;
	__m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in), a->rk[0]);
	for (int i = 1; i < 10; i++)
		b = _mm_aesenc_si128(b, a->rk[i]);
	_mm_storeu_si128((__m128i *)out, _mm_aesenclast_si128(b, a->rk[10]));
}
static struct aesni aes_ctx;
static const struct sgx_aes128 aes = { &aes_ctx, aesni_set_key, aesni_encrypt };

/* The launcher's part (tools/simroot.c): load or make the root file at
 * path, hand its bytes down through a descriptor. */
static int root_fd(const char *path, struct sgx_sim_root *root)
{
	char err[512];
	uint8_t bytes[SGX_SIM_ROOT_FILE_SIZE];
	int p[2];
	if (simroot_load(path, root, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	sgx_sim_root_format(root, bytes);
	if (pipe(p) || write(p[1], bytes, sizeof bytes) != (ssize_t)sizeof bytes) {
		perror("pipe");
		exit(1);
	}
	close(p[1]);
	return p[0];
}

/* ctx: the sim_thread. Only the NOP answer runs without the host's TLS. */
static long ocall(void *ctx, long code, uint64_t args)
{
	if (code != T_OC_NOP)
		sim_host_tls(ctx);
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
	case T_OC_SEND: {
		struct t_write *w = (struct t_write *)args;
		return w->len <= 4096 && write(la_fd, w->data, w->len) == (ssize_t)w->len ? (long)w->len : -EIO;
	}
	case T_OC_RECV: {
		struct t_write *w = (struct t_write *)args;
		size_t got = 0;
		while (w->len <= 4096 && got < w->len) {
			ssize_t n = read(la_fd, w->data + got, w->len - got);
			if (n <= 0)
				return -EIO;
			got += (size_t)n;
		}
		return (long)got;
	}
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
	w->err = sim_ecall(w->t, sim_tcs_addr((unsigned)w->tcs), w->code, w->ubuf, sizeof w->ubuf, ocall, w->t,
			   &w->result);
	sim_thread_fini(w->t);
	return NULL;
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
	struct { long code; const char *what; } cases[] = {
		{ T_EC_BENCH_ENCLU, "trapped ENCLU alone (EREPORT to a no-op hook: SIGILL, handler, sigreturn)" },
		{ T_EC_BENCH_EGETKEY, "one EREPORT and two EGETKEY(SEAL) by the simulator (three traps, their CMACs)" },
		{ T_EC_BENCH_OCALL, "OCALL round trip (EEXIT, EENTER)" },
		{ T_EC_BENCH_UD, "#UD from syscall served inside (AEX, exception EENTER and EEXIT, ERESUME)" },
	};
	printf("bench: the %s variant\n", faithful ? "faithful" : "fast");
	for (unsigned i = 0; i < 4; i++) {
		sim_set_leaf_hook(cases[i].code == T_EC_BENCH_ENCLU ? leaf_noop : NULL);
		double t0 = now();
		uint64_t c0 = __rdtsc();
		sim_ecall(t, tcs, cases[i].code, ubuf, len, ocall, t, &r);
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

/* A fresh enclave of img in a child process (sgx-sim has one per
 * process), on the machine whose secret is at path, running one ECALL
 * (OCALL SEND/RECV on sock). Forked before the parent builds its own. */
struct child {
	pid_t pid;
	int out; /* the ECALL's result and the first 32 bytes of its buffer */
};

static struct child spawn(const uint8_t *img, size_t img_len, const uint8_t *ss, const char *path, long code, int sock)
{
	int p[2];
	struct child c = { -1, -1 };
	if (pipe(p))
		return c;
	c.pid = fork();
	if (c.pid == 0) {
		static uint64_t ubuf[512];
		struct sgx_sim_root root;
		struct tl_result lr;
		const char *why = "";
		uint64_t lo, hi, base;
		long r = -1;
		/* only its socket and its pipe: another child's socket end held
		 * here would keep that child from seeing the end of its stream */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != sock && fd != p[1])
				close(fd);
		la_fd = sock;
		text_range(&lo, &hi);
		struct sgx_sha256 sha = sha256_ops();
		struct sim_secs secs = { .ssaframesize = 1, .attributes = SGX_FLAGS_MODE64BIT,
					 .xfrm = SGX_XFRM_LEGACY, .miscselect = SGX_MISC_EXINFO };
		struct sim_thread *t;
		if (tl_plan(img, img_len, THREADS, &lr, &why) || sim_install(lo, hi, NULL, NULL, &why) ||
		    !(t = sim_thread_init(&why)) || (secs.size = lr.size, sim_ecreate(&secs, &sha, &base, &why)) ||
		    tl_build(img, img_len, &lr, sim_add_page, &why) || sim_einit(ss, rsa_verify, &why) ||
		    sim_set_root(root_fd(path, &root), &aes, &why) ||
		    (!faithful && sim_fast(SIM_FAST_TLS | SIM_FAST_EEXIT, ((const struct tl_head *)img)->eexit, &why)) ||
		    sim_ecall(t, sim_tcs_addr(0), code, ubuf, sizeof ubuf, ocall, t, &r)) {
			fprintf(stderr, "an enclave instance failed: %s\n", why ? why : "");
			_exit(1);
		}
		_exit(write(p[1], &r, sizeof r) == sizeof r && write(p[1], ubuf, 32) == 32 ? 0 : 1);
	}
	close(p[1]);
	c.out = p[0];
	return c;
}

/* The child's ECALL result and buffer: 0, or -1 if it did not get there */
static int reap(struct child c, long *r, uint8_t out[32])
{
	uint8_t buf[40];
	size_t got = 0;
	ssize_t n;
	while (got < sizeof buf && (n = read(c.out, buf + got, sizeof buf - got)) > 0)
		got += (size_t)n;
	close(c.out);
	int status;
	waitpid(c.pid, &status, 0);
	if (got != sizeof buf || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	memcpy(r, buf, 8);
	if (out)
		memcpy(out, buf + 8, 32);
	return 0;
}

/* Seal keys of a fresh instance */
static int instance_keys(const uint8_t *img, size_t img_len, const uint8_t *ss, const char *path, uint8_t out[32])
{
	long r;
	return reap(spawn(img, img_len, ss, path, T_EC_SEAL_KEYS, -1), &r, out) || r ? -1 : 0;
}

int main(int argc, char **argv)
{
	static uint64_t ubuf[512];
	const char *why = NULL;
	size_t img_len, ss_len;
	struct tl_result lr;
	long r, e;

	if (argc < 5) {
		fprintf(stderr, "usage: test_sgxsim IMAGE SIGSTRUCT IMAGE2 SIGSTRUCT2 [--checking] [--bench]\n");
		return 2;
	}
	bool checking = false, do_bench = false;
	for (int i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--checking"))
			checking = true;
		else if (!strcmp(argv[i], "--bench"))
			do_bench = true;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	uint8_t *img = slurp(argv[1], &img_len);
	uint8_t *ss = slurp(argv[2], &ss_len);
	size_t img2_len, ss2_len;
	uint8_t *img2 = slurp(argv[3], &img2_len);
	uint8_t *ss2 = slurp(argv[4], &ss2_len);
	const char *f = getenv("COFFER_SGX_SIM_FAITHFUL");
	faithful = f && *f && strcmp(f, "0");
	printf("sgx-sim variant: %s\n", faithful ? "faithful (COFFER_SGX_SIM_FAITHFUL)" : "fast (sim_fast)");

	/* the simulated machine: a secret file in a private directory (two:
	 * the second machine), as tools/simroot.c makes them */
	char dir[] = "/tmp/sgxsim-root.XXXXXX", path1[64], path2[64];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path1, sizeof path1, "%s/root", dir);
	snprintf(path2, sizeof path2, "%s/root2", dir);
	root_path = path1;

	/* seal keys: each instance a fresh enclave in its own process */
	uint8_t k_a1[32], k_a2[32], k_b[32], k_m2[32];
	CHECK(!instance_keys(img, img_len, ss, path1, k_a1) && !instance_keys(img, img_len, ss, path1, k_a2) &&
		      !instance_keys(img2, img2_len, ss2, path1, k_b) && !instance_keys(img, img_len, ss, path2, k_m2),
	      "four enclave instances derived their seal keys");
	CHECK(!memcmp(k_a1, k_a2, 32), "SEAL keys (MRENCLAVE and MRSIGNER policy) equal across two instances of an image");
	CHECK(memcmp(k_a1, k_b, 16) && !memcmp(k_a1 + 16, k_b + 16, 16),
	      "another image (one byte changed): another MRENCLAVE-policy key, the same MRSIGNER-policy key");
	CHECK(memcmp(k_a1, k_m2, 16) && memcmp(k_a1 + 16, k_m2 + 16, 16), "another machine's secret: other keys");

	/* local attestation responders, waiting for this process's enclave:
	 * the same image, another image, the same image on another machine */
	struct { const uint8_t *img; size_t len; const uint8_t *ss; const char *path; int sock; struct child c; }
	la[3] = { { img, img_len, ss, path1, -1, { -1, -1 } }, { img2, img2_len, ss2, path1, -1, { -1, -1 } },
		  { img, img_len, ss, path2, -1, { -1, -1 } } };
	for (int i = 0; i < 3; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return 1;
		la[i].c = spawn(la[i].img, la[i].len, la[i].ss, la[i].path, T_EC_LA_RESPONDER, sv[1]);
		close(sv[1]);
		la[i].sock = sv[0];
	}
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

	/* IMAGE2's SIGSTRUCT is signed and whole, but for an enclave whose
	 * pages differ from these in one constant (editing ENCLAVEHASH
	 * instead would break the signature, which EINIT checks first) */
	uint8_t bad[SIGSTRUCT_SIZE];
	CHECK(sim_einit(ss2, rsa_verify, &why) && strstr(why, "ENCLAVEHASH"),
	      "EINIT refuses the SIGSTRUCT of another enclave: %s", why);
	memcpy(bad, ss2, sizeof bad);
	bad[SS_SIGNATURE + 7] ^= 1;
	CHECK(sim_einit(bad, rsa_verify, &why) && strstr(why, "signature"),
	      "EINIT refuses another enclave's SIGSTRUCT with a changed signature for the signature: %s", why);
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

	if (!faithful) {
		struct tl_head h;
		memcpy(&h, img, sizeof h);
		CHECK(sim_fast(SIM_FAST_EEXIT, h.eexit + 1, &why) && strstr(why, "EEXIT"),
		      "the fast variant refuses an EEXIT site whose bytes differ: %s", why);
		why = "";
		CHECK(!sim_fast(SIM_FAST_TLS | SIM_FAST_EEXIT, h.eexit, &why), "the fast variant (%s)", why);
		CHECK(!memcmp(sim_mrenclave(), ss + SS_ENCLAVEHASH, 32) &&
			      !memcmp(img + h.eexit, "\x0f\x01\xd7", 3) &&
			      !memcmp((uint8_t *)enclave_base + h.eexit, "\xff\xe3\x90", 3),
		      "the image and MRENCLAVE are unchanged, the simulator's copy has the jump");
	}

	/* EREPORT and EGETKEY need the machine's secret first */
	uint64_t aex0 = t->aexs;
	e = sim_ecall(t, tcs, T_EC_REPORT_SELF, ubuf, sizeof ubuf, ocall, t, &r);
	CHECK(!e && r == -2 && t->aexs - aex0 == 3, "EREPORT and EGETKEY without the simulated CPU secret: #GP (%ld %ld)",
	      e, r);
	int bad_fd[2];
	if (pipe(bad_fd) || write(bad_fd[1], "CSGXSIM\2", 8) != 8)
		return 1;
	close(bad_fd[1]);
	CHECK(sim_set_root(bad_fd[0], &aes, &why) && why, "a malformed secret is refused: %s", why);
	struct sgx_sim_root root;
	why = "";
	CHECK(!sim_set_root(root_fd(root_path, &root), &aes, &why), "the simulated CPU secret through a descriptor (%s)",
	      why);
	CHECK(sim_fast(SIM_FAST_TLS, 0, &why) && strstr(why, "first EENTER"), "the variant cannot change once entered: %s",
	      why);
	/* exit counts: an ECALL making T_OCALLS OCALLs */
	uint64_t sig0 = t->signals, wr0 = t->fsgs_writes, ex0 = t->exits;
	e = sim_ecall(t, tcs, T_EC_OCALLS, ubuf, sizeof ubuf, ocall, t, &r);
	uint64_t nsig = t->signals - sig0, writes = t->fsgs_writes - wr0;
	CHECK(!e && !r && t->exits - ex0 == T_OCALLS + 1, "%d OCALLs: %lu EEXITs", T_OCALLS,
	      (unsigned long)(t->exits - ex0));
	if (faithful)
		CHECK(nsig == T_OCALLS + 1 && writes == 4 * (T_OCALLS + 1),
		      "faithful: every EEXIT a SIGILL, four FS/GS writes per crossing (%lu signals, %lu writes)",
		      (unsigned long)nsig, (unsigned long)writes);
	else
		CHECK(nsig == 0 && writes == 4,
		      "fast: no signal, FS/GS written only at the ECALL's entry and return (%lu signals, %lu writes)",
		      (unsigned long)nsig, (unsigned long)writes);

	/* EREPORT for itself and the REPORT_KEY: the MAC checked inside */
	e = sim_ecall(t, tcs, T_EC_REPORT_SELF, ubuf, sizeof ubuf, ocall, t, &r);
	const uint8_t *rep = (const uint8_t *)ubuf;
	CHECK(!e && r == 1, "EREPORT for itself, EGETKEY(REPORT), the MAC verifies in the enclave, a changed byte does not (%ld %ld)",
	      e, r);
	int rd_ok = 1;
	for (unsigned i = 0; i < SGX_REPORTDATA_SIZE; i++)
		rd_ok &= rep[RP_REPORTDATA + i] == (uint8_t)(T_RDATA_BYTE + i);
	CHECK(rd_ok && !memcmp(rep + RP_MRENCLAVE, sim_mrenclave(), 32) && !memcmp(rep + RP_MRSIGNER, id->mrsigner, 32) &&
		      sgx_le64(rep + RP_ATTRIBUTES) == id->attr_flags && !memcmp(rep + RP_CPUSVN, root.cpusvn, 16),
	      "the REPORT states the enclave's MRENCLAVE, MRSIGNER, ATTRIBUTES, the CPUSVN and the REPORTDATA");
	uint8_t kr[SGX_KEYREQUEST_SIZE], rkey[16];
	sgx_keyrequest_report(rep, kr);
	CHECK(!sgx_sim_egetkey(&aes, &root, id, kr, rkey) && !sgx_report_check_mac(&aes, rkey, rep),
	      "the host, holding the same secret, finds the same MAC");

	/* the enclave's seal keys here equal those of the children */
	e = sim_ecall(t, tcs, T_EC_SEAL_KEYS, ubuf, sizeof ubuf, ocall, t, &r);
	CHECK(!e && !r && !memcmp(ubuf, k_a1, 32), "this instance's SEAL keys equal the other instances' (%ld)", r);
	e = sim_ecall(t, tcs, T_EC_SEAL_SVN_UP, ubuf, sizeof ubuf, ocall, t, &r);
	CHECK(!e && r == -(SGX_INVALID_ISVSVN * 2 + 1),
	      "EGETKEY with an ISVSVN above the enclave's: RAX = SGX_INVALID_ISVSVN, ZF set, key not written (%ld)", r);

	/* local attestation (runtime/attest/la.c) between this enclave and
	 * each responder, over the host's socket */
	long lr_res[3];
	long li_res[3];
	for (int i = 0; i < 3; i++) {
		la_fd = la[i].sock;
		e = sim_ecall(t, tcs, T_EC_LA_INITIATOR, ubuf, sizeof ubuf, ocall, t, &li_res[i]);
		if (e)
			li_res[i] = -1000 + e;
		close(la[i].sock); /* a refused responder sees the end of its stream */
		if (reap(la[i].c, &lr_res[i], NULL))
			lr_res[i] = -2000;
	}
	CHECK(li_res[0] == 1 && lr_res[0] == 1,
	      "local attestation between two enclaves of one image (la.c, real ENCLU): handshake, a message each way (%ld %ld)",
	      li_res[0], lr_res[0]);
	CHECK(li_res[1] == -EACCES && lr_res[1] < 0, "an enclave of another image is refused (%ld; responder %ld)",
	      li_res[1], lr_res[1]);
	CHECK(li_res[2] == -EACCES && lr_res[2] < 0, "an enclave on another machine is refused (%ld; responder %ld)",
	      li_res[2], lr_res[2]);

	/* bad operands: #GP into the enclave's exception handler */
	e = sim_ecall(t, tcs, T_EC_LEAF_GP, ubuf, sizeof ubuf, ocall, t, &r);
	CHECK(!e && r == T_LEAF_GPS, "EREPORT/EGETKEY: misaligned operands, outside ELRANGE, a reserved byte: %ld of %d #GP; a page never added or read-only: #PF there",
	      r, T_LEAF_GPS);

	/* OCALLs */
	e = sim_ecall(t, tcs, T_EC_HELLO, ubuf, sizeof ubuf, ocall, t, &r);
	CHECK(!e && r == 23 && !strcmp(written, "hello from the enclave\n"), "OCALL write: %ld %ld '%s'", e, r,
	      written);
	struct timespec ts;
	clock_now(CLOCK_REALTIME, &ts);
	e = sim_ecall(t, tcs, T_EC_TIME, ubuf, sizeof ubuf, ocall, t, &r);
	CHECK(!e && r / 1000000000 >= ts.tv_sec && r / 1000000000 <= ts.tv_sec + 3600, "OCALL time: %ld", r);

	/* #UD from syscall, handled from the SSA through an OCALL */
	struct sim_stats s0, s1;
	sim_stats(&s0);
	e = sim_ecall(t, tcs, T_EC_SYSCALL_UD, ubuf, sizeof ubuf, ocall, t, &r);
	sim_stats(&s1);
	CHECK(!e && r == getpid(), "syscall in the enclave: #UD, getpid through an OCALL = %ld (pid %d), XMM kept",
	      r, getpid());
	CHECK(s1.aexs - s0.aexs == 1 && s1.eresumes - s0.eresumes == 1, "one AEX and one ERESUME for it");

	/* SIGSEGV fixed from the SSA */
	e = sim_ecall(t, tcs, T_EC_SEGV_FIX, ubuf, sizeof ubuf, ocall, t, &r);
	CHECK(!e && r == 1, "store to a read-only enclave page: #PF with MADDR, fixed in the SSA, resumed (%ld %ld)",
	      e, r);


	/* pointers into ELRANGE */
	e = sim_ecall(t, tcs, T_EC_HELLO, (void *)(enclave_base + 4096), 256, ocall, t, &r);
	CHECK(!e && r == -14, "an ECALL buffer inside ELRANGE is refused (%ld)", r);
	e = sim_ecall(t, tcs, T_EC_HELLO, (void *)(enclave_base - 16), 256, ocall, t, &r);
	CHECK(!e && r == -14, "an ECALL buffer overlapping ELRANGE's start is refused (%ld)", r);
	ptr_answer = enclave_base + enclave_size - 8;
	e = sim_ecall(t, tcs, T_EC_CHECK_PTR, ubuf, sizeof ubuf, ocall, t, &r);
	CHECK(!e && r == -14, "a pointer into ELRANGE from an OCALL is refused (%ld)", r);
	ptr_answer = (uint64_t)ubuf;
	e = sim_ecall(t, tcs, T_EC_CHECK_PTR, ubuf, sizeof ubuf, ocall, t, &r);
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
	e = sim_ecall(t, tcs, T_EC_HELLO, ubuf, sizeof ubuf, ocall, t, &r);
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
	e = sim_ecall(t, tcs3, T_EC_BAD_XSAVE, ubuf, sizeof ubuf, ocall, t, &r);
	CHECK(e == -SIM_EINVAL && t->eresume_fail == 1, "ERESUME refuses an XSAVE header with features outside XFRM (%ld)",
	      e);
	CHECK(!t->tcs, "the thread is out of enclave mode after the refused ERESUME");

	/* EEXIT to an address inside ELRANGE: the host thread cannot go on
	 * (hardware would fetch abort-page bytes); a child process shows it */
	pid_t child = fork();
	if (child == 0) {
		sim_ecall(t, tcs, T_EC_EEXIT_INSIDE, ubuf, sizeof ubuf, ocall, t, &r);
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
	unlink(path1);
	unlink(path2);
	rmdir(dir);
	printf("%s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
