/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_harness: what the tests of lib/flow share.  The connection table
 * stores no keys, only their hashes: each test keeps its keys in an array
 * and a value names its key by number (numbered_key, NUMBERED_KEYS the tables' layout),
 * so one table comes with its key store.  The model (struct model) is the
 * plain reference the table is checked against: an array indexed by key
 * number, with the keys' homes when a test has chosen them, so that it can
 * tell which inserts the probe bound must refuse.  Random operations come
 * from splitmix64 under fixed seeds, so every failure is reproducible.
 *
 * Included by the test programs only; everything is static inline so each
 * program takes what it uses.
 */
#ifndef FLOW_HARNESS_H
#define FLOW_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "splitmix.h"
#include "tt_conn_tbl.h"
#include "tt_siphash.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline struct tt_flow4 flow(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	struct tt_flow4 f = {.saddr = saddr, .daddr = daddr, .sport = sport, .dport = dport};

	return f;
}

static inline struct tt_siphash_key table_key(uint64_t seed)
{
	struct tt_siphash_key k;

	k.k0 = splitmix64(&seed);
	k.k1 = splitmix64(&seed);
	return k;
}

/* A value's low 16 bits number its key in the test's array; the bits above are payload (as
 * TT_CONN_TW is the stack's), so one key can be given different values. */
#define KEY_NUMBER_MASK 0xffffu

static inline uint32_t val(uint32_t key_number, uint32_t payload)
{
	return key_number | payload << 16;
}

/* Where the table finds key number value & KEY_NUMBER_MASK: in keys, the test's array. */
static inline const struct tt_flow4 *numbered_key(const struct tt_flow4 *keys, uint32_t value)
{
	return keys + (value & KEY_NUMBER_MASK);
}

/* The tables' key layout for numbered_key: one array (every value of one kind). */
#define NUMBERED_KEYS(keys)                                                                        \
	((const struct tt_conn_tbl_keys[1]){tt_conn_tbl_keys_array(keys, KEY_NUMBER_MASK)})

static inline struct tt_conn_tbl *tbl_create(uint32_t max, uint64_t seed,
					     const struct tt_flow4 *keys)
{
	struct tt_siphash_key k = table_key(seed);

	return tt_conn_tbl_create(max, &k, NUMBERED_KEYS(keys));
}

/* Slots in t: homes and the TT_CONN_TBL_MAX_PROBE after them. */
static inline uint32_t tbl_slots(const struct tt_conn_tbl *t)
{
	return (uint32_t)(tt_conn_tbl_bytes(t) / 8);
}

/* Key number i: distinct for i < 65535 through the source port. */
static inline struct tt_flow4 key_of(uint32_t i, uint64_t salt)
{
	return flow(0xc0000200u + (uint32_t)(salt % 5) + (i & 3), 0xc6336407u, (uint16_t)(i + 1),
		    (uint16_t)(443 + (salt >> 8) % 2));
}

/* A flow with every field drawn from rng. */
static inline struct tt_flow4 random_flow(uint64_t *rng)
{
	uint64_t r = splitmix64(rng), p = splitmix64(rng);

	return flow((uint32_t)r, (uint32_t)(r >> 32), (uint16_t)p, (uint16_t)(p >> 16));
}

enum { BULK = 32 }; /* keys per bulk call, as a worker's RX burst */

/* How many of the 256 hash classes the table has noted as changed since its mark. */
static inline unsigned changes_noted(const struct tt_conn_tbl *t)
{
	unsigned n = 0;

	for (uint32_t h = 0; h < 256; h++)
		n += tt_conn_tbl_changed(t, h);
	return n;
}

struct model {
	struct tt_conn_tbl *t;
	struct tt_flow4 *keys;
	uint32_t *val;	      /* TT_CONN_NONE when key i is absent */
	const uint32_t *home; /* key i's home slot, or NULL when no run can fill */
	uint32_t slots;
	uint32_t universe;
	uint32_t count;
	uint32_t max;
	uint32_t n_busy; /* inserts refused for a full run */
};

/* Every key looked up one by one and in bulk (ragged chunks, the last one short). */
static inline void model_verify(const struct model *m)
{
	uint32_t hashes[BULK], values[BULK];

	assert_int_equal(tt_conn_tbl_count(m->t), m->count);
	for (uint32_t i = 0; i < m->universe; i++)
		assert_int_equal(tt_conn_tbl_lookup(m->t, &m->keys[i]), m->val[i]);
	for (uint32_t i = 0; i < m->universe; i += BULK - 1 - i % 3) {
		unsigned n = m->universe - i < BULK ? m->universe - i : BULK;

		tt_conn_tbl_hash_bulk(m->t, &m->keys[i], n, hashes);
		tt_conn_tbl_lookup_bulk(m->t, &m->keys[i], hashes, n, values);
		for (unsigned j = 0; j < n; j++)
			assert_int_equal(values[j], m->val[i + j]);
	}
	assert_in_range(tt_conn_tbl_max_probe(m->t), 0, TT_CONN_TBL_MAX_PROBE);
}

/*
 * Whether the TT_CONN_TBL_MAX_PROBE slots from key i's home are all taken.
 * Which slots linear probing fills depends only on the homes of the present
 * keys, not on the order of inserts and deletes, so the model counts keys
 * per home instead of placing them.
 */
static inline bool run_full(const struct model *m, uint32_t i)
{
	uint32_t *per_home, carry = 0, n;
	bool *taken;

	if (m->home == NULL)
		return false;
	per_home = calloc(m->slots, sizeof(*per_home));
	taken = calloc(m->slots, sizeof(*taken));
	assert_non_null(per_home);
	assert_non_null(taken);
	for (uint32_t j = 0; j < m->universe; j++)
		if (m->val[j] != TT_CONN_NONE)
			per_home[m->home[j]]++;
	/* Runs never wrap: they end in the slots after the homes. */
	for (uint32_t x = 0; x < m->slots; x++) {
		taken[x] = carry + per_home[x] > 0;
		carry = taken[x] ? carry + per_home[x] - 1 : 0;
	}
	for (n = 0; n < TT_CONN_TBL_MAX_PROBE && taken[m->home[i] + n]; n++)
		;
	free(per_home);
	free(taken);
	return n == TT_CONN_TBL_MAX_PROBE;
}

/* A value for key number i as callers store them: an index, sometimes flagged TIME-WAIT. */
static inline uint32_t random_value(uint64_t *rng, uint32_t i)
{
	uint64_t r = splitmix64(rng);

	return val(i, (uint32_t)(r % 0x7fff)) | (r >> 63 ? TT_CONN_TW : 0);
}

static inline void model_step(struct model *m, uint64_t *rng, uint32_t insert_pct)
{
	uint32_t i = (uint32_t)(splitmix64(rng) % m->universe),
		 r = (uint32_t)(splitmix64(rng) % 100);
	const struct tt_flow4 *k = &m->keys[i];
	bool present = m->val[i] != TT_CONN_NONE;
	uint32_t v = random_value(rng, i);
	/* Half the calls take the hash made beforehand, as a burst's do. */
	bool by_hash = splitmix64(rng) & 1;
	uint32_t hash = tt_conn_tbl_hash(m->t, k);
	bool changed;
	int rc;

	tt_conn_tbl_mark(m->t);

	if (r < insert_pct) {
		int want = present		? -EEXIST
			   : m->count == m->max ? -ENOSPC
			   : run_full(m, i)	? -EBUSY
						: 0;

		rc = by_hash ? tt_conn_tbl_insert_hash(m->t, k, hash, v)
			     : tt_conn_tbl_insert(m->t, k, v);
		assert_int_equal(rc, want);
		m->n_busy += want == -EBUSY;
		changed = want == 0;
		if (want == 0) {
			m->val[i] = v;
			m->count++;
		}
	} else if (r < insert_pct + (100 - insert_pct) * 3 / 4) {
		rc = by_hash ? tt_conn_tbl_delete_hash(m->t, k, hash) : tt_conn_tbl_delete(m->t, k);
		assert_int_equal(rc, present ? 0 : -ENOENT);
		changed = present;
		if (present) {
			m->val[i] = TT_CONN_NONE;
			m->count--;
		}
	} else {
		rc = by_hash ? tt_conn_tbl_update_hash(m->t, k, hash, v)
			     : tt_conn_tbl_update(m->t, k, v);
		assert_int_equal(rc, present ? 0 : -ENOENT);
		changed = present;
		if (present)
			m->val[i] = v;
	}
	/* A change is noted under its key's hash alone (a delete's shifts move other keys, not
	 * their values); a failed one notes nothing. */
	if (changed)
		assert_true(tt_conn_tbl_changed(m->t, hash));
	assert_int_equal(changes_noted(m->t), changed);
	assert_int_equal(tt_conn_tbl_lookup(m->t, k), m->val[i]);
	assert_int_equal(tt_conn_tbl_lookup_hash(m->t, k, hash), m->val[i]);
	assert_int_equal(tt_conn_tbl_count(m->t), m->count);
}

/*
 * Random insert/delete/update against the model, then delete what is left.
 * The insert share swings between phases so the table keeps filling to
 * max_entries and draining; at a load of 1/2 in a small table, probe runs
 * often run past the last home into the slots after it, where backward-shift
 * deletion is easiest to get wrong.
 */
static inline void model_run(struct model *m, uint64_t seed, uint32_t ops, uint32_t check_every)
{
	uint64_t rng = seed;

	m->val = malloc(m->universe * sizeof(*m->val));
	assert_non_null(m->t);
	assert_non_null(m->val);
	for (uint32_t i = 0; i < m->universe; i++)
		m->val[i] = TT_CONN_NONE;
	for (uint32_t op = 0; op < ops; op++) {
		model_step(m, &rng, (op / 1500) % 2 ? 80 : 25);
		if (op % check_every == 0)
			model_verify(m);
	}
	model_verify(m);
	for (uint32_t i = 0; i < m->universe; i++)
		if (m->val[i] != TT_CONN_NONE)
			assert_int_equal(tt_conn_tbl_delete(m->t, &m->keys[i]), 0);
	assert_int_equal(tt_conn_tbl_count(m->t), 0);
	for (uint32_t i = 0; i < m->universe; i++)
		assert_int_equal(tt_conn_tbl_lookup(m->t, &m->keys[i]), TT_CONN_NONE);
	tt_conn_tbl_free(m->t);
	free(m->val);
}

#endif
