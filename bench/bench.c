/* SPDX-License-Identifier: MIT */
/*
 * Benchmark scenarios for `vtd bench`.  Each scenario runs for a fixed
 * number of operations, several times; we report the median and the spread
 * of ns/operation, and reference costs measured in the same run on the
 * same machine (a dependent-load pointer chase, a plain hash lookup) so
 * results compare across machines as ratios.
 */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vtd/vtd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- a guest with page tables ---------------------------------------------- */

struct guest {
	uint8_t *ram;
	uint64_t ram_size;
	struct vtd_iommu *iommu;
	uint64_t next;         /* bump allocator for table pages */
	unsigned npages;       /* mapped 4K pages at IOVA 0.. */
	uint64_t pt;           /* the DMA's page table (SS, or FS for first stage and nested) */
	unsigned levels;       /* its levels */
	bool sm;               /* scalable mode */
	uint32_t pasid;        /* the requests' PASID (mode "pasid"), or 0: none */
};

static void put64(struct guest *g, uint64_t a, uint64_t v) { memcpy(g->ram + a, &v, 8); }
static uint64_t get64(struct guest *g, uint64_t a)
{
	uint64_t v;
	memcpy(&v, g->ram + a, 8);
	return v;
}

static uint64_t alloc_page(struct guest *g)
{
	uint64_t p = g->next;
	g->next += 4096;
	return p;
}

/* Map IOVA page i -> data page, in a table of `levels` levels at root (R/W
 * bits for second stage or P|RW|US for first stage: the same low bits 0x7
 * work for both when present is bit 0 and W bit 1). */
static void map_page_n(struct guest *g, uint64_t root, unsigned levels, uint64_t iova, uint64_t pa,
		       uint64_t bits)
{
	uint64_t table = root;
	for (int level = (int)levels; level > 1; level--) {
		uint64_t ea = table + ((iova >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
		uint64_t e = get64(g, ea);
		if (!(e & 3)) {
			e = alloc_page(g) | bits;
			put64(g, ea, e);
		}
		table = e & ~0xfffull & ((1ull << 48) - 1);
	}
	put64(g, table + ((iova >> 12) & 0x1ff) * 8, pa | bits);
}

static void map_page(struct guest *g, uint64_t root, uint64_t iova, uint64_t pa, uint64_t bits)
{
	map_page_n(g, root, 4, iova, pa, bits);
}

static int guest_new(struct guest *g, const char *mode, unsigned npages, uint32_t iotlb)
{
	memset(g, 0, sizeof(*g));
	g->npages = npages;
	g->ram_size = 64ull << 20;
	g->ram_size += (uint64_t)npages * 8 + ((uint64_t)npages / 512 + 16) * 4096 * 2;
	g->ram = calloc(1, g->ram_size);
	if (!g->ram)
		return -1;
	g->next = 0x100000;
	bool fs5 = !strcmp(mode, "fs5"), tagged = !strcmp(mode, "pasid");
	const char *props = !strcmp(mode, "ss") ? "" : !strcmp(mode, "fs") ? "x-scalable-mode=on,x-flts=on"
			    : fs5 ? "x-scalable-mode=on,x-flts=on,x-fs5lp=on"
			    : tagged ? "x-scalable-mode=on,x-flts=on,x-pasid-mode=on"
			    : "x-scalable-mode=on,x-nest=on";
	struct vtd_config cfg;
	if (vtd_config_parse(&cfg, props, NULL))
		return -1;
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = g->ram, .ram_size = g->ram_size,
				    .iotlb_entries = iotlb };
	if (vtd_iommu_new(&cfg, &o, &g->iommu, NULL))
		return -1;
	uint64_t root = alloc_page(g), ctxt = alloc_page(g);
	uint64_t data = 0x2000000; /* data pages start at 32 MiB, wrap within 16 MiB */
	if (!strcmp(mode, "ss")) {
		uint64_t pt = alloc_page(g);
		put64(g, root, ctxt | 1);
		put64(g, ctxt + 0x18 * 16, pt | 1);
		put64(g, ctxt + 0x18 * 16 + 8, 0x102);
		for (unsigned i = 0; i < npages; i++)
			map_page(g, pt, (uint64_t)i << 12, data + (((uint64_t)i & 4095) << 12), 3);
		g->pt = pt;
		g->levels = 4;
		vtd_iommu_mmio_write(g->iommu, VTD_REG_RTADDR, 8, root);
	} else {
		uint64_t pdir = alloc_page(g), ptab = alloc_page(g), fs = alloc_page(g);
		put64(g, root, ctxt | 1);
		/* (tagged: PASIDE; the first stage is PASID 1's, the
		 * requests carry PASID 1) */
		put64(g, ctxt + 0x18 * 32, pdir | (tagged ? 1u << 3 : 0) | 1);
		put64(g, pdir, ptab | 1);
		if (tagged) {
			g->pasid = 1;
			ptab += 64;
		}
		bool nested = !strcmp(mode, "nested");
		uint64_t ss = 0;
		if (nested) {
			/* second stage: identity over the first 64 MiB of RAM, 4K pages */
			ss = alloc_page(g);
			g->next += 0; /* tables allocated below as needed */
		}
		put64(g, ptab, (nested ? (ss | (3ull << 6) | (2ull << 2)) : (1ull << 6)) | 1);
		put64(g, ptab + 8, 1);
		put64(g, ptab + 16, fs | (fs5 ? 1u << 2 : 0));  /* FSPM=01b: 5 levels */
		for (unsigned i = 0; i < npages; i++)
			map_page_n(g, fs, fs5 ? 5 : 4, (uint64_t)i << 12,
				   data + (((uint64_t)i & 4095) << 12), 7);
		if (nested)
			for (uint64_t a = 0; a < (64ull << 20); a += 4096)
				map_page(g, ss, a, a, 3);
		g->pt = fs;
		g->levels = fs5 ? 5 : 4;
		g->sm = true;
		vtd_iommu_mmio_write(g->iommu, VTD_REG_RTADDR, 8, root | (1ull << 10));
	}
	vtd_iommu_mmio_write(g->iommu, VTD_REG_GCMD, 4, 1u << 30);
	vtd_iommu_mmio_write(g->iommu, VTD_REG_GCMD, 4, 1u << 31);
	return 0;
}

static void guest_free(struct guest *g)
{
	vtd_iommu_free(g->iommu);
	free(g->ram);
}

static inline int xl(struct guest *g, uint64_t iova)
{
	struct vtd_dma_request rq = { .sid = 0x18, .addr = iova, .perm = VTD_PERM_R,
				      .pasid_valid = g->pasid != 0, .pasid = g->pasid };
	struct vtd_translation t;
	t.trace = NULL;
	return vtd_iommu_translate(g->iommu, &rq, &t);
}

/* ---- scenarios -------------------------------------------------------------------- */

/* Threaded scenarios: every thread spins until all have started, so the
 * timed window only begins once each one is running on its own CPU (a
 * fresh thread may first be queued behind its creator until the scheduler
 * moves it); each then does the same number of operations and records its
 * own start and end. */
struct mt_run {
	unsigned threads;
	unsigned arrived;      /* atomic: threads ready to start */
	uint64_t ops;          /* per thread */
	void *ctx;
	int (*op_loop)(void *ctx, uint64_t ops, uint64_t seed);
};

struct mt_arg {
	_Alignas(64) struct mt_run *run;
	uint64_t seed;
	int errors;
	double t0, t1;         /* wall clock around this thread's loop */
	double cpu_ns;         /* this thread's CPU time in its loop */
};

static double thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *mt_thread(void *p)
{
	struct mt_arg *a = p;
	struct mt_run *r = a->run;
	__atomic_add_fetch(&r->arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&r->arrived, __ATOMIC_ACQUIRE) <
	       __atomic_load_n(&r->threads, __ATOMIC_ACQUIRE))
		;
	double c0 = thread_cpu_ns();
	a->t0 = now_ns();
	a->errors = r->op_loop(r->ctx, r->ops, a->seed);
	a->t1 = now_ns();
	a->cpu_ns = thread_cpu_ns() - c0;
	return NULL;
}

/* ns per operation per thread over the window in which the threads ran
 * (first start to last end), or with cpu, the threads' CPU time per
 * operation: that grows only if the threads slow each other down (shared
 * cache lines), whether or not they ran at the same time. */
static double mt_measure(unsigned threads, uint64_t ops, bool cpu, void *ctx,
			 int (*op_loop)(void *, uint64_t, uint64_t))
{
	pthread_t th[64];
	static struct mt_arg args[64];
	struct mt_run r = { .threads = threads, .ops = ops, .ctx = ctx, .op_loop = op_loop };
	unsigned started = 0;
	for (unsigned i = 0; i < threads; i++) {
		args[i] = (struct mt_arg){ .run = &r, .seed = 0x9e3779b97f4a7c15ull + i };
		if (pthread_create(&th[i], NULL, mt_thread, &args[i]))
			break;
		started++;
	}
	if (started < threads) {
		/* let the ones that started finish: they wait for all */
		__atomic_store_n(&r.threads, started, __ATOMIC_RELEASE);
	}
	int err = started < threads;
	double cpu_ns = 0, t0 = 0, t1 = 0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		err |= args[i].errors;
		cpu_ns += args[i].cpu_ns;
		if (!i || args[i].t0 < t0)
			t0 = args[i].t0;
		if (!i || args[i].t1 > t1)
			t1 = args[i].t1;
	}
	if (err)
		return -1;
	if (cpu)
		return cpu_ns / ((double)ops * threads);
	return (t1 - t0) / (double)ops;
}

#define HIT_PAGES 4096u  /* a power of two: the loop masks, it does not divide */

static int hit_loop(void *ctx, uint64_t ops, uint64_t seed)
{
	struct guest *g = ctx;
	int errors = 0;
	for (uint64_t i = 0; i < ops; i++)
		errors |= xl(g, (rng(&seed) & (HIT_PAGES - 1)) << 12);
	return errors;
}

/* A guest with HIT_PAGES pages mapped and all of them in the IOTLB. */
static int hit_guest(struct guest *g, const char *mode)
{
	if (guest_new(g, mode, HIT_PAGES, 16384))
		return -1;
	for (unsigned i = 0; i < HIT_PAGES; i++)
		xl(g, (uint64_t)i << 12);
	return 0;
}

static double run_hit(const char *mode, unsigned threads, uint64_t ops, bool cpu)
{
	struct guest g;
	if (hit_guest(&g, mode))
		return -1;
	double r = mt_measure(threads, ops, cpu, &g, hit_loop);
	guest_free(&g);
	return r;
}

/* Throughput of N threads over that of 1, both measured on the same
 * tables (the same allocation: on a VM, the cost of a hit moves by up to
 * 1.5x from one allocation to the next, which a ratio across two
 * allocations would take for scaling), best of three alternations (a
 * host that stops one vCPU for a while makes one measurement serial). */
static double scaling(unsigned threads, uint64_t ops, void *ctx,
		      int (*op_loop)(void *, uint64_t, uint64_t))
{
	double t1 = 0, tn = 0;
	for (int rep = 0; rep < 3; rep++) {
		double a = mt_measure(1, ops, false, ctx, op_loop);
		double b = mt_measure(threads, ops, false, ctx, op_loop);
		if (a < 0 || b <= 0)
			return -1;
		if (!rep || a < t1)
			t1 = a;
		if (!rep || b < tn)
			tn = b;
	}
	return threads * t1 / tn;
}

static double run_hit_scaling(unsigned threads, uint64_t ops)
{
	struct guest g;
	if (hit_guest(&g, "ss"))
		return -1;
	double r = scaling(threads, ops, &g, hit_loop);
	guest_free(&g);
	return r;
}

static double run_miss(const char *mode, uint64_t ops)
{
	struct guest g;
	const unsigned npages = 1u << 16;
	/* a 16-entry IOTLB over 64K pages: nearly every translation walks */
	if (guest_new(&g, mode, npages, 16))
		return -1;
	uint64_t seed = 42;
	int err = 0;
	double t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++)
		err |= xl(&g, (rng(&seed) % npages) << 12);
	double dt = now_ns() - t0;
	guest_free(&g);
	return err ? -1 : dt / (double)ops;
}

/* The address of the last-level entry that maps iova (its tables exist). */
static uint64_t leaf_entry(struct guest *g, uint64_t iova)
{
	uint64_t table = g->pt;
	for (unsigned level = g->levels; level > 1; level--)
		table = get64(g, table + ((iova >> (12 + 9 * (level - 1))) & 0x1ff) * 8) & ~0xfffull &
			((1ull << 48) - 1);
	return table + ((iova >> 12) & 0x1ff) * 8;
}

/*
 * The strict cycle, what Linux does for every streaming DMA when batching
 * is off (caching mode, as for any VFIO device under a vIOMMU): the leaf
 * entry written, one DMA (a miss), the entry cleared, then a page-selective
 * invalidation (IOTLB descriptor in legacy mode, PASID-based IOTLB for the
 * first stage and nested) and a wait descriptor with a status write,
 * queued with one IQT write.  The page moves through a 512-page window
 * whose upper tables stay; ns per cycle, the guest's own stores included.
 */
static double run_strict(const char *mode, uint64_t ops)
{
	struct guest g;
	const unsigned window = 512;
	if (guest_new(&g, mode, window, 0))
		return -1;
	uint64_t q = alloc_page(&g), status = alloc_page(&g);
	uint64_t data = 0x2000000, bits = g.sm ? 7 : 3;
	/* every window page unmapped, its entry's address known */
	uint64_t *ea = calloc(window, sizeof(*ea));
	if (!ea) {
		guest_free(&g);
		return -1;
	}
	for (unsigned i = 0; i < window; i++) {
		ea[i] = leaf_entry(&g, (uint64_t)i << 12);
		put64(&g, ea[i], 0);
	}
	/* 256-bit descriptors in scalable mode (type 6 needs them), 128-bit
	 * in legacy mode, as Linux programs them */
	unsigned dsz = g.sm ? 32 : 16, nd = 4096 / dsz;
	vtd_iommu_mmio_write(g.iommu, VTD_REG_IQA, 8, q | (g.sm ? 1u << 11 : 0));
	vtd_iommu_mmio_write(g.iommu, VTD_REG_GCMD, 4, (1u << 31) | (1u << 26));
	memset(g.ram + q, 0, 4096);
	uint64_t tail = 0;
	int err = 0;
	double t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++) {
		unsigned p = (unsigned)(i % window);
		uint64_t iova = (uint64_t)p << 12;
		put64(&g, ea[p], (data + iova) | bits);
		err |= xl(&g, iova);
		put64(&g, ea[p], 0);
		uint64_t d = q + tail * dsz;
		if (g.sm) /* PASID-based IOTLB: page (granularity 3), DID 1, PASID 0 */
			put64(&g, d, 6 | (3u << 4) | (1ull << 16));
		else      /* IOTLB: page (granularity 3), DR|DW, DID 1 */
			put64(&g, d, 2 | (3u << 4) | (3u << 6) | (1ull << 16));
		put64(&g, d + 8, iova);
		tail = (tail + 1) % nd;
		d = q + tail * dsz;
		/* wait: status write (SW) of the cycle's number */
		put64(&g, d, 5 | (1u << 5) | ((i & 0xffffffffull) << 32));
		put64(&g, d + 8, status);
		tail = (tail + 1) % nd;
		vtd_iommu_mmio_write(g.iommu, VTD_REG_IQT, 8, tail << (g.sm ? 5 : 4));
		uint32_t st;
		memcpy(&st, g.ram + status, 4);
		err |= st != (uint32_t)i;
	}
	double dt = now_ns() - t0;
	uint64_t fsts = 0;
	vtd_iommu_mmio_read(g.iommu, VTD_REG_FSTS, 4, &fsts);
	err |= (fsts & 0x7f) != 0; /* no fault, no queue error */
	free(ea);
	guest_free(&g);
	return err ? -1 : dt / (double)ops;
}

static double run_psi(unsigned cached, uint64_t ops)
{
	struct guest g;
	if (guest_new(&g, "ss", cached, cached + 64))
		return -1;
	for (unsigned i = 0; i < cached; i++)
		xl(&g, (uint64_t)i << 12);
	uint64_t seed = 7;
	double t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++) {
		uint64_t page = rng(&seed) % cached;
		vtd_iommu_mmio_write(g.iommu, VTD_REG_IVA, 8, page << 12);
		vtd_iommu_mmio_write(g.iommu, VTD_REG_IOTLB, 8, 0xb000000100000000ull);
	}
	double dt = now_ns() - t0;
	guest_free(&g);
	return dt / (double)ops;
}

/* What a pair of clock reads costs, to take out of single timed events. */
static double clock_cost(void)
{
	double best = 1e9;
	for (int i = 0; i < 1000; i++) {
		double a = now_ns(), b = now_ns();
		if (b - a < best)
			best = b - a;
	}
	return best;
}

/* Domain-selective IOTLB invalidation (register interface) of a domain
 * with `cached` live entries, timed alone: before each one the domain's
 * pages are translated again, untimed (an invalidation of an empty domain
 * would drop nothing). */
static double run_dsi(unsigned cached, uint64_t ops)
{
	struct guest g;
	if (guest_new(&g, "ss", cached, cached + 64))
		return -1;
	double clk = clock_cost(), sum = 0;
	int err = 0;
	for (uint64_t i = 0; i < ops; i++) {
		for (unsigned p = 0; p < cached; p++)
			err |= xl(&g, (uint64_t)p << 12);
		/* the refill evicted the invalidation path's own lines (the
		 * unit's registers and locks): bring them back with an
		 * invalidation of an empty domain, so that the timed one
		 * measures what the domain's size costs, not a cold cache */
		vtd_iommu_mmio_write(g.iommu, VTD_REG_IOTLB, 8, 0xa000000200000000ull);
		struct vtd_iommu_stats st0, st1;
		vtd_iommu_get_stats(g.iommu, &st0);
		double t0 = now_ns();
		vtd_iommu_mmio_write(g.iommu, VTD_REG_IOTLB, 8, 0xa000000100000000ull);
		double t1 = now_ns();
		vtd_iommu_get_stats(g.iommu, &st1);
		/* every entry went (all are the domain's; a few of the pages
		 * may have been evicted by their neighbours before) */
		err |= st1.iotlb_invalidated - st0.iotlb_invalidated != st0.iotlb_entries ||
		       st0.iotlb_entries < cached - cached / 16 || st1.iotlb_entries;
		sum += t1 - t0 - clk > 0 ? t1 - t0 - clk : 0;
	}
	guest_free(&g);
	return err ? -1 : sum / (double)ops;
}

/* Queued invalidation: page-selective IOTLB descriptors through a
 * 256-entry ring, submitted 64 per tail write, of random pages among
 * `cached` cached ones; ns per descriptor. */
static double run_qi(unsigned cached, uint64_t ops)
{
	struct guest g;
	if (guest_new(&g, "ss", cached, cached + 64))
		return -1;
	for (unsigned i = 0; i < cached; i++)
		xl(&g, (uint64_t)i << 12);
	uint64_t q = alloc_page(&g);
	vtd_iommu_mmio_write(g.iommu, VTD_REG_IQT, 8, 0);
	vtd_iommu_mmio_write(g.iommu, VTD_REG_IQA, 8, q); /* 1 page: 256 descriptors */
	vtd_iommu_mmio_write(g.iommu, VTD_REG_GCMD, 4, (1u << 31) | (1u << 26));
	uint64_t seed = 11, tail = 0, done = 0;
	int err = 0;
	double t0 = now_ns();
	while (done < ops) {
		for (unsigned i = 0; i < 64; i++) {
			uint64_t page = rng(&seed) % cached;
			/* type 2, granularity 3 (page), DR|DW, DID 1; address, AM 0 */
			put64(&g, q + tail * 16, 2 | (3u << 4) | (3u << 6) | (1ull << 16));
			put64(&g, q + tail * 16 + 8, page << 12);
			tail = (tail + 1) % 256;
		}
		vtd_iommu_mmio_write(g.iommu, VTD_REG_IQT, 8, tail << 4);
		done += 64;
	}
	double dt = now_ns() - t0;
	uint64_t fsts = 0;
	vtd_iommu_mmio_read(g.iommu, VTD_REG_FSTS, 4, &fsts);
	err = (fsts & (1u << 4)) != 0; /* IQE: a descriptor was refused */
	guest_free(&g);
	return err ? -1 : dt / (double)done;
}

/* Streaming DMA: consecutive 4 KiB pages over 1 GiB of IOVA, mapped with
 * 4 KiB or 2 MiB second-stage pages, default IOTLB; ns per page. */
static double run_stream(bool large, uint64_t ops)
{
	struct guest g;
	const uint64_t span = 1ull << 30, pages = span >> 12;
	if (guest_new(&g, "ss", 64, 0))
		return -1;
	/* the 64 pages guest_new mapped stay; map the rest of the GiB over
	 * the same table: guest_new put the root table at 0x100000, the
	 * context table at 0x101000, and device 00:03.0's table after them */
	uint64_t ce = get64(&g, 0x101000 + 0x18 * 16) & ~0xfffull;
	uint64_t need = large ? 8192 : (pages / 512 + 8) * 4096;
	if (g.next + need + 4096 > g.ram_size) {
		guest_free(&g);
		return -1;
	}
	if (large) {
		/* PML4[0] -> PDPT[0] exist; fill PDPT[0..1]'s directories
		 * with 2 MiB leaves (PS) */
		for (uint64_t a = 0; a < span; a += 2ull << 20) {
			uint64_t t4 = get64(&g, ce) & ~0xfffull;
			uint64_t ea3 = t4 + ((a >> 30) & 0x1ff) * 8;
			if (!(get64(&g, ea3) & 3))
				put64(&g, ea3, alloc_page(&g) | 3);
			uint64_t t2 = get64(&g, ea3) & ~0xfffull;
			put64(&g, t2 + ((a >> 21) & 0x1ff) * 8, (0x2000000 + (a & ((16ull << 20) - 1))) |
				  0x80 | 3);
		}
	} else {
		for (uint64_t i = 64; i < pages; i++)
			map_page(&g, ce, i << 12, 0x2000000 + ((i & 4095) << 12), 3);
	}
	int err = 0;
	double t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++)
		err |= xl(&g, (i % pages) << 12);
	double dt = now_ns() - t0;
	guest_free(&g);
	return err ? -1 : dt / (double)ops;
}

/* Interrupt remapping of an MSI through a 256-entry IRTE table. */
static double run_msi(uint64_t ops)
{
	struct guest g;
	if (guest_new(&g, "ss", 16, 64))
		return -1;
	uint64_t irt = alloc_page(&g); /* 256 x 16 bytes: one page */
	for (unsigned i = 0; i < 256; i++)
		put64(&g, irt + i * 16, 1 | ((uint64_t)(0x30 + (i & 0x7f)) << 16) |
				       ((uint64_t)(i & 0xff) << 40));
	vtd_iommu_mmio_write(g.iommu, VTD_REG_IRTA, 8, irt | 7); /* 2^(7+1) entries */
	vtd_iommu_mmio_write(g.iommu, VTD_REG_GCMD, 4, (1u << 31) | (1u << 24));
	vtd_iommu_mmio_write(g.iommu, VTD_REG_GCMD, 4, (1u << 31) | (1u << 25));
	uint64_t seed = 3;
	int err = 0;
	double t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++) {
		unsigned idx = (unsigned)(rng(&seed) & 0xff);
		struct vtd_irq irq;
		/* remappable format (bit 4), handle in bits 19:5 */
		vtd_iommu_remap_msi(g.iommu, 0x18, 0xfee00010ull | ((uint64_t)idx << 5), 0, &irq);
		err |= irq.blocked || !irq.remapped;
	}
	double dt = now_ns() - t0;
	guest_free(&g);
	return err ? -1 : dt / (double)ops;
}

/* references */
/* loads dependent loads per operation along a random cycle over `bytes`:
 * 64 MiB, every load misses the caches (a walk of tables out of cache);
 * 4 KiB, every load hits L1 (a walk of tables in use, as under streaming
 * DMA: what a miss really costs beside the walk's reads) */
static double run_chase(unsigned loads, uint64_t ops, size_t bytes)
{
	const size_t n = bytes / sizeof(size_t);
	size_t *next = malloc(n * sizeof(*next));
	if (!next)
		return -1;
	for (size_t i = 0; i < n; i++)
		next[i] = i;
	uint64_t seed = 99;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(rng(&seed) % (i + 1));
		size_t t = next[i];
		next[i] = next[j];
		next[j] = t;
	}
	size_t p = 0;
	double t0 = now_ns();
	for (uint64_t i = 0; i < ops; i++)
		for (unsigned k = 0; k < loads; k++)
			p = next[p];
	double dt = now_ns() - t0;
	volatile size_t sink = p;
	(void)sink;
	free(next);
	return dt / (double)ops;
}

/* open addressing over 4096 keys in a 8192-slot table: the cost of a
 * plain hash lookup, the floor for an IOTLB hit */
enum { HASH_SLOTS = 8192 };
static uint64_t hash_keys[HASH_SLOTS], hash_vals[HASH_SLOTS];

static int hash_loop(void *ctx, uint64_t ops, uint64_t seed)
{
	(void)ctx;
	uint64_t sum = 0;
	for (uint64_t i = 0; i < ops; i++) {
		uint64_t k = (rng(&seed) & 4095) + 1;
		uint64_t h = (k * 0x9e3779b97f4a7c15ull) >> 51;
		while (hash_keys[h] != k)
			h = (h + 1) & (HASH_SLOTS - 1);
		sum += hash_vals[h];
	}
	volatile uint64_t sink = sum;
	(void)sink;
	return 0;
}

static double run_hash(unsigned threads, uint64_t ops, bool scale)
{
	memset(hash_keys, 0, sizeof(hash_keys));
	for (uint64_t k = 1; k <= 4096; k++) {
		uint64_t h = (k * 0x9e3779b97f4a7c15ull) >> 51;
		while (hash_keys[h])
			h = (h + 1) & (HASH_SLOTS - 1);
		hash_keys[h] = k;
		hash_vals[h] = k << 12;
	}
	return scale ? scaling(threads, ops, NULL, hash_loop)
		     : mt_measure(threads, ops, false, NULL, hash_loop);
}

const struct bench_scenario bench_scenarios[] = {
	{ "ref-hash", "plain hash-table lookup (reference)", NULL, NULL },
	{ "ref-scaling", "plain hash lookups: throughput of N threads over 1 (reference: the machine's scaling)", NULL, "x" },
	{ "ref-chase4", "4 dependent cache-missing loads (reference for a 4-level walk)", NULL, NULL },
	{ "ref-chase5", "5 dependent cache-missing loads (reference for a 5-level walk)", NULL, NULL },
	{ "ref-chase8", "8 dependent cache-missing loads (reference for a nested walk)", NULL, NULL },
	{ "ref-hot4", "4 dependent loads hitting L1 (a 4-level walk of tables in cache)", NULL, NULL },
	{ "ref-hot5", "5 dependent loads hitting L1 (a 5-level walk of tables in cache)", NULL, NULL },
	{ "ref-hot8", "8 dependent loads hitting L1 (a nested walk of tables in cache)", NULL, NULL },
	{ "iotlb-hit", "IOTLB hit, 1 thread", "ref-hash", NULL },
	{ "iotlb-hit-mt", "IOTLB hit, every thread (latency per thread)", "ref-hash", NULL },
	{ "iotlb-mt-cpu", "IOTLB hit, every thread (CPU time per hit: contention)", "iotlb-hit", NULL },
	{ "iotlb-scaling", "IOTLB hits: throughput of N threads over 1, same tables", "ref-scaling", "x" },
	{ "ss-miss", "second-stage 4-level walk + insert + eviction", "ref-hot4", NULL },
	{ "fs-miss", "first-stage 4-level walk + insert + eviction", "ref-hot4", NULL },
	{ "fs5-miss", "first-stage 5-level walk (x-fs5lp) + insert + eviction", "ref-hot5", NULL },
	{ "nested-miss", "nested walk (4-level over 4-level) + insert + eviction", "ref-hot8", NULL },
	{ "pasid-hit", "IOTLB hit of a request with PASID (first stage of PASID 1)", "ref-hash", NULL },
	{ "pasid-miss", "first-stage 4-level walk + insert + eviction, requests with PASID 1", "ref-hot4", NULL },
	{ "strict-cycle", "map, DMA (a miss), unmap, queued page invalidation + wait: legacy 4-level", "ss-miss", NULL },
	{ "strict-cycle-fs", "the strict cycle on a first-stage 4-level table (PASID-based IOTLB)", "fs-miss", NULL },
	{ "strict-cycle-nested", "the strict cycle on a first stage nested over a second stage", "nested-miss", NULL },
	{ "psi-1e3", "page-selective invalidation, 1e3 entries cached", NULL, NULL },
	{ "psi-1e6", "page-selective invalidation, 1e6 entries cached", "psi-1e3", NULL },
	{ "dsi", "domain invalidation, 64 entries of the domain cached", NULL, NULL },
	{ "dsi-1e6", "domain invalidation, 1e6 entries of the domain cached", "dsi", NULL },
	{ "qi-psi", "queued page-selective IOTLB invalidation, 1e3 entries cached, per descriptor", NULL, NULL },
	{ "qi-psi-1e6", "queued page-selective IOTLB invalidation, 1e6 entries cached, per descriptor", "qi-psi", NULL },
	{ "stream-4k", "sequential 4 KiB pages over 1 GiB, 4 KiB mappings", NULL, NULL },
	{ "stream-2m", "sequential 4 KiB pages over 1 GiB, 2 MiB mappings", NULL, NULL },
	{ "msi-remap", "MSI through a remapping-format IRTE", NULL, NULL },
	{ NULL, NULL, NULL, NULL },
};

double bench_run_once(const char *name, unsigned threads, double scale)
{
	uint64_t k = (uint64_t)(scale * 1000);
	if (!k)
		k = 1;
	if (!strcmp(name, "ref-hash")) return run_hash(1, 2000 * k, false);
	if (!strcmp(name, "ref-scaling")) return run_hash(threads, 1000 * k, true);
	if (!strcmp(name, "ref-chase4")) return run_chase(4, 200 * k, 64u << 20);
	if (!strcmp(name, "ref-chase5")) return run_chase(5, 160 * k, 64u << 20);
	if (!strcmp(name, "ref-chase8")) return run_chase(8, 100 * k, 64u << 20);
	if (!strcmp(name, "ref-hot4")) return run_chase(4, 2000 * k, 4096);
	if (!strcmp(name, "ref-hot5")) return run_chase(5, 1600 * k, 4096);
	if (!strcmp(name, "ref-hot8")) return run_chase(8, 1000 * k, 4096);
	if (!strcmp(name, "iotlb-hit")) return run_hit("ss", 1, 1000 * k, false);
	if (!strcmp(name, "iotlb-hit-mt")) return run_hit("ss", threads, 500 * k, false);
	if (!strcmp(name, "iotlb-mt-cpu")) return run_hit("ss", threads, 500 * k, true);
	if (!strcmp(name, "pasid-hit")) return run_hit("pasid", 1, 1000 * k, false);
	if (!strcmp(name, "iotlb-scaling")) return run_hit_scaling(threads, 250 * k);
	if (!strcmp(name, "ss-miss")) return run_miss("ss", 200 * k);
	if (!strcmp(name, "fs-miss")) return run_miss("fs", 200 * k);
	if (!strcmp(name, "fs5-miss")) return run_miss("fs5", 200 * k);
	if (!strcmp(name, "nested-miss")) return run_miss("nested", 100 * k);
	if (!strcmp(name, "pasid-miss")) return run_miss("pasid", 100 * k);
	if (!strcmp(name, "strict-cycle")) return run_strict("ss", 100 * k);
	if (!strcmp(name, "strict-cycle-fs")) return run_strict("fs", 100 * k);
	if (!strcmp(name, "strict-cycle-nested")) return run_strict("nested", 50 * k);
	if (!strcmp(name, "psi-1e3")) return run_psi(1000, 200 * k);
	if (!strcmp(name, "psi-1e6")) return run_psi(1000000, 200 * k);
	if (!strcmp(name, "dsi")) return run_dsi(64, 20 * k);
	if (!strcmp(name, "dsi-1e6")) return run_dsi(1000000, 1 + k / 2000);
	if (!strcmp(name, "qi-psi")) return run_qi(1000, 200 * k);
	if (!strcmp(name, "qi-psi-1e6")) return run_qi(1000000, 200 * k);
	if (!strcmp(name, "stream-4k")) return run_stream(false, 500 * k);
	if (!strcmp(name, "stream-2m")) return run_stream(true, 500 * k);
	if (!strcmp(name, "msi-remap")) return run_msi(500 * k);
	return -1;
}
