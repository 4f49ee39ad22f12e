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
struct vtd_counter {
	struct {
		uint64_t v;
		char pad[56];
	} slot[VTD_COUNTER_SLOTS + 1];  /* the last one: shared, atomic */
};
/* initial-exec TLS: a plain %fs-relative load, no __tls_get_addr call.
 * Values below VTD_COUNTER_SLOTS: this thread is the only writer of that
 * slot; VTD_COUNTER_SLOTS: one of the later threads, which share the last
 * slot with atomic increments; ~0u: not assigned yet. */
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

#endif
