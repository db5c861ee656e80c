/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_TIMER_H
#define TT_TIMER_H

/*
 * Per-worker hierarchical timer wheel (Varghese & Lauck, scheme 7).
 *
 * Every connection timeout (retransmit, FIN-WAIT-2, idle) is a struct tt_timer
 * embedded in the connection object; the wheel only links it.  Timers are
 * named by a 32-bit index into the caller's array of objects: the wheel is
 * created with the address of object 0's timer and the objects' stride, so
 * a link costs 4 bytes instead of a pointer's 8 (a connection's timer is 12
 * bytes, not 24).  Time is an unsigned 64-bit tick count supplied by the
 * caller (the worker uses 1 tick = 1 ms and converts the TSC itself), so this
 * module has no DPDK dependency.
 *
 * A timer keeps the low 32 bits of its expiry; the wheel reads them back as
 * the tick nearest its own clock, so an expiry is at most TT_TIMER_REACH_TICKS
 * away from the wheel's tick (24.8 days at 1 ms).  A later one is armed at the
 * reach and fires there, early: callers whose deadline may lie further (the
 * stack re-checks what is due when a connection's timer fires) re-arm then.
 * An expiry further in the past is likewise taken as now - reach.
 *
 * Layout: 4 levels of 256 slots; a tick splits into one byte per level.
 *
 *   63                   32 31      24 23      16 15       8 7        0
 *  +-----------------------+----------+----------+----------+----------+
 *  |  epoch (beyond reach) | level 3  | level 2  | level 1  | level 0  |
 *  +-----------------------+----------+----------+----------+----------+
 *
 * A timer is filed at the level of the highest byte in which its expiry
 * differs from the wheel's current tick, in the slot named by that byte of
 * the expiry. So every filed timer shares all higher bytes with "now" and its
 * slot index is above now's byte at that level. When now reaches the first
 * tick of a level-L slot (L > 0), the slot is cascaded: each timer is filed
 * again against the new now and lands at a lower level or on the due list.
 * A level-0 slot holds the timers of exactly one tick, so timers never fire
 * early and, while the caller keeps up, fire on the tick they are due.
 *
 * Epochs: an expiry whose bits 63-32 differ from now's (a timer within reach
 * but across a 2^32 boundary) is parked in level 3 slot 0, which the rule
 * above never uses, and is filed again when now crosses that boundary.
 *
 * Lists are circular and doubly linked by index; the heads (one per slot, the
 * due and the cascade list) live in the wheel under the indices from
 * TT_TIMER_MAX_NODES up, so linking and unlinking never branch on the list.
 *
 * Invariants: a timer is idle (next == TT_TIMER_NONE) or on exactly one list:
 * a slot, the cascade list (slots taken off the wheel but not yet re-filed)
 * or the due list (expiry <= now, not yet handed out). Pending timers stay
 * pending until stopped or returned by tt_timer_wheel_advance().
 *
 * Cost: start and stop are O(1) (doubly linked slot lists, per-level
 * occupancy bitmaps). Advancing finds the next non-empty slot by scanning at
 * most 4 x 4 bitmap words, whatever the gap, and moves a whole slot in O(1);
 * an advance to the tick the wheel is already at checks two lists and no slot.
 * A timer is re-filed at most 3 times in its life (plus once per 2^32 ticks
 * across an epoch boundary). One advance call returns at most `max` timers and
 * re-files at most TT_TIMER_CASCADE_MAX_PER_CALL, so a wave of a million
 * expiries is spread over many calls instead of stalling the worker; the
 * wheel does not move past a tick until that tick's cascade is complete, so
 * the bound delays timers but never reorders them. Memory: ~12 KiB a wheel.
 *
 * Threading: a wheel belongs to one worker lcore and is not thread safe by
 * design; only that lcore may create, advance, free it or start and stop its
 * timers. A timer may be pending on at most one wheel at a time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TT_TIMER_LEVEL_BITS = 8,
	TT_TIMER_LEVELS = 4,
	TT_TIMER_SLOTS_PER_LEVEL = 1 << TT_TIMER_LEVEL_BITS,
	/* Re-filing costs a cache miss per timer: ~1024 keep a call in the tens of us. */
	TT_TIMER_CASCADE_MAX_PER_CALL = 1024,
};

/* How far from the wheel's tick an expiry may lie (see above). */
#define TT_TIMER_REACH_TICKS ((UINT64_C(1) << 31) - 1)

/* The 1026 list heads take the indices just below TT_TIMER_NONE. */
#define TT_TIMER_NONE	   UINT32_MAX
#define TT_TIMER_MAX_NODES (TT_TIMER_NONE - TT_TIMER_LEVELS * TT_TIMER_SLOTS_PER_LEVEL - 2)

/* Intrusive: embed in the object that owns the timeout. */
struct tt_timer {
	uint32_t next; /* index of the next timer or list head; TT_TIMER_NONE: idle */
	uint32_t prev;
	uint32_t expire; /* low 32 bits of the absolute tick */
};

struct tt_timer_wheel;

/* The start of every wheel: exposed for the inline accessors only; do not touch the fields. */
struct tt_timer_wheel_pub {
	uint64_t now;	/* the wheel's tick */
	uint8_t *nodes; /* timer 0 */
	size_t stride;
};

/*
 * Timer i is at (char *)nodes + i * stride, for i < n_nodes <= TT_TIMER_MAX_NODES.
 * Returns NULL with errno set (ENOMEM, EINVAL) on failure.
 */
struct tt_timer_wheel *tt_timer_wheel_create(uint64_t now_tick, void *nodes, size_t stride,
					     uint32_t n_nodes);

/* Pending timers are not touched: re-init them before using them again. */
void tt_timer_wheel_free(struct tt_timer_wheel *w);

static inline void tt_timer_init(struct tt_timer *t)
{
	t->next = TT_TIMER_NONE;
	t->prev = TT_TIMER_NONE;
	t->expire = 0;
}

/* True from start until stopped or returned by tt_timer_wheel_advance(). */
static inline bool tt_timer_pending(const struct tt_timer *t)
{
	return t->next != TT_TIMER_NONE;
}

/*
 * Arm timer i to expire at expire_tick (within reach, or at the reach), moving
 * it if already pending. An expiry at or before the wheel's current tick makes
 * it due on the next advance, after the timers already due (it is treated as
 * expiring now).
 */
void tt_timer_start(struct tt_timer_wheel *w, uint32_t i, uint64_t expire_tick);

/* The absolute expiry of t: pending, or just returned by tt_timer_wheel_advance(). */
static inline uint64_t tt_timer_expiry(const struct tt_timer_wheel *w, const struct tt_timer *t)
{
	uint64_t now = ((const struct tt_timer_wheel_pub *)(const void *)w)->now;

	return now + (uint64_t)(int64_t)(int32_t)(t->expire - (uint32_t)now);
}

/*
 * Arm timer i (i < n_nodes) to expire no later than expire_tick: as tt_timer_start, but a
 * no-op when it is pending with an expiry at or before that one (for callers that re-check
 * what is due when the timer fires, so an early timer costs nothing until then).
 */
static inline void tt_timer_start_before(struct tt_timer_wheel *w, uint32_t i, uint64_t expire_tick)
{
	const struct tt_timer_wheel_pub *p = (const struct tt_timer_wheel_pub *)(const void *)w;
	const struct tt_timer *t = (const struct tt_timer *)(p->nodes + (size_t)i * p->stride);

	if (tt_timer_pending(t) && tt_timer_expiry(w, t) <= expire_tick)
		return;
	tt_timer_start(w, i, expire_tick);
}

/* Disarm timer i; a no-op on an idle timer. */
void tt_timer_stop(struct tt_timer_wheel *w, uint32_t i);

/*
 * Move the wheel to now_tick and hand back at most max expired timers in
 * out[] (their indices), already unlinked and idle, in expiry order. Every
 * returned timer has expiry <= now_tick. Timers left over by the max or cascade
 * bounds stay due and come back from following calls first. A 0 return can
 * therefore mean a cascade is in progress rather than that nothing is due: call
 * again on the next poll. A now_tick below the wheel's tick moves nothing and
 * hands out only due timers with expiry <= now_tick.
 */
unsigned tt_timer_wheel_advance(struct tt_timer_wheel *w, uint64_t now_tick, uint32_t *out,
				unsigned max);

/* Timers currently armed (started, neither stopped nor returned yet). */
uint64_t tt_timer_wheel_pending_count(const struct tt_timer_wheel *w);

#endif /* TT_TIMER_H */
