/* SPDX-License-Identifier: MIT */
/*
 * vtd acpi: the ACPI DMAR table a firmware would give the guest for this
 * vIOMMU, laid out as QEMU's q35 machine builds it (VT-d spec chapter 8,
 * "DMA Remapping Reporting"):
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

/* DMAR structure types and flags */
#define DRHD_TYPE 0
#define RMRR_TYPE 1
#define ATSR_TYPE 2
#define SATC_TYPE 5
#define DMAR_INTR_REMAP 0x1
#define DRHD_INCLUDE_PCI_ALL 0x1
#define ATSR_ALL_PORTS 0x1
/* device scope types */
#define SCOPE_ENDPOINT 1
#define SCOPE_IOAPIC 3

/* QEMU's q35 facts */
#define IOAPIC_ENUM_ID 0x00
#define IOAPIC_BUS 0xff
#define IOAPIC_DEVFN 0x00

struct buf {
	uint8_t b[DMAR_MAX];
	size_t n;
};

static void put(struct buf *b, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		b->b[b->n++] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

static void put_str(struct buf *b, const char *s, unsigned bytes)
{
	size_t l = strlen(s);
	for (unsigned i = 0; i < bytes; i++)
		b->b[b->n++] = (uint8_t)(i < l ? s[i] : ' ');
}

static void set16(struct buf *b, size_t at, unsigned v)
{
	b->b[at] = (uint8_t)v;
	b->b[at + 1] = (uint8_t)(v >> 8);
}

/* A one-level device scope: type, length 8, enumeration id, bus, dev, fn. */
static void put_scope(struct buf *b, unsigned type, unsigned enum_id, uint16_t bdf)
{
	put(b, type, 1);
	put(b, 8, 1);
	put(b, 0, 2);
	put(b, enum_id, 1);
	put(b, bdf >> 8, 1);
	put(b, (bdf >> 3) & 0x1f, 1);
	put(b, bdf & 7, 1);
}

struct rmrr {
	uint64_t base, limit;
	bool has_dev;
	uint16_t bdf;
};

/* "BASE-LIMIT[@BDF]", hex, LIMIT inclusive; 0 or EXIT_USAGE */
static int parse_rmrr(const char *s, struct rmrr *r)
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
	uint64_t base = 0xfed90000ull;
	unsigned segment = 0;
	struct rmrr rmrr[MAX_RMRR];
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
	uint64_t ecap = vtd_caps_ecap(&cfg);

	static struct buf b;
	b.n = 0;
	/* ACPI table header, as QEMU fills it */
	put_str(&b, "DMAR", 4);
	put(&b, 0, 4);                   /* length, below */
	put(&b, 1, 1);                   /* revision */
	put(&b, 0, 1);                   /* checksum, below */
	put_str(&b, "BOCHS", 6);
	put_str(&b, "BXPC", 8);
	put(&b, 1, 4);                   /* OEM revision */
	put_str(&b, "BXPC", 4);          /* creator id */
	put(&b, 1, 4);                   /* creator revision */
	put(&b, cfg.aw_bits - 1u, 1);    /* host address width - 1 */
	put(&b, vtd_ecap_ir(ecap) ? DMAR_INTR_REMAP : 0, 1);
	put(&b, 0, 10);

	size_t at = b.n;                 /* DRHD */
	put(&b, DRHD_TYPE, 2);
	put(&b, 0, 2);
	put(&b, DRHD_INCLUDE_PCI_ALL, 1);
	put(&b, 0, 1);
	put(&b, segment, 2);
	put(&b, base, 8);
	put_scope(&b, SCOPE_IOAPIC, IOAPIC_ENUM_ID, IOAPIC_BUS << 8 | IOAPIC_DEVFN);
	set16(&b, at + 2, (unsigned)(b.n - at));

	for (unsigned i = 0; i < nrmrr; i++) {
		at = b.n;
		put(&b, RMRR_TYPE, 2);
		put(&b, 0, 2);
		put(&b, 0, 2);
		put(&b, segment, 2);
		put(&b, rmrr[i].base, 8);
		put(&b, rmrr[i].limit, 8);
		if (rmrr[i].has_dev)
			put_scope(&b, SCOPE_ENDPOINT, 0, rmrr[i].bdf);
		set16(&b, at + 2, (unsigned)(b.n - at));
	}
	if (vtd_ecap_dt(ecap)) {         /* device-iotlb=on: ATS on every root port */
		put(&b, ATSR_TYPE, 2);
		put(&b, 8, 2);
		put(&b, ATSR_ALL_PORTS, 1);
		put(&b, 0, 1);
		put(&b, segment, 2);
	}
	if (nsatc) {
		at = b.n;
		put(&b, SATC_TYPE, 2);
		put(&b, 0, 2);
		put(&b, 0, 1);               /* flags: ATC not required */
		put(&b, 0, 1);
		put(&b, segment, 2);
		for (unsigned i = 0; i < nsatc; i++)
			put_scope(&b, SCOPE_ENDPOINT, 0, satc[i]);
		set16(&b, at + 2, (unsigned)(b.n - at));
	}
	for (unsigned i = 0; i < 4; i++)
		b.b[4 + i] = (uint8_t)(b.n >> (8 * i));
	uint8_t sum = 0;
	for (size_t i = 0; i < b.n; i++)
		sum = (uint8_t)(sum + b.b[i]);
	b.b[9] = (uint8_t)(0x100 - sum);

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
