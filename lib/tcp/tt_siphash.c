#include "tt_siphash.h"

#include <stdint.h>

/* SipHash-2-4: two rounds per message block, four at finalisation. */
enum {
	SIP_C_ROUNDS = 2,
	SIP_D_ROUNDS = 4,
};

/* Initialisation constants from the specification (an ASCII phrase read as four words). */
#define SIP_IV0 UINT64_C(0x736f6d6570736575)
#define SIP_IV1 UINT64_C(0x646f72616e646f6d)
#define SIP_IV2 UINT64_C(0x6c7967656e657261)
#define SIP_IV3 UINT64_C(0x7465646279746573)

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

static inline uint64_t rotl64(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13) ^ s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16) ^ s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21) ^ s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17) ^ s->v2;
	s->v2 = rotl64(s->v2, 32);
}

static inline void sip_compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	for (int i = 0; i < SIP_C_ROUNDS; i++)
		sip_round(s);
	s->v0 ^= m;
}

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

uint64_t tt_siphash(const struct tt_siphash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	const uint8_t *end = p + (len & ~(size_t)7);
	struct sip_state s = {
	    .v0 = key->k0 ^ SIP_IV0,
	    .v1 = key->k1 ^ SIP_IV1,
	    .v2 = key->k0 ^ SIP_IV2,
	    .v3 = key->k1 ^ SIP_IV3,
	};

	for (; p != end; p += 8)
		sip_compress(&s, load_le64(p));

	/* The last block carries the message length mod 256 in its top byte. */
	sip_compress(&s, load_le_tail(p, len & 7) | ((uint64_t)(len & 0xff) << 56));

	s.v2 ^= 0xff;
	for (int i = 0; i < SIP_D_ROUNDS; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
