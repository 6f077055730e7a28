// SPDX-License-Identifier: MIT
/*
 * The decoders and the engine against malformed replies: truncated, empty
 * and over-long messages and attributes.  Every message is handed over in a
 * heap block of exactly its aligned length, so that a read past it is a
 * sanitizer report; a wrong result is a failed check.  Exits 1 on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "fake_nl.h"
#include "records.h"

/* Room for any message built here. */
#define MSG_BUF 8192

static int failures, checks;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void check(int ok, const char *what, int line)
{
	checks++;
	if (!ok) {
		failures++;
		fprintf(stderr, "decode_test.c:%d: failed: %s\n", line, what);
	}
}

/* A message of @type with the family header of @hdrlen bytes, in @buf. */
static struct nlmsghdr *start(void *buf, uint16_t type, size_t hdrlen, uint32_t seq)
{
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = FAKE_PORTID;
	mnl_nlmsg_put_extra_header(nlh, hdrlen);
	return nlh;
}

/* @nlh copied alone into a block of its aligned length, with @len as its length. */
static struct nlmsghdr *alone(const struct nlmsghdr *nlh, uint32_t len)
{
	struct nlmsghdr *copy = calloc(1, NLMSG_ALIGN(len));

	if (!copy)
		abort();
	memcpy(copy, nlh, len < nlh->nlmsg_len ? len : nlh->nlmsg_len);
	copy->nlmsg_len = len;
	return copy;
}

static char link_buf[MSG_BUF];

static struct nlmsghdr *good_link(void)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct nlmsghdr *nlh = start(link_buf, RTM_NEWLINK, sizeof(struct ifinfomsg), 1);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nlattr *info;

	ifi->ifi_index = 7;
	mnl_attr_put_u32(nlh, IFLA_MTU, 1400);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(nlh, info);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "veth0");
	return nlh;
}

static void test_link(void)
{
	const struct nlmsghdr *full = good_link();
	struct nlmsghdr *m, *attr_msg;
	struct nlattr *last;
	struct nns_link l;
	uint32_t len;

	m = alone(full, full->nlmsg_len);
	CHECK(nns_link_parse(m, &l) == 0);
	CHECK(l.ifindex == 7 && l.mtu == 1400 && !strcmp(l.ifname, "veth0"));
	CHECK(l.addrlen == 6 && l.kind && !strcmp(l.kind, "veth"));
	free(m);

	/* Cut anywhere: never a record whose name is cut, never a read past the end. */
	for (len = sizeof(struct nlmsghdr); len < full->nlmsg_len; len++) {
		int ret;

		m = alone(full, len);
		ret = nns_link_parse(m, &l);
		if (len < mnl_nlmsg_size(sizeof(struct ifinfomsg)))
			CHECK(ret == -EBADMSG);
		CHECK(ret == -EBADMSG || ret == 0);
		if (ret == 0)
			read_link(&l, NULL);
		/* The name is the last attribute: whole only in the alignment padding. */
		CHECK(ret == -EBADMSG || len > full->nlmsg_len - NLA_ALIGNTO);
		free(m);
	}

	/* The name without its NUL: no name, no record. */
	attr_msg = alone(full, full->nlmsg_len);
	last = (struct nlattr *)((char *)attr_msg + full->nlmsg_len -
				 NLA_ALIGN(sizeof(struct nlattr) + 6));
	CHECK(mnl_attr_get_type(last) == IFLA_IFNAME);
	((char *)mnl_attr_get_payload(last))[5] = 'x';
	CHECK(nns_link_parse(attr_msg, &l) == -EBADMSG);
	/* An attribute longer than the message, then one of length zero. */
	last->nla_len = 0x7ff0;
	CHECK(nns_link_parse(attr_msg, &l) == -EBADMSG);
	last->nla_len = 0;
	CHECK(nns_link_parse(attr_msg, &l) == -EBADMSG);
	last->nla_len = 3;
	CHECK(nns_link_parse(attr_msg, &l) == -EBADMSG);
	free(attr_msg);

	/* Another message type is not a link. */
	m = alone(full, full->nlmsg_len);
	m->nlmsg_type = RTM_NEWADDR;
	CHECK(nns_link_parse(m, &l) == -EBADMSG);
	free(m);
}

static int count_links(const struct nns_link *l, void *data)
{
	read_link(l, NULL);
	++*(int *)data;
	return 0;
}

/* A datagram of @n copies of a link message, then NLMSG_DONE. */
static size_t link_stream(char *out, int n)
{
	const struct nlmsghdr *full = good_link();
	size_t off = 0;
	int i;

	for (i = 0; i < n; i++) {
		memcpy(out + off, full, full->nlmsg_len);
		off += NLMSG_ALIGN(full->nlmsg_len);
	}
	start(link_buf, NLMSG_DONE, sizeof(int), 1);
	memcpy(out + off, link_buf, mnl_nlmsg_size(sizeof(int)));
	return off + mnl_nlmsg_size(sizeof(int));
}

/* The dump of @size bytes of @data: the callback count, or -errno. */
static int dump_links(const void *data, size_t size)
{
	struct nns_error e = { 0 };
	struct nns_ns ns;
	int n = 0, ret;

	fake_nl_answer(data, size);
	fake_nl_ns(&ns);
	ret = nns_link_dump(&ns, count_links, &n, &e);
	fake_nl_ns_close(&ns);
	return ret < 0 ? ret : n;
}

static void test_dump(void)
{
	static char stream[8192];
	size_t size = link_stream(stream, 3), one;
	struct nlmsghdr *second;
	char *copy;

	copy = malloc(size);
	memcpy(copy, stream, size);
	CHECK(dump_links(copy, size) == 3);
	one = NLMSG_ALIGN(((struct nlmsghdr *)copy)->nlmsg_len);
	second = (struct nlmsghdr *)(copy + one);

	/* A stream cut short or with a bad length is an error, never a partial list. */
	CHECK(dump_links(copy, size - 1) < 0);
	CHECK(dump_links(copy, one + 10) < 0);
	CHECK(dump_links(copy, 0) < 0);
	second->nlmsg_len = 0;
	CHECK(dump_links(copy, size) < 0);
	second->nlmsg_len = 8;
	CHECK(dump_links(copy, size) < 0);
	second->nlmsg_len = 0xfffffff0u;
	CHECK(dump_links(copy, size) < 0);
	second->nlmsg_len = (uint32_t)(size - one + 4);
	CHECK(dump_links(copy, size) < 0);
	free(copy);

	/* Someone else's messages are skipped; an interrupted dump is retried, then refused. */
	copy = malloc(size);
	memcpy(copy, stream, size);
	second = (struct nlmsghdr *)(copy + one);
	second->nlmsg_seq = 99;
	CHECK(dump_links(copy, size) == 2);
	second->nlmsg_seq = 1;
	/* A datagram another process sent to the socket's port is no answer. */
	fake_nl_sender = 77;
	CHECK(dump_links(copy, size) == -ENOBUFS);
	CHECK(fake_nl_recvs == 1);
	fake_nl_sender = 0;
	second->nlmsg_flags |= NLM_F_DUMP_INTR;
	fake_nl_follow_seq = 1;
	CHECK(dump_links(copy, size) == -EINTR);
	CHECK(fake_nl_sends == 16);
	fake_nl_follow_seq = 0;
	free(copy);

	/* A dump that failed part way says so in its NLMSG_DONE: an error, not a short list. */
	copy = malloc(size);
	memcpy(copy, stream, size);
	*(int *)mnl_nlmsg_get_payload(
		(struct nlmsghdr *)(copy + size - mnl_nlmsg_size(sizeof(int)))) = -ENODEV;
	CHECK(dump_links(copy, size) == -ENODEV);
	free(copy);
}

static size_t put_error(char *out, uint32_t seq, int err, const char *text, bool capped);

/* A part larger than the receive buffer is read whole once the buffer has grown. */
static void test_dump_large(void)
{
	char err[NNS_MSG_SIZE] = { 0 };
	size_t err_size;
	size_t cap = (size_t)256 << 10, size;
	char *stream = malloc(cap);
	int n = (int)(cap / 2 / NLMSG_ALIGN(good_link()->nlmsg_len));

	size = link_stream(stream, n);
	CHECK(size > 32768 && size <= cap);
	fake_nl_follow_seq = 1;
	CHECK(dump_links(stream, size) == n);
	CHECK(fake_nl_sends == 2); /* once cut, once whole */
	CHECK(dump_links(stream, size) == n);
	CHECK(fake_nl_sends == 1); /* the thread keeps the larger buffer */
	/* The kernel's own EMSGSIZE is its answer: not a cut read, nothing grows or is asked again. */
	err_size = put_error(err, 0, -EMSGSIZE, "too big", true);
	CHECK(dump_links(err, err_size) == -EMSGSIZE);
	CHECK(fake_nl_sends == 1);
	CHECK(dump_links(stream, size) == n);
	CHECK(fake_nl_sends == 1); /* the buffer is as large as before */
	fake_nl_follow_seq = 0;
	free(stream);
}

static void test_route(void)
{
	static char buf[MSG_BUF];
	struct nlmsghdr *nlh = start(buf, RTM_NEWROUTE, sizeof(struct rtmsg), 1);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct rtnexthop *nh, *nh2;
	struct nlattr *mp, *gw;
	struct {
		uint16_t family; /* struct rtvia, with room for an IPv6 address */
		uint8_t addr[16];
	} via = { 0 };
	struct nns_route r;
	struct nlmsghdr *m;
	uint32_t gw4 = htonl(0x0a000001), len;

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 24;
	mnl_attr_put_u32(nlh, RTA_DST, htonl(0x0a010000));
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	nh = mnl_nlmsg_get_payload_tail(nlh);
	memset(nh, 0, sizeof(*nh));
	nh->rtnh_ifindex = 3;
	nlh->nlmsg_len += RTNH_ALIGN(sizeof(*nh));
	gw = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(gw4), &gw4);
	nh->rtnh_len = (unsigned short)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)nh);
	/* A second next hop, through a gateway of another family (RTA_VIA). */
	nh2 = mnl_nlmsg_get_payload_tail(nlh);
	memset(nh2, 0, sizeof(*nh2));
	nh2->rtnh_ifindex = 4;
	nlh->nlmsg_len += RTNH_ALIGN(sizeof(*nh2));
	via.family = AF_INET6;
	via.addr[0] = 0xfe;
	via.addr[15] = 1;
	mnl_attr_put(nlh, RTA_VIA, sizeof(via), &via);
	nh2->rtnh_len = (unsigned short)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)nh2);
	mnl_attr_nest_end(nlh, mp);

	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_route_parse(m, &r) == 0);
	CHECK(r.nhops == 2 && r.nh[0].ifindex == 3 && r.nh[0].gateway &&
	      !memcmp(r.nh[0].gateway, &gw4, 4) && !r.nh[0].via);
	CHECK(r.nh[1].ifindex == 4 && !r.nh[1].gateway && r.nh[1].via_family == AF_INET6 &&
	      r.nh[1].via && !memcmp(r.nh[1].via, via.addr, 16));
	free(m);

	for (len = sizeof(struct nlmsghdr); len < nlh->nlmsg_len; len++) {
		m = alone(nlh, len);
		if (nns_route_parse(m, &r) == 0)
			read_route(&r, NULL);
		free(m);
	}

	/* A next hop whose gateway attribute reaches past the next hop. */
	nh->rtnh_len = (unsigned short)(sizeof(*nh) + sizeof(struct nlattr) + 2);
	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_route_parse(m, &r) == 0 && r.nhops >= 1 && r.nh[0].gateway == NULL);
	free(m);
	/* Next hops longer than the attribute, or of length zero. */
	nh->rtnh_len = 0xfff0;
	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_route_parse(m, &r) == 0 && r.nhops == 0);
	free(m);
	nh->rtnh_len = 0;
	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_route_parse(m, &r) == 0 && r.nhops == 0);
	free(m);
	/* A gateway of length zero inside a next hop. */
	nh->rtnh_len = (unsigned short)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)nh);
	gw->nla_len = 0;
	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_route_parse(m, &r) == 0 && r.nhops >= 1 && r.nh[0].gateway == NULL);
	free(m);
}

static void test_addr(void)
{
	static char buf[MSG_BUF];
	struct nlmsghdr *nlh = start(buf, RTM_NEWADDR, sizeof(struct ifaddrmsg), 1);
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	uint32_t a4 = htonl(0x0a000001), len;
	struct nlattr *local, *label;
	struct nns_addr a;
	struct nlmsghdr *m;

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	local = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a4), &a4);
	label = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_strz(nlh, IFA_LABEL, "eth0");
	mnl_attr_put(nlh, IFA_CACHEINFO, 4, &a4); /* too short to be one */

	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_addr_parse(m, &a) == 0 && a.prefixlen == 24 && a.label &&
	      !strcmp(a.label, "eth0") && !a.has_cacheinfo);
	free(m);
	for (len = sizeof(struct nlmsghdr); len < nlh->nlmsg_len; len++) {
		m = alone(nlh, len);
		if (nns_addr_parse(m, &a) == 0)
			read_addr(&a, NULL);
		else
			CHECK(len < mnl_nlmsg_size(sizeof(*ifa)) + NLA_ALIGN(sizeof(*local) + 4));
		free(m);
	}
	/* A label without its NUL is no label. */
	((char *)mnl_attr_get_payload(label))[4] = 'x';
	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_addr_parse(m, &a) == 0 && a.label == NULL);
	free(m);
	/* An address of the other family's length is no address. */
	local->nla_len = sizeof(*local) + 16;
	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_addr_parse(m, &a) == -EBADMSG);
	free(m);
	ifa->ifa_family = AF_PACKET;
	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_addr_parse(m, &a) == -EAFNOSUPPORT);
	free(m);
}

static void test_neigh(void)
{
	static char buf[MSG_BUF];
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	struct nlmsghdr *nlh = start(buf, RTM_NEWNEIGH, sizeof(struct ndmsg), 1);
	struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	uint32_t a4 = htonl(0x0a000002), len;
	struct nlattr *dst;
	struct nns_neigh n;
	struct nlmsghdr *m;

	ndm->ndm_family = AF_INET;
	ndm->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_LLADDR, sizeof(mac), mac);
	dst = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put(nlh, NDA_DST, sizeof(a4), &a4);

	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_neigh_parse(m, &n) == 0 && n.lladdr_len == 6 && n.state == NUD_PERMANENT);
	free(m);
	for (len = sizeof(struct nlmsghdr); len < nlh->nlmsg_len; len++) {
		m = alone(nlh, len);
		/* The address comes last: whole only in the alignment padding. */
		CHECK(nns_neigh_parse(m, &n) == -EBADMSG || len > nlh->nlmsg_len - NLA_ALIGNTO);
		free(m);
	}
	dst->nla_len = sizeof(*dst) + 3;
	m = alone(nlh, nlh->nlmsg_len);
	CHECK(nns_neigh_parse(m, &n) == -EBADMSG);
	free(m);
}

/* An NLMSG_ERROR for request @seq, @err, with extack @text unless NULL. */
static size_t put_error(char *out, uint32_t seq, int err, const char *text, bool capped)
{
	struct nlmsghdr *nlh = start(out, NLMSG_ERROR, 0, seq);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = err;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) + sizeof(struct ifinfomsg);
	e->msg.nlmsg_seq = seq;
	if (!capped)
		nlh->nlmsg_len += NLMSG_ALIGN(e->msg.nlmsg_len - sizeof(struct nlmsghdr));
	else
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	if (text) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	}
	return nlh->nlmsg_len;
}

/* nns_nl_request answered by the first @size bytes of @data. */
static int request(const char *data, size_t size, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	char *copy = malloc(size ? size : 1);
	struct nns_ns ns;
	int ret;

	memcpy(copy, data, size);
	nlh->nlmsg_type = RTM_NEWLINK;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	memset(e, 0, sizeof(*e));
	fake_nl_answer(copy, size);
	fake_nl_ns(&ns);
	ret = nns_nl_request(ns.nl, nlh, NULL, e);
	fake_nl_ns_close(&ns);
	free(copy);
	return ret;
}

static void test_ack(void)
{
	static char buf[MSG_BUF];
	struct nns_error e;
	struct nlmsgerr *err = (struct nlmsgerr *)(buf + sizeof(struct nlmsghdr));
	size_t len, full;

	len = put_error(buf, 1, 0, NULL, true);
	CHECK(request(buf, len, &e) == 0);
	full = put_error(buf, 1, -EEXIST, "Link exists", true);
	CHECK(request(buf, full, &e) == -EEXIST && !strcmp(e.ext, "Link exists"));
	full = put_error(buf, 1, -EEXIST, "Link exists", false);
	CHECK(request(buf, full, &e) == -EEXIST && !strcmp(e.ext, "Link exists"));

	/* Cut anywhere: an error or the end of the data, never a read past it. */
	for (len = 0; len < full; len++) {
		int ret;

		((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)len;
		ret = request(buf, len, &e);
		CHECK(ret < 0 && ret != -EEXIST ? 1
						: len >= sizeof(struct nlmsghdr) + sizeof(*err));
	}
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)full;
	((struct nlmsghdr *)buf)->nlmsg_len = sizeof(struct nlmsghdr) + 2;
	CHECK(request(buf, full, &e) == -EBADMSG);

	/* The request echoed with a length that points anywhere: no text, same error. */
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)full;
	err->msg.nlmsg_len = 0;
	CHECK(request(buf, full, &e) == -EEXIST && e.ext[0] == '\0');
	err->msg.nlmsg_len = 0xffffffffu;
	CHECK(request(buf, full, &e) == -EEXIST && e.ext[0] == '\0');
	err->msg.nlmsg_len = (uint32_t)full;
	CHECK(request(buf, full, &e) == -EEXIST && e.ext[0] == '\0');

	/* An error that is no errno is a bad message, not a success or INT_MIN. */
	full = put_error(buf, 1, 5, NULL, true);
	CHECK(request(buf, full, &e) == -EBADMSG && e.code == EBADMSG);
	full = put_error(buf, 1, -2147483647 - 1, NULL, true);
	CHECK(request(buf, full, &e) == -EBADMSG && e.code == EBADMSG);

	/* Extack text without its NUL is dropped. */
	full = put_error(buf, 1, -EINVAL, "abcd", true);
	buf[full - 4] = 'x';
	CHECK(request(buf, full, &e) == -EINVAL && e.ext[0] == '\0');
}

static void test_batch(void)
{
	static const char *const what[] = { "first", "second", "third" };
	static char stream[4096];
	struct nns_batch b = { 0 };
	struct nns_error e = { 0 };
	struct nns_ns ns;
	size_t off = 0;
	int i;

	for (i = 0; i < 3; i++) {
		struct nlmsghdr *nlh = nns_batch_next(&b, what[i]);

		nlh->nlmsg_type = RTM_NEWLINK;
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
		off += put_error(stream + off, (uint32_t)i + 1, i == 1 ? -ENODEV : 0,
				 i == 1 ? "no such device" : NULL, true);
	}
	fake_nl_answer(stream, off);
	fake_nl_ns(&ns);
	CHECK(nns_batch_run(ns.nl, &b, &e) == -ENODEV);
	CHECK(!strcmp(e.what, "second") && !strcmp(e.ext, "no such device"));
	fake_nl_ns_close(&ns);

	/* An ack missing: the batch fails, it does not hang or pass. */
	fake_nl_answer(stream, off - 20);
	fake_nl_ns(&ns);
	CHECK(nns_batch_run(ns.nl, &b, &e) < 0);
	fake_nl_ns_close(&ns);
	nns_batch_free(&b);
}

/* An ack larger than its slot is cut: its error stays, with its request's name. */
static void test_batch_long_ack(void)
{
	static char stream[4096], text[2000];
	struct nns_batch b = { 0 };
	struct nns_error e = { 0 };
	struct nlmsghdr *nlh = nns_batch_next(&b, "only");
	struct nns_ns ns;
	size_t size;

	nlh->nlmsg_type = RTM_NEWLINK;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	memset(text, 'x', sizeof(text) - 1);
	size = put_error(stream, 1, -ENODEV, text, true);
	CHECK(size > 1500);
	fake_nl_answer(stream, size);
	fake_nl_ns(&ns);
	CHECK(nns_batch_run(ns.nl, &b, &e) == -ENODEV);
	CHECK(!strcmp(e.what, "only") && e.ext[0] == '\0');
	fake_nl_ns_close(&ns);
	nns_batch_free(&b);
}

/* nns_format_inet against inet_ntop, with and without a prefix length. */
static void test_format_inet(void)
{
	static const char *const v6[] = { "::",
					  "::1",
					  "fe80::1",
					  "2001:db8::ff00:42:8329",
					  "::ffff:10.0.0.1",
					  "2001:db8::1:0:0:1",
					  "1:2:3:4:5:6:7:8" };
	char want[INET6_ADDRSTRLEN + 8], got[NNS_INET_STRLEN];
	uint8_t a[16];
	size_t i, n;
	int wrong = 0;

	/* every value of each byte, the others fixed at 0, 9, 10, 99, 100, 255 */
	for (i = 0; i < 4 * 256 * 6; i++) {
		static const uint8_t others[] = { 0, 9, 10, 99, 100, 255 };
		int plen = (int)(i % 34) - 1;

		memset(a, others[i / (4 * 256)], 4);
		a[i / 256 % 4] = (uint8_t)(i % 256);
		inet_ntop(AF_INET, a, want, INET_ADDRSTRLEN);
		if (plen >= 0)
			sprintf(want + strlen(want), "/%d", plen);
		n = nns_format_inet(AF_INET, a, plen, got);
		wrong += strcmp(want, got) != 0 || n != strlen(want);
	}
	CHECK(wrong == 0);
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		CHECK(inet_pton(AF_INET6, v6[i], a) == 1);
		CHECK(nns_format_inet(AF_INET6, a, -1, got) == strlen(v6[i]) &&
		      !strcmp(got, v6[i]));
		sprintf(want, "%s/128", v6[i]);
		CHECK(nns_format_inet(AF_INET6, a, 128, got) == strlen(want) && !strcmp(got, want));
	}
}

int main(void)
{
	test_link();
	test_dump();
	test_dump_large();
	test_route();
	test_addr();
	test_neigh();
	test_ack();
	test_batch();
	test_batch_long_ack();
	test_format_inet();
	printf("decode_test: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
