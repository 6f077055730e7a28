// SPDX-License-Identifier: MIT
/*
 * Fuzz target: nns_parse_prefix, the CIDR parser behind every address,
 * route and neighbour argument.  What it accepts must be a well-formed
 * address that prints and parses back to the same bytes.
 */
#include <arpa/inet.h>
#include <stdbool.h>

#include "../core/netns.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s, bool need_len)
{
	struct nns_prefix p, again;
	char text[INET6_ADDRSTRLEN];
	const char *why = NULL;

	if (nns_parse_prefix(s, need_len, &p, &why) < 0) {
		MUST(why && *why);
		return;
	}
	MUST(p.family == AF_INET || p.family == AF_INET6);
	MUST(p.len >= (need_len ? 0 : -1) && p.len <= (p.family == AF_INET ? 32 : 128));
	MUST((p.len >= 0) == (strchr(s, '/') != NULL));
	MUST(inet_ntop(p.family, p.bytes, text, sizeof(text)));
	MUST(nns_parse_prefix(text, false, &again, &why) == 0);
	MUST(again.family == p.family && !memcmp(again.bytes, p.bytes, sizeof(p.bytes)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size);

	check(s, true);
	check(s, false);
	free(s);
	return 0;
}
