/* SPDX-License-Identifier: MIT */
/*
 * Our own definitions of the Linux iommufd and VFIO-cdev uAPI (from
 * include/uapi/linux/iommufd.h and vfio.h), written from the documented ABI
 * so libvtd builds on machines whose kernel headers lack them (Debian 12's
 * 6.1 headers have no iommufd.h).  tests/unit/test_uapi.c checks every size,
 * offset and ioctl number against the real headers when they are installed.
 *
 * Each struct starts with its size (argsz for VFIO): the kernel accepts an
 * older, shorter struct, and a longer one whose unknown tail is zero, so
 * these newest layouts work on every kernel that has the ioctl.
 */
#ifndef VTD_UAPI_H
#define VTD_UAPI_H

#include <stddef.h>
#include <stdint.h>

/* Both families use type ';' with no size/direction bits: _IO(';', nr). */
#define VTD_UAPI_IO(nr) ((unsigned long)((0x3bu << 8) | (nr)))

/* ---- iommufd ---- */
enum {
	VTD_IOMMUFD_CMD_DESTROY = 0x80,
	VTD_IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	VTD_IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	VTD_IOMMUFD_CMD_IOAS_COPY = 0x83,
	VTD_IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	VTD_IOMMUFD_CMD_IOAS_MAP = 0x85,
	VTD_IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	VTD_IOMMUFD_CMD_OPTION = 0x87,
	VTD_IOMMUFD_CMD_VFIO_IOAS = 0x88,
	VTD_IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	VTD_IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	VTD_IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	VTD_IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	VTD_IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	VTD_IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
};

#define VTD_IOMMU_DESTROY           VTD_UAPI_IO(VTD_IOMMUFD_CMD_DESTROY)
#define VTD_IOMMU_IOAS_ALLOC        VTD_UAPI_IO(VTD_IOMMUFD_CMD_IOAS_ALLOC)
#define VTD_IOMMU_IOAS_MAP          VTD_UAPI_IO(VTD_IOMMUFD_CMD_IOAS_MAP)
#define VTD_IOMMU_IOAS_UNMAP        VTD_UAPI_IO(VTD_IOMMUFD_CMD_IOAS_UNMAP)
#define VTD_IOMMU_HWPT_ALLOC        VTD_UAPI_IO(VTD_IOMMUFD_CMD_HWPT_ALLOC)
#define VTD_IOMMU_GET_HW_INFO       VTD_UAPI_IO(VTD_IOMMUFD_CMD_GET_HW_INFO)
#define VTD_IOMMU_HWPT_INVALIDATE   VTD_UAPI_IO(VTD_IOMMUFD_CMD_HWPT_INVALIDATE)
#define VTD_IOMMU_FAULT_QUEUE_ALLOC VTD_UAPI_IO(VTD_IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

struct vtd_iommu_destroy {
	uint32_t size;
	uint32_t id;
};

struct vtd_iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};

#define VTD_IOMMU_IOAS_MAP_FIXED_IOVA (1u << 0)
#define VTD_IOMMU_IOAS_MAP_WRITEABLE  (1u << 1)
#define VTD_IOMMU_IOAS_MAP_READABLE   (1u << 2)
struct vtd_iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t reserved;
	uint64_t user_va __attribute__((aligned(8)));
	uint64_t length __attribute__((aligned(8)));
	uint64_t iova __attribute__((aligned(8)));
};

struct vtd_iommu_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	uint64_t iova __attribute__((aligned(8)));
	uint64_t length __attribute__((aligned(8)));
};

#define VTD_IOMMU_HWPT_ALLOC_NEST_PARENT    (1u << 0)
#define VTD_IOMMU_HWPT_ALLOC_DIRTY_TRACKING (1u << 1)
#define VTD_IOMMU_HWPT_FAULT_ID_VALID       (1u << 2)
#define VTD_IOMMU_HWPT_ALLOC_PASID          (1u << 3)
enum {
	VTD_IOMMU_HWPT_DATA_NONE = 0,
	VTD_IOMMU_HWPT_DATA_VTD_S1 = 1,
};
struct vtd_iommu_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id;
	uint32_t out_hwpt_id;
	uint32_t reserved;
	uint32_t data_type;
	uint32_t data_len;
	uint64_t data_uptr __attribute__((aligned(8)));
	uint32_t fault_id;
	uint32_t reserved2;
};

#define VTD_IOMMU_VTD_S1_SRE  (1u << 0)
#define VTD_IOMMU_VTD_S1_EAFE (1u << 1)
#define VTD_IOMMU_VTD_S1_WPE  (1u << 2)
struct vtd_iommu_hwpt_vtd_s1 {
	uint64_t flags __attribute__((aligned(8)));
	uint64_t pgtbl_addr __attribute__((aligned(8)));
	uint32_t addr_width;
	uint32_t reserved;
};

struct vtd_iommu_hw_info_vtd {
	uint32_t flags;
	uint32_t reserved;
	uint64_t cap_reg __attribute__((aligned(8)));
	uint64_t ecap_reg __attribute__((aligned(8)));
};

#define VTD_IOMMU_HW_CAP_DIRTY_TRACKING (1ull << 0)
#define VTD_IOMMU_HW_CAP_PCI_PASID_EXEC (1ull << 1)
#define VTD_IOMMU_HW_CAP_PCI_PASID_PRIV (1ull << 2)
struct vtd_iommu_hw_info {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t data_len;
	uint64_t data_uptr __attribute__((aligned(8)));
	uint32_t out_data_type;       /* union with in_data_type on >= 6.17 */
	uint8_t out_max_pasid_log2;
	uint8_t reserved[3];
	uint64_t out_capabilities __attribute__((aligned(8)));
};
/* 6.6 ended after a u32 reserved at offset 28: the kernel's minimum. */
#define VTD_IOMMU_HW_INFO_MIN_SIZE 32u

enum { VTD_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0 };
struct vtd_iommu_hwpt_invalidate {
	uint32_t size;
	uint32_t hwpt_id;
	uint64_t data_uptr __attribute__((aligned(8)));
	uint32_t data_type;
	uint32_t entry_len;
	uint32_t entry_num;
	uint32_t reserved;
};

#define VTD_IOMMU_VTD_INV_FLAGS_LEAF (1u << 0)
struct vtd_iommu_hwpt_vtd_s1_invalidate {
	uint64_t addr __attribute__((aligned(8)));
	uint64_t npages __attribute__((aligned(8)));
	uint32_t flags;
	uint32_t reserved;
};

/* IOMMU_FAULT_QUEUE_ALLOC (Linux 6.11+): a fault object and the fd its
 * faults are read from and its responses written to. */
struct vtd_iommu_fault_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_fault_id;
	uint32_t out_fault_fd;
};

/* What read(2) on the fault fd returns: whole groups of these records, one
 * per page; every record of a group carries the group's cookie.  Intel hosts
 * also set bit 2 of flags (the kernel-internal RESPONSE_NEEDS_PASID leaks
 * through), so unknown flag bits must be ignored, not refused. */
#define VTD_IOMMU_PGFAULT_FLAGS_PASID_VALID (1u << 0)
#define VTD_IOMMU_PGFAULT_FLAGS_LAST_PAGE   (1u << 1)
#define VTD_IOMMU_PGFAULT_PERM_READ  (1u << 0)
#define VTD_IOMMU_PGFAULT_PERM_WRITE (1u << 1)
#define VTD_IOMMU_PGFAULT_PERM_EXEC  (1u << 2)
#define VTD_IOMMU_PGFAULT_PERM_PRIV  (1u << 3)
struct vtd_iommu_hwpt_pgfault {
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint32_t reserved;
	uint64_t addr __attribute__((aligned(8)));
	uint32_t length;
	uint32_t cookie;
};

/* What write(2) on the fault fd takes: one per group, the cookie of the
 * group's records.  Response Failure is not offered (it would disable PRI
 * on a function that may share it with others). */
#define VTD_IOMMUFD_PAGE_RESP_SUCCESS 0u
#define VTD_IOMMUFD_PAGE_RESP_INVALID 1u
struct vtd_iommu_hwpt_page_response {
	uint32_t cookie;
	uint32_t code;
};

/* ---- VFIO (cdev) ---- */
#define VTD_VFIO_BASE 100
#define VTD_VFIO_GET_API_VERSION          VTD_UAPI_IO(VTD_VFIO_BASE + 0)
#define VTD_VFIO_DEVICE_GET_INFO          VTD_UAPI_IO(VTD_VFIO_BASE + 7)
#define VTD_VFIO_DEVICE_BIND_IOMMUFD      VTD_UAPI_IO(VTD_VFIO_BASE + 18)
#define VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT VTD_UAPI_IO(VTD_VFIO_BASE + 19)
#define VTD_VFIO_DEVICE_DETACH_IOMMUFD_PT VTD_UAPI_IO(VTD_VFIO_BASE + 20)

/* Sent as 16 bytes (no token) so that 6.6+ kernels accept it. */
struct vtd_vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
};

#define VTD_VFIO_DEVICE_ATTACH_PASID (1u << 0)
struct vtd_vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
	uint32_t pasid;
};

#define VTD_VFIO_DEVICE_DETACH_PASID (1u << 0)
struct vtd_vfio_device_detach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pasid;
};

/* The layouts are the ABI: a wrong size or offset must not build (the
 * kernel's own definitions are compared by tests/unit/test_uapi.c where
 * they are installed). */
#define VTD_UAPI_SIZE(t, n) _Static_assert(sizeof(struct t) == (n), #t " size")
#define VTD_UAPI_OFF(t, f, n) _Static_assert(offsetof(struct t, f) == (n), #t "." #f " offset")
VTD_UAPI_SIZE(vtd_iommu_destroy, 8);
VTD_UAPI_SIZE(vtd_iommu_ioas_alloc, 12);
VTD_UAPI_SIZE(vtd_iommu_ioas_map, 40);
VTD_UAPI_OFF(vtd_iommu_ioas_map, user_va, 16);
VTD_UAPI_OFF(vtd_iommu_ioas_map, iova, 32);
VTD_UAPI_SIZE(vtd_iommu_ioas_unmap, 24);
VTD_UAPI_OFF(vtd_iommu_ioas_unmap, iova, 8);
VTD_UAPI_SIZE(vtd_iommu_hwpt_alloc, 48);
VTD_UAPI_OFF(vtd_iommu_hwpt_alloc, data_type, 24);
VTD_UAPI_OFF(vtd_iommu_hwpt_alloc, data_uptr, 32);
VTD_UAPI_OFF(vtd_iommu_hwpt_alloc, fault_id, 40);
VTD_UAPI_OFF(vtd_iommu_hwpt_alloc, reserved2, 44);
VTD_UAPI_SIZE(vtd_iommu_hwpt_vtd_s1, 24);
VTD_UAPI_OFF(vtd_iommu_hwpt_vtd_s1, addr_width, 16);
VTD_UAPI_SIZE(vtd_iommu_hw_info_vtd, 24);
VTD_UAPI_SIZE(vtd_iommu_hw_info, 40);
VTD_UAPI_OFF(vtd_iommu_hw_info, out_max_pasid_log2, 28);
VTD_UAPI_OFF(vtd_iommu_hw_info, out_capabilities, 32);
VTD_UAPI_SIZE(vtd_iommu_hwpt_invalidate, 32);
VTD_UAPI_OFF(vtd_iommu_hwpt_invalidate, entry_num, 24);
VTD_UAPI_SIZE(vtd_iommu_hwpt_vtd_s1_invalidate, 24);
VTD_UAPI_SIZE(vtd_iommu_fault_alloc, 16);
VTD_UAPI_OFF(vtd_iommu_fault_alloc, out_fault_id, 8);
VTD_UAPI_OFF(vtd_iommu_fault_alloc, out_fault_fd, 12);
VTD_UAPI_SIZE(vtd_iommu_hwpt_pgfault, 40);
VTD_UAPI_OFF(vtd_iommu_hwpt_pgfault, dev_id, 4);
VTD_UAPI_OFF(vtd_iommu_hwpt_pgfault, pasid, 8);
VTD_UAPI_OFF(vtd_iommu_hwpt_pgfault, grpid, 12);
VTD_UAPI_OFF(vtd_iommu_hwpt_pgfault, perm, 16);
VTD_UAPI_OFF(vtd_iommu_hwpt_pgfault, reserved, 20);
VTD_UAPI_OFF(vtd_iommu_hwpt_pgfault, addr, 24);
VTD_UAPI_OFF(vtd_iommu_hwpt_pgfault, length, 32);
VTD_UAPI_OFF(vtd_iommu_hwpt_pgfault, cookie, 36);
VTD_UAPI_SIZE(vtd_iommu_hwpt_page_response, 8);
VTD_UAPI_OFF(vtd_iommu_hwpt_page_response, code, 4);
VTD_UAPI_SIZE(vtd_vfio_device_bind_iommufd, 16);
VTD_UAPI_SIZE(vtd_vfio_device_attach_iommufd_pt, 16);
VTD_UAPI_SIZE(vtd_vfio_device_detach_iommufd_pt, 12);
#undef VTD_UAPI_SIZE
#undef VTD_UAPI_OFF

#endif
