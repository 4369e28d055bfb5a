/*
 * shm.c - the shm mount: memory the application's processes share by name
 * (POSIX shm_open and sem_open, which glibc makes in /dev/shm, and anything
 * else a program keeps there), in host memory.
 *
 * A manifest asks for it with a mount of type shm (docs/manifest.md), at
 * /dev/shm for the POSIX calls. The mount is a directory of the host's
 * /dev/shm (a tmpfs: host memory, never disk) that belongs to this run
 * alone: "coffer.TOKEN.N", TOKEN the run's random token (pidtab.h: made by
 * the first enclave of the run, the same in every process of it) and N the
 * mount's index among the manifest's shm mounts. So only the run's
 * processes find each other's objects: the host's own /dev/shm objects do
 * not exist inside, and another run of the same bundle has its own.
 *
 * The directory is made with mode 0700 by the first process that boots,
 * and every later process (fork keeps the mount, an execve'd image boots
 * again) checks that what it finds there is a directory of its user (or of
 * root) that no other user may enter, so another host user who learns the
 * token cannot have the run use a directory of theirs. The mount is then a
 * confined passthrough mount of it (passthrough.c): files are host files,
 * so MAP_SHARED mappings of them are shared between the processes as on
 * Linux.
 *
 * What it does not protect: the bytes are host memory, outside the enclave
 * on SGX, and the host (root, or the run's user) can read and change them
 * at any time (docs/threat-model.md).
 *
 * The objects live as long as the run: when the last of its processes
 * exits (exit_group, or a boot that fails after mounting, with no other
 * process of the run still running, or all exiting at once:
 * pidtab_last_exit), it removes what is left in the directory and the
 * directory itself. A run
 * whose last process is killed leaves the directory behind, as a killed
 * native program leaves its /dev/shm objects.
 */
#include <linux/fcntl.h>
#include <linux/stat.h>

#include "../proc/pidtab.h"
#include "vfs.h"
#include "../lib/host.h"

#define SHM_HOST_DIR "/dev/shm"

/* A getdents64 record as x86-64 Linux writes it. */
struct host_dirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* The run's shm directories this process mounted (fixed after boot). */
static char **shm_dirs;
static unsigned shm_ndirs;

struct vfs_mount *shm_mount_add(const char *path, unsigned index, const char **why)
{
	char host[64];
	if (!pidtab_token()) {
		*why = "the run has no registry of its processes";
		return NULL;
	}
	rt_snprintf(host, sizeof host, SHM_HOST_DIR "/coffer.%016lx.%u", (unsigned long)pidtab_token(), index);
	long r = plat_host_mkdirat(AT_FDCWD, host, 0700);
	if (r < 0 && r != -EEXIST) {
		*why = r == -ENOENT ? "the host has no " SHM_HOST_DIR : "the host refused to make its directory";
		return NULL;
	}
	struct kstat_buf st;
	uint32_t uid = host_euid();
	if (host_stat("newfstatat", plat_host_fstatat(AT_FDCWD, host, &st.k, AT_SYMLINK_NOFOLLOW), &st.k) ||
	    !S_ISDIR(st.st.st_mode) || (st.st.st_uid != uid && st.st.st_uid != 0) ||
	    (st.st.st_mode & 077)) {
		*why = "its host directory is not a private directory of this user";
		return NULL;
	}
	char **dirs = rt_alloc((shm_ndirs + 1) * sizeof *dirs);
	struct vfs_mount *m = dirs ? vfs_mount_add(path, host, &passthrough_ops, false) : NULL;
	if (!m || passthrough_confine(m)) {
		rt_free(dirs);
		*why = "out of memory, or its host directory cannot be opened";
		return NULL;
	}
	m->type_name = "shm";
	if (shm_ndirs)
		memcpy(dirs, shm_dirs, shm_ndirs * sizeof *dirs);
	rt_free(shm_dirs);
	shm_dirs = dirs;
	shm_dirs[shm_ndirs++] = (char *)m->host_root;
	return m;
}

/* Remove what is left in host directory `dir` (the objects: flat names; a
 * directory a program made there goes only if it is empty) and the
 * directory itself. */
static void remove_dir(const char *dir)
{
	long fd = host_fd("openat", plat_host_openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0));
	if (fd < 0)
		return;
	char buf[1024];
	long n;
	while ((n = host_dents("getdents64", plat_host_getdents((int)fd, buf, sizeof buf), buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			const struct host_dirent *d = (const void *)(buf + off);
			if (d->d_reclen == 0 || off + d->d_reclen > n)
				break;
			off += d->d_reclen;
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				plat_host_unlinkat((int)fd, d->d_name, d->d_type == 4 /* DT_DIR */ ? AT_REMOVEDIR : 0);
		}
	}
	plat_host_close((int)fd);
	plat_host_unlinkat(AT_FDCWD, dir, AT_REMOVEDIR);
}

void shm_run_end(void)
{
	if (!shm_ndirs || !pidtab_last_exit())
		return;
	for (unsigned i = 0; i < shm_ndirs; i++)
		remove_dir(shm_dirs[i]);
}
