#include "tt_isn.h"

/* What follows the flow in the timestamp offset's input, apart from the ISN's (none). */
enum { TS_OFFSET_DOMAIN = 't' };

/* tt_siphash of an IPv6 flow's 36 bytes followed by domain_len (0 or 1) bytes of domain. */
static uint64_t flow6_hash(const struct tt_isn_secret *s, const struct tt_flow4 *f,
			   const struct tt_addr6_pair *a6, uint8_t domain, unsigned domain_len)
{
	uint8_t in[TT_FLOW_PACKED_MAX + 1];
	unsigned n = tt_flow_pack(f, a6, in);

	in[n] = domain;
	return tt_siphash(&s->key, in, n + domain_len);
}

/*
 * tt_siphash of tt_flow_pack(f, a6) followed by domain_len (0 or 1) bytes of domain.  An IPv4
 * flow is fed as its two blocks, without the byte copy: the domain byte is byte 12, the
 * bottom byte of the second block's top half.  An IPv6 flow (five blocks, rare) keeps the
 * byte form.
 */
static inline uint64_t flow_hash(const struct tt_isn_secret *s, const struct tt_flow4 *f,
				 const struct tt_addr6_pair *a6, uint8_t domain,
				 unsigned domain_len)
{
	uint64_t m[2];

	if (a6 != NULL)
		return flow6_hash(s, f, a6, domain, domain_len);
	tt_siphash_flow4_blocks(f, m);
	m[1] |= (uint64_t)domain << 32;
	return tt_siphash_blocks(&s->key, m, TT_FLOW4_PACKED_LEN + domain_len);
}

uint32_t tt_isn_make(const struct tt_isn_secret *s, const struct tt_flow4 *f,
		     const struct tt_addr6_pair *a6, uint64_t now_us)
{
	uint32_t m = (uint32_t)(now_us / TT_ISN_TICK_US);

	return m + (uint32_t)flow_hash(s, f, a6, 0, 0);
}

uint32_t tt_isn_ts_offset(const struct tt_isn_secret *s, const struct tt_flow4 *f,
			  const struct tt_addr6_pair *a6)
{
	return (uint32_t)flow_hash(s, f, a6, TS_OFFSET_DOMAIN, 1);
}
