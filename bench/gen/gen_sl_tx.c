/* The stateless client's TX burst and its held replies; see gen_sl_tx.h. */
#include <string.h>

#include <rte_ethdev.h>

#include "gen_sl_tx.h"

/*
 * The queue took f[0, taken) of n: keep the refused replies at f's head (GEN_SL_HOLD at most,
 * the held ones first), free the rest.
 */
static void hold_refused(struct gen_sl_tx *t, uint16_t taken, struct gen_sl_ctr *c)
{
	uint16_t still_held = t->held > taken ? t->held - taken : 0;
	uint16_t refused_replies = t->replies > taken ? t->replies - taken : 0;
	uint16_t kept = RTE_MIN(refused_replies, (uint16_t)GEN_SL_HOLD);

	/* Frames from f[held] on were offered for the first time. */
	c->tx_refused += t->n - RTE_MAX(taken, t->held);
	c->replies_held += kept - still_held;
	c->replies_dropped += refused_replies - kept;
	/* taken + kept >= kept: the move leaves the frames to free where they are. */
	memmove(t->f, t->f + taken, kept * sizeof(t->f[0]));
	rte_pktmbuf_free_bulk(t->f + taken + kept, t->n - taken - kept);
	t->n = t->held = t->replies = kept;
}

uint16_t gen_sl_tx_send(struct gen_sl_tx *t, uint16_t port_id, struct gen_sl_ctr *c)
{
	uint16_t taken = t->n ? rte_eth_tx_burst(port_id, 0, t->f, t->n) : 0;

	c->tx_frames += taken;
	c->replies_resent += RTE_MIN(taken, t->held);
	if (likely(taken == t->n))
		t->n = t->held = t->replies = 0;
	else
		hold_refused(t, taken, c);
	return taken;
}

void gen_sl_tx_free(struct gen_sl_tx *t)
{
	rte_pktmbuf_free_bulk(t->f, t->n);
	t->n = t->held = t->replies = 0;
}
