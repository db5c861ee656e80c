/*
 * tt_reply_budget: how many answers to segments nobody wants may go to one
 * source (RFC 5961 10).
 *
 * At most TT_REPLY_BUDGET_PER_MS a millisecond to the sources of one of
 * TT_REPLY_BUDGET_BUCKETS buckets, chosen by a keyed hash of the source
 * address (of its /64 for IPv6: a host owns at least that much, and a
 * bucket per /128 would let it spread a flood over all buckets).  Not one
 * global budget: an attacker probing it could tell how many replies went
 * to others.
 *
 * What a token pays for must not depend on whether a connection exists,
 * or the budget is the side channel of CVE-2016-5696 for whoever holds an
 * address in a victim's bucket: a spoofed segment on a 4-tuple would cost
 * a token when no connection has it (its RST) and none when one does (a
 * challenge ACK, limited per connection only), and the tokens left to the
 * prober's own RSTs would say which.  So a segment costs a token when it
 * carries an ACK and no RST (tt_reply_budget_charged) and is refused,
 * connection or not, one token a segment: without a connection it earns
 * an RST (a cookie that fails, a closed port), which needs the token; with
 * one it is out of window, has an ACK out of range, or meets TIME-WAIT or
 * SYN-RECEIVED unacceptable.  A TIME-WAIT entry's ACK needs the token too;
 * a connection's reply is held to the connection's own limit instead (a
 * flood spoofing its peer's address must not silence it) and takes the
 * token only so that what is left is the same.  Segments without an ACK
 * cost nothing either way: an RST is never answered, a SYN earns a SYN-ACK
 * without a connection and an ACK with one (from TIME-WAIT unlimited, one
 * for one as a listener's SYN-ACKs), anything else is dropped without a
 * connection.  Only a segment a connection takes (which needs its sequence
 * and acknowledgment numbers) costs no token.
 *
 * Owned by one worker lcore; 1 KiB, zeroed to start.
 */
#ifndef TT_REPLY_BUDGET_H
#define TT_REPLY_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#include "tt_net.h"
#include "tt_siphash.h"

enum {
	TT_REPLY_BUDGET_BUCKETS = 64,
	TT_REPLY_BUDGET_PER_MS = 16,
};

struct tt_reply_budget {
	struct {
		uint64_t ms;   /* the millisecond counted */
		uint32_t used; /* tokens taken in it (zeroed: none, whatever the clock) */
	} bucket[TT_REPLY_BUDGET_BUCKETS];
};

/* Whether a refused segment with these TCP flags costs a token (above). */
static inline bool tt_reply_budget_charged(uint8_t tcp_flags)
{
	return (tcp_flags & (TT_TCP_ACK | TT_TCP_RST)) == TT_TCP_ACK;
}

/*
 * Take a token of the bucket of the source saddr (host order, as tt_pkt holds it; saddr6 its IPv6
 * address instead, NULL for IPv4) at now_ms, key the worker's secret; false if none is left.
 */
bool tt_reply_budget_take(struct tt_reply_budget *b, const struct tt_siphash_key *key,
			  uint64_t now_ms, uint32_t saddr, const uint8_t *saddr6);

#endif
