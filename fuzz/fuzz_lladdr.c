// SPDX-License-Identifier: MIT
/*
 * Fuzz target: nns_parse_lladdr, the MAC address parser.  It never writes
 * past the room it is given, and what it accepts formats and parses back
 * to the same bytes.
 */
#include <errno.h>

#include "../core/netns.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s, size_t room)
{
	uint8_t *out = malloc(room), again[32];
	char text[3 * 32];
	int n;

	MUST(out);
	n = nns_parse_lladdr(s, out, room);
	if (n >= 0) {
		MUST(n > 0 && (size_t)n <= room);
		MUST(strspn(s, "0123456789abcdefABCDEF:") == strlen(s));
		nns_format_lladdr(out, (size_t)n, text);
		MUST(nns_parse_lladdr(text, again, sizeof(again)) == n);
		MUST(!memcmp(again, out, (size_t)n));
	} else {
		MUST(n == -EINVAL);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size);

	check(s, 32);
	check(s, 6);
	check(s, 1);
	free(s);
	return 0;
}
