/*
 * net.c - socket calls. Sockets are host-backed files, so most calls are
 * forwarded after the table's checks. What the runtime does itself:
 *  - records the fds that socket, accept and recvmsg (SCM_RIGHTS) create;
 *  - checks every buffer a msghdr points at (the kernel writes names,
 *    control data and iovecs for recvmsg);
 *  - refuses to send an fd the application does not own (SCM_RIGHTS could
 *    otherwise hand the runtime's own fds to another process).
 */
#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "sys.h"

#define SOL_SOCKET_ 1
#define SCM_RIGHTS_ 1
#define MAX_VLEN 1024
#define CONTROL_MAX 65536

struct kmsghdr {
	uintptr_t name;
	uint32_t namelen;
	uint32_t pad;
	uintptr_t iov;
	size_t iovlen;
	uintptr_t control;
	size_t controllen;
	int32_t flags;
	uint32_t pad2;
};

struct kmmsghdr {
	struct kmsghdr hdr;
	uint32_t len;
	uint32_t pad;
};

struct kcmsghdr {
	size_t len;
	int32_t level;
	int32_t type;
};

#define CMSG_ALIGN_(n) (((n) + 7) & ~(size_t)7)

long sys_socket(struct sys_call *c)
{
	return fd_install_host(sys_forward(c), NULL, 0);
}

long sys_accept(struct sys_call *c)
{
	return fd_install_host(sys_forward(c), NULL, 0);
}

long sys_accept4(struct sys_call *c)
{
	return fd_install_host(sys_forward(c), NULL, 0);
}

/* Walk the SCM_RIGHTS fds of a control buffer (a runtime copy). For sending,
 * every fd must be the application's; after receiving, every fd is recorded. */
static long walk_rights(const uint8_t *buf, size_t len, bool received)
{
	size_t off = 0;

	while (off + sizeof(struct kcmsghdr) <= len) {
		const struct kcmsghdr *h = (const void *)(buf + off);
		if (h->len < sizeof *h || h->len > len - off)
			break;
		if (h->level == SOL_SOCKET_ && h->type == SCM_RIGHTS_) {
			size_t n = (h->len - sizeof *h) / sizeof(int);
			const int *fds = (const int *)(h + 1);
			for (size_t i = 0; i < n; i++) {
				if (received)
					fd_install_host(fds[i], NULL, 0);
				else if (!fd_owned(fds[i], true))
					return -EBADF;
			}
		}
		off += CMSG_ALIGN_(h->len);
	}
	return 0;
}

static long copy_control(const struct kmsghdr *m, size_t len, uint8_t **out)
{
	*out = NULL;
	if (!m->control || !len)
		return 0;
	len = RT_MIN(len, (size_t)CONTROL_MAX);
	uint8_t *buf = rt_alloc(len);
	if (!buf)
		return -ENOMEM;
	if (uaccess_copy_from(buf, m->control, len)) {
		rt_free(buf);
		return -EFAULT;
	}
	*out = buf;
	return (long)len;
}

static long check_msg(const struct kmsghdr *m, bool recv)
{
	long r;

	if (recv) {
		if (m->name && !mm_user_ok(m->name, m->namelen))
			return -EFAULT;
		if (m->control && !mm_user_ok(m->control, m->controllen))
			return -EFAULT;
	}
	if ((r = sys_check_iov(m->iov, (long)m->iovlen, recv)))
		return r;
	if (!recv && m->control && m->controllen) {
		uint8_t *buf;
		long n = copy_control(m, m->controllen, &buf);
		if (n < 0)
			return n;
		r = walk_rights(buf, (size_t)n, false);
		rt_free(buf);
	}
	return r;
}

/* After a successful receive: record the fds that came with the message. */
static void record_received(uintptr_t umsg)
{
	struct kmsghdr m;
	uint8_t *buf;

	if (uaccess_copy_from(&m, umsg, sizeof m))
		return;
	long n = copy_control(&m, m.controllen, &buf);
	if (n > 0) {
		walk_rights(buf, (size_t)n, true);
		rt_free(buf);
	}
}

long sys_sendmsg(struct sys_call *c)
{
	struct kmsghdr m;
	long r;

	if (uaccess_copy_from(&m, (uintptr_t)c->a[1], sizeof m))
		return -EFAULT;
	if ((r = check_msg(&m, false)))
		return r;
	return sys_forward(c);
}

long sys_recvmsg(struct sys_call *c)
{
	struct kmsghdr m;
	long r;

	if (!mm_user_ok((uintptr_t)c->a[1], sizeof m))
		return -EFAULT;
	if (uaccess_copy_from(&m, (uintptr_t)c->a[1], sizeof m))
		return -EFAULT;
	if ((r = check_msg(&m, true)))
		return r;
	r = sys_forward(c);
	if (r >= 0 && m.control)
		record_received((uintptr_t)c->a[1]);
	return r;
}

static long check_mmsg(uintptr_t uvec, unsigned vlen, bool recv)
{
	struct kmmsghdr mm;
	long r;

	if (!mm_user_ok(uvec, (size_t)vlen * sizeof mm))
		return -EFAULT;
	for (unsigned i = 0; i < vlen; i++) {
		if (uaccess_copy_from(&mm, uvec + i * sizeof mm, sizeof mm))
			return -EFAULT;
		if ((r = check_msg(&mm.hdr, recv)))
			return r;
	}
	return 0;
}

long sys_sendmmsg(struct sys_call *c)
{
	unsigned vlen = RT_MIN((unsigned)c->a[2], (unsigned)MAX_VLEN);
	long r = check_mmsg((uintptr_t)c->a[1], vlen, false);
	return r ? r : sys_host(c, c->a[0], c->a[1], vlen, c->a[3], 0, 0);
}

long sys_recvmmsg(struct sys_call *c)
{
	unsigned vlen = RT_MIN((unsigned)c->a[2], (unsigned)MAX_VLEN);
	long r = check_mmsg((uintptr_t)c->a[1], vlen, true);

	if (r)
		return r;
	r = sys_host(c, c->a[0], c->a[1], vlen, c->a[3], c->a[4], 0);
	for (long i = 0; i < r; i++)
		record_received((uintptr_t)c->a[1] + (uintptr_t)i * sizeof(struct kmmsghdr));
	return r;
}
