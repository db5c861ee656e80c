/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_net: frames are written byte by byte here, and checksums are checked
 * with a reference RFC 1071 sum kept independent of the library, so a
 * parser and a builder that agree on a mistake still fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net_ref.h"
#include "tt_net.h"
#include "tt_net_locals.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define OUR_IP	   0xc6336407u /* 198.51.100.7 */
#define PEER_IP	   0xc0000201u /* 192.0.2.1 */
#define OTHER_IP   0xc6336408u /* 198.51.100.8, a neighbour of ours */
#define PEER_IP_B  0xc0000202u
#define PROTO_ICMP 1
#define PROTO_TCP  6
#define PROTO_UDP  17

/* Byte offsets in a frame whose IPv4 header has no options. */
enum {
	OFF_ETH_DST = 0,
	OFF_ETH_SRC = 6,
	OFF_ETH_TYPE = 12,
	OFF_IP = 14,
	OFF_IP_TOTLEN = 16,
	OFF_IP_FRAG = 20,
	OFF_IP_TTL = 22,
	OFF_IP_PROTO = 23,
	OFF_IP_CSUM = 24,
	OFF_IP_SRC = 26,
	OFF_IP_DST = 30,
	OFF_L4 = 34,
	OFF_TCP_SEQ = 38,
	OFF_TCP_DOFF = 46,
	OFF_TCP_FLAGS = 47,
	OFF_TCP_CSUM = 50,
	OFF_TCP_OPT = 54,
	OFF_ICMP_CSUM = 36,
	OFF_ICMP_ID = 38,
	OFF_ARP_HTYPE = 14,
	OFF_ARP_PTYPE = 16,
	OFF_ARP_HLEN = 18,
	OFF_ARP_PLEN = 19,
	OFF_ARP_OP = 20,
	OFF_ARP_SHA = 22,
	OFF_ARP_SPA = 28,
	OFF_ARP_THA = 32,
	OFF_ARP_TPA = 38,
	ARP_FRAME_LEN = 60, /* 42 bytes padded to the Ethernet minimum */
	FRAME_MAX = 2048,
};

static const uint8_t our_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static const struct tt_net_if our_if = {
    .mac = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}},
    .addr = OUR_IP,
    .addr_count = 1,
    .bcast = 0xc63364ffu, /* 198.51.100.0/24 */
};

static uint32_t ip_hdr_len(const uint8_t *f)
{
	return (f[OFF_IP] & 0xfu) * 4;
}

/* RFC 793 pseudo-header: addresses, protocol and L4 length. */
static uint64_t ref_pseudo(const uint8_t *f)
{
	uint32_t l4_len = get16(f + OFF_IP_TOTLEN) - ip_hdr_len(f);

	return ref_add(0, f + OFF_IP_SRC, 8) + f[OFF_IP_PROTO] + l4_len;
}

static bool ip_cksum_ok(const uint8_t *f)
{
	return ref_fold(ref_add(0, f + OFF_IP, ip_hdr_len(f))) == 0xffff;
}

static bool tcp_cksum_ok(const uint8_t *f)
{
	uint32_t ihl = ip_hdr_len(f);
	uint32_t l4_len = get16(f + OFF_IP_TOTLEN) - ihl;

	return ref_fold(ref_add(ref_pseudo(f), f + OFF_IP + ihl, l4_len)) == 0xffff;
}

/* The library returns its sum in memory order; read it as the wire sees it. */
static uint16_t wire_value(uint16_t native)
{
	uint8_t b[2];

	memcpy(b, &native, 2);
	return get16(b);
}

enum { KEEP_IP_CSUM = 1, KEEP_L4_CSUM = 2 };

/* Recompute whatever checksums the frame's own lengths make computable. */
static void fix_cksums(uint8_t *f, uint32_t len, unsigned keep)
{
	uint32_t ihl, total, l4_len;
	uint8_t *l4;

	if (len < OFF_IP + 20 || get16(f + OFF_ETH_TYPE) != 0x0800)
		return;
	ihl = ip_hdr_len(f);
	if (ihl < 20 || OFF_IP + ihl > len)
		return;
	if (!(keep & KEEP_IP_CSUM)) {
		put16(f + OFF_IP_CSUM, 0);
		put16(f + OFF_IP_CSUM, (uint16_t)~ref_fold(ref_add(0, f + OFF_IP, ihl)));
	}
	total = get16(f + OFF_IP_TOTLEN);
	if ((keep & KEEP_L4_CSUM) || total < ihl || OFF_IP + total > len)
		return;
	l4 = f + OFF_IP + ihl;
	l4_len = total - ihl;
	if (f[OFF_IP_PROTO] == PROTO_TCP && l4_len >= 18) {
		put16(l4 + 16, 0);
		put16(l4 + 16, (uint16_t)~ref_fold(ref_add(ref_pseudo(f), l4, l4_len)));
	} else if (f[OFF_IP_PROTO] == PROTO_ICMP && l4_len >= 4) {
		put16(l4 + 2, 0);
		put16(l4 + 2, (uint16_t)~ref_fold(ref_add(0, l4, l4_len)));
	}
}

static void put_eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f + OFF_ETH_DST, dst, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + OFF_ETH_TYPE, type);
}

/* Option-less IPv4 header, peer -> us, DF set, checksum left to fix_cksums(). */
static void put_ip(uint8_t *f, uint8_t proto, uint32_t l4_len)
{
	memset(f + OFF_IP, 0, 20);
	f[OFF_IP] = 0x45;
	put16(f + OFF_IP_TOTLEN, 20 + l4_len);
	put16(f + OFF_IP + 4, 0x1c46);
	put16(f + OFF_IP_FRAG, 0x4000);
	f[OFF_IP_TTL] = 64;
	f[OFF_IP_PROTO] = proto;
	put32(f + OFF_IP_SRC, PEER_IP);
	put32(f + OFF_IP_DST, OUR_IP);
}

struct tcp_spec {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	const uint8_t *opts;
	uint8_t optlen; /* a multiple of 4 */
	uint16_t payload_len;
};

static uint8_t payload_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static uint32_t build_tcp(uint8_t *f, const struct tcp_spec *s)
{
	uint32_t hl = 20u + s->optlen;
	uint8_t *th = f + OFF_L4;
	uint32_t i, len = OFF_L4 + hl + s->payload_len;

	assert_int_equal(s->optlen % 4, 0);
	put_eth(f, our_mac, 0x0800);
	put_ip(f, PROTO_TCP, hl + s->payload_len);
	put16(th, s->sport);
	put16(th + 2, s->dport);
	put32(th + 4, s->seq);
	put32(th + 8, s->ack);
	th[12] = (uint8_t)(hl / 4 << 4);
	th[13] = s->flags;
	put16(th + 14, s->wnd);
	put32(th + 16, 0);
	if (s->optlen)
		memcpy(th + 20, s->opts, s->optlen);
	for (i = 0; i < s->payload_len; i++)
		th[hl + i] = payload_byte(i);
	fix_cksums(f, len, 0);
	return len;
}

static uint32_t build_icmp(uint8_t *f, uint16_t id, uint16_t seq, const uint8_t *data, uint32_t n)
{
	uint8_t *ic = f + OFF_L4;

	put_eth(f, our_mac, 0x0800);
	put_ip(f, PROTO_ICMP, 8 + n);
	ic[0] = 8;
	ic[1] = 0;
	put16(ic + 2, 0);
	put16(ic + 4, id);
	put16(ic + 6, seq);
	if (n)
		memcpy(ic + 8, data, n);
	fix_cksums(f, OFF_L4 + 8 + n, 0);
	return OFF_L4 + 8 + n;
}

static uint32_t build_arp(uint8_t *f, uint16_t op)
{
	memset(f, 0, ARP_FRAME_LEN);
	put_eth(f, bcast_mac, 0x0806);
	put16(f + OFF_ARP_HTYPE, 1);
	put16(f + OFF_ARP_PTYPE, 0x0800);
	f[OFF_ARP_HLEN] = 6;
	f[OFF_ARP_PLEN] = 4;
	put16(f + OFF_ARP_OP, op);
	memcpy(f + OFF_ARP_SHA, peer_mac, 6);
	put32(f + OFF_ARP_SPA, PEER_IP);
	put32(f + OFF_ARP_TPA, OUR_IP);
	return ARP_FRAME_LEN;
}

/* Linux's SYN: MSS 1460, SACK permitted, timestamps, NOP, window scale 7. */
static const uint8_t syn_opts[] = {2,	 4,    0x05, 0xb4, 4,	 2,    8, 10, 0x11, 0x22,
				   0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 1, 3,  3,    7};

static const struct tcp_spec syn_spec = {
    .sport = 40000,
    .dport = 80,
    .seq = 0x01020304,
    .flags = TT_TCP_SYN,
    .wnd = 64240,
    .opts = syn_opts,
    .optlen = sizeof(syn_opts),
};

static const uint8_t ping_data[16] = "0123456789abcdef";

enum base { B_TCP, B_ICMP, B_ARP };

static uint32_t build_base(uint8_t *f, enum base b, const uint8_t *opts, uint8_t optlen)
{
	struct tcp_spec s = syn_spec;

	switch (b) {
	case B_ICMP:
		return build_icmp(f, 0x1234, 1, ping_data, sizeof(ping_data));
	case B_ARP:
		return build_arp(f, 1);
	case B_TCP:
	default:
		if (opts) {
			s.opts = opts;
			s.optlen = optlen;
		}
		return build_tcp(f, &s);
	}
}

static enum tt_pkt_kind parse(const uint8_t *f, uint32_t len, const struct tt_net_if *ifc,
			      struct tt_pkt *pkt, enum tt_drop *why)
{
	memset(pkt, 0xa5, sizeof(*pkt));
	*why = TT_DROP_COUNT;
	return tt_net_parse(f, len, ifc, pkt, why);
}

static void assert_opts_equal(const struct tt_tcp_opts *want, const struct tt_tcp_opts *got)
{
	assert_int_equal(got->present, want->present);
	if (want->present & TT_OPT_MSS)
		assert_int_equal(got->mss, want->mss);
	if (want->present & TT_OPT_WSCALE)
		assert_int_equal(got->wscale, want->wscale);
	if (want->present & TT_OPT_TS) {
		assert_int_equal(got->tsval, want->tsval);
		assert_int_equal(got->tsecr, want->tsecr);
	}
	assert_int_equal(got->sack_n, (want->present & TT_OPT_SACK) ? want->sack_n : 0);
	for (unsigned i = 0; i < got->sack_n; i++) {
		assert_int_equal(got->sack[i].start, want->sack[i].start);
		assert_int_equal(got->sack[i].end, want->sack[i].end);
	}
}

/* ---- checksum primitive ---- */

static void test_cksum_vectors(void **state)
{
	/* RFC 1071 section 3 example, then odd tails and saturation. */
	static const uint8_t rfc[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	static const uint8_t odd1[] = {0x01};
	static const uint8_t odd3[] = {0xab, 0xcd, 0xef};
	static const uint8_t ones[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t carry[] = {0x80, 0x00, 0x80, 0x00, 0x00, 0x01};
	static const struct {
		const uint8_t *data;
		uint32_t len;
		uint16_t want;
	} cases[] = {
	    {rfc, sizeof(rfc), 0xddf2},	  {rfc, 4, 0xf204},   {odd1, 1, 0x0100}, {odd3, 3, 0x9ace},
	    {ones, sizeof(ones), 0xffff}, {carry, 6, 0x0002}, {rfc, 0, 0x0000},
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(wire_value(tt_net_cksum_sum(cases[i].data, cases[i].len, 0)),
				 cases[i].want);
	/* A partial sum seeds the rest: the split must not change the result. */
	assert_int_equal(tt_net_cksum_sum(rfc + 4, 4, tt_net_cksum_sum(rfc, 4, 0)),
			 tt_net_cksum_sum(rfc, 8, 0));
}

static void test_cksum_random(void **state)
{
	_Alignas(8) uint8_t buf[600];
	uint64_t rng = 0x9e3779b97f4a7c15u;
	(void)state;

	for (uint32_t round = 0; round < 2000; round++) {
		uint32_t off = round % 4, len = (uint32_t)(rnd(&rng) % 590);

		for (uint32_t i = 0; i < sizeof(buf); i++)
			buf[i] = round % 3 == 0 ? 0xff : (uint8_t)rnd(&rng);
		assert_int_equal(wire_value(tt_net_cksum_sum(buf + off, len, 0)),
				 ref_fold(ref_add(0, buf + off, len)));
	}
}

/* A seed is a native-order partial sum: on the wire it is its bytes read big-endian. */
static uint64_t seed_wire(uint32_t seed)
{
	uint8_t b[4];

	memcpy(b, &seed, 4);
	return get16(b) + (uint64_t)get16(b + 2);
}

/*
 * Every length from 0 to past the 32-byte stride at every start alignment, with
 * seeds up to 32 bits: the 8-byte loads, the tail and the seed must all land on
 * the right 16-bit halves.
 */
static void test_cksum_lengths_alignments(void **state)
{
	_Alignas(8) uint8_t buf[200];
	uint64_t rng = 0x0123456789abcdefu;
	(void)state;

	for (uint32_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd(&rng);
	for (uint32_t off = 0; off < 8; off++) {
		for (uint32_t len = 0; len + off <= sizeof(buf); len++) {
			uint32_t seed = len % 3 == 0 ? 0 : (uint32_t)rnd(&rng);

			assert_int_equal(wire_value(tt_net_cksum_sum(buf + off, len, seed)),
					 ref_fold(ref_add(seed_wire(seed), buf + off, len)));
		}
		/* The inline IPv4 header sum agrees at every alignment too. */
		assert_int_equal(wire_value(tt_net_cksum_ip4_hdr(buf + off)),
				 ref_fold(ref_add(0, buf + off, 20)));
	}
	memset(buf, 0xff, 20);
	assert_int_equal(tt_net_cksum_ip4_hdr(buf), 0xffff);
}

/*
 * The carries: 64 KiB of 0xff bytes wrap every accumulator many times and
 * sum to -0 (0xffff), never to +0; so does an all-ones seed on
 * nothing.  Zero bytes with a zero seed are the only +0.  A sum that lands
 * exactly on a 64-bit carry (0x8000... + 0x8000...) must keep it.
 */
static void test_cksum_carry(void **state)
{
	static uint8_t big[65535];
	_Alignas(8) uint8_t halves[16];
	uint64_t rng = 99;
	(void)state;

	memset(big, 0xff, sizeof(big));
	assert_int_equal(tt_net_cksum_sum(big, sizeof(big) - 1, 0), 0xffff);
	assert_int_equal(tt_net_cksum_sum(big, sizeof(big) - 1, 0xffffffffu), 0xffff);
	assert_int_equal(tt_net_cksum_sum(big, 0, 0xffffffffu), 0xffff);
	/* The odd last byte is the high half of its word on the wire: 0xff00. */
	assert_int_equal(wire_value(tt_net_cksum_sum(big, sizeof(big), 0)), 0xff00);
	memset(big, 0, sizeof(big));
	assert_int_equal(tt_net_cksum_sum(big, sizeof(big), 0), 0);
	assert_int_equal(tt_net_cksum_sum(big, 1, 0), 0);
	assert_int_equal(wire_value(tt_net_cksum_sum(big, sizeof(big), 1)), 0x0100);
	for (uint32_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)rnd(&rng);
	assert_int_equal(wire_value(tt_net_cksum_sum(big, sizeof(big), 0)),
			 ref_fold(ref_add(0, big, sizeof(big))));
	assert_int_equal(wire_value(tt_net_cksum_sum(big + 1, sizeof(big) - 1, 0)),
			 ref_fold(ref_add(0, big + 1, sizeof(big) - 1)));
	memset(halves, 0, sizeof(halves));
	halves[7] = halves[15] = 0x80; /* two words of 2^63: their sum is exactly 2^64 */
	assert_int_equal(wire_value(tt_net_cksum_sum(halves, sizeof(halves), 0)),
			 ref_fold(ref_add(0, halves, sizeof(halves))));
	assert_int_equal(wire_value(tt_net_cksum_sum(halves, sizeof(halves), 0)), 0x0100);
}

/* ---- parsing: accepted frames ---- */

struct tcp_case {
	const char *name;
	struct tcp_spec s;
	uint8_t want_flags;
	struct tt_tcp_opts want;
};

static const uint8_t mss536[] = {2, 4, 0x02, 0x18};
static const uint8_t ws15[] = {1, 3, 3, 15};
static const uint8_t ws255[] = {1, 3, 3, 255};
static const uint8_t mss9000_sack[] = {2, 4, 0x23, 0x28, 1, 1, 4, 2};
static const uint8_t ts_only[] = {1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1};

static const struct tcp_case tcp_cases[] = {
    {"syn linux options",
     syn_spec,
     TT_TCP_SYN,
     {.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK | TT_OPT_TS,
      .mss = 1460,
      .wscale = 7,
      .tsval = 0x11223344,
      .tsecr = 0x55667788}},
    {"syn mss only",
     {1, 65535, 7, 0, TT_TCP_SYN, 1024, mss536, 4, 0},
     TT_TCP_SYN,
     {.present = TT_OPT_MSS, .mss = 536}},
    {"window scale 15 clamped",
     {5, 6, 7, 0, TT_TCP_SYN, 1, ws15, 4, 0},
     TT_TCP_SYN,
     {.present = TT_OPT_WSCALE, .wscale = 14}},
    {"window scale 255 clamped",
     {5, 6, 7, 0, TT_TCP_SYN, 1, ws255, 4, 0},
     TT_TCP_SYN,
     {.present = TT_OPT_WSCALE, .wscale = 14}},
    {"syn-ack",
     {443, 50000, 0xfffffff0, 0xfffffffe, TT_TCP_SYN | TT_TCP_ACK, 29200, mss9000_sack, 8, 0},
     TT_TCP_SYN | TT_TCP_ACK,
     {.present = TT_OPT_MSS | TT_OPT_SACK_OK, .mss = 9000}},
    {"ack psh payload ts",
     {33333, 80, 0xffffff00, 0x80000000, TT_TCP_ACK | TT_TCP_PSH, 0xffff, ts_only, 12, 100},
     TT_TCP_ACK | TT_TCP_PSH,
     {.present = TT_OPT_TS, .tsval = 0xdeadbeef, .tsecr = 1}},
    {"fin ack bare",
     {1234, 80, 1, 2, TT_TCP_FIN | TT_TCP_ACK, 0, NULL, 0, 0},
     TT_TCP_FIN | TT_TCP_ACK,
     {0}},
    {"rst with data", {1234, 80, 77, 0, TT_TCP_RST, 0, NULL, 0, 3}, TT_TCP_RST, {0}},
    {"ece cwr masked",
     {1234, 80, 5, 6, 0xc0 | TT_TCP_ACK | TT_TCP_URG, 10, NULL, 0, 1},
     TT_TCP_ACK | TT_TCP_URG,
     {0}},
    {"large segment",
     {1234, 8080, 9, 10, TT_TCP_ACK, 500, ts_only, 12, 1448},
     TT_TCP_ACK,
     {.present = TT_OPT_TS, .tsval = 0xdeadbeef, .tsecr = 1}},
};

static void test_parse_tcp_fields(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(tcp_cases); i++) {
		const struct tcp_case *c = &tcp_cases[i];
		uint32_t len = build_tcp(f, &c->s), hl = 20u + c->s.optlen;

		print_message("  %s\n", c->name);
		assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_TCP);
		assert_memory_equal(pkt.src_mac.b, peer_mac, 6);
		assert_int_equal(pkt.saddr, PEER_IP);
		assert_int_equal(pkt.daddr, OUR_IP);
		assert_int_equal(pkt.sport, c->s.sport);
		assert_int_equal(pkt.dport, c->s.dport);
		assert_int_equal(pkt.l4_off, OFF_L4);
		assert_int_equal(pkt.l4_len, hl + c->s.payload_len);
		assert_int_equal(pkt.seg.seq, c->s.seq);
		assert_int_equal(pkt.seg.ack, c->s.ack);
		assert_int_equal(pkt.seg.wnd, c->s.wnd);
		assert_int_equal(pkt.seg.flags, c->want_flags);
		assert_int_equal(pkt.seg.len, c->s.payload_len);
		assert_ptr_equal(pkt.seg.payload, f + OFF_L4 + hl);
		if (c->s.payload_len)
			assert_int_equal(pkt.seg.payload[c->s.payload_len - 1],
					 payload_byte(c->s.payload_len - 1u));
		assert_opts_equal(&c->want, &pkt.seg.opts);
	}
}

struct opt_case {
	const char *name;
	uint8_t opts[TT_TCP_OPT_MAX_LEN];
	uint8_t len;
	struct tt_tcp_opts want;
};

/* Option lists that are well formed, including ones the parser must step over. */
static const struct opt_case opt_ok_cases[] = {
    {"nops before mss", {1, 1, 1, 1, 2, 4, 5, 0xb4}, 8, {.present = TT_OPT_MSS, .mss = 1460}},
    {"eol ends the list", {2, 4, 5, 0xb4, 0, 3, 3, 9}, 8, {.present = TT_OPT_MSS, .mss = 1460}},
    {"garbage after eol", {0, 0xff, 0, 1}, 4, {0}},
    {"unknown kind skipped",
     {30, 6, 1, 2, 3, 4, 1, 3, 3, 5, 1, 1},
     12,
     {.present = TT_OPT_WSCALE, .wscale = 5}},
    {"one sack block",
     {1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4},
     24,
     {.present = TT_OPT_TS | TT_OPT_SACK, .tsval = 3, .tsecr = 4, .sack_n = 1, .sack = {{1, 2}}}},
    {"two sack blocks",
     {1,  1,  5,  18, 1, 2, 3, 4,  5,	 6,    7,    8,	   9,	 10, 11, 12,
      13, 14, 15, 16, 1, 1, 8, 10, 0xff, 0xff, 0xff, 0xff, 0x80, 0,  0,	 0},
     32,
     {.present = TT_OPT_TS | TT_OPT_SACK,
      .tsval = 0xffffffff,
      .tsecr = 0x80000000,
      .sack_n = 2,
      .sack = {{0x01020304, 0x05060708}, {0x090a0b0c, 0x0d0e0f10}}}},
    /* Blocks are kept as sent, inverted or not: only the connection can judge them. */
    {"four sack blocks",
     {1, 1,    5, 34, 0, 0, 0, 1, 0, 0, 0,    2, 0xff, 0xff, 0xff, 0xf0, 0, 0,
      0, 0x10, 0, 0,  0, 9, 0, 0, 0, 8, 0x80, 0, 0,    0,    0x80, 0,	 0, 0},
     36,
     {.present = TT_OPT_SACK,
      .sack_n = 4,
      .sack = {{1, 2}, {0xfffffff0, 0x10}, {9, 8}, {0x80000000, 0x80000000}}}},
    {"second sack option skipped",
     {5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 5, 10, 0, 0, 0, 3, 0, 0, 0, 4},
     20,
     {.present = TT_OPT_SACK, .sack_n = 1, .sack = {{1, 2}}}},
    {"md5 signature skipped",
     {1, 1, 19, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 0x01, 0x00},
     24,
     {.present = TT_OPT_MSS, .mss = 256}},
    {"unknown option fills the header", {30, 40}, 40, {0}},
    /* The word-at-a-time fast path (parse_aligned_options) at its edges, and the lists just
     * past them that the general walk must finish. */
    {"timestamps alone",
     {1, 1, 8, 10, 0, 0, 0, 7, 0xff, 0, 0, 1},
     12,
     {.present = TT_OPT_TS, .tsval = 7, .tsecr = 0xff000001}},
    {"timestamps then eol word",
     {1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 0},
     16,
     {.present = TT_OPT_TS, .tsval = 7, .tsecr = 8}},
    {"timestamps twice: the last",
     {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4},
     24,
     {.present = TT_OPT_TS, .tsval = 3, .tsecr = 4}},
    {"timestamps then sack block",
     {1, 1, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4, 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2},
     24,
     {.present = TT_OPT_TS | TT_OPT_SACK, .tsval = 3, .tsecr = 4, .sack_n = 1, .sack = {{1, 2}}}},
    {"linux syn",
     {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0, 1, 3, 3, 7},
     20,
     {.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK | TT_OPT_TS,
      .mss = 1460,
      .wscale = 7,
      .tsval = 9}},
    {"bsd syn",
     {2, 4, 5, 0xb4, 1, 3, 3, 6, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0},
     20,
     {.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK | TT_OPT_TS,
      .mss = 1460,
      .wscale = 6,
      .tsval = 9}},
    {"windows syn",
     {2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2},
     12,
     {.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK, .mss = 1460, .wscale = 8}},
    {"mss alone, 0", {2, 4, 0, 0}, 4, {.present = TT_OPT_MSS, .mss = 0}},
    {"mss alone, 65535", {2, 4, 0xff, 0xff}, 4, {.present = TT_OPT_MSS, .mss = 0xffff}},
    {"mss twice: the last", {2, 4, 1, 0, 2, 4, 2, 0}, 8, {.present = TT_OPT_MSS, .mss = 0x200}},
    {"nop wscale 14", {1, 3, 3, 14}, 4, {.present = TT_OPT_WSCALE, .wscale = 14}},
    {"nop wscale 15 clamped", {1, 3, 3, 15}, 4, {.present = TT_OPT_WSCALE, .wscale = 14}},
    {"nop wscale 255 clamped", {1, 3, 3, 255}, 4, {.present = TT_OPT_WSCALE, .wscale = 14}},
    {"words fill 40 bytes",
     {1, 1, 4, 2, 2, 4, 1, 0, 1, 3, 3, 0,  1, 1, 4, 2, 2, 4, 2, 0,
      1, 3, 3, 1, 1, 1, 4, 2, 1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6},
     40,
     {.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK | TT_OPT_TS,
      .mss = 0x200,
      .wscale = 1,
      .tsval = 5,
      .tsecr = 6}},
    {"mss then unknown word",
     {2, 4, 5, 0xb4, 30, 4, 0, 0, 1, 3, 3, 2},
     12,
     {.present = TT_OPT_MSS | TT_OPT_WSCALE, .mss = 1460, .wscale = 2}},
    {"all four, unusual order",
     {8, 10, 0, 0, 1, 0, 0, 0, 2, 0, 3, 3, 2, 4, 2, 2, 4, 1, 0, 1},
     20,
     {.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK | TT_OPT_TS,
      .mss = 256,
      .wscale = 2,
      .tsval = 0x100,
      .tsecr = 0x200}},
};

static void test_parse_options_skipped(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(opt_ok_cases); i++) {
		const struct opt_case *c = &opt_ok_cases[i];
		uint32_t len = build_base(f, B_TCP, c->opts, c->len);

		print_message("  %s\n", c->name);
		assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_TCP);
		assert_int_equal(pkt.seg.len, 0);
		assert_opts_equal(&c->want, &pkt.seg.opts);
	}
}

static void test_parse_broadcast_arp_icmp(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len;
	(void)state;

	/* Broadcast is for ARP: IPv4 that comes so is dropped (RFC 1122 3.3.6). */
	len = build_base(f, B_TCP, NULL, 0);
	memcpy(f + OFF_ETH_DST, bcast_mac, 6);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_GROUP_DST);
	len = build_icmp(f, 7, 9, ping_data, 5);
	memcpy(f + OFF_ETH_DST, bcast_mac, 6);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_GROUP_DST);

	len = build_arp(f, TT_ARP_OP_REQUEST);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_ARP);
	assert_int_equal(pkt.arp_op, TT_ARP_OP_REQUEST);
	assert_int_equal(pkt.saddr, PEER_IP);
	assert_int_equal(pkt.daddr, OUR_IP);
	assert_memory_equal(pkt.src_mac.b, peer_mac, 6);

	len = build_arp(f, TT_ARP_OP_REPLY);
	memcpy(f + OFF_ETH_DST, our_mac, 6);
	assert_int_equal(parse(f, 42, &our_if, &pkt, &why), TT_PKT_ARP);
	assert_int_equal(pkt.arp_op, TT_ARP_OP_REPLY);
	/* A probe (RFC 5227 2.1.1: sender 0.0.0.0) for our address is answered. */
	len = build_arp(f, TT_ARP_OP_REQUEST);
	put32(f + OFF_ARP_SPA, 0);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_ARP);
	assert_int_equal(pkt.saddr, 0);

	len = build_icmp(f, 7, 9, ping_data, 5);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_ICMP_ECHO);
	assert_int_equal(pkt.l4_off, OFF_L4);
	assert_int_equal(pkt.l4_len, 13);
	assert_int_equal(pkt.saddr, PEER_IP);
	assert_int_equal(pkt.daddr, OUR_IP);
}

static void test_parse_padding(void **state)
{
	static const struct {
		uint16_t payload;
		uint16_t pad;
	} cases[] = {{0, 6}, {5, 1}, {5, 64}, {1000, 3}};
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tcp_spec s = {4000, 80, 1, 2, TT_TCP_ACK, 100, NULL, 0, cases[i].payload};
		uint32_t len = build_tcp(f, &s);

		/* Non-zero padding: a parser summing it would fail the checksum. */
		memset(f + len, 0xaa, cases[i].pad);
		assert_int_equal(parse(f, len + cases[i].pad, &our_if, &pkt, &why), TT_PKT_TCP);
		assert_int_equal(pkt.seg.len, cases[i].payload);
		assert_int_equal(pkt.l4_len, 20 + cases[i].payload);
		assert_ptr_equal(pkt.seg.payload + pkt.seg.len, f + len);
	}
}

/* Shift the L4 part right and fill the gap with IP NOP options. */
static uint32_t add_ip_options(uint8_t *f, uint32_t len, uint32_t n)
{
	memmove(f + OFF_L4 + n, f + OFF_L4, len - OFF_L4);
	memset(f + OFF_L4, 1, n);
	f[OFF_IP] = (uint8_t)(0x45 + n / 4);
	put16(f + OFF_IP_TOTLEN, get16(f + OFF_IP_TOTLEN) + n);
	fix_cksums(f, len + n, 0);
	return len + n;
}

static void test_parse_ip_options(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (uint32_t n = 4; n <= 40; n += 36) {
		struct tcp_spec s = syn_spec;
		uint32_t len;

		s.payload_len = 10;
		len = add_ip_options(f, build_tcp(f, &s), n);
		assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_TCP);
		assert_int_equal(pkt.l4_off, OFF_L4 + n);
		assert_int_equal(pkt.l4_len, 20 + sizeof(syn_opts) + 10);
		assert_int_equal(pkt.seg.len, 10);
		assert_int_equal(pkt.seg.opts.mss, 1460);
		assert_ptr_equal(pkt.seg.payload, f + len - 10);
	}
}

/* Options other than NOPs, 8 bytes of them: walked, a malformed one or a source route refused. */
static void test_parse_ip_option_kinds(void **state)
{
	static const struct {
		const char *name;
		uint8_t opt[8];
		enum tt_drop want; /* TT_DROP_COUNT: taken */
	} cases[] = {
	    {"end then padding", {1, 0, 0xff, 0, 0x83, 9, 1, 2}, TT_DROP_COUNT},
	    {"record route", {7, 7, 4, 0, 0, 0, 0, 1}, TT_DROP_COUNT},
	    {"timestamp to the end", {68, 8, 5, 0, 0, 0, 0, 0}, TT_DROP_COUNT},
	    {"length 0", {7, 0, 4, 0, 0, 0, 0, 0}, TT_DROP_IP_OPTIONS},
	    {"length 1", {1, 7, 1, 0, 0, 0, 0, 0}, TT_DROP_IP_OPTIONS},
	    {"length past the header", {1, 7, 8, 4, 0, 0, 0, 0}, TT_DROP_IP_OPTIONS},
	    {"no length byte", {1, 1, 1, 1, 1, 1, 1, 68}, TT_DROP_IP_OPTIONS},
	    {"loose source route", {1, 131, 7, 4, 0, 0, 0, 0}, TT_DROP_IP_SOURCE_ROUTE},
	    {"strict source route", {137, 7, 4, 0, 0, 0, 0, 0}, TT_DROP_IP_SOURCE_ROUTE},
	};
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t len = add_ip_options(f, build_tcp(f, &syn_spec), 8);
		enum tt_pkt_kind kind;

		memcpy(f + OFF_L4, cases[i].opt, 8);
		fix_cksums(f, len, 0);
		kind = parse(f, len, &our_if, &pkt, &why);
		if (cases[i].want == TT_DROP_COUNT) {
			if (kind != TT_PKT_TCP)
				fail_msg("%s: kind %d (drop %d)", cases[i].name, kind, why);
			assert_int_equal(pkt.l4_off, OFF_L4 + 8);
		} else if (kind != TT_PKT_DROP || why != cases[i].want) {
			fail_msg("%s: kind %d drop %d, want drop %d", cases[i].name, kind, why,
				 cases[i].want);
		}
	}
}

struct verified_case {
	const char *name;
	enum base base;
	uint8_t rx_cksum; /* TT_RX_* bits the port reported */
	unsigned broken;  /* KEEP_* bits: which checksum is left wrong */
	enum tt_pkt_kind want;
	enum tt_drop why;
};

enum {
	IP_GOOD = TT_RX_IP_CKSUM_GOOD,
	IP_BAD = TT_RX_IP_CKSUM_BAD,
	L4_GOOD = TT_RX_L4_CKSUM_GOOD,
	L4_BAD = TT_RX_L4_CKSUM_BAD,
};

static const struct verified_case verified_cases[] = {
    /* good: not summed again, whatever the bytes say */
    {"ip good, ip wrong", B_TCP, IP_GOOD, KEEP_IP_CSUM, TT_PKT_TCP, 0},
    {"l4 good, tcp wrong", B_TCP, L4_GOOD, KEEP_L4_CSUM, TT_PKT_TCP, 0},
    {"both good, both wrong", B_TCP, IP_GOOD | L4_GOOD, KEEP_IP_CSUM | KEEP_L4_CSUM, TT_PKT_TCP, 0},
    /* unknown: the layer nobody verified is summed in software */
    {"unknown, both right", B_TCP, 0, 0, TT_PKT_TCP, 0},
    {"unknown, tcp wrong", B_TCP, 0, KEEP_L4_CSUM, TT_PKT_DROP, TT_DROP_TCP_CSUM},
    {"unknown, ip wrong", B_TCP, 0, KEEP_IP_CSUM, TT_PKT_DROP, TT_DROP_IP_CSUM},
    {"ip good, tcp wrong", B_TCP, IP_GOOD, KEEP_L4_CSUM, TT_PKT_DROP, TT_DROP_TCP_CSUM},
    {"l4 good, ip wrong", B_TCP, L4_GOOD, KEEP_IP_CSUM, TT_PKT_DROP, TT_DROP_IP_CSUM},
    /* bad: dropped with the layer's reason, even when the bytes sum right */
    {"ip bad, both right", B_TCP, IP_BAD | L4_GOOD, 0, TT_PKT_DROP, TT_DROP_IP_CSUM},
    {"l4 bad, both right", B_TCP, IP_GOOD | L4_BAD, 0, TT_PKT_DROP, TT_DROP_TCP_CSUM},
    {"l4 bad, tcp wrong", B_TCP, L4_BAD, KEEP_L4_CSUM, TT_PKT_DROP, TT_DROP_TCP_CSUM},
    {"both bad", B_TCP, IP_BAD | L4_BAD, 0, TT_PKT_DROP, TT_DROP_IP_CSUM},
    /* ICMP: the L4 bits speak of TCP/UDP; an echo request is always summed */
    {"ip good, icmp ip wrong", B_ICMP, IP_GOOD, KEEP_IP_CSUM, TT_PKT_ICMP_ECHO, 0},
    {"l4 good, icmp wrong", B_ICMP, L4_GOOD, KEEP_L4_CSUM, TT_PKT_DROP, TT_DROP_ICMP_CSUM},
    {"l4 bad, icmp right", B_ICMP, L4_BAD, 0, TT_PKT_ICMP_ECHO, 0},
};

static void test_parse_cksum_verified(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(verified_cases); i++) {
		const struct verified_case *c = &verified_cases[i];
		struct tt_net_if ifc = our_if;
		uint32_t len = build_base(f, c->base, NULL, 0);

		print_message("  %s\n", c->name);
		/* TTL is outside the L4 checksum, the ID and sequence outside the IP one. */
		if (c->broken & KEEP_IP_CSUM)
			f[OFF_IP_TTL]--;
		if (c->broken & KEEP_L4_CSUM)
			f[OFF_TCP_SEQ + 1] ^= 0x40;
		ifc.rx_cksum = c->rx_cksum;
		assert_int_equal(parse(f, len, &ifc, &pkt, &why), c->want);
		if (c->want == TT_PKT_DROP)
			assert_int_equal(why, c->why);
	}
}

/* ---- parsing: every defect and its reason ---- */

struct patch {
	uint8_t off;
	uint8_t size; /* 0: unused */
	uint32_t val;
};

struct drop_case {
	const char *name;
	enum base base;
	struct patch p[2];
	uint32_t len;  /* frame length to present, 0 for as built */
	unsigned keep; /* checksums not recomputed after the patch */
	const uint8_t *opts;
	uint8_t optlen;
	enum tt_drop want;
};

#define P1(o, s, v)                                                                                \
	{                                                                                          \
		{                                                                                  \
			(o), (s), (v)                                                              \
		}                                                                                  \
	}
#define OPTS(a) .opts = (a), .optlen = sizeof(a)

static const uint8_t opt_len0[] = {30, 0, 1, 1};
static const uint8_t opt_mss_len0[] = {2, 0, 5, 0xb4};
static const uint8_t opt_len1[] = {30, 1, 1, 1};
static const uint8_t opt_past_end[] = {1, 1, 8, 10};
static const uint8_t opt_unknown_past_end[] = {30, 12, 0, 0};
static const uint8_t opt_one_past_end[] = {1, 1, 30, 3};
static const uint8_t opt_no_len_byte[] = {1, 1, 1, 30};
static const uint8_t opt_mss_len3[] = {2, 3, 5, 1};
static const uint8_t opt_mss_len6[] = {2, 6, 5, 0xb4, 0, 0, 1, 1};
static const uint8_t opt_ws_len2[] = {3, 2, 1, 1};
static const uint8_t opt_ws_len4[] = {3, 4, 7, 0};
static const uint8_t opt_sackok_len3[] = {4, 3, 0, 1};
static const uint8_t opt_ts_len8[] = {8, 8, 0, 0, 0, 0, 0, 0};
static const uint8_t opt_sack_len2[] = {1, 1, 5, 2};
static const uint8_t opt_sack_len9[] = {5, 9, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1};
static const uint8_t opt_sack_len11[] = {5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1};
static const uint8_t opt_sack_len18_short[] = {1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2};
/* Five blocks are 42 bytes: more than the 40 a header holds. */
static const uint8_t opt_sack_5_blocks[40] = {5, 42};
static const uint8_t opt_ts_len12[] = {8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0};
static const uint8_t opt_good_then_bad[] = {2, 4, 5, 0xb4, 3, 4, 7, 0};
/* Words that almost match the fast path (parse_aligned_options): the general walk refuses. */
static const uint8_t opt_ts_word_8_left[] = {2, 4, 5, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1};
static const uint8_t opt_ts_word_last[] = {2, 4, 5, 0xb4, 1, 1, 8, 10};
static const uint8_t opt_sackok_ts_word_8_left[] = {1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1};
static const uint8_t opt_ts_alone_len11[] = {1, 1, 8, 11, 0, 0, 0, 1, 0, 0, 0, 2};
static const uint8_t opt_ts_alone_len9[] = {1, 1, 8, 9, 0, 0, 0, 1, 0, 0, 0, 2};
static const uint8_t opt_mss_word_len5[] = {2, 5, 5, 0xb4, 0, 1, 1, 1};
static const uint8_t opt_nop_ws_len4[] = {1, 3, 4, 7};
static const uint8_t opt_nop_nop_sackok_len3[] = {1, 1, 4, 3};
static const uint8_t opt_mss_then_len0[] = {2, 4, 5, 0xb4, 30, 0, 0, 0};
static const uint8_t opt_words_then_len1[] = {2, 4, 5, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2, 30, 1, 0, 0};

/* The SYN base is 74 bytes: 14 + 20 + 20 + 20 of options, so 60 at L3. */
static const struct drop_case drop_cases[] = {
    {"runt 13", B_TCP, .len = 13, .want = TT_DROP_ETH_SHORT},
    {"runt 1", B_TCP, .len = 1, .want = TT_DROP_ETH_SHORT},
    {"ethertype lldp", B_TCP, P1(OFF_ETH_TYPE, 2, 0x88cc), .want = TT_DROP_ETH_TYPE},
    /* A tag where the type was: the IPv4 header's first bytes read as its ID (0x500). */
    {"ethertype vlan", B_TCP, P1(OFF_ETH_TYPE, 2, 0x8100), .want = TT_DROP_VLAN_UNSERVED},
    {"ethertype vlan arp", B_ARP, P1(OFF_ETH_TYPE, 2, 0x8100), .want = TT_DROP_VLAN_UNSERVED},
    {"other unicast mac", B_TCP, P1(2, 4, 0x10000002), .want = TT_DROP_ETH_DST},
    {"multicast mac", B_TCP, P1(OFF_ETH_DST, 1, 0x01), .want = TT_DROP_ETH_DST},
    {"arp to other mac", B_ARP, P1(OFF_ETH_DST, 1, 0x02), .want = TT_DROP_ETH_DST},
    /* A group address as the source: our reply would go to the whole link. */
    {"group source mac", B_TCP, P1(OFF_ETH_SRC, 1, 0x03), .want = TT_DROP_ETH_SRC_GROUP},
    {"broadcast source mac", B_TCP,
     .p = {{OFF_ETH_SRC, 4, 0xffffffffu}, {OFF_ETH_SRC + 4, 2, 0xffff}},
     .want = TT_DROP_ETH_SRC_GROUP},
    {"arp from a group source", B_ARP, P1(OFF_ETH_SRC, 1, 0x01), .want = TT_DROP_ETH_SRC_GROUP},
    /* Nor the zero address, which a switch floods. */
    {"zero source mac", B_TCP, .p = {{OFF_ETH_SRC, 4, 0}, {OFF_ETH_SRC + 4, 2, 0}},
     .want = TT_DROP_ETH_SRC_ZERO},
    {"arp from a zero source", B_ARP, .p = {{OFF_ETH_SRC, 4, 0}, {OFF_ETH_SRC + 4, 2, 0}},
     .want = TT_DROP_ETH_SRC_ZERO},
    /* An ARP sender address no host has is never learned (nor answered). */
    {"arp sender group", B_ARP, P1(OFF_ARP_SHA, 1, 0x01), .want = TT_DROP_ARP_SENDER},
    {"arp sender broadcast", B_ARP,
     .p = {{OFF_ARP_SHA, 4, 0xffffffffu}, {OFF_ARP_SHA + 4, 2, 0xffff}},
     .want = TT_DROP_ARP_SENDER},
    {"arp sender zero", B_ARP, .p = {{OFF_ARP_SHA, 4, 0}, {OFF_ARP_SHA + 4, 2, 0}},
     .want = TT_DROP_ARP_SENDER},
    {"arp sender group, other target", B_ARP,
     .p = {{OFF_ARP_SHA, 1, 0x01}, {OFF_ARP_TPA, 4, OTHER_IP}}, .want = TT_DROP_ARP_SENDER},
    /* Nor a sender address no peer may have: ours (a conflict), or one no host is given. */
    {"arp sender our address", B_ARP, P1(OFF_ARP_SPA, 4, OUR_IP), .want = TT_DROP_ARP_SENDER_OURS},
    {"arp reply from our address", B_ARP,
     .p = {{OFF_ARP_SPA, 4, OUR_IP}, {OFF_ARP_OP, 2, TT_ARP_OP_REPLY}},
     .want = TT_DROP_ARP_SENDER_OURS},
    {"gratuitous arp of our address", B_ARP,
     .p = {{OFF_ARP_SPA, 4, OUR_IP}, {OFF_ARP_TPA, 4, OUR_IP}}, .want = TT_DROP_ARP_SENDER_OURS},
    {"arp our address, other target", B_ARP,
     .p = {{OFF_ARP_SPA, 4, OUR_IP}, {OFF_ARP_TPA, 4, OTHER_IP}}, .want = TT_DROP_ARP_SENDER_OURS},
    {"arp sender 0.0.0.1", B_ARP, P1(OFF_ARP_SPA, 4, 1), .want = TT_DROP_ARP_SENDER_IP},
    {"arp sender 0.255.255.255", B_ARP, P1(OFF_ARP_SPA, 4, 0x00ffffffu),
     .want = TT_DROP_ARP_SENDER_IP},
    {"arp sender loopback", B_ARP, P1(OFF_ARP_SPA, 4, 0x7f000001u), .want = TT_DROP_ARP_SENDER_IP},
    {"arp sender multicast", B_ARP, P1(OFF_ARP_SPA, 4, 0xe0000001u), .want = TT_DROP_ARP_SENDER_IP},
    {"arp sender all ones", B_ARP, P1(OFF_ARP_SPA, 4, 0xffffffffu), .want = TT_DROP_ARP_SENDER_IP},
    {"arp sender subnet broadcast", B_ARP, P1(OFF_ARP_SPA, 4, 0xc63364ffu),
     .want = TT_DROP_ARP_SENDER_IP},
    {"arp hw type", B_ARP, P1(OFF_ARP_HTYPE, 2, 6), .want = TT_DROP_ARP_MALFORMED},
    {"arp proto type", B_ARP, P1(OFF_ARP_PTYPE, 2, 0x86dd), .want = TT_DROP_ARP_MALFORMED},
    {"arp hlen", B_ARP, P1(OFF_ARP_HLEN, 1, 8), .want = TT_DROP_ARP_MALFORMED},
    {"arp plen", B_ARP, P1(OFF_ARP_PLEN, 1, 16), .want = TT_DROP_ARP_MALFORMED},
    {"arp op 0", B_ARP, P1(OFF_ARP_OP, 2, 0), .want = TT_DROP_ARP_MALFORMED},
    {"arp op 3", B_ARP, P1(OFF_ARP_OP, 2, 3), .want = TT_DROP_ARP_MALFORMED},
    {"arp short", B_ARP, .len = 14 + 27, .want = TT_DROP_ARP_MALFORMED},
    {"arp other ip", B_ARP, P1(OFF_ARP_TPA, 4, OTHER_IP), .want = TT_DROP_ARP_NOT_FOR_US},
    {"ip short", B_TCP, .len = 14 + 19, .want = TT_DROP_IP_SHORT},
    {"ip version 6", B_TCP, P1(OFF_IP, 1, 0x65), .want = TT_DROP_IP_VERSION},
    {"ip version 0", B_TCP, P1(OFF_IP, 1, 0x05), .want = TT_DROP_IP_VERSION},
    {"ihl 4", B_TCP, P1(OFF_IP, 1, 0x44), .want = TT_DROP_IP_HDR_LEN},
    {"ihl 0", B_TCP, P1(OFF_IP, 1, 0x40), .want = TT_DROP_IP_HDR_LEN},
    {"ihl beyond frame", B_ICMP, P1(OFF_IP, 1, 0x4f), .want = TT_DROP_IP_HDR_LEN},
    {"ihl beyond truncated", B_TCP, P1(OFF_IP, 1, 0x46), .len = 14 + 23,
     .want = TT_DROP_IP_HDR_LEN},
    {"total 19 < ihl", B_TCP, P1(OFF_IP_TOTLEN, 2, 19), .want = TT_DROP_IP_TOTAL_LEN},
    {"total 0", B_TCP, P1(OFF_IP_TOTLEN, 2, 0), .want = TT_DROP_IP_TOTAL_LEN},
    {"total > frame", B_TCP, P1(OFF_IP_TOTLEN, 2, 61), .want = TT_DROP_IP_TOTAL_LEN},
    {"frame cut by one", B_TCP, .len = 73, .want = TT_DROP_IP_TOTAL_LEN},
    {"ip checksum", B_TCP, P1(OFF_IP_TTL, 1, 1), .keep = KEEP_IP_CSUM, .want = TT_DROP_IP_CSUM},
    {"ip checksum zero", B_TCP, P1(OFF_IP_CSUM, 2, 0), .keep = KEEP_IP_CSUM,
     .want = TT_DROP_IP_CSUM},
    {"fragment mf", B_TCP, P1(OFF_IP_FRAG, 2, 0x2000), .want = TT_DROP_IP_FRAGMENT},
    {"fragment mf df", B_TCP, P1(OFF_IP_FRAG, 2, 0x6000), .want = TT_DROP_IP_FRAGMENT},
    {"fragment offset 1", B_TCP, P1(OFF_IP_FRAG, 2, 0x0001), .want = TT_DROP_IP_FRAGMENT},
    {"fragment offset df", B_TCP, P1(OFF_IP_FRAG, 2, 0x5fff), .want = TT_DROP_IP_FRAGMENT},
    {"other address", B_TCP, P1(OFF_IP_DST, 4, OTHER_IP), .want = TT_DROP_IP_NOT_FOR_US},
    {"broadcast address", B_TCP, P1(OFF_IP_DST, 4, 0xffffffff), .want = TT_DROP_IP_NOT_FOR_US},
    {"icmp other address", B_ICMP, P1(OFF_IP_DST, 4, OTHER_IP), .want = TT_DROP_IP_NOT_FOR_US},
    {"source 0.0.0.0", B_TCP, P1(OFF_IP_SRC, 4, 0), .want = TT_DROP_IP_BAD_SRC},
    {"source broadcast", B_TCP, P1(OFF_IP_SRC, 4, 0xffffffff), .want = TT_DROP_IP_BAD_SRC},
    {"source 224.0.0.1", B_TCP, P1(OFF_IP_SRC, 4, 0xe0000001), .want = TT_DROP_IP_BAD_SRC},
    {"source 239.255.255.255", B_TCP, P1(OFF_IP_SRC, 4, 0xefffffff), .want = TT_DROP_IP_BAD_SRC},
    {"source 127.0.0.1", B_TCP, P1(OFF_IP_SRC, 4, 0x7f000001), .want = TT_DROP_IP_BAD_SRC},
    {"source 127.255.255.254", B_ICMP, P1(OFF_IP_SRC, 4, 0x7ffffffe), .want = TT_DROP_IP_BAD_SRC},
    {"source is our address (land)", B_TCP, P1(OFF_IP_SRC, 4, OUR_IP), .want = TT_DROP_IP_BAD_SRC},
    {"icmp from our address", B_ICMP, P1(OFF_IP_SRC, 4, OUR_IP), .want = TT_DROP_IP_BAD_SRC},
    {"source 0.1.2.3", B_TCP, P1(OFF_IP_SRC, 4, 0x00010203), .want = TT_DROP_IP_BAD_SRC},
    {"source 240.0.0.1", B_TCP, P1(OFF_IP_SRC, 4, 0xf0000001), .want = TT_DROP_IP_BAD_SRC},
    {"source directed broadcast", B_TCP, P1(OFF_IP_SRC, 4, 0xc63364ffu),
     .want = TT_DROP_IP_BAD_SRC},
    {"udp", B_TCP, P1(OFF_IP_PROTO, 1, PROTO_UDP), .want = TT_DROP_IP_PROTO},
    {"gre", B_TCP, P1(OFF_IP_PROTO, 1, 47), .want = TT_DROP_IP_PROTO},
    {"icmp 7 bytes", B_ICMP, P1(OFF_IP_TOTLEN, 2, 27), .want = TT_DROP_ICMP_SHORT},
    {"icmp 0 bytes", B_ICMP, P1(OFF_IP_TOTLEN, 2, 20), .want = TT_DROP_ICMP_SHORT},
    {"icmp checksum", B_ICMP, P1(OFF_ICMP_ID, 2, 0x4321), .keep = KEEP_L4_CSUM,
     .want = TT_DROP_ICMP_CSUM},
    {"icmp echo reply", B_ICMP, P1(OFF_L4, 1, 0), .want = TT_DROP_ICMP_TYPE},
    {"icmp echo code 1", B_ICMP, P1(OFF_L4 + 1, 1, 1), .want = TT_DROP_ICMP_TYPE},
    {"icmp unreachable", B_ICMP, P1(OFF_L4, 2, 0x0303), .want = TT_DROP_ICMP_TYPE},
    {"tcp 19 bytes", B_TCP, P1(OFF_IP_TOTLEN, 2, 39), .want = TT_DROP_TCP_SHORT},
    {"tcp 0 bytes", B_TCP, P1(OFF_IP_TOTLEN, 2, 20), .want = TT_DROP_TCP_SHORT},
    {"data offset 4", B_TCP, P1(OFF_TCP_DOFF, 1, 0x40), .want = TT_DROP_TCP_HDR_LEN},
    {"data offset 0", B_TCP, P1(OFF_TCP_DOFF, 1, 0x00), .want = TT_DROP_TCP_HDR_LEN},
    {"data offset 11 > segment", B_TCP, P1(OFF_TCP_DOFF, 1, 0xb0), .want = TT_DROP_TCP_HDR_LEN},
    {"data offset 15 > segment", B_TCP, P1(OFF_TCP_DOFF, 1, 0xf0), .want = TT_DROP_TCP_HDR_LEN},
    {"tcp checksum", B_TCP, P1(OFF_TCP_SEQ, 4, 0x01020305), .keep = KEEP_L4_CSUM,
     .want = TT_DROP_TCP_CSUM},
    {"tcp checksum pseudo-header", B_TCP, P1(OFF_IP_SRC, 4, PEER_IP_B), .keep = KEEP_L4_CSUM,
     .want = TT_DROP_TCP_CSUM},
    {"tcp checksum zero", B_TCP, P1(OFF_TCP_CSUM, 2, 0), .keep = KEEP_L4_CSUM,
     .want = TT_DROP_TCP_CSUM},
    {"source port 0", B_TCP, P1(OFF_L4, 2, 0), .want = TT_DROP_TCP_PORT},
    {"destination port 0", B_TCP, P1(OFF_L4 + 2, 2, 0), .want = TT_DROP_TCP_PORT},
    {"syn fin", B_TCP, P1(OFF_TCP_FLAGS, 1, 0x03), .want = TT_DROP_TCP_FLAGS},
    {"syn rst", B_TCP, P1(OFF_TCP_FLAGS, 1, 0x06), .want = TT_DROP_TCP_FLAGS},
    {"syn fin ack", B_TCP, P1(OFF_TCP_FLAGS, 1, 0x13), .want = TT_DROP_TCP_FLAGS},
    {"all flags", B_TCP, P1(OFF_TCP_FLAGS, 1, 0xff), .want = TT_DROP_TCP_FLAGS},
    {"option length 0", B_TCP, OPTS(opt_len0), .want = TT_DROP_TCP_OPTIONS},
    {"mss length 0", B_TCP, OPTS(opt_mss_len0), .want = TT_DROP_TCP_OPTIONS},
    {"option length 1", B_TCP, OPTS(opt_len1), .want = TT_DROP_TCP_OPTIONS},
    {"timestamp past header", B_TCP, OPTS(opt_past_end), .want = TT_DROP_TCP_OPTIONS},
    {"unknown past header", B_TCP, OPTS(opt_unknown_past_end), .want = TT_DROP_TCP_OPTIONS},
    {"one byte past header", B_TCP, OPTS(opt_one_past_end), .want = TT_DROP_TCP_OPTIONS},
    {"no room for length", B_TCP, OPTS(opt_no_len_byte), .want = TT_DROP_TCP_OPTIONS},
    {"mss length 3", B_TCP, OPTS(opt_mss_len3), .want = TT_DROP_TCP_OPTIONS},
    {"mss length 6", B_TCP, OPTS(opt_mss_len6), .want = TT_DROP_TCP_OPTIONS},
    {"wscale length 2", B_TCP, OPTS(opt_ws_len2), .want = TT_DROP_TCP_OPTIONS},
    {"wscale length 4", B_TCP, OPTS(opt_ws_len4), .want = TT_DROP_TCP_OPTIONS},
    {"sack-permitted length 3", B_TCP, OPTS(opt_sackok_len3), .want = TT_DROP_TCP_OPTIONS},
    {"timestamp length 8", B_TCP, OPTS(opt_ts_len8), .want = TT_DROP_TCP_OPTIONS},
    {"sack no blocks", B_TCP, OPTS(opt_sack_len2), .want = TT_DROP_TCP_OPTIONS},
    {"sack length 9", B_TCP, OPTS(opt_sack_len9), .want = TT_DROP_TCP_OPTIONS},
    {"sack length 11", B_TCP, OPTS(opt_sack_len11), .want = TT_DROP_TCP_OPTIONS},
    {"sack past header", B_TCP, OPTS(opt_sack_len18_short), .want = TT_DROP_TCP_OPTIONS},
    {"sack five blocks", B_TCP, OPTS(opt_sack_5_blocks), .want = TT_DROP_TCP_OPTIONS},
    {"timestamp length 12", B_TCP, OPTS(opt_ts_len12), .want = TT_DROP_TCP_OPTIONS},
    {"good then bad", B_TCP, OPTS(opt_good_then_bad), .want = TT_DROP_TCP_OPTIONS},
    {"timestamp word, 8 bytes left", B_TCP, OPTS(opt_ts_word_8_left), .want = TT_DROP_TCP_OPTIONS},
    {"timestamp word last", B_TCP, OPTS(opt_ts_word_last), .want = TT_DROP_TCP_OPTIONS},
    {"sack-ok timestamp word, 8 bytes left", B_TCP, OPTS(opt_sackok_ts_word_8_left),
     .want = TT_DROP_TCP_OPTIONS},
    {"timestamps alone, length 11", B_TCP, OPTS(opt_ts_alone_len11), .want = TT_DROP_TCP_OPTIONS},
    {"timestamps alone, length 9", B_TCP, OPTS(opt_ts_alone_len9), .want = TT_DROP_TCP_OPTIONS},
    {"mss word, length 5", B_TCP, OPTS(opt_mss_word_len5), .want = TT_DROP_TCP_OPTIONS},
    {"nop wscale length 4", B_TCP, OPTS(opt_nop_ws_len4), .want = TT_DROP_TCP_OPTIONS},
    {"nop nop sack-ok length 3", B_TCP, OPTS(opt_nop_nop_sackok_len3), .want = TT_DROP_TCP_OPTIONS},
    {"mss word then length 0", B_TCP, OPTS(opt_mss_then_len0), .want = TT_DROP_TCP_OPTIONS},
    {"three words then length 1", B_TCP, OPTS(opt_words_then_len1), .want = TT_DROP_TCP_OPTIONS},
};

static void apply_patch(uint8_t *f, const struct patch *p)
{
	for (uint32_t i = 0; i < p->size; i++)
		f[p->off + i] = (uint8_t)(p->val >> (8 * (p->size - 1 - i)));
}

static void test_parse_drops(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(drop_cases); i++) {
		const struct drop_case *c = &drop_cases[i];
		uint32_t len = build_base(f, c->base, c->opts, c->optlen);

		print_message("  %s\n", c->name);
		/* Without the patch the frame is accepted: the patch alone causes the drop. */
		if (c->opts == NULL)
			assert_int_not_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
		apply_patch(f, &c->p[0]);
		apply_patch(f, &c->p[1]);
		if (c->len)
			len = c->len;
		fix_cksums(f, len, c->keep);
		assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
		assert_int_equal(why, c->want);
	}
}

/* An ICMP "fragmentation needed" from a router (PEER_IP_B) quoting q (n bytes), MTU mtu. */
static uint32_t build_frag_needed(uint8_t *f, uint16_t mtu, const uint8_t *q, uint32_t n)
{
	uint32_t len = build_icmp(f, 0, mtu, q, n);

	put32(f + OFF_IP_SRC, PEER_IP_B);
	f[OFF_L4] = 3;
	f[OFF_L4 + 1] = 4;
	fix_cksums(f, len, 0);
	return len;
}

/* The first 28 bytes of a segment of ours, OUR_IP:80 -> PEER_IP:40000 at sequence seq. */
static void our_segment_quote(uint8_t *q, uint32_t seq)
{
	memset(q, 0, 28);
	q[0] = 0x45;
	put16(q + 2, 1500);
	q[8] = 64;
	q[9] = PROTO_TCP;
	put32(q + 12, OUR_IP);
	put32(q + 16, PEER_IP);
	put16(q + 20, 80);
	put16(q + 22, 40000);
	put32(q + 24, seq);
}

/*
 * "Fragmentation needed" quoting a segment of ours is read as the segment's flow turned around
 * (as its peer's would be), its sequence number and the MTU; a quote too short (27 bytes), of
 * another protocol, from an address not ours, or an MTU of 0 is refused as a bad quote, and
 * another unreachable code as a type not served.
 */
static void test_parse_frag_needed(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX], q[28];
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len;

	(void)state;
	our_segment_quote(q, 0xfffffff0u);
	len = build_frag_needed(f, 1400, q, 28);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_TOO_BIG);
	assert_int_equal(pkt.family, TT_AF_INET);
	assert_int_equal(pkt.saddr, PEER_IP);
	assert_int_equal(pkt.daddr, OUR_IP);
	assert_int_equal(pkt.sport, 40000);
	assert_int_equal(pkt.dport, 80);
	assert_int_equal(pkt.seg.seq, 0xfffffff0u);
	assert_int_equal(pkt.too_big_mtu, 1400);

	/* A quoted header with options (24 bytes): the TCP header after them. */
	{
		uint8_t qo[32];

		our_segment_quote(q, 7);
		memcpy(qo, q, 20);
		qo[0] = 0x46;
		memset(qo + 20, 1, 4); /* four NOPs */
		memcpy(qo + 24, q + 20, 8);
		len = build_frag_needed(f, 600, qo, 32);
		assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_TOO_BIG);
		assert_int_equal(pkt.sport, 40000);
		assert_int_equal(pkt.dport, 80);
		assert_int_equal(pkt.seg.seq, 7);
		len = build_frag_needed(f, 600, qo, 31);
		assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
		assert_int_equal(why, TT_DROP_ICMP_TOO_BIG_QUOTE);
	}
	our_segment_quote(q, 0xfffffff0u);
	len = build_frag_needed(f, 1400, q, 27);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ICMP_TOO_BIG_QUOTE);
	for (int k = 0; k < 3; k++) {
		our_segment_quote(q, 1);
		if (k == 0)
			q[9] = PROTO_UDP;
		if (k == 1)
			put32(q + 12, OTHER_IP);
		len = build_frag_needed(f, k == 2 ? 0 : 1400, q, 28);
		assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
		assert_int_equal(why, TT_DROP_ICMP_TOO_BIG_QUOTE);
	}
	our_segment_quote(q, 1);
	len = build_frag_needed(f, 1400, q, 28);
	f[OFF_L4 + 1] = 3; /* port unreachable */
	fix_cksums(f, len, 0);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ICMP_TYPE);
}

/*
 * A source that is another interface's address (of the same worker: tt_net_locals) is refused as
 * our own is: one address of another port, a range of 256 (the generator's) and one at the top
 * of the unicast space; the addresses just outside them, and every address while the interface
 * has no others, pass.
 */
static void test_source_of_another_interface(void **state)
{
	static const struct {
		uint32_t src;
		bool refused;
	} cases[] = {
	    {OTHER_IP, false},	  {0xc0000209u, true},	{0xc6120000u, true},  {0xc61200ffu, true},
	    {0xc6120100u, false}, {0xc611ffffu, false}, {PEER_IP, false},     {0xdfffffffu, true},
	    {0xdffffffeu, false}, {0x01000000u, true},	{0x01000001u, false},
	};
	static const struct tt_in6 v6[2] = {{{0x20, 0x01, 0, 2, [15] = 9}},
					    {{0xfe, 0x80, [15] = 1}}};
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_net_locals *l = calloc(1, sizeof(*l));
	struct tt_net_if ifc = our_if;
	struct tt_pkt pkt;
	enum tt_drop why;

	(void)state;
	assert_non_null(l);
	assert_false(tt_net_locals_has4(l, 0));
	assert_false(tt_net_locals_has6(l, &v6[0]));
	assert_true(tt_net_locals_add(l, 0xdfffffffu, 1, NULL, 0));
	assert_true(tt_net_locals_add(l, 0xc6120000u, 256, v6, 2));
	assert_true(tt_net_locals_add(l, OUR_IP, 1, NULL, 0));
	assert_true(tt_net_locals_add(l, 0xc0000209u, 1, NULL, 0));
	assert_true(tt_net_locals_add(l, 0x01000000u, 1, NULL, 0));
	assert_true(tt_net_locals_add(l, 0, 0, NULL, 0)); /* no IPv4 address: nothing added */
	assert_int_equal(l->n4, 5);
	tt_net_locals_sort(l);
	assert_true(tt_net_locals_has6(l, &v6[0]));
	assert_true(tt_net_locals_has6(l, &v6[1]));
	assert_false(tt_net_locals_has6(l, &(struct tt_in6){{0x20, 0x01, 0, 2, [15] = 8}}));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint32_t len = build_base(f, B_TCP, NULL, 0);

		apply_patch(f, &(struct patch){OFF_IP_SRC, 4, cases[i].src});
		fix_cksums(f, len, 0);
		ifc.locals = NULL;
		assert_int_equal(parse(f, len, &ifc, &pkt, &why), TT_PKT_TCP);
		ifc.locals = l;
		assert_int_equal(parse(f, len, &ifc, &pkt, &why),
				 cases[i].refused ? TT_PKT_DROP : TT_PKT_TCP);
		if (cases[i].refused)
			assert_int_equal(why, TT_DROP_IP_BAD_SRC);
		assert_int_equal(tt_net_locals_has4(l, cases[i].src), cases[i].refused);
		/* An ARP from the address: another interface's is claimed by another host. */
		len = build_arp(f, TT_ARP_OP_REQUEST);
		apply_patch(f, &(struct patch){OFF_ARP_SPA, 4, cases[i].src});
		assert_int_equal(parse(f, len, &ifc, &pkt, &why),
				 cases[i].refused ? TT_PKT_DROP : TT_PKT_ARP);
		if (cases[i].refused)
			assert_int_equal(why, TT_DROP_ARP_SENDER_OURS);
	}
	assert_false(tt_net_locals_add(l, 1, 1, NULL, TT_NET_MAX_LOCALS * TT_NET_MAX_ADDR6));
	free(l);
}

/*
 * The lookup at the ends of the address space (a range at 0, one ending at 2^32 - 1), a single
 * range, and ranges that overlap or touch (ports on one prefix), merged by the sort: every
 * address of each found, none beside them.
 */
static void test_locals_ranges(void **state)
{
	struct tt_net_locals *l = calloc(1, sizeof(*l));

	(void)state;
	assert_non_null(l);
	assert_true(tt_net_locals_add(l, 0, 1, NULL, 0));
	tt_net_locals_sort(l);
	assert_true(tt_net_locals_has4(l, 0));
	assert_false(tt_net_locals_has4(l, 1));
	assert_false(tt_net_locals_has4(l, 0xffffffffu));

	memset(l, 0, sizeof(*l));
	assert_true(tt_net_locals_add(l, 10, 100, NULL, 0)); /* [10, 110) */
	assert_true(tt_net_locals_add(l, 20, 1, NULL, 0));   /* inside it */
	assert_true(tt_net_locals_add(l, 110, 5, NULL, 0));  /* touching: [110, 115) */
	assert_true(tt_net_locals_add(l, 200, 10, NULL, 0)); /* [200, 210) */
	assert_true(tt_net_locals_add(l, 205, 10, NULL, 0)); /* overlapping: to 215 */
	assert_true(tt_net_locals_add(l, 0xffffff00u, 256, NULL, 0));
	tt_net_locals_sort(l);
	assert_int_equal(l->n4, 3);
	for (uint32_t a = 0; a < 300; a++)
		assert_int_equal(tt_net_locals_has4(l, a),
				 (a >= 10 && a < 115) || (a >= 200 && a < 215));
	assert_false(tt_net_locals_has4(l, 0xfffffeffu));
	assert_true(tt_net_locals_has4(l, 0xffffff00u));
	assert_true(tt_net_locals_has4(l, 0xffffffffu));
	free(l);
}

static void test_parse_empty(void **state)
{
	uint8_t f[1] = {0};
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	assert_int_equal(parse(f, 0, &our_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_SHORT);
}

/* ---- building ---- */

static const struct tt_net_if peer_if = {
    .mac = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x02}},
    .addr = PEER_IP,
    .addr_count = 1,
};

static const uint8_t build_flags[] = {
    TT_TCP_SYN,
    TT_TCP_SYN | TT_TCP_ACK,
    TT_TCP_ACK,
    TT_TCP_ACK | TT_TCP_PSH,
    TT_TCP_FIN | TT_TCP_ACK,
    TT_TCP_RST | TT_TCP_ACK,
    TT_TCP_RST,
};

static const uint16_t build_payloads[] = {0, 1, 2, 3, 536, 1460};

/* Each option padded to 4 bytes; SACK-permitted shares the timestamp's padding. */
static uint32_t expected_optlen(uint8_t present)
{
	uint32_t n = 0;

	if (present & TT_OPT_MSS)
		n += 4;
	if (present & TT_OPT_WSCALE)
		n += 4;
	if (present & TT_OPT_TS)
		n += 12;
	else if (present & TT_OPT_SACK_OK)
		n += 4;
	return n;
}

/* The SACK option of a, padded: NOP, NOP, kind, length, the blocks. */
static uint32_t expected_sack_len(const struct tt_tcp_opts *o)
{
	return (o->present & TT_OPT_SACK) ? 4u + 8u * o->sack_n : 0;
}

static void random_args(struct tt_tcp_hdr_args *a, uint64_t *rng, uint8_t present, uint32_t round)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->src_mac.b, our_mac, 6);
	memcpy(a->dst_mac.b, peer_mac, 6);
	a->saddr = OUR_IP;
	a->daddr = PEER_IP;
	a->sport = (uint16_t)(rnd(rng) % 65535 + 1);
	a->dport = (uint16_t)(rnd(rng) % 65535 + 1);
	a->seq = (uint32_t)rnd(rng);
	a->ack = (uint32_t)rnd(rng);
	a->wnd = (uint16_t)rnd(rng);
	a->flags = build_flags[round % ARRAY_LEN(build_flags)];
	a->opts.present = present;
	a->opts.mss = (uint16_t)rnd(rng);
	a->opts.wscale = (uint8_t)(rnd(rng) % 15);
	a->opts.tsval = (uint32_t)rnd(rng);
	a->opts.tsecr = (uint32_t)rnd(rng);
	/* As many blocks as fit beside the other options (a SYN's never carry any). */
	if (present & TT_OPT_SACK) {
		uint32_t fit = (TT_TCP_OPT_MAX_LEN - expected_optlen(present) - 4) / 8;

		a->opts.sack_n = (uint8_t)(1 + rnd(rng) % fit);
		for (unsigned i = 0; i < a->opts.sack_n; i++) {
			a->opts.sack[i].start = (uint32_t)rnd(rng);
			a->opts.sack[i].end = (uint32_t)rnd(rng);
		}
	}
}

/* What a receiver reads before it looks at TCP. */
static void check_built_headers(const uint8_t *f, uint32_t hl, uint32_t payload_len,
				const struct tt_tcp_hdr_args *a)
{
	assert_memory_equal(f, peer_mac, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(get16(f + OFF_ETH_TYPE), 0x0800);
	assert_int_equal(f[OFF_IP], 0x45);
	assert_int_equal(get16(f + OFF_IP_TOTLEN), hl - OFF_IP + payload_len);
	assert_int_equal(get16(f + OFF_IP_FRAG) & 0x3fff, 0);
	assert_true(f[OFF_IP_TTL] > 0);
	assert_int_equal(f[OFF_IP_PROTO], PROTO_TCP);
	assert_int_equal(get32(f + OFF_IP_SRC), a->saddr);
	assert_int_equal(get32(f + OFF_IP_DST), a->daddr);
	assert_int_equal((f[OFF_TCP_DOFF] >> 4) * 4u, hl - OFF_L4);
}

static void check_parsed_as_built(const struct tt_pkt *pkt, const uint8_t *f, uint32_t hl,
				  uint32_t payload_len, const struct tt_tcp_hdr_args *a)
{
	assert_memory_equal(pkt->src_mac.b, our_mac, 6);
	assert_int_equal(pkt->saddr, a->saddr);
	assert_int_equal(pkt->daddr, a->daddr);
	assert_int_equal(pkt->sport, a->sport);
	assert_int_equal(pkt->dport, a->dport);
	assert_int_equal(pkt->seg.seq, a->seq);
	assert_int_equal(pkt->seg.ack, a->ack);
	assert_int_equal(pkt->seg.wnd, a->wnd);
	assert_int_equal(pkt->seg.flags, a->flags);
	assert_int_equal(pkt->seg.len, payload_len);
	assert_ptr_equal(pkt->seg.payload, f + hl);
	assert_opts_equal(&a->opts, &pkt->seg.opts);
}

static void test_build_roundtrip(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	uint64_t rng = 42;
	uint32_t round = 0;
	(void)state;

	for (uint8_t present = 0; present < 32; present++) {
		for (size_t p = 0; p < ARRAY_LEN(build_payloads); p++, round++) {
			uint32_t pl = build_payloads[p], hl;
			struct tt_tcp_hdr_args a;
			struct tt_pkt pkt;
			enum tt_drop why;

			random_args(&a, &rng, present, round);
			memset(f, 0xcc, sizeof(f));
			hl = tt_net_tcp_build(f, &a, pl);
			assert_int_equal(hl, OFF_L4 + 20 + expected_optlen(present) +
						 expected_sack_len(&a.opts));
			assert_int_equal(tt_net_tcp_hdr_len(&a.opts), hl);
			for (uint32_t i = 0; i < pl; i++)
				f[hl + i] = (uint8_t)rnd(&rng);
			tt_net_tcp_cksum(f, 0);
			check_built_headers(f, hl, pl, &a);
			assert_true(ip_cksum_ok(f));
			assert_true(tcp_cksum_ok(f));
			assert_int_equal(parse(f, hl + pl, &peer_if, &pkt, &why), TT_PKT_TCP);
			check_parsed_as_built(&pkt, f, hl, pl, &a);
		}
	}
}

/*
 * A segment whose one's-complement sum is 0xffff has the checksum 0x0000:
 * RFC 1624 3 says TCP never sends -0 (0xffff) for it.  Two payload bytes
 * equal to the checksum of the segment with zeros there make such a sum.
 */
static void test_build_cksum_zero(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_tcp_hdr_args a;
	uint64_t rng = 7;
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t hl;

	(void)state;
	for (uint32_t round = 0; round < 64; round++) {
		random_args(&a, &rng, (uint8_t)(round & 15), round);
		hl = tt_net_tcp_build(f, &a, 2);
		f[hl] = f[hl + 1] = 0;
		tt_net_tcp_cksum(f, 0);
		memcpy(f + hl, f + OFF_TCP_CSUM, 2);
		tt_net_tcp_cksum(f, 0);
		assert_int_equal(get16(f + OFF_TCP_CSUM), 0);
		assert_true(tcp_cksum_ok(f));
		assert_int_equal(parse(f, hl + 2, &peer_if, &pkt, &why), TT_PKT_TCP);
		/* The one pass sends the same 0x0000. */
		assert_int_equal(tt_net_tcp_build_tx(f, &a, 2, 0), hl);
		tt_net_tcp_cksum_finish(f, tt_net_cksum_sum(f + hl, 2, 0));
		assert_int_equal(get16(f + OFF_TCP_CSUM), 0);
	}
}

/*
 * Each offload split the ports here have: both layers (a NIC), the TCP checksum
 * only (virtio: the IPv4 header's in software), none.  What is left to the port
 * is zero (IPv4) or the pseudo-header seed (TCP); the rest is complete.
 */
static void test_build_offload(void **state)
{
	static const uint8_t presents[] = {0, TT_OPT_MSS | TT_OPT_SACK_OK, 0x0f,
					   TT_OPT_TS | TT_OPT_SACK};
	static const uint16_t payloads[] = {0, 1, 777};
	static const unsigned splits[] = {TT_TX_IP_CKSUM | TT_TX_TCP_CKSUM, TT_TX_TCP_CKSUM,
					  TT_TX_IP_CKSUM, 0};
	_Alignas(8) uint8_t f[FRAME_MAX];
	uint64_t rng = 7;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(presents) * ARRAY_LEN(payloads) * ARRAY_LEN(splits); i++) {
		unsigned off = splits[i % ARRAY_LEN(splits)];
		uint16_t pl = payloads[i / ARRAY_LEN(splits) % ARRAY_LEN(payloads)];
		uint8_t present = presents[i / ARRAY_LEN(splits) / ARRAY_LEN(payloads)];
		struct tt_net_if verified = peer_if;
		struct tt_tcp_hdr_args a;
		struct tt_pkt pkt;
		enum tt_drop why;
		uint32_t hl, len;

		random_args(&a, &rng, present, (uint32_t)i);
		hl = tt_net_tcp_build(f, &a, pl);
		len = hl + pl;
		memset(f + hl, 0x5a, pl);
		tt_net_tcp_cksum(f, off);
		if (off & TT_TX_IP_CKSUM)
			assert_int_equal(get16(f + OFF_IP_CSUM), 0);
		else
			assert_true(ip_cksum_ok(f));
		if (off & TT_TX_TCP_CKSUM)
			assert_int_equal(get16(f + OFF_TCP_CSUM), ref_fold(ref_pseudo(f)));
		else
			assert_true(tcp_cksum_ok(f));
		/* A receiver that sums in software refuses what the port has yet to complete. */
		if (off != 0) {
			assert_int_equal(parse(f, len, &peer_if, &pkt, &why), TT_PKT_DROP);
			assert_int_equal(why,
					 off & TT_TX_IP_CKSUM ? TT_DROP_IP_CSUM : TT_DROP_TCP_CSUM);
		}
		verified.rx_cksum = TT_RX_IP_CKSUM_GOOD | TT_RX_L4_CKSUM_GOOD;
		assert_int_equal(parse(f, len, &verified, &pkt, &why), TT_PKT_TCP);

		/* Finish as the port does: sum the segment over the seed, invert. */
		if (off & TT_TX_TCP_CKSUM)
			put16(f + OFF_TCP_CSUM,
			      (uint16_t)~ref_fold(ref_add(0, f + OFF_L4, len - OFF_L4)));
		fix_cksums(f, len, KEEP_L4_CSUM | (off & TT_TX_IP_CKSUM ? 0 : KEEP_IP_CSUM));
		assert_true(ip_cksum_ok(f));
		assert_true(tcp_cksum_ok(f));
		assert_int_equal(parse(f, len, &peer_if, &pkt, &why), TT_PKT_TCP);
	}
}

/*
 * The data path's one pass (tt_net_tcp_build_tx, then tt_net_tcp_cksum_finish when the TCP
 * sum is ours) makes the frame of the general calls byte for byte: every option set, payloads
 * of 0, 1, odd and full lengths, every offload split.
 */
static void test_build_tx_as_general(void **state)
{
	static const unsigned splits[] = {0, TT_TX_IP_CKSUM, TT_TX_TCP_CKSUM,
					  TT_TX_IP_CKSUM | TT_TX_TCP_CKSUM};
	_Alignas(8) uint8_t want[FRAME_MAX], got[FRAME_MAX];
	uint64_t rng = 11;
	uint32_t round = 0;
	(void)state;

	for (uint8_t present = 0; present < 32; present++) {
		for (size_t p = 0; p < ARRAY_LEN(build_payloads); p++) {
			for (size_t s = 0; s < ARRAY_LEN(splits); s++, round++) {
				uint32_t pl = build_payloads[p], hl;
				struct tt_tcp_hdr_args a;

				random_args(&a, &rng, present, round);
				memset(want, 0xcc, sizeof(want));
				memset(got, 0x33, sizeof(got));
				hl = tt_net_tcp_build(want, &a, pl);
				for (uint32_t i = 0; i < pl; i++)
					want[hl + i] = (uint8_t)rnd(&rng);
				tt_net_tcp_cksum(want, splits[s]);
				assert_int_equal(tt_net_tcp_build_tx(got, &a, pl, splits[s]), hl);
				memcpy(got + hl, want + hl, pl);
				if (!(splits[s] & TT_TX_TCP_CKSUM))
					tt_net_tcp_cksum_finish(got,
								tt_net_cksum_sum(got + hl, pl, 0));
				assert_memory_equal(got, want, hl + pl);
			}
		}
	}
}

/* ---- in-place replies ---- */

static void test_arp_reply(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX], orig[FRAME_MAX];
	uint32_t len = build_arp(f, TT_ARP_OP_REQUEST);
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	memset(f + 42, 0x3c, len - 42);
	memcpy(orig, f, len);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_ARP);
	tt_net_arp_reply(f, &pkt, &our_if);

	assert_memory_equal(f + OFF_ETH_DST, peer_mac, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(get16(f + OFF_ETH_TYPE), 0x0806);
	assert_memory_equal(f + OFF_ARP_HTYPE, orig + OFF_ARP_HTYPE, 6);
	assert_int_equal(get16(f + OFF_ARP_OP), TT_ARP_OP_REPLY);
	assert_memory_equal(f + OFF_ARP_SHA, our_mac, 6);
	assert_int_equal(get32(f + OFF_ARP_SPA), OUR_IP);
	assert_memory_equal(f + OFF_ARP_THA, peer_mac, 6);
	assert_int_equal(get32(f + OFF_ARP_TPA), PEER_IP);
	assert_memory_equal(f + 42, orig + 42, len - 42);

	/* The requester accepts it as our answer. */
	assert_int_equal(parse(f, len, &peer_if, &pkt, &why), TT_PKT_ARP);
	assert_int_equal(pkt.arp_op, TT_ARP_OP_REPLY);
	assert_int_equal(pkt.saddr, OUR_IP);
	assert_memory_equal(pkt.src_mac.b, our_mac, 6);
}

/* Reply checks common to every echo request shape. */
static void check_echo_reply(const uint8_t *f, const uint8_t *orig, uint32_t len, uint32_t l4_off)
{
	uint32_t l4_len = len - l4_off;
	struct tt_pkt pkt;
	enum tt_drop why;

	assert_memory_equal(f + OFF_ETH_DST, peer_mac, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(get32(f + OFF_IP_SRC), OUR_IP);
	assert_int_equal(get32(f + OFF_IP_DST), PEER_IP);
	assert_true(f[OFF_IP_TTL] > 0);
	assert_true(ip_cksum_ok(f));
	assert_int_equal(f[l4_off], 0);
	assert_int_equal(f[l4_off + 1], 0);
	assert_memory_equal(f + l4_off + 4, orig + l4_off + 4, l4_len - 4);
	assert_int_equal(ref_fold(ref_add(0, f + l4_off, l4_len)), 0xffff);
	/* The peer gets past Ethernet, IPv4 and the length check: only the type stops it. */
	assert_int_equal(parse(f, len, &peer_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ICMP_TYPE);
}

static void echo_round(uint16_t id, uint16_t seq, const uint8_t *data, uint32_t n, uint32_t ip_opts)
{
	_Alignas(8) uint8_t f[FRAME_MAX], orig[FRAME_MAX];
	uint32_t len = build_icmp(f, id, seq, data, n);
	struct tt_pkt pkt;
	enum tt_drop why;

	if (ip_opts) {
		/* A source or record route would need more than a turn-around: not answered. */
		len = add_ip_options(f, len, ip_opts);
		assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
		assert_int_equal(why, TT_DROP_ICMP_IP_OPTIONS);
		return;
	}
	memcpy(orig, f, len);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_ICMP_ECHO);
	assert_int_equal(pkt.l4_off, OFF_L4);
	tt_net_icmp_echo_reply(f, &pkt, &our_if);
	check_echo_reply(f, orig, len, pkt.l4_off);
}

static void test_icmp_echo_reply(void **state)
{
	static const uint8_t zeros[64];
	static const struct {
		const char *name;
		uint16_t id, seq, len;
		bool zero_data;
		uint8_t ip_opts;
	} cases[] = {
	    {"empty", 0x1234, 1, 0, false, 0},
	    {"1 byte", 0x1234, 2, 1, false, 0},
	    {"2 bytes", 0x1234, 3, 2, false, 0},
	    {"3 bytes", 1, 4, 3, false, 0},
	    {"7 bytes", 2, 5, 7, false, 0},
	    {"56 bytes", 3, 6, 56, false, 0},
	    {"57 bytes", 4, 7, 57, false, 0},
	    {"1471 bytes", 5, 8, 1471, false, 0},
	    {"1472 bytes", 6, 9, 1472, false, 0},
	    {"ip options: dropped", 7, 10, 33, false, 8},
	    {"reply sums to -0", 0xffff, 0, 0, true, 0},
	    {"all-zero reply", 0, 0, 0, true, 0},
	    {"all-zero reply, zero payload", 0, 0, 64, true, 0},
	};
	uint8_t data[1472];
	uint64_t rng = 99;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("  %s\n", cases[i].name);
		for (uint32_t j = 0; j < cases[i].len; j++)
			data[j] = (uint8_t)rnd(&rng);
		echo_round(cases[i].id, cases[i].seq, cases[i].zero_data ? zeros : data,
			   cases[i].len, cases[i].ip_opts);
	}
	/* Random requests reach the carry and fold corners of the incremental update. */
	for (uint32_t round = 0; round < 20000; round++) {
		uint32_t n = (uint32_t)(rnd(&rng) % 40);

		for (uint32_t j = 0; j < n; j++)
			data[j] = (uint8_t)(round & 1 ? rnd(&rng) : rnd(&rng) % 3);
		echo_round((uint16_t)rnd(&rng), (uint16_t)rnd(&rng), data, n, 0);
	}
}

/* ---- robustness ---- */

static const uint8_t opt_alphabet[] = {0, 1, 2, 3, 4, 5, 8, 30, 4, 10, 2, 1};

static uint32_t fuzz_base(uint8_t *f, uint64_t *rng)
{
	uint64_t r = rnd(rng);
	uint8_t opts[TT_TCP_OPT_MAX_LEN];
	struct tcp_spec s = syn_spec;
	uint32_t len, i;

	switch (r % 5) {
	case 0: /* noise behind a plausible Ethernet header */
		len = (uint32_t)(rnd(rng) % 128);
		for (i = 0; i < len; i++)
			f[i] = (uint8_t)rnd(rng);
		if (len >= 14) {
			memcpy(f, r & 8 ? our_mac : bcast_mac, 6);
			put16(f + OFF_ETH_TYPE, r & 16 ? 0x0800 : 0x0806);
		}
		return len;
	case 1: /* an echo request, one in four with IPv4 options */
		for (i = 0; i < (uint32_t)(rnd(rng) % 64); i++)
			f[200 + i] = (uint8_t)rnd(rng);
		len = build_icmp(f, (uint16_t)r, 1, f + 200, i);
		return (r >> 5) % 4 ? len
				    : add_ip_options(f, len, 4 * (1 + (uint32_t)(r >> 7) % 10));
	case 2: /* one in four from an address no peer has: ours, loopback, the probe's 0 */
		len = build_arp(f, (uint16_t)(r >> 8) % 3);
		if ((r >> 10) % 4 == 0) {
			static const uint32_t senders[] = {OUR_IP, 0x7f000001u, 0};

			put32(f + OFF_ARP_SPA, senders[(r >> 12) % ARRAY_LEN(senders)]);
		}
		return len;
	default: /* TCP with option lists drawn mostly from meaningful bytes */
		s.optlen = (uint8_t)(rnd(rng) % 11 * 4);
		for (i = 0; i < s.optlen; i++)
			opts[i] = r & 64 ? (uint8_t)rnd(rng)
					 : opt_alphabet[rnd(rng) % ARRAY_LEN(opt_alphabet)];
		s.opts = opts;
		s.flags = (uint8_t)(r >> 16);
		/* Half end at the options, so an over-read leaves the frame. */
		s.payload_len = r & 128 ? 0 : (uint16_t)(rnd(rng) % 100);
		len = build_tcp(f, &s);
		/* One in eight behind 8 bytes of IPv4 options: record route, timestamp, a source
		 * route, or any type, with a length from 0 to past the header. */
		if ((r >> 24) % 8 == 0) {
			static const uint8_t kinds[] = {7, 68, 131, 137, 0x44};
			uint64_t k = rnd(rng);

			len = add_ip_options(f, len, 8);
			f[OFF_L4] = k & 1 ? kinds[(k >> 1) % ARRAY_LEN(kinds)] : (uint8_t)(k >> 8);
			f[OFF_L4 + 1] = (uint8_t)((k >> 16) % 10);
			fix_cksums(f, len, 0);
		}
		return len;
	}
}

static uint32_t fuzz_frame(uint8_t *f, uint64_t *rng)
{
	uint32_t len = fuzz_base(f, rng);
	uint64_t r = rnd(rng);
	uint32_t flips = (uint32_t)(r % 5);

	for (uint32_t i = 0; i < flips && len; i++) {
		uint32_t at = (uint32_t)(rnd(rng) % len);

		f[at] = r & 32 ? (uint8_t)rnd(rng) : (uint8_t)(f[at] ^ (1u << (rnd(rng) % 8)));
	}
	/* A whole field no flip makes: the zero source MAC. */
	if ((r >> 12) % 64 == 0 && len >= OFF_ETH_SRC + 6)
		memset(f + OFF_ETH_SRC, 0, 6);
	if ((r >> 8) % 4 == 0)
		len = (uint32_t)(rnd(rng) % (len + 24));
	if ((r >> 10) % 2 == 0)
		fix_cksums(f, len, 0);
	return len;
}

/* What every accepted frame guarantees about the memory the caller may touch. */
static void check_fuzz_result(enum tt_pkt_kind kind, const uint8_t *buf, uint32_t len,
			      const struct tt_pkt *pkt, enum tt_drop why)
{
	switch (kind) {
	case TT_PKT_DROP:
		assert_true(why < TT_DROP_COUNT);
		break;
	case TT_PKT_TCP:
		assert_true(pkt->seg.payload >= buf + OFF_L4 + 20);
		assert_true(pkt->seg.payload + pkt->seg.len <= buf + len);
		assert_int_equal(pkt->seg.payload + pkt->seg.len - buf, pkt->l4_off + pkt->l4_len);
		assert_true(pkt->sport != 0 && pkt->dport != 0);
		break;
	case TT_PKT_ICMP_ECHO:
		assert_true(pkt->l4_len >= 8);
		assert_true((uint32_t)pkt->l4_off + pkt->l4_len <= len);
		break;
	case TT_PKT_ARP:
		assert_true(len >= 14 + 28);
		break;
	default:
		fail_msg("kind %d", kind);
	}
}

/*
 * The peek (on the exact-size copy: a sanitizer build catches an over-read) against the parser:
 * of the frames the parser takes as TCP, it picks exactly the untagged, option-less IPv4 plain
 * SYNs.  Returns whether the frame peeked as one.
 */
static bool check_peek_agrees(enum tt_pkt_kind kind, const uint8_t *buf, uint32_t len,
			      const struct tt_pkt *pkt)
{
	bool peeked = tt_net_peek_ipv4_syn(buf, len);
	uint8_t rafs = TT_TCP_RST | TT_TCP_ACK | TT_TCP_FIN | TT_TCP_SYN;

	if (kind == TT_PKT_TCP)
		assert_int_equal(peeked,
				 pkt->l4_off == OFF_L4 && (pkt->seg.flags & rafs) == TT_TCP_SYN);
	return peeked;
}

static void test_parse_fuzz(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	uint32_t kinds[TT_PKT_TCP + 1] = {0}, reasons[TT_DROP_COUNT] = {0}, distinct = 0;
	uint32_t peeked_syns = 0;
	uint64_t rng = 0x243f6a8885a308d3u;
	(void)state;

	memset(f, 0xee, sizeof(f));
	for (uint32_t round = 0; round < 200000; round++) {
		uint32_t len = fuzz_frame(f, &rng);
		/* An exact-size copy, so a sanitizer build catches any over-read. */
		uint8_t *buf = malloc(len ? len : 1);
		struct tt_net_if ifc = our_if;
		enum tt_pkt_kind kind;
		struct tt_pkt pkt;
		enum tt_drop why;

		assert_non_null(buf);
		memcpy(buf, f, len);
		ifc.rx_cksum = (uint8_t)((round % 7 == 0 ? TT_RX_IP_CKSUM_GOOD : 0) |
					 (round % 5 == 0 ? TT_RX_L4_CKSUM_GOOD : 0));
		kind = parse(buf, len, &ifc, &pkt, &why);
		check_fuzz_result(kind, buf, len, &pkt, why);
		peeked_syns += check_peek_agrees(kind, buf, len, &pkt);
		if (kind == TT_PKT_DROP)
			reasons[why]++;
		else if (kind <= TT_PKT_TCP)
			kinds[kind]++;
		free(buf);
	}
	/* IPv4 frames, so the IPv6 reasons (test_net6.c) stay out of the count. */
	for (uint32_t i = 0; i < TT_DROP_COUNT; i++)
		distinct += reasons[i] != 0 && (i < TT_DROP_IP6_SHORT || i > TT_DROP_ND_NOT_FOR_US);
	print_message("  tcp %u icmp %u arp %u drop %u, %u drop reasons, %u peeked as SYNs\n",
		      kinds[TT_PKT_TCP], kinds[TT_PKT_ICMP_ECHO], kinds[TT_PKT_ARP],
		      200000 - kinds[TT_PKT_TCP] - kinds[TT_PKT_ICMP_ECHO] - kinds[TT_PKT_ARP],
		      distinct, peeked_syns);
	assert_true(peeked_syns > 1000);
	/* The mix must reach every kind and every parser reason, or it tests little. */
	assert_true(kinds[TT_PKT_TCP] > 1000);
	assert_true(kinds[TT_PKT_ICMP_ECHO] > 1000);
	assert_true(kinds[TT_PKT_ARP] > 1000);
	for (uint32_t i = TT_DROP_ETH_SHORT; i <= TT_DROP_TCP_PORT; i++)
		assert_true(reasons[i] > 0);
	assert_true(reasons[TT_DROP_VLAN_UNSERVED] > 0);
	/* Nothing but the parser's own reasons (4095 needs a tag the mix rarely makes). */
	assert_int_equal(distinct,
			 TT_DROP_TCP_PORT + 2 + (reasons[TT_DROP_VLAN_RESERVED] > 0 ? 1 : 0));
}

/* ---- 802.1Q VLANs and ARP requests ---- */

/* Tag the untagged frame f of len bytes in place with TCI tci; returns the new length. */
static uint32_t tag(uint8_t *f, uint32_t len, uint16_t tci)
{
	memmove(f + 16, f + 12, len - 12);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = (uint8_t)(tci >> 8);
	f[15] = (uint8_t)tci;
	return len + 4;
}

static const struct tt_net_if vlan_if = {
    .mac = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}}, .vlan = 100, .addr = OUR_IP, .addr_count = 1};

/* A segment tagged with our VLAN parses as the untagged one, 4 bytes further in. */
static void test_vlan_parse_tcp(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	uint32_t len = tag(f, build_tcp(f, &syn_spec), 0xe064); /* priority 7, DEI 0, VLAN 100 */
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	assert_int_equal(tt_net_frame_vlan(f, len), 100);
	assert_int_equal(parse(f, len, &vlan_if, &pkt, &why), TT_PKT_TCP);
	assert_int_equal(pkt.l3_off, 18);
	assert_int_equal(pkt.l4_off, OFF_L4 + 4);
	assert_int_equal(pkt.saddr, PEER_IP);
	assert_ptr_equal(pkt.seg.payload + pkt.seg.len, f + len);
	/* Not the untagged interface's, nor another VLAN's. */
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_VLAN_UNSERVED);
	f[15] = 101;
	assert_int_equal(parse(f, len, &vlan_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_VLAN_UNSERVED);
	/* 4095 is reserved, whoever asks. */
	f[14] = 0x0f;
	f[15] = 0xff;
	assert_int_equal(parse(f, len, &vlan_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_VLAN_RESERVED);
	/* A frame cut inside its tag. */
	assert_int_equal(parse(f, 17, &vlan_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_SHORT);
}

static void test_vlan_parse_untagged_priority_stripped(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	uint32_t len = build_tcp(f, &syn_spec);
	struct tt_net_if stripped = vlan_if;
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	/* An untagged frame does not reach a VLAN. */
	assert_int_equal(parse(f, len, &vlan_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_VLAN_UNSERVED);
	/* The port stripped tag 100 (offload): the frame is the VLAN's, headers at 14. */
	stripped.rx_vlan_stripped = true;
	stripped.rx_vlan_id = 0x2064;
	assert_int_equal(parse(f, len, &stripped, &pkt, &why), TT_PKT_TCP);
	assert_int_equal(pkt.l3_off, 14);
	/* A stripped frame with a second tag inside (QinQ) is no type we take. */
	len = tag(f, len, 100);
	assert_int_equal(parse(f, len, &stripped, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_TYPE);
	/* Two tags in the frame: likewise. */
	len = tag(f, len, 100);
	assert_int_equal(parse(f, len, &vlan_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_TYPE);
	/* Priority tagged (ID 0): untagged, as 802.1Q says. */
	len = tag(f, build_tcp(f, &syn_spec), 0xa000);
	assert_int_equal(tt_net_frame_vlan(f, len), 0);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_TCP);
	assert_int_equal(pkt.l4_off, OFF_L4 + 4);
}

/* ARP and ICMP echo on a VLAN are answered in place with the tag kept. */
static void test_vlan_replies_in_place(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_net_if peer_vlan = peer_if;
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len;
	(void)state;

	peer_vlan.vlan = 100;
	len = tag(f, build_arp(f, TT_ARP_OP_REQUEST), 100);
	assert_int_equal(parse(f, len, &vlan_if, &pkt, &why), TT_PKT_ARP);
	tt_net_arp_reply(f, &pkt, &vlan_if);
	assert_int_equal(tt_net_frame_vlan(f, len), 100);
	assert_int_equal(parse(f, len, &peer_vlan, &pkt, &why), TT_PKT_ARP);
	assert_int_equal(pkt.arp_op, TT_ARP_OP_REPLY);
	assert_int_equal(pkt.saddr, OUR_IP);
	assert_memory_equal(pkt.src_mac.b, our_mac, 6);

	len = tag(f, build_icmp(f, 7, 9, ping_data, sizeof(ping_data)), 100);
	assert_int_equal(parse(f, len, &vlan_if, &pkt, &why), TT_PKT_ICMP_ECHO);
	tt_net_icmp_echo_reply(f, &pkt, &vlan_if);
	assert_int_equal(tt_net_frame_vlan(f, len), 100);
	assert_int_equal(get32(f + OFF_IP_SRC + 4), OUR_IP);
	assert_int_equal(get32(f + OFF_IP_DST + 4), PEER_IP);
	assert_int_equal(ref_fold(ref_add(0, f + 18, 20)), 0xffff);
	assert_int_equal(ref_fold(ref_add(0, f + pkt.l4_off, len - pkt.l4_off)), 0xffff);
	assert_int_equal(f[pkt.l4_off], 0); /* echo reply */
}

/* Software tag insertion: the frame built untagged 4 bytes in becomes the tagged frame. */
static void test_vlan_insert(void **state)
{
	_Alignas(8) uint8_t buf[FRAME_MAX], want[FRAME_MAX];
	uint32_t len = build_tcp(buf + 4, &syn_spec);
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	memcpy(want, buf + 4, len);
	tag(want, len, 100);
	tt_net_vlan_insert(buf, 100);
	assert_memory_equal(buf, want, len + 4);
	assert_int_equal(parse(buf, len + 4, &vlan_if, &pkt, &why), TT_PKT_TCP);
	tt_net_vlan_insert(buf, 4094);
	assert_int_equal(tt_net_frame_vlan(buf, len + 8), 4094);
}

/* Our requests, broadcast and unicast (a refresh), as the neighbour asked sees them. */
/* ---- the shedding worker's SYN peek ---- */

/* An option-less SYN: the shortest frame tt_net_peek_ipv4_syn may take (14 + 20 + 20). */
static uint32_t build_bare_syn(uint8_t *f)
{
	struct tcp_spec s = syn_spec;

	s.opts = NULL;
	s.optlen = 0;
	return build_tcp(f, &s);
}

/* The peek of len bytes of f copied to the end of a buffer of exactly len bytes. */
static bool peek_exact(const uint8_t *f, uint32_t len)
{
	uint8_t *buf = malloc(len + 1);
	bool r;

	assert_non_null(buf);
	memcpy(buf + 1, f, len);
	r = tt_net_peek_ipv4_syn(buf + 1, len);
	free(buf);
	return r;
}

static void test_peek_syn_lengths(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	uint32_t bare = build_bare_syn(f);
	(void)state;

	assert_int_equal(bare, 54);
	/* Every prefix of a SYN (0, 1, ..., 53 bytes) is too short, and none is read past its
	 * end (the sanitizer build). */
	for (uint32_t len = 0; len < bare; len++)
		assert_false(peek_exact(f, len));
	assert_true(peek_exact(f, bare));
	assert_true(peek_exact(f, bare + 6)); /* padded to the Ethernet minimum */
	assert_true(peek_exact(f, build_tcp(f, &syn_spec)));
}

/* What the peek deliberately leaves to the parser: a SYN it would drop is still a SYN here. */
static void test_peek_syn_unchecked(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	uint32_t len = build_tcp(f, &syn_spec);
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	f[OFF_IP_CSUM] ^= 0xff;
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_IP_CSUM);
	assert_true(peek_exact(f, len));
	build_tcp(f, &syn_spec);
	f[OFF_TCP_CSUM] ^= 0xff;
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_TCP_CSUM);
	assert_true(peek_exact(f, len));
	build_tcp(f, &syn_spec);
	put32(f + OFF_IP_DST, OTHER_IP);
	fix_cksums(f, len, 0);
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_IP_NOT_FOR_US);
	assert_true(peek_exact(f, len));
}

struct peek_case {
	const char *name;
	struct patch p;
	bool want;
};

static const struct peek_case peek_cases[] = {
    {"ethertype vlan", {OFF_ETH_TYPE, 2, 0x8100}, false},
    {"ethertype ipv6", {OFF_ETH_TYPE, 2, 0x86dd}, false},
    {"ethertype arp", {OFF_ETH_TYPE, 2, 0x0806}, false},
    {"ethertype low byte", {OFF_ETH_TYPE + 1, 1, 0x01}, false},
    {"ihl 6", {OFF_IP, 1, 0x46}, false},
    {"ihl 4", {OFF_IP, 1, 0x44}, false},
    {"version 6", {OFF_IP, 1, 0x65}, false},
    {"udp", {OFF_IP_PROTO, 1, PROTO_UDP}, false},
    {"icmp", {OFF_IP_PROTO, 1, PROTO_ICMP}, false},
    {"more fragments", {OFF_IP_FRAG, 2, 0x2000}, false},
    {"fragment offset 1", {OFF_IP_FRAG, 2, 0x0001}, false},
    {"fragment offset 0x1000", {OFF_IP_FRAG, 2, 0x1000}, false},
    {"syn ack", {OFF_TCP_FLAGS, 1, TT_TCP_SYN | TT_TCP_ACK}, false},
    {"syn rst", {OFF_TCP_FLAGS, 1, TT_TCP_SYN | TT_TCP_RST}, false},
    {"syn fin", {OFF_TCP_FLAGS, 1, TT_TCP_SYN | TT_TCP_FIN}, false},
    {"ack", {OFF_TCP_FLAGS, 1, TT_TCP_ACK}, false},
    {"no flags", {OFF_TCP_FLAGS, 1, 0}, false},
    {"all flags", {OFF_TCP_FLAGS, 1, 0xff}, false},
    /* What the parser accepts in a SYN is a SYN here too. */
    {"df clear", {OFF_IP_FRAG, 2, 0x0000}, true},
    {"reserved and df", {OFF_IP_FRAG, 2, 0xc000}, true},
    {"syn psh urg", {OFF_TCP_FLAGS, 1, TT_TCP_SYN | TT_TCP_PSH | TT_TCP_URG}, true},
    {"ecn setup syn", {OFF_TCP_FLAGS, 1, TT_TCP_SYN | 0xc0}, true},
    {"data offset 0", {OFF_TCP_DOFF, 1, 0x00}, true},
    {"other mac", {OFF_ETH_DST, 1, 0x04}, true},
};

/* Each field the peek judges, changed alone in a full SYN (checksums left as built). */
static void test_peek_syn_fields(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(peek_cases); i++) {
		const struct peek_case *c = &peek_cases[i];
		uint32_t len = build_tcp(f, &syn_spec);

		print_message("  %s\n", c->name);
		assert_true(peek_exact(f, len));
		apply_patch(f, &c->p);
		assert_int_equal(peek_exact(f, len), c->want);
	}
}

/* A tagged SYN is left to the parser (and the stack's shedding), whatever its VLAN. */
static void test_peek_syn_tagged(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	(void)state;

	assert_false(peek_exact(f, tag(f, build_tcp(f, &syn_spec), 0x0064)));
	assert_false(peek_exact(f, tag(f, build_tcp(f, &syn_spec), 0x0000)));
	assert_false(peek_exact(f, tag(f, build_bare_syn(f), 0x0064)));
}

static void test_arp_request(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	const struct tt_mac us = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}};
	const struct tt_mac them = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x02}};
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len;
	(void)state;

	memset(f, 0xee, sizeof(f));
	len = tt_net_arp_request(f, &us, OUR_IP, PEER_IP, NULL);
	assert_int_equal(len, 42);
	assert_memory_equal(f + OFF_ETH_DST, bcast_mac, 6);
	assert_memory_equal(f + OFF_ARP_THA, (uint8_t[6]){0}, 6);
	assert_int_equal(parse(f, len, &peer_if, &pkt, &why), TT_PKT_ARP);
	assert_int_equal(pkt.arp_op, TT_ARP_OP_REQUEST);
	assert_int_equal(pkt.saddr, OUR_IP);
	assert_int_equal(pkt.daddr, PEER_IP);
	assert_memory_equal(pkt.src_mac.b, our_mac, 6);
	len = tt_net_arp_request(f, &us, OUR_IP, PEER_IP, &them);
	assert_memory_equal(f + OFF_ETH_DST, peer_mac, 6);
	assert_int_equal(parse(f, len, &peer_if, &pkt, &why), TT_PKT_ARP);
	/* Another host sees a request not for it, and who sent it. */
	assert_int_equal(parse(f, len, &our_if, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_DST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cksum_vectors),
	    cmocka_unit_test(test_cksum_random),
	    cmocka_unit_test(test_cksum_lengths_alignments),
	    cmocka_unit_test(test_cksum_carry),
	    cmocka_unit_test(test_parse_tcp_fields),
	    cmocka_unit_test(test_parse_options_skipped),
	    cmocka_unit_test(test_parse_broadcast_arp_icmp),
	    cmocka_unit_test(test_parse_padding),
	    cmocka_unit_test(test_parse_ip_options),
	    cmocka_unit_test(test_parse_ip_option_kinds),
	    cmocka_unit_test(test_parse_cksum_verified),
	    cmocka_unit_test(test_parse_drops),
	    cmocka_unit_test(test_parse_frag_needed),
	    cmocka_unit_test(test_source_of_another_interface),
	    cmocka_unit_test(test_locals_ranges),
	    cmocka_unit_test(test_parse_empty),
	    cmocka_unit_test(test_build_roundtrip),
	    cmocka_unit_test(test_build_cksum_zero),
	    cmocka_unit_test(test_build_offload),
	    cmocka_unit_test(test_build_tx_as_general),
	    cmocka_unit_test(test_arp_reply),
	    cmocka_unit_test(test_icmp_echo_reply),
	    cmocka_unit_test(test_parse_fuzz),
	    cmocka_unit_test(test_vlan_parse_tcp),
	    cmocka_unit_test(test_vlan_parse_untagged_priority_stripped),
	    cmocka_unit_test(test_vlan_replies_in_place),
	    cmocka_unit_test(test_vlan_insert),
	    cmocka_unit_test(test_arp_request),
	    cmocka_unit_test(test_peek_syn_lengths),
	    cmocka_unit_test(test_peek_syn_unchecked),
	    cmocka_unit_test(test_peek_syn_fields),
	    cmocka_unit_test(test_peek_syn_tagged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
