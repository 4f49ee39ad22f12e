/* SPDX-License-Identifier: MIT */
/* Host sources shared by check, host, baseline and demo: profiles, this
 * machine (sysfs + /dev), a VFIO device, or registers given by hand. */
#include "vtd-tool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *backend_name(enum vtd_host_backend b)
{
	return b == VTD_BACKEND_LEGACY ? "legacy" : "iommufd";
}

const char *source_name(enum vtd_host_source s)
{
	switch (s) {
	case VTD_HOST_SRC_PROFILE: return "profile";
	case VTD_HOST_SRC_SYSFS: return "sysfs";
	case VTD_HOST_SRC_IOMMUFD: return "iommufd";
	default: return "manual";
	}
}

int hosts_add(struct hostlist *l, const struct vtd_host_device *d)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		struct vtd_host_device *nd = realloc(l->dev, nc * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		l->dev = nd;
		l->cap = nc;
	}
	l->dev[l->n++] = *d;
	return 0;
}

void hosts_free(struct hostlist *l)
{
	free(l->dev);
	memset(l, 0, sizeof(*l));
}

/* "all" or a comma list of profile names */
int hosts_from_profiles(const char *cmd, const char *spec, struct hostlist *l)
{
	if (!strcmp(spec, "all")) {
		const struct vtd_host_profile *p;
		size_t n = vtd_host_profiles(&p);
		for (size_t i = 0; i < n; i++) {
			struct vtd_host_device d;
			vtd_host_from_profile(p[i].name, &d, NULL);
			if (hosts_add(l, &d))
				return usage_error(cmd, "out of memory");
		}
		return 0;
	}
	char *copy = strdup(spec);
	if (!copy)
		return usage_error(cmd, "out of memory");
	int rc = 0;
	char *save = NULL;
	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		struct vtd_host_device d;
		struct vtd_error err;
		if (vtd_host_from_profile(name, &d, &err)) {
			rc = usage_error(cmd, "--profile: %s", err.msg);
			break;
		}
		if (hosts_add(l, &d)) {
			rc = usage_error(cmd, "out of memory");
			break;
		}
	}
	free(copy);
	if (!rc && !l->n)
		rc = usage_error(cmd, "--profile: no profile named in '%s'", spec);
	return rc;
}

static bool exists(const char *root, const char *path)
{
	char p[4096];
	struct stat st;
	snprintf(p, sizeof(p), "%s%s", root, path);
	return stat(p, &st) == 0;
}

/* What this machine offers for device assignment with nesting. */
void machine_facts(const char *root, struct machine_facts *m)
{
	memset(m, 0, sizeof(*m));
	m->dev_iommu = exists(root, "/dev/iommu");
	m->vfio_cdev = exists(root, "/dev/vfio/devices");
	m->vfio_dir = exists(root, "/dev/vfio");
	m->sysfs_iommu = exists(root, "/sys/class/iommu");
}

int hosts_from_machine(const char *cmd, const char *root, struct hostlist *l, bool quiet)
{
	struct vtd_host_device devs[64];
	size_t n = 0;
	struct vtd_error err;
	struct machine_facts m;
	machine_facts(root, &m);
	if (vtd_host_probe_sysfs(root, devs, 64, &n, &err)) {
		if (!quiet)
			fprintf(stderr, "vtd %s: this machine: %s\n", cmd, err.msg);
		return -ENOENT;
	}
	for (size_t i = 0; i < n && i < 64; i++) {
		/* Without /dev/iommu only the legacy VFIO container is possible. */
		devs[i].backend = m.dev_iommu ? VTD_BACKEND_IOMMUFD : VTD_BACKEND_LEGACY;
		if (hosts_add(l, &devs[i]))
			return -ENOMEM;
	}
	return 0;
}
