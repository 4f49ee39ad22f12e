/* SPDX-License-Identifier: MIT */
/*
 * iommufd end to end, inside the vm-test guest, against QEMU's edu device
 * bound to vfio-pci: libvtd's iommufd backend (open/bind, alloc_parent =
 * IOAS + nest-parent HWPT, which a QEMU 7.2 vIOMMU must refuse), then the
 * raw uAPI: IOAS alloc, map a buffer, plain HWPT alloc + attach, edu DMA
 * into the mapped buffer through the VFIO BAR region, unmap, and the same
 * DMA blocked.  Prints TAP (plan at the end) on stdout.
 *
 * With --type1 the same DMA runs through the VFIO type1 container
 * (/dev/vfio/vfio and the device's group) instead: Linux 6.12 gives
 * iommufd user HWPTs second-stage tables only ("Do not use first stage for
 * user domain translation", drivers/iommu/intel/iommu.c,
 * intel_iommu_domain_alloc_user), which a first-stage-only IOMMU
 * (x-flts=on: ECAP.SLTS=0) refuses to attach, while the type1 container's
 * domain is a kernel paging domain, first stage there.
 *
 * With --nested (a vIOMMU that offers nesting: libvtd-iommu,x-nest=on) the
 * device is attached to a nested HWPT (IOMMU_HWPT_DATA_VTD_S1) over
 * first-stage tables this program builds in memory it maps into the nest
 * parent: edu's DMA goes through both stages (the vIOMMU's nested walk),
 * then a leaf is cleared, IOMMU_HWPT_INVALIDATE sent, and the same DMA is
 * blocked.
 *
 * usage: iommufd-e2e /dev/vfio/devices/vfio0
 *        iommufd-e2e --type1 /dev/vfio/GROUP DDDD:BB:DD.F
 *        iommufd-e2e --nested /dev/vfio/devices/vfio0
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

/* Memory decoding and bus mastering through the config region, BAR0
 * mapped through the VFIO region into bar0: 0, or -1 (reported). */
static int bar0_open(int devfd, size_t *size, const char *tag)
{
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct vfio_region_info b0 = { .argsz = sizeof(b0), .index = VFIO_PCI_BAR0_REGION_INDEX };
	int r = ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &cfg);
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
	tap(m != MAP_FAILED, "%sedu BAR0 (%llu bytes) mapped through the VFIO region, bus master on",
	    tag, (unsigned long long)b0.size);
	if (m == MAP_FAILED)
		return -1;
	bar0 = m;
	*size = b0.size;
	return 0;
}

/* edu writes cnt bytes at dst, which the IOMMU must block: the buffer
 * behind it (zeroed first) stays untouched.  The marker tells the log
 * readers a DMAR fault follows on purpose. */
static void blocked_write(uint8_t *behind, uint64_t dst, uint32_t cnt, const char *what)
{
	memset(behind, 0, cnt);
	printf("VMTEST-FAULT-EXPECTED-BEGIN\n");
	fflush(stdout);
	int r = edu_dma(EDU_BUF, dst, cnt, 1);
	int untouched = 1;
	for (uint32_t i = 0; i < cnt; i++)
		untouched &= behind[i] == 0;
	tap(!r && untouched, "%s%s", what, r ? " (timeout)" : "");
}

/* BAR0 through the VFIO region, edu DMA both ways through the IOMMU,
 * unmap (by the caller's interface), and the same DMA blocked. */
static void dma_part(int devfd, uint8_t *buf, uint64_t iova, size_t len, uint32_t cnt,
		     void (*unmap)(void *ctx, uint64_t iova, size_t len), void *ctx)
{
	int r;
	size_t bar_size;
	if (bar0_open(devfd, &bar_size, ""))
		return;
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

	unmap(ctx, iova, len);

	blocked_write(buf + 4096, iova + 4096, cnt, "after unmap the same DMA is blocked: buffer untouched");
	munmap((void *)bar0, bar_size);
}

struct ioas_ctx {
	int iommufd;
	uint32_t ioas;
};

static void unmap_ioas(void *ctx, uint64_t iova, size_t len)
{
	struct ioas_ctx *c = ctx;
	struct iommu_ioas_unmap um = {
		.size = sizeof(um), .ioas_id = c->ioas, .iova = iova, .length = len,
	};
	int r = ioctl(c->iommufd, IOMMU_IOAS_UNMAP, &um);
	tap(r == 0 && um.length == len, "IOMMU_IOAS_UNMAP: %llu bytes", (unsigned long long)um.length);
}

static void unmap_type1(void *ctx, uint64_t iova, size_t len)
{
	int container = *(int *)ctx;
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um), .iova = iova, .size = len };
	int r = ioctl(container, VFIO_IOMMU_UNMAP_DMA, &um);
	tap(r == 0 && um.size == len, "VFIO_IOMMU_UNMAP_DMA: %llu bytes", (unsigned long long)um.size);
}

/* the buffer edu reads from and writes into: a pattern, then zeros */
static uint8_t *dma_buffer(size_t len, uint32_t cnt)
{
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
			    -1, 0);
	if (buf == MAP_FAILED) {
		tap(0, "mmap buffer: %s", strerror(errno));
		return NULL;
	}
	memset(buf, 0, len);
	for (uint32_t i = 0; i < cnt; i++)
		buf[i] = (uint8_t)(0xa5 ^ i);
	return buf;
}

/* The VFIO type1 container: a kernel paging domain for the group. */
static int type1_main(const char *group_path, const char *bdf, uint64_t iova, size_t len,
		      uint32_t cnt)
{
	int container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	int group = open(group_path, O_RDWR | O_CLOEXEC);
	tap(container >= 0 && group >= 0, "open /dev/vfio/vfio and %s", group_path);
	if (container < 0 || group < 0)
		goto out;
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	int r = ioctl(group, VFIO_GROUP_GET_STATUS, &gs);
	tap(r == 0 && (gs.flags & VFIO_GROUP_FLAGS_VIABLE), "VFIO group viable");
	r = ioctl(group, VFIO_GROUP_SET_CONTAINER, &container);
	r = r ? r : ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	tap(r == 0, "VFIO_GROUP_SET_CONTAINER + VFIO_SET_IOMMU(TYPE1v2)%s%s", r ? ": " : "",
	    r ? strerror(errno) : "");
	if (r)
		goto out;
	int devfd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	tap(devfd >= 0, "VFIO_GROUP_GET_DEVICE_FD(%s)%s%s", bdf, devfd < 0 ? ": " : "",
	    devfd < 0 ? strerror(errno) : "");
	if (devfd < 0)
		goto out;
	uint8_t *buf = dma_buffer(len, cnt);
	if (!buf)
		goto out;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf, .iova = iova, .size = len,
	};
	r = ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
	tap(r == 0, "VFIO_IOMMU_MAP_DMA %zu bytes at iova 0x%" PRIx64 "%s%s", len, iova,
	    r ? ": " : "", r ? strerror(errno) : "");
	if (r == 0)
		dma_part(devfd, buf, iova, len, cnt, unmap_type1, &container);
	close(devfd);
out:
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}


/* ---- nested: a first stage of our own over a nest parent ------------- */
#define FS_P  0x1ull
#define FS_RW 0x2ull
#define FS_US 0x4ull
#define GVA   0x40000000ull           /* what edu is told: a first-stage address */
#define IPA_D 0x100000ull             /* the data pages in the parent (stage 2) */
#define IPA_T 0x200000ull             /* the first-stage tables in the parent */

/* edu DMA both ways through GVA, check the data; the leaf of the second
 * page cleared and invalidated, the same DMA blocked. */
static int nested_main(const char *cdev, uint32_t cnt)
{
	int iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	int devfd = open(cdev, O_RDWR | O_CLOEXEC);
	tap(iommufd >= 0 && devfd >= 0, "nested: open /dev/iommu and %s", cdev);
	if (iommufd < 0 || devfd < 0)
		goto out;
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = iommufd };
	int r = ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	r = r ? r : ioctl(iommufd, IOMMU_IOAS_ALLOC, &ioas);
	tap(r == 0, "nested: bind and IOAS%s%s", r ? ": " : "", r ? strerror(errno) : "");
	if (r)
		goto out;

	/* two data pages and four table pages (PML4, PDPT, PD, PT) */
	uint8_t *data = dma_buffer(2 * 4096, cnt);
	uint64_t *tbl = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!data || tbl == MAP_FAILED) {
		tap(0, "nested: buffers");
		goto out;
	}
	memset(tbl, 0, 4 * 4096);
	uint64_t *pml4 = tbl, *pdpt = tbl + 512, *pd = tbl + 1024, *pt = tbl + 1536;
	pml4[(GVA >> 39) & 511] = (IPA_T + 0x1000) | FS_P | FS_RW | FS_US;
	pdpt[(GVA >> 30) & 511] = (IPA_T + 0x2000) | FS_P | FS_RW | FS_US;
	pd[(GVA >> 21) & 511] = (IPA_T + 0x3000) | FS_P | FS_RW | FS_US;
	pt[(GVA >> 12) & 511] = IPA_D | FS_P | FS_RW | FS_US;
	pt[((GVA >> 12) + 1) & 511] = (IPA_D + 0x1000) | FS_P | FS_RW | FS_US;

	struct iommu_ioas_map md = {
		.size = sizeof(md),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas.out_ioas_id, .user_va = (uintptr_t)data, .length = 2 * 4096, .iova = IPA_D,
	};
	struct iommu_ioas_map mt = md;
	mt.user_va = (uintptr_t)tbl;
	mt.length = 4 * 4096;
	mt.iova = IPA_T;
	r = ioctl(iommufd, IOMMU_IOAS_MAP, &md);
	r = r ? r : ioctl(iommufd, IOMMU_IOAS_MAP, &mt);
	tap(r == 0, "nested: data at IPA 0x%llx and first-stage tables at IPA 0x%llx mapped in the IOAS%s%s",
	    (unsigned long long)IPA_D, (unsigned long long)IPA_T, r ? ": " : "", r ? strerror(errno) : "");

	struct iommu_hwpt_alloc np = {
		.size = sizeof(np), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT, .dev_id = bind.out_devid,
		.pt_id = ioas.out_ioas_id,
	};
	r = ioctl(iommufd, IOMMU_HWPT_ALLOC, &np);
	tap(r == 0, "nested: IOMMU_HWPT_ALLOC(NEST_PARENT): hwpt %u%s%s", np.out_hwpt_id,
	    r ? " " : "", r ? strerror(errno) : "");
	if (r)
		goto out;
	struct iommu_hwpt_vtd_s1 s1 = { .flags = 0, .pgtbl_addr = IPA_T, .addr_width = 48 };
	struct iommu_hwpt_alloc nh = {
		.size = sizeof(nh), .dev_id = bind.out_devid, .pt_id = np.out_hwpt_id,
		.data_type = IOMMU_HWPT_DATA_VTD_S1, .data_len = sizeof(s1),
		.data_uptr = (uintptr_t)&s1,
	};
	r = ioctl(iommufd, IOMMU_HWPT_ALLOC, &nh);
	tap(r == 0, "nested: IOMMU_HWPT_ALLOC(IOMMU_HWPT_DATA_VTD_S1, first stage at IPA 0x%llx): hwpt %u%s%s",
	    (unsigned long long)IPA_T, nh.out_hwpt_id, r ? " " : "", r ? strerror(errno) : "");
	if (r)
		goto out;
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = nh.out_hwpt_id };
	r = ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	tap(r == 0, "nested: VFIO_DEVICE_ATTACH_IOMMUFD_PT to the nested hwpt%s%s", r ? ": " : "",
	    r ? strerror(errno) : "");
	if (r)
		goto out;

	size_t bar_size;
	if (bar0_open(devfd, &bar_size, "nested: "))
		goto out;
	r = edu_dma(GVA, EDU_BUF, cnt, 0);
	int r2 = r ? r : edu_dma(EDU_BUF, GVA + 4096, cnt, 1);
	int same = memcmp(data, data + 4096, cnt) == 0;
	tap(!r && !r2 && same,
	    "nested: edu DMA at GVA 0x%llx: %u bytes read and written through first stage and nest parent%s",
	    (unsigned long long)GVA, cnt, r || r2 ? " (timeout)" : same ? "" : " (data did not arrive)");
	/* the vIOMMU set the accessed flag of every level it walked, and the
	 * leaf's dirty flag for the write, in our tables through stage 2 */
	tap((pml4[(GVA >> 39) & 511] & 0x20) && (pt[((GVA >> 12) + 1) & 511] & 0x40),
	    "nested: accessed and dirty flags set in our first-stage tables (PML4E 0x%llx, PTE 0x%llx)",
	    (unsigned long long)pml4[(GVA >> 39) & 511], (unsigned long long)pt[((GVA >> 12) + 1) & 511]);

	/* the second page's leaf goes; the vIOMMU learns it from the
	 * invalidation the kernel forwards */
	pt[((GVA >> 12) + 1) & 511] = 0;
	struct iommu_hwpt_vtd_s1_invalidate inv = { .addr = GVA + 4096, .npages = 1 };
	struct iommu_hwpt_invalidate hi = {
		.size = sizeof(hi), .hwpt_id = nh.out_hwpt_id, .data_uptr = (uintptr_t)&inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, .entry_len = sizeof(inv), .entry_num = 1,
	};
	r = ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &hi);
	tap(r == 0 && hi.entry_num == 1, "nested: IOMMU_HWPT_INVALIDATE of GVA 0x%llx (%u entry)%s%s",
	    (unsigned long long)(GVA + 4096), hi.entry_num, r ? ": " : "", r ? strerror(errno) : "");
	blocked_write(data + 4096, GVA + 4096, cnt,
		      "nested: after the leaf is cleared and invalidated the DMA is blocked");
	r = edu_dma(GVA, EDU_BUF, cnt, 0);
	tap(!r, "nested: the first page still reads through both stages");
	munmap((void *)bar0, bar_size);
out:
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}

/* ---- the raw uAPI ---------------------------------------------------- */
int main(int argc, char **argv)
{
	const char *cdev = argc > 1 ? argv[1] : "/dev/vfio/devices/vfio0";
	const uint64_t iova = 0x100000;            /* below edu's 32-bit dma_mask */
	const size_t len = 2 * 4096;
	const uint32_t cnt = 256;

	if (argc == 4 && !strcmp(argv[1], "--type1"))
		return type1_main(argv[2], argv[3], iova, len, cnt);
	if (argc == 3 && !strcmp(argv[1], "--nested"))
		return nested_main(argv[2], cnt);
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

	uint8_t *buf = dma_buffer(len, cnt);
	if (!buf)
		goto out;

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

	struct ioas_ctx uc = { iommufd, ioas.out_ioas_id };
	dma_part(devfd, buf, iova, len, cnt, unmap_ioas, &uc);
out:
	if (devfd >= 0)
		close(devfd);
	if (iommufd >= 0)
		close(iommufd);
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
