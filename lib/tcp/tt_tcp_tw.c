/*
 * TIME-WAIT (RFC 9293 3.6.1): the 2*MSL quarantine of a closed 4-tuple,
 * kept in a struct tt_tw of 32 bytes instead of a TCB.
 *
 *   RST          ignored: an RST must not cut TIME-WAIT short (RFC 1337);
 *   SYN          a new incarnation if it is provably newer: a larger
 *                timestamp, or the same one and a sequence number above
 *                RCV.NXT (RFC 6191 2) or, without timestamps, a sequence
 *                number above RCV.NXT (RFC 9293 3.6.1); else re-ACK;
 *   FIN again    our last ACK was lost: ACK and restart the timer (the
 *                stack restarts it once half of it has passed, tt_stack.c);
 *   data         ACK (as for any unacceptable segment);
 *   pure ACK     dropped;
 *   no ACK       (nor SYN nor RST) dropped, as with no entry: only a
 *                segment with an ACK costs a token of the source's budget
 *                of replies (tt_reply_budget.h), and an answer to one
 *                without would cost nothing.
 */
#include "tt_tcp_priv.h"

void tt_tcp_tw_init(struct tt_tcp_ctx *ctx, struct tt_tw *tw, struct tt_tcb *t)
{
	struct tt_tcp_tx ack = {.seq = t->snd_nxt, .flags = TT_TCP_ACK};
	struct tt_tcp_hdr_args a;

	tt_tcp_tx_hdr(ctx, t, &ack, &a);
	tw->snd_nxt = t->snd_nxt;
	tw->rcv_nxt = t->rcv_nxt;
	tw->ts_recent = t->ts_recent;
	tw->ts_ok = (t->flags & TT_TCB_TS) != 0;
	tw->ts_offset = t->ts_offset;
	tw->wnd = a.wnd;
	tw->ipv6 = t->ipv6;
	tw->gone = 0;
	/* The gauge keeps counting this connection in TIME-WAIT: only the TCB goes. */
	ctx->state_count[TT_TCP_TIME_WAIT]++;
	ctx->state_count6[TT_TCP_TIME_WAIT] += tw->ipv6;
	tt_tcp_destroy(ctx, t);
}

enum tt_tw_verdict tt_tcp_tw_input(const struct tt_tw *tw, const struct tt_tcp_seg *seg)
{
	bool has_ts = seg->opts.present & TT_OPT_TS;

	if (seg->flags & TT_TCP_RST)
		return TT_TW_DROP;
	if ((seg->flags & (TT_TCP_SYN | TT_TCP_ACK)) == TT_TCP_SYN) {
		bool seq_newer = seq_gt(seg->seq, tw->rcv_nxt);
		bool newer = (tw->ts_ok && has_ts)
				 ? seq_gt(seg->opts.tsval, tw->ts_recent) ||
				       (seg->opts.tsval == tw->ts_recent && seq_newer)
				 : seq_newer;

		return newer ? TT_TW_REUSE : TT_TW_ACK;
	}
	if (!(seg->flags & TT_TCP_ACK))
		return TT_TW_DROP;
	if ((seg->flags & TT_TCP_FIN) && seg->seq + seg->len + 1 == tw->rcv_nxt)
		return TT_TW_ACK_RESTART;
	if (seg->len > 0 || (seg->flags & (TT_TCP_FIN | TT_TCP_SYN)))
		return TT_TW_ACK;
	return TT_TW_DROP;
}

void tt_tcp_tw_hdr(const struct tt_tcp_ctx *ctx, const struct tt_tw *tw, const struct tt_flow4 *f,
		   const struct tt_mac *peer_mac, struct tt_tcp_hdr_args *a)
{
	reply_addrs(a, f, peer_mac);
	a->seq = tw->snd_nxt;
	a->ack = tw->rcv_nxt;
	a->flags = TT_TCP_ACK;
	a->wnd = tw->wnd;
	a->opts.present = 0;
	if (tw->ts_ok) {
		a->opts.present = TT_OPT_TS;
		a->opts.tsval = tt_tcp_tsval(ctx, tw->ts_offset);
		a->opts.tsecr = tw->ts_recent;
	}
}

void tt_tcp_tw_destroy(struct tt_tcp_ctx *ctx, struct tt_tw *tw)
{
	ctx->state_count[TT_TCP_TIME_WAIT]--;
	ctx->state_count6[TT_TCP_TIME_WAIT] -= tw->ipv6;
}
