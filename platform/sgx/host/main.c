/*
 * main.c - coffer-sgx, the sgx platform's host binary: the untrusted process
 * that builds a signed bundle's enclave and enters it. `coffer run
 * --platform=sgx|sgx-sim` execs it (tools/run.c):
 *
 *   coffer-sgx --platform=sgx-sim|sgx --image=IMAGE --boot-fd=N PROGRAM
 *
 * what coffer-enclave gets on direct (the boot block on an inherited fd,
 * the program), plus the platform and the enclave image (coffer-enclave).
 * The bundle comes from the boot block (its manifest and SIGSTRUCT
 * records), as do the MRENCLAVE and MRSIGNER the user pinned, which are
 * compared with what EINIT established before the enclave is entered.
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

#include "../../../common/bootblock.h"
#include "../../../common/cstring.h"
#include "../../../common/exit.h"
#include "../../../runtime/lib/crypto.h"
#include "../sgx_abi.h"
#include "driver.h"
#include "load.h"
#include "sim.h"

#define O_RDONLY 0
#define O_CLOEXEC 02000000
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

/* A whole file mapped read-only (fd closed); NULL if it cannot be. */
static const uint8_t *map_fd(long fd, size_t *len)
{
	long end = sys(__NR_lseek, fd, 0, 2 /* SEEK_END */);
	long p = end > 0 ? sim_syscall6(__NR_mmap, 0, end, PROT_READ, MAP_PRIVATE, fd, 0) : -1;
	sys(__NR_close, fd, 0, 0);
	if (end <= 0 || (unsigned long)p > -4096UL)
		return NULL;
	*len = (size_t)end;
	return (const uint8_t *)p;
}

static const uint8_t *map_file(const char *what, const char *path, size_t *len)
{
	long fd = sys(__NR_open, (long)path, O_RDONLY | O_CLOEXEC, 0);
	const uint8_t *p = fd < 0 ? NULL : map_fd(fd, len);
	if (!p)
		say(path, ": cannot read the ", what, NULL);
	return p;
}

/* What the boot block says for the host: the bundle and the pins. */
struct boot {
	struct bundle bundle;
	const uint8_t *expect_mre, *expect_mrs;
};

static int read_boot(long fd, struct boot *b)
{
	struct bb_reader r;
	struct bb_record rec;
	size_t len;
	int e;
	const uint8_t *p = fd >= 0 ? map_fd(fd, &len) : NULL;

	memset(b, 0, sizeof *b);
	if (!p || bb_reader_init(&r, p, len))
		return -1;
	while ((e = bb_next(&r, &rec)) == 1) {
		if (rec.type == BB_MANIFEST) {
			b->bundle.manifest = rec.data;
			b->bundle.manifest_len = rec.len;
		} else if (rec.type == BB_SIGSTRUCT && rec.len == SIGSTRUCT_SIZE) {
			b->bundle.sigstruct = rec.data;
		} else if (rec.type == BB_EXPECT_MRENCLAVE && rec.len == 32) {
			b->expect_mre = rec.data;
		} else if (rec.type == BB_EXPECT_MRSIGNER && rec.len == 32) {
			b->expect_mrs = rec.data;
		}
	}
	return e || !b->bundle.manifest || !b->bundle.sigstruct ? -1 : 0;
}

static void hex(const uint8_t *v, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[v[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[v[i] & 15];
	}
	out[2 * n] = 0;
}

/* The user's pins against the identity EINIT established; the words of
 * the direct platform's check (platform/direct/verify.c). */
static void check_pins(const struct boot *b, const uint8_t *mre, const uint8_t *mrs)
{
	char is[65], want[65];
	if (b->expect_mre && memcmp(b->expect_mre, mre, 32)) {
		hex(mre, 32, is);
		hex(b->expect_mre, 32, want);
		say("refusing to start: MRENCLAVE is ", is, ", not the expected ", want, NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
	if (b->expect_mrs && memcmp(b->expect_mrs, mrs, 32)) {
		hex(mrs, 32, is);
		hex(b->expect_mrs, 32, want);
		say("refusing to start: MRSIGNER is ", is, ", not the expected ", want, ": signed with another key",
		    NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
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
	char h[17];
	hex(mre, 8, h);
	if (simulated)
		say("simulated SGX on the ", platform, " platform: identity checked by EINIT (MRENCLAVE ", h,
		    "...), but nothing is hidden from the host: ENCLU is simulated in software", NULL);
	else
		say("SGX enclave on the ", platform, " platform (MRENCLAVE ", h, "...)", NULL);
}

static const char *program;

static __attribute__((noreturn)) void not_yet(const char *platform)
{
	say(platform, ": the enclave was built, EINIT accepted it and it was entered, but the runtime does not run "
		      "inside it yet: ", program, " was not started (docs/platforms.md, \"What is left\")",
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

static __attribute__((noreturn)) void run_sim(const struct sgx_load *l, const struct boot *b, char **envp)
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
	check_pins(b, sim_mrenclave(), sim_identity()->mrsigner);
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
static __attribute__((noreturn)) void run_hw(const struct sgx_load *l, const struct boot *b)
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
	uint8_t mrs[32];
	rt_sha256(ld.bundle.sigstruct + SS_MODULUS, SGX_RSA_SIZE, mrs); /* MRSIGNER, as EINIT took it */
	check_pins(b, r.mrenclave, mrs);
	notice("sgx", r.mrenclave, false);
	not_yet("sgx");
}

/* A file descriptor number, or -1. */
static long parse_fd(const char *s)
{
	long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1 << 20)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
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
	const char *platform = NULL, *image = NULL;
	long boot_fd = -1;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strncmp(argv[i], "--platform=", 11))
			platform = argv[i] + 11;
		else if (!strncmp(argv[i], "--image=", 8))
			image = argv[i] + 8;
		else if (!strncmp(argv[i], "--boot-fd=", 10))
			boot_fd = parse_fd(argv[i] + 10);
		else
			break;
	}
	if (i != argc - 1 || !platform || !image || boot_fd < 0 ||
	    (strcmp(platform, "sgx-sim") && strcmp(platform, "sgx"))) {
		put("usage: coffer-sgx --platform=sgx-sim|sgx --image=IMAGE --boot-fd=N PROGRAM "
		    "(started by `coffer run --platform=...`)\n");
		leave(COFFER_EXIT_USAGE);
	}
	program = argv[i];
	struct boot b;
	if (read_boot(boot_fd, &b)) {
		say(platform, ": the boot block names no signed bundle (its manifest and SIGSTRUCT)", NULL);
		leave(COFFER_EXIT_ENCLAVE);
	}
	struct sgx_sha256 sha = rt_sha256_ops(&sha_ctx[0]);
	struct sgx_load l = { .sha = &sha, .parsed = &b.bundle };
	if (!(l.image = map_file("enclave image", image, &l.image_len)))
		leave(COFFER_EXIT_ENCLAVE);
	if (!strcmp(platform, "sgx"))
		run_hw(&l, &b);
	run_sim(&l, &b, envp);
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
