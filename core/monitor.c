// SPDX-License-Identifier: MIT
/*
 * Events: a socket in a namespace's multicast groups, as `ip monitor` uses,
 * so that callers learn of changes instead of polling for them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netns.h"

static const struct {
	unsigned kind;
	int group;
} groups[] = {
	{ NNS_EV_LINK, RTNLGRP_LINK },	      { NNS_EV_ADDR, RTNLGRP_IPV4_IFADDR },
	{ NNS_EV_ADDR, RTNLGRP_IPV6_IFADDR }, { NNS_EV_ROUTE, RTNLGRP_IPV4_ROUTE },
	{ NNS_EV_ROUTE, RTNLGRP_IPV6_ROUTE }, { NNS_EV_NEIGH, RTNLGRP_NEIGH },
	{ NNS_EV_RULE, RTNLGRP_IPV4_RULE },   { NNS_EV_RULE, RTNLGRP_IPV6_RULE },
};

/* Notifications are single messages; a link with all its statistics is the largest. */
static __thread char event_buf[32768];

static int join_groups(int fd, unsigned kinds)
{
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		int group = groups[i].group;

		if ((kinds & groups[i].kind) &&
		    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
			return -errno;
	}
	return 0;
}

/* The socket is made in the calling thread's namespace, which must be @ns's. */
static int open_here(unsigned kinds, int rcvbuf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)) {
		ret = -errno;
		goto fail;
	}
	ret = join_groups(fd, kinds);
	if (ret < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return ret;
}

int nns_monitor_open(const struct nns_ns *ns, unsigned kinds, int rcvbuf, int *fd,
		     struct nns_error *e)
{
	int saved, ret;

	ret = nns_ns_enter(ns, &saved, e);
	if (ret < 0)
		return ret;
	ret = open_here(kinds, rcvbuf);
	nns_ns_leave(saved);
	if (ret < 0) {
		nns_error_set(e, -ret, "monitor");
		return ret;
	}
	*fd = ret;
	return 0;
}

int nns_monitor_read(int fd, nns_event_cb cb, void *data)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)event_buf;
	ssize_t n;
	int count = 0;

	do
		n = recv(fd, event_buf, sizeof(event_buf), MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if ((size_t)n > sizeof(event_buf))
		return -ENOBUFS; /* an event cut short is an event lost */
	for (; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR ||
		    nlh->nlmsg_type == NLMSG_NOOP)
			continue;
		count++;
		if (cb(nlh, data) < 0)
			break;
	}
	return count;
}

int nns_wait_readable(const int *fds, size_t n, int timeout_ms)
{
	struct pollfd few[16], *pfd = n <= 16 ? few : calloc(n, sizeof(*pfd));
	size_t i;
	int ret;

	if (!pfd)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	ret = poll(pfd, n, timeout_ms);
	if (ret < 0) {
		ret = -errno; /* EINTR included: the caller decides whether to go on */
	} else if (ret == 0) {
		ret = -ETIMEDOUT;
	} else {
		for (i = 0; i + 1 < n && !pfd[i].revents; i++)
			;
		ret = (int)i;
	}
	if (pfd != few)
		free(pfd);
	return ret;
}
