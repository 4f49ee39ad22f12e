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
	{ 0x01, false, "LRT.2", "root entry not present" },
	{ 0x02, true, "LCT.2", "context entry not present" },
	{ 0x03, true, "LCT.4", "invalid context entry (translation type or address width)" },
	{ 0x04, true, "LGN.1", "input address beyond the address width" },
	{ 0x05, true, "LGN.2", "write to a page without write permission" },
	{ 0x06, true, "LGN.3", "read from a page without read permission" },
	{ 0x07, true, "LSL.1", "error reading a second-stage paging entry" },
	{ 0x08, false, "LRT.1", "error reading the root entry" },
	{ 0x09, false, "LCT.1", "error reading the context entry" },
	{ 0x0a, false, "LRT.3", "reserved field set in the root entry" },
	{ 0x0b, false, "LCT.3", "reserved field set in the context entry" },
	{ 0x0c, true, "LSL.2", "reserved field set in a second-stage paging entry" },
	{ 0x0d, true, "LCT.5", "translation or translated request blocked by the translation type" },
	{ 0x0e, true, "LGN.4", "output address in the interrupt range" },
	/* interrupt remapping: FPD in the IRTE suppresses only what is found
	 * in a present entry */
	{ 0x20, false, "IR.0", "reserved field set in a remappable interrupt request" },
	{ 0x21, false, "IR.1", "interrupt index beyond the interrupt remapping table size" },
	{ 0x22, true, "IR.2", "interrupt remapping table entry not present" },
	{ 0x23, false, "IR.3", "error reading the interrupt remapping table" },
	{ 0x24, true, "IR.4", "reserved field set in a present IRTE (a posted one without CAP.PI)" },
	{ 0x25, false, "IR.5", "compatibility-format interrupt blocked" },
	{ 0x26, true, "IR.6", "source-id check failed (IRTE SVT/SQ/SID)" },
	{ 0x27, true, "IR.7", "error reading the posted-interrupt descriptor" },
	{ 0x28, true, "IR.8", "reserved field set in the posted-interrupt descriptor" },
	{ 0x29, false, "IR.9", "interrupt request with PASID" },
	{ 0x30, false, "RTA.1", "invalid root table address or translation table mode" },
	{ 0x31, false, "RTA.2", "request with PASID in legacy mode" },
	{ 0x38, false, "SRT.1", "error reading the scalable-mode root entry" },
	{ 0x39, false, "SRT.2", "scalable-mode root entry not present" },
	{ 0x3a, false, "SRT.3", "reserved field set in the scalable-mode root entry" },
	{ 0x40, false, "SCT.1", "error reading the scalable-mode context entry" },
	{ 0x41, true, "SCT.2", "scalable-mode context entry not present" },
	{ 0x42, false, "SCT.3", "reserved field set in the scalable-mode context entry" },
	{ 0x43, true, "SCT.4", "invalid scalable-mode context entry" },
	{ 0x44, true, "SCT.5", "translation or translated request with device-TLB disabled (DTE=0)" },
	{ 0x45, true, "SCT.6", "request with PASID while PASIDs are disabled (PASIDE=0)" },
	{ 0x46, true, "SCT.7", "PASID beyond the PASID directory size (PDTS)" },
	{ 0x47, true, "SCT.8", "page request with page requests disabled (PRE=0)" },
	{ 0x48, true, "SCT.9", "RID_PASID beyond the PASID directory size (PDTS)" },
	{ 0x50, false, "SPD.1", "error reading the PASID directory entry" },
	{ 0x51, true, "SPD.2", "PASID directory entry not present" },
	{ 0x52, false, "SPD.3", "reserved field set in the PASID directory entry" },
	{ 0x58, false, "SPT.1", "error reading the PASID table entry" },
	{ 0x59, true, "SPT.2", "PASID table entry not present" },
	{ 0x5a, false, "SPT.3", "reserved field set in the PASID table entry" },
	{ 0x5b, true, "SPT.4", "invalid PASID table entry (PGTT, address width or paging mode)" },
	{ 0x5c, true, "SPT.5", "execute request with execute requests disabled (ERE=0)" },
	{ 0x5d, true, "SPT.6", "supervisor request with supervisor requests disabled (SRE=0)" },
	{ 0x70, true, "SFL.1", "error reading a first-stage paging entry" },
	{ 0x71, true, "SFL.2", "first-stage paging entry not present" },
	{ 0x72, true, "SFL.3", "reserved field set in a first-stage paging entry" },
	{ 0x73, true, "SFL.4", "invalid first-stage table pointer (FSPTPTR)" },
	{ 0x74, true, "SFL.5", "nested: first-stage table address beyond the second stage's width" },
	{ 0x75, true, "SFL.6", "nested: no read permission on the first-stage root table" },
	{ 0x76, true, "SFL.7", "nested: no read permission on a first-stage paging entry" },
	{ 0x77, true, "SFL.8", "nested: no write permission to update a first-stage A/D flag" },
	{ 0x78, true, "SSL.1", "error reading a second-stage paging entry" },
	{ 0x79, true, "SSL.2", "second-stage paging entry not present (R=W=0)" },
	{ 0x7a, true, "SSL.3", "reserved field set in a second-stage paging entry" },
	{ 0x7b, true, "SSL.4", "invalid second-stage table pointer (SSPTPTR)" },
	{ 0x7c, true, "SSL.5", "second-stage accessed/dirty update needed on a non-snooped walk" },
	{ 0x7d, true, "SSL.6", "second-stage accessed/dirty flag update failed" },
	{ 0x80, true, "SGN.1", "input address not canonical" },
	{ 0x81, true, "SGN.2", "user request to a supervisor page" },
	{ 0x82, true, "SGN.3", "execute request to a page without execute permission" },
	{ 0x83, true, "SGN.4", "input address beyond the address width" },
	{ 0x84, true, "SGN.5", "input address beyond the second stage's width" },
	{ 0x85, true, "SGN.6", "write to a page without write permission" },
	{ 0x86, true, "SGN.7", "read from a page without read permission" },
	{ 0x87, true, "SGN.8", "output address in the interrupt range" },
	{ 0x90, true, "SFL.9", "first-stage accessed/dirty update needed on a non-snooped walk" },
	{ 0x91, true, "SFL.10", "first-stage accessed/dirty flag update failed" },
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
