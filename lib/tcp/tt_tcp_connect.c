/*
 * Active open (RFC 9293 3.10.4, 3.10.7.3): the client half, used by the
 * load generator.  tt_tcp_connect() sends the SYN; the SYN-SENT branch of
 * tt_tcp_input() lives here too, so the server-side file stays about the
 * server.  Simultaneous open (a bare SYN in SYN-SENT) is not supported:
 * such a SYN is dropped and counted, and our SYN's retransmission
 * resolves it as a normal handshake or times out.
 */
#include "tt_tcp_priv.h"

void tt_tcp_connect(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_flow4 *f, uint8_t app,
		    struct tt_tcp_out *out)
{
	const struct tt_conf_tcp *c = ctx->conf;
	uint64_t h = tt_tcp_init_hashed(ctx, t, f, app);

	set_state(ctx, t, TT_TCP_SYN_SENT);
	t->snd_una = tt_isn_at(h, tt_tcp_isn_clock_us(ctx));
	t->snd_nxt = t->snd_max = t->snd_una + 1;
	t->mss = c->mss;
	t->flags |= TT_TCB_WS;
	t->rcv_wscale = c->wscale;
	if (c->timestamps)
		t->flags |= TT_TCB_TS;
	t->flags |= TT_TCB_ACK_NOW;
	tt_tcp_output(ctx, t, out);
	set_rto(ctx, t);
}

/* What the SYN-ACK agreed to: options we offered are kept only if it echoed them. */
static void take_synack_options(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
				const struct tt_tcp_seg *seg)
{
	const struct tt_tcp_opts *o = &seg->opts;

	if (o->present & TT_OPT_WSCALE) {
		t->snd_wscale = o->wscale;
	} else {
		t->flags &= (uint8_t)~TT_TCB_WS;
		t->rcv_wscale = 0;
	}
	if ((t->flags & TT_TCB_TS) && (o->present & TT_OPT_TS))
		t->ts_recent = o->tsval;
	else
		t->flags &= (uint8_t)~TT_TCB_TS;
	t->mss = effective_mss(ctx, (o->present & TT_OPT_MSS) ? o->mss : TT_TCP_DEFAULT_MSS,
			       t->flags & TT_TCB_TS);
	start_at_path_mtu(ctx, t);
}

/* Not inlined into tt_tcp_input: an active open's path (input_syn_received's note there). */
__attribute__((noinline)) enum tt_tcp_verdict tt_tcp_input_syn_sent(struct tt_tcp_ctx *ctx,
								    struct tt_tcb *t,
								    const struct tt_tcp_seg *seg,
								    struct tt_tcp_out *out)
{
	bool ack = seg->flags & TT_TCP_ACK;

	if (ack && seg->ack != t->snd_nxt) {
		count_drop(ctx, TT_DROP_TCP_BAD_ACK);
		if (!(seg->flags & TT_TCP_RST)) {
			emit(out, seg->ack, 0, TT_TCP_RST);
			count(ctx, TT_CTR_RST_SENT);
		}
		return TT_V_KEEP;
	}
	if (seg->flags & TT_TCP_RST) {
		if (!ack)
			return TT_V_KEEP;
		count(ctx, TT_CTR_CONN_RESET_RX); /* connection refused */
		t->close_reason = TT_CLOSE_RESET;
		return TT_V_FREE;
	}
	if (!(seg->flags & TT_TCP_SYN) || !ack) {
		count_drop(ctx, TT_DROP_TCP_STATE);
		return TT_V_KEEP;
	}
	t->rcv_nxt = t->rcv_adv = seg->seq + 1;
	t->snd_una = seg->ack;
	t->snd_wnd = seg->wnd; /* never scaled in a SYN */
	t->snd_wl1 = seg->seq;
	t->rto_deadline_ms = 0;
	t->retries = 0;
	take_synack_options(ctx, t, seg);
	tt_tcp_established(ctx, t);
	t->flags |= TT_TCB_ACK_NOW;
	tt_tcp_output(ctx, t, out);
	return TT_V_KEEP;
}
