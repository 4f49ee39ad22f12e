/* SPDX-License-Identifier: MIT */
/*
 * Translation caches: a tagged hash table with lock-free lookups.
 *
 * Memory model: all mutation (insert, evict, invalidate) happens under the
 * table's mutex.  Lookups take no lock: each bucket has a sequence count
 * that writers make odd while they change the bucket's chain; a reader
 * copies what it finds and retries if the count moved.  Entries live in one
 * pool that is never freed while the table exists, so a reader racing a
 * reuse reads stale but valid memory and is sent round again by the count.
 * Every shared word is accessed with __atomic builtins (race-free under
 * TSan).
 *
 * Invalidation cost follows what is invalidated: each entry is also on its
 * domain's list (65536 heads), so a domain invalidation visits only that
 * domain's entries, a page-range invalidation probes the range or the
 * domain's list, whichever is shorter, and a global one walks the pool.
 */
#ifndef VTD_CACHE_H
#define VTD_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define VTD_CT_NIL 0xffffffffu

/*
 * A statistics counter that many threads bump on the hot path: one slot
 * per cache line, each thread on its own slot, summed when read.  A plain
 * shared counter would make every IOTLB hit bounce one cache line between
 * cores (doc/performance.md, "Design choices measured").
 */
#define VTD_COUNTER_SLOTS 16
/* Aligned so that no slot shares a line with the read-mostly fields next
 * to it: a thread bumping its slot on every hit must not keep evicting
 * the line that holds, say, the generation every other thread reads. */
struct vtd_counter {
	struct {
		_Alignas(64) uint64_t v;
	} slot[VTD_COUNTER_SLOTS + 1];  /* the last one: shared, atomic */
};
/* initial-exec TLS: a plain %fs-relative load, no __tls_get_addr call.
 * Values below VTD_COUNTER_SLOTS: this thread is the only writer of that
 * slot (until it exits: then the slot goes to the next thread that
 * counts); VTD_COUNTER_SLOTS: all slots were owned when this thread
 * first counted, it shares the last slot with atomic increments; ~0u:
 * not assigned yet. */
extern _Thread_local unsigned vtd_tls_slot __attribute__((tls_model("initial-exec")));
void vtd_count_slow(struct vtd_counter *c);
/* vtd_count_slow(), then 0: a tail call for a caller returning success */
int vtd_count_slow_ok(struct vtd_counter *c);
/* The bump of this thread's own slot: the only writer, so a plain
 * increment (no locked instruction on the hit path); readers see whole
 * 64-bit words. */
static inline void vtd_count_own(struct vtd_counter *c, unsigned slot)
{
	uint64_t v = __atomic_load_n(&c->slot[slot].v, __ATOMIC_RELAXED);
	__atomic_store_n(&c->slot[slot].v, v + 1, __ATOMIC_RELAXED);
}
static inline void vtd_count(struct vtd_counter *c)
{
	unsigned slot = vtd_tls_slot;
	if (__builtin_expect(slot < VTD_COUNTER_SLOTS, 1)) {
		vtd_count_own(c, slot);
		return;
	}
	vtd_count_slow(c);
}
/* vtd_count(), then 0, for a function that returns success right after:
 * the rare case is a tail call, so the caller needs no stack frame. */
static inline int vtd_count_ok(struct vtd_counter *c)
{
	unsigned slot = vtd_tls_slot;
	if (__builtin_expect(slot >= VTD_COUNTER_SLOTS, 0))
		return vtd_count_slow_ok(c);
	vtd_count_own(c, slot);
	return 0;
}
static inline uint64_t vtd_counter_sum(struct vtd_counter *c)
{
	uint64_t n = 0;
	for (unsigned i = 0; i <= VTD_COUNTER_SLOTS; i++)
		n += __atomic_load_n(&c->slot[i].v, __ATOMIC_RELAXED);
	return n;
}
#define VTD_CT_MAXVAL 5

struct vtd_ct_entry {
	uint64_t k0, k1;             /* key (k0 == 0 never used: k0 has a tag bit) */
	uint64_t v[VTD_CT_MAXVAL];
	uint32_t next;               /* bucket chain */
	uint32_t dprev, dnext;       /* domain list */
	uint16_t did;
	uint8_t in_use;
	uint8_t order;               /* page-size order for the IOTLB (0, 9, 18) */
	uint8_t tagged;              /* key carries a PASID */
};

struct vtd_ct_bucket {
	uint32_t seq;
	uint32_t head;
};

struct vtd_ctab {
	pthread_mutex_t lock;
	struct vtd_ct_entry *pool;
	uint32_t capacity;
	uint32_t nbuckets;           /* power of two */
	struct vtd_ct_bucket *buckets;
	uint32_t *dhead;             /* per domain id, stored + 1 (0: empty) */
	uint32_t free_head;          /* free list through .dnext */
	uint32_t fresh;              /* entries at and above: never used yet */
	uint32_t hand;               /* eviction clock */
	uint32_t used;
	uint32_t nval;
	uint32_t order_count[3];     /* entries per page-size order (IOTLB) */
	uint32_t tagged;             /* entries whose key carries a PASID */
	/* statistics (relaxed atomics) */
	struct vtd_counter hits, misses;
	uint64_t inserts, evictions, invalidated;
};

int vtd_ct_init(struct vtd_ctab *t, uint32_t capacity, uint32_t nval);
void vtd_ct_destroy(struct vtd_ctab *t);
/* Lock-free: copy the values of the entry with this key; true on a hit.
 * vtd_ct_lookup counts the hit or miss; vtd_ct_probe does not (for callers
 * that probe several keys per request and count once themselves). */
bool vtd_ct_probe(struct vtd_ctab *t, uint64_t k0, uint64_t k1, uint64_t *val, uint16_t *did);
bool vtd_ct_lookup(struct vtd_ctab *t, uint64_t k0, uint64_t k1, uint64_t *val, uint16_t *did);
/* Insert or replace (evicting one entry when full).  Skipped when *gen no
 * longer equals gen0: an invalidation ran since the caller read the tables. */
void vtd_ct_insert(struct vtd_ctab *t, uint64_t k0, uint64_t k1, uint16_t did, uint8_t order,
		   bool tagged, const uint64_t *val, const uint64_t *gen, uint64_t gen0);
/* Remove every entry for which match() is true: all, one domain, or a
 * caller-chosen subset of a domain.  Returns how many were removed. */
typedef bool (*vtd_ct_match)(const struct vtd_ct_entry *e, const void *arg);
uint64_t vtd_ct_inval_all(struct vtd_ctab *t);
uint64_t vtd_ct_inval_domain(struct vtd_ctab *t, uint16_t did, vtd_ct_match match,
			     const void *arg);
/* Remove the entries with these exact keys (page-selective fast path). */
uint64_t vtd_ct_inval_key(struct vtd_ctab *t, uint64_t k0, uint64_t k1);
/* Number of entries in a domain (to choose between probing and listing). */
uint32_t vtd_ct_domain_count(struct vtd_ctab *t, uint16_t did, uint32_t limit);

/* ---- IOTLB ------------------------------------------------------------------
 *
 * A set-associative table of 64-byte buckets, each holding three entries
 * inline, so that a hit reads one cache line (the general table above
 * reads a bucket head, then a pool entry: two dependent misses).  A key
 * lives in its home bucket or the other one of the adjacent pair (the
 * second look is nearly free), so a key competes with five others.  An
 * entry is 16 bytes in the line plus its PASID in the bucket header:
 *
 *   tag: T(63, PASID-tagged) class + 1 (62:61) DID(60:45) page number(44:0);
 *        an empty way has tag 0 (the class field of a live one is not 0)
 *   val: output page address (51:12) | perm(1:0) | flags(6:2) | stamp
 *        (bits 63:52 and 10:7: 16 bits)
 *
 * Domain invalidation is O(1): every domain has a generation; an entry
 * is live only while its stamp equals its domain's generation, so bumping
 * the generation drops the whole domain at once, and the dead entries are
 * reused by later inserts.  Before a generation could come round to a
 * value that dead entries still carry, one sweep clears them (at most
 * once every 32768 bumps of any domain; see iotlb_bump).  Per-domain
 * counts of live entries keep the statistics exact and let page-range
 * invalidations skip domains with nothing cached.
 *
 * Same memory model as the general table: writers hold the mutex and make
 * the bucket's sequence count odd while they change it; readers take no
 * lock and retry when the count moved.
 */
#define VTD_IOTLB_WAYS 3

/* The IOTLB's writer lock: one exchange takes it, one store releases it,
 * where a mutex costs an insert (every miss) some 55 instructions.  Its
 * sections are short but for the rare whole-table ones (a sweep, a global
 * invalidation of a large table): a waiter spins briefly, then yields. */
struct vtd_spin {
	uint32_t v;
};
void vtd_spin_wait(struct vtd_spin *l);
static inline void vtd_spin_lock(struct vtd_spin *l)
{
	if (__builtin_expect(__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) != 0, 0))
		vtd_spin_wait(l);
}
static inline void vtd_spin_unlock(struct vtd_spin *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

#define VTD_IOTLB_PN_BITS 45         /* address bits 56:12 (see iotlb_fold) */

struct vtd_iotlb_bucket {
	uint32_t seq;
	uint8_t hand;                /* next victim when all ways are live */
	uint8_t pad[3];
	uint64_t pasids;             /* 20 bits per way */
	uint64_t tag[VTD_IOTLB_WAYS];
	uint64_t val[VTD_IOTLB_WAYS];
};

struct vtd_iotlb {
	/* read by every lookup */
	struct vtd_iotlb_bucket *b;
	uint32_t nbuckets;
	uint32_t class_count[3];     /* occupied ways per page-size class (a hint) */
	uint32_t class_mask;         /* bit c: class_count[c] != 0 (one load per hit) */
	uint32_t tagged;             /* occupied ways with a PASID tag (a hint) */
	uint64_t *dstamp;            /* per domain id: its current generation, as
				      * stamp bits (iotlb_stamp_bits): compared
				      * with an entry's without decoding */
	/* written under the lock */
	_Alignas(64) struct vtd_spin lock;
	uint16_t *dswept;            /* per domain: generation at the last sweep */
	uint32_t *dcount;            /* per domain: live entries */
	uint64_t dused[65536 / 64];  /* domains with live entries */
	uint32_t capacity;           /* ways in all */
	uint64_t used, inserts, evictions, invalidated, sweeps;
	struct vtd_counter hits, misses;
};

/* What an IOTLB entry says: v0 = page address | perm, v1 = flags. */
struct vtd_iotlb_val {
	uint64_t v0;
	uint32_t v1;
	unsigned order;              /* 0, 9 or 18 */
};

int vtd_iotlb_init(struct vtd_iotlb *t, uint32_t entries);
void vtd_iotlb_destroy(struct vtd_iotlb *t);
bool vtd_iotlb_probe_locked(struct vtd_iotlb *t, struct vtd_iotlb_bucket *b, uint64_t tag,
			    uint32_t pasid, uint64_t *v);

/* The lookup is inline: it is most of an IOTLB hit, and the callers'
 * constant arguments (no PASID) fold into it. */
#define IOTLB_TAG_T       (1ull << 63)
#define IOTLB_TAG_CLASS_S 61
#define IOTLB_TAG_DID_S   45
#define IOTLB_TAG_PN_MASK ((1ull << VTD_IOTLB_PN_BITS) - 1)
#define IOTLB_TAG_DID(t)  ((uint16_t)((t) >> IOTLB_TAG_DID_S))
#define IOTLB_TAG_CLASS(t) (((unsigned)((t) >> IOTLB_TAG_CLASS_S) & 3) - 1)
#define IOTLB_VAL_ADDR    0x000ffffffffff000ull
#define IOTLB_VAL_STAMP   0xfff0000000000780ull
#define IOTLB_VAL_DATA    0x7full      /* perm and flags */
#define IOTLB_SWEEP_AFTER 32768u       /* generations a domain may advance between sweeps */

static const unsigned iotlb_class_order[3] = { 0, 9, 18 };

/* Page numbers keep input-address bits 56:12.  First-stage addresses are
 * canonical (sign-extended) for 4 or 5 levels, so bits 63:57 of any
 * cacheable address copy bit 56; an address that does not is never cached
 * (it walks, and the walk finds its fault).  iotlb_unfold() undoes
 * iotlb_fold(). */
static inline bool iotlb_cacheable(uint64_t addr)
{
	uint64_t top = addr >> 56;
	return top == 0 || top == 0xff;
}

static inline uint64_t iotlb_fold(uint64_t addr)
{
	return addr & ((1ull << 57) - 1);
}

/* The page number of addr in size class c (of a cacheable address). */
static inline uint64_t iotlb_pn(uint64_t addr, unsigned c)
{
	return iotlb_fold(addr) >> (12 + iotlb_class_order[c]);
}

static inline uint64_t iotlb_unfold(uint64_t a)
{
	return (a & (1ull << 56)) ? a | ~((1ull << 57) - 1) : a;
}

static inline uint64_t iotlb_stamp_bits(uint16_t g)
{
	return ((uint64_t)(g >> 4) << 52) | ((uint64_t)(g & 0xf) << 7);
}

static inline uint16_t iotlb_val_stamp(uint64_t v)
{
	return (uint16_t)(((v >> 52) << 4) | ((v >> 7) & 0xf));
}

static inline uint64_t iotlb_tag(uint16_t did, bool tagged, unsigned cls, uint64_t pn)
{
	return ((uint64_t)tagged << 63) | ((uint64_t)(cls + 1) << IOTLB_TAG_CLASS_S) |
	       ((uint64_t)did << IOTLB_TAG_DID_S) | (pn & IOTLB_TAG_PN_MASK);
}

static inline uint32_t iotlb_way_pasid(uint64_t pasids, unsigned w)
{
	return (uint32_t)(pasids >> (20 * w)) & 0xfffff;
}

/* Fibonacci hashing: consecutive pages of a domain land in well spread
 * buckets; the range reduction takes the high bits (no power of two). */
static inline uint32_t iotlb_bucket(const struct vtd_iotlb *t, uint64_t tag, uint32_t pasid)
{
	uint64_t h = (tag ^ ((uint64_t)pasid << 24)) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(((h >> 32) * t->nbuckets) >> 32);
}


/* The value of the way holding (tag, pasid) in bucket b, lock-free.  With
 * lock_fallback false (the translation fast path), a bucket that keeps
 * changing is reported as a miss instead: the general path then looks
 * again, under the lock if need be, and the fast path makes no call (so
 * it needs no stack frame). */
__attribute__((always_inline))
static inline bool iotlb_probe(struct vtd_iotlb *t, struct vtd_iotlb_bucket *b, uint64_t tag,
			       uint32_t pasid, uint64_t *v, bool lock_fallback)
{
	/* the fast path (no lock fallback) looks once: a bucket being
	 * written is a miss there, and the walk decides */
	for (int attempt = 0; attempt < (lock_fallback ? 64 : 1); attempt++) {
		uint32_t s1 = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		bool found = false;
#pragma GCC unroll 4
		for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++) {
			/* an untagged entry's PASID field is 0: for untagged
			 * keys (constant in the hit path) the tag decides */
			if (__atomic_load_n(&b->tag[w], __ATOMIC_ACQUIRE) != tag ||
			    ((tag & IOTLB_TAG_T) &&
			     iotlb_way_pasid(__atomic_load_n(&b->pasids, __ATOMIC_ACQUIRE), w) != pasid))
				continue;
			*v = __atomic_load_n(&b->val[w], __ATOMIC_ACQUIRE);
			found = true;
			break;
		}
		if (__atomic_load_n(&b->seq, __ATOMIC_RELAXED) == s1)
			return found;
	}
	if (!lock_fallback)
		return false;
	/* constant churn on this bucket: look under the lock once (through a
	 * copy: v itself stays in a register on the path above) */
	uint64_t locked;
	bool found = vtd_iotlb_probe_locked(t, b, tag, pasid, &locked);
	if (found)
		*v = locked;
	return found;
}

/* Look for the page of addr in size class c; with a constant c (and
 * constant tagged/pasid) this folds into a short straight line. */
__attribute__((always_inline))
static inline bool iotlb_find_class(struct vtd_iotlb *t, uint16_t did, bool tagged, uint32_t pasid,
				    uint64_t addr, unsigned c,
				    struct vtd_iotlb_val *out, bool lock_fallback)
{
	uint64_t tag = iotlb_tag(did, tagged, c, iotlb_pn(addr, c));
	uint32_t p = tagged ? pasid & 0xfffff : 0;
	uint32_t i = iotlb_bucket(t, tag, p);
	uint64_t v;
	if ((iotlb_probe(t, &t->b[i], tag, p, &v, lock_fallback) ||
	     iotlb_probe(t, &t->b[i ^ 1], tag, p, &v, lock_fallback)) &&
	    /* the domain's generation is read once a way matched: a miss
	     * does not need it */
	    (v & IOTLB_VAL_STAMP) == __atomic_load_n(&t->dstamp[did], __ATOMIC_ACQUIRE)) {
		out->v0 = (v & IOTLB_VAL_ADDR) | (v & 3);
		out->v1 = (uint32_t)((v & IOTLB_VAL_DATA) >> 2);
		out->order = iotlb_class_order[c];
		return true;
	}
	return false;
}

/* Lock-free lookup at every page size that has entries (not counted);
 * lock_fallback: see iotlb_probe. */
__attribute__((always_inline))
static inline bool vtd_iotlb_find(struct vtd_iotlb *t, uint16_t did, bool tagged, uint32_t pasid,
		      uint64_t addr, struct vtd_iotlb_val *out, bool lock_fallback)
{
	if (!iotlb_cacheable(addr))
		return false;
	uint32_t m = __atomic_load_n(&t->class_mask, __ATOMIC_RELAXED) & 7;
	/* the common case, 4 KiB entries only: one probe, constants folded */
	if (m == 1)
		return iotlb_find_class(t, did, tagged, pasid, addr, 0, out, lock_fallback);
	/* the size classes that have entries, smallest first */
	for (; m; m &= m - 1)
		if (iotlb_find_class(t, did, tagged, pasid, addr, (unsigned)__builtin_ctz(m), out,
				     lock_fallback))
			return true;
	return false;
}

/* Start loading the buckets a lookup or page-selective invalidation of
 * addr will read (a hint: nothing is read or written).  The queued
 * invalidation loop issues it a few descriptors ahead, so that the
 * buckets of a large table, out of cache, arrive while earlier
 * descriptors run instead of one after the other. */
static inline void vtd_iotlb_prefetch(struct vtd_iotlb *t, uint16_t did, bool tagged, uint32_t pasid,
				      uint64_t addr)
{
	if (!iotlb_cacheable(addr))
		return;
	for (uint32_t m = __atomic_load_n(&t->class_mask, __ATOMIC_RELAXED) & 7; m; m &= m - 1) {
		unsigned c = (unsigned)__builtin_ctz(m);
		uint64_t tag = iotlb_tag(did, tagged, c, iotlb_pn(addr, c));
		uint32_t i = iotlb_bucket(t, tag, tagged ? pasid & 0xfffff : 0);
		__builtin_prefetch(&t->b[i & ~1u], 1);
		__builtin_prefetch(&t->b[i | 1u], 1);
	}
}

/* The same, counting the hit or miss. */
static inline bool vtd_iotlb_lookup(struct vtd_iotlb *t, uint16_t did, bool tagged, uint32_t pasid,
				    uint64_t addr, struct vtd_iotlb_val *out)
{
	bool hit = vtd_iotlb_find(t, did, tagged, pasid, addr, out, true);
	vtd_count(hit ? &t->hits : &t->misses);
	return hit;
}

/* Insert or replace; skipped when *gen no longer equals gen0 (an
 * invalidation ran since the caller read the tables). */
void vtd_iotlb_insert(struct vtd_iotlb *t, uint16_t did, bool tagged, uint32_t pasid,
		      uint64_t addr, unsigned order, uint64_t v0, uint32_t v1, const uint64_t *gen,
		      uint64_t gen0);
/* Invalidations; each returns how many live entries it dropped. */
uint64_t vtd_iotlb_inval_all(struct vtd_iotlb *t);
uint64_t vtd_iotlb_inval_domain(struct vtd_iotlb *t, uint16_t did);
/* Entries of a domain overlapping [lo, hi]: with pasid_only, the entries
 * tagged with that PASID; otherwise every entry of the domain, tagged or
 * not (a legacy-format request covers both, as QEMU does). */
uint64_t vtd_iotlb_inval_range(struct vtd_iotlb *t, uint16_t did, bool pasid_only,
			       uint32_t pasid, uint64_t lo, uint64_t hi);

/* ---- context cache ----------------------------------------------------------
 *
 * One slot per source id (allocated per bus on first use), read without a
 * lock under the slot's sequence count, written under cc->lock.  A global
 * invalidation moves cc->gen, which drops every slot at once.
 */
struct vtd_cc_slot {
	uint32_t seq;                 /* odd while being written */
	uint32_t gen;                 /* valid while equal to the cache's gen */
	uint64_t fast;                /* gen << 32 | what the IOTLB hit path needs (VTD_CCF_*) */
	uint64_t walk;                /* what its miss path needs (VTD_CCW_*), or 0 */
	uint64_t walk2;               /* with VTD_CCW_NESTED: the second stage's walk word */
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
#define VTD_CCF_SRE 4u  /* PASID-tagged (vtd_pf_get): supervisor requests allowed */

/* The slot's walk word, next to a VTD_CCF_SS fast word whose second stage
 * needs nothing but a walk (legacy mode; scalable mode without SSADE), or
 * a VTD_CCF_FS one (a first stage, or a nested one over a second stage
 * without SSADE: VTD_CCW_NESTED, and the slot's walk2 is the second
 * stage's word, as for VTD_CCF_SS): the table's address
 * (51:12), the width of the inputs it takes (bits 10:4; second stage:
 * min(12 + 9 x levels, the unit's AW), first stage: 12 + 9 x levels,
 * canonical), the levels (2:0) and, for a first stage, VTD_CCW_EAFE,
 * VTD_CCW_NOSNOOP and VTD_CCW_WPE.  The IOTLB miss of such a device then
 * walks from here, without the root, context and PASID entries
 * (translate.c, fast_miss and fast_miss_fs). */
#define VTD_CCW_LEVELS(w) ((unsigned)(w) & 7)
#define VTD_CCW_EAFE      (1ull << 3)   /* first stage: EAFE (A sets EA too) */
#define VTD_CCW_NOSNOOP   (1ull << 11)  /* first stage: no A/D update can be made */
#define VTD_CCW_NESTED    (1ull << 62)  /* first stage: nested (walk2 is the second stage) */
#define VTD_CCW_WPE       (1ull << 63)  /* first stage: WPE (for the IOTLB entry) */
#define VTD_CCW_WIDTH(w)  ((unsigned)((w) >> 4) & 0x7f)
#define VTD_CCW_TABLE(w)  ((w) & 0x000ffffffffff000ull)
static inline uint64_t vtd_ccw(uint64_t table, unsigned width, unsigned levels)
{
	return (table & 0x000ffffffffff000ull) | (uint64_t)(width & 0x7f) << 4 | (levels & 7);
}

/*
 * The same words for requests with a PASID, which the device's slot
 * cannot hold (one slot, many PASIDs): a direct-mapped table of
 * VTD_PF_SLOTS slots, each holding the last (source id, PASID) that hashed
 * to it, read without a lock under its sequence count.  A slot is valid
 * while its gen equals the cache's pgen, which every context-cache
 * invalidation and vtd_cc_clear_fast (the PASID cache's) move: these are
 * rare, and the table refills from the general path.
 */
#define VTD_PF_SLOTS 512u
struct vtd_pf_slot {
	uint32_t seq;                 /* odd while being written */
	uint32_t gen;                 /* valid while equal to the cache's pgen */
	uint64_t key;                 /* 1 << 63 | sid << 20 | PASID */
	uint64_t fast;                /* VTD_CCF_* (SRE included) and the DID in 31:16 */
	uint64_t walk, walk2;         /* as a context slot's */
};

struct vtd_cc {
	struct vtd_cc_slot *bus[256];
	struct vtd_pf_slot *pf;       /* VTD_PF_SLOTS */
	pthread_mutex_t lock;
	uint32_t gen;
	uint32_t pgen;                /* the PASID-tagged slots' generation */
	struct vtd_counter hits, misses;
	uint64_t invalidated;
};

int vtd_cc_init(struct vtd_cc *cc);
void vtd_cc_destroy(struct vtd_cc *cc);
/* Lock-free lookup: the entry of sid while its slot is valid. */
bool vtd_cc_lookup(struct vtd_cc *cc, uint16_t sid, uint64_t ce[4]);
/* Insert, unless an invalidation moved *inval_gen since the caller read
 * gen0 (what it read may be stale). */
void vtd_cc_insert(struct vtd_cc *cc, uint16_t sid, const uint64_t ce[4],
		   const uint64_t *inval_gen, uint64_t gen0, uint32_t fast, uint64_t walk);
/* Set the fast and walk words of a valid slot, with the same condition. */
void vtd_cc_set_fast(struct vtd_cc *cc, uint16_t sid, uint32_t fast, uint64_t walk,
		     uint64_t walk2, const uint64_t *inval_gen, uint64_t gen0);
/* Clear every slot's fast word, and every PASID-tagged slot (the PASID
 * entries behind them changed). */
void vtd_cc_clear_fast(struct vtd_cc *cc);
/* Set the PASID-tagged slot of (sid, pasid), with vtd_cc_set_fast's
 * condition. */
void vtd_pf_set(struct vtd_cc *cc, uint16_t sid, uint32_t pasid, uint32_t fast, uint64_t walk,
		uint64_t walk2, const uint64_t *inval_gen, uint64_t gen0);
/* Drop every slot; the slots of one domain (legacy entries' DID); the
 * slots of sid's device and of the functions FM masks (spec 6.5.1.1). */
void vtd_cc_inval_all(struct vtd_cc *cc);
void vtd_cc_inval_domain(struct vtd_cc *cc, uint16_t did);
void vtd_cc_inval_devices(struct vtd_cc *cc, uint16_t sid, unsigned fm);
/* The slot's fast word (VTD_CCF_*) while it is valid, else 0. */
static inline uint32_t vtd_cc_fast(struct vtd_cc *cc, uint16_t sid)
{
	struct vtd_cc_slot *bus = __atomic_load_n(&cc->bus[sid >> 8], __ATOMIC_ACQUIRE);
	if (!bus)
		return 0;
	uint64_t f = __atomic_load_n(&bus[sid & 0xff].fast, __ATOMIC_ACQUIRE);
	if ((uint32_t)(f >> 32) != __atomic_load_n(&cc->gen, __ATOMIC_ACQUIRE))
		return 0;
	return (uint32_t)f;
}

/* The walk word of sid's slot, read with its fast word (and into *walk2,
 * unless NULL, the second one) under the slot's sequence count: 0 unless
 * that fast word is still f and valid. */
static inline uint64_t vtd_cc_walk(struct vtd_cc *cc, uint16_t sid, uint32_t f, uint64_t *walk2)
{
	struct vtd_cc_slot *bus = __atomic_load_n(&cc->bus[sid >> 8], __ATOMIC_ACQUIRE);
	if (!bus)
		return 0;
	struct vtd_cc_slot *sl = &bus[sid & 0xff];
	uint32_t s1 = __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE);
	uint64_t w = __atomic_load_n(&sl->walk, __ATOMIC_ACQUIRE);
	if (walk2)
		*walk2 = __atomic_load_n(&sl->walk2, __ATOMIC_ACQUIRE);
	uint64_t fw = __atomic_load_n(&sl->fast, __ATOMIC_ACQUIRE);
	if ((s1 & 1) || __atomic_load_n(&sl->seq, __ATOMIC_RELAXED) != s1 || (uint32_t)fw != f ||
	    (uint32_t)(fw >> 32) != __atomic_load_n(&cc->gen, __ATOMIC_ACQUIRE))
		return 0;
	return w;
}

static inline uint64_t vtd_pf_key(uint16_t sid, uint32_t pasid)
{
	return 1ull << 63 | (uint64_t)sid << 20 | (pasid & 0xfffff);
}
static inline unsigned vtd_pf_index(uint64_t key)
{
	return (unsigned)((key * 0x9e3779b97f4a7c15ull) >> 55); /* 9 bits: VTD_PF_SLOTS */
}

/* The fast word (VTD_CCF_*, the DID in 31:16) of requests with PASID
 * `pasid` (20 bits) from sid, with its walk words, read under the slot's
 * sequence count; 0 when the table holds none valid. */
static inline uint32_t vtd_pf_get(struct vtd_cc *cc, uint16_t sid, uint32_t pasid,
				  uint64_t *walk, uint64_t *walk2)
{
	uint64_t key = vtd_pf_key(sid, pasid);
	const struct vtd_pf_slot *e = &cc->pf[vtd_pf_index(key)];
	uint32_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
	uint64_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
	uint32_t g = __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE);
	uint64_t f = __atomic_load_n(&e->fast, __ATOMIC_ACQUIRE);
	*walk = __atomic_load_n(&e->walk, __ATOMIC_ACQUIRE);
	*walk2 = __atomic_load_n(&e->walk2, __ATOMIC_ACQUIRE);
	if ((s1 & 1) || __atomic_load_n(&e->seq, __ATOMIC_RELAXED) != s1 || k != key ||
	    g != __atomic_load_n(&cc->pgen, __ATOMIC_ACQUIRE))
		return 0;
	return (uint32_t)f;
}

/* The IOTLB key, inline because every translation computes it: it tags
 * the domain (and PASID for first-stage and nested entries). */
static inline uint64_t vtd_iotlb_k0(uint16_t did, bool tagged, uint32_t pasid)
{
	return (1ull << 63) | ((uint64_t)tagged << 40) | ((uint64_t)(pasid & 0xfffff) << 16) | did;
}

#endif
