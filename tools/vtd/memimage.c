/* SPDX-License-Identifier: MIT */
/*
 * Guest memory images for vtd translate, tables and replay: a raw image
 * (file offset = guest physical address, as QEMU's pmemsave writes it) or an
 * ELF core from QEMU's dump-guest-memory / virsh dump --memory-only (PT_LOAD
 * segments placed at p_paddr).  The kind is recognised from the ELF magic.
 *
 * The file is mapped privately: accessed/dirty updates a walk makes stay in
 * this process.  Addresses no segment covers are absent memory: reads fail,
 * which the library reports as the architected "cannot be read" faults.
 */
#include "vtd-tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct memseg {
	uint64_t gpa, size;
	uint8_t *data;
	uint64_t max_end;      /* highest end among this and the segments before */
};

struct memimage {
	uint8_t *map;
	size_t map_size;
	bool elf;
	struct memseg *seg;    /* sorted by gpa */
	size_t nseg;
	uint64_t extent;       /* highest present address + 1 */
};

#define PT_LOAD 1
#define ET_CORE 4
#define PN_XNUM 0xffff
#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define SHDR_SIZE 64

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static int seg_cmp(const void *a, const void *b)
{
	const struct memseg *x = a, *y = b;
	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/* Every problem names the file and what is wrong; EXIT_USAGE. */
static int bad_image(const char *cmd, const char *path, const char *why)
{
	fprintf(stderr, "vtd %s: '%s': %s\n", cmd, path, why);
	return EXIT_USAGE;
}

static int parse_elf(const char *cmd, const char *path, struct memimage *m)
{
	const uint8_t *f = m->map;
	uint64_t fsize = m->map_size;
	if (fsize < EHDR_SIZE)
		return bad_image(cmd, path, "truncated ELF header");
	if (f[4] == 1)
		return bad_image(cmd, path, "32-bit ELF cores are not supported (dump-guest-memory "
				 "writes ELF64 for x86_64 guests)");
	if (f[4] != 2 || f[5] != 1)
		return bad_image(cmd, path, "not a little-endian ELF64 file");
	if (le16(f + 16) != ET_CORE)
		return bad_image(cmd, path, "ELF file is not a core dump (e_type is not ET_CORE)");
	uint64_t phoff = le64(f + 32), shoff = le64(f + 40);
	unsigned phentsize = le16(f + 54);
	uint64_t phnum = le16(f + 56);
	if (phentsize != PHDR_SIZE)
		return bad_image(cmd, path, "unexpected ELF program header size");
	if (phnum == PN_XNUM) {
		/* more segments than e_phnum holds: the count is in sh_info of
		 * section header 0 (QEMU writes it so for large guests) */
		if (!shoff || shoff > fsize || fsize - shoff < SHDR_SIZE)
			return bad_image(cmd, path, "truncated ELF section header 0 (e_phnum is "
					 "PN_XNUM)");
		phnum = le32(f + shoff + 44);
	}
	if (phoff > fsize || phnum > (fsize - phoff) / PHDR_SIZE)
		return bad_image(cmd, path, "truncated ELF program headers");
	size_t n = 0;
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + i * PHDR_SIZE;
		if (le32(ph) == PT_LOAD && le64(ph + 32))
			n++;
	}
	if (!n)
		return bad_image(cmd, path, "ELF core has no PT_LOAD segment with data");
	m->seg = calloc(n, sizeof(*m->seg));
	if (!m->seg)
		return bad_image(cmd, path, "out of memory");
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + i * PHDR_SIZE;
		uint64_t off = le64(ph + 8), paddr = le64(ph + 24), filesz = le64(ph + 32);
		if (le32(ph) != PT_LOAD || !filesz)
			continue;
		/* p_memsz beyond p_filesz was not dumped: it stays absent */
		if (off > fsize || filesz > fsize - off)
			return bad_image(cmd, path, "truncated ELF core: a PT_LOAD segment extends "
					 "beyond the end of the file");
		if (paddr + filesz < paddr)
			return bad_image(cmd, path, "a PT_LOAD segment wraps around the address space");
		struct memseg *s = &m->seg[m->nseg++];
		s->gpa = paddr;
		s->size = filesz;
		s->data = m->map + off;
	}
	qsort(m->seg, m->nseg, sizeof(*m->seg), seg_cmp);
	uint64_t end = 0;
	for (size_t i = 0; i < m->nseg; i++) {
		uint64_t e = m->seg[i].gpa + m->seg[i].size;
		end = e > end ? e : end;
		m->seg[i].max_end = end;
	}
	m->extent = end;
	return 0;
}

int memimage_open(const char *cmd, const char *path, struct memimage **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vtd %s: cannot open '%s': %s\n", cmd, path, strerror(errno));
		return EXIT_USAGE;
	}
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return bad_image(cmd, path, "not a non-empty regular file");
	}
	struct memimage *m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		return bad_image(cmd, path, "out of memory");
	}
	m->map_size = (size_t)st.st_size;
	/* Private and writable: the library's accessed/dirty updates stay
	 * here; sparse multi-GiB images cost nothing. */
	void *map = mmap(NULL, m->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "vtd %s: cannot map '%s': %s\n", cmd, path, strerror(errno));
		free(m);
		return EXIT_USAGE;
	}
	m->map = map;
	if (m->map_size >= 4 && !memcmp(m->map, "\177ELF", 4)) {
		m->elf = true;
		int rc = parse_elf(cmd, path, m);
		if (rc) {
			memimage_close(m);
			return rc;
		}
	} else if (m->map_size >= 8 && !memcmp(m->map, "KDUMP   ", 8)) {
		memimage_close(m);
		return bad_image(cmd, path, "kdump-compressed dumps are not supported: dump in ELF "
				 "(dump-guest-memory without -z/-l/-s, virsh dump --memory-only "
				 "--format=elf)");
	} else {
		m->seg = calloc(1, sizeof(*m->seg));
		if (!m->seg) {
			memimage_close(m);
			return bad_image(cmd, path, "out of memory");
		}
		m->seg[0] = (struct memseg){ .gpa = 0, .size = m->map_size, .data = m->map,
					     .max_end = m->map_size };
		m->nseg = 1;
		m->extent = m->map_size;
	}
	*out = m;
	return 0;
}

void memimage_close(struct memimage *m)
{
	if (!m)
		return;
	if (m->map)
		munmap(m->map, m->map_size);
	free(m->seg);
	free(m);
}

const char *memimage_format(const struct memimage *m)
{
	return m->elf ? "elf" : "raw";
}

uint64_t memimage_extent(const struct memimage *m)
{
	return m->extent;
}

void *memimage_flat(const struct memimage *m, uint64_t *size)
{
	if (m->elf)
		return NULL;
	*size = m->map_size;
	return m->map;
}

/* The segment holding gpa, or NULL (a hole). */
static const struct memseg *seg_find(const struct memimage *m, uint64_t gpa)
{
	size_t lo = 0, hi = m->nseg;
	while (lo < hi) {           /* first segment starting above gpa */
		size_t mid = lo + (hi - lo) / 2;
		if (m->seg[mid].gpa <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* overlapping segments (paging dumps may repeat memory): look back
	 * while an earlier segment may still reach gpa */
	for (size_t i = lo; i-- > 0 && m->seg[i].max_end > gpa;)
		if (gpa - m->seg[i].gpa < m->seg[i].size)
			return &m->seg[i];
	return NULL;
}

/* Copy between guest memory and buf; 0 or -EFAULT at the first hole. */
static int access_mem(struct memimage *m, uint64_t gpa, void *buf, const void *src, size_t len)
{
	uint8_t *b = buf;
	const uint8_t *sb = src;
	while (len) {
		const struct memseg *s = seg_find(m, gpa);
		if (!s)
			return -EFAULT;
		uint64_t off = gpa - s->gpa, n = s->size - off;
		if (n > len)
			n = len;
		if (b) {
			memcpy(b, s->data + off, n);
			b += n;
		} else {
			memcpy(s->data + off, sb, n);
			sb += n;
		}
		len -= n;
		gpa += n;
		if (len && !gpa)
			return -EFAULT;
	}
	return 0;
}

int memimage_read(struct memimage *m, uint64_t gpa, void *buf, size_t len)
{
	return access_mem(m, gpa, buf, NULL, len);
}

static int ops_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	return access_mem(opaque, gpa, buf, NULL, len);
}

static int ops_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	return access_mem(opaque, gpa, NULL, buf, len);
}

const struct vtd_mem_ops memimage_ops = { .read = ops_read, .write = ops_write };

static bool page_zero(const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int memimage_load(const char *cmd, const char *path, uint64_t size, uint8_t **ram,
		  uint64_t *ram_size)
{
	struct memimage *m;
	int rc = memimage_open(cmd, path, &m);
	if (rc)
		return rc;
	if (!size) {
		size = (m->extent + 0xfff) & ~0xfffull;
		if (size < m->extent || size > (64ull << 30)) {
			memimage_close(m);
			return bad_image(cmd, path, "memory extends beyond 64 GiB: give --mem-size");
		}
	} else if (m->extent > size) {
		fprintf(stderr, "vtd %s: '%s': memory extends to 0x%llx, beyond --mem-size "
			"(0x%llx bytes)\n", cmd, path, (unsigned long long)m->extent,
			(unsigned long long)size);
		memimage_close(m);
		return EXIT_USAGE;
	}
	/* calloc of a large block is zero-filled lazily: copy only the pages
	 * with data, so holes and zero pages cost nothing */
	uint8_t *r = calloc(1, size);
	if (!r) {
		memimage_close(m);
		fprintf(stderr, "vtd %s: cannot allocate %llu bytes of guest RAM\n", cmd,
			(unsigned long long)size);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < m->nseg; i++) {
		const struct memseg *s = &m->seg[i];
		for (uint64_t off = 0; off < s->size;) {
			uint64_t n = 4096 - ((s->gpa + off) & 0xfff);
			if (n > s->size - off)
				n = s->size - off;
			if (!page_zero(s->data + off, n))
				memcpy(r + s->gpa + off, s->data + off, n);
			off += n;
		}
	}
	memimage_close(m);
	*ram = r;
	*ram_size = size;
	return 0;
}
