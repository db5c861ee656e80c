/* SPDX-License-Identifier: BSD-3-Clause */
/* tt_ooo on its own: the segments a peer sends beyond a hole, every sequence number and length
 * its choice.  Zero length and a full queue, overlaps on either side, touching runs, the 2^32
 * wrap, and the SACK blocks made of what is held: newest first, never more than asked for,
 * never a byte the queue no longer holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tt_ooo.h"

static bool put(struct tt_ooo *q, uint32_t seq, uint32_t len)
{
	const struct tt_ooo_seg s = {.seq = seq, .len = len};

	return tt_ooo_insert(q, &s);
}

/* The queue holds exactly these (seq, len) pairs, in this order. */
static void expect_segs(const struct tt_ooo *q, const uint32_t *sl, uint32_t n)
{
	assert_int_equal(q->n, n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(q->seg[i].seq, sl[2 * i]);
		assert_int_equal(q->seg[i].len, sl[2 * i + 1]);
	}
}

/* tt_ooo_sack_blocks(q, max) gives exactly these [start, end) pairs. */
static void expect_blocks(const struct tt_ooo *q, uint8_t max, const uint32_t *se, uint8_t n)
{
	struct tt_sack_block b[TT_SACK_MAX_BLOCKS];

	assert_int_equal(tt_ooo_sack_blocks(q, b, max), n);
	for (uint8_t i = 0; i < n; i++) {
		assert_int_equal(b[i].start, se[2 * i]);
		assert_int_equal(b[i].end, se[2 * i + 1]);
	}
}

/* A segment of no bytes is never kept; one byte is. */
static void test_lengths_zero_and_one(void **state)
{
	static const uint32_t one[] = {100, 1};
	static const uint32_t block[] = {100, 101};
	struct tt_ooo q;
	(void)state;

	tt_ooo_init(&q);
	assert_false(put(&q, 100, 0));
	assert_int_equal(q.n, 0);
	expect_blocks(&q, TT_SACK_MAX_BLOCKS, NULL, 0);
	assert_true(put(&q, 100, 1));
	expect_segs(&q, one, 1);
	expect_blocks(&q, TT_SACK_MAX_BLOCKS, block, 1);
	assert_false(put(&q, 100, 1)); /* the same byte again */
	expect_segs(&q, one, 1);
}

/* TT_OOO_SEGS segments at most: the next one, even disjoint, changes nothing. */
static void test_full(void **state)
{
	uint32_t want[2 * TT_OOO_SEGS];
	struct tt_ooo q;
	(void)state;

	tt_ooo_init(&q);
	for (uint32_t i = 0; i < TT_OOO_SEGS; i++) {
		/* Inserted from the highest down, so each goes in front. */
		uint32_t k = TT_OOO_SEGS - 1 - i;

		assert_true(put(&q, 1000 * k, 10));
		want[2 * k] = 1000 * k;
		want[2 * k + 1] = 10;
	}
	expect_segs(&q, want, TT_OOO_SEGS);
	assert_false(put(&q, 100000, 10));
	assert_false(put(&q, 500, 10));
	expect_segs(&q, want, TT_OOO_SEGS);
	/* Popping makes room again. */
	tt_ooo_pop(&q);
	assert_int_equal(q.n, TT_OOO_SEGS - 1);
	assert_int_equal(q.seg[0].seq, 1000);
	assert_true(put(&q, 500, 10));
	assert_int_equal(q.seg[0].seq, 500);
}

/* Overlaps with the neighbour below or above, containing or contained, are refused whole;
 * a segment that only touches its neighbours is kept and joins their run. */
static void test_overlaps_and_touching(void **state)
{
	static const struct {
		uint32_t seq, len;
		bool kept;
	} steps[] = {
	    {1000, 100, true},	/* the first */
	    {1200, 100, true},	/* a hole of 100 below it */
	    {1099, 2, false},	/* the last byte of the one below */
	    {1150, 51, false},	/* the first byte of the one above */
	    {1000, 100, false}, /* the same again */
	    {1010, 10, false},	/* inside */
	    {900, 500, false},	/* around both */
	    {999, 1, true},	/* touches from below */
	    {1100, 100, true},	/* fills the gap exactly */
	};
	static const uint32_t segs[] = {999, 1, 1000, 100, 1100, 100, 1200, 100};
	static const uint32_t run[] = {999, 1300};
	struct tt_ooo q;
	(void)state;

	tt_ooo_init(&q);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		assert_int_equal(put(&q, steps[i].seq, steps[i].len), steps[i].kept);
	expect_segs(&q, segs, 4);
	expect_blocks(&q, TT_SACK_MAX_BLOCKS, run, 1);
}

/* Sequence numbers wrap through 2^32: order, overlap and runs are modular. */
static void test_wrap(void **state)
{
	static const uint32_t segs[] = {0xffffff00u, 0x100, 0, 0x80, 0x100, 0x10};
	static const uint32_t blocks[] = {0x100, 0x110, 0xffffff00u, 0x80};
	struct tt_ooo q;
	(void)state;

	tt_ooo_init(&q);
	assert_true(put(&q, 0, 0x80));
	assert_true(put(&q, 0xffffff00u, 0x100)); /* ends at 2^32: touches 0 */
	assert_false(put(&q, 0xfffffff0u, 0x20)); /* across the wrap, over both */
	assert_false(put(&q, 0x7f, 1));
	assert_true(put(&q, 0x100, 0x10));
	expect_segs(&q, segs, 3);
	/* The newest segment's run first, then the run of the two across the wrap. */
	expect_blocks(&q, TT_SACK_MAX_BLOCKS, blocks, 2);
	tt_ooo_pop(&q);
	assert_int_equal(q.seg[0].seq, 0);
}

/* The blocks: the run of the newest segment kept, then those of the segments kept before it,
 * newest first (four remembered, each run once), then the other runs in sequence order, max at
 * most; a remembered segment no longer held gives no block. */
static void test_block_order(void **state)
{
	static const uint32_t newest_first[] = {7000, 7100, 5000, 5100, 3000, 3100, 1000, 1100};
	static const uint32_t six[] = {11000, 11100, 9000, 9100, 7000, 7100, 5000, 5100};
	static const uint32_t joined[] = {5000, 5101, 9000, 9200, 11000, 11100, 7000, 7100};
	static const uint32_t popped[] = {9000, 9200, 11000, 11100, 7000, 7100};
	struct tt_ooo q;
	(void)state;

	tt_ooo_init(&q);
	for (uint32_t s = 1000; s <= 7000; s += 2000)
		assert_true(put(&q, s, 100));
	expect_blocks(&q, TT_SACK_MAX_BLOCKS, newest_first, 4);
	expect_blocks(&q, 3, newest_first, 3);
	expect_blocks(&q, 0, NULL, 0);
	assert_true(put(&q, 9000, 100));
	assert_true(put(&q, 11000, 100));
	assert_int_equal(q.n_recent, TT_SACK_MAX_BLOCKS);
	expect_blocks(&q, TT_SACK_MAX_BLOCKS, six, 4);
	/* 1000 and 3000 handed over: the four newest are all still held. */
	tt_ooo_pop(&q);
	tt_ooo_pop(&q);
	expect_blocks(&q, TT_SACK_MAX_BLOCKS, six, 4);
	/* Two segments that join runs: 7000 is no longer remembered and comes last, and 9000,
	 * remembered beside 9100, does not report its run twice. */
	assert_true(put(&q, 9100, 100));
	assert_true(put(&q, 5100, 1));
	expect_blocks(&q, TT_SACK_MAX_BLOCKS, joined, 4);
	/* The newest run handed over: 5100, still remembered, gives nothing. */
	tt_ooo_pop(&q);
	tt_ooo_pop(&q);
	expect_blocks(&q, TT_SACK_MAX_BLOCKS, popped, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lengths_zero_and_one),  cmocka_unit_test(test_full),
	    cmocka_unit_test(test_overlaps_and_touching), cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_block_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
