#include "tt_isn.h"

uint32_t tt_isn_make(const struct tt_isn_secret *s, const struct tt_flow4 *f,
		     const struct tt_addr6_pair *a6, uint64_t now_us)
{
	uint8_t in[TT_FLOW_PACKED_MAX];
	uint32_t m = (uint32_t)(now_us / TT_ISN_TICK_US);

	return m + (uint32_t)tt_siphash(&s->key, in, tt_flow_pack(f, a6, in));
}

uint32_t tt_isn_ts_offset(const struct tt_isn_secret *s, const struct tt_flow4 *f,
			  const struct tt_addr6_pair *a6)
{
	uint8_t in[TT_FLOW_PACKED_MAX + 1];
	unsigned n = tt_flow_pack(f, a6, in);

	in[n] = 't';
	return (uint32_t)tt_siphash(&s->key, in, n + 1);
}
