/*
 * uts.c - the system's name: uname(2) and /proc/sys/kernel's hostname,
 * domainname, ostype, osrelease and version, from this one place.
 *
 * In a development run everything is the host's. In a bundle the host's
 * names are not the application's business (and not its input either: a
 * host could steer a program that trusts them): the node name is
 * "localhost" and the domain name "(none)", as Gramine does. The kernel's
 * type, release, version and machine stay the host's, checked to be
 * printable: the system calls do go to that kernel, and programs look at
 * its release to choose features.
 */
#include <linux/utsname.h>

#include "../boot/boot.h"
#include "../mm/mm.h"
#include "sys.h"

static void clean(char *s, size_t n)
{
	s[n - 1] = 0;
	for (size_t i = 0; s[i]; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			s[i] = '?';
}

void uts_get(struct new_utsname *u)
{
	memset(u, 0, sizeof *u);
	if (plat_call(__NR_uname, (long)u, 0, 0, 0, 0, 0) < 0) {
		str_copy(u->sysname, "Linux", sizeof u->sysname);
		str_copy(u->machine, "x86_64", sizeof u->machine);
	}
	clean(u->sysname, sizeof u->sysname);
	clean(u->release, sizeof u->release);
	clean(u->version, sizeof u->version);
	clean(u->machine, sizeof u->machine);
	clean(u->nodename, sizeof u->nodename);
	clean(u->domainname, sizeof u->domainname);
	if (rt_signed()) {
		str_copy(u->nodename, "localhost", sizeof u->nodename);
		str_copy(u->domainname, "(none)", sizeof u->domainname);
	}
}

long sys_uname(struct sys_call *c)
{
	struct new_utsname u;
	uts_get(&u);
	return uaccess_copy_to((uintptr_t)c->a[0], &u, sizeof u) ? -EFAULT : 0;
}
