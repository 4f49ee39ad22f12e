/* SPDX-License-Identifier: MIT */
/*
 * Interrupt remapping: a device's MSI goes through the vIOMMU before the
 * VMM delivers it.  The guest writes interrupt remapping table entries
 * (IRTEs) and points the IOMMU at the table; devices then send
 * "remappable" MSIs that name an entry instead of a CPU and vector.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vtd/vtd.h>

#define RAM_SIZE (1u << 20)
#define IRT 0x60000

static void show(struct vtd_iommu *iommu, uint16_t sid, uint64_t addr, uint32_t data)
{
	struct vtd_irq irq;
	if (vtd_iommu_remap_msi(iommu, sid, addr, data, &irq)) {
		printf("MSI 0x%llx/0x%x from %04x: blocked, fault 0x%02x (%s)\n",
		       (unsigned long long)addr, data, sid, irq.fault, vtd_fault_desc(irq.fault));
		return;
	}
	printf("MSI 0x%llx/0x%x from %04x: %s -> APIC %u vector 0x%02x %s-triggered "
	       "(deliver 0x%llx/0x%x)\n", (unsigned long long)addr, data, sid,
	       irq.remapped ? "remapped" : "passed through", irq.dest, irq.vector,
	       irq.level ? "level" : "edge", (unsigned long long)irq.addr, irq.data);
}

int main(void)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct vtd_config cfg;
	struct vtd_iommu *iommu;
	/* kernel-irqchip=split (the default): x2APIC mode (eim) is offered */
	if (!ram || vtd_config_parse(&cfg, "intremap=on", NULL))
		return 1;
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = ram, .ram_size = RAM_SIZE };
	if (vtd_iommu_new(&cfg, &o, &iommu, NULL))
		return 1;

	/* IRTE 5: present, vector 0x31, destination APIC id 3 (x2APIC: 32-bit
	 * id in bits 63:32), only from device 00:03.0 (SVT=1, SID 0x18). */
	uint64_t lo = (3ull << 32) | (0x31ull << 16) | 1, hi = (1ull << 18) | 0x18;
	memcpy(ram + IRT + 5 * 16, &lo, 8);
	memcpy(ram + IRT + 5 * 16 + 8, &hi, 8);

	/* The guest's driver: table at IRT, 256 entries (S=7), x2APIC mode
	 * (EIME), latch it (SIRTP), then enable remapping (IRE). */
	vtd_iommu_mmio_write(iommu, VTD_REG_IRTA, 8, IRT | (1u << 11) | 7);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 24);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 25);

	/* A remappable MSI names entry 5: address bit 4 set, handle in 19:5. */
	uint64_t remappable = 0xfee00000ull | (5u << 5) | (1u << 4);
	show(iommu, 0x18, remappable, 0);
	/* The same MSI from another device fails the source-id check. */
	show(iommu, 0x20, remappable, 0);
	/* An old-style (compatibility format) MSI is blocked in x2APIC mode. */
	show(iommu, 0x18, 0xfee01000, 0x41);

	vtd_iommu_free(iommu);
	free(ram);
	return 0;
}
