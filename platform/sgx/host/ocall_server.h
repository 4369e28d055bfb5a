/*
 * ocall_server.h - the host's side of the OCALL layer (ocall_server.c):
 * one function that serves any OCALL of ../ocall_table.h.
 */
#ifndef COFFER_PLATFORM_SGX_OCALL_SERVER_H
#define COFFER_PLATFORM_SGX_OCALL_SERVER_H

#include <stdint.h>

/* Serve OCALL `code` whose argument block the enclave put at `frame`,
 * which must lie with all its buffers inside the thread's untrusted buffer
 * [ubuf, ubuf + ubuf_len) (the one given at the ECALL). Makes the row's
 * system call on that memory and returns its result (or -EFAULT/-ENOSYS
 * for a block the table does not allow). Touches no other memory. */
long oc_serve(uint64_t ubuf, uint64_t ubuf_len, long code, uint64_t frame);

#endif
