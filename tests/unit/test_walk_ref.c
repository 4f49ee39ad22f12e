/* SPDX-License-Identifier: MIT */
/*
 * An unoptimised reference walker for VT-d DMA translation, and a seeded,
 * reproducible comparison of vtd_iommu_translate() against it on thousands
 * of random table sets.
 *
 * The reference is written from the VT-d spec (chapter 9: structure
 * formats; 3.6-3.8: the walks; 7.1.3: fault reasons) and QEMU's reserved
 * masks (hw/i386/intel_iommu_internal.h), in a deliberately plain style: one
 * function per structure, recursion for the second stage, byte-wise
 * little-endian reads from its own copy of guest RAM.  It follows libvtd's
 * documented design decisions where the spec leaves a choice (legacy
 * not-present second-stage entries are read/write faults as in QEMU;
 * scalable second stage: R=W=0 is 79h, reserved 7Ah, permission 85h/86h;
 * first stage: 71h/72h/80h/81h/85h; RID_PASID used for requests without
 * PASID, as QEMU does).
 *
 * Rules taken from the sources rather than from libvtd (the REF_* notes
 * tag the disagreements they cause, so the report says which rule is
 * involved):
 *   - legacy: a read error on the top second-stage table (from SLPTPTR) is
 *     LCT.4.3, 03h (QEMU: VTD_FR_CONTEXT_ENTRY_INV; VirtualBox: LCT.4.3);
 *     REF_SLPTPTR;
 *   - legacy: the context AW must be supported (SAGAW) whatever TT is,
 *     pass-through included, and before the TT/request-type check (QEMU
 *     checks it first in vtd_dev_to_context_entry; VirtualBox also checks
 *     AW for pass-through); REF_AW_ANY_TT;
 *   - scalable mode: an ATS-translated request allowed by DTE=1 carries a
 *     host address and is not walked again (as legacy TT=01b does);
 *     REF_ATS_SM;
 *   - first stage: a read error on the top-level entry (via FSPTPTR) is
 *     SFL.4, 73h (QEMU: VTD_FR_PASID_ENTRY_FSPTPTR_INV; Linux: "Error
 *     attempting to access FL-PML4 entry"); 70h is for lower levels;
 *   - nested: a second-stage read-permission failure on the address of the
 *     top first-stage entry is SFL.6, 75h ("Read permission error in
 *     FL-PML4 entry in Nested translation"); 76h is for lower levels.
 * Also following libvtd's documented choices: RTADDR.TTM checks (30h),
 * SCT.4 (43h) for DTE/PRE/PASIDE the unit does not offer, pass-through
 * output in the interrupt range (0Eh/87h), PASID-entry reserved bits as
 * libvtd checks them (qword 0 bits 11:10 and qword 1 bits 22:16 are left
 * alone, as QEMU does), SRE/WPE reserved without ECAP.SRS, EAFE without
 * ECAP.EAFS, 1 GiB first-stage pages only with CAP.FS1GP.
 *
 * Guest RAM: the library and the reference each have an 8 MiB image, built
 * identically.  The reference applies the first-stage accessed/dirty
 * updates it expects to its own image; after every request the entries it
 * touched, and after every table set all table pages, must be equal in
 * both images.
 *
 * Environment: VTD_SEED=n re-runs one table set verbosely (with the
 * library's trace for every disagreement); VTD_ITER=k multiplies the
 * number of table sets (default 10000, seeds 1..10000).
 */
#include "tables.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RAM_SIZE (8ull << 20)
#define NPAGES ((unsigned)(RAM_SIZE >> 12))
#define REQS_PER_SET 16
#define DEFAULT_SETS 10000

#define P_R 1u
#define P_W 2u
#define P_X 4u

#define IRQ_FIRST 0xfee00000ull
#define IRQ_LAST 0xfeefffffull

static uint8_t *lib_ram, *ref_ram;
static bool verbose;

static uint64_t bit(unsigned n) { return 1ull << n; }
/* bits lo..hi inclusive */
static uint64_t bits(unsigned hi, unsigned lo)
{
	uint64_t m = 0;
	for (unsigned b = lo; b <= hi; b++)
		m |= bit(b);
	return m;
}

/* ======================================================================
 * The reference
 * ====================================================================== */

struct ref_unit {
	unsigned aw;            /* CAP.MGAW + 1 = host address width */
	uint64_t haw;           /* (1 << aw) - 1 */
	unsigned sagaw;         /* CAP.SAGAW */
	bool fs1gp, fs5lp;
	bool dt, pt, sc, nest, srs, eafs, ers, slads, smpwc, smts, ssts, fsts, pasid, prs;
	bool tm_ok;             /* stale-tm && device-iotlb (config, not a CAP bit) */
	bool scalable;          /* root table type latched by SRTP */
	unsigned ttm;           /* RTADDR.TTM latched by SRTP */
	uint64_t root;          /* root table latched by SRTP */
};

struct ref_req {
	uint16_t sid;
	bool has_pasid;
	uint32_t pasid;
	uint64_t addr;
	unsigned acc;           /* P_R / P_W / P_X */
	bool priv;
	int at;                 /* 0 untranslated, 1 translation request, 2 translated */
};

enum { R_OK, R_INTR, R_FAULT, R_SKIP };

struct ref_res {
	int kind;
	uint8_t fault;
	uint64_t addr, size;
	unsigned perm;
	uint16_t did;
	bool did_valid;
	int note;               /* which reference decision (REF_*) decided it */
	int path;               /* PATH_*: how a successful translation went */
};

enum { PATH_NONE, PATH_LEG_SS, PATH_LEG_PT, PATH_SM_SS, PATH_SM_FS, PATH_SM_NEST, PATH_SM_PT,
       PATH_SM_ATS, PATH_N };
static const char *const path_name[PATH_N] = {
	"-", "legacy second stage", "legacy pass-through/ATS", "scalable second stage",
	"scalable first stage", "scalable nested", "scalable pass-through", "scalable ATS",
};

/* Decisions where the reference knowingly differs from libvtd (see the
 * comment at the top of the file). */
enum {
	REF_NONE,
	REF_SLPTPTR,    /* legacy: top second-stage table unreadable = 03h (LCT.4.3) */
	REF_AW_ANY_TT,  /* legacy: unsupported AW is 03h (LCT.4.1) for every TT */
	REF_ATS_SM,     /* scalable: ATS-translated request not walked again */
	REF_NNOTES
};
static const char *const ref_note_name[REF_NNOTES] = {
	"", "[legacy SLPTPTR unreadable]", "[legacy AW checked for every TT]",
	"[scalable ATS-translated]",
};
static int ref_note;
/* The request's PASID entry: SSADE (second-stage A/D flags) and whether
 * its walks are non-snooped (ECAP.SMPWC with PWSNP=0: no A/D update). */
static bool ref_ssad, ref_nosnoop;

/* Entries the reference read (host addresses), to compare RAM afterwards. */
static uint64_t touched[128];
static unsigned ntouched;

/* Read n bytes little-endian from the reference image; false when any byte
 * lies outside RAM (no memory there: an access error). */
static bool ref_load(uint64_t a, unsigned n, uint64_t *out)
{
	if (a >= RAM_SIZE || RAM_SIZE - a < n)
		return false;
	for (unsigned q = 0; q < n / 8; q++) {
		uint64_t v = 0;
		for (int i = 7; i >= 0; i--)
			v = (v << 8) | ref_ram[a + q * 8 + (unsigned)i];
		out[q] = v;
	}
	if (ntouched < 128)
		touched[ntouched++] = a & ~7ull;
	return true;
}

static void ref_or_bits(uint64_t a, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		ref_ram[a + i] |= (uint8_t)(v >> (8 * i));
}

/* Bits from the host address width up to bit 51: reserved in any address
 * field of a table entry. */
static uint64_t above_haw(const struct ref_unit *u, unsigned top)
{
	return u->aw <= top ? bits(top, u->aw) : 0;
}

/* ---- second stage ---------------------------------------------------- */

struct ss_codes {
	uint8_t beyond;      /* input above the walk width */
	uint8_t top_read;    /* top table (from the pointer) unreadable */
	uint8_t lower_read;  /* lower table unreadable */
	uint8_t absent;      /* R=W=0; 0 = use the permission code */
	uint8_t no_write, no_read, rsvd;
};

static const struct ss_codes SS_LEGACY = { 0x04, 0x03, 0x07, 0, 0x05, 0x06, 0x0c };
static const struct ss_codes SS_SCALABLE = { 0x84, 0x7b, 0x78, 0x79, 0x85, 0x86, 0x7a };
/* second stage translating the address of a first-stage entry (nested) */
static const struct ss_codes SS_NEST_TOP = { 0x74, 0x7b, 0x78, 0x75, 0x77, 0x75, 0x7a };
static const struct ss_codes SS_NEST_LOWER = { 0x74, 0x7b, 0x78, 0x76, 0x77, 0x76, 0x7a };

/* Reserved bits of a second-stage entry (qemu-intel-iommu.md 5.1,
 * vtd-tables.md 2.1). */
static uint64_t ss_reserved(const struct ref_unit *u, unsigned level, bool leaf)
{
	uint64_t m = above_haw(u, 51);
	if (!(leaf && u->tm_ok))
		m |= bit(62);                    /* TM: reserved since rev 3.2 */
	bool snp_ok = u->smts || u->sc;
	if (leaf) {
		if (!snp_ok)
			m |= bit(11);
		if (level == 2)
			m |= bits(20, 12);       /* 2 MiB page: address bits 20:12 */
		else if (level == 3)
			m |= bits(29, 12);       /* 1 GiB page: address bits 29:12 */
	} else {
		m |= bit(11);
		if (level >= 4)
			m |= bit(7);             /* no PS at PML4E */
	}
	return m;
}

struct walk {
	uint64_t addr, size;
	unsigned perm;
};

static uint8_t ss_level(const struct ref_unit *u, const struct ss_codes *c, uint64_t table,
			unsigned level, bool top, uint64_t in, unsigned want, unsigned granted,
			struct walk *w)
{
	unsigned shift = 3 + 9 * level;      /* 12 + 9 * (level - 1) */
	uint64_t e;
	if (!ref_load(table + 8 * ((in >> shift) & 511), 8, &e)) {
		if (top && c == &SS_LEGACY)
			ref_note = REF_SLPTPTR;
		return top ? c->top_read : c->lower_read;
	}
	bool r = e & 1, wr = (e >> 1) & 1;
	if (!r && !wr && c->absent)
		return c->absent;
	if ((want & P_W) && !wr)
		return c->no_write;
	if ((want & P_R) && !r)
		return c->no_read;
	bool leaf = level == 1 || ((level == 2 || level == 3) && (e & bit(7)));
	if (e & ss_reserved(u, level, leaf))
		return c->rsvd;
	granted &= (r ? P_R : 0) | (wr ? P_W : 0);
	uint64_t frame = e & u->haw & ~0xfffull;
	if (leaf) {
		uint64_t size = 1ull << shift;
		w->addr = (frame & ~(size - 1)) + (in & (size - 1));
		w->size = size;
		w->perm = granted;
		/* SSADE over a non-snooped walk: no D can be set, so a leaf
		 * without it grants no write (a write faults SSS.5) */
		if (ref_ssad && ref_nosnoop && !(e & bit(9)))
			w->perm &= ~(unsigned)P_W;
	} else {
		uint8_t f = ss_level(u, c, frame, level - 1, false, in, want, granted, w);
		if (f)
			return f;
	}
	/* SSADE: accessed on every entry of a successful walk, dirty on the
	 * leaf of a write; non-snooped walks cannot: SSS.5 */
	if (ref_ssad) {
		uint64_t need = bit(8) | ((leaf && (want & P_W)) ? bit(9) : 0);
		if ((e & need) != need) {
			if (ref_nosnoop)
				return 0x7c;
			ref_or_bits(table + 8 * ((in >> shift) & 511), need);
		}
	}
	return 0;
}

static uint8_t ss_translate(const struct ref_unit *u, const struct ss_codes *c, uint64_t root,
			    unsigned levels, uint64_t in, unsigned want, struct walk *w)
{
	unsigned width = 12 + 9 * levels;
	if (width > u->aw)
		width = u->aw;
	if (in >> width)
		return c->beyond;
	return ss_level(u, c, root, levels, true, in, want, P_R | P_W, w);
}

/* ---- first stage ----------------------------------------------------- */

struct fs_setup {
	uint64_t root;
	unsigned levels;
	bool wpe, eafe, exec, nested;
	uint64_t ss_root;
	unsigned ss_levels;
};

static uint64_t fs_reserved(const struct ref_unit *u, unsigned level, bool leaf)
{
	uint64_t m = above_haw(u, 51);
	if (leaf) {
		if (level == 2)
			m |= bits(20, 13);       /* bit 12 is PAT */
		if (level == 3) {
			m |= bits(29, 13);
			if (!u->fs1gp)
				m |= bit(7);     /* no 1 GiB first-stage pages */
		}
	} else if (level >= 4) {
		m |= bit(7);
	}
	return m;
}

/* Host address of a first-stage entry at guest address gpa. */
static uint8_t fs_entry_host(const struct ref_unit *u, const struct fs_setup *f, uint64_t gpa,
			     bool top, bool for_write, uint64_t *hpa)
{
	if (!f->nested) {
		*hpa = gpa;
		return 0;
	}
	struct walk w;
	uint8_t r = ss_translate(u, top ? &SS_NEST_TOP : &SS_NEST_LOWER, f->ss_root, f->ss_levels,
				 gpa, for_write ? (P_R | P_W) : P_R, &w);
	*hpa = w.addr;
	return r;
}

static uint8_t fs_translate(const struct ref_unit *u, const struct fs_setup *f, uint64_t in,
			    unsigned want, bool priv, struct walk *w)
{
	unsigned width = 12 + 9 * f->levels;
	uint64_t upper = in >> (width - 1);
	if (upper != 0 && upper != (~0ull >> (width - 1)))
		return 0x80;
	uint64_t gslot[5], ent[5];
	unsigned n = 0;
	bool user_ok = true, write_ok = true, xd = false;
	uint64_t table = f->root;
	unsigned level = f->levels;
	for (;;) {
		unsigned shift = 3 + 9 * level;
		uint64_t g = table + 8 * ((in >> shift) & 511), h, e;
		uint8_t r = fs_entry_host(u, f, g, level == f->levels, false, &h);
		if (r)
			return r;
		if (!ref_load(h, 8, &e))
			return level == f->levels ? 0x73 : 0x70;
		if (!(e & 1))
			return 0x71;
		bool leaf = level == 1 || ((level == 2 || level == 3) && (e & bit(7)));
		if (e & fs_reserved(u, level, leaf))
			return 0x72;
		write_ok = write_ok && (e & 2);
		user_ok = user_ok && (e & 4);
		xd = xd || (e >> 63);
		gslot[n] = g;
		ent[n] = e;
		n++;
		if (leaf) {
			w->size = 1ull << shift;
			w->addr = (e & u->haw & ~(w->size - 1)) + (in & (w->size - 1));
			break;
		}
		table = e & u->haw & ~0xfffull;
		level--;
	}
	/* access rights from every level */
	if (!priv && !user_ok)
		return 0x81;
	if (f->exec && xd)
		return 0x82;
	if ((want & P_W) && !write_ok && (!priv || f->wpe))
		return 0x85;
	/* accessed flags on every level, dirty on the leaf for writes */
	for (unsigned i = 0; i < n; i++) {
		uint64_t need = bit(5) | (f->eafe ? bit(10) : 0);
		if (i == n - 1 && (want & P_W))
			need |= bit(6);
		if ((ent[i] & need) == need)
			continue;
		if (ref_nosnoop)
			return 0x90;   /* SFS.9: no A/D update on a non-snooped walk */
		uint64_t h;
		uint8_t r = fs_entry_host(u, f, gslot[i], i == 0, true, &h);
		if (r)
			return r;
		if (h >= RAM_SIZE)
			return 0x91;
		ref_or_bits(h, need);
	}
	w->perm = P_R | ((write_ok || (priv && !f->wpe)) ? P_W : 0);
	return 0;
}

/* ---- legacy mode ----------------------------------------------------- */

static uint8_t ref_legacy(const struct ref_unit *u, const struct ref_req *q, struct ref_res *res)
{
	unsigned bus = q->sid >> 8, devfn = q->sid & 0xff;
	if (q->has_pasid)
		return 0x31;

	uint64_t re[2];
	if (!ref_load(u->root + 16 * bus, 16, re))
		return 0x08;
	if (!(re[0] & 1))
		return 0x01;
	if ((re[0] & (bits(11, 1) | above_haw(u, 63))) || re[1])
		return 0x0a;

	uint64_t ce[2];
	if (!ref_load((re[0] & ~0xfffull) + 16 * devfn, 16, ce))
		return 0x09;
	if (!(ce[0] & 1))
		return 0x02;
	if ((ce[0] & (bits(11, 4) | above_haw(u, 63))) || (ce[1] & (bit(7) | bits(63, 24))))
		return 0x0b;
	unsigned tt = (ce[0] >> 2) & 3, aw = ce[1] & 7;
	if (tt == 3 || (tt == 1 && !u->dt) || (tt == 2 && !u->pt))
		return 0x03;
	/* REF: AW must name a supported width for every TT (QEMU, VirtualBox) */
	if (!((u->sagaw >> aw) & 1)) {
		ref_note = REF_AW_ANY_TT;
		return 0x03;
	}
	if (q->at != 0 && tt != 1)
		return 0x0d;
	res->did = (uint16_t)(ce[1] >> 8);
	res->did_valid = true;
	if (q->at == 2 || tt == 2) {
		res->path = PATH_LEG_PT;
		if (q->addr & ~u->haw)
			return 0x04;
		/* pass-through: the output is the input */
		if (tt == 2 && q->addr >= IRQ_FIRST && q->addr <= IRQ_LAST)
			return 0x0e;
		res->addr = q->addr;
		res->size = 4096;
		res->perm = P_R | P_W;
		return 0;
	}
	struct walk w;
	res->path = PATH_LEG_SS;
	uint8_t r = ss_translate(u, &SS_LEGACY, ce[0] & u->haw & ~0xfffull, aw + 2, q->addr,
				 q->acc & (P_R | P_W), &w);
	if (r)
		return r;
	if (w.addr >= IRQ_FIRST && w.addr <= IRQ_LAST)
		return 0x0e;
	res->addr = w.addr;
	res->size = w.size;
	res->perm = w.perm;
	return 0;
}

/* ---- scalable mode --------------------------------------------------- */

static uint8_t ref_scalable(const struct ref_unit *u, const struct ref_req *q, struct ref_res *res)
{
	unsigned bus = q->sid >> 8, devfn = q->sid & 0xff;

	uint64_t re[2];
	if (!ref_load(u->root + 16 * bus, 16, re))
		return 0x38;
	uint64_t half = re[devfn >> 7];
	if (!(half & 1))
		return 0x39;
	if (half & (bits(11, 1) | above_haw(u, 63)))
		return 0x3a;

	uint64_t ce[4];
	if (!ref_load((half & ~0xfffull) + 32 * (devfn & 0x7f), 32, ce))
		return 0x40;
	if (!(ce[0] & 1))
		return 0x41;
	if ((ce[0] & (bits(8, 5) | above_haw(u, 63))) || (ce[1] & bits(63, 21)) || ce[2] || ce[3])
		return 0x42;
	bool dte = ce[0] & bit(2), paside = ce[0] & bit(3), pre = ce[0] & bit(4);
	unsigned pdts = (ce[0] >> 9) & 7;
	/* libvtd: enabling what the unit does not offer is SCT.4 */
	if ((dte && !u->dt) || (pre && !u->prs) || (paside && !u->pasid))
		return 0x43;
	if (q->at != 0 && !dte)
		return 0x44;
	if (q->at == 2) {
		/* REF: ATS-translated: the address is already a host address */
		ref_note = REF_ATS_SM;
		res->path = PATH_SM_ATS;
		if (q->addr & ~u->haw)
			return 0x83;
		res->addr = q->addr;
		res->size = 4096;
		res->perm = P_R | P_W;
		return 0;
	}
	uint32_t pasid = (uint32_t)(ce[1] & 0xfffff);   /* RID_PASID */
	if (q->has_pasid) {
		/* libvtd: a unit without ECAP.PASID takes no request with PASID */
		if (!paside || !u->pasid)
			return 0x45;
		pasid = q->pasid;
	}
	if ((pasid >> 6) >= (1u << (pdts + 7)))
		return q->has_pasid ? 0x46 : 0x48;   /* SCT.7, or SCT.9 for RID_PASID */

	uint64_t pde;
	if (!ref_load((ce[0] & u->haw & ~0xfffull) + 8 * (pasid >> 6), 8, &pde))
		return 0x50;
	if (!(pde & 1))
		return 0x51;
	if (pde & (bits(11, 2) | above_haw(u, 63)))
		return 0x52;

	uint64_t pe[8];
	if (!ref_load((pde & ~0xfffull) + 64 * (pasid & 63), 64, pe))
		return 0x58;
	if (!(pe[0] & 1))
		return 0x59;
	bool sre = pe[2] & bit(0), ere = pe[2] & bit(1), wpe = pe[2] & bit(4),
	     eafe = pe[2] & bit(7);
	if ((pe[0] & above_haw(u, 63)) || (pe[2] & above_haw(u, 63)) || (pe[2] & bits(11, 8)) ||
	    pe[3] || pe[4] || pe[5] || pe[6] || pe[7])
		return 0x5a;
	bool ssade = pe[0] & bit(9), pwsnp = pe[1] & bit(23);
	if (((sre || wpe) && !u->srs) || (eafe && !u->eafs) || (ere && !u->ers) ||
	    (ssade && !u->slads))
		return 0x5a;
	ref_ssad = ssade;
	ref_nosnoop = u->smpwc && !pwsnp;
	unsigned pgtt = (pe[0] >> 6) & 7, ssaw = (pe[0] >> 2) & 7, fspm = (pe[2] >> 2) & 3;
	bool fs = pgtt == 1 || pgtt == 3, ss = pgtt == 2 || pgtt == 3;
	switch (pgtt) {
	case 1: if (!u->fsts) return 0x5b; break;
	case 2: if (!u->ssts) return 0x5b; break;
	case 3: if (!u->nest) return 0x5b; break;
	case 4: if (!u->pt) return 0x5b; break;
	default: return 0x5b;
	}
	if (ss && !((u->sagaw >> ssaw) & 1))
		return 0x5b;
	if (fs && !(fspm == 0 || (fspm == 1 && u->fs5lp)))
		return 0x5b;
	if ((q->acc & P_X) && !ere)
		return 0x5c;
	if (q->priv && fs && !sre)
		return 0x5d;
	/* execute requests (ECAP.ERS, ERE=1): a read that the first stage's
	 * XD bits can refuse (SGN.3); the second stage and pass-through grant
	 * execute with read (libvtd's documented choice: no SSEE) */
	res->did = (uint16_t)pe[1];
	res->did_valid = true;

	unsigned want = q->acc & (P_R | P_W);
	if (q->acc & P_X)
		want |= P_R;   /* an execute request is a read */
	struct walk w;
	uint8_t r;
	res->path = pgtt == 4 ? PATH_SM_PT : pgtt == 2 ? PATH_SM_SS : pgtt == 1 ? PATH_SM_FS :
		    PATH_SM_NEST;
	if (pgtt == 4) {
		if (q->addr & ~u->haw)
			return 0x83;
		w.addr = q->addr;
		w.size = 4096;
		w.perm = P_R | P_W;
	} else if (pgtt == 2) {
		r = ss_translate(u, &SS_SCALABLE, pe[0] & u->haw & ~0xfffull, ssaw + 2, q->addr, want,
				 &w);
		if (r)
			return r;
	} else {
		struct fs_setup f = {
			.root = pe[2] & ~0xfffull,
			.levels = 4 + fspm,
			.wpe = wpe,
			.eafe = eafe,
			.exec = (q->acc & P_X) != 0,
			.nested = pgtt == 3,
			.ss_root = pe[0] & u->haw & ~0xfffull,
			.ss_levels = ssaw + 2,
		};
		r = fs_translate(u, &f, q->addr, want, q->priv, &w);
		if (r)
			return r;
		if (f.nested) {
			struct walk s2;
			r = ss_translate(u, &SS_SCALABLE, f.ss_root, f.ss_levels, w.addr, want, &s2);
			if (r)
				return r;
			w.addr = s2.addr;
			w.perm &= s2.perm;
			if (s2.size < w.size)
				w.size = s2.size;
		}
	}
	if (w.addr >= IRQ_FIRST && w.addr <= IRQ_LAST)
		return 0x87;
	res->addr = w.addr;
	res->size = w.size;
	res->perm = w.perm;
	return 0;
}

static void ref_translate(const struct ref_unit *u, const struct ref_req *q, struct ref_res *res)
{
	memset(res, 0, sizeof(*res));
	ntouched = 0;
	ref_note = REF_NONE;
	ref_ssad = ref_nosnoop = false;
	if (q->at == 0 && !q->has_pasid && (q->acc & P_W) && q->addr >= IRQ_FIRST &&
	    q->addr <= IRQ_LAST) {
		res->kind = R_INTR;
		res->addr = q->addr;
		res->size = 4096;
		res->perm = P_W;
		return;
	}
	res->kind = R_OK;
	uint8_t f;
	/* RTADDR.TTM: 00b legacy, 01b scalable (needs ECAP.SMTS), 10b
	 * reserved, 11b abort-DMA mode (needs ECAP.ADMS, not offered) */
	if (u->ttm >= 2 || (u->ttm == 1 && !u->smts))
		f = 0x30;
	else
		f = u->scalable ? ref_scalable(u, q, res) : ref_legacy(u, q, res);
	if (f) {
		res->kind = R_FAULT;
		res->fault = f;
	}
	res->note = ref_note;
}

/* ======================================================================
 * Random table sets
 * ====================================================================== */

static uint64_t rng;
static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }
/* true with probability pm per mille */
static bool pm(unsigned p) { return rn(1000) < p; }

enum { K_FREE, K_ROOT, K_CTX, K_PDIR, K_PTAB, K_SS, K_FS };
static uint8_t page_kind[NPAGES];
static uint32_t used[NPAGES];
static unsigned nused;

static uint64_t alloc_page(uint8_t kind)
{
	if (nused > NPAGES / 2)
		return RAM_SIZE + 0x100000; /* full: outside RAM */
	for (;;) {
		unsigned p = 1 + rn(NPAGES - 1);
		if (page_kind[p] == K_FREE) {
			page_kind[p] = kind;
			used[nused++] = p;
			return (uint64_t)p << 12;
		}
	}
}

static bool is_page(uint64_t a, uint8_t kind)
{
	return a < RAM_SIZE && page_kind[a >> 12] == kind;
}

static uint64_t rd64(uint64_t a)
{
	uint64_t v;
	memcpy(&v, ref_ram + a, 8);
	return v;
}

static uint64_t rd64l(uint64_t a)
{
	uint64_t v;
	memcpy(&v, lib_ram + a, 8);
	return v;
}

/* Builder writes go to both images. */
static void wr64(uint64_t a, uint64_t v)
{
	memcpy(ref_ram + a, &v, 8);
	memcpy(lib_ram + a, &v, 8);
}

struct gen {
	struct vtd_config cfg;
	struct ref_unit u;
	unsigned aw;
	uint64_t haw;
};

/* A table pointer: usually a fresh page of the kind, sometimes nothing
 * (a page of zeros), sometimes outside RAM. */
static uint64_t table_ptr(const struct gen *g, uint8_t kind)
{
	unsigned r = rn(1000);
	if (r < 20)
		return (RAM_SIZE + ((uint64_t)rn(1u << 16) << 12)) & g->haw;
	if (r < 30) {
		unsigned p = 1 + rn(NPAGES - 1);
		if (page_kind[p] == K_FREE)
			return (uint64_t)p << 12;
	}
	return alloc_page(kind);
}

/* Occasional damage: flip a random bit, or set a random high bit. */
static uint64_t noise(uint64_t v, unsigned p)
{
	if (pm(p))
		v ^= bit(rn(64));
	if (pm(p / 2))
		v |= bit(rn(64 - 20) + 20);
	return v;
}

static uint64_t out_addr(const struct gen *g, uint64_t size)
{
	unsigned r = rn(100);
	uint64_t a;
	if (r < 6)
		a = IRQ_FIRST + ((uint64_t)rn(256) << 12);
	else if (r < 30)
		a = (uint64_t)rn(1u << 20) << 12;
	else
		a = rnd() & g->haw;
	return a & ~(size - 1);
}

static unsigned ss_perm_bits(void)
{
	unsigned r = rn(100);
	return r < 85 ? 3 : r < 90 ? 1 : r < 95 ? 2 : 0;
}

/* Map iova in a second-stage table of `levels` levels, to out (page of
 * leaf_level), creating what is missing. */
static void map_ss(const struct gen *g, uint64_t root, unsigned levels, uint64_t iova,
		   unsigned leaf_level, uint64_t out, bool identity_rw)
{
	uint64_t table = root;
	for (unsigned level = levels; level >= 1; level--) {
		if (!is_page(table, K_SS))
			return;
		unsigned shift = 3 + 9 * level;
		uint64_t slot = table + 8 * ((iova >> shift) & 511);
		uint64_t e = rd64(slot);
		if (level > leaf_level) {
			uint64_t next = e & g->haw & ~0xfffull;
			if ((e & 3) && !(e & bit(7)) && is_page(next, K_SS)) {
				table = next;
				continue;
			}
			next = table_ptr(g, K_SS);
			e = next | (identity_rw ? 3 : ss_perm_bits());
			if (pm(100))
				e |= rnd() & 0xbff0000000000778ull & ~bit(11); /* ignored bits */
			wr64(slot, noise(e, identity_rw ? 5 : 25));
			table = next;
			continue;
		}
		uint64_t size = 1ull << shift;
		e = (out & ~(size - 1)) | (identity_rw ? 3 : ss_perm_bits());
		if (level > 1)
			e |= bit(7);
		if (pm(300))
			e |= rnd() & 0xbff0000000000378ull;  /* EMT, IPAT, A, D, ignored */
		if (pm(100))
			e |= bit(11);                        /* SNP */
		if (pm(50))
			e |= bit(62);                        /* TM */
		wr64(slot, noise(e, identity_rw ? 5 : 25));
		return;
	}
}

static unsigned ss_leaf_level(unsigned levels)
{
	unsigned r = rn(100);
	if (r < 12)
		return 2;
	if (r < 20 && levels >= 3)
		return 3;
	return 1;
}

/* Map a 4 KiB guest page used as a first-stage table, in the nested
 * second stage (usually identity, read/write). */
static void map_nest_table(const struct gen *g, uint64_t ss_root, unsigned ss_levels, uint64_t gpa)
{
	if (!is_page(gpa, K_FS))
		return;
	unsigned lvl = pm(150) ? 2 : 1;
	bool rw = !pm(60);
	map_ss(g, ss_root, ss_levels, gpa, lvl, gpa, rw);
}

static uint64_t fs_entry_flags(bool leaf)
{
	uint64_t e = 0;
	if (!pm(25))
		e |= 1;                       /* P */
	if (!pm(60))
		e |= 2;                       /* R/W */
	if (!pm(50))
		e |= 4;                       /* U/S */
	if (pm(500))
		e |= bit(5);                  /* A */
	if (leaf && pm(400))
		e |= bit(6);                  /* D */
	if (pm(200))
		e |= rnd() & 0xfff0000000000b18ull; /* PWT, PCD, G, ignored, XD */
	if (pm(100))
		e |= bit(63);                 /* XD (Linux sets it on leaves) */
	return e;
}

static void map_fs(const struct gen *g, const struct fs_setup *f, uint64_t va, unsigned leaf_level,
		   uint64_t out)
{
	uint64_t table = f->root;
	if (f->nested)
		map_nest_table(g, f->ss_root, f->ss_levels, table);
	for (unsigned level = f->levels; level >= 1; level--) {
		if (!is_page(table, K_FS))
			return;
		unsigned shift = 3 + 9 * level;
		uint64_t slot = table + 8 * ((va >> shift) & 511);
		uint64_t e = rd64(slot);
		if (level > leaf_level) {
			uint64_t next = e & g->haw & ~0xfffull;
			if ((e & 1) && !(e & bit(7)) && is_page(next, K_FS)) {
				table = next;
				continue;
			}
			next = table_ptr(g, K_FS);
			wr64(slot, noise(next | fs_entry_flags(false), 25));
			if (f->nested)
				map_nest_table(g, f->ss_root, f->ss_levels, next);
			table = next;
			continue;
		}
		uint64_t size = 1ull << shift;
		e = (out & ~(size - 1)) | fs_entry_flags(true);
		if (level > 1) {
			e |= bit(7);
			if (pm(200))
				e |= bit(12);         /* PAT */
		}
		wr64(slot, noise(e, 25));
		if (f->nested) {
			/* the output guest page of this va, in the second stage */
			uint64_t gpa = (out & ~(size - 1)) | (va & (size - 1) & ~0xfffull);
			map_ss(g, f->ss_root, f->ss_levels, gpa, ss_leaf_level(f->ss_levels),
			       out_addr(g, 1ull << 30) | (gpa & ((1ull << 30) - 1)), false);
		}
		return;
	}
}

/* a mapped address space: device, PASID, and addresses that should work */
struct space {
	uint16_t sid;
	bool rid_pasid;        /* this is the device's RID_PASID (scalable) */
	uint32_t pasid;
	unsigned nva;
	uint64_t va[6];
	bool fs;               /* first-stage addresses (canonical) */
};

struct tset {
	struct gen g;
	bool sm_root;
	uint64_t rtaddr;
	unsigned nsp;
	struct space sp[16];
	uint16_t sids[4];
	unsigned nsid;
};

static uint64_t rand_va(const struct gen *g, unsigned width, const struct space *s)
{
	if (s->nva && pm(400)) {
		/* near an earlier address: shares upper tables */
		uint64_t near = s->va[rn(s->nva)];
		unsigned keep = pm(500) ? 21 : 30;
		return (near & ~((1ull << keep) - 1)) | (rnd() & ((1ull << keep) - 1) & ~0xfffull);
	}
	(void)g;
	uint64_t va = rnd() & ((1ull << width) - 1) & ~0xfffull;
	if (pm(100))
		va &= (1ull << 32) - 1;
	return va;
}

/* sign-extend from bit width-1 (48: 4-level, 57: 5-level first stage) */
static uint64_t canonical_w(uint64_t va, unsigned width)
{
	if ((va >> (width - 1)) & 1)
		va |= ~0ull << (width - 1);
	return va;
}

static uint64_t canonical(uint64_t va) { return canonical_w(va, 48); }

static void build_legacy_device(struct tset *t, uint64_t root, uint16_t sid)
{
	const struct gen *g = &t->g;
	unsigned bus = sid >> 8, devfn = sid & 0xff;
	uint64_t rslot = root + 16 * bus;
	if (!is_page(root, K_ROOT))
		return;
	uint64_t re = rd64(rslot);
	if (!re) {
		uint64_t ctx = table_ptr(g, K_CTX);
		re = ctx | (pm(30) ? 0 : 1);
		wr64(rslot, noise(re, 30));
		if (pm(15))
			wr64(rslot + 8, bit(rn(64)));
	}
	uint64_t ctx = rd64(rslot) & ~0xfffull & g->haw;
	if (!is_page(ctx, K_CTX))
		return;
	unsigned tt = rn(100);
	tt = tt < 60 ? 0 : tt < 75 ? 1 : tt < 93 ? 2 : 3;
	unsigned aw = pm(880) ? (g->aw == 48 && pm(500) ? 2 : 1) : rn(8);
	uint64_t ss = table_ptr(g, K_SS);
	uint64_t q0 = ss | (uint64_t)tt << 2 | (pm(300) ? 2 : 0) | (pm(30) ? 0 : 1);
	uint64_t q1 = aw | (uint64_t)rn(65536) << 8 | (pm(200) ? (uint64_t)rn(16) << 3 : 0);
	wr64(ctx + 16 * devfn, noise(q0, 30));
	wr64(ctx + 16 * devfn + 8, noise(q1, 30));

	struct space *s = &t->sp[t->nsp++];
	memset(s, 0, sizeof(*s));
	s->sid = sid;
	unsigned levels = aw + 2, width = 12 + 9 * levels;
	if (width > g->aw)
		width = g->aw;
	unsigned n = 1 + rn(5);
	for (unsigned i = 0; i < n; i++) {
		uint64_t va = rand_va(g, width, s);
		s->va[s->nva++] = va;
		if (levels == 3 || levels == 4) {
			unsigned ll = ss_leaf_level(levels);
			map_ss(g, ss, levels, va, ll, out_addr(g, 1ull << (3 + 9 * ll)), false);
		}
	}
}

static unsigned pick_pgtt(const struct gen *g)
{
	if (pm(120))
		return rn(8);
	const struct vtd_config *c = &g->cfg;
	if (c->nest && pm(500))
		return 3;
	unsigned opts[4], n = 0;
	if (c->flts || c->nest)
		opts[n++] = 1;
	if (!c->flts || c->nest)
		opts[n++] = 2;
	if (c->nest)
		opts[n++] = 3;
	if (c->pt && pm(400))
		opts[n++] = 4;
	return opts[rn(n)];
}

static void build_pasid(struct tset *t, struct space *s, uint64_t dir)
{
	const struct gen *g = &t->g;
	if (!is_page(dir, K_PDIR))
		return;
	uint64_t dslot = dir + 8 * (s->pasid >> 6);
	if (dslot >= RAM_SIZE || !is_page(dslot & ~0xfffull, K_PDIR))
		return;
	if (!rd64(dslot)) {
		uint64_t pt = table_ptr(g, K_PTAB);
		wr64(dslot, noise(pt | (pm(250) ? 2 : 0) | (pm(30) ? 0 : 1), 30));
	}
	uint64_t ptab = rd64(dslot) & ~0xfffull & g->haw;
	if (!is_page(ptab, K_PTAB))
		return;
	uint64_t pa = ptab + 64 * (s->pasid & 63);
	unsigned pgtt = pick_pgtt(g);
	unsigned ssaw = pm(900) ? (g->aw == 48 && pm(600) ? 2 : 1) : rn(8);
	/* with CAP.FS5LP, half the first stages walk 5 levels */
	unsigned fspm = g->u.fs5lp ? (pm(500) ? 0 : pm(900) ? 1 : rn(4)) : pm(950) ? 0 : rn(4);
	uint64_t ss = table_ptr(g, K_SS), fsr = table_ptr(g, K_FS);
	bool srs = g->u.srs;
	uint64_t q0 = ss | (uint64_t)pgtt << 6 | (uint64_t)ssaw << 2 | (pm(250) ? 2 : 0) |
		      (pm(25) ? 0 : 1);
	if (pm(100))
		q0 |= bit(5);
	if (pm(g->u.slads ? 500 : 100))
		q0 |= bit(9);                       /* SSADE */
	uint64_t q1 = rn(65536);
	if (pm(g->u.smpwc ? 600 : 100))
		q1 |= bit(23);                      /* PWSNP */
	if (pm(200))
		q1 |= rnd() & 0xffffffffff800000ull;  /* snoop, memory type, PAT fields */
	uint64_t q2 = fsr | (uint64_t)fspm << 2;
	if (pm(srs ? 500 : 30))
		q2 |= bit(0);                       /* SRE */
	if (pm(g->u.ers ? 600 : 30))
		q2 |= bit(1);                       /* ERE */
	if (pm(srs ? 300 : 20))
		q2 |= bit(4);                       /* WPE */
	if (pm(200))
		q2 |= bit(5) | bit(6);              /* NXE, SMEP */
	if (pm(20))
		q2 |= bit(7);                       /* EAFE */
	wr64(pa, noise(q0, 20));
	wr64(pa + 8, noise(q1, 10));
	wr64(pa + 16, noise(q2, 20));
	if (pm(10))
		wr64(pa + 8 * (3 + rn(5)), bit(rn(64)));

	unsigned ss_levels = ssaw + 2;
	bool ss_ok = ss_levels == 3 || ss_levels == 4;
	s->fs = pgtt == 1 || pgtt == 3;
	struct fs_setup f = {
		.root = fsr, .levels = fspm == 1 ? 5 : 4, .nested = pgtt == 3,
		.ss_root = ss, .ss_levels = ss_levels,
	};
	unsigned n = 1 + rn(5);
	for (unsigned i = 0; i < n; i++) {
		if (s->fs) {
			unsigned width = 12 + 9 * f.levels;
			uint64_t va = rand_va(g, width, s);
			if (!pm(50))
				va = canonical_w(va, width);
			s->va[s->nva++] = va;
			if (f.nested && !ss_ok)
				continue;
			unsigned r = rn(100), ll = r < 12 ? 2 : r < 20 ? 3 : 1;
			uint64_t out = out_addr(g, 1ull << (3 + 9 * ll));
			if (f.nested && pm(700))
				out &= (1ull << 39) - 1;  /* within a 3-level second stage */
			map_fs(g, &f, va, ll, out);
		} else {
			unsigned width = 12 + 9 * ss_levels;
			if (width > g->aw)
				width = g->aw;
			uint64_t va = rand_va(g, pgtt == 4 ? g->aw : width, s);
			s->va[s->nva++] = va;
			if (pgtt == 2 && ss_ok) {
				unsigned ll = ss_leaf_level(ss_levels);
				map_ss(g, ss, ss_levels, va, ll, out_addr(g, 1ull << (3 + 9 * ll)),
				       false);
			}
		}
	}
}

static uint32_t rand_pasid(void)
{
	unsigned r = rn(100);
	return r < 40 ? rn(64) : r < 85 ? rn(1u << 13) : rn(1u << 20);
}

static void build_scalable_device(struct tset *t, uint64_t root, uint16_t sid)
{
	const struct gen *g = &t->g;
	unsigned bus = sid >> 8, devfn = sid & 0xff;
	if (!is_page(root, K_ROOT))
		return;
	uint64_t rslot = root + 16 * bus + 8 * (devfn >> 7);
	if (!rd64(rslot)) {
		uint64_t ctx = table_ptr(g, K_CTX);
		wr64(rslot, noise(ctx | (pm(30) ? 0 : 1), 30));
	}
	uint64_t ctx = rd64(rslot) & ~0xfffull & g->haw;
	if (!is_page(ctx, K_CTX))
		return;
	unsigned pdts = pm(800) ? 0 : rn(8);
	uint64_t dir = table_ptr(g, K_PDIR);
	uint64_t q0 = dir | (uint64_t)pdts << 9 | (pm(30) ? 0 : 1);
	if (pm(250))
		q0 |= 2;                /* FPD */
	if (pm(g->u.dt ? 500 : 20))
		q0 |= 4;                /* DTE */
	if (pm(g->u.pasid ? 850 : 30))
		q0 |= 8;                /* PASIDE */
	if (pm(g->u.prs ? 200 : 15))
		q0 |= 16;               /* PRE */
	uint32_t rid_pasid = pm(600) ? 0 : rand_pasid();
	uint64_t q1 = rid_pasid | (pm(100) ? bit(20) : 0);
	uint64_t ca = ctx + 32 * (devfn & 0x7f);
	wr64(ca, noise(q0, 25));
	wr64(ca + 8, noise(q1, 25));
	if (pm(10))
		wr64(ca + 16 + 8 * rn(2), bit(rn(64)));

	unsigned np = 1 + rn(3);
	for (unsigned i = 0; i < np && t->nsp < 16; i++) {
		struct space *s = &t->sp[t->nsp++];
		memset(s, 0, sizeof(*s));
		s->sid = sid;
		s->rid_pasid = i == 0;
		s->pasid = i == 0 ? rid_pasid : rand_pasid();
		build_pasid(t, s, dir);
	}
}

static void build_set(struct tset *t)
{
	struct gen *g = &t->g;
	uint64_t root = pm(15) ? (RAM_SIZE + ((uint64_t)rn(4096) << 12)) : alloc_page(K_ROOT);
	t->rtaddr = root | (t->sm_root ? bit(10) : 0);
	if (pm(10))
		t->rtaddr = root | (uint64_t)(2 + rn(2)) << 10;
	t->nsp = 0;
	t->nsid = 1 + rn(4);
	for (unsigned i = 0; i < t->nsid; i++) {
		uint16_t sid;
		if (i && pm(300))
			sid = (uint16_t)((t->sids[rn(i)] & 0xff00) | rn(256)); /* same bus */
		else
			sid = (uint16_t)rn(65536);
		t->sids[i] = sid;
		if (g->u.scalable)
			build_scalable_device(t, root, sid);
		else
			build_legacy_device(t, root, sid);
	}
}

/* The unit configurations: NCFG of them, made once from a fixed seed, each
 * one vIOMMU object reused (after vtd_iommu_reset) by the table sets that
 * draw it; creating a unit per set is slow under ASan. */
#define NCFG 36
static struct vtd_config pool_cfg[NCFG];
static struct vtd_iommu *pool[NCFG];

static void random_config(struct vtd_config *c, unsigned i)
{
	vtd_config_init(c);
	unsigned mode = i % 3;
	c->scalable_mode = mode != 0;
	c->flts = mode == 2;
	c->nest = mode != 0 && pm(400);
	c->aw_bits = (c->flts || c->nest || pm(500)) ? 48 : 39;
	c->pt = !pm(200);
	c->device_iotlb = pm(500);
	c->snoop_control = pm(300);
	c->stale_tm = pm(300);
	c->fs1gp = pm(500);
	c->fs5lp = (c->flts || c->nest) && pm(500);
	c->pasid = c->scalable_mode && pm(800);
	c->ers = c->pasid && pm(500);
	c->smpwc = c->scalable_mode && pm(400);
	c->ssads = c->smpwc && (!c->flts || c->nest) && pm(600);
	c->caching_mode = pm(300);
}

static void ref_unit_from(struct gen *g, struct vtd_iommu *s, bool sm_root, uint64_t rtaddr)
{
	uint64_t cap = 0, ecap = 0;
	vtd_iommu_mmio_read(s, VTD_REG_CAP, 8, &cap);
	vtd_iommu_mmio_read(s, VTD_REG_ECAP, 8, &ecap);
	struct ref_unit *u = &g->u;
	memset(u, 0, sizeof(*u));
	u->aw = (unsigned)((cap >> 16) & 0x3f) + 1;
	u->haw = u->aw >= 64 ? ~0ull : (1ull << u->aw) - 1;
	u->sagaw = (unsigned)((cap >> 8) & 0x1f);
	u->fs1gp = (cap >> 56) & 1;
	u->fs5lp = (cap >> 60) & 1;
	u->dt = (ecap >> 2) & 1;
	u->pt = (ecap >> 6) & 1;
	u->sc = (ecap >> 7) & 1;
	u->nest = (ecap >> 26) & 1;
	u->srs = (ecap >> 31) & 1;
	u->eafs = (ecap >> 34) & 1;
	u->ers = (ecap >> 30) & 1;
	u->slads = (ecap >> 45) & 1;
	u->smpwc = (ecap >> 48) & 1;
	u->smts = (ecap >> 43) & 1;
	u->ssts = (ecap >> 46) & 1;
	u->fsts = (ecap >> 47) & 1;
	u->pasid = (ecap >> 40) & 1;
	u->prs = (ecap >> 29) & 1;
	u->tm_ok = g->cfg.stale_tm && g->cfg.device_iotlb;
	u->ttm = (unsigned)((rtaddr >> 10) & 3);
	u->scalable = u->ttm == 1 && u->smts;
	u->root = rtaddr & u->haw & ~0xfffull;
	g->aw = u->aw;
	g->haw = u->haw;
}

static struct ref_req random_request(const struct tset *t)
{
	struct ref_req q;
	memset(&q, 0, sizeof(q));
	const struct space *s = t->nsp && !pm(100) ? &t->sp[rn(t->nsp)] : NULL;
	q.sid = s ? s->sid : (t->nsid && pm(500) ? t->sids[rn(t->nsid)] : (uint16_t)rn(65536));
	if (pm(30))
		q.sid = (uint16_t)rn(65536);
	if (t->g.u.scalable) {
		if (s && !s->rid_pasid) {
			q.has_pasid = !pm(100);
			q.pasid = s->pasid;
		} else {
			q.has_pasid = pm(s ? 150 : 400);
			q.pasid = s && !pm(100) ? s->pasid : rand_pasid();
		}
	} else if (pm(30)) {
		q.has_pasid = true;
		q.pasid = rand_pasid();
	}
	if (s && s->nva && !pm(80)) {
		q.addr = s->va[rn(s->nva)] | rn(4096);
		if (pm(100))
			q.addr ^= (uint64_t)rn(512) << 12;
	} else {
		unsigned r = rn(100);
		q.addr = r < 30 ? rnd() : r < 60 ? rnd() & ((1ull << 48) - 1) : rnd() & 0xffffffffull;
		if (s && s->fs && pm(500))
			q.addr = canonical(q.addr & ((1ull << 48) - 1));
		else if (s && s->fs && pm(300))
			q.addr = canonical_w(q.addr & ((1ull << 57) - 1), 57);
	}
	q.acc = pm(500) ? P_W : P_R;
	if (pm(30))
		q.addr = IRQ_FIRST + rn(1u << 20);
	if (q.addr >= IRQ_FIRST && q.addr <= IRQ_LAST && !q.has_pasid)
		q.acc = P_W;  /* reads of the interrupt range without PASID: not modelled */
	if (q.has_pasid) {
		q.priv = pm(300);
		if (pm(t->g.u.ers ? 250 : 50))
			q.acc |= P_X;
	}
	unsigned r = rn(100);
	q.at = r < 90 ? 0 : r < 95 ? 1 : 2;
	if (q.at == 2 && q.has_pasid)
		q.at = 0;  /* translated requests carry no PASID */
	return q;
}

/* ======================================================================
 * Comparison
 * ====================================================================== */

/* outcome keys: 0 OK, 1 interrupt, 2 skipped, 0x100 + fault code */
static unsigned key_of_ref(const struct ref_res *r)
{
	return r->kind == R_OK ? 0 : r->kind == R_INTR ? 1 : r->kind == R_SKIP ? 2 : 0x100u + r->fault;
}
static unsigned key_of_lib(const struct vtd_translation *x)
{
	return x->status == VTD_XLATE_OK ? 0 : x->status == VTD_XLATE_INTERRUPT ? 1 : 0x100u + x->fault;
}
static void key_name(unsigned k, char *buf, size_t n)
{
	if (k == 0)
		snprintf(buf, n, "OK");
	else if (k == 1)
		snprintf(buf, n, "INTERRUPT");
	else if (k == 2)
		snprintf(buf, n, "skipped");
	else if (k == 3)
		snprintf(buf, n, "RAM(A/D)");
	else if (k == 4)
		snprintf(buf, n, "result");
	else if (k == 5)
		snprintf(buf, n, "(any)");
	else if (k == 6)
		snprintf(buf, n, "notifier");
	else
		snprintf(buf, n, "fault %02xh %s", k - 0x100, vtd_fault_name((uint8_t)(k - 0x100)));
}

static unsigned long hist[0x200];
static unsigned long ok_paths[PATH_N][3];   /* 4K, 2M, 1G */
/* disagreement classes: (ref key, lib key) */
struct diff {
	unsigned rk, lk;
	int note;
	unsigned long count;
	unsigned long first_seed;
	unsigned first_req;
};
static struct diff diffs[64];
static unsigned ndiffs;
static unsigned long total_diffs, printed;

static void note_diff(unsigned rk, unsigned lk, int note, unsigned long seed, unsigned req)
{
	total_diffs++;
	if (note == REF_ATS_SM)
		rk = lk = 5;  /* one class, whatever libvtd's walk found */
	for (unsigned i = 0; i < ndiffs; i++)
		if (diffs[i].rk == rk && diffs[i].lk == lk && diffs[i].note == note) {
			diffs[i].count++;
			return;
		}
	if (ndiffs < 64)
		diffs[ndiffs++] = (struct diff){ rk, lk, note, 1, seed, req };
}

static void print_req(const struct ref_req *q)
{
	printf("  request: sid %02x:%02x.%u%s pasid %s%u addr 0x%016" PRIx64 " %s%s%s at %d\n",
	       q->sid >> 8, (q->sid >> 3) & 31, q->sid & 7, "", q->has_pasid ? "" : "(none) ",
	       q->has_pasid ? q->pasid : 0, q->addr, (q->acc & P_W) ? "write" : "read",
	       (q->acc & P_X) ? "+exec" : "", q->priv ? " priv" : "", q->at);
}

static void print_results(const struct ref_res *r, const struct vtd_translation *x)
{
	char a[64], b[64];
	key_name(key_of_ref(r), a, sizeof(a));
	key_name(key_of_lib(x), b, sizeof(b));
	printf("  reference: %-28s addr 0x%" PRIx64 " size 0x%" PRIx64 " perm %u did %u\n", a,
	       r->addr, r->size, r->perm, r->did);
	printf("  libvtd:    %-28s addr 0x%" PRIx64 " size 0x%" PRIx64 " perm %u did %u\n", b,
	       x->addr, x->page_size, x->perm, x->did);
}

static void print_trace(const struct vtd_trace *t)
{
	for (unsigned i = 0; i < t->n; i++) {
		const struct vtd_trace_step *st = &t->step[i];
		printf("    %-16s @0x%-10" PRIx64, st->what, st->addr);
		for (unsigned j = 0; j < st->nval; j++)
			printf(" %016" PRIx64, st->val[j]);
		printf("  %s\n", st->note);
	}
}

/* Run one table set; returns the number of disagreements. */
/* ======================================================================
 * Property: what a shadowing notifier reports is what translation does
 * ====================================================================== */

/*
 * For every device of a table set, a notifier's replay (the mappings a
 * caching-mode VMM would shadow) and vtd_iommu_translate() must agree on
 * requests without PASID (what a notifier stands for): every page of a
 * reported leaf translates to the reported address with the reported
 * rights (its first, last and one random page, read and write), and every
 * address the generator mapped, and random ones, that translates is inside
 * a reported leaf with the same address and rights.  Both run on the one
 * decode (src/tables.c).  The notifier does not shadow first-stage spaces
 * (a VMM binds those to the host's nested tables instead); for those only
 * "reports nothing" is checked.  Writes to the interrupt range are
 * interrupts, not DMA: not checked.
 */
struct pleaf {
	uint64_t iova, size, addr;
	unsigned perm;
};
static struct pleaf pleaves[4096];
static unsigned npleaves;
static bool ptrunc;

static void p_map(void *o, uint64_t iova, uint64_t size, uint64_t addr, unsigned perm)
{
	(void)o;
	if (npleaves < VTD_ARRAY_SIZE(pleaves))
		pleaves[npleaves++] = (struct pleaf){ iova, size, addr, perm };
	else
		ptrunc = true;
}

static void p_unmap(void *o, uint64_t iova, uint64_t size)
{
	(void)o, (void)iova, (void)size;
}

static void p_error(void *o, const char *msg)
{
	(void)o, (void)msg;
	ptrunc = true;
}

static unsigned long prop_pages, prop_addrs;

/* One request without PASID: 0 and the result, or the fault. */
static int p_xlate(struct vtd_iommu *s, uint16_t sid, uint64_t addr, unsigned perm,
		   struct vtd_translation *x)
{
	struct vtd_dma_request rq = { .sid = sid, .addr = addr, .perm = perm };
	memset(x, 0, sizeof(*x));
	return vtd_iommu_translate(s, &rq, x);
}

static bool p_in_intr(uint64_t a) { return a >= IRQ_FIRST && a <= IRQ_LAST; }

static unsigned p_check_page(struct vtd_iommu *s, uint16_t sid, const struct pleaf *l,
			     uint64_t off, unsigned long seed)
{
	unsigned bad = 0;
	uint64_t iova = l->iova + off, want = l->addr + off;
	for (unsigned acc = VTD_PERM_R; acc <= VTD_PERM_W; acc <<= 1) {
		if (acc == VTD_PERM_W && p_in_intr(iova))
			continue;
		struct vtd_translation x;
		int rc = p_xlate(s, sid, iova, acc, &x);
		bool ok = rc == 0 && x.status == VTD_XLATE_OK;
		bool allowed = l->perm & acc;
		prop_pages++;
		if (ok != allowed || (ok && (x.addr != want || x.perm != l->perm))) {
			bad++;
			if (verbose || printed < 8) {
				printed++;
				printf("NOTIFIER DISAGREES seed %lu sid %04x: leaf 0x%" PRIx64
				       "+0x%" PRIx64 " -> 0x%" PRIx64 " perm %u, %s 0x%" PRIx64
				       ": translate %s 0x%" PRIx64 " perm %u (fault 0x%02x)\n",
				       seed, sid, l->iova, l->size, l->addr, l->perm,
				       acc == VTD_PERM_R ? "read" : "write", iova,
				       ok ? "OK" : "refuses", x.addr, x.perm, x.fault);
			}
		}
	}
	return bad;
}

static unsigned p_check_addr(struct vtd_iommu *s, uint16_t sid, uint64_t a, unsigned long seed)
{
	struct vtd_translation x;
	if (p_xlate(s, sid, a, VTD_PERM_R, &x) || x.status != VTD_XLATE_OK)
		return 0;
	prop_addrs++;
	for (unsigned i = 0; i < npleaves; i++) {
		const struct pleaf *l = &pleaves[i];
		if (a - l->iova < l->size && x.addr == l->addr + (a - l->iova) && (l->perm & VTD_PERM_R))
			return 0;
	}
	if (verbose || printed < 8) {
		printed++;
		printf("NOTIFIER MISSES seed %lu sid %04x: read 0x%" PRIx64 " translates to 0x%" PRIx64
		       ", no reported leaf has it\n", seed, sid, a, x.addr);
		if (verbose) {
			static struct vtd_trace tr;
			struct vtd_dma_request rq = { .sid = sid, .addr = a, .perm = VTD_PERM_R };
			memset(&x, 0, sizeof(x));
			x.trace = &tr;
			vtd_iommu_translate(s, &rq, &x);
			print_trace(&tr);
		}
	}
	return 1;
}

static unsigned property_set(struct vtd_iommu *s, const struct tset *t, unsigned long seed)
{
	static const struct vtd_notifier_ops ops = { .map = p_map, .unmap = p_unmap,
						     .error = p_error };
	unsigned bad = 0;
	for (unsigned i = 0; i < t->nsid; i++) {
		uint16_t sid = t->sids[i];
		/* Compare each device with the tables as they are now: the
		 * caches may hold what they said before (devices that share a
		 * domain id with other tables share IOTLB entries; a page that
		 * is both a first-stage table and a PASID directory got A/D
		 * flags from the walks): SRTP again drops every cache. */
		vtd_iommu_mmio_write(s, VTD_REG_GCMD, 4, (1u << 31) | (1u << 30));
		bool dup = false;
		for (unsigned j = 0; j < i; j++)
			dup |= t->sids[j] == sid;
		if (dup)
			continue;
		struct vtd_notifier *n;
		npleaves = 0;
		ptrunc = false;
		if (vtd_iommu_notifier_add(s, sid, &ops, NULL, &n) ||
		    vtd_iommu_notifier_replay(s, n)) {
			printf("seed %lu: notifier for %04x refused\n", seed, sid);
			return bad + 1;
		}
		for (unsigned k = 0; k < npleaves; k++) {
			const struct pleaf *l = &pleaves[k];
			bad += p_check_page(s, sid, l, 0, seed);
			if (l->size > 4096) {
				bad += p_check_page(s, sid, l, l->size - 4096, seed);
				bad += p_check_page(s, sid, l, (rnd() % (l->size >> 12)) << 12, seed);
			}
		}
		/* (what the one decode says this device's requests use) */
		struct vtd_space sp;
		vtd_decode_space(s, sid, &sp);
		if (verbose)
			printf("sid %04x: space kind %d did %u table 0x%" PRIx64 " levels %u fault 0x%02x,"
			       " %u leaves%s\n", sid, (int)sp.kind, sp.did, sp.table, sp.levels, sp.fault,
			       npleaves, ptrunc ? " (truncated)" : "");
		if (sp.kind == VTD_SPACE_FS && npleaves) {
			printf("seed %lu sid %04x: a first-stage space shadowed (%u leaves)\n", seed,
			       sid, npleaves);
			bad++;
		}
		if (!ptrunc && sp.kind != VTD_SPACE_FS) {
			for (unsigned k = 0; k < t->nsp; k++) {
				const struct space *gs = &t->sp[k];
				if (gs->sid != sid || (t->g.u.scalable && !gs->rid_pasid))
					continue;
				for (unsigned v = 0; v < gs->nva; v++)
					bad += p_check_addr(s, sid, gs->va[v], seed);
			}
			for (unsigned r = 0; r < 8; r++)
				bad += p_check_addr(s, sid, rnd() & t->g.haw & ~0xfffull, seed);
		}
		vtd_iommu_notifier_del(s, n);
	}
	return bad;
}

static unsigned run_set(unsigned long seed)
{
	rng = seed * 0x2545f4914f6cdd1dull + 0x1234567ull;
	struct tset t;
	memset(&t, 0, sizeof(t));
	unsigned ci = rn(NCFG);
	t.g.cfg = pool_cfg[ci];
	t.sm_root = t.g.cfg.scalable_mode ? !pm(80) : pm(50);

	struct vtd_iommu *s = pool[ci];
	if (s) {
		vtd_iommu_reset(s);
	} else {
		struct vtd_iommu_opts opts = { .sz = sizeof(opts), .ram = lib_ram,
					       .ram_size = RAM_SIZE };
		struct vtd_error err;
		vtd_error_clear(&err);
		if (vtd_iommu_new(&t.g.cfg, &opts, &s, &err)) {
			printf("seed %lu: vtd_iommu_new failed: %s\n", seed, err.msg);
			return 1;
		}
		pool[ci] = s;
	}
	/* capabilities first: the builder needs the address width */
	ref_unit_from(&t.g, s, t.sm_root, t.sm_root ? bit(10) : 0);
	build_set(&t);
	ref_unit_from(&t.g, s, t.sm_root, t.rtaddr);

	vtd_iommu_mmio_write(s, VTD_REG_RTADDR, 8, t.rtaddr);
	vtd_iommu_mmio_write(s, VTD_REG_GCMD, 4, 1u << 30);  /* SRTP */
	vtd_iommu_mmio_write(s, VTD_REG_GCMD, 4, 1u << 31);  /* TE */
	uint64_t gsts = 0;
	vtd_iommu_mmio_read(s, VTD_REG_GSTS, 4, &gsts);
	unsigned bad = 0;
	if (!(gsts & (1u << 31)) || !(gsts & (1u << 30))) {
		printf("seed %lu: GSTS 0x%" PRIx64 ": translation not enabled\n", seed, gsts);
		bad++;
	}

	if (verbose) {
		char buf[512];
		vtd_config_format_opts(&t.g.cfg, VTD_FORMAT_CHANGED, buf, sizeof(buf));
		printf("seed %lu: config \"%s\", RTADDR 0x%" PRIx64 " (%s), %u pages of tables\n",
		       seed, buf, t.rtaddr, t.g.u.scalable ? "scalable" : "legacy", nused);
	}

	static struct vtd_trace trace;
	for (unsigned i = 0; i < REQS_PER_SET; i++) {
		struct ref_req q = random_request(&t);
		struct ref_res r;
		ref_translate(&t.g.u, &q, &r);

		struct vtd_dma_request rq = {
			.sid = q.sid, .pasid_valid = q.has_pasid, .pasid = q.pasid, .addr = q.addr,
			.perm = (q.acc & P_R ? VTD_PERM_R : 0) | (q.acc & P_W ? VTD_PERM_W : 0) |
				(q.acc & P_X ? VTD_PERM_X : 0),
			.priv = q.priv,
			.at = q.at == 0 ? VTD_AT_UNTRANSLATED :
			      q.at == 1 ? VTD_AT_TRANSLATION_REQ : VTD_AT_TRANSLATED,
		};
		struct vtd_translation x;
		memset(&x, 0, sizeof(x));
		x.trace = verbose ? &trace : NULL;
		int rc = vtd_iommu_translate(s, &rq, &x);

		unsigned rk = key_of_ref(&r), lk = key_of_lib(&x);
		hist[rk]++;
		if (r.kind == R_OK)
			ok_paths[r.path][r.size >= (1u << 30) ? 2 : r.size >= (1u << 21) ? 1 : 0]++;
		bool same = true;
		if (r.kind == R_SKIP) {
			/* execute requests past the ERE check: nothing to compare */
		} else if (rk != lk) {
			same = false;
		} else if (r.kind != R_FAULT) {
			same = x.addr == r.addr && x.page_size == r.size && x.perm == r.perm &&
			       (!r.did_valid || x.did == r.did) && rc == 0;
			if (!same)
				lk = 4, rk = 4;
		} else if (rc != -EACCES) {
			same = false;
		}
		/* first-stage accessed/dirty updates must match */
		bool ram_same = true;
		/* the reference does not walk an ATS-translated request in
		 * scalable mode: any flag libvtd set shows on the table pages */
		if (r.note == REF_ATS_SM)
			for (unsigned j = 0; j < nused; j++) {
				uint64_t a = (uint64_t)used[j] << 12;
				if (memcmp(lib_ram + a, ref_ram + a, 4096))
					ram_same = false;
			}
		for (unsigned j = 0; j < ntouched; j++) {
			uint64_t a = touched[j];
			size_t len = a + 64 <= RAM_SIZE ? 64 : 8;
			if (memcmp(lib_ram + a, ref_ram + a, len))
				ram_same = false;
		}
		if (!same)
			note_diff(rk, lk, r.note, seed, i);
		if (!same)
			ram_same = true;  /* flags follow the outcome: reported already */
		if (!ram_same)
			note_diff(3, 3, r.note, seed, i);
		if ((!same || !ram_same) && (verbose || printed < 8)) {
			printed++;
			printf("DISAGREEMENT seed %lu request %u%s %s:\n", seed, i,
			       ram_same ? "" : " (guest RAM differs after the walk)",
			       ref_note_name[r.note]);
			print_req(&q);
			print_results(&r, &x);
			if (verbose)
				print_trace(&trace);
		} else if (verbose) {
			printf("agree seed %lu request %u:\n", seed, i);
			print_req(&q);
			print_results(&r, &x);
			print_trace(&trace);
		}
		bad += !same || !ram_same;
		/* after a disagreement, carry on from one state: the library's
		 * when the outcomes differ (its walk set flags the reference's
		 * did not), the reference's when only the flags differ */
		if (!same || !ram_same)
			for (unsigned j = 0; j < nused; j++) {
				uint64_t a = (uint64_t)used[j] << 12;
				if (!same || r.note == REF_ATS_SM)
					memcpy(ref_ram + a, lib_ram + a, 4096);
				else
					memcpy(lib_ram + a, ref_ram + a, 4096);
			}
	}

	/* the notifier property, on the library's image; its walks may set
	 * accessed/dirty flags the reference does not model: the table pages
	 * are put back as they were */
	uint8_t *snap = malloc((size_t)nused * 4096);
	if (snap)
		for (unsigned j = 0; j < nused; j++)
			memcpy(snap + (size_t)j * 4096, lib_ram + ((uint64_t)used[j] << 12), 4096);
	unsigned pbad = property_set(s, &t, seed);
	if (pbad) {
		note_diff(6, 6, 0, seed, REQS_PER_SET);
		bad += pbad;
	}
	if (snap) {
		for (unsigned j = 0; j < nused; j++)
			memcpy(lib_ram + ((uint64_t)used[j] << 12), snap + (size_t)j * 4096, 4096);
		free(snap);
	}

	/* every table page equal, then back to zeros */
	for (unsigned j = 0; j < nused; j++) {
		uint64_t a = (uint64_t)used[j] << 12;
		if (memcmp(lib_ram + a, ref_ram + a, 4096)) {
			note_diff(3, 3, 0, seed, REQS_PER_SET);
			bad++;
			for (unsigned o = 0; o < 4096 && (verbose || printed < 8); o += 8)
				if (memcmp(lib_ram + a + o, ref_ram + a + o, 8))
					printf("seed %lu: guest RAM differs at 0x%" PRIx64
					       ": libvtd %016" PRIx64 " reference %016" PRIx64 "\n",
					       seed, a + o, rd64l(a + o), rd64(a + o));
		}
		memset(lib_ram + a, 0, 4096);
		memset(ref_ram + a, 0, 4096);
		page_kind[used[j]] = K_FREE;
	}
	nused = 0;
	return bad;
}

int main(void)
{
	lib_ram = calloc(1, RAM_SIZE);
	ref_ram = calloc(1, RAM_SIZE);
	if (!lib_ram || !ref_ram)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	unsigned long first = 1, count = DEFAULT_SETS;
	const char *e = getenv("VTD_SEED");
	if (e && *e) {
		first = strtoul(e, NULL, 0);
		count = 1;
		verbose = true;
	} else if ((e = getenv("VTD_ITER")) && *e) {
		double k = strtod(e, NULL);
		if (k > 0)
			count = (unsigned long)(DEFAULT_SETS * k + 0.5);
		if (!count)
			count = 1;
	}

	for (unsigned i = 0; i < NCFG; i++) {
		rng = 0x5eed0000ull + i;
		random_config(&pool_cfg[i], i);
	}

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long bad_sets = 0;
	for (unsigned long seed = first; seed < first + count; seed++) {
		if (run_set(seed))
			bad_sets++;
		if ((seed - first) % 1000 == 999 && memcmp(lib_ram, ref_ram, RAM_SIZE)) {
			printf("seed %lu: guest RAM images differ outside the table pages\n", seed);
			note_diff(3, 3, 0, seed, 0);
			memcpy(lib_ram, ref_ram, RAM_SIZE);
		}
	}
	if (memcmp(lib_ram, ref_ram, RAM_SIZE)) {
		printf("guest RAM images differ outside the table pages\n");
		note_diff(3, 3, 0, first + count - 1, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (unsigned i = 0; i < NCFG; i++)
		vtd_iommu_free(pool[i]);

	unsigned long total = 0;
	for (unsigned k = 0; k < 0x200; k++)
		total += hist[k];
	printf("walk_ref: %lu table sets (seeds %lu..%lu), %lu translations, %.2f s\n", count, first,
	       first + count - 1, total, secs);
	printf("reference outcomes:\n");
	for (unsigned k = 0; k < 0x200; k++)
		if (hist[k]) {
			char n[64];
			key_name(k, n, sizeof(n));
			printf("  %-34s %8lu\n", n, hist[k]);
		}
	printf("successful translations by path (4 KiB / 2 MiB / 1 GiB pages):\n");
	for (unsigned p = 1; p < PATH_N; p++)
		printf("  %-34s %8lu %8lu %8lu\n", path_name[p], ok_paths[p][0], ok_paths[p][1],
		       ok_paths[p][2]);
	printf("notifier property: %lu page checks of reported leaves, %lu translated addresses "
	       "found in them\n", prop_pages, prop_addrs);
	if (!total_diffs) {
		printf("walk_ref: libvtd agrees with the reference on every translation, and its "
		       "notifiers with its translations\n");
		return 0;
	}
	printf("walk_ref: %lu disagreements in %lu table sets (re-run one with VTD_SEED=n):\n",
	       total_diffs, bad_sets);
	for (unsigned i = 0; i < ndiffs; i++) {
		char a[64], b[64];
		key_name(diffs[i].rk, a, sizeof(a));
		key_name(diffs[i].lk, b, sizeof(b));
		printf("  reference %-22s libvtd %-22s x%-5lu VTD_SEED=%-5lu (request %2u) %s\n", a,
		       b, diffs[i].count, diffs[i].first_seed, diffs[i].first_req,
		       ref_note_name[diffs[i].note]);
	}
	return 1;
}
