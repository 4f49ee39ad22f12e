/* SPDX-License-Identifier: MIT */
/*
 * Host facts from sysfs: the VT-d units (/sys/class/iommu/dmar*) and the PCI
 * topology above a device (is its requester id aliased by a bridge?).
 * Everything read is bounded and checked; a malformed file is reported, not
 * trusted.
 */
#include "host.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read a small text file (first line, at most len-1 bytes); 0 or -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		int e = ferror(f) ? -EIO : -ENODATA;
		fclose(f);
		return e;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int parse_hex64(const char *s, uint64_t *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s || strlen(s) > 16)
		return -EINVAL;
	uint64_t v = 0;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	/* dmar2 before dmar10 */
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

VTD_API int vtd_host_probe_sysfs(const char *root, struct vtd_host_device *devs, size_t max,
				 size_t *n, struct vtd_error *err)
{
	vtd_error_clear(err);
	if (!n || (max && !devs))
		return -EINVAL;
	*n = 0;
	if (!root || !*root)
		root = "";
	char dir[PATH_MAX];
	if (!vtd_fmt(dir, sizeof(dir), "%s/sys/class/iommu", root)) {
		vtd_error_add(err, VTD_ERR_BAD_VALUE, "sysfs root path is too long");
		return -ENAMETOOLONG;
	}
	char shown[160];
	DIR *d = opendir(dir);
	if (!d) {
		int e = errno;
		vtd_error_add(err, VTD_ERR_UNSUPPORTED,
			      "%s: %s: no IOMMU is visible (VT-d off in firmware, or the kernel "
			      "booted without intel_iommu=on)", vtd_safe_str(dir, shown, sizeof(shown)),
			      strerror(e));
		return e == ENOENT || e == ENOTDIR ? -ENOENT : -e;
	}
	/* Collect dmar* names first so the order is stable (dmar0, dmar1...). */
	enum { MAX_UNITS = 256 };
	char *names[MAX_UNITS];
	size_t count = 0;
	struct dirent *de;
	while ((de = readdir(d)) && count < MAX_UNITS) {
		if (strncmp(de->d_name, "dmar", 4) || strlen(de->d_name) > 32)
			continue;
		names[count] = strdup(de->d_name);
		if (names[count])
			count++;
	}
	closedir(d);
	qsort(names, count, sizeof(names[0]), cmp_names);

	int rc = 0;
	size_t found = 0;
	for (size_t i = 0; i < count; i++) {
		char path[PATH_MAX], line[64];
		uint64_t cap, ecap;
		int r = vtd_fmt(path, sizeof(path), "%s/%s/intel-iommu/cap", dir, names[i]) ? 0 : -ENAMETOOLONG;
		if (!r)
			r = read_line(path, line, sizeof(line));
		if (!r)
			r = parse_hex64(line, &cap);
		if (!r) {
			r = vtd_fmt(path, sizeof(path), "%s/%s/intel-iommu/ecap", dir, names[i])
				    ? read_line(path, line, sizeof(line)) : -ENAMETOOLONG;
			if (!r)
				r = parse_hex64(line, &ecap);
		}
		if (r) {
			vtd_error_add(err, VTD_ERR_IO, "%s: unreadable or malformed (%s)",
				      vtd_safe_str(path, shown, sizeof(shown)), strerror(-r));
			rc = rc ? rc : r;
			continue;
		}
		if (found < max) {
			struct vtd_host_device *dev = &devs[found];
			vtd_host_device_init(dev, cap, ecap);
			dev->source = VTD_HOST_SRC_SYSFS;
			vtd_safe_str(names[i], dev->name, sizeof(dev->name));
			unsigned maj, min;
			if (vtd_fmt(path, sizeof(path), "%s/%s/intel-iommu/version", dir, names[i]) &&
			    !read_line(path, line, sizeof(line)) &&
			    sscanf(line, "%u:%u", &maj, &min) == 2 && maj < 16 && min < 16)
				dev->version = (maj << 4) | min;
			char addr[32] = "";
			if (!vtd_fmt(path, sizeof(path), "%s/%s/intel-iommu/address", dir, names[i]) ||
			    read_line(path, addr, sizeof(addr)))
				addr[0] = '\0';
			vtd_fmt(dev->description, sizeof(dev->description),
				"this machine, VT-d unit %s%s%s", names[i], addr[0] ? " at " : "", addr);
		}
		found++;
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	*n = found;
	if (!found && !rc) {
		vtd_error_add(err, VTD_ERR_UNSUPPORTED,
			      "%s has no VT-d (dmar) unit: not an Intel IOMMU, or VT-d is off",
			      vtd_safe_str(dir, shown, sizeof(shown)));
		return -ENOENT;
	}
	return found ? 0 : rc;
}

/* PCI "DDDD:BB:DD.F", exactly: 4, 2 and 2 hex digits, one function digit */
static int hexval(char c)
{
	return (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
	       : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

static bool parse_bdf(const char *s, uint16_t *seg, uint16_t *bdf)
{
	static const char shape[] = "hhhh:hh:hh.h";
	unsigned v[12];
	if (strlen(s) != 12)
		return false;
	for (int i = 0; i < 12; i++) {
		if (shape[i] != 'h') {
			if (s[i] != shape[i])
				return false;
			continue;
		}
		int h = hexval(s[i]);
		if (h < 0)
			return false;
		v[i] = (unsigned)h;
	}
	unsigned dom = v[0] << 12 | v[1] << 8 | v[2] << 4 | v[3];
	unsigned bus = v[5] << 4 | v[6], dev = v[8] << 4 | v[9], fn = v[11];
	if (dev > 31 || fn > 7)
		return false;
	*seg = (uint16_t)dom;
	*bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
	return true;
}

/* PCI Express capability's device/port type, or -1 without one. */
static int pcie_type(const char *pci_dir)
{
	char path[PATH_MAX];
	if (!vtd_fmt(path, sizeof(path), "%s/config", pci_dir))
		return -2;
	FILE *f = fopen(path, "rbe");
	if (!f)
		return -2; /* unknown */
	uint8_t cfg[256];
	size_t got = fread(cfg, 1, sizeof(cfg), f);
	fclose(f);
	if (got < 64)
		return -2;
	if (!(cfg[0x06] & 0x10)) /* no capability list: conventional PCI */
		return -1;
	unsigned ptr = cfg[0x34] & 0xfc;
	/* At most 48 capabilities fit in 192 bytes: bound the walk.  Without
	 * privileges Linux shows only the first 64 bytes of config space, so
	 * a list that runs past what was read says nothing (unknown, -2),
	 * and neither does a list that loops. */
	for (int i = 0; i < 48; i++) {
		if (ptr == 0)
			return -1; /* end of a complete list: no PCIe capability */
		if (ptr < 0x40 || ptr + 3 >= got)
			return -2;
		if (cfg[ptr] == 0x10)
			return (cfg[ptr + 2] >> 4) & 0xf;
		ptr = cfg[ptr + 1] & 0xfc;
	}
	return -2;
}

void vtd_host_pci_topology(const char *pci_dev_dir, struct vtd_host_device *dev)
{
	const char *base = strrchr(pci_dev_dir, '/');
	base = base ? base + 1 : pci_dev_dir;
	if (parse_bdf(base, &dev->segment, &dev->bdf))
		dev->has_bdf = true;
	/* Walk the ancestors: /sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0 */
	char path[PATH_MAX];
	if (!vtd_fmt(path, sizeof(path), "%s", pci_dev_dir))
		return;
	for (int depth = 0; depth < 32; depth++) {
		char *slash = strrchr(path, '/');
		if (!slash || slash == path)
			break;
		*slash = '\0';
		const char *name = strrchr(path, '/');
		name = name ? name + 1 : path;
		uint16_t s, b;
		if (!parse_bdf(name, &s, &b))
			break; /* reached the host bridge */
		int t = pcie_type(path);
		/* conventional PCI bridge, or PCIe-to-PCI/PCI-X bridge (type 7):
		 * requests from below carry the bridge's id */
		if (t == -1 || t == 7) {
			dev->behind_bridge = true;
			break;
		}
	}
}
