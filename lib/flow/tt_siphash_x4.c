/* Four SipHashes at once in AVX2; see tt_siphash_x4.h. */
#include <immintrin.h>
#include <string.h>

#include "tt_siphash_x4.h"

/* Every function here runs AVX2 instructions: only reached after tt_siphash_x4_supported(). */
#define X4 __attribute__((target("avx2")))

/* The state of four messages: lane i of each word is message i's. */
struct x4_state {
	__m256i v0, v1, v2, v3;
};

/* Rotations left of each 64-bit lane: by 16 and 32 a shuffle of its bytes or halves, by any
 * other count (a constant, so the shifts take immediates) a shift each way. */
#define ROTL(x, b) _mm256_or_si256(_mm256_slli_epi64((x), (b)), _mm256_srli_epi64((x), 64 - (b)))
#define ROTL32(x)  _mm256_shuffle_epi32((x), _MM_SHUFFLE(2, 3, 0, 1))

static inline X4 __m256i rotl16(__m256i x)
{
	/* Byte i of a lane takes byte i - 2 (mod 8), in both 128-bit halves. */
	const __m256i bytes =
	    _mm256_setr_epi8(6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13, 6, 7, 0, 1, 2, 3,
			     4, 5, 14, 15, 8, 9, 10, 11, 12, 13);

	return _mm256_shuffle_epi8(x, bytes);
}

/* tt_siphash_round, lane by lane. */
static inline X4 void round_x4(struct x4_state *s)
{
	s->v0 = _mm256_add_epi64(s->v0, s->v1);
	s->v1 = _mm256_xor_si256(ROTL(s->v1, 13), s->v0);
	s->v0 = ROTL32(s->v0);
	s->v2 = _mm256_add_epi64(s->v2, s->v3);
	s->v3 = _mm256_xor_si256(rotl16(s->v3), s->v2);
	s->v0 = _mm256_add_epi64(s->v0, s->v3);
	s->v3 = _mm256_xor_si256(ROTL(s->v3, 21), s->v0);
	s->v2 = _mm256_add_epi64(s->v2, s->v1);
	s->v1 = _mm256_xor_si256(ROTL(s->v1, 17), s->v2);
	s->v2 = ROTL32(s->v2);
}

/* tt_siphash_init with one key for the four messages: the scalar state, in every lane. */
static inline X4 void init_x4(struct x4_state *s, const struct tt_siphash_key *key)
{
	struct tt_siphash_state one;

	tt_siphash_init(&one, key);
	s->v0 = _mm256_set1_epi64x((long long)one.v0);
	s->v1 = _mm256_set1_epi64x((long long)one.v1);
	s->v2 = _mm256_set1_epi64x((long long)one.v2);
	s->v3 = _mm256_set1_epi64x((long long)one.v3);
}

/* tt_siphash_compress of one block per message, m's lane i to message i. */
static inline X4 void compress_x4(struct x4_state *s, __m256i m, int c)
{
	s->v3 = _mm256_xor_si256(s->v3, m);
	for (int i = 0; i < c; i++)
		round_x4(s);
	s->v0 = _mm256_xor_si256(s->v0, m);
}

/* tt_siphash_final, lane by lane. */
static inline X4 __m256i final_x4(struct x4_state *s, int d)
{
	s->v2 = _mm256_xor_si256(s->v2, _mm256_set1_epi64x(0xff));
	for (int i = 0; i < d; i++)
		round_x4(s);
	return _mm256_xor_si256(_mm256_xor_si256(s->v0, s->v1), _mm256_xor_si256(s->v2, s->v3));
}

static inline uint64_t load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t load32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

bool tt_siphash_x4_supported(void)
{
	return __builtin_cpu_supports("avx2");
}

/*
 * The packed 4-tuple of tt_flow4_pack is the struct's own 12 bytes (tt_flow4.h), so the blocks of
 * tt_siphash_flow4_blocks are two loads: the first 8 bytes, then the ports' 4 with the message
 * length in the top byte.
 */
X4 unsigned tt_siphash13_flow4_x4(const struct tt_siphash_key *key, const struct tt_flow4 *flows,
				  unsigned n, uint32_t *hashes)
{
	const __m256i len = _mm256_set1_epi64x((long long)((uint64_t)TT_FLOW4_PACKED_LEN << 56));
	/* The low 32 bits of each lane, in order, into the low half. */
	const __m256i low_halves = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
	unsigned done = n & ~3u;
	struct x4_state start;

	init_x4(&start, key);
	for (unsigned i = 0; i < done; i += 4) {
		const struct tt_flow4 *f = &flows[i];
		__m256i m0 = _mm256_setr_epi64x((long long)load64(&f[0]), (long long)load64(&f[1]),
						(long long)load64(&f[2]), (long long)load64(&f[3]));
		__m256i m1 = _mm256_setr_epi64x(load32(&f[0].sport), load32(&f[1].sport),
						load32(&f[2].sport), load32(&f[3].sport));
		struct x4_state s = start;
		__m256i h;

		compress_x4(&s, m0, TT_SIPHASH13_C_ROUNDS);
		compress_x4(&s, _mm256_or_si256(m1, len), TT_SIPHASH13_C_ROUNDS);
		h = final_x4(&s, TT_SIPHASH13_D_ROUNDS);
		_mm_storeu_si128(
		    (__m128i *)&hashes[i],
		    _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(h, low_halves)));
	}
	return done;
}
