/*
 * loadhost.c - a signed bundle's real enclave on sgx-sim: the enclave image
 * (coffer-enclave) and the bundle's manifest laid out by common/layout.c,
 * built by platform/sgx/host/simload.c (ECREATE, EADD/EEXTEND, EINIT
 * against the bundle's SIGSTRUCT), then entered once at OENTRY with
 * SGX_ECALL_PROBE: the image relocates itself inside ELRANGE and writes a
 * line through one OCALL. tests/integration/test_sgxload.py signs the
 * bundles (and tampered ones) and checks what this prints:
 *
 *   MRENCLAVE <hex>              the simulated CPU's, after EINIT
 *   image at ELRANGE+0x<hex>     the layout's image offset
 *   <the enclave's line>         written by the OCALL
 *   ECALL returned <n>
 * or "sgx-sim: EINIT refused the enclave: <reason>" (ECREATE, EADD, input
 * likewise) and exit status 125.
 *
 *   test_sgxload IMAGE BUNDLE
 *
 * Static, like test_sgxsim: SUD allows the host's text alone.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../platform/sgx/host/load.h"
#include "../../platform/sgx/host/sim.h"
#include "../../platform/sgx/sgx_abi.h"
#include "../../tools/crypto.h"
#include "hostutil.h"

/* The one OCALL: the line, from the thread's untrusted buffer (whose
 * length the host checks, as any host must) */
static uint64_t ubuf[512];
static long ocall(void *ctx, long code, uint64_t args)
{
	(void)ctx;
	if (code != SGX_OCALL_PROBE_WRITE || args != (uint64_t)ubuf)
		return -38;
	uint64_t len = ubuf[0];
	if (len > sizeof ubuf - 8)
		return -22;
	return write(1, ubuf + 1, len);
}

/* The most memory this process ever had resident (VmHWM): building an
 * enclave must commit its contents, not its size. */
static void print_peak_rss(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			printf("peak resident %s", line + 6 + strspn(line + 6, " \t"));
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	static const char *const stages[] = { "", "the inputs", "ECREATE", "EADD", "EINIT" };
	struct sgx_load l = { 0 };
	struct layout_result r;
	uint64_t base, lo, hi;
	const char *why = NULL;
	long res;

	if (argc != 3) {
		fprintf(stderr, "usage: test_sgxload IMAGE BUNDLE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	l.image = slurp(argv[1], &l.image_len);
	l.bundle = slurp(argv[2], &l.bundle_len);
	text_range(&lo, &hi);
	if (sim_install(lo, hi, NULL, NULL, &why)) {
		fprintf(stderr, "sim_install: %s\n", why);
		return 1;
	}
	struct sim_thread *t = sim_thread_init(&why);
	if (!t) {
		fprintf(stderr, "sim_thread_init: %s\n", why);
		return 77; /* no SUD on this kernel */
	}
	struct sgx_sha256 sha = sha256_ops(), cpu_sha = sha256_ops();
	l.sha = &sha;
	int e = sim_load(&l, &cpu_sha, rsa_verify, &r, &base, &why);
	if (e) {
		printf("sgx-sim: %s refused the enclave: %s\n", stages[-e], why);
		return 125;
	}
	printf("MRENCLAVE ");
	for (int i = 0; i < 32; i++)
		printf("%02x", sim_mrenclave()[i]);
	printf("\nimage at ELRANGE+0x%012llx\n", (unsigned long long)r.image_offset);
	e = sim_ecall(t, sim_tcs_addr(0), SGX_ECALL_PROBE, ubuf, sizeof ubuf, ocall, NULL, &res);
	if (e) {
		printf("ECALL failed: %d\n", e);
		return 1;
	}
	printf("ECALL returned %ld\n", res);
	print_peak_rss();
	sha256_ops_free(&sha);
	sha256_ops_free(&cpu_sha);
	return 0;
}
