/* SPDX-License-Identifier: MIT */
/*
 * Interrupt remapping: MSI address/data decoding, the interrupt remapping
 * table (IRTE validation, source-id verification, xAPIC/x2APIC
 * destinations), the interrupt-entry cache, and IR fault reasons 20h-26h.
 * Posted interrupts are not offered (CAP.PI=0, as in QEMU).
 */
#include "viommu.h"

#include <errno.h>
#include <string.h>

static int ir_fail(struct vtd_iommu *s, struct vtd_irq *o, uint16_t sid, uint8_t reason,
		   uint16_t index, bool fpd)
{
	o->blocked = true;
	o->fault = reason;
	o->fault_name = vtd_fault_name(reason);
	if (fpd && vtd_fault_qualified(reason))
		return -EACCES;
	struct vtd_fault_rec f = { .sid = sid, .reason = reason, .is_write = true, .is_ir = true,
				   .addr = index };
	pthread_mutex_lock(&s->lock);
	o->fault_recorded = vtd_fault_record(s, &f);
	pthread_mutex_unlock(&s->lock);
	return -EACCES;
}

/* Decode a compatibility-format (or passed-through) MSI for the caller. */
static void decode_plain(struct vtd_irq *o, uint64_t addr, uint32_t data)
{
	o->addr = addr;
	o->data = data;
	o->dest = (uint32_t)((addr >> 12) & 0xff);
	o->redir_hint = (addr >> 3) & 1;
	o->dest_logical = (addr >> 2) & 1;
	o->vector = (uint8_t)data;
	o->delivery_mode = (data >> 8) & 7;
	o->level = (data >> 15) & 1;
}

VTD_API int vtd_iommu_remap_msi(struct vtd_iommu *s, uint16_t sid, uint64_t addr,
				uint32_t data, struct vtd_irq *o)
{
	if (!s || !o)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	if (!vtd_ecap_ir(s->ecap) || !VTD_LOAD(s->intr_enabled)) {
		decode_plain(o, addr, data);
		return 0;
	}
	if (!((addr >> 4) & 1)) {
		/* compatibility format: allowed only with CFI in xAPIC mode */
		if (VTD_LOAD(s->intr_eime) || !VTD_LOAD(s->cfi_enabled))
			return ir_fail(s, o, sid, 0x25, 0, false);
		decode_plain(o, addr, data);
		return 0;
	}
	uint32_t handle = (uint32_t)(((addr >> 5) & 0x7fff) | (((addr >> 2) & 1) << 15));
	bool shv = (addr >> 3) & 1;
	uint32_t index = handle;
	if (shv) {
		if (data >> 16)
			return ir_fail(s, o, sid, 0x20, (uint16_t)handle, false);
		index = handle + (data & 0xffff);
	}
	/* the upper address dword of a remappable request must be zero */
	if (addr >> 32)
		return ir_fail(s, o, sid, 0x20, (uint16_t)handle, false);
	if (index >= VTD_LOAD(s->intr_size))
		return ir_fail(s, o, sid, 0x21, (uint16_t)index, false);
	o->index = (uint16_t)index;

	uint64_t e[2];
	if (!vtd_ct_lookup(&s->iec, 1ull << 63, index, e, NULL)) {
		uint64_t gen0 = __atomic_load_n(&s->inval_gen, __ATOMIC_ACQUIRE);
		if (vtd_mem_read(s, VTD_LOAD(s->intr_root) + (uint64_t)index * 16, e, 16))
			return ir_fail(s, o, sid, 0x23, (uint16_t)index, false);
		if (e[0] & 1)
			vtd_ct_insert(&s->iec, 1ull << 63, index, 0, 0, false, e, &s->inval_gen, gen0);
	}
	bool fpd = (e[0] >> 1) & 1;
	if (!(e[0] & 1))
		return ir_fail(s, o, sid, 0x22, (uint16_t)index, fpd);
	bool eime = VTD_LOAD(s->intr_eime);
	/* reserved: 14:12, IM (posted: no CAP.PI), 31:24; in xAPIC mode the
	 * destination is 47:40 only; qword 1 above SVT; SVT=3 */
	uint64_t rsvd0 = 0x7000ull | 0x8000ull | 0xff000000ull |
			 (eime ? 0 : 0xffff00ff00000000ull);
	unsigned svt = (e[1] >> 18) & 3, sq = (e[1] >> 16) & 3;
	if ((e[0] & rsvd0) || (e[1] & ~0xfffffull) || svt == 3)
		return ir_fail(s, o, sid, 0x24, (uint16_t)index, fpd);
	uint16_t esid = (uint16_t)e[1];
	if (svt == 1) {
		static const uint16_t ignore[4] = { 0, 4, 6, 7 };
		uint16_t m = (uint16_t)~ignore[sq];
		if ((sid & m) != (esid & m))
			return ir_fail(s, o, sid, 0x26, (uint16_t)index, fpd);
	} else if (svt == 2) {
		unsigned bus = sid >> 8, first = esid >> 8, last = esid & 0xff;
		if (bus < first || bus > last)
			return ir_fail(s, o, sid, 0x26, (uint16_t)index, fpd);
	}
	uint32_t dst = (uint32_t)(e[0] >> 32);
	o->remapped = true;
	o->dest = eime ? dst : (dst >> 8) & 0xff;
	o->dest_logical = (e[0] >> 2) & 1;
	o->redir_hint = (e[0] >> 3) & 1;
	o->level = (e[0] >> 4) & 1;
	o->delivery_mode = (e[0] >> 5) & 7;
	o->vector = (uint8_t)(e[0] >> 16);
	/* the MSI to deliver: destination id bits 7:0 in address 19:12, the
	 * rest (x2APIC) in the upper address dword, as hardware and QEMU's
	 * KVM route do */
	o->addr = 0xfee00000ull | ((uint64_t)(o->dest & 0xff) << 12) |
		  ((uint64_t)o->redir_hint << 3) | ((uint64_t)o->dest_logical << 2) |
		  ((uint64_t)(o->dest >> 8) << 40);
	o->data = o->vector | ((uint32_t)o->delivery_mode << 8) | (1u << 14) |
		  ((uint32_t)o->level << 15);
	return 0;
}
