/* SPDX-License-Identifier: MIT */
/*
 * The register window: reset values, access rules (RO, reserved, W1C,
 * write-only, 32/64-bit halves, bad accesses), GCMD commands, register-based
 * invalidation, fault recording and fault events, reset, object creation and
 * register names.
 *
 * Expectations come from QEMU's vtd_init() and vtd_handle_*_write()
 * (hw/i386/intel_iommu.c in QEMU 10.0.2) and the VT-d spec chapter 10
 * (register descriptions), except where src/regs.c documents a deliberate
 * difference from QEMU (then libvtd's documented behaviour).
 */
#include "guest.h"
#include "fault.h"

#include <errno.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

#define CFG_DEFAULT ""
#define CFG_NOIR "intremap=off"
#define CFG_FLTS "x-scalable-mode=on,x-flts=on"
#define CFG_SVM "svm=on,device-iotlb=on,x-scalable-mode=on,x-flts=on,x-pasid-mode=on"

static const char *const reset_configs[] = { CFG_DEFAULT, CFG_NOIR, CFG_FLTS, CFG_SVM };

struct msi_log {
	unsigned count;
	uint64_t addr;
	uint32_t data;
};

static void log_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct msi_log *l = opaque;
	l->count++;
	l->addr = addr;
	l->data = data;
}

static const struct vtd_event_ops ev_ops = { .msi = log_msi };

static struct vtd_iommu *mk(const char *props, struct msi_log *log)
{
	struct vtd_iommu_opts o = { .events = log ? &ev_ops : NULL, .event_opaque = log };
	return iommu_new(props, &o);
}

#define assert_reg(s, off, size, exp) assert_reg_((s), (off), (size), (exp), __LINE__)
static void assert_reg_(struct vtd_iommu *s, uint64_t off, unsigned size, uint64_t exp,
			int line)
{
	uint64_t v = reg_rd(s, off, size);
	if (v != exp) {
		const char *n = vtd_reg_name(off & ~7ull);
		fail_msg("line %d: reg %#llx (%s) /%u reads %#llx, expected %#llx", line,
			 (unsigned long long)off, n ? n : "?", size, (unsigned long long)v,
			 (unsigned long long)exp);
	}
}

static void fault(struct vtd_iommu *s, uint16_t sid, uint8_t reason, uint64_t addr)
{
	struct vtd_fault_rec f;
	memset(&f, 0, sizeof(f));
	f.sid = sid;
	f.reason = reason;
	f.addr = addr;
	f.is_write = true;
	vtd_fault_record(s, &f);
}

/* Expected reset image of the whole window for a configuration. */
static uint64_t reset_expect(const struct vtd_iommu *s, unsigned off, unsigned size)
{
	uint8_t img[VTD_MMIO_WINDOW];
	memset(img, 0, sizeof(img));
	const struct vtd_config *c = vtd_iommu_config(s);
	uint64_t cap = vtd_caps_cap(c), ecap = vtd_caps_ecap(c);
	uint32_t ver = 0x10, im = 0x80000000u;
	memcpy(img + VTD_REG_VER, &ver, 4);
	memcpy(img + VTD_REG_CAP, &cap, 8);
	memcpy(img + VTD_REG_ECAP, &ecap, 8);
	memcpy(img + VTD_REG_FECTL, &im, 4);
	memcpy(img + VTD_REG_IECTL, &im, 4);
	if (vtd_ecap_prs(ecap))
		memcpy(img + VTD_REG_PECTL, &im, 4);
	uint64_t v = 0;
	memcpy(&v, img + off, size); /* little-endian host assumed (x86) */
	return v;
}

static void assert_reset_image(struct vtd_iommu *s, const char *what)
{
	for (unsigned size = 4; size <= 8; size += 4)
		for (unsigned off = 0; off < VTD_MMIO_WINDOW; off += size) {
			uint64_t v = reg_rd(s, off, size), exp = reset_expect(s, off, size);
			if (v != exp)
				fail_msg("%s: reset %#x/%u (%s) = %#llx, expected %#llx", what, off,
					 size, vtd_reg_name(off) ? vtd_reg_name(off) : "?",
					 (unsigned long long)v, (unsigned long long)exp);
		}
}

/* ---- 1. reset values ------------------------------------------------------ */

static void test_reset_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reset_configs) / sizeof(reset_configs[0]); i++) {
		struct msi_log log = { 0 };
		struct vtd_iommu *s = mk(reset_configs[i], &log);
		assert_reset_image(s, reset_configs[i]);
		/* spot values independent of reset_expect() */
		assert_reg(s, VTD_REG_VER, 4, 0x10);
		assert_reg(s, VTD_REG_FECTL, 4, 0x80000000u);
		assert_reg(s, VTD_REG_IECTL, 4, 0x80000000u);
		assert_reg(s, VTD_REG_GSTS, 4, 0);
		assert_int_equal(log.count, 0);
		vtd_iommu_free(s);
	}
}

static void test_reset_cap_ecap_literal(void **state)
{
	(void)state;
	/* values from test_caps.c's table ([R] rows) */
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	assert_reg(s, VTD_REG_CAP, 8, 0x80d2008c222f0606ull);
	assert_reg(s, VTD_REG_ECAP, 8, 0xf00f5aull);
	assert_reg(s, VTD_REG_CAP, 4, 0x222f0606ull);
	assert_reg(s, VTD_REG_CAP + 4, 4, 0x80d2008cull);
	vtd_iommu_free(s);
	s = mk(CFG_SVM, NULL);
	assert_reg(s, VTD_REG_ECAP, 8, 0x8d3a20f00f5eull);
	assert_reg(s, VTD_REG_PECTL, 4, 0x80000000u);
	vtd_iommu_free(s);
	s = mk(CFG_NOIR, NULL);
	assert_reg(s, VTD_REG_ECAP, 8, 0xf42ull);
	vtd_iommu_free(s);
}

static void test_irta_needs_ir(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	reg_wr(s, VTD_REG_IRTA, 8, ~0ull);
	assert_reg(s, VTD_REG_IRTA, 8, 0xfffffffffffff80full);
	reg_wr(s, VTD_REG_IRTA, 8, 0);
	reg_wr(s, VTD_REG_IRTA + 4, 4, 0x1234);
	assert_reg(s, VTD_REG_IRTA, 8, 0x123400000000ull);
	vtd_iommu_free(s);

	s = mk(CFG_NOIR, NULL);
	reg_wr(s, VTD_REG_IRTA, 8, ~0ull);
	assert_reg(s, VTD_REG_IRTA, 8, 0);
	reg_wr(s, VTD_REG_IRTA + 4, 4, 0xffffffff);
	assert_reg(s, VTD_REG_IRTA, 8, 0);
	vtd_iommu_free(s);
}

static const unsigned pr_regs[][2] = {
	{ VTD_REG_PQH, 8 }, { VTD_REG_PQT, 8 }, { VTD_REG_PQA, 8 }, { VTD_REG_PRS, 4 },
	{ VTD_REG_PECTL, 4 }, { VTD_REG_PEDATA, 4 }, { VTD_REG_PEADDR, 4 },
	{ VTD_REG_PEUADDR, 4 },
};

static void test_page_request_regs_absent(void **state)
{
	(void)state;
	const char *cfgs[] = { CFG_DEFAULT, CFG_FLTS };
	for (size_t c = 0; c < 2; c++) {
		struct msi_log log = { 0 };
		struct vtd_iommu *s = mk(cfgs[c], &log);
		for (size_t i = 0; i < sizeof(pr_regs) / sizeof(pr_regs[0]); i++) {
			reg_wr(s, pr_regs[i][0], pr_regs[i][1], ~0ull);
			assert_reg(s, pr_regs[i][0], pr_regs[i][1], 0);
		}
		/* a PECTL write with nothing defined raises nothing */
		reg_wr(s, VTD_REG_PECTL, 4, 0);
		assert_int_equal(log.count, 0);
		vtd_iommu_free(s);
	}
}

static void test_page_request_regs_present(void **state)
{
	(void)state;
	struct msi_log log = { 0 };
	struct vtd_iommu *s = mk(CFG_SVM, &log);
	reg_wr(s, VTD_REG_PQH, 8, ~0ull);
	assert_reg(s, VTD_REG_PQH, 8, 0x7ffe0);
	reg_wr(s, VTD_REG_PQT, 8, ~0ull);
	assert_reg(s, VTD_REG_PQT, 8, 0x7ffe0);
	reg_wr(s, VTD_REG_PQA, 8, ~0ull);
	assert_reg(s, VTD_REG_PQA, 8, 0xfffffffffffff007ull);
	reg_wr(s, VTD_REG_PEDATA, 4, ~0ull);
	assert_reg(s, VTD_REG_PEDATA, 4, 0xffff);
	reg_wr(s, VTD_REG_PEADDR, 4, ~0ull);
	assert_reg(s, VTD_REG_PEADDR, 4, 0xfffffffc);
	reg_wr(s, VTD_REG_PEUADDR, 4, ~0ull); /* EIM=1 in this configuration */
	assert_reg(s, VTD_REG_PEUADDR, 4, 0xffffffff);
	/* PRS: RO except W1C PPR/PRO */
	reg_wr(s, VTD_REG_PRS, 4, ~0ull);
	assert_reg(s, VTD_REG_PRS, 4, 0);
	vtd_set_l(s, VTD_REG_PRS, VTD_PRS_PPR | VTD_PRS_PRO);
	reg_wr(s, VTD_REG_PRS, 4, 0);
	assert_reg(s, VTD_REG_PRS, 4, 3);
	reg_wr(s, VTD_REG_PRS, 4, VTD_PRS_PRO);
	assert_reg(s, VTD_REG_PRS, 4, VTD_PRS_PPR);
	/* PECTL: only IM writable; IP is hardware's */
	reg_wr(s, VTD_REG_PECTL, 4, ~0ull);
	assert_reg(s, VTD_REG_PECTL, 4, 0x80000000u);
	/* pending page-request event delivered on unmask */
	vtd_set_clear_l(s, VTD_REG_PECTL, VTD_ECTL_IP, 0);
	reg_wr(s, VTD_REG_PEDATA, 4, 0x55);
	reg_wr(s, VTD_REG_PEADDR, 4, 0xfee01000);
	reg_wr(s, VTD_REG_PEUADDR, 4, 0);
	reg_wr(s, VTD_REG_PECTL, 4, 0);
	assert_int_equal(log.count, 1);
	assert_int_equal(log.addr, 0xfee01000);
	assert_int_equal(log.data, 0x55);
	assert_reg(s, VTD_REG_PECTL, 4, 0);
	vtd_iommu_free(s);
}

/* ---- 2. access rules ------------------------------------------------------ */

static void test_readonly_regs(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	static const unsigned ro64[] = { VTD_REG_CAP, VTD_REG_ECAP, VTD_REG_IQH, VTD_REG_IQERCD,
					 VTD_REG_FRCD, VTD_REG_AFLOG, VTD_REG_PHMBASE,
					 VTD_REG_PHMLIMIT, VTD_REG_MTRRCAP, VTD_REG_MTRRDEF };
	static const unsigned ro32[] = { VTD_REG_VER, VTD_REG_GSTS, VTD_REG_PMEN,
					 VTD_REG_PLMBASE, VTD_REG_PLMLIMIT, VTD_REG_FSTS };
	for (size_t i = 0; i < sizeof(ro64) / sizeof(ro64[0]); i++) {
		uint64_t before = reg_rd(s, ro64[i], 8);
		reg_wr(s, ro64[i], 8, ~0ull);
		assert_reg(s, ro64[i], 8, before);
		reg_wr(s, ro64[i], 4, 0x5a5a5a5a);
		reg_wr(s, ro64[i] + 4, 4, 0xa5a5a5a5);
		assert_reg(s, ro64[i], 8, before);
		reg_wr(s, ro64[i], 8, 0);
		assert_reg(s, ro64[i], 8, before);
	}
	for (size_t i = 0; i < sizeof(ro32) / sizeof(ro32[0]); i++) {
		uint64_t before = reg_rd(s, ro32[i], 4);
		reg_wr(s, ro32[i], 4, ~0ull);
		assert_reg(s, ro32[i], 4, before);
		reg_wr(s, ro32[i], 4, 0);
		assert_reg(s, ro32[i], 4, before);
	}
	assert_reg(s, VTD_REG_VER, 4, 0x10);
	/* FRCD low holds a recorded fault and is still read-only */
	fault(s, 0x10, 5, 0xabc000);
	reg_wr(s, VTD_REG_FRCD, 8, 0);
	assert_reg(s, VTD_REG_FRCD, 8, 0xabc000);
	/* GSTS keeps what hardware set */
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_TE);
	reg_wr(s, VTD_REG_GSTS, 4, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_TES);
	/* IQH keeps what hardware set */
	vtd_set_q(s, VTD_REG_IQH, 0x40);
	reg_wr(s, VTD_REG_IQH, 8, 0);
	assert_reg(s, VTD_REG_IQH, 8, 0x40);
	vtd_iommu_free(s);
}

static void test_reserved_bits_read_zero(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	static const struct {
		unsigned off, size;
		uint64_t mask;
	} rw[] = {
		{ VTD_REG_RTADDR, 8, 0xfffffffffffffc00ull },
		{ VTD_REG_FECTL, 4, 0x80000000u },
		{ VTD_REG_FEDATA, 4, 0xffff },
		{ VTD_REG_FEADDR, 4, 0xfffffffc },
		{ VTD_REG_IQT, 8, 0x7fff0 },
		{ VTD_REG_IQA, 8, 0xfffffffffffff807ull },
		{ VTD_REG_IECTL, 4, 0x80000000u },
		{ VTD_REG_IEDATA, 4, 0xffffffff },
		{ VTD_REG_IEADDR, 4, 0xfffffffc },
		{ VTD_REG_IRTA, 8, 0xfffffffffffff80full },
	};
	for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
		reg_wr(s, rw[i].off, rw[i].size, ~0ull);
		assert_reg(s, rw[i].off, rw[i].size, rw[i].mask);
		reg_wr(s, rw[i].off, rw[i].size, 0);
		assert_reg(s, rw[i].off, rw[i].size, 0);
	}
	/* CCMD without ICC: CIRG and DID read back, SID/FM write-only, CAIG RO */
	reg_wr(s, VTD_REG_CCMD, 8, 0x7fffffffffffffffull);
	assert_reg(s, VTD_REG_CCMD, 8, 0x600000000000ffffull);
	/* IOTLB without IVT: IIRG, DR, DW, DID read back, IAIG RO */
	reg_wr(s, VTD_REG_IOTLB, 8, 0x7fffffffffffffffull);
	assert_reg(s, VTD_REG_IOTLB, 8, 0x3003ffff00000000ull);
	vtd_iommu_free(s);
}

static void test_write_only_regs(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_TE | VTD_GCMD_QIE);
	assert_reg(s, VTD_REG_GCMD, 4, 0);
	/* 64-bit view of GCMD|GSTS: GCMD half reads 0 */
	assert_reg(s, VTD_REG_GCMD, 8, (uint64_t)(VTD_GSTS_TES | VTD_GSTS_QIES) << 32);
	reg_wr(s, VTD_REG_IVA, 8, ~0ull);
	assert_reg(s, VTD_REG_IVA, 8, 0);
	assert_reg(s, VTD_REG_IVA, 4, 0);
	assert_reg(s, VTD_REG_IVA + 4, 4, 0);
	/* CCMD: FM (33:32) and SID (31:16) read 0, DID does not */
	reg_wr(s, VTD_REG_CCMD, 8, 0x00000003abcd1234ull);
	assert_reg(s, VTD_REG_CCMD, 8, 0x1234);
	assert_reg(s, VTD_REG_CCMD + 4, 4, 0);
	vtd_iommu_free(s);
}

static void test_fsts_w1c(void **state)
{
	(void)state;
	const uint32_t all = VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE | VTD_FSTS_ICE |
			     VTD_FSTS_ITE;
	/* device-iotlb=off: PFO, IQE W1C; PPF, ICE, ITE not */
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	vtd_set_l(s, VTD_REG_FSTS, all);
	reg_wr(s, VTD_REG_FSTS, 4, 0);
	assert_reg(s, VTD_REG_FSTS, 4, all);
	reg_wr(s, VTD_REG_FSTS, 4, VTD_FSTS_PFO);
	assert_reg(s, VTD_REG_FSTS, 4, all & ~VTD_FSTS_PFO);
	reg_wr(s, VTD_REG_FSTS, 4, VTD_FSTS_IQE);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF | VTD_FSTS_ICE | VTD_FSTS_ITE);
	reg_wr(s, VTD_REG_FSTS, 4, ~0ull);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF | VTD_FSTS_ICE | VTD_FSTS_ITE);
	vtd_iommu_free(s);

	/* device-iotlb=on: ICE, ITE W1C too */
	s = mk("device-iotlb=on", NULL);
	vtd_set_l(s, VTD_REG_FSTS, all);
	reg_wr(s, VTD_REG_FSTS, 4, 0);
	assert_reg(s, VTD_REG_FSTS, 4, all);
	reg_wr(s, VTD_REG_FSTS, 4, VTD_FSTS_ICE);
	assert_reg(s, VTD_REG_FSTS, 4, all & ~VTD_FSTS_ICE);
	reg_wr(s, VTD_REG_FSTS, 4, ~0ull);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF);
	vtd_iommu_free(s);
}

static void test_ics_w1c(void **state)
{
	(void)state;
	struct msi_log log = { 0 };
	struct vtd_iommu *s = mk(CFG_DEFAULT, &log);
	vtd_set_l(s, VTD_REG_ICS, VTD_ICS_IWC);
	vtd_set_clear_l(s, VTD_REG_IECTL, VTD_ECTL_IP, 0);
	reg_wr(s, VTD_REG_ICS, 4, 0);
	assert_reg(s, VTD_REG_ICS, 4, 1);
	assert_reg(s, VTD_REG_IECTL, 4, VTD_ECTL_IM | VTD_ECTL_IP);
	reg_wr(s, VTD_REG_ICS, 4, ~0ull & ~1ull);
	assert_reg(s, VTD_REG_ICS, 4, 1);
	reg_wr(s, VTD_REG_ICS, 4, 1);
	assert_reg(s, VTD_REG_ICS, 4, 0);
	/* IWC cleared: the pending completion event is withdrawn */
	assert_reg(s, VTD_REG_IECTL, 4, VTD_ECTL_IM);
	reg_wr(s, VTD_REG_IECTL, 4, 0);
	assert_int_equal(log.count, 0);
	/* IECTL pending + unmask -> MSI to IEADDR/IEUADDR with IEDATA */
	vtd_set_clear_l(s, VTD_REG_IECTL, VTD_ECTL_IP | VTD_ECTL_IM, 0);
	reg_wr(s, VTD_REG_IEDATA, 4, 0xdeadbeef);
	reg_wr(s, VTD_REG_IEADDR, 4, 0xfee00004);
	reg_wr(s, VTD_REG_IEUADDR, 4, 0x7);
	reg_wr(s, VTD_REG_IECTL, 4, 0);
	assert_int_equal(log.count, 1);
	assert_int_equal(log.addr, 0x7fee00004ull);
	assert_int_equal(log.data, 0xdeadbeef);
	assert_reg(s, VTD_REG_IECTL, 4, 0);
	vtd_iommu_free(s);
}

static void test_frcd_f_w1c(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	fault(s, 0x0203, 6, 0x1000);
	uint64_t hi = reg_rd(s, VTD_REG_FRCD + 8, 8);
	assert_true(hi & VTD_FRCD_F);
	/* writing 0, or ones to non-F bits, changes nothing */
	reg_wr(s, VTD_REG_FRCD + 12, 4, 0);
	reg_wr(s, VTD_REG_FRCD + 12, 4, 0x7fffffff);
	reg_wr(s, VTD_REG_FRCD + 8, 4, 0xffffffff);
	reg_wr(s, VTD_REG_FRCD + 8, 8, 0x7fffffffffffffffull);
	assert_reg(s, VTD_REG_FRCD + 8, 8, hi);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF);
	/* W1C on F */
	reg_wr(s, VTD_REG_FRCD + 12, 4, 0x80000000u);
	assert_reg(s, VTD_REG_FRCD + 8, 8, hi & ~VTD_FRCD_F);
	vtd_iommu_free(s);
}

static void test_uaddr_needs_eim(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL); /* split irqchip: EIM on */
	assert_int_equal(vtd_ecap_eim(reg_rd(s, VTD_REG_ECAP, 8)), 1);
	reg_wr(s, VTD_REG_FEUADDR, 4, 0x12345678);
	reg_wr(s, VTD_REG_IEUADDR, 4, 0x9abcdef0);
	assert_reg(s, VTD_REG_FEUADDR, 4, 0x12345678);
	assert_reg(s, VTD_REG_IEUADDR, 4, 0x9abcdef0);
	/* 64-bit write to FEADDR covers FEUADDR too */
	reg_wr(s, VTD_REG_FEADDR, 8, 0x00000001fee00003ull);
	assert_reg(s, VTD_REG_FEADDR, 8, 0x00000001fee00000ull);
	vtd_iommu_free(s);

	const char *noeim[] = { "kernel-irqchip=off", CFG_NOIR, "eim=off" };
	for (size_t i = 0; i < 3; i++) {
		s = mk(noeim[i], NULL);
		assert_int_equal(vtd_ecap_eim(reg_rd(s, VTD_REG_ECAP, 8)), 0);
		reg_wr(s, VTD_REG_FEUADDR, 4, 0x12345678);
		reg_wr(s, VTD_REG_IEUADDR, 4, 0x9abcdef0);
		assert_reg(s, VTD_REG_FEUADDR, 4, 0);
		assert_reg(s, VTD_REG_IEUADDR, 4, 0);
		reg_wr(s, VTD_REG_FEADDR, 8, 0xfffffffffee00000ull);
		assert_reg(s, VTD_REG_FEADDR, 8, 0xfee00000ull);
		vtd_iommu_free(s);
	}
}

static void test_32bit_halves(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	reg_wr(s, VTD_REG_RTADDR, 4, 0x12345c00);
	assert_reg(s, VTD_REG_RTADDR, 8, 0x12345c00);
	reg_wr(s, VTD_REG_RTADDR + 4, 4, 0xabc);
	assert_reg(s, VTD_REG_RTADDR, 8, 0x00000abc12345c00ull);
	assert_reg(s, VTD_REG_RTADDR, 4, 0x12345c00);
	assert_reg(s, VTD_REG_RTADDR + 4, 4, 0xabc);
	/* a lower-half write leaves the upper half alone, and vice versa */
	reg_wr(s, VTD_REG_RTADDR, 4, 0x7000);
	assert_reg(s, VTD_REG_RTADDR, 8, 0x00000abc00007000ull);
	reg_wr(s, VTD_REG_RTADDR + 4, 4, 0x1);
	assert_reg(s, VTD_REG_RTADDR, 8, 0x0000000100007000ull);
	/* a 32-bit write never carries bits above 31 */
	reg_wr(s, VTD_REG_RTADDR, 4, 0xffffffff00001000ull);
	assert_reg(s, VTD_REG_RTADDR, 8, 0x0000000100001000ull);
	/* same on IQA */
	reg_wr(s, VTD_REG_IQA + 4, 4, 0x5);
	reg_wr(s, VTD_REG_IQA, 4, 0x6000 | 3);
	assert_reg(s, VTD_REG_IQA, 8, 0x0000000500006003ull);
	/* 64-bit read of a 32-bit pair */
	reg_wr(s, VTD_REG_FEDATA, 4, 0x4321);
	assert_reg(s, VTD_REG_FECTL, 8, 0x0000432180000000ull);
	vtd_iommu_free(s);
}

static void test_bad_access(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	reg_wr(s, VTD_REG_RTADDR, 8, 0x5000);
	reg_wr(s, VTD_REG_FEDATA, 4, 0x11);
	static const unsigned bad_sizes[] = { 0, 1, 2, 3, 5, 6, 7, 16 };
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		uint64_t v = 0xdeadbeef;
		assert_int_equal(vtd_iommu_mmio_read(s, VTD_REG_RTADDR, bad_sizes[i], &v), -EINVAL);
		assert_int_equal(v, 0);
		assert_int_equal(vtd_iommu_mmio_write(s, VTD_REG_RTADDR, bad_sizes[i], ~0ull),
				 -EINVAL);
		assert_int_equal(vtd_iommu_mmio_write(s, VTD_REG_FEDATA, bad_sizes[i], ~0ull),
				 -EINVAL);
		assert_int_equal(vtd_iommu_mmio_write(s, VTD_REG_GCMD, bad_sizes[i], ~0ull),
				 -EINVAL);
	}
	static const struct {
		uint64_t off;
		unsigned size;
	} bad[] = {
		{ VTD_REG_RTADDR + 4, 8 }, { VTD_REG_RTADDR + 2, 4 }, { VTD_REG_RTADDR + 1, 4 },
		{ VTD_REG_GCMD + 2, 4 }, { VTD_REG_GCMD, 8 + 8 }, { VTD_REG_FEDATA - 1, 4 },
		{ 0x1000, 4 }, { 0x1000, 8 }, { 0x1ffc, 4 }, { 0x100000020ull, 8 },
		{ 0x10000003cull, 4 }, { ~0ull & ~7ull, 8 }, { ~0ull & ~3ull, 4 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 0xdeadbeef;
		if (vtd_iommu_mmio_read(s, bad[i].off, bad[i].size, &v) != -EINVAL)
			fail_msg("read %#llx/%u accepted", (unsigned long long)bad[i].off,
				 bad[i].size);
		assert_int_equal(v, 0);
		if (vtd_iommu_mmio_write(s, bad[i].off, bad[i].size, ~0ull) != -EINVAL)
			fail_msg("write %#llx/%u accepted", (unsigned long long)bad[i].off,
				 bad[i].size);
	}
	/* nothing changed */
	assert_reg(s, VTD_REG_RTADDR, 8, 0x5000);
	assert_reg(s, VTD_REG_FEDATA, 4, 0x11);
	assert_reg(s, VTD_REG_GSTS, 4, 0);
	assert_reg(s, VTD_REG_FECTL, 4, VTD_ECTL_IM);
	assert_int_equal(s->dmar_enabled, false);
	assert_int_equal(s->root, 0);
	vtd_iommu_free(s);
}

static void test_hole_after_regs(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	static const uint64_t offs[] = { 0x230, 0x234, 0x238, 0x300, 0x400, 0x800, 0xff8, 0xffc };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		for (unsigned size = 4; size <= 8; size += 4) {
			if (offs[i] & (size - 1))
				continue;
			assert_int_equal(vtd_iommu_mmio_write(s, offs[i], size, ~0ull), 0);
			uint64_t v = 0xdeadbeef;
			assert_int_equal(vtd_iommu_mmio_read(s, offs[i], size, &v), 0);
			assert_int_equal(v, 0);
		}
	/* the writes touched nothing, and the last register is still there */
	assert_reset_image(s, "after hole writes");
	fault(s, 0x42, 1, 0x2000);
	assert_reg(s, VTD_REG_FRCD + 8, 8, VTD_FRCD_F | (1ull << 32) | 0x42);
	vtd_iommu_free(s);
}

static void test_null_safe(void **state)
{
	(void)state;
	uint64_t v = 1;
	assert_int_equal(vtd_iommu_mmio_read(NULL, 0, 4, &v), -EINVAL);
	assert_int_equal(vtd_iommu_mmio_write(NULL, 0, 4, 0), -EINVAL);
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	assert_int_equal(vtd_iommu_mmio_read(s, 0, 4, NULL), -EINVAL);
	assert_int_equal(vtd_iommu_mmio_read(s, 0x2000, 4, NULL), -EINVAL);
	vtd_iommu_reset(NULL);
	vtd_iommu_free(NULL);
	assert_null(vtd_iommu_config(NULL));
	assert_null(vtd_reg_name(0x4));
	/* no event ops: a fault event with IM=0 must not crash */
	reg_wr(s, VTD_REG_FECTL, 4, 0);
	fault(s, 1, 1, 0);
	assert_reg(s, VTD_REG_FECTL, 4, 0);
	vtd_iommu_free(s);
	struct vtd_error e;
	assert_int_equal(vtd_iommu_new(NULL, NULL, NULL, &e), -EINVAL);
	/* NULL config means defaults; NULL err is allowed */
	s = NULL;
	assert_int_equal(vtd_iommu_new(NULL, NULL, &s, NULL), 0);
	assert_non_null(s);
	assert_int_equal(vtd_iommu_config(s)->intremap, VTD_ON);
	assert_reg(s, VTD_REG_ECAP, 8, 0xf00f5aull);
	vtd_iommu_free(s);
}

/* ---- 3. GCMD --------------------------------------------------------------- */

static void test_gcmd_srtp_legacy(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL); /* aw-bits=48 */
	reg_wr(s, VTD_REG_RTADDR, 8, 0xffff123456789000ull | VTD_RTADDR_SMT);
	assert_int_equal(s->root, 0);
	assert_reg(s, VTD_REG_GSTS, 4, 0);
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_SRTP);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_RTPS);
	assert_int_equal(s->root, 0x123456789000ull);
	assert_false(s->root_scalable); /* not in scalable mode */
	/* RTADDR reads the raw value */
	assert_reg(s, VTD_REG_RTADDR, 8, 0xffff123456789400ull);
	/* new RTADDR is not used until the next SRTP */
	reg_wr(s, VTD_REG_RTADDR, 8, 0xabc000);
	assert_int_equal(s->root, 0x123456789000ull);
	reg_wr(s, VTD_REG_GCMD, 4, 0);
	assert_int_equal(s->root, 0x123456789000ull);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_RTPS); /* RTPS stays */
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_SRTP);
	assert_int_equal(s->root, 0xabc000);
	vtd_iommu_free(s);

	s = mk("aw-bits=39", NULL);
	reg_wr(s, VTD_REG_RTADDR, 8, 0x0000ff8000001000ull);
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_SRTP);
	assert_int_equal(s->root, 0x1000);
	vtd_iommu_free(s);
}

static void test_gcmd_srtp_scalable(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_FLTS, NULL);
	reg_wr(s, VTD_REG_RTADDR, 8, 0x7000 | VTD_RTADDR_SMT);
	assert_false(s->root_scalable);
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_SRTP);
	assert_true(s->root_scalable);
	assert_int_equal(s->root, 0x7000);
	/* TTM back to legacy: latched only on SRTP */
	reg_wr(s, VTD_REG_RTADDR, 8, 0x8000);
	assert_true(s->root_scalable);
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_SRTP);
	assert_false(s->root_scalable);
	assert_int_equal(s->root, 0x8000);
	vtd_iommu_free(s);
}

static void test_gcmd_te(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	gcmd_cmd(s, VTD_GCMD_TE, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_TES);
	assert_true(s->dmar_enabled);
	gcmd_cmd(s, VTD_GCMD_TE, 0); /* again: no change */
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_TES);
	gcmd_cmd(s, 0, VTD_GCMD_TE);
	assert_reg(s, VTD_REG_GSTS, 4, 0);
	assert_false(s->dmar_enabled);
	vtd_iommu_free(s);

	s = mk("dma-translation=off", NULL);
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_TE);
	assert_reg(s, VTD_REG_GSTS, 4, 0);
	assert_false(s->dmar_enabled);
	/* other commands still work */
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_TE | VTD_GCMD_SRTP);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_RTPS);
	vtd_iommu_free(s);
}

static void test_gcmd_qie_legacy(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	for (unsigned qs = 0; qs < 8; qs++) {
		reg_wr(s, VTD_REG_IQA, 8, 0xffff000012345000ull | VTD_IQA_DW | qs);
		gcmd_cmd(s, VTD_GCMD_QIE, 0);
		assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_QIES);
		assert_true(s->qi_enabled);
		assert_int_equal(s->iq, 0x12345000ull);
		assert_false(s->iq_dw); /* DW ignored without scalable mode */
		assert_int_equal(s->iq_size, 1u << (qs + 8));
		/* IQA reads back what was written (libvtd) */
		assert_reg(s, VTD_REG_IQA, 8, 0xffff000012345800ull | qs);
		/* later IQA writes are not latched */
		reg_wr(s, VTD_REG_IQA, 8, 0x99000);
		assert_int_equal(s->iq, 0x12345000ull);
		/* disable: QIES and IQH cleared */
		vtd_set_q(s, VTD_REG_IQH, 0x30);
		s->iq_head = 3;
		gcmd_cmd(s, 0, VTD_GCMD_QIE);
		assert_reg(s, VTD_REG_GSTS, 4, 0);
		assert_false(s->qi_enabled);
		assert_reg(s, VTD_REG_IQH, 8, 0);
		assert_int_equal(s->iq_head, 0);
	}
	vtd_iommu_free(s);
}

static void test_gcmd_qie_scalable(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_FLTS, NULL);
	reg_wr(s, VTD_REG_IQA, 8, 0x40000 | VTD_IQA_DW | 2);
	gcmd_cmd(s, VTD_GCMD_QIE, 0);
	assert_true(s->iq_dw);
	assert_int_equal(s->iq, 0x40000);
	assert_int_equal(s->iq_size, 1u << (2 + 7)); /* 256-bit descriptors */
	gcmd_cmd(s, 0, VTD_GCMD_QIE);
	reg_wr(s, VTD_REG_IQA, 8, 0x40000 | 2);
	gcmd_cmd(s, VTD_GCMD_QIE, 0);
	assert_false(s->iq_dw);
	assert_int_equal(s->iq_size, 1u << (2 + 8));
	vtd_iommu_free(s);
}

static void test_gcmd_interrupt_remapping(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL); /* IR + EIM */
	reg_wr(s, VTD_REG_IRTA, 8, 0xabcde000ull | VTD_IRTA_EIME | 0xf);
	gcmd_cmd(s, VTD_GCMD_SIRTP, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_IRTPS);
	assert_int_equal(s->intr_root, 0xabcde000ull);
	assert_int_equal(s->intr_size, 65536);
	assert_true(s->intr_eime);
	/* IRTA latched only on SIRTP */
	reg_wr(s, VTD_REG_IRTA, 8, 0x5000 | 3);
	assert_int_equal(s->intr_root, 0xabcde000ull);
	gcmd_cmd(s, VTD_GCMD_SIRTP, 0);
	assert_int_equal(s->intr_root, 0x5000);
	assert_int_equal(s->intr_size, 16);
	assert_false(s->intr_eime);
	gcmd_cmd(s, VTD_GCMD_IRE, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_IRTPS | VTD_GSTS_IRES);
	assert_true(s->intr_enabled);
	gcmd_cmd(s, VTD_GCMD_CFI, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_IRTPS | VTD_GSTS_IRES | VTD_GSTS_CFIS);
	gcmd_cmd(s, 0, VTD_GCMD_CFI);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_IRTPS | VTD_GSTS_IRES);
	gcmd_cmd(s, 0, VTD_GCMD_IRE);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_IRTPS);
	assert_false(s->intr_enabled);
	vtd_iommu_free(s);

	/* EIME ignored without ECAP.EIM */
	s = mk("kernel-irqchip=off", NULL);
	reg_wr(s, VTD_REG_IRTA, 8, 0x5000 | VTD_IRTA_EIME);
	gcmd_cmd(s, VTD_GCMD_SIRTP, 0);
	assert_false(s->intr_eime);
	assert_int_equal(s->intr_size, 2);
	vtd_iommu_free(s);

	/* intremap=off: IRE/SIRTP/CFI do nothing */
	s = mk(CFG_NOIR, NULL);
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_IRE | VTD_GCMD_SIRTP | VTD_GCMD_CFI);
	assert_reg(s, VTD_REG_GSTS, 4, 0);
	assert_false(s->intr_enabled);
	assert_int_equal(s->intr_size, 0);
	vtd_iommu_free(s);
}

static void test_gcmd_no_status_bits(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_SFL | VTD_GCMD_EAFL | VTD_GCMD_WBF);
	assert_reg(s, VTD_REG_GSTS, 4, 0);
	gcmd_cmd(s, VTD_GCMD_TE, 0);
	gcmd_cmd(s, VTD_GCMD_WBF, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_TES);
	gcmd_cmd(s, VTD_GCMD_SFL, 0);
	gcmd_cmd(s, VTD_GCMD_EAFL, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_TES);
	/* bits below 23 do not exist */
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_TE | 0x7fffff);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_TES);
	vtd_iommu_free(s);
}

static void test_gcmd_multi_bits(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	reg_wr(s, VTD_REG_RTADDR, 8, 0x3000);
	reg_wr(s, VTD_REG_IQA, 8, 0x4000);
	reg_wr(s, VTD_REG_IRTA, 8, 0x5000);
	reg_wr(s, VTD_REG_GCMD, 4,
	       VTD_GCMD_TE | VTD_GCMD_SRTP | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_SIRTP |
	       VTD_GCMD_CFI);
	assert_reg(s, VTD_REG_GSTS, 4,
		   VTD_GSTS_TES | VTD_GSTS_RTPS | VTD_GSTS_QIES | VTD_GSTS_IRES | VTD_GSTS_IRTPS |
			   VTD_GSTS_CFIS);
	assert_int_equal(s->root, 0x3000);
	assert_int_equal(s->iq, 0x4000);
	assert_int_equal(s->intr_root, 0x5000);
	assert_true(s->dmar_enabled && s->qi_enabled && s->intr_enabled);
	/* all persistent bits off at once; one-shot statuses remain */
	reg_wr(s, VTD_REG_GCMD, 4, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_RTPS | VTD_GSTS_IRTPS);
	assert_false(s->dmar_enabled || s->qi_enabled || s->intr_enabled);
	/* a 64-bit write at GCMD is a GCMD write */
	reg_wr(s, VTD_REG_GCMD, 8, VTD_GCMD_TE | VTD_GCMD_QIE | 0xffffffff00000000ull);
	assert_reg(s, VTD_REG_GSTS, 4,
		   VTD_GSTS_RTPS | VTD_GSTS_IRTPS | VTD_GSTS_TES | VTD_GSTS_QIES);
	vtd_iommu_free(s);
}

static void test_gcmd_linux_pattern(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	/* intel_setup_irq_remapping / iommu_set_root_entry / enable order */
	reg_wr(s, VTD_REG_IQA, 8, 0x10000);
	gcmd_cmd(s, VTD_GCMD_QIE, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_QIES);
	reg_wr(s, VTD_REG_IRTA, 8, 0x20000 | VTD_IRTA_EIME | 7);
	gcmd_cmd(s, VTD_GCMD_SIRTP, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_QIES | VTD_GSTS_IRTPS);
	gcmd_cmd(s, VTD_GCMD_IRE, 0);
	assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_QIES | VTD_GSTS_IRTPS | VTD_GSTS_IRES);
	reg_wr(s, VTD_REG_RTADDR, 8, 0x30000);
	gcmd_cmd(s, VTD_GCMD_SRTP, 0);
	assert_reg(s, VTD_REG_GSTS, 4,
		   VTD_GSTS_QIES | VTD_GSTS_IRTPS | VTD_GSTS_IRES | VTD_GSTS_RTPS);
	gcmd_cmd(s, VTD_GCMD_TE, 0);
	uint32_t all = VTD_GSTS_QIES | VTD_GSTS_IRTPS | VTD_GSTS_IRES | VTD_GSTS_RTPS |
		       VTD_GSTS_TES;
	assert_reg(s, VTD_REG_GSTS, 4, all);
	/* latched state untouched by the persistent-bit rewrites */
	assert_int_equal(s->iq, 0x10000);
	assert_int_equal(s->iq_size, 256);
	assert_int_equal(s->intr_root, 0x20000);
	assert_int_equal(s->root, 0x30000);
	/* SRTP again while TE is on: new root, TE stays */
	reg_wr(s, VTD_REG_RTADDR, 8, 0x40000);
	gcmd_cmd(s, VTD_GCMD_SRTP, 0);
	assert_int_equal(s->root, 0x40000);
	assert_reg(s, VTD_REG_GSTS, 4, all);
	assert_true(s->dmar_enabled);
	/* write the raw GSTS back (as some guests do): nothing toggles */
	reg_wr(s, VTD_REG_IQA, 8, 0x50000);
	reg_wr(s, VTD_REG_GCMD, 4, gsts(s) & ~(VTD_GSTS_RTPS | VTD_GSTS_IRTPS));
	assert_reg(s, VTD_REG_GSTS, 4, all);
	assert_int_equal(s->iq, 0x10000);
	/* disable one: only that one goes */
	gcmd_cmd(s, 0, VTD_GCMD_IRE);
	assert_reg(s, VTD_REG_GSTS, 4, all & ~VTD_GSTS_IRES);
	gcmd_cmd(s, 0, VTD_GCMD_TE);
	assert_reg(s, VTD_REG_GSTS, 4, all & ~(VTD_GSTS_IRES | VTD_GSTS_TES));
	assert_true(s->qi_enabled);
	vtd_iommu_free(s);
}

/* ---- 4. register-based invalidation ---------------------------------------- */

static void test_ccmd_granularity(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	for (unsigned g = 0; g < 4; g++) {
		reg_wr(s, VTD_REG_CCMD, 8,
		       VTD_CCMD_ICC | ((uint64_t)g << VTD_CCMD_CIRG_SHIFT) | (2ull << 32) |
			   0x00100042ull);
		/* ICC clear, CIRG kept, CAIG = granularity done, DID kept */
		assert_reg(s, VTD_REG_CCMD, 8,
			   ((uint64_t)g << VTD_CCMD_CIRG_SHIFT) |
				   ((uint64_t)g << VTD_CCMD_CAIG_SHIFT) | 0x42);
	}
	/* a write without ICC leaves CAIG as it was */
	reg_wr(s, VTD_REG_CCMD, 8, 1ull << VTD_CCMD_CIRG_SHIFT);
	assert_reg(s, VTD_REG_CCMD, 8, (1ull << VTD_CCMD_CIRG_SHIFT) | (3ull << VTD_CCMD_CAIG_SHIFT));
	/* CAIG itself is not writable */
	reg_wr(s, VTD_REG_CCMD, 8, 0);
	assert_reg(s, VTD_REG_CCMD, 8, 3ull << VTD_CCMD_CAIG_SHIFT);
	vtd_iommu_free(s);
}

static void test_ccmd_trigger_halves(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	/* an ICC left pending (as if software had written the upper half while
	 * QI was on); a lower-half write alone must not start it */
	vtd_set_q(s, VTD_REG_CCMD, VTD_CCMD_ICC | (1ull << VTD_CCMD_CIRG_SHIFT));
	reg_wr(s, VTD_REG_CCMD, 4, 0x0001);
	assert_reg(s, VTD_REG_CCMD, 8, VTD_CCMD_ICC | (1ull << VTD_CCMD_CIRG_SHIFT) | 1);
	/* upper-half write starts it, with the lower half already written */
	reg_wr(s, VTD_REG_CCMD, 4, 0x00080007);
	reg_wr(s, VTD_REG_CCMD + 4, 4, (uint32_t)((VTD_CCMD_ICC | (3ull << VTD_CCMD_CIRG_SHIFT)) >> 32));
	assert_reg(s, VTD_REG_CCMD, 8, (3ull << VTD_CCMD_CIRG_SHIFT) | (3ull << VTD_CCMD_CAIG_SHIFT) | 7);
	vtd_iommu_free(s);
}

static void test_iotlb_granularity(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	assert_int_equal(vtd_cap_mamv(reg_rd(s, VTD_REG_CAP, 8)), 18);
	const uint64_t keep = (1ull << 49) | (1ull << 48) | (0x1234ull << 32);
	for (unsigned g = 0; g < 4; g++) {
		reg_wr(s, VTD_REG_IVA, 8, 0x123456000ull | VTD_IVA_IH | 4);
		reg_wr(s, VTD_REG_IOTLB, 8, VTD_IOTLB_IVT | ((uint64_t)g << VTD_IOTLB_IIRG_SHIFT) | keep);
		assert_reg(s, VTD_REG_IOTLB, 8,
			   ((uint64_t)g << VTD_IOTLB_IIRG_SHIFT) |
				   ((uint64_t)g << VTD_IOTLB_IAIG_SHIFT) | keep);
	}
	/* page-selective: AM up to MAMV accepted, beyond refused */
	static const struct {
		unsigned am, iaig;
	} pages[] = { { 0, 3 }, { 9, 3 }, { 18, 3 }, { 19, 0 }, { 63, 0 } };
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		reg_wr(s, VTD_REG_IVA, 8, 0x80000000ull | pages[i].am);
		reg_wr(s, VTD_REG_IOTLB, 8, VTD_IOTLB_IVT | (3ull << VTD_IOTLB_IIRG_SHIFT) | (5ull << 32));
		assert_reg(s, VTD_REG_IOTLB, 8,
			   (3ull << VTD_IOTLB_IIRG_SHIFT) |
				   ((uint64_t)pages[i].iaig << VTD_IOTLB_IAIG_SHIFT) | (5ull << 32));
	}
	vtd_iommu_free(s);
}

static void test_iotlb_trigger_halves(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	vtd_set_q(s, VTD_REG_IOTLB, VTD_IOTLB_IVT | (1ull << VTD_IOTLB_IIRG_SHIFT));
	reg_wr(s, VTD_REG_IOTLB, 4, 0xffffffff); /* lower half: reserved, no trigger */
	assert_reg(s, VTD_REG_IOTLB, 8, VTD_IOTLB_IVT | (1ull << VTD_IOTLB_IIRG_SHIFT));
	reg_wr(s, VTD_REG_IVA, 8, 0x7000 | 18);
	reg_wr(s, VTD_REG_IOTLB + 4, 4,
	       (uint32_t)((VTD_IOTLB_IVT | (3ull << VTD_IOTLB_IIRG_SHIFT) | (9ull << 32)) >> 32));
	assert_reg(s, VTD_REG_IOTLB, 8,
		   (3ull << VTD_IOTLB_IIRG_SHIFT) | (3ull << VTD_IOTLB_IAIG_SHIFT) | (9ull << 32));
	/* IVA written as two halves is used as a whole */
	reg_wr(s, VTD_REG_IVA + 4, 4, 0x1);
	reg_wr(s, VTD_REG_IVA, 4, 0x19); /* AM = 25 > MAMV */
	reg_wr(s, VTD_REG_IOTLB + 4, 4,
	       (uint32_t)((VTD_IOTLB_IVT | (3ull << VTD_IOTLB_IIRG_SHIFT)) >> 32));
	assert_reg(s, VTD_REG_IOTLB, 8, 3ull << VTD_IOTLB_IIRG_SHIFT);
	vtd_iommu_free(s);
}

static void test_inval_ignored_with_qi(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	reg_wr(s, VTD_REG_IQA, 8, 0x10000);
	gcmd_cmd(s, VTD_GCMD_QIE, 0);
	reg_wr(s, VTD_REG_CCMD, 8, VTD_CCMD_ICC | (1ull << VTD_CCMD_CIRG_SHIFT));
	assert_reg(s, VTD_REG_CCMD, 8, VTD_CCMD_ICC | (1ull << VTD_CCMD_CIRG_SHIFT));
	reg_wr(s, VTD_REG_IOTLB, 8, VTD_IOTLB_IVT | (1ull << VTD_IOTLB_IIRG_SHIFT));
	assert_reg(s, VTD_REG_IOTLB, 8, VTD_IOTLB_IVT | (1ull << VTD_IOTLB_IIRG_SHIFT));
	/* QI off again: the next command write runs */
	gcmd_cmd(s, 0, VTD_GCMD_QIE);
	reg_wr(s, VTD_REG_CCMD, 8, VTD_CCMD_ICC | (2ull << VTD_CCMD_CIRG_SHIFT));
	assert_reg(s, VTD_REG_CCMD, 8, (2ull << VTD_CCMD_CIRG_SHIFT) | (2ull << VTD_CCMD_CAIG_SHIFT));
	reg_wr(s, VTD_REG_IOTLB, 8, VTD_IOTLB_IVT | (2ull << VTD_IOTLB_IIRG_SHIFT));
	assert_reg(s, VTD_REG_IOTLB, 8,
		   (2ull << VTD_IOTLB_IIRG_SHIFT) | (2ull << VTD_IOTLB_IAIG_SHIFT));
	vtd_iommu_free(s);
}

static void test_inval_refused_scalable_root(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_FLTS, NULL);
	/* TTM=scalable written but not latched: still legacy */
	reg_wr(s, VTD_REG_RTADDR, 8, 0x1000 | VTD_RTADDR_SMT);
	reg_wr(s, VTD_REG_CCMD, 8, VTD_CCMD_ICC | (1ull << VTD_CCMD_CIRG_SHIFT));
	assert_reg(s, VTD_REG_CCMD, 8, (1ull << VTD_CCMD_CIRG_SHIFT) | (1ull << VTD_CCMD_CAIG_SHIFT));
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_SRTP);
	for (unsigned g = 1; g < 4; g++) {
		reg_wr(s, VTD_REG_CCMD, 8, VTD_CCMD_ICC | ((uint64_t)g << VTD_CCMD_CIRG_SHIFT));
		assert_reg(s, VTD_REG_CCMD, 8, (uint64_t)g << VTD_CCMD_CIRG_SHIFT);
		reg_wr(s, VTD_REG_IOTLB, 8, VTD_IOTLB_IVT | ((uint64_t)g << VTD_IOTLB_IIRG_SHIFT));
		assert_reg(s, VTD_REG_IOTLB, 8, (uint64_t)g << VTD_IOTLB_IIRG_SHIFT);
	}
	/* legacy TTM latched again: accepted */
	reg_wr(s, VTD_REG_RTADDR, 8, 0x1000);
	reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_SRTP);
	reg_wr(s, VTD_REG_IOTLB, 8, VTD_IOTLB_IVT | (1ull << VTD_IOTLB_IIRG_SHIFT));
	assert_reg(s, VTD_REG_IOTLB, 8, (1ull << VTD_IOTLB_IIRG_SHIFT) | (1ull << VTD_IOTLB_IAIG_SHIFT));
	vtd_iommu_free(s);
}

/* ---- 5. faults ------------------------------------------------------------- */

static void program_fe(struct vtd_iommu *s)
{
	reg_wr(s, VTD_REG_FEDATA, 4, 0x4021);
	reg_wr(s, VTD_REG_FEADDR, 4, 0xfee00000);
	reg_wr(s, VTD_REG_FEUADDR, 4, 0x1); /* EIM=1 in the default config */
}

static void test_fault_record_msi(void **state)
{
	(void)state;
	struct msi_log log = { 0 };
	struct vtd_iommu *s = mk(CFG_DEFAULT, &log);
	program_fe(s);
	reg_wr(s, VTD_REG_FECTL, 4, 0);
	assert_int_equal(log.count, 0); /* nothing pending */
	struct vtd_fault_rec f;
	memset(&f, 0, sizeof(f));
	f.sid = 0x0108;
	f.reason = 0x06;
	f.is_write = false;
	f.addr = 0x123456789abcull;
	vtd_fault_record(s, &f);
	assert_reg(s, VTD_REG_FRCD, 8, 0x123456789000ull);
	assert_reg(s, VTD_REG_FRCD + 8, 8, VTD_FRCD_F | (1ull << 62) | (6ull << 32) | 0x0108);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF); /* FRI = 0 */
	assert_int_equal(log.count, 1);
	assert_int_equal(log.addr, 0x1fee00000ull);
	assert_int_equal(log.data, 0x4021);
	assert_reg(s, VTD_REG_FECTL, 4, 0); /* IP clear after sending */
	vtd_iommu_free(s);
}

static void test_fault_record_fields(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_SVM, NULL);
	struct vtd_fault_rec f;
	/* write request with PASID, privileged, execute, AT=2 */
	memset(&f, 0, sizeof(f));
	f.sid = 0xfffe;
	f.reason = 0x81;
	f.is_write = true;
	f.addr = 0xfffff000ull;
	f.pasid_valid = true;
	f.pasid = 0x5a;
	f.priv = true;
	f.exec = true;
	f.at = 2;
	vtd_fault_record(s, &f);
	assert_reg(s, VTD_REG_FRCD, 8, 0xfffff000ull);
	assert_reg(s, VTD_REG_FRCD + 8, 8,
		   VTD_FRCD_F | (2ull << 60) | (0x5aull << 40) | (0x81ull << 32) | (1ull << 31) |
			   (1ull << 30) | (1ull << 29) | 0xfffe);
	/* full 20-bit PASID field */
	reg_wr(s, VTD_REG_FRCD + 12, 4, 0x80000000u);
	f.pasid = 0xfffff;
	f.priv = f.exec = false;
	f.at = 0;
	vtd_fault_record(s, &f);
	assert_reg(s, VTD_REG_FRCD + 8, 8,
		   VTD_FRCD_F | (0xfffffull << 40) | (0x81ull << 32) | (1ull << 31) | 0xfffe);
	/* interrupt-remapping fault: index in FI bits 63:48 of the low qword */
	reg_wr(s, VTD_REG_FRCD + 8, 8, VTD_FRCD_F);
	memset(&f, 0, sizeof(f));
	f.sid = 0x00f8;
	f.reason = 0x22;
	f.is_write = true;
	f.is_ir = true;
	f.addr = 0xbeef;
	vtd_fault_record(s, &f);
	assert_reg(s, VTD_REG_FRCD, 8, 0xbeefull << 48);
	assert_reg(s, VTD_REG_FRCD + 8, 8, VTD_FRCD_F | (0x22ull << 32) | 0x00f8);
	vtd_iommu_free(s);
}

static void test_fault_masked_then_unmasked(void **state)
{
	(void)state;
	struct msi_log log = { 0 };
	struct vtd_iommu *s = mk(CFG_DEFAULT, &log);
	program_fe(s);
	/* reset: IM=1 */
	fault(s, 0x10, 5, 0x1000);
	assert_int_equal(log.count, 0);
	assert_reg(s, VTD_REG_FECTL, 4, VTD_ECTL_IM | VTD_ECTL_IP);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF);
	/* writing IM=1 again sends nothing */
	reg_wr(s, VTD_REG_FECTL, 4, VTD_ECTL_IM);
	assert_int_equal(log.count, 0);
	/* unmask: the held message goes out, IP clears */
	reg_wr(s, VTD_REG_FECTL, 4, 0);
	assert_int_equal(log.count, 1);
	assert_int_equal(log.addr, 0x1fee00000ull);
	assert_int_equal(log.data, 0x4021);
	assert_reg(s, VTD_REG_FECTL, 4, 0);
	reg_wr(s, VTD_REG_FECTL, 4, 0);
	assert_int_equal(log.count, 1);
	/* PPF still pending: a new fault from another source sends nothing */
	fault(s, 0x11, 5, 0x2000);
	assert_int_equal(log.count, 1);
	vtd_iommu_free(s);
}

static void test_fault_compression(void **state)
{
	(void)state;
	struct msi_log log = { 0 };
	struct vtd_iommu *s = mk(CFG_DEFAULT, &log);
	reg_wr(s, VTD_REG_FECTL, 4, 0);
	fault(s, 0x20, 5, 0x1000);
	uint64_t lo = reg_rd(s, VTD_REG_FRCD, 8), hi = reg_rd(s, VTD_REG_FRCD + 8, 8);
	fault(s, 0x20, 6, 0x9000);
	assert_reg(s, VTD_REG_FRCD, 8, lo);
	assert_reg(s, VTD_REG_FRCD + 8, 8, hi);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF); /* no PFO */
	assert_int_equal(log.count, 1);
	/* once F is cleared the same source records again, with a new event */
	reg_wr(s, VTD_REG_FRCD + 12, 4, 0x80000000u);
	assert_reg(s, VTD_REG_FSTS, 4, 0);
	fault(s, 0x20, 6, 0x9000);
	assert_reg(s, VTD_REG_FRCD, 8, 0x9000);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF);
	assert_int_equal(log.count, 2);
	vtd_iommu_free(s);
}

static void test_fault_overflow(void **state)
{
	(void)state;
	struct msi_log log = { 0 };
	struct vtd_iommu *s = mk(CFG_DEFAULT, &log);
	reg_wr(s, VTD_REG_FECTL, 4, 0);
	fault(s, 0x30, 5, 0x1000);
	assert_int_equal(log.count, 1);
	fault(s, 0x31, 5, 0x2000);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF | VTD_FSTS_PFO);
	assert_reg(s, VTD_REG_FRCD, 8, 0x1000);
	assert_reg(s, VTD_REG_FRCD + 8, 8, VTD_FRCD_F | (5ull << 32) | 0x30);
	/* PFO set: faults are dropped even once the record is free */
	reg_wr(s, VTD_REG_FRCD + 12, 4, 0x80000000u);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PFO);
	fault(s, 0x32, 5, 0x3000);
	assert_reg(s, VTD_REG_FRCD + 8, 8, (5ull << 32) | 0x30);
	/* PFO cleared: recording resumes, with an event */
	unsigned before = log.count;
	reg_wr(s, VTD_REG_FSTS, 4, VTD_FSTS_PFO);
	assert_reg(s, VTD_REG_FSTS, 4, 0);
	fault(s, 0x33, 5, 0x4000);
	assert_reg(s, VTD_REG_FRCD + 8, 8, VTD_FRCD_F | (5ull << 32) | 0x33);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF);
	assert_int_equal(log.count, before + 1);
	vtd_iommu_free(s);
}

static void test_frcd_clear_recomputes_ppf(void **state)
{
	(void)state;
	struct vtd_iommu *s = mk(CFG_DEFAULT, NULL);
	fault(s, 0x40, 5, 0x1000);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF);
	/* lower dword of FRCD hi holds no F: stays pending */
	reg_wr(s, VTD_REG_FRCD + 8, 4, 0xffffffff);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF);
	reg_wr(s, VTD_REG_FRCD + 12, 4, 0x80000000u);
	assert_reg(s, VTD_REG_FSTS, 4, 0);
	fault(s, 0x41, 5, 0x1000);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF);
	reg_wr(s, VTD_REG_FRCD + 8, 8, 0);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF);
	reg_wr(s, VTD_REG_FRCD + 8, 8, VTD_FRCD_F);
	assert_reg(s, VTD_REG_FSTS, 4, 0);
	assert_reg(s, VTD_REG_FRCD + 8, 8, (5ull << 32) | 0x41);
	vtd_iommu_free(s);
}

static void test_fsts_clear_clears_ip(void **state)
{
	(void)state;
	struct msi_log log = { 0 };
	struct vtd_iommu *s = mk(CFG_DEFAULT, &log);
	program_fe(s);
	/* IM=1: pending */
	fault(s, 0x50, 5, 0x1000);
	fault(s, 0x51, 5, 0x2000); /* overflow */
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF | VTD_FSTS_PFO);
	assert_reg(s, VTD_REG_FECTL, 4, VTD_ECTL_IM | VTD_ECTL_IP);
	/* clearing PFO alone: PPF still pending, IP stays */
	reg_wr(s, VTD_REG_FSTS, 4, VTD_FSTS_PFO);
	assert_reg(s, VTD_REG_FECTL, 4, VTD_ECTL_IM | VTD_ECTL_IP);
	/* overflow again; clear F (PPF goes) then PFO via FSTS: IP goes */
	fault(s, 0x52, 5, 0x3000);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PPF | VTD_FSTS_PFO);
	reg_wr(s, VTD_REG_FRCD + 12, 4, 0x80000000u);
	assert_reg(s, VTD_REG_FSTS, 4, VTD_FSTS_PFO);
	reg_wr(s, VTD_REG_FSTS, 4, VTD_FSTS_PFO);
	assert_reg(s, VTD_REG_FSTS, 4, 0);
	assert_reg(s, VTD_REG_FECTL, 4, VTD_ECTL_IM);
	/* nothing pending, so unmasking sends nothing */
	reg_wr(s, VTD_REG_FECTL, 4, 0);
	assert_int_equal(log.count, 0);
	vtd_iommu_free(s);
}

/*
 * Spec, FECTL.IP: hardware clears IP when software services all pending
 * status fields, including "clearing the F field in all FRCD registers,
 * causing PPF to be evaluated as clear".  Here the only status is PPF and it
 * is cleared through FRCD, with no FSTS write at all.  (QEMU only looks at IP
 * on FSTS writes; see the report.)
 */
static void test_frcd_clear_clears_ip(void **state)
{
	(void)state;
	struct msi_log log = { 0 };
	struct vtd_iommu *s = mk(CFG_DEFAULT, &log);
	program_fe(s);
	fault(s, 0x60, 5, 0x1000);
	assert_reg(s, VTD_REG_FECTL, 4, VTD_ECTL_IM | VTD_ECTL_IP);
	reg_wr(s, VTD_REG_FRCD + 12, 4, 0x80000000u);
	assert_reg(s, VTD_REG_FSTS, 4, 0);
	assert_reg(s, VTD_REG_FECTL, 4, VTD_ECTL_IM);
	/* no stale fault event after the fault was serviced */
	reg_wr(s, VTD_REG_FECTL, 4, 0);
	assert_int_equal(log.count, 0);
	vtd_iommu_free(s);
}

/* ---- 6. reset and creation ------------------------------------------------- */

static void test_iommu_reset(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(reset_configs) / sizeof(reset_configs[0]); i++) {
		struct msi_log log = { 0 };
		struct vtd_iommu *s = mk(reset_configs[i], &log);
		reg_wr(s, VTD_REG_RTADDR, 8, 0x1000 | VTD_RTADDR_SMT);
		reg_wr(s, VTD_REG_IQA, 8, 0x2000 | VTD_IQA_DW | 1);
		reg_wr(s, VTD_REG_IRTA, 8, 0x3000 | 5);
		reg_wr(s, VTD_REG_GCMD, 4,
		       VTD_GCMD_TE | VTD_GCMD_SRTP | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_SIRTP);
		reg_wr(s, VTD_REG_FEDATA, 4, 0x1);
		reg_wr(s, VTD_REG_FEADDR, 4, 0xfee00000);
		reg_wr(s, VTD_REG_IEDATA, 4, 0x2);
		reg_wr(s, VTD_REG_IEUADDR, 4, 0x3);
		reg_wr(s, VTD_REG_IQT, 8, 0x40);
		reg_wr(s, VTD_REG_PQA, 8, 0x5000);
		reg_wr(s, VTD_REG_IVA, 8, 0x6000);
		reg_wr(s, VTD_REG_FECTL, 4, 0);
		reg_wr(s, VTD_REG_IECTL, 4, 0);
		reg_wr(s, VTD_REG_PECTL, 4, 0);
		fault(s, 1, 5, 0x1000);
		fault(s, 2, 5, 0x1000);
		vtd_set_l(s, VTD_REG_ICS, 1);
		vtd_set_q(s, VTD_REG_IQH, 0x20);
		s->iq_head = 2;
		vtd_iommu_reset(s);
		assert_reset_image(s, reset_configs[i]);
		assert_int_equal(s->root, 0);
		assert_false(s->root_scalable);
		assert_false(s->dmar_enabled);
		assert_int_equal(s->iq, 0);
		assert_int_equal(s->iq_size, 0);
		assert_false(s->iq_dw);
		assert_false(s->qi_enabled);
		assert_int_equal(s->iq_head, 0);
		assert_int_equal(s->intr_root, 0);
		assert_int_equal(s->intr_size, 0);
		assert_false(s->intr_enabled);
		assert_int_equal(s->next_frcd, 0);
		/* reset masks too: RTADDR still writable, GCMD still works */
		reg_wr(s, VTD_REG_RTADDR, 8, 0x9000);
		reg_wr(s, VTD_REG_GCMD, 4, VTD_GCMD_SRTP);
		assert_int_equal(s->root, 0x9000);
		assert_reg(s, VTD_REG_GSTS, 4, VTD_GSTS_RTPS);
		/* the configuration survives reset */
		assert_int_equal(reg_rd(s, VTD_REG_ECAP, 8), vtd_caps_ecap(vtd_iommu_config(s)));
		vtd_iommu_free(s);
	}
}

static void test_iommu_new_errors(void **state)
{
	(void)state;
	struct vtd_config c;
	struct vtd_error e;
	struct vtd_iommu *s = (struct vtd_iommu *)&c; /* non-NULL sentinel */

	vtd_config_init(&c);
	c.aw_bits = 40;
	assert_int_equal(vtd_iommu_new(&c, NULL, &s, &e), -EINVAL);
	assert_null(s);
	assert_true(e.count >= 1);
	assert_non_null(strstr(e.msg, "aw-bits"));

	vtd_config_init(&c);
	c.svm = true;
	s = (struct vtd_iommu *)&c;
	assert_int_equal(vtd_iommu_new(&c, NULL, &s, &e), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(e.msg, "svm"));

	vtd_config_init(&c);
	struct vtd_iommu_opts o;
	memset(&o, 0, sizeof(o));
	/* sz = 0 */
	s = (struct vtd_iommu *)&c;
	assert_int_equal(vtd_iommu_new(&c, &o, &s, &e), -EINVAL);
	assert_null(s);
	assert_true(e.count >= 1);
	assert_true(strlen(e.msg) > 0);

	/* ram_size without ram */
	o.sz = sizeof(o);
	o.ram_size = 4096;
	assert_int_equal(vtd_iommu_new(&c, &o, &s, &e), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(e.msg, "ram"));

	/* a newer caller's struct: zero tail accepted, non-zero tail refused */
	struct {
		struct vtd_iommu_opts o;
		uint64_t future[2];
	} big;
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	assert_int_equal(vtd_iommu_new(&c, &big.o, &s, &e), 0);
	assert_non_null(s);
	vtd_iommu_free(s);
	big.future[1] = 1;
	s = (struct vtd_iommu *)&c;
	assert_int_equal(vtd_iommu_new(&c, &big.o, &s, &e), -E2BIG);
	assert_null(s);
	assert_true(e.count >= 1);

	/* an older caller's struct: fields past sz are not read */
	struct msi_log log = { 0 };
	memset(&o, 0, sizeof(o));
	o.sz = offsetof(struct vtd_iommu_opts, events);
	o.events = &ev_ops;
	o.event_opaque = &log;
	o.ram_size = 1; /* beyond sz: ignored, so no "ram_size without ram" */
	assert_int_equal(vtd_iommu_new(&c, &o, &s, &e), 0);
	assert_non_null(s);
	reg_wr(s, VTD_REG_FECTL, 4, 0);
	fault(s, 1, 1, 0);
	assert_int_equal(log.count, 0);
	vtd_iommu_free(s);
}

/* ---- 7. names -------------------------------------------------------------- */

static void test_reg_names(void **state)
{
	(void)state;
	assert_string_equal(vtd_reg_name(VTD_REG_VER), "VER");
	assert_string_equal(vtd_reg_name(VTD_REG_GCMD), "GCMD");
	assert_string_equal(vtd_reg_name(VTD_REG_GSTS), "GSTS");
	assert_string_equal(vtd_reg_name(VTD_REG_IQA), "IQA");
	assert_string_equal(vtd_reg_name(VTD_REG_IVA), "IVA");
	assert_string_equal(vtd_reg_name(VTD_REG_IOTLB), "IOTLB");
	assert_string_equal(vtd_reg_name(VTD_REG_PRS), "PRS");
	assert_string_equal(vtd_reg_name(VTD_REG_FRCD), "FRCD0_LO");
	assert_string_equal(vtd_reg_name(VTD_REG_FRCD + 8), "FRCD0_HI");
	assert_null(vtd_reg_name(0x4));
	assert_null(vtd_reg_name(0x24));
	assert_null(vtd_reg_name(0x22c));
	assert_null(vtd_reg_name(0x230));
	assert_null(vtd_reg_name(0x1000));
	assert_null(vtd_reg_name(0x100000000ull));
	/* every public register offset has a name */
	static const unsigned all[] = {
		VTD_REG_VER, VTD_REG_CAP, VTD_REG_ECAP, VTD_REG_GCMD, VTD_REG_GSTS,
		VTD_REG_RTADDR, VTD_REG_CCMD, VTD_REG_FSTS, VTD_REG_FECTL, VTD_REG_FEDATA,
		VTD_REG_FEADDR, VTD_REG_FEUADDR, VTD_REG_AFLOG, VTD_REG_PMEN, VTD_REG_PLMBASE,
		VTD_REG_PLMLIMIT, VTD_REG_PHMBASE, VTD_REG_PHMLIMIT, VTD_REG_IQH, VTD_REG_IQT,
		VTD_REG_IQA, VTD_REG_ICS, VTD_REG_IECTL, VTD_REG_IEDATA, VTD_REG_IEADDR,
		VTD_REG_IEUADDR, VTD_REG_IQERCD, VTD_REG_IRTA, VTD_REG_PQH, VTD_REG_PQT,
		VTD_REG_PQA, VTD_REG_PRS, VTD_REG_PECTL, VTD_REG_PEDATA, VTD_REG_PEADDR,
		VTD_REG_PEUADDR, VTD_REG_IVA, VTD_REG_IOTLB, VTD_REG_FRCD,
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!vtd_reg_name(all[i]))
			fail_msg("no name for %#x", all[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_values),
		cmocka_unit_test(test_reset_cap_ecap_literal),
		cmocka_unit_test(test_irta_needs_ir),
		cmocka_unit_test(test_page_request_regs_absent),
		cmocka_unit_test(test_page_request_regs_present),
		cmocka_unit_test(test_readonly_regs),
		cmocka_unit_test(test_reserved_bits_read_zero),
		cmocka_unit_test(test_write_only_regs),
		cmocka_unit_test(test_fsts_w1c),
		cmocka_unit_test(test_ics_w1c),
		cmocka_unit_test(test_frcd_f_w1c),
		cmocka_unit_test(test_uaddr_needs_eim),
		cmocka_unit_test(test_32bit_halves),
		cmocka_unit_test(test_bad_access),
		cmocka_unit_test(test_hole_after_regs),
		cmocka_unit_test(test_null_safe),
		cmocka_unit_test(test_gcmd_srtp_legacy),
		cmocka_unit_test(test_gcmd_srtp_scalable),
		cmocka_unit_test(test_gcmd_te),
		cmocka_unit_test(test_gcmd_qie_legacy),
		cmocka_unit_test(test_gcmd_qie_scalable),
		cmocka_unit_test(test_gcmd_interrupt_remapping),
		cmocka_unit_test(test_gcmd_no_status_bits),
		cmocka_unit_test(test_gcmd_multi_bits),
		cmocka_unit_test(test_gcmd_linux_pattern),
		cmocka_unit_test(test_ccmd_granularity),
		cmocka_unit_test(test_ccmd_trigger_halves),
		cmocka_unit_test(test_iotlb_granularity),
		cmocka_unit_test(test_iotlb_trigger_halves),
		cmocka_unit_test(test_inval_ignored_with_qi),
		cmocka_unit_test(test_inval_refused_scalable_root),
		cmocka_unit_test(test_fault_record_msi),
		cmocka_unit_test(test_fault_record_fields),
		cmocka_unit_test(test_fault_masked_then_unmasked),
		cmocka_unit_test(test_fault_compression),
		cmocka_unit_test(test_fault_overflow),
		cmocka_unit_test(test_frcd_clear_recomputes_ppf),
		cmocka_unit_test(test_fsts_clear_clears_ip),
		cmocka_unit_test(test_frcd_clear_clears_ip),
		cmocka_unit_test(test_iommu_reset),
		cmocka_unit_test(test_iommu_new_errors),
		cmocka_unit_test(test_reg_names),
	};
	return cmocka_run_group_tests_name("regs", tests, NULL, NULL);
}
