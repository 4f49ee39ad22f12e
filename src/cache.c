/* SPDX-License-Identifier: MIT */
/* Translation caches: see cache.h for the design and memory model. */
#include "cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Sequence-count protocol without fences (which TSan cannot model):
 * writers store data with release after making the count odd, readers
 * load data with acquire, so a reader that saw any new data also sees the
 * odd count when it checks again (free on x86). */
#define LD(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

_Thread_local unsigned vtd_tls_slot __attribute__((tls_model("initial-exec"))) = ~0u;

/* The first VTD_COUNTER_SLOTS threads that count own a slot each; later
 * ones share the last slot with atomic increments.  Slots are never given
 * back, so ownership cannot change under a running thread. */
void vtd_count_slow(struct vtd_counter *c)
{
	static unsigned next;
	if (vtd_tls_slot == ~0u) {
		unsigned n = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
		vtd_tls_slot = n < VTD_COUNTER_SLOTS ? n : VTD_COUNTER_SLOTS;
		if (vtd_tls_slot < VTD_COUNTER_SLOTS) {
			vtd_count(c);
			return;
		}
	}
	__atomic_fetch_add(&c->slot[VTD_COUNTER_SLOTS].v, 1, __ATOMIC_RELAXED);
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
	t->capacity = capacity;
	t->nbuckets = nb;
	t->nval = nval;
	t->pool = calloc(capacity, sizeof(*t->pool));
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->dhead = malloc(65536 * sizeof(*t->dhead));
	if (!t->pool || !t->buckets || !t->dhead || pthread_mutex_init(&t->lock, NULL)) {
		free(t->pool);
		free(t->buckets);
		free(t->dhead);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nb; i++)
		t->buckets[i].head = VTD_CT_NIL;
	for (uint32_t i = 0; i < 65536; i++)
		t->dhead[i] = VTD_CT_NIL;
	/* the free list runs through dnext (see remove_entry) */
	for (uint32_t i = 0; i < capacity; i++) {
		t->pool[i].next = VTD_CT_NIL;
		t->pool[i].dnext = i + 1 < capacity ? i + 1 : VTD_CT_NIL;
	}
	t->free_head = 0;
	return 0;
}

void vtd_ct_destroy(struct vtd_ctab *t)
{
	if (!t->pool)
		return;
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
	struct vtd_ct_bucket *b = &t->buckets[mix(k0, k1) & (t->nbuckets - 1)];
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
		t->dhead[e->did] = e->dnext;
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
	if (t->free_head == VTD_CT_NIL) {
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
	struct vtd_ct_entry *e = &t->pool[idx];
	t->free_head = e->dnext;
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
	e->dnext = t->dhead[did];
	if (e->dnext != VTD_CT_NIL)
		t->pool[e->dnext].dprev = idx;
	t->dhead[did] = idx;
	__atomic_fetch_add(&t->order_count[order_slot(order)], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->used, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->inserts, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);
}

uint64_t vtd_ct_inval_all(struct vtd_ctab *t)
{
	pthread_mutex_lock(&t->lock);
	uint64_t n = 0;
	for (uint32_t i = 0; i < t->capacity && LD(t->used); i++)
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
	uint32_t idx = t->dhead[did];
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
	struct vtd_ct_bucket *b = &t->buckets[mix(k0, k1) & (t->nbuckets - 1)];
	for (uint32_t idx = b->head; idx != VTD_CT_NIL; idx = t->pool[idx].next)
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
	for (uint32_t idx = t->dhead[did]; idx != VTD_CT_NIL && n <= limit; idx = t->pool[idx].dnext)
		n++;
	pthread_mutex_unlock(&t->lock);
	return n;
}
