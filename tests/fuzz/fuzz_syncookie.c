/*
 * libFuzzer harness for SYN-cookie validation: a cookie is made for one
 * handshake, the fields of the final ACK that carries it back are altered
 * by the input, and tt_syncookie_check must accept only what
 * tt_syncookie_make produced.
 *
 * Oracle: an ACK that echoes every field the MAC covers as made (flow,
 * peer ISN, cookie, timestamp presence and its option bits) must come
 * back VALID or EXPIRED by its exact age in counter periods, so a cache
 * that rotates wrongly between make and check fails. Any other ACK must
 * fail as BAD_HASH; with 27 MAC bits one in 2^27 collides by design, so a
 * pass is only reported when the same handshake under a second,
 * independent secret passes too: a field left out of the MAC passes under
 * both, a genuine collision under both has odds of 2^-54.
 *
 * Input, little-endian, bytes past the end read as zero:
 *
 *   off  size
 *     0   4  tcp.time_wait_ms, through tt_syncookie_period_ms
 *     4  12  flow: saddr, daddr, sport, dport
 *    16   4  peer ISN
 *    20   2  peer MSS
 *    22   1  SYN options: bit 0 timestamps, bits 1-4 window scale
 *            (15 = none), bit 5 SACK-permitted
 *    23   4  our timestamp clock when the SYN-ACK left
 *    27   5  when the SYN-ACK left, ms after TIME_BASE_MS
 *    32   2  how long before that the maker's cache was built, ms
 *    34   4  signed ms from the SYN-ACK to the ACK
 *    38   4  signed ms from the ACK to when the checker's cache was built
 *    42  12  XOR over the flow of the ACK
 *    54   4  XOR over its peer ISN
 *    58   4  XOR over the cookie it echoes
 *    62   4  XOR over its TSecr
 *    66   1  bit 0: the ACK adds or drops the timestamp option
 *
 * Built and run by scripts/fuzz.sh (tests/fuzz/meson.build).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "tt_syncookie.h"

/* Far enough from 0 that no signed offset below reaches a negative time. */
#define TIME_BASE_MS (UINT64_C(1) << 32)

enum {
	TS_OPT_BITS = 0x3f, /* the TSecr bits the MAC covers */
	WSCALE_NONE = 15,
};

static const struct tt_syncookie_secret secret_a = {
    .master = {.k0 = UINT64_C(0x5be0cd19137e2179), .k1 = UINT64_C(0x1f83d9ab9b05688c)},
};
static const struct tt_syncookie_secret secret_b = {
    .master = {.k0 = UINT64_C(0xcbbb9d5dc1059ed8), .k1 = UINT64_C(0x629a292a367cd507)},
};

/* One handshake and the ACK that comes back, as the input describes them. */
struct handshake {
	uint32_t period_ms;
	struct tt_flow4 flow;
	uint32_t isn;
	uint16_t peer_mss;
	bool ts;
	uint32_t tsval;
	uint64_t make_ms, make_cache_ms, check_ms, check_cache_ms;
	struct tt_flow4 ack_flow;
	uint32_t ack_isn, cookie_xor, tsecr;
	bool ack_ts;
};

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct reader *r, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++) {
		if (r->left > 0) {
			v |= (uint64_t)*r->p++ << (8 * i);
			r->left--;
		}
	}
	return v;
}

static struct tt_flow4 take_flow(struct reader *r)
{
	struct tt_flow4 f;

	f.saddr = (uint32_t)take(r, 4);
	f.daddr = (uint32_t)take(r, 4);
	f.sport = (uint16_t)take(r, 2);
	f.dport = (uint16_t)take(r, 2);
	return f;
}

static uint64_t take_offset(struct reader *r, uint64_t from)
{
	return from + (uint64_t)(int64_t)(int32_t)take(r, 4);
}

static void decode(struct handshake *h, const uint8_t *data, size_t size)
{
	struct reader in = {data, size};
	unsigned int syn_opts;
	struct tt_syncookie_opts o;
	struct tt_flow4 x;

	h->period_ms = tt_syncookie_period_ms((uint32_t)take(&in, 4));
	h->flow = take_flow(&in);
	h->isn = (uint32_t)take(&in, 4);
	h->peer_mss = (uint16_t)take(&in, 2);
	syn_opts = (unsigned int)take(&in, 1);
	h->ts = syn_opts & 1;
	o.wscale = (uint8_t)((syn_opts >> 1) & 0xf);
	o.wscale_ok = o.wscale != WSCALE_NONE;
	o.sack_ok = (syn_opts >> 5) & 1;
	h->tsval = tt_syncookie_ts_encode((uint32_t)take(&in, 4), &o);
	h->make_ms = TIME_BASE_MS + take(&in, 5);
	h->make_cache_ms = h->make_ms - take(&in, 2);
	h->check_ms = take_offset(&in, h->make_ms);
	h->check_cache_ms = take_offset(&in, h->check_ms);
	x = take_flow(&in);
	h->ack_flow.saddr = h->flow.saddr ^ x.saddr;
	h->ack_flow.daddr = h->flow.daddr ^ x.daddr;
	h->ack_flow.sport = h->flow.sport ^ x.sport;
	h->ack_flow.dport = h->flow.dport ^ x.dport;
	h->ack_isn = h->isn ^ (uint32_t)take(&in, 4);
	h->cookie_xor = (uint32_t)take(&in, 4);
	h->tsecr = h->tsval ^ (uint32_t)take(&in, 4);
	h->ack_ts = h->ts != (take(&in, 1) & 1);
}

/* Whether the ACK echoes all the MAC covers; the TSecr clock bits are outside it. */
static bool untouched(const struct handshake *h)
{
	return h->ack_flow.saddr == h->flow.saddr && h->ack_flow.daddr == h->flow.daddr &&
	       h->ack_flow.sport == h->flow.sport && h->ack_flow.dport == h->flow.dport &&
	       h->ack_isn == h->isn && h->cookie_xor == 0 && h->ack_ts == h->ts &&
	       (!h->ts || ((h->tsecr ^ h->tsval) & TS_OPT_BITS) == 0);
}

/* The cookie made for h and checked against its ACK; *mss, *ts_offset: make's, *ack_mss,
 * *ack_ts_offset: the check's (written only when valid). */
static enum tt_syncookie_verdict replay(const struct handshake *h,
					const struct tt_syncookie_secret *s, uint16_t *mss,
					uint16_t *ack_mss, uint32_t *ts_offset,
					uint32_t *ack_ts_offset)
{
	struct tt_syncookie_keys maker, checker;
	uint32_t cookie;

	FUZZ_CHECK(tt_syncookie_keys_init(&maker, s, h->period_ms, h->make_cache_ms) == 0);
	FUZZ_CHECK(tt_syncookie_keys_init(&checker, s, h->period_ms, h->check_cache_ms) == 0);
	cookie = tt_syncookie_make(&maker, &h->flow, NULL, h->isn, h->peer_mss,
				   h->ts ? &h->tsval : NULL, h->make_ms, mss, ts_offset);
	return tt_syncookie_check(&checker, &h->ack_flow, NULL, h->ack_isn, cookie ^ h->cookie_xor,
				  h->ack_ts ? &h->tsecr : NULL, h->check_ms, ack_mss,
				  ack_ts_offset);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_syncookie_keys probe;
	enum tt_syncookie_verdict v;
	struct handshake h;
	uint16_t mss, ack_mss = 0;
	uint32_t ts_offset, ack_ts_offset = 0;
	int64_t age;

	decode(&h, data, size);
	if (h.period_ms == 0) {
		FUZZ_CHECK(tt_syncookie_keys_init(&probe, &secret_a, 0, h.make_ms) == -EINVAL);
		return 0;
	}
	v = replay(&h, &secret_a, &mss, &ack_mss, &ts_offset, &ack_ts_offset);
	age = (int64_t)(h.check_ms / h.period_ms) - (int64_t)(h.make_ms / h.period_ms);
	if (untouched(&h) && age >= 0 && age <= 1) {
		FUZZ_CHECK(v == TT_SYNCOOKIE_VALID);
		FUZZ_CHECK(ack_mss == mss);
		FUZZ_CHECK(ack_ts_offset == ts_offset);
	} else if (untouched(&h) && age >= 2 && age <= 3) {
		FUZZ_CHECK(v == TT_SYNCOOKIE_EXPIRED);
	} else if (v != TT_SYNCOOKIE_BAD_HASH) {
		FUZZ_CHECK(replay(&h, &secret_b, &mss, &ack_mss, &ts_offset, &ack_ts_offset) ==
			   TT_SYNCOOKIE_BAD_HASH);
	}
	return 0;
}
