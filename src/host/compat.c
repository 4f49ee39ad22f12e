/* SPDX-License-Identifier: MIT */
/*
 * Guest/host compatibility: can a host device be attached behind a vIOMMU
 * configured like this, and if the vIOMMU passes its first stage to the host
 * (x-flts=on), can the host IOMMU keep every promise the guest was given?
 *
 * The rules come from QEMU (vtd_check_hiod, vtd_check_hiod_accel,
 * vtd_dev_set_iommu_device), from what the Linux intel driver refuses when
 * it sets up a nested PASID entry (intel_pasid_setup_nested,
 * intel_iommu_domain_alloc_nested), and from the VT-d spec's definition of
 * what each capability obliges the hardware to do.  QEMU stops at the first
 * failure and checks fewer things; here every rule runs.
 */
#include "host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct vtd_compat_rule rules[] = {
	{ VTD_COMPAT_CACHING_MODE, "caching-mode",
	  "a host device needs caching-mode=on: the VMM learns of every mapping only from the "
	  "guest's invalidations (QEMU: vtd_dev_set_iommu_device)" },
	{ VTD_COMPAT_AW_BITS, "aw-bits",
	  "guest aw-bits must not exceed the host's address width, CAP.MGAW (QEMU: vtd_check_hiod)" },
	{ VTD_COMPAT_BACKEND, "backend",
	  "x-flts=on needs the iommufd backend: only iommufd can allocate nested page tables" },
	{ VTD_COMPAT_HW_TYPE, "hw-type",
	  "x-flts=on needs a VT-d host IOMMU (IOMMU_HW_INFO_TYPE_INTEL_VTD): the host walks VT-d "
	  "first-stage tables" },
	{ VTD_COMPAT_NESTING, "nesting",
	  "x-flts=on needs a host that nests: ECAP.SMTS, FSTS, SSTS and NEST all 1 (Linux refuses "
	  "IOMMU_HWPT_ALLOC_NEST_PARENT otherwise)" },
	{ VTD_COMPAT_FS1GP, "fs1gp",
	  "guest CAP.FS1GP (x-flts=on,fs1gp=on) needs host CAP.FS1GP: a guest 1 GiB first-stage "
	  "leaf would be a reserved-bit fault on the host" },
	{ VTD_COMPAT_FS5LP, "fs5lp",
	  "guest CAP.FS5LP needs host CAP.FS5LP (Linux: 5-level stage-1 needs cap_fl5lp_support)" },
	{ VTD_COMPAT_SRS, "srs",
	  "guest ECAP.SRS with x-flts=on needs host ECAP.SRS (Linux refuses IOMMU_VTD_S1_SRE otherwise)" },
	{ VTD_COMPAT_EAFS, "eafs",
	  "guest ECAP.EAFS with x-flts=on needs host ECAP.EAFS (Linux refuses IOMMU_VTD_S1_EAFE otherwise)" },
	{ VTD_COMPAT_SNOOP, "snoop-control",
	  "snoop-control=on needs host ECAP.SC, and x-flts=on: a shadowed (caching-mode) mapping "
	  "cannot carry the SNP bit to the host (QEMU refuses it with VFIO)" },
	{ VTD_COMPAT_PASID, "pasid",
	  "x-pasid-mode=on with x-flts=on needs host ECAP.PASID and a host PASID width at least the "
	  "guest's (ECAP.PSS)" },
	{ VTD_COMPAT_PRS, "prs",
	  "svm=on needs host ECAP.PRS: page requests of the device are raised by the host IOMMU" },
	{ VTD_COMPAT_BRIDGE, "bridge",
	  "x-flts=on: a device behind a PCIe-to-PCI bridge shares its requester id with the bridge, "
	  "so one PASID table cannot be its own (QEMU: vtd_check_hiod_accel)" },
	{ VTD_COMPAT_DEVTLB, "device-iotlb",
	  "warning: device-iotlb=on without host ECAP.DT: the guest may enable ATS, the device will "
	  "not use it" },
	{ VTD_COMPAT_ERS, "ers",
	  "x-ers=on cannot be kept for a host device: the host's PASID entry gets no ERE from the "
	  "guest (iommufd's VT-d stage-1 data has no such flag) and shadowed mappings carry no "
	  "execute right, so the device's execute requests would fault" },
	{ VTD_COMPAT_SSADS, "ssads",
	  "x-ssads=on cannot be kept for a host device: the host IOMMU never walks the guest's "
	  "second stage, so no accessed/dirty flag of it is ever set" },
	{ VTD_COMPAT_SMPWC, "smpwc",
	  "warning: x-smpwc=on: a host device's first stage is walked by the host IOMMU, snooped "
	  "as the host decides; a guest PASID entry's PWSNP=0 is not honoured" },
	{ VTD_COMPAT_ERRATA_772415, "errata-772415",
	  "warning: host erratum 772415 (IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17): the nest parent "
	  "cannot hold read-only mappings" },
};

VTD_API size_t vtd_compat_rules(const struct vtd_compat_rule **out)
{
	if (out)
		*out = rules;
	return VTD_ARRAY_SIZE(rules);
}

static const char *rule_name(enum vtd_compat_code code)
{
	for (size_t i = 0; i < VTD_ARRAY_SIZE(rules); i++)
		if (rules[i].code == code)
			return rules[i].name;
	return "unknown";
}

VTD_PRINTF(4, 5)
static void add(struct vtd_compat_result *r, enum vtd_compat_code code, enum vtd_severity sev,
		const char *fmt, ...)
{
	if (r->n >= VTD_COMPAT_MAX_FINDINGS)
		return; /* cannot happen: one finding per rule at most */
	struct vtd_finding *f = &r->findings[r->n++];
	f->code = code;
	f->severity = sev;
	f->name = rule_name(code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	if (sev == VTD_SEV_ERROR)
		r->compatible = false;
}

static int cmp_findings(const void *a, const void *b)
{
	const struct vtd_finding *x = a, *y = b;
	if (x->severity != y->severity)
		return x->severity < y->severity ? -1 : 1;
	return 0;
}

VTD_API int vtd_compat_check(const struct vtd_config *cfg, const struct vtd_host_device *dev,
			     struct vtd_compat_result *r)
{
	if (!cfg || !dev || !r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->compatible = true;

	const uint64_t gcap = vtd_caps_cap(cfg), gecap = vtd_caps_ecap(cfg);
	const uint64_t hcap = dev->cap, hecap = dev->ecap;
	const bool flts = cfg->flts;
	const bool vtd = dev->hw_info_type == VTD_HW_INFO_TYPE_INTEL_VTD;

	if (!cfg->caching_mode)
		add(r, VTD_COMPAT_CACHING_MODE, VTD_SEV_ERROR,
		    "Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.");

	if (vtd) {
		unsigned haw = vtd_cap_mgaw_bits(hcap);
		if (cfg->aw_bits > haw)
			add(r, VTD_COMPAT_AW_BITS, VTD_SEV_ERROR,
			    "aw-bits %u > host aw-bits %u (guest address width %u bits, host CAP.MGAW "
			    "%u bits)", cfg->aw_bits, haw, cfg->aw_bits, haw);
	}

	if (flts && dev->backend != VTD_BACKEND_IOMMUFD)
		add(r, VTD_COMPAT_BACKEND, VTD_SEV_ERROR, "Need IOMMUFD backend when x-flts=on");

	if (flts && !vtd)
		add(r, VTD_COMPAT_HW_TYPE, VTD_SEV_ERROR, "Incompatible host platform IOMMU type %u",
		    dev->hw_info_type);

	/* The capability rules read VT-d registers: meaningless for another
	 * IOMMU type, which the rule above already refused. */
	if (flts && vtd) {
		unsigned smts = (unsigned)vtd_ecap_smts(hecap), fsts = (unsigned)vtd_ecap_fsts(hecap);
		unsigned ssts = (unsigned)vtd_ecap_ssts(hecap), nest = (unsigned)vtd_ecap_nest(hecap);
		if (!(smts && fsts && ssts && nest))
			add(r, VTD_COMPAT_NESTING, VTD_SEV_ERROR,
			    "host IOMMU cannot do nested translation: ECAP.SMTS=%u FSTS=%u SSTS=%u "
			    "NEST=%u (all must be 1)", smts, fsts, ssts, nest);
		if (vtd_cap_fs1gp(gcap) && !vtd_cap_fs1gp(hcap))
			add(r, VTD_COMPAT_FS1GP, VTD_SEV_ERROR,
			    "Stage-1 1GB large page is unsupported by host IOMMU (host CAP.FS1GP=0; "
			    "set fs1gp=off)");
		if (vtd_cap_fs5lp(gcap) && !vtd_cap_fs5lp(hcap))
			add(r, VTD_COMPAT_FS5LP, VTD_SEV_ERROR,
			    "Stage-1 5-level paging is unsupported by host IOMMU (host CAP.FS5LP=0)");
		if (vtd_ecap_srs(gecap) && !vtd_ecap_srs(hecap))
			add(r, VTD_COMPAT_SRS, VTD_SEV_ERROR,
			    "supervisor requests are unsupported by host IOMMU (host ECAP.SRS=0)");
		if (vtd_ecap_eafs(gecap) && !vtd_ecap_eafs(hecap))
			add(r, VTD_COMPAT_EAFS, VTD_SEV_ERROR,
			    "extended access flag is unsupported by host IOMMU (host ECAP.EAFS=0)");
		if (cfg->pasid) {
			unsigned gbits = vtd_ecap_pasid_bits(gecap);
			unsigned hbits = dev->max_pasid_log2 ? dev->max_pasid_log2
							     : vtd_ecap_pasid_bits(hecap);
			if (!vtd_ecap_pasid(hecap))
				add(r, VTD_COMPAT_PASID, VTD_SEV_ERROR,
				    "x-pasid-mode=on: host IOMMU has no PASID support (ECAP.PASID=0)");
			else if (gbits > hbits)
				add(r, VTD_COMPAT_PASID, VTD_SEV_ERROR,
				    "PASID bits size %u > host IOMMU PASID bits size %u", gbits, hbits);
		}
		if (dev->behind_bridge)
			add(r, VTD_COMPAT_BRIDGE, VTD_SEV_ERROR,
			    "Host device downstream to a PCI bridge is unsupported when x-flts=on");
		if (dev->hw_info_flags & VTD_HW_INFO_VTD_ERRATA_772415_SPR17)
			add(r, VTD_COMPAT_ERRATA_772415, VTD_SEV_WARNING,
			    "host erratum 772415 (ERRATA_772415_SPR17): read-only guest memory is "
			    "mapped without DMA access in the nest parent, so a device read of it "
			    "faults; writable RAM is unaffected");
	}

	if (vtd && cfg->snoop_control) {
		if (!vtd_ecap_sc(hecap))
			add(r, VTD_COMPAT_SNOOP, VTD_SEV_ERROR,
			    "snoop-control=on: host IOMMU has no snoop control (ECAP.SC=0)");
		else if (!flts)
			add(r, VTD_COMPAT_SNOOP, VTD_SEV_ERROR,
			    "Snoop Control with vhost or VFIO is not supported (snoop-control=on needs "
			    "x-flts=on for a host device)");
	}

	if (vtd && cfg->svm && !vtd_ecap_prs(hecap))
		add(r, VTD_COMPAT_PRS, VTD_SEV_ERROR,
		    "svm=on: host IOMMU has no page request support (ECAP.PRS=0)");

	/* libvtd extensions that only an emulated device can be given */
	if (cfg->ers)
		add(r, VTD_COMPAT_ERS, VTD_SEV_ERROR,
		    "x-ers=on: execute requests of a host device cannot be allowed (no ERE reaches "
		    "the host IOMMU); use x-ers=off");
	if (cfg->ssads)
		add(r, VTD_COMPAT_SSADS, VTD_SEV_ERROR,
		    "x-ssads=on: the host IOMMU does not set the guest's second-stage "
		    "accessed/dirty flags; use x-ssads=off");
	if (cfg->smpwc && flts)
		add(r, VTD_COMPAT_SMPWC, VTD_SEV_WARNING,
		    "x-smpwc=on: the host decides whether it snoops the guest's first-stage "
		    "tables; PWSNP=0 in a guest PASID entry is not honoured");

	if (vtd && cfg->device_iotlb && !vtd_ecap_dt(hecap))
		add(r, VTD_COMPAT_DEVTLB, VTD_SEV_WARNING,
		    "device-iotlb=on: host IOMMU has no device-TLB support (ECAP.DT=0); the guest "
		    "may enable ATS but the device will not use it");

	/* errors first, then warnings, each group in rule order (stable sort
	 * by insertion: insertion sort keeps equal keys in place) */
	for (unsigned i = 1; i < r->n; i++) {
		struct vtd_finding t = r->findings[i];
		unsigned j = i;
		while (j > 0 && cmp_findings(&r->findings[j - 1], &t) > 0) {
			r->findings[j] = r->findings[j - 1];
			j--;
		}
		r->findings[j] = t;
	}
	return 0;
}

/* ---- baseline ------------------------------------------------------------ */

VTD_PRINTF(2, 3)
static void why_line(struct vtd_error *why, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	vtd_error_add(why, VTD_ERR_CONFLICT, "%s", line);
}

/* Switch features off that depend on ones already off, saying why. */
static void cascade(struct vtd_config *c, struct vtd_error *why)
{
	if (c->svm && (!c->flts || !c->pasid || !c->device_iotlb)) {
		c->svm = false;
		why_line(why, "svm=off: needs x-flts, x-pasid-mode and device-iotlb, one of "
			      "which was switched off");
	}
}

VTD_API int vtd_compat_baseline(const struct vtd_config *start,
				const struct vtd_host_device *hosts, size_t nhosts,
				struct vtd_config *out, struct vtd_error *why)
{
	vtd_error_clear(why);
	if (!start || !out || (nhosts && !hosts))
		return -EINVAL;
	struct vtd_config c = *start;
	if (vtd_config_validate(&c, why))
		return -EINVAL;
	if (!c.caching_mode && nhosts) {
		c.caching_mode = true;
		why_line(why, "caching-mode=on: needed for any device assignment");
	}
	/*
	 * One feature at a time: gather what each host refuses, switch off the
	 * most fundamental refused feature (x-flts first: without it several
	 * other rules no longer apply), and look again.  Each step switches
	 * one of fewer than 8 features off, so the loop is short.
	 */
	enum { F_FLTS, F_AW, F_FS1GP, F_PASID, F_SVM, F_SNOOP, F_COUNT };
	for (int step = 0; step < 16; step++) {
		struct vtd_finding cause[F_COUNT];
		const char *who[F_COUNT] = { NULL };
		struct vtd_compat_result r;
		for (size_t h = 0; h < nhosts; h++) {
			vtd_compat_check(&c, &hosts[h], &r);
			for (unsigned i = 0; i < r.n; i++) {
				const struct vtd_finding *f = &r.findings[i];
				int feat = -1;
				if (f->severity != VTD_SEV_ERROR)
					continue;
				switch (f->code) {
				case VTD_COMPAT_FS1GP: feat = c.fs1gp ? F_FS1GP : -1; break;
				case VTD_COMPAT_PASID: feat = c.pasid ? F_PASID : -1; break;
				case VTD_COMPAT_PRS: feat = c.svm ? F_SVM : -1; break;
				case VTD_COMPAT_SNOOP: feat = c.snoop_control ? F_SNOOP : -1; break;
				case VTD_COMPAT_AW_BITS:
					/* x-flts pins aw-bits to 48: lose x-flts first */
					feat = c.flts ? F_FLTS
					       : (c.aw_bits > 39 && vtd_cap_mgaw_bits(hosts[h].cap) >= 39)
						       ? F_AW : -1;
					break;
				case VTD_COMPAT_BACKEND:
				case VTD_COMPAT_HW_TYPE:
				case VTD_COMPAT_NESTING:
				case VTD_COMPAT_BRIDGE:
				case VTD_COMPAT_FS5LP:
				case VTD_COMPAT_SRS:
				case VTD_COMPAT_EAFS:
					feat = c.flts ? F_FLTS : -1;
					break;
				default:
					break;
				}
				if (feat >= 0 && !who[feat]) {
					cause[feat] = *f; /* r is reused for the next host */
					who[feat] = hosts[h].name;
				}
			}
		}
		int pick = -1;
		for (int k = 0; k < F_COUNT && pick < 0; k++)
			if (who[k])
				pick = k;
		if (pick < 0)
			break;
		const char *m = cause[pick].message;
		switch (pick) {
		case F_FLTS:
			c.flts = false;
			why_line(why, "x-flts=off: %s: %s", who[pick], m);
			break;
		case F_AW:
			c.aw_bits = 39;
			why_line(why, "aw-bits=39: %s: %s", who[pick], m);
			break;
		case F_FS1GP:
			c.fs1gp = false;
			why_line(why, "fs1gp=off: %s: %s", who[pick], m);
			break;
		case F_PASID:
			c.pasid = false;
			why_line(why, "x-pasid-mode=off: %s: %s", who[pick], m);
			break;
		case F_SVM:
			c.svm = false;
			why_line(why, "svm=off: %s: %s", who[pick], m);
			break;
		case F_SNOOP:
			c.snoop_control = false;
			why_line(why, "snoop-control=off: %s: %s", who[pick], m);
			break;
		}
		cascade(&c, why);
	}
	/* Whatever still fails cannot be configured away. */
	int rc = 0;
	for (size_t h = 0; h < nhosts; h++) {
		struct vtd_compat_result r;
		vtd_compat_check(&c, &hosts[h], &r);
		if (r.compatible)
			continue;
		for (unsigned i = 0; i < r.n; i++)
			if (r.findings[i].severity == VTD_SEV_ERROR)
				vtd_error_add(why, VTD_ERR_UNSUPPORTED, "no configuration suits %s: %s",
					      hosts[h].name, r.findings[i].message);
		rc = -ENOENT;
	}
	if (vtd_config_validate(&c, NULL))
		rc = -EINVAL; /* cannot happen: every switch keeps QEMU's rules */
	*out = c;
	return rc;
}
