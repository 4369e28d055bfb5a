/*
 * uts.c - the system's name: uname(2), sethostname, setdomainname and
 * /proc/sys/kernel's hostname, domainname, ostype, osrelease and version,
 * from this one place.
 *
 * The host and domain names are the enclave's own, as if the run had a UTS
 * namespace of its own: set when the first enclave of the run boots (in a
 * bundle from the manifest's `hostname` and `domainname`, by default
 * "localhost" and "(none)" as Gramine has them, because the host's names
 * are not the application's business nor its input: a host could steer a
 * program that trusts them; in a development run the host's names at that
 * moment), then changed only by sethostname and setdomainname, which never
 * reach the host. Every process of the run sees a change at once: the
 * names live in the process registry's shared memory (pidtab_uts), which
 * every process of the run maps and execve hands on; until the registry is
 * made (the run is one process until then: pidtab.c), in this process.
 *
 * The kernel's type, release, version and machine stay the host's, checked
 * to be printable: the system calls do go to that kernel, and programs look
 * at its release to choose features.
 *
 * The shared names are two copies and a generation count (a seqlock whose
 * readers never wait): gen is even while no change runs and odd during
 * one; the names at generation g are in slot (g / 2) & 1, and a change
 * writes the other slot, so a reader that copied slot (g0 / 2) & 1 has a
 * whole copy if gen has not passed g0 rounded down + 2 meanwhile. Changes
 * are serialised by the odd count itself; one whose writer died half way
 * (a process killed in the middle) is mended by the next writer after a
 * while, from the slot it did not touch. What is read is made printable
 * again (the memory is shared with the host on SGX).
 */
#include <linux/utsname.h>

#include "../../common/manifest.h"
#include "../boot/boot.h"
#include "../mm/mm.h"
#include "../mm/uaccess.h"
#include "../proc/pidtab.h"
#include "sys.h"
#include "../lib/host.h"

#define UTS_MAGIC 0x3173656d616e7475ULL /* "utnames1" */
#define UTS_TAKEOVER 10000               /* yields before a change counts as dead */

struct uts_names {
	char node[__NEW_UTS_LEN + 1];
	char domain[__NEW_UTS_LEN + 1];
};

struct uts_area {
	uint64_t magic; /* UTS_MAGIC once the first enclave of the run set it */
	uint32_t gen;   /* see the top; atomic */
	uint32_t pad;
	struct uts_names slot[2];
};
_Static_assert(sizeof(struct uts_area) <= PIDTAB_UTS_SIZE, "the registry holds the names");

static void clean(char *s, size_t n)
{
	s[n - 1] = 0;
	for (size_t i = 0; s[i]; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			s[i] = '?';
}

static struct uts_area *shared(void)
{
	struct uts_area *a = pidtab_uts();
	return a && __atomic_load_n(&a->magic, __ATOMIC_ACQUIRE) == UTS_MAGIC ? a : NULL;
}

static void read_names(struct uts_area *a, struct uts_names *out)
{
	for (;;) {
		uint32_t g0 = __atomic_load_n(&a->gen, __ATOMIC_ACQUIRE);
		memcpy(out, &a->slot[(g0 / 2) & 1], sizeof *out);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&a->gen, __ATOMIC_RELAXED) - (g0 & ~1u) <= 2)
			return;
	}
}

static void write_name(struct uts_area *a, bool domain, const char *s, size_t len)
{
	for (unsigned tries = 0;; tries++) {
		uint32_t g = __atomic_load_n(&a->gen, __ATOMIC_ACQUIRE);
		unsigned stable = (g / 2) & 1;
		if (g & 1) {
			if (tries < UTS_TAKEOVER) {
				plat_yield();
				continue;
			}
			/* its writer is gone: mend its slot, end its change */
			memcpy(&a->slot[stable ^ 1], &a->slot[stable], sizeof a->slot[0]);
			__atomic_compare_exchange_n(&a->gen, &g, g + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
			tries = 0;
			continue;
		}
		if (!__atomic_compare_exchange_n(&a->gen, &g, g + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		struct uts_names *dst = &a->slot[stable ^ 1];
		memcpy(dst, &a->slot[stable], sizeof *dst);
		char *f = domain ? dst->domain : dst->node;
		memset(f, 0, sizeof dst->node);
		memcpy(f, s, len);
		uint32_t w = g + 1;
		if (__atomic_compare_exchange_n(&a->gen, &w, g + 2, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
		/* taken for dead meanwhile: make the change again */
	}
}

/* The names a run starts with. */
static void first_names(const struct new_utsname *host, struct uts_names *n)
{
	memset(n, 0, sizeof *n);
	if (!rt_signed()) {
		str_copy(n->node, host->nodename, sizeof n->node);
		str_copy(n->domain, host->domainname, sizeof n->domain);
		return;
	}
	const char *node = man_str(&rt_manifest, rt_manifest.config.hostname);
	const char *domain = man_str(&rt_manifest, rt_manifest.config.domainname);
	str_copy(n->node, *node ? node : "localhost", sizeof n->node);
	str_copy(n->domain, *domain ? domain : "(none)", sizeof n->domain);
}

_Static_assert(sizeof(struct new_utsname) == sizeof(struct kutsname), "struct new_utsname");

static void host_uname(struct new_utsname *u)
{
	struct kutsname *k = (struct kutsname *)u;
	memset(u, 0, sizeof *u);
	if (host_utsname("uname", plat_host_uname(k), k) < 0) {
		memset(u, 0, sizeof *u);
		str_copy(u->sysname, "Linux", sizeof u->sysname);
		str_copy(u->machine, "x86_64", sizeof u->machine);
	}
}

/* The names this run started with, while it has no registry yet (then it
 * is one process: pidtab.c). */
static struct uts_names uts_first;
static bool uts_have_first;

/* Put the first names into a registry's area that has none. */
static void share_first(struct uts_area *a)
{
	memcpy(&a->slot[0], &uts_first, sizeof a->slot[0]);
	a->gen = 0;
	__atomic_store_n(&a->magic, UTS_MAGIC, __ATOMIC_RELEASE);
}

void uts_boot(void)
{
	struct uts_area *a = pidtab_uts();
	struct new_utsname u;

	if (shared())
		return; /* not the run's first enclave */
	host_uname(&u);
	first_names(&u, &uts_first);
	uts_have_first = true;
	if (a)
		share_first(a);
}

/* pidtab.c made the registry: the names go there, for every process. */
void uts_registry_made(void)
{
	struct uts_area *a = pidtab_uts();
	if (a && !shared() && uts_have_first)
		share_first(a);
}

void uts_get(struct new_utsname *u)
{
	struct uts_area *a = shared();
	struct uts_names n;

	host_uname(u);
	if (a)
		read_names(a, &n);
	else if (uts_have_first)
		memcpy(&n, &uts_first, sizeof n);
	else
		first_names(u, &n);
	memcpy(u->nodename, n.node, sizeof u->nodename);
	memcpy(u->domainname, n.domain, sizeof u->domainname);
	clean(u->sysname, sizeof u->sysname);
	clean(u->release, sizeof u->release);
	clean(u->version, sizeof u->version);
	clean(u->machine, sizeof u->machine);
	clean(u->nodename, sizeof u->nodename);
	clean(u->domainname, sizeof u->domainname);
}

long sys_uname(struct sys_call *c)
{
	struct new_utsname u;
	uts_get(&u);
	return uaccess_copy_to((uintptr_t)c->a[0], &u, sizeof u) ? -EFAULT : 0;
}

/* sethostname and setdomainname: Linux's checks in Linux's order, less
 * CAP_SYS_ADMIN (they change the enclave's names only, which is the
 * application's own business, so root or not they work). */
static long set_name(struct sys_call *c, bool domain)
{
	int len = (int)c->a[1];
	char buf[__NEW_UTS_LEN + 1];
	struct uts_area *a = shared();

	if (len < 0 || len > __NEW_UTS_LEN)
		return -EINVAL;
	if (len && uaccess_copy_from(buf, (uintptr_t)c->a[0], (size_t)len))
		return -EFAULT;
	if (!a && !pidtab_prepare())
		a = shared();
	if (!a)
		return -ENOMEM; /* no registry, which holds the names */
	write_name(a, domain, buf, (size_t)len);
	return 0;
}

long sys_sethostname(struct sys_call *c)
{
	return set_name(c, false);
}

long sys_setdomainname(struct sys_call *c)
{
	return set_name(c, true);
}
