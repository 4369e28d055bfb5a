/*
 * ipc.c - SysV IPC and POSIX message queues: host-wide objects, confined to
 * those the application made.
 *
 * SysV shared memory, semaphores and message queues are named by keys and
 * ids that are the same for every process on the host. The application may
 * name only the ids it created (the registry keeps them for the whole run,
 * runtime/proc/pidtab.h); any other id does not exist (EINVAL, as Linux
 * says for an id nobody holds). A key the host already uses is not handed
 * over: xxxget with IPC_CREAT first tries to create the object (IPC_EXCL),
 * and when a host object holds the key the answer is EACCES, as for an
 * object whose permissions refuse us; without IPC_CREAT, ENOENT. The
 * commands that list host-wide state by index or count it (IPC_INFO,
 * *_INFO, *_STAT, *_STAT_ANY) answer EINVAL.
 *
 * POSIX message queue names live in the host's /dev/mqueue: the runtime
 * prefixes each name with a token of the run ("coffer.TOKEN.name"), so the
 * application finds only its own queues and the host's do not exist for it.
 * Its queues are still visible to the host, as its files in a passthrough
 * mount are.
 */
#include <linux/ipc.h>
#include <linux/msg.h>
#include <linux/sem.h>
#include <linux/shm.h>

#include "../mm/mm.h"
#include "../mm/vma.h"
#include "../proc/pidtab.h"
#include "sys.h"
#include "../lib/host.h"

/* The commands of shmctl, semctl and msgctl that take an index or report
 * on every object of the host (their numbers overlap between the kinds). */
static bool lists_host(int kind, int cmd)
{
	cmd &= ~IPC_64;
	if (cmd == IPC_INFO)
		return true;
	switch (kind) {
	case PIDTAB_SHM: return cmd == SHM_STAT || cmd == SHM_INFO || cmd == SHM_STAT_ANY;
	case PIDTAB_SEM: return cmd == SEM_STAT || cmd == SEM_INFO || cmd == SEM_STAT_ANY;
	default: return cmd == MSG_STAT || cmd == MSG_INFO || cmd == MSG_STAT_ANY;
	}
}

/* shmget(key, size, flg), semget(key, nsems, flg), msgget(key, flg) */
static long ipc_get(struct sys_call *c, int kind, int flg_arg)
{
	long key = (int)c->a[0], flg = (int)c->a[flg_arg];
	long a[3] = { c->a[0], c->a[1], c->a[2] };
	long r;

	if (key == IPC_PRIVATE) {
		r = sys_forward(c);
	} else if (flg & IPC_CREAT) {
		a[flg_arg] = flg | IPC_EXCL;
		r = sys_host(c, a[0], a[1], a[2], 0, 0, 0);
		if (r == -EEXIST && !(flg & IPC_EXCL)) {
			a[flg_arg] = flg & ~(long)IPC_CREAT;
			r = sys_host(c, a[0], a[1], a[2], 0, 0, 0);
			if (r >= 0 && !pidtab_ipc_has(kind, (int)r))
				r = -EACCES; /* a host object holds the key */
			return r;
		}
	} else {
		r = sys_forward(c);
		if (r >= 0 && !pidtab_ipc_has(kind, (int)r))
			return -ENOENT;
		return r;
	}
	if (r >= 0 && pidtab_ipc_add(kind, (int)r)) {
		/* an id we could not record would be lost to us: undo */
		plat_host_ipc_rmid(kind == PIDTAB_SHM ? 0 : kind == PIDTAB_SEM ? 1 : 2, (int)r);
		return -ENOSPC;
	}
	return r;
}

long sys_shmget(struct sys_call *c) { return ipc_get(c, PIDTAB_SHM, 2); }
long sys_semget(struct sys_call *c) { return ipc_get(c, PIDTAB_SEM, 2); }
long sys_msgget(struct sys_call *c) { return ipc_get(c, PIDTAB_MSG, 1); }

/* shmctl(id, cmd, buf), semctl(id, num, cmd, arg), msgctl(id, cmd, buf) */
static long ipc_ctl(struct sys_call *c, int kind, int cmd_arg)
{
	int id = (int)c->a[0], cmd = (int)c->a[cmd_arg];

	if (lists_host(kind, cmd) || !pidtab_ipc_has(kind, id))
		return -EINVAL;
	long r = sys_forward(c);
	if (r == 0 && (cmd & ~IPC_64) == IPC_RMID && kind != PIDTAB_SHM)
		pidtab_ipc_remove(kind, id); /* gone at once; a segment only at its last detach */
	if (kind == PIDTAB_SHM && (cmd & ~IPC_64) == IPC_RMID && r == 0) {
		/* the id stays valid while attached; Linux lets IPC_STAT find
		 * it until then, so it is forgotten when shmctl says EINVAL */
		if (plat_host_shm_exists(id) < 0)
			pidtab_ipc_remove(kind, id);
	}
	return r;
}

long sys_shmctl(struct sys_call *c) { return ipc_ctl(c, PIDTAB_SHM, 1); }
long sys_semctl(struct sys_call *c) { return ipc_ctl(c, PIDTAB_SEM, 2); }
long sys_msgctl(struct sys_call *c) { return ipc_ctl(c, PIDTAB_MSG, 1); }

/* Operations on an id: ours only. */
static long ipc_op(struct sys_call *c, int kind)
{
	return pidtab_ipc_has(kind, (int)c->a[0]) ? sys_forward(c) : -EINVAL;
}

long sys_semop(struct sys_call *c) { return ipc_op(c, PIDTAB_SEM); }
long sys_semtimedop(struct sys_call *c) { return ipc_op(c, PIDTAB_SEM); }
long sys_msgsnd(struct sys_call *c) { return ipc_op(c, PIDTAB_MSG); }
long sys_msgrcv(struct sys_call *c) { return ipc_op(c, PIDTAB_MSG); }

long sys_shmat(struct sys_call *c)
{
	if (!pidtab_ipc_has(PIDTAB_SHM, (int)c->a[0]))
		return -EINVAL;
	/* with enclave memory the segment is the host's, outside the range
	 * (mm/vma.h): an address inside it is one the host cannot map */
	if (vma_on() && c->a[1] && vma_overlaps((uintptr_t)c->a[1], 1))
		return -EINVAL;
	/* the segment's size, to check all of what the host maps (a
	 * smaller size than it has only means a smaller check) */
	uint8_t ds[112]; /* struct shmid64_ds: shm_segsz after the 48-byte ipc64_perm */
	long r = sys_host_nr(__NR_shmctl, c->a[0], IPC_STAT, (long)ds, 0, 0, 0);
	if (r < 0)
		return r;
	size_t size;
	memcpy(&size, ds + 48, sizeof size);
	if (!size || size > (1UL << 47))
		return sys_refuse(c, -EIO, "shmctl(IPC_STAT): a segment size no segment has");
	size = RT_ALIGN_UP(size, RT_PAGE_SIZE);
	r = sys_forward(c);
	if (r < 0)
		return r;
	/* every page of it: outside runtime memory, and with enclave memory
	 * outside the enclave range (the marshaller saw only the address) */
	if ((uintptr_t)r > ~(uintptr_t)0 - size || !mm_user_ok((uintptr_t)r, size) ||
	    (vma_on() && vma_overlaps((uintptr_t)r, size))) {
		sys_host_nr(__NR_shmdt, r, 0, 0, 0, 0, 0);
		return sys_refuse(c, -EFAULT, "a segment that reaches runtime memory");
	}
	return r;
}

/* ---- POSIX message queues ---------------------------------------------------- */

#define MQ_NAME_MAX 255 /* NAME_MAX */

/* The host name of the application's queue `uname` (without the leading
 * '/', as the system call takes it). */
static long mq_name(uintptr_t uname, char *out, size_t n)
{
	char name[MQ_NAME_MAX + 1];
	long r = uaccess_strncpy(name, uname, sizeof name);
	if (r < 0)
		return r;
	uint64_t token = pidtab_token();
	if (!token)
		return -ENOMEM; /* no registry, so no name of this run's own */
	if ((size_t)rt_snprintf(out, n, "coffer.%016lx.%s", (unsigned long)token, name) > MQ_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

long sys_mq_open(struct sys_call *c)
{
	char name[MQ_NAME_MAX + 32];
	long r = mq_name((uintptr_t)c->a[0], name, sizeof name);
	if (r)
		return r;
	if (c->a[3] && !mm_user_ok((uintptr_t)c->a[3], 0))
		return -EFAULT;
	return fd_install_host(sys_host(c, (long)name, c->a[1], c->a[2], c->a[3], 0, 0), NULL, 0);
}

long sys_mq_unlink(struct sys_call *c)
{
	char name[MQ_NAME_MAX + 32];
	long r = mq_name((uintptr_t)c->a[0], name, sizeof name);
	return r ? r : sys_host(c, (long)name, 0, 0, 0, 0, 0);
}
