/* One worker's TIME-WAIT ring; see tt_tw_ring.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_mem.h"
#include "tt_tw_ring.h"

int tt_tw_ring_init(struct tt_tw_ring *r, uint32_t cap, int node)
{
	uint64_t bytes = (uint64_t)cap * sizeof(struct tt_tw),
		 flow_bytes = (uint64_t)cap * sizeof(*r->flow);

	memset(r, 0, sizeof(*r));
	if (cap == 0 || cap > (UINT32_MAX >> 2)) {
		errno = EINVAL;
		return -1;
	}
	r->e = tt_mem_alloc(&bytes, node);
	r->flow = tt_mem_alloc(&flow_bytes, node);
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
