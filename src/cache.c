/* SPDX-License-Identifier: MIT */
/* Translation caches: see cache.h for the design and memory model. */
#include "cache.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Sequence-count protocol without fences (which TSan cannot model):
 * writers store data with release after making the count odd, readers
 * load data with acquire, so a reader that saw any new data also sees the
 * odd count when it checks again (free on x86). */
#define LD(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

_Thread_local unsigned vtd_tls_slot __attribute__((tls_model("initial-exec"))) = ~0u;

/* A thread that counts owns a slot while it lives: at most
 * VTD_COUNTER_SLOTS threads at once do, later ones share the last slot
 * with atomic increments.  A thread's exit gives its slot back (a
 * pthread key destructor), so a program that keeps creating threads keeps
 * finding free slots (doc/performance.md, "Design choices measured").  The
 * slot's value stays: the next owner goes on from it, after the mutex
 * that handed the slot over ordered the old owner's last store. */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t slot_owned;   /* bit per slot, under slot_lock */
static pthread_key_t slot_key;
static bool slot_key_ok;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;

static void slot_release(void *p)
{
	unsigned slot = (unsigned)(uintptr_t)p - 1;
	pthread_mutex_lock(&slot_lock);
	slot_owned &= ~(1u << slot);
	pthread_mutex_unlock(&slot_lock);
}

static void slot_key_init(void)
{
	slot_key_ok = pthread_key_create(&slot_key, slot_release) == 0;
}

void vtd_count_slow(struct vtd_counter *c)
{
	if (vtd_tls_slot == ~0u) {
		pthread_once(&slot_once, slot_key_init);
		unsigned n = VTD_COUNTER_SLOTS;
		pthread_mutex_lock(&slot_lock);
		if (slot_key_ok && ~slot_owned & ((1u << VTD_COUNTER_SLOTS) - 1)) {
			n = (unsigned)__builtin_ctz(~slot_owned);
			if (pthread_setspecific(slot_key, (void *)(uintptr_t)(n + 1)) == 0)
				slot_owned |= 1u << n;
			else
				n = VTD_COUNTER_SLOTS;
		}
		pthread_mutex_unlock(&slot_lock);
		vtd_tls_slot = n;
		if (n < VTD_COUNTER_SLOTS) {
			vtd_count(c);
			return;
		}
	}
	__atomic_fetch_add(&c->slot[VTD_COUNTER_SLOTS].v, 1, __ATOMIC_RELAXED);
}

int vtd_count_slow_ok(struct vtd_counter *c)
{
	vtd_count_slow(c);
	return 0;
}

static inline uint64_t mix(uint64_t k0, uint64_t k1)
{
	/* splitmix-style finaliser: cheap and spreads page numbers well */
	uint64_t h = k0 * 0x9e3779b97f4a7c15ull ^ k1;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h;
}

/*
 * A table's storage (entry pool, buckets, the 65536 per-domain list heads)
 * is allocated by its first insert, not by vtd_ct_init: creating an
 * instance then costs no memory and no pass over it, and a cache that is
 * never filled (the interrupt entry cache without interrupt remapping, the
 * PASID cache in legacy mode) never costs anything.  Measured: this was
 * most of vtd_iommu_new's time, and so of a `vtd replay` of a short script
 * or a fuzz input.  The buckets pointer is published last with a release
 * store; a lock-free reader that loads it NULL (acquire) has a miss.
 *
 * The per-domain list heads are stored plus one, so that the zeroed array
 * means every list is empty.  dhead is only touched under the lock.
 */
static inline uint32_t dhead_get(const struct vtd_ctab *t, uint16_t did)
{
	return t->dhead ? t->dhead[did] - 1u : VTD_CT_NIL; /* 0 - 1 == VTD_CT_NIL */
}

static inline void dhead_set(struct vtd_ctab *t, uint16_t did, uint32_t idx)
{
	t->dhead[did] = idx + 1u; /* VTD_CT_NIL + 1 == 0 */
}

int vtd_ct_init(struct vtd_ctab *t, uint32_t capacity, uint32_t nval)
{
	memset(t, 0, sizeof(*t));
	if (capacity < 16)
		capacity = 16;
	if (capacity > (1u << 26))
		capacity = 1u << 26;
	if (nval > VTD_CT_MAXVAL)
		return -EINVAL;
	uint32_t nb = 16;
	while (nb < capacity)
		nb <<= 1;
	if (pthread_mutex_init(&t->lock, NULL))
		return -ENOMEM;
	t->capacity = capacity;
	t->nbuckets = nb;
	t->nval = nval;
	/* the free list runs through dnext (see remove_entry); entries never
	 * used yet are not on it but at and above t->fresh, so the (zeroed)
	 * pool needs no pass either */
	t->free_head = VTD_CT_NIL;
	t->fresh = 0;
	return 0;
}

/* Under the lock: the storage, allocated on first use; false when out of
 * memory (the caller then does not cache: always correct). */
static bool ct_storage(struct vtd_ctab *t)
{
	if (t->buckets)
		return true;
	struct vtd_ct_entry *pool = calloc(t->capacity, sizeof(*pool));
	uint32_t *dhead = calloc(65536, sizeof(*dhead));
	struct vtd_ct_bucket *b = calloc(t->nbuckets, sizeof(*b));
	if (!pool || !dhead || !b) {
		free(pool);
		free(dhead);
		free(b);
		return false;
	}
	for (uint32_t i = 0; i < t->nbuckets; i++)
		b[i].head = VTD_CT_NIL;
	t->pool = pool;
	t->dhead = dhead;
	__atomic_store_n(&t->buckets, b, __ATOMIC_RELEASE);
	return true;
}

void vtd_ct_destroy(struct vtd_ctab *t)
{
	if (!t->nbuckets)
		return; /* never initialised (or destroyed already) */
	pthread_mutex_destroy(&t->lock);
	free(t->pool);
	free(t->buckets);
	free(t->dhead);
	memset(t, 0, sizeof(*t));
}

bool vtd_ct_lookup(struct vtd_ctab *t, uint64_t k0, uint64_t k1, uint64_t *val, uint16_t *did)
{
	bool hit = vtd_ct_probe(t, k0, k1, val, did);
	vtd_count(hit ? &t->hits : &t->misses);
	return hit;
}

bool vtd_ct_probe(struct vtd_ctab *t, uint64_t k0, uint64_t k1, uint64_t *val, uint16_t *did)
{
	struct vtd_ct_bucket *buckets = __atomic_load_n(&t->buckets, __ATOMIC_ACQUIRE);
	if (!buckets)
		return false; /* nothing was ever inserted */
	struct vtd_ct_bucket *b = &buckets[mix(k0, k1) & (t->nbuckets - 1)];
	for (int attempt = 0; attempt < 64; attempt++) {
		uint32_t s1 = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		bool found = false;
		uint32_t idx = LD(b->head);
		/* a chain longer than the pool can only be a torn read */
		for (uint32_t steps = 0; idx != VTD_CT_NIL && steps <= t->capacity; steps++) {
			if (idx >= t->capacity)
				break;
			struct vtd_ct_entry *e = &t->pool[idx];
			if (LD(e->k0) == k0 && LD(e->k1) == k1) {
				for (uint32_t i = 0; i < t->nval; i++)
					val[i] = LD(e->v[i]);
				if (did)
					*did = LD(e->did);
				found = true;
				break;
			}
			idx = LD(e->next);
		}
		if (__atomic_load_n(&b->seq, __ATOMIC_RELAXED) == s1)
			return found;
	}
	/* constant churn on this bucket: take the lock once */
	pthread_mutex_lock(&t->lock);
	bool found = false;
	for (uint32_t idx = b->head; idx != VTD_CT_NIL; idx = t->pool[idx].next) {
		struct vtd_ct_entry *e = &t->pool[idx];
		if (e->k0 == k0 && e->k1 == k1) {
			for (uint32_t i = 0; i < t->nval; i++)
				val[i] = e->v[i];
			if (did)
				*did = e->did;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

static inline void bucket_begin(struct vtd_ct_bucket *b)
{
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELAXED);
}

static inline void bucket_end(struct vtd_ct_bucket *b)
{
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELEASE);
}

static unsigned order_slot(uint8_t order)
{
	return order >= 18 ? 2 : order >= 9 ? 1 : 0;
}

/* Unlink entry idx from its bucket and domain list; lock held. */
static void remove_entry(struct vtd_ctab *t, uint32_t idx)
{
	struct vtd_ct_entry *e = &t->pool[idx];
	struct vtd_ct_bucket *b = &t->buckets[mix(e->k0, e->k1) & (t->nbuckets - 1)];
	bucket_begin(b);
	uint32_t *pp = &b->head;
	while (*pp != VTD_CT_NIL && *pp != idx)
		pp = &t->pool[*pp].next;
	if (*pp == idx)
		ST(*pp, e->next);
	/* the key can never match again, even for a reader still on it */
	ST(e->k0, 0);
	bucket_end(b);
	if (e->dprev != VTD_CT_NIL)
		t->pool[e->dprev].dnext = e->dnext;
	else
		dhead_set(t, e->did, e->dnext);
	if (e->dnext != VTD_CT_NIL)
		t->pool[e->dnext].dprev = e->dprev;
	e->in_use = 0;
	/* counters read without the lock (stats, invalidation planning) */
	__atomic_fetch_sub(&t->tagged, e->tagged, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&t->order_count[order_slot(e->order)], 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&t->used, 1, __ATOMIC_RELAXED);
	/* freed entries keep their (dead) next pointer until reused; the
	 * free list uses dnext so a reader's chain walk is not diverted */
	e->dnext = t->free_head;
	t->free_head = idx;
}

void vtd_ct_insert(struct vtd_ctab *t, uint64_t k0, uint64_t k1, uint16_t did, uint8_t order,
		   bool tagged, const uint64_t *val, const uint64_t *gen, uint64_t gen0)
{
	pthread_mutex_lock(&t->lock);
	if (gen && __atomic_load_n(gen, __ATOMIC_ACQUIRE) != gen0) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	if (!ct_storage(t)) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	struct vtd_ct_bucket *b = &t->buckets[mix(k0, k1) & (t->nbuckets - 1)];
	for (uint32_t idx = b->head; idx != VTD_CT_NIL; idx = t->pool[idx].next) {
		struct vtd_ct_entry *e = &t->pool[idx];
		if (e->k0 == k0 && e->k1 == k1) {
			if (e->did == did) { /* another thread filled it: refresh */
				bucket_begin(b);
				for (uint32_t i = 0; i < t->nval; i++)
					ST(e->v[i], val[i]);
				bucket_end(b);
				pthread_mutex_unlock(&t->lock);
				return;
			}
			remove_entry(t, idx);
			break;
		}
	}
	if (t->free_head == VTD_CT_NIL && t->fresh == t->capacity) {
		/* full: evict one entry (FIFO clock), never flush everything */
		for (uint32_t n = 0; n < t->capacity; n++) {
			uint32_t victim = t->hand;
			t->hand = (t->hand + 1) % t->capacity;
			if (t->pool[victim].in_use) {
				remove_entry(t, victim);
				__atomic_fetch_add(&t->evictions, 1, __ATOMIC_RELAXED);
				break;
			}
		}
	}
	uint32_t idx = t->free_head;
	struct vtd_ct_entry *e;
	if (idx != VTD_CT_NIL) {
		e = &t->pool[idx];
		t->free_head = e->dnext;
	} else {
		idx = t->fresh++;
		e = &t->pool[idx];
	}
	/* fill before publishing: readers only reach it through the bucket */
	ST(e->k1, k1);
	for (uint32_t i = 0; i < t->nval; i++)
		ST(e->v[i], val[i]);
	ST(e->did, did);
	e->order = order;
	e->tagged = tagged;
	__atomic_fetch_add(&t->tagged, tagged, __ATOMIC_RELAXED);
	e->in_use = 1;
	bucket_begin(b);
	ST(e->next, b->head);
	ST(e->k0, k0);
	ST(b->head, idx);
	bucket_end(b);
	e->dprev = VTD_CT_NIL;
	e->dnext = dhead_get(t, did);
	if (e->dnext != VTD_CT_NIL)
		t->pool[e->dnext].dprev = idx;
	dhead_set(t, did, idx);
	__atomic_fetch_add(&t->order_count[order_slot(order)], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->used, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->inserts, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);
}

uint64_t vtd_ct_inval_all(struct vtd_ctab *t)
{
	pthread_mutex_lock(&t->lock);
	uint64_t n = 0;
	for (uint32_t i = 0; i < t->fresh && LD(t->used); i++)
		if (t->pool[i].in_use) {
			remove_entry(t, i);
			n++;
		}
	__atomic_fetch_add(&t->invalidated, n, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);
	return n;
}

uint64_t vtd_ct_inval_domain(struct vtd_ctab *t, uint16_t did, vtd_ct_match match,
			     const void *arg)
{
	pthread_mutex_lock(&t->lock);
	uint64_t n = 0;
	uint32_t idx = dhead_get(t, did);
	for (uint32_t guard = 0; idx != VTD_CT_NIL && guard < t->capacity; guard++) {
		uint32_t next = t->pool[idx].dnext;
		if (!match || match(&t->pool[idx], arg)) {
			remove_entry(t, idx);
			n++;
		}
		idx = next;
	}
	__atomic_fetch_add(&t->invalidated, n, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);
	return n;
}

uint64_t vtd_ct_inval_key(struct vtd_ctab *t, uint64_t k0, uint64_t k1)
{
	pthread_mutex_lock(&t->lock);
	uint64_t n = 0;
	struct vtd_ct_bucket *b = t->buckets ? &t->buckets[mix(k0, k1) & (t->nbuckets - 1)] : NULL;
	for (uint32_t idx = b ? b->head : VTD_CT_NIL; idx != VTD_CT_NIL; idx = t->pool[idx].next)
		if (t->pool[idx].k0 == k0 && t->pool[idx].k1 == k1) {
			remove_entry(t, idx);
			n++;
			break;
		}
	__atomic_fetch_add(&t->invalidated, n, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);
	return n;
}

uint32_t vtd_ct_domain_count(struct vtd_ctab *t, uint16_t did, uint32_t limit)
{
	pthread_mutex_lock(&t->lock);
	uint32_t n = 0;
	for (uint32_t idx = dhead_get(t, did); idx != VTD_CT_NIL && n <= limit; idx = t->pool[idx].dnext)
		n++;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* ---- IOTLB (see cache.h) --------------------------------------------------------- */

void vtd_spin_wait(struct vtd_spin *l)
{
	for (unsigned n = 0;; n++) {
		if (!__atomic_load_n(&l->v, __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE))
			return;
		if (n >= 64) {
			/* a holder off its CPU (or in a sweep): let it run */
			sched_yield();
			n = 0;
		}
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
}

int vtd_iotlb_init(struct vtd_iotlb *t, uint32_t entries)
{
	memset(t, 0, sizeof(*t));
	if (entries < VTD_IOTLB_WAYS)
		entries = VTD_IOTLB_WAYS;
	if (entries > (1u << 26))
		entries = 1u << 26;
	/* buckets in pairs (see vtd_iotlb_insert) */
	t->nbuckets = ((entries + VTD_IOTLB_WAYS - 1) / VTD_IOTLB_WAYS + 1) & ~1u;
	t->capacity = t->nbuckets * VTD_IOTLB_WAYS;
	size_t bytes = (size_t)t->nbuckets * sizeof(*t->b);
	/* A large table on 2 MiB pages: a random bucket then costs one
	 * memory access, not also a page walk of the host's tables. */
	size_t align = bytes >= (2u << 20) ? (2u << 20) : 64;
	void *b = NULL;
	if (posix_memalign(&b, align, bytes))
		b = NULL;
#ifdef MADV_HUGEPAGE
	if (b && align > 64)
		(void)madvise(b, bytes & ~(size_t)((2u << 20) - 1), MADV_HUGEPAGE);
#endif
	t->b = b;
	/* the per-domain arrays in one block (one allocation, zeroed lazily by
	 * the OS): dcount first, for its alignment */
	t->dcount = calloc(65536, sizeof(*t->dcount) + sizeof(*t->dstamp) + sizeof(*t->dswept));
	if (t->dcount) {
		/* (dcount's 256 KiB keep dstamp 8-byte aligned) */
		t->dstamp = (uint64_t *)(void *)(t->dcount + 65536);
		t->dswept = (uint16_t *)(void *)(t->dstamp + 65536);
	}
	if (!t->b || !t->dcount) {
		free(t->b);
		free(t->dcount);
		memset(t, 0, sizeof(*t));
		return -ENOMEM;
	}
	memset(t->b, 0, bytes);
	return 0;
}

void vtd_iotlb_destroy(struct vtd_iotlb *t)
{
	if (!t->b)
		return;
	free(t->b);
	free(t->dcount); /* with dstamp and dswept */
	memset(t, 0, sizeof(*t));
}

bool vtd_iotlb_probe_locked(struct vtd_iotlb *t, struct vtd_iotlb_bucket *b, uint64_t tag,
			    uint32_t pasid, uint64_t *v)
{
	vtd_spin_lock(&t->lock);
	bool found = false;
	for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++)
		if (b->tag[w] == tag && iotlb_way_pasid(b->pasids, w) == pasid) {
			*v = b->val[w];
			found = true;
			break;
		}
	vtd_spin_unlock(&t->lock);
	return found;
}

static inline void dcount_inc(struct vtd_iotlb *t, uint16_t did)
{
	if (!t->dcount[did]++)
		t->dused[did / 64] |= 1ull << (did % 64);
}

static inline void dcount_dec(struct vtd_iotlb *t, uint16_t did)
{
	if (!--t->dcount[did])
		t->dused[did / 64] &= ~(1ull << (did % 64));
}

/* Occupied ways of a size class, and the mask lookups read; lock held
 * (lookups read both without it: a stale hint only costs a miss). */
static inline void class_add(struct vtd_iotlb *t, unsigned cls, int d)
{
	uint32_t n = t->class_count[cls] + (uint32_t)d;
	__atomic_store_n(&t->class_count[cls], n, __ATOMIC_RELAXED);
	uint32_t m = n ? t->class_mask | (1u << cls) : t->class_mask & ~(1u << cls);
	__atomic_store_n(&t->class_mask, m, __ATOMIC_RELAXED);
}

static inline bool way_live(const struct vtd_iotlb *t, const struct vtd_iotlb_bucket *b, unsigned w)
{
	uint64_t tag = b->tag[w];
	return tag && (b->val[w] & IOTLB_VAL_STAMP) == t->dstamp[IOTLB_TAG_DID(tag)];
}

/* Empty way w of bucket b; lock held, the bucket's count odd.  A live
 * entry leaves the statistics as dropped by `why` (its counter). */
static inline void way_clear(struct vtd_iotlb *t, struct vtd_iotlb_bucket *b, unsigned w, uint64_t *why)
{
	uint64_t tag = b->tag[w];
	if (!tag)
		return;
	if (way_live(t, b, w)) {
		dcount_dec(t, IOTLB_TAG_DID(tag));
		__atomic_store_n(&t->used, t->used - 1, __ATOMIC_RELAXED);
		if (why)
			__atomic_store_n(why, *why + 1, __ATOMIC_RELAXED);
	}
	class_add(t, IOTLB_TAG_CLASS(tag), -1);
	if (tag & IOTLB_TAG_T)
		__atomic_fetch_sub(&t->tagged, 1, __ATOMIC_RELAXED);
	ST(b->tag[w], 0);
}

static inline void iotlb_begin(struct vtd_iotlb_bucket *b)
{
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELAXED);
}

static inline void iotlb_end(struct vtd_iotlb_bucket *b)
{
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELEASE);
}

/* The way of b holding (tag, pasid), or -1; *empty: its first empty way
 * (tag 0, which no live key has), or -1. */
static inline int way_match(const struct vtd_iotlb_bucket *b, uint64_t tag, uint32_t pasid,
			    int *empty)
{
	*empty = -1;
#pragma GCC unroll 3
	for (int i = 0; i < VTD_IOTLB_WAYS; i++) {
		uint64_t tg = b->tag[i];
		if (tg == tag && iotlb_way_pasid(b->pasids, (unsigned)i) == pasid)
			return i;
		if (!tg && *empty < 0)
			*empty = i;
	}
	return -1;
}

/* The first dead way of b, or -1. */
static inline int way_dead(const struct vtd_iotlb *t, const struct vtd_iotlb_bucket *b)
{
#pragma GCC unroll 3
	for (int i = 0; i < VTD_IOTLB_WAYS; i++)
		if (b->tag[i] && !way_live(t, b, (unsigned)i))
			return i;
	return -1;
}

/*
 * An entry lives in its home bucket or the other one of the pair
 * (adjacent lines: the second look is nearly free).  The insert takes the
 * way of the same key (live: refreshed; dead: reused), else an empty way,
 * else a dead way of home, else the next live way of home in turn.  A
 * table in churn (every miss evicts) is the common case under streaming
 * DMA, so the checks are ordered for it: dead ways are looked for only
 * in home, and replacing a live entry of the same domain and size class
 * leaves every count but two as it was.
 */
void vtd_iotlb_insert(struct vtd_iotlb *t, uint16_t did, bool tagged, uint32_t pasid,
		      uint64_t addr, unsigned order, uint64_t v0, uint32_t v1, const uint64_t *gen,
		      uint64_t gen0)
{
	unsigned cls = order >= 18 ? 2 : order >= 9 ? 1 : 0;
	if (!iotlb_cacheable(addr))
		return;
	pasid = tagged ? pasid & 0xfffff : 0;
	uint64_t tag = iotlb_tag(did, tagged, cls, iotlb_pn(addr, cls));
	uint32_t home = iotlb_bucket(t, tag, pasid);
	struct vtd_iotlb_bucket *b = &t->b[home];
	vtd_spin_lock(&t->lock);
	if (gen && __atomic_load_n(gen, __ATOMIC_ACQUIRE) != gen0) {
		vtd_spin_unlock(&t->lock);
		return;
	}
	uint64_t val = (v0 & IOTLB_VAL_ADDR) | (v0 & 3) | (((uint64_t)v1 << 2) & IOTLB_VAL_DATA & ~3ull) |
		       t->dstamp[did];
	/* a key is in one way of the pair at most: both are searched for it
	 * before an empty way is taken; an IOTLB with no occupied way (as
	 * after a strict unmap's invalidation) needs no search */
	struct vtd_iotlb_bucket *other = &t->b[home ^ 1];
	int e0, e1, w = -1;
	if (!(t->class_mask & 7))
		w = 0;
	else if ((w = way_match(b, tag, pasid, &e0)) < 0) {
		if ((w = way_match(other, tag, pasid, &e1)) >= 0)
			b = other;
		else if (e0 >= 0)
			w = e0;
		else if (e1 >= 0)
			b = other, w = e1;
		else
			w = way_dead(t, b);
	}
	iotlb_begin(b);
	if (w < 0) {
		w = b->hand % VTD_IOTLB_WAYS;
		b->hand = (uint8_t)((w + 1) % VTD_IOTLB_WAYS);
		uint64_t old = b->tag[w];
		/* (a way of a full bucket is live: dead ones went first) */
		if ((old >> IOTLB_TAG_DID_S) == (tag >> IOTLB_TAG_DID_S) && way_live(t, b, (unsigned)w)) {
			/* same domain, class and tagging: the counts stay */
			ST(b->pasids, (b->pasids & ~(0xfffffull << (20 * w))) |
					      ((uint64_t)pasid << (20 * w)));
			ST(b->val[w], val);
			ST(b->tag[w], tag);
			iotlb_end(b);
			__atomic_store_n(&t->evictions, t->evictions + 1, __ATOMIC_RELAXED);
			__atomic_store_n(&t->inserts, t->inserts + 1, __ATOMIC_RELAXED);
			vtd_spin_unlock(&t->lock);
			return;
		}
		way_clear(t, b, (unsigned)w, &t->evictions);
	} else if (b->tag[w] == tag && way_live(t, b, (unsigned)w)) {
		ST(b->val[w], val);
		iotlb_end(b);
		vtd_spin_unlock(&t->lock);
		return;
	} else {
		way_clear(t, b, (unsigned)w, NULL); /* empty or dead: nothing to count */
	}
	uint64_t pm = 0xfffffull << (20 * w);
	ST(b->pasids, (b->pasids & ~pm) | ((uint64_t)pasid << (20 * w)));
	ST(b->val[w], val);
	ST(b->tag[w], tag);
	iotlb_end(b);
	dcount_inc(t, did);
	class_add(t, cls, 1);
	if (tagged)
		__atomic_fetch_add(&t->tagged, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&t->used, t->used + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&t->inserts, t->inserts + 1, __ATOMIC_RELAXED);
	vtd_spin_unlock(&t->lock);
}

/* Clear every dead way, so that no stamp older than the current
 * generation of its domain survives; lock held. */
static void iotlb_sweep(struct vtd_iotlb *t)
{
	for (uint32_t i = 0; i < t->nbuckets; i++) {
		struct vtd_iotlb_bucket *b = &t->b[i];
		bool open = false;
		for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++) {
			if (!b->tag[w] || way_live(t, b, w))
				continue;
			if (!open) {
				iotlb_begin(b);
				open = true;
			}
			way_clear(t, b, w, NULL);
		}
		if (open)
			iotlb_end(b);
	}
	for (uint32_t d = 0; d < 65536; d++)
		t->dswept[d] = iotlb_val_stamp(t->dstamp[d]);
	__atomic_store_n(&t->sweeps, t->sweeps + 1, __ATOMIC_RELAXED);
}

/* Drop a domain's live entries at once; true when a sweep is due.  Dead
 * entries carry stamps in [dswept, the generation); sweeping once the distance
 * reaches half the stamp space keeps the next generation off all of
 * them. */
static bool iotlb_bump(struct vtd_iotlb *t, uint16_t did)
{
	uint64_t n = t->dcount[did];
	t->dcount[did] = 0;
	t->dused[did / 64] &= ~(1ull << (did % 64));
	__atomic_store_n(&t->used, t->used - n, __ATOMIC_RELAXED);
	__atomic_store_n(&t->invalidated, t->invalidated + n, __ATOMIC_RELAXED);
	uint16_t g = (uint16_t)(iotlb_val_stamp(t->dstamp[did]) + 1);
	__atomic_store_n(&t->dstamp[did], iotlb_stamp_bits(g), __ATOMIC_RELEASE);
	return (uint16_t)(g - t->dswept[did]) >= IOTLB_SWEEP_AFTER;
}

uint64_t vtd_iotlb_inval_domain(struct vtd_iotlb *t, uint16_t did)
{
	vtd_spin_lock(&t->lock);
	uint64_t n = t->dcount[did];
	if (n && iotlb_bump(t, did))
		iotlb_sweep(t);
	vtd_spin_unlock(&t->lock);
	return n;
}

uint64_t vtd_iotlb_inval_all(struct vtd_iotlb *t)
{
	vtd_spin_lock(&t->lock);
	uint64_t n = t->used;
	if (t->nbuckets <= 8192) {
		/* a small table: clearing it is as cheap as bumping 65536
		 * generations, and leaves the size-class hints exact */
		for (uint32_t i = 0; i < t->nbuckets; i++) {
			struct vtd_iotlb_bucket *b = &t->b[i];
			if (!(b->tag[0] | b->tag[1] | b->tag[2]))
				continue;
			iotlb_begin(b);
			for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++)
				way_clear(t, b, w, &t->invalidated);
			iotlb_end(b);
		}
	} else {
		/* only the domains with live entries need a new generation */
		bool sweep = false;
		for (unsigned i = 0; i < 65536 / 64; i++)
			while (t->dused[i])
				sweep |= iotlb_bump(t, (uint16_t)(i * 64 + (unsigned)__builtin_ctzll(t->dused[i])));
		if (sweep)
			iotlb_sweep(t);
	}
	vtd_spin_unlock(&t->lock);
	return n;
}

static bool way_in_range(const struct vtd_iotlb_bucket *b, unsigned w, uint64_t lo, uint64_t hi)
{
	uint64_t tag = b->tag[w];
	unsigned o = iotlb_class_order[IOTLB_TAG_CLASS(tag)];
	uint64_t base = iotlb_unfold((tag & IOTLB_TAG_PN_MASK) << (12 + o));
	uint64_t last = base + ((1ull << (12 + o)) - 1);
	return base <= hi && last >= lo;
}

/* The way of b that holds tag for pasid, or -1. */
static inline int way_of(const struct vtd_iotlb_bucket *b, uint64_t tag, uint32_t pasid)
{
#pragma GCC unroll 3
	for (int i = 0; i < VTD_IOTLB_WAYS; i++)
		if (b->tag[i] == tag && iotlb_way_pasid(b->pasids, (unsigned)i) == pasid)
			return i;
	return -1;
}

uint64_t vtd_iotlb_inval_range(struct vtd_iotlb *t, uint16_t did, bool pasid_only,
			       uint32_t pasid, uint64_t lo, uint64_t hi)
{
	vtd_spin_lock(&t->lock);
	uint64_t before = t->invalidated;
	if (!t->dcount[did])
		goto out;
	/* A request without a PASID covers every first-stage and nested entry
	 * of the domain, whatever the address: VT-d spec 6.5.2.3 (IOTLB
	 * Invalidate Descriptor, page-selective-within-domain), as QEMU 10.0
	 * reads it in vtd_hash_remove_by_page().  Those entries are the
	 * PASID-tagged ones; `tagged` counts them (an overestimate: dead ways
	 * too), and when there may be any the domain goes at once, its
	 * second-stage entries with it, which an invalidation may always do. */
	if (!pasid_only && ((lo == 0 && hi == ~0ull) || t->tagged)) {
		if (iotlb_bump(t, did))
			iotlb_sweep(t);
		goto out;
	}
	pasid &= 0xfffff;
	/* probe the exact keys when there are few, else look at every way;
	 * a legacy-format request also covers PASID-tagged entries, whose
	 * PASIDs it does not name: those can only be found by looking */
	uint64_t probes = 0;
	uint32_t classes = t->class_mask & 7;
	for (uint32_t m = classes; m; m &= m - 1) {
		unsigned o = iotlb_class_order[__builtin_ctz(m)];
		probes += (hi >> (12 + o)) - (lo >> (12 + o)) + 1;
	}
	bool probe = iotlb_cacheable(lo) && iotlb_cacheable(hi) && iotlb_fold(lo) <= iotlb_fold(hi);
	if (probe && probes <= t->nbuckets / 8 + 16 && (pasid_only || !t->tagged)) {
		for (uint32_t m = classes; m; m &= m - 1) {
			unsigned c = (unsigned)__builtin_ctz(m);
			uint64_t first = iotlb_pn(lo, c), last = iotlb_pn(hi, c);
			for (uint64_t pn = first; pn <= last; pn++) {
				uint64_t tag = iotlb_tag(did, pasid_only, c, pn);
				uint32_t p = pasid_only ? pasid : 0;
				uint32_t home = iotlb_bucket(t, tag, p);
				int i;
				struct vtd_iotlb_bucket *b = &t->b[home];
				if ((i = way_of(b, tag, p)) < 0)
					i = way_of(b = &t->b[home ^ 1], tag, p);
				if (i >= 0 && way_live(t, b, (unsigned)i)) {
					iotlb_begin(b);
					way_clear(t, b, (unsigned)i, &t->invalidated);
					iotlb_end(b);
				}
			}
		}
		goto out;
	}
	for (uint32_t i = 0; i < t->nbuckets && t->dcount[did]; i++) {
		struct vtd_iotlb_bucket *b = &t->b[i];
		for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++) {
			uint64_t tag = b->tag[w];
			if (!tag || IOTLB_TAG_DID(tag) != did || !way_live(t, b, w))
				continue;
			if (pasid_only && (!(tag & IOTLB_TAG_T) || iotlb_way_pasid(b->pasids, w) != pasid))
				continue;
			if (!way_in_range(b, w, lo, hi))
				continue;
			iotlb_begin(b);
			way_clear(t, b, w, &t->invalidated);
			iotlb_end(b);
		}
	}
out:;
	uint64_t n = t->invalidated - before;
	vtd_spin_unlock(&t->lock);
	return n;
}

/* ---- context cache ------------------------------------------------------- */

int vtd_cc_init(struct vtd_cc *cc)
{
	memset(cc, 0, sizeof(*cc));
	int r = pthread_mutex_init(&cc->lock, NULL);
	if (r)
		return -r;
	cc->gen = 1; /* never 0 again: a slot of generation 0 is empty */
	cc->pgen = 1;
	cc->pf = calloc(VTD_PF_SLOTS, sizeof(*cc->pf));
	if (!cc->pf) {
		pthread_mutex_destroy(&cc->lock);
		cc->gen = 0;
		return -ENOMEM;
	}
	return 0;
}

/* Every PASID-tagged slot dropped at once (under cc->lock). */
static void pf_drop(struct vtd_cc *cc)
{
	uint32_t next = cc->pgen + 1;
	__atomic_store_n(&cc->pgen, next ? next : 1, __ATOMIC_RELEASE);
}

void vtd_pf_set(struct vtd_cc *cc, uint16_t sid, uint32_t pasid, uint32_t fast, uint64_t walk,
		uint64_t walk2, const uint64_t *inval_gen, uint64_t gen0)
{
	uint64_t key = vtd_pf_key(sid, pasid);
	struct vtd_pf_slot *e = &cc->pf[vtd_pf_index(key)];
	pthread_mutex_lock(&cc->lock);
	if (__atomic_load_n(inval_gen, __ATOMIC_ACQUIRE) == gen0) {
		__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
		ST(e->key, key); /* (release: after the odd count, as in slot_write) */
		ST(e->gen, cc->pgen);
		ST(e->fast, fast);
		ST(e->walk, walk);
		ST(e->walk2, walk2);
		__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&cc->lock);
}

void vtd_cc_destroy(struct vtd_cc *cc)
{
	if (!cc->gen)
		return; /* never initialised (or destroyed already) */
	cc->gen = 0;
	pthread_mutex_destroy(&cc->lock);
	free(cc->pf);
	cc->pf = NULL;
	for (unsigned i = 0; i < 256; i++) {
		free(cc->bus[i]);
		cc->bus[i] = NULL;
	}
}

bool vtd_cc_lookup(struct vtd_cc *cc, uint16_t sid, uint64_t ce[4])
{
	struct vtd_cc_slot *bus = __atomic_load_n(&cc->bus[sid >> 8], __ATOMIC_ACQUIRE);
	if (!bus)
		goto miss;
	struct vtd_cc_slot *sl = &bus[sid & 0xff];
	for (int attempt = 0; attempt < 16; attempt++) {
		uint32_t s1 = __atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		uint32_t gen = LD(sl->gen);
		for (int i = 0; i < 4; i++)
			ce[i] = LD(sl->ce[i]);
		if (__atomic_load_n(&sl->seq, __ATOMIC_RELAXED) != s1)
			continue;
		if (gen && gen == __atomic_load_n(&cc->gen, __ATOMIC_ACQUIRE)) {
			vtd_count(&cc->hits);
			return true;
		}
		break;
	}
miss:
	vtd_count(&cc->misses);
	return false;
}

static void slot_write(struct vtd_cc_slot *sl, uint32_t gen, const uint64_t *ce, uint32_t fast,
		       uint64_t walk)
{
	__atomic_store_n(&sl->seq, sl->seq + 1, __ATOMIC_RELAXED);
	ST(sl->gen, gen);
	ST(sl->fast, gen && ce ? (uint64_t)gen << 32 | fast : 0);
	ST(sl->walk, gen && ce && fast ? walk : 0);
	ST(sl->walk2, 0);
	for (int i = 0; i < 4; i++)
		ST(sl->ce[i], ce ? ce[i] : 0);
	__atomic_store_n(&sl->seq, sl->seq + 1, __ATOMIC_RELEASE);
}

void vtd_cc_insert(struct vtd_cc *cc, uint16_t sid, const uint64_t ce[4],
		   const uint64_t *inval_gen, uint64_t gen0, uint32_t fast, uint64_t walk)
{
	pthread_mutex_lock(&cc->lock);
	if (__atomic_load_n(inval_gen, __ATOMIC_ACQUIRE) == gen0) {
		struct vtd_cc_slot *bus = cc->bus[sid >> 8];
		if (!bus) {
			/* per-bus slots: 256 x 64 bytes, kept until reset so a
			 * lock-free reader never sees them freed */
			bus = calloc(256, sizeof(*bus));
			if (bus)
				__atomic_store_n(&cc->bus[sid >> 8], bus, __ATOMIC_RELEASE);
		}
		if (bus)
			slot_write(&bus[sid & 0xff], cc->gen, ce, fast, walk);
	}
	pthread_mutex_unlock(&cc->lock);
}

void vtd_cc_set_fast(struct vtd_cc *cc, uint16_t sid, uint32_t fast, uint64_t walk,
		     uint64_t walk2, const uint64_t *inval_gen, uint64_t gen0)
{
	pthread_mutex_lock(&cc->lock);
	struct vtd_cc_slot *bus = cc->bus[sid >> 8];
	if (bus && __atomic_load_n(inval_gen, __ATOMIC_ACQUIRE) == gen0 &&
	    bus[sid & 0xff].gen == cc->gen) {
		/* the two words change together for vtd_cc_walk(); the fast
		 * word alone is read without the count, and stays valid */
		struct vtd_cc_slot *sl = &bus[sid & 0xff];
		__atomic_store_n(&sl->seq, sl->seq + 1, __ATOMIC_RELAXED);
		ST(sl->walk, walk); /* (release: after the odd count, as in slot_write) */
		ST(sl->walk2, walk2);
		__atomic_store_n(&sl->fast, (uint64_t)cc->gen << 32 | fast, __ATOMIC_RELEASE);
		__atomic_store_n(&sl->seq, sl->seq + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&cc->lock);
}

void vtd_cc_clear_fast(struct vtd_cc *cc)
{
	pthread_mutex_lock(&cc->lock);
	for (unsigned b = 0; b < 256; b++)
		for (unsigned d = 0; cc->bus[b] && d < 256; d++)
			if (cc->bus[b][d].fast)
				__atomic_store_n(&cc->bus[b][d].fast, 0, __ATOMIC_RELEASE);
	pf_drop(cc);
	pthread_mutex_unlock(&cc->lock);
}

void vtd_cc_inval_all(struct vtd_cc *cc)
{
	pthread_mutex_lock(&cc->lock);
	/* Moving the generation drops every slot at once; count them for
	 * the statistics. */
	uint64_t dropped = 0;
	for (unsigned b = 0; b < 256; b++)
		for (unsigned d = 0; cc->bus[b] && d < 256; d++)
			dropped += cc->bus[b][d].gen == cc->gen;
	__atomic_fetch_add(&cc->invalidated, dropped, __ATOMIC_RELAXED);
	uint32_t next = cc->gen + 1;
	__atomic_store_n(&cc->gen, next ? next : 1, __ATOMIC_RELEASE);
	pf_drop(cc);
	pthread_mutex_unlock(&cc->lock);
}

void vtd_cc_inval_domain(struct vtd_cc *cc, uint16_t did)
{
	pthread_mutex_lock(&cc->lock);
	for (unsigned b = 0; b < 256; b++) {
		struct vtd_cc_slot *bus = cc->bus[b];
		for (unsigned d = 0; bus && d < 256; d++)
			if (bus[d].gen == cc->gen && (uint16_t)(bus[d].ce[1] >> 8) == did) {
				slot_write(&bus[d], 0, NULL, 0, 0);
				__atomic_fetch_add(&cc->invalidated, 1, __ATOMIC_RELAXED);
			}
	}
	pf_drop(cc);
	pthread_mutex_unlock(&cc->lock);
}

void vtd_cc_inval_devices(struct vtd_cc *cc, uint16_t sid, unsigned fm)
{
	/* FM masks the low function-number bits: 1 -> bit 2, 2 -> bits
	 * 2:1, 3 -> bits 2:0 */
	static const uint16_t fmask[4] = { 0, 4, 6, 7 };
	uint16_t m = (uint16_t)~fmask[fm & 3];
	pthread_mutex_lock(&cc->lock);
	struct vtd_cc_slot *bus = cc->bus[sid >> 8];
	for (unsigned d = 0; bus && d < 256; d++)
		if ((((sid & 0xff00) | d) & m) == (sid & m) && bus[d].gen == cc->gen) {
			slot_write(&bus[d], 0, NULL, 0, 0);
			__atomic_fetch_add(&cc->invalidated, 1, __ATOMIC_RELAXED);
		}
	pf_drop(cc);
	pthread_mutex_unlock(&cc->lock);
}
