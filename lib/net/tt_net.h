/*
 * tt_net: Ethernet / ARP / IPv4 / ICMP / TCP parsing and frame building.
 *
 * Parsing works on a flat byte range (the first mbuf segment), never on
 * the mbuf itself, so the same code serves the data path, the unit tests
 * and the fuzzer.  tt_net_parse() validates every field a later stage
 * relies on and classifies the frame; on any defect it returns
 * TT_PKT_DROP with exactly one reason; the frame is untouched and the
 * contents of *pkt are then unspecified, except after arp_not_for_us: a
 * well-formed ARP packet for another address (a gratuitous ARP among them)
 * leaves its sender in saddr and src_mac, which may refresh a neighbour.
 *
 * Validation done here, so that later stages may trust the result:
 *   Ethernet  length >= 14, destination is our MAC, broadcast or (IPv6 only) a 33:33
 *             multicast MAC, source neither a group nor the all-zero MAC,
 *             type ARP, IPv4 or IPv6, after at most one 802.1Q tag (18 bytes
 *             then; a second tag, one in a frame the port already stripped a tag from,
 *             or one before IPv6, is an unsupported type: IPv6 replies are written at
 *             fixed offsets, so the worker takes such a tag out first, tt_net_vlan_strip);
 *   VLAN      the frame's VLAN (its tag's ID, or the ID the port stripped;
 *             none, or ID 0 (priority tagged, IEEE 802.1Q 9.6): untagged)
 *             is the interface's: else vlan_unserved (4095: reserved);
 *   ARP       Ethernet/IPv4 hardware and protocol sizes, request or reply;
 *   IPv4      version 4, 20 <= IHL*4 <= total length <= frame length,
 *             header checksum (unless the port already verified it;
 *             dropped at once when the port found it bad),
 *             not a fragment, options each inside the header with a length
 *             of 2 or more and no source route, destination our address, source a unicast
 *             address that is not ours (no 0/8, 127/8, multicast, 240/4,
 *             limited or directed broadcast: a "land" segment from our
 *             own address, of this interface or another, would make us
 *             answer ourselves; tt_net_locals.h);
 *   ICMP      echo request with a valid checksum;
 *   IPv6      (tt_net_parse6.c) version 6, 40 + payload length <= frame length, payload
 *             length not 0 (no jumbograms), destination one of our addresses (the
 *             solicited-node group of one only for neighbour solicitations and echo
 *             requests, all-nodes only for advertisements), source not
 *             multicast, loopback, IPv4-mapped or ours, and unspecified only for duplicate
 *             address detection; the extension header chain walked to its upper layer
 *             (TT_IP6_MAX_EXT_HDRS headers at most, every length bounded by the payload,
 *             hop-by-hop only first, options judged as RFC 8200 4.2 says, a routing header
 *             only with no segments left); fragments and other next headers dropped;
 *   ICMPv6    checksum over the pseudo-header, echo request or neighbour solicitation /
 *             advertisement (the latter validated by tt_nd.h);
 *   TCP       (both families) data offset sane, checksum (the same rule, TT_RX_L4_*),
 *             options well formed (each length inside the header, the
 *             lengths of MSS, window scale, SACK-permitted and timestamps
 *             exact, a SACK option 2 + 8n bytes with n 1..4; a later
 *             second SACK option is skipped), both
 *             ports non-zero, no SYN+FIN / SYN+RST combinations.
 *
 * A shedding worker (tt_stack_shedding) sorts out plain IPv4 SYNs before parsing with
 * tt_net_peek_ipv4_syn: a few bytes at fixed offsets, none of the checks above but the
 * Ethernet type, IPv4 version, header length, fragment and TCP flag ones (see there).
 *
 * IPv6 TCP segments are parsed into the same struct tt_pkt (family TT_AF_INET6, the
 * addresses in saddr6/daddr6) and served by the stack like IPv4's; replies are built by
 * tt_net_tcp6_build (TCP checksum over the IPv6 pseudo-header, always in software).
 *
 * Building writes the Ethernet, IPv4 and TCP headers (with options) for a
 * segment described by struct tt_tcp_hdr_args; each checksum is either left
 * for the port (the TCP one seeded with the pseudo-header sum as the offload
 * API requires) or computed in software.  The stack's segments take one pass
 * (tt_net_tcp_build_tx): every header word is composed in a register, stored
 * once and summed as it goes, so no checksum reads the headers back.
 *
 * All multi-byte fields in the parsed structures are in host byte order.
 * Any lcore may call these functions; they touch only their arguments.
 * Cost: one pass over the headers; a software TCP checksum is a pass over
 * the payload, which is why the port's verdict is used when it gives one.
 */
#ifndef TT_NET_H
#define TT_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "tt_counters.h"

enum {
	TT_ETH_HDR_LEN = 14,
	TT_VLAN_TAG_LEN = 4,   /* an 802.1Q tag: TPID 0x8100, then PCP, DEI and the 12-bit ID */
	TT_VLAN_ID_MAX = 4094, /* 4095 is reserved (IEEE 802.1Q table 9-2) */
	TT_IP4_HDR_LEN = 20,
	TT_IP4_TTL = 64, /* of every datagram we send (RFC 1700's default) */
	TT_TCP_HDR_LEN = 20,
	TT_TCP_OPT_MAX_LEN = 40,
	TT_TCP_TS_OPT_LEN = 12,	  /* NOP, NOP, timestamps: in every segment once agreed */
	TT_TCP_DEFAULT_MSS = 536, /* a SYN without an MSS option (RFC 9293 3.7.1) */
	TT_ARP_LEN = 28,
	TT_ICMP_HDR_LEN = 8,
	TT_IP6_HDR_LEN = 40,
	TT_IP6_HOP_LIMIT = 64, /* of every datagram we send but ND (Linux's default) */
	/* Extension headers walked before the upper layer (Linux allows as many as fit; 8
	 * hold every chain RFC 8200 4.1 orders, a longer one is an attack on the walk). */
	TT_IP6_MAX_EXT_HDRS = 8,
	/* Non-padding options in one hop-by-hop or destination options header (Linux's
	 * net.ipv6.max_hbh_opts_number / max_dst_opts_number default). */
	TT_IP6_MAX_OPTS = 8,
	TT_NET_MAX_ADDR6 = 4, /* IPv6 addresses per port */
};

enum { TT_AF_INET = 4, TT_AF_INET6 = 6 }; /* struct tt_pkt.family */

/* An IPv6 address in network byte order. */
struct tt_in6 {
	uint8_t b[16];
};

/* TCP header flag bits, as on the wire. */
enum {
	TT_TCP_FIN = 0x01,
	TT_TCP_SYN = 0x02,
	TT_TCP_RST = 0x04,
	TT_TCP_PSH = 0x08,
	TT_TCP_ACK = 0x10,
	TT_TCP_URG = 0x20,
};

/* Which options a segment carried (struct tt_tcp_opts.present). */
enum {
	TT_OPT_MSS = 0x01,
	TT_OPT_WSCALE = 0x02,
	TT_OPT_SACK_OK = 0x04,
	TT_OPT_TS = 0x08,
	TT_OPT_SACK = 0x10, /* SACK blocks (RFC 2018 3) */
};

/*
 * SACK blocks (RFC 2018 3): kind 5, length 2 + 8 * n.  At most 4 fit in the 40 option bytes,
 * 3 beside timestamps.  Received blocks are kept as sent, unchecked: every value is the
 * peer's choice and only the connection can tell a valid one (lib/tcp/tt_sack.h).
 */
enum {
	TT_SACK_MAX_BLOCKS = 4,
	TT_SACK_MAX_BLOCKS_TS = 3,
	TT_SACK_OPT_LEN = 4, /* NOP, NOP, kind, length: the option's bytes less its blocks */
	TT_SACK_BLOCK_LEN = 8,
};

struct tt_sack_block {
	uint32_t start; /* first sequence number of the block */
	uint32_t end;	/* sequence number just past it */
};

struct tt_tcp_opts {
	uint8_t present; /* TT_OPT_* bits */
	uint8_t wscale;	 /* clamped to 14 (RFC 7323 2.3) */
	uint16_t mss;
	uint32_t tsval;
	uint32_t tsecr;
	uint8_t sack_n; /* blocks in sack[] when TT_OPT_SACK is present (1..4); 0 otherwise */
	/* Only sack[0..sack_n) is valid: the parser does not clear the rest. */
	struct tt_sack_block sack[TT_SACK_MAX_BLOCKS];
};

/* One received TCP segment, as the state machine sees it. */
struct tt_tcp_seg {
	uint32_t seq;
	uint32_t ack;
	uint32_t len; /* payload bytes */
	uint16_t wnd; /* raw, unscaled */
	uint8_t flags;
	const uint8_t *payload;
	struct tt_tcp_opts opts;
};

struct tt_mac {
	uint8_t b[6];
};

/* Whether m can be a host's own address: not a group address (the I/G bit), not all zeros.
 * Learned as a neighbour's, either would send our frames to the whole link or to nobody.  (Our
 * own address can be a peer's: a TAP port and its kernel interface share one.) */
static inline bool tt_net_mac_is_host(const struct tt_mac *m)
{
	static const struct tt_mac zero;

	return !(m->b[0] & 1) && __builtin_memcmp(m->b, zero.b, 6) != 0;
}

enum tt_pkt_kind {
	TT_PKT_DROP,
	TT_PKT_ARP,
	TT_PKT_ICMP_ECHO,
	TT_PKT_TCP,
	TT_PKT_ICMP6_ECHO,
	TT_PKT_ND_NS, /* a neighbour solicitation for one of our addresses (tt_nd.h) */
	TT_PKT_ND_NA, /* a valid neighbour advertisement */
	/*
	 * An ICMP error saying a segment of ours was too big for the path (IPv4 "fragmentation
	 * needed" with DF set, RFC 1191; ICMPv6 Packet Too Big, RFC 8201): family, saddr/daddr
	 * (saddr6/daddr6) and sport/dport are the quoted segment's turned around, as if its peer
	 * had sent it; seg.seq is the quoted sequence number (ours) and too_big_mtu the MTU the
	 * error reports.  Nothing else of seg is set.
	 */
	TT_PKT_TOO_BIG,
};

enum { TT_ARP_OP_REQUEST = 1, TT_ARP_OP_REPLY = 2 };

/* What the parser learned about a frame. */
struct tt_pkt {
	struct tt_mac src_mac;
	uint8_t family; /* TT_AF_INET (ARP, IPv4) or TT_AF_INET6 */
	uint32_t saddr; /* IPv4 source, or ARP sender address */
	uint32_t daddr; /* IPv4 destination, or ARP target address */
	uint16_t sport;
	uint16_t dport;
	uint16_t l3_off; /* offset of the ARP/IPv4 header in the frame: 14, 18 when tagged */
	uint16_t l4_off; /* offset of the TCP/ICMP header in the frame */
	uint16_t l4_len; /* upper-layer length (header + data), IPv4 or IPv6 */
	uint16_t arp_op; /* TT_ARP_OP_* for ARP frames */
	uint32_t too_big_mtu; /* TT_PKT_TOO_BIG: the path's MTU it reports */
	struct tt_tcp_seg seg;
	/* IPv6 only.  daddr6 as sent: ours, or (ND) the solicited-node group of one of ours;
	 * for an echo request to such a group, the member address of ours the reply is from. */
	struct tt_in6 saddr6, daddr6;
	struct tt_in6 nd_target; /* TT_PKT_ND_NS / NA: the target address */
	/* TT_PKT_ND_NS / NA: the link-layer address option (source for NS, target for NA) when
	 * nd_has_lla, and the NA's flags (TT_ND_NA_*; 0 for NS). */
	bool nd_has_lla;
	uint8_t nd_flags;
	struct tt_mac nd_lla;
};

/*
 * What the port already knows about a received frame's checksums (lib/port maps
 * the mbuf's RX flags to these). No bit for a layer: nobody verified it, the
 * parser sums it in software. GOOD: verified (or, for L4, the sender left it
 * to offload on a link whose integrity the port vouches for: not summed again).
 * BAD: dropped with the layer's checksum reason, not summed again. ICMP is
 * always verified in software (the L4 bits speak of TCP/UDP only).
 */
enum {
	TT_RX_IP_CKSUM_GOOD = 0x01,
	TT_RX_IP_CKSUM_BAD = 0x02,
	TT_RX_L4_CKSUM_GOOD = 0x04,
	TT_RX_L4_CKSUM_BAD = 0x08,
};

/* Which checksums of an outgoing TCP frame the port completes (tt_net_tcp_cksum). */
enum {
	TT_TX_IP_CKSUM = 0x01,
	TT_TX_TCP_CKSUM = 0x02,
};

/* The interface a frame arrived on (a port, or one VLAN of it), as the parser needs it. */
struct tt_net_locals;

struct tt_net_if {
	struct tt_mac mac;
	uint16_t vlan; /* the VLAN ID the interface serves; 0: untagged frames */
	/* Per frame: the port stripped a tag (offload) whose ID was rx_vlan_id. */
	bool rx_vlan_stripped;
	uint16_t rx_vlan_id;
	uint32_t addr;	     /* host order */
	uint32_t addr_count; /* we own addr .. addr + addr_count - 1 (the generator owns many) */
	uint32_t bcast;	     /* directed broadcast of the port's prefix; 0: none (/31, /32) */
	uint8_t rx_cksum;    /* TT_RX_*_CKSUM_* bits, set per frame from the port's verdict */
	uint8_t n_addr6;
	struct tt_in6 addr6[TT_NET_MAX_ADDR6];
	/* The addresses of the worker's other interfaces, no peer's either (tt_net_locals.h);
	 * NULL: it has none. */
	const struct tt_net_locals *locals;
};

static inline bool tt_net_is_ours(const struct tt_net_if *ifc, uint32_t a)
{
	return a - ifc->addr < ifc->addr_count;
}

/* The directed broadcast address of addr/prefix_len; 0 when the prefix has none (/31, /32). */
static inline uint32_t tt_net_directed_bcast(uint32_t addr, uint8_t prefix_len)
{
	return prefix_len >= 31 ? 0 : addr | (UINT32_MAX >> prefix_len);
}

/* ff02::1, the all-nodes group (RFC 4291 2.7.1): where unsolicited advertisements go. */
static inline bool tt_net_is_all_nodes6(const struct tt_in6 *a)
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};

	return __builtin_memcmp(a->b, all_nodes, 16) == 0;
}

/* Whether a is one of the port's IPv6 addresses. */
static inline bool tt_net_is_ours6(const struct tt_net_if *ifc, const struct tt_in6 *a)
{
	for (unsigned i = 0; i < ifc->n_addr6; i++)
		if (__builtin_memcmp(&ifc->addr6[i], a, sizeof(*a)) == 0)
			return true;
	return false;
}

/* The solicited-node multicast group of a (RFC 4291 2.7.1): ff02::1:ff00:0/104 | low 24 bits. */
static inline void tt_net_solicited_node(const struct tt_in6 *a, struct tt_in6 *group)
{
	static const uint8_t prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};

	__builtin_memcpy(group->b, prefix, sizeof(prefix));
	__builtin_memcpy(group->b + 13, a->b + 13, 3);
}

enum tt_pkt_kind tt_net_parse(const uint8_t *frame, uint32_t len, const struct tt_net_if *ifc,
			      struct tt_pkt *pkt, enum tt_drop *reason);

/* Whether frame (len bytes) carries an 802.1Q tag (a priority tag, VLAN ID 0, included). */
static inline bool tt_net_frame_vlan_tagged(const uint8_t *frame, uint32_t len)
{
	return len >= TT_ETH_HDR_LEN + TT_VLAN_TAG_LEN && frame[12] == 0x81 && frame[13] == 0x00;
}

/*
 * The VLAN ID of a frame's 802.1Q tag (0: no tag, or too short for one): what a port's
 * interface is chosen by before tt_net_parse checks it.  Any lcore; reads 16 bytes at most.
 */
static inline uint16_t tt_net_frame_vlan(const uint8_t *frame, uint32_t len)
{
	if (!tt_net_frame_vlan_tagged(frame, len))
		return 0;
	return (uint16_t)((frame[14] & 0x0f) << 8 | frame[15]);
}

/*
 * Tag an untagged frame with VLAN ID vid (priority 0): the frame starts TT_VLAN_TAG_LEN bytes
 * after tagged, which must be writable (an mbuf's headroom); the MAC addresses move to tagged
 * and the tag follows them.  What a port without VLAN insert offload needs.
 */
static inline void tt_net_vlan_insert(uint8_t *tagged, uint16_t vid)
{
	__builtin_memmove(tagged, tagged + TT_VLAN_TAG_LEN, 12);
	tagged[12] = 0x81;
	tagged[13] = 0x00;
	tagged[14] = (uint8_t)(vid >> 8 & 0x0f);
	tagged[15] = (uint8_t)vid;
}

/* Whether frame (len bytes) is IPv6 behind one 802.1Q tag: what tt_net_vlan_strip is for. */
static inline bool tt_net_frame_tagged_ipv6(const uint8_t *frame, uint32_t len)
{
	return tt_net_frame_vlan_tagged(frame, len) && frame[16] == 0x86 && frame[17] == 0xdd;
}

/*
 * Whether frame (len bytes) is a plain IPv4 SYN, judged from fixed offsets alone: what a worker
 * whose stack sheds SYNs (tt_stack_shedding) drops before tt_net_parse.  True only when len is at
 * least 14 + 20 + 20, the frame is untagged with type IPv4, its version/IHL byte 0x45 (version 4,
 * no options, so the TCP header is at byte 34), its protocol TCP, it is no fragment (MF and
 * offset 0), and its TCP flags have SYN set and ACK, RST and FIN clear.  Reads bytes 12..47 only
 * (the frame's first cache line), none at or past len.
 *
 * Deliberately not checked: the destination MAC, the IPv4 total length, both checksums, the
 * addresses, the ports and the data offset.  While shedding, a frame that passes is counted as
 * shed (tcp_syn_shed) even when tt_net_parse would have dropped it for another reason (a bad
 * checksum, not our address): it is dropped either way and allocates nothing, and checking more
 * would cost every shed SYN what shedding is there to save.
 */
static inline bool tt_net_peek_ipv4_syn(const uint8_t *frame, uint32_t len)
{
	enum {
		ETH_TYPE = 12,
		IP_VER_IHL = TT_ETH_HDR_LEN,
		IP_FRAG = TT_ETH_HDR_LEN + 6, /* flags (reserved, DF, MF) and offset, 2 bytes */
		IP_PROTO = TT_ETH_HDR_LEN + 9,
		TCP_FLAGS = TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + 13,
		ETH_TYPE_IPV4_HI = 0x08,
		ETH_TYPE_IPV4_LO = 0x00,
		IP_V4_IHL_20 = 0x45,
		IP_PROTO_TCP = 6,
		/* MF and the offset's 5 high bits; its 8 low bits are byte IP_FRAG + 1 */
		IP_MF_OFFSET_HI = 0x3f,
	};
	const uint8_t rst_ack_fin_syn = TT_TCP_RST | TT_TCP_ACK | TT_TCP_FIN | TT_TCP_SYN;

	return len >= TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + TT_TCP_HDR_LEN &&
	       frame[ETH_TYPE] == ETH_TYPE_IPV4_HI && frame[ETH_TYPE + 1] == ETH_TYPE_IPV4_LO &&
	       frame[IP_VER_IHL] == IP_V4_IHL_20 && frame[IP_PROTO] == IP_PROTO_TCP &&
	       (frame[IP_FRAG] & IP_MF_OFFSET_HI) == 0 && frame[IP_FRAG + 1] == 0 &&
	       (frame[TCP_FLAGS] & rst_ack_fin_syn) == TT_TCP_SYN;
}

/*
 * Take the tag out of a tagged frame, as a port's strip offload would: the MAC addresses move
 * TT_VLAN_TAG_LEN bytes on, where the untagged frame now starts.  The inverse of
 * tt_net_vlan_insert.
 */
static inline void tt_net_vlan_strip(uint8_t *tagged)
{
	__builtin_memmove(tagged + TT_VLAN_TAG_LEN, tagged, 12);
}

/* Everything needed to write the headers of one outgoing TCP segment. */
struct tt_tcp_hdr_args {
	struct tt_mac src_mac;
	struct tt_mac dst_mac;
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t wnd; /* already scaled down */
	uint8_t flags;
	struct tt_tcp_opts opts; /* present bits select which options go out */
};

/* Bytes of Ethernet + IPv4 + TCP headers (with these options) tt_net_tcp_build writes; must
 * agree with its write_options byte for byte. */
static inline uint32_t tt_net_tcp_hdr_len(const struct tt_tcp_opts *o)
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
	if (o->present & TT_OPT_SACK)
		n += TT_SACK_OPT_LEN + TT_SACK_BLOCK_LEN * (uint32_t)o->sack_n;
	return n;
}

/*
 * Write Ethernet + IPv4 + TCP headers for a segment of payload_len bytes
 * into frame (which must have room for 14 + 20 + 60 bytes). Returns the
 * header length; the payload goes right after it.  The IPv4 checksum and
 * the TCP pseudo-header seed are written from the arguments; call
 * tt_net_tcp_cksum() once the payload is in place, with the headers as
 * built.
 */
uint32_t tt_net_tcp_build(uint8_t *frame, const struct tt_tcp_hdr_args *a, uint32_t payload_len);

/*
 * Complete the checksums of a frame written by tt_net_tcp_build() (it may
 * be called again on the same frame).  offload holds TT_TX_* bits:
 * TT_TX_IP_CKSUM leaves the IPv4 checksum zero for the port; TT_TX_TCP_CKSUM
 * seeds the TCP checksum with the pseudo-header sum (length included, not
 * inverted), as DPDK's TX offload and virtio's NEEDS_CSUM expect.  A layer
 * without its bit is computed in software.
 */
void tt_net_tcp_cksum(uint8_t *frame, unsigned offload);

/*
 * The data path's one pass: tt_net_tcp_build and tt_net_tcp_cksum(offload) in one, but for
 * the payload, whose sum tt_net_tcp_cksum_finish adds when TT_TX_TCP_CKSUM is not in
 * offload.  Nothing is read back from the frame: a buffer fresh from the pool would make
 * each read wait for its line.  Byte for byte the frame the two general calls make
 * (tests/unit/test_net.c).
 */
uint32_t tt_net_tcp_build_tx(uint8_t *frame, const struct tt_tcp_hdr_args *a, uint32_t payload_len,
			     unsigned offload);

/*
 * The software TCP checksum of a frame tt_net_tcp_build_tx wrote without TT_TX_TCP_CKSUM, from
 * payload_sum, the sum of its payload (tt_net_cksum_sum of the bytes with seed 0, or
 * tt_sndq_copy_sum as it copies them; 0 for none).  Call it once: the field holds the headers'
 * share of the sum until then.
 */
void tt_net_tcp_cksum_finish(uint8_t *frame, uint16_t payload_sum);

/* Bytes of Ethernet + IPv6 + TCP headers tt_net_tcp6_build writes: 20 more than IPv4's. */
static inline uint32_t tt_net_tcp6_hdr_len(const struct tt_tcp_opts *o)
{
	return tt_net_tcp_hdr_len(o) + TT_IP6_HDR_LEN - TT_IP4_HDR_LEN;
}

/*
 * tt_net_tcp_build for IPv6: Ethernet + IPv6 (hop limit TT_IP6_HOP_LIMIT, no extension
 * header, from src to dst; a's IPv4 addresses are not read) + TCP.  Returns the header
 * length.  Call tt_net_tcp6_cksum once the payload is in place.
 */
uint32_t tt_net_tcp6_build(uint8_t *frame, const struct tt_tcp_hdr_args *a, const uint8_t src[16],
			   const uint8_t dst[16], uint32_t payload_len);

/* The TCP checksum of a frame written by tt_net_tcp6_build, over the IPv6 pseudo-header
 * (RFC 8200 8.1), in software: the worker's TX offload flags describe IPv4 frames. */
void tt_net_tcp6_cksum(uint8_t *frame);

/*
 * Write an ARP request (RFC 826) from (src, sip) asking for tip: to the broadcast address, or
 * with dst (not NULL) to that MAC alone, as a refresh of an entry already known (Linux's
 * unicast probe); the target hardware address is zero either way.  frame needs
 * TT_ETH_HDR_LEN + TT_ARP_LEN bytes; returns that length (the port pads to the minimum frame).
 */
uint32_t tt_net_arp_request(uint8_t *frame, const struct tt_mac *src, uint32_t sip, uint32_t tip,
			    const struct tt_mac *dst);

/* Turn a parsed ARP request for our address into a reply, in place (a tag stays). */
void tt_net_arp_reply(uint8_t *frame, const struct tt_pkt *pkt, const struct tt_net_if *ifc);

/* Turn a parsed ICMP echo request into an echo reply, in place (a tag stays). */
void tt_net_icmp_echo_reply(uint8_t *frame, const struct tt_pkt *pkt, const struct tt_net_if *ifc);

/*
 * Turn a parsed ICMPv6 echo request into an echo reply in place: from the address it was
 * sent to, hop limit TT_IP6_HOP_LIMIT, without the request's extension headers (the
 * message moves up behind the IPv6 header).  Returns the reply's frame length.
 */
uint32_t tt_net_icmp6_echo_reply(uint8_t *frame, const struct tt_pkt *pkt,
				 const struct tt_net_if *ifc);

/*
 * The IPv6 pseudo-header sum (RFC 8200 8.1) for an upper layer of len bytes and protocol
 * proto, between the 32 address bytes at addrs (source then destination, as in the
 * header): folded, not inverted, in memory byte order, the seed of tt_net_cksum_sum.
 */
uint16_t tt_net_phdr6_sum(const void *addrs, uint32_t len, uint8_t proto);

/*
 * The Internet checksum (RFC 1071) of a byte range plus seed, folded, not
 * inverted, in memory byte order; 0 only when every byte and the seed are 0.
 * Sums 8 bytes per add with end-around carry into two accumulators (the
 * one's-complement sum of 64-bit words folds to that of 16-bit words,
 * as 2^16 - 1 divides 2^64 - 1), any alignment, any length.
 */
uint16_t tt_net_cksum_sum(const void *data, uint32_t len, uint32_t seed);

/* A 64-bit one's-complement partial sum folded to 16 bits (end-around carries kept). */
static inline uint16_t tt_net_cksum_fold64(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The 32-bit word at p, any alignment, in memory byte order. */
static inline uint32_t tt_net_load32(const void *p)
{
	uint32_t w;

	__builtin_memcpy(&w, p, sizeof(w));
	return w;
}

/*
 * tt_net_cksum_sum of an option-less IPv4 header (20 bytes), inline: five 32-bit
 * adds that cannot overflow 64 bits, no loop, no call; every frame has one.  Each
 * word is loaded on its own: copied as one array, the header went through the stack.
 */
static inline uint16_t tt_net_cksum_ip4_hdr(const void *ip)
{
	const uint8_t *p = (const uint8_t *)ip;

	return tt_net_cksum_fold64((uint64_t)tt_net_load32(p) + tt_net_load32(p + 4) +
				   tt_net_load32(p + 8) + tt_net_load32(p + 12) +
				   tt_net_load32(p + 16));
}

#endif
