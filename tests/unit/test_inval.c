/* SPDX-License-Identifier: MIT */
/*
 * Invalidation (src/inval.c, src/cache.c and the command side of
 * src/regs.c): the context cache, the IOTLB and the PASID cache keep a
 * changed table entry stale until the right invalidation, register-based
 * (CCMD, IVA/IOTLB) or queued (IQA/IQH/IQT, 128- and 256-bit descriptors);
 * descriptor validation and IQE/IQERCD; wait descriptors; queue mechanics;
 * eviction; invalidation cost proportional to what is invalidated.
 *
 * Tables are built by hand in a flat guest RAM buffer.  Sources of the
 * expectations:
 *   [T4] VT-d spec 6.5.2 (invalidation descriptors: layouts, reserved
 *        fields) and chapter 10 (IQA/IQH/IQT, ICS, IQERCD and its IQEI codes)
 *   [T1] VT-d spec chapter 9 (root, context, PASID entries)
 *   [H]  include/vtd/iommu.h (stats, vtd_iommu_opts.iotlb_entries)
 *   [S]  VT-d spec register semantics as summarised in src/regs.c's header
 *        (CCMD/IOTLB CAIG/IAIG, ICS.IWC, IECTL.IP/IM, FSTS.IQE W1C)
 */
#include "guest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixture --------------------------------------------------------------- */

#define RAM_SIZE (32ull << 20)
#define OUTSIDE  0x4000000ull      /* 64 MiB: inside HAW, outside RAM */
#define STATUS 0x30000ull          /* wait-descriptor status words */

#define NOADDR (~0ull)

static struct vtd_translation R;

static struct {
	unsigned n;
	uint64_t addr;
	uint32_t data;
} msis;

static void on_msi(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	msis.n++;
	msis.addr = addr;
	msis.data = data;
}

static const struct vtd_event_ops events = { .msi = on_msi };

static void mk(const char *props, uint32_t iotlb_entries)
{
	memset(&msis, 0, sizeof(msis));
	guest_new(props, RAM_SIZE, true,
		  (struct vtd_iommu_opts){ .events = &events, .iotlb_entries = iotlb_entries });
}

static uint64_t iqh(void) { return mmio_r(VTD_REG_IQH, 8); }
static unsigned iqei(void) { return (unsigned)(mmio_r(VTD_REG_IQERCD, 8) & 0xf); }

static struct vtd_iommu_stats stats(void)
{
	struct vtd_iommu_stats st;
	vtd_iommu_get_stats(iommu, &st);
	return st;
}

/* ---- paging structures ------------------------------------------------------ */

#define SID(b, d, f) ((uint16_t)(((b) << 8) | ((d) << 3) | (f)))

/* a new address in a leaf that ss_map() or fs_map() made, with the flags they used */
static void ss_remap(uint64_t ea, uint64_t pa, unsigned level)
{
	put64(ea, pa | SS_RW | (level > 1 ? PS : 0));
}

static void fs_remap(uint64_t ea, uint64_t pa) { put64(ea, pa | FS_PRU); }

/* ---- legacy mode ------------------------------------------------------------ */

static void legacy(const char *props, uint32_t iotlb_entries)
{
	mk(props, iotlb_entries);
	put64(ROOT, CT0 | 1);
	put64(ROOT + 16, CT1 | 1);
	enable_root(ROOT);
}

/* [T1] 1.2: P, TT=0, SLPTPTR; AW=2 (4-level), DID at 23:8 */
static void lctx(uint16_t sid, uint64_t table, uint16_t did)
{
	assert_true((sid >> 8) <= 1);
	set_legacy_ctx((sid >> 8) == 0 ? CT0 : CT1, sid & 0xff, table | 1, ((uint64_t)did << 8) | 2);
}

/* A read, with a PASID when pv; the address it reaches (NOADDR: a fault). */
static uint64_t xreq(uint16_t sid, bool pv, uint32_t pasid, uint64_t addr)
{
	struct vtd_dma_request rq = { .sid = sid, .pasid_valid = pv, .pasid = pasid,
				      .addr = addr, .perm = VTD_PERM_R };
	memset(&R, 0, sizeof(R));
	if (vtd_iommu_translate(iommu, &rq, &R))
		return NOADDR;
	return R.addr;
}

static uint64_t xl(uint16_t sid, uint64_t addr) { return xreq(sid, false, 0, addr); }
static uint64_t xp(uint16_t sid, uint32_t pasid, uint64_t addr)
{
	return xreq(sid, true, pasid, addr);
}

#define EXPECT_XL(sid_, addr_, want_, did_, what_)                                        \
	do {                                                                              \
		uint64_t got_ = xl((sid_), (addr_));                                      \
		if (got_ != (uint64_t)(want_) || R.did != (did_))                         \
			fail_msg("%s: %04x @%#llx -> %#llx DID %u (fault %#x), expected " \
				 "%#llx DID %u", (what_), (unsigned)(sid_),                \
				 (unsigned long long)(addr_), (unsigned long long)got_,    \
				 R.did, R.fault, (unsigned long long)(want_), (unsigned)(did_)); \
	} while (0)

#define EXPECT_XP(sid_, pasid_, addr_, want_, did_, what_)                                \
	do {                                                                              \
		uint64_t got_ = xp((sid_), (pasid_), (addr_));                            \
		if (got_ != (uint64_t)(want_) || R.did != (did_))                         \
			fail_msg("%s: %04x PASID %u @%#llx -> %#llx DID %u (fault %#x), "  \
				 "expected %#llx DID %u", (what_), (unsigned)(sid_),       \
				 (unsigned)(pasid_), (unsigned long long)(addr_),          \
				 (unsigned long long)got_, R.did, R.fault,                 \
				 (unsigned long long)(want_), (unsigned)(did_));           \
	} while (0)

/* ---- scalable mode ---------------------------------------------------------- */

static void sm_dev(uint16_t devfn)
{
	/* [T1] 1.4: P, PASIDE (bit 3), PDTS=0, PASID directory */
	set_sm_ctx(CT0, devfn, PDIR | 8 | 1, 0);
}

static void sm_pasid(uint32_t pasid, uint16_t did, uint64_t fsroot)
{
	/* [T1] 1.5/1.6: directory entry -> PASID table; PGTT=1 (first stage) */
	assert_true(pasid < 64);
	put64(PDIR + (pasid >> 6) * 8, PTBL | 1);
	set_pasid_entry(PDIR, pasid, PGTT(1) | 1, did, fsroot);
}

/* ---- invalidation queue ----------------------------------------------------- */

static void q_done(const char *what)
{
	uint32_t f = fsts();
	uint64_t h = iqh();
	if ((f & VTD_FSTS_IQE) || h != ((uint64_t)q_tail << q_shift))
		fail_msg("%s: FSTS %#x IQEI %u IQH %#llx, expected no IQE and IQH %#llx", what, f,
			 iqei(), (unsigned long long)h,
			 (unsigned long long)((uint64_t)q_tail << q_shift));
}

static void q_run(uint64_t q0, uint64_t q1, const char *what)
{
	q_submit(q0, q1, 0, 0);
	q_done(what);
}

#define WAIT_IF (1ull << 4)
#define WAIT_SW (1ull << 5)
#define WAIT_FN (1ull << 6)
#define WAIT_PD (1ull << 7)
#define FENCE   (5 | WAIT_FN)

/* A descriptor that must be accepted. */
static void q_accept(uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3, const char *what)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "%s: %#llx %#llx %#llx %#llx rejected", what,
		 (unsigned long long)q0, (unsigned long long)q1, (unsigned long long)q2,
		 (unsigned long long)q3);
	q_submit(q0, q1, q2, q3);
	q_done(msg);
}

/* A descriptor that must be rejected with IQEI `code`, IQH staying on it;
 * then it is replaced by a fence, IQE cleared (W1C) and the queue must
 * resume from IQH. */
static void q_reject(uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3, unsigned code,
		     const char *what)
{
	uint32_t at = q_tail;
	q_submit(q0, q1, q2, q3);
	uint32_t f = fsts();
	uint64_t h = iqh();
	unsigned ei = iqei();
	if (!(f & VTD_FSTS_IQE) || ei != code || h != ((uint64_t)at << q_shift))
		fail_msg("%s: %#llx %#llx %#llx %#llx: FSTS %#x IQEI %u IQH %#llx, expected IQE, "
			 "IQEI %u, IQH %#llx", what, (unsigned long long)q0, (unsigned long long)q1,
			 (unsigned long long)q2, (unsigned long long)q3, f, ei,
			 (unsigned long long)h, code, (unsigned long long)((uint64_t)at << q_shift));
	q_set(at, FENCE, 0, 0, 0);
	mmio_w(VTD_REG_FSTS, 4, VTD_FSTS_IQE);
	q_done(what);
}

/* ---- register-based or queued invalidation ---------------------------------- */

static bool use_qi;

#define CCMD_ICC  (1ull << 63)
#define IOTLB_IVT (1ull << 63)

/* Context cache: [T4] 4.1 (descriptor), CCMD: ICC 63, CIRG 62:61, CAIG
 * 60:59, FM 33:32, SID 31:16, DID 15:0. */
static void cc_inv(unsigned g, uint16_t did, uint16_t sid, unsigned fm)
{
	if (use_qi) {
		q_run(1 | (uint64_t)g << 4 | (uint64_t)did << 16 | (uint64_t)sid << 32 |
		      (uint64_t)fm << 48, 0, "context-cache descriptor");
		return;
	}
	mmio_w(VTD_REG_CCMD, 8, CCMD_ICC | (uint64_t)g << 61 | (uint64_t)fm << 32 |
				(uint64_t)sid << 16 | did);
	uint64_t v = mmio_r(VTD_REG_CCMD, 8);
	assert_false(v & CCMD_ICC);
	assert_int_equal((v >> 59) & 3, g);
}

/* IOTLB: [T4] 4.2; IVA: ADDR 63:12, IH 6, AM 5:0; IOTLB register: IVT 63,
 * IIRG 61:60, IAIG 58:57, DID 47:32. */
static void iotlb_inv(unsigned g, uint16_t did, uint64_t addr, unsigned am, bool ih)
{
	if (use_qi) {
		q_run(2 | (uint64_t)g << 4 | (uint64_t)did << 16,
		      addr | (ih ? 0x40 : 0) | am, "IOTLB descriptor");
		return;
	}
	mmio_w(VTD_REG_IVA, 8, addr | (ih ? 0x40 : 0) | am);
	mmio_w(VTD_REG_IOTLB, 8, IOTLB_IVT | (uint64_t)g << 60 | (uint64_t)did << 32);
	uint64_t v = mmio_r(VTD_REG_IOTLB, 8);
	assert_false(v & IOTLB_IVT);
	assert_int_equal((v >> 57) & 3, g);
}

static uint64_t piotlb_q0(unsigned g, uint16_t did, uint32_t pasid)
{
	return 6 | (uint64_t)g << 4 | (uint64_t)did << 16 | (uint64_t)pasid << 32;
}

static uint64_t pc_q0(unsigned g, uint16_t did, uint32_t pasid)
{
	return 7 | (uint64_t)g << 4 | (uint64_t)did << 16 | (uint64_t)pasid << 32;
}

static void legacy_inv_setup(void)
{
	legacy("", 0);
	if (use_qi)
		qi_on(QBASE, 0, false);
}

#define BOTH(name)                                                                         \
	static void test_##name##_reg(void **st) { (void)st; use_qi = false; name(); }     \
	static void test_##name##_qi(void **st) { (void)st; use_qi = true; name(); }

/* ---- 1. stale entries: context cache --------------------------------------- */

static void cc_global(void)
{
	legacy_inv_setup();
	uint64_t A = alloc_page(), B = alloc_page();
	ss_map(A, 4, 0, 0x100000, 1, SS_RW);
	ss_map(B, 4, 0, 0x700000, 1, SS_RW);
	uint16_t d = SID(0, 3, 0);
	lctx(d, A, 1);
	EXPECT_XL(d, 0, 0x100000, 1, "first walk");
	lctx(d, B, 2);                 /* no invalidation */
	EXPECT_XL(d, 0, 0x100000, 1, "context entry changed, not invalidated");
	iotlb_inv(1, 0, 0, 0, false);   /* wrong cache */
	EXPECT_XL(d, 0, 0x100000, 1, "after an IOTLB flush only");
	cc_inv(3, 1, SID(0, 3, 1), 0);  /* other function */
	EXPECT_XL(d, 0, 0x100000, 1, "after invalidating 00:03.1");
	cc_inv(2, 7, 0, 0);             /* other domain */
	EXPECT_XL(d, 0, 0x100000, 1, "after invalidating domain 7");
	cc_inv(1, 0, 0, 0);
	EXPECT_XL(d, 0, 0x700000, 2, "after global context invalidation");
}
BOTH(cc_global)

static void cc_domain(void)
{
	legacy_inv_setup();
	uint64_t A = alloc_page(), B = alloc_page(), C = alloc_page();
	ss_map(A, 4, 0, 0x100000, 1, SS_RW);
	ss_map(B, 4, 0, 0x700000, 1, SS_RW);
	ss_map(C, 4, 0, 0x300000, 1, SS_RW);
	uint16_t x = SID(0, 3, 0), y = SID(0, 4, 0);
	lctx(x, A, 1);
	lctx(y, C, 3);
	EXPECT_XL(x, 0, 0x100000, 1, "x first walk");
	EXPECT_XL(y, 0, 0x300000, 3, "y first walk");
	lctx(x, B, 2);
	lctx(y, B, 2);
	cc_inv(2, 5, 0, 0);
	EXPECT_XL(x, 0, 0x100000, 1, "x after invalidating domain 5");
	EXPECT_XL(y, 0, 0x300000, 3, "y after invalidating domain 5");
	cc_inv(2, 2, 0, 0);  /* the new DID is not what is cached */
	EXPECT_XL(x, 0, 0x100000, 1, "x after invalidating domain 2");
	EXPECT_XL(y, 0, 0x300000, 3, "y after invalidating domain 2");
	struct vtd_iommu_stats s0 = stats();
	cc_inv(2, 1, 0, 0);
	assert_int_equal(stats().context_invalidated - s0.context_invalidated, 1);
	EXPECT_XL(x, 0, 0x700000, 2, "x after invalidating domain 1");
	EXPECT_XL(y, 0, 0x300000, 3, "y after invalidating domain 1");
	cc_inv(2, 3, 0, 0);
	EXPECT_XL(y, 0, 0x700000, 2, "y after invalidating domain 3");
}
BOTH(cc_domain)

/* Device-selective with function masks: FM 1 masks function bit 2, 2 bits
 * 2:1, 3 bits 2:0 ([S] CCMD.FM).  Target 00:03.6; which functions of device
 * 3 are covered, as a bit mask over function numbers: */
static void cc_device_fm(void)
{
	static const uint8_t covered[4] = { 0x40, 0x44, 0x55, 0xff };
	legacy_inv_setup();
	uint64_t A = alloc_page(), B = alloc_page();
	ss_map(A, 4, 0, 0x100000, 1, SS_RW);
	ss_map(B, 4, 0, 0x700000, 1, SS_RW);
	uint16_t devs[10];
	for (unsigned f = 0; f < 8; f++)
		devs[f] = SID(0, 3, f);
	devs[8] = SID(0, 4, 6);  /* other device, same function */
	devs[9] = SID(1, 3, 6);  /* other bus */
	for (unsigned fm = 0; fm < 4; fm++) {
		for (unsigned i = 0; i < 10; i++)
			lctx(devs[i], A, 1);
		cc_inv(1, 0, 0, 0);
		for (unsigned i = 0; i < 10; i++)
			EXPECT_XL(devs[i], 0, 0x100000, 1, "cached");
		for (unsigned i = 0; i < 10; i++)
			lctx(devs[i], B, 2);
		struct vtd_iommu_stats s0 = stats();
		cc_inv(3, 1, SID(0, 3, 6), fm);
		unsigned n = 0;
		for (unsigned i = 0; i < 10; i++) {
			bool fresh = i < 8 && ((covered[fm] >> i) & 1);
			char what[64];
			snprintf(what, sizeof(what), "FM %u, device %u", fm, i);
			n += fresh;
			if (fresh)
				EXPECT_XL(devs[i], 0, 0x700000, 2, what);
			else
				EXPECT_XL(devs[i], 0, 0x100000, 1, what);
		}
		if (stats().context_invalidated - s0.context_invalidated != n)
			fail_msg("FM %u: context_invalidated moved by %llu, expected %u", fm,
				 (unsigned long long)(stats().context_invalidated -
						      s0.context_invalidated), n);
	}
}
BOTH(cc_device_fm)

/* ---- 1. stale entries: IOTLB ------------------------------------------------ */

struct iotlb_fix {
	uint16_t d1, d2;
	uint64_t pg[8], big2m, big1g, d2pg[2];
};

/* Domain 1 (00:03.0): pages 0-7 (0x100000 + i * 4K), a 2M page at 0x200000
 * (-> 0x400000) and a 1G page at 0x40000000 (-> 0x80000000).  Domain 2
 * (00:04.0): pages 0 and 1 (-> 0x300000, 0x301000).  All cached, then
 * every leaf changed without invalidation. */
static void iotlb_setup(struct iotlb_fix *f)
{
	legacy_inv_setup();
	uint64_t A = alloc_page(), C = alloc_page();
	f->d1 = SID(0, 3, 0);
	f->d2 = SID(0, 4, 0);
	lctx(f->d1, A, 1);
	lctx(f->d2, C, 2);
	for (unsigned i = 0; i < 8; i++)
		f->pg[i] = ss_map(A, 4, i * 0x1000ull, 0x100000 + i * 0x1000ull, 1, SS_RW);
	f->big2m = ss_map(A, 4, 0x200000, 0x400000, 2, SS_RW);
	f->big1g = ss_map(A, 4, 0x40000000, 0x80000000, 3, SS_RW);
	f->d2pg[0] = ss_map(C, 4, 0, 0x300000, 1, SS_RW);
	f->d2pg[1] = ss_map(C, 4, 0x1000, 0x301000, 1, SS_RW);
	for (unsigned i = 0; i < 8; i++)
		EXPECT_XL(f->d1, i * 0x1000ull, 0x100000 + i * 0x1000ull, 1, "cache 4K");
	EXPECT_XL(f->d1, 0x205000, 0x405000, 1, "cache 2M");
	EXPECT_XL(f->d1, 0x40123000, 0x80123000, 1, "cache 1G");
	EXPECT_XL(f->d2, 0, 0x300000, 2, "cache d2");
	EXPECT_XL(f->d2, 0x1000, 0x301000, 2, "cache d2");
	for (unsigned i = 0; i < 8; i++)
		ss_remap(f->pg[i], 0x500000 + i * 0x1000ull, 1);
	ss_remap(f->big2m, 0x600000, 2);
	ss_remap(f->big1g, 0xc0000000, 3);
	ss_remap(f->d2pg[0], 0x380000, 1);
	ss_remap(f->d2pg[1], 0x381000, 1);
	for (unsigned i = 0; i < 8; i++)
		EXPECT_XL(f->d1, i * 0x1000ull, 0x100000 + i * 0x1000ull, 1, "stale 4K");
	EXPECT_XL(f->d1, 0x205000, 0x405000, 1, "stale 2M");
	EXPECT_XL(f->d1, 0x40123000, 0x80123000, 1, "stale 1G");
	EXPECT_XL(f->d2, 0, 0x300000, 2, "stale d2");
}

#define OLD4K(i) (0x100000 + (i) * 0x1000ull)
#define NEW4K(i) (0x500000 + (i) * 0x1000ull)

static void iotlb_psi(void)
{
	struct iotlb_fix f;
	iotlb_setup(&f);
	/* page 0 of domain 2: domain 1's page 0 stays stale */
	iotlb_inv(3, 2, 0, 0, false);
	EXPECT_XL(f.d1, 0, OLD4K(0), 1, "d1 page 0 after PSI of d2 page 0");
	EXPECT_XL(f.d2, 0, 0x380000, 2, "d2 page 0 after PSI of d2 page 0");
	EXPECT_XL(f.d2, 0x1000, 0x301000, 2, "d2 page 1 after PSI of d2 page 0");
	/* one page */
	iotlb_inv(3, 1, 0x3000, 0, false);
	EXPECT_XL(f.d1, 0x3000, NEW4K(3), 1, "page 3 after its PSI");
	EXPECT_XL(f.d1, 0x2000, OLD4K(2), 1, "page 2 after PSI of page 3");
	EXPECT_XL(f.d1, 0x4000, OLD4K(4), 1, "page 4 after PSI of page 3");
	/* AM 1 with IH: pages 4-5 (IH spares only non-leaf entries) */
	iotlb_inv(3, 1, 0x4000, 1, true);
	EXPECT_XL(f.d1, 0x4000, NEW4K(4), 1, "page 4 after AM 1");
	EXPECT_XL(f.d1, 0x5000, NEW4K(5), 1, "page 5 after AM 1");
	EXPECT_XL(f.d1, 0x6000, OLD4K(6), 1, "page 6 after AM 1 at 0x4000");
	EXPECT_XL(f.d1, 0x2000, OLD4K(2), 1, "page 2 after AM 1 at 0x4000");
	/* AM 9: [0, 2M) -- not the 2M page at 0x200000 nor the 1G page */
	iotlb_inv(3, 1, 0, 9, false);
	for (unsigned i = 0; i < 8; i++)
		EXPECT_XL(f.d1, i * 0x1000ull, NEW4K(i), 1, "4K page after AM 9");
	EXPECT_XL(f.d1, 0x205000, 0x405000, 1, "2M page after AM 9 below it");
	EXPECT_XL(f.d1, 0x40123000, 0x80123000, 1, "1G page after AM 9 below it");
	/* a 4K PSI inside the 2M page drops it */
	iotlb_inv(3, 1, 0x3ff000, 0, false);
	EXPECT_XL(f.d1, 0x205000, 0x605000, 1, "2M page after 4K PSI inside it");
	EXPECT_XL(f.d1, 0x40123000, 0x80123000, 1, "1G page after PSI in 2M page");
	/* a 4K PSI in another domain inside the 1G range: no effect */
	iotlb_inv(3, 2, 0x40123000, 0, false);
	EXPECT_XL(f.d1, 0x40123000, 0x80123000, 1, "1G page after PSI of domain 2");
	/* a 4K PSI inside the 1G page drops it */
	iotlb_inv(3, 1, 0x7fffe000, 0, true);
	EXPECT_XL(f.d1, 0x40123000, 0xc0123000, 1, "1G page after 4K PSI inside it");
}
BOTH(iotlb_psi)

/* A domain with few entries takes the other path of a page-selective
 * invalidation (walking the domain rather than probing keys). */
static void iotlb_psi_small_domain(void)
{
	legacy_inv_setup();
	uint64_t C = alloc_page();
	uint16_t d = SID(0, 4, 0);
	lctx(d, C, 2);
	uint64_t p0 = ss_map(C, 4, 0, 0x300000, 1, SS_RW);
	uint64_t p1 = ss_map(C, 4, 0x1000, 0x301000, 1, SS_RW);
	uint64_t b = ss_map(C, 4, 0x200000, 0x400000, 2, SS_RW);
	EXPECT_XL(d, 0, 0x300000, 2, "cache");
	EXPECT_XL(d, 0x1000, 0x301000, 2, "cache");
	EXPECT_XL(d, 0x234000, 0x434000, 2, "cache");
	ss_remap(p0, 0x380000, 1);
	ss_remap(p1, 0x381000, 1);
	ss_remap(b, 0x800000, 2);
	iotlb_inv(3, 2, 0x1000, 0, false);
	EXPECT_XL(d, 0x1000, 0x381000, 2, "page 1 after its PSI");
	EXPECT_XL(d, 0, 0x300000, 2, "page 0 after PSI of page 1");
	EXPECT_XL(d, 0x234000, 0x434000, 2, "2M page after PSI of page 1");
	iotlb_inv(3, 3, 0x200000, 9, false);
	EXPECT_XL(d, 0x234000, 0x434000, 2, "2M page after PSI of domain 3");
	iotlb_inv(3, 2, 0x3ff000, 0, false);
	EXPECT_XL(d, 0x234000, 0x834000, 2, "2M page after 4K PSI inside it");
	EXPECT_XL(d, 0, 0x300000, 2, "page 0 after PSI in the 2M page");
}
BOTH(iotlb_psi_small_domain)

static void iotlb_domain(void)
{
	struct iotlb_fix f;
	iotlb_setup(&f);
	iotlb_inv(2, 3, 0, 0, false);
	EXPECT_XL(f.d1, 0, OLD4K(0), 1, "d1 after domain 3 invalidation");
	EXPECT_XL(f.d2, 0, 0x300000, 2, "d2 after domain 3 invalidation");
	cc_inv(1, 0, 0, 0);  /* wrong cache */
	EXPECT_XL(f.d1, 0, OLD4K(0), 1, "d1 after context invalidation");
	struct vtd_iommu_stats s0 = stats();
	iotlb_inv(2, 2, 0, 0, false);
	assert_int_equal(stats().iotlb_invalidated - s0.iotlb_invalidated, 2);
	EXPECT_XL(f.d2, 0, 0x380000, 2, "d2 after domain 2 invalidation");
	EXPECT_XL(f.d2, 0x1000, 0x381000, 2, "d2 after domain 2 invalidation");
	EXPECT_XL(f.d1, 0, OLD4K(0), 1, "d1 after domain 2 invalidation");
	EXPECT_XL(f.d1, 0x205000, 0x405000, 1, "d1 2M after domain 2 invalidation");
	iotlb_inv(2, 1, 0, 0, false);
	for (unsigned i = 0; i < 8; i++)
		EXPECT_XL(f.d1, i * 0x1000ull, NEW4K(i), 1, "d1 after domain 1 invalidation");
	EXPECT_XL(f.d1, 0x205000, 0x605000, 1, "2M after domain 1 invalidation");
	EXPECT_XL(f.d1, 0x40123000, 0xc0123000, 1, "1G after domain 1 invalidation");
}
BOTH(iotlb_domain)

static void iotlb_global(void)
{
	struct iotlb_fix f;
	iotlb_setup(&f);
	struct vtd_iommu_stats s0 = stats();
	iotlb_inv(1, 0, 0, 0, false);
	/* 8 + 2M + 1G in domain 1, 2 in domain 2 */
	assert_int_equal(stats().iotlb_invalidated - s0.iotlb_invalidated, 12);
	assert_int_equal(stats().iotlb_entries, 0);
	for (unsigned i = 0; i < 8; i++)
		EXPECT_XL(f.d1, i * 0x1000ull, NEW4K(i), 1, "after global");
	EXPECT_XL(f.d1, 0x205000, 0x605000, 1, "2M after global");
	EXPECT_XL(f.d1, 0x40123000, 0xc0123000, 1, "1G after global");
	EXPECT_XL(f.d2, 0, 0x380000, 2, "d2 after global");
}
BOTH(iotlb_global)

/* Register-based requests the unit refuses report IAIG/CAIG = 0 and change
 * nothing ([S]; AM beyond CAP.MAMV = 18, granularity 0 is reserved). */
static void test_reg_refused(void **st)
{
	(void)st;
	struct iotlb_fix f;
	use_qi = false;
	iotlb_setup(&f);
	mmio_w(VTD_REG_IVA, 8, 0 | 19);
	mmio_w(VTD_REG_IOTLB, 8, IOTLB_IVT | 3ull << 60 | 1ull << 32);
	uint64_t v = mmio_r(VTD_REG_IOTLB, 8);
	assert_false(v & IOTLB_IVT);
	assert_int_equal((v >> 57) & 3, 0);
	EXPECT_XL(f.d1, 0, OLD4K(0), 1, "after PSI with AM 19");
	mmio_w(VTD_REG_IVA, 8, 0);
	mmio_w(VTD_REG_IOTLB, 8, IOTLB_IVT | 0ull << 60 | 1ull << 32);
	v = mmio_r(VTD_REG_IOTLB, 8);
	assert_false(v & IOTLB_IVT);
	assert_int_equal((v >> 57) & 3, 0);
	EXPECT_XL(f.d1, 0, OLD4K(0), 1, "after IIRG 0");
	/* AM 18 is the maximum and is accepted */
	mmio_w(VTD_REG_IVA, 8, 0 | 18);
	mmio_w(VTD_REG_IOTLB, 8, IOTLB_IVT | 3ull << 60 | 1ull << 32);
	assert_int_equal((mmio_r(VTD_REG_IOTLB, 8) >> 57) & 3, 3);
	EXPECT_XL(f.d1, 0, NEW4K(0), 1, "after PSI with AM 18");
	EXPECT_XL(f.d1, 0x205000, 0x605000, 1, "2M after PSI with AM 18");
	/* [0, 1 GiB): not the 1G page at 1 GiB */
	EXPECT_XL(f.d1, 0x40123000, 0x80123000, 1, "1G page after PSI with AM 18 below it");
	/* CIRG 0 */
	uint64_t B = alloc_page();
	ss_map(B, 4, 0, 0x700000, 1, SS_RW);
	lctx(f.d2, B, 9);
	mmio_w(VTD_REG_CCMD, 8, CCMD_ICC | 0ull << 61);
	v = mmio_r(VTD_REG_CCMD, 8);
	assert_false(v & CCMD_ICC);
	assert_int_equal((v >> 59) & 3, 0);
	EXPECT_XL(f.d2, 0x1000, 0x301000, 2, "after CIRG 0");
}

/* With the queue enabled, register-based commands are not processed: ICC
 * and IVT stay set and the caches keep their entries ([S], as QEMU). */
static void test_reg_pending_with_qi(void **st)
{
	(void)st;
	struct iotlb_fix f;
	use_qi = true;
	iotlb_setup(&f);
	uint64_t B = alloc_page();
	ss_map(B, 4, 0, 0x700000, 1, SS_RW);
	lctx(f.d2, B, 9);
	mmio_w(VTD_REG_CCMD, 8, CCMD_ICC | 1ull << 61);
	assert_true(mmio_r(VTD_REG_CCMD, 8) & CCMD_ICC);
	mmio_w(VTD_REG_IVA, 8, 0);
	mmio_w(VTD_REG_IOTLB, 8, IOTLB_IVT | 1ull << 60);
	assert_true(mmio_r(VTD_REG_IOTLB, 8) & IOTLB_IVT);
	EXPECT_XL(f.d1, 0, OLD4K(0), 1, "IOTLB register ignored with QI");
	EXPECT_XL(f.d2, 0x1000, 0x301000, 2, "CCMD ignored with QI");
	/* the queue still works */
	q_run(2 | 1 << 4, 0, "global IOTLB descriptor");
	q_run(1 | 1 << 4, 0, "global context descriptor");
	EXPECT_XL(f.d1, 0, NEW4K(0), 1, "after queued IOTLB flush");
	EXPECT_XL(f.d2, 0, 0x700000, 9, "after queued context flush");
}

/* ---- 1. stale entries: scalable mode (PASID cache, PASID-based IOTLB) ------- */

#define SM_PROPS "x-scalable-mode=on,x-flts=on,x-pasid-mode=on"

static void sm_setup(const char *props, uint32_t iotlb_entries)
{
	mk(props, iotlb_entries);
	put64(ROOT, CT0 | 1);
	enable_root(ROOT | RTADDR_SMT);
	qi_on(QBASE, 0, true);
}

/* sm_setup(SM_PROPS) with device 00:03.0 in it; returns its source id */
static uint16_t sm_setup_dev(void)
{
	uint16_t d = SID(0, 3, 0);
	sm_setup(SM_PROPS, 0);
	sm_dev(d & 0xff);
	return d;
}

static void test_pasid_cache(void **st)
{
	(void)st;
	uint16_t d = sm_setup_dev();
	uint64_t F1 = alloc_page(), F2 = alloc_page(), F3 = alloc_page();
	uint64_t G1 = alloc_page(), G2 = alloc_page(), G3 = alloc_page();
	fs_map(F1, 0, 0x100000, 1, FS_PRU);
	fs_map(F2, 0, 0x200000, 1, FS_PRU);
	fs_map(F3, 0, 0x300000, 1, FS_PRU);
	fs_map(G1, 0, 0x500000, 1, FS_PRU);
	fs_map(G2, 0, 0x600000, 1, FS_PRU);
	fs_map(G3, 0, 0x700000, 1, FS_PRU);
	sm_pasid(1, 1, F1);
	sm_pasid(2, 1, F2);
	sm_pasid(3, 4, F3);
	EXPECT_XP(d, 1, 0, 0x100000, 1, "cache PASID 1");
	EXPECT_XP(d, 2, 0, 0x200000, 1, "cache PASID 2");
	EXPECT_XP(d, 3, 0, 0x300000, 4, "cache PASID 3");
	assert_int_equal(stats().pasid_entries, 3);
	sm_pasid(1, 2, G1);
	sm_pasid(2, 2, G2);
	sm_pasid(3, 5, G3);
	EXPECT_XP(d, 1, 0, 0x100000, 1, "PASID 1 stale");
	EXPECT_XP(d, 2, 0, 0x200000, 1, "PASID 2 stale");
	EXPECT_XP(d, 3, 0, 0x300000, 4, "PASID 3 stale");
	q_run(2 | 1 << 4, 0, "global IOTLB");  /* wrong cache */
	EXPECT_XP(d, 1, 0, 0x100000, 1, "PASID 1 after IOTLB flush");
	q_run(pc_q0(0, 9, 0), 0, "PASID cache, domain 9");
	q_run(pc_q0(0, 2, 0), 0, "PASID cache, domain 2 (the new DID)");
	q_run(pc_q0(1, 1, 3), 0, "PASID cache, domain 1 PASID 3");
	q_run(pc_q0(1, 4, 1), 0, "PASID cache, domain 4 PASID 1");
	EXPECT_XP(d, 1, 0, 0x100000, 1, "PASID 1 after wrong invalidations");
	EXPECT_XP(d, 2, 0, 0x200000, 1, "PASID 2 after wrong invalidations");
	EXPECT_XP(d, 3, 0, 0x300000, 4, "PASID 3 after wrong invalidations");
	q_run(pc_q0(1, 1, 1), 0, "PASID cache, domain 1 PASID 1");
	EXPECT_XP(d, 1, 0, 0x500000, 2, "PASID 1 after PASID-selective");
	EXPECT_XP(d, 2, 0, 0x200000, 1, "PASID 2 after PASID-selective of 1");
	EXPECT_XP(d, 3, 0, 0x300000, 4, "PASID 3 after PASID-selective of 1");
	q_run(pc_q0(0, 1, 0), 0, "PASID cache, domain 1");
	EXPECT_XP(d, 2, 0, 0x600000, 2, "PASID 2 after domain-selective");
	EXPECT_XP(d, 3, 0, 0x300000, 4, "PASID 3 after domain-selective of 1");
	q_run(pc_q0(3, 0, 0), 0, "PASID cache, global");
	EXPECT_XP(d, 3, 0, 0x700000, 5, "PASID 3 after global");
	EXPECT_XP(d, 1, 0, 0x500000, 2, "PASID 1 after global");
}

/* Requests without PASID go through RID_PASID (0 here) and, once its
 * entry has been checked, take the fast path (one decoded word per
 * device, DID and "first stage").  That word belongs to the PASID cache:
 * a PASID-cache invalidation drops it, and the next request sees the new
 * PASID entry (new DID, then pass-through) exactly as the general path
 * does; without one, the old entry stays in use, as hardware's would. */
static void test_rid_pasid_fast_path(void **st)
{
	(void)st;
	uint16_t d = sm_setup_dev();
	uint64_t F1 = alloc_page(), G1 = alloc_page();
	fs_map(F1, 0, 0x100000, 1, FS_PRU);
	fs_map(G1, 0, 0x500000, 1, FS_PRU);
	sm_pasid(0, 1, F1);
	EXPECT_XL(d, 0x10, 0x100010, 1, "cache RID_PASID");
	uint64_t h = stats().iotlb_hits;
	EXPECT_XL(d, 0x20, 0x100020, 1, "hit");
	assert_int_equal(stats().iotlb_hits, h + 1);
	sm_pasid(0, 2, G1);
	EXPECT_XL(d, 0x10, 0x100010, 1, "PASID entry changed, not invalidated");
	q_run(pc_q0(1, 1, 0), 0, "PASID cache, domain 1 PASID 0");
	EXPECT_XL(d, 0x10, 0x500010, 2, "new DID and table after PASID-cache invalidation");
	EXPECT_XL(d, 0x10, 0x500010, 2, "the same, again (cached)");
	set_pasid_entry(PDIR, 0, PGTT(4) | 1, 3, 0);
	EXPECT_XL(d, 0x10, 0x500010, 2, "pass-through, not invalidated");
	q_run(pc_q0(1, 2, 0), 0, "PASID cache, domain 2 PASID 0");
	EXPECT_XL(d, 0x10, 0x10, 3, "pass-through after PASID-cache invalidation");
}

/* Requests with a PASID take a fast path of their own once their
 * (device, PASID) entry has been checked: a slot of the PASID-tagged
 * table (cache.h, vtd_pf_get) with the DID, the stage and whether
 * supervisor requests are allowed.  It reads no PASID entry (the PASID
 * cache's statistics do not move), serves hits and misses with the
 * PASID's own IOTLB tag (first stage) or the domain's (second stage),
 * leaves SPT.6 to the general path for a supervisor request without SRE,
 * and goes with PASID-cache and context-cache invalidations, as the
 * device's own word does. */
static void test_pasid_fast_path(void **st)
{
	(void)st;
	/* (x-nest: both stages) */
	uint16_t d = SID(0, 3, 0);
	sm_setup("x-scalable-mode=on,x-nest=on,x-pasid-mode=on", 0);
	sm_dev(d & 0xff);
	uint64_t F1 = alloc_page(), F2 = alloc_page(), G1 = alloc_page(), S3 = alloc_page();
	for (unsigned i = 0; i < 4; i++)
		fs_map(F1, i * 0x1000ull, OLD4K(i), 1, FS_PRU);
	fs_map(F2, 0, 0x200000, 1, FS_PRU);
	fs_map(G1, 0, 0x500000, 1, FS_PRU);
	ss_map(S3, 4, 0x7000, 0x307000, 1, SS_RW);
	ss_map(S3, 4, 0x8000, 0x308000, 1, SS_RW);
	sm_pasid(1, 1, F1);
	sm_pasid(2, 1, F2);
	set_pasid_entry(PDIR, 3, S3 | PGTT(2) | SSAW(2) | 1, 4, 0);
	EXPECT_XP(d, 1, 0, OLD4K(0), 1, "cache PASID 1");
	EXPECT_XP(d, 2, 0, 0x200000, 1, "cache PASID 2");
	EXPECT_XP(d, 3, 0x7000, 0x307000, 4, "cache PASID 3 (second stage)");
	struct vtd_iommu_stats a = stats();
	EXPECT_XP(d, 1, 0x1000, OLD4K(1), 1, "PASID 1: a fast miss");
	EXPECT_XP(d, 1, 0x1010, OLD4K(1) | 0x10, 1, "PASID 1: a fast hit");
	EXPECT_XP(d, 2, 0x10, 0x200010, 1, "PASID 2: a fast hit on its own tag");
	EXPECT_XP(d, 2, 0x1000, NOADDR, 1, "PASID 2: not mapped (the general path's fault)");
	assert_int_equal(R.fault, 0x71); /* SFL.2 */
	EXPECT_XP(d, 3, 0x8000, 0x308000, 4, "PASID 3: a fast second-stage miss");
	EXPECT_XP(d, 3, 0x7010, 0x307010, 4, "PASID 3: a fast second-stage hit");
	struct vtd_iommu_stats b = stats();
	assert_int_equal(b.iotlb_hits - a.iotlb_hits, 3);
	assert_int_equal(b.iotlb_misses - a.iotlb_misses, 3);
	/* the fault's walk read the PASID entry; nothing else did */
	assert_int_equal(b.pasid_hits + b.pasid_misses - a.pasid_hits - a.pasid_misses, 1);
	/* a supervisor request without SRE: SPT.6, every time */
	struct vtd_dma_request rq = { .sid = d, .pasid_valid = true, .pasid = 1, .addr = 0x1000,
				      .perm = VTD_PERM_R, .priv = true };
	for (int i = 0; i < 2; i++) {
		memset(&R, 0, sizeof(R));
		assert_int_equal(vtd_iommu_translate(iommu, &rq, &R), -EACCES);
		assert_int_equal(R.fault, 0x5d);
	}
	/* a changed PASID entry is served from the slot until the PASID cache
	 * is invalidated */
	sm_pasid(1, 2, G1);
	EXPECT_XP(d, 1, 0x2000, OLD4K(2), 1, "PASID 1 changed, not invalidated");
	q_run(pc_q0(1, 1, 1), 0, "PASID cache, domain 1 PASID 1");
	EXPECT_XP(d, 1, 0, 0x500000, 2, "PASID 1 after its PASID-cache invalidation");
	a = stats();
	EXPECT_XP(d, 1, 0x10, 0x500010, 2, "PASID 1: a fast hit again");
	b = stats();
	assert_int_equal(b.pasid_hits + b.pasid_misses, a.pasid_hits + a.pasid_misses);
	/* a device-selective context-cache invalidation (type 1, G=11b, SID
	 * 47:32) drops the slots of every PASID: the next request reads its
	 * PASID entry (from the PASID cache) again */
	q_run(1 | 3 << 4 | (uint64_t)d << 32, 0, "context cache, device");
	EXPECT_XP(d, 1, 0x10, 0x500010, 2, "PASID 1 after a context invalidation");
	EXPECT_XP(d, 3, 0x7000, 0x307000, 4, "PASID 3 after a context invalidation");
	a = stats();
	assert_int_equal(a.pasid_hits + a.pasid_misses - b.pasid_hits - b.pasid_misses, 2);
	EXPECT_XP(d, 3, 0x7000, 0x307000, 4, "PASID 3: fast again");
	b = stats();
	assert_int_equal(b.pasid_hits + b.pasid_misses, a.pasid_hits + a.pasid_misses);
}

static void test_pasid_iotlb(void **st)
{
	(void)st;
	uint16_t d = sm_setup_dev();
	uint64_t F1 = alloc_page(), F2 = alloc_page(), F3 = alloc_page();
	uint64_t p1[4], p2, p3;
	for (unsigned i = 0; i < 4; i++)
		p1[i] = fs_map(F1, i * 0x1000ull, OLD4K(i), 1, FS_PRU);
	p2 = fs_map(F2, 0x2000, 0x200000, 1, FS_PRU);
	p3 = fs_map(F3, 0, 0x300000, 1, FS_PRU);
	sm_pasid(1, 1, F1);
	sm_pasid(2, 1, F2);
	sm_pasid(3, 2, F3);
	for (unsigned i = 0; i < 4; i++)
		EXPECT_XP(d, 1, i * 0x1000ull, OLD4K(i), 1, "cache PASID 1");
	EXPECT_XP(d, 2, 0x2000, 0x200000, 1, "cache PASID 2");
	EXPECT_XP(d, 3, 0, 0x300000, 2, "cache PASID 3");
	for (unsigned i = 0; i < 4; i++)
		fs_remap(p1[i], NEW4K(i));
	fs_remap(p2, 0x900000);
	fs_remap(p3, 0xa00000);
	q_run(piotlb_q0(2, 1, 5), 0, "PASID-IOTLB, domain 1 PASID 5");
	q_run(piotlb_q0(2, 2, 1), 0, "PASID-IOTLB, domain 2 PASID 1");
	q_run(piotlb_q0(3, 1, 2), 0x1000, "PASID-IOTLB PSI, PASID 2 page 1");
	q_run(pc_q0(3, 0, 0), 0, "PASID cache global (wrong cache)");
	for (unsigned i = 0; i < 4; i++)
		EXPECT_XP(d, 1, i * 0x1000ull, OLD4K(i), 1, "PASID 1 after wrong invalidations");
	EXPECT_XP(d, 2, 0x2000, 0x200000, 1, "PASID 2 after wrong invalidations");
	q_run(piotlb_q0(3, 1, 1), 0x1000, "PASID-IOTLB PSI, PASID 1 page 1");
	EXPECT_XP(d, 1, 0x1000, NEW4K(1), 1, "page 1 after its PSI");
	EXPECT_XP(d, 1, 0x0000, OLD4K(0), 1, "page 0 after PSI of page 1");
	EXPECT_XP(d, 1, 0x2000, OLD4K(2), 1, "page 2 after PSI of page 1");
	q_run(piotlb_q0(3, 1, 2), 0x2000 | 1, "PASID-IOTLB PSI, PASID 2 pages 2-3");
	EXPECT_XP(d, 2, 0x2000, 0x900000, 1, "PASID 2 after its PSI");
	EXPECT_XP(d, 1, 0x2000, OLD4K(2), 1, "PASID 1 page 2 after PSI of PASID 2");
	q_run(piotlb_q0(3, 1, 1), 0x2000 | 0x40 | 1, "PASID-IOTLB PSI AM 1 IH");
	EXPECT_XP(d, 1, 0x2000, NEW4K(2), 1, "page 2 after AM 1");
	EXPECT_XP(d, 1, 0x3000, NEW4K(3), 1, "page 3 after AM 1");
	EXPECT_XP(d, 1, 0x0000, OLD4K(0), 1, "page 0 after AM 1 at 0x2000");
	q_run(piotlb_q0(2, 1, 1), 0, "PASID-IOTLB, domain 1 PASID 1");
	EXPECT_XP(d, 1, 0x0000, NEW4K(0), 1, "page 0 after PASID-selective");
	EXPECT_XP(d, 3, 0, 0x300000, 2, "PASID 3 (domain 2) after domain 1 PASID 1");
	q_run(piotlb_q0(2, 2, 3), 0, "PASID-IOTLB, domain 2 PASID 3");
	EXPECT_XP(d, 3, 0, 0xa00000, 2, "PASID 3 after its invalidation");
}

/* A page-selective IOTLB descriptor (type 2, no PASID) drops every
 * first-stage entry of its domain, not only the named page (VT-d spec
 * 6.5.2.3); another domain's entries stay.  Found by comparing with QEMU
 * 10.0, whose intel-iommu does this (issue 21). */
static void test_iotlb_psi_first_stage_domain(void **st)
{
	(void)st;
	uint16_t d = sm_setup_dev();
	uint64_t F1 = alloc_page(), F2 = alloc_page();
	uint64_t p1[4], p2;
	for (unsigned i = 0; i < 4; i++)
		p1[i] = fs_map(F1, i * 0x1000ull, OLD4K(i), 1, FS_PRU);
	p2 = fs_map(F2, 0, 0x300000, 1, FS_PRU);
	sm_pasid(0, 1, F1);   /* requests without PASID: domain 1 */
	sm_pasid(1, 1, F1);   /* PASID 1: domain 1 too */
	sm_pasid(2, 2, F2);   /* PASID 2: domain 2 */
	for (unsigned i = 0; i < 4; i++) {
		EXPECT_XL(d, i * 0x1000ull, OLD4K(i), 1, "cache RID_PASID");
		EXPECT_XP(d, 1, i * 0x1000ull, OLD4K(i), 1, "cache PASID 1");
	}
	EXPECT_XP(d, 2, 0, 0x300000, 2, "cache PASID 2");
	for (unsigned i = 0; i < 4; i++)
		fs_remap(p1[i], NEW4K(i));
	fs_remap(p2, 0xa00000);
	q_run(2 | 3 << 4 | 1ull << 16, 0x1000, "IOTLB PSI, domain 1, page 1");
	for (unsigned i = 0; i < 4; i++) {
		EXPECT_XL(d, i * 0x1000ull, NEW4K(i), 1, "RID_PASID after PSI of page 1");
		EXPECT_XP(d, 1, i * 0x1000ull, NEW4K(i), 1, "PASID 1 after PSI of page 1");
	}
	EXPECT_XP(d, 2, 0, 0x300000, 2, "domain 2 untouched by domain 1's PSI");
	q_run(2 | 3 << 4 | 2ull << 16, 0x5000, "IOTLB PSI, domain 2, a page it never mapped");
	EXPECT_XP(d, 2, 0, 0xa00000, 2, "domain 2 after its own PSI of another page");
}

/* Page-selective PASID-based invalidation in a domain with many entries
 * (key probing), where another PASID of the same domain caches the same
 * page. */
static void test_pasid_iotlb_many(void **st)
{
	(void)st;
	uint16_t d = sm_setup_dev();
	uint64_t F1 = alloc_page(), F2 = alloc_page();
	uint64_t e1[64], e2[64];
	for (unsigned i = 0; i < 64; i++) {
		e1[i] = fs_map(F1, i * 0x1000ull, 0x1000000 + i * 0x1000ull, 1, FS_PRU);
		e2[i] = fs_map(F2, i * 0x1000ull, 0x2000000 + i * 0x1000ull, 1, FS_PRU);
	}
	sm_pasid(1, 1, F1);
	sm_pasid(2, 1, F2);
	for (unsigned i = 0; i < 64; i++) {
		EXPECT_XP(d, 1, i * 0x1000ull, 0x1000000 + i * 0x1000ull, 1, "cache");
		EXPECT_XP(d, 2, i * 0x1000ull, 0x2000000 + i * 0x1000ull, 1, "cache");
	}
	for (unsigned i = 0; i < 64; i++) {
		fs_remap(e1[i], 0x3000000 + i * 0x1000ull);
		fs_remap(e2[i], 0x4000000 + i * 0x1000ull);
	}
	struct vtd_iommu_stats s0 = stats();
	q_run(piotlb_q0(3, 1, 1), 0x7000, "PSI PASID 1 page 7");
	assert_int_equal(stats().iotlb_invalidated - s0.iotlb_invalidated, 1);
	q_run(piotlb_q0(3, 1, 2), 0x10000 | 4, "PSI PASID 2 pages 16-31");
	assert_int_equal(stats().iotlb_invalidated - s0.iotlb_invalidated, 17);
	for (unsigned i = 0; i < 64; i++) {
		bool n1 = i == 7, n2 = i >= 16 && i < 32;
		EXPECT_XP(d, 1, i * 0x1000ull, (n1 ? 0x3000000 : 0x1000000) + i * 0x1000ull, 1,
			  "PASID 1 after PSIs");
		EXPECT_XP(d, 2, i * 0x1000ull, (n2 ? 0x4000000 : 0x2000000) + i * 0x1000ull, 1,
			  "PASID 2 after PSIs");
	}
}

/* ---- 2. descriptor validation ---------------------------------------------- */

static uint64_t bits(unsigned hi, unsigned lo)
{
	return (hi >= 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}

/* Every reserved bit of q0 (mask) and of q1 (mask1), one at a time, must be
 * rejected with IQEI 4 ([T4]); q2/q3 in a 256-bit queue too. */
static void each_reserved(uint64_t q0, uint64_t q1, uint64_t m0, uint64_t m1, const char *what)
{
	char msg[96];
	for (unsigned b = 0; b < 64; b++) {
		if ((m0 >> b) & 1) {
			snprintf(msg, sizeof(msg), "%s: q0 bit %u", what, b);
			q_reject(q0 | (1ull << b), q1, 0, 0, 4, msg);
		}
		if ((m1 >> b) & 1) {
			snprintf(msg, sizeof(msg), "%s: q1 bit %u", what, b);
			q_reject(q0, q1 | (1ull << b), 0, 0, 4, msg);
		}
	}
	if (q_shift == 5) {
		snprintf(msg, sizeof(msg), "%s: q2", what);
		q_reject(q0, q1, 1ull << 40, 0, 4, msg);
		snprintf(msg, sizeof(msg), "%s: q3", what);
		q_reject(q0, q1, 0, 1, 4, msg);
	}
	q_accept(q0, q1, 0, 0, what);
}

static void legacy_descriptors(bool dt, bool ir)
{
	/* type 1: reserved q0 8:6, 15:12, 63:50; q1 all.  All fields set. */
	uint64_t cc = 1 | 3 << 4 | 0xffffull << 16 | 0xffffull << 32 | 3ull << 48;
	each_reserved(cc, 0, bits(8, 6) | bits(15, 12) | bits(63, 50), ~0ull, "context");
	q_reject(1 | 0 << 4, 0, 0, 0, 4, "context G=0");
	/* type 2: q0 reserved 8, 15:12, 63:32 (DW 6, DR 7 valid); q1 11:7 */
	uint64_t it = 2 | 3 << 4 | 3 << 6 | 0xffffull << 16;
	each_reserved(it, 0xfffffffffffc0000ull | 0x40 | 18, bits(8, 8) | bits(15, 12) | bits(63, 32),
		      bits(11, 7), "IOTLB");
	q_reject(2 | 0 << 4, 0, 0, 0, 4, "IOTLB G=0");
	q_reject(2 | 3 << 4 | 1 << 16, 19, 0, 0, 4, "IOTLB AM 19");
	q_reject(2 | 3 << 4 | 1 << 16, 63, 0, 0, 4, "IOTLB AM 63");
	q_accept(2 | 3 << 4 | 1 << 16, 18, 0, 0, "IOTLB AM 18");
	/* type 3: needs ECAP.DT */
	uint64_t dev = 3 | 0xfull << 12 | 0x1full << 16 | 0xffffull << 32 | 0xfffull << 52;
	if (dt)
		each_reserved(dev, ~0xffeull, bits(8, 4) | bits(31, 21) | bits(51, 48), bits(11, 1),
			      "device-TLB");
	else
		q_reject(3, 0, 0, 0, 3, "device-TLB without device-iotlb");
	/* type 4: needs interrupt remapping; reserved q0 8:5, 26:12, 63:48;
	 * IM (31:27) at most ECAP.MHMV (15), above it the request is invalid */
	uint64_t iec = 4 | 1 << 4 | 0xfull << 27 | 0xffffull << 32;
	if (ir) {
		each_reserved(iec, 0, bits(8, 5) | bits(26, 12) | bits(63, 48), ~0ull, "IEC");
		q_reject(4 | 1 << 4 | 16ull << 27, 0, 0, 0, 4, "IEC IM above MHMV");
	} else
		q_reject(4, 0, 0, 0, 3, "IEC without interrupt remapping");
	/* type 5: reserved q0 8, 31:12 (7 without PDS); q1 1:0 */
	uint64_t w = 5 | WAIT_SW | 0xdeadbeefull << 32;
	each_reserved(w, STATUS, bits(8, 7) | bits(31, 12), bits(1, 0), "wait");
	/* unknown types, type-hi bits, 256-bit types in a 128-bit queue */
	static const uint64_t unknown[] = { 0, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x201, 0x202,
					    0x405, 0x800, 0xe02 };
	char msg[64];
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		snprintf(msg, sizeof(msg), "unknown type q0 %#llx", (unsigned long long)unknown[i]);
		q_reject(unknown[i] | (unknown[i] == 0x405 ? WAIT_FN : 0), 0, 0, 0, 3, msg);
	}
}

static void test_desc_legacy(void **st)
{
	(void)st;
	legacy("", 0);
	qi_on(QBASE, 0, false);
	legacy_descriptors(false, true);
	/* 6, 7, 8 need a 256-bit queue */
	q_reject(piotlb_q0(2, 1, 1), 0, 0, 0, 3, "type 6 in a 128-bit queue");
	q_reject(pc_q0(3, 0, 0), 0, 0, 0, 3, "type 7 in a 128-bit queue");
	q_reject(8, 0, 0, 0, 3, "type 8 in a 128-bit queue");
	/* the wait descriptor needs at least one of IF, SW, FN */
	q_reject(5, STATUS, 0, 0, 4, "wait without IF/SW/FN");
	q_reject(5 | WAIT_PD, STATUS, 0, 0, 4, "wait with PD only, no PDS");
	q_accept(FENCE, 0, 0, 0, "wait FN only");
}

static void test_desc_devtlb_no_ir(void **st)
{
	(void)st;
	legacy("device-iotlb=on,intremap=off", 0);
	qi_on(QBASE, 1, false);
	legacy_descriptors(true, false);
}

static void test_desc_scalable(void **st)
{
	(void)st;
	sm_setup("x-scalable-mode=on,x-flts=on,x-pasid-mode=on,device-iotlb=on", 0);
	legacy_descriptors(true, true);
	/* type 6: q0 reserved 8:6, 15:12, 63:52; q1 11:7; G 2 or 3 */
	uint64_t pi = piotlb_q0(3, 0xffff, 0xfffff);
	each_reserved(pi, 0xfffffffffffc0000ull | 0x40 | 18, bits(8, 6) | bits(15, 12) | bits(63, 52),
		      bits(11, 7), "PASID-IOTLB");
	q_reject(piotlb_q0(0, 1, 1), 0, 0, 0, 4, "PASID-IOTLB G=0");
	q_reject(piotlb_q0(1, 1, 1), 0, 0, 0, 4, "PASID-IOTLB G=1");
	q_reject(piotlb_q0(3, 1, 1), 19, 0, 0, 4, "PASID-IOTLB AM 19");
	q_accept(piotlb_q0(2, 1, 1), 0, 0, 0, "PASID-IOTLB G=2");
	/* type 7: q0 reserved 8:6, 15:12, 63:52; q1 all; G 0, 1, 3 */
	each_reserved(pc_q0(1, 0xffff, 0xfffff), 0, bits(8, 6) | bits(15, 12) | bits(63, 52), ~0ull,
		      "PASID cache");
	q_reject(pc_q0(2, 1, 1), 0, 0, 0, 4, "PASID cache G=2");
	q_accept(pc_q0(0, 1, 1), 0, 0, 0, "PASID cache G=0");
	q_accept(pc_q0(3, 0, 0), 0, 0, 0, "PASID cache G=3");
	/* type 8: q1 reserved 10:1 */
	uint64_t pd = 8 | 0x1full << 4 | 0xfull << 12 | 0xffffull << 16 | 0xfffffull << 32 |
		      0xfffull << 52;
	each_reserved(pd, ~0x7feull, 0, bits(10, 1), "PASID device-TLB");
	q_reject(5, STATUS, 0, 0, 4, "wait without IF/SW/FN");
	q_reject(5 | WAIT_FN | WAIT_PD, 0, 0, 0, 4, "wait with PD, no PDS");
}

static void test_desc_scalable_no_dt(void **st)
{
	(void)st;
	sm_setup(SM_PROPS, 0);
	q_reject(3, 0, 0, 0, 3, "device-TLB without device-iotlb");
	q_reject(8, 0, 0, 0, 3, "PASID device-TLB without device-iotlb");
	q_accept(piotlb_q0(2, 1, 1), 0, 0, 0, "PASID-IOTLB");
}

/* Scalable-mode unit, 128-bit queue: 6/7/8 are invalid types. */
static void test_desc_scalable_128(void **st)
{
	(void)st;
	mk("x-scalable-mode=on,x-flts=on,x-pasid-mode=on,device-iotlb=on", 0);
	qi_on(QBASE, 0, false);
	q_reject(piotlb_q0(2, 1, 1), 0, 0, 0, 3, "type 6 in a 128-bit queue");
	q_reject(pc_q0(3, 0, 0), 0, 0, 0, 3, "type 7 in a 128-bit queue");
	q_reject(8, 0, 0, 0, 3, "type 8 in a 128-bit queue");
}

#define SVM_PROPS "x-scalable-mode=on,x-flts=on,x-pasid-mode=on,device-iotlb=on,svm=on"

static void test_wait_pd_with_pds(void **st)
{
	(void)st;
	sm_setup(SVM_PROPS, 0);
	q_accept(5 | WAIT_FN | WAIT_PD, 0, 0, 0, "wait FN|PD with PDS");
	q_reject(5 | WAIT_FN | 1 << 8, 0, 0, 0, 4, "wait bit 8");
}

/* ---- 2. wait descriptor ----------------------------------------------------- */

static void test_wait(void **st)
{
	(void)st;
	legacy("", 0);
	qi_on(QBASE, 0, false);
	mmio_w(VTD_REG_IEDATA, 4, 0x4242);
	mmio_w(VTD_REG_IEADDR, 4, 0xfee01000);
	/* status write only */
	put64(STATUS, 0x1111111111111111ull);
	q_run(5 | WAIT_SW | 0xcafef00dull << 32, STATUS, "wait SW");
	assert_int_equal(get32(STATUS), 0xcafef00du);
	assert_int_equal(get32(STATUS + 4), 0x11111111u);  /* exactly 32 bits */
	assert_int_equal(mmio_r(VTD_REG_ICS, 4) & 1, 0);
	/* FN only: nothing written, no completion */
	q_run(FENCE | 0x12345678ull << 32, STATUS + 8, "wait FN");
	assert_int_equal(get32(STATUS + 8), 0);
	assert_int_equal(mmio_r(VTD_REG_ICS, 4) & 1, 0);
	assert_int_equal(msis.n, 0);
	/* IF with IECTL masked (reset value): IWC and IECTL.IP, no MSI */
	assert_true(mmio_r(VTD_REG_IECTL, 4) & VTD_ECTL_IM);
	q_run(5 | WAIT_IF, 0, "wait IF masked");
	assert_int_equal(mmio_r(VTD_REG_ICS, 4) & 1, 1);
	assert_true(mmio_r(VTD_REG_IECTL, 4) & VTD_ECTL_IP);
	assert_int_equal(msis.n, 0);
	/* unmasking delivers the pending interrupt and clears IP */
	mmio_w(VTD_REG_IECTL, 4, 0);
	assert_int_equal(msis.n, 1);
	assert_int_equal(msis.addr, 0xfee01000);
	assert_int_equal(msis.data, 0x4242);
	assert_false(mmio_r(VTD_REG_IECTL, 4) & VTD_ECTL_IP);
	/* a second IF while IWC is still set does nothing */
	q_run(5 | WAIT_IF | WAIT_SW | 0x77ull << 32, STATUS + 16, "wait IF|SW with IWC set");
	assert_int_equal(get32(STATUS + 16), 0x77);  /* the status write still happens */
	assert_int_equal(msis.n, 1);
	assert_false(mmio_r(VTD_REG_IECTL, 4) & VTD_ECTL_IP);
	/* clear IWC (W1C); now IF unmasked sends the MSI at once */
	mmio_w(VTD_REG_ICS, 4, 1);
	assert_int_equal(mmio_r(VTD_REG_ICS, 4) & 1, 0);
	q_run(5 | WAIT_IF | WAIT_SW | 0x88ull << 32, STATUS + 24, "wait IF|SW unmasked");
	assert_int_equal(get32(STATUS + 24), 0x88);
	assert_int_equal(mmio_r(VTD_REG_ICS, 4) & 1, 1);
	assert_int_equal(msis.n, 2);
	assert_int_equal(msis.data, 0x4242);
	assert_false(mmio_r(VTD_REG_IECTL, 4) & VTD_ECTL_IP);
	/* masked again, IWC cleared: IP set; clearing IWC clears IP */
	mmio_w(VTD_REG_IECTL, 4, VTD_ECTL_IM);
	mmio_w(VTD_REG_ICS, 4, 1);
	q_run(5 | WAIT_IF, 0, "wait IF masked again");
	assert_true(mmio_r(VTD_REG_IECTL, 4) & VTD_ECTL_IP);
	mmio_w(VTD_REG_ICS, 4, 1);
	assert_false(mmio_r(VTD_REG_IECTL, 4) & VTD_ECTL_IP);
	mmio_w(VTD_REG_IECTL, 4, 0);
	assert_int_equal(msis.n, 2);
	/* no IF/SW/FN: rejected, nothing written */
	q_reject(5 | 0x99ull << 32, STATUS + 32, 0, 0, 4, "wait with no flag");
	assert_int_equal(get32(STATUS + 32), 0);
	/* the status write is ordered after earlier descriptors in the batch:
	 * a wait after an invalid descriptor does not write */
	uint32_t bad = q_tail;
	q_put(0xf, 0, 0, 0);
	q_put(5 | WAIT_SW | 0x55ull << 32, STATUS + 40, 0, 0);
	q_go();
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(iqh(), (uint64_t)bad << 4);
	assert_int_equal(get32(STATUS + 40), 0);
	q_set(bad, FENCE, 0, 0, 0);
	mmio_w(VTD_REG_FSTS, 4, VTD_FSTS_IQE);
	q_done("resume after fixing");
	assert_int_equal(get32(STATUS + 40), 0x55);
}

/* ---- 3. queue mechanics ----------------------------------------------------- */

static void test_tail_beyond_queue(void **st)
{
	(void)st;
	legacy("", 0);
	mmio_w(VTD_REG_FEDATA, 4, 0x31);
	mmio_w(VTD_REG_FEADDR, 4, 0xfee02000);
	mmio_w(VTD_REG_FECTL, 4, 0);
	qi_on(QBASE, 0, false);  /* 4 KiB: 256 descriptors */
	q_run(FENCE, 0, "one");
	mmio_w(VTD_REG_IQT, 8, 0x1000);
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(iqei(), 1);
	assert_int_equal(iqh(), 0x10);
	/* the IQE raised the fault event */
	assert_int_equal(msis.n, 1);
	assert_int_equal(msis.addr, 0xfee02000);
	assert_int_equal(msis.data, 0x31);
	/* a good tail plus clearing IQE resumes */
	q_put(FENCE, 0, 0, 0);
	q_go();
	assert_int_equal(iqh(), 0x10);  /* still stopped */
	mmio_w(VTD_REG_FSTS, 4, VTD_FSTS_IQE);
	q_done("after fixing IQT");
	/* QS = 1: 8 KiB, so 0x1000 is a valid tail there */
	gcmd(VTD_GCMD_QIE, false);
	mmio_w(VTD_REG_IQT, 8, 0);
	qi_on(QBASE, 1, false);
	for (unsigned i = 0; i < 256; i++)
		q_put(FENCE, 0, 0, 0);
	q_go();
	q_done("tail 0x1000 in an 8 KiB queue");
	mmio_w(VTD_REG_IQT, 8, 0x2000);
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(iqei(), 1);
}

static void test_tail_256(void **st)
{
	(void)st;
	sm_setup(SM_PROPS, 0);  /* 256-bit, 4 KiB: 128 descriptors */
	q_run(FENCE, 0, "one");
	assert_int_equal(iqh(), 0x20);
	mmio_w(VTD_REG_IQT, 8, 0x30);  /* bit 4 */
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(iqei(), 6);
	assert_int_equal(iqh(), 0x20);
	mmio_w(VTD_REG_IQT, 8, 0x20);
	mmio_w(VTD_REG_FSTS, 4, VTD_FSTS_IQE);
	assert_false(fsts() & VTD_FSTS_IQE);
	mmio_w(VTD_REG_IQT, 8, 0x1000);  /* 128 x 32 bytes: one past the end */
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(iqei(), 1);
}

static void test_wraparound(void **st)
{
	(void)st;
	legacy("", 0);
	qi_on(QBASE, 0, false);
	struct vtd_iommu_stats s0 = stats();
	for (unsigned i = 0; i < 250; i++)
		q_put(FENCE, 0, 0, 0);
	q_go();
	q_done("250 fences");
	/* 10 status writes across the end of the queue */
	for (unsigned i = 0; i < 10; i++)
		q_put(5 | WAIT_SW | (uint64_t)(0x100 + i) << 32, STATUS + 4 * i, 0, 0);
	assert_int_equal(q_tail, 4);
	q_go();
	q_done("wrapped batch");
	assert_int_equal(iqh(), 0x40);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(get32(STATUS + 4 * i), 0x100 + i);
	assert_int_equal(stats().qi_descriptors[5] - s0.qi_descriptors[5], 260);
	/* a full lap minus one (tail one behind head) */
	s0 = stats();
	for (unsigned i = 0; i < 255; i++)
		q_put(FENCE, 0, 0, 0);
	q_go();
	q_done("255 descriptors");
	assert_int_equal(stats().qi_descriptors[5] - s0.qi_descriptors[5], 255);
}

static void test_fetch_outside_ram(void **st)
{
	(void)st;
	legacy("", 0);
	mmio_w(VTD_REG_IQT, 8, 0);
	mmio_w(VTD_REG_IQA, 8, OUTSIDE);
	gcmd(VTD_GCMD_QIE, true);
	assert_false(fsts() & VTD_FSTS_IQE);
	mmio_w(VTD_REG_IQT, 8, 0x10);
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(iqei(), 2);
	assert_int_equal(iqh(), 0);
}

/* A queue whose second page is outside RAM: the first page's descriptors
 * run, then the fetch fails with IQH on the first unreadable one.  With
 * fault events masked (reset), IQE sets FECTL.IP and clearing IQE clears
 * it again without an interrupt.  With an IOTLB large enough for the
 * queue loop to look ahead, the lookahead reaches past the end of RAM
 * before the fetch fails: the same outcome. */
static void fetch_error_mid_queue(uint32_t iotlb_entries)
{
	legacy("", iotlb_entries);
	uint64_t base = RAM_SIZE - 0x1000;
	mmio_w(VTD_REG_IQT, 8, 0);
	mmio_w(VTD_REG_IQA, 8, base | 1);  /* QS 1: 8 KiB, 512 descriptors */
	gcmd(VTD_GCMD_QIE, true);
	for (unsigned i = 0; i < 255; i++)
		put64(base + 16 * i, FENCE);
	put64(base + 16 * 255, 5 | WAIT_SW | 0x5aull << 32);
	put64(base + 16 * 255 + 8, STATUS);
	mmio_w(VTD_REG_IQT, 8, 0x1010);  /* 257 descriptors */
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(iqei(), 2);
	assert_int_equal(iqh(), 0x1000);
	assert_int_equal(get32(STATUS), 0x5a);
	assert_true(mmio_r(VTD_REG_FECTL, 4) & VTD_ECTL_IP);
	assert_int_equal(msis.n, 0);
	/* software gives up on the rest: tail back to head, clear IQE */
	mmio_w(VTD_REG_IQT, 8, 0x1000);
	mmio_w(VTD_REG_FSTS, 4, VTD_FSTS_IQE);
	assert_false(fsts() & VTD_FSTS_IQE);
	assert_false(mmio_r(VTD_REG_FECTL, 4) & VTD_ECTL_IP);
	mmio_w(VTD_REG_FECTL, 4, 0);
	assert_int_equal(msis.n, 0);
	assert_int_equal(iqh(), 0x1000);
}

static void test_fetch_error_mid_queue(void **st)
{
	(void)st;
	fetch_error_mid_queue(0);
}

static void test_fetch_error_mid_queue_lookahead(void **st)
{
	(void)st;
	fetch_error_mid_queue(32768);
}

/* After IQE nothing runs until FSTS.IQE is cleared; then from IQH. */
static void test_iqe_stops_queue(void **st)
{
	(void)st;
	legacy("", 0);
	qi_on(QBASE, 0, false);
	uint32_t bad = q_tail + 1;
	q_put(5 | WAIT_SW | 1ull << 32, STATUS, 0, 0);
	q_put(0x2 | 0xfull << 4 << 8, 0, 0, 0);  /* IOTLB with reserved bits 15:12 */
	q_put(5 | WAIT_SW | 2ull << 32, STATUS + 4, 0, 0);
	q_go();
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(iqei(), 4);
	assert_int_equal(iqh(), (uint64_t)bad << 4);
	assert_int_equal(get32(STATUS), 1);
	assert_int_equal(get32(STATUS + 4), 0);
	/* more work and a new tail: still stopped */
	q_put(5 | WAIT_SW | 3ull << 32, STATUS + 8, 0, 0);
	q_go();
	assert_int_equal(iqh(), (uint64_t)bad << 4);
	assert_int_equal(get32(STATUS + 8), 0);
	/* clearing IQE without fixing: the same descriptor fails again */
	mmio_w(VTD_REG_FSTS, 4, VTD_FSTS_IQE);
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(iqh(), (uint64_t)bad << 4);
	assert_int_equal(get32(STATUS + 4), 0);
	/* writing other FSTS bits (0) does not clear IQE */
	mmio_w(VTD_REG_FSTS, 4, 0);
	assert_true(fsts() & VTD_FSTS_IQE);
	/* fix it, clear IQE: everything up to IQT runs */
	q_set(bad, FENCE, 0, 0, 0);
	mmio_w(VTD_REG_FSTS, 4, VTD_FSTS_IQE);
	q_done("after fix");
	assert_int_equal(get32(STATUS + 4), 2);
	assert_int_equal(get32(STATUS + 8), 3);
	/* and an IQT write later resumes normally */
	q_run(5 | WAIT_SW | 4ull << 32, STATUS + 12, "later");
	assert_int_equal(get32(STATUS + 12), 4);
}

static void test_qie_disable_resets_head(void **st)
{
	(void)st;
	legacy("", 0);
	qi_on(QBASE, 0, false);
	for (unsigned i = 0; i < 5; i++)
		q_put(FENCE, 0, 0, 0);
	q_go();
	q_done("five");
	assert_int_equal(iqh(), 0x50);
	gcmd(VTD_GCMD_QIE, false);
	assert_int_equal(iqh(), 0);
	/* registers work again */
	mmio_w(VTD_REG_CCMD, 8, CCMD_ICC | 1ull << 61);
	assert_false(mmio_r(VTD_REG_CCMD, 8) & CCMD_ICC);
	/* re-enabled (software resets IQT first), the queue starts at 0 */
	qi_on(QBASE, 0, false);
	q_run(5 | WAIT_SW | 0xabull << 32, STATUS, "after re-enable");
	assert_int_equal(get32(STATUS), 0xab);
	assert_int_equal(iqh(), 0x10);
}

static void test_stats_counters(void **st)
{
	(void)st;
	struct iotlb_fix f;
	use_qi = true;
	iotlb_setup(&f);
	struct vtd_iommu_stats s0 = stats();
	q_run(FENCE, 0, "fence");
	q_run(FENCE, 0, "fence");
	q_run(1 | 3 << 4 | (uint64_t)f.d1 << 32 | 1 << 16, 0, "context device");
	q_run(2 | 3 << 4 | 1 << 16, 0x6000, "IOTLB PSI page 6");
	q_run(4, 0, "IEC");
	struct vtd_iommu_stats s1 = stats();
	assert_int_equal(s1.qi_descriptors[5] - s0.qi_descriptors[5], 2);
	assert_int_equal(s1.qi_descriptors[1] - s0.qi_descriptors[1], 1);
	assert_int_equal(s1.qi_descriptors[2] - s0.qi_descriptors[2], 1);
	assert_int_equal(s1.qi_descriptors[4] - s0.qi_descriptors[4], 1);
	assert_int_equal(s1.qi_descriptors[6] - s0.qi_descriptors[6], 0);
	assert_int_equal(s1.iotlb_invalidated - s0.iotlb_invalidated, 1);
	assert_int_equal(s1.context_invalidated - s0.context_invalidated, 1);
	assert_int_equal(s1.iotlb_entries, s0.iotlb_entries - 1);
}

/* A rejected descriptor was not processed: [H] documents qi_descriptors as
 * "processed, by descriptor type". */
static void test_stats_rejected_not_counted(void **st)
{
	(void)st;
	legacy("", 0);
	qi_on(QBASE, 0, false);
	struct vtd_iommu_stats s0 = stats();
	q_reject(2 | 3 << 4, 19, 0, 0, 4, "IOTLB AM 19");
	q_reject(1 | 1 << 4 | 1ull << 63, 0, 0, 0, 4, "context, reserved bit 63");
	struct vtd_iommu_stats s1 = stats();
	/* q_reject's fix-up fences are type 5 and were processed */
	assert_int_equal(s1.qi_descriptors[5] - s0.qi_descriptors[5], 2);
	if (s1.qi_descriptors[2] != s0.qi_descriptors[2] ||
	    s1.qi_descriptors[1] != s0.qi_descriptors[1])
		fail_msg("rejected descriptors counted as processed: qi_descriptors[2] +%llu, "
			 "[1] +%llu, expected +0",
			 (unsigned long long)(s1.qi_descriptors[2] - s0.qi_descriptors[2]),
			 (unsigned long long)(s1.qi_descriptors[1] - s0.qi_descriptors[1]));
}

/* A global context invalidation drops every cached context entry; the
 * counter should say so, as iotlb_invalidated does for a global IOTLB
 * flush ([H]: "cache and invalidation counters"). */
static void test_stats_context_global(void **st)
{
	(void)st;
	use_qi = false;
	legacy("", 0);
	uint64_t A = alloc_page();
	ss_map(A, 4, 0, 0x100000, 1, SS_RW);
	for (unsigned f = 0; f < 4; f++) {
		lctx(SID(0, 3, f), A, 1);
		EXPECT_XL(SID(0, 3, f), 0, 0x100000, 1, "cache");
	}
	struct vtd_iommu_stats s0 = stats();
	cc_inv(1, 0, 0, 0);
	uint64_t moved = stats().context_invalidated - s0.context_invalidated;
	if (moved != 4)
		fail_msg("global context invalidation of 4 cached entries: context_invalidated "
			 "moved by %llu, expected 4 (domain/device-selective count per entry)",
			 (unsigned long long)moved);
}

/* ---- 4. eviction ------------------------------------------------------------- */

static void test_eviction(void **st)
{
	(void)st;
	legacy("", 16);
	uint64_t A = alloc_page();
	uint16_t d = SID(0, 3, 0);
	lctx(d, A, 1);
	enum { N = 300 };
	for (unsigned i = 0; i < N; i++)
		ss_map(A, 4, i * 0x1000ull, 0x1000000 + (uint64_t)((i * 7919u) % 4096) * 0x1000, 1, SS_RW);
	/* and a few large pages */
	ss_map(A, 4, 0x40000000, 0x80000000, 3, SS_RW);
	ss_map(A, 4, 0x200000 * 100, 0x400000, 2, SS_RW);
	/* 16 asked for, rounded up to whole bucket pairs (6 ways): 18 */
	const uint64_t cap = stats().iotlb_capacity;
	assert_int_equal(cap, 18);
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned k = 0; k < N + 2; k++) {
			unsigned i = (k * (round * 2 + 1) * 37u) % (N + 2);
			if (i == N)
				EXPECT_XL(d, 0x40000000 + i * 0x1000ull, 0x80000000 + i * 0x1000ull, 1,
					  "1G");
			else if (i == N + 1)
				EXPECT_XL(d, 0x200000 * 100 + 0x1234, 0x401234, 1, "2M");
			else
				EXPECT_XL(d, i * 0x1000ull + 0x10,
					  0x1000000 + (uint64_t)((i * 7919u) % 4096) * 0x1000 + 0x10,
					  1, "4K");
			struct vtd_iommu_stats x = stats();
			if (x.iotlb_entries > cap)
				fail_msg("%llu entries in an %llu-entry IOTLB",
					 (unsigned long long)x.iotlb_entries, (unsigned long long)cap);
		}
	}
	struct vtd_iommu_stats x = stats();
	assert_int_equal(x.iotlb_entries, cap);
	assert_true(x.iotlb_evictions > 0);
	assert_int_equal(x.iotlb_inserts - x.iotlb_evictions - x.iotlb_invalidated,
			 x.iotlb_entries);
	/* a repeated address right after its insertion hits */
	EXPECT_XL(d, 0x5000, 0x1000000 + (uint64_t)((5 * 7919u) % 4096) * 0x1000, 1, "insert");
	uint64_t h = stats().iotlb_hits;
	EXPECT_XL(d, 0x5000, 0x1000000 + (uint64_t)((5 * 7919u) % 4096) * 0x1000, 1, "again");
	assert_int_equal(stats().iotlb_hits, h + 1);
	/* invalidation of a full, churned table is still exact */
	iotlb_inv(1, 0, 0, 0, false);
	assert_int_equal(stats().iotlb_entries, 0);
	EXPECT_XL(d, 0x5000, 0x1000000 + (uint64_t)((5 * 7919u) % 4096) * 0x1000, 1, "after");
}

/* ---- 5. cost proportional to what is invalidated ----------------------------- */

static void test_cost_proportional(void **st)
{
	(void)st;
	enum { N1 = 50000, N2 = 4 };
	use_qi = false;
	legacy("", 65536);
	uint64_t A = alloc_page(), C = alloc_page();
	uint16_t d1 = SID(0, 3, 0), d2 = SID(0, 4, 0);
	lctx(d1, A, 1);
	lctx(d2, C, 2);
	for (unsigned i = 0; i < N1; i++)
		ss_map(A, 4, i * 0x1000ull, 0x10000000 + i * 0x1000ull, 1, SS_RW);
	uint64_t e2[N2];
	for (unsigned i = 0; i < N2; i++)
		e2[i] = ss_map(C, 4, i * 0x1000ull, 0x300000 + i * 0x1000ull, 1, SS_RW);
	for (unsigned i = 0; i < N1; i++)
		if (xl(d1, i * 0x1000ull) != 0x10000000 + i * 0x1000ull)
			fail_msg("d1 page %u", i);
	for (unsigned i = 0; i < N2; i++)
		EXPECT_XL(d2, i * 0x1000ull, 0x300000 + i * 0x1000ull, 2, "d2");
	struct vtd_iommu_stats s0 = stats();
	assert_int_equal(s0.iotlb_entries, N1 + N2);
	assert_int_equal(s0.iotlb_evictions, 0);
	for (unsigned i = 0; i < N2; i++)
		ss_remap(e2[i], 0x800000 + i * 0x1000ull, 1);

	/* one page of domain 2 */
	iotlb_inv(3, 2, 0x1000, 0, false);
	struct vtd_iommu_stats s1 = stats();
	assert_int_equal(s1.iotlb_invalidated - s0.iotlb_invalidated, 1);
	assert_int_equal(s1.iotlb_entries, N1 + N2 - 1);
	EXPECT_XL(d2, 0x1000, 0x801000, 2, "d2 page 1 after PSI");
	EXPECT_XL(d2, 0x0000, 0x300000, 2, "d2 page 0 after PSI of page 1");
	EXPECT_XL(d2, 0x2000, 0x302000, 2, "d2 page 2 after PSI of page 1");

	/* all of domain 2 (4 entries, page 1 re-cached) */
	s0 = stats();
	iotlb_inv(2, 2, 0, 0, false);
	s1 = stats();
	assert_int_equal(s1.iotlb_invalidated - s0.iotlb_invalidated, N2);
	assert_int_equal(s1.iotlb_entries, N1);
	for (unsigned i = 0; i < N2; i++)
		EXPECT_XL(d2, i * 0x1000ull, 0x800000 + i * 0x1000ull, 2, "d2 after domain inv");

	/* domain 1 is untouched: every page still hits */
	s0 = stats();
	for (unsigned i = 0; i < N1; i++)
		if (xl(d1, i * 0x1000ull) != 0x10000000 + i * 0x1000ull)
			fail_msg("d1 page %u after domain 2 invalidations", i);
	s1 = stats();
	assert_int_equal(s1.iotlb_hits - s0.iotlb_hits, N1);
	assert_int_equal(s1.iotlb_misses - s0.iotlb_misses, 0);
	/* each of those hits also found the device's context cached */
	assert_int_equal(s1.context_hits - s0.context_hits, N1);
	assert_int_equal(s1.context_misses - s0.context_misses, 0);

	/* page-selective in the big domain removes exactly what it names */
	s0 = stats();
	iotlb_inv(3, 1, 0x7000, 0, false);
	assert_int_equal(stats().iotlb_invalidated - s0.iotlb_invalidated, 1);
	iotlb_inv(3, 1, 0x200000, 9, false);
	assert_int_equal(stats().iotlb_invalidated - s0.iotlb_invalidated, 513);
	/* a page of domain 1 that domain 2 never mapped: nothing */
	iotlb_inv(3, 2, 0x9000, 0, false);
	assert_int_equal(stats().iotlb_invalidated - s0.iotlb_invalidated, 513);
	assert_int_equal(stats().iotlb_entries, N1 + N2 - 513);
	s0 = stats();
	for (unsigned i = 0; i < 2048; i++)
		if (xl(d1, i * 0x1000ull) != 0x10000000 + i * 0x1000ull)
			fail_msg("d1 page %u after PSIs", i);
	s1 = stats();
	assert_int_equal(s1.iotlb_misses - s0.iotlb_misses, 513);
	assert_int_equal(s1.iotlb_hits - s0.iotlb_hits, 2048 - 513);
}

/* A long batch of page-selective descriptors that wraps round the ring
 * (the queue loop looks a few descriptors ahead to start loading the
 * IOTLB buckets they touch): every one runs, in order, and a malformed
 * one among those looked at ahead stops the queue only when it is
 * reached, with every earlier one done. */
static void test_qi_psi_batch_wraps(void **st)
{
	(void)st;
	enum { N = 200 };
	legacy("", 32768);   /* large enough for the lookahead (IQ_PREFETCH_MIN_BUCKETS) */
	uint64_t A = alloc_page();
	uint16_t d = SID(0, 3, 0);
	lctx(d, A, 1);
	for (unsigned i = 0; i < N; i++)
		ss_map(A, 4, i * 0x1000ull, 0x10000000 + i * 0x1000ull, 1, SS_RW);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(xl(d, i * 0x1000ull), 0x10000000 + i * 0x1000ull);
	qi_on(QBASE, 0, false);   /* 256 descriptors */
	/* move head and tail near the end of the ring with no-ops
	 * (fence-only invalidation waits) */
	for (unsigned i = 0; i < 240; i++)
		q_put(5 | 0x40, 0, 0, 0);
	q_go();
	assert_int_equal(iqh(), 240u << 4);
	struct vtd_iommu_stats s0 = stats();
	for (unsigned i = 0; i < N / 2; i++)
		q_put(2 | 3u << 4 | 1ull << 16, i * 0x1000ull, 0, 0);
	q_go();
	assert_int_equal(iqh(), ((240u + N / 2) % 256) << 4);
	assert_false(fsts() & VTD_FSTS_IQE);
	assert_int_equal(stats().iotlb_invalidated - s0.iotlb_invalidated, N / 2);
	/* the second half with a reserved bit set in descriptor 5 of it */
	uint32_t start = (240u + N / 2) % 256;
	for (unsigned i = N / 2; i < N; i++)
		q_put(2 | 3u << 4 | 1ull << 16 | (i == N / 2 + 5 ? 1ull << 8 : 0), i * 0x1000ull, 0,
		      0);
	q_go();
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(iqei(), 4);   /* IQEI 4: a reserved field set */
	assert_int_equal(iqh(), ((start + 5) % 256) << 4);
	assert_int_equal(stats().iotlb_invalidated - s0.iotlb_invalidated, N / 2 + 5);
	/* the pages after the bad descriptor are still cached */
	uint64_t h = stats().iotlb_hits;
	for (unsigned i = N / 2 + 5; i < N; i++)
		assert_int_equal(xl(d, i * 0x1000ull), 0x10000000 + i * 0x1000ull);
	assert_int_equal(stats().iotlb_hits - h, N - (N / 2 + 5));
}

/* Guest memory through callbacks only (no flat RAM): the queue loop does
 * not look ahead there, so the VMM's read callback sees each descriptor
 * once, even with an IOTLB large enough for the lookahead. */
static unsigned queue_reads;

static int cb_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	(void)opaque;
	if (gpa >= ram_size || len > ram_size - gpa)
		return -1;
	if (gpa >= QBASE && gpa < QBASE + 4096)
		queue_reads++;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static int cb_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	(void)opaque;
	if (gpa >= ram_size || len > ram_size - gpa)
		return -1;
	memcpy(ram + gpa, buf, len);
	return 0;
}

static void test_qi_callback_reads_once(void **st)
{
	(void)st;
	static const struct vtd_mem_ops ops = { .read = cb_read, .write = cb_write };
	memset(&msis, 0, sizeof(msis));
	guest_new("", RAM_SIZE, false,
		  (struct vtd_iommu_opts){ .events = &events, .iotlb_entries = 32768, .mem = &ops });
	put64(ROOT, CT0 | 1);
	enable_root(ROOT);
	uint64_t A = alloc_page();
	uint16_t d = SID(0, 3, 0);
	lctx(d, A, 1);
	for (unsigned i = 0; i < 64; i++)
		ss_map(A, 4, i * 0x1000ull, 0x10000000 + i * 0x1000ull, 1, SS_RW);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(xl(d, i * 0x1000ull), 0x10000000 + i * 0x1000ull);
	qi_on(QBASE, 0, false);
	queue_reads = 0;
	struct vtd_iommu_stats s0 = stats();
	for (unsigned i = 0; i < 64; i++)
		q_put(2 | 3u << 4 | 1ull << 16, i * 0x1000ull, 0, 0);
	q_go();
	assert_int_equal(iqh(), 64u << 4);
	assert_int_equal(stats().iotlb_invalidated - s0.iotlb_invalidated, 64);
	assert_int_equal(queue_reads, 64);
}

/* ---- main ---------------------------------------------------------------------- */

#define T(f) cmocka_unit_test_teardown(f, guest_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cc_global_reg),
		T(test_cc_global_qi),
		T(test_cc_domain_reg),
		T(test_cc_domain_qi),
		T(test_cc_device_fm_reg),
		T(test_cc_device_fm_qi),
		T(test_iotlb_psi_reg),
		T(test_iotlb_psi_qi),
		T(test_iotlb_psi_small_domain_reg),
		T(test_iotlb_psi_small_domain_qi),
		T(test_iotlb_domain_reg),
		T(test_iotlb_domain_qi),
		T(test_iotlb_global_reg),
		T(test_iotlb_global_qi),
		T(test_reg_refused),
		T(test_reg_pending_with_qi),
		T(test_pasid_cache),
		T(test_rid_pasid_fast_path),
		T(test_pasid_fast_path),
		T(test_iotlb_psi_first_stage_domain),
		T(test_pasid_iotlb),
		T(test_pasid_iotlb_many),
		T(test_desc_legacy),
		T(test_desc_devtlb_no_ir),
		T(test_desc_scalable),
		T(test_desc_scalable_no_dt),
		T(test_desc_scalable_128),
		T(test_wait_pd_with_pds),
		T(test_wait),
		T(test_tail_beyond_queue),
		T(test_tail_256),
		T(test_wraparound),
		T(test_fetch_outside_ram),
		T(test_fetch_error_mid_queue),
		T(test_fetch_error_mid_queue_lookahead),
		T(test_iqe_stops_queue),
		T(test_qie_disable_resets_head),
		T(test_stats_counters),
		T(test_stats_rejected_not_counted),
		T(test_stats_context_global),
		T(test_eviction),
		T(test_cost_proportional),
		T(test_qi_psi_batch_wraps),
		T(test_qi_callback_reads_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
