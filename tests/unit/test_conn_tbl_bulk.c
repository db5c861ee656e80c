/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_conn_tbl's burst calls: tt_conn_tbl_hash_bulk and tt_conn_tbl_lookup_bulk
 * against the one-key calls for every burst length, the *_hash calls, and
 * the filter of changes since a mark.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tt_conn_tbl.h"
#include "tt_siphash.h"

#include "flow_harness.h"

/*
 * The bulk calls against the one-key ones: the hash is the table's keyed SipHash (so it depends
 * on the table's key), the bulk lookup finds what single lookups find, a hash names where a
 * lookup starts (a key looked up with another key's hash is not found), and looking up notes no
 * change.
 */
static void test_tbl_bulk(void **state)
{
	enum { N = 2 * BULK + 5 };
	struct tt_siphash_key key = table_key(5);
	struct tt_flow4 keys[N] = {{0}};
	struct tt_conn_tbl *t = tt_conn_tbl_create(4096, &key, NUMBERED_KEYS(keys));
	struct tt_conn_tbl *other = tbl_create(4096, 6, keys);
	uint32_t hashes[N], other_hashes[N], values[N];
	unsigned differ = 0;
	(void)state;

	assert_non_null(t);
	assert_non_null(other);
	for (uint32_t i = 0; i < N; i++) {
		keys[i] = key_of(i, 9);
		if (i % 2 == 0)
			assert_int_equal(tt_conn_tbl_insert(t, &keys[i], val(i, 3)), 0);
	}
	tt_conn_tbl_hash_bulk(t, keys, N, hashes);
	tt_conn_tbl_hash_bulk(other, keys, N, other_hashes);
	tt_conn_tbl_mark(t);
	tt_conn_tbl_lookup_bulk(t, keys, hashes, N, values);
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(hashes[i], (uint32_t)tt_siphash13_flow4(&key, &keys[i]));
		assert_int_equal(hashes[i], tt_conn_tbl_hash(t, &keys[i]));
		differ += hashes[i] != other_hashes[i];
		assert_int_equal(values[i], i % 2 == 0 ? val(i, 3) : TT_CONN_NONE);
		assert_int_equal(values[i], tt_conn_tbl_lookup(t, &keys[i]));
	}
	assert_int_equal(differ, N);
	/* 35 keys in 8192 slots: the run at another key's home holds that key alone. */
	for (uint32_t i = 0; i + 2 < N; i += 2)
		assert_int_equal(tt_conn_tbl_lookup_hash(t, &keys[i], hashes[i + 2]), TT_CONN_NONE);
	tt_conn_tbl_lookup_bulk(t, keys, hashes, 0, values);
	assert_int_equal(changes_noted(t), 0);
	/* Failed changes note nothing either. */
	assert_int_equal(tt_conn_tbl_insert_hash(t, &keys[0], hashes[0], val(0, 1)), -EEXIST);
	assert_int_equal(tt_conn_tbl_update_hash(t, &keys[1], hashes[1], val(1, 1)), -ENOENT);
	assert_int_equal(tt_conn_tbl_delete_hash(t, &keys[1], hashes[1]), -ENOENT);
	assert_int_equal(changes_noted(t), 0);
	assert_int_equal(tt_conn_tbl_delete_hash(t, &keys[0], hashes[0]), 0);
	assert_true(tt_conn_tbl_changed(t, hashes[0]));
	assert_int_equal(changes_noted(t), 1);
	/* A mark starts the window again. */
	tt_conn_tbl_mark(t);
	assert_int_equal(changes_noted(t), 0);
	assert_int_equal(tt_conn_tbl_lookup_hash(t, &keys[0], hashes[0]), TT_CONN_NONE);
	tt_conn_tbl_free(t);
	tt_conn_tbl_free(other);
}

/*
 * tt_conn_tbl_hash_bulk equals tt_conn_tbl_hash key by key for every burst length from 0 to one
 * past a worker's RX burst, from several start offsets, and writes no hash past the n-th.
 */
static void test_tbl_hash_bulk_lengths(void **state)
{
	enum { MAX_N = BULK + 1, START_MAX = 7 };
	struct tt_flow4 keys[START_MAX + MAX_N] = {{0}};
	struct tt_conn_tbl *t = tbl_create(4096, 25, keys);
	uint32_t hashes[MAX_N + 1];
	uint64_t rng = 27;
	(void)state;

	assert_non_null(t);
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < ARRAY_LEN(keys); i++)
			keys[i] =
			    round % 2 ? random_flow(&rng) : key_of((uint32_t)i, (uint64_t)round);
		for (unsigned start = 0; start <= START_MAX; start++)
			for (unsigned n = 0; n <= MAX_N; n++) {
				const uint32_t canary = (uint32_t)splitmix64(&rng);

				hashes[n] = canary;
				tt_conn_tbl_hash_bulk(t, &keys[start], n, hashes);
				for (unsigned i = 0; i < n; i++)
					assert_int_equal(hashes[i],
							 tt_conn_tbl_hash(t, &keys[start + i]));
				assert_int_equal(hashes[n], canary);
			}
	}
	tt_conn_tbl_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tbl_bulk),
	    cmocka_unit_test(test_tbl_hash_bulk_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
