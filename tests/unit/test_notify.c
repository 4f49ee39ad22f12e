/* SPDX-License-Identifier: MIT */
/* Shadowing notifiers (caching mode): map/unmap events follow the guest's
 * tables as invalidations reveal them; replay; bounded walks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <vtd/vtd.h>

#define RAM (4u << 20)
static uint8_t *ram;
static struct vtd_iommu *iommu;

struct ev {
	char kind;            /* 'm' or 'u' */
	uint64_t iova, size, addr;
	unsigned perm;
};
static struct ev evs[4096];
static unsigned nev, nerr;

static void on_map(void *o, uint64_t iova, uint64_t size, uint64_t addr, unsigned perm)
{
	(void)o;
	if (nev < 4096)
		evs[nev++] = (struct ev){ 'm', iova, size, addr, perm };
}

static void on_unmap(void *o, uint64_t iova, uint64_t size)
{
	(void)o;
	if (nev < 4096)
		evs[nev++] = (struct ev){ 'u', iova, size, 0, 0 };
}

static void on_error(void *o, const char *why)
{
	(void)o;
	(void)why;
	nerr++;
}

static const struct vtd_notifier_ops ops = { on_map, on_unmap, on_error };

static void put64(uint64_t a, uint64_t v) { memcpy(ram + a, &v, 8); }

static void mmio(uint64_t off, unsigned size, uint64_t v)
{
	assert_int_equal(vtd_iommu_mmio_write(iommu, off, size, v), 0);
}

static void psi(uint16_t did, uint64_t addr, unsigned am)
{
	mmio(VTD_REG_IVA, 8, addr | am);
	mmio(VTD_REG_IOTLB, 8, 0xb000000000000000ull | ((uint64_t)did << 32));
}

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM);
	struct vtd_config cfg;
	assert_int_equal(vtd_config_parse(&cfg, "caching-mode=on", NULL), 0);
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = ram, .ram_size = RAM };
	assert_int_equal(vtd_iommu_new(&cfg, &o, &iommu, NULL), 0);
	put64(0x10000, 0x11001);
	put64(0x11180, 0x12001);           /* 00:03.0 -> SS 0x12000 */
	put64(0x11188, 0x102);             /* AW=2, DID 1 */
	put64(0x12000, 0x13003);
	put64(0x13000, 0x14003);
	put64(0x14000, 0x15003);
	put64(0x15000, 0x100003);          /* 0x0000 -> 0x100000 RW */
	put64(0x15008, 0x101001);          /* 0x1000 -> 0x101000 R */
	put64(0x14008, 0x200003 | 0x80);   /* 2 MiB page at 0x200000 -> 0x200000 */
	nev = nerr = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vtd_iommu_free(iommu);
	free(ram);
	return 0;
}

static struct vtd_notifier *attach_and_enable(void)
{
	struct vtd_notifier *n;
	assert_int_equal(vtd_iommu_notifier_add(iommu, 0x18, &ops, NULL, &n), 0);
	mmio(VTD_REG_RTADDR, 8, 0x10000);
	mmio(VTD_REG_GCMD, 4, 1u << 30);
	mmio(VTD_REG_GCMD, 4, 1u << 31);
	return n;
}

static void test_enable_reports_mappings(void **state)
{
	(void)state;
	attach_and_enable();
	/* TE on: everything there is, in IOVA order, with sizes and rights */
	assert_int_equal(nev, 3);
	assert_true(evs[0].kind == 'm' && evs[0].iova == 0 && evs[0].addr == 0x100000 &&
		    evs[0].size == 0x1000 && evs[0].perm == 3);
	assert_true(evs[1].kind == 'm' && evs[1].iova == 0x1000 && evs[1].perm == 1);
	assert_true(evs[2].kind == 'm' && evs[2].iova == 0x200000 && evs[2].size == 0x200000);
}

static void test_psi_reports_changes_only(void **state)
{
	(void)state;
	attach_and_enable();
	nev = 0;
	/* not-present -> present (what caching mode obliges software to flush) */
	put64(0x15010, 0x102003);
	psi(1, 0x2000, 0);
	assert_int_equal(nev, 1);
	assert_true(evs[0].kind == 'm' && evs[0].iova == 0x2000 && evs[0].addr == 0x102000);
	/* a changed mapping: unmap, then map */
	nev = 0;
	put64(0x15000, 0x300003);
	psi(1, 0x0, 0);
	assert_int_equal(nev, 2);
	assert_true(evs[0].kind == 'u' && evs[0].iova == 0);
	assert_true(evs[1].kind == 'm' && evs[1].addr == 0x300000);
	/* removed */
	nev = 0;
	put64(0x15008, 0);
	psi(1, 0x1000, 0);
	assert_int_equal(nev, 1);
	assert_true(evs[0].kind == 'u' && evs[0].iova == 0x1000);
	/* an invalidation of another domain, or of an unchanged range: nothing */
	nev = 0;
	put64(0x15018, 0x103003);   /* changed, but the guest flushes DID 2 */
	psi(2, 0x3000, 0);
	psi(1, 0x200000, 9);
	assert_int_equal(nev, 0);
	/* the domain-selective flush picks it up */
	mmio(VTD_REG_IOTLB, 8, 0xa000000100000000ull);
	assert_int_equal(nev, 1);
	assert_true(evs[0].kind == 'm' && evs[0].iova == 0x3000);
}

static void test_replay_and_context_change(void **state)
{
	(void)state;
	struct vtd_notifier *n = attach_and_enable();
	nev = 0;
	assert_int_equal(vtd_iommu_notifier_replay(iommu, n), 0);
	/* unmaps what was reported, then maps it all again */
	assert_int_equal(nev, 6);
	assert_int_equal(evs[0].kind, 'u');
	assert_int_equal(evs[3].kind, 'm');
	/* the device goes pass-through: everything is replaced by the
	 * identity mapping of the address width, less the interrupt range
	 * (0xfee00000-0xfeefffff), where every DMA faults (LGN.4) */
	nev = 0;
	put64(0x11180, 0x12001 | (2u << 2));
	mmio(VTD_REG_CCMD, 8, 0xa000000000000000ull);
	assert_int_equal(nev, 5);
	assert_true(evs[3].kind == 'm' && evs[3].iova == 0 && evs[3].size == 0xfee00000ull &&
		    evs[3].addr == 0);
	assert_true(evs[4].kind == 'm' && evs[4].iova == 0xfef00000ull &&
		    evs[4].size == (1ull << 48) - 0xfef00000ull && evs[4].addr == 0xfef00000ull);
	/* translation off: everything goes */
	nev = 0;
	mmio(VTD_REG_GCMD, 4, 0);
	assert_int_equal(nev, 2);
	assert_int_equal(evs[0].kind, 'u');
	assert_int_equal(evs[1].kind, 'u');
	vtd_iommu_notifier_del(iommu, n);
	nev = 0;
	mmio(VTD_REG_GCMD, 4, 1u << 31);
	assert_int_equal(nev, 0); /* deleted: no more events */
}

static void test_bounded_walk(void **state)
{
	(void)state;
	/* a guest whose tables point back at themselves: 512^3 paths to the
	 * same page; the walk stops at the visit limit and says so */
	for (unsigned i = 0; i < 512; i++) {
		put64(0x12000 + 8 * i, 0x13003);
		put64(0x13000 + 8 * i, 0x14003);
		put64(0x14000 + 8 * i, 0x15003);
		put64(0x15000 + 8 * i, 0x100003);
	}
	attach_and_enable();
	assert_true(nerr >= 1);
	assert_true(nev > 0);
}

/* Scalable mode: the notifier follows the RID_PASID entry, so a PASID-cache
 * invalidation (the only one that announces a changed PASID entry) syncs
 * it: a new second-stage table replaces the old one's mappings. */
static void test_pasid_cache_invalidation_syncs(void **state)
{
	(void)state;
	vtd_iommu_free(iommu);
	memset(ram, 0, RAM);
	struct vtd_config cfg;
	assert_int_equal(vtd_config_parse(&cfg, "x-scalable-mode=on,caching-mode=on", NULL), 0);
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = ram, .ram_size = RAM };
	assert_int_equal(vtd_iommu_new(&cfg, &o, &iommu, NULL), 0);
	put64(0x10000, 0x11001);               /* bus 0, lower half */
	put64(0x11300, 0x30001);               /* 00:03.0: PASID dir 0x30000, RID_PASID 0 */
	put64(0x30000, 0x31001);
	put64(0x31000, 0x12000 | (2u << 6) | (2u << 2) | 1); /* SS, 4-level, table 0x12000 */
	put64(0x31008, 1);                     /* DID 1 */
	put64(0x12000, 0x13003);
	put64(0x13000, 0x14003);
	put64(0x14000, 0x15003);
	put64(0x15000, 0x100003);              /* 0 -> 0x100000 */
	put64(0x20000, 0x21003);               /* the other table: 0 -> 0x300000 */
	put64(0x21000, 0x22003);
	put64(0x22000, 0x23003);
	put64(0x23000, 0x300003);
	struct vtd_notifier *n;
	assert_int_equal(vtd_iommu_notifier_add(iommu, 0x18, &ops, NULL, &n), 0);
	mmio(VTD_REG_RTADDR, 8, 0x10000 | (1u << 10));
	mmio(VTD_REG_GCMD, 4, 1u << 30);
	mmio(VTD_REG_IQA, 8, 0x40000 | (1u << 11)); /* 256-bit descriptors */
	mmio(VTD_REG_GCMD, 4, 1u << 26);
	nev = 0;
	mmio(VTD_REG_GCMD, 4, (1u << 31) | (1u << 26));
	assert_int_equal(nev, 1);
	assert_true(evs[0].kind == 'm' && evs[0].iova == 0 && evs[0].addr == 0x100000);
	/* the PASID entry moves to the other table; PASID-selective PASID-cache
	 * invalidation (type 7, granularity 1, DID 1, PASID 0) */
	nev = 0;
	put64(0x31000, 0x20000 | (2u << 6) | (2u << 2) | 1);
	put64(0x40000, 0x7 | (1u << 4) | (1ull << 16));
	mmio(VTD_REG_IQT, 8, 1u << 5);
	assert_int_equal(nev, 2);
	assert_true(evs[0].kind == 'u' && evs[0].iova == 0);
	assert_true(evs[1].kind == 'm' && evs[1].iova == 0 && evs[1].addr == 0x300000);
	vtd_iommu_notifier_del(iommu, n);
}

static void test_bad_args(void **state)
{
	(void)state;
	struct vtd_notifier *n;
	assert_int_equal(vtd_iommu_notifier_add(NULL, 0, &ops, NULL, &n), -22);
	assert_int_equal(vtd_iommu_notifier_add(iommu, 0, NULL, NULL, &n), -22);
	assert_int_equal(vtd_iommu_notifier_add(iommu, 0, &ops, NULL, NULL), -22);
	assert_int_equal(vtd_iommu_notifier_replay(iommu, NULL), -22);
	vtd_iommu_notifier_del(iommu, NULL);
	/* a notifier left registered is freed with the object (ASan checks) */
	assert_int_equal(vtd_iommu_notifier_add(iommu, 0x18, &ops, NULL, &n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enable_reports_mappings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psi_reports_changes_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_and_context_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pasid_cache_invalidation_syncs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
	};
	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
