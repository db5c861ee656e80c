/*
 * SipHash of four messages at once, one in each 64-bit lane of an AVX2
 * register: the same values as tt_siphash.h's scalar forms, for the places
 * that hash a burst of independent inputs (the connection table's hash of
 * every received segment's 4-tuple, tt_conn_tbl_hash_bulk).
 *
 * Why: SipHash is additions, rotations and XORs of 64-bit words, one long
 * chain per message.  A scalar round is 14 instructions for one message; in
 * AVX2 it is 20 for four (a rotation by 16 or 32 is one byte shuffle, the
 * others a shift each way and an OR), and the four chains run side by side.
 *
 * The build's baseline (DPDK's flags: x86-64 without AVX) is kept: only the
 * functions of tt_siphash_x4.c are compiled for AVX2, and callers ask
 * tt_siphash_x4_supported() first, falling back to the scalar form on a CPU
 * without it.  AVX2, not AVX-512: valgrind (bench/trace.sh's instruction
 * counts) runs AVX2 code but not AVX-512, and the counts must be of the code
 * that runs natively.
 *
 * Invariants: for every key and input, lane i's result equals the scalar
 * function's on input i (tests/unit/test_siphash.c compares them).
 *
 * Callers: any lcore; pure functions.
 */
#ifndef TT_SIPHASH_X4_H
#define TT_SIPHASH_X4_H

#include <stdbool.h>
#include <stdint.h>

#include "tt_flow4.h"
#include "tt_siphash.h"

/* True when this CPU runs the functions below. */
bool tt_siphash_x4_supported(void);

/*
 * hashes[i] = (uint32_t)tt_siphash13_flow4(key, &flows[i]) for i below n rounded down to a
 * multiple of four; returns that count (the caller hashes the rest).  Only when
 * tt_siphash_x4_supported().
 */
unsigned tt_siphash13_flow4_x4(const struct tt_siphash_key *key, const struct tt_flow4 *flows,
			       unsigned n, uint32_t *hashes);

#endif /* TT_SIPHASH_X4_H */
