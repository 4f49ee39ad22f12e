/* SPDX-License-Identifier: MIT */
/* vtd decode: decode CAP/ECAP values read from a real host. */
#include "vtd-tool.h"

#include <getopt.h>

static int run_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cap", required_argument, NULL, 'c' },
		{ "ecap", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t cap = 0, ecap = 0;
	bool has_cap = false, has_ecap = false, json = false;
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:e:j", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (parse_hex_arg("decode", "--cap", optarg, &cap))
				return EXIT_USAGE;
			has_cap = true;
			break;
		case 'e':
			if (parse_hex_arg("decode", "--ecap", optarg, &ecap))
				return EXIT_USAGE;
			has_ecap = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			return bad_option("decode", opt, optopt, argv, optind);
		}
	}
	if (optind < argc)
		return usage_error("decode", "unexpected argument '%s'", argv[optind]);
	if (!has_cap && !has_ecap)
		return usage_error("decode", "give --cap HEX and/or --ecap HEX");
	if (json) {
		putchar('{');
		print_caps_json(stdout, 0, false, cap, has_cap, ecap, has_ecap);
		printf("}\n");
		return EXIT_OK;
	}
	print_caps_text(stdout, 0, false, cap, has_cap, ecap, has_ecap);
	return EXIT_OK;
}

const struct subcommand cmd_decode = {
	.name = "decode",
	.summary = "decode CAP/ECAP values, e.g. from /sys/class/iommu/dmar0/intel-iommu/",
	.usage = "Usage: vtd decode [--cap HEX] [--ecap HEX] [--json]\n\n"
		 "Decode VT-d capability registers field by field, flagging reserved bits.\n"
		 "Values are hexadecimal, with or without 0x (as sysfs prints them).\n\n"
		 "  -c, --cap HEX    CAP_REG value\n"
		 "  -e, --ecap HEX   ECAP_REG value\n"
		 "  -j, --json       JSON output\n\n"
		 "Exit status: 0 ok, 2 usage error.\n",
	.run = run_decode,
};
