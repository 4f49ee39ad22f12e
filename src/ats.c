/* SPDX-License-Identifier: MIT */
/*
 * Address translation services for devices with an ATC (device-iotlb=on)
 * and page requests (svm=on): translation completions, the page request
 * queue (PQA/PQH/PQT, PRS, PECTL) and its overflow rule.
 *
 * Not modelled: execute permission in completions (ECAP.ERS=0), stop
 * markers (ECAP.SMS=0), page-request drain beyond ordering (PD is accepted
 * and completes at once, as the queue is processed synchronously).
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

/* ---- page requests ------------------------------------------------------- */

static void pr_event(struct vtd_iommu *s, uint32_t prs_before)
{
	/* one interrupt per transition of the status from clear to set */
	if (prs_before & (VTD_PRS_PPR | VTD_PRS_PRO))
		return;
	vtd_set_clear_l(s, VTD_REG_PECTL, VTD_ECTL_IP, 0);
	if (vtd_get_l(s, VTD_REG_PECTL) & VTD_ECTL_IM)
		return;
	vtd_regs_send_msi(s, VTD_REG_PEDATA, VTD_REG_PEADDR, VTD_REG_PEUADDR);
	vtd_set_clear_l(s, VTD_REG_PECTL, 0, VTD_ECTL_IP);
}

/* The request cannot be queued: record the fault; a group it ends is
 * answered Invalid Request. */
static int pr_fault(struct vtd_iommu *s, const struct vtd_page_request *rq,
		    enum vtd_fault_reason reason, int *answer)
{
	struct vtd_fault_rec f = {
		.sid = rq->sid, .reason = reason, .is_write = rq->write, .addr = rq->addr,
		.pasid_valid = rq->pasid_valid, .pasid = rq->pasid, .priv = rq->priv,
		.exec = rq->exec, .at = VTD_AT_TRANSLATION_REQ,
	};
	vtd_fault_record(s, &f);
	*answer = 1;
	return -EPERM;
}

/*
 * Write a page request into the guest's queue (lock held).  *answer gets
 * the response code the IOMMU gives on the guest's behalf when the request
 * is not queued (0 Success on overflow, 1 Invalid Request when the device
 * may not ask), or -1; whoever made the request sends it (to an emulated
 * device through events.page_response, to a host device's fault queue),
 * and only for a request that ends its group.
 */
int vtd_prq_insert(struct vtd_iommu *s, const struct vtd_page_request *rq, int *answer)
{
	*answer = -1;
	if (!s->dmar_enabled || !s->root_scalable) /* page requests need scalable mode: RTA.3 */
		return pr_fault(s, rq, VTD_FR_RTA_3, answer);
	/* the device's context entry must allow page requests (PRE) */
	uint64_t re[2], ce[4];
	unsigned bus = rq->sid >> 8, devfn = rq->sid & 0xff;
	if (vtd_mem_read(s, s->root + bus * 16, re, 16))
		return pr_fault(s, rq, VTD_FR_SRT_1, answer);
	uint64_t half = devfn < 128 ? re[0] : re[1];
	if (!(half & 1))
		return pr_fault(s, rq, VTD_FR_SRT_2, answer);
	if (vtd_mem_read(s, (half & s->haw_mask & ~0xfffull) + (devfn & 0x7f) * 32, ce, 32))
		return pr_fault(s, rq, VTD_FR_SCT_1, answer);
	if (!(ce[0] & 1))
		return pr_fault(s, rq, VTD_FR_SCT_2, answer);
	if (!(ce[0] & 16))
		return pr_fault(s, rq, VTD_FR_SCT_8, answer);
	uint64_t pqa = vtd_get_q(s, VTD_REG_PQA);
	uint32_t entries = 128u << (pqa & 7);
	uint32_t head = (uint32_t)((vtd_get_q(s, VTD_REG_PQH) >> 5) & 0x3fff) % entries;
	uint32_t tail = (uint32_t)((vtd_get_q(s, VTD_REG_PQT) >> 5) & 0x3fff) % entries;
	uint32_t prs = vtd_get_l(s, VTD_REG_PRS);
	if ((tail + 1) % entries == head || (prs & VTD_PRS_PRO)) {
		/* full (or still overflowed): drop it, set PRO, and answer a
		 * last-in-group request with Success so the device retries */
		vtd_set_clear_l(s, VTD_REG_PRS, VTD_PRS_PRO, 0);
		pr_event(s, prs);
		*answer = 0;
		return -ENOSPC;
	}
	uint64_t d[4] = {
		1 | ((uint64_t)rq->pasid_valid << 8) | ((uint64_t)rq->sid << 16) |
			((uint64_t)(rq->pasid & 0xfffff) << 32) | ((uint64_t)rq->exec << 52) |
			((uint64_t)rq->priv << 53),
		(uint64_t)rq->read | ((uint64_t)rq->write << 1) | ((uint64_t)rq->last << 2) |
			((uint64_t)rq->prg_index << 3) | (rq->addr & ~0xfffull),
		0, 0,
	};
	uint64_t base = pqa & s->haw_mask & ~0xfffull;
	if (vtd_mem_write(s, base + (uint64_t)tail * 32, d, sizeof(d)))
		return -EFAULT; /* the queue is not in memory: nothing can be reported there */
	tail = (tail + 1) % entries;
	vtd_set_q(s, VTD_REG_PQT, (uint64_t)tail << 5);
	vtd_set_clear_l(s, VTD_REG_PRS, VTD_PRS_PPR, 0);
	pr_event(s, prs);
	return 0;
}

VTD_API int vtd_iommu_page_request(struct vtd_iommu *s, const struct vtd_page_request *rq)
{
	if (!s || !rq || rq->prg_index > 0x1ff || rq->pasid > 0xfffff)
		return -EINVAL;
	if (!vtd_ecap_prs(s->ecap))
		return -EPERM;
	if (vtd_in_callback(s))
		return -EDEADLK;
	pthread_mutex_lock(&s->lock);
	int answer;
	int rc = vtd_prq_insert(s, rq, &answer);
	/* the device is told what the IOMMU answered for the guest */
	if (answer >= 0 && rq->last && s->events.page_response)
		VTD_CALLBACK(s, s->events.page_response(s->event_opaque, rq->sid, rq->pasid_valid,
							 rq->pasid, rq->prg_index, (uint8_t)answer));
	pthread_mutex_unlock(&s->lock);
	return rc;
}
