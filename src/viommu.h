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
#include "csr.h"
#include "cache.h"

#include <pthread.h>

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
	struct vtd_cc cc;             /* context cache: per source id */
	uint64_t inval_gen;
	/* hits of the fast path: a context-cache hit and an IOTLB hit each
	 * (one counter bumped instead of two; summed into both) */
	struct vtd_counter fast_hits;
	struct vtd_counter fast_misses; /* translate.c fast_miss: IOTLB misses, context hits */
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
	/* reserved bits of paging entries by [leaf][level], from the
	 * configuration (vtd_tables_init) */
	uint64_t ss_rsvd[2][7];
	uint64_t fs_rsvd[2][6];
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

/* Latched state is written under the lock and read by translations
 * without it: single-word atomic accesses keep that race-free. */
#define VTD_LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define VTD_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

#endif
