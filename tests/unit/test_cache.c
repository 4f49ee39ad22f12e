/* SPDX-License-Identifier: MIT */
/*
 * The IOTLB table of src/cache.c on its own (issue 9's design: 64-byte
 * buckets with inline entries, per-domain generations):
 *   - keys: domain, PASID tag, PASID, page size class, canonical addresses;
 *   - domain invalidation by generation is exact, also for the statistics,
 *     and a dead entry never comes back when a generation wraps (sweeps);
 *   - range invalidation gives the same result by probing and by scanning;
 *   - a seeded random run against a reference map: a hit always returns the
 *     newest value inserted for its key and never one invalidated since,
 *     and inserts - evictions - invalidated == entries at every step;
 *   - the tagged table (vtd_ct_*): no storage before the first insert, and
 *     the same kind of reference run with evictions and invalidations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

static struct vtd_iotlb T;

static void mk(uint32_t entries)
{
	vtd_iotlb_destroy(&T);
	assert_int_equal(vtd_iotlb_init(&T, entries), 0);
}

static int teardown(void **st)
{
	(void)st;
	vtd_iotlb_destroy(&T);
	return 0;
}

static void put(uint16_t did, bool tagged, uint32_t pasid, uint64_t addr, unsigned order,
		uint64_t out)
{
	vtd_iotlb_insert(&T, did, tagged, pasid, addr, order, out | 3, 0x1f, NULL, 0);
}

/* the output page address cached for addr, or ~0 on a miss */
static uint64_t get(uint16_t did, bool tagged, uint32_t pasid, uint64_t addr)
{
	struct vtd_iotlb_val v;
	if (!vtd_iotlb_lookup(&T, did, tagged, pasid, addr, &v))
		return ~0ull;
	assert_int_equal(v.v0 & 3, 3);
	assert_int_equal(v.v1, 0x1f);
	return v.v0 & ~0xfffull;
}

static void check_books(void)
{
	if (T.inserts - T.evictions - T.invalidated != T.used)
		fail_msg("inserts %" PRIu64 " - evictions %" PRIu64 " - invalidated %" PRIu64
			 " != entries %" PRIu64, T.inserts, T.evictions, T.invalidated, T.used);
	assert_true(T.used <= T.capacity);
	/* the size-class counts and the mask lookups read agree with the ways */
	uint32_t count[3] = { 0, 0, 0 };
	for (uint32_t i = 0; i < T.nbuckets; i++)
		for (unsigned w = 0; w < VTD_IOTLB_WAYS; w++)
			if (T.b[i].tag[w]) {
				unsigned c = IOTLB_TAG_CLASS(T.b[i].tag[w]);
				assert_true(c < 3);
				count[c]++;
			}
	for (unsigned c = 0; c < 3; c++) {
		assert_int_equal(T.class_count[c], count[c]);
		assert_int_equal((T.class_mask >> c) & 1, count[c] != 0);
	}
	/* a key is held by one way of its pair of buckets at most: a second
	 * copy would outlive a page-selective invalidation of the first */
	for (uint32_t i = 0; i < T.nbuckets; i += 2)
		for (unsigned a = 0; a < 2 * VTD_IOTLB_WAYS; a++)
			for (unsigned b = a + 1; b < 2 * VTD_IOTLB_WAYS; b++) {
				const struct vtd_iotlb_bucket *ba = &T.b[i + a / VTD_IOTLB_WAYS];
				const struct vtd_iotlb_bucket *bb = &T.b[i + b / VTD_IOTLB_WAYS];
				uint64_t ta = ba->tag[a % VTD_IOTLB_WAYS], tb = bb->tag[b % VTD_IOTLB_WAYS];
				if (ta && ta == tb &&
				    iotlb_way_pasid(ba->pasids, a % VTD_IOTLB_WAYS) ==
					    iotlb_way_pasid(bb->pasids, b % VTD_IOTLB_WAYS))
					fail_msg("key 0x%" PRIx64 " twice in buckets %u/%u", ta, i, i + 1);
			}
}

/* A key that went to the other bucket of its pair (home was full) is
 * refreshed there when home has an empty way again, not copied into it:
 * a page-selective invalidation then drops it. */
static void test_pair_one_copy(void **st)
{
	(void)st;
	mk(12);
	/* four pages of domain 1 with the same home bucket */
	uint64_t pages[4];
	unsigned n = 0;
	uint32_t home = iotlb_bucket(&T, iotlb_tag(1, false, 0, 0), 0);
	for (uint64_t pn = 0; n < 4 && pn < 100000; pn++)
		if (iotlb_bucket(&T, iotlb_tag(1, false, 0, pn), 0) == home)
			pages[n++] = pn << 12;
	assert_int_equal(n, 4);
	for (unsigned i = 0; i < 4; i++)
		put(1, false, 0, pages[i], 0, 0x100000 * (i + 1));
	check_books();
	assert_int_equal(get(1, false, 0, pages[3]), 0x400000); /* in the other bucket */
	assert_int_equal(vtd_iotlb_inval_range(&T, 1, false, 0, pages[0], pages[0] + 0xfff), 1);
	put(1, false, 0, pages[3], 0, 0x500000);                 /* home has room now */
	check_books();
	assert_int_equal(get(1, false, 0, pages[3]), 0x500000);
	assert_int_equal(vtd_iotlb_inval_range(&T, 1, false, 0, pages[3], pages[3] + 0xfff), 1);
	assert_int_equal(get(1, false, 0, pages[3]), ~0ull);
	check_books();
}

static void test_keys(void **st)
{
	(void)st;
	mk(1024);
	assert_int_equal(T.capacity % 6, 0);
	assert_true(T.capacity >= 1024);
	put(1, false, 0, 0x5000, 0, 0xa000);
	put(2, false, 0, 0x5000, 0, 0xb000);
	put(1, true, 7, 0x5000, 0, 0xc000);
	put(1, true, 8, 0x5000, 0, 0xd000);
	put(1, false, 0, 0x40000000, 18, 0x80000000);
	put(1, false, 0, 0x600000, 9, 0x200000);
	assert_int_equal(get(1, false, 0, 0x5123), 0xa000);
	assert_int_equal(get(2, false, 0, 0x5123), 0xb000);
	assert_int_equal(get(1, true, 7, 0x5123), 0xc000);
	assert_int_equal(get(1, true, 8, 0x5123), 0xd000);
	assert_int_equal(get(1, true, 9, 0x5123), ~0ull);
	assert_int_equal(get(3, false, 0, 0x5123), ~0ull);
	/* large pages: the page address of the whole page */
	assert_int_equal(get(1, false, 0, 0x40000000 + 0x3456789), 0x80000000);
	assert_int_equal(get(1, false, 0, 0x600000 + 0x1ff123), 0x200000);
	assert_int_equal(get(1, false, 0, 0x800000), ~0ull);
	/* replacing a live key keeps one entry */
	uint64_t used = T.used, ins = T.inserts;
	put(1, false, 0, 0x5000, 0, 0xe000);
	assert_int_equal(get(1, false, 0, 0x5000), 0xe000);
	assert_int_equal(T.used, used);
	assert_int_equal(T.inserts, ins);
	check_books();
}

/* First-stage addresses are canonical for 4 or 5 levels: the upper half is
 * cached and distinct from the lower, 5-level addresses (bits 56:48 in
 * use) too; an address whose bits 63:56 differ is never cached (so it
 * cannot alias a cacheable one). */
static void test_canonical(void **st)
{
	(void)st;
	mk(1024);
	put(1, true, 1, 0xffff800000005000ull, 0, 0x1000);
	put(1, true, 1, 0x0000800000005000ull, 0, 0x2000);
	assert_int_equal(get(1, true, 1, 0xffff800000005999ull), 0x1000);
	assert_int_equal(get(1, true, 1, 0x0000800000005999ull), 0x2000);
	/* 5-level: bit 56 clear with bits 55:48 set, and bit 56 set with
	 * bits 55:48 clear, are other pages than the two above */
	assert_int_equal(get(1, true, 1, 0x00ff800000005000ull), ~0ull);
	assert_int_equal(get(1, true, 1, 0xff00800000005000ull), ~0ull);
	put(1, true, 1, 0x00ff800000005000ull, 0, 0x3000);
	put(1, true, 1, 0xff00800000005000ull, 0, 0x4000);
	assert_int_equal(get(1, true, 1, 0x00ff800000005000ull), 0x3000);
	assert_int_equal(get(1, true, 1, 0xff00800000005000ull), 0x4000);
	assert_int_equal(get(1, true, 1, 0xffff800000005000ull), 0x1000);
	assert_int_equal(get(1, true, 1, 0x0000800000005000ull), 0x2000);
	/* not canonical: never cached */
	uint64_t ins = T.inserts;
	put(1, true, 1, 0x01ff800000005000ull, 0, 0x5000);
	put(1, true, 1, 0xfeff800000005000ull, 0, 0x5000);
	assert_int_equal(T.inserts, ins);
	assert_int_equal(get(1, true, 1, 0x01ff800000005000ull), ~0ull);
	assert_int_equal(get(1, true, 1, 0xfeff800000005000ull), ~0ull);
	assert_int_equal(vtd_iotlb_inval_range(&T, 1, true, 1, 0x00ff800000005000ull,
					       0x00ff800000005fffull), 1);
	assert_int_equal(vtd_iotlb_inval_range(&T, 1, true, 1, 0xff00800000005000ull,
					       0xff00800000005fffull), 1);
	assert_int_equal(get(1, true, 1, 0xffff800000005000ull), 0x1000);
	/* a range invalidation of the upper half finds it, by probe and by scan */
	assert_int_equal(vtd_iotlb_inval_range(&T, 1, true, 1, 0xffff800000005000ull,
					       0xffff800000005fffull), 1);
	assert_int_equal(get(1, true, 1, 0xffff800000005000ull), ~0ull);
	put(1, true, 1, 0xffff800000005000ull, 0, 0x1000);
	assert_int_equal(vtd_iotlb_inval_range(&T, 1, true, 1, 0xffff800000000000ull, ~0ull), 1);
	assert_int_equal(get(1, true, 1, 0xffff800000005000ull), ~0ull);
	assert_int_equal(get(1, true, 1, 0x0000800000005000ull), 0x2000);
	check_books();
}

static void test_domain_generation(void **st)
{
	(void)st;
	mk(4096);
	for (unsigned i = 0; i < 100; i++) {
		put(1, false, 0, i * 0x1000ull, 0, 0x100000 + i * 0x1000ull);
		put(2, false, 0, i * 0x1000ull, 0, 0x200000 + i * 0x1000ull);
	}
	put(1, true, 5, 0x1000, 0, 0x9000);
	assert_int_equal(T.used, 201);
	assert_int_equal(vtd_iotlb_inval_domain(&T, 1), 101);
	assert_int_equal(T.used, 100);
	assert_int_equal(vtd_iotlb_inval_domain(&T, 1), 0);
	for (unsigned i = 0; i < 100; i++) {
		assert_int_equal(get(1, false, 0, i * 0x1000ull), ~0ull);
		assert_int_equal(get(2, false, 0, i * 0x1000ull), 0x200000 + i * 0x1000ull);
	}
	assert_int_equal(get(1, true, 5, 0x1000), ~0ull);
	/* dead ways are reused: refilling the domain evicts nothing */
	uint64_t ev = T.evictions;
	for (unsigned i = 0; i < 100; i++)
		put(1, false, 0, i * 0x1000ull, 0, 0x300000 + i * 0x1000ull);
	assert_int_equal(T.evictions, ev);
	assert_int_equal(get(1, false, 0, 0x5000), 0x305000);
	check_books();
}

/* 65536 generations later a dead entry would carry the current stamp
 * again: the sweep that runs every 32768 bumps must have cleared it. */
static void test_generation_wrap(void **st)
{
	(void)st;
	mk(1024);
	put(1, false, 0, 0x7000, 0, 0x7000);
	put(2, false, 0, 0x7000, 0, 0x8000);
	assert_int_equal(vtd_iotlb_inval_domain(&T, 1), 1);
	/* bumps of an empty domain are free and need no sweep; keep one
	 * live entry in the domain so that every invalidation bumps */
	for (unsigned i = 1; i <= 65536; i++) {
		put(1, false, 0, 0x100000, 0, 0x100000);
		assert_int_equal(vtd_iotlb_inval_domain(&T, 1), 1);
		if (get(1, false, 0, 0x7000) != ~0ull)
			fail_msg("dead entry came back after %u generations", i);
	}
	assert_true(T.sweeps >= 2);
	assert_int_equal(get(2, false, 0, 0x7000), 0x8000);
	/* and through global invalidations of a large table (generations
	 * of every domain move at once) */
	mk(60000);
	put(3, false, 0, 0x7000, 0, 0x7000);
	assert_int_equal(vtd_iotlb_inval_all(&T), 1);
	for (unsigned i = 1; i <= 65536; i++) {
		put(4, false, 0, 0x100000, 0, 0x100000);
		assert_int_equal(vtd_iotlb_inval_all(&T), 1);
		if (get(3, false, 0, 0x7000) != ~0ull)
			fail_msg("dead entry came back after %u global invalidations", i);
	}
	assert_int_equal(T.used, 0);
	check_books();
}

/* The same range invalidations on a small table (probes) and a table whose
 * range is too wide to probe (scan) drop the same entries. */
static void test_range_probe_vs_scan(void **st)
{
	(void)st;
	for (unsigned mode = 0; mode < 2; mode++) {
		mk(6000);
		for (unsigned i = 0; i < 512; i++)
			put(1, false, 0, i * 0x1000ull, 0, i * 0x1000ull);
		put(1, false, 0, 0x40000000, 18, 0x40000000);
		put(1, false, 0, 0x200000, 9, 0x200000);
		/* a legacy-format request covers every PASID-tagged (first-stage
		 * or nested) entry of the domain, whatever its address (VT-d
		 * spec 6.5.2.3): with one present the whole domain goes, the
		 * entries outside the range too */
		if (mode)
			put(1, true, 3, 0x10000000000ull, 0, 0x3000);
		put(2, false, 0, 0x3000, 0, 0x3000);
		uint64_t lo = 0x2000, hi = mode ? 0x3fffffffffull : 0x3fff; /* 2^26 pages: a scan */
		uint64_t n = vtd_iotlb_inval_range(&T, 1, false, 0, lo, hi);
		uint64_t want = mode ? 512 + 1 + 1 + 1 : 2;
		if (n != want)
			fail_msg("mode %u: %" PRIu64 " dropped, want %" PRIu64, mode, n, want);
		assert_int_equal(get(1, false, 0, 0x1000), mode ? ~0ull : 0x1000);
		assert_int_equal(get(1, true, 3, 0x10000000000ull), ~0ull);
		assert_int_equal(get(1, false, 0, 0x2000), ~0ull);
		assert_int_equal(get(2, false, 0, 0x3000), 0x3000);
		assert_int_equal(get(1, false, 0, 0x40000000), mode ? ~0ull : 0x40000000);
		check_books();
	}
	/* PASID-only: the other PASID and the untagged entry stay */
	mk(6000);
	put(1, true, 3, 0x3000, 0, 0x3000);
	put(1, true, 4, 0x3000, 0, 0x4000);
	put(1, false, 0, 0x3000, 0, 0x5000);
	assert_int_equal(vtd_iotlb_inval_range(&T, 1, true, 3, 0, ~0ull), 1);
	assert_int_equal(get(1, true, 3, 0x3000), ~0ull);
	assert_int_equal(get(1, true, 4, 0x3000), 0x4000);
	assert_int_equal(get(1, false, 0, 0x3000), 0x5000);
	assert_int_equal(vtd_iotlb_inval_range(&T, 1, true, 4, 0x3000, 0x3fff), 1);
	assert_int_equal(get(1, false, 0, 0x3000), 0x5000);
	check_books();
}

/* ---- random run against a reference --------------------------------------- */

static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

#define NK 512
struct ref {
	uint16_t did;
	bool tagged;
	uint32_t pasid;
	uint64_t addr;
	unsigned order;
	uint64_t out;
	bool valid;
};

static void test_random_reference(void **st)
{
	(void)st;
	static struct ref k[NK];
	const char *env = getenv("VTD_SEED");
	rs = env ? strtoull(env, NULL, 0) : 0xcac4e;
	if (!rs)
		rs = 1;
	mk(96);   /* much smaller than the key set: evictions all the time */
	for (unsigned i = 0; i < NK; i++) {
		unsigned order = (unsigned)(rnd() % 8 == 0 ? 9 : 0);
		k[i] = (struct ref){ .did = (uint16_t)(rnd() % 4), .tagged = rnd() % 3 == 0,
				     .order = order,
				     .addr = ((rnd() % 256) << (12 + order)) |
					     (rnd() % 2 ? 0xffff800000000000ull : 0) };
		k[i].pasid = k[i].tagged ? (uint32_t)(rnd() % 3) : 0;
	}
	/* different keys of the reference must not be the same cache key */
	for (unsigned i = 0; i < NK; i++)
		for (unsigned j = 0; j < i; j++)
			if (k[i].did == k[j].did && k[i].tagged == k[j].tagged &&
			    k[i].pasid == k[j].pasid && k[i].order == k[j].order &&
			    k[i].addr == k[j].addr)
				k[i].did = (uint16_t)(100 + i); /* a lone domain */
	for (unsigned step = 0; step < 200000; step++) {
		struct ref *r = &k[rnd() % NK];
		unsigned op = (unsigned)(rnd() % 100);
		if (op < 40) {
			r->out = (rnd() % 0x100000) << 21;
			r->valid = true;
			put(r->did, r->tagged, r->pasid, r->addr, r->order, r->out);
		} else if (op < 90) {
			uint64_t got = get(r->did, r->tagged, r->pasid, r->addr);
			if (got != ~0ull && (!r->valid || got != r->out))
				fail_msg("step %u: hit 0x%" PRIx64 " for a key whose entry is %s 0x%" PRIx64,
					 step, got, r->valid ? "" : "invalidated,", r->out);
		} else if (op < 93) {
			vtd_iotlb_inval_domain(&T, r->did);
			for (unsigned i = 0; i < NK; i++)
				if (k[i].did == r->did)
					k[i].valid = false;
		} else if (op < 98) {
			bool pasid_only = r->tagged && rnd() % 2;
			unsigned am = (unsigned)(rnd() % 12);
			uint64_t lo = r->addr & ~((0x1000ull << am) - 1), hi = lo + (0x1000ull << am) - 1;
			vtd_iotlb_inval_range(&T, r->did, pasid_only, r->pasid, lo, hi);
			for (unsigned i = 0; i < NK; i++) {
				struct ref *q = &k[i];
				uint64_t qlast = q->addr + (0x1000ull << q->order) - 1;
				if (q->did == r->did && (!pasid_only || (q->tagged && q->pasid == r->pasid)) &&
				    q->addr <= hi && qlast >= lo)
					q->valid = false;
			}
		} else if (op < 99) {
			vtd_iotlb_inval_all(&T);
			for (unsigned i = 0; i < NK; i++)
				k[i].valid = false;
		}
		check_books();
	}
	assert_true(T.evictions > 0);
	assert_true(T.invalidated > 0);
}

/*
 * The tagged table (vtd_ct_*: PASID cache, interrupt entry cache) keeps no
 * storage until its first insert and hands out never-used entries above a
 * watermark before recycling freed ones: a fresh table misses and
 * invalidates nothing; then a seeded random run against a reference (16
 * entries, 64 keys over 4 domains, so evictions happen all the time): a hit
 * returns the newest value for its key, an invalidated key misses, the
 * books balance, and each domain's list holds exactly its live entries.
 */
static bool odd_value(const struct vtd_ct_entry *e, const void *arg)
{
	(void)arg;
	return e->v[0] & 1;
}

static void test_ct_lazy_reference(void **st)
{
	(void)st;
	struct vtd_ctab c;
	assert_int_equal(vtd_ct_init(&c, 16, 2), 0);
	uint64_t v[2];
	uint16_t did;
	assert_null(c.buckets);
	assert_null(c.pool);
	assert_false(vtd_ct_lookup(&c, 1, 2, v, &did));
	assert_int_equal(vtd_ct_inval_all(&c), 0);
	assert_int_equal(vtd_ct_inval_domain(&c, 3, NULL, NULL), 0);
	assert_int_equal(vtd_ct_inval_key(&c, 1, 2), 0);
	assert_int_equal(vtd_ct_domain_count(&c, 3, 100), 0);
	assert_null(c.buckets);

	enum { NKEYS = 64 };
	struct { uint64_t val; bool valid; } k[NKEYS] = { 0 };
	uint64_t seed = 7;
	for (unsigned step = 0; step < 20000; step++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned key = (unsigned)(seed >> 33) % NKEYS, op = (unsigned)(seed >> 40) % 100;
		uint16_t kd = (uint16_t)(key % 4 * 1000);
		if (op < 60) {
			uint64_t val[2] = { seed >> 20, key };
			vtd_ct_insert(&c, 0x100 + key, key * 3, kd, 0, false, val, NULL, 0);
			k[key].val = val[0];
			k[key].valid = true;
		} else if (op < 90) {
			if (vtd_ct_lookup(&c, 0x100 + key, key * 3, v, &did)) {
				assert_true(k[key].valid);
				assert_int_equal(v[0], k[key].val);
				assert_int_equal(v[1], key);
				assert_int_equal(did, kd);
			}
		} else if (op < 94) {
			vtd_ct_inval_key(&c, 0x100 + key, key * 3);
			k[key].valid = false;
		} else if (op < 97) {
			vtd_ct_inval_domain(&c, kd, odd_value, NULL);
			for (unsigned i = 0; i < NKEYS; i++)
				if (i % 4 == key % 4 && (k[i].val & 1))
					k[i].valid = false;
		} else if (op < 99) {
			vtd_ct_inval_domain(&c, kd, NULL, NULL);
			for (unsigned i = 0; i < NKEYS; i++)
				if (i % 4 == key % 4)
					k[i].valid = false;
		} else {
			vtd_ct_inval_all(&c);
			for (unsigned i = 0; i < NKEYS; i++)
				k[i].valid = false;
		}
		assert_true(c.used <= c.capacity);
		assert_int_equal(c.inserts - c.evictions - c.invalidated, c.used);
		uint32_t live = 0;
		for (unsigned d = 0; d < 4; d++) {
			uint32_t n = 0;
			for (unsigned i = d; i < NKEYS; i += 4)
				n += vtd_ct_probe(&c, 0x100 + i, i * 3, v, NULL);
			assert_int_equal(vtd_ct_domain_count(&c, (uint16_t)(d * 1000), 100), n);
			live += n;
		}
		assert_int_equal(live, c.used);
	}
	assert_true(c.evictions > 0);
	assert_true(c.invalidated > 0);
	vtd_ct_destroy(&c);
	vtd_ct_destroy(&c); /* idempotent */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_keys, teardown),
		cmocka_unit_test_teardown(test_canonical, teardown),
		cmocka_unit_test_teardown(test_domain_generation, teardown),
		cmocka_unit_test_teardown(test_generation_wrap, teardown),
		cmocka_unit_test_teardown(test_range_probe_vs_scan, teardown),
		cmocka_unit_test_teardown(test_random_reference, teardown),
		cmocka_unit_test_teardown(test_pair_one_copy, teardown),
		cmocka_unit_test(test_ct_lazy_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
