/* SPDX-License-Identifier: MIT */
/*
 * Shadowing notifiers (caching mode): keep a VMM's copy of a device's
 * mappings in step with the guest, from invalidations.  See vtd/iommu.h.
 *
 * Each notifier keeps what it reported as a sorted array of leaves
 * (iova, size, addr, perm).  A sync of [lo, hi] walks the guest's current
 * tables over that range, then reports the difference: unmap for old
 * leaves not in the new set, map for new leaves not in the old one.
 */
#include "notify.h"
#include "mem.h"
#include "tables.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct leaf {
	uint64_t iova, size, addr;
	unsigned perm;
};

struct leafv {
	struct leaf *v;
	size_t n, cap;
};

struct vtd_notifier {
	struct vtd_notifier *next;
	uint16_t sid;
	struct vtd_notifier_ops ops;
	void *opaque;
	struct leafv shadow;
	uint16_t did;           /* domain at the last sync (for matching) */
	bool did_valid;
};

static int push(struct leafv *l, const struct leaf *x)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		struct leaf *nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = *x;
	return 0;
}

struct walk {
	struct vtd_iommu *s;
	struct leafv *out;
	uint64_t lo, hi;
	unsigned width;        /* input addresses: below 2^width */
	bool ad_fixed;         /* A/D flags cannot be set (struct vtd_space) */
	uint32_t visited;
	bool truncated;
	int err;
};

/* A leaf, less the part of its output in the interrupt range (as two
 * leaves when that range is inside it). */
static void push_leaf(struct walk *w, uint64_t va, uint64_t span, uint64_t addr, unsigned perm)
{
	uint64_t end = addr + span; /* exclusive */
	if (end <= VTD_INTR_LO || addr > VTD_INTR_HI) {
		struct leaf l = { va, span, addr, perm };
		w->err = push(w->out, &l);
		return;
	}
	if (addr < VTD_INTR_LO) {
		struct leaf l = { va, VTD_INTR_LO - addr, addr, perm };
		w->err = push(w->out, &l);
	}
	if (!w->err && end > VTD_INTR_HI + 1) {
		uint64_t skip = VTD_INTR_HI + 1 - addr;
		struct leaf l = { va + skip, span - skip, VTD_INTR_HI + 1, perm };
		w->err = push(w->out, &l);
	}
}

/*
 * Collect the leaves of a second-stage table within [lo, hi] that a
 * translation would use: present, no reserved bit set (tables.h, the
 * walk's own test), the rights every level grants (perm: those of the
 * levels above), and input addresses within the walk's width.  A leaf
 * whose output is in the interrupt range is no mapping either: every DMA
 * through it faults (LGN.4 / SGN.8): a large leaf is reported less that
 * part.  Nor are entries whose accessed or dirty flag the walk would have
 * to set and cannot (w->ad_fixed).
 */
static void ss_leaves(struct walk *w, uint64_t table, unsigned level, uint64_t base,
		      unsigned perm)
{
	unsigned shift = 12 + 9 * (level - 1);
	uint64_t span = 1ull << shift;
	for (unsigned i = 0; i < 512 && !w->truncated && !w->err; i++) {
		uint64_t va = base + (uint64_t)i * span;
		if (va > w->hi || va + span - 1 < w->lo || (va >> w->width))
			continue;
		if (++w->visited > VTD_NOTIFY_MAX_VISIT) {
			w->truncated = true;
			return;
		}
		uint64_t pte;
		if (vtd_mem_read64(w->s, table + 8ull * i, &pte) || !(pte & (VTD_SS_R | VTD_SS_W)))
			continue;
		bool leaf = vtd_pte_leaf(pte, level);
		if (pte & vtd_ss_rsvd(w->s, level, leaf))
			continue; /* the walk would fault here */
		unsigned p = perm & (unsigned)(pte & (VTD_SS_R | VTD_SS_W));
		if (w->ad_fixed) {
			/* the walk could not set A here, nor D on the leaf for a
			 * write: such a DMA faults (SSL.5) */
			if (!(pte & VTD_SS_A))
				continue;
			if (leaf && !(pte & VTD_SS_D))
				p &= ~(unsigned)VTD_PERM_W;
		}
		uint64_t addr = pte & w->s->haw_mask & ~(span - 1) & VTD_PAGE_MASK;
		if (leaf) {
			if (p)
				push_leaf(w, va, span, addr, p);
		} else if (p) {
			ss_leaves(w, pte & w->s->haw_mask & VTD_PAGE_MASK, level - 1, va, p);
		}
	}
}

static bool same(const struct leaf *a, const struct leaf *b)
{
	return a->iova == b->iova && a->size == b->size && a->addr == b->addr && a->perm == b->perm;
}

/* Sync [lo, hi] of one notifier: the heart of caching-mode shadowing. */
static void sync_range(struct vtd_iommu *s, struct vtd_notifier *n, uint64_t lo, uint64_t hi)
{
	struct vtd_space sp;
	vtd_decode_space(s, n->sid, &sp);
	n->did = sp.did;
	n->did_valid = sp.kind != VTD_SPACE_NONE;
	struct leafv now = { 0 };
	struct walk w = { .s = s, .out = &now, .lo = lo, .hi = hi };
	if (sp.kind == VTD_SPACE_SS) {
		/* the walk's width: its levels, at most the unit's MGAW */
		w.width = 12 + 9 * sp.levels;
		if (w.width > s->cfg.aw_bits)
			w.width = s->cfg.aw_bits;
		w.ad_fixed = sp.ad_fixed;
		ss_leaves(&w, sp.table, sp.levels, 0, VTD_PERM_R | VTD_PERM_W);
	} else if (sp.kind == VTD_SPACE_PT) {
		/* pass-through: the whole address width, identity, but for
		 * the interrupt range (every DMA there faults: LGN.4/SGN.8) */
		uint64_t top = s->haw_mask;
		const struct leaf pt[2] = {
			{ 0, VTD_INTR_LO, 0, VTD_PERM_R | VTD_PERM_W },
			{ VTD_INTR_HI + 1, top - VTD_INTR_HI, VTD_INTR_HI + 1, VTD_PERM_R | VTD_PERM_W },
		};
		for (unsigned k = 0; k < 2 && !w.err; k++)
			if (pt[k].iova <= hi && pt[k].iova + pt[k].size - 1 >= lo)
				w.err = push(&now, &pt[k]);
	}
	if (w.err || w.truncated) {
		if (n->ops.error)
			VTD_CALLBACK(s, n->ops.error(n->opaque,
						     w.err ? "out of memory while shadowing"
							   : "guest tables too large to shadow "
							     "(visit limit)"));
		if (w.err) {
			free(now.v);
			return;
		}
	}
	/* Both lists are sorted by IOVA and hold disjoint leaves (the shadow
	 * by construction, the walk by its order): merge them in one pass.
	 * Every unmap is reported before any map, so a backend never sees a
	 * new mapping overlap one it still holds. */
	struct leafv keep = { 0 }, tomap = { 0 };
	size_t i = 0, j = 0, nold = n->shadow.n;
	const struct leaf *old = n->shadow.v;
	int err = 0;
	for (; i < nold && old[i].iova + old[i].size - 1 < lo; i++)
		err |= push(&keep, &old[i]);
	while ((i < nold && old[i].iova <= hi) || j < now.n) {
		bool have_old = i < nold && old[i].iova <= hi;
		if (have_old && (j >= now.n || old[i].iova < now.v[j].iova)) {
			if (n->ops.unmap)
				VTD_CALLBACK(s, n->ops.unmap(n->opaque, old[i].iova, old[i].size));
			i++;
		} else if (!have_old || now.v[j].iova < old[i].iova) {
			err |= push(&tomap, &now.v[j]);
			err |= push(&keep, &now.v[j]);
			j++;
		} else {
			if (same(&old[i], &now.v[j])) {
				err |= push(&keep, &old[i]);
			} else {
				if (n->ops.unmap)
					VTD_CALLBACK(s, n->ops.unmap(n->opaque, old[i].iova,
								     old[i].size));
				err |= push(&tomap, &now.v[j]);
				err |= push(&keep, &now.v[j]);
			}
			i++;
			j++;
		}
	}
	for (; i < nold; i++)
		err |= push(&keep, &old[i]);
	for (size_t k = 0; k < tomap.n && n->ops.map; k++)
		VTD_CALLBACK(s, n->ops.map(n->opaque, tomap.v[k].iova, tomap.v[k].size,
					   tomap.v[k].addr, tomap.v[k].perm));
	free(tomap.v);
	if (err && n->ops.error)
		VTD_CALLBACK(s, n->ops.error(n->opaque, "out of memory while shadowing"));
	free(n->shadow.v);
	n->shadow = keep;
	free(now.v);
}

/* Called after invalidations: all domains (global) or one, a range or all. */
void vtd_notify_sync_list(struct vtd_iommu *s, bool all_domains, uint16_t did, uint64_t lo,
			  uint64_t hi)
{
	for (struct vtd_notifier *n = s->notifiers; n; n = n->next) {
		/* a notifier whose device was not mapped yet may have just
		 * gained a domain: domain-selective syncs include it */
		if (all_domains || !n->did_valid || n->did == did)
			sync_range(s, n, lo, hi);
	}
}

VTD_API int vtd_iommu_notifier_add(struct vtd_iommu *s, uint16_t sid,
				   const struct vtd_notifier_ops *ops, void *opaque,
				   struct vtd_notifier **out)
{
	if (!s || !ops || !out)
		return -EINVAL;
	if (vtd_in_callback(s))
		return -EDEADLK;
	struct vtd_notifier *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->sid = sid;
	n->ops = *ops;
	n->opaque = opaque;
	pthread_mutex_lock(&s->lock);
	n->next = s->notifiers;
	s->notifiers = n;
	pthread_mutex_unlock(&s->lock);
	*out = n;
	return 0;
}

VTD_API void vtd_iommu_notifier_del(struct vtd_iommu *s, struct vtd_notifier *n)
{
	/* from one of our callbacks (a notifier's own, say): refused, and
	 * the notifier stays (freeing it under its running callback would
	 * be worse) */
	if (!s || !n || vtd_in_callback(s))
		return;
	pthread_mutex_lock(&s->lock);
	for (struct vtd_notifier **pp = &s->notifiers; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	free(n->shadow.v);
	free(n);
}

VTD_API int vtd_iommu_notifier_replay(struct vtd_iommu *s, struct vtd_notifier *n)
{
	if (!s || !n)
		return -EINVAL;
	if (vtd_in_callback(s))
		return -EDEADLK;
	pthread_mutex_lock(&s->lock);
	/* forget what was reported, then report everything there is */
	for (size_t i = 0; i < n->shadow.n; i++)
		if (n->ops.unmap)
			VTD_CALLBACK(s, n->ops.unmap(n->opaque, n->shadow.v[i].iova,
						     n->shadow.v[i].size));
	n->shadow.n = 0;
	sync_range(s, n, 0, ~0ull);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void vtd_notify_free_all(struct vtd_iommu *s)
{
	struct vtd_notifier *n = s->notifiers;
	while (n) {
		struct vtd_notifier *next = n->next;
		free(n->shadow.v);
		free(n);
		n = next;
	}
	s->notifiers = NULL;
}
