/* SPDX-License-Identifier: MIT */
/* Host devices with nested translation (nest.c); callers hold s->lock. */
#ifndef VTD_NEST_H
#define VTD_NEST_H

#include "viommu.h"

/* Bind each attached device to what its PASID entries now say. */
void vtd_nest_follow_all(struct vtd_iommu *s);
/* Forward an IOTLB/PASID invalidation to the host's nested page tables. */
void vtd_nest_invalidate_devs(struct vtd_iommu *s, bool all_domains, uint16_t did, uint32_t pasid,
			 uint64_t addr, unsigned am, bool ih, bool whole);
/* Inline: with no host device attached, an invalidation pays a load. */
static inline void vtd_nest_invalidate(struct vtd_iommu *s, bool all_domains, uint16_t did,
				       uint32_t pasid, uint64_t addr, unsigned am, bool ih, bool whole)
{
	if (s->nest)
		vtd_nest_invalidate_devs(s, all_domains, did, pasid, addr, am, ih, whole);
}
void vtd_nest_free_all(struct vtd_iommu *s);
/* A page group response of the guest: when it answers a group a host
 * device's fault queue reported, send it there and return true. */
bool vtd_nest_page_response(struct vtd_iommu *s, uint16_t sid, bool pasid_valid, uint32_t pasid,
			    uint16_t prg_index, uint8_t code);

#endif
