/* SPDX-License-Identifier: MIT */
/*
 * Fault recording (fault.c): the fault-recording registers (FRCD), FSTS
 * and the fault event.  Callers hold s->lock.  Above csr only: whoever
 * detects a fault (translate, ir, prq, nest, inval) records it here.
 */
#ifndef VTD_FAULT_H
#define VTD_FAULT_H

#include "viommu.h"

struct vtd_fault_rec {
	uint16_t sid;
	uint8_t reason;
	bool is_write;        /* T (T1) = 0 for writes, 1 for reads */
	bool is_ir;           /* interrupt-remapping fault: FI holds the index */
	uint64_t addr;        /* fault info: page address, or IRT index */
	bool pasid_valid;
	uint32_t pasid;
	bool priv;
	bool exec;
	uint8_t at;           /* address type */
};
/* Record a fault in the FRCD registers and raise the fault event; returns
 * whether a record was written (not compressed or overflowed). */
bool vtd_fault_record(struct vtd_iommu *s, const struct vtd_fault_rec *f);
/* FSTS.PPF from the FRCD.F bits (after software cleared one). */
void vtd_fault_update_ppf(struct vtd_iommu *s);
/* Whether FPD=1 may suppress recording of this DMA fault reason. */
bool vtd_fault_qualified(uint8_t reason);
/* Raise the fault event (FECTL) unless one is already pending. */
void vtd_fault_event(struct vtd_iommu *s, uint32_t fsts_before);

#endif
