#include "gen_hist.h"

/* Bucket (e, s): e = 0 holds 0..31 exactly; e >= 1 holds [2^(e+4) + s*2^(e-1), +2^(e-1)). */
static void index_of(uint64_t v, unsigned *e, unsigned *s)
{
	unsigned msb;

	if (v < GEN_HIST_SUB) {
		*e = 0;
		*s = (unsigned)v;
		return;
	}
	msb = 63u - (unsigned)__builtin_clzll(v);
	*e = msb - GEN_HIST_SUB_BITS + 1;
	*s = (unsigned)(v >> (msb - GEN_HIST_SUB_BITS)) - GEN_HIST_SUB;
}

static uint64_t upper_edge(unsigned e, unsigned s)
{
	unsigned shift;

	if (e == 0)
		return s;
	shift = e - 1;
	return ((uint64_t)(GEN_HIST_SUB + s + 1) << shift) - 1;
}

void gen_hist_add(struct gen_hist *h, uint64_t v)
{
	unsigned e, s;

	index_of(v, &e, &s);
	h->bucket[e][s]++;
	h->n++;
}

void gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src)
{
	for (unsigned e = 0; e < GEN_HIST_EXP; e++)
		for (unsigned s = 0; s < GEN_HIST_SUB; s++)
			dst->bucket[e][s] += src->bucket[e][s];
	dst->n += src->n;
}

uint64_t gen_hist_quantile(const struct gen_hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->n == 0)
		return 0;
	rank = (uint64_t)(q * (double)h->n);
	if (rank >= h->n)
		rank = h->n - 1;
	for (unsigned e = 0; e < GEN_HIST_EXP; e++)
		for (unsigned s = 0; s < GEN_HIST_SUB; s++) {
			seen += h->bucket[e][s];
			if (seen > rank)
				return upper_edge(e, s);
		}
	return upper_edge(GEN_HIST_EXP - 1, GEN_HIST_SUB - 1);
}

int gen_hist_next(const struct gen_hist *h, unsigned *pos, uint64_t *upper, uint64_t *count)
{
	for (; *pos < GEN_HIST_EXP * GEN_HIST_SUB; (*pos)++) {
		unsigned e = *pos / GEN_HIST_SUB, s = *pos % GEN_HIST_SUB;

		if (h->bucket[e][s] != 0) {
			*upper = upper_edge(e, s);
			*count = h->bucket[e][s];
			(*pos)++;
			return 1;
		}
	}
	return 0;
}
