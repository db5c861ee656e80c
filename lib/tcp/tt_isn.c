#include "tt_isn.h"

uint32_t tt_isn_make(const struct tt_isn_secret *s, const struct tt_flow4 *f, uint64_t now_us)
{
	uint8_t in[TT_FLOW4_PACKED_LEN];
	uint32_t m = (uint32_t)(now_us / TT_ISN_TICK_US);

	tt_flow4_pack(f, in);
	return m + (uint32_t)tt_siphash(&s->key, in, sizeof(in));
}

uint32_t tt_isn_ts_offset(const struct tt_isn_secret *s, const struct tt_flow4 *f)
{
	uint8_t in[TT_FLOW4_PACKED_LEN + 1];

	tt_flow4_pack(f, in);
	in[TT_FLOW4_PACKED_LEN] = 't';
	return (uint32_t)tt_siphash(&s->key, in, sizeof(in));
}
