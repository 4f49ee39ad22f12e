/* SPDX-License-Identifier: MIT */
/* Interrupt remapping: every IR fault reason the unit can produce, IRTE
 * fields, x2APIC destinations, source-id verification, FPD, the cache.
 * Posted interrupts (x-pi, faults 27h/28h) are in test_pi.c. */
#include "guest.h"

#include <errno.h>

#define RAM (1u << 20)
#define IRT 0x60000ull

/* IR on, the table at `irta` (IRTA: address, EIME bit 11, S 3:0) */
static void mk(const char *props, uint64_t irta)
{
	guest_new(props, RAM, true, (struct vtd_iommu_opts){ 0 });
	mmio_w(VTD_REG_IRTA, 8, irta);
	mmio_w(VTD_REG_GCMD, 4, 1u << 24);          /* SIRTP */
	mmio_w(VTD_REG_GCMD, 4, 1u << 25);          /* IRE */
}

static void irte(unsigned i, uint64_t lo, uint64_t hi)
{
	put64(IRT + 16 * i, lo);
	put64(IRT + 16 * i + 8, hi);
	mmio_w(VTD_REG_GCMD, 4, (1u << 24) | (1u << 25)); /* re-latch: drops the cache */
}

static uint64_t remappable(unsigned handle) /* address of a remappable MSI */
{
	return 0xfee00010ull | ((uint64_t)(handle & 0x7fff) << 5) | (((handle >> 15) & 1) << 2);
}

static void expect_fault(uint16_t sid, uint64_t addr, uint32_t data, uint8_t reason)
{
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, sid, addr, data, &o), -EACCES);
	assert_true(o.blocked);
	assert_int_equal(o.fault, reason);
}

static void test_passthrough_when_off(void **state)
{
	(void)state;
	mk("intremap=off", IRT);
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x18, 0xfee0100c, 0x4041, &o), 0);
	assert_false(o.remapped);
	assert_int_equal(o.addr, 0xfee0100c);
	assert_int_equal(o.dest, 1);
	assert_true(o.dest_logical && o.redir_hint);
	assert_int_equal(o.vector, 0x41);
	guest_teardown(NULL);
	/* IR offered but IRE=0: also passed through */
	guest_new("", RAM, true, (struct vtd_iommu_opts){ 0 });
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x18, remappable(3), 0, &o), 0);
	assert_false(o.remapped);
}

static void test_remap_xapic_fields(void **state)
{
	(void)state;
	mk("kernel-irqchip=off", IRT | 3);       /* xAPIC: eim=off */
	/* vector 0x33, DM logical, RH, level, lowest priority, dest 0x7 */
	irte(2, (7ull << 40) | (0x33ull << 16) | (1u << 5) | (1u << 4) | (1u << 3) | (1u << 2) | 1, 0);
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x18, remappable(2), 0, &o), 0);
	assert_true(o.remapped);
	assert_int_equal(o.index, 2);
	assert_int_equal(o.dest, 7);
	assert_int_equal(o.vector, 0x33);
	assert_int_equal(o.delivery_mode, 1);
	assert_true(o.level && o.dest_logical && o.redir_hint);
	assert_int_equal(o.addr, 0xfee0700cull);
	assert_int_equal(o.data, 0x33 | (1u << 8) | (1u << 14) | (1u << 15));
	/* xAPIC: destination bits outside 47:40 are reserved (24h) */
	irte(2, (0x1ull << 32) | 1, 0);
	expect_fault(0x18, remappable(2), 0, 0x24);
}

static void test_remap_x2apic(void **state)
{
	(void)state;
	mk("", IRT | (1u << 11) | 3);             /* split irqchip: eim=on, EIME */
	irte(0, (0x12345678ull << 32) | (0x40ull << 16) | 1, 0);
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x18, remappable(0), 0, &o), 0);
	assert_int_equal(o.dest, 0x12345678);
	/* destination bits 7:0 in address 19:12, the rest in the upper dword */
	assert_int_equal(o.addr, 0xfee00000ull | (0x78ull << 12) | (0x123456ull << 40));
	/* compatibility format is always blocked in x2APIC mode (25h) */
	mmio_w(VTD_REG_GCMD, 4, (1u << 25) | (1u << 23));
	expect_fault(0x18, 0xfee01000, 0x41, 0x25);
}

static void test_index_and_request_faults(void **state)
{
	(void)state;
	mk("kernel-irqchip=off", IRT | 0);        /* S=0: 2 entries */
	irte(0, (0x30ull << 16) | 1, 0);
	expect_fault(0x18, remappable(2), 0, 0x21);          /* beyond the table */
	expect_fault(0x18, remappable(0) | 8, 0x10000, 0x20); /* SHV, data 31:16 */
	expect_fault(0x18, remappable(0) | (1ull << 32), 0, 0x20); /* upper address */
	expect_fault(0x18, remappable(1), 0, 0x22);          /* not present */
	expect_fault(0x18, 0xfee01000, 0x41, 0x25);          /* compat, CFI=0 */
	struct vtd_irq o;
	/* subhandle: 0 + 1 = entry 1 (absent) ; handle bit 15 via address bit 2 */
	expect_fault(0x18, remappable(0) | 8, 1, 0x22);
	expect_fault(0x18, remappable(0x8000), 0, 0x21);
	/* the fault record: IR fault, FI = index in bits 63:48 */
	uint64_t lo = mmio_r(VTD_REG_FRCD, 8), hi = mmio_r(VTD_REG_FRCD + 8, 8);
	assert_int_equal((hi >> 32) & 0xff, 0x21);
	assert_int_equal(lo >> 48, 2);
	(void)o;
}

static void test_irt_read_error(void **state)
{
	(void)state;
	mk("kernel-irqchip=off", (RAM + 0x1000ull) | 2); /* the IRT is outside RAM */
	expect_fault(0x18, remappable(0), 0, 0x23);
}

static void test_irte_reserved_and_posted(void **state)
{
	(void)state;
	mk("kernel-irqchip=off", IRT | 3);
	const uint64_t bad_lo[] = { 1 | (1u << 12), 1 | (1u << 14), 1 | (1ull << 24),
				    1 | (1u << 15) /* posted: no CAP.PI */ };
	for (unsigned i = 0; i < 4; i++) {
		irte(0, bad_lo[i], 0);
		expect_fault(0x18, remappable(0), 0, 0x24);
	}
	irte(0, 1, 1ull << 20);                   /* qword 1 above SVT */
	expect_fault(0x18, remappable(0), 0, 0x24);
	irte(0, 1, 3ull << 18);                   /* SVT=3 is reserved */
	expect_fault(0x18, remappable(0), 0, 0x24);
}

static void test_source_id_checks(void **state)
{
	(void)state;
	mk("kernel-irqchip=off", IRT | 3);
	/* SVT=1 with SQ masks: 00:03.4 against 00:03.0 */
	irte(0, 1, (1ull << 18) | 0x18);
	expect_fault(0x1c, remappable(0), 0, 0x26);
	irte(0, 1, (1ull << 18) | (1ull << 16) | 0x18);  /* SQ=1: ignore bit 2 */
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x1c, remappable(0), 0, &o), 0);
	expect_fault(0x1a, remappable(0), 0, 0x26);
	irte(0, 1, (1ull << 18) | (3ull << 16) | 0x18);  /* SQ=3: any function */
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x1f, remappable(0), 0, &o), 0);
	expect_fault(0x20, remappable(0), 0, 0x26);       /* another device */
	/* SVT=2: requester bus within [2, 4] */
	irte(0, 1, (2ull << 18) | 0x0204);
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x0300, remappable(0), 0, &o), 0);
	expect_fault(0x0500, remappable(0), 0, 0x26);
	expect_fault(0x0118, remappable(0), 0, 0x26);
}

static void test_fpd(void **state)
{
	(void)state;
	mk("kernel-irqchip=off", IRT | 3);
	irte(0, 1 | 2, (1ull << 18) | 0x18);      /* FPD, SID check */
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x20, remappable(0), 0, &o), -EACCES);
	assert_int_equal(o.fault, 0x26);
	assert_false(o.fault_recorded);
	assert_int_equal(fsts(), 0);
	/* not qualified: an index beyond the table is recorded regardless */
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x20, remappable(100), 0, &o), -EACCES);
	assert_true(o.fault_recorded);
}

static void test_cache_and_bad_args(void **state)
{
	(void)state;
	mk("kernel-irqchip=off", IRT | 3);
	irte(0, (0x21ull << 16) | 1, 0);
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x18, remappable(0), 0, &o), 0);
	put64(IRT, (0x22ull << 16) | 1);          /* no invalidation: cached */
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x18, remappable(0), 0, &o), 0);
	assert_int_equal(o.vector, 0x21);
	mmio_w(VTD_REG_GCMD, 4, (1u << 24) | (1u << 25)); /* SIRTP drops the cache */
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x18, remappable(0), 0, &o), 0);
	assert_int_equal(o.vector, 0x22);
	assert_int_equal(vtd_iommu_remap_msi(NULL, 0, 0, 0, &o), -EINVAL);
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0, 0, 0, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_passthrough_when_off, guest_teardown),
		cmocka_unit_test_teardown(test_remap_xapic_fields, guest_teardown),
		cmocka_unit_test_teardown(test_remap_x2apic, guest_teardown),
		cmocka_unit_test_teardown(test_index_and_request_faults, guest_teardown),
		cmocka_unit_test_teardown(test_irt_read_error, guest_teardown),
		cmocka_unit_test_teardown(test_irte_reserved_and_posted, guest_teardown),
		cmocka_unit_test_teardown(test_source_id_checks, guest_teardown),
		cmocka_unit_test_teardown(test_fpd, guest_teardown),
		cmocka_unit_test_teardown(test_cache_and_bad_args, guest_teardown),
	};
	return cmocka_run_group_tests_name("ir", tests, NULL, NULL);
}
