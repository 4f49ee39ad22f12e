/* SPDX-License-Identifier: MIT */
/*
 * The vIOMMU object.  Register state lives in a byte image of the window
 * (csr) with QEMU-style per-bit masks: wmask (software-writable bits),
 * w1cmask (write-1-to-clear) and womask (write-only, reading 0).  What the
 * hardware latches on a command (root table, queue base...) is kept apart,
 * because the spec says later register writes do not change it until the
 * next command.
 */
#ifndef VTD_VIOMMU_H
#define VTD_VIOMMU_H

#include "internal.h"
#include "regs.h"
#include "cache.h"

#include <pthread.h>

/* One context-cache slot per source id (allocated per bus on first use). */
struct vtd_cc_slot {
	uint32_t seq;                 /* odd while being written */
	uint32_t gen;                 /* valid while equal to cc_gen */
	uint64_t fast;                /* gen << 32 | what the IOTLB hit path needs (VTD_CCF_*) */
	uint64_t ce[4];               /* the context entry as read (4 qwords in SM) */
};

/* The decoded context a translation needs before it can probe the IOTLB,
 * one word read without the slot's sequence count: DID in bits 31:16,
 * and VTD_CCF_SS when the entry passed every check and translates through
 * the second stage (legacy mode TT 0 or 1, or scalable mode with a
 * second-stage RID_PASID entry), VTD_CCF_FS when requests without PASID
 * translate through the first stage (or nested) of PASID 0 as RID_PASID.
 * The scalable-mode flags come from the PASID entry: a PASID-cache
 * invalidation clears them (vtd_cc_clear_fast). */
#define VTD_CCF_SS 1u
#define VTD_CCF_FS 2u

struct vtd_iommu {
	struct vtd_config cfg;
	uint64_t cap, ecap;
	uint64_t haw_mask;            /* (1 << aw_bits) - 1 */

	struct vtd_mem_ops mem;
	void *mem_opaque;
	struct vtd_event_ops events;
	void *event_opaque;
	uint8_t *ram;
	uint64_t ram_size;
	/* vtd_iommu_opts hooks, both with event_opaque (iommu.h) */
	void (*irq_inval)(void *opaque, bool global, uint32_t index, uint32_t count);
	void (*ram_dirty)(void *opaque, uint64_t gpa, uint64_t len);

	/* Serialises MMIO, invalidation and fault recording. */
	pthread_mutex_t lock;

	uint8_t csr[VTD_REG_END];
	uint8_t wmask[VTD_REG_END];
	uint8_t w1cmask[VTD_REG_END];
	uint8_t womask[VTD_REG_END];

	/* latched by commands */
	uint64_t root;                /* SRTP: root table address */
	bool root_scalable;           /* SRTP: RTADDR.TTM = scalable */
	unsigned root_ttm;            /* SRTP: RTADDR.TTM as written */
	bool dmar_enabled;            /* GSTS.TES */
	uint64_t iq;                  /* QIE: invalidation queue base */
	uint32_t iq_size;             /* entries */
	bool iq_dw;                   /* 256-bit descriptors */
	bool qi_enabled;
	uint32_t iq_head;             /* in descriptors */
	uint64_t intr_root;           /* SIRTP: IRT base */
	uint32_t intr_size;           /* entries */
	bool intr_eime;
	bool intr_enabled;
	bool cfi_enabled;             /* GSTS.CFIS */
	unsigned next_frcd;           /* next fault-recording register */

	/* caches (cache.h); inval_gen moves on every invalidation so a walk
	 * that raced one does not insert what it read before it */
	struct vtd_iotlb iotlb;       /* v0 = page | perm, v1 = flags */
	struct vtd_ctab pasidc;       /* v[0] = PASID dir entry, v[1..3] = PASID entry 0-2 */
	struct vtd_ctab iec;          /* interrupt entry cache: index -> IRTE */
	struct vtd_cc_slot *ccbus[256];
	pthread_mutex_t cc_lock;
	uint32_t cc_gen;
	uint64_t inval_gen;
	struct vtd_counter cc_hits, cc_misses;
	/* hits of the fast path: a context-cache hit and an IOTLB hit each
	 * (one counter bumped instead of two; summed into both) */
	struct vtd_counter fast_hits;
	uint64_t cc_invalidated;
	uint64_t inv_count[16];       /* invalidation requests by descriptor type */
	struct vtd_notifier *notifiers;   /* under lock */
	struct vtd_nest_dev *nest;        /* attached host devices, under lock */
	/* Interrupt-remapping invalidations not yet told to irq_inval (under
	 * lock): recorded while the queue runs, handed over by whoever holds
	 * the lock last (vtd_iec_take) and delivered after it is released, so
	 * the VMM may call vtd_iommu_remap_msi() from the callback.  Ranges
	 * merge into the smallest range covering both: wider than asked is
	 * still correct, a lost one would not be. */
	struct vtd_iec_event {
		bool pending, global;
		uint32_t lo, hi;          /* [lo, hi) when !global */
	} iec_ev;
};

/* ---- callbacks: no re-entry -------------------------------------------
 *
 * While the library runs one of the VMM's callbacks for an object (memory,
 * events, notifiers, ram_dirty), the calling thread is marked as being
 * inside that object: a frame on the thread's stack of such marks.  Its
 * public entry points refuse such a thread with -EDEADLK instead of
 * taking a lock the thread may already hold (or walking tables whose read
 * would call the same callback again).  irq_inval is called with no lock
 * held and is not marked: it may call back on purpose.
 */
struct vtd_cb_frame {
	const struct vtd_iommu *s;
	struct vtd_cb_frame *prev;
};
extern _Thread_local struct vtd_cb_frame *vtd_cb_top __attribute__((tls_model("initial-exec")));

static inline void vtd_cb_enter(const struct vtd_iommu *s, struct vtd_cb_frame *f)
{
	f->s = s;
	f->prev = vtd_cb_top;
	vtd_cb_top = f;
}

static inline void vtd_cb_leave(struct vtd_cb_frame *f)
{
	vtd_cb_top = f->prev;
}

/* Whether this thread is inside a callback of s (the chain is as long as
 * the objects nested in each other's callbacks, each at most once). */
static inline bool vtd_in_callback(const struct vtd_iommu *s)
{
	for (const struct vtd_cb_frame *f = vtd_cb_top; f; f = f->prev)
		if (f->s == s)
			return true;
	return false;
}

/* Run a callback statement with the thread marked inside s. */
#define VTD_CALLBACK(s, stmt)                                                  \
	do {                                                                   \
		struct vtd_cb_frame vtd_cb_f_;                                 \
		vtd_cb_enter((s), &vtd_cb_f_);                                 \
		stmt;                                                          \
		vtd_cb_leave(&vtd_cb_f_);                                      \
	} while (0)

/* Interrupt-remapping invalidation events (inval.c), lock held: record
 * one (global, or entries [index, index + count)); take what is pending
 * (returns false when nothing is).  vtd_iec_deliver, without the lock,
 * tells irq_inval. */
void vtd_iec_record(struct vtd_iommu *s, bool global, uint32_t index, uint32_t count);
bool vtd_iec_take(struct vtd_iommu *s, struct vtd_iec_event *ev);
void vtd_iec_deliver(struct vtd_iommu *s, const struct vtd_iec_event *ev);

/* Latched state is written under the lock and read by translations
 * without it: single-word atomic accesses keep that race-free. */
#define VTD_LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define VTD_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* register image helpers (little-endian, as the window is) */
uint32_t vtd_get_l(const struct vtd_iommu *s, unsigned off);
uint64_t vtd_get_q(const struct vtd_iommu *s, unsigned off);
void vtd_set_l(struct vtd_iommu *s, unsigned off, uint32_t v);
void vtd_set_q(struct vtd_iommu *s, unsigned off, uint64_t v);
void vtd_set_clear_l(struct vtd_iommu *s, unsigned off, uint32_t set, uint32_t clear);
void vtd_set_clear_q(struct vtd_iommu *s, unsigned off, uint64_t set, uint64_t clear);

/* mem.c: guest memory (flat RAM fast path, callbacks otherwise) */
int vtd_mem_read(struct vtd_iommu *s, uint64_t gpa, void *buf, size_t len);
int vtd_mem_write(struct vtd_iommu *s, uint64_t gpa, const void *buf, size_t len);
int vtd_mem_read64(struct vtd_iommu *s, uint64_t gpa, uint64_t *v);
/*
 * Locked read-modify-writes of guest memory, as the spec requires for
 * accessed/dirty flags and posted-interrupt descriptors: __atomic ops on
 * the flat RAM, else the VMM's mem.cmpxchg64, else (neither available) a
 * read then a write, which is not atomic against the guest.
 * vtd_mem_cas64: 0, -EAGAIN with the current value in *expected, -EFAULT.
 * vtd_mem_or64: OR bits in (hint: the value the caller expects there);
 * 0, -EFAULT, or -EBUSY when the word
 * changed under every one of VTD_MEM_CAS_TRIES compare-exchanges (only a
 * guest rewriting it without pause does that; the bits are then not set).
 * vtd_mem_set_bits64: vtd_mem_or64 for A/D flags; any failure is -EFAULT.
 */
#define VTD_MEM_CAS_TRIES 64
/* A qword load ordered after the caller's locked updates (seq_cst on the
 * flat RAM), for decisions that must see what a guest did since. */
int vtd_mem_load64_sc(struct vtd_iommu *s, uint64_t gpa, uint64_t *v);
int vtd_mem_cas64(struct vtd_iommu *s, uint64_t gpa, uint64_t *expected, uint64_t desired);
int vtd_mem_or64(struct vtd_iommu *s, uint64_t gpa, uint64_t hint, uint64_t bits);
int vtd_mem_set_bits64(struct vtd_iommu *s, uint64_t gpa, uint64_t old, uint64_t bits);

/* regs.c */
void vtd_regs_reset(struct vtd_iommu *s);
/* Send the MSI programmed in the DATA/ADDR/UADDR registers at base (FE, IE, PE). */
void vtd_regs_send_msi(struct vtd_iommu *s, unsigned data_off, unsigned addr_off,
		       unsigned uaddr_off);

/* inval.c: drop cached translations (context, PASID, IOTLB) / interrupt entries. */
void vtd_cache_reset(struct vtd_iommu *s);
void vtd_cache_reset_iec(struct vtd_iommu *s);
/* Context cache (inval.c): lock-free lookup; insert if no invalidation
 * happened since gen0 was read. */
bool vtd_cc_lookup(struct vtd_iommu *s, uint16_t sid, uint64_t ce[4]);
void vtd_cc_insert(struct vtd_iommu *s, uint16_t sid, const uint64_t ce[4], uint64_t gen0,
		   uint32_t fast);
/* Set the fast word of a valid slot, unless an invalidation ran since gen0. */
void vtd_cc_set_fast(struct vtd_iommu *s, uint16_t sid, uint32_t fast, uint64_t gen0);
/* Clear every slot's fast word (the PASID entries behind them changed). */
void vtd_cc_clear_fast(struct vtd_iommu *s);
/* The slot's fast word (VTD_CCF_*) while it is valid, else 0. */
static inline uint32_t vtd_cc_fast(struct vtd_iommu *s, uint16_t sid)
{
	struct vtd_cc_slot *bus = __atomic_load_n(&s->ccbus[sid >> 8], __ATOMIC_ACQUIRE);
	if (!bus)
		return 0;
	uint64_t f = __atomic_load_n(&bus[sid & 0xff].fast, __ATOMIC_ACQUIRE);
	if ((uint32_t)(f >> 32) != __atomic_load_n(&s->cc_gen, __ATOMIC_ACQUIRE))
		return 0;
	return (uint32_t)f;
}
/* IOTLB keys, inline because every translation computes them: k0 tags
 * the domain (and PASID for first-stage and nested entries), k1 the page
 * number at the entry's size with the size class in the low bits. */
static inline uint64_t vtd_iotlb_k0(uint16_t did, bool tagged, uint32_t pasid)
{
	return (1ull << 63) | ((uint64_t)tagged << 40) | ((uint64_t)(pasid & 0xfffff) << 16) | did;
}

static inline uint64_t vtd_iotlb_k1(uint64_t addr, unsigned order)
{
	unsigned slot = order >= 18 ? 2 : order >= 9 ? 1 : 0;
	return ((addr >> (12 + order)) << 2) | slot;
}
/* Queued-only invalidations (PASID-based IOTLB, PASID cache). */
void vtd_inval_piotlb(struct vtd_iommu *s, unsigned g, uint16_t did, uint32_t pasid,
		      uint64_t addr, unsigned am, bool ih);
void vtd_inval_pasid_cache(struct vtd_iommu *s, unsigned g, uint16_t did, uint32_t pasid);
/* Interrupt entry cache: global, or 2^im entries from index. */
void vtd_inval_iec(struct vtd_iommu *s, bool global, uint16_t index, unsigned im);

/* inval.c: register-based invalidation; each returns the granularity
 * actually performed (CAIG / IAIG), 0 when the request was refused. */
unsigned vtd_inval_context(struct vtd_iommu *s, unsigned cirg, uint16_t did, uint16_t sid,
			   unsigned fm);
unsigned vtd_inval_iotlb(struct vtd_iommu *s, unsigned iirg, uint16_t did, uint64_t addr,
			 unsigned am, bool ih);
/* Process the invalidation queue from IQH to IQT (bounded by its size). */
void vtd_inval_kick(struct vtd_iommu *s);

/* notify.c: shadowing notifiers, synced after invalidations (lock held). */
void vtd_notify_sync(struct vtd_iommu *s, bool all_domains, uint16_t did, uint64_t lo,
		     uint64_t hi);
void vtd_notify_free_all(struct vtd_iommu *s);

/* nest.c: host devices with nested translation (lock held). */
void vtd_nest_follow_all(struct vtd_iommu *s);
void vtd_nest_invalidate(struct vtd_iommu *s, bool all_domains, uint16_t did, uint32_t pasid,
			 uint64_t addr, unsigned am, bool ih, bool whole);
void vtd_nest_free_all(struct vtd_iommu *s);
/* A page group response of the guest: when it answers a group a host
 * device's fault queue reported, send it there and return true. */
bool vtd_nest_page_response(struct vtd_iommu *s, uint16_t sid, bool pasid_valid, uint32_t pasid,
			    uint16_t prg_index, uint8_t code);
/* ats.c: queue a page request (lock held); see the function. */
struct vtd_page_request;
int vtd_prq_insert(struct vtd_iommu *s, const struct vtd_page_request *rq, int *answer);

/* fault.c: record a fault in the FRCD registers and raise the fault event. */
struct vtd_fault_rec {
	uint16_t sid;
	uint8_t reason;
	bool is_write;        /* T (T1) = 0 for writes, 1 for reads */
	bool is_ir;           /* interrupt-remapping fault: FI holds the index */
	uint64_t addr;        /* fault info: page address, or IRT index */
	bool pasid_valid;
	uint32_t pasid;
	bool priv;
	bool exec;
	uint8_t at;           /* address type */
};
/* Returns whether a record was written (not compressed or overflowed). */
bool vtd_fault_record(struct vtd_iommu *s, const struct vtd_fault_rec *f);
void vtd_fault_update_ppf(struct vtd_iommu *s);
/* Whether FPD=1 may suppress recording of this DMA fault reason. */
bool vtd_fault_qualified(uint8_t reason);
/* Raise the fault event (FECTL) unless one is already pending. */
void vtd_fault_event(struct vtd_iommu *s, uint32_t fsts_before);

#endif
