/* SPDX-License-Identifier: MIT */
/*
 * Interrupt remapping: MSI address/data decoding, the interrupt remapping
 * table (IRTE validation, source-id verification, xAPIC/x2APIC
 * destinations), the interrupt-entry cache, interrupt posting (x-pi: CAP.PI,
 * posted-format IRTEs and posted-interrupt descriptors) and the IR fault
 * reasons 20h-28h.  Without x-pi, CAP.PI=0 as in QEMU and a posted-format
 * IRTE is reserved.
 */
#include "fault.h"
#include "mem.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The public result grew into its tail padding (posted, notify, urgent):
 * what callers built against the first layout see must not move. */
#if UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(sizeof(struct vtd_irq) == 48, "vtd_irq size");
_Static_assert(offsetof(struct vtd_irq, fault_name) == 8 && offsetof(struct vtd_irq, index) == 18 &&
	       offsetof(struct vtd_irq, addr) == 24 && offsetof(struct vtd_irq, dest) == 36 &&
	       offsetof(struct vtd_irq, level) == 44, "vtd_irq: the old members stay put");
_Static_assert(offsetof(struct vtd_irq, posted) == 45 && offsetof(struct vtd_irq, urgent) == 47,
	       "vtd_irq: the new members live in the old tail padding");
#endif

static int ir_fail(struct vtd_iommu *s, struct vtd_irq *o, uint16_t sid,
		   enum vtd_fault_reason reason, uint16_t index, bool fpd)
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

/* The MSI a remapped or notification interrupt becomes: destination id
 * bits 7:0 in address 19:12, the rest (x2APIC) in the upper address
 * dword, as hardware and QEMU's KVM route do. */
static void encode_msi(struct vtd_irq *o)
{
	o->addr = 0xfee00000ull | ((uint64_t)(o->dest & 0xff) << 12) |
		  ((uint64_t)o->redir_hint << 3) | ((uint64_t)o->dest_logical << 2) |
		  ((uint64_t)(o->dest >> 8) << 40);
	o->data = o->vector | ((uint32_t)o->delivery_mode << 8) | (1u << 14) |
		  ((uint32_t)o->level << 15);
}

/* Posted-interrupt descriptor (64 bytes, the VT-x layout): PIR in bytes
 * 0-31, the control qword at 32, bytes 40-63 reserved. */
#define PID_CTRL 32
#define PID_ON (1ull << 0)
#define PID_SN (1ull << 1)
/* bits 15:2 and 31:24; in xAPIC mode NDST 7:0 and 31:16 too */
#define PID_RSVD 0xff00fffcull
#define PID_RSVD_XAPIC (PID_RSVD | 0xffff00ff00000000ull)

/*
 * Interrupt posting (VT-d spec 9.12 / "Interrupt-Posting Hardware
 * Operation") for a posted-format IRTE that passed its checks.  Hardware
 * owns the descriptor's cache line for the whole update; here the PIR bit
 * and the control word are two locked operations, in that order, which
 * the guest cannot tell apart: it clears ON and then swaps PIR words out,
 * so a bit set before ON is seen either way.
 */
static int post(struct vtd_iommu *s, struct vtd_irq *o, uint16_t sid, const uint64_t e[2],
		bool fpd)
{
	uint64_t pda = ((e[0] >> 38) << 6) | (e[1] & 0xffffffff00000000ull);
	uint8_t vv = (uint8_t)(e[0] >> 16);
	bool urg = (e[0] >> 14) & 1;
	bool eime = VTD_LOAD(s->intr_eime);
	uint64_t rsvd = eime ? PID_RSVD : PID_RSVD_XAPIC;
	/* Checked before anything is written: a malformed descriptor is left
	 * as it was.  Qword loads, not a 64-byte copy: the words are being
	 * updated atomically by other posters and by the guest. */
	uint64_t q[4];
	for (unsigned i = 0; i < 4; i++)
		if (vtd_mem_read64(s, pda + PID_CTRL + 8 * i, &q[i]))
			return ir_fail(s, o, sid, VTD_FR_IR_7, o->index, fpd);
	if ((q[0] & rsvd) || q[1] || q[2] || q[3])
		return ir_fail(s, o, sid, VTD_FR_IR_8, o->index, fpd);
	uint64_t word = pda + (vv / 64) * 8;
	int r = vtd_mem_or64(s, word, 0, 1ull << (vv % 64));
	/* -EBUSY (the VMM's compare-exchange lost VTD_MEM_CAS_TRIES times in
	 * a row: a guest rewriting the PIR word without pause) is reported as
	 * the descriptor access it is, rather than dropping the vector. */
	if (r)
		return ir_fail(s, o, sid, VTD_FR_IR_7, o->index, fpd);

	/* Set ON if it is clear and notification is wanted, deciding on the
	 * value the exchange replaces.  The control word is read again after
	 * the PIR update, in order: deciding "ON already set" on the value
	 * read before it could miss a guest that cleared ON and emptied PIR
	 * in between, and the vector would sit in PIR unannounced.  Each
	 * failed exchange means the guest (or another poster) changed the
	 * word; honest traffic ends in a try or two.  Past VTD_MEM_CAS_TRIES
	 * the vector stays posted in PIR and no notification is sent: only a
	 * guest flipping its own control word without pause gets there, and
	 * it only delays its own interrupt until its next notification. */
	uint64_t c;
	if (vtd_mem_load64_sc(s, pda + PID_CTRL, &c))
		return ir_fail(s, o, sid, VTD_FR_IR_7, o->index, fpd);
	bool notify = false;
	for (int i = 0; i < VTD_MEM_CAS_TRIES; i++) {
		if (c & rsvd) /* rewritten with reserved bits while we posted */
			return ir_fail(s, o, sid, VTD_FR_IR_8, o->index, fpd);
		if ((c & PID_ON) || ((c & PID_SN) && !urg))
			break;
		r = vtd_mem_cas64(s, pda + PID_CTRL, &c, c | PID_ON);
		if (!r) {
			notify = true;
			break;
		}
		if (r != -EAGAIN)
			return ir_fail(s, o, sid, VTD_FR_IR_7, o->index, fpd);
	}
	uint32_t ndst = (uint32_t)(c >> 32);
	o->remapped = true;
	o->posted = true;
	o->urgent = urg;
	o->notify = notify;
	o->vector = vv;
	/* the notification: NV to NDST, fixed, edge, physical */
	o->dest = eime ? ndst : (ndst >> 8) & 0xff;
	if (notify) {
		o->vector = (uint8_t)(c >> 16);
		encode_msi(o);
		o->vector = vv;
	}
	return 0;
}

VTD_API int vtd_iommu_remap_msi(struct vtd_iommu *s, uint16_t sid, uint64_t addr,
				uint32_t data, struct vtd_irq *o)
{
	if (!s || !o)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	/* from one of our locked callbacks (not irq_inval, which is unlocked
	 * and unmarked): a fault could not be recorded without deadlock */
	if (vtd_in_callback(s)) {
		o->blocked = true;
		return -EDEADLK;
	}
	if (!vtd_ecap_ir(s->ecap) || !VTD_LOAD(s->intr_enabled)) {
		decode_plain(o, addr, data);
		return 0;
	}
	if (!((addr >> 4) & 1)) {
		/* compatibility format: allowed only with CFI in xAPIC mode */
		if (VTD_LOAD(s->intr_eime) || !VTD_LOAD(s->cfi_enabled))
			return ir_fail(s, o, sid, VTD_FR_IR_5, 0, false);
		decode_plain(o, addr, data);
		return 0;
	}
	uint32_t handle = (uint32_t)(((addr >> 5) & 0x7fff) | (((addr >> 2) & 1) << 15));
	bool shv = (addr >> 3) & 1;
	uint32_t index = handle;
	if (shv) {
		if (data >> 16)
			return ir_fail(s, o, sid, VTD_FR_IR_0, (uint16_t)handle, false);
		index = handle + (data & 0xffff);
	}
	/* the upper address dword of a remappable request must be zero */
	if (addr >> 32)
		return ir_fail(s, o, sid, VTD_FR_IR_0, (uint16_t)handle, false);
	if (index >= VTD_LOAD(s->intr_size))
		return ir_fail(s, o, sid, VTD_FR_IR_1, (uint16_t)index, false);
	o->index = (uint16_t)index;

	/* Both IRTE formats go through the cache; a posted IRTE's descriptor
	 * never does (the guest rewrites it all the time). */
	uint64_t e[2];
	if (!vtd_ct_lookup(&s->iec, 1ull << 63, index, e, NULL)) {
		uint64_t gen0 = __atomic_load_n(&s->inval_gen, __ATOMIC_ACQUIRE);
		if (vtd_mem_read(s, VTD_LOAD(s->intr_root) + (uint64_t)index * 16, e, 16))
			return ir_fail(s, o, sid, VTD_FR_IR_3, (uint16_t)index, false);
		if (e[0] & 1)
			vtd_ct_insert(&s->iec, 1ull << 63, index, 0, 0, false, e, &s->inval_gen, gen0);
	}
	bool fpd = (e[0] >> 1) & 1;
	if (!(e[0] & 1))
		return ir_fail(s, o, sid, VTD_FR_IR_2, (uint16_t)index, fpd);
	bool eime = VTD_LOAD(s->intr_eime);
	bool posted = ((e[0] >> 15) & 1) && vtd_cap_pi(s->cap);
	uint64_t rsvd0, rsvd1;
	if (posted) {
		/* 7:2, 13:12, 37:24; qword 1: 31:20.  A descriptor address the
		 * host width cannot hold is a reserved (conditional) field too. */
		uint64_t pda = ((e[0] >> 38) << 6) | (e[1] & 0xffffffff00000000ull);
		rsvd0 = 0xfcull | 0x3000ull | 0x3fff000000ull;
		rsvd1 = 0xfff00000ull;
		if (pda & ~s->haw_mask)
			return ir_fail(s, o, sid, VTD_FR_IR_4, (uint16_t)index, fpd);
	} else {
		/* 14:12, IM (posted: only with CAP.PI), 31:24; in xAPIC mode the
		 * destination is 47:40 only; qword 1 above SVT */
		rsvd0 = 0x7000ull | 0x8000ull | 0xff000000ull |
			(eime ? 0 : 0xffff00ff00000000ull);
		rsvd1 = ~0xfffffull;
	}
	unsigned svt = (e[1] >> 18) & 3, sq = (e[1] >> 16) & 3;
	if ((e[0] & rsvd0) || (e[1] & rsvd1) || svt == 3)
		return ir_fail(s, o, sid, VTD_FR_IR_4, (uint16_t)index, fpd);
	uint16_t esid = (uint16_t)e[1];
	if (svt == 1) {
		static const uint16_t ignore[4] = { 0, 4, 6, 7 };
		uint16_t m = (uint16_t)~ignore[sq];
		if ((sid & m) != (esid & m))
			return ir_fail(s, o, sid, VTD_FR_IR_6, (uint16_t)index, fpd);
	} else if (svt == 2) {
		unsigned bus = sid >> 8, first = esid >> 8, last = esid & 0xff;
		if (bus < first || bus > last)
			return ir_fail(s, o, sid, VTD_FR_IR_6, (uint16_t)index, fpd);
	}
	if (posted)
		return post(s, o, sid, e, fpd);
	uint32_t dst = (uint32_t)(e[0] >> 32);
	o->remapped = true;
	o->dest = eime ? dst : (dst >> 8) & 0xff;
	o->dest_logical = (e[0] >> 2) & 1;
	o->redir_hint = (e[0] >> 3) & 1;
	o->level = (e[0] >> 4) & 1;
	o->delivery_mode = (e[0] >> 5) & 7;
	o->vector = (uint8_t)(e[0] >> 16);
	encode_msi(o);
	return 0;
}
