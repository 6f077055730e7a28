// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the link decoder, alone on each message in a block of its
 * exact size, then behind the engine as the reply to a dump and to a get.
 */
#include <stddef.h>
#include <stdint.h>

#include "fake_nl.h"
#include "records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_one(const struct nlmsghdr *nlh, void *arg)
{
	struct nns_link rec;

	(void)arg;
	if (nns_link_parse(nlh, &rec) == 0)
		read_link(&rec, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nns_msgs msg = { 0 };
	struct nns_error e = { 0 };
	struct nns_link l;
	struct nns_ns ns;

	each_message(data, size, parse_one, NULL);
	fake_nl_answer(data, size);
	fake_nl_ns(&ns);
	nns_link_dump(&ns, read_link, NULL, &e);
	fake_nl_ns_close(&ns);

	fake_nl_answer(data, size);
	fake_nl_ns(&ns);
	if (nns_link_get(&ns, "eth0", 0, &msg, &l, &e) == 0)
		read_link(&l, NULL);
	nns_msgs_free(&msg);
	fake_nl_ns_close(&ns);
	return 0;
}
