/* SPDX-License-Identifier: MIT */
/*
 * The whole guest-facing surface: a replay script (register writes, guest
 * memory contents, DMAs, translations, MSIs, host DMAs on the sim host)
 * against one of several configurations, chosen by the first byte.
 */
#include "../tools/vtd/vtd-tool.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const configs[] = {
		"",
		"caching-mode=on,device-iotlb=on",
		"x-scalable-mode=on,x-pasid-mode=on",
		"x-scalable-mode=on,x-flts=on,caching-mode=on",
		"x-scalable-mode=on,x-nest=on,snoop-control=on",
		"x-scalable-mode=on,x-flts=on,x-pasid-mode=on,device-iotlb=on,svm=on",
		"aw-bits=39,kernel-irqchip=off",
		"intremap=off,pt=off",
	};
	static int quiet;
	if (!quiet) {
		/* responses are not the point; keep the fuzzer's output readable */
		if (!freopen("/dev/null", "w", stdout))
			abort();
		replay_errout = fopen("/dev/null", "w");
		/* small caches: cheap to set up per input, and evictions happen */
		replay_cache_entries = 32;
		quiet = 1;
	}
	if (size < 1)
		return 0;
	unsigned pick = data[0] % (sizeof(configs) / sizeof(configs[0]));
	struct vtd_config cfg;
	if (vtd_config_parse(&cfg, configs[pick], NULL))
		abort(); /* the configurations above are valid */
	FILE *in = fmemopen((void *)(data + 1), size - 1, "r");
	if (!in)
		return 0;
	replay_stream(in, "fuzz", &cfg, 256u << 10, 0xfed90000ull, (data[0] & 0x80) != 0);
	fclose(in);
	return 0;
}
