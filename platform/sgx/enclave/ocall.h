/*
 * ocall.h - the enclave side of the OCALL layer (ocall.c) beyond
 * platform.h: the marshaller itself, untrusted memory from the host, and
 * the one thing the enclave program supplies (where refusals are logged).
 */
#ifndef COFFER_PLATFORM_SGX_OCALL_H
#define COFFER_PLATFORM_SGX_OCALL_H

#include <stddef.h>

/* Make OCALL `code` (../ocall_table.h) with the row's arguments: copies in,
 * exits, checks the host's result, copies back. The checked result, or
 * -errno (-EIO, -EFAULT: the host's answer was refused). */
long sgx_oc(unsigned code, const long args[6]);

/* Fresh untrusted memory from the host (anonymous, read-write): its
 * address, checked to lie outside ELRANGE with all of len, or -errno. */
long sgx_host_mmap(size_t len);
long sgx_host_munmap(void *p, size_t len);

/* Supplied by the enclave program (the runtime: a warning in its log): an
 * OCALL's answer `r` was refused (or a call was refused before leaving),
 * for the reason `why`. */
void sgx_oc_log(const char *call, long r, const char *why);

#endif
