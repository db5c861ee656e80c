/*
 * tt_synack: a SYN-ACK from a template must be the frame the general builders make for the
 * same answer (tt_net_tcp_build + tt_net_tcp_cksum, tt_net_tcp6_build + tt_net_tcp6_cksum),
 * byte for byte, for every set of the options a SYN-ACK may carry, both families, every
 * checksum offload and field values at 0, 1, their largest and random.  A frame whose
 * checksums are ours to compute must also pass the parser's checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "splitmix.h"
#include "tt_synack.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	ROOM = 256,
	OPTS_ALL = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK | TT_OPT_TS,
	ROUNDS = 64,
	EDGES = 3, /* rounds whose fields are 0, 1 and all ones */
};

static const struct tt_mac us_mac = {{0x02, 0, 0, 0, 0, 0x01}};

/* A field value: 0, 1 or all ones in the first rounds, then random. */
static uint32_t field(uint64_t *rng, unsigned round)
{
	static const uint32_t edges[EDGES] = {0, 1, UINT32_MAX};

	return round < EDGES ? edges[round] : (uint32_t)splitmix64(rng);
}

/* The SYN a round answers: addresses, ports and source MAC from field(). */
static struct tt_pkt syn_of(uint8_t family, uint64_t *rng, unsigned round)
{
	struct tt_pkt p = {.family = family};

	p.saddr = field(rng, round);
	p.daddr = field(rng, round);
	p.sport = (uint16_t)field(rng, round);
	p.dport = (uint16_t)field(rng, round);
	for (int i = 0; i < 6; i++)
		p.src_mac.b[i] = (uint8_t)field(rng, round);
	for (int i = 0; i < 16; i++) {
		p.saddr6.b[i] = (uint8_t)field(rng, round);
		p.daddr6.b[i] = (uint8_t)field(rng, round);
	}
	return p;
}

/* What send_tcp made of the same answer before templates. */
static uint32_t slow_synack(uint8_t *frame, const struct tt_pkt *syn, uint32_t seq, uint32_t ack,
			    const struct tt_tcp_opts *o, uint16_t wnd, uint8_t offload)
{
	struct tt_tcp_hdr_args a = {
	    .src_mac = us_mac,
	    .dst_mac = syn->src_mac,
	    .saddr = syn->daddr,
	    .daddr = syn->saddr,
	    .sport = syn->dport,
	    .dport = syn->sport,
	    .seq = seq,
	    .ack = ack,
	    .wnd = wnd,
	    .flags = TT_TCP_SYN | TT_TCP_ACK,
	    .opts = *o,
	};
	uint32_t len;

	if (syn->family != TT_AF_INET6) {
		len = tt_net_tcp_build(frame, &a, 0);
		tt_net_tcp_cksum(frame, offload);
		return len;
	}
	len = tt_net_tcp6_build(frame, &a, syn->daddr6.b, syn->saddr6.b, 0);
	tt_net_tcp6_cksum(frame);
	return len;
}

/* Whether the parser would take the reply's source (the SYN's destination) from a peer:
 * 1.0.0.0 - 223.255.255.255 (not 127/8), or global unicast 2000::/3. */
static bool unicast_source(const struct tt_pkt *syn)
{
	uint8_t top = (uint8_t)(syn->daddr >> 24);

	if (syn->family == TT_AF_INET6)
		return (syn->daddr6.b[0] & 0xe0) == 0x20;
	return top >= 1 && top <= 223 && top != 127;
}

/* Our own frame as the peer's parser sees it: the checksums must hold. */
static void assert_parses(uint8_t *frame, uint32_t len, const struct tt_pkt *syn, uint32_t seq)
{
	struct tt_net_if peer = {.mac = syn->src_mac, .addr = syn->saddr, .addr_count = 1};
	enum tt_drop reason = TT_DROP_COUNT;
	struct tt_pkt got;

	if (syn->family == TT_AF_INET6) {
		peer.addr6[0] = syn->saddr6;
		peer.n_addr6 = 1;
	}
	assert_int_equal(tt_net_parse(frame, len, &peer, &got, &reason), TT_PKT_TCP);
	assert_int_equal(got.seg.seq, seq);
	assert_int_equal(got.seg.flags, TT_TCP_SYN | TT_TCP_ACK);
}

static void check_one(const struct tt_synack_tmpl *t, const struct tt_pkt *syn, uint64_t *rng,
		      unsigned round, const struct tt_tcp_opts *o, uint16_t wnd, uint8_t offload)
{
	uint8_t fast[ROOM], slow[ROOM];
	uint32_t seq = field(rng, round), ack = field(rng, round), n_fast, n_slow;
	struct tt_tcp_opts v = *o;

	v.tsval = field(rng, round);
	v.tsecr = field(rng, round);
	memset(fast, 0xa5, sizeof(fast));
	memset(slow, 0xa5, sizeof(slow));
	n_fast = tt_synack_write(fast, t, syn, seq, ack, wnd, &v);
	n_slow = slow_synack(slow, syn, seq, ack, &v, wnd, offload);
	assert_int_equal(n_fast, n_slow);
	assert_memory_equal(fast, slow, n_slow);
	if (offload == 0 && unicast_source(syn))
		assert_parses(fast, n_fast, syn, seq);
}

/* Every subset of the SYN-ACK's options, both families, every offload, edge and random fields,
 * windows that differ frame by frame from one template. */
static void test_synack_matches_builder(void **state)
{
	static const uint8_t offloads[] = {0, TT_TX_IP_CKSUM, TT_TX_TCP_CKSUM,
					   TT_TX_IP_CKSUM | TT_TX_TCP_CKSUM};
	/* 0: a segment not from the parser, IPv4 as everywhere in the stack. */
	static const uint8_t families[] = {TT_AF_INET, TT_AF_INET6, 0};
	uint64_t rng = 1;

	(void)state;
	for (unsigned present = 0; present <= OPTS_ALL; present++) {
		for (size_t fam = 0; fam < ARRAY_LEN(families); fam++) {
			for (size_t off = 0; off < ARRAY_LEN(offloads); off++) {
				struct tt_tcp_opts o = {.present = (uint8_t)present,
							.mss = (uint16_t)(536 + present * 601),
							.wscale = (uint8_t)(present % 15)};
				struct tt_synack_tmpl t;

				memset(&t, 0x5a, sizeof(t));
				tt_synack_tmpl_build(&t, &us_mac, families[fam], &o, offloads[off]);
				for (unsigned r = 0; r < ROUNDS; r++) {
					struct tt_pkt syn = syn_of(families[fam], &rng, r);
					uint16_t wnd = (uint16_t)field(&rng, r);

					check_one(&t, &syn, &rng, r, &o, wnd, offloads[off]);
				}
			}
		}
	}
}

/* A template serves one key: options, MSS or window scale changed make another. */
static void test_synack_key_tells_apart(void **state)
{
	const struct tt_tcp_opts base = {.present = OPTS_ALL, .mss = 1460, .wscale = 7};
	struct tt_tcp_opts o[4] = {base, base, base, base};
	uint64_t k = tt_synack_key(&base);

	(void)state;
	o[0].present &= (uint8_t)~TT_OPT_SACK_OK;
	o[1].mss = 1440;
	o[2].wscale = 8;
	o[3].tsval = 12345; /* not part of the template */
	assert_int_not_equal(tt_synack_key(&o[0]), k);
	assert_int_not_equal(tt_synack_key(&o[1]), k);
	assert_int_not_equal(tt_synack_key(&o[2]), k);
	assert_int_equal(tt_synack_key(&o[3]), k);
	assert_int_not_equal(tt_synack_key(&(struct tt_tcp_opts){0}), 0);
}

/* Each family and timestamp layout has its own slot, all within TT_SYNACK_SLOTS. */
static void test_synack_slots(void **state)
{
	bool seen[TT_SYNACK_SLOTS] = {false};

	(void)state;
	for (unsigned present = 0; present <= OPTS_ALL; present++) {
		unsigned s4 = tt_synack_slot(TT_AF_INET, (uint8_t)present);
		unsigned s6 = tt_synack_slot(TT_AF_INET6, (uint8_t)present);

		assert_true(s4 < TT_SYNACK_LAYOUTS);
		assert_true(s6 >= TT_SYNACK_LAYOUTS && s6 < TT_SYNACK_SLOTS);
		seen[s4] = seen[s6] = true;
	}
	for (unsigned i = 0; i < TT_SYNACK_SLOTS; i++)
		assert_true(seen[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_synack_matches_builder),
	    cmocka_unit_test(test_synack_key_tells_apart),
	    cmocka_unit_test(test_synack_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
