// SPDX-License-Identifier: MIT
/* See records.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

/* Where every byte read ends up, so that no read is optimised away. */
static volatile unsigned sink;

static void read_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	unsigned sum = 0;
	size_t i;

	for (i = 0; p && i < n; i++)
		sum += b[i];
	sink += sum;
}

static void read_str(const char *s)
{
	if (s)
		read_bytes(s, strlen(s));
}

static void read_inet(int family, const void *a)
{
	char text[INET6_ADDRSTRLEN];

	if (a && inet_ntop(family, a, text, sizeof(text)))
		read_str(text);
}

static void read_lladdr(const uint8_t *a, size_t len)
{
	char text[3 * 32];

	read_bytes(a, len);
	/* The binding formats addresses of up to 32 bytes. */
	if (a && len && len <= 32) {
		nns_format_lladdr(a, len, text);
		read_str(text);
	}
}

int read_link(const struct nns_link *l, void *data)
{
	(void)data;
	read_str(l->ifname);
	read_str(l->kind);
	read_str(l->alias);
	read_str(l->qdisc);
	read_str(nns_operstate_name(l->operstate));
	read_str(nns_link_type_name(l->type));
	read_lladdr(l->address, l->addrlen);
	read_lladdr(l->broadcast, l->brdlen);
	return 0;
}

int read_addr(const struct nns_addr *a, void *data)
{
	char scope[8];

	(void)data;
	read_inet(a->family, a->local);
	read_inet(a->family, a->address);
	read_inet(a->family, a->broadcast);
	read_str(a->label);
	read_str(nns_scope_name(a->scope, scope, sizeof(scope)));
	return 0;
}

int read_route(const struct nns_route *r, void *data)
{
	int i;

	(void)data;
	if (r->nhops < 0 || r->nhops > NNS_MAX_NEXTHOPS)
		abort();
	read_inet(r->family, r->dst);
	read_inet(r->family, r->gateway);
	read_inet(r->family, r->prefsrc);
	for (i = 0; i < r->nhops; i++)
		read_inet(r->family, r->nh[i].gateway);
	return 0;
}

int read_neigh(const struct nns_neigh *n, void *data)
{
	const char *names[16];
	size_t i, count;

	(void)data;
	read_inet(n->family, n->dst);
	read_lladdr(n->lladdr, n->lladdr_len);
	count = nns_neigh_states(n->state, names, 16);
	for (i = 0; i < count && i < 16; i++)
		read_str(names[i]);
	return 0;
}

int read_rule(const struct nns_rule *r, void *data)
{
	(void)data;
	read_inet(r->family, r->src);
	read_inet(r->family, r->dst);
	read_str(r->iif);
	read_str(r->oif);
	return 0;
}

size_t each_message(const uint8_t *data, size_t size,
		    void (*fn)(const struct nlmsghdr *nlh, void *arg), void *arg)
{
	const struct nlmsghdr *nlh = (const void *)data;
	size_t left = size, count = 0;

	/* What the engine accepts: a whole header, a length that fits. */
	while (left >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= left) {
		size_t len = nlh->nlmsg_len;
		struct nlmsghdr *copy = calloc(1, NLMSG_ALIGN(len));

		if (!copy)
			abort();
		memcpy(copy, nlh, len);
		fn(copy, arg);
		free(copy);
		count++;
		if (NLMSG_ALIGN(len) >= left)
			break;
		left -= NLMSG_ALIGN(len);
		nlh = (const void *)((const char *)nlh + NLMSG_ALIGN(len));
	}
	return count;
}
