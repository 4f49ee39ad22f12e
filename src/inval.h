/* SPDX-License-Identifier: MIT */
/*
 * Invalidation (inval.c): register-based (CCMD, IOTLB/IVA) and queued
 * (IQA/IQH/IQT) invalidation of the caches, forwarded to the notifiers and
 * to nested host devices.  Callers hold s->lock.
 */
#ifndef VTD_INVAL_H
#define VTD_INVAL_H

#include "viommu.h"

/* Drop cached translations (context, PASID, IOTLB) / interrupt entries:
 * what SRTP, TE, SIRTP and state restore imply. */
void vtd_cache_reset(struct vtd_iommu *s);
void vtd_cache_reset_iec(struct vtd_iommu *s);

/* Register-based invalidation; each returns the granularity actually
 * performed (CAIG / IAIG), 0 when the request was refused. */
unsigned vtd_inval_context(struct vtd_iommu *s, unsigned cirg, uint16_t did, uint16_t sid,
			   unsigned fm);
unsigned vtd_inval_iotlb(struct vtd_iommu *s, unsigned iirg, uint16_t did, uint64_t addr,
			 unsigned am, bool ih);
/* Process the invalidation queue from IQH to IQT (bounded by its size). */
void vtd_inval_kick(struct vtd_iommu *s);

/* Interrupt-remapping invalidation events, lock held: record one (global,
 * or entries [index, index + count)); take what is pending (returns false
 * when nothing is).  vtd_iec_deliver, without the lock, tells irq_inval. */
void vtd_iec_record(struct vtd_iommu *s, bool global, uint32_t index, uint32_t count);
bool vtd_iec_take(struct vtd_iommu *s, struct vtd_iec_event *ev);
void vtd_iec_deliver(struct vtd_iommu *s, const struct vtd_iec_event *ev);

#endif
