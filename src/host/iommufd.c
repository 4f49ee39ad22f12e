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

static ssize_t real_read(int fd, void *buf, size_t len) { return read(fd, buf, len); }
static ssize_t real_write(int fd, const void *buf, size_t len) { return write(fd, buf, len); }

static const struct vtd_sys_rw_ops real_rw = { real_read, real_write };
const struct vtd_sys_rw_ops *vtd_sys_rw = &real_rw;

const struct vtd_sys_rw_ops *vtd_sys_rw_set(const struct vtd_sys_rw_ops *ops)
{
	const struct vtd_sys_rw_ops *old = vtd_sys_rw;
	vtd_sys_rw = ops ? ops : &real_rw;
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

/* Open /dev/iommu and the VFIO cdev and bind them; messages in *err. */
static int open_bind(const char *cdev, int *iommufd_out, int *devfd_out, uint32_t *devid,
		     struct vtd_error *err)
{
	char p[128];
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
				      "needs CONFIG_VFIO_DEVICE_CDEV for /dev/vfio/devices/)",
				      safe(cdev, p, sizeof(p)));
		else
			vtd_error_add(err, VTD_ERR_IO, "cannot open %s: %s", safe(cdev, p, sizeof(p)),
				      strerror(e));
		vtd_sys->close(iommufd);
		return -e;
	}
	int r = bind_device(devfd, iommufd, devid, cdev, err);
	if (r) {
		vtd_sys->close(devfd);
		vtd_sys->close(iommufd);
		return r;
	}
	*iommufd_out = iommufd;
	*devfd_out = devfd;
	return 0;
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
	int iommufd, devfd;
	uint32_t devid = 0;
	int r = open_bind(cdev, &iommufd, &devfd, &devid, err);
	if (r)
		return r;
	r = get_hw_info(iommufd, devid, dev, err);
	/* Closing the device fd unbinds it from iommufd. */
	vtd_sys->close(devfd);
	vtd_sys->close(iommufd);
	if (r)
		return r;
	topology_from_cdev(cdev, dev);
	return 0;
}

/* ---- the iommufd host backend (nesting) ---------------------------------- */

/* Records one read(2) of the fault fd asks for.  The kernel hands out
 * whole groups only, so a group of more pages than this can never be read
 * (6.12 answers EINVAL, later kernels 0): it stays until the table is
 * replaced or freed, when the kernel answers it Invalid itself. */
#define FQ_BATCH 256

struct vtd_iommufd {
	int iommufd, devfd;
	uint32_t devid;
	uint32_t ioas;
	/* the device's fault queue (0: none) and its fd */
	uint32_t fq;
	int fq_fd;
	/* records read from the fd and not yet handed out: a read takes
	 * whole groups, the library may ask for fewer */
	struct vtd_iommu_hwpt_pgfault *batch;
	unsigned batch_n, batch_pos;
	bool batch_short;          /* the read ended inside a record */
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	return vtd_sys->ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static int f_alloc_parent(void *ctx, uint32_t *parent)
{
	struct vtd_iommufd *f = ctx;
	if (!f->ioas) {
		struct vtd_iommu_ioas_alloc a = { .size = sizeof(a) };
		int r = xioctl(f->iommufd, VTD_IOMMU_IOAS_ALLOC, &a);
		if (r)
			return r;
		f->ioas = a.out_ioas_id;
	}
	struct vtd_iommu_hwpt_alloc h = {
		.size = sizeof(h), .flags = VTD_IOMMU_HWPT_ALLOC_NEST_PARENT,
		.dev_id = f->devid, .pt_id = f->ioas, .data_type = VTD_IOMMU_HWPT_DATA_NONE,
	};
	int r = xioctl(f->iommufd, VTD_IOMMU_HWPT_ALLOC, &h);
	if (!r)
		*parent = h.out_hwpt_id;
	return r;
}

static int f_map(void *ctx, uint64_t gpa, uint64_t size, void *hva, bool writable)
{
	struct vtd_iommufd *f = ctx;
	struct vtd_iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = VTD_IOMMU_IOAS_MAP_FIXED_IOVA | VTD_IOMMU_IOAS_MAP_READABLE |
			 (writable ? VTD_IOMMU_IOAS_MAP_WRITEABLE : 0),
		.ioas_id = f->ioas, .user_va = (uint64_t)(uintptr_t)hva, .length = size, .iova = gpa,
	};
	return xioctl(f->iommufd, VTD_IOMMU_IOAS_MAP, &m);
}

static int f_unmap(void *ctx, uint64_t gpa, uint64_t size)
{
	struct vtd_iommufd *f = ctx;
	struct vtd_iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = f->ioas, .iova = gpa,
					  .length = size };
	return xioctl(f->iommufd, VTD_IOMMU_IOAS_UNMAP, &u);
}

static int nested_alloc(struct vtd_iommufd *f, uint32_t parent, const struct vtd_s1_cfg *s1,
			uint32_t fault_id, uint32_t *hwpt)
{
	/* the kernel does not check unknown flags or alignment (it drops the
	 * low bits): refuse them here */
	if ((s1->flags & ~(VTD_S1_SRE | VTD_S1_EAFE | VTD_S1_WPE)) || (s1->pgtbl_addr & 0xfff) ||
	    (s1->addr_width != 48 && s1->addr_width != 57))
		return -EINVAL;
	struct vtd_iommu_hwpt_vtd_s1 d = {
		.flags = (s1->flags & VTD_S1_SRE ? VTD_IOMMU_VTD_S1_SRE : 0) |
			 (s1->flags & VTD_S1_EAFE ? VTD_IOMMU_VTD_S1_EAFE : 0) |
			 (s1->flags & VTD_S1_WPE ? VTD_IOMMU_VTD_S1_WPE : 0),
		.pgtbl_addr = s1->pgtbl_addr, .addr_width = s1->addr_width,
	};
	struct vtd_iommu_hwpt_alloc h = {
		.size = sizeof(h), .flags = fault_id ? VTD_IOMMU_HWPT_FAULT_ID_VALID : 0,
		.dev_id = f->devid, .pt_id = parent,
		.data_type = VTD_IOMMU_HWPT_DATA_VTD_S1, .data_len = sizeof(d),
		.data_uptr = (uint64_t)(uintptr_t)&d, .fault_id = fault_id,
	};
	int r = xioctl(f->iommufd, VTD_IOMMU_HWPT_ALLOC, &h);
	if (!r)
		*hwpt = h.out_hwpt_id;
	return r;
}

static int f_alloc_nested(void *ctx, uint32_t parent, const struct vtd_s1_cfg *s1, uint32_t *hwpt)
{
	return nested_alloc(ctx, parent, s1, 0, hwpt);
}

static int f_free_hwpt(void *ctx, uint32_t hwpt)
{
	struct vtd_iommufd *f = ctx;
	struct vtd_iommu_destroy d = { .size = sizeof(d), .id = hwpt };
	return xioctl(f->iommufd, VTD_IOMMU_DESTROY, &d);
}

static int f_attach(void *ctx, uint32_t dev, uint32_t pasid, uint32_t hwpt)
{
	struct vtd_iommufd *f = ctx;
	(void)dev; /* one device per backend object: its fd */
	bool with_pasid = pasid != VTD_HOST_NO_PASID;
	if (hwpt) {
		/* 12 bytes (Linux 6.6 layout) unless a PASID is named */
		struct vtd_vfio_device_attach_iommufd_pt a = {
			.argsz = with_pasid ? 16 : 12, .flags = with_pasid ? VTD_VFIO_DEVICE_ATTACH_PASID : 0,
			.pt_id = hwpt, .pasid = with_pasid ? pasid : 0,
		};
		return xioctl(f->devfd, VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
	}
	struct vtd_vfio_device_detach_iommufd_pt d = {
		.argsz = with_pasid ? 12 : 8, .flags = with_pasid ? VTD_VFIO_DEVICE_DETACH_PASID : 0,
		.pasid = with_pasid ? pasid : 0,
	};
	return xioctl(f->devfd, VTD_VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static int f_invalidate(void *ctx, uint32_t hwpt, const struct vtd_s1_inval *inv, uint32_t n,
			uint32_t *done)
{
	struct vtd_iommufd *f = ctx;
	enum { MAX = 64 };
	struct vtd_iommu_hwpt_vtd_s1_invalidate e[MAX];
	*done = 0;
	while (*done < n) {
		uint32_t k = n - *done < MAX ? n - *done : MAX;
		for (uint32_t i = 0; i < k; i++)
			e[i] = (struct vtd_iommu_hwpt_vtd_s1_invalidate){
				.addr = inv[*done + i].addr, .npages = inv[*done + i].npages,
				.flags = inv[*done + i].flags & VTD_S1_INV_LEAF ? VTD_IOMMU_VTD_INV_FLAGS_LEAF : 0,
			};
		struct vtd_iommu_hwpt_invalidate c = {
			.size = sizeof(c), .hwpt_id = hwpt, .data_uptr = (uint64_t)(uintptr_t)e,
			.data_type = VTD_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, .entry_len = sizeof(e[0]),
			.entry_num = k,
		};
		int r = xioctl(f->iommufd, VTD_IOMMU_HWPT_INVALIDATE, &c);
		/* entry_num comes back as the number handled, also when the
		 * handler fails (it stops before a bad entry, so below k); a
		 * call refused before the handler ran leaves it at k */
		if (!r)
			*done += c.entry_num <= k ? c.entry_num : k;
		else if (c.entry_num < k)
			*done += c.entry_num;
		if (r)
			return r;
		if (c.entry_num < k)
			return -EIO;
	}
	return 0;
}

static const struct vtd_host_ops iommufd_ops = {
	f_alloc_parent, f_map, f_unmap, f_alloc_nested, f_free_hwpt, f_attach, f_invalidate,
};

/* ---- the fault queue (IOMMU_FAULT_QUEUE_ALLOC) --------------------------- */

static int f_alloc_queue(void *ctx, uint32_t *queue)
{
	struct vtd_iommufd *f = ctx;
	if (f->fq)
		return -EEXIST; /* one device, one queue */
	if (!f->batch) {
		f->batch = calloc(FQ_BATCH, sizeof(*f->batch));
		if (!f->batch)
			return -ENOMEM;
	}
	struct vtd_iommu_fault_alloc a = { .size = sizeof(a) };
	int r = xioctl(f->iommufd, VTD_IOMMU_FAULT_QUEUE_ALLOC, &a);
	if (r)
		return r;
	if (!a.out_fault_id || a.out_fault_fd > INT_MAX) {
		/* not an answer the kernel gives: do not use (or close) an fd
		 * we cannot trust, and give the object back */
		if (a.out_fault_id) {
			struct vtd_iommu_destroy d = { .size = sizeof(d), .id = a.out_fault_id };
			xioctl(f->iommufd, VTD_IOMMU_DESTROY, &d);
		}
		return -EPROTO;
	}
	f->fq = a.out_fault_id;
	f->fq_fd = (int)a.out_fault_fd;
	f->batch_n = f->batch_pos = 0;
	f->batch_short = false;
	*queue = f->fq;
	return 0;
}

static int f_free_queue(void *ctx, uint32_t queue)
{
	struct vtd_iommufd *f = ctx;
	if (!f->fq || queue != f->fq)
		return -ENOENT;
	/* the fd holds a reference on the object: close it first */
	vtd_sys->close(f->fq_fd);
	struct vtd_iommu_destroy d = { .size = sizeof(d), .id = f->fq };
	int r = xioctl(f->iommufd, VTD_IOMMU_DESTROY, &d);
	f->fq = 0;
	f->fq_fd = -1;
	f->batch_n = f->batch_pos = 0;
	return r;
}

static int f_alloc_nested_fq(void *ctx, uint32_t parent, const struct vtd_s1_cfg *s1,
			     uint32_t queue, uint32_t *hwpt)
{
	struct vtd_iommufd *f = ctx;
	if (!f->fq || queue != f->fq)
		return -ENOENT;
	return nested_alloc(f, parent, s1, queue, hwpt);
}

/* One kernel record as the library takes it; anything the guest could not
 * be told truthfully is marked malformed (answered Invalid if it ends a
 * group, never delivered). */
static void convert(const struct vtd_iommufd *f, const struct vtd_iommu_hwpt_pgfault *k,
		    struct vtd_host_iopf *o)
{
	memset(o, 0, sizeof(*o));
	o->addr = k->addr & ~0xfffull;
	o->cookie = k->cookie;
	o->pasid_valid = k->flags & VTD_IOMMU_PGFAULT_FLAGS_PASID_VALID;
	o->pasid = o->pasid_valid ? k->pasid : 0;
	o->prg_index = (uint16_t)(k->grpid & 0x1ff);
	o->last = k->flags & VTD_IOMMU_PGFAULT_FLAGS_LAST_PAGE;
	o->read = k->perm & VTD_IOMMU_PGFAULT_PERM_READ;
	o->write = k->perm & VTD_IOMMU_PGFAULT_PERM_WRITE;
	o->exec = k->perm & VTD_IOMMU_PGFAULT_PERM_EXEC;
	o->priv = k->perm & VTD_IOMMU_PGFAULT_PERM_PRIV;
	/* other flag bits are ignored: Intel hosts set the kernel-internal
	 * NEEDS_PASID bit next to PASID_VALID */
	o->malformed = k->dev_id != f->devid || k->grpid > 0x1ff ||
		       (o->pasid_valid && k->pasid > 0xfffff);
}

static int f_read_faults(void *ctx, uint32_t queue, struct vtd_host_iopf *out, unsigned max)
{
	struct vtd_iommufd *f = ctx;
	if (!f->fq || queue != f->fq)
		return -ENOENT;
	if (!max)
		return 0;
	if (f->batch_pos == f->batch_n && !f->batch_short) {
		/* one read(2) per call at most: a host that floods the queue
		 * costs the caller one bounded batch, never a loop */
		f->batch_n = f->batch_pos = 0;
		ssize_t r = vtd_sys_rw->read(f->fq_fd, f->batch, FQ_BATCH * sizeof(*f->batch));
		if (r < 0) {
			int e = errno;
			/* nothing there (the kernel's read never blocks; a
			 * non-blocking fd says EAGAIN) */
			if (e == EAGAIN || e == EINTR)
				return 0;
			/* 6.12: the first group is larger than the buffer */
			return e == EINVAL ? -E2BIG : -e;
		}
		if ((size_t)r > FQ_BATCH * sizeof(*f->batch))
			return -EPROTO;
		f->batch_n = (unsigned)((size_t)r / sizeof(*f->batch));
		/* the kernel writes whole records: a tail is a broken record
		 * whose cookie cannot be trusted */
		f->batch_short = (size_t)r % sizeof(*f->batch) != 0;
	}
	unsigned n = 0;
	while (n < max && f->batch_pos < f->batch_n)
		convert(f, &f->batch[f->batch_pos++], &out[n++]);
	if (n < max && f->batch_pos == f->batch_n && f->batch_short) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n++].malformed = true;
		f->batch_short = false;
	}
	return (int)n;
}

static int f_respond(void *ctx, uint32_t queue, uint32_t cookie, enum vtd_host_iopf_code code)
{
	struct vtd_iommufd *f = ctx;
	if (!f->fq || queue != f->fq)
		return -ENOENT;
	if (code != VTD_HOST_IOPF_SUCCESS && code != VTD_HOST_IOPF_INVALID)
		return -EINVAL;
	struct vtd_iommu_hwpt_page_response resp = {
		.cookie = cookie,
		.code = code == VTD_HOST_IOPF_SUCCESS ? VTD_IOMMUFD_PAGE_RESP_SUCCESS
						      : VTD_IOMMUFD_PAGE_RESP_INVALID,
	};
	ssize_t r = vtd_sys_rw->write(f->fq_fd, &resp, sizeof(resp));
	if (r < 0)
		return -errno;
	return r == (ssize_t)sizeof(resp) ? 0 : -EIO;
}

static int f_fault_fd(void *ctx, uint32_t queue)
{
	struct vtd_iommufd *f = ctx;
	if (!f->fq || queue != f->fq)
		return -ENOENT;
	return f->fq_fd;
}

static const struct vtd_host_iopf_ops iommufd_iopf_ops = {
	.sz = sizeof(struct vtd_host_iopf_ops),
	.alloc_queue = f_alloc_queue,
	.free_queue = f_free_queue,
	.alloc_nested = f_alloc_nested_fq,
	.read = f_read_faults,
	.respond = f_respond,
	.fd = f_fault_fd,
};

VTD_API const struct vtd_host_iopf_ops *vtd_iommufd_iopf_ops(void)
{
	return &iommufd_iopf_ops;
}

VTD_API int vtd_iommufd_open(const char *cdev, struct vtd_iommufd **out, struct vtd_error *err)
{
	vtd_error_clear(err);
	if (!cdev || !out)
		return -EINVAL;
	struct vtd_iommufd *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fq_fd = -1;
	int r = open_bind(cdev, &f->iommufd, &f->devfd, &f->devid, err);
	if (r) {
		free(f);
		return r;
	}
	*out = f;
	return 0;
}

VTD_API void vtd_iommufd_close(struct vtd_iommufd *f)
{
	if (!f)
		return;
	if (f->fq) /* left by a caller that did not detach: best effort */
		f_free_queue(f, f->fq);
	free(f->batch);
	if (f->ioas) {
		struct vtd_iommu_destroy d = { .size = sizeof(d), .id = f->ioas };
		xioctl(f->iommufd, VTD_IOMMU_DESTROY, &d);
	}
	vtd_sys->close(f->devfd);
	vtd_sys->close(f->iommufd);
	free(f);
}

VTD_API void vtd_iommufd_backend(struct vtd_iommufd *f, struct vtd_host_if *out)
{
	out->ops = &iommufd_ops;
	out->ctx = f;
}
