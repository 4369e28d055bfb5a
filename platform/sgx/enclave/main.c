/*
 * main.c - what the enclave image (coffer-enclave) does when it is entered
 * on the sgx platform (sgx-sim or hardware), today: every ECALL first
 * relocates the image where the loader placed it in ELRANGE, once
 * (common/elfreloc.h, the loop the direct platform's start runs at its
 * process start). Relocating after EINIT, inside the enclave, is what keeps
 * MRENCLAVE position-independent: the image is measured as linked, at
 * offset 0, whatever base ELRANGE gets. Then SGX_ECALL_PROBE writes one line
 * through one OCALL (sgx_abi.h): that the image runs inside ELRANGE, and
 * where its ELF header lies there, found through pointers the relocation
 * fixed. The runtime (rt_main behind the OCALL platform) is the next step;
 * until then no exception is handled.
 */
#include <linux/elf.h>

#include "../../../common/elfreloc.h"
#include "../../../common/cstring.h"
#include "enclave.h"

extern const Elf64_Ehdr __ehdr_start __attribute__((visibility("hidden")));
extern Elf64_Dyn _DYNAMIC[] __attribute__((visibility("hidden")));

enum { RELOC_NOT_YET, RELOC_BUSY, RELOC_DONE, RELOC_FAILED };
static int reloc_state;

/* The first ECALL relocates; an ECALL on another thread meanwhile waits for
 * it. No pointer in the image's data may be read before this returns true. */
static bool relocated(void)
{
	int s = RELOC_NOT_YET;

	if (__atomic_compare_exchange_n(&reloc_state, &s, RELOC_BUSY, false, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		s = elf_relocate_self((uintptr_t)&__ehdr_start, _DYNAMIC) ? RELOC_FAILED : RELOC_DONE;
		__atomic_store_n(&reloc_state, s, __ATOMIC_RELEASE);
	}
	while ((s = __atomic_load_n(&reloc_state, __ATOMIC_ACQUIRE)) == RELOC_BUSY)
		__builtin_ia32_pause();
	return s == RELOC_DONE;
}

/* Pointers in data: right only once relocated (a static PIE's
 * R_X86_64_RELATIVE relocations, in .data.rel.ro). */
static const Elf64_Ehdr *const image_header = &__ehdr_start;
static const char *const probe_words[] = { "sgx-sim: enclave entered", ", image at ELRANGE+0x" };

static size_t put_str(char *out, size_t at, const char *s)
{
	size_t n = strlen(s);
	memcpy(out + at, s, n);
	return at + n;
}

static long probe(void)
{
	struct probe_line {
		uint64_t len;
		char line[128];
	} *ub = sgx_ubuf(sizeof(struct probe_line));
	char line[128];
	uint64_t off = (uint64_t)image_header - sgx_tb()->base;
	size_t n = 0;

	if (!ub)
		return -14; /* EFAULT: no buffer outside ELRANGE to write through */
	/* the header a relocated pointer names must be ours, in ELRANGE */
	if (image_header != &__ehdr_start || memcmp(image_header->e_ident, ELFMAG, SELFMAG) ||
	    off >= sgx_tb()->enclave_size)
		return -5; /* EIO */
	n = put_str(line, n, probe_words[0]);
	n = put_str(line, n, probe_words[1]);
	for (int sh = 44; sh >= 0; sh -= 4)
		line[n++] = "0123456789abcdef"[(off >> sh) & 15];
	line[n++] = '\n';
	ub->len = n;
	memcpy(ub->line, line, n);
	return sgx_ocall(SGX_OCALL_PROBE_WRITE, ub);
}

long sgx_main(long code)
{
	if (!relocated())
		return -8; /* ENOEXEC: a relocation the image cannot apply */
	if (code == SGX_ECALL_PROBE)
		return probe();
	return -38; /* ENOSYS */
}

/* Not yet: the runtime will handle #UD from `syscall`, faults and signals. */
bool sgx_on_exception(struct sgx_event *ev)
{
	(void)ev;
	return false;
}
