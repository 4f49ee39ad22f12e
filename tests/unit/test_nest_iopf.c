/* SPDX-License-Identifier: MIT */
/*
 * Recoverable host faults (I/O page faults) of a passthrough device with
 * PRI, end to end on the sim host: a hole in the guest's first stage, the
 * device's DMA, the host's fault queue, the page request in the guest's
 * queue, the guest's fix, invalidation and page group response, the answer
 * reaching the host by the group's cookie, and the retried DMA.  Then the
 * other answers (Invalid, Response Failure), a full page request queue,
 * PRE off, rebinding and detach with groups outstanding, answers no group
 * asked for; and, with a scripted fault-queue backend, the bounds: a host
 * that floods, a guest that never answers (VTD_HOST_IOPF_MAX_PENDING),
 * malformed records, backend failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vtd/vtd.h>

#define PROPS "x-scalable-mode=on,x-flts=on,caching-mode=on,x-pasid-mode=on," \
	      "device-iotlb=on,svm=on"
#define RAM      (8u << 20)
#define SID      0x18u          /* 00:03.0, also the sim's device handle */
#define CTX_E    0x11300ull     /* its context entry */
#define IQ       0x40000ull     /* 128 x 256-bit */
#define PRQ      0x60000ull     /* page request queue */
#define FS0      0x20000ull     /* first stage of RID_PASID (PASID 0, DID 7) */
#define FS5      0x30000ull     /* first stage of PASID 5 (DID 9) */
#define FSX      0x38000ull     /* another first-stage root */
#define DATA     0x300000ull

static uint8_t *ram;
static struct vtd_iommu *iommu;
static struct vtd_sim *sim;
static struct vtd_host_if hif;
static char log_[16384];
static uint64_t qtail;
static unsigned msis;
static struct { unsigned n; uint16_t sid; bool pv; uint32_t pasid; uint16_t prgi; uint8_t code; } vmm_resp;

static void ev(void *o, const char *what)
{
	(void)o;
	size_t n = strlen(log_);
	snprintf(log_ + n, sizeof(log_) - n, "%s\n", what);
}

static void on_msi(void *o, uint64_t addr, uint32_t data)
{
	(void)o;
	if (addr == 0xfee00000 && data == 0x41)
		msis++;
}

static void on_resp(void *o, uint16_t sid, bool pv, uint32_t pasid, uint16_t prgi, uint8_t code)
{
	(void)o;
	vmm_resp.n++;
	vmm_resp.sid = sid;
	vmm_resp.pv = pv;
	vmm_resp.pasid = pasid;
	vmm_resp.prgi = prgi;
	vmm_resp.code = code;
}

static void put64(uint64_t a, uint64_t v) { memcpy(ram + a, &v, 8); }
static uint64_t get64(uint64_t a) { uint64_t v; memcpy(&v, ram + a, 8); return v; }

static void logged(const char *needle)
{
	if (!strstr(log_, needle))
		fail_msg("expected \"%s\" in the host log:\n%s", needle, log_);
}

static void not_logged(const char *needle)
{
	if (strstr(log_, needle))
		fail_msg("did not expect \"%s\" in the host log:\n%s", needle, log_);
}

/* a 4-level path from root (tables right after it) to pa with flags */
static void fs_map(uint64_t root, uint64_t iova, uint64_t pte)
{
	put64(root + ((iova >> 39) & 0x1ff) * 8, (root + 0x1000) | 7);
	put64(root + 0x1000 + ((iova >> 30) & 0x1ff) * 8, (root + 0x2000) | 7);
	put64(root + 0x2000 + ((iova >> 21) & 0x1ff) * 8, (root + 0x3000) | 7);
	put64(root + 0x3000 + ((iova >> 12) & 0x1ff) * 8, pte);
}

static void submit(uint64_t q0, uint64_t q1)
{
	uint64_t d = IQ + (qtail % 128) * 32;
	put64(d, q0);
	put64(d + 8, q1);
	put64(d + 16, 0);
	put64(d + 24, 0);
	qtail++;
	assert_int_equal(vtd_iommu_mmio_write(iommu, VTD_REG_IQT, 8, (qtail % 128) << 5), 0);
	uint64_t fsts;
	assert_int_equal(vtd_iommu_mmio_read(iommu, VTD_REG_FSTS, 4, &fsts), 0);
	assert_int_equal(fsts & 0x10, 0); /* no IQE */
}

static void piotlb(uint16_t did, uint32_t pasid, uint64_t addr)
{
	submit(6 | (3u << 4) | ((uint64_t)did << 16) | ((uint64_t)pasid << 32), addr);
}

static void pgrsp(bool pv, uint32_t pasid, uint8_t code, uint16_t prgi)
{
	submit(9 | ((uint64_t)pv << 4) | ((uint64_t)code << 12) | ((uint64_t)SID << 16) |
	       ((uint64_t)pasid << 32), (uint64_t)prgi << 3);
}

static void ctx_inval(void)
{
	submit(1 | (1u << 4), 0); /* context cache, global */
	submit(7 | (3u << 4), 0); /* PASID cache, global */
}

static uint64_t reg(unsigned off)
{
	uint64_t v = 0;
	assert_int_equal(vtd_iommu_mmio_read(iommu, off, 8, &v), 0);
	return v;
}

static uint32_t reg32(unsigned off)
{
	uint64_t v = 0;
	assert_int_equal(vtd_iommu_mmio_read(iommu, off, 4, &v), 0);
	return (uint32_t)v;
}

/* The guest: tables, a 256-bit invalidation queue, a 128-entry page
 * request queue with its event unmasked, translation on.  ctx_lo: the low
 * bits of the context entry (P, DTE, PASIDE, PRE). */
static void guest(const char *props, uint64_t ctx_lo, const struct vtd_host_attach_opts *ao,
		  int expect)
{
	ram = calloc(1, RAM);
	assert_non_null(ram);
	struct vtd_config cfg;
	assert_int_equal(vtd_config_parse(&cfg, props, NULL), 0);
	static const struct vtd_event_ops evops = { .msi = on_msi, .page_response = on_resp };
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = ram, .ram_size = RAM,
				    .events = &evops };
	assert_int_equal(vtd_iommu_new(&cfg, &o, &iommu, NULL), 0);
	static const struct vtd_sim_event_ops simev = { .event = ev };
	log_[0] = '\0';
	qtail = 0;
	msis = 0;
	memset(&vmm_resp, 0, sizeof(vmm_resp));
	assert_int_equal(vtd_sim_new(&simev, NULL, &sim), 0);
	vtd_sim_backend(sim, &hif);
	put64(0x10000, 0x11001);
	put64(CTX_E, 0x12000 | ctx_lo);
	put64(0x12000, 0x13001);
	put64(0x13000, 0x41);                 /* PASID 0: first stage */
	put64(0x13008, 7);
	put64(0x13010, FS0);
	put64(0x13000 + 5 * 64, 0x41);        /* PASID 5: first stage */
	put64(0x13008 + 5 * 64, 9);
	put64(0x13010 + 5 * 64, FS5);
	fs_map(FS0, 0x0, DATA | 7);
	fs_map(FS5, 0x0, (DATA + 0x1000) | 7);
	memcpy(ram + DATA, "\x11\x22\x33\x44", 4);
	memcpy(ram + DATA + 0x1000, "\x55\x66\x77\x88", 4);
	vtd_iommu_mmio_write(iommu, VTD_REG_PQA, 8, PRQ);
	vtd_iommu_mmio_write(iommu, VTD_REG_PEDATA, 4, 0x41);
	vtd_iommu_mmio_write(iommu, VTD_REG_PEADDR, 4, 0xfee00000);
	vtd_iommu_mmio_write(iommu, VTD_REG_PECTL, 4, 0);
	vtd_iommu_mmio_write(iommu, VTD_REG_IQA, 8, IQ | 0x800);
	vtd_iommu_mmio_write(iommu, VTD_REG_RTADDR, 8, 0x10000 | 0x400);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 30);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, (1u << 31) | (1u << 26));
	struct vtd_host_device hd;
	assert_int_equal(vtd_host_from_profile("gnr-main", &hd, NULL), 0);
	hd.hw_info_flags = 0;
	struct vtd_error err;
	int r = vtd_iommu_attach_host_opts(iommu, SID, &hd, &hif, SID, ao, &err);
	if (r != expect)
		fail_msg("attach: %d (%s), expected %d", r, err.msg, expect);
}

static struct vtd_host_attach_opts sim_opts(void)
{
	return (struct vtd_host_attach_opts){ .sz = sizeof(struct vtd_host_attach_opts),
					      .iopf = vtd_sim_iopf_ops() };
}

static int teardown(void **state)
{
	(void)state;
	vtd_iommu_free(iommu);
	vtd_sim_free(sim);
	free(ram);
	iommu = NULL;
	sim = NULL;
	ram = NULL;
	return 0;
}

static int dma(uint64_t iova, bool write, uint32_t pasid, void **hva)
{
	struct vtd_host_fault f;
	void *p = NULL;
	int r = vtd_sim_translate(sim, SID, pasid, iova, write, &p, &f);
	if (hva)
		*hva = p;
	return r;
}

static struct vtd_host_iopf_stats stats(void)
{
	struct vtd_host_iopf_stats st = { .sz = sizeof(st) };
	assert_int_equal(vtd_iommu_host_iopf_stats(iommu, SID, &st), 0);
	return st;
}

static uint32_t pqt(void) { return (uint32_t)(reg(VTD_REG_PQT) >> 5); }

/* The page request descriptor in slot i of the guest's queue. */
static void expect_prq(unsigned i, bool pv, uint32_t pasid, uint64_t addr, bool r, bool w,
		       uint16_t prgi)
{
	uint64_t d0 = get64(PRQ + i * 32), d1 = get64(PRQ + i * 32 + 8);
	uint64_t want0 = 1 | ((uint64_t)pv << 8) | ((uint64_t)SID << 16) | ((uint64_t)pasid << 32);
	uint64_t want1 = (uint64_t)r | ((uint64_t)w << 1) | (1u << 2) | ((uint64_t)prgi << 3) | addr;
	if (d0 != want0 || d1 != want1)
		fail_msg("PRQ[%u]: %#llx %#llx, expected %#llx %#llx", i, (unsigned long long)d0,
			 (unsigned long long)d1, (unsigned long long)want0, (unsigned long long)want1);
	assert_int_equal(get64(PRQ + i * 32 + 16), 0);
	assert_int_equal(get64(PRQ + i * 32 + 24), 0);
}

/* ---- the lifecycle on the sim host ---------------------------------------- */

/* hole -> page request -> guest fills, invalidates, answers Success -> the
 * retry succeeds */
static void test_roundtrip(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest(PROPS, 0x15, &ao, 0); /* P, DTE, PRE */
	logged("alloc_fault_queue fault=1");
	logged("alloc_nested hwpt=2 parent=1 pgtbl=0x20000 aw=48 flags=0x0 fault=1");
	struct vtd_host_iopf_stats st = stats();
	assert_true(st.queue && st.active);
	assert_int_equal(vtd_iommu_host_fault_fd(iommu, SID), -EOPNOTSUPP); /* sim: no fd */

	void *p;
	assert_int_equal(dma(0x0, false, VTD_HOST_NO_PASID, &p), 0);
	assert_memory_equal(p, "\x11\x22\x33\x44", 4);
	/* the hole: a page request, not a fault */
	assert_int_equal(dma(0x1234, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	logged("page_request fault=1 dev=24 pasid=-1 addr=0x1000 r group=0");
	uint64_t frcd = reg(0x228);
	assert_int_equal(frcd >> 63, 0); /* nothing in the guest's fault log */
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	logged("read_fault fault=1 cookie=1");
	assert_int_equal(pqt(), 1);
	expect_prq(0, false, 0, 0x1000, true, false, 0);
	assert_int_equal(msis, 1);
	assert_int_equal(reg32(VTD_REG_PRS) & 1, 1); /* PPR */
	st = stats();
	assert_int_equal(st.read, 1);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.pending, 1);
	/* unanswered: the device keeps waiting, nothing new is queued */
	assert_int_equal(dma(0x1234, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 0);
	assert_int_equal(pqt(), 1);
	/* the guest handles it */
	memcpy(ram + DATA + 0x1234, "\x55\x66\x77\x88", 4);
	fs_map(FS0, 0x1000, (DATA + 0x1000) | 7);
	piotlb(7, 0, 0x1000);
	logged("invalidate hwpt=2 addr=0x1000 npages=0x1");
	pgrsp(false, 0, 0, 0);
	logged("page_response fault=1 cookie=1 success");
	assert_int_equal(vmm_resp.n, 0); /* the host's group: not the VMM's callback */
	st = stats();
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.responses, 1);
	assert_int_equal(st.response_errors, 0);
	assert_int_equal(dma(0x1234, false, VTD_HOST_NO_PASID, &p), 0);
	assert_memory_equal(p, "\x55\x66\x77\x88", 4);
	assert_ptr_equal(p, ram + DATA + 0x1234);
}

/* PASID-tagged write to a read-only page: the request carries the PASID
 * and W; the answer names the PASID */
static void test_pasid_write(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest(PROPS, 0x1d, &ao, 0); /* P, DTE, PASIDE, PRE */
	logged("alloc_nested hwpt=3 parent=1 pgtbl=0x30000 aw=48 flags=0x0 fault=1");
	logged("attach dev=24 pasid=5 hwpt=3");
	fs_map(FS5, 0x5000, (DATA + 0x5000) | 5); /* read-only, user */
	piotlb(9, 5, 0x5000);
	void *p;
	assert_int_equal(dma(0x5008, false, 5, &p), 0);
	assert_int_equal(dma(0x5008, true, 5, NULL), -EAGAIN);
	logged("page_request fault=1 dev=24 pasid=5 addr=0x5000 w group=0");
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	expect_prq(0, true, 5, 0x5000, false, true, 0);
	/* a response for the wrong PASID is not this group: the VMM gets it */
	pgrsp(true, 6, 0, 0);
	assert_int_equal(vmm_resp.n, 1);
	assert_int_equal(stats().pending, 1);
	fs_map(FS5, 0x5000, (DATA + 0x5000) | 7);
	piotlb(9, 5, 0x5000);
	pgrsp(true, 5, 0, 0);
	logged("page_response fault=1 cookie=1 success");
	assert_int_equal(dma(0x5008, true, 5, &p), 0);
	assert_ptr_equal(p, ram + DATA + 0x5008);
}

/* Invalid Request: the device's access fails; asking again starts over */
static void test_invalid(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest(PROPS, 0x15, &ao, 0);
	assert_int_equal(dma(0x2000, true, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	pgrsp(false, 0, 1, 0);
	logged("page_response fault=1 cookie=1 invalid");
	assert_int_equal(dma(0x2000, true, VTD_HOST_NO_PASID, NULL), -EPERM);
	/* a new attempt is a new request, group 1 */
	assert_int_equal(dma(0x2000, true, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	expect_prq(1, false, 0, 0x2000, false, true, 1);
	/* a reserved response code is Invalid to the host too */
	pgrsp(false, 0, 5, 1);
	logged("page_response fault=1 cookie=2 invalid");
	assert_int_equal(stats().responses, 2);
}

/* A full page request queue: dropped, PRS.PRO, and the IOMMU answers the
 * host Success for the guest; after the guest drains it, requests flow */
static void test_prq_full(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest(PROPS, 0x15, &ao, 0);
	vtd_iommu_mmio_write(iommu, VTD_REG_PQH, 8, 1u << 5); /* head = tail + 1: full */
	assert_int_equal(dma(0x3000, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	logged("page_response fault=1 cookie=1 success");
	assert_int_equal(pqt(), 0);
	assert_int_equal(reg32(VTD_REG_PRS) & 2, 2); /* PRO */
	assert_int_equal(msis, 1);
	struct vtd_host_iopf_stats st = stats();
	assert_int_equal(st.overflowed, 1);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(vmm_resp.n, 0); /* not the VMM's device */
	/* the device retries: still overflowed (PRO stays until cleared) */
	vtd_iommu_mmio_write(iommu, VTD_REG_PQH, 8, 0);
	assert_int_equal(dma(0x3000, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	logged("page_response fault=1 cookie=2 success");
	assert_int_equal(stats().overflowed, 2);
	/* the guest clears PRO: the next request is queued */
	vtd_iommu_mmio_write(iommu, VTD_REG_PRS, 4, 2);
	assert_int_equal(dma(0x3000, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	assert_int_equal(pqt(), 1);
	expect_prq(0, false, 0, 0x3000, true, false, 2);
	assert_int_equal(stats().pending, 1);
}

/* PRE off: no fault queue on the tables, a hole is a plain fault; the
 * guest sets PRE (with a context-cache invalidation): tables rebuilt */
static void test_pre_toggle(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest(PROPS, 0x5, &ao, 0); /* P, DTE: no PRE */
	logged("alloc_fault_queue fault=1"); /* at attach: the fd exists from the start */
	logged("alloc_nested hwpt=2 parent=1 pgtbl=0x20000 aw=48 flags=0x0\n");
	assert_false(stats().active);
	assert_int_equal(dma(0x1000, false, VTD_HOST_NO_PASID, NULL), -EACCES);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 0);
	put64(CTX_E, 0x12000 | 0x15);
	ctx_inval();
	logged("alloc_nested hwpt=3 parent=1 pgtbl=0x20000 aw=48 flags=0x0 fault=1");
	logged("free hwpt=2");
	assert_true(stats().active);
	assert_int_equal(dma(0x1000, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	/* PRE off again before answering: the table without the queue
	 * replaces it, the host answers the group Invalid itself, and the
	 * library forgets it; the guest's late answer is not the host's */
	put64(CTX_E, 0x12000 | 0x5);
	ctx_inval();
	logged("auto_response fault=1 dev=24 pasid=-1 group=0 invalid");
	assert_int_equal(stats().pending, 0);
	pgrsp(false, 0, 0, 0);
	assert_int_equal(vmm_resp.n, 1);
	not_logged("page_response fault=1");
}

/* svm=off: the options are accepted and unused */
static void test_no_svm(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest("x-scalable-mode=on,x-flts=on,caching-mode=on", 0x15, &ao, 0);
	not_logged("alloc_fault_queue");
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), -EOPNOTSUPP);
	assert_int_equal(vtd_iommu_host_fault_fd(iommu, SID), -EOPNOTSUPP);
	assert_int_equal(vtd_iommu_host_poll(iommu, 0x20, 0), -ENOENT);
	assert_int_equal(vtd_iommu_host_fault_fd(iommu, 0x20), -ENOENT);
	struct vtd_host_iopf_stats st = { .sz = sizeof(st) };
	assert_int_equal(vtd_iommu_host_iopf_stats(iommu, 0x20, &st), -ENOENT);
	assert_int_equal(vtd_iommu_host_iopf_stats(iommu, SID, NULL), -EINVAL);
	st = stats();
	assert_false(st.queue);
	/* the context entry enables PRE (and DTE) that this unit does not
	 * offer: every request is SCT.4, so the host blocks the device */
	assert_int_equal(dma(0x1000, false, VTD_HOST_NO_PASID, NULL), -ENODEV);
	assert_int_equal(vtd_iommu_host_poll(NULL, SID, 0), -EINVAL);
}

/* Response Failure: Invalid to the host (iommufd has no Failure), every
 * other outstanding group Invalid, and PRI off until the guest clears PRE */
static void test_response_failure(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest(PROPS, 0x15, &ao, 0);
	assert_int_equal(dma(0x1000, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(dma(0x2000, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 2);
	assert_int_equal(stats().pending, 2);
	pgrsp(false, 0, 0xf, 0);
	logged("page_response fault=1 cookie=1 invalid");
	logged("page_response fault=1 cookie=2 invalid");
	assert_int_equal(stats().pending, 0);
	/* further faults: answered Invalid without reaching the guest */
	assert_int_equal(dma(0x3000, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	logged("page_response fault=1 cookie=3 invalid");
	assert_int_equal(pqt(), 2);
	/* the guest resets the device's PRI: PRE off, then on */
	put64(CTX_E, 0x12000 | 0x5);
	ctx_inval();
	put64(CTX_E, 0x12000 | 0x15);
	ctx_inval();
	assert_int_equal(dma(0x4000, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	assert_int_equal(pqt(), 3);
	assert_int_equal(stats().pending, 1);
}

/* Detach with groups outstanding: answered Invalid while their cookies
 * are valid, before the tables go; the queue is freed after them */
static void test_detach_pending(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest(PROPS, 0x15, &ao, 0);
	assert_int_equal(dma(0x1000, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	log_[0] = '\0';
	assert_int_equal(vtd_iommu_detach_host(iommu, SID), 0);
	const char *resp = strstr(log_, "page_response fault=1 cookie=1 invalid");
	const char *det = strstr(log_, "detach dev=24 pasid=-1");
	const char *freeq = strstr(log_, "free_fault_queue fault=1");
	const char *freeh = strstr(log_, "free hwpt=2");
	if (!resp || !det || !freeq || !freeh || !(resp < det && freeh < freeq))
		fail_msg("detach order:\n%s", log_);
	/* a guest answer after detach goes to the VMM */
	pgrsp(false, 0, 0, 0);
	assert_int_equal(vmm_resp.n, 1);
}

/* The guest points the PASID entry at another first stage while a group
 * is outstanding: the host drops it (answered Invalid), so the library
 * does not keep its cookie */
static void test_rebind_drops(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest(PROPS, 0x15, &ao, 0);
	assert_int_equal(dma(0x1000, false, VTD_HOST_NO_PASID, NULL), -EAGAIN);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	put64(0x13010, FSX);
	ctx_inval();
	logged("alloc_nested hwpt=3 parent=1 pgtbl=0x38000 aw=48 flags=0x0 fault=1");
	logged("auto_response fault=1 dev=24 pasid=-1 group=0 invalid");
	assert_int_equal(stats().pending, 0);
	/* the device was told Invalid */
	assert_int_equal(dma(0x1000, false, VTD_HOST_NO_PASID, NULL), -EPERM);
}

/* The guest answers a group nobody asked for: the VMM's callback */
static void test_stray_response(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest(PROPS, 0x15, &ao, 0);
	pgrsp(false, 0, 0, 7);
	assert_int_equal(vmm_resp.n, 1);
	assert_int_equal(vmm_resp.prgi, 7);
	assert_int_equal(stats().responses, 0);
	not_logged("page_response");
}

/* The sim host's queue holds 64 groups: past them a miss is a fault */
static void test_sim_queue_full(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = sim_opts();
	guest(PROPS, 0x15, &ao, 0);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(dma(0x100000 + i * 0x1000ull, false, VTD_HOST_NO_PASID, NULL),
				 -EAGAIN);
	assert_int_equal(dma(0x200000, false, VTD_HOST_NO_PASID, NULL), -EACCES);
	logged("page_request fault=1 full");
	/* read in bounded steps */
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 10), 10);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 54);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 0);
	assert_int_equal(pqt(), 64);
	assert_int_equal(stats().pending, 64);
}

/* ---- a scripted fault-queue backend: the bounds ------------------------ */

static struct fake {
	unsigned reads;             /* read calls */
	long supply;                /* records left to give (-1: endless) */
	int read_err;               /* returned once records run out, 0: none */
	unsigned per_read;          /* at most this many per call (0: max) */
	struct vtd_host_iopf tmpl;  /* what each record looks like */
	bool keep_prgi;             /* tmpl's group index, not one per cookie */
	uint32_t next_cookie;
	bool every_last;
	int alloc_queue_err, alloc_nested_err, respond_err;
	bool refuse_fq_attach;      /* the host's attach refuses fault tables */
	unsigned refused;
	unsigned resp_n;
	struct { uint32_t cookie; enum vtd_host_iopf_code code; } resp[1024];
	uint32_t fq_hwpts[8];
	unsigned nfq_hwpts;
} F;

static int fk_alloc_queue(void *ctx, uint32_t *q)
{
	(void)ctx;
	if (F.alloc_queue_err)
		return F.alloc_queue_err;
	*q = 77;
	return 0;
}

static int fk_free_queue(void *ctx, uint32_t q)
{
	(void)ctx;
	assert_int_equal(q, 77);
	return 0;
}

static int fk_alloc_nested(void *ctx, uint32_t parent, const struct vtd_s1_cfg *s1, uint32_t q,
			   uint32_t *hwpt)
{
	assert_int_equal(q, 77);
	if (F.alloc_nested_err)
		return F.alloc_nested_err;
	int r = hif.ops->alloc_nested(ctx, parent, s1, hwpt);
	if (!r && F.nfq_hwpts < 8)
		F.fq_hwpts[F.nfq_hwpts++] = *hwpt;
	return r;
}

static int fk_read(void *ctx, uint32_t q, struct vtd_host_iopf *out, unsigned max)
{
	(void)ctx;
	assert_int_equal(q, 77);
	assert_true(max >= 1);
	F.reads++;
	unsigned n = F.per_read && F.per_read < max ? F.per_read : max;
	unsigned k = 0;
	for (; k < n && F.supply != 0; k++) {
		out[k] = F.tmpl;
		out[k].cookie = F.next_cookie++;
		out[k].last = F.every_last;
		if (!F.keep_prgi)
			out[k].prg_index = (uint16_t)(out[k].cookie & 0x1ff);
		if (F.supply > 0)
			F.supply--;
	}
	if (!k && F.read_err)
		return F.read_err;
	return (int)k;
}

static int fk_respond(void *ctx, uint32_t q, uint32_t cookie, enum vtd_host_iopf_code code)
{
	(void)ctx;
	assert_int_equal(q, 77);
	if (F.resp_n < 1024) {
		F.resp[F.resp_n].cookie = cookie;
		F.resp[F.resp_n].code = code;
	}
	F.resp_n++;
	return F.respond_err;
}

static const struct vtd_host_iopf_ops fake_ops = {
	.sz = sizeof(struct vtd_host_iopf_ops),
	.alloc_queue = fk_alloc_queue, .free_queue = fk_free_queue,
	.alloc_nested = fk_alloc_nested, .read = fk_read, .respond = fk_respond,
};

/* the sim's host ops, with an attach that refuses tables with a queue */
static struct vtd_host_ops fake_host_ops;
static int fk_attach(void *ctx, uint32_t dev, uint32_t pasid, uint32_t hwpt)
{
	for (unsigned i = 0; F.refuse_fq_attach && i < F.nfq_hwpts; i++)
		if (F.fq_hwpts[i] == hwpt) {
			F.fq_hwpts[i] = 0; /* (the id may come back for another table) */
			F.refused++;
			return -ENODEV; /* Linux: the device has no PRI */
		}
	struct vtd_host_if real;
	vtd_sim_backend(sim, &real);
	return real.ops->attach(ctx, dev, pasid, hwpt);
}

static void fake_guest(uint64_t pqa_size)
{
	struct vtd_host_attach_opts ao = { .sz = sizeof(ao), .iopf = &fake_ops };
	guest(PROPS, 0x15, &ao, 0);
	/* a bigger page request queue: 128 << pqa_size entries */
	vtd_iommu_mmio_write(iommu, VTD_REG_PQA, 8, PRQ | pqa_size);
}

static void fake_reset(void)
{
	memset(&F, 0, sizeof(F));
	F.next_cookie = 1;
	F.every_last = true;
	F.tmpl = (struct vtd_host_iopf){ .addr = 0x7000, .read = true };
}

/* A host that never stops: each poll reads at most max (bounded), and
 * max is clamped */
static void test_flood_bounded(void **state)
{
	(void)state;
	fake_reset();
	F.supply = -1;
	F.every_last = false; /* no groups to keep: only the queue fills */
	fake_guest(0);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 100), 100);
	assert_true(F.reads <= 4); /* in chunks, one read each */
	F.reads = 0;
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), VTD_HOST_IOPF_POLL_DEFAULT);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 100000), VTD_HOST_IOPF_POLL_MAX);
	struct vtd_host_iopf_stats st = stats();
	assert_int_equal(st.read, 100 + VTD_HOST_IOPF_POLL_DEFAULT + VTD_HOST_IOPF_POLL_MAX);
	assert_int_equal(st.delivered, 127); /* the queue's room */
	assert_int_equal(st.overflowed, st.read - 127);
	assert_int_equal(F.resp_n, 0); /* none ended a group: nothing to answer */
	/* one record per read: still bounded by max */
	F.per_read = 1;
	F.reads = 0;
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 50), 50);
	assert_int_equal(F.reads, 50);
}

/* A guest that never answers: at most VTD_HOST_IOPF_MAX_PENDING groups
 * are kept, the rest answered Invalid at once */
static void test_pending_cap(void **state)
{
	(void)state;
	fake_reset();
	const unsigned extra = 40;
	F.supply = VTD_HOST_IOPF_MAX_PENDING + extra;
	fake_guest(3); /* 1024 entries */
	unsigned total = 0;
	for (int i = 0; i < 20; i++) {
		int n = vtd_iommu_host_poll(iommu, SID, 0);
		assert_true(n >= 0);
		total += (unsigned)n;
		if (!n)
			break;
	}
	assert_int_equal(total, VTD_HOST_IOPF_MAX_PENDING + extra);
	struct vtd_host_iopf_stats st = stats();
	assert_int_equal(st.pending, VTD_HOST_IOPF_MAX_PENDING);
	assert_int_equal(st.delivered, VTD_HOST_IOPF_MAX_PENDING);
	assert_int_equal(st.capped, extra);
	assert_int_equal(F.resp_n, extra);
	for (unsigned i = 0; i < extra; i++) {
		assert_int_equal(F.resp[i].code, VTD_HOST_IOPF_INVALID);
		assert_int_equal(F.resp[i].cookie, VTD_HOST_IOPF_MAX_PENDING + 1 + i);
	}
	/* an answer frees a place; the oldest group with that index goes */
	pgrsp(false, 0, 0, 1);
	assert_int_equal(F.resp_n, extra + 1);
	assert_int_equal(F.resp[extra].cookie, 1);
	assert_int_equal(F.resp[extra].code, VTD_HOST_IOPF_SUCCESS);
	assert_int_equal(stats().pending, VTD_HOST_IOPF_MAX_PENDING - 1);
	/* detach answers every one still outstanding */
	F.resp_n = 0;
	assert_int_equal(vtd_iommu_detach_host(iommu, SID), 0);
	assert_int_equal(F.resp_n, VTD_HOST_IOPF_MAX_PENDING - 1);
}

/* Malformed records never reach the guest; one that ends a group is
 * answered Invalid, a truncated one (no last) is not answered */
static void test_malformed(void **state)
{
	(void)state;
	fake_reset();
	F.keep_prgi = true;
	fake_guest(0);
	struct {
		struct vtd_host_iopf f;
	} cases[] = {
		{ { .malformed = true, .last = true, .cookie = 10 } },
		{ { .malformed = true } },                              /* truncated */
		{ { .prg_index = 0x200, .last = true, .cookie = 11 } }, /* 10 bits */
		{ { .pasid_valid = true, .pasid = 0x100000, .last = true, .cookie = 12 } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		F.tmpl = cases[i].f;
		F.every_last = cases[i].f.last;
		F.next_cookie = cases[i].f.cookie;
		F.supply = 1;
		F.reads = 0;
		assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	}
	struct vtd_host_iopf_stats st = stats();
	assert_int_equal(st.malformed, 4);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(pqt(), 0);
	assert_int_equal(F.resp_n, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(F.resp[i].code, VTD_HOST_IOPF_INVALID);
	assert_int_equal(F.resp[0].cookie, 10);
	assert_int_equal(F.resp[1].cookie, 11);
	assert_int_equal(F.resp[2].cookie, 12);
}

/* A record the device may not make (PRE clear: it raced the guest turning
 * PRI off), or a queue outside guest memory: answered Invalid, and the
 * PRE case is the guest's fault 47h as for any device */
static void test_refused(void **state)
{
	(void)state;
	fake_reset();
	F.supply = 1;
	struct vtd_host_attach_opts ao = { .sz = sizeof(ao), .iopf = &fake_ops };
	guest(PROPS, 0x5, &ao, 0); /* no PRE */
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	struct vtd_host_iopf_stats st = stats();
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(F.resp_n, 1);
	assert_int_equal(F.resp[0].code, VTD_HOST_IOPF_INVALID);
	assert_int_equal(F.resp[0].cookie, 1);
	uint64_t hi = reg(0x228);
	assert_int_equal(hi >> 63, 1);              /* F */
	assert_int_equal((hi >> 32) & 0xff, 0x47);  /* SCT.8: PRE clear */
	assert_int_equal(hi & 0xffff, SID);
	teardown(NULL);

	fake_reset();
	F.supply = 1;
	fake_guest(0);
	vtd_iommu_mmio_write(iommu, VTD_REG_PQA, 8, 0x7fff000000ull); /* not RAM */
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 1);
	assert_int_equal(stats().refused, 1);
	assert_int_equal(F.resp_n, 1);
	assert_int_equal(F.resp[0].code, VTD_HOST_IOPF_INVALID);
}

/* The backend fails: errors come back, records taken before still count */
static void test_backend_errors(void **state)
{
	(void)state;
	fake_reset();
	F.supply = 3;
	F.read_err = -EIO;
	fake_guest(0);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), 3);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), -EIO);
	assert_int_equal(stats().delivered, 3);
	/* the host refuses an answer (an unknown cookie): counted */
	F.respond_err = -EINVAL;
	pgrsp(false, 0, 0, 2);
	struct vtd_host_iopf_stats st = stats();
	assert_int_equal(st.responses, 1);
	assert_int_equal(st.response_errors, 1);
	assert_int_equal(st.pending, 2);
	teardown(NULL);

	/* a kernel without fault queues: attached, without recoverable faults */
	fake_reset();
	F.alloc_queue_err = -ENOTTY;
	fake_guest(0);
	assert_false(stats().queue);
	assert_int_equal(vtd_iommu_host_poll(iommu, SID, 0), -EOPNOTSUPP);
	logged("alloc_nested hwpt=2 parent=1 pgtbl=0x20000 aw=48 flags=0x0\n");
	teardown(NULL);

	/* any other refusal of the queue fails the attach, undoing it */
	fake_reset();
	F.alloc_queue_err = -ENOMEM;
	struct vtd_host_attach_opts ao = { .sz = sizeof(ao), .iopf = &fake_ops };
	guest(PROPS, 0x15, &ao, -ENOMEM);
	logged("free hwpt=1");
	logged("unmap gpa=0x0");
	teardown(NULL);

	/* the host refuses a nested table with the queue: one without, and
	 * not asked again on the next context change */
	fake_reset();
	F.alloc_nested_err = -EOPNOTSUPP;
	fake_guest(0);
	logged("alloc_nested hwpt=2 parent=1 pgtbl=0x20000 aw=48 flags=0x0\n");
	logged("attach dev=24 pasid=-1 hwpt=2");
	assert_false(stats().active);
	log_[0] = '\0';
	ctx_inval();
	not_logged("alloc_nested");
}

/* Linux refuses to attach a table with a fault queue to a device without
 * PRI: the library falls back to a table without and stays there */
static void test_attach_refused(void **state)
{
	(void)state;
	fake_reset();
	F.refuse_fq_attach = true;
	struct vtd_host_attach_opts ao = { .sz = sizeof(ao), .iopf = &fake_ops };
	/* guest() attaches with the sim's ops: detach, then again with an
	 * attach that refuses tables with the queue */
	guest(PROPS, 0x15, &ao, 0);
	assert_int_equal(vtd_iommu_detach_host(iommu, SID), 0);
	fake_host_ops = *hif.ops;
	fake_host_ops.attach = fk_attach;
	F.nfq_hwpts = 0;
	log_[0] = '\0';
	struct vtd_host_if h = { &fake_host_ops, sim };
	struct vtd_host_device hd;
	vtd_host_from_profile("gnr-main", &hd, NULL);
	hd.hw_info_flags = 0;
	assert_int_equal(vtd_iommu_attach_host_opts(iommu, SID, &hd, &h, SID, &ao, NULL), 0);
	/* the table with the queue was made, refused, freed; then one
	 * without (the same id again), attached */
	assert_int_equal(F.nfq_hwpts, 1);
	assert_int_equal(F.refused, 1);
	logged("alloc_nested hwpt=2 parent=1 pgtbl=0x20000 aw=48 flags=0x0\nfree hwpt=2\n"
	       "alloc_nested hwpt=2 parent=1 pgtbl=0x20000 aw=48 flags=0x0\n"
	       "attach dev=24 pasid=-1 hwpt=2\n");
	assert_false(stats().active);
	assert_true(stats().queue);
	assert_int_equal(dma(0x1000, false, VTD_HOST_NO_PASID, NULL), -EACCES);
	/* and is not asked again */
	log_[0] = '\0';
	ctx_inval();
	not_logged("alloc_nested");
}

/* Options too small to hold the iopf pointer, or ops too small to hold
 * what the library calls: no fault queue (not an error) */
static void test_opts_sizes(void **state)
{
	(void)state;
	struct vtd_host_attach_opts ao = { .sz = sizeof(size_t), .iopf = vtd_sim_iopf_ops() };
	guest(PROPS, 0x15, &ao, 0);
	assert_false(stats().queue);
	teardown(NULL);

	struct vtd_host_iopf_ops small = *vtd_sim_iopf_ops();
	small.sz = offsetof(struct vtd_host_iopf_ops, respond);
	ao = (struct vtd_host_attach_opts){ .sz = sizeof(ao), .iopf = &small };
	guest(PROPS, 0x15, &ao, 0);
	assert_false(stats().queue);
	teardown(NULL);

	/* no fd member: the rest works */
	small = *vtd_sim_iopf_ops();
	small.sz = offsetof(struct vtd_host_iopf_ops, fd);
	guest(PROPS, 0x15, &ao, 0);
	assert_true(stats().queue);
	assert_int_equal(vtd_iommu_host_fault_fd(iommu, SID), -EOPNOTSUPP);
	teardown(NULL);

	ao.sz = 1;
	guest(PROPS, 0x15, &ao, -EINVAL);
	teardown(NULL);
	/* a newer caller's longer structs: unknown tails must be zero */
	struct {
		struct vtd_host_attach_opts o;
		uint64_t more;
	} big = { { .sz = sizeof(big), .iopf = vtd_sim_iopf_ops() }, 0 };
	guest(PROPS, 0x15, &big.o, 0);
	assert_true(stats().queue);
	teardown(NULL);
	big.more = 1;
	guest(PROPS, 0x15, &big.o, -E2BIG);
	teardown(NULL);
	struct {
		struct vtd_host_iopf_ops o;
		void *more;
	} bigops = { *vtd_sim_iopf_ops(), NULL };
	bigops.o.sz = sizeof(bigops);
	ao = (struct vtd_host_attach_opts){ .sz = sizeof(ao), .iopf = &bigops.o };
	guest(PROPS, 0x15, &ao, 0);
	assert_true(stats().queue);
	teardown(NULL);
	bigops.more = &bigops;
	guest(PROPS, 0x15, &ao, -E2BIG);
	/* a longer stats struct: its tail is zeroed */
	ao = sim_opts();
	teardown(NULL);
	guest(PROPS, 0x15, &ao, 0);
	struct {
		struct vtd_host_iopf_stats s;
		uint64_t more;
	} bigst;
	memset(&bigst, 0xa5, sizeof(bigst));
	bigst.s.sz = sizeof(bigst);
	assert_int_equal(vtd_iommu_host_iopf_stats(iommu, SID, &bigst.s), 0);
	assert_int_equal(bigst.s.sz, sizeof(bigst));
	assert_int_equal(bigst.more, 0);
	assert_int_equal(bigst.s.read, 0);
	/* a stats struct that only holds sz */
	ao = sim_opts();
	teardown(NULL);
	guest(PROPS, 0x15, &ao, 0);
	struct vtd_host_iopf_stats st;
	memset(&st, 0xa5, sizeof(st));
	st.sz = offsetof(struct vtd_host_iopf_stats, pending);
	assert_int_equal(vtd_iommu_host_iopf_stats(iommu, SID, &st), 0);
	assert_true(st.queue);
	uint8_t *tail = (uint8_t *)&st + offsetof(struct vtd_host_iopf_stats, pending);
	for (size_t i = 0; i < sizeof(st) - offsetof(struct vtd_host_iopf_stats, pending); i++)
		assert_int_equal(tail[i], 0xa5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_roundtrip, teardown),
		cmocka_unit_test_teardown(test_pasid_write, teardown),
		cmocka_unit_test_teardown(test_invalid, teardown),
		cmocka_unit_test_teardown(test_prq_full, teardown),
		cmocka_unit_test_teardown(test_pre_toggle, teardown),
		cmocka_unit_test_teardown(test_no_svm, teardown),
		cmocka_unit_test_teardown(test_response_failure, teardown),
		cmocka_unit_test_teardown(test_detach_pending, teardown),
		cmocka_unit_test_teardown(test_rebind_drops, teardown),
		cmocka_unit_test_teardown(test_stray_response, teardown),
		cmocka_unit_test_teardown(test_sim_queue_full, teardown),
		cmocka_unit_test_teardown(test_flood_bounded, teardown),
		cmocka_unit_test_teardown(test_pending_cap, teardown),
		cmocka_unit_test_teardown(test_malformed, teardown),
		cmocka_unit_test_teardown(test_refused, teardown),
		cmocka_unit_test_teardown(test_backend_errors, teardown),
		cmocka_unit_test_teardown(test_attach_refused, teardown),
		cmocka_unit_test_teardown(test_opts_sizes, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
