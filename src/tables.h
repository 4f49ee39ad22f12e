/* SPDX-License-Identifier: MIT */
/*
 * The guest's DMA-remapping structures under the spec's field names, and
 * the one decode of them that every reader of the tables uses (tables.c):
 * translation, page requests, nested host bindings and the shadowing
 * notifiers.  A field is read with an accessor named as the spec names it
 * (as Linux's drivers/iommu/intel/pasid.h does), never with a raw shift.
 *
 * Spec references are to the Intel VT-d specification, chapter 9 ("Translation
 * Structure Formats"): 9.1 root entry, 9.2 scalable-mode root entry, 9.3
 * context entry, 9.4 scalable-mode context entry, 9.5 PASID directory
 * entry, 9.6 PASID table entry, 9.7 first-stage paging entries, 9.8
 * second-stage paging entries.
 */
#ifndef VTD_TABLES_H
#define VTD_TABLES_H

#include "viommu.h"

/* Writes (untranslated, without PASID) to this range are interrupt
 * requests (spec 3.14 / 5.1), never DMA; a translation that lands there
 * is a fault. */
#define VTD_INTR_LO 0xfee00000ull
#define VTD_INTR_HI 0xfeefffffull
static inline bool vtd_in_intr_range(uint64_t a)
{
	return a >= VTD_INTR_LO && a <= VTD_INTR_HI;
}

#define VTD_PAGE_MASK (~0xfffull)

/* ---- root entry (9.1, 9.2) -------------------------------------------------
 * Legacy: one entry per bus, 128 bits: P, the context table pointer, and
 * nothing else.  Scalable mode: two halves, the lower for devfn 0-127 (LP,
 * LCTP) and the upper for 128-255 (UP, UCTP). */
#define VTD_RE_RSVD 0xffeull          /* bits 11:1 of each (half) entry */

static inline uint64_t vtd_re_half(const uint64_t re[2], uint8_t devfn, bool sm)
{
	return sm && devfn >= 128 ? re[1] : re[0];
}
static inline bool vtd_re_p(uint64_t half) { return half & 1; }
static inline uint64_t vtd_re_ctp(uint64_t half) { return half & VTD_PAGE_MASK; }

/* ---- context entry (9.3), legacy mode: 128 bits ------------------------ */
enum vtd_lce_tt {
	VTD_TT_UNTRANSLATED = 0,      /* untranslated requests only */
	VTD_TT_ALL = 1,               /* also translation requests and translated (device-TLB) */
	VTD_TT_PT = 2,                /* pass-through */
};
#define VTD_LCE_RSVD0 0xff0ull                  /* bits 11:4 */
#define VTD_LCE_RSVD1 0xffffffffff000080ull     /* bits 127:88 and 71 */

static inline bool vtd_lce_p(const uint64_t *ce) { return ce[0] & 1; }
static inline bool vtd_lce_fpd(const uint64_t *ce) { return (ce[0] >> 1) & 1; }
static inline unsigned vtd_lce_tt(const uint64_t *ce) { return (ce[0] >> 2) & 3; }
static inline uint64_t vtd_lce_ssptptr(const uint64_t *ce) { return ce[0] & VTD_PAGE_MASK; }
static inline unsigned vtd_lce_aw(const uint64_t *ce) { return ce[1] & 7; }
static inline uint16_t vtd_lce_did(const uint64_t *ce) { return (uint16_t)(ce[1] >> 8); }

/* ---- scalable-mode context entry (9.4): 256 bits ------------------------- */
#define VTD_SCE_RSVD0 0x1e0ull                  /* bits 8:5 */
#define VTD_SCE_RSVD1 0xffffffffffe00000ull     /* bits 127:85 */

static inline bool vtd_sce_p(const uint64_t *ce) { return ce[0] & 1; }
static inline bool vtd_sce_fpd(const uint64_t *ce) { return (ce[0] >> 1) & 1; }
static inline bool vtd_sce_dte(const uint64_t *ce) { return (ce[0] >> 2) & 1; }
static inline bool vtd_sce_paside(const uint64_t *ce) { return (ce[0] >> 3) & 1; }
static inline bool vtd_sce_pre(const uint64_t *ce) { return (ce[0] >> 4) & 1; }
static inline unsigned vtd_sce_pdts(const uint64_t *ce) { return (ce[0] >> 9) & 7; }
static inline uint64_t vtd_sce_pasiddirptr(const uint64_t *ce) { return ce[0] & VTD_PAGE_MASK; }
static inline uint32_t vtd_sce_rid_pasid(const uint64_t *ce) { return (uint32_t)(ce[1] & 0xfffff); }
/* PDTS: the directory has 2^(PDTS + 7) entries of 64 PASIDs each */
static inline uint32_t vtd_sce_dir_entries(const uint64_t *ce) { return 1u << (vtd_sce_pdts(ce) + 7); }

/* ---- PASID directory entry (9.5): 64 bits --------------------------------- */
#define VTD_PDE_RSVD 0xffcull                   /* bits 11:2 */

static inline bool vtd_pde_p(uint64_t pde) { return pde & 1; }
static inline bool vtd_pde_fpd(uint64_t pde) { return (pde >> 1) & 1; }
static inline uint64_t vtd_pde_smptblptr(uint64_t pde) { return pde & VTD_PAGE_MASK; }

/* ---- PASID table entry (9.6): 512 bits ------------------------------------
 * qword 0: P, FPD, AW, PGTT, SSADE, SSPTPTR; qword 1: DID, PWSNP;
 * qword 2: SRE, ERE, FSPM, WPE, EAFE, FSPTPTR; qwords 3-7 reserved. */
enum vtd_pgtt {
	VTD_PGTT_FS = 1,              /* first stage */
	VTD_PGTT_SS = 2,              /* second stage */
	VTD_PGTT_NESTED = 3,          /* first stage over second stage */
	VTD_PGTT_PT = 4,              /* pass-through */
};
#define VTD_PE_RSVD2 0xf00ull                   /* qword 2 bits 11:8 */

static inline bool vtd_pe_p(const uint64_t *pe) { return pe[0] & 1; }
static inline bool vtd_pe_fpd(const uint64_t *pe) { return (pe[0] >> 1) & 1; }
static inline unsigned vtd_pe_aw(const uint64_t *pe) { return (pe[0] >> 2) & 7; }
static inline unsigned vtd_pe_pgtt(const uint64_t *pe) { return (pe[0] >> 6) & 7; }
static inline bool vtd_pe_ssade(const uint64_t *pe) { return (pe[0] >> 9) & 1; }
static inline uint64_t vtd_pe_ssptptr(const uint64_t *pe) { return pe[0] & VTD_PAGE_MASK; }
static inline uint16_t vtd_pe_did(const uint64_t *pe) { return (uint16_t)pe[1]; }
static inline bool vtd_pe_pwsnp(const uint64_t *pe) { return (pe[1] >> 23) & 1; }
static inline bool vtd_pe_sre(const uint64_t *pe) { return pe[2] & 1; }
static inline bool vtd_pe_ere(const uint64_t *pe) { return (pe[2] >> 1) & 1; }
static inline unsigned vtd_pe_fspm(const uint64_t *pe) { return (pe[2] >> 2) & 3; }
static inline bool vtd_pe_wpe(const uint64_t *pe) { return (pe[2] >> 4) & 1; }
static inline bool vtd_pe_eafe(const uint64_t *pe) { return (pe[2] >> 7) & 1; }
static inline uint64_t vtd_pe_fsptptr(const uint64_t *pe) { return pe[2] & VTD_PAGE_MASK; }
/* first-stage paging levels: FSPM 0 is 4-level, 1 is 5-level */
static inline unsigned vtd_pe_fs_levels(const uint64_t *pe) { return vtd_pe_fspm(pe) ? 5 : 4; }

/* ---- paging entries (9.7 first stage, 9.8 second stage) ------------------- */
#define VTD_SS_R    (1ull << 0)
#define VTD_SS_W    (1ull << 1)
#define VTD_SS_PS   (1ull << 7)
#define VTD_SS_A    (1ull << 8)   /* accessed, with PASID-entry SSADE */
#define VTD_SS_D    (1ull << 9)   /* dirty, with PASID-entry SSADE */
#define VTD_SS_SNP  (1ull << 11)
#define VTD_SS_TM   (1ull << 62)
#define VTD_SS_IGN  0xbff0000000000000ull /* 52-61 and 63: ignored */

#define VTD_FS_P    (1ull << 0)
#define VTD_FS_RW   (1ull << 1)
#define VTD_FS_US   (1ull << 2)
#define VTD_FS_A    (1ull << 5)
#define VTD_FS_D    (1ull << 6)
#define VTD_FS_PS   (1ull << 7)
#define VTD_FS_EA   (1ull << 10)
#define VTD_FS_XD   (1ull << 63)
#define VTD_FS_IGN  0xfff0000000000000ull /* 52-63 (XD among them) */
_Static_assert(VTD_SS_PS == VTD_FS_PS, "vtd_pte_leaf() tests one PS bit for both stages");

/* Whether a paging entry at level (1 = 4 KiB) maps a page: level 1, or a
 * large page (PS) at level 2 (2 MiB) or 3 (1 GiB).  PS is bit 7 in both
 * formats (VTD_SS_PS == VTD_FS_PS), so one test serves both walks. */
static inline bool vtd_pte_leaf(uint64_t pte, unsigned level)
{
	return level == 1 || ((level == 2 || level == 3) && (pte & VTD_SS_PS));
}
/* The bits of a paging entry at level that must be zero (what this unit's
 * capabilities and the configuration leave reserved); inline, as every
 * level of every walk asks. */
static inline uint64_t vtd_ss_rsvd_of(const struct vtd_iommu *s, unsigned level, bool leaf)
{
	const struct vtd_config *c = &s->cfg;
	uint64_t keep = s->haw_mask | VTD_SS_IGN;
	/* TM exists with the device-TLB and stale-TM option; SNP with
	 * snoop control (always in scalable mode, as QEMU) */
	bool tm_ok = c->stale_tm && c->device_iotlb;
	bool snp_ok = c->scalable_mode || c->snoop_control;
	uint64_t m;
	if (leaf) {
		if (tm_ok)
			keep |= VTD_SS_TM;
		/* a large page's address bits below its size */
		m = level == 1 ? 0 : level == 2 ? 0x1ff000ull : 0x3ffff000ull;
		m |= snp_ok ? 0 : VTD_SS_SNP;
	} else {
		m = VTD_SS_SNP | (level >= 4 ? VTD_SS_PS : 0);
	}
	return m | ~keep;
}

static inline uint64_t vtd_fs_rsvd_of(const struct vtd_iommu *s, unsigned level, bool leaf)
{
	uint64_t keep = s->haw_mask | VTD_FS_IGN;
	uint64_t m;
	if (leaf)
		/* a large page's address bits below its size (bit 12 is PAT) */
		m = level == 1 ? 0 : level == 2 ? 0x1fe000ull : 0x3fffe000ull;
	else
		m = level >= 4 ? VTD_FS_PS : 0;
	/* A 1 GiB first-stage page exists only where CAP.FS1GP says so
	 * (QEMU accepts it regardless). */
	if (level == 3 && leaf && !vtd_cap_fs1gp(s->cap))
		m |= VTD_FS_PS;
	return m | ~keep;
}

/* The same, from the table vtd_tables_init() filled when the unit was
 * made (the masks depend on its configuration only): one load per level
 * of a walk.  level: 1-6 (SS), 1-5 (FS). */
static inline uint64_t vtd_ss_rsvd(const struct vtd_iommu *s, unsigned level, bool leaf)
{
	return s->ss_rsvd[leaf][level];
}
static inline uint64_t vtd_fs_rsvd(const struct vtd_iommu *s, unsigned level, bool leaf)
{
	return s->fs_rsvd[leaf][level];
}
/* The context cache's walk word (cache.h, VTD_CCW_*) for a second stage
 * of `levels` levels at table: the inputs it takes are as wide as the
 * walk and the unit's AW allow. */
static inline uint64_t vtd_ss_walk_word(const struct vtd_iommu *s, uint64_t table, unsigned levels)
{
	unsigned width = 12 + 9 * levels;
	if (width > s->cfg.aw_bits)
		width = s->cfg.aw_bits;
	return vtd_ccw(table & s->haw_mask, width, levels);
}
/* Fill the unit's reserved-bit tables (after cfg, cap and haw_mask). */
void vtd_tables_init(struct vtd_iommu *s);

/* ---- the decode ------------------------------------------------------------ */

/* One decode's state: whom it reads for, where it explains itself, and
 * what it saw on the way. */
struct vtd_decode {
	struct vtd_iommu *s;
	struct vtd_trace *t;   /* NULL: not traced */
	uint64_t gen0;         /* s->inval_gen when the decode began: an entry read
				* before an invalidation is not inserted after it */
	bool fpd;              /* a fault-processing-disable bit was seen */
	bool uncached;         /* read the guest's memory, bypassing (and not
				* filling) the context and PASID caches */
};

static inline void vtd_decode_init(struct vtd_decode *d, struct vtd_iommu *s, struct vtd_trace *t)
{
	d->s = s;
	d->t = t;
	d->gen0 = __atomic_load_n(&s->inval_gen, __ATOMIC_ACQUIRE);
	d->fpd = false;
	d->uncached = false;
}

/* A decode for those who follow the guest's tables after an invalidation
 * (notifiers, host bindings): what memory says now, as QEMU's replay reads
 * it, so a follower does not depend on what translations happened to
 * cache, and its reads do not fill the caches. */
static inline void vtd_decode_init_uncached(struct vtd_decode *d, struct vtd_iommu *s)
{
	vtd_decode_init(d, s, NULL);
	d->uncached = true;
}

/* One step of an explanation (vtd_iommu_translate's trace). */
void vtd_trace_step(struct vtd_trace *t, const char *what, uint64_t addr, const uint64_t *v,
		    unsigned n, const char *fmt, ...) VTD_PRINTF(6, 7);
/* Tracing is rare and the hit path hot: test for it before the arguments
 * (formatting, varargs) are even set up. */
#define VTD_TRACE(t, ...)                                           \
	do {                                                        \
		if (VTD_UNLIKELY((t) != NULL))                      \
			vtd_trace_step((t), __VA_ARGS__);           \
	} while (0)

/*
 * The context entry of sid under the root table at root (legacy or
 * scalable mode), through the context cache: 0 with the entry in ce (2
 * qwords in legacy mode, 4 in scalable mode), or the fault reason:
 * the root entry (LRT/SRT .1 unreadable, .2 not present, .3 reserved
 * bits), the context entry (LCT/SCT .1, .2, .3), and what the entry
 * enables that this unit does not offer (LCT.4: TT, AW; SCT.4: DTE, PRE,
 * PASIDE).  Checks that depend on the request (LCT.5, SCT.5-6) are the
 * caller's.
 */
int vtd_decode_context_read(struct vtd_decode *d, uint64_t root, bool sm, uint16_t sid,
			    uint64_t ce[4]);
/* (inline: every translation that misses the IOTLB runs it, and the
 * context is nearly always cached; the reads from memory are not) */
static VTD_ALWAYS_INLINE int vtd_decode_context(struct vtd_decode *d, uint64_t root, bool sm, uint16_t sid,
				     uint64_t ce[4])
{
	struct vtd_iommu *s = d->s;
	unsigned devfn = sid & 0xff;
	if (!d->uncached && vtd_cc_lookup(&s->cc, sid, ce)) {
		VTD_TRACE(d->t, "context cache", 0, ce, sm ? 4 : 2, "hit for %02x:%02x.%u", sid >> 8,
			  devfn >> 3, devfn & 7);
	} else {
		int r = vtd_decode_context_read(d, root, sm, sid, ce);
		if (r)
			return r;
	}
	if (!sm) {
		d->fpd = vtd_lce_fpd(ce);
		/* TT: 0 untranslated only, 1 also device-TLB, 2 pass-through;
		 * the address width must be supported whatever the type (QEMU
		 * checks it before the type too) */
		unsigned tt = vtd_lce_tt(ce);
		if (tt == 3 || (tt == VTD_TT_ALL && !vtd_ecap_dt(s->ecap)) ||
		    (tt == VTD_TT_PT && !vtd_ecap_pt(s->ecap)))
			return VTD_FR_LCT_4;
		if (!((vtd_cap_sagaw(s->cap) >> vtd_lce_aw(ce)) & 1))
			return VTD_FR_LCT_4;
		return 0;
	}
	d->fpd = vtd_sce_fpd(ce);
	/* SCT.4: enables for features this unit does not offer */
	if ((vtd_sce_dte(ce) && !vtd_ecap_dt(s->ecap)) ||
	    (vtd_sce_pre(ce) && !vtd_ecap_prs(s->ecap)) ||
	    (vtd_sce_paside(ce) && !vtd_ecap_pasid(s->ecap)))
		return VTD_FR_SCT_4;
	return 0;
}

/*
 * The PASID-table entry of pasid under a scalable-mode context entry,
 * through the PASID cache: 0 with qwords 0-2 in pe (3-7 are reserved, and
 * zero), or the fault reason: pasid beyond the directory (SCT.7, or SCT.9
 * when it is the entry's RID_PASID: req_pasid false), the directory entry
 * (SPD.1-3), the PASID entry (SPT.1-3, SPT.3 also for fields this unit
 * does not offer) and its type (SPT.4: PGTT, AW, FSPM).  Checks that
 * depend on the request (SPT.5-6) are the caller's.
 */
int vtd_decode_pasid_read(struct vtd_decode *d, uint16_t sid, const uint64_t ce[4],
			  uint32_t pasid, uint64_t pe[3]);
static VTD_ALWAYS_INLINE int vtd_decode_pasid(struct vtd_decode *d, uint16_t sid, const uint64_t ce[4],
				   uint32_t pasid, bool req_pasid, uint64_t pe[3])
{
	struct vtd_iommu *s = d->s;
	/* beyond the PASID directory: the request's PASID is SCT.7; the
	 * context entry's own RID_PASID is an error in that field, SCT.9 */
	if ((pasid >> 6) >= vtd_sce_dir_entries(ce))
		return req_pasid ? VTD_FR_SCT_7 : VTD_FR_SCT_9;
	uint64_t pcv[4];
	if (!d->uncached && vtd_ct_lookup(&s->pasidc, (1ull << 63) | sid, pasid, pcv, NULL)) {
		pe[0] = pcv[1];
		pe[1] = pcv[2];
		pe[2] = pcv[3];
		d->fpd |= vtd_pde_fpd(pcv[0]) || vtd_pe_fpd(pe);
		VTD_TRACE(d->t, "PASID cache", 0, pcv, 4, "hit for PASID %u", pasid);
	} else {
		int r = vtd_decode_pasid_read(d, sid, ce, pasid, pe);
		if (r)
			return r;
	}
	/* SRE and WPE exist only with ECAP.SRS, EAFE only with ECAP.EAFS,
	 * ERE only with ECAP.ERS, SSADE only with ECAP.SSADS: otherwise they
	 * are reserved (QEMU does not check) */
	if (((vtd_pe_sre(pe) || vtd_pe_wpe(pe)) && !vtd_ecap_srs(s->ecap)) ||
	    (vtd_pe_eafe(pe) && !vtd_ecap_eafs(s->ecap)) ||
	    (vtd_pe_ere(pe) && !vtd_ecap_ers(s->ecap)) ||
	    (vtd_pe_ssade(pe) && !vtd_ecap_ssads(s->ecap)))
		return VTD_FR_SPT_3;
	unsigned pgtt = vtd_pe_pgtt(pe), fspm = vtd_pe_fspm(pe);
	bool pgtt_ok = (pgtt == VTD_PGTT_FS && vtd_ecap_fsts(s->ecap)) ||
		       (pgtt == VTD_PGTT_SS && vtd_ecap_ssts(s->ecap)) ||
		       (pgtt == VTD_PGTT_NESTED && vtd_ecap_nest(s->ecap)) ||
		       (pgtt == VTD_PGTT_PT && vtd_ecap_pt(s->ecap));
	if (!pgtt_ok)
		return VTD_FR_SPT_4;
	if ((pgtt == VTD_PGTT_SS || pgtt == VTD_PGTT_NESTED) &&
	    !((vtd_cap_sagaw(s->cap) >> vtd_pe_aw(pe)) & 1))
		return VTD_FR_SPT_4;
	if ((pgtt == VTD_PGTT_FS || pgtt == VTD_PGTT_NESTED) &&
	    (fspm > 1 || (fspm == 1 && !vtd_cap_fs5lp(s->cap))))
		return VTD_FR_SPT_4;
	return 0;
}

/*
 * What requests without PASID of sid are translated with, as of now
 * (GSTS.TES, the latched root table): the second-stage table (legacy TT 0
 * or 1, or scalable mode with a second-stage RID_PASID entry),
 * pass-through, the first stage (scalable mode, PGTT 1 or 3), or nothing
 * (a fault, or translation disabled: kind VTD_SPACE_NONE, with the reason in
 * fault, 0 when disabled).  For the shadowing notifiers and the host
 * bindings, which follow what a translation would do (an uncached decode).
 */
struct vtd_space {
	enum { VTD_SPACE_NONE, VTD_SPACE_SS, VTD_SPACE_PT, VTD_SPACE_FS } kind;
	uint16_t did;
	uint64_t table;        /* SS: second-stage table; FS: FSPTPTR */
	unsigned levels;
	/* SS with PASID-entry SSADE over a non-snooped walk (ECAP.SMPWC,
	 * PWSNP=0): no accessed/dirty flag can be set, so an entry without A
	 * (and a leaf without D, for writes) faults (SSL.5) */
	bool ad_fixed;
	uint8_t fault;
};
void vtd_decode_space(struct vtd_iommu *s, uint16_t sid, struct vtd_space *sp);

#endif
