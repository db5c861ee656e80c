/*
 * Initial sequence numbers for connections not answered with a SYN cookie,
 * per RFC 6528 section 3:
 *
 *   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 *
 * M is a clock ticking every TT_ISN_TICK_US microseconds, so it wraps every
 * 4.77 h as RFC 793 intends (the stack reads it as its millisecond clock and
 * the microseconds into it, tt_tcp_ctx.now_us_part: a 4-tuple opened again
 * within one millisecond begins higher); F is SipHash-2-4 of the packed flow
 * (tt_flow4_pack) truncated to its low 32 bits.
 *
 * Invariants: for one flow the ISN grows with M, so a new incarnation of a
 * 4-tuple starts above the old one (what lets a SYN reuse a TIME-WAIT pair,
 * RFC 6191) while an off-path attacker, not knowing the key, cannot predict
 * the offset F of any flow from the ISNs it sees on its own flows.
 *
 * The secret is filled from a CSPRNG (getrandom(2)) once per process start and
 * never changed while running: re-keying would make each flow's ISN jump and
 * break the per-flow monotonicity above. It must be independent of the SYN
 * cookie secret.
 *
 * The timestamp offset (RFC 7323 5.4) of a connection comes from the same
 * hash: F is its low 32 bits, the offset its high 32 bits.  Both halves of
 * one keyed PRF output are as independent as two outputs, so a peer that
 * learns F and the offset of its own flows learns nothing of another flow's.
 * A connection a SYN cookie opens has the cookie for its ISN and the cookie's
 * MAC's low half for its timestamp offset (tt_syncookie.h): a cookie SYN-ACK
 * costs one SipHash, not two.
 *
 * Callers: any lcore; pure functions, the secret is read-only and may be
 * shared. Cost: one SipHash-2-4 over the packed flow (12 bytes for IPv4)
 * gives both values; a new connection hashes once (tt_isn_flow_hash).
 * An IPv4 flow is fed as its two 8-byte blocks built from the fields
 * (tt_siphash_flow4_blocks), the same value as over the packed bytes:
 * callgrind on bench/trace.sh's workload counts 137 instructions per hash
 * (185 over the bytes).  An IPv6 flow (36 bytes, rare) goes through the byte
 * form.
 */
#ifndef TT_ISN_H
#define TT_ISN_H

#include <stdint.h>

#include "tt_flow4.h"
#include "tt_siphash.h"

enum { TT_ISN_TICK_US = 4 };

struct tt_isn_secret {
	struct tt_siphash_key key;
};

/* SipHash-2-4 of the packed flow; a6: its IPv6 addresses, NULL for IPv4 (tt_flow_pack: every
 * address byte is fed).  Low half: the ISN's offset F; high half: the timestamp offset. */
uint64_t tt_isn_flow_hash(const struct tt_isn_secret *s, const struct tt_flow4 *f,
			  const struct tt_addr6_pair *a6);

/* The ISN of the flow whose tt_isn_flow_hash is h, at now_us. */
static inline uint32_t tt_isn_at(uint64_t h, uint64_t now_us)
{
	return (uint32_t)(now_us / TT_ISN_TICK_US) + (uint32_t)h;
}

/*
 * The offset a connection adds to our millisecond clock in its TSvals, from its flow's
 * tt_isn_flow_hash: a peer learns neither our clock nor anything about other flows' offsets.
 * Constant per 4-tuple: a new incarnation's timestamps keep growing (RFC 6191).
 */
static inline uint32_t tt_isn_ts_offset_of(uint64_t h)
{
	return (uint32_t)(h >> 32);
}

static inline uint32_t tt_isn_make(const struct tt_isn_secret *s, const struct tt_flow4 *f,
				   const struct tt_addr6_pair *a6, uint64_t now_us)
{
	return tt_isn_at(tt_isn_flow_hash(s, f, a6), now_us);
}

static inline uint32_t tt_isn_ts_offset(const struct tt_isn_secret *s, const struct tt_flow4 *f,
					const struct tt_addr6_pair *a6)
{
	return tt_isn_ts_offset_of(tt_isn_flow_hash(s, f, a6));
}

#endif /* TT_ISN_H */
