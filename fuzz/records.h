/* SPDX-License-Identifier: MIT */
/*
 * Reading every byte a decoded record points at, as the Lua binding would,
 * so that the sanitizers see a decoder that hands out a pointer or a length
 * reaching past the message.
 */
#ifndef NETNS_FUZZ_RECORDS_H
#define NETNS_FUZZ_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/netns.h"

int read_link(const struct nns_link *l, void *data);
int read_addr(const struct nns_addr *a, void *data);
int read_route(const struct nns_route *r, void *data);
int read_neigh(const struct nns_neigh *n, void *data);
int read_rule(const struct nns_rule *r, void *data);

/*
 * Calls @fn on each message of @data that the engine would accept (length
 * from a header to what is left), each copied alone into a heap block of
 * exactly its aligned length, padding zeroed; returns how many there were.
 */
size_t each_message(const uint8_t *data, size_t size,
		    void (*fn)(const struct nlmsghdr *nlh, void *arg), void *arg);

#endif
