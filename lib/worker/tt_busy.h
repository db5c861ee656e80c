/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_BUSY_H
#define TT_BUSY_H

/*
 * Whether a worker has been saturated lately: busy for more than half of the time of its last
 * whole window and of the window being filled (one to two windows, a window being `span` TSC
 * cycles; the worker uses a millisecond).
 *
 * Admission control (tt_stack_rx_poll) counts full RX polls in a row; a burst of frames that
 * arrives together fills as many polls whatever the load, so a wave of SYNs at low load (a
 * closed loop's clients retransmitting together, or reconnecting after a link flap) would be
 * shed as if the worker were overloaded, and shed again on each repeat.  The worker counts a
 * poll as full only while this says saturated: a wave drains in well under a window after idle
 * time, overload leaves no idle.
 *
 * The worker adds each loop iteration's cycles, busy or idle, as it ends it.  No DPDK here.
 */
#include <stdbool.h>
#include <stdint.h>

struct tt_busy_window {
	uint64_t span;			/* a window's TSC cycles */
	uint64_t cur_busy, cur_total;	/* the window being filled */
	uint64_t prev_busy, prev_total; /* the last whole window (0, 0 before the first) */
};

static inline void tt_busy_window_init(struct tt_busy_window *b, uint64_t span)
{
	*b = (struct tt_busy_window){.span = span};
}

/* An iteration of `cycles` ended, busy or idle. */
static inline void tt_busy_window_add(struct tt_busy_window *b, uint64_t cycles, bool busy)
{
	b->cur_total += cycles;
	b->cur_busy += busy ? cycles : 0;
	if (b->cur_total >= b->span) {
		b->prev_busy = b->cur_busy;
		b->prev_total = b->cur_total;
		b->cur_busy = 0;
		b->cur_total = 0;
	}
}

/* Busy for more than half of the last whole window and the current one (never before any). */
static inline bool tt_busy_window_saturated(const struct tt_busy_window *b)
{
	return 2 * (b->prev_busy + b->cur_busy) > b->prev_total + b->cur_total;
}

#endif
