/* SPDX-License-Identifier: BSD-3-Clause */
/* tt_sndq: extents, repeated static extents, acknowledgement and copy at any offset, with and
 * without the copied bytes' checksum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tt_net.h"
#include "tt_sndq.h"

static unsigned releases;

static void release(void *arg, void *owner)
{
	(void)arg;
	(void)owner;
	releases++;
}

static const uint8_t resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const uint8_t other[] = "0123456789";
#define RESP_LEN  ((uint32_t)sizeof(resp) - 1)
#define OTHER_LEN ((uint32_t)sizeof(other) - 1)

/* What the queue must read as: reps copies of resp, then other, then 3 more of resp. */
enum { REPS = 20 };
static uint8_t want[(REPS + 3) * sizeof(resp) + sizeof(other)];

/* The queue of want; with summed, each push gives its bytes' checksum. */
static uint32_t fill_summed(struct tt_sndq *q, bool summed)
{
	uint16_t resp_sum = summed ? tt_net_cksum_sum(resp, RESP_LEN, 0) : 0;
	uint16_t other_sum = summed ? tt_net_cksum_sum(other, OTHER_LEN, 0) : 0;
	uint32_t n = 0;

	tt_sndq_init(q);
	for (unsigned i = 0; i < REPS; i++) {
		assert_true(tt_sndq_push(q, resp, RESP_LEN, NULL, resp_sum));
		memcpy(want + n, resp, RESP_LEN);
		n += RESP_LEN;
	}
	assert_true(tt_sndq_push(q, other, OTHER_LEN, NULL, other_sum));
	memcpy(want + n, other, OTHER_LEN);
	n += OTHER_LEN;
	for (unsigned i = 0; i < 3; i++) {
		assert_true(tt_sndq_push(q, resp, RESP_LEN, NULL, resp_sum));
		memcpy(want + n, resp, RESP_LEN);
		n += RESP_LEN;
	}
	return n;
}

static uint32_t fill(struct tt_sndq *q)
{
	return fill_summed(q, false);
}

static void test_repeats_share_an_extent(void **state)
{
	struct tt_sndq q;
	uint32_t total;
	int owner;

	(void)state;
	total = fill(&q);
	assert_int_equal(q.count, 3);
	assert_int_equal(q.ext[0].reps, REPS);
	assert_int_equal(q.ext[1].reps, 1);
	assert_int_equal(q.ext[2].reps, 3);
	assert_int_equal(q.bytes, total);
	/* Same bytes at another address, or owned bytes, never join an extent. */
	assert_true(tt_sndq_push(&q, other, RESP_LEN, NULL, 0));
	assert_int_equal(q.count, 4);
	assert_true(tt_sndq_push(&q, resp, RESP_LEN, &owner, 0));
	assert_true(tt_sndq_push(&q, resp, RESP_LEN, &owner, 0));
	assert_int_equal(q.count, 6);
	assert_int_equal(q.held_bytes, 2 * RESP_LEN);
	releases = 0;
	assert_int_equal(tt_sndq_flush(&q, release, NULL), 2);
	assert_int_equal(releases, 2);
	assert_int_equal(q.bytes, 0);
}

/*
 * Every window of the queue, before and after acknowledging into a repeated extent: the bytes,
 * and with summed extents the checksum tt_sndq_copy_sum returns, that of the bytes copied (the
 * windows at odd offsets put whole copies at odd offsets of the frame).
 */
static void copy_every_offset(bool summed)
{
	static uint8_t got[sizeof(want)];
	struct tt_sndq q;
	uint32_t total, acked = 0;

	total = fill_summed(&q, summed);
	for (unsigned step = 0; step < 4; step++) {
		uint32_t left = total - acked;

		for (uint32_t off = 0; off <= left; off++) {
			uint32_t lens[] = {0,	      1, RESP_LEN - 1, RESP_LEN + 1, 3 * RESP_LEN,
					   left - off};

			for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
				uint32_t len = lens[k] < left - off ? lens[k] : left - off;

				memset(got, 0xee, len);
				if (summed)
					assert_int_equal(
					    tt_sndq_copy_sum(&q, off, len, got),
					    tt_net_cksum_sum(want + acked + off, len, 0));
				else
					tt_sndq_copy(&q, off, len, got);
				assert_memory_equal(got, want + acked + off, len);
			}
		}
		/* Into the middle of a copy, then across copies and extents. */
		tt_sndq_ack(&q, step == 0 ? 7 : 5 * RESP_LEN + 3, release, NULL);
		acked += step == 0 ? 7 : 5 * RESP_LEN + 3;
		assert_int_equal(q.bytes, total - acked);
	}
}

static void test_copy_every_offset(void **state)
{
	(void)state;
	copy_every_offset(false);
}

static void test_copy_sum_every_offset(void **state)
{
	(void)state;
	copy_every_offset(true);
}

/*
 * The given sum is what a whole copy adds, unread (a wrong one shows in the result); a piece of
 * a copy, and an extent pushed without a sum, are summed from the bytes.  An odd length puts
 * the second copy at an odd offset: its sum adds byte-swapped.
 */
static void test_copy_sum_takes_the_given_sum(void **state)
{
	static const uint8_t odd[] = "HTTP/1.1 204 No Content\r\n\r\n";
	const uint32_t len = (uint32_t)sizeof(odd) - 1;
	const uint16_t real = tt_net_cksum_sum(odd, len, 0), given = (uint16_t)(real ^ 0x1234);
	uint8_t got[2 * sizeof(odd)], ref[2 * sizeof(odd)];
	struct tt_sndq q;

	(void)state;
	assert_true(len % 2 == 1 && given != 0);
	tt_sndq_init(&q);
	assert_true(tt_sndq_push(&q, odd, len, NULL, given));
	assert_int_equal(tt_sndq_copy_sum(&q, 0, len, got), given);
	assert_memory_equal(got, odd, len);
	/* Two whole copies, the second at an odd offset: given + swap(given). */
	assert_true(tt_sndq_push(&q, odd, len, NULL, given));
	assert_int_equal(q.count, 1);
	assert_int_equal(tt_sndq_copy_sum(&q, 0, 2 * len, got),
			 tt_net_cksum_fold64((uint64_t)given + __builtin_bswap16(given)));
	memcpy(ref, odd, len);
	memcpy(ref + len, odd, len);
	assert_memory_equal(got, ref, 2 * len);
	/* Pieces of copies are summed from the bytes: the given sum plays no part. */
	assert_int_equal(tt_sndq_copy_sum(&q, 1, len, got), tt_net_cksum_sum(ref + 1, len, 0));
	assert_int_equal(tt_sndq_copy_sum(&q, 0, len - 1, got), tt_net_cksum_sum(ref, len - 1, 0));
	/* Without a sum, every copy is summed. */
	tt_sndq_init(&q);
	assert_true(tt_sndq_push(&q, odd, len, NULL, 0));
	assert_true(tt_sndq_push(&q, odd, len, NULL, 0));
	assert_int_equal(tt_sndq_copy_sum(&q, 0, 2 * len, got), tt_net_cksum_sum(ref, 2 * len, 0));
	assert_int_equal(tt_sndq_copy_sum(&q, 0, 0, got), 0);
}

static void test_ack_pops_when_every_copy_is_acked(void **state)
{
	struct tt_sndq q;
	uint32_t total;

	(void)state;
	total = fill(&q);
	tt_sndq_ack(&q, REPS * RESP_LEN - 1, release, NULL);
	assert_int_equal(q.count, 3);
	assert_int_equal(q.head_off, REPS * RESP_LEN - 1);
	/* A copy pushed now still joins the last extent, not the nearly acked head. */
	assert_true(tt_sndq_push(&q, resp, RESP_LEN, NULL, 0));
	assert_int_equal(q.ext[(q.head + 2) % TT_SNDQ_EXTENTS].reps, 4);
	tt_sndq_ack(&q, 1, release, NULL);
	assert_int_equal(q.count, 2);
	assert_int_equal(q.head_off, 0);
	tt_sndq_ack(&q, total + RESP_LEN, release, NULL);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
}

/* Past TT_SNDQ_REPEAT_MAX_BYTES queued, pushes take slots again and the queue fills. */
static void test_repeat_bound(void **state)
{
	static uint8_t big[4096];
	struct tt_sndq q;
	unsigned pushes = 0;

	(void)state;
	memset(&q, 0, sizeof(q));
	while (tt_sndq_push(&q, big, sizeof(big), NULL, 0))
		pushes++;
	assert_int_equal(q.count, TT_SNDQ_EXTENTS);
	assert_int_equal(q.ext[0].reps, TT_SNDQ_REPEAT_MAX_BYTES / sizeof(big));
	assert_int_equal(pushes, TT_SNDQ_REPEAT_MAX_BYTES / sizeof(big) + TT_SNDQ_EXTENTS - 1);
	assert_true(q.bytes <= TT_SNDQ_REPEAT_MAX_BYTES + TT_SNDQ_EXTENTS * sizeof(big));
}

/* Copies of a few bytes stop joining an extent at TT_SNDQ_REPEATS_MAX, before the byte bound:
 * reps cannot wrap. */
static void test_repeat_count_bound(void **state)
{
	static const uint8_t two[2] = {'o', 'k'};
	struct tt_sndq q;

	(void)state;
	assert_true((uint64_t)TT_SNDQ_REPEATS_MAX * sizeof(two) < TT_SNDQ_REPEAT_MAX_BYTES);
	tt_sndq_init(&q);
	for (uint32_t i = 0; i < TT_SNDQ_REPEATS_MAX; i++)
		assert_true(tt_sndq_push(&q, two, sizeof(two), NULL, 0));
	assert_int_equal(q.count, 1);
	assert_int_equal(q.ext[q.head].reps, TT_SNDQ_REPEATS_MAX);
	assert_true(tt_sndq_push(&q, two, sizeof(two), NULL, 0));
	assert_int_equal(q.count, 2);
	assert_int_equal(q.ext[q.head].reps, TT_SNDQ_REPEATS_MAX);
	assert_int_equal(q.bytes, (TT_SNDQ_REPEATS_MAX + 1u) * sizeof(two));
	tt_sndq_ack(&q, q.bytes, release, NULL);
	assert_int_equal(q.count, 0);
}

/*
 * A peer that acknowledges all but the last copies, again and again, keeps the queue short
 * but never empty: the extent stops growing at the bound (its acknowledged copies count), so
 * len * reps cannot wrap.
 */
static void test_repeat_bound_counts_acked_copies(void **state)
{
	static uint8_t big[4096];
	const uint32_t most = TT_SNDQ_REPEAT_MAX_BYTES / sizeof(big);
	struct tt_sndq q;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_true(tt_sndq_push(&q, big, sizeof(big), NULL, 0));
	for (uint32_t i = 1; i < most; i++) {
		assert_true(tt_sndq_push(&q, big, sizeof(big), NULL, 0));
		tt_sndq_ack(&q, sizeof(big), release, NULL);
		assert_int_equal(q.bytes, sizeof(big));
	}
	assert_int_equal(q.count, 1);
	assert_int_equal(q.ext[q.head].reps, most);
	assert_true(tt_sndq_push(&q, big, sizeof(big), NULL, 0));
	assert_int_equal(q.count, 2);
	assert_int_equal(q.ext[q.head].reps, most);
	assert_int_equal(q.ext[(q.head + 1) % TT_SNDQ_EXTENTS].reps, 1);
	assert_int_equal(q.bytes, 2 * sizeof(big));
}

/*
 * tt_sndq_init clears the counters only: a queue over the stale extents of an earlier use (the
 * same static response at the tail, an owned extent, garbage) behaves as a new one.  A push of
 * the stale tail's bytes starts an extent of its own, nothing stale is copied or released.
 */
static void test_init_over_stale_extents(void **state)
{
	static uint8_t got[2 * sizeof(resp)];
	struct tt_sndq q;
	int owner;

	(void)state;
	for (unsigned pass = 0; pass < 2; pass++) {
		if (pass == 0) {
			fill(&q);
			assert_true(tt_sndq_push(&q, resp, RESP_LEN, &owner, 0));
		} else {
			memset(&q, 0xa5, sizeof(q));
		}
		tt_sndq_init(&q);
		assert_int_equal(q.bytes, 0);
		assert_int_equal(q.held_bytes, 0);
		assert_int_equal(tt_sndq_space(&q), TT_SNDQ_EXTENTS);
		assert_true(tt_sndq_push(&q, resp, RESP_LEN, NULL, 0));
		assert_int_equal(q.count, 1);
		assert_int_equal(q.ext[q.head].reps, 1);
		assert_true(tt_sndq_push(&q, resp, RESP_LEN, NULL, 0));
		assert_int_equal(q.count, 1);
		assert_int_equal(q.bytes, 2 * RESP_LEN);
		memset(got, 0, sizeof(got));
		tt_sndq_copy(&q, 0, 2 * RESP_LEN, got);
		assert_memory_equal(got, resp, RESP_LEN);
		assert_memory_equal(got + RESP_LEN, resp, RESP_LEN);
		releases = 0;
		assert_int_equal(tt_sndq_ack(&q, 2 * RESP_LEN, release, NULL), 0);
		assert_int_equal(releases, 0);
		assert_int_equal(q.count, 0);
		assert_int_equal(q.bytes, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_repeats_share_an_extent),
	    cmocka_unit_test(test_copy_every_offset),
	    cmocka_unit_test(test_copy_sum_every_offset),
	    cmocka_unit_test(test_copy_sum_takes_the_given_sum),
	    cmocka_unit_test(test_repeat_count_bound),
	    cmocka_unit_test(test_ack_pops_when_every_copy_is_acked),
	    cmocka_unit_test(test_repeat_bound),
	    cmocka_unit_test(test_repeat_bound_counts_acked_copies),
	    cmocka_unit_test(test_init_over_stale_extents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
