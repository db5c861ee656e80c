/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_reply_budget: TT_REPLY_BUDGET_PER_MS tokens a millisecond to a bucket, from a zeroed
 * budget at any clock (0, the largest, across the wrap, a clock stepped back); sources of one
 * bucket share them and sources of another do not; an IPv6 source's bucket is its /64's; the
 * secret key chooses the buckets.  How the stack spends them is test_stack.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tt_reply_budget.h"

static const struct tt_siphash_key key = {0x0123456789abcdefu, 0xfedcba9876543210u};

/* Tokens the IPv4 source saddr gets at now_ms before one is refused. */
static unsigned take_all(struct tt_reply_budget *b, const struct tt_siphash_key *k, uint64_t now_ms,
			 uint32_t saddr, const uint8_t *saddr6)
{
	unsigned n = 0;

	while (n <= TT_REPLY_BUDGET_PER_MS && tt_reply_budget_take(b, k, now_ms, saddr, saddr6))
		n++;
	return n;
}

static void test_tokens_a_millisecond(void **state)
{
	static const uint64_t clocks[] = {0, 1, UINT64_MAX - 1, UINT64_MAX};
	struct tt_reply_budget b;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++)
		assert_int_equal(take_all(&b, &key, clocks[i], 7, NULL), TT_REPLY_BUDGET_PER_MS);
	/* Across the wrap, and with the clock stepped back, a millisecond is a new one. */
	assert_int_equal(take_all(&b, &key, 0, 7, NULL), TT_REPLY_BUDGET_PER_MS);
	assert_int_equal(take_all(&b, &key, 0, 7, NULL), 0);
	/* One token less taken: one left. */
	memset(&b, 0, sizeof(b));
	for (unsigned i = 0; i + 1 < TT_REPLY_BUDGET_PER_MS; i++)
		assert_true(tt_reply_budget_take(&b, &key, 5, 7, NULL));
	assert_int_equal(take_all(&b, &key, 5, 7, NULL), 1);
}

/* Whether sources a and b (IPv6: a6 and b6) share a bucket: all of a's tokens taken in one ms
 * leave none to b. */
static bool same_bucket(const struct tt_siphash_key *k, uint32_t a, const uint8_t *a6, uint32_t b,
			const uint8_t *b6)
{
	struct tt_reply_budget budget;

	memset(&budget, 0, sizeof(budget));
	assert_int_equal(take_all(&budget, k, 9, a, a6), TT_REPLY_BUDGET_PER_MS);
	return !tt_reply_budget_take(&budget, k, 9, b, b6);
}

/* Of 1,000 other sources, about 1 in TT_REPLY_BUDGET_BUCKETS shares a source's bucket; another
 * key puts a different set there. */
static void test_sources_spread(void **state)
{
	const struct tt_siphash_key other = {key.k0 + 1, key.k1};
	unsigned shared = 0, moved = 0;

	(void)state;
	for (uint32_t s = 1; s <= 1000; s++) {
		bool same = same_bucket(&key, 0, NULL, s, NULL);

		shared += same;
		moved += same != same_bucket(&other, 0, NULL, s, NULL);
	}
	assert_true(shared >= 3 && shared <= 60);
	assert_true(moved >= 3);
}

/* An IPv6 source is its /64: the low half of the address does not choose the bucket, the /64
 * does. */
static void test_ipv6_by_64(void **state)
{
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, b[16];
	unsigned shared = 0;

	(void)state;
	memcpy(b, a, 16);
	for (int i = 0; i < 100; i++) {
		b[8 + i % 8] = (uint8_t)(b[8 + i % 8] + 37);
		assert_true(same_bucket(&key, 0, a, 0, b));
	}
	memcpy(b, a, 16);
	for (uint32_t p = 1; p <= 1000; p++) {
		b[6] = (uint8_t)(p >> 8);
		b[7] = (uint8_t)p;
		shared += same_bucket(&key, 0, a, 0, b);
	}
	assert_true(shared >= 3 && shared <= 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokens_a_millisecond),
	    cmocka_unit_test(test_sources_spread),
	    cmocka_unit_test(test_ipv6_by_64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
