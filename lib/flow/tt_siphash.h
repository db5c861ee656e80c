/*
 * SipHash keyed hash (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", INDOCRYPT 2012): SipHash-2-4, the PRF, and SipHash-1-3,
 * the reduced variant for hash tables.
 *
 * Why: SYN cookies and initial sequence numbers must be unpredictable to an
 * off-path attacker who sees many of our outputs (RFC 4987 section 3.6,
 * RFC 6528 section 3), and the connection table's slot choice must be
 * unpredictable to a peer choosing 4-tuples (tt_conn_tbl.h). SipHash is a PRF
 * built for short inputs such as a flow 4-tuple and needs no tables.
 *
 * Cost measured on an AMD EPYC VM at -O2: tt_siphash is about 20 ns fixed
 * (setup and finalisation) plus 2 ns per 8 bytes of input.  The connection
 * table hashes on every packet, so tt_siphash13_flow4 inlines and reads the
 * 4-tuple's fields directly: a table lookup that hits in L2 takes 16 ns
 * with it and 20 ns with tt_siphash over tt_flow4_pack's bytes (-O3,
 * independent lookups; measured with SipHash-2-4 in both).
 *
 * Which variant: SYN cookies and ISNs are secrets an attacker may collect
 * by the million, so they use SipHash-2-4, the variant its authors propose
 * as a PRF.  The connection table only needs a peer that cannot compute
 * slot homes to be unable to aim tuples at one run; SipHash-1-3 (one round
 * per block, three at finalisation: 5 rounds for a 12-byte 4-tuple instead
 * of 8) is what Rust's and CPython's (3.11+) hash tables use for that, and
 * still stronger than the keyed jhash Linux uses for its established-socket
 * table.  It saves 220 of the stack's 8,559 instructions per short HTTP
 * connection (bench/trace.sh: the table hash 670 -> 450).
 *
 * Fixed inputs that start with an IPv4 flow (the SYN cookie MAC, the ISN,
 * the timestamp offset) are fed as 8-byte blocks built from the fields
 * (tt_siphash_flow4_blocks, tt_siphash_blocks) rather than packed and read
 * back byte by byte: the same value as tt_siphash over the bytes, with the
 * blocks in registers (the ISN's flow hash 185 -> 137 instructions).
 *
 * Invariants: the result depends only on the key and the input bytes; input
 * words are read little-endian as the specification requires, so every host
 * computes the same value and nodes sharing a key agree.
 *
 * Callers: any lcore; the functions are pure and keep no state.
 */
#ifndef TT_SIPHASH_H
#define TT_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#include "tt_flow4.h"

/* k0 = key bytes 0..7 and k1 = key bytes 8..15, both read little-endian. */
struct tt_siphash_key {
	uint64_t k0, k1;
};

/* SipHash-2-4 of len bytes. */
uint64_t tt_siphash(const struct tt_siphash_key *key, const void *data, size_t len);

/* SipHash-1-3 of len bytes. */
uint64_t tt_siphash13(const struct tt_siphash_key *key, const void *data, size_t len);

/*
 * The state and its steps are in the header so that fixed-length forms such
 * as tt_siphash13_flow4 inline into their callers' hot paths.
 */
struct tt_siphash_state {
	uint64_t v0, v1, v2, v3;
};

/* Rounds per message block (c) and at finalisation (d) of SipHash-c-d. */
enum {
	TT_SIPHASH_C_ROUNDS = 2,
	TT_SIPHASH_D_ROUNDS = 4,
	TT_SIPHASH13_C_ROUNDS = 1,
	TT_SIPHASH13_D_ROUNDS = 3,
};

static inline uint64_t tt_siphash_rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void tt_siphash_round(struct tt_siphash_state *s)
{
	s->v0 += s->v1;
	s->v1 = tt_siphash_rotl(s->v1, 13) ^ s->v0;
	s->v0 = tt_siphash_rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = tt_siphash_rotl(s->v3, 16) ^ s->v2;
	s->v0 += s->v3;
	s->v3 = tt_siphash_rotl(s->v3, 21) ^ s->v0;
	s->v2 += s->v1;
	s->v1 = tt_siphash_rotl(s->v1, 17) ^ s->v2;
	s->v2 = tt_siphash_rotl(s->v2, 32);
}

/* The initialisation constants are the specification's (an ASCII phrase read as four words). */
static inline void tt_siphash_init(struct tt_siphash_state *s, const struct tt_siphash_key *key)
{
	s->v0 = key->k0 ^ UINT64_C(0x736f6d6570736575);
	s->v1 = key->k1 ^ UINT64_C(0x646f72616e646f6d);
	s->v2 = key->k0 ^ UINT64_C(0x6c7967656e657261);
	s->v3 = key->k1 ^ UINT64_C(0x7465646279746573);
}

/* Absorb one 8-byte block m, read little-endian, in c rounds. */
static inline void tt_siphash_compress(struct tt_siphash_state *s, uint64_t m, int c)
{
	s->v3 ^= m;
	for (int i = 0; i < c; i++)
		tt_siphash_round(s);
	s->v0 ^= m;
}

/* The hash, after d finalisation rounds. */
static inline uint64_t tt_siphash_final(struct tt_siphash_state *s, int d)
{
	s->v2 ^= 0xff;
	for (int i = 0; i < d; i++)
		tt_siphash_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/*
 * SipHash-c-d of a message given as its little-endian 8-byte blocks m[0..len / 8] instead of
 * as bytes: the value siphash of those len bytes has.  The bytes of m past len must be zero
 * (the last block's top byte takes the length).  Inline, so a caller with a constant len gets
 * straight-line code with the blocks in registers.
 */
static inline uint64_t tt_siphash_blocks_cd(const struct tt_siphash_key *key, const uint64_t *m,
					    size_t len, int c, int d)
{
	struct tt_siphash_state s;
	size_t last = len / 8;

	tt_siphash_init(&s, key);
	for (size_t i = 0; i < last; i++)
		tt_siphash_compress(&s, m[i], c);
	tt_siphash_compress(&s, m[last] | (uint64_t)(len & 0xff) << 56, c);
	return tt_siphash_final(&s, d);
}

/* tt_siphash (SipHash-2-4) of len bytes given as blocks, as tt_siphash_blocks_cd. */
static inline uint64_t tt_siphash_blocks(const struct tt_siphash_key *key, const uint64_t *m,
					 size_t len)
{
	return tt_siphash_blocks_cd(key, m, len, TT_SIPHASH_C_ROUNDS, TT_SIPHASH_D_ROUNDS);
}

/*
 * The first two blocks of a message that starts with tt_flow4_pack(f), built from the fields:
 * m[0] = saddr | daddr << 32, m[1] = sport | dport << 16.  The top half of m[1] is zero, for
 * the bytes 12..15 that follow the flow in the caller's message.
 */
static inline void tt_siphash_flow4_blocks(const struct tt_flow4 *f, uint64_t m[2])
{
	m[0] = (uint64_t)f->saddr | (uint64_t)f->daddr << 32;
	m[1] = (uint64_t)f->sport | (uint64_t)f->dport << 16;
}

/* tt_siphash13(key, tt_flow4_pack(f), TT_FLOW4_PACKED_LEN), the connection table's hash. */
static inline uint64_t tt_siphash13_flow4(const struct tt_siphash_key *key,
					  const struct tt_flow4 *f)
{
	uint64_t m[2];

	tt_siphash_flow4_blocks(f, m);
	return tt_siphash_blocks_cd(key, m, TT_FLOW4_PACKED_LEN, TT_SIPHASH13_C_ROUNDS,
				    TT_SIPHASH13_D_ROUNDS);
}

#endif /* TT_SIPHASH_H */
