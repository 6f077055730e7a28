// SPDX-License-Identifier: MIT
/*
 * Seeds for the fuzz targets: dumps links, addresses, routes and
 * neighbours of the namespace it runs in, and provokes a few errors and
 * acks, saving the kernel's replies under DIR/<target>/ renumbered as
 * answers to the fake socket's first request (fake_nl.h).  A development
 * tool, run by fuzz/capture.lua inside the sandbox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "fake_nl.h"

/* Seeds are kept small: whole dumps up to this size, single messages apart. */
#define SEED_MAX 16384
#define SINGLES_MAX 8

static char rx[1 << 16];
static const char *dir;

static struct mnl_socket *open_socket(int cap_ack)
{
	struct mnl_socket *sk = mnl_socket_open(NETLINK_ROUTE);
	int one = 1;

	if (!sk || mnl_socket_setsockopt(sk, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    (cap_ack && mnl_socket_setsockopt(sk, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) ||
	    mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink socket");
		exit(1);
	}
	return sk;
}

static void save(const char *target, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	mkdir(path, 0755);	/* a new target's directory; EEXIST otherwise */
	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Renumbers the messages of @buf as the fake socket's; returns the length kept. */
static size_t renumber(char *buf, size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		nlh->nlmsg_seq = 1;
		nlh->nlmsg_pid = FAKE_PORTID;
	}
	return len - (size_t)(left > 0 ? left : 0);
}

/* Sends @req and gathers every reply up to the ack or NLMSG_DONE into @out. */
static size_t exchange(struct mnl_socket *sk, struct nlmsghdr *req, char *out, size_t cap)
{
	size_t len = 0;
	int done = 0;

	req->nlmsg_seq = 1;
	if (mnl_socket_sendto(sk, req, req->nlmsg_len) < 0) {
		perror("send");
		exit(1);
	}
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(sk, rx, sizeof(rx));
		struct nlmsghdr *nlh = (struct nlmsghdr *)rx;
		int left = (int)n;

		if (n <= 0) {
			perror("recv");
			exit(1);
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			size_t step = NLMSG_ALIGN(nlh->nlmsg_len);

			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
				done = 1;
			if (len + step <= cap) {
				memcpy(out + len, nlh, nlh->nlmsg_len);
				len += step;
			}
		}
	}
	return renumber(out, len);
}

/* The dump of @type as one seed (its first SEED_MAX bytes, DONE last) and single messages. */
static void dump(struct mnl_socket *sk, const char *target, uint16_t type, size_t hdrlen)
{
	static char all[1 << 20], seed[SEED_MAX];
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *req = mnl_nlmsg_put_header(buf), *nlh, *done = NULL;
	size_t len, seed_len = 0;
	int left, singles = 0;

	req->nlmsg_type = type;
	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	memset(mnl_nlmsg_put_extra_header(req, hdrlen), 0, hdrlen);
	len = exchange(sk, req, all, sizeof(all));
	left = (int)len;
	for (nlh = (struct nlmsghdr *)all; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);
		char name[32];

		if (nlh->nlmsg_type == NLMSG_DONE) {
			done = nlh;
			break;
		}
		if (seed_len + step + NLMSG_HDRLEN + 4 <= sizeof(seed)) {
			memcpy(seed + seed_len, nlh, step);
			seed_len += step;
		}
		if (singles < SINGLES_MAX) {
			snprintf(name, sizeof(name), "msg-%d", singles++);
			save(target, name, nlh, nlh->nlmsg_len);
		}
	}
	if (done) {
		memcpy(seed + seed_len, done, done->nlmsg_len);
		seed_len += done->nlmsg_len;
	}
	save(target, "dump", seed, seed_len);
	printf("%s: %zu bytes of dump, %d single messages\n", target, seed_len, singles);
}

/* A link request of @type for @name (of @kind), saved with its answer: an error or an ack. */
static void ack(struct mnl_socket *sk, const char *seed, uint16_t type, const char *name,
		const char *kind)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], out[8192];
	struct nlmsghdr *req = mnl_nlmsg_put_header(buf);
	size_t len;

	req->nlmsg_type = type;
	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (type == RTM_NEWLINK)
		req->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	memset(mnl_nlmsg_put_extra_header(req, sizeof(struct ifinfomsg)), 0,
	       sizeof(struct ifinfomsg));
	mnl_attr_put_strz(req, IFLA_IFNAME, name);
	if (kind) {
		struct nlattr *info = mnl_attr_nest_start(req, IFLA_LINKINFO);

		mnl_attr_put_strz(req, IFLA_INFO_KIND, kind);
		mnl_attr_nest_end(req, info);
	}
	len = exchange(sk, req, out, sizeof(out));
	save("ack", seed, out, len);
	printf("ack: %s, %zu bytes\n", seed, len);
}

int main(int argc, char **argv)
{
	static const char *const targets[] = { "link", "addr", "route", "neigh", "ack" };
	struct mnl_socket *sk, *uncapped;
	char path[4096];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, targets[i]);
		if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
		    (mkdir(path, 0755) < 0 && errno != EEXIST)) {
			perror(path);
			return 1;
		}
	}
	sk = open_socket(1);
	uncapped = open_socket(0);
	dump(sk, "link", RTM_GETLINK, sizeof(struct ifinfomsg));
	dump(sk, "addr", RTM_GETADDR, sizeof(struct ifaddrmsg));
	dump(sk, "route", RTM_GETROUTE, sizeof(struct rtmsg));
	dump(sk, "neigh", RTM_GETNEIGH, sizeof(struct ndmsg));
	dump(sk, "rule", RTM_GETRULE, sizeof(struct fib_rule_hdr));
	ack(sk, "exists", RTM_NEWLINK, "lo", "bridge");
	ack(sk, "unknown-kind", RTM_NEWLINK, "x0", "nosuchkind");
	ack(uncapped, "unknown-kind-uncapped", RTM_NEWLINK, "x0", "nosuchkind");
	ack(sk, "get-lo", RTM_GETLINK, "lo", NULL);
	ack(sk, "get-missing", RTM_GETLINK, "nosuchdev", NULL);
	ack(sk, "set-lo", RTM_SETLINK, "lo", NULL);
	mnl_socket_close(uncapped);
	mnl_socket_close(sk);
	return 0;
}
