/* Neighbour solicitations and advertisements; see tt_nd.h. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "tt_nd.h"
#include "tt_net_priv.h"

enum { OFF_FLAGS = 4, OFF_TARGET = 8, NH_ICMP6 = 58 };

static const struct tt_in6 all_nodes = {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

/*
 * The options after the fixed part: each inside the message, none of length 0, and a
 * link-layer address option of type lla_type exactly 8 bytes (an Ethernet address; Linux's
 * ndisc_opt_addr_data refuses any other length) holding an address a host can have
 * (tt_net_mac_is_host).  The last such option's address goes to
 * pkt->nd_lla (RFC 4861 7.1.1 names no winner; Linux keeps the last too); whether one was
 * there, to pkt->nd_has_lla.
 */
static bool options_ok(const uint8_t *p, uint32_t len, uint8_t lla_type, struct tt_pkt *pkt)
{
	uint32_t off = 0;

	pkt->nd_has_lla = false;
	while (off < len) {
		uint32_t olen;

		if (len - off < 2 || p[off + 1] == 0)
			return false;
		olen = (uint32_t)p[off + 1] * 8;
		if (olen > len - off)
			return false;
		if (p[off] == lla_type) {
			if (olen != TT_ND_LLA_OPT_LEN)
				return false;
			memcpy(pkt->nd_lla.b, p + off + 2, 6);
			if (!tt_net_mac_is_host(&pkt->nd_lla))
				return false;
			pkt->nd_has_lla = true;
		}
		off += olen;
	}
	return true;
}

enum tt_pkt_kind tt_nd_parse(const uint8_t *icmp, uint32_t len, uint8_t hop_limit,
			     const struct tt_net_if *ifc, struct tt_pkt *pkt, enum tt_drop *reason)
{
	bool na = icmp[0] == TT_ND_TYPE_NA;

	if (unlikely(hop_limit != TT_ND_HOP_LIMIT))
		return tt_net_drop(reason, TT_DROP_ND_HOP_LIMIT);
	if (unlikely(icmp[1] != 0 || len < TT_ND_MSG_LEN || icmp[OFF_TARGET] == 0xff ||
		     !options_ok(icmp + TT_ND_MSG_LEN, len - TT_ND_MSG_LEN,
				 na ? TT_ND_OPT_TLLA : TT_ND_OPT_SLLA, pkt)))
		return tt_net_drop(reason, TT_DROP_ND_MALFORMED);
	memcpy(&pkt->nd_target, icmp + OFF_TARGET, sizeof(pkt->nd_target));
	if (na) {
		pkt->nd_flags =
		    icmp[OFF_FLAGS] & (TT_ND_NA_ROUTER | TT_ND_NA_SOLICITED | TT_ND_NA_OVERRIDE);
		/* A solicited one answers a unicast source (RFC 4861 7.1.2); an unsolicited one
		 * goes to all-nodes (7.2.6; no solicited-node group carries advertisements here,
		 * tt_net.h), and its source is an address the sender has (4.4), which the
		 * unspecified one never is. */
		if (unlikely(pkt->daddr6.b[0] == 0xff && ((pkt->nd_flags & TT_ND_NA_SOLICITED) ||
							  !tt_net_is_all_nodes6(&pkt->daddr6))))
			return tt_net_drop(reason, TT_DROP_ND_MALFORMED);
		if (unlikely(tt_net_is_unspecified6(&pkt->saddr6)))
			return tt_net_drop(reason, TT_DROP_ND_MALFORMED);
		return TT_PKT_ND_NA;
	}
	pkt->nd_flags = 0;
	/* A solicitation goes to a solicited-node group or to a unicast address, never to
	 * all-nodes (RFC 4861 7.2.2). */
	if (unlikely(tt_net_is_all_nodes6(&pkt->daddr6)))
		return tt_net_drop(reason, TT_DROP_ND_MALFORMED);
	/* Duplicate address detection: to the target's group, never with a link-layer address. */
	if (tt_net_is_unspecified6(&pkt->saddr6) && (pkt->daddr6.b[0] != 0xff || pkt->nd_has_lla))
		return tt_net_drop(reason, TT_DROP_ND_MALFORMED);
	if (!tt_net_is_ours6(ifc, &pkt->nd_target))
		return tt_net_drop(reason, TT_DROP_ND_NOT_FOR_US);
	return TT_PKT_ND_NS;
}

/* Ethernet + IPv6 + an NS or NA with one link-layer address option (ours), checksummed. */
static uint32_t write_nd(uint8_t *frame, const struct tt_mac *dst_mac, const struct tt_mac *mac,
			 const struct tt_in6 *src, const struct tt_in6 *dst, uint8_t type,
			 uint8_t flags, const struct tt_in6 *target)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(frame + TT_ETH_HDR_LEN);
	uint8_t *m = frame + TT_ETH_HDR_LEN + TT_IP6_HDR_LEN;
	const uint32_t mlen = TT_ND_MSG_LEN + TT_ND_LLA_OPT_LEN;
	uint16_t sum;

	memcpy(&eth->dst_addr, dst_mac->b, 6);
	memcpy(&eth->src_addr, mac->b, 6);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(mlen);
	ip->proto = NH_ICMP6;
	ip->hop_limits = TT_ND_HOP_LIMIT;
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
	memset(m, 0, TT_ND_MSG_LEN);
	m[0] = type;
	m[OFF_FLAGS] = flags;
	memcpy(m + OFF_TARGET, target, 16);
	m[TT_ND_MSG_LEN] = type == TT_ND_TYPE_NS ? TT_ND_OPT_SLLA : TT_ND_OPT_TLLA;
	m[TT_ND_MSG_LEN + 1] = 1; /* in units of 8 bytes */
	memcpy(m + TT_ND_MSG_LEN + 2, mac->b, 6);
	sum = tt_net_cksum_sum(m, mlen, tt_net_phdr6_sum(ip->src_addr, mlen, NH_ICMP6));
	sum = (uint16_t)~sum;
	memcpy(m + 2, &sum, 2);
	return TT_ND_FRAME_LEN;
}

/* The Ethernet group an IPv6 multicast address maps to (RFC 2464 7): 33:33 + its low 32 bits. */
static void multicast_mac(const struct tt_in6 *a, struct tt_mac *mac)
{
	mac->b[0] = 0x33;
	mac->b[1] = 0x33;
	memcpy(mac->b + 2, a->b + 12, 4);
}

uint32_t tt_nd_na_reply(uint8_t *frame, const struct tt_pkt *pkt, const struct tt_net_if *ifc)
{
	struct tt_mac dst_mac = pkt->src_mac;

	if (tt_net_is_unspecified6(&pkt->saddr6)) {
		multicast_mac(&all_nodes, &dst_mac);
		return write_nd(frame, &dst_mac, &ifc->mac, &pkt->nd_target, &all_nodes,
				TT_ND_TYPE_NA, TT_ND_NA_OVERRIDE, &pkt->nd_target);
	}
	return write_nd(frame, &dst_mac, &ifc->mac, &pkt->nd_target, &pkt->saddr6, TT_ND_TYPE_NA,
			TT_ND_NA_SOLICITED | TT_ND_NA_OVERRIDE, &pkt->nd_target);
}

uint32_t tt_nd_ns_build(uint8_t *frame, const struct tt_mac *mac, const struct tt_in6 *src,
			const struct tt_in6 *target, const struct tt_mac *dst)
{
	struct tt_in6 group;
	struct tt_mac dst_mac;

	if (dst != NULL)
		return write_nd(frame, dst, mac, src, target, TT_ND_TYPE_NS, 0, target);
	tt_net_solicited_node(target, &group);
	multicast_mac(&group, &dst_mac);
	return write_nd(frame, &dst_mac, mac, src, &group, TT_ND_TYPE_NS, 0, target);
}
