#include <string.h>

#include "tt_sndq.h"

static inline unsigned slot(const struct tt_sndq *q, unsigned i)
{
	return (q->head + i) % TT_SNDQ_EXTENTS;
}

bool tt_sndq_push(struct tt_sndq *q, const void *data, uint32_t len, void *owner)
{
	struct tt_sndq_ext *e;

	if (tt_sndq_full(q))
		return false;
	e = &q->ext[slot(q, q->count)];
	e->data = data;
	e->len = len;
	e->owner = owner;
	q->count++;
	q->bytes += len;
	if (owner != NULL)
		q->held_bytes += len;
	return true;
}

/* Returns 1 if the extent held an owner (now released), else 0. */
static unsigned pop_head(struct tt_sndq *q, tt_sndq_release_fn release)
{
	struct tt_sndq_ext *e = &q->ext[q->head];
	unsigned owned = e->owner != NULL;

	if (owned) {
		q->held_bytes -= e->len - q->head_off;
		release(e->owner);
	}
	q->bytes -= e->len - q->head_off;
	q->head_off = 0;
	q->head = (uint8_t)slot(q, 1);
	q->count--;
	return owned;
}

unsigned tt_sndq_ack(struct tt_sndq *q, uint32_t n, tt_sndq_release_fn release)
{
	unsigned released = 0;

	while (n > 0 && q->count > 0) {
		struct tt_sndq_ext *e = &q->ext[q->head];
		uint32_t left = e->len - q->head_off;

		if (n < left) {
			q->head_off += n;
			q->bytes -= n;
			if (e->owner != NULL)
				q->held_bytes -= n;
			break;
		}
		n -= left;
		released += pop_head(q, release);
	}
	return released;
}

void tt_sndq_copy(const struct tt_sndq *q, uint32_t off, uint32_t len, uint8_t *dst)
{
	uint32_t skip = off + q->head_off;

	for (unsigned i = 0; i < q->count && len > 0; i++) {
		const struct tt_sndq_ext *e = &q->ext[slot(q, i)];
		uint32_t n;

		if (skip >= e->len) {
			skip -= e->len;
			continue;
		}
		n = e->len - skip < len ? e->len - skip : len;
		memcpy(dst, e->data + skip, n);
		dst += n;
		len -= n;
		skip = 0;
	}
}

unsigned tt_sndq_flush(struct tt_sndq *q, tt_sndq_release_fn release)
{
	unsigned released = 0;

	while (q->count > 0)
		released += pop_head(q, release);
	return released;
}
