/*
 * tt_tw_ring: one worker's TIME-WAIT entries, in a ring in the order they entered.
 *
 * Every entry lives tcp.time_wait_ms, and one whose FIN comes again is moved to the tail, so
 * the order of entry is the order of expiry: the oldest is at the head, both to expire and to
 * be recycled when room runs out.  Nothing links the entries; an entry's position in the ring
 * names it (the connection table's value).  That is what keeps an entry at 32 bytes and its
 * allocation free of any per-entry bookkeeping.  Each position's 4-tuple (the table's key, which
 * the table does not store: tt_conn_tbl.h) sits in an array beside the entries, 12 bytes more
 * per entry, read only when a lookup's tag matches the entry's or a walk passes it.
 *
 * An entry freed before it expires (a new SYN took its 4-tuple, a drain aborted it) is marked
 * gone and stays in place, a hole that the head steps over when it gets there.  A hole holds
 * its place until then, so a ring whose capacity is taken by live entries and holes makes
 * room by recycling its head early, as a full table does (time_wait_recycled).
 *
 * Positions run 0 .. cap - 1; the ring covers the table (cap = tcp.max_conns_per_core), so
 * live entries alone never fill it.  Owned by one worker: no atomics.
 */
#ifndef TT_TW_RING_H
#define TT_TW_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "tt_tcp.h"

struct tt_tw_ring {
	struct tt_tw *e;
	struct tt_flow4 *flow; /* by position: the entry's table key */
	uint32_t cap;
	uint32_t head; /* the oldest entry's position */
	uint32_t used; /* positions from the head on that hold an entry, live or gone */
	uint32_t live; /* entries not gone */
};

/* 0, or -1 + errno.  The entries are not touched until used; they come from tt_mem (huge pages
 * from node, node < 0: any). */
int tt_tw_ring_init(struct tt_tw_ring *r, uint32_t cap, int node);
void tt_tw_ring_fini(struct tt_tw_ring *r);

static inline struct tt_tw *tt_tw_ring_at(const struct tt_tw_ring *r, uint32_t pos)
{
	return &r->e[pos];
}

/* The table key of the entry at pos (the caller writes it when the entry takes its place). */
static inline struct tt_flow4 *tt_tw_ring_flow(const struct tt_tw_ring *r, uint32_t pos)
{
	return &r->flow[pos];
}

static inline uint32_t tt_tw_ring_pos(const struct tt_tw_ring *r, const struct tt_tw *tw)
{
	return (uint32_t)(tw - r->e);
}

/* The position k places after pos. */
static inline uint32_t tt_tw_ring_next(const struct tt_tw_ring *r, uint32_t pos, uint32_t k)
{
	uint64_t p = (uint64_t)pos + k;

	return (uint32_t)(p >= r->cap ? p - r->cap : p);
}

/* Whether pos holds an entry, live or gone (it lies within used places of the head). */
static inline bool tt_tw_ring_holds(const struct tt_tw_ring *r, uint32_t pos)
{
	uint32_t from_head = pos >= r->head ? pos - r->head : pos + r->cap - r->head;

	return pos < r->cap && from_head < r->used;
}

static inline bool tt_tw_ring_full(const struct tt_tw_ring *r)
{
	return r->used == r->cap;
}

/* The tail's position for a new live entry; the ring must not be full. */
static inline uint32_t tt_tw_ring_push(struct tt_tw_ring *r)
{
	uint32_t pos = tt_tw_ring_next(r, r->head, r->used);

	r->used++;
	r->live++;
	r->e[pos].gone = 0;
	return pos;
}

/* A live entry becomes a hole. */
static inline void tt_tw_ring_mark_gone(struct tt_tw_ring *r, struct tt_tw *tw)
{
	tw->gone = 1;
	r->live--;
}

/* The head leaves the ring; it must be gone and the ring not empty. */
static inline void tt_tw_ring_pop(struct tt_tw_ring *r)
{
	r->head = tt_tw_ring_next(r, r->head, 1);
	r->used--;
}

#endif
