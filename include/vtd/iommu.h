/* SPDX-License-Identifier: MIT */
/*
 * libvtd: the vIOMMU object, its register window, and the callbacks through
 * which it reaches guest memory and raises interrupts.
 *
 * Threading: MMIO accesses and invalidations are serialised inside the
 * object (one internal mutex); they may come from any thread.  Callbacks
 * (struct vtd_mem_ops, struct vtd_event_ops, notifiers, ram_dirty) may be
 * invoked with that mutex held and must not call back into the same
 * object.  A callback that does so anyway (a guest whose tables or queue
 * point at MMIO, and the VMM dispatches the read into this object's own
 * window, or into a device whose DMA translates through it) is refused
 * rather than deadlocked: while the library runs a callback of an object,
 * that object's entry points called on the same thread return -EDEADLK and
 * change nothing (vtd_iommu_mmio_read() then yields 0; functions returning
 * void do nothing).  The callback should then fail, and the walk or queue
 * that called it reports what the architecture says for memory it cannot
 * read (a translation fault, IQE...).  Covered: vtd_iommu_mmio_read/write,
 * vtd_iommu_translate (except that a request the IOTLB answers on its
 * lock-free fast path is still answered), vtd_iommu_ats_translate,
 * vtd_iommu_page_request, vtd_iommu_remap_msi, the notifier and host
 * (nested translation) calls, save, load and reset.  Other objects may be
 * called, and other threads are simply serialised.  irq_inval is the
 * exception: it runs with no lock held and may call back on purpose.
 */
#ifndef VTD_IOMMU_H
#define VTD_IOMMU_H

#include <vtd/config.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vtd_iommu;

/*
 * Guest physical memory, as the IOMMU sees it when it walks tables, writes
 * fault records or status words.  Return 0, or a negative errno when the
 * range is not memory (the IOMMU then reports the architected fault).
 */
struct vtd_mem_ops {
	int (*read)(void *opaque, uint64_t gpa, void *buf, size_t len);
	int (*write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
	/* Optional: atomically replace the 8 bytes at gpa with desired if they
	 * equal *expected; else store what is there in *expected and return
	 * -EAGAIN.  Used outside the flat RAM for accessed/dirty bits and
	 * posted-interrupt descriptors (PIR bit, ON), retried at most 64 times
	 * per update; without it those updates are a read followed by a
	 * write, which a guest CPU updating the same word can undo. */
	int (*cmpxchg64)(void *opaque, uint64_t gpa, uint64_t *expected, uint64_t desired);
};

/* A device-TLB invalidation for a device (ATS Invalidate Request). */
struct vtd_devtlb_inval {
	uint16_t sid;
	bool pasid_valid;
	uint32_t pasid;
	bool global;           /* PASID-based: all PASIDs' global entries too */
	uint64_t addr;         /* start, aligned to size */
	uint64_t size;         /* bytes (decoded from the S bit); ~0 for all */
};

/* Things the IOMMU tells the VMM. */
struct vtd_event_ops {
	/* The IOMMU raises an interrupt (fault event, invalidation
	 * completion, page request event): a 32-bit-data MSI write. */
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);
	/* Optional: invalidate a device's ATC.  Returning means the device
	 * completed it: a wait descriptor behind it completes only then. */
	void (*devtlb_inval)(void *opaque, const struct vtd_devtlb_inval *inv);
	/* Optional: the guest answered a page request group (PRG response
	 * code: 0 success, 1 invalid request, 0xf response failure). */
	void (*page_response)(void *opaque, uint16_t sid, bool pasid_valid, uint32_t pasid,
			      uint16_t prg_index, uint8_t code);
};

/* Options for vtd_iommu_new(); set .sz = sizeof(struct vtd_iommu_opts) so
 * the structure can grow without breaking callers (as libbpf does). */
struct vtd_iommu_opts {
	size_t sz;
	const struct vtd_mem_ops *mem;
	void *mem_opaque;
	const struct vtd_event_ops *events;
	void *event_opaque;
	/* Optional flat guest RAM from guest physical 0: the hot path reads
	 * tables straight from it and uses mem only outside it. */
	void *ram;
	uint64_t ram_size;
	/* Cache capacities in entries (0: defaults, 16384 and 4096).  A full
	 * cache evicts one entry at a time, never flushes.  The IOTLB is
	 * set-associative: its capacity is rounded up to whole bucket pairs
	 * (multiples of 6; vtd_iommu_stats.iotlb_capacity says the result),
	 * and an entry competes only with the 5 others of its pair. */
	uint32_t iotlb_entries;
	uint32_t pasid_cache_entries;
	/* Optional (added with LIBVTD_0.3): the guest invalidated
	 * interrupt-remapping entries; called with event_opaque so the VMM
	 * can rebuild what it derived from them (KVM MSI routes, I/O APIC
	 * routes).  index and count name the IRTE indexes [index, index +
	 * count) that may have changed: for an index-selective interrupt
	 * entry cache descriptor, the index aligned down to 2^IM and count
	 * 2^IM.  global (index 0, count 65536) for a global descriptor,
	 * SIRTP (a table latched from IRTA) and a change of GCMD.IRE or
	 * GCMD.CFI.  Several invalidations of one register write may come
	 * as one call covering them all (possibly global); none is lost.
	 * Reset and vtd_iommu_load() do not call it.  Called from
	 * vtd_iommu_mmio_write() after the object's lock is released and
	 * before it returns, on its thread, so it may call into the object,
	 * vtd_iommu_remap_msi() above all. */
	void (*irq_inval)(void *opaque, bool global, uint32_t index, uint32_t count);
	/* Optional (added with LIBVTD_0.3): the library wrote [gpa, gpa +
	 * len) of the flat ram (paging-entry accessed/dirty flags,
	 * posted-interrupt descriptors, invalidation wait status, page
	 * requests), which the VMM's dirty tracking cannot see; called with
	 * event_opaque after each write that changed memory (an atomic
	 * update that found the bits already set is not one).  Writes
	 * through mem->write are not reported: the VMM sees those.  May run
	 * on any thread, with the object's lock held or during a
	 * translation: it must not call back into the object (refused with
	 * -EDEADLK, see Threading). */
	void (*ram_dirty)(void *opaque, uint64_t gpa, uint64_t len);
};

/*
 * Create a vIOMMU for a configuration (validated here; on failure -EINVAL
 * and every problem in *err).  The configuration is copied.
 */
VTD_API int vtd_iommu_new(const struct vtd_config *cfg, const struct vtd_iommu_opts *opts,
			  struct vtd_iommu **out, struct vtd_error *err);
VTD_API void vtd_iommu_free(struct vtd_iommu *iommu);
/* Power-on reset: every register to its reset value, caches emptied. */
VTD_API void vtd_iommu_reset(struct vtd_iommu *iommu);
/* The configuration the object was made with (auto values resolved). */
VTD_API const struct vtd_config *vtd_iommu_config(const struct vtd_iommu *iommu);

/*
 * Register window access, offset from the window base (VTD_MMIO_SIZE
 * bytes).  size is 4 or 8 and offset a multiple of size, as the spec
 * requires of software; anything else returns -EINVAL (a read then yields
 * 0) and changes nothing.  Offsets with no register read 0 and ignore
 * writes, as reserved registers do.  -EDEADLK from inside one of the
 * object's callbacks (see Threading; a read then yields 0).
 */
#define VTD_MMIO_WINDOW 0x1000
VTD_API int vtd_iommu_mmio_read(struct vtd_iommu *iommu, uint64_t offset, unsigned size,
				uint64_t *value);
VTD_API int vtd_iommu_mmio_write(struct vtd_iommu *iommu, uint64_t offset, unsigned size,
				 uint64_t value);

/* ---- DMA translation ---------------------------------------------------- */

/* Access rights, in requests and results. */
#define VTD_PERM_R 1u
#define VTD_PERM_W 2u
#define VTD_PERM_X 4u

/* PCIe address type of a request. */
enum vtd_at {
	VTD_AT_UNTRANSLATED = 0,
	VTD_AT_TRANSLATION_REQ = 1, /* ATS translation request */
	VTD_AT_TRANSLATED = 2,      /* ATS-translated request */
};

struct vtd_dma_request {
	uint16_t sid;          /* requester id: bus << 8 | dev << 3 | fn */
	bool pasid_valid;      /* request carries a PASID TLP prefix */
	uint32_t pasid;        /* 20 bits */
	uint64_t addr;         /* input address (IOVA, or GVA with PASID) */
	unsigned perm;         /* VTD_PERM_*: what the request does */
	bool priv;             /* privileged (supervisor) request */
	enum vtd_at at;
};

enum vtd_xlate_status {
	VTD_XLATE_OK = 0,
	VTD_XLATE_FAULT = 1,      /* blocked; fault reason in .fault */
	VTD_XLATE_INTERRUPT = 2,  /* a write to 0xFEEx_xxxx without PASID: an MSI */
};

/* One step of a walk, for people (vtd translate --explain). */
struct vtd_trace_step {
	char what[32];         /* "root entry", "context entry", "SS L4 entry"... */
	uint64_t addr;         /* where it was read (guest physical) */
	uint64_t val[4];       /* what was read (1, 2 or 4 qwords) */
	unsigned nval;
	char note[160];        /* what it meant */
};
#define VTD_TRACE_MAX 48
struct vtd_trace {
	unsigned n;
	struct vtd_trace_step step[VTD_TRACE_MAX];
};

struct vtd_translation {
	enum vtd_xlate_status status;
	uint64_t addr;         /* output address of the request's address */
	uint64_t page_size;    /* size of the page that mapped it */
	unsigned perm;         /* VTD_PERM_* the mapping grants */
	uint16_t did;          /* domain id of the mapping */
	uint8_t fault;         /* fault reason (enum vtd_fault_reason) when blocked */
	bool fault_recorded;   /* false when suppressed (FPD) or overflowed */
	const char *fault_name;/* spec condition, e.g. "LRT.2", "SFS.2" */
	struct vtd_trace *trace; /* set by the caller to get a trace, else NULL */
};

/*
 * Translate one DMA request as the VT-d hardware would, reading the
 * guest's tables through the memory callbacks.  Returns 0 when the request
 * may proceed (result->status OK or INTERRUPT), -EACCES when it is blocked
 * (result->status FAULT, the fault recorded and signalled as the spec
 * says), -EINVAL for bad arguments, -EDEADLK from inside one of the
 * object's callbacks when the request would walk the tables (see
 * Threading; result->status is then FAULT with fault 0).  Thread-safe:
 * many translations may run at once, alongside MMIO.
 */
VTD_API int vtd_iommu_translate(struct vtd_iommu *iommu, const struct vtd_dma_request *req,
				struct vtd_translation *result);

/* ---- ATS and page requests (device-iotlb=on, svm=on) ----------------------- */

struct vtd_ats_request {
	uint16_t sid;
	bool pasid_valid;
	uint32_t pasid;
	uint64_t addr;
	bool no_write;         /* NW: the device will not write (no dirty update) */
	bool priv;
	bool exec;
};

/* PCIe completion status of a translation request */
enum vtd_ats_status {
	VTD_ATS_SUCCESS = 0,
	VTD_ATS_UR = 1,        /* unsupported request: ATS not enabled, bad structure */
	VTD_ATS_CA = 4,        /* completer abort: the IOMMU could not read its tables */
};

struct vtd_ats_completion {
	enum vtd_ats_status status;
	uint64_t addr;         /* translated address with the size encoding (S) */
	uint64_t size;         /* bytes the translation covers (4 KiB .. 1 GiB) */
	bool s;                /* size field: translation larger than 4 KiB */
	bool r, w;             /* both 0: no access (not present, no permission) */
	bool u;                /* untranslated access only (e.g. the MSI range) */
	bool n;                /* non-snooped */
	bool priv, exe;
	uint8_t fault;         /* the translation's fault reason when r = w = 0 or UR/CA */
};

/*
 * Answer an ATS Translation Request as the hardware would: a completion
 * with the translated address and size, R/W and U, or UR/CA.  No fault is
 * recorded for translation requests (the device learns from the
 * completion).  Returns 0, -EINVAL on bad arguments, or -EDEADLK from
 * inside one of the object's callbacks (cpl->status CA).
 */
VTD_API int vtd_iommu_ats_translate(struct vtd_iommu *iommu, const struct vtd_ats_request *req,
				    struct vtd_ats_completion *cpl);

struct vtd_page_request {
	uint16_t sid;
	bool pasid_valid;
	uint32_t pasid;
	uint64_t addr;         /* page address */
	bool read, write, exec, priv;
	bool last;             /* last page in group (LPIG) */
	uint16_t prg_index;    /* page request group, 9 bits */
};

/*
 * A device's Page Request (PRI): write it into the guest's page request
 * queue and raise the page request event.  Returns 0 when queued,
 * -ENOSPC when the queue was full (PRS.PRO set; a last-in-group request
 * is answered with Success on the guest's behalf through page_response),
 * -EPERM when the device may not make page requests (legacy mode: RTA.3;
 * PRE=0: SCT.8 recorded; ECAP.PRS=0), -EINVAL on bad arguments, -EDEADLK
 * from inside one of the object's callbacks.
 */
VTD_API int vtd_iommu_page_request(struct vtd_iommu *iommu, const struct vtd_page_request *req);

/* ---- interrupt remapping --------------------------------------------------- */

/* What an MSI becomes. */
struct vtd_irq {
	bool blocked;          /* true: not delivered; fault reason below */
	uint8_t fault;         /* interrupt-remapping fault reason (enum vtd_fault_reason, 20h-29h) */
	bool fault_recorded;
	const char *fault_name;
	bool remapped;         /* false: passed through unchanged */
	uint16_t index;        /* IRTE index (remapped or posted) */
	uint64_t addr;         /* the MSI to deliver (posted: the notification) */
	uint32_t data;
	uint32_t dest;         /* destination APIC id (x2APIC: 32 bits); posted: NDST */
	uint8_t vector;        /* posted: the virtual vector (IRTE.VV) */
	uint8_t delivery_mode; /* 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT */
	bool dest_logical;
	bool redir_hint;
	bool level;            /* level-triggered */
	/* Added in the former tail padding (size and offsets unchanged). */
	bool posted;           /* posted into the guest's posted-interrupt descriptor */
	bool notify;           /* posted: addr/data is a notification event to deliver */
	bool urgent;           /* posted: IRTE.URG */
};

/*
 * Remap an MSI (a DWORD write to 0xFEEx_xxxx) from a device, as the
 * interrupt-remapping hardware would: pass it through when remapping is off
 * (or a compatibility-format interrupt is allowed by GCMD.CFI), otherwise
 * look up, validate and apply the IRTE.  Returns 0 (deliver out->addr /
 * out->data), -EACCES when blocked (out->fault; recorded as the spec says),
 * -EINVAL on bad arguments, -EDEADLK from inside one of the object's
 * callbacks (out->blocked; irq_inval is not one: it may call this).
 * Thread-safe; IRTEs are cached and invalidated by interrupt-entry-cache
 * descriptors (irq_inval tells the VMM).
 *
 * sid is the requester id of the interrupt's source.  Interrupts that carry
 * none, from the I/O APIC (and an HPET, which q35 does not report), are
 * remapped with the requester id the DMAR table gives their source's device
 * scope: the I/O APIC's is VTD_Q35_IOAPIC_SID (ff:00.0), what QEMU's q35
 * reports and vtd_acpi_dmar() writes unless told otherwise (<vtd/acpi.h>).
 * The guest programs source-id verification (IRTE SVT/SQ/SID) from that
 * table, so the two must agree.
 *
 * Posted interrupts (x-pi=on: CAP.PI=1; without it, as in QEMU, a posted
 * IRTE is reserved, 24h): for a posted-format IRTE the library sets the
 * vector's bit in the posted-interrupt descriptor's PIR and, when ON was
 * clear and SN clear or URG set, sets ON, atomically against the guest (see
 * struct vtd_mem_ops).  It returns 0 with out->posted and out->remapped
 * set, out->vector the virtual vector and out->urgent the IRTE's URG.  If
 * out->notify, out->addr / out->data are the notification event the VMM
 * must deliver (vector NV to NDST, fixed, edge, physical, in the same MSI
 * encoding as a remapped interrupt); otherwise the VMM delivers nothing
 * (addr and data are 0).  Descriptor faults: 27h when it cannot be
 * accessed, 28h for reserved bits.  The descriptor is never cached.
 */
VTD_API int vtd_iommu_remap_msi(struct vtd_iommu *iommu, uint16_t sid, uint64_t addr,
				uint32_t data, struct vtd_irq *out);

/* ---- shadowing notifiers (caching mode) ----------------------------------
 *
 * A VMM that must mirror the guest's mappings elsewhere (vhost, a legacy
 * VFIO container: what caching-mode=on is for) registers a notifier for a
 * device.  After every invalidation that covers the device's domain, the
 * library walks the guest's tables over the invalidated range and reports
 * the difference from what it reported before: unmap for ranges that went
 * away or changed, map for new ones.  vtd_iommu_notifier_replay() reports
 * the whole address space (e.g. when the VMM attaches a new backend).
 *
 * Second-stage (legacy, and scalable PGTT=010b) and pass-through spaces are
 * shadowed; first-stage and nested spaces are not (with x-flts the host
 * walks them itself).  Work is bounded: a sync visits at most
 * VTD_NOTIFY_MAX_VISIT table entries; beyond that the notifier's error
 * callback is told and the shadow stays as far as it got.
 * Callbacks run with the object's lock held: they must not call back into
 * the same vIOMMU (refused with -EDEADLK; notifier_del then does nothing).
 */
#define VTD_NOTIFY_MAX_VISIT (1u << 22)
struct vtd_notifier;
struct vtd_notifier_ops {
	void (*map)(void *opaque, uint64_t iova, uint64_t size, uint64_t addr, unsigned perm);
	void (*unmap)(void *opaque, uint64_t iova, uint64_t size);
	void (*error)(void *opaque, const char *why);   /* optional */
};
/* Watch the address space of a device (RID_PASID in scalable mode). */
VTD_API int vtd_iommu_notifier_add(struct vtd_iommu *iommu, uint16_t sid,
				   const struct vtd_notifier_ops *ops, void *opaque,
				   struct vtd_notifier **out);
VTD_API void vtd_iommu_notifier_del(struct vtd_iommu *iommu, struct vtd_notifier *n);
/* Report every current mapping (after unmapping what was reported before). */
VTD_API int vtd_iommu_notifier_replay(struct vtd_iommu *iommu, struct vtd_notifier *n);

/* ---- save / restore (migration) -------------------------------------------- */

/*
 * Serialise the guest-visible state (registers, latched pointers, queue and
 * fault positions) into buf, a versioned little-endian format with a CRC.
 * Returns the size needed (call with len 0 to ask), or a negative errno
 * (-EDEADLK from inside one of the object's callbacks); the buffer is
 * complete only when the return value is <= len.
 */
VTD_API long vtd_iommu_save(struct vtd_iommu *iommu, void *buf, size_t len);
/*
 * Restore a saved state into an instance with the same configuration.  A
 * truncated, corrupted, inconsistent or newer-version state is refused with
 * a message in *err and leaves the instance unchanged (-EDEADLK from inside
 * one of the object's callbacks).
 */
VTD_API int vtd_iommu_load(struct vtd_iommu *iommu, const void *buf, size_t len,
			   struct vtd_error *err);

/* Cache and invalidation counters (relaxed snapshots).  A translation on
 * the fast path (its device's context, and the PASID entry it uses, decoded
 * before) counts a context hit and an IOTLB hit or miss, no PASID-cache
 * lookup. */
struct vtd_iommu_stats {
	uint64_t iotlb_hits, iotlb_misses, iotlb_inserts, iotlb_evictions, iotlb_invalidated;
	uint64_t iotlb_entries, iotlb_capacity;
	uint64_t pasid_hits, pasid_misses, pasid_entries;
	uint64_t context_hits, context_misses, context_invalidated;
	uint64_t qi_descriptors[16];   /* processed, by descriptor type */
};
VTD_API void vtd_iommu_get_stats(struct vtd_iommu *iommu, struct vtd_iommu_stats *stats);

/*
 * Fault reasons (VT-d spec 7.1.3, "Fault Reason Encodings"), named by the
 * spec's fault conditions (LRT.2: legacy root-table condition 2...), as
 * vtd_translation.fault, vtd_irq.fault and the FRCD registers carry them.
 */
enum vtd_fault_reason {
	VTD_FR_LRT_2   = 0x01, /* root entry not present */
	VTD_FR_LCT_2   = 0x02, /* context entry not present */
	VTD_FR_LCT_4   = 0x03, /* invalid context entry (translation type or address width) */
	VTD_FR_LGN_1   = 0x04, /* input address beyond the address width */
	VTD_FR_LGN_2   = 0x05, /* write to a page without write permission */
	VTD_FR_LGN_3   = 0x06, /* read from a page without read permission */
	VTD_FR_LSL_1   = 0x07, /* error reading a second-stage paging entry */
	VTD_FR_LRT_1   = 0x08, /* error reading the root entry */
	VTD_FR_LCT_1   = 0x09, /* error reading the context entry */
	VTD_FR_LRT_3   = 0x0a, /* reserved field set in the root entry */
	VTD_FR_LCT_3   = 0x0b, /* reserved field set in the context entry */
	VTD_FR_LSL_2   = 0x0c, /* reserved field set in a second-stage paging entry */
	VTD_FR_LCT_5   = 0x0d, /* translation or translated request blocked by the translation type */
	VTD_FR_LGN_4   = 0x0e, /* output address in the interrupt range */
	VTD_FR_IR_0    = 0x20, /* reserved field set in a remappable interrupt request */
	VTD_FR_IR_1    = 0x21, /* interrupt index beyond the interrupt remapping table size */
	VTD_FR_IR_2    = 0x22, /* interrupt remapping table entry not present */
	VTD_FR_IR_3    = 0x23, /* error reading the interrupt remapping table */
	VTD_FR_IR_4    = 0x24, /* reserved field set in a present IRTE (a posted one without CAP.PI) */
	VTD_FR_IR_5    = 0x25, /* compatibility-format interrupt blocked */
	VTD_FR_IR_6    = 0x26, /* source-id check failed (IRTE SVT/SQ/SID) */
	VTD_FR_IR_7    = 0x27, /* error reading the posted-interrupt descriptor */
	VTD_FR_IR_8    = 0x28, /* reserved field set in the posted-interrupt descriptor */
	VTD_FR_IR_9    = 0x29, /* interrupt request with PASID */
	VTD_FR_RTA_1   = 0x30, /* invalid root table address or translation table mode */
	VTD_FR_RTA_2   = 0x31, /* request with PASID in legacy mode */
	VTD_FR_RTA_3   = 0x32, /* page request in legacy mode */
	VTD_FR_SRT_1   = 0x38, /* error reading the scalable-mode root entry */
	VTD_FR_SRT_2   = 0x39, /* scalable-mode root entry not present */
	VTD_FR_SRT_3   = 0x3a, /* reserved field set in the scalable-mode root entry */
	VTD_FR_SCT_1   = 0x40, /* error reading the scalable-mode context entry */
	VTD_FR_SCT_2   = 0x41, /* scalable-mode context entry not present */
	VTD_FR_SCT_3   = 0x42, /* reserved field set in the scalable-mode context entry */
	VTD_FR_SCT_4   = 0x43, /* invalid scalable-mode context entry */
	VTD_FR_SCT_5   = 0x44, /* translation or translated request with device-TLB disabled (DTE=0) */
	VTD_FR_SCT_6   = 0x45, /* request with PASID while PASIDs are disabled (PASIDE=0) */
	VTD_FR_SCT_7   = 0x46, /* PASID beyond the PASID directory size (PDTS) */
	VTD_FR_SCT_8   = 0x47, /* page request with page requests disabled (PRE=0) */
	VTD_FR_SCT_9   = 0x48, /* RID_PASID beyond the PASID directory size (PDTS) */
	VTD_FR_SPD_1   = 0x50, /* error reading the PASID directory entry */
	VTD_FR_SPD_2   = 0x51, /* PASID directory entry not present */
	VTD_FR_SPD_3   = 0x52, /* reserved field set in the PASID directory entry */
	VTD_FR_SPT_1   = 0x58, /* error reading the PASID table entry */
	VTD_FR_SPT_2   = 0x59, /* PASID table entry not present */
	VTD_FR_SPT_3   = 0x5a, /* reserved field set in the PASID table entry */
	VTD_FR_SPT_4   = 0x5b, /* invalid PASID table entry (PGTT, address width or paging mode) */
	VTD_FR_SPT_5   = 0x5c, /* execute request with execute requests disabled (ERE=0) */
	VTD_FR_SPT_6   = 0x5d, /* supervisor request with supervisor requests disabled (SRE=0) */
	VTD_FR_SFL_1   = 0x70, /* error reading a first-stage paging entry */
	VTD_FR_SFL_2   = 0x71, /* first-stage paging entry not present */
	VTD_FR_SFL_3   = 0x72, /* reserved field set in a first-stage paging entry */
	VTD_FR_SFL_4   = 0x73, /* invalid first-stage table pointer (FSPTPTR) */
	VTD_FR_SFL_5   = 0x74, /* nested: first-stage table address beyond the second stage's width */
	VTD_FR_SFL_6   = 0x75, /* nested: no read permission on the first-stage root table */
	VTD_FR_SFL_7   = 0x76, /* nested: no read permission on a first-stage paging entry */
	VTD_FR_SFL_8   = 0x77, /* nested: no write permission to update a first-stage A/D flag */
	VTD_FR_SSL_1   = 0x78, /* error reading a second-stage paging entry */
	VTD_FR_SSL_2   = 0x79, /* second-stage paging entry not present (R=W=0) */
	VTD_FR_SSL_3   = 0x7a, /* reserved field set in a second-stage paging entry */
	VTD_FR_SSL_4   = 0x7b, /* invalid second-stage table pointer (SSPTPTR) */
	VTD_FR_SSL_5   = 0x7c, /* second-stage accessed/dirty update needed on a non-snooped walk */
	VTD_FR_SSL_6   = 0x7d, /* second-stage accessed/dirty flag update failed */
	VTD_FR_SGN_1   = 0x80, /* input address not canonical */
	VTD_FR_SGN_2   = 0x81, /* user request to a supervisor page */
	VTD_FR_SGN_3   = 0x82, /* execute request to a page without execute permission */
	VTD_FR_SGN_4   = 0x83, /* input address beyond the address width */
	VTD_FR_SGN_5   = 0x84, /* input address beyond the second stage's width */
	VTD_FR_SGN_6   = 0x85, /* write to a page without write permission */
	VTD_FR_SGN_7   = 0x86, /* read from a page without read permission */
	VTD_FR_SGN_8   = 0x87, /* output address in the interrupt range */
	VTD_FR_SFL_9   = 0x90, /* first-stage accessed/dirty update needed on a non-snooped walk */
	VTD_FR_SFL_10  = 0x91, /* first-stage accessed/dirty flag update failed */
};

/* Spec condition name and a short meaning of a DMA fault reason code. */
VTD_API const char *vtd_fault_name(uint8_t reason);
VTD_API const char *vtd_fault_desc(uint8_t reason);

/* Register offsets a VMM or test may name (spec names). */
enum vtd_reg {
	VTD_REG_VER = 0x000, VTD_REG_CAP = 0x008, VTD_REG_ECAP = 0x010,
	VTD_REG_GCMD = 0x018, VTD_REG_GSTS = 0x01c, VTD_REG_RTADDR = 0x020,
	VTD_REG_CCMD = 0x028, VTD_REG_FSTS = 0x034, VTD_REG_FECTL = 0x038,
	VTD_REG_FEDATA = 0x03c, VTD_REG_FEADDR = 0x040, VTD_REG_FEUADDR = 0x044,
	VTD_REG_AFLOG = 0x058, VTD_REG_PMEN = 0x064, VTD_REG_PLMBASE = 0x068,
	VTD_REG_PLMLIMIT = 0x06c, VTD_REG_PHMBASE = 0x070, VTD_REG_PHMLIMIT = 0x078,
	VTD_REG_IQH = 0x080, VTD_REG_IQT = 0x088, VTD_REG_IQA = 0x090,
	VTD_REG_ICS = 0x09c, VTD_REG_IECTL = 0x0a0, VTD_REG_IEDATA = 0x0a4,
	VTD_REG_IEADDR = 0x0a8, VTD_REG_IEUADDR = 0x0ac, VTD_REG_IQERCD = 0x0b0,
	VTD_REG_IRTA = 0x0b8, VTD_REG_PQH = 0x0c0, VTD_REG_PQT = 0x0c8,
	VTD_REG_PQA = 0x0d0, VTD_REG_PRS = 0x0dc, VTD_REG_PECTL = 0x0e0,
	VTD_REG_PEDATA = 0x0e4, VTD_REG_PEADDR = 0x0e8, VTD_REG_PEUADDR = 0x0ec,
	VTD_REG_IVA = 0x0f0, VTD_REG_IOTLB = 0x0f8, VTD_REG_FRCD = 0x220,
};

/* Name of the register at an offset ("GCMD", "FRCD0_HI"...), or NULL. */
VTD_API const char *vtd_reg_name(uint64_t offset);

#ifdef __cplusplus
}
#endif
#endif
