/* SPDX-License-Identifier: MIT */
/*
 * Nested translation for PASIDs other than RID_PASID (QEMU binds PASID 0
 * only): each PASID with a first-stage entry gets its own nested table on
 * the host, follows PASID-cache invalidations, and receives the PASID-based
 * IOTLB invalidations that name it.
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

#define RAM (8u << 20)
static uint8_t *ram;
static struct vtd_iommu *iommu;
static struct vtd_sim *sim;
static char log_[8192];

static void ev(void *o, const char *what)
{
	(void)o;
	size_t n = strlen(log_);
	snprintf(log_ + n, sizeof(log_) - n, "%s\n", what);
}

static void put64(uint64_t a, uint64_t v) { memcpy(ram + a, &v, 8); }

static void fs_map(uint64_t root, uint64_t iova, uint64_t pa)
{
	/* one 4-level path per root, tables right after it */
	put64(root + ((iova >> 39) & 0x1ff) * 8, (root + 0x1000) | 7);
	put64(root + 0x1000 + ((iova >> 30) & 0x1ff) * 8, (root + 0x2000) | 7);
	put64(root + 0x2000 + ((iova >> 21) & 0x1ff) * 8, (root + 0x3000) | 7);
	put64(root + 0x3000 + ((iova >> 12) & 0x1ff) * 8, pa | 7);
}

static uint64_t qtail;
static void submit(uint64_t q0, uint64_t q1)
{
	uint64_t d = 0x40000 + qtail * 32;
	put64(d, q0);
	put64(d + 8, q1);
	put64(d + 16, 0);
	put64(d + 24, 0);
	qtail++;
	vtd_iommu_mmio_write(iommu, VTD_REG_IQT, 8, qtail << 5);
}

static void setup_guest(const char *props, const char *host_profile, int expect_attach)
{
	ram = calloc(1, RAM);
	struct vtd_config cfg;
	assert_int_equal(vtd_config_parse(&cfg, props, NULL), 0);
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = ram, .ram_size = RAM };
	assert_int_equal(vtd_iommu_new(&cfg, &o, &iommu, NULL), 0);
	static const struct vtd_sim_event_ops evops = { .event = ev };
	log_[0] = '\0';
	qtail = 0;
	assert_int_equal(vtd_sim_new(&evops, NULL, &sim), 0);
	struct vtd_host_device hd;
	vtd_host_from_profile(host_profile, &hd, NULL);
	struct vtd_host_if hif;
	vtd_sim_backend(sim, &hif);
	struct vtd_error err;
	assert_int_equal(vtd_iommu_attach_host(iommu, 0x18, &hd, &hif, 0x18, &err), expect_attach);
	/* context 00:03.0: PASIDE, dir 0x12000; PASID 0 -> root 0x20000,
	 * PASID 5 -> root 0x30000 (domain 9) */
	put64(0x10000, 0x11001);
	put64(0x11300, 0x12001 | 8);
	put64(0x12000, 0x13001);
	put64(0x13000, 0x41);
	put64(0x13008, 7);
	put64(0x13010, 0x20000);
	put64(0x13000 + 5 * 64, 0x41);
	put64(0x13008 + 5 * 64, 9);
	put64(0x13010 + 5 * 64, 0x30000);
	fs_map(0x20000, 0, 0x300000);
	fs_map(0x30000, 0, 0x400000);
	vtd_iommu_mmio_write(iommu, VTD_REG_RTADDR, 8, 0x10400);
	vtd_iommu_mmio_write(iommu, VTD_REG_IQA, 8, 0x40000 | (1u << 11)); /* 256-bit */
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 30);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 26);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, (1u << 31) | (1u << 26));
}

static int teardown(void **state)
{
	(void)state;
	vtd_iommu_free(iommu);
	vtd_sim_free(sim);
	free(ram);
	return 0;
}

static void test_pasid_bindings(void **state)
{
	(void)state;
	setup_guest("x-scalable-mode=on,x-flts=on,caching-mode=on,x-pasid-mode=on", "gnr-main", 0);
	void *hva;
	struct vtd_host_fault f;
	/* without PASID: RID_PASID 0's first stage; PASID 5: its own */
	assert_int_equal(vtd_sim_translate(sim, 0x18, VTD_HOST_NO_PASID, 0, false, &hva, &f), 0);
	assert_ptr_equal(hva, ram + 0x300000);
	assert_int_equal(vtd_sim_translate(sim, 0x18, 5, 0, false, &hva, &f), 0);
	assert_ptr_equal(hva, ram + 0x400000);
	assert_non_null(strstr(log_, "attach dev=24 pasid=5"));
	/* PASIDs without an entry are not attached */
	assert_int_equal(vtd_sim_translate(sim, 0x18, 6, 0, false, &hva, &f), -ENODEV);

	/* a PASID-based invalidation for PASID 5 in domain 9 reaches only
	 * PASID 5's table; one for domain 7 PASID 5 reaches nothing */
	log_[0] = '\0';
	fs_map(0x30000, 0, 0x500000);
	submit(0x36 | (9ull << 16) | (5ull << 32), 0);
	assert_int_equal(vtd_sim_translate(sim, 0x18, 5, 0, false, &hva, &f), 0);
	assert_ptr_equal(hva, ram + 0x500000);
	assert_int_equal(vtd_sim_translate(sim, 0x18, VTD_HOST_NO_PASID, 0, false, &hva, &f), 0);
	assert_ptr_equal(hva, ram + 0x300000);
	char *first = strstr(log_, "invalidate");
	assert_non_null(first);
	assert_null(strstr(first + 1, "invalidate"));
	log_[0] = '\0';
	submit(0x36 | (7ull << 16) | (5ull << 32), 0);
	assert_null(strstr(log_, "invalidate"));

	/* PASID 5's entry goes away; a PASID-cache invalidation detaches it */
	put64(0x13000 + 5 * 64, 0);
	submit(0x17 | (9ull << 16) | (5ull << 32), 0);
	assert_int_equal(vtd_sim_translate(sim, 0x18, 5, 0, false, &hva, &f), -ENODEV);
	assert_non_null(strstr(log_, "detach dev=24 pasid=5"));
	/* detaching the device unbinds everything */
	log_[0] = '\0';
	assert_int_equal(vtd_iommu_detach_host(iommu, 0x18), 0);
	assert_int_equal(vtd_sim_translate(sim, 0x18, VTD_HOST_NO_PASID, 0, false, &hva, &f), -ENODEV);
}

static void test_no_pasids_without_x_pasid_mode(void **state)
{
	(void)state;
	/* the guest was not offered PASIDs (no ECAP.PASID), yet its context
	 * entry sets PASIDE: every request of the device is SCT.4, so the
	 * host blocks it too (the binding follows the one decode) */
	setup_guest("x-scalable-mode=on,x-flts=on,caching-mode=on", "gnr-main", 0);
	void *hva;
	struct vtd_host_fault f;
	assert_int_equal(vtd_sim_translate(sim, 0x18, 5, 0, false, &hva, &f), -ENODEV);
	assert_int_equal(vtd_sim_translate(sim, 0x18, VTD_HOST_NO_PASID, 0, false, &hva, &f),
			 -ENODEV);
	/* without PASIDE: only RID_PASID is bound (context-cache and PASID-
	 * cache invalidations, global) */
	put64(0x11300, 0x12001);
	submit(0x11, 0);
	submit(0x7, 0);
	assert_int_equal(vtd_sim_translate(sim, 0x18, 5, 0, false, &hva, &f), -ENODEV);
	assert_int_equal(vtd_sim_translate(sim, 0x18, VTD_HOST_NO_PASID, 0, false, &hva, &f), 0);
	assert_null(strstr(log_, "pasid=5"));
}

static void test_host_without_pasids(void **state)
{
	(void)state;
	/* a host without ECAP.PASID cannot carry guest PASIDs: refused */
	setup_guest("x-scalable-mode=on,x-flts=on,caching-mode=on,x-pasid-mode=on", "spr-main",
		    -EOPNOTSUPP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_pasid_bindings, teardown),
		cmocka_unit_test_teardown(test_no_pasids_without_x_pasid_mode, teardown),
		cmocka_unit_test_teardown(test_host_without_pasids, teardown),
	};
	return cmocka_run_group_tests_name("nest_pasid", tests, NULL, NULL);
}
