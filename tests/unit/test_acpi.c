/* SPDX-License-Identifier: MIT */
/*
 * The ACPI DMAR table (src/acpi.c, include/vtd/acpi.h): byte-exact against
 * tables `vtd acpi` wrote before the generator moved into the library, the
 * checksum, the DRHD with INCLUDE_PCI_ALL or with device scopes, the I/O
 * APIC scope, ATSR and INTR_REMAP following the configuration, the size
 * query, and the arguments refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <vtd/vtd.h>

static struct vtd_config cfg(const char *props)
{
	struct vtd_config c;
	struct vtd_error e;
	if (vtd_config_parse(&c, props, &e))
		fail_msg("config '%s': %s", props, e.msg);
	return c;
}

static unsigned u16(const uint8_t *b, size_t at) { return b[at] | b[at + 1] << 8; }

static uint32_t u32(const uint8_t *b, size_t at)
{
	return u16(b, at) | (uint32_t)u16(b, at + 2) << 16;
}

static uint64_t u64(const uint8_t *b, size_t at)
{
	return u32(b, at) | (uint64_t)u32(b, at + 4) << 32;
}

static uint8_t sum(const uint8_t *b, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + b[i]);
	return s;
}

/* The table for c and o into buf; its length, which must fit. */
static size_t dmar(const struct vtd_config *c, const struct vtd_dmar_opts *o, uint8_t *buf,
		   size_t len)
{
	long n = vtd_acpi_dmar(c, o, buf, len);
	assert_true(n > 0);
	assert_true((size_t)n <= len);
	assert_int_equal(u32(buf, 4), n);               /* length field */
	assert_int_equal(sum(buf, (size_t)n), 0);       /* checksum */
	return (size_t)n;
}

/* The remapping structures after the 48-byte header, by type. */
static unsigned types(const uint8_t *b, size_t n, unsigned *out, unsigned max)
{
	unsigned k = 0;
	for (size_t at = 48; at < n; at += u16(b, at + 2)) {
		assert_true(u16(b, at + 2) >= 8 && at + u16(b, at + 2) <= n);
		assert_true(k < max);
		out[k++] = u16(b, at);
	}
	return k;
}

/* QEMU's defaults: what `vtd acpi` printed (and the CLI tests check). */
static const uint8_t default_table[] = {
	0x44, 0x4d, 0x41, 0x52, 0x48, 0x00, 0x00, 0x00, 0x01, 0xfe, 0x42, 0x4f, 0x43, 0x48,
	0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00,
	0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xd9, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x00, 0xff,
	0x00, 0x00,
};

static void test_default_table(void **st)
{
	(void)st;
	uint8_t b[256];
	memset(b, 0xee, sizeof(b));
	size_t n = dmar(NULL, NULL, b, sizeof(b));
	assert_int_equal(n, sizeof(default_table));
	assert_memory_equal(b, default_table, n);
	assert_int_equal(b[n], 0xee);                    /* nothing beyond it */
	/* field by field, as the spec names them */
	assert_memory_equal(b, "DMAR", 4);
	assert_int_equal(b[8], 1);                      /* revision */
	assert_memory_equal(b + 10, "BOCHS ", 6);
	assert_memory_equal(b + 16, "BXPC    ", 8);
	assert_int_equal(b[36], 48 - 1);                /* host address width */
	assert_int_equal(b[37], 1);                     /* INTR_REMAP */
	assert_int_equal(u16(b, 48), 0);                /* DRHD */
	assert_int_equal(u16(b, 50), 24);
	assert_int_equal(b[52], 1);                     /* INCLUDE_PCI_ALL */
	assert_int_equal(u16(b, 54), 0);
	assert_int_equal(u64(b, 56), VTD_Q35_IOMMU_BASE);
	/* I/O APIC scope: type 3, length 8, id 0, bus ff, path 00.0 */
	static const uint8_t ioapic[] = { 3, 8, 0, 0, VTD_Q35_IOAPIC_ID, 0xff, 0, 0 };
	assert_memory_equal(b + 64, ioapic, 8);
	assert_int_equal(VTD_Q35_IOAPIC_SID >> 8, b[69]);
	/* the same with empty options and an explicit default configuration */
	struct vtd_config c;
	vtd_config_init(&c);
	struct vtd_dmar_opts o = { .sz = sizeof(o) };
	uint8_t b2[256];
	assert_int_equal(dmar(&c, &o, b2, sizeof(b2)), n);
	assert_memory_equal(b2, default_table, n);
}

/* Everything at once: what `vtd acpi --config aw-bits=39,intremap=off,
 * device-iotlb=on --base 0xfed91000 --segment 2 --rmrr 0x80000-0xfffff@00:1f.2
 * --rmrr 0x100000-0x1fffff --satc 00:03.0 --satc 01:02.3` printed. */
static const uint8_t full_table[] = {
	0x44, 0x4d, 0x41, 0x52, 0xa0, 0x00, 0x00, 0x00, 0x01, 0xad, 0x42, 0x4f, 0x43, 0x48,
	0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00,
	0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00, 0x26, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x01, 0x00, 0x02, 0x00,
	0x00, 0x10, 0xd9, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x00, 0xff,
	0x00, 0x00, 0x01, 0x00, 0x20, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08,
	0x00, 0x00, 0x00, 0x00, 0x1f, 0x02, 0x01, 0x00, 0x18, 0x00, 0x00, 0x00, 0x02, 0x00,
	0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x1f, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x02, 0x00, 0x08, 0x00, 0x01, 0x00, 0x02, 0x00, 0x05, 0x00, 0x18, 0x00,
	0x00, 0x00, 0x02, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x08,
	0x00, 0x00, 0x00, 0x01, 0x02, 0x03,
};

static void test_full_table(void **st)
{
	(void)st;
	struct vtd_config c = cfg("aw-bits=39,intremap=off,device-iotlb=on");
	static const struct vtd_dmar_rmrr rmrr[] = {
		{ .base = 0x80000, .limit = 0xfffff, .has_dev = true, .bdf = 0x00fa },
		{ .base = 0x100000, .limit = 0x1fffff },
	};
	static const uint16_t satc[] = { 0x0018, 0x0113 };
	struct vtd_dmar_opts o = {
		.sz = sizeof(o), .base = 0xfed91000, .segment = 2,
		.rmrr = rmrr, .nrmrr = 2, .satc = satc, .nsatc = 2,
	};
	uint8_t b[512];
	size_t n = dmar(&c, &o, b, sizeof(b));
	assert_int_equal(n, sizeof(full_table));
	assert_memory_equal(b, full_table, n);
	unsigned t[8];
	assert_int_equal(types(b, n, t, 8), 5);
	static const unsigned want[] = { 0, 1, 1, 2, 5 };  /* DRHD RMRR RMRR ATSR SATC */
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(t[i], want[i]);
}

/* ATSR iff device-iotlb=on; INTR_REMAP iff interrupt remapping. */
static void test_atsr_and_flags_follow_config(void **st)
{
	(void)st;
	static const struct {
		const char *props;
		bool atsr, ir;
		unsigned haw;
	} cases[] = {
		{ "", false, true, 47 },
		{ "device-iotlb=on", true, true, 47 },
		{ "intremap=off", false, false, 47 },
		{ "intremap=off,device-iotlb=on,aw-bits=39", true, false, 38 },
		{ "x-scalable-mode=on,x-flts=on,device-iotlb=on", true, true, 47 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vtd_config c = cfg(cases[i].props);
		uint8_t b[256];
		size_t n = dmar(&c, NULL, b, sizeof(b));
		assert_int_equal(b[37], cases[i].ir ? 1 : 0);
		assert_int_equal(b[36], cases[i].haw);
		unsigned t[8];
		unsigned k = types(b, n, t, 8);
		assert_int_equal(k, cases[i].atsr ? 2 : 1);
		assert_int_equal(t[0], 0);
		if (cases[i].atsr) {
			assert_int_equal(t[1], 2);
			assert_int_equal(u16(b, 72 + 2), 8);
			assert_int_equal(b[72 + 4], 1);   /* ALL_PORTS */
		}
	}
}

/* With devices: no INCLUDE_PCI_ALL, the I/O APIC scope first, then an
 * endpoint scope per device in the order given (QEMU's form); the I/O APIC
 * id and requester id as asked. */
static void test_device_scopes(void **st)
{
	(void)st;
	static const uint16_t devs[] = { 0x0018, 0x0100, 0x02fb };
	struct vtd_dmar_opts o = {
		.sz = sizeof(o), .devices = devs, .ndevices = 3,
		.ioapic_id = 2, .ioapic_sid = 0x00f8, .ioapic_sid_set = true,
	};
	uint8_t b[256];
	size_t n = dmar(NULL, &o, b, sizeof(b));
	assert_int_equal(n, 72 + 3 * 8);
	assert_int_equal(u16(b, 48), 0);
	assert_int_equal(u16(b, 50), 24 + 3 * 8);
	assert_int_equal(b[52], 0);                      /* not INCLUDE_PCI_ALL */
	static const uint8_t scopes[] = {
		3, 8, 0, 0, 2, 0x00, 0x1f, 0,                /* I/O APIC id 2 at 00:1f.0 */
		1, 8, 0, 0, 0, 0x00, 0x03, 0,                /* 00:03.0 */
		1, 8, 0, 0, 0, 0x01, 0x00, 0,                /* 01:00.0 */
		1, 8, 0, 0, 0, 0x02, 0x1f, 3,                /* 02:1f.3 */
	};
	assert_memory_equal(b + 64, scopes, sizeof(scopes));
	/* sid 0 set explicitly is 00:00.0, not the default */
	struct vtd_dmar_opts z = { .sz = sizeof(z), .ioapic_sid_set = true };
	dmar(NULL, &z, b, sizeof(b));
	assert_int_equal(b[69], 0);
	assert_int_equal(b[52], 1);
}

/* len 0 asks for the length; a short buffer gets nothing past its end. */
static void test_size_query(void **st)
{
	(void)st;
	assert_int_equal(vtd_acpi_dmar(NULL, NULL, NULL, 0), sizeof(default_table));
	uint8_t b[80];
	memset(b, 0xee, sizeof(b));
	assert_int_equal(vtd_acpi_dmar(NULL, NULL, b, 10), sizeof(default_table));
	for (size_t i = 10; i < sizeof(b); i++)
		assert_int_equal(b[i], 0xee);
	assert_memory_equal(b, "DMAR", 4);
	/* the biggest table there can be fits its length fields */
	static uint16_t many[VTD_DMAR_MAX_ENTRIES];
	static struct vtd_dmar_rmrr rr[VTD_DMAR_MAX_ENTRIES];
	for (unsigned i = 0; i < VTD_DMAR_MAX_ENTRIES; i++) {
		many[i] = (uint16_t)i;
		rr[i] = (struct vtd_dmar_rmrr){ .base = i * 0x1000ull, .limit = i * 0x1000ull + 0xfff,
						.has_dev = true, .bdf = (uint16_t)i };
	}
	struct vtd_config c = cfg("device-iotlb=on");
	struct vtd_dmar_opts o = { .sz = sizeof(o), .devices = many, .ndevices = VTD_DMAR_MAX_ENTRIES,
				   .rmrr = rr, .nrmrr = VTD_DMAR_MAX_ENTRIES, .satc = many,
				   .nsatc = VTD_DMAR_MAX_ENTRIES };
	long n = vtd_acpi_dmar(&c, &o, NULL, 0);
	/* header, DRHD (16 + 257 scopes), RMRRs (24 + a scope), ATSR, SATC */
	assert_int_equal(n, 48 + (16 + 257 * 8) + 256 * 32 + 8 + (8 + 256 * 8));
	static uint8_t big[32768];
	assert_int_equal(dmar(&c, &o, big, sizeof(big)), n);
	assert_int_equal(u16(big, 50), 16 + 257 * 8);
}

static void test_invalid(void **st)
{
	(void)st;
	uint8_t b[256];
	struct vtd_dmar_opts o = { .sz = sizeof(o), .base = 0xfed90800 };
	assert_int_equal(vtd_acpi_dmar(NULL, &o, b, sizeof(b)), -EINVAL);   /* unaligned base */
	assert_int_equal(vtd_acpi_dmar(NULL, NULL, NULL, 16), -EINVAL);     /* no buffer */
	o = (struct vtd_dmar_opts){ .sz = 0 };
	assert_int_equal(vtd_acpi_dmar(NULL, &o, b, sizeof(b)), -EINVAL);   /* sz */
	static uint16_t many[VTD_DMAR_MAX_ENTRIES + 1];
	o = (struct vtd_dmar_opts){ .sz = sizeof(o), .devices = many,
				    .ndevices = VTD_DMAR_MAX_ENTRIES + 1 };
	assert_int_equal(vtd_acpi_dmar(NULL, &o, b, sizeof(b)), -EINVAL);
	o = (struct vtd_dmar_opts){ .sz = sizeof(o), .satc = many,
				    .nsatc = VTD_DMAR_MAX_ENTRIES + 1 };
	assert_int_equal(vtd_acpi_dmar(NULL, &o, b, sizeof(b)), -EINVAL);
	o = (struct vtd_dmar_opts){ .sz = sizeof(o), .nrmrr = 1 };        /* no array */
	assert_int_equal(vtd_acpi_dmar(NULL, &o, b, sizeof(b)), -EINVAL);
	o = (struct vtd_dmar_opts){ .sz = sizeof(o), .ndevices = 1 };
	assert_int_equal(vtd_acpi_dmar(NULL, &o, b, sizeof(b)), -EINVAL);
	static const struct vtd_dmar_rmrr bad[] = {
		{ .base = 0x800, .limit = 0xfff },      /* base unaligned */
		{ .base = 0x1000, .limit = 0x1ffe },    /* limit + 1 unaligned */
		{ .base = 0x2000, .limit = 0x1fff },    /* ends before it starts */
	};
	for (unsigned i = 0; i < 3; i++) {
		o = (struct vtd_dmar_opts){ .sz = sizeof(o), .rmrr = &bad[i], .nrmrr = 1 };
		assert_int_equal(vtd_acpi_dmar(NULL, &o, b, sizeof(b)), -EINVAL);
	}
	/* a configuration QEMU refuses */
	struct vtd_config c;
	vtd_config_init(&c);
	c.aw_bits = 40;
	assert_int_equal(vtd_acpi_dmar(&c, NULL, b, sizeof(b)), -EINVAL);
	/* a newer caller's options: unknown fields must be zero */
	struct {
		struct vtd_dmar_opts o;
		uint64_t more;
	} big = { .o = { .sz = sizeof(big) }, .more = 1 };
	assert_int_equal(vtd_acpi_dmar(NULL, &big.o, b, sizeof(b)), -E2BIG);
	big.more = 0;
	assert_int_equal(vtd_acpi_dmar(NULL, &big.o, b, sizeof(b)), sizeof(default_table));
	/* an older caller's (just sz): q35 defaults */
	struct vtd_dmar_opts old = { .sz = sizeof(size_t), .base = 0x123 };
	assert_int_equal(vtd_acpi_dmar(NULL, &old, b, sizeof(b)), sizeof(default_table));
	assert_int_equal(u64(b, 56), VTD_Q35_IOMMU_BASE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_table),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_atsr_and_flags_follow_config),
		cmocka_unit_test(test_device_scopes),
		cmocka_unit_test(test_size_query),
		cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
