/* SPDX-License-Identifier: MIT */
/* vtd baseline: the most capable vIOMMU every host of a pool accepts. */
#include "vtd-tool.h"

#include <getopt.h>
#include <string.h>

#define BASELINE_START "x-scalable-mode=on,x-flts=on,fs1gp=on,x-pasid-mode=on,caching-mode=on,aw-bits=48"

static int run_baseline(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *config = BASELINE_START;
	bool json = false;
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":p:c:j", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': profile = optarg; break;
		case 'c': config = optarg; break;
		case 'j': json = true; break;
		default: return bad_option("baseline", opt, optopt, argv, optind);
		}
	}
	if (optind < argc)
		return usage_error("baseline", "unexpected argument '%s'", argv[optind]);
	if (!profile)
		return usage_error("baseline", "give the pool: --profile A,B,... or --profile all");
	struct vtd_config start, out;
	if (parse_config_arg("baseline", config, &start))
		return EXIT_USAGE;
	struct hostlist l = { 0 };
	int rc = hosts_from_profiles("baseline", profile, &l);
	if (rc) {
		hosts_free(&l);
		return rc;
	}
	struct vtd_error why;
	int r = vtd_compat_baseline(&start, l.dev, l.n, &out, &why);
	char norm[1024];
	vtd_config_format_opts(&out, VTD_FORMAT_CHANGED, norm, sizeof(norm));
	if (json) {
		printf("{\"start\":");
		json_str(stdout, config);
		printf(",\"hosts\":[");
		for (size_t i = 0; i < l.n; i++) {
			if (i)
				putchar(',');
			json_str(stdout, l.dev[i].name);
		}
		printf("],\"ok\":%s,\"config\":", r ? "false" : "true");
		json_str(stdout, norm);
		printf(",\"why\":[");
		const char *p = why.msg;
		bool first = true;
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char line[600];
			snprintf(line, sizeof(line), "%.*s", (int)n, p);
			if (!first)
				putchar(',');
			json_str(stdout, line);
			first = false;
			p += n + (nl ? 1 : 0);
		}
		printf("]}\n");
	} else {
		printf("pool: %zu host%s\n", l.n, l.n == 1 ? "" : "s");
		printf("start:    %s\n", config);
		if (why.msg[0])
			printf("%s\n", why.msg);
		if (r)
			printf("no configuration is accepted by every host\n");
		else
			printf("baseline: %s\n", norm);
	}
	hosts_free(&l);
	return r ? EXIT_NEGATIVE : EXIT_OK;
}

const struct subcommand cmd_baseline = {
	.name = "baseline",
	.summary = "the most capable configuration every host of a pool accepts",
	.usage = "Usage: vtd baseline --profile A,B,...|all [--config START] [--json]\n\n"
		 "Start from a capable configuration (default " BASELINE_START ")\n"
		 "and switch features off only where some host refuses them; print the result\n"
		 "(what a migration pool can run) and why each feature was dropped.\n\n"
		 "Exit status: 0 a baseline exists, 1 some host accepts no configuration,\n"
		 "2 usage error.\n",
	.run = run_baseline,
};
