/* SPDX-License-Identifier: MIT */
/* The MMIO dispatcher (regs.c): the public vtd_iommu_mmio_read/write(). */
#ifndef VTD_REGS_H
#define VTD_REGS_H

#include "viommu.h"

/* Every register to its reset value and access masks (lock held or no
 * other user yet). */
void vtd_regs_reset(struct vtd_iommu *s);

#endif
