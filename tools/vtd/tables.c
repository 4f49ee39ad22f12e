/* SPDX-License-Identifier: MIT */
/*
 * vtd tables: everything a guest's DMA-remapping structures say, read from a
 * memory image offline (what Linux's intel-iommu debugfs dumps on a live
 * system): each present root and context entry, the PASID directory and
 * table entries in scalable mode, and the mappings of each address space
 * coalesced into ranges, with reserved bits and other programming errors
 * flagged where they are and the fault a DMA would get there.
 *
 * The walk is bounded: every entry examined counts against --max-entries
 * (self-referencing or huge tables stop there, and the output says so), an
 * address space shared by several devices is walked once, and stored notes
 * are capped.  --verify replays the first address of every range through
 * the library's own translation (vtd_iommu_translate) and reports any
 * disagreement.
 */
#include "vtd-tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define INTR_LO 0xfee00000ull
#define INTR_HI 0xfeefffffull

#define SS_PS  (1ull << 7)
#define SS_SNP (1ull << 11)
#define SS_TM  (1ull << 62)
#define SS_IGN 0xbff0000000000000ull   /* 52-61 and 63 */
#define FS_P   (1ull << 0)
#define FS_RW  (1ull << 1)
#define FS_US  (1ull << 2)
#define FS_PS  (1ull << 7)
#define FS_IGN 0xfff0000000000000ull   /* 52-63 */

#define DEFAULT_MAX_ENTRIES (1ull << 22)
#define MAX_NOTES 256        /* stored per structure; more are counted */
#define MAX_SEEN 4096        /* address spaces remembered for sharing */
#define MAX_VERIFY 4096      /* ranges checked with --verify */
#define MAX_DEPTH 24

struct notes {
	const char *indent;   /* text: where the lines go */
	bool immediate;       /* text inside a walk: print as found */
	unsigned n, dropped, shown;
	char *msg[MAX_NOTES];
	bool err[MAX_NOTES];
};

enum space_kind { SP_SS, SP_FS, SP_PT };
static const char *const kind_name[] = { "second-stage", "first-stage", "pass-through" };

/* One address space being enumerated. */
struct space {
	enum space_kind kind;
	uint64_t table;
	unsigned levels, width;
	bool sm;                    /* scalable mode: its fault codes */
	bool nested;                /* first-stage tables live behind the second stage */
	uint64_t ss_table;
	unsigned ss_levels;
	/* the requests that reach it, for --verify */
	uint16_t sid;
	bool pasid_valid, supervisor_ok;
	bool no_verify;             /* no request reaches it */
	uint32_t pasid;
	/* the range being coalesced */
	bool have;
	uint64_t in0, out0, len, psize;
	unsigned perm;
	bool user;
	unsigned long nranges;
	uint64_t path[6];
	const char *indent;
	struct notes notes;
};

struct verify_item {
	uint16_t sid;
	bool pasid_valid, priv;
	uint32_t pasid;
	uint64_t iova, out;
	unsigned perm, want;
	bool cmp_perm;
};

struct seen_space {
	enum space_kind kind;
	uint64_t table, ss_table;
	unsigned levels;
	bool nested;
	char who[40];
};

struct did_tag {
	uint32_t did;
	int64_t pasid;              /* -1: tagged by domain only */
	enum space_kind kind;
	uint64_t table;
	char who[40];
};

struct tw {
	struct memimage *img;
	struct vtd_config cfg;
	uint64_t cap, ecap, haw;
	bool json;
	uint64_t visited, max_visit;
	bool truncated;
	unsigned long errors, warnings, nbus, ndev, npasid, nranges;
	bool has_sid, has_pasid;
	uint16_t sid;
	uint32_t pasid;
	struct seen_space *seen;
	size_t nseen;
	struct did_tag *dids;
	size_t ndids;
	bool verify;
	struct verify_item *vq;
	size_t nvq, vq_skipped;
	/* JSON writer */
	int depth;
	bool first[MAX_DEPTH];
};

/* ---- output helpers -------------------------------------------------------- */

static void jpre(struct tw *w, const char *key)
{
	if (w->first[w->depth])
		w->first[w->depth] = false;
	else
		putchar(',');
	if (key) {
		json_str(stdout, key);
		putchar(':');
	}
}

static void jopen(struct tw *w, const char *key, char c)
{
	jpre(w, key);
	putchar(c);
	if (w->depth < MAX_DEPTH - 1)
		w->first[++w->depth] = true;
}

static void jclose(struct tw *w, char c)
{
	putchar(c);
	if (w->depth > 0)
		w->depth--;
}

static void jhex(struct tw *w, const char *key, uint64_t v)
{
	jpre(w, key);
	printf("\"0x%llx\"", (unsigned long long)v);
}

static void juint(struct tw *w, const char *key, uint64_t v)
{
	jpre(w, key);
	printf("%llu", (unsigned long long)v);
}

static void jbool(struct tw *w, const char *key, bool v)
{
	jpre(w, key);
	fputs(v ? "true" : "false", stdout);
}

static void jstr(struct tw *w, const char *key, const char *s)
{
	jpre(w, key);
	json_str(stdout, s);
}

static void jraw(struct tw *w, const uint64_t *v, unsigned n)
{
	jopen(w, "raw", '[');
	for (unsigned i = 0; i < n; i++)
		jhex(w, NULL, v[i]);
	jclose(w, ']');
}

static void text_raw(const uint64_t *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		printf(" %016llx", (unsigned long long)v[i]);
}

static void bdf_name(uint16_t sid, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x.%u", sid >> 8, (sid >> 3) & 0x1f, sid & 7);
}

static void notes_init(struct notes *n, const char *indent, bool immediate)
{
	n->indent = indent;
	n->immediate = immediate;
	n->n = 0;
	n->dropped = 0;
	n->shown = 0;
}

static void print_note(const char *indent, bool err, const char *msg)
{
	printf("%s%s: %s\n", indent, err ? "ERROR" : "WARNING", msg);
}

static void vnote(struct tw *w, struct notes *n, bool err, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static void vnote(struct tw *w, struct notes *n, bool err, const char *fmt, va_list ap)
{
	char buf[320];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err)
		w->errors++;
	else
		w->warnings++;
	if (!w->json && n->immediate) {
		if (n->shown == MAX_NOTES)
			n->dropped++;
		else
			print_note(n->indent, err, buf);
		n->shown += n->shown < MAX_NOTES;
		return;
	}
	if (n->n == MAX_NOTES) {
		n->dropped++;
		return;
	}
	n->msg[n->n] = strdup(buf);
	if (!n->msg[n->n]) {
		n->dropped++;
		return;
	}
	n->err[n->n++] = err;
}

static void note(struct tw *w, struct notes *n, bool err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void note(struct tw *w, struct notes *n, bool err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(w, n, err, fmt, ap);
	va_end(ap);
}

/* Print the stored notes (text lines, or JSON "errors"/"warnings") and
 * forget them. */
static void notes_emit(struct tw *w, struct notes *n)
{
	if (w->json) {
		for (int e = 1; e >= 0; e--) {
			jopen(w, e ? "errors" : "warnings", '[');
			for (unsigned i = 0; i < n->n; i++)
				if (n->err[i] == (bool)e)
					jstr(w, NULL, n->msg[i]);
			jclose(w, ']');
		}
		if (n->dropped)
			juint(w, "notes_not_shown", n->dropped);
	} else {
		for (unsigned i = 0; i < n->n; i++)
			print_note(n->indent, n->err[i], n->msg[i]);
		if (n->dropped)
			printf("%s(%u more notes not shown)\n", n->indent, n->dropped);
	}
	for (unsigned i = 0; i < n->n; i++)
		free(n->msg[i]);
	n->n = 0;
	n->dropped = 0;
	n->shown = 0;
}

static const char *fault_str(uint8_t f)
{
	static char buf[4][48];
	static unsigned k;
	char *b = buf[k++ & 3];
	snprintf(b, sizeof(buf[0]), "fault 0x%02x %s", f, vtd_fault_name(f));
	return b;
}

/* One more entry examined; false once the budget is spent. */
static bool visit(struct tw *w)
{
	if (w->visited >= w->max_visit) {
		w->truncated = true;
		return false;
	}
	w->visited++;
	return true;
}

static bool rd(struct tw *w, uint64_t gpa, void *buf, size_t len)
{
	return memimage_read(w->img, gpa, buf, len) == 0;
}

static const char *size_name(uint64_t s)
{
	return s == 1ull << 30 ? "1G" : s == 1ull << 21 ? "2M" : "4K";
}

/* ---- table entries ------------------------------------------------------------- */

/* Every root, context, PASID-directory and PASID-table entry is shown in
 * one frame: the caller opens it (JSON: an object and its identity
 * fields; text: its label) and entry_head() says where it is and its raw
 * qwords (text: the first `shown`) -- root_entry_open() and
 * context_entry_open() do both --, the caller adds its fields,
 * entry_body() its notes and, in JSON, opens the array of what it points
 * to (`children`); entry_end() closes both. */
static void entry_head(struct tw *w, uint64_t addr, const uint64_t *raw, unsigned n,
		       unsigned shown)
{
	if (w->json) {
		jhex(w, "addr", addr);
		jraw(w, raw, n);
	} else {
		printf(" @0x%llx =", (unsigned long long)addr);
		text_raw(raw, shown);
	}
}

/* The opening of bus `bus`'s root entry (both modes) */
static void root_entry_open(struct tw *w, unsigned bus, uint64_t rea, const uint64_t *re)
{
	if (w->json) {
		jopen(w, NULL, '{');
		juint(w, "bus", bus);
	} else {
		printf("bus %02x: root entry", bus);
	}
	entry_head(w, rea, re, 2, 2);
}

/* The opening of a device's context entry (n qwords: 2 legacy, 4 scalable) */
static void context_entry_open(struct tw *w, const char *who, uint16_t sid, uint64_t cea,
			       const uint64_t *ce, unsigned n)
{
	if (w->json) {
		jopen(w, NULL, '{');
		jstr(w, "bdf", who);
		juint(w, "sid", sid);
	} else {
		printf("  %s: context entry", who);
	}
	entry_head(w, cea, ce, n, n);
}

static void entry_body(struct tw *w, struct notes *n, const char *children)
{
	notes_emit(w, n);
	if (w->json)
		jopen(w, children, '[');
}

static void entry_end(struct tw *w)
{
	if (w->json) {
		jclose(w, ']');
		jclose(w, '}');
	}
}

/* The entries [*lo, *hi] of a table of n that the walk looks at: all of
 * them, or the one --sid or --pasid selects (`sel`). */
static void select_range(bool has, unsigned sel, unsigned n, unsigned *lo, unsigned *hi)
{
	*lo = has ? sel : 0;
	*hi = has ? sel : n - 1;
}

/* ---- ranges ------------------------------------------------------------------ */

static void verify_add(struct tw *w, const struct space *sp, uint64_t iova, uint64_t out,
		       unsigned perm, bool user)
{
	if (!w->verify || sp->no_verify)
		return;
	if (w->nvq == MAX_VERIFY) {
		w->vq_skipped++;
		return;
	}
	struct verify_item v = { .sid = sp->sid, .pasid_valid = sp->pasid_valid,
				 .pasid = sp->pasid, .iova = iova, .out = out, .perm = perm,
				 .want = (perm & VTD_PERM_R) ? VTD_PERM_R : VTD_PERM_W,
				 .cmp_perm = sp->kind != SP_FS };
	if (sp->kind == SP_FS && !user) {
		/* supervisor-only: only a privileged request with a PASID gets in */
		if (!sp->supervisor_ok) {
			w->vq_skipped++;
			return;
		}
		v.priv = true;
	}
	w->vq[w->nvq++] = v;
}

static bool ss_resolve(struct tw *w, const struct space *sp, uint64_t gpa, bool root,
		       uint64_t *hpa, uint8_t *fault);

static void range_flush(struct tw *w, struct space *sp)
{
	if (!sp->have)
		return;
	sp->have = false;
	sp->nranges++;
	w->nranges++;
	uint64_t last = sp->in0 + sp->len - 1, olast = sp->out0 + sp->len - 1;
	if (w->json) {
		jopen(w, NULL, '{');
		jhex(w, "iova", sp->in0);
		jhex(w, "iova_last", last);
		jhex(w, "addr", sp->out0);
		jhex(w, "addr_last", olast);
		jhex(w, "page_size", sp->psize);
		juint(w, "pages", sp->len / sp->psize);
		jstr(w, "perm", perm_name(sp->perm));
		if (sp->kind == SP_FS)
			jbool(w, "user", sp->user);
		jclose(w, '}');
	} else {
		printf("%s0x%012llx-0x%012llx -> 0x%012llx-0x%012llx %s x%llu %s%s\n", sp->indent,
		       (unsigned long long)sp->in0, (unsigned long long)last,
		       (unsigned long long)sp->out0, (unsigned long long)olast, size_name(sp->psize),
		       (unsigned long long)(sp->len / sp->psize), perm_name(sp->perm),
		       sp->kind != SP_FS ? "" : sp->user ? " user" : " supervisor");
	}
	uint64_t out = sp->out0;
	if (sp->nested) {
		uint8_t f;
		if (!ss_resolve(w, sp, out, false, &out, &f))
			return;
	}
	if (out >= INTR_LO && out <= INTR_HI)
		return;   /* flagged already: DMA there faults */
	verify_add(w, sp, sp->in0, out, sp->perm, sp->user);
}

static void range_add(struct tw *w, struct space *sp, uint64_t in, uint64_t out, uint64_t size,
		      unsigned perm, bool user)
{
	if (sp->have && in == sp->in0 + sp->len && out == sp->out0 + sp->len &&
	    size == sp->psize && perm == sp->perm && user == sp->user) {
		sp->len += size;
		return;
	}
	range_flush(w, sp);
	sp->have = true;
	sp->in0 = in;
	sp->out0 = out;
	sp->len = size;
	sp->psize = size;
	sp->perm = perm;
	sp->user = user;
}

/* A note found inside a walk: in text it goes where it is, between the
 * ranges before and after it. */
static void space_note(struct tw *w, struct space *sp, bool err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void space_note(struct tw *w, struct space *sp, bool err, const char *fmt, ...)
{
	if (!w->json)
		range_flush(w, sp);
	va_list ap;
	va_start(ap, fmt);
	vnote(w, &sp->notes, err, fmt, ap);
	va_end(ap);
}

/* ---- paging structures: second and first stage -------------------------------- */

static uint64_t ss_rsvd(const struct tw *w, unsigned level, bool leaf)
{
	uint64_t keep = w->haw | SS_IGN, m;
	if (leaf) {
		if (w->cfg.stale_tm && w->cfg.device_iotlb)
			keep |= SS_TM;
		m = level == 1 ? 0 : level == 2 ? 0x1ff000ull : 0x3ffff000ull;
		if (!w->cfg.scalable_mode && !w->cfg.snoop_control)
			m |= SS_SNP;
	} else {
		m = SS_SNP | (level >= 4 ? SS_PS : 0);
	}
	return m | ~keep;
}

static uint64_t fs_rsvd(const struct tw *w, unsigned level, bool leaf)
{
	uint64_t keep = w->haw | FS_IGN, m;
	if (leaf)
		m = level == 1 ? 0 : level == 2 ? 0x1fe000ull : 0x3fffe000ull;
	else
		m = level >= 4 ? FS_PS : 0;
	if (level == 3 && leaf && !vtd_cap_fs1gp(w->cap))
		m |= FS_PS;   /* a 1 GiB page only with CAP.FS1GP */
	return m | ~keep;
}

/* The entries of a table whose IOVAs lie beyond the walk's width cannot be
 * reached: say so once if any is present. */
static void note_beyond(struct tw *w, struct space *sp, const uint64_t *tab, unsigned from,
			unsigned shift, uint64_t base)
{
	for (unsigned i = from; i < 512; i++) {
		if (!visit(w))
			return;
		if (!(tab[i] & 3))
			continue;
		space_note(w, sp, false, "top-level entries %u-511 (IOVA 0x%llx and up) lie beyond the "
			   "%u-bit address width: entry %u is present but unreachable", from,
			   (unsigned long long)(base + ((uint64_t)from << shift)), sp->width, i);
		return;
	}
}

static bool on_path(const struct space *sp, unsigned depth, uint64_t table, unsigned *lvl)
{
	for (unsigned d = 0; d <= depth; d++)
		if (sp->path[d] == table) {
			*lvl = sp->levels - d;
			return true;
		}
	return false;
}

/* The fault codes of a walk: top table unreadable, a table below it
 * unreadable, reserved bits, an output in the interrupt range. */
struct walk_faults {
	uint8_t root, read, rsvd, intr;
};

static struct walk_faults walk_faults(enum space_kind kind, bool sm)
{
	if (kind == SP_FS)
		return (struct walk_faults){ 0x73, 0x70, 0x72, 0x87 };
	if (sm)
		return (struct walk_faults){ 0x7b, 0x78, 0x7a, 0x87 };
	return (struct walk_faults){ 0x03, 0x07, 0x0c, 0x0e };
}

/* What a present paging entry at `level` says. */
struct pte {
	bool leaf;
	uint64_t rsvd;              /* reserved bits set */
	uint64_t size;              /* the page size of a leaf */
	uint64_t addr;              /* a leaf's page, or the next table */
};

static struct pte pte_decode(const struct tw *w, enum space_kind kind, unsigned level,
			     uint64_t pte)
{
	/* PS is bit 7 in both formats */
	bool leaf = level == 1 || ((level == 2 || level == 3) && (pte & SS_PS));
	uint64_t size = leaf ? 1ull << (12 + 9 * (level - 1)) : 4096;
	uint64_t rsvd = kind == SP_FS ? fs_rsvd(w, level, leaf) : ss_rsvd(w, level, leaf);
	return (struct pte){ .leaf = leaf, .rsvd = pte & rsvd, .size = size,
			     .addr = pte & w->haw & ~(size - 1) };
}

/* Enumerate the table at `table_gpa` (a GPA behind the second stage in
 * nested mode) at `level` of a first- or second-stage space, IOVAs from
 * `base`; `perm` and `user` are what the entries above allow. */
static void pt_enum(struct tw *w, struct space *sp, uint64_t table_gpa, unsigned level,
		    uint64_t base, unsigned perm, bool user, unsigned depth)
{
	static uint64_t tabs[6][512];
	uint64_t *tab = tabs[depth];
	const bool fs = sp->kind == SP_FS;
	const char *k = fs ? "FS" : "SS";
	const struct walk_faults f = walk_faults(sp->kind, sp->sm);
	unsigned shift = 12 + 9 * (level - 1);
	uint64_t table = table_gpa;
	sp->path[depth] = table_gpa;
	if (sp->nested) {
		uint8_t sf;
		if (!ss_resolve(w, sp, table_gpa, level == sp->levels, &table, &sf)) {
			if (sf)
				space_note(w, sp, true, "%s L%u table at GPA 0x%llx is not reachable "
					   "through the second stage (%s)", k, level,
					   (unsigned long long)table_gpa, fault_str(sf));
			return;
		}
	}
	if (!rd(w, table, tab, 4096)) {
		space_note(w, sp, true, "%s L%u table at 0x%llx cannot be read (%s)", k, level,
			   (unsigned long long)table, fault_str(level == sp->levels ? f.root : f.read));
		return;
	}
	for (unsigned i = 0; i < 512; i++) {
		uint64_t in = base + ((uint64_t)i << shift);
		if (level == sp->levels && fs && i >= 256) {
			/* canonical addresses: the upper half of the top table is
			 * sign-extended */
			in |= ~0ull << (12 + 9 * sp->levels - 1);
		} else if (level == sp->levels && !fs && sp->width < 64 && (in >> sp->width)) {
			note_beyond(w, sp, tab, i, shift, base);
			return;
		}
		if (!visit(w))
			return;
		uint64_t pte = tab[i], ea = table + 8 * i;
		if (!(pte & (fs ? FS_P : 3)))
			continue;
		struct pte e = pte_decode(w, sp->kind, level, pte);
		if (e.rsvd) {
			space_note(w, sp, true, "%s L%u entry %u @0x%llx = 0x%016llx (IOVA 0x%llx): "
				   "reserved bits 0x%llx set (%s)", k, level, i, (unsigned long long)ea,
				   (unsigned long long)pte, (unsigned long long)in,
				   (unsigned long long)e.rsvd, fault_str(f.rsvd));
			continue;
		}
		/* first stage: always readable, W and U where every level allows
		 * them; second stage: R and W where every level allows them */
		unsigned p = fs ? VTD_PERM_R | ((perm & VTD_PERM_W) && (pte & FS_RW) ? VTD_PERM_W : 0)
				: perm & (unsigned)(pte & 3);
		bool u = fs && user && (pte & FS_US);
		if (!p)
			continue;   /* read at one level, write at another: nothing passes */
		if (e.leaf) {
			if (!sp->nested && e.addr <= INTR_HI && e.addr + e.size - 1 >= INTR_LO)
				space_note(w, sp, true, "%s L%u entry %u @0x%llx maps IOVA 0x%llx to "
					   "0x%llx, over the interrupt range 0xfee00000-0xfeefffff (%s)",
					   k, level, i, (unsigned long long)ea, (unsigned long long)in,
					   (unsigned long long)e.addr, fault_str(f.intr));
			range_add(w, sp, in, e.addr, e.size, p, u);
			continue;
		}
		unsigned lvl;
		if (on_path(sp, depth, e.addr, &lvl))
			space_note(w, sp, false, "%s L%u entry %u @0x%llx points back to the L%u table "
				   "0x%llx (self-referencing tables)", k, level, i,
				   (unsigned long long)ea, lvl, (unsigned long long)e.addr);
		pt_enum(w, sp, e.addr, level - 1, in, p, u, depth + 1);
		if (w->truncated)
			return;
	}
}

/* One address through the second stage of sp (first-stage tables and the
 * first stage's output in nested mode). */
static bool ss_resolve(struct tw *w, const struct space *sp, uint64_t gpa, bool root,
		       uint64_t *hpa, uint8_t *fault)
{
	const struct walk_faults f = walk_faults(SP_SS, true);
	unsigned width = 12 + 9 * sp->ss_levels;
	if (width > w->cfg.aw_bits)
		width = w->cfg.aw_bits;
	if (gpa >> width) {
		*fault = 0x74;
		return false;
	}
	uint64_t table = sp->ss_table;
	for (unsigned level = sp->ss_levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t pte;
		if (!visit(w)) {
			*fault = 0;
			return false;
		}
		if (!rd(w, table + ((gpa >> shift) & 0x1ff) * 8, &pte, 8)) {
			*fault = level == sp->ss_levels ? f.root : f.read;
			return false;
		}
		if (!(pte & 1)) {
			*fault = root ? 0x75 : 0x76;
			return false;
		}
		struct pte e = pte_decode(w, SP_SS, level, pte);
		if (e.rsvd) {
			*fault = f.rsvd;
			return false;
		}
		if (e.leaf) {
			*hpa = e.addr | (gpa & (e.size - 1));
			return true;
		}
		table = e.addr;
	}
	*fault = f.rsvd;
	return false;
}

/* ---- address spaces ------------------------------------------------------------ */

/* Remember who uses a domain id for what: the IOTLB is tagged by DID (and
 * PASID for first-stage spaces), so one tag for two different spaces lets
 * one device use the other's cached translations. */
static void check_did(struct tw *w, struct notes *n, const struct space *sp, uint32_t did,
		      const char *who)
{
	int64_t pasid = sp->kind == SP_FS ? (int64_t)sp->pasid : -1;
	for (size_t i = 0; i < w->ndids; i++) {
		struct did_tag *t = &w->dids[i];
		if (t->did != did || t->pasid != pasid)
			continue;
		if (t->kind != sp->kind || t->table != sp->table)
			note(w, n, false, "DID %u%s also tags a different address space (%s): the "
			     "IOTLB would give one device the other's translations", did,
			     pasid >= 0 ? " with this PASID" : "", t->who);
		return;
	}
	if (w->ndids == MAX_SEEN)
		return;
	struct did_tag *t = &w->dids[w->ndids++];
	*t = (struct did_tag){ .did = did, .pasid = pasid, .kind = sp->kind, .table = sp->table };
	snprintf(t->who, sizeof(t->who), "%s", who);
}

/* Enumerate an address space, or say which earlier device shares it. */
static void space_walk(struct tw *w, struct space *sp, const char *who)
{
	if (w->json) {
		jopen(w, NULL, '{');
		jstr(w, "kind", kind_name[sp->kind]);
	}
	const char *ind = sp->indent;
	notes_init(&sp->notes, ind, true);
	if (sp->kind == SP_PT) {
		uint64_t last = w->haw;   /* beyond it: an address-width fault */
		if (w->json) {
			jhex(w, "iova_last", last);
			jopen(w, "ranges", '[');
			sp->have = true;
			sp->in0 = sp->out0 = 0;
			sp->len = last + 1;
			sp->psize = 4096;
			sp->perm = VTD_PERM_R | VTD_PERM_W;
			range_flush(w, sp);
			jclose(w, ']');
			notes_emit(w, &sp->notes);
			jclose(w, '}');
		} else {
			printf("%.*spass-through: 0x0-0x%llx -> the same addresses, rw (the interrupt "
			       "range 0xfee00000-0xfeefffff excepted)\n", (int)strlen(ind) - 2, ind,
			       (unsigned long long)last);
			w->nranges++;
			verify_add(w, sp, 0, 0, VTD_PERM_R | VTD_PERM_W, true);
		}
		return;
	}
	for (size_t i = 0; i < w->nseen; i++) {
		const struct seen_space *s = &w->seen[i];
		if (s->kind == sp->kind && s->table == sp->table && s->levels == sp->levels &&
		    s->nested == sp->nested && s->ss_table == sp->ss_table) {
			if (w->json) {
				jstr(w, "same_as", s->who);
				jhex(w, "table", sp->table);
				jclose(w, '}');
			} else {
				printf("%.*s%s, %u-level, table 0x%llx: the same tables as %s (above)\n",
				       (int)strlen(ind) - 2, ind, kind_name[sp->kind], sp->levels,
				       (unsigned long long)sp->table, s->who);
			}
			return;
		}
	}
	if (w->nseen < MAX_SEEN) {
		struct seen_space *s = &w->seen[w->nseen++];
		*s = (struct seen_space){ .kind = sp->kind, .table = sp->table, .ss_table = sp->ss_table,
					  .levels = sp->levels, .nested = sp->nested };
		snprintf(s->who, sizeof(s->who), "%s", who);
	}
	if (w->json) {
		jhex(w, "table", sp->table);
		juint(w, "levels", sp->levels);
		juint(w, "width", sp->width);
		if (sp->nested)
			jhex(w, "ss_table", sp->ss_table);
		jopen(w, "ranges", '[');
	} else {
		printf("%.*s%s%s, %u-level (%u-bit), table 0x%llx:\n", (int)strlen(ind) - 2, ind,
		       kind_name[sp->kind], sp->nested ? " (nested: IOVA -> GPA, tables through "
		       "the second stage)" : "", sp->levels, sp->width,
		       (unsigned long long)sp->table);
	}
	pt_enum(w, sp, sp->table, sp->levels, 0, VTD_PERM_R | VTD_PERM_W, true, 0);
	range_flush(w, sp);
	if (w->json) {
		jclose(w, ']');
		notes_emit(w, &sp->notes);
		jclose(w, '}');
	} else {
		if (!sp->nranges)
			printf("%s(no mappings)\n", ind);
		notes_emit(w, &sp->notes);
	}
}

/* ---- legacy mode ------------------------------------------------------------------ */

static bool aw_ok(const struct tw *w, unsigned aw)
{
	return (vtd_cap_sagaw(w->cap) >> aw) & 1;
}

static void legacy_device(struct tw *w, unsigned bus, unsigned devfn, const uint64_t *ce,
			  uint64_t cea)
{
	uint16_t sid = (uint16_t)(bus << 8 | devfn);
	char who[16];
	bdf_name(sid, who, sizeof(who));
	bool present = ce[0] & 1;
	unsigned tt = (ce[0] >> 2) & 3, aw = ce[1] & 7, did = (ce[1] >> 8) & 0xffff;
	uint64_t slpt = ce[0] & w->haw & ~0xfffull;
	struct notes n;
	notes_init(&n, "      ", false);
	bool usable = present;
	if (!present) {
		note(w, &n, false, "not present: DMA from this device faults (%s)", fault_str(0x02));
	} else {
		uint64_t r0 = ce[0] & (0xff0ull | ~w->haw), r1 = ce[1] & 0xffffffffff000080ull;
		if (r0 || r1) {
			note(w, &n, true, "reserved bits set: 0x%llx in bits 63:0, 0x%llx in bits 127:64 "
			     "(%s)", (unsigned long long)r0, (unsigned long long)r1, fault_str(0x0b));
			usable = false;
		}
		if (tt == 3 || (tt == 1 && !vtd_ecap_dt(w->ecap)) || (tt == 2 && !vtd_ecap_pt(w->ecap))) {
			note(w, &n, true, "TT=%u is %s (%s)", tt, tt == 3 ? "reserved"
			     : tt == 1 ? "device-TLB translation, which needs ECAP.DT (device-iotlb=on)"
				       : "pass-through, which needs ECAP.PT (pt=on)", fault_str(0x03));
			usable = false;
		}
		if (!aw_ok(w, aw)) {
			note(w, &n, true, "AW=%u (%u-level) is not offered by CAP.SAGAW 0x%x (%s)", aw,
			     aw + 2, (unsigned)vtd_cap_sagaw(w->cap), fault_str(0x03));
			usable = false;
		}
		if (did >= vtd_cap_num_domains(w->cap))
			note(w, &n, false, "DID %u is beyond the %llu domains CAP.ND offers", did,
			     (unsigned long long)vtd_cap_num_domains(w->cap));
	}
	struct space sp = { .kind = tt == 2 ? SP_PT : SP_SS, .table = slpt, .levels = aw + 2,
			    .sid = sid, .indent = "      " };
	sp.width = 12 + 9 * sp.levels;
	if (sp.width > w->cfg.aw_bits)
		sp.width = w->cfg.aw_bits;
	if (usable)
		check_did(w, &n, &sp, did, who);
	w->ndev++;
	static const char *const tt_name[] = { "second stage", "second stage, device-TLB",
					       "pass-through", "reserved" };
	context_entry_open(w, who, sid, cea, ce, 2);
	if (w->json) {
		jbool(w, "present", present);
		if (present) {
			jbool(w, "fpd", ce[0] & 2);
			juint(w, "tt", tt);
			jstr(w, "translation", tt_name[tt]);
			juint(w, "aw", aw);
			juint(w, "levels", aw + 2);
			juint(w, "did", did);
			jhex(w, "table", slpt);
		}
	} else if (present) {
		printf("\n      P=1 FPD=%u TT=%u (%s) AW=%u (%u-level) DID=%u table 0x%llx\n",
		       (unsigned)((ce[0] >> 1) & 1), tt, tt_name[tt], aw, aw + 2, did,
		       (unsigned long long)slpt);
	} else {
		printf(" P=0\n");
	}
	entry_body(w, &n, "mappings");
	if (usable) {
		sp.indent = "        ";
		space_walk(w, &sp, who);
	}
	entry_end(w);
}

static void legacy_bus(struct tw *w, uint64_t root, unsigned bus)
{
	uint64_t rea = root + bus * 16, re[2];
	struct notes n;
	notes_init(&n, "    ", false);
	if (!visit(w))
		return;
	if (!rd(w, rea, re, 16)) {
		if (w->has_sid) {
			note(w, &n, true, "root entry @0x%llx cannot be read (%s)",
			     (unsigned long long)rea, fault_str(0x08));
			notes_emit(w, &n);
		}
		return;
	}
	bool present = re[0] & 1;
	if (!present && !w->has_sid)
		return;
	uint64_t ctp = re[0] & ~0xfffull;
	bool usable = present;
	static uint64_t ctab[512];
	if (!present) {
		note(w, &n, false, "not present: DMA from bus %02x faults (%s)", bus, fault_str(0x01));
	} else if ((re[0] & (0xffeull | ~w->haw)) || re[1]) {
		note(w, &n, true, "reserved bits set (%s)", fault_str(0x0a));
		usable = false;
	} else if (!rd(w, ctp, ctab, 4096)) {
		note(w, &n, true, "context table at 0x%llx cannot be read (%s)",
		     (unsigned long long)ctp, fault_str(0x09));
		usable = false;
	}
	w->nbus++;
	root_entry_open(w, bus, rea, re);
	if (w->json) {
		jbool(w, "present", present);
		if (present)
			jhex(w, "context_table", ctp);
	} else if (present) {
		printf(" P=1 context table 0x%llx\n", (unsigned long long)ctp);
	} else {
		printf(" P=0\n");
	}
	entry_body(w, &n, "devices");
	if (usable) {
		unsigned d0, d1;
		select_range(w->has_sid, w->sid & 0xff, 256, &d0, &d1);
		for (unsigned devfn = d0; devfn <= d1 && !w->truncated; devfn++) {
			if (!visit(w))
				break;
			const uint64_t *ce = &ctab[devfn * 2];
			if (!(ce[0] & 1) && !w->has_sid)
				continue;
			legacy_device(w, bus, devfn, ce, ctp + devfn * 16);
		}
	}
	entry_end(w);
}

/* ---- scalable mode ---------------------------------------------------------------- */

static const char *pgtt_name(unsigned pgtt)
{
	static const char *const names[8] = { "reserved", "first stage", "second stage", "nested",
					      "pass-through", "reserved", "reserved", "reserved" };
	return names[pgtt & 7];
}

struct sm_dev {
	uint16_t sid;
	char who[16];
	bool paside;
	uint32_t rid_pasid;
};

static void pasid_entry(struct tw *w, const struct sm_dev *d, uint32_t pasid, const uint64_t *pe,
			uint64_t pea)
{
	struct notes n;
	notes_init(&n, "          ", false);
	bool present = pe[0] & 1;
	unsigned pgtt = (pe[0] >> 6) & 7, ssaw = (pe[0] >> 2) & 7, fspm = (pe[2] >> 2) & 3;
	unsigned did = pe[1] & 0xffff;
	bool sre = pe[2] & 1, wpe = pe[2] & 16, eafe = pe[2] & 128;
	uint64_t ssptr = pe[0] & w->haw & ~0xfffull, fsptr = pe[2] & w->haw & ~0xfffull;
	bool usable = present;
	char who[40];
	snprintf(who, sizeof(who), "%s PASID %u", d->who, pasid);
	if (!present) {
		note(w, &n, false, "not present (%s)", fault_str(0x59));
	} else {
		if ((pe[0] & ~w->haw & ~0xfffull) || (pe[2] & ~w->haw & ~0xfffull) || (pe[2] & 0xf00ull) ||
		    pe[3] || pe[4] || pe[5] || pe[6] || pe[7]) {
			note(w, &n, true, "reserved bits set (%s)", fault_str(0x5a));
			usable = false;
		}
		if ((sre || wpe) && !vtd_ecap_srs(w->ecap)) {
			note(w, &n, true, "SRE/WPE set but ECAP.SRS=0 (%s)", fault_str(0x5a));
			usable = false;
		}
		if (eafe && !vtd_ecap_eafs(w->ecap)) {
			note(w, &n, true, "EAFE set but ECAP.EAFS=0 (%s)", fault_str(0x5a));
			usable = false;
		}
		bool ok = (pgtt == 1 && vtd_ecap_fsts(w->ecap)) || (pgtt == 2 && vtd_ecap_ssts(w->ecap)) ||
			  (pgtt == 3 && vtd_ecap_nest(w->ecap)) || (pgtt == 4 && vtd_ecap_pt(w->ecap));
		if (!ok) {
			note(w, &n, true, "PGTT=%u (%s) is not offered by this unit (ECAP FSTS=%u SSTS=%u "
			     "NEST=%u PT=%u) (%s)", pgtt, pgtt_name(pgtt),
			     (unsigned)vtd_ecap_fsts(w->ecap), (unsigned)vtd_ecap_ssts(w->ecap),
			     (unsigned)vtd_ecap_nest(w->ecap), (unsigned)vtd_ecap_pt(w->ecap),
			     fault_str(0x5b));
			usable = false;
		}
		if ((pgtt == 2 || pgtt == 3) && !aw_ok(w, ssaw)) {
			note(w, &n, true, "second-stage AW=%u (%u-level) is not offered by CAP.SAGAW "
			     "0x%x (%s)", ssaw, ssaw + 2, (unsigned)vtd_cap_sagaw(w->cap),
			     fault_str(0x5b));
			usable = false;
		}
		if ((pgtt == 1 || pgtt == 3) && (fspm > 1 || (fspm == 1 && !vtd_cap_fs5lp(w->cap)))) {
			note(w, &n, true, "FSPM=%u is not offered (%s)", fspm, fault_str(0x5b));
			usable = false;
		}
		if (!d->paside && pasid != d->rid_pasid)
			note(w, &n, false, "unreachable: the context entry has PASIDE=0, so only "
			     "RID_PASID %u is used", d->rid_pasid);
	}
	w->npasid++;
	/* the requests that reach this PASID, for --verify */
	bool via_rid = pasid == d->rid_pasid;
	bool reachable = via_rid || d->paside;
	struct space sp = { .sm = true, .sid = d->sid, .pasid = pasid,
			    .pasid_valid = !via_rid, .indent = "            " };
	sp.supervisor_ok = d->paside && sre;
	if (sp.supervisor_ok)
		sp.pasid_valid = true;
	sp.no_verify = !reachable;
	struct space ss = sp;
	ss.kind = SP_SS;
	ss.table = ssptr;
	ss.levels = ssaw + 2;
	ss.width = 12 + 9 * ss.levels;
	if (ss.width > w->cfg.aw_bits)
		ss.width = w->cfg.aw_bits;
	struct space fs = sp;
	fs.kind = SP_FS;
	fs.table = fsptr;
	fs.levels = fspm ? 5 : 4;
	fs.width = 12 + 9 * fs.levels;
	fs.nested = pgtt == 3;
	fs.ss_table = ssptr;
	fs.ss_levels = ssaw + 2;
	struct space pt = sp;
	pt.kind = SP_PT;
	pt.width = w->cfg.aw_bits;
	if (usable)
		check_did(w, &n, pgtt == 4 ? &pt : pgtt == 2 ? &ss : &fs, did, who);
	if (w->json) {
		jopen(w, NULL, '{');
		juint(w, "pasid", pasid);
	} else {
		printf("        PASID %u: entry", pasid);
	}
	entry_head(w, pea, pe, 8, (pe[3] | pe[4] | pe[5] | pe[6] | pe[7]) ? 8 : 3);
	if (w->json) {
		jbool(w, "present", present);
		if (present) {
			jbool(w, "fpd", pe[0] & 2);
			juint(w, "pgtt", pgtt);
			jstr(w, "translation", pgtt_name(pgtt));
			juint(w, "did", did);
			juint(w, "ss_aw", ssaw);
			jhex(w, "ss_table", ssptr);
			juint(w, "fspm", fspm);
			jhex(w, "fs_table", fsptr);
			jbool(w, "sre", sre);
			jbool(w, "wpe", wpe);
			jbool(w, "eafe", eafe);
			jbool(w, "reachable", reachable);
		}
	} else if (present) {
		printf("\n          P=1 FPD=%u PGTT=%u (%s) DID=%u", (unsigned)((pe[0] >> 1) & 1),
		       pgtt, pgtt_name(pgtt), did);
		if (pgtt == 2 || pgtt == 3)
			printf(" SS AW=%u (%u-level) table 0x%llx", ssaw, ssaw + 2,
			       (unsigned long long)ssptr);
		if (pgtt == 1 || pgtt == 3)
			printf(" FSPM=%u (%u-level) table 0x%llx SRE=%u WPE=%u", fspm,
			       fspm ? 5 : 4, (unsigned long long)fsptr, sre, wpe);
		putchar('\n');
	} else {
		printf(" P=0\n");
	}
	entry_body(w, &n, "mappings");
	if (usable) {
		if (pgtt == 4)
			space_walk(w, &pt, who);
		if (pgtt == 2)
			space_walk(w, &ss, who);
		if (pgtt == 1 || pgtt == 3)
			space_walk(w, &fs, who);
		if (pgtt == 3) {
			/* the second stage by itself: GPA -> HPA */
			ss.pasid_valid = false;
			ss.sid = 0;
			char sw[64];
			snprintf(sw, sizeof(sw), "%s (second stage)", who);
			bool v = w->verify;
			w->verify = false;   /* not reachable alone by a request */
			space_walk(w, &ss, sw);
			w->verify = v;
		}
	}
	entry_end(w);
}

static void pasid_dir_entry(struct tw *w, const struct sm_dev *d, unsigned idx, uint64_t pdea,
			    uint64_t pde)
{
	struct notes n;
	notes_init(&n, "          ", false);
	bool present = pde & 1;
	uint64_t ptp = pde & ~0xfffull;
	bool usable = present;
	static uint64_t ptab[512];
	if (!present) {
		note(w, &n, false, "not present: PASIDs %u-%u fault (%s)", idx * 64, idx * 64 + 63,
		     fault_str(0x51));
	} else if (pde & (0xffcull | ~w->haw)) {
		note(w, &n, true, "reserved bits 0x%llx set (%s)",
		     (unsigned long long)(pde & (0xffcull | ~w->haw)), fault_str(0x52));
		usable = false;
	} else if (!rd(w, ptp, ptab, 4096)) {
		note(w, &n, true, "PASID table at 0x%llx cannot be read (%s)",
		     (unsigned long long)ptp, fault_str(0x58));
		usable = false;
	}
	if (w->json) {
		jopen(w, NULL, '{');
		juint(w, "index", idx);
		juint(w, "first_pasid", idx * 64);
	} else {
		printf("      PASID dir entry %u (PASIDs %u-%u)", idx, idx * 64, idx * 64 + 63);
	}
	entry_head(w, pdea, &pde, 1, 1);
	if (w->json) {
		jbool(w, "present", present);
		if (present) {
			jbool(w, "fpd", pde & 2);
			jhex(w, "table", ptp);
		}
	} else if (present) {
		printf(" P=1 FPD=%u table 0x%llx\n", (unsigned)((pde >> 1) & 1),
		       (unsigned long long)ptp);
	} else {
		printf(" P=0\n");
	}
	entry_body(w, &n, "pasid_entries");
	if (usable) {
		unsigned p0, p1;
		select_range(w->has_pasid, w->pasid & 63, 64, &p0, &p1);
		for (unsigned i = p0; i <= p1 && !w->truncated; i++) {
			if (!visit(w))
				break;
			const uint64_t *pe = &ptab[i * 8];
			if (!(pe[0] & 1) && !w->has_pasid)
				continue;
			pasid_entry(w, d, idx * 64 + i, pe, ptp + i * 64);
		}
	}
	entry_end(w);
}

static void sm_device(struct tw *w, unsigned bus, unsigned devfn, const uint64_t *ce, uint64_t cea)
{
	struct sm_dev d = { .sid = (uint16_t)(bus << 8 | devfn) };
	bdf_name(d.sid, d.who, sizeof(d.who));
	bool present = ce[0] & 1;
	bool dte = ce[0] & 4, pre = ce[0] & 16;
	d.paside = ce[0] & 8;
	unsigned pdts = (ce[0] >> 9) & 7, ndir = 1u << (pdts + 7);
	d.rid_pasid = (uint32_t)(ce[1] & 0xfffff);
	uint64_t dir = ce[0] & w->haw & ~0xfffull;
	struct notes n;
	notes_init(&n, "      ", false);
	bool usable = present;
	if (!present) {
		note(w, &n, false, "not present: DMA from this device faults (%s)", fault_str(0x41));
	} else {
		uint64_t r0 = ce[0] & (0x1e0ull | ~w->haw), r1 = ce[1] & 0xffffffffffe00000ull;
		if (r0 || r1 || ce[2] || ce[3]) {
			note(w, &n, true, "reserved bits set (%s)", fault_str(0x42));
			usable = false;
		}
		if ((dte && !vtd_ecap_dt(w->ecap)) || (pre && !vtd_ecap_prs(w->ecap)) ||
		    (d.paside && !vtd_ecap_pasid(w->ecap))) {
			note(w, &n, true, "%s%s%sset for a feature this unit does not offer (%s)",
			     dte && !vtd_ecap_dt(w->ecap) ? "DTE " : "",
			     pre && !vtd_ecap_prs(w->ecap) ? "PRE " : "",
			     d.paside && !vtd_ecap_pasid(w->ecap) ? "PASIDE " : "", fault_str(0x43));
			usable = false;
		}
	}
	w->ndev++;
	context_entry_open(w, d.who, d.sid, cea, ce, 4);
	if (w->json) {
		jbool(w, "present", present);
		if (present) {
			jbool(w, "fpd", ce[0] & 2);
			jbool(w, "dte", dte);
			jbool(w, "paside", d.paside);
			jbool(w, "pre", pre);
			juint(w, "pdts", pdts);
			juint(w, "dir_entries", ndir);
			juint(w, "rid_pasid", d.rid_pasid);
			jhex(w, "pasid_dir", dir);
		}
	} else if (present) {
		printf("\n      P=1 FPD=%u DTE=%u PASIDE=%u PRE=%u PDTS=%u (%u dir entries) "
		       "RID_PASID=%u PASID dir 0x%llx\n", (unsigned)((ce[0] >> 1) & 1), dte,
		       d.paside, pre, pdts, ndir, d.rid_pasid, (unsigned long long)dir);
	} else {
		printf(" P=0\n");
	}
	entry_body(w, &n, "pasid_dir_entries");
	if (usable) {
		unsigned i0, i1;
		select_range(w->has_pasid, w->pasid >> 6, ndir, &i0, &i1);
		if (i0 >= ndir) {   /* the --pasid selected */
			notes_init(&n, "      ", false);
			note(w, &n, false, "PASID %u is beyond the directory's %u entries (%s)",
			     w->pasid, ndir, fault_str(0x46));
			notes_emit(w, &n);
			i1 = 0;
			i0 = 1;
		}
		for (unsigned i = i0; i <= i1 && !w->truncated; i++) {
			if (!visit(w))
				break;
			uint64_t pdea = dir + (uint64_t)i * 8, pde;
			if (!rd(w, pdea, &pde, 8)) {
				notes_init(&n, "      ", false);
				note(w, &n, true, "PASID directory entry %u @0x%llx cannot be read (%s)", i,
				     (unsigned long long)pdea, fault_str(0x50));
				if (w->json) {
					jopen(w, NULL, '{');
					juint(w, "index", i);
					jhex(w, "addr", pdea);
					notes_emit(w, &n);
					jclose(w, '}');
				} else {
					notes_emit(w, &n);
				}
				break;
			}
			if (!(pde & 1) && !w->has_pasid)
				continue;
			pasid_dir_entry(w, &d, i, pdea, pde);
		}
	}
	entry_end(w);
}

static void sm_bus(struct tw *w, uint64_t root, unsigned bus)
{
	uint64_t rea = root + bus * 16, re[2];
	if (!visit(w))
		return;
	if (!rd(w, rea, re, 16))
		return;
	if (!(re[0] & 1) && !(re[1] & 1) && !w->has_sid)
		return;
	struct notes n;
	notes_init(&n, "    ", false);
	static uint64_t ctab[2][512];
	bool usable[2];
	for (unsigned h = 0; h < 2; h++) {
		uint64_t half = re[h], ctp = half & ~0xfffull;
		usable[h] = half & 1;
		if (!usable[h])
			continue;
		if (half & (0xffeull | ~w->haw)) {
			note(w, &n, true, "%s half: reserved bits set (%s)", h ? "upper" : "lower",
			     fault_str(0x3a));
			usable[h] = false;
		} else if (!rd(w, ctp, ctab[h], 4096)) {
			note(w, &n, true, "%s context table at 0x%llx cannot be read (%s)",
			     h ? "upper" : "lower", (unsigned long long)ctp, fault_str(0x40));
			usable[h] = false;
		}
	}
	if (w->has_sid && !(re[(w->sid & 0xff) >= 128] & 1))
		note(w, &n, false, "%s half not present: DMA from %02x:%02x.%u faults (%s)",
		     (w->sid & 0xff) >= 128 ? "upper" : "lower", bus, (w->sid >> 3) & 0x1f, w->sid & 7,
		     fault_str(0x39));
	w->nbus++;
	root_entry_open(w, bus, rea, re);
	if (w->json) {
		for (unsigned h = 0; h < 2; h++) {
			jopen(w, h ? "upper" : "lower", '{');
			jbool(w, "present", re[h] & 1);
			jhex(w, "context_table", re[h] & ~0xfffull);
			jclose(w, '}');
		}
	} else {
		printf(" LP=%u lower table 0x%llx, UP=%u upper table 0x%llx\n",
		       (unsigned)(re[0] & 1), (unsigned long long)(re[0] & ~0xfffull),
		       (unsigned)(re[1] & 1), (unsigned long long)(re[1] & ~0xfffull));
	}
	entry_body(w, &n, "devices");
	unsigned d0, d1;
	select_range(w->has_sid, w->sid & 0xff, 256, &d0, &d1);
	for (unsigned devfn = d0; devfn <= d1 && !w->truncated; devfn++) {
		unsigned h = devfn >= 128;
		if (!usable[h])
			continue;
		if (!visit(w))
			break;
		const uint64_t *ce = &ctab[h][(devfn & 0x7f) * 4];
		if (!(ce[0] & 1) && !w->has_sid)
			continue;
		sm_device(w, bus, devfn, ce, (re[h] & ~0xfffull) + (devfn & 0x7f) * 32);
	}
	entry_end(w);
}

/* ---- verification -------------------------------------------------------------- */

static void run_verify(struct tw *w, uint64_t rtaddr, unsigned long *checked,
		       unsigned long *mismatches)
{
	*checked = *mismatches = 0;
	if (!w->nvq)
		return;
	uint64_t ram_size = 0;
	void *ram = memimage_flat(w->img, &ram_size);
	struct vtd_iommu_opts o = { .sz = sizeof(o), .mem = &memimage_ops, .mem_opaque = w->img,
				    .ram = ram, .ram_size = ram_size };
	struct vtd_iommu *iommu;
	struct vtd_error err;
	if (vtd_iommu_new(&w->cfg, &o, &iommu, &err)) {
		fprintf(stderr, "vtd tables: --verify: %s\n", err.msg);
		return;
	}
	vtd_iommu_mmio_write(iommu, VTD_REG_RTADDR, 8, rtaddr);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 30);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 31);
	for (size_t i = 0; i < w->nvq; i++) {
		const struct verify_item *v = &w->vq[i];
		/* a new root pointer drops every cached translation (ESRTPS):
		 * each check walks the tables afresh */
		vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 31 | 1u << 30);
		struct vtd_dma_request rq = { .sid = v->sid, .pasid_valid = v->pasid_valid,
					      .pasid = v->pasid, .addr = v->iova, .perm = v->want,
					      .priv = v->priv };
		struct vtd_translation t = { 0 };
		vtd_iommu_translate(iommu, &rq, &t);
		(*checked)++;
		bool ok = t.status == VTD_XLATE_OK && t.addr == v->out &&
			  (!v->cmp_perm || t.perm == v->perm);
		if (ok)
			continue;
		(*mismatches)++;
		w->errors++;
		char who[16];
		bdf_name(v->sid, who, sizeof(who));
		char got[96];
		if (t.status == VTD_XLATE_FAULT)
			snprintf(got, sizeof(got), "%s", fault_str(t.fault));
		else
			snprintf(got, sizeof(got), "0x%llx %s", (unsigned long long)t.addr,
				 perm_name(t.perm));
		if (w->json) {
			jopen(w, NULL, '{');
			jstr(w, "bdf", who);
			if (v->pasid_valid)
				juint(w, "pasid", v->pasid);
			jhex(w, "iova", v->iova);
			jhex(w, "expected", v->out);
			jstr(w, "got", got);
			jclose(w, '}');
		} else {
			printf("ERROR: verify: %s%s IOVA 0x%llx: the tables say 0x%llx %s, the "
			       "translation model gives %s\n", who, v->pasid_valid ? " with PASID" : "",
			       (unsigned long long)v->iova, (unsigned long long)v->out,
			       perm_name(v->perm), got);
		}
	}
	vtd_iommu_free(iommu);
}

/* ---- the command ---------------------------------------------------------------- */

static int run_tables(int argc, char **argv)
{
	enum { O_MEM = 256, O_RTADDR, O_SID, O_PASID, O_MAX, O_VERIFY };
	static const struct option opts[] = {
		{ "mem", required_argument, NULL, O_MEM },
		{ "rtaddr", required_argument, NULL, O_RTADDR },
		{ "config", required_argument, NULL, 'c' },
		{ "sid", required_argument, NULL, O_SID },
		{ "pasid", required_argument, NULL, O_PASID },
		{ "max-entries", required_argument, NULL, O_MAX },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static struct tw tw;
	struct tw *w = &tw;
	memset(w, 0, sizeof(*w));
	w->max_visit = DEFAULT_MAX_ENTRIES;
	const char *mem = NULL, *config = NULL;
	uint64_t rtaddr = 0;
	bool has_rt = false;
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:j", opts, NULL)) != -1) {
		switch (opt) {
		case O_MEM: mem = optarg; break;
		case 'c': config = optarg; break;
		case O_RTADDR:
			if (parse_hex_arg("tables", "--rtaddr", optarg, &rtaddr))
				return EXIT_USAGE;
			has_rt = true;
			break;
		case O_SID:
			if (parse_bdf_arg(optarg, &w->sid))
				return usage_error("tables", "--sid: '%s' is not BB:DD.F", optarg);
			w->has_sid = true;
			break;
		case O_PASID:
		case O_MAX: {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 0);
			bool bad = !*optarg || *end || errno || optarg[0] == '-';
			if (opt == O_PASID) {
				if (bad || v > 0xfffff)
					return usage_error("tables", "--pasid: '%s' is not a PASID (0 to "
							   "0xfffff)", optarg);
				w->pasid = (uint32_t)v;
				w->has_pasid = true;
			} else {
				if (bad || !v)
					return usage_error("tables", "--max-entries: '%s' is not a positive "
							   "number", optarg);
				w->max_visit = v;
			}
			break;
		}
		case O_VERIFY: w->verify = true; break;
		case 'j': w->json = true; break;
		default: return bad_option("tables", opt, optopt, argv, optind);
		}
	}
	if (optind < argc)
		return usage_error("tables", "unexpected argument '%s'", argv[optind]);
	if (!mem || !has_rt)
		return usage_error("tables", "--mem and --rtaddr are required");
	if (parse_config_arg("tables", config, &w->cfg))
		return EXIT_USAGE;
	unsigned ttm = (rtaddr >> 10) & 3;
	if (ttm == 1 && !w->cfg.scalable_mode)
		return usage_error("tables", "RTADDR 0x%llx selects scalable mode (bit 10): add "
				   "--config x-scalable-mode=on", (unsigned long long)rtaddr);
	if (w->has_pasid && ttm == 0)
		return usage_error("tables", "--pasid: RTADDR 0x%llx selects legacy mode, which has "
				   "no PASIDs", (unsigned long long)rtaddr);
	if (memimage_open("tables", mem, &w->img))
		return EXIT_USAGE;
	w->cap = vtd_caps_cap(&w->cfg);
	w->ecap = vtd_caps_ecap(&w->cfg);
	w->haw = (1ull << w->cfg.aw_bits) - 1;
	w->seen = calloc(MAX_SEEN, sizeof(*w->seen));
	w->dids = calloc(MAX_SEEN, sizeof(*w->dids));
	w->vq = w->verify ? calloc(MAX_VERIFY, sizeof(*w->vq)) : NULL;
	if (!w->seen || !w->dids || (w->verify && !w->vq)) {
		fprintf(stderr, "vtd tables: out of memory\n");
		free(w->seen);
		free(w->dids);
		free(w->vq);
		memimage_close(w->img);
		return EXIT_USAGE;
	}
	bool sm = ttm == 1;
	uint64_t root = rtaddr & w->haw & ~0xfffull;

	struct notes top;
	notes_init(&top, "", false);
	if (ttm >= 2)
		note(w, &top, true, "RTADDR.TTM=%u is %s (%s)", ttm,
		     ttm == 2 ? "reserved" : "abort-DMA mode, which ECAP.ADMS=0 does not offer",
		     fault_str(0x30));
	if (rtaddr & 0x3ff)
		note(w, &top, false, "RTADDR bits 9:0 are reserved and set (0x%llx)",
		     (unsigned long long)(rtaddr & 0x3ff));
	if (rtaddr & ~w->haw)
		note(w, &top, false, "RTADDR bits above the %u-bit address width are ignored",
		     w->cfg.aw_bits);
	if (!w->cfg.dma_translation)
		note(w, &top, false, "dma-translation=off: the guest cannot enable translation, "
		     "these tables are not used");
	static uint64_t probe[512];
	bool root_ok = ttm < 2 && rd(w, root, probe, 4096);
	if (ttm < 2 && !root_ok)
		note(w, &top, true, "root table at 0x%llx cannot be read (%s)",
		     (unsigned long long)root, fault_str(sm ? 0x38 : 0x08));

	if (w->json) {
		w->first[0] = true;
		jopen(w, NULL, '{');
		jstr(w, "image", mem);
		jstr(w, "format", memimage_format(w->img));
		jhex(w, "rtaddr", rtaddr);
		jstr(w, "mode", sm ? "scalable" : "legacy");
		jhex(w, "root_table", root);
		juint(w, "aw_bits", w->cfg.aw_bits);
		jhex(w, "cap", w->cap);
		jhex(w, "ecap", w->ecap);
		notes_emit(w, &top);
		jopen(w, "buses", '[');
	} else {
		printf("%s mode, root table 0x%llx (RTADDR 0x%llx); %s image, aw-bits %u, SAGAW 0x%x\n",
		       sm ? "scalable" : "legacy", (unsigned long long)root,
		       (unsigned long long)rtaddr, memimage_format(w->img), w->cfg.aw_bits,
		       (unsigned)vtd_cap_sagaw(w->cap));
		notes_emit(w, &top);
	}
	if (root_ok) {
		unsigned b0, b1;
		select_range(w->has_sid, w->sid >> 8, 256, &b0, &b1);
		for (unsigned bus = b0; bus <= b1 && !w->truncated; bus++) {
			if (sm)
				sm_bus(w, root, bus);
			else
				legacy_bus(w, root, bus);
		}
	}
	unsigned long checked = 0, mism = 0;
	if (w->json) {
		jclose(w, ']');
		if (w->verify) {
			jopen(w, "verify_mismatches", '[');
			run_verify(w, rtaddr, &checked, &mism);
			jclose(w, ']');
		}
		jopen(w, "summary", '{');
		juint(w, "buses", w->nbus);
		juint(w, "devices", w->ndev);
		juint(w, "pasid_entries", w->npasid);
		juint(w, "ranges", w->nranges);
		juint(w, "errors", w->errors);
		juint(w, "warnings", w->warnings);
		juint(w, "entries_visited", w->visited);
		juint(w, "max_entries", w->max_visit);
		jbool(w, "truncated", w->truncated);
		if (w->verify) {
			juint(w, "verified", checked);
			juint(w, "verify_skipped", w->vq_skipped);
			juint(w, "verify_mismatches", mism);
		}
		jclose(w, '}');
		jclose(w, '}');
		putchar('\n');
	} else {
		if (w->truncated)
			printf("WARNING: walk stopped after %llu entries (--max-entries): the output is "
			       "incomplete\n", (unsigned long long)w->max_visit);
		if (w->verify) {
			run_verify(w, rtaddr, &checked, &mism);
			printf("verify: %lu range%s checked against the translation model, %lu "
			       "mismatch%s%s\n", checked, checked == 1 ? "" : "s", mism,
			       mism == 1 ? "" : "es", w->vq_skipped ? " (some not checkable)" : "");
		}
#define PL(x) ((x) == 1 ? "" : "s")
		printf("summary: %lu bus%s, %lu device%s, %lu PASID entr%s, %lu range%s; %lu error%s, "
		       "%lu warning%s; %llu entries visited%s\n", w->nbus, w->nbus == 1 ? "" : "es",
		       w->ndev, PL(w->ndev), w->npasid, w->npasid == 1 ? "y" : "ies", w->nranges,
		       PL(w->nranges), w->errors, PL(w->errors), w->warnings, PL(w->warnings),
		       (unsigned long long)w->visited, w->truncated ? " (truncated)" : "");
#undef PL
	}
	free(w->seen);
	free(w->dids);
	free(w->vq);
	memimage_close(w->img);
	return (w->errors || w->truncated) ? EXIT_NEGATIVE : EXIT_OK;
}

const struct subcommand cmd_tables = {
	.name = "tables",
	.summary = "dump a guest's remapping tables and mappings from a memory image",
	.usage =
		"Usage: vtd tables --mem IMAGE --rtaddr HEX [--config PROPS] [--sid BB:DD.F]\n"
		"                  [--pasid N] [--max-entries N] [--verify] [--json]\n\n"
		"Everything the guest's DMA-remapping structures say, read from a memory image\n"
		"(raw or ELF core, as for translate): every present root and context entry,\n"
		"in scalable mode the PASID directory and table entries (PGTT, DID, pointers),\n"
		"and the mappings of each address space coalesced into ranges\n"
		"(IOVA range -> address range, page size x count, permissions).  Reserved bits\n"
		"and other programming errors are flagged where they are, with the fault a DMA\n"
		"would get.  An address space shared by several devices is listed once.\n\n"
		"  --rtaddr HEX       RTADDR as programmed (bit 10: scalable mode, which needs\n"
		"                     --config x-scalable-mode=on)\n"
		"  --sid, --pasid     only this device / PASID (shown even when not present)\n"
		"  --max-entries N    stop after examining N entries (default 4194304): bounds\n"
		"                     self-referencing and huge tables; the output says so\n"
		"  --verify           check the first address of every range with the library's\n"
		"                     translation and report any disagreement\n\n"
		"Exit status: 0 no errors found, 1 errors flagged or the walk was cut short,\n"
		"2 usage error.\n",
	.run = run_tables,
};
