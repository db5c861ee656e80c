/*
 * LISTEN: segments that matched no connection, and the birth of a TCB.
 *
 * A SYN is answered either statelessly with a SYN cookie (RFC 4987) or by
 * a TCB in SYN-RECEIVED, by the configured mode: "always" never keeps
 * state for a SYN; "auto" keeps state until the worker has
 * syncookie_threshold half-open connections or its TCBs run short
 * (ctx->table_pressure), then switches to cookies;
 * "off" always keeps state.  An ACK that matches no connection is checked
 * as a cookie in "always", and in "auto" while a cookie this worker sent
 * may still be valid (two cookie periods after the last one): a client's ACK
 * may arrive after the mode switched back, but an ACK when no cookie is out
 * carries none, so it costs no MAC and gives a forger no guess (Linux's
 * tcp_synq_no_recent_overflow).
 */
#include <string.h>

#include "tt_tcp_priv.h"

void tt_tcp_rst_reply(const struct tt_tcp_seg *seg, uint32_t *seq, uint32_t *ack, uint8_t *flags)
{
	if (seg->flags & TT_TCP_ACK) {
		*seq = seg->ack;
		*ack = 0;
		*flags = TT_TCP_RST;
		return;
	}
	*seq = 0;
	*ack = seg->seq + seg->len + ((seg->flags & TT_TCP_SYN) ? 1 : 0) +
	       ((seg->flags & TT_TCP_FIN) ? 1 : 0);
	*flags = TT_TCP_RST | TT_TCP_ACK;
}

/* Whether an ACK that matches no connection may carry a cookie of ours. */
static bool may_carry_cookie(const struct tt_tcp_ctx *ctx)
{
	switch (ctx->conf->syncookies) {
	case TT_SYNCOOKIES_ALWAYS:
		return true;
	case TT_SYNCOOKIES_AUTO:
		return ctx->now_ms < ctx->cookies_live_until_ms;
	default:
		return false;
	}
}

static bool use_cookie(const struct tt_tcp_ctx *ctx)
{
	switch (ctx->conf->syncookies) {
	case TT_SYNCOOKIES_ALWAYS:
		return true;
	case TT_SYNCOOKIES_AUTO:
		return ctx->half_open >= ctx->conf->syncookie_threshold || ctx->table_pressure;
	default:
		return false;
	}
}

/* The SYN-ACK of a cookie: which options we can afford to agree to without state. */
static void cookie_synack(struct tt_tcp_ctx *ctx, const struct tt_flow4 *f,
			  const struct tt_tcp_seg *syn, struct tt_listen_result *r)
{
	const struct tt_conf_tcp *c = ctx->conf;
	uint16_t peer_mss = (syn->opts.present & TT_OPT_MSS) ? syn->opts.mss : TT_TCP_DEFAULT_MSS;
	/* Window scale and SACK-permitted can only be remembered inside the
	 * timestamp, so without timestamps they are not offered. */
	bool ts = c->timestamps && (syn->opts.present & TT_OPT_TS);
	const struct tt_syncookie_opts o = {
	    .wscale = syn->opts.wscale,
	    .wscale_ok = syn->opts.present & TT_OPT_WSCALE,
	    .sack_ok = c->sack && (syn->opts.present & TT_OPT_SACK_OK),
	};
	uint32_t ts_opts = tt_syncookie_ts_opts(&o), ts_offset;

	r->ack = syn->seq + 1;
	r->opts.present = TT_OPT_MSS;
	r->opts.mss = tt_tcp_our_mss(ctx);
	/* Read by the SYN-ACK template's key (tt_synack_key) also when not offered. */
	r->opts.wscale = 0;
	/* The MAC covers only the TSval's option bits; its low half is the clock's offset, so one
	 * SipHash gives the cookie and the TSval. */
	r->seq = tt_syncookie_make(&ctx->cookie_keys, f, ctx->addr6, syn->seq, peer_mss,
				   ts ? &ts_opts : NULL, ctx->now_ms, &r->mss, &ts_offset);
	if (ts) {
		r->opts.present |= TT_OPT_TS;
		r->opts.tsval = tt_syncookie_ts_encode(tt_tcp_tsval(ctx, ts_offset), &o);
		r->opts.tsecr = syn->opts.tsval;
		if (o.wscale_ok) {
			r->opts.present |= TT_OPT_WSCALE;
			r->opts.wscale = c->wscale;
		}
		if (o.sack_ok)
			r->opts.present |= TT_OPT_SACK_OK;
	}
	/* A cookie is valid through the period after the one it was made in. */
	ctx->cookies_live_until_ms = ctx->now_ms + 2 * (uint64_t)ctx->cookie_keys.period_ms;
	count(ctx, TT_CTR_SYNCOOKIES_SENT);
}

static enum tt_listen_verdict cookie_ack(struct tt_tcp_ctx *ctx, const struct tt_flow4 *f,
					 const struct tt_tcp_seg *seg, struct tt_listen_result *r)
{
	/* Without timestamps here our SYN-ACK carried none, nor did it to a SYN without them.  A
	 * TSecr of 0 echoes no TSval of ours (no cookie's is 0: tt_syncookie_ts_encode), so it comes
	 * from a peer whose SYN had no timestamp and whose ACK has one anyway: never agreed to, the
	 * option is ignored (RFC 7323 3.2).  Either way the cookie was made without one. */
	const uint32_t *tsecr = ((seg->opts.present & TT_OPT_TS) && ctx->conf->timestamps &&
				 seg->opts.tsecr != 0)
				    ? &seg->opts.tsecr
				    : NULL;
	struct tt_syncookie_opts o = {0};

	switch (tt_syncookie_check(&ctx->cookie_keys, f, ctx->addr6, seg->seq - 1, seg->ack - 1,
				   tsecr, ctx->now_ms, &r->mss, &r->ts_offset)) {
	case TT_SYNCOOKIE_VALID:
		break;
	case TT_SYNCOOKIE_EXPIRED:
		count(ctx, TT_CTR_SYNCOOKIES_FAILED);
		r->reason = TT_DROP_SYNCOOKIE_EXPIRED;
		return TT_L_RST;
	default:
		count(ctx, TT_CTR_SYNCOOKIES_FAILED);
		r->reason = TT_DROP_SYNCOOKIE_BAD;
		return TT_L_RST;
	}
	r->opts.present = 0;
	if (tsecr != NULL && tt_syncookie_ts_decode(*tsecr, &o)) {
		r->opts.present |= TT_OPT_TS;
		if (o.wscale_ok) {
			r->opts.present |= TT_OPT_WSCALE;
			r->opts.wscale = o.wscale;
		}
		if (o.sack_ok && ctx->conf->sack)
			r->opts.present |= TT_OPT_SACK_OK;
	}
	/* Counted as validated by tt_tcp_init_cookie, once a TCB exists: the owner may still
	 * refuse the connection (no room), and then it is a drop, not a connection. */
	return TT_L_NEW_COOKIE;
}

enum tt_listen_verdict tt_tcp_listen(struct tt_tcp_ctx *ctx, const struct tt_flow4 *f,
				     const struct tt_tcp_seg *seg, struct tt_listen_result *r)
{
	r->reason = TT_DROP_TCP_NO_CONN;
	if (seg->flags & TT_TCP_RST)
		return TT_L_DROP;
	if (seg->flags & TT_TCP_ACK) {
		if ((seg->flags & TT_TCP_SYN) || !may_carry_cookie(ctx))
			return TT_L_RST;
		return cookie_ack(ctx, f, seg, r);
	}
	if (!(seg->flags & TT_TCP_SYN)) {
		r->reason = TT_DROP_TCP_FLAGS;
		return TT_L_DROP;
	}
	/* A cookie is the ISN: a SYN taking over a TIME-WAIT 4-tuple keeps state instead, as
	 * Linux does, for an ISN above the old connection's (at most one per entry). */
	if (ctx->tw_reuse || !use_cookie(ctx))
		return TT_L_NEW_SYN_RECV;
	cookie_synack(ctx, f, seg, r);
	return TT_L_SYNACK_COOKIE;
}

void tt_tcp_init_common(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_flow4 *f,
			uint8_t app, uint32_t ts_offset)
{
	const struct tt_conf_tcp *c = ctx->conf;

	/* The first line (the per-segment fields), then the second's bytes before the timer: GCC
	 * writes a memset of up to 64 bytes as vector stores but one of 92 as `rep stos`, whose
	 * start held a fifth of this path's samples in the cps profile (bench/README.md). */
	memset(t, 0, offsetof(struct tt_tcb, srtt_ms8));
	memset(&t->srtt_ms8, 0, offsetof(struct tt_tcb, timer) - offsetof(struct tt_tcb, srtt_ms8));
	t->flow = *f;
	t->ooo = TT_TCB_NO_BLOCK;
	t->sack = TT_TCB_NO_BLOCK;
	t->sndb = TT_SNDB_NONE;
	t->app_block = TT_TCB_NO_APP_BLOCK;
	t->state = TT_TCP_CLOSED;
	ctx->state_count[TT_TCP_CLOSED]++;
	ctx->state_count6[TT_TCP_CLOSED] += t->ipv6; /* set by the worker before */
	t->app = app;
	rto_set_ms(t, c->rto_initial_ms);
	t->last_rx_ms = (uint32_t)ctx->now_ms;
	if (c->timestamps)
		t->ts_offset = ts_offset;
}

uint64_t tt_tcp_init_hashed(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_flow4 *f,
			    uint8_t app)
{
	uint64_t h = tt_isn_flow_hash(&ctx->isn_secret, f, ctx->addr6);

	tt_tcp_init_common(ctx, t, f, app, tt_isn_ts_offset_of(h));
	return h;
}

void tt_tcp_established(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	set_state(ctx, t, TT_TCP_ESTABLISHED);
	t->last_rx_ms = (uint32_t)ctx->now_ms; /* the handshake's last segment was acceptable */
	t->quickacks = TT_TCP_QUICKACKS;
	count(ctx, TT_CTR_CONN_OPENED);
	if (ctx->addr6 != NULL)
		count(ctx, TT_CTR_CONN_OPENED_IPV6);
	ctx->apps[t->app]->on_open(ctx, t);
}

void tt_tcp_init_syn_recv(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_flow4 *f,
			  const struct tt_tcp_seg *syn, uint8_t app, struct tt_tcp_out *out)
{
	const struct tt_conf_tcp *c = ctx->conf;
	const struct tt_tcp_opts *o = &syn->opts;
	bool ts = c->timestamps && (o->present & TT_OPT_TS);
	uint64_t h = tt_tcp_init_hashed(ctx, t, f, app);

	set_state(ctx, t, TT_TCP_SYN_RECEIVED);
	t->rcv_nxt = syn->seq + 1;
	t->rcv_adv = t->rcv_nxt;
	t->snd_una = ctx->tw_reuse ? ctx->tw_isn : tt_isn_at(h, tt_tcp_isn_clock_us(ctx));
	t->snd_nxt = t->snd_max = t->snd_una + 1;
	t->snd_wnd = syn->wnd; /* never scaled in a SYN */
	t->snd_wl1 = syn->seq;
	t->mss = effective_mss(ctx, (o->present & TT_OPT_MSS) ? o->mss : TT_TCP_DEFAULT_MSS, ts);
	if (o->present & TT_OPT_WSCALE) {
		t->flags |= TT_TCB_WS;
		t->snd_wscale = o->wscale;
		t->rcv_wscale = c->wscale;
	}
	if (c->sack && (o->present & TT_OPT_SACK_OK))
		t->flags |= TT_TCB_SACK;
	if (ts) {
		t->flags |= TT_TCB_TS;
		t->ts_recent = o->tsval;
	}
	start_at_path_mtu(ctx, t);
	count(ctx, TT_CTR_SYNACK_SENT);
	t->flags |= TT_TCB_ACK_NOW;
	tt_tcp_output(ctx, t, out);
	set_rto(ctx, t);
}

uint16_t tt_tcp_cookie_window(const struct tt_tcp_ctx *ctx, const struct tt_listen_result *r,
			      uint8_t app)
{
	/* The window in a SYN is never scaled (RFC 7323 2.2).  The segment size only matters to
	 * an application that keeps what it receives: not worked out for the others, under a
	 * flood nearly every SYN. */
	uint16_t mss =
	    ctx->apps[app]->holds_rx ? effective_mss(ctx, r->mss, r->opts.present & TT_OPT_TS) : 0;

	return (uint16_t)min_u32(app_room(ctx, app, 0, TT_SNDQ_EXTENTS, mss), 65535);
}

void tt_tcp_init_cookie(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_flow4 *f,
			const struct tt_tcp_seg *ack, const struct tt_listen_result *r, uint8_t app)
{
	const struct tt_conf_tcp *c = ctx->conf;
	bool ts = r->opts.present & TT_OPT_TS;

	tt_tcp_init_common(ctx, t, f, app, r->ts_offset);
	t->snd_una = t->snd_nxt = t->snd_max = ack->ack;
	t->rcv_nxt = ack->seq;
	/* What our SYN-ACK advertised. */
	t->rcv_adv = t->rcv_nxt + tt_tcp_cookie_window(ctx, r, app);
	t->mss = effective_mss(ctx, r->mss, ts);
	if (r->opts.present & TT_OPT_WSCALE) {
		t->flags |= TT_TCB_WS;
		t->snd_wscale = r->opts.wscale;
		t->rcv_wscale = c->wscale;
	}
	if (r->opts.present & TT_OPT_SACK_OK)
		t->flags |= TT_TCB_SACK;
	if (ts) {
		t->flags |= TT_TCB_TS;
		t->ts_recent = ack->opts.tsval;
	}
	start_at_path_mtu(ctx, t);
	t->snd_wnd = (uint32_t)ack->wnd << t->snd_wscale;
	t->snd_wl1 = ack->seq;
	count(ctx, TT_CTR_SYNCOOKIES_VALIDATED);
	tt_tcp_established(ctx, t);
}
