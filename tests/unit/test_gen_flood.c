/*
 * The synflood's ends (bench/gen/gen_flood.h): the SYN written from its
 * template against the same SYN built in full (tt_net_tcp_build +
 * tt_net_tcp_cksum), byte for byte, in every offload mode, for random
 * draws whose fields sit at 0, 1, their maximum and the port's wrap; and
 * the RX peek on frames built by the general builder to addresses at the
 * flood network's bounds and just outside them, on frames cut short, and
 * on frames that are not IPv4.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "gen_flood.h"

#define SERVER	    0xc6120002u
#define SERVER_PORT 80

static const unsigned offloads[] = {0, TT_TX_IP_CKSUM, TT_TX_TCP_CKSUM,
				    TT_TX_IP_CKSUM | TT_TX_TCP_CKSUM};
static const struct tt_mac gen_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct tt_mac server_mac = {{0x02, 0, 0, 0, 0, 0x02}};

/* A draw and the SYN fields it must give. */
static const struct {
	uint64_t x;
	uint32_t saddr;
	uint16_t sport;
	uint32_t seq;
} draws[] = {
    {0, 0xc6130000u, 1024, 0},
    {1, 0xc6130001u, 1024, 0},
    {0xffff, 0xc613ffffu, 1024, 0},
    {0x10000, 0xc6130000u, 1025, 0},
    {63999ull << 16, 0xc6130000u, 65023, 0},
    {64000ull << 16, 0xc6130000u, 1024, 0},
    {0xffffull << 16, 0xc6130000u, 1024 + 1535, 0},
    {1ull << 32, 0xc6130000u, 1024, 1},
    {0x123456789abcdef0ull, 0xc613def0u, 1024 + 0x9abc % 64000, 0x12345678},
    {UINT64_MAX, 0xc613ffffu, 1024 + 1535, 0xffffffffu},
};

static void test_syn_as_built(void **state)
{
	(void)state;
	for (size_t o = 0; o < sizeof(offloads) / sizeof(offloads[0]); o++) {
		struct gen_tmpl t;

		gen_flood_syn_init(&t, &gen_mac, &server_mac, SERVER, SERVER_PORT, offloads[o]);
		for (size_t i = 0; i < sizeof(draws) / sizeof(draws[0]); i++) {
			struct tt_tcp_hdr_args a = {.src_mac = gen_mac,
						    .dst_mac = server_mac,
						    .saddr = draws[i].saddr,
						    .daddr = SERVER,
						    .sport = draws[i].sport,
						    .dport = SERVER_PORT,
						    .seq = draws[i].seq,
						    .wnd = 65535,
						    .flags = TT_TCP_SYN,
						    .opts = {.present = TT_OPT_MSS, .mss = 1460}};
			uint8_t want[GEN_TMPL_ROOM] = {0}, got[GEN_TMPL_ROOM] = {0};
			uint32_t len = tt_net_tcp_build(want, &a, 0);

			tt_net_tcp_cksum(want, offloads[o]);
			assert_int_equal(gen_flood_syn_write(&t, got, draws[i].x), len);
			assert_memory_equal(got, want, len);
			/* The SYN goes to the appliance, not to the flood's sources. */
			assert_false(gen_flood_peek(got, len));
		}
	}
}

/* The appliance's SYN-ACK to daddr, as the general builder writes it; its length. */
static uint32_t synack_to(uint8_t *frame, uint32_t daddr)
{
	struct tt_tcp_hdr_args a = {.src_mac = server_mac,
				    .dst_mac = gen_mac,
				    .saddr = SERVER,
				    .daddr = daddr,
				    .sport = SERVER_PORT,
				    .dport = 40000,
				    .seq = 7,
				    .ack = 8,
				    .wnd = 65535,
				    .flags = TT_TCP_SYN | TT_TCP_ACK,
				    .opts = {.present = TT_OPT_MSS, .mss = 1460}};
	uint32_t len = tt_net_tcp_build(frame, &a, 0);

	tt_net_tcp_cksum(frame, 0);
	return len;
}

static void test_peek_addresses(void **state)
{
	static const struct {
		uint32_t daddr;
		bool flood;
	} cases[] = {
	    {0, false},		  {1, false},		{0xc6130000u, true},  {0xc6130001u, true},
	    {0xc613ffffu, true},  {0xc612ffffu, false}, {0xc6140000u, false}, {0xc6120101u, false},
	    {0x46130000u, false}, {0xc6930000u, false}, {0xffffffffu, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t f[GEN_TMPL_ROOM] = {0};
		uint32_t len = synack_to(f, cases[i].daddr);

		assert_int_equal(gen_flood_peek(f, len), cases[i].flood);
	}
}

/* The destination's last byte ends at 34: a frame one byte shorter is not read that far. */
static void test_peek_short(void **state)
{
	uint8_t f[GEN_TMPL_ROOM] = {0};
	const uint32_t daddr_end = TT_ETH_HDR_LEN + 20;

	(void)state;
	synack_to(f, 0xc6130005u);
	assert_false(gen_flood_peek(f, 0));
	assert_false(gen_flood_peek(f, 1));
	assert_false(gen_flood_peek(f, TT_ETH_HDR_LEN));
	assert_false(gen_flood_peek(f, daddr_end - 1));
	assert_true(gen_flood_peek(f, daddr_end));
}

static void test_peek_not_ipv4(void **state)
{
	uint8_t f[GEN_TMPL_ROOM] = {0};
	uint32_t len;

	(void)state;
	len = synack_to(f, 0xc6130005u);
	f[12] = 0x08, f[13] = 0x06; /* ARP */
	assert_false(gen_flood_peek(f, len));
	f[12] = 0x86, f[13] = 0xdd; /* IPv6 */
	assert_false(gen_flood_peek(f, len));
	f[12] = 0x81, f[13] = 0x00; /* 802.1Q tag: the stack's to parse */
	assert_false(gen_flood_peek(f, len));
	f[12] = 0x08, f[13] = 0x00;
	f[TT_ETH_HDR_LEN] = 0x65; /* IPv4's type with version 6 */
	assert_false(gen_flood_peek(f, len));
	f[TT_ETH_HDR_LEN] = 0x46; /* IPv4 with options: still to the flood's sources */
	assert_true(gen_flood_peek(f, len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_syn_as_built),
	    cmocka_unit_test(test_peek_addresses),
	    cmocka_unit_test(test_peek_short),
	    cmocka_unit_test(test_peek_not_ipv4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
