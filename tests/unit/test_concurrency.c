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

static void *translator(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	unsigned long local_bad = 0, n = 0;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) || n < 5000) {
		seed = seed * 1103515245u + 12345u;
		unsigned page = (seed >> 8) % PAGES;
		struct vtd_dma_request rq = { .sid = 0x18, .addr = 0x1000ull * page + 8,
					      .perm = VTD_PERM_R };
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

	stop = 0;
	bad = 0;
	enum { N = 3 };
	pthread_t th[N];
	for (uintptr_t i = 0; i < N; i++)
		assert_int_equal(pthread_create(&th[i], NULL, translator, (void *)(i + 1)), 0);
	uint64_t tail = 0;
	for (unsigned round = 0; round < 20000; round++) {
		unsigned page = (round * 37) % PAGES;
		uint64_t target = ((round / PAGES) & 1) ? A_BASE : B_BASE;
		put64(0x15000 + 8 * page, (target + 0x1000ull * page) | 3);
		invalidate_page(page, queued, &tail);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(bad, 0);

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
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_counter_slot_reuse),
	};
	return cmocka_run_group_tests_name("concurrency", tests, NULL, NULL);
}
