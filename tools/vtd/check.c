/* SPDX-License-Identifier: MIT */
/* vtd check: can these host devices sit behind this vIOMMU? */
#include "vtd-tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *sev_name(enum vtd_severity s)
{
	return s == VTD_SEV_ERROR ? "error" : "warning";
}

static void json_host(FILE *f, const struct vtd_host_device *d, const struct vtd_compat_result *r)
{
	fprintf(f, "{\"name\":");
	json_str(f, d->name);
	fprintf(f, ",\"description\":");
	json_str(f, d->description);
	fprintf(f, ",\"source\":\"%s\",\"backend\":\"%s\",\"hw_info_type\":%u,"
		   "\"hw_info_flags\":%u,\"cap\":\"0x%llx\",\"ecap\":\"0x%llx\","
		   "\"behind_bridge\":%s,\"compatible\":%s,\"findings\":[",
		source_name(d->source), backend_name(d->backend), d->hw_info_type, d->hw_info_flags,
		(unsigned long long)d->cap, (unsigned long long)d->ecap,
		d->behind_bridge ? "true" : "false", r->compatible ? "true" : "false");
	for (unsigned i = 0; i < r->n; i++) {
		fprintf(f, "%s{\"code\":%d,\"name\":\"%s\",\"severity\":\"%s\",\"message\":", i ? "," : "",
			r->findings[i].code, r->findings[i].name, sev_name(r->findings[i].severity));
		json_str(f, r->findings[i].message);
		fputc('}', f);
	}
	fprintf(f, "]}");
}

/* One host: every finding on its own line.  Several: a table, one row each. */
int report_check(FILE *f, const struct vtd_config *cfg, const struct hostlist *l, bool json)
{
	char norm[1024];
	vtd_config_format_opts(cfg, VTD_FORMAT_CHANGED, norm, sizeof(norm));
	struct vtd_compat_result *res = calloc(l->n ? l->n : 1, sizeof(*res));
	if (!res) {
		fprintf(stderr, "vtd: out of memory\n");
		return EXIT_USAGE;
	}
	bool all_ok = true;
	for (size_t i = 0; i < l->n; i++) {
		vtd_compat_check(cfg, &l->dev[i], &res[i]);
		all_ok &= res[i].compatible;
	}
	if (json) {
		fprintf(f, "{\"config\":");
		json_str(f, norm);
		fprintf(f, ",\"compatible\":%s,\"summary\":", all_ok ? "true" : "false");
		json_str(f, all_ok ? "compatible" : VTD_COMPAT_SUMMARY_FAIL);
		fprintf(f, ",\"hosts\":[");
		for (size_t i = 0; i < l->n; i++) {
			if (i)
				fputc(',', f);
			json_host(f, &l->dev[i], &res[i]);
		}
		fprintf(f, "]}\n");
	} else if (l->n == 1) {
		const struct vtd_host_device *d = &l->dev[0];
		fprintf(f, "guest: %s\n", norm);
		fprintf(f, "host:  %s (%s; %s, backend %s) cap 0x%llx ecap 0x%llx%s\n", d->name,
			d->description[0] ? d->description : "no description", source_name(d->source),
			backend_name(d->backend), (unsigned long long)d->cap,
			(unsigned long long)d->ecap, d->behind_bridge ? ", behind a PCI bridge" : "");
		for (unsigned i = 0; i < res[0].n; i++)
			fprintf(f, "%-7s %s: %s\n", sev_name(res[0].findings[i].severity),
				res[0].findings[i].name, res[0].findings[i].message);
		fprintf(f, "%s\n", res[0].compatible ? "compatible" : VTD_COMPAT_SUMMARY_FAIL);
	} else {
		fprintf(f, "guest: %s\n", norm);
		fprintf(f, "%-18s %-12s %s\n", "HOST", "VERDICT", "REASONS");
		unsigned bad = 0;
		for (size_t i = 0; i < l->n; i++) {
			const struct vtd_compat_result *r = &res[i];
			fprintf(f, "%-18s %-12s ", l->dev[i].name, r->compatible ? "compatible" : "incompatible");
			bad += !r->compatible;
			bool first = true;
			for (unsigned k = 0; k < r->n; k++) {
				if (r->findings[k].severity != VTD_SEV_ERROR)
					continue;
				fprintf(f, "%s%s: %s", first ? "" : "; ", r->findings[k].name,
					r->findings[k].message);
				first = false;
			}
			bool wfirst = true;
			for (unsigned k = 0; k < r->n; k++) {
				if (r->findings[k].severity != VTD_SEV_WARNING)
					continue;
				fprintf(f, "%s%s", wfirst ? (first ? "warning: " : "; warning: ") : ", ",
					r->findings[k].name);
				wfirst = false;
				first = false;
			}
			if (first)
				fputc('-', f);
			fputc('\n', f);
		}
		fprintf(f, "%zu host%s, %zu compatible, %u incompatible\n", l->n, l->n == 1 ? "" : "s",
			l->n - bad, bad);
		if (bad)
			fprintf(f, "%s\n", VTD_COMPAT_SUMMARY_FAIL);
	}
	free(res);
	return all_ok ? EXIT_OK : EXIT_NEGATIVE;
}

static int run_check(int argc, char **argv)
{
	enum { O_PROFILE = 256, O_CAP, O_ECAP, O_TYPE, O_BACKEND, O_BRIDGE, O_DEVICE, O_PROBE,
	       O_ROOT, O_NO_ERRATA, O_PASID_BITS };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "cap", required_argument, NULL, O_CAP },
		{ "ecap", required_argument, NULL, O_ECAP },
		{ "type", required_argument, NULL, O_TYPE },
		{ "backend", required_argument, NULL, O_BACKEND },
		{ "behind-bridge", no_argument, NULL, O_BRIDGE },
		{ "no-errata", no_argument, NULL, O_NO_ERRATA },
		{ "pasid-bits", required_argument, NULL, O_PASID_BITS },
		{ "device", required_argument, NULL, O_DEVICE },
		{ "probe", no_argument, NULL, O_PROBE },
		{ "root", required_argument, NULL, O_ROOT },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *profile = NULL, *device = NULL, *root = "";
	uint64_t cap = 0, ecap = 0, type = VTD_HW_INFO_TYPE_INTEL_VTD, pasid_bits = 0;
	bool has_cap = false, has_ecap = false, has_type = false, json = false, bridge = false;
	bool probe = false, no_errata = false, has_pasid_bits = false;
	int backend = -1;
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:j", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'j': json = true; break;
		case O_PROFILE: profile = optarg; break;
		case O_CAP:
			if (parse_hex_arg("check", "--cap", optarg, &cap))
				return EXIT_USAGE;
			has_cap = true;
			break;
		case O_ECAP:
			if (parse_hex_arg("check", "--ecap", optarg, &ecap))
				return EXIT_USAGE;
			has_ecap = true;
			break;
		case O_TYPE: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 0);
			if (!*optarg || *end || v > 0xffffffffu || optarg[0] == '-')
				return usage_error("check", "--type: '%s' is not a number "
						   "(IOMMU_HW_INFO_TYPE_*: 1 is VT-d)", optarg);
			type = v;
			has_type = true;
			break;
		}
		case O_BACKEND:
			if (!strcmp(optarg, "iommufd"))
				backend = VTD_BACKEND_IOMMUFD;
			else if (!strcmp(optarg, "legacy"))
				backend = VTD_BACKEND_LEGACY;
			else
				return usage_error("check", "--backend: '%s' is not iommufd or legacy",
						   optarg);
			break;
		case O_BRIDGE: bridge = true; break;
		case O_NO_ERRATA: no_errata = true; break;
		case O_PASID_BITS: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 0);
			if (!*optarg || *end || v < 1 || v > 20 || optarg[0] == '-')
				return usage_error("check", "--pasid-bits: '%s' is not a number from 1 "
						   "to 20", optarg);
			pasid_bits = v;
			has_pasid_bits = true;
			break;
		}
		case O_DEVICE: device = optarg; break;
		case O_PROBE: probe = true; break;
		case O_ROOT: root = optarg; break;
		default:
			return bad_option("check", opt, optopt, argv, optind);
		}
	}
	if (optind < argc)
		return usage_error("check", "unexpected argument '%s'", argv[optind]);
	int sources = !!profile + (has_cap || has_ecap) + !!device + probe;
	if (sources != 1)
		return usage_error("check", sources ? "give only one host source"
						    : "give a host source: --profile NAME|all, --cap HEX "
						      "--ecap HEX, --device PATH or --probe");
	if ((has_cap || has_ecap) && !(has_cap && has_ecap))
		return usage_error("check", "--cap and --ecap go together");
	if (has_type && !has_cap)
		return usage_error("check", "--type goes with --cap/--ecap");

	struct vtd_config cfg;
	if (parse_config_arg("check", config, &cfg))
		return EXIT_USAGE;

	struct hostlist l = { 0 };
	int rc = 0;
	if (profile) {
		rc = hosts_from_profiles("check", profile, &l);
	} else if (has_cap) {
		struct vtd_host_device d;
		vtd_host_device_init(&d, cap, ecap);
		d.hw_info_type = (uint32_t)type;
		rc = hosts_add(&l, &d) ? usage_error("check", "out of memory") : 0;
	} else if (device) {
		struct vtd_host_device d;
		struct vtd_error err;
		if (vtd_host_probe_iommufd(device, &d, &err)) {
			fprintf(stderr, "vtd check: %s\n", err.msg);
			rc = EXIT_USAGE;
		} else {
			rc = hosts_add(&l, &d) ? usage_error("check", "out of memory") : 0;
		}
	} else {
		rc = hosts_from_machine("check", root, &l, false) ? EXIT_USAGE : 0;
	}
	if (rc) {
		hosts_free(&l);
		return rc;
	}
	for (size_t i = 0; i < l.n; i++) {
		if (backend >= 0)
			l.dev[i].backend = (enum vtd_host_backend)backend;
		if (bridge)
			l.dev[i].behind_bridge = true;
		if (no_errata)
			l.dev[i].hw_info_flags &= ~VTD_HW_INFO_VTD_ERRATA_772415_SPR17;
		if (has_pasid_bits)
			l.dev[i].max_pasid_log2 = (uint8_t)pasid_bits;
	}
	rc = report_check(stdout, &cfg, &l, json);
	hosts_free(&l);
	return rc;
}

const struct subcommand cmd_check = {
	.name = "check",
	.summary = "check host IOMMUs against a vIOMMU configuration",
	.usage =
		"Usage: vtd check [--config PROPS] HOST-SOURCE [MODIFIERS] [--json]\n\n"
		"Can a device behind this host IOMMU be assigned to a guest with this vIOMMU?\n"
		"Every rule is evaluated; every finding is printed with its reason.\n\n"
		"  -c, --config PROPS      intel-iommu properties (QEMU syntax)\n"
		"  -j, --json              JSON output\n"
		"Host sources (exactly one):\n"
		"      --profile NAME|all  embedded real-host profile(s), comma-separated; see\n"
		"                          'vtd host list'. Several hosts print a table.\n"
		"      --cap HEX --ecap HEX  host CAP/ECAP registers given by hand\n"
		"      --device PATH       a VFIO device (/dev/vfio/devices/vfioN), through iommufd\n"
		"      --probe             this machine's VT-d units (sysfs)\n"
		"Modifiers:\n"
		"      --type N            IOMMU_HW_INFO_TYPE (with --cap; 1 = VT-d)\n"
		"      --backend iommufd|legacy  how the VMM reaches the device (default iommufd)\n"
		"      --behind-bridge     the device sits behind a PCIe-to-PCI bridge\n"
		"      --pasid-bits N      the host's PASID width for this device (max_pasid_log2)\n"
		"      --no-errata         the host does not report ERRATA_772415_SPR17\n"
		"      --root DIR          read sysfs and /dev below DIR (with --probe; for tests)\n\n"
		"Exit status: 0 compatible, 1 incompatible, 2 usage or environment error.\n",
	.run = run_check,
};
