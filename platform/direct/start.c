/*
 * start.c - process start of the enclave image on the direct platform.
 *
 * coffer-enclave is a static position-independent executable with no
 * PT_INTERP, so the kernel jumps straight to _start with nothing relocated.
 * direct_start:
 *   1. applies its own R_X86_64_RELATIVE relocations (before any pointer in
 *      static data is read) and makes RELRO read-only;
 *   2. reads the host facts from the auxiliary vector;
 *   3. reads the boot block from the fd named by --boot-fd=N (the first
 *      argument, as coffer-launcher execs this image) and closes it; run
 *      as `coffer` (any other command line: this image is `coffer`), builds
 *      it for a plain development run from this process's own arguments,
 *      environment and state, or becomes coffer-launcher (devrun.c);
 *   4. for a signed bundle, establishes the enclave's identity and refuses
 *      to go on if it is not what was signed (verify.c), then gives up the
 *      host privileges a container would not have (caps.c);
 *   5. with the testing switch COFFER_MEMORY (a boot-block flag), reserves
 *      the range the application's memory is served from, as sgx gives
 *      the enclave's (app_memory);
 *   6. hands everything to the runtime (rt_main).
 * On the sgx platform the same facts come from the untrusted loader and are
 * checked inside the enclave; here the host is the CPU as well.
 */
#include <linux/auxvec.h>
#include <linux/elf.h>
#include <linux/mman.h>

#include <asm/prctl.h>

#include "../../common/bootblock.h"
#include "../../common/elfreloc.h"
#include "../../common/exit.h"
#include "../../common/sgx.h"
#include "../../runtime/lib/rt.h"
#include "direct.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

extern const Elf64_Ehdr __ehdr_start __attribute__((visibility("hidden")));
extern Elf64_Dyn _DYNAMIC[] __attribute__((visibility("hidden")));

uintptr_t direct_text_lo, direct_text_hi;
uintptr_t direct_image_lo; /* where the image starts (fault.c's shmat lie) */

void direct_early_error(const char *msg)
{
	sys3(__NR_write, 2, msg, strlen(msg));
}

/* No global may be read through a pointer before this has run
 * (common/elfreloc.h). */
static void relocate(uintptr_t base)
{
	if (elf_relocate_self(base, _DYNAMIC)) {
		sys3(__NR_write, 2, "coffer-enclave: unsupported relocation\n", 39);
		sys1(__NR_exit_group, COFFER_EXIT_ENCLAVE);
	}
}

static void image_layout(uintptr_t base, struct plat_boot_info *bi)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + __ehdr_start.e_phoff);
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	for (int i = 0; i < __ehdr_start.e_phnum; i++) {
		uintptr_t s = RT_ALIGN_DOWN(base + ph[i].p_vaddr, RT_PAGE_SIZE);
		uintptr_t e = RT_ALIGN_UP(base + ph[i].p_vaddr + ph[i].p_memsz, RT_PAGE_SIZE);
		if (ph[i].p_type == PT_LOAD) {
			lo = RT_MIN(lo, s);
			hi = RT_MAX(hi, e);
			if (ph[i].p_flags & PF_X) {
				direct_text_lo = s;
				direct_text_hi = e;
			}
		} else if (ph[i].p_type == PT_GNU_RELRO) {
			/* ops tables and the syscall table live here */
			uintptr_t re = RT_ALIGN_DOWN(base + ph[i].p_vaddr + ph[i].p_memsz, RT_PAGE_SIZE);
			if (re > s)
				sys3(__NR_mprotect, s, re - s, PROT_READ);
		}
	}
	bi->image_lo = direct_image_lo = lo;
	bi->image_hi = hi;
	bi->text_lo = direct_text_lo;
	bi->text_hi = direct_text_hi;
}

static const char *arg_value(const char *arg, const char *name)
{
	size_t n = strlen(name);
	return strncmp(arg, name, n) == 0 ? arg + n : NULL;
}

/* Read the whole boot block into fresh anonymous memory. */
static int read_bootblock(int fd, struct plat_boot_info *bi)
{
	long size = sys3(__NR_lseek, fd, 0, 2 /* SEEK_END */);

	if (size <= 0 || size > (long)(64 << 20))
		return -EINVAL;
	long map = sys6(__NR_mmap, 0, RT_ALIGN_UP((size_t)size, RT_PAGE_SIZE), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map < 0 && map > -4096)
		return (int)map;
	for (long got = 0; got < size;) {
		long r = sys4(__NR_pread64, fd, map + got, size - got, got);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return r ? (int)r : -EIO;
		got += r;
	}
	bi->bootblock = (const uint8_t *)map;
	bi->bootblock_len = (size_t)size;
	return 0;
}

/* %fs until the application sets its own: BearSSL, built with the stack
 * protector, reads its canary at %fs:0x28. */
static uint64_t fs_block[32] __attribute__((aligned(64)));

static void setup_fs(void)
{
	fs_block[0] = (uint64_t)fs_block; /* the TCB points at itself */
	sys3(__NR_getrandom, &fs_block[5], 8, 0);
	sys2(__NR_arch_prctl, ARCH_SET_FS, fs_block);
}

int direct_verify(struct plat_boot_info *bi, const uint8_t *expect_mre, const uint8_t *expect_mrs, char *why,
		  size_t whylen);

/* A signed bundle's manifest and SIGSTRUCT travel in the boot block. */
static void establish_identity(struct plat_boot_info *bi)
{
	struct bb_reader r;
	struct bb_record rec;
	const uint8_t *mre = NULL, *mrs = NULL;

	if (bb_reader_init(&r, bi->bootblock, bi->bootblock_len))
		return; /* the runtime reports a malformed block */
	while (bb_next(&r, &rec) > 0) {
		if (rec.type == BB_MANIFEST) {
			bi->manifest = rec.data;
			bi->manifest_len = rec.len;
		} else if (rec.type == BB_SIGSTRUCT && rec.len == SIGSTRUCT_SIZE) {
			bi->sigstruct = rec.data;
		} else if (rec.type == BB_EXPECT_MRENCLAVE && rec.len == 32) {
			mre = rec.data;
		} else if (rec.type == BB_EXPECT_MRSIGNER && rec.len == 32) {
			mrs = rec.data;
		}
	}
	if (!bi->manifest && !bi->sigstruct) {
		/* a development run, unless an identity was pinned: then a bundle
		 * was meant, and an unprotected run would be the wrong answer */
		if (mre || mrs) {
			direct_early_error("coffer: refusing to start: not a signed bundle, but an expected "
					   "MRENCLAVE or MRSIGNER was given\n");
			sys1(__NR_exit_group, COFFER_EXIT_ENCLAVE);
		}
		return;
	}
	char why[400], msg[480];
	if (!bi->manifest || !bi->sigstruct) {
		direct_early_error("coffer: refusing to start: the bundle lacks its manifest or its SIGSTRUCT\n");
		sys1(__NR_exit_group, COFFER_EXIT_ENCLAVE);
	}
	if (direct_verify(bi, mre, mrs, why, sizeof why) || direct_limit_caps(why, sizeof why)) {
		rt_snprintf(msg, sizeof msg, "coffer: refusing to start: %s\n", why);
		direct_early_error(msg);
		sys1(__NR_exit_group, COFFER_EXIT_ENCLAVE);
	}
}

/*
 * The testing switch COFFER_MEMORY=enclave|sgx1: the application's memory
 * comes from one range reserved here, as an enclave's comes from ELRANGE.
 * It sits low (from 64 KiB, the usual vm.mmap_min_addr) so that non-PIE
 * programs, linked at 4 MiB, fit in it as they would in an enclave whose
 * base is 0; where that is taken, anywhere. NORESERVE: the host commits
 * only what is touched, so a big range is free. With sgx1 every page is
 * RWX from the start, as SGX1 pages are after EINIT.
 */
#define DIRECT_APP_MEM_LO 0x10000UL
#define DIRECT_APP_MEM_SIZE (64UL << 30)

static void app_memory(struct plat_boot_info *bi)
{
	struct bb_reader r;
	struct bb_record rec;
	uint32_t flags = 0;

	if (bb_reader_init(&r, bi->bootblock, bi->bootblock_len))
		return;
	while (bb_next(&r, &rec) > 0)
		if (rec.type == BB_FLAGS && !bb_get_u32(&rec, &flags))
			flags = 0;
	if (!(flags & (BB_F_MEM_RANGE | BB_F_MEM_FIXED)))
		return;
	bool fixed = flags & BB_F_MEM_FIXED;
	int prot = fixed ? PROT_READ | PROT_WRITE | PROT_EXEC : PROT_NONE;
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	long a = sys6(__NR_mmap, DIRECT_APP_MEM_LO, DIRECT_APP_MEM_SIZE, prot, mflags | MAP_FIXED_NOREPLACE, -1, 0);
	if (a != (long)DIRECT_APP_MEM_LO) {
		if (a > 0 || a < -4095)
			sys2(__NR_munmap, a, DIRECT_APP_MEM_SIZE); /* an old kernel's hint */
		a = sys6(__NR_mmap, 0, DIRECT_APP_MEM_SIZE, prot, mflags, -1, 0);
	}
	if (a < 0 && a > -4096) {
		direct_early_error("coffer: cannot reserve the application's memory range (COFFER_MEMORY)\n");
		sys1(__NR_exit_group, COFFER_EXIT_ENCLAVE);
	}
	bi->app_mem_lo = (uintptr_t)a;
	bi->app_mem_hi = (uintptr_t)a + DIRECT_APP_MEM_SIZE;
	bi->app_mem = fixed ? PLAT_APP_MEM_FIXED : PLAT_APP_MEM_RANGE;
	if (fixed) {
		/* Play the host of pages added without EEXTEND: their contents
		 * are the host's choice. Where the program's first mappings go
		 * (the program and break low, the stack and ld.so high), leave
		 * a pattern; the runtime must hand out zeros all the same. */
		memset((void *)bi->app_mem_lo, 0xcc, 4UL << 20);
		memset((void *)(bi->app_mem_hi - (16UL << 20)), 0xcc, 16UL << 20);
	}
	bi->app_mem_zeroed = false;
}

__attribute__((noreturn, used)) void direct_start(uintptr_t *sp);

void direct_start(uintptr_t *sp)
{
	uintptr_t base = (uintptr_t)&__ehdr_start;
	relocate(base);

	static struct plat_boot_info bi;
	long argc = (long)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	char **p = envp;
	while (*p)
		p++;
	const uint64_t *auxv = (const uint64_t *)(p + 1);

	bi.platform_name = "direct";
	bi.simulated = true;
	bi.clktck = 100;
	bi.minsigstksz = 2048;
	for (; auxv[0] != AT_NULL; auxv += 2) {
		switch (auxv[0]) {
		case AT_SYSINFO_EHDR: bi.vdso = auxv[1]; break;
		case AT_HWCAP: bi.hwcap = auxv[1]; break;
		case AT_HWCAP2: bi.hwcap2 = auxv[1]; break;
		case AT_CLKTCK: bi.clktck = auxv[1]; break;
		case AT_MINSIGSTKSZ: bi.minsigstksz = auxv[1]; break;
		case AT_UID: bi.uid = auxv[1]; break;
		case AT_EUID: bi.euid = auxv[1]; break;
		case AT_GID: bi.gid = auxv[1]; break;
		case AT_EGID: bi.egid = auxv[1]; break;
		}
	}
	image_layout(base, &bi);
	bi.stack_top = (uintptr_t)sp & ~(uintptr_t)15;

	long boot_fd = -1;
	if (argc < 2 || !arg_value(argv[1], "--boot-fd=")) {
		/* run as `coffer`: a plain development run stays, any other
		 * command line becomes coffer-launcher (devrun.c) */
		direct_front((int)argc, argv, envp, &bi);
		goto booted;
	}
	for (long i = 1; i < argc; i++) {
		const char *v = arg_value(argv[i], "--boot-fd=");
		if (v && !rt_parse_long(v, &boot_fd))
			boot_fd = -1;
		if ((v = arg_value(argv[i], "--fault=")) && !direct_fault_set(v)) {
			char msg[128];
			rt_snprintf(msg, sizeof msg, "coffer-enclave: COFFER_FAULT=%.32s: no such lie "
				    "(docs/platforms.md lists them)\n", v);
			direct_early_error(msg);
			sys1(__NR_exit_group, COFFER_EXIT_USAGE);
		}
	}
	if (boot_fd < 0) {
		direct_early_error("coffer-enclave: --boot-fd= names no fd (coffer-launcher passes the boot "
				   "block so; start programs with `coffer run`)\n");
		sys1(__NR_exit_group, COFFER_EXIT_USAGE);
	}
	int err = read_bootblock((int)boot_fd, &bi);
	sys1(__NR_close, boot_fd);
	if (err) {
		direct_early_error("coffer-enclave: cannot read the boot block\n");
		sys1(__NR_exit_group, COFFER_EXIT_ENCLAVE);
	}
booted:
	setup_fs();
	establish_identity(&bi);
	app_memory(&bi);
	rt_main(&bi);
}
