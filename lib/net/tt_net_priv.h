/*
 * Pieces shared by the parser's files (tt_net_parse.c: Ethernet, ARP, IPv4, TCP;
 * tt_net_parse6.c: IPv6 and ICMPv6; tt_nd.c: neighbour discovery); not a public API.
 */
#ifndef TT_NET_PRIV_H
#define TT_NET_PRIV_H

#include "tt_net.h"

static inline enum tt_pkt_kind tt_net_drop(enum tt_drop *reason, enum tt_drop why)
{
	*reason = why;
	return TT_PKT_DROP;
}

/* The big-endian 32-bit number at p, at any alignment. */
static inline uint32_t tt_net_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline bool tt_net_is_unspecified6(const struct tt_in6 *a)
{
	static const struct tt_in6 zero;

	return __builtin_memcmp(a, &zero, sizeof(*a)) == 0;
}

/*
 * The TCP header at l4 (pkt->l4_len bytes of segment, inside the frame, pkt->family set);
 * addrs: the source and destination addresses of its IP header (8 bytes for IPv4, 32 for
 * IPv6), summed into the pseudo-header only when the port did not verify the checksum.
 */
enum tt_pkt_kind tt_net_parse_tcp(const uint8_t *l4, const void *addrs, const struct tt_net_if *ifc,
				  struct tt_pkt *pkt, enum tt_drop *reason);

/* The IPv6 datagram at l3, len bytes to the end of the frame. */
enum tt_pkt_kind tt_net_parse_ipv6(const uint8_t *l3, uint32_t len, const struct tt_net_if *ifc,
				   struct tt_pkt *pkt, enum tt_drop *reason);

#endif
