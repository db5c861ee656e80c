/* One worker's TIME-WAIT ring; see tt_tw_ring.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_tw_ring.h"

int tt_tw_ring_init(struct tt_tw_ring *r, uint32_t cap)
{
	size_t bytes = ((size_t)cap * sizeof(struct tt_tw) + 63) & ~(size_t)63;

	memset(r, 0, sizeof(*r));
	if (cap == 0 || cap > (UINT32_MAX >> 2)) {
		errno = EINVAL;
		return -1;
	}
	r->e = aligned_alloc(64, bytes);
	r->flow = malloc((size_t)cap * sizeof(*r->flow));
	if (r->e == NULL || r->flow == NULL) {
		tt_tw_ring_fini(r);
		errno = ENOMEM;
		return -1;
	}
	r->cap = cap;
	return 0;
}

void tt_tw_ring_fini(struct tt_tw_ring *r)
{
	free(r->e);
	free(r->flow);
	r->e = NULL;
	r->flow = NULL;
}
