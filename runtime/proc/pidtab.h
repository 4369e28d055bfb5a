/*
 * pidtab.h - the enclave's process view: which host processes belong to the
 * application (the program and every process it forked or spawned, at any
 * depth), as opposed to the rest of the host.
 *
 * Every system call that names a process by pid (kill, tgkill, pidfd_open,
 * waitid, process_vm_readv, ...) and the runtime's /proc consult this view;
 * a pid outside it does not exist for the application (ESRCH, ENOENT in
 * /proc). Pids are the host's numbers: the view restricts which of them the
 * application can name, it does not renumber them.
 */
#ifndef COFFER_RT_PIDTAB_H
#define COFFER_RT_PIDTAB_H

#include "../lib/rt.h"

/* Does pid name one of the application's processes (a thread group id)? */
bool pidtab_owned(int pid);
/* Write up to max of the application's process ids to out, in ascending
 * order; returns how many there are in all (which may exceed max). */
int pidtab_list(int *out, int max);

#endif
