/* SPDX-License-Identifier: MIT */
/*
 * Concurrency: translations on several threads while another thread
 * rewrites page-table entries and invalidates (register-based and queued),
 * with a cache small enough to evict all the time.  Every result must be one
 * of the two mappings an entry ever had (never a mix, never garbage), and
 * after the final invalidation every translation must see the final tables.
 * Built and run under ThreadSanitizer by `make test`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <vtd/vtd.h>

#include "cache.h"

#define RAM (8u << 20)
#define PAGES 256
#define MMIO_GCMD 0x18
#define A_BASE 0x400000ull
#define B_BASE 0x600000ull

static uint8_t *ram;
static struct vtd_iommu *iommu;
static int stop;
static unsigned long bad;

static void put64(uint64_t a, uint64_t v)
{
	__atomic_store_n((uint64_t *)(void *)(ram + a), v, __ATOMIC_RELAXED);
}

static void setup_tables(void)
{
	put64(0x10000, 0x11001);            /* root bus 0 */
	put64(0x11180, 0x12001);            /* 00:03.0 */
	put64(0x11188, 0x102);              /* AW=2, DID 1 */
	put64(0x12000, 0x13003);
	put64(0x13000, 0x14003);
	put64(0x14000, 0x15003);
	for (unsigned i = 0; i < PAGES; i++)
		put64(0x15000 + 8 * i, (A_BASE + 0x1000 * i) | 3);
}

/* the PASIDs the translators' requests carry, 1 to npasid; 0: none */
static unsigned npasid;

static void *translator(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	unsigned long local_bad = 0, n = 0;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) || n < 5000) {
		seed = seed * 1103515245u + 12345u;
		unsigned page = (seed >> 8) % PAGES;
		struct vtd_dma_request rq = { .sid = 0x18, .addr = 0x1000ull * page + 8,
					      .perm = VTD_PERM_R };
		if (npasid) {
			rq.pasid_valid = true;
			rq.pasid = 1 + (seed >> 20) % npasid;
		}
		struct vtd_translation t = { 0 };
		int r = vtd_iommu_translate(iommu, &rq, &t);
		uint64_t a = A_BASE + 0x1000ull * page + 8, b = B_BASE + 0x1000ull * page + 8;
		if (r || (t.addr != a && t.addr != b))
			local_bad++;
		if (++n > 200000)
			break;
	}
	__atomic_fetch_add(&bad, local_bad, __ATOMIC_RELAXED);
	return NULL;
}

/* NTHREADS translators, their requests with PASIDs 1 to np (0: none),
 * until stop_translators(), which checks that none saw a wrong result. */
#define NTHREADS 3
static void start_translators(pthread_t *th, unsigned np)
{
	stop = 0;
	bad = 0;
	npasid = np;
	for (uintptr_t i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, translator, (void *)(i + 1)), 0);
}

static void stop_translators(pthread_t *th)
{
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(bad, 0);
}

static void invalidate_page(unsigned page, bool queued, uint64_t *tail)
{
	if (!queued) {
		vtd_iommu_mmio_write(iommu, VTD_REG_IVA, 8, 0x1000ull * page);
		vtd_iommu_mmio_write(iommu, VTD_REG_IOTLB, 8, 0xb000000100000000ull);
		return;
	}
	/* IOTLB page-selective descriptor, DID 1, then the tail */
	uint64_t slot = 0x40000 + (*tail % 256) * 16;
	put64(slot, 0x32 | (1ull << 16));
	put64(slot + 8, 0x1000ull * page);
	*tail = (*tail + 1) % 256;
	vtd_iommu_mmio_write(iommu, VTD_REG_IQT, 8, *tail << 4);
}

static void run(bool queued)
{
	ram = calloc(1, RAM);
	assert_non_null(ram);
	setup_tables();
	struct vtd_config cfg;
	assert_int_equal(vtd_config_parse(&cfg, "", NULL), 0);
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = ram, .ram_size = RAM,
				    .iotlb_entries = 64 /* evicts constantly */ };
	assert_int_equal(vtd_iommu_new(&cfg, &o, &iommu, NULL), 0);
	vtd_iommu_mmio_write(iommu, VTD_REG_RTADDR, 8, 0x10000);
	vtd_iommu_mmio_write(iommu, MMIO_GCMD, 4, 1u << 30);
	uint32_t gcmd = 1u << 31;
	if (queued) {
		vtd_iommu_mmio_write(iommu, VTD_REG_IQA, 8, 0x40000);
		gcmd |= 1u << 26;
	}
	vtd_iommu_mmio_write(iommu, MMIO_GCMD, 4, gcmd);

	pthread_t th[NTHREADS];
	start_translators(th, 0);
	uint64_t tail = 0;
	for (unsigned round = 0; round < 20000; round++) {
		unsigned page = (round * 37) % PAGES;
		uint64_t target = ((round / PAGES) & 1) ? A_BASE : B_BASE;
		put64(0x15000 + 8 * page, (target + 0x1000ull * page) | 3);
		invalidate_page(page, queued, &tail);
	}
	stop_translators(th);

	/* final state: after a global invalidation every page shows its last
	 * mapping, whatever was cached */
	vtd_iommu_mmio_write(iommu, VTD_REG_IOTLB, 8, 0x9000000000000000ull);
	for (unsigned page = 0; page < PAGES; page++) {
		uint64_t want;
		memcpy(&want, ram + 0x15000 + 8 * page, 8);
		struct vtd_dma_request rq = { .sid = 0x18, .addr = 0x1000ull * page, .perm = VTD_PERM_R };
		struct vtd_translation t = { 0 };
		assert_int_equal(vtd_iommu_translate(iommu, &rq, &t), 0);
		assert_int_equal(t.addr, want & ~0xfffull);
	}
	struct vtd_iommu_stats st;
	vtd_iommu_get_stats(iommu, &st);
	assert_true(st.iotlb_evictions > 0);
	/* the capacity asked for, rounded up to whole bucket pairs (6 ways) */
	assert_true(st.iotlb_capacity >= 64 && st.iotlb_capacity < 64 + 6);
	assert_true(st.iotlb_entries <= st.iotlb_capacity);
	assert_true(st.iotlb_hits > 0);
	vtd_iommu_free(iommu);
	free(ram);
}

static void test_register_invalidation(void **state)
{
	(void)state;
	run(false);
}

static void test_queued_invalidation(void **state)
{
	(void)state;
	run(true);
}

/* Requests with a PASID (the PASID-tagged slots of cache.h, vtd_pf_get,
 * read without a lock) while another thread moves PASID entries between
 * two first-stage tables, one mapping every page to A_BASE and the other
 * to B_BASE, each move followed by a PASID-cache and a PASID-based IOTLB
 * invalidation, and now and then a global context-cache invalidation.
 * Every result must be one of the two mappings; afterwards, every PASID
 * must see its last table. */
#define NPASID 4
#define PE(p) (0x21000ull + 64 * (p))
static const uint64_t fs_root[2] = { 0x30000, 0x34000 };

static void queue256(uint64_t *tail, uint64_t q0, uint64_t q1)
{
	uint64_t slot = 0x40000 + (*tail % 128) * 32;
	put64(slot, q0);
	put64(slot + 8, q1);
	put64(slot + 16, 0);
	put64(slot + 24, 0);
	*tail = (*tail + 1) % 128;
}

static void test_pasid_fast_path(void **state)
{
	(void)state;
	ram = calloc(1, RAM);
	assert_non_null(ram);
	put64(0x10000, 0x11001);                 /* scalable root: bus 0, devfn < 128 */
	put64(0x11000 + 0x18 * 32, 0x20000 | 8 | 1); /* 00:03.0: PASIDE, directory */
	put64(0x20000, 0x21000 | 1);
	for (unsigned t = 0; t < 2; t++) {
		uint64_t r = fs_root[t], base = t ? B_BASE : A_BASE;
		put64(r, (r + 0x1000) | 7);
		put64(r + 0x1000, (r + 0x2000) | 7);
		put64(r + 0x2000, (r + 0x3000) | 7);
		for (unsigned i = 0; i < PAGES; i++)
			put64(r + 0x3000 + 8 * i, (base + 0x1000 * i) | 7);
	}
	for (unsigned p = 1; p <= NPASID; p++) {
		put64(PE(p), (1ull << 6) | (2ull << 2) | 1);   /* first stage, 4 levels */
		put64(PE(p) + 8, 1);                            /* DID 1 */
		put64(PE(p) + 16, fs_root[p & 1]);
	}
	struct vtd_config cfg;
	assert_int_equal(vtd_config_parse(&cfg, "x-scalable-mode=on,x-flts=on,x-pasid-mode=on",
					  NULL), 0);
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = ram, .ram_size = RAM,
				    .iotlb_entries = 64 };
	assert_int_equal(vtd_iommu_new(&cfg, &o, &iommu, NULL), 0);
	vtd_iommu_mmio_write(iommu, VTD_REG_RTADDR, 8, 0x10000 | (1u << 10));
	vtd_iommu_mmio_write(iommu, MMIO_GCMD, 4, 1u << 30);
	vtd_iommu_mmio_write(iommu, VTD_REG_IQA, 8, 0x40000 | (1u << 11)); /* 256-bit */
	vtd_iommu_mmio_write(iommu, MMIO_GCMD, 4, (1u << 31) | (1u << 26));

	pthread_t th[NTHREADS];
	start_translators(th, NPASID);
	uint64_t tail = 0;
	for (unsigned round = 0; round < 8000; round++) {
		unsigned pasid = 1 + round % NPASID;
		put64(PE(pasid) + 16, fs_root[(round / NPASID) & 1]);
		/* PASID cache, PASID-selective (G=01b); PASID-based IOTLB,
		 * PASID-selective (G=10b); both for DID 1 */
		queue256(&tail, 7 | 1 << 4 | 1ull << 16 | (uint64_t)pasid << 32, 0);
		queue256(&tail, 6 | 2 << 4 | 1ull << 16 | (uint64_t)pasid << 32, 0);
		if (round % 64 == 63)
			queue256(&tail, 1 | 1 << 4, 0);          /* context cache, global */
		vtd_iommu_mmio_write(iommu, VTD_REG_IQT, 8, tail << 5);
	}
	stop_translators(th);
	uint64_t fsts = 0;
	vtd_iommu_mmio_read(iommu, VTD_REG_FSTS, 4, &fsts);
	assert_int_equal(fsts & 0x7f, 0);          /* no fault, no queue error */

	for (unsigned p = 1; p <= NPASID; p++) {
		uint64_t root;
		memcpy(&root, ram + PE(p) + 16, 8);
		uint64_t base = root == fs_root[1] ? B_BASE : A_BASE;
		for (unsigned page = 0; page < PAGES; page++) {
			struct vtd_dma_request rq = { .sid = 0x18, .pasid_valid = true, .pasid = p,
						      .addr = 0x1000ull * page, .perm = VTD_PERM_R };
			struct vtd_translation t = { 0 };
			assert_int_equal(vtd_iommu_translate(iommu, &rq, &t), 0);
			assert_int_equal(t.addr, base + 0x1000ull * page);
		}
	}
	vtd_iommu_free(iommu);
	free(ram);
}

/* Statistics counters: the first threads own a slot and increment it
 * without a locked instruction, later ones share one slot atomically; no
 * increment may be lost either way (more threads than slots, all at once). */
#define CNT_THREADS (VTD_COUNTER_SLOTS + 8)
#define CNT_EACH 20000
static struct vtd_counter counter;

static void *count_thread(void *p)
{
	(void)p;
	for (int i = 0; i < CNT_EACH; i++)
		vtd_count(&counter);
	return NULL;
}

static void test_counters(void **state)
{
	(void)state;
	memset(&counter, 0, sizeof(counter));
	pthread_t th[CNT_THREADS];
	for (int i = 0; i < CNT_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, count_thread, NULL), 0);
	for (int i = 0; i < CNT_THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(vtd_counter_sum(&counter), (uint64_t)CNT_THREADS * CNT_EACH);
}

/* Threads that come and go (a VMM's short-lived workers, `vtd bench`'s
 * runs) reuse the slots of those that exited: 3 x VTD_COUNTER_SLOTS
 * threads one after the other never fall back to the shared atomic slot,
 * and no increment is lost across the hand-overs. */
static void test_counter_slot_reuse(void **state)
{
	(void)state;
	memset(&counter, 0, sizeof(counter));
	for (int i = 0; i < 3 * VTD_COUNTER_SLOTS; i++) {
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, count_thread, NULL), 0);
		pthread_join(th, NULL);
	}
	assert_int_equal(counter.slot[VTD_COUNTER_SLOTS].v, 0);
	assert_int_equal(vtd_counter_sum(&counter), (uint64_t)3 * VTD_COUNTER_SLOTS * CNT_EACH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_invalidation),
		cmocka_unit_test(test_queued_invalidation),
		cmocka_unit_test(test_pasid_fast_path),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_counter_slot_reuse),
	};
	return cmocka_run_group_tests_name("concurrency", tests, NULL, NULL);
}
