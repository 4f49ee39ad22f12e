/* SPDX-License-Identifier: MIT */
/*
 * A mock of Linux's iommufd and VFIO cdev (drivers/iommu/iommufd, 6.12),
 * installed through vtd_sys_set() and vtd_sys_rw_set(): it answers open,
 * ioctl, read and write on its own file descriptors as the kernel would
 * (objects and references, IOAS mappings, attachment, the fault queue,
 * sizes and reserved fields checked), records every request with its bytes
 * before and after, and can be told to fail a request or answer short.
 * Used by test_nest_iommufd.c.
 */
#ifndef MOCK_IOMMUFD_H
#define MOCK_IOMMUFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FD_IOMMU 40
#define FD_DEV 41
#define FD_FAULT 42
#define DEVID 0x2au
#define CDEV "/dev/vfio/devices/vfio7"

#define MAX_REC 512
#define REC_ARG 64
#define REC_DATA (160 * 24)
#define MAX_OBJ 64
#define MAX_MAP 16

enum obj_kind { O_FREE = 0, O_IOAS, O_PAGING, O_PARENT, O_NESTED, O_FAULT };

#define MAX_RD 8
#define MAX_WR 32
#define FAULT_REC 40

struct rec {
	int fd;
	unsigned long req;
	size_t arglen;
	uint8_t arg[REC_ARG];     /* the argument struct as passed in */
	uint8_t out[REC_ARG];     /* the same after the kernel answered */
	size_t datalen;
	uint8_t data[REC_DATA];   /* the user buffer it points at (VTD_S1 data, inval array) */
	int err;                  /* errno answered, 0 for success */
};

struct mock_kernel {
	/* open/close */
	int open_iommu_errno, open_dev_errno;
	bool iommu_open, dev_open;
	unsigned opens, closes;
	/* kernel state */
	bool no_nesting;          /* HWPT_ALLOC NEST_PARENT -> EOPNOTSUPP */
	bool errata;              /* read-only maps into a nest parent's IOAS -> EINVAL */
	uint32_t next_id;
	struct {
		enum obj_kind kind;
		uint32_t ref;             /* IOAS of a paging HWPT, parent of a nested one */
		uint32_t fault;           /* fault object of a nested HWPT */
	} obj[MAX_OBJ];
	/* the fault queue: its fd, whether attaching a HWPT with one fails
	 * (the device has no PRI), a bogus answer to FAULT_QUEUE_ALLOC */
	bool fault_open, no_pri;
	uint32_t fault_fd_reply, fault_id_reply;
	/* read(2) of the fault fd: the scripted answers in turn (then 0) */
	struct rd_script {
		int err;                  /* errno, or 0: return len bytes of data */
		size_t len;
		uint8_t data[FAULT_REC * 8];
	} rd[MAX_RD];
	unsigned nrd, rdpos, nreads;
	size_t read_len[MAX_RD * 2];
	/* write(2): what was written, when (M.n then), and the cookies the
	 * kernel has handed out and not seen answered */
	struct wr_rec {
		unsigned at;
		size_t len;
		uint8_t data[16];
		int err;
	} wr[MAX_WR];
	unsigned nwr;
	int write_errno;
	ssize_t write_short;      /* > 0: return this many bytes instead */
	uint32_t cookies[16];
	unsigned ncookies;
	uint32_t attached;        /* what the device's RID is attached to, 0 none */
	struct {
		uint32_t ioas;
		uint64_t iova, len, va;
		uint32_t flags;
	} map[MAX_MAP];
	/* injection: the (skip+1)th call of fail_req, and the fail_times - 1
	 * following ones, fail with fail_errno before the kernel looks at it
	 * (as for ENOTTY: nothing written back) */
	unsigned long fail_req;
	unsigned fail_skip, fail_times;
	int fail_errno;
	/* HWPT_INVALIDATE: at most inv_handle entries handled per call (-1
	 * all), then inv_errno (0: success with a short entry_num); for the
	 * next inv_calls calls (0: every call) */
	int inv_handle;
	int inv_errno;
	unsigned inv_calls;
	uint32_t inv_reply;       /* when nonzero: entry_num written back regardless */
	/* records */
	unsigned n;
	struct rec rec[MAX_REC];
};
extern struct mock_kernel M;

static inline uint32_t rd32(const uint8_t *p, size_t off)
{
	uint32_t v;
	memcpy(&v, p + off, 4);
	return v;
}

static inline uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;
	memcpy(&v, p + off, 8);
	return v;
}

static inline void wr32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

static inline void wr64(uint8_t *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

/* Back to an empty kernel with no scripted answers. */
void mock_reset(void);
/* Install the mock as the library's system calls (cmocka setup), and remove it. */
int mock_setup(void **state);
int mock_teardown(void **state);
/* The (skip+1)th call of req fails with errno e, before the kernel looks at it. */
void inject(unsigned long req, unsigned skip, int e);
/* Record a request (the mock's ioctl does; tests add their own marks). */
struct rec *record(int fd, unsigned long req, const void *arg);
/* What kind of object an id names now. */
enum obj_kind obj_kind(uint32_t id);

#endif
