/*
 * sgxkeys.c - EREPORT and EGETKEY in software, for the sgx-sim platform,
 * following the pseudo-code of the SDM's instruction pages (volume 3D,
 * "EREPORT" and "EGETKEY"); and the REPORT helpers local attestation needs
 * on both sgx and sgx-sim.
 *
 * Every key is derivekey(TMP_KEYDEPENDENCIES) = AES-128-CMAC under the
 * simulated package key (struct sgx_sim_root) over the derivation data
 * (sgx.h, enum sgx_keydep_offset). Which fields go in, from where, and
 * where the masks apply is the SDM's, case by case below; so a key changes
 * exactly when hardware's would. The key bytes cannot equal hardware's: its
 * package key is fused and secret, and the packing of TMP_KEYDEPENDENCIES
 * is not architectural.
 *
 * The checks that address EPC pages (alignment, ELRANGE, EPCM) belong to
 * the simulator that traps ENCLU; these functions get the bytes already
 * copied in. Freestanding, no allocation; derivation data and keys are
 * wiped from the stack before return.
 */
#include "sgx.h"

#include "cstring.h"

const uint8_t sgx_pkcs1_5_padding[352] = {
	/* [15:0] = 0100H */
	0x00, 0x01,
	/* [2655:16]: 330 bytes of 0FFH */
	[2 ... 331] = 0xff,
	/* [2815:2656] = 2004000501020403650148866009060D30313000H, low byte first */
	0x00, 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
	0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};
_Static_assert(2 + 330 + 20 == 352, "HARDCODED_PKCS1_5_PADDING is 352 bytes");

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void put_attributes(uint8_t *p, uint64_t flags, uint64_t xfrm)
{
	sgx_put_le64(p, flags);
	sgx_put_le64(p + 8, xfrm);
}

/* derivekey(TMP_KEYDEPENDENCIES) */
static void derive(const struct sgx_aes128 *aes, const struct sgx_sim_root *root, uint8_t kd[SGX_KEYDEP_SIZE],
		   uint8_t key[16])
{
	sgx_cmac(aes, root->key, kd, SGX_KEYDEP_SIZE, key);
	sgx_wipe(kd, SGX_KEYDEP_SIZE);
}

/* The report key of the enclave that targetinfo names: EREPORT derives it
 * for the target, the target's EGETKEY(REPORT_KEY) for itself, from the
 * same fields. The padding differs in name only: EREPORT takes the
 * reporting enclave's SECS.PADDING, EGETKEY the hard-coded constant, and
 * EINIT makes them equal (sgx.h, struct sgx_enclave_identity). */
static void report_key(const struct sgx_aes128 *aes, const struct sgx_sim_root *root, const uint8_t mrenclave[32],
		       const uint8_t attributes[16], uint32_t miscselect, const uint8_t configid[64],
		       uint16_t configsvn, const uint8_t keyid[32], uint8_t key[16])
{
	uint8_t kd[SGX_KEYDEP_SIZE];

	memset(kd, 0, sizeof kd);
	sgx_put_le16(kd + KD_KEYNAME, SGX_KEYNAME_REPORT);
	/* ISVFAMILYID, ISVEXTPRODID, ISVPRODID, ISVSVN: 0 */
	memcpy(kd + KD_OWNEREPOCH, root->ownerepoch, 16);
	memcpy(kd + KD_ATTRIBUTES, attributes, 16);
	/* ATTRIBUTESMASK: 0 */
	memcpy(kd + KD_MRENCLAVE, mrenclave, 32);
	/* MRSIGNER: 0 */
	memcpy(kd + KD_KEYID, keyid, 32);
	memcpy(kd + KD_SEAL_KEY_FUSES, root->seal_fuses, 16);
	memcpy(kd + KD_CPUSVN, root->cpusvn, 16);
	memcpy(kd + KD_PADDING, sgx_pkcs1_5_padding, 352);
	sgx_put_le32(kd + KD_MISCSELECT, miscselect);
	/* MISCMASK, KEYPOLICY: 0 */
	memcpy(kd + KD_CONFIGID, configid, 64);
	sgx_put_le16(kd + KD_CONFIGSVN, configsvn);
	derive(aes, root, kd, key);
}

void sgx_sim_ereport(const struct sgx_aes128 *aes, const struct sgx_sim_root *root,
		     const struct sgx_enclave_identity *id, const uint8_t ti[SGX_TARGETINFO_SIZE],
		     const uint8_t reportdata[SGX_REPORTDATA_SIZE], uint8_t report[SGX_REPORT_SIZE])
{
	uint8_t r[SGX_REPORT_SIZE], key[16];

	/* the body, from the current SECS and the CPU */
	memset(r, 0, sizeof r);
	memcpy(r + RP_CPUSVN, root->cpusvn, 16);
	memcpy(r + RP_ISVFAMILYID, id->isvfamilyid, 16);
	memcpy(r + RP_ISVEXTPRODID, id->isvextprodid, 16);
	sgx_put_le16(r + RP_ISVPRODID, id->isvprodid);
	sgx_put_le16(r + RP_ISVSVN, id->isvsvn);
	put_attributes(r + RP_ATTRIBUTES, id->attr_flags, id->attr_xfrm);
	memcpy(r + RP_REPORTDATA, reportdata, SGX_REPORTDATA_SIZE);
	memcpy(r + RP_MRENCLAVE, id->mrenclave, 32);
	memcpy(r + RP_MRSIGNER, id->mrsigner, 32);
	memcpy(r + RP_KEYID, root->report_keyid, 32);
	sgx_put_le32(r + RP_MISCSELECT, id->miscselect);
	memcpy(r + RP_CONFIGID, id->configid, 64);
	sgx_put_le16(r + RP_CONFIGSVN, id->configsvn);

	/* the report key of the target, from TARGETINFO as given */
	report_key(aes, root, ti + TI_MEASUREMENT, ti + TI_ATTRIBUTES, sgx_le32(ti + TI_MISCSELECT),
		   ti + TI_CONFIGID, sgx_le16(ti + TI_CONFIGSVN), r + RP_KEYID, key);
	/* the MAC covers the body, not KEYID and MAC */
	sgx_cmac(aes, key, r, SGX_REPORT_BODY_SIZE, r + RP_MAC);
	sgx_wipe(key, sizeof key);
	memcpy(report, r, sizeof r);
}

/* "DS:RBX.CPUSVN is beyond current CPU configuration". CPUSVN is a vector
 * of component SVNs, one a byte; a request is beyond the CPU's when any
 * component is above the CPU's own. (Hardware's exact rule is not
 * architectural; software treats CPUSVN as opaque.) */
static bool cpusvn_beyond(const uint8_t req[16], const uint8_t cur[16])
{
	for (int i = 0; i < 16; i++)
		if (req[i] > cur[i])
			return true;
	return false;
}

int sgx_sim_egetkey(const struct sgx_aes128 *aes, const struct sgx_sim_root *root,
		    const struct sgx_enclave_identity *id, const uint8_t kr[SGX_KEYREQUEST_SIZE], uint8_t key[16])
{
	uint16_t keyname = sgx_le16(kr + KR_KEYNAME), policy = sgx_le16(kr + KR_KEYPOLICY);
	uint16_t isvsvn = sgx_le16(kr + KR_ISVSVN), configsvn = sgx_le16(kr + KR_CONFIGSVN);
	uint32_t miscmask = sgx_le32(kr + KR_MISCMASK);
	uint64_t mask_flags = sgx_le64(kr + KR_ATTRIBUTEMASK), mask_xfrm = sgx_le64(kr + KR_ATTRIBUTEMASK + 8);
	uint8_t kd[SGX_KEYDEP_SIZE];

	/* reserved fields and KEYPOLICY bits: #GP(0) */
	if (!all_zero(kr + 6, 2) || !all_zero(kr + 78, SGX_KEYREQUEST_SIZE - 78) || (policy & SGX_KEYPOLICY_RESERVED))
		return SGX_SIM_GP;
	/* CONFIGSVN and the new policy bits need KSS */
	if (!(id->attr_flags & SGX_FLAGS_KSS) && ((policy & SGX_KEYPOLICY_KSS_BITS) || configsvn > 0))
		return SGX_SIM_GP;

	/* INIT and DEBUG are always bound (REQUIRED_SEALING_MASK = 3) */
	uint64_t attr_flags = (mask_flags | SGX_FLAGS_INIT | SGX_FLAGS_DEBUG) & id->attr_flags;
	uint64_t attr_xfrm = mask_xfrm & id->attr_xfrm;
	uint32_t miscselect = miscmask & id->miscselect;

	memset(kd, 0, sizeof kd);
	switch (keyname) {
	case SGX_KEYNAME_REPORT: {
		uint8_t attributes[16];
		put_attributes(attributes, id->attr_flags, id->attr_xfrm);
		report_key(aes, root, id->mrenclave, attributes, id->miscselect, id->configid, id->configsvn,
			   kr + KR_KEYID, key);
		return 0;
	}
	case SGX_KEYNAME_SEAL:
	case SGX_KEYNAME_PROVISION_SEAL:
	case SGX_KEYNAME_PROVISION:
	case SGX_KEYNAME_EINITTOKEN:
		break;
	default:
		return SGX_INVALID_KEYNAME;
	}

	/* access control, then the SVN checks, in the SDM's order */
	if ((keyname == SGX_KEYNAME_PROVISION || keyname == SGX_KEYNAME_PROVISION_SEAL) &&
	    !(id->attr_flags & SGX_FLAGS_PROVISIONKEY))
		return SGX_INVALID_ATTRIBUTE;
	/* EINITTOKEN_KEY also needs MRSIGNER = IA32_SGXLEPUBKEYHASH, which a
	 * simulated machine has no launch enclave to set. */
	if (keyname == SGX_KEYNAME_EINITTOKEN && !(id->attr_flags & SGX_FLAGS_LAUNCHKEY))
		return SGX_INVALID_ATTRIBUTE;
	if (cpusvn_beyond(kr + KR_CPUSVN, root->cpusvn))
		return SGX_INVALID_CPUSVN;
	if (isvsvn > id->isvsvn)
		return SGX_INVALID_ISVSVN;
	if (keyname == SGX_KEYNAME_SEAL && configsvn > id->configsvn)
		return SGX_INVALID_ISVSVN;

	sgx_put_le16(kd + KD_KEYNAME, keyname);
	sgx_put_le16(kd + KD_ISVSVN, isvsvn);
	put_attributes(kd + KD_ATTRIBUTES, attr_flags, attr_xfrm);
	memcpy(kd + KD_CPUSVN, kr + KR_CPUSVN, 16);
	memcpy(kd + KD_PADDING, sgx_pkcs1_5_padding, 352);
	sgx_put_le32(kd + KD_MISCSELECT, miscselect);

	if (keyname == SGX_KEYNAME_EINITTOKEN) {
		sgx_put_le16(kd + KD_ISVPRODID, id->isvprodid);
		memcpy(kd + KD_OWNEREPOCH, root->ownerepoch, 16);
		/* ATTRIBUTESMASK, MRENCLAVE: 0 */
		memcpy(kd + KD_MRSIGNER, id->mrsigner, 32);
		memcpy(kd + KD_KEYID, kr + KR_KEYID, 32);
		memcpy(kd + KD_SEAL_KEY_FUSES, root->seal_fuses, 16);
		/* MISCMASK, KEYPOLICY, CONFIGID, CONFIGSVN: 0 */
	} else if (keyname == SGX_KEYNAME_PROVISION) {
		/* the provisioning key is the same after an owner change and
		 * for every owner's fuses: no OWNEREPOCH, no SEAL_KEY_FUSES,
		 * no KEYID; the policy bits play no part */
		sgx_put_le16(kd + KD_ISVPRODID, id->isvprodid);
		sgx_put_le64(kd + KD_ATTRIBUTESMASK, mask_flags);
		sgx_put_le64(kd + KD_ATTRIBUTESMASK + 8, mask_xfrm);
		memcpy(kd + KD_MRSIGNER, id->mrsigner, 32);
		sgx_put_le32(kd + KD_MISCMASK, ~miscmask);
	} else {
		/* SEAL_KEY and PROVISION_SEAL_KEY: the policy chooses */
		if (!(policy & SGX_KEYPOLICY_NOISVPRODID))
			sgx_put_le16(kd + KD_ISVPRODID, id->isvprodid);
		if (policy & SGX_KEYPOLICY_ISVFAMILYID)
			memcpy(kd + KD_ISVFAMILYID, id->isvfamilyid, 16);
		if (policy & SGX_KEYPOLICY_ISVEXTPRODID)
			memcpy(kd + KD_ISVEXTPRODID, id->isvextprodid, 16);
		if (policy & SGX_KEYPOLICY_CONFIGID) {
			memcpy(kd + KD_CONFIGID, id->configid, 64);
			sgx_put_le16(kd + KD_CONFIGSVN, configsvn);
		}
		sgx_put_le64(kd + KD_ATTRIBUTESMASK, mask_flags);
		sgx_put_le64(kd + KD_ATTRIBUTESMASK + 8, mask_xfrm);
		memcpy(kd + KD_SEAL_KEY_FUSES, root->seal_fuses, 16);
		sgx_put_le32(kd + KD_MISCMASK, ~miscmask);
		sgx_put_le16(kd + KD_KEYPOLICY, policy);
		if (keyname == SGX_KEYNAME_SEAL) {
			memcpy(kd + KD_OWNEREPOCH, root->ownerepoch, 16);
			if (policy & SGX_KEYPOLICY_MRENCLAVE)
				memcpy(kd + KD_MRENCLAVE, id->mrenclave, 32);
			if (policy & SGX_KEYPOLICY_MRSIGNER)
				memcpy(kd + KD_MRSIGNER, id->mrsigner, 32);
			memcpy(kd + KD_KEYID, kr + KR_KEYID, 32);
		} else {
			/* PROVISION_SEAL_KEY: MRSIGNER always, no MRENCLAVE,
			 * no OWNEREPOCH, no KEYID */
			memcpy(kd + KD_MRSIGNER, id->mrsigner, 32);
		}
	}
	derive(aes, root, kd, key);
	return 0;
}

/* ---- REPORT helpers ------------------------------------------------------- */

void sgx_report_identity(const uint8_t r[SGX_REPORT_SIZE], struct sgx_enclave_identity *id)
{
	memcpy(id->mrenclave, r + RP_MRENCLAVE, 32);
	memcpy(id->mrsigner, r + RP_MRSIGNER, 32);
	id->attr_flags = sgx_le64(r + RP_ATTRIBUTES);
	id->attr_xfrm = sgx_le64(r + RP_ATTRIBUTES + 8);
	id->miscselect = sgx_le32(r + RP_MISCSELECT);
	id->isvprodid = sgx_le16(r + RP_ISVPRODID);
	id->isvsvn = sgx_le16(r + RP_ISVSVN);
	id->configsvn = sgx_le16(r + RP_CONFIGSVN);
	memcpy(id->configid, r + RP_CONFIGID, 64);
	memcpy(id->isvfamilyid, r + RP_ISVFAMILYID, 16);
	memcpy(id->isvextprodid, r + RP_ISVEXTPRODID, 16);
}

void sgx_targetinfo_from_report(const uint8_t r[SGX_REPORT_SIZE], uint8_t ti[SGX_TARGETINFO_SIZE])
{
	memset(ti, 0, SGX_TARGETINFO_SIZE);
	memcpy(ti + TI_MEASUREMENT, r + RP_MRENCLAVE, 32);
	memcpy(ti + TI_ATTRIBUTES, r + RP_ATTRIBUTES, 16);
	memcpy(ti + TI_CONFIGSVN, r + RP_CONFIGSVN, 2);
	memcpy(ti + TI_MISCSELECT, r + RP_MISCSELECT, 4);
	memcpy(ti + TI_CONFIGID, r + RP_CONFIGID, 64);
}

void sgx_keyrequest_report(const uint8_t r[SGX_REPORT_SIZE], uint8_t kr[SGX_KEYREQUEST_SIZE])
{
	memset(kr, 0, SGX_KEYREQUEST_SIZE);
	sgx_put_le16(kr + KR_KEYNAME, SGX_KEYNAME_REPORT);
	memcpy(kr + KR_KEYID, r + RP_KEYID, 32);
}

int sgx_report_check_mac(const struct sgx_aes128 *aes, const uint8_t report_key[16],
			 const uint8_t r[SGX_REPORT_SIZE])
{
	uint8_t mac[16], diff = 0;

	sgx_cmac(aes, report_key, r, SGX_REPORT_BODY_SIZE, mac);
	for (int i = 0; i < 16; i++)
		diff |= mac[i] ^ r[RP_MAC + i];
	sgx_wipe(mac, sizeof mac);
	return diff ? -1 : 0;
}

/* ---- the root file ------------------------------------------------------------ */

const uint8_t sgx_sim_root_magic[8] = { 'C', 'S', 'G', 'X', 'S', 'I', 'M', 1 };

int sgx_sim_root_parse(const uint8_t *buf, size_t len, struct sgx_sim_root *r, const char **why)
{
	if (len != SGX_SIM_ROOT_FILE_SIZE) {
		*why = "the simulated root key file is not 72 bytes";
		return -1;
	}
	if (memcmp(buf, sgx_sim_root_magic, 8)) {
		*why = "the simulated root key file does not start with CSGXSIM\\1";
		return -1;
	}
	memset(r, 0, sizeof *r);
	memcpy(r->key, buf + 8, 16);
	memcpy(r->ownerepoch, buf + 24, 16);
	memcpy(r->seal_fuses, buf + 40, 16);
	memcpy(r->cpusvn, buf + 56, 16);
	return 0;
}

void sgx_sim_root_format(const struct sgx_sim_root *r, uint8_t out[SGX_SIM_ROOT_FILE_SIZE])
{
	memcpy(out, sgx_sim_root_magic, 8);
	memcpy(out + 8, r->key, 16);
	memcpy(out + 24, r->ownerepoch, 16);
	memcpy(out + 40, r->seal_fuses, 16);
	memcpy(out + 56, r->cpusvn, 16);
}
