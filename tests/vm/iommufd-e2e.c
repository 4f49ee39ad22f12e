/* SPDX-License-Identifier: MIT */
/*
 * iommufd end to end, inside the vm-test guest, against QEMU's edu device
 * bound to vfio-pci: libvtd's iommufd backend (open/bind, alloc_parent =
 * IOAS + nest-parent HWPT, which a QEMU 7.2 vIOMMU must refuse), then the
 * raw uAPI: IOAS alloc, map a buffer, plain HWPT alloc + attach, edu DMA
 * into the mapped buffer through the VFIO BAR region, unmap, and the same
 * DMA blocked.  Prints TAP (plan at the end) on stdout.
 *
 * usage: iommufd-e2e /dev/vfio/devices/vfio0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include <vtd/host.h>

static int n_tests, n_failed;

static void tap(int ok, const char *fmt, ...)
{
	va_list ap;
	n_tests++;
	if (!ok)
		n_failed++;
	printf("%sok %d - ", ok ? "" : "not ", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *errname(int e)
{
	switch (e) {
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EINVAL: return "EINVAL";
	case ENODEV: return "ENODEV";
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case ENOTTY: return "ENOTTY";
	default: return "E?";
	}
}

/* ---- edu (QEMU docs/specs/edu.rst) ----------------------------------- */
#define EDU_ID        0x00
#define EDU_ALIVE     0x04
#define EDU_DMA_SRC   0x80
#define EDU_DMA_DST   0x88
#define EDU_DMA_CNT   0x90
#define EDU_DMA_CMD   0x98
#define EDU_CMD_RUN   0x1
#define EDU_CMD_TORAM 0x2
#define EDU_BUF       0x40000u   /* the device's own 4 KiB buffer */

static volatile uint32_t *bar0;

static uint32_t rd32(uint32_t off) { return bar0[off / 4]; }
static void wr32(uint32_t off, uint32_t v) { bar0[off / 4] = v; }
static void wr64(uint32_t off, uint64_t v)
{
	/* registers >= 0x80 take 4- or 8-byte accesses; a 4-byte write sets the
	 * whole register, and our addresses fit in 32 bits */
	wr32(off, (uint32_t)v);
}

/* Run one DMA and wait until the device says it is done (the model runs it
 * from a 100 ms timer; TCG may be slow): 0, or -ETIMEDOUT. */
static int edu_dma(uint64_t src, uint64_t dst, uint32_t cnt, int to_ram)
{
	wr64(EDU_DMA_SRC, src);
	wr64(EDU_DMA_DST, dst);
	wr64(EDU_DMA_CNT, cnt);
	wr32(EDU_DMA_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TORAM : 0));
	struct timespec t = { 0, 10 * 1000 * 1000 };
	for (int i = 0; i < 3000; i++) {
		if (!(rd32(EDU_DMA_CMD) & EDU_CMD_RUN))
			return 0;
		nanosleep(&t, NULL);
	}
	return -ETIMEDOUT;
}

/* ---- libvtd's backend ------------------------------------------------ */
static void library_part(const char *cdev)
{
	struct vtd_error err;
	struct vtd_iommufd *f = NULL;
	int r = vtd_iommufd_open(cdev, &f, &err);
	tap(r == 0, "libvtd: vtd_iommufd_open(%s) binds the device%s%s", cdev,
	    r ? ": " : "", r ? err.msg : "");
	if (r)
		return;
	struct vtd_host_if hif;
	vtd_iommufd_backend(f, &hif);
	uint32_t parent = 0;
	r = hif.ops->alloc_parent(hif.ctx, &parent);
	tap(r == -EOPNOTSUPP,
	    "libvtd: alloc_parent (IOAS + nest-parent HWPT) refused by a host that cannot nest: %d (%s: %s)",
	    r, r < 0 ? errname(-r) : "succeeded", r < 0 ? strerror(-r) : "no error");
	vtd_iommufd_close(f);
}

/* ---- the raw uAPI ---------------------------------------------------- */
int main(int argc, char **argv)
{
	const char *cdev = argc > 1 ? argv[1] : "/dev/vfio/devices/vfio0";
	const uint64_t iova = 0x100000;            /* below edu's 32-bit dma_mask */
	const size_t len = 2 * 4096;
	const uint32_t cnt = 256;

	library_part(cdev);

	int iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	int devfd = open(cdev, O_RDWR | O_CLOEXEC);
	tap(iommufd >= 0 && devfd >= 0, "open /dev/iommu and %s", cdev);
	if (iommufd < 0 || devfd < 0)
		goto out;

	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = iommufd };
	int r = ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	tap(r == 0, "VFIO_DEVICE_BIND_IOMMUFD: dev_id %u%s%s", bind.out_devid, r ? " " : "",
	    r ? strerror(errno) : "");
	if (r)
		goto out;

	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	r = ioctl(iommufd, IOMMU_IOAS_ALLOC, &ioas);
	tap(r == 0, "IOMMU_IOAS_ALLOC: ioas %u", ioas.out_ioas_id);
	if (r)
		goto out;

	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
			    -1, 0);
	if (buf == MAP_FAILED) {
		tap(0, "mmap buffer: %s", strerror(errno));
		goto out;
	}
	memset(buf, 0, len);
	for (uint32_t i = 0; i < cnt; i++)
		buf[i] = (uint8_t)(0xa5 ^ i);

	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas.out_ioas_id, .user_va = (uintptr_t)buf, .length = len, .iova = iova,
	};
	r = ioctl(iommufd, IOMMU_IOAS_MAP, &map);
	tap(r == 0, "IOMMU_IOAS_MAP %zu bytes at iova 0x%" PRIx64 "%s%s", len, iova, r ? ": " : "",
	    r ? strerror(errno) : "");

	struct iommu_hwpt_alloc np = {
		.size = sizeof(np), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT, .dev_id = bind.out_devid,
		.pt_id = ioas.out_ioas_id,
	};
	r = ioctl(iommufd, IOMMU_HWPT_ALLOC, &np);
	int e = errno;
	tap(r < 0 && e == EOPNOTSUPP,
	    "IOMMU_HWPT_ALLOC(NEST_PARENT) fails: %s (%s: %s)", r < 0 ? "refused" : "succeeded",
	    r < 0 ? errname(e) : "-", r < 0 ? strerror(e) : "-");

	struct iommu_hwpt_alloc hw = {
		.size = sizeof(hw), .dev_id = bind.out_devid, .pt_id = ioas.out_ioas_id,
	};
	r = ioctl(iommufd, IOMMU_HWPT_ALLOC, &hw);
	tap(r == 0, "IOMMU_HWPT_ALLOC (plain): hwpt %u%s%s", hw.out_hwpt_id, r ? " " : "",
	    r ? strerror(errno) : "");
	uint32_t pt = r == 0 ? hw.out_hwpt_id : ioas.out_ioas_id;

	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = pt };
	r = ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	tap(r == 0, "VFIO_DEVICE_ATTACH_IOMMUFD_PT to %s %u%s%s", pt == ioas.out_ioas_id ? "ioas" : "hwpt",
	    pt, r ? ": " : "", r ? strerror(errno) : "");
	if (r)
		goto out;

	/* memory decoding and bus mastering through the config region */
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct vfio_region_info b0 = { .argsz = sizeof(b0), .index = VFIO_PCI_BAR0_REGION_INDEX };
	r = ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &cfg);
	r |= ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &b0);
	uint16_t cmd = 0;
	if (!r && pread(devfd, &cmd, 2, (off_t)cfg.offset + 4) == 2) {
		cmd |= 0x6; /* MEM | MASTER */
		if (pwrite(devfd, &cmd, 2, (off_t)cfg.offset + 4) != 2)
			r = -1;
	} else {
		r = -1;
	}
	void *m = r ? MAP_FAILED :
		      mmap(NULL, b0.size, PROT_READ | PROT_WRITE, MAP_SHARED, devfd, (off_t)b0.offset);
	tap(m != MAP_FAILED, "edu BAR0 (%llu bytes) mapped through the VFIO region, bus master on",
	    (unsigned long long)b0.size);
	if (m == MAP_FAILED)
		goto out;
	bar0 = m;
	uint32_t id = rd32(EDU_ID);
	wr32(EDU_ALIVE, 0x12345678);
	uint32_t alive = rd32(EDU_ALIVE);
	tap((id & 0xff) == 0xed && alive == ~0x12345678u, "edu answers: id 0x%08x, liveness 0x%08x", id,
	    alive);

	/* RAM -> edu (device reads our buffer), edu -> RAM (device writes the
	 * second page): both directions go through the IOMMU */
	r = edu_dma(iova, EDU_BUF, cnt, 0);
	int r2 = r ? r : edu_dma(EDU_BUF, iova + 4096, cnt, 1);
	int same = memcmp(buf, buf + 4096, cnt) == 0;
	tap(!r && !r2 && same, "edu DMA through the IOMMU: %u bytes read from and written to the mapped buffer%s",
	    cnt, r || r2 ? " (timeout)" : same ? "" : " (data did not arrive)");

	struct iommu_ioas_unmap um = {
		.size = sizeof(um), .ioas_id = ioas.out_ioas_id, .iova = iova, .length = len,
	};
	r = ioctl(iommufd, IOMMU_IOAS_UNMAP, &um);
	tap(r == 0 && um.length == len, "IOMMU_IOAS_UNMAP: %llu bytes", (unsigned long long)um.length);

	memset(buf + 4096, 0, cnt);
	printf("VMTEST-FAULT-EXPECTED-BEGIN\n");
	fflush(stdout);
	r = edu_dma(EDU_BUF, iova + 4096, cnt, 1);
	int untouched = 1;
	for (uint32_t i = 0; i < cnt; i++)
		untouched &= buf[4096 + i] == 0;
	tap(!r && untouched, "after unmap the same DMA is blocked: buffer untouched%s",
	    r ? " (timeout)" : "");
	munmap(m, b0.size);
out:
	if (devfd >= 0)
		close(devfd);
	if (iommufd >= 0)
		close(iommufd);
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
