/* SPDX-License-Identifier: MIT */
/*
 * vtd-contention: what slows the IOTLB hit when it slows.
 *
 * `vtd bench --processes 20 iotlb-hit` shows the hit at one of two speeds
 * (doc/performance.md, "The hit's time across processes").  This program
 * measures, in rounds a few milliseconds long, the hit and five loops
 * beside it, one after the other within each round, so that whatever slows
 * the machine during a round is seen by all of them:
 *
 *   hit      IOTLB hits on 4096 mapped pages, random (vtd bench's iotlb-hit)
 *   hit1     IOTLB hits on one page (no branch or cache effect can vary)
 *   hash     independent lookups of random keys, 4096 keys in 8192 slots
 *            (vtd bench's ref-hash: throughput-bound, in L2)
 *   hashL1   the same over 64 keys (throughput-bound loads, in L1)
 *   hot4     4 dependent loads hitting L1 (latency-bound loads)
 *   alu      a dependent chain of multiplies and shifts (no memory)
 *
 * Each figure is the best of 3 passes of 200,000 operations, in ns per
 * operation.  Usage: vtd-contention [ROUNDS] (default 20).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vtd/vtd.h>

#define PAGES 4096u
#define OPS 200000u

static uint8_t *ram;
static uint64_t next_page = 0x100000;
static volatile uint64_t sink;

static void put64(uint64_t a, uint64_t v) { memcpy(ram + a, &v, 8); }
static uint64_t get64(uint64_t a)
{
	uint64_t v;
	memcpy(&v, ram + a, 8);
	return v;
}

static void map(uint64_t root, uint64_t iova, uint64_t pa)
{
	uint64_t t = root;
	for (int level = 4; level > 1; level--) {
		uint64_t ea = t + ((iova >> (12 + 9 * (level - 1))) & 0x1ff) * 8, e = get64(ea);
		if (!(e & 3)) {
			e = next_page | 3;
			next_page += 4096;
			put64(ea, e);
		}
		t = e & 0x000ffffffffff000ull;
	}
	put64(t + ((iova >> 12) & 0x1ff) * 8, pa | 3);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct vtd_iommu *iommu;
static uint64_t addrs[OPS], one[OPS], keys[OPS], keys64[OPS];
static uint64_t hk[8192], hv[8192];
static uint64_t ring[512];

static double hits(const uint64_t *a)
{
	struct vtd_translation t;
	t.trace = NULL;
	int err = 0;
	double t0 = now_ns();
	for (unsigned i = 0; i < OPS; i++) {
		struct vtd_dma_request rq = { .sid = 0x18, .addr = a[i], .perm = VTD_PERM_R };
		err |= vtd_iommu_translate(iommu, &rq, &t);
	}
	double dt = (now_ns() - t0) / OPS;
	return err ? -1 : dt;
}

static double lookups(const uint64_t *k)
{
	uint64_t acc = 0;
	double t0 = now_ns();
	for (unsigned i = 0; i < OPS; i++) {
		unsigned h = (unsigned)((k[i] * 0x9e3779b97f4a7c15ull) >> 51);
		while (hk[h] != k[i])
			h = (h + 1) & 8191;
		acc += hv[h];
	}
	sink = acc;
	return (now_ns() - t0) / OPS;
}

static double hot4(void)
{
	const uint64_t *p = (const uint64_t *)(uintptr_t)ring[0];
	double t0 = now_ns();
	for (unsigned i = 0; i < OPS; i++) {
		p = (const uint64_t *)(uintptr_t)*p;
		p = (const uint64_t *)(uintptr_t)*p;
		p = (const uint64_t *)(uintptr_t)*p;
		p = (const uint64_t *)(uintptr_t)*p;
	}
	sink = (uintptr_t)p;
	return (now_ns() - t0) / OPS;
}

static double alu(void)
{
	uint64_t x = 1;
	double t0 = now_ns();
	for (unsigned i = 0; i < OPS; i++) {
		x = x * 3 + 1;
		x ^= x >> 5;
		x = x * 5 + 7;
		x ^= x >> 3;
	}
	sink = x;
	return (now_ns() - t0) / OPS;
}

static double best3(int which)
{
	double b = 1e30;
	for (int r = 0; r < 3; r++) {
		double v = which == 0 ? hits(addrs) : which == 1 ? hits(one) : which == 2 ? lookups(keys)
			 : which == 3 ? lookups(keys64) : which == 4 ? hot4() : alu();
		if (v < 0)
			return -1;
		if (v < b)
			b = v;
	}
	return b;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 20;
	if (argc > 2) {
		fprintf(stderr, "usage: vtd-contention [ROUNDS]\n");
		return 2;
	}
	if (argc == 2) {
		char *end;
		errno = 0;
		rounds = strtoul(argv[1], &end, 10);
		if (!argv[1][0] || *end || errno || argv[1][0] == '-' || rounds < 1 || rounds > 10000) {
			fprintf(stderr, "vtd-contention: ROUNDS '%s' is not 1 to 10000\n", argv[1]);
			return 2;
		}
	}
	size_t ram_size = 64u << 20;
	ram = calloc(1, ram_size);
	struct vtd_config cfg;
	struct vtd_error err;
	vtd_error_clear(&err);
	if (!ram || vtd_config_parse(&cfg, "", &err)) {
		fprintf(stderr, "vtd-contention: set-up failed\n");
		return 1;
	}
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = ram, .ram_size = ram_size,
				    .iotlb_entries = 16384 };
	if (vtd_iommu_new(&cfg, &o, &iommu, &err)) {
		fprintf(stderr, "vtd-contention: %s\n", err.msg);
		return 1;
	}
	/* legacy mode, 00:03.0, a 4-level second stage, DID 1 (as vtd bench) */
	uint64_t root = 0x10000, ctx = 0x11000, pt = 0x12000;
	put64(root, ctx | 1);
	put64(ctx + 0x18 * 16, pt | 1);
	put64(ctx + 0x18 * 16 + 8, 0x102);
	for (unsigned i = 0; i < PAGES; i++)
		map(pt, (uint64_t)i << 12, 0x2000000 + ((uint64_t)i << 12));
	vtd_iommu_mmio_write(iommu, VTD_REG_RTADDR, 8, root);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 30);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 31);
	uint64_t seed = 1;
	for (unsigned i = 0; i < OPS; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		addrs[i] = ((seed >> 33) % PAGES) << 12;
		one[i] = 7ull << 12;
		keys[i] = addrs[i];
		keys64[i] = ((seed >> 33) % 64) << 12;
	}
	for (unsigned i = 0; i < PAGES; i++) {
		uint64_t k = (uint64_t)i << 12;
		unsigned h = (unsigned)((k * 0x9e3779b97f4a7c15ull) >> 51);
		while (hk[h])
			h = (h + 1) & 8191;
		hk[h] = k;
		hv[h] = k + 1;
	}
	for (unsigned i = 0; i < 512; i++)
		ring[i] = (uint64_t)(uintptr_t)&ring[(i * 97 + 13) % 512];
	if (hits(addrs) < 0) /* fills the IOTLB */
		return 1;
	printf("round     hit    hit1    hash  hashL1    hot4     alu   (ns/op, best of 3)\n");
	for (unsigned long r = 0; r < rounds; r++) {
		printf("%5lu", r + 1);
		for (int w = 0; w < 6; w++) {
			double v = best3(w);
			if (v < 0) {
				printf("\nvtd-contention: a translation failed\n");
				return 1;
			}
			printf(" %7.2f", v);
		}
		printf("\n");
		fflush(stdout);
	}
	vtd_iommu_free(iommu);
	free(ram);
	return 0;
}
