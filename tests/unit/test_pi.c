/* SPDX-License-Identifier: MIT */
/*
 * Posted interrupts (x-pi=on): posted-format IRTEs, the posted-interrupt
 * descriptor (PIR, ON/SN, NV/NDST, reserved fields), the notification
 * event, faults 24h/26h/27h/28h, the interrupt entry cache, the memory
 * paths (flat RAM, cmpxchg64 callback, read+write) and concurrent posting.
 * The concurrent tests run under ThreadSanitizer too (suite tsan).
 */
#include "guest.h"
#include "mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RAM (1u << 20)
#define IRT 0x60000ull
#define PID0 0x70000ull       /* a posted-interrupt descriptor (64-byte aligned) */
#define PID1 0x70040ull
#define CTRL 32               /* the control qword of a descriptor */

#define P_ON 1ull
#define P_SN 2ull
#define IRTE_URG (1ull << 14)
#define IRTE_FPD 2ull

/* IR on with the table at IRT (IRTA: EIME bit 11, S 3:0 = 16 entries) */
static void mk(const char *props, bool x2apic)
{
	guest_new(props, RAM, true, (struct vtd_iommu_opts){ 0 });
	mmio_w(VTD_REG_IRTA, 8, IRT | (x2apic ? 1u << 11 : 0) | 3);
	mmio_w(VTD_REG_GCMD, 4, 1u << 24);          /* SIRTP */
	mmio_w(VTD_REG_GCMD, 4, 1u << 25);          /* IRE */
}

/* qword 0 of a posted IRTE: P, IM, VV, PDA_L = descriptor bits 31:6 */
static uint64_t plo(uint8_t vv, uint64_t pda)
{
	return 1 | (1ull << 15) | ((uint64_t)vv << 16) | (((pda >> 6) & 0x3ffffff) << 38);
}
/* qword 1: PDA_H = descriptor bits 63:32, and SVT/SQ/SID */
static uint64_t phi(uint64_t pda, uint64_t sid_bits)
{
	return (pda & 0xffffffff00000000ull) | sid_bits;
}

static void irte(unsigned i, uint64_t lo, uint64_t hi)
{
	put64(IRT + 16 * i, lo);
	put64(IRT + 16 * i + 8, hi);
	mmio_w(VTD_REG_GCMD, 4, (1u << 24) | (1u << 25)); /* re-latch: drops the cache */
}

/* the control qword: ON, SN, NV 23:16, NDST 63:32 */
static uint64_t ctrl(uint8_t nv, uint32_t ndst, uint64_t flags)
{
	return flags | ((uint64_t)nv << 16) | ((uint64_t)ndst << 32);
}

static void pid(uint64_t a, uint64_t c)
{
	for (unsigned i = 0; i < 8; i++)
		put64(a + 8 * i, 0);
	put64(a + CTRL, c);
}

static bool pir_bit(uint64_t a, unsigned v)
{
	return (get64(a + (v / 64) * 8) >> (v % 64)) & 1;
}

static uint64_t remappable(unsigned handle)
{
	return 0xfee00010ull | ((uint64_t)(handle & 0x7fff) << 5) | (((handle >> 15) & 1) << 2);
}

static struct vtd_irq post(uint16_t sid, unsigned handle, int expect)
{
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, sid, remappable(handle), 0, &o), expect);
	return o;
}

static void expect_fault(unsigned handle, uint8_t reason, bool recorded)
{
	struct vtd_irq o = post(0x18, handle, -EACCES);
	assert_true(o.blocked);
	assert_false(o.posted);
	assert_int_equal(o.fault, reason);
	assert_int_equal(o.fault_recorded, recorded);
	if (!recorded) {
		assert_int_equal(fsts() & 2, 0);
		return;
	}
	/* the one fault-recording register: IR fault, FI = the IRTE index */
	uint64_t lo = mmio_r(VTD_REG_FRCD, 8), hi = mmio_r(VTD_REG_FRCD + 8, 8);
	assert_true(hi >> 63);
	assert_int_equal((hi >> 32) & 0xff, reason);
	assert_int_equal((uint16_t)hi, 0x18);
	assert_int_equal(lo >> 48, handle);
	mmio_w(VTD_REG_FRCD + 12, 4, 0x80000000u);  /* clear F for the next one */
	assert_int_equal(fsts() & 2, 0);
}

static void test_post_and_notify(void **state)
{
	(void)state;
	mk("x-pi=on,kernel-irqchip=off", false);     /* xAPIC: NDST 15:8 */
	assert_int_equal(vtd_cap_pi(mmio_r(VTD_REG_CAP, 8)), 1);
	pid(PID0, ctrl(0xf2, 5u << 8, 0));
	irte(3, plo(0x31, PID0), phi(PID0, 0));
	irte(4, plo(0x45, PID0), phi(PID0, 0));
	struct vtd_irq o = post(0x18, 3, 0);
	assert_false(o.blocked);
	assert_true(o.posted && o.remapped && o.notify);
	assert_false(o.urgent);
	assert_int_equal(o.index, 3);
	assert_int_equal(o.vector, 0x31);
	assert_int_equal(o.dest, 5);
	assert_int_equal(o.delivery_mode, 0);
	assert_false(o.dest_logical || o.redir_hint || o.level);
	/* the notification: NV 0xf2 to APIC 5, fixed, edge, physical */
	assert_int_equal(o.addr, 0xfee05000ull);
	assert_int_equal(o.data, 0xf2 | (1u << 14));
	assert_true(pir_bit(PID0, 0x31));
	assert_int_equal(get64(PID0 + CTRL), ctrl(0xf2, 5u << 8, P_ON));
	/* ON already set: posted, no notification */
	o = post(0x18, 4, 0);
	assert_true(o.posted && !o.notify);
	assert_int_equal(o.vector, 0x45);
	assert_int_equal(o.addr, 0);
	assert_int_equal(o.data, 0);
	assert_true(pir_bit(PID0, 0x31) && pir_bit(PID0, 0x45));
	assert_int_equal(get64(PID0), 1ull << 0x31);
	assert_int_equal(get64(PID0 + 8), 1ull << (0x45 - 64));
	/* the guest takes the notification: clears ON, empties PIR; the next
	 * interrupt notifies again */
	put64(PID0 + CTRL, ctrl(0xf2, 5u << 8, 0));
	put64(PID0 + 0, 0);
	put64(PID0 + 8, 0);
	o = post(0x18, 4, 0);
	assert_true(o.notify);
	assert_true(pir_bit(PID0, 0x45) && !pir_bit(PID0, 0x31));
	/* vectors 0 and 255 land in the first and last PIR word */
	irte(5, plo(0xff, PID0), phi(PID0, 0));
	irte(6, plo(0x00, PID0), phi(PID0, 0));
	post(0x18, 5, 0);
	post(0x18, 6, 0);
	assert_int_equal(get64(PID0 + 24), 1ull << 63);
	assert_true(get64(PID0) & 1);
	assert_int_equal(fsts(), 0);
}

static void test_suppress_and_urgent(void **state)
{
	(void)state;
	mk("x-pi=on,kernel-irqchip=off", false);
	pid(PID0, ctrl(0xf3, 2u << 8, P_SN));
	irte(0, plo(0x40, PID0), phi(PID0, 0));
	irte(1, plo(0x41, PID0) | IRTE_URG, phi(PID0, 0));
	/* SN=1, not urgent: posted silently, ON stays clear */
	struct vtd_irq o = post(0x18, 0, 0);
	assert_true(o.posted && !o.notify && !o.urgent);
	assert_true(pir_bit(PID0, 0x40));
	assert_int_equal(get64(PID0 + CTRL), ctrl(0xf3, 2u << 8, P_SN));
	/* SN=1, urgent: notifies and sets ON */
	o = post(0x18, 1, 0);
	assert_true(o.posted && o.notify && o.urgent);
	assert_int_equal(o.addr, 0xfee02000ull);
	assert_int_equal(o.data, 0xf3 | (1u << 14));
	assert_int_equal(get64(PID0 + CTRL), ctrl(0xf3, 2u << 8, P_SN | P_ON));
	/* urgent but ON already set: nothing more */
	o = post(0x18, 1, 0);
	assert_true(o.posted && !o.notify);
}

static void test_pid_reserved(void **state)
{
	(void)state;
	mk("x-pi=on,kernel-irqchip=off", false);
	irte(0, plo(0x31, PID0), phi(PID0, 0));
	irte(1, plo(0x31, PID1) | IRTE_FPD, phi(PID1, 0));
	const uint64_t good = ctrl(0xf2, 1u << 8, 0);
	/* control bits 15:2 and 31:24; xAPIC NDST 7:0 and 31:16 */
	const uint64_t bad_ctrl[] = { 1ull << 2, 1ull << 15, 1ull << 24, 1ull << 31,
				      1ull << 32, 1ull << 39, 1ull << 48, 1ull << 63 };
	for (unsigned i = 0; i < sizeof(bad_ctrl) / sizeof(bad_ctrl[0]); i++) {
		pid(PID0, good | bad_ctrl[i]);
		expect_fault(0, 0x28, true);
		assert_false(pir_bit(PID0, 0x31));       /* untouched */
		assert_int_equal(get64(PID0 + CTRL), good | bad_ctrl[i]);
		/* FPD: blocked, not recorded */
		pid(PID1, good | bad_ctrl[i]);
		expect_fault(1, 0x28, false);
		assert_false(pir_bit(PID1, 0x31));
	}
	/* bytes 40-63 */
	for (unsigned q = 5; q < 8; q++) {
		for (unsigned bit = 0; bit < 64; bit += 63) {
			pid(PID0, good);
			put64(PID0 + 8 * q, 1ull << bit);
			expect_fault(0, 0x28, true);
			assert_false(pir_bit(PID0, 0x31));
			pid(PID1, good);
			put64(PID1 + 8 * q, 1ull << bit);
			expect_fault(1, 0x28, false);
		}
	}
	/* a good descriptor after all that posts */
	pid(PID0, good);
	assert_true(post(0x18, 0, 0).notify);
}

static void test_pid_x2apic(void **state)
{
	(void)state;
	mk("x-pi=on", true);                         /* eim=on, IRTA.EIME */
	pid(PID0, ctrl(0xec, 0x12345678u, 0));
	irte(0, plo(0x51, PID0), phi(PID0, 0));
	struct vtd_irq o = post(0x18, 0, 0);
	assert_true(o.notify);
	assert_int_equal(o.dest, 0x12345678u);
	/* destination 7:0 in address 19:12, 31:8 in the upper dword */
	assert_int_equal(o.addr, 0xfee00000ull | (0x78ull << 12) | (0x123456ull << 40));
	assert_int_equal(o.data, 0xec | (1u << 14));
	/* control bits 15:2 and 31:24 stay reserved in x2APIC mode */
	pid(PID0, ctrl(0xec, 0x12345678u, 1ull << 24));
	expect_fault(0, 0x28, true);
}

static void test_pid_unreadable(void **state)
{
	(void)state;
	mk("x-pi=on,kernel-irqchip=off", false);
	uint64_t out = RAM + 0x1000;                 /* within the width, not memory */
	irte(0, plo(0x31, out), phi(out, 0));
	expect_fault(0, 0x27, true);
	irte(0, plo(0x31, out) | IRTE_FPD, phi(out, 0));
	expect_fault(0, 0x27, false);
	uint64_t high = 0x100000000000ull;           /* PDA_H in use, beyond RAM */
	irte(0, plo(0x31, high), phi(high, 0));
	expect_fault(0, 0x27, true);
}

static void test_irte_checks(void **state)
{
	(void)state;
	/* without x-pi, IM=1 is reserved whatever else the entry holds */
	mk("kernel-irqchip=off", false);
	assert_int_equal(vtd_cap_pi(mmio_r(VTD_REG_CAP, 8)), 0);
	pid(PID0, ctrl(0xf2, 1u << 8, 0));
	irte(0, plo(0x31, PID0), phi(PID0, 0));
	expect_fault(0, 0x24, true);
	assert_false(pir_bit(PID0, 0x31));
	guest_teardown(NULL);

	mk("x-pi=on,kernel-irqchip=off,aw-bits=39", false);
	pid(PID0, ctrl(0xf2, 1u << 8, 0));
	/* qword 0: 7:2, 13:12, 37:24; qword 1: 31:20; SVT=3 */
	const uint64_t bad_lo[] = { 1ull << 2, 1ull << 7, 1ull << 12, 1ull << 13,
				    1ull << 24, 1ull << 37 };
	for (unsigned i = 0; i < sizeof(bad_lo) / sizeof(bad_lo[0]); i++) {
		irte(0, plo(0x31, PID0) | bad_lo[i], phi(PID0, 0));
		expect_fault(0, 0x24, true);
		irte(0, plo(0x31, PID0) | bad_lo[i] | IRTE_FPD, phi(PID0, 0));
		expect_fault(0, 0x24, false);
	}
	irte(0, plo(0x31, PID0), phi(PID0, 1ull << 20));
	expect_fault(0, 0x24, true);
	irte(0, plo(0x31, PID0), phi(PID0, 1ull << 31));
	expect_fault(0, 0x24, true);
	irte(0, plo(0x31, PID0), phi(PID0, 3ull << 18));
	expect_fault(0, 0x24, true);
	/* a descriptor address above the 39-bit host width */
	uint64_t wide = (1ull << 39) | PID0;
	irte(0, plo(0x31, wide), phi(wide, 0));
	expect_fault(0, 0x24, true);
	wide = (1ull << 63) | PID0;
	irte(0, plo(0x31, wide), phi(wide, 0));
	expect_fault(0, 0x24, true);
	assert_false(pir_bit(PID0, 0x31));
	/* AVL (11:8) is the guest's: ignored */
	irte(0, plo(0x31, PID0) | 0xf00, phi(PID0, 0));
	assert_true(post(0x18, 0, 0).posted);
	/* a remapped-format entry still works next to posted ones */
	irte(1, (1ull << 40) | (0x22ull << 16) | 1, 0);
	struct vtd_irq o = post(0x18, 1, 0);
	assert_true(o.remapped && !o.posted);
	assert_int_equal(o.addr, 0xfee01000ull);
}

static void test_source_id(void **state)
{
	(void)state;
	mk("x-pi=on,kernel-irqchip=off", false);
	pid(PID0, ctrl(0xf2, 1u << 8, 0));
	irte(0, plo(0x31, PID0), phi(PID0, (1ull << 18) | 0x20));   /* SVT=1: 00:04.0 */
	expect_fault(0, 0x26, true);                 /* from 00:03.0 */
	assert_false(pir_bit(PID0, 0x31));
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x20, remappable(0), 0, &o), 0);
	assert_true(o.posted && pir_bit(PID0, 0x31));
	irte(0, plo(0x31, PID0) | IRTE_FPD, phi(PID0, (2ull << 18) | 0x0203)); /* buses 2-3 */
	expect_fault(0, 0x26, false);
	assert_int_equal(vtd_iommu_remap_msi(iommu, 0x0310, remappable(0), 0, &o), 0);
}

static void test_iec(void **state)
{
	(void)state;
	mk("x-pi=on,kernel-irqchip=off", false);
	pid(PID0, ctrl(0xf2, 1u << 8, 0));
	pid(PID1, ctrl(0xf4, 2u << 8, 0));
	irte(2, plo(0x31, PID0), phi(PID0, 0));
	qi_on(QBASE, 0, false);                      /* after irte(): its GCMD write */
	assert_int_equal(post(0x18, 2, 0).vector, 0x31);
	/* rewritten without invalidation: the cached entry still posts */
	put64(IRT + 32, plo(0x32, PID1));
	put64(IRT + 40, phi(PID1, 0));
	struct vtd_irq o = post(0x18, 2, 0);
	assert_int_equal(o.vector, 0x31);
	assert_false(o.notify);                      /* PID0's ON is set */
	assert_false(pir_bit(PID1, 0x32));
	/* the descriptor itself is never cached: a new NV takes at once */
	put64(PID0 + CTRL, ctrl(0xf6, 3u << 8, 0));
	o = post(0x18, 2, 0);
	assert_true(o.notify);
	assert_int_equal(o.data, 0xf6 | (1u << 14));
	assert_int_equal(o.addr, 0xfee03000ull);
	/* an index-selective IEC invalidation of another entry changes nothing */
	q_submit(0x4 | (1u << 4) | (5ull << 32), 0, 0, 0);
	assert_int_equal(post(0x18, 2, 0).vector, 0x31);
	/* of this one: the new entry, the new descriptor */
	q_submit(0x4 | (1u << 4) | (2ull << 32), 0, 0, 0);
	o = post(0x18, 2, 0);
	assert_int_equal(o.vector, 0x32);
	assert_true(o.notify);
	assert_int_equal(o.addr, 0xfee02000ull);
	assert_true(pir_bit(PID1, 0x32));
	/* and back to remapped format, after a global invalidation */
	put64(IRT + 32, (7ull << 40) | (0x23ull << 16) | 1);
	put64(IRT + 40, 0);
	assert_true(post(0x18, 2, 0).posted);
	q_submit(0x4, 0, 0, 0);
	o = post(0x18, 2, 0);
	assert_true(o.remapped && !o.posted);
	assert_int_equal(o.vector, 0x23);
}

/* ---- memory through callbacks -------------------------------------------- */

static unsigned cas_calls;

static int cb_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	(void)opaque;
	if (gpa >= ram_size || len > ram_size - gpa)
		return -EFAULT;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static int cb_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	(void)opaque;
	if (gpa >= ram_size || len > ram_size - gpa)
		return -EFAULT;
	memcpy(ram + gpa, buf, len);
	return 0;
}

static int cb_cmpxchg64(void *opaque, uint64_t gpa, uint64_t *expected, uint64_t desired)
{
	(void)opaque;
	cas_calls++;
	if ((gpa & 7) || gpa >= ram_size || 8 > ram_size - gpa)
		return -EFAULT;
	uint64_t *p = (uint64_t *)(void *)(ram + gpa);
	return __atomic_compare_exchange_n(p, expected, desired, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST) ? 0 : -EAGAIN;
}

/* A cmpxchg64 that always finds the word changed: a guest rewriting it
 * without pause, as far as the library can tell. */
static int cb_cmpxchg64_busy(void *opaque, uint64_t gpa, uint64_t *expected, uint64_t desired)
{
	(void)opaque;
	(void)desired;
	cas_calls++;
	uint64_t v;
	memcpy(&v, ram + gpa, 8);
	*expected = v ^ (1ull << 62);
	return -EAGAIN;
}

static void run_without_flat_ram(const struct vtd_mem_ops *ops)
{
	guest_new("x-pi=on,kernel-irqchip=off", RAM, false,
		  (struct vtd_iommu_opts){ .mem = ops });
	mmio_w(VTD_REG_IRTA, 8, IRT | 3);
	mmio_w(VTD_REG_GCMD, 4, 1u << 24);
	mmio_w(VTD_REG_GCMD, 4, 1u << 25);
	pid(PID0, ctrl(0xf2, 1u << 8, 0));
	irte(0, plo(0x31, PID0), phi(PID0, 0));
	irte(1, plo(0xc1, PID0), phi(PID0, 0));
	cas_calls = 0;
	struct vtd_irq o = post(0x18, 0, 0);
	assert_true(o.posted && o.notify);
	assert_int_equal(o.addr, 0xfee01000ull);
	o = post(0x18, 1, 0);
	assert_true(o.posted && !o.notify);
	assert_true(pir_bit(PID0, 0x31) && pir_bit(PID0, 0xc1));
	assert_int_equal(get64(PID0 + CTRL), ctrl(0xf2, 1u << 8, P_ON));
	/* reserved bits and an unreadable descriptor, through the callbacks */
	put64(PID0 + 56, 1);
	expect_fault(0, 0x28, true);
	uint64_t out = RAM + 0x1000;
	irte(0, plo(0x31, out), phi(out, 0));
	expect_fault(0, 0x27, true);
}

static void test_mem_ops_cmpxchg(void **state)
{
	(void)state;
	static const struct vtd_mem_ops ops = { cb_read, cb_write, cb_cmpxchg64 };
	run_without_flat_ram(&ops);
	/* PIR bit, PIR bit, ON: every update went through the VMM's cmpxchg */
	assert_true(cas_calls >= 3);
}

static void test_mem_ops_read_write(void **state)
{
	(void)state;
	static const struct vtd_mem_ops ops = { cb_read, cb_write, NULL };
	run_without_flat_ram(&ops);
}

static void test_mem_ops_busy(void **state)
{
	(void)state;
	static const struct vtd_mem_ops ops = { cb_read, cb_write, cb_cmpxchg64_busy };
	guest_new("x-pi=on,kernel-irqchip=off", RAM, false,
		  (struct vtd_iommu_opts){ .mem = &ops });
	mmio_w(VTD_REG_IRTA, 8, IRT | 3);
	mmio_w(VTD_REG_GCMD, 4, 1u << 24);
	mmio_w(VTD_REG_GCMD, 4, 1u << 25);
	pid(PID0, ctrl(0xf2, 1u << 8, 0));
	irte(0, plo(0x31, PID0), phi(PID0, 0));
	/* the PIR word never settles: bounded, reported as a descriptor
	 * access error rather than a hang or a silently lost vector */
	cas_calls = 0;
	expect_fault(0, 0x27, true);
	assert_int_equal(cas_calls, VTD_MEM_CAS_TRIES);
}

/* ---- concurrency ------------------------------------------------------------ */

#define NT 4
#define PER (256 / NT)

struct poster {
	unsigned first;          /* vectors first .. first + PER - 1 */
	unsigned rounds;
	unsigned notified, errors;
};

/* posters (and the guest) start together, so they overlap */
static pthread_barrier_t start;

static void *poster_run(void *arg)
{
	struct poster *p = arg;
	pthread_barrier_wait(&start);
	for (unsigned r = 0; r < p->rounds; r++) {
		for (unsigned v = p->first; v < p->first + PER; v++) {
			struct vtd_irq o;
			if (vtd_iommu_remap_msi(iommu, 0x18, remappable(v), 0, &o) || !o.posted ||
			    o.vector != v)
				p->errors++;
			else if (o.notify)
				p->notified++;
		}
	}
	return NULL;
}

/* The guest's side of the protocol: take the notification (clear ON with
 * a locked op), then swap the PIR words out. */
static unsigned guest_stop, guest_on_cleared;
static uint64_t harvested[4];

static void guest_harvest(void)
{
	uint64_t *c = (uint64_t *)(void *)(ram + PID0 + CTRL);
	if (__atomic_fetch_and(c, ~P_ON, __ATOMIC_SEQ_CST) & P_ON)
		guest_on_cleared++;
	for (unsigned w = 0; w < 4; w++)
		harvested[w] |= __atomic_exchange_n((uint64_t *)(void *)(ram + PID0 + 8 * w), 0,
						    __ATOMIC_SEQ_CST);
}

static void *guest_run(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	while (!__atomic_load_n(&guest_stop, __ATOMIC_ACQUIRE))
		guest_harvest();
	return NULL;
}

static void setup_many(void)
{
	mk("x-pi=on,kernel-irqchip=off", false);
	/* 256 IRTEs (S=7), IRTE v posts vector v */
	mmio_w(VTD_REG_IRTA, 8, IRT | 7);
	for (unsigned v = 0; v < 256; v++) {
		put64(IRT + 16 * v, plo((uint8_t)v, PID0));
		put64(IRT + 16 * v + 8, phi(PID0, 0));
	}
	mmio_w(VTD_REG_GCMD, 4, (1u << 24) | (1u << 25));
	pid(PID0, ctrl(0xf2, 1u << 8, 0));
}

/* NT posters of `rounds` rounds each (their vectors disjoint), started at
 * the barrier `start` (which the caller set up for them and any other
 * thread); returns the notifications they got, after checking none failed. */
static unsigned run_posters(unsigned rounds)
{
	pthread_t t[NT];
	struct poster p[NT];
	for (unsigned i = 0; i < NT; i++) {
		p[i] = (struct poster){ .first = i * PER, .rounds = rounds };
		assert_int_equal(pthread_create(&t[i], NULL, poster_run, &p[i]), 0);
	}
	unsigned notified = 0;
	for (unsigned i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(p[i].errors, 0);
		notified += p[i].notified;
	}
	return notified;
}

static void test_concurrent_posting(void **state)
{
	(void)state;
	setup_many();
	pthread_barrier_init(&start, NULL, NT);
	/* nobody clears ON: every vector lands, exactly one notification */
	unsigned notified = run_posters(1);
	pthread_barrier_destroy(&start);
	assert_int_equal(notified, 1);
	for (unsigned w = 0; w < 4; w++)
		assert_int_equal(get64(PID0 + 8 * w), ~0ull);
	assert_int_equal(get64(PID0 + CTRL), ctrl(0xf2, 1u << 8, P_ON));
}

static void test_concurrent_with_guest(void **state)
{
	(void)state;
	setup_many();
	/* the guest keeps taking notifications while the posters post: every
	 * ON 0->1 is one notification, and each ends either cleared by the
	 * guest or still set at the end */
	guest_stop = 0;
	guest_on_cleared = 0;
	memset(harvested, 0, sizeof(harvested));
	pthread_t g;
	pthread_barrier_init(&start, NULL, NT + 1);
	assert_int_equal(pthread_create(&g, NULL, guest_run, NULL), 0);
	unsigned notified = run_posters(100);
	__atomic_store_n(&guest_stop, 1, __ATOMIC_RELEASE);
	pthread_join(g, NULL);
	pthread_barrier_destroy(&start);
	/* no lost wakeup: a vector the guest has not taken is announced */
	uint64_t pending = 0;
	for (unsigned w = 0; w < 4; w++)
		pending |= get64(PID0 + 8 * w);
	if (pending)
		assert_true(get64(PID0 + CTRL) & P_ON);
	guest_harvest();                             /* whatever is still pending */
	assert_true(notified >= 1);
	print_message("%u notifications, each one ON 0->1 the guest cleared\n", notified);
	assert_int_equal(notified, guest_on_cleared);
	for (unsigned w = 0; w < 4; w++)
		assert_int_equal(harvested[w], ~0ull);
	assert_int_equal(get64(PID0 + CTRL), ctrl(0xf2, 1u << 8, 0));
}

/* ---- save / restore ----------------------------------------------------- */

static void test_state(void **state)
{
	(void)state;
	mk("x-pi=on,kernel-irqchip=off", false);
	long n = vtd_iommu_save(iommu, NULL, 0);
	assert_true(n > 0);
	uint8_t *buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(vtd_iommu_save(iommu, buf, (size_t)n), n);
	struct vtd_iommu_opts o = { 0 };
	struct vtd_iommu *same = iommu_new("x-pi=on,kernel-irqchip=off", &o);
	struct vtd_iommu *other = iommu_new("kernel-irqchip=off", &o);
	struct vtd_error e;
	assert_int_equal(vtd_iommu_load(same, buf, (size_t)n, &e), 0);
	assert_int_equal(reg_rd(same, VTD_REG_GSTS, 4) & (1u << 25), 1u << 25);
	assert_int_equal(vtd_iommu_load(other, buf, (size_t)n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "saved with another configuration"));
	assert_non_null(strstr(e.msg, "x-pi=on"));
	free(buf);

	/* a state from before x-pi existed (no key: off) restores into an
	 * x-pi=off instance, and is refused by an x-pi=on one */
	n = vtd_iommu_save(other, NULL, 0);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(vtd_iommu_save(other, buf, (size_t)n), n);
	uint32_t cl;
	memcpy(&cl, buf + 16, 4);
	const char *key = ",x-pi=off";
	size_t k = strlen(key), off = 0;
	for (size_t i = 20; i + k <= 20 + cl; i++)
		if (!memcmp(buf + i, key, k))
			off = i;
	assert_true(off != 0);
	uint8_t *at = buf + off;
	memmove(at, at + k, (size_t)n - off - k);
	n -= (long)k;
	cl -= (uint32_t)k;
	uint32_t total = (uint32_t)n;
	memcpy(buf + 16, &cl, 4);
	memcpy(buf + 8, &total, 4);
	uint32_t crc = vtd_crc32(buf + 16, (size_t)n - 16);
	memcpy(buf + 12, &crc, 4);
	assert_int_equal(vtd_iommu_load(other, buf, (size_t)n, &e), 0);
	assert_int_equal(vtd_iommu_load(same, buf, (size_t)n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "saved with another configuration"));
	free(buf);
	vtd_iommu_free(same);
	vtd_iommu_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_post_and_notify, guest_teardown),
		cmocka_unit_test_teardown(test_suppress_and_urgent, guest_teardown),
		cmocka_unit_test_teardown(test_pid_reserved, guest_teardown),
		cmocka_unit_test_teardown(test_pid_x2apic, guest_teardown),
		cmocka_unit_test_teardown(test_pid_unreadable, guest_teardown),
		cmocka_unit_test_teardown(test_irte_checks, guest_teardown),
		cmocka_unit_test_teardown(test_source_id, guest_teardown),
		cmocka_unit_test_teardown(test_iec, guest_teardown),
		cmocka_unit_test_teardown(test_mem_ops_cmpxchg, guest_teardown),
		cmocka_unit_test_teardown(test_mem_ops_read_write, guest_teardown),
		cmocka_unit_test_teardown(test_mem_ops_busy, guest_teardown),
		cmocka_unit_test_teardown(test_concurrent_posting, guest_teardown),
		cmocka_unit_test_teardown(test_concurrent_with_guest, guest_teardown),
		cmocka_unit_test_teardown(test_state, guest_teardown),
	};
	return cmocka_run_group_tests_name("pi", tests, NULL, NULL);
}
