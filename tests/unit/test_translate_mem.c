/* SPDX-License-Identifier: MIT */
/*
 * How the walks reach guest memory (src/translate.c through struct
 * vtd_mem_ops, include/vtd/iommu.h) and what guest tables cannot make them
 * do:
 *   - without flat RAM (or above it) paging structures are read through
 *     mem->read; a read that fails gives the structure's "cannot read"
 *     fault: SRT.1, SCT.1, SPD.1, SPT.1, SFL.1 (38h, 40h, 50h, 58h, 70h),
 *     legacy LRT.1, LCT.1 (08h, 09h) and LCT.4 (03h) for an unreadable
 *     second-stage root;
 *   - accessed/dirty flags are set through mem->cmpxchg64, or mem->write
 *     without it; an update that fails is SFL.10 (91h) for the first stage,
 *     SSL.6 (7Dh) for the second; a compare-exchange that keeps losing is
 *     retried a bounded number of times;
 *   - guest tables that loop (an entry pointing at its own table, two
 *     tables pointing at each other), legacy, first stage and nested: the
 *     walk is bounded by the level count.
 *
 * Spec sections followed (VT-d, revision 5.0 numbering):
 *   3.5 Hierarchical Translation Structures; 3.6.2 Accessed, Extended
 *   Accessed, and Dirty Flags; 3.7.2 Accessed and Dirty Flags; 7.1.3
 *   (fault conditions and their reason codes).
 * Every fault is checked by reason code and by name (EXPECT_FAULT): the
 * codes of VT-d spec 7.1.3, the condition names of src/fault.c reasons[].
 */
#include "translate_util.h"

#include <string.h>

/* =========================================================================
 * Memory callbacks
 * ========================================================================= */

struct cb {
	uint64_t fail_lo, fail_hi;   /* reads fail in [lo, hi) */
	int write_rc;
	int cmpx_mode;               /* 0 work, 1 -EIO, 2 always -EAGAIN */
	unsigned reads, writes, cmpx;
};

static int cb_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct cb *c = opaque;
	c->reads++;
	if (gpa >= c->fail_lo && gpa < c->fail_hi)
		return -EIO;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static int cb_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct cb *c = opaque;
	c->writes++;
	if (c->write_rc)
		return c->write_rc;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(ram + gpa, buf, len);
	return 0;
}

static int cb_cmpxchg(void *opaque, uint64_t gpa, uint64_t *expected, uint64_t desired)
{
	struct cb *c = opaque;
	c->cmpx++;
	if (c->cmpx_mode == 1)
		return -EIO;
	uint64_t cur = get64(gpa);
	if (c->cmpx_mode == 2 || cur != *expected) {
		*expected = cur;
		return -EAGAIN;
	}
	put64(gpa, desired);
	return 0;
}

static const struct vtd_mem_ops ops_rw = { .read = cb_read, .write = cb_write };
static const struct vtd_mem_ops ops_cx = { .read = cb_read, .write = cb_write,
					   .cmpxchg64 = cb_cmpxchg };

/* Scalable FS set up with tables served only by callbacks (no flat RAM). */
static uint64_t cb_fs(const struct vtd_mem_ops *ops, struct cb *c)
{
	guest_new(FLTS, RAM_SIZE, false, (struct vtd_iommu_opts){ .mem = ops, .mem_opaque = c });
	put64(ROOT, CT0 | 1);
	sm_ctx(DEVFN, PDIR | 1, 0);
	put64(PDIR, PTBL | 1);
	uint64_t fs = alloc_page();
	set_pe(0, PGTT(1) | 1, DID, fs);
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	enable_root(ROOT | RTADDR_SMT);
	return fs;
}

/* Tables read through mem->read; A flags via write when no cmpxchg64. */
static void test_callbacks_read_write(void **state)
{
	(void)state;
	struct cb c = { 0 };
	uint64_t fs = cb_fs(&ops_rw, &c);
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	assert_true(c.reads >= 8);
	assert_true(c.writes >= 4);
	assert_true(get64(fs) & FS_A);
	/* SFL.10 (91h): the table is readable but the A/D write fails */
	uint64_t l1 = pte_at(fs, 4, 0x1000, 1, FS_PRU);
	c.write_rc = -EIO;
	EXPECT_FAULT(xl(SID, 0x1000, WR), 0x91, "SFL.10");
	assert_true(R.fault_recorded);
	assert_false(get64(l1) & FS_D);
}

/* SFL.10 (91h) with cmpxchg64: failing, or always losing (bounded). */
static void test_callbacks_cmpxchg(void **state)
{
	(void)state;
	struct cb c = { 0 };
	uint64_t fs = cb_fs(&ops_cx, &c);
	EXPECT_OK(xl(SID, 0x1000, WR), 0x2000, 4096, RD | WR);
	assert_int_equal(c.writes, 0);
	assert_int_equal(c.cmpx, 4);
	uint64_t l1 = pte_at(fs, 4, 0x1000, 1, FS_PRU);
	assert_int_equal(get64(l1) & (FS_A | FS_D), FS_A | FS_D);
	fs_map(fs, 0x1000, 0x2000, 1, FS_PRU);
	c.cmpx_mode = 1;
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x91, "SFL.10");
	c.cmpx_mode = 2;
	c.cmpx = 0;
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x91, "SFL.10");
	assert_true(c.cmpx > 0 && c.cmpx <= 64);
	/* a guest racing the update once: retried with the new value */
	c.cmpx_mode = 0;
	put64(l1, get64(l1) | (1ull << 9));  /* guest changed an ignored bit */
	EXPECT_OK(xl(SID, 0x1000, WR), 0x2000, 4096, RD | WR);
	assert_true(get64(l1) & (1ull << 9));
}

/* Read callbacks returning errors give the "cannot read" fault of the
 * structure: 38h/40h/50h/58h/70h; legacy 08h/09h/07h. */
static void test_callbacks_read_errors(void **state)
{
	(void)state;
	struct cb c = { 0 };
	cb_fs(&ops_rw, &c);
	static const struct {
		uint64_t lo, hi;
		uint8_t code;
		const char *name;
	} cases[] = {
		{ ROOT, ROOT + 0x1000, 0x38, "SRT.1" },
		{ CT0, CT0 + 0x1000, 0x40, "SCT.1" },
		{ PDIR, PDIR + 0x1000, 0x50, "SPD.1" },
		{ PTBL, PTBL + 0x1000, 0x58, "SPT.1" },
		{ 0x101000, 0x200000, 0x70, "SFL.1" },   /* tables below the FS root */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c.fail_lo = cases[i].lo;
		c.fail_hi = cases[i].hi;
		EXPECT_FAULT(xl(SID, 0x1000, RD), cases[i].code, cases[i].name);
	}
	c.fail_lo = c.fail_hi = 0;
	EXPECT_OK(xl(SID, 0x1000, RD), 0x2000, 4096, RD | WR);
	guest_teardown(NULL);
	/* legacy, flat RAM plus callbacks: a context table above RAM is
	 * read through the callback (which fails) */
	struct cb c2 = { .fail_lo = RAM_SIZE, .fail_hi = ~0ull };
	guest_new("", RAM_SIZE, true, (struct vtd_iommu_opts){ .mem = &ops_rw, .mem_opaque = &c2 });
	put64(ROOT, OUTSIDE | 1);
	enable_root(ROOT);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x09, "LCT.1");
	assert_true(c2.reads >= 1);
	put64(ROOT, CT0 | 1);
	set_legacy_ctx(CT0, DEVFN, OUTSIDE | 1, (DID << 8) | 2);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x03, "LCT.4");
	mmio_w(VTD_REG_RTADDR, 8, OUTSIDE);
	mmio_w(VTD_REG_GCMD, 4, VTD_GCMD_TE | VTD_GCMD_SRTP);
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x08, "LRT.1");
}

/* SSL.6 (7Dh): the second-stage A/D update cannot be made (tables served
 * by callbacks whose write fails). */
static void test_sm_fault_7d(void **state)
{
	(void)state;
	struct cb c = { 0 };
	guest_new(SSAD_CFG, RAM_SIZE, false, (struct vtd_iommu_opts){ .mem = &ops_rw, .mem_opaque = &c });
	put64(ROOT, CT0 | 1);
	sm_ctx(DEVFN, PDIR | 1, 0);
	put64(PDIR, PTBL | 1);
	uint64_t ss = alloc_page();
	set_pe(0, ss | PGTT(2) | SSAW(2) | PE_SSADE | 1, DID | PE_PWSNP, 0);
	uint64_t l1 = ss_map(ss, 4, 0x1000, 0x5000, 1, SS_RW);
	enable_root(ROOT | RTADDR_SMT);
	c.write_rc = -EIO;
	EXPECT_FAULT(xl(SID, 0x1000, RD), 0x7d, "SSL.6");
	assert_true(R.fault_recorded);
	assert_int_equal(get64(l1) & SS_A, 0);
	c.write_rc = 0;
	EXPECT_OK(xl(SID, 0x1000, RD), 0x5000, 4096, RD | WR);
	assert_true(get64(l1) & SS_A);
}

/* =========================================================================
 * Guest tables that loop
 * ========================================================================= */

/* A PTE pointing to its own table: the walk is bounded by the level count
 * and ends with a result (the table page itself) or a fault. */
static void test_self_referencing_tables(void **state)
{
	(void)state;
	uint64_t ss = legacy("", 0, 2);
	put64(ss, ss | SS_RW);              /* L4[0] -> itself at every level */
	EXPECT_OK(xl(SID, 0x10, RD), ss | 0x10, 4096, RD | WR);
	put64(ss, ss | SS_RW | PS);         /* PS at L4: reserved */
	EXPECT_FAULT(xl(SID, 0x10, RD), 0x0c, "LSL.2");
	/* two tables pointing at each other */
	uint64_t t2 = alloc_page();
	put64(ss, t2 | SS_RW);
	put64(t2, ss | SS_RW);
	EXPECT_OK(xl(SID, 0x10, RD), ss | 0x10, 4096, RD | WR);   /* L4,L2: t2; L3,L1: ss */
	guest_teardown(NULL);
	/* first stage */
	uint64_t fs = sm_fs(FLTS, 0);
	put64(fs, fs | FS_PRU);
	EXPECT_OK(xl(SID, 0x20, WR), fs | 0x20, 4096, RD | WR);
	assert_int_equal(get64(fs) & (FS_A | FS_D), FS_A | FS_D);
	put64(fs, fs | FS_PRU | PS);
	EXPECT_FAULT(xl(SID, 0x20, RD), 0x72, "SFL.3");
	guest_teardown(NULL);
	/* nested: SS and FS both self-referencing */
	sm(NEST, 0, 0);
	uint64_t nss = alloc_page(), nfs = alloc_page();
	put64(nss, nss | SS_RW);
	put64(nfs, nfs | FS_PRU);
	set_pe(0, nss | PGTT(3) | SSAW(2) | 1, DID, nfs);
	int rc = xl(SID, 0x0, RD);
	assert_true(rc == 0 || rc == -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_callbacks_read_write),
		T(test_callbacks_cmpxchg),
		T(test_callbacks_read_errors),
		T(test_sm_fault_7d),
		T(test_self_referencing_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
