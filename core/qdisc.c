// SPDX-License-Identifier: MIT
/* Traffic shaping: a token bucket (tbf) as a link's root qdisc. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "netns.h"

int nns_shape(struct nns_ns *ns, int ifindex, const char *label, const struct nns_shaping *s,
	      struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 }, what[64];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tc_tbf_qopt qopt = { 0 };
	struct nlattr *opts;
	struct tcmsg *tcm;

	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = TC_H_ROOT;
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	/* A link-layer-aware rate needs no rate table; the burst sets the bucket. */
	qopt.rate.linklayer = TC_LINKLAYER_ETHERNET;
	qopt.rate.rate = s->rate > UINT32_MAX ? UINT32_MAX : (uint32_t)s->rate;
	qopt.limit = s->limit;
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(qopt), &qopt);
	if (s->rate > UINT32_MAX)
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, s->rate);
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, s->burst);
	mnl_attr_nest_end(nlh, opts);
	snprintf(what, sizeof(what), "qdisc add %s tbf", label);
	return nns_ns_request(ns, nlh, what, e);
}
