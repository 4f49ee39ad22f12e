/* SPDX-License-Identifier: MIT */
/*
 * The register image: offsets and fields of the VT-d remapping unit's
 * registers under the spec's names (chapter 11, "Register Descriptions"),
 * the accessors every module reads and sets them with, and the one event
 * helper (set IP, unless IM send the MSI) that the fault, invalidation
 * completion and page request events share.  The bottom layer: it calls
 * nothing above it, so any module may use it without closing a circle.
 * Internal: the public view is vtd_iommu_mmio_read/write() (regs.c).
 */
#ifndef VTD_CSR_H
#define VTD_CSR_H

#include <vtd/iommu.h>

#include <string.h>

/* Register offsets are the public enum vtd_reg (vtd/iommu.h). */
#define VTD_REG_MTRRCAP   0x100
#define VTD_REG_MTRRDEF   0x108
#define VTD_NUM_FRCD      1
#define VTD_REG_END       (VTD_REG_FRCD + 16 * VTD_NUM_FRCD)
/* The window a VMM maps (one 4 KiB page, as on hardware and in QEMU's ACPI). */
#define VTD_MMIO_SIZE     0x1000

/* PASID width QEMU offers with x-pasid-mode (ECAP.PSS = 7: 8-bit PASIDs). */
#define VTD_PASID_BITS    8

/* GCMD / GSTS */
#define VTD_GCMD_TE       (1u << 31)
#define VTD_GCMD_SRTP     (1u << 30)
#define VTD_GCMD_SFL      (1u << 29)
#define VTD_GCMD_EAFL     (1u << 28)
#define VTD_GCMD_WBF      (1u << 27)
#define VTD_GCMD_QIE      (1u << 26)
#define VTD_GCMD_IRE      (1u << 25)
#define VTD_GCMD_SIRTP    (1u << 24)
#define VTD_GCMD_CFI      (1u << 23)
#define VTD_GSTS_TES      VTD_GCMD_TE
#define VTD_GSTS_RTPS     VTD_GCMD_SRTP
#define VTD_GSTS_FLS      VTD_GCMD_SFL
#define VTD_GSTS_AFLS     VTD_GCMD_EAFL
#define VTD_GSTS_WBFS     VTD_GCMD_WBF
#define VTD_GSTS_QIES     VTD_GCMD_QIE
#define VTD_GSTS_IRES     VTD_GCMD_IRE
#define VTD_GSTS_IRTPS    VTD_GCMD_SIRTP
#define VTD_GSTS_CFIS     VTD_GCMD_CFI

/* RTADDR */
#define VTD_RTADDR_TTM_SHIFT 10
#define VTD_RTADDR_SMT    (1ull << 10)

/* CCMD */
#define VTD_CCMD_ICC      (1ull << 63)
#define VTD_CCMD_CIRG_SHIFT 61
#define VTD_CCMD_CAIG_SHIFT 59
#define VTD_CCMD_FM_SHIFT 32

/* IOTLB / IVA */
#define VTD_IOTLB_IVT     (1ull << 63)
#define VTD_IOTLB_IIRG_SHIFT 60
#define VTD_IOTLB_IAIG_SHIFT 57
#define VTD_IOTLB_DID_SHIFT 32
#define VTD_IVA_IH        (1ull << 6)
#define VTD_IVA_AM_MASK   0x3full

/* FSTS */
#define VTD_FSTS_PFO      (1u << 0)
#define VTD_FSTS_PPF      (1u << 1)
#define VTD_FSTS_AFO      (1u << 2)
#define VTD_FSTS_APF      (1u << 3)
#define VTD_FSTS_IQE      (1u << 4)
#define VTD_FSTS_ICE      (1u << 5)
#define VTD_FSTS_ITE      (1u << 6)
#define VTD_FSTS_FRI_SHIFT 8

/* xECTL: FECTL, IECTL, PECTL */
#define VTD_ECTL_IM       (1u << 31)
#define VTD_ECTL_IP       (1u << 30)

/* IQA / ICS */
#define VTD_IQA_DW        (1ull << 11)
#define VTD_IQA_QS_MASK   0x7ull
#define VTD_ICS_IWC       (1u << 0)

/* IRTA */
#define VTD_IRTA_EIME     (1ull << 11)
#define VTD_IRTA_S_MASK   0xfull

/* PRS */
#define VTD_PRS_PPR       (1u << 0)
#define VTD_PRS_PRO       (1u << 1)

/* FRCD (upper 64 bits) */
#define VTD_FRCD_F        (1ull << 63)

struct vtd_iommu;

/* The image is little-endian, as the window is. */
uint32_t vtd_get_l(const struct vtd_iommu *s, unsigned off);
uint64_t vtd_get_q(const struct vtd_iommu *s, unsigned off);
void vtd_set_l(struct vtd_iommu *s, unsigned off, uint32_t v);
void vtd_set_q(struct vtd_iommu *s, unsigned off, uint64_t v);
void vtd_set_clear_l(struct vtd_iommu *s, unsigned off, uint32_t set, uint32_t clear);
void vtd_set_clear_q(struct vtd_iommu *s, unsigned off, uint64_t set, uint64_t clear);

/* One register of size bytes (1, 2, 4 or 8) at off in an image or mask
 * array (little-endian).  On a little-endian host a plain copy, which the
 * compiler turns into one load or store. */
static inline uint64_t vtd_csr_load(const uint8_t *a, unsigned off, unsigned size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (size == 8) {
		uint64_t v;
		memcpy(&v, a + off, 8);
		return v;
	}
	if (size == 4) {
		uint32_t w;
		memcpy(&w, a + off, 4);
		return w;
	}
	uint64_t v = 0;
	memcpy(&v, a + off, size);
	return v;
#else
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)a[off + i] << (8 * i);
	return v;
#endif
}

static inline void vtd_csr_store(uint8_t *a, unsigned off, unsigned size, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (size == 8) {
		memcpy(a + off, &v, 8);
	} else if (size == 4) {
		uint32_t w = (uint32_t)v;
		memcpy(a + off, &w, 4);
	} else {
		memcpy(a + off, &v, size);
	}
#else
	for (unsigned i = 0; i < size; i++)
		a[off + i] = (uint8_t)(v >> (8 * i));
#endif
}

/*
 * The three interrupt events share one register layout (spec 11.4.7.1
 * FECTL, 11.4.9.5 IECTL, 11.4.11.4 PECTL): the control register ctl, then
 * DATA at ctl + 4, ADDR at ctl + 8 and UADDR at ctl + 12.
 *
 * vtd_csr_event(): raise the event: set IP; unless IM masks it, send the
 * MSI and clear IP again.  A masked event stays pending (IP=1) until
 * software unmasks it (vtd_csr_unmask).
 * vtd_csr_unmask(): after a write of ctl: a pending, now unmasked event is
 * sent.
 */
void vtd_csr_event(struct vtd_iommu *s, unsigned ctl);
void vtd_csr_unmask(struct vtd_iommu *s, unsigned ctl);

#endif
