/* SPDX-License-Identifier: MIT */
/*
 * Primary fault logging: the fault-recording registers (FRCD) as a ring, the
 * fault status register and the fault event interrupt.  Bounded by
 * construction: a guest that floods faults fills the ring once, then only
 * sets FSTS.PFO; nothing grows and no work repeats per fault.
 */
#include "fault.h"

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
	vtd_csr_event(s, VTD_REG_FECTL);
}

bool vtd_fault_record(struct vtd_iommu *s, const struct vtd_fault_rec *f)
{
	uint32_t fsts = vtd_get_l(s, VTD_REG_FSTS);
	if (fsts & VTD_FSTS_PFO)
		return false;
	/* Fault compression, as QEMU: a source with an unread fault record does
	 * not get a second one. */
	for (unsigned i = 0; i < VTD_NUM_FRCD; i++) {
		uint64_t hi = vtd_get_q(s, VTD_REG_FRCD + 16 * i + 8);
		if ((hi & VTD_FRCD_F) && (uint16_t)hi == f->sid)
			return false;
	}
	unsigned idx = s->next_frcd % VTD_NUM_FRCD;
	unsigned off = VTD_REG_FRCD + 16 * idx;
	if (vtd_get_q(s, off + 8) & VTD_FRCD_F) {
		vtd_set_clear_l(s, VTD_REG_FSTS, VTD_FSTS_PFO, 0);
		vtd_fault_event(s, fsts);
		return false;
	}
	uint64_t lo = f->is_ir ? (f->addr & 0xffff) << 48 : f->addr & ~0xfffull;
	uint64_t hi = f->sid | ((uint64_t)f->reason << 32) | VTD_FRCD_F;
	if (!f->is_write)
		hi |= 1ull << 62;                       /* T1: read */
	if (f->pasid_valid)
		hi |= (1ull << 31) | ((uint64_t)(f->pasid & 0xfffff) << 40);
	/* PRIV means something only with PP=1 (spec 10.4.14): privilege
	 * travels in the PASID prefix, and a request without PASID is
	 * translated as a user request whatever the caller's flag says
	 * (found by the QEMU differential suite) */
	if (f->priv && f->pasid_valid)
		hi |= 1ull << 29;                       /* PRIV */
	if (f->exec)
		hi |= 1ull << 30;                       /* EXE */
	hi |= (uint64_t)(f->at & 3) << 60;
	vtd_set_q(s, off, lo);
	vtd_set_q(s, off + 8, hi);
	s->next_frcd = (idx + 1) % VTD_NUM_FRCD;
	if (fsts & VTD_FSTS_PPF) {
		vtd_fault_update_ppf(s);
		return true;
	}
	vtd_set_clear_l(s, VTD_REG_FSTS, (uint32_t)idx << VTD_FSTS_FRI_SHIFT,
			0xffu << VTD_FSTS_FRI_SHIFT);
	vtd_fault_update_ppf(s);
	vtd_fault_event(s, fsts);
	return true;
}

/* ---- DMA-remapping fault reasons ---------------------------------------- */

/*
 * Reason codes with the spec's condition names (legacy mode 1h-Eh,
 * scalable mode 30h-91h).  First- and second-stage conditions keep the
 * names Linux and VirtualBox print (SFL.x, SSL.x); spec rev 4 calls the
 * first-stage ones SFS.x.  "Qualified" faults are the ones a set FPD bit
 * suppresses: everything found after the entry holding FPD was read and
 * trusted; faults in reaching or validating that entry are never
 * suppressed.
 */
static const struct {
	uint8_t code;
	bool qualified;
	const char *name;
	const char *desc;
} reasons[] = {
	{ VTD_FR_LRT_2, false, "LRT.2", "root entry not present" },
	{ VTD_FR_LCT_2, true, "LCT.2", "context entry not present" },
	{ VTD_FR_LCT_4, true, "LCT.4", "invalid context entry (translation type or address width)" },
	{ VTD_FR_LGN_1, true, "LGN.1", "input address beyond the address width" },
	{ VTD_FR_LGN_2, true, "LGN.2", "write to a page without write permission" },
	{ VTD_FR_LGN_3, true, "LGN.3", "read from a page without read permission" },
	{ VTD_FR_LSL_1, true, "LSL.1", "error reading a second-stage paging entry" },
	{ VTD_FR_LRT_1, false, "LRT.1", "error reading the root entry" },
	{ VTD_FR_LCT_1, false, "LCT.1", "error reading the context entry" },
	{ VTD_FR_LRT_3, false, "LRT.3", "reserved field set in the root entry" },
	{ VTD_FR_LCT_3, false, "LCT.3", "reserved field set in the context entry" },
	{ VTD_FR_LSL_2, true, "LSL.2", "reserved field set in a second-stage paging entry" },
	{ VTD_FR_LCT_5, true, "LCT.5", "translation or translated request blocked by the translation type" },
	{ VTD_FR_LGN_4, true, "LGN.4", "output address in the interrupt range" },
	/* interrupt remapping: FPD in the IRTE suppresses only what is found
	 * in a present entry */
	{ VTD_FR_IR_0, false, "IR.0", "reserved field set in a remappable interrupt request" },
	{ VTD_FR_IR_1, false, "IR.1", "interrupt index beyond the interrupt remapping table size" },
	{ VTD_FR_IR_2, true, "IR.2", "interrupt remapping table entry not present" },
	{ VTD_FR_IR_3, false, "IR.3", "error reading the interrupt remapping table" },
	{ VTD_FR_IR_4, true, "IR.4", "reserved field set in a present IRTE (a posted one without CAP.PI)" },
	{ VTD_FR_IR_5, false, "IR.5", "compatibility-format interrupt blocked" },
	{ VTD_FR_IR_6, true, "IR.6", "source-id check failed (IRTE SVT/SQ/SID)" },
	{ VTD_FR_IR_7, true, "IR.7", "error reading the posted-interrupt descriptor" },
	{ VTD_FR_IR_8, true, "IR.8", "reserved field set in the posted-interrupt descriptor" },
	{ VTD_FR_IR_9, false, "IR.9", "interrupt request with PASID" },
	{ VTD_FR_RTA_1, false, "RTA.1", "invalid root table address or translation table mode" },
	{ VTD_FR_RTA_2, false, "RTA.2", "request with PASID in legacy mode" },
	{ VTD_FR_RTA_3, false, "RTA.3", "page request in legacy mode" },
	{ VTD_FR_SRT_1, false, "SRT.1", "error reading the scalable-mode root entry" },
	{ VTD_FR_SRT_2, false, "SRT.2", "scalable-mode root entry not present" },
	{ VTD_FR_SRT_3, false, "SRT.3", "reserved field set in the scalable-mode root entry" },
	{ VTD_FR_SCT_1, false, "SCT.1", "error reading the scalable-mode context entry" },
	{ VTD_FR_SCT_2, true, "SCT.2", "scalable-mode context entry not present" },
	{ VTD_FR_SCT_3, false, "SCT.3", "reserved field set in the scalable-mode context entry" },
	{ VTD_FR_SCT_4, true, "SCT.4", "invalid scalable-mode context entry" },
	{ VTD_FR_SCT_5, true, "SCT.5", "translation or translated request with device-TLB disabled (DTE=0)" },
	{ VTD_FR_SCT_6, true, "SCT.6", "request with PASID while PASIDs are disabled (PASIDE=0)" },
	{ VTD_FR_SCT_7, true, "SCT.7", "PASID beyond the PASID directory size (PDTS)" },
	{ VTD_FR_SCT_8, true, "SCT.8", "page request with page requests disabled (PRE=0)" },
	{ VTD_FR_SCT_9, true, "SCT.9", "RID_PASID beyond the PASID directory size (PDTS)" },
	{ VTD_FR_SPD_1, false, "SPD.1", "error reading the PASID directory entry" },
	{ VTD_FR_SPD_2, true, "SPD.2", "PASID directory entry not present" },
	{ VTD_FR_SPD_3, false, "SPD.3", "reserved field set in the PASID directory entry" },
	{ VTD_FR_SPT_1, false, "SPT.1", "error reading the PASID table entry" },
	{ VTD_FR_SPT_2, true, "SPT.2", "PASID table entry not present" },
	{ VTD_FR_SPT_3, false, "SPT.3", "reserved field set in the PASID table entry" },
	{ VTD_FR_SPT_4, true, "SPT.4", "invalid PASID table entry (PGTT, address width or paging mode)" },
	{ VTD_FR_SPT_5, true, "SPT.5", "execute request with execute requests disabled (ERE=0)" },
	{ VTD_FR_SPT_6, true, "SPT.6", "supervisor request with supervisor requests disabled (SRE=0)" },
	{ VTD_FR_SFL_1, true, "SFL.1", "error reading a first-stage paging entry" },
	{ VTD_FR_SFL_2, true, "SFL.2", "first-stage paging entry not present" },
	{ VTD_FR_SFL_3, true, "SFL.3", "reserved field set in a first-stage paging entry" },
	{ VTD_FR_SFL_4, true, "SFL.4", "invalid first-stage table pointer (FSPTPTR)" },
	{ VTD_FR_SFL_5, true, "SFL.5", "nested: first-stage table address beyond the second stage's width" },
	{ VTD_FR_SFL_6, true, "SFL.6", "nested: no read permission on the first-stage root table" },
	{ VTD_FR_SFL_7, true, "SFL.7", "nested: no read permission on a first-stage paging entry" },
	{ VTD_FR_SFL_8, true, "SFL.8", "nested: no write permission to update a first-stage A/D flag" },
	{ VTD_FR_SSL_1, true, "SSL.1", "error reading a second-stage paging entry" },
	{ VTD_FR_SSL_2, true, "SSL.2", "second-stage paging entry not present (R=W=0)" },
	{ VTD_FR_SSL_3, true, "SSL.3", "reserved field set in a second-stage paging entry" },
	{ VTD_FR_SSL_4, true, "SSL.4", "invalid second-stage table pointer (SSPTPTR)" },
	{ VTD_FR_SSL_5, true, "SSL.5", "second-stage accessed/dirty update needed on a non-snooped walk" },
	{ VTD_FR_SSL_6, true, "SSL.6", "second-stage accessed/dirty flag update failed" },
	{ VTD_FR_SGN_1, true, "SGN.1", "input address not canonical" },
	{ VTD_FR_SGN_2, true, "SGN.2", "user request to a supervisor page" },
	{ VTD_FR_SGN_3, true, "SGN.3", "execute request to a page without execute permission" },
	{ VTD_FR_SGN_4, true, "SGN.4", "input address beyond the address width" },
	{ VTD_FR_SGN_5, true, "SGN.5", "input address beyond the second stage's width" },
	{ VTD_FR_SGN_6, true, "SGN.6", "write to a page without write permission" },
	{ VTD_FR_SGN_7, true, "SGN.7", "read from a page without read permission" },
	{ VTD_FR_SGN_8, true, "SGN.8", "output address in the interrupt range" },
	{ VTD_FR_SFL_9, true, "SFL.9", "first-stage accessed/dirty update needed on a non-snooped walk" },
	{ VTD_FR_SFL_10, true, "SFL.10", "first-stage accessed/dirty flag update failed" },
};

static int reason_index(uint8_t code)
{
	for (size_t i = 0; i < VTD_ARRAY_SIZE(reasons); i++)
		if (reasons[i].code == code)
			return (int)i;
	return -1;
}

VTD_API const char *vtd_fault_name(uint8_t code)
{
	int i = reason_index(code);
	return i < 0 ? "unknown" : reasons[i].name;
}

VTD_API const char *vtd_fault_desc(uint8_t code)
{
	int i = reason_index(code);
	return i < 0 ? "unknown fault reason" : reasons[i].desc;
}

bool vtd_fault_qualified(uint8_t code)
{
	int i = reason_index(code);
	return i >= 0 && reasons[i].qualified;
}
