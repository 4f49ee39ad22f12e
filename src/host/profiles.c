/* SPDX-License-Identifier: MIT */
/* Embedded profiles of real hosts' VT-d units, and hand-made devices. */
#include "host.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

VTD_API void vtd_host_device_init(struct vtd_host_device *dev, uint64_t cap, uint64_t ecap)
{
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->name, sizeof(dev->name), "manual");
	dev->source = VTD_HOST_SRC_MANUAL;
	dev->backend = VTD_BACKEND_IOMMUFD;
	dev->hw_info_type = VTD_HW_INFO_TYPE_INTEL_VTD;
	/* Linux >= 6.7 reports the erratum flag for every VT-d unit. */
	dev->hw_info_flags = VTD_HW_INFO_VTD_ERRATA_772415_SPR17;
	dev->cap = cap;
	dev->ecap = ecap;
}

VTD_API size_t vtd_host_profiles(const struct vtd_host_profile **profiles)
{
	if (profiles)
		*profiles = vtd_profiles_data;
	return vtd_profiles_count;
}

static uint32_t parse_version(const char *v)
{
	unsigned maj = 0, min = 0;
	if (sscanf(v, "%u:%u", &maj, &min) == 2 && maj < 16 && min < 16)
		return (maj << 4) | min;
	return 0;
}

VTD_API int vtd_host_from_profile(const char *name, struct vtd_host_device *dev,
				  struct vtd_error *err)
{
	vtd_error_clear(err);
	if (!name || !dev)
		return -EINVAL;
	for (unsigned i = 0; i < vtd_profiles_count; i++) {
		const struct vtd_host_profile *p = &vtd_profiles_data[i];
		if (strcmp(p->name, name))
			continue;
		vtd_host_device_init(dev, p->cap, p->ecap);
		snprintf(dev->name, sizeof(dev->name), "%s", p->name);
		snprintf(dev->description, sizeof(dev->description), "%s", p->platform);
		dev->source = VTD_HOST_SRC_PROFILE;
		dev->version = parse_version(p->version);
		return 0;
	}
	const char *best = vtd_profiles_data[0].name;
	unsigned bestd = ~0u;
	for (unsigned i = 0; i < vtd_profiles_count; i++) {
		unsigned d = vtd_edit_distance(name, vtd_profiles_data[i].name, 64);
		if (d < bestd) {
			bestd = d;
			best = vtd_profiles_data[i].name;
		}
	}
	char shown[80];
	snprintf(shown, sizeof(shown), "%.64s", name);
	for (char *c = shown; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	vtd_error_add(err, VTD_ERR_UNKNOWN_KEY,
		      "no host profile '%s' (did you mean '%s'? 'vtd host list' shows them all)",
		      shown, best);
	return -ENOENT;
}
