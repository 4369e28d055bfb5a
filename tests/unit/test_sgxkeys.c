/*
 * Unit tests for common/cmac.c and common/sgxkeys.c: AES-CMAC against RFC
 * 4493's vectors (tests/vectors/rfc4493-aes-cmac.txt) and OpenSSL's CMAC;
 * the simulated EGETKEY (every input the SDM puts in a key changes it,
 * every input it leaves out or masks does not, SVNs above the enclave's are
 * refused with the SDM's error code, malformed requests fault) and EREPORT
 * (the target checks the MAC with its own REPORT_KEY; a changed byte or
 * another target fails). AES is OpenSSL's, through struct sgx_aes128.
 * Started from the source root (tests/meson.build) for the vectors.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/sgx.h"
#include "aes_openssl.h"
#include "check.h"

static struct sgx_aes128 aes;

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] && s[1] && s[0] != '"'; s += 2)
		sscanf(s, "%2hhx", &out[n++]);
	return n;
}

/* ---- CMAC ------------------------------------------------------------------ */

static void test_cmac_vectors(void)
{
	FILE *f = fopen("tests/vectors/rfc4493-aes-cmac.txt", "r");
	char line[512], tag[8], val[400];
	uint8_t key[16], msg[128], want[16], got[16];
	size_t mlen = 0;
	int examples = 0;

	if (!f) {
		perror("tests/vectors/rfc4493-aes-cmac.txt");
		exit(2);
	}
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || sscanf(line, "%7s %399s", tag, val) != 2)
			continue;
		if (!strcmp(tag, "K")) {
			CHECK(unhex(val, key) == 16);
		} else if (!strcmp(tag, "M")) {
			mlen = unhex(val, msg);
		} else if (!strcmp(tag, "T")) {
			CHECK(unhex(val, want) == 16);
			sgx_cmac(&aes, key, msg, mlen, got);
			CHECK(!memcmp(got, want, 16));
			examples++;
		}
	}
	fclose(f);
	CHECK(examples == 4);
}

/* Every length from 0 to 100 (whole and partial last blocks) against
 * OpenSSL's own CMAC. */
static void test_cmac_openssl(void)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	uint8_t key[16], msg[100], want[16], got[16];
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
				OSSL_PARAM_construct_end() };

	RAND_bytes(key, sizeof key);
	RAND_bytes(msg, sizeof msg);
	for (size_t len = 0; len <= sizeof msg; len++) {
		EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
		size_t n;
		CHECK(EVP_MAC_init(c, key, 16, params) == 1);
		EVP_MAC_update(c, msg, len);
		EVP_MAC_final(c, want, &n, sizeof want);
		EVP_MAC_CTX_free(c);
		sgx_cmac(&aes, key, msg, len, got);
		CHECK(!memcmp(got, want, 16));
	}
	EVP_MAC_free(mac);
}

/* ---- EGETKEY ----------------------------------------------------------------- */

static struct sgx_sim_root root;
static struct sgx_enclave_identity me;

static void setup(void)
{
	RAND_bytes((uint8_t *)&root, sizeof root);
	memset(root.cpusvn, 0, 16);
	root.cpusvn[0] = 7;
	root.cpusvn[5] = 3;
	memset(&me, 0, sizeof me);
	RAND_bytes(me.mrenclave, 32);
	RAND_bytes(me.mrsigner, 32);
	me.attr_flags = SGX_FLAGS_INIT | SGX_FLAGS_MODE64BIT;
	me.attr_xfrm = 0x07;
	me.miscselect = 0x1;
	me.isvprodid = 11;
	me.isvsvn = 5;
}

/* A SEAL_KEY request at the enclave's own SVNs, MRSIGNER policy, mask
 * covering what Intel's SDK masks by default (all flags but MODE64BIT and
 * KSS... here: INIT, DEBUG, MODE64BIT), KEYID fixed. */
static void seal_request(uint8_t kr[SGX_KEYREQUEST_SIZE], uint16_t policy)
{
	memset(kr, 0, SGX_KEYREQUEST_SIZE);
	sgx_put_le16(kr + KR_KEYNAME, SGX_KEYNAME_SEAL);
	sgx_put_le16(kr + KR_KEYPOLICY, policy);
	sgx_put_le16(kr + KR_ISVSVN, me.isvsvn);
	memcpy(kr + KR_CPUSVN, root.cpusvn, 16);
	sgx_put_le64(kr + KR_ATTRIBUTEMASK, SGX_FLAGS_INIT | SGX_FLAGS_DEBUG | SGX_FLAGS_MODE64BIT);
	sgx_put_le64(kr + KR_ATTRIBUTEMASK + 8, 0);
	sgx_put_le32(kr + KR_MISCMASK, 0xffffffff);
	memset(kr + KR_KEYID, 0x5a, 32);
}

static int key_of(const struct sgx_sim_root *r, const struct sgx_enclave_identity *id, const uint8_t *kr,
		  uint8_t key[16])
{
	return sgx_sim_egetkey(&aes, r, id, kr, key);
}

/* The key for (root, id, kr) differs from / equals base. */
static int differs(const uint8_t base[16], const struct sgx_sim_root *r, const struct sgx_enclave_identity *id,
		   const uint8_t *kr)
{
	uint8_t k[16];
	if (key_of(r, id, kr, k))
		return -1;
	return memcmp(k, base, 16) != 0;
}

static void test_seal_inputs(void)
{
	uint8_t kr[SGX_KEYREQUEST_SIZE], k2[SGX_KEYREQUEST_SIZE], base[16], again[16];
	struct sgx_enclave_identity id;
	struct sgx_sim_root r;

	/* MRENCLAVE policy */
	seal_request(kr, SGX_KEYPOLICY_MRENCLAVE);
	CHECK(key_of(&root, &me, kr, base) == 0);
	CHECK(key_of(&root, &me, kr, again) == 0 && !memcmp(base, again, 16)); /* deterministic */
	id = me; id.mrenclave[31] ^= 1;
	CHECK(differs(base, &root, &id, kr) == 1);
	id = me; id.mrsigner[0] ^= 1;
	CHECK(differs(base, &root, &id, kr) == 0); /* not in the MRENCLAVE policy */

	/* MRSIGNER policy */
	seal_request(kr, SGX_KEYPOLICY_MRSIGNER);
	CHECK(key_of(&root, &me, kr, base) == 0);
	id = me; id.mrsigner[0] ^= 1;
	CHECK(differs(base, &root, &id, kr) == 1);
	id = me; id.mrenclave[0] ^= 1;
	CHECK(differs(base, &root, &id, kr) == 0); /* a new version of the code, same key */
	id = me; id.isvprodid++;
	CHECK(differs(base, &root, &id, kr) == 1);
	/* the enclave's own ISVSVN is not an input, the requested one is: a
	 * newer enclave derives an older version's key */
	id = me; id.isvsvn++;
	CHECK(differs(base, &root, &id, kr) == 0);
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_ISVSVN, me.isvsvn - 1);
	CHECK(differs(base, &root, &me, k2) == 1);
	memcpy(k2, kr, sizeof k2); k2[KR_CPUSVN] -= 1;
	CHECK(differs(base, &root, &me, k2) == 1);
	memcpy(k2, kr, sizeof k2); k2[KR_KEYID + 17] ^= 1;
	CHECK(differs(base, &root, &me, k2) == 1);
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_KEYPOLICY, SGX_KEYPOLICY_MRSIGNER | SGX_KEYPOLICY_MRENCLAVE);
	CHECK(differs(base, &root, &me, k2) == 1);

	/* attributes: INIT and DEBUG always bound, even when the mask omits them */
	memcpy(k2, kr, sizeof k2); sgx_put_le64(k2 + KR_ATTRIBUTEMASK, 0);
	CHECK(key_of(&root, &me, k2, again) == 0);
	id = me; id.attr_flags |= SGX_FLAGS_DEBUG;
	CHECK(differs(again, &root, &id, k2) == 1);
	/* a bit under the mask changes the key; one outside does not */
	id = me; id.attr_flags &= ~SGX_FLAGS_MODE64BIT;
	CHECK(differs(base, &root, &id, kr) == 1);
	id = me; id.attr_flags |= SGX_FLAGS_PROVISIONKEY;
	CHECK(differs(base, &root, &id, kr) == 0);
	id = me; id.attr_xfrm |= 0x18; /* XFRM is unmasked in kr */
	CHECK(differs(base, &root, &id, kr) == 0);
	memcpy(k2, kr, sizeof k2); sgx_put_le64(k2 + KR_ATTRIBUTEMASK + 8, 0xff);
	CHECK(key_of(&root, &me, k2, again) == 0 && memcmp(again, base, 16)); /* the mask itself is an input */
	id = me; id.attr_xfrm |= 0x18;
	CHECK(differs(again, &root, &id, k2) == 1);
	/* a mask bit for an attribute the enclave lacks still changes the
	 * key (ATTRIBUTESMASK is in the derivation data) */
	memcpy(k2, kr, sizeof k2); sgx_put_le64(k2 + KR_ATTRIBUTEMASK, SGX_FLAGS_INIT | SGX_FLAGS_DEBUG | SGX_FLAGS_MODE64BIT | SGX_FLAGS_KSS);
	CHECK(differs(base, &root, &me, k2) == 1);

	/* MISCSELECT under MISCMASK */
	id = me; id.miscselect ^= 0x4;
	CHECK(differs(base, &root, &id, kr) == 1);
	memcpy(k2, kr, sizeof k2); sgx_put_le32(k2 + KR_MISCMASK, 0xfffffffb);
	CHECK(key_of(&root, &me, k2, again) == 0 && memcmp(again, base, 16));
	CHECK(differs(again, &root, &id, k2) == 0);

	/* fields that need a policy bit: without KSS none can be asked for,
	 * and the values do not enter the key */
	id = me; id.configid[3] = 1; id.isvfamilyid[0] = 1; id.isvextprodid[0] = 1; id.configsvn = 4;
	CHECK(differs(base, &root, &id, kr) == 0);

	/* the machine */
	r = root; r.key[0] ^= 1;
	CHECK(differs(base, &r, &me, kr) == 1);
	r = root; r.ownerepoch[0] ^= 1;
	CHECK(differs(base, &r, &me, kr) == 1);
	r = root; r.seal_fuses[0] ^= 1;
	CHECK(differs(base, &r, &me, kr) == 1);
	r = root; r.report_keyid[0] ^= 1; r.cpusvn[1] = 9; /* a newer CPU still derives the old key */
	CHECK(differs(base, &r, &me, kr) == 0);
}

static void test_kss_policy(void)
{
	uint8_t kr[SGX_KEYREQUEST_SIZE], base[16];
	struct sgx_enclave_identity kss = me, id;

	kss.attr_flags |= SGX_FLAGS_KSS;
	kss.configsvn = 3;
	memset(kss.configid, 0x11, 64);
	memset(kss.isvfamilyid, 0x22, 16);
	memset(kss.isvextprodid, 0x33, 16);

	seal_request(kr, SGX_KEYPOLICY_MRSIGNER);
	CHECK(key_of(&root, &kss, kr, base) == 0);
	id = kss; id.configid[0] ^= 1; id.isvfamilyid[0] ^= 1; id.isvextprodid[0] ^= 1; id.configsvn = 9;
	CHECK(differs(base, &root, &id, kr) == 0);

	static const uint16_t bits[] = { SGX_KEYPOLICY_ISVFAMILYID, SGX_KEYPOLICY_ISVEXTPRODID, SGX_KEYPOLICY_CONFIGID };
	for (int i = 0; i < 3; i++) {
		seal_request(kr, SGX_KEYPOLICY_MRSIGNER | bits[i]);
		CHECK(key_of(&root, &kss, kr, base) == 0);
		id = kss;
		if (i == 0)
			id.isvfamilyid[5] ^= 1;
		else if (i == 1)
			id.isvextprodid[5] ^= 1;
		else
			id.configid[40] ^= 1;
		CHECK(differs(base, &root, &id, kr) == 1);
	}
	/* CONFIGSVN: requested, up to the enclave's */
	seal_request(kr, SGX_KEYPOLICY_MRSIGNER | SGX_KEYPOLICY_CONFIGID);
	sgx_put_le16(kr + KR_CONFIGSVN, 3);
	CHECK(key_of(&root, &kss, kr, base) == 0);
	sgx_put_le16(kr + KR_CONFIGSVN, 2);
	CHECK(differs(base, &root, &kss, kr) == 1);
	sgx_put_le16(kr + KR_CONFIGSVN, 4);
	CHECK(key_of(&root, &kss, kr, base) == SGX_INVALID_ISVSVN);

	/* NOISVPRODID: the product id leaves the key */
	seal_request(kr, SGX_KEYPOLICY_MRSIGNER | SGX_KEYPOLICY_NOISVPRODID);
	CHECK(key_of(&root, &kss, kr, base) == 0);
	id = kss; id.isvprodid++;
	CHECK(differs(base, &root, &id, kr) == 0);
}

static void test_errors(void)
{
	uint8_t kr[SGX_KEYREQUEST_SIZE], k2[SGX_KEYREQUEST_SIZE], key[16], untouched[16];

	memset(untouched, 0xee, 16);
	seal_request(kr, SGX_KEYPOLICY_MRSIGNER);
#define REFUSED(req, code) (memcpy(key, untouched, 16), key_of(&root, &me, req, key) == (code) && !memcmp(key, untouched, 16))

	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_ISVSVN, me.isvsvn + 1);
	CHECK(REFUSED(k2, SGX_INVALID_ISVSVN));
	memcpy(k2, kr, sizeof k2); k2[KR_CPUSVN + 5] += 1; /* one component above the CPU's */
	CHECK(REFUSED(k2, SGX_INVALID_CPUSVN));
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_KEYNAME, 5);
	CHECK(REFUSED(k2, SGX_INVALID_KEYNAME));
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_KEYNAME, SGX_KEYNAME_PROVISION);
	CHECK(REFUSED(k2, SGX_INVALID_ATTRIBUTE));
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_KEYNAME, SGX_KEYNAME_PROVISION_SEAL);
	CHECK(REFUSED(k2, SGX_INVALID_ATTRIBUTE));
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_KEYNAME, SGX_KEYNAME_EINITTOKEN);
	CHECK(REFUSED(k2, SGX_INVALID_ATTRIBUTE));
	/* #GP(0): reserved bytes, reserved policy bits, KSS bits without KSS */
	for (size_t off = 6; off < SGX_KEYREQUEST_SIZE; off++) {
		if (off == 8)
			off = 78;
		memcpy(k2, kr, sizeof k2); k2[off] = 1;
		CHECK(REFUSED(k2, SGX_SIM_GP));
	}
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_KEYPOLICY, SGX_KEYPOLICY_MRSIGNER | 0x40);
	CHECK(REFUSED(k2, SGX_SIM_GP));
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_KEYPOLICY, SGX_KEYPOLICY_MRSIGNER | SGX_KEYPOLICY_NOISVPRODID);
	CHECK(REFUSED(k2, SGX_SIM_GP));
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_CONFIGSVN, 1);
	CHECK(REFUSED(k2, SGX_SIM_GP));
#undef REFUSED
}

static void test_provision_keys(void)
{
	uint8_t kr[SGX_KEYREQUEST_SIZE], k2[SGX_KEYREQUEST_SIZE], base[16];
	struct sgx_enclave_identity pv = me, id;
	struct sgx_sim_root r;

	pv.attr_flags |= SGX_FLAGS_PROVISIONKEY;
	seal_request(kr, 0);
	sgx_put_le16(kr + KR_KEYNAME, SGX_KEYNAME_PROVISION);
	CHECK(key_of(&root, &pv, kr, base) == 0);
	id = pv; id.mrsigner[0] ^= 1;
	CHECK(differs(base, &root, &id, kr) == 1);
	id = pv; id.mrenclave[0] ^= 1;
	CHECK(differs(base, &root, &id, kr) == 0);
	memcpy(k2, kr, sizeof k2); k2[KR_KEYID] ^= 1; /* no KEYID */
	CHECK(differs(base, &root, &pv, k2) == 0);
	r = root; r.ownerepoch[0] ^= 1; r.seal_fuses[0] ^= 1; /* neither owner epoch nor fuses */
	CHECK(differs(base, &r, &pv, kr) == 0);
	memcpy(k2, kr, sizeof k2); sgx_put_le32(k2 + KR_MISCMASK, 0xfffffff0); /* MISCMASK (inverted) */
	CHECK(differs(base, &root, &pv, k2) == 1);
	memcpy(k2, kr, sizeof k2); sgx_put_le64(k2 + KR_ATTRIBUTEMASK + 8, 3); /* ATTRIBUTEMASK */
	CHECK(differs(base, &root, &pv, k2) == 1);
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_ISVSVN, 0); /* requested ISVSVN */
	CHECK(differs(base, &root, &pv, k2) == 1);
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_KEYPOLICY, SGX_KEYPOLICY_MRENCLAVE); /* no policy */
	CHECK(differs(base, &root, &pv, k2) == 0);
	memcpy(k2, kr, sizeof k2); sgx_put_le16(k2 + KR_KEYNAME, SGX_KEYNAME_PROVISION_SEAL);
	CHECK(differs(base, &root, &pv, k2) == 1);
	CHECK(key_of(&root, &pv, k2, base) == 0);
	r = root; r.seal_fuses[0] ^= 1;
	CHECK(differs(base, &r, &pv, k2) == 1);
	r = root; r.ownerepoch[0] ^= 1;
	CHECK(differs(base, &r, &pv, k2) == 0);
}

/* ---- EREPORT and REPORT_KEY ------------------------------------------------------ */

static void self_targetinfo(const struct sgx_enclave_identity *id, uint8_t ti[SGX_TARGETINFO_SIZE])
{
	uint8_t zero_ti[SGX_TARGETINFO_SIZE] = { 0 }, rd[64] = { 0 }, r[SGX_REPORT_SIZE];
	sgx_sim_ereport(&aes, &root, id, zero_ti, rd, r);
	sgx_targetinfo_from_report(r, ti);
}

/* As the target does it: EGETKEY(REPORT_KEY) under the report's KEYID. */
static int target_checks(const struct sgx_enclave_identity *target, const uint8_t r[SGX_REPORT_SIZE])
{
	uint8_t kr[SGX_KEYREQUEST_SIZE], key[16];
	sgx_keyrequest_report(r, kr);
	if (sgx_sim_egetkey(&aes, &root, target, kr, key))
		return -2;
	return sgx_report_check_mac(&aes, key, r);
}

static void test_ereport(void)
{
	struct sgx_enclave_identity a = me, b = me, c = me, got;
	uint8_t ti_b[SGX_TARGETINFO_SIZE], rd[64], r[SGX_REPORT_SIZE], r2[SGX_REPORT_SIZE];

	b.mrenclave[0] ^= 0x80;
	c.mrenclave[1] ^= 0x80;
	self_targetinfo(&b, ti_b);
	CHECK(!memcmp(ti_b + TI_MEASUREMENT, b.mrenclave, 32));
	RAND_bytes(rd, sizeof rd);
	sgx_sim_ereport(&aes, &root, &a, ti_b, rd, r);

	/* the body states a's identity, the CPU and the data */
	memset(&got, 0, sizeof got);
	sgx_report_identity(r, &got);
	CHECK(!memcmp(&got, &a, sizeof got));
	CHECK(!memcmp(r + RP_REPORTDATA, rd, 64));
	CHECK(!memcmp(r + RP_CPUSVN, root.cpusvn, 16));
	CHECK(!memcmp(r + RP_KEYID, root.report_keyid, 32));

	CHECK(target_checks(&b, r) == 0);
	CHECK(target_checks(&a, r) == -1); /* made for b, not for its maker */
	CHECK(target_checks(&c, r) == -1);
	/* every byte of the body, the KEYID and the MAC */
	int caught = 0;
	for (size_t i = 0; i < SGX_REPORT_SIZE; i++) {
		memcpy(r2, r, sizeof r2);
		r2[i] ^= 0x01;
		caught += target_checks(&b, r2) == -1;
	}
	CHECK(caught == SGX_REPORT_SIZE);

	/* the report key follows TARGETINFO's MEASUREMENT, ATTRIBUTES,
	 * MISCSELECT: a TARGETINFO that misstates b's attributes gives a
	 * report b cannot check */
	uint8_t ti2[SGX_TARGETINFO_SIZE];
	memcpy(ti2, ti_b, sizeof ti2);
	ti2[TI_ATTRIBUTES] ^= SGX_FLAGS_DEBUG;
	sgx_sim_ereport(&aes, &root, &a, ti2, rd, r2);
	CHECK(target_checks(&b, r2) == -1);
	memcpy(ti2, ti_b, sizeof ti2);
	ti2[TI_MISCSELECT] ^= 2;
	sgx_sim_ereport(&aes, &root, &a, ti2, rd, r2);
	CHECK(target_checks(&b, r2) == -1);
	/* another machine (root key) cannot check it */
	struct sgx_sim_root save = root;
	root.key[3] ^= 1;
	CHECK(target_checks(&b, r) == -1);
	root = save;

	/* REPORT_KEY ignores the request's other fields and the enclave's
	 * signer and SVNs (the SDM's REPORT row) */
	uint8_t kr[SGX_KEYREQUEST_SIZE], k1[16], k2[16];
	sgx_keyrequest_report(r, kr);
	CHECK(sgx_sim_egetkey(&aes, &root, &b, kr, k1) == 0);
	got = b; got.mrsigner[0] ^= 1; got.isvsvn++; got.isvprodid++;
	CHECK(sgx_sim_egetkey(&aes, &root, &got, kr, k2) == 0 && !memcmp(k1, k2, 16));
	sgx_put_le16(kr + KR_ISVSVN, 9);
	sgx_put_le32(kr + KR_MISCMASK, 0xff);
	CHECK(sgx_sim_egetkey(&aes, &root, &b, kr, k2) == 0 && !memcmp(k1, k2, 16));
	got = b; got.attr_xfrm ^= 0x10; /* all attributes, unmasked */
	CHECK(sgx_sim_egetkey(&aes, &root, &got, kr, k2) == 0 && memcmp(k1, k2, 16));
}

int main(void)
{
	aes = aes_openssl();
	setup();
	test_cmac_vectors();
	test_cmac_openssl();
	test_seal_inputs();
	test_kss_policy();
	test_errors();
	test_provision_keys();
	test_ereport();
	EVP_CIPHER_CTX_free(aes.ctx);
	return CHECK_DONE();
}
