/* hostutil.c - what the sgx-sim test hosts share (hostutil.h) */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../tools/crypto.h"
#include "hostutil.h"

int rsa_verify(const uint8_t *ss)
{
	const char *why;
	return sigstruct_verify(ss, &why);
}

uint8_t *slurp(const char *path, size_t *len)
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

void text_range(uint64_t *lo, uint64_t *hi)
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
