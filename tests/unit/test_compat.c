/* SPDX-License-Identifier: MIT */
/* Guest/host compatibility: every rule both ways, every message, baseline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <vtd/vtd.h>

/* gnr-main: a host that can do everything the guest can ask */
#define GNR_CAP 0xf9ed008cee780c66ull
#define GNR_ECAP 0x3fef9ea6f0efdfull

static struct vtd_config cfg(const char *props)
{
	struct vtd_config c;
	struct vtd_error e;
	if (vtd_config_parse(&c, props, &e))
		fail_msg("config '%s': %s", props, e.msg);
	return c;
}

static struct vtd_host_device host(uint64_t cap, uint64_t ecap)
{
	struct vtd_host_device d;
	vtd_host_device_init(&d, cap, ecap);
	d.hw_info_flags = 0; /* no erratum unless a test asks */
	return d;
}

static const struct vtd_finding *find(const struct vtd_compat_result *r, enum vtd_compat_code c)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->findings[i].code == c)
			return &r->findings[i];
	return NULL;
}

static struct vtd_compat_result check(const char *props, const struct vtd_host_device *d)
{
	struct vtd_config c = cfg(props);
	struct vtd_compat_result r;
	assert_int_equal(vtd_compat_check(&c, d, &r), 0);
	return r;
}

#define FLTS "x-scalable-mode=on,x-flts=on,caching-mode=on"

static void test_capable_host_passes(void **state)
{
	(void)state;
	struct vtd_host_device d = host(GNR_CAP, GNR_ECAP);
	struct vtd_compat_result r = check(FLTS, &d);
	assert_true(r.compatible);
	assert_int_equal(r.n, 0);
	r = check(FLTS ",x-pasid-mode=on,snoop-control=on", &d);
	assert_true(r.compatible);
	assert_int_equal(r.n, 0);
}

static void test_caching_mode(void **state)
{
	(void)state;
	struct vtd_host_device d = host(GNR_CAP, GNR_ECAP);
	struct vtd_compat_result r = check("", &d);
	assert_false(r.compatible);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_CACHING_MODE);
	assert_non_null(f);
	assert_int_equal(f->severity, VTD_SEV_ERROR);
	assert_string_equal(f->name, "caching-mode");
	assert_string_equal(f->message, "Device assignment is not allowed without enabling "
					"caching-mode=on for Intel IOMMU.");
	r = check("caching-mode=on", &d);
	assert_true(r.compatible);
	assert_null(find(&r, VTD_COMPAT_CACHING_MODE));
}

static void test_aw_bits(void **state)
{
	(void)state;
	/* hsw-ult-main: MGAW 39 */
	struct vtd_host_device d = host(0xd2008020660462ull, 0xf010daull);
	struct vtd_compat_result r = check("caching-mode=on", &d);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_AW_BITS);
	assert_non_null(f);
	assert_false(r.compatible);
	assert_string_equal(f->message, "aw-bits 48 > host aw-bits 39 (guest address width 48 "
					"bits, host CAP.MGAW 39 bits)");
	r = check("caching-mode=on,aw-bits=39", &d);
	assert_null(find(&r, VTD_COMPAT_AW_BITS));
	assert_true(r.compatible);
}

static void test_backend(void **state)
{
	(void)state;
	struct vtd_host_device d = host(GNR_CAP, GNR_ECAP);
	d.backend = VTD_BACKEND_LEGACY;
	struct vtd_compat_result r = check(FLTS, &d);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_BACKEND);
	assert_non_null(f);
	assert_string_equal(f->message, "Need IOMMUFD backend when x-flts=on");
	/* without x-flts the legacy container is fine */
	r = check("caching-mode=on", &d);
	assert_true(r.compatible);
}

static void test_hw_type(void **state)
{
	(void)state;
	struct vtd_host_device d = host(0, 0);
	d.hw_info_type = VTD_HW_INFO_TYPE_ARM_SMMUV3;
	struct vtd_compat_result r = check(FLTS, &d);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_HW_TYPE);
	assert_non_null(f);
	assert_string_equal(f->message, "Incompatible host platform IOMMU type 2");
	/* VT-d register rules are not applied to another IOMMU's zeros */
	assert_null(find(&r, VTD_COMPAT_NESTING));
	assert_null(find(&r, VTD_COMPAT_FS1GP));
	assert_int_equal(r.n, 1);
	d = host(GNR_CAP, GNR_ECAP);
	r = check(FLTS, &d);
	assert_null(find(&r, VTD_COMPAT_HW_TYPE));
}

static void test_nesting(void **state)
{
	(void)state;
	/* mtl-main: scalable, both stages, NEST=0 */
	struct vtd_host_device d = host(0xc9de008cee690462ull, 0x12ca9a00f0efdeull);
	struct vtd_compat_result r = check(FLTS ",fs1gp=off", &d);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_NESTING);
	assert_non_null(f);
	assert_string_equal(f->message, "host IOMMU cannot do nested translation: ECAP.SMTS=1 "
					"FSTS=1 SSTS=1 NEST=0 (all must be 1)");
	/* kbl-y-gfx: NEST=1 but no scalable mode */
	d = host(0x1c0000c40660462ull, 0x19e2ff0505eull);
	r = check(FLTS, &d);
	f = find(&r, VTD_COMPAT_NESTING);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "SMTS=0 FSTS=0 SSTS=0 NEST=1"));
	/* each bit alone is required */
	const unsigned bits[] = { 43, 46, 47, 26 };
	for (unsigned i = 0; i < 4; i++) {
		d = host(GNR_CAP, GNR_ECAP & ~(1ull << bits[i]));
		r = check(FLTS, &d);
		assert_non_null(find(&r, VTD_COMPAT_NESTING));
	}
	/* not a concern without x-flts */
	d = host(0xc9de008cee690462ull, 0x12ca9a00f0efdeull);
	r = check("caching-mode=on,aw-bits=39", &d);
	assert_null(find(&r, VTD_COMPAT_NESTING));
}

static void test_fs1gp(void **state)
{
	(void)state;
	struct vtd_host_device d = host(GNR_CAP & ~(1ull << 56), GNR_ECAP);
	struct vtd_compat_result r = check(FLTS, &d);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_FS1GP);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "Stage-1 1GB large page is unsupported by host IOMMU"));
	assert_int_equal(r.n, 1);
	r = check(FLTS ",fs1gp=off", &d);
	assert_true(r.compatible);
	assert_int_equal(r.n, 0);
}

static void test_bridge(void **state)
{
	(void)state;
	struct vtd_host_device d = host(GNR_CAP, GNR_ECAP);
	d.behind_bridge = true;
	struct vtd_compat_result r = check(FLTS, &d);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_BRIDGE);
	assert_non_null(f);
	assert_string_equal(f->message,
			    "Host device downstream to a PCI bridge is unsupported when x-flts=on");
	r = check("caching-mode=on", &d); /* shadowing handles aliasing */
	assert_true(r.compatible);
}

static void test_pasid(void **state)
{
	(void)state;
	/* spr-main: ECAP.PASID=0 */
	struct vtd_host_device d = host(0x19ed008c40780c66ull, 0x3ee9e86f050dfull);
	struct vtd_compat_result r = check(FLTS ",x-pasid-mode=on", &d);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_PASID);
	assert_non_null(f);
	assert_string_equal(f->message,
			    "x-pasid-mode=on: host IOMMU has no PASID support (ECAP.PASID=0)");
	r = check(FLTS, &d);
	assert_null(find(&r, VTD_COMPAT_PASID));
	/* width: the device's PASID width is narrower than the guest's 8 bits */
	d = host(GNR_CAP, GNR_ECAP);
	d.max_pasid_log2 = 5;
	r = check(FLTS ",x-pasid-mode=on", &d);
	f = find(&r, VTD_COMPAT_PASID);
	assert_non_null(f);
	assert_string_equal(f->message, "PASID bits size 8 > host IOMMU PASID bits size 5");
	d.max_pasid_log2 = 8;
	r = check(FLTS ",x-pasid-mode=on", &d);
	assert_null(find(&r, VTD_COMPAT_PASID));
	/* without max_pasid_log2 the unit's PSS decides */
	d = host(GNR_CAP, (GNR_ECAP & ~(0x1full << 35)) | (4ull << 35));
	r = check(FLTS ",x-pasid-mode=on", &d);
	f = find(&r, VTD_COMPAT_PASID);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "8 > host IOMMU PASID bits size 5"));
}

static void test_snoop(void **state)
{
	(void)state;
	struct vtd_host_device d = host(GNR_CAP, GNR_ECAP & ~(1ull << 7));
	struct vtd_compat_result r = check(FLTS ",snoop-control=on", &d);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_SNOOP);
	assert_non_null(f);
	assert_string_equal(f->message, "snoop-control=on: host IOMMU has no snoop control (ECAP.SC=0)");
	d = host(GNR_CAP, GNR_ECAP);
	r = check("caching-mode=on,snoop-control=on", &d);
	f = find(&r, VTD_COMPAT_SNOOP);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "Snoop Control with vhost or VFIO is not supported"));
	r = check(FLTS ",snoop-control=on", &d);
	assert_null(find(&r, VTD_COMPAT_SNOOP));
}

static void test_prs_and_devtlb(void **state)
{
	(void)state;
	const char *svm = FLTS ",x-pasid-mode=on,device-iotlb=on,svm=on";
	struct vtd_host_device d = host(GNR_CAP, GNR_ECAP & ~(1ull << 29));
	struct vtd_compat_result r = check(svm, &d);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_PRS);
	assert_non_null(f);
	assert_string_equal(f->message, "svm=on: host IOMMU has no page request support (ECAP.PRS=0)");
	d = host(GNR_CAP, GNR_ECAP);
	r = check(svm, &d);
	assert_true(r.compatible);
	/* device-TLB without host ATS is a warning, not a failure */
	d = host(GNR_CAP, GNR_ECAP & ~(1ull << 2));
	r = check("caching-mode=on,device-iotlb=on", &d);
	assert_true(r.compatible);
	f = find(&r, VTD_COMPAT_DEVTLB);
	assert_non_null(f);
	assert_int_equal(f->severity, VTD_SEV_WARNING);
	assert_non_null(strstr(f->message, "ECAP.DT=0"));
	d = host(GNR_CAP, GNR_ECAP);
	r = check("caching-mode=on,device-iotlb=on", &d);
	assert_null(find(&r, VTD_COMPAT_DEVTLB));
}

static void test_errata_warning(void **state)
{
	(void)state;
	struct vtd_host_device d = host(GNR_CAP, GNR_ECAP);
	d.hw_info_flags = VTD_HW_INFO_VTD_ERRATA_772415_SPR17;
	struct vtd_compat_result r = check(FLTS, &d);
	assert_true(r.compatible);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_ERRATA_772415);
	assert_non_null(f);
	assert_int_equal(f->severity, VTD_SEV_WARNING);
	assert_non_null(strstr(f->message, "read-only"));
	/* no nesting, no nest parent: nothing to warn about */
	r = check("caching-mode=on", &d);
	assert_null(find(&r, VTD_COMPAT_ERRATA_772415));
}

static void test_fs5lp_srs_eafs_generic(void **state)
{
	(void)state;
	/* No QEMU configuration offers 5-level first stage (libvtd's x-fs5lp
	 * does), SRS with x-flts or EAFS.  With x-flts alone the guest has none
	 * of them, so a host without them raises nothing. */
	struct vtd_host_device d = host(GNR_CAP & ~(1ull << 60),
					GNR_ECAP & ~((1ull << 31) | (1ull << 34)));
	struct vtd_compat_result r = check(FLTS, &d);
	assert_null(find(&r, VTD_COMPAT_FS5LP));
	assert_null(find(&r, VTD_COMPAT_SRS));
	assert_null(find(&r, VTD_COMPAT_EAFS));
	assert_true(r.compatible);
}

/* x-fs5lp: a guest that walks 5-level first-stage tables needs a host
 * that does (Linux refuses addr_width=57 without cap_fl5lp_support). */
static void test_fs5lp_needs_host_fs5lp(void **state)
{
	(void)state;
	struct vtd_host_device with = host(GNR_CAP | (1ull << 60), GNR_ECAP);
	struct vtd_host_device without = host(GNR_CAP & ~(1ull << 60), GNR_ECAP);
	struct vtd_compat_result r = check(FLTS ",x-fs5lp=on", &with);
	assert_null(find(&r, VTD_COMPAT_FS5LP));
	assert_true(r.compatible);
	r = check(FLTS ",x-fs5lp=on", &without);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_FS5LP);
	assert_non_null(f);
	assert_int_equal(f->severity, VTD_SEV_ERROR);
	assert_non_null(strstr(f->message, "host CAP.FS5LP=0"));
	assert_false(r.compatible);
}

/* The libvtd extensions x-ers and x-ssads promise what no host device can
 * keep (errors, with or without x-flts); x-smpwc with x-flts is a warning. */
static void test_extensions_for_emulated_devices_only(void **state)
{
	(void)state;
	struct vtd_host_device d = host(GNR_CAP, GNR_ECAP);
	struct vtd_compat_result r = check(FLTS ",x-pasid-mode=on,x-ers=on", &d);
	assert_false(r.compatible);
	const struct vtd_finding *f = find(&r, VTD_COMPAT_ERS);
	assert_non_null(f);
	assert_int_equal(f->severity, VTD_SEV_ERROR);
	assert_non_null(strstr(f->message, "x-ers=on"));
	assert_int_equal(r.n, 1);
	r = check("caching-mode=on,x-scalable-mode=on,x-smpwc=on,x-ssads=on", &d);
	assert_false(r.compatible);
	f = find(&r, VTD_COMPAT_SSADS);
	assert_non_null(f);
	assert_int_equal(f->severity, VTD_SEV_ERROR);
	assert_null(find(&r, VTD_COMPAT_SMPWC));   /* shadowed, no guest first stage */
	assert_int_equal(r.n, 1);
	r = check(FLTS ",x-smpwc=on", &d);
	assert_true(r.compatible);
	f = find(&r, VTD_COMPAT_SMPWC);
	assert_non_null(f);
	assert_int_equal(f->severity, VTD_SEV_WARNING);
	assert_non_null(strstr(f->message, "PWSNP"));
}

static void test_all_findings_and_order(void **state)
{
	(void)state;
	/* everything wrong at once: every rule reports, errors before warnings */
	/* hsw-ult-main without snoop control */
	struct vtd_host_device d = host(0xd2008020660462ull, 0xf010daull & ~(1ull << 7));
	d.backend = VTD_BACKEND_LEGACY;
	d.behind_bridge = true;
	d.hw_info_flags = VTD_HW_INFO_VTD_ERRATA_772415_SPR17;
	struct vtd_compat_result r =
		check("x-scalable-mode=on,x-flts=on,x-pasid-mode=on,snoop-control=on,"
		      "device-iotlb=on,svm=on", &d);
	assert_false(r.compatible);
	const enum vtd_compat_code want[] = {
		VTD_COMPAT_CACHING_MODE, VTD_COMPAT_AW_BITS, VTD_COMPAT_BACKEND,
		VTD_COMPAT_NESTING, VTD_COMPAT_FS1GP, VTD_COMPAT_PASID, VTD_COMPAT_BRIDGE,
		VTD_COMPAT_SNOOP, VTD_COMPAT_PRS, VTD_COMPAT_ERRATA_772415, VTD_COMPAT_DEVTLB,
	};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!find(&r, want[i]))
			fail_msg("finding %d missing", want[i]);
	assert_int_equal(r.n, sizeof(want) / sizeof(want[0]));
	bool seen_warning = false;
	for (unsigned i = 0; i < r.n; i++) {
		if (r.findings[i].severity == VTD_SEV_WARNING)
			seen_warning = true;
		else
			assert_false(seen_warning);
	}
}

static void test_bad_args_and_rules_table(void **state)
{
	(void)state;
	struct vtd_config c = cfg("");
	struct vtd_host_device d = host(GNR_CAP, GNR_ECAP);
	struct vtd_compat_result r;
	assert_int_equal(vtd_compat_check(NULL, &d, &r), -EINVAL);
	assert_int_equal(vtd_compat_check(&c, NULL, &r), -EINVAL);
	assert_int_equal(vtd_compat_check(&c, &d, NULL), -EINVAL);
	const struct vtd_compat_rule *rules;
	size_t n = vtd_compat_rules(&rules);
	assert_true(n >= 15);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(rules[i].name);
		assert_true(strlen(rules[i].summary) > 20);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(rules[i].code, rules[j].code);
	}
}

static void test_profiles_all_get_verdicts(void **state)
{
	(void)state;
	/* the acceptance: a verdict for every profile; the three
	 * nesting-capable server units pass, the rest fail with reasons */
	struct vtd_config c = cfg(FLTS);
	const struct vtd_host_profile *p;
	size_t n = vtd_host_profiles(&p);
	unsigned ok = 0;
	for (size_t i = 0; i < n; i++) {
		struct vtd_host_device d;
		assert_int_equal(vtd_host_from_profile(p[i].name, &d, NULL), 0);
		struct vtd_compat_result r;
		assert_int_equal(vtd_compat_check(&c, &d, &r), 0);
		if (r.compatible) {
			ok++;
			assert_true(!strcmp(p[i].name, "spr-main") || !strcmp(p[i].name, "gnr-main") ||
				    !strcmp(p[i].name, "spr-4lvl-main"));
		} else {
			assert_true(r.n > 0 && r.findings[0].severity == VTD_SEV_ERROR);
		}
	}
	assert_int_equal(ok, 3);
}

static void test_baseline(void **state)
{
	(void)state;
	struct vtd_config start = cfg("x-scalable-mode=on,x-flts=on,x-pasid-mode=on,caching-mode=on");
	struct vtd_host_device pool[3];
	assert_int_equal(vtd_host_from_profile("spr-main", &pool[0], NULL), 0);
	assert_int_equal(vtd_host_from_profile("gnr-main", &pool[1], NULL), 0);
	assert_int_equal(vtd_host_from_profile("spr-4lvl-main", &pool[2], NULL), 0);
	struct vtd_config out;
	struct vtd_error why;
	assert_int_equal(vtd_compat_baseline(&start, pool, 3, &out, &why), 0);
	/* spr has no PASID: only x-pasid-mode goes */
	assert_true(out.flts);
	assert_true(out.fs1gp);
	assert_false(out.pasid);
	assert_int_equal(why.count, 1);
	assert_non_null(strstr(why.msg, "x-pasid-mode=off: spr-main:"));

	/* a client part (MGAW 42, no nesting) in the pool: x-flts goes first,
	 * then aw-bits; x-pasid-mode stays (its rule needs x-flts) */
	assert_int_equal(vtd_host_from_profile("mtl-main", &pool[0], NULL), 0);
	assert_int_equal(vtd_compat_baseline(&start, pool, 2, &out, &why), 0);
	assert_false(out.flts);
	assert_int_equal(out.aw_bits, 39);
	assert_true(out.pasid);
	assert_true(out.scalable_mode);
	assert_non_null(strstr(why.msg, "x-flts=off: mtl-main:"));
	assert_non_null(strstr(why.msg, "aw-bits=39: mtl-main:"));
	/* the result is accepted by every host */
	for (int h = 0; h < 2; h++) {
		struct vtd_compat_result r;
		vtd_compat_check(&out, &pool[h], &r);
		assert_true(r.compatible);
	}

	/* caching-mode is switched on, with the reason */
	struct vtd_config nocm = cfg("x-scalable-mode=on");
	assert_int_equal(vtd_compat_baseline(&nocm, pool + 1, 1, &out, &why), 0);
	assert_true(out.caching_mode);
	assert_non_null(strstr(why.msg, "caching-mode=on: needed"));

	/* svm goes with x-flts */
	struct vtd_config svm = cfg("x-scalable-mode=on,x-flts=on,x-pasid-mode=on,device-iotlb=on,"
				    "svm=on,caching-mode=on");
	assert_int_equal(vtd_compat_baseline(&svm, pool, 1, &out, &why), 0);
	assert_false(out.svm);
	assert_false(out.flts);
	assert_non_null(strstr(why.msg, "svm=off"));

	/* a host no configuration suits: MGAW below 39 cannot be helped */
	struct vtd_host_device tiny;
	vtd_host_device_init(&tiny, 0xd2008020640462ull /* MGAW 37 */, 0xf010daull);
	assert_int_equal(vtd_compat_baseline(&start, &tiny, 1, &out, &why), -ENOENT);
	assert_non_null(strstr(why.msg, "no configuration suits manual: aw-bits 48 > host aw-bits 37"));

	/* bad arguments */
	assert_int_equal(vtd_compat_baseline(NULL, pool, 1, &out, &why), -EINVAL);
	assert_int_equal(vtd_compat_baseline(&start, NULL, 1, &out, &why), -EINVAL);
	assert_int_equal(vtd_compat_baseline(&start, pool, 1, NULL, &why), -EINVAL);
	/* an empty pool keeps the start */
	assert_int_equal(vtd_compat_baseline(&start, NULL, 0, &out, &why), 0);
	assert_true(out.flts && out.pasid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capable_host_passes),
		cmocka_unit_test(test_caching_mode),
		cmocka_unit_test(test_aw_bits),
		cmocka_unit_test(test_backend),
		cmocka_unit_test(test_hw_type),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_fs1gp),
		cmocka_unit_test(test_bridge),
		cmocka_unit_test(test_pasid),
		cmocka_unit_test(test_snoop),
		cmocka_unit_test(test_prs_and_devtlb),
		cmocka_unit_test(test_errata_warning),
		cmocka_unit_test(test_fs5lp_srs_eafs_generic),
		cmocka_unit_test(test_fs5lp_needs_host_fs5lp),
		cmocka_unit_test(test_extensions_for_emulated_devices_only),
		cmocka_unit_test(test_all_findings_and_order),
		cmocka_unit_test(test_bad_args_and_rules_table),
		cmocka_unit_test(test_profiles_all_get_verdicts),
		cmocka_unit_test(test_baseline),
	};
	return cmocka_run_group_tests_name("compat", tests, NULL, NULL);
}
