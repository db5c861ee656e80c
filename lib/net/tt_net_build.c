/* Frame building and in-place replies; see tt_net.h. */
#include <assert.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "tt_net.h"

/* a + b with the carry out added back in: one's-complement addition of 64-bit words. */
static inline uint64_t add_carry(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

/*
 * The size bytes at p, size 1, 2 or 4, as they would lie at byte offset off of a 64-bit word
 * loaded from memory (the rest zero): where the one's-complement sum in memory order wants them.
 */
static inline uint64_t bytes_at(const uint8_t *p, unsigned size, unsigned off)
{
	uint64_t v;

	if (size == 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		v = w;
	} else if (size == 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		v = w;
	} else {
		v = *p;
	}
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return v << (8 * off);
#else
	return v << (8 * (8 - off - size));
#endif
}

uint16_t tt_net_cksum_sum(const void *data, uint32_t len, uint32_t seed)
{
	const uint8_t *p = data;
	uint64_t s0 = seed, s1 = 0, w[4], tail = 0;

	for (; len >= 32; p += 32, len -= 32) {
		memcpy(w, p, 32);
		s0 = add_carry(s0, w[0]);
		s1 = add_carry(s1, w[1]);
		s0 = add_carry(s0, w[2]);
		s1 = add_carry(s1, w[3]);
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(w, p, 8);
		s0 = add_carry(s0, w[0]);
	}
	/*
	 * The tail (< 8 bytes) as a word whose bytes sit at their offsets, the rest zero: it
	 * starts at an even offset, so a last odd byte is the first of its 16-bit word, as RFC
	 * 1071 pads it.  Built in a register: pieces stored into a buffer and read back as one
	 * word wait for the stores (no forwarding from several stores to one load), and that wait
	 * was a quarter of this function's samples in the cps profile on memif.  Alternated inside
	 * runs there (bench/README.md): median intervals of 1,119 busy cycles per connection
	 * against 1,139-1,146, and 370 per request against 380-384.
	 */
	if (len & 4)
		tail = bytes_at(p, 4, 0);
	if (len & 2)
		tail |= bytes_at(p + (len & 4), 2, len & 4);
	if (len & 1)
		tail |= bytes_at(p + (len & 6), 1, len & 6);
	return tt_net_cksum_fold64(add_carry(add_carry(s0, s1), tail));
}

/*
 * Header words written in order: every field of the TCP header and of our options falls in
 * whole 32-bit words, so each is composed in a register, stored at once and added to sum (the
 * words as they lie in memory, which is what the one's-complement sum takes).
 */
struct words {
	uint8_t *p;
	uint64_t sum;
};

/* Store the word whose bytes, first to last, are those of host read as big-endian. */
static inline void put_word(struct words *w, uint32_t host)
{
	uint32_t be = rte_cpu_to_be_32(host);

	memcpy(w->p, &be, 4);
	w->p += 4;
	w->sum += be;
}

/*
 * Options are laid out so that every one stays 4-byte aligned, the way
 * most stacks send them: MSS, NOP+WS, NOP+NOP+SACK-permitted (or merged
 * into the NOP padding in front of timestamps), NOP+NOP+TS, NOP+NOP+SACK
 * blocks.  The caller bounds the blocks (sack_n <= 4, 3 with timestamps):
 * the options then never exceed 40 bytes.
 */
static inline void write_options(struct words *w, const struct tt_tcp_opts *o)
{
	if (o->present & TT_OPT_MSS)
		put_word(w, 0x02040000u | o->mss);
	if (o->present & TT_OPT_WSCALE)
		put_word(w, 0x01030300u | o->wscale);
	if (o->present & TT_OPT_TS) {
		put_word(w, (o->present & TT_OPT_SACK_OK) ? 0x0402080au : 0x0101080au);
		put_word(w, o->tsval);
		put_word(w, o->tsecr);
	} else if (o->present & TT_OPT_SACK_OK) {
		put_word(w, 0x01010402u);
	}
	if (o->present & TT_OPT_SACK) {
		put_word(w, 0x01010500u | (2u + TT_SACK_BLOCK_LEN * o->sack_n));
		for (unsigned i = 0; i < o->sack_n; i++) {
			put_word(w, o->sack[i].start);
			put_word(w, o->sack[i].end);
		}
	}
}

/*
 * The TCP header and options of a at th, the checksum field zero; returns the header's length
 * and its words' sum in *sum.  Inlined into each family's builder: the data path's one pass.
 */
static inline __attribute__((always_inline)) uint32_t
write_tcp(uint8_t *th, const struct tt_tcp_hdr_args *a, uint64_t *sum)
{
	struct words w = {.p = th + TT_TCP_HDR_LEN, .sum = 0};
	uint32_t tcplen;

	write_options(&w, &a->opts);
	tcplen = (uint32_t)(w.p - th);
	assert(tcplen <= TT_TCP_HDR_LEN + TT_TCP_OPT_MAX_LEN);
	w.p = th;
	put_word(&w, (uint32_t)a->sport << 16 | a->dport);
	put_word(&w, a->seq);
	put_word(&w, a->ack);
	put_word(&w, (tcplen / 4) << 28 | (uint32_t)a->flags << 16 | a->wnd);
	put_word(&w, 0); /* checksum and urgent pointer */
	*sum = w.sum;
	return tcplen;
}

uint32_t tt_net_tcp_build_tx(uint8_t *frame, const struct tt_tcp_hdr_args *a, uint32_t payload_len,
			     unsigned offload)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + TT_ETH_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(frame + TT_ETH_HDR_LEN + TT_IP4_HDR_LEN);
	uint64_t words;
	uint32_t tcplen = write_tcp((uint8_t *)th, a, &words);
	rte_be32_t saddr = rte_cpu_to_be_32(a->saddr), daddr = rte_cpu_to_be_32(a->daddr);
	rte_be16_t ip_len = rte_cpu_to_be_16((uint16_t)(TT_IP4_HDR_LEN + tcplen + payload_len));
	uint64_t addrs = (uint64_t)saddr + daddr; /* two 32-bit words: four 16-bit ones, folded */
	uint64_t phdr =
	    addrs + RTE_BE16(IPPROTO_TCP) + rte_cpu_to_be_16((uint16_t)(tcplen + payload_len));

	memcpy(&eth->dst_addr, a->dst_mac.b, 6);
	memcpy(&eth->src_addr, a->src_mac.b, 6);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = ip_len;
	ip->packet_id = 0;
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = TT_IP4_TTL;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = saddr;
	ip->dst_addr = daddr;
	/* Every sum from the values, not from the frame: see tt_net_tcp_cksum. */
	ip->hdr_checksum = 0;
	if (!(offload & TT_TX_IP_CKSUM))
		ip->hdr_checksum = (uint16_t)~tt_net_cksum_fold64(
		    addrs + RTE_BE16(RTE_IPV4_VHL_DEF << 8) + ip_len +
		    RTE_BE16(RTE_IPV4_HDR_DF_FLAG) + RTE_BE16(TT_IP4_TTL << 8 | IPPROTO_TCP));
	th->cksum = tt_net_cksum_fold64((offload & TT_TX_TCP_CKSUM) ? phdr : phdr + words);
	return TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + tcplen;
}

uint32_t tt_net_tcp_build(uint8_t *frame, const struct tt_tcp_hdr_args *a, uint32_t payload_len)
{
	return tt_net_tcp_build_tx(frame, a, payload_len, TT_TX_TCP_CKSUM);
}

void tt_net_tcp_cksum_finish(uint8_t *frame, uint16_t payload_sum)
{
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(frame + TT_ETH_HDR_LEN + TT_IP4_HDR_LEN);

	th->cksum = (uint16_t)~tt_net_cksum_fold64((uint64_t)th->cksum + payload_sum);
}

/*
 * The pseudo-header sum (RFC 9293 3.1) of an option-less IPv4 header with
 * the TCP length, folded, not inverted: what offload wants in the TCP
 * checksum field and what a software sum starts from.
 */
static inline uint16_t phdr_sum(const struct rte_ipv4_hdr *ip, uint32_t tcp_len)
{
	uint32_t s = (uint32_t)(ip->src_addr & 0xffff) + (ip->src_addr >> 16) +
		     (ip->dst_addr & 0xffff) + (ip->dst_addr >> 16) +
		     rte_cpu_to_be_16(IPPROTO_TCP) + rte_cpu_to_be_16((uint16_t)tcp_len);

	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)((s & 0xffff) + (s >> 16));
}

void tt_net_tcp_cksum(uint8_t *frame, unsigned offload)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + TT_ETH_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(frame + TT_ETH_HDR_LEN + TT_IP4_HDR_LEN);
	uint32_t tcp_len;

	/*
	 * With the TCP sum offloaded nothing is read: tt_net_tcp_build already left the
	 * IPv4 checksum and the TCP seed, computed from its arguments.  Reading the header
	 * back would wait for the line of a buffer fresh from the pool (a miss per frame).
	 */
	if (offload & TT_TX_TCP_CKSUM) {
		if (offload & TT_TX_IP_CKSUM)
			ip->hdr_checksum = 0;
		return;
	}
	tcp_len = rte_be_to_cpu_16(ip->total_length) - TT_IP4_HDR_LEN;
	ip->hdr_checksum = 0;
	if (!(offload & TT_TX_IP_CKSUM))
		ip->hdr_checksum = (uint16_t)~tt_net_cksum_ip4_hdr(ip);
	/* The seed sits in the field and is summed with the segment. Not the UDP rule of
	 * rte_ipv4_udptcp_cksum (a computed 0x0000 sent as 0xffff): TCP sends the value. */
	th->cksum = phdr_sum(ip, tcp_len);
	th->cksum = (uint16_t)~tt_net_cksum_sum(th, tcp_len, 0);
}

/* Not inlined into the stack's flattened send path (tt_stack.c send_out): IPv6 is rare there. */
__attribute__((noinline)) uint32_t tt_net_tcp6_build(uint8_t *frame,
						     const struct tt_tcp_hdr_args *a,
						     const uint8_t src[16], const uint8_t dst[16],
						     uint32_t payload_len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(frame + TT_ETH_HDR_LEN);
	uint64_t words; /* unused: tt_net_tcp6_cksum sums the frame */
	uint32_t tcplen = write_tcp((uint8_t *)(ip + 1), a, &words);

	memcpy(&eth->dst_addr, a->dst_mac.b, 6);
	memcpy(&eth->src_addr, a->src_mac.b, 6);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(tcplen + payload_len));
	ip->proto = IPPROTO_TCP;
	ip->hop_limits = TT_IP6_HOP_LIMIT;
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
	return TT_ETH_HDR_LEN + TT_IP6_HDR_LEN + tcplen;
}

/* Kept out of the stack's flattened send path, as tt_net_tcp6_build is. */
__attribute__((noinline)) void tt_net_tcp6_cksum(uint8_t *frame)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(frame + TT_ETH_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t tcp_len = rte_be_to_cpu_16(ip->payload_len);

	th->cksum = tt_net_phdr6_sum(ip->src_addr, tcp_len, IPPROTO_TCP);
	th->cksum = (uint16_t)~tt_net_cksum_sum(th, tcp_len, 0);
}

uint32_t tt_net_arp_request(uint8_t *frame, const struct tt_mac *src, uint32_t sip, uint32_t tip,
			    const struct tt_mac *dst)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(frame + TT_ETH_HDR_LEN);

	if (dst != NULL)
		memcpy(&eth->dst_addr, dst->b, 6);
	else
		memset(&eth->dst_addr, 0xff, 6);
	memcpy(&eth->src_addr, src->b, 6);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	memcpy(&arp->arp_data.arp_sha, src->b, 6);
	arp->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	memset(&arp->arp_data.arp_tha, 0, 6);
	arp->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return TT_ETH_HDR_LEN + TT_ARP_LEN;
}

void tt_net_arp_reply(uint8_t *frame, const struct tt_pkt *pkt, const struct tt_net_if *ifc)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(frame + pkt->l3_off);
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
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + pkt->l3_off);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(frame + pkt->l4_off);
	uint32_t sum;

	eth->dst_addr = eth->src_addr;
	memcpy(&eth->src_addr, ifc->mac.b, 6);
	ip->dst_addr = ip->src_addr;
	ip->src_addr = rte_cpu_to_be_32(pkt->daddr);
	ip->time_to_live = TT_IP4_TTL;
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

uint16_t tt_net_phdr6_sum(const void *addrs, uint32_t len, uint8_t proto)
{
	/* The 32-bit length and the next header, in memory order like the addresses. */
	return tt_net_cksum_sum(addrs, 32,
				(uint32_t)rte_cpu_to_be_16((uint16_t)(len >> 16)) +
				    rte_cpu_to_be_16((uint16_t)len) + rte_cpu_to_be_16(proto));
}

uint32_t tt_net_icmp6_echo_reply(uint8_t *frame, const struct tt_pkt *pkt,
				 const struct tt_net_if *ifc)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(frame + TT_ETH_HDR_LEN);
	uint8_t *icmp = frame + TT_ETH_HDR_LEN + TT_IP6_HDR_LEN;
	uint16_t sum;

	eth->dst_addr = eth->src_addr;
	memcpy(&eth->src_addr, ifc->mac.b, 6);
	/* Extension headers are the request's, not the reply's. */
	if (pkt->l4_off != TT_ETH_HDR_LEN + TT_IP6_HDR_LEN)
		memmove(icmp, frame + pkt->l4_off, pkt->l4_len);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(pkt->l4_len);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = TT_IP6_HOP_LIMIT;
	memcpy(ip->src_addr, &pkt->daddr6, 16);
	memcpy(ip->dst_addr, &pkt->saddr6, 16);
	icmp[0] = 129; /* echo reply (RFC 4443 4.2) */
	icmp[2] = icmp[3] = 0;
	sum = (uint16_t)~tt_net_cksum_sum(
	    icmp, pkt->l4_len, tt_net_phdr6_sum(ip->src_addr, pkt->l4_len, IPPROTO_ICMPV6));
	memcpy(icmp + 2, &sum, 2);
	return TT_ETH_HDR_LEN + TT_IP6_HDR_LEN + pkt->l4_len;
}
