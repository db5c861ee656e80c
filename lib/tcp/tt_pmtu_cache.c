/* The path MTUs learned per peer: see tt_pmtu_cache.h. */
#include <string.h>

#include "tt_pmtu_cache.h"

/* The peer's address as a key, and its slot. */
static unsigned slot_of(const struct tt_siphash_key *key, uint32_t saddr, const uint8_t *saddr6,
			uint8_t addr[16])
{
	/* Then a byte that keeps these hashes apart from the key's others. */
	uint8_t in[17];

	if (saddr6 != NULL) {
		memcpy(addr, saddr6, 16);
	} else {
		static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

		memcpy(addr, mapped, sizeof(mapped));
		addr[12] = (uint8_t)(saddr >> 24);
		addr[13] = (uint8_t)(saddr >> 16);
		addr[14] = (uint8_t)(saddr >> 8);
		addr[15] = (uint8_t)saddr;
	}
	memcpy(in, addr, 16);
	in[16] = 'p';
	return (unsigned)(tt_siphash(key, in, sizeof(in)) % TT_PMTU_CACHE_ENTRIES);
}

void tt_pmtu_cache_put(struct tt_pmtu_cache *c, const struct tt_siphash_key *key, uint64_t now_ms,
		       uint32_t saddr, const uint8_t *saddr6, uint16_t mtu)
{
	uint8_t addr[16];
	unsigned i = slot_of(key, saddr, saddr6, addr);

	memcpy(c->e[i].addr, addr, 16);
	c->e[i].mtu = mtu;
	/* (Saturated: a clock that never nears 2^64 is still no reason to wrap.) */
	c->e[i].until_ms =
	    now_ms < UINT64_MAX - TT_PMTU_CACHE_MS ? now_ms + TT_PMTU_CACHE_MS : UINT64_MAX;
	if (c->e[i].until_ms > c->until_ms)
		c->until_ms = c->e[i].until_ms;
}

uint16_t tt_pmtu_cache_get(const struct tt_pmtu_cache *c, const struct tt_siphash_key *key,
			   uint64_t now_ms, uint32_t saddr, const uint8_t *saddr6)
{
	uint8_t addr[16];
	unsigned i;

	if (now_ms >= c->until_ms)
		return 0;
	i = slot_of(key, saddr, saddr6, addr);
	if (now_ms >= c->e[i].until_ms || memcmp(c->e[i].addr, addr, 16) != 0)
		return 0;
	return c->e[i].mtu;
}
