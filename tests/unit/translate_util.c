/* SPDX-License-Identifier: MIT */
/* The DMA-translation tests' fixture and requests: see translate_util.h. */
#include "translate_util.h"

#include <string.h>

/* ---- fixture ------------------------------------------------------------- */

struct vtd_translation R;

void mk(const char *props)
{
	guest_new(props, RAM_SIZE, true, (struct vtd_iommu_opts){ 0 });
}

uint64_t frcd_lo(void) { return mmio_r(VTD_REG_FRCD, 8); }
uint64_t frcd_hi(void) { return mmio_r(VTD_REG_FRCD + 8, 8); }

/* ---- requests -------------------------------------------------------------- */

/* CAP.ESRTPS (set by this unit, QEMU >= 10.2): GCMD.SRTP invalidates the
 * context, PASID and IOTLB caches, so software need not.  TE is kept. */
static void inval_all(void)
{
	uint32_t te = (uint32_t)mmio_r(VTD_REG_GSTS, 4) & VTD_GCMD_TE;
	assert_true(vtd_cap_esrtps(iommu->cap));
	mmio_w(VTD_REG_GCMD, 4, te | VTD_GCMD_SRTP);
	tables_changed = false;
}

int xreq(const struct vtd_dma_request *rq)
{
	if (tables_changed)
		inval_all();
	struct vtd_trace *t = R.trace;
	memset(&R, 0xa5, sizeof(R));
	R.trace = t;
	return vtd_iommu_translate(iommu, rq, &R);
}

int xl(uint16_t sid, uint64_t addr, unsigned perm)
{
	struct vtd_dma_request rq = { .sid = sid, .addr = addr, .perm = perm };
	return xreq(&rq);
}

int xp(uint16_t sid, uint32_t pasid, uint64_t addr, unsigned perm, bool priv)
{
	struct vtd_dma_request rq = { .sid = sid, .pasid_valid = true, .pasid = pasid,
				      .addr = addr, .perm = perm, .priv = priv };
	return xreq(&rq);
}

int xat(uint16_t sid, uint64_t addr, unsigned perm, enum vtd_at at)
{
	struct vtd_dma_request rq = { .sid = sid, .addr = addr, .perm = perm, .at = at };
	return xreq(&rq);
}

/* ---- legacy fixture ----------------------------------------------------------- */

uint64_t legacy(const char *props, uint64_t ctx_flags, unsigned aw)
{
	mk(props);
	uint64_t ss = alloc_page();
	put64(ROOT, CT0 | 1);
	set_legacy_ctx(CT0, DEVFN, ss | ctx_flags | 1, (DID << 8) | aw);
	enable_root(ROOT);
	return ss;
}

/* ---- scalable fixture --------------------------------------------------------- */

uint64_t sm_ctx_addr(unsigned devfn) { return sm_ctx_at(devfn < 128 ? CT0 : CT1, devfn); }

void sm_ctx(unsigned devfn, uint64_t q0, uint64_t q1)
{
	set_sm_ctx(devfn < 128 ? CT0 : CT1, devfn, q0, q1);
}

uint64_t pe_addr(uint32_t pasid) { return pasid_entry_at(PDIR, pasid); }

void set_pe(uint32_t pasid, uint64_t q0, uint64_t q1, uint64_t q2)
{
	set_pasid_entry(PDIR, pasid, q0, q1, q2);
}

void sm(const char *props, uint64_t ctx_flags, uint64_t ctx_q1)
{
	mk(props);
	put64(ROOT, CT0 | 1);
	put64(ROOT + 8, CT1 | 1);
	sm_ctx(DEVFN, PDIR | ctx_flags | 1, ctx_q1);
	put64(PDIR, PTBL | 1);
	enable_root(ROOT | RTADDR_SMT);
}

uint64_t sm_ss(const char *props, uint64_t pe_q0_flags, uint64_t q2)
{
	sm(props, 0, 0);
	uint64_t ss = alloc_page();
	set_pe(0, ss | PGTT(2) | SSAW(2) | pe_q0_flags | 1, DID, q2);
	return ss;
}

uint64_t sm_fs(const char *props, uint64_t q2_flags)
{
	sm(props, 0, 0);
	uint64_t fs = alloc_page();
	set_pe(0, PGTT(1) | 1, DID, fs | q2_flags);
	return fs;
}

/* ---- nested fixture (PGTT=3) ------------------------------------------------- */

void nest_identity(uint64_t ss)
{
	uint64_t end = next_page;
	for (uint64_t p = 0x100000; p < end; p += 0x1000)
		ss_map(ss, 4, p, p, 1, SS_RW);
}

void nest(uint64_t *fsp, uint64_t *ssp, uint64_t ss_leaf_flags, uint64_t q2)
{
	sm(NEST ",x-pasid-mode=on", CE_PASIDE, 0);
	uint64_t ss = alloc_page(), fs = alloc_page();
	fs_map(fs, GVA, GPA, 1, FS_PRU);
	nest_identity(ss);
	ss_map(ss, 4, GPA, HPA, 1, ss_leaf_flags);
	set_pe(0, ss | PGTT(3) | SSAW(2) | 1, DID, fs | q2);
	*fsp = fs;
	*ssp = ss;
}
