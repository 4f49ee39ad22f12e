/* SPDX-License-Identifier: MIT */
/* vtd translate: translate one address against a guest memory image, and
 * say step by step how (for people debugging a real guest's tables). */
#include "vtd-tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void print_json(const struct vtd_translation *t)
{
	printf("{\"status\":\"%s\"", t->status == VTD_XLATE_FAULT ? "fault"
				   : t->status == VTD_XLATE_INTERRUPT ? "interrupt" : "ok");
	if (t->status == VTD_XLATE_FAULT) {
		printf(",\"fault\":\"0x%02x\",\"fault_name\":", t->fault);
		json_str(stdout, t->fault_name);
		printf(",\"fault_desc\":");
		json_str(stdout, vtd_fault_desc(t->fault));
	} else {
		printf(",\"addr\":\"0x%llx\",\"perm\":\"%s\",\"page_size\":\"0x%llx\",\"did\":%u",
		       (unsigned long long)t->addr, perm_name(t->perm),
		       (unsigned long long)t->page_size, t->did);
	}
	printf(",\"steps\":[");
	for (unsigned i = 0; t->trace && i < t->trace->n; i++) {
		const struct vtd_trace_step *st = &t->trace->step[i];
		printf("%s{\"what\":", i ? "," : "");
		json_str(stdout, st->what);
		printf(",\"addr\":\"0x%llx\",\"value\":[", (unsigned long long)st->addr);
		for (unsigned k = 0; k < st->nval; k++)
			printf("%s\"0x%llx\"", k ? "," : "", (unsigned long long)st->val[k]);
		printf("],\"note\":");
		json_str(stdout, st->note);
		putchar('}');
	}
	printf("]}\n");
}

static void print_explain(const struct vtd_translation *t)
{
	for (unsigned i = 0; t->trace && i < t->trace->n; i++) {
		const struct vtd_trace_step *st = &t->trace->step[i];
		if (st->nval) {
			printf("%-16s @0x%09llx:", st->what, (unsigned long long)st->addr);
			for (unsigned k = 0; k < st->nval; k++)
				printf(" %016llx", (unsigned long long)st->val[k]);
			printf("\n%16s   %s\n", "", st->note);
		} else {
			printf("%-16s %s\n", st->what, st->note);
		}
	}
}

static int run_translate(int argc, char **argv)
{
	enum { O_MEM = 256, O_RTADDR, O_SID, O_IOVA, O_PASID, O_WRITE, O_EXEC, O_PRIV, O_EXPLAIN };
	static const struct option opts[] = {
		{ "mem", required_argument, NULL, O_MEM },
		{ "rtaddr", required_argument, NULL, O_RTADDR },
		{ "config", required_argument, NULL, 'c' },
		{ "sid", required_argument, NULL, O_SID },
		{ "iova", required_argument, NULL, O_IOVA },
		{ "pasid", required_argument, NULL, O_PASID },
		{ "write", no_argument, NULL, O_WRITE },
		{ "exec", no_argument, NULL, O_EXEC },
		{ "priv", no_argument, NULL, O_PRIV },
		{ "explain", no_argument, NULL, O_EXPLAIN },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mem = NULL, *config = NULL;
	uint64_t rtaddr = 0, iova = 0;
	bool has_rt = false, has_sid = false, has_iova = false, explain = false, json = false;
	struct vtd_dma_request rq = { .perm = VTD_PERM_R };
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:j", opts, NULL)) != -1) {
		switch (opt) {
		case O_MEM: mem = optarg; break;
		case 'c': config = optarg; break;
		case O_RTADDR:
			if (parse_hex_arg("translate", "--rtaddr", optarg, &rtaddr))
				return EXIT_USAGE;
			has_rt = true;
			break;
		case O_SID:
			if (parse_bdf_arg(optarg, &rq.sid))
				return usage_error("translate", "--sid: '%s' is not BB:DD.F", optarg);
			has_sid = true;
			break;
		case O_IOVA:
			if (parse_hex_arg("translate", "--iova", optarg, &iova))
				return EXIT_USAGE;
			has_iova = true;
			break;
		case O_PASID: {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 0);
			if (!*optarg || *end || errno || v > 0xfffff || optarg[0] == '-')
				return usage_error("translate", "--pasid: '%s' is not a PASID (0 to "
						   "0xfffff)", optarg);
			rq.pasid = (uint32_t)v;
			rq.pasid_valid = true;
			break;
		}
		case O_WRITE: rq.perm = (rq.perm & VTD_PERM_X) | VTD_PERM_W; break;
		/* an execute request is a read asking for execute rights too */
		case O_EXEC: rq.perm = VTD_PERM_R | VTD_PERM_X; break;
		case O_PRIV: rq.priv = true; break;
		case O_EXPLAIN: explain = true; break;
		case 'j': json = true; break;
		default: return bad_option("translate", opt, optopt, argv, optind);
		}
	}
	if (optind < argc)
		return usage_error("translate", "unexpected argument '%s'", argv[optind]);
	if (!mem || !has_rt || !has_sid || !has_iova)
		return usage_error("translate", "--mem, --rtaddr, --sid and --iova are required");
	rq.addr = iova;
	struct vtd_config cfg;
	if (parse_config_arg("translate", config, &cfg))
		return EXIT_USAGE;

	struct memimage *img;
	if (memimage_open("translate", mem, &img))
		return EXIT_USAGE;
	/* a raw image is also flat RAM: the library's fast path */
	uint64_t ram_size = 0;
	void *ram = memimage_flat(img, &ram_size);
	struct vtd_iommu *iommu;
	struct vtd_iommu_opts o = { .sz = sizeof(o), .mem = &memimage_ops, .mem_opaque = img,
				    .ram = ram, .ram_size = ram_size };
	struct vtd_error err;
	if (vtd_iommu_new(&cfg, &o, &iommu, &err)) {
		fprintf(stderr, "vtd translate: %s\n", err.msg);
		memimage_close(img);
		return EXIT_USAGE;
	}
	/* Program the unit as the guest did: root pointer, then translation. */
	vtd_iommu_mmio_write(iommu, VTD_REG_RTADDR, 8, rtaddr);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 30);
	vtd_iommu_mmio_write(iommu, VTD_REG_GCMD, 4, 1u << 31);

	struct vtd_trace *trace = calloc(1, sizeof(*trace));
	struct vtd_translation t = { .trace = trace };
	vtd_iommu_translate(iommu, &rq, &t);
	int rc = t.status == VTD_XLATE_FAULT ? EXIT_NEGATIVE : EXIT_OK;
	if (json) {
		print_json(&t);
	} else {
		if (explain)
			print_explain(&t);
		if (t.status == VTD_XLATE_FAULT)
			printf("FAULT 0x%02x %s: %s\n", t.fault, t.fault_name, vtd_fault_desc(t.fault));
		else if (t.status == VTD_XLATE_INTERRUPT)
			printf("INTERRUPT 0x%llx (a write to the interrupt range is an MSI)\n",
			       (unsigned long long)t.addr);
		else
			printf("OK 0x%llx %s 0x%llx\n", (unsigned long long)t.addr, perm_name(t.perm),
			       (unsigned long long)t.page_size);
	}
	free(trace);
	vtd_iommu_free(iommu);
	memimage_close(img);
	return rc;
}

const struct subcommand cmd_translate = {
	.name = "translate",
	.summary = "translate an address against a guest memory image, step by step",
	.usage =
		"Usage: vtd translate --mem IMAGE --rtaddr HEX --sid BB:DD.F --iova HEX\n"
		"                     [--config PROPS] [--pasid N] [--write] [--priv]\n"
		"                     [--explain] [--json]\n\n"
		"Translate as the vIOMMU would, reading the tables from a guest memory image:\n"
		"raw (file offset = guest physical address, e.g. from QEMU's pmemsave) or an\n"
		"ELF core from dump-guest-memory / virsh dump --memory-only (recognised by\n"
		"its magic; memory no segment covers cannot be read).  The image is mapped\n"
		"privately and never modified.\n\n"
		"  --rtaddr HEX   RTADDR as the guest programmed it (bit 10 set: scalable mode)\n"
		"  --config PROPS the vIOMMU's properties (x-scalable-mode=on for scalable tables)\n"
		"  --explain      every table entry read, where, its value and what it meant\n\n"
		"Exit status: 0 translated, 1 fault, 2 usage error.\n",
	.run = run_translate,
};
