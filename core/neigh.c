// SPDX-License-Identifier: MIT
/* Neighbour entries (ARP and NDP): list, add, delete. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "netns.h"

static const struct {
	uint16_t bit;
	const char *name;
} nud_names[] = {
	{ NUD_INCOMPLETE, "INCOMPLETE" }, { NUD_REACHABLE, "REACHABLE" }, { NUD_STALE, "STALE" },
	{ NUD_DELAY, "DELAY" },		  { NUD_PROBE, "PROBE" },	  { NUD_FAILED, "FAILED" },
	{ NUD_NOARP, "NOARP" },		  { NUD_PERMANENT, "PERMANENT" },
};
#define N_NUD (sizeof(nud_names) / sizeof(nud_names[0]))

size_t nns_neigh_states(uint16_t state, const char **names, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < N_NUD && n < max; i++)
		if (state & nud_names[i].bit)
			names[n++] = nud_names[i].name;
	return n;
}

int nns_neigh_state_parse(const char *name, uint16_t *state)
{
	size_t i;

	if (!strcasecmp(name, "none")) { /* as ip's "nud none": an entry in no state */
		*state = NUD_NONE;
		return 0;
	}
	for (i = 0; i < N_NUD; i++)
		if (!strcasecmp(name, nud_names[i].name)) {
			*state = nud_names[i].bit;
			return 0;
		}
	return -EINVAL;
}

static int neigh_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, NDA_MAX) >= 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

int nns_neigh_parse(const struct nlmsghdr *nlh, struct nns_neigh *n)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };

	if ((nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ndm)))
		return -EBADMSG;
	if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
		return -EAFNOSUPPORT;
	mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr, tb);
	if (!nns_attr_inet(tb[NDA_DST], ndm->ndm_family))
		return -EBADMSG;
	memset(n, 0, sizeof(*n));
	n->family = ndm->ndm_family;
	n->ifindex = ndm->ndm_ifindex;
	n->state = ndm->ndm_state;
	n->flags = ndm->ndm_flags;
	n->dst = nns_attr_inet(tb[NDA_DST], n->family);
	if (tb[NDA_LLADDR]) {
		n->lladdr = mnl_attr_get_payload(tb[NDA_LLADDR]);
		n->lladdr_len = mnl_attr_get_payload_len(tb[NDA_LLADDR]);
	}
	return 0;
}

struct neigh_each {
	nns_neigh_cb cb;
	void *data;
	int ifindex;
	bool found;
};

static int neigh_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct neigh_each *x = arg;
	struct nns_neigh n;

	if (nns_neigh_parse(nlh, &n) < 0 || (x->ifindex && n.ifindex != x->ifindex))
		return 0;
	x->found = true;
	return x->cb(&n, x->data);
}

int nns_neigh_dump(struct nns_ns *ns, int family, int ifindex, bool proxy, nns_neigh_cb cb,
		   void *data, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct neigh_each x = { cb, data, ifindex, false };
	const char *what = proxy ? "neighbor show proxy" : "neighbor show";
	struct ndmsg *ndm;
	int ret;

	nlh->nlmsg_type = RTM_GETNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (uint8_t)family;
	if (proxy) /* the kernel keeps proxy entries in a table of their own */
		ndm->ndm_flags = NTF_PROXY;
	if (ifindex)
		mnl_attr_put_u32(nlh, NDA_IFINDEX, (uint32_t)ifindex);
	ret = nns_dump_each(ns, nlh, what, neigh_msg, &x, e);
	/*
	 * Filtered on a device that is not there, the kernel lists nothing
	 * rather than fail (an address dump fails): ask once the list is empty.
	 */
	if (ret == 0 && ifindex && !x.found) {
		char name[IF_NAMESIZE];

		ret = nns_ifname(ns, ifindex, name);
		if (ret < 0)
			nns_error_set(e, -ret, "%s dev %d", what, ifindex);
		else
			ret = 0;
	}
	return ret;
}

static int neigh_change(struct nns_ns *ns, uint16_t type, uint16_t flags,
			const struct nns_neigh_spec *s, const char *what, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (uint8_t)s->dst.family;
	ndm->ndm_ifindex = s->ifindex;
	ndm->ndm_state = s->has_state ? s->state : NUD_PERMANENT;
	if (s->router)
		ndm->ndm_flags |= NTF_ROUTER;
	if (s->proxy)
		ndm->ndm_flags |= NTF_PROXY;
	mnl_attr_put(nlh, NDA_DST, nns_addr_bytes(s->dst.family), s->dst.bytes);
	if (s->lladdr &&
	    !mnl_attr_put_check(nlh, NNS_MSG_SIZE, NDA_LLADDR, s->lladdr_len, s->lladdr)) {
		nns_error_set(e, EMSGSIZE, "%s", what);
		return -EMSGSIZE;
	}
	return nns_ns_request(ns, nlh, what, e);
}

struct lookup {
	const struct nns_prefix *dst;
	bool stray_only; /* only an entry in state none */
	bool found;
};

static int match_entry(const struct nns_neigh *n, void *data)
{
	struct lookup *x = data;

	if (n->family == x->dst->family && (!x->stray_only || n->state == NUD_NONE) &&
	    !memcmp(n->dst, x->dst->bytes, nns_addr_bytes(n->family)))
		x->found = true;
	return 0;
}

/* Whether @s's entry (a proxy one, or one in state none with @stray_only) is there. */
static bool entry_exists(struct nns_ns *ns, const struct nns_neigh_spec *s, bool stray_only)
{
	struct lookup x = { &s->dst, stray_only, false };

	if (nns_neigh_dump(ns, s->dst.family, s->ifindex, s->proxy, match_entry, &x, NULL) < 0)
		return false;
	return x.found;
}

/*
 * The kernel makes an entry before it finds that the state asked for needs
 * a link-layer address none was given for; it fails then, but leaves the
 * entry, in state none, where a retry with the address finds it taken.
 * Such an entry is removed, so that the failure changes nothing (the
 * caller makes sure that it was not there before).
 */
static void drop_stray(struct nns_ns *ns, const struct nns_neigh_spec *s)
{
	if (!s->proxy && entry_exists(ns, s, true))
		neigh_change(ns, RTM_DELNEIGH, 0, s, "neighbor del", NULL);
}

int nns_neigh_add(struct nns_ns *ns, const struct nns_neigh_spec *s, bool replace,
		  const char *label, struct nns_error *e)
{
	uint16_t flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
	char what[128];
	bool existed;
	int ret;

	snprintf(what, sizeof(what), "neighbor %s %s", replace ? "replace" : "add", label);
	/* The kernel makes a proxy entry that is there already again, without a word. */
	if (s->proxy && !replace && entry_exists(ns, s, false)) {
		nns_error_set(e, EEXIST, "%s", what);
		return -EEXIST;
	}
	/*
	 * A request may fail with EINVAL on an entry that was there (a replace
	 * without an address, an address of the wrong length): that one stays.
	 */
	existed = !s->proxy && entry_exists(ns, s, false);
	ret = neigh_change(ns, RTM_NEWNEIGH, flags, s, what, e);
	if (ret == -EINVAL && !existed)
		drop_stray(ns, s);
	return ret;
}

int nns_neigh_del(struct nns_ns *ns, const struct nns_neigh_spec *s, const char *label,
		  struct nns_error *e)
{
	char what[128];

	snprintf(what, sizeof(what), "neighbor del %s", label);
	return neigh_change(ns, RTM_DELNEIGH, 0, s, what, e);
}
