/* SPDX-License-Identifier: MIT */
/*
 * The iommufd host backend (nesting) against a mock kernel installed through
 * vtd_sys_set(): the exact bytes of every request (checked at the offsets of
 * the kernel's uAPI, not through our own struct definitions), the kernel's
 * answers (ids, entry_num partial completion, errors), the open/close paths,
 * and the whole lifecycle through vtd_iommu_attach_host() as a guest drives
 * it (same flow as tests/replay/nested-sim-host.vtd).
 *
 * The mock answers like Linux's drivers/iommu/iommufd (6.12: main.c,
 * ioas.c, hw_pagetable.c; the contract is include/uapi/linux/iommufd.h): it keeps objects (IOAS, nest parent, nested
 * HWPT) with references (DESTROY of a used object is EBUSY), IOAS mappings
 * (a FIXED_IOVA map over a used range is EEXIST), the device's attachment,
 * and checks sizes and reserved fields as the kernel does.
 *
 * The fault queue (IOMMU_FAULT_QUEUE_ALLOC, Linux 6.11+) is played the same
 * way: a fault object with its fd (FD_FAULT), nested HWPTs that name it
 * (IOMMU_HWPT_FAULT_ID_VALID), what read(2) of the fd returns (scripted:
 * records byte by byte, short and odd lengths, errnos) and what write(2)
 * takes (a response must name a cookie the kernel handed out, code 0 or 1,
 * as drivers/iommu/iommufd/fault.c checks).
 */
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


/* ------------------------------------------------------------------ */
/* helpers                                                              */

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

static const char *req_name(unsigned long req)
{
	switch (req) {
	case VTD_IOMMU_DESTROY: return "DESTROY";
	case VTD_IOMMU_IOAS_ALLOC: return "IOAS_ALLOC";
	case VTD_IOMMU_IOAS_MAP: return "IOAS_MAP";
	case VTD_IOMMU_IOAS_UNMAP: return "IOAS_UNMAP";
	case VTD_IOMMU_HWPT_ALLOC: return "HWPT_ALLOC";
	case VTD_IOMMU_HWPT_INVALIDATE: return "HWPT_INVALIDATE";
	case VTD_IOMMU_FAULT_QUEUE_ALLOC: return "FAULT_QUEUE_ALLOC";
	case VTD_VFIO_DEVICE_BIND_IOMMUFD: return "BIND";
	case VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT: return "ATTACH";
	case VTD_VFIO_DEVICE_DETACH_IOMMUFD_PT: return "DETACH";
	default: return "?";
	}
}

/* The i-th request is req on fd. */
static const struct rec *nth(unsigned i, int fd, unsigned long req)
{
	if (i >= M.n)
		fail_msg("request %u (%s) expected, only %u made", i, req_name(req), M.n);
	const struct rec *r = &M.rec[i];
	if (r->req != req || r->fd != fd)
		fail_msg("request %u: %s on fd %d, expected %s on fd %d", i, req_name(r->req), r->fd,
			 req_name(req), fd);
	return r;
}

/* The recorded argument equals exp[0..len) and the rest of the recorded
 * struct (the part the size field does not cover) is zero. */
static void assert_arg(const struct rec *r, const uint8_t *exp, size_t len)
{
	assert_true(len <= r->arglen);
	for (size_t i = 0; i < r->arglen; i++) {
		uint8_t want = i < len ? exp[i] : 0;
		if (r->arg[i] != want)
			fail_msg("%s: byte %zu is %#x, expected %#x", req_name(r->req), i, r->arg[i],
				 want);
	}
}

static void exp_destroy(unsigned i, uint32_t id)
{
	const struct rec *r = nth(i, FD_IOMMU, VTD_IOMMU_DESTROY);
	uint8_t e[8] = { 0 };
	wr32(e, 0, 8);
	wr32(e, 4, id);
	assert_arg(r, e, sizeof(e));
}

static void exp_ioas_alloc(unsigned i)
{
	const struct rec *r = nth(i, FD_IOMMU, VTD_IOMMU_IOAS_ALLOC);
	uint8_t e[12] = { 0 };
	wr32(e, 0, 12);
	assert_arg(r, e, sizeof(e)); /* flags 0, out_ioas_id 0 on input */
}

static void exp_hwpt_parent(unsigned i, uint32_t ioas)
{
	const struct rec *r = nth(i, FD_IOMMU, VTD_IOMMU_HWPT_ALLOC);
	uint8_t e[48] = { 0 };
	wr32(e, 0, 48);
	wr32(e, 4, VTD_IOMMU_HWPT_ALLOC_NEST_PARENT);
	wr32(e, 8, DEVID);
	wr32(e, 12, ioas);
	/* out_hwpt_id, __reserved, data_type NONE, data_len 0, data_uptr 0,
	 * fault_id, __reserved2: all zero */
	assert_arg(r, e, sizeof(e));
	assert_int_equal(r->datalen, 0);
}

/* HWPT_ALLOC of a nested table, reporting to fault object fault (0: none) */
static void exp_hwpt_nested_fq(unsigned i, uint32_t parent, uint32_t fault, uint64_t vflags,
			       uint64_t pgtbl, uint32_t aw)
{
	const struct rec *r = nth(i, FD_IOMMU, VTD_IOMMU_HWPT_ALLOC);
	uint8_t e[48] = { 0 };
	wr32(e, 0, 48);
	wr32(e, 4, fault ? VTD_IOMMU_HWPT_FAULT_ID_VALID : 0);
	wr32(e, 40, fault);
	wr32(e, 8, DEVID);
	wr32(e, 12, parent);
	wr32(e, 24, VTD_IOMMU_HWPT_DATA_VTD_S1);
	wr32(e, 28, 24);
	uint64_t uptr = rd64(r->arg, 32);
	assert_true(uptr != 0);
	wr64(e, 32, uptr);
	assert_arg(r, e, sizeof(e));
	assert_int_equal(r->datalen, 24);
	uint8_t d[24] = { 0 };
	wr64(d, 0, vflags);
	wr64(d, 8, pgtbl);
	wr32(d, 16, aw);
	for (size_t k = 0; k < 24; k++)
		if (r->data[k] != d[k])
			fail_msg("VTD_S1 data byte %zu is %#x, expected %#x", k, r->data[k], d[k]);
}

static void exp_hwpt_nested(unsigned i, uint32_t parent, uint64_t vflags, uint64_t pgtbl,
			    uint32_t aw)
{
	exp_hwpt_nested_fq(i, parent, 0, vflags, pgtbl, aw);
}

static void exp_fault_alloc(unsigned i)
{
	const struct rec *r = nth(i, FD_IOMMU, VTD_IOMMU_FAULT_QUEUE_ALLOC);
	uint8_t e[16] = { 0 };
	wr32(e, 0, 16); /* flags 0; the outs zero on input */
	assert_arg(r, e, sizeof(e));
}

static void exp_map(unsigned i, uint32_t ioas, const void *va, uint64_t len, uint64_t iova,
		    bool writable)
{
	const struct rec *r = nth(i, FD_IOMMU, VTD_IOMMU_IOAS_MAP);
	uint8_t e[40] = { 0 };
	wr32(e, 0, 40);
	wr32(e, 4, VTD_IOMMU_IOAS_MAP_FIXED_IOVA | VTD_IOMMU_IOAS_MAP_READABLE |
		   (writable ? VTD_IOMMU_IOAS_MAP_WRITEABLE : 0));
	wr32(e, 8, ioas);
	wr64(e, 16, (uint64_t)(uintptr_t)va);
	wr64(e, 24, len);
	wr64(e, 32, iova);
	assert_arg(r, e, sizeof(e));
}

static void exp_unmap(unsigned i, uint32_t ioas, uint64_t iova, uint64_t len)
{
	const struct rec *r = nth(i, FD_IOMMU, VTD_IOMMU_IOAS_UNMAP);
	uint8_t e[24] = { 0 };
	wr32(e, 0, 24);
	wr32(e, 4, ioas);
	wr64(e, 8, iova);
	wr64(e, 16, len);
	assert_arg(r, e, sizeof(e));
}

static void exp_attach(unsigned i, uint32_t pt, uint32_t pasid)
{
	const struct rec *r = nth(i, FD_DEV, VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT);
	uint8_t e[16] = { 0 };
	bool p = pasid != VTD_HOST_NO_PASID;
	wr32(e, 0, p ? 16 : 12);
	wr32(e, 4, p ? VTD_VFIO_DEVICE_ATTACH_PASID : 0);
	wr32(e, 8, pt);
	wr32(e, 12, p ? pasid : 0);
	assert_arg(r, e, sizeof(e)); /* with argsz 12 the pasid word is zero too */
}

static void exp_detach(unsigned i, uint32_t pasid)
{
	const struct rec *r = nth(i, FD_DEV, VTD_VFIO_DEVICE_DETACH_IOMMUFD_PT);
	uint8_t e[12] = { 0 };
	bool p = pasid != VTD_HOST_NO_PASID;
	wr32(e, 0, p ? 12 : 8);
	wr32(e, 4, p ? VTD_VFIO_DEVICE_DETACH_PASID : 0);
	wr32(e, 8, p ? pasid : 0);
	assert_arg(r, e, sizeof(e));
}

/* HWPT_INVALIDATE of entries inv[0..n) on hwpt. */
static void exp_inval(unsigned i, uint32_t hwpt, const struct vtd_s1_inval *inv, uint32_t n)
{
	const struct rec *r = nth(i, FD_IOMMU, VTD_IOMMU_HWPT_INVALIDATE);
	uint8_t e[32] = { 0 };
	wr32(e, 0, 32);
	wr32(e, 4, hwpt);
	uint64_t uptr = rd64(r->arg, 8);
	assert_true(uptr != 0);
	wr64(e, 8, uptr);
	wr32(e, 16, VTD_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1);
	wr32(e, 20, 24);
	wr32(e, 24, n);
	assert_arg(r, e, sizeof(e));
	assert_int_equal(r->datalen, (size_t)n * 24);
	for (uint32_t k = 0; k < n; k++) {
		const uint8_t *x = r->data + (size_t)k * 24;
		uint8_t want[24] = { 0 };
		wr64(want, 0, inv[k].addr);
		wr64(want, 8, inv[k].npages);
		wr32(want, 16, inv[k].flags & VTD_S1_INV_LEAF ? VTD_IOMMU_VTD_INV_FLAGS_LEAF : 0);
		if (memcmp(x, want, 24))
			fail_msg("invalidation entry %u: addr %#llx npages %#llx flags %#x rsvd %#x, "
				 "expected %#llx %#llx %#x 0", k, (unsigned long long)rd64(x, 0),
				 (unsigned long long)rd64(x, 8), rd32(x, 16), rd32(x, 20),
				 (unsigned long long)inv[k].addr, (unsigned long long)inv[k].npages,
				 inv[k].flags & VTD_S1_INV_LEAF);
	}
}

static unsigned live_objects(void)
{
	unsigned n = 0;
	for (uint32_t i = 1; i < MAX_OBJ; i++)
		n += M.obj[i].kind != O_FREE;
	return n;
}

/* Open the backend through the mock; the BIND is request 0. */
static struct vtd_iommufd *open_backend(struct vtd_host_if *be)
{
	struct vtd_iommufd *f = NULL;
	struct vtd_error err;
	int r = vtd_iommufd_open(CDEV, &f, &err);
	if (r)
		fail_msg("vtd_iommufd_open: %d %s", r, err.msg);
	assert_non_null(f);
	vtd_iommufd_backend(f, be);
	assert_non_null(be->ops);
	assert_ptr_equal(be->ctx, f);
	return f;
}

static void close_backend(struct vtd_iommufd *f)
{
	unsigned m = M.n;
	vtd_iommufd_close(f);
	for (unsigned i = m; i < M.n; i++)
		if (M.rec[i].err)
			fail_msg("close: %s failed with errno %d", req_name(M.rec[i].req), M.rec[i].err);
	assert_false(M.iommu_open);
	assert_false(M.dev_open);
	assert_int_equal(M.opens, M.closes);
}

/* ------------------------------------------------------------------ */
/* 1. request numbers, open and close                                   */

static void test_request_numbers(void **state)
{
	(void)state;
	/* include/uapi/linux/iommufd.h: _IO(IOMMUFD_TYPE (';'), IOMMUFD_CMD_BASE
	 * (0x80) + n), no size or direction */
	assert_int_equal(VTD_IOMMU_DESTROY, 0x3b80);
	assert_int_equal(VTD_IOMMU_IOAS_ALLOC, 0x3b81);
	assert_int_equal(VTD_IOMMU_IOAS_MAP, 0x3b85);
	assert_int_equal(VTD_IOMMU_IOAS_UNMAP, 0x3b86);
	assert_int_equal(VTD_IOMMU_HWPT_ALLOC, 0x3b89);
	assert_int_equal(VTD_IOMMU_HWPT_INVALIDATE, 0x3b8d);
	assert_int_equal(VTD_VFIO_DEVICE_BIND_IOMMUFD, 0x3b76);
	assert_int_equal(VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0x3b77);
	assert_int_equal(VTD_VFIO_DEVICE_DETACH_IOMMUFD_PT, 0x3b78);
	/* the sizes the byte checks below rely on (1.3, 2) */
	assert_int_equal(sizeof(struct vtd_iommu_hwpt_alloc), 48);
	assert_int_equal(sizeof(struct vtd_iommu_ioas_map), 40);
	assert_int_equal(sizeof(struct vtd_iommu_ioas_unmap), 24);
	assert_int_equal(sizeof(struct vtd_iommu_hwpt_invalidate), 32);
	assert_int_equal(sizeof(struct vtd_iommu_hwpt_vtd_s1_invalidate), 24);
	assert_int_equal(sizeof(struct vtd_iommu_hwpt_vtd_s1), 24);
}

static void test_open_close(void **state)
{
	(void)state;
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	assert_true(M.iommu_open && M.dev_open);
	assert_int_equal(M.n, 1);
	const struct rec *r = nth(0, FD_DEV, VTD_VFIO_DEVICE_BIND_IOMMUFD);
	uint8_t e[16] = { 0 };
	wr32(e, 0, 16);
	wr32(e, 8, FD_IOMMU);
	assert_arg(r, e, sizeof(e));
	/* nothing allocated: close makes no request, closes both fds */
	close_backend(f);
	assert_int_equal(M.n, 1);
	vtd_iommufd_close(NULL);

	struct vtd_iommufd *g = NULL;
	assert_int_equal(vtd_iommufd_open(NULL, &g, NULL), -EINVAL);
	assert_int_equal(vtd_iommufd_open(CDEV, NULL, NULL), -EINVAL);
	assert_null(g);
	assert_int_equal(M.opens, M.closes);
}

/* Every failure of open leaves no fd open and *out alone. */
static void test_open_failures(void **state)
{
	(void)state;
	static const struct {
		int iommu_errno, dev_errno;
		unsigned long fail_req;
		int fail_errno;
		int want;
		const char *msg;
	} cases[] = {
		{ ENOENT, 0, 0, 0, -ENOENT, "/dev/iommu does not exist" },
		{ EACCES, 0, 0, 0, -EACCES, "cannot open /dev/iommu" },
		{ 0, ENOENT, 0, 0, -ENOENT, CDEV " does not exist" },
		{ 0, EACCES, 0, 0, -EACCES, "cannot open " CDEV },
		{ 0, 0, VTD_VFIO_DEVICE_BIND_IOMMUFD, EBUSY, -EBUSY, "device is in use" },
		{ 0, 0, VTD_VFIO_DEVICE_BIND_IOMMUFD, ENOTTY, -ENOTTY, "not supported" },
		{ 0, 0, VTD_VFIO_DEVICE_BIND_IOMMUFD, EINVAL, -EINVAL, "rejected" },
		{ 0, 0, VTD_VFIO_DEVICE_BIND_IOMMUFD, EPERM, -EPERM, "VFIO_DEVICE_BIND_IOMMUFD failed" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mock_reset();
		M.open_iommu_errno = cases[i].iommu_errno;
		M.open_dev_errno = cases[i].dev_errno;
		if (cases[i].fail_req)
			inject(cases[i].fail_req, 0, cases[i].fail_errno);
		struct vtd_iommufd *f = (struct vtd_iommufd *)(uintptr_t)0x1;
		struct vtd_error err;
		int r = vtd_iommufd_open(CDEV, &f, &err);
		if (r != cases[i].want)
			fail_msg("case %zu: %d, expected %d", i, r, cases[i].want);
		assert_ptr_equal(f, (struct vtd_iommufd *)(uintptr_t)0x1);
		assert_false(M.iommu_open);
		assert_false(M.dev_open);
		assert_int_equal(M.opens, M.closes);
		assert_true(err.count >= 1);
		assert_contains(err.msg, cases[i].msg);
		assert_int_equal(M.n, cases[i].fail_req ? 1 : 0);
	}
}

/* ------------------------------------------------------------------ */
/* 2. byte-exact requests of each op                                   */

static void test_alloc_parent_bytes(void **state)
{
	(void)state;
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	uint32_t parent = 0;
	assert_int_equal(be.ops->alloc_parent(be.ctx, &parent), 0);
	assert_int_equal(M.n, 3);
	exp_ioas_alloc(1);
	assert_int_equal(rd32(M.rec[1].out, 8), 1);
	/* the kernel's id: 1 (the IOAS), 2 (the parent) */
	exp_hwpt_parent(2, 1);
	assert_int_equal(parent, 2);
	assert_int_equal(obj_kind(2), O_PARENT);

	/* a second parent reuses the IOAS */
	uint32_t parent2 = 0;
	assert_int_equal(be.ops->alloc_parent(be.ctx, &parent2), 0);
	assert_int_equal(M.n, 4);
	exp_hwpt_parent(3, 1);
	assert_int_equal(parent2, 3);

	assert_int_equal(be.ops->free_hwpt(be.ctx, parent2), 0);
	exp_destroy(4, 3);
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	exp_destroy(5, 2);
	/* close destroys the IOAS before closing the fds */
	close_backend(f);
	assert_int_equal(M.n, 7);
	exp_destroy(6, 1);
	assert_int_equal(M.rec[6].err, 0);
}

static void test_map_unmap_bytes(void **state)
{
	(void)state;
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	uint32_t parent;
	assert_int_equal(be.ops->alloc_parent(be.ctx, &parent), 0);
	static uint8_t buf[3][8192];
	unsigned m = M.n;
	assert_int_equal(be.ops->map(be.ctx, 0x100000, 0x2000, buf[0], true), 0);
	exp_map(m, 1, buf[0], 0x2000, 0x100000, true);
	assert_int_equal(be.ops->map(be.ctx, 0xfffff000000ull, 0x1000, buf[1], false), 0);
	exp_map(m + 1, 1, buf[1], 0x1000, 0xfffff000000ull, false);
	/* the kernel refuses an overlapping fixed IOVA: EEXIST comes back */
	assert_int_equal(be.ops->map(be.ctx, 0x101000, 0x1000, buf[2], true), -EEXIST);
	assert_int_equal(be.ops->unmap(be.ctx, 0x100000, 0x2000), 0);
	exp_unmap(m + 3, 1, 0x100000, 0x2000);
	assert_int_equal(be.ops->unmap(be.ctx, 0xfffff000000ull, 0x1000), 0);
	exp_unmap(m + 4, 1, 0xfffff000000ull, 0x1000);
	assert_int_equal(be.ops->unmap(be.ctx, 0x100000, 0x2000), -ENOENT);
	assert_int_equal(M.n, m + 6);
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);
	assert_int_equal(live_objects(), 0);
}

static void test_alloc_nested_bytes(void **state)
{
	(void)state;
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	uint32_t parent;
	assert_int_equal(be.ops->alloc_parent(be.ctx, &parent), 0);
	static const struct {
		uint32_t flags;
		uint64_t vflags;
	} fl[] = {
		{ 0, 0 },
		{ VTD_S1_SRE, VTD_IOMMU_VTD_S1_SRE },
		{ VTD_S1_EAFE, VTD_IOMMU_VTD_S1_EAFE },
		{ VTD_S1_WPE, VTD_IOMMU_VTD_S1_WPE },
		{ VTD_S1_SRE | VTD_S1_EAFE | VTD_S1_WPE, 7 },
	};
	uint32_t ids[2 * sizeof(fl) / sizeof(fl[0])];
	unsigned k = 0;
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		for (unsigned aw = 48; aw <= 57; aw += 9) {
			struct vtd_s1_cfg s1 = { .pgtbl_addr = 0x123456789000ull + i * 0x1000,
						 .addr_width = aw, .flags = fl[i].flags };
			unsigned m = M.n;
			uint32_t h = 0;
			assert_int_equal(be.ops->alloc_nested(be.ctx, parent, &s1, &h), 0);
			assert_int_equal(M.n, m + 1);
			exp_hwpt_nested(m, parent, fl[i].vflags, s1.pgtbl_addr, aw);
			assert_int_equal(obj_kind(h), O_NESTED);
			ids[k++] = h;
		}
	/* the parent is in use */
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), -EBUSY);
	for (unsigned i = 0; i < k; i++) {
		unsigned m = M.n;
		assert_int_equal(be.ops->free_hwpt(be.ctx, ids[i]), 0);
		exp_destroy(m, ids[i]);
	}
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);
	assert_int_equal(live_objects(), 0);
}

/* What the kernel does not check (research 3.2): refused without a call. */
static void test_alloc_nested_rejects(void **state)
{
	(void)state;
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	uint32_t parent;
	assert_int_equal(be.ops->alloc_parent(be.ctx, &parent), 0);
	static const struct vtd_s1_cfg bad[] = {
		{ 0x10000, 48, 1u << 3 },
		{ 0x10000, 48, 1u << 31 },
		{ 0x10000, 57, VTD_S1_SRE | (1u << 4) },
		{ 0x10008, 48, 0 },
		{ 0x10800, 57, 0 },
		{ 0x10001, 48, 0 },
		{ 0x10000, 39, 0 },
		{ 0x10000, 0, 0 },
		{ 0x10000, 64, 0 },
		{ 0x10000, 47, 0 },
		{ 0x10000, 58, 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned m = M.n;
		uint32_t h = 0xdead;
		int r = be.ops->alloc_nested(be.ctx, parent, &bad[i], &h);
		if (r != -EINVAL)
			fail_msg("case %zu (pgtbl %#llx aw %u flags %#x): %d", i,
				 (unsigned long long)bad[i].pgtbl_addr, bad[i].addr_width,
				 bad[i].flags, r);
		assert_int_equal(h, 0xdead);
		assert_int_equal(M.n, m);
	}
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);
}

static void test_attach_detach_bytes(void **state)
{
	(void)state;
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	uint32_t parent, h;
	assert_int_equal(be.ops->alloc_parent(be.ctx, &parent), 0);
	struct vtd_s1_cfg s1 = { 0x40000, 48, 0 };
	assert_int_equal(be.ops->alloc_nested(be.ctx, parent, &s1, &h), 0);
	unsigned m = M.n;
	assert_int_equal(be.ops->attach(be.ctx, 9, VTD_HOST_NO_PASID, parent), 0);
	exp_attach(m, parent, VTD_HOST_NO_PASID);
	assert_int_equal(M.attached, parent);
	/* replace without a detach */
	assert_int_equal(be.ops->attach(be.ctx, 9, VTD_HOST_NO_PASID, h), 0);
	exp_attach(m + 1, h, VTD_HOST_NO_PASID);
	assert_int_equal(M.attached, h);
	assert_int_equal(be.ops->free_hwpt(be.ctx, h), -EBUSY);
	/* PASID attach: 16 bytes and the flag; PASID 0 is a PASID too */
	assert_int_equal(be.ops->attach(be.ctx, 9, 5, h), 0);
	exp_attach(m + 3, h, 5);
	assert_int_equal(be.ops->attach(be.ctx, 9, 0, parent), 0);
	exp_attach(m + 4, parent, 0);
	assert_int_equal(be.ops->attach(be.ctx, 9, 0xfffff, parent), 0);
	exp_attach(m + 5, parent, 0xfffff);
	/* detach: 8 bytes, or 12 with the PASID */
	assert_int_equal(be.ops->attach(be.ctx, 9, 5, 0), 0);
	exp_detach(m + 6, 5);
	assert_int_equal(M.attached, h);
	assert_int_equal(be.ops->attach(be.ctx, 9, VTD_HOST_NO_PASID, 0), 0);
	exp_detach(m + 7, VTD_HOST_NO_PASID);
	assert_int_equal(M.attached, 0);
	assert_int_equal(M.n, m + 8);
	assert_int_equal(be.ops->free_hwpt(be.ctx, h), 0);
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);
	assert_int_equal(live_objects(), 0);
}

/* An open backend with a parent and a nested table; ids in *parent, *h. */
static struct vtd_iommufd *nested_backend(struct vtd_host_if *be, uint32_t *parent, uint32_t *h)
{
	struct vtd_iommufd *f = open_backend(be);
	assert_int_equal(be->ops->alloc_parent(be->ctx, parent), 0);
	struct vtd_s1_cfg s1 = { 0x40000, 48, 0 };
	assert_int_equal(be->ops->alloc_nested(be->ctx, *parent, &s1, h), 0);
	return f;
}

static void test_invalidate_bytes(void **state)
{
	(void)state;
	struct vtd_host_if be;
	uint32_t parent, h;
	struct vtd_iommufd *f = nested_backend(&be, &parent, &h);
	/* flags other than LEAF are not passed on */
	const struct vtd_s1_inval inv[4] = {
		{ 0x7000, 1, VTD_S1_INV_LEAF },
		{ 0x200000, 512, 0 },
		{ 0, ~0ull, 0 },
		{ 0xfffffffff000ull, 1, VTD_S1_INV_LEAF | 0x6 },
	};
	unsigned m = M.n;
	uint32_t done = 77;
	assert_int_equal(be.ops->invalidate(be.ctx, h, inv, 4, &done), 0);
	assert_int_equal(done, 4);
	assert_int_equal(M.n, m + 1);
	exp_inval(m, h, inv, 4);
	/* one entry */
	done = 0;
	assert_int_equal(be.ops->invalidate(be.ctx, h, inv + 1, 1, &done), 0);
	assert_int_equal(done, 1);
	exp_inval(m + 1, h, inv + 1, 1);
	/* nothing to do: done 0 */
	done = 5;
	assert_int_equal(be.ops->invalidate(be.ctx, h, inv, 0, &done), 0);
	assert_int_equal(done, 0);
	assert_true(M.n == m + 2 || (M.n == m + 3 && rd32(M.rec[m + 2].arg, 24) == 0));
	assert_int_equal(be.ops->free_hwpt(be.ctx, h), 0);
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);
}

static void fill_inv(struct vtd_s1_inval *inv, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		inv[i].addr = 0x1000ull * (i + 1);
		inv[i].npages = i + 1;
		inv[i].flags = (i & 1) ? VTD_S1_INV_LEAF : 0;
	}
}

/* More than 64 entries go in chunks of 64, in order. */
static void test_invalidate_chunks(void **state)
{
	(void)state;
	struct vtd_host_if be;
	uint32_t parent, h;
	struct vtd_iommufd *f = nested_backend(&be, &parent, &h);
	static struct vtd_s1_inval inv[150];
	fill_inv(inv, 150);
	static const uint32_t sizes[] = { 64, 65, 128, 129, 150 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t n = sizes[s], done = 0;
		unsigned m = M.n;
		assert_int_equal(be.ops->invalidate(be.ctx, h, inv, n, &done), 0);
		assert_int_equal(done, n);
		unsigned calls = (n + 63) / 64;
		assert_int_equal(M.n, m + calls);
		for (unsigned c = 0; c < calls; c++) {
			uint32_t k = n - c * 64 < 64 ? n - c * 64 : 64;
			exp_inval(m + c, h, inv + c * 64, k);
		}
	}
	assert_int_equal(be.ops->free_hwpt(be.ctx, h), 0);
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);
}

/* The kernel handles k of n entries and says so in entry_num. */
static void test_invalidate_partial(void **state)
{
	(void)state;
	struct vtd_host_if be;
	uint32_t parent, h;
	struct vtd_iommufd *f = nested_backend(&be, &parent, &h);
	static struct vtd_s1_inval inv[150];
	fill_inv(inv, 150);
	uint32_t done;
	unsigned m;

	/* k of n with an error: the error and done = k */
	for (int k = 0; k < 5; k++) {
		M.inv_handle = k;
		M.inv_errno = EINVAL;
		M.inv_calls = 1;
		done = 99;
		m = M.n;
		assert_int_equal(be.ops->invalidate(be.ctx, h, inv, 5, &done), -EINVAL);
		assert_int_equal(done, (uint32_t)k);
		assert_int_equal(M.n, m + 1);
		exp_inval(m, h, inv, 5);
		assert_int_equal(rd32(M.rec[m].arg, 24), 5); /* as sent */
	}
	/* k of n without an error: done = k and a failure (not 0) */
	M.inv_handle = 2;
	M.inv_errno = 0;
	M.inv_calls = 1;
	done = 99;
	m = M.n;
	int r = be.ops->invalidate(be.ctx, h, inv, 5, &done);
	assert_true(r < 0);
	assert_int_equal(done, 2);
	assert_int_equal(M.n, m + 1);

	/* every call stops after 10: the first chunk of 100 fails, the
	 * second is never sent */
	M.inv_handle = 10;
	M.inv_errno = ENOMEM;
	M.inv_calls = 0;
	m = M.n;
	done = 0;
	assert_int_equal(be.ops->invalidate(be.ctx, h, inv, 100, &done), -ENOMEM);
	assert_int_equal(done, 10);
	assert_int_equal(M.n, m + 1);
	exp_inval(m, h, inv, 64);
	M.inv_handle = -1;

	/* an entry_num larger than what was sent is not believed */
	M.inv_reply = 1000;
	done = 0;
	assert_int_equal(be.ops->invalidate(be.ctx, h, inv, 3, &done), 0);
	assert_int_equal(done, 3);
	M.inv_reply = 0;

	assert_int_equal(be.ops->free_hwpt(be.ctx, h), 0);
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);
}

/* Partial completion in a later chunk: the first chunk's 64 count. */
static void test_invalidate_partial_second_chunk(void **state)
{
	(void)state;
	struct vtd_host_if be;
	uint32_t parent, h;
	struct vtd_iommufd *f = nested_backend(&be, &parent, &h);
	static struct vtd_s1_inval inv[150];
	fill_inv(inv, 150);
	/* an entry of the second chunk is bad for the kernel: not aligned
	 * (only our mock sees it; the backend passes addresses as given) */
	inv[64 + 10].addr |= 0x800;
	uint32_t done = 0;
	unsigned m = M.n;
	assert_int_equal(be.ops->invalidate(be.ctx, h, inv, 150, &done), -EINVAL);
	assert_int_equal(done, 74);
	assert_int_equal(M.n, m + 2);
	exp_inval(m, h, inv, 64);
	assert_int_equal(M.rec[m].err, 0);
	assert_int_equal(M.rec[m + 1].err, EINVAL);
	assert_int_equal(be.ops->free_hwpt(be.ctx, h), 0);
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);
}

/*
 * An error before the kernel's handler runs (ENOTTY: a 6.7 kernel has
 * nested HWPTs but no IOMMU_HWPT_INVALIDATE; EINVAL from the size check)
 * writes nothing back: entry_num still holds what was sent, and nothing
 * was handled.
 */
static void test_invalidate_not_written_back(void **state)
{
	(void)state;
	struct vtd_host_if be;
	uint32_t parent, h;
	struct vtd_iommufd *f = nested_backend(&be, &parent, &h);
	struct vtd_s1_inval inv[3];
	fill_inv(inv, 3);
	uint32_t done = 99;
	inject(VTD_IOMMU_HWPT_INVALIDATE, 0, ENOTTY);
	int r = be.ops->invalidate(be.ctx, h, inv, 3, &done);
	/* a fault copying the struct in: nothing written back either */
	uint32_t done2 = 99;
	inject(VTD_IOMMU_HWPT_INVALIDATE, 0, EFAULT);
	int r2 = be.ops->invalidate(be.ctx, h, inv, 3, &done2);
	assert_int_equal(be.ops->free_hwpt(be.ctx, h), 0);
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);
	assert_int_equal(r, -ENOTTY);
	assert_int_equal(r2, -EFAULT);
	if (done != 0 || done2 != 0)
		fail_msg("HWPT_INVALIDATE failed before the kernel's handler ran (ENOTTY, EFAULT: "
			 "entry_num not written back), yet *done = %u and %u of 3 entries",
			 done, done2);
}

/* ------------------------------------------------------------------ */
/* 3. errors from the kernel come back as -errno                        */

static void test_errors_propagate(void **state)
{
	(void)state;
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	uint32_t parent = 0xdead, h = 0xdead;

	/* a host without nesting */
	M.no_nesting = true;
	assert_int_equal(be.ops->alloc_parent(be.ctx, &parent), -EOPNOTSUPP);
	assert_int_equal(parent, 0xdead);
	assert_int_equal(M.rec[M.n - 1].req, VTD_IOMMU_HWPT_ALLOC);
	M.no_nesting = false;
	/* the IOAS made on the way is reused, not made again */
	unsigned m = M.n;
	assert_int_equal(be.ops->alloc_parent(be.ctx, &parent), 0);
	assert_int_equal(M.n, m + 1);
	exp_hwpt_parent(m, 1);
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);

	/* IOAS_ALLOC failing: no HWPT_ALLOC, and the next try allocates */
	mock_reset();
	f = open_backend(&be);
	inject(VTD_IOMMU_IOAS_ALLOC, 0, ENOMEM);
	parent = 0xdead;
	assert_int_equal(be.ops->alloc_parent(be.ctx, &parent), -ENOMEM);
	assert_int_equal(parent, 0xdead);
	assert_int_equal(M.n, 2);
	assert_int_equal(be.ops->alloc_parent(be.ctx, &parent), 0);
	exp_ioas_alloc(2);
	exp_hwpt_parent(3, 1);

	static const int errs[] = { EINVAL, ENOMEM, EBUSY, ENOENT, EFAULT, EOPNOTSUPP, ENOSPC };
	static uint8_t page[4096];
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		int e = errs[i];
		inject(VTD_IOMMU_HWPT_ALLOC, 0, e);
		assert_int_equal(be.ops->alloc_parent(be.ctx, &h), -e);
		inject(VTD_IOMMU_IOAS_MAP, 0, e);
		assert_int_equal(be.ops->map(be.ctx, 0, 4096, page, true), -e);
		inject(VTD_IOMMU_IOAS_UNMAP, 0, e);
		assert_int_equal(be.ops->unmap(be.ctx, 0, 4096), -e);
		struct vtd_s1_cfg s1 = { 0x1000, 48, 0 };
		h = 0xdead;
		inject(VTD_IOMMU_HWPT_ALLOC, 0, e);
		assert_int_equal(be.ops->alloc_nested(be.ctx, parent, &s1, &h), -e);
		assert_int_equal(h, 0xdead);
		inject(VTD_IOMMU_DESTROY, 0, e);
		assert_int_equal(be.ops->free_hwpt(be.ctx, parent), -e);
		inject(VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0, e);
		assert_int_equal(be.ops->attach(be.ctx, 0, VTD_HOST_NO_PASID, parent), -e);
		inject(VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0, e);
		assert_int_equal(be.ops->attach(be.ctx, 0, 3, parent), -e);
		inject(VTD_VFIO_DEVICE_DETACH_IOMMUFD_PT, 0, e);
		assert_int_equal(be.ops->attach(be.ctx, 0, VTD_HOST_NO_PASID, 0), -e);
		inject(VTD_VFIO_DEVICE_DETACH_IOMMUFD_PT, 0, e);
		assert_int_equal(be.ops->attach(be.ctx, 0, 3, 0), -e);
	}
	/* the kernel's own refusals: a bad parent id, a missing object */
	struct vtd_s1_cfg s1 = { 0x1000, 48, 0 };
	assert_int_equal(be.ops->alloc_nested(be.ctx, 1 /* the IOAS */, &s1, &h), -EOPNOTSUPP);
	assert_int_equal(be.ops->alloc_nested(be.ctx, 50, &s1, &h), -EINVAL);
	assert_int_equal(be.ops->free_hwpt(be.ctx, 50), -ENOENT);
	assert_int_equal(be.ops->attach(be.ctx, 0, VTD_HOST_NO_PASID, 50), -ENOENT);
	/* errata: no read-only maps in a nest parent's IOAS */
	M.errata = true;
	assert_int_equal(be.ops->map(be.ctx, 0, 4096, page, false), -EINVAL);
	assert_int_equal(be.ops->map(be.ctx, 0, 4096, page, true), 0);
	assert_int_equal(be.ops->unmap(be.ctx, 0, 4096), 0);
	/* invalidation errors */
	assert_int_equal(be.ops->alloc_nested(be.ctx, parent, &s1, &h), 0);
	struct vtd_s1_inval inv = { 0, ~0ull, 0 };
	uint32_t done = 9;
	M.inv_handle = 0;
	M.inv_errno = ENOMEM;
	M.inv_calls = 1;
	assert_int_equal(be.ops->invalidate(be.ctx, h, &inv, 1, &done), -ENOMEM);
	assert_int_equal(done, 0);
	/* the parent is not a nested HWPT: EINVAL from the kernel, done 0 */
	done = 9;
	assert_int_equal(be.ops->invalidate(be.ctx, parent, &inv, 1, &done), -EINVAL);
	assert_int_equal(done, 0);
	/* invalid entries: bad address, address with "all" */
	struct vtd_s1_inval bad = { 0x1000, ~0ull, 0 };
	done = 9;
	assert_int_equal(be.ops->invalidate(be.ctx, h, &bad, 1, &done), -EINVAL);
	assert_int_equal(done, 0);
	assert_int_equal(be.ops->free_hwpt(be.ctx, h), 0);
	assert_int_equal(be.ops->free_hwpt(be.ctx, parent), 0);
	close_backend(f);
	assert_int_equal(live_objects(), 0);
}

/* ------------------------------------------------------------------ */
/* 4. the whole flow through vtd_iommu_attach_host                      */

#define RAM_SIZE (4u << 20)
#define SID 0x0018 /* 00:03.0 */

#define R_GCMD 0x18
#define R_RTADDR 0x20
#define R_FSTS 0x34
#define R_IQH 0x80
#define R_IQT 0x88
#define R_IQA 0x90

struct guest {
	struct vtd_iommu *iommu;
	uint8_t *ram;
	unsigned tail;
	uint32_t gcmd;
};

static void msi_none(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	(void)addr;
	(void)data;
}

static const struct vtd_event_ops no_events = { .msi = msi_none };

static void guest_new(struct guest *g, const char *props)
{
	memset(g, 0, sizeof(*g));
	g->ram = aligned_alloc(4096, RAM_SIZE);
	assert_non_null(g->ram);
	memset(g->ram, 0, RAM_SIZE);
	struct vtd_config c;
	struct vtd_error e;
	if (vtd_config_parse(&c, props, &e))
		fail_msg("%s: %s", props, e.msg);
	struct vtd_iommu_opts o = { .sz = sizeof(o), .events = &no_events, .ram = g->ram,
				    .ram_size = RAM_SIZE };
	if (vtd_iommu_new(&c, &o, &g->iommu, &e))
		fail_msg("vtd_iommu_new: %s", e.msg);
}

static void guest_free(struct guest *g)
{
	vtd_iommu_free(g->iommu);
	free(g->ram);
}

static void wq(struct guest *g, uint64_t gpa, uint64_t v)
{
	assert_true(gpa + 8 <= RAM_SIZE);
	memcpy(g->ram + gpa, &v, 8);
}

static void mmio_w(struct guest *g, uint64_t off, unsigned size, uint64_t v)
{
	assert_int_equal(vtd_iommu_mmio_write(g->iommu, off, size, v), 0);
}

static void gcmd(struct guest *g, uint32_t set_oneshot)
{
	mmio_w(g, R_GCMD, 4, g->gcmd | set_oneshot);
}

/* One 256-bit descriptor through the queue, processed before this returns. */
static void submit(struct guest *g, uint64_t d0, uint64_t d1)
{
	uint64_t at = 0x40000 + (uint64_t)g->tail * 32;
	wq(g, at, d0);
	wq(g, at + 8, d1);
	wq(g, at + 16, 0);
	wq(g, at + 24, 0);
	g->tail = (g->tail + 1) % 128;
	mmio_w(g, R_IQT, 8, (uint64_t)g->tail << 5);
	uint64_t v = 0;
	assert_int_equal(vtd_iommu_mmio_read(g->iommu, R_FSTS, 4, &v), 0);
	if (v & 0x10)
		fail_msg("invalidation queue error (FSTS %#llx)", (unsigned long long)v);
	assert_int_equal(vtd_iommu_mmio_read(g->iommu, R_IQH, 8, &v), 0);
	assert_int_equal(v, (uint64_t)g->tail << 5);
}

/* Scalable tables for 00:03.0: root 0x10000, context 0x11000, PASID
 * directory 0x12000, PASID table 0x13000 (RID_PASID 0, DID 7). */
static void guest_tables(struct guest *g, uint64_t pe0, uint64_t pe2)
{
	wq(g, 0x10000, 0x11001);
	wq(g, 0x11000 + (SID & 0xff) * 32, 0x12001);
	wq(g, 0x12000, 0x13001);
	wq(g, 0x13000, pe0);
	wq(g, 0x13008, 7);
	wq(g, 0x13010, pe2);
}

static void guest_enable(struct guest *g)
{
	mmio_w(g, R_RTADDR, 8, 0x10000 | 0x400); /* scalable */
	gcmd(g, 1u << 30);                       /* SRTP */
	mmio_w(g, R_IQA, 8, 0x40000 | 0x800);    /* 256-bit descriptors */
	g->gcmd |= 1u << 26;                     /* QIE */
	gcmd(g, 0);
	g->gcmd |= 1u << 31;                     /* TE */
	gcmd(g, 0);
}

#define PE0_FS 0x41ull  /* P, PGTT first stage */
#define PE0_PT 0x101ull /* P, PGTT pass-through */

/* PASID-based IOTLB invalidation (type 6): g 3 page-selective, 2 PASID. */
static uint64_t piotlb(unsigned g, uint16_t did, uint32_t pasid)
{
	return 6 | ((uint64_t)g << 4) | ((uint64_t)did << 16) | ((uint64_t)pasid << 32);
}

/* PASID cache invalidation (type 7), PASID-selective. */
static uint64_t pc_inval(uint16_t did, uint32_t pasid)
{
	return 7 | (1ull << 4) | ((uint64_t)did << 16) | ((uint64_t)pasid << 32);
}

static int map_nop(void *ctx, uint64_t gpa, uint64_t size, void *hva, bool writable)
{
	(void)ctx;
	(void)gpa;
	(void)size;
	(void)hva;
	(void)writable;
	return 0;
}

static void test_flow(void **state)
{
	(void)state;
	struct guest g;
	guest_new(&g, "x-scalable-mode=on,x-flts=on,x-fs5lp=on,caching-mode=on");
	struct vtd_host_device host;
	assert_int_equal(vtd_host_from_profile("gnr-main", &host, NULL), 0);
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	struct vtd_error err;

	/* attach: IOAS, nest parent, guest RAM mapped, the device on the
	 * parent (translation is off) */
	unsigned m = M.n;
	assert_int_equal(vtd_iommu_attach_host(g.iommu, SID, &host, &be, 3, &err), 0);
	assert_int_equal(M.n, m + 4);
	exp_ioas_alloc(m);
	const uint32_t ioas = 1, parent = 2;
	exp_hwpt_parent(m + 1, ioas);
	exp_map(m + 2, ioas, g.ram, RAM_SIZE, 0, true);
	exp_attach(m + 3, parent, VTD_HOST_NO_PASID);
	assert_int_equal(M.attached, parent);
	/* more guest memory: mapped into the parent; read-only memory is not
	 * (the host has erratum 772415) and reaches no kernel */
	static uint8_t extra[2][8192];
	m = M.n;
	assert_int_equal(vtd_iommu_host_map(g.iommu, 0x100000000ull, 8192, extra[0], true), 0);
	assert_int_equal(M.n, m + 1);
	exp_map(m, ioas, extra[0], 8192, 0x100000000ull, true);
	assert_int_equal(vtd_iommu_host_map(g.iommu, 0x200000000ull, 8192, extra[1], false),
			 -EPERM);
	assert_int_equal(M.n, m + 1);

	/* a second device at the same place is refused before anything is
	 * asked of the kernel (through a second backend object whose map
	 * does not reach the kernel, as the mock has one device only) */
	struct vtd_host_ops ops2 = *be.ops;
	ops2.map = map_nop;
	struct vtd_host_if be2 = { &ops2, be.ctx };
	m = M.n;
	assert_int_equal(vtd_iommu_attach_host(g.iommu, SID, &host, &be2, 4, &err), -EEXIST);
	assert_contains(err.msg, "already attached");
	assert_int_equal(M.n, m);
	assert_int_equal(M.attached, parent);

	/* the guest programs a first-stage RID_PASID entry and enables */
	guest_tables(&g, PE0_FS, 0x20000);
	m = M.n;
	guest_enable(&g);
	assert_int_equal(M.n, m + 2);
	exp_hwpt_nested(m, parent, 0, 0x20000, 48);
	uint32_t nested = rd32(M.rec[m].out, 16);
	assert_int_equal(obj_kind(nested), O_NESTED);
	exp_attach(m + 1, nested, VTD_HOST_NO_PASID);
	assert_int_equal(M.attached, nested);

	/* PASID-based IOTLB, page-selective with IH: addr/npages, LEAF */
	m = M.n;
	submit(&g, piotlb(3, 7, 0), 0x5000 | 0x40 | 2); /* AM 2: 16 KiB at 0x4000 */
	assert_int_equal(M.n, m + 1);
	struct vtd_s1_inval want = { 0x4000, 4, VTD_S1_INV_LEAF };
	exp_inval(m, nested, &want, 1);
	/* without IH: not leaf-only */
	submit(&g, piotlb(3, 7, 0), 0x7000);
	want = (struct vtd_s1_inval){ 0x7000, 1, 0 };
	exp_inval(m + 1, nested, &want, 1);
	assert_int_equal(M.n, m + 2);
	/* PASID-selective: everything */
	submit(&g, piotlb(2, 7, 0), 0);
	want = (struct vtd_s1_inval){ 0, ~0ull, 0 };
	exp_inval(m + 2, nested, &want, 1);
	/* domain-selective IOTLB (legacy type 2, in the 256-bit queue): all */
	submit(&g, 2 | (2u << 4) | (7u << 16), 0);
	exp_inval(m + 3, nested, &want, 1);
	/* page-selective IOTLB (type 2, g 3) with IH */
	submit(&g, 2 | (3u << 4) | (7u << 16), 0x9000 | 0x40);
	want = (struct vtd_s1_inval){ 0x9000, 1, VTD_S1_INV_LEAF };
	exp_inval(m + 4, nested, &want, 1);
	/* global IOTLB: all */
	submit(&g, 2 | (1u << 4), 0);
	want = (struct vtd_s1_inval){ 0, ~0ull, 0 };
	exp_inval(m + 5, nested, &want, 1);
	assert_int_equal(M.n, m + 6);
	/* other domains or PASIDs: nothing */
	submit(&g, piotlb(3, 8, 0), 0x5000);
	submit(&g, piotlb(2, 7, 1), 0);
	submit(&g, 2 | (2u << 4) | (8u << 16), 0);
	assert_int_equal(M.n, m + 6);
	/* an invalidation wait: nothing for the host */
	submit(&g, 5 | (1u << 5), 0x3000);
	assert_int_equal(M.n, m + 6);

	/* the kernel handles none the first time: retried once */
	m = M.n;
	M.inv_handle = 0;
	M.inv_errno = EBUSY;
	M.inv_calls = 1;
	submit(&g, piotlb(3, 7, 0), 0x6000);
	assert_int_equal(M.n, m + 2);
	want = (struct vtd_s1_inval){ 0x6000, 1, 0 };
	exp_inval(m, nested, &want, 1);
	assert_int_equal(M.rec[m].err, EBUSY);
	exp_inval(m + 1, nested, &want, 1);
	assert_int_equal(M.rec[m + 1].err, 0);

	/* the guest changes the first stage (new root, 5-level) and
	 * invalidates the PASID cache: a new nested table replaces the old
	 * one, which is then destroyed */
	m = M.n;
	wq(&g, 0x13010, 0x30000 | (1u << 2));
	submit(&g, pc_inval(7, 0), 0);
	assert_int_equal(M.n, m + 3);
	exp_hwpt_nested(m, parent, 0, 0x30000, 57);
	uint32_t nested2 = rd32(M.rec[m].out, 16);
	exp_attach(m + 1, nested2, VTD_HOST_NO_PASID);
	exp_destroy(m + 2, nested);
	assert_int_equal(M.rec[m + 2].err, 0);
	nested = nested2;
	/* the same entry again: nothing */
	submit(&g, pc_inval(7, 0), 0);
	assert_int_equal(M.n, m + 3);

	/* pass-through + PASID-cache invalidation: back to the parent, the
	 * nested table destroyed after the device left it */
	m = M.n;
	wq(&g, 0x13000, PE0_PT);
	submit(&g, pc_inval(7, 0), 0);
	assert_int_equal(M.n, m + 2);
	exp_attach(m, parent, VTD_HOST_NO_PASID);
	exp_destroy(m + 1, nested);
	assert_int_equal(M.rec[m + 1].err, 0);
	assert_int_equal(M.attached, parent);
	/* nothing nested: invalidations stay in the guest */
	submit(&g, piotlb(2, 7, 0), 0);
	submit(&g, 2 | (1u << 4), 0);
	assert_int_equal(M.n, m + 2);

	/* back to first stage, then detach: DETACH, DESTROY nested and
	 * parent, then UNMAP of what attach and host_map mapped (the IOAS
	 * outlives the device and may take it again) */
	m = M.n;
	wq(&g, 0x13000, PE0_FS);
	submit(&g, pc_inval(7, 0), 0);
	assert_int_equal(M.n, m + 2);
	exp_hwpt_nested(m, parent, 0, 0x30000, 57);
	nested = rd32(M.rec[m].out, 16);
	exp_attach(m + 1, nested, VTD_HOST_NO_PASID);
	m = M.n;
	assert_int_equal(vtd_iommu_detach_host(g.iommu, SID), 0);
	assert_int_equal(M.n, m + 5);
	exp_detach(m, VTD_HOST_NO_PASID);
	exp_destroy(m + 1, nested);
	exp_destroy(m + 2, parent);
	exp_unmap(m + 3, ioas, 0, RAM_SIZE);
	exp_unmap(m + 4, ioas, 0x100000000ull, 8192);
	for (unsigned i = m; i < M.n; i++)
		assert_int_equal(M.rec[i].err, 0);
	assert_int_equal(M.attached, 0);
	assert_int_equal(vtd_iommu_detach_host(g.iommu, SID), -ENOENT);
	/* after detach, guest invalidations reach nobody */
	m = M.n;
	submit(&g, 2 | (1u << 4), 0);
	assert_int_equal(M.n, m);

	/* only the IOAS is left; close destroys it */
	assert_int_equal(live_objects(), 1);
	assert_int_equal(obj_kind(ioas), O_IOAS);
	m = M.n;
	close_backend(f);
	assert_int_equal(M.n, m + 1);
	exp_destroy(m, ioas);
	guest_free(&g);
}

/* The translation off -> blocked cases of follow: absent entry, bad PGTT. */
static void test_flow_blocked(void **state)
{
	(void)state;
	struct guest g;
	guest_new(&g, "x-scalable-mode=on,x-flts=on,caching-mode=on");
	struct vtd_host_device host;
	assert_int_equal(vtd_host_from_profile("gnr-main", &host, NULL), 0);
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	assert_int_equal(vtd_iommu_attach_host(g.iommu, SID, &host, &be, 0, NULL), 0);
	/* no PASID entry: enabling blocks the device (detached) */
	guest_tables(&g, 0, 0);
	unsigned m = M.n;
	guest_enable(&g);
	assert_int_equal(M.n, m + 1);
	exp_detach(m, VTD_HOST_NO_PASID);
	/* second-stage PGTT (2) for a passthrough device: still blocked */
	wq(&g, 0x13000, 0x81);
	submit(&g, pc_inval(7, 0), 0);
	assert_int_equal(M.n, m + 1);
	/* first stage that translation would refuse: blocked too.  SRE,
	 * WPE and EAFE are reserved on this unit (x-flts offers no ECAP.SRS,
	 * no unit offers EAFS: SPT.3), FSPM=1 needs x-fs5lp (SPT.4) */
	wq(&g, 0x13000, PE0_FS);
	static const uint64_t refused[] = { 0x20000 | 1, 0x20000 | 0x10, 0x20000 | 0x80,
					    0x20000 | (1u << 2) };
	for (unsigned k = 0; k < 4; k++) {
		wq(&g, 0x13010, refused[k]);
		submit(&g, pc_inval(7, 0), 0);
		assert_int_equal(M.n, m + 1);
	}
	/* first stage: nested, attached */
	wq(&g, 0x13010, 0x20000);
	submit(&g, pc_inval(7, 0), 0);
	assert_int_equal(M.n, m + 3);
	exp_hwpt_nested(m + 1, 2, 0, 0x20000, 48);
	uint32_t nested = rd32(M.rec[m + 1].out, 16);
	exp_attach(m + 2, nested, VTD_HOST_NO_PASID);
	/* translation off: the parent, nested destroyed */
	g.gcmd &= ~(1u << 31);
	m = M.n;
	gcmd(&g, 0);
	assert_int_equal(M.n, m + 2);
	exp_attach(m, 2, VTD_HOST_NO_PASID);
	exp_destroy(m + 1, nested);
	assert_int_equal(vtd_iommu_detach_host(g.iommu, SID), 0);
	assert_int_equal(live_objects(), 1);
	close_backend(f);
	guest_free(&g);
}

/* The host refuses a step: the device ends blocked, nothing leaks. */
static void test_flow_host_refuses(void **state)
{
	(void)state;
	struct vtd_host_device host;
	assert_int_equal(vtd_host_from_profile("gnr-main", &host, NULL), 0);
	struct vtd_host_if be;
	struct vtd_error err;

	/* no nesting at HWPT_ALLOC NEST_PARENT */
	struct guest g;
	guest_new(&g, "x-scalable-mode=on,x-flts=on,caching-mode=on");
	struct vtd_iommufd *f = open_backend(&be);
	M.no_nesting = true;
	assert_int_equal(vtd_iommu_attach_host(g.iommu, SID, &host, &be, 0, &err), -EOPNOTSUPP);
	assert_contains(err.msg, "nest parent");
	assert_int_equal(M.attached, 0);
	M.no_nesting = false;
	/* guest RAM refused: the parent is destroyed again */
	inject(VTD_IOMMU_IOAS_MAP, 0, ENOMEM);
	unsigned m = M.n;
	assert_int_equal(vtd_iommu_attach_host(g.iommu, SID, &host, &be, 0, &err), -ENOMEM);
	assert_contains(err.msg, "guest RAM");
	assert_int_equal(M.n, m + 3);
	exp_hwpt_parent(m, 1);
	uint32_t parent = rd32(M.rec[m].out, 16);
	exp_map(m + 1, 1, g.ram, RAM_SIZE, 0, true);
	exp_destroy(m + 2, parent);
	assert_int_equal(M.rec[m + 2].err, 0);
	assert_int_equal(vtd_iommu_detach_host(g.iommu, SID), -ENOENT);

	/* attached; the nested table is refused at HWPT_ALLOC: blocked */
	assert_int_equal(vtd_iommu_attach_host(g.iommu, SID, &host, &be, 0, &err), 0);
	parent = M.attached;
	guest_tables(&g, PE0_FS, 0x20000);
	inject(VTD_IOMMU_HWPT_ALLOC, 0, EINVAL);
	m = M.n;
	guest_enable(&g);
	assert_int_equal(M.n, m + 2);
	assert_int_equal(M.rec[m].err, EINVAL);
	exp_detach(m + 1, VTD_HOST_NO_PASID);
	assert_int_equal(M.attached, 0);
	/* the guest retries (PASID cache): allocated, but the attach fails:
	 * detached, the new table destroyed */
	inject(VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0, EBUSY);
	m = M.n;
	submit(&g, pc_inval(7, 0), 0);
	assert_int_equal(M.n, m + 4);
	exp_hwpt_nested(m, parent, 0, 0x20000, 48);
	uint32_t nested = rd32(M.rec[m].out, 16);
	assert_int_equal(M.rec[m + 1].err, EBUSY);
	exp_detach(m + 2, VTD_HOST_NO_PASID);
	exp_destroy(m + 3, nested);
	assert_int_equal(M.rec[m + 3].err, 0);
	/* and again, now the host takes it */
	m = M.n;
	submit(&g, pc_inval(7, 0), 0);
	assert_int_equal(M.n, m + 2);
	nested = rd32(M.rec[m].out, 16);
	exp_attach(m + 1, nested, VTD_HOST_NO_PASID);
	assert_int_equal(M.attached, nested);
	assert_int_equal(vtd_iommu_detach_host(g.iommu, SID), 0);
	assert_int_equal(live_objects(), 1);
	close_backend(f);
	guest_free(&g);
}

/* Detach, then attach the same device again on the same backend (hot
 * unplug and replug): the guest RAM must be mappable into the parent again. */
static void test_flow_reattach(void **state)
{
	(void)state;
	struct guest g;
	guest_new(&g, "x-scalable-mode=on,x-flts=on,caching-mode=on");
	struct vtd_host_device host;
	assert_int_equal(vtd_host_from_profile("gnr-main", &host, NULL), 0);
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	struct vtd_error err;
	assert_int_equal(vtd_iommu_attach_host(g.iommu, SID, &host, &be, 0, &err), 0);
	assert_int_equal(vtd_iommu_detach_host(g.iommu, SID), 0);
	unsigned m = M.n;
	int r = vtd_iommu_attach_host(g.iommu, SID, &host, &be, 0, &err);
	for (unsigned i = m; i < M.n; i++)
		if (M.rec[i].err)
			print_message("  reattach: %s failed with errno %d\n", req_name(M.rec[i].req),
				      M.rec[i].err);
	uint32_t attached = M.attached, parent = rd32(M.rec[m].out, 16);
	int d = vtd_iommu_detach_host(g.iommu, SID);
	close_backend(f);
	guest_free(&g);
	if (r)
		fail_msg("re-attach after detach on the same iommufd backend: %d (%s)", r, err.msg);
	assert_int_equal(attached, parent);
	assert_int_equal(d, 0);
}

/* An incompatible host: refused with the messages, not one ioctl. */
static void test_flow_incompatible(void **state)
{
	(void)state;
	static const struct {
		const char *props, *profile, *msg;
	} cases[] = {
		{ "x-scalable-mode=on,x-flts=on,caching-mode=off", "gnr-main",
		  "Device assignment is not allowed without enabling caching-mode=on" },
		{ "x-scalable-mode=on,x-flts=on", "gnr-main", "caching-mode=on" },
		{ "x-scalable-mode=on,x-flts=on,caching-mode=on", "mtl-main",
		  "host IOMMU cannot do nested translation" },
		{ "x-scalable-mode=on,x-flts=on,caching-mode=on", "hsw-ep-main",
		  "host IOMMU cannot do nested translation" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mock_reset();
		struct guest g;
		guest_new(&g, cases[i].props);
		struct vtd_host_device host;
		assert_int_equal(vtd_host_from_profile(cases[i].profile, &host, NULL), 0);
		struct vtd_host_if be;
		struct vtd_iommufd *f = open_backend(&be);
		unsigned m = M.n;
		struct vtd_error err;
		assert_int_equal(vtd_iommu_attach_host(g.iommu, SID, &host, &be, 0, &err),
				 -EOPNOTSUPP);
		assert_int_equal(M.n, m);
		assert_contains(err.msg, cases[i].msg);
		assert_contains(err.msg, VTD_COMPAT_SUMMARY_FAIL);
		assert_true(err.count >= 2);
		/* the guest enabling translation asks nothing of the host */
		guest_tables(&g, PE0_FS, 0x20000);
		guest_enable(&g);
		assert_int_equal(M.n, m);
		assert_int_equal(vtd_iommu_detach_host(g.iommu, SID), -ENOENT);
		close_backend(f);
		assert_int_equal(M.n, m);
		guest_free(&g);
	}
	/* the legacy backend with x-flts=on */
	mock_reset();
	struct guest g;
	guest_new(&g, "x-scalable-mode=on,x-flts=on,caching-mode=on");
	struct vtd_host_device host;
	assert_int_equal(vtd_host_from_profile("gnr-main", &host, NULL), 0);
	host.backend = VTD_BACKEND_LEGACY;
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	struct vtd_error err;
	assert_int_equal(vtd_iommu_attach_host(g.iommu, SID, &host, &be, 0, &err), -EOPNOTSUPP);
	assert_contains(err.msg, "Need IOMMUFD backend when x-flts=on");
	assert_int_equal(M.n, 1);
	close_backend(f);
	guest_free(&g);
}

/* ------------------------------------------------------------------ */
/* 4. the fault queue: IOMMU_FAULT_QUEUE_ALLOC, the fault fd            */

/* One struct iommu_hwpt_pgfault, at the kernel's offsets. */
static void krec(uint8_t *p, uint32_t flags, uint32_t dev, uint32_t pasid, uint32_t grpid,
		 uint32_t perm, uint64_t addr, uint32_t cookie)
{
	memset(p, 0, FAULT_REC);
	wr32(p, 0, flags);
	wr32(p, 4, dev);
	wr32(p, 8, pasid);
	wr32(p, 12, grpid);
	wr32(p, 16, perm);
	wr64(p, 24, addr);
	wr32(p, 32, 0);      /* length: the kernel gives 0 */
	wr32(p, 36, cookie);
}

/* Script the next read(2): n records (or len bytes of them when len is
 * not 0), or an errno. */
static struct rd_script *script_read(int err, size_t len)
{
	assert_true(M.nrd < MAX_RD);
	struct rd_script *r = &M.rd[M.nrd++];
	memset(r, 0, sizeof(*r));
	r->err = err;
	r->len = len;
	return r;
}

static void kernel_has_cookie(uint32_t cookie)
{
	assert_true(M.ncookies < 16);
	M.cookies[M.ncookies++] = cookie;
}

static const struct vtd_host_iopf_ops *iopf(void)
{
	const struct vtd_host_iopf_ops *o = vtd_iommufd_iopf_ops();
	assert_non_null(o);
	assert_int_equal(o->sz, sizeof(*o));
	return o;
}

/* A backend on the mock kernel with one fault queue allocated (*q). */
static struct vtd_iommufd *open_queue(uint32_t *q)
{
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	assert_int_equal(iopf()->alloc_queue(f, q), 0);
	return f;
}

/* The ioctls of the queue's life, byte by byte, and their order. */
static void test_fault_queue_bytes(void **state)
{
	(void)state;
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	const struct vtd_host_iopf_ops *o = iopf();
	uint32_t q = 0, parent = 0, hwpt = 0;
	unsigned m = M.n;
	assert_int_equal(o->alloc_queue(f, &q), 0);
	exp_fault_alloc(m);
	assert_int_equal(q, 1);
	assert_true(M.fault_open);
	assert_int_equal(o->fd(f, q), FD_FAULT);
	assert_int_equal(o->fd(f, q + 1), -ENOENT);
	/* one device, one queue */
	assert_int_equal(o->alloc_queue(f, &q), -EEXIST);
	assert_int_equal(M.n, m + 1);
	assert_int_equal(be.ops->alloc_parent(f, &parent), 0);
	struct vtd_s1_cfg s1 = { 0x20000, 48, VTD_S1_SRE };
	m = M.n;
	assert_int_equal(o->alloc_nested(f, parent, &s1, q, &hwpt), 0);
	exp_hwpt_nested_fq(m, parent, q, VTD_IOMMU_VTD_S1_SRE, 0x20000, 48);
	assert_int_equal(M.obj[hwpt].fault, q);
	/* a queue that is not ours is refused before the kernel */
	assert_int_equal(o->alloc_nested(f, parent, &s1, q + 7, &hwpt), -ENOENT);
	assert_int_equal(M.n, m + 1);
	/* the table holds the fault object: DESTROY refused (EBUSY), the
	 * fd is closed all the same */
	m = M.n;
	assert_int_equal(o->free_queue(f, q), -EBUSY);
	exp_destroy(m, q);
	assert_false(M.fault_open);
	assert_int_equal(o->fd(f, q), -ENOENT);
	assert_int_equal(be.ops->free_hwpt(f, hwpt), 0);
	/* a second queue after the first: close first, then DESTROY */
	assert_int_equal(o->alloc_queue(f, &q), 0);
	m = M.n;
	assert_int_equal(o->free_queue(f, q), 0);
	exp_destroy(m, q);
	assert_int_equal(M.rec[m].err, 0);
	assert_int_equal(o->free_queue(f, q), -ENOENT);
	assert_int_equal(be.ops->free_hwpt(f, parent), 0);
	/* close frees a queue left behind */
	assert_int_equal(o->alloc_queue(f, &q), 0);
	close_backend(f);
	assert_false(M.fault_open);
}

/* FAULT_QUEUE_ALLOC answers the kernel cannot give: refused, the object
 * given back, the fd not trusted (not even closed) */
static void test_fault_queue_bad_answer(void **state)
{
	(void)state;
	struct vtd_host_if be;
	struct vtd_iommufd *f = open_backend(&be);
	const struct vtd_host_iopf_ops *o = iopf();
	uint32_t q = 0;
	M.fault_fd_reply = 0x80000000u;
	unsigned m = M.n;
	assert_int_equal(o->alloc_queue(f, &q), -EPROTO);
	exp_fault_alloc(m);
	exp_destroy(m + 1, 1);
	assert_int_equal(live_objects(), 0);
	M.fault_fd_reply = 0;
	M.fault_id_reply = 0;
	inject(VTD_IOMMU_FAULT_QUEUE_ALLOC, 0, ENOTTY); /* before 6.11 */
	assert_int_equal(o->alloc_queue(f, &q), -ENOTTY);
	assert_int_equal(o->read(f, 1, NULL, 1), -ENOENT);
	assert_int_equal(o->respond(f, 1, 1, VTD_HOST_IOPF_SUCCESS), -ENOENT);
	close_backend(f);
}

/* Records as the kernel writes them, converted field by field; the
 * library may take fewer than a read(2) gave (carried to the next call
 * without another read) */
static void test_fault_read_records(void **state)
{
	(void)state;
	uint32_t q;
	struct vtd_iommufd *f = open_queue(&q);
	const struct vtd_host_iopf_ops *o = iopf();
	struct rd_script *r = script_read(0, 3 * FAULT_REC);
	/* a group of two pages without PASID, then one with PASID 5 and
	 * every permission; Intel sets the internal NEEDS_PASID bit (4) */
	krec(r->data, 0, DEVID, 0, 7, VTD_IOMMU_PGFAULT_PERM_READ, 0x10000, 9);
	krec(r->data + FAULT_REC, VTD_IOMMU_PGFAULT_FLAGS_LAST_PAGE, DEVID, 0xabc, 7,
	     VTD_IOMMU_PGFAULT_PERM_READ, 0x11fff, 9);
	krec(r->data + 2 * FAULT_REC, 0x7, DEVID, 5, 0x1ff, 0xf, 0xffff800000003000ull, 10);
	struct vtd_host_iopf out[8];
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(o->read(f, q, out, 2), 2);
	assert_int_equal(M.nreads, 1);
	assert_int_equal(M.read_len[0], 256 * FAULT_REC); /* whole groups fit */
	assert_int_equal(o->read(f, q, out + 2, 8), 1);
	assert_int_equal(M.nreads, 1);
	struct vtd_host_iopf want[3] = {
		{ .addr = 0x10000, .cookie = 9, .prg_index = 7, .read = true },
		{ .addr = 0x11000, .cookie = 9, .prg_index = 7, .last = true, .read = true },
		{ .addr = 0xffff800000003000ull, .cookie = 10, .pasid = 5, .prg_index = 0x1ff,
		  .pasid_valid = true, .last = true, .read = true, .write = true, .exec = true,
		  .priv = true },
	};
	for (int i = 0; i < 3; i++) {
		const struct vtd_host_iopf *a = &out[i], *b = &want[i];
		if (a->addr != b->addr || a->cookie != b->cookie || a->pasid != b->pasid ||
		    a->prg_index != b->prg_index || a->pasid_valid != b->pasid_valid ||
		    a->last != b->last || a->read != b->read || a->write != b->write ||
		    a->exec != b->exec || a->priv != b->priv || a->malformed)
			fail_msg("record %d: addr %#llx cookie %u pasid %u/%d group %u last %d "
				 "rwxp %d%d%d%d malformed %d", i, (unsigned long long)a->addr,
				 a->cookie, a->pasid, a->pasid_valid, a->prg_index, a->last, a->read,
				 a->write, a->exec, a->priv, a->malformed);
	}
	/* drained: the next call reads again and gets nothing */
	assert_int_equal(o->read(f, q, out, 8), 0);
	assert_int_equal(M.nreads, 2);
	assert_int_equal(o->read(f, q, out, 0), 0); /* max 0: no read(2) */
	assert_int_equal(M.nreads, 2);
	assert_int_equal(o->read(f, q + 1, out, 8), -ENOENT);
	close_backend(f);
}

/* What a read(2) can say besides records, and records the guest must
 * not see */
static void test_fault_read_errors(void **state)
{
	(void)state;
	uint32_t q;
	struct vtd_iommufd *f = open_queue(&q);
	const struct vtd_host_iopf_ops *o = iopf();
	struct vtd_host_iopf out[8];
	script_read(EAGAIN, 0);           /* a non-blocking fd with nothing */
	script_read(EINTR, 0);
	script_read(EINVAL, 0);           /* 6.12: a group larger than the buffer */
	script_read(EBADF, 0);
	assert_int_equal(o->read(f, q, out, 8), 0);
	assert_int_equal(o->read(f, q, out, 8), 0);
	assert_int_equal(o->read(f, q, out, 8), -E2BIG);
	assert_int_equal(o->read(f, q, out, 8), -EBADF);
	/* a read ending inside a record: the whole ones, then one malformed
	 * (no cookie, no last: nothing to answer) */
	struct rd_script *r = script_read(0, FAULT_REC + 12);
	krec(r->data, VTD_IOMMU_PGFAULT_FLAGS_LAST_PAGE, DEVID, 0, 1, 1, 0x1000, 3);
	krec(r->data + FAULT_REC, VTD_IOMMU_PGFAULT_FLAGS_LAST_PAGE, DEVID, 0, 2, 1, 0x2000, 4);
	assert_int_equal(o->read(f, q, out, 1), 1);
	assert_false(out[0].malformed);
	assert_int_equal(o->read(f, q, out, 8), 1);
	assert_true(out[0].malformed);
	assert_false(out[0].last);
	assert_int_equal(out[0].cookie, 0);
	/* fields out of range, another device's record: malformed, with
	 * their cookie and last kept so the group can be answered */
	r = script_read(0, 4 * FAULT_REC);
	krec(r->data, 2, DEVID + 1, 0, 1, 1, 0x1000, 5);
	krec(r->data + FAULT_REC, 2, DEVID, 0, 0x200, 1, 0x1000, 6);
	krec(r->data + 2 * FAULT_REC, 3, DEVID, 0x100000, 1, 1, 0x1000, 7);
	krec(r->data + 3 * FAULT_REC, 2, DEVID, 0x100000, 1, 1, 0x1000, 8); /* no PASID: fine */
	assert_int_equal(o->read(f, q, out, 8), 4);
	for (int i = 0; i < 3; i++) {
		assert_true(out[i].malformed);
		assert_true(out[i].last);
		assert_int_equal(out[i].cookie, 5 + i);
	}
	assert_false(out[3].malformed);
	assert_false(out[3].pasid_valid);
	assert_int_equal(out[3].pasid, 0);
	/* more than was asked for: not believed */
	script_read(0, 300 * FAULT_REC);
	assert_int_equal(o->read(f, q, out, 8), -EPROTO);
	assert_int_equal(o->read(f, q, out, 8), 0);
	close_backend(f);
}

/* write(2) of a response: cookie and code at the kernel's offsets */
static void test_fault_respond_bytes(void **state)
{
	(void)state;
	uint32_t q;
	struct vtd_iommufd *f = open_queue(&q);
	const struct vtd_host_iopf_ops *o = iopf();
	kernel_has_cookie(9);
	kernel_has_cookie(10);
	assert_int_equal(o->respond(f, q, 9, VTD_HOST_IOPF_SUCCESS), 0);
	assert_int_equal(o->respond(f, q, 10, VTD_HOST_IOPF_INVALID), 0);
	assert_int_equal(M.nwr, 2);
	const uint8_t w0[8] = { 9, 0, 0, 0, 0, 0, 0, 0 }, w1[8] = { 10, 0, 0, 0, 1, 0, 0, 0 };
	assert_int_equal(M.wr[0].len, 8);
	assert_memory_equal(M.wr[0].data, w0, 8);
	assert_int_equal(M.wr[1].len, 8);
	assert_memory_equal(M.wr[1].data, w1, 8);
	/* a cookie the kernel does not know (answered, or dropped with its
	 * table): EINVAL */
	assert_int_equal(o->respond(f, q, 9, VTD_HOST_IOPF_SUCCESS), -EINVAL);
	/* a code the kernel does not take is not sent */
	assert_int_equal(o->respond(f, q, 9, (enum vtd_host_iopf_code)2), -EINVAL);
	assert_int_equal(M.nwr, 3);
	/* a short write is an error */
	kernel_has_cookie(11);
	M.write_short = 4;
	assert_int_equal(o->respond(f, q, 11, VTD_HOST_IOPF_SUCCESS), -EIO);
	M.write_short = 0;
	M.write_errno = EFAULT;
	assert_int_equal(o->respond(f, q, 12, VTD_HOST_IOPF_SUCCESS), -EFAULT);
	M.write_errno = 0;
	assert_int_equal(o->respond(f, q + 1, 12, VTD_HOST_IOPF_SUCCESS), -ENOENT);
	close_backend(f);
}

#define SVM "x-scalable-mode=on,x-flts=on,caching-mode=on,x-pasid-mode=on,device-iotlb=on,svm=on"
#define R_PQT 0xc8
#define R_PQA 0xd0
#define PRQ_AT 0x60000ull

/* svm=on, PRE set, a page request queue at PRQ_AT; attached through
 * vtd_iommu_attach_host_opts with the backend's fault queue. */
static struct vtd_iommufd *iopf_guest(struct guest *g, struct vtd_host_if *be, int expect)
{
	guest_new(g, SVM);
	struct vtd_host_device host;
	assert_int_equal(vtd_host_from_profile("gnr-main", &host, NULL), 0);
	struct vtd_iommufd *f = open_backend(be);
	struct vtd_host_attach_opts ao = { .sz = sizeof(ao), .iopf = vtd_iommufd_iopf_ops() };
	struct vtd_error err;
	int r = vtd_iommu_attach_host_opts(g->iommu, SID, &host, be, 0, &ao, &err);
	if (r != expect)
		fail_msg("attach: %d (%s)", r, err.msg);
	guest_tables(g, PE0_FS, 0x20000);
	wq(g, 0x11000 + (SID & 0xff) * 32, 0x12000 | 0x15); /* P, DTE, PRE */
	mmio_w(g, R_PQA, 8, PRQ_AT);
	return f;
}

/* The whole life through vtd_iommu_attach_host_opts and the mock kernel. */
static void test_flow_iopf(void **state)
{
	(void)state;
	struct guest g;
	struct vtd_host_if be;
	unsigned m = M.n + 1; /* after the BIND */
	struct vtd_iommufd *f = iopf_guest(&g, &be, 0);
	/* attach: IOAS, parent, RAM, the fault queue, the device on the parent */
	assert_int_equal(M.n, m + 5);
	exp_ioas_alloc(m);
	exp_hwpt_parent(m + 1, 1);
	exp_map(m + 2, 1, g.ram, RAM_SIZE, 0, true);
	exp_fault_alloc(m + 3);
	const uint32_t parent = 2, fault = 3;
	exp_attach(m + 4, parent, VTD_HOST_NO_PASID);
	assert_int_equal(vtd_iommu_host_fault_fd(g.iommu, SID), FD_FAULT);
	/* translation on: the nested table reports to the queue */
	m = M.n;
	guest_enable(&g);
	assert_int_equal(M.n, m + 2);
	exp_hwpt_nested_fq(m, parent, fault, 0, 0x20000, 48);
	uint32_t nested = rd32(M.rec[m].out, 16);
	exp_attach(m + 1, nested, VTD_HOST_NO_PASID);
	/* nothing there yet */
	assert_int_equal(vtd_iommu_host_poll(g.iommu, SID, 0), 0);
	/* the kernel reports a page request group of one page */
	struct rd_script *r = script_read(0, FAULT_REC);
	krec(r->data, VTD_IOMMU_PGFAULT_FLAGS_LAST_PAGE, DEVID, 0, 5,
	     VTD_IOMMU_PGFAULT_PERM_READ | VTD_IOMMU_PGFAULT_PERM_WRITE, 0x7000, 42);
	kernel_has_cookie(42);
	assert_int_equal(vtd_iommu_host_poll(g.iommu, SID, 0), 1);
	uint64_t d0, d1, pqt;
	memcpy(&d0, g.ram + PRQ_AT, 8);
	memcpy(&d1, g.ram + PRQ_AT + 8, 8);
	assert_int_equal(d0, 1 | ((uint64_t)SID << 16));
	assert_int_equal(d1, 3 | 4 | (5u << 3) | 0x7000);
	assert_int_equal(vtd_iommu_mmio_read(g.iommu, R_PQT, 8, &pqt), 0);
	assert_int_equal(pqt, 1u << 5);
	/* the guest answers group 5: the cookie goes back, Success */
	unsigned w = M.nwr;
	submit(&g, 9 | ((uint64_t)SID << 16), 5u << 3);
	assert_int_equal(M.nwr, w + 1);
	assert_int_equal(M.wr[w].err, 0);
	assert_int_equal(rd32(M.wr[w].data, 0), 42);
	assert_int_equal(rd32(M.wr[w].data, 4), VTD_IOMMUFD_PAGE_RESP_SUCCESS);
	assert_int_equal(M.ncookies, 0);
	/* a group whose cookie the kernel no longer has: refused, counted */
	r = script_read(0, FAULT_REC);
	krec(r->data, VTD_IOMMU_PGFAULT_FLAGS_LAST_PAGE, DEVID, 0, 6, 1, 0x8000, 43);
	assert_int_equal(vtd_iommu_host_poll(g.iommu, SID, 0), 1);
	submit(&g, 9 | (1u << 12) | ((uint64_t)SID << 16), 6u << 3);
	assert_int_equal(M.wr[w + 1].err, EINVAL);
	assert_int_equal(rd32(M.wr[w + 1].data, 4), VTD_IOMMUFD_PAGE_RESP_INVALID);
	struct vtd_host_iopf_stats st = { .sz = sizeof(st) };
	assert_int_equal(vtd_iommu_host_iopf_stats(g.iommu, SID, &st), 0);
	assert_int_equal(st.delivered, 2);
	assert_int_equal(st.responses, 2);
	assert_int_equal(st.response_errors, 1);
	/* one outstanding at detach: answered Invalid first, then DETACH,
	 * DESTROY nested and parent, the queue (fd closed, DESTROY), UNMAP */
	r = script_read(0, FAULT_REC);
	krec(r->data, VTD_IOMMU_PGFAULT_FLAGS_LAST_PAGE, DEVID, 0, 7, 1, 0x9000, 44);
	kernel_has_cookie(44);
	assert_int_equal(vtd_iommu_host_poll(g.iommu, SID, 0), 1);
	m = M.n;
	w = M.nwr;
	assert_int_equal(vtd_iommu_detach_host(g.iommu, SID), 0);
	assert_int_equal(M.nwr, w + 1);
	assert_int_equal(M.wr[w].at, m);
	assert_int_equal(rd32(M.wr[w].data, 0), 44);
	assert_int_equal(rd32(M.wr[w].data, 4), VTD_IOMMUFD_PAGE_RESP_INVALID);
	assert_int_equal(M.wr[w].err, 0);
	assert_int_equal(M.n, m + 5);
	exp_detach(m, VTD_HOST_NO_PASID);
	exp_destroy(m + 1, nested);
	exp_destroy(m + 2, parent);
	exp_destroy(m + 3, fault);
	exp_unmap(m + 4, 1, 0, RAM_SIZE);
	for (unsigned i = m; i < M.n; i++)
		assert_int_equal(M.rec[i].err, 0);
	assert_false(M.fault_open);
	assert_int_equal(live_objects(), 1);
	close_backend(f);
	guest_free(&g);
}

/* A kernel before fault queues (ENOTTY): attached, nested tables without
 * one; another refusal fails the attach and undoes it */
static void test_flow_iopf_old_kernel(void **state)
{
	(void)state;
	struct guest g;
	struct vtd_host_if be;
	inject(VTD_IOMMU_FAULT_QUEUE_ALLOC, 0, ENOTTY);
	struct vtd_iommufd *f = iopf_guest(&g, &be, 0);
	assert_int_equal(vtd_iommu_host_fault_fd(g.iommu, SID), -EOPNOTSUPP);
	unsigned m = M.n;
	guest_enable(&g);
	exp_hwpt_nested(m, 2, 0, 0x20000, 48);
	assert_int_equal(vtd_iommu_host_poll(g.iommu, SID, 0), -EOPNOTSUPP);
	assert_int_equal(M.nreads, 0);
	assert_int_equal(vtd_iommu_detach_host(g.iommu, SID), 0);
	close_backend(f);
	guest_free(&g);

	mock_reset();
	inject(VTD_IOMMU_FAULT_QUEUE_ALLOC, 0, EMFILE);
	struct guest g2;
	guest_new(&g2, SVM);
	struct vtd_host_device host;
	assert_int_equal(vtd_host_from_profile("gnr-main", &host, NULL), 0);
	f = open_backend(&be);
	struct vtd_host_attach_opts ao = { .sz = sizeof(ao), .iopf = vtd_iommufd_iopf_ops() };
	struct vtd_error err;
	assert_int_equal(vtd_iommu_attach_host_opts(g2.iommu, SID, &host, &be, 0, &ao, &err),
			 -EMFILE);
	assert_contains(err.msg, "fault queue");
	assert_int_equal(live_objects(), 1); /* the IOAS: parent destroyed, RAM unmapped */
	assert_int_equal(M.map[0].ioas, 0);
	close_backend(f);
	guest_free(&g2);
}

/* Linux refuses to attach a table with a fault queue when the device has
 * no ATS/PRI (intel_iommu_enable_iopf: ENODEV): the library takes one
 * without and does not ask again */
static void test_flow_iopf_no_pri(void **state)
{
	(void)state;
	struct guest g;
	struct vtd_host_if be;
	M.no_pri = true;
	struct vtd_iommufd *f = iopf_guest(&g, &be, 0);
	unsigned m = M.n;
	guest_enable(&g);
	assert_int_equal(M.n, m + 5);
	exp_hwpt_nested_fq(m, 2, 3, 0, 0x20000, 48);
	uint32_t refused = rd32(M.rec[m].out, 16);
	exp_attach(m + 1, refused, VTD_HOST_NO_PASID);
	assert_int_equal(M.rec[m + 1].err, ENODEV);
	exp_destroy(m + 2, refused);
	exp_hwpt_nested(m + 3, 2, 0, 0x20000, 48);
	uint32_t nested = rd32(M.rec[m + 3].out, 16);
	exp_attach(m + 4, nested, VTD_HOST_NO_PASID);
	assert_int_equal(M.attached, nested);
	struct vtd_host_iopf_stats st = { .sz = sizeof(st) };
	assert_int_equal(vtd_iommu_host_iopf_stats(g.iommu, SID, &st), 0);
	assert_true(st.queue);
	assert_false(st.active);
	/* a new first stage: one table, without the queue, first time */
	m = M.n;
	wq(&g, 0x13010, 0x30000);
	submit(&g, pc_inval(7, 0), 0);
	assert_int_equal(M.n, m + 3);
	exp_hwpt_nested(m, 2, 0, 0x30000, 48);
	assert_int_equal(vtd_iommu_detach_host(g.iommu, SID), 0);
	close_backend(f);
	guest_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_numbers, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_open_close, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_open_failures, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_alloc_parent_bytes, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_map_unmap_bytes, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_alloc_nested_bytes, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_alloc_nested_rejects, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_attach_detach_bytes, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_bytes, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_chunks, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_partial, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_partial_second_chunk, mock_setup,
						mock_teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_not_written_back, mock_setup,
						mock_teardown),
		cmocka_unit_test_setup_teardown(test_errors_propagate, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_flow, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_flow_blocked, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_flow_host_refuses, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_flow_reattach, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_flow_incompatible, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_fault_queue_bytes, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_fault_queue_bad_answer, mock_setup,
						mock_teardown),
		cmocka_unit_test_setup_teardown(test_fault_read_records, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_fault_read_errors, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_fault_respond_bytes, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_flow_iopf, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_flow_iopf_old_kernel, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_flow_iopf_no_pri, mock_setup, mock_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
