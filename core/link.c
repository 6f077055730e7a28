// SPDX-License-Identifier: MIT
/* Links: list, look up, create (veth, bridge, macvlan, vxlan, ...), change, delete. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <libmnl/libmnl.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "netns.h"

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int nns_valid_ifname(const char *name, const char **why)
{
	if (!*name)
		*why = "must not be empty";
	else if (strlen(name) >= IFNAMSIZ)
		*why = "longer than 15 bytes";
	else if (!strcmp(name, ".") || !strcmp(name, ".."))
		*why = "must not be '.' or '..'";
	else if (strpbrk(name, "/: \t\n\v\f\r"))
		*why = "must not contain '/', ':' or white space";
	else if (strchr(name, '%'))
		/* the kernel would take it as a pattern: "br%d" makes br0, br1... */
		*why = "must not contain '%'";
	else if (has_control(name))
		*why = "must not contain control characters";
	else
		return 0;
	return -EINVAL;
}

const char *nns_operstate_name(uint8_t state)
{
	static const char *const names[] = {
		"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "UNKNOWN";
}

const char *nns_link_type_name(uint16_t type)
{
	switch (type) {
	case ARPHRD_ETHER: return "ether";
	case ARPHRD_LOOPBACK: return "loopback";
	case ARPHRD_NONE: return "none";
	case ARPHRD_VOID: return "void";
	case ARPHRD_IPGRE: return "gre";
	case ARPHRD_TUNNEL: return "ipip";
	case ARPHRD_TUNNEL6: return "tunnel6";
	case ARPHRD_SIT: return "sit";
	case ARPHRD_PPP: return "ppp";
	case ARPHRD_IEEE80211: return "ieee802.11";
	case ARPHRD_INFINIBAND: return "infiniband";
	default: return "unknown";
	}
}

/* ---- reading ------------------------------------------------------------ */

/*
 * Indexes the attributes of a link message by type, up to IFLA_MAX: a
 * plain walk rather than mnl_attr_parse, whose call into a callback (and
 * four more into libmnl) for each of a link's fifty-odd attributes cost
 * more than the rest of its decoding.  The walk stops, as libmnl's does, at
 * the first attribute that does not fit in the message.
 */
static void index_link_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg));

	while (off + sizeof(struct nlattr) <= nlh->nlmsg_len) {
		const struct nlattr *attr = (const struct nlattr *)((const char *)nlh + off);
		uint16_t type = attr->nla_type & NLA_TYPE_MASK;

		if (attr->nla_len < sizeof(*attr) || attr->nla_len > nlh->nlmsg_len - off)
			break;
		if (type <= IFLA_MAX)
			tb[type] = attr;
		off += NLA_ALIGN(attr->nla_len);
	}
}

/* Drops the attributes of @tb that are not of the form the decoder reads. */
static void drop_malformed(const struct nlattr **tb)
{
	static const struct {
		uint16_t type;
		enum mnl_attr_data_type form;
	} forms[] = {
		{ IFLA_IFNAME, MNL_TYPE_NUL_STRING },  { IFLA_QDISC, MNL_TYPE_NUL_STRING },
		{ IFLA_IFALIAS, MNL_TYPE_NUL_STRING }, { IFLA_MTU, MNL_TYPE_U32 },
		{ IFLA_MIN_MTU, MNL_TYPE_U32 },	       { IFLA_MAX_MTU, MNL_TYPE_U32 },
		{ IFLA_TXQLEN, MNL_TYPE_U32 },	       { IFLA_GROUP, MNL_TYPE_U32 },
		{ IFLA_PROMISCUITY, MNL_TYPE_U32 },    { IFLA_MASTER, MNL_TYPE_U32 },
		{ IFLA_LINK, MNL_TYPE_U32 },	       { IFLA_LINK_NETNSID, MNL_TYPE_U32 },
		{ IFLA_OPERSTATE, MNL_TYPE_U8 },       { IFLA_LINKINFO, MNL_TYPE_NESTED },
	};
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const struct nlattr **a = &tb[forms[i].type];

		if (*a && mnl_attr_validate(*a, forms[i].form) < 0)
			*a = NULL;
	}
}

static int linkinfo_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		tb[IFLA_INFO_KIND] = attr;
	return MNL_CB_OK;
}

static uint32_t u32_or(const struct nlattr *attr, uint32_t dflt)
{
	return attr ? mnl_attr_get_u32(attr) : dflt;
}

static const char *str_or_null(const struct nlattr *attr)
{
	return attr ? mnl_attr_get_str(attr) : NULL;
}

int nns_link_parse(const struct nlmsghdr *nlh, struct nns_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *info[IFLA_INFO_MAX + 1] = { 0 };
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return -EBADMSG;
	index_link_attrs(nlh, tb);
	drop_malformed(tb);
	if (!tb[IFLA_IFNAME])
		return -EBADMSG;
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->type = ifi->ifi_type;
	l->ifname = mnl_attr_get_str(tb[IFLA_IFNAME]);
	l->mtu = u32_or(tb[IFLA_MTU], 0);
	l->min_mtu = u32_or(tb[IFLA_MIN_MTU], 0);
	l->max_mtu = u32_or(tb[IFLA_MAX_MTU], 0);
	l->txqlen = u32_or(tb[IFLA_TXQLEN], 0);
	l->group = u32_or(tb[IFLA_GROUP], 0);
	l->promiscuity = u32_or(tb[IFLA_PROMISCUITY], 0);
	l->operstate = tb[IFLA_OPERSTATE] ? mnl_attr_get_u8(tb[IFLA_OPERSTATE]) : IF_OPER_UNKNOWN;
	l->master = (int)u32_or(tb[IFLA_MASTER], 0);
	l->link = (int)u32_or(tb[IFLA_LINK], 0);
	l->has_link_netnsid = tb[IFLA_LINK_NETNSID] != NULL;
	l->link_netnsid = (int)u32_or(tb[IFLA_LINK_NETNSID], 0);
	l->alias = str_or_null(tb[IFLA_IFALIAS]);
	l->qdisc = str_or_null(tb[IFLA_QDISC]);
	if (tb[IFLA_ADDRESS]) {
		l->address = mnl_attr_get_payload(tb[IFLA_ADDRESS]);
		l->addrlen = mnl_attr_get_payload_len(tb[IFLA_ADDRESS]);
	}
	if (tb[IFLA_BROADCAST]) {
		l->broadcast = mnl_attr_get_payload(tb[IFLA_BROADCAST]);
		l->brdlen = mnl_attr_get_payload_len(tb[IFLA_BROADCAST]);
	}
	if (tb[IFLA_LINKINFO]) {
		mnl_attr_parse_nested(tb[IFLA_LINKINFO], linkinfo_attr, info);
		l->kind = str_or_null(info[IFLA_INFO_KIND]);
	}
	return 0;
}

static struct nlmsghdr *put_ifinfo(void *buf, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

/*
 * Records carry no counters: without them a link message is a third of
 * the size, and the kernel need not sum per-CPU statistics for each device.
 */
static void skip_stats(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
}

struct link_each {
	nns_link_cb cb;
	void *data;
};

static int link_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct link_each *x = arg;
	struct nns_link l;

	return nns_link_parse(nlh, &l) < 0 ? 0 : x->cb(&l, x->data);
}

int nns_link_dump(struct nns_ns *ns, nns_link_cb cb, void *data, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = put_ifinfo(buf, RTM_GETLINK, 0, 0);
	struct link_each x = { cb, data };

	skip_stats(nlh);
	return nns_dump_each(ns, nlh, "link show", link_msg, &x, e);
}

int nns_ifindex(struct nns_ns *ns, const char *name)
{
	struct ifreq ifr = { 0 };
	struct nns_nl *nl;
	int ret;

	if (strlen(name) >= IF_NAMESIZE)
		return -ENODEV;
	ret = nns_ns_nl(ns, &nl, NULL);
	if (ret < 0)
		return ret;
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(nns_nl_fd(nl), SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	return ifr.ifr_ifindex;
}

int nns_ifname(struct nns_ns *ns, int ifindex, char name[IF_NAMESIZE])
{
	struct ifreq ifr = { .ifr_ifindex = ifindex };
	struct nns_nl *nl;
	int ret;

	ret = nns_ns_nl(ns, &nl, NULL);
	if (ret < 0)
		return ret;
	/* Any socket answers for its own namespace; the handle's is at hand. */
	if (ioctl(nns_nl_fd(nl), SIOCGIFNAME, &ifr) < 0)
		return -errno;
	memcpy(name, ifr.ifr_name, IF_NAMESIZE);
	name[IF_NAMESIZE - 1] = '\0';
	return 0;
}

int nns_link_get(struct nns_ns *ns, const char *ifname, int ifindex, struct nns_msgs *msg,
		 struct nns_link *l, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	struct nns_nl *nl;
	int ret;

	ret = nns_ns_nl(ns, &nl, e);
	if (ret < 0)
		return ret;
	nlh = put_ifinfo(buf, RTM_GETLINK, 0, ifname ? 0 : ifindex);
	if (ifname)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	skip_stats(nlh);
	msg->len = 0;
	ret = nns_nl_request(nl, nlh, msg, e);
	if (ret == 0)
		ret = msg->len ? nns_link_parse((struct nlmsghdr *)msg->buf, l) : -ENODEV;
	if (ret < 0) {
		if (ifname)
			nns_error_set(e, -ret, "link show %s", ifname);
		else
			nns_error_set(e, -ret, "link show %d", ifindex);
	}
	return ret;
}

/* ---- creating ----------------------------------------------------------- */

static void put_up(struct nlmsghdr *nlh, bool up)
{
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_change |= IFF_UP;
	if (up)
		ifi->ifi_flags |= IFF_UP;
	else
		ifi->ifi_flags &= ~IFF_UP;
}

static bool put_lladdr(struct nlmsghdr *nlh, uint16_t type, const uint8_t *a, size_t len)
{
	return !a || mnl_attr_put_check(nlh, NNS_MSG_SIZE, type, len, a);
}

static int put_veth_peer(struct nlmsghdr *nlh, const struct nns_link_spec *s)
{
	struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	struct ifinfomsg *ifi;

	/* The peer's own header, then its attributes, all inside the nest. */
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	/* Not up yet: a veth end cannot open before its peer is registered. */
	if (s->peer_name && !mnl_attr_put_strz_check(nlh, NNS_MSG_SIZE, IFLA_IFNAME, s->peer_name))
		return -EMSGSIZE;
	if (s->peer_ns)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)s->peer_ns->fd);
	if (s->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, s->mtu);
	if (!put_lladdr(nlh, IFLA_ADDRESS, s->peer_address, s->peer_addrlen))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, peer);
	return 0;
}

static int put_inet(struct nlmsghdr *nlh, uint16_t type4, uint16_t type6, const char *text)
{
	struct nns_prefix p;
	const char *why;

	if (nns_parse_prefix(text, false, &p, &why) < 0)
		return -EINVAL;
	if (p.family == AF_INET)
		mnl_attr_put(nlh, type4, 4, p.bytes);
	else
		mnl_attr_put(nlh, type6, 16, p.bytes);
	return 0;
}

static int put_vxlan(struct nlmsghdr *nlh, const struct nns_link_spec *s)
{
	if (!s->has_vni)
		return -EINVAL;
	mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, s->vni);
	if (s->port)
		mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(s->port));
	if (s->link)
		mnl_attr_put_u32(nlh, IFLA_VXLAN_LINK, (uint32_t)s->link);
	if (s->ttl)
		mnl_attr_put_u8(nlh, IFLA_VXLAN_TTL, s->ttl);
	if (s->group && put_inet(nlh, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, s->group) < 0)
		return -EINVAL;
	if (s->local && put_inet(nlh, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, s->local) < 0)
		return -EINVAL;
	return 0;
}

static int macvlan_mode(const char *mode, uint32_t *out)
{
	static const struct {
		const char *name;
		uint32_t mode;
	} modes[] = {
		{ "private", MACVLAN_MODE_PRIVATE }, { "vepa", MACVLAN_MODE_VEPA },
		{ "bridge", MACVLAN_MODE_BRIDGE },   { "passthru", MACVLAN_MODE_PASSTHRU },
		{ "source", MACVLAN_MODE_SOURCE },
	};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(mode, modes[i].name)) {
			*out = modes[i].mode;
			return 0;
		}
	return -EINVAL;
}

static int put_info_data(struct nlmsghdr *nlh, const struct nns_link_spec *s)
{
	struct nlattr *data;
	uint32_t mode;
	int ret = 0;

	if (!strcmp(s->kind, "veth") && !s->peer_name && !s->peer_ns && !s->peer_address)
		return 0;
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	if (!strcmp(s->kind, "veth")) {
		ret = put_veth_peer(nlh, s);
	} else if (!strcmp(s->kind, "vxlan")) {
		ret = put_vxlan(nlh, s);
	} else if (!strcmp(s->kind, "vlan")) {
		if (!s->has_vni || s->vni > 4094)
			ret = -EINVAL;
		else
			mnl_attr_put_u16(nlh, IFLA_VLAN_ID, (uint16_t)s->vni);
	} else if (s->mode) {
		ret = macvlan_mode(s->mode, &mode);
		if (ret == 0)
			mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, mode);
	}
	mnl_attr_nest_end(nlh, data);
	return ret;
}

/* Builds an RTM_NEWLINK creating @s into @nlh (a buffer of NNS_MSG_SIZE). */
int nns_link_put_add(struct nlmsghdr *nlh, const struct nns_link_spec *s)
{
	struct nlattr *info;
	struct ifinfomsg *ifi;
	int ret;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (s->up)
		put_up(nlh, true);
	if (s->name && !mnl_attr_put_strz_check(nlh, NNS_MSG_SIZE, IFLA_IFNAME, s->name))
		return -EMSGSIZE;
	if (s->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, s->mtu);
	if (s->has_txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, s->txqlen);
	if (s->master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)s->master);
	if (s->ns)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)s->ns->fd);
	if (s->link && strcmp(s->kind, "vxlan") != 0)
		mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)s->link);
	if (!put_lladdr(nlh, IFLA_ADDRESS, s->address, s->addrlen))
		return -EMSGSIZE;
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	if (!mnl_attr_put_strz_check(nlh, NNS_MSG_SIZE, IFLA_INFO_KIND, s->kind))
		return -EMSGSIZE;
	ret = put_info_data(nlh, s);
	mnl_attr_nest_end(nlh, info);
	return ret;
}

/* The kernel does not say which name of a veth pair was taken: find out. */
static void explain_taken(struct nns_ns *ns, const struct nns_link_spec *s, struct nns_error *e)
{
	struct nns_msgs msg = { 0 };
	struct nns_link l;
	int ret = e && !e->ext[0] ? nns_link_get(ns, s->name, 0, &msg, &l, NULL) : -EEXIST;

	if (ret == -ENODEV)
		snprintf(e->ext, sizeof(e->ext), "the peer name %s is taken%s", s->peer_name,
			 s->peer_ns ? " in the peer namespace" : "");
	else if (ret == 0 && s->ns) /* the call's own namespace is not where it looked */
		snprintf(e->ext, sizeof(e->ext),
			 "the name %s is taken in the namespace of option 'ns'", s->name);
	nns_msgs_free(&msg);
}

/*
 * Where the peer of new veth @s is, made from @ns in @home, and its index
 * (0: find it by name).  Given peer_ns, it is there.  Otherwise it is
 * where the request was made, or, on later kernels, where the link went
 * (ns=): the first end, read back, tells which, and names the peer when
 * the kernel named it.
 */
static struct nns_ns *find_peer(struct nns_ns *ns, struct nns_ns *home,
				const struct nns_link_spec *s, int *index)
{
	struct nns_msgs msg = { 0 };
	struct nns_ns *where = NULL;
	struct nns_link l;

	*index = 0;
	if (s->peer_ns)
		where = s->peer_ns;
	else if (home == ns && s->peer_name)
		where = ns;
	if (where && s->peer_name)
		return where;
	if (nns_link_get(home, s->name, 0, &msg, &l, NULL) == 0 && l.link > 0) {
		*index = s->peer_name ? 0 : l.link;
		if (!where)
			where = l.has_link_netnsid ? ns : home;
	}
	nns_msgs_free(&msg);
	return (s->peer_name || *index) ? where : NULL;
}

/* Brings up the peer of new veth @s, made from @ns in @home. */
static int peer_up(struct nns_ns *ns, struct nns_ns *home, const struct nns_link_spec *s,
		   struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh;
	struct nns_nl *nl;
	int index, ret;
	struct nns_ns *where = find_peer(ns, home, s, &index);

	if (!where)
		return -ENODEV;
	ret = nns_ns_nl(where, &nl, e);
	if (ret < 0)
		return ret;
	nlh = put_ifinfo(buf, RTM_NEWLINK, NLM_F_REQUEST, index);
	put_up(nlh, true);
	if (s->peer_name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, s->peer_name);
	return nns_nl_request(nl, nlh, NULL, e);
}

int nns_link_add(struct nns_ns *ns, const struct nns_link_spec *s, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nns_ns *home = s->ns ? s->ns : ns; /* where the link is made */
	struct nns_nl *nl;
	int ret;

	ret = nns_ns_nl(ns, &nl, e);
	if (ret < 0)
		return ret;
	ret = nns_link_put_add(nlh, s);
	if (ret == 0)
		ret = nns_nl_request(nl, nlh, NULL, e);
	if (ret == 0 && s->up && s->name && !strcmp(s->kind, "veth")) {
		ret = peer_up(ns, home, s, e);
		/* Deleting one end, where it was made, removes both: nothing half-made stays. */
		if (ret < 0 && nns_ns_nl(home, &nl, NULL) == 0) {
			struct nlmsghdr *del = put_ifinfo(buf, RTM_DELLINK, NLM_F_REQUEST, 0);

			mnl_attr_put_strz(del, IFLA_IFNAME, s->name);
			nns_nl_request(nl, del, NULL, NULL);
		}
	}
	if (ret == -EEXIST && s->name && s->peer_name && !strcmp(s->kind, "veth"))
		explain_taken(home, s, e);
	if (ret < 0)
		nns_error_set(e, -ret, "link add %s", s->name ? s->name : s->kind);
	return ret;
}

/* ---- changing and deleting ---------------------------------------------- */

int nns_link_put_set(struct nlmsghdr *nlh, int ifindex, const struct nns_link_change *c)
{
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (c->has_up)
		put_up(nlh, c->up);
	if (c->ns)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)c->ns->fd);
	if (c->name && !mnl_attr_put_strz_check(nlh, NNS_MSG_SIZE, IFLA_IFNAME, c->name))
		return -EMSGSIZE;
	if (c->has_mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
	if (c->has_txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, c->txqlen);
	if (c->has_master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)c->master);
	if (c->alias && !mnl_attr_put_str_check(nlh, NNS_MSG_SIZE, IFLA_IFALIAS, c->alias))
		return -EMSGSIZE;
	if (!put_lladdr(nlh, IFLA_ADDRESS, c->address, c->addrlen))
		return -EMSGSIZE;
	return 0;
}

/* How many separate steps the kernel takes for @c: it stops at the first that fails. */
static int change_steps(const struct nns_link_change *c)
{
	return c->has_up + c->has_mtu + c->has_txqlen + c->has_master + !!c->name + !!c->address +
	       !!c->alias + !!c->ns;
}

/* What a link was before a change of several steps, to put it back. */
struct link_was {
	char name[IF_NAMESIZE], alias[IFALIASZ];
	uint8_t address[32];
	size_t addrlen;
	uint32_t mtu, txqlen;
	int master;
	bool up;
	int there[2]; /* in the namespace it moves to: the links named as it may be there, or 0 */
};

static int remember_link(struct nns_ns *ns, int ifindex, const struct nns_link_change *c,
			 struct link_was *w)
{
	struct nns_msgs msg = { 0 };
	struct nns_link l;
	int ret = nns_link_get(ns, NULL, ifindex, &msg, &l, NULL);

	if (ret == 0) {
		snprintf(w->name, sizeof(w->name), "%s", l.ifname);
		snprintf(w->alias, sizeof(w->alias), "%s", l.alias ? l.alias : "");
		w->addrlen = l.address && l.addrlen <= sizeof(w->address) ? l.addrlen : 0;
		if (w->addrlen)
			memcpy(w->address, l.address, w->addrlen);
		w->mtu = l.mtu;
		w->txqlen = l.txqlen;
		w->master = l.master;
		w->up = l.flags & IFF_UP;
	}
	nns_msgs_free(&msg);
	if (ret == 0 && c->ns) {
		w->there[0] = nns_ifindex((struct nns_ns *)c->ns, w->name);
		w->there[1] = c->name ? nns_ifindex((struct nns_ns *)c->ns, c->name) : 0;
	}
	return ret;
}

/*
 * Where link @ifindex of @ns is after a change @c that failed: here, or
 * moved to c->ns under its old name or the new one (but not as one of the
 * links that had those names there before).  Returns its index there.
 */
static int find_link(struct nns_ns *ns, int ifindex, const struct nns_link_change *c,
		     const struct link_was *w, struct nns_ns **where)
{
	const char *names[2] = { w->name, c->name };
	char now[IF_NAMESIZE];
	int i;

	*where = ns;
	if (nns_ifname(ns, ifindex, now) == 0 &&
	    (!strcmp(now, w->name) || (c->name && !strcmp(now, c->name))))
		return ifindex;
	*where = (struct nns_ns *)c->ns;
	for (i = 0; c->ns && i < 2; i++) {
		int found = names[i] ? nns_ifindex(*where, names[i]) : -ENODEV;

		if (found > 0 && found != w->there[i])
			return found;
	}
	return -ENODEV;
}

/*
 * Undoes what a failed change @c of link @ifindex in @ns did before it
 * failed.  A link that had moved comes back without addresses: those in
 * @addrs go back on it.
 */
static int put_back(struct nns_ns *ns, int ifindex, const struct nns_link_change *c,
		    const struct link_was *w, const struct nns_addrs_kept *addrs)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nns_link_change back = { 0 };
	struct nns_ns *where;
	int at = find_link(ns, ifindex, c, w, &where), ret;
	bool moved = where != ns;

	if (at < 0)
		return at;
	back.ns = moved ? ns : NULL;
	back.name = c->name ? w->name : NULL;
	back.has_mtu = c->has_mtu, back.mtu = w->mtu;
	back.has_txqlen = c->has_txqlen, back.txqlen = w->txqlen;
	back.alias = c->alias ? w->alias : NULL;
	back.address = c->address && w->addrlen ? w->address : NULL;
	back.addrlen = w->addrlen;
	/* A move takes a link down and out of its bridge. */
	back.has_master = c->has_master || (moved && w->master), back.master = w->master;
	back.has_up = c->has_up || moved, back.up = w->up;
	if (nns_link_put_set(mnl_nlmsg_put_header(buf), at, &back) < 0)
		return -EMSGSIZE;
	ret = nns_ns_request(where, (struct nlmsghdr *)buf, "link set", NULL);
	if (ret == 0 && moved) {
		/* the kernel keeps its index when it can, not always */
		at = nns_ifindex(ns, w->name);
		if (at > 0)
			nns_addrs_restore(ns, at, addrs);
	}
	return ret;
}

int nns_link_set(struct nns_ns *ns, int ifindex, const char *label, const struct nns_link_change *c,
		 struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 }, what[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct link_was was = { 0 };
	struct nns_addrs_kept addrs = { 0 };
	bool several = change_steps(c) > 1;
	int ret;

	snprintf(what, sizeof(what), "link set %s", label);
	ret = nns_link_put_set(nlh, ifindex, c);
	if (ret < 0) {
		nns_error_set(e, -ret, "%s", what);
		return ret;
	}
	/* A deferred batch that fails is undone whole, by the one who deferred it. */
	if (ns->deferred && !c->ns && !c->name)
		return nns_ns_change(ns, nlh, what, e);
	/*
	 * The kernel applies the steps of one request in turn and keeps those
	 * done when one fails: a change of several is put back by hand then.
	 * (A move or a rename changes what later look-ups find: never deferred.)
	 */
	if (several && remember_link(ns, ifindex, c, &was) < 0)
		return nns_ns_request(ns, nlh, what, e); /* missing: the request says so */
	if (several && c->ns)
		nns_addrs_keep(ns, ifindex, &addrs);
	ret = nns_ns_request(ns, nlh, what, e);
	if (ret < 0 && several)
		put_back(ns, ifindex, c, &was, &addrs);
	nns_addrs_kept_free(&addrs);
	return ret;
}

int nns_link_del(struct nns_ns *ns, int ifindex, const char *label, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 }, what[128];

	snprintf(what, sizeof(what), "link del %s", label);
	return nns_ns_request(ns, put_ifinfo(buf, RTM_DELLINK, NLM_F_REQUEST, ifindex), what, e);
}
