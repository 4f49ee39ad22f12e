/* SPDX-License-Identifier: MIT */
/*
 * State restore: any bytes are either refused (and the instance is left as
 * it was) or accepted, and an accepted state saves back to the same bytes
 * (its configuration string in the current spelling).
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
		/* Saved back, the state is the same but for the configuration
		 * string, which comes out in the current spelling (a state from
		 * before a property existed lacks its key; keys may be in another
		 * order or spelt "yes"). */
		long m = vtd_iommu_save(s, NULL, 0);
		uint8_t *again = m > 20 ? malloc((size_t)m) : NULL;
		if (!again || vtd_iommu_save(s, again, (size_t)m) != m)
			abort();
		uint32_t cl_in, cl_out;
		memcpy(&cl_in, buf + 16, 4);
		memcpy(&cl_out, again + 16, 4);
		size_t tail_in = n - 20 - cl_in, tail_out = (size_t)m - 20 - cl_out;
		if (tail_in != tail_out || memcmp(buf + 20 + cl_in, again + 20 + cl_out, tail_in))
			abort();
		free(again);
	}
	free(before);
	free(buf);
	return 0;
}
