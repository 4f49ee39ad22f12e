/* SPDX-License-Identifier: MIT */
/*
 * Invalidation: register-based invalidation (CCMD,
 * IOTLB/IVA) and the invalidation queue (IQA/IQH/IQT, 128- and 256-bit
 * descriptors, wait descriptors with status write and interrupt).
 *
 * Bounded work: one kick processes at most one queue's worth of
 * descriptors; a page-selective invalidation probes at most nbuckets/8
 * keys, else scans the IOTLB once (cache.c).
 */
#include "inval.h"
#include "fault.h"
#include "mem.h"
#include "nest.h"
#include "notify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Every invalidation runs under s->lock (MMIO, the queue, reset, state
 * restore), so the generation has one writer at a time: a release store,
 * not a locked add (a full barrier per queued descriptor).  A walk that
 * read the old value and inserts later is caught by the cache's own lock:
 * the invalidation bumps, then takes that lock to remove entries. */
static void bump_gen(struct vtd_iommu *s)
{
	uint64_t g = __atomic_load_n(&s->inval_gen, __ATOMIC_RELAXED);
	__atomic_store_n(&s->inval_gen, g + 1, __ATOMIC_RELEASE);
}

/* Drop context-cache slots: global (1), by domain (2) or by device (3,
 * with the function mask fm); a scalable-mode context entry has no domain
 * id, so there a domain-selective request covers every device. */
static void cc_inval(struct vtd_iommu *s, unsigned g, uint16_t did, uint16_t sid, unsigned fm)
{
	bump_gen(s);
	if (g == 1 || (g == 2 && s->root_scalable))
		vtd_cc_inval_all(&s->cc);
	else if (g == 2)
		vtd_cc_inval_domain(&s->cc, did);
	else if (g == 3)
		vtd_cc_inval_devices(&s->cc, sid, fm);
}

void vtd_cache_reset(struct vtd_iommu *s)
{
	cc_inval(s, 1, 0, 0, 0);
	vtd_ct_inval_all(&s->pasidc);
	vtd_iotlb_inval_all(&s->iotlb);
	/* SRTP or TE changed what every device sees */
	vtd_notify_sync(s, true, 0, 0, ~0ull);
	vtd_nest_follow_all(s);
}

void vtd_cache_reset_iec(struct vtd_iommu *s)
{
	bump_gen(s);
	vtd_ct_inval_all(&s->iec);
}

static void inval_iec(struct vtd_iommu *s, bool global, uint16_t index, unsigned im)
{
	if (global) {
		vtd_cache_reset_iec(s);
		vtd_iec_record(s, true, 0, 0);
		return;
	}
	bump_gen(s);
	uint32_t n = 1u << im, first = index & ~(n - 1);
	for (uint32_t i = 0; i < n && first + i < 65536; i++)
		vtd_ct_inval_key(&s->iec, 1ull << 63, first + i);
	vtd_iec_record(s, false, first, n);
}

/* ---- interrupt-remapping invalidation events (irq_inval) ------------------ */

#define IEC_ALL 65536u /* every index an interrupt can name (16-bit handle) */

void vtd_iec_record(struct vtd_iommu *s, bool global, uint32_t index, uint32_t count)
{
	struct vtd_iec_event *e = &s->iec_ev;
	if (!s->irq_inval)
		return;
	uint32_t lo = index, hi = index + count > IEC_ALL ? IEC_ALL : index + count;
	if (global || (lo == 0 && hi == IEC_ALL)) {
		e->global = true;
	} else if (!e->pending) {
		e->global = false;
		e->lo = lo;
		e->hi = hi;
	} else if (!e->global) {
		/* the hull of both: covers each, and more at worst */
		if (lo < e->lo)
			e->lo = lo;
		if (hi > e->hi)
			e->hi = hi;
		e->global = e->lo == 0 && e->hi == IEC_ALL;
	}
	e->pending = true;
}

bool vtd_iec_take(struct vtd_iommu *s, struct vtd_iec_event *ev)
{
	*ev = s->iec_ev;
	s->iec_ev.pending = false;
	return ev->pending;
}

void vtd_iec_deliver(struct vtd_iommu *s, const struct vtd_iec_event *ev)
{
	if (!ev->pending || !s->irq_inval)
		return;
	/* not marked as a callback: the VMM calls back on purpose */
	if (ev->global)
		s->irq_inval(s->event_opaque, true, 0, IEC_ALL);
	else
		s->irq_inval(s->event_opaque, false, ev->lo, ev->hi - ev->lo);
}

/* ---- IOTLB ------------------------------------------------------------------- */

/* Drop [addr, addr + 2^(12+am)) of a domain: with a PASID, the entries
 * tagged with it; without, every entry of the domain (a legacy-format
 * request also covers PASID-tagged entries, as QEMU does). */
static void iotlb_range(struct vtd_iommu *s, uint16_t did, bool tagged, uint32_t pasid,
			uint64_t addr, unsigned am)
{
	/* the queue's AM field reaches 63: a range that wide is everything */
	uint64_t len_m1 = 12 + am >= 64 ? ~0ull : (1ull << (12 + am)) - 1;
	uint64_t lo = addr & ~len_m1;
	vtd_iotlb_inval_range(&s->iotlb, did, tagged, pasid, lo, lo + len_m1);
}

unsigned vtd_inval_context(struct vtd_iommu *s, unsigned cirg, uint16_t did, uint16_t sid,
			   unsigned fm)
{
	if (cirg < 1 || cirg > 3)
		return 0;
	cc_inval(s, cirg, did, sid, fm);
	/* a device may have moved to another domain or table: resync */
	vtd_notify_sync(s, true, 0, 0, ~0ull);
	vtd_nest_follow_all(s);
	return cirg;
}

unsigned vtd_inval_iotlb(struct vtd_iommu *s, unsigned iirg, uint16_t did, uint64_t addr,
			 unsigned am, bool ih)
{
	/* IH is a hint for our own cache (we cache leaves only); it is passed
	 * on to the host as "leaf only" */
	switch (iirg) {
	case 1:
		bump_gen(s);
		vtd_iotlb_inval_all(&s->iotlb);
		vtd_notify_sync(s, true, 0, 0, ~0ull);
		vtd_nest_invalidate(s, true, 0, VTD_HOST_NO_PASID, 0, 0, false, true);
		return 1;
	case 2:
		bump_gen(s);
		vtd_iotlb_inval_domain(&s->iotlb, did);
		vtd_notify_sync(s, false, did, 0, ~0ull);
		vtd_nest_invalidate(s, false, did, VTD_HOST_NO_PASID, 0, 0, false, true);
		return 2;
	case 3: {
		if (!vtd_cap_psi(s->cap) || am > vtd_cap_mamv(s->cap))
			return 0;
		bump_gen(s);
		iotlb_range(s, did, false, 0, addr, am);
		uint64_t len = 1ull << (12 + am);
		uint64_t lo = addr & ~(len - 1);
		vtd_notify_sync(s, false, did, lo, lo + len - 1);
		vtd_nest_invalidate(s, false, did, VTD_HOST_NO_PASID, addr, am, ih, false);
		return 3;
	}
	default:
		return 0;
	}
}

static void inval_piotlb(struct vtd_iommu *s, unsigned g, uint16_t did, uint32_t pasid,
			 uint64_t addr, unsigned am, bool ih)
{
	bump_gen(s);
	if (g == 2) {
		vtd_iotlb_inval_range(&s->iotlb, did, true, pasid, 0, ~0ull);
		vtd_nest_invalidate(s, false, did, pasid, 0, 0, false, true);
	} else if (g == 3) {
		iotlb_range(s, did, true, pasid, addr, am);
		vtd_nest_invalidate(s, false, did, pasid, addr, am, ih, false);
	}
}

static bool match_pc_pasid(const struct vtd_ct_entry *e, const void *arg)
{
	return e->k1 == *(const uint32_t *)arg;
}

static void inval_pasid_cache(struct vtd_iommu *s, unsigned g, uint16_t did, uint32_t pasid)
{
	bump_gen(s);
	/* the fast path's decoded RID_PASID entries go with the PASID cache
	 * (whatever the granularity: they are few and cheap to refill) */
	vtd_cc_clear_fast(&s->cc);
	if (g == 0)
		vtd_ct_inval_domain(&s->pasidc, did, NULL, NULL);
	else if (g == 1)
		vtd_ct_inval_domain(&s->pasidc, did, match_pc_pasid, &pasid);
	else if (g == 3)
		vtd_ct_inval_all(&s->pasidc);
	/* the PASID entries of attached host devices may have changed, and
	 * so may the RID_PASID entries notifiers shadow */
	vtd_nest_follow_all(s);
	vtd_notify_sync(s, g == 3, did, 0, ~0ull);
}

/* ---- invalidation queue ---------------------------------------------------------- */

enum iqei {
	IQEI_NONE = 0, IQEI_TAIL = 1, IQEI_FETCH = 2, IQEI_TYPE = 3, IQEI_RSVD = 4,
	IQEI_WIDTH = 5, IQEI_ALIGN = 6, IQEI_TTM = 7,
};

static void iq_error(struct vtd_iommu *s, enum iqei why)
{
	uint32_t fsts = vtd_get_l(s, VTD_REG_FSTS);
	vtd_set_clear_l(s, VTD_REG_FSTS, VTD_FSTS_IQE, 0);
	vtd_set_clear_q(s, VTD_REG_IQERCD, (uint64_t)why, 0xf);
	vtd_fault_event(s, fsts);
}

static void completion_event(struct vtd_iommu *s)
{
	if (vtd_get_l(s, VTD_REG_ICS) & VTD_ICS_IWC)
		return;
	vtd_set_clear_l(s, VTD_REG_ICS, VTD_ICS_IWC, 0);
	vtd_csr_event(s, VTD_REG_IECTL);
}

/* A device-TLB invalidation to the device, with the size decoded from the
 * address (PCIe: S=1 means the lowest clear bit from 12 up gives the size). */
static void devtlb(struct vtd_iommu *s, uint16_t sid, bool pv, uint32_t pasid, bool global,
		   uint64_t addr, bool sbit)
{
	if (!s->events.devtlb_inval)
		return;
	struct vtd_devtlb_inval inv = { .sid = sid, .pasid_valid = pv, .pasid = pasid,
					.global = global, .addr = addr, .size = 4096 };
	if (sbit) {
		uint64_t ones = ~addr & ~0xfffull;
		if (!ones) {
			inv.addr = 0;
			inv.size = ~0ull; /* every bit set: the whole address space */
		} else {
			unsigned z = (unsigned)__builtin_ctzll(ones); /* lowest clear bit */
			inv.size = z >= 63 ? ~0ull : 1ull << (z + 1);
			inv.addr = inv.size == ~0ull ? 0 : addr & ~(inv.size - 1);
		}
	}
	VTD_CALLBACK(s, s->events.devtlb_inval(s->event_opaque, &inv));
}

/* Invalidation queue descriptor types (VT-d spec 6.5.2). */
enum vtd_desc_type {
	VTD_DESC_CC = 1,          /* 6.5.2.1 context-cache invalidate */
	VTD_DESC_IOTLB = 2,       /* 6.5.2.3 IOTLB invalidate */
	VTD_DESC_DEVTLB = 3,      /* 6.5.2.5 device-TLB invalidate */
	VTD_DESC_IEC = 4,         /* 6.5.2.7 interrupt entry cache invalidate */
	VTD_DESC_WAIT = 5,        /* 6.5.2.8 invalidation wait */
	VTD_DESC_PIOTLB = 6,      /* 6.5.2.4 PASID-based-IOTLB invalidate */
	VTD_DESC_PC = 7,          /* 6.5.2.2 PASID-cache invalidate */
	VTD_DESC_PDEVTLB = 8,     /* 6.5.2.6 PASID-based-device-TLB invalidate */
	VTD_DESC_PGRP_RESP = 9,   /* page group response (chapter 7) */
};

/* Reserved bits of each descriptor's first and second quadword (the
 * upper half of a 256-bit descriptor is reserved except where noted). */
#define CC_RSVD0      0xfffc00000000f1c0ull
#define IOTLB_RSVD0   0xffffffff0000f100ull
#define IOTLB_RSVD1   0x0000000000000f80ull
#define DEVTLB_RSVD0  0x000f0000ffe001f0ull
#define DEVTLB_RSVD1  0x0000000000000ffeull
#define IEC_RSVD0     0xffff000007fff1e0ull
#define WAIT_RSVD0    0x00000000fffff100ull   /* and PD (bit 7) without ECAP.PDS */
#define WAIT_RSVD1    0x0000000000000003ull
#define PIOTLB_RSVD0  0xfff000000000f1c0ull
#define PIOTLB_RSVD1  0x0000000000000f80ull
#define PC_RSVD0      0xfff000000000f1c0ull
#define PDEVTLB_RSVD1 0x00000000000007feull
#define PGRP_RSVD0    0xfff00000000001c0ull
#define PGRP_RSVD1    0xfffffffffffff003ull

/* Fields several descriptors share. */
static inline unsigned desc_g(const uint64_t *d) { return (d[0] >> 4) & 3; }
static inline uint16_t desc_did(const uint64_t *d) { return (uint16_t)(d[0] >> 16); }
static inline uint32_t desc_pasid(const uint64_t *d) { return (uint32_t)(d[0] >> 32) & 0xfffff; }
static inline unsigned desc_am(const uint64_t *d) { return (unsigned)(d[1] & 0x3f); }

/* A descriptor's type: bits 3:0, and 11:9 as bits 6:4. */
static inline unsigned desc_type(uint64_t d0)
{
	return (unsigned)((d0 & 0xf) | ((d0 >> 5) & 0x70));
}

static enum iqei desc_cc(struct vtd_iommu *s, const uint64_t d[4], bool hi_zero)
{
	if ((d[0] & CC_RSVD0) || d[1] || !hi_zero || !desc_g(d))
		return IQEI_RSVD;
	vtd_inval_context(s, desc_g(d), desc_did(d), (uint16_t)(d[0] >> 32), (d[0] >> 48) & 3);
	return IQEI_NONE;
}

static enum iqei desc_iotlb(struct vtd_iommu *s, const uint64_t d[4], bool hi_zero)
{
	if ((d[0] & IOTLB_RSVD0) || (d[1] & IOTLB_RSVD1) || !hi_zero)
		return IQEI_RSVD;
	/* IH (bit 6 of the address quadword) is passed on */
	if (!vtd_inval_iotlb(s, desc_g(d), desc_did(d), d[1] & ~0xfffull, desc_am(d), d[1] & 0x40))
		return IQEI_RSVD;
	return IQEI_NONE;
}

/* the device's ATC, through the callback */
static enum iqei desc_devtlb(struct vtd_iommu *s, const uint64_t d[4], bool hi_zero)
{
	if (!vtd_ecap_dt(s->ecap))
		return IQEI_TYPE;
	if ((d[0] & DEVTLB_RSVD0) || (d[1] & DEVTLB_RSVD1) || !hi_zero)
		return IQEI_RSVD;
	devtlb(s, (uint16_t)(d[0] >> 32), false, 0, false, d[1] & ~0xfffull, d[1] & 1);
	return IQEI_NONE;
}

static enum iqei desc_iec(struct vtd_iommu *s, const uint64_t d[4], bool hi_zero)
{
	if (!vtd_ecap_ir(s->ecap))
		return IQEI_TYPE;
	if ((d[0] & IEC_RSVD0) || d[1] || !hi_zero)
		return IQEI_RSVD;
	/* IM beyond ECAP.MHMV is an invalid request */
	unsigned im = (unsigned)((d[0] >> 27) & 0x1f);
	if (im > vtd_ecap_mhmv(s->ecap))
		return IQEI_RSVD;
	inval_iec(s, !((d[0] >> 4) & 1), (uint16_t)(d[0] >> 32), im);
	return IQEI_NONE;
}

static enum iqei desc_wait(struct vtd_iommu *s, const uint64_t d[4], bool hi_zero)
{
	uint64_t rsvd = WAIT_RSVD0 | (vtd_ecap_pds(s->ecap) ? 0 : 0x80ull);
	if ((d[0] & rsvd) || (d[1] & WAIT_RSVD1) || !hi_zero)
		return IQEI_RSVD;
	bool iflag = d[0] & 0x10, sw = d[0] & 0x20, fn = d[0] & 0x40;
	if (!iflag && !sw && !fn)
		return IQEI_RSVD;
	if (sw) {
		uint32_t data = (uint32_t)(d[0] >> 32);
		uint64_t addr = d[1] & ~3ull;
		/* a status write the guest aimed outside memory is its own
		 * loss; nothing else is affected */
		(void)vtd_mem_write(s, addr, &data, 4);
	}
	if (iflag)
		completion_event(s);
	return IQEI_NONE;
}

static enum iqei desc_piotlb(struct vtd_iommu *s, const uint64_t d[4])
{
	if (!s->iq_dw)
		return IQEI_TYPE;
	if ((d[0] & PIOTLB_RSVD0) || (d[1] & PIOTLB_RSVD1) || d[2] || d[3])
		return IQEI_RSVD;
	unsigned g = desc_g(d), am = desc_am(d);
	if (g < 2 || (g == 3 && am > vtd_cap_mamv(s->cap)))
		return IQEI_RSVD;
	inval_piotlb(s, g, desc_did(d), desc_pasid(d), d[1] & ~0xfffull, am, (d[1] >> 6) & 1);
	return IQEI_NONE;
}

static enum iqei desc_pc(struct vtd_iommu *s, const uint64_t d[4])
{
	if (!s->iq_dw)
		return IQEI_TYPE;
	if ((d[0] & PC_RSVD0) || d[1] || d[2] || d[3] || desc_g(d) == 2)
		return IQEI_RSVD;
	inval_pasid_cache(s, desc_g(d), desc_did(d), desc_pasid(d));
	return IQEI_NONE;
}

static enum iqei desc_pdevtlb(struct vtd_iommu *s, const uint64_t d[4])
{
	if (!s->iq_dw || !vtd_ecap_dt(s->ecap))
		return IQEI_TYPE;
	if ((d[1] & PDEVTLB_RSVD1) || d[2] || d[3])
		return IQEI_RSVD;
	devtlb(s, desc_did(d), true, desc_pasid(d), d[1] & 1, d[1] & ~0xfffull, (d[1] >> 11) & 1);
	return IQEI_NONE;
}

/* to the device, or to the host device's fault queue it came from */
static enum iqei desc_pgrp_resp(struct vtd_iommu *s, const uint64_t d[4], bool hi_zero)
{
	if (!vtd_ecap_prs(s->ecap))
		return IQEI_TYPE;
	if ((d[0] & PGRP_RSVD0) || (d[1] & PGRP_RSVD1) || !hi_zero)
		return IQEI_RSVD;
	uint16_t sid = desc_did(d), prgi = (uint16_t)((d[1] >> 3) & 0x1ff);
	uint32_t pasid = desc_pasid(d);
	bool pv = (d[0] >> 4) & 1;
	uint8_t code = (uint8_t)((d[0] >> 12) & 0xf);
	if (!vtd_nest_page_response(s, sid, pv, pasid, prgi, code) && s->events.page_response)
		VTD_CALLBACK(s, s->events.page_response(s->event_opaque, sid, pv, pasid, prgi, code));
	return IQEI_NONE;
}

/* One descriptor of type `type` (desc_type(d[0])); returns IQEI_NONE or
 * the error. */
static enum iqei run_desc(struct vtd_iommu *s, const uint64_t d[4], unsigned type)
{
	/* the upper half of a 256-bit descriptor is reserved for the types
	 * that have no use for it */
	bool hi_zero = !s->iq_dw || (!d[2] && !d[3]);
	switch ((enum vtd_desc_type)type) {
	case VTD_DESC_CC: return desc_cc(s, d, hi_zero);
	case VTD_DESC_IOTLB: return desc_iotlb(s, d, hi_zero);
	case VTD_DESC_DEVTLB: return desc_devtlb(s, d, hi_zero);
	case VTD_DESC_IEC: return desc_iec(s, d, hi_zero);
	case VTD_DESC_WAIT: return desc_wait(s, d, hi_zero);
	case VTD_DESC_PIOTLB: return desc_piotlb(s, d);
	case VTD_DESC_PC: return desc_pc(s, d);
	case VTD_DESC_PDEVTLB: return desc_pdevtlb(s, d);
	case VTD_DESC_PGRP_RESP: return desc_pgrp_resp(s, d, hi_zero);
	}
	return IQEI_TYPE;
}

/* Descriptors looked at ahead of the one that runs (see iq_prefetch), so
 * the IOTLB buckets they hit are in cache by then (the figures:
 * doc/performance.md, "Design choices measured"). */
#define IQ_LOOKAHEAD 8
/* ... and only for an IOTLB of at least this many buckets (512 KiB): a
 * smaller one stays in the caches, where looking ahead only costs. */
#define IQ_PREFETCH_MIN_BUCKETS 8192u

/* If the descriptor at slot idx is a page-selective IOTLB or PASID-based
 * IOTLB invalidation, start loading the IOTLB buckets it will touch.  Only
 * a hint: the descriptor is read again, and checked, when it runs.  Read
 * from the flat RAM only: a VMM's read callback is called once per
 * descriptor, as without the lookahead. */
static void iq_prefetch(struct vtd_iommu *s, uint32_t idx, unsigned shift)
{
	uint64_t gpa = s->iq + ((uint64_t)idx << shift), d[2];
	/* (qword by qword, as vtd_mem_read_desc reads it) */
	if ((gpa & 7) || !vtd_mem_in_ram(s, gpa, sizeof(d)))
		return;
	vtd_ram_load(d, s->ram + gpa, 2);
	unsigned type = desc_type(d[0]);
	if (desc_g(d) != 3)
		return;
	if (type == VTD_DESC_IOTLB)
		vtd_iotlb_prefetch(&s->iotlb, desc_did(d), false, 0, d[1] & ~0xfffull);
	else if (type == VTD_DESC_PIOTLB && s->iq_dw)
		vtd_iotlb_prefetch(&s->iotlb, desc_did(d), true, desc_pasid(d), d[1] & ~0xfffull);
}

void vtd_inval_kick(struct vtd_iommu *s)
{
	if (!s->qi_enabled || (vtd_get_l(s, VTD_REG_FSTS) & VTD_FSTS_IQE))
		return;
	uint64_t iqt = vtd_get_q(s, VTD_REG_IQT);
	unsigned shift = s->iq_dw ? 5 : 4;
	if (s->iq_dw && (iqt & 0x10)) {
		iq_error(s, IQEI_ALIGN);
		return;
	}
	uint32_t tail = (uint32_t)((iqt & 0x7fff0) >> shift);
	if (tail >= s->iq_size) {
		iq_error(s, IQEI_TAIL);
		return;
	}
	/* the queue holds a power of two of descriptors (IQA.QS; a restored
	 * state is checked for it): masks, not divisions */
	uint32_t wrap = s->iq_size - 1;
	/* the descriptors the lookahead may look at: the pending ones, or
	 * none when it does not pay (see IQ_PREFETCH_MIN_BUCKETS) */
	uint32_t ahead = s->ram && s->iotlb.nbuckets >= IQ_PREFETCH_MIN_BUCKETS
				 ? (tail - s->iq_head) & wrap : 0;
	for (uint32_t k = 1; k < IQ_LOOKAHEAD && k < ahead; k++)
		iq_prefetch(s, (s->iq_head + k) & wrap, shift);
	/* at most one lap of the queue per kick; IQH is written once, at
	 * the end: under s->lock no one reads it in between */
	uint32_t head = s->iq_head;
	for (uint32_t n = 0; head != tail && n < s->iq_size; n++) {
		if (n + IQ_LOOKAHEAD < ahead)
			iq_prefetch(s, (head + IQ_LOOKAHEAD) & wrap, shift);
		uint64_t d[4] = { 0 };
		uint64_t addr = s->iq + ((uint64_t)head << shift);
		if (vtd_mem_read_desc(s, addr, d, s->iq_dw)) {
			s->iq_head = head;
			iq_error(s, IQEI_FETCH);
			break;
		}
		unsigned type = desc_type(d[0]);
		enum iqei e = run_desc(s, d, type);
		if (e != IQEI_NONE) {
			/* IQH stays on the offending descriptor */
			s->iq_head = head;
			iq_error(s, e);
			break;
		}
		if (type < 16) /* processed descriptors, by type (one writer: s->lock) */
			__atomic_store_n(&s->inv_count[type], s->inv_count[type] + 1, __ATOMIC_RELAXED);
		head = (head + 1) & wrap;
		s->iq_head = head;
	}
	vtd_set_q(s, VTD_REG_IQH, (uint64_t)s->iq_head << shift);
}
