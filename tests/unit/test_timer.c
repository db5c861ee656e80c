/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "splitmix.h"
#include "tt_timer.h"

/* splitmix64: fixed seeds make every failure reproducible. */
struct rng {
	uint64_t s;
};

static uint64_t rng_below(struct rng *r, uint64_t bound)
{
	return splitmix64(&r->s) % bound;
}

static struct tt_timer *timers_new(size_t n)
{
	struct tt_timer *t = calloc(n, sizeof(*t));
	size_t i;

	assert_non_null(t);
	for (i = 0; i < n; i++)
		tt_timer_init(&t[i]);
	return t;
}

/* The timers of the wheel in process (wheel_new's array), for advance_checked. */
static struct tt_timer *cur_timers;
static size_t cur_n;

/* A wheel over the n timers of array t. */
static struct tt_timer_wheel *wheel_new(uint64_t now, struct tt_timer *t, size_t n)
{
	struct tt_timer_wheel *w = tt_timer_wheel_create(now, t, sizeof(*t), (uint32_t)n);

	assert_non_null(w);
	assert_int_equal(tt_timer_wheel_pending_count(w), 0);
	cur_timers = t;
	cur_n = n;
	return w;
}

/* Advance and check what every returned timer must satisfy. */
static unsigned advance_checked(struct tt_timer_wheel *w, uint64_t now, uint32_t *out, unsigned max)
{
	uint64_t before = tt_timer_wheel_pending_count(w);
	unsigned n = tt_timer_wheel_advance(w, now, out, max);
	unsigned i;

	assert_true(n <= max);
	assert_int_equal(tt_timer_wheel_pending_count(w), before - n);
	for (i = 0; i < n; i++) {
		assert_true(out[i] < cur_n);
		assert_false(tt_timer_pending(&cur_timers[out[i]]));
		assert_int_equal(cur_timers[out[i]].prev, TT_TIMER_NONE);
		assert_true(tt_timer_expiry(w, &cur_timers[out[i]]) <= now);
	}
	return n;
}

static size_t index_of(size_t count, uint32_t i)
{
	assert_true(i < count);
	return i;
}

static const uint64_t bases[] = {
    0,
    12345,
    (UINT64_C(1) << 32) - 40000, /* runs across a horizon (epoch) boundary */
    UINT64_C(0x0123456789abcdef),
    UINT64_MAX - (UINT64_C(1) << 42), /* near the end of tick space */
};

static void test_create_empty(void **state)
{
	uint32_t out[4];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		struct tt_timer_wheel *w = wheel_new(bases[i], NULL, 0);

		assert_int_equal(advance_checked(w, bases[i], out, 4), 0);
		assert_int_equal(advance_checked(w, bases[i] + 1000000, out, 4), 0);
		tt_timer_wheel_free(w);
	}
	tt_timer_wheel_free(NULL);
	/* The list heads take the top indices: no array may reach them. */
	errno = 0;
	assert_null(
	    tt_timer_wheel_create(0, NULL, sizeof(struct tt_timer), TT_TIMER_MAX_NODES + 1));
	assert_int_equal(errno, EINVAL);
}

static void test_order(void **state)
{
	enum { N = 20000, SPREAD_TICKS = 300000, MAX = 7 };
	uint32_t out[MAX];
	size_t b;

	(void)state;
	for (b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		struct rng r = {.s = 1 + b};
		struct tt_timer *t = timers_new(N);
		struct tt_timer_wheel *w = wheel_new(bases[b], t, N);
		uint64_t now = bases[b], last = 0;
		size_t got = 0, calls = 0, i;

		for (i = 0; i < N; i++)
			tt_timer_start(w, (uint32_t)i, bases[b] + 1 + rng_below(&r, SPREAD_TICKS));
		assert_int_equal(tt_timer_wheel_pending_count(w), N);
		while (tt_timer_wheel_pending_count(w) > 0) {
			unsigned n = advance_checked(w, now, out, MAX);

			for (i = 0; i < n; i++) {
				assert_true(tt_timer_expiry(w, &t[out[i]]) >= last);
				last = tt_timer_expiry(w, &t[out[i]]);
			}
			got += n;
			if (n < MAX && now < bases[b] + SPREAD_TICKS)
				now += 1 + rng_below(&r, 5000);
			/* A lost timer must fail the test, not hang it. */
			assert_true(++calls < 100000);
		}
		assert_int_equal(got, N);
		tt_timer_wheel_free(w);
		free(t);
	}
}

/* Every tick is visited: a timer set in the future must come back on its own tick. */
static void test_tick_by_tick_exact(void **state)
{
	enum { N = 3000, SPREAD_TICKS = 70000 };
	uint32_t *out = calloc(N, sizeof(*out));
	size_t b;

	(void)state;
	assert_non_null(out);
	for (b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		struct rng r = {.s = 100 + b};
		struct tt_timer *t = timers_new(N);
		struct tt_timer_wheel *w = wheel_new(bases[b], t, N);
		uint64_t now;
		size_t got = 0, i;

		for (i = 0; i < N; i++)
			tt_timer_start(w, (uint32_t)i, bases[b] + 1 + rng_below(&r, SPREAD_TICKS));
		for (now = bases[b] + 1; now <= bases[b] + SPREAD_TICKS; now++) {
			unsigned n = advance_checked(w, now, out, N);

			for (i = 0; i < n; i++)
				assert_true(tt_timer_expiry(w, &t[out[i]]) == now);
			got += n;
		}
		assert_int_equal(got, N);
		assert_int_equal(tt_timer_wheel_pending_count(w), 0);
		tt_timer_wheel_free(w);
		free(t);
	}
	free(out);
}

struct shadow {
	struct tt_timer *t;
	uint64_t *expire;
	bool *armed;
	uint64_t armed_count;
};

static uint64_t random_span(struct rng *r)
{
	static const uint64_t span_ticks[] = {4, 300, 70000, UINT64_C(1) << 25,
					      TT_TIMER_REACH_TICKS + 1};

	return rng_below(r, span_ticks[rng_below(r, sizeof(span_ticks) / sizeof(span_ticks[0]))]);
}

static void shadow_check_after_advance(const struct tt_timer_wheel *w, const struct shadow *sh,
				       size_t n_timers, uint64_t now, const uint32_t *out,
				       unsigned n)
{
	unsigned i;
	size_t k;

	for (i = 0; i < n; i++) {
		k = index_of(n_timers, out[i]);
		assert_true(sh->armed[k]);
		assert_true(tt_timer_expiry(w, &sh->t[out[i]]) == sh->expire[k]);
		sh->armed[k] = false;
	}
	/* Nothing due may be left behind by an advance that passes it. */
	for (k = 0; k < n_timers; k++) {
		assert_true(tt_timer_pending(&sh->t[k]) == sh->armed[k]);
		if (sh->armed[k])
			assert_true(sh->expire[k] > now);
	}
}

static void random_ops(struct tt_timer_wheel *w, struct shadow *sh, size_t n_timers, uint64_t base,
		       struct rng *r)
{
	enum { OPS = 40000 };
	uint32_t *out = calloc(n_timers, sizeof(*out));
	uint64_t now = base;
	unsigned op;

	assert_non_null(out);
	for (op = 0; op < OPS; op++) {
		size_t k = rng_below(r, n_timers);
		uint64_t roll = rng_below(r, 100);

		if (roll < 45) {
			/* A few land in the past: they are due on the next advance. */
			uint64_t back = rng_below(r, 3);
			uint64_t expire = rng_below(r, 10) != 0 ? now + random_span(r)
					  : now >= back		? now - back
								: now;

			sh->armed_count += !sh->armed[k];
			tt_timer_start(w, (uint32_t)k, expire);
			sh->armed[k] = true;
			sh->expire[k] = expire;
		} else if (roll < 60) {
			sh->armed_count -= sh->armed[k];
			tt_timer_stop(w, (uint32_t)k);
			sh->armed[k] = false;
		} else {
			unsigned n;

			now += rng_below(r, 100) == 0 ? random_span(r) : rng_below(r, 300);
			n = advance_checked(w, now, out, (unsigned)n_timers);
			sh->armed_count -= n;
			shadow_check_after_advance(w, sh, n_timers, now, out, n);
		}
		assert_int_equal(tt_timer_wheel_pending_count(w), sh->armed_count);
	}
	free(out);
}

/*
 * Random starts, restarts, stops and jumps. Few enough timers that one call
 * never hits the cascade bound, so every due timer must come back from the
 * first advance that reaches its expiry.
 */
static void test_never_early_random(void **state)
{
	enum { N = 128 };
	size_t b;

	(void)state;
	for (b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		struct rng r = {.s = 200 + b};
		struct shadow sh = {
		    .t = timers_new(N),
		    .expire = calloc(N, sizeof(uint64_t)),
		    .armed = calloc(N, sizeof(bool)),
		};
		struct tt_timer_wheel *w = wheel_new(bases[b], sh.t, N);

		assert_non_null(sh.expire);
		assert_non_null(sh.armed);
		random_ops(w, &sh, N, bases[b], &r);
		tt_timer_wheel_free(w);
		free(sh.t);
		free(sh.expire);
		free(sh.armed);
	}
}

static void test_stop_idle(void **state)
{
	struct tt_timer t;
	struct tt_timer_wheel *w = wheel_new(50, &t, 1);
	uint32_t out[2];

	(void)state;
	tt_timer_init(&t);
	assert_false(tt_timer_pending(&t));
	tt_timer_stop(w, 0);
	assert_false(tt_timer_pending(&t));
	assert_int_equal(tt_timer_wheel_pending_count(w), 0);

	tt_timer_start(w, 0, 60);
	assert_true(tt_timer_pending(&t));
	tt_timer_stop(w, 0);
	tt_timer_stop(w, 0);
	assert_false(tt_timer_pending(&t));
	assert_int_equal(tt_timer_wheel_pending_count(w), 0);
	assert_int_equal(advance_checked(w, 1000, out, 2), 0);

	/* Returned timers are idle: stopping one afterwards changes nothing. */
	tt_timer_start(w, 0, 1001);
	assert_int_equal(advance_checked(w, 1001, out, 2), 1);
	tt_timer_stop(w, 0);
	assert_int_equal(tt_timer_wheel_pending_count(w), 0);
	tt_timer_wheel_free(w);
}

static void test_stop_half(void **state)
{
	enum { N = 5000, SPREAD_TICKS = 1 << 20 };
	uint32_t *out = calloc(N, sizeof(*out));
	struct tt_timer *t = timers_new(N);
	struct tt_timer_wheel *w = wheel_new(7, t, N);
	struct rng r = {.s = 300};
	bool *seen = calloc(N, sizeof(bool));
	uint64_t now = 7;
	size_t got = 0, calls = 0, i;

	(void)state;
	assert_non_null(out);
	assert_non_null(seen);
	for (i = 0; i < N; i++)
		tt_timer_start(w, (uint32_t)i, 8 + rng_below(&r, SPREAD_TICKS));
	for (i = 1; i < N; i += 2)
		tt_timer_stop(w, (uint32_t)i);
	assert_int_equal(tt_timer_wheel_pending_count(w), N / 2);
	while (tt_timer_wheel_pending_count(w) > 0) {
		unsigned n;

		if (now < 8 + SPREAD_TICKS)
			now += 1 + rng_below(&r, 20000);
		n = advance_checked(w, now, out, N);
		for (i = 0; i < n; i++) {
			size_t k = index_of(N, out[i]);

			assert_true(k % 2 == 0);
			assert_false(seen[k]);
			seen[k] = true;
		}
		got += n;
		assert_true(++calls < 1000);
	}
	assert_int_equal(got, N / 2);
	assert_int_equal(tt_timer_wheel_pending_count(w), 0);
	tt_timer_wheel_free(w);
	free(t);
	free(seen);
	free(out);
}

/* Stop timers sitting on the due list and on a half re-filed cascade. */
static void test_stop_due_and_cascading(void **state)
{
	enum { N = 3 * TT_TIMER_CASCADE_MAX_PER_CALL, SLOT_START = 5 << 16 };
	uint32_t *out = calloc(N, sizeof(*out));
	struct tt_timer *t = timers_new(N);
	struct tt_timer_wheel *w = wheel_new(0, t, N);
	bool *seen = calloc(N, sizeof(bool));
	size_t got = 0, i, calls = 0;

	(void)state;
	assert_non_null(out);
	assert_non_null(seen);
	/* Due at a level-2 slot start: re-filing moves them straight to the due list. */
	for (i = 0; i < N; i++)
		tt_timer_start(w, (uint32_t)i, SLOT_START);
	got = advance_checked(w, SLOT_START, out, 1);
	assert_int_equal(got, 1);
	/* Slots and lists are FIFO, so t[0] came first; stop every third of the rest. */
	assert_int_equal(out[0], 0);
	seen[0] = true;
	for (i = 3; i < N; i += 3)
		tt_timer_stop(w, (uint32_t)i);
	assert_int_equal(tt_timer_wheel_pending_count(w), N - 1 - (N / 3 - 1));
	while (tt_timer_wheel_pending_count(w) > 0 && calls++ < 100) {
		unsigned n = advance_checked(w, SLOT_START, out, N);

		for (i = 0; i < n; i++) {
			size_t k = index_of(N, out[i]);

			assert_false(seen[k]);
			assert_true(k % 3 != 0);
			seen[k] = true;
		}
		got += n;
	}
	assert_int_equal(tt_timer_wheel_pending_count(w), 0);
	assert_int_equal(got, N - (N / 3 - 1));
	tt_timer_wheel_free(w);
	free(t);
	free(seen);
	free(out);
}

struct restart_case {
	uint64_t first_tick;
	uint64_t second_tick;
};

static void test_restart_moves(void **state)
{
	static const struct restart_case cases[] = {
	    {500, 300},				/* earlier, same level */
	    {300, 500},				/* later, same level */
	    {200, 70000},			/* later, higher level */
	    {70000, 150},			/* earlier, lower level */
	    {400, 400},				/* same tick */
	    {5000, 90},				/* into the past: due at once */
	    {300, 100 + TT_TIMER_REACH_TICKS},	/* the reach itself */
	    {100 + TT_TIMER_REACH_TICKS, 1000}, /* back from it */
	};
	const uint64_t base = 100;
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct restart_case *rc = &cases[c];
		uint64_t due = rc->second_tick > base ? rc->second_tick : base;
		struct tt_timer t;
		struct tt_timer_wheel *w = wheel_new(base, &t, 1);
		uint32_t out[2];

		tt_timer_init(&t);
		tt_timer_start(w, 0, rc->first_tick);
		tt_timer_start(w, 0, rc->second_tick);
		assert_int_equal(tt_timer_wheel_pending_count(w), 1);
		assert_true(tt_timer_expiry(w, &t) == rc->second_tick);
		if (due > base)
			assert_int_equal(advance_checked(w, due - 1, out, 2), 0);
		assert_int_equal(advance_checked(w, due, out, 2), 1);
		assert_int_equal(out[0], 0);
		assert_int_equal(advance_checked(w, rc->first_tick + 1, out, 2), 0);
		assert_int_equal(tt_timer_wheel_pending_count(w), 0);
		tt_timer_wheel_free(w);
	}
}

static void test_past_and_backwards(void **state)
{
	struct tt_timer t[3];
	struct tt_timer_wheel *w = wheel_new(1000, t, 3);
	uint32_t out[4];

	(void)state;
	for (unsigned i = 0; i < 3; i++)
		tt_timer_init(&t[i]);
	tt_timer_start(w, 0, 5);
	tt_timer_start(w, 1, 1000);
	tt_timer_start(w, 2, 1001);
	/* A clock that steps back still never gets a timer early. */
	assert_int_equal(advance_checked(w, 500, out, 4), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(advance_checked(w, 999, out, 4), 0);
	assert_int_equal(advance_checked(w, 1000, out, 4), 1);
	assert_int_equal(out[0], 1);
	assert_int_equal(advance_checked(w, 1001, out, 4), 1);
	assert_int_equal(out[0], 2);
	assert_int_equal(advance_checked(w, 1001, out, 0), 0);
	tt_timer_wheel_free(w);
}

/* 100k timers due on one tick drained 64 at a time: none lost, none twice. */
static void test_bounded_batch(void **state)
{
	enum { N = 100000, MAX = 64, EXPIRE = 1000 };
	struct tt_timer *t = timers_new(N);
	struct tt_timer_wheel *w = wheel_new(0, t, N);
	bool *seen = calloc(N, sizeof(bool));
	uint32_t out[MAX];
	size_t got = 0, calls = 0, i;

	(void)state;
	assert_non_null(seen);
	for (i = 0; i < N; i++)
		tt_timer_start(w, (uint32_t)i, EXPIRE);
	assert_int_equal(advance_checked(w, EXPIRE - 1, out, MAX), 0);
	while (got < N) {
		unsigned n = advance_checked(w, EXPIRE, out, MAX);

		for (i = 0; i < n; i++) {
			size_t k = index_of(N, out[i]);

			assert_false(seen[k]);
			seen[k] = true;
		}
		got += n;
		assert_true(++calls <= N / MAX + 2 * N / TT_TIMER_CASCADE_MAX_PER_CALL + 2);
	}
	assert_int_equal(got, N);
	assert_int_equal(tt_timer_wheel_pending_count(w), 0);
	assert_int_equal(advance_checked(w, EXPIRE + 1000, out, MAX), 0);
	tt_timer_wheel_free(w);
	free(t);
	free(seen);
}

/*
 * A million TIME-WAIT expiries in one upper-level slot: even with room for
 * all of them, one call re-files at most the cascade bound.
 */
static void test_cascade_bounded(void **state)
{
	enum { N = 1000000, SLOT_START = 3 << 16 };
	uint32_t *out = calloc(N, sizeof(*out));
	struct tt_timer *t = timers_new(N);
	struct tt_timer_wheel *w = wheel_new(0, t, N);
	bool *seen = calloc(N, sizeof(bool));
	size_t got = 0, calls = 0, i;

	(void)state;
	assert_non_null(out);
	assert_non_null(seen);
	/* At a level-2 slot start: each re-filed timer goes straight to the due list. */
	for (i = 0; i < N; i++)
		tt_timer_start(w, (uint32_t)i, SLOT_START);
	while (got < N) {
		unsigned n = advance_checked(w, SLOT_START + 500, out, N);

		assert_true(n <= TT_TIMER_CASCADE_MAX_PER_CALL);
		for (i = 0; i < n; i++) {
			size_t k = index_of(N, out[i]);

			assert_false(seen[k]);
			seen[k] = true;
		}
		got += n;
		assert_true(++calls <= 2 * (N / TT_TIMER_CASCADE_MAX_PER_CALL) + 10);
	}
	assert_true(calls >= N / TT_TIMER_CASCADE_MAX_PER_CALL);
	assert_int_equal(tt_timer_wheel_pending_count(w), 0);
	tt_timer_wheel_free(w);
	free(t);
	free(seen);
	free(out);
}

/* Offsets on both sides of every level boundary, up to the reach and past it. */
static const uint64_t far_offsets[] = {
    1,
    255,
    256,
    257,
    65535,
    65536,
    65537,
    (UINT64_C(1) << 24) - 1,
    UINT64_C(1) << 24,
    (UINT64_C(1) << 24) + 1,
    TT_TIMER_REACH_TICKS - 1,
    TT_TIMER_REACH_TICKS,
    TT_TIMER_REACH_TICKS + 1, /* past the reach: these fire at it, early */
    (UINT64_C(1) << 33) + 12345,
};

enum { N_FAR = sizeof(far_offsets) / sizeof(far_offsets[0]) };

/* When a timer armed offset ticks ahead fires: at the reach at the latest. */
static uint64_t far_due(uint64_t base, uint64_t offset)
{
	return base + (offset < TT_TIMER_REACH_TICKS ? offset : TT_TIMER_REACH_TICKS);
}

static void far_one(uint64_t base, uint64_t offset)
{
	struct tt_timer t;
	struct tt_timer_wheel *w = wheel_new(base, &t, 1);
	uint64_t expire = far_due(base, offset), step, now = base;
	uint32_t out[2];

	tt_timer_init(&t);
	tt_timer_start(w, 0, base + offset);
	/* Geometric steps towards the expiry cross every cascade on the way. */
	for (step = 1; step < expire - now; step *= 3) {
		now += step;
		assert_int_equal(advance_checked(w, now, out, 2), 0);
	}
	assert_int_equal(advance_checked(w, expire - 1, out, 2), 0);
	assert_int_equal(tt_timer_wheel_pending_count(w), 1);
	assert_int_equal(advance_checked(w, expire, out, 2), 1);
	assert_int_equal(out[0], 0);
	tt_timer_wheel_free(w);
}

/* All offsets in one wheel, visited expiry by expiry. */
static void far_all(uint64_t base)
{
	struct tt_timer t[N_FAR];
	struct tt_timer_wheel *w = wheel_new(base, t, N_FAR);
	uint32_t out[N_FAR];
	size_t i;

	for (i = 0; i < N_FAR; i++) {
		tt_timer_init(&t[i]);
		tt_timer_start(w, (uint32_t)i, base + far_offsets[i]);
	}
	for (i = 0; i < N_FAR;) {
		uint64_t expire = far_due(base, far_offsets[i]);
		size_t at_once = 1;

		/* All offsets past the reach fire together, at it, in the order armed. */
		while (i + at_once < N_FAR && far_due(base, far_offsets[i + at_once]) == expire)
			at_once++;
		if (i > 0)
			assert_int_equal(advance_checked(w, expire - 1, out, N_FAR), 0);
		assert_int_equal(advance_checked(w, expire, out, N_FAR), at_once);
		for (size_t k = 0; k < at_once; k++)
			assert_int_equal(out[k], i + k);
		i += at_once;
		assert_int_equal(tt_timer_wheel_pending_count(w), N_FAR - i);
	}
	tt_timer_wheel_free(w);
}

static void test_far_future(void **state)
{
	size_t b, i;

	(void)state;
	for (b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		for (i = 0; i < N_FAR; i++)
			far_one(bases[b], far_offsets[i]);
		far_all(bases[b]);
	}
	/* The last representable tick. */
	far_one(UINT64_MAX - TT_TIMER_REACH_TICKS, TT_TIMER_REACH_TICKS);
	far_one(UINT64_MAX - 1, 1);
}

/* start_before moves a timer earlier only; an idle one it arms. */
static void test_start_before(void **state)
{
	struct tt_timer t[2];
	struct tt_timer_wheel *w = wheel_new(100, t, 2);
	uint32_t out[2];

	(void)state;
	tt_timer_init(&t[0]);
	tt_timer_init(&t[1]);
	tt_timer_start_before(w, 0, 500);
	assert_true(tt_timer_pending(&t[0]));
	assert_true(tt_timer_expiry(w, &t[0]) == 500);
	tt_timer_start_before(w, 0, 700); /* later: stays at 500 */
	assert_true(tt_timer_expiry(w, &t[0]) == 500);
	tt_timer_start_before(w, 0, 500);
	assert_true(tt_timer_expiry(w, &t[0]) == 500);
	tt_timer_start_before(w, 0, 300); /* earlier: moves */
	assert_true(tt_timer_expiry(w, &t[0]) == 300);
	tt_timer_start_before(w, 1, 100 + TT_TIMER_REACH_TICKS + 5); /* at the reach */
	tt_timer_start_before(w, 1, 100 + TT_TIMER_REACH_TICKS + 1);
	assert_true(tt_timer_expiry(w, &t[1]) == 100 + TT_TIMER_REACH_TICKS);
	assert_int_equal(tt_timer_wheel_pending_count(w), 2);
	assert_int_equal(advance_checked(w, 299, out, 2), 0);
	assert_int_equal(advance_checked(w, 300, out, 2), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(advance_checked(w, 500, out, 2), 0);
	tt_timer_wheel_free(w);
}

/*
 * Advances at the tick the wheel is at, with timers started between them: one started for that
 * tick or before fires at the next such advance, one for the next tick only there; a stop
 * between two advances is honoured.
 */
static void test_same_tick(void **state)
{
	struct tt_timer t[4];
	struct tt_timer_wheel *w = wheel_new(1000, t, 4);
	uint32_t out[4];

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		tt_timer_init(&t[i]);
	tt_timer_start(w, 0, 1001);
	assert_int_equal(advance_checked(w, 1000, out, 4), 0);
	assert_int_equal(advance_checked(w, 1000, out, 4), 0);
	tt_timer_start(w, 1, 1000);
	assert_int_equal(advance_checked(w, 1000, out, 4), 1);
	assert_int_equal(out[0], 1);
	tt_timer_start(w, 2, 999);
	tt_timer_start(w, 3, 1000);
	tt_timer_stop(w, 3);
	assert_int_equal(advance_checked(w, 1000, out, 4), 1);
	assert_int_equal(out[0], 2);
	assert_int_equal(advance_checked(w, 1000, out, 4), 0);
	assert_int_equal(advance_checked(w, 1001, out, 4), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(advance_checked(w, 1001, out, 4), 0);
	assert_int_equal(tt_timer_wheel_pending_count(w), 0);
	tt_timer_wheel_free(w);
}

static void test_pending_count(void **state)
{
	struct tt_timer t[3];
	struct tt_timer_wheel *w = wheel_new(0, t, 3);
	uint32_t out[3];
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		tt_timer_init(&t[i]);
		tt_timer_start(w, (uint32_t)i, 10 * (i + 1));
		assert_int_equal(tt_timer_wheel_pending_count(w), i + 1);
	}
	tt_timer_start(w, 0, 25);
	assert_int_equal(tt_timer_wheel_pending_count(w), 3);
	tt_timer_stop(w, 1);
	assert_int_equal(tt_timer_wheel_pending_count(w), 2);
	tt_timer_stop(w, 1);
	assert_int_equal(tt_timer_wheel_pending_count(w), 2);
	assert_int_equal(advance_checked(w, 25, out, 3), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(tt_timer_wheel_pending_count(w), 1);
	assert_int_equal(advance_checked(w, 30, out, 3), 1);
	assert_int_equal(out[0], 2);
	assert_int_equal(tt_timer_wheel_pending_count(w), 0);
	tt_timer_wheel_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_empty),
	    cmocka_unit_test(test_same_tick),
	    cmocka_unit_test(test_order),
	    cmocka_unit_test(test_tick_by_tick_exact),
	    cmocka_unit_test(test_never_early_random),
	    cmocka_unit_test(test_stop_idle),
	    cmocka_unit_test(test_stop_half),
	    cmocka_unit_test(test_stop_due_and_cascading),
	    cmocka_unit_test(test_restart_moves),
	    cmocka_unit_test(test_past_and_backwards),
	    cmocka_unit_test(test_bounded_batch),
	    cmocka_unit_test(test_cascade_bounded),
	    cmocka_unit_test(test_far_future),
	    cmocka_unit_test(test_start_before),
	    cmocka_unit_test(test_pending_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
