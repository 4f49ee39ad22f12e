/* SPDX-License-Identifier: MIT */
/*
 * Save and restore (src/state.c):
 *   - a saved state loads back, and saves again to the same bytes;
 *   - a state whose flags byte has a bit vtd_iommu_save never writes
 *     (bit 7), with a valid CRC, is refused and leaves the instance as it
 *     was (found by fuzz_state: it was accepted, the bit silently dropped,
 *     so the state did not save back to the bytes that were loaded;
 *     fuzz/corpus/state/regress-flags-bit7);
 *   - truncated, corrupted and foreign states are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "csr.h"

static struct vtd_iommu *mk(const char *props)
{
	struct vtd_config cfg;
	assert_int_equal(vtd_config_parse(&cfg, props, NULL), 0);
	struct vtd_iommu *s = NULL;
	assert_int_equal(vtd_iommu_new(&cfg, NULL, &s, NULL), 0);
	return s;
}

static uint8_t *save(struct vtd_iommu *s, long *n)
{
	*n = vtd_iommu_save(s, NULL, 0);
	assert_true(*n > 16);
	uint8_t *b = malloc((size_t)*n);
	assert_non_null(b);
	assert_int_equal(vtd_iommu_save(s, b, (size_t)*n), *n);
	return b;
}

static void fix_crc(uint8_t *b, long n)
{
	uint32_t crc = vtd_crc32(b + 16, (size_t)n - 16);
	memcpy(b + 12, &crc, 4);
}

static void test_roundtrip(void **st)
{
	(void)st;
	struct vtd_iommu *a = mk("x-scalable-mode=on,caching-mode=on");
	/* some state worth carrying: root table, TE, fault event data */
	assert_int_equal(vtd_iommu_mmio_write(a, VTD_REG_RTADDR, 8, 0x10000 | 1ull << 10), 0);
	assert_int_equal(vtd_iommu_mmio_write(a, VTD_REG_GCMD, 4, VTD_GCMD_SRTP), 0);
	assert_int_equal(vtd_iommu_mmio_write(a, VTD_REG_GCMD, 4, VTD_GCMD_TE), 0);
	long n;
	uint8_t *b = save(a, &n);
	struct vtd_iommu *c = mk("x-scalable-mode=on,caching-mode=on");
	struct vtd_error err;
	assert_int_equal(vtd_iommu_load(c, b, (size_t)n, &err), 0);
	long m;
	uint8_t *b2 = save(c, &m);
	assert_int_equal(m, n);
	assert_memory_equal(b, b2, (size_t)n);
	free(b);
	free(b2);
	vtd_iommu_free(a);
	vtd_iommu_free(c);
}

static void test_unknown_flag_refused(void **st)
{
	(void)st;
	struct vtd_iommu *s = mk("x-scalable-mode=on,caching-mode=on");
	long n;
	uint8_t *before = save(s, &n);
	uint8_t *b = malloc((size_t)n);
	assert_non_null(b);
	memcpy(b, before, (size_t)n);
	b[n - 1] |= 0x80; /* the flags byte is the last one */
	fix_crc(b, n);
	struct vtd_error err;
	assert_int_equal(vtd_iommu_load(s, b, (size_t)n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "inconsistent"));
	long m;
	uint8_t *after = save(s, &m);
	assert_int_equal(m, n);
	assert_memory_equal(before, after, (size_t)n);
	/* every defined flag alone is accepted */
	for (unsigned bit = 0; bit < 7; bit++) {
		memcpy(b, before, (size_t)n);
		b[n - 1] = (uint8_t)(1u << bit);
		fix_crc(b, n);
		assert_int_equal(vtd_iommu_load(s, b, (size_t)n, &err), 0);
		uint8_t *again = save(s, &m);
		assert_memory_equal(b, again, (size_t)n);
		free(again);
	}
	free(after);
	free(before);
	free(b);
	vtd_iommu_free(s);
}

static void test_malformed_refused(void **st)
{
	(void)st;
	struct vtd_iommu *s = mk("");
	long n;
	uint8_t *b = save(s, &n);
	struct vtd_error err;
	assert_int_equal(vtd_iommu_load(s, b, (size_t)n - 1, &err), -EINVAL); /* truncated */
	b[20] ^= 1;
	assert_int_equal(vtd_iommu_load(s, b, (size_t)n, &err), -EINVAL); /* CRC */
	b[20] ^= 1;
	struct vtd_iommu *other = mk("x-scalable-mode=on");
	assert_int_equal(vtd_iommu_load(other, b, (size_t)n, &err), -EINVAL); /* config */
	b[4] = 2;
	assert_int_equal(vtd_iommu_load(s, b, (size_t)n, &err), -EPROTONOSUPPORT);
	free(b);
	vtd_iommu_free(s);
	vtd_iommu_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_unknown_flag_refused),
		cmocka_unit_test(test_malformed_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
