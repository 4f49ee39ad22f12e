/* SPDX-License-Identifier: MIT */
/* The unit tests' guest: see guest.h. */
#include "guest.h"

#include <stdlib.h>
#include <string.h>

uint8_t *ram;
uint64_t ram_size;
struct vtd_iommu *iommu;
uint64_t next_page;
bool tables_changed;

uint64_t q_base;
unsigned q_shift;
uint32_t q_size, q_tail;

/* ---- the guest ------------------------------------------------------------ */

struct vtd_iommu *iommu_new(const char *props, struct vtd_iommu_opts *o)
{
	struct vtd_config c;
	struct vtd_error e;
	if (vtd_config_parse(&c, props, &e))
		fail_msg("config '%s': %s", props, e.msg);
	o->sz = sizeof(*o);
	struct vtd_iommu *u = NULL;
	int r = vtd_iommu_new(&c, o, &u, &e);
	if (r)
		fail_msg("vtd_iommu_new('%s'): %d %s", props, r, e.msg);
	assert_non_null(u);
	return u;
}

void guest_new(const char *props, uint64_t size, bool flat, struct vtd_iommu_opts o)
{
	ram = calloc(1, size);
	assert_non_null(ram);
	ram_size = size;
	next_page = FIRST_PAGE;
	if (flat) {
		o.ram = ram;
		o.ram_size = size;
	}
	iommu = iommu_new(props, &o);
}

int guest_teardown(void **state)
{
	(void)state;
	vtd_iommu_free(iommu);
	iommu = NULL;
	free(ram);
	ram = NULL;
	return 0;
}

void put64(uint64_t a, uint64_t v)
{
	assert_true(a + 8 <= ram_size);
	memcpy(ram + a, &v, 8);
	tables_changed = true;
}

uint64_t get64(uint64_t a)
{
	uint64_t v;
	assert_true(a + 8 <= ram_size);
	memcpy(&v, ram + a, 8);
	return v;
}

uint32_t get32(uint64_t a)
{
	uint32_t v;
	assert_true(a + 4 <= ram_size);
	memcpy(&v, ram + a, 4);
	return v;
}

uint64_t alloc_page(void)
{
	uint64_t p = next_page;
	next_page += 0x1000;
	assert_true(next_page <= ram_size);
	memset(ram + p, 0, 0x1000);
	return p;
}

/* ---- registers -------------------------------------------------------------- */

uint64_t reg_rd(struct vtd_iommu *u, uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeefdeadbeefull;
	int r = vtd_iommu_mmio_read(u, off, size, &v);
	if (r)
		fail_msg("read %#llx/%u returned %d", (unsigned long long)off, size, r);
	return v;
}

void reg_wr(struct vtd_iommu *u, uint64_t off, unsigned size, uint64_t v)
{
	int r = vtd_iommu_mmio_write(u, off, size, v);
	if (r)
		fail_msg("write %#llx/%u returned %d", (unsigned long long)off, size, r);
}

uint32_t gsts(struct vtd_iommu *u)
{
	return (uint32_t)reg_rd(u, VTD_REG_GSTS, 4);
}

void gcmd_cmd(struct vtd_iommu *u, uint32_t set, uint32_t clear)
{
	uint32_t v = (gsts(u) & 0x96ffffffu & ~clear) | set;
	reg_wr(u, VTD_REG_GCMD, 4, v);
}

uint64_t mmio_r(uint64_t off, unsigned size) { return reg_rd(iommu, off, size); }
void mmio_w(uint64_t off, unsigned size, uint64_t v) { reg_wr(iommu, off, size, v); }
uint32_t fsts(void) { return (uint32_t)mmio_r(VTD_REG_FSTS, 4); }

void gcmd(uint32_t bit, bool on)
{
	gcmd_cmd(iommu, on ? bit : 0, on ? 0 : bit);
	assert_int_equal(!!(gsts(iommu) & bit), on);
}

void enable_root(uint64_t rtaddr)
{
	mmio_w(VTD_REG_RTADDR, 8, rtaddr);
	gcmd(VTD_GCMD_SRTP, true);
	gcmd(VTD_GCMD_TE, true);
}

/* ---- paging structures ---------------------------------------------------- */

unsigned pt_index(uint64_t va, unsigned level)
{
	return (unsigned)((va >> (12 + 9 * (level - 1))) & 0x1ff);
}

uint64_t pte_at(uint64_t root, unsigned levels, uint64_t va, unsigned level, uint64_t nonleaf)
{
	uint64_t t = root;
	for (unsigned l = levels; l > level; l--) {
		uint64_t ea = t + pt_index(va, l) * 8;
		uint64_t e = get64(ea);
		if (!e) {
			e = alloc_page() | nonleaf;
			put64(ea, e);
		}
		t = e & ADDR_MASK;
	}
	return t + pt_index(va, level) * 8;
}

uint64_t ss_map(uint64_t root, unsigned levels, uint64_t va, uint64_t pa, unsigned level,
		uint64_t flags)
{
	uint64_t ea = pte_at(root, levels, va, level, SS_RW);
	put64(ea, pa | flags | (level > 1 ? PS : 0));
	return ea;
}

uint64_t fs_map(uint64_t root, uint64_t va, uint64_t pa, unsigned level, uint64_t flags)
{
	uint64_t ea = pte_at(root, 4, va, level, FS_PRU);
	put64(ea, pa | flags | (level > 1 ? PS : 0));
	return ea;
}

/* ---- root, context and PASID entries --------------------------------------- */

void set_legacy_ctx(uint64_t ct, unsigned devfn, uint64_t lo, uint64_t hi)
{
	put64(ct + devfn * 16, lo);
	put64(ct + devfn * 16 + 8, hi);
}

uint64_t sm_ctx_at(uint64_t ct, unsigned devfn)
{
	return ct + (devfn & 0x7f) * 32;
}

void set_sm_ctx(uint64_t ct, unsigned devfn, uint64_t q0, uint64_t q1)
{
	uint64_t a = sm_ctx_at(ct, devfn);
	put64(a, q0);
	put64(a + 8, q1);
	put64(a + 16, 0);
	put64(a + 24, 0);
}

uint64_t pasid_entry_at(uint64_t pdir, uint32_t pasid)
{
	uint64_t da = pdir + (uint64_t)(pasid >> 6) * 8;
	uint64_t d = get64(da);
	if (!d) {
		d = alloc_page() | 1;
		put64(da, d);
	}
	return (d & ADDR_MASK) + (pasid & 0x3f) * 64;
}

void set_pasid_entry(uint64_t pdir, uint32_t pasid, uint64_t q0, uint64_t q1, uint64_t q2)
{
	uint64_t a = pasid_entry_at(pdir, pasid);
	put64(a, q0);
	put64(a + 8, q1);
	put64(a + 16, q2);
	for (unsigned i = 3; i < 8; i++)
		put64(a + 8 * i, 0);
}

/* ---- invalidation queue -------------------------------------------------- */

void qi_on(uint64_t base, unsigned qs, bool dw)
{
	mmio_w(VTD_REG_IQT, 8, 0);
	q_base = base;
	q_tail = 0;
	mmio_w(VTD_REG_IQA, 8, base | (dw ? (1ull << 11) : 0) | qs);
	gcmd(VTD_GCMD_QIE, true);
	q_shift = dw ? 5 : 4;
	q_size = (4096u << qs) >> q_shift;
	assert_int_equal(mmio_r(VTD_REG_IQH, 8), 0);
}

void q_set(uint32_t slot, uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3)
{
	uint64_t a = q_base + ((uint64_t)slot << q_shift);
	put64(a, q0);
	put64(a + 8, q1);
	if (q_shift == 5) {
		put64(a + 16, q2);
		put64(a + 24, q3);
	}
}

void q_put(uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3)
{
	q_set(q_tail, q0, q1, q2, q3);
	q_tail = (q_tail + 1) % q_size;
}

void q_go(void) { mmio_w(VTD_REG_IQT, 8, (uint64_t)q_tail << q_shift); }

void q_submit(uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3)
{
	q_put(q0, q1, q2, q3);
	q_go();
}
