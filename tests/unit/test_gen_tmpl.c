/*
 * Frames written from a template (bench/gen/gen_tmpl.c) against the same
 * frame built in full (tt_net_tcp_build + payload + tt_net_tcp_cksum), byte
 * for byte, in every offload mode: the varying fields at 0, 1, their
 * maximum and across the wrap of each 16-bit word; a sweep of one word
 * through all 65,536 values, so that the checksum takes each of its values
 * (0x0000 and 0xffff among them); payloads of odd and even length up to the
 * template's room, and one byte more refused.  Each for both kinds of
 * template: the client's frames (its address and port at the source) and
 * a responder's replies (the client's at the destination).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "gen_tmpl.h"

static const unsigned offloads[] = {0, TT_TX_IP_CKSUM, TT_TX_TCP_CKSUM,
				    TT_TX_IP_CKSUM | TT_TX_TCP_CKSUM};
static const uint32_t values32[] = {0,		1,	    0xffff,	0x10000,   0x7fffffff,
				    0x80000000, 0xfffeffff, 0xffffffff, 0xc6120105};
static const uint16_t values16[] = {0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff};

static uint8_t payload[GEN_TMPL_ROOM];

/* The template kind under test: false, the client's frames; true, replies to the client. */
static bool to_client;

static bool tmpl_init(struct gen_tmpl *t, const struct tt_tcp_hdr_args *a, uint32_t len,
		      unsigned offload)
{
	return to_client ? gen_tmpl_init_reply(t, a, payload, len, offload)
			 : gen_tmpl_init(t, a, payload, len, offload);
}

static struct tt_tcp_hdr_args args(uint8_t flags, bool mss)
{
	struct tt_tcp_hdr_args a = {.src_mac = {{0x02, 0, 0, 0, 0, 0x01}},
				    .dst_mac = {{0x02, 0, 0, 0, 0, 0x02}},
				    .wnd = 65535,
				    .flags = flags};

	/* The server's end, which the template keeps. */
	*(to_client ? &a.saddr : &a.daddr) = 0xc6120002u;
	*(to_client ? &a.sport : &a.dport) = 80;

	if (mss)
		a.opts = (struct tt_tcp_opts){.present = TT_OPT_MSS, .mss = 1460};
	return a;
}

/* t's frame with these fields equals the frame built in full, and has its length. */
static void check_write(const struct gen_tmpl *t, struct tt_tcp_hdr_args a, uint32_t len,
			uint32_t caddr, uint16_t cport, uint32_t seq, uint32_t ack)
{
	uint8_t want[2048] = {0}, got[2048] = {0};
	uint32_t hl;

	*(to_client ? &a.daddr : &a.saddr) = caddr;
	*(to_client ? &a.dport : &a.sport) = cport;
	a.seq = seq;
	a.ack = ack;
	hl = tt_net_tcp_build(want, &a, len);
	memcpy(want + hl, payload, len);
	tt_net_tcp_cksum(want, t->offload);
	assert_int_equal(gen_tmpl_write(t, got, caddr, cport, seq, ack), hl + len);
	assert_memory_equal(got, want, hl + len);
}

static void check_all_values(struct tt_tcp_hdr_args a, uint32_t len)
{
	for (size_t o = 0; o < sizeof(offloads) / sizeof(offloads[0]); o++) {
		struct gen_tmpl t;

		assert_true(tmpl_init(&t, &a, len, offloads[o]));
		for (size_t i = 0; i < sizeof(values32) / sizeof(values32[0]); i++)
			for (size_t j = 0; j < sizeof(values16) / sizeof(values16[0]); j++) {
				uint32_t v = values32[i];

				check_write(&t, a, len, v, values16[j], v, ~v);
				check_write(&t, a, len, ~v, values16[j], v + 1, v);
			}
	}
}

static void test_headers_only(void **state)
{
	(void)state;
	check_all_values(args(TT_TCP_ACK, false), 0);
	check_all_values(args(TT_TCP_ACK | TT_TCP_FIN, false), 0);
	check_all_values(args(TT_TCP_SYN, true), 0);
}

static void test_with_payload(void **state)
{
	const uint32_t room = GEN_TMPL_ROOM - TT_ETH_HDR_LEN - TT_IP4_HDR_LEN - TT_TCP_HDR_LEN;

	(void)state;
	for (uint32_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	check_all_values(args(TT_TCP_ACK | TT_TCP_PSH, false), 1);
	check_all_values(args(TT_TCP_ACK | TT_TCP_PSH, false), 37);
	check_all_values(args(TT_TCP_ACK | TT_TCP_PSH, false), room);
}

/* Every value of one word: the software sums pass through both zeroes, the seed through all. */
static void test_every_checksum(void **state)
{
	struct tt_tcp_hdr_args a = args(TT_TCP_ACK, false);

	(void)state;
	for (size_t o = 0; o < sizeof(offloads) / sizeof(offloads[0]); o++) {
		struct gen_tmpl t;

		assert_true(tmpl_init(&t, &a, 0, offloads[o]));
		for (uint32_t w = 0; w <= 0xffff; w++) {
			check_write(&t, a, 0, 0xc6120000u | w, 40000, w << 16, 7);
			check_write(&t, a, 0, 0xc6120105u, (uint16_t)w, 0x12345678, 0);
		}
	}
}

static void test_room(void **state)
{
	struct tt_tcp_hdr_args a = args(TT_TCP_ACK | TT_TCP_PSH, false),
			       syn = args(TT_TCP_SYN, true);
	const uint32_t room = GEN_TMPL_ROOM - TT_ETH_HDR_LEN - TT_IP4_HDR_LEN - TT_TCP_HDR_LEN;
	struct gen_tmpl t;

	(void)state;
	assert_true(tmpl_init(&t, &a, room, 0));
	assert_int_equal(t.len, GEN_TMPL_ROOM);
	assert_false(tmpl_init(&t, &a, room + 1, 0));
	assert_false(tmpl_init(&t, &syn, room - 3, 0));
	assert_false(tmpl_init(&t, &a, UINT32_MAX, 0));
}

static int clients_frames(void **state)
{
	(void)state;
	to_client = false;
	return 0;
}

static int replies(void **state)
{
	(void)state;
	to_client = true;
	return 0;
}

int main(void)
{
#define BOTH(f) cmocka_unit_test_setup(f, clients_frames), cmocka_unit_test_setup(f, replies)
	const struct CMUnitTest tests[] = {
	    BOTH(test_headers_only),
	    BOTH(test_with_payload),
	    BOTH(test_every_checksum),
	    BOTH(test_room),
	};
#undef BOTH

	return cmocka_run_group_tests(tests, NULL, NULL);
}
