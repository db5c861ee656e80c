#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tt_isn.h"
#include "tt_siphash.h"
#include "tt_syncookie.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The key 00 01 .. 0f of the SipHash paper's test vectors, read little-endian. */
static const struct tt_siphash_key paper_key = {
    .k0 = UINT64_C(0x0706050403020100),
    .k1 = UINT64_C(0x0f0e0d0c0b0a0908),
};

static const struct tt_syncookie_secret secret_a = {.master = paper_key};
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

enum {
	PERIOD = TT_SYNCOOKIE_PERIOD_MS,
	T0_MS = 1000 * PERIOD, /* start of a period, counter & 3 == 0 */
	PEER_ISN = 0x01020304,
};

/* Deterministic generator so a failing run can be replayed (splitmix64). */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t make_at(const struct tt_syncookie_secret *s, const struct tt_flow4 *f, uint32_t isn,
			uint16_t peer_mss, uint64_t now_ms, uint16_t *mss)
{
	struct tt_syncookie_keys k;

	tt_syncookie_keys_init(&k, s, now_ms);
	return tt_syncookie_make(&k, f, isn, peer_mss, now_ms, mss);
}

static enum tt_syncookie_verdict check_at(const struct tt_syncookie_secret *s,
					  const struct tt_flow4 *f, uint32_t isn, uint32_t cookie,
					  uint64_t now_ms, uint16_t *mss)
{
	struct tt_syncookie_keys k;

	tt_syncookie_keys_init(&k, s, now_ms);
	return tt_syncookie_check(&k, f, isn, cookie, now_ms, mss);
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
 * Known answers computed from the documented layout by a separate Python
 * model; a change here breaks cookie agreement between nodes of different
 * versions, so it must be deliberate.
 */
static void test_cookie_known_answer(void **state)
{
	static const struct {
		uint32_t isn;
		uint16_t peer_mss;
		uint64_t now_ms;
		uint32_t want;
	} cases[] = {
	    {0x01020304, 1460, UINT64_C(1700000000000), 0x65aff746},
	    {0xfffffffe, 0, 5, 0x20e2f3a0},
	};
	uint16_t mss;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(make_at(&secret_a, &flow_a, cases[i].isn, cases[i].peer_mss,
					 cases[i].now_ms, &mss),
				 cases[i].want);
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
		    make_at(&secret_a, &flow_a, PEER_ISN, cases[i].peer_mss, T0_MS + 7, &mss);

		assert_int_equal(mss, cases[i].want_mss);
		assert_int_equal(c & 7, cases[i].want_idx);
		assert_int_equal((c >> 3) & 3, (T0_MS / PERIOD) & 3);
		assert_int_equal(check_at(&secret_a, &flow_a, PEER_ISN, c, T0_MS + 9, &got),
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
	    /* made at the start of a period: valid for 128 s */
	    {T0_MS, T0_MS, TT_SYNCOOKIE_VALID},
	    {T0_MS, T0_MS + 63000, TT_SYNCOOKIE_VALID},
	    {T0_MS, T0_MS + 64000, TT_SYNCOOKIE_VALID},
	    {T0_MS, T0_MS + 127000, TT_SYNCOOKIE_VALID},
	    {T0_MS, T0_MS + 127999, TT_SYNCOOKIE_VALID},
	    {T0_MS, T0_MS + 128000, TT_SYNCOOKIE_EXPIRED},
	    {T0_MS, T0_MS + 191999, TT_SYNCOOKIE_EXPIRED},
	    {T0_MS, T0_MS + 255999, TT_SYNCOOKIE_EXPIRED},
	    /* counter + 4 shares the low bits: no longer recognisable */
	    {T0_MS, T0_MS + 256000, TT_SYNCOOKIE_BAD_HASH},
	    /* made at the end of a period: valid for 64 s only */
	    {T0_MS + 63999, T0_MS + 127999, TT_SYNCOOKIE_VALID},
	    {T0_MS + 63999, T0_MS + 128000, TT_SYNCOOKIE_EXPIRED},
	    /* from the future (clock went back a period) */
	    {T0_MS + 64000, T0_MS, TT_SYNCOOKIE_BAD_HASH},
	    /* counter 0: the previous counter wraps */
	    {0, 0, TT_SYNCOOKIE_VALID},
	    {0, 127999, TT_SYNCOOKIE_VALID},
	    {0, 128000, TT_SYNCOOKIE_EXPIRED},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tt_syncookie_keys k;
		uint16_t mss, got = 0;
		uint32_t c;

		/* A cache that lives across the whole interval ... */
		tt_syncookie_keys_init(&k, &secret_a, cases[i].make_ms);
		c = tt_syncookie_make(&k, &flow_a, PEER_ISN, 1460, cases[i].make_ms, &mss);
		assert_int_equal(
		    tt_syncookie_check(&k, &flow_a, PEER_ISN, c, cases[i].check_ms, &got),
		    cases[i].want);
		/* ... and one built at check time must agree. */
		assert_int_equal(check_at(&secret_a, &flow_a, PEER_ISN, c, cases[i].check_ms, &got),
				 cases[i].want);
		if (cases[i].want == TT_SYNCOOKIE_VALID)
			assert_int_equal(got, 1460);
	}
}

static void test_cookie_random_value(void **state)
{
	static const uint32_t junk[] = {0, 1, 0xffffffff, 0xdeadbeef, 0x65aff746 ^ 0x80000000};
	uint16_t mss;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(junk); i++)
		assert_int_equal(check_at(&secret_a, &flow_a, PEER_ISN, junk[i], T0_MS, &mss),
				 TT_SYNCOOKIE_BAD_HASH);
}

/* Two nodes behind ECMP: same master, caches built at different times. */
static void test_cookie_shared_secret(void **state)
{
	struct tt_syncookie_keys node1, node2;
	uint16_t mss, got = 0;
	uint32_t c;

	(void)state;
	tt_syncookie_keys_init(&node1, &secret_a, T0_MS - 5 * PERIOD);
	tt_syncookie_keys_init(&node2, &secret_a, T0_MS + 3);
	c = tt_syncookie_make(&node1, &flow_a, PEER_ISN, 1452, T0_MS + 10, &mss);
	assert_int_equal(tt_syncookie_check(&node2, &flow_a, PEER_ISN, c, T0_MS + 90000, &got),
			 TT_SYNCOOKIE_VALID);
	assert_int_equal(got, 1452);
}

static void test_cookie_wrong_secret(void **state)
{
	static const uint64_t offsets_ms[] = {0, 70000, 130000, 200000};
	uint16_t mss;
	uint32_t c = make_at(&secret_a, &flow_a, PEER_ISN, 1460, T0_MS, &mss);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(offsets_ms); i++)
		assert_int_equal(
		    check_at(&secret_b, &flow_a, PEER_ISN, c, T0_MS + offsets_ms[i], &mss),
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
	uint32_t c = make_at(&secret_a, &flow_a, PEER_ISN, 1460, T0_MS, &mss);

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tt_flow4 f = flow_a;

		f.saddr ^= cases[i].saddr_xor;
		f.daddr ^= cases[i].daddr_xor;
		f.sport = (uint16_t)(f.sport + cases[i].sport_add);
		f.dport = (uint16_t)(f.dport + cases[i].dport_add);
		assert_int_equal(
		    check_at(&secret_a, &f, PEER_ISN + cases[i].isn_add, c, T0_MS + 1, &mss),
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
	uint32_t c = make_at(&secret_a, &flow_a, PEER_ISN, 1460, T0_MS, &mss);

	(void)state;
	assert_int_equal(check_at(&secret_a, &rev, PEER_ISN, c, T0_MS, &mss),
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
		uint32_t isn = (uint32_t)next_rand(&rng);
		uint16_t mss;
		uint32_t c;

		f.saddr = (uint32_t)next_rand(&rng);
		c = make_at(&secret_a, &f, isn, 1380, make_ms[t], &mss);
		for (unsigned int bit = 0; bit < 32; bit++) {
			enum tt_syncookie_verdict v = check_at(
			    &secret_a, &f, isn, c ^ (UINT32_C(1) << bit), make_ms[t] + 1000, &mss);

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
	tt_syncookie_keys_init(&k, &secret_a, T0_MS);
	for (unsigned int i = 0; i < GUESSES; i++) {
		uint64_t r = next_rand(&rng);
		struct tt_flow4 f = flow_a;
		enum tt_syncookie_verdict v;

		f.sport = (uint16_t)r;
		v = tt_syncookie_check(&k, &f, (uint32_t)(r >> 16), (uint32_t)(r >> 32),
				       T0_MS + (i & 0xffff), &mss);
		valid += v == TT_SYNCOOKIE_VALID;
		expired += v == TT_SYNCOOKIE_EXPIRED;
	}
	assert_int_equal(valid, 0);
	assert_int_equal(expired, 0);
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

				/* never ahead of our clock, at most 63 ticks behind */
				assert_true((uint32_t)(now[n] - ts) < 64);
				if (now[n] >= 63)
					assert_true(ts <= now[n]);
				assert_int_equal(ts & 0x3f, ws | sack << 4);
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
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(tt_syncookie_ts_decode(cases[i].tsecr, &out), cases[i].ok);
		if (!cases[i].ok)
			continue;
		assert_int_equal(out.wscale, cases[i].wscale);
		assert_int_equal(out.wscale_ok, cases[i].wscale_ok);
		assert_int_equal(out.sack_ok, cases[i].sack_ok);
	}
}

static const struct tt_isn_secret isn_secret = {.key = paper_key};

/* ISN = now_us / 4 + low 32 bits of SipHash(key, packed flow), from the Python model. */
static void test_isn_known_answer(void **state)
{
	(void)state;
	assert_int_equal(tt_isn_make(&isn_secret, &flow_a, UINT64_C(1700000000123456)), 0x411a2f57);
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
		isn[i] = tt_isn_make(&isn_secret, &flows[i], 123456789);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(isn[i], isn[j]);
		assert_int_not_equal(isn[i], tt_isn_make(&other, &flows[i], 123456789));
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
		uint32_t a = tt_isn_make(&isn_secret, &flow_a, t0);
		uint32_t b = tt_isn_make(&isn_secret, &flow_a, t0 + cases[i].dt_us);

		assert_int_equal((uint32_t)(b - a), cases[i].want_delta);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash_vectors),
	    cmocka_unit_test(test_cookie_known_answer),
	    cmocka_unit_test(test_cookie_mss_roundtrip),
	    cmocka_unit_test(test_cookie_expiry),
	    cmocka_unit_test(test_cookie_random_value),
	    cmocka_unit_test(test_cookie_shared_secret),
	    cmocka_unit_test(test_cookie_wrong_secret),
	    cmocka_unit_test(test_cookie_changed_field),
	    cmocka_unit_test(test_cookie_swapped_flow),
	    cmocka_unit_test(test_cookie_bit_flip),
	    cmocka_unit_test(test_cookie_forgery),
	    cmocka_unit_test(test_ts_roundtrip),
	    cmocka_unit_test(test_ts_clamp_and_decode),
	    cmocka_unit_test(test_isn_known_answer),
	    cmocka_unit_test(test_isn_differs_across_flows),
	    cmocka_unit_test(test_isn_grows_with_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
