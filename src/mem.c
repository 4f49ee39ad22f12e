/* SPDX-License-Identifier: MIT */
/*
 * Guest memory as the IOMMU reaches it: the flat RAM fast path when the
 * VMM gave one, the callbacks otherwise.  Paging and PASID-directory
 * entries (vtd_mem_read64) are 8-byte aligned loads, single atomic loads on
 * the flat path, so a guest that rewrites one while a walk reads it yields
 * the old or the new value, never a mix; wider structures are copied whole
 * (vtd_mem_read) and checked after the copy.
 */
#include "mem.h"

#include <errno.h>
#include <string.h>

/* The thread's callback frames (viommu.h); initial-exec like the counter
 * slot in cache.c: one load, no call, on the callback paths. */
_Thread_local struct vtd_cb_frame *vtd_cb_top __attribute__((tls_model("initial-exec")));

/* The library wrote [gpa, gpa + len) of the flat RAM: the VMM's dirty
 * tracking cannot see such a store, so it is told (opts->ram_dirty). */
static void dirty(struct vtd_iommu *s, uint64_t gpa, uint64_t len)
{
	if (s->ram_dirty)
		VTD_CALLBACK(s, s->ram_dirty(s->event_opaque, gpa, len));
}

int vtd_mem_read(struct vtd_iommu *s, uint64_t gpa, void *buf, size_t len)
{
	if (vtd_mem_in_ram(s, gpa, len)) {
		/* the guest's structures (root, context, PASID entries) qword
		 * by qword: see vtd_ram_load */
		if (!(gpa & 7) && !(len & 7) && len <= 64)
			vtd_ram_load(buf, s->ram + gpa, (unsigned)(len / 8));
		else
			memcpy(buf, s->ram + gpa, len);
		return 0;
	}
	if (!s->mem.read)
		return -EFAULT;
	int r;
	VTD_CALLBACK(s, r = s->mem.read(s->mem_opaque, gpa, buf, len));
	return r ? -EFAULT : 0;
}

int vtd_mem_write(struct vtd_iommu *s, uint64_t gpa, const void *buf, size_t len)
{
	if (vtd_mem_in_ram(s, gpa, len)) {
		memcpy(s->ram + gpa, buf, len);
		dirty(s, gpa, len);
		return 0;
	}
	if (!s->mem.write)
		return -EFAULT;
	int r;
	VTD_CALLBACK(s, r = s->mem.write(s->mem_opaque, gpa, buf, len));
	return r ? -EFAULT : 0;
}

int vtd_mem_load64_sc(struct vtd_iommu *s, uint64_t gpa, uint64_t *v)
{
	if (!(gpa & 7) && vtd_mem_in_ram(s, gpa, 8)) {
		*v = __atomic_load_n((uint64_t *)(void *)(s->ram + gpa), __ATOMIC_SEQ_CST);
		return 0;
	}
	return vtd_mem_read(s, gpa, v, 8);
}

int vtd_mem_cas64(struct vtd_iommu *s, uint64_t gpa, uint64_t *expected, uint64_t desired)
{
	if (!(gpa & 7) && vtd_mem_in_ram(s, gpa, 8)) {
		uint64_t old = *expected;
		if (__atomic_compare_exchange_n((uint64_t *)(void *)(s->ram + gpa), expected,
						desired, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			if (old != desired) /* an exchange that changed nothing dirties nothing */
				dirty(s, gpa, 8);
			return 0;
		}
		return -EAGAIN;
	}
	if (s->mem.cmpxchg64) {
		int r;
		VTD_CALLBACK(s, r = s->mem.cmpxchg64(s->mem_opaque, gpa, expected, desired));
		return !r ? 0 : r == -EAGAIN ? -EAGAIN : -EFAULT;
	}
	/* No atomic path: compare, then write.  A guest store between the two
	 * is lost; documented for struct vtd_mem_ops. */
	uint64_t cur;
	if (vtd_mem_read(s, gpa, &cur, 8))
		return -EFAULT;
	if (cur != *expected) {
		*expected = cur;
		return -EAGAIN;
	}
	return vtd_mem_write(s, gpa, &desired, 8);
}

int vtd_mem_or64(struct vtd_iommu *s, uint64_t gpa, uint64_t hint, uint64_t bits)
{
	if (!(gpa & 7) && vtd_mem_in_ram(s, gpa, 8)) {
		uint64_t old = __atomic_fetch_or((uint64_t *)(void *)(s->ram + gpa), bits,
						  __ATOMIC_SEQ_CST);
		if ((old | bits) != old)
			dirty(s, gpa, 8);
		return 0;
	}
	/* A compare-exchange fails only when the word changed since we read
	 * it, so honest contention ends within a few tries; only a guest that
	 * keeps rewriting the word can exhaust the bound, and it then loses
	 * its own update. */
	uint64_t expected = hint;
	for (int i = 0; i < VTD_MEM_CAS_TRIES; i++) {
		int r = vtd_mem_cas64(s, gpa, &expected, expected | bits);
		if (!r)
			return 0;
		if (r != -EAGAIN)
			return -EFAULT;
	}
	return -EBUSY;
}

int vtd_mem_set_bits64(struct vtd_iommu *s, uint64_t gpa, uint64_t old, uint64_t bits)
{
	/* Accessed/dirty updates are atomic with respect to the guest (spec:
	 * locked read-modify-write).  If the entry changed under us we set the
	 * bits in its new value: the walk already used the old one, which a
	 * concurrent guest update makes no less valid than hardware would.
	 * A guest hammering the entry past the retry bound gets a fault. */
	return vtd_mem_or64(s, gpa, old, bits) ? -EFAULT : 0;
}
