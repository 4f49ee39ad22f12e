/* SPDX-License-Identifier: MIT */
/* vtd demo: what `make run` shows. */
#include "vtd-tool.h"

#include <string.h>

static int show(const char *props)
{
	struct vtd_config cfg;
	struct vtd_error err;
	if (vtd_config_parse(&cfg, props, &err)) {
		fprintf(stderr, "vtd demo: %s\n", err.msg);
		return EXIT_USAGE;
	}
	printf("== vtd caps --config '%s'\n", props);
	print_caps_text(stdout, vtd_caps_version(&cfg), true, vtd_caps_cap(&cfg), true,
			vtd_caps_ecap(&cfg), true);
	printf("\n");
	return EXIT_OK;
}

static int run_demo(int argc, char **argv)
{
	if (argc > 1)
		return usage_error("demo", "unexpected argument '%s'", argv[1]);
	int r = show("");
	if (!r)
		r = show("x-scalable-mode=on,x-flts=on");
	return r;
}

const struct subcommand cmd_demo = {
	.name = "demo",
	.summary = "the demonstration `make run` shows",
	.usage = "Usage: vtd demo\n\n"
		 "Show the guest-visible capabilities of QEMU's default intel-iommu and of\n"
		 "x-scalable-mode=on,x-flts=on.\n",
	.run = run_demo,
};
