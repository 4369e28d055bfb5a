/*
 * net.c - socket calls. Sockets are host-backed files, so most calls are
 * forwarded after the table's checks. What the runtime does itself:
 *  - records the fds that socket, accept and recvmsg (SCM_RIGHTS) create;
 *  - refuses to send an fd the application does not own (SCM_RIGHTS could
 *    otherwise hand the runtime's own fds to another process). The host gets
 *    the runtime's checked copy of the control data, never the
 *    application's buffer, which another thread could change after the
 *    check; received control data lands in a runtime buffer too, so the fds
 *    recorded are the ones the host gave;
 *  - UNIX socket addresses (docs/runtime.md, "UNIX sockets"). Every address
 *    the application passes is copied first (the host reads the copy). In a
 *    signed enclave a pathname resolves through the mount table as open's
 *    path does: a passthrough mount hands the host a path that cannot leave
 *    it (sock_path, passthrough.c), any other place gets the errno Linux
 *    gives there. Addresses the host returns (getsockname, getpeername,
 *    SO_PEERNAME, accept, recvfrom, recvmsg) land in runtime buffers and
 *    are shown as enclave paths: a socket's own bound name as the
 *    application gave it, a host path below a passthrough mount's directory
 *    as the path in the mount, and any other pathname as an unnamed
 *    address, so no host path leaks. Abstract and unnamed addresses pass
 *    unchanged. In a development run (vfs_host_view) paths are the host's
 *    and nothing is translated.
 */
#include <asm/socket.h>
#include <linux/fcntl.h>
#include <linux/stat.h>
#include <linux/netlink.h>
#include <linux/un.h>

#include "../boot/boot.h"
#include "../fs/vfs.h"
#include "../mm/mm.h"
#include "../proc/proc.h"
#include "sys.h"
#include "../lib/host.h"

/* <sys/socket.h> values the uapi headers leave out */
#ifndef AF_NETLINK
#define AF_NETLINK 16
#endif
#ifndef AF_UNIX
#define AF_UNIX 1
#endif
#ifndef SCM_RIGHTS
#define SCM_RIGHTS 1
#endif
#ifndef SOCK_DGRAM
#define SOCK_DGRAM 2
#endif
#define MAX_VLEN 1024      /* UIO_MAXIOV: the kernel's cap on sendmmsg/recvmmsg */
#define CONTROL_MAX 65536
#define SS_MAX 128         /* sizeof(struct sockaddr_storage): the most the kernel copies */
#define SUN_OFF 2          /* offsetof(struct sockaddr_un, sun_path) */

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

/* A socket address in runtime memory. */
union saddr {
	struct sockaddr_un un;
	uint8_t raw[SS_MAX];
};

/* ---- what the runtime remembers of a socket --------------------------------- */

/* struct file.priv of a host socket, guarded by the file's lock. */
struct sock_names {
	uint32_t bound_len; /* the address bind was given, as Linux keeps it (0: none) */
	uint32_t peer_len;  /* the enclave path connect reached (0: none) */
	union saddr bound, peer;
};

static void remember(int fd, bool bound, const union saddr *a, uint32_t len)
{
	struct file *f = fd_get(fd);
	if (!f)
		return;
	rt_lock(&f->lock);
	if (!f->priv)
		f->priv = rt_zalloc(sizeof(struct sock_names));
	struct sock_names *s = f->priv;
	if (s) {
		if (bound) {
			s->bound = *a;
			s->bound_len = len;
		} else {
			s->peer = *a;
			s->peer_len = len;
		}
	}
	rt_unlock(&f->lock);
	file_put(f);
}

/* Copy a remembered name into *a; returns its length or 0. */
static uint32_t recall(int fd, bool bound, union saddr *a)
{
	struct file *f = fd_get(fd);
	uint32_t len = 0;
	if (!f)
		return 0;
	rt_lock(&f->lock);
	struct sock_names *s = f->priv;
	if (s && (len = bound ? s->bound_len : s->peer_len))
		*a = bound ? s->bound : s->peer;
	rt_unlock(&f->lock);
	file_put(f);
	return len;
}

static long sock_opt(int fd, int opt)
{
	int v = 0;
	unsigned len = sizeof v;
	long r = plat_host_getsockopt(fd, SOL_SOCKET, opt, &v, &len);
	r = host_fits("getsockopt", r, len, sizeof v);
	return r < 0 ? r : v;
}

/* ---- addresses the application passes -------------------------------------- */

struct addr_in {
	union saddr app;   /* the application's address (app_len bytes) */
	union saddr host;  /* what the host gets */
	long app_len, host_len;
	long hold;         /* host fd the translated path goes through, or -1 */
	bool copied;       /* app was copied (else the host gets the call's own argument) */
	bool translated;   /* a pathname resolved through the mounts */
	bool record;       /* coffer manifest record: report abs if the call works */
	char abs[RT_PATH_MAX];
};

/* bind where the mount holds no socket: what Linux's mknod(S_IFSOCK) path
 * in unix_bind_bsd gives, in its order (the parent, then the name, then
 * the file system's answer). `why` is the mount's answer. */
static long bind_refused(const struct vfs_path *p, long why)
{
	struct kstat_buf st;
	char dir[RT_PATH_MAX], abs[RT_PATH_MAX];
	struct vfs_path d;

	str_copy(dir, p->abs, sizeof dir);
	char *slash = strrchr(dir, '/');
	slash[slash == dir] = 0; /* "/x" -> "/" */
	long r = vfs_resolve(VFS_AT_FDCWD, dir, abs, &d);
	if (!r)
		r = d.mnt->ops->stat ? d.mnt->ops->stat(&d, 0, &st) : -ENOENT;
	if (r)
		return r;
	if ((st.st.st_mode & S_IFMT) != S_IFDIR)
		return -ENOTDIR;
	if (p->mnt->ops->stat && p->mnt->ops->stat(p, AT_SYMLINK_NOFOLLOW, &st) == 0)
		return -EADDRINUSE;
	if (!why) {
		/* A mount without host directories: its mknod of a socket says
		 * why (trusted: EACCES, tmpfs: EPERM); it can never succeed,
		 * since nothing could be bound to the node. */
		why = p->mnt->ops->mknod ? p->mnt->ops->mknod(p, S_IFSOCK | 0777, 0) : -EACCES;
		RT_ASSERT(why < 0);
	}
	return why == -EEXIST ? -EADDRINUSE : why;
}

/* connect or sendto where the mount holds no socket: ENOENT or whatever the
 * lookup says, else (a file that is no socket) ECONNREFUSED, as Linux. */
static long connect_refused(const struct vfs_path *p)
{
	struct kstat_buf st;
	long r = p->mnt->ops->stat ? p->mnt->ops->stat(p, 0, &st) : -ENOENT;
	return r ? r : -ECONNREFUSED;
}

/*
 * Copy an address the application passes (bind, connect, sendto, sendmsg)
 * and in a signed enclave translate a pathname for a UNIX socket (`bind`:
 * the socket file is to be made; `dgram_only`: a send, which looks the
 * address up only on a datagram socket). Lengths the kernel refuses before
 * reading (negative, over SS_MAX) and zero are left to it. Returns 0 or
 * -errno; addr_done() releases what it took.
 */
static long addr_in(int fd, uintptr_t uaddr, long len, bool bind, bool dgram_only, struct addr_in *in)
{
	char path[UNIX_PATH_MAX + 1], host[UNIX_PATH_MAX + 1];
	struct vfs_path p;
	long r;

	in->hold = -1;
	in->copied = in->translated = in->record = false;
	in->app_len = in->host_len = len;
	if (len <= 0 || len > SS_MAX)
		return 0;
	if (uaccess_copy_from(in->app.raw, uaddr, (size_t)len))
		return -EFAULT;
	in->copied = true;
	in->host = in->app;
	bool record = vfs_host_view && current()->proc->record_fd >= 0;
	if ((vfs_host_view && !record) || in->app.un.sun_family != AF_UNIX || len <= SUN_OFF ||
	    len > (long)sizeof(struct sockaddr_un) || !in->app.un.sun_path[0])
		return 0; /* not a pathname: the kernel checks it as it is */
	if (sock_opt(fd, SO_DOMAIN) != AF_UNIX)
		return 0;
	if (dgram_only && sock_opt(fd, SO_TYPE) != SOCK_DGRAM)
		return 0; /* stream and seqpacket sends refuse or ignore an address unread */

	size_t n = strnlen(in->app.un.sun_path, (size_t)len - SUN_OFF);
	memcpy(path, in->app.un.sun_path, n);
	path[n] = 0;
	r = vfs_resolve_at(VFS_AT_FDCWD, path, bind ? VFS_NOFOLLOW : 0, in->abs, &p);
	if (record) {
		in->record = !r;
		return 0;
	}
	if (r)
		return r;
	const struct mount_ops *ops = p.mnt->ops;
	r = ops->sock_path ? ops->sock_path(&p, bind, host, sizeof host, &in->hold) : 0;
	if (!ops->sock_path || r == -EROFS)
		return bind ? bind_refused(&p, r) : connect_refused(&p);
	if (r)
		return r;
	size_t hn = strlen(host);
	memset(in->host.un.sun_path, 0, sizeof in->host.un.sun_path);
	memcpy(in->host.un.sun_path, host, hn);
	in->host_len = (long)RT_MIN(SUN_OFF + hn + 1, sizeof(struct sockaddr_un));
	/* what Linux keeps of a bound name: the path up to its NUL, and one */
	in->app_len = (long)(SUN_OFF + n + 1);
	in->app.raw[SUN_OFF + n] = 0;
	in->translated = true;
	return 0;
}

/* After the call (result r): release what addr_in took. */
static void addr_done(struct addr_in *in, long r)
{
	if (in->record && r >= 0) /* the socket's directory must be a passthrough mount */
		vfs_record('U', in->abs);
	in->record = false;
	if (in->hold >= 0)
		plat_host_close((int)in->hold);
	in->hold = -1;
}

/* ---- addresses the host returns --------------------------------------------- */

enum name_kind { NAME_OWN, NAME_PEER, NAME_OTHER };

/*
 * Rewrite an address the host returned for fd into the enclave's view and
 * return its length. A pathname becomes: the socket's own bound name
 * (NAME_OWN), the host path's place in a passthrough mount, the path
 * connect reached (NAME_PEER), or else an unnamed address.
 */
static uint32_t addr_out(int fd, union saddr *a, uint32_t len, enum name_kind kind)
{
	char host[UNIX_PATH_MAX + 1], enc[RT_PATH_MAX];
	union saddr mine;
	uint32_t n;

	if (vfs_host_view || len <= SUN_OFF || a->un.sun_family != AF_UNIX || !a->un.sun_path[0])
		return len;
	if (kind == NAME_OWN && (n = recall(fd, true, &mine))) {
		*a = mine;
		return n;
	}
	size_t hn = strnlen(a->un.sun_path, RT_MIN(len - SUN_OFF, (uint32_t)UNIX_PATH_MAX));
	memcpy(host, a->un.sun_path, hn);
	host[hn] = 0;
	memset(a->raw + SUN_OFF, 0, SS_MAX - SUN_OFF);
	if (vfs_host_to_enclave(host, enc, sizeof enc) == 0 && strlen(enc) <= UNIX_PATH_MAX) {
		size_t en = strlen(enc);
		memcpy(a->un.sun_path, enc, en);
		return (uint32_t)(SUN_OFF + en + 1);
	}
	if (kind == NAME_PEER && (n = recall(fd, false, &mine))) {
		*a = mine;
		return n;
	}
	return SUN_OFF; /* unnamed: the host path stays hidden */
}

/* Linux's move_addr_to_user: copy at most *ulen bytes, store the full length. */
static long addr_to_user(const union saddr *a, uint32_t klen, uintptr_t uaddr, uintptr_t ulen)
{
	int len;
	if (uaccess_copy_from(&len, ulen, sizeof len))
		return -EFAULT;
	if (len > (int)klen)
		len = (int)klen;
	if (len < 0)
		return -EINVAL;
	if (len && uaccess_copy_to(uaddr, a, (size_t)len))
		return -EFAULT;
	return uaccess_copy_to(ulen, &klen, sizeof klen);
}

/* ---- socket, bind, connect, names -------------------------------------------- */

/* A bundle's netlink is routing only (getifaddrs, if_nametoindex): the
 * other families read or steer the host beyond its network (sock_diag lists
 * every socket of the host with its path, audit, uevents, netfilter...).
 * The answer for a protocol the kernel lacks. */
long sys_socket(struct sys_call *c)
{
	if (c->a[0] == AF_NETLINK && c->a[2] != NETLINK_ROUTE && rt_signed())
		return -EPROTONOSUPPORT;
	return fd_install_host(sys_forward(c), NULL, 0);
}

/* bind and connect: (fd, addr, len) with the address as the host must see it. */
static long fd_addr_call(struct sys_call *c, bool binding, struct addr_in *in)
{
	int fd = (int)c->a[0];
	long r = addr_in(fd, (uintptr_t)c->a[1], (int)c->a[2], binding, false, in);

	if (r)
		return r;
	r = sys_host(c, fd, in->copied ? (long)&in->host : c->a[1], in->copied ? in->host_len : c->a[2], 0, 0, 0);
	addr_done(in, r);
	return r;
}

long sys_bind(struct sys_call *c)
{
	struct addr_in in;
	int fd = (int)c->a[0];
	long r = fd_addr_call(c, true, &in);

	if (!r && in.translated)
		remember(fd, true, &in.app, (uint32_t)in.app_len);
	return r;
}

long sys_connect(struct sys_call *c)
{
	struct addr_in in;
	int fd = (int)c->a[0];
	long r = fd_addr_call(c, false, &in);

	if (!r && in.translated && strlen(in.abs) <= UNIX_PATH_MAX) {
		union saddr peer = { .un.sun_family = AF_UNIX };
		size_t n = strlen(in.abs);
		memcpy(peer.un.sun_path, in.abs, n);
		remember(fd, false, &peer, (uint32_t)(SUN_OFF + n + 1));
	}
	return r;
}

static long get_name(struct sys_call *c, enum name_kind kind)
{
	union saddr a;
	int klen = SS_MAX;

	if (vfs_host_view)
		return sys_forward(c);
	long r = sys_host(c, c->a[0], (long)&a, (long)&klen, 0, 0, 0);
	if (r)
		return r;
	uint32_t n = addr_out((int)c->a[0], &a, (uint32_t)klen, kind);
	return addr_to_user(&a, n, (uintptr_t)c->a[1], (uintptr_t)c->a[2]);
}

long sys_getsockname(struct sys_call *c)
{
	return get_name(c, NAME_OWN);
}

long sys_getpeername(struct sys_call *c)
{
	return get_name(c, NAME_PEER);
}

/* getsockopt(SO_PEERNAME) is getpeername by another door; the rest is the
 * host's. Linux's rules for it: the name must be at least as long as the
 * caller's buffer (else EINVAL), that many bytes are copied and the length
 * is left as it was. */
long sys_getsockopt(struct sys_call *c)
{
	union saddr a;
	unsigned klen = SS_MAX;
	int len;

	if (vfs_host_view || c->a[1] != SOL_SOCKET || c->a[2] != SO_PEERNAME)
		return sys_forward(c);
	long r = plat_host_getpeername((int)c->a[0], &a, &klen);
	if (r == -ENOTSOCK)
		return r;
	if ((r = host_fits("getpeername", r, klen, SS_MAX)) == -EIO)
		return r;
	if (uaccess_copy_from(&len, (uintptr_t)c->a[4], sizeof len))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (r)
		return -ENOTCONN;
	uint32_t n = addr_out((int)c->a[0], &a, (uint32_t)klen, NAME_PEER);
	if (n < (uint32_t)len)
		return -EINVAL;
	if (uaccess_copy_to((uintptr_t)c->a[3], &a, (size_t)len))
		return -EFAULT;
	return uaccess_copy_to((uintptr_t)c->a[4], &len, sizeof len);
}

static long do_accept(struct sys_call *c, long flags)
{
	union saddr a;
	int klen = SS_MAX;
	bool want = c->a[1] != 0;
	int lfd = (int)c->a[0];

	if (vfs_host_view)
		return fd_install_host(sys_forward(c), NULL, 0);
	long fd = sys_host(c, lfd, want ? (long)&a : 0, want ? (long)&klen : 0, flags, 0, 0);
	if (fd < 0)
		return fd;
	if (want) {
		uint32_t n = addr_out(lfd, &a, (uint32_t)klen, NAME_OTHER);
		long r = addr_to_user(&a, n, (uintptr_t)c->a[1], (uintptr_t)c->a[2]);
		if (r) { /* as Linux: the connection is dropped */
			plat_host_close((int)fd);
			return r;
		}
	}
	fd = fd_install_host(fd, NULL, 0);
	/* an accepted socket has its listener's name */
	uint32_t n;
	if (fd >= 0 && (n = recall(lfd, true, &a)))
		remember((int)fd, true, &a, n);
	return fd;
}

long sys_accept(struct sys_call *c)
{
	return do_accept(c, 0);
}

long sys_accept4(struct sys_call *c)
{
	return do_accept(c, c->a[3]);
}

/* ---- sendto, recvfrom --------------------------------------------------------- */

long sys_sendto(struct sys_call *c)
{
	struct addr_in in;
	int fd = (int)c->a[0];

	if (!c->a[4]) /* no address */
		return sys_forward(c);
	long r = addr_in(fd, (uintptr_t)c->a[4], (int)c->a[5], false, true, &in);
	if (r)
		return r;
	r = sys_host(c, fd, c->a[1], c->a[2], c->a[3], in.copied ? (long)&in.host : c->a[4],
		     in.copied ? in.host_len : c->a[5]);
	addr_done(&in, r);
	return r;
}

long sys_recvfrom(struct sys_call *c)
{
	union saddr a;
	int klen = SS_MAX;
	int fd = (int)c->a[0];

	if (vfs_host_view || !c->a[4])
		return sys_forward(c);
	long r = sys_host(c, fd, c->a[1], c->a[2], c->a[3], (long)&a, (long)&klen);
	if (r < 0)
		return r;
	uint32_t n = addr_out(fd, &a, (uint32_t)klen, NAME_OTHER);
	long e = addr_to_user(&a, n, (uintptr_t)c->a[4], (uintptr_t)c->a[5]);
	return e ? e : r;
}

/* ---- sendmsg, recvmsg and their vectors ----------------------------------------- */

/* Walk the SCM_RIGHTS fds of a control buffer (a runtime copy). For sending,
 * every fd must be the application's; after receiving, every fd is recorded. */
static long walk_rights(const uint8_t *buf, size_t len, bool received)
{
	size_t off = 0;

	while (off + sizeof(struct kcmsghdr) <= len) {
		const struct kcmsghdr *h = (const void *)(buf + off);
		if (h->len < sizeof *h || h->len > len - off)
			break;
		if (h->level == SOL_SOCKET && h->type == SCM_RIGHTS) {
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

/*
 * One message as the host sees it: the application's msghdr with the name
 * and the control data replaced by runtime buffers (the checked or
 * translated copies for sending; for receiving, where the host writes, to
 * be translated and recorded before the application sees them).
 */
struct msg_shadow {
	struct kmsghdr k;    /* given to the host */
	struct kmsghdr app;  /* the application's, as read */
	uintptr_t uhdr;      /* where it is */
	struct addr_in *in;  /* sending: the name */
	union saddr name;    /* receiving: the name */
	uint8_t *ctl;
};

static long shadow_send(int fd, uintptr_t uhdr, struct msg_shadow *s)
{
	long r;

	s->ctl = NULL;
	s->in = NULL;
	s->uhdr = uhdr;
	if (uaccess_copy_from(&s->app, uhdr, sizeof s->app))
		return -EFAULT;
	s->k = s->app;
	if (s->app.iovlen > UIO_MAXIOV)
		return -EMSGSIZE; /* a message header's count, unlike readv's */
	if ((r = sys_check_iov(s->app.iov, (long)s->app.iovlen, false)))
		return r;
	if (s->app.name && s->app.namelen) {
		if ((int)s->app.namelen < 0)
			return -EINVAL;
		if (!(s->in = rt_alloc(sizeof *s->in)))
			return -ENOMEM;
		long len = RT_MIN((long)s->app.namelen, (long)SS_MAX); /* sendmsg clamps, as Linux */
		if ((r = addr_in(fd, s->app.name, len, false, true, s->in)))
			return r;
		s->k.name = (uintptr_t)&s->in->host;
		s->k.namelen = (uint32_t)s->in->host_len;
	}
	if (s->app.control && s->app.controllen) {
		size_t len = RT_MIN(s->app.controllen, (size_t)CONTROL_MAX);
		if (!(s->ctl = rt_alloc(len)))
			return -ENOMEM;
		if (uaccess_copy_from(s->ctl, s->app.control, len))
			return -EFAULT;
		if ((r = walk_rights(s->ctl, len, false)))
			return r;
		s->k.control = (uintptr_t)s->ctl;
		s->k.controllen = len;
	}
	return 0;
}

static long shadow_recv(uintptr_t uhdr, struct msg_shadow *s)
{
	long r;

	s->ctl = NULL;
	s->in = NULL;
	s->uhdr = uhdr;
	if (uaccess_copy_from(&s->app, uhdr, sizeof s->app))
		return -EFAULT;
	s->k = s->app;
	if (s->app.iovlen > UIO_MAXIOV)
		return -EMSGSIZE; /* a message header's count, unlike readv's */
	if ((r = sys_check_iov(s->app.iov, (long)s->app.iovlen, true)))
		return r;
	if ((int)s->app.namelen < 0)
		return -EINVAL;
	if (s->app.name) {
		s->k.name = (uintptr_t)&s->name;
		s->k.namelen = SS_MAX;
	} else {
		s->k.namelen = 0;
	}
	if (s->app.control && s->app.controllen) {
		size_t len = RT_MIN(s->app.controllen, (size_t)CONTROL_MAX);
		if (!mm_user_ok(s->app.control, s->app.controllen))
			return -EFAULT;
		if (!(s->ctl = rt_alloc(len)))
			return -ENOMEM;
		s->k.control = (uintptr_t)s->ctl;
		s->k.controllen = len;
	} else {
		s->k.control = 0;
		s->k.controllen = 0;
	}
	return 0;
}

/* After a receive: record the fds that came, give the application its
 * control data, the enclave's view of the name, the lengths and flags. */
static long finish_recv(int fd, struct msg_shadow *s)
{
	long r = 0;

	if (s->ctl) {
		walk_rights(s->ctl, s->k.controllen, true);
		if (uaccess_copy_to(s->app.control, s->ctl, s->k.controllen))
			r = -EFAULT;
	}
	if (!r && s->app.name) {
		uint32_t n = addr_out(fd, &s->name, s->k.namelen, NAME_OTHER);
		r = addr_to_user(&s->name, n, s->app.name, s->uhdr + offsetof(struct kmsghdr, namelen));
	}
	if (!r)
		r = uaccess_copy_to(s->uhdr + offsetof(struct kmsghdr, flags), &s->k.flags, sizeof s->k.flags);
	if (!r)
		r = uaccess_copy_to(s->uhdr + offsetof(struct kmsghdr, controllen), &s->k.controllen, sizeof s->k.controllen);
	return r;
}

/* r: the call's result for this message (negative: it was not sent) */
static void shadow_done(struct msg_shadow *s, long r)
{
	if (s->in) {
		addr_done(s->in, r);
		rt_free(s->in);
	}
	rt_free(s->ctl);
	s->in = NULL;
	s->ctl = NULL;
}

long sys_sendmsg(struct sys_call *c)
{
	struct msg_shadow s;
	long r = shadow_send((int)c->a[0], (uintptr_t)c->a[1], &s);

	if (!r)
		r = sys_host(c, c->a[0], (long)&s.k, c->a[2], 0, 0, 0);
	shadow_done(&s, r);
	return r;
}

long sys_recvmsg(struct sys_call *c)
{
	struct msg_shadow s;
	long r;

	if (!mm_user_ok((uintptr_t)c->a[1], sizeof s.app))
		return -EFAULT;
	r = shadow_recv((uintptr_t)c->a[1], &s);
	if (!r) {
		r = sys_host(c, c->a[0], (long)&s.k, c->a[2], 0, 0, 0);
		if (r >= 0) {
			long e = finish_recv((int)c->a[0], &s);
			if (e)
				r = e;
		}
	}
	shadow_done(&s, r);
	return r;
}

/* The vector forms: one shadow per message, the host gets a runtime vector
 * and each message's length is copied back. */
struct mmsg_shadow {
	struct kmmsghdr *vec;
	struct msg_shadow *s;
	unsigned n;
};

static long mmsg_prepare(int fd, uintptr_t uvec, unsigned vlen, bool recv, struct mmsg_shadow *m)
{
	m->n = 0;
	m->vec = NULL;
	m->s = NULL;
	if (!vlen)
		return 0;
	if (!mm_user_ok(uvec, (size_t)vlen * sizeof *m->vec))
		return -EFAULT;
	m->vec = rt_zalloc(vlen * sizeof *m->vec);
	m->s = rt_zalloc(vlen * sizeof *m->s);
	if (!m->vec || !m->s)
		return -ENOMEM;
	for (unsigned i = 0; i < vlen; i++) {
		uintptr_t uhdr = uvec + i * sizeof *m->vec;
		long r = recv ? shadow_recv(uhdr, &m->s[i]) : shadow_send(fd, uhdr, &m->s[i]);
		m->n = i + 1;
		if (r)
			return r;
		m->vec[i].hdr = m->s[i].k;
	}
	return 0;
}

static long mmsg_finish(int fd, uintptr_t uvec, long done, bool recv, struct mmsg_shadow *m)
{
	for (long i = 0; i < done; i++) {
		m->s[i].k = m->vec[i].hdr;
		long r = recv ? finish_recv(fd, &m->s[i]) : 0;
		if (!r)
			r = uaccess_copy_to(uvec + (uintptr_t)i * sizeof *m->vec + offsetof(struct kmmsghdr, len),
					    &m->vec[i].len, sizeof m->vec[i].len);
		if (r)
			return r;
	}
	return done;
}

/* done: how many messages the call sent or received */
static void mmsg_done(struct mmsg_shadow *m, long done)
{
	for (unsigned i = 0; i < m->n; i++)
		shadow_done(&m->s[i], (long)i < done ? 0 : -1);
	rt_free(m->vec);
	rt_free(m->s);
}

long sys_sendmmsg(struct sys_call *c)
{
	unsigned vlen = RT_MIN((unsigned)c->a[2], (unsigned)MAX_VLEN);
	struct mmsg_shadow m;
	long r = mmsg_prepare((int)c->a[0], (uintptr_t)c->a[1], vlen, false, &m);

	if (!r) {
		r = sys_host(c, c->a[0], vlen ? (long)m.vec : c->a[1], vlen, c->a[3], 0, 0);
		if (r > 0)
			r = mmsg_finish((int)c->a[0], (uintptr_t)c->a[1], r, false, &m);
	}
	mmsg_done(&m, r);
	return r;
}

long sys_recvmmsg(struct sys_call *c)
{
	unsigned vlen = RT_MIN((unsigned)c->a[2], (unsigned)MAX_VLEN);
	struct mmsg_shadow m;
	long r = mmsg_prepare((int)c->a[0], (uintptr_t)c->a[1], vlen, true, &m);

	if (!r) {
		r = sys_host(c, c->a[0], vlen ? (long)m.vec : c->a[1], vlen, c->a[3], c->a[4], 0);
		if (r > 0)
			r = mmsg_finish((int)c->a[0], (uintptr_t)c->a[1], r, true, &m);
	}
	mmsg_done(&m, r);
	return r;
}
