/* SPDX-License-Identifier: MIT */
/* libvtd-iommu: what the rest of QEMU needs to know of the device. */
#ifndef HW_I386_LIBVTD_IOMMU_H
#define HW_I386_LIBVTD_IOMMU_H

#include "hw/acpi/bios-linker-loader.h"

#define TYPE_LIBVTD_IOMMU "libvtd-iommu"

/* The interrupt address range: DMA writes here are MSIs. */
#define LIBVTD_MSI_BASE 0xfee00000ull
#define LIBVTD_MSI_SIZE 0x100000ull

/* The ACPI DMAR table for the machine's libvtd-iommu (acpi-build.c). */
void libvtd_iommu_build_dmar(GArray *table_data, BIOSLinker *linker, const char *oem_id,
                             const char *oem_table_id);

#endif
