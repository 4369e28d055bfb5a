/*
 * ioctl.c - ioctl: the requests the runtime lets through, and what each
 * moves across the boundary.
 *
 * ioctl is the kernel's escape hatch: a request number selects any driver's
 * private call, and the argument is a value, a buffer of a size only the
 * request knows, or a structure holding further pointers. Forwarding it
 * blindly would let an application reach host objects the rest of the
 * runtime confines: TIOCSTI pushes input into a host terminal (into the
 * shell that started coffer, to be run after the program ends), TIOCCONS
 * redirects the host's console, SIOCSIF* reconfigure the host's network
 * interfaces, and a request that writes through a pointer inside its
 * argument (SIOCGIFCONF's buffer) could reach runtime memory.
 *
 * So ioctl works from a list, as Gramine's does: each entry names a request
 * that ordinary programs make (terminal settings and window size, job
 * control, pseudo-terminal set-up, non-blocking and close-on-exec flags,
 * queue sizes, interface queries, file flags and clones, timerfd ticks) with
 * how the kernel uses its argument, so the runtime checks the buffer (and
 * the sgx platform will copy it) before the host sees it. Anything else
 * fails as a driver answers a request it does not know, ENOTTY, with a
 * warning naming the request the first time (TIOCSTI: EIO, as Linux 6.2
 * and later answers it when legacy TIOCSTI is off). The list applies in
 * development runs too, so a recorded program meets the same answers in its
 * bundle.
 *
 * Runtime-backed files (trusted, tmpfs) have no driver: ENOTTY, except for
 * FIOCLEX and FIONCLEX, which Linux answers for every file.
 */
#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <asm/termios.h>
#include <linux/fs.h>
#include <linux/if.h>
#include <linux/random.h>
#include <linux/sockios.h>
#include <linux/timerfd.h>

#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "sys.h"

/* How a request uses its third argument. */
enum ioc_arg {
	ARG_NONE,   /* ignored, or a plain value */
	ARG_IN,     /* the kernel reads `size` bytes at the pointer */
	ARG_OUT,    /* the kernel writes `size` bytes at the pointer */
	ARG_INOUT,  /* both */
	ARG_IFCONF, /* struct ifconf: also writes ifc_len bytes at ifc_buf */
	ARG_FD,     /* a file descriptor the application must own */
	ARG_CLONE,  /* struct file_clone_range: src_fd must be the application's */
	ARG_ZERO,   /* allowed only with a zero value (TIOCSCTTY: no stealing) */
	ARG_NEWFD,  /* returns a new fd (open flags in the argument) */
};

struct ioc_rule {
	unsigned request;
	uint8_t arg;   /* enum ioc_arg */
	uint8_t size;  /* bytes the pointer covers */
};

#define R(req, how, sz) { (unsigned)(req), how, sz }

static const struct ioc_rule ioc_rules[] = {
	/* terminals: settings, flow, window size, job control, sessions */
	R(TCGETS, ARG_OUT, sizeof(struct termios)),
	R(TCSETS, ARG_IN, sizeof(struct termios)),
	R(TCSETSW, ARG_IN, sizeof(struct termios)),
	R(TCSETSF, ARG_IN, sizeof(struct termios)),
	R(TCGETS2, ARG_OUT, sizeof(struct termios2)),
	R(TCSETS2, ARG_IN, sizeof(struct termios2)),
	R(TCSETSW2, ARG_IN, sizeof(struct termios2)),
	R(TCSETSF2, ARG_IN, sizeof(struct termios2)),
	R(TCSBRK, ARG_NONE, 0),
	R(TCSBRKP, ARG_NONE, 0),
	R(TCXONC, ARG_NONE, 0),
	R(TCFLSH, ARG_NONE, 0),
	R(TIOCGWINSZ, ARG_OUT, sizeof(struct winsize)),
	R(TIOCSWINSZ, ARG_IN, sizeof(struct winsize)),
	R(TIOCGPGRP, ARG_OUT, sizeof(int)),
	R(TIOCSPGRP, ARG_IN, sizeof(int)),
	R(TIOCGSID, ARG_OUT, sizeof(int)),
	R(TIOCSCTTY, ARG_ZERO, 0),
	R(TIOCNOTTY, ARG_NONE, 0),
	R(TIOCEXCL, ARG_NONE, 0),
	R(TIOCNXCL, ARG_NONE, 0),
	R(TIOCGEXCL, ARG_OUT, sizeof(int)),
	R(TIOCOUTQ, ARG_OUT, sizeof(int)),
	R(TIOCPKT, ARG_IN, sizeof(int)),
	R(TIOCGPKT, ARG_OUT, sizeof(int)),
	/* pseudo-terminals: posix_openpt, ptsname, unlockpt, openpty */
	R(TIOCGPTN, ARG_OUT, sizeof(unsigned)),
	R(TIOCSPTLCK, ARG_IN, sizeof(int)),
	R(TIOCGPTLCK, ARG_OUT, sizeof(int)),
	R(TIOCGPTPEER, ARG_NEWFD, 0),
	/* any file: queue sizes and fd flags */
	R(FIONREAD, ARG_OUT, sizeof(int)),
	R(FIONBIO, ARG_IN, sizeof(int)),
	R(FIOASYNC, ARG_IN, sizeof(int)),
	R(FIOCLEX, ARG_NONE, 0),
	R(FIONCLEX, ARG_NONE, 0),
	R(FIOQSIZE, ARG_OUT, sizeof(long long)),
	/* sockets: queues, marks, timestamps, interface queries (read-only) */
	R(SIOCOUTQNSD, ARG_OUT, sizeof(int)),
	R(SIOCATMARK, ARG_OUT, sizeof(int)),
	R(SIOCGSTAMP_OLD, ARG_OUT, 16),
	R(SIOCGSTAMPNS_OLD, ARG_OUT, 16),
	R(SIOCGIFCONF, ARG_IFCONF, sizeof(struct ifconf)),
	R(SIOCGIFNAME, ARG_INOUT, sizeof(struct ifreq)),
	R(SIOCGIFINDEX, ARG_INOUT, sizeof(struct ifreq)),
	R(SIOCGIFFLAGS, ARG_INOUT, sizeof(struct ifreq)),
	R(SIOCGIFADDR, ARG_INOUT, sizeof(struct ifreq)),
	R(SIOCGIFDSTADDR, ARG_INOUT, sizeof(struct ifreq)),
	R(SIOCGIFBRDADDR, ARG_INOUT, sizeof(struct ifreq)),
	R(SIOCGIFNETMASK, ARG_INOUT, sizeof(struct ifreq)),
	R(SIOCGIFMETRIC, ARG_INOUT, sizeof(struct ifreq)),
	R(SIOCGIFMTU, ARG_INOUT, sizeof(struct ifreq)),
	R(SIOCGIFHWADDR, ARG_INOUT, sizeof(struct ifreq)),
	R(SIOCGIFTXQLEN, ARG_INOUT, sizeof(struct ifreq)),
	/* files: attribute flags, block size, reflink copies */
	R(FIGETBSZ, ARG_OUT, sizeof(int)),
	R(FS_IOC_GETFLAGS, ARG_OUT, sizeof(int)),
	R(FS_IOC_SETFLAGS, ARG_IN, sizeof(int)),
	R(FICLONE, ARG_FD, 0),
	R(FICLONERANGE, ARG_CLONE, sizeof(struct file_clone_range)),
	/* block devices a development run may open: sizes */
	R(BLKGETSIZE64, ARG_OUT, sizeof(unsigned long long)),
	R(BLKSSZGET, ARG_OUT, sizeof(int)),
	/* /dev/random: the entropy estimate */
	R(RNDGETENTCNT, ARG_OUT, sizeof(int)),
	/* timerfd: set the expiration count (CRIU, checkpointing programs) */
	R(TFD_IOC_SET_TICKS, ARG_IN, sizeof(unsigned long long)),
};

static const struct ioc_rule *ioc_find(unsigned request)
{
	for (size_t i = 0; i < RT_ARRAY_LEN(ioc_rules); i++)
		if (ioc_rules[i].request == request)
			return &ioc_rules[i];
	return NULL;
}

/* How the marshaller (marshal.c) moves request's argument: MARSHAL_IOC_*,
 * with the size of the memory at the pointer in *size. */
int ioctl_shape(unsigned request, size_t *size)
{
	const struct ioc_rule *r = ioc_find(request);

	*size = r ? r->size : 0;
	switch (r ? r->arg : ARG_NONE) {
	case ARG_IN:
	case ARG_CLONE:
		return MARSHAL_IOC_IN;
	case ARG_OUT:
		return MARSHAL_IOC_OUT;
	case ARG_INOUT:
		return MARSHAL_IOC_INOUT;
	case ARG_IFCONF:
		return MARSHAL_IOC_IFCONF;
	default:
		return MARSHAL_IOC_VALUE;
	}
}

/* Warn once per request number: the first few distinct ones are remembered
 * (lock-free, so a host fork never copies a held lock), later ones quietly. */
static uint64_t warned[16]; /* 1 << 32 | request; 0 = free; atomic */

static void ioc_warn(unsigned request)
{
	uint64_t want = 1ULL << 32 | request;

	for (size_t i = 0; i < RT_ARRAY_LEN(warned); i++) {
		uint64_t seen = 0;
		if (__atomic_compare_exchange_n(&warned[i], &seen, want, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			log_warn("ioctl request 0x%x is not supported, returning ENOTTY", request);
			return;
		}
		if (seen == want)
			return;
	}
}

/* Check the argument as the rule says; 0 if the host may have it. */
static long ioc_check(const struct ioc_rule *r, uintptr_t arg)
{
	switch (r->arg) {
	case ARG_NONE:
	case ARG_NEWFD:
		return 0;
	case ARG_ZERO:
		return arg ? -EPERM : 0;
	case ARG_FD:
		return fd_owned((int)arg, true) ? 0 : -EBADF;
	case ARG_IN:
	case ARG_OUT:
	case ARG_INOUT:
		return mm_user_ok(arg, r->size) ? 0 : -EFAULT;
	case ARG_IFCONF: {
		struct ifconf ifc;
		if (!mm_user_ok(arg, sizeof ifc) || uaccess_copy_from(&ifc, arg, sizeof ifc))
			return -EFAULT;
		/* A NULL buffer asks only for the length needed. The kernel reads
		 * the structure again; on direct the application shares our
		 * memory anyway (sys_check_iov's note), the sgx platform copies. */
		if (ifc.ifc_buf && (ifc.ifc_len < 0 || !mm_user_ok((uintptr_t)ifc.ifc_buf, (size_t)ifc.ifc_len)))
			return -EFAULT;
		return 0;
	}
	case ARG_CLONE: {
		struct file_clone_range fcr;
		if (!mm_user_ok(arg, sizeof fcr) || uaccess_copy_from(&fcr, arg, sizeof fcr))
			return -EFAULT;
		return fd_owned((int)fcr.src_fd, true) ? 0 : -EBADF;
	}
	}
	return -ENOTTY;
}

long sys_ioctl(struct sys_call *c)
{
	unsigned request = (unsigned)c->a[1];
	struct file *f = fd_get((int)c->a[0]);

	if (!f)
		return -EBADF;
	bool host = f->ops->host;
	file_put(f);
	if (!host && request != FIOCLEX && request != FIONCLEX)
		return -ENOTTY; /* the placeholder fd holds close-on-exec */
	if (request == TIOCSTI)
		return -EIO;
	const struct ioc_rule *r = ioc_find(request);
	if (!r) {
		ioc_warn(request);
		return -ENOTTY;
	}
	long err = ioc_check(r, (uintptr_t)c->a[2]);
	if (err)
		return err;
	if (r->arg == ARG_NEWFD)
		return fd_install_host(sys_forward(c), NULL, (int)c->a[2]);
	return sys_forward(c);
}
