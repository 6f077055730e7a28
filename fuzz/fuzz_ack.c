// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the engine's reading of replies, acknowledgements and
 * extended acks, for a single request, a dump and a batch of three.
 */
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "fake_nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the binding would do with an error: format it whole. */
static void read_error(int ret, const struct nns_error *e)
{
	char text[512];

	if (!memchr(e->ext, '\0', sizeof(e->ext)) || !memchr(e->what, '\0', sizeof(e->what)))
		abort();
	if (ret < 0) {
		nns_error_format(e, "fuzz", text, sizeof(text));
		if (!memchr(text, '\0', sizeof(text)))
			abort();
	}
}

static void read_msgs(const struct nns_msgs *m)
{
	const struct nlmsghdr *nlh;

	nns_msgs_foreach(m, nlh)
		if (nlh->nlmsg_len < sizeof(*nlh) || (char *)nlh + nlh->nlmsg_len > m->buf + m->len)
			abort();
}

static void one_request(const uint8_t *data, size_t size)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nns_msgs reply = { 0 };
	struct nns_error e = { 0 };
	struct nns_ns ns;
	int ret;

	nlh->nlmsg_type = RTM_NEWLINK;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	fake_nl_answer(data, size);
	fake_nl_ns(&ns);
	ret = nns_nl_request(ns.nl, nlh, &reply, &e);
	read_msgs(&reply);
	read_error(ret, &e);
	nns_msgs_free(&reply);
	fake_nl_ns_close(&ns);
}

static void one_dump(const uint8_t *data, size_t size)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nns_msgs out = { 0 };
	struct nns_error e = { 0 };
	struct nns_ns ns;
	int ret;

	nlh->nlmsg_type = RTM_GETLINK;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	fake_nl_answer(data, size);
	fake_nl_ns(&ns);
	ret = nns_nl_dump(ns.nl, nlh, &out, &e);
	read_msgs(&out);
	read_error(ret, &e);
	nns_msgs_free(&out);
	fake_nl_ns_close(&ns);
}

static void one_batch(const uint8_t *data, size_t size)
{
	static const char *const what[] = { "first", "second", "third" };
	struct nns_batch b = { 0 };
	struct nns_error e = { 0 };
	struct nns_ns ns;
	size_t i;
	int ret;

	for (i = 0; i < 3; i++) {
		struct nlmsghdr *nlh = nns_batch_next(&b, what[i]);

		if (!nlh)
			abort();
		nlh->nlmsg_type = RTM_NEWLINK;
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	}
	fake_nl_answer(data, size);
	fake_nl_ns(&ns);
	ret = nns_batch_run(ns.nl, &b, &e);
	read_error(ret, &e);
	nns_batch_free(&b);
	fake_nl_ns_close(&ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_request(data, size);
	one_dump(data, size);
	one_batch(data, size);
	return 0;
}
