/* SPDX-License-Identifier: MIT */
/*
 * The interrupt address range 0xFEEx_xxxx in DMA translation
 * (src/translate.c), legacy and scalable mode:
 *   - requests to it: an untranslated write without PASID is an interrupt
 *     request (VTD_XLATE_INTERRUPT), remapping on or off; a read, an ATS
 *     translated request or a request with PASID is a DMA request (with
 *     PASID to a legacy root table: RTA.2, 31h);
 *   - translations into it: a translation whose output byte lies in the
 *     range is blocked, LGN.4 (0Eh) in legacy mode (TT=00b and 10b), SGN.8
 *     (87h) in scalable mode; a 1 GiB page spanning the range; the same
 *     answer when the translation comes from the IOTLB, not from a walk.
 * Elsewhere, with their mode: SGN.8 for a first-stage walk
 * (test_fs_fault_87), a nested one (test_nested_walk) and scalable-mode
 * pass-through (test_sm_passthrough_faults).
 *
 * Spec sections followed (VT-d, revision 5.0 numbering):
 *   3.14 Handling Requests to Interrupt Address Range; 3.4.2 Legacy Mode
 *   and 3.4.3 Scalable Mode Address Translation; 7.1.3 (LGN.4, SGN.8).
 * Every fault is checked by reason code and by name (EXPECT_FAULT): the
 * codes of VT-d spec 7.1.3, the condition names of src/fault.c reasons[].
 *
 * Sources of the expectations, cited per test:
 *   [T]  the VT-d spec, sections as numbered in revision 5.0
 *   [Q]  QEMU 10.0.2 hw/i386/intel_iommu_internal.h (reserved-bit masks)
 *        and hw/i386/intel_iommu.c (the order of its checks)
 */
#include "translate_util.h"

/* =========================================================================
 * Requests to the interrupt address range
 * ========================================================================= */

/* Spec 3.14: an untranslated write without PASID to 0xFEEx_xxxx is an
 * interrupt request (TE on or off); a read there is translated normally. */
static void test_interrupt_range(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0xfee00000ull, 0x300000, 1, SS_RW);
	int rc = xl(SID, 0xfee00040ull, WR);
	assert_int_equal(rc, 0);
	assert_int_equal(R.status, VTD_XLATE_INTERRUPT);
	assert_int_equal(R.addr, 0xfee00040ull);
	rc = xl(SID, 0xfeefffffull, WR);
	assert_int_equal(rc, 0);
	assert_int_equal(R.status, VTD_XLATE_INTERRUPT);
	/* just outside the range: a normal DMA write (not mapped here) */
	EXPECT_FAULT(xl(SID, 0xfef00000ull, WR), 0x05, "LGN.2");
	/* a read of the range goes through the tables */
	EXPECT_OK(xl(SID, 0xfee00040ull, RD), 0x300040, 4096, RD | WR);
	/* an ATS-translated write is not an interrupt (TT=0 blocks it) */
	EXPECT_FAULT(xat(SID, 0xfee00040ull, WR, VTD_AT_TRANSLATED), 0x0d, "LCT.5");
	/* with TE off too */
	mmio_w(VTD_REG_GCMD, 4, 0);
	rc = xl(SID, 0xfee00000ull, WR);
	assert_int_equal(rc, 0);
	assert_int_equal(R.status, VTD_XLATE_INTERRUPT);
}

/* A write to 0xFEEx_xxxx with PASID in legacy mode is no interrupt: 31h. */
static void test_legacy_pasid_write_intr_range(void **state)
{
	(void)state;
	legacy("", 0, 2);
	EXPECT_FAULT(xp(SID, 1, 0xfee00000ull, WR, false), 0x31, "RTA.2");
}

/* =========================================================================
 * Translations into the interrupt address range
 * ========================================================================= */

/* LGN.4 (0Eh): a translation whose output lies in 0xFEE00000-0xFEEFFFFF. */
static void test_legacy_fault_0e(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0x1000, 0xfee00000ull, 1, SS_RW);
	ss_map(ss, 4, 0x2000, 0xfeeff000ull, 1, SS_RW);
	ss_map(ss, 4, 0x3000, 0xfef00000ull, 1, SS_RW);
	ss_map(ss, 4, 0x4000, 0xfedff000ull, 1, SS_RW);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0e, "LGN.4");
	EXPECT_FAULT(xl(SID, 0x2fff, WR), 0x0e, "LGN.4");
	EXPECT_OK(xl(SID, 0x3000, RD), 0xfef00000ull, 4096, RD | WR);
	EXPECT_OK(xl(SID, 0x4fff, RD), 0xfedfffffull, 4096, RD | WR);
}

/* LGN.4: a legacy TT=2 read of the interrupt range is blocked like a
 * scalable-mode pass-through one (QEMU lets it through); just below the
 * range passes. */
static void test_legacy_pt_interrupt_range(void **state)
{
	(void)state;
	legacy("", TT(2), 2);
	EXPECT_FAULT(xl(SID, 0xfee00000ull, RD), 0x0e, "LGN.4");
	EXPECT_OK(xl(SID, 0xfedff000ull, RD), 0xfedff000ull, 4096, RD | WR);
}

/* A 1 GiB page 0xC0000000-0xFFFFFFFF covers the interrupt window: the
 * library checks the output byte address, so accesses outside the window
 * pass and those inside fault (LGN.4).  DIVERGENCE from QEMU, which blocks
 * any translation whose page overlaps the window ([Q] vtd_iova_to_sspte),
 * notably for ATS translation requests: the device is handed a 1 GiB
 * translation that includes 0xFEEx_xxxx. */
static void test_legacy_1g_page_over_interrupt_window(void **state)
{
	(void)state;
	uint64_t ss = legacy("device-iotlb=on", TT(1), 2);
	ss_map(ss, 4, 0xc0000000ull, 0xc0000000ull, 3, SS_RW);
	EXPECT_FAULT(xl(SID, 0xfee00000ull, RD), 0x0e, "LGN.4");
	EXPECT_OK(xl(SID, 0xc0001000ull, RD), 0xc0001000ull, 1ull << 30, RD | WR);
	EXPECT_OK(xat(SID, 0xc0001000ull, RD, VTD_AT_TRANSLATION_REQ), 0xc0001000ull,
		  1ull << 30, RD | WR);
}

/* LGN.4 must not depend on the cache: once a 1 GiB page covering the
 * interrupt window is in the IOTLB (from an access outside the window), a
 * read inside the window must still be blocked as it is when the walk runs
 * ([T] 2.1 last rule; same request, same tables, same answer). */
static void test_iotlb_hit_checks_interrupt_range(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0xc0000000ull, 0xc0000000ull, 3, SS_RW);
	EXPECT_FAULT(xl(SID, 0xfee00000ull, RD), 0x0e, "LGN.4");     /* walk */
	EXPECT_OK(xl(SID, 0xc0001000ull, RD), 0xc0001000ull, 1ull << 30, RD | WR);
	int rc = xl(SID, 0xfee00000ull, RD);                         /* IOTLB */
	if (rc != -EACCES || R.fault != 0x0e)
		fail_msg("after caching the 1 GiB page, a read of 0xfee00000: rc %d status %d "
			 "addr %#llx, expected fault 0x0e LGN.4", rc, R.status,
			 (unsigned long long)R.addr);
}

/* Same in scalable mode (SGN.8, 87h), second stage. */
static void test_iotlb_hit_checks_interrupt_range_sm(void **state)
{
	(void)state;
	uint64_t ss = sm_ss("x-scalable-mode=on", 0, 0);
	ss_map(ss, 4, 0xc0000000ull, 0xc0000000ull, 3, SS_RW);
	EXPECT_FAULT(xl(SID, 0xfee00000ull, RD), 0x87, "SGN.8");
	EXPECT_OK(xl(SID, 0xc0001000ull, RD), 0xc0001000ull, 1ull << 30, RD | WR);
	int rc = xl(SID, 0xfee00000ull, RD);
	if (rc != -EACCES || R.fault != 0x87)
		fail_msg("after caching the 1 GiB page, a read of 0xfee00000: rc %d status %d "
			 "addr %#llx, expected fault 0x87 SGN.8", rc, R.status,
			 (unsigned long long)R.addr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_interrupt_range),
		T(test_legacy_pasid_write_intr_range),
		T(test_legacy_fault_0e),
		T(test_legacy_pt_interrupt_range),
		T(test_legacy_1g_page_over_interrupt_window),
		T(test_iotlb_hit_checks_interrupt_range),
		T(test_iotlb_hit_checks_interrupt_range_sm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
