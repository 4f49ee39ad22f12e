/* SPDX-License-Identifier: MIT */
/*
 * Page requests (svm=on, ECAP.PRS): the page request queue (PQA/PQH/PQT),
 * its status (PRS) and event (PECTL), and its overflow rule (spec 7.5.1,
 * "Page Request Queue"; 11.4.11).  Requests come from emulated devices
 * (vtd_iommu_page_request) and from host devices' fault queues (nest.c).
 *
 * Not modelled: stop markers (ECAP.SMS=0), page-request drain beyond
 * ordering (PD is accepted and completes at once, as the queue is
 * processed synchronously).
 */
#include "prq.h"
#include "fault.h"
#include "mem.h"
#include "tables.h"

#include <errno.h>

static void pr_event(struct vtd_iommu *s, uint32_t prs_before)
{
	/* one interrupt per transition of the status from clear to set */
	if (prs_before & (VTD_PRS_PPR | VTD_PRS_PRO))
		return;
	vtd_csr_event(s, VTD_REG_PECTL);
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

/* (prq.h) */
int vtd_prq_insert(struct vtd_iommu *s, const struct vtd_page_request *rq, int *answer)
{
	*answer = -1;
	if (!s->dmar_enabled || !s->root_scalable) /* page requests need scalable mode: RTA.3 */
		return pr_fault(s, rq, VTD_FR_RTA_3, answer);
	/* the device's context entry must allow page requests (PRE) */
	struct vtd_decode dc;
	vtd_decode_init(&dc, s, NULL);
	uint64_t ce[4];
	int r = vtd_decode_context(&dc, s->root, true, rq->sid, ce);
	if (r)
		return pr_fault(s, rq, r, answer);
	if (!vtd_sce_pre(ce))
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
