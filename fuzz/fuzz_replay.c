/* SPDX-License-Identifier: MIT */
/*
 * The whole guest-facing surface: a replay script (register writes, guest
 * memory contents, DMAs, translations, MSIs, host DMAs on the sim host)
 * against one of several configurations, chosen by the first byte.
 */
#include "../tools/vtd/vtd-tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * Guest RAM: 16 MiB, enough for every seed (the replay tests address up to
 * 0x400000+; with less they stop at the first address outside RAM), mapped
 * once with a guard page after it and given back zeroed after each input
 * (MADV_DONTNEED), so an input costs only the pages it touches.  Allocating
 * it per input with malloc cost ~6x the whole run under ASan (poisoning
 * the shadow of 16 MiB on every free).
 */
#define RAM_SIZE (16u << 20)
static uint8_t *ram;
static char save_path[64];

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
		/* the libvtd extensions: execute requests, snoop control,
		 * second-stage A/D flags, posted interrupts, 5-level first stage */
		"x-scalable-mode=on,x-flts=on,x-pasid-mode=on,x-ers=on,x-smpwc=on,x-pi=on,x-fs5lp=on",
		"x-scalable-mode=on,x-nest=on,x-pasid-mode=on,x-smpwc=on,x-ssads=on,x-ers=on,x-pi=on,"
		"x-fs5lp=on",
	};
	static int quiet;
	if (!quiet) {
		/* responses are not the point; keep the fuzzer's output readable */
		if (!freopen("/dev/null", "w", stdout))
			abort();
		replay_errout = fopen("/dev/null", "w");
		/* small caches: cheap to set up per input, and evictions happen */
		replay_cache_entries = 32;
		/* save/load go to one private file, never where the input says */
		snprintf(save_path, sizeof(save_path), "/tmp/vtd-fuzz-replay-%d.sav", (int)getpid());
		replay_file_override = save_path;
		void *m = mmap(NULL, RAM_SIZE + 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED || mprotect((uint8_t *)m + RAM_SIZE, 4096, PROT_NONE))
			abort();
		ram = m;
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
	unlink(save_path); /* nothing carried over from an earlier input */
	replay_stream_ram(in, "fuzz", &cfg, ram, RAM_SIZE, 0xfed90000ull, (data[0] & 0x80) != 0);
	fclose(in);
	unlink(save_path);
	if (madvise(ram, RAM_SIZE, MADV_DONTNEED))
		abort();
	return 0;
}
