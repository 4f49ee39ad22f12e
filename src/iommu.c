/* SPDX-License-Identifier: MIT */
/* The vIOMMU object: creation, reset, teardown. */
#include "inval.h"
#include "nest.h"
#include "notify.h"
#include "regs.h"
#include "tables.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

VTD_API int vtd_iommu_new(const struct vtd_config *cfg, const struct vtd_iommu_opts *opts,
			  struct vtd_iommu **out, struct vtd_error *err)
{
	vtd_error_clear(err);
	if (!out)
		return -EINVAL;
	*out = NULL;
	struct vtd_config c;
	int r = vtd_config_take(cfg, &c, err);
	if (r)
		return r;

	struct vtd_iommu_opts o = { 0 };
	r = opts ? vtd_opts_copy(&o, sizeof(o), opts, opts->sz) : 0;
	if (r == -EINVAL) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "vtd_iommu_opts.sz is %zu", opts->sz);
		return r;
	}
	if (r) {
		vtd_error_add(err, VTD_ERR_UNSUPPORTED,
			      "vtd_iommu_opts has fields this libvtd does not know");
		return r;
	}
	if (o.ram_size && !o.ram) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "vtd_iommu_opts: ram_size without ram");
		return -EINVAL;
	}

	/* cache-line aligned: the hot-path counters inside are */
	void *mem = NULL;
	if (posix_memalign(&mem, 64, sizeof(struct vtd_iommu)))
		mem = NULL;
	struct vtd_iommu *s = mem;
	if (s)
		memset(s, 0, sizeof(*s));
	if (!s) {
		vtd_error_add(err, VTD_ERR_NOMEM, "out of memory");
		return -ENOMEM;
	}
	s->cfg = c;
	s->cap = vtd_caps_cap(&c);
	s->ecap = vtd_caps_ecap(&c);
	s->haw_mask = (c.aw_bits >= 64) ? ~0ull : ((1ull << c.aw_bits) - 1);
	vtd_tables_init(s);
	if (o.mem)
		s->mem = *o.mem;
	s->mem_opaque = o.mem_opaque;
	if (o.events)
		s->events = *o.events;
	s->event_opaque = o.event_opaque;
	s->ram = o.ram;
	s->ram_size = o.ram_size;
	s->irq_inval = o.irq_inval;
	s->ram_dirty = o.ram_dirty;
	if (pthread_mutex_init(&s->lock, NULL)) {
		free(s);
		return -ENOMEM;
	}
	if (vtd_cc_init(&s->cc) ||
	    vtd_iotlb_init(&s->iotlb, o.iotlb_entries ? o.iotlb_entries : 16384) ||
	    vtd_ct_init(&s->pasidc, o.pasid_cache_entries ? o.pasid_cache_entries : 4096, 4) ||
	    vtd_ct_init(&s->iec, 4096, 2)) {
		vtd_iotlb_destroy(&s->iotlb);
		vtd_ct_destroy(&s->pasidc);
		vtd_ct_destroy(&s->iec);
		vtd_cc_destroy(&s->cc);
		pthread_mutex_destroy(&s->lock);
		free(s);
		vtd_error_add(err, VTD_ERR_NOMEM, "out of memory for the caches");
		return -ENOMEM;
	}
	vtd_regs_reset(s);
	*out = s;
	return 0;
}

VTD_API void vtd_iommu_free(struct vtd_iommu *s)
{
	if (!s)
		return;
	vtd_notify_free_all(s);
	vtd_nest_free_all(s);
	pthread_mutex_destroy(&s->lock);
	vtd_iotlb_destroy(&s->iotlb);
	vtd_ct_destroy(&s->pasidc);
	vtd_ct_destroy(&s->iec);
	vtd_cc_destroy(&s->cc);
	free(s);
}

VTD_API void vtd_iommu_get_stats(struct vtd_iommu *s, struct vtd_iommu_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!s)
		return;
#define R(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
	uint64_t fast = vtd_counter_sum(&s->fast_hits), fast_miss = vtd_counter_sum(&s->fast_misses);
	st->iotlb_hits = vtd_counter_sum(&s->iotlb.hits) + fast;
	st->iotlb_misses = vtd_counter_sum(&s->iotlb.misses) + fast_miss;
	st->iotlb_inserts = R(s->iotlb.inserts);
	st->iotlb_evictions = R(s->iotlb.evictions);
	st->iotlb_invalidated = R(s->iotlb.invalidated);
	st->iotlb_entries = R(s->iotlb.used);
	st->iotlb_capacity = s->iotlb.capacity;
	st->pasid_hits = vtd_counter_sum(&s->pasidc.hits);
	st->pasid_misses = vtd_counter_sum(&s->pasidc.misses);
	st->pasid_entries = R(s->pasidc.used);
	st->context_hits = vtd_counter_sum(&s->cc.hits) + fast + fast_miss;
	st->context_misses = vtd_counter_sum(&s->cc.misses);
	st->context_invalidated = R(s->cc.invalidated);
	for (int i = 0; i < 16; i++)
		st->qi_descriptors[i] = R(s->inv_count[i]);
#undef R
}

VTD_API void vtd_iommu_reset(struct vtd_iommu *s)
{
	/* from inside one of its callbacks: refused (iommu.h, threading) */
	if (!s || vtd_in_callback(s))
		return;
	pthread_mutex_lock(&s->lock);
	VTD_STORE(s->root, 0);
	VTD_STORE(s->root_scalable, false);
	VTD_STORE(s->root_ttm, 0u);
	VTD_STORE(s->dmar_enabled, false);
	s->iq = 0;
	s->iq_size = 0;
	s->iq_dw = false;
	s->qi_enabled = false;
	s->iq_head = 0;
	VTD_STORE(s->intr_root, 0);
	VTD_STORE(s->intr_size, 0u);
	VTD_STORE(s->intr_eime, false);
	VTD_STORE(s->intr_enabled, false);
	VTD_STORE(s->cfi_enabled, false);
	s->next_frcd = 0;
	vtd_regs_reset(s);
	vtd_cache_reset(s);
	vtd_cache_reset_iec(s);
	/* the VMM resets its routes with the device: nothing to tell */
	s->iec_ev.pending = false;
	pthread_mutex_unlock(&s->lock);
}

VTD_API const struct vtd_config *vtd_iommu_config(const struct vtd_iommu *s)
{
	return s ? &s->cfg : NULL;
}
