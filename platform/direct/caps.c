/*
 * caps.c - the host privileges a signed bundle runs with on the direct
 * platform.
 *
 * A bundle's process is an ordinary host process, and if coffer was started
 * as root it holds every capability: enough to load kernel modules, sniff
 * the host's traffic on a packet socket, reconfigure its network through
 * netlink, make device nodes, push input into any terminal, or trace other
 * processes. The runtime confines what it can see in each call (docs/threat-
 * model.md), but capabilities gate far more host objects than the runtime
 * could name one by one, so at start a bundle gives up every capability a
 * container engine would not grant: it keeps what Docker's default set
 * keeps (CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID,
 * SETPCAP, NET_BIND_SERVICE, AUDIT_WRITE), less CAP_MKNOD, CAP_NET_RAW,
 * CAP_SETFCAP and CAP_SYS_CHROOT, plus the three that only raise the
 * process's own limits (IPC_LOCK, SYS_RESOURCE, SYS_NICE). Not
 * DAC_READ_SEARCH: with it, open_by_handle_at reaches any host file. They go from the bounding set too, and
 * no_new_privs is set, so no later exec regains them. A development run
 * keeps the host's privileges: it protects nothing and hides nothing.
 *
 * An unprivileged coffer has none of these to drop; dropping the bounding
 * set then fails with EPERM, which is harmless because no exec in the
 * enclave can gain capabilities (it only ever executes this image, and
 * no_new_privs forbids set-user-ID and file capabilities anyway).
 */
#include <linux/capability.h>
#include <linux/prctl.h>

#include "../../runtime/lib/rt.h"
#include "direct.h"

#define CAP(n) (1ULL << (n))

static const uint64_t keep = CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_FOWNER) | CAP(CAP_FSETID) |
			     CAP(CAP_KILL) | CAP(CAP_SETGID) | CAP(CAP_SETUID) | CAP(CAP_SETPCAP) |
			     CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_AUDIT_WRITE) | CAP(CAP_IPC_LOCK) |
			     CAP(CAP_SYS_NICE) | CAP(CAP_SYS_RESOURCE);

int direct_limit_caps(char *why, size_t whylen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	long r;

	for (int cap = 0; cap < 64; cap++) {
		if (keep & CAP(cap))
			continue;
		r = sys2(__NR_prctl, PR_CAPBSET_DROP, cap);
		if (r == -EINVAL)
			break; /* past the kernel's last capability */
		if (r && r != -EPERM) {
			rt_snprintf(why, whylen, "cannot drop capability %d from the bounding set: %s", cap,
				    rt_errno_name(r) ? rt_errno_name(r) : "error");
			return -1;
		}
	}
	sys5(__NR_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if ((r = sys2(__NR_capget, &h, d)))
		goto fail;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));
		d[i].effective &= k;
		d[i].permitted &= k;
		d[i].inheritable &= k;
	}
	if ((r = sys2(__NR_capset, &h, d)))
		goto fail;
	if ((r = sys5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)))
		goto fail;
	return 0;
fail:
	rt_snprintf(why, whylen, "cannot limit the process's capabilities: %s",
		    rt_errno_name(r) ? rt_errno_name(r) : "error");
	return -1;
}
