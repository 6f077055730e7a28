// SPDX-License-Identifier: MIT
/* Policy routing rules: which table a packet is looked up in (ip rule). */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "netns.h"

static int rule_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, FRA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case FRA_IIFNAME:
	case FRA_OIFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	case FRA_PRIORITY:
	case FRA_FWMARK:
	case FRA_FWMASK:
	case FRA_TABLE:
	case FRA_GOTO:
	case FRA_SUPPRESS_PREFIXLEN:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case FRA_PROTOCOL:
	case FRA_IP_PROTO:
	case FRA_L3MDEV:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		break;
	case FRA_UID_RANGE:
		if (mnl_attr_get_payload_len(attr) < sizeof(struct fib_rule_uid_range))
			return MNL_CB_ERROR;
		break;
	case FRA_SPORT_RANGE:
	case FRA_DPORT_RANGE:
		if (mnl_attr_get_payload_len(attr) < sizeof(struct fib_rule_port_range))
			return MNL_CB_ERROR;
		break;
	default: break;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

static void get_port_range(const struct nlattr *attr, uint16_t range[2])
{
	const struct fib_rule_port_range *r = mnl_attr_get_payload(attr);

	range[0] = r->start;
	range[1] = r->end;
}

int nns_rule_parse(const struct nlmsghdr *nlh, struct nns_rule *r)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[FRA_MAX + 1] = { 0 };

	if ((nlh->nlmsg_type != RTM_NEWRULE && nlh->nlmsg_type != RTM_DELRULE) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*frh)))
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*frh), rule_attr, tb) < 0)
		return -EBADMSG;
	memset(r, 0, sizeof(*r));
	r->family = frh->family;
	r->src_len = frh->src_len;
	r->dst_len = frh->dst_len;
	r->tos = frh->tos;
	r->action = frh->action;
	r->invert = frh->flags & FIB_RULE_INVERT;
	r->table = tb[FRA_TABLE] ? mnl_attr_get_u32(tb[FRA_TABLE]) : frh->table;
	r->src = nns_attr_inet(tb[FRA_SRC], r->family);
	r->dst = nns_attr_inet(tb[FRA_DST], r->family);
	r->iif = tb[FRA_IIFNAME] ? mnl_attr_get_str(tb[FRA_IIFNAME]) : NULL;
	r->oif = tb[FRA_OIFNAME] ? mnl_attr_get_str(tb[FRA_OIFNAME]) : NULL;
	r->iif_detached = frh->flags & FIB_RULE_IIF_DETACHED;
	r->oif_detached = frh->flags & FIB_RULE_OIF_DETACHED;
	r->unresolved = frh->flags & FIB_RULE_UNRESOLVED;
	if (tb[FRA_PRIORITY])
		r->priority = mnl_attr_get_u32(tb[FRA_PRIORITY]);
	r->has_fwmark = tb[FRA_FWMARK] || tb[FRA_FWMASK];
	if (tb[FRA_FWMARK])
		r->fwmark = mnl_attr_get_u32(tb[FRA_FWMARK]);
	r->fwmask = tb[FRA_FWMASK] ? mnl_attr_get_u32(tb[FRA_FWMASK]) : UINT32_MAX;
	if (tb[FRA_GOTO])
		r->goto_priority = mnl_attr_get_u32(tb[FRA_GOTO]);
	r->has_suppress_prefixlen = tb[FRA_SUPPRESS_PREFIXLEN] &&
				    mnl_attr_get_u32(tb[FRA_SUPPRESS_PREFIXLEN]) != UINT32_MAX;
	if (r->has_suppress_prefixlen)
		r->suppress_prefixlen = mnl_attr_get_u32(tb[FRA_SUPPRESS_PREFIXLEN]);
	if (tb[FRA_PROTOCOL])
		r->protocol = mnl_attr_get_u8(tb[FRA_PROTOCOL]);
	if (tb[FRA_IP_PROTO])
		r->ipproto = mnl_attr_get_u8(tb[FRA_IP_PROTO]);
	if (tb[FRA_UID_RANGE]) {
		const struct fib_rule_uid_range *u = mnl_attr_get_payload(tb[FRA_UID_RANGE]);

		r->has_uidrange = true;
		r->uidrange[0] = u->start;
		r->uidrange[1] = u->end;
	}
	r->l3mdev = tb[FRA_L3MDEV] && mnl_attr_get_u8(tb[FRA_L3MDEV]);
	if (tb[FRA_SPORT_RANGE])
		get_port_range(tb[FRA_SPORT_RANGE], r->sport);
	if (tb[FRA_DPORT_RANGE])
		get_port_range(tb[FRA_DPORT_RANGE], r->dport);
	return 0;
}

struct rule_each {
	nns_rule_cb cb;
	void *data;
};

static int rule_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct rule_each *x = arg;
	struct nns_rule r;

	return nns_rule_parse(nlh, &r) < 0 ? 0 : x->cb(&r, x->data);
}

int nns_rule_dump(struct nns_ns *ns, int family, nns_rule_cb cb, void *data, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rule_each x = { cb, data };
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = RTM_GETRULE;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)family;
	return nns_dump_each(ns, nlh, "rule show", rule_msg, &x, e);
}

static void put_port_range(struct nlmsghdr *nlh, uint16_t type, const uint16_t range[2])
{
	struct fib_rule_port_range r = { .start = range[0], .end = range[1] };

	if (range[0])
		mnl_attr_put(nlh, type, sizeof(r), &r);
}

int nns_rule_put(struct nlmsghdr *nlh, uint16_t type, uint16_t flags, const struct nns_rule_spec *s)
{
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)s->family;
	frh->action = s->action;
	frh->tos = s->tos;
	if (s->invert)
		frh->flags |= FIB_RULE_INVERT;
	if (s->table) {
		frh->table = s->table < 256 ? (uint8_t)s->table : RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, FRA_TABLE, s->table);
	}
	if (s->src.len >= 0) {
		frh->src_len = (uint8_t)s->src.len;
		mnl_attr_put(nlh, FRA_SRC, nns_addr_bytes(s->family), s->src.bytes);
	}
	if (s->dst.len >= 0) {
		frh->dst_len = (uint8_t)s->dst.len;
		mnl_attr_put(nlh, FRA_DST, nns_addr_bytes(s->family), s->dst.bytes);
	}
	if (s->has_priority)
		mnl_attr_put_u32(nlh, FRA_PRIORITY, s->priority);
	if (s->iif)
		mnl_attr_put_strz(nlh, FRA_IIFNAME, s->iif);
	if (s->oif)
		mnl_attr_put_strz(nlh, FRA_OIFNAME, s->oif);
	if (s->has_fwmark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, s->fwmark);
		if (s->has_fwmask)
			mnl_attr_put_u32(nlh, FRA_FWMASK, s->fwmask);
	}
	if (s->goto_priority)
		mnl_attr_put_u32(nlh, FRA_GOTO, s->goto_priority);
	if (s->has_suppress_prefixlen)
		mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, s->suppress_prefixlen);
	if (s->ipproto)
		mnl_attr_put_u8(nlh, FRA_IP_PROTO, s->ipproto);
	put_port_range(nlh, FRA_SPORT_RANGE, s->sport);
	put_port_range(nlh, FRA_DPORT_RANGE, s->dport);
	if (s->has_uidrange) {
		struct fib_rule_uid_range u = { .start = s->uidrange[0], .end = s->uidrange[1] };

		mnl_attr_put(nlh, FRA_UID_RANGE, sizeof(u), &u);
	}
	if (s->l3mdev)
		mnl_attr_put_u8(nlh, FRA_L3MDEV, 1);
	if (s->protocol)
		mnl_attr_put_u8(nlh, FRA_PROTOCOL, s->protocol);
	return 0;
}

int nns_rule_change(struct nns_ns *ns, bool add, const struct nns_rule_spec *s, const char *label,
		    struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 }, what[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	snprintf(what, sizeof(what), "rule %s %s", add ? "add" : "del", label);
	nns_rule_put(nlh, add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0, s);
	return nns_ns_request(ns, nlh, what, e);
}
