/*
 * libFuzzer harness for tt_net_parse(): the input is one received frame.  Whatever the parser
 * accepts, later stages trust without checking again, so beyond "no crash" this checks what
 * they rely on: a TCP segment's headers and payload lie inside the frame, the ARP, ICMP and
 * ICMPv6 replies built in place stay inside it and come out well formed, and a neighbour
 * advertisement written for a solicitation fits TT_ND_FRAME_LEN and checksums.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tt_nd.h"
#include "tt_net.h"

#define OUR_IP 0xc6120002u /* 198.18.0.2 */

/*
 * Each frame is parsed twice, as software checks it and as if the NIC had verified the
 * checksums: the second lets the fuzzer reach what lies behind a checksum without forging it.
 * Four addresses, as the load generator owns a range.
 */
/* Two IPv6 addresses, 2001:2::2 and 2001:2:0:1::2 (RFC 5180's benchmarking range). */
#define OUR_IP6                                                                                    \
	.n_addr6 = 2, .addr6 = {                                                                   \
			  {{0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}},                \
			  {{0x20, 0x01, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2}},                \
	}
static const struct tt_net_if ifs[] = {
    {.mac = {{0x02, 0x00, 0x00, 0x12, 0x00, 0x02}}, .addr = OUR_IP, .addr_count = 4, OUR_IP6},
    {.mac = {{0x02, 0x00, 0x00, 0x12, 0x00, 0x02}},
     .addr = OUR_IP,
     .addr_count = 4,
     .rx_cksum = TT_RX_IP_CKSUM_GOOD | TT_RX_L4_CKSUM_GOOD,
     OUR_IP6},
};

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_tcp(const uint8_t *frame, uint32_t len, const struct tt_pkt *pkt,
		      const struct tt_net_if *ifc)
{
	const struct tt_tcp_seg *seg = &pkt->seg;
	const uint8_t *l4 = frame + pkt->l4_off;

	FUZZ_CHECK(pkt->l4_off >=
		   TT_ETH_HDR_LEN + (pkt->family == TT_AF_INET6 ? TT_IP6_HDR_LEN : TT_IP4_HDR_LEN));
	FUZZ_CHECK((uint32_t)pkt->l4_off + pkt->l4_len <= len);
	/* The payload starts after a header of 20..60 bytes and ends with the IPv4 datagram. */
	FUZZ_CHECK(seg->payload >= l4 + TT_TCP_HDR_LEN);
	FUZZ_CHECK(seg->payload <= l4 + TT_TCP_HDR_LEN + TT_TCP_OPT_MAX_LEN);
	FUZZ_CHECK(seg->payload + seg->len == l4 + pkt->l4_len);
	FUZZ_CHECK(seg->len <= len);
	FUZZ_CHECK(pkt->sport != 0 && pkt->dport != 0);
	FUZZ_CHECK(!((seg->flags & TT_TCP_SYN) && (seg->flags & (TT_TCP_FIN | TT_TCP_RST))));
	FUZZ_CHECK(!(seg->opts.present & TT_OPT_WSCALE) || seg->opts.wscale <= 14);
	if (pkt->family == TT_AF_INET6)
		FUZZ_CHECK(tt_net_is_ours6(ifc, &pkt->daddr6));
	else
		FUZZ_CHECK(tt_net_is_ours(ifc, pkt->daddr));
}

/* The ICMPv6 message of an IPv6 frame r (no extension headers), mlen bytes, checksums. */
static bool icmp6_cksum_ok(const uint8_t *r, uint32_t mlen)
{
	const uint8_t *m = r + TT_ETH_HDR_LEN + TT_IP6_HDR_LEN;

	return tt_net_cksum_sum(m, mlen, tt_net_phdr6_sum(r + TT_ETH_HDR_LEN + 8, mlen, 58)) ==
	       0xffff;
}

/* The reply is written over a copy of exactly the frame's size and may only shrink it. */
static void check_icmp6(const uint8_t *frame, uint32_t len, const struct tt_pkt *pkt,
			const struct tt_net_if *ifc)
{
	uint8_t *r;
	uint32_t rlen;

	FUZZ_CHECK(pkt->family == TT_AF_INET6 && tt_net_is_ours6(ifc, &pkt->daddr6));
	FUZZ_CHECK(pkt->l4_off >= TT_ETH_HDR_LEN + TT_IP6_HDR_LEN);
	FUZZ_CHECK((uint32_t)pkt->l4_off + pkt->l4_len <= len);
	r = malloc(len);
	FUZZ_CHECK(r != NULL);
	memcpy(r, frame, len);
	rlen = tt_net_icmp6_echo_reply(r, pkt, ifc);
	FUZZ_CHECK(rlen == (uint32_t)TT_ETH_HDR_LEN + TT_IP6_HDR_LEN + pkt->l4_len && rlen <= len);
	FUZZ_CHECK(memcmp(r, pkt->src_mac.b, 6) == 0);
	FUZZ_CHECK(memcmp(r + 6, ifc->mac.b, 6) == 0);
	FUZZ_CHECK(r[TT_ETH_HDR_LEN + 6] == 58);
	FUZZ_CHECK(memcmp(r + TT_ETH_HDR_LEN + 8, &pkt->daddr6, 16) == 0);
	FUZZ_CHECK(memcmp(r + TT_ETH_HDR_LEN + 24, &pkt->saddr6, 16) == 0);
	FUZZ_CHECK(r[TT_ETH_HDR_LEN + TT_IP6_HDR_LEN] == 129);
	FUZZ_CHECK(icmp6_cksum_ok(r, pkt->l4_len));
	/* Identifier, sequence number and data come back unchanged. */
	FUZZ_CHECK(memcmp(r + TT_ETH_HDR_LEN + TT_IP6_HDR_LEN + 4, frame + pkt->l4_off + 4,
			  pkt->l4_len - 4) == 0);
	free(r);
}

/* An advertisement for one of our addresses, into exactly TT_ND_FRAME_LEN bytes. */
static void check_ns(const struct tt_pkt *pkt, const struct tt_net_if *ifc)
{
	uint8_t *r = malloc(TT_ND_FRAME_LEN);

	FUZZ_CHECK(r != NULL);
	FUZZ_CHECK(tt_net_is_ours6(ifc, &pkt->nd_target));
	FUZZ_CHECK(tt_nd_na_reply(r, pkt, ifc) == TT_ND_FRAME_LEN);
	FUZZ_CHECK(memcmp(r + 6, ifc->mac.b, 6) == 0);
	FUZZ_CHECK(r[TT_ETH_HDR_LEN + 7] == TT_ND_HOP_LIMIT);
	FUZZ_CHECK(memcmp(r + TT_ETH_HDR_LEN + 8, &pkt->nd_target, 16) == 0);
	FUZZ_CHECK(r[TT_ETH_HDR_LEN + TT_IP6_HDR_LEN] == TT_ND_TYPE_NA);
	FUZZ_CHECK(icmp6_cksum_ok(r, TT_ND_MSG_LEN + TT_ND_LLA_OPT_LEN));
	free(r);
}

/* tt_net_arp_reply() on a copy of exactly the frame's size: ASan catches a write past it. */
static void check_arp(const uint8_t *frame, uint32_t len, const struct tt_pkt *pkt,
		      const struct tt_net_if *ifc)
{
	enum { ARP_END = TT_ETH_HDR_LEN + TT_ARP_LEN };
	uint8_t *r;

	FUZZ_CHECK(len >= ARP_END);
	FUZZ_CHECK(tt_net_is_ours(ifc, pkt->daddr));
	/* The data path answers requests only; replies just teach it a neighbour. */
	if (pkt->arp_op != TT_ARP_OP_REQUEST)
		return;
	r = malloc(len);
	FUZZ_CHECK(r != NULL);
	memcpy(r, frame, len);
	tt_net_arp_reply(r, ifc);
	FUZZ_CHECK(memcmp(r, pkt->src_mac.b, 6) == 0);
	FUZZ_CHECK(memcmp(r + 6, ifc->mac.b, 6) == 0);
	FUZZ_CHECK(r[20] == 0 && r[21] == TT_ARP_OP_REPLY);
	FUZZ_CHECK(memcmp(r + 22, ifc->mac.b, 6) == 0);
	FUZZ_CHECK(get_be32(r + 28) == pkt->daddr);
	FUZZ_CHECK(memcmp(r + 32, pkt->src_mac.b, 6) == 0);
	FUZZ_CHECK(get_be32(r + 38) == pkt->saddr);
	FUZZ_CHECK(memcmp(r + ARP_END, frame + ARP_END, len - ARP_END) == 0);
	free(r);
}

/* The echo reply goes out with the request's length: every checksum must hold over it. */
static void check_icmp(const uint8_t *frame, uint32_t len, const struct tt_pkt *pkt,
		       const struct tt_net_if *ifc)
{
	uint32_t ihl = (uint32_t)(frame[TT_ETH_HDR_LEN] & 0xf) * 4;
	uint8_t *r;

	FUZZ_CHECK(pkt->l4_off == TT_ETH_HDR_LEN + ihl);
	FUZZ_CHECK(pkt->l4_len >= TT_ICMP_HDR_LEN);
	FUZZ_CHECK((uint32_t)pkt->l4_off + pkt->l4_len <= len);
	r = malloc(len);
	FUZZ_CHECK(r != NULL);
	memcpy(r, frame, len);
	tt_net_icmp_echo_reply(r, pkt, ifc);
	FUZZ_CHECK(memcmp(r, pkt->src_mac.b, 6) == 0);
	FUZZ_CHECK(memcmp(r + 6, ifc->mac.b, 6) == 0);
	FUZZ_CHECK(get_be32(r + 26) == pkt->daddr);
	FUZZ_CHECK(get_be32(r + 30) == pkt->saddr);
	FUZZ_CHECK(tt_net_cksum_sum(r + TT_ETH_HDR_LEN, ihl, 0) == 0xffff);
	FUZZ_CHECK(r[pkt->l4_off] == 0 && r[pkt->l4_off + 1] == 0);
	FUZZ_CHECK(tt_net_cksum_sum(r + pkt->l4_off, pkt->l4_len, 0) == 0xffff);
	/* Identifier, sequence number and data come back unchanged. */
	FUZZ_CHECK(memcmp(r + pkt->l4_off + 4, frame + pkt->l4_off + 4, len - pkt->l4_off - 4) ==
		   0);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > UINT16_MAX)
		return 0; /* an mbuf segment's data_len is 16 bits */
	for (size_t i = 0; i < sizeof(ifs) / sizeof(ifs[0]); i++) {
		enum tt_drop reason = TT_DROP_COUNT;
		struct tt_pkt pkt;

		switch (tt_net_parse(data, (uint32_t)size, &ifs[i], &pkt, &reason)) {
		case TT_PKT_DROP:
			FUZZ_CHECK(reason < TT_DROP_COUNT);
			break;
		case TT_PKT_ARP:
			check_arp(data, (uint32_t)size, &pkt, &ifs[i]);
			break;
		case TT_PKT_ICMP_ECHO:
			check_icmp(data, (uint32_t)size, &pkt, &ifs[i]);
			break;
		case TT_PKT_TCP:
			check_tcp(data, (uint32_t)size, &pkt, &ifs[i]);
			break;
		case TT_PKT_ICMP6_ECHO:
			check_icmp6(data, (uint32_t)size, &pkt, &ifs[i]);
			break;
		case TT_PKT_ND_NS:
			check_ns(&pkt, &ifs[i]);
			break;
		case TT_PKT_ND_NA:
			FUZZ_CHECK(pkt.nd_target.b[0] != 0xff);
			break;
		}
	}
	return 0;
}
