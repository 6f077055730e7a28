// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the neigh decoder, alone on each message in a block of its
 * exact size, then behind the engine as the reply to a dump.
 */
#include <stddef.h>
#include <stdint.h>

#include "fake_nl.h"
#include "records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_one(const struct nlmsghdr *nlh, void *arg)
{
	struct nns_neigh rec;

	(void)arg;
	if (nns_neigh_parse(nlh, &rec) == 0)
		read_neigh(&rec, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nns_error e = { 0 };
	struct nns_ns ns;

	each_message(data, size, parse_one, NULL);
	fake_nl_answer(data, size);
	fake_nl_ns(&ns);
	nns_neigh_dump(&ns, 0, 0, false, read_neigh, NULL, &e);
	fake_nl_ns_close(&ns);
	return 0;
}
