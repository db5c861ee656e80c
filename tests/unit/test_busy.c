/*
 * The worker's recent busy share (lib/worker/tt_busy.h): saturated only when more than half of
 * the last whole window and the current one was busy; never before any cycle; a window rolls
 * over at its span exactly, and an iteration longer than a span fills a window alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tt_busy.h"

enum { SPAN = 1000 };

static void test_empty_not_saturated(void **state)
{
	struct tt_busy_window b;

	(void)state;
	tt_busy_window_init(&b, SPAN);
	assert_false(tt_busy_window_saturated(&b));
	tt_busy_window_add(&b, 0, true);
	assert_false(tt_busy_window_saturated(&b));
	tt_busy_window_add(&b, 1, true);
	assert_true(tt_busy_window_saturated(&b));
}

/* Exactly half is not more than half. */
static void test_half(void **state)
{
	struct tt_busy_window b;

	(void)state;
	tt_busy_window_init(&b, SPAN);
	tt_busy_window_add(&b, 500, false);
	tt_busy_window_add(&b, 500, true);
	assert_int_equal(b.prev_total, SPAN);
	assert_int_equal(b.cur_total, 0);
	assert_false(tt_busy_window_saturated(&b));
	tt_busy_window_add(&b, 1, true);
	assert_true(tt_busy_window_saturated(&b));
	tt_busy_window_add(&b, 2, false);
	assert_false(tt_busy_window_saturated(&b));
}

/*
 * A wave after idle time: a window of idle, then busy iterations for 0.4 of a window; then
 * sustained load saturates within a window, and the first idle window after it ends that.
 */
static void test_wave_then_overload(void **state)
{
	struct tt_busy_window b;

	(void)state;
	tt_busy_window_init(&b, SPAN);
	for (unsigned i = 0; i < 100; i++)
		tt_busy_window_add(&b, 10, false);
	for (unsigned i = 0; i < 40; i++) {
		tt_busy_window_add(&b, 10, true);
		assert_false(tt_busy_window_saturated(&b));
	}
	for (unsigned i = 0; i < 60; i++)
		tt_busy_window_add(&b, 10, true);
	/* Rolled over: the last window 1.0 busy, the current one empty. */
	assert_int_equal(b.prev_busy, SPAN);
	assert_true(tt_busy_window_saturated(&b));
	for (unsigned i = 0; i < 100; i++) {
		tt_busy_window_add(&b, 10, false);
		assert_int_equal(tt_busy_window_saturated(&b), i < 99);
	}
	assert_int_equal(b.prev_busy, 0);
}

/* An iteration longer than the span, and sums near the top of the range, do not wrap. */
static void test_long_iterations(void **state)
{
	struct tt_busy_window b;

	(void)state;
	tt_busy_window_init(&b, SPAN);
	tt_busy_window_add(&b, 5 * SPAN, true);
	assert_int_equal(b.prev_total, 5 * SPAN);
	assert_true(tt_busy_window_saturated(&b));
	tt_busy_window_add(&b, 5 * SPAN + 1, false);
	assert_false(tt_busy_window_saturated(&b));
	tt_busy_window_init(&b, UINT64_C(1) << 60);
	tt_busy_window_add(&b, (UINT64_C(1) << 60) - 1, true);
	assert_true(tt_busy_window_saturated(&b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_not_saturated),
	    cmocka_unit_test(test_half),
	    cmocka_unit_test(test_wave_then_overload),
	    cmocka_unit_test(test_long_iterations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
