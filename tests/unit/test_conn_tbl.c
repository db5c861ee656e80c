/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_conn_tbl's operations one by one: creation and its sizes, where a
 * hash's home slot lies, insert, lookup, update and delete on keys that
 * differ in one field, a full table, and random operations checked against
 * the model (flow_harness.h) while the table fills to max_entries and
 * drains.  A big table asks for transparent huge pages, on the NUMA node it
 * is created for.
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

#include "flow_harness.h"

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
	assert_null(tt_conn_tbl_create(16, &key, NULL));
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

/* tt_conn_tbl_walk's callback: the one value it met. */
static void record_value(const struct tt_flow4 *k, uint32_t value, void *arg)
{
	(void)k;
	*(uint32_t *)arg = value;
}

/*
 * tt_conn_tbl_home_addr: the slot where a key with that hash lands in an empty table, as the
 * header lays the slots out (8 bytes each, twice max_entries homes, the home the hash scaled
 * to them): the first home for hash 0, the last for the largest, and each key inserted alone
 * found by a walk of that one slot.
 */
static void test_tbl_home_addr(void **state)
{
	enum { MAX = 1000, HOMES = 2 * MAX, SLOT = 8 };
	struct tt_flow4 keys[64];
	struct tt_conn_tbl *t;
	const char *first;
	(void)state;

	for (uint32_t i = 0; i < ARRAY_LEN(keys); i++)
		keys[i] = flow(0xc6120000 + i, 0xc6120002, (uint16_t)(40000 + 7 * i), 80);
	t = tbl_create(MAX, 0x5678, keys);
	assert_non_null(t);
	first = tt_conn_tbl_home_addr(t, 0);
	assert_ptr_equal(tt_conn_tbl_home_addr(t, 1), first);
	assert_ptr_equal(tt_conn_tbl_home_addr(t, UINT32_MAX), first + (HOMES - 1) * SLOT);
	assert_ptr_equal(tt_conn_tbl_home_addr(t, UINT32_C(1) << 31), first + HOMES / 2 * SLOT);
	for (uint32_t i = 0; i < ARRAY_LEN(keys); i++) {
		uint32_t h = tt_conn_tbl_hash(t, &keys[i]), seen = TT_CONN_NONE;
		ptrdiff_t at = (const char *)tt_conn_tbl_home_addr(t, h) - first;

		assert_int_equal(at % SLOT, 0);
		assert_int_equal(tt_conn_tbl_insert(t, &keys[i], val(i, 3)), 0);
		tt_conn_tbl_walk(t, (uint32_t)(at / SLOT), 1, record_value, &seen);
		assert_int_equal(seen, val(i, 3));
		assert_int_equal(tt_conn_tbl_delete(t, &keys[i]), 0);
	}
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
	small = tt_conn_tbl_create(1024, &key, NUMBERED_KEYS(keys));
	assert_non_null(small);
	assert_int_equal(huge_advised_kib(), before);
	big = tt_conn_tbl_create(1u << 20, &key, NUMBERED_KEYS(keys));
	assert_non_null(big);
	assert_true((uint64_t)(huge_advised_kib() - before) * 1024 >= tt_conn_tbl_bytes(big));
	for (uint32_t i = 0; i < ARRAY_LEN(keys); i++) {
		keys[i] = key_of(i, 3);
		assert_int_equal(tt_conn_tbl_lookup(big, &keys[i]), TT_CONN_NONE);
	}
	tt_conn_tbl_free(small);
	tt_conn_tbl_free(big);
}

/* Mappings of this process whose pages come from node first (mbind MPOL_PREFERRED); -1 when
 * the kernel keeps no numa_maps. */
static long preferring_node(int node)
{
	FILE *f = fopen("/proc/self/numa_maps", "r");
	char line[1024], policy[32];
	long n = 0;

	if (f == NULL)
		return -1;
	snprintf(policy, sizeof(policy), " prefer:%d ", node);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, policy) != NULL)
			n++;
	fclose(f);
	return n;
}

/*
 * tt_conn_tbl_create_on_node: a big table's slots come from the node asked for, before they are
 * first written (the memset that empties them); a small one, a few lines of the heap, and a
 * table created for any node ask nothing.
 */
static void test_tbl_numa_node(void **state)
{
	struct tt_siphash_key key = table_key(12);
	struct tt_conn_tbl *small, *any, *big;
	struct tt_flow4 keys[4] = {{0}};
	long before;

	(void)state;
	before = preferring_node(0);
	if (before < 0) {
		skip(); /* a kernel without NUMA: nothing to place */
		return;
	}
	small = tt_conn_tbl_create_on_node(1024, &key, NUMBERED_KEYS(keys), 0);
	assert_non_null(small);
	any = tt_conn_tbl_create(1u << 20, &key, NUMBERED_KEYS(keys));
	assert_non_null(any);
	assert_int_equal(preferring_node(0), before);
	big = tt_conn_tbl_create_on_node(1u << 20, &key, NUMBERED_KEYS(keys), 0);
	assert_non_null(big);
	assert_int_equal(preferring_node(0), before + 1);
	keys[0] = key_of(1, 3);
	assert_int_equal(tt_conn_tbl_lookup(big, &keys[0]), TT_CONN_NONE);
	tt_conn_tbl_free(small);
	tt_conn_tbl_free(any);
	tt_conn_tbl_free(big);
}

/* Two arrays of keys, as the stack keeps them (the TCBs' flows inside larger objects, the
 * TIME-WAIT ring's flows alone): values of each kind, with a flag the index mask drops, are
 * found one by one, in a burst and by the walk at their own array's key, and an update to
 * another index of the same kind reads the key there. */
struct two_kinds_obj {
	uint64_t before[3];
	struct tt_flow4 flow;
	uint32_t after;
};

struct two_kinds_walk {
	const struct two_kinds_obj *objs;
	const struct tt_flow4 *ring;
	unsigned seen;
};

enum { TWO_KINDS_N = 64, KIND_BIT = 0x80000000u, FLAG_BIT = 0x40000000u };

static uint32_t obj_value(uint32_t i)
{
	return i | (i % 2 ? FLAG_BIT : 0);
}

static void two_kinds_key_at_home(const struct tt_flow4 *k, uint32_t value, void *arg)
{
	struct two_kinds_walk *w = arg;
	uint32_t i = value & ~(KIND_BIT | FLAG_BIT);

	assert_ptr_equal(k, value & KIND_BIT ? &w->ring[i] : &w->objs[i].flow);
	w->seen++;
}

static void test_tbl_two_kinds(void **state)
{
	static struct two_kinds_obj objs[TWO_KINDS_N];
	static struct tt_flow4 ring[TWO_KINDS_N];
	const struct tt_conn_tbl_keys layout = {
	    .base = {(const uint8_t *)&objs[0].flow, (const uint8_t *)&ring[0]},
	    .stride = {sizeof(objs[0]), sizeof(ring[0])},
	    .kind_bit = KIND_BIT,
	    .index_mask = ~(KIND_BIT | FLAG_BIT)};
	const struct tt_siphash_key key = table_key(21);
	struct tt_conn_tbl *t = tt_conn_tbl_create(4 * TWO_KINDS_N, &key, &layout);
	struct tt_flow4 keys[2 * TWO_KINDS_N];
	uint32_t hashes[2 * TWO_KINDS_N], values[2 * TWO_KINDS_N];
	struct two_kinds_walk w = {.objs = objs, .ring = ring};
	struct tt_flow4 moved;
	(void)state;

	assert_non_null(t);
	for (uint32_t i = 0; i < TWO_KINDS_N; i++) {
		objs[i] = (struct two_kinds_obj){
		    .before = {~0ull, ~0ull, ~0ull}, .flow = key_of(i, 1), .after = ~0u};
		ring[i] = key_of(i, 2);
		keys[i] = objs[i].flow;
		keys[TWO_KINDS_N + i] = ring[i];
		assert_int_equal(tt_conn_tbl_insert(t, &objs[i].flow, obj_value(i)), 0);
		assert_int_equal(tt_conn_tbl_insert(t, &ring[i], i | KIND_BIT), 0);
	}
	/* Each key is present once: the same key again, under either kind, is refused. */
	assert_int_equal(tt_conn_tbl_insert(t, &ring[3], 3), -EEXIST);
	assert_int_equal(tt_conn_tbl_insert(t, &objs[3].flow, 3 | KIND_BIT), -EEXIST);
	tt_conn_tbl_hash_bulk(t, keys, 2 * TWO_KINDS_N, hashes);
	tt_conn_tbl_lookup_bulk(t, keys, hashes, 2 * TWO_KINDS_N, values);
	for (uint32_t i = 0; i < TWO_KINDS_N; i++) {
		assert_int_equal(tt_conn_tbl_lookup(t, &objs[i].flow), obj_value(i));
		assert_int_equal(tt_conn_tbl_lookup(t, &ring[i]), i | KIND_BIT);
		assert_int_equal(values[i], obj_value(i));
		assert_int_equal(values[TWO_KINDS_N + i], i | KIND_BIT);
	}
	assert_int_equal(tt_conn_tbl_walk(t, 0, tbl_slots(t), two_kinds_key_at_home, &w), 0);
	assert_int_equal(w.seen, 2 * TWO_KINDS_N);
	/* Ring entry 5 moves to index 40, whose entry goes first (its key copied there before
	 * the update, as the object must hold it): the key is read at 40. */
	assert_int_equal(tt_conn_tbl_delete(t, &ring[40]), 0);
	moved = ring[5];
	ring[40] = moved;
	assert_int_equal(tt_conn_tbl_update(t, &moved, 40 | KIND_BIT), 0);
	ring[5] = key_of(5, 3);
	assert_int_equal(tt_conn_tbl_lookup(t, &moved), 40 | KIND_BIT);
	assert_int_equal(tt_conn_tbl_lookup(t, &ring[5]), TT_CONN_NONE);
	assert_int_equal(tt_conn_tbl_delete(t, &moved), 0);
	/* The objects' keys outlive the ring's. */
	for (uint32_t i = 0; i < TWO_KINDS_N; i++)
		if (i != 5 && i != 40)
			assert_int_equal(tt_conn_tbl_delete(t, &ring[i]), 0);
	assert_int_equal(tt_conn_tbl_count(t), TWO_KINDS_N);
	for (uint32_t i = 0; i < TWO_KINDS_N; i++) {
		assert_int_equal(tt_conn_tbl_lookup(t, &objs[i].flow), obj_value(i));
		assert_int_equal(tt_conn_tbl_lookup(t, &keys[TWO_KINDS_N + i]), TT_CONN_NONE);
	}
	tt_conn_tbl_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tbl_create),	  cmocka_unit_test(test_tbl_basic),
	    cmocka_unit_test(test_tbl_home_addr), cmocka_unit_test(test_tbl_full),
	    cmocka_unit_test(test_tbl_churn),	  cmocka_unit_test(test_tbl_huge_pages),
	    cmocka_unit_test(test_tbl_numa_node), cmocka_unit_test(test_tbl_two_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
