/* SPDX-License-Identifier: MIT */
/*
 * The ACPI DMAR table for a vIOMMU (include/vtd/acpi.h; VT-d spec chapter 8,
 * "DMA Remapping Reporting").  Field offsets and sizes are the spec's; the
 * header's ids and the structures present are what QEMU's q35 machine
 * reports, so a guest sees the same table under either.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

/* Remapping structure types (spec 8.2 onwards) and flags */
#define DRHD_TYPE 0
#define RMRR_TYPE 1
#define ATSR_TYPE 2
#define SATC_TYPE 5
#define DMAR_INTR_REMAP 0x1
#define DRHD_INCLUDE_PCI_ALL 0x1
#define ATSR_ALL_PORTS 0x1
/* device scope types (spec 8.3.1) */
#define SCOPE_ENDPOINT 1
#define SCOPE_IOAPIC 3

/* Writes what fits, counts everything: one pass answers both "how long"
 * and "write it". */
struct out {
	uint8_t *b;
	size_t len, n;
};

static void put(struct out *o, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++, o->n++)
		if (o->n < o->len)
			o->b[o->n] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

/* ACPI ids: space-padded, not NUL-terminated */
static void put_str(struct out *o, const char *s, unsigned bytes)
{
	size_t l = strlen(s);
	for (unsigned i = 0; i < bytes; i++, o->n++)
		if (o->n < o->len)
			o->b[o->n] = (uint8_t)(i < l ? s[i] : ' ');
}

/* A structure's 16-bit length field at `at`, once its end is known. */
static void set16(struct out *o, size_t at, size_t v)
{
	for (unsigned i = 0; i < 2; i++)
		if (at + i < o->len)
			o->b[at + i] = (uint8_t)(v >> (8 * i));
}

/* A one-level device scope: type, length 8, reserved, enumeration id, start
 * bus, then the path (device, function). */
static void put_scope(struct out *o, unsigned type, unsigned enum_id, uint16_t bdf)
{
	put(o, type, 1);
	put(o, 8, 1);
	put(o, 0, 2);
	put(o, enum_id, 1);
	put(o, bdf >> 8, 1);
	put(o, (bdf >> 3) & 0x1f, 1);
	put(o, bdf & 7, 1);
}

static bool list_ok(const void *v, size_t n)
{
	return n <= VTD_DMAR_MAX_ENTRIES && (n == 0 || v);
}

VTD_API long vtd_acpi_dmar(const struct vtd_config *cfg, const struct vtd_dmar_opts *opts,
			   void *buf, size_t len)
{
	if (len && !buf)
		return -EINVAL;
	/* auto values (intremap) resolved as the vIOMMU object resolves them */
	struct vtd_config c;
	if (vtd_config_take(cfg, &c, NULL))
		return -EINVAL;

	struct vtd_dmar_opts o = { 0 };
	int copied = opts ? vtd_opts_copy(&o, sizeof(o), opts, opts->sz) : 0;
	if (copied)
		return copied;
	uint64_t base = o.base ? o.base : VTD_Q35_IOMMU_BASE;
	uint16_t ioapic_sid = o.ioapic_sid_set ? o.ioapic_sid : VTD_Q35_IOAPIC_SID;
	if ((base & 0xfff) || !list_ok(o.devices, o.ndevices) || !list_ok(o.rmrr, o.nrmrr) ||
	    !list_ok(o.satc, o.nsatc))
		return -EINVAL;
	for (size_t i = 0; i < o.nrmrr; i++) {
		const struct vtd_dmar_rmrr *r = &o.rmrr[i];
		/* spec 8.4: base 4 KiB aligned, limit + 1 4 KiB aligned */
		if ((r->base & 0xfff) || (r->limit & 0xfff) != 0xfff || r->limit < r->base)
			return -EINVAL;
	}
	uint64_t ecap = vtd_caps_ecap(&c);

	struct out b = { buf, len, 0 };
	/* ACPI table header, with QEMU's ids */
	put_str(&b, "DMAR", 4);
	put(&b, 0, 4);                   /* length, below */
	put(&b, 1, 1);                   /* revision */
	put(&b, 0, 1);                   /* checksum, below */
	put_str(&b, "BOCHS", 6);
	put_str(&b, "BXPC", 8);
	put(&b, 1, 4);                   /* OEM revision */
	put_str(&b, "BXPC", 4);          /* creator id */
	put(&b, 1, 4);                   /* creator revision */
	put(&b, c.aw_bits - 1u, 1);      /* host address width - 1 */
	put(&b, vtd_ecap_ir(ecap) ? DMAR_INTR_REMAP : 0, 1);
	put(&b, 0, 10);

	size_t at = b.n;                 /* DRHD */
	put(&b, DRHD_TYPE, 2);
	put(&b, 0, 2);
	put(&b, o.ndevices ? 0 : DRHD_INCLUDE_PCI_ALL, 1);
	put(&b, 0, 1);
	put(&b, o.segment, 2);
	put(&b, base, 8);
	put_scope(&b, SCOPE_IOAPIC, o.ioapic_id, ioapic_sid);
	for (size_t i = 0; i < o.ndevices; i++)
		put_scope(&b, SCOPE_ENDPOINT, 0, o.devices[i]);
	set16(&b, at + 2, b.n - at);

	for (size_t i = 0; i < o.nrmrr; i++) {
		at = b.n;
		put(&b, RMRR_TYPE, 2);
		put(&b, 0, 2);
		put(&b, 0, 2);
		put(&b, o.segment, 2);
		put(&b, o.rmrr[i].base, 8);
		put(&b, o.rmrr[i].limit, 8);
		if (o.rmrr[i].has_dev)
			put_scope(&b, SCOPE_ENDPOINT, 0, o.rmrr[i].bdf);
		set16(&b, at + 2, b.n - at);
	}
	if (vtd_ecap_dt(ecap)) {         /* device-iotlb=on: ATS on every root port */
		put(&b, ATSR_TYPE, 2);
		put(&b, 8, 2);
		put(&b, ATSR_ALL_PORTS, 1);
		put(&b, 0, 1);
		put(&b, o.segment, 2);
	}
	if (o.nsatc) {
		at = b.n;
		put(&b, SATC_TYPE, 2);
		put(&b, 0, 2);
		put(&b, 0, 1);               /* flags: ATC not required */
		put(&b, 0, 1);
		put(&b, o.segment, 2);
		for (size_t i = 0; i < o.nsatc; i++)
			put_scope(&b, SCOPE_ENDPOINT, 0, o.satc[i]);
		set16(&b, at + 2, b.n - at);
	}
	/* at most 36+48 + 256*8 + 256*48 + 8 + 8+256*8 bytes: fits the header's
	 * 32-bit length and a structure's 16-bit one (a DRHD <= 2064) */
	size_t total = b.n;
	if (total <= len) {
		uint8_t *p = buf;
		for (unsigned i = 0; i < 4; i++)
			p[4 + i] = (uint8_t)(total >> (8 * i));
		uint8_t sum = 0;
		for (size_t i = 0; i < total; i++)
			sum = (uint8_t)(sum + p[i]);
		p[9] = (uint8_t)(0x100 - sum);
	}
	return (long)total;
}
