/* SPDX-License-Identifier: MIT */
/*
 * What the unit tests share (tests/unit/guest.c): a flat guest RAM and the
 * unit in front of it, register access that fails the test on any error,
 * and builders for the structures a guest driver writes (paging structures,
 * root, context and PASID entries, the invalidation queue).
 *
 * One fixture per test program: the globals below are the guest (RAM, the
 * unit, the page allocator); guest_new() makes one and guest_teardown()
 * frees it.  Helpers taking a struct vtd_iommu * work on any unit.
 */
#ifndef VTD_TEST_GUEST_H
#define VTD_TEST_GUEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "viommu.h"

/* ---- guest memory layout the table builders assume ---------------------- */

#define ROOT  0x10000ull     /* root table */
#define CT0   0x11000ull     /* context table of bus 0 (scalable: the lower half) */
#define CT1   0x12000ull     /* a second context table (bus 1, or bus 0's upper half) */
#define PDIR  0x13000ull     /* PASID directory */
#define PTBL  0x14000ull     /* PASID table of PASIDs 0-63 */
#define QBASE 0x20000ull     /* invalidation queue */
#define FIRST_PAGE 0x100000ull /* alloc_page() hands out pages from here up */

#define RTADDR_SMT (1ull << 10)   /* RTADDR.TTM=01b: scalable mode */

/* paging-structure entries */
#define ADDR_MASK 0x000ffffffffff000ull
#define PS        (1ull << 7)     /* page size: a leaf above level 1 */
#define SS_R  1ull
#define SS_W  2ull
#define SS_RW 3ull
#define FS_P  1ull
#define FS_RW 2ull
#define FS_US 4ull
#define FS_A  (1ull << 5)
#define FS_D  (1ull << 6)
#define FS_EA (1ull << 10)
#define FS_PRU (FS_P | FS_RW | FS_US)

/* PASID-table entry, qword 0 */
#define PGTT(n) ((uint64_t)(n) << 6)
#define SSAW(n) ((uint64_t)(n) << 2)

/* ---- the guest ------------------------------------------------------------ */

extern uint8_t *ram;             /* guest memory as the test sees it */
extern uint64_t ram_size;
extern struct vtd_iommu *iommu;
extern uint64_t next_page;       /* the next page alloc_page() returns */
extern bool tables_changed;      /* set by every put64(); the tests clear it */

/* A unit configured by `props` (QEMU property syntax) with options `o`
 * (o->sz is filled in); any error fails the test. */
struct vtd_iommu *iommu_new(const char *props, struct vtd_iommu_opts *o);
/* Zeroed guest RAM of `size` bytes and, in front of it, the unit `iommu`
 * made with `o`, which reaches RAM directly (o.ram) when `flat`. */
void guest_new(const char *props, uint64_t size, bool flat, struct vtd_iommu_opts o);
/* Frees the guest; a cmocka teardown. */
int guest_teardown(void **state);

/* 64/32-bit little-endian accesses to guest RAM, inside it or the test fails */
void put64(uint64_t a, uint64_t v);
uint64_t get64(uint64_t a);
uint32_t get32(uint64_t a);
/* A zeroed page of guest RAM. */
uint64_t alloc_page(void);

/* ---- registers -------------------------------------------------------------- */

/* MMIO on unit `u`; an access the unit refuses fails the test. */
uint64_t reg_rd(struct vtd_iommu *u, uint64_t off, unsigned size);
void reg_wr(struct vtd_iommu *u, uint64_t off, unsigned size, uint64_t v);
uint32_t gsts(struct vtd_iommu *u);
/* A GCMD write as the spec recommends: the persistent enables as GSTS
 * shows them (not the one-shot commands), plus `set`, minus `clear`. */
void gcmd_cmd(struct vtd_iommu *u, uint32_t set, uint32_t clear);

/* The same on the guest's unit */
uint64_t mmio_r(uint64_t off, unsigned size);
void mmio_w(uint64_t off, unsigned size, uint64_t v);
uint32_t fsts(void);
/* One GCMD field on or off; GSTS must follow. */
void gcmd(uint32_t bit, bool on);
/* As a driver does: RTADDR, GCMD.SRTP (GSTS.RTPS), GCMD.TE (GSTS.TES). */
void enable_root(uint64_t rtaddr);

/* ---- paging structures ---------------------------------------------------- */

/* Index of the entry for `va` in a table at `level` */
unsigned pt_index(uint64_t va, unsigned level);
/* Address of the entry for `va` at `level` (1: 4K, 2: 2M, 3: 1G...) of a
 * `levels`-level table at `root`, creating the tables above it with
 * `nonleaf` flags where absent. */
uint64_t pte_at(uint64_t root, unsigned levels, uint64_t va, unsigned level, uint64_t nonleaf);
/* A second-stage leaf (R/W `flags`, PS above level 1) in a `levels`-level
 * table, intermediate entries RW; returns its address. */
uint64_t ss_map(uint64_t root, unsigned levels, uint64_t va, uint64_t pa, unsigned level,
		uint64_t flags);
/* A first-stage leaf in a 4-level table, intermediate entries P|RW|US. */
uint64_t fs_map(uint64_t root, uint64_t va, uint64_t pa, unsigned level, uint64_t flags);

/* ---- root, context and PASID entries --------------------------------------- */

/* legacy context entry (128 bits) of devfn in context table `ct` */
void set_legacy_ctx(uint64_t ct, unsigned devfn, uint64_t lo, uint64_t hi);
/* scalable-mode context entry (256 bits; qwords 2-3 zero) of devfn in the
 * half-table `ct` that holds it */
uint64_t sm_ctx_at(uint64_t ct, unsigned devfn);
void set_sm_ctx(uint64_t ct, unsigned devfn, uint64_t q0, uint64_t q1);
/* PASID-table entry (512 bits) of `pasid` under directory `pdir`; a PASID
 * table is allocated where the directory entry is empty.  set_pasid_entry
 * zeroes qwords 3-7. */
uint64_t pasid_entry_at(uint64_t pdir, uint32_t pasid);
void set_pasid_entry(uint64_t pdir, uint32_t pasid, uint64_t q0, uint64_t q1, uint64_t q2);

/* ---- invalidation queue -------------------------------------------------- */

extern uint64_t q_base;
extern unsigned q_shift;         /* log2 of the descriptor size: 4 or 5 */
extern uint32_t q_size, q_tail;  /* in descriptors */

/* The queue at `base`: IQT 0, IQA (QS = log2 of 4 KiB pages, DW for
 * 256-bit descriptors), GCMD.QIE; IQH must read 0. */
void qi_on(uint64_t base, unsigned qs, bool dw);
/* A descriptor in queue slot `slot` (q2, q3 only with 256-bit descriptors) */
void q_set(uint32_t slot, uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3);
/* The same at the tail, which moves on. */
void q_put(uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3);
/* IQT = the tail: the unit processes what was put. */
void q_go(void);
/* q_put, then q_go */
void q_submit(uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3);

#endif
