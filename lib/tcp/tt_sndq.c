#include <string.h>

#include <rte_byteorder.h>

#include "tt_net.h"
#include "tt_sndq.h"

static inline unsigned slot(const struct tt_sndq *q, unsigned i)
{
	return (q->head + i) % TT_SNDQ_EXTENTS;
}

/*
 * The same static bytes again right behind the last extent, with room under the bound for
 * both the queue and that extent (whose acknowledged copies still count: a peer that never
 * lets the queue drain must not grow one extent until len * reps wraps).
 */
static bool repeats_tail(const struct tt_sndq *q, const void *data, uint32_t len, void *owner)
{
	const struct tt_sndq_ext *tail;

	if (owner != NULL || q->count == 0 || (uint64_t)q->bytes + len > TT_SNDQ_REPEAT_MAX_BYTES)
		return false;
	tail = &q->ext[slot(q, q->count - 1u)];
	return tail->owner == NULL && tail->data == data && tail->len == len &&
	       tail->reps < TT_SNDQ_REPEATS_MAX &&
	       (uint64_t)tail->len * (tail->reps + 1u) <= TT_SNDQ_REPEAT_MAX_BYTES;
}

bool tt_sndq_takes(const struct tt_sndq *q, const void *data, uint32_t len, void *owner)
{
	return !tt_sndq_full(q) || repeats_tail(q, data, len, owner);
}

bool tt_sndq_push(struct tt_sndq *q, const void *data, uint32_t len, void *owner, uint16_t sum)
{
	struct tt_sndq_ext *e;

	if (repeats_tail(q, data, len, owner)) {
		q->ext[slot(q, q->count - 1u)].reps++;
		q->bytes += len;
		return true;
	}
	if (tt_sndq_full(q))
		return false;
	e = &q->ext[slot(q, q->count)];
	e->data = data;
	e->len = len;
	e->reps = 1;
	e->sum = sum;
	e->owner = owner;
	q->count++;
	q->bytes += len;
	if (owner != NULL)
		q->held_bytes += len;
	return true;
}

/* Returns 1 if the extent held an owner (now released), else 0. */
static unsigned pop_head(struct tt_sndq *q, tt_sndq_release_fn release, void *arg)
{
	struct tt_sndq_ext *e = &q->ext[q->head];
	unsigned owned = e->owner != NULL;

	if (owned) {
		q->held_bytes -= tt_sndq_ext_bytes(e) - q->head_off;
		release(arg, e->owner);
	}
	q->bytes -= tt_sndq_ext_bytes(e) - q->head_off;
	q->head_off = 0;
	q->head = (uint8_t)slot(q, 1);
	q->count--;
	return owned;
}

unsigned tt_sndq_ack(struct tt_sndq *q, uint32_t n, tt_sndq_release_fn release, void *arg)
{
	unsigned released = 0;

	/* One extent, unowned, acknowledged whole (a response answered): nothing to walk. */
	if (q->count == 1 && n == q->bytes && q->ext[q->head].owner == NULL) {
		tt_sndq_init(q);
		return 0;
	}
	while (n > 0 && q->count > 0) {
		struct tt_sndq_ext *e = &q->ext[q->head];
		uint32_t left = tt_sndq_ext_bytes(e) - q->head_off;

		if (n < left) {
			q->head_off += n;
			q->bytes -= n;
			if (e->owner != NULL)
				q->held_bytes -= n;
			break;
		}
		n -= left;
		released += pop_head(q, release, arg);
	}
	return released;
}

/* The sum of n bytes of e just copied to dst: e's given sum for a whole copy, else summed. */
static inline uint16_t piece_sum(const struct tt_sndq_ext *e, const uint8_t *dst, uint32_t n)
{
	return e->sum != 0 && n == e->len ? e->sum : tt_net_cksum_sum(dst, n, 0);
}

/*
 * Copy len bytes from off bytes after the head into dst; with summed, also their checksum as
 * an unfolded sum of 16-bit words in memory order.  A piece that starts at an odd offset of
 * dst adds its sum byte-swapped (RFC 1071 2(B)).  Inlined twice, so the plain copy carries no
 * summing.
 */
static inline uint64_t copy_pieces(const struct tt_sndq *q, uint32_t off, uint32_t len,
				   uint8_t *dst, bool summed)
{
	uint32_t skip = off + q->head_off, pos = 0;
	uint64_t acc = 0;
	const struct tt_sndq_ext *h = &q->ext[q->head];

	/* Nearly every segment lies inside the first copy of the head extent (a response, or
	 * the next MSS of it): one copy, no walk. */
	if (q->count > 0 && len <= h->len && skip <= h->len - len) {
		memcpy(dst, h->data + skip, len);
		return summed ? piece_sum(h, dst, len) : 0;
	}
	for (unsigned i = 0; i < q->count && len > 0; i++) {
		const struct tt_sndq_ext *e = &q->ext[slot(q, i)];
		uint32_t bytes = tt_sndq_ext_bytes(e);

		if (skip >= bytes) {
			skip -= bytes;
			continue;
		}
		/* From skip to the extent's end or len, a copy of data at a time. */
		bytes = bytes - skip < len ? bytes - skip : len;
		len -= bytes;
		for (uint32_t at = skip % e->len, n; bytes > 0; bytes -= n, at = 0) {
			n = e->len - at < bytes ? e->len - at : bytes;
			memcpy(dst + pos, e->data + at, n);
			if (summed) {
				uint16_t sum = piece_sum(e, dst + pos, n);

				acc += (pos & 1) ? rte_bswap16(sum) : sum;
			}
			pos += n;
		}
		skip = 0;
	}
	return acc;
}

void tt_sndq_copy(const struct tt_sndq *q, uint32_t off, uint32_t len, uint8_t *dst)
{
	copy_pieces(q, off, len, dst, false);
}

uint16_t tt_sndq_copy_sum(const struct tt_sndq *q, uint32_t off, uint32_t len, uint8_t *dst)
{
	return tt_net_cksum_fold64(copy_pieces(q, off, len, dst, true));
}

unsigned tt_sndq_flush(struct tt_sndq *q, tt_sndq_release_fn release, void *arg)
{
	unsigned released = 0;

	while (q->count > 0)
		released += pop_head(q, release, arg);
	return released;
}
