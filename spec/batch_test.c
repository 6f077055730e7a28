// SPDX-License-Identifier: MIT
/*
 * Pipelined requests against a real kernel (spec/batch_spec.lua runs it in
 * the sandbox): N address additions on lo of a fresh namespace in one batch,
 * some of them bad on purpose, at the positions given:
 *
 *   batch_test N [INDEX:KIND ...]     KIND: dup (the address of the request
 *                                     before), nodev (no such ifindex), plen
 *                                     (prefix length 33)
 *
 * It prints every failure the batch reports, "failed INDEX ENAME WHAT | EXT",
 * then what a dump finds, "landed GOOD of GOOD_EXPECTED, BAD_LANDED bad", then
 * whether the next request on the same socket works, "next ok".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "../core/netns.h"

enum { GOOD, DUP, NODEV, PLEN };

struct run {
	unsigned n;
	unsigned char *kind;
	unsigned char *seen;
	unsigned reported;
};

/* The address of request @i: 10.0.0.0 + i + 1 (a dup reuses the one before). */
static uint32_t addr_of(const struct run *r, unsigned i)
{
	return htonl(0x0a000000u + (r->kind[i] == DUP && i ? i : i + 1));
}

static void on_failure(unsigned index, const struct nns_error *e, void *data)
{
	struct run *r = data;

	r->reported++;
	printf("failed %u %s %s | %s\n", index, nns_errno_name(e->code), e->what, e->ext);
}

static int on_addr(const struct nns_addr *a, void *data)
{
	struct run *r = data;
	uint32_t v;

	if (a->family != AF_INET || !a->local)
		return 0;
	memcpy(&v, a->local, 4);
	v = ntohl(v) - 0x0a000000u;
	if (v >= 1 && v <= r->n)
		r->seen[v - 1]++;
	return 0;
}

static int put(struct nns_batch *b, const struct run *r, unsigned i)
{
	struct nns_addr_spec s = { .ifindex = 1, .scope = -1 };
	char what[64], text[INET_ADDRSTRLEN];
	uint32_t a = addr_of(r, i);
	struct nlmsghdr *nlh;

	s.local.family = AF_INET;
	s.local.len = r->kind[i] == PLEN ? 33 : 32;
	memcpy(s.local.bytes, &a, 4);
	if (r->kind[i] == NODEV)
		s.ifindex = 99999;
	inet_ntop(AF_INET, &a, text, sizeof(text));
	snprintf(what, sizeof(what), "address add %s #%u", text, i);
	nlh = nns_batch_next(b, what);
	if (!nlh)
		return -ENOMEM;
	return nns_addr_put(nlh, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &s);
}

int main(int argc, char **argv)
{
	struct nns_error e = { 0 };
	struct nns_batch b = { 0 };
	struct run r = { 0 };
	unsigned i, good = 0, good_landed = 0, bad_landed = 0;
	struct nns_nl *nl;
	struct nns_ns ns;
	int ret, arg;

	alarm(120); /* a lost ack would wait forever: fail instead */
	r.n = argc > 1 ? (unsigned)atoi(argv[1]) : 5000;
	r.kind = calloc(r.n + 1, 1);
	r.seen = calloc(r.n + 1, 1);
	for (arg = 2; arg < argc; arg++) {
		unsigned at = (unsigned)atoi(argv[arg]);
		const char *k = strchr(argv[arg], ':');

		if (!k || at >= r.n)
			return 2;
		r.kind[at] = !strcmp(k + 1, "dup") ? DUP : !strcmp(k + 1, "nodev") ? NODEV : PLEN;
	}
	if (nns_ns_new(&ns, &e) < 0 || nns_ns_nl(&ns, &nl, &e) < 0) {
		fprintf(stderr, "batch_test: %s: %s\n", e.what, strerror(e.code));
		return 1;
	}
	for (i = 0; i < r.n; i++)
		if (put(&b, &r, i) < 0)
			return 1;
	b.failed = on_failure;
	b.data = &r;
	ret = nns_batch_run(nl, &b, &e);
	printf("returned %s %s | %s\n", ret ? nns_errno_name(-ret) : "0", ret ? e.what : "",
	       ret ? e.ext : "");
	printf("reported %u\n", r.reported);
	nns_batch_free(&b);

	if (nns_addr_dump(&ns, AF_INET, 1, on_addr, &r, &e) < 0)
		return 1;
	for (i = 0; i < r.n; i++) {
		if (r.kind[i] == GOOD) {
			good++;
			good_landed += r.seen[i] == 1;
		} else if (r.kind[i] != DUP) {
			bad_landed += r.seen[i] != 0;
		}
	}
	printf("landed %u of %u, %u bad\n", good_landed, good, bad_landed);

	/* The socket is in step: the next request gets its own answer. */
	{
		struct nns_addr_spec s = { .ifindex = 1, .scope = -1 };
		uint32_t a = htonl(0x0b000001u);

		s.local.family = AF_INET;
		s.local.len = 32;
		memcpy(s.local.bytes, &a, 4);
		ret = nns_addr_add(&ns, &s, "11.0.0.1/32", &e);
		printf("next %s\n", ret == 0 ? "ok" : nns_errno_name(-ret));
		ret = nns_addr_add(&ns, &s, "11.0.0.1/32", &e);
		printf("again %s %s\n", nns_errno_name(-ret), e.what);
	}
	nns_ns_close(&ns);
	free(r.kind);
	free(r.seen);
	return 0;
}
