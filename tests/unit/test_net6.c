/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_net over IPv6 and tt_nd: frames are written byte by byte here and every checksum is
 * checked with a reference RFC 1071 sum over a pseudo-header laid out independently of the
 * library (RFC 8200 8.1), so a parser and a builder that agree on a mistake still fail.
 * Addresses come from 2001:2::/48 (RFC 5180).  Every length an extension header or an ND
 * option carries is tried at 0, 1, its largest value and one past the packet; ND options also
 * at none, one and as many as the largest frame holds.
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
#include "tt_nd.h"
#include "tt_net.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	OFF_IP = 14,
	OFF_IP_PLEN = 18,
	OFF_IP_NH = 20,
	OFF_IP_HLIM = 21,
	OFF_IP_SRC = 22,
	OFF_IP_DST = 38,
	OFF_L4 = 54, /* without extension headers */
	NH_HBH = 0,
	NH_TCP = 6,
	NH_UDP = 17,
	NH_ROUTING = 43,
	NH_FRAG = 44,
	NH_ICMP6 = 58,
	NH_NONE = 59,
	NH_DST = 60,
	FRAME_MAX = 2048,
};

static const uint8_t our_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};
static const struct tt_in6 our6 = {{0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
static const struct tt_in6 our6b = {
    {0x20, 0x01, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0xab, 0xcd, 0xef}};
static const struct tt_in6 peer6 = {{0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
static const struct tt_in6 other6 = {{0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3}};
static const struct tt_in6 zero6;
static const struct tt_in6 all_nodes = {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
/* ff02::1:ff00:2, the solicited-node group of our6 (RFC 4291 2.7.1), written out. */
static const struct tt_in6 our6_sn = {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2}};
static const struct tt_in6 our6b_sn = {
    {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xab, 0xcd, 0xef}};

static const struct tt_net_if our_if = {
    .mac = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}},
    .addr = 0xc6120002u,
    .addr_count = 1,
    .n_addr6 = 2,
    .addr6 = {{{0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}},
	      {{0x20, 0x01, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0xab, 0xcd, 0xef}}},
};

/* Sum of the upper layer at l4 (len bytes) with the pseudo-header of the frame's addresses. */
static uint16_t ref_l4_sum(const uint8_t *f, const uint8_t *l4, uint32_t len, uint8_t proto)
{
	uint8_t ph[40] = {0};

	memcpy(ph, f + OFF_IP_SRC, 32);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[39] = proto;
	return ref_fold(ref_add(ref_add(0, ph, 40), l4, len));
}

struct frame6 {
	struct tt_in6 src, dst;
	uint8_t hlim;
	uint8_t nh;	    /* the IPv6 header's next header */
	const uint8_t *ext; /* extension headers as sent, their next headers included */
	uint32_t ext_len;
	uint8_t proto; /* the upper layer (checksummed when ICMPv6 or TCP) */
	const uint8_t *l4;
	uint32_t l4_len;
};

static uint32_t build6(uint8_t *f, const struct frame6 *d)
{
	uint32_t plen = d->ext_len + d->l4_len;
	uint8_t *l4 = f + OFF_L4 + d->ext_len;
	uint32_t cs = d->proto == NH_TCP ? 16 : 2;

	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x86dd);
	f[OFF_IP] = 0x60;
	f[OFF_IP + 1] = f[OFF_IP + 2] = f[OFF_IP + 3] = 0;
	put16(f + OFF_IP_PLEN, plen);
	f[OFF_IP_NH] = d->nh;
	f[OFF_IP_HLIM] = d->hlim ? d->hlim : 64;
	memcpy(f + OFF_IP_SRC, &d->src, 16);
	memcpy(f + OFF_IP_DST, &d->dst, 16);
	if (d->ext_len)
		memcpy(f + OFF_L4, d->ext, d->ext_len);
	memcpy(l4, d->l4, d->l4_len);
	if ((d->proto == NH_ICMP6 || d->proto == NH_TCP) && d->l4_len >= cs + 2) {
		put16(l4 + cs, 0);
		put16(l4 + cs, (uint16_t)~ref_l4_sum(f, l4, d->l4_len, d->proto));
	}
	return OFF_L4 + plen;
}

static enum tt_pkt_kind parse(const uint8_t *f, uint32_t len, struct tt_pkt *pkt, enum tt_drop *why)
{
	memset(pkt, 0xa5, sizeof(*pkt));
	*why = TT_DROP_COUNT;
	return tt_net_parse(f, len, &our_if, pkt, why);
}

/* parse() on an exact-size copy: a sanitizer build catches any read past the frame. */
static enum tt_pkt_kind parse_copy(const uint8_t *f, uint32_t len, struct tt_pkt *pkt,
				   enum tt_drop *why)
{
	uint8_t *buf = malloc(len ? len : 1);
	enum tt_pkt_kind k;

	assert_non_null(buf);
	memcpy(buf, f, len);
	k = parse(buf, len, pkt, why);
	free(buf);
	return k;
}

static const uint8_t echo_req[] = {128, 0, 0, 0, 0x12, 0x34, 0, 7, 'a', 'b', 'c', 'd', 'e'};

static struct frame6 echo_frame(void)
{
	return (struct frame6){.src = peer6,
			       .dst = our6,
			       .nh = NH_ICMP6,
			       .proto = NH_ICMP6,
			       .l4 = echo_req,
			       .l4_len = sizeof(echo_req)};
}

/* The reply's IPv6 header and ICMPv6 message, checked against the request's fields. */
static void check_echo_reply(const uint8_t *r, uint32_t rlen, const struct tt_in6 *from)
{
	assert_int_equal(rlen, OFF_L4 + sizeof(echo_req));
	assert_memory_equal(r, peer_mac, 6);
	assert_memory_equal(r + 6, our_mac, 6);
	assert_int_equal(get16(r + 12), 0x86dd);
	assert_int_equal(r[OFF_IP], 0x60);
	assert_int_equal(get16(r + OFF_IP_PLEN), sizeof(echo_req));
	assert_int_equal(r[OFF_IP_NH], NH_ICMP6);
	assert_int_equal(r[OFF_IP_HLIM], 64);
	assert_memory_equal(r + OFF_IP_SRC, from, 16);
	assert_memory_equal(r + OFF_IP_DST, &peer6, 16);
	assert_int_equal(r[OFF_L4], 129);
	assert_int_equal(r[OFF_L4 + 1], 0);
	assert_memory_equal(r + OFF_L4 + 4, echo_req + 4, sizeof(echo_req) - 4);
	assert_int_equal(ref_l4_sum(r, r + OFF_L4, sizeof(echo_req), NH_ICMP6), 0xffff);
}

static void test_echo(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct frame6 d = echo_frame();
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len = build6(f, &d);
	(void)state;

	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_ICMP6_ECHO);
	assert_int_equal(pkt.family, TT_AF_INET6);
	assert_int_equal(pkt.l4_off, OFF_L4);
	assert_int_equal(pkt.l4_len, sizeof(echo_req));
	check_echo_reply(f, tt_net_icmp6_echo_reply(f, &pkt, &our_if), &our6);

	/* Ethernet padding after the datagram is not part of it. */
	len = build6(f, &d);
	memset(f + len, 0xee, 10);
	assert_int_equal(parse(f, len + 10, &pkt, &why), TT_PKT_ICMP6_ECHO);
	assert_int_equal(pkt.l4_len, sizeof(echo_req));
	check_echo_reply(f, tt_net_icmp6_echo_reply(f, &pkt, &our_if), &our6);

	/* To our unicast address at a group MAC: dropped (RFC 1122 3.3.6). */
	len = build6(f, &d);
	memcpy(f, (const uint8_t[]){0x33, 0x33, 0, 0, 0, 1}, 6);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_GROUP_DST);

	/* To our second address's solicited-node group: answered from that address, whether
	 * sent to its group MAC or to ours. */
	d.dst = our6b_sn;
	len = build6(f, &d);
	memcpy(f, (const uint8_t[]){0x33, 0x33, 0xff, 0xab, 0xcd, 0xef}, 6);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_ICMP6_ECHO);
	len = build6(f, &d);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_ICMP6_ECHO);
	check_echo_reply(f, tt_net_icmp6_echo_reply(f, &pkt, &our_if), &our6b);
}

/* Hop-by-hop (router alert, PadN) then destination options (Pad1s, an unknown skippable
 * option): walked, and the reply leaves them out. */
static void test_echo_ext_headers(void **state)
{
	static const uint8_t ext[] = {
	    NH_DST,   0, 5,    2, 0, 0, 1, 0, /* hop-by-hop: router alert, PadN 2 */
	    NH_ICMP6, 1, 0x1e, 6, 1, 2, 3, 4, 5, 6, 0, 0, 1, 2, 0, 0, /* dst opts, 16 bytes */
	};
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct frame6 d = echo_frame();
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len;
	(void)state;

	d.nh = NH_HBH;
	d.ext = ext;
	d.ext_len = sizeof(ext);
	len = build6(f, &d);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_ICMP6_ECHO);
	assert_int_equal(pkt.l4_off, OFF_L4 + sizeof(ext));
	assert_int_equal(pkt.l4_len, sizeof(echo_req));
	check_echo_reply(f, tt_net_icmp6_echo_reply(f, &pkt, &our_if), &our6);
}

/* A chain of n destination options headers, 8 bytes each (PadN of 6). */
static uint32_t dst_chain(uint8_t *ext, unsigned n, uint8_t last_nh)
{
	for (unsigned i = 0; i < n; i++) {
		static const uint8_t h[8] = {NH_DST, 0, 1, 4, 0, 0, 0, 0};

		memcpy(ext + 8 * i, h, 8);
		ext[8 * i] = i + 1 == n ? last_nh : NH_DST;
	}
	return 8 * n;
}

static void test_ext_chain_cap(void **state)
{
	uint8_t ext[8 * (TT_IP6_MAX_EXT_HDRS + 1)];
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct frame6 d = echo_frame();
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len;
	(void)state;

	d.nh = NH_DST;
	d.ext = ext;
	d.ext_len = dst_chain(ext, TT_IP6_MAX_EXT_HDRS, NH_ICMP6);
	len = build6(f, &d);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_ICMP6_ECHO);
	d.ext_len = dst_chain(ext, TT_IP6_MAX_EXT_HDRS + 1, NH_ICMP6);
	len = build6(f, &d);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_IP6_EXT_CHAIN);
}

/* Each case: the echo request behind ext (first next header nh), or with a patch. */
struct ext_case {
	const char *name;
	uint8_t nh;
	uint8_t ext[40];
	uint8_t ext_len;
	enum tt_drop want; /* TT_DROP_COUNT: accepted */
};

static const struct ext_case ext_cases[] = {
    {"dst opts len 0, PadN 4", NH_DST, {NH_ICMP6, 0, 1, 4, 0, 0, 0, 0}, 8, TT_DROP_COUNT},
    {"dst opts len 1",
     NH_DST,
     {NH_ICMP6, 1, 0x1e, 8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0},
     16,
     TT_DROP_COUNT},
    {"dst opts len 255 past the packet", NH_DST, {NH_ICMP6, 255, 1, 4}, 8, TT_DROP_IP6_EXT_HDR},
    {"dst opts len 2, 3 bytes past the packet",
     NH_DST,
     {NH_ICMP6, 2, 1, 4},
     8,
     TT_DROP_IP6_EXT_HDR},
    {"padn not zero", NH_DST, {NH_ICMP6, 0, 1, 4, 0, 0, 1, 0}, 8, TT_DROP_IP6_EXT_OPTION},
    {"hop-by-hop after dst opts",
     NH_DST,
     {NH_HBH, 0, 1, 4, 0, 0, 0, 0, NH_ICMP6, 0, 1, 4},
     16,
     TT_DROP_IP6_EXT_HDR},
    {"option past its header", NH_DST, {NH_ICMP6, 0, 1, 5, 0, 0, 0, 0}, 8, TT_DROP_IP6_EXT_OPTION},
    {"option length byte missing",
     NH_DST,
     {NH_ICMP6, 0, 1, 3, 0, 0, 0, 0x1e},
     8,
     TT_DROP_IP6_EXT_OPTION},
    {"unknown option, skip", NH_DST, {NH_ICMP6, 0, 0x1e, 4, 0, 0, 0, 0}, 8, TT_DROP_COUNT},
    {"unknown option, discard",
     NH_DST,
     {NH_ICMP6, 0, 0x5e, 4, 0, 0, 0, 0},
     8,
     TT_DROP_IP6_EXT_OPTION},
    {"unknown option, discard + ICMP",
     NH_HBH,
     {NH_ICMP6, 0, 0x9e, 4, 0, 0, 0, 0},
     8,
     TT_DROP_IP6_EXT_OPTION},
    {"unknown option, discard + ICMP unless multicast",
     NH_DST,
     {NH_ICMP6, 0, 0xde, 4, 0, 0, 0, 0},
     8,
     TT_DROP_IP6_EXT_OPTION},
    {"jumbo payload option", NH_HBH, {NH_ICMP6, 0, 0xc2, 4, 0, 0, 0, 0}, 8, TT_DROP_IP6_EXT_OPTION},
    {"padding 7",
     NH_DST,
     {NH_ICMP6, 1, 0x1e, 5, 0, 0, 0, 0, 0, 1, 5, 0, 0, 0, 0, 0},
     16,
     TT_DROP_COUNT},
    {"padding 8",
     NH_DST,
     {NH_ICMP6, 1, 0x1e, 4, 0, 0, 0, 0, 1, 6, 0, 0, 0, 0, 0, 0},
     16,
     TT_DROP_IP6_EXT_OPTION},
    {"padding 8 of Pad1",
     NH_DST,
     {NH_ICMP6, 1, 0x1e, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     16,
     TT_DROP_IP6_EXT_OPTION},
    {"8 options",
     NH_DST,
     {NH_ICMP6, 2, 0x1e, 0, 0x1e, 0, 0x1e, 0, 0x1e, 0, 0x1e, 0, 0x1e, 0, 0x1e, 0, 0x1e, 0, 1, 4},
     24,
     TT_DROP_COUNT},
    {"9 options",
     NH_DST,
     {NH_ICMP6, 2,    0x1e, 0,	  0x1e, 0,    0x1e, 0,	  0x1e, 0, 0x1e,
      0,	0x1e, 0,    0x1e, 0,	0x1e, 0,    0x1e, 0,	1, 2},
     24,
     TT_DROP_IP6_EXT_OPTION},
    {"routing, no segments left", NH_ROUTING, {NH_ICMP6, 0, 4, 0, 0, 0, 0, 0}, 8, TT_DROP_COUNT},
    {"routing, 1 segment left",
     NH_ROUTING,
     {NH_ICMP6, 0, 4, 1, 0, 0, 0, 0},
     8,
     TT_DROP_IP6_ROUTING},
    {"routing len 255", NH_ROUTING, {NH_ICMP6, 255, 4, 0}, 8, TT_DROP_IP6_EXT_HDR},
    {"fragment", NH_FRAG, {NH_ICMP6, 0, 0, 1, 0, 0, 0, 1}, 8, TT_DROP_IP6_FRAGMENT},
    {"atomic fragment", NH_FRAG, {NH_ICMP6, 0, 0, 0, 0, 0, 0, 1}, 8, TT_DROP_IP6_FRAGMENT},
    {"no next header", NH_NONE, {0}, 0, TT_DROP_IP6_NO_NEXT},
    {"dst opts then no next header", NH_DST, {NH_NONE, 0, 1, 4}, 8, TT_DROP_IP6_NO_NEXT},
    {"udp", NH_UDP, {0}, 0, TT_DROP_IP6_PROTO},
    {"esp", 50, {0}, 0, TT_DROP_IP6_PROTO},
    {"icmp (v4) over ipv6", 1, {0}, 0, TT_DROP_IP6_PROTO},
};

static void test_ext_cases(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(ext_cases); i++) {
		const struct ext_case *c = &ext_cases[i];
		struct frame6 d = echo_frame();
		uint32_t len;
		enum tt_pkt_kind k;

		print_message("  %s\n", c->name);
		d.nh = c->nh;
		d.ext = c->ext;
		d.ext_len = c->ext_len;
		len = build6(f, &d);
		k = parse(f, len, &pkt, &why);
		if (c->want == TT_DROP_COUNT) {
			assert_int_equal(k, TT_PKT_ICMP6_ECHO);
			assert_int_equal(pkt.l4_off, OFF_L4 + c->ext_len);
		} else {
			assert_int_equal(k, TT_PKT_DROP);
			assert_int_equal(why, c->want);
		}
	}
}

/* Header-level defects of an otherwise good echo request. */
struct hdr_case {
	const char *name;
	uint32_t off;
	const void *val;
	uint32_t size;
	int32_t len_delta; /* frame length change */
	bool recksum;	   /* recompute the ICMPv6 checksum after the patch */
	enum tt_drop want;
};

static const uint8_t b_ver4 = 0x40, b_zero2[2] = {0, 0}, b_plen_big[2] = {0, 14};
static const uint8_t b_ff = 0xff, b_one = 1, b_129 = 129, b_type1 = 1, b_code1 = 1;
static const uint8_t b_mapped[16] = {[10] = 0xff, [11] = 0xff, [12] = 198, [13] = 18, [15] = 1};
static const uint8_t b_loop[16] = {[15] = 1};

static const struct hdr_case hdr_cases[] = {
    {"frame cut to 53", 0, NULL, 0, -(int32_t)sizeof(echo_req) - 1, false, TT_DROP_IP6_SHORT},
    {"frame cut to 15", 0, NULL, 0, -(int32_t)sizeof(echo_req) - 39, false, TT_DROP_IP6_SHORT},
    {"version 4", OFF_IP, &b_ver4, 1, 0, false, TT_DROP_IP6_VERSION},
    {"payload length 0 (jumbogram)", OFF_IP_PLEN, b_zero2, 2, 0, false, TT_DROP_IP6_PAYLOAD_LEN},
    {"payload length past the frame", OFF_IP_PLEN, b_plen_big, 2, 0, false,
     TT_DROP_IP6_PAYLOAD_LEN},
    {"frame cut by one", 0, NULL, 0, -1, false, TT_DROP_IP6_PAYLOAD_LEN},
    {"other address", OFF_IP_DST, &other6, 16, 0, true, TT_DROP_IP6_NOT_FOR_US},
    {"all-nodes", OFF_IP_DST, &all_nodes, 16, 0, true, TT_DROP_IP6_NOT_FOR_US},
    {"source multicast", OFF_IP_SRC, &all_nodes, 16, 0, true, TT_DROP_IP6_BAD_SRC},
    {"source loopback", OFF_IP_SRC, b_loop, 16, 0, true, TT_DROP_IP6_BAD_SRC},
    {"source ipv4-mapped", OFF_IP_SRC, b_mapped, 16, 0, true, TT_DROP_IP6_BAD_SRC},
    {"source ours (land)", OFF_IP_SRC, &our6b, 16, 0, true, TT_DROP_IP6_BAD_SRC},
    {"source unspecified", OFF_IP_SRC, &zero6, 16, 0, true, TT_DROP_IP6_BAD_SRC},
    {"icmp6 7 bytes", OFF_IP_PLEN, (const uint8_t[]){0, 7}, 2, 0, false, TT_DROP_ICMP6_SHORT},
    {"icmp6 checksum", OFF_L4 + 8, &b_ff, 1, 0, false, TT_DROP_ICMP6_CSUM},
    {"icmp6 checksum pseudo-header", OFF_IP_DST, &our6b, 16, 0, false, TT_DROP_ICMP6_CSUM},
    {"echo reply", OFF_L4, &b_129, 1, 0, true, TT_DROP_ICMP6_TYPE},
    {"destination unreachable", OFF_L4, &b_type1, 1, 0, true, TT_DROP_ICMP6_TYPE},
    {"echo code 1", OFF_L4 + 1, &b_code1, 1, 0, true, TT_DROP_ICMP6_TYPE},
    {"router solicitation", OFF_L4, (const uint8_t[]){133}, 1, 0, true, TT_DROP_ICMP6_TYPE},
    {"hop limit 1 is fine", OFF_IP_HLIM, &b_one, 1, 0, false, TT_DROP_COUNT},
};

static void test_hdr_cases(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(hdr_cases); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		struct frame6 d = echo_frame();
		uint32_t len = build6(f, &d);
		enum tt_pkt_kind k;

		print_message("  %s\n", c->name);
		if (c->size)
			memcpy(f + c->off, c->val, c->size);
		if (c->recksum) {
			put16(f + OFF_L4 + 2, 0);
			put16(f + OFF_L4 + 2,
			      (uint16_t)~ref_l4_sum(f, f + OFF_L4, sizeof(echo_req), NH_ICMP6));
		}
		len = (uint32_t)((int32_t)len + c->len_delta);
		k = parse_copy(f, len, &pkt, &why);
		if (c->want == TT_DROP_COUNT) {
			assert_int_equal(k, TT_PKT_ICMP6_ECHO);
			continue;
		}
		assert_int_equal(k, TT_PKT_DROP);
		assert_int_equal(why, c->want);
	}
}

/* An NS for target from src to dst, with a source link-layer option unless no_slla. */
static uint32_t build_ns(uint8_t *f, const struct tt_in6 *src, const struct tt_in6 *dst,
			 const struct tt_in6 *target, bool slla, uint8_t hlim)
{
	uint8_t m[32] = {TT_ND_TYPE_NS};
	struct frame6 d = {.src = *src,
			   .dst = *dst,
			   .hlim = hlim,
			   .nh = NH_ICMP6,
			   .proto = NH_ICMP6,
			   .l4 = m,
			   .l4_len = slla ? 32 : 24};

	memcpy(m + 8, target, 16);
	m[24] = TT_ND_OPT_SLLA;
	m[25] = 1;
	memcpy(m + 26, peer_mac, 6);
	return build6(f, &d);
}

/* The NA tt_nd_na_reply wrote, field by field. */
static void check_na(const uint8_t *r, const uint8_t *eth_dst, const struct tt_in6 *ip_dst,
		     const struct tt_in6 *target, uint8_t flags)
{
	const uint8_t *m = r + OFF_L4;

	assert_memory_equal(r, eth_dst, 6);
	assert_memory_equal(r + 6, our_mac, 6);
	assert_int_equal(get16(r + 12), 0x86dd);
	assert_int_equal(r[OFF_IP], 0x60);
	assert_int_equal(get16(r + OFF_IP_PLEN), 32);
	assert_int_equal(r[OFF_IP_NH], NH_ICMP6);
	assert_int_equal(r[OFF_IP_HLIM], 255);
	assert_memory_equal(r + OFF_IP_SRC, target, 16);
	assert_memory_equal(r + OFF_IP_DST, ip_dst, 16);
	assert_int_equal(m[0], TT_ND_TYPE_NA);
	assert_int_equal(m[1], 0);
	assert_int_equal(m[4], flags);
	assert_int_equal(m[5] | m[6] | m[7], 0);
	assert_memory_equal(m + 8, target, 16);
	assert_int_equal(m[24], TT_ND_OPT_TLLA);
	assert_int_equal(m[25], 1);
	assert_memory_equal(m + 26, our_mac, 6);
	assert_int_equal(ref_l4_sum(r, m, 32, NH_ICMP6), 0xffff);
}

static void test_ns_na(void **state)
{
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len;
	(void)state;

	/* Address resolution: to the solicited-node group, from its 33:33:ff MAC. */
	len = build_ns(f, &peer6, &our6b_sn, &our6b, true, 255);
	memcpy(f, (const uint8_t[]){0x33, 0x33, 0xff, 0xab, 0xcd, 0xef}, 6);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_ND_NS);
	assert_memory_equal(&pkt.nd_target, &our6b, 16);
	memset(f, 0xee, sizeof(f));
	assert_int_equal(tt_nd_na_reply(f, &pkt, &our_if), TT_ND_FRAME_LEN);
	check_na(f, peer_mac, &peer6, &our6b, TT_ND_NA_SOLICITED | TT_ND_NA_OVERRIDE);

	/* Unreachability detection: unicast, no option. */
	len = build_ns(f, &peer6, &our6, &our6, false, 255);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_ND_NS);
	tt_nd_na_reply(f, &pkt, &our_if);
	check_na(f, peer_mac, &peer6, &our6, TT_ND_NA_SOLICITED | TT_ND_NA_OVERRIDE);

	/* A peer's duplicate address detection for our address: to all-nodes, not solicited. */
	len = build_ns(f, &zero6, &our6_sn, &our6, false, 255);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_ND_NS);
	tt_nd_na_reply(f, &pkt, &our_if);
	check_na(f, all_nodes_mac, &all_nodes, &our6, TT_ND_NA_OVERRIDE);
}

/* tt_nd_ns_build's solicitation, parsed by a host that owns the target. */
static void test_ns_build(void **state)
{
	static const uint8_t sn_mac[6] = {0x33, 0x33, 0xff, 0, 0, 1};
	static const struct tt_in6 peer_sn = {
	    {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1}};
	struct tt_net_if peer_if = {.mac = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x02}}, .n_addr6 = 1};
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_mac mac;
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	memcpy(mac.b, our_mac, 6);
	peer_if.addr6[0] = peer6;
	assert_int_equal(tt_nd_ns_build(f, &mac, &our6, &peer6, NULL), TT_ND_FRAME_LEN);
	assert_memory_equal(f, sn_mac, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(f[OFF_IP_HLIM], 255);
	assert_memory_equal(f + OFF_IP_SRC, &our6, 16);
	assert_memory_equal(f + OFF_IP_DST, &peer_sn, 16);
	assert_int_equal(f[OFF_L4], TT_ND_TYPE_NS);
	assert_memory_equal(f + OFF_L4 + 8, &peer6, 16);
	assert_int_equal(f[OFF_L4 + 24], TT_ND_OPT_SLLA);
	assert_memory_equal(f + OFF_L4 + 26, our_mac, 6);
	assert_int_equal(ref_l4_sum(f, f + OFF_L4, 32, NH_ICMP6), 0xffff);
	memset(&pkt, 0xa5, sizeof(pkt));
	assert_int_equal(tt_net_parse(f, TT_ND_FRAME_LEN, &peer_if, &pkt, &why), TT_PKT_ND_NS);
	assert_memory_equal(&pkt.nd_target, &peer6, 16);
	assert_memory_equal(pkt.src_mac.b, our_mac, 6);
	assert_true(pkt.nd_has_lla);
	assert_memory_equal(pkt.nd_lla.b, our_mac, 6);

	/* The unicast refresh: to the peer's address and MAC, the same message. */
	assert_int_equal(tt_nd_ns_build(f, &mac, &our6, &peer6, &peer_if.mac), TT_ND_FRAME_LEN);
	assert_memory_equal(f, peer_if.mac.b, 6);
	assert_memory_equal(f + OFF_IP_DST, &peer6, 16);
	assert_int_equal(f[OFF_IP_HLIM], 255);
	assert_int_equal(ref_l4_sum(f, f + OFF_L4, 32, NH_ICMP6), 0xffff);
	assert_int_equal(tt_net_parse(f, TT_ND_FRAME_LEN, &peer_if, &pkt, &why), TT_PKT_ND_NS);
	assert_memory_equal(&pkt.nd_target, &peer6, 16);
}

/* ND defects: each an NS or NA patched, its checksum recomputed. */
struct nd_case {
	const char *name;
	uint8_t type;
	const struct tt_in6 *src, *dst, *target;
	uint8_t hlim;
	uint8_t flags;
	uint8_t opt[16]; /* options as sent */
	uint8_t opt_len;
	uint8_t code;
	uint8_t msg_len;   /* 0: 24 + opt_len */
	enum tt_drop want; /* TT_DROP_COUNT: accepted */
};

static const struct nd_case nd_cases[] = {
    {"ns hop limit 254", TT_ND_TYPE_NS, &peer6, &our6, &our6, 254, .want = TT_DROP_ND_HOP_LIMIT},
    {"ns hop limit 64", TT_ND_TYPE_NS, &peer6, &our6, &our6, 64, .want = TT_DROP_ND_HOP_LIMIT},
    {"ns code 1", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255, .code = 1,
     .want = TT_DROP_ND_MALFORMED},
    {"ns 20 bytes", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255, .msg_len = 20,
     .want = TT_DROP_ND_MALFORMED},
    {"ns 8 bytes", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255, .msg_len = 8,
     .want = TT_DROP_ND_MALFORMED},
    {"ns target multicast", TT_ND_TYPE_NS, &peer6, &our6, &all_nodes, 255,
     .want = TT_DROP_ND_MALFORMED},
    {"ns option length 0", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255,
     .opt = {1, 0, 0, 0, 0, 0, 0, 0}, .opt_len = 8, .want = TT_DROP_ND_MALFORMED},
    {"ns option length 2 past the message", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255,
     .opt = {1, 2, 0, 0, 0, 0, 0, 0}, .opt_len = 8, .want = TT_DROP_ND_MALFORMED},
    {"ns option length 255", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255,
     .opt = {14, 255, 0, 0, 0, 0, 0, 0}, .opt_len = 8, .want = TT_DROP_ND_MALFORMED},
    {"ns option 1 byte", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255, .opt = {1}, .opt_len = 1,
     .want = TT_DROP_ND_MALFORMED},
    {"ns two options", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255,
     .opt = {14, 1, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0x5e, 0x10, 0, 2}, .opt_len = 16,
     .want = TT_DROP_COUNT},
    {"ns target not ours", TT_ND_TYPE_NS, &peer6, &our6_sn, &other6, 255,
     .want = TT_DROP_ND_NOT_FOR_US},
    {"ns to all-nodes", TT_ND_TYPE_NS, &peer6, &all_nodes, &our6, 255,
     .want = TT_DROP_ND_MALFORMED},
    {"ns source link-layer of 16 bytes", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255,
     .opt = {1, 2, 2, 0, 0x5e, 0x10, 0, 2}, .opt_len = 16, .want = TT_DROP_ND_MALFORMED},
    {"ns target link-layer of 16 bytes (not its type: skipped)", TT_ND_TYPE_NS, &peer6, &our6,
     &our6, 255, .opt = {2, 2, 2, 0, 0x5e, 0x10, 0, 2}, .opt_len = 16, .want = TT_DROP_COUNT},
    {"na target link-layer of 16 bytes", TT_ND_TYPE_NA, &peer6, &our6, &peer6, 255, .flags = 0x60,
     .opt = {2, 2, 2, 0, 0x5e, 0x10, 0, 2}, .opt_len = 16, .want = TT_DROP_ND_MALFORMED},
    {"na option length 0", TT_ND_TYPE_NA, &peer6, &our6, &peer6, 255, .flags = 0x60,
     .opt = {2, 0, 2, 0, 0x5e, 0x10, 0, 2}, .opt_len = 8, .want = TT_DROP_ND_MALFORMED},
    {"na option past the message", TT_ND_TYPE_NA, &peer6, &our6, &peer6, 255, .flags = 0x60,
     .opt = {2, 1, 2, 0, 0x5e, 0x10}, .opt_len = 6, .want = TT_DROP_ND_MALFORMED},
    {"na unsolicited to all-nodes", TT_ND_TYPE_NA, &peer6, &all_nodes, &peer6, 255, .flags = 0x20,
     .want = TT_DROP_COUNT},
    {"na solicited to all-nodes", TT_ND_TYPE_NA, &peer6, &all_nodes, &peer6, 255, .flags = 0x60,
     .want = TT_DROP_ND_MALFORMED},
    {"dad ns to unicast", TT_ND_TYPE_NS, &zero6, &our6, &our6, 255, .want = TT_DROP_ND_MALFORMED},
    {"dad ns with source link-layer", TT_ND_TYPE_NS, &zero6, &our6_sn, &our6, 255,
     .opt = {1, 1, 2, 0, 0x5e, 0x10, 0, 2}, .opt_len = 8, .want = TT_DROP_ND_MALFORMED},
    {"na", TT_ND_TYPE_NA, &peer6, &our6, &peer6, 255, .flags = 0x60, .want = TT_DROP_COUNT},
    /* A link-layer address no host has: never learned. */
    {"ns source link-layer a group", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255,
     .opt = {1, 1, 0x33, 0x33, 0, 0, 0, 1}, .opt_len = 8, .want = TT_DROP_ND_MALFORMED},
    {"ns source link-layer zero", TT_ND_TYPE_NS, &peer6, &our6, &our6, 255,
     .opt = {1, 1, 0, 0, 0, 0, 0, 0}, .opt_len = 8, .want = TT_DROP_ND_MALFORMED},
    {"na target link-layer broadcast", TT_ND_TYPE_NA, &peer6, &our6, &peer6, 255, .flags = 0x60,
     .opt = {2, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, .opt_len = 8, .want = TT_DROP_ND_MALFORMED},
    {"na target link-layer one bit from a group", TT_ND_TYPE_NA, &peer6, &our6, &peer6, 255,
     .flags = 0x60, .opt = {2, 1, 0x02, 0, 0x5e, 0x10, 0, 9}, .opt_len = 8, .want = TT_DROP_COUNT},
    {"na hop limit 1", TT_ND_TYPE_NA, &peer6, &our6, &peer6, 1, .want = TT_DROP_ND_HOP_LIMIT},
    {"na solicited to a group", TT_ND_TYPE_NA, &peer6, &our6_sn, &peer6, 255, .flags = 0x40,
     .want = TT_DROP_ND_MALFORMED},
    /* Unsolicited: to all-nodes only, and never from the unspecified address. */
    {"na unsolicited to a solicited-node group", TT_ND_TYPE_NA, &peer6, &our6_sn, &peer6, 255,
     .flags = 0x20, .want = TT_DROP_ND_MALFORMED},
    {"na from the unspecified address", TT_ND_TYPE_NA, &zero6, &all_nodes, &peer6, 255,
     .flags = 0x20, .want = TT_DROP_ND_MALFORMED},
    {"na from the unspecified address to us", TT_ND_TYPE_NA, &zero6, &our6, &peer6, 255,
     .flags = 0x20, .want = TT_DROP_ND_MALFORMED},
    {"na target multicast", TT_ND_TYPE_NA, &peer6, &our6, &all_nodes, 255,
     .want = TT_DROP_ND_MALFORMED},
};

static void test_nd_cases(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(nd_cases); i++) {
		const struct nd_case *c = &nd_cases[i];
		uint8_t m[48] = {c->type, c->code, 0, 0, c->flags};
		struct frame6 d = {.src = *c->src,
				   .dst = *c->dst,
				   .hlim = c->hlim,
				   .nh = NH_ICMP6,
				   .proto = NH_ICMP6,
				   .l4 = m};
		uint32_t len;
		enum tt_pkt_kind k;

		print_message("  %s\n", c->name);
		memcpy(m + 8, c->target, 16);
		memcpy(m + 24, c->opt, c->opt_len);
		d.l4_len = c->msg_len ? c->msg_len : 24u + c->opt_len;
		len = build6(f, &d);
		k = parse_copy(f, len, &pkt, &why);
		if (c->want != TT_DROP_COUNT) {
			assert_int_equal(k, TT_PKT_DROP);
			assert_int_equal(why, c->want);
		} else {
			assert_int_equal(k, c->type == TT_ND_TYPE_NS ? TT_PKT_ND_NS : TT_PKT_ND_NA);
			assert_memory_equal(&pkt.nd_target, c->target, 16);
		}
	}
}

/* The NA message m (mlen bytes) from peer6 to our6, as it travels (hop limit 255). */
static struct frame6 na_frame(const uint8_t *m, uint32_t mlen)
{
	return (struct frame6){.src = peer6,
			       .dst = our6,
			       .hlim = 255,
			       .nh = NH_ICMP6,
			       .proto = NH_ICMP6,
			       .l4 = m,
			       .l4_len = mlen};
}

/* The link-layer address option and the flags reach struct tt_pkt: at 0, 1 and the last
 * of several options; an option of the other type is not taken for it. */
static void test_nd_lla(void **state)
{
	static const uint8_t mac1[6] = {2, 0, 0x5e, 0x10, 0, 1}, mac2[6] = {2, 0, 0x5e, 0x10, 0, 2};
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (unsigned n_opts = 0; n_opts <= 3; n_opts++) {
		uint8_t m[24 + 3 * 8] = {TT_ND_TYPE_NA, 0, 0, 0, TT_ND_NA_SOLICITED | 0x1f};
		struct frame6 d = na_frame(m, 24 + 8 * n_opts);

		print_message("  %u options\n", n_opts);
		memcpy(m + 8, &peer6, 16);
		for (unsigned i = 0; i < n_opts; i++) {
			/* TLLA mac1, a source option (ignored in an NA), TLLA mac2 */
			m[24 + 8 * i] = i == 1 ? TT_ND_OPT_SLLA : TT_ND_OPT_TLLA;
			m[25 + 8 * i] = 1;
			memcpy(m + 26 + 8 * i, i == 2 ? mac2 : mac1, 6);
		}
		memset(&pkt, 0xa5, sizeof(pkt));
		assert_int_equal(parse_copy(f, build6(f, &d), &pkt, &why), TT_PKT_ND_NA);
		assert_int_equal(pkt.nd_flags, TT_ND_NA_SOLICITED); /* reserved bits cleared */
		assert_int_equal(pkt.nd_has_lla, n_opts > 0);
		if (n_opts > 0)
			assert_memory_equal(pkt.nd_lla.b, n_opts == 3 ? mac2 : mac1, 6);
	}
	/* An NS: its source option, no flags. */
	memset(&pkt, 0xa5, sizeof(pkt));
	assert_int_equal(parse_copy(f, build_ns(f, &peer6, &our6, &our6, true, 255), &pkt, &why),
			 TT_PKT_ND_NS);
	assert_true(pkt.nd_has_lla);
	assert_int_equal(pkt.nd_flags, 0);
	assert_memory_equal(pkt.nd_lla.b, peer_mac, 6);
	assert_int_equal(parse_copy(f, build_ns(f, &peer6, &our6, &our6, false, 255), &pkt, &why),
			 TT_PKT_ND_NS);
	assert_false(pkt.nd_has_lla);
}

/* 8-byte options after the NA's fixed part that fill the largest frame the parser is handed
 * (an mbuf segment's data_len is 16 bits): 8182 of them, a 65534-byte frame. */
#define ND_OPTS_MAX ((UINT16_MAX - OFF_L4 - TT_ND_MSG_LEN) / 8)

/* An NA's options: n_before of 8 bytes (an unknown type and TLLA mac1 by turns), then one more
 * of last_type and length byte last_len of which last_bytes are in the message (0: none). */
struct nd_opts_case {
	const char *name;
	uint32_t n_before;
	uint8_t last_type, last_len;
	uint32_t last_bytes;
	enum tt_drop want;	 /* TT_DROP_COUNT: accepted */
	const uint8_t *want_lla; /* accepted: the address handed on, NULL for none */
};

static const uint8_t opt_mac1[6] = {2, 0, 0x5e, 0x10, 0, 1}, opt_mac2[6] = {2, 0, 0x5e, 0x10, 0, 2};
enum { OPT_UNKNOWN = 14 };

static const struct nd_opts_case nd_opts_cases[] = {
    {"no option", 0, 0, 0, 0, TT_DROP_COUNT, NULL},
    {"one option", 0, TT_ND_OPT_TLLA, 1, 8, TT_DROP_COUNT, opt_mac2},
    {"as many as the largest frame holds", ND_OPTS_MAX - 1, TT_ND_OPT_TLLA, 1, 8, TT_DROP_COUNT,
     opt_mac2},
    {"the largest frame's options, the last of length 0", ND_OPTS_MAX - 1, OPT_UNKNOWN, 0, 8,
     TT_DROP_ND_MALFORMED, NULL},
    {"the largest frame's options, the last 8 bytes past the end", ND_OPTS_MAX - 1, OPT_UNKNOWN, 2,
     8, TT_DROP_ND_MALFORMED, NULL},
    {"the largest frame's options, the last's length byte missing", ND_OPTS_MAX - 1, OPT_UNKNOWN, 1,
     1, TT_DROP_ND_MALFORMED, NULL},
    {"the largest length (255 x 8 bytes), whole", 2, OPT_UNKNOWN, 255, 2040, TT_DROP_COUNT,
     opt_mac1},
    {"the largest length, one byte short", 2, OPT_UNKNOWN, 255, 2039, TT_DROP_ND_MALFORMED, NULL},
    {"length 0 first", 0, OPT_UNKNOWN, 0, 8, TT_DROP_ND_MALFORMED, NULL},
};

/* The NA of case c, built on the heap, as tt_net_parse takes it (an exact-size copy). */
static enum tt_pkt_kind parse_na_opts(const struct nd_opts_case *c, struct tt_pkt *pkt,
				      enum tt_drop *why)
{
	uint32_t mlen = TT_ND_MSG_LEN + 8 * c->n_before + c->last_bytes;
	uint8_t *m = calloc(1, mlen), *f = malloc(OFF_L4 + mlen), *o = m + TT_ND_MSG_LEN;
	struct frame6 d = na_frame(m, mlen);
	enum tt_pkt_kind k;

	assert_non_null(m);
	assert_non_null(f);
	m[0] = TT_ND_TYPE_NA;
	m[4] = TT_ND_NA_SOLICITED;
	memcpy(m + 8, &peer6, 16);
	for (uint32_t i = 0; i < c->n_before; i++, o += 8) {
		o[0] = i % 2 ? TT_ND_OPT_TLLA : OPT_UNKNOWN;
		o[1] = 1;
		memcpy(o + 2, opt_mac1, 6);
	}
	if (c->last_bytes > 0)
		o[0] = c->last_type;
	if (c->last_bytes > 1)
		o[1] = c->last_len;
	if (c->last_bytes >= 8)
		memcpy(o + 2, opt_mac2, 6);
	k = parse_copy(f, build6(f, &d), pkt, why);
	free(f);
	free(m);
	return k;
}

/*
 * Every option length read from the wire is bounded by what is left of the message: none, one,
 * as many as the largest frame holds, the largest length whole and one byte short, a length of
 * 0 (refused, so the walk always moves on) and a last option past the end.
 */
static void test_nd_option_bounds(void **state)
{
	struct tt_pkt pkt;
	enum tt_drop why;
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(nd_opts_cases); i++) {
		const struct nd_opts_case *c = &nd_opts_cases[i];
		enum tt_pkt_kind k;

		print_message("  %s\n", c->name);
		k = parse_na_opts(c, &pkt, &why);
		if (c->want != TT_DROP_COUNT) {
			assert_int_equal(k, TT_PKT_DROP);
			assert_int_equal(why, c->want);
			continue;
		}
		assert_int_equal(k, TT_PKT_ND_NA);
		assert_int_equal(pkt.nd_has_lla, c->want_lla != NULL);
		if (c->want_lla)
			assert_memory_equal(pkt.nd_lla.b, c->want_lla, 6);
	}
}

/* IPv6 on a VLAN: a tagged frame is refused as it is, parsed once its tag is out (as the
 * worker takes it out), by the VLAN's interface; a tag before IPv4 is not taken for IPv6. */
static void test_vlan_strip6(void **state)
{
	_Alignas(8) uint8_t buf[FRAME_MAX + TT_VLAN_TAG_LEN];
	uint8_t *f = buf + TT_VLAN_TAG_LEN;
	struct tt_net_if vif = our_if;
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len = build_ns(f, &peer6, &our6, &our6, true, 255);
	(void)state;

	assert_false(tt_net_frame_tagged_ipv6(f, len));
	tt_net_vlan_insert(buf, 100); /* buf now holds the tagged frame */
	assert_true(tt_net_frame_tagged_ipv6(buf, len + TT_VLAN_TAG_LEN));
	assert_false(tt_net_frame_tagged_ipv6(buf, TT_ETH_HDR_LEN + TT_VLAN_TAG_LEN - 1));
	vif.vlan = 100;
	assert_int_equal(tt_net_parse(buf, len + TT_VLAN_TAG_LEN, &vif, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_TYPE);
	tt_net_vlan_strip(buf);
	vif.rx_vlan_stripped = true;
	vif.rx_vlan_id = 100;
	assert_int_equal(tt_net_parse(f, len, &vif, &pkt, &why), TT_PKT_ND_NS);
	assert_int_equal(pkt.l3_off, TT_ETH_HDR_LEN);
	/* Without the stripped tag's ID the frame is untagged: not the VLAN's. */
	vif.rx_vlan_stripped = false;
	assert_int_equal(tt_net_parse(f, len, &vif, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_VLAN_UNSERVED);
	buf[16] = 0x08;
	buf[17] = 0x00;
	assert_false(tt_net_frame_tagged_ipv6(buf, len + TT_VLAN_TAG_LEN));
}

/* pkt is IPv6 peer6:40000 -> our6:80 with sequence number seq. */
static void assert_flow6(const struct tt_pkt *pkt, uint32_t seq)
{
	assert_int_equal(pkt->family, TT_AF_INET6);
	assert_memory_equal(&pkt->saddr6, &peer6, 16);
	assert_memory_equal(&pkt->daddr6, &our6, 16);
	assert_int_equal(pkt->sport, 40000);
	assert_int_equal(pkt->dport, 80);
	assert_int_equal(pkt->seg.seq, seq);
}

/* TCP over IPv6 parses into the same segment, with the v6 pseudo-header in its checksum. */
static void test_tcp6(void **state)
{
	static const uint8_t syn[] = {0x9c, 0x40, 0, 80,   0,	       0,    0x10, 0, 0,
				      0,    0,	  0, 0x60, TT_TCP_SYN, 0xff, 0xff, 0, 0,
				      0,    0,	  2, 4,	   0x05,       0x8c, /* MSS 1420 */
				      'h',  'i'};
	static const uint8_t ext[] = {NH_TCP, 0, 1, 4, 0, 0, 0, 0};
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct frame6 d = {.src = peer6,
			   .dst = our6,
			   .nh = NH_TCP,
			   .proto = NH_TCP,
			   .l4 = syn,
			   .l4_len = sizeof(syn)};
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len = build6(f, &d);
	(void)state;

	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_TCP);
	assert_flow6(&pkt, 0x1000);
	assert_int_equal(pkt.seg.flags, TT_TCP_SYN);
	assert_int_equal(pkt.seg.opts.present, TT_OPT_MSS);
	assert_int_equal(pkt.seg.opts.mss, 1420);
	assert_int_equal(pkt.seg.len, 2);
	assert_ptr_equal(pkt.seg.payload, f + OFF_L4 + 24);

	/* To our address at a group MAC (a multicast one, the broadcast): dropped (RFC 1122
	 * 3.3.6). */
	memcpy(f, (const uint8_t[]){0x33, 0x33, 0xff, 0, 0, 2}, 6);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_GROUP_DST);
	memset(f, 0xff, 6);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_ETH_GROUP_DST);

	/* Behind a destination options header: the pseudo-header length is TCP's alone. */
	d.nh = NH_DST;
	d.ext = ext;
	d.ext_len = sizeof(ext);
	len = build6(f, &d);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_TCP);
	assert_int_equal(pkt.l4_off, OFF_L4 + 8);
	assert_int_equal(pkt.l4_len, sizeof(syn));

	/* A checksum over the wrong pseudo-header (another of our addresses) fails... */
	d.ext_len = 0;
	d.nh = NH_TCP;
	len = build6(f, &d);
	memcpy(f + OFF_IP_DST, &our6b, 16);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_TCP_CSUM);
	/* ...unless the port vouches for it. */
	{
		struct tt_net_if ifc = our_if;

		ifc.rx_cksum = TT_RX_L4_CKSUM_GOOD;
		assert_int_equal(tt_net_parse(f, len, &ifc, &pkt, &why), TT_PKT_TCP);
	}
	/* From the unspecified address, or to a group of ours: never TCP. */
	d.src = zero6;
	len = build6(f, &d);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_IP6_BAD_SRC);
	d.src = peer6;
	d.dst = our6_sn;
	len = build6(f, &d);
	assert_int_equal(parse(f, len, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_IP6_NOT_FOR_US);
}

/*
 * Random extension header chains (random next headers, lengths, option bytes) in front of an
 * echo request or a SYN, cut at random: whatever is accepted lies inside the frame.
 */
static void test_random_chains(void **state)
{
	_Alignas(8) uint8_t f[FRAME_MAX];
	uint64_t rng = 0x9e3779b97f4a7c15u;
	uint32_t accepted = 0, dropped = 0;
	(void)state;

	for (unsigned round = 0; round < 100000; round++) {
		static const uint8_t nhs[] = {NH_HBH,  NH_DST,	 NH_ROUTING,
					      NH_FRAG, NH_ICMP6, NH_TCP};
		uint8_t ext[256];
		struct frame6 d = echo_frame();
		uint32_t n = (uint32_t)(rnd(&rng) % 5), off = 0, len;
		struct tt_pkt pkt;
		enum tt_drop why;
		enum tt_pkt_kind k;

		d.nh = nhs[rnd(&rng) % ARRAY_LEN(nhs)];
		for (uint32_t i = 0; i < n && off + 16 <= sizeof(ext); i++) {
			uint32_t hl = (uint32_t)(rnd(&rng) % 2);

			for (uint32_t b = 0; b < 8 * (hl + 1); b++)
				ext[off + b] = (uint8_t)(rnd(&rng) % 4 ? rnd(&rng) % 3 : rnd(&rng));
			ext[off] = nhs[rnd(&rng) % ARRAY_LEN(nhs)];
			ext[off + 1] = rnd(&rng) % 8 ? (uint8_t)hl : (uint8_t)rnd(&rng);
			off += 8 * (hl + 1);
		}
		d.ext = ext;
		d.ext_len = off;
		len = build6(f, &d);
		if (rnd(&rng) % 4 == 0)
			len = (uint32_t)(rnd(&rng) % (len + 1));
		k = parse_copy(f, len, &pkt, &why);
		if (k == TT_PKT_DROP) {
			assert_true(why < TT_DROP_COUNT);
			dropped++;
		} else {
			assert_true(pkt.l4_off >= OFF_L4);
			assert_true((uint32_t)pkt.l4_off + pkt.l4_len <= len);
			accepted++;
		}
	}
	print_message("  accepted %u dropped %u\n", accepted, dropped);
	assert_true(accepted > 1000 && dropped > 1000);
}

/* A Packet Too Big from a router (src) to dst, MTU mtu, quoting the first n bytes of a
 * segment of ours from qsrc, our6:80 -> peer6:40000 at sequence seq (next header nh). */
static uint32_t build_too_big(uint8_t *f, const struct tt_in6 *src, const struct tt_in6 *dst,
			      uint32_t mtu, const struct tt_in6 *qsrc, uint8_t nh, uint32_t seq,
			      uint32_t n)
{
	uint8_t m[8 + 48] = {
	    2,		 0, 0, 0, (uint8_t)(mtu >> 24), (uint8_t)(mtu >> 16), (uint8_t)(mtu >> 8),
	    (uint8_t)mtu};
	uint8_t *q = m + 8;
	struct frame6 d = {
	    .src = *src, .dst = *dst, .nh = NH_ICMP6, .proto = NH_ICMP6, .l4 = m, .l4_len = 8 + n};

	q[0] = 0x60;
	put16(q + 4, 1440);
	q[6] = nh;
	q[7] = 64;
	memcpy(q + 8, qsrc, 16);
	memcpy(q + 24, &peer6, 16);
	put16(q + 40, 80);
	put16(q + 42, 40000);
	put16(q + 44, (uint16_t)(seq >> 16));
	put16(q + 46, (uint16_t)seq);
	return build6(f, &d);
}

/*
 * Packet Too Big quoting a segment of ours is read as the segment's flow turned around, its
 * sequence number and the MTU (32 bits); a quote too short (47 bytes), of another next header,
 * from an address not ours, an MTU of 0, or the error sent to no address of ours is refused.
 */
struct too_big_case {
	struct tt_in6 dst, qsrc;
	uint32_t mtu;
	uint8_t nh;
	uint32_t n;
	enum tt_drop why;
};

static void test_packet_too_big(void **state)
{
	static const struct tt_in6 all_nodes = {{0xff, 0x02, [15] = 1}};
	static const struct tt_in6 our_group = {{0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 2}};
	const struct too_big_case refused[] = {
	    {our6, our6, 1280, NH_TCP, 47, TT_DROP_ICMP_TOO_BIG_QUOTE},
	    {our6, our6, 1280, 17, 48, TT_DROP_ICMP_TOO_BIG_QUOTE},
	    {our6, other6, 1280, NH_TCP, 48, TT_DROP_ICMP_TOO_BIG_QUOTE},
	    {our6, our6, 0, NH_TCP, 48, TT_DROP_ICMP_TOO_BIG_QUOTE},
	    {all_nodes, our6, 1280, NH_TCP, 48, TT_DROP_IP6_NOT_FOR_US},
	    {our_group, our6, 1280, NH_TCP, 48, TT_DROP_IP6_NOT_FOR_US}, /* solicited-node */
	};
	_Alignas(8) uint8_t f[FRAME_MAX];
	struct tt_pkt pkt;
	enum tt_drop why;
	uint32_t len;

	(void)state;
	len = build_too_big(f, &other6, &our6, 70000, &our6, NH_TCP, 0x89abcdefu, 48);
	assert_int_equal(parse_copy(f, len, &pkt, &why), TT_PKT_TOO_BIG);
	assert_flow6(&pkt, 0x89abcdefu);
	assert_int_equal(pkt.too_big_mtu, 70000);

	for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++) {
		const struct too_big_case *c = &refused[k];

		len = build_too_big(f, &other6, &c->dst, c->mtu, &c->qsrc, c->nh, 1, c->n);
		assert_int_equal(parse_copy(f, len, &pkt, &why), TT_PKT_DROP);
		assert_int_equal(why, c->why);
	}
	/* From the unspecified address, which only duplicate address detection sends from. */
	len = build_too_big(f, &zero6, &our6, 1280, &our6, NH_TCP, 1, 48);
	assert_int_equal(parse_copy(f, len, &pkt, &why), TT_PKT_DROP);
	assert_int_equal(why, TT_DROP_IP6_BAD_SRC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_packet_too_big),
	    cmocka_unit_test(test_echo),
	    cmocka_unit_test(test_echo_ext_headers),
	    cmocka_unit_test(test_ext_chain_cap),
	    cmocka_unit_test(test_ext_cases),
	    cmocka_unit_test(test_hdr_cases),
	    cmocka_unit_test(test_ns_na),
	    cmocka_unit_test(test_ns_build),
	    cmocka_unit_test(test_nd_cases),
	    cmocka_unit_test(test_nd_lla),
	    cmocka_unit_test(test_nd_option_bounds),
	    cmocka_unit_test(test_vlan_strip6),
	    cmocka_unit_test(test_tcp6),
	    cmocka_unit_test(test_random_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
