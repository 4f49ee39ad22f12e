/* SPDX-License-Identifier: MIT */
/*
 * ABI cross-check: libvtd's own iommufd/VFIO definitions (src/host/uapi.h)
 * against the kernel's uAPI headers (Debian's linux-headers-6.12.*-common),
 * field by field: sizes, offsets, flag values, ioctl numbers.  Skipped (exit
 * 77) when the headers are not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#ifndef VTD_KERNEL_IOMMUFD_H
int main(void)
{
	printf("kernel uAPI headers with linux/iommufd.h not found: ABI cross-check skipped\n");
	return 77;
}
#else
/* kernel-internal annotation that the exported headers still carry */
#define __user
#include VTD_KERNEL_IOMMUFD_H
#include VTD_KERNEL_VFIO_H
#include <vtd/host.h>
#include "host/uapi.h"

#define SAME_SIZE(ours, theirs) assert_int_equal(sizeof(struct ours), sizeof(struct theirs))
#define SAME_FIELD(ours, of, theirs, tf)                                               \
	do {                                                                           \
		assert_int_equal(offsetof(struct ours, of), offsetof(struct theirs, tf)); \
		assert_int_equal(sizeof(((struct ours *)0)->of),                       \
				 sizeof(((struct theirs *)0)->tf));                    \
	} while (0)

static void test_ioctl_numbers(void **state)
{
	(void)state;
	assert_int_equal(VTD_IOMMU_DESTROY, IOMMU_DESTROY);
	assert_int_equal(VTD_IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOC);
	assert_int_equal(VTD_IOMMU_IOAS_MAP, IOMMU_IOAS_MAP);
	assert_int_equal(VTD_IOMMU_IOAS_UNMAP, IOMMU_IOAS_UNMAP);
	assert_int_equal(VTD_IOMMU_HWPT_ALLOC, IOMMU_HWPT_ALLOC);
	assert_int_equal(VTD_IOMMU_GET_HW_INFO, IOMMU_GET_HW_INFO);
	assert_int_equal(VTD_IOMMU_HWPT_INVALIDATE, IOMMU_HWPT_INVALIDATE);
	assert_int_equal(VTD_IOMMU_FAULT_QUEUE_ALLOC, IOMMU_FAULT_QUEUE_ALLOC);
	assert_int_equal(VTD_VFIO_GET_API_VERSION, VFIO_GET_API_VERSION);
	assert_int_equal(VTD_VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_INFO);
	assert_int_equal(VTD_VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_BIND_IOMMUFD);
	assert_int_equal(VTD_VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_ATTACH_IOMMUFD_PT);
	assert_int_equal(VTD_VFIO_DEVICE_DETACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_IOMMUFD_PT);
}

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(VTD_IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_FIXED_IOVA);
	assert_int_equal(VTD_IOMMU_IOAS_MAP_WRITEABLE, IOMMU_IOAS_MAP_WRITEABLE);
	assert_int_equal(VTD_IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_READABLE);
	assert_int_equal(VTD_IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_NEST_PARENT);
	assert_int_equal(VTD_IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	assert_int_equal(VTD_IOMMU_HWPT_FAULT_ID_VALID, IOMMU_HWPT_FAULT_ID_VALID);
#ifdef IOMMU_HWPT_ALLOC_PASID
	assert_int_equal(VTD_IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_ALLOC_PASID);
#endif
	assert_int_equal(VTD_IOMMU_HWPT_DATA_NONE, IOMMU_HWPT_DATA_NONE);
	assert_int_equal(VTD_IOMMU_HWPT_DATA_VTD_S1, IOMMU_HWPT_DATA_VTD_S1);
	assert_int_equal(VTD_IOMMU_VTD_S1_SRE, IOMMU_VTD_S1_SRE);
	assert_int_equal(VTD_IOMMU_VTD_S1_EAFE, IOMMU_VTD_S1_EAFE);
	assert_int_equal(VTD_IOMMU_VTD_S1_WPE, IOMMU_VTD_S1_WPE);
	assert_int_equal(VTD_HW_INFO_TYPE_NONE, IOMMU_HW_INFO_TYPE_NONE);
	assert_int_equal(VTD_HW_INFO_TYPE_INTEL_VTD, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	assert_int_equal(VTD_HW_INFO_VTD_ERRATA_772415_SPR17, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17);
	assert_int_equal(VTD_IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HW_CAP_DIRTY_TRACKING);
	assert_int_equal(VTD_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1);
	assert_int_equal(VTD_IOMMU_VTD_INV_FLAGS_LEAF, IOMMU_VTD_INV_FLAGS_LEAF);
	assert_int_equal(VTD_IOMMU_PGFAULT_FLAGS_PASID_VALID, IOMMU_PGFAULT_FLAGS_PASID_VALID);
	assert_int_equal(VTD_IOMMU_PGFAULT_FLAGS_LAST_PAGE, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	assert_int_equal(VTD_IOMMU_PGFAULT_PERM_READ, IOMMU_PGFAULT_PERM_READ);
	assert_int_equal(VTD_IOMMU_PGFAULT_PERM_WRITE, IOMMU_PGFAULT_PERM_WRITE);
	assert_int_equal(VTD_IOMMU_PGFAULT_PERM_EXEC, IOMMU_PGFAULT_PERM_EXEC);
	assert_int_equal(VTD_IOMMU_PGFAULT_PERM_PRIV, IOMMU_PGFAULT_PERM_PRIV);
	assert_int_equal(VTD_IOMMUFD_PAGE_RESP_SUCCESS, IOMMUFD_PAGE_RESP_SUCCESS);
	assert_int_equal(VTD_IOMMUFD_PAGE_RESP_INVALID, IOMMUFD_PAGE_RESP_INVALID);
	assert_int_equal(VTD_VFIO_BASE, VFIO_BASE);
}

static void test_iommufd_structs(void **state)
{
	(void)state;
	SAME_SIZE(vtd_iommu_destroy, iommu_destroy);
	SAME_FIELD(vtd_iommu_destroy, id, iommu_destroy, id);
	SAME_SIZE(vtd_iommu_ioas_alloc, iommu_ioas_alloc);
	SAME_FIELD(vtd_iommu_ioas_alloc, out_ioas_id, iommu_ioas_alloc, out_ioas_id);
	SAME_SIZE(vtd_iommu_ioas_map, iommu_ioas_map);
	SAME_FIELD(vtd_iommu_ioas_map, flags, iommu_ioas_map, flags);
	SAME_FIELD(vtd_iommu_ioas_map, ioas_id, iommu_ioas_map, ioas_id);
	SAME_FIELD(vtd_iommu_ioas_map, reserved, iommu_ioas_map, __reserved);
	SAME_FIELD(vtd_iommu_ioas_map, user_va, iommu_ioas_map, user_va);
	SAME_FIELD(vtd_iommu_ioas_map, length, iommu_ioas_map, length);
	SAME_FIELD(vtd_iommu_ioas_map, iova, iommu_ioas_map, iova);
	SAME_SIZE(vtd_iommu_ioas_unmap, iommu_ioas_unmap);
	SAME_FIELD(vtd_iommu_ioas_unmap, iova, iommu_ioas_unmap, iova);
	SAME_FIELD(vtd_iommu_ioas_unmap, length, iommu_ioas_unmap, length);
	SAME_SIZE(vtd_iommu_hwpt_alloc, iommu_hwpt_alloc);
	SAME_FIELD(vtd_iommu_hwpt_alloc, flags, iommu_hwpt_alloc, flags);
	SAME_FIELD(vtd_iommu_hwpt_alloc, dev_id, iommu_hwpt_alloc, dev_id);
	SAME_FIELD(vtd_iommu_hwpt_alloc, pt_id, iommu_hwpt_alloc, pt_id);
	SAME_FIELD(vtd_iommu_hwpt_alloc, out_hwpt_id, iommu_hwpt_alloc, out_hwpt_id);
	SAME_FIELD(vtd_iommu_hwpt_alloc, reserved, iommu_hwpt_alloc, __reserved);
	SAME_FIELD(vtd_iommu_hwpt_alloc, data_type, iommu_hwpt_alloc, data_type);
	SAME_FIELD(vtd_iommu_hwpt_alloc, data_len, iommu_hwpt_alloc, data_len);
	SAME_FIELD(vtd_iommu_hwpt_alloc, data_uptr, iommu_hwpt_alloc, data_uptr);
	SAME_FIELD(vtd_iommu_hwpt_alloc, fault_id, iommu_hwpt_alloc, fault_id);
	SAME_FIELD(vtd_iommu_hwpt_alloc, reserved2, iommu_hwpt_alloc, __reserved2);
	SAME_SIZE(vtd_iommu_hwpt_vtd_s1, iommu_hwpt_vtd_s1);
	SAME_FIELD(vtd_iommu_hwpt_vtd_s1, flags, iommu_hwpt_vtd_s1, flags);
	SAME_FIELD(vtd_iommu_hwpt_vtd_s1, pgtbl_addr, iommu_hwpt_vtd_s1, pgtbl_addr);
	SAME_FIELD(vtd_iommu_hwpt_vtd_s1, addr_width, iommu_hwpt_vtd_s1, addr_width);
	SAME_SIZE(vtd_iommu_hw_info_vtd, iommu_hw_info_vtd);
	SAME_FIELD(vtd_iommu_hw_info_vtd, flags, iommu_hw_info_vtd, flags);
	SAME_FIELD(vtd_iommu_hw_info_vtd, cap_reg, iommu_hw_info_vtd, cap_reg);
	SAME_FIELD(vtd_iommu_hw_info_vtd, ecap_reg, iommu_hw_info_vtd, ecap_reg);
	SAME_SIZE(vtd_iommu_hw_info, iommu_hw_info);
	SAME_FIELD(vtd_iommu_hw_info, flags, iommu_hw_info, flags);
	SAME_FIELD(vtd_iommu_hw_info, dev_id, iommu_hw_info, dev_id);
	SAME_FIELD(vtd_iommu_hw_info, data_len, iommu_hw_info, data_len);
	SAME_FIELD(vtd_iommu_hw_info, data_uptr, iommu_hw_info, data_uptr);
	SAME_FIELD(vtd_iommu_hw_info, out_data_type, iommu_hw_info, out_data_type);
	SAME_FIELD(vtd_iommu_hw_info, out_max_pasid_log2, iommu_hw_info, out_max_pasid_log2);
	SAME_FIELD(vtd_iommu_hw_info, out_capabilities, iommu_hw_info, out_capabilities);
	SAME_SIZE(vtd_iommu_hwpt_invalidate, iommu_hwpt_invalidate);
	SAME_FIELD(vtd_iommu_hwpt_invalidate, hwpt_id, iommu_hwpt_invalidate, hwpt_id);
	SAME_FIELD(vtd_iommu_hwpt_invalidate, data_uptr, iommu_hwpt_invalidate, data_uptr);
	SAME_FIELD(vtd_iommu_hwpt_invalidate, data_type, iommu_hwpt_invalidate, data_type);
	SAME_FIELD(vtd_iommu_hwpt_invalidate, entry_len, iommu_hwpt_invalidate, entry_len);
	SAME_FIELD(vtd_iommu_hwpt_invalidate, entry_num, iommu_hwpt_invalidate, entry_num);
	SAME_SIZE(vtd_iommu_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate);
	SAME_FIELD(vtd_iommu_hwpt_vtd_s1_invalidate, addr, iommu_hwpt_vtd_s1_invalidate, addr);
	SAME_FIELD(vtd_iommu_hwpt_vtd_s1_invalidate, npages, iommu_hwpt_vtd_s1_invalidate, npages);
	SAME_FIELD(vtd_iommu_hwpt_vtd_s1_invalidate, flags, iommu_hwpt_vtd_s1_invalidate, flags);
	SAME_SIZE(vtd_iommu_fault_alloc, iommu_fault_alloc);
	SAME_FIELD(vtd_iommu_fault_alloc, out_fault_id, iommu_fault_alloc, out_fault_id);
	SAME_FIELD(vtd_iommu_fault_alloc, out_fault_fd, iommu_fault_alloc, out_fault_fd);
	SAME_SIZE(vtd_iommu_hwpt_pgfault, iommu_hwpt_pgfault);
	SAME_FIELD(vtd_iommu_hwpt_pgfault, pasid, iommu_hwpt_pgfault, pasid);
	SAME_FIELD(vtd_iommu_hwpt_pgfault, grpid, iommu_hwpt_pgfault, grpid);
	SAME_FIELD(vtd_iommu_hwpt_pgfault, perm, iommu_hwpt_pgfault, perm);
	SAME_FIELD(vtd_iommu_hwpt_pgfault, addr, iommu_hwpt_pgfault, addr);
	SAME_FIELD(vtd_iommu_hwpt_pgfault, length, iommu_hwpt_pgfault, length);
	SAME_FIELD(vtd_iommu_hwpt_pgfault, cookie, iommu_hwpt_pgfault, cookie);
	SAME_SIZE(vtd_iommu_hwpt_page_response, iommu_hwpt_page_response);
	SAME_FIELD(vtd_iommu_hwpt_page_response, code, iommu_hwpt_page_response, code);
	SAME_FIELD(vtd_iommu_hwpt_page_response, cookie, iommu_hwpt_page_response, cookie);
	SAME_FIELD(vtd_iommu_hwpt_pgfault, flags, iommu_hwpt_pgfault, flags);
	SAME_FIELD(vtd_iommu_hwpt_pgfault, dev_id, iommu_hwpt_pgfault, dev_id);
	SAME_FIELD(vtd_iommu_hwpt_pgfault, reserved, iommu_hwpt_pgfault, __reserved);
	SAME_FIELD(vtd_iommu_fault_alloc, flags, iommu_fault_alloc, flags);
}

static void test_vfio_structs(void **state)
{
	(void)state;
	/* libvtd sends the 6.6 bind layout (no token): it must be a prefix of
	 * the installed kernel's and as long as the kernel's minimum. */
	assert_true(sizeof(struct vtd_vfio_device_bind_iommufd) <=
		    sizeof(struct vfio_device_bind_iommufd));
	assert_int_equal(sizeof(struct vtd_vfio_device_bind_iommufd), 16);
	SAME_FIELD(vtd_vfio_device_bind_iommufd, argsz, vfio_device_bind_iommufd, argsz);
	SAME_FIELD(vtd_vfio_device_bind_iommufd, flags, vfio_device_bind_iommufd, flags);
	SAME_FIELD(vtd_vfio_device_bind_iommufd, iommufd, vfio_device_bind_iommufd, iommufd);
	SAME_FIELD(vtd_vfio_device_bind_iommufd, out_devid, vfio_device_bind_iommufd, out_devid);
	/* attach/detach: libvtd knows the pasid field (Linux 6.15); older
	 * headers end before it.  The common prefix must match. */
	assert_true(sizeof(struct vtd_vfio_device_attach_iommufd_pt) >=
		    sizeof(struct vfio_device_attach_iommufd_pt));
	SAME_FIELD(vtd_vfio_device_attach_iommufd_pt, argsz, vfio_device_attach_iommufd_pt, argsz);
	SAME_FIELD(vtd_vfio_device_attach_iommufd_pt, flags, vfio_device_attach_iommufd_pt, flags);
	SAME_FIELD(vtd_vfio_device_attach_iommufd_pt, pt_id, vfio_device_attach_iommufd_pt, pt_id);
	assert_true(sizeof(struct vtd_vfio_device_detach_iommufd_pt) >=
		    sizeof(struct vfio_device_detach_iommufd_pt));
	SAME_FIELD(vtd_vfio_device_detach_iommufd_pt, argsz, vfio_device_detach_iommufd_pt, argsz);
	SAME_FIELD(vtd_vfio_device_detach_iommufd_pt, flags, vfio_device_detach_iommufd_pt, flags);
}

int main(void)
{
	printf("kernel uAPI: %s\n", VTD_KERNEL_IOMMUFD_H);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioctl_numbers),
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_iommufd_structs),
		cmocka_unit_test(test_vfio_structs),
	};
	return cmocka_run_group_tests_name("uapi", tests, NULL, NULL);
}
#endif
