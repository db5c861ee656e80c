/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "tt_net_locals.h"

bool tt_net_locals_add(struct tt_net_locals *l, uint32_t first, uint32_t count,
		       const struct tt_in6 *v6, unsigned n6)
{
	if (l->n4 + (count != 0) > TT_NET_MAX_LOCALS ||
	    l->n6 + n6 > TT_NET_MAX_LOCALS * TT_NET_MAX_ADDR6)
		return false;
	if (count != 0)
		l->v4[l->n4++] = (struct tt_net_range){.first = first, .count = count};
	if (n6 != 0)
		memcpy(&l->v6[l->n6], v6, n6 * sizeof(*v6));
	l->n6 += n6;
	return true;
}

static int range_order(const void *a, const void *b)
{
	uint32_t x = ((const struct tt_net_range *)a)->first;
	uint32_t y = ((const struct tt_net_range *)b)->first;

	return x < y ? -1 : x > y;
}

static int in6_order(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tt_in6));
}

void tt_net_locals_sort(struct tt_net_locals *l)
{
	uint32_t n = 0;

	qsort(l->v4, l->n4, sizeof(l->v4[0]), range_order);
	/* Ranges that overlap or touch become one, so that the range a lookup finds (the last
	 * starting at or below the address) is the only one that can hold it. */
	for (uint32_t i = 0; i < l->n4; i++) {
		uint64_t end = (uint64_t)l->v4[i].first + l->v4[i].count;

		if (n != 0 && l->v4[i].first <= (uint64_t)l->v4[n - 1].first + l->v4[n - 1].count) {
			uint64_t kept = (uint64_t)l->v4[n - 1].first + l->v4[n - 1].count;

			if (end > kept)
				l->v4[n - 1].count = (uint32_t)(end - l->v4[n - 1].first);
			continue;
		}
		l->v4[n++] = l->v4[i];
	}
	l->n4 = n;
	qsort(l->v6, l->n6, sizeof(l->v6[0]), in6_order);
}

bool tt_net_locals_has4(const struct tt_net_locals *l, uint32_t a)
{
	uint32_t lo = 0, hi = l->n4;

	/* The last range whose first address is at most a holds it, if any does. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (l->v4[mid].first <= a)
			lo = mid;
		else
			hi = mid;
	}
	return l->n4 != 0 && a >= l->v4[lo].first && a - l->v4[lo].first < l->v4[lo].count;
}

bool tt_net_locals_has6(const struct tt_net_locals *l, const struct tt_in6 *a)
{
	return bsearch(a, l->v6, l->n6, sizeof(l->v6[0]), in6_order) != NULL;
}
