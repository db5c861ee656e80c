/*
 * gen_hist: a latency histogram with bounded relative error.
 *
 * Log-linear buckets (the HdrHistogram idea): values below 32 get a
 * bucket each; above, every power of two is split into 32 linear buckets,
 * so any reported percentile is within 1/32 (3%) of the true value.  One
 * histogram is 64 x 32 counters (16 KiB) and recording is a shift, a
 * subtraction and an increment, cheap enough for every request.
 *
 * Owned by one lcore; merge copies into one for reporting.
 */
#ifndef GEN_HIST_H
#define GEN_HIST_H

#include <stdint.h>

enum { GEN_HIST_SUB_BITS = 5, GEN_HIST_SUB = 1 << GEN_HIST_SUB_BITS, GEN_HIST_EXP = 64 };

struct gen_hist {
	uint64_t n;
	uint64_t bucket[GEN_HIST_EXP][GEN_HIST_SUB];
};

void gen_hist_add(struct gen_hist *h, uint64_t v);
void gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src);
/* The value at quantile q (0..1): the upper edge of its bucket; 0 when empty. */
uint64_t gen_hist_quantile(const struct gen_hist *h, double q);
/*
 * The non-empty buckets in ascending order, for a reader that draws the whole distribution:
 * start with *pos = 0; each call stores the next one's upper edge (it holds the values above
 * the previous bucket's edge up to this one) and count, and returns 0 when none is left.
 */
int gen_hist_next(const struct gen_hist *h, unsigned *pos, uint64_t *upper, uint64_t *count);

#endif
