/* SPDX-License-Identifier: MIT */
/*
 * The register image's accessors and the interrupt-event helper (csr.h).
 * Every module that sets a status bit or raises an event calls these, and
 * they call nothing but the VMM's MSI callback: the bottom of the library's
 * layers.
 */
#include "viommu.h"

uint32_t vtd_get_l(const struct vtd_iommu *s, unsigned off)
{
	return (uint32_t)vtd_csr_load(s->csr, off, 4);
}

uint64_t vtd_get_q(const struct vtd_iommu *s, unsigned off)
{
	return vtd_csr_load(s->csr, off, 8);
}

void vtd_set_l(struct vtd_iommu *s, unsigned off, uint32_t v)
{
	vtd_csr_store(s->csr, off, 4, v);
}

void vtd_set_q(struct vtd_iommu *s, unsigned off, uint64_t v)
{
	vtd_csr_store(s->csr, off, 8, v);
}

void vtd_set_clear_l(struct vtd_iommu *s, unsigned off, uint32_t set, uint32_t clear)
{
	vtd_set_l(s, off, (vtd_get_l(s, off) & ~clear) | set);
}

void vtd_set_clear_q(struct vtd_iommu *s, unsigned off, uint64_t set, uint64_t clear)
{
	vtd_set_q(s, off, (vtd_get_q(s, off) & ~clear) | set);
}

/* The layout vtd_csr_event() relies on (csr.h). */
_Static_assert(VTD_REG_FEDATA == VTD_REG_FECTL + 4 && VTD_REG_FEADDR == VTD_REG_FECTL + 8 &&
		       VTD_REG_FEUADDR == VTD_REG_FECTL + 12,
	       "FECTL, FEDATA, FEADDR, FEUADDR");
_Static_assert(VTD_REG_IEDATA == VTD_REG_IECTL + 4 && VTD_REG_IEADDR == VTD_REG_IECTL + 8 &&
		       VTD_REG_IEUADDR == VTD_REG_IECTL + 12,
	       "IECTL, IEDATA, IEADDR, IEUADDR");
_Static_assert(VTD_REG_PEDATA == VTD_REG_PECTL + 4 && VTD_REG_PEADDR == VTD_REG_PECTL + 8 &&
		       VTD_REG_PEUADDR == VTD_REG_PECTL + 12,
	       "PECTL, PEDATA, PEADDR, PEUADDR");

/* The MSI programmed in the DATA, ADDR and UADDR registers after ctl
 * (UADDR holds bits 63:32 with x2APIC, ECAP.EIM; zero and read-only
 * otherwise). */
static void send_msi(struct vtd_iommu *s, unsigned ctl)
{
	uint64_t addr = vtd_get_l(s, ctl + 8) | ((uint64_t)vtd_get_l(s, ctl + 12) << 32);
	uint32_t data = vtd_get_l(s, ctl + 4);
	if (s->events.msi)
		VTD_CALLBACK(s, s->events.msi(s->event_opaque, addr, data));
}

void vtd_csr_event(struct vtd_iommu *s, unsigned ctl)
{
	vtd_set_clear_l(s, ctl, VTD_ECTL_IP, 0);
	if (vtd_get_l(s, ctl) & VTD_ECTL_IM)
		return;
	send_msi(s, ctl);
	vtd_set_clear_l(s, ctl, 0, VTD_ECTL_IP);
}

void vtd_csr_unmask(struct vtd_iommu *s, unsigned ctl)
{
	uint32_t v = vtd_get_l(s, ctl);
	if ((v & VTD_ECTL_IP) && !(v & VTD_ECTL_IM)) {
		vtd_set_clear_l(s, ctl, 0, VTD_ECTL_IP);
		send_msi(s, ctl);
	}
}
