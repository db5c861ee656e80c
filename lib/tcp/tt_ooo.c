#include <assert.h>
#include <string.h>

#include "tt_ooo.h"

static bool before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

void tt_ooo_init(struct tt_ooo *q)
{
	q->n = 0;
	q->n_recent = 0;
}

static void note_recent(struct tt_ooo *q, uint32_t seq)
{
	uint32_t keep = q->n_recent < TT_SACK_MAX_BLOCKS ? q->n_recent : TT_SACK_MAX_BLOCKS - 1;

	memmove(&q->recent[1], &q->recent[0], keep * sizeof(q->recent[0]));
	q->recent[0] = seq;
	q->n_recent = keep + 1;
}

bool tt_ooo_insert(struct tt_ooo *q, const struct tt_ooo_seg *s)
{
	uint32_t i = 0;

	if (q->n == TT_OOO_SEGS || s->len == 0)
		return false;
	while (i < q->n && before(q->seg[i].seq, s->seq))
		i++;
	/* Disjoint from the neighbours on both sides. */
	if (i > 0 && before(s->seq, q->seg[i - 1].seq + q->seg[i - 1].len))
		return false;
	if (i < q->n && before(q->seg[i].seq, s->seq + s->len))
		return false;
	memmove(&q->seg[i + 1], &q->seg[i], (q->n - i) * sizeof(q->seg[0]));
	q->seg[i] = *s;
	q->n++;
	note_recent(q, s->seq);
	return true;
}

void tt_ooo_pop(struct tt_ooo *q)
{
	q->n--;
	memmove(&q->seg[0], &q->seg[1], q->n * sizeof(q->seg[0]));
}

void tt_ooo_trim_front(struct tt_ooo *q, uint32_t seq)
{
	struct tt_ooo_seg *s = &q->seg[0];
	uint32_t cut = seq - s->seq;

	assert(q->n > 0 && cut < s->len);
	s->seq = seq;
	s->data += cut;
	s->len -= cut;
}

/* The queue's contiguous runs, in sequence order; returns how many. */
static uint32_t runs(const struct tt_ooo *q, struct tt_sack_block *r)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < q->n; i++) {
		const struct tt_ooo_seg *s = &q->seg[i];

		if (n > 0 && r[n - 1].end == s->seq) {
			r[n - 1].end = s->seq + s->len;
			continue;
		}
		r[n].start = s->seq;
		r[n].end = s->seq + s->len;
		n++;
	}
	return n;
}

uint8_t tt_ooo_sack_blocks(const struct tt_ooo *q, struct tt_sack_block *b, uint8_t max)
{
	struct tt_sack_block r[TT_OOO_SEGS];
	bool used[TT_OOO_SEGS] = {false};
	uint32_t nr = runs(q, r);
	uint8_t out = 0;

	for (uint32_t i = 0; i < q->n_recent && out < max; i++) {
		for (uint32_t k = 0; k < nr; k++) {
			if (used[k] || before(q->recent[i], r[k].start) ||
			    !before(q->recent[i], r[k].end))
				continue;
			used[k] = true;
			b[out++] = r[k];
			break;
		}
	}
	for (uint32_t k = 0; k < nr && out < max; k++)
		if (!used[k])
			b[out++] = r[k];
	return out;
}
