/*
 * gen_sl_tx: the stateless cps client's TX burst (gen_stateless.h), and the replies its TX queue
 * refused, held for the next burst.
 *
 * Each poll builds one burst, replies first:
 *
 *   f:  [ held replies | this poll's replies | SYN repeats | new SYNs ]
 *       0              held                  replies                   n
 *
 * rte_eth_tx_burst takes a prefix, so a queue with too little room refuses SYNs before any
 * reply.  A refused SYN is freed: it opened nothing (gen_sl_opened runs only for SYNs taken),
 * and at --rate 0 an unanswered one is repeated anyway.  A refused reply is the only copy of
 * its connection's next step (the stateless client never sends one twice: the handshake's ACK
 * with the request, the FIN, the last ACK), so it is held: it stays at the burst's head and goes
 * first in the next, as often as the queue refuses it.  GEN_SL_HOLD bounds the hold; the
 * refused replies beyond it (the newest: the held ones keep their place) are freed and counted,
 * each a connection that will time out.  Nothing else changes order, so a held reply never
 * overtakes an earlier one of its connection.
 *
 * Counters (gen_sl_ctr): tx_frames taken; tx_refused, frames refused, each counted once (a held
 * reply refused again is not counted again); replies_held, refused replies kept;
 * replies_resent, held replies the queue took later; replies_dropped, refused replies freed
 * because the hold was full.  So tx_refused - replies_held frames were refused and freed (the
 * summary's tx_failed), and replies_held - replies_resent are held still or were at the end.
 *
 * Cost: when the queue takes the whole burst, a few stores beside rte_eth_tx_burst.  While
 * replies are held each poll offers them again, and the vhost PMD walks every frame offered
 * (its VLAN check) even when its ring has no room: GEN_SL_HOLD also bounds that walk.
 *
 * Worker lcore only, one per port (queue 0).
 */
#ifndef GEN_SL_TX_H
#define GEN_SL_TX_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "gen_stateless.h"

enum {
	GEN_SL_BURST = 32, /* frames received a poll; replies, SYN repeats and new SYNs at most */
	/* Refused replies kept: as many as the appliance's RX ring holds by default.  A closed
	 * loop has one reply waiting per connection at most, so with --conns up to this (the
	 * bench's 512) none is ever dropped; an open loop (--rate) has one for each connection
	 * whose SYN the ring took, which a stall of the appliance may make a few hundred. */
	GEN_SL_HOLD = 32 * GEN_SL_BURST,
	GEN_SL_TX_MAX = GEN_SL_HOLD + 3 * GEN_SL_BURST,
};

struct gen_sl_tx {
	uint16_t n;	  /* frames in f */
	uint16_t held;	  /* f[0, held): replies refused before, GEN_SL_HOLD at most */
	uint16_t replies; /* f[0, replies): replies, the held ones included; SYNs after */
	struct rte_mbuf *f[GEN_SL_TX_MAX];
};

/* Append reply m (before any SYN of the burst). */
static inline void gen_sl_tx_reply(struct gen_sl_tx *t, struct rte_mbuf *m)
{
	t->f[t->n++] = m;
	t->replies = t->n;
}

/*
 * Offer the burst to queue 0 of port_id; what the queue refused as described above.  The count
 * taken: f[0, taken) went out, so the burst's SYNs taken are those before it.
 */
uint16_t gen_sl_tx_send(struct gen_sl_tx *t, uint16_t port_id, struct gen_sl_ctr *c);

/* Free the frames still held (the client stops). */
void gen_sl_tx_free(struct gen_sl_tx *t);

#endif
