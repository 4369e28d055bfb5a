/*
 * ocall_server.c - the host's side of the OCALL layer: the argument block
 * the enclave's marshaller (enclave/ocall.c) wrote into the thread's
 * untrusted buffer is turned back into one Linux system call by the same
 * table row (../ocall_table.h): values as they are, each buffer's offset
 * into an address inside the block after checking that it and its length
 * (from the row: a length argument, a fixed size, a string's NUL) lie
 * inside the block, and the block inside the thread's buffer. A forwarded
 * call (OC_FORWARD) carries its system call number and six arguments whose
 * pointers the enclave has already made untrusted: it is made as it is.
 *
 * The host trusts nothing here either way: the checks only keep a broken
 * block from making the host touch memory other than the thread's buffer.
 * Freestanding (sim_syscall6 is the one system call primitive).
 */
#include <asm-generic/errno.h>

#include "../ocall_table.h"
#include "ocall_server.h"
#include "sim.h"

/* The address of the buffer at offset `off` of `len` bytes, or 0. */
static uint64_t place(uint64_t frame, uint64_t size, uint64_t off, uint64_t len)
{
	if (off < OC_FRAME_HDR || off > size || len > size - off)
		return 0;
	return frame + off;
}

long oc_serve(uint64_t ubuf, uint64_t ubuf_len, long code, uint64_t frame)
{
	if (code <= OC_NONE || code >= OC_COUNT)
		return -ENOSYS;
	if (frame < ubuf || frame - ubuf > ubuf_len || ubuf_len - (frame - ubuf) < OC_FRAME_HDR)
		return -EFAULT;
	const struct oc_frame *h = (const struct oc_frame *)frame;
	uint64_t size = h->size, arg[6];
	for (int i = 0; i < 6; i++)
		arg[i] = h->arg[i];
	if (code == OC_FORWARD)
		return sim_syscall6(h->nr, (long)arg[0], (long)arg[1], (long)arg[2], (long)arg[3], (long)arg[4],
				    (long)arg[5]);
	if (size < OC_FRAME_HDR || size > ubuf_len - (frame - ubuf))
		return -EFAULT;

	const struct oc_row *row = &oc_rows[code];
	long a[6];
	for (int i = 0; i < 6; i++) {
		uint32_t k = row->arg[i], p = OC_PARAM(k);
		uint64_t len;
		a[i] = (long)arg[i];
		switch (OC_KIND(k)) {
		case OCK_V:
		case OCK_UPTR:
		case OCK_UPTRL:
			continue;
		case OCK_S:
			len = 0;
			if (arg[i] >= OC_FRAME_HDR && arg[i] < size) {
				const char *s = (const char *)frame + arg[i];
				while (arg[i] + len < size && s[len])
					len++;
				if (arg[i] + len == size)
					return -EFAULT; /* no NUL inside the block */
				len++;
			}
			break;
		case OCK_IN:
		case OCK_OUT:
			len = arg[p];
			break;
		case OCK_OUTL: {
			uint64_t lp = place(frame, size, arg[p], 4);
			if (!lp)
				return -EFAULT;
			len = *(const uint32_t *)lp;
			break;
		}
		default:
			len = p;
			break;
		}
		if (!arg[i])
			continue; /* NULL: the enclave allowed it where the row does */
		uint64_t addr = place(frame, size, arg[i], len);
		if (!addr)
			return -EFAULT;
		a[i] = (long)addr;
	}
	return sim_syscall6(row->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
