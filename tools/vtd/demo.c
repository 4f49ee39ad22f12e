/* SPDX-License-Identifier: MIT */
/* vtd demo: what `make run` shows. */
#include "vtd-tool.h"

#include <string.h>

#define DEMO_CONFIG "x-scalable-mode=on,x-flts=on,caching-mode=on"

static int run_demo(int argc, char **argv)
{
	if (argc > 1)
		return usage_error("demo", "unexpected argument '%s'", argv[1]);
	struct vtd_config cfg;
	if (parse_config_arg("demo", DEMO_CONFIG, &cfg))
		return EXIT_USAGE;
	printf("== guest vIOMMU: %s\n", DEMO_CONFIG);
	printf("CAP 0x%016llx  ECAP 0x%016llx\n\n", (unsigned long long)vtd_caps_cap(&cfg),
	       (unsigned long long)vtd_caps_ecap(&cfg));
	struct hostlist l = { 0 };
	if (hosts_from_profiles("demo", "all", &l))
		return EXIT_USAGE;
	printf("== checked against every embedded host profile (vtd check --profile all)\n");
	report_check(stdout, &cfg, &l, false);
	hosts_free(&l);

	printf("\n== checked against this machine (vtd check --probe)\n");
	struct hostlist m = { 0 };
	if (hosts_from_machine("demo", "", &m, true) == 0 && m.n)
		report_check(stdout, &cfg, &m, false);
	else
		printf("this machine has no VT-d unit to check ('vtd host probe' says why)\n");
	hosts_free(&m);
	/* The demonstration itself succeeded, whatever the verdicts. */
	return EXIT_OK;
}

const struct subcommand cmd_demo = {
	.name = "demo",
	.summary = "the demonstration `make run` shows",
	.usage = "Usage: vtd demo\n\n"
		 "Check the vIOMMU " DEMO_CONFIG " against every\n"
		 "embedded host profile and against this machine, as tables.\n",
	.run = run_demo,
};
