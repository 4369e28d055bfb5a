/*
 * loader.c - ELF and script loading (see loader.h), the way Linux's
 * binfmt_elf and binfmt_script do it:
 *  - every PT_LOAD segment is mapped from the file at its page-aligned
 *    offset; the end of the last file page past p_filesz is zeroed and the
 *    rest of p_memsz is anonymous memory (.bss);
 *  - ET_DYN images (PIE programs, ld.so) get one reservation for their whole
 *    span, placed by the host, and their segments inside it;
 *  - ET_EXEC images go at their link addresses, which must not touch runtime
 *    memory.
 * With enclave memory (mm/vma.h) everything the program gets is placed in
 * the platform's range by the runtime: the initial stack at its top, the
 * program low in it with the break right after, ld.so top-down below the
 * stack like any mapping; no vDSO (the host's lies outside the range), and
 * a non-PIE program whose link address is outside the range cannot run.
 * Headers read from the file are untrusted input: counts, sizes and offsets
 * are bounded before use.
 */
#include <linux/auxvec.h>
#include <linux/elf.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/stat.h>

#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../mm/vma.h"
#include "../proc/proc.h"
#include "loader.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
#define MAX_SHEBANG_DEPTH 4
#define BINPRM_BUF_SIZE 256
#define MAX_PHNUM 1024
#define MAX_ARG_BYTES (2UL << 20)
#define ENCLAVE_STACK_SIZE (8UL << 20) /* Linux's default RLIMIT_STACK */

/* ---- string vectors ----------------------------------------------------- */

int strvec_push(struct strvec *s, const char *str)
{
	if (s->n + 1 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = rt_alloc(cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		if (s->n)
			memcpy(v, s->v, s->n * sizeof *v);
		rt_free(s->v);
		s->v = v;
		s->cap = cap;
	}
	char *d = rt_strdup(str);
	if (!d)
		return -ENOMEM;
	s->v[s->n++] = d;
	s->v[s->n] = NULL;
	s->bytes += strlen(str) + 1;
	return 0;
}

void strvec_free(struct strvec *s)
{
	for (size_t i = 0; i < s->n; i++)
		rt_free(s->v[i]);
	rt_free(s->v);
	memset(s, 0, sizeof *s);
}

/* ---- file access ------------------------------------------------------------ */

/* Linux refuses to run a file that is open for writing (ETXTBSY), although
 * here the loader, not the kernel, maps it. The host tells through a read
 * lease: it grants one only on a file nobody has open for writing, and the
 * lease is dropped at once. Where it grants none for another reason (not
 * the file's owner and no CAP_LEASE, leases disabled) there is no answer
 * and the file runs. */
static bool busy_for_exec(long fd)
{
	long r = plat_host_fcntl((int)fd, F_SETLEASE, F_RDLCK);
	if (r == 0)
		plat_host_fcntl((int)fd, F_SETLEASE, F_UNLCK);
	return r == -EAGAIN;
}

/* Open for execution: a regular file, executable, on a mount that may
 * supply programs (trusted files in a signed enclave), not open for writing. */
static struct file *open_exec(const char *path, char *abs, long *fd)
{
	struct vfs_path p;
	struct kstat_buf st;
	char pbuf[RT_PATH_MAX];
	long r = vfs_resolve(VFS_AT_FDCWD, path, pbuf, &p);

	*fd = r;
	if (r)
		return NULL;
	str_copy(abs, p.abs, RT_PATH_MAX);
	/* what does not exist is ENOENT, whatever mount it would be on */
	if (!p.mnt->ops->stat || (r = p.mnt->ops->stat(&p, 0, &st))) {
		*fd = r ? r : -EACCES;
		return NULL;
	}
	if (!p.mnt->exec_ok) {
		log_warn("%s is not a trusted file: the manifest allows executing trusted files only", p.abs);
		*fd = -EACCES;
		return NULL;
	}
	if (!S_ISREG(st.st.st_mode) ||
	    (p.mnt->ops->access && (r = p.mnt->ops->access(&p, 1 /* X_OK */, 0)))) {
		*fd = r ? r : -EACCES;
		return NULL;
	}
	vfs_record('X', p.abs);
	struct file *f = vfs_open_file(p.abs, O_RDONLY | O_CLOEXEC, fd);
	if (f && f->ops->host && busy_for_exec(*fd)) {
		vfs_file_close(f, *fd);
		*fd = -ETXTBSY;
		return NULL;
	}
	return f;
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case 3: return "i386";
	case 8: return "MIPS";
	case 20: return "PowerPC";
	case 21: return "PowerPC64";
	case 22: return "s390";
	case 40: return "ARM";
	case 43: return "SPARC v9";
	case 183: return "AArch64";
	case 243: return "RISC-V";
	case 258: return "LoongArch";
	default: return "another architecture";
	}
}

/* Is this an ELF we can run? Returns 0, or -ENOEXEC with the reason. */
static long elf_check(const uint8_t *buf, size_t n, char *why, size_t whylen)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

	if (n < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0) {
		rt_snprintf(why, whylen, "cannot execute: not an ELF executable and no #! line");
		return -ENOEXEC;
	}
	if (buf[EI_CLASS] != ELFCLASS64) {
		const Elf32_Ehdr *e32 = (const Elf32_Ehdr *)buf;
		rt_snprintf(why, whylen, "cannot execute: 32-bit ELF for %s; coffer runs x86-64 programs",
			    n >= sizeof *e32 ? machine_name(e32->e_machine) : "an unknown machine");
		return -ENOEXEC;
	}
	if (n < sizeof *eh || buf[EI_DATA] != ELFDATA2LSB || buf[EI_VERSION] != EV_CURRENT) {
		rt_snprintf(why, whylen, "cannot execute: malformed ELF header");
		return -ENOEXEC;
	}
	if (eh->e_machine != EM_X86_64) {
		rt_snprintf(why, whylen, "cannot execute: ELF for %s (machine %u); coffer runs x86-64 programs",
			    machine_name(eh->e_machine), eh->e_machine);
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
		rt_snprintf(why, whylen, "cannot execute: ELF file is not an executable (type %u)", eh->e_type);
		return -ENOEXEC;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHNUM) {
		rt_snprintf(why, whylen, "cannot execute: malformed ELF program headers");
		return -ENOEXEC;
	}
	return 0;
}

/* Parse a "#!" line into interpreter and optional argument, as Linux does:
 * leading blanks skipped, the interpreter ends at a blank, the rest of the
 * line (trimmed) is one argument. */
static long parse_shebang(char *buf, size_t n, char **interp, char **arg)
{
	buf[RT_MIN(n, (size_t)BINPRM_BUF_SIZE - 1)] = 0;
	char *end = strchr(buf, '\n');
	if (!end) {
		if (n >= BINPRM_BUF_SIZE - 1)
			return -ENOEXEC; /* interpreter line too long */
		end = buf + strlen(buf);
	}
	*end = 0;
	while (end > buf + 2 && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = 0;
	char *p = buf + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*arg = NULL;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			*arg = p;
	}
	return 0;
}

static const char *errno_text(long err)
{
	switch (err) {
	case -ENOENT: return "No such file or directory";
	case -EACCES: return "Permission denied";
	case -ENOTDIR: return "Not a directory";
	case -ELOOP: return "Too many levels of symbolic links or interpreters";
	case -ENAMETOOLONG: return "File name too long";
	case -E2BIG: return "Argument list too long";
	case -ENOMEM: return "Cannot allocate memory";
	default: return "cannot execute";
	}
}

long loader_resolve(const char *path, const char *const *argv, size_t argc, struct loader_prog *prog,
		    char *why, size_t whylen)
{
	char cur[RT_PATH_MAX];
	char buf[BINPRM_BUF_SIZE];
	long r;

	memset(prog, 0, sizeof *prog);
	for (size_t i = 0; i < argc; i++)
		if ((r = strvec_push(&prog->argv, argv[i])))
			goto fail;
	if (prog->argv.bytes > MAX_ARG_BYTES) {
		r = -E2BIG;
		goto fail_msg;
	}
	str_copy(cur, path, sizeof cur);
	for (int depth = 0;; depth++) {
		prog->fail_depth = depth;
		long fd;
		struct file *f = open_exec(cur, prog->elf, &fd);
		if (!f) {
			r = fd;
			if (depth > 0) {
				rt_snprintf(why, whylen, "bad interpreter %s: %s", cur, errno_text(r));
				goto fail;
			}
			goto fail_msg;
		}
		long n = vfs_file_pread(f, fd, buf, sizeof buf - 1, 0);
		vfs_file_close(f, fd);
		if (n < 0) {
			r = n;
			goto fail_msg;
		}
		if (n < 2 || buf[0] != '#' || buf[1] != '!') {
			r = elf_check((const uint8_t *)buf, (size_t)n, why, whylen);
			if (r)
				goto fail;
			return 0;
		}
		if (depth == MAX_SHEBANG_DEPTH) {
			r = -ELOOP;
			goto fail_msg;
		}
		char *interp, *arg;
		if (parse_shebang(buf, (size_t)n, &interp, &arg)) {
			rt_snprintf(why, whylen, "cannot execute: malformed #! line");
			r = -ENOEXEC;
			goto fail;
		}
		/* argv becomes: interp [arg] cur argv[1..] */
		struct strvec nv = { 0 };
		if ((r = strvec_push(&nv, interp)) || (arg && (r = strvec_push(&nv, arg))) ||
		    (r = strvec_push(&nv, cur))) {
			strvec_free(&nv);
			goto fail;
		}
		for (size_t i = 1; i < prog->argv.n; i++)
			if ((r = strvec_push(&nv, prog->argv.v[i]))) {
				strvec_free(&nv);
				goto fail;
			}
		strvec_free(&prog->argv);
		prog->argv = nv;
		str_copy(cur, interp, sizeof cur);
	}
fail_msg:
	rt_snprintf(why, whylen, "%s", errno_text(r));
fail:
	strvec_free(&prog->argv);
	return r;
}

/* ---- mapping ------------------------------------------------------------------ */

struct elf_loaded {
	uintptr_t base, entry, phdr, end;
	unsigned phnum;
	char interp[RT_PATH_MAX];
	bool has_interp;
};

static int elf_prot(uint32_t f)
{
	return ((f & PF_R) ? PROT_READ : 0) | ((f & PF_W) ? PROT_WRITE : 0) | ((f & PF_X) ? PROT_EXEC : 0);
}

static long map_segment(struct file *f, long fd, uintptr_t base, const Elf64_Phdr *ph)
{
	int prot = elf_prot(ph->p_flags);
	uintptr_t start = base + ph->p_vaddr;
	uintptr_t page = RT_ALIGN_DOWN(start, RT_PAGE_SIZE);
	uintptr_t file_end = start + ph->p_filesz;
	uintptr_t mem_end = RT_ALIGN_UP(start + ph->p_memsz, RT_PAGE_SIZE);
	bool zero_tail = ph->p_memsz > ph->p_filesz && (file_end & (RT_PAGE_SIZE - 1));
	long r;

	if (ph->p_filesz) {
		size_t len = RT_ALIGN_UP(file_end, RT_PAGE_SIZE) - page;
		long off = (long)(ph->p_offset - (start - page));
		r = vfs_file_mmap(f, fd, page, len, prot | (zero_tail ? PROT_WRITE : 0), MAP_PRIVATE | MAP_FIXED, off);
		if (mm_is_err(r))
			return r;
		if (zero_tail) {
			memset((void *)file_end, 0, RT_ALIGN_UP(file_end, RT_PAGE_SIZE) - file_end);
			if (!(prot & PROT_WRITE))
				vma_on() ? vma_mprotect(page, len, prot) : plat_mem_protect(page, len, prot);
		}
	}
	uintptr_t anon = RT_ALIGN_UP(ph->p_filesz ? file_end : start, RT_PAGE_SIZE);
	if (!ph->p_filesz)
		anon = page;
	if (mem_end > anon) {
		int fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
		r = vma_on() ? vma_mmap(anon, mem_end - anon, prot, fl, NULL, -1, 0)
			     : plat_mem_map(anon, mem_end - anon, prot, fl, -1, 0);
		if (mm_is_err(r))
			return r;
	}
	return 0;
}

/* hint: where an ET_DYN image should go in enclave memory (0: anywhere). */
static long load_elf(const char *path, uintptr_t hint, struct elf_loaded *out, char *why, size_t whylen)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	char abs[RT_PATH_MAX];
	long r, fd;
	struct file *f = open_exec(path, abs, &fd);

	if (!f) {
		rt_snprintf(why, whylen, "%s: %s", path, errno_text(fd));
		return fd;
	}
	memset(out, 0, sizeof *out);
	r = vfs_file_pread(f, fd, &eh, sizeof eh, 0);
	if (r >= 0 && (r = elf_check((const uint8_t *)&eh, (size_t)r, why, whylen)))
		goto out;
	size_t phsize = (size_t)eh.e_phnum * sizeof *ph;
	ph = rt_alloc(phsize);
	r = -ENOMEM;
	if (!ph)
		goto out;
	r = vfs_file_pread(f, fd, ph, phsize, (long)eh.e_phoff);
	if (r != (long)phsize) {
		rt_snprintf(why, whylen, "cannot execute: truncated ELF program headers");
		r = -ENOEXEC;
		goto out;
	}

	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP) {
			if (ph[i].p_filesz < 2 || ph[i].p_filesz > RT_PATH_MAX ||
			    vfs_file_pread(f, fd, out->interp, ph[i].p_filesz, (long)ph[i].p_offset) !=
				    (long)ph[i].p_filesz ||
			    out->interp[ph[i].p_filesz - 1] != 0) {
				rt_snprintf(why, whylen, "cannot execute: malformed PT_INTERP");
				r = -ENOEXEC;
				goto out;
			}
			out->has_interp = true;
		}
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_memsz < ph[i].p_filesz || ph[i].p_vaddr + ph[i].p_memsz < ph[i].p_vaddr ||
		    ph[i].p_vaddr + ph[i].p_memsz > (1UL << 47) ||
		    (ph[i].p_offset & (RT_PAGE_SIZE - 1)) != (ph[i].p_vaddr & (RT_PAGE_SIZE - 1))) {
			rt_snprintf(why, whylen, "cannot execute: malformed ELF segment");
			r = -ENOEXEC;
			goto out;
		}
		lo = RT_MIN(lo, RT_ALIGN_DOWN(ph[i].p_vaddr, RT_PAGE_SIZE));
		hi = RT_MAX(hi, RT_ALIGN_UP(ph[i].p_vaddr + ph[i].p_memsz, RT_PAGE_SIZE));
	}
	if (lo >= hi) {
		rt_snprintf(why, whylen, "cannot execute: ELF file has nothing to load");
		r = -ENOEXEC;
		goto out;
	}
	if (eh.e_type == ET_DYN) {
		long a = vma_on() ? vma_mmap(hint, hi - lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, -1, 0)
				  : plat_mem_map(0, hi - lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mm_is_err(a)) {
			r = a;
			goto out;
		}
		if (!mm_user_ok((uintptr_t)a, hi - lo))
			rt_panic("the host placed a program inside runtime memory");
		out->base = (uintptr_t)a - lo;
	} else if (!mm_user_ok(lo, hi - lo)) {
		rt_snprintf(why, whylen, "cannot execute: its load address collides with the runtime");
		r = -ENOMEM;
		goto out;
	} else if (vma_on() && (lo < vma_lo || hi > vma_hi)) {
		rt_snprintf(why, whylen,
			    "cannot execute: a non-PIE program linked at %p, outside the enclave's memory "
			    "range %p-%p (build it as PIE)",
			    (void *)lo, (void *)vma_lo, (void *)vma_hi);
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && (r = map_segment(f, fd, out->base, &ph[i]))) {
			rt_snprintf(why, whylen, "cannot map %s (%ld)", path, r);
			goto out;
		}
	}
	out->entry = out->base + eh.e_entry;
	out->end = out->base + hi;
	out->phnum = eh.e_phnum;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_PHDR)
			out->phdr = out->base + ph[i].p_vaddr;
	}
	for (unsigned i = 0; !out->phdr && i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && eh.e_phoff >= ph[i].p_offset &&
		    eh.e_phoff + phsize <= ph[i].p_offset + ph[i].p_filesz)
			out->phdr = out->base + ph[i].p_vaddr + (eh.e_phoff - ph[i].p_offset);
	}
	r = 0;
out:
	rt_free(ph);
	vfs_file_close(f, fd);
	return r;
}

/* ---- the initial stack ------------------------------------------------------- */

struct stack_builder {
	uintptr_t sp;
	uintptr_t limit;
};

static uintptr_t push_bytes(struct stack_builder *b, const void *data, size_t n)
{
	if (b->sp - b->limit < n)
		return 0;
	b->sp -= n;
	memcpy((void *)b->sp, data, n);
	return b->sp;
}

static uintptr_t push_str(struct stack_builder *b, const char *s)
{
	return push_bytes(b, s, strlen(s) + 1);
}

long loader_load(const struct loader_prog *prog, struct loader_env *env, struct kucontext *ctx,
		 char *why, size_t whylen)
{
	const struct plat_boot_info *bi = env->bi;
	struct elf_loaded app, interp;
	uintptr_t stack_top = bi->stack_top, vdso = bi->vdso;
	long r;

	if (vma_on()) {
		/* first, so that everything mapped later goes below it */
		vdso = 0;
		if (!(stack_top = vma_stack(ENCLAVE_STACK_SIZE))) {
			rt_snprintf(why, whylen, "no room for the stack in the enclave's memory range");
			return -ENOMEM;
		}
	}
	r = load_elf(prog->elf, vma_on() ? RT_ALIGN_UP(vma_lo, 1UL << 20) : 0, &app, why, whylen);
	if (r)
		return r;
	if (vma_on())
		vma_brk_init(app.end);
	uintptr_t start = app.entry;
	uintptr_t interp_base = 0;
	if (app.has_interp) {
		char ibuf[RT_PATH_MAX];
		str_copy(ibuf, app.interp, sizeof ibuf);
		r = load_elf(ibuf, 0, &interp, why, whylen);
		if (r) {
			if (r == -ENOENT)
				rt_snprintf(why, whylen, "cannot execute: its loader %s is missing", ibuf);
			return r;
		}
		start = interp.entry;
		interp_base = interp.base;
	}

	/* Strings at the top, then the random bytes, then pointers. Linux
	 * limits arguments to a quarter of the stack limit; so do we. */
	size_t envbytes = 0;
	for (size_t i = 0; i < env->envc; i++)
		envbytes += strlen(env->envp[i]) + 1;
	if (prog->argv.bytes + envbytes > MAX_ARG_BYTES) {
		rt_snprintf(why, whylen, "Argument list too long");
		return -E2BIG;
	}
	struct stack_builder b = { stack_top, stack_top - (6UL << 20) };
	uintptr_t execfn = push_str(&b, env->execfn);
	char **uenv = rt_alloc((env->envc + 1) * sizeof *uenv);
	char **uarg = rt_alloc((prog->argv.n + 1) * sizeof *uarg);
	if (!uenv || !uarg) {
		rt_free(uenv);
		rt_free(uarg);
		return -ENOMEM;
	}
	uintptr_t env_hi = b.sp;
	for (size_t i = env->envc; i-- > 0;)
		uenv[i] = (char *)push_str(&b, env->envp[i]);
	uintptr_t arg_hi = b.sp;
	for (size_t i = prog->argv.n; i-- > 0;)
		uarg[i] = (char *)push_str(&b, prog->argv.v[i]);
	env->view.arg_lo = b.sp;
	env->view.arg_hi = arg_hi;
	env->view.env_lo = arg_hi;
	env->view.env_hi = env_hi;
	uintptr_t platform = push_str(&b, "x86_64");
	uint8_t rnd[16];
	plat_random(rnd, sizeof rnd);
	uintptr_t random = push_bytes(&b, rnd, sizeof rnd);

	uint64_t aux[][2] = {
		{ AT_SYSINFO_EHDR, vdso },
		{ AT_MINSIGSTKSZ, bi->minsigstksz },
		{ AT_HWCAP, bi->hwcap },
		{ AT_PAGESZ, RT_PAGE_SIZE },
		{ AT_CLKTCK, bi->clktck },
		{ AT_PHDR, app.phdr },
		{ AT_PHENT, sizeof(Elf64_Phdr) },
		{ AT_PHNUM, app.phnum },
		{ AT_BASE, interp_base },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, app.entry },
		{ AT_UID, bi->uid },
		{ AT_EUID, bi->euid },
		{ AT_GID, bi->gid },
		{ AT_EGID, bi->egid },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, random },
		{ AT_HWCAP2, bi->hwcap2 },
		{ AT_EXECFN, execfn },
		{ AT_PLATFORM, platform },
		{ AT_NULL, 0 },
	};
	size_t naux = RT_ARRAY_LEN(aux) - (vdso ? 0 : 1);
	size_t words = 1 + prog->argv.n + 1 + env->envc + 1 + naux * 2;
	uintptr_t sp = RT_ALIGN_DOWN(b.sp - words * 8, 16);
	if (!execfn || !random || sp < b.limit) {
		rt_free(uenv);
		rt_free(uarg);
		rt_snprintf(why, whylen, "Argument list too long");
		return -E2BIG;
	}
	uint64_t *w = (uint64_t *)sp;
	*w++ = prog->argv.n;
	for (size_t i = 0; i < prog->argv.n; i++)
		*w++ = (uint64_t)uarg[i];
	*w++ = 0;
	for (size_t i = 0; i < env->envc; i++)
		*w++ = (uint64_t)uenv[i];
	*w++ = 0;
	env->view.auxv = w;
	for (size_t i = vdso ? 0 : 1; i < RT_ARRAY_LEN(aux); i++) {
		*w++ = aux[i][0];
		*w++ = aux[i][1];
	}
	env->view.auxv_bytes = naux * 16;
	env->view.name = prog->argv.n ? prog->argv.v[0] : env->execfn;
	rt_free(uenv);
	rt_free(uarg);

	memset(ctx, 0, sizeof *ctx);
	ctx->uc_mcontext.rip = start;
	ctx->uc_mcontext.rsp = sp;
	ctx->uc_mcontext.eflags = 0x202;
	return 0;
}
