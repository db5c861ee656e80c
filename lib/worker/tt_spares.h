/*
 * tt_spares: a worker's spare free mbufs, kept out of its pool's common store.
 *
 * A pool's common store (a ring) hands out the buffer freed longest ago, so every free buffer
 * in it takes its turn: with thousands free, the port's receive refill and the replies write
 * buffers that left the caches since their last use, and those stalls are a few percent of a
 * short connection's cycles (bench/README.md).  So a worker keeps the store's count inside a
 * band [low, high]: above high it takes the excess out, down to the band's middle, and parks
 * it here; below low it gives back what brings the store to the middle again; and when an
 * allocation of its own fails it gives back TT_SPARES_STEP at once.  The store then cycles a
 * working set of one or two thousand buffers while the pool's whole size stays there for
 * connections to hold: a parked buffer is free, counted apart (tt_spares_parked), never lost.
 *
 * The worker balances once per loop iteration (one indirect call: the pool driver's count of
 * its store, which leaves out the lcores' mempool caches) and gives everything back when its
 * loop ends.  The store is read and written past the mempool cache (rte_mempool_generic_get
 * and put with no cache), so the cache's buffers, the warmest, are never parked.  Only the
 * worker's lcore changes the spares; another may read how many are parked.
 */
#ifndef TT_SPARES_H
#define TT_SPARES_H

#include <rte_common.h>
#include <rte_mempool.h>

enum { TT_SPARES_STEP = 256 };

struct tt_spares {
	struct rte_mempool *pool;
	rte_mempool_get_count store_count; /* the pool driver's count of its common store */
	unsigned low, high;		   /* the store's band */
	unsigned n;			   /* parked: objs[0 .. n), room for the pool's size */
	void **objs;
};

/* The spares of pool, keeping its store's count within [low, high] (low < high); nothing is
 * parked yet.  0, or -ENOMEM. */
int tt_spares_init(struct tt_spares *s, struct rte_mempool *pool, unsigned low, unsigned high,
		   int numa_node);
/* Gives everything back and frees the array. */
void tt_spares_fini(struct tt_spares *s);

/* The balance's two moves, out of line: the store's count is above high (park down to the
 * middle) or below low (give back up to it). */
void tt_spares_park(struct tt_spares *s, unsigned store);
void tt_spares_unpark(struct tt_spares *s, unsigned store);

/* Brings the store's count back inside the band when it has left it. */
static inline void tt_spares_balance(struct tt_spares *s)
{
	unsigned store = s->store_count(s->pool);

	if (unlikely(store > s->high))
		tt_spares_park(s, store);
	else if (unlikely(store < s->low && s->n > 0))
		tt_spares_unpark(s, store);
}

/* Up to n parked buffers back to the store; how many went. */
unsigned tt_spares_release(struct tt_spares *s, unsigned n);

/* How many are parked: free buffers the pool counts as in use. */
static inline unsigned tt_spares_parked(const struct tt_spares *s)
{
	return __atomic_load_n(&s->n, __ATOMIC_RELAXED);
}

#endif
