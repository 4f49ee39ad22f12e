/* SPDX-License-Identifier: MIT */
/* vtd caps: the CAP/ECAP registers a configuration gives the guest.
 * Also the decoding shared with `vtd decode`. */
#include "vtd-tool.h"

#include <getopt.h>
#include <string.h>

/* "a, b" for each set bit of v that has a name; none_text when v is 0. */
static void join(char *buf, size_t len, uint64_t v, const char *const *names, unsigned n,
		 const char *none_text)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		if (v & (1ull << i))
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
						 used ? ", " : "", names[i]);
	if (!used)
		snprintf(buf, len, "%s", none_text);
}

/* A few fields mean more than their number; say what. */
static void interpret(char *buf, size_t len, enum vtd_capreg reg, const char *name,
		      uint64_t v)
{
	buf[0] = '\0';
	if (reg == VTD_CAPREG_CAP) {
		if (!strcmp(name, "ND"))
			snprintf(buf, len, "%llu domains",
				 (unsigned long long)(1ull << (4 + 2 * (v & 7))));
		else if (!strcmp(name, "SAGAW"))
			join(buf, len, v, (const char *const[]){ "30-bit/2-level", "39-bit/3-level",
				 "48-bit/4-level", "57-bit/5-level", "64-bit/6-level" }, 5,
			     "none (no second-stage tables)");
		else if (!strcmp(name, "MGAW"))
			snprintf(buf, len, "%u-bit", (unsigned)v + 1);
		else if (!strcmp(name, "FRO"))
			snprintf(buf, len, "fault records at 0x%x", (unsigned)v * 16);
		else if (!strcmp(name, "SSLPS"))
			join(buf, len, v, (const char *const[]){ "2M", "1G", "512G", "1T" }, 4,
			     "none");
		else if (!strcmp(name, "NFR"))
			snprintf(buf, len, "%u fault-recording register%s", (unsigned)v + 1,
				 v ? "s" : "");
		else if (!strcmp(name, "MAMV"))
			snprintf(buf, len, "up to 2^%u pages per invalidation", (unsigned)v);
	} else {
		if (!strcmp(name, "IRO"))
			snprintf(buf, len, "IVA at 0x%x, IOTLB at 0x%x", (unsigned)v * 16,
				 (unsigned)v * 16 + 8);
		else if (!strcmp(name, "PSS") && v)
			snprintf(buf, len, "%u-bit PASIDs", (unsigned)v + 1);
		else if (!strcmp(name, "MHMV") && v)
			snprintf(buf, len, "index mask up to 2^%u", (unsigned)v);
	}
}

static void print_reg_text(FILE *f, const char *title, enum vtd_capreg reg, uint64_t val)
{
	const struct vtd_field *fl;
	size_t n = vtd_caps_fields(reg, &fl);
	fprintf(f, "%-5s 0x%016llx\n", title, (unsigned long long)val);
	for (size_t i = 0; i < n; i++) {
		char bits[16], note[96];
		uint64_t v = vtd_field_get(&fl[i], val);
		if (fl[i].hi == fl[i].lo)
			snprintf(bits, sizeof(bits), "%u", fl[i].lo);
		else
			snprintf(bits, sizeof(bits), "%u:%u", fl[i].hi, fl[i].lo);
		interpret(note, sizeof(note), reg, fl[i].name, v);
		fprintf(f, "  %-8s %-6s %#6llx  %s%s%s%s\n", fl[i].name, bits,
			(unsigned long long)v, fl[i].desc, note[0] ? " [" : "", note,
			note[0] ? "]" : "");
	}
	uint64_t rsv = val & vtd_caps_reserved(reg);
	if (rsv)
		fprintf(f, "  reserved bits set: 0x%016llx (not defined by the VT-d spec)\n",
			(unsigned long long)rsv);
	else
		fprintf(f, "  reserved bits set: none\n");
}

void print_caps_text(FILE *f, uint32_t ver, bool has_ver, uint64_t cap, bool has_cap,
		     uint64_t ecap, bool has_ecap)
{
	if (has_ver)
		fprintf(f, "VER   0x%x (%u.%u)\n", ver, (ver >> 4) & 0xf, ver & 0xf);
	if (has_cap)
		print_reg_text(f, "CAP", VTD_CAPREG_CAP, cap);
	if (has_ecap)
		print_reg_text(f, "ECAP", VTD_CAPREG_ECAP, ecap);
}

static void print_fields_json(FILE *f, enum vtd_capreg reg, uint64_t val)
{
	const struct vtd_field *fl;
	size_t n = vtd_caps_fields(reg, &fl);
	fputc('{', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", fl[i].name,
			(unsigned long long)vtd_field_get(&fl[i], val));
	fputc('}', f);
}

void print_caps_json(FILE *f, uint32_t ver, bool has_ver, uint64_t cap, bool has_cap,
		     uint64_t ecap, bool has_ecap)
{
	const char *sep = "";
	if (has_ver) {
		fprintf(f, "\"ver\":\"0x%x\"", ver);
		sep = ",";
	}
	if (has_cap) {
		fprintf(f, "%s\"cap\":\"0x%llx\",\"cap_fields\":", sep, (unsigned long long)cap);
		print_fields_json(f, VTD_CAPREG_CAP, cap);
		fprintf(f, ",\"cap_reserved\":\"0x%llx\"",
			(unsigned long long)(cap & vtd_caps_reserved(VTD_CAPREG_CAP)));
		sep = ",";
	}
	if (has_ecap) {
		fprintf(f, "%s\"ecap\":\"0x%llx\",\"ecap_fields\":", sep, (unsigned long long)ecap);
		print_fields_json(f, VTD_CAPREG_ECAP, ecap);
		fprintf(f, ",\"ecap_reserved\":\"0x%llx\"",
			(unsigned long long)(ecap & vtd_caps_reserved(VTD_CAPREG_ECAP)));
	}
}

static int run_caps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	bool json = false;
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:j", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return bad_option("caps", opt, optopt, argv, optind);
		}
	}
	if (optind < argc)
		return usage_error("caps", "unexpected argument '%s'", argv[optind]);

	struct vtd_config cfg;
	if (parse_config_arg("caps", config, &cfg))
		return EXIT_USAGE;
	char norm[1024];
	vtd_config_format(&cfg, norm, sizeof(norm));
	uint32_t ver = vtd_caps_version(&cfg);
	uint64_t cap = vtd_caps_cap(&cfg), ecap = vtd_caps_ecap(&cfg);
	if (json) {
		printf("{\"config\":");
		json_str(stdout, norm);
		putchar(',');
		print_caps_json(stdout, ver, true, cap, true, ecap, true);
		printf("}\n");
	} else {
		printf("config %s\n", norm);
		print_caps_text(stdout, ver, true, cap, true, ecap, true);
	}
	return EXIT_OK;
}

const struct subcommand cmd_caps = {
	.name = "caps",
	.summary = "show the CAP/ECAP registers a configuration gives the guest",
	.usage = "Usage: vtd caps [--config PROPS] [--json]\n\n"
		 "Print VER, CAP and ECAP of a vIOMMU with the given intel-iommu properties\n"
		 "(QEMU syntax, e.g. x-scalable-mode=on,x-flts=on), every field decoded.\n"
		 "Without --config, QEMU's defaults.  Beyond QEMU's properties libvtd takes\n"
		 "kernel-irqchip=on|off|split, x-nest=on (nested translation), x-pi=on\n"
		 "(posted interrupts, needs intremap=on), x-ers=on (execute requests, needs\n"
		 "x-pasid-mode=on), x-smpwc=on (page-walk snoop control), x-ssads=on\n"
		 "(second-stage accessed/dirty flags, needs x-smpwc=on) and x-fs5lp=on\n"
		 "(5-level first stage, needs x-flts=on or x-nest=on); see vtd(1).\n\n"
		 "  -c, --config PROPS  intel-iommu properties, key=value,...\n"
		 "  -j, --json          JSON: {config, ver, cap, ecap, cap_fields, ecap_fields,\n"
		 "                      cap_reserved, ecap_reserved}\n\n"
		 "Exit status: 0 ok, 2 invalid configuration or usage.\n",
	.run = run_caps,
};
