/* SPDX-License-Identifier: MIT */
/* vtd host list | show NAME | probe: the host IOMMUs libvtd knows of. */
#include "vtd-tool.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *nest_summary(uint64_t cap, uint64_t ecap)
{
	if (!vtd_ecap_smts(ecap))
		return vtd_ecap_nest(ecap) ? "NEST without scalable mode: cannot nest"
					   : "legacy mode only: cannot nest";
	if (!vtd_ecap_nest(ecap))
		return "scalable mode, NEST=0: cannot nest";
	if (!vtd_ecap_fsts(ecap) || !vtd_ecap_ssts(ecap))
		return "NEST without both stages: cannot nest";
	if (!vtd_cap_fs1gp(cap))
		return "can nest (no 1G first-stage pages)";
	return "can nest";
}

static int host_list(bool json)
{
	const struct vtd_host_profile *p;
	size_t n = vtd_host_profiles(&p);
	if (json) {
		printf("[");
		for (size_t i = 0; i < n; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_str(stdout, p[i].name);
			printf(",\"platform\":");
			json_str(stdout, p[i].platform);
			printf(",\"version\":");
			json_str(stdout, p[i].version);
			printf(",\"cap\":\"0x%llx\",\"ecap\":\"0x%llx\",\"nesting\":",
			       (unsigned long long)p[i].cap, (unsigned long long)p[i].ecap);
			json_str(stdout, nest_summary(p[i].cap, p[i].ecap));
			printf("}");
		}
		printf("]\n");
		return EXIT_OK;
	}
	printf("%-18s %-4s %-18s %-16s %s\n", "NAME", "VER", "CAP", "ECAP", "NESTING");
	for (size_t i = 0; i < n; i++)
		printf("%-18s %-4s %-18llx %-16llx %s\n", p[i].name, p[i].version,
		       (unsigned long long)p[i].cap, (unsigned long long)p[i].ecap,
		       nest_summary(p[i].cap, p[i].ecap));
	printf("%zu profiles; 'vtd host show NAME' for the platform, source and fields\n", n);
	return EXIT_OK;
}

static int host_show(const char *name, bool json)
{
	const struct vtd_host_profile *p;
	size_t n = vtd_host_profiles(&p);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(p[i].name, name))
			continue;
		if (json) {
			printf("{\"name\":");
			json_str(stdout, p[i].name);
			printf(",\"platform\":");
			json_str(stdout, p[i].platform);
			printf(",\"unit\":");
			json_str(stdout, p[i].unit);
			printf(",\"version\":");
			json_str(stdout, p[i].version);
			printf(",\"source\":");
			json_str(stdout, p[i].source);
			printf(",\"note\":");
			json_str(stdout, p[i].note);
			printf(",\"nesting\":");
			json_str(stdout, nest_summary(p[i].cap, p[i].ecap));
			printf(",");
			print_caps_json(stdout, 0, false, p[i].cap, true, p[i].ecap, true);
			printf("}\n");
			return EXIT_OK;
		}
		printf("name      %s\nplatform  %s\nunit      %s\nversion   %s\nsource    %s\n"
		       "note      %s\nnesting   %s\n",
		       p[i].name, p[i].platform, p[i].unit, p[i].version, p[i].source, p[i].note,
		       nest_summary(p[i].cap, p[i].ecap));
		print_caps_text(stdout, 0, false, p[i].cap, true, p[i].ecap, true);
		return EXIT_OK;
	}
	struct vtd_host_device d;
	struct vtd_error err;
	vtd_host_from_profile(name, &d, &err);
	return usage_error("host", "%s", err.msg);
}

/* The iommufd view of each VFIO device cdev (IOMMU_GET_HW_INFO after
 * binding it), as the kernel reports it; a device in use elsewhere says
 * why it could not be bound.  At most MAX_CDEVS, in name order. */
#define MAX_CDEVS 64
struct cdev_view {
	char path[520];            /* the directory (< 256) / a name (< 256) */
	bool ok;
	struct vtd_host_device dev;
	struct vtd_error err;
};

static int cdev_cmp(const void *a, const void *b)
{
	const struct cdev_view *x = a, *y = b;
	size_t lx = strlen(x->path), ly = strlen(y->path);
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->path, y->path); /* vfio2 < vfio10 */
}

static size_t probe_cdevs(const char *root, struct cdev_view *v)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/dev/vfio/devices", root);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < MAX_CDEVS) {
		if (strncmp(e->d_name, "vfio", 4))
			continue;
		snprintf(v[n].path, sizeof(v[n].path), "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cdev_cmp);
	for (size_t i = 0; i < n; i++) {
		vtd_error_clear(&v[i].err);
		v[i].ok = vtd_host_probe_iommufd(v[i].path, &v[i].dev, &v[i].err) == 0;
	}
	return n;
}

static int host_probe(const char *root, bool json)
{
	struct machine_facts m;
	machine_facts(root, &m);
	struct hostlist l = { 0 };
	int r = hosts_from_machine("host", root, &l, true);
	struct vtd_host_device tmp[1];
	size_t nunits = 0;
	struct vtd_error err;
	vtd_error_clear(&err);
	if (r)
		vtd_host_probe_sysfs(root, tmp, 0, &nunits, &err);
	/* What is missing, in the order an operator would fix it. */
	const char *missing[4];
	unsigned nm = 0;
	if (r)
		missing[nm++] = "no VT-d unit in /sys/class/iommu: enable VT-d in the firmware and "
				"boot with intel_iommu=on";
	if (!m.dev_iommu)
		missing[nm++] = "no /dev/iommu: the kernel needs CONFIG_IOMMUFD (modprobe iommufd)";
	if (!m.vfio_dir)
		missing[nm++] = "no /dev/vfio: load vfio-pci and bind the device to it";
	else if (!m.vfio_cdev)
		missing[nm++] = "no /dev/vfio/devices: the kernel needs CONFIG_VFIO_DEVICE_CDEV "
				"(Linux 6.6 or later) for iommufd device access";
	/* the kernel's own view needs /dev/iommu and the device cdevs */
	struct cdev_view *cdevs = NULL;
	size_t ncdev = 0;
	if (m.dev_iommu && m.vfio_cdev) {
		cdevs = calloc(MAX_CDEVS, sizeof(*cdevs));
		if (cdevs)
			ncdev = probe_cdevs(root, cdevs);
	}
	if (json) {
		printf("{\"dev_iommu\":%s,\"vfio\":%s,\"vfio_cdev\":%s,\"units\":[",
		       m.dev_iommu ? "true" : "false", m.vfio_dir ? "true" : "false",
		       m.vfio_cdev ? "true" : "false");
		for (size_t i = 0; i < l.n; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_str(stdout, l.dev[i].name);
			printf(",\"cap\":\"0x%llx\",\"ecap\":\"0x%llx\",\"nesting\":",
			       (unsigned long long)l.dev[i].cap, (unsigned long long)l.dev[i].ecap);
			json_str(stdout, nest_summary(l.dev[i].cap, l.dev[i].ecap));
			printf("}");
		}
		printf("],\"iommufd\":[");
		for (size_t i = 0; i < ncdev; i++) {
			printf("%s{\"device\":", i ? "," : "");
			json_str(stdout, cdevs[i].path);
			if (cdevs[i].ok) {
				const struct vtd_host_device *h = &cdevs[i].dev;
				printf(",\"hw_info_type\":%u,\"flags\":\"0x%x\",\"cap\":\"0x%llx\","
				       "\"ecap\":\"0x%llx\",\"max_pasid_log2\":%u,\"nesting\":",
				       h->hw_info_type, h->hw_info_flags, (unsigned long long)h->cap,
				       (unsigned long long)h->ecap, h->max_pasid_log2);
				json_str(stdout, nest_summary(h->cap, h->ecap));
			} else {
				printf(",\"error\":");
				json_str(stdout, cdevs[i].err.msg);
			}
			printf("}");
		}
		printf("],\"missing\":[");
		for (unsigned i = 0; i < nm; i++) {
			if (i)
				putchar(',');
			json_str(stdout, missing[i]);
		}
		printf("]}\n");
	} else {
		for (size_t i = 0; i < l.n; i++)
			printf("%-8s cap 0x%llx ecap 0x%llx  %s\n", l.dev[i].name,
			       (unsigned long long)l.dev[i].cap, (unsigned long long)l.dev[i].ecap,
			       nest_summary(l.dev[i].cap, l.dev[i].ecap));
		printf("/dev/iommu         %s\n", m.dev_iommu ? "present" : "absent");
		printf("/dev/vfio          %s\n", m.vfio_dir ? "present" : "absent");
		printf("/dev/vfio/devices  %s\n", m.vfio_cdev ? "present" : "absent");
		for (size_t i = 0; i < ncdev; i++) {
			const struct vtd_host_device *h = &cdevs[i].dev;
			if (cdevs[i].ok)
				printf("%s iommufd: type %u flags 0x%x cap 0x%llx ecap 0x%llx  %s\n",
				       cdevs[i].path, h->hw_info_type, h->hw_info_flags,
				       (unsigned long long)h->cap, (unsigned long long)h->ecap,
				       nest_summary(h->cap, h->ecap));
			else
				printf("%s iommufd: %s\n", cdevs[i].path, cdevs[i].err.msg);
		}
		for (unsigned i = 0; i < nm; i++)
			printf("missing: %s\n", missing[i]);
		if (!nm)
			printf("ready: check a device with 'vtd check --device /dev/vfio/devices/vfioN'\n");
	}
	hosts_free(&l);
	free(cdevs);
	/* A machine that cannot assign devices is a negative result, not a
	 * usage error. */
	return nm ? EXIT_NEGATIVE : EXIT_OK;
}

static int run_host(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "root", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	const char *root = "";
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":j", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': json = true; break;
		case 'r': root = optarg; break;
		default: return bad_option("host", opt, optopt, argv, optind);
		}
	}
	if (optind >= argc)
		return usage_error("host", "give an action: list, show NAME or probe");
	const char *action = argv[optind++];
	if (!strcmp(action, "list")) {
		if (optind < argc)
			return usage_error("host", "unexpected argument '%s'", argv[optind]);
		return host_list(json);
	}
	if (!strcmp(action, "show")) {
		if (optind >= argc)
			return usage_error("host", "show needs a profile NAME ('vtd host list')");
		if (optind + 1 < argc)
			return usage_error("host", "unexpected argument '%s'", argv[optind + 1]);
		return host_show(argv[optind], json);
	}
	if (!strcmp(action, "probe")) {
		if (optind < argc)
			return usage_error("host", "unexpected argument '%s'", argv[optind]);
		return host_probe(root, json);
	}
	return usage_error("host", "unknown action '%s' (list, show or probe)", action);
}

const struct subcommand cmd_host = {
	.name = "host",
	.summary = "list embedded host profiles, show one, or probe this machine",
	.usage = "Usage: vtd host [--json] list | show NAME | probe [--root DIR]\n\n"
		 "  list        the embedded profiles of real hosts' VT-d units\n"
		 "  show NAME   one profile: platform, source of the values, every field\n"
		 "  probe       this machine: its VT-d units (sysfs), each VFIO device cdev's\n"
		 "              IOMMU_GET_HW_INFO (iommufd view), and what device assignment with\n"
		 "              iommufd still lacks (/dev/iommu, VFIO cdev)\n"
		 "  --root DIR  read sysfs and /dev below DIR (tests)\n"
		 "  --json      JSON output\n\n"
		 "Exit status: 0 ok, 1 probe found something missing, 2 usage error.\n",
	.run = run_host,
};
