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
 *   page faults with svm=on and a backend that has fault queues
 *               (vtd_iommu_attach_host_opts), the device gets one at
 *               attach, and its nested tables carry it while the guest's
 *               context entry has PRE; host page requests become guest
 *               page requests (vtd_iommu_host_poll), guest page group
 *               responses go back to the host by the group's cookie;
 *   detach      outstanding groups are answered Invalid while their
 *               cookies still mean something to the host; the device
 *               goes back to nothing; tables and the queue are freed.
 *
 * Why the library, not the VMM, keeps the group -> cookie table: the guest
 * answers by (requester, PASID, group index), the host wants its cookie,
 * and only the library sees both the page request it wrote and the
 * response descriptor the guest queued.
 */
#include "nest.h"
#include "fault.h"
#include "mem.h"
#include "prq.h"
#include "tables.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* What one PASID of the device (or its requests without PASID) is
 * attached to on the host. */
struct binding {
	uint32_t hwpt;            /* 0: blocked / detached */
	bool nested;              /* hwpt is a nested table we own */
	bool iopf;                /* ...allocated with the device's fault queue */
	struct vtd_s1_cfg s1;
	uint16_t did;             /* guest domain of the PASID entry */
	uint32_t pasid;           /* the guest PASID it follows */
};

/* PASIDs this unit offers (ECAP.PSS = 7: 8-bit) */
#define NEST_PASIDS 256

/* A page request group of the host waiting for the guest's answer. */
struct pending {
	uint32_t cookie;
	uint32_t hpasid;          /* host PASID of the binding, VTD_HOST_NO_PASID */
	uint32_t pasid;
	uint16_t prg_index;
	bool pasid_valid;
};

/* records read from the backend per call of its read op */
#define IOPF_CHUNK 32

struct vtd_nest_dev {
	struct vtd_nest_dev *next;
	uint16_t sid;
	uint32_t dev;
	struct vtd_host_if be;
	struct vtd_host_device host;
	uint32_t parent;
	bool has_parent;          /* parent allocated (ids are the host's) */
	struct binding rid;       /* requests without PASID (RID_PASID) */
	struct binding *pas;      /* [NEST_PASIDS]: requests with PASID, when the
				   * guest and the host both do PASIDs */
	uint64_t forwarded, forward_errors;
	/* what was mapped into the parent, to undo at detach (the IOAS may
	 * outlive the device and take it again later) */
	struct { uint64_t gpa, size; } *maps;
	size_t nmaps;
	/* recoverable faults: the backend's fault-queue ops (NULL: none),
	 * the queue (0: none), whether the guest lets the device ask (PRE),
	 * and the groups waiting for the guest, oldest first */
	struct vtd_host_iopf_ops iopf;
	bool has_iopf;
	uint32_t fq;
	bool pri;                 /* nested tables get the queue now */
	bool iopf_broken;         /* the host would not attach one: stop trying */
	bool pri_failed;          /* the guest answered Response Failure */
	struct pending *pend;     /* [VTD_HOST_IOPF_MAX_PENDING] */
	uint32_t npend;
	struct vtd_host_iopf_stats st;
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

/* The PASID entry for pasid under a context entry, as a host binding:
 * what the one decode (tables.c) says, so a device is bound only to what
 * a translation would use; anything that faults is blocked. */
static void want_pasid(struct vtd_decode *dc, uint16_t sid, const uint64_t ce[4], uint32_t pasid,
		       bool req_pasid, struct want *w)
{
	uint64_t pe[3];
	memset(w, 0, sizeof(*w));
	w->pasid = pasid;
	if (vtd_decode_pasid(dc, sid, ce, pasid, req_pasid, pe))
		return;
	unsigned pgtt = vtd_pe_pgtt(pe);
	w->did = vtd_pe_did(pe);
	if (pgtt == VTD_PGTT_PT) {
		w->kind = W_PARENT;
	} else if (pgtt == VTD_PGTT_FS) {
		w->kind = W_NESTED;
		w->s1.pgtbl_addr = vtd_pe_fsptptr(pe) & dc->s->haw_mask;
		w->s1.addr_width = vtd_pe_fspm(pe) ? 57 : 48;
		w->s1.flags = (vtd_pe_sre(pe) ? VTD_S1_SRE : 0) | (vtd_pe_eafe(pe) ? VTD_S1_EAFE : 0) |
			      (vtd_pe_wpe(pe) ? VTD_S1_WPE : 0);
	}
	/* second-stage or nested PGTT for a passthrough device: the host's
	 * second stage belongs to the VMM, so the guest cannot have one
	 * (QEMU: "Invalid PGTT type"): blocked */
}

/* Groups of binding hpasid the host no longer knows: a replaced or
 * detached table has its unanswered groups answered Invalid by the host
 * itself (iommufd_auto_response_faults), so their cookies are dead. */
static void drop_pending(struct vtd_nest_dev *d, uint32_t hpasid)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < d->npend; i++)
		if (d->pend[i].hpasid != hpasid)
			d->pend[k++] = d->pend[i];
	d->npend = k;
}

/* Make the host binding b (host PASID hpasid) what w asks for; pri: a
 * nested table carries the fault queue. */
static void bind(struct vtd_nest_dev *d, struct binding *b, uint32_t hpasid, const struct want *w,
		 bool pri)
{
	const struct vtd_host_ops *ops = d->be.ops;
	uint32_t target = 0;
	uint32_t old = b->hwpt;
	bool old_nested = b->nested, old_iopf = b->iopf, iopf = false;
	pri = pri && !d->iopf_broken;
	if (w->kind == W_PARENT) {
		target = d->parent;
	} else if (w->kind == W_NESTED) {
		if (b->nested && b->iopf == pri && !memcmp(&b->s1, &w->s1, sizeof(w->s1))) {
			target = b->hwpt; /* unchanged */
			iopf = b->iopf;
		} else if (pri &&
			   !d->iopf.alloc_nested(d->be.ctx, d->parent, &w->s1, d->fq, &target)) {
			iopf = true;
		} else {
			/* a host refusing the fault queue gets a table without
			 * (and is not asked again, or every follow would
			 * rebuild the tables); one refusing both: blocked */
			if (pri)
				d->iopf_broken = true;
			if (ops->alloc_nested(d->be.ctx, d->parent, &w->s1, &target))
				target = 0;
		}
	}
	b->did = w->did;
	b->pasid = w->pasid;
	if (target == old)
		return;
	int r = ops->attach(d->be.ctx, d->dev, hpasid, target);
	if (r && target && iopf) {
		/* Linux turns the device's PRI on when a table with a fault
		 * queue is attached and refuses it when the device cannot
		 * (no ATS/PRI, a VF): take the table without, and stop asking */
		ops->free_hwpt(d->be.ctx, target);
		d->iopf_broken = true;
		iopf = false;
		if (ops->alloc_nested(d->be.ctx, d->parent, &w->s1, &target))
			target = 0;
		r = target == old ? 0 : ops->attach(d->be.ctx, d->dev, hpasid, target);
	}
	if (r && target) {
		/* could not attach: block rather than keep a stale table */
		ops->attach(d->be.ctx, d->dev, hpasid, 0);
		if (target != d->parent)
			ops->free_hwpt(d->be.ctx, target);
		target = 0;
		iopf = false;
	}
	if (old_iopf && old != target)
		drop_pending(d, hpasid);
	if (old_nested && old != target)
		ops->free_hwpt(d->be.ctx, old);
	b->hwpt = target;
	b->nested = target && target != d->parent;
	b->iopf = b->nested && iopf;
	if (b->nested)
		b->s1 = w->s1;
}

static void follow(struct vtd_iommu *s, struct vtd_nest_dev *d)
{
	struct want w = { .kind = W_BLOCK };
	uint64_t ce[4];
	bool ctx = false;
	struct vtd_decode dc;
	vtd_decode_init_uncached(&dc, s);
	if (!s->dmar_enabled || !s->root_scalable) {
		/* no translation, or legacy mode (no first stage to nest):
		 * guest-physical addresses through the parent */
		w.kind = W_PARENT;
	} else if ((ctx = !vtd_decode_context(&dc, s->root, true, d->sid, ce))) {
		want_pasid(&dc, d->sid, ce, vtd_sce_rid_pasid(ce), false, &w);
	}
	/* the device may make page requests (PRE): its host faults can be
	 * answered by the guest, so its tables report them to the queue */
	d->pri = d->fq && !d->iopf_broken && ctx && vtd_sce_pre(ce);
	if (!(ctx && vtd_sce_pre(ce)))
		d->pri_failed = false; /* PRE off: the guest reset the device's PRI */
	bind(d, &d->rid, VTD_HOST_NO_PASID, &w, d->pri);
	if (!d->pas)
		return;
	/* requests with PASID: every PASID the unit offers, when the guest
	 * enabled them in the context entry (bounded: 256 entries) */
	bool paside = ctx && vtd_sce_paside(ce);
	uint32_t rid_pasid = ctx ? vtd_sce_rid_pasid(ce) : ~0u;
	for (uint32_t p = 0; p < NEST_PASIDS; p++) {
		struct want wp = { .kind = W_BLOCK, .pasid = p };
		if (paside && p != rid_pasid)
			want_pasid(&dc, d->sid, ce, p, true, &wp);
		bind(d, &d->pas[p], p, &wp, d->pri);
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
void vtd_nest_invalidate_devs(struct vtd_iommu *s, bool all_domains, uint16_t did, uint32_t pasid,
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

/* The fault-queue ops a caller gave, copied as far as its sz says: 1 when
 * usable, 0 when absent or lacking what the library calls, -E2BIG. */
static int take_iopf(const struct vtd_host_attach_opts *opts, struct vtd_host_iopf_ops *out)
{
	memset(out, 0, sizeof(*out));
	if (!opts || opts->sz < offsetof(struct vtd_host_attach_opts, iopf) + sizeof(opts->iopf) ||
	    !opts->iopf)
		return 0;
	const struct vtd_host_iopf_ops *in = opts->iopf;
	if (!vtd_opts_tail_zero(in, sizeof(*out), in->sz))
		return -E2BIG;
	size_t n = in->sz < sizeof(*out) ? in->sz : sizeof(*out);
	memcpy(out, in, n);
	out->sz = n;
	return n >= offsetof(struct vtd_host_iopf_ops, fd) && out->alloc_queue && out->free_queue &&
	       out->alloc_nested && out->read && out->respond;
}

static void free_dev(struct vtd_nest_dev *d)
{
	free(d->maps);
	free(d->pend);
	free(d->pas);
	free(d);
}

VTD_API int vtd_iommu_attach_host(struct vtd_iommu *s, uint16_t sid,
				  const struct vtd_host_device *hostdev,
				  const struct vtd_host_if *be, uint32_t dev,
				  struct vtd_error *err)
{
	return vtd_iommu_attach_host_opts(s, sid, hostdev, be, dev, NULL, err);
}

/* The arguments and options of an attach, and whether the host can carry
 * the guest's configuration (the compatibility check, with its findings
 * as the error's messages). */
static int attach_check(struct vtd_iommu *s, const struct vtd_host_device *hostdev,
			const struct vtd_host_if *be, const struct vtd_host_attach_opts *opts,
			struct vtd_error *err)
{
	if (!s || !hostdev || !be || !be->ops)
		return -EINVAL;
	if (vtd_in_callback(s)) { /* iommu.h, Threading */
		vtd_error_add(err, VTD_ERR_CONFLICT, "called from one of the vIOMMU's own callbacks");
		return -EDEADLK;
	}
	if (opts && opts->sz < sizeof(size_t)) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "vtd_host_attach_opts.sz is %zu", opts->sz);
		return -EINVAL;
	}
	if (opts && !vtd_opts_tail_zero(opts, sizeof(*opts), opts->sz)) {
		vtd_error_add(err, VTD_ERR_UNSUPPORTED,
			      "vtd_host_attach_opts has fields this libvtd does not know");
		return -E2BIG;
	}
	struct vtd_compat_result r;
	vtd_compat_check(&s->cfg, hostdev, &r);
	if (!r.compatible) {
		for (unsigned i = 0; i < r.n; i++)
			if (r.findings[i].severity == VTD_SEV_ERROR)
				vtd_error_add(err, VTD_ERR_UNSUPPORTED, "%s", r.findings[i].message);
		vtd_error_add(err, VTD_ERR_UNSUPPORTED, "%s", VTD_COMPAT_SUMMARY_FAIL);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The device's own state: PASID bindings when the guest and the host both
 * do PASIDs (QEMU binds PASID 0 only), recoverable faults where the guest
 * takes page requests (ECAP.PRS: svm=on, which the check made sure the
 * host has too). */
static int dev_new(struct vtd_iommu *s, uint16_t sid, const struct vtd_host_device *hostdev,
		   const struct vtd_host_if *be, uint32_t dev,
		   const struct vtd_host_attach_opts *opts, struct vtd_nest_dev **out,
		   struct vtd_error *err)
{
	struct vtd_nest_dev *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->sid = sid;
	d->dev = dev;
	d->be = *be;
	d->host = *hostdev;
	int rc = 0;
	if (s->cfg.pasid && vtd_ecap_pasid(hostdev->ecap) &&
	    !(d->pas = calloc(NEST_PASIDS, sizeof(*d->pas))))
		rc = -ENOMEM;
	int iopf = rc ? 0 : take_iopf(opts, &d->iopf);
	if (iopf < 0) {
		vtd_error_add(err, VTD_ERR_UNSUPPORTED,
			      "vtd_host_iopf_ops has members this libvtd does not know");
		rc = iopf;
	}
	d->has_iopf = iopf > 0 && vtd_ecap_prs(s->ecap);
	if (!rc && d->has_iopf &&
	    !(d->pend = calloc(VTD_HOST_IOPF_MAX_PENDING, sizeof(*d->pend))))
		rc = -ENOMEM;
	if (rc) {
		free_dev(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* What the host holds for the device, given back in the order detach
 * uses: the parent table, then the fault queue (after the tables that
 * report to it), then the guest RAM mapped into the parent. */
static void host_release(struct vtd_nest_dev *d)
{
	if (d->has_parent)
		d->be.ops->free_hwpt(d->be.ctx, d->parent);
	d->has_parent = false;
	if (d->fq)
		d->iopf.free_queue(d->be.ctx, d->fq);
	d->fq = 0;
	unmap_all(d);
}

/* The host's side: the nest parent, guest RAM mapped into it, and the
 * fault queue; on failure, whatever was made is given back. */
static int host_setup(struct vtd_iommu *s, struct vtd_nest_dev *d, struct vtd_error *err)
{
	const struct vtd_host_if *be = &d->be;
	int rc = be->ops->alloc_parent(be->ctx, &d->parent);
	if (rc) {
		vtd_error_add(err, VTD_ERR_IO, "host refused the nest parent (%d)", rc);
		return rc;
	}
	d->has_parent = true;
	if (s->ram && s->ram_size) {
		rc = be->ops->map(be->ctx, 0, s->ram_size, s->ram, true);
		if (rc) {
			vtd_error_add(err, VTD_ERR_IO, "host refused to map guest RAM (%d)", rc);
			host_release(d);
			return rc;
		}
		remember_map(d, 0, s->ram_size);
	}
	if (d->has_iopf) {
		/* at attach, not when the guest sets PRE, so the VMM has the
		 * fd to poll from the start */
		rc = d->iopf.alloc_queue(be->ctx, &d->fq);
		if (rc == -ENOTTY || rc == -EOPNOTSUPP) {
			/* a kernel before fault queues (6.11): the device works,
			 * its page faults stay the host's */
			d->fq = 0;
		} else if (rc) {
			d->fq = 0;
			vtd_error_add(err, VTD_ERR_IO, "host refused a fault queue (%d)", rc);
			host_release(d);
			return rc;
		}
	}
	return 0;
}

static struct vtd_nest_dev *find_dev(struct vtd_iommu *s, uint16_t sid)
{
	for (struct vtd_nest_dev *d = s->nest; d; d = d->next)
		if (d->sid == sid)
			return d;
	return NULL;
}

static int attached_already(struct vtd_iommu *s, uint16_t sid, struct vtd_error *err)
{
	if (!find_dev(s, sid))
		return 0;
	vtd_error_add(err, VTD_ERR_CONFLICT, "a host device is already attached there");
	return -EEXIST;
}

VTD_API int vtd_iommu_attach_host_opts(struct vtd_iommu *s, uint16_t sid,
				       const struct vtd_host_device *hostdev,
				       const struct vtd_host_if *be, uint32_t dev,
				       const struct vtd_host_attach_opts *opts,
				       struct vtd_error *err)
{
	vtd_error_clear(err);
	int rc = attach_check(s, hostdev, be, opts, err);
	if (rc)
		return rc;
	/* the host calls below run without the lock: look first, and again
	 * when inserting (another attach may have raced this one) */
	pthread_mutex_lock(&s->lock);
	rc = attached_already(s, sid, err);
	pthread_mutex_unlock(&s->lock);
	if (rc)
		return rc;
	struct vtd_nest_dev *d;
	rc = dev_new(s, sid, hostdev, be, dev, opts, &d, err);
	if (rc)
		return rc;
	rc = host_setup(s, d, err);
	if (rc) {
		free_dev(d);
		return rc;
	}
	pthread_mutex_lock(&s->lock);
	rc = attached_already(s, sid, err);
	if (!rc) {
		d->next = s->nest;
		s->nest = d;
		follow(s, d);
	}
	pthread_mutex_unlock(&s->lock);
	if (rc) {
		host_release(d);
		free_dev(d);
	}
	return rc;
}

VTD_API int vtd_iommu_detach_host(struct vtd_iommu *s, uint16_t sid)
{
	if (!s)
		return -EINVAL;
	if (vtd_in_callback(s))
		return -EDEADLK;
	pthread_mutex_lock(&s->lock);
	for (struct vtd_nest_dev **pp = &s->nest; *pp; pp = &(*pp)->next) {
		struct vtd_nest_dev *d = *pp;
		if (d->sid != sid)
			continue;
		*pp = d->next;
		/* answer what the guest still owes while the cookies are
		 * valid: detaching makes the host answer them itself, and a
		 * device must not wait for a guest that lost it */
		for (uint32_t i = 0; i < d->npend; i++)
			d->iopf.respond(d->be.ctx, d->fq, d->pend[i].cookie, VTD_HOST_IOPF_INVALID);
		d->npend = 0;
		struct want none = { .kind = W_BLOCK };
		for (uint32_t p = 0; d->pas && p < NEST_PASIDS; p++)
			bind(d, &d->pas[p], p, &none, false);
		bind(d, &d->rid, VTD_HOST_NO_PASID, &none, false);
		host_release(d);
		pthread_mutex_unlock(&s->lock);
		free_dev(d);
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
	if (vtd_in_callback(s))
		return -EDEADLK;
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
	if (vtd_in_callback(s))
		return -EDEADLK;
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
		free_dev(d);
	}
}

/* ---- recoverable faults --------------------------------------------------- */

static void respond(struct vtd_nest_dev *d, uint32_t cookie, enum vtd_host_iopf_code code)
{
	/* a refusal (the host dropped the group with its table, a cookie
	 * it never gave) is counted: nothing else can be done about it */
	if (d->iopf.respond(d->be.ctx, d->fq, cookie, code))
		d->st.response_errors++;
}

/* One record from the host (lock held). */
static void take_fault(struct vtd_iommu *s, struct vtd_nest_dev *d, const struct vtd_host_iopf *f)
{
	d->st.read++;
	/* checked here too: the backend is the VMM's code, the records are
	 * the host's */
	if (f->malformed || f->prg_index > 0x1ff || (f->pasid_valid && f->pasid > 0xfffff)) {
		d->st.malformed++;
		/* its group still waits on the host (a queue shared with
		 * another device has the same cookies): answer it; a
		 * truncated record has no cookie to trust and no last */
		if (f->last)
			respond(d, f->cookie, VTD_HOST_IOPF_INVALID);
		return;
	}
	if (d->pri_failed) {
		/* the guest answered Response Failure: PRI is off at the
		 * function until the guest resets it (PRE cleared) */
		d->st.refused++;
		if (f->last)
			respond(d, f->cookie, VTD_HOST_IOPF_INVALID);
		return;
	}
	if (d->npend >= VTD_HOST_IOPF_MAX_PENDING) {
		/* bounded: a guest that never answers (or a host repeating
		 * groups) cannot grow the list; Invalid, not Success, so a
		 * device does not retry into the same wall */
		d->st.capped++;
		if (f->last)
			respond(d, f->cookie, VTD_HOST_IOPF_INVALID);
		return;
	}
	struct vtd_page_request rq = {
		.sid = d->sid, .pasid_valid = f->pasid_valid, .pasid = f->pasid_valid ? f->pasid : 0,
		.addr = f->addr & ~0xfffull, .read = f->read, .write = f->write, .exec = f->exec,
		.priv = f->priv, .last = f->last, .prg_index = f->prg_index,
	};
	int answer;
	int rc = vtd_prq_insert(s, &rq, &answer);
	if (!rc) {
		d->st.delivered++;
		if (f->last)
			d->pend[d->npend++] = (struct pending){
				.cookie = f->cookie, .pasid_valid = f->pasid_valid, .pasid = rq.pasid,
				.prg_index = f->prg_index,
				.hpasid = f->pasid_valid ? f->pasid : VTD_HOST_NO_PASID,
			};
		return;
	}
	/* not queued: the answer the hardware gives for the guest (Success
	 * on overflow so the device asks again later, Invalid when it may
	 * not ask); a queue outside guest memory cannot take it either */
	if (answer == 0)
		d->st.overflowed++;
	else
		d->st.refused++;
	if (f->last)
		respond(d, f->cookie, answer == 0 ? VTD_HOST_IOPF_SUCCESS : VTD_HOST_IOPF_INVALID);
}

VTD_API int vtd_iommu_host_poll(struct vtd_iommu *s, uint16_t sid, unsigned max)
{
	if (!s)
		return -EINVAL;
	if (vtd_in_callback(s))
		return -EDEADLK;
	if (!max)
		max = VTD_HOST_IOPF_POLL_DEFAULT;
	if (max > VTD_HOST_IOPF_POLL_MAX)
		max = VTD_HOST_IOPF_POLL_MAX;
	pthread_mutex_lock(&s->lock);
	struct vtd_nest_dev *d = find_dev(s, sid);
	int rc = !d ? -ENOENT : !d->fq ? -EOPNOTSUPP : 0;
	unsigned done = 0;
	/* bounded by max whatever the host does: a flood costs one call at
	 * most max records; the caller comes back when the fd is readable */
	while (!rc && done < max) {
		struct vtd_host_iopf f[IOPF_CHUNK];
		unsigned want = max - done < IOPF_CHUNK ? max - done : IOPF_CHUNK;
		int n = d->iopf.read(d->be.ctx, d->fq, f, want);
		if (n < 0) {
			rc = n;
			break;
		}
		if (n == 0)
			break;
		if ((unsigned)n > want)
			n = (int)want; /* a backend that overran: its records are lost */
		for (int i = 0; i < n; i++)
			take_fault(s, d, &f[i]);
		done += (unsigned)n;
	}
	pthread_mutex_unlock(&s->lock);
	/* records already taken count even if a later read failed */
	return done ? (int)done : rc;
}

bool vtd_nest_page_response(struct vtd_iommu *s, uint16_t sid, bool pasid_valid, uint32_t pasid,
			    uint16_t prg_index, uint8_t code)
{
	struct vtd_nest_dev *d = find_dev(s, sid);
	if (!d || !d->npend)
		return false;
	/* the oldest group with these names: a device does not reuse a
	 * group index before its answer, so there is one unless the host
	 * repeated it */
	uint32_t i = 0;
	while (i < d->npend && !(d->pend[i].prg_index == prg_index &&
				 d->pend[i].pasid_valid == pasid_valid &&
				 (!pasid_valid || d->pend[i].pasid == pasid)))
		i++;
	if (i == d->npend)
		return false;
	uint32_t cookie = d->pend[i].cookie;
	memmove(&d->pend[i], &d->pend[i + 1], (d->npend - i - 1) * sizeof(*d->pend));
	d->npend--;
	d->st.responses++;
	/* the host takes Success and Invalid only: Response Failure (0xf)
	 * would disable PRI of a function the host may share (iommufd
	 * removed it), so it is Invalid there and PRI is off here, every
	 * other group answered Invalid, until the guest resets it */
	if (code == 0) {
		respond(d, cookie, VTD_HOST_IOPF_SUCCESS);
		return true;
	}
	respond(d, cookie, VTD_HOST_IOPF_INVALID);
	if (code == 0xf) {
		d->pri_failed = true;
		for (uint32_t k = 0; k < d->npend; k++)
			respond(d, d->pend[k].cookie, VTD_HOST_IOPF_INVALID);
		d->st.refused += d->npend;
		d->npend = 0;
	}
	return true;
}

VTD_API int vtd_iommu_host_fault_fd(struct vtd_iommu *s, uint16_t sid)
{
	if (!s)
		return -EINVAL;
	if (vtd_in_callback(s))
		return -EDEADLK;
	pthread_mutex_lock(&s->lock);
	struct vtd_nest_dev *d = find_dev(s, sid);
	int rc = -ENOENT;
	if (d)
		rc = d->fq && d->iopf.sz > offsetof(struct vtd_host_iopf_ops, fd) && d->iopf.fd
			     ? d->iopf.fd(d->be.ctx, d->fq)
			     : -EOPNOTSUPP;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

VTD_API int vtd_iommu_host_iopf_stats(struct vtd_iommu *s, uint16_t sid,
				      struct vtd_host_iopf_stats *st)
{
	if (!s || !st || st->sz < sizeof(size_t))
		return -EINVAL;
	if (vtd_in_callback(s))
		return -EDEADLK;
	size_t sz = st->sz < sizeof(*st) ? st->sz : sizeof(*st);
	pthread_mutex_lock(&s->lock);
	struct vtd_nest_dev *d = find_dev(s, sid);
	if (!d) {
		pthread_mutex_unlock(&s->lock);
		return -ENOENT;
	}
	struct vtd_host_iopf_stats out = d->st;
	out.queue = d->fq != 0;
	out.active = d->pri && !d->iopf_broken;
	out.pending = d->npend;
	pthread_mutex_unlock(&s->lock);
	out.sz = st->sz;
	memcpy(st, &out, sz);
	/* a newer caller's fields this library does not fill: zero */
	if (st->sz > sizeof(out))
		memset((unsigned char *)st + sizeof(out), 0, st->sz - sizeof(out));
	return 0;
}
