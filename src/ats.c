/* SPDX-License-Identifier: MIT */
/*
 * Address translation services for devices with an ATC (device-iotlb=on):
 * translation completions (spec 4.2.3, "Translation Requests") built on
 * vtd_iommu_translate().  Page requests are in prq.c.
 *
 * Not modelled: execute permission in completions (ECAP.ERS=0).
 */
#include "viommu.h"

#include <errno.h>
#include <string.h>

/* How a translation fault answers a Translation Request. */
static enum vtd_ats_status fault_status(uint8_t fr)
{
	switch (fr) {
	/* the IOMMU could not read its own structures: completer abort */
	case VTD_FR_LSL_1: case VTD_FR_LRT_1: case VTD_FR_LCT_1: case VTD_FR_SRT_1:
	case VTD_FR_SCT_1: case VTD_FR_SPD_1: case VTD_FR_SPT_1: case VTD_FR_SFL_1:
	case VTD_FR_SFL_4: case VTD_FR_SSL_1: case VTD_FR_SSL_4: case VTD_FR_SFL_10:
		return VTD_ATS_CA;
	/* root/context/PASID programming does not allow it: unsupported */
	case VTD_FR_LRT_2: case VTD_FR_LCT_2: case VTD_FR_LCT_4: case VTD_FR_LRT_3:
	case VTD_FR_LCT_3: case VTD_FR_LCT_5: case VTD_FR_RTA_1: case VTD_FR_RTA_2:
	case VTD_FR_SRT_2: case VTD_FR_SRT_3: case VTD_FR_SCT_2: case VTD_FR_SCT_3:
	case VTD_FR_SCT_4: case VTD_FR_SCT_5: case VTD_FR_SCT_6: case VTD_FR_SCT_7:
	case VTD_FR_SCT_9: case VTD_FR_SPD_2: case VTD_FR_SPD_3: case VTD_FR_SPT_2:
	case VTD_FR_SPT_3: case VTD_FR_SPT_4: case VTD_FR_SPT_5: case VTD_FR_SPT_6:
		return VTD_ATS_UR;
	/* the page is not there or not allowed: success with R=W=0 */
	default:
		return VTD_ATS_SUCCESS;
	}
}

VTD_API int vtd_iommu_ats_translate(struct vtd_iommu *s, const struct vtd_ats_request *rq,
				    struct vtd_ats_completion *c)
{
	if (!s || !rq || !c)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (vtd_in_callback(s)) {
		/* re-entered from one of our callbacks: the IOMMU cannot
		 * answer now, as when it cannot read its tables */
		c->status = VTD_ATS_CA;
		return -EDEADLK;
	}
	/* no ATS without a device-TLB capability or with remapping off:
	 * the request is not supported */
	if (!vtd_ecap_dt(s->ecap) || !VTD_LOAD(s->dmar_enabled)) {
		c->status = VTD_ATS_UR;
		return 0;
	}
	struct vtd_dma_request d = {
		.sid = rq->sid, .pasid_valid = rq->pasid_valid, .pasid = rq->pasid,
		.addr = rq->addr, .perm = VTD_PERM_R | (rq->exec ? VTD_PERM_X : 0), .priv = rq->priv,
		.at = VTD_AT_TRANSLATION_REQ,
	};
	struct vtd_translation t = { 0 };
	vtd_iommu_translate(s, &d, &t);
	bool exe = rq->exec;
	if (exe && t.status == VTD_XLATE_FAULT && t.fault == VTD_FR_SGN_3) {
		/* readable, not executable (XD): answer with Exe=0 */
		exe = false;
		d.perm = VTD_PERM_R;
		memset(&t, 0, sizeof(t));
		vtd_iommu_translate(s, &d, &t);
	}
	if (t.status == VTD_XLATE_FAULT) {
		c->fault = t.fault;
		c->status = fault_status(t.fault);
		if (c->status == VTD_ATS_SUCCESS) {
			c->addr = rq->addr & ~0xfffull;
			c->size = 4096;
			/* the interrupt range is reached untranslated only */
			c->u = t.fault == VTD_FR_LGN_4 || t.fault == VTD_FR_SGN_8;
		}
		return 0;
	}
	/* a write is possible: ask for it too, so the first stage's dirty
	 * flag is set now unless the device promised not to write (NW) */
	unsigned perm = t.perm;
	if ((perm & VTD_PERM_W) && !rq->no_write) {
		struct vtd_translation tw = { 0 };
		d.perm = VTD_PERM_W;
		if (vtd_iommu_translate(s, &d, &tw) || tw.status != VTD_XLATE_OK)
			perm &= ~VTD_PERM_W;
	}
	uint64_t size = t.page_size ? t.page_size : 4096;
	uint64_t base = t.addr & ~(size - 1);
	c->status = VTD_ATS_SUCCESS;
	c->size = size;
	c->s = size > 4096;
	/* PCIe size encoding: below the size, the bits from 12 up are all
	 * ones except the highest one */
	c->addr = base | (c->s ? (((size >> 1) - 1) & ~0xfffull) : 0);
	c->r = perm & VTD_PERM_R;
	c->w = perm & VTD_PERM_W;
	c->priv = rq->priv && rq->pasid_valid;
	c->exe = exe && (perm & VTD_PERM_R);
	return 0;
}
