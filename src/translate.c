/* SPDX-License-Identifier: MIT */
/*
 * DMA translation: from a request (source id, PASID, address, access) to an
 * output address or the exact fault, as the VT-d specification defines it
 * for legacy mode (root/context/second stage) and scalable mode
 * (root/context/PASID directory/PASID table, then first stage, second
 * stage, nested or pass-through).
 *
 * Bounded work: at most 1 root + 1 context + 1 PASID directory + 1 PASID
 * table entry, and for the widest walk (5-level first stage nested over a
 * 4-level second stage) 5 x (4 + 1) + 4 = 29 paging-entry reads.  Every
 * entry a guest wrote is checked before it is used.
 */
#include "cache.h"
#include "fault.h"
#include "mem.h"
#include "tables.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* What the fast path learnt of the IOTLB before it handed a request on:
 * nothing, that it has no entry, or that its entry does not allow the
 * request (rights, a dirty flag to set, an output in the interrupt range). */
enum probed { NOT_PROBED, PROBED_MISS, PROBED_FOUND };

struct xl {
	struct vtd_decode d;   /* the tables' decode: iommu, trace, FPD, generation */
	const struct vtd_dma_request *req;
	struct vtd_translation *res;
	bool ssad;             /* PASID-entry SSADE: second-stage A/D flags */
	bool nosnoop;          /* ECAP.SMPWC with PWSNP=0: walks do not snoop,
				* so no accessed/dirty update can be made */
	bool ss_dirty;         /* the last second-stage walk's leaf has D set */
	uint16_t did;
	unsigned probed;       /* enum probed: the fast path looked in the IOTLB */
};

#define trace(xp, ...) VTD_TRACE((xp)->d.t, __VA_ARGS__)

/* A fault: remember the reason; recording happens once, at the end. */
static int fail(struct xl *x, enum vtd_fault_reason reason)
{
	x->res->status = VTD_XLATE_FAULT;
	x->res->fault = reason;
	x->res->fault_name = vtd_fault_name(reason);
	trace(x, "fault", 0, NULL, 0, "fault 0x%02x %s: %s", reason, vtd_fault_name(reason),
	      vtd_fault_desc(reason));
	return -EACCES;
}

/* IOTLB entry flags (v[1]) */
#define F_FS    1u   /* first-stage rights below apply */
#define F_US    2u   /* user access allowed at every level */
#define F_RW    4u   /* write allowed at every level */
#define F_WPE   8u   /* supervisor writes obey R/W */
#define F_DIRTY 16u  /* the leaf's dirty flag is set (both stages' with SSADE) */
#define F_SSAD  2u   /* second-stage entry (no F_FS): SSADE, F_DIRTY says D */

/* The IOTLB key of a request: vtd_iotlb_k0()'s domain, PASID tag and PASID. */
static inline bool iotlb_get(struct vtd_iommu *s, uint64_t k0, uint64_t addr, uint64_t v[2],
			     unsigned *order)
{
	struct vtd_iotlb_val r;
	if (!vtd_iotlb_lookup(&s->iotlb, (uint16_t)k0, (k0 >> 40) & 1, (uint32_t)(k0 >> 16) & 0xfffff,
			      addr, &r))
		return false;
	v[0] = r.v0;
	v[1] = r.v1;
	*order = r.order;
	return true;
}

/* Does a cached translation allow this request?  If not, the walk runs
 * again and finds the exact fault (or sets a dirty flag). */
static inline bool iotlb_allows(const struct vtd_dma_request *rq, bool priv, uint64_t v0, uint64_t v1,
			 unsigned *perm)
{
	unsigned want = rq->perm & (VTD_PERM_R | VTD_PERM_W);
	unsigned ss = (unsigned)(v0 & 3);
	if (!(v1 & F_FS)) {
		*perm = ss;
		/* a write must set a clear dirty flag: walk again */
		if ((want & VTD_PERM_W) && (v1 & F_SSAD) && !(v1 & F_DIRTY))
			return false;
		return !(want & ~ss);
	}
	if (!priv && !(v1 & F_US))
		return false;
	bool w = ((v1 & F_RW) || (priv && !(v1 & F_WPE))) && (ss & VTD_PERM_W);
	if ((want & VTD_PERM_W) && (!w || !(v1 & F_DIRTY)))
		return false;
	if ((want & VTD_PERM_R) && !(ss & VTD_PERM_R))
		return false;
	*perm = (ss & VTD_PERM_R) | (w ? VTD_PERM_W : 0);
	return true;
}

/* Can a cached translation (v0, v1, 2^(12+order) bytes) serve this
 * request?  If so, the output address, page size and rights; if not
 * (rights, a dirty flag to set, an output in the interrupt range, which
 * is checked per address) the walk runs and finds what to do. */
static inline bool iotlb_use(const struct vtd_dma_request *rq, bool priv, uint64_t v0, uint64_t v1,
			     unsigned order, uint64_t *out, uint64_t *size, unsigned *perm)
{
	if (!iotlb_allows(rq, priv, v0, v1, perm))
		return false;
	*size = 1ull << (12 + order);
	*out = (v0 & ~(*size - 1)) | (rq->addr & (*size - 1));
	return !vtd_in_intr_range(*out);
}

/* The IOTLB's size order for a page of size bytes (4 KiB, 2 MiB, 1 GiB). */
static inline unsigned page_order(uint64_t size)
{
	return size >= (1ull << 30) ? 18 : size >= (1ull << 21) ? 9 : 0;
}

static void iotlb_put(struct xl *x, uint64_t k0, uint64_t in, uint64_t out,
		      uint64_t psize, unsigned perm, unsigned flags)
{
	unsigned order = page_order(psize);
	uint64_t size = 1ull << (12 + order);
	uint64_t v0 = ((out - (in & (size - 1))) & ~(size - 1)) | (perm & 3);
	vtd_iotlb_insert(&x->d.s->iotlb, x->did, (k0 >> 40) & 1, (uint32_t)(k0 >> 16) & 0xfffff, in,
			 order, v0, flags, &x->d.s->inval_gen, x->d.gen0);
}

static bool iotlb_hit(struct xl *x, uint64_t k0, bool priv)
{
	uint64_t v[2];
	unsigned order, perm;
	const struct vtd_dma_request *rq = x->req;
	/* IOTLB entries do not record XD (their flags field is full):
	 * execute requests, rare, always walk */
	if (rq->perm & VTD_PERM_X)
		return false;
	uint64_t out, size;
	if (!iotlb_get(x->d.s, k0, rq->addr, v, &order) ||
	    !iotlb_use(rq, priv, v[0], v[1], order, &out, &size, &perm))
		return false;
	x->res->addr = out;
	x->res->page_size = size;
	x->res->perm = perm;
	x->res->did = x->did;
	trace(x, "IOTLB hit", x->res->addr, v, 2, "DID %u: cached %s translation", x->did,
	      (v[1] & F_FS) ? "first-stage" : "second-stage");
	return true;
}

/* The IOTLB for this request, unless the fast path looked already: then
 * what it found is counted as the lookup here would have counted it, and
 * the walk runs. */
static inline bool iotlb_look(struct xl *x, uint64_t k0, bool priv)
{
	if (x->probed) {
		struct vtd_iotlb *t = &x->d.s->iotlb;
		vtd_count(x->probed == PROBED_FOUND ? &t->hits : &t->misses);
		return false;
	}
	return iotlb_hit(x, k0, priv);
}

static inline uint64_t haw(const struct xl *x) { return x->d.s->haw_mask; }

/* ---- second stage ---------------------------------------------------------- */

/* Fault codes of a second-stage walk depend on mode and purpose. */
struct ss_codes {
	uint8_t root_err;   /* the top-level table cannot be read */
	uint8_t read_err;   /* a lower-level entry cannot be read */
	uint8_t not_present;/* R=W=0; 0: report it as the permission fault */
	uint8_t perm_r, perm_w, rsvd, beyond;
};
/* Legacy mode follows QEMU: a not-present entry is a permission fault. */
/* an unreadable top-level table is bad context programming (LCT.4), as
 * QEMU and VirtualBox report it */
static const struct ss_codes ss_legacy = { 0x03, 0x07, 0, 0x06, 0x05, 0x0c, 0x04 };
/* an input beyond min(MGAW, the second stage's AGAW) is SGN.5 (84h);
 * SGN.4 (83h) is for addresses used without a second stage (pass-through,
 * translated requests) beyond the host address width */
static const struct ss_codes ss_sm = { 0x7b, 0x78, 0x79, 0x86, 0x85, 0x7a, 0x84 };
/* second stage translating the address of a first-stage structure */
static const struct ss_codes ss_nest_table = { 0x7b, 0x78, 0x76, 0x76, 0x77, 0x7a, 0x74 };
static const struct ss_codes ss_nest_root = { 0x7b, 0x78, 0x75, 0x75, 0x77, 0x7a, 0x74 };

/*
 * PASID-entry SSADE (ECAP.SLADS): accessed on every second-stage entry the
 * walk used, dirty on the leaf for a write, each a locked update (the
 * first-stage rule).  A non-snooped walk cannot make them: SSS.5 (7Ch);
 * an update that cannot be made: SSS.6 (7Dh).
 */
static int ss_set_ad(struct xl *x, const uint64_t *ptes, const uint64_t *eas, unsigned n,
		     unsigned want)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t bits = VTD_SS_A | ((i == n - 1 && (want & VTD_PERM_W)) ? VTD_SS_D : 0);
		if ((ptes[i] & bits) == bits)
			continue;
		if (x->nosnoop)
			return fail(x, VTD_FR_SSL_5);
		if (vtd_mem_set_bits64(x->d.s, eas[i], ptes[i], bits))
			return fail(x, VTD_FR_SSL_6);
	}
	x->ss_dirty = (ptes[n - 1] & VTD_SS_D) || (want & VTD_PERM_W);
	return 0;
}

/*
 * Walk a second-stage table of `levels` levels from `table` for input
 * address `in`, requiring `want` (VTD_PERM_R/W).  On success *out, *psize
 * and *perm (R/W granted by every level) are set.
 */
static int ss_walk(struct xl *x, const struct ss_codes *fc, uint64_t table, unsigned levels,
		   uint64_t in, unsigned want, uint64_t *out, uint64_t *psize, unsigned *perm)
{
	unsigned width = 12 + 9 * levels;
	if (width > x->d.s->cfg.aw_bits)
		width = x->d.s->cfg.aw_bits;
	if (in >> width) {
		trace(x, "SS input", in, NULL, 0, "address 0x%llx is beyond the %u-bit width",
		      (unsigned long long)in, width);
		return fail(x, fc->beyond);
	}
	unsigned p = VTD_PERM_R | VTD_PERM_W;
	uint64_t ptes[6], eas[6];
	unsigned n = 0;
	if (levels > 6)
		return fail(x, fc->rsvd); /* not reached: AW is checked against SAGAW */
	for (unsigned level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t ea = table + ((in >> shift) & 0x1ff) * 8;
		uint64_t pte;
		/* the label is for the trace only: not formatted otherwise */
		char what[24];
		if (x->d.t)
			snprintf(what, sizeof(what), "SS L%u entry", level);
		if (vtd_mem_read64(x->d.s, ea, &pte)) {
			trace(x, what, ea, NULL, 0, "cannot be read");
			return fail(x, level == levels ? fc->root_err : fc->read_err);
		}
		bool leaf = vtd_pte_leaf(pte, level), ps = leaf && level > 1;
		trace(x, what, ea, &pte, 1, "R=%u W=%u%s -> %s 0x%llx", (unsigned)(pte & 1),
		      (unsigned)((pte >> 1) & 1), ps ? " PS=1" : "", leaf ? "page" : "table",
		      (unsigned long long)(pte & haw(x) & ~0xfffull));
		/* presence and permission before reserved bits, as QEMU and
		 * VirtualBox order them */
		if (!(pte & (VTD_SS_R | VTD_SS_W)) && fc->not_present)
			return fail(x, fc->not_present);
		if ((want & VTD_PERM_W) && !(pte & VTD_SS_W))
			return fail(x, fc->perm_w);
		if ((want & VTD_PERM_R) && !(pte & VTD_SS_R))
			return fail(x, fc->perm_r);
		if (!(pte & (VTD_SS_R | VTD_SS_W)))
			return fail(x, fc->perm_r);
		if (pte & vtd_ss_rsvd(x->d.s, level, leaf))
			return fail(x, fc->rsvd);
		p &= (unsigned)(pte & 3);
		ptes[n] = pte;
		eas[n] = ea;
		n++;
		if (leaf) {
			uint64_t size = 1ull << shift;
			if (x->ssad && ss_set_ad(x, ptes, eas, n, want))
				return -EACCES;
			/* no D flag can be set over a non-snooped walk: a leaf
			 * without it grants no write (one would fault SSS.5),
			 * and the result must not say it does to a VMM that
			 * caches it */
			if (x->ssad && x->nosnoop && !(pte & VTD_SS_D))
				p &= ~(unsigned)VTD_PERM_W;
			*out = (pte & haw(x) & ~(size - 1)) | (in & (size - 1));
			*psize = size;
			*perm = p;
			return 0;
		}
		table = pte & haw(x) & ~0xfffull;
	}
	return fail(x, fc->rsvd); /* not reached: level 1 is always a leaf */
}

/* ---- first stage --------------------------------------------------------- */

struct fs_ctx {
	uint64_t fsptptr;
	unsigned levels;       /* 4 or 5 */
	bool wpe, eafe, sre;
	bool exec;             /* an execute request (ERE=1 checked) */
	bool nested;
	uint64_t ss_table;     /* for nested */
	unsigned ss_levels;
};

/* Where a first-stage structure lives: itself, or through the second stage. */
static int fs_table_addr(struct xl *x, const struct fs_ctx *f, uint64_t gpa, bool write,
			 bool root, uint64_t *hpa)
{
	if (!f->nested) {
		*hpa = gpa;
		return 0;
	}
	uint64_t psize;
	unsigned perm;
	/* no read permission on the first-stage root is SFL.6, on a lower
	 * table SFL.7 */
	return ss_walk(x, root ? &ss_nest_root : &ss_nest_table, f->ss_table, f->ss_levels, gpa,
		       VTD_PERM_R | (write ? VTD_PERM_W : 0), hpa, &psize, &perm);
}

static int fs_walk(struct xl *x, const struct fs_ctx *f, uint64_t in, unsigned want, bool priv,
		   uint64_t *out, uint64_t *psize, unsigned *perm, unsigned *flags)
{
	/* canonical: bits above the walk's width repeat its top bit */
	unsigned width = 12 + 9 * f->levels;
	uint64_t top = in >> (width - 1);
	if (top != 0 && top != (~0ull >> (width - 1))) {
		trace(x, "FS input", in, NULL, 0, "address 0x%llx is not canonical for %u-level paging",
		      (unsigned long long)in, f->levels);
		return fail(x, VTD_FR_SGN_1);
	}
	uint64_t table = f->fsptptr;
	bool rw = true, us = true, xd = false;
	uint64_t ptes[5], eas[5];
	unsigned nlev = 0;
	for (unsigned level = f->levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t gea = table + ((in >> shift) & 0x1ff) * 8, ea;
		if (fs_table_addr(x, f, gea, false, level == f->levels, &ea))
			return -EACCES;
		uint64_t pte;
		/* the label is for the trace only: not formatted otherwise */
		char what[24];
		if (x->d.t)
			snprintf(what, sizeof(what), "FS L%u entry", level);
		if (vtd_mem_read64(x->d.s, ea, &pte)) {
			trace(x, what, ea, NULL, 0, "cannot be read");
			/* the root table through FSPTPTR is SFL.4, deeper ones SFL.1 */
			return fail(x, level == f->levels ? VTD_FR_SFL_4 : VTD_FR_SFL_1);
		}
		bool leaf = vtd_pte_leaf(pte, level), ps = leaf && level > 1;
		trace(x, what, ea, &pte, 1, "P=%u R/W=%u U/S=%u A=%u%s -> %s 0x%llx",
		      (unsigned)(pte & 1), (unsigned)((pte >> 1) & 1), (unsigned)((pte >> 2) & 1),
		      (unsigned)((pte >> 5) & 1), ps ? " PS=1" : "", leaf ? "page" : "table",
		      (unsigned long long)(pte & haw(x) & ~0xfffull));
		if (!(pte & VTD_FS_P))
			return fail(x, VTD_FR_SFL_2);
		if (pte & vtd_fs_rsvd(x->d.s, level, leaf))
			return fail(x, VTD_FR_SFL_3);
		rw &= (pte & VTD_FS_RW) != 0;
		us &= (pte & VTD_FS_US) != 0;
		/* XD counts only for execute requests (ignored otherwise: Linux
		 * sets it on every first-stage leaf) */
		xd |= (pte >> 63) != 0;
		ptes[nlev] = pte;
		eas[nlev] = gea;
		nlev++;
		if (leaf) {
			uint64_t size = 1ull << shift;
			/* access rights, then accessed/dirty flags */
			if (!priv && !us)
				return fail(x, VTD_FR_SGN_2);
			if (f->exec && xd)
				return fail(x, VTD_FR_SGN_3);
			if ((want & VTD_PERM_W) && !rw && (!priv || f->wpe))
				return fail(x, VTD_FR_SGN_6);
			uint64_t abit = VTD_FS_A | (f->eafe ? VTD_FS_EA : 0);
			for (unsigned i = 0; i < nlev; i++) {
				uint64_t bits = abit | ((i == nlev - 1 && (want & VTD_PERM_W)) ? VTD_FS_D : 0);
				if ((ptes[i] & bits) == bits)
					continue;
				/* non-snooped walks cannot update A/D: SFS.9 */
				if (x->nosnoop)
					return fail(x, VTD_FR_SFL_9);
				uint64_t hea;
				if (fs_table_addr(x, f, eas[i], true, false, &hea))
					return -EACCES;
				if (vtd_mem_set_bits64(x->d.s, hea, ptes[i], bits))
					return fail(x, VTD_FR_SFL_10);
			}
			*out = (pte & haw(x) & ~(size - 1)) | (in & (size - 1));
			*psize = size;
			*perm = VTD_PERM_R | ((rw || (priv && !f->wpe)) ? VTD_PERM_W : 0);
			*flags = F_FS | (us ? F_US : 0) | (rw ? F_RW : 0) | (f->wpe ? F_WPE : 0) |
				 (((pte & VTD_FS_D) || (want & VTD_PERM_W)) ? F_DIRTY : 0);
			return 0;
		}
		table = pte & haw(x) & ~0xfffull;
	}
	return fail(x, VTD_FR_SFL_3);
}

/* ---- legacy mode (spec 3.4.2: root, context, second stage) ------------------ */

static int xlate_legacy(struct xl *x, uint64_t root)
{
	const struct vtd_dma_request *rq = x->req;
	uint64_t ce[4];

	if (rq->pasid_valid) {
		/* legacy mode has no PASIDs: such a request is malformed */
		trace(x, "request", 0, NULL, 0, "request with PASID %u in legacy mode", rq->pasid);
		return fail(x, VTD_FR_RTA_2);
	}
	int r = vtd_decode_context(&x->d, root, false, rq->sid, ce);
	if (r)
		return fail(x, r);
	unsigned tt = vtd_lce_tt(ce);
	x->did = vtd_lce_did(ce);
	/* translation requests and translated requests need TT 1 */
	if (rq->at != VTD_AT_UNTRANSLATED && tt != VTD_TT_ALL)
		return fail(x, VTD_FR_LCT_5);
	x->res->did = x->did;
	if (rq->at == VTD_AT_TRANSLATED || tt == VTD_TT_PT) {
		if (rq->addr & ~haw(x))
			return fail(x, VTD_FR_LGN_1);
		if (tt == VTD_TT_PT && vtd_in_intr_range(rq->addr))
			return fail(x, VTD_FR_LGN_4);
		x->res->addr = rq->addr;
		x->res->page_size = 4096;
		x->res->perm = VTD_PERM_R | VTD_PERM_W;
		trace(x, "result", rq->addr, NULL, 0, "%s: address used as is",
		      tt == VTD_TT_PT ? "pass-through" : "already translated");
		return 0;
	}
	uint64_t k0 = vtd_iotlb_k0(x->did, false, 0);
	if (iotlb_look(x, k0, false))
		return 0;
	uint64_t out, psize;
	unsigned perm;
	if (ss_walk(x, &ss_legacy, vtd_lce_ssptptr(ce) & haw(x), vtd_lce_aw(ce) + 2, rq->addr,
		    rq->perm & (VTD_PERM_R | VTD_PERM_W), &out, &psize, &perm))
		return -EACCES;
	if (vtd_in_intr_range(out))
		return fail(x, VTD_FR_LGN_4);
	iotlb_put(x, k0, rq->addr, out, psize, perm, 0);
	x->res->addr = out;
	x->res->page_size = psize;
	x->res->perm = perm;
	return 0;
}

/* ---- scalable mode (spec 3.4.3: root, context, PASID directory and table,
 * then the PASID entry's type: first stage, second stage, nested or
 * pass-through) ---------------------------------------------------------------- */

/* The result of a translation that produced out (the interrupt range is
 * never a DMA target: SGN.8). */
static int sm_result(struct xl *x, uint64_t out, uint64_t psize, unsigned perm)
{
	if (vtd_in_intr_range(out))
		return fail(x, VTD_FR_SGN_8);
	x->res->addr = out;
	x->res->page_size = psize;
	x->res->perm = perm;
	return 0;
}

/* PGTT 4: the address is used as is, within the host address width. */
static int sm_pass_through(struct xl *x)
{
	uint64_t a = x->req->addr;
	if (a & ~haw(x))
		return fail(x, VTD_FR_SGN_4);
	trace(x, "result", a, NULL, 0, "pass-through: address used as is");
	return sm_result(x, a, 4096, VTD_PERM_R | VTD_PERM_W);
}

/* PGTT 2: the second stage, its IOTLB entries tagged by domain only. */
static int sm_second_stage(struct xl *x, const uint64_t pe[3], unsigned want, bool priv)
{
	uint64_t k0 = vtd_iotlb_k0(x->did, false, 0);
	if (iotlb_look(x, k0, priv))
		return 0;
	uint64_t out, psize;
	unsigned perm;
	if (ss_walk(x, &ss_sm, vtd_pe_ssptptr(pe) & haw(x), vtd_pe_aw(pe) + 2, x->req->addr, want,
		    &out, &psize, &perm))
		return -EACCES;
	if (vtd_in_intr_range(out))
		return fail(x, VTD_FR_SGN_8);
	iotlb_put(x, k0, x->req->addr, out, psize, perm,
		  x->ssad ? F_SSAD | (x->ss_dirty ? F_DIRTY : 0) : 0);
	return sm_result(x, out, psize, perm);
}

/* PGTT 1 and 3: the first stage, alone or nested over the second stage;
 * IOTLB entries tagged by domain and PASID. */
static int sm_first_stage(struct xl *x, const uint64_t pe[3], uint32_t pasid, unsigned want,
			  bool priv)
{
	const struct vtd_dma_request *rq = x->req;
	struct fs_ctx f = {
		.fsptptr = vtd_pe_fsptptr(pe),
		.levels = vtd_pe_fs_levels(pe),
		.wpe = vtd_pe_wpe(pe), .eafe = vtd_pe_eafe(pe), .sre = vtd_pe_sre(pe),
		.exec = (rq->perm & VTD_PERM_X) != 0,
		.nested = vtd_pe_pgtt(pe) == VTD_PGTT_NESTED,
		.ss_table = vtd_pe_ssptptr(pe) & haw(x),
		.ss_levels = vtd_pe_aw(pe) + 2,
	};
	uint64_t k0 = vtd_iotlb_k0(x->did, true, pasid);
	if (iotlb_look(x, k0, priv))
		return 0;
	uint64_t out = 0, psize = 0;
	unsigned perm = 0, flags = 0, ssperm = VTD_PERM_R | VTD_PERM_W;
	if (fs_walk(x, &f, rq->addr, want, priv, &out, &psize, &perm, &flags))
		return -EACCES;
	if (f.nested) {
		uint64_t hpa, spsize;
		unsigned sperm;
		if (ss_walk(x, &ss_sm, f.ss_table, f.ss_levels, out, want, &hpa, &spsize, &sperm))
			return -EACCES;
		out = hpa;
		perm &= sperm;
		ssperm = sperm;
		if (x->ssad && !x->ss_dirty)
			flags &= ~F_DIRTY;
		if (spsize < psize)
			psize = spsize;
	}
	if (vtd_in_intr_range(out))
		return fail(x, VTD_FR_SGN_8);
	iotlb_put(x, k0, rq->addr, out, psize, ssperm, flags);
	return sm_result(x, out, psize, perm);
}

static int xlate_scalable(struct xl *x, uint64_t root)
{
	struct vtd_iommu *s = x->d.s;
	const struct vtd_dma_request *rq = x->req;
	uint64_t ce[4], pe[3];

	/* the context entry, then what it says of this request */
	int r = vtd_decode_context(&x->d, root, true, rq->sid, ce);
	if (r)
		return fail(x, r);
	if (rq->at != VTD_AT_UNTRANSLATED && !vtd_sce_dte(ce))
		return fail(x, VTD_FR_SCT_5);
	if (rq->at == VTD_AT_TRANSLATED) {
		/* already translated by the device's ATC: the address is used
		 * as is, as in legacy mode with TT=1 */
		if (rq->addr & ~haw(x))
			return fail(x, VTD_FR_SGN_4);
		x->res->addr = rq->addr;
		x->res->page_size = 4096;
		x->res->perm = VTD_PERM_R | VTD_PERM_W;
		trace(x, "result", rq->addr, NULL, 0, "already translated: address used as is");
		return 0;
	}
	uint32_t pasid = vtd_sce_rid_pasid(ce);
	if (rq->pasid_valid) {
		if (!vtd_sce_paside(ce))
			return fail(x, VTD_FR_SCT_6);
		pasid = rq->pasid & 0xfffff;
	}

	/* the PASID entry, then what it says of this request */
	r = vtd_decode_pasid(&x->d, rq->sid, ce, pasid, rq->pasid_valid, pe);
	if (r)
		return fail(x, r);
	unsigned pgtt = vtd_pe_pgtt(pe);
	bool fs = pgtt == VTD_PGTT_FS || pgtt == VTD_PGTT_NESTED;
	x->did = vtd_pe_did(pe);
	x->ssad = vtd_pe_ssade(pe);
	/* Without ECAP.SMPWC this unit walks coherently whatever PWSNP says,
	 * as QEMU does (the letter of SMPWC=0 is non-coherent walks, which
	 * could update no A/D flag); with it, PWSNP=0 asks for non-snooped
	 * walks, and an A/D update then faults (SFS.9/SSS.5). */
	x->nosnoop = vtd_ecap_smpwcs(s->ecap) && !vtd_pe_pwsnp(pe);
	/* A request without PASID takes its privilege from RID_PRIV, which
	 * this unit does not offer (ECAP.RPRIVS=0): it is a user request. */
	bool priv = rq->pasid_valid && rq->priv;
	if ((rq->perm & VTD_PERM_X) && !vtd_pe_ere(pe))
		return fail(x, VTD_FR_SPT_5);
	if (priv && fs && !vtd_pe_sre(pe))
		return fail(x, VTD_FR_SPT_6);

	/* Requests without PASID of this device may take the fast path
	 * from now on (first stage and nested for PASID 0 only: its key),
	 * and so may requests with this PASID (vtd_pf_get) */
	bool rid = !rq->pasid_valid && (pgtt == VTD_PGTT_SS || (fs && pasid == 0));
	if (rq->at == VTD_AT_UNTRANSLATED && !(rq->perm & VTD_PERM_X) &&
	    (rid || (rq->pasid_valid && pgtt != VTD_PGTT_PT))) {
		uint32_t fast = (uint32_t)x->did << 16 | (fs ? VTD_CCF_FS : VTD_CCF_SS);
		/* a second stage without A/D flags is a plain walk: its misses
		 * may take the fast path too */
		uint64_t walk = 0, walk2 = 0, w2 = 0;
		if (pgtt == VTD_PGTT_SS && !x->ssad)
			walk = vtd_ss_walk_word(s, vtd_pe_ssptptr(pe), vtd_pe_aw(pe) + 2);
		else if (pgtt == VTD_PGTT_FS || (pgtt == VTD_PGTT_NESTED && !x->ssad))
			walk = vtd_ccw(vtd_pe_fsptptr(pe), 12 + 9 * vtd_pe_fs_levels(pe),
				       vtd_pe_fs_levels(pe)) |
			       (vtd_pe_eafe(pe) ? VTD_CCW_EAFE : 0) |
			       (x->nosnoop ? VTD_CCW_NOSNOOP : 0) | (vtd_pe_wpe(pe) ? VTD_CCW_WPE : 0);
		/* nested without SSADE: the second stage's word beside it */
		if (pgtt == VTD_PGTT_NESTED && walk) {
			walk |= VTD_CCW_NESTED;
			walk2 = vtd_ss_walk_word(s, vtd_pe_ssptptr(pe), vtd_pe_aw(pe) + 2);
		}
		if (rid) {
			if (vtd_cc_fast(&s->cc, rq->sid) != fast ||
			    vtd_cc_walk(&s->cc, rq->sid, fast, &w2) != walk || w2 != walk2)
				vtd_cc_set_fast(&s->cc, rq->sid, fast, walk, walk2, &s->inval_gen,
						x->d.gen0);
		} else {
			/* supervisor requests: SPT.6 above without SRE */
			fast |= (!fs || vtd_pe_sre(pe)) ? VTD_CCF_SRE : 0;
			uint64_t w1;
			if (vtd_pf_get(&s->cc, rq->sid, pasid, &w1, &w2) != fast || w1 != walk ||
			    w2 != walk2)
				vtd_pf_set(&s->cc, rq->sid, pasid, fast, walk, walk2, &s->inval_gen,
					   x->d.gen0);
		}
	}
	x->res->did = x->did;
	/* an execute request is a read that also asks for execute rights */
	unsigned want = rq->perm & (VTD_PERM_R | VTD_PERM_W);
	if (rq->perm & VTD_PERM_X)
		want |= VTD_PERM_R;
	if (pgtt == VTD_PGTT_PT)
		return sm_pass_through(x);
	if (pgtt == VTD_PGTT_SS)
		return sm_second_stage(x, pe, want, priv);
	return sm_first_stage(x, pe, pasid, want, priv);
}

static int translate(struct vtd_iommu *s, const struct vtd_dma_request *rq,
		     struct vtd_translation *res, enum probed probed);

/* A translation made by the fast path, reported as the general path
 * reports one (which clears the result first). */
static inline void fast_result(struct vtd_translation *res, uint64_t out, uint64_t size,
			       unsigned perm, uint16_t did)
{
	res->status = VTD_XLATE_OK;
	res->addr = out;
	res->page_size = size;
	res->perm = perm;
	res->did = did;
	res->fault = 0;
	res->fault_recorded = false;
	res->fault_name = NULL;
}

/* The walk word of the request's device while its fast word is still f,
 * or 0 (take the general path, as from inside a callback); *gen0: the
 * invalidation generation, read first: an invalidation after it voids the
 * insert that follows the walk. */
static inline uint64_t fast_walk_word(struct vtd_iommu *s, const struct vtd_dma_request *rq,
				      uint32_t f, uint64_t *gen0, uint64_t *walk2)
{
	*gen0 = __atomic_load_n(&s->inval_gen, __ATOMIC_ACQUIRE);
	if (VTD_UNLIKELY(vtd_in_callback(s)))
		return 0;
	return vtd_cc_walk(&s->cc, rq->sid, f, walk2);
}

/*
 * The fast misses' walk: `levels` levels from the walk word's table, in
 * the flat RAM, for a second stage (fs false) or a first stage; false for
 * anything the general path must decide.  Always inlined with constant
 * fs and levels, so shifts, leaf tests and reserved masks are constants.
 * Each entry must be present (second stage: R or W; first stage: P, and
 * U/S, as a request without PASID is a user request) with no reserved bit
 * set.  *all: the AND of the entries, whose R/W bits are the rights every
 * level grants; eas/ptes (may be NULL): the entries and their addresses,
 * *n of them, the leaf last.
 */
struct fast_nest {
	uint64_t w2;        /* the second stage's walk word */
	unsigned tperm;     /* the rights it grants on every table read (AND) */
};
static bool fast_ss(struct vtd_iommu *s, uint64_t w2, uint64_t gpa, uint64_t *hpa,
		    uint64_t *size, unsigned *perm);

__attribute__((always_inline)) static inline bool
fast_walk(struct vtd_iommu *s, uint64_t w, uint64_t in, unsigned levels, bool fs,
	  struct fast_nest *nest, uint64_t *eas, uint64_t *ptes, unsigned *n, uint64_t *all,
	  uint64_t *out, uint64_t *size)
{
	const uint8_t *ram = s->ram;
	/* the last byte offset an 8-byte entry may start at */
	if (!ram || s->ram_size < 8)
		return false;
	uint64_t last = s->ram_size - 8, table = VTD_CCW_TABLE(w), acc = ~0ull;
#pragma GCC unroll 6
	for (unsigned level = levels, i = 0; level >= 1; level--, i++) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t ea = table + ((in >> shift) & 0x1ff) * 8;
		if (nest) {
			/* a nested first stage's tables are guest-physical:
			 * each entry's address through the second stage,
			 * which must let it be read */
			uint64_t tsize;
			unsigned tp;
			if (!fast_ss(s, nest->w2, ea, &ea, &tsize, &tp) || !(tp & VTD_PERM_R))
				return false;
			nest->tperm &= tp;
		}
		if (ea > last)
			return false;
		uint64_t pte = __atomic_load_n((const uint64_t *)(const void *)(ram + ea),
					       __ATOMIC_RELAXED);
		/* PS makes a leaf at levels 2 and 3 only (vtd_pte_leaf) */
		bool leaf = level == 1 || ((pte & VTD_SS_PS) && level <= 3);
		bool present = fs ? (pte & (VTD_FS_P | VTD_FS_US)) == (VTD_FS_P | VTD_FS_US)
				  : (pte & (VTD_SS_R | VTD_SS_W)) != 0;
		if (!present ||
		    (pte & (fs ? vtd_fs_rsvd(s, level, leaf) : vtd_ss_rsvd(s, level, leaf))))
			return false;
		acc &= pte;
		if (eas) {
			eas[i] = ea;
			ptes[i] = pte;
		}
		if (leaf) {
			*size = 1ull << shift;
			*out = (pte & s->haw_mask & ~(*size - 1)) | (in & (*size - 1));
			*n = i + 1;
			*all = acc;
			return true;
		}
		table = pte & s->haw_mask & ~0xfffull;
	}
	return false; /* not reached: level 1 is a leaf */
}

/* A second-stage walk from walk word w (0: none) for input address in:
 * *out, the page's *size and the rights every level grants; false for
 * anything the general path must decide (as fast_walk).  The usual level
 * counts get a walk of their own. */
__attribute__((always_inline)) static inline bool
fast_walk_ss(struct vtd_iommu *s, uint64_t w, uint64_t in, uint64_t *out, uint64_t *size,
	     unsigned *perm)
{
	/* (levels 2 to 6: the walk ends at level 1 at the latest) */
	if (!w || VTD_CCW_LEVELS(w) - 2u > 4u || (in >> VTD_CCW_WIDTH(w)))
		return false;
	uint64_t all;
	unsigned n;
	bool ok;
	switch (VTD_CCW_LEVELS(w)) {
	case 4:
		ok = fast_walk(s, w, in, 4, false, NULL, NULL, NULL, &n, &all, out, size);
		break;
	case 3:
		ok = fast_walk(s, w, in, 3, false, NULL, NULL, NULL, &n, &all, out, size);
		break;
	default:
		ok = fast_walk(s, w, in, VTD_CCW_LEVELS(w), false, NULL, NULL, NULL, &n, &all, out,
			       size);
		break;
	}
	if (!ok)
		return false;
	*perm = (unsigned)all & (VTD_PERM_R | VTD_PERM_W);
	return true;
}

/* fast_walk_ss for a nested miss (w2: the second stage's walk word, gpa
 * a guest-physical address): out of line, as a nested miss walks the
 * second stage once per first-stage level and once for its output. */
__attribute__((noinline)) static bool fast_ss(struct vtd_iommu *s, uint64_t w2, uint64_t gpa,
					      uint64_t *hpa, uint64_t *size, unsigned *perm)
{
	return fast_walk_ss(s, w2, gpa, hpa, size, perm);
}

/* A fast miss's end: the IOTLB entry (v0: the page and its second-stage
 * rights, flags: F_*), then the result as the general path gives it. */
static inline int fast_miss_done(struct vtd_iommu *s, struct vtd_translation *res, uint32_t f,
				 bool tagged, uint32_t pasid, uint64_t in, uint64_t out,
				 uint64_t size, unsigned ss_perm, unsigned flags, unsigned perm,
				 uint64_t gen0)
{
	uint16_t did = (uint16_t)(f >> 16);
	vtd_iotlb_insert(&s->iotlb, did, tagged, pasid, in, page_order(size),
			 (out & ~(size - 1)) | ss_perm, flags, &s->inval_gen, gen0);
	fast_result(res, out, size, perm, did);
	return vtd_count_ok(&s->fast_misses);
}

/*
 * The IOTLB miss of the fast path's requests when the device's slot (or
 * the PASID-tagged slot, for a request with PASID) holds a walk word w (a
 * second stage that needs nothing but a walk): the walk from the cached
 * table root, in the flat RAM, then the IOTLB insert, untagged.  It
 * follows ss_walk()'s rules for a walk that succeeds; anything else (a
 * fault, an entry outside the flat RAM, an output in the interrupt range,
 * a slot changed under it, a call from inside a callback) hands the
 * request to the general path, which walks again and finds what to do.
 * Statistics: an IOTLB miss and a context-cache hit, through one counter
 * (vtd_iommu_get_stats); a PASID-cache lookup is not counted, as on the
 * fast hit path.
 */
__attribute__((always_inline)) static inline int
fast_miss_ss(struct vtd_iommu *s, const struct vtd_dma_request *rq, struct vtd_translation *res,
	     uint32_t f, uint64_t w, uint64_t gen0)
{
	uint64_t out, size;
	unsigned p;
	/* rights granted by every level, then those the request asks */
	if (!fast_walk_ss(s, w, rq->addr, &out, &size, &p) ||
	    (rq->perm & (VTD_PERM_R | VTD_PERM_W) & ~p) || vtd_in_intr_range(out))
		return translate(s, rq, res, PROBED_MISS);
	return fast_miss_done(s, res, f, false, 0, rq->addr, out, size, p, 0, p, gen0);
}

__attribute__((noinline)) static int fast_miss(struct vtd_iommu *s,
					       const struct vtd_dma_request *rq,
					       struct vtd_translation *res, uint32_t f)
{
	uint64_t gen0, w = fast_walk_word(s, rq, f, &gen0, NULL);
	return fast_miss_ss(s, rq, res, f, w, gen0);
}

/*
 * A first-stage fast miss's end, once its walk succeeded with the rights
 * the request asks (rw: R/W at every level): the accessed and dirty flags
 * set as fs_walk() sets them (locked updates, after every check; a walk
 * that stops half-way leaves set flags the general path's walk would set
 * again), then the IOTLB entry as sm_first_stage() makes it.  tw: the
 * rights of the second-stage pages the tables are in (nested), which a
 * flag update needs to write.
 */
__attribute__((always_inline)) static inline int
fast_fs_done(struct vtd_iommu *s, const struct vtd_dma_request *rq, struct vtd_translation *res,
	     uint32_t f, uint32_t pasid, uint64_t w, const uint64_t *eas, const uint64_t *ptes,
	     unsigned n, bool rw, unsigned tw, uint64_t out, uint64_t size, unsigned ss_perm,
	     unsigned perm, uint64_t gen0)
{
	bool write = rq->perm & VTD_PERM_W;
	uint64_t abit = VTD_FS_A | ((w & VTD_CCW_EAFE) ? VTD_FS_EA : 0);
	for (unsigned i = 0; i < n; i++) {
		uint64_t bits = abit | ((i == n - 1 && write) ? VTD_FS_D : 0);
		if ((ptes[i] & bits) == bits)
			continue;
		if ((w & VTD_CCW_NOSNOOP) || !(tw & VTD_PERM_W) ||
		    vtd_mem_set_bits64(s, eas[i], ptes[i], bits))
			return translate(s, rq, res, PROBED_MISS);
	}
	unsigned flags = F_FS | F_US | (rw ? F_RW : 0) | ((w & VTD_CCW_WPE) ? F_WPE : 0) |
			 (((ptes[n - 1] & VTD_FS_D) || write) ? F_DIRTY : 0);
	return fast_miss_done(s, res, f, true, pasid, rq->addr, out, size, ss_perm, flags, perm,
			      gen0);
}

/*
 * The same for a nested first stage over a second stage without SSADE
 * (w2: its walk word): each table's address through the second stage,
 * which must grant read (and write where a flag is set: fast_fs_done);
 * the output through it with the rights the request asks; the page the
 * smaller of the two; the rights those of both; the IOTLB entry keeping
 * the second stage's, as sm_first_stage() does.
 */
__attribute__((noinline)) static int fast_miss_nest(struct vtd_iommu *s,
						    const struct vtd_dma_request *rq,
						    struct vtd_translation *res, uint32_t f,
						    uint32_t pasid, uint64_t w, uint64_t w2,
						    uint64_t gen0)
{
	struct fast_nest nest = { w2, VTD_PERM_R | VTD_PERM_W };
	uint64_t eas[5], ptes[5], out, size, all, ssize, in = rq->addr;
	unsigned n, sp;
	if (!(VTD_CCW_LEVELS(w) == 4
		      ? fast_walk(s, w, in, 4, true, &nest, eas, ptes, &n, &all, &out, &size)
		      : fast_walk(s, w, in, 5, true, &nest, eas, ptes, &n, &all, &out, &size)))
		return translate(s, rq, res, PROBED_MISS);
	bool rw = all & VTD_FS_RW;
	if (((rq->perm & VTD_PERM_W) && !rw) || !fast_ss(s, w2, out, &out, &ssize, &sp) ||
	    (rq->perm & (VTD_PERM_R | VTD_PERM_W) & ~sp) || vtd_in_intr_range(out))
		return translate(s, rq, res, PROBED_MISS);
	return fast_fs_done(s, rq, res, f, pasid, w, eas, ptes, n, rw, nest.tperm, out,
			    ssize < size ? ssize : size, sp, (VTD_PERM_R | (rw ? VTD_PERM_W : 0)) & sp,
			    gen0);
}

/*
 * The same for a first stage (user requests, no execute; without PASID,
 * PASID 0 as RID_PASID): fs_walk()'s rules for a walk that succeeds, then
 * fast_fs_done(); a nested one goes on in fast_miss_nest().  pasid: the
 * IOTLB entry's tag.
 */
__attribute__((always_inline)) static inline int
fast_miss_fs_w(struct vtd_iommu *s, const struct vtd_dma_request *rq, struct vtd_translation *res,
	       uint32_t f, uint32_t pasid, uint64_t w, uint64_t w2, uint64_t gen0)
{
	uint64_t in = rq->addr;
	unsigned levels = VTD_CCW_LEVELS(w);
	/* 4 or 5 levels; the input canonical for them */
	if (!w || levels - 4u > 1u)
		return translate(s, rq, res, PROBED_MISS);
	uint64_t top = in >> (VTD_CCW_WIDTH(w) - 1);
	if (top != 0 && top != (~0ull >> (VTD_CCW_WIDTH(w) - 1)))
		return translate(s, rq, res, PROBED_MISS);
	if (w & VTD_CCW_NESTED)
		return fast_miss_nest(s, rq, res, f, pasid, w, w2, gen0);
	uint64_t eas[5], ptes[5], out, size, all;
	unsigned n;
	if (!(levels == 4 ? fast_walk(s, w, in, 4, true, NULL, eas, ptes, &n, &all, &out, &size)
			  : fast_walk(s, w, in, 5, true, NULL, eas, ptes, &n, &all, &out, &size)))
		return translate(s, rq, res, PROBED_MISS);
	/* R/W at every level */
	bool rw = all & VTD_FS_RW;
	if (((rq->perm & VTD_PERM_W) && !rw) || vtd_in_intr_range(out))
		return translate(s, rq, res, PROBED_MISS);
	return fast_fs_done(s, rq, res, f, pasid, w, eas, ptes, n, rw, VTD_PERM_R | VTD_PERM_W,
			    out, size, VTD_PERM_R | VTD_PERM_W, VTD_PERM_R | (rw ? VTD_PERM_W : 0),
			    gen0);
}

__attribute__((noinline)) static int fast_miss_fs(struct vtd_iommu *s,
						  const struct vtd_dma_request *rq,
						  struct vtd_translation *res, uint32_t f)
{
	uint64_t gen0, w2 = 0, w = fast_walk_word(s, rq, f, &gen0, &w2);
	return fast_miss_fs_w(s, rq, res, f, 0, w, w2, gen0);
}

/* A hit of the fast path: the entry's rights, dirty flag and output
 * decide whether it serves the request (else the walk does).  priv: a
 * supervisor request (never without PASID: ECAP.RPRIVS=0). */
static inline int fast_use(struct vtd_iommu *s, const struct vtd_dma_request *rq,
			   struct vtd_translation *res, uint16_t did, const struct vtd_iotlb_val *v,
			   bool priv)
{
	uint64_t out, size;
	unsigned perm;
	if (!iotlb_use(rq, priv, v->v0, v->v1, v->order, &out, &size, &perm))
		return translate(s, rq, res, PROBED_FOUND);
	fast_result(res, out, size, perm, did);
	return vtd_count_ok(&s->fast_hits);
}

/* The fast path's lookup when the IOTLB holds large pages too (every size
 * class with entries is probed): out of line, so that the 4 KiB-only
 * lookup inlined below keeps to the registers a leaf may use. */
__attribute__((noinline)) static int fast_classes(struct vtd_iommu *s,
						  const struct vtd_dma_request *rq,
						  struct vtd_translation *res, uint32_t f)
{
	uint16_t did = (uint16_t)(f >> 16);
	struct vtd_iotlb_val v;
	if (f & VTD_CCF_SS) {
		if (!vtd_iotlb_find(&s->iotlb, did, false, 0, rq->addr, &v, false))
			return fast_miss(s, rq, res, f);
	} else if (!vtd_iotlb_find(&s->iotlb, did, true, 0, rq->addr, &v, false)) {
		return fast_miss_fs(s, rq, res, f);
	}
	return fast_use(s, rq, res, did, &v, false);
}

/*
 * The fast path of a request with PASID (untranslated, untraced, no
 * execute, translation enabled) whose (device, PASID) has a PASID-tagged
 * slot (vtd_pf_get): the slot's word instead of the device's, and a
 * supervisor request only where the entry allows one (SRE: else SPT.6,
 * the general path's), then the IOTLB as for a request without PASID,
 * tagged with the PASID for a first stage.  A miss of a user request
 * walks from the slot's walk words; a supervisor request's walk (U/S
 * rules, WPE) is the general path's.  Out of line: the entry point's own
 * fast path stays as it was.
 */
__attribute__((noinline)) static int fast_pasid(struct vtd_iommu *s,
						const struct vtd_dma_request *rq,
						struct vtd_translation *res)
{
	uint32_t pasid = rq->pasid & 0xfffff;
	uint64_t gen0 = __atomic_load_n(&s->inval_gen, __ATOMIC_ACQUIRE), w, w2;
	uint32_t f = vtd_pf_get(&s->cc, rq->sid, pasid, &w, &w2);
	if (!(f & (VTD_CCF_SS | VTD_CCF_FS)) || (rq->priv && !(f & VTD_CCF_SRE)))
		return translate(s, rq, res, NOT_PROBED);
	uint16_t did = (uint16_t)(f >> 16);
	bool tagged = f & VTD_CCF_FS;
	struct vtd_iotlb_val v;
	if (vtd_iotlb_find(&s->iotlb, did, tagged, tagged ? pasid : 0, rq->addr, &v, false))
		return fast_use(s, rq, res, did, &v, rq->priv);
	if (rq->priv || VTD_UNLIKELY(vtd_in_callback(s)))
		return translate(s, rq, res, PROBED_MISS);
	if (!tagged)
		return fast_miss_ss(s, rq, res, f, w, gen0);
	return fast_miss_fs_w(s, rq, res, f, pasid, w, w2, gen0);
}

/* Not the entry point's fast path: a request with PASID may take its
 * own; anything else is the general path's. */
__attribute__((noinline)) static int not_fast(struct vtd_iommu *s,
					      const struct vtd_dma_request *rq,
					      struct vtd_translation *res)
{
	if (rq->pasid_valid && !res->trace && VTD_LOAD(s->dmar_enabled) &&
	    rq->at == VTD_AT_UNTRANSLATED && !(rq->perm & VTD_PERM_X))
		return fast_pasid(s, rq, res);
	return translate(s, rq, res, NOT_PROBED);
}

/*
 * The common case in as few instructions as we can: an untraced,
 * untranslated request without PASID from a device whose context (legacy)
 * or RID_PASID entry (scalable) is cached and checked (one word:
 * VTD_CCF_SS or VTD_CCF_FS and the DID), hitting the IOTLB with the
 * rights it asks for.  A miss of a device whose slot holds a walk word
 * walks from it (fast_miss, fast_miss_fs); anything else takes the general
 * path, which explains and counts everything itself.  A change of
 * translation mode (SRTP, TE) drops the context cache, so the fast word
 * is never read across one.
 *
 * Every way out that is not a hit is a tail call, and the hit path calls
 * nothing (a bucket being written is a miss here, a thread without a
 * counter slot of its own counts by a tail call), so no call costs it a
 * frame; the probe's registers still cost it five saves (doc/performance.md,
 * "Where the instructions go now").
 */
VTD_API int vtd_iommu_translate(struct vtd_iommu *s, const struct vtd_dma_request *rq,
				struct vtd_translation *res)
{
	if (!s || !rq || !res)
		return -EINVAL;
	/* (execute requests: the general path checks ERE) */
	if (res->trace || !VTD_LOAD(s->dmar_enabled) || rq->at != VTD_AT_UNTRANSLATED ||
	    rq->pasid_valid || (rq->perm & VTD_PERM_X))
		return not_fast(s, rq, res);
	uint64_t addr = rq->addr;
	/* (a write to the interrupt range is an interrupt: the general path) */
	if ((rq->perm & VTD_PERM_W) && vtd_in_intr_range(addr))
		return translate(s, rq, res, NOT_PROBED);
	uint32_t f = vtd_cc_fast(&s->cc, rq->sid);
	if (!(f & (VTD_CCF_SS | VTD_CCF_FS)))
		return translate(s, rq, res, NOT_PROBED);
	/* no large-page entries (the size-class hint): one probe, inline;
	 * none at all (as after a strict unmap's invalidation): no probe */
	uint32_t classes = __atomic_load_n(&s->iotlb.class_mask, __ATOMIC_RELAXED);
	if (VTD_UNLIKELY(classes & 6) || !iotlb_cacheable(addr))
		return fast_classes(s, rq, res, f);
	uint16_t did = (uint16_t)(f >> 16);
	struct vtd_iotlb_val v;
	if (f & VTD_CCF_SS) {
		if (!(classes & 1) || !iotlb_find_class(&s->iotlb, did, false, 0, addr, 0, &v, false))
			return fast_miss(s, rq, res, f);
	} else if (!(classes & 1) || !iotlb_find_class(&s->iotlb, did, true, 0, addr, 0, &v, false)) {
		return fast_miss_fs(s, rq, res, f);
	}
	return fast_use(s, rq, res, did, &v, false);
}

/* probed: the fast path looked this request up in the IOTLB already and
 * could not use what it found (nothing, or an entry that does not allow
 * the request): the walk runs without a second look.  A context that
 * changed in between only costs a walk; the walk decides. */
__attribute__((noinline)) static int translate(struct vtd_iommu *s,
					       const struct vtd_dma_request *rq,
					       struct vtd_translation *res, enum probed probed)
{
	struct vtd_trace *t = res->trace;
	memset(res, 0, sizeof(*res));
	res->trace = t;
	if (t)
		t->n = 0;
	/* Re-entered from one of our callbacks (a table read the VMM sent
	 * back into this IOMMU): walking would call it again, recording a
	 * fault would take a lock the thread may hold.  Checked here, off the
	 * fast path, which takes no lock and calls nothing. */
	if (VTD_UNLIKELY(vtd_in_callback(s))) {
		res->status = VTD_XLATE_FAULT;
		return -EDEADLK;
	}
	struct xl x = { .req = rq, .res = res, .probed = probed };
	vtd_decode_init(&x.d, s, t);

	/* An untranslated write without PASID to the interrupt range is an
	 * interrupt request, for interrupt remapping (or the APIC) to handle. */
	if (rq->at == VTD_AT_UNTRANSLATED && !rq->pasid_valid && (rq->perm & VTD_PERM_W) &&
	    vtd_in_intr_range(rq->addr)) {
		res->status = VTD_XLATE_INTERRUPT;
		res->addr = rq->addr;
		res->page_size = 4096;
		res->perm = VTD_PERM_W;
		trace(&x, "request", rq->addr, NULL, 0, "write to the interrupt range: an MSI");
		return 0;
	}
	if (!VTD_LOAD(s->dmar_enabled)) {
		res->addr = rq->addr;
		res->page_size = 4096;
		res->perm = VTD_PERM_R | VTD_PERM_W;
		trace(&x, "request", rq->addr, NULL, 0,
		      "translation disabled (GSTS.TES=0): address used as is");
		return 0;
	}
	bool sm = VTD_LOAD(s->root_scalable);
	uint64_t root = VTD_LOAD(s->root);
	unsigned ttm = VTD_LOAD(s->root_ttm);
	trace(&x, "RTADDR", root, NULL, 0, "%s mode (TTM=%u), root table 0x%llx",
	      sm ? "scalable" : "legacy", ttm, (unsigned long long)root);
	int r;
	/* TTM 01b without scalable mode, 10b (reserved) and 11b (abort-DMA
	 * mode, ECAP.ADMS=0) are invalid programming: RTA.1 */
	if (ttm >= 2 || (ttm == 1 && !sm))
		r = fail(&x, VTD_FR_RTA_1);
	else
		r = sm ? xlate_scalable(&x, root) : xlate_legacy(&x, root);
	if (!r)
		return 0;
	/* Record the fault unless FPD suppresses it; ATS translation
	 * requests report failure in their completion, not in FRCD. */
	bool suppressed = x.d.fpd && vtd_fault_qualified(res->fault);
	if (!suppressed && rq->at != VTD_AT_TRANSLATION_REQ) {
		struct vtd_fault_rec f = {
			.sid = rq->sid,
			.reason = res->fault,
			.is_write = (rq->perm & VTD_PERM_W) != 0,
			.addr = rq->addr,
			.pasid_valid = rq->pasid_valid,
			.pasid = rq->pasid,
			.priv = rq->priv,
			.exec = (rq->perm & VTD_PERM_X) != 0,
			.at = (uint8_t)rq->at,
		};
		pthread_mutex_lock(&s->lock);
		res->fault_recorded = vtd_fault_record(s, &f);
		pthread_mutex_unlock(&s->lock);
	}
	return -EACCES;
}
