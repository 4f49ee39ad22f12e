/* SPDX-License-Identifier: MIT */
/*
 * What the DMA-translation tests (tests/unit/test_translate_*.c) share,
 * on top of guest.h: the result of the last request, the request helpers
 * and the checks made on it, the entry fields the tests set, and the
 * fixtures: a legacy unit, a scalable unit with a PASID directory, and
 * the nested set-up.  The code is in translate_util.c.
 *
 * Which file tests what:
 *   test_translate_legacy.c    legacy mode: root and context entries, the
 *                              second stage, TT=0/1/2/3, faults 01h-0Dh, 31h
 *   test_translate_scalable.c  scalable mode: root halves, context, PASID
 *                              directory and table entries, second stage
 *                              (PGTT=2), pass-through (PGTT=4), its faults
 *   test_translate_fs.c        first stage (PGTT=1): 4 and 5 levels, A/D/EA,
 *                              U/S, WPE, SRE, execute (ERE/XD)
 *   test_translate_nested.c    nested (PGTT=3)
 *   test_translate_intr.c      requests to and translations into the
 *                              interrupt address range 0xFEEx_xxxx
 *   test_translate_faults.c    fault recording: FPD, FRCD fields, names
 *   test_translate_mem.c       guest memory through the vtd_mem_ops
 *                              callbacks (failing reads, writes, cmpxchg),
 *                              guest tables that loop
 *   test_translate_api.c       vtd_iommu_translate's arguments, the trace
 *
 * A few tests were written before the library did what they assert (the
 * IOTLB hit's interrupt-range check in test_translate_intr.c, faults 73h
 * and 75h in test_translate_fs.c and test_translate_nested.c); they pass
 * now and guard those fixes.
 *
 * Spec sections are cited by number and name; the numbers are revision
 * 5.0's, as in the rest of the repository (include/vtd/caps.h).  Later
 * revisions renumber some (in 5.10 the interrupt range is 3.15).
 */
#ifndef VTD_TEST_TRANSLATE_UTIL_H
#define VTD_TEST_TRANSLATE_UTIL_H

#include "guest.h"

#include <errno.h>

/* ---- fixture ------------------------------------------------------------- */

#define RAM_SIZE (16ull << 20)
#define OUTSIDE 0x2000000ull        /* 32 MiB: inside HAW, outside RAM */

/* The result of the last request (xreq() and the helpers below); a test
 * that wants a trace sets R.trace, which the next request keeps. */
extern struct vtd_translation R;

/* guest_new() with RAM_SIZE of flat RAM and the unit `props` describes */
void mk(const char *props);

uint64_t frcd_lo(void);
uint64_t frcd_hi(void);

/* ---- requests -------------------------------------------------------------- */

#define DEVFN 0x18u   /* 00:03.0 */
#define SID   0x0018u
#define DID   5u
#define RD VTD_PERM_R
#define WR VTD_PERM_W

/* When the test changed guest tables (put64() sets tables_changed), the
 * request first invalidates every cache, as a driver would. */
int xreq(const struct vtd_dma_request *rq);
/* a request without PASID */
int xl(uint16_t sid, uint64_t addr, unsigned perm);
/* a request with PASID, supervisor when `priv` */
int xp(uint16_t sid, uint32_t pasid, uint64_t addr, unsigned perm, bool priv);
/* a request without PASID of ATS address type `at` */
int xat(uint16_t sid, uint64_t addr, unsigned perm, enum vtd_at at);

#define EXPECT_OK(rc_, addr_, psize_, perm_)                                             \
	do {                                                                             \
		int r_ = (rc_);                                                          \
		if (r_ != 0 || R.status != VTD_XLATE_OK)                                 \
			fail_msg("expected success, got rc %d status %d fault 0x%02x %s", \
				 r_, R.status, R.fault,                                  \
				 R.status == VTD_XLATE_FAULT ? R.fault_name : "");       \
		assert_int_equal(R.addr, (addr_));                                       \
		assert_int_equal(R.page_size, (psize_));                                 \
		assert_int_equal(R.perm, (perm_));                                       \
	} while (0)

#define EXPECT_FAULT(rc_, code_, name_)                                                  \
	do {                                                                             \
		int r_ = (rc_);                                                          \
		if (r_ != -EACCES || R.status != VTD_XLATE_FAULT || R.fault != (code_))  \
			fail_msg("expected fault 0x%02x, got rc %d status %d fault 0x%02x", \
				 (unsigned)(code_), r_, R.status, R.fault);              \
		assert_non_null(R.fault_name);                                           \
		assert_string_equal(R.fault_name, (name_));                              \
		assert_string_equal(vtd_fault_name(code_), (name_));                     \
	} while (0)

/* every test runs on a fresh guest, freed afterwards */
#define T(f) cmocka_unit_test_teardown(f, guest_teardown)

/* ---- legacy fixture ----------------------------------------------------------- */

#define TT(n) ((uint64_t)(n) << 2)
#define FPD  2ull

/* Legacy mode, bus 0 -> CT0, 00:03.0 -> a fresh SS table; returns it. */
uint64_t legacy(const char *props, uint64_t ctx_flags, unsigned aw);

/* ---- scalable fixture --------------------------------------------------------- */

#define CE_DTE    4ull
#define CE_PASIDE 8ull
#define PDTS(n)   ((uint64_t)(n) << 9)
#define PE_SRE    1ull
#define PE_ERE    2ull
#define PE_FSPM(n) ((uint64_t)(n) << 2)
#define PE_WPE    16ull
#define PE_EAFE   128ull
#define FS_XD     (1ull << 63)
#define PE_SSADE  (1ull << 9)    /* qword 0 */
#define PE_PWSNP  (1ull << 23)   /* qword 1 */
#define SS_A      (1ull << 8)
#define SS_D      (1ull << 9)
#define SSAD_CFG  "x-scalable-mode=on,x-smpwc=on,x-ssads=on"

/* bus 0: devfns 0-127 in CT0, 128-255 in CT1 */
uint64_t sm_ctx_addr(unsigned devfn);
void sm_ctx(unsigned devfn, uint64_t q0, uint64_t q1);

/* the PASID-table entry of `pasid` under PDIR */
uint64_t pe_addr(uint32_t pasid);
void set_pe(uint32_t pasid, uint64_t q0, uint64_t q1, uint64_t q2);

/* Scalable mode: root bus 0 (both halves), 00:03.0 -> PDIR -> PTBL. */
void sm(const char *props, uint64_t ctx_flags, uint64_t ctx_q1);
/* PGTT=2 (second stage, 4-level) for RID_PASID 0; returns the SS table. */
uint64_t sm_ss(const char *props, uint64_t pe_q0_flags, uint64_t q2);
/* PGTT=1 (first stage, 4-level) for RID_PASID 0; returns the FS table. */
uint64_t sm_fs(const char *props, uint64_t q2_flags);

#define FLTS "x-scalable-mode=on,x-flts=on"
#define NEST "x-scalable-mode=on,x-nest=on"

/* ---- nested fixture (PGTT=3) ------------------------------------------------- */

/* Identity-map every page from 1 MiB to next_page in the SS with 4K pages,
 * so that first-stage tables (guest physical) are reachable. */
void nest_identity(uint64_t ss);

#define GVA 0x7f0012345000ull
#define GPA 0x40000000ull
#define HPA 0xa00000ull

/* Builds FS (GVA -> GPA, 4K) and SS (identity for tables, GPA -> HPA). */
void nest(uint64_t *fsp, uint64_t *ssp, uint64_t ss_leaf_flags, uint64_t q2);

#endif
