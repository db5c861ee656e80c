/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_conn_tbl and tt_pool, checked against plain reference models: an
 * array indexed by key number for the table, a bitmap of handed-out
 * indices for the pool.  The table is also attacked: with 4-tuples that
 * all collide under a seeded mixer, and with 4-tuples that share a home
 * slot under its own key, found with the table as the oracle.  The table
 * stores no keys, only their hashes: each test keeps its keys in an array
 * and a value names its key by number (numbered_key); keys whose 32-bit
 * hashes collide are found by a birthday search.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tt_conn_tbl.h"
#include "tt_pool.h"
#include "tt_siphash.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* splitmix64: fixed seeds make every failure reproducible. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static struct tt_flow4 flow(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport)
{
	struct tt_flow4 f = {.saddr = saddr, .daddr = daddr, .sport = sport, .dport = dport};

	return f;
}

static struct tt_siphash_key table_key(uint64_t seed)
{
	struct tt_siphash_key k;

	k.k0 = rnd(&seed);
	k.k1 = rnd(&seed);
	return k;
}

/* A value's low 16 bits number its key in the test's array; the bits above are payload (as
 * TT_CONN_TW is the stack's), so one key can be given different values. */
#define KEY_NUMBER_MASK 0xffffu

static uint32_t val(uint32_t key_number, uint32_t payload)
{
	return key_number | payload << 16;
}

/* The tables' key_of: keys is the test's array of keys. */
static const struct tt_flow4 *numbered_key(const void *keys, uint32_t value)
{
	return (const struct tt_flow4 *)keys + (value & KEY_NUMBER_MASK);
}

static struct tt_conn_tbl *tbl_create(uint32_t max, uint64_t seed, const struct tt_flow4 *keys)
{
	struct tt_siphash_key k = table_key(seed);

	return tt_conn_tbl_create(max, &k, numbered_key, keys);
}

/* Slots in t: homes and the TT_CONN_TBL_MAX_PROBE after them. */
static uint32_t tbl_slots(const struct tt_conn_tbl *t)
{
	return (uint32_t)(tt_conn_tbl_bytes(t) / 8);
}

/* Key number i: distinct for i < 65535 through the source port. */
static struct tt_flow4 key_of(uint32_t i, uint64_t salt)
{
	return flow(0xc0000200u + (uint32_t)(salt % 5) + (i & 3), 0xc6336407u, (uint16_t)(i + 1),
		    (uint16_t)(443 + (salt >> 8) % 2));
}

/* ---- connection table ---- */

static void test_tbl_create(void **state)
{
	static const struct {
		uint32_t max;
		uint64_t bytes; /* 8-byte slots: 2 * max homes (at least 16), 192 more after */
	} cases[] = {{1, 128 + 1536},		{8, 128 + 1536},    {9, 144 + 1536},
		     {64, 1024 + 1536},		{100, 1600 + 1536}, {4096, 65536 + 1536},
		     {1000003, 16000048 + 1536}};
	const struct tt_siphash_key key = table_key(1);
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tt_conn_tbl *t = tbl_create(cases[i].max, i, NULL);

		assert_non_null(t);
		assert_int_equal(tt_conn_tbl_max_entries(t), cases[i].max);
		assert_int_equal(tt_conn_tbl_count(t), 0);
		assert_int_equal(tt_conn_tbl_bytes(t), cases[i].bytes);
		tt_conn_tbl_free(t);
	}
	errno = 0;
	assert_null(tbl_create(0, 1, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(tbl_create((1u << 30) + 1, 1, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(tt_conn_tbl_create(16, &key, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	tt_conn_tbl_free(NULL);
}

static void test_tbl_basic(void **state)
{
	/* Each key differs from the first in one field, or by swapping. */
	const struct tt_flow4 keys[] = {
	    flow(0xc0000201, 0xc6336407, 40000, 443),	  flow(0xc0000202, 0xc6336407, 40000, 443),
	    flow(0xc0000201, 0xc6336408, 40000, 443),	  flow(0xc0000201, 0xc6336407, 40001, 443),
	    flow(0xc0000201, 0xc6336407, 40000, 444),	  flow(0xc6336407, 0xc0000201, 443, 40000),
	    flow(0xc0000201, 0xc6336407, 443, 40000),	  flow(0, 0, 0, 0),
	    flow(0xffffffff, 0xffffffff, 0xffff, 0xffff),
	};
	struct tt_conn_tbl *t = tbl_create(16, 0x1234, keys);
	uint32_t n = ARRAY_LEN(keys);
	(void)state;

	assert_non_null(t);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(tt_conn_tbl_lookup(t, &keys[i]), TT_CONN_NONE);
		assert_int_equal(tt_conn_tbl_insert(t, &keys[i], val(i, 10)), 0);
		assert_int_equal(tt_conn_tbl_count(t), i + 1);
	}
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(tt_conn_tbl_lookup(t, &keys[i]), val(i, 10));
		/* A duplicate leaves the stored value alone. */
		assert_int_equal(tt_conn_tbl_insert(t, &keys[i], val(i, 999)), -EEXIST);
		assert_int_equal(tt_conn_tbl_lookup(t, &keys[i]), val(i, 10));
		assert_int_equal(tt_conn_tbl_update(t, &keys[i], val(i, 10) | TT_CONN_TW), 0);
	}
	assert_int_equal(tt_conn_tbl_count(t), n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(tt_conn_tbl_lookup(t, &keys[i]), val(i, 10) | TT_CONN_TW);

	/* Delete every other key; the rest must stay reachable. */
	for (uint32_t i = 0; i < n; i += 2)
		assert_int_equal(tt_conn_tbl_delete(t, &keys[i]), 0);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t want = i % 2 ? val(i, 10) | TT_CONN_TW : TT_CONN_NONE;

		assert_int_equal(tt_conn_tbl_lookup(t, &keys[i]), want);
		assert_int_equal(tt_conn_tbl_delete(t, &keys[i]), i % 2 ? 0 : -ENOENT);
		assert_int_equal(tt_conn_tbl_update(t, &keys[i], val(i, 1)), -ENOENT);
	}
	assert_int_equal(tt_conn_tbl_count(t), 0);
	assert_int_equal(tt_conn_tbl_insert(t, &keys[3], val(3, 7)), 0);
	assert_int_equal(tt_conn_tbl_lookup(t, &keys[3]), val(3, 7));
	assert_int_equal(tt_conn_tbl_count(t), 1);
	tt_conn_tbl_free(t);
}

static void test_tbl_full(void **state)
{
	static const uint32_t maxes[] = {1, 5, 64, 1000};
	(void)state;

	for (size_t m = 0; m < ARRAY_LEN(maxes); m++) {
		uint32_t max = maxes[m];
		struct tt_flow4 *keys = calloc(max + 2, sizeof(*keys));
		struct tt_conn_tbl *t = tbl_create(max, 77 + m, keys);
		const struct tt_flow4 *extra = &keys[max], *again = &keys[max + 1];

		assert_non_null(keys);
		assert_non_null(t);
		for (uint32_t i = 0; i < max + 2; i++)
			keys[i] = key_of(i, 0);
		for (uint32_t i = 0; i < max; i++)
			assert_int_equal(tt_conn_tbl_insert(t, &keys[i], i), 0);
		assert_int_equal(tt_conn_tbl_count(t), max);
		assert_int_equal(tt_conn_tbl_insert(t, extra, max), -ENOSPC);
		assert_int_equal(tt_conn_tbl_lookup(t, extra), TT_CONN_NONE);
		/* A present key reports -EEXIST even when the table is full. */
		for (uint32_t i = 0; i < max; i++) {
			assert_int_equal(tt_conn_tbl_insert(t, &keys[i], val(i, 5)), -EEXIST);
			assert_int_equal(tt_conn_tbl_lookup(t, &keys[i]), i);
		}
		assert_int_equal(tt_conn_tbl_count(t), max);
		/* One deletion makes room for exactly one more. */
		assert_int_equal(tt_conn_tbl_delete(t, &keys[0]), 0);
		assert_int_equal(tt_conn_tbl_insert(t, extra, max), 0);
		assert_int_equal(tt_conn_tbl_insert(t, again, max + 1), -ENOSPC);
		assert_int_equal(tt_conn_tbl_count(t), max);
		assert_int_equal(tt_conn_tbl_lookup(t, extra), max);
		tt_conn_tbl_free(t);
		free(keys);
	}
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

enum { BULK = 32 }; /* keys per bulk call, as a worker's RX burst */

/* Every key looked up one by one and in bulk (ragged chunks, the last one short). */
static void model_verify(const struct model *m)
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
static bool run_full(const struct model *m, uint32_t i)
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
static uint32_t random_value(uint64_t *rng, uint32_t i)
{
	uint64_t r = rnd(rng);

	return val(i, (uint32_t)(r % 0x7fff)) | (r >> 63 ? TT_CONN_TW : 0);
}

/* How many of the 256 hash classes the table has noted as changed since its mark. */
static unsigned changes_noted(const struct tt_conn_tbl *t)
{
	unsigned n = 0;

	for (uint32_t h = 0; h < 256; h++)
		n += tt_conn_tbl_changed(t, h);
	return n;
}

static void model_step(struct model *m, uint64_t *rng, uint32_t insert_pct)
{
	uint32_t i = (uint32_t)(rnd(rng) % m->universe), r = (uint32_t)(rnd(rng) % 100);
	const struct tt_flow4 *k = &m->keys[i];
	bool present = m->val[i] != TT_CONN_NONE;
	uint32_t v = random_value(rng, i);
	/* Half the calls take the hash made beforehand, as a burst's do. */
	bool by_hash = rnd(rng) & 1;
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
static void model_run(struct model *m, uint64_t seed, uint32_t ops, uint32_t check_every)
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

static void churn(uint32_t max, uint32_t universe, uint32_t ops, uint32_t check_every,
		  uint64_t seed)
{
	struct model m = {.universe = universe, .max = max};

	m.keys = calloc(universe, sizeof(*m.keys));
	assert_non_null(m.keys);
	m.t = tbl_create(max, seed * 31 + 1, m.keys);
	for (uint32_t i = 0; i < universe; i++)
		m.keys[i] = key_of(i, seed);
	model_run(&m, seed, ops, check_every);
	free(m.keys);
}

static void test_tbl_churn(void **state)
{
	static const struct {
		uint32_t max, universe, ops, check_every;
	} cases[] = {
	    {64, 256, 100000, 8}, {64, 96, 100000, 8}, {1, 4, 20000, 1},
	    {5, 20, 50000, 4},	  {16, 40, 100000, 4}, {1000, 3000, 100000, 500},
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		for (uint64_t seed = 1; seed <= 3; seed++)
			churn(cases[i].max, cases[i].universe, cases[i].ops, cases[i].check_every,
			      seed + 100 * i);
}

/*
 * The bulk calls against the one-key ones: the hash is the table's keyed SipHash (so it depends
 * on the table's key), the bulk lookup finds what single lookups find, a hash names where a
 * lookup starts (a key looked up with another key's hash is not found), and looking up notes no
 * change.
 */
/*
 * KiB of this process's mappings advised for transparent huge pages (VmFlags "hg" in
 * /proc/self/smaps), or -1 when the kernel does not list VmFlags.
 */
static long huge_advised_kib(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	long kib = 0, size = 0;
	bool flags_seen = false;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "Size: %ld kB", &size) == 1)
			continue;
		if (strncmp(line, "VmFlags:", 8) != 0)
			continue;
		flags_seen = true;
		if (strstr(line, " hg") != NULL)
			kib += size;
	}
	fclose(f);
	return flags_seen ? kib : -1;
}

/*
 * A table of 2 MiB or more asks for transparent huge pages for all its slots (whether the kernel
 * then finds free 2 MiB blocks is the machine's business), a small one does not, and the big
 * table still reads as empty.
 */
static void test_tbl_huge_pages(void **state)
{
	struct tt_siphash_key key = table_key(11);
	struct tt_conn_tbl *small, *big;
	struct tt_flow4 keys[64] = {{0}};
	long before;

	(void)state;
	before = huge_advised_kib();
	if (before < 0) {
		skip(); /* no VmFlags in this kernel's smaps: nothing to read */
		return;
	}
	small = tt_conn_tbl_create(1024, &key, numbered_key, keys);
	assert_non_null(small);
	assert_int_equal(huge_advised_kib(), before);
	big = tt_conn_tbl_create(1u << 20, &key, numbered_key, keys);
	assert_non_null(big);
	assert_true((uint64_t)(huge_advised_kib() - before) * 1024 >= tt_conn_tbl_bytes(big));
	for (uint32_t i = 0; i < ARRAY_LEN(keys); i++) {
		keys[i] = key_of(i, 3);
		assert_int_equal(tt_conn_tbl_lookup(big, &keys[i]), TT_CONN_NONE);
	}
	tt_conn_tbl_free(small);
	tt_conn_tbl_free(big);
}

static void test_tbl_bulk(void **state)
{
	enum { N = 2 * BULK + 5 };
	struct tt_siphash_key key = table_key(5);
	struct tt_flow4 keys[N] = {{0}};
	struct tt_conn_tbl *t = tt_conn_tbl_create(4096, &key, numbered_key, keys);
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

/* ---- the table under attack ---- */

/* A flow with every field drawn from rng. */
static struct tt_flow4 random_flow(uint64_t *rng)
{
	uint64_t r = rnd(rng), p = rnd(rng);

	return flow((uint32_t)r, (uint32_t)(r >> 32), (uint16_t)p, (uint16_t)(p >> 16));
}

/* SipHash-1-3 against the reference's outputs, and the table's 4-tuple form against it. */
static void test_siphash13(void **state)
{
	/* The reference implementation (github.com/veorq/SipHash) built with cROUNDS 1, dROUNDS 3,
	 * key all zero: the empty message and "siphash". */
	const struct tt_siphash_key zero = {0, 0};
	uint64_t rng = 11;
	(void)state;

	assert_int_equal(tt_siphash13(&zero, "", 0), UINT64_C(0xd1fba762150c532c));
	assert_int_equal(tt_siphash13(&zero, "siphash", 7), UINT64_C(0x8264ceeccb16bcbe));
	for (int i = 0; i < 1000; i++) {
		struct tt_siphash_key k = table_key(rnd(&rng));
		struct tt_flow4 f = random_flow(&rng);
		uint8_t packed[TT_FLOW4_PACKED_LEN];

		tt_flow4_pack(&f, packed);
		assert_int_equal(tt_siphash13_flow4(&k, &f),
				 tt_siphash13(&k, packed, sizeof(packed)));
		assert_int_not_equal(tt_siphash13_flow4(&k, &f),
				     tt_siphash(&k, packed, sizeof(packed)));
	}
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
				const uint32_t canary = (uint32_t)rnd(&rng);

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
 * value 0 names another key (t's key_of is not asked about k): k is deleted by value. */
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
	struct tt_conn_tbl *t = tt_conn_tbl_create(MAX, &key, numbered_key, c), *full;
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
	full = tt_conn_tbl_create(MAX, &key, numbered_key, c);
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
 * Deletion by value (for a caller that kept the hash, not the key) finds the slot however far
 * along its run, past the last home, and pulls the run back as deletion by key does.
 */
static void test_tbl_delete_value(void **state)
{
	enum { MAX = 256, N = 40, V = 1u << 16 /* val(i, 1) for key i */ };
	const struct tt_siphash_key key = table_key(11);
	struct tt_flow4 c[N] = {{0}};
	struct tt_conn_tbl *t = tt_conn_tbl_create(MAX, &key, numbered_key, c);
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
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(tt_conn_tbl_lookup(t, &c[i]),
				 i == 0 || i == 30 ? TT_CONN_NONE : V + i);
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
		struct tt_conn_tbl *scratch = tt_conn_tbl_create(MAX, &key, numbered_key, keys);
		uint32_t next = 0;

		assert_non_null(scratch);
		keys_homed_at(scratch, last_homes(scratch), keys, SHARERS, &next);
		for (uint32_t i = 0; i < OTHERS; i++)
			keys[SHARERS + i] = key_of(i, seed);
		for (uint32_t i = 0; i < m.universe; i++)
			home[i] = home_alone(scratch, &keys[i]);
		m.slots = tbl_slots(scratch);
		tt_conn_tbl_free(scratch);
		m.t = tt_conn_tbl_create(MAX, &key, numbered_key, keys);
		model_run(&m, seed, 15000, 1);
		assert_true(m.n_busy > 0);
	}
}

/* ---- tags: keys of one 32-bit hash ---- */

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

struct slot_seen {
	const struct tt_flow4 *keys;
	uint32_t value;
};

/* The walk hands over each entry's key as key_of gives it. */
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
	struct tt_conn_tbl *t = tt_conn_tbl_create(MAX, &key, numbered_key, keys);
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

/* ---- pool ---- */

static void test_pool_create(void **state)
{
	(void)state;

	errno = 0;
	assert_null(tt_pool_create(0, 64));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(tt_pool_create(8, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(tt_pool_create(TT_POOL_NONE, 8));
	assert_int_equal(errno, EINVAL);
	tt_pool_free(NULL);
}

static const struct {
	uint32_t capacity, elt_size;
} pool_cases[] = {{1, 1}, {7, 24}, {100, 64}, {33, 192}, {1000, 8}, {17, 128}};

/* Take everything, check the objects are distinct and sized, give it back. */
static void pool_drain(struct tt_pool *p, uint32_t cap, uint32_t size, uint32_t *idx)
{
	for (uint32_t i = 0; i < cap; i++) {
		idx[i] = tt_pool_get(p);
		assert_true(idx[i] < cap);
		assert_int_equal(tt_pool_in_use(p), i + 1);
		uint8_t *o = tt_pool_at(p, idx[i]);

		assert_int_equal(tt_pool_index(p, o), idx[i]);
		if (size % 64 == 0)
			assert_int_equal((uintptr_t)o % 64, 0);
		/* Writing the whole object must not disturb any other one. */
		memset(o, (int)(idx[i] & 0xff), size);
	}
	for (uint32_t i = 0; i < cap; i++) {
		const uint8_t *o = tt_pool_at(p, i);

		for (uint32_t b = 0; b < size; b++)
			assert_int_equal(o[b], i & 0xff);
	}
	assert_int_equal(tt_pool_get(p), TT_POOL_NONE);
	assert_int_equal(tt_pool_get(p), TT_POOL_NONE);
	assert_int_equal(tt_pool_in_use(p), cap);
}

static void test_pool_exhaust(void **state)
{
	(void)state;

	for (size_t c = 0; c < ARRAY_LEN(pool_cases); c++) {
		uint32_t cap = pool_cases[c].capacity, size = pool_cases[c].elt_size;
		struct tt_pool *p = tt_pool_create(cap, size);
		uint32_t *idx = malloc(cap * sizeof(*idx));
		bool *seen = calloc(cap, sizeof(*seen));

		assert_non_null(p);
		assert_non_null(idx);
		assert_non_null(seen);
		assert_int_equal(tt_pool_in_use(p), 0);
		pool_drain(p, cap, size, idx);
		for (uint32_t i = 0; i < cap; i++) {
			assert_false(seen[idx[i]]);
			seen[idx[i]] = true;
		}
		/* With one object free, get must return exactly that one. */
		tt_pool_put(p, idx[cap / 2]);
		assert_int_equal(tt_pool_in_use(p), cap - 1);
		assert_int_equal(tt_pool_get(p), idx[cap / 2]);
		assert_int_equal(tt_pool_get(p), TT_POOL_NONE);
		for (uint32_t i = 0; i < cap; i++)
			tt_pool_put(p, idx[i]);
		assert_int_equal(tt_pool_in_use(p), 0);
		/* A refilled pool hands the same set out again. */
		pool_drain(p, cap, size, idx);
		tt_pool_free(p);
		free(idx);
		free(seen);
	}
}

static void test_pool_index_roundtrip(void **state)
{
	(void)state;

	for (size_t c = 0; c < ARRAY_LEN(pool_cases); c++) {
		uint32_t cap = pool_cases[c].capacity, size = pool_cases[c].elt_size;
		struct tt_pool *p = tt_pool_create(cap, size);
		const uint8_t *base;

		assert_non_null(p);
		base = tt_pool_at(p, 0);
		for (uint32_t i = 0; i < cap; i++) {
			const uint8_t *o = tt_pool_at(p, i);

			assert_ptr_equal(o, base + (size_t)i * size);
			assert_int_equal(tt_pool_index(p, o), i);
			if (size % 64 == 0)
				assert_int_equal((uintptr_t)o % 64, 0);
		}
		tt_pool_free(p);
	}
}

/* Random get/put against a bitmap: nothing is handed out twice. */
static void test_pool_churn(void **state)
{
	enum { CAP = 257, OPS = 100000 };
	struct tt_pool *p = tt_pool_create(CAP, 64);
	uint32_t held[CAP], n_held = 0;
	bool out[CAP] = {false};
	uint64_t rng = 5;
	(void)state;

	assert_non_null(p);
	for (uint32_t op = 0; op < OPS; op++) {
		bool get = rnd(&rng) % 100 < ((op / 2000) % 2 ? 70 : 30);

		if (get) {
			uint32_t i = tt_pool_get(p);

			if (n_held == CAP) {
				assert_int_equal(i, TT_POOL_NONE);
				continue;
			}
			assert_true(i < CAP);
			assert_false(out[i]);
			out[i] = true;
			held[n_held++] = i;
		} else if (n_held) {
			uint32_t k = (uint32_t)(rnd(&rng) % n_held), i = held[k];

			held[k] = held[--n_held];
			out[i] = false;
			tt_pool_put(p, i);
		}
		assert_int_equal(tt_pool_in_use(p), n_held);
	}
	tt_pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tbl_create),
	    cmocka_unit_test(test_tbl_basic),
	    cmocka_unit_test(test_tbl_full),
	    cmocka_unit_test(test_tbl_churn),
	    cmocka_unit_test(test_tbl_bulk),
	    cmocka_unit_test(test_tbl_huge_pages),
	    cmocka_unit_test(test_siphash13),
	    cmocka_unit_test(test_tbl_hash_bulk_lengths),
	    cmocka_unit_test(test_tbl_seeded_flood),
	    cmocka_unit_test(test_tbl_probe_bound),
	    cmocka_unit_test(test_tbl_delete_value),
	    cmocka_unit_test(test_tbl_probe_bound_churn),
	    cmocka_unit_test(test_tbl_tag_collision),
	    cmocka_unit_test(test_tbl_bulk_collision),
	    cmocka_unit_test(test_tbl_shift_across_runs),
	    cmocka_unit_test(test_pool_create),
	    cmocka_unit_test(test_pool_exhaust),
	    cmocka_unit_test(test_pool_index_roundtrip),
	    cmocka_unit_test(test_pool_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
