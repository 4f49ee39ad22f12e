/* SPDX-License-Identifier: MIT */
/*
 * Primary fault logging: the fault-recording registers (FRCD) as a ring, the
 * fault status register and the fault event interrupt.  Bounded by
 * construction: a guest that floods faults fills the ring once, then only
 * sets FSTS.PFO; nothing grows and no work repeats per fault.
 */
#include "viommu.h"

void vtd_fault_update_ppf(struct vtd_iommu *s)
{
	bool ppf = false;
	for (unsigned i = 0; i < VTD_NUM_FRCD; i++)
		if (vtd_get_q(s, VTD_REG_FRCD + 16 * i + 8) & VTD_FRCD_F)
			ppf = true;
	vtd_set_clear_l(s, VTD_REG_FSTS, ppf ? VTD_FSTS_PPF : 0, ppf ? 0 : VTD_FSTS_PPF);
}

void vtd_fault_event(struct vtd_iommu *s, uint32_t fsts_before)
{
	/* Only the first of a run of pending conditions interrupts; software
	 * learns of the rest when it reads FSTS. */
	if (fsts_before & (VTD_FSTS_PPF | VTD_FSTS_PFO | VTD_FSTS_IQE | VTD_FSTS_ICE |
			   VTD_FSTS_ITE))
		return;
	vtd_set_clear_l(s, VTD_REG_FECTL, VTD_ECTL_IP, 0);
	if (vtd_get_l(s, VTD_REG_FECTL) & VTD_ECTL_IM)
		return;
	vtd_regs_send_msi(s, VTD_REG_FEDATA, VTD_REG_FEADDR, VTD_REG_FEUADDR);
	vtd_set_clear_l(s, VTD_REG_FECTL, 0, VTD_ECTL_IP);
}

void vtd_fault_record(struct vtd_iommu *s, const struct vtd_fault_rec *f)
{
	uint32_t fsts = vtd_get_l(s, VTD_REG_FSTS);
	if (fsts & VTD_FSTS_PFO)
		return;
	/* Fault compression, as QEMU: a source with an unread fault record does
	 * not get a second one. */
	for (unsigned i = 0; i < VTD_NUM_FRCD; i++) {
		uint64_t hi = vtd_get_q(s, VTD_REG_FRCD + 16 * i + 8);
		if ((hi & VTD_FRCD_F) && (uint16_t)hi == f->sid)
			return;
	}
	unsigned idx = s->next_frcd % VTD_NUM_FRCD;
	unsigned off = VTD_REG_FRCD + 16 * idx;
	if (vtd_get_q(s, off + 8) & VTD_FRCD_F) {
		vtd_set_clear_l(s, VTD_REG_FSTS, VTD_FSTS_PFO, 0);
		vtd_fault_event(s, fsts);
		return;
	}
	uint64_t lo = f->is_ir ? (f->addr & 0xffff) << 48 : f->addr & ~0xfffull;
	uint64_t hi = f->sid | ((uint64_t)f->reason << 32) | VTD_FRCD_F;
	if (!f->is_write)
		hi |= 1ull << 62;                       /* T1: read */
	if (f->pasid_valid)
		hi |= (1ull << 31) | ((uint64_t)(f->pasid & 0xfffff) << 40);
	if (f->priv)
		hi |= 1ull << 29;                       /* PRIV */
	if (f->exec)
		hi |= 1ull << 30;                       /* EXE */
	hi |= (uint64_t)(f->at & 3) << 60;
	vtd_set_q(s, off, lo);
	vtd_set_q(s, off + 8, hi);
	s->next_frcd = (idx + 1) % VTD_NUM_FRCD;
	if (fsts & VTD_FSTS_PPF) {
		vtd_fault_update_ppf(s);
		return;
	}
	vtd_set_clear_l(s, VTD_REG_FSTS, (uint32_t)idx << VTD_FSTS_FRI_SHIFT,
			0xffu << VTD_FSTS_FRI_SHIFT);
	vtd_fault_update_ppf(s);
	vtd_fault_event(s, fsts);
}
