/* SPDX-License-Identifier: MIT */
/* libvtd: umbrella header.  See libvtd(3). */
#ifndef VTD_VTD_H
#define VTD_VTD_H

#include <vtd/common.h>
#include <vtd/config.h>
#include <vtd/caps.h>
#include <vtd/iommu.h>
#include <vtd/host.h>
#include <vtd/acpi.h>

#endif
