/*
 * tt_pool: a fixed-capacity pool of equal-sized objects named by index.
 *
 * Each worker owns its pools (TCBs, TIME-WAIT entries); nothing is shared,
 * so get/put are a stack push/pop with no atomics.  Objects are addressed
 * by a 32-bit index so that the connection table can store 4 bytes per
 * entry instead of a pointer.  The whole pool is allocated once at start:
 * the data path never calls malloc, and "pool empty" is the only way a
 * get can fail (the caller refuses the connection and counts it).
 *
 * Cost: get, put and tt_pool_at are O(1) and touch one cache line of the
 * free stack plus the object.
 *
 * Ownership checked (TT_POOL_CHECKED, defined in the sanitizer and fuzzing
 * builds, which run every test): a bitmap of the handed-out indices, so that
 * an index put back twice, one never handed out, or one outside the pool
 * stops the program at the put (a second owner of an object would otherwise
 * show only later, as two connections in one TCB).  The plain build keeps
 * get and put to the stack's push and pop.
 */
#ifndef TT_POOL_H
#define TT_POOL_H

#include <stdbool.h>
#include <stdint.h>

#define TT_POOL_NONE UINT32_MAX

/* Exposed for the inline accessors only; do not touch the fields. */
struct tt_pool {
	uint8_t *objs;
	uint32_t *free_stack;
	uint32_t n_free;
	uint32_t capacity;
	uint32_t elt_size;
#ifdef TT_POOL_CHECKED
	uint64_t *handed_out; /* bit idx: idx is out of the pool */
#endif
};

/*
 * Objects are not zeroed (the owner initialises each on get).  Each object is
 * 64-byte aligned when elt_size is a multiple of 64.  NULL + errno on failure.
 * The objects come from tt_mem: a pool of 2 MiB or more on huge pages.
 * tt_pool_create: from any node, the memory touched only as it is used (pools
 * sized for peaks seldom reached).  tt_pool_create_on_node: from node (any
 * when negative), every page taken at creation (tt_mem_populate), for a pool
 * the worker draws on as its connections grow, which must not stall it on a
 * page fault.
 */
struct tt_pool *tt_pool_create(uint32_t capacity, uint32_t elt_size);
struct tt_pool *tt_pool_create_on_node(uint32_t capacity, uint32_t elt_size, int node);
void tt_pool_free(struct tt_pool *p);

#ifdef TT_POOL_CHECKED
/* Stops the program: idx's ownership is broken (see TT_POOL_CHECKED above). */
void tt_pool_misuse(const struct tt_pool *p, uint32_t idx, const char *what);

static inline void tt_pool_mark(struct tt_pool *p, uint32_t idx, bool out)
{
	uint64_t bit = UINT64_C(1) << (idx % 64), *w;

	if (idx >= p->capacity)
		tt_pool_misuse(p, idx, "outside the pool");
	w = &p->handed_out[idx / 64];
	if (!(*w & bit) != out)
		tt_pool_misuse(p, idx, out ? "handed out twice" : "put back but not handed out");
	*w ^= bit;
}
#endif

static inline uint32_t tt_pool_get(struct tt_pool *p)
{
	uint32_t idx = p->n_free ? p->free_stack[--p->n_free] : TT_POOL_NONE;

#ifdef TT_POOL_CHECKED
	if (idx != TT_POOL_NONE)
		tt_pool_mark(p, idx, true);
#endif
	return idx;
}

static inline void tt_pool_put(struct tt_pool *p, uint32_t idx)
{
#ifdef TT_POOL_CHECKED
	tt_pool_mark(p, idx, false);
#endif
	p->free_stack[p->n_free++] = idx;
}

static inline void *tt_pool_at(const struct tt_pool *p, uint32_t idx)
{
	return p->objs + (uint64_t)idx * p->elt_size;
}

/*
 * tt_pool_at for a pool created with this elt_size, a constant at the call: the address needs
 * no load of the pool's element size and multiplies by a constant (a shift for a power of two).
 */
static inline void *tt_pool_at_sized(const struct tt_pool *p, uint32_t idx, uint32_t elt_size)
{
	return p->objs + (uint64_t)idx * elt_size;
}

static inline uint32_t tt_pool_index(const struct tt_pool *p, const void *obj)
{
	return (uint32_t)(((const uint8_t *)obj - p->objs) / p->elt_size);
}

static inline uint32_t tt_pool_in_use(const struct tt_pool *p)
{
	return p->capacity - p->n_free;
}

#endif
