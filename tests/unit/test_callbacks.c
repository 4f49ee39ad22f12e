/* SPDX-License-Identifier: MIT */
/*
 * What the library tells a VMM and when (include/vtd/iommu.h):
 *  - irq_inval: interrupt-remapping invalidations (IEC descriptors, SIRTP,
 *    GCMD.IRE/CFI), delivered after the object's lock is released, so the
 *    callback may call vtd_iommu_remap_msi();
 *  - ram_dirty: every write the library makes into the flat RAM (A/D flags,
 *    invalidation wait status, posted-interrupt descriptors, page requests),
 *    none for reads
 *    or for writes through the mem.write callback;
 *  - no re-entry: a callback that calls back into its own object gets
 *    -EDEADLK instead of a self-deadlock, and the walk or queue that called
 *    it reports the architected error.
 */
#include "guest.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RAM (4u << 20)
#define IRT 0x60000ull
#define STATUS 0x30000ull
#define PID0 0x70000ull          /* a posted-interrupt descriptor */
#define DEVFN 0x18u              /* 00:03.0 */
#define SID 0x0018u
#define DID 5u

#define IEC_G (1ull << 4)        /* index-selective granularity */
#define IEC(idx, im) (4 | IEC_G | (uint64_t)(im) << 27 | (uint64_t)(idx) << 32)
#define WAIT_SW (1ull << 5)

/* ---- irq_inval ----------------------------------------------------------- */

#define MAXEV 16
static struct {
	unsigned n;
	bool global[MAXEV];
	uint32_t index[MAXEV], count[MAXEV];
	bool lock_free[MAXEV];   /* the object's lock was not held */
	/* what vtd_iommu_remap_msi() gave inside the callback */
	bool remap;              /* call it */
	int remap_rc[MAXEV];
	uint8_t remap_vector[MAXEV];
} iv;

static uint64_t remappable(unsigned handle)
{
	return 0xfee00010ull | ((uint64_t)(handle & 0x7fff) << 5) | (((handle >> 15) & 1) << 2);
}

static void on_irq_inval(void *opaque, bool global, uint32_t index, uint32_t count)
{
	assert_ptr_equal(opaque, &iv);
	unsigned k = iv.n++;
	assert_true(k < MAXEV);
	iv.global[k] = global;
	iv.index[k] = index;
	iv.count[k] = count;
	/* the lock is free: another thread could take it now */
	iv.lock_free[k] = pthread_mutex_trylock(&iommu->lock) == 0;
	if (iv.lock_free[k])
		pthread_mutex_unlock(&iommu->lock);
	if (iv.remap) {
		struct vtd_irq o;
		iv.remap_rc[k] = vtd_iommu_remap_msi(iommu, SID, remappable(0), 0, &o);
		iv.remap_vector[k] = o.vector;
	}
}

static void irte(unsigned i, uint8_t vector)
{
	put64(IRT + 16 * i, (uint64_t)vector << 16 | 1);
	put64(IRT + 16 * i + 8, 0);
}

/* IR (xAPIC) with 16 IRTEs at IRT and the queue on; irq_inval set if asked.
 * The events of the set-up itself are checked and then forgotten. */
static void mk_ir(bool with_cb)
{
	memset(&iv, 0, sizeof(iv));
	struct vtd_iommu_opts o = { .event_opaque = &iv };
	if (with_cb)
		o.irq_inval = on_irq_inval;
	guest_new("kernel-irqchip=off", RAM, true, o);
	irte(0, 0x30);
	mmio_w(VTD_REG_IRTA, 8, IRT | 3);
	mmio_w(VTD_REG_GCMD, 4, VTD_GCMD_SIRTP);
	if (with_cb) {
		assert_int_equal(iv.n, 1);
		assert_true(iv.global[0]);
	}
	gcmd(VTD_GCMD_IRE, true);
	if (with_cb) {
		assert_int_equal(iv.n, 2);
		assert_true(iv.global[1]);
	}
	qi_on(QBASE, 0, false);
	if (with_cb)
		assert_int_equal(iv.n, 2);   /* enabling the queue invalidates nothing */
	iv.n = 0;
}

static void expect_event(unsigned k, bool global, uint32_t index, uint32_t count)
{
	assert_true(k < iv.n);
	assert_int_equal(iv.global[k], global);
	assert_int_equal(iv.index[k], index);
	assert_int_equal(iv.count[k], count);
	assert_true(iv.lock_free[k]);
}

/* Queued interrupt entry cache invalidations, global and index-selective
 * (index aligned down to 2^IM), one call per register write. */
static void test_irq_inval_iec_descriptors(void **st)
{
	(void)st;
	mk_ir(true);
	q_submit(4, 0, 0, 0);                          /* global */
	assert_int_equal(iv.n, 1);
	expect_event(0, true, 0, 65536);
	iv.n = 0;
	q_submit(IEC(5, 2), 0, 0, 0);                  /* IM=2: 4 entries from 4 */
	assert_int_equal(iv.n, 1);
	expect_event(0, false, 4, 4);
	iv.n = 0;
	q_submit(IEC(7, 0), 0, 0, 0);                  /* one entry */
	assert_int_equal(iv.n, 1);
	expect_event(0, false, 7, 1);
	/* two ranges in one write: one call covering both */
	iv.n = 0;
	q_put(IEC(1, 0), 0, 0, 0);
	q_put(IEC(9, 1), 0, 0, 0);                     /* 8, 9 */
	q_go();
	assert_int_equal(iv.n, 1);
	assert_false(iv.global[0]);
	assert_true(iv.index[0] <= 1 && iv.index[0] + iv.count[0] >= 10);
	/* a range and a global: global */
	iv.n = 0;
	q_put(IEC(3, 0), 0, 0, 0);
	q_put(4, 0, 0, 0);
	q_put(IEC(12, 0), 0, 0, 0);
	q_go();
	assert_int_equal(iv.n, 1);
	expect_event(0, true, 0, 65536);
	/* other descriptors and registers: nothing */
	iv.n = 0;
	q_submit(5 | WAIT_SW | 1ull << 32, STATUS, 0, 0);
	q_submit(2 | 1u << 4, 0, 0, 0);                /* global IOTLB */
	mmio_w(VTD_REG_FECTL, 4, 0);
	assert_int_equal(iv.n, 0);
	assert_int_equal(get32(STATUS), 1);            /* the queue did run */
}

/* The callback rebuilds its routes through vtd_iommu_remap_msi(): no
 * deadlock, and it sees the IRTE the guest wrote before invalidating. */
static void test_irq_inval_remaps_from_callback(void **st)
{
	(void)st;
	mk_ir(true);
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, SID, remappable(0), 0, &o), 0);
	assert_int_equal(o.vector, 0x30);              /* now cached */
	irte(0, 0x31);
	iv.remap = true;
	q_submit(IEC(0, 0), 0, 0, 0);
	assert_int_equal(iv.n, 1);
	expect_event(0, false, 0, 1);
	assert_int_equal(iv.remap_rc[0], 0);
	assert_int_equal(iv.remap_vector[0], 0x31);
	/* the same from a GCMD write (SIRTP) */
	irte(0, 0x32);
	gcmd_cmd(iommu, VTD_GCMD_SIRTP, 0);
	assert_int_equal(iv.n, 2);
	expect_event(1, true, 0, 65536);
	assert_int_equal(iv.remap_rc[1], 0);
	assert_int_equal(iv.remap_vector[1], 0x32);
}

/* SIRTP and a change of IRE (or CFI) are global; a GCMD write restating
 * the same enables is not an invalidation. */
static void test_irq_inval_gcmd(void **st)
{
	(void)st;
	mk_ir(true);
	gcmd_cmd(iommu, 0, 0);                         /* IRE as it is */
	assert_int_equal(iv.n, 0);
	gcmd_cmd(iommu, VTD_GCMD_SIRTP, 0);
	assert_int_equal(iv.n, 1);
	expect_event(0, true, 0, 65536);
	gcmd(VTD_GCMD_IRE, false);
	assert_int_equal(iv.n, 2);
	expect_event(1, true, 0, 65536);
	iv.remap = true;
	gcmd(VTD_GCMD_IRE, true);
	assert_int_equal(iv.n, 3);
	expect_event(2, true, 0, 65536);
	assert_int_equal(iv.remap_rc[2], 0);           /* remapping is on again */
	assert_int_equal(iv.remap_vector[2], 0x30);
	iv.remap = false;
	gcmd(VTD_GCMD_CFI, true);
	assert_int_equal(iv.n, 4);
	expect_event(3, true, 0, 65536);
	/* reset tells nothing (the VMM resets with the device) */
	vtd_iommu_reset(iommu);
	assert_int_equal(iv.n, 4);
}

/* Without the callback everything works as before and nothing waits. */
static void test_irq_inval_unset(void **st)
{
	(void)st;
	mk_ir(false);
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, SID, remappable(0), 0, &o), 0);
	assert_int_equal(o.vector, 0x30);
	irte(0, 0x31);
	q_submit(IEC(0, 0), 0, 0, 0);
	assert_int_equal(vtd_iommu_remap_msi(iommu, SID, remappable(0), 0, &o), 0);
	assert_int_equal(o.vector, 0x31);
	assert_false(iommu->iec_ev.pending);
	assert_int_equal(iv.n, 0);
}

/* ---- ram_dirty ------------------------------------------------------------ */

#define MAXD 32
static struct {
	unsigned n;
	uint64_t gpa[MAXD], len[MAXD];
} dv;

static void on_ram_dirty(void *opaque, uint64_t gpa, uint64_t len)
{
	(void)opaque;
	assert_true(dv.n < MAXD);
	dv.gpa[dv.n] = gpa;
	dv.len[dv.n] = len;
	dv.n++;
}

/* Whether [gpa, gpa + len) was reported exactly once. */
static bool reported(uint64_t gpa, uint64_t len)
{
	unsigned k = 0;
	for (unsigned i = 0; i < dv.n; i++)
		k += dv.gpa[i] == gpa && dv.len[i] == len;
	return k == 1;
}

static void mk_dirty(const char *props, bool flat, const struct vtd_mem_ops *mem)
{
	memset(&dv, 0, sizeof(dv));
	guest_new(props, RAM, flat,
		  (struct vtd_iommu_opts){ .ram_dirty = on_ram_dirty, .mem = mem });
}

static int xl(uint16_t sid, uint64_t addr, unsigned perm, struct vtd_translation *t)
{
	struct vtd_dma_request rq = { .sid = sid, .addr = addr, .perm = perm };
	memset(t, 0, sizeof(*t));
	return vtd_iommu_translate(iommu, &rq, t);
}

/* A first-stage walk sets A on every level, then D on the leaf: exactly
 * those 8-byte entries are reported, each once; a walk that only reads
 * (flags already set, or an IOTLB hit) reports nothing. */
static void test_ram_dirty_fs_ad(void **st)
{
	(void)st;
	mk_dirty("x-scalable-mode=on,x-flts=on", true, NULL);
	put64(ROOT, CT0 | 1);
	set_sm_ctx(CT0, DEVFN, PDIR | 1, 0);
	put64(PDIR, PTBL | 1);
	uint64_t fs = alloc_page();
	set_pasid_entry(PDIR, 0, PGTT(1) | 1, DID, fs);
	uint64_t va = 0x7fffdead0000ull;
	uint64_t leaf = fs_map(fs, va, 0x345000, 1, FS_PRU);
	enable_root(ROOT | RTADDR_SMT);
	assert_int_equal(dv.n, 0);                     /* set-up writes none */
	struct vtd_translation t;
	assert_int_equal(xl(SID, va, VTD_PERM_R, &t), 0);
	assert_int_equal(t.addr, 0x345000);
	assert_int_equal(dv.n, 4);
	for (unsigned l = 4; l >= 1; l--) {
		uint64_t ea = pte_at(fs, 4, va, l, FS_PRU);
		assert_true(get64(ea) & FS_A);
		assert_true(reported(ea, 8));
	}
	dv.n = 0;
	assert_int_equal(xl(SID, va, VTD_PERM_W, &t), 0);
	assert_int_equal(dv.n, 1);
	assert_true(reported(leaf, 8));
	assert_true(get64(leaf) & FS_D);
	/* a walk of tables whose flags are all set writes (and reports)
	 * nothing; nor does an IOTLB hit */
	dv.n = 0;
	mmio_w(VTD_REG_GCMD, 4, VTD_GCMD_TE | VTD_GCMD_SRTP);
	assert_int_equal(xl(SID, va, VTD_PERM_W, &t), 0);
	assert_int_equal(xl(SID, va, VTD_PERM_W, &t), 0);
	assert_int_equal(xl(SID, va, VTD_PERM_R, &t), 0);
	assert_int_equal(dv.n, 0);
}

/* Second stage with x-ssads: the same for second-stage A/D flags. */
static void test_ram_dirty_ss_ad(void **st)
{
	(void)st;
	mk_dirty("x-scalable-mode=on,x-smpwc=on,x-ssads=on", true, NULL);
	put64(ROOT, CT0 | 1);
	set_sm_ctx(CT0, DEVFN, PDIR | 1, 0);
	put64(PDIR, PTBL | 1);
	uint64_t ss = alloc_page();
	/* PGTT=2, SSAW 4-level, SSADE; qword 1: DID, PWSNP */
	set_pasid_entry(PDIR, 0, ss | PGTT(2) | SSAW(2) | 1ull << 9 | 1, DID | 1ull << 23, 0);
	uint64_t leaf = ss_map(ss, 4, 0x5000, 0x9000, 1, SS_RW);
	enable_root(ROOT | RTADDR_SMT);
	struct vtd_translation t;
	assert_int_equal(xl(SID, 0x5000, VTD_PERM_W, &t), 0);
	assert_int_equal(t.addr, 0x9000);
	assert_true(get64(leaf) & (1ull << 9));       /* D */
	/* A on the 3 tables above, A and D on the leaf in one update */
	assert_int_equal(dv.n, 4);
	for (unsigned l = 4; l >= 2; l--)
		assert_true(reported(pte_at(ss, 4, 0x5000, l, SS_RW), 8));
	assert_true(reported(leaf, 8));
}

/* The invalidation wait descriptor's status write: the 4 bytes, once;
 * the queue's descriptor reads are not reported. */
static void test_ram_dirty_wait(void **st)
{
	(void)st;
	mk_dirty("", true, NULL);
	qi_on(QBASE, 0, false);
	q_submit(2 | 1u << 4, 0, 0, 0);                /* global IOTLB: no write */
	assert_int_equal(dv.n, 0);
	q_submit(5 | WAIT_SW | 0xcafef00dull << 32, STATUS + 4, 0, 0);
	assert_int_equal(get32(STATUS + 4), 0xcafef00du);
	assert_int_equal(dv.n, 1);
	assert_true(reported(STATUS + 4, 4));
}

static int cb_read_plain(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	(void)opaque;
	if (gpa >= ram_size || len > ram_size - gpa)
		return -EFAULT;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static unsigned cb_writes;

static int cb_write_plain(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	(void)opaque;
	if (gpa >= ram_size || len > ram_size - gpa)
		return -EFAULT;
	memcpy(ram + gpa, buf, len);
	cb_writes++;
	return 0;
}

/* Writes through mem.write are the VMM's own: not reported. */
static void test_ram_dirty_not_for_callbacks(void **st)
{
	(void)st;
	static const struct vtd_mem_ops ops = { .read = cb_read_plain, .write = cb_write_plain };
	mk_dirty("", false, &ops);
	cb_writes = 0;
	qi_on(QBASE, 0, false);
	q_submit(5 | WAIT_SW | 0x77ull << 32, STATUS, 0, 0);
	assert_int_equal(get32(STATUS), 0x77);
	assert_int_equal(cb_writes, 1);
	assert_int_equal(dv.n, 0);
}

/* Posting an interrupt: the PIR word and the control word (ON), 8 bytes
 * each; posting again while both are set changes nothing and reports
 * nothing. */
static void test_ram_dirty_posted(void **st)
{
	(void)st;
	mk_dirty("x-pi=on,kernel-irqchip=off", true, NULL);
	/* posted IRTE 0: vector 0x45 into PID0; notification NV 0xf2 to 1 */
	put64(IRT, 1 | 1ull << 15 | 0x45ull << 16 | ((PID0 >> 6) & 0x3ffffff) << 38);
	put64(IRT + 8, 0);
	put64(PID0 + 32, 0xf2ull << 16 | (1ull << 8) << 32);
	mmio_w(VTD_REG_IRTA, 8, IRT | 3);
	mmio_w(VTD_REG_GCMD, 4, VTD_GCMD_SIRTP);
	gcmd(VTD_GCMD_IRE, true);
	assert_int_equal(dv.n, 0);
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, SID, remappable(0), 0, &o), 0);
	assert_true(o.posted && o.notify);
	assert_true((get64(PID0 + 8) >> 5) & 1);       /* vector 0x45: word 1, bit 5 */
	assert_true(get64(PID0 + 32) & 1);             /* ON */
	assert_int_equal(dv.n, 2);
	assert_true(reported(PID0 + 8, 8));
	assert_true(reported(PID0 + 32, 8));
	dv.n = 0;
	assert_int_equal(vtd_iommu_remap_msi(iommu, SID, remappable(0), 0, &o), 0);
	assert_true(o.posted && !o.notify);
	assert_int_equal(dv.n, 0);
}

/* A page request written into the guest's page request queue: its 32-byte
 * descriptor at the tail. */
static void test_ram_dirty_page_request(void **st)
{
	(void)st;
	const uint64_t pq = 0x40000;
	mk_dirty("x-scalable-mode=on,x-flts=on,x-pasid-mode=on,device-iotlb=on,svm=on", true, NULL);
	put64(ROOT, CT0 | 1);
	set_sm_ctx(CT0, DEVFN, PDIR | 16 | 4 | 1, 0);  /* PRE, DTE, P */
	put64(PDIR, PTBL | 1);
	enable_root(ROOT | RTADDR_SMT);
	mmio_w(VTD_REG_PQA, 8, pq);
	struct vtd_page_request pr = { .sid = SID, .addr = 0x5000, .read = true, .last = true,
				       .prg_index = 3 };
	assert_int_equal(dv.n, 0);
	assert_int_equal(vtd_iommu_page_request(iommu, &pr), 0);
	assert_int_equal(get64(pq) & 1, 1);            /* the descriptor is there */
	assert_int_equal(dv.n, 1);
	assert_true(reported(pq, 32));
	assert_int_equal(vtd_iommu_page_request(iommu, &pr), 0);
	assert_int_equal(dv.n, 2);
	assert_true(reported(pq + 32, 32));
}

/* ---- no re-entry ---------------------------------------------------------- */

static struct vtd_iommu *other;  /* a second object, which may be called */
static struct {
	bool on;                 /* re-enter from the callbacks below */
	bool queue_only;         /* only for reads of the invalidation queue */
	unsigned depth, max_depth, calls;
	int mmio_read_rc, mmio_write_rc, translate_rc, remap_rc, ats_rc, other_rc;
	int save_rc, notifier_rc, reset_done;
	uint64_t mmio_value, other_value;
	int msi_rc;              /* from the fault event's callback */
	unsigned msis;
} re;

static void reenter(void)
{
	re.calls++;
	re.mmio_value = 0xdead;
	re.mmio_read_rc = vtd_iommu_mmio_read(iommu, VTD_REG_GSTS, 4, &re.mmio_value);
	re.mmio_write_rc = vtd_iommu_mmio_write(iommu, VTD_REG_FEDATA, 4, 0x99);
	struct vtd_dma_request rq = { .sid = SID, .addr = 0x4000, .perm = VTD_PERM_R };
	struct vtd_translation t = { 0 };
	re.translate_rc = vtd_iommu_translate(iommu, &rq, &t);
	if (re.translate_rc == -EDEADLK)
		assert_int_equal(t.status, VTD_XLATE_FAULT);
	struct vtd_irq o;
	re.remap_rc = vtd_iommu_remap_msi(iommu, SID, 0xfee00000, 0x30, &o);
	struct vtd_ats_request ar = { .sid = SID, .addr = 0x4000 };
	struct vtd_ats_completion c;
	re.ats_rc = vtd_iommu_ats_translate(iommu, &ar, &c);
	re.save_rc = (int)vtd_iommu_save(iommu, NULL, 0);
	static const struct vtd_notifier_ops nops = { 0 };
	struct vtd_notifier *n = NULL;
	re.notifier_rc = vtd_iommu_notifier_add(iommu, SID, &nops, NULL, &n);
	if (!re.notifier_rc)
		vtd_iommu_notifier_del(iommu, n);
	/* another object is not refused */
	re.other_rc = vtd_iommu_mmio_read(other, VTD_REG_VER, 4, &re.other_value);
}

/* Guest memory through callbacks only; the read re-enters the IOMMU as a
 * VMM would that dispatches a table address into the IOMMU's own window,
 * and fails the read as MMIO is not memory. */
static int cb_read_reenter(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	(void)opaque;
	bool queue = gpa >= QBASE && gpa < QBASE + 0x1000;
	if (re.on && (!re.queue_only || queue)) {
		/* a guard that let the inner translate walk would come back
		 * here: stop the recursion and let the test fail on it */
		re.depth++;
		if (re.depth > re.max_depth)
			re.max_depth = re.depth;
		if (re.depth == 1)
			reenter();
		re.depth--;
		return -EFAULT;
	}
	return cb_read_plain(opaque, gpa, buf, len);
}

static void on_msi(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	(void)addr;
	(void)data;
	re.msis++;
	/* called with the lock held (fault recording): must be refused */
	uint64_t v = 1;
	re.msi_rc = vtd_iommu_mmio_read(iommu, VTD_REG_FSTS, 4, &v);
	if (re.msi_rc == -EDEADLK)
		assert_int_equal(v, 0);
}

static void mk_reenter(void)
{
	static const struct vtd_mem_ops ops = { .read = cb_read_reenter, .write = cb_write_plain };
	static const struct vtd_event_ops ev = { .msi = on_msi };
	memset(&re, 0, sizeof(re));
	guest_new("device-iotlb=on", RAM, false, (struct vtd_iommu_opts){ .mem = &ops, .events = &ev });
	struct vtd_iommu_opts oo = { 0 };
	other = iommu_new("", &oo);
	uint64_t ss = alloc_page();
	put64(ROOT, CT0 | 1);
	set_legacy_ctx(CT0, DEVFN, ss | 1, (DID << 8) | 2);
	ss_map(ss, 4, 0x4000, 0x8000, 1, SS_RW);
	enable_root(ROOT);
}

static int teardown_reenter(void **st)
{
	vtd_iommu_free(other);
	other = NULL;
	return guest_teardown(st);
}

static void expect_refused(void)
{
	assert_int_equal(re.calls, 1);
	assert_int_equal(re.max_depth, 1);
	assert_int_equal(re.mmio_read_rc, -EDEADLK);
	assert_int_equal(re.mmio_value, 0);
	assert_int_equal(re.mmio_write_rc, -EDEADLK);
	assert_int_equal(re.translate_rc, -EDEADLK);
	assert_int_equal(re.remap_rc, -EDEADLK);
	assert_int_equal(re.ats_rc, -EDEADLK);
	assert_int_equal(re.save_rc, -EDEADLK);
	assert_int_equal(re.notifier_rc, -EDEADLK);
	assert_int_equal(re.other_rc, 0);
	assert_int_equal(re.other_value, 0x10);        /* VER 1.0 */
}

/* A translation whose root-entry read re-enters: every entry point refuses
 * (-EDEADLK, nothing changed: FEDATA keeps its value), the read fails, and
 * the outer translation reports LRT.1 (08h) as for unreadable memory; the
 * fault event's callback, run with the lock held, is refused too. */
static void test_reenter_translate(void **st)
{
	(void)st;
	mk_reenter();
	mmio_w(VTD_REG_FEDATA, 4, 0x41);
	mmio_w(VTD_REG_FEADDR, 4, 0xfee00000);
	mmio_w(VTD_REG_FECTL, 4, 0);                   /* unmasked */
	struct vtd_translation t;
	re.on = true;
	assert_int_equal(xl(SID, 0x4000, VTD_PERM_R, &t), -EACCES);
	re.on = false;
	expect_refused();
	assert_int_equal(t.status, VTD_XLATE_FAULT);
	assert_int_equal(t.fault, 0x08);
	assert_true(t.fault_recorded);
	assert_true(fsts() & VTD_FSTS_PPF);
	assert_int_equal(mmio_r(VTD_REG_FEDATA, 4), 0x41);  /* the write was refused */
	assert_int_equal(re.msis, 1);
	assert_int_equal(re.msi_rc, -EDEADLK);
	/* the thread is not left marked: everything works again */
	assert_int_equal(xl(SID, 0x4000, VTD_PERM_R, &t), 0);
	assert_int_equal(t.addr, 0x8000);
	struct vtd_irq o;
	assert_int_equal(vtd_iommu_remap_msi(iommu, SID, 0xfee00000, 0x30, &o), 0);
}

/* The queue's descriptor read re-enters while the register write that
 * kicked it holds the lock: without the guard a self-deadlock.  The fetch
 * fails as for an unreadable queue: IQE with IQERCD.IQEI = 2, IQH stays. */
static void test_reenter_queue(void **st)
{
	(void)st;
	mk_reenter();
	qi_on(QBASE, 0, false);
	re.on = true;
	re.queue_only = true;
	q_submit(5 | WAIT_SW | 0x55ull << 32, STATUS, 0, 0);
	re.on = false;
	expect_refused();
	assert_true(fsts() & VTD_FSTS_IQE);
	assert_int_equal(mmio_r(VTD_REG_IQERCD, 8) & 0xf, 2);
	assert_int_equal(mmio_r(VTD_REG_IQH, 8), 0);
	assert_int_equal(get32(STATUS), 0);            /* the descriptor never ran */
	/* once the guest clears IQE the queue runs */
	mmio_w(VTD_REG_FSTS, 4, VTD_FSTS_IQE);
	assert_int_equal(get32(STATUS), 0x55);
}

/* A notifier callback (lock held) that calls back: refused too, and the
 * notifier stays registered. */
static struct vtd_notifier *note;
static int note_rc[3];
static unsigned note_maps;

static void note_map(void *opaque, uint64_t iova, uint64_t size, uint64_t addr, unsigned perm)
{
	(void)opaque;
	(void)iova;
	(void)size;
	(void)addr;
	(void)perm;
	note_maps++;
	note_rc[0] = vtd_iommu_notifier_replay(iommu, note);
	uint64_t v;
	note_rc[1] = vtd_iommu_mmio_read(iommu, VTD_REG_GSTS, 4, &v);
	vtd_iommu_notifier_del(iommu, note);           /* does nothing */
	vtd_iommu_reset(iommu);                        /* does nothing */
	note_rc[2] = (int)vtd_iommu_save(iommu, NULL, 0);
}

static void test_reenter_notifier(void **st)
{
	(void)st;
	mk_reenter();
	static const struct vtd_notifier_ops nops = { .map = note_map };
	note_maps = 0;
	assert_int_equal(vtd_iommu_notifier_add(iommu, SID, &nops, NULL, &note), 0);
	assert_int_equal(vtd_iommu_notifier_replay(iommu, note), 0);
	assert_int_equal(note_maps, 1);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(note_rc[i], -EDEADLK);
	assert_true(gsts(iommu) & VTD_GSTS_TES);       /* not reset */
	/* still registered: the next replay maps again */
	assert_int_equal(vtd_iommu_notifier_replay(iommu, note), 0);
	assert_int_equal(note_maps, 2);
	vtd_iommu_notifier_del(iommu, note);
}

/* ---- main ----------------------------------------------------------------- */

#define T(f) cmocka_unit_test_teardown(f, guest_teardown)
#define TR(f) cmocka_unit_test_teardown(f, teardown_reenter)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_irq_inval_iec_descriptors),
		T(test_irq_inval_remaps_from_callback),
		T(test_irq_inval_gcmd),
		T(test_irq_inval_unset),
		T(test_ram_dirty_fs_ad),
		T(test_ram_dirty_ss_ad),
		T(test_ram_dirty_wait),
		T(test_ram_dirty_not_for_callbacks),
		T(test_ram_dirty_posted),
		T(test_ram_dirty_page_request),
		TR(test_reenter_translate),
		TR(test_reenter_queue),
		TR(test_reenter_notifier),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
