/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_spares on real mempools (EAL without hugepages): a store above its band or below it is
 * brought to the band's middle, one at either edge is left alone; a pool
 * smaller than the band parks nothing; every buffer of a pool can still be had, parked ones
 * given back a step at a time as allocations fail; the end gives all back; and the lcore's
 * mempool cache, the warmest buffers, is never parked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "tt_spares.h"

enum { POOL = 4096, LOW = 256, HIGH = 512, MID = (LOW + HIGH) / 2, CACHE = 64 };

static struct rte_mempool *pool, *cached_pool, *small_pool;
static void *taken[POOL];

static int setup(void **state)
{
	char prefix[64];
	char *argv[] = {"test_spares", "--no-huge",	    "-m", "128", "--no-pci",
			"--no-shconf", "--log-level=error", "-l", "0",	 prefix};

	(void)state;
	snprintf(prefix, sizeof(prefix), "--file-prefix=tt-test-spares-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("tt_spares_pool", POOL, 0, 0, 256, SOCKET_ID_ANY);
	cached_pool =
	    rte_pktmbuf_pool_create("tt_spares_cached", POOL, CACHE, 0, 256, SOCKET_ID_ANY);
	small_pool = rte_pktmbuf_pool_create("tt_spares_small", HIGH, 0, 0, 256, SOCKET_ID_ANY);
	return pool == NULL || cached_pool == NULL || small_pool == NULL ? -1 : 0;
}

/* Balanced until nothing moves; how many calls moved something. */
static unsigned balance_until_still(struct tt_spares *s)
{
	unsigned moves = 0;

	for (;;) {
		unsigned before = s->n;

		tt_spares_balance(s);
		if (s->n == before)
			return moves;
		moves++;
	}
}

static void test_parks_down_to_middle(void **state)
{
	struct tt_spares s;

	(void)state;
	assert_int_equal(tt_spares_init(&s, pool, LOW, HIGH, SOCKET_ID_ANY), 0);
	assert_int_equal(tt_spares_parked(&s), 0);
	assert_int_equal(balance_until_still(&s), 1);
	assert_int_equal(rte_mempool_avail_count(pool), MID);
	assert_int_equal(tt_spares_parked(&s), POOL - MID);
	tt_spares_fini(&s);
	assert_int_equal(rte_mempool_avail_count(pool), POOL);
	tt_spares_fini(&s); /* twice: nothing left to give */
}

/* The store brought to `store` free buffers by taking some out (taken[0 .. *out)). */
static void store_at(struct rte_mempool *mp, unsigned store, unsigned *out)
{
	unsigned avail = rte_mempool_avail_count(mp);

	if (avail > store) {
		assert_int_equal(rte_mempool_get_bulk(mp, taken + *out, avail - store), 0);
		*out += avail - store;
	} else if (avail < store) {
		assert_true(*out >= store - avail);
		*out -= store - avail;
		rte_mempool_put_bulk(mp, taken + *out, store - avail);
	}
	assert_int_equal(rte_mempool_avail_count(mp), store);
}

static void test_band_edges(void **state)
{
	struct tt_spares s;
	unsigned out = 0, parked;

	(void)state;
	assert_int_equal(tt_spares_init(&s, pool, LOW, HIGH, SOCKET_ID_ANY), 0);
	/* Nothing parked: a store below the band has nothing to get back. */
	store_at(pool, 0, &out);
	tt_spares_balance(&s);
	assert_int_equal(rte_mempool_avail_count(pool), 0);
	/* At high, left alone; one above, brought to the middle. */
	store_at(pool, HIGH, &out);
	tt_spares_balance(&s);
	assert_int_equal(tt_spares_parked(&s), 0);
	store_at(pool, HIGH + 1, &out);
	tt_spares_balance(&s);
	assert_int_equal(tt_spares_parked(&s), HIGH + 1 - MID);
	assert_int_equal(rte_mempool_avail_count(pool), MID);
	/* Far above: all of the excess at once. */
	store_at(pool, MID + HIGH, &out);
	assert_int_equal(balance_until_still(&s), 1);
	parked = tt_spares_parked(&s);
	assert_int_equal(parked, HIGH + 1 - MID + HIGH);
	/* At low, left alone; one below, given back up to the middle at once. */
	store_at(pool, LOW, &out);
	tt_spares_balance(&s);
	assert_int_equal(tt_spares_parked(&s), parked);
	store_at(pool, LOW - 1, &out);
	tt_spares_balance(&s);
	assert_int_equal(tt_spares_parked(&s), parked - (MID - (LOW - 1)));
	assert_int_equal(rte_mempool_avail_count(pool), MID);
	/* Empty: the middle's worth; empty again, with fewer parked than that: all of them. */
	store_at(pool, 0, &out);
	tt_spares_balance(&s);
	assert_int_equal(tt_spares_parked(&s), parked - (MID - (LOW - 1)) - MID);
	assert_int_equal(rte_mempool_avail_count(pool), MID);
	store_at(pool, 0, &out);
	parked = tt_spares_parked(&s);
	assert_true(parked > 0 && parked < MID);
	tt_spares_balance(&s);
	assert_int_equal(tt_spares_parked(&s), 0);
	assert_int_equal(rte_mempool_avail_count(pool), parked);
	tt_spares_fini(&s);
	rte_mempool_put_bulk(pool, taken, out);
	assert_int_equal(rte_mempool_avail_count(pool), POOL);
}

static void test_pool_inside_band_parks_nothing(void **state)
{
	struct tt_spares s;

	(void)state;
	assert_int_equal(tt_spares_init(&s, small_pool, LOW, HIGH, SOCKET_ID_ANY), 0);
	assert_int_equal(balance_until_still(&s), 0);
	assert_int_equal(rte_mempool_avail_count(small_pool), HIGH);
	tt_spares_fini(&s);
}

/* Every buffer of the pool can be had by the one that parked them: each failed allocation
 * gives back a step and the next succeeds, until none is parked and the pool is empty. */
static void test_every_buffer_can_be_had(void **state)
{
	struct tt_spares s;
	unsigned got = 0, released = 0;

	(void)state;
	assert_int_equal(tt_spares_init(&s, pool, LOW, HIGH, SOCKET_ID_ANY), 0);
	balance_until_still(&s);
	assert_int_equal(tt_spares_parked(&s), POOL - MID);
	for (;;) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

		if (m == NULL) {
			unsigned n = tt_spares_release(&s, TT_SPARES_STEP);

			if (n == 0)
				break;
			assert_int_equal(n,
					 RTE_MIN((unsigned)TT_SPARES_STEP, POOL - MID - released));
			released += n;
			continue;
		}
		taken[got++] = m;
	}
	assert_int_equal(got, POOL);
	assert_int_equal(released, POOL - MID);
	assert_int_equal(tt_spares_parked(&s), 0);
	rte_pktmbuf_free_bulk((struct rte_mbuf **)taken, got);
	tt_spares_fini(&s);
	assert_int_equal(rte_mempool_avail_count(pool), POOL);
}

/* The store is what is balanced: the lcore's cache keeps its buffers. */
static void test_cache_never_parked(void **state)
{
	struct rte_mempool_cache *cache = rte_mempool_default_cache(cached_pool, rte_lcore_id());
	struct tt_spares s;
	unsigned cached;

	(void)state;
	assert_non_null(cache);
	assert_int_equal(rte_mempool_get_bulk(cached_pool, taken, 8), 0);
	rte_mempool_put_bulk(cached_pool, taken, 8);
	cached = cache->len;
	assert_true(cached > 0);
	assert_int_equal(tt_spares_init(&s, cached_pool, LOW, HIGH, SOCKET_ID_ANY), 0);
	balance_until_still(&s);
	assert_int_equal(cache->len, cached);
	assert_int_equal(rte_mempool_avail_count(cached_pool), MID + cached);
	assert_int_equal(tt_spares_parked(&s), POOL - MID - cached);
	tt_spares_fini(&s);
	assert_int_equal(rte_mempool_avail_count(cached_pool), POOL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parks_down_to_middle),
	    cmocka_unit_test(test_band_edges),
	    cmocka_unit_test(test_pool_inside_band_parks_nothing),
	    cmocka_unit_test(test_every_buffer_can_be_had),
	    cmocka_unit_test(test_cache_never_parked),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
