/* SPDX-License-Identifier: MIT */
/*
 * Guest memory (mem.c): the flat-RAM fast path, the VMM's callbacks
 * otherwise.  Every module that reads or writes what the guest owns goes
 * through these; they call nothing in the library.
 */
#ifndef VTD_MEM_H
#define VTD_MEM_H

#include "viommu.h"

#include <string.h>

int vtd_mem_read(struct vtd_iommu *s, uint64_t gpa, void *buf, size_t len);
int vtd_mem_write(struct vtd_iommu *s, uint64_t gpa, const void *buf, size_t len);
/* Whether [gpa, gpa + len) lies in the flat RAM (without overflow). */
static inline bool vtd_mem_in_ram(const struct vtd_iommu *s, uint64_t gpa, size_t len)
{
	return s->ram && gpa < s->ram_size && len <= s->ram_size - gpa;
}
/* n qwords of the flat RAM at p (8-byte aligned) into d, each read whole:
 * a vCPU may rewrite the guest's structures while a device translates,
 * and a read of a qword is then the old or the new one, never a data
 * race.  (Stored through memcpy: d may be any object of the caller's.) */
static inline void vtd_ram_load(void *d, const uint8_t *p, unsigned n)
{
#pragma GCC unroll 8
	for (unsigned i = 0; i < n; i++) {
		uint64_t q = __atomic_load_n((const uint64_t *)(const void *)(p + 8 * i),
					     __ATOMIC_RELAXED);
		memcpy((uint8_t *)d + 8 * i, &q, 8);
	}
}
/* A qword of the guest's tables: inline for the flat RAM, as every level
 * of every walk reads one. */
static inline int vtd_mem_read64(struct vtd_iommu *s, uint64_t gpa, uint64_t *v)
{
	/* vtd_mem_in_ram(s, gpa, 8), written out: through the helper gcc 12
	 * schedules the nested walk's reads worse (make icount: nested-miss
	 * 3568 -> 3632) */
	if (VTD_LIKELY(!(gpa & 7) && s->ram && gpa < s->ram_size && 8 <= s->ram_size - gpa)) {
		*v = __atomic_load_n((uint64_t *)(void *)(s->ram + gpa), __ATOMIC_RELAXED);
		return 0;
	}
	return vtd_mem_read(s, gpa, v, 8);
}
/* An invalidation descriptor (16 or 32 bytes, dw: 256-bit descriptors):
 * copied inline from the flat RAM, as the queue reads one per
 * descriptor; the callbacks otherwise (one call per descriptor). */
static inline int vtd_mem_read_desc(struct vtd_iommu *s, uint64_t gpa, uint64_t d[4], bool dw)
{
	size_t len = dw ? 32 : 16;
	/* (the queue's base is 4 KiB-aligned, its slots whole descriptors) */
	if (VTD_LIKELY(!(gpa & 7) && vtd_mem_in_ram(s, gpa, len))) {
		if (dw)
			vtd_ram_load(d, s->ram + gpa, 4);
		else
			vtd_ram_load(d, s->ram + gpa, 2);
		return 0;
	}
	return vtd_mem_read(s, gpa, d, len);
}
/*
 * Locked read-modify-writes of guest memory, as the spec requires for
 * accessed/dirty flags and posted-interrupt descriptors: __atomic ops on
 * the flat RAM, else the VMM's mem.cmpxchg64, else (neither available) a
 * read then a write, which is not atomic against the guest.
 * vtd_mem_cas64: 0, -EAGAIN with the current value in *expected, -EFAULT.
 * vtd_mem_or64: OR bits in (hint: the value the caller expects there);
 * 0, -EFAULT, or -EBUSY when the word
 * changed under every one of VTD_MEM_CAS_TRIES compare-exchanges (only a
 * guest rewriting it without pause does that; the bits are then not set).
 * vtd_mem_set_bits64: vtd_mem_or64 for A/D flags; any failure is -EFAULT.
 */
#define VTD_MEM_CAS_TRIES 64
/* A qword load ordered after the caller's locked updates (seq_cst on the
 * flat RAM), for decisions that must see what a guest did since. */
int vtd_mem_load64_sc(struct vtd_iommu *s, uint64_t gpa, uint64_t *v);
int vtd_mem_cas64(struct vtd_iommu *s, uint64_t gpa, uint64_t *expected, uint64_t desired);
int vtd_mem_or64(struct vtd_iommu *s, uint64_t gpa, uint64_t hint, uint64_t bits);
int vtd_mem_set_bits64(struct vtd_iommu *s, uint64_t gpa, uint64_t old, uint64_t bits);

#endif
