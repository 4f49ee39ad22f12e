/* SPDX-License-Identifier: MIT */
/* The mock kernel of mock_iommufd.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vtd/vtd.h>

#include "host/host.h"
#include "host/uapi.h"
#include "mock_iommufd.h"

struct mock_kernel M;

void mock_reset(void)
{
	memset(&M, 0, sizeof(M));
	M.next_id = 1;
	M.inv_handle = -1;
}

static int mock_open(const char *path, int flags)
{
	(void)flags;
	if (!strcmp(path, "/dev/iommu")) {
		if (M.open_iommu_errno) {
			errno = M.open_iommu_errno;
			return -1;
		}
		assert_false(M.iommu_open);
		M.iommu_open = true;
		M.opens++;
		return FD_IOMMU;
	}
	if (!strcmp(path, CDEV)) {
		if (M.open_dev_errno) {
			errno = M.open_dev_errno;
			return -1;
		}
		assert_false(M.dev_open);
		M.dev_open = true;
		M.opens++;
		return FD_DEV;
	}
	errno = ENOENT;
	return -1;
}

static int mock_close(int fd)
{
	if (fd == FD_IOMMU && M.iommu_open) {
		M.iommu_open = false;
		/* closing /dev/iommu frees every object */
		memset(M.obj, 0, sizeof(M.obj));
		memset(M.map, 0, sizeof(M.map));
	} else if (fd == FD_DEV && M.dev_open) {
		M.dev_open = false;
		M.attached = 0;
	} else if (fd == FD_FAULT && M.fault_open) {
		M.fault_open = false;
	} else {
		fail_msg("close(%d) of an fd that is not open", fd);
	}
	M.closes++;
	return 0;
}

static size_t arg_size(unsigned long req)
{
	switch (req) {
	case VTD_IOMMU_DESTROY: return sizeof(struct vtd_iommu_destroy);
	case VTD_IOMMU_IOAS_ALLOC: return sizeof(struct vtd_iommu_ioas_alloc);
	case VTD_IOMMU_IOAS_MAP: return sizeof(struct vtd_iommu_ioas_map);
	case VTD_IOMMU_IOAS_UNMAP: return sizeof(struct vtd_iommu_ioas_unmap);
	case VTD_IOMMU_HWPT_ALLOC: return sizeof(struct vtd_iommu_hwpt_alloc);
	case VTD_IOMMU_GET_HW_INFO: return sizeof(struct vtd_iommu_hw_info);
	case VTD_IOMMU_HWPT_INVALIDATE: return sizeof(struct vtd_iommu_hwpt_invalidate);
	case VTD_IOMMU_FAULT_QUEUE_ALLOC: return sizeof(struct vtd_iommu_fault_alloc);
	case VTD_VFIO_DEVICE_BIND_IOMMUFD: return sizeof(struct vtd_vfio_device_bind_iommufd);
	case VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT: return sizeof(struct vtd_vfio_device_attach_iommufd_pt);
	case VTD_VFIO_DEVICE_DETACH_IOMMUFD_PT: return sizeof(struct vtd_vfio_device_detach_iommufd_pt);
	default: fail_msg("unexpected ioctl %#lx", req);
	}
	return 0;
}

struct rec *record(int fd, unsigned long req, const void *arg)
{
	if (M.n >= MAX_REC)
		fail_msg("more than %d ioctls", MAX_REC);
	struct rec *r = &M.rec[M.n++];
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->req = req;
	r->arglen = arg_size(req);
	assert_true(r->arglen <= REC_ARG);
	memcpy(r->arg, arg, r->arglen);
	const uint8_t *a = arg;
	if (req == VTD_IOMMU_HWPT_ALLOC && rd32(a, 28) && rd64(a, 32)) {
		size_t len = rd32(a, 28);
		r->datalen = len < REC_DATA ? len : REC_DATA;
		memcpy(r->data, (const void *)(uintptr_t)rd64(a, 32), r->datalen);
	} else if (req == VTD_IOMMU_HWPT_INVALIDATE && rd64(a, 8)) {
		size_t len = (size_t)rd32(a, 20) * rd32(a, 24);
		if (len > REC_DATA)
			fail_msg("HWPT_INVALIDATE of %zu bytes (%u entries)", len, rd32(a, 24));
		r->datalen = len;
		memcpy(r->data, (const void *)(uintptr_t)rd64(a, 8), len);
	}
	return r;
}

static uint32_t obj_new(enum obj_kind k, uint32_t ref)
{
	assert_true(M.next_id < MAX_OBJ);
	uint32_t id = M.next_id++;
	M.obj[id].kind = k;
	M.obj[id].ref = ref;
	return id;
}

enum obj_kind obj_kind(uint32_t id)
{
	return id < MAX_OBJ ? M.obj[id].kind : O_FREE;
}

static bool ioas_has_parent(uint32_t ioas)
{
	for (uint32_t i = 1; i < MAX_OBJ; i++)
		if (M.obj[i].kind == O_PARENT && M.obj[i].ref == ioas)
			return true;
	return false;
}

static int k_ioas_alloc(uint8_t *a)
{
	if (rd32(a, 0) < 12)
		return EINVAL;
	if (rd32(a, 4))
		return EOPNOTSUPP;
	wr32(a, 8, obj_new(O_IOAS, 0));
	return 0;
}

static int k_hwpt_alloc(uint8_t *a)
{
	uint32_t size = rd32(a, 0), flags = rd32(a, 4), dev = rd32(a, 8), pt = rd32(a, 12);
	if (size < 24)
		return EINVAL;
	if (rd32(a, 20) || (size >= 48 && rd32(a, 44)))
		return EOPNOTSUPP;
	if (dev != DEVID)
		return ENOENT;
	uint32_t type = size >= 32 ? rd32(a, 24) : 0, len = size >= 32 ? rd32(a, 28) : 0;
	if ((type == 0 && len) || (type && !len))
		return EINVAL;
	switch (obj_kind(pt)) {
	case O_IOAS:
		if (flags & ~(VTD_IOMMU_HWPT_ALLOC_NEST_PARENT | VTD_IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			      VTD_IOMMU_HWPT_FAULT_ID_VALID))
			return EOPNOTSUPP;
		if (type)
			return EOPNOTSUPP;
		if ((flags & VTD_IOMMU_HWPT_ALLOC_NEST_PARENT) && M.no_nesting)
			return EOPNOTSUPP;
		wr32(a, 16, obj_new(flags & VTD_IOMMU_HWPT_ALLOC_NEST_PARENT ? O_PARENT : O_PAGING, pt));
		return 0;
	case O_PARENT: {
		if (flags & ~VTD_IOMMU_HWPT_FAULT_ID_VALID)
			return EOPNOTSUPP;
		if (type != VTD_IOMMU_HWPT_DATA_VTD_S1)
			return EOPNOTSUPP;
		if (len != 24)
			return EINVAL;
		if (!rd64(a, 32))
			return EFAULT;
		/* fault_id is read only with the flag; ours is 0 without it */
		uint32_t fault = size >= 48 ? rd32(a, 40) : 0;
		if (!(flags & VTD_IOMMU_HWPT_FAULT_ID_VALID) && fault)
			fail_msg("fault_id %u without IOMMU_HWPT_FAULT_ID_VALID", fault);
		if ((flags & VTD_IOMMU_HWPT_FAULT_ID_VALID) && obj_kind(fault) != O_FAULT)
			return ENOENT;
		uint32_t id = obj_new(O_NESTED, pt);
		M.obj[id].fault = flags & VTD_IOMMU_HWPT_FAULT_ID_VALID ? fault : 0;
		wr32(a, 16, id);
		return 0;
	}
	default:
		return EINVAL;
	}
}

static int k_ioas_map(uint8_t *a)
{
	uint32_t size = rd32(a, 0), flags = rd32(a, 4), ioas = rd32(a, 8);
	if (size < 40)
		return EINVAL;
	if (rd32(a, 12) || (flags & ~7u))
		return EOPNOTSUPP;
	if (obj_kind(ioas) != O_IOAS)
		return ENOENT;
	uint64_t va = rd64(a, 16), len = rd64(a, 24), iova = rd64(a, 32);
	if (!(flags & VTD_IOMMU_IOAS_MAP_FIXED_IOVA) || !len || !va)
		return EINVAL;
	if (M.errata && !(flags & VTD_IOMMU_IOAS_MAP_WRITEABLE) && ioas_has_parent(ioas))
		return EINVAL;
	int slot = -1;
	for (int i = 0; i < MAX_MAP; i++) {
		if (!M.map[i].ioas) {
			if (slot < 0)
				slot = i;
			continue;
		}
		if (M.map[i].ioas == ioas && iova < M.map[i].iova + M.map[i].len &&
		    M.map[i].iova < iova + len)
			return EEXIST;
	}
	if (slot < 0)
		return ENOMEM;
	M.map[slot].ioas = ioas;
	M.map[slot].iova = iova;
	M.map[slot].len = len;
	M.map[slot].va = va;
	M.map[slot].flags = flags;
	return 0;
}

static int k_ioas_unmap(uint8_t *a)
{
	uint32_t ioas = rd32(a, 4);
	if (rd32(a, 0) < 24)
		return EINVAL;
	if (obj_kind(ioas) != O_IOAS)
		return ENOENT;
	uint64_t iova = rd64(a, 8), len = rd64(a, 16), done = 0;
	uint64_t last = len == ~0ull ? ~0ull : iova + len - 1;
	for (int i = 0; i < MAX_MAP; i++) {
		if (M.map[i].ioas != ioas)
			continue;
		uint64_t mlast = M.map[i].iova + M.map[i].len - 1;
		if (mlast < iova || M.map[i].iova > last)
			continue;
		if (M.map[i].iova < iova || mlast > last)
			return EINVAL; /* no splitting */
	}
	for (int i = 0; i < MAX_MAP; i++)
		if (M.map[i].ioas == ioas && M.map[i].iova >= iova &&
		    M.map[i].iova + M.map[i].len - 1 <= last) {
			done += M.map[i].len;
			memset(&M.map[i], 0, sizeof(M.map[i]));
		}
	if (!done)
		return ENOENT;
	wr64(a, 16, done);
	return 0;
}

static int k_destroy(uint8_t *a)
{
	uint32_t id = rd32(a, 4);
	if (rd32(a, 0) < 8)
		return EINVAL;
	if (obj_kind(id) == O_FREE)
		return ENOENT;
	if (M.attached == id)
		return EBUSY;
	for (uint32_t i = 1; i < MAX_OBJ; i++)
		if (M.obj[i].kind != O_FREE && M.obj[i].kind != O_IOAS &&
		    (M.obj[i].ref == id || M.obj[i].fault == id))
			return EBUSY;
	/* the fd holds a reference on the fault object */
	if (M.obj[id].kind == O_FAULT && M.fault_open)
		return EBUSY;
	if (M.obj[id].kind == O_IOAS)
		for (int i = 0; i < MAX_MAP; i++)
			if (M.map[i].ioas == id)
				memset(&M.map[i], 0, sizeof(M.map[i]));
	M.obj[id].kind = O_FREE;
	M.obj[id].ref = 0;
	M.obj[id].fault = 0;
	return 0;
}

static int k_fault_alloc(uint8_t *a)
{
	if (rd32(a, 0) < 16)
		return EINVAL;
	if (rd32(a, 4))
		return EOPNOTSUPP;
	assert_false(M.fault_open); /* the backend makes one */
	uint32_t id = obj_new(O_FAULT, 0);
	wr32(a, 8, M.fault_id_reply ? M.fault_id_reply : id);
	wr32(a, 12, M.fault_fd_reply ? M.fault_fd_reply : FD_FAULT);
	if (!M.fault_fd_reply) {
		M.fault_open = true;
		M.opens++; /* an fd the backend must close */
	}
	return 0;
}

static int k_invalidate(uint8_t *a)
{
	uint32_t size = rd32(a, 0), hwpt = rd32(a, 4);
	uint64_t uptr = rd64(a, 8);
	uint32_t type = rd32(a, 16), elen = rd32(a, 20), num = rd32(a, 24);
	uint32_t done = 0;
	int rc = 0;
	if (size < 32)
		return EINVAL; /* before the handler: nothing written back */
	if (rd32(a, 28)) {
		rc = EOPNOTSUPP;
		goto out;
	}
	if (num && (!uptr || !elen)) {
		rc = EINVAL;
		goto out;
	}
	if (obj_kind(hwpt) == O_FREE) {
		rc = ENOENT;
		goto out;
	}
	if (obj_kind(hwpt) != O_NESTED || type != VTD_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 ||
	    elen < 24) {
		rc = EINVAL;
		goto out;
	}
	bool limited = M.inv_handle >= 0;
	uint32_t limit = limited ? (uint32_t)M.inv_handle : 0;
	int lim_errno = M.inv_errno;
	if (M.inv_calls) {
		if (--M.inv_calls == 0)
			M.inv_handle = -1;
	}
	const uint8_t *e = (const uint8_t *)(uintptr_t)uptr;
	for (; done < num; done++) {
		const uint8_t *x = e + (size_t)done * elen;
		if (limited && done == limit) {
			rc = lim_errno;
			goto out;
		}
		uint64_t addr = rd64(x, 0), np = rd64(x, 8);
		if ((rd32(x, 16) & ~VTD_IOMMU_VTD_INV_FLAGS_LEAF) || rd32(x, 20)) {
			rc = EOPNOTSUPP;
			goto out;
		}
		if ((addr & 0xfff) || (np == ~0ull && addr) || !np) {
			rc = EINVAL;
			goto out;
		}
	}
	if (limited && done == limit)
		rc = lim_errno;
out:
	/* iommufd_hwpt_invalidate: entry_num is always written back */
	wr32(a, 24, M.inv_reply ? M.inv_reply : done);
	return rc;
}

static int k_bind(uint8_t *a)
{
	if (rd32(a, 0) < 16 || rd32(a, 4))
		return EINVAL;
	if ((int32_t)rd32(a, 8) != FD_IOMMU)
		return EBADF;
	wr32(a, 12, DEVID);
	return 0;
}

static int k_attach(uint8_t *a)
{
	uint32_t argsz = rd32(a, 0), flags = rd32(a, 4), pt = rd32(a, 8);
	if (argsz < 12 || (flags & ~VTD_VFIO_DEVICE_ATTACH_PASID))
		return EINVAL;
	if ((flags & VTD_VFIO_DEVICE_ATTACH_PASID) && argsz < 16)
		return EINVAL;
	enum obj_kind k = obj_kind(pt);
	if (k == O_FREE)
		return ENOENT;
	if (k == O_IOAS || k == O_FAULT)
		return EINVAL; /* the mock has no auto domains */
	if (M.no_pri && M.obj[pt].fault)
		return ENODEV; /* intel_iommu_enable_iopf: no ATS/PRI */
	if (!(flags & VTD_VFIO_DEVICE_ATTACH_PASID))
		M.attached = pt; /* a second attach replaces */
	return 0;
}

static int k_detach(uint8_t *a)
{
	uint32_t argsz = rd32(a, 0), flags = rd32(a, 4);
	if (argsz < 8 || (flags & ~VTD_VFIO_DEVICE_DETACH_PASID))
		return EINVAL;
	if ((flags & VTD_VFIO_DEVICE_DETACH_PASID) && argsz < 12)
		return EINVAL;
	if (!(flags & VTD_VFIO_DEVICE_DETACH_PASID))
		M.attached = 0;
	return 0;
}

static int injected(unsigned long req)
{
	if (!M.fail_req || M.fail_req != req)
		return 0;
	if (M.fail_skip) {
		M.fail_skip--;
		return 0;
	}
	int e = M.fail_errno;
	if (M.fail_times <= 1)
		M.fail_req = 0;
	else
		M.fail_times--;
	return e;
}

void inject(unsigned long req, unsigned skip, int e)
{
	M.fail_req = req;
	M.fail_skip = skip;
	M.fail_times = 1;
	M.fail_errno = e;
}

static int mock_ioctl(int fd, unsigned long req, void *arg)
{
	struct rec *r = record(fd, req, arg);
	uint8_t *a = arg;
	int e;
	bool iommu_req = req >= VTD_IOMMU_DESTROY && req <= VTD_IOMMU_FAULT_QUEUE_ALLOC;
	if ((iommu_req && (fd != FD_IOMMU || !M.iommu_open)) ||
	    (!iommu_req && (fd != FD_DEV || !M.dev_open)))
		e = EBADF;
	else if ((e = injected(req)) != 0)
		;
	else
		switch (req) {
		case VTD_IOMMU_DESTROY: e = k_destroy(a); break;
		case VTD_IOMMU_IOAS_ALLOC: e = k_ioas_alloc(a); break;
		case VTD_IOMMU_IOAS_MAP: e = k_ioas_map(a); break;
		case VTD_IOMMU_IOAS_UNMAP: e = k_ioas_unmap(a); break;
		case VTD_IOMMU_HWPT_ALLOC: e = k_hwpt_alloc(a); break;
		case VTD_IOMMU_HWPT_INVALIDATE: e = k_invalidate(a); break;
		case VTD_IOMMU_FAULT_QUEUE_ALLOC: e = k_fault_alloc(a); break;
		case VTD_VFIO_DEVICE_BIND_IOMMUFD: e = k_bind(a); break;
		case VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT: e = k_attach(a); break;
		case VTD_VFIO_DEVICE_DETACH_IOMMUFD_PT: e = k_detach(a); break;
		default: e = ENOTTY; break;
		}
	r->err = e;
	memcpy(r->out, arg, r->arglen);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

static const struct vtd_sys_ops mock_ops = { mock_open, mock_close, mock_ioctl };

/* read(2) of the fault fd: the next scripted answer */
static ssize_t mock_read(int fd, void *buf, size_t len)
{
	if (fd != FD_FAULT || !M.fault_open)
		fail_msg("read(%d) of an fd that is not the open fault fd", fd);
	if (M.nreads < MAX_RD * 2)
		M.read_len[M.nreads] = len;
	M.nreads++;
	if (M.rdpos >= M.nrd)
		return 0; /* the kernel's read never blocks: nothing there */
	const struct rd_script *r = &M.rd[M.rdpos++];
	if (r->err) {
		errno = r->err;
		return -1;
	}
	/* (the script may claim more than asked: the backend must cope) */
	memcpy(buf, r->data, r->len < len ? r->len : len);
	return (ssize_t)r->len;
}

/* write(2): drivers/iommu/iommufd/fault.c's rules for one response */
static ssize_t mock_write(int fd, const void *buf, size_t len)
{
	if (fd != FD_FAULT || !M.fault_open)
		fail_msg("write(%d) of an fd that is not the open fault fd", fd);
	assert_true(M.nwr < MAX_WR);
	struct wr_rec *w = &M.wr[M.nwr++];
	w->at = M.n;
	w->len = len;
	memcpy(w->data, buf, len < sizeof(w->data) ? len : sizeof(w->data));
	int e = M.write_errno;
	if (!e && len % 8)
		e = ESPIPE;
	uint32_t cookie = rd32(buf, 0), code = rd32(buf, 4);
	if (!e && code > 1)
		e = EINVAL;
	if (!e) {
		unsigned i = 0;
		while (i < M.ncookies && M.cookies[i] != cookie)
			i++;
		if (i == M.ncookies)
			e = EINVAL; /* xa_erase found no group */
		else
			M.cookies[i] = M.cookies[--M.ncookies];
	}
	w->err = e;
	if (e) {
		errno = e;
		return -1;
	}
	return M.write_short ? M.write_short : (ssize_t)len;
}

static const struct vtd_sys_rw_ops mock_rw = { mock_read, mock_write };

int mock_setup(void **state)
{
	(void)state;
	mock_reset();
	vtd_sys_set(&mock_ops);
	vtd_sys_rw_set(&mock_rw);
	return 0;
}

int mock_teardown(void **state)
{
	(void)state;
	vtd_sys_set(NULL);
	vtd_sys_rw_set(NULL);
	return 0;
}
