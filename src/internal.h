/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by the library's modules; never installed. */
#ifndef VTD_INTERNAL_H
#define VTD_INTERNAL_H

#include <vtd/vtd.h>

#define VTD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define VTD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define VTD_ALWAYS_INLINE inline __attribute__((always_inline))
#define VTD_LIKELY(x) __builtin_expect(!!(x), 1)
#define VTD_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define VTD_PRINTF(a, b)
#define VTD_ALWAYS_INLINE inline
#define VTD_LIKELY(x) (x)
#define VTD_UNLIKELY(x) (x)
#endif

void vtd_error_add(struct vtd_error *err, int code, const char *fmt, ...)
	VTD_PRINTF(3, 4);

/* snprintf that says whether everything fitted (paths, names). */
bool vtd_fmt(char *buf, size_t len, const char *fmt, ...) VTD_PRINTF(3, 4);

/* Copy s for a message: bounded, control and non-ASCII bytes shown as '?'. */
const char *vtd_safe_str(const char *s, char *buf, size_t len);

/* CRC-32 (IEEE 802.3), for the saved state. */
uint32_t vtd_crc32(const uint8_t *p, size_t n);

/* The configuration a call was given (NULL: QEMU's defaults), copied into
 * *out and validated (auto values resolved): 0 or -EINVAL with the
 * problems in *err (may be NULL). */
int vtd_config_take(const struct vtd_config *cfg, struct vtd_config *out, struct vtd_error *err);

/* Size-versioned option structs (as libbpf's opts: the caller's sizeof in
 * the first field, a size_t).  The bytes a newer caller's struct has beyond
 * what this library knows must be zero, or their meaning would be ignored
 * silently. */
bool vtd_opts_tail_zero(const void *p, size_t known, size_t sz);
/* Copy what the caller's version has (at most out_size bytes) into out,
 * zeroed first: 0, -EINVAL when in_sz cannot hold the size field itself,
 * -E2BIG when fields this library does not know are set. */
int vtd_opts_copy(void *out, size_t out_size, const void *in, size_t in_sz);

/* Parse a number in C syntax (0x.., 0.., decimal) spanning all of s. */
int vtd_parse_u64(const char *s, uint64_t *out);

/* Edit distance, bounded (returns limit+1 when larger); for "did you mean". */
unsigned vtd_edit_distance(const char *a, const char *b, unsigned limit);

#endif
