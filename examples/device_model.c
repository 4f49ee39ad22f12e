/* SPDX-License-Identifier: MIT */
/*
 * The smallest useful embedding: a VMM's device model with a vIOMMU.
 *
 *  1. create a vIOMMU from QEMU-style properties and give it guest RAM;
 *  2. forward the guest's MMIO writes to its register window (here we play
 *     the guest ourselves and program a root table, a context table and a
 *     second-stage page table);
 *  3. translate each device DMA before touching guest memory;
 *  4. get told about faults through the event callback (the fault MSI).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vtd/vtd.h>

#define RAM_SIZE (16u << 20)
static uint8_t *ram;              /* guest physical memory, from address 0 */

/* The IOMMU raises an interrupt (here: a fault event). A VMM would inject
 * it into the guest; we print it. */
static void on_msi(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	printf("  interrupt from the IOMMU: address 0x%llx data 0x%x\n",
	       (unsigned long long)addr, data);
}

/* What the guest does: write 64-bit table entries into its memory. */
static void guest_write64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, sizeof(v));
}

/* What the VMM does when the guest touches the register window. */
static void mmio_write(struct vtd_iommu *iommu, uint64_t off, unsigned size, uint64_t v)
{
	if (vtd_iommu_mmio_write(iommu, off, size, v))
		fprintf(stderr, "bad register access at 0x%llx\n", (unsigned long long)off);
}

/* A device model doing DMA: translate first, then access guest RAM. */
static void device_read(struct vtd_iommu *iommu, uint16_t sid, uint64_t iova)
{
	struct vtd_dma_request rq = { .sid = sid, .addr = iova, .perm = VTD_PERM_R };
	struct vtd_translation t = { 0 };
	if (vtd_iommu_translate(iommu, &rq, &t)) {
		printf("device %02x:%02x.%u read 0x%llx: blocked, fault 0x%02x (%s: %s)\n",
		       sid >> 8, (sid >> 3) & 0x1f, sid & 7, (unsigned long long)iova, t.fault,
		       t.fault_name, vtd_fault_desc(t.fault));
		return;
	}
	uint32_t value;
	memcpy(&value, ram + t.addr, sizeof(value));
	printf("device %02x:%02x.%u read 0x%llx -> guest physical 0x%llx (page 0x%llx): 0x%08x\n",
	       sid >> 8, (sid >> 3) & 0x1f, sid & 7, (unsigned long long)iova,
	       (unsigned long long)t.addr, (unsigned long long)t.page_size, value);
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	if (!ram)
		return 1;

	/* 1. The vIOMMU, configured as QEMU's -device intel-iommu,... */
	struct vtd_config cfg;
	struct vtd_error err;
	if (vtd_config_parse(&cfg, "caching-mode=on,aw-bits=48", &err)) {
		fprintf(stderr, "bad configuration: %s\n", err.msg);
		return 1;
	}
	static const struct vtd_event_ops events = { .msi = on_msi };
	struct vtd_iommu_opts opts = {
		.sz = sizeof(opts),        /* lets the struct grow in later versions */
		.events = &events,
		.ram = ram,                /* flat RAM: the fast path reads tables here */
		.ram_size = RAM_SIZE,
	};
	struct vtd_iommu *iommu;
	if (vtd_iommu_new(&cfg, &opts, &iommu, &err)) {
		fprintf(stderr, "cannot create the vIOMMU: %s\n", err.msg);
		return 1;
	}

	/* 2. The guest's tables: bus 0 -> context table; device 00:03.0 ->
	 * domain 1 with a 4-level second stage mapping IOVA 0x0 -> 0x200000. */
	guest_write64(0x10000, 0x11000 | 1);          /* root entry, present */
	guest_write64(0x11000 + 0x18 * 16, 0x12000 | 1); /* context: table 0x12000 */
	guest_write64(0x11000 + 0x18 * 16 + 8, (1 << 8) | 2); /* DID 1, 4-level */
	guest_write64(0x12000, 0x13000 | 3);          /* level 4 -> level 3, R/W */
	guest_write64(0x13000, 0x14000 | 3);          /* level 3 -> level 2 */
	guest_write64(0x14000, 0x15000 | 3);          /* level 2 -> level 1 */
	guest_write64(0x15000, 0x200000 | 3);         /* IOVA page 0 -> 0x200000, R/W */
	memcpy(ram + 0x200000, "\x78\x56\x34\x12", 4);

	/* The guest's driver: fault events to 0xfee00000 vector 0x40, root
	 * table, then translation on (one command per GCMD write). */
	mmio_write(iommu, VTD_REG_FEDATA, 4, 0x40);
	mmio_write(iommu, VTD_REG_FEADDR, 4, 0xfee00000);
	mmio_write(iommu, VTD_REG_FECTL, 4, 0);       /* unmask fault events */
	mmio_write(iommu, VTD_REG_RTADDR, 8, 0x10000);
	mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 30); /* SRTP */
	mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 31); /* TE */

	/* 3. DMAs of two devices: one mapped, one the guest never set up. */
	device_read(iommu, 0x0018, 0x0);              /* 00:03.0: translated */
	device_read(iommu, 0x0018, 0x1000);           /* 00:03.0: page not mapped */
	device_read(iommu, 0x0020, 0x0);              /* 00:04.0: no context entry */

	/* 4. The guest's fault handler reads the fault status register. */
	uint64_t fsts;
	vtd_iommu_mmio_read(iommu, VTD_REG_FSTS, 4, &fsts);
	printf("FSTS = 0x%llx (PPF: a fault is recorded; PFO: more were dropped)\n",
	       (unsigned long long)fsts);

	vtd_iommu_free(iommu);
	free(ram);
	return 0;
}
