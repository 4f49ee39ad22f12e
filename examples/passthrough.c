/* SPDX-License-Identifier: MIT */
/*
 * A passthrough device behind the vIOMMU with nested translation
 * (x-flts=on): the guest's first-stage tables are walked by the host IOMMU.
 * Attaching checks host against guest first and prints why it fails; then
 * the host follows what the guest programs.
 *
 *   passthrough                     the software host (sim)
 *   passthrough /dev/vfio/devices/vfio0   a real device through iommufd
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vtd/vtd.h>

#define RAM_SIZE (16u << 20)

static void host_event(void *opaque, const char *what)
{
	(void)opaque;
	printf("  host: %s\n", what);
}

static void put64(uint8_t *ram, uint64_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }

int main(int argc, char **argv)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct vtd_config cfg;
	struct vtd_error err;
	if (!ram || vtd_config_parse(&cfg, "x-scalable-mode=on,x-flts=on,caching-mode=on", &err))
		return 1;
	struct vtd_iommu_opts o = { .sz = sizeof(o), .ram = ram, .ram_size = RAM_SIZE };
	struct vtd_iommu *iommu;
	if (vtd_iommu_new(&cfg, &o, &iommu, &err))
		return 1;

	/* The host: what its IOMMU can do, and how to drive it. */
	struct vtd_host_device host;
	struct vtd_host_if hif;
	struct vtd_sim *sim = NULL;
	struct vtd_iommufd *fd = NULL;
	if (argc > 1) {
		if (vtd_host_probe_iommufd(argv[1], &host, &err) ||
		    vtd_iommufd_open(argv[1], &fd, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 2;
		}
		vtd_iommufd_backend(fd, &hif);
	} else {
		static const struct vtd_sim_event_ops ev = { .event = host_event };
		vtd_sim_new(&ev, NULL, &sim);
		vtd_sim_backend(sim, &hif);
		vtd_host_from_profile("gnr-main", &host, NULL); /* a host that can nest */
	}

	/* Would this host work?  Every finding, errors and warnings. */
	struct vtd_compat_result r;
	vtd_compat_check(&cfg, &host, &r);
	for (unsigned i = 0; i < r.n; i++)
		printf("%s %s: %s\n", r.findings[i].severity == VTD_SEV_ERROR ? "error  " : "warning",
		       r.findings[i].name, r.findings[i].message);
	if (vtd_iommu_attach_host(iommu, 0x18, &host, &hif, 0x18, &err)) {
		printf("attach refused:\n%s\n", err.msg);
		return 1;
	}

	/* The guest: scalable tables, RID_PASID entry = first stage over a
	 * 4-level table mapping IOVA 0 -> 0x300000; then translation on. */
	put64(ram, 0x10000, 0x11001);
	put64(ram, 0x11300, 0x12001);
	put64(ram, 0x12000, 0x13001);
	put64(ram, 0x13000, (1 << 6) | 1);   /* PGTT=first stage, present */
	put64(ram, 0x13008, 7);              /* domain 7 */
	put64(ram, 0x13010, 0x20000);        /* first-stage root */
	put64(ram, 0x20000, 0x21007);
	put64(ram, 0x21000, 0x22007);
	put64(ram, 0x22000, 0x23007);
	put64(ram, 0x23000, 0x300007);
	memcpy(ram + 0x300000, "hello from the guest", 21);
	vtd_iommu_mmio_write(iommu, VTD_REG_RTADDR, 8, 0x10000 | (1 << 10));
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 30);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 31);

	if (sim) {
		/* The device's DMA, as the host IOMMU translates it. */
		void *hva;
		struct vtd_host_fault f;
		if (vtd_sim_translate(sim, 0x18, VTD_HOST_NO_PASID, 0x0, false, &hva, &f) == 0)
			printf("device reads IOVA 0x0: \"%s\"\n", (char *)hva);
	}
	vtd_iommu_detach_host(iommu, 0x18);
	vtd_iommu_free(iommu);
	vtd_sim_free(sim);
	vtd_iommufd_close(fd);
	free(ram);
	return 0;
}
