/* SPDX-License-Identifier: MIT */
/*
 * libvtd: vIOMMU configuration, in QEMU's intel-iommu property language.
 *
 * The property names, types and defaults are those of QEMU's `intel-iommu`
 * device (and the x86-iommu properties it inherits), so that a command line
 * fragment such as "x-scalable-mode=on,x-flts=on,aw-bits=48" means the same
 * thing to QEMU and to libvtd.  See libvtd(3) and vtd(1) for the full list.
 */
#ifndef VTD_CONFIG_H
#define VTD_CONFIG_H

#include <vtd/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* QEMU's OnOffAuto. */
enum vtd_onoffauto {
	VTD_AUTO = 0,
	VTD_ON = 1,
	VTD_OFF = 2,
};

/*
 * Where the virtual machine's interrupt controller lives.  QEMU decides
 * "intremap=auto" and "eim=auto" from its -machine kernel-irqchip= setting,
 * which is not an intel-iommu property; libvtd takes it as the extension key
 * "kernel-irqchip" so the same decisions can be reproduced.
 */
enum vtd_irqchip {
	VTD_IRQCHIP_SPLIT = 0, /* default: LAPIC in KVM, IOAPIC in the VMM */
	VTD_IRQCHIP_OFF = 1,   /* whole irqchip emulated by the VMM (e.g. TCG) */
	VTD_IRQCHIP_ON = 2,    /* whole irqchip in KVM: no interrupt remapping */
};

struct vtd_config {
	/* intel-iommu properties */
	uint32_t version;                /* "version": accepted, no effect */
	uint8_t aw_bits;                 /* "aw-bits": 39 or 48 */
	bool caching_mode;               /* "caching-mode" */
	bool scalable_mode;              /* "x-scalable-mode" */
	bool flts;                       /* "x-flts": first-stage translation */
	bool fs1gp;                      /* "fs1gp": first-stage 1 GiB pages */
	bool pasid;                      /* "x-pasid-mode" */
	bool svm;                        /* "svm": shared virtual memory */
	bool dma_drain;                  /* "dma-drain" */
	bool snoop_control;              /* "snoop-control" */
	bool stale_tm;                   /* "stale-tm" */
	bool buggy_eim;                  /* "x-buggy-eim" */
	bool fs5lp;                      /* libvtd extension "x-fs5lp" (in former
					  * padding, offset 15): CAP.FS5LP,
					  * 5-level first-stage tables */
	enum vtd_onoffauto eim;          /* "eim" */
	/* inherited x86-iommu properties */
	enum vtd_onoffauto intremap;     /* "intremap" */
	bool device_iotlb;               /* "device-iotlb" */
	bool pt;                         /* "pt": pass-through */
	bool dma_translation;            /* "dma-translation" */
	bool ssads;                      /* libvtd extension "x-ssads" (in former
					  * padding): ECAP.SLADS, PASID-entry
					  * SSADE: second-stage A/D flags */
	/* libvtd extensions (not intel-iommu properties) */
	enum vtd_irqchip irqchip;        /* "kernel-irqchip" */
	bool nest;                       /* "x-nest": offer nested translation
					  * (PGTT=011b) to the guest, for emulated
					  * devices; QEMU has no such property */
	/* Later extensions live in what was padding, so the structure keeps
	 * the size and offsets of the first release (a caller's stack copy
	 * stays big enough): x-pi, x-ers and x-smpwc after x-nest, x-ssads
	 * after dma-translation (offset 27), x-fs5lp after x-buggy-eim
	 * (offset 15).  No padding is left. */
	bool pi;                         /* "x-pi": offer interrupt posting
					  * (CAP.PI, posted-format IRTEs); needs
					  * intremap=on; QEMU has no such property */
	bool ers;                        /* "x-ers": execute requests with PASID
					  * (ECAP.ERS): PASID-entry ERE and
					  * first-stage XD take effect */
	bool smpwc;                      /* "x-smpwc": ECAP.SMPWC, PWSNP=0 in a
					  * PASID entry asks for non-snooped walks */
};

/* Fill *cfg with QEMU's defaults. */
VTD_API void vtd_config_init(struct vtd_config *cfg);

/*
 * Parse "key=value,key=value" over the defaults, then validate.  Booleans take
 * on/off/true/false/yes/no (as QEMU), OnOffAuto also auto.  On any problem
 * returns -EINVAL and lists every problem in *err (may be NULL); *cfg then
 * holds the defaults overlaid with whatever parsed.
 */
VTD_API int vtd_config_parse(struct vtd_config *cfg, const char *props,
			     struct vtd_error *err);

/*
 * Apply QEMU's realize-time rules: resolve auto values (intremap, eim) and
 * reject combinations QEMU rejects.  Returns 0 or -EINVAL with every problem
 * in *err.  vtd_config_parse() calls it; call it yourself after changing
 * fields by hand.
 */
VTD_API int vtd_config_validate(struct vtd_config *cfg, struct vtd_error *err);

/*
 * Write the configuration as a property string that parses back to the same
 * configuration (every property, in QEMU's spelling).  Returns the length the
 * full string needs (excluding the NUL), like snprintf.
 */
VTD_API int vtd_config_format(const struct vtd_config *cfg, char *buf,
			      size_t len);

/* Flags for vtd_config_format_opts(). */
#define VTD_FORMAT_CHANGED (1u << 0) /* only properties that differ from the defaults */
VTD_API int vtd_config_format_opts(const struct vtd_config *cfg, unsigned flags, char *buf,
				   size_t len);

/* Property introspection, for help texts and tools. */
struct vtd_config_prop {
	const char *name;     /* QEMU spelling */
	const char *type;     /* "bool", "OnOffAuto", "uint8", "irqchip" */
	const char *defval;   /* default as QEMU prints it */
	const char *help;     /* one line */
};
/* Returns the number of properties and sets *props to a static table. */
VTD_API size_t vtd_config_props(const struct vtd_config_prop **props);

#ifdef __cplusplus
}
#endif
#endif
