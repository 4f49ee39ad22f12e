/* SPDX-License-Identifier: MIT */
/*
 * Nested translation on the software host IOMMU, end to end and randomized
 * (x-scalable-mode=on,x-flts=on,caching-mode=on).
 *
 * A guest (this test) builds scalable-mode root/context/PASID tables whose
 * RID_PASID entry selects a 4-level first stage, enables a 256-bit
 * invalidation queue and translation, and attaches one passthrough device
 * to a sim host (vtd_sim_new, host device "gnr-main").  Then a seeded random
 * sequence of steps: edit the first stage (remap, unmap, map, flip R/W or
 * U/S of a 4 KiB or 2 MiB leaf, flip R/W or U/S of a table pointer, split a
 * 2 MiB page into a table, merge a table into a 2 MiB page), then either
 * invalidate correctly (PASID-based IOTLB page-selective, with IH when only
 * leaves changed, PASID-selective; legacy IOTLB page-, domain-selective or
 * global) or on purpose not (nothing, wrong domain, wrong PASID, only part
 * of the range, another range); sometimes switch the PASID entry from the
 * first stage to pass-through or to another (empty) first-stage root and
 * back, with a PASID-cache invalidation (domain-, PASID-selective or global,
 * sometimes followed by a PASID-selective IOTLB invalidation), with one for
 * the wrong domain, or without; then DMA requests (reads and writes, user
 * requests without PASID) at random addresses, each translated by the host
 * (vtd_sim_translate: host memory, compared as guest RAM + gpa) and by the
 * emulated IOMMU (vtd_iommu_translate).
 *
 * The model: for every 4 KiB page, the states it had since the last
 * invalidation that covered it.  The host follows the PASID entry as of the
 * last PASID-cache invalidation (of any domain: it re-reads the entry); the
 * emulated IOMMU may also use a PASID entry it still caches (no matching
 * PASID-cache invalidation) or IOTLB entries of a first stage it no longer
 * points to (FSPTPTR changed without an IOTLB flush).  Where nothing is
 * pending, each side must give exactly the model's outcome (the same page,
 * or the same fault code: both report VT-d fault reasons), so the two agree;
 * where something is pending, each side may show any pending state (both
 * caches may be stale until invalidated).  Staleness is detected, not merely
 * tolerated: a page translated just before an edit whose invalidation is
 * skipped or wrong must still translate to the old page on both sides; and
 * the host must receive exactly the invalidations it should, with the
 * right range and leaf flag (seen through the sim's event callback), and
 * build a new nested table exactly when the first-stage root changes.
 *
 * Known, accepted differences: pass-through beyond guest RAM (the emulated
 * IOMMU passes the address, the host's parent maps only RAM: fault); a
 * page-selective invalidation of part of a 2 MiB page drops the emulated
 * IOTLB's whole 2 MiB entry (as the spec says for a large-page entry) but
 * only those 4 KiB pages in the sim host (it caches 4 KiB translations), so
 * the other pages count as pending, not as checked.
 *
 * Not covered: accessed/dirty flags (both sides set them in guest RAM; the
 * model keeps its own PTE values and rewrites whole entries), domain-id
 * changes, PASID-tagged requests, supervisor requests, 5-level paging.
 *
 * Environment: VTD_SEED (default: seeds 0x5eed to 0x5ef0 in turn), VTD_ITER
 * (steps per seed, default 4000), VTD_VERBOSE=1 (log every step and every
 * host call).  A failure prints the seed, the step and how to reproduce it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vtd/config.h>
#include <vtd/host.h>
#include <vtd/iommu.h>

/* ---- guest memory layout ------------------------------------------------ */

#define RAM_SIZE  (16ull << 20)
#define ROOT      0x10000ull   /* scalable root table */
#define CTX       0x11000ull   /* bus 0 context table */
#define PDIR      0x12000ull   /* PASID directory */
#define PTBL      0x13000ull   /* PASID table (PASIDs 0-63) */
#define IQ        0x40000ull   /* invalidation queue: 128 x 256-bit */
#define IQ_N      128u
#define STATUS    0x50000ull   /* wait-descriptor status word */
#define POOL      0x100000ull  /* first-stage tables from here */
#define POOL_END  0x400000ull
#define DATA      0x400000ull  /* target pages from here to the end of RAM */

#define SID       0x0018u      /* 00:03.0 */
#define DID       7u
#define HOSTDEV   1u

#define PTE_P     1ull
#define PTE_RW    2ull
#define PTE_US    4ull
#define PTE_PS    0x80ull
#define ADDR_MASK 0x000ffffffffff000ull

#define GSTS_TES  (1u << 31)
#define GSTS_RTPS (1u << 30)
#define GSTS_QIES (1u << 26)
#define GCMD_TE   (1u << 31)
#define GCMD_SRTP (1u << 30)
#define GCMD_QIE  (1u << 26)

/* ---- the model ------------------------------------------------------------- */

#define NSLOT   8
#define NPAGE   512
#define HMAX    6      /* pending old states per page before a forced flush */
#define NREQ    6      /* requests per step */
#define DEFAULT_SEEDS 4
#define DEFAULT_ITER  4000

enum slot_kind { S_EMPTY, S_BIG, S_TABLE };

/* what one 4 KiB page of IOVA space translates to in the current tables */
struct pstate {
	uint64_t gpa;          /* page */
	uint8_t present, rw, us;
};

struct slot {
	uint64_t iova;         /* 2 MiB aligned, canonical */
	uint64_t l2e_addr;     /* where its L2 entry lives (guest physical) */
	uint64_t l1;           /* its L1 table (guest physical) */
	enum slot_kind kind;
	uint64_t l2e;          /* model value of the L2 entry (0 when empty) */
	uint64_t l1e[NPAGE];   /* model values of the L1 entries */
	bool big_cached;       /* the emulated IOTLB may hold a 2 MiB entry here
				* (a 2 MiB page since the last invalidation of
				* the whole slot) */
	/* pending (not yet invalidated) older states of each page */
	uint8_t npend[NPAGE];
	struct pstate pend[NPAGE][HMAX];
};

/* what the RID_PASID entry selects: the first stage the model edits,
 * pass-through, or a first stage with an empty root (FSPTPTR changed) */
enum mode { M_FS = 0, M_PT = 1, M_FS0 = 2 };
#define NMODE 3
static const char *const mode_names[NMODE] = { "first-stage", "pass-through", "empty first-stage" };

/* outcome of a request */
enum okind { O_OK, O_FAULT, O_OOR /* pass-through beyond RAM */ };
struct outcome {
	enum okind kind;
	uint64_t gpa;          /* O_OK: guest physical address reached */
	uint8_t fault;         /* O_FAULT: reason */
};

static const uint64_t slot_iova[NSLOT] = {
	0x0000000000000000ull,   /* inside RAM: pass-through reaches it */
	0x0000000000600000ull,   /* inside RAM */
	0x0000000040000000ull,   /* 1 GiB */
	0x0000000040200000ull,   /* same L2 table as the previous one */
	0x0000008000000000ull,   /* 512 GiB: second L4 entry */
	0x0000123456600000ull,
	0x00007fffffe00000ull,   /* top of the lower canonical half */
	0xffff800000000000ull,   /* bottom of the upper half */
};

struct sim_events {
	unsigned long invalidate, alloc_nested, attach, detach, free_hwpt;
	char last_inval[256];
};

static struct {
	uint64_t seed, step;
	unsigned long iters;
	bool verbose;
	uint64_t rng;

	uint8_t *ram;
	struct vtd_iommu *iommu;
	struct vtd_sim *sim;
	struct sim_events ev;

	uint64_t pool_next, l4;
	struct slot slot[NSLOT];
	enum mode mode;          /* in the PASID entry now */
	unsigned stale_modes;    /* bit per mode the emulated PASID cache may hold */
	bool iotlb_stale_fs;     /* FSPTPTR changed without an IOTLB flush: the
				  * emulated IOTLB may still give M_FS pages */
	enum mode host_mode;     /* what the host was last told to follow */
	uint64_t empty_l4;       /* the M_FS0 root */
	unsigned iq_tail;
	uint32_t wait_seq;
	unsigned mamv;
	bool forced_flush;       /* a page's pending list is full */
} T;

/* histogram, over every seed of the run */
static struct {
	unsigned long exact_ok, exact_fault, window_fresh, stale_host, stale_emu, stale_both;
	unsigned long mode_window, mode_stale_emu, mode_host_behind;
	unsigned long oor, probes_stale, probes_fresh, steps_skip, steps_inval, pasid_steps,
		pasid_skips, writes, requests;
	unsigned long inv_kind[10];
	unsigned long fault[256];
} H;

static const char *const inv_names[10] = {
	"p-psi", "p-psi-ih", "l-psi", "p-pasid", "l-dom", "l-global",
	"pc-dom", "pc-pasid", "pc-global", "flush",
};

/* ---- helpers ----------------------------------------------------------------- */

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (T.rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }
static bool chance(unsigned pct) { return rn(100) < pct; }

#define FAIL(...)                                                                          \
	do {                                                                               \
		char m_[1024];                                                             \
		snprintf(m_, sizeof(m_), __VA_ARGS__);                                     \
		fail_msg("seed 0x%" PRIx64 " step %" PRIu64 ": %s\n  reproduce: VTD_SEED=0x%" \
			 PRIx64 " VTD_ITER=%" PRIu64 " VTD_VERBOSE=1",                     \
			 T.seed, T.step, m_, T.seed, T.step + 1);                           \
	} while (0)

#define VLOG(...)                                                                          \
	do {                                                                               \
		if (T.verbose) {                                                           \
			printf("[%" PRIu64 "] ", T.step);                                  \
			printf(__VA_ARGS__);                                               \
			printf("\n");                                                      \
		}                                                                          \
	} while (0)

static void put64(uint64_t gpa, uint64_t v)
{
	assert_true(gpa + 8 <= RAM_SIZE);
	__atomic_store_n((uint64_t *)(void *)(T.ram + gpa), v, __ATOMIC_RELAXED);
}

static uint64_t get64(uint64_t gpa)
{
	assert_true(gpa + 8 <= RAM_SIZE);
	return __atomic_load_n((uint64_t *)(void *)(T.ram + gpa), __ATOMIC_RELAXED);
}

static void mmio_w(uint64_t off, unsigned size, uint64_t v)
{
	assert_int_equal(vtd_iommu_mmio_write(T.iommu, off, size, v), 0);
}

static uint64_t mmio_r(uint64_t off, unsigned size)
{
	uint64_t v = 0;
	assert_int_equal(vtd_iommu_mmio_read(T.iommu, off, size, &v), 0);
	return v;
}

static uint64_t alloc_table(void)
{
	uint64_t p = T.pool_next;
	T.pool_next += 0x1000;
	assert_true(T.pool_next <= POOL_END);
	memset(T.ram + p, 0, 0x1000);
	return p;
}

static void on_event(void *opaque, const char *what)
{
	struct sim_events *e = opaque;
	if (!strncmp(what, "invalidate ", 11)) {
		e->invalidate++;
		snprintf(e->last_inval, sizeof(e->last_inval), "%s", what);
	}
	else if (!strncmp(what, "alloc_nested ", 13))
		e->alloc_nested++;
	else if (!strncmp(what, "attach ", 7))
		e->attach++;
	else if (!strncmp(what, "detach ", 7))
		e->detach++;
	else if (!strncmp(what, "free ", 5))
		e->free_hwpt++;
	if (T.verbose)
		printf("    host: %s\n", what);
}

/* ---- the model's view ------------------------------------------------------- */

static int slot_of(uint64_t iova)
{
	for (int i = 0; i < NSLOT; i++)
		if ((iova & ~0x1fffffull) == T.slot[i].iova)
			return i;
	return -1;
}

static struct pstate page_state(const struct slot *s, unsigned idx)
{
	struct pstate p = { 0, 0, 0, 0 };
	if (s->kind == S_BIG) {
		p.present = 1;
		p.gpa = (s->l2e & ADDR_MASK) + ((uint64_t)idx << 12);
		p.rw = (s->l2e & PTE_RW) != 0;
		p.us = (s->l2e & PTE_US) != 0;
	} else if (s->kind == S_TABLE && (s->l1e[idx] & PTE_P)) {
		p.present = 1;
		p.gpa = s->l1e[idx] & ADDR_MASK;
		p.rw = (s->l2e & PTE_RW) && (s->l1e[idx] & PTE_RW);
		p.us = (s->l2e & PTE_US) && (s->l1e[idx] & PTE_US);
	}
	return p;
}

static bool pstate_eq(const struct pstate *a, const struct pstate *b)
{
	if (a->present != b->present)
		return false;
	return !a->present || (a->gpa == b->gpa && a->rw == b->rw && a->us == b->us);
}

static bool canonical(uint64_t iova)
{
	uint64_t top = iova >> 47;
	return top == 0 || top == 0x1ffff;
}

static struct outcome expect(enum mode m, const struct pstate *p, uint64_t iova, bool write)
{
	struct outcome o = { O_FAULT, 0, 0 };
	if (m == M_FS0) {
		o.fault = canonical(iova) ? 0x71 : 0x80;
		return o;
	}
	if (m == M_PT) {
		if (iova < RAM_SIZE) {
			o.kind = O_OK;
			o.gpa = iova;
		} else {
			o.kind = O_OOR;
		}
		return o;
	}
	if (!canonical(iova))
		o.fault = 0x80;
	else if (!p || !p->present)
		o.fault = 0x71;
	else if (!p->us)
		o.fault = 0x81;      /* a request without PASID is a user request */
	else if (write && !p->rw)
		o.fault = 0x85;
	else {
		o.kind = O_OK;
		o.gpa = p->gpa | (iova & 0xfff);
	}
	return o;
}

static bool outcome_eq(const struct outcome *a, const struct outcome *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == O_OK)
		return a->gpa == b->gpa;
	if (a->kind == O_FAULT)
		return a->fault == b->fault;
	return true;
}

static void fmt_outcome(char *buf, size_t n, const struct outcome *o)
{
	if (o->kind == O_OK)
		snprintf(buf, n, "gpa 0x%" PRIx64, o->gpa);
	else if (o->kind == O_FAULT)
		snprintf(buf, n, "fault 0x%02x", o->fault);
	else
		snprintf(buf, n, "beyond RAM");
}

/* Pending-old-state bookkeeping. */
static void note_change(struct slot *s, unsigned idx, const struct pstate *old)
{
	struct pstate now = page_state(s, idx);
	if (pstate_eq(old, &now))
		return;
	for (unsigned k = 0; k < s->npend[idx]; k++)
		if (pstate_eq(&s->pend[idx][k], old))
			return;
	if (s->npend[idx] == HMAX) {
		T.forced_flush = true;   /* the next invalidation flushes the domain */
		return;
	}
	s->pend[idx][s->npend[idx]++] = *old;
}

static void clean_range(uint64_t lo, uint64_t hi)   /* inclusive IOVAs */
{
	for (int i = 0; i < NSLOT; i++) {
		struct slot *s = &T.slot[i];
		if (lo <= s->iova && hi >= s->iova + 0x1fffff)
			s->big_cached = s->kind == S_BIG;
		for (unsigned idx = 0; idx < NPAGE; idx++) {
			uint64_t a = s->iova + ((uint64_t)idx << 12);
			if (a >= lo && a <= hi)
				s->npend[idx] = 0;
		}
	}
}

static void clean_all(void)
{
	for (int i = 0; i < NSLOT; i++) {
		memset(T.slot[i].npend, 0, sizeof(T.slot[i].npend));
		T.slot[i].big_cached = T.slot[i].kind == S_BIG;
	}
	T.forced_flush = false;
	T.iotlb_stale_fs = false;
}

/* ---- the guest's side ---------------------------------------------------- */

/* Submit descriptors and a wait descriptor; the wait must complete. */
static void qi_submit(const uint64_t (*d)[4], unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < 4; k++)
			put64(IQ + T.iq_tail * 32ull + k * 8, d[i][k]);
		T.iq_tail = (T.iq_tail + 1) % IQ_N;
	}
	uint32_t seq = ++T.wait_seq;
	put64(STATUS, 0);
	uint64_t w[4] = { 5 | 0x20 | ((uint64_t)seq << 32), STATUS, 0, 0 };
	for (unsigned k = 0; k < 4; k++)
		put64(IQ + T.iq_tail * 32ull + k * 8, w[k]);
	T.iq_tail = (T.iq_tail + 1) % IQ_N;
	mmio_w(VTD_REG_IQT, 8, (uint64_t)T.iq_tail << 5);
	uint32_t fsts = (uint32_t)mmio_r(VTD_REG_FSTS, 4);
	if (fsts & 0x10)
		FAIL("invalidation queue error: FSTS 0x%x IQERCD 0x%" PRIx64, fsts,
		     mmio_r(VTD_REG_IQERCD, 8));
	if ((uint32_t)get64(STATUS) != seq)
		FAIL("wait descriptor %u did not complete", seq);
	if (mmio_r(VTD_REG_IQH, 8) != ((uint64_t)T.iq_tail << 5))
		FAIL("IQH 0x%" PRIx64 " != IQT", mmio_r(VTD_REG_IQH, 8));
}

static void desc_piotlb(uint64_t d[4], unsigned g, uint16_t did, uint32_t pasid, uint64_t addr,
			unsigned am, bool ih)
{
	d[0] = 6 | ((uint64_t)g << 4) | ((uint64_t)did << 16) | ((uint64_t)pasid << 32);
	d[1] = g == 3 ? (addr | ((uint64_t)ih << 6) | am) : 0;
	d[2] = d[3] = 0;
}

static void desc_iotlb(uint64_t d[4], unsigned g, uint16_t did, uint64_t addr, unsigned am,
		       bool ih)
{
	d[0] = 2 | ((uint64_t)g << 4) | ((uint64_t)did << 16);
	d[1] = g == 3 ? (addr | ((uint64_t)ih << 6) | am) : 0;
	d[2] = d[3] = 0;
}

static void desc_pc(uint64_t d[4], unsigned g, uint16_t did, uint32_t pasid)
{
	d[0] = 7 | ((uint64_t)g << 4) | ((uint64_t)did << 16) | ((uint64_t)pasid << 32);
	d[1] = d[2] = d[3] = 0;
}

static void write_pasid_entry(enum mode m)
{
	put64(PTBL + 0, PTE_P | ((m == M_PT ? 4ull : 1ull) << 6));
	put64(PTBL + 16, m == M_FS0 ? T.empty_l4 : T.l4);   /* FSPTPTR, 4-level */
}

/* ---- translation on both sides ------------------------------------------ */

static struct outcome emu_translate(uint64_t iova, bool write)
{
	struct vtd_dma_request rq = { .sid = SID, .addr = iova,
				      .perm = write ? VTD_PERM_W : VTD_PERM_R,
				      .at = VTD_AT_UNTRANSLATED };
	struct vtd_translation r;
	memset(&r, 0, sizeof(r));
	int rc = vtd_iommu_translate(T.iommu, &rq, &r);
	struct outcome o = { O_FAULT, 0, 0 };
	if (rc == 0 && r.status == VTD_XLATE_OK) {
		if (r.addr >= RAM_SIZE)
			o.kind = O_OOR;
		else {
			o.kind = O_OK;
			o.gpa = r.addr;
		}
	} else if (rc == -EACCES && r.status == VTD_XLATE_FAULT) {
		o.fault = r.fault;
		if (r.fault == 0x83)
			o.kind = O_OOR;     /* pass-through beyond the address width */
	} else {
		FAIL("vtd_iommu_translate(0x%" PRIx64 ") returned %d status %d", iova, rc,
		     (int)r.status);
	}
	return o;
}

static struct outcome sim_translate(uint64_t iova, bool write)
{
	void *hva = NULL;
	struct vtd_host_fault f;
	int rc = vtd_sim_translate(T.sim, HOSTDEV, VTD_HOST_NO_PASID, iova, write, &hva, &f);
	struct outcome o = { O_FAULT, 0, 0 };
	if (rc == 0) {
		uint8_t *p = hva;
		if (p < T.ram || p >= T.ram + RAM_SIZE)
			FAIL("host translated 0x%" PRIx64 " to %p, outside guest RAM", iova, hva);
		o.kind = O_OK;
		o.gpa = (uint64_t)(p - T.ram);
	} else if (rc == -EACCES) {
		o.fault = f.reason;
		if (T.host_mode == M_PT && iova >= RAM_SIZE && (f.reason == 0x86 || f.reason == 0x85))
			o.kind = O_OOR;     /* the parent maps RAM only */
		if (f.addr != iova || f.write != write || f.pasid_valid)
			FAIL("host fault record for 0x%" PRIx64 " says addr 0x%" PRIx64
			     " write %d pasid_valid %d", iova, f.addr, f.write, f.pasid_valid);
	} else {
		FAIL("vtd_sim_translate(0x%" PRIx64 ") returned %d (host mode %s)", iova, rc,
		     mode_names[T.host_mode]);
	}
	return o;
}

/* One request, checked against the model; returns the two outcomes. */
static void request(uint64_t iova, bool write, struct outcome *emu_out, struct outcome *sim_out)
{
	int si = slot_of(iova);
	struct slot *s = si >= 0 ? &T.slot[si] : NULL;
	unsigned idx = s ? (unsigned)((iova >> 12) & 0x1ff) : 0;
	struct pstate cur = { 0, 0, 0, 0 };
	if (s)
		cur = page_state(s, idx);
	struct outcome want = expect(T.mode, s ? &cur : NULL, iova, write);

	struct outcome e, h;
	if (rn(2)) {
		e = emu_translate(iova, write);
		h = sim_translate(iova, write);
	} else {
		h = sim_translate(iova, write);
		e = emu_translate(iova, write);
	}
	H.requests++;
	H.writes += write;
	if (emu_out)
		*emu_out = e;
	if (sim_out)
		*sim_out = h;

	unsigned npend = s ? s->npend[idx] : 0;
	/* The host follows the PASID entry exactly when told (host_mode); the
	 * emulated IOMMU may also use a PASID entry it still caches, or IOTLB
	 * entries from a first stage it no longer points to. */
	unsigned emu_modes = (1u << T.mode) | T.stale_modes |
			     (T.iotlb_stale_fs ? 1u << M_FS : 0u);
	bool emu_window = npend || emu_modes != (1u << T.mode);
	bool host_window = npend != 0;
	struct outcome host_want = expect(T.host_mode, s ? &cur : NULL, iova, write);
	bool e_ok = false, h_ok = false;
	for (unsigned m = 0; m < NMODE; m++) {
		bool em = emu_modes & (1u << m), hm = m == T.host_mode;
		if (!em && !hm)
			continue;
		for (unsigned k = 0; k <= npend; k++) {
			struct outcome a = expect((enum mode)m, k ? &s->pend[idx][k - 1] : s ? &cur : NULL,
						  iova, write);
			e_ok |= em && outcome_eq(&e, &a);
			h_ok |= hm && outcome_eq(&h, &a);
		}
	}
	bool e_cur = outcome_eq(&e, &want), h_cur = outcome_eq(&h, &host_want);
	if (!emu_window && !e_cur)
		e_ok = false;
	if (!host_window && !h_cur)
		h_ok = false;
	if (!e_ok || !h_ok) {
		char ws[48], hw[48], es[48], hs[48], pend[512] = "";
		fmt_outcome(ws, sizeof(ws), &want);
		fmt_outcome(hw, sizeof(hw), &host_want);
		fmt_outcome(es, sizeof(es), &e);
		fmt_outcome(hs, sizeof(hs), &h);
		size_t len = 0;
		for (unsigned k = 0; k < npend && len < sizeof(pend) - 64; k++) {
			const struct pstate *p = &s->pend[idx][k];
			len += (size_t)snprintf(pend + len, sizeof(pend) - len,
						" [%s gpa 0x%" PRIx64 " rw %u us %u]",
						p->present ? "present" : "absent", p->gpa, p->rw, p->us);
		}
		FAIL("%s 0x%" PRIx64 " (slot %d page %u; guest: %s, emulated may use the entries of modes "
		     "0x%x (bit per mode); host follows: %s): model %s (host %s), emulated %s%s, host %s%s; "
		     "pending old states:%s",
		     write ? "write" : "read", iova, si, idx, mode_names[T.mode], emu_modes,
		     mode_names[T.host_mode], ws, hw, es, e_ok ? "" : " (not allowed)", hs,
		     h_ok ? "" : " (not allowed)", npend ? pend : " none");
	}
	bool mode_window = emu_modes != (1u << T.mode) || T.host_mode != T.mode;
	if (want.kind == O_OOR || host_want.kind == O_OOR) {
		H.oor++;
	} else if (mode_window) {
		/* the PASID entry changed without (complete) invalidation */
		H.mode_window++;
		H.mode_stale_emu += !e_cur;
		H.mode_host_behind += T.host_mode != T.mode;
	} else if (!npend) {
		if (want.kind == O_OK)
			H.exact_ok++;
		else
			H.exact_fault++, H.fault[want.fault]++;
	} else if (e_cur && h_cur) {
		H.window_fresh++;
	} else if (!e_cur && !h_cur) {
		H.stale_both++;
	} else if (!h_cur) {
		H.stale_host++;
	} else {
		H.stale_emu++;
	}
}

static uint64_t random_iova_in(int si, unsigned idx)
{
	return T.slot[si].iova + ((uint64_t)idx << 12) + (rnd() & 0xfff);
}

static uint64_t random_iova(void)
{
	unsigned k = rn(100);
	if (k < 90) {
		int si = (int)rn(NSLOT);
		unsigned idx = chance(90) ? rn(16) : rn(NPAGE);
		return random_iova_in(si, idx);
	}
	if (k < 98) {
		/* anywhere canonical (unmapped unless it hits a slot) */
		uint64_t a = rnd() & 0x7fffffffffffull;
		if (rn(3) == 0)
			a &= 0xffffffull;           /* low: inside RAM for pass-through */
		if (rn(4) == 0)
			a |= 0xffff800000000000ull;
		return a;
	}
	/* not canonical */
	return (rnd() | 0x0000800000000000ull) & ~0xffff000000000000ull;
}

/* ---- edits ------------------------------------------------------------------- */

static uint64_t rand_page(void) { return DATA + ((uint64_t)rn((unsigned)((RAM_SIZE - DATA) >> 12)) << 12); }
static uint64_t rand_big(void) { return DATA + ((uint64_t)rn((unsigned)((RAM_SIZE - DATA) >> 21)) << 21); }
static uint64_t rand_perm(void)
{
	/* mostly accessible, sometimes read-only or supervisor-only */
	return (chance(80) ? PTE_RW : 0) | (chance(85) ? PTE_US : 0);
}

/* Flip R/W or U/S: take one away from a fully accessible entry, give a
 * restricted one both back (so entries stay mostly accessible). */
static uint64_t flip(uint64_t v, uint64_t bit)
{
	if ((v & (PTE_RW | PTE_US)) != (PTE_RW | PTE_US))
		return v | PTE_RW | PTE_US;
	return v & ~bit;
}

static uint64_t rand_l1e(void)
{
	return chance(85) ? (rand_page() | PTE_P | rand_perm()) : 0;
}

/* Fill the (unreachable) L1 table of a slot. */
static void fill_l1(struct slot *s, bool split_of_big)
{
	for (unsigned i = 0; i < NPAGE; i++) {
		uint64_t v = 0;
		if (split_of_big)   /* as an OS splits a 2 MiB page: same pages */
			v = ((s->l2e & ADDR_MASK) + ((uint64_t)i << 12)) | PTE_P | (s->l2e & (PTE_RW | PTE_US));
		else if (i < 16 || chance(3))
			v = rand_l1e();
		s->l1e[i] = v;
		put64(s->l1 + i * 8ull, v);
	}
}

struct edit {
	int slot;
	unsigned lo, hi;     /* pages of the slot that changed (inclusive) */
	bool leaf_only;      /* IH is allowed */
	const char *what;
};

static void set_l2e(struct slot *s, enum slot_kind kind, uint64_t v)
{
	s->kind = kind;
	s->big_cached |= kind == S_BIG;
	s->l2e = v;
	put64(s->l2e_addr, v);
}

static void do_edit(int si, unsigned fp, struct edit *ed)
{
	struct slot *s = &T.slot[si];
	static struct pstate old[NPAGE];
	for (unsigned i = 0; i < NPAGE; i++)
		old[i] = page_state(s, i);
	ed->slot = si;
	ed->lo = 0;
	ed->hi = NPAGE - 1;
	ed->leaf_only = false;
	unsigned k = rn(100);
	switch (s->kind) {
	case S_EMPTY:
		if (k < 50) {
			set_l2e(s, S_BIG, rand_big() | PTE_P | PTE_PS | rand_perm());
			ed->leaf_only = true;
			ed->what = "map 2M";
		} else {
			fill_l1(s, false);
			set_l2e(s, S_TABLE, s->l1 | PTE_P | (chance(90) ? PTE_RW | PTE_US : rand_perm()));
			ed->what = "map table";
		}
		break;
	case S_BIG:
		ed->leaf_only = true;
		if (k < 40) {
			set_l2e(s, S_BIG, rand_big() | (s->l2e & ~ADDR_MASK));
			ed->what = "remap 2M";
		} else if (k < 55) {
			set_l2e(s, S_BIG, flip(s->l2e, PTE_RW));
			ed->what = "2M R/W";
		} else if (k < 70) {
			set_l2e(s, S_BIG, flip(s->l2e, PTE_US));
			ed->what = "2M U/S";
		} else if (k < 80) {
			set_l2e(s, S_EMPTY, 0);
			ed->what = "unmap 2M";
		} else {
			bool same = chance(50);
			fill_l1(s, same);
			set_l2e(s, S_TABLE, s->l1 | PTE_P | PTE_RW | PTE_US);
			ed->leaf_only = false;
			ed->what = same ? "split 2M (same pages)" : "split 2M (new pages)";
		}
		break;
	case S_TABLE:
		if (k < 80) {
			/* one to four consecutive 4 KiB entries */
			unsigned n = chance(80) ? 1 : 2 + rn(3);
			unsigned lo = fp;
			if (lo + n > NPAGE)
				n = NPAGE - lo;
			unsigned how = rn(5);
			for (unsigned i = lo; i < lo + n; i++) {
				uint64_t v = s->l1e[i];
				switch (how) {
				case 0: v = (v & PTE_P) ? (rand_page() | (v & ~ADDR_MASK)) : rand_l1e(); break;
				case 1: v = (v & PTE_P) ? 0 : rand_l1e(); break;
				case 2: v = (v & PTE_P) ? flip(v, PTE_RW) : rand_l1e(); break;
				case 3: v = (v & PTE_P) ? flip(v, PTE_US) : rand_l1e(); break;
				default: v = rand_l1e(); break;
				}
				s->l1e[i] = v;
				put64(s->l1 + i * 8ull, v);
			}
			static const char *const hows[5] = { "remap 4K", "unmap/map 4K", "4K R/W",
							     "4K U/S", "rewrite 4K" };
			ed->what = hows[how];
			ed->lo = lo;
			ed->hi = lo + n - 1;
			ed->leaf_only = true;
		} else if (k < 88) {
			set_l2e(s, S_TABLE, flip(s->l2e, chance(50) ? PTE_RW : PTE_US));
			ed->what = "table pointer R/W or U/S";
		} else if (k < 95) {
			set_l2e(s, S_BIG, rand_big() | PTE_P | PTE_PS | rand_perm());
			ed->what = "merge into 2M";
		} else {
			set_l2e(s, S_EMPTY, 0);
			ed->what = "unmap table";
		}
		break;
	}
	for (unsigned i = 0; i < NPAGE; i++)
		note_change(s, i, &old[i]);
	VLOG("edit slot %d (0x%" PRIx64 ") pages %u-%u: %s", si, s->iova, ed->lo, ed->hi, ed->what);
}

/* Smallest aligned power-of-two range covering pages [lo, hi] of a slot. */
static unsigned cover_am(unsigned lo, unsigned hi, uint64_t *first_page)
{
	unsigned am = 0;
	while ((lo >> am) != (hi >> am))
		am++;
	*first_page = (uint64_t)(lo >> am) << am;
	return am;
}

/* ---- invalidations -------------------------------------------------------- */

/* A correct invalidation for an edit; the host must see it once when it nests. */
static void invalidate_correct(const struct edit *ed)
{
	struct slot *s = &T.slot[ed->slot];
	uint64_t d[2][4];
	uint64_t first;
	unsigned am = cover_am(ed->lo, ed->hi, &first);
	if (chance(20) && am < T.mamv)
		am += 1 + rn(T.mamv - am > 2 ? 2 : T.mamv - am), first &= ~((1ull << am) - 1);
	if (am > 9)
		am = 9, first = 0;   /* never beyond the slot's 2 MiB */
	uint64_t addr = s->iova + (first << 12);
	unsigned k = rn(100);
	if (T.forced_flush || am > T.mamv)
		k = 70;   /* domain-wide */
	unsigned kind;
	bool psi = false, ih = false;
	if (k < 45) {
		ih = ed->leaf_only && chance(40);
		psi = true;
		kind = ih ? 1 : 0;
		desc_piotlb(d[0], 3, DID, 0, addr, am, ih);
		clean_range(addr, addr + (4096ull << am) - 1);
	} else if (k < 60) {
		kind = 2;
		psi = true;
		ih = ed->leaf_only && chance(40);
		desc_iotlb(d[0], 3, DID, addr, am, ih);
		clean_range(addr, addr + (4096ull << am) - 1);
	} else if (k < 75) {
		kind = 3;
		desc_piotlb(d[0], 2, DID, 0, 0, 0, false);
		clean_all();
	} else if (k < 92) {
		kind = 4;
		desc_iotlb(d[0], 2, DID, 0, 0, false);
		clean_all();
	} else {
		kind = 5;
		desc_iotlb(d[0], 1, 0, 0, 0, false);
		clean_all();
	}
	H.inv_kind[kind]++;
	unsigned long before = T.ev.invalidate;
	qi_submit((const uint64_t(*)[4])d, 1);
	unsigned long got = T.ev.invalidate - before;
	unsigned long want = T.host_mode != M_PT ? 1 : 0;
	VLOG("invalidate %s addr 0x%" PRIx64 " am %u: host saw %lu", inv_names[kind], addr, am, got);
	if (got != want)
		FAIL("%s invalidation (addr 0x%" PRIx64 " am %u) reached the host %lu times, "
		     "expected %lu (host %s)", inv_names[kind], addr, am, got, want,
		     mode_names[T.host_mode]);
	if (got) {
		/* what the host got: the range (IH as leaf-only), or everything */
		char exp[128];
		if (psi)
			snprintf(exp, sizeof(exp), "addr=0x%" PRIx64 " npages=0x%llx%s", addr,
				 1ull << am, ih ? " leaf" : "");
		else
			snprintf(exp, sizeof(exp), "addr=0x0 npages=all/0");
		const char *sp = strchr(T.ev.last_inval + 11, ' ');
		if (!sp || strcmp(sp + 1, exp))
			FAIL("%s invalidation reached the host as \"%s\", expected \"... %s\"",
			     inv_names[kind], T.ev.last_inval, exp);
	}
}

/* A deliberately missing or wrong invalidation; page pidx of the edited
 * slot (the probe) is not invalidated, though another page of the same
 * 2 MiB is when this returns true (which drops a cached 2 MiB page). */
static bool invalidate_wrong(const struct edit *ed, unsigned pidx)
{
	struct slot *s = &T.slot[ed->slot];
	uint64_t d[4];
	unsigned k = rn(5);
	unsigned long before = T.ev.invalidate, want = 0;
	const char *what;
	switch (k) {
	case 0:
		VLOG("no invalidation");
		return false;
	case 1:
		desc_piotlb(d, chance(50) ? 3 : 2, DID + 1, 0, s->iova + ((uint64_t)pidx << 12), 0, false);
		what = "wrong domain";
		break;
	case 2:
		desc_piotlb(d, chance(50) ? 3 : 2, DID, 1 + rn(50), s->iova + ((uint64_t)pidx << 12), 0,
			    false);
		what = "wrong PASID";
		break;
	case 3: {
		/* another slot's page: right for it, not for the edit */
		int o = (ed->slot + 1 + (int)rn(NSLOT - 1)) % NSLOT;
		uint64_t a = T.slot[o].iova + ((uint64_t)rn(NPAGE) << 12);
		desc_piotlb(d, 3, DID, 0, a, 0, false);
		clean_range(a, a + 0xfff);
		want = T.host_mode != M_PT;
		what = "another page";
		break;
	}
	default: {
		/* part of the edited range: one page other than the probe */
		if (ed->hi == ed->lo) {
			VLOG("no invalidation");
			return false;
		}
		unsigned p;
		do
			p = ed->lo + rn(ed->hi - ed->lo + 1);
		while (p == pidx);
		uint64_t a = s->iova + ((uint64_t)p << 12);
		desc_piotlb(d, 3, DID, 0, a, 0, false);
		clean_range(a, a + 0xfff);
		want = T.host_mode != M_PT;
		what = "part of the range";
		break;
	}
	}
	qi_submit((const uint64_t(*)[4])d, 1);
	unsigned long got = T.ev.invalidate - before;
	VLOG("invalidation on purpose wrong (%s): host saw %lu", what, got);
	if (got != want)
		FAIL("a deliberately wrong invalidation (%s) reached the host %lu times, expected %lu",
		     what, got, want);
	return k == 4;
}

/* Switch the PASID entry: first stage <-> pass-through or <-> a first
 * stage with another (empty) root. */
static void pasid_step(void)
{
	enum mode old = T.mode;
	T.mode = old != M_FS ? M_FS : chance(70) ? M_PT : M_FS0;
	write_pasid_entry(T.mode);
	H.pasid_steps++;
	unsigned long nested_before = T.ev.alloc_nested, inval_before = T.ev.invalidate;
	uint64_t d[2][4];
	unsigned n = 1, k = rn(100);
	if (k < 20) {
		/* no PASID-cache invalidation: the emulated IOMMU may keep the
		 * old entry, the host does not notice */
		T.stale_modes |= 1u << old;
		H.pasid_skips++;
		VLOG("PASID entry -> %s, not invalidated", mode_names[T.mode]);
		return;
	}
	if (k < 28) {
		/* the wrong domain: the emulated PASID cache keeps the entry, the
		 * host re-reads the PASID entry anyway */
		desc_pc(d[0], 0, DID + 1, 0);
		T.stale_modes |= 1u << old;
		H.pasid_skips++;
	} else {
		unsigned g = rn(3);
		g = g == 2 ? 3 : g;
		desc_pc(d[0], g, DID, 0);
		H.inv_kind[g == 0 ? 6 : g == 1 ? 7 : 8]++;
		T.stale_modes = 0;
	}
	bool flush = chance(50);
	if (flush) {
		/* what the spec asks after a PASID entry change */
		desc_piotlb(d[1], 2, DID, 0, 0, 0, false);
		n = 2;
	}
	enum mode was = T.host_mode;
	T.host_mode = T.mode;
	qi_submit((const uint64_t(*)[4])d, n);
	if (flush)
		clean_all();
	else if (old == M_FS && T.mode == M_FS0)
		T.iotlb_stale_fs = true;
	VLOG("PASID entry -> %s, PASID cache %s%s", mode_names[T.mode],
	     k < 28 ? "wrong domain" : "invalidated", n == 2 ? " + PASID IOTLB" : "");
	unsigned long want_nested = (was != T.host_mode && T.host_mode != M_PT) ? 1 : 0;
	if (T.ev.alloc_nested - nested_before != want_nested)
		FAIL("host %s -> %s: %lu nested tables built, expected %lu", mode_names[was],
		     mode_names[T.host_mode], T.ev.alloc_nested - nested_before, want_nested);
	unsigned long want_inval = (flush && T.host_mode != M_PT) ? 1 : 0;
	if (T.ev.invalidate - inval_before != want_inval)
		FAIL("PASID step reached the host with %lu invalidations, expected %lu",
		     T.ev.invalidate - inval_before, want_inval);
}

/* Translate a page, edit, invalidate correctly or not, translate it again. */
static void edit_step(void)
{
	int si = (int)rn(NSLOT);
	unsigned fp = chance(70) ? rn(16) : rn(NPAGE);
	uint64_t probe = random_iova_in(si, fp);
	struct outcome e0, h0, e1, h1;
	request(probe, false, &e0, &h0);
	struct edit ed = { 0, 0, 0, false, "" };
	/* the emulated IOTLB may hold a 2 MiB entry for the probe */
	bool maybe_big = T.slot[si].big_cached;
	do_edit(si, fp, &ed);
	bool correct = T.forced_flush || chance(75);
	bool strict = !correct && T.mode == M_FS && T.host_mode == M_FS && !T.stale_modes &&
		      !T.iotlb_stale_fs;
	bool same_2m = false;
	if (correct) {
		H.steps_inval++;
		invalidate_correct(&ed);
	} else {
		H.steps_skip++;
		same_2m = invalidate_wrong(&ed, fp);
	}
	struct pstate now = page_state(&T.slot[si], fp);
	struct outcome want = expect(T.mode, &now, probe, false);
	request(probe, false, &e1, &h1);
	if (strict) {
		/* nothing between the two translations may have dropped what
		 * either side cached for the probe: both must still show it */
		/* (an invalidation of any page of a 2 MiB page drops the
		 * emulated IOTLB's entry for all of it, as the spec says; the
		 * sim host caches 4 KiB pages) */
		if (e0.kind == O_OK && !(same_2m && maybe_big) && !outcome_eq(&e0, &e1))
			FAIL("emulated IOMMU forgot 0x%" PRIx64 " without an invalidation (%s): "
			     "gpa 0x%" PRIx64 " before the edit, now %s 0x%" PRIx64, probe, ed.what,
			     e0.gpa, e1.kind == O_OK ? "gpa" : "fault", e1.kind == O_OK ? e1.gpa : e1.fault);
		if (h0.kind == O_OK && !outcome_eq(&h0, &h1))
			FAIL("host forgot 0x%" PRIx64 " without an invalidation (%s): gpa 0x%" PRIx64
			     " before the edit, now %s 0x%" PRIx64, probe, ed.what, h0.gpa,
			     h1.kind == O_OK ? "gpa" : "fault", h1.kind == O_OK ? h1.gpa : h1.fault);
		if ((e0.kind == O_OK || h0.kind == O_OK) && !outcome_eq(&want, &e0))
			H.probes_stale++;
	} else if (correct && !outcome_eq(&want, &e0) && !T.stale_modes && T.host_mode == T.mode &&
		   !T.iotlb_stale_fs) {
		H.probes_fresh++;   /* request() checked both show the new state */
	}
}

/* ---- setup --------------------------------------------------------------- */

static uint64_t ensure_table(uint64_t table, unsigned idx)
{
	uint64_t e = get64(table + idx * 8ull);
	if (e & PTE_P)
		return e & ADDR_MASK;
	uint64_t t = alloc_table();
	put64(table + idx * 8ull, t | PTE_P | PTE_RW | PTE_US);
	return t;
}

static void build_guest(void)
{
	T.pool_next = POOL;
	T.l4 = alloc_table();
	T.empty_l4 = alloc_table();
	for (int i = 0; i < NSLOT; i++) {
		struct slot *s = &T.slot[i];
		memset(s, 0, sizeof(*s));
		s->iova = slot_iova[i];
		uint64_t l3 = ensure_table(T.l4, (unsigned)((s->iova >> 39) & 0x1ff));
		uint64_t l2 = ensure_table(l3, (unsigned)((s->iova >> 30) & 0x1ff));
		s->l2e_addr = l2 + ((s->iova >> 21) & 0x1ff) * 8;
		s->l1 = alloc_table();
		/* start: half the slots with 4 KiB tables, some 2 MiB pages */
		unsigned k = rn(3);
		if (k == 0) {
			set_l2e(s, S_BIG, rand_big() | PTE_P | PTE_PS | rand_perm());
		} else if (k == 1) {
			fill_l1(s, false);
			set_l2e(s, S_TABLE, s->l1 | PTE_P | PTE_RW | PTE_US);
		} else {
			fill_l1(s, false);
			set_l2e(s, S_TABLE, s->l1 | PTE_P | PTE_RW | PTE_US);
		}
	}
	/* scalable root, context, PASID directory and table */
	put64(ROOT, CTX | 1);
	put64(CTX + (SID & 0x7f) * 32ull, PDIR | 1);
	put64(PDIR, PTBL | 1);
	T.mode = M_FS;
	write_pasid_entry(M_FS);     /* 4-level, no SRE/WPE/EAFE */
	put64(PTBL + 8, DID);
}

static void run_seed(uint64_t seed, unsigned long iters, bool verbose)
{
	memset(&T, 0, sizeof(T));
	T.seed = seed;
	T.iters = iters;
	T.verbose = verbose;
	T.rng = seed;
	printf("nest_sim: seed 0x%" PRIx64 ", %lu steps\n", T.seed, T.iters);

	T.ram = calloc(1, RAM_SIZE);
	assert_non_null(T.ram);
	build_guest();

	struct vtd_config cfg;
	struct vtd_error err;
	if (vtd_config_parse(&cfg, "x-scalable-mode=on,x-flts=on,caching-mode=on", &err))
		fail_msg("config: %s", err.msg);
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = T.ram, .ram_size = RAM_SIZE };
	if (vtd_iommu_new(&cfg, &o, &T.iommu, &err))
		fail_msg("vtd_iommu_new: %s", err.msg);

	uint64_t cap = mmio_r(VTD_REG_CAP, 8), ecap = mmio_r(VTD_REG_ECAP, 8);
	assert_true(cap & (1ull << 39));            /* PSI */
	assert_true(ecap & (1ull << 6));            /* PT */
	T.mamv = (unsigned)((cap >> 48) & 0x3f);
	assert_true(T.mamv >= 1);

	static const struct vtd_sim_event_ops evops = { .event = on_event };
	assert_int_equal(vtd_sim_new(&evops, &T.ev, &T.sim), 0);
	struct vtd_host_if be;
	vtd_sim_backend(T.sim, &be);
	struct vtd_host_device hd;
	if (vtd_host_from_profile("gnr-main", &hd, &err))
		fail_msg("profile gnr-main: %s", err.msg);
	hd.hw_info_flags = 0;
	if (vtd_iommu_attach_host(T.iommu, SID, &hd, &be, HOSTDEV, &err))
		fail_msg("attach: %s", err.msg);

	/* translation on, scalable mode, 256-bit queued invalidation */
	mmio_w(VTD_REG_RTADDR, 8, ROOT | 0x400);
	mmio_w(VTD_REG_GCMD, 4, GCMD_SRTP);
	mmio_w(VTD_REG_IQA, 8, IQ | 0x800);
	mmio_w(VTD_REG_GCMD, 4, GCMD_QIE);
	mmio_w(VTD_REG_GCMD, 4, GCMD_QIE | GCMD_TE);
	uint32_t gsts = (uint32_t)mmio_r(VTD_REG_GSTS, 4);
	assert_true(gsts & GSTS_TES);
	assert_true(gsts & GSTS_QIES);
	assert_true(gsts & GSTS_RTPS);
	assert_int_equal(T.ev.alloc_nested, 1);     /* the host now nests */
	T.host_mode = M_FS;

	for (T.step = 0; T.step < T.iters; T.step++) {
		unsigned k = rn(100);
		if (T.mode == M_FS ? k < 3 : k < 35) {
			pasid_step();
		} else if (k >= 98) {
			/* clean slate: everything the guest may have left */
			uint64_t d[2][4];
			desc_pc(d[0], 3, 0, 0);
			desc_piotlb(d[1], 2, DID, 0, 0, 0, false);
			unsigned long before = T.ev.invalidate;
			qi_submit((const uint64_t(*)[4])d, 2);
			T.host_mode = T.mode;
			T.stale_modes = 0;
			clean_all();
			H.inv_kind[9]++;
			VLOG("flush: PASID cache global + PASID IOTLB");
			if (T.ev.invalidate - before != (T.host_mode != M_PT ? 1u : 0u))
				FAIL("flush reached the host %lu times", T.ev.invalidate - before);
		} else {
			edit_step();
		}
		for (unsigned r = 0; r < NREQ; r++)
			request(random_iova(), chance(25), NULL, NULL);
	}

	assert_int_equal(vtd_iommu_detach_host(T.iommu, SID), 0);
	vtd_iommu_free(T.iommu);
	vtd_sim_free(T.sim);
	free(T.ram);
	T.ram = NULL;
}

static void test_nest_sim_random(void **state)
{
	(void)state;
	const char *e = getenv("VTD_ITER");
	unsigned long iters = e ? strtoul(e, NULL, 0) : 0;
	e = getenv("VTD_VERBOSE");
	bool verbose = e && *e && *e != '0';
	e = getenv("VTD_SEED");
	clock_t t0 = clock();
	if (e) {
		run_seed(strtoull(e, NULL, 0), iters ? iters : DEFAULT_ITER, verbose);
	} else {
		for (unsigned i = 0; i < DEFAULT_SEEDS; i++)
			run_seed(0x5eed + i, iters ? iters : DEFAULT_ITER, verbose);
	}
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;

	printf("nest_sim: %lu requests (%lu writes) in %.2f s CPU\n", H.requests, H.writes, secs);
	printf("  agree, translated        %lu\n", H.exact_ok);
	printf("  agree, same fault        %lu (", H.exact_fault);
	for (unsigned i = 0, first = 1; i < 256; i++)
		if (H.fault[i]) {
			printf("%s0x%02x: %lu", first ? "" : ", ", i, H.fault[i]);
			first = 0;
		}
	printf(")\n");
	printf("  page edited, not invalidated: both fresh %lu; stale allowed: host %lu, "
	       "emulated %lu, both %lu\n", H.window_fresh, H.stale_host, H.stale_emu, H.stale_both);
	printf("  PASID entry changed, not invalidated: %lu requests (emulated on the old entry %lu, "
	       "host on the old entry %lu)\n", H.mode_window, H.mode_stale_emu, H.mode_host_behind);
	printf("  pass-through beyond RAM (emulated passes, host has no memory there) %lu\n", H.oor);
	printf("  probes stale as required %lu (fresh after invalidation %lu)\n", H.probes_stale,
	       H.probes_fresh);
	printf("  steps: %lu invalidated, %lu skipped/wrong; PASID switches %lu (%lu not invalidated)\n",
	       H.steps_inval, H.steps_skip, H.pasid_steps, H.pasid_skips);
	printf("  invalidations:");
	for (unsigned i = 0; i < 10; i++)
		printf(" %s %lu", inv_names[i], H.inv_kind[i]);
	printf("\n");
	/* the run must have exercised what it claims to */
	if (H.requests >= 10000) {
		assert_true(H.exact_ok > 0 && H.exact_fault > 0);
		assert_true(H.stale_host > 0 && H.stale_emu > 0 && H.stale_both > 0);
		assert_true(H.mode_stale_emu > 0 && H.mode_host_behind > 0);
		assert_true(H.probes_stale > 0 && H.probes_fresh > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nest_sim_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
