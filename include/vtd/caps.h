/* SPDX-License-Identifier: MIT */
/*
 * libvtd: the Capability (CAP_REG) and Extended Capability (ECAP_REG)
 * registers, field by field, under the names of the Intel VT-d
 * specification (revision 5.0), and the values a configuration yields.
 *
 * Accessors are named vtd_cap_<field>() / vtd_ecap_<field>() with the spec's
 * field abbreviation in lower case (vtd_cap_fs1gp(), vtd_ecap_nest()); the
 * "vtd_" prefix keeps them from clashing with an embedder's own macros.
 */
#ifndef VTD_CAPS_H
#define VTD_CAPS_H

#include <vtd/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * X(NAME, name, hi, lo, "description") for every defined field.  Bits not
 * covered are reserved (or deprecated and reserved) in the current spec.
 */
#define VTD_CAP_FIELDS(X)                                                     \
	X(ND, nd, 2, 0, "Number of domains supported (2^(4+2*ND))")           \
	X(AFL, afl, 3, 3, "Advanced fault logging (removed in rev 4; kept to decode older units)")                           \
	X(RWBF, rwbf, 4, 4, "Required write-buffer flushing")                  \
	X(PLMR, plmr, 5, 5, "Protected low-memory region")                     \
	X(PHMR, phmr, 6, 6, "Protected high-memory region")                    \
	X(CM, cm, 7, 7, "Caching mode")                                       \
	X(SAGAW, sagaw, 12, 8, "Supported adjusted guest address widths")     \
	X(MGAW, mgaw, 21, 16, "Maximum guest address width (value+1 bits)")   \
	X(ZLR, zlr, 22, 22, "Zero length read")                               \
	X(FRO, fro, 33, 24, "Fault-recording register offset (x16 bytes)")    \
	X(SSLPS, sslps, 37, 34, "Second-stage large page support (2M, 1G)")   \
	X(PSI, psi, 39, 39, "Page-selective invalidation")                    \
	X(NFR, nfr, 47, 40, "Number of fault-recording registers (value+1)")  \
	X(MAMV, mamv, 53, 48, "Maximum address mask value")                   \
	X(DWD, dwd, 54, 54, "Write draining")                                 \
	X(DRD, drd, 55, 55, "Read draining")                                  \
	X(FS1GP, fs1gp, 56, 56, "First-stage 1-GByte page support")           \
	X(PI, pi, 59, 59, "Posted interrupts support")                        \
	X(FS5LP, fs5lp, 60, 60, "First-stage 5-level paging support")         \
	X(ECMDS, ecmds, 61, 61, "Enhanced command support")                   \
	X(ESIRTPS, esirtps, 62, 62, "Enhanced set interrupt remap table pointer support") \
	X(ESRTPS, esrtps, 63, 63, "Enhanced set root table pointer support")

#define VTD_ECAP_FIELDS(X)                                                    \
	X(C, c, 0, 0, "Page-walk coherency")                                  \
	X(QI, qi, 1, 1, "Queued invalidation support")                        \
	X(DT, dt, 2, 2, "Device-TLB support")                                 \
	X(IR, ir, 3, 3, "Interrupt remapping support")                        \
	X(EIM, eim, 4, 4, "Extended interrupt mode (x2APIC)")                 \
	X(PT, pt, 6, 6, "Pass through")                                       \
	X(SC, sc, 7, 7, "Snoop control")                                      \
	X(IRO, iro, 17, 8, "IOTLB register offset (x16 bytes)")               \
	X(MHMV, mhmv, 23, 20, "Maximum handle mask value")                    \
	X(MTS, mts, 25, 25, "Memory type support")                            \
	X(NEST, nest, 26, 26, "Nested translation support")                   \
	X(PRS, prs, 29, 29, "Page request support")                           \
	X(ERS, ers, 30, 30, "Execute request support")                        \
	X(SRS, srs, 31, 31, "Supervisor request support")                     \
	X(NWFS, nwfs, 33, 33, "No write flag support")                        \
	X(EAFS, eafs, 34, 34, "Extended accessed flag support")               \
	X(PSS, pss, 39, 35, "PASID size supported (value+1 bits)")            \
	X(PASID, pasid, 40, 40, "Process address space ID support")           \
	X(DIT, dit, 41, 41, "Device-TLB invalidation throttle")               \
	X(PDS, pds, 42, 42, "Page-request drain support")                     \
	X(SMTS, smts, 43, 43, "Scalable mode translation support")            \
	X(VCS, vcs, 44, 44, "Virtual command support")                        \
	X(SSADS, ssads, 45, 45, "Second-stage accessed/dirty support")        \
	X(SSTS, ssts, 46, 46, "Second-stage translation support")             \
	X(FSTS, fsts, 47, 47, "First-stage translation support")              \
	X(SMPWCS, smpwcs, 48, 48, "Scalable-mode page-walk coherency support")          \
	X(RPS, rps, 49, 49, "RID_PASID support")                              \
	X(PMS, pms, 51, 51, "Performance monitoring support")                 \
	X(ADMS, adms, 52, 52, "Abort DMA mode support")                       \
	X(RPRIVS, rprivs, 53, 53, "RID_PRIV support")                        \
	X(SMS, sms, 58, 58, "Stop marker support (page request queue)")

#define VTD_BITS_(v, hi, lo) \
	(((uint64_t)(v) >> (lo)) & (~UINT64_C(0) >> (63 - (hi) + (lo))))

#define VTD_DEFINE_ACCESSOR_(reg, NAME, name, hi, lo, desc)              \
	static inline uint64_t vtd_##reg##_##name(uint64_t v)            \
	{                                                                \
		return VTD_BITS_(v, hi, lo);                             \
	}
#define VTD_CAP_ACCESSOR_(N, n, h, l, d) VTD_DEFINE_ACCESSOR_(cap, N, n, h, l, d)
#define VTD_ECAP_ACCESSOR_(N, n, h, l, d) VTD_DEFINE_ACCESSOR_(ecap, N, n, h, l, d)
VTD_CAP_FIELDS(VTD_CAP_ACCESSOR_)
VTD_ECAP_FIELDS(VTD_ECAP_ACCESSOR_)
#undef VTD_CAP_ACCESSOR_
#undef VTD_ECAP_ACCESSOR_

/* Derived quantities, as a driver computes them. */
static inline unsigned vtd_cap_mgaw_bits(uint64_t cap) { return (unsigned)vtd_cap_mgaw(cap) + 1; }
static inline uint64_t vtd_cap_num_domains(uint64_t cap) { return UINT64_C(1) << (4 + 2 * (vtd_cap_nd(cap) & 7)); }
static inline unsigned vtd_cap_fault_offset(uint64_t cap) { return (unsigned)vtd_cap_fro(cap) * 16; }
static inline unsigned vtd_cap_num_fault_regs(uint64_t cap) { return (unsigned)vtd_cap_nfr(cap) + 1; }
static inline unsigned vtd_ecap_iotlb_offset(uint64_t ecap) { return (unsigned)vtd_ecap_iro(ecap) * 16; }
static inline unsigned vtd_ecap_pasid_bits(uint64_t ecap) { return (unsigned)vtd_ecap_pss(ecap) + 1; }

/* SAGAW bits: bit 1 = 3-level (39-bit), bit 2 = 4-level (48-bit), bit 3 = 5-level (57-bit). */
#define VTD_SAGAW_39 (1u << 1)
#define VTD_SAGAW_48 (1u << 2)
#define VTD_SAGAW_57 (1u << 3)

enum vtd_capreg { VTD_CAPREG_CAP = 0, VTD_CAPREG_ECAP = 1 };

struct vtd_field {
	const char *name;  /* spec abbreviation, e.g. "FS1GP" */
	uint8_t hi, lo;    /* bit range */
	const char *desc;
};

/* The defined fields of CAP or ECAP, in bit order; returns their number. */
VTD_API size_t vtd_caps_fields(enum vtd_capreg reg, const struct vtd_field **fields);
/* Bits that are reserved (or deprecated) in the current specification. */
VTD_API uint64_t vtd_caps_reserved(enum vtd_capreg reg);
/* Look a field up by spec name (case-insensitive); NULL if none. */
VTD_API const struct vtd_field *vtd_caps_field(enum vtd_capreg reg, const char *name);
static inline uint64_t vtd_field_get(const struct vtd_field *f, uint64_t v)
{
	return VTD_BITS_(v, f->hi, f->lo);
}

/* The register values a guest sees for a (validated) configuration,
 * derived bit for bit as QEMU derives them. */
VTD_API uint64_t vtd_caps_cap(const struct vtd_config *cfg);
VTD_API uint64_t vtd_caps_ecap(const struct vtd_config *cfg);
/* VER_REG: major in 7:4, minor in 3:0. */
VTD_API uint32_t vtd_caps_version(const struct vtd_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
