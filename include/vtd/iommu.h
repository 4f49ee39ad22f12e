/* SPDX-License-Identifier: MIT */
/*
 * libvtd: the vIOMMU object, its register window, and the callbacks through
 * which it reaches guest memory and raises interrupts.
 *
 * Threading: MMIO accesses and invalidations are serialised inside the
 * object (one internal mutex); they may come from any thread.  Callbacks are
 * invoked with that mutex held and must not call back into the same object.
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
};

/* Things the IOMMU tells the VMM. */
struct vtd_event_ops {
	/* The IOMMU raises an interrupt (fault event, invalidation
	 * completion, page request event): a 32-bit-data MSI write. */
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);
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
 * writes, as reserved registers do.
 */
#define VTD_MMIO_WINDOW 0x1000
VTD_API int vtd_iommu_mmio_read(struct vtd_iommu *iommu, uint64_t offset, unsigned size,
				uint64_t *value);
VTD_API int vtd_iommu_mmio_write(struct vtd_iommu *iommu, uint64_t offset, unsigned size,
				 uint64_t value);

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
