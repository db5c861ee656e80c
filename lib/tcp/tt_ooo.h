/*
 * tt_ooo: the segments of one connection that arrived after a hole.
 *
 * A lost segment used to cost the whole flight behind it: every later
 * segment was dropped and the sender had to resend them all.  Instead up
 * to TT_OOO_SEGS of them wait here, as references to their receive
 * buffers (owner, as in the send queue), until the hole is filled; then
 * they are handed to the application in order.
 *
 * Blocks come from a small per-worker pool and a connection holds one
 * only while it has a hole, so the TCB pays 4 bytes (an index) and the
 * number of receive buffers pinned by holes is bounded by the pool, which
 * a peer cannot grow.  Segments are kept sorted by sequence number and
 * disjoint: a segment overlapping one already queued is not kept (the
 * sender's retransmission covers it).  Owned by one worker lcore.
 *
 * The queue also answers what our SACK option reports (RFC 2018 4): its
 * contiguous runs of bytes as blocks, the run holding the most recently
 * kept segment first, then the runs of the segments kept before it, newest
 * first, then the rest in sequence order.  Only bytes held here are ever
 * reported: a block is a promise the data need not be sent again.  So when
 * the hole is filled and the application takes only part of a segment, the
 * rest stays here at RCV.NXT (tt_ooo_trim_front) until it has room.
 */
#ifndef TT_OOO_H
#define TT_OOO_H

#include <stdbool.h>
#include <stdint.h>

#include "tt_net.h"

enum { TT_OOO_SEGS = 8 };

struct tt_ooo_seg {
	uint32_t seq;
	uint32_t len;
	const uint8_t *data;
	void *owner;
};

struct tt_ooo {
	uint32_t n;
	uint32_t n_recent;
	/* Sequence numbers of the last segments kept, newest first (SACK block order). */
	uint32_t recent[TT_SACK_MAX_BLOCKS];
	struct tt_ooo_seg seg[TT_OOO_SEGS];
};

/* An empty queue. */
void tt_ooo_init(struct tt_ooo *q);

/* Keep a segment; false (nothing changed) when it overlaps one kept or the block is full. */
bool tt_ooo_insert(struct tt_ooo *q, const struct tt_ooo_seg *s);

/* Remove the first (lowest) segment. */
void tt_ooo_pop(struct tt_ooo *q);

/* The first segment's bytes before seq are gone (taken); seq lies inside it. */
void tt_ooo_trim_front(struct tt_ooo *q, uint32_t seq);

/* Up to max (<= TT_SACK_MAX_BLOCKS) SACK blocks of what the queue holds, in the order above;
 * returns how many were written. */
uint8_t tt_ooo_sack_blocks(const struct tt_ooo *q, struct tt_sack_block *b, uint8_t max);

#endif
