/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_pmtu_cache: nothing kept at first at any clock; an entry is its address's alone (another
 * IPv4 or IPv6 address, one sharing its slot included, finds nothing) for TT_PMTU_CACHE_MS from
 * its writing, to the millisecond, even at the clock's end; a newer entry for the same address
 * or its slot replaces it; an IPv4 address is its IPv4-mapped IPv6 one; the secret key chooses
 * the slots.  How the state machine uses it is test_tcp.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tt_pmtu_cache.h"

static const struct tt_siphash_key key = {0x0123456789abcdefu, 0xfedcba9876543210u};
static const struct tt_siphash_key other_key = {0x1111111111111111u, 0x2222222222222222u};

static struct tt_pmtu_cache cache;

static int reset(void **state)
{
	(void)state;
	memset(&cache, 0, sizeof(cache));
	return 0;
}

static uint16_t get4(const struct tt_siphash_key *k, uint64_t now_ms, uint32_t saddr)
{
	return tt_pmtu_cache_get(&cache, k, now_ms, saddr, NULL);
}

/* An IPv4 address (not a) whose entry takes a's slot under k. */
static uint32_t same_slot_as(const struct tt_siphash_key *k, uint32_t a)
{
	for (uint32_t b = a + 1;; b++) {
		memset(&cache, 0, sizeof(cache));
		tt_pmtu_cache_put(&cache, k, 0, a, NULL, 1000);
		tt_pmtu_cache_put(&cache, k, 0, b, NULL, 1100);
		if (get4(k, 0, a) == 0)
			return b;
	}
}

static void test_empty(void **state)
{
	static const uint64_t clocks[] = {0, 1, TT_PMTU_CACHE_MS, UINT64_MAX - 1, UINT64_MAX};
	static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	(void)state;
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		assert_int_equal(get4(&key, clocks[i], 0), 0);
		assert_int_equal(get4(&key, clocks[i], 0xc6120001u), 0);
		assert_int_equal(tt_pmtu_cache_get(&cache, &key, clocks[i], 0, a6), 0);
	}
}

static void test_kept_for_its_time(void **state)
{
	static const uint64_t starts[] = {0, 1, 123456789, UINT64_MAX - TT_PMTU_CACHE_MS - 1};
	static const uint64_t ends[] = {UINT64_MAX - TT_PMTU_CACHE_MS, UINT64_MAX - 1};

	(void)state;
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		uint64_t t0 = starts[i];

		memset(&cache, 0, sizeof(cache));
		tt_pmtu_cache_put(&cache, &key, t0, 0xc6120002u, NULL, 1000);
		assert_int_equal(get4(&key, t0, 0xc6120002u), 1000);
		assert_int_equal(get4(&key, t0 + TT_PMTU_CACHE_MS - 1, 0xc6120002u), 1000);
		assert_int_equal(get4(&key, t0 + TT_PMTU_CACHE_MS, 0xc6120002u), 0);
		assert_int_equal(get4(&key, t0, 0xc6120003u), 0);
		assert_int_equal(get4(&key, t0, 0), 0);
	}
	/* Written near the clock's end: kept to its end (before UINT64_MAX), not wrapped into the
	 * past. */
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		memset(&cache, 0, sizeof(cache));
		tt_pmtu_cache_put(&cache, &key, ends[i], 9, NULL, 1280);
		assert_int_equal(get4(&key, ends[i], 9), 1280);
		assert_int_equal(get4(&key, UINT64_MAX - 1, 9), 1280);
		assert_int_equal(get4(&key, UINT64_MAX, 9), 0);
	}
}

static void test_newer_entry_replaces(void **state)
{
	(void)state;
	tt_pmtu_cache_put(&cache, &key, 100, 7, NULL, 1400);
	tt_pmtu_cache_put(&cache, &key, 200, 7, NULL, 1200);
	assert_int_equal(get4(&key, 200, 7), 1200);
	/* Its time runs from the newer writing. */
	assert_int_equal(get4(&key, 100 + TT_PMTU_CACHE_MS, 7), 1200);
	assert_int_equal(get4(&key, 200 + TT_PMTU_CACHE_MS, 7), 0);
}

static void test_slot_shared(void **state)
{
	uint32_t b = same_slot_as(&key, 7);

	(void)state;
	/* b took a's slot: a finds nothing (not b's MTU), b its own. */
	assert_int_equal(get4(&key, 0, 7), 0);
	assert_int_equal(get4(&key, 0, b), 1100);
	/* Under another key the two are apart (the slots are the secret's). */
	memset(&cache, 0, sizeof(cache));
	tt_pmtu_cache_put(&cache, &other_key, 0, 7, NULL, 1000);
	tt_pmtu_cache_put(&cache, &other_key, 0, b, NULL, 1100);
	assert_int_equal(get4(&other_key, 0, 7), 1000);
	assert_int_equal(get4(&other_key, 0, b), 1100);
	assert_int_equal(get4(&key, 0, 7), 0);
}

static void test_ipv6(void **state)
{
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, b6[16];
	static const uint8_t mapped7[16] = {[10] = 0xff, [11] = 0xff, [15] = 7};

	(void)state;
	memcpy(b6, a6, 16);
	b6[0] ^= 0x80;
	tt_pmtu_cache_put(&cache, &key, 0, 0, a6, 1300);
	assert_int_equal(tt_pmtu_cache_get(&cache, &key, 0, 0, a6), 1300);
	/* Another address, the first bit or the last apart; and the IPv4 address the hash of. */
	assert_int_equal(tt_pmtu_cache_get(&cache, &key, 0, 0, b6), 0);
	b6[0] ^= 0x80;
	b6[15] ^= 1;
	assert_int_equal(tt_pmtu_cache_get(&cache, &key, 0, 0, b6), 0);
	assert_int_equal(get4(&key, 0, 0), 0);
	/* An IPv4 address is its mapped form. */
	tt_pmtu_cache_put(&cache, &key, 0, 7, NULL, 900);
	assert_int_equal(tt_pmtu_cache_get(&cache, &key, 0, 0, mapped7), 900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_empty, reset),
	    cmocka_unit_test_setup(test_kept_for_its_time, reset),
	    cmocka_unit_test_setup(test_newer_entry_replaces, reset),
	    cmocka_unit_test_setup(test_slot_shared, reset),
	    cmocka_unit_test_setup(test_ipv6, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
