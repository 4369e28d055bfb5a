/*
 * vdso.c - finding __vdso_sgx_enter_enclave in the vDSO (driver.h).
 *
 * The kernel maps the vDSO into every process and gives its ELF header's
 * address in the auxiliary vector (AT_SYSINFO_EHDR). Its dynamic section
 * names a symbol table, a string table and a SysV hash table (x86-64 vDSOs
 * carry DT_HASH as well as DT_GNU_HASH); the hash table's second word is the
 * number of symbols, so the table is searched linearly with that bound,
 * which needs no hash function and stays obviously inside the image. Every
 * offset and count is checked against the image's length before use: the
 * parser is also given crafted images by the unit test.
 *
 * The vDSO is linked at address 0 and mapped as its file image, so a
 * virtual address in it becomes an offset through its PT_LOAD headers, and
 * the symbol's address is the image start plus that offset.
 */
#include <linux/errno.h>

#include "../../../common/cstring.h"
#include "driver.h"

#define AT_NULL 0
#define AT_SYSINFO_EHDR 33

#define PT_LOAD 1
#define PT_DYNAMIC 2
#define DT_NULL 0
#define DT_HASH 4
#define DT_STRTAB 5
#define DT_SYMTAB 6
#define DT_STRSZ 10
#define DT_SYMENT 11
#define STT_FUNC 2

#define EHDR_SIZE 64u
#define PHDR_SIZE 56u
#define SYM_SIZE 24u

static const char not_found[] = "the symbol is not in the vDSO";

const uint8_t *sgxhw_auxv_vdso(const uint64_t *auxv)
{
	for (; auxv[0] != AT_NULL; auxv += 2)
		if (auxv[0] == AT_SYSINFO_EHDR)
			return (const uint8_t *)(uintptr_t)auxv[1];
	return NULL;
}

/* [off, off + n) inside [0, len)? */
static bool in(uint64_t off, uint64_t n, uint64_t len)
{
	return off <= len && n <= len - off;
}

static bool ehdr_ok(const uint8_t *img, size_t len)
{
	return len >= EHDR_SIZE && !memcmp(img, "\x7f" "ELF", 4) && img[4] == 2 /* 64-bit */ &&
	       img[5] == 1 /* little-endian */ && sgx_le16(img + 16) == 3 /* ET_DYN */ &&
	       sgx_le16(img + 54) == PHDR_SIZE;
}

/* The file offset of virtual address v with n bytes after it, through the
 * PT_LOAD headers; false if no segment holds it. */
static bool v2off(const uint8_t *img, size_t len, uint64_t v, uint64_t n, uint64_t *off)
{
	uint64_t phoff = sgx_le64(img + 32);
	unsigned phnum = sgx_le16(img + 56);

	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + i * PHDR_SIZE;
		if (sgx_le32(ph) != PT_LOAD)
			continue;
		uint64_t p_off = sgx_le64(ph + 8), p_vaddr = sgx_le64(ph + 16), p_filesz = sgx_le64(ph + 32);
		if (v < p_vaddr || v - p_vaddr > p_filesz || n > p_filesz - (v - p_vaddr))
			continue;
		uint64_t o = p_off + (v - p_vaddr);
		if (o < p_off || !in(o, n, len))
			return false;
		*off = o;
		return true;
	}
	return false;
}

uint64_t sgxhw_elf_symbol(const uint8_t *img, size_t len, const char *name, const char **why)
{
	uint64_t hash = 0, strtab = 0, symtab = 0, strsz = 0, syment = 0, dyn = 0, dynsz = 0;
	bool have_hash = false, have_str = false, have_sym = false;

	if (!ehdr_ok(img, len)) {
		*why = "the vDSO is not a 64-bit little-endian ELF shared object";
		return 0;
	}
	uint64_t phoff = sgx_le64(img + 32);
	unsigned phnum = sgx_le16(img + 56);
	if (!in(phoff, (uint64_t)phnum * PHDR_SIZE, len)) {
		*why = "the vDSO's program headers lie outside it";
		return 0;
	}
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + i * PHDR_SIZE;
		if (sgx_le32(ph) == PT_DYNAMIC) {
			dyn = sgx_le64(ph + 8);
			dynsz = sgx_le64(ph + 32);
		}
	}
	if (!dynsz || !in(dyn, dynsz, len)) {
		*why = "the vDSO has no dynamic section inside it";
		return 0;
	}
	for (uint64_t d = dyn; d + 16 <= dyn + dynsz; d += 16) {
		int64_t tag = (int64_t)sgx_le64(img + d);
		uint64_t val = sgx_le64(img + d + 8);
		if (tag == DT_NULL)
			break;
		if (tag == DT_HASH)
			hash = val, have_hash = true;
		else if (tag == DT_STRTAB)
			strtab = val, have_str = true;
		else if (tag == DT_SYMTAB)
			symtab = val, have_sym = true;
		else if (tag == DT_STRSZ)
			strsz = val;
		else if (tag == DT_SYMENT)
			syment = val;
	}
	if (!have_hash || !have_str || !have_sym || !strsz || (syment && syment != SYM_SIZE)) {
		*why = "the vDSO's dynamic section lacks DT_HASH, DT_STRTAB, DT_SYMTAB or DT_STRSZ";
		return 0;
	}
	uint64_t hoff, soff, stroff;
	if (!v2off(img, len, hash, 8, &hoff) || !v2off(img, len, strtab, strsz, &stroff)) {
		*why = "the vDSO's hash or string table lies outside it";
		return 0;
	}
	uint32_t nsyms = sgx_le32(img + hoff + 4); /* nchain */
	if (!v2off(img, len, symtab, (uint64_t)nsyms * SYM_SIZE, &soff)) {
		*why = "the vDSO's symbol table lies outside it";
		return 0;
	}
	size_t nlen = strlen(name);
	const uint8_t *str = img + stroff;
	for (uint32_t i = 1; i < nsyms; i++) {
		const uint8_t *sym = img + soff + (uint64_t)i * SYM_SIZE;
		uint32_t st_name = sgx_le32(sym);
		/* the name and its terminator inside the string table */
		if (st_name >= strsz || nlen >= strsz - st_name || memcmp(str + st_name, name, nlen + 1))
			continue;
		uint64_t value = sgx_le64(sym + 8), off;
		if ((sym[4] & 0xf) != STT_FUNC || sgx_le16(sym + 6) == 0 /* SHN_UNDEF */ ||
		    !v2off(img, len, value, 1, &off) || off == 0) {
			*why = "the vDSO's symbol is not a function defined inside it";
			return 0;
		}
		return off;
	}
	*why = not_found;
	return 0;
}

size_t sgxhw_vdso_len(const uint8_t *vdso)
{
	/* The vDSO is at least a page; its headers are in the first one. */
	if (!ehdr_ok(vdso, SGX_PAGE_SIZE))
		return 0;
	uint64_t phoff = sgx_le64(vdso + 32), end = 0;
	unsigned phnum = sgx_le16(vdso + 56);
	if (!in(phoff, (uint64_t)phnum * PHDR_SIZE, SGX_PAGE_SIZE))
		return 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = vdso + phoff + i * PHDR_SIZE;
		uint64_t o = sgx_le64(ph + 8), n = sgx_le64(ph + 32);
		if (sgx_le32(ph) != PT_LOAD)
			continue;
		if (o + n < o || o + n > (1ull << 24)) /* a vDSO is a few pages */
			return 0;
		if (o + n > end)
			end = o + n;
	}
	return end >= phoff + (uint64_t)phnum * PHDR_SIZE ? (size_t)end : 0;
}

sgxhw_vdso_enter_fn sgxhw_find_enter(const struct sgxhw_ops *ops, const char **why)
{
	size_t len;

	if (!ops->vdso) {
		*why = "the process has no vDSO (no AT_SYSINFO_EHDR), so no __vdso_sgx_enter_enclave";
		return NULL;
	}
	len = sgxhw_vdso_len(ops->vdso);
	if (!len) {
		*why = "the vDSO's headers are not sane";
		return NULL;
	}
	uint64_t off = sgxhw_elf_symbol(ops->vdso, len, "__vdso_sgx_enter_enclave", why);
	if (!off) {
		if (*why == not_found)
			*why = "the kernel's vDSO has no __vdso_sgx_enter_enclave: the kernel was built without SGX "
			       "(CONFIG_X86_SGX, Linux 5.11 or later)";
		return NULL;
	}
	return (sgxhw_vdso_enter_fn)(uintptr_t)(ops->vdso + off);
}
