/* SPDX-License-Identifier: MIT */
#include "internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

int vtd_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s)
		return -EINVAL;
	unsigned base = 10;
	const char *p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!*p)
			return -EINVAL;
	} else if (p[0] == '0' && p[1]) {
		base = 8;
		p++;
	}
	uint64_t v = 0;
	for (; *p; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

unsigned vtd_edit_distance(const char *a, const char *b, unsigned limit)
{
	/* Two-row Levenshtein over short property names; inputs are capped so
	 * the work is bounded whatever the user typed. */
	enum { MAXN = 64 };
	size_t la = strnlen(a, MAXN), lb = strnlen(b, MAXN);
	unsigned row[2][MAXN + 1];
	for (size_t j = 0; j <= lb; j++)
		row[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned *cur = row[i & 1], *prev = row[(i - 1) & 1];
		cur[0] = (unsigned)i;
		unsigned best = cur[0];
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = tolower((unsigned char)a[i - 1]) !=
					tolower((unsigned char)b[j - 1]);
			unsigned v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			cur[j] = v;
			if (v < best)
				best = v;
		}
		if (best > limit)
			return limit + 1;
	}
	unsigned d = row[la & 1][lb];
	return d > limit ? limit + 1 : d;
}

bool vtd_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < len;
}

const char *vtd_safe_str(const char *s, char *buf, size_t len)
{
	size_t j = 0;
	if (!len)
		return "";
	for (size_t i = 0; s && s[i] && j + 1 < len; i++)
		buf[j++] = ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) ? '?' : s[i];
	buf[j] = '\0';
	return buf;
}

bool vtd_opts_tail_zero(const void *p, size_t known, size_t sz)
{
	for (size_t i = known; i < sz; i++)
		if (((const unsigned char *)p)[i])
			return false;
	return true;
}

int vtd_opts_copy(void *out, size_t out_size, const void *in, size_t in_sz)
{
	memset(out, 0, out_size);
	if (in_sz < sizeof(size_t))
		return -EINVAL;
	if (!vtd_opts_tail_zero(in, out_size, in_sz))
		return -E2BIG;
	memcpy(out, in, in_sz < out_size ? in_sz : out_size);
	return 0;
}
