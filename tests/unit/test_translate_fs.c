/* SPDX-License-Identifier: MIT */
/*
 * First-stage translation (src/translate.c; scalable mode, PASID-table
 * entry PGTT=001b, x-flts): the 4-level walk and its 4 KiB, 2 MiB and
 * 1 GiB pages (CAP.FS1GP), canonical addresses, 5-level paging (FSPM=01b,
 * CAP.FS5LP; its last case nests the 5-level first stage), access rights
 * (R/W, U/S; WPE for supervisor writes), supervisor requests (SRE, which
 * needs ECAP.SRS), execute requests (ERE with ECAP.ERS, XD), the accessed,
 * extended-accessed (EAFE, ECAP.EAFS) and dirty flags, and each
 * first-stage fault: SFL.1-4 (70h-73h), SGN.1-3 (80h-82h), SGN.6 (85h),
 * SGN.8 (87h), and the PASID-entry faults SPT.3 (5Ah) and SPT.6 (5Dh) of
 * SRE, WPE and EAFE.
 * Elsewhere: nested in test_translate_nested.c; SFL.9 (90h) with the
 * second-stage A/D tests in test_translate_scalable.c; SFL.10 (91h) in
 * test_translate_mem.c.
 *
 * Spec sections followed (VT-d, revision 5.0 numbering):
 *   3.6 First-Stage Translation, 3.6.1 Access Rights, 3.6.2 Accessed,
 *   Extended Accessed, and Dirty Flags; 9.6 Scalable-Mode PASID Table
 *   Entry (FSPTPTR, FSPM, SRE, WPE, ERE, EAFE); 9.7 First-Stage Paging
 *   Entries; 7.1.3 (fault conditions and their reason codes).
 * Every fault is checked by reason code and by name (EXPECT_FAULT): the
 * codes of VT-d spec 7.1.3, the condition names of src/fault.c reasons[].
 *
 * Sources of the expectations, cited per test:
 *   [Q]  QEMU 10.0.2 hw/i386/intel_iommu_internal.h (reserved-bit masks)
 *        and hw/i386/intel_iommu.c (the order of its checks)
 *   [R]  VT-d spec 7.1.3 (fault reason encodings); Linux
 *        drivers/iommu/intel/dmar.c dma_remap_fault_reasons[] and
 *        dma_remap_sm_fault_reasons[] (the text a guest prints)
 */
#include "translate_util.h"

/* =========================================================================
 * First stage (PGTT=1, x-flts): walks and faults
 * ========================================================================= */

/* First-stage 4-level walk: 4K/2M/1G pages, A bits on every level. */
static void test_fs_walk(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, 0);
	uint64_t l1 = fs_map(fs, 0x7fffdead0000ull, 0x345000, 1, FS_PRU);
	EXPECT_OK(xl(SID, 0x7fffdead0123ull, RD), 0x345123, 4096, RD | WR);
	assert_int_equal(R.did, DID);
	/* accessed flags at every level, no dirty flag on a read */
	uint64_t va = 0x7fffdead0000ull;
	for (unsigned l = 4; l >= 1; l--) {
		uint64_t e = get64(pte_at(fs, 4, va, l, FS_PRU));
		assert_true(e & FS_A);
		assert_false(e & FS_D);
	}
	/* a write sets D on the leaf only */
	EXPECT_OK(xl(SID, 0x7fffdead0123ull, WR), 0x345123, 4096, RD | WR);
	assert_true(get64(l1) & FS_D);
	assert_false(get64(pte_at(fs, 4, va, 2, FS_PRU)) & FS_D);
	/* 2 MiB page; bit 12 (PAT) is not part of the address */
	fs_map(fs, 0x40000000ull, 0x600000 | 0x1000, 2, FS_PRU);
	EXPECT_OK(xl(SID, 0x40123456ull, RD), 0x723456, 2ull << 20, RD | WR);
	/* 1 GiB page (CAP.FS1GP with fs1gp=on, the default) */
	fs_map(fs, 0x80000000ull, 0x40000000ull, 3, FS_PRU);
	EXPECT_OK(xl(SID, 0xbfedcba9ull, WR), 0x7fedcba9ull, 1ull << 30, RD | WR);
	assert_true(get64(pte_at(fs, 4, 0x80000000ull, 3, FS_PRU)) & FS_D);
	/* a read-only page */
	fs_map(fs, 0x3000, 0x4000, 1, FS_P | FS_US);
	EXPECT_OK(xl(SID, 0x3000, RD), 0x4000, 4096, RD);
	/* XD (bit 63) and 52-62 are ignored */
	fs_map(fs, 0x5000, 0x6000, 1, FS_PRU | 0xfff0000000000000ull);
	EXPECT_OK(xl(SID, 0x5000, RD), 0x6000, 4096, RD | WR);
}

/* SGN.1 (80h): 4-level first stage needs canonical (48-bit) addresses. */
static void test_fs_canonical(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, 0);
	fs_map(fs, 0xffff800000001000ull, 0x8000, 1, FS_PRU);
	EXPECT_OK(xl(SID, 0xffff800000001abcull, RD), 0x8abc, 4096, RD | WR);
	assert_int_equal(get64(fs + 0x100 * 8) & ADDR_MASK,
			 pte_at(fs, 4, 0xffff800000001000ull, 3, FS_PRU) & ADDR_MASK);
	EXPECT_FAULT(xl(SID, 0x0000800000000000ull, RD), 0x80, "SGN.1");
	EXPECT_FAULT(xl(SID, 0xffff000000000000ull, RD), 0x80, "SGN.1");
	EXPECT_FAULT(xl(SID, 0x8000000000000000ull, RD), 0x80, "SGN.1");
	EXPECT_FAULT(xl(SID, 0x0001000000000000ull, RD), 0x80, "SGN.1");
}

/* SGN.2 (81h): a user request to a page with U/S=0 at any level. */
static void test_fs_user_supervisor(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, 0);
	fs_map(fs, 0x1000, 0x2000, 1, FS_P | FS_RW);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x81, "SGN.2");
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	uint64_t l3 = pte_at(fs, 4, 0x1000, 3, FS_PRU);
	put64(l3, get64(l3) & ~FS_US);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x81, "SGN.2");
}

/* The fast path's first-stage miss (translate.c fast_miss_fs): once the
 * RID_PASID entry is cached, a miss walks from the cached root and sets
 * the flags fs_walk() sets; what it cannot serve goes to the general path,
 * whose faults are the ones recorded; the IOTLB entry it makes says WPE,
 * which a supervisor request with PASID 0 hitting it must obey. */
static void test_fs_fast_miss(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, 0);
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	uint64_t b = fs_map(fs, 0x3000, 0x4000, 1, FS_PRU);
	uint64_t c = fs_map(fs, 0x5000, 0x6000, 1, FS_P | FS_US);     /* user, read-only */
	uint64_t d = fs_map(fs, 0x7000, 0x8000, 1, FS_P | FS_US);
	fs_map(fs, 0x9000, 0xa000, 1, FS_P | FS_RW);                  /* supervisor only */
	uint64_t big = fs_map(fs, 0x40000000ull, 0x600000, 2, FS_PRU);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);       /* caches the entry */
	struct vtd_iommu_stats s0, s1;
	vtd_iommu_get_stats(iommu, &s0);
	EXPECT_OK(xl(SID, 0x3008, WR), 0x4008, 4096, RD | WR);
	assert_int_equal(get64(b) & (FS_A | FS_D | FS_EA), FS_A | FS_D);
	assert_true(get64(pte_at(fs, 4, 0x3000, 4, FS_PRU)) & FS_A);
	EXPECT_OK(xl(SID, 0x5010, RD), 0x6010, 4096, RD);
	assert_int_equal(get64(c) & (FS_A | FS_D), FS_A);
	EXPECT_OK(xl(SID, 0x40123456ull, RD), 0x723456, 2ull << 20, RD | WR);
	assert_int_equal(get64(big) & (FS_A | FS_D), FS_A);
	vtd_iommu_get_stats(iommu, &s1);
	assert_int_equal(s1.iotlb_misses - s0.iotlb_misses, 3);
	assert_int_equal(s1.context_hits - s0.context_hits, 3);
	assert_int_equal(s1.context_misses, s0.context_misses);
	/* faults: the general path's, recorded; no flag set by a failed walk */
	EXPECT_FAULT(xl(SID, 0x7000, WR), 0x85, "SGN.6");
	assert_int_equal(get64(d) & FS_D, 0);
	assert_true(R.fault_recorded);
	EXPECT_FAULT(xl(SID, 0x9000, RD), 0x81, "SGN.2");
	EXPECT_FAULT(xl(SID, 0xb000, RD), 0x71, "SFL.2");
	EXPECT_FAULT(xl(SID, 1ull << 47, RD), 0x80, "SGN.1");        /* not canonical */

	/* WPE in the entry the fast miss made */
	guest_teardown(NULL);
	fs = sm_fs(NEST ",x-pasid-mode=on", 0);
	/* snooped walks (PWSNP, as x-nest offers ECAP.SMPWC): flags can be set */
	set_pe(0, PGTT(1) | 1, DID | PE_PWSNP, fs | PE_SRE | PE_WPE);
	sm_ctx(DEVFN, PDIR | CE_PASIDE | 1, 0);
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	/* read-only, dirty already: the entry's rights alone decide a write */
	fs_map(fs, 0x3000, 0x4000, 1, FS_P | FS_US | FS_D);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	vtd_iommu_get_stats(iommu, &s0);
	EXPECT_OK(xl(SID, 0x3000, RD), 0x4000, 4096, RD);             /* fast miss */
	vtd_iommu_get_stats(iommu, &s1);
	assert_int_equal(s1.pasid_hits + s1.pasid_misses, s0.pasid_hits + s0.pasid_misses);
	assert_int_equal(s1.iotlb_inserts - s0.iotlb_inserts, 1);
	EXPECT_FAULT(xp(SID, 0, 0x3000, WR, true), 0x85, "SGN.6");   /* hits it: WPE */
	/* without WPE a supervisor may write there */
	set_pe(0, PGTT(1) | 1, DID | PE_PWSNP, fs | PE_SRE);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	EXPECT_OK(xl(SID, 0x3000, RD), 0x4000, 4096, RD);
	EXPECT_OK(xp(SID, 0, 0x3000, WR, true), 0x4000, 4096, RD | WR);
	/* non-snooped walks (PWSNP=0 under ECAP.SMPWC): a flag to set is SFL.9,
	 * found by the general path; with the flags set already, the walk
	 * needs no update and succeeds */
	guest_teardown(NULL);
	fs = sm_fs(FLTS ",x-smpwc=on", 0);
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	uint64_t e = fs_map(fs, 0x5000, 0x6000, 1, FS_PRU);
	for (unsigned l = 4; l >= 1; l--) {
		uint64_t a = pte_at(fs, 4, 0x1000, l, FS_PRU);
		put64(a, get64(a) | FS_A);
	}
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	EXPECT_FAULT(xl(SID, 0x5000, RD), 0x90, "SFL.9");
	assert_int_equal(get64(e) & FS_A, 0);
	for (unsigned l = 4; l >= 1; l--) {
		uint64_t a = pte_at(fs, 4, 0x5000, l, FS_PRU);
		put64(a, get64(a) | FS_A);
	}
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	EXPECT_OK(xl(SID, 0x5000, RD), 0x6000, 4096, RD | WR);
}

/* SGN.6 (85h): a user write to R/W=0; supervisor writes only with WPE. */
static void test_fs_write_protect(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, 0);
	fs_map(fs, 0x1000, 0x2000, 1, FS_P | FS_US);
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x85, "SGN.6");
	assert_false(get64(pte_at(fs, 4, 0x1000, 1, FS_PRU)) & FS_D);
	/* R/W=0 at L4 */
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	EXPECT_OK(xl(SID, 0x1000, WR), 0x2000, 4096, RD | WR);
	put64(fs, get64(fs) & ~FS_RW);
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x85, "SGN.6");
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD);
	/* supervisor with x-nest (ECAP.SRS): SRE=1, WPE=0 may write */
	guest_teardown(NULL);
	fs = sm_fs(NEST ",x-pasid-mode=on", PE_SRE);
	sm_ctx(DEVFN, PDIR | CE_PASIDE | 1, 0);
	fs_map(fs, 0x1000, 0x2000, 1, FS_P);    /* supervisor, read-only */
	EXPECT_OK(xp(SID, 0, 0x1000, WR, true), 0x2000, 4096, RD | WR);
	assert_true(get64(pte_at(fs, 4, 0x1000, 1, FS_PRU)) & FS_D);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x81, "SGN.2");   /* user */
	set_pe(0, PGTT(1) | 1, DID, fs | PE_SRE | PE_WPE);
	EXPECT_FAULT(xp(SID, 0, 0x1000, WR, true), 0x85, "SGN.6");
	EXPECT_OK(xp(SID, 0, 0x1000, RD, true), 0x2000, 4096, RD);
}

/* SFL.2 (71h): P=0 at some level. */
static void test_fs_fault_71(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, 0);
	uint64_t l1 = fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	put64(l1, 0x2000 | FS_RW | FS_US);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x71, "SFL.2");
	assert_true(R.fault_recorded);
	EXPECT_FAULT(xl(SID, 1ull << 39, RD), 0x71, "SFL.2");
}

/* SFL.3 (72h): reserved bits in first-stage entries ([Q] 5.2). */
static void test_fs_fault_72(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, 0);
	uint64_t l1 = fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	put64(fs, get64(fs) | PS);                          /* PS at L4 */
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x72, "SFL.3");
	put64(fs, get64(fs) & ~PS);
	put64(l1, 0x2000 | FS_PRU | (1ull << 48));           /* above HAW */
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x72, "SFL.3");
	put64(l1, 0x2000 | FS_PRU);
	fs_map(fs, 0x40000000ull, 0x600000 | 0x2000, 2, FS_PRU);  /* 2M, bit 13 */
	EXPECT_FAULT(xl(SID, 0x40000000ull, RD), 0x72, "SFL.3");
	fs_map(fs, 0x80000000ull, 0x40000000ull | 0x10000000ull, 3, FS_PRU);  /* 1G, bit 28 */
	EXPECT_FAULT(xl(SID, 0x80000000ull, RD), 0x72, "SFL.3");
	/* present check first */
	put64(l1, 0x2000 | FS_RW | (1ull << 48));
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x71, "SFL.2");
}

/* SFL.3 (72h): a 1 GiB first-stage page without CAP.FS1GP (fs1gp=off). */
static void test_fs_1g_needs_fs1gp(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS ",fs1gp=off", 0);
	assert_false(vtd_cap_fs1gp(iommu->cap));
	fs_map(fs, 0x80000000ull, 0x40000000ull, 3, FS_PRU);
	EXPECT_FAULT(xl(SID, 0x80000000ull, RD), 0x72, "SFL.3");
	fs_map(fs, 0x40000000ull, 0x600000, 2, FS_PRU);     /* 2M still fine */
	EXPECT_OK(xl(SID, 0x40000000ull, RD), 0x600000, 2ull << 20, RD | WR);
}

/* SFL.1 (70h): a lower first-stage table cannot be read. */
static void test_fs_fault_70(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, 0);
	put64(fs, OUTSIDE | FS_PRU);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x70, "SFL.1");
}

/* SFL.4 (73h): "error attempting to access FL-PML4 entry" ([R] 5c, Linux
 * dmar.c): the table FSPTPTR names cannot be read.  (The SS analogue,
 * SSL.4 7Bh, is what the library reports for an unreadable SS root.) */
static void test_fs_root_unreadable_is_73(void **state)
{
	(void)state;
	sm_fs(FLTS, 0);
	set_pe(0, PGTT(1) | 1, DID, OUTSIDE);
	int rc = xl(SID, 0x1000, RD);
	assert_int_equal(rc, -EACCES);
	if (R.fault != 0x73)
		fail_msg("FS root table unreadable: fault 0x%02x (%s), expected 0x73 SFL.4",
			 R.fault, R.fault_name);
}

/* SGN.8 (87h): a first-stage translation into the interrupt range. */
static void test_fs_fault_87(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, 0);
	fs_map(fs, 0x1000, 0xfee00000ull, 1, FS_PRU);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x87, "SGN.8");
}

/* EAFE (PASID entry q2 bit 7) with ECAP.EAFS: EA (bit 10) set with A.
 * No configuration offers EAFS: poked into iommu->ecap. */
static void test_fs_extended_accessed(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, PE_EAFE);
	uint64_t va = 0x12345000ull;
	fs_map(fs, va, 0x2000, 1, FS_PRU);
	EXPECT_FAULT(xl(SID, va, RD), 0x5a, "SPT.3");
	iommu->ecap |= 1ull << 34;
	EXPECT_OK(xl(SID, va, RD), 0x2000, 4096, RD | WR);
	for (unsigned l = 4; l >= 1; l--) {
		uint64_t e = get64(pte_at(fs, 4, va, l, FS_PRU));
		assert_int_equal(e & (FS_A | FS_EA), FS_A | FS_EA);
	}
	/* without EAFE only A is set */
	set_pe(0, PGTT(1) | 1, DID, fs);
	fs_map(fs, 0x3000, 0x4000, 1, FS_PRU);
	EXPECT_OK(xl(SID, 0x3000, RD), 0x4000, 4096, RD | WR);
	assert_int_equal(get64(pte_at(fs, 4, 0x3000, 1, FS_PRU)) & (FS_A | FS_EA), FS_A);
}

/* =========================================================================
 * First stage: 5-level paging (FSPM=01b)
 * ========================================================================= */

/* x-fs5lp: CAP.FS5LP set, and FSPM=01b walks five levels: inputs are
 * 57-bit canonical (bits 63:57 repeat bit 56), PML5 indexed by 56:48.
 * The same addresses under FSPM=00b are not canonical. */
static void test_sm_fs5lp(void **state)
{
	(void)state;
	uint64_t pml5 = sm_fs(FLTS ",x-fs5lp=on", PE_FSPM(1));
	assert_int_equal(vtd_cap_fs5lp(iommu->cap), 1);
	const uint64_t lo = 0x0000000000001000ull;   /* PML5[0] */
	const uint64_t hi = 0x00aa000000400000ull;   /* PML5[0xaa], bit 56 clear */
	const uint64_t neg = 0xff55000000200000ull;  /* PML5[0x155], bits 63:56 set */
	uint64_t t0 = alloc_page(), t1 = alloc_page(), t2 = alloc_page();
	put64(pml5 + pt_index(lo, 5) * 8, t0 | FS_PRU);
	put64(pml5 + pt_index(hi, 5) * 8, t1 | FS_PRU);
	put64(pml5 + pt_index(neg, 5) * 8, t2 | FS_PRU);
	fs_map(t0, lo, 0x2000, 1, FS_PRU);
	fs_map(t1, hi, 0x3000, 1, FS_PRU);
	fs_map(t2, neg, 0x400000, 2, FS_PRU);
	EXPECT_OK(xl(SID, lo | 0x10, RD), 0x2010, 4096, RD | WR);
	EXPECT_OK(xl(SID, hi | 0x123, RD), 0x3123, 4096, RD | WR);
	EXPECT_OK(xl(SID, neg | 0x1234, RD), 0x401234, 2u << 20, RD | WR);
	/* again, from the IOTLB (the upper-half address too) */
	struct vtd_iommu_stats st0, st1;
	vtd_iommu_get_stats(iommu, &st0);
	EXPECT_OK(xl(SID, hi | 0x456, WR), 0x3456, 4096, RD | WR);
	EXPECT_OK(xl(SID, neg | 0x5678, RD), 0x405678, 2u << 20, RD | WR);
	vtd_iommu_get_stats(iommu, &st1);
	assert_int_equal(st1.iotlb_hits - st0.iotlb_hits, 2);
	/* bit 56 set without bits 63:57: not canonical for 5 levels */
	EXPECT_FAULT(xl(SID, hi | (1ull << 56), RD), 0x80, "SGN.1");
	/* an empty PML5 slot is a first-stage not-present fault */
	EXPECT_FAULT(xl(SID, 0x0011000000000000ull, RD), 0x71, "SFL.2");
	guest_teardown(NULL);

	/* the same table read as 4 levels: hi and neg are not canonical */
	uint64_t fs = sm_fs(FLTS ",x-fs5lp=on", 0);
	fs_map(fs, lo, 0x2000, 1, FS_PRU);
	EXPECT_OK(xl(SID, lo, RD), 0x2000, 4096, RD | WR);
	EXPECT_FAULT(xl(SID, hi, RD), 0x80, "SGN.1");
	EXPECT_FAULT(xl(SID, neg, RD), 0x80, "SGN.1");
	/* FSPM 10b and 11b stay reserved */
	for (unsigned m = 2; m < 4; m++) {
		set_pe(0, PGTT(1) | 1, DID, fs | PE_FSPM(m));
		EXPECT_FAULT(xl(SID, lo, RD), 0x5b, "SPT.4");
	}
	guest_teardown(NULL);

	/* nested: a 5-level first stage over the second stage */
	uint64_t n5 = sm_fs(NEST ",x-fs5lp=on", PE_FSPM(1));
	uint64_t ss = alloc_page();
	set_pe(0, ss | PGTT(3) | SSAW(2) | 1, DID, n5 | PE_FSPM(1));
	/* the second stage maps guest-physical 0..8 MiB one to one */
	for (uint64_t a = 0; a < (8u << 20); a += 2u << 20)
		ss_map(ss, 4, a, a, 2, SS_RW);
	uint64_t n4 = alloc_page();
	put64(n5 + pt_index(hi, 5) * 8, n4 | FS_PRU);
	fs_map(n4, hi, 0x3000, 1, FS_PRU);
	EXPECT_OK(xl(SID, hi | 0x8, RD), 0x3008, 4096, RD | WR);
}

/* =========================================================================
 * First stage: supervisor requests (SRE, WPE) and execute requests (ERE, XD)
 * ========================================================================= */

/* SPT.3 (5Ah): SRE/WPE without ECAP.SRS (x-flts offers no SRS). */
static void test_sm_fault_5a_sre_without_srs(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, PE_SRE);
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5a, "SPT.3");
	set_pe(0, PGTT(1) | 1, DID, fs | PE_WPE);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5a, "SPT.3");
	set_pe(0, PGTT(1) | 1, DID, fs);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
}

/* SPT.6 (5Dh): a supervisor request to a first-stage entry with SRE=0. */
static void test_sm_fault_5d(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS ",x-pasid-mode=on", 0);
	sm_ctx(DEVFN, PDIR | CE_PASIDE | 1, 0);
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	set_pe(1, PGTT(1) | 1, DID, fs);
	EXPECT_OK(xp(SID, 1, 0x1000, RD, false), 0x2000, 4096, RD | WR);
	EXPECT_FAULT(xp(SID, 1, 0x1000, RD, true), 0x5d, "SPT.6");
	assert_true(R.fault_recorded);
	uint64_t hi = frcd_hi();
	assert_int_equal((hi >> 29) & 1, 1);          /* PRIV */
	assert_int_equal((hi >> 40) & 0xfffff, 1);    /* PV */
	assert_int_equal((hi >> 31) & 1, 1);          /* PP */
	/* with x-nest (ECAP.SRS): SRE=1 allows it */
	guest_teardown(NULL);
	fs = sm_fs(NEST ",x-pasid-mode=on", 0);
	sm_ctx(DEVFN, PDIR | CE_PASIDE | 1, 0);
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	set_pe(1, PGTT(1) | 1, DID, fs);
	EXPECT_FAULT(xp(SID, 1, 0x1000, RD, true), 0x5d, "SPT.6");
	set_pe(1, PGTT(1) | 1, DID, fs | PE_SRE);
	EXPECT_OK(xp(SID, 1, 0x1000, RD, true), 0x2000, 4096, RD | WR);
}

/* SGN.3 (82h): an execute request (ECAP.ERS, PASID-entry ERE=1) to a
 * first-stage page with XD=1 at any level; XD means nothing to other
 * requests, and a cached translation never grants execute by mistake. */
static void test_sm_fault_82(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS ",x-pasid-mode=on,x-ers=on", 0);
	sm_ctx(DEVFN, PDIR | CE_PASIDE | 1, 0);
	uint64_t leaf = fs_map(fs, 0x1000, 0x2000, 1, FS_PRU | FS_XD);
	fs_map(fs, 0x3000, 0x4000, 1, FS_PRU);
	set_pe(1, PGTT(1) | 1, DID, fs | PE_ERE);
	/* reads and writes ignore XD; the read fills the IOTLB */
	EXPECT_OK(xp(SID, 1, 0x1000, RD, false), 0x2000, 4096, RD | WR);
	EXPECT_OK(xp(SID, 1, 0x1000, WR, false), 0x2000, 4096, RD | WR);
	EXPECT_FAULT(xp(SID, 1, 0x1000, RD | VTD_PERM_X, false), 0x82, "SGN.3");
	assert_true(R.fault_recorded);
	uint64_t hi = frcd_hi();
	assert_int_equal((hi >> 32) & 0xff, 0x82);
	assert_int_equal((hi >> 30) & 1, 1);          /* EXE */
	/* executable page */
	EXPECT_OK(xp(SID, 1, 0x3000, RD | VTD_PERM_X, false), 0x4000, 4096, RD | WR);
	/* XD in a non-leaf entry forbids execution below it too */
	uint64_t l2 = pte_at(fs, 4, 0x3000, 2, FS_PRU);
	put64(l2, get64(l2) | FS_XD);
	EXPECT_FAULT(xp(SID, 1, 0x3000, RD | VTD_PERM_X, false), 0x82, "SGN.3");
	EXPECT_OK(xp(SID, 1, 0x3000, RD, false), 0x4000, 4096, RD | WR);
	/* U/S is checked first: a user execute request to a supervisor page */
	put64(leaf, 0x2000 | FS_P | FS_RW | FS_XD);
	EXPECT_FAULT(xp(SID, 1, 0x1000, RD | VTD_PERM_X, false), 0x81, "SGN.2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fs_walk),
		T(test_fs_canonical),
		T(test_fs_user_supervisor),
		T(test_fs_write_protect),
		T(test_fs_fast_miss),
		T(test_fs_fault_71),
		T(test_fs_fault_72),
		T(test_fs_1g_needs_fs1gp),
		T(test_fs_fault_70),
		T(test_fs_root_unreadable_is_73),
		T(test_fs_fault_87),
		T(test_fs_extended_accessed),
		T(test_sm_fs5lp),
		T(test_sm_fault_5a_sre_without_srs),
		T(test_sm_fault_5d),
		T(test_sm_fault_82),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
