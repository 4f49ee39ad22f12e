/* SPDX-License-Identifier: MIT */
/* Configuration parsing and validation (QEMU intel-iommu property rules). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vtd/vtd.h>

static int parse(struct vtd_config *c, const char *s, struct vtd_error *e)
{
	return vtd_config_parse(c, s, e);
}

static void test_defaults(void **state)
{
	(void)state;
	struct vtd_config c;
	struct vtd_error e;
	assert_int_equal(parse(&c, "", &e), 0);
	assert_int_equal(e.count, 0);
	assert_int_equal(c.aw_bits, 48);
	assert_false(c.caching_mode);
	assert_false(c.scalable_mode);
	assert_false(c.flts);
	assert_true(c.fs1gp);
	assert_false(c.pasid);
	assert_false(c.svm);
	assert_true(c.dma_drain);
	assert_false(c.snoop_control);
	assert_false(c.stale_tm);
	assert_false(c.device_iotlb);
	assert_true(c.pt);
	assert_true(c.dma_translation);
	/* kernel-irqchip=split: intremap auto -> on, eim auto -> on */
	assert_int_equal(c.intremap, VTD_ON);
	assert_int_equal(c.eim, VTD_ON);
	/* NULL behaves as "" */
	assert_int_equal(parse(&c, NULL, &e), 0);
}

static void test_bool_spellings(void **state)
{
	(void)state;
	static const char *const on[] = { "on", "yes", "true", "y" };
	static const char *const off[] = { "off", "no", "false", "n" };
	struct vtd_config c;
	struct vtd_error e;
	char buf[64];
	for (size_t i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "caching-mode=%s", on[i]);
		assert_int_equal(parse(&c, buf, &e), 0);
		assert_true(c.caching_mode);
		snprintf(buf, sizeof(buf), "pt=%s", off[i]);
		assert_int_equal(parse(&c, buf, &e), 0);
		assert_false(c.pt);
	}
	/* QEMU compares case-sensitively */
	assert_int_equal(parse(&c, "pt=ON", &e), -EINVAL);
	assert_int_equal(e.code, VTD_ERR_BAD_VALUE);
	assert_non_null(strstr(e.msg, "pt: invalid value 'ON'"));
}

static void test_onoffauto(void **state)
{
	(void)state;
	struct vtd_config c;
	struct vtd_error e;
	assert_int_equal(parse(&c, "intremap=off", &e), 0);
	assert_int_equal(c.intremap, VTD_OFF);
	assert_int_equal(c.eim, VTD_OFF); /* auto without IR -> off */
	assert_int_equal(parse(&c, "intremap=auto,kernel-irqchip=on", &e), 0);
	assert_int_equal(c.intremap, VTD_OFF);
	assert_int_equal(parse(&c, "kernel-irqchip=off", &e), 0);
	assert_int_equal(c.intremap, VTD_ON);
	assert_int_equal(c.eim, VTD_OFF); /* userspace irqchip: eim auto -> off */
	assert_int_equal(parse(&c, "kernel-irqchip=off,x-buggy-eim=on", &e), 0);
	assert_int_equal(c.eim, VTD_ON);
	assert_int_equal(parse(&c, "eim=maybe", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "eim: invalid value 'maybe' (expected on, off or auto)"));
}

static void test_unknown_key_suggests(void **state)
{
	(void)state;
	struct vtd_config c;
	struct vtd_error e;
	assert_int_equal(parse(&c, "flts=on", &e), -EINVAL);
	assert_int_equal(e.code, VTD_ERR_UNKNOWN_KEY);
	assert_string_equal(e.msg, "unknown property 'flts' (did you mean 'x-flts'?)");
	assert_int_equal(parse(&c, "caching_mode=on", &e), -EINVAL);
	assert_string_equal(e.msg, "unknown property 'caching_mode' (did you mean 'caching-mode'?)");
	assert_int_equal(parse(&c, "aw-bit=48", &e), -EINVAL);
	assert_string_equal(e.msg, "unknown property 'aw-bit' (did you mean 'aw-bits'?)");
	/* even a far guess names a real property */
	assert_int_equal(parse(&c, "zzzzzzzzzzzz=1", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "did you mean '"));
}

static void test_every_problem_reported(void **state)
{
	(void)state;
	struct vtd_config c;
	struct vtd_error e;
	assert_int_equal(parse(&c, "aw-bits=300,pt=maybe,bogus=1,caching-mode=on,caching-mode=off",
			       &e), -EINVAL);
	assert_int_equal(e.count, 4);
	assert_int_equal(e.code, VTD_ERR_RANGE);
	assert_non_null(strstr(e.msg, "aw-bits: invalid value '300'"));
	assert_non_null(strstr(e.msg, "pt: invalid value 'maybe'"));
	assert_non_null(strstr(e.msg, "unknown property 'bogus'"));
	assert_non_null(strstr(e.msg, "caching-mode: given more than once"));
}

static void test_syntax(void **state)
{
	(void)state;
	struct vtd_config c;
	struct vtd_error e;
	assert_int_equal(parse(&c, "x-flts", &e), -EINVAL);
	assert_int_equal(e.code, VTD_ERR_SYNTAX);
	assert_non_null(strstr(e.msg, "'x-flts' has no value; write x-flts=on"));
	assert_int_equal(parse(&c, "caching-mode=", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "caching-mode: empty value"));
	assert_int_equal(parse(&c, "=on", &e), -EINVAL);
	/* a pasted -device argument */
	assert_int_equal(parse(&c, "intel-iommu,caching-mode=on,id=iommu0", &e), 0);
	assert_true(c.caching_mode);
	assert_int_equal(parse(&c, "driver=intel-iommu,caching-mode=on", &e), 0);
	assert_int_equal(parse(&c, "driver=amd-iommu", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "'amd-iommu' is not intel-iommu"));
	/* trailing and doubled commas are tolerated */
	assert_int_equal(parse(&c, "caching-mode=on,,pt=off,", &e), 0);
	/* control characters are shown escaped, not echoed raw */
	assert_int_equal(parse(&c, "pt=\x1b[31m", &e), -EINVAL);
	assert_null(strchr(e.msg, '\x1b'));
	assert_non_null(strstr(e.msg, "\\x1b"));
	/* an over-long item is reported, not overflowed */
	char big[4096];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(&c, big, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "is too long"));
}

static void test_numbers(void **state)
{
	(void)state;
	struct vtd_config c;
	struct vtd_error e;
	assert_int_equal(parse(&c, "aw-bits=39", &e), 0);
	assert_int_equal(c.aw_bits, 39);
	assert_int_equal(parse(&c, "aw-bits=0x27", &e), 0);
	assert_int_equal(c.aw_bits, 39);
	assert_int_equal(parse(&c, "aw-bits=57", &e), -EINVAL);
	assert_string_equal(e.msg,
			    "aw-bits=57: Legacy mode: supported values for aw-bits are: 39, 48");
	assert_int_equal(parse(&c, "x-scalable-mode=on,aw-bits=57", &e), -EINVAL);
	assert_string_equal(e.msg, "aw-bits=57: Scalable mode(flts=off): supported values for "
				   "aw-bits are: 39, 48");
	assert_int_equal(parse(&c, "aw-bits=-1", &e), -EINVAL);
	assert_int_equal(parse(&c, "aw-bits=256", &e), -EINVAL);
	assert_int_equal(e.code, VTD_ERR_RANGE);
	assert_int_equal(parse(&c, "aw-bits=99999999999999999999999", &e), -EINVAL);
	assert_int_equal(parse(&c, "version=7", &e), 0);
	assert_int_equal(c.version, 7);
	assert_int_equal(parse(&c, "version=4294967296", &e), -EINVAL);
}

static void test_qemu_rules(void **state)
{
	(void)state;
	struct vtd_config c;
	struct vtd_error e;
	assert_int_equal(parse(&c, "x-flts=on", &e), -EINVAL);
	assert_int_equal(e.code, VTD_ERR_CONFLICT);
	assert_non_null(strstr(e.msg, "x-flts is only available in scalable mode"));
	assert_non_null(strstr(e.msg, "x-scalable-mode"));
	assert_int_equal(parse(&c, "x-scalable-mode=on,x-flts=on,aw-bits=39", &e), -EINVAL);
	assert_string_equal(e.msg, "aw-bits=39: Scalable mode(x-flts=on): supported value for "
				   "aw-bits is: 48");
	assert_int_equal(parse(&c, "x-scalable-mode=on,dma-drain=off", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "Need to set dma_drain for scalable mode"));
	assert_int_equal(parse(&c, "dma-drain=off", &e), 0); /* legacy mode allows it */
	assert_int_equal(parse(&c, "x-pasid-mode=on", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "Need to set scalable mode for PASID"));
	assert_int_equal(parse(&c, "eim=on,intremap=off", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "eim=on cannot be selected without intremap=on"));
	assert_int_equal(parse(&c, "intremap=on,kernel-irqchip=on", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "cannot work with kernel-irqchip=on"));
	assert_int_equal(parse(&c, "kernel-irqchip=maybe", &e), -EINVAL);
	/* x-ers: execute requests come with a PASID */
	assert_int_equal(parse(&c, "x-scalable-mode=on,x-ers=on", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "x-ers=on"));
	assert_non_null(strstr(e.msg, "x-pasid-mode=on"));
	assert_int_equal(parse(&c, "x-scalable-mode=on,x-pasid-mode=on,x-ers=on", &e), 0);
	assert_true(c.ers);
	/* x-smpwc / x-ssads: scalable mode; SLADS needs a second stage and
	 * snooped walks */
	assert_int_equal(parse(&c, "x-smpwc=on,x-ssads=on", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "x-smpwc=on: page-walk snooping"));
	assert_non_null(strstr(e.msg, "x-ssads=on: needs x-scalable-mode=on"));
	assert_int_equal(parse(&c, "x-scalable-mode=on,x-ssads=on", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "needs x-smpwc=on"));
	assert_int_equal(parse(&c, "x-scalable-mode=on,x-flts=on,x-smpwc=on,x-ssads=on", &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "needs a second stage"));
	assert_int_equal(parse(&c, "x-scalable-mode=on,x-flts=on,x-nest=on,x-smpwc=on,x-ssads=on",
			       &e), 0);
	assert_true(c.smpwc && c.ssads);
	/* x-fs5lp: a first-stage feature */
	assert_int_equal(parse(&c, "x-fs5lp=on", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "x-fs5lp=on: 5-level paging is for the first stage"));
	assert_int_equal(parse(&c, "x-scalable-mode=on,x-fs5lp=on", &e), -EINVAL);
	assert_int_equal(parse(&c, "x-scalable-mode=on,x-flts=on,x-fs5lp=on", &e), 0);
	assert_true(c.fs5lp);
	assert_int_equal(parse(&c, "x-scalable-mode=on,x-nest=on,x-fs5lp=on", &e), 0);
	assert_true(c.fs5lp);
	/* svm: all four requirements listed at once */
	assert_int_equal(parse(&c, "svm=on,dma-translation=off", &e), -EINVAL);
	assert_int_equal(e.count, 4);
	assert_non_null(strstr(e.msg, "Need to set device IOTLB for svm"));
	assert_non_null(strstr(e.msg, "Need to set flts for svm"));
	assert_non_null(strstr(e.msg, "Need to set dma-translation for svm"));
	assert_non_null(strstr(e.msg, "Need to set PASID support for svm"));
	assert_int_equal(parse(&c, "svm=on,device-iotlb=on,x-scalable-mode=on,x-flts=on,"
				   "x-pasid-mode=on", &e), 0);
}

/* x-pi (libvtd extension): posting is a form of the IRTE, so CAP.PI
 * without ECAP.IR is refused, whichever way intremap ends up off. */
static void test_x_pi(void **state)
{
	(void)state;
	struct vtd_config c;
	struct vtd_error e;
	assert_int_equal(parse(&c, "", &e), 0);
	assert_false(c.pi);
	assert_int_equal(parse(&c, "x-pi=on", &e), 0);
	assert_true(c.pi);
	assert_int_equal(c.intremap, VTD_ON);
	assert_int_equal(parse(&c, "x-pi=on,intremap=off", &e), -EINVAL);
	assert_int_equal(e.count, 1);
	assert_int_equal(e.code, VTD_ERR_CONFLICT);
	assert_string_equal(e.msg, "x-pi=on: posted interrupts need interrupt remapping "
				   "(intremap=on)");
	/* intremap=auto resolves off with the whole irqchip in the kernel */
	assert_int_equal(parse(&c, "x-pi=on,kernel-irqchip=on", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "x-pi=on"));
	assert_int_equal(parse(&c, "x-pi=on,kernel-irqchip=off", &e), 0);
	assert_int_equal(parse(&c, "x-pi=off,intremap=off", &e), 0);
	/* "pi" names the x- spelling */
	assert_int_equal(parse(&c, "pi=on", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "did you mean 'x-pi'?"));
	/* the formatted configuration carries it both ways */
	char buf[1024];
	assert_int_equal(parse(&c, "x-pi=on", &e), 0);
	vtd_config_format(&c, buf, sizeof(buf));
	assert_non_null(strstr(buf, ",x-pi=on"));
	vtd_config_format_opts(&c, VTD_FORMAT_CHANGED, buf, sizeof(buf));
	assert_string_equal(buf, "x-pi=on");
}

static void test_format_roundtrip(void **state)
{
	(void)state;
	struct vtd_config a, b;
	struct vtd_error e;
	assert_int_equal(parse(&a, "x-scalable-mode=on,x-flts=on,caching-mode=on,fs1gp=off,"
				   "kernel-irqchip=off,version=3", &e), 0);
	char buf[1024];
	int n = vtd_config_format(&a, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_int_equal(parse(&b, buf, &e), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	/* truncated output is terminated and the needed length returned */
	char small[10];
	int m = vtd_config_format(&a, small, sizeof(small));
	assert_int_equal(m, n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_props_table(void **state)
{
	(void)state;
	const struct vtd_config_prop *p;
	size_t n = vtd_config_props(&p);
	assert_true(n >= 17);
	/* every property parses with its own default value */
	for (size_t i = 0; i < n; i++) {
		char buf[128];
		struct vtd_config c;
		struct vtd_error e;
		snprintf(buf, sizeof(buf), "%s=%s", p[i].name, p[i].defval);
		assert_int_equal(vtd_config_parse(&c, buf, &e), 0);
	}
}

static void test_error_overflow(void **state)
{
	(void)state;
	/* many problems: the message stays bounded and says how many were cut */
	char text[8192] = "";
	for (int i = 0; i < 200; i++) {
		char item[40];
		snprintf(item, sizeof(item), "%sbogus%d=1", i ? "," : "", i);
		strcat(text, item);
	}
	struct vtd_config c;
	struct vtd_error e;
	assert_int_equal(vtd_config_parse(&c, text, &e), -EINVAL);
	assert_int_equal(e.count, 200);
	assert_true(strlen(e.msg) < sizeof(e.msg));
	assert_non_null(strstr(e.msg, "more problems not shown)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bool_spellings),
		cmocka_unit_test(test_onoffauto),
		cmocka_unit_test(test_unknown_key_suggests),
		cmocka_unit_test(test_every_problem_reported),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_qemu_rules),
		cmocka_unit_test(test_x_pi),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_props_table),
		cmocka_unit_test(test_error_overflow),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
