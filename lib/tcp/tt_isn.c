#include "tt_isn.h"

/* An IPv4 flow is fed as its two blocks, without the byte copy; an IPv6 flow (five blocks,
 * rare) keeps the byte form.  Out of line, as the cookies' MACs are (tt_syncookie.c). */
__attribute__((noinline)) uint64_t tt_isn_flow_hash(const struct tt_isn_secret *s,
						    const struct tt_flow4 *f,
						    const struct tt_addr6_pair *a6)
{
	uint8_t in[TT_FLOW_PACKED_MAX];
	uint64_t m[2];

	if (a6 != NULL)
		return tt_siphash(&s->key, in, tt_flow_pack(f, a6, in));
	tt_siphash_flow4_blocks(f, m);
	return tt_siphash_blocks(&s->key, m, TT_FLOW4_PACKED_LEN);
}
