/*
 * tt_sndq: a connection's send queue, as a short list of extents.
 *
 * TCP must keep every byte it sent until the peer acknowledges it.  The
 * applications here rarely produce new bytes: the HTTP responder sends
 * one immutable, pre-built response (shared by all workers), the echo
 * application sends back bytes it received.  So the queue holds
 * references, not copies: each extent is (pointer, length, owner), where
 * owner is an opaque handle the worker knows how to release (the received
 * mbuf for echo, NULL for static data).
 *
 * Sequence mapping: byte 0 of the queue is SND.UNA.  Acknowledged bytes
 * are dropped from the head (tt_sndq_ack), and extents whose last byte was
 * acknowledged are released through the callback given to it.
 *
 * Repeats: the HTTP responder answers a pipelined batch with the same
 * response again and again.  A static extent (no owner) pushed right behind
 * an identical one (same pointer and length) only counts one more copy in
 * that extent (reps), so a pipeline deeper than TT_SNDQ_EXTENTS does not
 * fill the queue after 8 answers and wait for the peer to retransmit the
 * requests it could not take.  A repeat is taken only while the queue, and
 * the extent with its acknowledged copies, hold at most
 * TT_SNDQ_REPEAT_MAX_BYTES, and the extent fewer than TT_SNDQ_REPEATS_MAX
 * copies: that bounds what a peer pipelining tiny requests can queue, and
 * len * reps never wraps however long the queue stays non-empty; past it,
 * pushes take slots as before.
 *
 *   ext: | data | owner | len (one copy) | reps |  -> len * reps bytes
 *
 * Checksums: a port without TCP checksum offload sums every payload byte it
 * sends.  The pusher may give the Internet checksum of one copy of an
 * extent's bytes (the HTTP responder sums its responses once, when it
 * renders them); tt_sndq_copy_sum then adds it for each whole copy a frame
 * carries instead of summing the bytes again, and sums only the pieces of
 * copies.  0 means not known (tt_net_cksum_sum is 0 only for zero bytes,
 * which sum to 0 anyway).  The bytes of an extent do not change while it
 * is queued (they are what a retransmission sends), so neither does its sum.
 *
 * Capacity is TT_SNDQ_EXTENTS; tt_sndq_push fails when full, which the
 * application sees as back-pressure.  Owned by the connection's worker.
 */
#ifndef TT_SNDQ_H
#define TT_SNDQ_H

#include <stdbool.h>
#include <stdint.h>

enum { TT_SNDQ_EXTENTS = 8 };

/* 256 KiB: a few RTTs of a 1 Gb/s peer's worth of responses, far beyond any real pipeline. */
#define TT_SNDQ_REPEAT_MAX_BYTES (256u * 1024)
/* What reps holds: 4-byte copies up to the byte bound; shorter ones take more slots. */
#define TT_SNDQ_REPEATS_MAX UINT16_MAX

struct tt_sndq_ext {
	const uint8_t *data;
	void *owner;   /* released when the extent is fully acknowledged */
	uint32_t len;  /* bytes of one copy of data */
	uint16_t reps; /* copies back to back; 1 for an owned extent */
	uint16_t sum;  /* tt_net_cksum_sum of one copy (seed 0); 0: not known */
};

static inline uint32_t tt_sndq_ext_bytes(const struct tt_sndq_ext *e)
{
	return e->len * e->reps;
}

struct tt_sndq {
	uint32_t bytes;	     /* unacknowledged + unsent bytes queued */
	uint32_t held_bytes; /* of which in owned extents (they hold receive buffers) */
	uint32_t head_off;   /* bytes of ext[head] already acknowledged */
	uint8_t head;
	uint8_t count;
	struct tt_sndq_ext ext[TT_SNDQ_EXTENTS];
};

/* Gives back an owner handle: release(arg, owner), arg the caller's (the worker's io.arg). */
typedef void (*tt_sndq_release_fn)(void *arg, void *owner);

/*
 * An empty queue in memory that held anything (a send block back from another connection).  Only
 * the counters: an extent is read only between head and head + count, and tt_sndq_push writes it
 * whole before it gets there, so the 192 bytes of extents need no clearing.
 */
static inline void tt_sndq_init(struct tt_sndq *q)
{
	q->bytes = 0;
	q->held_bytes = 0;
	q->head_off = 0;
	q->head = 0;
	q->count = 0;
}

static inline bool tt_sndq_full(const struct tt_sndq *q)
{
	return q->count == TT_SNDQ_EXTENTS;
}

static inline unsigned tt_sndq_space(const struct tt_sndq *q)
{
	return TT_SNDQ_EXTENTS - q->count;
}

/* Append an extent, or one more copy to the last one (see Repeats); false when the queue is
 * full (nothing changed).  sum: the checksum of data (see Checksums), 0 if not known. */
bool tt_sndq_push(struct tt_sndq *q, const void *data, uint32_t len, void *owner, uint16_t sum);

/* Whether tt_sndq_push would take these bytes now: a free extent, or one more copy of the last
 * (also when every extent is taken). */
bool tt_sndq_takes(const struct tt_sndq *q, const void *data, uint32_t len, void *owner);

/* Drop n acknowledged bytes from the head, releasing finished extents; returns the owners
 * released. */
unsigned tt_sndq_ack(struct tt_sndq *q, uint32_t n, tt_sndq_release_fn release, void *arg);

/* Copy len bytes starting off bytes after the head into dst. */
void tt_sndq_copy(const struct tt_sndq *q, uint32_t off, uint32_t len, uint8_t *dst);

/* The same copy, returning the Internet checksum of the bytes copied (folded, not inverted, in
 * memory byte order, as tt_net_cksum_sum of dst): whole copies of a summed extent add its sum,
 * the rest is summed from dst. */
uint16_t tt_sndq_copy_sum(const struct tt_sndq *q, uint32_t off, uint32_t len, uint8_t *dst);

/* Release everything (connection torn down); returns the owners released. */
unsigned tt_sndq_flush(struct tt_sndq *q, tt_sndq_release_fn release, void *arg);

#endif
