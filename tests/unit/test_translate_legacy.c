/* SPDX-License-Identifier: MIT */
/*
 * DMA translation in legacy mode (src/translate.c; RTADDR.TTM=00b): the
 * root table, the 128-bit context entries and the second-stage tables they
 * select, for requests without PASID.  Tables are built by hand in a flat
 * guest RAM buffer (the fixture: translate_util.h, guest.h).
 *   - remapping off (GSTS.TES=0, or dma-translation=off): requests pass
 *     untranslated;
 *   - walks: 3 and 4 levels (the context's AW against CAP.SAGAW), 4 KiB,
 *     2 MiB and 1 GiB pages, rights intersected over the levels;
 *   - translation types: TT=00b second stage, 01b device-TLB (ECAP.DT),
 *     10b pass-through (ECAP.PT), 11b reserved, and what ATS translation
 *     and translated requests get under each;
 *   - each legacy fault the walk raises, with its fault record: LRT.1-3
 *     (08h, 01h, 0Ah), LCT.1-5 (09h, 02h, 0Bh, 03h, 0Dh), LSL.1-2 (07h,
 *     0Ch), LGN.1-3 (04h-06h), and RTA.2 (31h) for a request with PASID.
 * Elsewhere: LGN.4 (0Eh) and the interrupt range in test_translate_intr.c,
 * FPD in test_translate_faults.c, unreadable tables through the memory
 * callbacks in test_translate_mem.c.
 *
 * Spec sections followed (VT-d, revision 5.0 numbering):
 *   3.4.2 Legacy Mode Address Translation; 3.5 Hierarchical Translation
 *   Structures; 3.7 Second-Stage Translation, 3.7.1 Access Rights;
 *   9.1 Root Entry; 9.3 Context Entry; 9.8 Second-Stage Paging Entries;
 *   chapter 4 (Support for Device-TLBs) for the ATS requests of TT=01b;
 *   7.1.3 (fault conditions and their reason codes).
 * Every fault is checked by reason code and by name (EXPECT_FAULT): the
 * codes of VT-d spec 7.1.3, the condition names of src/fault.c reasons[].
 *
 * Sources of the expectations, cited per test:
 *   [Q]  QEMU 10.0.2 hw/i386/intel_iommu_internal.h (reserved-bit masks)
 *        and hw/i386/intel_iommu.c (the order of its checks)
 */
#include "translate_util.h"

/* =========================================================================
 * Remapping off
 * ========================================================================= */

/* GSTS.TES=0: requests pass untranslated (spec: remapping disabled). */
static void test_te_disabled_identity(void **state)
{
	(void)state;
	mk("");
	EXPECT_OK(xl(SID, 0x123456789ull, RD), 0x123456789ull, 4096, RD | WR);
	EXPECT_OK(xl(0xffff, 0xfee00000ull, RD), 0xfee00000ull, 4096, RD | WR);
	/* root programmed but TE still off */
	mmio_w(VTD_REG_RTADDR, 8, ROOT);
	mmio_w(VTD_REG_GCMD, 4, VTD_GCMD_SRTP);
	EXPECT_OK(xl(SID, 0x5000, WR), 0x5000, 4096, RD | WR);
	/* TE on then off again: identity once more */
	mmio_w(VTD_REG_GCMD, 4, VTD_GCMD_TE);
	EXPECT_FAULT(xl(SID, 0x5000, WR), 0x01, "LRT.2");
	mmio_w(VTD_REG_GCMD, 4, 0);
	EXPECT_OK(xl(SID, 0x5000, WR), 0x5000, 4096, RD | WR);
}

/* =========================================================================
 * Legacy mode: successful walks
 * ========================================================================= */

/* LCT TT=0, AW=2: 4-level second stage, 4 KiB page, exact offset and DID. */
static void test_legacy_4level_4k(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0x7f1234567000ull, 0x500000, 1, SS_RW);
	EXPECT_OK(xl(SID, 0x7f1234567abcull, RD), 0x500abc, 4096, RD | WR);
	assert_int_equal(R.did, DID);
	assert_int_equal(R.fault_recorded, false);
	EXPECT_OK(xl(SID, 0x7f1234567ff8ull, WR), 0x500ff8, 4096, RD | WR);
	assert_int_equal(fsts(), 0);
}

/* AW=1 with aw-bits=39: 3-level walk (SAGAW bit 1). */
static void test_legacy_3level(void **state)
{
	(void)state;
	uint64_t ss = legacy("aw-bits=39", 0, 1);
	ss_map(ss, 3, 0x7fc0001000ull, 0x600000, 1, SS_RW);
	EXPECT_OK(xl(SID, 0x7fc0001234ull, RD), 0x600234, 4096, RD | WR);
	/* the L3 table really is the top: its index is bits 38:30 */
	assert_int_equal(get64(ss + pt_index(0x7fc0001000ull, 3) * 8) & 3, 3);
	/* AW=1 under aw-bits=48 (SAGAW has 39 and 48) is 3-level too */
	guest_teardown(NULL);
	ss = legacy("", 0, 1);
	ss_map(ss, 3, 0x1000, 0x700000, 1, SS_R);
	EXPECT_OK(xl(SID, 0x1008, RD), 0x700008, 4096, RD);
	EXPECT_FAULT(xl(SID, 1ull << 39, RD), 0x04, "LGN.1");
}

/* SS large pages: 2 MiB (PS at L2) and 1 GiB (PS at L3), offset kept. */
static void test_legacy_large_pages(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0x40200000ull, 0x800000, 2, SS_RW);
	EXPECT_OK(xl(SID, 0x402abcdeull, RD), 0x8abcde, 2ull << 20, RD | WR);
	ss_map(ss, 4, 0x80000000ull, 0x40000000ull, 3, SS_R);
	EXPECT_OK(xl(SID, 0xbfedcba9ull, RD), 0x7fedcba9ull, 1ull << 30, RD);
	/* 3-level walk with 1 GiB page */
	guest_teardown(NULL);
	ss = legacy("aw-bits=39", 0, 1);
	ss_map(ss, 3, 0x4000000000ull, 0xc0000000ull, 3, SS_RW);
	EXPECT_OK(xl(SID, 0x4012345678ull, WR), 0xd2345678ull, 1ull << 30, RD | WR);
}

/* LGN.2/LGN.3: rights are the intersection over all levels. */
static void test_legacy_perm_intersect(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0x1000, 0x900000, 1, SS_RW);
	/* make the L3 entry read-only: a RW leaf below it is read-only */
	uint64_t l3 = pte_at(ss, 4, 0x1000, 3, SS_RW);
	put64(l3, (get64(l3) & ~3ull) | SS_R);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x900000, 4096, RD);
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x05, "LGN.2");
	/* write-only at L2: a read fails, a write... still fails (L3 RO) */
	put64(l3, (get64(l3) & ~3ull) | SS_RW);
	uint64_t l2 = pte_at(ss, 4, 0x1000, 2, SS_RW);
	put64(l2, (get64(l2) & ~3ull) | SS_W);
	EXPECT_FAULT(xl(0x0019 /* 00:03.1, no context */, 0x1000, RD), 0x02, "LCT.2");
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x06, "LGN.3");
	EXPECT_OK(xl(SID, 0x1000, WR), 0x900000, 4096, WR);
}

/* LCT TT=2: pass-through needs ECAP.PT (pt=on, the default); else LCT.4. */
static void test_legacy_passthrough(void **state)
{
	(void)state;
	legacy("", TT(2), 2);
	EXPECT_OK(xl(SID, 0xabcdef123ull, WR), 0xabcdef123ull, 4096, RD | WR);
	assert_int_equal(R.did, DID);
	/* LCT.4: the address width must be supported even for pass-through
	 * (QEMU's vtd_dev_to_context_entry checks the level before the type) */
	set_legacy_ctx(CT0, DEVFN, TT(2) | 1, (DID << 8) | 4);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x03, "LCT.4");
	set_legacy_ctx(CT0, DEVFN, TT(2) | 1, (DID << 8) | 2);
	mmio_w(VTD_REG_CCMD, 8, 0xa000000000000000ull); /* global context invalidation */
	/* LGN.1: beyond the host address width even with pass-through */
	EXPECT_FAULT(xl(SID, 1ull << 48, RD), 0x04, "LGN.1");
	/* LCT.5: TT=2 blocks ATS translated and translation requests */
	EXPECT_FAULT(xat(SID, 0x1000, RD, VTD_AT_TRANSLATED), 0x0d, "LCT.5");
	guest_teardown(NULL);
	legacy("pt=off", TT(2), 2);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x03, "LCT.4");
}

/* LCT.4: TT=1 (device-TLB) needs ECAP.DT; with it, ATS works. */
static void test_legacy_tt1(void **state)
{
	(void)state;
	legacy("", TT(1), 2);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x03, "LCT.4");
	guest_teardown(NULL);
	uint64_t ss = legacy("device-iotlb=on", TT(1), 2);
	ss_map(ss, 4, 0x1000, 0x123000, 1, SS_RW);
	EXPECT_OK(xl(SID, 0x1010, RD), 0x123010, 4096, RD | WR);
	EXPECT_OK(xat(SID, 0x1010, RD, VTD_AT_TRANSLATION_REQ), 0x123010, 4096, RD | WR);
	/* a translated request carries a host address: used as is */
	EXPECT_OK(xat(SID, 0x123010, WR, VTD_AT_TRANSLATED), 0x123010, 4096, RD | WR);
}

/* LCT.4: TT=3 is reserved. */
static void test_legacy_tt3(void **state)
{
	(void)state;
	legacy("device-iotlb=on", TT(3), 2);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x03, "LCT.4");
}

/* LCT.4.1: AW must select a width in CAP.SAGAW (aw-bits=39: only AW=1). */
static void test_legacy_aw_not_in_sagaw(void **state)
{
	(void)state;
	legacy("aw-bits=39", 0, 2);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x03, "LCT.4");
	for (unsigned aw = 0; aw < 8; aw++) {
		if (aw == 1)
			continue;
		set_legacy_ctx(CT0, DEVFN, alloc_page() | 1, (DID << 8) | aw);
		EXPECT_FAULT(xl(SID, 0x1000, RD), 0x03, "LCT.4");
	}
	guest_teardown(NULL);
	legacy("", 0, 3);  /* 57-bit: not offered */
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x03, "LCT.4");
	/* dma-translation=off: SAGAW=0 and GCMD.TE is ignored, so requests
	 * are never translated */
	guest_teardown(NULL);
	mk("dma-translation=off");
	put64(ROOT, CT0 | 1);
	set_legacy_ctx(CT0, DEVFN, alloc_page() | 1, (DID << 8) | 2);
	mmio_w(VTD_REG_RTADDR, 8, ROOT);
	mmio_w(VTD_REG_GCMD, 4, VTD_GCMD_SRTP);
	mmio_w(VTD_REG_GCMD, 4, VTD_GCMD_TE);
	assert_int_equal(mmio_r(VTD_REG_GSTS, 4) & VTD_GCMD_TE, 0);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x1000, 4096, RD | WR);
}

/* =========================================================================
 * Legacy mode: faults
 * ========================================================================= */

/* LRT.2 (01h): root entry not present; recorded in FRCD with FSTS.PPF. */
static void test_legacy_fault_01(void **state)
{
	(void)state;
	legacy("", 0, 2);
	EXPECT_FAULT(xl(0x0100 /* bus 1 */, 0x3456, RD), 0x01, "LRT.2");
	assert_true(R.fault_recorded);
	assert_int_equal(fsts() & 2, 2);             /* PPF */
	assert_int_equal((fsts() >> 8) & 0xff, 0);    /* FRI 0 */
	uint64_t hi = frcd_hi();
	assert_true(hi >> 63);                        /* F */
	assert_int_equal((hi >> 32) & 0xff, 0x01);    /* FR */
	assert_int_equal(hi & 0xffff, 0x0100);        /* SID */
	assert_int_equal((hi >> 62) & 1, 1);          /* T1: read */
	assert_int_equal(frcd_lo(), 0x3000);          /* FI: page address */
}

/* LCT.2 (02h): context entry not present. */
static void test_legacy_fault_02(void **state)
{
	(void)state;
	legacy("", 0, 2);
	EXPECT_FAULT(xl(0x0020, 0x1000, RD), 0x02, "LCT.2");
	assert_true(R.fault_recorded);
}

/* LGN.1 (04h): input address beyond the AGAW of the walk. */
static void test_legacy_fault_04(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0xfffffffff000ull, 0x1000, 1, SS_RW);
	EXPECT_OK(xl(SID, 0xffffffffffffull, RD), 0x1fff, 4096, RD | WR);
	EXPECT_FAULT(xl(SID, 1ull << 48, RD), 0x04, "LGN.1");
	EXPECT_FAULT(xl(SID, ~0ull, WR), 0x04, "LGN.1");
	guest_teardown(NULL);
	legacy("aw-bits=39", 0, 1);
	EXPECT_FAULT(xl(SID, 1ull << 39, RD), 0x04, "LGN.1");
}

/* LGN.2 (05h): write without W; FRCD records a write (T1=0). */
static void test_legacy_fault_05(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0x1000, 0x101000, 1, SS_R);
	EXPECT_OK(xl(SID, 0x1234, RD), 0x101234, 4096, RD);
	EXPECT_FAULT(xl(SID, 0x1234, WR), 0x05, "LGN.2");
	assert_true(R.fault_recorded);
	uint64_t hi = frcd_hi();
	assert_int_equal((hi >> 32) & 0xff, 0x05);
	assert_int_equal(hi & 0xffff, SID);
	assert_int_equal((hi >> 62) & 1, 0);         /* T1: write */
	assert_int_equal((hi >> 31) & 1, 0);         /* no PASID */
	assert_int_equal(frcd_lo(), 0x1000);
	/* a not-present entry is a permission fault in legacy mode (QEMU) */
	EXPECT_FAULT(xl(SID, 0x5000, WR), 0x05, "LGN.2");
}

/* LGN.3 (06h): read without R; R=W=0 on a read is LGN.3 (QEMU order). */
static void test_legacy_fault_06(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0x1000, 0x101000, 1, SS_W);
	EXPECT_OK(xl(SID, 0x1234, WR), 0x101234, 4096, WR);
	EXPECT_FAULT(xl(SID, 0x1234, RD), 0x06, "LGN.3");
	EXPECT_FAULT(xl(SID, 0x7000, RD), 0x06, "LGN.3");
	/* a not-present L4 entry */
	EXPECT_FAULT(xl(SID, 1ull << 40, RD), 0x06, "LGN.3");
}

/* LSL.1 (07h): a second-stage table cannot be read (no mem callbacks). */
static void test_legacy_fault_07(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	put64(ss, OUTSIDE | SS_RW);                     /* L4[0] -> outside RAM */
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x07, "LSL.1");
	/* the top-level table itself outside RAM: bad context programming,
	 * LCT.4 = 03h (QEMU's vtd_iova_to_slpte at the top level; VirtualBox
	 * LCT.4.3) */
	set_legacy_ctx(CT0, DEVFN, OUTSIDE | 1, (DID << 8) | 2);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x03, "LCT.4");
}

/* LRT.1 (08h): the root table cannot be read. */
static void test_legacy_fault_08(void **state)
{
	(void)state;
	mk("");
	enable_root(OUTSIDE);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x08, "LRT.1");
	assert_true(R.fault_recorded);
	/* the root table in the last page of RAM is readable */
	guest_teardown(NULL);
	mk("");
	enable_root(RAM_SIZE - 0x1000);
	EXPECT_FAULT(xl(0xff00, 0x1000, RD), 0x01, "LRT.2");
}

/* LCT.1 (09h): the context table cannot be read. */
static void test_legacy_fault_09(void **state)
{
	(void)state;
	mk("");
	put64(ROOT, OUTSIDE | 1);
	enable_root(ROOT);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x09, "LCT.1");
}

/* LRT.3 (0Ah): reserved bits in a present root entry (11:1, >= HAW, hi). */
static void test_legacy_fault_0a(void **state)
{
	(void)state;
	mk("");
	enable_root(ROOT);
	const uint64_t bad[][2] = {
		{ CT0 | 1 | 2, 0 },
		{ CT0 | 1 | 0x800, 0 },
		{ CT0 | 1 | (1ull << 48), 0 },
		{ CT0 | 1 | (1ull << 63), 0 },
		{ CT0 | 1, 1 },
		{ CT0 | 1, 1ull << 63 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put64(ROOT, bad[i][0]);
		put64(ROOT + 8, bad[i][1]);
		EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0a, "LRT.3");
	}
	/* aw-bits=39: bit 39 is above HAW */
	guest_teardown(NULL);
	mk("aw-bits=39");
	put64(ROOT, CT0 | 1 | (1ull << 39));
	enable_root(ROOT);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0a, "LRT.3");
	/* not present wins over reserved bits */
	put64(ROOT, 0xffe);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x01, "LRT.2");
}

/* LCT.3 (0Bh): reserved context bits: lo 11:4 and >= HAW; hi bit 7 and
 * 63:24 ([Q] 5.3); hi 6:3 are ignored (AVAIL). */
static void test_legacy_fault_0b(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0x1000, 0x2000, 1, SS_RW);
	const uint64_t bad[][2] = {
		{ ss | 1 | 0x10, 0x202 },
		{ ss | 1 | 0x800, 0x202 },
		{ ss | 1 | (1ull << 48), 0x202 },
		{ ss | 1, 0x202 | 0x80 },          /* hi bit 7 */
		{ ss | 1, 0x202 | (1ull << 24) },
		{ ss | 1, 0x202 | (1ull << 63) },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_legacy_ctx(CT0, DEVFN, bad[i][0], bad[i][1]);
		EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0b, "LCT.3");
		/* the first is recorded; later ones from the same source are
		 * compressed while its record is pending (QEMU) */
		assert_int_equal(R.fault_recorded, i == 0);
	}
	/* hi bits 6:3 are available to software */
	set_legacy_ctx(CT0, DEVFN, ss | 1, 0x202 | 0x78);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	assert_int_equal((frcd_hi() >> 32) & 0xff, 0x0b);
}

/* LSL.2 (0Ch): reserved bits in second-stage entries ([Q] 5.1). */
static void test_legacy_fault_0c(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	uint64_t l1 = ss_map(ss, 4, 0x1000, 0x2000, 1, SS_RW);
	uint64_t l4 = ss;
	uint64_t l4v = get64(l4);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	/* PS at L4 is reserved */
	put64(l4, l4v | PS);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0c, "LSL.2");
	put64(l4, l4v);
	/* SNP (bit 11) in a leaf without snoop-control */
	put64(l1, 0x2000 | SS_RW | 0x800);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0c, "LSL.2");
	/* TM (bit 62) without stale-tm+device-iotlb */
	put64(l1, 0x2000 | SS_RW | (1ull << 62));
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0c, "LSL.2");
	/* address above HAW */
	put64(l1, 0x2000 | SS_RW | (1ull << 50));
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0c, "LSL.2");
	/* ignored bits 52-61 and 63, and bit 7 in a 4K leaf, are fine */
	put64(l1, 0x2000 | SS_RW | 0xbff0000000000000ull | PS);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	/* 2 MiB leaf with address bits 20:12 set */
	uint64_t l2 = ss_map(ss, 4, 0x40000000ull, 0x200000 | 0x1000, 2, SS_RW);
	EXPECT_FAULT(xl(SID, 0x40000000ull, RD), 0x0c, "LSL.2");
	put64(l2, 0x200000 | SS_RW | PS | 0x100000);
	EXPECT_FAULT(xl(SID, 0x40000000ull, RD), 0x0c, "LSL.2");
	/* 1 GiB leaf with bit 29 set */
	ss_map(ss, 4, 0x8000000000ull, 0x40000000ull | 0x20000000ull, 3, SS_RW);
	EXPECT_FAULT(xl(SID, 0x8000000000ull, RD), 0x0c, "LSL.2");
	/* SNP in a non-leaf entry */
	uint64_t l3 = pte_at(ss, 4, 0x1000, 3, SS_RW);
	put64(l1, 0x2000 | SS_RW);
	put64(l3, get64(l3) | 0x800);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0c, "LSL.2");
	/* permission is checked before reserved bits ([Q] 5.1) */
	put64(l3, (get64(l3) & ~3ull) | SS_R);
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x05, "LGN.2");
}

/* SNP legal in leaves with snoop-control=on; TM with stale-tm+device-iotlb. */
static void test_legacy_snp_tm_allowed(void **state)
{
	(void)state;
	uint64_t ss = legacy("snoop-control=on", 0, 2);
	uint64_t l1 = ss_map(ss, 4, 0x1000, 0x2000, 1, SS_RW | 0x800);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	put64(l1, 0x2000 | SS_RW | (1ull << 62));
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0c, "LSL.2");
	guest_teardown(NULL);
	ss = legacy("stale-tm=on,device-iotlb=on", 0, 2);
	l1 = ss_map(ss, 4, 0x1000, 0x2000, 1, SS_RW | (1ull << 62));
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	/* TM never in a non-leaf entry */
	put64(ss, get64(ss) | (1ull << 62));
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x0c, "LSL.2");
}

/* LCT.5 (0Dh): TT=0 blocks ATS translation requests (reported in the
 * completion, not FRCD) and translated requests (recorded). */
static void test_legacy_fault_0d(void **state)
{
	(void)state;
	uint64_t ss = legacy("device-iotlb=on", 0, 2);
	ss_map(ss, 4, 0x1000, 0x2000, 1, SS_RW);
	EXPECT_FAULT(xat(SID, 0x1000, RD, VTD_AT_TRANSLATION_REQ), 0x0d, "LCT.5");
	assert_false(R.fault_recorded);
	assert_int_equal(fsts(), 0);
	EXPECT_FAULT(xat(SID, 0x1000, RD, VTD_AT_TRANSLATED), 0x0d, "LCT.5");
	assert_true(R.fault_recorded);
	assert_int_equal((frcd_hi() >> 60) & 3, VTD_AT_TRANSLATED);
}

/* RTA.2 (31h): a request with PASID while the root table is legacy. */
static void test_legacy_fault_31(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0x1000, 0x2000, 1, SS_RW);
	EXPECT_FAULT(xp(SID, 1, 0x1000, RD, false), 0x31, "RTA.2");
	assert_true(R.fault_recorded);
	uint64_t hi = frcd_hi();
	assert_int_equal((hi >> 32) & 0xff, 0x31);
	assert_int_equal((hi >> 31) & 1, 1);          /* PP */
	assert_int_equal((hi >> 40) & 0xfffff, 1);    /* PV */
	/* scalable-capable unit with a legacy root table: same */
	guest_teardown(NULL);
	mk("x-scalable-mode=on,x-pasid-mode=on");
	put64(ROOT, CT0 | 1);
	enable_root(ROOT);
	EXPECT_FAULT(xp(SID, 7, 0x1000, RD, false), 0x31, "RTA.2");
}


/* The fast path's miss (translate.c fast_miss): once a device's context
 * is cached, its IOTLB misses walk from the cached table root.  Results,
 * faults and statistics are the general path's; a context-cache
 * invalidation takes the cached root away. */
static void test_legacy_fast_miss(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	ss_map(ss, 4, 0x1000, 0x500000, 1, SS_RW);
	ss_map(ss, 4, 0x2000, 0x501000, 1, SS_R);
	ss_map(ss, 4, 0x40000000ull, 0x800000, 2, SS_RW);
	ss_map(ss, 4, 0x5000, 0xfee00000ull, 1, SS_RW);
	uint64_t rsv = ss_map(ss, 4, 0x6000, 0x506000, 1, SS_RW);
	put64(rsv, get64(rsv) | (1ull << 50)); /* above the host address width */
	EXPECT_OK(xl(SID, 0x1008, RD), 0x500008, 4096, RD | WR); /* caches the context */
	struct vtd_iommu_stats a, b;
	vtd_iommu_get_stats(iommu, &a);
	EXPECT_OK(xl(SID, 0x2010, RD), 0x501010, 4096, RD);
	assert_int_equal(R.did, DID);
	EXPECT_OK(xl(SID, 0x40012345ull, WR), 0x812345, 2ull << 20, RD | WR);
	vtd_iommu_get_stats(iommu, &b);
	assert_int_equal(b.iotlb_misses - a.iotlb_misses, 2);
	assert_int_equal(b.context_hits - a.context_hits, 2);
	assert_int_equal(b.context_misses, a.context_misses);
	assert_int_equal(b.iotlb_inserts - a.iotlb_inserts, 2);
	/* what the fast miss inserted now hits */
	EXPECT_OK(xl(SID, 0x2ff8, RD), 0x501ff8, 4096, RD);
	EXPECT_OK(xl(SID, 0x401fff00ull, RD), 0x9fff00, 2ull << 20, RD | WR);
	vtd_iommu_get_stats(iommu, &a);
	assert_int_equal(a.iotlb_hits - b.iotlb_hits, 2);
	assert_int_equal(a.iotlb_misses, b.iotlb_misses);
	/* every fault a fast miss meets is the general path's, recorded */
	EXPECT_FAULT(xl(SID, 0x3000, RD), 0x06, "LGN.3");       /* not present */
	assert_true(R.fault_recorded);
	assert_int_equal(frcd_lo(), 0x3000);
	EXPECT_FAULT(xl(SID, 0x2000 | 0x10000, WR), 0x05, "LGN.2");
	EXPECT_FAULT(xl(SID, 1ull << 48, RD), 0x04, "LGN.1");   /* beyond the width */
	EXPECT_FAULT(xl(SID, 0x6000, RD), 0x0c, "LSL.2");       /* reserved bit */
	EXPECT_FAULT(xl(SID, 0x5000, RD), 0x0e, "LGN.4");       /* output is an interrupt */
	/* a table outside RAM: the general path's reads decide */
	uint64_t l2 = pte_at(ss, 4, 0x80000000ull, 2, SS_RW);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x500000, 4096, RD | WR); /* (after the invalidation) */
	put64(l2, OUTSIDE | SS_RW);
	tables_changed = false;                       /* no invalidation: a guest's race */
	EXPECT_FAULT(xl(SID, 0x80000000ull, RD), 0x07, "LSL.1");
	/* a new table root behind a device-selective context invalidation */
	uint64_t ss2 = alloc_page();
	ss_map(ss2, 4, 0x8000, 0x508000, 1, SS_RW);
	ss_map(ss2, 4, 0x9000, 0x509000, 1, SS_RW);
	set_legacy_ctx(CT0, DEVFN, ss2 | 1, (DID << 8) | 2);
	tables_changed = false;
	mmio_w(VTD_REG_CCMD, 8, 1ull << 63 | 3ull << 61 | (uint64_t)SID << 16); /* SID 31:16 */
	EXPECT_OK(xl(SID, 0x8000, RD), 0x508000, 4096, RD | WR);
	EXPECT_OK(xl(SID, 0x9000, RD), 0x509000, 4096, RD | WR);
	EXPECT_FAULT(xl(SID, 0x2000 | 0x20000, RD), 0x06, "LGN.3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_te_disabled_identity),
		T(test_legacy_4level_4k),
		T(test_legacy_fast_miss),
		T(test_legacy_3level),
		T(test_legacy_large_pages),
		T(test_legacy_perm_intersect),
		T(test_legacy_passthrough),
		T(test_legacy_tt1),
		T(test_legacy_tt3),
		T(test_legacy_aw_not_in_sagaw),
		T(test_legacy_fault_01),
		T(test_legacy_fault_02),
		T(test_legacy_fault_04),
		T(test_legacy_fault_05),
		T(test_legacy_fault_06),
		T(test_legacy_fault_07),
		T(test_legacy_fault_08),
		T(test_legacy_fault_09),
		T(test_legacy_fault_0a),
		T(test_legacy_fault_0b),
		T(test_legacy_fault_0c),
		T(test_legacy_snp_tm_allowed),
		T(test_legacy_fault_0d),
		T(test_legacy_fault_31),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
