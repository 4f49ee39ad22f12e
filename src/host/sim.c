/* SPDX-License-Identifier: MIT */
/*
 * The software host IOMMU ("sim"): what a VT-d host with nesting does for a
 * passthrough device, in software.  A nested table walks the guest's first
 * stage, reading the guest's tables through the parent (second stage)
 * mappings the VMM gave, sets accessed/dirty flags there, and maps the
 * result through the parent again.  Translations are cached per table and
 * dropped only by a forwarded invalidation (or by freeing the table), so a
 * guest that forgets to invalidate sees stale translations, as on hardware.
 * The cache holds 4 KiB translations: an invalidation that covers only part
 * of a large first-stage page drops only those pages, where hardware that
 * caches the leaf would drop all of it (a guest following the spec
 * invalidates the whole large page, so it cannot tell).
 */
#include "host.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX_HWPT 64
#define SIM_MAX_ATTACH 64
#define SIM_MAX_MAPS 64
#define SIM_CACHE 1024

struct sim_hwpt {
	bool used, nested;
	uint32_t parent;
	struct vtd_s1_cfg s1;
};

struct sim_map {
	uint64_t gpa, size;
	uint8_t *hva;
	bool writable;
};

struct sim_attach {
	bool used;
	uint32_t dev, pasid, hwpt;
};

struct sim_tlb {
	bool valid, writable;
	uint32_t hwpt;
	uint64_t page;        /* iova >> 12 */
	uint8_t *hva;         /* host page */
};

struct vtd_sim {
	pthread_mutex_t lock;
	struct sim_hwpt hwpt[SIM_MAX_HWPT];    /* id = index + 1 */
	struct sim_map maps[SIM_MAX_MAPS];
	unsigned nmaps;
	struct sim_attach att[SIM_MAX_ATTACH];
	struct sim_tlb tlb[SIM_CACHE];
	struct vtd_sim_event_ops ev;
	void *ev_opaque;
};

VTD_PRINTF(2, 3)
static void event(struct vtd_sim *m, const char *fmt, ...)
{
	if (!m->ev.event)
		return;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	m->ev.event(m->ev_opaque, buf);
}

static struct sim_hwpt *hwpt_get(struct vtd_sim *m, uint32_t id)
{
	if (id == 0 || id > SIM_MAX_HWPT || !m->hwpt[id - 1].used)
		return NULL;
	return &m->hwpt[id - 1];
}

static int s_alloc_parent(void *ctx, uint32_t *parent)
{
	struct vtd_sim *m = ctx;
	pthread_mutex_lock(&m->lock);
	for (uint32_t i = 0; i < SIM_MAX_HWPT; i++)
		if (!m->hwpt[i].used) {
			m->hwpt[i] = (struct sim_hwpt){ .used = true };
			*parent = i + 1;
			event(m, "alloc_parent hwpt=%u", i + 1);
			pthread_mutex_unlock(&m->lock);
			return 0;
		}
	pthread_mutex_unlock(&m->lock);
	return -ENOSPC;
}

static int s_map(void *ctx, uint64_t gpa, uint64_t size, void *hva, bool writable)
{
	struct vtd_sim *m = ctx;
	if (!size || gpa + size < gpa || !hva)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < m->nmaps; i++)
		if (gpa < m->maps[i].gpa + m->maps[i].size && m->maps[i].gpa < gpa + size) {
			pthread_mutex_unlock(&m->lock);
			return -EEXIST; /* as IOMMU_IOAS_MAP with FIXED_IOVA */
		}
	if (m->nmaps == SIM_MAX_MAPS) {
		pthread_mutex_unlock(&m->lock);
		return -ENOSPC;
	}
	m->maps[m->nmaps++] = (struct sim_map){ gpa, size, hva, writable };
	event(m, "map gpa=0x%llx size=0x%llx %s", (unsigned long long)gpa,
	      (unsigned long long)size, writable ? "rw" : "r-");
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int s_unmap(void *ctx, uint64_t gpa, uint64_t size)
{
	struct vtd_sim *m = ctx;
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < m->nmaps; i++)
		if (m->maps[i].gpa == gpa && m->maps[i].size == size) {
			m->maps[i] = m->maps[--m->nmaps];
			/* the second stage changed: cached translations through
			 * it go (the VMM's own unmap invalidates the host) */
			for (unsigned k = 0; k < SIM_CACHE; k++)
				m->tlb[k].valid = false;
			event(m, "unmap gpa=0x%llx size=0x%llx", (unsigned long long)gpa,
			      (unsigned long long)size);
			pthread_mutex_unlock(&m->lock);
			return 0;
		}
	pthread_mutex_unlock(&m->lock);
	return -ENOENT;
}

static int s_alloc_nested(void *ctx, uint32_t parent, const struct vtd_s1_cfg *s1, uint32_t *id)
{
	struct vtd_sim *m = ctx;
	pthread_mutex_lock(&m->lock);
	struct sim_hwpt *p = hwpt_get(m, parent);
	int rc = -EINVAL;
	/* what Linux checks for a nested VT-d table (intel_pasid_setup_nested) */
	if (p && !p->nested && (s1->addr_width == 48 || s1->addr_width == 57) &&
	    !(s1->flags & ~(VTD_S1_SRE | VTD_S1_EAFE | VTD_S1_WPE)) && !(s1->pgtbl_addr & 0xfff)) {
		rc = -ENOSPC;
		for (uint32_t i = 0; i < SIM_MAX_HWPT; i++)
			if (!m->hwpt[i].used) {
				m->hwpt[i] = (struct sim_hwpt){ .used = true, .nested = true,
								.parent = parent, .s1 = *s1 };
				*id = i + 1;
				event(m, "alloc_nested hwpt=%u parent=%u pgtbl=0x%llx aw=%u flags=0x%x",
				      i + 1, parent, (unsigned long long)s1->pgtbl_addr, s1->addr_width,
				      s1->flags);
				rc = 0;
				break;
			}
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int s_free_hwpt(void *ctx, uint32_t id)
{
	struct vtd_sim *m = ctx;
	pthread_mutex_lock(&m->lock);
	struct sim_hwpt *h = hwpt_get(m, id);
	int rc = -ENOENT;
	if (h) {
		bool busy = false;
		for (unsigned i = 0; i < SIM_MAX_ATTACH; i++)
			busy |= m->att[i].used && m->att[i].hwpt == id;
		if (busy) {
			rc = -EBUSY;
		} else {
			h->used = false;
			for (unsigned k = 0; k < SIM_CACHE; k++)
				if (m->tlb[k].hwpt == id)
					m->tlb[k].valid = false;
			event(m, "free hwpt=%u", id);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int s_attach(void *ctx, uint32_t dev, uint32_t pasid, uint32_t id)
{
	struct vtd_sim *m = ctx;
	pthread_mutex_lock(&m->lock);
	if (id && !hwpt_get(m, id)) {
		pthread_mutex_unlock(&m->lock);
		return -ENOENT;
	}
	struct sim_attach *slot = NULL, *free_slot = NULL;
	for (unsigned i = 0; i < SIM_MAX_ATTACH; i++) {
		if (m->att[i].used && m->att[i].dev == dev && m->att[i].pasid == pasid)
			slot = &m->att[i];
		else if (!m->att[i].used && !free_slot)
			free_slot = &m->att[i];
	}
	int rc = 0;
	if (!id) {
		if (slot)
			slot->used = false;
		event(m, "detach dev=%u pasid=%d", dev, pasid == VTD_HOST_NO_PASID ? -1 : (int)pasid);
	} else if (slot || free_slot) {
		if (!slot)
			slot = free_slot;
		*slot = (struct sim_attach){ true, dev, pasid, id };
		event(m, "attach dev=%u pasid=%d hwpt=%u", dev,
		      pasid == VTD_HOST_NO_PASID ? -1 : (int)pasid, id);
	} else {
		rc = -ENOSPC;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int s_invalidate(void *ctx, uint32_t id, const struct vtd_s1_inval *inv, uint32_t n,
			uint32_t *done)
{
	struct vtd_sim *m = ctx;
	*done = 0;
	pthread_mutex_lock(&m->lock);
	struct sim_hwpt *h = hwpt_get(m, id);
	if (!h || !h->nested) {
		pthread_mutex_unlock(&m->lock);
		return -EINVAL;
	}
	int rc = 0;
	for (uint32_t i = 0; i < n; i++) {
		/* the kernel's rules for each entry */
		if ((inv[i].addr & 0xfff) || (inv[i].npages == ~0ull && inv[i].addr) ||
		    (inv[i].flags & ~VTD_S1_INV_LEAF)) {
			rc = -EINVAL;
			break;
		}
		uint64_t first = inv[i].addr >> 12;
		uint64_t last = inv[i].npages == ~0ull ? ~0ull : first + inv[i].npages - 1;
		for (unsigned k = 0; k < SIM_CACHE; k++)
			if (m->tlb[k].valid && m->tlb[k].hwpt == id && m->tlb[k].page >= first &&
			    m->tlb[k].page <= last)
				m->tlb[k].valid = false;
		event(m, "invalidate hwpt=%u addr=0x%llx npages=%s%llx%s", id,
		      (unsigned long long)inv[i].addr, inv[i].npages == ~0ull ? "all/" : "0x",
		      (unsigned long long)(inv[i].npages == ~0ull ? 0 : inv[i].npages),
		      (inv[i].flags & VTD_S1_INV_LEAF) ? " leaf" : "");
		*done = i + 1;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static const struct vtd_host_ops sim_ops = {
	s_alloc_parent, s_map, s_unmap, s_alloc_nested, s_free_hwpt, s_attach, s_invalidate,
};

/* guest physical -> host memory through the second stage; lock held */
static uint8_t *s2(struct vtd_sim *m, uint64_t gpa, size_t len, bool write)
{
	for (unsigned i = 0; i < m->nmaps; i++) {
		struct sim_map *mp = &m->maps[i];
		if (gpa >= mp->gpa && gpa - mp->gpa + len <= mp->size && gpa - mp->gpa < mp->size)
			return (write && !mp->writable) ? NULL : mp->hva + (gpa - mp->gpa);
	}
	return NULL;
}

VTD_API int vtd_sim_translate(struct vtd_sim *m, uint32_t dev, uint32_t pasid, uint64_t iova,
			      bool write, void **hva, struct vtd_host_fault *fault)
{
	if (!m || !hva || !fault)
		return -EINVAL;
	memset(fault, 0, sizeof(*fault));
	fault->addr = iova;
	fault->write = write;
	fault->pasid_valid = pasid != VTD_HOST_NO_PASID;
	fault->pasid = fault->pasid_valid ? pasid : 0;
	pthread_mutex_lock(&m->lock);
	uint32_t id = 0;
	for (unsigned i = 0; i < SIM_MAX_ATTACH; i++)
		if (m->att[i].used && m->att[i].dev == dev && m->att[i].pasid == pasid)
			id = m->att[i].hwpt;
	struct sim_hwpt *h = hwpt_get(m, id);
	int rc = 0;
	if (!h) {
		rc = -ENODEV;
		goto out;
	}
	if (!h->nested) { /* parent only: guest physical addresses */
		uint8_t *p = s2(m, iova, 1, write);
		if (!p) {
			fault->reason = write ? 0x85 : 0x86;
			rc = -EACCES;
		} else {
			*hva = p;
		}
		goto out;
	}
	struct sim_tlb *t = &m->tlb[((iova >> 12) * 0x9e3779b1u + id) % SIM_CACHE];
	if (t->valid && t->hwpt == id && t->page == iova >> 12 && (!write || t->writable)) {
		*hva = t->hva + (iova & 0xfff);
		goto out;
	}
	/* the first-stage walk, the way the host hardware does it */
	unsigned levels = h->s1.addr_width == 57 ? 5 : 4;
	unsigned width = 12 + 9 * levels;
	uint64_t top = iova >> (width - 1);
	if (top != 0 && top != (~0ull >> (width - 1))) {
		fault->reason = 0x80;
		rc = -EACCES;
		goto out;
	}
	uint64_t table = h->s1.pgtbl_addr;
	bool rw = true, us = true;
	for (unsigned level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t ea = table + ((iova >> shift) & 0x1ff) * 8;
		uint64_t *pp = (uint64_t *)(void *)s2(m, ea, 8, false);
		if (!pp || (ea & 7)) {
			fault->reason = level == levels ? 0x73 : 0x70;
			rc = -EACCES;
			goto out;
		}
		uint64_t pte = __atomic_load_n(pp, __ATOMIC_RELAXED);
		if (!(pte & 1)) {
			fault->reason = 0x71;
			rc = -EACCES;
			goto out;
		}
		rw &= (pte >> 1) & 1;
		us &= (pte >> 2) & 1;
		bool leaf = level == 1 || ((level == 2 || level == 3) && (pte & 0x80));
		uint64_t set = 0x20 | ((leaf && write) ? 0x40 : 0);
		if ((pte & set) != set) {
			uint64_t *wp = (uint64_t *)(void *)s2(m, ea, 8, true);
			if (!wp) {
				fault->reason = 0x91;
				rc = -EACCES;
				goto out;
			}
			if (!leaf || !write || rw)
				__atomic_fetch_or(wp, set, __ATOMIC_SEQ_CST);
		}
		if (leaf) {
			/* a device's requests here are user requests */
			if (!us) {
				fault->reason = 0x81;
				rc = -EACCES;
				goto out;
			}
			if (write && !rw) {
				fault->reason = 0x85;
				rc = -EACCES;
				goto out;
			}
			uint64_t size = 1ull << shift;
			uint64_t gpa = (pte & 0x000ffffffffff000ull & ~(size - 1)) | (iova & (size - 1));
			uint8_t *p = s2(m, gpa & ~0xfffull, 4096, write);
			if (!p) {
				fault->reason = write ? 0x85 : 0x86;
				rc = -EACCES;
				goto out;
			}
			*t = (struct sim_tlb){ true, rw, id, iova >> 12, p };
			*hva = p + (iova & 0xfff);
			goto out;
		}
		table = pte & 0x000ffffffffff000ull;
	}
out:
	pthread_mutex_unlock(&m->lock);
	return rc;
}

VTD_API int vtd_sim_new(const struct vtd_sim_event_ops *ev, void *ev_opaque, struct vtd_sim **out)
{
	if (!out)
		return -EINVAL;
	struct vtd_sim *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (pthread_mutex_init(&m->lock, NULL)) {
		free(m);
		return -ENOMEM;
	}
	if (ev)
		m->ev = *ev;
	m->ev_opaque = ev_opaque;
	*out = m;
	return 0;
}

VTD_API void vtd_sim_free(struct vtd_sim *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

VTD_API void vtd_sim_backend(struct vtd_sim *m, struct vtd_host_if *out)
{
	out->ops = &sim_ops;
	out->ctx = m;
}
