/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_conn_tbl under attack: 4-tuples that all collide under a seeded mixer
 * stay spread out under the table's keyed hash, and 4-tuples that share a
 * home under the table's own key, found with the table as the only oracle
 * (home_alone), meet the probe bound: -EBUSY, deletion by value at the end
 * of a long run, churn against the model at the bound, and the backward
 * shift over a run that several homes share.
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

/*
 * The attacker's model of a seeded hash whose seed it has learned or
 * guessed: a splitmix64-style multiply-xorshift mixer with the seed XORed
 * into its input, the slot taken from the low bits.
 */
static uint32_t seeded_slot(const struct tt_flow4 *k, uint64_t seed, uint32_t mask)
{
	uint64_t a, h;
	uint32_t b;

	memcpy(&a, k, 8);
	memcpy(&b, (const uint8_t *)k + 8, 4);
	h = (a ^ seed) * UINT64_C(0x9e3779b97f4a7c15);
	h ^= h >> 32;
	h = (h ^ b ^ (seed >> 17)) * UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 29;
	return (uint32_t)h & mask;
}

/*
 * Attacker-chosen 4-tuple number c: a source in 198.19.0.0/16 (ports 1024
 * and up) towards our service at 198.18.0.1:443.
 */
static struct tt_flow4 attack_flow(uint32_t c)
{
	return flow(0xc6130000u + c / 64512, 0xc6120001u, (uint16_t)(1024 + c % 64512), 443);
}

/*
 * n attacker 4-tuples that all land in one slot of a table of mask + 1 slots
 * under seeded_slot, found by brute force as a flooder would: about
 * n * (mask + 1) tries.
 */
static void seeded_collisions(uint64_t seed, uint32_t mask, struct tt_flow4 *out, uint32_t n)
{
	const struct tt_flow4 first = attack_flow(0);
	uint32_t target = seeded_slot(&first, seed, mask), found = 0;

	for (uint32_t c = 0; found < n; c++) {
		struct tt_flow4 k = attack_flow(c);

		if (seeded_slot(&k, seed, mask) == target)
			out[found++] = k;
	}
}

/*
 * 1024 4-tuples that a seeded mixer puts in one slot stay spread out in the
 * table: under a random SipHash key they are just random keys.  At a load
 * of 1/8 a uniform hash puts a key 16 or more slots past its home with
 * probability about 1e-10, so 16 probes bound all 1024; one run would make
 * the longest probe 1024.
 */
static void test_tbl_seeded_flood(void **state)
{
	enum { MAX = 4096, SLOTS = 8192, N = 1024, FLOOD_PROBE_MAX = 16 };
	const uint64_t attacker_seed = UINT64_C(0x243f6a8885a308d3);
	struct tt_flow4 *keys = malloc(N * sizeof(*keys));
	(void)state;

	assert_non_null(keys);
	seeded_collisions(attacker_seed, SLOTS - 1, keys, N);
	for (uint32_t i = 1; i < N; i++)
		assert_int_equal(seeded_slot(&keys[i], attacker_seed, SLOTS - 1),
				 seeded_slot(&keys[0], attacker_seed, SLOTS - 1));
	for (uint64_t seed = 1; seed <= 8; seed++) {
		struct tt_conn_tbl *t = tbl_create(MAX, seed * 1009, keys);

		assert_non_null(t);
		assert_int_equal(tbl_slots(t), SLOTS + TT_CONN_TBL_MAX_PROBE);
		for (uint32_t i = 0; i < N; i++)
			assert_int_equal(tt_conn_tbl_insert(t, &keys[i], i), 0);
		assert_in_range(tt_conn_tbl_max_probe(t), 1, FLOOD_PROBE_MAX);
		for (uint32_t i = 0; i < N; i++)
			assert_int_equal(tt_conn_tbl_lookup(t, &keys[i]), i);
		tt_conn_tbl_free(t);
	}
	free(keys);
}

static void note_entry(const struct tt_flow4 *k, uint32_t value, void *arg)
{
	(void)k;
	(void)value;
	*(bool *)arg = true;
}

/* The slot k takes when alone in the empty table t, i.e. its home: bisect with the walk.  The
 * value 0 names another key (t never reads k's): k is deleted by value. */
static uint32_t home_alone(struct tt_conn_tbl *t, const struct tt_flow4 *k)
{
	uint32_t lo = 0, n = tbl_slots(t);

	assert_int_equal(tt_conn_tbl_insert(t, k, 0), 0);
	while (n > 1) {
		bool seen = false;

		tt_conn_tbl_walk(t, lo, n / 2, note_entry, &seen);
		if (seen) {
			n /= 2;
		} else {
			lo += n / 2;
			n -= n / 2;
		}
	}
	assert_int_equal(tt_conn_tbl_delete_value(t, tt_conn_tbl_hash(t, k), 0), 0);
	return lo;
}

/*
 * n attacker 4-tuples whose home in the empty table t is slot home, taken
 * in order from tuple number *next on: the table is the only oracle.
 */
static void keys_homed_at(struct tt_conn_tbl *t, uint32_t home, struct tt_flow4 *out, uint32_t n,
			  uint32_t *next)
{
	for (uint32_t found = 0; found < n; (*next)++) {
		struct tt_flow4 k = attack_flow(*next);

		if (home_alone(t, &k) == home)
			out[found++] = k;
	}
}

/* A home this close to the last one makes every run of TT_CONN_TBL_MAX_PROBE run on into the
 * slots after the homes. */
static uint32_t last_homes(const struct tt_conn_tbl *t)
{
	return tbl_slots(t) - TT_CONN_TBL_MAX_PROBE - 16;
}

/*
 * TT_CONN_TBL_MAX_PROBE keys sharing a home fill the run; the next one is
 * refused with -EBUSY while the table has room, and the others stay
 * reachable.  A deletion at a home must bring back a key that sits at the
 * bound, however many keys homed later lie between.
 */
static void test_tbl_probe_bound(void **state)
{
	enum { MAX = 256, BOUND = TT_CONN_TBL_MAX_PROBE, N = BOUND + 2 };
	/* The keys by number: N sharing a home, BOUND - 2 homed one later, MAX others. */
	enum { AFTER = N, MORE = N + BOUND };
	const struct tt_siphash_key key = table_key(7);
	struct tt_flow4 *c = calloc(MORE + MAX, sizeof(*c));
	struct tt_flow4 *after = c + AFTER, *more = c + MORE;
	struct tt_conn_tbl *t = tt_conn_tbl_create(MAX, &key, NUMBERED_KEYS(c)), *full;
	uint32_t next = 0, home;
	(void)state;

	assert_non_null(c);
	assert_non_null(t);
	home = last_homes(t);
	keys_homed_at(t, home, c, N, &next);
	keys_homed_at(t, home + 1, after, BOUND - 2, &next);

	for (uint32_t i = 0; i < BOUND; i++)
		assert_int_equal(tt_conn_tbl_insert(t, &c[i], i), 0);
	assert_int_equal(tt_conn_tbl_max_probe(t), BOUND);
	assert_int_equal(tt_conn_tbl_insert(t, &c[BOUND], BOUND), -EBUSY);
	assert_int_equal(tt_conn_tbl_lookup(t, &c[BOUND]), TT_CONN_NONE);
	assert_int_equal(tt_conn_tbl_delete(t, &c[BOUND]), -ENOENT);
	assert_int_equal(tt_conn_tbl_count(t), BOUND);
	/* A present key still reports -EEXIST. */
	assert_int_equal(tt_conn_tbl_insert(t, &c[0], val(0, 1)), -EEXIST);
	for (uint32_t i = 0; i < BOUND; i++)
		assert_int_equal(tt_conn_tbl_lookup(t, &c[i]), i);
	/* A deletion in the middle of the run makes room for exactly one more. */
	assert_int_equal(tt_conn_tbl_delete(t, &c[BOUND / 2]), 0);
	assert_int_equal(tt_conn_tbl_insert(t, &c[BOUND], BOUND), 0);
	assert_int_equal(tt_conn_tbl_insert(t, &c[BOUND + 1], BOUND + 1), -EBUSY);
	assert_int_equal(tt_conn_tbl_max_probe(t), BOUND);
	for (uint32_t i = 0; i <= BOUND; i++)
		assert_int_equal(tt_conn_tbl_lookup(t, &c[i]), i == BOUND / 2 ? TT_CONN_NONE : i);
	for (uint32_t i = 0; i <= BOUND; i++)
		assert_int_equal(tt_conn_tbl_delete(t, &c[i]), i == BOUND / 2 ? -ENOENT : 0);
	assert_int_equal(tt_conn_tbl_count(t), 0);

	/* c[0] at the home, the keys homed one later, then c[1] at the bound. */
	assert_int_equal(tt_conn_tbl_insert(t, &c[0], 0), 0);
	for (uint32_t i = 0; i < BOUND - 2; i++)
		assert_int_equal(tt_conn_tbl_insert(t, &after[i], AFTER + i), 0);
	assert_int_equal(tt_conn_tbl_insert(t, &c[1], 1), 0);
	assert_int_equal(tt_conn_tbl_max_probe(t), BOUND);
	assert_int_equal(tt_conn_tbl_delete(t, &c[0]), 0);
	assert_int_equal(tt_conn_tbl_lookup(t, &c[1]), 1);
	for (uint32_t i = 0; i < BOUND - 2; i++)
		assert_int_equal(tt_conn_tbl_lookup(t, &after[i]), AFTER + i);
	assert_int_equal(tt_conn_tbl_max_probe(t), BOUND - 2);

	/* The run full and max_entries keys in the table: -ENOSPC comes first. */
	full = tt_conn_tbl_create(MAX, &key, NUMBERED_KEYS(c));
	assert_non_null(full);
	for (uint32_t i = 0; i < BOUND; i++)
		assert_int_equal(tt_conn_tbl_insert(full, &c[i], i), 0);
	for (uint32_t i = 0; tt_conn_tbl_count(full) < MAX; i++) {
		int rc;

		assert_true(i < MAX);
		more[i] = attack_flow(next + i);
		rc = tt_conn_tbl_insert(full, &more[i], MORE + i);
		assert_true(rc == 0 || rc == -EBUSY); /* -EBUSY: homed at the full run's home */
	}
	assert_int_equal(tt_conn_tbl_insert(full, &c[BOUND], BOUND), -ENOSPC);
	tt_conn_tbl_free(full);
	tt_conn_tbl_free(t);
	free(c);
}

/*
 * Deletion and replacement by value (for a caller that kept the hash, not the key) find the slot
 * however far along its run, past the last home; a deletion pulls the run back as deletion by key
 * does, a replacement counts as a change since the mark.
 */
static void test_tbl_by_value(void **state)
{
	enum { MAX = 256, N = 40, V = 1u << 16 /* val(i, 1) for key i */ };
	const struct tt_siphash_key key = table_key(11);
	struct tt_flow4 c[N] = {{0}};
	struct tt_conn_tbl *t = tt_conn_tbl_create(MAX, &key, NUMBERED_KEYS(c));
	uint32_t next = 0;
	(void)state;

	assert_non_null(t);
	keys_homed_at(t, last_homes(t), c, N, &next);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(tt_conn_tbl_insert(t, &c[i], V + i), 0);
	assert_int_equal(tt_conn_tbl_delete_value(t, tt_conn_tbl_hash(t, &c[30]), V + 30), 0);
	assert_int_equal(tt_conn_tbl_delete_value(t, tt_conn_tbl_hash(t, &c[30]), V + 30), -ENOENT);
	assert_int_equal(tt_conn_tbl_delete_value(t, tt_conn_tbl_hash(t, &c[0]), val(0, 2)),
			 -ENOENT);
	/* The value of another key of the same home: the tag must match too. */
	assert_int_equal(tt_conn_tbl_delete_value(t, tt_conn_tbl_hash(t, &c[0]), V + 1), -ENOENT);
	assert_int_equal(tt_conn_tbl_delete_value(t, tt_conn_tbl_hash(t, &c[0]), V), 0);
	assert_int_equal(tt_conn_tbl_count(t), N - 2);
	tt_conn_tbl_mark(t);
	assert_int_equal(
	    tt_conn_tbl_replace_value(t, tt_conn_tbl_hash(t, &c[35]), V + 35, val(35, 3)), 0);
	assert_true(tt_conn_tbl_changed(t, tt_conn_tbl_hash(t, &c[35])));
	assert_int_equal(tt_conn_tbl_replace_value(t, tt_conn_tbl_hash(t, &c[35]), V + 35, V),
			 -ENOENT);
	assert_int_equal(tt_conn_tbl_replace_value(t, tt_conn_tbl_hash(t, &c[30]), V + 30, V),
			 -ENOENT);
	assert_int_equal(tt_conn_tbl_replace_value(t, tt_conn_tbl_hash(t, &c[2]), V + 1, V),
			 -ENOENT);
	assert_int_equal(tt_conn_tbl_count(t), N - 2);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t want = i == 35 ? val(35, 3) : V + i;

		assert_int_equal(tt_conn_tbl_lookup(t, &c[i]),
				 i == 0 || i == 30 ? TT_CONN_NONE : want);
	}
	assert_int_equal(tt_conn_tbl_max_probe(t), N - 2);
	tt_conn_tbl_free(t);
}

/*
 * Churn where most keys share one home, so the run keeps hitting the bound
 * while ordinary keys land in and around it: after every operation, every
 * insert's result (-EBUSY included), every lookup and the longest probe
 * match the model.
 */
static void test_tbl_probe_bound_churn(void **state)
{
	enum { MAX = 256, SHARERS = TT_CONN_TBL_MAX_PROBE + 32, OTHERS = 64 };
	struct tt_flow4 keys[SHARERS + OTHERS] = {{0}};
	uint32_t home[SHARERS + OTHERS];
	(void)state;

	for (uint64_t seed = 1; seed <= 3; seed++) {
		const struct tt_siphash_key key = table_key(seed * 7919);
		struct model m = {
		    .keys = keys, .home = home, .universe = SHARERS + OTHERS, .max = MAX};
		struct tt_conn_tbl *scratch = tt_conn_tbl_create(MAX, &key, NUMBERED_KEYS(keys));
		uint32_t next = 0;

		assert_non_null(scratch);
		keys_homed_at(scratch, last_homes(scratch), keys, SHARERS, &next);
		for (uint32_t i = 0; i < OTHERS; i++)
			keys[SHARERS + i] = key_of(i, seed);
		for (uint32_t i = 0; i < m.universe; i++)
			home[i] = home_alone(scratch, &keys[i]);
		m.slots = tbl_slots(scratch);
		tt_conn_tbl_free(scratch);
		m.t = tt_conn_tbl_create(MAX, &key, NUMBERED_KEYS(keys));
		model_run(&m, seed, 15000, 1);
		assert_true(m.n_busy > 0);
	}
}

struct slot_seen {
	const struct tt_flow4 *keys;
	uint32_t value;
};

/* The walk hands over each entry's key where the layout puts it. */
static void note_value(const struct tt_flow4 *k, uint32_t value, void *arg)
{
	struct slot_seen *seen = arg;

	assert_ptr_equal(k, numbered_key(seen->keys, value));
	seen->value = value;
}

/* Slots from..from + n of t hold the values want (TT_CONN_NONE: empty). */
static void assert_slots(const struct tt_conn_tbl *t, const struct tt_flow4 *keys, uint32_t from,
			 const uint32_t *want, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct slot_seen seen = {.keys = keys, .value = TT_CONN_NONE};

		tt_conn_tbl_walk(t, from + i, 1, note_value, &seen);
		assert_int_equal(seen.value, want[i]);
	}
}

/*
 * Backward shift over one run that several homes share: keys homed at h (a0-a2), h + 1 (b0, b1),
 * h + 4 (c0, pushed to h + 5) and h + 6 (d0, in place).  Deleting a0 moves every key up to c0
 * back by one, c0 to its home, and leaves d0, homed after the hole, where it is; deleting b0 then
 * moves b1 alone.  Slot by slot, as the walk shows them.
 */
static void test_tbl_shift_across_runs(void **state)
{
	enum { MAX = 256, N = 7, SPAN = 8, NONE = TT_CONN_NONE, H = 100 };
	static const uint32_t home_offset[N] = {0, 0, 0, 1, 1, 4, 6};
	static const uint32_t full[SPAN] = {0, 1, 2, 3, 4, 5, 6, NONE};
	static const uint32_t no_a0[SPAN] = {1, 2, 3, 4, 5, NONE, 6, NONE};
	static const uint32_t no_a0_b0[SPAN] = {1, 2, 4, NONE, 5, NONE, 6, NONE};
	const struct tt_siphash_key key = table_key(61);
	struct tt_flow4 keys[N] = {{0}};
	struct tt_conn_tbl *t = tt_conn_tbl_create(MAX, &key, NUMBERED_KEYS(keys));
	uint32_t next = 0;
	(void)state;

	assert_non_null(t);
	for (uint32_t i = 0; i < N; i++)
		keys_homed_at(t, H + home_offset[i], &keys[i], 1, &next);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(tt_conn_tbl_insert(t, &keys[i], i), 0);
	assert_slots(t, keys, H, full, SPAN);
	assert_int_equal(tt_conn_tbl_max_probe(t), 4); /* b1: h + 4, homed at h + 1 */
	assert_int_equal(tt_conn_tbl_delete(t, &keys[0]), 0);
	assert_slots(t, keys, H, no_a0, SPAN);
	assert_int_equal(tt_conn_tbl_delete(t, &keys[3]), 0);
	assert_slots(t, keys, H, no_a0_b0, SPAN);
	assert_int_equal(tt_conn_tbl_max_probe(t), 2);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(tt_conn_tbl_lookup(t, &keys[i]), i == 0 || i == 3 ? NONE : i);
	tt_conn_tbl_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tbl_seeded_flood),
	    cmocka_unit_test(test_tbl_probe_bound),
	    cmocka_unit_test(test_tbl_by_value),
	    cmocka_unit_test(test_tbl_probe_bound_churn),
	    cmocka_unit_test(test_tbl_shift_across_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
