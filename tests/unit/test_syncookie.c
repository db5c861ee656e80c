#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "splitmix.h"
#include "tt_isn.h"
#include "tt_siphash.h"
#include "tt_syncookie.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The key 00 01 .. 0f of the SipHash paper's test vectors, read little-endian. */
#define PAPER_KEY                                                                                  \
	{                                                                                          \
		.k0 = UINT64_C(0x0706050403020100), .k1 = UINT64_C(0x0f0e0d0c0b0a0908)             \
	}
static const struct tt_siphash_key paper_key = PAPER_KEY;

static const struct tt_syncookie_secret secret_a = {.master = PAPER_KEY};
static const struct tt_syncookie_secret secret_b = {
    .master = {.k0 = UINT64_C(0x243f6a8885a308d3), .k1 = UINT64_C(0x13198a2e03707344)},
};

/* 192.0.2.1:40000 (peer) -> 198.51.100.7:443 (us) */
static const struct tt_flow4 flow_a = {
    .saddr = 0xc0000201,
    .daddr = 0xc6336407,
    .sport = 40000,
    .dport = 443,
};

/* 2001:db8::1 (peer) -> 2001:db8::7 (us), the ports of flow_a. */
static const struct tt_addr6_pair pair_a = {
    .saddr = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
    .daddr = {0x20, 0x01, 0x0d, 0xb8, [15] = 7},
};

enum {
	TIME_WAIT_MS = 60000, /* the default tcp.time_wait_ms */
	PERIOD = TIME_WAIT_MS / 2,
	T0_MS = 1000 * PERIOD, /* start of a period, counter & 3 == 0 */
	PEER_ISN = 0x01020304,
};

/* SipHash calls since the last reset: the test links with -Wl,--wrap=tt_siphash. */
static unsigned int siphash_calls;

uint64_t __real_tt_siphash(const struct tt_siphash_key *key, const void *data, size_t len);
uint64_t __wrap_tt_siphash(const struct tt_siphash_key *key, const void *data, size_t len);

uint64_t __wrap_tt_siphash(const struct tt_siphash_key *key, const void *data, size_t len)
{
	siphash_calls++;
	return __real_tt_siphash(key, data, len);
}

static struct tt_flow4 random_flow(uint64_t *rng)
{
	return (struct tt_flow4){.saddr = (uint32_t)splitmix64(rng),
				 .daddr = (uint32_t)splitmix64(rng),
				 .sport = (uint16_t)splitmix64(rng),
				 .dport = (uint16_t)splitmix64(rng)};
}

static void keys_at(struct tt_syncookie_keys *k, const struct tt_syncookie_secret *s,
		    uint32_t period_ms, uint64_t now_ms)
{
	assert_int_equal(tt_syncookie_keys_init(k, s, period_ms, now_ms), 0);
}

/* make and check on a cache built for the moment, as a freshly started worker has. */
static uint32_t make6_at(const struct tt_syncookie_secret *s, const struct tt_flow4 *f,
			 const struct tt_addr6_pair *a6, uint32_t isn, uint16_t peer_mss,
			 const uint32_t *tsval, uint64_t now_ms, uint16_t *mss)
{
	struct tt_syncookie_keys k;

	keys_at(&k, s, PERIOD, now_ms);
	return tt_syncookie_make(&k, f, a6, isn, peer_mss, tsval, now_ms, mss, NULL);
}

static uint32_t make_at(const struct tt_syncookie_secret *s, const struct tt_flow4 *f, uint32_t isn,
			uint16_t peer_mss, const uint32_t *tsval, uint64_t now_ms, uint16_t *mss)
{
	return make6_at(s, f, NULL, isn, peer_mss, tsval, now_ms, mss);
}

static enum tt_syncookie_verdict check_at(const struct tt_syncookie_secret *s,
					  const struct tt_flow4 *f, uint32_t isn, uint32_t cookie,
					  const uint32_t *tsecr, uint64_t now_ms, uint16_t *mss)
{
	struct tt_syncookie_keys k;

	keys_at(&k, s, PERIOD, now_ms);
	return tt_syncookie_check(&k, f, NULL, isn, cookie, tsecr, now_ms, mss, NULL);
}

/*
 * Key 00..0f, message 00 01 02 .. (byte i = i mod 256) of length len. Up to 63
 * bytes the values are the SipHash paper's table; the longer ones, which catch
 * a length byte truncated below 8 bits, come from OpenSSL's SIPHASH MAC
 * (`openssl mac -macopt hexkey:0001..0f -macopt size:8 SIPHASH`).
 */
static void test_siphash_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t want;
	} cases[] = {
	    {0, UINT64_C(0x726fdb47dd0e0e31)},	 {1, UINT64_C(0x74f839c593dc67fd)},
	    {2, UINT64_C(0x0d6c8009d9a94f5a)},	 {7, UINT64_C(0xab0200f58b01d137)},
	    {8, UINT64_C(0x93f5f5799a932462)},	 {9, UINT64_C(0x9e0082df0ba9e4b0)},
	    {15, UINT64_C(0xa129ca6149be45e5)},	 {16, UINT64_C(0x3f2acc7f57c29bdb)},
	    {31, UINT64_C(0x32d892fad841c342)},	 {32, UINT64_C(0x7127512f72f27cce)},
	    {63, UINT64_C(0x958a324ceb064572)},	 {128, UINT64_C(0xdeb79e256c8736ae)},
	    {255, UINT64_C(0xa9c169fec74db21a)}, {256, UINT64_C(0x999d0526d2a7bfd7)},
	    {300, UINT64_C(0x4b0b710db6117839)},
	};
	uint8_t msg[300];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(tt_siphash(&paper_key, msg, cases[i].len), cases[i].want);
}

/*
 * The block form against the byte form at every length a caller could give it up to three
 * blocks, each length on bytes from the generator: every byte must land where tt_siphash
 * reads it, and the length must go to the top byte of the last block.
 */
static void test_siphash_blocks_match_bytes(void **state)
{
	uint64_t rng = 5;

	(void)state;
	for (size_t len = 0; len < 24; len++) {
		for (int i = 0; i < 64; i++) {
			struct tt_siphash_key k = {splitmix64(&rng), splitmix64(&rng)};
			uint64_t m[3] = {0};
			uint8_t bytes[24];

			for (size_t b = 0; b < len; b++) {
				bytes[b] = (uint8_t)splitmix64(&rng);
				m[b / 8] |= (uint64_t)bytes[b] << (8 * (b % 8));
			}
			assert_int_equal(tt_siphash_blocks(&k, m, len), tt_siphash(&k, bytes, len));
		}
	}
}

/*
 * Known answers computed from the documented layout by a separate Python
 * model; a change here breaks cookie agreement between nodes of different
 * versions, so it must be deliberate.
 */
static void test_cookie_known_answer(void **state)
{
	static const uint32_t ts_bits_3_sack = 0xabcdef53, ts_no_wscale_sack = 0x0000001f;
	static const struct {
		uint32_t isn;
		uint16_t peer_mss;
		uint32_t period_ms;
		const uint32_t *tsval;
		uint64_t now_ms;
		uint32_t want;
	} cases[] = {
	    {0x01020304, 1460, 30000, NULL, UINT64_C(1700000000000), 0x9f2d1016},
	    {0xfffffffe, 0, 500, NULL, 5, 0xf6ff0080},
	    {0x01020304, 1460, 32000, &ts_bits_3_sack, UINT64_C(1700000000000), 0xbed4ca26},
	    {0x01020304, 1460, 30000, &ts_no_wscale_sack, UINT64_C(1700000000000), 0x55203d96},
	};
	uint16_t mss;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tt_syncookie_keys k;

		keys_at(&k, &secret_a, cases[i].period_ms, cases[i].now_ms);
		assert_int_equal(tt_syncookie_make(&k, &flow_a, NULL, cases[i].isn,
						   cases[i].peer_mss, cases[i].tsval,
						   cases[i].now_ms, &mss, NULL),
				 cases[i].want);
	}
}

/* The cookie of an IPv4 flow as the header documents it, from tt_siphash over the bytes. */
/* The whole 64-bit MAC of an IPv4 cookie, from its documented byte layout. */
static uint64_t mac_by_layout(const struct tt_syncookie_keys *k, const struct tt_flow4 *f,
			      uint32_t isn, unsigned int mss_idx, unsigned int ts, uint64_t now_ms)
{
	uint64_t c = now_ms / k->period_ms;
	uint8_t in[22];

	tt_flow4_pack(f, in);
	for (int i = 0; i < 4; i++) {
		in[12 + i] = (uint8_t)(isn >> (8 * i));
		in[16 + i] = (uint8_t)(c >> (8 * i));
	}
	in[20] = (uint8_t)mss_idx;
	in[21] = (uint8_t)ts;
	return tt_siphash(&k->key[c & 3], in, sizeof(in));
}

static uint32_t cookie_by_layout(const struct tt_syncookie_keys *k, const struct tt_flow4 *f,
				 uint32_t isn, unsigned int mss_idx, unsigned int ts,
				 uint64_t now_ms)
{
	uint64_t c = now_ms / k->period_ms;

	return ((uint32_t)(mac_by_layout(k, f, isn, mss_idx, ts, now_ms) >> 32) & ~UINT32_C(31)) |
	       (uint32_t)(c & 3) << 3 | mss_idx;
}

/*
 * The IPv4 MAC is computed from the fields without packing them: every bit of
 * every field must land where the byte layout puts it, for random flows, ISNs,
 * counters (all four t values) and both the absent and present timestamp.
 */
static void test_cookie_ipv4_mac_layout(void **state)
{
	uint64_t rng = 7;

	(void)state;
	for (unsigned int i = 0; i < 4096; i++) {
		struct tt_flow4 f = random_flow(&rng);
		uint32_t isn = (uint32_t)splitmix64(&rng), tsval = (uint32_t)splitmix64(&rng);
		uint64_t now = T0_MS + splitmix64(&rng) % (UINT64_C(1) << 40);
		const uint32_t *ts = (i & 1) ? &tsval : NULL;
		struct tt_syncookie_keys k;
		uint16_t mss;

		keys_at(&k, &secret_b, PERIOD, now);
		assert_int_equal(
		    tt_syncookie_make(&k, &f, NULL, isn, 1460, ts, now, &mss, NULL),
		    cookie_by_layout(&k, &f, isn, 6, ts != NULL ? tsval & 63 : 64, now));
	}
}

/*
 * The timestamp offset of the connection a cookie opens is its MAC's low half (the cookie
 * carries bits 63..37): make gives it, and a check of the cookie, in the same period or the
 * next, gives it again; with or without the timestamp's option bits, for IPv4 and IPv6 flows.
 */
static void test_cookie_ts_offset(void **state)
{
	uint64_t rng = 11;
	uint32_t seen[64];

	(void)state;
	for (unsigned int i = 0; i < 64; i++) {
		struct tt_flow4 f = random_flow(&rng);
		const struct tt_addr6_pair *a6 = (i & 2) ? &pair_a : NULL;
		uint32_t isn = (uint32_t)splitmix64(&rng), tsval = (uint32_t)splitmix64(&rng);
		const uint32_t *ts = (i & 1) ? &tsval : NULL;
		uint64_t now = T0_MS + splitmix64(&rng) % (UINT64_C(1) << 40);
		uint32_t made_off = 0, checked_off = ~0u, c;
		struct tt_syncookie_keys k;
		uint16_t mss;

		keys_at(&k, &secret_b, PERIOD, now);
		c = tt_syncookie_make(&k, &f, a6, isn, 1460, ts, now, &mss, &made_off);
		if (a6 == NULL)
			assert_int_equal(
			    made_off, (uint32_t)mac_by_layout(&k, &f, isn, 6,
							      ts != NULL ? tsval & 63 : 64, now));
		assert_int_equal(
		    tt_syncookie_check(&k, &f, a6, isn, c, ts, now + PERIOD, &mss, &checked_off),
		    TT_SYNCOOKIE_VALID);
		assert_int_equal(checked_off, made_off);
		/* A cookie that does not verify writes nothing. */
		checked_off = ~made_off;
		assert_int_equal(tt_syncookie_check(&k, &f, a6, isn, c ^ 0x80000000u, ts,
						    now + PERIOD, &mss, &checked_off),
				 TT_SYNCOOKIE_BAD_HASH);
		assert_int_equal(checked_off, ~made_off);
		seen[i] = made_off;
		for (unsigned int j = 0; j < i; j++)
			assert_int_not_equal(seen[j], made_off);
	}
}

static void test_cookie_mss_roundtrip(void **state)
{
	static const struct {
		uint16_t peer_mss;
		uint16_t want_mss;
		unsigned int want_idx;
	} cases[] = {
	    /* every table entry */
	    {536, 536, 0},
	    {1220, 1220, 1},
	    {1300, 1300, 2},
	    {1380, 1380, 3},
	    {1440, 1440, 4},
	    {1452, 1452, 5},
	    {1460, 1460, 6},
	    {8960, 8960, 7},
	    /* between entries: round down */
	    {537, 536, 0},
	    {1219, 536, 0},
	    {1221, 1220, 1},
	    {1299, 1220, 1},
	    {1360, 1300, 2},
	    {1400, 1380, 3},
	    {1448, 1440, 4},
	    {1459, 1452, 5},
	    {1500, 1460, 6},
	    {8959, 1460, 6},
	    {9000, 8960, 7},
	    /* below the smallest entry: the smallest */
	    {0, 536, 0},
	    {88, 536, 0},
	    {535, 536, 0},
	    {65535, 8960, 7},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint16_t mss = 0, got = 0;
		uint32_t c =
		    make_at(&secret_a, &flow_a, PEER_ISN, cases[i].peer_mss, NULL, T0_MS + 7, &mss);

		assert_int_equal(mss, cases[i].want_mss);
		assert_int_equal(c & 7, cases[i].want_idx);
		assert_int_equal((c >> 3) & 3, (T0_MS / PERIOD) & 3);
		assert_int_equal(check_at(&secret_a, &flow_a, PEER_ISN, c, NULL, T0_MS + 9, &got),
				 TT_SYNCOOKIE_VALID);
		assert_int_equal(got, cases[i].want_mss);
	}
}

static void test_cookie_expiry(void **state)
{
	static const struct {
		uint64_t make_ms;
		uint64_t check_ms;
		enum tt_syncookie_verdict want;
	} cases[] = {
	    /* made at the start of a period: valid for two periods */
	    {T0_MS, T0_MS, TT_SYNCOOKIE_VALID},
	    {T0_MS, T0_MS + PERIOD - 1, TT_SYNCOOKIE_VALID},
	    {T0_MS, T0_MS + PERIOD, TT_SYNCOOKIE_VALID},
	    {T0_MS, T0_MS + 2 * PERIOD - 1, TT_SYNCOOKIE_VALID},
	    {T0_MS, T0_MS + 2 * PERIOD, TT_SYNCOOKIE_EXPIRED},
	    {T0_MS, T0_MS + 3 * PERIOD - 1, TT_SYNCOOKIE_EXPIRED},
	    {T0_MS, T0_MS + 4 * PERIOD - 1, TT_SYNCOOKIE_EXPIRED},
	    /* counter + 4 shares the low bits: no longer recognisable */
	    {T0_MS, T0_MS + 4 * PERIOD, TT_SYNCOOKIE_BAD_HASH},
	    /* made at the end of a period: valid for one period only */
	    {T0_MS + PERIOD - 1, T0_MS + 2 * PERIOD - 1, TT_SYNCOOKIE_VALID},
	    {T0_MS + PERIOD - 1, T0_MS + 2 * PERIOD, TT_SYNCOOKIE_EXPIRED},
	    /* from the future (clock went back a period) */
	    {T0_MS + PERIOD, T0_MS, TT_SYNCOOKIE_BAD_HASH},
	    /* counter 0: the older counters wrap */
	    {0, 0, TT_SYNCOOKIE_VALID},
	    {0, 2 * PERIOD - 1, TT_SYNCOOKIE_VALID},
	    {0, 2 * PERIOD, TT_SYNCOOKIE_EXPIRED},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tt_syncookie_keys k;
		uint16_t mss, got = 0;
		uint32_t c;

		/* A cache that lives across the whole interval ... */
		keys_at(&k, &secret_a, PERIOD, cases[i].make_ms);
		c = tt_syncookie_make(&k, &flow_a, NULL, PEER_ISN, 1460, NULL, cases[i].make_ms,
				      &mss, NULL);
		assert_int_equal(tt_syncookie_check(&k, &flow_a, NULL, PEER_ISN, c, NULL,
						    cases[i].check_ms, &got, NULL),
				 cases[i].want);
		/* ... and one built at check time must agree. */
		assert_int_equal(
		    check_at(&secret_a, &flow_a, PEER_ISN, c, NULL, cases[i].check_ms, &got),
		    cases[i].want);
		if (cases[i].want == TT_SYNCOOKIE_VALID)
			assert_int_equal(got, 1460);
	}
}

/* period_ms = min(32 s, time_wait_ms / 2), over the range tcp.time_wait_ms accepts. */
static void test_cookie_period(void **state)
{
	static const struct {
		uint32_t time_wait_ms, want;
	} cases[] = {
	    {1000, 500},    {1001, 500},    {59999, 29999}, {60000, 30000},
	    {63999, 31999}, {64000, 32000}, {64001, 32000}, {240000, 32000},
	};
	static const struct {
		uint32_t period_ms;
		int want;
	} init[] = {
	    {0, -EINVAL},
	    {1, 0},
	    {TT_SYNCOOKIE_PERIOD_MAX_MS, 0},
	    {TT_SYNCOOKIE_PERIOD_MAX_MS + 1, -EINVAL},
	    {UINT32_MAX, -EINVAL},
	};
	struct tt_syncookie_keys k;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(tt_syncookie_period_ms(cases[i].time_wait_ms), cases[i].want);
	for (size_t i = 0; i < ARRAY_LEN(init); i++)
		assert_int_equal(tt_syncookie_keys_init(&k, &secret_a, init[i].period_ms, T0_MS),
				 init[i].want);
}

/*
 * No cookie outlives TIME-WAIT: made at the very start of a period it is
 * valid until just before two periods have passed, and expired from then on.
 */
static void test_cookie_lifetime_within_time_wait(void **state)
{
	static const uint32_t time_wait_ms[] = {1000, 1001, 60000, 64000, 240000};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(time_wait_ms); i++) {
		uint32_t period = tt_syncookie_period_ms(time_wait_ms[i]);
		/* counter 1000: t = 0, and no counter below it wraps */
		uint64_t made = UINT64_C(1000) * period;
		struct tt_syncookie_keys k;
		uint16_t mss, got;
		uint32_t c;

		assert_true(2 * (uint64_t)period <= time_wait_ms[i]);
		keys_at(&k, &secret_a, period, made);
		c = tt_syncookie_make(&k, &flow_a, NULL, PEER_ISN, 1460, NULL, made, &mss, NULL);
		assert_int_equal(tt_syncookie_check(&k, &flow_a, NULL, PEER_ISN, c, NULL,
						    made + 2 * period - 1, &got, NULL),
				 TT_SYNCOOKIE_VALID);
		assert_int_equal(tt_syncookie_check(&k, &flow_a, NULL, PEER_ISN, c, NULL,
						    made + 2 * period, &got, NULL),
				 TT_SYNCOOKIE_EXPIRED);
		/* Four periods on, t names a younger counter: the cookie then looks forged. */
		assert_int_not_equal(tt_syncookie_check(&k, &flow_a, NULL, PEER_ISN, c, NULL,
							made + time_wait_ms[i], &got, NULL),
				     TT_SYNCOOKIE_VALID);
	}
}

static void test_cookie_random_value(void **state)
{
	static const uint32_t junk[] = {0, 1, 0xffffffff, 0xdeadbeef, 0x65aff746 ^ 0x80000000};
	uint16_t mss;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(junk); i++)
		assert_int_equal(check_at(&secret_a, &flow_a, PEER_ISN, junk[i], NULL, T0_MS, &mss),
				 TT_SYNCOOKIE_BAD_HASH);
}

/* Two nodes behind ECMP: same master, caches built at different times. */
static void test_cookie_shared_secret(void **state)
{
	struct tt_syncookie_keys node1, node2;
	uint16_t mss, got = 0;
	uint32_t c;

	(void)state;
	keys_at(&node1, &secret_a, PERIOD, T0_MS - 5 * PERIOD);
	keys_at(&node2, &secret_a, PERIOD, T0_MS + 3);
	c = tt_syncookie_make(&node1, &flow_a, NULL, PEER_ISN, 1452, NULL, T0_MS + 10, &mss, NULL);
	assert_int_equal(tt_syncookie_check(&node2, &flow_a, NULL, PEER_ISN, c, NULL,
					    T0_MS + PERIOD + 20000, &got, NULL),
			 TT_SYNCOOKIE_VALID);
	assert_int_equal(got, 1452);
}

static void test_cookie_wrong_secret(void **state)
{
	static const uint64_t offsets_ms[] = {0, PERIOD + 1, 2 * PERIOD + 1, 3 * PERIOD + 1};
	uint16_t mss;
	uint32_t c = make_at(&secret_a, &flow_a, PEER_ISN, 1460, NULL, T0_MS, &mss);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(offsets_ms); i++)
		assert_int_equal(
		    check_at(&secret_b, &flow_a, PEER_ISN, c, NULL, T0_MS + offsets_ms[i], &mss),
		    TT_SYNCOOKIE_BAD_HASH);
}

static void test_cookie_changed_field(void **state)
{
	static const struct {
		uint32_t saddr_xor, daddr_xor;
		uint16_t sport_add, dport_add;
		uint32_t isn_add;
	} cases[] = {
	    {1, 0, 0, 0, 0},	      {0x80000000, 0, 0, 0, 0}, {0, 1, 0, 0, 0},
	    {0, 0x00010000, 0, 0, 0}, {0, 0, 1, 0, 0},		{0, 0, 0x8000, 0, 0},
	    {0, 0, 0, 1, 0},	      {0, 0, 0, 0xffff, 0},	{0, 0, 0, 0, 1},
	    {0, 0, 0, 0, 0xffffffff}, {0, 0, 0, 0, 0x100},
	};
	uint16_t mss;
	uint32_t c = make_at(&secret_a, &flow_a, PEER_ISN, 1460, NULL, T0_MS, &mss);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tt_flow4 f = flow_a;

		f.saddr ^= cases[i].saddr_xor;
		f.daddr ^= cases[i].daddr_xor;
		f.sport = (uint16_t)(f.sport + cases[i].sport_add);
		f.dport = (uint16_t)(f.dport + cases[i].dport_add);
		assert_int_equal(
		    check_at(&secret_a, &f, PEER_ISN + cases[i].isn_add, c, NULL, T0_MS + 1, &mss),
		    TT_SYNCOOKIE_BAD_HASH);
	}
}

/* The reverse direction of the same connection is a different flow. */
static void test_cookie_swapped_flow(void **state)
{
	const struct tt_flow4 rev = {
	    .saddr = flow_a.daddr,
	    .daddr = flow_a.saddr,
	    .sport = flow_a.dport,
	    .dport = flow_a.sport,
	};
	uint16_t mss;
	uint32_t c = make_at(&secret_a, &flow_a, PEER_ISN, 1460, NULL, T0_MS, &mss);

	(void)state;
	assert_int_equal(check_at(&secret_a, &rev, PEER_ISN, c, NULL, T0_MS, &mss),
			 TT_SYNCOOKIE_BAD_HASH);
}

static void test_cookie_bit_flip(void **state)
{
	static const uint64_t make_ms[] = {T0_MS, T0_MS + PERIOD + 1, T0_MS + 2 * PERIOD + 2,
					   T0_MS + 3 * PERIOD + 3};
	uint64_t rng = 1;

	(void)state;
	for (size_t t = 0; t < ARRAY_LEN(make_ms); t++) {
		struct tt_flow4 f = flow_a;
		uint32_t isn = (uint32_t)splitmix64(&rng);
		uint16_t mss;
		uint32_t c;

		f.saddr = (uint32_t)splitmix64(&rng);
		c = make_at(&secret_a, &f, isn, 1380, NULL, make_ms[t], &mss);
		for (unsigned int bit = 0; bit < 32; bit++) {
			enum tt_syncookie_verdict v =
			    check_at(&secret_a, &f, isn, c ^ (UINT32_C(1) << bit), NULL,
				     make_ms[t] + 1000, &mss);

			assert_int_not_equal(v, TT_SYNCOOKIE_VALID);
			assert_int_equal(v, TT_SYNCOOKIE_BAD_HASH);
		}
	}
}

/* 2^-27 per guess: the expected number of hits in 1e6 guesses is 0.004. */
static void test_cookie_forgery(void **state)
{
	enum { GUESSES = 1000000 };
	struct tt_syncookie_keys k;
	unsigned int valid = 0, expired = 0;
	uint64_t rng = 42;
	uint16_t mss;

	(void)state;
	keys_at(&k, &secret_a, PERIOD, T0_MS);
	for (unsigned int i = 0; i < GUESSES; i++) {
		uint64_t r = splitmix64(&rng);
		uint32_t tsecr = (uint32_t)(r >> 7);
		struct tt_flow4 f = flow_a;
		enum tt_syncookie_verdict v;

		f.sport = (uint16_t)r;
		v = tt_syncookie_check(&k, &f, NULL, (uint32_t)(r >> 16), (uint32_t)(r >> 32),
				       (i & 1) ? &tsecr : NULL, T0_MS + (i & 0xffff), &mss, NULL);
		valid += v == TT_SYNCOOKIE_VALID;
		expired += v == TT_SYNCOOKIE_EXPIRED;
	}
	assert_int_equal(valid, 0);
	assert_int_equal(expired, 0);
}

/*
 * The window scale and SACK-permitted bits travel outside the cookie, in
 * our TSval and back in the TSecr: each of the six must be as we sent it,
 * and the timestamp itself must be there exactly when we sent one.
 */
static void test_cookie_ts_bits(void **state)
{
	static const struct tt_syncookie_opts opts[] = {
	    {.wscale = 7, .wscale_ok = true, .sack_ok = true},
	    {.wscale = 0, .wscale_ok = true, .sack_ok = false},
	    {.wscale = 14, .wscale_ok = true, .sack_ok = true},
	    {.wscale_ok = false, .sack_ok = true},
	    {.wscale_ok = false, .sack_ok = false},
	};
	uint16_t mss;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(opts); i++) {
		uint32_t tsval = tt_syncookie_ts_encode(0x12345678, &opts[i]);
		uint32_t c = make_at(&secret_a, &flow_a, PEER_ISN, 1460, &tsval, T0_MS, &mss);
		/* The clock bits above the options are the peer's to echo as it likes. */
		uint32_t other_clock = tsval ^ 0xffffffc0;

		assert_int_equal(check_at(&secret_a, &flow_a, PEER_ISN, c, &tsval, T0_MS + 1, &mss),
				 TT_SYNCOOKIE_VALID);
		assert_int_equal(
		    check_at(&secret_a, &flow_a, PEER_ISN, c, &other_clock, T0_MS + 1, &mss),
		    TT_SYNCOOKIE_VALID);
		assert_int_equal(check_at(&secret_a, &flow_a, PEER_ISN, c, NULL, T0_MS + 1, &mss),
				 TT_SYNCOOKIE_BAD_HASH);
		for (unsigned int bit = 0; bit < 6; bit++) {
			uint32_t tsecr = tsval ^ (UINT32_C(1) << bit);

			assert_int_equal(
			    check_at(&secret_a, &flow_a, PEER_ISN, c, &tsecr, T0_MS + 1, &mss),
			    TT_SYNCOOKIE_BAD_HASH);
		}
	}
}

/* A cookie sent without a timestamp takes none back, whatever its low bits. */
static void test_cookie_no_ts_takes_none(void **state)
{
	uint16_t mss;
	uint32_t c = make_at(&secret_a, &flow_a, PEER_ISN, 1460, NULL, T0_MS, &mss);

	(void)state;
	assert_int_equal(check_at(&secret_a, &flow_a, PEER_ISN, c, NULL, T0_MS + 1, &mss),
			 TT_SYNCOOKIE_VALID);
	for (uint32_t low = 0; low < 64; low++) {
		uint32_t tsecr = 0x12345600 | low;

		assert_int_equal(check_at(&secret_a, &flow_a, PEER_ISN, c, &tsecr, T0_MS + 1, &mss),
				 TT_SYNCOOKIE_BAD_HASH);
	}
}

/*
 * A forged ACK costs one MAC, whatever counter its t bits name: the keys of
 * the last four counters are already derived, so telling an expired cookie
 * from a forged one costs nothing more.  Counted on an IPv6 flow, whose MAC
 * is a tt_siphash call; an IPv4 flow's is the same computation inlined
 * (test_cookie_ipv4_mac_layout).
 */
static void test_cookie_check_cost(void **state)
{
	const uint64_t now = T0_MS + 5 * PERIOD + 17;
	struct tt_syncookie_keys k;
	uint16_t mss;

	(void)state;
	keys_at(&k, &secret_a, PERIOD, now);
	for (unsigned int age = 0; age < 4; age++) {
		uint32_t made = make6_at(&secret_a, &flow_a, &pair_a, PEER_ISN, 1460, NULL,
					 now - age * PERIOD, &mss);
		uint32_t forged = made ^ 0x80000000;

		siphash_calls = 0;
		assert_int_equal(
		    tt_syncookie_check(&k, &flow_a, &pair_a, PEER_ISN, made, NULL, now, &mss, NULL),
		    age <= 1 ? TT_SYNCOOKIE_VALID : TT_SYNCOOKIE_EXPIRED);
		assert_int_equal(siphash_calls, 1);
		siphash_calls = 0;
		assert_int_equal(tt_syncookie_check(&k, &flow_a, &pair_a, PEER_ISN, forged, NULL,
						    now, &mss, NULL),
				 TT_SYNCOOKIE_BAD_HASH);
		assert_int_equal(siphash_calls, 1);
	}
	siphash_calls = 0;
	tt_syncookie_make(&k, &flow_a, &pair_a, PEER_ISN, 1460, NULL, now, &mss, NULL);
	assert_int_equal(siphash_calls, 1);
}

/*
 * The key of a new counter is derived (two SipHash calls) once, by the
 * first packet of its period; the keys already cached move along with it.
 */
static void test_cookie_rotation_cost(void **state)
{
	const uint64_t start = T0_MS + 5 * PERIOD; /* a period start */
	struct tt_syncookie_keys k;
	uint16_t mss;
	uint32_t c;

	(void)state;
	keys_at(&k, &secret_a, PERIOD, start + 17);
	c = tt_syncookie_make(&k, &flow_a, &pair_a, PEER_ISN, 1460, NULL, start + 17, &mss, NULL);
	for (unsigned int t = 0; t < 4; t++) {
		siphash_calls = 0;
		tt_syncookie_check(&k, &flow_a, &pair_a, PEER_ISN, t << 3, NULL, start + PERIOD,
				   &mss, NULL);
		assert_int_equal(siphash_calls, t == 0 ? 2 + 1 : 1);
	}
	siphash_calls = 0;
	assert_int_equal(tt_syncookie_check(&k, &flow_a, &pair_a, PEER_ISN, c, NULL,
					    start + 2 * PERIOD - 1, &mss, NULL),
			 TT_SYNCOOKIE_VALID);
	tt_syncookie_make(&k, &flow_a, &pair_a, PEER_ISN, 1460, NULL, start + 2 * PERIOD - 1, &mss,
			  NULL);
	assert_int_equal(siphash_calls, 2);
	/* Two periods later: two keys, not four. */
	siphash_calls = 0;
	assert_int_equal(tt_syncookie_check(&k, &flow_a, &pair_a, PEER_ISN, c, NULL,
					    start + 3 * PERIOD, &mss, NULL),
			 TT_SYNCOOKIE_EXPIRED);
	assert_int_equal(siphash_calls, 2 * 2 + 1);
}

static void test_ts_roundtrip(void **state)
{
	static const uint32_t now[] = {0,	   1,	       62,	   63,	       64,
				       65,	   127,	       0x12345678, 0x7fffffff, 0x80000000,
				       0xffffffc0, 0xfffffffe, 0xffffffff};

	(void)state;
	for (size_t n = 0; n < ARRAY_LEN(now); n++) {
		for (unsigned int ws = 0; ws <= 15; ws++) {
			for (unsigned int sack = 0; sack <= 1; sack++) {
				/* ws == 15 stands for "no Window Scale option" */
				const struct tt_syncookie_opts in = {
				    .wscale = ws == 15 ? 0 : (uint8_t)ws,
				    .wscale_ok = ws != 15,
				    .sack_ok = sack,
				};
				struct tt_syncookie_opts out = {.wscale = 99};
				uint32_t ts = tt_syncookie_ts_encode(now[n], &in);

				uint32_t plain = (now[n] & ~0x3fu) | ws | sack << 4;

				/* never ahead of our clock, at most 63 ticks behind (127 where
				 * the TSval would be 0), never 0 */
				assert_int_not_equal(ts, 0);
				assert_true((uint32_t)(now[n] - ts) < (plain == 0 ? 128u : 64u));
				if (now[n] >= 63 && plain != 0)
					assert_true(ts <= now[n]);
				assert_int_equal(ts & 0x3f, ws | sack << 4);
				/* what the cookie's MAC covers, known without the clock */
				assert_int_equal(tt_syncookie_ts_opts(&in), ts & 0x3f);
				assert_true(tt_syncookie_ts_decode(ts, &out));
				assert_int_equal(out.wscale_ok, in.wscale_ok);
				assert_int_equal(out.wscale, in.wscale);
				assert_int_equal(out.sack_ok, in.sack_ok);
			}
		}
	}
}

static void test_ts_clamp_and_decode(void **state)
{
	static const struct {
		uint32_t tsecr;
		bool ok;
		uint8_t wscale;
		bool wscale_ok, sack_ok;
	} cases[] = {
	    {0x00000000, true, 0, true, false},	  {0x0000000e, true, 14, true, false},
	    {0x0000000f, true, 0, false, false},  {0x0000001f, true, 0, false, true},
	    {0xabcdef53, true, 3, true, true},	  {0x00000020, false, 0, false, false},
	    {0x0000003f, false, 0, false, false}, {0xffffffe7, false, 0, false, false},
	};
	const struct tt_syncookie_opts big = {.wscale = 200, .wscale_ok = true};
	struct tt_syncookie_opts out;

	(void)state;
	assert_int_equal(tt_syncookie_ts_encode(1000, &big) & 0x3f, 14);
	assert_int_equal(tt_syncookie_ts_opts(&big), 14);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(tt_syncookie_ts_decode(cases[i].tsecr, &out), cases[i].ok);
		if (!cases[i].ok)
			continue;
		assert_int_equal(out.wscale, cases[i].wscale);
		assert_int_equal(out.wscale_ok, cases[i].wscale_ok);
		assert_int_equal(out.sack_ok, cases[i].sack_ok);
	}
}

static const struct tt_isn_secret isn_secret = {.key = PAPER_KEY};

/* ISN = now_us / 4 + low 32 bits of SipHash(key, packed flow), from the Python model. */
static void test_isn_known_answer(void **state)
{
	(void)state;
	assert_int_equal(tt_isn_make(&isn_secret, &flow_a, NULL, UINT64_C(1700000000123456)),
			 0x411a2f57);
}

/* The ISN's offset F and the timestamp offset as tt_isn.h documents them, over packed bytes. */
static uint32_t isn_offset_by_layout(const struct tt_isn_secret *s, const struct tt_flow4 *f,
				     const struct tt_addr6_pair *a6)
{
	uint8_t in[TT_FLOW_PACKED_MAX];

	return (uint32_t)tt_siphash(&s->key, in, tt_flow_pack(f, a6, in));
}

static uint32_t ts_offset_by_layout(const struct tt_isn_secret *s, const struct tt_flow4 *f,
				    const struct tt_addr6_pair *a6)
{
	uint8_t in[TT_FLOW_PACKED_MAX];

	return (uint32_t)(tt_siphash(&s->key, in, tt_flow_pack(f, a6, in)) >> 32);
}

static void assert_isn_layout(const struct tt_isn_secret *s, const struct tt_flow4 *f,
			      const struct tt_addr6_pair *a6, uint64_t now_us)
{
	assert_int_equal(tt_isn_make(s, f, a6, now_us),
			 (uint32_t)(now_us / TT_ISN_TICK_US) + isn_offset_by_layout(s, f, a6));
	assert_int_equal(tt_isn_ts_offset(s, f, a6), ts_offset_by_layout(s, f, a6));
}

/*
 * The IPv4 ISN and timestamp offset are computed from the fields without packing them: every
 * bit of every field must land where the byte layout puts it, for the all-zero and all-ones
 * fields, each field alone at its maximum, and random flows, keys and clocks.
 */
static void test_isn_ipv4_layout(void **state)
{
	static const struct tt_flow4 edges[] = {
	    {0, 0, 0, 0},	   {UINT32_MAX, UINT32_MAX, UINT16_MAX, UINT16_MAX},
	    {UINT32_MAX, 0, 0, 0}, {0, UINT32_MAX, 0, 0},
	    {0, 0, UINT16_MAX, 0}, {0, 0, 0, UINT16_MAX},
	    {0, 0, 1, 0},	   {0, 0, 0, 1},
	};
	uint64_t rng = 9;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(edges); i++) {
		assert_isn_layout(&isn_secret, &edges[i], NULL, 0);
		assert_isn_layout(&isn_secret, &edges[i], NULL, UINT64_MAX);
	}
	for (unsigned int i = 0; i < 4096; i++) {
		const struct tt_isn_secret s = {.key = {splitmix64(&rng), splitmix64(&rng)}};
		struct tt_flow4 f = random_flow(&rng);

		assert_isn_layout(&s, &f, NULL, splitmix64(&rng));
	}
}

/* The IPv6 forms feed every address byte: pair_a, all-zero, all-ones and random addresses. */
static void test_isn_ipv6_layout(void **state)
{
	struct tt_addr6_pair a6;
	uint64_t rng = 13;

	(void)state;
	assert_isn_layout(&isn_secret, &flow_a, &pair_a, 123456789);
	memset(&a6, 0, sizeof(a6));
	assert_isn_layout(&isn_secret, &(struct tt_flow4){0}, &a6, 0);
	memset(&a6, 0xff, sizeof(a6));
	assert_isn_layout(&isn_secret, &(struct tt_flow4){.sport = UINT16_MAX, .dport = UINT16_MAX},
			  &a6, UINT64_MAX);
	for (unsigned int i = 0; i < 1024; i++) {
		const struct tt_isn_secret s = {.key = {splitmix64(&rng), splitmix64(&rng)}};
		struct tt_flow4 f = {.sport = (uint16_t)splitmix64(&rng),
				     .dport = (uint16_t)splitmix64(&rng)};

		for (size_t b = 0; b < sizeof(a6.saddr); b++) {
			a6.saddr[b] = (uint8_t)splitmix64(&rng);
			a6.daddr[b] = (uint8_t)splitmix64(&rng);
		}
		assert_isn_layout(&s, &f, &a6, splitmix64(&rng));
	}
}

static void test_isn_differs_across_flows(void **state)
{
	static const struct tt_flow4 flows[] = {
	    {0xc0000201, 0xc6336407, 40000, 443},
	    {0xc0000202, 0xc6336407, 40000, 443},
	    {0xc0000201, 0xc6336408, 40000, 443},
	    {0xc0000201, 0xc6336407, 40001, 443},
	    {0xc0000201, 0xc6336407, 40000, 444},
	    {0xc6336407, 0xc0000201, 443, 40000},
	    {0, 0, 0, 0},
	};
	uint32_t isn[ARRAY_LEN(flows)];
	const struct tt_isn_secret other = {.key = secret_b.master};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(flows); i++) {
		isn[i] = tt_isn_make(&isn_secret, &flows[i], NULL, 123456789);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(isn[i], isn[j]);
		assert_int_not_equal(isn[i], tt_isn_make(&other, &flows[i], NULL, 123456789));
	}
}

static void test_isn_grows_with_time(void **state)
{
	static const struct {
		uint64_t dt_us;
		uint32_t want_delta;
	} cases[] = {
	    {0, 0},
	    {3, 0},
	    {4, 1},
	    {1000, 250},
	    {1000000, 250000},
	    {UINT64_C(4) << 31, UINT32_C(1) << 31},
	    {UINT64_C(4) << 32, 0}, /* M wraps every 2^32 ticks, 4.77 h */
	};
	const uint64_t t0 = 4 * UINT64_C(0x123456789);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint32_t a = tt_isn_make(&isn_secret, &flow_a, NULL, t0);
		uint32_t b = tt_isn_make(&isn_secret, &flow_a, NULL, t0 + cases[i].dt_us);

		assert_int_equal((uint32_t)(b - a), cases[i].want_delta);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash_vectors),
	    cmocka_unit_test(test_siphash_blocks_match_bytes),
	    cmocka_unit_test(test_cookie_known_answer),
	    cmocka_unit_test(test_cookie_mss_roundtrip),
	    cmocka_unit_test(test_cookie_expiry),
	    cmocka_unit_test(test_cookie_period),
	    cmocka_unit_test(test_cookie_lifetime_within_time_wait),
	    cmocka_unit_test(test_cookie_random_value),
	    cmocka_unit_test(test_cookie_shared_secret),
	    cmocka_unit_test(test_cookie_wrong_secret),
	    cmocka_unit_test(test_cookie_changed_field),
	    cmocka_unit_test(test_cookie_swapped_flow),
	    cmocka_unit_test(test_cookie_bit_flip),
	    cmocka_unit_test(test_cookie_forgery),
	    cmocka_unit_test(test_cookie_ts_bits),
	    cmocka_unit_test(test_cookie_no_ts_takes_none),
	    cmocka_unit_test(test_cookie_check_cost),
	    cmocka_unit_test(test_cookie_rotation_cost),
	    cmocka_unit_test(test_cookie_ipv4_mac_layout),
	    cmocka_unit_test(test_cookie_ts_offset),
	    cmocka_unit_test(test_ts_roundtrip),
	    cmocka_unit_test(test_ts_clamp_and_decode),
	    cmocka_unit_test(test_isn_known_answer),
	    cmocka_unit_test(test_isn_ipv4_layout),
	    cmocka_unit_test(test_isn_ipv6_layout),
	    cmocka_unit_test(test_isn_differs_across_flows),
	    cmocka_unit_test(test_isn_grows_with_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
