/* SPDX-License-Identifier: MIT */
/*
 * Translations from several threads (a multi-queue DMA engine) while the
 * guest, on another thread, remaps pages and invalidates through the
 * invalidation queue.  vtd_iommu_translate() may run on any number of
 * threads; register writes are serialised inside the library.  A cache hit
 * takes no lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vtd/vtd.h>

#define RAM_SIZE (16u << 20)
#define PAGES 64
#define QUEUE 0x40000              /* invalidation queue: 256 x 16 bytes */

static uint8_t *ram;
static struct vtd_iommu *iommu;
static int done;
static unsigned long translated[2];   /* per DMA thread, to run them all */

static void put64(uint64_t gpa, uint64_t v)
{
	/* the guest's stores to its tables: atomic, as a CPU's are */
	__atomic_store_n((uint64_t *)(void *)(ram + gpa), v, __ATOMIC_RELEASE);
}

static void *dma_engine(void *arg)
{
	unsigned long ok = 0, blocked = 0, seed = (unsigned long)(uintptr_t)arg;
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		struct vtd_dma_request rq = { .sid = 0x18, .addr = ((seed >> 33) % PAGES) << 12,
					      .perm = VTD_PERM_R };
		struct vtd_translation t = { 0 };
		if (vtd_iommu_translate(iommu, &rq, &t) == 0)
			ok++;
		else
			blocked++;
		__atomic_store_n(&translated[(uintptr_t)arg - 1], ok + blocked, __ATOMIC_RELAXED);
	}
	printf("DMA thread %lu: %lu translated, %lu blocked\n", (unsigned long)(uintptr_t)arg, ok,
	       blocked);
	return NULL;
}

/* The guest remaps a page, then queues "invalidate that page" and a wait
 * descriptor, and moves the queue tail.  The wait's status write tells the
 * guest the invalidation is complete. */
static void guest_remap(unsigned page, uint64_t target, unsigned *tail)
{
	put64(0x15000 + 8 * page, target | 3);
	uint64_t d = QUEUE + (*tail % 256) * 16;
	put64(d, 2 | (3 << 4) | (1ull << 16));    /* IOTLB, page-selective, DID 1 */
	put64(d + 8, (uint64_t)page << 12);        /* address, AM=0 */
	d = QUEUE + ((*tail + 1) % 256) * 16;
	put64(d, 5 | (1 << 5) | (1ull << 32));     /* wait: status write of 1 */
	put64(d + 8, 0x50000);
	*tail = (*tail + 2) % 256;
	vtd_iommu_mmio_write(iommu, VTD_REG_IQT, 8, (uint64_t)*tail << 4);
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	struct vtd_config cfg;
	if (!ram || vtd_config_parse(&cfg, "", NULL))
		return 1;
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = ram, .ram_size = RAM_SIZE };
	if (vtd_iommu_new(&cfg, &o, &iommu, NULL))
		return 1;
	/* tables: 00:03.0 in domain 1, IOVA pages 0..63 -> 0x400000.. */
	put64(0x10000, 0x11001);
	put64(0x11180, 0x12001);
	put64(0x11188, (1 << 8) | 2);
	put64(0x12000, 0x13003);
	put64(0x13000, 0x14003);
	put64(0x14000, 0x15003);
	for (unsigned i = 0; i < PAGES; i++)
		put64(0x15000 + 8 * i, (0x400000ull + 0x1000ull * i) | 3);
	vtd_iommu_mmio_write(iommu, VTD_REG_RTADDR, 8, 0x10000);
	vtd_iommu_mmio_write(iommu, VTD_REG_IQA, 8, QUEUE);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 30);               /* SRTP */
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 26);               /* QIE */
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, (1u << 31) | (1u << 26)); /* TE */

	pthread_t th[2];
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, dma_engine, (void *)(i + 1));
	/* remap until both DMA threads have been busy for a while */
	unsigned tail = 0;
	for (unsigned round = 0; round < 1000000; round++) {
		guest_remap(round % PAGES, 0x800000ull + 0x1000ull * (round % PAGES), &tail);
		if (round >= 2000 && __atomic_load_n(&translated[0], __ATOMIC_RELAXED) > 20000 &&
		    __atomic_load_n(&translated[1], __ATOMIC_RELAXED) > 20000)
			break;
	}
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);

	/* After the last invalidation every page shows its new mapping. */
	struct vtd_dma_request rq = { .sid = 0x18, .addr = 0x5000, .perm = VTD_PERM_R };
	struct vtd_translation t = { 0 };
	vtd_iommu_translate(iommu, &rq, &t);
	uint32_t status;
	memcpy(&status, ram + 0x50000, 4);
	struct vtd_iommu_stats st;
	vtd_iommu_get_stats(iommu, &st);
	printf("page 5 -> 0x%llx (expected 0x805000); wait status %u\n",
	       (unsigned long long)t.addr, status);
	printf("IOTLB: %llu hits, %llu misses, %llu invalidated; %llu IOTLB descriptors\n",
	       /* counts vary from run to run: they depend on the scheduling */
	       (unsigned long long)st.iotlb_hits, (unsigned long long)st.iotlb_misses,
	       (unsigned long long)st.iotlb_invalidated, (unsigned long long)st.qi_descriptors[2]);
	int rc = (t.addr == 0x805000 && status == 1) ? 0 : 1;
	vtd_iommu_free(iommu);
	free(ram);
	return rc;
}
