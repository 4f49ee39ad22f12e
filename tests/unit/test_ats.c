/* SPDX-License-Identifier: MIT */
/*
 * ATS and page requests (src/ats.c, device-TLB and page-group-response
 * descriptors in src/inval.c): translation completions (status, size
 * encoding, R/W/U, NW and the dirty flag), device-TLB invalidations handed
 * to the device at every granularity, the page request queue (descriptor
 * layout, PRS/PECTL events, overflow and its auto-response) and page group
 * responses.
 *
 * Sources of the expectations:
 *   [S7]  VT-d spec ch. 7.5 (page request descriptor: type 1, PP bit 8,
 *         RID 31:16, PASID 51:32, EXE 52, PM 53; RD 0, WR 1, LPIG 2,
 *         PRGI 11:3, address 63:12); PQA.PQS = log2 of 4 KiB pages;
 *         PRS.PPR/PRO; full queue => PRO, request dropped, LPIG answered
 *         with Success.  The Linux driver's struct page_req_dsc agrees.
 *   [S6]  VT-d spec ch. 6.5.2 (dev-TLB descriptor type 3: SID 47:32, S bit 0,
 *         addr 63:12; PASID-based type 8: SID 31:16, PASID 51:32, S bit 11,
 *         G bit 0; page group response type 9: RC 15:12, PP 4, SID 31:16,
 *         PASID 51:32, PRGI 11:3 of the high qword).
 *   [PCIe] ATS: translation completion size encoding (S=1: the lowest zero
 *         bit at or above 12 gives the size), U = untranslated only,
 *         UR / CA statuses.
 */
#include "guest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define RAM_SIZE (16ull << 20)
#define PQ    0x40000ull   /* page request queue (1 page: 128 entries) */
#define SS_ROOT 0x50000ull /* second-stage tables for PASID 0 */
#define FS_ROOT 0x60000ull /* first-stage tables for PASID 5 */

#define DEV  0x08          /* 00:01.0: ATS + PRI */
#define NODT 0x10          /* 00:02.0: context without DTE/PRE */

static struct {
	unsigned msis;
	uint32_t msi_data;
	unsigned ninv;
	struct vtd_devtlb_inval inv[8];
	unsigned nresp;
	struct {
		uint16_t sid;
		bool pv;
		uint32_t pasid;
		uint16_t prgi;
		uint8_t code;
	} resp[8];
} ev;

static void on_msi(void *o, uint64_t addr, uint32_t data)
{
	(void)o;
	(void)addr;
	ev.msis++;
	ev.msi_data = data;
}

#define WAIT_STATUS 0x30000ull /* wait descriptor status word */
static uint32_t status_seen_in_inval;

static void on_inval(void *o, const struct vtd_devtlb_inval *inv)
{
	(void)o;
	memcpy(&status_seen_in_inval, ram + WAIT_STATUS, 4);
	if (ev.ninv < 8)
		ev.inv[ev.ninv] = *inv;
	ev.ninv++;
}

static void on_resp(void *o, uint16_t sid, bool pv, uint32_t pasid, uint16_t prgi, uint8_t code)
{
	(void)o;
	if (ev.nresp < 8) {
		ev.resp[ev.nresp].sid = sid;
		ev.resp[ev.nresp].pv = pv;
		ev.resp[ev.nresp].pasid = pasid;
		ev.resp[ev.nresp].prgi = prgi;
		ev.resp[ev.nresp].code = code;
	}
	ev.nresp++;
}

static const struct vtd_event_ops events = {
	.msi = on_msi, .devtlb_inval = on_inval, .page_response = on_resp,
};

/*
 * Scalable mode; device DEV: DTE|PRE, PASID 0 (RID_PASID) first stage
 * (SS_ROOT), PASID 5 first stage (FS_ROOT).  Device NODT: same tables, no
 * DTE, no PRE.  Mappings:
 *   PASID 0: 0x100000 -> 0x700000 4K RW; 0x200000 -> 0x800000 4K R only;
 *            0x40000000 -> 0x80000000 2M RW; 0x80000000 -> 0x40000000 1G RW;
 *            0xfee00000 -> identity 4K (the interrupt range as output)
 *   PASID 5: 0x1000 -> 0x900000 4K RW (A/D clear)
 */
static int setup(void **state)
{
	(void)state;
	memset(&ev, 0, sizeof(ev));
	guest_new("x-scalable-mode=on,x-flts=on,x-pasid-mode=on,device-iotlb=on,svm=on", RAM_SIZE,
		  true, (struct vtd_iommu_opts){ .events = &events });

	put64(ROOT, CT0 | 1);
	/* context: P, DTE (2), PASIDE (3), PRE (4); RID_PASID 0 */
	set_sm_ctx(CT0, DEV, PDIR | 0x1d, 0);
	set_sm_ctx(CT0, NODT, PDIR | 0x09, 0);
	put64(PDIR, PTBL | 1);
	/* PASID 0: PGTT=1 (first stage; x-flts=on offers no second stage), DID 1 */
	set_pasid_entry(PDIR, 0, PGTT(1) | 1, 1, SS_ROOT);
	/* PASID 5: PGTT=1 (first stage), DID 2 */
	set_pasid_entry(PDIR, 5, PGTT(1) | 1, 2, FS_ROOT);

	fs_map(SS_ROOT, 0x100000, 0x700000, 1, FS_PRU);
	fs_map(SS_ROOT, 0x200000, 0x800000, 1, FS_P | FS_US);
	fs_map(SS_ROOT, 0x40000000, 0x80000000ull, 2, FS_PRU);
	fs_map(SS_ROOT, 0x80000000ull, 0x40000000ull, 3, FS_PRU);
	fs_map(SS_ROOT, 0xfee00000ull, 0xfee00000ull, 1, FS_PRU);
	fs_map(FS_ROOT, 0x1000, 0x900000, 1, FS_PRU);

	enable_root(ROOT | RTADDR_SMT);
	return 0;
}

static struct vtd_ats_completion ats(uint16_t sid, bool pv, uint32_t pasid, uint64_t addr,
				     bool nw)
{
	struct vtd_ats_request rq = { .sid = sid, .pasid_valid = pv, .pasid = pasid, .addr = addr,
				      .no_write = nw };
	struct vtd_ats_completion c;
	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(vtd_iommu_ats_translate(iommu, &rq, &c), 0);
	return c;
}

/* The reason of the one pending fault record (0 if none); clears it. */
static unsigned take_fault(void)
{
	uint64_t cap = mmio_r(VTD_REG_CAP, 8);
	unsigned fro = vtd_cap_fault_offset(cap), nfr = (unsigned)vtd_cap_nfr(cap) + 1;
	unsigned reason = 0, found = 0;
	for (unsigned i = 0; i < nfr; i++) {
		uint64_t hi = mmio_r(fro + 16 * i + 8, 8);
		if (hi >> 63) {
			reason = (unsigned)((hi >> 32) & 0xff);
			found++;
			mmio_w(fro + 16 * i + 8, 8, 1ull << 63);
		}
	}
	assert_true(found <= 1);
	mmio_w(VTD_REG_FSTS, 4, VTD_FSTS_PFO);
	return reason;
}

/* ---- translation completions -------------------------------------------- */

static void test_completion_4k(void **state)
{
	(void)state;
	struct vtd_ats_completion c = ats(DEV, false, 0, 0x100abc, false);
	assert_int_equal(c.status, VTD_ATS_SUCCESS);
	assert_int_equal(c.addr, 0x700000);
	assert_int_equal(c.size, 4096);
	assert_false(c.s);
	assert_true(c.r);
	assert_true(c.w);
	assert_false(c.u);
	assert_int_equal(c.fault, 0);

	/* read-only page: W=0 */
	c = ats(DEV, false, 0, 0x200000, false);
	assert_int_equal(c.status, VTD_ATS_SUCCESS);
	assert_int_equal(c.addr, 0x800000);
	assert_true(c.r);
	assert_false(c.w);
}

static void test_completion_sizes(void **state)
{
	(void)state;
	/* 2 MiB: S=1, bits 19:12 set, bit 20 clear [PCIe] */
	struct vtd_ats_completion c = ats(DEV, false, 0, 0x40012345, false);
	assert_int_equal(c.status, VTD_ATS_SUCCESS);
	assert_true(c.s);
	assert_int_equal(c.size, 2ull << 20);
	assert_int_equal(c.addr, 0x80000000ull | 0xff000);
	/* 1 GiB: bits 28:12 set, bit 29 clear */
	c = ats(DEV, false, 0, 0x81234567ull, false);
	assert_true(c.s);
	assert_int_equal(c.size, 1ull << 30);
	assert_int_equal(c.addr, 0x40000000ull | 0x1ffff000ull);
	assert_true(c.r && c.w);
}

static void test_completion_not_present(void **state)
{
	(void)state;
	/* no mapping: success with R=W=0, no fault recorded (the device
	 * learns from the completion) */
	struct vtd_ats_completion c = ats(DEV, false, 0, 0x300000, false);
	assert_int_equal(c.status, VTD_ATS_SUCCESS);
	assert_false(c.r);
	assert_false(c.w);
	assert_false(c.u);
	assert_int_not_equal(c.fault, 0);
	assert_int_equal(c.size, 4096);
	assert_int_equal(c.addr, 0x300000);
	assert_int_equal(take_fault(), 0);
	assert_int_equal(mmio_r(VTD_REG_FSTS, 4) & VTD_FSTS_PPF, 0);
}

static void test_completion_interrupt_range(void **state)
{
	(void)state;
	/* a translation into the interrupt range: untranslated only (U) */
	struct vtd_ats_completion c = ats(DEV, false, 0, 0xfee00000ull, false);
	assert_int_equal(c.status, VTD_ATS_SUCCESS);
	assert_true(c.u);
	assert_false(c.r);
	assert_false(c.w);
	assert_int_equal(c.fault, 0x87);
}

static void test_completion_ur(void **state)
{
	(void)state;
	/* DTE=0: translation requests are unsupported (0x44 -> UR) */
	struct vtd_ats_completion c = ats(NODT, false, 0, 0x100000, false);
	assert_int_equal(c.status, VTD_ATS_UR);
	assert_int_equal(c.fault, 0x44);
	assert_false(c.r || c.w);
	/* a device with no context entry at all */
	c = ats(0x18, false, 0, 0x100000, false);
	assert_int_equal(c.status, VTD_ATS_UR);
}

static void test_completion_ca(void **state)
{
	(void)state;
	/* context table outside guest memory: the IOMMU cannot read its own
	 * structures -> completer abort */
	put64(ROOT, 0x8000000ull | 1); /* 128 MiB: beyond RAM */
	mmio_w(VTD_REG_CCMD, 8, 1ull << 63 | 1ull << 61); /* global CC inval */
	struct vtd_ats_completion c = ats(DEV, false, 0, 0x100000, false);
	assert_int_equal(c.status, VTD_ATS_CA);
}

static void test_completion_dirty(void **state)
{
	(void)state;
	uint64_t pte = pte_at(FS_ROOT, 4, 0x1000, 1, FS_PRU);
	/* NW: the device will not write, so only a read translation is
	 * made: A set, D untouched */
	struct vtd_ats_completion c = ats(DEV, true, 5, 0x1000, true);
	assert_int_equal(c.status, VTD_ATS_SUCCESS);
	assert_int_equal(c.addr, 0x900000);
	assert_true(c.r);
	assert_true(get64(pte) & 0x20);     /* A */
	assert_false(get64(pte) & 0x40);    /* D */
	/* without NW: W granted and D set now */
	c = ats(DEV, true, 5, 0x1000, false);
	assert_true(c.r);
	assert_true(c.w);
	assert_true(get64(pte) & 0x40);
}

/* Execute requested (x-ers, ERE=1): Exe=1 where no XD, Exe=0 with R/W
 * still given where a first-stage XD forbids execution; ERE=0: UR. */
static void test_completion_exec(void **state)
{
	(void)state;
	guest_teardown(NULL);
	guest_new("x-scalable-mode=on,x-flts=on,x-pasid-mode=on,device-iotlb=on,x-ers=on",
		  RAM_SIZE, true, (struct vtd_iommu_opts){ .events = &events });
	put64(ROOT, CT0 | 1);
	set_sm_ctx(CT0, DEV, PDIR | 0x0d, 0);
	put64(PDIR, PTBL | 1);
	set_pasid_entry(PDIR, 5, PGTT(1) | 1, 2, FS_ROOT | 2 /* ERE */);
	set_pasid_entry(PDIR, 6, PGTT(1) | 1, 3, FS_ROOT);
	fs_map(FS_ROOT, 0x1000, 0x900000, 1, FS_PRU);
	fs_map(FS_ROOT, 0x2000, 0x901000, 1, FS_PRU | (1ull << 63));
	enable_root(ROOT | RTADDR_SMT);
	struct vtd_ats_request rq = { .sid = DEV, .pasid_valid = true, .pasid = 5, .addr = 0x1000,
				      .exec = true };
	struct vtd_ats_completion c;
	assert_int_equal(vtd_iommu_ats_translate(iommu, &rq, &c), 0);
	assert_int_equal(c.status, VTD_ATS_SUCCESS);
	assert_true(c.r && c.w && c.exe);
	rq.addr = 0x2000;
	assert_int_equal(vtd_iommu_ats_translate(iommu, &rq, &c), 0);
	assert_int_equal(c.status, VTD_ATS_SUCCESS);
	assert_int_equal(c.addr, 0x901000);
	assert_true(c.r && c.w);
	assert_false(c.exe);
	rq.exec = false;
	rq.addr = 0x1000;
	assert_int_equal(vtd_iommu_ats_translate(iommu, &rq, &c), 0);
	assert_false(c.exe);
	rq.exec = true;
	rq.pasid = 6;
	assert_int_equal(vtd_iommu_ats_translate(iommu, &rq, &c), 0);
	assert_int_equal(c.status, VTD_ATS_UR);
	assert_int_equal(c.fault, 0x5c);
	assert_int_equal(take_fault(), 0);   /* translation requests record nothing */
}

static void test_completion_bad_args(void **state)
{
	(void)state;
	struct vtd_ats_request rq = { .sid = DEV, .addr = 0x100000 };
	struct vtd_ats_completion c;
	assert_int_equal(vtd_iommu_ats_translate(NULL, &rq, &c), -EINVAL);
	assert_int_equal(vtd_iommu_ats_translate(iommu, NULL, &c), -EINVAL);
	assert_int_equal(vtd_iommu_ats_translate(iommu, &rq, NULL), -EINVAL);
}

/* ---- device-TLB invalidation --------------------------------------------- */

static void qi_on256(void) { qi_on(QBASE, 0, true); }   /* 256-bit descriptors */

static void test_devtlb_inval(void **state)
{
	(void)state;
	qi_on256();
	/* type 3, SID 00:01.0, one 4K page */
	q_submit(3 | ((uint64_t)DEV << 32), 0x123000, 0, 0);
	assert_int_equal(ev.ninv, 1);
	assert_int_equal(ev.inv[0].sid, DEV);
	assert_false(ev.inv[0].pasid_valid);
	assert_int_equal(ev.inv[0].addr, 0x123000);
	assert_int_equal(ev.inv[0].size, 4096);
	/* S=1, address bits 12..19 ones (bit 20 clear): 2 MiB at 0x40000000 */
	q_submit(3 | ((uint64_t)DEV << 32), 0x400ff000ull | 1, 0, 0);
	assert_int_equal(ev.inv[1].addr, 0x40000000ull);
	assert_int_equal(ev.inv[1].size, 2ull << 20);
	/* S=1, bit 12 clear: 8 KiB */
	q_submit(3 | ((uint64_t)DEV << 32), 0x2000 | 1, 0, 0);
	assert_int_equal(ev.inv[2].addr, 0x2000);
	assert_int_equal(ev.inv[2].size, 8192);
	/* S=1, every address bit set: everything */
	/* S=1, bit 62 the lowest clear one: the upper half (2^63 bytes) */
	q_submit(3 | ((uint64_t)DEV << 32), 0xbffffffffffff000ull | 1, 0, 0);
	assert_int_equal(ev.inv[3].addr, 1ull << 63);
	assert_int_equal(ev.inv[3].size, 1ull << 63);
	/* S=1, only bit 63 clear (2^64) or none clear: everything */
	q_submit(3 | ((uint64_t)DEV << 32), 0x7ffffffffffff000ull | 1, 0, 0);
	assert_int_equal(ev.inv[4].addr, 0);
	assert_int_equal(ev.inv[4].size, ~0ull);
	/* type 8: PASID-based, SID at 31:16, PASID 51:32, G bit 0, S bit 11 */
	q_submit(3 | ((uint64_t)DEV << 32), 0xfffffffffffff000ull | 1, 0, 0);
	assert_int_equal(ev.inv[5].addr, 0);
	assert_int_equal(ev.inv[5].size, ~0ull);
	q_submit(8 | ((uint64_t)DEV << 16) | (5ull << 32), 0x1000 | 1, 0, 0);
	assert_int_equal(ev.ninv, 7);
	assert_true(ev.inv[6].pasid_valid);
	assert_int_equal(ev.inv[6].pasid, 5);
	assert_true(ev.inv[6].global);
	assert_int_equal(ev.inv[6].size, 4096);
	q_submit(8 | ((uint64_t)DEV << 16) | (5ull << 32), 0x1ff000 | (1ull << 11), 0, 0);
	assert_int_equal(ev.inv[7].addr, 0);
	assert_int_equal(ev.inv[7].size, 4ull << 20);
	assert_false(ev.inv[7].global);
	assert_int_equal(mmio_r(VTD_REG_FSTS, 4) & VTD_FSTS_IQE, 0);
	assert_int_equal(mmio_r(VTD_REG_IQH, 8), (uint64_t)q_tail << 5);
}

/* a wait descriptor behind a device-TLB invalidation completes only after
 * the device acknowledged it (the callback returned) */
static void test_devtlb_wait_ordering(void **state)
{
	(void)state;
	qi_on256();
	memset(ram + WAIT_STATUS, 0, 4);
	uint64_t a = QBASE;
	put64(a, 3 | ((uint64_t)DEV << 32));
	put64(a + 8, 0x5000);
	put64(a + 16, 0);
	put64(a + 24, 0);
	/* wait: SW (bit 5), status data 0x1234 at 63:32, address in qword 1 */
	put64(a + 32, 5 | (1ull << 5) | (0x1234ull << 32));
	put64(a + 40, WAIT_STATUS);
	put64(a + 48, 0);
	put64(a + 56, 0);
	q_tail = 2;
	q_go();
	assert_int_equal(ev.ninv, 1);
	assert_int_equal(status_seen_in_inval, 0);
	uint32_t st;
	memcpy(&st, ram + WAIT_STATUS, 4);
	assert_int_equal(st, 0x1234);
}

/* translated requests (AT=10b): used as is when DTE=1, SCT.5 otherwise */
static void test_translated_requests(void **state)
{
	(void)state;
	struct vtd_dma_request rq = { .sid = DEV, .addr = 0x700010, .perm = VTD_PERM_W,
				      .at = VTD_AT_TRANSLATED };
	struct vtd_translation t = { 0 };
	assert_int_equal(vtd_iommu_translate(iommu, &rq, &t), 0);
	assert_int_equal(t.status, VTD_XLATE_OK);
	assert_int_equal(t.addr, 0x700010);
	rq.sid = NODT;
	memset(&t, 0, sizeof(t));
	assert_int_equal(vtd_iommu_translate(iommu, &rq, &t), -EACCES);
	assert_int_equal(t.fault, 0x44);
	assert_int_equal(take_fault(), 0x44);
}

static void test_devtlb_inval_reserved(void **state)
{
	(void)state;
	qi_on256();
	/* type 3 with reserved bits 11:1 of the address qword */
	q_submit(3 | ((uint64_t)DEV << 32), 0x1000 | 0x10, 0, 0);
	assert_int_equal(ev.ninv, 0);
	assert_true(mmio_r(VTD_REG_FSTS, 4) & VTD_FSTS_IQE);
	assert_int_equal(mmio_r(VTD_REG_IQERCD, 8) & 0xf, 4); /* IQEI: reserved field */
	assert_int_equal(mmio_r(VTD_REG_IQH, 8), 0);
}

static void test_devtlb_unsupported(void **state)
{
	(void)state;
	/* without device-iotlb, type 3 is an invalid descriptor type */
	guest_teardown(NULL);
	memset(&ev, 0, sizeof(ev));
	guest_new("x-scalable-mode=on", RAM_SIZE, true, (struct vtd_iommu_opts){ .events = &events });
	qi_on256();
	q_submit(3 | ((uint64_t)DEV << 32), 0x1000, 0, 0);
	assert_int_equal(ev.ninv, 0);
	assert_true(mmio_r(VTD_REG_FSTS, 4) & VTD_FSTS_IQE);
	/* and page requests are refused: ECAP.PRS=0 */
	struct vtd_page_request pr = { .sid = DEV, .addr = 0x1000, .read = true };
	assert_int_equal(vtd_iommu_page_request(iommu, &pr), -EPERM);
	struct vtd_ats_completion cpl;
	struct vtd_ats_request rq = { .sid = DEV, .addr = 0x1000 };
	assert_int_equal(vtd_iommu_ats_translate(iommu, &rq, &cpl), 0);
	assert_int_equal(cpl.status, VTD_ATS_UR);
}

static void test_completion_remapping_off(void **state)
{
	(void)state;
	gcmd(VTD_GCMD_TE, false);
	struct vtd_ats_completion c = ats(DEV, false, 0, 0x100000, false);
	assert_int_equal(c.status, VTD_ATS_UR);
	assert_false(c.r || c.w);
}

/* ---- page requests ------------------------------------------------------- */

static void pq_on(unsigned pqs)
{
	mmio_w(VTD_REG_PQH, 8, 0);
	mmio_w(VTD_REG_PQT, 8, 0);
	mmio_w(VTD_REG_PQA, 8, PQ | pqs);
	mmio_w(VTD_REG_PEDATA, 4, 0x4a);
	mmio_w(VTD_REG_PEADDR, 4, 0xfee00000);
	mmio_w(VTD_REG_PECTL, 4, 0); /* unmask */
}

static int preq(uint16_t sid, uint32_t pasid, uint64_t addr, bool w, uint16_t prgi, bool last)
{
	struct vtd_page_request pr = { .sid = sid, .pasid_valid = true, .pasid = pasid,
				       .addr = addr, .read = !w, .write = w, .last = last,
				       .prg_index = prgi };
	return vtd_iommu_page_request(iommu, &pr);
}

static void test_prq_descriptor(void **state)
{
	(void)state;
	pq_on(0);
	assert_int_equal(preq(DEV, 5, 0x5000, true, 0x1a5, true), 0);
	/* [S7] layout */
	uint64_t q0 = get64(PQ), q1 = get64(PQ + 8);
	assert_int_equal(q0 & 0xff, 1);
	assert_true(q0 & (1ull << 8));
	assert_int_equal((q0 >> 16) & 0xffff, DEV);
	assert_int_equal((q0 >> 32) & 0xfffff, 5);
	assert_false(q1 & 1);
	assert_true(q1 & 2);
	assert_true(q1 & 4);
	assert_int_equal((q1 >> 3) & 0x1ff, 0x1a5);
	assert_int_equal(q1 & ~0xfffull, 0x5000);
	assert_int_equal(mmio_r(VTD_REG_PQT, 8), 0x20);
	assert_int_equal(mmio_r(VTD_REG_PRS, 4) & 3, VTD_PRS_PPR);
	assert_int_equal(ev.msis, 1);
	assert_int_equal(ev.msi_data, 0x4a);
	/* PPR still set: no second interrupt */
	assert_int_equal(preq(DEV, 5, 0x6000, false, 2, false), 0);
	assert_int_equal(ev.msis, 1);
	assert_int_equal(mmio_r(VTD_REG_PQT, 8), 0x40);
	/* software consumes, clears PPR (W1C); the next request interrupts */
	mmio_w(VTD_REG_PQH, 8, 0x40);
	mmio_w(VTD_REG_PRS, 4, VTD_PRS_PPR);
	assert_int_equal(mmio_r(VTD_REG_PRS, 4) & 3, 0);
	assert_int_equal(preq(DEV, 5, 0x7000, false, 3, true), 0);
	assert_int_equal(ev.msis, 2);
	assert_int_equal(ev.nresp, 0);
}

static void test_prq_masked(void **state)
{
	(void)state;
	pq_on(0);
	mmio_w(VTD_REG_PECTL, 4, VTD_ECTL_IM);
	assert_int_equal(preq(DEV, 5, 0x5000, false, 1, true), 0);
	assert_int_equal(ev.msis, 0);
	assert_true(mmio_r(VTD_REG_PECTL, 4) & VTD_ECTL_IP);
	/* unmasking delivers the pending interrupt */
	mmio_w(VTD_REG_PECTL, 4, 0);
	assert_int_equal(ev.msis, 1);
	assert_false(mmio_r(VTD_REG_PECTL, 4) & VTD_ECTL_IP);
}

static void test_prq_overflow(void **state)
{
	(void)state;
	pq_on(0); /* 128 entries: 127 fit */
	for (unsigned i = 0; i < 127; i++)
		assert_int_equal(preq(DEV, 5, 0x1000ull * i, false, (uint16_t)i, false), 0);
	assert_false(mmio_r(VTD_REG_PRS, 4) & VTD_PRS_PRO);
	uint64_t before = get64(PQ + 127 * 32);
	/* full: dropped, PRO set, a last-in-group request answered Success */
	assert_int_equal(preq(DEV, 5, 0x999000, false, 0x42, true), -ENOSPC);
	assert_true(mmio_r(VTD_REG_PRS, 4) & VTD_PRS_PRO);
	assert_int_equal(get64(PQ + 127 * 32), before);
	assert_int_equal(ev.nresp, 1);
	assert_int_equal(ev.resp[0].sid, DEV);
	assert_int_equal(ev.resp[0].prgi, 0x42);
	assert_int_equal(ev.resp[0].code, 0);
	/* not last in group: dropped silently */
	assert_int_equal(preq(DEV, 5, 0x999000, false, 0x43, false), -ENOSPC);
	assert_int_equal(ev.nresp, 1);
	/* room again but PRO still set: still dropped until software clears it */
	mmio_w(VTD_REG_PQH, 8, 0x20 * 10);
	assert_int_equal(preq(DEV, 5, 0x999000, false, 0x44, false), -ENOSPC);
	mmio_w(VTD_REG_PRS, 4, VTD_PRS_PRO | VTD_PRS_PPR);
	assert_int_equal(preq(DEV, 5, 0x999000, false, 0x45, false), 0);
}

static void test_prq_refused(void **state)
{
	(void)state;
	pq_on(0);
	/* PRE=0 in the context entry: SCT.8 (0x47) recorded, group answered
	 * Invalid Request */
	assert_int_equal(preq(NODT, 5, 0x5000, false, 7, true), -EPERM);
	assert_true(mmio_r(VTD_REG_FSTS, 4) & VTD_FSTS_PPF);
	assert_int_equal(take_fault(), 0x47);
	assert_false(mmio_r(VTD_REG_FSTS, 4) & VTD_FSTS_PPF);
	assert_int_equal(ev.nresp, 1);
	assert_int_equal(ev.resp[0].code, 1);
	assert_int_equal(mmio_r(VTD_REG_PQT, 8), 0);
	/* legacy mode (RTADDR.TTM=0): 0x32 */
	mmio_w(VTD_REG_RTADDR, 8, ROOT);
	gcmd(VTD_GCMD_SRTP, true);
	assert_int_equal(preq(DEV, 5, 0x5000, false, 8, false), -EPERM);
	assert_int_equal(take_fault(), 0x32);
	assert_int_equal(ev.nresp, 1);
}

static void test_prq_bad_args(void **state)
{
	(void)state;
	pq_on(0);
	struct vtd_page_request pr = { .sid = DEV, .addr = 0x1000, .prg_index = 0x200 };
	assert_int_equal(vtd_iommu_page_request(iommu, &pr), -EINVAL);
	pr.prg_index = 0;
	pr.pasid = 1u << 20;
	assert_int_equal(vtd_iommu_page_request(iommu, &pr), -EINVAL);
	assert_int_equal(vtd_iommu_page_request(NULL, &pr), -EINVAL);
	assert_int_equal(vtd_iommu_page_request(iommu, NULL), -EINVAL);
	/* the queue outside guest memory: nothing written, no crash */
	mmio_w(VTD_REG_PQA, 8, 0x8000000ull);
	pr.pasid = 5;
	assert_int_equal(vtd_iommu_page_request(iommu, &pr), -EFAULT);
	assert_int_equal(mmio_r(VTD_REG_PQT, 8), 0);
}

static void test_page_group_response(void **state)
{
	(void)state;
	qi_on256();
	/* type 9: PP (4), RC 15:12, SID 31:16, PASID 51:32; PRGI 11:3 high */
	q_submit(9 | (1ull << 4) | (0xfull << 12) | ((uint64_t)DEV << 16) | (5ull << 32),
		 0x1a5ull << 3, 0, 0);
	assert_int_equal(ev.nresp, 1);
	assert_int_equal(ev.resp[0].sid, DEV);
	assert_true(ev.resp[0].pv);
	assert_int_equal(ev.resp[0].pasid, 5);
	assert_int_equal(ev.resp[0].prgi, 0x1a5);
	assert_int_equal(ev.resp[0].code, 0xf);
	q_submit(9 | ((uint64_t)DEV << 16), 0, 0, 0);
	assert_int_equal(ev.nresp, 2);
	assert_false(ev.resp[1].pv);
	assert_int_equal(ev.resp[1].code, 0);
	q_submit(9 | (1ull << 12) | ((uint64_t)DEV << 16), 7ull << 3, 0, 0);
	assert_int_equal(ev.nresp, 3);
	assert_int_equal(ev.resp[2].code, 1);
	assert_int_equal(ev.resp[2].prgi, 7);
	/* reserved bits (qw1 bit 0): IQE, no response */
	q_submit(9 | ((uint64_t)DEV << 16), 1, 0, 0);
	assert_int_equal(ev.nresp, 3);
	assert_true(mmio_r(VTD_REG_FSTS, 4) & VTD_FSTS_IQE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, guest_teardown)
		T(test_completion_4k),
		T(test_completion_sizes),
		T(test_completion_not_present),
		T(test_completion_interrupt_range),
		T(test_completion_ur),
		T(test_completion_ca),
		T(test_completion_dirty),
		T(test_completion_exec),
		T(test_completion_bad_args),
		T(test_completion_remapping_off),
		T(test_devtlb_inval),
		T(test_devtlb_wait_ordering),
		T(test_translated_requests),
		T(test_devtlb_inval_reserved),
		T(test_devtlb_unsupported),
		T(test_prq_descriptor),
		T(test_prq_masked),
		T(test_prq_overflow),
		T(test_prq_refused),
		T(test_prq_bad_args),
		T(test_page_group_response),
#undef T
	};
	return cmocka_run_group_tests_name("ats", tests, NULL, NULL);
}
