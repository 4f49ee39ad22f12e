/* SPDX-License-Identifier: MIT */
/*
 * libvtd: the ACPI DMAR table ("DMA Remapping Reporting", VT-d spec chapter
 * 8) firmware gives a guest for a vIOMMU, so a VMM need not lay it out
 * itself and the table always matches the unit the library models.
 *
 * Layout, as QEMU's q35 machine builds it (hw/i386/acpi-build.c,
 * build_dmar_q35): the header ("DMAR", revision 1, OEM "BOCHS "/"BXPC    ",
 * OEM revision 1, creator "BXPC" 1), host address width aw-bits - 1, flags
 * INTR_REMAP when interrupt remapping is on (never X2APIC_OPT_OUT); one
 * DRHD with the I/O APIC's device scope first; an RMRR per reserved region;
 * an ATSR for all root ports when device-iotlb=on; one SATC listing every
 * SoC-integrated device that asks for it.
 *
 * One difference by default: QEMU 10.0 clears the DRHD's INCLUDE_PCI_ALL
 * and lists a device scope for each endpoint and bridge on the root bus as
 * it is when the table is built.  libvtd sets INCLUDE_PCI_ALL, which is what
 * one DRHD per segment means and also covers devices hot-plugged later.
 * Give opts->devices to list scopes as QEMU does instead.
 */
#ifndef VTD_ACPI_H
#define VTD_ACPI_H

#include <vtd/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/* QEMU q35 facts. */
#define VTD_Q35_IOMMU_BASE 0xfed90000ull /* the register window */
#define VTD_Q35_IOAPIC_ID  0             /* enumeration id of the I/O APIC scope */
/*
 * ff:00.0: the requester id QEMU's q35 gives the I/O APIC in DMAR.  I/O APIC
 * interrupts carry no requester id of their own: a VMM remaps them with
 * vtd_iommu_remap_msi(sid = the I/O APIC scope's bus/dev/fn), this one
 * unless it wrote another into the table (opts->ioapic_sid), because the
 * guest programs source-id verification in the IRTEs from the table.
 */
#define VTD_Q35_IOAPIC_SID 0xff00

/* At most this many devices, RMRRs and SATC devices in one table. */
#define VTD_DMAR_MAX_ENTRIES 256

/* A reserved memory region (RMRR): [base, limit], base 4 KiB aligned and
 * limit + 1 too (limit ends in fff); has_dev: one endpoint scope, bdf. */
struct vtd_dmar_rmrr {
	uint64_t base, limit;
	bool has_dev;
	uint16_t bdf;
};

/* Options for vtd_acpi_dmar(); set .sz = sizeof(struct vtd_dmar_opts) so the
 * structure can grow (a newer caller's unknown fields must be zero). */
struct vtd_dmar_opts {
	size_t sz;
	uint64_t base;              /* register base, 4 KiB aligned; 0: VTD_Q35_IOMMU_BASE */
	uint16_t segment;           /* PCI segment of the DRHD, RMRRs, ATSR and SATC */
	uint8_t ioapic_id;          /* enumeration id of the I/O APIC scope */
	/* its scope's bus/dev/fn: the requester id a VMM passes to
	 * vtd_iommu_remap_msi() for I/O APIC interrupts, which carry none */
	uint16_t ioapic_sid;
	bool ioapic_sid_set;        /* false: VTD_Q35_IOAPIC_SID */
	/* ndevices > 0: a DRHD without INCLUDE_PCI_ALL listing these PCI
	 * endpoint scopes (bus/dev/fn), after the I/O APIC's, as QEMU lists
	 * the devices of its root bus; else INCLUDE_PCI_ALL */
	const uint16_t *devices;
	size_t ndevices;
	const struct vtd_dmar_rmrr *rmrr;
	size_t nrmrr;
	/* SATC endpoints (ATC not required); none: no SATC */
	const uint16_t *satc;
	size_t nsatc;
};

/*
 * Write the DMAR table for a configuration (NULL: QEMU's defaults) with
 * options (NULL: q35's, INCLUDE_PCI_ALL) into buf.  Returns the table's
 * length, complete in buf only when it is <= len (call with len 0 to ask),
 * or -EINVAL: an invalid configuration, base not 4 KiB aligned, more than
 * VTD_DMAR_MAX_ENTRIES devices, RMRRs or SATC devices, an RMRR not 4 KiB
 * aligned (base, limit + 1) or ending before it starts, a count without its
 * array, opts->sz too small; -E2BIG when opts has nonzero fields this
 * library does not know.  The checksum makes all bytes sum to 0.
 */
VTD_API long vtd_acpi_dmar(const struct vtd_config *cfg, const struct vtd_dmar_opts *opts,
			   void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
