/* SPDX-License-Identifier: MIT */
/*
 * The iommufd host backend: what the kernel says about the IOMMU above a
 * VFIO device (VFIO_DEVICE_BIND_IOMMUFD + IOMMU_GET_HW_INFO).
 *
 * Every system call goes through vtd_sys so tests can stand in for the
 * kernel; every kernel answer is checked before it is believed (a short
 * data_len, an unknown type, an old kernel without the ioctl).
 */
#include "host.h"
#include "uapi.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int real_open(const char *path, int flags) { return open(path, flags); }
static int real_close(int fd) { return close(fd); }
static int real_ioctl(int fd, unsigned long req, void *arg) { return ioctl(fd, req, arg); }

static const struct vtd_sys_ops real_sys = { real_open, real_close, real_ioctl };
const struct vtd_sys_ops *vtd_sys = &real_sys;

const struct vtd_sys_ops *vtd_sys_set(const struct vtd_sys_ops *ops)
{
	const struct vtd_sys_ops *old = vtd_sys;
	vtd_sys = ops ? ops : &real_sys;
	return old;
}

#define safe vtd_safe_str

static int bind_device(int devfd, int iommufd, uint32_t *devid, const char *path,
		       struct vtd_error *err)
{
	struct vtd_vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .flags = 0, .iommufd = iommufd,
	};
	if (vtd_sys->ioctl(devfd, VTD_VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
		int e = errno;
		char p[128];
		if (e == EINVAL)
			vtd_error_add(err, VTD_ERR_IO,
				      "%s: VFIO_DEVICE_BIND_IOMMUFD rejected the request (%s)",
				      safe(path, p, sizeof(p)), strerror(e));
		else if (e == ENOTTY)
			vtd_error_add(err, VTD_ERR_UNSUPPORTED,
				      "%s: VFIO_DEVICE_BIND_IOMMUFD is not supported (%s): the kernel "
				      "needs Linux 6.6 or later with CONFIG_VFIO_DEVICE_CDEV and "
				      "CONFIG_IOMMUFD", safe(path, p, sizeof(p)), strerror(e));
		else if (e == EBUSY)
			vtd_error_add(err, VTD_ERR_IO,
				      "%s: device is in use (already bound, or opened through a VFIO "
				      "group): %s", safe(path, p, sizeof(p)), strerror(e));
		else
			vtd_error_add(err, VTD_ERR_IO, "%s: VFIO_DEVICE_BIND_IOMMUFD failed: %s",
				      safe(path, p, sizeof(p)), strerror(e));
		return -e;
	}
	*devid = bind.out_devid;
	return 0;
}

static int get_hw_info(int iommufd, uint32_t devid, struct vtd_host_device *dev,
		       struct vtd_error *err)
{
	struct vtd_iommu_hw_info_vtd vtd;
	/* Poison the buffer: the kernel must overwrite (or zero) what it
	 * reports, so stale bytes cannot pass for register values. */
	memset(&vtd, 0xa5, sizeof(vtd));
	struct vtd_iommu_hw_info info = {
		.size = sizeof(info),
		.dev_id = devid,
		.data_len = sizeof(vtd),
		.data_uptr = (uint64_t)(uintptr_t)&vtd,
	};
	if (vtd_sys->ioctl(iommufd, VTD_IOMMU_GET_HW_INFO, &info) < 0) {
		int e = errno;
		if (e == ENOTTY)
			vtd_error_add(err, VTD_ERR_UNSUPPORTED,
				      "IOMMU_GET_HW_INFO is not supported by this kernel (needs Linux "
				      "6.6 or later)");
		else if (e == EOPNOTSUPP)
			vtd_error_add(err, VTD_ERR_UNSUPPORTED,
				      "IOMMU_GET_HW_INFO: the IOMMU driver reports no hardware "
				      "information (EOPNOTSUPP)");
		else
			vtd_error_add(err, VTD_ERR_IO, "IOMMU_GET_HW_INFO failed: %s", strerror(e));
		return -e;
	}
	dev->hw_info_type = info.out_data_type;
	dev->max_pasid_log2 = info.out_max_pasid_log2;
	dev->hw_caps = info.out_capabilities;
	if (info.out_data_type != VTD_HW_INFO_TYPE_INTEL_VTD) {
		/* Not VT-d: there are no VT-d registers to read.  The check
		 * names the type; this is not an error of the probe. */
		dev->cap = dev->ecap = 0;
		dev->hw_info_flags = 0;
		return 0;
	}
	/* data_len now holds the kernel's length of the VT-d data; fewer
	 * bytes than the struct means the registers were not all given. */
	if (info.data_len < sizeof(vtd)) {
		vtd_error_add(err, VTD_ERR_IO,
			      "IOMMU_GET_HW_INFO returned %u bytes of VT-d data, expected %zu: "
			      "cannot read CAP/ECAP", info.data_len, sizeof(vtd));
		return -EPROTO;
	}
	dev->hw_info_flags = vtd.flags;
	dev->cap = vtd.cap_reg;
	dev->ecap = vtd.ecap_reg;
	return 0;
}

/* /dev/vfio/devices/vfioN -> /sys/class/vfio-dev/vfioN/device (the PCI device) */
static void topology_from_cdev(const char *cdev, struct vtd_host_device *dev)
{
	const char *base = strrchr(cdev, '/');
	base = base ? base + 1 : cdev;
	if (strncmp(base, "vfio", 4) || strlen(base) > 32)
		return;
	char link[PATH_MAX];
	if (!vtd_fmt(link, sizeof(link), "/sys/class/vfio-dev/%s/device", base))
		return;
	char real[PATH_MAX];
	if (!realpath(link, real))
		return;
	vtd_host_pci_topology(real, dev);
}

VTD_API int vtd_host_probe_iommufd(const char *cdev, struct vtd_host_device *dev,
				   struct vtd_error *err)
{
	vtd_error_clear(err);
	if (!cdev || !dev)
		return -EINVAL;
	memset(dev, 0, sizeof(*dev));
	char p[128];
	vtd_fmt(dev->name, sizeof(dev->name), "%s", safe(cdev, p, sizeof(p)));
	vtd_fmt(dev->description, sizeof(dev->description), "iommufd: %s", safe(cdev, p, sizeof(p)));
	dev->source = VTD_HOST_SRC_IOMMUFD;
	dev->backend = VTD_BACKEND_IOMMUFD;

	int iommufd = vtd_sys->open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0) {
		int e = errno;
		if (e == ENOENT)
			vtd_error_add(err, VTD_ERR_UNSUPPORTED,
				      "/dev/iommu does not exist: the kernel lacks CONFIG_IOMMUFD "
				      "(or the iommufd module is not loaded)");
		else
			vtd_error_add(err, VTD_ERR_IO, "cannot open /dev/iommu: %s", strerror(e));
		return -e;
	}
	int devfd = vtd_sys->open(cdev, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		int e = errno;
		if (e == ENOENT)
			vtd_error_add(err, VTD_ERR_IO,
				      "%s does not exist: bind the device to vfio-pci (the kernel "
				      "needs CONFIG_VFIO_DEVICE_CDEV for /dev/vfio/devices/)", dev->name);
		else
			vtd_error_add(err, VTD_ERR_IO, "cannot open %s: %s", dev->name, strerror(e));
		vtd_sys->close(iommufd);
		return -e;
	}
	uint32_t devid = 0;
	int r = bind_device(devfd, iommufd, &devid, cdev, err);
	if (!r)
		r = get_hw_info(iommufd, devid, dev, err);
	/* Closing the device fd unbinds it from iommufd. */
	vtd_sys->close(devfd);
	vtd_sys->close(iommufd);
	if (r)
		return r;
	topology_from_cdev(cdev, dev);
	return 0;
}
