/* SPDX-License-Identifier: MIT */
/*
 * DMA translation in scalable mode (src/translate.c; RTADDR.TTM=01b) up
 * to the PASID-table entry, and the translation types that need no first
 * stage: the scalable-mode root entry's two halves, the 256-bit context
 * entries, the PASID directory and the 512-bit PASID-table entries, for
 * requests with PASID and without (RID_PASID); then second stage
 * (PGTT=010b) and pass-through (PGTT=100b).
 *   - structures: devfn < 128 and >= 128, RID_PASID, PASIDE, PDTS;
 *   - second stage: 3 and 4 levels, large pages, rights, SSL/SGN faults;
 *     pass-through: SGN.4 (83h) beyond HAW, SGN.8 (87h) into 0xFEEx_xxxx;
 *   - each structure fault: SRT.1-3 (38h-3Ah), SCT.1-7 and SCT.9 (40h-46h,
 *     48h), SPD.1-3 (50h-52h), SPT.1-5 (58h-5Ch): SPT.4 for PGTT, AW and
 *     FSPM, SPT.5 for an execute request with ERE=0;
 *   - second-stage accessed/dirty flags (x-ssads: ECAP.SLADS, SSADE), and
 *     the non-snooped walks PWSNP=0 asks for under ECAP.SMPWC (SSL.5 7Ch;
 *     its first-stage sibling SFL.9 90h in the same test).
 * Elsewhere: the first stage in test_translate_fs.c, nested in
 * test_translate_nested.c, the interrupt range and the IOTLB in
 * test_translate_intr.c, FPD in test_translate_faults.c, SSL.6 (7Dh, an
 * A/D update that cannot be written) in test_translate_mem.c.
 *
 * Spec sections followed (VT-d, revision 5.0 numbering):
 *   3.4.3 Scalable Mode Address Translation; 3.7 Second-Stage Translation,
 *   3.7.1 Access Rights, 3.7.2 Accessed and Dirty Flags; 9.2 Scalable-Mode
 *   Root Entry; 9.4 Scalable-Mode Context-Entry; 9.5 Scalable-Mode PASID
 *   Directory Entry; 9.6 Scalable-Mode PASID Table Entry; 9.8 Second-Stage
 *   Paging Entries; 7.1.3 (fault conditions and their reason codes).
 * Every fault is checked by reason code and by name (EXPECT_FAULT): the
 * codes of VT-d spec 7.1.3, the condition names of src/fault.c reasons[].
 *
 * Sources of the expectations, cited per test:
 *   [Q]  QEMU 10.0.2 hw/i386/intel_iommu_internal.h (reserved-bit masks)
 *        and hw/i386/intel_iommu.c (the order of its checks)
 */
#include "translate_util.h"

/* =========================================================================
 * Scalable mode: root, context, PASID structures
 * ========================================================================= */

/* SRT: devfn < 128 uses the lower half (LCTP), >= 128 the upper (UCTP);
 * 32-byte context entries indexed by devfn & 0x7f; PGTT=4 pass-through. */
static void test_sm_root_halves_passthrough(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 0);
	set_pe(0, PGTT(4) | 1, 7, 0);
	EXPECT_OK(xl(SID, 0x123456000ull, WR), 0x123456000ull, 4096, RD | WR);
	assert_int_equal(R.did, 7);
	/* 00:11.0 = devfn 0x88: upper half, entry 8 of SM_CTX_HI */
	uint64_t pdir2 = alloc_page();
	sm_ctx(0x88, pdir2 | 1, 0);
	set_pasid_entry(pdir2, 0, PGTT(4) | 1, 9, 0);
	EXPECT_OK(xl(0x0088, 0x5000, RD), 0x5000, 4096, RD | WR);
	assert_int_equal(R.did, 9);
	/* entry 8 of the lower table is not present: 00:01.0 faults */
	EXPECT_FAULT(xl(0x0008, 0x5000, RD), 0x41, "SCT.2");
	/* upper half not present */
	put64(ROOT + 8, CT1);
	EXPECT_FAULT(xl(0x0088, 0x5000, RD), 0x39, "SRT.2");
	EXPECT_OK(xl(SID, 0x5000, RD), 0x5000, 4096, RD | WR);
	/* lower half not present, upper present */
	put64(ROOT, CT0);
	put64(ROOT + 8, CT1 | 1);
	EXPECT_FAULT(xl(SID, 0x5000, RD), 0x39, "SRT.2");
	EXPECT_OK(xl(0x0088, 0x5000, RD), 0x5000, 4096, RD | WR);
	/* pt=off: PGTT=4 is invalid */
	guest_teardown(NULL);
	sm("x-scalable-mode=on,pt=off", 0, 0);
	set_pe(0, PGTT(4) | 1, 7, 0);
	EXPECT_FAULT(xl(SID, 0x5000, RD), 0x5b, "SPT.4");
}

/* RID_PASID: a request without PASID uses the context's RID_PASID. */
static void test_sm_rid_pasid(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 5);
	set_pe(5, PGTT(4) | 1, 11, 0);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x1000, 4096, RD | WR);
	assert_int_equal(R.did, 11);
	/* PASID 0's entry is not what is used */
	set_pe(0, PGTT(4) | 1, 12, 0);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x1000, 4096, RD | WR);
	assert_int_equal(R.did, 11);
	/* RID_PASID in another PASID table (dir index 1) */
	sm_ctx(DEVFN, PDIR | 1, 0x41);
	set_pe(0x41, PGTT(4) | 1, 13, 0);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x1000, 4096, RD | WR);
	assert_int_equal(R.did, 13);
	/* RID_PRIV (q1 bit 20) is not reserved */
	sm_ctx(DEVFN, PDIR | 1, 0x41 | (1ull << 20));
	EXPECT_OK(xl(SID, 0x1000, RD), 0x1000, 4096, RD | WR);
}

/* Requests with PASID: PASIDE selects the PASID's own entry; PDTS bounds
 * the directory (2^(PDTS+7) entries). */
static void test_sm_pasid_requests(void **state)
{
	(void)state;
	sm("x-scalable-mode=on,x-pasid-mode=on", CE_PASIDE, 0);
	set_pe(0, PGTT(4) | 1, 1, 0);
	uint64_t ss = alloc_page();
	ss_map(ss, 4, 0x1000, 0x77000, 1, SS_RW);
	set_pe(0x1234, ss | PGTT(2) | SSAW(2) | 1, 0x34, 0);
	EXPECT_OK(xp(SID, 0x1234, 0x1008, RD, false), 0x77008, 4096, RD | WR);
	assert_int_equal(R.did, 0x34);
	/* the entry sits at dir[0x48] -> table + 0x34 * 64 */
	assert_int_equal(pe_addr(0x1234) & 0xfff, 0x34 * 64);
	EXPECT_OK(xl(SID, 0x1008, RD), 0x1008, 4096, RD | WR);   /* RID_PASID 0 */
	assert_int_equal(R.did, 1);
	/* a PASID whose directory entry is absent: SPD.2 */
	EXPECT_FAULT(xp(SID, 0x1fff, 0x1000, RD, false), 0x51, "SPD.2");
	/* a PASID in the same table, entry absent: SPT.2 */
	EXPECT_FAULT(xp(SID, 0x1235, 0x1000, RD, false), 0x59, "SPT.2");
}

/* =========================================================================
 * Scalable mode: second stage (PGTT=2) and pass-through (PGTT=4)
 * ========================================================================= */

/* PGTT=2: 4-level and 3-level SS walks, large pages, perms. */
static void test_sm_second_stage(void **state)
{
	(void)state;
	uint64_t ss = sm_ss("x-scalable-mode=on,x-pasid-mode=on", 0, 0);
	ss_map(ss, 4, 0xabc000, 0x3000, 1, SS_RW);
	ss_map(ss, 4, 0x40000000ull, 0x600000, 2, SS_R);
	ss_map(ss, 4, 0x8000000000ull, 0x80000000ull, 3, SS_RW);
	EXPECT_OK(xl(SID, 0xabc123, WR), 0x3123, 4096, RD | WR);
	assert_int_equal(R.did, DID);
	EXPECT_OK(xl(SID, 0x40123456ull, RD), 0x723456, 2ull << 20, RD);
	EXPECT_OK(xl(SID, 0x8012345678ull, RD), 0x92345678ull, 1ull << 30, RD | WR);
	/* SNP is allowed in leaves in scalable mode ([Q] 5.1) */
	ss_map(ss, 4, 0xabc000, 0x3000, 1, SS_RW | 0x800);
	EXPECT_OK(xl(SID, 0xabc000, RD), 0x3000, 4096, RD | WR);
	/* 3-level (AW=1) */
	uint64_t ss3 = alloc_page();
	ss_map(ss3, 3, 0x7fc0000000ull, 0x5000, 1, SS_RW);
	set_pe(0, ss3 | PGTT(2) | SSAW(1) | 1, DID, 0);
	EXPECT_OK(xl(SID, 0x7fc0000010ull, RD), 0x5010, 4096, RD | WR);
	EXPECT_FAULT(xl(SID, 1ull << 39, RD), 0x84, "SGN.5");
	/* SRE/WPE allowed with ECAP.SRS (x-scalable-mode alone has it) */
	set_pe(0, ss3 | PGTT(2) | SSAW(1) | 1, DID, PE_SRE | PE_WPE);
	EXPECT_OK(xl(SID, 0x7fc0000010ull, RD), 0x5010, 4096, RD | WR);
	/* priv requests are not checked against SRE for PGTT=2 */
	sm_ctx(DEVFN, PDIR | CE_PASIDE | 1, 0);
	set_pe(0, ss3 | PGTT(2) | SSAW(1) | 1, DID, 0);
	EXPECT_OK(xp(SID, 0, 0x7fc0000010ull, RD, true), 0x5010, 4096, RD | WR);
}

/* SGN.6 (85h) / SGN.7 (86h) / SSL.2 (79h) for second-stage walks. */
static void test_sm_ss_perm_faults(void **state)
{
	(void)state;
	uint64_t ss = sm_ss("x-scalable-mode=on", 0, 0);
	ss_map(ss, 4, 0x1000, 0x2000, 1, SS_R);
	ss_map(ss, 4, 0x3000, 0x4000, 1, SS_W);
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x85, "SGN.6");
	assert_true(R.fault_recorded);
	assert_int_equal((frcd_hi() >> 32) & 0xff, 0x85);
	EXPECT_FAULT(xl(SID, 0x3000, RD), 0x86, "SGN.7");
	EXPECT_OK(xl(SID, 0x3000, WR), 0x4000, 4096, WR);
	EXPECT_FAULT(xl(SID, 0x5000, RD), 0x79, "SSL.2");
	EXPECT_FAULT(xl(SID, 0x5000, WR), 0x79, "SSL.2");
	EXPECT_FAULT(xl(SID, 1ull << 40, RD), 0x79, "SSL.2");   /* L4 not present */
	/* intersection over levels */
	uint64_t l2 = pte_at(ss, 4, 0x1000, 2, SS_RW);
	put64(l2, (get64(l2) & ~3ull) | SS_W);
	EXPECT_FAULT(xl(SID, 0x3000, RD), 0x86, "SGN.7");
}

/* SSL.1 (78h), SSL.3 (7Ah), SSL.4 (7Bh), SGN.4 (83h), SGN.8 (87h). */
static void test_sm_ss_other_faults(void **state)
{
	(void)state;
	uint64_t ss = sm_ss("x-scalable-mode=on", 0, 0);
	uint64_t l1 = ss_map(ss, 4, 0x1000, 0x2000, 1, SS_RW);
	put64(ss + 8, OUTSIDE | SS_RW);  /* L4[1] */
	EXPECT_FAULT(xl(SID, 1ull << 39, RD), 0x78, "SSL.1");
	put64(l1, 0x2000 | SS_RW | (1ull << 62));
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x7a, "SSL.3");
	put64(l1, 0x2000 | SS_RW);
	put64(ss, get64(ss) | PS);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x7a, "SSL.3");
	put64(ss, get64(ss) & ~PS);
	EXPECT_FAULT(xl(SID, 1ull << 48, RD), 0x84, "SGN.5");
	put64(l1, 0xfee01000ull | SS_RW);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x87, "SGN.8");
	/* the SS root table outside RAM */
	set_pe(0, OUTSIDE | PGTT(2) | SSAW(2) | 1, DID, 0);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x7b, "SSL.4");
}

/* SGN.4 (83h) for pass-through beyond HAW; SGN.8 (87h) for PT into the
 * interrupt range (with PASID; a read without PASID too). */
static void test_sm_passthrough_faults(void **state)
{
	(void)state;
	sm("x-scalable-mode=on,x-pasid-mode=on", CE_PASIDE, 0);
	set_pe(0, PGTT(4) | 1, 1, 0);
	set_pe(3, PGTT(4) | 1, 1, 0);
	EXPECT_FAULT(xl(SID, 1ull << 48, RD), 0x83, "SGN.4");
	EXPECT_OK(xl(SID, (1ull << 48) - 1, RD), (1ull << 48) - 1, 4096, RD | WR);
	EXPECT_FAULT(xp(SID, 3, 0xfee00000ull, WR, false), 0x87, "SGN.8");
	/* a PT read of the interrupt range is blocked, in both modes (see
	 * test_legacy_pt_interrupt_range) */
	EXPECT_FAULT(xl(SID, 0xfee00000ull, RD), 0x87, "SGN.8");
}

/* =========================================================================
 * Scalable mode: structure faults
 * ========================================================================= */

/* SRT.1 (38h): the scalable root table cannot be read. */
static void test_sm_fault_38(void **state)
{
	(void)state;
	mk("x-scalable-mode=on");
	enable_root(OUTSIDE | RTADDR_SMT);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x38, "SRT.1");
	assert_true(R.fault_recorded);
}

/* SRT.2 (39h): the half the devfn selects is not present. */
static void test_sm_fault_39(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 0);
	EXPECT_FAULT(xl(0x0100, 0x1000, RD), 0x39, "SRT.2");
}

/* SRT.3 (3Ah): reserved bits 11:1 or >= HAW in the selected half. */
static void test_sm_fault_3a(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 0);
	set_pe(0, PGTT(4) | 1, 1, 0);
	put64(ROOT, CT0 | 1 | 0x10);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x3a, "SRT.3");
	put64(ROOT, CT0 | 1 | (1ull << 50));
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x3a, "SRT.3");
	put64(ROOT, CT0 | 1);
	put64(ROOT + 8, CT1 | 1 | 2);
	EXPECT_FAULT(xl(0x0088, 0x1000, RD), 0x3a, "SRT.3");
	/* the library checks only the half it uses (QEMU checks both, [Q] 5.3) */
	EXPECT_OK(xl(SID, 0x1000, RD), 0x1000, 4096, RD | WR);
}

/* SCT.1 (40h): the scalable context table cannot be read. */
static void test_sm_fault_40(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 0);
	put64(ROOT, OUTSIDE | 1);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x40, "SCT.1");
}

/* SCT.2 (41h): context entry not present. */
static void test_sm_fault_41(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 0);
	EXPECT_FAULT(xl(0x0020, 0x1000, RD), 0x41, "SCT.2");
	assert_true(R.fault_recorded);
}

/* SCT.3 (42h): reserved q0 8:5 / >= HAW, q1 63:21, q2, q3 ([Q] 5.3). */
static void test_sm_fault_42(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 0);
	set_pe(0, PGTT(4) | 1, 1, 0);
	uint64_t a = sm_ctx_addr(DEVFN);
	const uint64_t bad[][4] = {
		{ PDIR | 1 | 0x20, 0, 0, 0 },
		{ PDIR | 1 | 0x100, 0, 0, 0 },
		{ PDIR | 1 | (1ull << 48), 0, 0, 0 },
		{ PDIR | 1, 1ull << 21, 0, 0 },
		{ PDIR | 1, 1ull << 63, 0, 0 },
		{ PDIR | 1, 0, 1, 0 },
		{ PDIR | 1, 0, 0, 1ull << 63 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (unsigned q = 0; q < 4; q++)
			put64(a + 8 * q, bad[i][q]);
		EXPECT_FAULT(xl(SID, 0x1000, RD), 0x42, "SCT.3");
	}
	/* RID_PRIV is not reserved; PRE is not reserved either, but enabling
	 * page requests on a unit without ECAP.PRS is SCT.4 (43h), as are
	 * DTE without ECAP.DT and PASIDE without ECAP.PASID */
	sm_ctx(DEVFN, PDIR | 1, 1ull << 20);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x1000, 4096, RD | WR);
	const uint64_t enables[] = { 0x10, 0x4, 0x8 };
	for (size_t i = 0; i < 3; i++) {
		sm_ctx(DEVFN, PDIR | 1 | enables[i], 0);
		EXPECT_FAULT(xl(SID, 0x1000, RD), 0x43, "SCT.4");
	}
}

/* SCT.5 (44h): an ATS request with DTE=0. */
static void test_sm_fault_44(void **state)
{
	(void)state;
	sm("x-scalable-mode=on,device-iotlb=on", 0, 0);
	set_pe(0, PGTT(4) | 1, 1, 0);
	EXPECT_FAULT(xat(SID, 0x1000, RD, VTD_AT_TRANSLATION_REQ), 0x44, "SCT.5");
	assert_false(R.fault_recorded);
	EXPECT_FAULT(xat(SID, 0x1000, RD, VTD_AT_TRANSLATED), 0x44, "SCT.5");
	assert_true(R.fault_recorded);
	sm_ctx(DEVFN, PDIR | CE_DTE | 1, 0);
	EXPECT_OK(xat(SID, 0x1000, RD, VTD_AT_TRANSLATION_REQ), 0x1000, 4096, RD | WR);
}

/* SCT.6 (45h): a request with PASID while PASIDE=0. */
static void test_sm_fault_45(void **state)
{
	(void)state;
	sm("x-scalable-mode=on,x-pasid-mode=on", 0, 0);
	set_pe(0, PGTT(4) | 1, 1, 0);
	set_pe(1, PGTT(4) | 1, 1, 0);
	EXPECT_FAULT(xp(SID, 1, 0x1000, RD, false), 0x45, "SCT.6");
	EXPECT_OK(xl(SID, 0x1000, RD), 0x1000, 4096, RD | WR);
}

/* SCT.7 (46h): PASID[19:6] beyond 2^(PDTS+7) directory entries. */
static void test_sm_fault_46(void **state)
{
	(void)state;
	sm("x-scalable-mode=on,x-pasid-mode=on", CE_PASIDE, 0);
	set_pe(0x1fff, PGTT(4) | 1, 1, 0);
	set_pe(0x2000, PGTT(4) | 1, 2, 0);
	EXPECT_OK(xp(SID, 0x1fff, 0x1000, RD, false), 0x1000, 4096, RD | WR);
	EXPECT_FAULT(xp(SID, 0x2000, 0x1000, RD, false), 0x46, "SCT.7");
	EXPECT_FAULT(xp(SID, 0xfffff, 0x1000, RD, false), 0x46, "SCT.7");
	sm_ctx(DEVFN, PDIR | CE_PASIDE | PDTS(1) | 1, 0);
	EXPECT_OK(xp(SID, 0x2000, 0x1000, RD, false), 0x1000, 4096, RD | WR);
	assert_int_equal(R.did, 2);
	EXPECT_FAULT(xp(SID, 0x4000, 0x1000, RD, false), 0x46, "SCT.7");
	/* RID_PASID beyond PDTS is SCT.9 (test_sm_fault_48) */
	sm_ctx(DEVFN, PDIR | 1, 0x2000);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x48, "SCT.9");
}

/* SCT.9 (48h): the context entry's RID_PASID points beyond its PASID
 * directory (a request with PASID beyond it is SCT.7, 46h). */
static void test_sm_fault_48(void **state)
{
	(void)state;
	sm("x-scalable-mode=on,x-pasid-mode=on", CE_PASIDE, 0);
	set_pe(0x1fff, PGTT(4) | 1, 1, 0);
	sm_ctx(DEVFN, PDIR | CE_PASIDE | 1, 0x1fff);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x1000, 4096, RD | WR);
	sm_ctx(DEVFN, PDIR | CE_PASIDE | 1, 0x2000);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x48, "SCT.9");
	assert_true(R.fault_recorded);
	assert_int_equal((frcd_hi() >> 32) & 0xff, 0x48);
	EXPECT_FAULT(xp(SID, 0x2000, 0x1000, RD, false), 0x46, "SCT.7");
	/* qualified: FPD in the context entry suppresses the record */
	sm_ctx(DEVFN, PDIR | CE_PASIDE | 2 | 1, 0x2000);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x48, "SCT.9");
	assert_false(R.fault_recorded);
}

/* SPD.1 (50h), SPD.2 (51h), SPD.3 (52h): the PASID directory entry. */
static void test_sm_fault_5x_pdir(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 0);
	set_pe(0, PGTT(4) | 1, 1, 0);
	sm_ctx(DEVFN, OUTSIDE | 1, 0);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x50, "SPD.1");
	assert_true(R.fault_recorded);
	sm_ctx(DEVFN, PDIR | 1, 0);
	put64(PDIR, PTBL);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x51, "SPD.2");
	put64(PDIR, PTBL | 1 | 4);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x52, "SPD.3");
	put64(PDIR, PTBL | 1 | 0x800);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x52, "SPD.3");
	put64(PDIR, PTBL | 1 | (1ull << 48));
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x52, "SPD.3");
}

/* SPT.1 (58h), SPT.2 (59h), SPT.3 (5Ah): the PASID-table entry. */
static void test_sm_fault_5x_ptab(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 0);
	put64(PDIR, OUTSIDE | 1);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x58, "SPT.1");
	put64(PDIR, PTBL | 1);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x59, "SPT.2");
	uint64_t ss = alloc_page();
	ss_map(ss, 4, 0x1000, 0x2000, 1, SS_RW);
	uint64_t pa = pe_addr(0);
	for (unsigned q = 3; q < 8; q++) {
		set_pe(0, ss | PGTT(2) | SSAW(2) | 1, DID, 0);
		EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
		put64(pa + 8 * q, 1ull << (q * 7));
		EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5a, "SPT.3");
	}
	set_pe(0, ss | PGTT(2) | SSAW(2) | 1 | (1ull << 48), DID, 0);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5a, "SPT.3");
	set_pe(0, ss | PGTT(2) | SSAW(2) | 1, DID, 0x100);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5a, "SPT.3");
	set_pe(0, ss | PGTT(2) | SSAW(2) | 1, DID, 1ull << 50);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5a, "SPT.3");
	/* EAFE without ECAP.EAFS */
	set_pe(0, ss | PGTT(2) | SSAW(2) | 1, DID, PE_EAFE);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5a, "SPT.3");
}

/* SPT.4 (5Bh): PGTT reserved or not offered, SS AW not in SAGAW, FSPM. */
static void test_sm_fault_5b(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 0);
	uint64_t ss = alloc_page();
	ss_map(ss, 4, 0x1000, 0x2000, 1, SS_RW);
	static const unsigned bad_pgtt[] = { 0, 1 /* no FSTS */, 3 /* no NEST */, 5, 6, 7 };
	for (size_t i = 0; i < sizeof(bad_pgtt) / sizeof(bad_pgtt[0]); i++) {
		set_pe(0, ss | PGTT(bad_pgtt[i]) | SSAW(2) | 1, DID, 0);
		EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5b, "SPT.4");
	}
	for (unsigned aw = 0; aw < 8; aw++) {
		set_pe(0, ss | PGTT(2) | SSAW(aw) | 1, DID, 0);
		int rc = xl(SID, 0x1000, RD);
		if (aw == 2)
			assert_int_equal(rc, 0);
		else if (aw == 1)  /* valid; the 4-level table read as 3 levels */
			EXPECT_FAULT(rc, 0x79, "SSL.2");
		else
			EXPECT_FAULT(rc, 0x5b, "SPT.4");
	}
	guest_teardown(NULL);
	/* x-flts: PGTT=2 is not offered (no SSTS); FSPM=1 needs CAP.FS5LP;
	 * FSPM 2-3 reserved */
	uint64_t fs = sm_fs(FLTS, 0);
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	for (unsigned m = 1; m < 4; m++) {
		set_pe(0, PGTT(1) | 1, DID, fs | PE_FSPM(m));
		EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5b, "SPT.4");
	}
	set_pe(0, fs | PGTT(2) | SSAW(2) | 1, DID, 0);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5b, "SPT.4");
}

/* SPT.5 (5Ch): an execute request with ERE=0. */
static void test_sm_fault_5c(void **state)
{
	(void)state;
	sm("x-scalable-mode=on", 0, 0);
	set_pe(0, PGTT(4) | 1, 1, 0);
	EXPECT_FAULT(xl(SID, 0x1000, RD | VTD_PERM_X), 0x5c, "SPT.5");
	assert_true(R.fault_recorded);
	assert_int_equal((frcd_hi() >> 30) & 1, 1);   /* EXE */
	/* ERE exists only with ECAP.ERS: without it the bit is reserved */
	set_pe(0, PGTT(4) | 1, 1, PE_ERE);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5a, "SPT.3");
	guest_teardown(NULL);
	sm("x-scalable-mode=on,x-pasid-mode=on,x-ers=on", 0, 0);
	set_pe(0, PGTT(4) | 1, 1, 0);
	EXPECT_FAULT(xl(SID, 0x1000, RD | VTD_PERM_X), 0x5c, "SPT.5");
	set_pe(0, PGTT(4) | 1, 1, PE_ERE);
	EXPECT_OK(xl(SID, 0x1000, RD | VTD_PERM_X), 0x1000, 4096, RD | WR);
}

/* =========================================================================
 * Scalable mode: second-stage accessed/dirty flags and snooped walks
 * ========================================================================= */

/* The fast path's miss in scalable mode: a second-stage RID_PASID entry
 * without SSADE is walked from the cached root; with SSADE every miss
 * takes the general path, which sets the accessed flags. */
static void test_sm_ss_fast_miss(void **state)
{
	(void)state;
	uint64_t ss = sm_ss("x-scalable-mode=on", 0, 0);
	ss_map(ss, 4, 0x1000, 0x5000, 1, SS_RW);
	ss_map(ss, 4, 0x2000, 0x6000, 1, SS_R);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x5000, 4096, RD | WR);
	struct vtd_iommu_stats a, b;
	vtd_iommu_get_stats(iommu, &a);
	EXPECT_OK(xl(SID, 0x2008, RD), 0x6008, 4096, RD);
	vtd_iommu_get_stats(iommu, &b);
	assert_int_equal(b.iotlb_misses - a.iotlb_misses, 1);
	assert_int_equal(b.context_hits - a.context_hits, 1);
	assert_int_equal(b.pasid_misses, a.pasid_misses);
	EXPECT_FAULT(xl(SID, 0x3000, RD), 0x79, "SSL.2");  /* not present */
	EXPECT_FAULT(xl(SID, 0x2000 | 0x10000, WR), 0x79, "SSL.2");

	guest_teardown(NULL);
	ss = sm_ss(SSAD_CFG, PE_SSADE, 0);
	set_pe(0, ss | PGTT(2) | SSAW(2) | PE_SSADE | 1, DID | PE_PWSNP, 0);
	ss_map(ss, 4, 0x1000, 0x5000, 1, SS_RW);
	uint64_t l1 = ss_map(ss, 4, 0x2000, 0x6000, 1, SS_RW);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x5000, 4096, RD | WR);
	assert_int_equal(get64(l1) & SS_A, 0);
	EXPECT_OK(xl(SID, 0x2000, WR), 0x6000, 4096, RD | WR);
	assert_int_equal(get64(l1) & (SS_A | SS_D), SS_A | SS_D);
}

/* Second-stage accessed/dirty flags (x-ssads: ECAP.SLADS, PASID-entry
 * SSADE): A on every entry used, D on the leaf of a write, a cached
 * translation does not let a write skip a clear D; without SLADS SSADE is
 * reserved (SPT.3). */
static void test_sm_ss_ad(void **state)
{
	(void)state;
	uint64_t ss = sm_ss(SSAD_CFG, PE_SSADE, 0);
	set_pe(0, ss | PGTT(2) | SSAW(2) | PE_SSADE | 1, DID | PE_PWSNP, 0);
	uint64_t l1 = ss_map(ss, 4, 0x1000, 0x5000, 1, SS_RW);
	uint64_t l4 = pte_at(ss, 4, 0x1000, 4, SS_RW);
	uint64_t l2 = pte_at(ss, 4, 0x1000, 2, SS_RW);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x5000, 4096, RD | WR);
	assert_true(get64(l4) & SS_A);
	assert_true(get64(l2) & SS_A);
	assert_int_equal(get64(l1) & (SS_A | SS_D), SS_A);
	/* the read filled the IOTLB: the write must still set D */
	EXPECT_OK(xl(SID, 0x1000, WR), 0x5000, 4096, RD | WR);
	assert_int_equal(get64(l1) & (SS_A | SS_D), SS_A | SS_D);
	assert_int_equal(get64(l4) & SS_D, 0);       /* D only on the leaf */
	/* a 2 MiB leaf */
	uint64_t big = ss_map(ss, 4, 0x40200000ull, 0x600000, 2, SS_RW);
	EXPECT_OK(xl(SID, 0x40200010ull, WR), 0x600010, 2ull << 20, RD | WR);
	assert_int_equal(get64(big) & (SS_A | SS_D), SS_A | SS_D);
	/* without SSADE the flags are left alone */
	set_pe(0, ss | PGTT(2) | SSAW(2) | 1, DID | PE_PWSNP, 0);
	uint64_t l1b = ss_map(ss, 4, 0x3000, 0x7000, 1, SS_RW);
	EXPECT_OK(xl(SID, 0x3000, WR), 0x7000, 4096, RD | WR);
	assert_int_equal(get64(l1b) & (SS_A | SS_D), 0);
	/* without ECAP.SLADS, SSADE is a reserved bit */
	guest_teardown(NULL);
	ss = sm_ss("x-scalable-mode=on", PE_SSADE, 0);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5a, "SPT.3");
}

/* SSL.5 (7Ch) and SFL.9 (90h): with ECAP.SMPWC, a PASID entry with
 * PWSNP=0 asks for non-snooped walks, which cannot update an accessed or
 * dirty flag; flags already set need no update.  Without ECAP.SMPWC the
 * walks are coherent whatever PWSNP says (as QEMU). */
static void test_sm_fault_7c_90(void **state)
{
	(void)state;
	uint64_t ss = sm_ss(SSAD_CFG, PE_SSADE, 0);
	uint64_t l1 = ss_map(ss, 4, 0x1000, 0x5000, 1, SS_RW);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x7c, "SSL.5");
	assert_true(R.fault_recorded);
	assert_int_equal((frcd_hi() >> 32) & 0xff, 0x7c);
	assert_int_equal(get64(l1) & SS_A, 0);
	/* every flag already there: nothing to update, the walk succeeds */
	for (unsigned lv = 4; lv >= 2; lv--) {
		uint64_t e = pte_at(ss, 4, 0x1000, lv, SS_RW);
		put64(e, get64(e) | SS_A);
	}
	put64(l1, get64(l1) | SS_A);
	/* D is clear and cannot be set: the mapping grants reads only (a
	 * VMM caching the result must not let a write through), and a write
	 * faults */
	EXPECT_OK(xl(SID, 0x1000, RD), 0x5000, 4096, RD);
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x7c, "SSL.5");
	put64(l1, get64(l1) | SS_D);
	EXPECT_OK(xl(SID, 0x1000, WR), 0x5000, 4096, RD | WR);

	/* first stage: SFL.9 */
	guest_teardown(NULL);
	uint64_t fs = sm_fs(FLTS ",x-smpwc=on", 0);
	uint64_t f1 = fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x90, "SFL.9");
	assert_int_equal((frcd_hi() >> 32) & 0xff, 0x90);
	assert_int_equal(get64(f1) & FS_A, 0);
	set_pe(0, PGTT(1) | 1, DID | PE_PWSNP, fs);       /* snooped walks */
	EXPECT_OK(xl(SID, 0x1000, WR), 0x2000, 4096, RD | WR);
	assert_int_equal(get64(f1) & (FS_A | FS_D), FS_A | FS_D);
	/* A and D preset (as Linux does): PWSNP=0 is fine */
	set_pe(0, PGTT(1) | 1, DID, fs);
	EXPECT_OK(xl(SID, 0x1000, WR), 0x2000, 4096, RD | WR);
	/* without ECAP.SMPWC, PWSNP=0 still walks coherently */
	guest_teardown(NULL);
	fs = sm_fs(FLTS, 0);
	f1 = fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	assert_true(get64(f1) & FS_A);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sm_root_halves_passthrough),
		T(test_sm_rid_pasid),
		T(test_sm_pasid_requests),
		T(test_sm_second_stage),
		T(test_sm_ss_perm_faults),
		T(test_sm_ss_other_faults),
		T(test_sm_passthrough_faults),
		T(test_sm_fault_38),
		T(test_sm_fault_39),
		T(test_sm_fault_3a),
		T(test_sm_fault_40),
		T(test_sm_fault_41),
		T(test_sm_fault_42),
		T(test_sm_fault_44),
		T(test_sm_fault_45),
		T(test_sm_fault_46),
		T(test_sm_fault_48),
		T(test_sm_fault_5x_pdir),
		T(test_sm_fault_5x_ptab),
		T(test_sm_fault_5b),
		T(test_sm_fault_5c),
		T(test_sm_ss_ad),
		T(test_sm_ss_fast_miss),
		T(test_sm_fault_7c_90),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
