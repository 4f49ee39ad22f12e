/* SPDX-License-Identifier: MIT */
/*
 * Host IOMMU facts: embedded profiles, the sysfs probe (against a fake sysfs
 * tree in a temporary directory), the PCI topology walk, and the iommufd
 * probe against a mock kernel installed through vtd_sys_set().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vtd/vtd.h>

#include "host/host.h"
#include "host/uapi.h"

/* ------------------------------------------------------------------ */
/* helpers                                                              */

/* A message is one line per problem and holds no other control byte. */
static void assert_msg_clean(const struct vtd_error *err)
{
	unsigned lines = err->msg[0] ? 1 : 0;
	for (const char *p = err->msg; *p; p++) {
		if (*p == '\n')
			lines++;
		else
			assert_false((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f);
	}
	assert_int_equal(lines, err->count);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("did not expect \"%s\" in \"%s\"", needle, hay);
}

static void mkdirs(const char *path)
{
	char buf[PATH_MAX];
	assert_true(strlen(path) < sizeof(buf));
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", buf, strerror(errno));
}

/* Write len bytes to base/rel, creating the directories on the way. */
static void put_file(const char *base, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	assert_true(snprintf(path, sizeof(path), "%s/%s", base, rel) < (int)sizeof(path));
	char *slash = strrchr(path, '/');
	*slash = '\0';
	mkdirs(path);
	*slash = '/';
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void put_text(const char *base, const char *rel, const char *text)
{
	put_file(base, rel, text, strlen(text));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *path)
{
	assert_int_equal(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* Fixture: a fresh temporary directory in *state. */
static int tmp_setup(void **state)
{
	char *dir = strdup("/tmp/libvtd-test-host-XXXXXX");
	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int tmp_teardown(void **state)
{
	char *dir = *state;
	rm_rf(dir);
	free(dir);
	return 0;
}

/* ------------------------------------------------------------------ */
/* 1. profiles                                                         */

/* Every row of data/host-profiles.tsv (name, cap, ecap, version), copied by
 * hand-checked awk so that a generator or table mistake shows up here. */
static const struct {
	const char *name;
	uint64_t cap, ecap;
	const char *version;
	uint32_t ver;
} tsv[] = {
	{ "hsw-ep-main", 0xd2078c106f0466ull, 0xf020deull, "1:0", 0x10 },
	{ "bdw-ep-main", 0x8d2078c106f0466ull, 0xf020dfull, "1:0", 0x10 },
	{ "skx-main", 0x8d2078c106f0466ull, 0xf020dfull, "1:0", 0x10 },
	{ "skx-s2600wf-main", 0x8d2078c106f0466ull, 0xf020deull, "1:0", 0x10 },
	{ "icx-main", 0x8ed008c40780466ull, 0x60000f050dfull, "4:0", 0x40 },
	{ "spr-main", 0x19ed008c40780c66ull, 0x3ee9e86f050dfull, "6:0", 0x60 },
	{ "spr-4lvl-main", 0x9ed008c40780466ull, 0x3ee9e86f050dfull, "6:0", 0x60 },
	{ "gnr-main", 0xf9ed008cee780c66ull, 0x3fef9ea6f0efdfull, "7:0", 0x70 },
	{ "hsw-ult-gfx", 0xc0000020660462ull, 0xf0101aull, "1:0", 0x10 },
	{ "hsw-ult-main", 0xd2008020660462ull, 0xf010daull, "1:0", 0x10 },
	{ "kbl-y-gfx", 0x1c0000c40660462ull, 0x19e2ff0505eull, "1:0", 0x10 },
	{ "kbl-y-main", 0xd2008c40660462ull, 0xf050daull, "1:0", 0x10 },
	{ "cfl-s-gfx", 0x1c0000c40660462ull, 0x19e2ff0505eull, "1:0", 0x10 },
	{ "cfl-s-main", 0xd2008c40660462ull, 0xf050daull, "1:0", 0x10 },
	{ "tgl-main", 0xd2008c40660462ull, 0xf050daull, "1:0", 0x10 },
	{ "rkl-gfx", 0x1c0000c40660462ull, 0x29a00f0505eull, "4:0", 0x40 },
	{ "rkl-main", 0xd2008c40660462ull, 0xf050daull, "1:0", 0x10 },
	{ "adl-p-gfx", 0x1c0000c40660462ull, 0x29a00f0505eull, "4:0", 0x40 },
	{ "adl-p-ipu", 0xd2008c40660462ull, 0xf050daull, "1:0", 0x10 },
	{ "adl-p-main", 0xd2008c40660462ull, 0xf050daull, "5:0", 0x50 },
	{ "adl-n-main", 0xd2008c40660462ull, 0xf050daull, "5:0", 0x50 },
	{ "rpl-p-gfx", 0x1c0000c40660462ull, 0x29a00f0505eull, "4:0", 0x40 },
	{ "rpl-p-main", 0xd2008c40660462ull, 0xf050daull, "5:0", 0x50 },
	{ "mtl-gfx", 0xc9de008cee690462ull, 0x12ca9a00f0ef5eull, "7:0", 0x70 },
	{ "mtl-main", 0xc9de008cee690462ull, 0x12ca9a00f0efdeull, "7:0", 0x70 },
	{ "arl-u-gfx", 0xc9de008cee690462ull, 0x12ca9a00f0ef5eull, "7:0", 0x70 },
	{ "arl-u-main", 0xc9de008cee690462ull, 0x12ca9a00f0efdeull, "7:0", 0x70 },
	{ "qemu-42-cm", 0xd2008c22260286ull, 0xf00f5aull, "1:0", 0x10 },
	{ "qemu-72-legacy-cm", 0xd2008c222f0686ull, 0xf00f4aull, "1:0", 0x10 },
	{ "qemu-72-sm-cm", 0xd2008c222f0686ull, 0x480080f00f4aull, "1:0", 0x10 },
};

static void test_profiles_table(void **state)
{
	(void)state;
	const struct vtd_host_profile *p = NULL;
	size_t n = vtd_host_profiles(&p);
	assert_non_null(p);
	assert_int_equal(n, 30);
	assert_int_equal(n, sizeof(tsv) / sizeof(tsv[0]));
	assert_int_equal(vtd_host_profiles(NULL), 30);

	for (size_t i = 0; i < n; i++) {
		assert_string_equal(p[i].name, tsv[i].name);
		if (p[i].cap != tsv[i].cap || p[i].ecap != tsv[i].ecap)
			fail_msg("%s: cap %llx ecap %llx", p[i].name, (unsigned long long)p[i].cap,
				 (unsigned long long)p[i].ecap);
		assert_string_equal(p[i].version, tsv[i].version);
		assert_non_null(p[i].platform);
		assert_true(strlen(p[i].platform) > 10);
		assert_non_null(p[i].unit);
		assert_non_null(p[i].source);
		assert_true(strlen(p[i].source) > 0);
		assert_non_null(p[i].note);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p[i].name, p[j].name))
				fail_msg("duplicate profile name %s", p[i].name);
	}
	/* the two the brief names, spelled out */
	struct vtd_host_device d;
	assert_int_equal(vtd_host_from_profile("gnr-main", &d, NULL), 0);
	assert_true(d.cap == 0xf9ed008cee780c66ull);
	assert_true(d.ecap == 0x3fef9ea6f0efdfull);
	assert_int_equal(vtd_host_from_profile("hsw-ult-gfx", &d, NULL), 0);
	assert_true(d.cap == 0xc0000020660462ull);
	assert_true(d.ecap == 0xf0101aull);
}

static void test_profile_device(void **state)
{
	(void)state;
	const struct vtd_host_profile *p;
	size_t n = vtd_host_profiles(&p);
	for (size_t i = 0; i < n; i++) {
		struct vtd_host_device d;
		struct vtd_error err;
		memset(&d, 0xff, sizeof(d));
		memset(&err, 0x5a, sizeof(err));
		assert_int_equal(vtd_host_from_profile(p[i].name, &d, &err), 0);
		assert_int_equal(err.count, 0);
		assert_int_equal(err.code, VTD_ERR_NONE);
		assert_string_equal(err.msg, "");
		assert_string_equal(d.name, p[i].name);
		assert_string_equal(d.description, p[i].platform);
		assert_int_equal(d.source, VTD_HOST_SRC_PROFILE);
		assert_int_equal(d.backend, VTD_BACKEND_IOMMUFD);
		assert_int_equal(d.hw_info_type, VTD_HW_INFO_TYPE_INTEL_VTD);
		assert_int_equal(d.hw_info_flags, VTD_HW_INFO_VTD_ERRATA_772415_SPR17);
		assert_true(d.cap == tsv[i].cap);
		assert_true(d.ecap == tsv[i].ecap);
		assert_int_equal(d.version, tsv[i].ver);
		assert_int_equal(d.max_pasid_log2, 0);
		assert_true(d.hw_caps == 0);
		assert_false(d.behind_bridge);
		assert_false(d.has_bdf);
		assert_int_equal(d.segment, 0);
		assert_int_equal(d.bdf, 0);
	}
	struct vtd_host_device d;
	assert_int_equal(vtd_host_from_profile("spr-main", &d, NULL), 0);
	assert_int_equal(d.version, 0x60);
}

static void test_profile_unknown(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;

	assert_int_equal(vtd_host_from_profile("spr-mian", &d, &err), -ENOENT);
	assert_int_equal(err.code, VTD_ERR_UNKNOWN_KEY);
	assert_int_equal(err.count, 1);
	assert_contains(err.msg, "'spr-mian'");
	assert_contains(err.msg, "'spr-main'");
	assert_msg_clean(&err);

	assert_int_equal(vtd_host_from_profile("gnr-mian", &d, &err), -ENOENT);
	assert_contains(err.msg, "'gnr-main'");
	assert_int_equal(vtd_host_from_profile("qemu-72-sm-c", &d, &err), -ENOENT);
	assert_contains(err.msg, "'qemu-72-sm-cm'");
	/* exact match is case sensitive; the suggestion is not */
	assert_int_equal(vtd_host_from_profile("SPR-MAIN", &d, &err), -ENOENT);
	assert_contains(err.msg, "'spr-main'");
	assert_int_equal(vtd_host_from_profile("", &d, &err), -ENOENT);
	assert_int_equal(err.count, 1);

	/* control characters are not echoed raw */
	assert_int_equal(vtd_host_from_profile("spr-mian\n\x1b[2J\r\t\x7f", &d, &err), -ENOENT);
	assert_int_equal(err.count, 1);
	assert_msg_clean(&err);
	assert_lacks(err.msg, "\x1b");
	assert_contains(err.msg, "spr-mian?");
	assert_contains(err.msg, "'spr-main'");

	/* a very long name: bounded, no crash */
	char longname[1000];
	memset(longname, 'q', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(vtd_host_from_profile(longname, &d, &err), -ENOENT);
	assert_int_equal(err.count, 1);
	assert_true(strlen(err.msg) < 300);
	assert_msg_clean(&err);

	/* err may be NULL */
	assert_int_equal(vtd_host_from_profile("nope", &d, NULL), -ENOENT);
}

static void test_profile_bad_args(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;
	memset(&err, 0x5a, sizeof(err));
	assert_int_equal(vtd_host_from_profile(NULL, &d, &err), -EINVAL);
	assert_int_equal(err.count, 0); /* cleared */
	assert_int_equal(vtd_host_from_profile("spr-main", NULL, &err), -EINVAL);
	assert_int_equal(vtd_host_from_profile(NULL, NULL, NULL), -EINVAL);
}

static void test_device_init(void **state)
{
	(void)state;
	struct vtd_host_device d;
	memset(&d, 0xff, sizeof(d));
	vtd_host_device_init(&d, 0x1234567890abcdefull, 0xfedcba0987654321ull);
	assert_string_equal(d.name, "manual");
	assert_string_equal(d.description, "");
	assert_int_equal(d.source, VTD_HOST_SRC_MANUAL);
	assert_int_equal(d.backend, VTD_BACKEND_IOMMUFD);
	assert_int_equal(d.hw_info_type, VTD_HW_INFO_TYPE_INTEL_VTD);
	assert_int_equal(d.hw_info_flags, VTD_HW_INFO_VTD_ERRATA_772415_SPR17);
	assert_true(d.cap == 0x1234567890abcdefull);
	assert_true(d.ecap == 0xfedcba0987654321ull);
	assert_int_equal(d.version, 0);
	assert_int_equal(d.max_pasid_log2, 0);
	assert_true(d.hw_caps == 0);
	assert_false(d.behind_bridge);
	assert_false(d.has_bdf);
	assert_int_equal(d.segment, 0);
	assert_int_equal(d.bdf, 0);
	/* the rest of the name buffer is zero too (memset, not only a terminator) */
	for (size_t i = strlen(d.name); i < sizeof(d.name); i++)
		assert_int_equal(d.name[i], 0);
}

/* ------------------------------------------------------------------ */
/* 2. sysfs probe                                                       */

static void put_unit(const char *root, const char *unit, const char *cap, const char *ecap,
		     const char *version, const char *address)
{
	char rel[256];
	if (cap) {
		snprintf(rel, sizeof(rel), "sys/class/iommu/%s/intel-iommu/cap", unit);
		put_text(root, rel, cap);
	}
	if (ecap) {
		snprintf(rel, sizeof(rel), "sys/class/iommu/%s/intel-iommu/ecap", unit);
		put_text(root, rel, ecap);
	}
	if (version) {
		snprintf(rel, sizeof(rel), "sys/class/iommu/%s/intel-iommu/version", unit);
		put_text(root, rel, version);
	}
	if (address) {
		snprintf(rel, sizeof(rel), "sys/class/iommu/%s/intel-iommu/address", unit);
		put_text(root, rel, address);
	}
}

static void test_sysfs_units(void **state)
{
	const char *root = *state;
	/* created out of order; readdir order is the filesystem's */
	put_unit(root, "dmar10", "f9ed008cee780c66\n", "0x3fef9ea6f0efdf\n", "7:0\n", "cbfe0000\n");
	put_unit(root, "dmar2", "0x19ed008c40780c66", "3ee9e86f050df", NULL, NULL);
	put_unit(root, "dmar1", "C0000020660462\n", "0XF0101A", "1:0", "fed90000");
	put_unit(root, "dmar0", "0xd2008c40660462\n", "f050da\n", "6:0\n", "fed91000\n");
	/* an AMD unit is not VT-d, even with the same files */
	put_unit(root, "ivhd0", "d2008c40660462\n", "f050da\n", "1:0\n", NULL);
	put_unit(root, "drhd0", "d2008c40660462\n", "f050da\n", "1:0\n", NULL);

	struct vtd_host_device devs[8];
	memset(devs, 0xee, sizeof(devs));
	struct vtd_error err;
	size_t n = 99;
	assert_int_equal(vtd_host_probe_sysfs(root, devs, 8, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(err.count, 0);
	assert_string_equal(err.msg, "");

	static const struct {
		const char *name;
		uint64_t cap, ecap;
		uint32_t version;
		const char *desc;
	} want[] = {
		{ "dmar0", 0xd2008c40660462ull, 0xf050daull, 0x60,
		  "this machine, VT-d unit dmar0 at fed91000" },
		{ "dmar1", 0xc0000020660462ull, 0xf0101aull, 0x10,
		  "this machine, VT-d unit dmar1 at fed90000" },
		{ "dmar2", 0x19ed008c40780c66ull, 0x3ee9e86f050dfull, 0,
		  "this machine, VT-d unit dmar2" },
		{ "dmar10", 0xf9ed008cee780c66ull, 0x3fef9ea6f0efdfull, 0x70,
		  "this machine, VT-d unit dmar10 at cbfe0000" },
	};
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(devs[i].name, want[i].name);
		assert_true(devs[i].cap == want[i].cap);
		assert_true(devs[i].ecap == want[i].ecap);
		assert_int_equal(devs[i].version, want[i].version);
		assert_string_equal(devs[i].description, want[i].desc);
		assert_int_equal(devs[i].source, VTD_HOST_SRC_SYSFS);
		assert_int_equal(devs[i].backend, VTD_BACKEND_IOMMUFD);
		assert_int_equal(devs[i].hw_info_type, VTD_HW_INFO_TYPE_INTEL_VTD);
		assert_int_equal(devs[i].hw_info_flags, VTD_HW_INFO_VTD_ERRATA_772415_SPR17);
		assert_false(devs[i].has_bdf);
		assert_false(devs[i].behind_bridge);
	}
	/* entries past n are not touched */
	assert_int_equal(((unsigned char *)&devs[4])[0], 0xee);

	/* max smaller than the number of units: n still counts all */
	memset(devs, 0xee, sizeof(devs));
	assert_int_equal(vtd_host_probe_sysfs(root, devs, 2, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(devs[0].name, "dmar0");
	assert_string_equal(devs[1].name, "dmar1");
	for (size_t i = 0; i < sizeof(devs[2]); i++)
		assert_int_equal(((unsigned char *)&devs[2])[i], 0xee);

	/* max 0 with no array: just count */
	assert_int_equal(vtd_host_probe_sysfs(root, NULL, 0, &n, &err), 0);
	assert_int_equal(n, 4);

	/* a trailing slash on the root is harmless */
	char root2[PATH_MAX];
	snprintf(root2, sizeof(root2), "%s/", root);
	assert_int_equal(vtd_host_probe_sysfs(root2, devs, 8, &n, &err), 0);
	assert_int_equal(n, 4);
}

static void test_sysfs_hex_edges(void **state)
{
	const char *root = *state;
	put_unit(root, "dmar0", "ffffffffffffffff\n", "0x0000000000000000\n", "15:15\n", NULL);
	put_unit(root, "dmar1", "0\n", "1", "16:0\n", NULL);     /* version out of range */
	put_unit(root, "dmar2", "1\r\n", "2\r\n", "garbage", NULL);
	struct vtd_host_device devs[3];
	struct vtd_error err;
	size_t n;
	assert_int_equal(vtd_host_probe_sysfs(root, devs, 3, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(err.count, 0);
	assert_true(devs[0].cap == UINT64_MAX);
	assert_true(devs[0].ecap == 0);
	assert_int_equal(devs[0].version, 0xff);
	assert_true(devs[1].cap == 0);
	assert_true(devs[1].ecap == 1);
	assert_int_equal(devs[1].version, 0);
	assert_true(devs[2].cap == 1);
	assert_true(devs[2].ecap == 2);
	assert_int_equal(devs[2].version, 0);
}

static void test_sysfs_malformed(void **state)
{
	const char *root = *state;
	put_unit(root, "dmar0", "d2008c40660462\n", "f050da\n", "1:0\n", NULL);
	put_unit(root, "dmar1", "zz\n", "f050da\n", NULL, NULL);
	put_unit(root, "dmar2", "", "f050da\n", NULL, NULL);                 /* empty file */
	put_unit(root, "dmar3", "10000000000000000\n", "f050da\n", NULL, NULL); /* 17 digits */
	put_unit(root, "dmar4", "d2008c40660462\n", "0x\n", NULL, NULL);     /* bad ecap */
	put_unit(root, "dmar5", "0x1c0000c40660462\n", "19e2ff0505e\n", NULL, NULL);
	put_unit(root, "dmar6", NULL, "f050da\n", NULL, NULL);               /* no cap */
	put_unit(root, "dmar7", "d2008c40660462\n", NULL, NULL, NULL);       /* no ecap */
	put_unit(root, "dmar8", "12 34\n", "f050da\n", NULL, NULL);
	put_unit(root, "dmar9", "-1\n", "f050da\n", NULL, NULL);

	struct vtd_host_device devs[10];
	struct vtd_error err;
	size_t n;
	assert_int_equal(vtd_host_probe_sysfs(root, devs, 10, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(devs[0].name, "dmar0");
	assert_string_equal(devs[1].name, "dmar5");
	assert_true(devs[1].cap == 0x1c0000c40660462ull);
	assert_int_equal(err.count, 8);
	assert_int_equal(err.code, VTD_ERR_IO);
	assert_msg_clean(&err);
	assert_contains(err.msg, "dmar1/intel-iommu/cap");
	assert_contains(err.msg, "dmar2/intel-iommu/cap");
	assert_contains(err.msg, "dmar3/intel-iommu/cap");
	assert_contains(err.msg, "dmar4/intel-iommu/ecap");
	assert_contains(err.msg, "dmar6/intel-iommu/cap");
	assert_contains(err.msg, "dmar7/intel-iommu/ecap");
	assert_contains(err.msg, "dmar8/intel-iommu/cap");
	assert_contains(err.msg, "dmar9/intel-iommu/cap");
	assert_lacks(err.msg, "dmar0/");
	assert_lacks(err.msg, "dmar5/");
}

static void test_sysfs_all_malformed(void **state)
{
	const char *root = *state;
	put_unit(root, "dmar0", "zz\n", "f050da\n", NULL, NULL);
	struct vtd_host_device devs[2];
	struct vtd_error err;
	size_t n = 7;
	int rc = vtd_host_probe_sysfs(root, devs, 2, &n, &err);
	assert_true(rc < 0);
	assert_int_equal(rc, -EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(err.count, 1);
	assert_contains(err.msg, "dmar0/intel-iommu/cap");
}

static void test_sysfs_no_units(void **state)
{
	const char *root = *state;
	struct vtd_host_device devs[2];
	struct vtd_error err;
	size_t n = 7;

	/* no sys/class/iommu at all */
	assert_int_equal(vtd_host_probe_sysfs(root, devs, 2, &n, &err), -ENOENT);
	assert_int_equal(n, 0);
	assert_int_equal(err.count, 1);
	assert_int_equal(err.code, VTD_ERR_UNSUPPORTED);
	assert_contains(err.msg, "/sys/class/iommu");
	assert_contains(err.msg, root);
	assert_contains(err.msg, "intel_iommu=on");

	/* empty class directory */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/sys/class/iommu", root);
	mkdirs(dir);
	n = 7;
	assert_int_equal(vtd_host_probe_sysfs(root, devs, 2, &n, &err), -ENOENT);
	assert_int_equal(n, 0);
	assert_int_equal(err.count, 1);
	assert_contains(err.msg, "no VT-d");

	/* only non-VT-d units */
	put_unit(root, "ivhd0", "d2008c40660462\n", "f050da\n", NULL, NULL);
	put_unit(root, "smmu3.0x0000000009050000", "1\n", "1\n", NULL, NULL);
	put_unit(root, "xdmar0", "1\n", "1\n", NULL, NULL);
	assert_int_equal(vtd_host_probe_sysfs(root, devs, 2, &n, &err), -ENOENT);
	assert_int_equal(n, 0);
	assert_int_equal(err.count, 1);
	assert_contains(err.msg, "no VT-d");
}

static void test_sysfs_args_and_roots(void **state)
{
	const char *root = *state;
	struct vtd_host_device devs[4];
	struct vtd_error err;
	size_t n;

	assert_int_equal(vtd_host_probe_sysfs(root, devs, 4, NULL, &err), -EINVAL);
	assert_int_equal(vtd_host_probe_sysfs(root, NULL, 4, &n, &err), -EINVAL);

	/* the real machine: only must not crash; the result is the machine's */
	n = 12345;
	int rc = vtd_host_probe_sysfs(NULL, devs, 4, &n, &err);
	assert_true(rc == 0 || rc < 0);
	if (rc == 0)
		assert_true(n >= 1);
	assert_true(err.count > 0 || rc == 0);
	rc = vtd_host_probe_sysfs("", devs, 4, &n, NULL);
	assert_true(rc == 0 || rc < 0);

	/* a root longer than PATH_MAX */
	size_t len = PATH_MAX + 100;
	char *lroot = malloc(len + 1);
	assert_non_null(lroot);
	lroot[0] = '/';
	memset(lroot + 1, 'a', len - 1);
	lroot[len] = '\0';
	n = 7;
	rc = vtd_host_probe_sysfs(lroot, devs, 4, &n, &err);
	assert_int_equal(rc, -ENAMETOOLONG);
	assert_int_equal(n, 0);
	assert_int_equal(err.count, 1);
	assert_true(strlen(err.msg) < 600);
	/* one that just fits the library's buffer but not the kernel's limits */
	lroot[PATH_MAX - 40] = '\0';
	rc = vtd_host_probe_sysfs(lroot, devs, 4, &n, &err);
	assert_true(rc < 0);
	assert_int_equal(err.count, 1);
	assert_true(strlen(err.msg) < 600);
	free(lroot);
}

/* The sysfs probe's messages carry the root the caller gave; a control
 * character in it must not split or forge message lines (iommufd.c makes
 * paths printable; sysfs.c should too). */
static void test_sysfs_message_control_chars(void **state)
{
	const char *root = *state;
	char weird[PATH_MAX];
	snprintf(weird, sizeof(weird), "%s/no\nsuch\x1b[31m", root);
	struct vtd_host_device devs[1];
	struct vtd_error err;
	size_t n;
	assert_int_equal(vtd_host_probe_sysfs(weird, devs, 1, &n, &err), -ENOENT);
	assert_int_equal(err.count, 1);
	assert_msg_clean(&err);
}

/* ------------------------------------------------------------------ */
/* 3. PCI topology                                                     */

enum { CFG_CONVENTIONAL = -1 };

/* 256 bytes of config space: a PM capability at 0x40 and, for a PCIe
 * function, the PCI Express capability at 0x50 with the given port type. */
static void make_cfg(uint8_t cfg[256], int pcie_type, bool bridge)
{
	memset(cfg, 0, 256);
	cfg[0] = 0x86;
	cfg[1] = 0x80;
	cfg[0x0e] = bridge ? 0x01 : 0x00;
	if (pcie_type == CFG_CONVENTIONAL)
		return;
	cfg[0x06] = 0x10;      /* status: capability list */
	cfg[0x34] = 0x40;
	cfg[0x40] = 0x01;      /* power management */
	cfg[0x41] = 0x50;
	cfg[0x50] = 0x10;      /* PCI Express */
	cfg[0x51] = 0x00;
	cfg[0x52] = (uint8_t)((pcie_type << 4) | 0x2);
}

static void put_cfg(const char *base, const char *rel, int pcie_type, bool bridge, size_t len)
{
	uint8_t cfg[256];
	make_cfg(cfg, pcie_type, bridge);
	char r[PATH_MAX];
	snprintf(r, sizeof(r), "%s/config", rel);
	put_file(base, r, cfg, len);
}

static void topo(const char *root, const char *rel, struct vtd_host_device *d)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	vtd_host_device_init(d, 0, 0);
	vtd_host_pci_topology(path, d);
}

#define RP "devices/pci0000:00/0000:00:1c.0"

static void test_topology_root_port(void **state)
{
	const char *root = *state;
	struct vtd_host_device d;
	put_cfg(root, RP, 4, true, 256);
	put_cfg(root, RP "/0000:02:00.0", 0, false, 256);
	topo(root, RP "/0000:02:00.0", &d);
	assert_true(d.has_bdf);
	assert_int_equal(d.segment, 0);
	assert_int_equal(d.bdf, 0x0200);
	assert_false(d.behind_bridge);
	/* nothing else changed */
	assert_int_equal(d.source, VTD_HOST_SRC_MANUAL);
	assert_string_equal(d.name, "manual");

	/* a PCIe switch between the root port and the device: still no alias */
	put_cfg(root, RP "/0000:03:00.0", 5, true, 256);
	put_cfg(root, RP "/0000:03:00.0/0000:04:1f.0", 6, true, 256);
	put_cfg(root, RP "/0000:03:00.0/0000:04:1f.0/0000:05:00.3", 0, false, 256);
	topo(root, RP "/0000:03:00.0/0000:04:1f.0/0000:05:00.3", &d);
	assert_true(d.has_bdf);
	assert_int_equal(d.bdf, 0x0503);
	assert_false(d.behind_bridge);

	/* an integrated endpoint right on the host bridge, segment and every field */
	put_cfg(root, "devices/pci000a:3f/000a:3f:1f.7", 9, false, 256);
	topo(root, "devices/pci000a:3f/000a:3f:1f.7", &d);
	assert_true(d.has_bdf);
	assert_int_equal(d.segment, 0x000a);
	assert_int_equal(d.bdf, (0x3f << 8) | (0x1f << 3) | 7);
	assert_false(d.behind_bridge);

	/* the device's own config (a type-7 bridge itself) does not count */
	put_cfg(root, RP "/0000:06:00.0", 7, true, 256);
	topo(root, RP "/0000:06:00.0", &d);
	assert_true(d.has_bdf);
	assert_false(d.behind_bridge);

	/* an ancestor with no readable config is unknown: keep walking */
	mkdirs(root);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/devices/pci0000:00/0000:00:1d.0/0000:08:00.0", root);
	mkdirs(dir);
	topo(root, "devices/pci0000:00/0000:00:1d.0/0000:08:00.0", &d);
	assert_true(d.has_bdf);
	assert_int_equal(d.bdf, 0x0800);
	assert_false(d.behind_bridge);
}

static void test_topology_bridges(void **state)
{
	const char *root = *state;
	struct vtd_host_device d;

	/* conventional PCI bridge (no capability list) above the device */
	put_cfg(root, "devices/pci0000:00/0000:00:1e.0", CFG_CONVENTIONAL, true, 256);
	put_cfg(root, "devices/pci0000:00/0000:00:1e.0/0000:09:03.0", CFG_CONVENTIONAL, false,
		256);
	topo(root, "devices/pci0000:00/0000:00:1e.0/0000:09:03.0", &d);
	assert_true(d.has_bdf);
	assert_int_equal(d.bdf, (9 << 8) | (3 << 3));
	assert_true(d.behind_bridge);

	/* PCIe-to-PCI bridge (type 7) under a root port */
	put_cfg(root, RP, 4, true, 256);
	put_cfg(root, RP "/0000:0a:00.0", 7, true, 256);
	put_cfg(root, RP "/0000:0a:00.0/0000:0b:01.2", CFG_CONVENTIONAL, false, 256);
	topo(root, RP "/0000:0a:00.0/0000:0b:01.2", &d);
	assert_true(d.has_bdf);
	assert_int_equal(d.bdf, (0x0b << 8) | (1 << 3) | 2);
	assert_true(d.behind_bridge);

	/* the bridge is higher up: PCIe-to-PCI bridge, then a conventional
	 * bridge, then the device */
	put_cfg(root, RP "/0000:0a:00.0/0000:0b:02.0", CFG_CONVENTIONAL, true, 256);
	put_cfg(root, RP "/0000:0a:00.0/0000:0b:02.0/0000:0c:00.0", CFG_CONVENTIONAL, false, 256);
	topo(root, RP "/0000:0a:00.0/0000:0b:02.0/0000:0c:00.0", &d);
	assert_true(d.behind_bridge);
}

static void test_topology_cap_loops(void **state)
{
	const char *root = *state;
	struct vtd_host_device d;
	uint8_t cfg[256];

	/* a capability pointing to itself */
	make_cfg(cfg, 4, true);
	cfg[0x41] = 0x40;
	put_file(root, "devices/pci0000:00/0000:00:01.0/config", cfg, sizeof(cfg));
	put_cfg(root, "devices/pci0000:00/0000:00:01.0/0000:01:00.0", 0, false, 256);
	topo(root, "devices/pci0000:00/0000:00:01.0/0000:01:00.0", &d);
	assert_true(d.has_bdf); /* terminated */
	assert_int_equal(d.bdf, 0x0100);

	/* two capabilities pointing to each other */
	make_cfg(cfg, 4, true);
	cfg[0x50] = 0x05;       /* MSI instead of PCIe */
	cfg[0x51] = 0x40;
	put_file(root, "devices/pci0000:00/0000:00:02.0/config", cfg, sizeof(cfg));
	topo(root, "devices/pci0000:00/0000:00:02.0/0000:11:00.0", &d);
	assert_true(d.has_bdf);

	/* pointer into the header, and a pointer at the very end */
	make_cfg(cfg, 4, true);
	cfg[0x34] = 0x10;
	put_file(root, "devices/pci0000:00/0000:00:03.0/config", cfg, sizeof(cfg));
	topo(root, "devices/pci0000:00/0000:00:03.0/0000:12:00.0", &d);
	assert_true(d.has_bdf);
	make_cfg(cfg, 4, true);
	cfg[0x41] = 0xff;       /* masked to 0xfc: cap id at 0xfc, next at 0xfd */
	cfg[0xfc] = 0x10;
	cfg[0xfe] = 0x42;       /* type 4 */
	put_file(root, "devices/pci0000:00/0000:00:04.0/config", cfg, sizeof(cfg));
	topo(root, "devices/pci0000:00/0000:00:04.0/0000:13:00.0", &d);
	assert_true(d.has_bdf);
	assert_false(d.behind_bridge);

	/* a config file shorter than the header is unknown, not a bridge */
	put_cfg(root, "devices/pci0000:00/0000:00:05.0", 4, true, 32);
	topo(root, "devices/pci0000:00/0000:00:05.0/0000:14:00.0", &d);
	assert_true(d.has_bdf);
	assert_false(d.behind_bridge);
}

/* Linux gives a reader without CAP_SYS_ADMIN only the first 64 bytes of a
 * device's sysfs config (drivers/pci/pci-sysfs.c pci_read_config), so an
 * unprivileged VMM sees the capability-list bit but none of the
 * capabilities.  A PCIe root port must then count as unknown, not as a
 * conventional PCI bridge that aliases the requester id. */
static void test_topology_unprivileged_config(void **state)
{
	const char *root = *state;
	struct vtd_host_device d;
	put_cfg(root, RP, 4, true, 64);
	put_cfg(root, RP "/0000:02:00.0", 0, false, 64);
	topo(root, RP "/0000:02:00.0", &d);
	assert_true(d.has_bdf);
	assert_int_equal(d.bdf, 0x0200);
	assert_false(d.behind_bridge);
}

static void test_topology_bad_bdf(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"0000:02:00",      "0000:02:00.8",   "0000:02:20.0",   "0000-02-00.0",
		"0000:02:00.0x",   "zzzz:02:00.0",   "vfio0",          "",
		"0000:002:0.0",    "00000:02:00.0",  "pci0000:00",     "0000:02:00.",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "/nonexistent-libvtd/devices/pci0000:00/%s", bad[i]);
		struct vtd_host_device d;
		vtd_host_device_init(&d, 0, 0);
		vtd_host_pci_topology(path, &d);
		if (d.has_bdf)
			fail_msg("'%s' parsed as a BDF (%04x)", bad[i], d.bdf);
		assert_int_equal(d.bdf, 0);
		assert_int_equal(d.segment, 0);
		assert_false(d.behind_bridge);
	}
	/* no slash at all */
	struct vtd_host_device d;
	vtd_host_device_init(&d, 0, 0);
	vtd_host_pci_topology("0000:7f:03.1", &d);
	assert_true(d.has_bdf);
	assert_int_equal(d.bdf, (0x7f << 8) | (3 << 3) | 1);
	assert_false(d.behind_bridge);
}

/* sscanf's %x accepts a sign and leading blanks, which no sysfs name has;
 * a name like "0000:-1:00.0" should not become bus 0xff. */
static void test_topology_bdf_sscanf_laxness(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"0000:-1:00.0", "+000:02:00.0", " 000:02:00.0", "0000:02: 0.0",
	};
	unsigned accepted = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "/nonexistent-libvtd/%s", bad[i]);
		struct vtd_host_device d;
		vtd_host_device_init(&d, 0, 0);
		vtd_host_pci_topology(path, &d);
		if (d.has_bdf) {
			print_error("'%s' parsed as a BDF %04x:%04x\n", bad[i], d.segment, d.bdf);
			accepted++;
		}
	}
	assert_int_equal(accepted, 0);
}

/* ------------------------------------------------------------------ */
/* 4. iommufd probe against a mock kernel                              */

enum { FD_IOMMU = 1000, FD_DEV = 1001 };

#define CDEV "/dev/vfio/devices/vfio-libvtd-test0" /* no such /sys/class/vfio-dev entry */

static struct mock {
	const char *cdev;
	int iommu_open_errno, cdev_open_errno, bind_errno, hwinfo_errno;
	uint32_t devid;
	/* what the kernel answers */
	uint32_t type, kernel_len;
	uint8_t data[64]; /* the kernel's data, kernel_len bytes of it */
	uint8_t max_pasid_log2;
	uint64_t caps;
	/* what happened */
	int opens, open_iommu, open_dev, binds, hwinfos, other_ioctls;
	int close_iommu, close_dev, close_other;
	int bad_open_flags;
} M;

static void mock_vtd(uint32_t flags, uint64_t cap, uint64_t ecap)
{
	struct vtd_iommu_hw_info_vtd v = { .flags = flags, .cap_reg = cap, .ecap_reg = ecap };
	memset(M.data, 0, sizeof(M.data));
	memcpy(M.data, &v, sizeof(v));
	M.type = VTD_HW_INFO_TYPE_INTEL_VTD;
	M.kernel_len = sizeof(v);
}

static int mock_open(const char *path, int flags)
{
	M.opens++;
	if ((flags & O_ACCMODE) != O_RDWR || !(flags & O_CLOEXEC))
		M.bad_open_flags++;
	if (!strcmp(path, "/dev/iommu")) {
		M.open_iommu++;
		if (M.iommu_open_errno) {
			errno = M.iommu_open_errno;
			return -1;
		}
		return FD_IOMMU;
	}
	if (M.cdev && !strcmp(path, M.cdev)) {
		M.open_dev++;
		if (M.cdev_open_errno) {
			errno = M.cdev_open_errno;
			return -1;
		}
		return FD_DEV;
	}
	errno = ENOENT;
	return -1;
}

static int mock_close(int fd)
{
	if (fd == FD_IOMMU)
		M.close_iommu++;
	else if (fd == FD_DEV)
		M.close_dev++;
	else
		M.close_other++;
	return 0;
}

static int mock_bind(struct vtd_vfio_device_bind_iommufd *b)
{
	M.binds++;
	assert_int_equal(b->argsz, 16);
	assert_int_equal(b->flags, 0);
	assert_int_equal(b->iommufd, FD_IOMMU);
	if (M.bind_errno) {
		errno = M.bind_errno;
		return -1;
	}
	b->out_devid = M.devid;
	return 0;
}

/* iommufd_get_hw_info: copy min(user, kernel) bytes, zero the rest of the
 * user's buffer, report the kernel's length. */
static int mock_hw_info(struct vtd_iommu_hw_info *h)
{
	M.hwinfos++;
	assert_int_equal(h->size, 40);
	assert_int_equal(h->flags, 0);
	assert_int_equal(h->dev_id, M.devid);
	assert_int_equal(h->data_len, 24);
	assert_true(h->data_uptr != 0);
	assert_int_equal(h->out_data_type, 0);
	assert_int_equal(h->out_max_pasid_log2, 0);
	for (size_t i = 0; i < sizeof(h->reserved); i++)
		assert_int_equal(h->reserved[i], 0);
	if (M.hwinfo_errno) {
		errno = M.hwinfo_errno;
		return -1;
	}
	uint8_t *user = (uint8_t *)(uintptr_t)h->data_uptr;
	uint32_t copy = h->data_len < M.kernel_len ? h->data_len : M.kernel_len;
	memcpy(user, M.data, copy);
	memset(user + copy, 0, h->data_len - copy);
	h->data_len = M.kernel_len;
	h->out_data_type = M.type;
	h->out_max_pasid_log2 = M.max_pasid_log2;
	h->out_capabilities = M.caps;
	return 0;
}

static int mock_ioctl(int fd, unsigned long req, void *arg)
{
	if (fd == FD_DEV && req == VTD_VFIO_DEVICE_BIND_IOMMUFD)
		return mock_bind(arg);
	if (fd == FD_IOMMU && req == VTD_IOMMU_GET_HW_INFO)
		return mock_hw_info(arg);
	M.other_ioctls++;
	errno = ENOTTY;
	return -1;
}

static const struct vtd_sys_ops mock_ops = { mock_open, mock_close, mock_ioctl };

static int mock_setup(void **state)
{
	(void)state;
	memset(&M, 0, sizeof(M));
	M.cdev = CDEV;
	M.devid = 0x2a;
	mock_vtd(VTD_HW_INFO_VTD_ERRATA_772415_SPR17, 0xf9ed008cee780c66ull, 0x3fef9ea6f0efdfull);
	M.max_pasid_log2 = 20;
	M.caps = VTD_IOMMU_HW_CAP_DIRTY_TRACKING | VTD_IOMMU_HW_CAP_PCI_PASID_EXEC;
	vtd_sys_set(&mock_ops);
	return 0;
}

static int mock_teardown(void **state)
{
	(void)state;
	vtd_sys_set(NULL);
	return 0;
}

/* Both fds, when opened, are closed exactly once; nothing else is. */
static void assert_closed(void)
{
	assert_int_equal(M.close_iommu, M.open_iommu && !M.iommu_open_errno ? 1 : 0);
	assert_int_equal(M.close_dev, M.open_dev && !M.cdev_open_errno ? 1 : 0);
	assert_int_equal(M.close_other, 0);
	assert_int_equal(M.bad_open_flags, 0);
	assert_int_equal(M.other_ioctls, 0);
}

static void test_iommufd_success(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;
	memset(&d, 0xff, sizeof(d));
	memset(&err, 0x5a, sizeof(err));
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), 0);
	assert_int_equal(err.count, 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(M.binds, 1);
	assert_int_equal(M.hwinfos, 1);
	assert_int_equal(M.open_iommu, 1);
	assert_int_equal(M.open_dev, 1);
	assert_closed();

	assert_string_equal(d.name, CDEV);
	assert_contains(d.description, CDEV);
	assert_int_equal(d.source, VTD_HOST_SRC_IOMMUFD);
	assert_int_equal(d.backend, VTD_BACKEND_IOMMUFD);
	assert_int_equal(d.hw_info_type, VTD_HW_INFO_TYPE_INTEL_VTD);
	assert_int_equal(d.hw_info_flags, VTD_HW_INFO_VTD_ERRATA_772415_SPR17);
	assert_true(d.cap == 0xf9ed008cee780c66ull);
	assert_true(d.ecap == 0x3fef9ea6f0efdfull);
	assert_int_equal(d.max_pasid_log2, 20);
	assert_true(d.hw_caps == (VTD_IOMMU_HW_CAP_DIRTY_TRACKING | VTD_IOMMU_HW_CAP_PCI_PASID_EXEC));
	assert_int_equal(d.version, 0);
	/* the 0xff pre-fill is gone */
	assert_false(d.behind_bridge);
	assert_false(d.has_bdf);
	assert_int_equal(d.bdf, 0);

	/* a 6.6 kernel: flags 0, no caps; other values pass through unchanged */
	mock_setup(NULL);
	mock_vtd(0, 0xd2008c40660462ull, 0xf050daull);
	M.devid = 7;
	M.max_pasid_log2 = 0;
	M.caps = 0;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, NULL), 0);
	assert_int_equal(d.hw_info_flags, 0);
	assert_true(d.cap == 0xd2008c40660462ull);
	assert_true(d.ecap == 0xf050daull);
	assert_int_equal(d.max_pasid_log2, 0);
	assert_true(d.hw_caps == 0);
	assert_closed();
}

static void test_iommufd_no_dev_iommu(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;
	M.iommu_open_errno = ENOENT;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -ENOENT);
	assert_int_equal(err.count, 1);
	assert_int_equal(err.code, VTD_ERR_UNSUPPORTED);
	assert_contains(err.msg, "CONFIG_IOMMUFD");
	assert_int_equal(M.open_dev, 0);
	assert_int_equal(M.binds, 0);
	assert_closed();
	assert_int_equal(M.close_iommu, 0);

	mock_setup(NULL);
	M.iommu_open_errno = EACCES;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -EACCES);
	assert_int_equal(err.count, 1);
	assert_int_equal(err.code, VTD_ERR_IO);
	assert_contains(err.msg, "/dev/iommu");
	assert_contains(err.msg, strerror(EACCES));
	assert_lacks(err.msg, "CONFIG_IOMMUFD");
	assert_int_equal(M.open_dev, 0);
	assert_closed();
}

static void test_iommufd_no_cdev(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;
	M.cdev_open_errno = ENOENT;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -ENOENT);
	assert_int_equal(err.count, 1);
	assert_contains(err.msg, CDEV);
	assert_contains(err.msg, "vfio-pci");
	assert_int_equal(M.binds, 0);
	assert_int_equal(M.close_iommu, 1);
	assert_int_equal(M.close_dev, 0);
	assert_closed();

	mock_setup(NULL);
	M.cdev_open_errno = EACCES;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -EACCES);
	assert_int_equal(err.count, 1);
	assert_contains(err.msg, CDEV);
	assert_contains(err.msg, strerror(EACCES));
	assert_int_equal(M.close_iommu, 1);
	assert_closed();
}

static void test_iommufd_bind_errors(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;

	M.bind_errno = ENOTTY;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -ENOTTY);
	assert_int_equal(err.count, 1);
	assert_int_equal(err.code, VTD_ERR_UNSUPPORTED);
	assert_contains(err.msg, "6.6");
	assert_contains(err.msg, "CONFIG_VFIO_DEVICE_CDEV");
	assert_contains(err.msg, CDEV);
	assert_int_equal(M.hwinfos, 0);
	assert_int_equal(M.binds, 1);
	assert_closed();

	mock_setup(NULL);
	M.bind_errno = EBUSY;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -EBUSY);
	assert_int_equal(err.count, 1);
	assert_int_equal(err.code, VTD_ERR_IO);
	assert_contains(err.msg, "in use");
	assert_int_equal(M.hwinfos, 0);
	assert_closed();

	mock_setup(NULL);
	M.bind_errno = EPERM;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -EPERM);
	assert_int_equal(err.count, 1);
	assert_int_equal(err.code, VTD_ERR_IO);
	assert_contains(err.msg, "VFIO_DEVICE_BIND_IOMMUFD");
	assert_contains(err.msg, strerror(EPERM));
	assert_lacks(err.msg, "CONFIG_VFIO_DEVICE_CDEV");
	assert_int_equal(M.hwinfos, 0);
	assert_closed();
}

static void test_iommufd_hwinfo_errors(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;

	M.hwinfo_errno = ENOTTY;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -ENOTTY);
	assert_int_equal(err.count, 1);
	assert_int_equal(err.code, VTD_ERR_UNSUPPORTED);
	assert_contains(err.msg, "IOMMU_GET_HW_INFO");
	assert_contains(err.msg, "6.6");
	assert_true(d.cap == 0 && d.ecap == 0);
	assert_closed();

	mock_setup(NULL);
	M.hwinfo_errno = EOPNOTSUPP;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -EOPNOTSUPP);
	assert_int_equal(err.count, 1);
	assert_int_equal(err.code, VTD_ERR_UNSUPPORTED);
	assert_contains(err.msg, "EOPNOTSUPP");
	assert_closed();

	mock_setup(NULL);
	M.hwinfo_errno = EINVAL;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -EINVAL);
	assert_int_equal(err.count, 1);
	assert_int_equal(err.code, VTD_ERR_IO);
	assert_contains(err.msg, "IOMMU_GET_HW_INFO failed");
	assert_contains(err.msg, strerror(EINVAL));
	assert_true(d.cap == 0 && d.ecap == 0);
	assert_closed();
}

static void test_iommufd_short_data(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;

	/* 16 bytes: flags and cap arrive, ecap is the kernel's zero fill */
	M.kernel_len = 16;
	memset(&d, 0xff, sizeof(d));
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -EPROTO);
	assert_int_equal(err.count, 1);
	assert_int_equal(err.code, VTD_ERR_IO);
	assert_contains(err.msg, "16 bytes");
	assert_true(d.cap == 0);
	assert_true(d.ecap == 0);
	assert_int_equal(d.hw_info_flags, 0);
	assert_closed();

	/* nothing at all, yet VT-d: nothing believed (not the library's poison) */
	mock_setup(NULL);
	M.kernel_len = 0;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -EPROTO);
	assert_contains(err.msg, "0 bytes");
	assert_true(d.cap == 0 && d.ecap == 0);
	assert_int_equal(d.hw_info_flags, 0);
	assert_true(d.cap != 0xa5a5a5a5a5a5a5a5ull);
	assert_closed();

	/* 23 bytes: one short */
	mock_setup(NULL);
	M.kernel_len = 23;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), -EPROTO);
	assert_contains(err.msg, "23 bytes");
	assert_true(d.cap == 0 && d.ecap == 0);
}

static void test_iommufd_long_data(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;
	/* a future kernel with 32 bytes of VT-d data: the first 24 are ours */
	M.kernel_len = 32;
	memset(M.data + 24, 0x77, 8);
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), 0);
	assert_int_equal(err.count, 0);
	assert_true(d.cap == 0xf9ed008cee780c66ull);
	assert_true(d.ecap == 0x3fef9ea6f0efdfull);
	assert_int_equal(d.hw_info_flags, VTD_HW_INFO_VTD_ERRATA_772415_SPR17);
	assert_closed();
}

static void test_iommufd_other_types(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;

	/* ARM SMMUv3: its data (idr[6], iidr, aidr) is not VT-d registers */
	M.type = VTD_HW_INFO_TYPE_ARM_SMMUV3;
	M.kernel_len = 32;
	memset(M.data, 0x3c, sizeof(M.data));
	M.max_pasid_log2 = 16;
	M.caps = VTD_IOMMU_HW_CAP_PCI_PASID_PRIV;
	memset(&d, 0xff, sizeof(d));
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), 0);
	assert_int_equal(err.count, 0);
	assert_int_equal(d.hw_info_type, VTD_HW_INFO_TYPE_ARM_SMMUV3);
	assert_true(d.cap == 0 && d.ecap == 0);
	assert_int_equal(d.hw_info_flags, 0);
	assert_int_equal(d.max_pasid_log2, 16);
	assert_true(d.hw_caps == VTD_IOMMU_HW_CAP_PCI_PASID_PRIV);
	assert_int_equal(d.source, VTD_HOST_SRC_IOMMUFD);
	assert_closed();

	/* a driver without hw_info: type NONE, data_len 0 */
	mock_setup(NULL);
	M.type = VTD_HW_INFO_TYPE_NONE;
	M.kernel_len = 0;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, &err), 0);
	assert_int_equal(d.hw_info_type, VTD_HW_INFO_TYPE_NONE);
	assert_true(d.cap == 0 && d.ecap == 0);
	assert_int_equal(d.hw_info_flags, 0);
	assert_closed();
}

static void test_iommufd_bad_args(void **state)
{
	(void)state;
	struct vtd_host_device d;
	struct vtd_error err;
	memset(&err, 0x5a, sizeof(err));
	assert_int_equal(vtd_host_probe_iommufd(NULL, &d, &err), -EINVAL);
	assert_int_equal(err.count, 0);
	assert_int_equal(vtd_host_probe_iommufd(CDEV, NULL, &err), -EINVAL);
	assert_int_equal(vtd_host_probe_iommufd(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(M.opens, 0);
	/* err is optional on failure too */
	M.bind_errno = ENOTTY;
	assert_int_equal(vtd_host_probe_iommufd(CDEV, &d, NULL), -ENOTTY);
	assert_closed();
}

static void test_iommufd_control_chars(void **state)
{
	(void)state;
	static const char weird[] = "/dev/vfio/devices/vfio\n0\x1b[31m\r\x7f";
	struct vtd_host_device d;
	struct vtd_error err;

	M.cdev = weird;
	M.cdev_open_errno = ENOENT;
	assert_int_equal(vtd_host_probe_iommufd(weird, &d, &err), -ENOENT);
	assert_int_equal(err.count, 1);
	assert_msg_clean(&err);
	assert_contains(err.msg, "/dev/vfio/devices/vfio?0?[31m??");

	mock_setup(NULL);
	M.cdev = weird;
	M.cdev_open_errno = EACCES;
	assert_int_equal(vtd_host_probe_iommufd(weird, &d, &err), -EACCES);
	assert_msg_clean(&err);

	mock_setup(NULL);
	M.cdev = weird;
	M.bind_errno = ENOTTY;
	assert_int_equal(vtd_host_probe_iommufd(weird, &d, &err), -ENOTTY);
	assert_msg_clean(&err);
	mock_setup(NULL);
	M.cdev = weird;
	M.bind_errno = EBUSY;
	assert_int_equal(vtd_host_probe_iommufd(weird, &d, &err), -EBUSY);
	assert_msg_clean(&err);
	mock_setup(NULL);
	M.cdev = weird;
	M.bind_errno = EIO;
	assert_int_equal(vtd_host_probe_iommufd(weird, &d, &err), -EIO);
	assert_msg_clean(&err);

	/* on success the name and description are printable too */
	mock_setup(NULL);
	M.cdev = weird;
	assert_int_equal(vtd_host_probe_iommufd(weird, &d, &err), 0);
	assert_string_equal(d.name, "/dev/vfio/devices/vfio?0?[31m??");
	for (const char *p = d.description; *p; p++)
		assert_false((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f);

	/* a long path: bounded, no crash */
	char longp[600];
	memset(longp, 'v', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	mock_setup(NULL);
	M.cdev = longp;
	M.cdev_open_errno = ENOENT;
	assert_int_equal(vtd_host_probe_iommufd(longp, &d, &err), -ENOENT);
	assert_int_equal(err.count, 1);
	assert_true(strlen(d.name) < sizeof(d.name));
	mock_setup(NULL);
	M.cdev = longp;
	assert_int_equal(vtd_host_probe_iommufd(longp, &d, &err), 0);
	assert_closed();
}

/* vtd_sys_set returns the previous table and NULL restores the real one. */
static void test_sys_set(void **state)
{
	(void)state;
	const struct vtd_sys_ops *prev = vtd_sys_set(NULL);
	assert_ptr_equal(prev, &mock_ops);
	const struct vtd_sys_ops *real = vtd_sys;
	assert_ptr_not_equal(real, &mock_ops);
	assert_ptr_equal(vtd_sys_set(&mock_ops), real);
	assert_ptr_equal(vtd_sys, &mock_ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profiles_table),
		cmocka_unit_test(test_profile_device),
		cmocka_unit_test(test_profile_unknown),
		cmocka_unit_test(test_profile_bad_args),
		cmocka_unit_test(test_device_init),

		cmocka_unit_test_setup_teardown(test_sysfs_units, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_hex_edges, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_malformed, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_all_malformed, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_no_units, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_args_and_roots, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_message_control_chars, tmp_setup,
						tmp_teardown),

		cmocka_unit_test_setup_teardown(test_topology_root_port, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_topology_bridges, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_topology_cap_loops, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_topology_unprivileged_config, tmp_setup,
						tmp_teardown),
		cmocka_unit_test(test_topology_bad_bdf),
		cmocka_unit_test(test_topology_bdf_sscanf_laxness),

		cmocka_unit_test_setup_teardown(test_iommufd_success, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_no_dev_iommu, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_no_cdev, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_bind_errors, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_hwinfo_errors, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_short_data, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_long_data, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_other_types, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_bad_args, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_iommufd_control_chars, mock_setup, mock_teardown),
		cmocka_unit_test_setup_teardown(test_sys_set, mock_setup, mock_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
