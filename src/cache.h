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
 * cores (measured: 3x slower hits with two threads).
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
static inline void vtd_count(struct vtd_counter *c)
{
	unsigned slot = vtd_tls_slot;
	if (__builtin_expect(slot < VTD_COUNTER_SLOTS, 1)) {
		/* the only writer: a plain increment (no locked instruction on
		 * the hit path); readers see whole 64-bit words */
		uint64_t v = __atomic_load_n(&c->slot[slot].v, __ATOMIC_RELAXED);
		__atomic_store_n(&c->slot[slot].v, v + 1, __ATOMIC_RELAXED);
		return;
	}
	vtd_count_slow(c);
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
	uint32_t *dhead;             /* per domain id */
	uint32_t free_head;          /* free list through .next */
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
 * reads a bucket head, then a pool entry: two dependent misses).  An
 * entry is 16 bytes in the line plus its PASID in the bucket header:
 *
 *   tag: V(63) T(62, PASID-tagged) class(61:60) DID(59:44) page number(43:0)
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
#define VTD_IOTLB_PN_BITS 44         /* address bits 55:12 (see fold() in cache.c) */

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
	uint32_t tagged;             /* occupied ways with a PASID tag (a hint) */
	uint16_t *dgen;              /* per domain id: current generation */
	/* written under the lock */
	_Alignas(64) pthread_mutex_t lock;
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
/* Lock-free lookup at every page size that has entries; counts the hit or
 * miss. */
bool vtd_iotlb_lookup(struct vtd_iotlb *t, uint16_t did, bool tagged, uint32_t pasid,
		      uint64_t addr, struct vtd_iotlb_val *out);
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

#endif
