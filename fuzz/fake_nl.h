/* SPDX-License-Identifier: MIT */
/*
 * A netlink socket without a kernel, for the fuzz targets and the decoder
 * tests: the core is linked with -Wl,--wrap for the libmnl socket calls,
 * recvmsg, recvmmsg and time(), so that every request is numbered from 1, sent
 * nowhere, and answered with bytes the caller chose.
 */
#ifndef NETNS_FAKE_NL_H
#define NETNS_FAKE_NL_H

#include <stddef.h>
#include <stdint.h>

#include "../core/netns.h"

/* The port id replies carry, as the kernel's carry the socket's. */
#define FAKE_PORTID 4242u

/* Wrapped symbols, for the link line. */
#define FAKE_NL_WRAPS "mnl_socket_open2,mnl_socket_close,mnl_socket_setsockopt," \
	"mnl_socket_get_fd,mnl_socket_sendto,recvmsg,recvmmsg,time"

/*
 * After each request sent, the next receive returns @data (cut at the
 * receive buffer's size, as a datagram would be); later receives fail with
 * ENOBUFS until the next send.  The bytes must outlive the calls.
 */
void fake_nl_answer(const void *data, size_t size);

/* A namespace handle whose socket is a fresh fake one (requests from seq 1). */
void fake_nl_ns(struct nns_ns *ns);
void fake_nl_ns_close(struct nns_ns *ns);

/*
 * When set, replies are renumbered to answer the last request sent, as the
 * kernel would answer a retried dump.
 */
extern int fake_nl_follow_seq;

/*
 * The port id the next datagram comes from: 0, the kernel, unless a test
 * sets another process's.
 */
extern uint32_t fake_nl_sender;

/* How many requests were sent and receives served since the last answer set. */
extern unsigned fake_nl_sends, fake_nl_recvs;

#endif
