/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_NET_LOCALS_H
#define TT_NET_LOCALS_H

/*
 * The addresses of every interface of a worker (its ports and their VLANs), which no peer may
 * send from: a frame on one interface from another's address is the appliance spoofed to
 * itself (RFC 1812 5.3.7; Linux drops it as a martian source).  Answered, it would send the
 * reply to its own other interface (an ARP request for its own address, then a segment that
 * interface meets as a stranger's and answers with an RST).  The parser checks a source
 * against its interface's own addresses first (tt_net_is_ours); an interface of a worker with
 * others points here (tt_net_if.locals) for theirs.
 *
 * IPv4 as ranges [first, first + count) (the generator owns many addresses on an interface),
 * sorted by first address (those that overlap or touch merged: ports on one prefix may share
 * addresses), IPv6 addresses sorted: a lookup is a binary search.  Filled once when the worker
 * is made (tt_net_locals_add, then tt_net_locals_sort), read-only after; owned by one worker.
 * A range's count must keep first + count within 2^32.
 */
#include <stdbool.h>
#include <stdint.h>

#include "tt_net.h"

enum { TT_NET_MAX_LOCALS = 256 }; /* interfaces of a worker */

struct tt_net_range {
	uint32_t first; /* host order */
	uint32_t count;
};

struct tt_net_locals {
	uint32_t n4, n6;
	struct tt_net_range v4[TT_NET_MAX_LOCALS];
	struct tt_in6 v6[TT_NET_MAX_LOCALS * TT_NET_MAX_ADDR6];
};

/* Add an interface's addresses: count IPv4 addresses from first (host order; none if count is
 * 0), and n6 IPv6 ones.  False if the table is full (nothing added). */
bool tt_net_locals_add(struct tt_net_locals *l, uint32_t first, uint32_t count,
		       const struct tt_in6 *v6, unsigned n6);

/* Sort what was added, for the lookups below. */
void tt_net_locals_sort(struct tt_net_locals *l);

/* Whether a (host order) is an address of one of the interfaces. */
bool tt_net_locals_has4(const struct tt_net_locals *l, uint32_t a);

/* Whether a is an IPv6 address of one of the interfaces. */
bool tt_net_locals_has6(const struct tt_net_locals *l, const struct tt_in6 *a);

#endif
