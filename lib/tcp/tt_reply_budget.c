/* The budget of replies to unwanted segments: see tt_reply_budget.h. */
#include <string.h>

#include "tt_reply_budget.h"

bool tt_reply_budget_take(struct tt_reply_budget *b, const struct tt_siphash_key *key,
			  uint64_t now_ms, uint32_t saddr, const uint8_t *saddr6)
{
	/* The source's IPv4 address or IPv6 /64 (one host may hold the whole /64 and send from
	 * any address in it), then a byte that keeps these hashes apart from the key's others. */
	uint8_t in[9] = {(uint8_t)saddr, (uint8_t)(saddr >> 8), (uint8_t)(saddr >> 16),
			 (uint8_t)(saddr >> 24)};
	size_t n = 4;
	unsigned i;

	if (saddr6 != NULL) {
		memcpy(in, saddr6, 8);
		n = 8;
	}
	in[n++] = 'r';
	i = (unsigned)tt_siphash(key, in, n) % TT_REPLY_BUDGET_BUCKETS;
	if (b->bucket[i].ms != now_ms) {
		b->bucket[i].ms = now_ms;
		b->bucket[i].used = 0;
	}
	if (b->bucket[i].used == TT_REPLY_BUDGET_PER_MS)
		return false;
	b->bucket[i].used++;
	return true;
}
