/*
 * main.c - coffer-sgx, the sgx platform's host binary: the untrusted process
 * that builds a signed bundle's enclave and enters it. `coffer run
 * --platform=sgx|sgx-sim` execs it (tools/run.c):
 *
 *   coffer-sgx sgx-sim|sgx IMAGE BUNDLE
 *
 * IMAGE is the enclave image (coffer-enclave), BUNDLE the signed bundle.
 * sgx-sim builds the enclave on the simulated CPU (simload.c: ECREATE,
 * EADD/EEXTEND of the layout's pages, EINIT against the bundle's SIGSTRUCT)
 * and enters it (run.c, sim_ecall), in the fast variant unless
 * COFFER_SGX_SIM_FAITHFUL is set; sgx builds it through the in-kernel
 * driver (driver.c) after checking the CPU and /dev/sgx_enclave, and never
 * falls back to the simulation. Exit status 125 (common/exit.h) for
 * anything that stops the enclave from starting, with one line naming it.
 *
 * Today the enclave is entered with SGX_ECALL_PROBE: the image relocates
 * itself in ELRANGE and writes one line through an OCALL. The runtime does
 * not run inside the enclave yet (docs/platforms.md, "What is left"), so
 * after the probe coffer-sgx says so and exits 125: no program is started
 * on the sgx platforms, and nothing pretends it was.
 *
 * Freestanding and static, like coffer-enclave: no C library (the
 * application's libc will live in this process, inside ELRANGE). It sets
 * %fs to a block of its own (BearSSL, built with the stack protector, reads
 * its canary at %fs:0x28) and makes system calls only from its own text,
 * the one range SUD lets through on sgx-sim.
 */
#include <asm/prctl.h>
#include <asm/unistd_64.h>
#include <linux/elf.h>
#include <stdarg.h>

#include "../../../common/cstring.h"
#include "../../../common/exit.h"
#include "../../../runtime/lib/crypto.h"
#include "../sgx_abi.h"
#include "driver.h"
#include "load.h"
#include "sim.h"

#define O_RDONLY 0
#define PROT_READ 1
#define MAP_PRIVATE 2

static long sys(long nr, long a, long b, long c)
{
	return sim_syscall6(nr, a, b, c, 0, 0, 0);
}

static void put(const char *s)
{
	sys(__NR_write, 2, (long)s, (long)strlen(s));
}

static __attribute__((noreturn)) void leave(int code)
{
	for (;;)
		sys(__NR_exit_group, code, 0, 0);
}

/* One line on stderr, "coffer: " and the pieces given (NULL-terminated). */
static void say(const char *first, ...)
{
	va_list ap;
	put("coffer: ");
	put(first);
	va_start(ap, first);
	for (const char *s; (s = va_arg(ap, const char *));)
		put(s);
	va_end(ap);
	put("\n");
}

/* What BearSSL's stack protector and the runtime's crypto.c call. */
void rt_panic(const char *fmt, ...)
{
	say("coffer-sgx: internal error: ", fmt, NULL);
	leave(COFFER_EXIT_PANIC);
}

/* A whole file mapped read-only; NULL after saying why. */
static const uint8_t *map_file(const char *what, const char *path, size_t *len)
{
	long fd = sys(__NR_open, (long)path, O_RDONLY, 0);
	if (fd < 0) {
		say(path, ": cannot open the ", what, NULL);
		return NULL;
	}
	long end = sys(__NR_lseek, fd, 0, 2 /* SEEK_END */);
	long p = end > 0 ? sim_syscall6(__NR_mmap, 0, end, PROT_READ, MAP_PRIVATE, fd, 0) : -1;
	sys(__NR_close, fd, 0, 0);
	if (end <= 0 || (unsigned long)p > -4096UL) {
		say(path, ": cannot read the ", what, NULL);
		return NULL;
	}
	*len = (size_t)end;
	return (const uint8_t *)p;
}

/* The host's executable segment: what SUD lets make system calls. */
extern const Elf64_Ehdr __ehdr_start;
static void text_range(uint64_t *lo, uint64_t *hi)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
	*lo = *hi = 0;
	for (unsigned i = 0; i < __ehdr_start.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
			*lo = ph[i].p_vaddr;
			*hi = ph[i].p_vaddr + ph[i].p_memsz;
		}
}

static struct rt_sha256_ctx sha_ctx[2];

/* The start line, in the words the runtime uses on direct (runtime/boot). */
static void notice(const char *platform, const uint8_t *mre, bool simulated)
{
	char hex[17];
	for (int i = 0; i < 8; i++) {
		hex[2 * i] = "0123456789abcdef"[mre[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[mre[i] & 15];
	}
	hex[16] = 0;
	if (simulated)
		say("simulated SGX on the ", platform, " platform: identity checked by EINIT (MRENCLAVE ", hex,
		    "...), but nothing is hidden from the host: ENCLU is simulated in software", NULL);
	else
		say("SGX enclave on the ", platform, " platform (MRENCLAVE ", hex, "...)", NULL);
}

static __attribute__((noreturn)) void not_yet(const char *platform)
{
	say(platform, ": the enclave was built, EINIT accepted it and it was entered, but the runtime does not run "
		      "inside it yet: no program is started on this platform (docs/platforms.md, \"What is left\")",
	    NULL);
	leave(COFFER_EXIT_ENCLAVE);
}

/* The thread's untrusted buffer (sgx_abi.h): outside ELRANGE. */
static uint64_t ubuf[16384 / 8];

/* The probe's one OCALL: its line, from the untrusted buffer, whose length
 * is checked as any host must. */
static long probe_ocall(void *ctx, long code, uint64_t args)
{
	(void)ctx;
	if (code != SGX_OCALL_PROBE_WRITE || args != (uint64_t)ubuf)
		return -38; /* ENOSYS */
	uint64_t len = ubuf[0];
	if (len > sizeof ubuf - 8)
		return -22; /* EINVAL */
	return sys(__NR_write, 2, (long)(ubuf + 1), (long)len);
}

static bool env_set(char **envp, const char *name)
{
	size_t n = strlen(name);
	for (; *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=' && (*envp)[n + 1])
			return true;
	return false;
}

static const char *const stages[] = { "", "the inputs", "ECREATE", "EADD", "EINIT" };

static __attribute__((noreturn)) void run_sim(const struct sgx_load *l, char **envp)
{
	struct layout_result r;
	uint64_t base, lo, hi;
	const char *why = NULL;
	long res;

	text_range(&lo, &hi);
	if (sim_install(lo, hi, NULL, NULL, &why)) {
		say("sgx-sim: ", why, NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
	struct sim_thread *t = sim_thread_init(&why);
	if (!t) {
		say("sgx-sim: ", why, NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
	struct sgx_sha256 cpu_sha = rt_sha256_ops(&sha_ctx[1]);
	int e = sim_load(l, &cpu_sha, rt_sigstruct_verify, &r, &base, &why);
	if (e) {
		say("sgx-sim: ", stages[-e], " refused the enclave: ", why, NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
	if (!env_set(envp, "COFFER_SGX_SIM_FAITHFUL")) {
		if (!r.eexit) {
			say("sgx-sim: the enclave image exports no EEXIT (ELF note \"Coffer\", type SGXE): set "
			    "COFFER_SGX_SIM_FAITHFUL=1 to run it in the faithful variant",
			    NULL);
			leave(COFFER_EXIT_ENCLAVE);
		}
		if (sim_fast(SIM_FAST_TLS | SIM_FAST_EEXIT, r.eexit, &why)) {
			say("sgx-sim: ", why, NULL);
			leave(COFFER_EXIT_ENCLAVE);
		}
	}
	notice("sgx-sim", sim_mrenclave(), true);
	e = (int)sim_ecall(t, sim_tcs_addr(0), SGX_ECALL_PROBE, ubuf, sizeof ubuf, probe_ocall, NULL, &res);
	if (e || res < 0) {
		say("sgx-sim: the enclave's first entry failed", NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
	not_yet("sgx-sim");
}

/* Hardware: never the simulation, whatever is missing. */
static __attribute__((noreturn)) void run_hw(const struct sgx_load *l)
{
	struct sgxhw_cpu cpu;
	struct sgxhw_enclave enc;
	struct sgxhw_params p;
	struct sgx_loaded ld;
	struct layout_result r;
	const char *why = NULL, *cpu_why = NULL;

	int cpu_bad = sgxhw_check_cpu(&sgxhw_linux_ops, &cpu, &cpu_why);
	if (sgxhw_open(&sgxhw_linux_ops, &enc, &why)) {
		if (cpu_bad)
			say("--platform=sgx: ", why, "; and ", cpu_why, NULL);
		else
			say("--platform=sgx: ", why, NULL);
		say("--platform=sgx runs on SGX hardware only (sgx-sim is the simulation)", NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
	if (cpu_bad) {
		say("--platform=sgx: ", cpu_why, NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
	if (sgx_load_open(l, &ld, &why) || layout_build(&ld.params, NULL, NULL, &r, &why)) {
		say("sgx: ", why, NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
	sgxhw_load_params(&ld, &r, &p);
	if (sgxhw_build(&enc, &cpu, &p, &why)) {
		say("sgx: the enclave could not be built: ", why, NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
	notice("sgx", r.mrenclave, false);
	not_yet("sgx");
}

__attribute__((noreturn, used)) void sgx_host_main(uint64_t *sp);
__attribute__((noreturn, used)) void sgx_host_main(uint64_t *sp)
{
	static uint64_t fs_block[64] __attribute__((aligned(64)));
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1), **envp = argv + argc + 1;

	char **e = envp;
	while (*e)
		e++;
	/* the canary at 0x28: the kernel's 16 random bytes (AT_RANDOM) */
	for (uint64_t *av = (uint64_t *)(e + 1); av[0]; av += 2)
		if (av[0] == 25 /* AT_RANDOM */)
			memcpy(&fs_block[5], (const void *)av[1], 8);
	fs_block[0] = (uint64_t)fs_block;
	sys(__NR_arch_prctl, ARCH_SET_FS, (long)fs_block, 0);
	if (argc != 4 || (strcmp(argv[1], "sgx-sim") && strcmp(argv[1], "sgx"))) {
		put("usage: coffer-sgx sgx-sim|sgx IMAGE BUNDLE (started by `coffer run --platform=...`)\n");
		leave(COFFER_EXIT_USAGE);
	}
	struct sgx_sha256 sha = rt_sha256_ops(&sha_ctx[0]);
	struct sgx_load l = { .sha = &sha };
	if (!(l.image = map_file("enclave image", argv[2], &l.image_len)) ||
	    !(l.bundle = map_file("signed bundle", argv[3], &l.bundle_len)))
		leave(COFFER_EXIT_ENCLAVE);
	if (!strcmp(argv[1], "sgx"))
		run_hw(&l);
	run_sim(&l, envp);
}

/* The kernel starts us with %rsp at argc. */
__asm__(".text\n"
	".globl _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call sgx_host_main\n"
	"	ud2\n"
	".size _start, . - _start\n");
