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

/*
 * read(2)/write(2) on the fault fd, kept apart from vtd_sys_ops so tables
 * written for the ioctl-only backend stay valid.  Same rules: tests swap
 * the table; NULL restores the real one.
 */
struct vtd_sys_rw_ops {
	ssize_t (*read)(int fd, void *buf, size_t len);
	ssize_t (*write)(int fd, const void *buf, size_t len);
};
extern const struct vtd_sys_rw_ops *vtd_sys_rw;
const struct vtd_sys_rw_ops *vtd_sys_rw_set(const struct vtd_sys_rw_ops *ops);

/* Read the PCI facts (BDF, aliasing bridge) of a sysfs PCI device directory. */
void vtd_host_pci_topology(const char *pci_dev_dir, struct vtd_host_device *dev);

#endif
