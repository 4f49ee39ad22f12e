/* SPDX-License-Identifier: MIT */
/*
 * Configuration: QEMU intel-iommu properties, parsed from QEMU's
 * "key=value,..." syntax and validated with QEMU's realize-time rules.
 * Unlike QEMU, every problem is reported, not only the first.
 */
#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The extension flags added after the first release took bytes of former
 * padding: the structure a caller built against the first layout
 * allocates keeps its size, and every old field its offset. */
#if UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(sizeof(struct vtd_config) == 36 && offsetof(struct vtd_config, nest) == 32 &&
	       offsetof(struct vtd_config, irqchip) == 28 &&
	       offsetof(struct vtd_config, dma_translation) == 26 &&
	       offsetof(struct vtd_config, ssads) == 27 && offsetof(struct vtd_config, pi) == 33 &&
	       offsetof(struct vtd_config, ers) == 34 && offsetof(struct vtd_config, smpwc) == 35 &&
	       offsetof(struct vtd_config, fs5lp) == 15 && offsetof(struct vtd_config, eim) == 16,
	       "vtd_config layout");
#endif

enum prop_type { P_BOOL, P_ONOFFAUTO, P_UINT8, P_UINT32, P_IRQCHIP };

struct prop {
	struct vtd_config_prop pub;
	enum prop_type type;
	size_t off;
};

#define PB(n, f, d, h) { { n, "bool", d, h }, P_BOOL, offsetof(struct vtd_config, f) }
#define PA(n, f, d, h) { { n, "OnOffAuto", d, h }, P_ONOFFAUTO, offsetof(struct vtd_config, f) }

/* Order: intel-iommu's own properties, the inherited x86-iommu ones, then
 * libvtd extensions.  Defaults are QEMU's (see vtd_config_init). */
static const struct prop props[] = {
	{ { "version", "uint32", "0", "accepted for compatibility; QEMU ignores it (VER reads 1.0)" },
	  P_UINT32, offsetof(struct vtd_config, version) },
	{ { "aw-bits", "uint8", "48", "guest address width in bits (39 or 48)" },
	  P_UINT8, offsetof(struct vtd_config, aw_bits) },
	PB("caching-mode", caching_mode, "off",
	   "CAP.CM: guest must invalidate after making entries present (needed for device assignment)"),
	PB("x-scalable-mode", scalable_mode, "off", "scalable-mode translation (ECAP.SMTS)"),
	PB("x-flts", flts, "off", "first-stage translation (ECAP.FSTS) instead of second stage"),
	PB("fs1gp", fs1gp, "on", "first-stage 1 GiB pages (CAP.FS1GP), with x-flts"),
	PB("x-pasid-mode", pasid, "off", "PASID support (ECAP.PASID)"),
	PB("svm", svm, "off", "shared virtual memory: page requests (ECAP.PRS)"),
	PB("dma-drain", dma_drain, "on", "DMA read/write draining (CAP.DRD/DWD)"),
	PB("snoop-control", snoop_control, "off", "snoop control (ECAP.SC)"),
	PB("stale-tm", stale_tm, "off", "accept the obsolete TM bit in second-stage leaf entries"),
	PB("x-buggy-eim", buggy_eim, "off", "allow eim=on without x2APIC support on the irqchip side"),
	PA("eim", eim, "auto", "extended interrupt mode, x2APIC destinations (ECAP.EIM)"),
	PA("intremap", intremap, "auto", "interrupt remapping (ECAP.IR)"),
	PB("device-iotlb", device_iotlb, "off", "device-TLB / ATS (ECAP.DT)"),
	PB("pt", pt, "on", "pass-through translation type (ECAP.PT)"),
	PB("dma-translation", dma_translation, "on",
	   "DMA translation (off: interrupt remapping only, SAGAW=0)"),
	{ { "kernel-irqchip", "irqchip", "split",
	    "libvtd extension: where the VM's irqchip runs (on, off, split), as QEMU's -machine option" },
	  P_IRQCHIP, offsetof(struct vtd_config, irqchip) },
	PB("x-nest", nest, "off",
	   "libvtd extension: nested translation for the guest (ECAP.NEST, both stages)"),
	PB("x-pi", pi, "off",
	   "libvtd extension: posted interrupts (CAP.PI, posted-format IRTEs), with intremap"),
	PB("x-ers", ers, "off",
	   "libvtd extension: execute requests with PASID (ECAP.ERS; PASID-entry ERE, first-stage XD)"),
	PB("x-smpwc", smpwc, "off",
	   "libvtd extension: scalable-mode page-walk coherency control (ECAP.SMPWC; PASID-entry PWSNP)"),
	PB("x-ssads", ssads, "off",
	   "libvtd extension: second-stage accessed/dirty flags (ECAP.SLADS; PASID-entry SSADE)"),
	PB("x-fs5lp", fs5lp, "off",
	   "libvtd extension: 5-level first-stage tables (CAP.FS5LP; PASID-entry FSPM=01b)"),
};

VTD_API size_t vtd_config_props(const struct vtd_config_prop **out)
{
	/* The public view is the first member of each entry; hand out a table
	 * of just those so callers can index it. */
	static struct vtd_config_prop pub[VTD_ARRAY_SIZE(props)];
	static int ready;
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		for (size_t i = 0; i < VTD_ARRAY_SIZE(props); i++)
			pub[i] = props[i].pub;
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	if (out)
		*out = pub;
	return VTD_ARRAY_SIZE(props);
}

VTD_API void vtd_config_init(struct vtd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->aw_bits = 48;
	cfg->fs1gp = true;
	cfg->dma_drain = true;
	cfg->eim = VTD_AUTO;
	cfg->intremap = VTD_AUTO;
	cfg->pt = true;
	cfg->dma_translation = true;
	cfg->irqchip = VTD_IRQCHIP_SPLIT;
}

/* QEMU's qapi_bool_parse accepts exactly these spellings (case matters). */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "y" };
	static const char *const no[] = { "off", "no", "false", "n" };
	for (size_t i = 0; i < VTD_ARRAY_SIZE(yes); i++) {
		if (!strcmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct prop *find_prop(const char *key)
{
	for (size_t i = 0; i < VTD_ARRAY_SIZE(props); i++)
		if (!strcmp(props[i].pub.name, key))
			return &props[i];
	return NULL;
}

static const char *nearest_prop(const char *key)
{
	/* Always name the closest property: even a poor guess shows the user
	 * the spelling style (dashes, "x-" prefixes) the names use. */
	const char *best = props[0].pub.name;
	unsigned bestd = 1000;
	for (size_t i = 0; i < VTD_ARRAY_SIZE(props); i++) {
		const char *name = props[i].pub.name;
		unsigned d = vtd_edit_distance(key, name, 999);
		/* "flts" means "x-flts": an experimental prefix left out */
		if (!strncmp(name, "x-", 2) && !strcmp(key, name + 2))
			d = 0;
		if (d < bestd) {
			bestd = d;
			best = name;
		}
	}
	return best;
}

static int set_prop(struct vtd_config *cfg, const struct prop *p, const char *val,
		    struct vtd_error *err)
{
	char *field = (char *)cfg + p->off;
	switch (p->type) {
	case P_BOOL: {
		bool b;
		if (parse_bool(val, &b)) {
			vtd_error_add(err, VTD_ERR_BAD_VALUE,
				      "%s: invalid value '%s' (expected on or off)",
				      p->pub.name, val);
			return -EINVAL;
		}
		memcpy(field, &b, sizeof(b));
		return 0;
	}
	case P_ONOFFAUTO: {
		enum vtd_onoffauto v;
		bool b;
		if (!strcmp(val, "auto"))
			v = VTD_AUTO;
		else if (!parse_bool(val, &b))
			v = b ? VTD_ON : VTD_OFF;
		else {
			vtd_error_add(err, VTD_ERR_BAD_VALUE,
				      "%s: invalid value '%s' (expected on, off or auto)",
				      p->pub.name, val);
			return -EINVAL;
		}
		memcpy(field, &v, sizeof(v));
		return 0;
	}
	case P_UINT8: {
		uint64_t n;
		int r = vtd_parse_u64(val, &n);
		if (r || n > UINT8_MAX) {
			vtd_error_add(err, r == -EINVAL ? VTD_ERR_BAD_VALUE : VTD_ERR_RANGE,
				      "%s: invalid value '%s' (expected a number from 0 to 255)",
				      p->pub.name, val);
			return -EINVAL;
		}
		uint8_t u = (uint8_t)n;
		memcpy(field, &u, sizeof(u));
		return 0;
	}
	case P_UINT32: {
		uint64_t n;
		int r = vtd_parse_u64(val, &n);
		if (r || n > UINT32_MAX) {
			vtd_error_add(err, r == -EINVAL ? VTD_ERR_BAD_VALUE : VTD_ERR_RANGE,
				      "%s: invalid value '%s' (expected a number from 0 to 4294967295)",
				      p->pub.name, val);
			return -EINVAL;
		}
		uint32_t u = (uint32_t)n;
		memcpy(field, &u, sizeof(u));
		return 0;
	}
	case P_IRQCHIP: {
		enum vtd_irqchip v;
		if (!strcmp(val, "split"))
			v = VTD_IRQCHIP_SPLIT;
		else if (!strcmp(val, "off"))
			v = VTD_IRQCHIP_OFF;
		else if (!strcmp(val, "on"))
			v = VTD_IRQCHIP_ON;
		else {
			vtd_error_add(err, VTD_ERR_BAD_VALUE,
				      "%s: invalid value '%s' (expected on, off or split)",
				      p->pub.name, val);
			return -EINVAL;
		}
		memcpy(field, &v, sizeof(v));
		return 0;
	}
	}
	return -EINVAL;
}

/* Show user text safely inside a message: bounded and printable. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t j = 0;
	for (size_t i = 0; s[i] && j + 4 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f) {
			buf[j++] = (char)c;
		} else {
			j += (size_t)snprintf(buf + j, len - j, "\\x%02x", c);
		}
		if (i >= 60) {
			snprintf(buf + j, len - j, "...");
			return buf;
		}
	}
	buf[j] = '\0';
	return buf;
}

VTD_API int vtd_config_parse(struct vtd_config *cfg, const char *text,
			     struct vtd_error *err)
{
	vtd_error_clear(err);
	vtd_config_init(cfg);
	if (!text)
		text = "";

	bool seen[VTD_ARRAY_SIZE(props)] = { false };
	int bad = 0;
	const char *p = text;
	bool first = true;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char item[128];
		char s1[96], s2[96];
		if (n == 0) { /* tolerate empty items such as a trailing comma */
			p += end ? 1 : 0;
			first = false;
			continue;
		}
		if (n >= sizeof(item)) {
			memcpy(item, p, sizeof(item) - 1);
			item[sizeof(item) - 1] = '\0';
			vtd_error_add(err, VTD_ERR_SYNTAX, "property '%s' is too long",
				      shown(item, s1, sizeof(s1)));
			bad = 1;
			p += n + (end ? 1 : 0);
			first = false;
			continue;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		p += n + (end ? 1 : 0);

		char *eq = strchr(item, '=');
		/* Accept a pasted "-device intel-iommu,..." argument. */
		if (first && !eq && !strcmp(item, "intel-iommu")) {
			first = false;
			continue;
		}
		first = false;
		if (eq && !strncmp(item, "driver=", 7)) {
			if (strcmp(eq + 1, "intel-iommu")) {
				vtd_error_add(err, VTD_ERR_BAD_VALUE,
					      "driver: '%s' is not intel-iommu",
					      shown(eq + 1, s1, sizeof(s1)));
				bad = 1;
			}
			continue;
		}
		if (!eq) {
			const struct prop *pr = find_prop(item);
			if (pr)
				vtd_error_add(err, VTD_ERR_SYNTAX,
					      "'%s' has no value; write %s=on (or another value)",
					      item, item);
			else
				vtd_error_add(err, VTD_ERR_SYNTAX,
					      "'%s' is not of the form key=value",
					      shown(item, s1, sizeof(s1)));
			bad = 1;
			continue;
		}
		*eq = '\0';
		const char *key = item, *val = eq + 1;
		if (!strcmp(key, "id")) /* a device id names nothing here */
			continue;
		const struct prop *pr = find_prop(key);
		if (!pr) {
			vtd_error_add(err, VTD_ERR_UNKNOWN_KEY,
				      "unknown property '%s' (did you mean '%s'?)",
				      shown(key, s1, sizeof(s1)), nearest_prop(key));
			bad = 1;
			continue;
		}
		size_t idx = (size_t)(pr - props);
		if (seen[idx]) {
			vtd_error_add(err, VTD_ERR_DUPLICATE,
				      "%s: given more than once (last value '%s')",
				      key, shown(val, s2, sizeof(s2)));
			bad = 1;
			continue;
		}
		seen[idx] = true;
		if (!*val) {
			vtd_error_add(err, VTD_ERR_BAD_VALUE, "%s: empty value", key);
			bad = 1;
			continue;
		}
		char valbuf[96];
		if (set_prop(cfg, pr, shown(val, valbuf, sizeof(valbuf)), err))
			bad = 1;
	}
	if (bad)
		return -EINVAL;
	return vtd_config_validate(cfg, err);
}

VTD_API int vtd_config_validate(struct vtd_config *cfg, struct vtd_error *err)
{
	unsigned before = err ? err->count : 0;
	int bad = 0;
#define FAIL(code, ...)                                   \
	do {                                              \
		vtd_error_add(err, code, __VA_ARGS__);    \
		bad = 1;                                  \
	} while (0)

	/* x86-iommu realize: resolve intremap=auto from the irqchip mode. */
	bool irq_all_kernel = cfg->irqchip == VTD_IRQCHIP_ON;
	if (cfg->intremap == VTD_AUTO)
		cfg->intremap = irq_all_kernel ? VTD_OFF : VTD_ON;
	bool ir = cfg->intremap == VTD_ON;
	if (ir && irq_all_kernel)
		FAIL(VTD_ERR_CONFLICT,
		     "intremap=on: Interrupt Remapping cannot work with kernel-irqchip=on, please use 'split|off'");

	/* QEMU 11 refuses x-pasid-mode with device-iotlb ("PASID based device
	 * IOTLB is not supported"); the svm series lifts that, and svm=on
	 * needs both, so libvtd follows the series and allows the pair. */

	/* vtd_decide_config(), in QEMU's order */
	if (cfg->eim == VTD_ON && !ir)
		FAIL(VTD_ERR_CONFLICT, "eim=on cannot be selected without intremap=on");
	if (cfg->eim == VTD_AUTO) {
		bool in_kernel = cfg->irqchip != VTD_IRQCHIP_OFF;
		cfg->eim = (in_kernel || cfg->buggy_eim) && ir ? VTD_ON : VTD_OFF;
	}
	if (!cfg->scalable_mode && cfg->flts)
		FAIL(VTD_ERR_CONFLICT,
		     "x-flts=on: x-flts is only available in scalable mode (set x-scalable-mode=on)");
	if (!cfg->flts && cfg->aw_bits != 39 && cfg->aw_bits != 48)
		FAIL(VTD_ERR_RANGE,
		     "aw-bits=%u: %s: supported values for aw-bits are: 39, 48",
		     cfg->aw_bits,
		     cfg->scalable_mode ? "Scalable mode(flts=off)" : "Legacy mode");
	if (cfg->flts && cfg->aw_bits != 48)
		FAIL(VTD_ERR_RANGE,
		     "aw-bits=%u: Scalable mode(x-flts=on): supported value for aw-bits is: 48",
		     cfg->aw_bits);
	if (cfg->scalable_mode && !cfg->dma_drain)
		FAIL(VTD_ERR_CONFLICT,
		     "dma-drain=off: Need to set dma_drain for scalable mode");
	if (cfg->nest && !cfg->scalable_mode)
		FAIL(VTD_ERR_CONFLICT, "x-nest=on: nested translation needs x-scalable-mode=on");
	if (cfg->nest && cfg->aw_bits != 48)
		FAIL(VTD_ERR_RANGE, "aw-bits=%u: x-nest=on needs aw-bits=48 (4-level first stage)",
		     cfg->aw_bits);
	/* CAP.PI=1 with ECAP.IR=0 is a combination the spec rules out: posting
	 * is a form of the IRTE, and without remapping there is no IRTE. */
	if (cfg->pi && !ir)
		FAIL(VTD_ERR_CONFLICT,
		     "x-pi=on: posted interrupts need interrupt remapping (intremap=on)");
	if (cfg->smpwc && !cfg->scalable_mode)
		FAIL(VTD_ERR_CONFLICT, "x-smpwc=on: page-walk snooping is set per PASID entry: "
		     "needs x-scalable-mode=on");
	if (cfg->ssads && !cfg->scalable_mode)
		FAIL(VTD_ERR_CONFLICT, "x-ssads=on: needs x-scalable-mode=on");
	else if (cfg->ssads && cfg->flts && !cfg->nest)
		FAIL(VTD_ERR_CONFLICT, "x-ssads=on: needs a second stage (x-flts=off, or x-nest=on)");
	/* A/D flags can only be updated by snooped walks (as Linux's
	 * ssads_supported() also requires SMPWC) */
	if (cfg->ssads && !cfg->smpwc)
		FAIL(VTD_ERR_CONFLICT, "x-ssads=on: accessed/dirty updates need snooped walks: "
		     "needs x-smpwc=on");
	/* A guest with 5-level CPU paging (LA57) shares its page tables with
	 * devices (SVA) only when the IOMMU walks 5 levels too: Linux refuses
	 * SVA on such a CPU without CAP.FS5LP. */
	if (cfg->fs5lp && !(cfg->scalable_mode && (cfg->flts || cfg->nest)))
		FAIL(VTD_ERR_CONFLICT, "x-fs5lp=on: 5-level paging is for the first stage: "
		     "needs x-scalable-mode=on with x-flts=on or x-nest=on");
	if (cfg->ers && !cfg->pasid)
		FAIL(VTD_ERR_CONFLICT,
		     "x-ers=on: execute requests carry a PASID: needs x-pasid-mode=on");
	if (cfg->pasid && !cfg->scalable_mode)
		FAIL(VTD_ERR_CONFLICT,
		     "x-pasid-mode=on: Need to set scalable mode for PASID");
	if (cfg->svm) {
		if (!cfg->device_iotlb)
			FAIL(VTD_ERR_CONFLICT, "svm=on: Need to set device IOTLB for svm (device-iotlb=on)");
		if (!cfg->flts)
			FAIL(VTD_ERR_CONFLICT, "svm=on: Need to set flts for svm (x-flts=on)");
		if (!cfg->dma_translation)
			FAIL(VTD_ERR_CONFLICT, "svm=on: Need to set dma-translation for svm");
		if (!cfg->pasid)
			FAIL(VTD_ERR_CONFLICT, "svm=on: Need to set PASID support for svm (x-pasid-mode=on)");
	}
#undef FAIL
	(void)before;
	return bad ? -EINVAL : 0;
}

static const char *oaa_name(enum vtd_onoffauto v)
{
	return v == VTD_ON ? "on" : v == VTD_OFF ? "off" : "auto";
}

static const char *irqchip_name(enum vtd_irqchip v)
{
	return v == VTD_IRQCHIP_ON ? "on" : v == VTD_IRQCHIP_OFF ? "off" : "split";
}

static bool same_field(const struct prop *p, const struct vtd_config *a,
		       const struct vtd_config *b)
{
	size_t n = p->type == P_BOOL ? sizeof(bool)
		 : p->type == P_UINT8 ? sizeof(uint8_t)
		 : p->type == P_UINT32 ? sizeof(uint32_t)
		 : p->type == P_ONOFFAUTO ? sizeof(enum vtd_onoffauto)
					  : sizeof(enum vtd_irqchip);
	return !memcmp((const char *)a + p->off, (const char *)b + p->off, n);
}

VTD_API int vtd_config_format(const struct vtd_config *cfg, char *buf, size_t len)
{
	return vtd_config_format_opts(cfg, 0, buf, len);
}

VTD_API int vtd_config_format_opts(const struct vtd_config *cfg, unsigned flags, char *buf,
				   size_t len)
{
	/* For VTD_FORMAT_CHANGED, compare with the defaults resolved the same
	 * way (same irqchip), so auto values that resolve alike are omitted. */
	struct vtd_config def;
	vtd_config_init(&def);
	def.irqchip = cfg->irqchip;
	vtd_config_validate(&def, NULL);
	size_t total = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < VTD_ARRAY_SIZE(props); i++) {
		const struct prop *p = &props[i];
		const char *field = (const char *)cfg + p->off;
		if ((flags & VTD_FORMAT_CHANGED) && same_field(p, cfg, &def))
			continue;
		char val[16];
		switch (p->type) {
		case P_BOOL: {
			bool b;
			memcpy(&b, field, sizeof(b));
			snprintf(val, sizeof(val), "%s", b ? "on" : "off");
			break;
		}
		case P_ONOFFAUTO: {
			enum vtd_onoffauto v;
			memcpy(&v, field, sizeof(v));
			snprintf(val, sizeof(val), "%s", oaa_name(v));
			break;
		}
		case P_UINT8: {
			uint8_t u;
			memcpy(&u, field, sizeof(u));
			snprintf(val, sizeof(val), "%u", u);
			break;
		}
		case P_UINT32: {
			uint32_t u;
			memcpy(&u, field, sizeof(u));
			snprintf(val, sizeof(val), "%u", u);
			break;
		}
		case P_IRQCHIP: {
			enum vtd_irqchip v;
			memcpy(&v, field, sizeof(v));
			snprintf(val, sizeof(val), "%s", irqchip_name(v));
			break;
		}
		}
		int n = snprintf(total < len ? buf + total : NULL,
				 total < len ? len - total : 0, "%s%s=%s",
				 total ? "," : "", p->pub.name, val);
		if (n > 0)
			total += (size_t)n;
	}
	if (len && total >= len)
		buf[len - 1] = '\0';
	return (int)total;
}

int vtd_config_take(const struct vtd_config *cfg, struct vtd_config *out, struct vtd_error *err)
{
	if (cfg)
		*out = *cfg;
	else
		vtd_config_init(out);
	return vtd_config_validate(out, err);
}
