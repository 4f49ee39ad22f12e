/* SPDX-License-Identifier: MIT */
/*
 * CAP/ECAP decoding: arbitrary register values through the field tables,
 * the spec-named accessors, the text and JSON decoding `vtd decode` and
 * `vtd caps` print, and the host-side use of the same values (the
 * compatibility check and the baseline against a host with these
 * registers).  Input: CAP (8 bytes, little-endian), ECAP (8), then a flags
 * byte and a field name to look up.  The decoding must never crash, every
 * field value must be the bits it names, defined fields and reserved bits
 * must not overlap, and the output must name every field.
 */
#include "../tools/vtd/vtd-tool.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reg(enum vtd_capreg reg, uint64_t val, const char *text, const char *json)
{
	const struct vtd_field *fl;
	size_t n = vtd_caps_fields(reg, &fl);
	uint64_t covered = 0;
	/* fields are printed in table order: each is searched after the last */
	const char *tp = text, *jp = json;
	for (size_t i = 0; i < n; i++) {
		if (fl[i].hi < fl[i].lo || fl[i].hi > 63 || !fl[i].name || !fl[i].desc)
			abort();
		uint64_t mask = (~0ull >> (63 - fl[i].hi + fl[i].lo)) << fl[i].lo;
		if (covered & mask)
			abort(); /* two fields claim a bit */
		covered |= mask;
		if (vtd_field_get(&fl[i], val) != (val & mask) >> fl[i].lo)
			abort();
		if (vtd_caps_field(reg, fl[i].name) != &fl[i])
			abort();
		char key[64];
		snprintf(key, sizeof(key), "\"%s\":%llu", fl[i].name,
			 (unsigned long long)vtd_field_get(&fl[i], val));
		if (!(jp = strstr(jp, key)))
			abort();
		snprintf(key, sizeof(key), "\n  %-8s ", fl[i].name);
		if (!(tp = strstr(tp, key)))
			abort();
	}
	if (covered & vtd_caps_reserved(reg))
		abort(); /* a defined field is also reserved */
}

static char *print(bool json, uint64_t cap, uint64_t ecap, uint32_t ver, unsigned which)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	if (json)
		print_caps_json(f, ver, which & 4, cap, which & 1, ecap, which & 2);
	else
		print_caps_text(f, ver, which & 4, cap, which & 1, ecap, which & 2);
	if (fclose(f))
		abort();
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t cap = 0, ecap = 0;
	uint8_t flags = 0;
	memcpy(&cap, data, size < 8 ? size : 8);
	if (size > 8)
		memcpy(&ecap, data + 8, size - 8 < 8 ? size - 8 : 8);
	if (size > 16)
		flags = data[16];

	/* the full decoding, both registers, as `vtd decode --cap --ecap [--json]` */
	char *text = print(false, cap, ecap, flags, 3 | (flags & 4));
	char *json = print(true, cap, ecap, flags, 3 | (flags & 4));
	const char *text_ecap = strstr(text, "\nECAP  "), *json_ecap = strstr(json, "\"ecap_fields\"");
	if (!text_ecap || !json_ecap)
		abort();
	check_reg(VTD_CAPREG_CAP, cap, text, json);
	check_reg(VTD_CAPREG_ECAP, ecap, text_ecap, json_ecap);
	free(text);
	free(json);
	/* one register alone */
	free(print(flags & 8, cap, ecap, 0, flags & 3));

	/* a field looked up by any name (case-insensitive, NULL if unknown) */
	if (size > 17) {
		size_t nlen = size - 17 < 31 ? size - 17 : 31;
		char name[32];
		memcpy(name, data + 17, nlen);
		name[nlen] = '\0';
		for (int reg = VTD_CAPREG_CAP; reg <= VTD_CAPREG_ECAP; reg++) {
			const struct vtd_field *f = vtd_caps_field((enum vtd_capreg)reg, name);
			if (f && strcasecmp(f->name, name))
				abort();
		}
	}

	/* a host whose IOMMU has these registers, against a few guest
	 * configurations: the compatibility rules and the baseline decode
	 * every field they look at */
	static const char *const configs[] = {
		"",
		"x-scalable-mode=on,x-flts=on,caching-mode=on",
		"x-scalable-mode=on,x-flts=on,x-pasid-mode=on,device-iotlb=on,svm=on,aw-bits=48",
		"x-scalable-mode=on,x-nest=on,snoop-control=on,caching-mode=on",
	};
	struct vtd_host_device d;
	vtd_host_device_init(&d, cap, ecap);
	d.max_pasid_log2 = (uint8_t)(flags >> 3);
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		struct vtd_config cfg, out;
		if (vtd_config_parse(&cfg, configs[i], NULL))
			abort();
		struct vtd_compat_result r;
		if (vtd_compat_check(&cfg, &d, &r))
			abort();
		struct vtd_error why;
		(void)vtd_compat_baseline(&cfg, &d, 1, &out, &why);
	}
	return 0;
}
