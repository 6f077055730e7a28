// SPDX-License-Identifier: MIT
/* Routes, IPv4 and IPv6, single and multipath: list, add, replace, delete. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "netns.h"

static int route_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, RTA_MAX) < 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(attr)) {
	case RTA_OIF:
	case RTA_PRIORITY:
	case RTA_TABLE:
	case RTA_NH_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_OK;
		break;
	}
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* RTA_VIA: a family, then an address of that family; @addr stays NULL when malformed. */
static void parse_via(const struct nlattr *attr, int *family, const void **addr)
{
	const struct rtvia *via;

	if (!attr || mnl_attr_get_payload_len(attr) < sizeof(*via))
		return;
	via = mnl_attr_get_payload(attr);
	if ((via->rtvia_family == AF_INET || via->rtvia_family == AF_INET6) &&
	    mnl_attr_get_payload_len(attr) >= sizeof(*via) + nns_addr_bytes(via->rtvia_family)) {
		*family = via->rtvia_family;
		*addr = via->rtvia_addr;
	}
}

/* Reads the next hops of RTA_MULTIPATH into @r (at most NNS_MAX_NEXTHOPS). */
static void parse_multipath(const struct nlattr *mp, struct nns_route *r)
{
	const struct rtnexthop *nh = mnl_attr_get_payload(mp);
	int left = (int)mnl_attr_get_payload_len(mp);

	while (left >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) && nh->rtnh_len <= left &&
	       r->nhops < NNS_MAX_NEXTHOPS) {
		struct nns_nexthop *out = &r->nh[r->nhops++];
		const struct nlattr *attr;

		memset(out, 0, sizeof(*out));
		out->ifindex = nh->rtnh_ifindex;
		out->weight = nh->rtnh_hops + 1;
		out->flags = nh->rtnh_flags;
		for (attr = (const struct nlattr *)RTNH_DATA(nh);
		     (const char *)attr + sizeof(*attr) <= (const char *)nh + nh->rtnh_len &&
		     attr->nla_len >= sizeof(*attr) &&
		     (const char *)attr + attr->nla_len <= (const char *)nh + nh->rtnh_len;
		     attr = (const struct nlattr *)((const char *)attr + NLA_ALIGN(attr->nla_len)))
			if (mnl_attr_get_type(attr) == RTA_GATEWAY)
				out->gateway = nns_attr_inet(attr, r->family);
			else if (mnl_attr_get_type(attr) == RTA_VIA)
				parse_via(attr, &out->via_family, &out->via);
		left -= NLA_ALIGN(nh->rtnh_len);
		nh = RTNH_NEXT(nh);
	}
}

_Static_assert(RTAX_FASTOPEN_NO_COOKIE < NNS_RTAX_COUNT, "NNS_RTAX_COUNT holds every metric");

/* RTA_METRICS: the u32 metrics that fit struct nns_route, and the congestion control's name. */
static void parse_metrics(const struct nlattr *mx, struct nns_route *r)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, mx)
	{
		uint16_t type = mnl_attr_get_type(a);

		if (type == RTAX_CC_ALGO) {
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				r->congestion = mnl_attr_get_str(a);
		} else if (type > RTAX_LOCK && type < NNS_RTAX_COUNT &&
			   mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			r->metrics[type] = mnl_attr_get_u32(a);
			r->has_metrics |= 1u << type;
		}
	}
}

/*
 * The seconds a route has left, which the kernel counts in clock ticks:
 * as ip shows them, 0 for less than a second and below 0 once it has
 * expired and the kernel has yet to remove it.
 */
static int32_t expires_of(const struct rta_cacheinfo *ci)
{
	long hz = sysconf(_SC_CLK_TCK);

	return ci->rta_expires / (int32_t)(hz > 0 ? hz : 100);
}

int nns_route_parse(const struct nlmsghdr *nlh, struct nns_route *r)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };

	if ((nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return -EBADMSG;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EAFNOSUPPORT;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr, tb);
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r->protocol = rtm->rtm_protocol;
	r->scope = rtm->rtm_scope;
	r->type = rtm->rtm_type;
	r->flags = rtm->rtm_flags;
	r->dst = nns_attr_inet(tb[RTA_DST], r->family);
	r->src_len = rtm->rtm_src_len;
	r->src = nns_attr_inet(tb[RTA_SRC], r->family);
	r->gateway = nns_attr_inet(tb[RTA_GATEWAY], r->family);
	r->prefsrc = nns_attr_inet(tb[RTA_PREFSRC], r->family);
	r->ifindex = tb[RTA_OIF] ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	r->nhid = tb[RTA_NH_ID] ? mnl_attr_get_u32(tb[RTA_NH_ID]) : 0;
	r->tos = rtm->rtm_tos;
	r->has_metric = tb[RTA_PRIORITY] != NULL;
	r->metric = r->has_metric ? mnl_attr_get_u32(tb[RTA_PRIORITY]) : 0;
	parse_via(tb[RTA_VIA], &r->via_family, &r->via);
	if (tb[RTA_MULTIPATH])
		parse_multipath(tb[RTA_MULTIPATH], r);
	if (tb[RTA_METRICS])
		parse_metrics(tb[RTA_METRICS], r);
	if (tb[RTA_CACHEINFO] &&
	    mnl_attr_get_payload_len(tb[RTA_CACHEINFO]) >= sizeof(struct rta_cacheinfo)) {
		const struct rta_cacheinfo *ci = mnl_attr_get_payload(tb[RTA_CACHEINFO]);

		r->has_expires = ci->rta_expires != 0;
		r->expires = expires_of(ci);
	}
	if (tb[RTA_PREF] && mnl_attr_get_payload_len(tb[RTA_PREF]) >= 1) {
		r->has_pref = true;
		r->pref = mnl_attr_get_u8(tb[RTA_PREF]);
	}
	return 0;
}

struct route_each {
	nns_route_cb cb;
	void *data;
};

static int route_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct route_each *x = arg;
	struct nns_route r;

	return nns_route_parse(nlh, &r) < 0 ? 0 : x->cb(&r, x->data);
}

int nns_route_dump(struct nns_ns *ns, int family, nns_route_cb cb, void *data, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct route_each x = { cb, data };
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	return nns_dump_each(ns, nlh, "route show", route_msg, &x, e);
}

static void put_table(struct nlmsghdr *nlh, struct rtmsg *rtm, uint32_t table)
{
	if (table < 256) {
		rtm->rtm_table = (uint8_t)table;
	} else {
		rtm->rtm_table = RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, RTA_TABLE, table);
	}
}

/*
 * A gateway of the destination's family is RTA_GATEWAY; one of another
 * (an IPv4 route via an IPv6 next hop, ip's "via inet6") is RTA_VIA.
 */
static bool is_via(int dst_family, int family)
{
	return family && family != dst_family;
}

/* The size of the attribute put_gateway puts, padding included. */
static size_t gateway_size(int dst_family, int family)
{
	size_t len = is_via(dst_family, family) ? sizeof(struct rtvia) + nns_addr_bytes(family)
						: nns_addr_bytes(dst_family);

	return MNL_ATTR_HDRLEN + MNL_ALIGN(len);
}

static void put_gateway(struct nlmsghdr *nlh, int dst_family, int family, const uint8_t *bytes)
{
	struct {
		struct rtvia via;
		uint8_t addr[16];
	} v;

	if (!is_via(dst_family, family)) {
		mnl_attr_put(nlh, RTA_GATEWAY, nns_addr_bytes(dst_family), bytes);
		return;
	}
	v.via.rtvia_family = (__kernel_sa_family_t)family;
	memcpy(v.addr, bytes, nns_addr_bytes(family));
	mnl_attr_put(nlh, RTA_VIA, sizeof(v.via) + nns_addr_bytes(family), &v);
}

static int put_multipath(struct nlmsghdr *nlh, const struct nns_route_spec *s)
{
	struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	int i;

	for (i = 0; i < s->nhops; i++) {
		struct rtnexthop *nh;
		size_t off;

		if (mnl_nlmsg_size(nlh->nlmsg_len + sizeof(*nh) +
				   gateway_size(s->dst.family, s->nh[i].gw_family)) > NNS_MSG_SIZE)
			return -EMSGSIZE;
		off = nlh->nlmsg_len;
		nh = mnl_nlmsg_get_payload_tail(nlh);
		memset(nh, 0, sizeof(*nh));
		nlh->nlmsg_len += NLMSG_ALIGN(sizeof(*nh));
		nh->rtnh_ifindex = s->nh[i].ifindex;
		nh->rtnh_hops = (uint8_t)(s->nh[i].weight ? s->nh[i].weight - 1 : 0);
		nh->rtnh_flags = (uint8_t)(s->onlink || s->nh[i].onlink ? RTNH_F_ONLINK : 0);
		if (s->nh[i].has_gateway)
			put_gateway(nlh, s->dst.family, s->nh[i].gw_family, s->nh[i].gw);
		nh->rtnh_len = (unsigned short)(nlh->nlmsg_len - off);
	}
	mnl_attr_nest_end(nlh, mp);
	return 0;
}

int nns_route_put(struct nlmsghdr *nlh, uint16_t type, uint16_t flags,
		  const struct nns_route_spec *s)
{
	size_t alen = nns_addr_bytes(s->dst.family);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)s->dst.family;
	rtm->rtm_dst_len = (uint8_t)(s->dst.len < 0 ? (int)alen * 8 : s->dst.len);
	rtm->rtm_protocol = s->protocol;
	rtm->rtm_scope = s->scope;
	rtm->rtm_tos = s->tos;
	rtm->rtm_type = s->type;
	/* a multipath route's next hops are onlink each, the route itself not (as ip) */
	if (s->onlink && !s->nhops)
		rtm->rtm_flags |= RTNH_F_ONLINK;
	put_table(nlh, rtm, s->table);
	/* also at length 0 when not all zero: 10.0.0.0/0 is refused, not taken for default */
	if (rtm->rtm_dst_len || memcmp(s->dst.bytes, (uint8_t[16]){ 0 }, alen) != 0)
		mnl_attr_put(nlh, RTA_DST, alen, s->dst.bytes);
	if (s->has_from) {
		rtm->rtm_src_len = (uint8_t)(s->from.len < 0 ? (int)alen * 8 : s->from.len);
		mnl_attr_put(nlh, RTA_SRC, alen, s->from.bytes);
	}
	if (s->has_gateway)
		put_gateway(nlh, s->dst.family, s->gateway.family, s->gateway.bytes);
	if (s->nhid)
		mnl_attr_put_u32(nlh, RTA_NH_ID, s->nhid);
	if (s->ifindex)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)s->ifindex);
	if (s->has_metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, s->metric);
	if (s->has_prefsrc)
		mnl_attr_put(nlh, RTA_PREFSRC, alen, s->prefsrc.bytes);
	if (s->expires)
		mnl_attr_put_u32(nlh, RTA_EXPIRES, s->expires);
	if (s->has_metrics) {
		struct nlattr *mx = mnl_attr_nest_start(nlh, RTA_METRICS);
		int i;

		for (i = 0; i < NNS_RTAX_COUNT; i++)
			if (s->has_metrics & (1u << i))
				mnl_attr_put_u32(nlh, (uint16_t)i, s->metrics[i]);
		mnl_attr_nest_end(nlh, mx);
	}
	return s->nhops ? put_multipath(nlh, s) : 0;
}

int nns_route_change(struct nns_ns *ns, int op, const struct nns_route_spec *s, const char *label,
		     struct nns_error *e)
{
	static const char *const verbs[] = { "add", "replace", "del" };
	static const uint16_t flags[] = { NLM_F_CREATE | NLM_F_EXCL, NLM_F_CREATE | NLM_F_REPLACE,
					  0 };
	char buf[NNS_MSG_SIZE] = { 0 }, what[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int ret;

	snprintf(what, sizeof(what), "route %s %s", verbs[op], label);
	ret = nns_route_put(nlh, op == NNS_ROUTE_DEL ? RTM_DELROUTE : RTM_NEWROUTE, flags[op], s);
	if (ret < 0) {
		nns_error_set(e, -ret, "%s", what);
		return ret;
	}
	return nns_ns_change(ns, nlh, what, e);
}
