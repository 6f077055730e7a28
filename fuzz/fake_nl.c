// SPDX-License-Identifier: MIT
/* The fake netlink socket described in fake_nl.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "fake_nl.h"

unsigned fake_nl_sends, fake_nl_recvs;
int fake_nl_follow_seq;
uint32_t fake_nl_sender;

static const void *answer;
static size_t answer_size;
static int armed;
static uint32_t last_seq;
/* Stands for the socket: libmnl's struct is opaque and never dereferenced here. */
static char token;

void fake_nl_answer(const void *data, size_t size)
{
	answer = data;
	answer_size = size;
	armed = 0;
	fake_nl_sends = fake_nl_recvs = 0;
}

void fake_nl_ns(struct nns_ns *ns)
{
	memset(ns, 0, sizeof(*ns));
	ns->fd = -1;
	if (nns_nl_open(&ns->nl) < 0)
		ns->nl = NULL;
}

void fake_nl_ns_close(struct nns_ns *ns)
{
	nns_nl_close(ns->nl);
	ns->nl = NULL;
}

/* The wrapped calls (see FAKE_NL_WRAPS). */
struct mnl_socket *__wrap_mnl_socket_open2(int bus, int flags);
int __wrap_mnl_socket_close(struct mnl_socket *sk);
int __wrap_mnl_socket_setsockopt(const struct mnl_socket *sk, int type, void *buf,
				 socklen_t len);
int __wrap_mnl_socket_get_fd(const struct mnl_socket *sk);
ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *sk, const void *buf, size_t len);
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);
int __wrap_recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
		    struct timespec *timeout);
time_t __wrap_time(time_t *t);

struct mnl_socket *__wrap_mnl_socket_open2(int bus, int flags)
{
	(void)bus;
	(void)flags;
	return (struct mnl_socket *)&token;
}

int __wrap_mnl_socket_close(struct mnl_socket *sk)
{
	(void)sk;
	return 0;
}

int __wrap_mnl_socket_setsockopt(const struct mnl_socket *sk, int type, void *buf,
				 socklen_t len)
{
	(void)sk;
	(void)type;
	(void)buf;
	(void)len;
	return 0;
}

int __wrap_mnl_socket_get_fd(const struct mnl_socket *sk)
{
	(void)sk;
	return -1;
}

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *sk, const void *buf, size_t len)
{
	(void)sk;
	if (len >= sizeof(struct nlmsghdr))
		last_seq = ((const struct nlmsghdr *)buf)->nlmsg_seq;
	fake_nl_sends++;
	armed = 1;
	return (ssize_t)len;
}

/*
 * The core reads with recvmsg itself (MSG_TRUNC for a datagram's whole
 * length, MSG_DONTWAIT to read what is left); the fake honours both.
 */
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
	void *buf = msg->msg_iov[0].iov_base;
	size_t size = msg->msg_iov[0].iov_len;
	size_t n = answer_size < size ? answer_size : size;

	(void)fd;
	if (!armed) {
		errno = flags & MSG_DONTWAIT ? EAGAIN : ENOBUFS;
		return -1;
	}
	armed = 0;
	fake_nl_recvs++;
	if (msg->msg_name && msg->msg_namelen >= sizeof(struct sockaddr_nl)) {
		struct sockaddr_nl from = { .nl_family = AF_NETLINK, .nl_pid = fake_nl_sender };

		memcpy(msg->msg_name, &from, sizeof(from));
		msg->msg_namelen = sizeof(from);
	}
	memcpy(buf, answer, n);
	if (fake_nl_follow_seq) {
		struct nlmsghdr *nlh = buf;
		size_t left = n;

		while (left >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
		       nlh->nlmsg_len <= left) {
			nlh->nlmsg_seq = last_seq;
			if (NLMSG_ALIGN(nlh->nlmsg_len) >= left)
				break;
			left -= NLMSG_ALIGN(nlh->nlmsg_len);
			nlh = (struct nlmsghdr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
		}
	}
	msg->msg_flags = n < answer_size ? MSG_TRUNC : 0;
	return (ssize_t)(flags & MSG_TRUNC ? answer_size : n);
}

/*
 * A batch's acks are read with recvmmsg: the answer is one datagram, in
 * the first slot, cut at the slot's size as the kernel would cut it.
 */
int __wrap_recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
		    struct timespec *timeout)
{
	ssize_t n;

	(void)timeout;
	if (vlen == 0)
		return 0;
	n = __wrap_recvmsg(fd, &vec[0].msg_hdr, flags & ~MSG_WAITFORONE);
	if (n < 0)
		return -1;
	vec[0].msg_len = (unsigned)n;
	return 1;
}

time_t __wrap_time(time_t *t)
{
	if (t)
		*t = 0;
	return 0;
}
