/* SPDX-License-Identifier: BSD-3-Clause */
#include "tt_timer.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

enum {
	SLOT_MASK = TT_TIMER_SLOTS_PER_LEVEL - 1,
	BITMAP_WORDS = TT_TIMER_SLOTS_PER_LEVEL / 64,
	TOP_LEVEL = TT_TIMER_LEVELS - 1,
	HORIZON_BITS = TT_TIMER_LEVEL_BITS * TT_TIMER_LEVELS,
	/* Never a regular slot at the top level: its index would have to exceed now's. */
	BEYOND_HORIZON_SLOT = 0,
	N_SLOTS = TT_TIMER_LEVELS * TT_TIMER_SLOTS_PER_LEVEL,
	/* List heads after the slots' */
	HEAD_DUE = N_SLOTS,
	HEAD_CASCADE,
	N_HEADS,
};

static_assert(TT_TIMER_SLOTS_PER_LEVEL % 64 == 0, "occupancy bitmap uses whole words");
static_assert(HORIZON_BITS < 64, "epoch bits must exist above the top level");
static_assert(TT_TIMER_MAX_NODES + N_HEADS == TT_TIMER_NONE, "heads fill the top indices");
static_assert(TT_TIMER_REACH_TICKS <= INT32_MAX, "an expiry is read back as now +/- 31 bits");

static_assert(offsetof(struct tt_timer_wheel_pub, now) == 0, "the inline accessors' view");

struct tt_timer_wheel {
	/* Touched by every advance: the clock, counters, bitmaps and where the timers are. */
	struct tt_timer_wheel_pub pub; /* now: every slot whose first tick is <= now is off */
	uint64_t pending;
	uint64_t occupied[TT_TIMER_LEVELS][BITMAP_WORDS];
	/* List heads, at indices TT_TIMER_MAX_NODES + k: the slots (level * 256 + slot), then
	 * the due list (expire <= now, waiting to be handed out) and the cascade list (taken
	 * off an upper slot, waiting to be re-filed).  A head links to itself when empty. */
	struct tt_timer head[N_HEADS];
};

static uint32_t head_index(unsigned k)
{
	return TT_TIMER_MAX_NODES + k;
}

static struct tt_timer *node(struct tt_timer_wheel *w, uint32_t i)
{
	if (i >= TT_TIMER_MAX_NODES)
		return &w->head[i - TT_TIMER_MAX_NODES];
	return (struct tt_timer *)(w->pub.nodes + (size_t)i * w->pub.stride);
}

static void list_init(struct tt_timer_wheel *w, uint32_t h)
{
	node(w, h)->next = h;
	node(w, h)->prev = h;
}

static bool list_empty(struct tt_timer_wheel *w, uint32_t h)
{
	return node(w, h)->next == h;
}

static void list_add_tail(struct tt_timer_wheel *w, uint32_t h, uint32_t i)
{
	struct tt_timer *head = node(w, h), *t = node(w, i);

	t->prev = head->prev;
	t->next = h;
	node(w, head->prev)->next = i;
	head->prev = i;
}

/* Move all of src, in order, to the tail of dst in O(1). */
static void list_splice_tail(struct tt_timer_wheel *w, uint32_t dst, uint32_t src)
{
	struct tt_timer *d = node(w, dst), *s = node(w, src);

	if (s->next == src)
		return;
	node(w, s->next)->prev = d->prev;
	node(w, d->prev)->next = s->next;
	node(w, s->prev)->next = dst;
	d->prev = s->prev;
	list_init(w, src);
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

static uint64_t expiry_of(const struct tt_timer_wheel *w, const struct tt_timer *t)
{
	return tt_timer_expiry(w, t);
}

/*
 * A timer does not record its slot, so the slot is recovered from the list
 * head, found only when the unlink empties the list (the head is then both
 * neighbours). The due and cascade heads are not slots and are skipped.
 */
static inline void detach(struct tt_timer_wheel *w, uint32_t i)
{
	struct tt_timer *t = node(w, i);
	uint32_t next = t->next, prev = t->prev, k;

	node(w, prev)->next = next;
	node(w, next)->prev = prev;
	t->next = TT_TIMER_NONE;
	t->prev = TT_TIMER_NONE;
	if (next != prev || next < TT_TIMER_MAX_NODES)
		return;
	k = next - TT_TIMER_MAX_NODES;
	if (k < N_SLOTS)
		bit_clear(w->occupied[k / TT_TIMER_SLOTS_PER_LEVEL], k % TT_TIMER_SLOTS_PER_LEVEL);
}

static void file_timer(struct tt_timer_wheel *w, uint32_t i, uint64_t expire)
{
	unsigned level, slot;

	if (expire <= w->pub.now) {
		list_add_tail(w, head_index(HEAD_DUE), i);
		return;
	}
	level = (unsigned)(63 - __builtin_clzll(expire ^ w->pub.now)) / TT_TIMER_LEVEL_BITS;
	if (level > TOP_LEVEL) {
		level = TOP_LEVEL;
		slot = BEYOND_HORIZON_SLOT;
	} else {
		slot = (unsigned)(expire >> (level * TT_TIMER_LEVEL_BITS)) & SLOT_MASK;
	}
	list_add_tail(w, head_index(level * TT_TIMER_SLOTS_PER_LEVEL + slot), i);
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
		unsigned cur = (unsigned)(w->pub.now >> shift) & SLOT_MASK;
		uint64_t span = UINT64_C(1) << (shift + TT_TIMER_LEVEL_BITS);
		int s = bit_find_from(w->occupied[level], cur + 1);

		if (s >= 0) {
			*tick = (w->pub.now & ~(span - 1)) | ((uint64_t)s << shift);
			return true;
		}
	}
	if (bit_test(w->occupied[TOP_LEVEL], BEYOND_HORIZON_SLOT)) {
		*tick = ((w->pub.now >> HORIZON_BITS) + 1) << HORIZON_BITS;
		return true;
	}
	return false;
}

/* Move the wheel to tick and take off every slot that starts exactly there. */
static void take_off_slots(struct tt_timer_wheel *w, uint64_t tick)
{
	unsigned level;

	w->pub.now = tick;
	for (level = TOP_LEVEL; level > 0; level--) {
		unsigned shift = level * TT_TIMER_LEVEL_BITS;
		unsigned slot = (unsigned)(tick >> shift) & SLOT_MASK;

		if ((tick & ((UINT64_C(1) << shift) - 1)) != 0 ||
		    !bit_test(w->occupied[level], slot))
			continue;
		list_splice_tail(w, head_index(HEAD_CASCADE),
				 head_index(level * TT_TIMER_SLOTS_PER_LEVEL + slot));
		bit_clear(w->occupied[level], slot);
	}
	list_splice_tail(w, head_index(HEAD_DUE), head_index((unsigned)(tick & SLOT_MASK)));
	bit_clear(w->occupied[0], (unsigned)(tick & SLOT_MASK));
}

static unsigned refile_cascade(struct tt_timer_wheel *w, unsigned budget)
{
	uint32_t cascade = head_index(HEAD_CASCADE);
	unsigned n = 0;

	while (n < budget && !list_empty(w, cascade)) {
		uint32_t i = node(w, cascade)->next;

		detach(w, i);
		file_timer(w, i, expiry_of(w, node(w, i)));
		n++;
	}
	return n;
}

/*
 * Fill out[n..max) from the due list; returns the new fill level. The expiry
 * check only bites when the caller's clock stepped back below the wheel's.
 */
static unsigned drain_due(struct tt_timer_wheel *w, uint64_t now_tick, uint32_t *out, unsigned n,
			  unsigned max)
{
	uint32_t due = head_index(HEAD_DUE);
	unsigned first = n;

	while (n < max && !list_empty(w, due)) {
		uint32_t i = node(w, due)->next;

		if (expiry_of(w, node(w, i)) > now_tick)
			break;
		detach(w, i);
		out[n++] = i;
	}
	w->pending -= n - first;
	return n;
}

struct tt_timer_wheel *tt_timer_wheel_create(uint64_t now_tick, void *nodes, size_t stride,
					     uint32_t n_nodes)
{
	struct tt_timer_wheel *w;
	unsigned k;

	if (n_nodes > TT_TIMER_MAX_NODES || (n_nodes > 0 && stride < sizeof(struct tt_timer))) {
		errno = EINVAL;
		return NULL;
	}
	w = malloc(sizeof(*w));
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	w->pub.now = now_tick;
	w->pending = 0;
	w->pub.nodes = nodes;
	w->pub.stride = stride;
	for (k = 0; k < TT_TIMER_LEVELS; k++)
		for (unsigned word = 0; word < BITMAP_WORDS; word++)
			w->occupied[k][word] = 0;
	for (k = 0; k < N_HEADS; k++)
		list_init(w, head_index(k));
	return w;
}

void tt_timer_wheel_free(struct tt_timer_wheel *w)
{
	free(w);
}

void tt_timer_start(struct tt_timer_wheel *w, uint32_t i, uint64_t expire_tick)
{
	struct tt_timer *t = node(w, i);

	if (tt_timer_pending(t))
		detach(w, i);
	else
		w->pending++;
	if (expire_tick > w->pub.now && expire_tick - w->pub.now > TT_TIMER_REACH_TICKS)
		expire_tick = w->pub.now + TT_TIMER_REACH_TICKS;
	else if (expire_tick < w->pub.now && w->pub.now - expire_tick > TT_TIMER_REACH_TICKS)
		expire_tick = w->pub.now - TT_TIMER_REACH_TICKS;
	t->expire = (uint32_t)expire_tick;
	file_timer(w, i, expire_tick);
}

void tt_timer_stop(struct tt_timer_wheel *w, uint32_t i)
{
	if (!tt_timer_pending(node(w, i)))
		return;
	detach(w, i);
	w->pending--;
}

unsigned tt_timer_wheel_advance(struct tt_timer_wheel *w, uint64_t now_tick, uint32_t *out,
				unsigned max)
{
	unsigned budget = TT_TIMER_CASCADE_MAX_PER_CALL;
	unsigned n = 0;
	uint64_t tick;

	/* The clock stood still since the last call that caught up: every slot starting at or
	 * before now was taken off then, and a timer started since for now or earlier went to the
	 * due list.  So nothing is due but that list, and no slot scan is needed (a worker calls
	 * this once per loop iteration, many times a tick). */
	if (now_tick == w->pub.now && list_empty(w, head_index(HEAD_DUE)) &&
	    list_empty(w, head_index(HEAD_CASCADE)))
		return 0;
	for (;;) {
		n = drain_due(w, now_tick, out, n, max);
		if (n == max)
			break;
		if (!list_empty(w, head_index(HEAD_CASCADE))) {
			/* The wheel may not move on before this tick's cascade is complete. */
			if (budget == 0)
				break;
			budget -= refile_cascade(w, budget);
			continue;
		}
		if (!next_event(w, &tick) || tick > now_tick) {
			if (now_tick > w->pub.now)
				w->pub.now = now_tick;
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
