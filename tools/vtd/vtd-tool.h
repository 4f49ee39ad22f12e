/* SPDX-License-Identifier: MIT */
/* Shared declarations of the vtd command-line tool. */
#ifndef VTD_TOOL_H
#define VTD_TOOL_H

#include <vtd/vtd.h>

#include <stdio.h>

/* Exit statuses: 0 ok, 1 negative result (e.g. incompatible), 2 usage or
 * environment error. */
enum { EXIT_OK = 0, EXIT_NEGATIVE = 1, EXIT_USAGE = 2 };

struct subcommand {
	const char *name;
	const char *summary;
	const char *usage;          /* full help text */
	int (*run)(int argc, char **argv);
};

extern const struct subcommand cmd_caps, cmd_decode, cmd_check, cmd_host, cmd_baseline,
	cmd_replay, cmd_translate, cmd_bench, cmd_demo, cmd_tables, cmd_acpi;

/* Print "vtd NAME: message" to stderr and return EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse a 64-bit hex (with or without 0x) value given on the command line. */
int parse_hex_arg(const char *cmd, const char *opt, const char *s, uint64_t *out);
/* getopt_long wrapper behaviour shared by subcommands: a message naming the
 * bad option. Returns EXIT_USAGE. */
int bad_option(const char *cmd, int opt, int optopt, char **argv, int optind);

/* "BB:DD.F" (hex, as lspci) or a plain number; 0 or -EINVAL */
int parse_bdf_arg(const char *s, uint16_t *sid);
/* "4096", "64M", "2G"; 0 or -EINVAL */
int parse_size_arg(const char *s, uint64_t *out);

/* "rw", "r-", "-w" or "--" for VTD_PERM_R/W bits */
const char *perm_name(unsigned perm);

/* JSON output helpers (no dependency: the subset we need). */
void json_str(FILE *f, const char *s);

/* caps.c: print CAP/ECAP decoded, as text or JSON members. */
void print_caps_text(FILE *f, uint32_t ver, bool has_ver, uint64_t cap, bool has_cap,
		     uint64_t ecap, bool has_ecap);
void print_caps_json(FILE *f, uint32_t ver, bool has_ver, uint64_t cap, bool has_cap,
		     uint64_t ecap, bool has_ecap);

/* hostsrc.c: host devices from the sources the CLI offers */
struct hostlist {
	struct vtd_host_device *dev;
	size_t n, cap;
};
struct machine_facts {
	bool dev_iommu, vfio_cdev, vfio_dir, sysfs_iommu;
};
const char *backend_name(enum vtd_host_backend b);
const char *source_name(enum vtd_host_source s);
int hosts_add(struct hostlist *l, const struct vtd_host_device *d);
void hosts_free(struct hostlist *l);
/* Returns 0 or an exit status (message printed). */
int hosts_from_profiles(const char *cmd, const char *spec, struct hostlist *l);
/* 0, or -errno (message printed unless quiet). */
int hosts_from_machine(const char *cmd, const char *root, struct hostlist *l, bool quiet);
void machine_facts(const char *root, struct machine_facts *m);
/* Parse a configuration for a subcommand; prints every problem. 0 or EXIT_USAGE. */
int parse_config_arg(const char *cmd, const char *props, struct vtd_config *cfg);

/* replay.c: run a script; 0 or EXIT_USAGE (the error printed to
 * replay_errout, stderr when NULL) */
extern FILE *replay_errout;
extern uint32_t replay_cache_entries;   /* 0: the library's defaults */
int replay_stream(FILE *in, const char *name, const struct vtd_config *cfg, uint64_t mem,
		  uint64_t base, bool sim);
/* The same over guest RAM the caller owns (zeroed, mem bytes; not freed). */
int replay_stream_ram(FILE *in, const char *name, const struct vtd_config *cfg, uint8_t *ram,
		      uint64_t mem, uint64_t base, bool sim);
/* When set, `save FILE` and `load FILE` use this path whatever FILE says
 * (the fuzz target: no files written where the input says). */
extern const char *replay_file_override;
/* replay --mem: loads an image into new guest RAM (memimage_load).  Set by
 * main(): the fuzz targets link replay.c without memimage.c. */
extern int (*replay_load_image)(const char *cmd, const char *path, uint64_t size, uint8_t **ram,
				uint64_t *ram_size);

/* memimage.c: a guest memory image, raw (file offset = guest physical
 * address) or an ELF core (dump-guest-memory), recognised by its magic.
 * Mapped privately: writes (accessed/dirty updates) never reach the file. */
struct memimage;
/* 0, or EXIT_USAGE with the problem printed as "vtd CMD: ..." */
int memimage_open(const char *cmd, const char *path, struct memimage **out);
void memimage_close(struct memimage *m);
const char *memimage_format(const struct memimage *m);     /* "raw" or "elf" */
uint64_t memimage_extent(const struct memimage *m);        /* highest address + 1 */
/* The flat RAM from guest physical 0 of a raw image (the library's fast
 * path), else NULL. */
void *memimage_flat(const struct memimage *m, uint64_t *size);
/* 0, or -EFAULT when part of the range is not in the image */
int memimage_read(struct memimage *m, uint64_t gpa, void *buf, size_t len);
/* Memory callbacks over an image (opaque: the struct memimage). */
extern const struct vtd_mem_ops memimage_ops;
/* New zero-filled RAM of size bytes (0: the image's extent) holding the
 * image's contents; 0 or EXIT_USAGE (message printed). */
int memimage_load(const char *cmd, const char *path, uint64_t size, uint8_t **ram,
		  uint64_t *ram_size);

/* check.c: the compatibility table / report, shared with demo */
int report_check(FILE *f, const struct vtd_config *cfg, const struct hostlist *l, bool json);

#endif
