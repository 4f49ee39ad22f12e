/* SPDX-License-Identifier: MIT */
/*
 * Invalidation: register-based (CCMD, IOTLB/IVA) requests and the
 * invalidation queue.
 *
 * Status: the granularity rules and their reporting are complete; no
 * translation is cached yet (the caches come with the cache module), so
 * invalidating drops nothing, and the queue is not yet processed: IQT
 * advances but IQH does not (see the caches issue).
 */
#include "viommu.h"

void vtd_cache_reset(struct vtd_iommu *s)
{
	(void)s; /* no translation caches yet */
}

void vtd_cache_reset_iec(struct vtd_iommu *s)
{
	(void)s; /* no interrupt entry cache yet */
}

unsigned vtd_inval_context(struct vtd_iommu *s, unsigned cirg, uint16_t did, uint16_t sid,
			   unsigned fm)
{
	(void)did;
	(void)sid;
	(void)fm;
	/* In scalable mode (RTADDR.TTM=01b) register-based context
	 * invalidation is not allowed: report it refused. */
	if (s->root_scalable)
		return 0;
	switch (cirg) {
	case 1: /* global */
	case 2: /* domain-selective */
	case 3: /* device-selective */
		return cirg;
	default:
		return 0;
	}
}

unsigned vtd_inval_iotlb(struct vtd_iommu *s, unsigned iirg, uint16_t did, uint64_t addr,
			 unsigned am, bool ih)
{
	(void)did;
	(void)ih;
	if (s->root_scalable)
		return 0;
	switch (iirg) {
	case 1: /* global */
	case 2: /* domain-selective */
		return iirg;
	case 3: /* page-selective within a domain */
		if (!vtd_cap_psi(s->cap) || am > vtd_cap_mamv(s->cap))
			return 0;
		/* Low address bits under the mask are ignored, as hardware
		 * does: the range is the aligned 2^AM pages holding addr. */
		addr &= ~((1ull << (12 + am)) - 1);
		(void)addr;
		return 3;
	default:
		return 0;
	}
}

void vtd_inval_kick(struct vtd_iommu *s)
{
	(void)s; /* queued invalidation is processed by the caches work */
}
