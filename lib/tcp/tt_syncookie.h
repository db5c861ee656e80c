/*
 * SYN cookies (RFC 4987 section 3.6): under a SYN flood the listener keeps no
 * state for a half-open connection; instead it encodes what it must remember
 * (the MSS it chose, a time counter and a MAC over the flow) in the sequence
 * number of its SYN-ACK. The peer echoes it back as ack_seq - 1 in the final
 * ACK, and the connection is rebuilt from that ACK alone.
 *
 * Cookie layout (host order, the value is our ISN):
 *
 *   31                                                   5 4   3 2     0
 *  +------------------------------------------------------+-----+-------+
 *  |        MAC[63:37]: top 27 bits of the SipHash MAC     |  t  |  mss  |
 *  +------------------------------------------------------+-----+-------+
 *
 *   mss  index into the 8-entry MSS table (tt_syncookie.c cites the values)
 *   t    c & 3, where c = now_ms / TT_SYNCOOKIE_PERIOD_MS
 *   MAC  tt_siphash(key_c, flow | peer_isn | c | mss index); key_c is derived
 *        from the master secret and c, so the effective key rotates every period
 *
 * Lifetime: a cookie is VALID when its counter is the current one or the one
 * before, i.e. for 64 to 128 s depending on where in the period it was made.
 * One of four consecutive counters matches t, so a cookie whose MAC verifies
 * for c - 2 or c - 3 is reported EXPIRED rather than forged; the caller can
 * count late peers apart from attackers.
 *
 * Threat model: an off-path attacker who never sees our SYN-ACK must guess 27
 * MAC bits for the flow it spoofs: 2^-27 per forged ACK, about one accepted
 * connection per 13 s at 10 Mpps of forged ACKs. Binding peer_isn stops a seen
 * cookie from being replayed with a different sequence space; the MSS index
 * and t are sent in the clear but covered by the MAC.
 *
 * What a cookie cannot carry: only the 8 table MSS values; window scale and
 * SACK-permitted survive only when the peer sent timestamps, in the low bits
 * of our TSval (tt_syncookie_ts_encode); without timestamps they are lost.
 *
 * Sharing: struct tt_syncookie_secret is one value for all workers and, so that
 * a cookie made on one node verifies on another after an ECMP change, for all
 * nodes; those nodes' clocks must agree to well under a period (NTP), or a
 * cookie made just after a period boundary on a fast node fails on a slow one.
 *
 * Callers: struct tt_syncookie_keys is a per-worker cache of the derived keys
 * (never shared between lcores: make and check update it). Initialise it once
 * with tt_syncookie_keys_init(); make and check re-derive the keys by
 * themselves when the counter moves.
 *
 * Cost: make and check are one SipHash over 21 bytes each (about 40 ns per
 * call on an AMD EPYC VM, see tt_siphash.h). The keys cost two SipHash calls
 * per period; a check that fails for an old counter derives that period's key
 * (two more calls) on the spot.
 */
#ifndef TT_SYNCOOKIE_H
#define TT_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "tt_flow4.h"
#include "tt_siphash.h"

enum {
	TT_SYNCOOKIE_PERIOD_MS = 64000, /* counter tick */
	TT_SYNCOOKIE_MSS_COUNT = 8,
};

/* Fill from a CSPRNG (getrandom(2)) once per deployment and share it read-only. */
struct tt_syncookie_secret {
	struct tt_siphash_key master;
};

/* Per-worker cache: keys for counter and counter - 1, plus a copy of the master. */
struct tt_syncookie_keys {
	struct tt_siphash_key master;
	uint64_t counter;
	struct tt_siphash_key cur, prev;
};

enum tt_syncookie_verdict {
	TT_SYNCOOKIE_VALID,
	TT_SYNCOOKIE_BAD_HASH,
	TT_SYNCOOKIE_EXPIRED,
};

/* Also the way to install a new master secret. */
void tt_syncookie_keys_init(struct tt_syncookie_keys *k, const struct tt_syncookie_secret *s,
			    uint64_t now_ms);

/*
 * Returns the cookie to send as our ISN. The MSS is the largest table entry
 * not above peer_mss (the smallest entry if peer_mss is below all of them);
 * *mss_out receives it.
 */
uint32_t tt_syncookie_make(struct tt_syncookie_keys *k, const struct tt_flow4 *f, uint32_t peer_isn,
			   uint16_t peer_mss, uint64_t now_ms, uint16_t *mss_out);

/*
 * peer_isn = seq of the ACK - 1, cookie = ack_seq - 1. *mss_out is written
 * only when the verdict is TT_SYNCOOKIE_VALID.
 */
enum tt_syncookie_verdict tt_syncookie_check(struct tt_syncookie_keys *k, const struct tt_flow4 *f,
					     uint32_t peer_isn, uint32_t cookie, uint64_t now_ms,
					     uint16_t *mss_out);

/*
 * Peer options from the SYN, carried in our TSval when the SYN had timestamps
 * and read back from the TSecr of the final ACK:
 *
 *     31                         6   5    4    3       0
 *    +----------------------------+-----+----+---------+
 *    |   timestamp clock [31:6]   | rsv | sk | wscale  |
 *    +----------------------------+-----+----+---------+
 *
 *   wscale  peer's shift count 0..14, or 0xf for no Window Scale option
 *   sk      peer sent SACK-permitted
 *   rsv     0
 *
 * The encoded TSval is at most 63 ticks behind now_tsval (serial number
 * arithmetic, RFC 7323), so later segments never carry a smaller TSval.
 */
struct tt_syncookie_opts {
	uint8_t wscale;
	bool wscale_ok;
	bool sack_ok;
};

/* A shift count above 14 is encoded as 14, as RFC 7323 section 2.3 asks of receivers. */
uint32_t tt_syncookie_ts_encode(uint32_t now_tsval, const struct tt_syncookie_opts *o);

/* false when the reserved bit is set: the TSecr is not one of our encodings. */
bool tt_syncookie_ts_decode(uint32_t tsecr, struct tt_syncookie_opts *o);

#endif /* TT_SYNCOOKIE_H */
