/* SPDX-License-Identifier: MIT */
/* Shadowing notifiers (notify.c), synced after invalidations (lock held). */
#ifndef VTD_NOTIFY_H
#define VTD_NOTIFY_H

#include "viommu.h"

void vtd_notify_sync_list(struct vtd_iommu *s, bool all_domains, uint16_t did, uint64_t lo,
			  uint64_t hi);
/* Inline: with no notifier, as nearly always, an invalidation pays a load. */
static inline void vtd_notify_sync(struct vtd_iommu *s, bool all_domains, uint16_t did,
				   uint64_t lo, uint64_t hi)
{
	if (s->notifiers)
		vtd_notify_sync_list(s, all_domains, did, lo, hi);
}
void vtd_notify_free_all(struct vtd_iommu *s);

#endif
