/* SPDX-License-Identifier: MIT */
/* Internal to the host backends. */
#ifndef VTD_HOST_INTERNAL_H
#define VTD_HOST_INTERNAL_H

#include "../internal.h"

#include <sys/types.h>

extern const struct vtd_host_profile vtd_profiles_data[];
extern const unsigned vtd_profiles_count;

/*
 * The system calls the iommufd backend makes, as a table so that tests can
 * play the kernel (success, each errno, short data, other IOMMU types)
 * without /dev/iommu.  vtd_sys points at the real calls by default.
 */
struct vtd_sys_ops {
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	int (*ioctl)(int fd, unsigned long req, void *arg);
};
extern const struct vtd_sys_ops *vtd_sys;
/* Swap the table (tests); returns the previous one.  NULL restores the real one. */
const struct vtd_sys_ops *vtd_sys_set(const struct vtd_sys_ops *ops);

/* Read the PCI facts (BDF, aliasing bridge) of a sysfs PCI device directory. */
void vtd_host_pci_topology(const char *pci_dev_dir, struct vtd_host_device *dev);

#endif
