/* SPDX-License-Identifier: MIT */
/*
 * The one decode of the guest's root, context, PASID-directory and
 * PASID-table entries (tables.h), with the faults the spec gives each
 * violation, through the context and PASID caches.  Translation, page
 * requests, nested host bindings and the shadowing notifiers all call it,
 * so they cannot disagree on what an entry means.
 *
 * Bounded work: one root, one context, one PASID-directory and one
 * PASID-table entry per decode.
 */
#include "tables.h"
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vtd_trace_step(struct vtd_trace *t, const char *what, uint64_t addr, const uint64_t *v,
		    unsigned n, const char *fmt, ...)
{
	if (!t || t->n >= VTD_TRACE_MAX)
		return;
	struct vtd_trace_step *st = &t->step[t->n++];
	memset(st, 0, sizeof(*st));
	snprintf(st->what, sizeof(st->what), "%s", what);
	st->addr = addr;
	st->nval = n > 4 ? 4 : n;
	for (unsigned i = 0; i < st->nval; i++)
		st->val[i] = v[i];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->note, sizeof(st->note), fmt, ap);
	va_end(ap);
}

void vtd_tables_init(struct vtd_iommu *s)
{
	for (unsigned leaf = 0; leaf < 2; leaf++) {
		for (unsigned level = 1; level < VTD_ARRAY_SIZE(s->ss_rsvd[0]); level++)
			s->ss_rsvd[leaf][level] = vtd_ss_rsvd_of(s, level, leaf);
		for (unsigned level = 1; level < VTD_ARRAY_SIZE(s->fs_rsvd[0]); level++)
			s->fs_rsvd[leaf][level] = vtd_fs_rsvd_of(s, level, leaf);
	}
}

/* ---- root and context entries ---------------------------------------------- */

/* The context cache's fast word for a legacy context entry that passed
 * every check and translates through the second stage (TT 0 or 1,
 * supported AW); 0 for anything else. */
static uint32_t legacy_fast(const struct vtd_iommu *s, const uint64_t ce[2])
{
	unsigned tt = vtd_lce_tt(ce), aw = vtd_lce_aw(ce);
	if (tt >= VTD_TT_PT || (tt == VTD_TT_ALL && !vtd_ecap_dt(s->ecap)) ||
	    !((vtd_cap_sagaw(s->cap) >> aw) & 1))
		return 0;
	return (uint32_t)vtd_lce_did(ce) << 16 | VTD_CCF_SS;
}

/* The root entry of sid's bus (legacy: one per bus; scalable mode: the
 * half for sid's devfn): 0 and the context table's address, or LRT/SRT
 * .1 (unreadable), .2 (not present), .3 (reserved bits). */
static int read_root(struct vtd_decode *d, uint64_t root, uint16_t sid, bool sm, uint64_t *ctp)
{
	struct vtd_iommu *s = d->s;
	unsigned bus = sid >> 8, devfn = sid & 0xff;
	uint64_t re[2], rea = root + bus * 16;
	if (vtd_mem_read(s, rea, re, 16)) {
		VTD_TRACE(d->t, "root entry", rea, NULL, 0, "bus %u: cannot be read", bus);
		return sm ? VTD_FR_SRT_1 : VTD_FR_LRT_1;
	}
	uint64_t half = vtd_re_half(re, (uint8_t)devfn, sm);
	VTD_TRACE(d->t, "root entry", rea, re, 2, "bus %u%s: P=%u context table 0x%llx", bus,
		  !sm ? "" : devfn < 128 ? ", lower half" : ", upper half", (unsigned)vtd_re_p(half),
		  (unsigned long long)vtd_re_ctp(half));
	if (!vtd_re_p(half))
		return sm ? VTD_FR_SRT_2 : VTD_FR_LRT_2;
	/* legacy: the upper 64 bits are reserved */
	if ((half & (VTD_RE_RSVD | ~s->haw_mask)) || (!sm && re[1]))
		return sm ? VTD_FR_SRT_3 : VTD_FR_LRT_3;
	*ctp = vtd_re_ctp(half);
	return 0;
}

static int read_legacy(struct vtd_decode *d, uint64_t root, uint16_t sid, uint64_t ce[4])
{
	struct vtd_iommu *s = d->s;
	unsigned devfn = sid & 0xff;
	uint64_t ctp;
	int r = read_root(d, root, sid, false, &ctp);
	if (r)
		return r;
	uint64_t cea = ctp + devfn * 16;
	if (vtd_mem_read(s, cea, ce, 16)) {
		VTD_TRACE(d->t, "context entry", cea, NULL, 0, "devfn %02x.%u: cannot be read",
			  devfn >> 3, devfn & 7);
		return VTD_FR_LCT_1;
	}
	d->fpd = vtd_lce_fpd(ce);
	VTD_TRACE(d->t, "context entry", cea, ce, 2,
		  "dev %02x.%u: P=%u FPD=%u TT=%u AW=%u (%u-level) DID=%u table 0x%llx",
		  devfn >> 3, devfn & 7, (unsigned)vtd_lce_p(ce), d->fpd, vtd_lce_tt(ce),
		  vtd_lce_aw(ce), vtd_lce_aw(ce) + 2, vtd_lce_did(ce),
		  (unsigned long long)vtd_lce_ssptptr(ce));
	if (!vtd_lce_p(ce))
		return VTD_FR_LCT_2;
	if ((ce[0] & (VTD_LCE_RSVD0 | ~s->haw_mask)) || (ce[1] & VTD_LCE_RSVD1))
		return VTD_FR_LCT_3;
	if (!d->uncached)
		vtd_cc_insert(&s->cc, sid, ce, &s->inval_gen, d->gen0, legacy_fast(s, ce),
			      vtd_ss_walk_word(s, vtd_lce_ssptptr(ce), vtd_lce_aw(ce) + 2));
	return 0;
}

static int read_scalable(struct vtd_decode *d, uint64_t root, uint16_t sid, uint64_t ce[4])
{
	struct vtd_iommu *s = d->s;
	unsigned devfn = sid & 0xff;
	uint64_t ctp;
	int r = read_root(d, root, sid, true, &ctp);
	if (r)
		return r;
	uint64_t cea = ctp + (devfn & 0x7f) * 32;
	if (vtd_mem_read(s, cea, ce, 32)) {
		VTD_TRACE(d->t, "context entry", cea, NULL, 0, "cannot be read");
		return VTD_FR_SCT_1;
	}
	d->fpd = vtd_sce_fpd(ce);
	VTD_TRACE(d->t, "context entry", cea, ce, 4,
		  "dev %02x.%u: P=%u FPD=%u DTE=%u PASIDE=%u PDTS=%u (%u dir entries) "
		  "RID_PASID=%u dir 0x%llx", devfn >> 3, devfn & 7, (unsigned)vtd_sce_p(ce),
		  d->fpd, (unsigned)vtd_sce_dte(ce), (unsigned)vtd_sce_paside(ce), vtd_sce_pdts(ce),
		  vtd_sce_dir_entries(ce), vtd_sce_rid_pasid(ce),
		  (unsigned long long)vtd_sce_pasiddirptr(ce));
	if (!vtd_sce_p(ce))
		return VTD_FR_SCT_2;
	if ((ce[0] & (VTD_SCE_RSVD0 | ~s->haw_mask)) || (ce[1] & VTD_SCE_RSVD1) || ce[2] || ce[3])
		return VTD_FR_SCT_3;
	if (!d->uncached)
		vtd_cc_insert(&s->cc, sid, ce, &s->inval_gen, d->gen0, 0, 0);
	return 0;
}

int vtd_decode_context_read(struct vtd_decode *d, uint64_t root, bool sm, uint16_t sid,
			    uint64_t ce[4])
{
	if (!sm)
		ce[2] = ce[3] = 0;
	return sm ? read_scalable(d, root, sid, ce) : read_legacy(d, root, sid, ce);
}

/* ---- PASID directory and table entries ------------------------------------- */

static int read_pasid(struct vtd_decode *d, uint16_t sid, const uint64_t ce[4], uint32_t pasid,
		      uint64_t *pde, uint64_t pe[8])
{
	struct vtd_iommu *s = d->s;
	uint64_t pdea = (vtd_sce_pasiddirptr(ce) & s->haw_mask) + (uint64_t)(pasid >> 6) * 8;
	if (vtd_mem_read64(s, pdea, pde)) {
		VTD_TRACE(d->t, "PASID dir entry", pdea, NULL, 0, "PASID %u: cannot be read", pasid);
		return VTD_FR_SPD_1;
	}
	d->fpd |= vtd_pde_fpd(*pde);
	VTD_TRACE(d->t, "PASID dir entry", pdea, pde, 1, "PASID %u: P=%u FPD=%u table 0x%llx",
		  pasid, (unsigned)vtd_pde_p(*pde), (unsigned)vtd_pde_fpd(*pde),
		  (unsigned long long)vtd_pde_smptblptr(*pde));
	if (!vtd_pde_p(*pde))
		return VTD_FR_SPD_2;
	if (*pde & (VTD_PDE_RSVD | ~s->haw_mask))
		return VTD_FR_SPD_3;
	uint64_t pea = vtd_pde_smptblptr(*pde) + (uint64_t)(pasid & 0x3f) * 64;
	if (vtd_mem_read(s, pea, pe, 64)) {
		VTD_TRACE(d->t, "PASID entry", pea, NULL, 0, "cannot be read");
		return VTD_FR_SPT_1;
	}
	d->fpd |= vtd_pe_fpd(pe);
	VTD_TRACE(d->t, "PASID entry", pea, pe, 4,
		  "P=%u FPD=%u PGTT=%u DID=%u SS AW=%u table 0x%llx; SRE=%u WPE=%u EAFE=%u "
		  "FSPM=%u FS table 0x%llx", (unsigned)vtd_pe_p(pe), (unsigned)vtd_pe_fpd(pe),
		  vtd_pe_pgtt(pe), vtd_pe_did(pe), vtd_pe_aw(pe),
		  (unsigned long long)vtd_pe_ssptptr(pe), (unsigned)vtd_pe_sre(pe),
		  (unsigned)vtd_pe_wpe(pe), (unsigned)vtd_pe_eafe(pe), vtd_pe_fspm(pe),
		  (unsigned long long)vtd_pe_fsptptr(pe));
	if (!vtd_pe_p(pe))
		return VTD_FR_SPT_2;
	/* reserved: pointers beyond the address width; qword 2 bits 11:8;
	 * qwords 3-7 entirely */
	if ((pe[0] & ~s->haw_mask & VTD_PAGE_MASK) || (pe[2] & ~s->haw_mask & VTD_PAGE_MASK) ||
	    (pe[2] & VTD_PE_RSVD2) || pe[3] || pe[4] || pe[5] || pe[6] || pe[7])
		return VTD_FR_SPT_3;
	if (d->uncached)
		return 0;
	uint64_t v[4] = { *pde, pe[0], pe[1], pe[2] };
	vtd_ct_insert(&s->pasidc, (1ull << 63) | sid, pasid, vtd_pe_did(pe), 0, false, v,
		      &s->inval_gen, d->gen0);
	return 0;
}

int vtd_decode_pasid_read(struct vtd_decode *d, uint16_t sid, const uint64_t ce[4],
			  uint32_t pasid, uint64_t pe[3])
{
	uint64_t pde, full[8];
	int r = read_pasid(d, sid, ce, pasid, &pde, full);
	if (!r)
		memcpy(pe, full, 3 * sizeof(*pe));
	return r;
}

/* ---- what a device's requests without PASID use ------------------------------ */

void vtd_decode_space(struct vtd_iommu *s, uint16_t sid, struct vtd_space *sp)
{
	memset(sp, 0, sizeof(*sp));
	if (!VTD_LOAD(s->dmar_enabled))
		return;
	bool sm = VTD_LOAD(s->root_scalable);
	unsigned ttm = VTD_LOAD(s->root_ttm);
	if (ttm >= 2 || (ttm == 1 && !sm)) {
		sp->fault = VTD_FR_RTA_1;
		return;
	}
	struct vtd_decode d;
	vtd_decode_init_uncached(&d, s);
	uint64_t ce[4], pe[3];
	int r = vtd_decode_context(&d, VTD_LOAD(s->root), sm, sid, ce);
	if (r) {
		sp->fault = (uint8_t)r;
		return;
	}
	if (!sm) {
		sp->did = vtd_lce_did(ce);
		if (vtd_lce_tt(ce) == VTD_TT_PT) {
			sp->kind = VTD_SPACE_PT;
		} else {
			sp->kind = VTD_SPACE_SS;
			sp->table = vtd_lce_ssptptr(ce) & s->haw_mask;
			sp->levels = vtd_lce_aw(ce) + 2;
		}
		return;
	}
	r = vtd_decode_pasid(&d, sid, ce, vtd_sce_rid_pasid(ce), false, pe);
	if (r) {
		sp->fault = (uint8_t)r;
		return;
	}
	sp->did = vtd_pe_did(pe);
	switch (vtd_pe_pgtt(pe)) {
	case VTD_PGTT_PT:
		sp->kind = VTD_SPACE_PT;
		break;
	case VTD_PGTT_SS:
		sp->kind = VTD_SPACE_SS;
		sp->table = vtd_pe_ssptptr(pe) & s->haw_mask;
		sp->levels = vtd_pe_aw(pe) + 2;
		sp->ad_fixed = vtd_pe_ssade(pe) && vtd_ecap_smpwcs(s->ecap) && !vtd_pe_pwsnp(pe);
		break;
	default: /* first stage, nested */
		sp->kind = VTD_SPACE_FS;
		sp->table = vtd_pe_fsptptr(pe);
		sp->levels = vtd_pe_fs_levels(pe);
		break;
	}
}
