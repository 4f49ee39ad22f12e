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
 *
 * Fault queues model a device with ATS and PRI behind a host that reports
 * its page requests to the VMM (iommufd's IOMMU_FAULT_QUEUE_ALLOC): a
 * nested table allocated with a queue turns a first-stage miss (entry not
 * present, or read-only for a write) into a one-page group in the queue
 * instead of a fault, and the request waits for the group's answer.  A
 * group lives from the miss until the answer (Success: gone, the retry
 * walks again; Invalid: the next try fails once) or until its table is
 * replaced or freed, when it is answered Invalid as the kernel does.
 * Groups per queue are capped (SIM_FQ_GROUPS) as a device's outstanding
 * page request allocation caps them; past the cap a miss is a plain fault.
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
#define SIM_MAX_FQ 16
#define SIM_FQ_GROUPS 64

struct sim_hwpt {
	bool used, nested;
	uint32_t parent;
	uint32_t fq;          /* fault queue (0: misses are faults) */
	struct vtd_s1_cfg s1;
};

/* One outstanding page request group (one page). */
struct sim_group {
	enum { G_FREE = 0, G_QUEUED, G_READ, G_FAILED } st;
	uint32_t cookie;      /* given when read, as the kernel does */
	uint32_t dev, pasid, hwpt;
	uint16_t grpid;
	uint64_t page;        /* iova >> 12 */
	bool write;
	uint64_t seq;         /* queue order */
};

struct sim_fq {
	bool used;
	struct sim_group g[SIM_FQ_GROUPS];
	uint32_t next_cookie;
	uint16_t next_grpid;
	uint64_t seq;
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
	struct sim_fq fq[SIM_MAX_FQ];          /* id = index + 1 */
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

static struct sim_fq *fq_get(struct vtd_sim *m, uint32_t id)
{
	if (id == 0 || id > SIM_MAX_FQ || !m->fq[id - 1].used)
		return NULL;
	return &m->fq[id - 1];
}

static const char *pasid_str(uint32_t pasid, char buf[12])
{
	snprintf(buf, 12, "%d", pasid == VTD_HOST_NO_PASID ? -1 : (int)(pasid & 0xfffff));
	return buf;
}

/* The device's requests (dev, pasid) leave table hwpt: what is still
 * unanswered there is answered Invalid, as iommufd does on detach and
 * replace (lock held). */
static void fq_auto_respond(struct vtd_sim *m, uint32_t hwpt, uint32_t dev, uint32_t pasid)
{
	struct sim_hwpt *h = hwpt_get(m, hwpt);
	struct sim_fq *q = h ? fq_get(m, h->fq) : NULL;
	if (!q)
		return;
	for (unsigned i = 0; i < SIM_FQ_GROUPS; i++) {
		struct sim_group *g = &q->g[i];
		if ((g->st == G_QUEUED || g->st == G_READ) && g->hwpt == hwpt && g->dev == dev &&
		    g->pasid == pasid) {
			char p[12];
			event(m, "auto_response fault=%u dev=%u pasid=%s group=%u invalid", h->fq, dev,
			      pasid_str(pasid, p), g->grpid);
			g->st = G_FAILED;
		}
	}
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

static int nested_alloc(struct vtd_sim *m, uint32_t parent, const struct vtd_s1_cfg *s1,
			uint32_t fq, uint32_t *id)
{
	pthread_mutex_lock(&m->lock);
	struct sim_hwpt *p = hwpt_get(m, parent);
	int rc = -EINVAL;
	if (fq && !fq_get(m, fq)) {
		rc = -ENOENT;
	} else if (p && !p->nested && (s1->addr_width == 48 || s1->addr_width == 57) &&
		   !(s1->flags & ~(VTD_S1_SRE | VTD_S1_EAFE | VTD_S1_WPE)) &&
		   !(s1->pgtbl_addr & 0xfff)) {
		/* what Linux checks for a nested VT-d table (intel_pasid_setup_nested) */
		rc = -ENOSPC;
		for (uint32_t i = 0; i < SIM_MAX_HWPT; i++)
			if (!m->hwpt[i].used) {
				m->hwpt[i] = (struct sim_hwpt){ .used = true, .nested = true,
								.parent = parent, .fq = fq, .s1 = *s1 };
				*id = i + 1;
				char q[24] = "";
				if (fq)
					snprintf(q, sizeof(q), " fault=%u", fq);
				event(m, "alloc_nested hwpt=%u parent=%u pgtbl=0x%llx aw=%u flags=0x%x%s",
				      i + 1, parent, (unsigned long long)s1->pgtbl_addr, s1->addr_width,
				      s1->flags, q);
				rc = 0;
				break;
			}
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int s_alloc_nested(void *ctx, uint32_t parent, const struct vtd_s1_cfg *s1, uint32_t *id)
{
	return nested_alloc(ctx, parent, s1, 0, id);
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
			/* (no group can wait on it: it is not attached, and
			 * leaving made them Invalid; the device learns that
			 * on its next try) */
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
	if (slot && slot->hwpt != id)
		fq_auto_respond(m, slot->hwpt, dev, pasid);
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

/* ---- fault queues --------------------------------------------------------- */

static int s_alloc_queue(void *ctx, uint32_t *queue)
{
	struct vtd_sim *m = ctx;
	pthread_mutex_lock(&m->lock);
	int rc = -ENOSPC;
	for (uint32_t i = 0; i < SIM_MAX_FQ; i++)
		if (!m->fq[i].used) {
			m->fq[i] = (struct sim_fq){ .used = true, .next_cookie = 1 };
			*queue = i + 1;
			event(m, "alloc_fault_queue fault=%u", i + 1);
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int s_free_queue(void *ctx, uint32_t queue)
{
	struct vtd_sim *m = ctx;
	pthread_mutex_lock(&m->lock);
	struct sim_fq *q = fq_get(m, queue);
	int rc = -ENOENT;
	if (q) {
		rc = 0;
		for (unsigned i = 0; i < SIM_MAX_HWPT; i++)
			if (m->hwpt[i].used && m->hwpt[i].fq == queue)
				rc = -EBUSY; /* tables still report to it */
		if (!rc) {
			q->used = false;
			event(m, "free_fault_queue fault=%u", queue);
		}
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static int s_alloc_nested_fq(void *ctx, uint32_t parent, const struct vtd_s1_cfg *s1,
			     uint32_t queue, uint32_t *hwpt)
{
	if (!queue)
		return -ENOENT;
	return nested_alloc(ctx, parent, s1, queue, hwpt);
}

static int s_read_faults(void *ctx, uint32_t queue, struct vtd_host_iopf *out, unsigned max)
{
	struct vtd_sim *m = ctx;
	pthread_mutex_lock(&m->lock);
	struct sim_fq *q = fq_get(m, queue);
	if (!q) {
		pthread_mutex_unlock(&m->lock);
		return -ENOENT;
	}
	unsigned n = 0;
	while (n < max) {
		/* oldest queued group first */
		struct sim_group *g = NULL;
		for (unsigned i = 0; i < SIM_FQ_GROUPS; i++)
			if (q->g[i].st == G_QUEUED && (!g || q->g[i].seq < g->seq))
				g = &q->g[i];
		if (!g)
			break;
		g->st = G_READ;
		g->cookie = q->next_cookie++;
		if (!q->next_cookie)
			q->next_cookie = 1;
		out[n++] = (struct vtd_host_iopf){
			.addr = g->page << 12, .cookie = g->cookie,
			.pasid = g->pasid == VTD_HOST_NO_PASID ? 0 : g->pasid,
			.prg_index = g->grpid, .pasid_valid = g->pasid != VTD_HOST_NO_PASID,
			.last = true, .read = !g->write, .write = g->write,
		};
		char p[12];
		event(m, "read_fault fault=%u cookie=%u dev=%u pasid=%s addr=0x%llx %s group=%u",
		      queue, g->cookie, g->dev, pasid_str(g->pasid, p),
		      (unsigned long long)(g->page << 12), g->write ? "w" : "r", g->grpid);
	}
	pthread_mutex_unlock(&m->lock);
	return (int)n;
}

static int s_respond(void *ctx, uint32_t queue, uint32_t cookie, enum vtd_host_iopf_code code)
{
	struct vtd_sim *m = ctx;
	pthread_mutex_lock(&m->lock);
	struct sim_fq *q = fq_get(m, queue);
	int rc = -ENOENT;
	if (q) {
		/* the kernel's rule: a code it knows, and a cookie it handed
		 * out and has not seen answered */
		rc = -EINVAL;
		for (unsigned i = 0; i < SIM_FQ_GROUPS; i++) {
			struct sim_group *g = &q->g[i];
			if (g->st != G_READ || g->cookie != cookie ||
			    (code != VTD_HOST_IOPF_SUCCESS && code != VTD_HOST_IOPF_INVALID))
				continue;
			g->st = code == VTD_HOST_IOPF_SUCCESS ? G_FREE : G_FAILED;
			event(m, "page_response fault=%u cookie=%u %s", queue, cookie,
			      code == VTD_HOST_IOPF_SUCCESS ? "success" : "invalid");
			rc = 0;
			break;
		}
		if (rc)
			event(m, "page_response fault=%u cookie=%u refused", queue, cookie);
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static const struct vtd_host_iopf_ops sim_iopf_ops = {
	.sz = sizeof(struct vtd_host_iopf_ops),
	.alloc_queue = s_alloc_queue,
	.free_queue = s_free_queue,
	.alloc_nested = s_alloc_nested_fq,
	.read = s_read_faults,
	.respond = s_respond,
	.fd = NULL,
};

VTD_API const struct vtd_host_iopf_ops *vtd_sim_iopf_ops(void)
{
	return &sim_iopf_ops;
}

/* A first-stage miss on a table with a fault queue: a page request group
 * instead of a fault, unless one for the same page is outstanding (lock
 * held).  Returns -EAGAIN (wait for the answer), or -EACCES when the
 * group was answered Invalid or the queue is full. */
static int page_request(struct vtd_sim *m, struct sim_hwpt *h, uint32_t hwpt, uint32_t dev,
			uint32_t pasid, uint64_t iova, bool write)
{
	struct sim_fq *q = fq_get(m, h->fq);
	if (!q)
		return -EACCES;
	struct sim_group *free_g = NULL, *failed = NULL;
	for (unsigned i = 0; i < SIM_FQ_GROUPS; i++) {
		struct sim_group *g = &q->g[i];
		if (g->st == G_FREE) {
			if (!free_g)
				free_g = g;
			continue;
		}
		if (g->st == G_FAILED && (!failed || g->seq < failed->seq))
			failed = g;
		if (g->dev != dev || g->pasid != pasid || g->page != iova >> 12)
			continue;
		if (g->st == G_FAILED) {
			/* the answer was Invalid: this try fails, the next
			 * one asks again */
			g->st = G_FREE;
			return -EPERM;
		}
		if (write && !g->write)
			continue; /* a read is outstanding; the write asks too */
		return -EAGAIN;
	}
	char p[12];
	/* an answer a device never came back for gives its place up first */
	if (!free_g)
		free_g = failed;
	if (!free_g) {
		event(m, "page_request fault=%u full", h->fq);
		return -EACCES;
	}
	*free_g = (struct sim_group){
		.st = G_QUEUED, .dev = dev, .pasid = pasid, .hwpt = hwpt,
		.grpid = q->next_grpid, .page = iova >> 12, .write = write, .seq = q->seq++,
	};
	q->next_grpid = (uint16_t)((q->next_grpid + 1) & 0x1ff);
	event(m, "page_request fault=%u dev=%u pasid=%s addr=0x%llx %s group=%u", h->fq, dev,
	      pasid_str(pasid, p), (unsigned long long)(iova & ~0xfffull), write ? "w" : "r",
	      free_g->grpid);
	return -EAGAIN;
}

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
			rc = h->fq ? page_request(m, h, id, dev, pasid, iova, write) : -EACCES;
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
				rc = h->fq ? page_request(m, h, id, dev, pasid, iova, write) : -EACCES;
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
