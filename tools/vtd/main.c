/* SPDX-License-Identifier: MIT */
/* vtd: command-line front end to libvtd.  See vtd(1). */
#include "vtd-tool.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const struct subcommand *const commands[] = {
	&cmd_caps,
	&cmd_decode,
	&cmd_check,
	&cmd_host,
	&cmd_baseline,
	&cmd_replay,
	&cmd_translate,
	&cmd_tables,
	&cmd_acpi,
	&cmd_bench,
	&cmd_demo,
};

static const struct subcommand *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void print_main_help(FILE *f)
{
	fprintf(f, "Usage: vtd [--help] [--version] COMMAND [ARGS]\n\n"
		   "Model an Intel VT-d vIOMMU and check it against host IOMMUs.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "  %-10s %s\n", "help", "show help for a command");
	fprintf(f, "\nExit status: 0 ok, 1 negative result, 2 usage or environment error.\n"
		   "Configurations use QEMU's intel-iommu property syntax, e.g.\n"
		   "  x-scalable-mode=on,x-flts=on,caching-mode=on\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_main_help(stderr);
		return EXIT_USAGE;
	}
	replay_load_image = memimage_load;
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		print_main_help(stdout);
		return EXIT_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("vtd (libvtd) %s\n", vtd_version());
		return EXIT_OK;
	}
	if (!strcmp(name, "help")) {
		if (argc < 3) {
			print_main_help(stdout);
			return EXIT_OK;
		}
		const struct subcommand *c = find_cmd(argv[2]);
		if (!c)
			return usage_error(NULL, "no such command '%s'", argv[2]);
		fputs(c->usage, stdout);
		return EXIT_OK;
	}
	const struct subcommand *c = find_cmd(name);
	if (!c) {
		if (name[0] == '-')
			return usage_error(NULL, "unknown option '%s'", name);
		return usage_error(NULL, "no such command '%s'", name);
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->usage, stdout);
			return EXIT_OK;
		}
	/* Subcommands see argv[0] = their name, as getopt expects. */
	return c->run(argc - 1, argv + 1);
}
