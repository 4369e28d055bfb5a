/*
 * pidtab.c - the enclave's process view (pidtab.h).
 *
 * First version: the view holds the calling process only. The process
 * registry that also tracks forked and spawned children replaces this.
 */
#include "pidtab.h"
#include "proc.h"

bool pidtab_owned(int pid)
{
	return pid > 0 && pid == current()->proc->pid;
}

int pidtab_list(int *out, int max)
{
	if (max > 0)
		out[0] = current()->proc->pid;
	return 1;
}
