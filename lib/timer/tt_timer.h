/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_TIMER_H
#define TT_TIMER_H

/*
 * Per-worker hierarchical timer wheel (Varghese & Lauck, scheme 7).
 *
 * Every connection timeout (TIME-WAIT, retransmit, FIN-WAIT-2, idle) is a
 * struct tt_timer embedded in the connection object; the wheel only links it.
 * Time is an unsigned 64-bit tick count supplied by the caller (the worker
 * uses 1 tick = 1 ms and converts the TSC itself), so this module has no
 * DPDK dependency.
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
 * Horizon: 2^32 ticks (49.7 days at 1 ms). An expiry whose epoch (bits 63-32)
 * differs from now's is parked in level 3 slot 0, which the rule above never
 * uses, and is filed again each time now crosses a 2^32 boundary.
 *
 * Invariants: a timer is idle (next == prev == NULL) or on exactly one list:
 * a slot, the cascade list (slots taken off the wheel but not yet re-filed)
 * or the due list (expiry <= now, not yet handed out). Pending timers stay
 * pending until stopped or returned by tt_timer_wheel_advance().
 *
 * Cost: start and stop are O(1) (doubly linked slot lists, per-level
 * occupancy bitmaps). Advancing finds the next non-empty slot by scanning at
 * most 4 x 4 bitmap words, whatever the gap, and moves a whole slot in O(1).
 * A timer is re-filed at most 3 times in its life (plus once per 2^32 ticks
 * beyond the horizon). One advance call returns at most `max` timers and
 * re-files at most TT_TIMER_CASCADE_MAX_PER_CALL, so a wave of a million
 * expiries is spread over many calls instead of stalling the worker; the
 * wheel does not move past a tick until that tick's cascade is complete, so
 * the bound delays timers but never reorders them. Memory: ~25 KiB a wheel.
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

#define TT_TIMER_HORIZON_TICKS (UINT64_C(1) << (TT_TIMER_LEVEL_BITS * TT_TIMER_LEVELS))

/* Intrusive: embed in the object that owns the timeout. */
struct tt_timer {
	struct tt_timer *next;
	struct tt_timer *prev; /* next == prev == NULL: idle */
	uint64_t expire;       /* absolute tick */
};

struct tt_timer_wheel;

/* Returns NULL with errno set (ENOMEM) on failure. */
struct tt_timer_wheel *tt_timer_wheel_create(uint64_t now_tick);

/* Pending timers are not touched: re-init them before using them again. */
void tt_timer_wheel_free(struct tt_timer_wheel *w);

static inline void tt_timer_init(struct tt_timer *t)
{
	t->next = NULL;
	t->prev = NULL;
	t->expire = 0;
}

/* True from start until stopped or returned by tt_timer_wheel_advance(). */
static inline bool tt_timer_pending(const struct tt_timer *t)
{
	return t->next != NULL;
}

/*
 * Arm t to expire at expire_tick, moving it if already pending. An expiry at
 * or before the wheel's current tick makes it due on the next advance, after
 * the timers already due (it is treated as expiring now).
 */
void tt_timer_start(struct tt_timer_wheel *w, struct tt_timer *t, uint64_t expire_tick);

/* Disarm t; a no-op on an idle timer. */
void tt_timer_stop(struct tt_timer_wheel *w, struct tt_timer *t);

/*
 * Move the wheel to now_tick and hand back at most max expired timers in
 * out[], already unlinked and idle, in expiry order. Every returned timer has
 * expire <= now_tick. Timers left over by the max or cascade bounds stay due
 * and come back from following calls first. A 0 return can therefore mean a
 * cascade is in progress rather than that nothing is due: call again on the
 * next poll. A now_tick below the wheel's tick moves nothing and hands out
 * only due timers with expire <= now_tick.
 */
unsigned tt_timer_wheel_advance(struct tt_timer_wheel *w, uint64_t now_tick, struct tt_timer **out,
				unsigned max);

/* Timers currently armed (started, neither stopped nor returned yet). */
uint64_t tt_timer_wheel_pending_count(const struct tt_timer_wheel *w);

#endif /* TT_TIMER_H */
