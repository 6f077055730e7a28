// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the name checks.  An accepted interface name fits IFNAMSIZ
 * and holds nothing the kernel or a path would read otherwise; an accepted
 * namespace name is one path component; neighbour state names map to one
 * NUD bit.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <strings.h>

#include "../core/netns.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size);
	const char *why = NULL;
	uint16_t state = 0;
	size_t len = strlen(s);

	if (nns_valid_ifname(s, &why) == 0) {
		MUST(len > 0 && len < IFNAMSIZ);
		MUST(!strpbrk(s, "/: \t\n\v\f\r%\x7f") && strcmp(s, ".") && strcmp(s, ".."));
		for (size_t i = 0; i < len; i++)
			MUST((unsigned char)s[i] >= 0x20);
	} else {
		MUST(why && *why);
	}
	why = NULL;
	if (nns_valid_ns_name(s, &why) == 0) {
		MUST(len > 0 && len <= NAME_MAX);
		MUST(!strchr(s, '/') && strcmp(s, ".") && strcmp(s, ".."));
	} else {
		MUST(why && *why);
	}
	/* one NUD state, a single bit, or "none", which is no bit */
	if (nns_neigh_state_parse(s, &state) == 0)
		MUST(state ? !(state & (state - 1)) : !strcasecmp(s, "none"));
	free(s);
	return 0;
}
