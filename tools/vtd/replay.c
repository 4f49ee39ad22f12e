/* SPDX-License-Identifier: MIT */
/*
 * vtd replay: run a script of register accesses, guest-memory writes, DMAs
 * and MSIs against a vIOMMU with flat guest RAM, printing one response per
 * command (the language is in vtd(1)).
 */
#include "vtd-tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#define MAX_XFER (1u << 20)     /* bytes one read/write/dma command may move */
#define MAX_LINE 8192

struct replay {
	struct vtd_iommu *iommu;
	struct vtd_sim *sim;          /* --host sim */
	uint8_t *ram;
	uint64_t ram_size;
	uint64_t base;
	const char *file;
	unsigned line;
};

static void on_msi(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	printf("IRQ 0x%llx 0x%x\n", (unsigned long long)addr, data);
}

/* what the device side sees: ATC invalidations and page group responses */
static void on_devtlb(void *opaque, const struct vtd_devtlb_inval *inv)
{
	(void)opaque;
	printf("DEVTLB %02x:%02x.%u", inv->sid >> 8, (inv->sid >> 3) & 0x1f, inv->sid & 7);
	if (inv->pasid_valid)
		printf(" pasid=%u%s", inv->pasid, inv->global ? " global" : "");
	if (inv->size == ~0ull)
		printf(" all\n");
	else
		printf(" 0x%llx size=0x%llx\n", (unsigned long long)inv->addr,
		       (unsigned long long)inv->size);
}

static void on_page_response(void *opaque, uint16_t sid, bool pasid_valid, uint32_t pasid,
			     uint16_t prg_index, uint8_t code)
{
	(void)opaque;
	printf("PRGRESP %02x:%02x.%u", sid >> 8, (sid >> 3) & 0x1f, sid & 7);
	if (pasid_valid)
		printf(" pasid=%u", pasid);
	printf(" group=%u code=0x%x\n", prg_index, code);
}

static int script_error(struct replay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
FILE *replay_errout;
uint32_t replay_cache_entries;
const char *replay_file_override;
int (*replay_load_image)(const char *cmd, const char *path, uint64_t size, uint8_t **ram,
			 uint64_t *ram_size);

static int script_error(struct replay *r, const char *fmt, ...)
{
	va_list ap;
	FILE *e = replay_errout ? replay_errout : stderr;
	fflush(stdout);
	fprintf(e, "vtd replay: %s:%u: ", r->file, r->line);
	va_start(ap, fmt);
	vfprintf(e, fmt, ap);
	va_end(ap);
	fputc('\n', e);
	return EXIT_USAGE;
}

static bool num(const char *s, uint64_t *v)
{
	if (!s || !*s || *s == '-')
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

/* "0x0102ab" -> bytes; returns the count or -1 */
static long hexbytes(const char *s, uint8_t *out, size_t max)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	size_t n = strlen(s);
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		char b[3] = { s[2 * i], s[2 * i + 1], 0 };
		char *end;
		v = (unsigned)strtoul(b, &end, 16);
		if (*end || !isxdigit((unsigned char)b[0]) || !isxdigit((unsigned char)b[1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return (long)(n / 2);
}

static void print_hex(const uint8_t *p, size_t n)
{
	fputs("0x", stdout);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static bool ram_range(struct replay *r, uint64_t addr, uint64_t len)
{
	return addr < r->ram_size && len <= r->ram_size - addr;
}

/* key=value options after the fixed arguments of dma/translate */
static int opt_args(struct replay *r, char **tok, int ntok, int from, uint32_t *pasid,
		    bool *has_pasid, const char **data, bool *priv)
{
	for (int i = from; i < ntok; i++) {
		uint64_t v;
		if (!strncmp(tok[i], "pasid=", 6)) {
			if (!num(tok[i] + 6, &v) || v > 0xfffff)
				return script_error(r, "bad PASID '%s' (0 to 0xfffff)", tok[i] + 6);
			*pasid = (uint32_t)v;
			*has_pasid = true;
		} else if (data && !strncmp(tok[i], "data=", 5)) {
			*data = tok[i] + 5;
		} else if (priv && !strcmp(tok[i], "priv")) {
			*priv = true;
		} else {
			return script_error(r, "unexpected argument '%s'", tok[i]);
		}
	}
	return 0;
}

static int cmd_mmio(struct replay *r, bool write, unsigned size, char **tok, int ntok)
{
	uint64_t addr, val = 0;
	if (ntok != (write ? 3 : 2) || !num(tok[1], &addr) || (write && !num(tok[2], &val)))
		return script_error(r, "usage: %s ADDR%s", tok[0], write ? " VAL" : "");
	if (size == 4 && val > 0xffffffffu)
		return script_error(r, "value 0x%llx does not fit in 32 bits", (unsigned long long)val);
	if (addr >= r->base && addr - r->base < VTD_MMIO_WINDOW) {
		uint64_t off = addr - r->base;
		int e = write ? vtd_iommu_mmio_write(r->iommu, off, size, val)
			      : vtd_iommu_mmio_read(r->iommu, off, size, &val);
		if (e)
			return script_error(r, "%s: unaligned register access at offset 0x%llx", tok[0],
					    (unsigned long long)off);
	} else {
		if (!ram_range(r, addr, size))
			return script_error(r, "address 0x%llx is outside guest RAM (0x%llx bytes)",
					    (unsigned long long)addr, (unsigned long long)r->ram_size);
		if (write)
			memcpy(r->ram + addr, &val, size); /* little-endian host */
		else {
			val = 0;
			memcpy(&val, r->ram + addr, size);
		}
	}
	if (write)
		printf("OK\n");
	else
		printf("OK 0x%llx\n", (unsigned long long)val);
	return 0;
}

static int parse_sid(struct replay *r, const char *s, uint16_t *sid)
{
	if (parse_bdf_arg(s, sid))
		return script_error(r, "bad device '%s' (BB:DD.F or a number)", s);
	return 0;
}

static void print_fault(const struct vtd_translation *t)
{
	printf("FAULT 0x%02x %s\n", t->fault, t->fault_name);
}

static int replay_translate(struct replay *r, char **tok, int ntok)
{
	uint16_t sid;
	uint64_t iova;
	if (ntok < 4)
		return script_error(r, "usage: translate BDF IOVA r|w|x [pasid=N] [priv]");
	if (parse_sid(r, tok[1], &sid))
		return EXIT_USAGE;
	if (!num(tok[2], &iova))
		return script_error(r, "bad address '%s'", tok[2]);
	if (strcmp(tok[3], "r") && strcmp(tok[3], "w") && strcmp(tok[3], "x"))
		return script_error(r, "access must be r, w or x, not '%s'", tok[3]);
	/* x: an execute request, a read that asks for execute rights too */
	struct vtd_dma_request rq = { .sid = sid, .addr = iova,
				      .perm = tok[3][0] == 'w' ? VTD_PERM_W :
					      tok[3][0] == 'x' ? VTD_PERM_R | VTD_PERM_X :
					      VTD_PERM_R };
	if (opt_args(r, tok, ntok, 4, &rq.pasid, &rq.pasid_valid, NULL, &rq.priv))
		return EXIT_USAGE;
	struct vtd_translation t = { 0 };
	vtd_iommu_translate(r->iommu, &rq, &t);
	if (t.status == VTD_XLATE_FAULT)
		print_fault(&t);
	else
		printf("OK 0x%llx %s 0x%llx\n", (unsigned long long)t.addr, perm_name(t.perm),
		       (unsigned long long)t.page_size);
	return 0;
}

static int cmd_dma(struct replay *r, char **tok, int ntok)
{
	uint16_t sid;
	uint64_t iova, len;
	if (ntok < 5)
		return script_error(r, "usage: dma BDF IOVA LEN r|w [pasid=N] [data=0x...]");
	if (parse_sid(r, tok[1], &sid))
		return EXIT_USAGE;
	if (!num(tok[2], &iova) || !num(tok[3], &len))
		return script_error(r, "bad address or length");
	if (len == 0 || len > MAX_XFER)
		return script_error(r, "length %llu is not between 1 and %u", (unsigned long long)len,
				    MAX_XFER);
	if (iova + len < iova)
		return script_error(r, "address range wraps around");
	if (strcmp(tok[4], "r") && strcmp(tok[4], "w"))
		return script_error(r, "access must be r or w, not '%s'", tok[4]);
	bool wr = tok[4][0] == 'w';
	struct vtd_dma_request rq = { .sid = sid, .perm = wr ? VTD_PERM_W : VTD_PERM_R };
	const char *data = NULL;
	if (opt_args(r, tok, ntok, 5, &rq.pasid, &rq.pasid_valid, &data, &rq.priv))
		return EXIT_USAGE;
	uint8_t *buf = calloc(1, len);
	if (!buf)
		return script_error(r, "out of memory");
	if (data) {
		if (!wr) {
			free(buf);
			return script_error(r, "data= goes with w");
		}
		if (hexbytes(data, buf, len) != (long)len) {
			free(buf);
			return script_error(r, "data must be exactly %llu bytes of hex",
					    (unsigned long long)len);
		}
	}
	/* Page by page, as a device's transaction crosses pages: each piece
	 * is translated; the first fault stops the transfer. */
	uint64_t done = 0;
	while (done < len) {
		rq.addr = iova + done;
		struct vtd_translation t = { 0 };
		vtd_iommu_translate(r->iommu, &rq, &t);
		if (t.status == VTD_XLATE_FAULT) {
			print_fault(&t);
			free(buf);
			return 0;
		}
		if (t.status == VTD_XLATE_INTERRUPT) {
			free(buf);
			return script_error(r, "dma to the interrupt range: use msi");
		}
		uint64_t in_page = t.page_size - (rq.addr & (t.page_size - 1));
		uint64_t n = len - done < in_page ? len - done : in_page;
		if (!ram_range(r, t.addr, n)) {
			free(buf);
			printf("FAULT memory 0x%llx is not guest RAM\n", (unsigned long long)t.addr);
			return 0;
		}
		if (wr)
			memcpy(r->ram + t.addr, buf + done, n);
		else
			memcpy(buf + done, r->ram + t.addr, n);
		done += n;
	}
	if (wr) {
		printf("OK\n");
	} else {
		printf("OK ");
		print_hex(buf, len);
		putchar('\n');
	}
	free(buf);
	return 0;
}

static int cmd_ram(struct replay *r, bool write, char **tok, int ntok)
{
	uint64_t addr, len;
	if (ntok != (write ? 4 : 3) || !num(tok[1], &addr) || !num(tok[2], &len))
		return script_error(r, "usage: %s", write ? "write ADDR LEN 0x<hexbytes>" : "read ADDR LEN");
	if (len == 0 || len > MAX_XFER)
		return script_error(r, "length %llu is not between 1 and %u", (unsigned long long)len,
				    MAX_XFER);
	if (!ram_range(r, addr, len))
		return script_error(r, "0x%llx+%llu is outside guest RAM (0x%llx bytes)",
				    (unsigned long long)addr, (unsigned long long)len,
				    (unsigned long long)r->ram_size);
	if (write) {
		uint8_t *tmp = malloc(len);
		if (!tmp)
			return script_error(r, "out of memory");
		if (hexbytes(tok[3], tmp, len) != (long)len) {
			free(tmp);
			return script_error(r, "data must be exactly %llu bytes of hex",
					    (unsigned long long)len);
		}
		memcpy(r->ram + addr, tmp, len);
		free(tmp);
		printf("OK\n");
	} else {
		printf("OK ");
		print_hex(r->ram + addr, len);
		putchar('\n');
	}
	return 0;
}

static int cmd_msi(struct replay *r, char **tok, int ntok)
{
	uint16_t sid;
	uint64_t addr, data;
	if (ntok != 4)
		return script_error(r, "usage: msi BDF ADDR DATA");
	if (parse_sid(r, tok[1], &sid))
		return EXIT_USAGE;
	if (!num(tok[2], &addr) || !num(tok[3], &data) || data > 0xffffffffu)
		return script_error(r, "bad MSI address or data");
	struct vtd_irq irq;
	vtd_iommu_remap_msi(r->iommu, sid, addr, (uint32_t)data, &irq);
	if (irq.blocked)
		printf("FAULT 0x%02x %s\n", irq.fault, irq.fault_name);
	else if (irq.posted && irq.notify)
		printf("OK posted vector 0x%02x notify 0x%llx 0x%x\n", irq.vector,
		       (unsigned long long)irq.addr, irq.data);
	else if (irq.posted)
		printf("OK posted vector 0x%02x (no notification)\n", irq.vector);
	else
		printf("OK 0x%llx 0x%x\n", (unsigned long long)irq.addr, irq.data);
	return 0;
}

/* ats BDF IOVA [r|w] [pasid=N] [priv] [nw]: an ATS translation request */
static int cmd_ats(struct replay *r, char **tok, int ntok)
{
	if (ntok < 3)
		return script_error(r, "usage: ats BDF IOVA [r|w] [pasid=N] [priv] [nw]");
	struct vtd_ats_request rq = { 0 };
	if (parse_sid(r, tok[1], &rq.sid))
		return EXIT_USAGE;
	if (!num(tok[2], &rq.addr))
		return script_error(r, "bad address '%s'", tok[2]);
	/* nw is ours; the rest are the common options */
	char *rest[16];
	int nrest = 0;
	for (int i = 0; i < ntok; i++) {
		/* r (or nw): the device will only read; w: it may write */
		if (i >= 3 && (!strcmp(tok[i], "nw") || (i == 3 && !strcmp(tok[i], "r"))))
			rq.no_write = true;
		else if (i == 3 && !strcmp(tok[i], "w"))
			rq.no_write = false;
		else
			rest[nrest++] = tok[i];
	}
	if (opt_args(r, rest, nrest, 3, &rq.pasid, &rq.pasid_valid, NULL, &rq.priv))
		return EXIT_USAGE;
	struct vtd_ats_completion c;
	vtd_iommu_ats_translate(r->iommu, &rq, &c);
	if (c.status != VTD_ATS_SUCCESS) {
		printf("%s", c.status == VTD_ATS_UR ? "UR" : "CA");
		if (c.fault)
			printf(" 0x%02x %s", c.fault, vtd_fault_name(c.fault));
		putchar('\n');
		return 0;
	}
	printf("OK 0x%llx size=0x%llx %s%s%s%s", (unsigned long long)c.addr,
	       (unsigned long long)c.size, c.r ? "r" : "-", c.w ? "w" : "-", c.u ? " u" : "",
	       c.s ? " s" : "");
	if (!c.r && !c.w && c.fault)
		printf(" (0x%02x %s)", c.fault, vtd_fault_name(c.fault));
	putchar('\n');
	return 0;
}

/* prq BDF ADDR r|w|rw [pasid=N] [priv] group=N [last]: a page request */
static int cmd_prq(struct replay *r, char **tok, int ntok)
{
	if (ntok < 4)
		return script_error(r, "usage: prq BDF ADDR r|w|rw [pasid=N] [priv] group=N [last]");
	struct vtd_page_request pr = { 0 };
	if (parse_sid(r, tok[1], &pr.sid))
		return EXIT_USAGE;
	if (!num(tok[2], &pr.addr))
		return script_error(r, "bad address '%s'", tok[2]);
	if (!strcmp(tok[3], "r") || !strcmp(tok[3], "rw"))
		pr.read = true;
	if (!strcmp(tok[3], "w") || !strcmp(tok[3], "rw"))
		pr.write = true;
	if (!pr.read && !pr.write)
		return script_error(r, "access must be r, w or rw, not '%s'", tok[3]);
	char *rest[16];
	int nrest = 0;
	bool has_group = false;
	for (int i = 0; i < ntok; i++) {
		uint64_t v;
		if (i >= 4 && !strcmp(tok[i], "last")) {
			pr.last = true;
		} else if (i >= 4 && !strncmp(tok[i], "group=", 6)) {
			if (!num(tok[i] + 6, &v) || v > 0x1ff)
				return script_error(r, "bad page request group '%s' (0 to 511)",
						    tok[i] + 6);
			pr.prg_index = (uint16_t)v;
			has_group = true;
		} else {
			rest[nrest++] = tok[i];
		}
	}
	if (!has_group)
		return script_error(r, "prq needs group=N");
	if (opt_args(r, rest, nrest, 4, &pr.pasid, &pr.pasid_valid, NULL, &pr.priv))
		return EXIT_USAGE;
	int rc = vtd_iommu_page_request(r->iommu, &pr);
	if (!rc)
		printf("OK\n");
	else if (rc == -ENOSPC)
		printf("DROPPED queue full (PRS.PRO)\n");
	else if (rc == -EFAULT)
		printf("DROPPED queue not in guest memory\n");
	else
		printf("REFUSED%s\n", rc == -EPERM ? " page requests not allowed" : "");
	return 0;
}

static void on_host_event(void *opaque, const char *what)
{
	(void)opaque;
	printf("HOST %s\n", what);
}

/* attach BDF: put a passthrough device on the sim host behind the vIOMMU */
static int cmd_attach(struct replay *r, char **tok, int ntok)
{
	uint16_t sid;
	if (ntok != 2)
		return script_error(r, "usage: attach BDF");
	if (!r->sim)
		return script_error(r, "attach needs --host sim");
	if (parse_sid(r, tok[1], &sid))
		return EXIT_USAGE;
	/* the sim host is a nesting-capable VT-d unit (Granite Rapids' registers) */
	struct vtd_host_device hd;
	vtd_host_from_profile("gnr-main", &hd, NULL);
	hd.hw_info_flags = 0;
	struct vtd_host_if hif;
	vtd_sim_backend(r->sim, &hif);
	/* with its fault queues: used when the guest has svm=on */
	struct vtd_host_attach_opts ao = { .sz = sizeof(ao), .iopf = vtd_sim_iopf_ops() };
	struct vtd_error err;
	int e = vtd_iommu_attach_host_opts(r->iommu, sid, &hd, &hif, sid, &ao, &err);
	if (e) {
		printf("ERROR %s\n", err.msg[0] ? err.msg : "attach failed");
		return 0;
	}
	printf("OK\n");
	return 0;
}

/* hostdma BDF IOVA LEN r|w [pasid=N] [data=..]: a DMA of the passthrough
 * device, as the host IOMMU translates it */
static int cmd_hostdma(struct replay *r, char **tok, int ntok)
{
	uint16_t sid;
	uint64_t iova, len;
	if (ntok < 5)
		return script_error(r, "usage: hostdma BDF IOVA LEN r|w [pasid=N] [data=0x...]");
	if (!r->sim)
		return script_error(r, "hostdma needs --host sim");
	if (parse_sid(r, tok[1], &sid))
		return EXIT_USAGE;
	if (!num(tok[2], &iova) || !num(tok[3], &len) || len == 0 || len > 4096 ||
	    ((iova + len - 1) >> 12) != (iova >> 12))
		return script_error(r, "hostdma moves 1 to 4096 bytes within one page");
	if (strcmp(tok[4], "r") && strcmp(tok[4], "w"))
		return script_error(r, "access must be r or w, not '%s'", tok[4]);
	bool wr = tok[4][0] == 'w';
	uint8_t buf[4096] = { 0 };
	uint32_t pasid = VTD_HOST_NO_PASID;
	for (int i = 5; i < ntok; i++) {
		uint64_t v;
		if (wr && !strncmp(tok[i], "data=", 5)) {
			if (hexbytes(tok[i] + 5, buf, len) != (long)len)
				return script_error(r, "data must be exactly %llu bytes of hex",
						    (unsigned long long)len);
		} else if (!strncmp(tok[i], "pasid=", 6)) {
			if (!num(tok[i] + 6, &v) || v > 0xfffff)
				return script_error(r, "bad PASID '%s' (0 to 0xfffff)", tok[i] + 6);
			pasid = (uint32_t)v;
		} else {
			return script_error(r, "unexpected argument '%s'", tok[i]);
		}
	}
	void *hva;
	struct vtd_host_fault f;
	int e = vtd_sim_translate(r->sim, sid, pasid, iova, wr, &hva, &f);
	if (e == -ENODEV) {
		printf("BLOCKED\n");
		return 0;
	}
	if (e == -EAGAIN) {
		/* a page request: the VMM's event loop would poll now (none
		 * new: the device still waits for the answer) */
		int n = vtd_iommu_host_poll(r->iommu, sid, 0);
		printf("PAGEREQ 0x%02x %s%s\n", f.reason, vtd_fault_name(f.reason),
		       n > 0 ? "" : " waiting");
		return 0;
	}
	if (e == -EPERM) {
		printf("DENIED page request answered Invalid\n");
		return 0;
	}
	if (e) {
		/* the host's first-stage fault goes to the guest's fault log */
		f.sid = sid;
		vtd_iommu_host_fault(r->iommu, &f);
		printf("FAULT 0x%02x %s\n", f.reason, vtd_fault_name(f.reason));
		return 0;
	}
	if (wr) {
		memcpy(hva, buf, len);
		printf("OK\n");
	} else {
		printf("OK ");
		print_hex(hva, len);
		putchar('\n');
	}
	return 0;
}

/* save FILE / load FILE: a migration.  The file holds the guest RAM pages
 * that are not zero (what the VMM would migrate) and the vIOMMU state from
 * vtd_iommu_save. */
static bool page_zero(const uint8_t *p)
{
	for (size_t i = 0; i < 4096; i++)
		if (p[i])
			return false;
	return true;
}

static int cmd_save(struct replay *r, char **tok, int ntok)
{
	if (ntok != 2)
		return script_error(r, "usage: save FILE");
	long n = vtd_iommu_save(r->iommu, NULL, 0);
	char *buf = n > 0 ? malloc((size_t)n) : NULL;
	if (!buf || vtd_iommu_save(r->iommu, buf, (size_t)n) != n) {
		free(buf);
		return script_error(r, "save: cannot serialise the state");
	}
	FILE *f = fopen(replay_file_override ? replay_file_override : tok[1], "wb");
	bool ok = f != NULL;
	uint64_t pages = 0;
	for (uint64_t a = 0; a + 4096 <= r->ram_size; a += 4096)
		pages += !page_zero(r->ram + a);
	ok = ok && fwrite(&pages, 8, 1, f) == 1;
	for (uint64_t a = 0; ok && a + 4096 <= r->ram_size; a += 4096)
		if (!page_zero(r->ram + a))
			ok = fwrite(&a, 8, 1, f) == 1 && fwrite(r->ram + a, 4096, 1, f) == 1;
	ok = ok && fwrite(buf, 1, (size_t)n, f) == (size_t)n;
	if (f && fclose(f))
		ok = false;
	free(buf);
	if (!ok)
		return script_error(r, "save: cannot write '%s': %s", tok[1], strerror(errno));
	printf("OK\n");
	return 0;
}

static int cmd_load(struct replay *r, char **tok, int ntok)
{
	if (ntok != 2)
		return script_error(r, "usage: load FILE");
	FILE *f = fopen(replay_file_override ? replay_file_override : tok[1], "rb");
	if (!f)
		return script_error(r, "load: cannot open '%s': %s", tok[1], strerror(errno));
	uint64_t pages;
	if (fread(&pages, 8, 1, f) != 1 || pages > r->ram_size / 4096) {
		fclose(f);
		return script_error(r, "load: '%s' is not a replay save (or RAM too small)", tok[1]);
	}
	uint8_t *ram = calloc(1, r->ram_size);
	enum { MAX = 1 << 20 };
	char *buf = malloc(MAX);
	bool ok = ram && buf;
	for (uint64_t i = 0; ok && i < pages; i++) {
		uint64_t a;
		ok = fread(&a, 8, 1, f) == 1 && !(a & 0xfff) && a + 4096 <= r->ram_size &&
		     fread(ram + a, 4096, 1, f) == 1;
	}
	size_t n = ok ? fread(buf, 1, MAX, f) : 0;
	fclose(f);
	if (!ok) {
		free(ram);
		free(buf);
		return script_error(r, "load: '%s' is truncated or corrupted", tok[1]);
	}
	struct vtd_error err;
	/* state first: a refused state leaves RAM and vIOMMU as they were */
	int e = vtd_iommu_load(r->iommu, buf, n, &err);
	free(buf);
	if (e) {
		free(ram);
		return script_error(r, "load: '%s': %s", tok[1], err.msg);
	}
	memcpy(r->ram, ram, r->ram_size);
	free(ram);
	printf("OK\n");
	return 0;
}

static int cmd_stats(struct replay *r, char **tok, int ntok)
{
	(void)tok;
	if (ntok != 1)
		return script_error(r, "usage: stats");
	struct vtd_iommu_stats st;
	vtd_iommu_get_stats(r->iommu, &st);
	printf("OK iotlb hits=%llu misses=%llu entries=%llu evictions=%llu invalidated=%llu; "
	       "context hits=%llu misses=%llu invalidated=%llu; pasid hits=%llu misses=%llu\n",
	       (unsigned long long)st.iotlb_hits, (unsigned long long)st.iotlb_misses,
	       (unsigned long long)st.iotlb_entries, (unsigned long long)st.iotlb_evictions,
	       (unsigned long long)st.iotlb_invalidated, (unsigned long long)st.context_hits,
	       (unsigned long long)st.context_misses, (unsigned long long)st.context_invalidated,
	       (unsigned long long)st.pasid_hits, (unsigned long long)st.pasid_misses);
	return 0;
}

static int run_script(struct replay *r, FILE *in)
{
	char *line = malloc(MAX_LINE);
	if (!line)
		return script_error(r, "out of memory");
	int rc = 0;
	while (!rc && fgets(line, MAX_LINE, in)) {
		r->line++;
		size_t len = strlen(line);
		if (len == MAX_LINE - 1 && line[len - 1] != '\n') {
			rc = script_error(r, "line longer than %d characters", MAX_LINE - 2);
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *tok[16];
		int ntok = 0;
		char *save = NULL;
		for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
			if (ntok == 16) {
				rc = script_error(r, "too many arguments");
				break;
			}
			tok[ntok++] = t;
		}
		if (rc || !ntok)
			continue;
		const char *c = tok[0];
		if (!strcmp(c, "writel"))
			rc = cmd_mmio(r, true, 4, tok, ntok);
		else if (!strcmp(c, "writeq"))
			rc = cmd_mmio(r, true, 8, tok, ntok);
		else if (!strcmp(c, "readl"))
			rc = cmd_mmio(r, false, 4, tok, ntok);
		else if (!strcmp(c, "readq"))
			rc = cmd_mmio(r, false, 8, tok, ntok);
		else if (!strcmp(c, "write"))
			rc = cmd_ram(r, true, tok, ntok);
		else if (!strcmp(c, "read"))
			rc = cmd_ram(r, false, tok, ntok);
		else if (!strcmp(c, "dma"))
			rc = cmd_dma(r, tok, ntok);
		else if (!strcmp(c, "translate"))
			rc = replay_translate(r, tok, ntok);
		else if (!strcmp(c, "msi"))
			rc = cmd_msi(r, tok, ntok);
		else if (!strcmp(c, "stats"))
			rc = cmd_stats(r, tok, ntok);
		else if (!strcmp(c, "ats"))
			rc = cmd_ats(r, tok, ntok);
		else if (!strcmp(c, "prq"))
			rc = cmd_prq(r, tok, ntok);
		else if (!strcmp(c, "save"))
			rc = cmd_save(r, tok, ntok);
		else if (!strcmp(c, "load"))
			rc = cmd_load(r, tok, ntok);
		else if (!strcmp(c, "attach"))
			rc = cmd_attach(r, tok, ntok);
		else if (!strcmp(c, "hostdma"))
			rc = cmd_hostdma(r, tok, ntok);
		else
			rc = script_error(r, "unknown command '%.40s'", c);
		fflush(stdout);
	}
	if (!rc && ferror(in))
		rc = script_error(r, "read error");
	free(line);
	return rc;
}

static int replay_ram(FILE *in, const char *name, const struct vtd_config *cfg, uint8_t *ram,
		      uint64_t mem, uint64_t base, bool sim, bool owned);

static int run_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "mem-size", required_argument, NULL, 'm' },
		{ "base", required_argument, NULL, 'b' },
		{ "host", required_argument, NULL, 'H' },
		{ "mem", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	bool sim = false, has_size = false;
	const char *config = NULL, *image = NULL;
	uint64_t mem = 64ull << 20, base = 0xfed90000ull;
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:m:b:", opts, NULL)) != -1) {
		switch (opt) {
		case 'H':
			if (strcmp(optarg, "sim"))
				return usage_error("replay", "--host: '%s' is not a host this tool can "
						   "drive (sim)", optarg);
			sim = true;
			break;
		case 'c': config = optarg; break;
		case 'M': image = optarg; break;
		case 'm':
			if (parse_size_arg(optarg, &mem) || mem < 4096 || mem > (64ull << 30))
				return usage_error("replay", "--mem-size: '%s' is not a size from 4K to 64G "
						   "(suffixes K, M, G)", optarg);
			has_size = true;
			break;
		case 'b':
			if (parse_hex_arg("replay", "--base", optarg, &base))
				return EXIT_USAGE;
			if (base & 0xfff)
				return usage_error("replay", "--base: 0x%llx is not 4 KiB aligned",
						   (unsigned long long)base);
			break;
		default: return bad_option("replay", opt, optopt, argv, optind);
		}
	}
	if (optind != argc - 1)
		return usage_error("replay", optind >= argc ? "give a SCRIPT (or - for stdin)"
							    : "give one SCRIPT");
	const char *file = argv[optind];
	struct vtd_config cfg;
	if (parse_config_arg("replay", config, &cfg))
		return EXIT_USAGE;
	/* --mem: the guest RAM starts as the image (raw or ELF core; holes
	 * read as zeros), --mem-size bytes or as much as the image spans */
	uint8_t *ram = NULL;
	if (image) {
		if (!replay_load_image)
			return usage_error("replay", "--mem is not available in this build");
		if (replay_load_image("replay", image, has_size ? mem : 0, &ram, &mem))
			return EXIT_USAGE;
	}
	FILE *in = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!in) {
		fprintf(stderr, "vtd replay: cannot open '%s': %s\n", file, strerror(errno));
		free(ram);
		return EXIT_USAGE;
	}
	int rc = ram ? replay_ram(in, strcmp(file, "-") ? file : "<stdin>", &cfg, ram, mem, base, sim,
				  true)
		     : replay_stream(in, strcmp(file, "-") ? file : "<stdin>", &cfg, mem, base, sim);
	if (in != stdin)
		fclose(in);
	return rc;
}

int replay_stream(FILE *in, const char *name, const struct vtd_config *cfg, uint64_t mem,
		  uint64_t base, bool sim)
{
	/* calloc of a large block is lazily zero-filled by the OS */
	uint8_t *ram = calloc(1, mem);
	if (!ram) {
		fprintf(stderr, "vtd replay: cannot allocate %llu bytes of guest RAM\n",
			(unsigned long long)mem);
		return EXIT_USAGE;
	}
	return replay_ram(in, name, cfg, ram, mem, base, sim, true);
}

int replay_stream_ram(FILE *in, const char *name, const struct vtd_config *cfg, uint8_t *ram,
		      uint64_t mem, uint64_t base, bool sim)
{
	return replay_ram(in, name, cfg, ram, mem, base, sim, false);
}

/* Run a script over guest RAM the caller allocated (freed here if owned). */
static int replay_ram(FILE *in, const char *name, const struct vtd_config *cfg, uint8_t *ram,
		      uint64_t mem, uint64_t base, bool sim, bool owned)
{
	struct replay r = { .ram = ram, .ram_size = mem, .base = base, .file = name };
	static const struct vtd_event_ops ev = {
		.msi = on_msi, .devtlb_inval = on_devtlb, .page_response = on_page_response,
	};
	struct vtd_iommu_opts o = { .sz = sizeof(o), .events = &ev, .ram = r.ram, .ram_size = mem,
				    .iotlb_entries = replay_cache_entries,
				    .pasid_cache_entries = replay_cache_entries };
	struct vtd_error err;
	if (vtd_iommu_new(cfg, &o, &r.iommu, &err)) {
		fprintf(stderr, "vtd replay: %s\n", err.msg);
		if (owned)
			free(r.ram);
		return EXIT_USAGE;
	}
	static const struct vtd_sim_event_ops hev = { .event = on_host_event };
	if (sim && vtd_sim_new(&hev, NULL, &r.sim)) {
		vtd_iommu_free(r.iommu);
		if (owned)
			free(r.ram);
		fprintf(stderr, "vtd replay: cannot create the sim host\n");
		return EXIT_USAGE;
	}
	int rc = run_script(&r, in);
	vtd_iommu_free(r.iommu);
	vtd_sim_free(r.sim);
	if (owned)
		free(r.ram);
	return rc;
}

const struct subcommand cmd_replay = {
	.name = "replay",
	.summary = "run a script of register writes, DMAs and MSIs",
	.usage =
		"Usage: vtd replay [--config PROPS] [--mem-size SIZE] [--mem IMAGE] [--base HEX]\n"
		"                  [--host sim] SCRIPT|-\n\n"
		"One command per line, '#' comments, numbers in C syntax.  Addresses inside\n"
		"the register window (--base, default 0xfed90000, 4 KiB) reach the IOMMU;\n"
		"others are guest RAM (--mem-size, default 64M).  --mem IMAGE starts the\n"
		"guest RAM as a memory image holds it (raw, or an ELF core from\n"
		"dump-guest-memory; holes read as zeros), sized to the image unless\n"
		"--mem-size is given.\n\n"
		"  writel ADDR VAL | writeq ADDR VAL        -> OK\n"
		"  readl ADDR | readq ADDR                  -> OK 0x<value>\n"
		"  write ADDR LEN 0x<hexbytes>              -> OK          (guest RAM)\n"
		"  read ADDR LEN                            -> OK 0x<hexbytes>\n"
		"  dma BDF IOVA LEN r|w [pasid=N] [priv] [data=0x<hexbytes>]\n"
		"                                           -> OK [0x<hexbytes>] | FAULT 0x<reason> <name>\n"
		"  translate BDF IOVA r|w|x [pasid=N] [priv] -> OK 0x<address> <perm> 0x<pagesize>\n"
		"                                              | FAULT 0x<reason> <name>\n"
		"  msi BDF ADDR DATA                        -> OK 0x<addr> 0x<data> | FAULT 0x<reason> <name>\n"
		"                                              | OK posted vector 0x<vv> notify 0x<addr> 0x<data>\n"
		"                                              | OK posted vector 0x<vv> (no notification)\n"
		"  ats BDF IOVA [r|w] [pasid=N] [priv] [nw] -> OK 0x<address> size=0x<n> rw|r-|-- [u] [s]\n"
		"                                              | UR | CA [0x<reason> <name>]\n"
		"  prq BDF ADDR r|w|rw [pasid=N] [priv] group=N [last]\n"
		"                                           -> OK | DROPPED <why> | REFUSED <why>\n"
		"  stats                                    -> OK <cache counters>\n"
		"  save FILE | load FILE                    -> OK (vIOMMU state; a failed load stops)\n"
		"With --host sim, a software host IOMMU with nesting (x-flts=on):\n"
		"  attach BDF                               -> OK | ERROR <compatibility findings>\n"
		"  hostdma BDF IOVA LEN r|w [data=0x..]     -> OK [0x<hexbytes>] | FAULT .. | BLOCKED\n"
		"and every host call prints 'HOST <what>' as it happens.\n\n"
		"An interrupt the IOMMU raises prints 'IRQ 0x<addr> 0x<data>', a device-TLB\n"
		"invalidation 'DEVTLB <bdf> [pasid=N] 0x<addr> size=0x<n>|all', a page group\n"
		"response 'PRGRESP <bdf> [pasid=N] group=N code=0x<rc>', each before the\n"
		"response of the command that caused it.  An error in the script stops the run\n"
		"with a message naming the line (exit status 2).\n",
	.run = run_replay,
};
