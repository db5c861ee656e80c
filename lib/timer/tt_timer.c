/* SPDX-License-Identifier: BSD-3-Clause */
#include "tt_timer.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

enum {
	SLOT_MASK = TT_TIMER_SLOTS_PER_LEVEL - 1,
	BITMAP_WORDS = TT_TIMER_SLOTS_PER_LEVEL / 64,
	TOP_LEVEL = TT_TIMER_LEVELS - 1,
	HORIZON_BITS = TT_TIMER_LEVEL_BITS * TT_TIMER_LEVELS,
	/* Never a regular slot at the top level: its index would have to exceed now's. */
	BEYOND_HORIZON_SLOT = 0,
};

static_assert(TT_TIMER_SLOTS_PER_LEVEL % 64 == 0, "occupancy bitmap uses whole words");
static_assert(HORIZON_BITS < 64, "epoch bits must exist above the top level");

struct tt_timer_wheel {
	/* Touched by every advance: the clock, counters, bitmaps and the two work lists. */
	uint64_t now; /* every slot whose first tick is <= now has been taken off */
	uint64_t pending;
	uint64_t occupied[TT_TIMER_LEVELS][BITMAP_WORDS];
	struct tt_timer due;	 /* expire <= now, waiting to be handed out */
	struct tt_timer cascade; /* taken off an upper slot, waiting to be re-filed */
	/* List heads: a head links to itself when its list is empty. */
	struct tt_timer slot[TT_TIMER_LEVELS][TT_TIMER_SLOTS_PER_LEVEL];
};

static void list_init(struct tt_timer *head)
{
	head->next = head;
	head->prev = head;
}

static bool list_empty(const struct tt_timer *head)
{
	return head->next == head;
}

static void list_add_tail(struct tt_timer *head, struct tt_timer *t)
{
	t->prev = head->prev;
	t->next = head;
	head->prev->next = t;
	head->prev = t;
}

/* Move all of src, in order, to the tail of dst in O(1). */
static void list_splice_tail(struct tt_timer *dst, struct tt_timer *src)
{
	if (list_empty(src))
		return;
	src->next->prev = dst->prev;
	dst->prev->next = src->next;
	src->prev->next = dst;
	dst->prev = src->prev;
	list_init(src);
}

static void bit_set(uint64_t *bm, unsigned bit)
{
	bm[bit / 64] |= UINT64_C(1) << (bit % 64);
}

static void bit_clear(uint64_t *bm, unsigned bit)
{
	bm[bit / 64] &= ~(UINT64_C(1) << (bit % 64));
}

static bool bit_test(const uint64_t *bm, unsigned bit)
{
	return (bm[bit / 64] >> (bit % 64)) & 1;
}

/* First set bit at or above from, or -1. */
static int bit_find_from(const uint64_t *bm, unsigned from)
{
	unsigned i = from / 64;
	uint64_t word;

	if (from >= TT_TIMER_SLOTS_PER_LEVEL)
		return -1;
	word = bm[i] & (~UINT64_C(0) << (from % 64));
	for (;;) {
		if (word != 0)
			return (int)(i * 64 + (unsigned)__builtin_ctzll(word));
		if (++i == BITMAP_WORDS)
			return -1;
		word = bm[i];
	}
}

/*
 * A timer does not record its slot, so the slot is recovered from the list
 * head, found only when the unlink empties the list (the head is then both
 * neighbours). The due and cascade heads lie outside slot[] and are skipped.
 */
static void detach(struct tt_timer_wheel *w, struct tt_timer *t)
{
	struct tt_timer *next = t->next;
	struct tt_timer *prev = t->prev;
	uintptr_t off;
	size_t idx;

	prev->next = next;
	next->prev = prev;
	t->next = NULL;
	t->prev = NULL;
	if (next != prev)
		return;
	off = (uintptr_t)next - (uintptr_t)&w->slot[0][0];
	if (off >= sizeof(w->slot))
		return;
	idx = off / sizeof(w->slot[0][0]);
	bit_clear(w->occupied[idx / TT_TIMER_SLOTS_PER_LEVEL], idx % TT_TIMER_SLOTS_PER_LEVEL);
}

static void file_timer(struct tt_timer_wheel *w, struct tt_timer *t)
{
	unsigned level, slot;

	if (t->expire <= w->now) {
		list_add_tail(&w->due, t);
		return;
	}
	level = (unsigned)(63 - __builtin_clzll(t->expire ^ w->now)) / TT_TIMER_LEVEL_BITS;
	if (level > TOP_LEVEL) {
		level = TOP_LEVEL;
		slot = BEYOND_HORIZON_SLOT;
	} else {
		slot = (unsigned)(t->expire >> (level * TT_TIMER_LEVEL_BITS)) & SLOT_MASK;
	}
	list_add_tail(&w->slot[level][slot], t);
	bit_set(w->occupied[level], slot);
}

/*
 * First tick after now at which a non-empty slot must be taken off. Filed
 * slots of level L all start before now's next level-(L+1) boundary, so the
 * lowest level with a slot ahead of now holds the answer.
 */
static bool next_event(const struct tt_timer_wheel *w, uint64_t *tick)
{
	unsigned level;

	for (level = 0; level < TT_TIMER_LEVELS; level++) {
		unsigned shift = level * TT_TIMER_LEVEL_BITS;
		unsigned cur = (unsigned)(w->now >> shift) & SLOT_MASK;
		uint64_t span = UINT64_C(1) << (shift + TT_TIMER_LEVEL_BITS);
		int s = bit_find_from(w->occupied[level], cur + 1);

		if (s >= 0) {
			*tick = (w->now & ~(span - 1)) | ((uint64_t)s << shift);
			return true;
		}
	}
	if (bit_test(w->occupied[TOP_LEVEL], BEYOND_HORIZON_SLOT)) {
		*tick = ((w->now >> HORIZON_BITS) + 1) << HORIZON_BITS;
		return true;
	}
	return false;
}

/* Move the wheel to tick and take off every slot that starts exactly there. */
static void take_off_slots(struct tt_timer_wheel *w, uint64_t tick)
{
	unsigned level;

	w->now = tick;
	for (level = TOP_LEVEL; level > 0; level--) {
		unsigned shift = level * TT_TIMER_LEVEL_BITS;
		unsigned slot = (unsigned)(tick >> shift) & SLOT_MASK;

		if ((tick & ((UINT64_C(1) << shift) - 1)) != 0 ||
		    !bit_test(w->occupied[level], slot))
			continue;
		list_splice_tail(&w->cascade, &w->slot[level][slot]);
		bit_clear(w->occupied[level], slot);
	}
	list_splice_tail(&w->due, &w->slot[0][tick & SLOT_MASK]);
	bit_clear(w->occupied[0], (unsigned)(tick & SLOT_MASK));
}

static unsigned refile_cascade(struct tt_timer_wheel *w, unsigned budget)
{
	unsigned n = 0;

	while (n < budget && !list_empty(&w->cascade)) {
		struct tt_timer *t = w->cascade.next;

		detach(w, t);
		file_timer(w, t);
		n++;
	}
	return n;
}

/*
 * Fill out[n..max) from the due list; returns the new fill level. The expiry
 * check only bites when the caller's clock stepped back below the wheel's.
 */
static unsigned drain_due(struct tt_timer_wheel *w, uint64_t now_tick, struct tt_timer **out,
			  unsigned n, unsigned max)
{
	unsigned first = n;

	while (n < max && !list_empty(&w->due)) {
		struct tt_timer *t = w->due.next;

		if (t->expire > now_tick)
			break;
		detach(w, t);
		out[n++] = t;
	}
	w->pending -= n - first;
	return n;
}

struct tt_timer_wheel *tt_timer_wheel_create(uint64_t now_tick)
{
	struct tt_timer_wheel *w = malloc(sizeof(*w));
	unsigned level, slot;

	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	w->now = now_tick;
	w->pending = 0;
	list_init(&w->due);
	list_init(&w->cascade);
	for (level = 0; level < TT_TIMER_LEVELS; level++) {
		for (slot = 0; slot < BITMAP_WORDS; slot++)
			w->occupied[level][slot] = 0;
		for (slot = 0; slot < TT_TIMER_SLOTS_PER_LEVEL; slot++)
			list_init(&w->slot[level][slot]);
	}
	return w;
}

void tt_timer_wheel_free(struct tt_timer_wheel *w)
{
	free(w);
}

void tt_timer_start(struct tt_timer_wheel *w, struct tt_timer *t, uint64_t expire_tick)
{
	if (tt_timer_pending(t))
		detach(w, t);
	else
		w->pending++;
	t->expire = expire_tick;
	file_timer(w, t);
}

void tt_timer_stop(struct tt_timer_wheel *w, struct tt_timer *t)
{
	if (!tt_timer_pending(t))
		return;
	detach(w, t);
	w->pending--;
}

unsigned tt_timer_wheel_advance(struct tt_timer_wheel *w, uint64_t now_tick, struct tt_timer **out,
				unsigned max)
{
	unsigned budget = TT_TIMER_CASCADE_MAX_PER_CALL;
	unsigned n = 0;
	uint64_t tick;

	for (;;) {
		n = drain_due(w, now_tick, out, n, max);
		if (n == max)
			break;
		if (!list_empty(&w->cascade)) {
			/* The wheel may not move on before this tick's cascade is complete. */
			if (budget == 0)
				break;
			budget -= refile_cascade(w, budget);
			continue;
		}
		if (!next_event(w, &tick) || tick > now_tick) {
			if (now_tick > w->now)
				w->now = now_tick;
			break;
		}
		take_off_slots(w, tick);
	}
	return n;
}

uint64_t tt_timer_wheel_pending_count(const struct tt_timer_wheel *w)
{
	return w->pending;
}
