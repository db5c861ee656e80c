/*
 * tt_nd: IPv6 neighbour discovery (RFC 4861) for hosts with static addresses.
 *
 * What we serve: a neighbour solicitation (NS) for one of our addresses, sent to that address
 * or to its solicited-node group, is answered with a neighbour advertisement (NA) carrying our
 * link-layer address (Solicited and Override set, Router clear); an NS from the unspecified
 * address (a peer's duplicate address detection for an address we hold) is answered to
 * all-nodes without Solicited, as Linux does.  Our own addresses are static: no duplicate
 * address detection is run for them (RFC 4862 5.4 lets a node skip it).  A valid NA is
 * classified and counted; tt_nd_ns_build writes the solicitation the neighbour cache
 * (lib/neigh) sends to resolve a next hop.  The parser hands the link-layer address option
 * (source for NS, target for NA) and the NA's flags on in struct tt_pkt, for that cache to
 * learn from; it never decides what to learn.
 *
 * Validation (RFC 4861 7.1.1, 7.1.2), on top of what tt_net_parse6.c checked (the ICMPv6
 * checksum, the addresses): hop limit 255 (so the message cannot come from off the link),
 * code 0, at least 24 bytes, the target not a multicast address, every option of non-zero
 * length inside the message, a link-layer address option (the type the message carries)
 * exactly 8 bytes; an NS never to all-nodes, and from the unspecified address only to a
 * solicited-node group and without a source link-layer option; an NA never from the
 * unspecified address, and to a group only to all-nodes (an unsolicited announcement) without
 * Solicited.
 *
 * Replies answer to the Ethernet source of the solicitation (as ARP replies do), not to its
 * link-layer option, which a resolver of next hops may later prefer.
 *
 * Any lcore; these functions touch only their arguments.
 */
#ifndef TT_ND_H
#define TT_ND_H

#include <stdint.h>

#include "tt_net.h"

enum {
	TT_ND_TYPE_NS = 135,
	TT_ND_TYPE_NA = 136,
	TT_ND_HOP_LIMIT = 255,
	TT_ND_MSG_LEN = 24, /* type, code, checksum, flags/reserved, target */
	TT_ND_OPT_SLLA = 1, /* source link-layer address option */
	TT_ND_OPT_TLLA = 2, /* target link-layer address option */
	TT_ND_LLA_OPT_LEN = 8,
	/* An NS or NA with one link-layer address option, as tt_nd_* writes them. */
	TT_ND_FRAME_LEN = TT_ETH_HDR_LEN + TT_IP6_HDR_LEN + TT_ND_MSG_LEN + TT_ND_LLA_OPT_LEN,
};

/* NA flags, first byte of the word after the checksum. */
enum { TT_ND_NA_ROUTER = 0x80, TT_ND_NA_SOLICITED = 0x40, TT_ND_NA_OVERRIDE = 0x20 };

/*
 * Validate the NS or NA at icmp (len bytes, checksum verified) that arrived with hop_limit:
 * TT_PKT_ND_NS (for one of our addresses) or TT_PKT_ND_NA, with the target in pkt->nd_target;
 * else TT_PKT_DROP and the reason.
 */
enum tt_pkt_kind tt_nd_parse(const uint8_t *icmp, uint32_t len, uint8_t hop_limit,
			     const struct tt_net_if *ifc, struct tt_pkt *pkt, enum tt_drop *reason);

/*
 * Write the advertisement answering the NS parsed into pkt over frame (which must hold
 * TT_ND_FRAME_LEN bytes; the NS is not read, only pkt).  Returns TT_ND_FRAME_LEN.
 */
uint32_t tt_nd_na_reply(uint8_t *frame, const struct tt_pkt *pkt, const struct tt_net_if *ifc);

/*
 * Write a solicitation for target from src (one of ours) and our MAC into frame
 * (TT_ND_FRAME_LEN bytes), with our link-layer address option: to target's solicited-node
 * group when dst is NULL (resolution), else to target itself at Ethernet address dst (the
 * unicast refresh of RFC 4861 7.2.2, as Linux probes a STALE entry).  Returns TT_ND_FRAME_LEN.
 */
uint32_t tt_nd_ns_build(uint8_t *frame, const struct tt_mac *mac, const struct tt_in6 *src,
			const struct tt_in6 *target, const struct tt_mac *dst);

#endif
