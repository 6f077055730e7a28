// SPDX-License-Identifier: MIT
/* IPv4 and IPv6 addresses: parse, list, add, delete. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "netns.h"

size_t nns_addr_bytes(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static int parse_prefixlen(const char *s, int max, int *out)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	n = strtol(s, &end, 10);
	if (*end || n > max)
		return -EINVAL;
	*out = (int)n;
	return 0;
}

/*
 * An IPv4 network written short, as ip takes it before a prefix length:
 * "10" for 10.0.0.0, "172.16" for 172.16.0.0.  One to three decimal parts
 * (ip reads octal and hex too, which a leading zero would make a trap).
 */
static int parse_short_ipv4(const char *s, uint8_t bytes[4])
{
	int i = 0;

	memset(bytes, 0, 4);
	for (;;) {
		unsigned n = 0;
		const char *start = s;

		while (*s >= '0' && *s <= '9' && s - start < 3)
			n = n * 10 + (unsigned)(*s++ - '0');
		if (s == start || n > 255 || (*start == '0' && s - start > 1))
			return -EINVAL;
		bytes[i++] = (uint8_t)n;
		if (*s == '\0')
			return 0;
		if (*s++ != '.' || i == 3)
			return -EINVAL;
	}
}

/*
 * The parser of both: with @short_ipv4, an IPv4 network may also be
 * written short before its length.
 */
static int parse_prefix(const char *s, bool need_len, bool short_ipv4, struct nns_prefix *p,
			const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int max;

	memset(p, 0, sizeof(*p));
	p->len = -1;
	*why = "not an IPv4 or IPv6 address";
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	p->family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(p->family, host, p->bytes) != 1 &&
	    !(short_ipv4 && slash && p->family == AF_INET && parse_short_ipv4(host, p->bytes) == 0))
		return -EINVAL;
	max = p->family == AF_INET ? 32 : 128;
	if (!slash) {
		*why = "missing prefix length";
		return need_len ? -EINVAL : 0;
	}
	if (parse_prefixlen(slash + 1, max, &p->len) < 0) {
		*why = p->family == AF_INET ? "prefix length must be 0 to 32"
					    : "prefix length must be 0 to 128";
		return -EINVAL;
	}
	return 0;
}

int nns_parse_prefix(const char *s, bool need_len, struct nns_prefix *p, const char **why)
{
	return parse_prefix(s, need_len, false, p, why);
}

int nns_parse_network(const char *s, struct nns_prefix *p, const char **why)
{
	return parse_prefix(s, false, true, p, why);
}

const char *nns_scope_name(uint8_t scope, char *buf, size_t size)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE: return "global";
	case RT_SCOPE_SITE: return "site";
	case RT_SCOPE_LINK: return "link";
	case RT_SCOPE_HOST: return "host";
	case RT_SCOPE_NOWHERE: return "nowhere";
	default: snprintf(buf, size, "%u", scope); return buf;
	}
}

/* ---- reading ------------------------------------------------------------ */

static int addr_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case IFA_LABEL:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_OK;
		break;
	case IFA_FLAGS:
	case IFA_RT_PRIORITY:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_OK;
		break;
	case IFA_CACHEINFO:
		if (mnl_attr_validate2(attr, MNL_TYPE_UNSPEC, sizeof(struct ifa_cacheinfo)) < 0)
			return MNL_CB_OK;
		break;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

int nns_addr_parse(const struct nlmsghdr *nlh, struct nns_addr *a)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };

	if ((nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return -EBADMSG;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return -EAFNOSUPPORT;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, tb);
	memset(a, 0, sizeof(*a));
	a->family = ifa->ifa_family;
	a->ifindex = (int)ifa->ifa_index;
	a->prefixlen = ifa->ifa_prefixlen;
	a->scope = ifa->ifa_scope;
	a->flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	a->local = nns_attr_inet(tb[IFA_LOCAL], a->family);
	a->address = nns_attr_inet(tb[IFA_ADDRESS], a->family);
	if (!a->local) {
		/* IPv6 reports only IFA_ADDRESS; it is the local one. */
		a->local = a->address;
		a->address = NULL;
	} else if (a->address && !memcmp(a->local, a->address, nns_addr_bytes(a->family))) {
		a->address = NULL;
	}
	a->broadcast = nns_attr_inet(tb[IFA_BROADCAST], a->family);
	a->label = tb[IFA_LABEL] ? mnl_attr_get_str(tb[IFA_LABEL]) : NULL;
	a->has_metric = tb[IFA_RT_PRIORITY] != NULL;
	a->metric = a->has_metric ? mnl_attr_get_u32(tb[IFA_RT_PRIORITY]) : 0;
	if (tb[IFA_CACHEINFO]) {
		const struct ifa_cacheinfo *ci = mnl_attr_get_payload(tb[IFA_CACHEINFO]);

		a->has_cacheinfo = true;
		a->valid_lft = ci->ifa_valid;
		a->preferred_lft = ci->ifa_prefered;
	}
	return a->local ? 0 : -EBADMSG;
}

struct addr_each {
	nns_addr_cb cb;
	void *data;
	int ifindex;
};

static int addr_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct addr_each *x = arg;
	struct nns_addr a;

	if (nns_addr_parse(nlh, &a) < 0 || (x->ifindex && a.ifindex != x->ifindex))
		return 0;
	return x->cb(&a, x->data);
}

/* A request for the addresses of @family on link @ifindex (0: every link), in @buf. */
static struct nlmsghdr *put_addr_dump(char *buf, int family, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_GETADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	/* The kernel filters on it, and fails the dump when it is gone. */
	ifa->ifa_index = (uint32_t)ifindex;
	return nlh;
}

int nns_addr_dump(struct nns_ns *ns, int family, int ifindex, nns_addr_cb cb, void *data,
		  struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct addr_each x = { cb, data, ifindex };
	char what[32] = "address show";

	if (ifindex)
		snprintf(what, sizeof(what), "address show %d", ifindex);
	return nns_dump_each(ns, put_addr_dump(buf, family, ifindex), what, addr_msg, &x, e);
}

/* ---- keeping and restoring ---------------------------------------------- */

struct keep_each {
	struct nns_addrs_kept *k;
	int ifindex;
};

static int keep_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct keep_each *x = arg;
	struct nns_addrs_kept *k = x->k;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	size_t need = NLMSG_ALIGN(nlh->nlmsg_len);

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) || (int)ifa->ifa_index != x->ifindex)
		return 0;
	if (k->len + need > k->cap) {
		size_t cap = (k->cap ? 2 * k->cap : 4096) + need;
		char *buf = realloc(k->buf, cap);

		if (!buf)
			return -ENOMEM;
		k->buf = buf;
		k->cap = cap;
	}
	memcpy(k->buf + k->len, nlh, nlh->nlmsg_len);
	k->len += need;
	return 0;
}

void nns_addrs_keep(struct nns_ns *ns, int ifindex, struct nns_addrs_kept *k)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = put_addr_dump(buf, AF_UNSPEC, ifindex);
	struct keep_each x = { k, ifindex };

	if (nns_dump_each(ns, nlh, "address show", keep_msg, &x, NULL) < 0)
		k->len = 0; /* all or none: a partial set would be put back as if whole */
}

static void readd(struct nns_ns *ns, int ifindex, const struct nlmsghdr *kept)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

	if (kept->nlmsg_len > sizeof(buf))
		return;
	memcpy(buf, kept, kept->nlmsg_len);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	((struct ifaddrmsg *)mnl_nlmsg_get_payload(nlh))->ifa_index = (uint32_t)ifindex;
	nns_ns_request(ns, nlh, "address add", NULL);
}

/*
 * Each kept address added again to link @ifindex, so that the kernel
 * lists them as it did: IPv4 in the order listed (primaries before their
 * secondaries), IPv6 from the last, as it lists the newest of a scope
 * first (and picks a source address by that order).  One there already
 * (an IPv6 link-local the kernel made anew) is left as it is.
 */
void nns_addrs_restore(struct nns_ns *ns, int ifindex, const struct nns_addrs_kept *k)
{
	size_t most = k->len / NLMSG_LENGTH(sizeof(struct ifaddrmsg)) + 1, off, n6 = 0;
	const struct nlmsghdr **v6 = calloc(most, sizeof(struct nlmsghdr *));
	const struct nlmsghdr *kept;

	for (off = 0; off < k->len; off += NLMSG_ALIGN(kept->nlmsg_len)) {
		const struct ifaddrmsg *ifa;

		kept = (const struct nlmsghdr *)(k->buf + off);
		ifa = mnl_nlmsg_get_payload(kept);
		/* with no room to turn them round, in the order listed rather than not at all */
		if (ifa->ifa_family == AF_INET6 && v6)
			v6[n6++] = kept;
		else
			readd(ns, ifindex, kept);
	}
	while (n6 > 0)
		readd(ns, ifindex, v6[--n6]);
	free(v6);
}

void nns_addrs_kept_free(struct nns_addrs_kept *k)
{
	free(k->buf);
	*k = (struct nns_addrs_kept){ 0 };
}

/* ---- changing ----------------------------------------------------------- */

/*
 * ip's "brd +": @p's address (the peer's when there is one) with its host
 * part, past @plen bits, all ones.  /31 and /32 have none: not called.
 */
static void put_broadcast_plus(struct nlmsghdr *nlh, const struct nns_prefix *p, uint8_t plen)
{
	uint32_t host, mask = plen ? htonl(~0U << (32 - plen)) : 0;

	memcpy(&host, p->bytes, 4);
	host |= ~mask;
	mnl_attr_put(nlh, IFA_BROADCAST, 4, &host);
}

/* As ip: an IPv4 loopback address (127/8) added without a scope is the host's own. */
static uint8_t default_scope(uint16_t type, const struct nns_prefix *local)
{
	if (type == RTM_NEWADDR && local->family == AF_INET && local->bytes[0] == 127)
		return RT_SCOPE_HOST;
	return RT_SCOPE_UNIVERSE;
}

int nns_addr_put(struct nlmsghdr *nlh, uint16_t type, uint16_t flags, const struct nns_addr_spec *s)
{
	size_t len = nns_addr_bytes(s->local.family);
	struct ifaddrmsg *ifa;
	uint32_t ifa_flags = 0;
	int plen;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)s->local.family;
	/* As ip: with a peer, the prefix is the peer's (a host when it has no length). */
	plen = s->peer ? s->peer->len : s->local.len;
	ifa->ifa_prefixlen = (uint8_t)(plen < 0 ? len * 8 : (size_t)plen);
	ifa->ifa_index = (uint32_t)s->ifindex;
	ifa->ifa_scope = s->scope < 0 ? default_scope(type, &s->local) : (uint8_t)s->scope;
	if (s->nodad)
		ifa_flags |= IFA_F_NODAD;
	if (s->noprefixroute)
		ifa_flags |= IFA_F_NOPREFIXROUTE;
	ifa->ifa_flags = (uint8_t)ifa_flags;
	if (ifa_flags > 0xff)
		mnl_attr_put_u32(nlh, IFA_FLAGS, ifa_flags);
	mnl_attr_put(nlh, IFA_LOCAL, len, s->local.bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, len, s->peer ? s->peer->bytes : s->local.bytes);
	if (s->has_broadcast && s->local.family == AF_INET)
		mnl_attr_put(nlh, IFA_BROADCAST, 4, s->broadcast);
	else if (s->broadcast_plus && s->local.family == AF_INET && ifa->ifa_prefixlen < 31)
		put_broadcast_plus(nlh, s->peer ? s->peer : &s->local, ifa->ifa_prefixlen);
	if (s->label && !mnl_attr_put_strz_check(nlh, NNS_MSG_SIZE, IFA_LABEL, s->label))
		return -EMSGSIZE;
	if (s->has_metric)
		mnl_attr_put_u32(nlh, IFA_RT_PRIORITY, s->metric);
	return 0;
}

static int addr_change(struct nns_ns *ns, uint16_t type, uint16_t flags,
		       const struct nns_addr_spec *s, const char *what, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int ret = nns_addr_put(nlh, type, flags, s);

	if (ret < 0) {
		nns_error_set(e, -ret, "%s", what);
		return ret;
	}
	return nns_ns_change(ns, nlh, what, e);
}

int nns_addr_add(struct nns_ns *ns, const struct nns_addr_spec *s, const char *label,
		 struct nns_error *e)
{
	char what[128];

	snprintf(what, sizeof(what), "address add %s", label);
	return addr_change(ns, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, s, what, e);
}

int nns_addr_del(struct nns_ns *ns, const struct nns_addr_spec *s, const char *label,
		 struct nns_error *e)
{
	char what[128];

	snprintf(what, sizeof(what), "address del %s", label);
	return addr_change(ns, RTM_DELADDR, 0, s, what, e);
}
