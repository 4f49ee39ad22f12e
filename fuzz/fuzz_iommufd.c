/* SPDX-License-Identifier: MIT */
/*
 * The iommufd probe against a kernel that answers with fuzzer-chosen
 * bytes: errors, short or oversized data, any type, any registers.  The
 * probe must never crash, read beyond what it was given, or believe data it
 * was not given.
 */
#include "../src/host/host.h"
#include "../src/host/uapi.h"

#include <errno.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *in;
static size_t in_len, in_pos;

static int take(void *buf, size_t n)
{
	memset(buf, 0, n);
	size_t k = in_len - in_pos < n ? in_len - in_pos : n;
	memcpy(buf, in + in_pos, k);
	in_pos += k;
	return (int)k;
}

static int m_open(const char *path, int flags)
{
	(void)path;
	(void)flags;
	uint8_t b;
	take(&b, 1);
	if (b == 0xff) {
		errno = ENOENT;
		return -1;
	}
	return 100 + b;
}

static int m_close(int fd)
{
	(void)fd;
	return 0;
}

static int m_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd;
	uint8_t ctl;
	take(&ctl, 1);
	if (ctl >= 0xf0) {
		static const int errs[] = { ENOTTY, EINVAL, EOPNOTSUPP, EBUSY, EPERM, ENOMEM };
		errno = errs[ctl % 6];
		return -1;
	}
	if (req == VTD_VFIO_DEVICE_BIND_IOMMUFD) {
		struct vtd_vfio_device_bind_iommufd *b = arg;
		take(&b->out_devid, 4);
	} else if (req == VTD_IOMMU_GET_HW_INFO) {
		struct vtd_iommu_hw_info *h = arg;
		uint32_t user_len = h->data_len;
		uint8_t kdata[64];
		uint32_t klen;
		take(&klen, 4);
		klen %= 65;
		take(kdata, klen);
		uint32_t copy = klen < user_len ? klen : user_len;
		memcpy((void *)(uintptr_t)h->data_uptr, kdata, copy);
		if (user_len > copy)
			memset((uint8_t *)(uintptr_t)h->data_uptr + copy, 0, user_len - copy);
		h->data_len = klen;
		take(&h->out_data_type, 4);
		take(&h->out_max_pasid_log2, 1);
		take(&h->out_capabilities, 8);
	}
	return 0;
}

static const struct vtd_sys_ops mock = { m_open, m_close, m_ioctl };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in = data;
	in_len = size;
	in_pos = 0;
	const struct vtd_sys_ops *old = vtd_sys_set(&mock);
	struct vtd_host_device d;
	struct vtd_error err;
	if (!vtd_host_probe_iommufd("/dev/vfio/devices/vfio0", &d, &err)) {
		struct vtd_config cfg;
		vtd_config_parse(&cfg, "x-scalable-mode=on,x-flts=on,caching-mode=on", NULL);
		struct vtd_compat_result r;
		vtd_compat_check(&cfg, &d, &r);
	}
	vtd_sys_set(old);
	return 0;
}
