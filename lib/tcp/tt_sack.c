/* The SACK scoreboard; see tt_sack.h. */
#include <string.h>

#include "tt_sack.h"

static bool lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static uint32_t seq_max(uint32_t a, uint32_t b)
{
	return lt(a, b) ? b : a;
}

void tt_sack_sb_init(struct tt_sack_sb *sb, uint32_t una)
{
	sb->high_rxt = una;
	sb->n = 0;
}

static void remove_at(struct tt_sack_sb *sb, uint32_t i, uint32_t count)
{
	memmove(&sb->r[i], &sb->r[i + count], (sb->n - i - count) * sizeof(sb->r[0]));
	sb->n -= count;
}

bool tt_sack_sb_add(struct tt_sack_sb *sb, uint32_t start, uint32_t end, uint32_t una, uint32_t max)
{
	uint32_t i = 0, j;

	if (!tt_sack_block_in(start, end, una, max))
		return false;
	/* First range that ends at or after start: it touches or follows the block. */
	while (i < sb->n && lt(sb->r[i].end, start))
		i++;
	/* Ranges i..j-1 touch or overlap the block: they merge into it. */
	j = i;
	while (j < sb->n && leq(sb->r[j].start, end)) {
		if (lt(sb->r[j].start, start))
			start = sb->r[j].start;
		if (lt(end, sb->r[j].end))
			end = sb->r[j].end;
		j++;
	}
	if (j > i) {
		sb->r[i].start = start;
		sb->r[i].end = end;
		remove_at(sb, i + 1, j - i - 1);
		return true;
	}
	if (sb->n == TT_SACK_RANGES) {
		if (i == sb->n)
			return true; /* above every range, and no room: forgotten */
		sb->n--;	     /* the highest range is forgotten */
	}
	memmove(&sb->r[i + 1], &sb->r[i], (sb->n - i) * sizeof(sb->r[0]));
	sb->r[i].start = start;
	sb->r[i].end = end;
	sb->n++;
	return true;
}

uint32_t tt_sack_sb_bytes(const struct tt_sack_sb *sb)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < sb->n; i++)
		n += sb->r[i].end - sb->r[i].start;
	return n;
}

void tt_sack_sb_trim(struct tt_sack_sb *sb, uint32_t una)
{
	uint32_t i = 0;

	while (i < sb->n && leq(sb->r[i].end, una))
		i++;
	remove_at(sb, 0, i);
	if (sb->n > 0 && lt(sb->r[0].start, una))
		sb->r[0].start = una;
	sb->high_rxt = seq_max(sb->high_rxt, una);
}

/* IsLost for the hole below range k: SACKed runs and bytes in ranges k.. (RFC 6675 4). */
static bool hole_lost(const struct tt_sack_sb *sb, uint32_t k, uint32_t mss)
{
	uint64_t bytes = 0;

	if (sb->n - k >= TT_SACK_DUP_THRESH)
		return true;
	for (uint32_t i = k; i < sb->n; i++)
		bytes += sb->r[i].end - sb->r[i].start;
	return bytes > (uint64_t)(TT_SACK_DUP_THRESH - 1) * mss;
}

/* Index of the first range above seq (n: none). */
static uint32_t range_above(const struct tt_sack_sb *sb, uint32_t seq)
{
	uint32_t k = 0;

	while (k < sb->n && leq(sb->r[k].start, seq))
		k++;
	return k;
}

bool tt_sack_sb_lost(const struct tt_sack_sb *sb, uint32_t seq, uint32_t mss)
{
	uint32_t k = range_above(sb, seq);

	return k < sb->n && hole_lost(sb, k, mss);
}

uint32_t tt_sack_sb_pipe(const struct tt_sack_sb *sb, uint32_t una, uint32_t max, uint32_t mss)
{
	uint32_t pipe = 0, from = una;

	/* Each hole below a range, then the bytes above the highest (never lost). */
	for (uint32_t k = 0; k <= sb->n; k++) {
		uint32_t to = k < sb->n ? sb->r[k].start : max;
		uint32_t rxt_end;

		if (lt(from, to)) {
			if (k == sb->n || !hole_lost(sb, k, mss))
				pipe += to - from;
			/* Retransmitted bytes of the hole are in flight once more. */
			rxt_end = lt(sb->high_rxt, to) ? sb->high_rxt : to;
			if (lt(from, rxt_end))
				pipe += rxt_end - from;
		}
		if (k < sb->n)
			from = seq_max(from, sb->r[k].end);
	}
	return pipe;
}

struct tt_sack_seg tt_sack_sb_next(const struct tt_sack_sb *sb, uint32_t una, uint32_t mss,
				   bool lost_only)
{
	uint32_t from = seq_max(una, sb->high_rxt);
	struct tt_sack_seg s = {.seq = from, .len = 0};

	for (uint32_t k = range_above(sb, from); k < sb->n; k++) {
		uint32_t hole = k > 0 ? seq_max(from, sb->r[k - 1].end) : from;

		if (!lt(hole, sb->r[k].start))
			continue;
		if (lost_only && !hole_lost(sb, k, mss))
			return s; /* holes higher up have fewer SACKed bytes above: none is lost */
		s.seq = hole;
		s.len = sb->r[k].start - hole;
		if (s.len > mss)
			s.len = mss;
		return s;
	}
	return s;
}
