/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_conn_tbl with keys of one 32-bit hash (one tag), found by a birthday
 * search: the table holds hashes, not keys, so only the key compare
 * with the key a value names tells such keys apart, one by one and in a burst.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tt_conn_tbl.h"

#include "flow_harness.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * n pairs of distinct 4-tuples whose hashes in t are equal, written to out[2 * i] and
 * out[2 * i + 1]: a birthday search over 2^19 random tuples, which holds about 32 such pairs
 * (2^38 / 2^33).  Each tuple's hash and number are sorted together, so equal hashes end up side by
 * side.
 */
static void colliding_pairs(const struct tt_conn_tbl *t, uint64_t seed, struct tt_flow4 *out,
			    unsigned n)
{
	enum { TRIES = 1u << 19 };
	struct tt_flow4 *f = malloc(TRIES * sizeof(*f));
	uint64_t *by_hash = malloc(TRIES * sizeof(*by_hash));
	unsigned found = 0;

	assert_non_null(f);
	assert_non_null(by_hash);
	for (uint32_t i = 0; i < TRIES; i++) {
		f[i] = random_flow(&seed);
		by_hash[i] = (uint64_t)tt_conn_tbl_hash(t, &f[i]) << 32 | i;
	}
	qsort(by_hash, TRIES, sizeof(*by_hash), cmp_u64);
	for (uint32_t i = 1; i < TRIES && found < n; i++) {
		const struct tt_flow4 *a = &f[(uint32_t)by_hash[i - 1]],
				      *b = &f[(uint32_t)by_hash[i]];

		if (by_hash[i - 1] >> 32 != by_hash[i] >> 32 || memcmp(a, b, sizeof(*a)) == 0)
			continue;
		out[2 * found] = *a;
		out[2 * found + 1] = *b;
		found++;
	}
	assert_int_equal(found, n);
	free(f);
	free(by_hash);
}

/*
 * Two keys of one tag: each is found as itself whichever sits first in the run, the second
 * insert is not taken for a duplicate, and deleting, updating or deleting by value one of them
 * leaves the other as it was.
 */
static void test_tbl_tag_collision(void **state)
{
	struct tt_flow4 keys[2] = {{0}};
	const struct tt_flow4 *a = &keys[0], *b = &keys[1];
	struct tt_conn_tbl *t = tbl_create(64, 41, keys);
	uint32_t hash;
	(void)state;

	assert_non_null(t);
	colliding_pairs(t, 43, keys, 1);
	hash = tt_conn_tbl_hash(t, a);
	assert_int_equal(tt_conn_tbl_hash(t, b), hash);

	assert_int_equal(tt_conn_tbl_insert(t, a, 0), 0);
	assert_int_equal(tt_conn_tbl_lookup(t, b), TT_CONN_NONE);
	assert_int_equal(tt_conn_tbl_update(t, b, val(1, 1)), -ENOENT);
	assert_int_equal(tt_conn_tbl_delete(t, b), -ENOENT);
	assert_int_equal(tt_conn_tbl_insert(t, b, 1), 0);
	assert_int_equal(tt_conn_tbl_count(t), 2);
	assert_int_equal(tt_conn_tbl_max_probe(t), 2); /* one home */
	assert_int_equal(tt_conn_tbl_insert(t, a, val(0, 1)), -EEXIST);
	assert_int_equal(tt_conn_tbl_insert(t, b, val(1, 1)), -EEXIST);
	assert_int_equal(tt_conn_tbl_update(t, b, val(1, 5)), 0);
	assert_int_equal(tt_conn_tbl_lookup(t, a), 0);
	assert_int_equal(tt_conn_tbl_lookup(t, b), val(1, 5));

	/* b moves back to the home; a comes in behind it, so b is a's first candidate. */
	assert_int_equal(tt_conn_tbl_delete(t, a), 0);
	assert_int_equal(tt_conn_tbl_lookup(t, a), TT_CONN_NONE);
	assert_int_equal(tt_conn_tbl_lookup(t, b), val(1, 5));
	assert_int_equal(tt_conn_tbl_max_probe(t), 1);
	assert_int_equal(tt_conn_tbl_insert(t, a, 0), 0);
	assert_int_equal(tt_conn_tbl_lookup(t, a), 0);
	assert_int_equal(tt_conn_tbl_update(t, a, val(0, 7)), 0);
	assert_int_equal(tt_conn_tbl_lookup(t, b), val(1, 5));
	assert_int_equal(tt_conn_tbl_delete(t, b), 0);
	assert_int_equal(tt_conn_tbl_lookup(t, a), val(0, 7));
	assert_int_equal(tt_conn_tbl_lookup(t, b), TT_CONN_NONE);

	/* By value: the tag and the value single one of the two out. */
	assert_int_equal(tt_conn_tbl_insert(t, b, 1), 0);
	assert_int_equal(tt_conn_tbl_delete_value(t, hash, val(0, 7)), 0);
	assert_int_equal(tt_conn_tbl_lookup(t, a), TT_CONN_NONE);
	assert_int_equal(tt_conn_tbl_lookup(t, b), 1);
	assert_int_equal(tt_conn_tbl_count(t), 1);
	tt_conn_tbl_free(t);
}

/*
 * A burst holding three pairs of keys of one tag each, among other keys.  Pair 0 goes in in burst
 * order, pair 2 the other way round (so a key's first candidate is its partner), and of pair 1
 * only the key later in the burst (the other, absent, has its partner as its candidate).  The
 * bulk lookup must read on past every candidate that is another key, as single lookups do.
 */
static void test_tbl_bulk_collision(void **state)
{
	enum { PAIRS = 3 };
	/* Each pair's places in the burst, in the order they go in. */
	static const uint32_t at[PAIRS][2] = {{0, 31}, {6, 5}, {20, 2}};
	struct tt_flow4 keys[BULK] = {{0}}, pairs[2 * PAIRS];
	uint32_t hashes[BULK], values[BULK], want[BULK];
	bool paired[BULK] = {false};
	struct tt_conn_tbl *t = tbl_create(256, 47, keys);
	uint64_t rng = 53;
	(void)state;

	assert_non_null(t);
	colliding_pairs(t, 59, pairs, PAIRS);
	for (uint32_t p = 0; p < PAIRS; p++)
		for (uint32_t j = 0; j < 2; j++) {
			keys[at[p][j]] = pairs[2 * p + j];
			paired[at[p][j]] = true;
		}
	for (uint32_t i = 0; i < BULK; i++) {
		want[i] = TT_CONN_NONE;
		if (paired[i])
			continue;
		keys[i] = random_flow(&rng);
		if (i % 3 == 0)
			want[i] = val(i, 2);
	}
	for (uint32_t p = 0; p < PAIRS; p++) {
		want[at[p][0]] = val(at[p][0], 1);
		if (p != 1)
			want[at[p][1]] = val(at[p][1], 1);
		for (uint32_t j = 0; j < 2; j++)
			if (want[at[p][j]] != TT_CONN_NONE)
				assert_int_equal(
				    tt_conn_tbl_insert(t, &keys[at[p][j]], want[at[p][j]]), 0);
	}
	for (uint32_t i = 0; i < BULK; i++)
		if (!paired[i] && want[i] != TT_CONN_NONE)
			assert_int_equal(tt_conn_tbl_insert(t, &keys[i], want[i]), 0);
	tt_conn_tbl_hash_bulk(t, keys, BULK, hashes);
	for (uint32_t p = 0; p < PAIRS; p++)
		assert_int_equal(hashes[at[p][0]], hashes[at[p][1]]);
	tt_conn_tbl_lookup_bulk(t, keys, hashes, BULK, values);
	for (uint32_t i = 0; i < BULK; i++) {
		assert_int_equal(values[i], want[i]);
		assert_int_equal(tt_conn_tbl_lookup(t, &keys[i]), want[i]);
	}
	tt_conn_tbl_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tbl_tag_collision),
	    cmocka_unit_test(test_tbl_bulk_collision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
