/*
 * fault.c - a lying host, for testing the runtime's checks of forwarded
 * calls (docs/platforms.md, "The boundary: forwarded calls").
 *
 * With COFFER_FAULT=NAME (coffer passes it to the image as --fault=NAME, and
 * plat_exec hands it on to the next image) the direct platform makes each
 * forwarded call for real and then bends its answer the way NAME says: a
 * read that claims more bytes than were asked for, a descriptor number the
 * runtime never saw, a count larger than the array, a mapping inside runtime
 * memory, a stat with no file type, a directory record that runs past the
 * end, a socket address longer than any, a message whose control length
 * grew, a child's state under another signal's name, a record lock of no
 * type, a write to a socket that claims more than it was given, a read of a
 * file that says EINTR and then lies on the retry; or a read that writes
 * past the length it returns (scribble). The
 * runtime must refuse each with EIO or EFAULT for that call, log
 * the check, and go on (tests/integration/test_iago.py).
 *
 * Nothing here gives the host a power it lacks: every lie is a value the
 * host returns or writes into the memory it was handed for the call, which
 * a real host (the kernel under sgx, or the untrusted half of the sgx
 * platform) can do at will. The option is read only from the host side of
 * the start (the image's argv), and the code only ever changes the host's
 * own answers; it reads and writes nothing of the runtime's.
 */
#include <linux/mman.h>

#include "../../runtime/lib/rt.h"
#include "direct.h"

enum lie {
	LIE_NONE,
	LIE_LEN,      /* read, pread64, recvfrom, getrandom, msgrcv: one byte more
		       * than asked; sendfile, splice, tee, copy_file_range: one
		       * more than the count */
	LIE_IOV,      /* readv, preadv: one byte more than the vectors hold */
	LIE_FD,       /* socket, accept, accept4: a descriptor number never opened */
	LIE_COUNT,    /* poll, ppoll, epoll_wait*, getgroups, s/r mmsg: one more than
		       * the array; select: more bits than the sets */
	LIE_REVENTS,  /* poll, ppoll: an event nobody asked for */
	LIE_PTR,      /* mmap: an address inside runtime memory */
	LIE_STAT,     /* fstat, newfstatat: a mode with no file type */
	LIE_DIRENT,   /* getdents64: a record longer than the answer */
	LIE_SOCKADDR, /* accept, getsockname, getpeername, recvfrom: 4096-byte address */
	LIE_MSG,      /* recvmsg: more control data than the buffer holds */
	LIE_SCRIBBLE, /* read: bytes written past the length it returns (no check
		       * refuses that; copy mode copies back only the length) */
	LIE_SIGINFO,  /* waitid: a child's state reported as another signal's */
	LIE_FLOCK,    /* fcntl F_GETLK, F_OFD_GETLK: a lock of no type */
	LIE_WLEN,     /* write to a socket: one byte more than asked */
	LIE_EINTR,    /* read of a regular file named "eintr": EINTR, then the
		       * uninterruptible retry one byte more than asked */
};

static const char *const lie_names[] = {
	[LIE_LEN] = "len",	   [LIE_IOV] = "iov",	      [LIE_FD] = "fd",
	[LIE_COUNT] = "count",	   [LIE_REVENTS] = "revents", [LIE_PTR] = "ptr",
	[LIE_STAT] = "stat",	   [LIE_DIRENT] = "dirent",   [LIE_SOCKADDR] = "sockaddr",
	[LIE_MSG] = "msg",	   [LIE_SCRIBBLE] = "scribble", [LIE_SIGINFO] = "siginfo",
	[LIE_FLOCK] = "flock",	   [LIE_WLEN] = "wlen",	      [LIE_EINTR] = "eintr",
};

int direct_fault;
static char fault_arg[32];

bool direct_fault_set(const char *name)
{
	for (int i = 1; i < (int)RT_ARRAY_LEN(lie_names); i++) {
		if (strcmp(name, lie_names[i]))
			continue;
		direct_fault = i;
		rt_snprintf(fault_arg, sizeof fault_arg, "--fault=%s", name);
		return true;
	}
	return false;
}

const char *direct_fault_arg(void)
{
	return direct_fault ? fault_arg : NULL;
}

static void put32(uintptr_t p, uint32_t v)
{
	if (p)
		*(volatile uint32_t *)p = v;
}

/* The file type of host descriptor fd (S_IFMT bits), 0 if unknown. */
static unsigned fd_type(long fd)
{
	struct kstat st;
	return sys2(__NR_fstat, fd, &st) ? 0 : st.st_mode & 0170000;
}

/* Whether host descriptor fd is a file whose name is `eintr`. */
static bool named_eintr(long fd)
{
	char path[32], name[256];
	rt_snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
	long n = sys3(__NR_readlink, path, name, sizeof name - 1);
	if (n < 6)
		return false;
	name[n] = 0;
	return !strcmp(name + n - 6, "/eintr");
}

long direct_lie(long nr, const long a[6], long r, bool now)
{
	if (r < 0 && r > -4096)
		return r; /* errors stay true: the lies are about what succeeded */
	switch (direct_fault) {
	case LIE_LEN:
		if (nr == __NR_read || nr == __NR_pread64 || nr == __NR_recvfrom || nr == __NR_getrandom ||
		    nr == __NR_msgrcv)
			return (nr == __NR_getrandom ? a[1] : a[2]) + 1;
		if (nr == __NR_sendfile)
			return a[3] + 1;
		if (nr == __NR_splice || nr == __NR_copy_file_range)
			return a[4] + 1;
		if (nr == __NR_tee)
			return a[2] + 1;
		break;
	case LIE_IOV:
		if (nr == __NR_readv || nr == __NR_preadv) {
			const struct { uintptr_t base; size_t len; } *iov = (const void *)a[1];
			long sum = 0;
			for (long i = 0; i < a[2]; i++)
				sum += (long)iov[i].len;
			return sum + 1;
		}
		break;
	case LIE_FD:
		if (nr == __NR_socket || nr == __NR_accept || nr == __NR_accept4) {
			sys1(__NR_close, r);
			return 1L << 21;
		}
		break;
	case LIE_COUNT:
		if (nr == __NR_poll || nr == __NR_ppoll)
			return a[1] + 1;
		if (nr == __NR_epoll_wait || nr == __NR_epoll_pwait || nr == __NR_epoll_pwait2)
			return a[2] + 1;
		if (nr == __NR_sendmmsg || nr == __NR_recvmmsg)
			return a[2] + 1;
		if (nr == __NR_getgroups && a[0] > 0)
			return a[0] + 1;
		if (nr == __NR_select || nr == __NR_pselect6)
			return 3 * a[0] + 1;
		break;
	case LIE_REVENTS:
		if ((nr == __NR_poll || nr == __NR_ppoll) && a[1] > 0) {
			volatile int16_t *pfd = (volatile int16_t *)a[0];
			pfd[3] = (int16_t)(pfd[2] | 0x4000); /* revents: a bit no poll asks for */
			return r ? r : 1;
		}
		break;
	case LIE_PTR:
		if (nr == __NR_mmap && (a[3] & MAP_ANONYMOUS) && !(a[3] & MAP_FIXED)) {
			sys2(__NR_munmap, r, a[1]);
			return (long)direct_text_lo;
		}
		if (nr == __NR_mremap) {
			sys2(__NR_munmap, r, a[2]);
			return (long)direct_text_lo;
		}
		if (nr == __NR_shmat) {
			/* the first page outside, the second on the guard page
			 * below the runtime's image (runtime memory) */
			sys1(__NR_shmdt, r);
			return (long)direct_image_lo - 8192;
		}
		break;
	case LIE_STAT:
		if ((nr == __NR_fstat && a[1]) || (nr == __NR_newfstatat && a[2])) {
			uintptr_t st = (uintptr_t)(nr == __NR_fstat ? a[1] : a[2]);
			put32(st + 24, 0170000 | (*(volatile uint32_t *)(st + 24) & 07777)); /* st_mode */
		}
		if (nr == __NR_statx && a[4] && (*(volatile uint32_t *)a[4] & 1 /* STATX_TYPE */))
			*(volatile uint16_t *)(a[4] + 28) |= 0170000; /* stx_mode */
		break;
	case LIE_DIRENT:
		if (nr == __NR_getdents64 && r > 0 && r < 0xfff0)
			*(volatile uint16_t *)(a[1] + 16) = (uint16_t)(r + 8); /* d_reclen */
		break;
	case LIE_SOCKADDR:
		if (nr == __NR_accept || nr == __NR_accept4 || nr == __NR_getsockname || nr == __NR_getpeername)
			put32((uintptr_t)a[2], 4096);
		else if (nr == __NR_recvfrom)
			put32((uintptr_t)a[5], 4096);
		break;
	case LIE_SCRIBBLE:
		if (nr == __NR_read && r < a[2])
			for (long i = r; i < a[2]; i++)
				((volatile char *)a[1])[i] = 'Z';
		break;
	case LIE_SIGINFO:
		if (nr == __NR_waitid && a[2])
			put32((uintptr_t)a[2], 11); /* si_signo: SIGSEGV */
		break;
	case LIE_FLOCK:
		if (nr == __NR_fcntl && (a[1] == 5 /* F_GETLK */ || a[1] == 36 /* F_OFD_GETLK */) && a[2])
			*(volatile int16_t *)a[2] = 7; /* l_type */
		break;
	case LIE_WLEN:
		if (nr == __NR_write && fd_type(a[0]) == 0140000)
			return a[2] + 1;
		break;
	case LIE_EINTR:
		if (nr == __NR_read && fd_type(a[0]) == 0100000 && named_eintr(a[0])) {
			if (now)
				return a[2] + 1;
			sys3(__NR_lseek, a[0], -r, 1 /* SEEK_CUR */); /* as if never made */
			return -EINTR;
		}
		break;
	case LIE_MSG:
		if (nr == __NR_recvmsg && a[1])
			*(volatile size_t *)(a[1] + 40) += 4096; /* msg_controllen */
		break;
	}
	return r;
}
