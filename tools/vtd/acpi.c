/* SPDX-License-Identifier: MIT */
/*
 * vtd acpi: the ACPI DMAR table a firmware would give the guest for this
 * vIOMMU, as the library lays it out (vtd_acpi_dmar(), <vtd/acpi.h>) after
 * QEMU's q35 machine (VT-d spec chapter 8, "DMA Remapping Reporting"):
 *
 *   header ("DMAR", revision 1, OEM "BOCHS "/"BXPC    ", creator "BXPC" 1)
 *   host address width = aw-bits - 1; flags INTR_REMAP when interrupt
 *   remapping is on (QEMU never sets X2APIC_OPT_OUT)
 *   DRHD: INCLUDE_PCI_ALL, segment, register base, and a device scope for
 *   the I/O APIC (enumeration id 0, the pseudo requester ff:00.0 QEMU
 *   gives its interrupts; QEMU reports no HPET scope)
 *   RMRR for each --rmrr, ATSR (all ports) when device-iotlb is on, and one
 *   SATC listing every --satc device.
 */
#include "vtd-tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define DMAR_MAX 4096          /* far more than the structures below need */
#define MAX_RMRR 16
#define MAX_SATC 64

struct buf {
	uint8_t b[DMAR_MAX];
	size_t n;
};

/* "BASE-LIMIT[@BDF]", hex, LIMIT inclusive; 0 or EXIT_USAGE */
static int parse_rmrr(const char *s, struct vtd_dmar_rmrr *r)
{
	char tmp[128];
	if (strlen(s) >= sizeof(tmp))
		return usage_error("acpi", "--rmrr: '%s' is not BASE-LIMIT[@BB:DD.F]", s);
	strcpy(tmp, s);
	char *at = strchr(tmp, '@');
	if (at) {
		*at++ = '\0';
		if (parse_bdf_arg(at, &r->bdf))
			return usage_error("acpi", "--rmrr: '%s' is not BB:DD.F", at);
		r->has_dev = true;
	}
	char *dash = strchr(tmp, '-');
	if (!dash)
		return usage_error("acpi", "--rmrr: '%s' is not BASE-LIMIT[@BB:DD.F]", s);
	*dash++ = '\0';
	if (parse_hex_arg("acpi", "--rmrr base", tmp, &r->base) ||
	    parse_hex_arg("acpi", "--rmrr limit", dash, &r->limit))
		return EXIT_USAGE;
	/* the spec: base 4 KiB aligned, limit + 1 4 KiB aligned */
	if ((r->base & 0xfff) || (r->limit & 0xfff) != 0xfff || r->limit < r->base)
		return usage_error("acpi", "--rmrr: 0x%llx-0x%llx is not a 4 KiB-aligned range "
				   "(BASE aligned, LIMIT inclusive ending in fff)",
				   (unsigned long long)r->base, (unsigned long long)r->limit);
	return 0;
}

static int run_acpi(int argc, char **argv)
{
	enum { O_RMRR = 256, O_SATC, O_SEGMENT };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "base", required_argument, NULL, 'b' },
		{ "segment", required_argument, NULL, O_SEGMENT },
		{ "rmrr", required_argument, NULL, O_RMRR },
		{ "satc", required_argument, NULL, O_SATC },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *output = NULL;
	uint64_t base = VTD_Q35_IOMMU_BASE;
	unsigned segment = 0;
	struct vtd_dmar_rmrr rmrr[MAX_RMRR];
	uint16_t satc[MAX_SATC];
	unsigned nrmrr = 0, nsatc = 0;
	bool json = false;
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:b:o:j", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'j': json = true; break;
		case 'o': output = optarg; break;
		case 'b':
			if (parse_hex_arg("acpi", "--base", optarg, &base))
				return EXIT_USAGE;
			if (base & 0xfff)
				return usage_error("acpi", "--base: 0x%llx is not 4 KiB aligned",
						   (unsigned long long)base);
			/* (0 is the library's "q35 default": never a window) */
			if (!base)
				return usage_error("acpi", "--base: 0 is not a register window");
			break;
		case O_SEGMENT: {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 0);
			if (!*optarg || *end || errno || v > 0xffff || optarg[0] == '-')
				return usage_error("acpi", "--segment: '%s' is not a PCI segment (0 to "
						   "65535)", optarg);
			segment = (unsigned)v;
			break;
		}
		case O_RMRR:
			if (nrmrr == MAX_RMRR)
				return usage_error("acpi", "at most %d --rmrr", MAX_RMRR);
			memset(&rmrr[nrmrr], 0, sizeof(rmrr[0]));
			if (parse_rmrr(optarg, &rmrr[nrmrr]))
				return EXIT_USAGE;
			nrmrr++;
			break;
		case O_SATC:
			if (nsatc == MAX_SATC)
				return usage_error("acpi", "at most %d --satc", MAX_SATC);
			if (parse_bdf_arg(optarg, &satc[nsatc]))
				return usage_error("acpi", "--satc: '%s' is not BB:DD.F", optarg);
			nsatc++;
			break;
		default: return bad_option("acpi", opt, optopt, argv, optind);
		}
	}
	if (optind < argc)
		return usage_error("acpi", "unexpected argument '%s'", argv[optind]);
	struct vtd_config cfg;
	if (parse_config_arg("acpi", config, &cfg))
		return EXIT_USAGE;
	/* the library lays the table out (vtd_acpi_dmar(3)); the options
	 * were checked above, so only a bug makes it fail */
	struct vtd_dmar_opts dopts = {
		.sz = sizeof(dopts), .base = base, .segment = (uint16_t)segment,
		.rmrr = rmrr, .nrmrr = nrmrr, .satc = satc, .nsatc = nsatc,
	};
	static struct buf b;
	long n = vtd_acpi_dmar(&cfg, &dopts, b.b, sizeof(b.b));
	if (n < 0 || (size_t)n > sizeof(b.b)) {
		fprintf(stderr, "vtd acpi: cannot build the table: %s\n",
			n < 0 ? strerror((int)-n) : "too large");
		return EXIT_USAGE;
	}
	b.n = (size_t)n;

	if (output && json)
		return usage_error("acpi", "-o and --json do not go together");
	if (json) {
		printf("{\"signature\":\"DMAR\",\"length\":%zu,\"checksum\":\"0x%02x\","
		       "\"host_address_width\":%u,\"flags\":%u,\"table\":\"", b.n, b.b[9], b.b[36],
		       b.b[37]);
		for (size_t i = 0; i < b.n; i++)
			printf("%02x", b.b[i]);
		printf("\"}\n");
		return EXIT_OK;
	}
	if (output) {
		FILE *f = fopen(output, "wb");
		if (!f) {
			fprintf(stderr, "vtd acpi: cannot create '%s': %s\n", output, strerror(errno));
			return EXIT_USAGE;
		}
		bool ok = fwrite(b.b, 1, b.n, f) == b.n;
		ok = !fclose(f) && ok;
		if (!ok) {
			fprintf(stderr, "vtd acpi: cannot write '%s': %s\n", output, strerror(errno));
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	/* hex, 16 bytes a line: `xxd -r -p` turns it back into the table */
	for (size_t i = 0; i < b.n; i++)
		printf("%02x%s", b.b[i], (i % 16 == 15 || i == b.n - 1) ? "\n" : " ");
	return EXIT_OK;
}

const struct subcommand cmd_acpi = {
	.name = "acpi",
	.summary = "write the ACPI DMAR table for a configuration",
	.usage =
		"Usage: vtd acpi [--config PROPS] [--base HEX] [--segment N]\n"
		"                [--rmrr BASE-LIMIT[@BB:DD.F]]... [--satc BB:DD.F]... [-o FILE]\n"
		"                [--json]\n\n"
		"The ACPI DMAR table firmware gives the guest for this vIOMMU, laid out as\n"
		"QEMU's q35 machine builds it: host address width aw-bits - 1, INTR_REMAP\n"
		"when interrupt remapping is on, one DRHD (INCLUDE_PCI_ALL, the register\n"
		"window at --base, default 0xfed90000) with the I/O APIC's device scope\n"
		"(id 0, ff:00.0), an ATSR for all root ports with device-iotlb=on, an RMRR\n"
		"per --rmrr (LIMIT inclusive) and one SATC listing every --satc device.\n"
		"Written binary to FILE with -o, else as hex to stdout (xxd -r -p reads it);\n"
		"--json: length, checksum, host address width, flags and the table in hex.\n"
		"Check it with: iasl -d FILE\n",
	.run = run_acpi,
};
