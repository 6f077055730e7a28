// SPDX-License-Identifier: MIT
/*
 * ICMP echo from inside a namespace, to many targets at once: one raw
 * socket per family, opened inside the namespace, every request sent
 * before any reply is awaited.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"

struct echo {
	// cppcheck-suppress unusedStructMember ; part of the ICMP header, always 0
	uint8_t type, code;
	uint16_t sum, id, seq;
	uint64_t sent_ns; /* our payload: when it left */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint16_t checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		/* Every byte is set; the analyzer loses initializers read bytewise. */
		// NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Raw ICMP sockets of both families, opened inside @ns. */
static int open_sockets(struct nns_ns *ns, int fds[2], struct nns_error *e)
{
	int saved, ret = 0;

	if (nns_ns_enter(ns, &saved, e) < 0)
		return -e->code;
	fds[0] = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
	fds[1] = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
	if (fds[0] < 0 || fds[1] < 0)
		ret = -errno;
	nns_ns_leave(saved);
	if (ret < 0) {
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
	}
	return ret;
}

static int send_echo(int fd, const struct nns_ping_target *t, uint16_t id, uint16_t seq)
{
	struct echo msg = { .id = htons(id), .seq = htons(seq), .sent_ns = now_ns() };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr *sa = (struct sockaddr *)&sin;
	socklen_t salen = sizeof(sin);

	if (t->family == AF_INET) {
		msg.type = ICMP_ECHO;
		memcpy(&sin.sin_addr, t->addr, 4);
		msg.sum = checksum(&msg, sizeof(msg));
	} else {
		msg.type = ICMP6_ECHO_REQUEST; /* the kernel sums ICMPv6 */
		memcpy(&sin6.sin6_addr, t->addr, 16);
		sa = (struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	}
	if (sendto(fd, &msg, sizeof(msg), 0, sa, salen) < 0)
		return -errno;
	return 0;
}

/* Matches one received reply to its target; IPv4 replies come with their IP header. */
static void take_reply(int fd, int family, uint16_t id, struct nns_ping_target *t, size_t n)
{
	uint8_t buf[1500];
	struct echo r;
	uint16_t seq;
	ssize_t len;
	size_t off = 0;

	len = recv(fd, buf, sizeof(buf), 0);
	if (family == AF_INET && len >= (ssize_t)sizeof(struct iphdr))
		off = (size_t)(buf[0] & 0x0f) * 4;
	if (len < (ssize_t)(off + sizeof(r)))
		return;
	/* Copied out: after an IP header of any length the echo is not aligned. */
	memcpy(&r, buf + off, sizeof(r));
	if (r.type != (family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY) || ntohs(r.id) != id)
		return;
	seq = ntohs(r.seq);
	if (seq < n && t[seq].family == family && !t[seq].replied) {
		t[seq].replied = true;
		t[seq].rtt_us = (uint32_t)((now_ns() - r.sent_ns) / 1000);
	}
}

static size_t pending(const struct nns_ping_target *t, size_t n)
{
	size_t i, left = 0;

	for (i = 0; i < n; i++)
		left += !t[i].replied;
	return left;
}

int nns_ping(struct nns_ns *ns, struct nns_ping_target *t, size_t n, int count, int timeout_ms,
	     struct nns_error *e)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	/* Tells our replies from other pingers' in the namespace: no secret. */
	uint16_t id = (uint16_t)(getpid() ^ rand()); // NOLINT(cert-msc30-c)
	int fds[2] = { -1, -1 }, round, ret;
	bool interrupted = false;
	size_t i;

	if (n > 65535)
		return -E2BIG;
	ret = open_sockets(ns, fds, e);
	if (ret < 0) {
		nns_error_set(e, -ret, "ping");
		return ret;
	}
	/* Requests go out once per round, a round every timeout/count. */
	for (round = 0; round < count && pending(t, n) && !interrupted; round++) {
		uint64_t round_end = now_ns() + (uint64_t)timeout_ms * 1000000u / (unsigned)count;

		for (i = 0; i < n; i++)
			if (!t[i].replied)
				send_echo(fds[t[i].family == AF_INET6], &t[i], id, (uint16_t)i);
		if (round + 1 == count)
			round_end = deadline;
		while (pending(t, n)) {
			struct pollfd pfd[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
			uint64_t now = now_ns();

			if (now >= round_end)
				break;
			/*
			 * A signal ends it (nslua's Ctrl-C then stops the
			 * script): what has not answered yet has not.
			 */
			if (poll(pfd, 2, (int)((round_end - now) / 1000000u) + 1) < 0) {
				interrupted = errno == EINTR;
				break;
			}
			if (pfd[0].revents & POLLIN)
				take_reply(fds[0], AF_INET, id, t, n);
			if (pfd[1].revents & POLLIN)
				take_reply(fds[1], AF_INET6, id, t, n);
		}
	}
	close(fds[0]);
	close(fds[1]);
	return (int)(n - pending(t, n));
}
