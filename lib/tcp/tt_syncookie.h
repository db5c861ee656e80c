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
 *   t    c & 3, where c = now_ms / period_ms
 *   MAC  tt_siphash(key_c, flow | peer_isn | c | mss index | ts bits), flow
 *        as tt_flow_pack (IPv6: both full addresses); key_c is
 *        derived from the master secret and c, so the effective key rotates
 *        every period
 *   ts bits  the low 6 bits of our SYN-ACK's TSval (window scale and
 *        SACK-permitted, see tt_syncookie_ts_encode), or a marker outside
 *        that range when the SYN-ACK carried no timestamp
 *
 * Lifetime: period_ms = min(32 s, tcp.time_wait_ms / 2) and a cookie is VALID
 * while its counter is the current one or the one before: one to two periods
 * depending on where in the period it was made, always less than TIME-WAIT.
 * Were it longer, a final ACK captured from a connection we closed could be
 * replayed after its TIME-WAIT ended and would open the connection again.
 * (A connection the peer closed leaves no TIME-WAIT here: its final ACK
 * replays until the cookie expires, which the bound keeps short.)
 * A cookie whose MAC verifies for c - 2 or c - 3 is reported EXPIRED rather
 * than forged, so the caller can count late peers apart from attackers; one
 * from c - 4 or older shares t with a younger counter and fails as a forgery.
 *
 * Threat model: an off-path attacker who never sees our SYN-ACK must guess 27
 * MAC bits for the flow it spoofs: 2^-27 per forged ACK, about one accepted
 * connection per 13 s at 10 Mpps of forged ACKs. Binding peer_isn stops a seen
 * cookie from being replayed with a different sequence space; the MSS index
 * and t are sent in the clear but covered by the MAC. The ts bits come back
 * in the TSecr of the final ACK, out of the cookie, so the MAC covers them
 * too: a peer holding one valid cookie cannot change the window scale or
 * SACK-permitted we rebuild from them, nor drop the timestamp that carries
 * them. The clock bits above them are not covered: the peer sets every later
 * TSecr as it likes anyway. Those clock bits show our clock plus the MAC's low
 * half (the connection's timestamp offset) to whoever sees the SYN-ACK, which
 * carries the cookie itself anyway; the halves of one keyed PRF output are as
 * independent as two outputs, so they tell nothing of the 27 bits another
 * flow's cookie needs.
 *
 * What a cookie cannot carry: only the 8 table MSS values; window scale and
 * SACK-permitted survive only when the peer sent timestamps, in the low bits
 * of our TSval (tt_syncookie_ts_encode); without timestamps they are lost.
 *
 * Sharing: struct tt_syncookie_secret is one value for all workers and, so that
 * a cookie made on one node verifies on another after an ECMP change, for all
 * nodes; those nodes need the same tcp.time_wait_ms (it sets the period), and
 * their clocks must agree to well under a period (NTP), or a cookie made just
 * after a period boundary on a fast node fails on a slow one.  A node in
 * syncookies "auto" checks an ACK as a cookie only while it sent cookies
 * itself lately (tt_tcp_listen.c): behind ECMP, such nodes run "always".
 *
 * Callers: struct tt_syncookie_keys is a per-worker cache of the derived keys
 * (never shared between lcores: make and check update it). Initialise it once
 * with tt_syncookie_keys_init(); make and check re-derive the keys by
 * themselves when the counter moves.
 *
 * Cost: make and check are one SipHash over 22 bytes each (about 40 ns per
 * call on an AMD EPYC VM, see tt_siphash.h), whatever counter t names: the
 * cache holds the keys of the last four counters, so even a forged ACK costs
 * one MAC. A key costs two SipHash calls, paid by the first packet of each
 * period; init, a clock step back or four idle periods derive all four.
 */
#ifndef TT_SYNCOOKIE_H
#define TT_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "tt_flow4.h"
#include "tt_siphash.h"

enum {
	TT_SYNCOOKIE_PERIOD_MAX_MS = 32000, /* counter tick ceiling: cookies live under 64 s */
	TT_SYNCOOKIE_MSS_COUNT = 8,
	TT_SYNCOOKIE_KEYS = 4, /* counters the 2 t bits tell apart */
};

/* The counter period for a TIME-WAIT: two periods stay within it. */
static inline uint32_t tt_syncookie_period_ms(uint32_t time_wait_ms)
{
	uint32_t half = time_wait_ms / 2;

	return half < TT_SYNCOOKIE_PERIOD_MAX_MS ? half : TT_SYNCOOKIE_PERIOD_MAX_MS;
}

/* Fill from a CSPRNG (getrandom(2)) once per deployment and share it read-only. */
struct tt_syncookie_secret {
	struct tt_siphash_key master;
};

/*
 * Per-worker cache: key[c & 3] is key_c for the counters c = counter - 3 ..
 * counter, so a cookie's t bits index its key directly; the master is read
 * only when the counter moves.
 */
struct tt_syncookie_keys {
	uint64_t counter;
	uint64_t counter_ms; /* counter * period_ms: where its period starts */
	uint32_t period_ms;
	struct tt_siphash_key key[TT_SYNCOOKIE_KEYS];
	struct tt_siphash_key master;
};

enum tt_syncookie_verdict {
	TT_SYNCOOKIE_VALID,
	TT_SYNCOOKIE_BAD_HASH,
	TT_SYNCOOKIE_EXPIRED,
};

/*
 * Also the way to install a new master secret. period_ms is
 * tt_syncookie_period_ms(tcp.time_wait_ms); 0 or above
 * TT_SYNCOOKIE_PERIOD_MAX_MS gives -EINVAL.
 */
int tt_syncookie_keys_init(struct tt_syncookie_keys *k, const struct tt_syncookie_secret *s,
			   uint32_t period_ms, uint64_t now_ms);

/*
 * Returns the cookie to send as our ISN. The MSS is the largest table entry
 * not above peer_mss (the smallest entry if peer_mss is below all of them);
 * *mss_out receives it. tsval is the TSval of the SYN-ACK as
 * tt_syncookie_ts_encode made it, or only its option bits (tt_syncookie_ts_opts),
 * NULL when the SYN-ACK carries no timestamp.
 * a6: the flow's IPv6 addresses (the MAC covers them in full, tt_flow_pack),
 * NULL for IPv4.  *ts_offset (unless NULL) receives the timestamp offset of the
 * connection the cookie opens (RFC 7323 5.4): the MAC's low 32 bits, which the
 * cookie does not carry (it carries bits 63..37) and a check of the same cookie
 * computes again, so the connection keeps the clock its SYN-ACK's TSval showed
 * without a hash of its own.
 */
uint32_t tt_syncookie_make(struct tt_syncookie_keys *k, const struct tt_flow4 *f,
			   const struct tt_addr6_pair *a6, uint32_t peer_isn, uint16_t peer_mss,
			   const uint32_t *tsval, uint64_t now_ms, uint16_t *mss_out,
			   uint32_t *ts_offset);

/*
 * peer_isn = seq of the ACK - 1, cookie = ack_seq - 1, tsecr = the ACK's
 * TSecr, NULL when it carries no timestamp option (or we do not use
 * timestamps). *mss_out and *ts_offset (unless NULL; the value make gave) are
 * written only when the verdict is TT_SYNCOOKIE_VALID.
 */
enum tt_syncookie_verdict tt_syncookie_check(struct tt_syncookie_keys *k, const struct tt_flow4 *f,
					     const struct tt_addr6_pair *a6, uint32_t peer_isn,
					     uint32_t cookie, const uint32_t *tsecr,
					     uint64_t now_ms, uint16_t *mss_out,
					     uint32_t *ts_offset);

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
 * arithmetic, RFC 7323), so later segments never carry a smaller TSval; 64
 * more where it would be 0, which no TSval of a cookie is (a TSecr of 0
 * echoes none of ours).
 */
struct tt_syncookie_opts {
	uint8_t wscale;
	bool wscale_ok;
	bool sack_ok;
};

/*
 * The low 6 bits of every TSval tt_syncookie_ts_encode makes of o, whatever the clock: all of
 * it that tt_syncookie_make's MAC covers.  The cookie can so be made before the TSval, whose
 * clock's offset is the MAC's own low half.
 */
uint32_t tt_syncookie_ts_opts(const struct tt_syncookie_opts *o);

/* A shift count above 14 is encoded as 14, as RFC 7323 section 2.3 asks of receivers. */
uint32_t tt_syncookie_ts_encode(uint32_t now_tsval, const struct tt_syncookie_opts *o);

/* false when the reserved bit is set: the TSecr is not one of our encodings. */
bool tt_syncookie_ts_decode(uint32_t tsecr, struct tt_syncookie_opts *o);

#endif /* TT_SYNCOOKIE_H */
