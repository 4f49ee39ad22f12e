/* SPDX-License-Identifier: MIT */
/*
 * Nested translation (src/translate.c; PASID-table entry PGTT=011b,
 * x-nest): a first stage whose table addresses and output are
 * guest-physical, each translated through the second stage.  The page
 * size is the smaller of the two stages', the rights the intersection;
 * A/D updates of first-stage entries need a second stage that lets them
 * be written; the nested faults SFL.5-8 (74h-77h), SSL.1 and SSL.4 (78h,
 * 7Bh) on the way to a first-stage table, SGN.5 (84h) for a first-stage
 * output beyond the second stage's width, SPT.4/SPT.6 for the PASID entry.
 * Elsewhere: a 5-level first stage nested in test_translate_fs.c
 * (test_sm_fs5lp), the nested trace in test_translate_api.c.
 *
 * Spec sections followed (VT-d, revision 5.0 numbering):
 *   3.8 Nested Translation, 3.8.1 Access Rights (3.6 First-Stage and 3.7
 *   Second-Stage Translation for each stage); 9.6 Scalable-Mode PASID
 *   Table Entry (PGTT=011b: FSPTPTR and SSPTPTR); 9.7 First-Stage Paging
 *   Entries; 9.8 Second-Stage Paging Entries; 7.1.3 (fault conditions and
 *   their reason codes).
 * Every fault is checked by reason code and by name (EXPECT_FAULT): the
 * codes of VT-d spec 7.1.3, the condition names of src/fault.c reasons[].
 *
 * Sources of the expectations, cited per test:
 *   [R]  VT-d spec 7.1.3 (fault reason encodings); Linux
 *        drivers/iommu/intel/dmar.c dma_remap_fault_reasons[] and
 *        dma_remap_sm_fault_reasons[] (the text a guest prints)
 *   [F]  src/fault.c reasons[] (condition names; qualified faults)
 */
#include "translate_util.h"

/* =========================================================================
 * Nested (PGTT=3, x-nest)
 * ========================================================================= */

/* PGTT=3: GVA -> GPA through the FS, whose tables are themselves GPAs
 * translated through the SS; the output goes through the SS too. */
static void test_nested_walk(void **state)
{
	(void)state;
	uint64_t fs, ss;
	nest(&fs, &ss, SS_RW, 0);
	EXPECT_OK(xl(SID, GVA | 0x678, RD), HPA | 0x678, 4096, RD | WR);
	assert_int_equal(R.did, DID);
	for (unsigned l = 4; l >= 1; l--)
		assert_true(get64(pte_at(fs, 4, GVA, l, FS_PRU)) & FS_A);
	EXPECT_OK(xl(SID, GVA | 0x678, WR), HPA | 0x678, 4096, RD | WR);
	assert_true(get64(pte_at(fs, 4, GVA, 1, FS_PRU)) & FS_D);
	/* final SS translation perms intersect with the FS ones */
	ss_map(ss, 4, GPA, HPA, 1, SS_R);
	EXPECT_OK(xl(SID, GVA, RD), HPA, 4096, RD);
	EXPECT_FAULT(xl(SID, GVA, WR), 0x85, "SGN.6");
	ss_map(ss, 4, GPA, HPA, 1, SS_W);
	EXPECT_FAULT(xl(SID, GVA, RD), 0x86, "SGN.7");
	ss_map(ss, 4, GPA, HPA, 1, 0);
	EXPECT_FAULT(xl(SID, GVA, RD), 0x79, "SSL.2");
	/* page size is the smaller of the two: FS 2M over SS 4K */
	ss_map(ss, 4, GPA, HPA, 1, SS_RW);
	fs_map(fs, 0x200000, GPA, 2, FS_PRU);
	nest_identity(ss);
	EXPECT_OK(xl(SID, 0x200abc, RD), HPA | 0xabc, 4096, RD | WR);
	/* SS 2M over FS 4K */
	ss_map(ss, 4, 0x40200000ull, 0xc00000, 2, SS_RW);
	fs_map(fs, 0x5000, 0x40234000ull, 1, FS_PRU);
	nest_identity(ss);
	EXPECT_OK(xl(SID, 0x5010, RD), 0xc34010, 4096, RD | WR);
	/* the final output in the interrupt range */
	ss_map(ss, 4, GPA, 0xfee00000ull, 1, SS_RW);
	EXPECT_FAULT(xl(SID, GVA, RD), 0x87, "SGN.8");
	/* the final GPA not mapped by the SS */
	fs_map(fs, 0x6000, 0x800000000000ull, 1, FS_PRU);
	EXPECT_FAULT(xl(SID, 0x6000, RD), 0x79, "SSL.2");
	/* a GPA above HAW is a reserved-bit fault in the FS entry */
	fs_map(fs, 0x6000, 1ull << 48, 1, FS_PRU);
	EXPECT_FAULT(xl(SID, 0x6000, RD), 0x72, "SFL.3");
}

/* The fast path's nested miss (translate.c fast_miss_nest): once the
 * RID_PASID entry is cached, a miss walks the first stage from the cached
 * root with each table's address, and the output, through the cached
 * second stage: the page the smaller of the two, the rights both grant,
 * A/D flags set as the general walk sets them.  Everything it cannot
 * serve is the general path's fault, recorded.  The tables are built
 * before the first request, so that no invalidation drops the cached
 * entry between the requests below. */
static void test_nested_fast_miss(void **state)
{
	(void)state;
	uint64_t fs, ss;
	nest(&fs, &ss, SS_RW, 0);
	uint64_t b = fs_map(fs, GVA + 0x1000, GPA + 0x1000, 1, FS_PRU);
	fs_map(fs, GVA + 0x2000, GPA + 0x2000, 1, FS_PRU);            /* SS read-only */
	uint64_t ro = fs_map(fs, GVA + 0x3000, GPA + 0x3000, 1, FS_P | FS_US);
	fs_map(fs, 0x200000, GPA + 0x200000, 2, FS_PRU);              /* FS 2M, SS 4K */
	fs_map(fs, GVA + 0x5000, 0x40434000ull, 1, FS_PRU);           /* FS 4K, SS 2M */
	fs_map(fs, GVA + 0x6000, GPA + 0x6000, 1, FS_PRU);            /* SS read-only */
	fs_map(fs, GVA + 0x8000, GPA + 0x8000, 1, FS_PRU);            /* SS: interrupts */
	fs_map(fs, GVA + 0xa000, GPA + 0xa000, 1, FS_PRU);            /* SS: nothing */
	fs_map(fs, GVA + 0xb000, GPA + 0xb000, 1, FS_PRU);
	/* FS leaves in L1 tables of their own, whose SS pages are read-only
	 * and write-only */
	uint64_t c = fs_map(fs, GVA + 0x200000, GPA + 0x7000, 1, FS_PRU);
	fs_map(fs, GVA + 0x400000, GPA + 0x7000, 1, FS_PRU);
	ss_map(ss, 4, GPA + 0x1000, HPA + 0x1000, 1, SS_RW);
	ss_map(ss, 4, GPA + 0x2000, HPA + 0x2000, 1, SS_R);
	ss_map(ss, 4, GPA + 0x3000, HPA + 0x3000, 1, SS_RW);
	ss_map(ss, 4, GPA + 0x205000, HPA + 0x5000, 1, SS_RW);
	ss_map(ss, 4, 0x40400000ull, 0xc00000, 2, SS_RW);
	ss_map(ss, 4, GPA + 0x6000, HPA + 0x6000, 1, SS_R);
	ss_map(ss, 4, GPA + 0x7000, HPA + 0x7000, 1, SS_RW);
	ss_map(ss, 4, GPA + 0x8000, 0xfee00000ull, 1, SS_RW);
	ss_map(ss, 4, GPA + 0xb000, HPA + 0xb000, 1, SS_RW);
	nest_identity(ss);
	uint64_t t1 = pte_at(fs, 4, GVA + 0x200000, 1, FS_PRU) & ~0xfffull;
	put64(pte_at(ss, 4, t1, 1, SS_RW), t1 | SS_R);
	uint64_t t2 = pte_at(fs, 4, GVA + 0x400000, 1, FS_PRU) & ~0xfffull;
	put64(pte_at(ss, 4, t2, 1, SS_RW), t2 | SS_W);

	EXPECT_OK(xl(SID, GVA | 0x678, RD), HPA | 0x678, 4096, RD | WR); /* caches the entry */
	struct vtd_iommu_stats s0, s1;
	vtd_iommu_get_stats(iommu, &s0);
	EXPECT_OK(xl(SID, GVA + 0x1008, WR), HPA + 0x1008, 4096, RD | WR);
	assert_int_equal(get64(b) & (FS_A | FS_D), FS_A | FS_D);
	EXPECT_OK(xl(SID, GVA + 0x2010, RD), HPA + 0x2010, 4096, RD);
	EXPECT_OK(xl(SID, GVA + 0x3020, RD), HPA + 0x3020, 4096, RD);
	assert_int_equal(get64(ro) & (FS_A | FS_D), FS_A);
	EXPECT_OK(xl(SID, 0x205abc, RD), HPA + 0x5abc, 4096, RD | WR);
	EXPECT_OK(xl(SID, GVA + 0x5010, RD), 0xc34010, 4096, RD | WR);
	assert_int_equal(R.did, DID);
	vtd_iommu_get_stats(iommu, &s1);
	assert_int_equal(s1.iotlb_misses - s0.iotlb_misses, 5);
	assert_int_equal(s1.iotlb_inserts - s0.iotlb_inserts, 5);
	assert_int_equal(s1.context_hits - s0.context_hits, 5);
	assert_int_equal(s1.context_misses, s0.context_misses);
	/* the fast path reads no PASID entry */
	assert_int_equal(s1.pasid_hits + s1.pasid_misses, s0.pasid_hits + s0.pasid_misses);
	/* what it inserted hits, with the sizes and rights it found */
	EXPECT_OK(xl(SID, GVA + 0x2ff8, RD), HPA + 0x2ff8, 4096, RD);
	EXPECT_OK(xl(SID, GVA + 0x5ff0, RD), 0xc34ff0, 4096, RD | WR);
	vtd_iommu_get_stats(iommu, &s0);
	assert_int_equal(s0.iotlb_hits - s1.iotlb_hits, 2);
	/* a write found an entry made by a read, whose leaf is not dirty:
	 * the walk sets D */
	uint64_t big = pte_at(fs, 4, 0x200000, 2, FS_PRU);
	assert_int_equal(get64(big) & FS_D, 0);
	EXPECT_OK(xl(SID, 0x205004, WR), HPA + 0x5004, 4096, RD | WR);
	assert_int_equal(get64(big) & (FS_A | FS_D), FS_A | FS_D);
	/* faults: the general path's, recorded */
	EXPECT_FAULT(xl(SID, GVA + 0x6000, WR), 0x85, "SGN.6");    /* SS read-only */
	assert_true(R.fault_recorded);
	EXPECT_FAULT(xl(SID, GVA + 0x8000, RD), 0x87, "SGN.8");    /* an interrupt */
	EXPECT_FAULT(xl(SID, GVA + 0x9000, RD), 0x71, "SFL.2");    /* FS: not present */
	EXPECT_FAULT(xl(SID, GVA + 0xa000, RD), 0x79, "SSL.2");    /* SS: not present */
	EXPECT_FAULT(xl(SID, GVA + 0x200000, RD), 0x77, "SFL.8");  /* A on a read-only table */
	assert_int_equal(get64(c) & FS_A, 0);
	EXPECT_FAULT(xl(SID, GVA + 0x400000, RD), 0x76, "SFL.7");  /* a table not readable */
	EXPECT_FAULT(xl(SID, 1ull << 47, RD), 0x80, "SGN.1");      /* not canonical */
	/* the entry is still cached: a miss still walks fast */
	vtd_iommu_get_stats(iommu, &s0);
	EXPECT_OK(xl(SID, GVA + 0xb000, WR), HPA + 0xb000, 4096, RD | WR);
	vtd_iommu_get_stats(iommu, &s1);
	assert_int_equal(s1.iotlb_misses - s0.iotlb_misses, 1);
	assert_int_equal(s1.context_misses, s0.context_misses);
	assert_int_equal(s1.pasid_hits + s1.pasid_misses, s0.pasid_hits + s0.pasid_misses);
}

/* SFL.5 (74h): a first-stage table address beyond the SS's width (SS
 * 3-level, 39 bits, FSPTPTR at 2^40). */
static void test_nested_fault_74(void **state)
{
	(void)state;
	uint64_t fs, ss;
	nest(&fs, &ss, SS_RW, 0);
	uint64_t ss3 = alloc_page();
	set_pe(0, ss3 | PGTT(3) | SSAW(1) | 1, DID, (1ull << 40));
	EXPECT_FAULT(xl(SID, GVA, RD), 0x74, "SFL.5");
	/* an FS L4 entry pointing above 39 bits */
	uint64_t fs3 = alloc_page();
	ss_map(ss3, 3, fs3, fs3, 1, SS_RW);
	put64(fs3, (1ull << 39) | FS_PRU);
	set_pe(0, ss3 | PGTT(3) | SSAW(1) | 1, DID, fs3);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x74, "SFL.5");
	/* SGN.5 (84h): the FS output (a GPA) beyond the 39-bit SS is not 74h */
	uint64_t ss3b = alloc_page(), fs4 = alloc_page();
	fs_map(fs4, 0x1000, 1ull << 40, 1, FS_PRU);
	uint64_t end = next_page;
	for (uint64_t p = 0x100000; p < end; p += 0x1000)
		ss_map(ss3b, 3, p, p, 1, SS_RW);
	set_pe(0, ss3b | PGTT(3) | SSAW(1) | 1, DID, fs4);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x84, "SGN.5");
}

/* SFL.7 (76h): no read permission in the SS on an FS (non-root) table. */
static void test_nested_fault_76(void **state)
{
	(void)state;
	uint64_t fs, ss;
	nest(&fs, &ss, SS_RW, 0);
	uint64_t l3t = pte_at(fs, 4, GVA, 3, FS_PRU) & ~0xfffull;
	uint64_t sse = pte_at(ss, 4, l3t, 1, SS_RW);
	put64(sse, l3t | SS_W);
	EXPECT_FAULT(xl(SID, GVA, RD), 0x76, "SFL.7");
	put64(sse, l3t);                                     /* R=W=0 */
	EXPECT_FAULT(xl(SID, GVA, RD), 0x76, "SFL.7");
	/* readable but not writable: the A flag of the L3 entry cannot be set */
	put64(sse, l3t | SS_R);
	EXPECT_FAULT(xl(SID, GVA, RD), 0x77, "SFL.8");
	put64(sse, l3t | SS_RW);
	EXPECT_OK(xl(SID, GVA, RD), HPA, 4096, RD | WR);
}

/* SFL.6 (75h): "read permission error in FL-PML4 entry in nested
 * translation" ([R] 5c, Linux dmar.c; [F] names it "no read permission on
 * the first-stage root table"). */
static void test_nested_root_no_read_is_75(void **state)
{
	(void)state;
	uint64_t fs, ss;
	nest(&fs, &ss, SS_RW, 0);
	put64(pte_at(ss, 4, fs, 1, SS_RW), fs | SS_W);
	int rc = xl(SID, GVA, RD);
	assert_int_equal(rc, -EACCES);
	if (R.fault != 0x75)
		fail_msg("nested, FS root table not readable in the SS: fault 0x%02x (%s), "
			 "expected 0x75 SFL.6", R.fault, R.fault_name);
}

/* SFL.8 (77h): the SS maps an FS table read-only and an A/D flag must be
 * set; no fault when nothing needs updating. */
static void test_nested_fault_77(void **state)
{
	(void)state;
	uint64_t fs, ss;
	nest(&fs, &ss, SS_RW, 0);
	uint64_t l1e = pte_at(fs, 4, GVA, 1, FS_PRU);
	uint64_t l1t = l1e & ~0xfffull;
	uint64_t sse = pte_at(ss, 4, l1t, 1, SS_RW);
	put64(sse, l1t | SS_R);
	EXPECT_FAULT(xl(SID, GVA, RD), 0x77, "SFL.8");
	assert_false(get64(l1e) & FS_A);
	/* A already set everywhere: a read needs no update */
	for (unsigned l = 4; l >= 1; l--) {
		uint64_t e = pte_at(fs, 4, GVA, l, FS_PRU);
		put64(e, get64(e) | FS_A);
	}
	EXPECT_OK(xl(SID, GVA, RD), HPA, 4096, RD | WR);
	/* ...a write needs D on the leaf */
	EXPECT_FAULT(xl(SID, GVA, WR), 0x77, "SFL.8");
	put64(l1e, get64(l1e) | FS_D);
	EXPECT_OK(xl(SID, GVA, WR), HPA, 4096, RD | WR);
}

/* SSL.1 (78h) / SSL.4 (7Bh) while translating FS table addresses. */
static void test_nested_ss_read_errors(void **state)
{
	(void)state;
	uint64_t fs, ss;
	nest(&fs, &ss, SS_RW, 0);
	uint64_t ss2 = alloc_page();
	put64(ss2, OUTSIDE | SS_RW);
	set_pe(0, ss2 | PGTT(3) | SSAW(2) | 1, DID, fs);
	EXPECT_FAULT(xl(SID, GVA, RD), 0x78, "SSL.1");
	set_pe(0, OUTSIDE | PGTT(3) | SSAW(2) | 1, DID, fs);
	EXPECT_FAULT(xl(SID, GVA, RD), 0x7b, "SSL.4");
	/* nested needs SAGAW for the SS AW and SRE for supervisor requests */
	set_pe(0, ss | PGTT(3) | SSAW(3) | 1, DID, fs);
	EXPECT_FAULT(xl(SID, GVA, RD), 0x5b, "SPT.4");
	set_pe(0, ss | PGTT(3) | SSAW(2) | 1, DID, fs);
	EXPECT_FAULT(xp(SID, 0, GVA, RD, true), 0x5d, "SPT.6");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_nested_walk),
		T(test_nested_fast_miss),
		T(test_nested_fault_74),
		T(test_nested_fault_76),
		T(test_nested_root_no_read_is_75),
		T(test_nested_fault_77),
		T(test_nested_ss_read_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
