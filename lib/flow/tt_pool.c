#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "tt_mem.h"
#include "tt_pool.h"

static struct tt_pool *pool_create(uint32_t capacity, uint32_t elt_size, int node, bool populate)
{
	struct tt_pool *p;
	uint64_t bytes = (uint64_t)capacity * elt_size;

	if (capacity == 0 || elt_size == 0 || capacity == TT_POOL_NONE) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->objs = tt_mem_alloc(&bytes, node);
	p->free_stack = malloc((size_t)capacity * sizeof(uint32_t));
#ifdef TT_POOL_CHECKED
	p->handed_out = calloc(((size_t)capacity + 63) / 64, sizeof(uint64_t));
	if (p->handed_out == NULL) {
		tt_pool_free(p);
		errno = ENOMEM;
		return NULL;
	}
#endif
	if (p->objs == NULL || p->free_stack == NULL) {
		tt_pool_free(p);
		errno = ENOMEM;
		return NULL;
	}
	if (populate)
		tt_mem_populate(p->objs, bytes);
	/* Lowest index on top, so a fresh pool hands out 0, 1, 2 ... */
	for (uint32_t i = 0; i < capacity; i++)
		p->free_stack[i] = capacity - 1 - i;
	p->n_free = capacity;
	p->capacity = capacity;
	p->elt_size = elt_size;
	return p;
}

struct tt_pool *tt_pool_create(uint32_t capacity, uint32_t elt_size)
{
	return pool_create(capacity, elt_size, -1, false);
}

struct tt_pool *tt_pool_create_on_node(uint32_t capacity, uint32_t elt_size, int node)
{
	return pool_create(capacity, elt_size, node, true);
}

void tt_pool_free(struct tt_pool *p)
{
	if (p == NULL)
		return;
	free(p->objs);
	free(p->free_stack);
#ifdef TT_POOL_CHECKED
	free(p->handed_out);
#endif
	free(p);
}

#ifdef TT_POOL_CHECKED
void tt_pool_misuse(const struct tt_pool *p, uint32_t idx, const char *what)
{
	fprintf(stderr, "tt_pool %p (capacity %u, %u free): index %u %s\n", (const void *)p,
		p->capacity, p->n_free, idx, what);
	abort();
}
#endif
