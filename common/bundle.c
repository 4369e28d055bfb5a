/*
 * bundle.c - reading and framing the signed bundle (bundle.h).
 */
#include "bundle.h"
#include "sgx.h"

#include "cstring.h"

int bundle_parse(const uint8_t *raw, size_t len, struct bundle *out, const char **why)
{
	if (len == 0) {
		*why = "an empty file, not a signed Coffer bundle";
		return -1;
	}
	if (len < 8 || memcmp(raw, BUNDLE_MAGIC, 8)) {
		*why = "not a signed Coffer bundle (bad magic)";
		return -1;
	}
	if (len < BUNDLE_HEADER_SIZE) {
		*why = "the bundle's header is truncated";
		return -1;
	}
	if (sgx_le32(raw + 8) != BUNDLE_VERSION) {
		*why = "unsupported bundle version";
		return -1;
	}
	uint32_t moff = sgx_le32(raw + 12), mlen = sgx_le32(raw + 16);
	uint32_t soff = sgx_le32(raw + 20), slen = sgx_le32(raw + 24);
	if (sgx_le32(raw + 28) || moff < BUNDLE_HEADER_SIZE || moff > len || mlen > len - moff || soff < moff + mlen ||
	    soff > len || slen != SIGSTRUCT_SIZE || slen > len - soff || soff + slen != len) {
		*why = "the bundle's header does not describe its contents (truncated or altered?)";
		return -1;
	}
	out->manifest = raw + moff;
	out->manifest_len = mlen;
	out->sigstruct = raw + soff;
	return 0;
}

void bundle_header(uint8_t hdr[BUNDLE_HEADER_SIZE], size_t man_len)
{
	memset(hdr, 0, BUNDLE_HEADER_SIZE);
	memcpy(hdr, BUNDLE_MAGIC, 8);
	sgx_put_le32(hdr + 8, BUNDLE_VERSION);
	sgx_put_le32(hdr + 12, BUNDLE_HEADER_SIZE);
	sgx_put_le32(hdr + 16, (uint32_t)man_len);
	sgx_put_le32(hdr + 20, BUNDLE_HEADER_SIZE + (uint32_t)man_len);
	sgx_put_le32(hdr + 24, SIGSTRUCT_SIZE);
}
