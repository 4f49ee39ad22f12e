/* SPDX-License-Identifier: MIT */
/* The page request queue (prq.c). */
#ifndef VTD_PRQ_H
#define VTD_PRQ_H

#include "viommu.h"

/*
 * Write a page request into the guest's queue (lock held).  *answer gets
 * the response code the IOMMU gives on the guest's behalf when the request
 * is not queued (0 Success on overflow, 1 Invalid Request when the device
 * may not ask), or -1; whoever made the request sends it (to an emulated
 * device through events.page_response, to a host device's fault queue),
 * and only for a request that ends its group.
 */
int vtd_prq_insert(struct vtd_iommu *s, const struct vtd_page_request *rq, int *answer);

#endif
