/* SPDX-License-Identifier: MIT */
/*
 * Save and restore of the guest-visible vIOMMU state, for migration.
 *
 * Format (little-endian, version 1):
 *   "VTDS" | u32 version | u32 total length | u32 CRC-32 of all that follows
 *   u32 config length | config string (vtd_config_format; keys missing
 *   from it, as in states saved before they existed, take their defaults)
 *   u32 register image length | register image (VTD_REG_END bytes)
 *   latched state: u64 root, u64 iq, u64 intr_root, u32 iq_size, u32 iq_head,
 *   u32 intr_size, u32 next_frcd, u32 root_ttm, u8 flags (scalable root, TE,
 *   QI, 256-bit queue, IRE, EIME, CFI)
 * Caches are not saved (the destination starts empty, which a guest cannot
 * tell from an eviction); attached host devices re-bind on the destination
 * from the restored state once they are attached there.
 */
#include "inval.h"

#include <errno.h>
#include <string.h>

#define STATE_MAGIC "VTDS"
#define STATE_VERSION 1u
/* the flags byte: scalable root, TE, QI, 256-bit queue, IRE, EIME, CFI; a
 * state with any other bit set was not written by vtd_iommu_save (and
 * would not save back to the same bytes): refused */
#define STATE_FLAGS 0x7fu

uint32_t vtd_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

struct wbuf {
	uint8_t *p;
	size_t len, pos;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
	if (w->pos + n <= w->len && w->p)
		memcpy(w->p + w->pos, src, n);
	w->pos += n;
}
static void put32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	put(w, b, 4);
}
static void put64(struct wbuf *w, uint64_t v)
{
	put32(w, (uint32_t)v);
	put32(w, (uint32_t)(v >> 32));
}

VTD_API long vtd_iommu_save(struct vtd_iommu *s, void *buf, size_t len)
{
	if (!s || (len && !buf))
		return -EINVAL;
	char cfg[1024];
	int cl = vtd_config_format(&s->cfg, cfg, sizeof(cfg));
	if (cl < 0 || (size_t)cl >= sizeof(cfg))
		return -EOVERFLOW;
	if (vtd_in_callback(s))
		return -EDEADLK;
	struct wbuf w = { buf, len, 0 };
	pthread_mutex_lock(&s->lock);
	put(&w, STATE_MAGIC, 4);
	put32(&w, STATE_VERSION);
	put32(&w, 0); /* total length, patched below */
	put32(&w, 0); /* CRC, patched below */
	put32(&w, (uint32_t)cl);
	put(&w, cfg, (size_t)cl);
	put32(&w, VTD_REG_END);
	put(&w, s->csr, VTD_REG_END);
	put64(&w, s->root);
	put64(&w, s->iq);
	put64(&w, s->intr_root);
	put32(&w, s->iq_size);
	put32(&w, s->iq_head);
	put32(&w, s->intr_size);
	put32(&w, s->next_frcd);
	put32(&w, s->root_ttm);
	uint8_t flags = (uint8_t)(s->root_scalable | s->dmar_enabled << 1 | s->qi_enabled << 2 |
				  s->iq_dw << 3 | s->intr_enabled << 4 | s->intr_eime << 5 |
				  s->cfi_enabled << 6);
	put(&w, &flags, 1);
	pthread_mutex_unlock(&s->lock);
	size_t total = w.pos;
	if (buf && total <= len) {
		struct wbuf h = { buf, len, 8 };
		put32(&h, (uint32_t)total);
		uint32_t crc = vtd_crc32((uint8_t *)buf + 16, total - 16);
		put32(&h, crc);
	}
	return (long)total;
}

struct rbuf {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

static void get(struct rbuf *r, void *dst, size_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p + r->pos, n);
	r->pos += n;
}
static uint32_t get32(struct rbuf *r)
{
	uint8_t b[4];
	get(r, b, 4);
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint64_t get64(struct rbuf *r)
{
	uint64_t lo = get32(r);
	return lo | (uint64_t)get32(r) << 32;
}

VTD_API int vtd_iommu_load(struct vtd_iommu *s, const void *buf, size_t len, struct vtd_error *err)
{
	vtd_error_clear(err);
	if (!s || !buf)
		return -EINVAL;
	if (vtd_in_callback(s)) {
		vtd_error_add(err, VTD_ERR_CONFLICT,
			      "vtd_iommu_load called from one of the object's own callbacks");
		return -EDEADLK;
	}
	struct rbuf r = { buf, len, 0, false };
	char magic[4];
	get(&r, magic, 4);
	uint32_t version = get32(&r), total = get32(&r), crc = get32(&r);
	if (r.bad || memcmp(magic, STATE_MAGIC, 4)) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "not a libvtd state (bad magic)");
		return -EINVAL;
	}
	if (version != STATE_VERSION) {
		vtd_error_add(err, VTD_ERR_UNSUPPORTED,
			      "state version %u is not supported (this libvtd reads version %u)",
			      version, STATE_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (total != len) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "state is %zu bytes, its header says %u%s",
			      len, total, len < total ? " (truncated)" : "");
		return -EINVAL;
	}
	if (vtd_crc32((const uint8_t *)buf + 16, len - 16) != crc) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "state is corrupted (CRC mismatch)");
		return -EINVAL;
	}
	uint32_t cl = get32(&r);
	char cfg[1024];
	if (cl >= sizeof(cfg)) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "state: configuration too long");
		return -EINVAL;
	}
	get(&r, cfg, cl);
	cfg[cl] = '\0';
	/* Compared as configurations, not strings: a state saved before a
	 * property existed (x-pi) lacks its key, which means its default. */
	char mine[1024], theirs[1024];
	vtd_config_format(&s->cfg, mine, sizeof(mine));
	struct vtd_config saved;
	if (!r.bad && (vtd_config_parse(&saved, cfg, NULL) ||
		       vtd_config_format(&saved, theirs, sizeof(theirs)) >= (int)sizeof(theirs) ||
		       strcmp(theirs, mine))) {
		vtd_error_add(err, VTD_ERR_CONFLICT,
			      "state was saved with another configuration (%s); this vIOMMU has %s",
			      cfg, mine);
		return -EINVAL;
	}
	uint32_t rl = get32(&r);
	uint8_t csr[VTD_REG_END];
	if (rl != VTD_REG_END) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "state: register image of %u bytes, expected %u",
			      rl, VTD_REG_END);
		return -EINVAL;
	}
	get(&r, csr, VTD_REG_END);
	uint64_t root = get64(&r), iq = get64(&r), intr_root = get64(&r);
	uint32_t iq_size = get32(&r), iq_head = get32(&r), intr_size = get32(&r);
	uint32_t next_frcd = get32(&r), ttm = get32(&r);
	uint8_t flags;
	get(&r, &flags, 1);
	if (r.bad || r.pos != len) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "state: malformed body");
		return -EINVAL;
	}
	/* values a device could never have had are refused, not trusted */
	if ((iq_size & (iq_size - 1)) || iq_size > (1u << 15) || (iq_size && iq_head >= iq_size) ||
	    (intr_size & (intr_size - 1)) || intr_size > (1u << 16) || next_frcd >= VTD_NUM_FRCD ||
	    ttm > 3 || (root | iq | intr_root) & ~s->haw_mask || (flags & ~STATE_FLAGS)) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "state: inconsistent values");
		return -EINVAL;
	}
	/* everything checked: apply at once */
	pthread_mutex_lock(&s->lock);
	memcpy(s->csr, csr, VTD_REG_END);
	VTD_STORE(s->root, root);
	VTD_STORE(s->root_ttm, ttm);
	VTD_STORE(s->root_scalable, (flags & 1) != 0);
	VTD_STORE(s->dmar_enabled, (flags & 2) != 0);
	s->qi_enabled = flags & 4;
	s->iq_dw = flags & 8;
	VTD_STORE(s->intr_enabled, (flags & 16) != 0);
	VTD_STORE(s->intr_eime, (flags & 32) != 0);
	VTD_STORE(s->cfi_enabled, (flags & 64) != 0);
	s->iq = iq;
	s->iq_size = iq_size;
	s->iq_head = iq_head;
	VTD_STORE(s->intr_root, intr_root);
	VTD_STORE(s->intr_size, intr_size);
	s->next_frcd = next_frcd;
	vtd_cache_reset(s);
	vtd_cache_reset_iec(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
