#include "tt_siphash.h"

#include <stdint.h>

/*
 * Assembled from bytes so big-endian hosts hash the same as little-endian ones;
 * compilers turn the full-word form into a single load on little-endian hosts.
 */
static inline uint64_t load_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
}

static inline uint64_t load_le_tail(const uint8_t *p, size_t n)
{
	uint64_t w = 0;

	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

static uint64_t siphash_cd(const struct tt_siphash_key *key, const void *data, size_t len, int c,
			   int d)
{
	const uint8_t *p = data;
	const uint8_t *end = p + (len & ~(size_t)7);
	struct tt_siphash_state s;

	tt_siphash_init(&s, key);
	for (; p != end; p += 8)
		tt_siphash_compress(&s, load_le64(p), c);

	/* The last block carries the message length mod 256 in its top byte. */
	tt_siphash_compress(&s, load_le_tail(p, len & 7) | ((uint64_t)(len & 0xff) << 56), c);
	return tt_siphash_final(&s, d);
}

uint64_t tt_siphash(const struct tt_siphash_key *key, const void *data, size_t len)
{
	return siphash_cd(key, data, len, TT_SIPHASH_C_ROUNDS, TT_SIPHASH_D_ROUNDS);
}

uint64_t tt_siphash13(const struct tt_siphash_key *key, const void *data, size_t len)
{
	return siphash_cd(key, data, len, TT_SIPHASH13_C_ROUNDS, TT_SIPHASH13_D_ROUNDS);
}
