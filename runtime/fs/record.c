/*
 * record.c - what `coffer manifest record` learns from a development run.
 *
 * When the boot block names a record fd, every path the program looks up,
 * reads, writes or executes is appended to it as one line "K /abs/path",
 * K one of
 *   S  looked up (stat, access, readlink, chdir) and found
 *   R  opened for reading
 *   W  opened for writing, created, removed or renamed
 *   U  a UNIX socket bound or connected to: its directory must be a
 *      passthrough mount (a socket can be neither trusted nor in a tmpfs)
 *   X  executed, or loaded as a program's interpreter
 *   P  a process started (the path: its program); a process's tmpfs is its
 *      own, so coffer needs to know whether the program ran more than one
 * with the path as the program named it, normalized. The fd is opened with
 * O_APPEND by coffer, so lines from every process of the run (fork, exec)
 * land whole; coffer sorts them out afterwards (tools/record.c).
 */
#include "../proc/proc.h"
#include "vfs.h"

void vfs_record(char kind, const char *abs)
{
	vfs_record_to(rt_tls_ready ? current()->proc->record_fd : -1, kind, abs);
}

void vfs_record_to(int fd, char kind, const char *abs)
{
	char line[RT_PATH_MAX + 4];

	if (fd < 0 || !abs || abs[0] != '/')
		return;
	int n = rt_snprintf(line, sizeof line, "%c %s\n", kind, abs);
	if ((size_t)n < sizeof line)
		plat_host_write(fd, line, (size_t)n); /* best effort: the result is not used */
}
