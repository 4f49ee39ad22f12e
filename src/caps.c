/* SPDX-License-Identifier: MIT */
/*
 * CAP/ECAP: field tables for decoding, and the values a configuration gives
 * the guest.  The derivation mirrors QEMU's vtd_cap_init() so that a guest
 * sees the same bits under libvtd as under QEMU with the same properties.
 */
#include "internal.h"
#include "csr.h"

#include <strings.h>

#define ROW(N, n, h, l, d) { #N, h, l, d },
static const struct vtd_field cap_fields[] = { VTD_CAP_FIELDS(ROW) };
static const struct vtd_field ecap_fields[] = { VTD_ECAP_FIELDS(ROW) };
#undef ROW

VTD_API size_t vtd_caps_fields(enum vtd_capreg reg, const struct vtd_field **fields)
{
	if (reg == VTD_CAPREG_ECAP) {
		if (fields)
			*fields = ecap_fields;
		return VTD_ARRAY_SIZE(ecap_fields);
	}
	if (fields)
		*fields = cap_fields;
	return VTD_ARRAY_SIZE(cap_fields);
}

VTD_API uint64_t vtd_caps_reserved(enum vtd_capreg reg)
{
	const struct vtd_field *f;
	size_t n = vtd_caps_fields(reg, &f);
	uint64_t defined = 0;
	for (size_t i = 0; i < n; i++)
		defined |= (~UINT64_C(0) >> (63 - f[i].hi + f[i].lo)) << f[i].lo;
	return ~defined;
}

VTD_API const struct vtd_field *vtd_caps_field(enum vtd_capreg reg, const char *name)
{
	const struct vtd_field *f;
	size_t n = vtd_caps_fields(reg, &f);
	for (size_t i = 0; name && i < n; i++)
		if (!strcasecmp(f[i].name, name))
			return &f[i];
	return NULL;
}

#define F(v, lo) ((uint64_t)(v) << (lo))

VTD_API uint64_t vtd_caps_cap(const struct vtd_config *cfg)
{
	/* Fixed part: 16-bit domain ids (ND=6), one fault-recording register
	 * at FRCD_REG, 2M+1G second-stage pages, page-selective invalidation
	 * with a mask of up to 2^18 pages. */
	uint64_t cap = F(6, 0) | F(VTD_REG_FRCD / 16, 24) | F(VTD_NUM_FRCD - 1, 40) |
		       F(18, 48) | F(1, 39) | F(3, 34) | F(cfg->aw_bits - 1u, 16);
	if (cfg->dma_drain)
		cap |= F(1, 54) | F(1, 55);
	if (cfg->dma_translation) {
		if (cfg->aw_bits >= 39)
			cap |= F(VTD_SAGAW_39, 8);
		if (cfg->aw_bits >= 48)
			cap |= F(VTD_SAGAW_48, 8);
	}
	if (cfg->caching_mode)
		cap |= F(1, 7);
	if ((cfg->flts || cfg->nest) && cfg->fs1gp)
		cap |= F(1, 56);
	/* x-fs5lp (libvtd): first-stage inputs of 57 bits (FSPM=01b) */
	if ((cfg->flts || cfg->nest) && cfg->fs5lp)
		cap |= F(1, 60);
	/* x-pi (libvtd): interrupt posting, only on top of remapping */
	if (cfg->pi && cfg->intremap == VTD_ON)
		cap |= F(1, 59);
	/* ESRTPS: QEMU drops every cache on SRTP, which is what the bit
	 * promises; set unconditionally since QEMU 10.2. */
	cap |= F(1, 63);
	return cap;
}

VTD_API uint64_t vtd_caps_ecap(const struct vtd_config *cfg)
{
	uint64_t ecap = F(1, 1) /* QI */ | F(VTD_REG_IVA / 16, 8);
	if (cfg->intremap == VTD_ON) {
		ecap |= F(1, 3) | F(15, 20); /* IR, MHMV */
		if (cfg->eim == VTD_ON)
			ecap |= F(1, 4);
	}
	if (cfg->device_iotlb)
		ecap |= F(1, 2);
	if (cfg->pt)
		ecap |= F(1, 6);
	/* QEMU offers one stage at a time: the first stage alone with x-flts
	 * (no SRS then), otherwise the second stage with supervisor requests. */
	if (cfg->scalable_mode) {
		if (cfg->flts)
			ecap |= F(1, 43) | F(1, 47);              /* SMTS, FSTS */
		else
			ecap |= F(1, 43) | F(1, 31) | F(1, 46);   /* SMTS, SRS, SSTS */
	}
	/* x-nest (libvtd): both stages, nesting, supervisor requests */
	if (cfg->scalable_mode && cfg->nest)
		ecap |= F(1, 43) | F(1, 46) | F(1, 47) | F(1, 26) | F(1, 31);
	if (cfg->snoop_control)
		ecap |= F(1, 7);
	if (cfg->pasid)
		ecap |= F(1, 40) | F(VTD_PASID_BITS - 1, 35);
	if (cfg->svm)
		ecap |= F(1, 29) | F(1, 42) | F(1, 33);   /* PRS, PDS, NWFS */
	if (cfg->ers)
		ecap |= F(1, 30);                          /* ERS (libvtd) */
	if (cfg->smpwc)
		ecap |= F(1, 48);                          /* SMPWC (libvtd) */
	if (cfg->ssads)
		ecap |= F(1, 45);                          /* SLADS (libvtd) */
	return ecap;
}

VTD_API uint32_t vtd_caps_version(const struct vtd_config *cfg)
{
	(void)cfg;
	return 0x10; /* 1.0, as QEMU reports */
}
