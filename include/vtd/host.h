/* SPDX-License-Identifier: MIT */
/*
 * libvtd: host IOMMUs, and whether a host device can sit behind a vIOMMU.
 *
 * A host IOMMU device is what QEMU calls a HostIOMMUDevice: the facts about
 * the physical IOMMU above one assigned device that decide whether the guest's
 * promises can be kept.  They come from iommufd (IOMMU_GET_HW_INFO), sysfs,
 * profiles of real machines embedded in the library, or by hand.
 */
#ifndef VTD_HOST_H
#define VTD_HOST_H

#include <vtd/config.h>
#include <vtd/iommu.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the VMM reaches the host device. */
enum vtd_host_backend {
	VTD_BACKEND_IOMMUFD = 0,  /* /dev/iommu + VFIO cdev (nesting possible) */
	VTD_BACKEND_LEGACY = 1,   /* VFIO type1 container (no nesting) */
};

/* Where the facts came from. */
enum vtd_host_source {
	VTD_HOST_SRC_MANUAL = 0,
	VTD_HOST_SRC_PROFILE = 1,
	VTD_HOST_SRC_SYSFS = 2,
	VTD_HOST_SRC_IOMMUFD = 3,
};

/* Linux enum iommu_hw_info_type */
#define VTD_HW_INFO_TYPE_NONE       0u
#define VTD_HW_INFO_TYPE_INTEL_VTD  1u
#define VTD_HW_INFO_TYPE_ARM_SMMUV3 2u
/* Linux enum iommu_hw_info_vtd_flags */
#define VTD_HW_INFO_VTD_ERRATA_772415_SPR17 (1u << 0)

struct vtd_host_device {
	char name[64];               /* profile name, dmar unit or device path */
	char description[192];       /* platform, as far as known */
	enum vtd_host_source source;
	enum vtd_host_backend backend;
	uint32_t hw_info_type;       /* VTD_HW_INFO_TYPE_* */
	uint32_t hw_info_flags;      /* iommu_hw_info_vtd.flags (errata) */
	uint64_t cap, ecap;          /* VT-d CAP_REG / ECAP_REG of the unit */
	uint32_t version;            /* VER_REG when known (major 7:4, minor 3:0), else 0 */
	uint8_t max_pasid_log2;      /* iommu_hw_info.out_max_pasid_log2; 0 unknown */
	uint64_t hw_caps;            /* iommu_hw_info.out_capabilities */
	bool behind_bridge;          /* requester id aliased by a PCIe-to-PCI bridge */
	bool has_bdf;
	uint16_t segment;
	uint16_t bdf;                /* bus << 8 | dev << 3 | fn */
};

/* Fill *dev as for a device whose IOMMU has these registers (source manual,
 * backend iommufd, type VT-d, the errata flag as Linux >= 6.7 reports it). */
VTD_API void vtd_host_device_init(struct vtd_host_device *dev, uint64_t cap, uint64_t ecap);

/* Embedded profiles of real machines (data/host-profiles.tsv). */
struct vtd_host_profile {
	const char *name;
	const char *platform;
	const char *unit;
	const char *version;          /* "6:0" */
	uint64_t cap, ecap;
	const char *source;           /* where the values were read */
	const char *note;
};
VTD_API size_t vtd_host_profiles(const struct vtd_host_profile **profiles);
/* The device a profile describes; -ENOENT (and a message naming the nearest
 * profile) if there is no such profile. */
VTD_API int vtd_host_from_profile(const char *name, struct vtd_host_device *dev,
				  struct vtd_error *err);

/*
 * Read the IOMMU units of this machine from sysfs
 * (ROOT/sys/class/iommu/dmar* /intel-iommu/{cap,ecap,version}); root NULL
 * means "/".  Fills up to max devices and sets *n to how many units exist.
 * Returns 0, or a negative errno with the reason in *err (-ENOENT: no VT-d
 * unit visible).
 */
VTD_API int vtd_host_probe_sysfs(const char *root, struct vtd_host_device *devs, size_t max,
				 size_t *n, struct vtd_error *err);

/*
 * Ask the kernel through iommufd about the IOMMU above a VFIO device:
 * open /dev/iommu and the VFIO cdev (e.g. /dev/vfio/devices/vfio0), bind,
 * IOMMU_GET_HW_INFO.  PCI topology (BDF, bridge aliasing) is read from
 * sysfs.  Returns 0 or a negative errno with a message saying what is
 * missing (kernel too old, no iommufd, not a VT-d IOMMU...).
 */
VTD_API int vtd_host_probe_iommufd(const char *vfio_cdev, struct vtd_host_device *dev,
				   struct vtd_error *err);

/* ---- compatibility ---------------------------------------------------- */

enum vtd_severity {
	VTD_SEV_ERROR = 0,    /* the device cannot be attached */
	VTD_SEV_WARNING = 1,  /* works, with a caveat the operator should know */
};

/* Stable finding codes (never renumbered). */
enum vtd_compat_code {
	VTD_COMPAT_CACHING_MODE = 1,   /* host device needs caching-mode=on */
	VTD_COMPAT_AW_BITS = 2,        /* guest aw-bits wider than the host */
	VTD_COMPAT_BACKEND = 3,        /* x-flts=on needs the iommufd backend */
	VTD_COMPAT_HW_TYPE = 4,        /* host IOMMU is not VT-d */
	VTD_COMPAT_FS1GP = 5,          /* guest 1 GiB first-stage pages */
	VTD_COMPAT_NESTING = 6,        /* host cannot nest (SMTS/FSTS/SSTS/NEST) */
	VTD_COMPAT_BRIDGE = 7,         /* requester-id aliasing behind a bridge */
	VTD_COMPAT_FS5LP = 8,          /* guest 5-level first stage */
	VTD_COMPAT_SRS = 9,            /* guest supervisor requests */
	VTD_COMPAT_EAFS = 10,          /* guest extended accessed flag */
	VTD_COMPAT_SNOOP = 11,         /* guest snoop control */
	VTD_COMPAT_PASID = 12,         /* guest PASIDs: host PASID support/width */
	VTD_COMPAT_PRS = 13,           /* guest page requests (svm) */
	VTD_COMPAT_DEVTLB = 14,        /* guest device-TLB without host ATS */
	VTD_COMPAT_ERRATA_772415 = 15, /* host erratum: no read-only nest-parent maps */
	VTD_COMPAT_SM_OFF_UNKNOWN = 16,/* host facts cannot show intel_iommu=sm_off */
	VTD_COMPAT_ERS = 17,           /* guest execute requests (x-ers) */
	VTD_COMPAT_SSADS = 18,         /* guest second-stage A/D flags (x-ssads) */
	VTD_COMPAT_SMPWC = 19,         /* guest page-walk snoop control (x-smpwc) */
};

#define VTD_FINDING_MSG_MAX 256
struct vtd_finding {
	enum vtd_compat_code code;
	enum vtd_severity severity;
	const char *name;              /* stable short name, e.g. "fs1gp" */
	char message[VTD_FINDING_MSG_MAX];
};

#define VTD_COMPAT_MAX_FINDINGS 24
struct vtd_compat_result {
	bool compatible;               /* no error findings */
	unsigned int n;                /* findings, errors first */
	struct vtd_finding findings[VTD_COMPAT_MAX_FINDINGS];
};

/* The summary line a VMM prints when the check fails. */
#define VTD_COMPAT_SUMMARY_FAIL "host IOMMU is incompatible with guest stage-1 translation"

/*
 * Check whether a host device can be attached behind a vIOMMU configured as
 * *cfg (validated).  Every rule is evaluated and every finding returned.
 * Returns 0 (see result->compatible), or -EINVAL on bad arguments.
 */
VTD_API int vtd_compat_check(const struct vtd_config *cfg, const struct vtd_host_device *dev,
			     struct vtd_compat_result *result);

/* The rules vtd_compat_check() applies, for documentation and tools. */
struct vtd_compat_rule {
	enum vtd_compat_code code;
	const char *name;
	const char *summary;
};
VTD_API size_t vtd_compat_rules(const struct vtd_compat_rule **rules);

/*
 * The most capable configuration every host accepts, starting from *start
 * and switching features off only where a host refuses them.  *out gets the
 * result; reasons (one line per dropped feature: what and which host) go to
 * *why.  Returns 0, or -ENOENT when no configuration satisfies some host
 * (the reason in *why).
 */
VTD_API int vtd_compat_baseline(const struct vtd_config *start,
				const struct vtd_host_device *hosts, size_t nhosts,
				struct vtd_config *out, struct vtd_error *why);

/* ---- nested translation on the host (x-flts=on) -------------------------- */

struct vtd_iommu;

/* A guest first stage, as the host IOMMU is to walk it (Linux struct
 * iommu_hwpt_vtd_s1). */
#define VTD_S1_SRE  (1u << 0)   /* supervisor requests */
#define VTD_S1_EAFE (1u << 1)   /* extended access flag */
#define VTD_S1_WPE  (1u << 2)   /* write protect */
struct vtd_s1_cfg {
	uint64_t pgtbl_addr;    /* guest physical address of the first-stage root */
	uint32_t addr_width;    /* 48 (4-level) or 57 (5-level) */
	uint32_t flags;         /* VTD_S1_* */
};

/* One entry of a first-stage invalidation (struct iommu_hwpt_vtd_s1_invalidate). */
#define VTD_S1_INV_LEAF (1u << 0)
struct vtd_s1_inval {
	uint64_t addr;          /* 4 KiB aligned; 0 with npages = ~0 for everything */
	uint64_t npages;
	uint32_t flags;         /* VTD_S1_INV_LEAF: only leaf entries changed */
};

/* A first-stage fault the host saw, to be reported to the guest. */
struct vtd_host_fault {
	uint16_t sid;
	bool pasid_valid;
	uint32_t pasid;
	uint64_t addr;
	bool write;
	uint8_t reason;         /* VT-d fault reason, e.g. 0x71 */
};

/*
 * What the vIOMMU needs from the host.  Identifiers are the backend's
 * (iommufd object ids for the iommufd backend).  Every call returns 0 or a
 * negative errno.
 */
struct vtd_host_ops {
	/* second stage owned by the VMM: guest physical -> host memory */
	int (*alloc_parent)(void *ctx, uint32_t *parent);
	int (*map)(void *ctx, uint64_t gpa, uint64_t size, void *hva, bool writable);
	int (*unmap)(void *ctx, uint64_t gpa, uint64_t size);
	/* a nested page table: the guest's first stage over the parent */
	int (*alloc_nested)(void *ctx, uint32_t parent, const struct vtd_s1_cfg *s1,
			    uint32_t *hwpt);
	int (*free_hwpt)(void *ctx, uint32_t hwpt);
	/* attach (or replace) what a device's requests (pasid, or none with
	 * VTD_HOST_NO_PASID) are translated with; hwpt 0 detaches */
	int (*attach)(void *ctx, uint32_t dev, uint32_t pasid, uint32_t hwpt);
	/* invalidate a nested table; *done is set to how many entries were
	 * handled, also on failure (partial completion) */
	int (*invalidate)(void *ctx, uint32_t hwpt, const struct vtd_s1_inval *inv, uint32_t n,
			  uint32_t *done);
};
#define VTD_HOST_NO_PASID 0xffffffffu

struct vtd_host_if {
	const struct vtd_host_ops *ops;
	void *ctx;
};

/*
 * Attach a host device behind the vIOMMU: the compatibility check runs
 * first (every finding in *err when it fails: -EOPNOTSUPP); then the
 * device follows the guest: translation off or legacy mode -> the parent
 * (guest physical); a RID_PASID entry with PGTT=first-stage -> a nested
 * table built from it; pass-through -> the parent; an absent or invalid
 * entry -> blocked (detached).  Guest IOTLB and PASID-based IOTLB
 * invalidations are forwarded before the wait descriptor that follows them
 * completes.  dev is the backend's device handle.
 */
VTD_API int vtd_iommu_attach_host(struct vtd_iommu *iommu, uint16_t sid,
				  const struct vtd_host_device *hostdev,
				  const struct vtd_host_if *backend, uint32_t dev,
				  struct vtd_error *err);
VTD_API int vtd_iommu_detach_host(struct vtd_iommu *iommu, uint16_t sid);
/* Report a host first-stage fault into the guest's fault registers. */
VTD_API int vtd_iommu_host_fault(struct vtd_iommu *iommu, const struct vtd_host_fault *f);

/* ---- recoverable host faults: I/O page faults (PRI) ---------------------- */

/*
 * One page of a page request group the host IOMMU reported on a nested
 * table that carries a fault queue (Linux struct iommu_hwpt_pgfault): the
 * device asked for a page the guest's first stage does not give it.
 */
struct vtd_host_iopf {
	uint64_t addr;          /* page address */
	uint32_t cookie;        /* the host's name of the group: answer with it */
	uint32_t pasid;         /* when pasid_valid (20 bits) */
	uint16_t prg_index;     /* page request group index (grpid), 9 bits */
	bool pasid_valid;
	bool last;              /* last page in group: the group wants an answer */
	bool read, write, exec, priv;
	bool malformed;         /* not from this device, fields out of range or a
				 * truncated record: never shown to the guest; a
				 * last one is answered Invalid */
};

/* How a group is answered (Linux enum iommufd_page_response_code). */
enum vtd_host_iopf_code {
	VTD_HOST_IOPF_SUCCESS = 0,  /* handled: the device retries */
	VTD_HOST_IOPF_INVALID = 1,  /* not handled: the device's access fails */
};

/*
 * The fault-queue side of a host backend, used with the backend's ctx.
 * Set sz = sizeof(struct vtd_host_iopf_ops): members past sz are absent.
 */
struct vtd_host_iopf_ops {
	size_t sz;
	/* a queue for one device's recoverable faults */
	int (*alloc_queue)(void *ctx, uint32_t *queue);
	int (*free_queue)(void *ctx, uint32_t queue);
	/* as vtd_host_ops.alloc_nested, with faults reported to queue */
	int (*alloc_nested)(void *ctx, uint32_t parent, const struct vtd_s1_cfg *s1, uint32_t queue,
			    uint32_t *hwpt);
	/* without blocking, up to max records; returns how many (0: none), or
	 * a negative errno */
	int (*read)(void *ctx, uint32_t queue, struct vtd_host_iopf *out, unsigned max);
	/* answer the group named cookie; -EINVAL when the host knows no such
	 * group (answered already, or dropped when its table was replaced) */
	int (*respond)(void *ctx, uint32_t queue, uint32_t cookie, enum vtd_host_iopf_code code);
	/* optional (NULL): a file descriptor that polls readable while faults
	 * wait; -EOPNOTSUPP when the backend has none */
	int (*fd)(void *ctx, uint32_t queue);
};

/* Outstanding groups per device (delivered to the guest, not yet answered).
 * A PCIe function names its outstanding groups with a 9-bit index, so a
 * device that follows PRI never has more; past it the host (or a guest
 * that never answers) would make the list grow without end, so further
 * groups are answered Invalid rather than kept. */
#define VTD_HOST_IOPF_MAX_PENDING 512u
/* Records one vtd_iommu_host_poll() call reads when max is 0, and the most
 * it reads whatever max says. */
#define VTD_HOST_IOPF_POLL_DEFAULT 64u
#define VTD_HOST_IOPF_POLL_MAX 1024u

/* Options for vtd_iommu_attach_host_opts(); sz = sizeof(the struct). */
struct vtd_host_attach_opts {
	size_t sz;
	/* Optional: recoverable faults.  With svm=on the device gets a fault
	 * queue at attach; its nested tables carry it while the guest's
	 * context entry for the device has PRE set. */
	const struct vtd_host_iopf_ops *iopf;
};

/*
 * vtd_iommu_attach_host() with options (NULL: none).  A kernel without
 * fault queues (ENOTTY, EOPNOTSUPP) leaves the device without recoverable
 * faults (see vtd_iommu_host_fault_fd()); any other refusal of the queue
 * fails the attach.  Options or iopf ops longer than this library knows
 * must have their unknown tail zero (-E2BIG otherwise); iopf ops too short
 * to hold respond, or with a required member NULL, are ignored.
 */
VTD_API int vtd_iommu_attach_host_opts(struct vtd_iommu *iommu, uint16_t sid,
				       const struct vtd_host_device *hostdev,
				       const struct vtd_host_if *backend, uint32_t dev,
				       const struct vtd_host_attach_opts *opts,
				       struct vtd_error *err);

/*
 * Move the recoverable faults of the host device at sid into the guest:
 * read at most max records (0: VTD_HOST_IOPF_POLL_DEFAULT; never more than
 * VTD_HOST_IOPF_POLL_MAX) without blocking, write each as a page request
 * into the guest's page request queue, and keep the group until the guest
 * answers it with a page group response, which then goes to the host.  A
 * group the guest cannot get is answered on its behalf: Success when its
 * queue overflowed (PRS.PRO, as the hardware does), Invalid when the device
 * may not make page requests or too many groups are outstanding.  Call it
 * when the fd of vtd_iommu_host_fault_fd() is readable, or after the sim
 * host reported a page fault.  Returns the number of records read (0:
 * none), -ENOENT when no host device is at sid, -EOPNOTSUPP when it has no
 * fault queue, or the backend's error.
 */
VTD_API int vtd_iommu_host_poll(struct vtd_iommu *iommu, uint16_t sid, unsigned max);
/* The file descriptor to poll for the device's faults; -ENOENT, or
 * -EOPNOTSUPP when it has no fault queue or the backend no fd. */
VTD_API int vtd_iommu_host_fault_fd(struct vtd_iommu *iommu, uint16_t sid);

struct vtd_host_iopf_stats {
	size_t sz;                  /* set by the caller: sizeof(the struct) */
	bool queue;                 /* the device has a fault queue */
	bool active;                /* its nested tables carry it (guest PRE=1) */
	uint32_t pending;           /* groups waiting for the guest's answer */
	uint64_t read;              /* records read from the host */
	uint64_t delivered;         /* written into the guest's page request queue */
	uint64_t overflowed;        /* queue full: answered Success for the guest */
	uint64_t refused;           /* device may not (PRE=0, legacy mode, queue not
				     * in memory, after Response Failure): Invalid */
	uint64_t capped;            /* beyond VTD_HOST_IOPF_MAX_PENDING: Invalid */
	uint64_t malformed;         /* records rejected */
	uint64_t responses;         /* guest answers sent to the host */
	uint64_t response_errors;   /* answers the host refused (unknown cookie...) */
};
/* Counters of the host device at sid; -ENOENT when there is none. */
VTD_API int vtd_iommu_host_iopf_stats(struct vtd_iommu *iommu, uint16_t sid,
				      struct vtd_host_iopf_stats *st);

/*
 * The iommufd host backend: one VFIO device (cdev) bound to /dev/iommu.
 * alloc_parent makes an IOAS and a nest-parent HWPT (IOMMU_HWPT_ALLOC with
 * NEST_PARENT), map/unmap are IOMMU_IOAS_MAP/UNMAP with fixed IOVAs,
 * alloc_nested is IOMMU_HWPT_ALLOC with IOMMU_HWPT_DATA_VTD_S1, attach is
 * VFIO_DEVICE_ATTACH/DETACH_IOMMUFD_PT, invalidate IOMMU_HWPT_INVALIDATE
 * (entry_num partial completion handled).
 */
struct vtd_iommufd;
VTD_API int vtd_iommufd_open(const char *vfio_cdev, struct vtd_iommufd **out,
			     struct vtd_error *err);
VTD_API void vtd_iommufd_close(struct vtd_iommufd *f);
VTD_API void vtd_iommufd_backend(struct vtd_iommufd *f, struct vtd_host_if *out);
/*
 * Its fault queue (Linux 6.11+): alloc_queue is IOMMU_FAULT_QUEUE_ALLOC (one
 * per device), alloc_nested IOMMU_HWPT_ALLOC with IOMMU_HWPT_FAULT_ID_VALID,
 * read takes struct iommu_hwpt_pgfault records from the fault fd, respond
 * writes struct iommu_hwpt_page_response there, fd is the fault fd.
 */
VTD_API const struct vtd_host_iopf_ops *vtd_iommufd_iopf_ops(void);

/*
 * The software host IOMMU: really walks the guest's first stage from guest
 * memory and its own second stage (set by map), with its own translation
 * cache that only forwarded invalidations drop.  For tests and for VMMs
 * without a host IOMMU.
 */
struct vtd_sim;
struct vtd_sim_event_ops {
	/* every backend call, for logs and tests ("alloc_nested hwpt=3 ...") */
	void (*event)(void *opaque, const char *what);
};
VTD_API int vtd_sim_new(const struct vtd_sim_event_ops *ev, void *ev_opaque,
			struct vtd_sim **out);
VTD_API void vtd_sim_free(struct vtd_sim *sim);
VTD_API void vtd_sim_backend(struct vtd_sim *sim, struct vtd_host_if *out);
/* Translate a device request as the host would; returns 0 with *hva (the
 * host memory the request reaches, through the parent's mappings), -EACCES
 * with *fault for a first-stage fault, -ENODEV when nothing is attached.
 * On a nested table with a fault queue, a first-stage entry that is not
 * present (or read-only, for a write) is a page request instead, as from
 * a device with PRI: -EAGAIN, the fault queued (or still unanswered) for
 * vtd_iommu_host_poll(); the device retries after the answer.  Once the
 * group was answered Invalid the next try fails with -EPERM (the device
 * gave up; no fault is the host's to report). */
VTD_API int vtd_sim_translate(struct vtd_sim *sim, uint32_t dev, uint32_t pasid, uint64_t iova,
			      bool write, void **hva, struct vtd_host_fault *fault);
/* The sim host's fault queues: at most 16 queues of 64 outstanding groups
 * (one page each); beyond that a page request is a plain fault. */
VTD_API const struct vtd_host_iopf_ops *vtd_sim_iopf_ops(void);
/* Map more guest memory into every attached device's parent (RAM given in
 * vtd_iommu_opts is mapped at attach).  With the host's read-only erratum
 * (ERRATA_772415_SPR17) a read-only range is not mapped: -EPERM. */
VTD_API int vtd_iommu_host_map(struct vtd_iommu *iommu, uint64_t gpa, uint64_t size, void *hva,
			       bool writable);

#ifdef __cplusplus
}
#endif
#endif
