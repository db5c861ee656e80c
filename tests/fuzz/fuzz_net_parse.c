/*
 * libFuzzer harness for tt_net_parse(): the input is one received frame.  Whatever the parser
 * accepts, later stages trust without checking again, so beyond "no crash" this checks what
 * they rely on: a TCP segment's headers and payload lie inside the frame, the ARP, ICMP and
 * ICMPv6 replies built in place stay inside it and come out well formed (a VLAN tag kept), a
 * neighbour advertisement written for a solicitation fits TT_ND_FRAME_LEN and checksums, a
 * frame reaches only the interface of its VLAN, and tagging an accepted frame in software
 * changes nothing but its VLAN.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tt_nd.h"
#include "tt_net.h"

#define OUR_IP 0xc6120002u /* 198.18.0.2 */

/*
 * Each frame is parsed four times: as software checks it, as if the NIC had verified the
 * checksums (which lets the fuzzer reach what lies behind a checksum without forging it), as
 * VLAN 100's interface would, and as VLAN 100's when the port stripped a tag of 100 from it.
 * Every interface has the same MAC and addresses: four IPv4 ones from 198.18.0.2, as the load
 * generator owns a range, and two IPv6 ones, 2001:2::2 and 2001:2:0:1::2 (RFC 5180's
 * benchmarking range).
 */
#define OURS                                                                                       \
	.mac = {{0x02, 0x00, 0x00, 0x12, 0x00, 0x02}}, .addr = OUR_IP, .addr_count = 4,            \
	.n_addr6 = 2,                                                                              \
	.addr6 = {                                                                                 \
	    {{0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}},                              \
	    {{0x20, 0x01, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2}},                              \
	}
static const struct tt_net_if ifs[] = {
    {OURS},
    {OURS, .rx_cksum = TT_RX_IP_CKSUM_GOOD | TT_RX_L4_CKSUM_GOOD},
    {OURS, .vlan = 100, .rx_cksum = TT_RX_IP_CKSUM_GOOD | TT_RX_L4_CKSUM_GOOD},
    {OURS, .vlan = 100, .rx_vlan_stripped = true, .rx_vlan_id = 0x2064 /* priority 1, VLAN 100 */},
};

/* The layer 2 header as the parser reports it: one tag at most, the interface's VLAN. */
static void check_l2(const uint8_t *frame, uint32_t len, const struct tt_pkt *pkt,
		     const struct tt_net_if *ifc)
{
	bool tagged = frame[12] == 0x81 && frame[13] == 0x00;

	FUZZ_CHECK(pkt->l3_off == (tagged ? TT_ETH_HDR_LEN + TT_VLAN_TAG_LEN : TT_ETH_HDR_LEN));
	FUZZ_CHECK(!(tagged && ifc->rx_vlan_stripped));
	FUZZ_CHECK(pkt->l3_off <= len);
	FUZZ_CHECK(!tagged || tt_net_frame_vlan(frame, len) == ifc->vlan);
}

/*
 * An untagged frame the untagged interface took, tagged in software (tt_net_vlan_insert), is
 * taken by VLAN 100's interface with the same result; IPv6, served untagged only, is not.
 */
static void check_tagged_same(const uint8_t *frame, uint32_t len, enum tt_pkt_kind kind,
			      const struct tt_pkt *pkt, const struct tt_net_if *ifc)
{
	struct tt_net_if vif = *ifc;
	struct tt_pkt t;
	enum tt_drop reason;
	uint8_t *r;

	if (pkt->l3_off != TT_ETH_HDR_LEN || ifc->vlan != 0)
		return;
	r = malloc(len + TT_VLAN_TAG_LEN);
	FUZZ_CHECK(r != NULL);
	memcpy(r + TT_VLAN_TAG_LEN, frame, len);
	tt_net_vlan_insert(r, 100);
	vif.vlan = 100;
	if (pkt->family == TT_AF_INET6) {
		/* Refused with its tag in it; the worker takes the tag out first, as here. */
		FUZZ_CHECK(tt_net_parse(r, len + TT_VLAN_TAG_LEN, &vif, &t, &reason) ==
			   TT_PKT_DROP);
		FUZZ_CHECK(reason == TT_DROP_ETH_TYPE);
		FUZZ_CHECK(tt_net_frame_tagged_ipv6(r, len + TT_VLAN_TAG_LEN));
		tt_net_vlan_strip(r);
		vif.rx_vlan_stripped = true;
		vif.rx_vlan_id = 100;
		FUZZ_CHECK(tt_net_parse(r + TT_VLAN_TAG_LEN, len, &vif, &t, &reason) == kind);
		FUZZ_CHECK(t.l3_off == TT_ETH_HDR_LEN && t.l4_off == pkt->l4_off);
		FUZZ_CHECK(memcmp(&t.saddr6, &pkt->saddr6, 16) == 0);
		free(r);
		return;
	}
	FUZZ_CHECK(tt_net_parse(r, len + TT_VLAN_TAG_LEN, &vif, &t, &reason) == kind);
	FUZZ_CHECK(t.l3_off == TT_ETH_HDR_LEN + TT_VLAN_TAG_LEN);
	FUZZ_CHECK(t.saddr == pkt->saddr && t.daddr == pkt->daddr);
	FUZZ_CHECK(kind == TT_PKT_ARP || t.l4_off == pkt->l4_off + TT_VLAN_TAG_LEN);
	free(r);
}

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
		   pkt->l3_off + (pkt->family == TT_AF_INET6 ? TT_IP6_HDR_LEN : TT_IP4_HDR_LEN));
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

/* The link-layer address option handed on: 8 bytes of the message's options, of the type the
 * message carries; an NA's flags are its three defined bits only, an NS has none. */
static void check_nd_lla(const uint8_t *frame, uint32_t len, const struct tt_pkt *pkt)
{
	const uint8_t *opts = frame + pkt->l4_off + TT_ND_MSG_LEN;
	uint32_t olen = pkt->l4_len - TT_ND_MSG_LEN;
	uint8_t type = frame[pkt->l4_off] == TT_ND_TYPE_NA ? TT_ND_OPT_TLLA : TT_ND_OPT_SLLA;
	bool found = false, any = false;

	FUZZ_CHECK((uint32_t)pkt->l4_off + pkt->l4_len <= len && pkt->l4_len >= TT_ND_MSG_LEN);
	FUZZ_CHECK((pkt->nd_flags & ~(TT_ND_NA_ROUTER | TT_ND_NA_SOLICITED | TT_ND_NA_OVERRIDE)) ==
		   0);
	FUZZ_CHECK(type == TT_ND_OPT_TLLA || pkt->nd_flags == 0);
	for (uint32_t off = 0; off + 2 <= olen && opts[off + 1] != 0; off += opts[off + 1] * 8u) {
		if (opts[off] != type)
			continue;
		FUZZ_CHECK(opts[off + 1] == 1); /* any other length is refused */
		any = true;
		found |= memcmp(opts + off + 2, pkt->nd_lla.b, 6) == 0;
	}
	FUZZ_CHECK(pkt->nd_has_lla == any && found == any);
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
	const uint32_t o = pkt->l3_off - TT_ETH_HDR_LEN; /* 4 after a tag */
	const uint32_t ARP_END = pkt->l3_off + TT_ARP_LEN;
	uint8_t *r;

	FUZZ_CHECK(len >= ARP_END);
	FUZZ_CHECK(tt_net_is_ours(ifc, pkt->daddr));
	/* The data path answers requests only; replies just teach it a neighbour. */
	if (pkt->arp_op != TT_ARP_OP_REQUEST)
		return;
	r = malloc(len);
	FUZZ_CHECK(r != NULL);
	memcpy(r, frame, len);
	tt_net_arp_reply(r, pkt, ifc);
	FUZZ_CHECK(memcmp(r, pkt->src_mac.b, 6) == 0);
	FUZZ_CHECK(memcmp(r + 6, ifc->mac.b, 6) == 0);
	FUZZ_CHECK(memcmp(r + 12, frame + 12, 2 + o) == 0); /* type, or the tag, unchanged */
	FUZZ_CHECK(r[o + 20] == 0 && r[o + 21] == TT_ARP_OP_REPLY);
	FUZZ_CHECK(memcmp(r + o + 22, ifc->mac.b, 6) == 0);
	FUZZ_CHECK(get_be32(r + o + 28) == pkt->daddr);
	FUZZ_CHECK(memcmp(r + o + 32, pkt->src_mac.b, 6) == 0);
	FUZZ_CHECK(get_be32(r + o + 38) == pkt->saddr);
	FUZZ_CHECK(memcmp(r + ARP_END, frame + ARP_END, len - ARP_END) == 0);
	free(r);
}

/* The echo reply goes out with the request's length: every checksum must hold over it. */
static void check_icmp(const uint8_t *frame, uint32_t len, const struct tt_pkt *pkt,
		       const struct tt_net_if *ifc)
{
	const uint32_t l3 = pkt->l3_off;
	uint32_t ihl = (uint32_t)(frame[l3] & 0xf) * 4;
	uint8_t *r;

	FUZZ_CHECK(pkt->l4_off == l3 + ihl);
	FUZZ_CHECK(pkt->l4_len >= TT_ICMP_HDR_LEN);
	FUZZ_CHECK((uint32_t)pkt->l4_off + pkt->l4_len <= len);
	r = malloc(len);
	FUZZ_CHECK(r != NULL);
	memcpy(r, frame, len);
	tt_net_icmp_echo_reply(r, pkt, ifc);
	FUZZ_CHECK(memcmp(r, pkt->src_mac.b, 6) == 0);
	FUZZ_CHECK(memcmp(r + 6, ifc->mac.b, 6) == 0);
	FUZZ_CHECK(memcmp(r + 12, frame + 12, l3 - 12) == 0); /* type, or the tag, unchanged */
	FUZZ_CHECK(get_be32(r + l3 + 12) == pkt->daddr);
	FUZZ_CHECK(get_be32(r + l3 + 16) == pkt->saddr);
	FUZZ_CHECK(tt_net_cksum_sum(r + l3, ihl, 0) == 0xffff);
	FUZZ_CHECK(r[pkt->l4_off] == 0 && r[pkt->l4_off + 1] == 0);
	FUZZ_CHECK(tt_net_cksum_sum(r + pkt->l4_off, pkt->l4_len, 0) == 0xffff);
	/* Identifier, sequence number and data come back unchanged. */
	FUZZ_CHECK(memcmp(r + pkt->l4_off + 4, frame + pkt->l4_off + 4, len - pkt->l4_off - 4) ==
		   0);
	free(r);
}

/* A "too big" error: the quote it was read from lies inside the frame, its source (turned
 * around: daddr) is one of ours, and its MTU is not 0. */
static void check_too_big(size_t len, const struct tt_pkt *pkt, const struct tt_net_if *ifc)
{
	bool v6 = pkt->family == TT_AF_INET6;

	FUZZ_CHECK(pkt->l4_len >= TT_ICMP_HDR_LEN + (v6 ? TT_IP6_HDR_LEN : TT_IP4_HDR_LEN) + 8);
	FUZZ_CHECK((size_t)pkt->l4_off + pkt->l4_len <= len);
	FUZZ_CHECK(v6 ? tt_net_is_ours6(ifc, &pkt->daddr6) : tt_net_is_ours(ifc, pkt->daddr));
	FUZZ_CHECK(pkt->too_big_mtu != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > UINT16_MAX)
		return 0; /* an mbuf segment's data_len is 16 bits */
	for (size_t i = 0; i < sizeof(ifs) / sizeof(ifs[0]); i++) {
		enum tt_drop reason = TT_DROP_COUNT;
		struct tt_pkt pkt;

		enum tt_pkt_kind kind = tt_net_parse(data, (uint32_t)size, &ifs[i], &pkt, &reason);

		if (kind != TT_PKT_DROP) {
			check_l2(data, (uint32_t)size, &pkt, &ifs[i]);
			check_tagged_same(data, (uint32_t)size, kind, &pkt, &ifs[i]);
		}
		switch (kind) {
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
			check_nd_lla(data, (uint32_t)size, &pkt);
			break;
		case TT_PKT_ND_NA:
			FUZZ_CHECK(pkt.nd_target.b[0] != 0xff);
			check_nd_lla(data, (uint32_t)size, &pkt);
			break;
		case TT_PKT_TOO_BIG:
			check_too_big(size, &pkt, &ifs[i]);
			break;
		}
	}
	return 0;
}
