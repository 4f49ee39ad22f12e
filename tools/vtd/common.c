/* SPDX-License-Identifier: MIT */
/* Helpers shared by the vtd subcommands (and the fuzz targets that run
 * the replay interpreter without the command-line front end). */
#include "vtd-tool.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vtd%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vtd help%s%s' for more information.\n", cmd ? " " : "",
		cmd ? cmd : "");
	return EXIT_USAGE;
}

int parse_hex_arg(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
	const char *p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (!*p || strlen(p) > 16)
		goto bad;
	uint64_t v = 0;
	for (; *p; p++) {
		if (!isxdigit((unsigned char)*p))
			goto bad;
		v = (v << 4) | (uint64_t)(isdigit((unsigned char)*p) ? *p - '0'
						: (tolower((unsigned char)*p) - 'a' + 10));
	}
	*out = v;
	return 0;
bad:
	usage_error(cmd, "%s: '%s' is not a 64-bit hexadecimal value", opt, s);
	return -EINVAL;
}

int bad_option(const char *cmd, int opt, int optopt, char **argv, int optind)
{
	if (opt == ':')
		return usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
	if (optopt)
		return usage_error(cmd, "unknown option '-%c'", optopt);
	return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

int parse_bdf_arg(const char *s, uint16_t *sid)
{
	unsigned b, d, f;
	char tail;
	if (sscanf(s, "%x:%x.%x%c", &b, &d, &f, &tail) == 3 && strchr(s, ':')) {
		if (b > 255 || d > 31 || f > 7)
			return -EINVAL;
		*sid = (uint16_t)(b << 8 | d << 3 | f);
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (!*s || *end || errno || v > 0xffff || s[0] == '-')
		return -EINVAL;
	*sid = (uint16_t)v;
	return 0;
}

int parse_size_arg(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!*s || s[0] == '-')
		return -EINVAL;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno)
		return -EINVAL;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end || (shift && v > (~0ull >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

const char *perm_name(unsigned perm)
{
	static const char *const names[4] = { "--", "r-", "-w", "rw" };
	return names[perm & 3];
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int parse_config_arg(const char *cmd, const char *props, struct vtd_config *cfg)
{
	struct vtd_error err;
	if (!vtd_config_parse(cfg, props ? props : "", &err))
		return 0;
	fprintf(stderr, "vtd %s: invalid configuration '%s':\n", cmd, props ? props : "");
	for (const char *p = err.msg; *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(stderr, "  %.*s\n", n, p);
		p += n + (nl ? 1 : 0);
	}
	return EXIT_USAGE;
}

