/* A worker's spare free mbufs; see tt_spares.h. */
#include <errno.h>

#include <rte_malloc.h>

#include "tt_spares.h"

int tt_spares_init(struct tt_spares *s, struct rte_mempool *pool, unsigned low, unsigned high,
		   int numa_node)
{
	*s = (struct tt_spares){
	    .pool = pool,
	    .store_count = rte_mempool_get_ops(pool->ops_index)->get_count,
	    .low = low,
	    .high = high,
	};
	s->objs = rte_malloc_socket("tt_spares", sizeof(*s->objs) * RTE_MAX(pool->size, 1u), 0,
				    numa_node);
	return s->objs == NULL ? -ENOMEM : 0;
}

void tt_spares_fini(struct tt_spares *s)
{
	if (s->objs == NULL)
		return;
	tt_spares_release(s, s->n);
	rte_free(s->objs);
	s->objs = NULL;
}

static void set_parked(struct tt_spares *s, unsigned n)
{
	__atomic_store_n(&s->n, n, __ATOMIC_RELAXED);
}

/* Where a move brings the store: the band's middle. */
static unsigned band_middle(const struct tt_spares *s)
{
	return s->low + (s->high - s->low) / 2;
}

void tt_spares_park(struct tt_spares *s, unsigned store)
{
	unsigned take = RTE_MIN(store - band_middle(s), s->pool->size - s->n);

	/* All or nothing: another lcore may have taken some since the count. */
	if (take > 0 && rte_mempool_generic_get(s->pool, s->objs + s->n, take, NULL) == 0)
		set_parked(s, s->n + take);
}

void tt_spares_unpark(struct tt_spares *s, unsigned store)
{
	tt_spares_release(s, band_middle(s) - store);
}

unsigned tt_spares_release(struct tt_spares *s, unsigned n)
{
	n = RTE_MIN(n, s->n);
	if (n > 0) {
		rte_mempool_generic_put(s->pool, s->objs + s->n - n, n, NULL);
		set_parked(s, s->n - n);
	}
	return n;
}
