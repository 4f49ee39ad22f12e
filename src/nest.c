/* SPDX-License-Identifier: MIT */
/*
 * Nested translation for passthrough devices (x-flts=on): keep the host
 * IOMMU in step with the guest.
 *
 * Lifecycle of an attached device (lock held throughout):
 *   attach      compatibility check; allocate a parent (second stage owned
 *               by the VMM) and map guest RAM into it; follow the guest;
 *   follow      translation off or legacy mode      -> the parent;
 *               RID_PASID entry PGTT=first-stage     -> a nested table built
 *                  from the entry (FSPTPTR, 4/5-level, SRE/WPE/EAFE);
 *               PGTT=pass-through                    -> the parent;
 *               absent or unusable entry             -> blocked (detached);
 *               re-evaluated on SRTP, TE, context- and PASID-cache
 *               invalidation (which is what the guest must do after
 *               changing those entries);
 *   invalidate  guest IOTLB / PASID-based IOTLB invalidations for the
 *               device's domain (and PASID) are forwarded to the nested
 *               table, page-selective with IH as leaf-only, the rest as
 *               "all"; synchronously, so the wait descriptor after them
 *               completes only once the host has them;
 *   detach      the device goes back to nothing; tables are freed.
 */
#include "viommu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What one PASID of the device (or its requests without PASID) is
 * attached to on the host. */
struct binding {
	uint32_t hwpt;            /* 0: blocked / detached */
	bool nested;              /* hwpt is a nested table we own */
	struct vtd_s1_cfg s1;
	uint16_t did;             /* guest domain of the PASID entry */
	uint32_t pasid;           /* the guest PASID it follows */
};

/* PASIDs this unit offers (ECAP.PSS = 7: 8-bit) */
#define NEST_PASIDS 256

struct vtd_nest_dev {
	struct vtd_nest_dev *next;
	uint16_t sid;
	uint32_t dev;
	struct vtd_host_if be;
	struct vtd_host_device host;
	uint32_t parent;
	struct binding rid;       /* requests without PASID (RID_PASID) */
	struct binding *pas;      /* [NEST_PASIDS]: requests with PASID, when the
				   * guest and the host both do PASIDs */
	uint64_t forwarded, forward_errors;
	/* what was mapped into the parent, to undo at detach (the IOAS may
	 * outlive the device and take it again later) */
	struct { uint64_t gpa, size; } *maps;
	size_t nmaps;
};

static void remember_map(struct vtd_nest_dev *d, uint64_t gpa, uint64_t size)
{
	void *n = realloc(d->maps, (d->nmaps + 1) * sizeof(*d->maps));
	if (!n)
		return; /* not undone at detach; the map itself succeeded */
	d->maps = n;
	d->maps[d->nmaps].gpa = gpa;
	d->maps[d->nmaps].size = size;
	d->nmaps++;
}

static void unmap_all(struct vtd_nest_dev *d)
{
	for (size_t i = 0; i < d->nmaps; i++)
		d->be.ops->unmap(d->be.ctx, d->maps[i].gpa, d->maps[i].size);
	free(d->maps);
	d->maps = NULL;
	d->nmaps = 0;
}

/* What the guest asks for one address space of the device. */
struct want {
	enum { W_BLOCK, W_PARENT, W_NESTED } kind;
	struct vtd_s1_cfg s1;
	uint16_t did;
	uint32_t pasid;
};

/* The device's scalable-mode context entry; false when absent. */
static bool sm_context(struct vtd_iommu *s, uint16_t sid, uint64_t ce[4])
{
	uint64_t haw = s->haw_mask, re[2];
	unsigned bus = sid >> 8, devfn = sid & 0xff;
	if (vtd_mem_read(s, s->root + bus * 16, re, 16))
		return false;
	uint64_t half = devfn < 128 ? re[0] : re[1];
	return (half & 1) &&
	       !vtd_mem_read(s, (half & haw & ~0xfffull) + (devfn & 0x7f) * 32, ce, 32) &&
	       (ce[0] & 1);
}

/* The PASID entry for pasid under a context entry, as a host binding. */
static void want_pasid(struct vtd_iommu *s, const uint64_t ce[4], uint32_t pasid,
		       struct want *w)
{
	uint64_t haw = s->haw_mask, pde, pe[8];
	memset(w, 0, sizeof(*w));
	w->pasid = pasid;
	unsigned pdts = (ce[0] >> 9) & 7;
	if ((pasid >> 6) >= (1u << (pdts + 7)) ||
	    vtd_mem_read64(s, (ce[0] & haw & ~0xfffull) + (uint64_t)(pasid >> 6) * 8, &pde) ||
	    !(pde & 1) ||
	    vtd_mem_read(s, (pde & haw & ~0xfffull) + (uint64_t)(pasid & 0x3f) * 64, pe, 64) ||
	    !(pe[0] & 1))
		return;
	unsigned pgtt = (pe[0] >> 6) & 7, fspm = (pe[2] >> 2) & 3;
	w->did = (uint16_t)pe[1];
	if (pgtt == 4) {
		w->kind = W_PARENT;
	} else if (pgtt == 1 && fspm <= 1) {
		w->kind = W_NESTED;
		w->s1.pgtbl_addr = pe[2] & haw & ~0xfffull;
		w->s1.addr_width = fspm ? 57 : 48;
		w->s1.flags = ((pe[2] & 1) ? VTD_S1_SRE : 0) | ((pe[2] & 0x80) ? VTD_S1_EAFE : 0) |
			      ((pe[2] & 0x10) ? VTD_S1_WPE : 0);
	}
	/* second-stage or nested PGTT for a passthrough device: the host's
	 * second stage belongs to the VMM, so the guest cannot have one
	 * (QEMU: "Invalid PGTT type"): blocked */
}

/* Make the host binding b (host PASID hpasid) what w asks for. */
static void bind(struct vtd_nest_dev *d, struct binding *b, uint32_t hpasid, const struct want *w)
{
	const struct vtd_host_ops *ops = d->be.ops;
	uint32_t target = 0;
	uint32_t old = b->hwpt;
	bool old_nested = b->nested;
	if (w->kind == W_PARENT) {
		target = d->parent;
	} else if (w->kind == W_NESTED) {
		if (b->nested && !memcmp(&b->s1, &w->s1, sizeof(w->s1))) {
			target = b->hwpt; /* unchanged */
		} else if (ops->alloc_nested(d->be.ctx, d->parent, &w->s1, &target)) {
			target = 0; /* the host refused it: blocked */
		}
	}
	b->did = w->did;
	b->pasid = w->pasid;
	if (target == old)
		return;
	if (ops->attach(d->be.ctx, d->dev, hpasid, target) && target) {
		/* could not attach: block rather than keep a stale table */
		ops->attach(d->be.ctx, d->dev, hpasid, 0);
		if (target != d->parent)
			ops->free_hwpt(d->be.ctx, target);
		target = 0;
	}
	if (old_nested && old != target)
		ops->free_hwpt(d->be.ctx, old);
	b->hwpt = target;
	b->nested = target && target != d->parent;
	if (b->nested)
		b->s1 = w->s1;
}

static void follow(struct vtd_iommu *s, struct vtd_nest_dev *d)
{
	struct want w = { .kind = W_BLOCK };
	uint64_t ce[4];
	bool ctx = false;
	if (!s->dmar_enabled || !s->root_scalable) {
		/* no translation, or legacy mode (no first stage to nest):
		 * guest-physical addresses through the parent */
		w.kind = W_PARENT;
	} else if ((ctx = sm_context(s, d->sid, ce))) {
		want_pasid(s, ce, (uint32_t)(ce[1] & 0xfffff), &w);
	}
	bind(d, &d->rid, VTD_HOST_NO_PASID, &w);
	if (!d->pas)
		return;
	/* requests with PASID: every PASID the unit offers, when the guest
	 * enabled them in the context entry (bounded: 256 entries) */
	bool paside = ctx && (ce[0] & 8);
	uint32_t rid_pasid = ctx ? (uint32_t)(ce[1] & 0xfffff) : ~0u;
	for (uint32_t p = 0; p < NEST_PASIDS; p++) {
		struct want wp = { .kind = W_BLOCK, .pasid = p };
		if (paside && p != rid_pasid)
			want_pasid(s, ce, p, &wp);
		bind(d, &d->pas[p], p, &wp);
	}
}

void vtd_nest_follow_all(struct vtd_iommu *s)
{
	for (struct vtd_nest_dev *d = s->nest; d; d = d->next)
		follow(s, d);
}

/* Forward a guest invalidation to the nested tables it concerns.  pasid
 * VTD_HOST_NO_PASID means every PASID of the domain (legacy descriptors). */
static void forward(struct vtd_nest_dev *d, const struct binding *b, bool whole, uint64_t addr,
		    unsigned am, bool ih)
{
	struct vtd_s1_inval inv = { 0, ~0ull, 0 };
	if (!whole) {
		inv.addr = addr & ~((1ull << (12 + am)) - 1);
		inv.npages = 1ull << am;
		inv.flags = ih ? VTD_S1_INV_LEAF : 0;
	}
	uint32_t done = 0;
	/* the kernel reports partial completion in entry_num: retry the rest
	 * once, then count the failure */
	int r = d->be.ops->invalidate(d->be.ctx, b->hwpt, &inv, 1, &done);
	if (r && done < 1)
		r = d->be.ops->invalidate(d->be.ctx, b->hwpt, &inv, 1, &done);
	d->forwarded++;
	if (r)
		d->forward_errors++;
}

/* Forward a guest invalidation to the nested tables it concerns.  pasid
 * VTD_HOST_NO_PASID means every PASID of the domain (legacy descriptors). */
void vtd_nest_invalidate(struct vtd_iommu *s, bool all_domains, uint16_t did, uint32_t pasid,
			 uint64_t addr, unsigned am, bool ih, bool whole)
{
	for (struct vtd_nest_dev *d = s->nest; d; d = d->next) {
		for (int i = -1; i < (d->pas ? NEST_PASIDS : 0); i++) {
			const struct binding *b = i < 0 ? &d->rid : &d->pas[i];
			if (!b->nested)
				continue;
			if (!all_domains && (b->did != did ||
					     (pasid != VTD_HOST_NO_PASID && pasid != b->pasid)))
				continue;
			forward(d, b, whole, addr, am, ih);
		}
	}
}

VTD_API int vtd_iommu_attach_host(struct vtd_iommu *s, uint16_t sid,
				  const struct vtd_host_device *hostdev,
				  const struct vtd_host_if *be, uint32_t dev,
				  struct vtd_error *err)
{
	vtd_error_clear(err);
	if (!s || !hostdev || !be || !be->ops)
		return -EINVAL;
	struct vtd_compat_result r;
	vtd_compat_check(&s->cfg, hostdev, &r);
	if (!r.compatible) {
		for (unsigned i = 0; i < r.n; i++)
			if (r.findings[i].severity == VTD_SEV_ERROR)
				vtd_error_add(err, VTD_ERR_UNSUPPORTED, "%s", r.findings[i].message);
		vtd_error_add(err, VTD_ERR_UNSUPPORTED, "%s", VTD_COMPAT_SUMMARY_FAIL);
		return -EOPNOTSUPP;
	}
	pthread_mutex_lock(&s->lock);
	for (struct vtd_nest_dev *o = s->nest; o; o = o->next)
		if (o->sid == sid) {
			pthread_mutex_unlock(&s->lock);
			vtd_error_add(err, VTD_ERR_CONFLICT, "a host device is already attached there");
			return -EEXIST;
		}
	pthread_mutex_unlock(&s->lock);
	struct vtd_nest_dev *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->sid = sid;
	d->dev = dev;
	d->be = *be;
	d->host = *hostdev;
	/* PASIDs other than RID_PASID when the guest has them and the host
	 * does too (QEMU binds PASID 0 only) */
	if (s->cfg.pasid && vtd_ecap_pasid(hostdev->ecap)) {
		d->pas = calloc(NEST_PASIDS, sizeof(*d->pas));
		if (!d->pas) {
			free(d);
			return -ENOMEM;
		}
	}
	int rc = be->ops->alloc_parent(be->ctx, &d->parent);
	if (rc) {
		vtd_error_add(err, VTD_ERR_IO, "host refused the nest parent (%d)", rc);
		free(d->pas);
		free(d);
		return rc;
	}
	if (s->ram && s->ram_size) {
		rc = be->ops->map(be->ctx, 0, s->ram_size, s->ram, true);
		if (rc) {
			vtd_error_add(err, VTD_ERR_IO, "host refused to map guest RAM (%d)", rc);
			be->ops->free_hwpt(be->ctx, d->parent);
			free(d->pas);
			free(d);
			return rc;
		}
		remember_map(d, 0, s->ram_size);
	}
	pthread_mutex_lock(&s->lock);
	for (struct vtd_nest_dev *o = s->nest; o; o = o->next)
		if (o->sid == sid) { /* raced with another attach */
			pthread_mutex_unlock(&s->lock);
			vtd_error_add(err, VTD_ERR_CONFLICT, "a host device is already attached there");
			unmap_all(d);
			be->ops->free_hwpt(be->ctx, d->parent);
			free(d->pas);
			free(d);
			return -EEXIST;
		}
	d->next = s->nest;
	s->nest = d;
	follow(s, d);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

VTD_API int vtd_iommu_detach_host(struct vtd_iommu *s, uint16_t sid)
{
	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	for (struct vtd_nest_dev **pp = &s->nest; *pp; pp = &(*pp)->next) {
		struct vtd_nest_dev *d = *pp;
		if (d->sid != sid)
			continue;
		*pp = d->next;
		struct want none = { .kind = W_BLOCK };
		for (uint32_t p = 0; d->pas && p < NEST_PASIDS; p++)
			bind(d, &d->pas[p], p, &none);
		bind(d, &d->rid, VTD_HOST_NO_PASID, &none);
		d->be.ops->free_hwpt(d->be.ctx, d->parent);
		unmap_all(d);
		pthread_mutex_unlock(&s->lock);
		free(d->pas);
		free(d);
		return 0;
	}
	pthread_mutex_unlock(&s->lock);
	return -ENOENT;
}

VTD_API int vtd_iommu_host_map(struct vtd_iommu *s, uint64_t gpa, uint64_t size, void *hva,
			       bool writable)
{
	if (!s || !hva || !size)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	for (struct vtd_nest_dev *d = s->nest; d; d = d->next) {
		/* the SPR erratum: a nest parent cannot hold read-only maps */
		if (!writable && (d->host.hw_info_flags & VTD_HW_INFO_VTD_ERRATA_772415_SPR17)) {
			rc = -EPERM;
			continue;
		}
		int r = d->be.ops->map(d->be.ctx, gpa, size, hva, writable);
		if (!r)
			remember_map(d, gpa, size);
		else if (!rc)
			rc = r;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

VTD_API int vtd_iommu_host_fault(struct vtd_iommu *s, const struct vtd_host_fault *f)
{
	if (!s || !f)
		return -EINVAL;
	struct vtd_fault_rec rec = {
		.sid = f->sid, .reason = f->reason, .is_write = f->write, .addr = f->addr,
		.pasid_valid = f->pasid_valid, .pasid = f->pasid,
	};
	pthread_mutex_lock(&s->lock);
	bool recorded = vtd_fault_record(s, &rec);
	pthread_mutex_unlock(&s->lock);
	return recorded ? 0 : -ENOSPC;
}

void vtd_nest_free_all(struct vtd_iommu *s)
{
	while (s->nest) {
		struct vtd_nest_dev *d = s->nest;
		s->nest = d->next;
		free(d->maps);
		free(d->pas);
		free(d);
	}
}
