/* SPDX-License-Identifier: MIT */
/*
 * The register window: access rules (read-only, reserved, write-1-to-clear,
 * write-only, 32/64-bit) and the side effects of command registers.
 *
 * Reset values and masks follow QEMU's vtd_init() where QEMU follows the
 * spec; where it does not, the spec wins and the difference is noted here:
 *  - GCMD.CFI is implemented (GSTS.CFIS), QEMU ignores it;
 *  - FEUADDR/IEUADDR/PEUADDR are writable when ECAP.EIM=1 (x2APIC message
 *    addresses), QEMU keeps them read-only;
 *  - FSTS.ICE/ITE are write-1-to-clear when ECAP.DT=1;
 *  - CCMD domain-selective requests report domain granularity (CAIG=2)
 *    because the context cache is tagged by domain; QEMU widens to global;
 *  - IQA reads back what software wrote;
 *  - clearing the last FRCD.F clears FECTL.IP (QEMU only does so on FSTS
 *    writes, and then raises a stale interrupt on unmask).
 */
#include "regs.h"
#include "fault.h"
#include "inval.h"

#include <errno.h>
#include <string.h>

static void put_l(uint8_t *a, unsigned off, uint32_t v)
{
	vtd_csr_store(a, off, 4, v);
}

static void put_q(uint8_t *a, unsigned off, uint64_t v)
{
	vtd_csr_store(a, off, 8, v);
}

static void define_l(struct vtd_iommu *s, unsigned off, uint32_t val, uint32_t wmask,
		     uint32_t w1c)
{
	put_l(s->csr, off, val);
	put_l(s->wmask, off, wmask);
	put_l(s->w1cmask, off, w1c);
	put_l(s->womask, off, 0);
}

static void define_q(struct vtd_iommu *s, unsigned off, uint64_t val, uint64_t wmask,
		     uint64_t w1c)
{
	put_q(s->csr, off, val);
	put_q(s->wmask, off, wmask);
	put_q(s->w1cmask, off, w1c);
	put_q(s->womask, off, 0);
}

void vtd_regs_reset(struct vtd_iommu *s)
{
	memset(s->csr, 0, sizeof(s->csr));
	memset(s->wmask, 0, sizeof(s->wmask));
	memset(s->w1cmask, 0, sizeof(s->w1cmask));
	memset(s->womask, 0, sizeof(s->womask));

	bool eim = vtd_ecap_eim(s->ecap);
	uint32_t uaddr_mask = eim ? 0xffffffffu : 0;

	define_l(s, VTD_REG_VER, vtd_caps_version(&s->cfg), 0, 0);
	define_q(s, VTD_REG_CAP, s->cap, 0, 0);
	define_q(s, VTD_REG_ECAP, s->ecap, 0, 0);
	/* GCMD reads back undefined (0 here); only the command bits exist. */
	define_l(s, VTD_REG_GCMD, 0, 0xff800000u, 0);
	put_l(s->womask, VTD_REG_GCMD, 0xff800000u);
	define_l(s, VTD_REG_GSTS, 0, 0, 0);
	define_q(s, VTD_REG_RTADDR, 0, 0xfffffffffffffc00ull, 0);
	/* CCMD: ICC, CIRG, FM, SID, DID; FM and SID are write-only. */
	define_q(s, VTD_REG_CCMD, 0, 0xe0000003ffffffffull, 0);
	put_q(s->womask, VTD_REG_CCMD, 0x3ffff0000ull);
	uint32_t fsts_w1c = VTD_FSTS_PFO | VTD_FSTS_IQE;
	if (vtd_ecap_dt(s->ecap))
		fsts_w1c |= VTD_FSTS_ICE | VTD_FSTS_ITE;
	define_l(s, VTD_REG_FSTS, 0, 0, fsts_w1c);
	define_l(s, VTD_REG_FECTL, VTD_ECTL_IM, VTD_ECTL_IM, 0);
	define_l(s, VTD_REG_FEDATA, 0, 0x0000ffffu, 0);
	define_l(s, VTD_REG_FEADDR, 0, 0xfffffffcu, 0);
	define_l(s, VTD_REG_FEUADDR, 0, uaddr_mask, 0);
	/* PMEN exists but no protected region is offered (CAP.PLMR/PHMR=0). */
	define_l(s, VTD_REG_PMEN, 0, 0, 0);
	define_q(s, VTD_REG_IQH, 0, 0, 0);
	define_q(s, VTD_REG_IQT, 0, 0x7fff0ull, 0);
	define_q(s, VTD_REG_IQA, 0, 0xfffffffffffff807ull, 0);
	define_l(s, VTD_REG_ICS, 0, 0, VTD_ICS_IWC);
	define_l(s, VTD_REG_IECTL, VTD_ECTL_IM, VTD_ECTL_IM, 0);
	define_l(s, VTD_REG_IEDATA, 0, 0xffffffffu, 0);
	define_l(s, VTD_REG_IEADDR, 0, 0xfffffffcu, 0);
	define_l(s, VTD_REG_IEUADDR, 0, uaddr_mask, 0);
	define_q(s, VTD_REG_IQERCD, 0, 0, 0);
	if (vtd_ecap_ir(s->ecap))
		define_q(s, VTD_REG_IRTA, 0, 0xfffffffffffff80full, 0);
	if (vtd_ecap_prs(s->ecap)) {
		define_q(s, VTD_REG_PQH, 0, 0x7ffe0ull, 0);
		define_q(s, VTD_REG_PQT, 0, 0x7ffe0ull, 0);
		define_q(s, VTD_REG_PQA, 0, 0xfffffffffffff007ull, 0);
		define_l(s, VTD_REG_PRS, 0, 0, VTD_PRS_PPR | VTD_PRS_PRO);
		define_l(s, VTD_REG_PECTL, VTD_ECTL_IM, VTD_ECTL_IM, 0);
		define_l(s, VTD_REG_PEDATA, 0, 0x0000ffffu, 0);
		define_l(s, VTD_REG_PEADDR, 0, 0xfffffffcu, 0);
		define_l(s, VTD_REG_PEUADDR, 0, uaddr_mask, 0);
	}
	/* IVA is write-only; IOTLB: IVT, IIRG, DR, DW, DID. */
	define_q(s, VTD_REG_IVA, 0, 0xfffffffffffff07full, 0);
	put_q(s->womask, VTD_REG_IVA, 0xfffffffffffff07full);
	define_q(s, VTD_REG_IOTLB, 0, 0xb003ffff00000000ull, 0);
	for (unsigned i = 0; i < VTD_NUM_FRCD; i++) {
		define_q(s, VTD_REG_FRCD + 16 * i, 0, 0, 0);
		define_q(s, VTD_REG_FRCD + 16 * i + 8, 0, 0, VTD_FRCD_F);
	}
}

/* ---- command side effects ---------------------------------------------- */

static void gcmd_write(struct vtd_iommu *s, uint32_t cmd)
{
	uint32_t sts = vtd_get_l(s, VTD_REG_GSTS);
	/* Software must change one field per write; if it changes several we
	 * still act on each, from the top bit down, so the outcome is
	 * deterministic (the spec leaves it undefined). */
	if ((cmd ^ sts) & VTD_GCMD_TE && s->cfg.dma_translation) {
		bool en = cmd & VTD_GCMD_TE;
		VTD_STORE(s->dmar_enabled, en);
		sts = en ? (sts | VTD_GSTS_TES) : (sts & ~VTD_GSTS_TES);
		if (!en)
			s->next_frcd = 0;
		vtd_cache_reset(s);
	}
	if (cmd & VTD_GCMD_SRTP) {
		uint64_t rt = vtd_get_q(s, VTD_REG_RTADDR);
		VTD_STORE(s->root, rt & s->haw_mask & ~0xfffull);
		VTD_STORE(s->root_scalable, s->cfg.scalable_mode && (rt & VTD_RTADDR_SMT));
		VTD_STORE(s->root_ttm, (unsigned)((rt >> VTD_RTADDR_TTM_SHIFT) & 3));
		/* CAP.ESRTPS: the root pointer change drops every cached
		 * translation, so software need not invalidate. */
		vtd_cache_reset(s);
		sts |= VTD_GSTS_RTPS;
	}
	if ((cmd ^ sts) & VTD_GCMD_QIE) {
		bool en = cmd & VTD_GCMD_QIE;
		if (en) {
			uint64_t iqa = vtd_get_q(s, VTD_REG_IQA);
			s->iq = iqa & s->haw_mask & ~0xfffull;
			s->iq_dw = vtd_ecap_smts(s->ecap) && (iqa & VTD_IQA_DW);
			s->iq_size = 1u << ((iqa & VTD_IQA_QS_MASK) + 8 - (s->iq_dw ? 1 : 0));
			s->qi_enabled = true;
			sts |= VTD_GSTS_QIES;
			vtd_inval_kick(s);
		} else {
			s->qi_enabled = false;
			s->iq_head = 0;
			vtd_set_q(s, VTD_REG_IQH, 0);
			sts &= ~VTD_GSTS_QIES;
		}
	}
	if (vtd_ecap_ir(s->ecap)) {
		if ((cmd ^ sts) & VTD_GCMD_IRE) {
			bool en = cmd & VTD_GCMD_IRE;
			VTD_STORE(s->intr_enabled, en);
			sts = en ? (sts | VTD_GSTS_IRES) : (sts & ~VTD_GSTS_IRES);
			/* every interrupt now remaps (or passes) differently */
			vtd_iec_record(s, true, 0, 0);
		}
		if (cmd & VTD_GCMD_SIRTP) {
			uint64_t irta = vtd_get_q(s, VTD_REG_IRTA);
			VTD_STORE(s->intr_root, irta & s->haw_mask & ~0xfffull);
			VTD_STORE(s->intr_size, 1u << ((irta & VTD_IRTA_S_MASK) + 1));
			VTD_STORE(s->intr_eime, vtd_ecap_eim(s->ecap) && (irta & VTD_IRTA_EIME));
			vtd_cache_reset_iec(s);
			vtd_iec_record(s, true, 0, 0);
			sts |= VTD_GSTS_IRTPS;
		}
		if ((cmd ^ sts) & VTD_GCMD_CFI) {
			sts ^= VTD_GSTS_CFIS;
			VTD_STORE(s->cfi_enabled, (sts & VTD_GSTS_CFIS) != 0);
			/* compatibility-format interrupts pass or fault now */
			vtd_iec_record(s, true, 0, 0);
		}
	}
	/* SFL, EAFL (no advanced fault logging) and WBF (CAP.RWBF=0) are
	 * reserved for this unit and ignored. */
	vtd_set_l(s, VTD_REG_GSTS, sts);
}

static void ccmd_write(struct vtd_iommu *s)
{
	uint64_t v = vtd_get_q(s, VTD_REG_CCMD);
	if (!(v & VTD_CCMD_ICC))
		return;
	/* With the queue enabled, register-based invalidation is not to be
	 * used; like QEMU, leave ICC set so software sees it never completed. */
	if (s->qi_enabled)
		return;
	unsigned cirg = (v >> VTD_CCMD_CIRG_SHIFT) & 3;
	uint16_t did = (uint16_t)v;
	uint16_t sid = (uint16_t)(v >> 16);
	unsigned fm = (v >> VTD_CCMD_FM_SHIFT) & 3;
	/* With a scalable-mode root table, register-based invalidation is
	 * not supported (the spec's TTM rule): report it refused. */
	unsigned caig = s->root_scalable ? 0 : vtd_inval_context(s, cirg, did, sid, fm);
	v &= ~(VTD_CCMD_ICC | (3ull << VTD_CCMD_CAIG_SHIFT));
	v |= (uint64_t)caig << VTD_CCMD_CAIG_SHIFT;
	vtd_set_q(s, VTD_REG_CCMD, v);
}

static void iotlb_write(struct vtd_iommu *s)
{
	uint64_t v = vtd_get_q(s, VTD_REG_IOTLB);
	if (!(v & VTD_IOTLB_IVT))
		return;
	if (s->qi_enabled)
		return;
	unsigned iirg = (v >> VTD_IOTLB_IIRG_SHIFT) & 3;
	uint16_t did = (uint16_t)(v >> VTD_IOTLB_DID_SHIFT);
	/* IVA is write-only: its written value lives in the image even though
	 * reads show 0 */
	uint64_t iva = vtd_get_q(s, VTD_REG_IVA);
	unsigned iaig = s->root_scalable ? 0
					 : vtd_inval_iotlb(s, iirg, did, iva & ~0xfffull,
							   (unsigned)(iva & VTD_IVA_AM_MASK),
							   (iva & VTD_IVA_IH) != 0);
	v &= ~(VTD_IOTLB_IVT | (3ull << VTD_IOTLB_IAIG_SHIFT));
	v |= (uint64_t)iaig << VTD_IOTLB_IAIG_SHIFT;
	vtd_set_q(s, VTD_REG_IOTLB, v);
}

/* FECTL.IP clears once software has serviced every pending condition:
 * the W1C status bits, and for primary faults every FRCD.F (so PPF is 0). */
static void fault_ip_serviced(struct vtd_iommu *s)
{
	const uint32_t pending = VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE |
				 VTD_FSTS_ICE | VTD_FSTS_ITE;
	if (!(vtd_get_l(s, VTD_REG_FSTS) & pending))
		vtd_set_clear_l(s, VTD_REG_FECTL, 0, VTD_ECTL_IP);
}

static void fsts_write(struct vtd_iommu *s)
{
	fault_ip_serviced(s);
	/* Clearing IQE lets the queue run again from IQH. */
	if (!(vtd_get_l(s, VTD_REG_FSTS) & VTD_FSTS_IQE))
		vtd_inval_kick(s);
}

static void side_effects(struct vtd_iommu *s, unsigned off, unsigned size)
{
	/* A register is "written" when any of its bytes is: a 32-bit write to
	 * either half of a 64-bit register counts, as QEMU does for the halves
	 * that hold the command bit. */
	unsigned lo = off, hi = off + size;
#define HITS(reg, len) (lo < (reg) + (len) && hi > (reg))
	if (HITS(VTD_REG_GCMD, 4))
		gcmd_write(s, vtd_get_l(s, VTD_REG_GCMD));
	if (HITS(VTD_REG_CCMD + 4, 4))
		ccmd_write(s);
	if (HITS(VTD_REG_IOTLB + 4, 4))
		iotlb_write(s);
	if (HITS(VTD_REG_FSTS, 4))
		fsts_write(s);
	if (HITS(VTD_REG_FECTL, 4))
		vtd_csr_unmask(s, VTD_REG_FECTL);
	if (HITS(VTD_REG_ICS, 4)) {
		if (!(vtd_get_l(s, VTD_REG_ICS) & VTD_ICS_IWC))
			vtd_set_clear_l(s, VTD_REG_IECTL, 0, VTD_ECTL_IP);
	}
	if (HITS(VTD_REG_IECTL, 4))
		vtd_csr_unmask(s, VTD_REG_IECTL);
	if (HITS(VTD_REG_IQT, 4))
		vtd_inval_kick(s);
	if (vtd_ecap_prs(s->ecap)) {
		if (HITS(VTD_REG_PRS, 4) &&
		    !(vtd_get_l(s, VTD_REG_PRS) & (VTD_PRS_PPR | VTD_PRS_PRO)))
			vtd_set_clear_l(s, VTD_REG_PECTL, 0, VTD_ECTL_IP);
		if (HITS(VTD_REG_PECTL, 4))
			vtd_csr_unmask(s, VTD_REG_PECTL);
	}
	for (unsigned i = 0; i < VTD_NUM_FRCD; i++)
		if (HITS(VTD_REG_FRCD + 16 * i + 12, 4)) {
			vtd_fault_update_ppf(s);
			/* QEMU leaves IP set here, so a later unmask raises
			 * a stale interrupt; the spec clears it. */
			fault_ip_serviced(s);
		}
#undef HITS
}

static bool access_ok(uint64_t offset, unsigned size)
{
	return (size == 4 || size == 8) && offset < VTD_MMIO_WINDOW &&
	       (offset & (size - 1)) == 0;
}

VTD_API int vtd_iommu_mmio_read(struct vtd_iommu *s, uint64_t offset, unsigned size,
				uint64_t *value)
{
	if (value)
		*value = 0;
	if (!s || !value)
		return -EINVAL;
	if (!access_ok(offset, size))
		return -EINVAL;
	/* from one of our callbacks, perhaps with the lock held: refuse */
	if (vtd_in_callback(s))
		return -EDEADLK;
	if (offset + size > VTD_REG_END)
		return 0; /* no register there: reads as zero */
	unsigned off = (unsigned)offset;
	pthread_mutex_lock(&s->lock);
	uint64_t v = vtd_csr_load(s->csr, off, size) & ~vtd_csr_load(s->womask, off, size);
	pthread_mutex_unlock(&s->lock);
	*value = v;
	return 0;
}

VTD_API int vtd_iommu_mmio_write(struct vtd_iommu *s, uint64_t offset, unsigned size,
				 uint64_t value)
{
	if (!s || !access_ok(offset, size))
		return -EINVAL;
	if (vtd_in_callback(s))
		return -EDEADLK;
	if (offset + size > VTD_REG_END)
		return 0; /* reserved: writes are dropped */
	unsigned off = (unsigned)offset;
	if (size == 4)
		value &= 0xffffffffu;
	pthread_mutex_lock(&s->lock);
	uint64_t old = vtd_csr_load(s->csr, off, size);
	uint64_t wm = vtd_csr_load(s->wmask, off, size);
	uint64_t w1c = vtd_csr_load(s->w1cmask, off, size);
	uint64_t nv = ((old & ~wm) | (value & wm)) & ~(w1c & value);
	vtd_csr_store(s->csr, off, size, nv);
	side_effects(s, off, size);
	struct vtd_iec_event ev;
	bool iec = vtd_iec_take(s, &ev);
	pthread_mutex_unlock(&s->lock);
	/* unlocked: the VMM rebuilds its routes through vtd_iommu_remap_msi() */
	if (iec)
		vtd_iec_deliver(s, &ev);
	return 0;
}

static const struct {
	uint16_t off;
	uint8_t size;
	const char *name;
} reg_names[] = {
	{ VTD_REG_VER, 4, "VER" }, { VTD_REG_CAP, 8, "CAP" }, { VTD_REG_ECAP, 8, "ECAP" },
	{ VTD_REG_GCMD, 4, "GCMD" }, { VTD_REG_GSTS, 4, "GSTS" },
	{ VTD_REG_RTADDR, 8, "RTADDR" }, { VTD_REG_CCMD, 8, "CCMD" },
	{ VTD_REG_FSTS, 4, "FSTS" }, { VTD_REG_FECTL, 4, "FECTL" },
	{ VTD_REG_FEDATA, 4, "FEDATA" }, { VTD_REG_FEADDR, 4, "FEADDR" },
	{ VTD_REG_FEUADDR, 4, "FEUADDR" }, { VTD_REG_AFLOG, 8, "AFLOG" },
	{ VTD_REG_PMEN, 4, "PMEN" }, { VTD_REG_PLMBASE, 4, "PLMBASE" },
	{ VTD_REG_PLMLIMIT, 4, "PLMLIMIT" }, { VTD_REG_PHMBASE, 8, "PHMBASE" },
	{ VTD_REG_PHMLIMIT, 8, "PHMLIMIT" }, { VTD_REG_IQH, 8, "IQH" },
	{ VTD_REG_IQT, 8, "IQT" }, { VTD_REG_IQA, 8, "IQA" }, { VTD_REG_ICS, 4, "ICS" },
	{ VTD_REG_IECTL, 4, "IECTL" }, { VTD_REG_IEDATA, 4, "IEDATA" },
	{ VTD_REG_IEADDR, 4, "IEADDR" }, { VTD_REG_IEUADDR, 4, "IEUADDR" },
	{ VTD_REG_IQERCD, 8, "IQERCD" }, { VTD_REG_IRTA, 8, "IRTA" },
	{ VTD_REG_PQH, 8, "PQH" }, { VTD_REG_PQT, 8, "PQT" }, { VTD_REG_PQA, 8, "PQA" },
	{ VTD_REG_PRS, 4, "PRS" }, { VTD_REG_PECTL, 4, "PECTL" },
	{ VTD_REG_PEDATA, 4, "PEDATA" }, { VTD_REG_PEADDR, 4, "PEADDR" },
	{ VTD_REG_PEUADDR, 4, "PEUADDR" }, { VTD_REG_IVA, 8, "IVA" },
	{ VTD_REG_IOTLB, 8, "IOTLB" }, { VTD_REG_MTRRCAP, 8, "MTRRCAP" },
	{ VTD_REG_MTRRDEF, 8, "MTRRDEF" },
	{ VTD_REG_FRCD, 8, "FRCD0_LO" }, { VTD_REG_FRCD + 8, 8, "FRCD0_HI" },
};

VTD_API const char *vtd_reg_name(uint64_t offset)
{
	for (size_t i = 0; i < VTD_ARRAY_SIZE(reg_names); i++)
		if (offset == reg_names[i].off)
			return reg_names[i].name;
	return NULL;
}
