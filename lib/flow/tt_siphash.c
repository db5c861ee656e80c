#include "tt_siphash.h"

#include <assert.h>
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

#if defined(__x86_64__)
#include <immintrin.h>

bool tt_siphash13_flow4_x8_usable(void)
{
	return __builtin_cpu_supports("avx512f");
}

/* Built for AVX-512F whatever the build's -march: called only once the CPU was checked. */
#define AVX512F __attribute__((target("avx512f")))

/* Eight SipHash states, lane i of each word belonging to flow i. */
struct state_x8 {
	__m512i v0, v1, v2, v3;
};

/* tt_siphash_round in every lane. */
static inline AVX512F void round_x8(struct state_x8 *s)
{
	s->v0 = _mm512_add_epi64(s->v0, s->v1);
	s->v1 = _mm512_xor_si512(_mm512_rol_epi64(s->v1, 13), s->v0);
	s->v0 = _mm512_rol_epi64(s->v0, 32);
	s->v2 = _mm512_add_epi64(s->v2, s->v3);
	s->v3 = _mm512_xor_si512(_mm512_rol_epi64(s->v3, 16), s->v2);
	s->v0 = _mm512_add_epi64(s->v0, s->v3);
	s->v3 = _mm512_xor_si512(_mm512_rol_epi64(s->v3, 21), s->v0);
	s->v2 = _mm512_add_epi64(s->v2, s->v1);
	s->v1 = _mm512_xor_si512(_mm512_rol_epi64(s->v1, 17), s->v2);
	s->v2 = _mm512_rol_epi64(s->v2, 32);
}

static inline AVX512F void compress_x8(struct state_x8 *s, __m512i m, int c)
{
	s->v3 = _mm512_xor_si512(s->v3, m);
	for (int i = 0; i < c; i++)
		round_x8(s);
	s->v0 = _mm512_xor_si512(s->v0, m);
}

/*
 * The blocks tt_siphash_flow4_blocks builds, lane i from f[i]: the eight flows are 24 dwords,
 * flow i's saddr, daddr and ports (sport | dport << 16 on this little-endian host) at dwords 3i,
 * 3i + 1 and 3i + 2.  A permute index picks from lo (0..15) or hi (16..23); the ports' high
 * dwords are zeroed by the mask.
 */
static inline AVX512F void load_blocks_x8(const struct tt_flow4 f[TT_SIPHASH_X8], __m512i *m0,
					  __m512i *m1)
{
	const __m512i addrs =
	    _mm512_setr_epi32(0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22);
	const __m512i ports =
	    _mm512_setr_epi32(2, 0, 5, 0, 8, 0, 11, 0, 14, 0, 17, 0, 20, 0, 23, 0);
	__m512i lo = _mm512_loadu_si512(f);
	__m512i hi = _mm512_maskz_loadu_epi32(0x00ff, (const uint32_t *)f + 16);

	static_assert(sizeof(struct tt_flow4) * TT_SIPHASH_X8 == 24 * sizeof(uint32_t),
		      "eight flows are 24 dwords");
	*m0 = _mm512_permutex2var_epi32(lo, addrs, hi);
	*m1 = _mm512_maskz_permutex2var_epi32(0x5555, lo, ports, hi);
}

AVX512F void tt_siphash13_flow4_x8(const struct tt_siphash_key *key,
				   const struct tt_flow4 f[TT_SIPHASH_X8],
				   uint64_t out[TT_SIPHASH_X8])
{
	const __m512i len = _mm512_set1_epi64((long long)((uint64_t)TT_FLOW4_PACKED_LEN << 56));
	struct tt_siphash_state one;
	struct state_x8 s;
	__m512i m0, m1;

	tt_siphash_init(&one, key);
	s.v0 = _mm512_set1_epi64((long long)one.v0);
	s.v1 = _mm512_set1_epi64((long long)one.v1);
	s.v2 = _mm512_set1_epi64((long long)one.v2);
	s.v3 = _mm512_set1_epi64((long long)one.v3);
	load_blocks_x8(f, &m0, &m1);
	compress_x8(&s, m0, TT_SIPHASH13_C_ROUNDS);
	compress_x8(&s, _mm512_or_si512(m1, len), TT_SIPHASH13_C_ROUNDS);
	s.v2 = _mm512_xor_si512(s.v2, _mm512_set1_epi64(0xff));
	for (int i = 0; i < TT_SIPHASH13_D_ROUNDS; i++)
		round_x8(&s);
	/* 0x96: the truth table of a ^ b ^ c. */
	_mm512_storeu_si512(
	    out, _mm512_xor_si512(_mm512_ternarylogic_epi64(s.v0, s.v1, s.v2, 0x96), s.v3));
}
#else
bool tt_siphash13_flow4_x8_usable(void)
{
	return false;
}

void tt_siphash13_flow4_x8(const struct tt_siphash_key *key, const struct tt_flow4 f[TT_SIPHASH_X8],
			   uint64_t out[TT_SIPHASH_X8])
{
	for (int i = 0; i < TT_SIPHASH_X8; i++)
		out[i] = tt_siphash13_flow4(key, &f[i]);
}
#endif
