/* SPDX-License-Identifier: MIT */
/*
 * The translate entry point itself (vtd_iommu_translate(),
 * include/vtd/iommu.h): bad arguments are refused with -EINVAL and change
 * nothing; with vtd_translation.trace set, the walk is recorded step by
 * step (each structure read, with its address and value; a fault as the
 * last step), legacy, scalable and nested, within VTD_TRACE_MAX.
 *
 * Spec sections followed (VT-d, revision 5.0 numbering): the steps are
 * those of the walks of 3.4.2 Legacy Mode and 3.4.3 Scalable Mode Address
 * Translation, over the entries of 9.1 Root Entry, 9.3 Context Entry,
 * 9.4 Scalable-Mode Context-Entry, 9.5 Scalable-Mode PASID Directory
 * Entry, 9.6 Scalable-Mode PASID Table Entry, 9.7 First-Stage and 9.8
 * Second-Stage Paging Entries.
 */
#include "translate_util.h"

#include <stdlib.h>
#include <string.h>

/* =========================================================================
 * Arguments
 * ========================================================================= */

/* Bad arguments: -EINVAL, nothing else happens. */
static void test_bad_args(void **state)
{
	(void)state;
	mk("");
	struct vtd_dma_request rq = { .sid = SID, .perm = RD };
	struct vtd_translation t;
	assert_int_equal(vtd_iommu_translate(NULL, &rq, &t), -EINVAL);
	assert_int_equal(vtd_iommu_translate(iommu, NULL, &t), -EINVAL);
	assert_int_equal(vtd_iommu_translate(iommu, &rq, NULL), -EINVAL);
	assert_int_equal(vtd_iommu_translate(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(fsts(), 0);
}

/* =========================================================================
 * Trace
 * ========================================================================= */

/* With res.trace, each structure read is a step with its address and
 * value; without it nothing is traced. */
static void test_trace_legacy(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	uint64_t va = 0x0000123456789000ull & ((1ull << 48) - 1);
	uint64_t l1 = ss_map(ss, 4, va, 0x3000, 1, SS_RW);
	struct vtd_trace *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	R.trace = t;
	EXPECT_OK(xl(SID, va | 0x10, RD), 0x3010, 4096, RD | WR);
	assert_ptr_equal(R.trace, t);
	assert_int_equal(t->n, 7);
	assert_string_equal(t->step[0].what, "RTADDR");
	assert_int_equal(t->step[0].addr, ROOT);
	assert_string_equal(t->step[1].what, "root entry");
	assert_int_equal(t->step[1].addr, ROOT);
	assert_int_equal(t->step[1].nval, 2);
	assert_int_equal(t->step[1].val[0], CT0 | 1);
	assert_string_equal(t->step[2].what, "context entry");
	assert_int_equal(t->step[2].addr, CT0 + DEVFN * 16);
	assert_int_equal(t->step[2].val[1], (DID << 8) | 2);
	static const char *const lv[] = { "SS L4 entry", "SS L3 entry", "SS L2 entry",
					  "SS L1 entry" };
	for (unsigned i = 0; i < 4; i++) {
		assert_string_equal(t->step[3 + i].what, lv[i]);
		assert_int_equal(t->step[3 + i].addr, pte_at(ss, 4, va, 4 - i, SS_RW));
		assert_int_equal(t->step[3 + i].nval, 1);
		assert_true(t->step[3 + i].note[0] != 0);
	}
	assert_int_equal(t->step[6].addr, l1);
	assert_int_equal(t->step[6].val[0], 0x3000 | SS_RW);
	/* a fault ends with a "fault" step naming it; n restarts per call */
	put64(l1, 0x3000 | SS_R);
	EXPECT_FAULT(xl(SID, va, WR), 0x05, "LGN.2");
	assert_int_equal(t->n, 8);
	assert_string_equal(t->step[7].what, "fault");
	assert_non_null(strstr(t->step[7].note, "0x05"));
	assert_non_null(strstr(t->step[7].note, "LGN.2"));
	/* without a trace, the previous one is left alone */
	struct vtd_trace copy = *t;
	R.trace = NULL;
	EXPECT_FAULT(xl(SID, va, WR), 0x05, "LGN.2");
	assert_null(R.trace);
	assert_memory_equal(&copy, t, sizeof(copy));
	free(t);
}

/* Scalable trace: PASID directory, PASID entry, FS levels. */
static void test_trace_scalable(void **state)
{
	(void)state;
	uint64_t fs = sm_fs(FLTS, 0);
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	struct vtd_trace *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	R.trace = t;
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	assert_int_equal(t->n, 9);
	assert_string_equal(t->step[1].what, "root entry");
	assert_string_equal(t->step[2].what, "context entry");
	assert_int_equal(t->step[2].addr, sm_ctx_addr(DEVFN));
	assert_int_equal(t->step[2].nval, 4);
	assert_string_equal(t->step[3].what, "PASID dir entry");
	assert_int_equal(t->step[3].addr, PDIR);
	assert_string_equal(t->step[4].what, "PASID entry");
	assert_int_equal(t->step[4].addr, PTBL);
	assert_int_equal(t->step[4].nval, 4);
	assert_string_equal(t->step[5].what, "FS L4 entry");
	assert_int_equal(t->step[5].addr, fs);
	assert_string_equal(t->step[8].what, "FS L1 entry");
	/* nested walks stay within VTD_TRACE_MAX */
	R.trace = NULL;
	guest_teardown(NULL);
	uint64_t nfs, nss;
	nest(&nfs, &nss, SS_RW, 0);
	R.trace = t;
	EXPECT_OK(xl(SID, GVA, WR), HPA, 4096, RD | WR);
	assert_true(t->n > 20 && t->n <= VTD_TRACE_MAX);
	free(t);
	R.trace = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bad_args),
		T(test_trace_legacy),
		T(test_trace_scalable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
