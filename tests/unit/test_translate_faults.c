/* SPDX-License-Identifier: MIT */
/*
 * Fault recording for DMA translation (src/fault.c, src/translate.c):
 * what a fault leaves in FRCD beyond its reason (PP and PRIV only for
 * requests with PASID), the name of every reason code, and FPD (Fault
 * Processing Disable): set in a legacy context entry, or in a
 * scalable-mode context, PASID-directory or PASID-table entry, it keeps
 * qualified faults from being recorded (the request is still blocked);
 * faults that are not qualified (LRT.3, LCT.3, SCT.3, SPD.3, SPT.3) are
 * recorded regardless.
 * Elsewhere: the record each fault reason leaves (FR, SID, T1, FI, PV,
 * EXE), and the compression of a repeated fault, with the reason in the
 * mode's file (test_translate_legacy.c, test_translate_scalable.c,
 * test_translate_fs.c).
 *
 * Spec sections followed (VT-d, revision 5.0 numbering):
 *   7.1.3 (fault conditions, which are qualified); 7.2 Non-Recoverable
 *   Fault Reporting, 7.2.1 Primary Fault Logging; the FPD field of 9.3
 *   Context Entry, 9.4 Scalable-Mode Context-Entry, 9.5 Scalable-Mode
 *   PASID Directory Entry and 9.6 Scalable-Mode PASID Table Entry;
 *   10.4.14 Fault Recording Registers (PP, PRIV).
 * Every fault is checked by reason code and by name (EXPECT_FAULT): the
 * codes of VT-d spec 7.1.3, the condition names of src/fault.c reasons[].
 *
 * Sources of the expectations, cited per test:
 *   [T]  the VT-d spec, sections as numbered in revision 5.0
 *   [F]  src/fault.c reasons[] (condition names; qualified faults)
 */
#include "translate_util.h"

/* =========================================================================
 * Fault records
 * ========================================================================= */

/* FRCD.PRIV is relevant only with PP=1 (10.4.14): a request without
 * PASID that says "privileged" is translated as a user request and its
 * fault record says neither PP nor PRIV (found by the QEMU differential
 * suite: libvtd used to set PRIV here). */
static void test_fault_priv_needs_pasid(void **state)
{
	(void)state;
	legacy("", 0, 2);
	struct vtd_dma_request rq = { .sid = 0x0100, .addr = 0x3456, .perm = RD, .priv = true };
	EXPECT_FAULT(xreq(&rq), 0x01, "LRT.2");
	assert_true(R.fault_recorded);
	uint64_t hi = frcd_hi();
	assert_int_equal((hi >> 31) & 1, 0);          /* PP */
	assert_int_equal((hi >> 29) & 1, 0);          /* PRIV */
}

/* Every reason code has a spec name; codes never emitted still have one. */
static void test_fault_names(void **state)
{
	(void)state;
	assert_string_equal(vtd_fault_name(0x00), "unknown");
	assert_string_equal(vtd_fault_name(0x91), "SFL.10");
	assert_string_equal(vtd_fault_name(0x75), "SFL.6");
	assert_string_equal(vtd_fault_name(0xff), "unknown");
	assert_non_null(vtd_fault_desc(0x87));
}

/* =========================================================================
 * FPD (Fault Processing Disable), [T] 3.4, [F] qualified flags
 * ========================================================================= */

/* Legacy: FPD=1 in the context entry suppresses recording of qualified
 * faults (05h, 06h, 02h...) but the request is still blocked. */
static void test_fpd_legacy(void **state)
{
	(void)state;
	uint64_t ss = legacy("", FPD, 2);
	ss_map(ss, 4, 0x1000, 0x2000, 1, SS_R);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD);
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x05, "LGN.2");
	assert_false(R.fault_recorded);
	EXPECT_FAULT(xl(SID, 0x9000, RD), 0x06, "LGN.3");
	assert_false(R.fault_recorded);
	ss_map(ss, 4, 0x3000, 0xfee00000ull, 1, SS_RW);
	EXPECT_FAULT(xl(SID, 0x3000, RD), 0x0e, "LGN.4");
	assert_false(R.fault_recorded);
	/* LCT.2 is qualified: FPD in a non-present context entry counts */
	set_legacy_ctx(CT0, 0x20, FPD, 0);
	EXPECT_FAULT(xl(0x0020, 0x1000, RD), 0x02, "LCT.2");
	assert_false(R.fault_recorded);
	assert_int_equal(fsts(), 0);
	assert_int_equal(frcd_hi(), 0);
	/* LCT.3 is not qualified: recorded although FPD=1 */
	set_legacy_ctx(CT0, DEVFN, ss | FPD | 1 | 0x10, (DID << 8) | 2);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0b, "LCT.3");
	assert_true(R.fault_recorded);
	assert_int_equal(fsts() & 2, 2);
}

/* Legacy: LRT.3 (0Ah) is not qualified; it is recorded even while the
 * device's context entry (never reached) has FPD=1. */
static void test_fpd_legacy_root_fault_recorded(void **state)
{
	(void)state;
	uint64_t ss = legacy("", FPD, 2);
	(void)ss;
	put64(ROOT + 8, 1);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0a, "LRT.3");
	assert_true(R.fault_recorded);
	assert_int_equal((frcd_hi() >> 32) & 0xff, 0x0a);
}

/* Scalable: FPD in the PASID entry, the PASID directory entry or the
 * context entry suppresses qualified faults; 5Ah/42h/52h are recorded. */
static void test_fpd_scalable(void **state)
{
	(void)state;
	uint64_t ss = sm_ss("x-scalable-mode=on", FPD, 0);
	ss_map(ss, 4, 0x1000, 0x2000, 1, SS_R);
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x85, "SGN.6");
	assert_false(R.fault_recorded);
	EXPECT_FAULT(xl(SID, 0x5000, RD), 0x79, "SSL.2");
	assert_false(R.fault_recorded);
	assert_int_equal(fsts(), 0);
	/* FPD in the PASID entry, P=0: SPT.2 is qualified */
	put64(pe_addr(0), FPD);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x59, "SPT.2");
	assert_false(R.fault_recorded);
	/* FPD in the PASID directory entry */
	set_pe(0, ss | PGTT(2) | SSAW(2) | 1, DID, 0);
	put64(PDIR, PTBL | FPD | 1);
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x85, "SGN.6");
	assert_false(R.fault_recorded);
	/* FPD in the context entry; SCT.2 (41h) qualified */
	put64(PDIR, PTBL | 1);
	sm_ctx(DEVFN, PDIR | FPD | 1, 0);
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x85, "SGN.6");
	assert_false(R.fault_recorded);
	sm_ctx(DEVFN, PDIR | FPD, 0);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x41, "SCT.2");
	assert_false(R.fault_recorded);
	assert_int_equal(fsts(), 0);
	/* 5Ah not qualified: recorded with FPD=1 in the PASID entry itself */
	sm_ctx(DEVFN, PDIR | 1, 0);
	set_pe(0, ss | PGTT(2) | SSAW(2) | FPD | 1, DID, 0);
	put64(pe_addr(0) + 24, 1);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x5a, "SPT.3");
	assert_true(R.fault_recorded);
	assert_int_equal(fsts() & 2, 2);
	assert_int_equal((frcd_hi() >> 32) & 0xff, 0x5a);
}

/* Scalable: SCT.3 (42h) and SPD.3 (52h) are recorded despite FPD. */
static void test_fpd_scalable_unqualified(void **state)
{
	(void)state;
	sm_ss("x-scalable-mode=on", 0, 0);
	sm_ctx(DEVFN, PDIR | FPD | 1 | 0x20, 0);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x42, "SCT.3");
	assert_true(R.fault_recorded);
	guest_teardown(NULL);
	sm_ss("x-scalable-mode=on", 0, 0);
	sm_ctx(DEVFN, PDIR | FPD | 1, 0);
	put64(PDIR, PTBL | 1 | 4);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x52, "SPD.3");
	assert_true(R.fault_recorded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fault_priv_needs_pasid),
		T(test_fault_names),
		T(test_fpd_legacy),
		T(test_fpd_legacy_root_fault_recorded),
		T(test_fpd_scalable),
		T(test_fpd_scalable_unqualified),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
