/* Frame validation and classification; see tt_net.h for the rules. */
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "tt_net_locals.h"
#include "tt_net_priv.h"

/* TCP option kinds (IANA registry) and the exact lengths of the fixed-size ones. */
enum {
	TCP_OPT_EOL = 0,
	TCP_OPT_NOP = 1,
	TCP_OPT_MSS = 2,
	TCP_OPT_WSCALE = 3,
	TCP_OPT_SACK_OK = 4,
	TCP_OPT_SACK = 5,
	TCP_OPT_TS = 8,
	TCP_MSS_LEN = 4,
	TCP_WSCALE_LEN = 3,
	TCP_SACK_OK_LEN = 2,
	TCP_TS_LEN = 10,
	TCP_WSCALE_MAX = 14,
};

enum { IP4_VERSION_IHL_PLAIN = 0x45 }; /* version 4, a header of 5 words: no options */

/* An address of the worker's: this interface's, or another interface's (a VLAN, a port). */
static __rte_always_inline bool is_local(const struct tt_net_if *ifc, uint32_t a)
{
	return tt_net_is_ours(ifc, a) ||
	       (ifc->locals != NULL && tt_net_locals_has4(ifc->locals, a));
}

/* RFC 1122 3.2.1.3 / RFC 1812 5.3.7: addresses no peer may send from, ours among them.  Inline
 * in the IPv4 path, as one call of the frame's parse should do all of its work. */
static __rte_always_inline bool bad_source(const struct tt_net_if *ifc, uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) >= 0xe || a == ifc->bcast ||
	       is_local(ifc, a);
}

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
	/* Checked before the target: an ARP for another host still teaches (RFC 826). */
	if (unlikely(!tt_net_mac_is_host(&pkt->src_mac)))
		return tt_net_drop(reason, TT_DROP_ARP_SENDER);
	/* 0.0.0.0 is a probe's (RFC 5227 2.1.1), answered; ours is another host's claim to it. */
	if (unlikely(pkt->saddr != 0 && bad_source(ifc, pkt->saddr)))
		return tt_net_drop(reason, is_local(ifc, pkt->saddr) ? TT_DROP_ARP_SENDER_OURS
								     : TT_DROP_ARP_SENDER_IP);
	if (!tt_net_is_ours(ifc, pkt->daddr))
		return tt_net_drop(reason, TT_DROP_ARP_NOT_FOR_US);
	return TT_PKT_ARP;
}

enum { ICMP_UNREACHABLE = 3, ICMP_FRAG_NEEDED = 4 };

/*
 * "Fragmentation needed and DF set" (RFC 1191; its checksum verified): the segment of ours it
 * quotes (an IPv4 header from one of our addresses, then at least the TCP ports and sequence
 * number, RFC 792), turned around into pkt (TT_PKT_TOO_BIG).  An MTU of 0 (a router older than
 * RFC 1191) says nothing to go by.
 */
static enum tt_pkt_kind parse_frag_needed(const uint8_t *l4, const struct tt_net_if *ifc,
					  struct tt_pkt *pkt, enum tt_drop *reason)
{
	const uint8_t *q = l4 + TT_ICMP_HDR_LEN, *tcp;
	uint32_t qihl;

	if (pkt->l4_len < TT_ICMP_HDR_LEN + TT_IP4_HDR_LEN + 8)
		return tt_net_drop(reason, TT_DROP_ICMP_TOO_BIG_QUOTE);
	qihl = (q[0] & 0xfu) * 4u;
	if ((q[0] >> 4) != 4 || qihl < TT_IP4_HDR_LEN || pkt->l4_len < TT_ICMP_HDR_LEN + qihl + 8 ||
	    q[9] != IPPROTO_TCP || !tt_net_is_ours(ifc, tt_net_get_be32(q + 12)) ||
	    (l4[6] | l4[7]) == 0)
		return tt_net_drop(reason, TT_DROP_ICMP_TOO_BIG_QUOTE);
	tcp = q + qihl;
	pkt->too_big_mtu = (uint32_t)l4[6] << 8 | l4[7];
	pkt->saddr = tt_net_get_be32(q + 16);
	pkt->daddr = tt_net_get_be32(q + 12);
	pkt->sport = (uint16_t)(tcp[2] << 8 | tcp[3]);
	pkt->dport = (uint16_t)(tcp[0] << 8 | tcp[1]);
	pkt->seg.seq = tt_net_get_be32(tcp + 4);
	return TT_PKT_TOO_BIG;
}

/* An echo request, or a "too big" error, behind an IPv4 header of ihl bytes. */
static enum tt_pkt_kind parse_icmp(const uint8_t *l4, uint32_t ihl, const struct tt_net_if *ifc,
				   struct tt_pkt *pkt, enum tt_drop *reason)
{
	const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)l4;
	bool too_big;

	if (unlikely(pkt->l4_len < TT_ICMP_HDR_LEN))
		return tt_net_drop(reason, TT_DROP_ICMP_SHORT);
	too_big = icmp->icmp_type == ICMP_UNREACHABLE && icmp->icmp_code == ICMP_FRAG_NEEDED;
	if (!too_big && (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0))
		return tt_net_drop(reason, TT_DROP_ICMP_TYPE);
	/* The reply is the request turned around in place: a record route or timestamp option
	 * would have to be updated (RFC 1122 3.2.2.6; a source route never gets here,
	 * ip4_options_ok), so a request with options is not answered. */
	if (unlikely(ihl != TT_IP4_HDR_LEN) && !too_big)
		return tt_net_drop(reason, TT_DROP_ICMP_IP_OPTIONS);
	if (unlikely(tt_net_cksum_sum(l4, pkt->l4_len, 0) != 0xffff))
		return tt_net_drop(reason, TT_DROP_ICMP_CSUM);
	return too_big ? parse_frag_needed(l4, ifc, pkt, reason) : TT_PKT_ICMP_ECHO;
}

/* The values of the timestamps option at p (its kind and length checked). */
static inline void read_ts(const uint8_t *p, struct tt_tcp_opts *o)
{
	o->tsval = tt_net_get_be32(p + 2);
	o->tsecr = tt_net_get_be32(p + 6);
}

/* RFC 7323 2.3: a larger shift is taken as 14. */
static inline uint8_t clamp_wscale(uint8_t shift)
{
	return shift > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : shift;
}

/* n blocks (1..4: the option fits in 40 bytes) as sent; the connection judges them. */
static void parse_sack(const uint8_t *p, uint8_t n, struct tt_tcp_opts *o)
{
	o->present |= TT_OPT_SACK;
	o->sack_n = n;
	for (uint8_t i = 0; i < n; i++, p += TT_SACK_BLOCK_LEN) {
		o->sack[i].start = tt_net_get_be32(p);
		o->sack[i].end = tt_net_get_be32(p + 4);
	}
}

/* Returns false on a malformed option list. */
static bool parse_tcp_options(const uint8_t *p, uint32_t len, struct tt_tcp_opts *o)
{
	const uint8_t *end = p + len;

	while (p < end) {
		uint8_t kind = p[0];
		uint8_t olen;

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			p++;
			continue;
		}
		if (end - p < 2)
			return false;
		olen = p[1];
		if (olen < 2 || olen > end - p)
			return false;
		switch (kind) {
		case TCP_OPT_MSS:
			if (olen != TCP_MSS_LEN)
				return false;
			o->present |= TT_OPT_MSS;
			o->mss = (uint16_t)(p[2] << 8 | p[3]);
			break;
		case TCP_OPT_WSCALE:
			if (olen != TCP_WSCALE_LEN)
				return false;
			o->present |= TT_OPT_WSCALE;
			o->wscale = clamp_wscale(p[2]);
			break;
		case TCP_OPT_SACK_OK:
			if (olen != TCP_SACK_OK_LEN)
				return false;
			o->present |= TT_OPT_SACK_OK;
			break;
		case TCP_OPT_TS:
			if (olen != TCP_TS_LEN)
				return false;
			o->present |= TT_OPT_TS;
			read_ts(p, o);
			break;
		case TCP_OPT_SACK:
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

/*
 * The pseudo-header sum (RFC 9293 3.1, RFC 8200 8.1) of the TCP segment of pkt, from the
 * addresses of its IP header: asked for only when the port did not verify the checksum.
 */
static uint16_t tcp_phdr_sum(const void *addrs, const struct tt_pkt *pkt)
{
	const uint8_t *a = addrs;

	if (pkt->family == TT_AF_INET6)
		return tt_net_phdr6_sum(addrs, pkt->l4_len, IPPROTO_TCP);
	/* Zero and protocol, then the length: 16-bit words in memory order, like the addresses. */
	return tt_net_cksum_fold64((uint64_t)tt_net_load32(a) + tt_net_load32(a + 4) +
				   rte_cpu_to_be_16(IPPROTO_TCP) + rte_cpu_to_be_16(pkt->l4_len));
}

/*
 * Options as nearly every stack lays them out, each in whole 4-byte words: MSS; NOP and
 * window scale; NOP, NOP (or SACK-permitted) and timestamps; NOP, NOP and SACK-permitted.
 * Read a word at a time, as parse_tcp_options reads the same bytes, up to the first word
 * that is none of these (SACK blocks, EOL, another layout, any other length); returns the
 * bytes read, which the general walk continues after, so every list ends as the walk alone
 * would leave it: a fast path that cannot accept what the walk refuses.
 */
static inline uint32_t parse_aligned_options(const uint8_t *p, uint32_t len, struct tt_tcp_opts *o)
{
	enum {
		NOP_NOP_TS = 0x0101080a,
		SACK_OK_TS = 0x0402080a,
		NOP_NOP_SACK_OK = 0x01010402,
		MSS_HEAD = 0x0204,	    /* the word's first 16 bits; the MSS follows */
		NOP_WSCALE_HEAD = 0x010303, /* the word's first 24 bits; the shift follows */
	};
	uint32_t off = 0;

	/* Every segment of a connection that agreed on timestamps: one compare, no loop. */
	if (len == TT_TCP_TS_OPT_LEN && tt_net_get_be32(p) == NOP_NOP_TS) {
		o->present = TT_OPT_TS;
		read_ts(p + 2, o);
		return len;
	}
	while (len - off >= 4) {
		uint32_t w = tt_net_get_be32(p + off);

		if ((w == NOP_NOP_TS || w == SACK_OK_TS) && len - off >= TT_TCP_TS_OPT_LEN) {
			o->present |= w == SACK_OK_TS ? TT_OPT_TS | TT_OPT_SACK_OK : TT_OPT_TS;
			read_ts(p + off + 2, o);
			off += TT_TCP_TS_OPT_LEN;
		} else if (w >> 16 == MSS_HEAD) {
			o->present |= TT_OPT_MSS;
			o->mss = (uint16_t)w;
			off += 4;
		} else if (w >> 8 == NOP_WSCALE_HEAD) {
			o->present |= TT_OPT_WSCALE;
			o->wscale = clamp_wscale((uint8_t)w);
			off += 4;
		} else if (w == NOP_NOP_SACK_OK) {
			o->present |= TT_OPT_SACK_OK;
			off += 4;
		} else {
			break;
		}
	}
	return off;
}

/* tt_net_parse_tcp, inline in parse_ipv4: the frame's one call then does all of the work. */
static __rte_always_inline enum tt_pkt_kind parse_tcp(const uint8_t *l4, const void *addrs,
						      const struct tt_net_if *ifc,
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
	    unlikely(tt_net_cksum_sum(l4, pkt->l4_len, tcp_phdr_sum(addrs, pkt)) != 0xffff))
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
	if (doff > TT_TCP_HDR_LEN) {
		const uint8_t *opts = l4 + TT_TCP_HDR_LEN;
		uint32_t len = doff - TT_TCP_HDR_LEN;
		uint32_t read = parse_aligned_options(opts, len, &seg->opts);

		if (read < len && unlikely(!parse_tcp_options(opts + read, len - read, &seg->opts)))
			return tt_net_drop(reason, TT_DROP_TCP_OPTIONS);
	}
	return TT_PKT_TCP;
}

enum tt_pkt_kind tt_net_parse_tcp(const uint8_t *l4, const void *addrs, const struct tt_net_if *ifc,
				  struct tt_pkt *pkt, enum tt_drop *reason)
{
	return parse_tcp(l4, addrs, ifc, pkt, reason);
}

/*
 * The options of an IPv4 header (n bytes at opt): each inside the header, a length of at least 2
 * after its type but for End of Options (the rest is padding) and No Operation.  A source route
 * is refused, as Linux refuses it by default (accept_source_route): a reply that did not follow
 * it back would leave its path, one that did would let the sender pick it.  The options' contents
 * are not read further: nothing the appliance sends carries them.
 */
static bool ip4_options_ok(const uint8_t *opt, uint32_t n, enum tt_drop *reason)
{
	enum { EOL = 0, NOP = 1, LSRR = 131, SSRR = 137 };

	for (uint32_t i = 0; i < n && opt[i] != EOL;) {
		if (opt[i] == NOP) {
			i++;
			continue;
		}
		if (n - i < 2 || opt[i + 1] < 2 || opt[i + 1] > n - i) {
			*reason = TT_DROP_IP_OPTIONS;
			return false;
		}
		if (opt[i] == LSRR || opt[i] == SSRR) {
			*reason = TT_DROP_IP_SOURCE_ROUTE;
			return false;
		}
		i += opt[i + 1];
	}
	return true;
}

static enum tt_pkt_kind parse_ipv4(const uint8_t *l3, uint32_t len, const struct tt_net_if *ifc,
				   struct tt_pkt *pkt, enum tt_drop *reason)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;
	uint32_t ihl, total;

	if (unlikely(len < TT_IP4_HDR_LEN))
		return tt_net_drop(reason, TT_DROP_IP_SHORT);
	/* Version 4 without options, nearly every datagram: one compare judges both fields. */
	ihl = TT_IP4_HDR_LEN;
	if (unlikely(ip->version_ihl != IP4_VERSION_IHL_PLAIN)) {
		if (unlikely((ip->version_ihl >> 4) != 4))
			return tt_net_drop(reason, TT_DROP_IP_VERSION);
		ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
		if (unlikely(ihl < TT_IP4_HDR_LEN || ihl > len))
			return tt_net_drop(reason, TT_DROP_IP_HDR_LEN);
	}
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
	if (unlikely(ihl != TT_IP4_HDR_LEN) &&
	    !ip4_options_ok(l3 + TT_IP4_HDR_LEN, ihl - TT_IP4_HDR_LEN, reason))
		return TT_PKT_DROP;
	pkt->saddr = rte_be_to_cpu_32(ip->src_addr);
	pkt->daddr = rte_be_to_cpu_32(ip->dst_addr);
	if (!tt_net_is_ours(ifc, pkt->daddr))
		return tt_net_drop(reason, TT_DROP_IP_NOT_FOR_US);
	if (unlikely(bad_source(ifc, pkt->saddr)))
		return tt_net_drop(reason, TT_DROP_IP_BAD_SRC);
	pkt->l4_off = (uint16_t)(pkt->l3_off + ihl);
	pkt->l4_len = (uint16_t)(total - ihl);
	if (likely(ip->next_proto_id == IPPROTO_TCP))
		return parse_tcp(l3 + ihl, &ip->src_addr, ifc, pkt, reason);
	if (ip->next_proto_id == IPPROTO_ICMP)
		return parse_icmp(l3 + ihl, ihl, ifc, pkt, reason);
	return tt_net_drop(reason, TT_DROP_IP_PROTO);
}

enum tt_pkt_kind tt_net_parse(const uint8_t *frame, uint32_t len, const struct tt_net_if *ifc,
			      struct tt_pkt *pkt, enum tt_drop *reason)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;
	enum tt_pkt_kind kind;
	rte_be16_t type;
	uint16_t l3, vid;
	bool mcast6, to_us;

	if (unlikely(len < TT_ETH_HDR_LEN))
		return tt_net_drop(reason, TT_DROP_ETH_SHORT);
	/* IPv6 multicast (33:33:..., RFC 2464 7), for IPv6 only (checked once the type is known
	 * behind any tag); the IPv6 destination is judged later.  A unicast MAC never starts so. */
	mcast6 = frame[0] == 0x33 && frame[1] == 0x33;
	to_us = memcmp(&eth->dst_addr, ifc->mac.b, 6) == 0;
	if (!to_us && !rte_is_broadcast_ether_addr(&eth->dst_addr) && !mcast6)
		return tt_net_drop(reason, TT_DROP_ETH_DST);
	/* A group address is never a frame's source (IEEE 802): answered, our reply would go to
	 * the whole link; nor is the all-zero address, which no switch learns, so a reply to it is
	 * flooded.  One test of the copy for both. */
	memcpy(pkt->src_mac.b, &eth->src_addr, 6);
	if (unlikely(!tt_net_mac_is_host(&pkt->src_mac)))
		return tt_net_drop(reason,
				   frame[6] & 1 ? TT_DROP_ETH_SRC_GROUP : TT_DROP_ETH_SRC_ZERO);
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
	pkt->l3_off = l3;
	pkt->family = TT_AF_INET;
	/*
	 * A datagram to a unicast address of ours that came to a group MAC is dropped (RFC 1122
	 * 3.3.6; Linux's TCP takes only frames to its own MAC): whoever sent it to the whole link
	 * was not talking to us.  No IPv4 broadcast or multicast is served at all; IPv6 lets its
	 * groups' messages through (neighbour discovery, an echo to our solicited-node group).
	 */
	if (likely(type == RTE_BE16(RTE_ETHER_TYPE_IPV4))) {
		if (unlikely(!to_us))
			return tt_net_drop(reason, TT_DROP_ETH_GROUP_DST);
		return parse_ipv4(frame + l3, len - l3, ifc, pkt, reason);
	}
	switch (type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		/* IPv6 replies are written at fixed offsets: a tag, even a priority one, must be
		 * out of the frame (the port's offload or tt_net_vlan_strip) before it is parsed.
		 */
		if (unlikely(l3 != TT_ETH_HDR_LEN))
			return tt_net_drop(reason, TT_DROP_ETH_TYPE);
		kind = tt_net_parse_ipv6(frame + l3, len - l3, ifc, pkt, reason);
		/* (An echo's daddr6 is by now the address its group stands for: the frame's.) */
		if (unlikely(!to_us) &&
		    (kind == TT_PKT_TCP || kind == TT_PKT_TOO_BIG ||
		     (kind == TT_PKT_ICMP6_ECHO &&
		      frame[l3 + offsetof(struct rte_ipv6_hdr, dst_addr)] != 0xff)))
			return tt_net_drop(reason, TT_DROP_ETH_GROUP_DST);
		return kind;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return parse_arp(frame + l3, len - l3, ifc, pkt, reason);
	default:
		return tt_net_drop(reason, TT_DROP_ETH_TYPE);
	}
}
