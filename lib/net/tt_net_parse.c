/* Frame validation and classification; see tt_net.h for the rules. */
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "tt_net_priv.h"

static enum tt_pkt_kind parse_arp(const uint8_t *l3, uint32_t len, const struct tt_net_if *ifc,
				  struct tt_pkt *pkt, enum tt_drop *reason)
{
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)l3;
	uint16_t op;

	if (unlikely(len < TT_ARP_LEN || arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		     arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
		     arp->arp_plen != 4))
		return tt_net_drop(reason, TT_DROP_ARP_MALFORMED);
	op = rte_be_to_cpu_16(arp->arp_opcode);
	if (unlikely(op != TT_ARP_OP_REQUEST && op != TT_ARP_OP_REPLY))
		return tt_net_drop(reason, TT_DROP_ARP_MALFORMED);
	pkt->arp_op = op;
	pkt->saddr = rte_be_to_cpu_32(arp->arp_data.arp_sip);
	pkt->daddr = rte_be_to_cpu_32(arp->arp_data.arp_tip);
	memcpy(pkt->src_mac.b, &arp->arp_data.arp_sha, 6);
	if (!tt_net_is_ours(ifc, pkt->daddr))
		return tt_net_drop(reason, TT_DROP_ARP_NOT_FOR_US);
	return TT_PKT_ARP;
}

static enum tt_pkt_kind parse_icmp(const uint8_t *l4, struct tt_pkt *pkt, enum tt_drop *reason)
{
	const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)l4;

	if (unlikely(pkt->l4_len < TT_ICMP_HDR_LEN))
		return tt_net_drop(reason, TT_DROP_ICMP_SHORT);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return tt_net_drop(reason, TT_DROP_ICMP_TYPE);
	if (unlikely(tt_net_cksum_sum(l4, pkt->l4_len, 0) != 0xffff))
		return tt_net_drop(reason, TT_DROP_ICMP_CSUM);
	return TT_PKT_ICMP_ECHO;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* n blocks (1..4: the option fits in 40 bytes) as sent; the connection judges them. */
static void parse_sack(const uint8_t *p, uint8_t n, struct tt_tcp_opts *o)
{
	o->present |= TT_OPT_SACK;
	o->sack_n = n;
	for (uint8_t i = 0; i < n; i++, p += TT_SACK_BLOCK_LEN) {
		o->sack[i].start = get_be32(p);
		o->sack[i].end = get_be32(p + 4);
	}
}

/* Returns false on a malformed option list. */
static bool parse_tcp_options(const uint8_t *p, uint32_t len, struct tt_tcp_opts *o)
{
	const uint8_t *end = p + len;

	while (p < end) {
		uint8_t kind = p[0];
		uint8_t olen;

		if (kind == 0) /* end of option list */
			break;
		if (kind == 1) { /* no-operation */
			p++;
			continue;
		}
		if (end - p < 2)
			return false;
		olen = p[1];
		if (olen < 2 || olen > end - p)
			return false;
		switch (kind) {
		case 2:
			if (olen != 4)
				return false;
			o->present |= TT_OPT_MSS;
			o->mss = (uint16_t)(p[2] << 8 | p[3]);
			break;
		case 3:
			if (olen != 3)
				return false;
			o->present |= TT_OPT_WSCALE;
			o->wscale = p[2] > 14 ? 14 : p[2];
			break;
		case 4:
			if (olen != 2)
				return false;
			o->present |= TT_OPT_SACK_OK;
			break;
		case 8:
			if (olen != 10)
				return false;
			o->present |= TT_OPT_TS;
			o->tsval = get_be32(p + 2);
			o->tsecr = get_be32(p + 6);
			break;
		case 5:
			if (olen < 2 + TT_SACK_BLOCK_LEN ||
			    olen > 2 + TT_SACK_MAX_BLOCKS * TT_SACK_BLOCK_LEN ||
			    (olen - 2) % TT_SACK_BLOCK_LEN != 0)
				return false;
			if (!(o->present & TT_OPT_SACK))
				parse_sack(p + 2, (uint8_t)((olen - 2) / TT_SACK_BLOCK_LEN), o);
			break;
		default: /* unknown options are skipped by length */
			break;
		}
		p += olen;
	}
	return true;
}

enum tt_pkt_kind tt_net_parse_tcp(const uint8_t *l4, uint16_t phdr, const struct tt_net_if *ifc,
				  struct tt_pkt *pkt, enum tt_drop *reason)
{
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)l4;
	struct tt_tcp_seg *seg = &pkt->seg;
	uint32_t doff;
	uint8_t fl;

	if (unlikely(pkt->l4_len < TT_TCP_HDR_LEN))
		return tt_net_drop(reason, TT_DROP_TCP_SHORT);
	doff = (uint32_t)(th->data_off >> 4) * 4;
	if (unlikely(doff < TT_TCP_HDR_LEN || doff > pkt->l4_len))
		return tt_net_drop(reason, TT_DROP_TCP_HDR_LEN);
	if (unlikely(ifc->rx_cksum & TT_RX_L4_CKSUM_BAD))
		return tt_net_drop(reason, TT_DROP_TCP_CSUM);
	if (!(ifc->rx_cksum & TT_RX_L4_CKSUM_GOOD) &&
	    unlikely(tt_net_cksum_sum(l4, pkt->l4_len, phdr) != 0xffff))
		return tt_net_drop(reason, TT_DROP_TCP_CSUM);
	pkt->sport = rte_be_to_cpu_16(th->src_port);
	pkt->dport = rte_be_to_cpu_16(th->dst_port);
	if (unlikely(pkt->sport == 0 || pkt->dport == 0))
		return tt_net_drop(reason, TT_DROP_TCP_PORT);
	fl = th->tcp_flags & 0x3f;
	if (unlikely((fl & TT_TCP_SYN) && (fl & (TT_TCP_FIN | TT_TCP_RST))))
		return tt_net_drop(reason, TT_DROP_TCP_FLAGS);
	seg->flags = fl;
	seg->seq = rte_be_to_cpu_32(th->sent_seq);
	seg->ack = rte_be_to_cpu_32(th->recv_ack);
	seg->wnd = rte_be_to_cpu_16(th->rx_win);
	seg->payload = l4 + doff;
	seg->len = pkt->l4_len - doff;
	/* The blocks are read only up to sack_n: not worth clearing on every segment. */
	memset(&seg->opts, 0, offsetof(struct tt_tcp_opts, sack));
	if (doff > TT_TCP_HDR_LEN &&
	    unlikely(!parse_tcp_options(l4 + TT_TCP_HDR_LEN, doff - TT_TCP_HDR_LEN, &seg->opts)))
		return tt_net_drop(reason, TT_DROP_TCP_OPTIONS);
	return TT_PKT_TCP;
}

/* RFC 1122 3.2.1.3 / RFC 1812 5.3.7: addresses no peer may send from. */
static bool bad_source(const struct tt_net_if *ifc, uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 0xe || a == ifc->bcast ||
	       tt_net_is_ours(ifc, a);
}

static enum tt_pkt_kind parse_ipv4(const uint8_t *l3, uint32_t len, const struct tt_net_if *ifc,
				   struct tt_pkt *pkt, enum tt_drop *reason)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;
	uint32_t ihl, total;

	if (unlikely(len < TT_IP4_HDR_LEN))
		return tt_net_drop(reason, TT_DROP_IP_SHORT);
	if (unlikely((ip->version_ihl >> 4) != 4))
		return tt_net_drop(reason, TT_DROP_IP_VERSION);
	ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	if (unlikely(ihl < TT_IP4_HDR_LEN || ihl > len))
		return tt_net_drop(reason, TT_DROP_IP_HDR_LEN);
	total = rte_be_to_cpu_16(ip->total_length);
	/* Ethernet padding may follow the datagram, so only total > len is bad. */
	if (unlikely(total < ihl || total > len))
		return tt_net_drop(reason, TT_DROP_IP_TOTAL_LEN);
	if (unlikely(ifc->rx_cksum & TT_RX_IP_CKSUM_BAD))
		return tt_net_drop(reason, TT_DROP_IP_CSUM);
	if (!(ifc->rx_cksum & TT_RX_IP_CKSUM_GOOD) &&
	    unlikely((ihl == TT_IP4_HDR_LEN ? tt_net_cksum_ip4_hdr(ip)
					    : tt_net_cksum_sum(ip, ihl, 0)) != 0xffff))
		return tt_net_drop(reason, TT_DROP_IP_CSUM);
	if (unlikely(ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return tt_net_drop(reason, TT_DROP_IP_FRAGMENT);
	pkt->saddr = rte_be_to_cpu_32(ip->src_addr);
	pkt->daddr = rte_be_to_cpu_32(ip->dst_addr);
	if (!tt_net_is_ours(ifc, pkt->daddr))
		return tt_net_drop(reason, TT_DROP_IP_NOT_FOR_US);
	if (unlikely(bad_source(ifc, pkt->saddr)))
		return tt_net_drop(reason, TT_DROP_IP_BAD_SRC);
	pkt->l4_off = (uint16_t)(pkt->l3_off + ihl);
	pkt->l4_len = (uint16_t)(total - ihl);
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		return tt_net_parse_tcp(l3 + ihl, rte_ipv4_phdr_cksum(ip, 0), ifc, pkt, reason);
	case IPPROTO_ICMP:
		return parse_icmp(l3 + ihl, pkt, reason);
	default:
		return tt_net_drop(reason, TT_DROP_IP_PROTO);
	}
}

enum tt_pkt_kind tt_net_parse(const uint8_t *frame, uint32_t len, const struct tt_net_if *ifc,
			      struct tt_pkt *pkt, enum tt_drop *reason)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	rte_be16_t type;
	uint16_t l3, vid;
	bool mcast6;

	if (unlikely(len < TT_ETH_HDR_LEN))
		return tt_net_drop(reason, TT_DROP_ETH_SHORT);
	/* IPv6 multicast (33:33:..., RFC 2464 7), for IPv6 only (checked once the type is known
	 * behind any tag); the IPv6 destination is judged later.  A unicast MAC never starts so. */
	mcast6 = frame[0] == 0x33 && frame[1] == 0x33;
	if (memcmp(&eth->dst_addr, ifc->mac.b, 6) != 0 &&
	    !rte_is_broadcast_ether_addr(&eth->dst_addr) && !mcast6)
		return tt_net_drop(reason, TT_DROP_ETH_DST);
	memcpy(pkt->src_mac.b, &eth->src_addr, 6);
	type = eth->ether_type;
	l3 = TT_ETH_HDR_LEN;
	vid = ifc->rx_vlan_stripped ? ifc->rx_vlan_id & 0xfff : 0;
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(eth + 1);

		if (unlikely(len < TT_ETH_HDR_LEN + TT_VLAN_TAG_LEN))
			return tt_net_drop(reason, TT_DROP_ETH_SHORT);
		if (unlikely(ifc->rx_vlan_stripped)) /* a second tag (QinQ) */
			return tt_net_drop(reason, TT_DROP_ETH_TYPE);
		vid = rte_be_to_cpu_16(vh->vlan_tci) & 0xfff;
		type = vh->eth_proto;
		l3 += TT_VLAN_TAG_LEN;
	}
	if (unlikely(vid > TT_VLAN_ID_MAX))
		return tt_net_drop(reason, TT_DROP_VLAN_RESERVED);
	if (vid != ifc->vlan)
		return tt_net_drop(reason, TT_DROP_VLAN_UNSERVED);
	if (unlikely(mcast6 && type != RTE_BE16(RTE_ETHER_TYPE_IPV6)))
		return tt_net_drop(reason, TT_DROP_ETH_DST);
	pkt->vlan = vid;
	pkt->l3_off = l3;
	pkt->family = TT_AF_INET;
	switch (type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		/* IPv6 replies are written at fixed offsets: a tag, even a priority one, must be
		 * out of the frame (the port's offload or tt_net_vlan_strip) before it is parsed.
		 */
		if (unlikely(l3 != TT_ETH_HDR_LEN))
			return tt_net_drop(reason, TT_DROP_ETH_TYPE);
		return tt_net_parse_ipv6(frame + l3, len - l3, ifc, pkt, reason);
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return parse_ipv4(frame + l3, len - l3, ifc, pkt, reason);
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return parse_arp(frame + l3, len - l3, ifc, pkt, reason);
	default:
		return tt_net_drop(reason, TT_DROP_ETH_TYPE);
	}
}
