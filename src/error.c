/* SPDX-License-Identifier: MIT */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

VTD_API void vtd_error_clear(struct vtd_error *err)
{
	if (!err)
		return;
	err->code = VTD_ERR_NONE;
	err->count = 0;
	err->msg[0] = '\0';
}

/*
 * Append one problem as its own line.  Messages that do not fit are cut, but
 * the count still says how many problems there were, so none is silently
 * lost; the last line then says how many were left out.
 */
void vtd_error_add(struct vtd_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return;
	if (err->count == 0)
		err->code = code;
	err->count++;

	size_t used = strlen(err->msg);
	size_t room = sizeof(err->msg) - used;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	/* keep space for a final "(N more problems)" line */
	const size_t reserve = 48;
	if (strlen(line) + 2 + reserve <= room) {
		snprintf(err->msg + used, room, "%s%s", used ? "\n" : "", line);
		return;
	}
	char *tail = strstr(err->msg, "\n(");
	if (tail)
		*tail = '\0';
	used = strlen(err->msg);
	unsigned shown = 0;
	for (const char *p = err->msg; *p; p++)
		shown += (*p == '\n');
	shown += used ? 1 : 0;
	snprintf(err->msg + used, sizeof(err->msg) - used,
		 "%s(%u more problem%s not shown)", used ? "\n" : "",
		 err->count - shown, err->count - shown == 1 ? "" : "s");
}

VTD_API const char *vtd_version(void)
{
	return VTD_VERSION_STRING;
}
