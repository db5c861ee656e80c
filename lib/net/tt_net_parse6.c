/*
 * IPv6 and ICMPv6 validation; see tt_net.h for the rules, tt_nd.h for neighbour discovery.
 *
 * Every length in an extension header is the sender's choice: each header is checked to lie
 * inside the payload before a byte of it is read, options inside their header, and the walk
 * stops after TT_IP6_MAX_EXT_HDRS headers whatever the lengths say.  What Linux discards
 * (ip6_parse_tlv, ipv6_rthdr_rcv, the fragment reassembly we do not do) is discarded here,
 * each under its own reason.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "tt_nd.h"
#include "tt_net_locals.h"
#include "tt_net_priv.h"

/* Next header values (IANA "Assigned Internet Protocol Numbers"). */
enum {
	NH_HOP_BY_HOP = 0,
	NH_TCP = 6,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_ICMP6 = 58,
	NH_NONE = 59,
	NH_DST_OPTS = 60,
};

enum {
	ICMP6_PACKET_TOO_BIG = 2,
	ICMP6_ECHO_REQUEST = 128,
	ICMP6_HDR_LEN = 8, /* type, code, checksum, 4 bytes of the message (echo: id, seq) */
	OPT_PAD1 = 0,
	OPT_PADN = 1,
	MAX_PAD_LEN = 7, /* RFC 8200 4.2: padding is for alignment to 8 bytes, never more */
	ROUTING_MIN_LEN = 8,
};

static bool is_multicast(const struct tt_in6 *a)
{
	return a->b[0] == 0xff;
}

/* ::1, and ::ffff:0:0/96 (IPv4-mapped: an IPv4 peer dressed up, Linux's TCP refuses it). */
static bool is_loopback_or_mapped(const struct tt_in6 *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const struct tt_in6 loopback = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

	return memcmp(a, &loopback, sizeof(*a)) == 0 || memcmp(a->b, mapped, sizeof(mapped)) == 0;
}

/* The index of the first of our addresses whose solicited-node group a is, or n_addr6. */
static unsigned solicited_node_of(const struct tt_net_if *ifc, const struct tt_in6 *a)
{
	struct tt_in6 g;
	unsigned i;

	for (i = 0; i < ifc->n_addr6; i++) {
		tt_net_solicited_node(&ifc->addr6[i], &g);
		if (memcmp(&g, a, sizeof(g)) == 0)
			break;
	}
	return i;
}

/* Replace the group *a (one of ours: the parser checked) with the member address of ours. */
static void our_member(const struct tt_net_if *ifc, struct tt_in6 *a)
{
	*a = ifc->addr6[solicited_node_of(ifc, a)];
}

/*
 * The options of a hop-by-hop or destination options header (RFC 8200 4.2), p .. p + len
 * after its first two bytes.  We act on no option: one whose two high type bits are 00 is
 * skipped (the router alert among them), any other means "discard" (the jumbo payload too:
 * no jumbograms here).  As in Linux's ip6_parse_tlv, so do a run of padding longer than 7
 * bytes, PadN with non-zero contents (RFC 4942 2.1.9.5) and more than TT_IP6_MAX_OPTS other
 * options.
 */
static bool options_ok(const uint8_t *p, uint32_t len)
{
	uint32_t off = 0, pad = 0, n = 0;

	while (off < len) {
		uint32_t olen;

		if (p[off] == OPT_PAD1) {
			if (++pad > MAX_PAD_LEN)
				return false;
			off++;
			continue;
		}
		if (len - off < 2)
			return false;
		olen = 2 + (uint32_t)p[off + 1];
		if (olen > len - off)
			return false;
		if (p[off] == OPT_PADN) {
			pad += olen;
			if (pad > MAX_PAD_LEN)
				return false;
			for (uint32_t i = 2; i < olen; i++)
				if (p[off + i] != 0)
					return false;
		} else {
			pad = 0;
			if (++n > TT_IP6_MAX_OPTS || (p[off] >> 6) != 0)
				return false;
		}
		off += olen;
	}
	return true;
}

static bool ext_drop(enum tt_drop *reason, enum tt_drop why)
{
	*reason = why;
	return false;
}

/*
 * Walk the extension headers from the first next header nh at offset off of the datagram
 * (end bytes long) to the upper layer: its protocol in *nh, its offset in *off.  False, with
 * the reason set, for a datagram to drop.
 */
static bool walk_ext(const uint8_t *l3, uint32_t end, uint8_t *nh, uint32_t *off,
		     enum tt_drop *reason)
{
	for (unsigned n = 0;; n++) {
		const uint8_t *h = l3 + *off;
		uint32_t hlen;

		switch (*nh) {
		case NH_TCP:
		case NH_ICMP6:
			return true;
		case NH_HOP_BY_HOP:
			if (n != 0) /* RFC 8200 4.3: only right after the IPv6 header */
				return ext_drop(reason, TT_DROP_IP6_EXT_HDR);
			break;
		case NH_DST_OPTS:
		case NH_ROUTING:
			break;
		case NH_FRAGMENT:
			return ext_drop(reason, TT_DROP_IP6_FRAGMENT);
		case NH_NONE:
			return ext_drop(reason, TT_DROP_IP6_NO_NEXT);
		default:
			return ext_drop(reason, TT_DROP_IP6_PROTO);
		}
		if (n == TT_IP6_MAX_EXT_HDRS)
			return ext_drop(reason, TT_DROP_IP6_EXT_CHAIN);
		if (end - *off < 8)
			return ext_drop(reason, TT_DROP_IP6_EXT_HDR);
		hlen = ((uint32_t)h[1] + 1) * 8;
		if (hlen > end - *off)
			return ext_drop(reason, TT_DROP_IP6_EXT_HDR);
		if (*nh == NH_ROUTING) {
			/* Segments left: we would have to forward it; we are no router. */
			if (h[3] != 0)
				return ext_drop(reason, TT_DROP_IP6_ROUTING);
		} else if (!options_ok(h + 2, hlen - 2)) {
			return ext_drop(reason, TT_DROP_IP6_EXT_OPTION);
		}
		*nh = h[0];
		*off += hlen;
	}
}

/*
 * Packet Too Big (RFC 4443 3.2, to one of our addresses from a source that may send one, its
 * checksum verified): the segment of ours it quotes (an IPv6 header from one of our addresses whose
 * next header is TCP, as ours all are, then at least the TCP ports and sequence number), turned
 * around into pkt (TT_PKT_TOO_BIG).
 */
static enum tt_pkt_kind parse_packet_too_big(const uint8_t *l4, const struct tt_net_if *ifc,
					     struct tt_pkt *pkt, enum tt_drop *reason)
{
	const uint8_t *q = l4 + ICMP6_HDR_LEN, *tcp = q + TT_IP6_HDR_LEN;
	struct tt_in6 quoted_src;

	if (!tt_net_is_ours6(ifc, &pkt->daddr6))
		return tt_net_drop(reason, TT_DROP_IP6_NOT_FOR_US);
	if (unlikely(tt_net_is_unspecified6(&pkt->saddr6)))
		return tt_net_drop(reason, TT_DROP_IP6_BAD_SRC);
	if (l4[1] != 0 || pkt->l4_len < ICMP6_HDR_LEN + TT_IP6_HDR_LEN + 8)
		return tt_net_drop(reason, TT_DROP_ICMP_TOO_BIG_QUOTE);
	memcpy(&quoted_src, q + 8, 16);
	if ((q[0] >> 4) != 6 || q[6] != NH_TCP || !tt_net_is_ours6(ifc, &quoted_src) ||
	    tt_net_get_be32(l4 + 4) == 0)
		return tt_net_drop(reason, TT_DROP_ICMP_TOO_BIG_QUOTE);
	pkt->too_big_mtu = tt_net_get_be32(l4 + 4);
	memcpy(&pkt->saddr6, q + 24, 16);
	pkt->daddr6 = quoted_src;
	pkt->sport = (uint16_t)(tcp[2] << 8 | tcp[3]);
	pkt->dport = (uint16_t)(tcp[0] << 8 | tcp[1]);
	pkt->seg.seq = tt_net_get_be32(tcp + 4);
	return TT_PKT_TOO_BIG;
}

static enum tt_pkt_kind parse_icmp6(const uint8_t *l4, uint16_t phdr, uint8_t hop_limit,
				    const struct tt_net_if *ifc, struct tt_pkt *pkt,
				    enum tt_drop *reason)
{
	if (unlikely(pkt->l4_len < ICMP6_HDR_LEN))
		return tt_net_drop(reason, TT_DROP_ICMP6_SHORT);
	if (unlikely(tt_net_cksum_sum(l4, pkt->l4_len, phdr) != 0xffff))
		return tt_net_drop(reason, TT_DROP_ICMP6_CSUM);
	switch (l4[0]) {
	case ICMP6_ECHO_REQUEST:
		if (l4[1] != 0)
			return tt_net_drop(reason, TT_DROP_ICMP6_TYPE);
		if (unlikely(tt_net_is_unspecified6(&pkt->saddr6)))
			return tt_net_drop(reason, TT_DROP_IP6_BAD_SRC);
		/* To our solicited-node group: answered, as Linux does, from the address of ours
		 * the group stands for; all-nodes is let in for advertisements only. */
		if (unlikely(tt_net_is_all_nodes6(&pkt->daddr6)))
			return tt_net_drop(reason, TT_DROP_IP6_NOT_FOR_US);
		if (is_multicast(&pkt->daddr6))
			our_member(ifc, &pkt->daddr6);
		return TT_PKT_ICMP6_ECHO;
	case TT_ND_TYPE_NS:
	case TT_ND_TYPE_NA:
		return tt_nd_parse(l4, pkt->l4_len, hop_limit, ifc, pkt, reason);
	case ICMP6_PACKET_TOO_BIG:
		return parse_packet_too_big(l4, ifc, pkt, reason);
	default:
		return tt_net_drop(reason, TT_DROP_ICMP6_TYPE);
	}
}

enum tt_pkt_kind tt_net_parse_ipv6(const uint8_t *l3, uint32_t len, const struct tt_net_if *ifc,
				   struct tt_pkt *pkt, enum tt_drop *reason)
{
	const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)l3;
	uint32_t plen, end, off = TT_IP6_HDR_LEN;
	uint8_t nh;

	pkt->family = TT_AF_INET6;
	if (unlikely(len < TT_IP6_HDR_LEN))
		return tt_net_drop(reason, TT_DROP_IP6_SHORT);
	if (unlikely((l3[0] >> 4) != 6))
		return tt_net_drop(reason, TT_DROP_IP6_VERSION);
	plen = rte_be_to_cpu_16(ip->payload_len);
	/* 0 announces a jumbogram (RFC 2675), which no Ethernet frame can carry. */
	if (unlikely(plen == 0 || plen > len - TT_IP6_HDR_LEN))
		return tt_net_drop(reason, TT_DROP_IP6_PAYLOAD_LEN);
	end = TT_IP6_HDR_LEN + plen; /* Ethernet padding may follow */
	nh = ip->proto;
	memcpy(&pkt->saddr6, ip->src_addr, 16);
	memcpy(&pkt->daddr6, ip->dst_addr, 16);
	/* All-nodes carries unsolicited advertisements, which refresh a neighbour; ICMPv6 lets
	 * nothing else through to it (tt_nd_parse, parse_icmp6), TCP no multicast at all. */
	if (!tt_net_is_ours6(ifc, &pkt->daddr6) && !tt_net_is_all_nodes6(&pkt->daddr6) &&
	    solicited_node_of(ifc, &pkt->daddr6) == ifc->n_addr6)
		return tt_net_drop(reason, TT_DROP_IP6_NOT_FOR_US);
	/* The unspecified source is left to ND, which takes it from duplicate address detection. */
	if (unlikely(is_multicast(&pkt->saddr6) || is_loopback_or_mapped(&pkt->saddr6) ||
		     tt_net_is_ours6(ifc, &pkt->saddr6) ||
		     (ifc->locals != NULL && tt_net_locals_has6(ifc->locals, &pkt->saddr6))))
		return tt_net_drop(reason, TT_DROP_IP6_BAD_SRC);
	if (!walk_ext(l3, end, &nh, &off, reason))
		return TT_PKT_DROP;
	pkt->l4_off = (uint16_t)(pkt->l3_off + off);
	pkt->l4_len = (uint16_t)(end - off);
	if (nh == NH_ICMP6)
		return parse_icmp6(l3 + off, tt_net_phdr6_sum(ip->src_addr, pkt->l4_len, nh),
				   ip->hop_limits, ifc, pkt, reason);
	/* TCP: only to a unicast address of ours, from a unicast one. */
	if (unlikely(tt_net_is_unspecified6(&pkt->saddr6)))
		return tt_net_drop(reason, TT_DROP_IP6_BAD_SRC);
	if (unlikely(is_multicast(&pkt->daddr6)))
		return tt_net_drop(reason, TT_DROP_IP6_NOT_FOR_US);
	return tt_net_parse_tcp(l3 + off, ip->src_addr, ifc, pkt, reason);
}
