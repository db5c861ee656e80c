#include <string.h>

#include "tt_ooo.h"

static bool before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
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
	return true;
}

void tt_ooo_pop(struct tt_ooo *q)
{
	q->n--;
	memmove(&q->seg[0], &q->seg[1], q->n * sizeof(q->seg[0]));
}
