/*
 * tt_sack: the sender's SACK scoreboard of one connection (RFC 6675 2-4).
 *
 * It remembers which bytes above SND.UNA the peer reported holding (its
 * SACK blocks), as at most TT_SACK_RANGES sorted, disjoint, non-touching
 * ranges, and HighRxt, how far this recovery has retransmitted.  From
 * them it answers RFC 6675's questions: IsLost (per hole: every byte of a
 * hole has the same SACKed bytes above it), the pipe estimate, and
 * NextSeg's retransmission candidates.
 *
 * Every block is the peer's choice: tt_sack_sb_add takes only a block
 * inside [una, max] that is not empty or inverted, in modular sequence
 * arithmetic (una and max at most 2^31 apart, as a connection's are), and
 * the caller counts the rest.  When the ranges are all taken, the highest
 * is forgotten: data we forget the peer holds is at worst sent again.
 *
 * Blocks live in a per-worker pool (72 bytes each); a connection holds
 * one only while the peer reports loss (lib/tcp/tt_tcp_sack.c), so the
 * TCB pays a 16-bit index.  No allocation, no I/O; owned by one worker.
 */
#ifndef TT_SACK_H
#define TT_SACK_H

#include <stdbool.h>
#include <stdint.h>

enum {
	TT_SACK_RANGES = 8,
	TT_SACK_DUP_THRESH = 3, /* DupThresh (RFC 6675 2, RFC 5681 3.2) */
};

struct tt_sack_range {
	uint32_t start, end; /* [start, end) */
};

struct tt_sack_sb {
	uint32_t high_rxt; /* HighRxt: retransmissions of this recovery reached up to here */
	uint32_t n;
	struct tt_sack_range r[TT_SACK_RANGES];
};

/* A segment to retransmit: seq, len (0: none). */
struct tt_sack_seg {
	uint32_t seq;
	uint32_t len;
};

/* Empty scoreboard of a connection whose first unacknowledged byte is una. */
void tt_sack_sb_init(struct tt_sack_sb *sb, uint32_t una);

/*
 * Block [start, end) lies in [una, max] and is not empty.  Judged by unsigned offsets from
 * una, not by comparing sequence numbers pairwise: a block of 2^31 bytes or more is "after"
 * its own end in modular order, and could pass pairwise checks with una == max.
 */
static inline bool tt_sack_block_in(uint32_t start, uint32_t end, uint32_t una, uint32_t max)
{
	return start - una < end - una && end - una <= max - una;
}

/* Record block [start, end) if tt_sack_block_in; false: ignored. */
bool tt_sack_sb_add(struct tt_sack_sb *sb, uint32_t start, uint32_t end, uint32_t una,
		    uint32_t max);

/* Bytes SACKed in all. */
uint32_t tt_sack_sb_bytes(const struct tt_sack_sb *sb);

/* The cumulative ACK moved to una: forget what lies below it. */
void tt_sack_sb_trim(struct tt_sack_sb *sb, uint32_t una);

/* RFC 6675 IsLost(seq) for an unSACKed seq in [una, max). */
bool tt_sack_sb_lost(const struct tt_sack_sb *sb, uint32_t seq, uint32_t mss);

/* RFC 6675 SetPipe(): bytes presumed in the network between una and max. */
uint32_t tt_sack_sb_pipe(const struct tt_sack_sb *sb, uint32_t una, uint32_t max, uint32_t mss);

/*
 * RFC 6675 NextSeg() rules 1 (lost) and 3 (lost or not): the first unSACKed
 * bytes at or above max(HighRxt, una) and below the highest SACKed byte, at
 * most mss of them.  len 0: none.
 */
struct tt_sack_seg tt_sack_sb_next(const struct tt_sack_sb *sb, uint32_t una, uint32_t mss,
				   bool lost_only);

#endif
