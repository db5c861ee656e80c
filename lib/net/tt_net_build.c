/* Frame building and in-place replies; see tt_net.h. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf_core.h>
#include <rte_tcp.h>

#include "tt_net.h"

uint16_t tt_net_cksum_sum(const void *data, uint32_t len, uint32_t seed)
{
	return __rte_raw_cksum_reduce(__rte_raw_cksum(data, len, seed));
}

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/*
 * Options are laid out so that every one stays 4-byte aligned, the way
 * most stacks send them: MSS, NOP+WS, NOP+NOP+SACK-permitted (or merged
 * into the NOP padding in front of timestamps), NOP+NOP+TS.
 */
static uint32_t write_options(uint8_t *p, const struct tt_tcp_opts *o)
{
	uint8_t *start = p;

	if (o->present & TT_OPT_MSS) {
		*p++ = 2;
		*p++ = 4;
		*p++ = (uint8_t)(o->mss >> 8);
		*p++ = (uint8_t)o->mss;
	}
	if (o->present & TT_OPT_WSCALE) {
		*p++ = 1;
		*p++ = 3;
		*p++ = 3;
		*p++ = o->wscale;
	}
	if (o->present & TT_OPT_TS) {
		if (o->present & TT_OPT_SACK_OK) {
			*p++ = 4;
			*p++ = 2;
		} else {
			*p++ = 1;
			*p++ = 1;
		}
		*p++ = 8;
		*p++ = 10;
		p = put_be32(p, o->tsval);
		p = put_be32(p, o->tsecr);
	} else if (o->present & TT_OPT_SACK_OK) {
		*p++ = 1;
		*p++ = 1;
		*p++ = 4;
		*p++ = 2;
	}
	return (uint32_t)(p - start);
}

/* Must agree with write_options byte for byte. */
uint32_t tt_net_tcp_hdr_len(const struct tt_tcp_opts *o)
{
	uint32_t n = TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + TT_TCP_HDR_LEN;

	if (o->present & TT_OPT_MSS)
		n += 4;
	if (o->present & TT_OPT_WSCALE)
		n += 4;
	if (o->present & TT_OPT_TS)
		n += 12;
	else if (o->present & TT_OPT_SACK_OK)
		n += 4;
	return n;
}

uint32_t tt_net_tcp_build(uint8_t *frame, const struct tt_tcp_hdr_args *a, uint32_t payload_len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + TT_ETH_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(frame + TT_ETH_HDR_LEN + TT_IP4_HDR_LEN);
	uint32_t optlen = write_options((uint8_t *)(th + 1), &a->opts);
	uint32_t tcplen = TT_TCP_HDR_LEN + optlen;

	memcpy(&eth->dst_addr, a->dst_mac.b, 6);
	memcpy(&eth->src_addr, a->src_mac.b, 6);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(TT_IP4_HDR_LEN + tcplen + payload_len));
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->hdr_checksum = 0;
	ip->src_addr = rte_cpu_to_be_32(a->saddr);
	ip->dst_addr = rte_cpu_to_be_32(a->daddr);

	th->src_port = rte_cpu_to_be_16(a->sport);
	th->dst_port = rte_cpu_to_be_16(a->dport);
	th->sent_seq = rte_cpu_to_be_32(a->seq);
	th->recv_ack = rte_cpu_to_be_32(a->ack);
	th->data_off = (uint8_t)((tcplen / 4) << 4);
	th->tcp_flags = a->flags;
	th->rx_win = rte_cpu_to_be_16(a->wnd);
	th->cksum = 0;
	th->tcp_urp = 0;
	return TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + tcplen;
}

void tt_net_tcp_cksum(uint8_t *frame, bool offload)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + TT_ETH_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(frame + TT_ETH_HDR_LEN + TT_IP4_HDR_LEN);

	ip->hdr_checksum = 0;
	th->cksum = 0;
	if (offload) {
		th->cksum = rte_ipv4_phdr_cksum(ip, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
		return;
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* Not rte_ipv4_udptcp_cksum: it sends a computed 0x0000 as 0xffff, which only
	 * UDP needs (0 means "no checksum" there); TCP sends the computed value. */
	th->cksum = (uint16_t)~tt_net_cksum_sum(th, rte_be_to_cpu_16(ip->total_length) -
							TT_IP4_HDR_LEN,
						rte_ipv4_phdr_cksum(ip, 0));
}

void tt_net_arp_reply(uint8_t *frame, const struct tt_net_if *ifc)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(frame + TT_ETH_HDR_LEN);
	struct rte_arp_ipv4 *d = &arp->arp_data;
	rte_be32_t asked = d->arp_tip; /* one of our addresses: the parser checked */

	d->arp_tha = d->arp_sha;
	d->arp_tip = d->arp_sip;
	memcpy(&d->arp_sha, ifc->mac.b, 6);
	d->arp_sip = asked;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	eth->dst_addr = d->arp_tha;
	memcpy(&eth->src_addr, ifc->mac.b, 6);
}

void tt_net_icmp_echo_reply(uint8_t *frame, const struct tt_pkt *pkt, const struct tt_net_if *ifc)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + TT_ETH_HDR_LEN);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(frame + pkt->l4_off);
	uint32_t sum;

	eth->dst_addr = eth->src_addr;
	memcpy(&eth->src_addr, ifc->mac.b, 6);
	ip->dst_addr = ip->src_addr;
	ip->src_addr = rte_cpu_to_be_32(pkt->daddr);
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* Type 8 -> 0 changes one 16-bit word: adjust incrementally (RFC 1624). */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	sum = (uint32_t)(uint16_t)~rte_be_to_cpu_16(icmp->icmp_cksum) + (uint32_t)(uint16_t)~0x0800;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	icmp->icmp_cksum = rte_cpu_to_be_16((uint16_t)~sum);
	/*
	 * The update cannot tell a sum of -0 from +0, and only a message of
	 * zero bytes (id 0, sequence 0, zero data) sums to +0: it needs
	 * 0xffff, not 0.  Rare, so settle a zero result by recomputing.
	 */
	if (unlikely(icmp->icmp_cksum == 0) && tt_net_cksum_sum(icmp, pkt->l4_len, 0) == 0)
		icmp->icmp_cksum = 0xffff;
}
