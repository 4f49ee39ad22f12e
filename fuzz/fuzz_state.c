/* SPDX-License-Identifier: MIT */
/*
 * State restore: any bytes are either refused (and the instance is left as
 * it was) or accepted, and an accepted state saves back to the same bytes.
 * To get past the CRC, the input's CRC field is recomputed when the first
 * byte is odd, so the fuzzer also explores well-formed states.
 */
#include "../src/internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static struct vtd_iommu *s;
	if (!s) {
		struct vtd_config cfg;
		vtd_config_parse(&cfg, "x-scalable-mode=on,caching-mode=on", NULL);
		if (vtd_iommu_new(&cfg, NULL, &s, NULL))
			abort();
	}
	uint8_t *buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	size_t n = size - 1;
	if ((data[0] & 1) && n >= 16) {
		uint32_t len = (uint32_t)n, crc = vtd_crc32(buf + 16, n - 16);
		memcpy(buf + 8, &len, 4);
		memcpy(buf + 12, &crc, 4);
	}
	long before_len = vtd_iommu_save(s, NULL, 0);
	uint8_t *before = malloc((size_t)before_len);
	if (!before)
		abort();
	vtd_iommu_save(s, before, (size_t)before_len);
	struct vtd_error err;
	if (vtd_iommu_load(s, buf, n, &err)) {
		/* refused: unchanged */
		uint8_t *after = malloc((size_t)before_len);
		if (!after || vtd_iommu_save(s, after, (size_t)before_len) != before_len ||
		    memcmp(before, after, (size_t)before_len))
			abort();
		free(after);
	} else {
		uint8_t *again = malloc(n);
		if (!again || vtd_iommu_save(s, again, n) != (long)n || memcmp(again, buf, n))
			abort();
		free(again);
	}
	free(before);
	free(buf);
	return 0;
}
