/* SPDX-License-Identifier: MIT */
/*
 * Guest memory as the IOMMU reaches it: the flat RAM fast path when the
 * VMM gave one, the callbacks otherwise.  Table reads are 8-byte aligned
 * loads; on the flat path they are single atomic loads, so a guest that
 * rewrites an entry while a walk reads it yields the old or the new value,
 * never a mix.
 */
#include "viommu.h"

#include <errno.h>
#include <string.h>

static inline bool in_ram(const struct vtd_iommu *s, uint64_t gpa, size_t len)
{
	return s->ram && gpa < s->ram_size && len <= s->ram_size - gpa;
}

int vtd_mem_read(struct vtd_iommu *s, uint64_t gpa, void *buf, size_t len)
{
	if (in_ram(s, gpa, len)) {
		memcpy(buf, s->ram + gpa, len);
		return 0;
	}
	if (!s->mem.read)
		return -EFAULT;
	return s->mem.read(s->mem_opaque, gpa, buf, len) ? -EFAULT : 0;
}

int vtd_mem_write(struct vtd_iommu *s, uint64_t gpa, const void *buf, size_t len)
{
	if (in_ram(s, gpa, len)) {
		memcpy(s->ram + gpa, buf, len);
		return 0;
	}
	if (!s->mem.write)
		return -EFAULT;
	return s->mem.write(s->mem_opaque, gpa, buf, len) ? -EFAULT : 0;
}

int vtd_mem_read64(struct vtd_iommu *s, uint64_t gpa, uint64_t *v)
{
	if (VTD_LIKELY(!(gpa & 7) && in_ram(s, gpa, 8))) {
		*v = __atomic_load_n((uint64_t *)(void *)(s->ram + gpa), __ATOMIC_RELAXED);
		return 0;
	}
	return vtd_mem_read(s, gpa, v, 8);
}

int vtd_mem_set_bits64(struct vtd_iommu *s, uint64_t gpa, uint64_t old, uint64_t bits)
{
	/* Accessed/dirty updates are atomic with respect to the guest (spec:
	 * locked read-modify-write).  If the entry changed under us we set the
	 * bits in its new value: the walk already used the old one, which a
	 * concurrent guest update makes no less valid than hardware would. */
	if (!(gpa & 7) && in_ram(s, gpa, 8)) {
		__atomic_fetch_or((uint64_t *)(void *)(s->ram + gpa), bits, __ATOMIC_SEQ_CST);
		return 0;
	}
	if (s->mem.cmpxchg64) {
		uint64_t expected = old;
		for (int i = 0; i < 16; i++) {
			int r = s->mem.cmpxchg64(s->mem_opaque, gpa, &expected, expected | bits);
			if (!r)
				return 0;
			if (r != -EAGAIN)
				return -EFAULT;
		}
		return -EFAULT; /* bounded: a guest hammering the entry loses */
	}
	uint64_t v = (old | bits);
	return vtd_mem_write(s, gpa, &v, 8);
}
