/* SPDX-License-Identifier: MIT */
/* Configuration parsing: never crashes, never overflows its message, and
 * whatever parses formats back to a string that parses to the same thing. */
#include <vtd/vtd.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct vtd_config a, b;
	struct vtd_error err;
	int r = vtd_config_parse(&a, text, &err);
	if (strlen(err.msg) >= sizeof(err.msg))
		abort();
	if (!r) {
		char buf[1024];
		int n = vtd_config_format(&a, buf, sizeof(buf));
		if (n < 0 || (size_t)n >= sizeof(buf) || vtd_config_parse(&b, buf, NULL) ||
		    memcmp(&a, &b, sizeof(a)))
			abort();
		/* capabilities of any valid configuration are defined */
		(void)vtd_caps_cap(&a);
		(void)vtd_caps_ecap(&a);
	}
	free(text);
	return 0;
}
