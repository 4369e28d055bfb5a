/*
 * elfreloc.h - a static PIE applying its own relocations: what the enclave
 * image does before any pointer in its data is read (platform/direct's
 * start, the sgx-sim test enclave). Only R_X86_64_RELATIVE is expected
 * (-fvisibility=hidden, static link); anything else is refused.
 *
 * Header-only and freestanding: it touches only PC-relative addresses and
 * the stack, since nothing is relocated yet when it runs. Each word gets
 * base + addend, so running it twice writes the same values.
 */
#ifndef COFFER_COMMON_ELFRELOC_H
#define COFFER_COMMON_ELFRELOC_H

#include <linux/elf.h>
#include <stddef.h>
#include <stdint.h>

#define ELFRELOC_X86_64_NONE 0
#define ELFRELOC_X86_64_RELATIVE 8

/* Apply the RELA table that dyn (the image's _DYNAMIC, as linked) names,
 * for an image loaded at base. 0, or -1 on a relocation of another type. */
static inline int elf_relocate_self(uintptr_t base, const Elf64_Dyn *dyn)
{
	const Elf64_Rela *rela = NULL;
	size_t relasz = 0, relaent = sizeof(Elf64_Rela);

	for (const Elf64_Dyn *d = dyn; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_RELA)
			rela = (const Elf64_Rela *)(base + d->d_un.d_ptr);
		else if (d->d_tag == DT_RELASZ)
			relasz = d->d_un.d_val;
		else if (d->d_tag == DT_RELAENT)
			relaent = d->d_un.d_val;
	}
	for (size_t off = 0; rela && off + relaent <= relasz; off += relaent) {
		const Elf64_Rela *r = (const Elf64_Rela *)((const char *)rela + off);
		if (ELF64_R_TYPE(r->r_info) == ELFRELOC_X86_64_RELATIVE)
			*(uint64_t *)(base + r->r_offset) = base + (uint64_t)r->r_addend;
		else if (ELF64_R_TYPE(r->r_info) != ELFRELOC_X86_64_NONE)
			return -1;
	}
	return 0;
}

#endif
