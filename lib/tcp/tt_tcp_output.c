/*
 * Segment output, retransmission and timers of one connection.
 *
 * Sending follows RFC 5681 (slow start from an initial window of RFC 6928,
 * congestion avoidance, go-back-N from SND.UNA after a retransmission
 * timeout), RFC 6675 in SACK recovery (tt_tcp_sack.c) and RFC 6298 (RTO from SRTT/RTTVAR,
 * exponential backoff, Karn's rule when timestamps are off).
 */
#include <string.h>

#include <rte_branch_prediction.h>

#include "tt_tcp_priv.h"

const char *const tt_tcp_state_names[TT_TCP_NSTATES] = {
#define TT_NAME(name, str) str,
    TT_TCP_STATES(TT_NAME)
#undef TT_NAME
};

const char *const tt_tcp_timer_names[TT_TCP_NTIMERS] = {
#define TT_NAME(name, str) str,
    TT_TCP_TIMERS(TT_NAME)
#undef TT_NAME
};

/* The window we can honestly offer: what the queue does not hold yet. */
static uint32_t window_space(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	const struct tt_sndb *b = tt_tcp_sndb(ctx, t);
	uint32_t space = b != NULL
			     ? app_room(ctx, t->app, b->q.held_bytes, tt_sndq_space(&b->q), t->mss)
			     : app_room(ctx, t->app, 0, TT_SNDQ_EXTENTS, t->mss);

	/* Never move the right edge to the left (RFC 9293 3.8.6.2.2). */
	if (seq_lt(t->rcv_nxt + space, t->rcv_adv))
		space = t->rcv_adv - t->rcv_nxt;
	return space;
}

void tt_tcp_tx_hdr(const struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_tx *tx,
		   struct tt_tcp_hdr_args *a)
{
	uint32_t space = window_space(ctx, t);
	uint32_t field;

	reply_addrs(a, &t->flow, &t->peer_mac);
	a->seq = tx->seq;
	a->ack = (tx->flags & TT_TCP_ACK) ? t->rcv_nxt : 0;
	/* Whatever we send acknowledges RCV.NXT: a delayed ACK rides on it. */
	if (tx->flags & TT_TCP_ACK)
		t->delack_ms = 0;
	a->flags = tx->flags;
	a->opts.present = 0;
	if (tx->flags & TT_TCP_SYN) {
		/* The window in a SYN is never scaled (RFC 7323 2.2). */
		field = min_u32(space, 65535);
		a->opts.present = TT_OPT_MSS;
		a->opts.mss = tt_tcp_our_mss(ctx);
		if (t->flags & TT_TCB_WS) {
			a->opts.present |= TT_OPT_WSCALE;
			a->opts.wscale = t->rcv_wscale;
		}
		if (t->flags & TT_TCB_SACK)
			a->opts.present |= TT_OPT_SACK_OK;
	} else {
		/* Scaled, the field rounds down: the edge on the wire can fall short of the one
		 * offered by less than a unit (RFC 7323 appendix F), while every byte up to
		 * rcv_adv is still taken.  Rounded up instead, each small segment would push the
		 * edge a little further past what the connection can hold, and a window the
		 * application keeps shut would never read 0. */
		field = min_u32(space >> t->rcv_wscale, 65535);
	}
	if (!(tx->flags & TT_TCP_RST)) {
		uint32_t edge =
		    t->rcv_nxt + (field << ((tx->flags & TT_TCP_SYN) ? 0 : t->rcv_wscale));

		if (seq_gt(edge, t->rcv_adv))
			t->rcv_adv = edge;
	}
	a->wnd = (uint16_t)field;
	if (t->flags & TT_TCB_TS) {
		a->opts.present |= TT_OPT_TS;
		a->opts.tsval = tt_tcp_tsval(ctx, t->ts_offset);
		a->opts.tsecr = t->ts_recent;
	}
	a->opts.sack_n = 0;
	tt_tcp_sack_blocks(ctx, t, tx, a);
}

static void arm_rto(const struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	if (t->rto_deadline_ms == 0)
		set_rto(ctx, t);
}

/* The peer's window is shut on our data: probes begin, and so does the persist bound. */
static void arm_persist(const struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	tt_tcp_persist_start(ctx, t);
	arm_rto(ctx, t);
}

/* A FIN may go out (first time or again) once every queued byte (queued) is sent. */
static bool fin_due(const struct tt_tcb *t, uint32_t off, uint32_t queued)
{
	if (!(t->flags & TT_TCB_FIN_QUEUED) || off != queued)
		return false;
	switch (t->state) {
	case TT_TCP_ESTABLISHED:
	case TT_TCP_CLOSE_WAIT:
		return true;
	case TT_TCP_FIN_WAIT_1:
	case TT_TCP_CLOSING:
	case TT_TCP_LAST_ACK:
		/* Only after a timeout rewound SND.NXT below the FIN. */
		return seq_lt(t->snd_nxt, t->snd_max);
	default:
		return false;
	}
}

static void fin_sent(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	t->flags |= TT_TCB_FIN_SENT;
	if (t->state == TT_TCP_ESTABLISHED)
		set_state(ctx, t, TT_TCP_FIN_WAIT_1);
	else if (t->state == TT_TCP_CLOSE_WAIT)
		set_state(ctx, t, TT_TCP_LAST_ACK);
}

/*
 * Sender silly-window avoidance (RFC 9293 3.8.6.2.1), simplified: send a
 * full segment, or the tail of the queue, or anything when nothing is in
 * flight (the ACK clock would otherwise stop).
 */
static bool worth_sending(uint32_t n, uint32_t mss, uint32_t left, uint32_t in_flight)
{
	return n == mss || n == left || in_flight == 0;
}

/* Bytes past SND.NXT inside the peer's window. */
static uint32_t peer_window_left(const struct tt_tcb *t)
{
	uint32_t off = t->snd_nxt - t->snd_una;

	return t->snd_wnd > off ? t->snd_wnd - off : 0;
}

/*
 * Bytes past SND.NXT the windows allow: the peer's window and cwnd less what is in flight,
 * which in SACK recovery is the pipe estimate (RFC 6675 5 (C)) instead of SND.NXT - SND.UNA.
 */
static uint32_t send_room(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	const struct tt_sndb *b = tt_tcp_sndb(ctx, t);
	uint32_t off = t->snd_nxt - t->snd_una;
	uint32_t rwnd = peer_window_left(t);
	uint32_t limit, cwnd;

	if (b == NULL)
		return 0; /* nothing queued */
	limit = b->cwnd + tt_tcp_sack_limited(t);
	cwnd = limit > off ? limit - off : 0;

	if (tt_tcp_in_recovery(t) && t->sack != TT_TCB_NO_BLOCK)
		cwnd = tt_tcp_sack_room(ctx, t);
	return min_u32(rwnd, cwnd);
}

/* Without timestamps, one new segment at a time is timed for an RTT sample (Karn: never one
 * sent again; measure_rtt, tt_tcp_input.c, takes it when `end` is ACKed). */
static inline void time_segment(const struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_sndb *b,
				uint32_t end)
{
	if (!(t->flags & (TT_TCB_TS | TT_TCB_RTT_TIMING))) {
		t->flags |= TT_TCB_RTT_TIMING;
		b->rtt_seq = end;
		b->rtt_start_ms = (uint32_t)ctx->now_ms;
	}
}

/*
 * Every queued byte unsent, in one segment: nothing is in flight (so nothing to send again,
 * and SND.NXT is SND.UNA), and the queue, 1 to mss bytes (mss: less the SACK blocks owed),
 * fits the peer's window (cwnd is never below a segment).  Every response of a
 * request-response exchange; send_one sends it as send_segments would, without the loop's
 * tests whose outcome these conditions fix (tests/unit/test_tcp_predicted.c holds the two to
 * the same results).
 */
static inline bool one_segment(const struct tt_tcb *t, const struct tt_sndb *b, uint32_t mss,
			       const struct tt_tcp_out *out)
{
	/* 1 to mss bytes in one compare: an empty queue's 0 - 1 wraps to UINT32_MAX. */
	return b != NULL && out->n < TT_TCP_OUT_MAX && t->snd_una == t->snd_max &&
	       b->q.bytes - 1u < mss && b->q.bytes <= t->snd_wnd;
}

static void send_one(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_sndb *b,
		     struct tt_tcp_out *out)
{
	uint32_t n = b->q.bytes;
	uint8_t flags = TT_TCP_ACK | TT_TCP_PSH;

	if (fin_due(t, n, n)) {
		flags |= TT_TCP_FIN;
		fin_sent(ctx, t);
	}
	emit(out, t->snd_nxt, n, flags);
	ctx->ctr->ev[TT_CTR_APP_TX_BYTES] += n;
	time_segment(ctx, t, b, t->snd_nxt + n);
	t->snd_nxt += n + ((flags & TT_TCP_FIN) ? 1 : 0);
	t->snd_max = t->snd_nxt;
	arm_rto(ctx, t);
}

/* What the windows let go of the queue b (NULL: none; and a FIN due), segment by segment, each
 * at most mss bytes. */
static void send_segments(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_sndb *b,
			  uint32_t mss, struct tt_tcp_out *out)
{
	uint32_t queued = b != NULL ? b->q.bytes : 0;
	uint32_t room = send_room(ctx, t);

	while (out->n < TT_TCP_OUT_MAX) {
		uint32_t hole = tt_tcp_sack_skip(ctx, t);
		uint32_t off = t->snd_nxt - t->snd_una;
		uint32_t in_flight = off;
		/* The peer's window again: stepping over SACKed bytes moved SND.NXT on. */
		uint32_t rwnd = peer_window_left(t);
		uint32_t left, n;
		uint8_t flags = TT_TCP_ACK;

		if (fin_due(t, off, queued)) {
			emit(out, t->snd_nxt, 0, TT_TCP_FIN | TT_TCP_ACK);
			t->snd_nxt++;
			fin_sent(ctx, t);
			break;
		}
		if (off >= queued || room == 0 || rwnd == 0)
			break;
		left = queued - off;
		n = min_u32(min_u32(mss, left), min_u32(room, rwnd));
		/* A hole before SACKed bytes goes as it is, however short. */
		if (n >= hole)
			n = hole;
		else if (!worth_sending(n, mss, left, in_flight))
			break;
		room -= n;
		if (n == left) {
			flags |= TT_TCP_PSH;
			if (fin_due(t, queued, queued)) {
				flags |= TT_TCP_FIN;
				fin_sent(ctx, t);
			}
		}
		emit(out, t->snd_nxt, n, flags);
		/* Only bytes past SND.MAX are new: a segment may straddle it. */
		if (seq_lt(t->snd_nxt, t->snd_max))
			resent(ctx, t, min_u32(n, t->snd_max - t->snd_nxt));
		if (seq_gt(t->snd_nxt + n, t->snd_max)) {
			uint32_t from = seq_gt(t->snd_nxt, t->snd_max) ? t->snd_nxt : t->snd_max;

			ctx->ctr->ev[TT_CTR_APP_TX_BYTES] += t->snd_nxt + n - from;
		}
		if (!seq_lt(t->snd_nxt, t->snd_max))
			time_segment(ctx, t, b, t->snd_nxt + n);
		t->snd_nxt += n + ((flags & TT_TCP_FIN) ? 1 : 0);
		/* The queue's tail went (PSH): a FIN due went with it, so nothing is left. */
		if (flags & TT_TCP_PSH)
			break;
	}
	if (seq_gt(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
	/* With nothing in flight, a shut window is probed on expiry. */
	if (t->snd_una != t->snd_max || (queued > 0 && t->snd_wnd == 0))
		arm_rto(ctx, t);
	if (queued > 0 && t->snd_wnd < min_u32(t->mss, queued))
		tt_tcp_persist_start(ctx, t);
}

static void send_data(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_tcp_out *out)
{
	struct tt_sndb *b = tt_tcp_sndb(ctx, t);
	/* Data segments leave room for the SACK blocks we owe (RFC 6691). */
	uint32_t mss = t->mss - tt_tcp_sack_reserve(ctx, t);

	if (likely(one_segment(t, b, mss, out)))
		send_one(ctx, t, b, out);
	else
		send_segments(ctx, t, b, mss, out);
}

/*
 * Receiver side of silly-window avoidance (RFC 9293 3.8.6.2.2): announce a
 * window that reopened (the echo application's buffers were acknowledged)
 * once it grew by two segments or half the configured window.
 */
static bool window_update_due(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	uint32_t space = window_space(ctx, t);
	uint32_t adv = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	uint32_t step = min_u32(ctx->conf->rcv_window / 2, 2u * t->mss);

	if (t->state != TT_TCP_ESTABLISHED && t->state != TT_TCP_FIN_WAIT_1 &&
	    t->state != TT_TCP_FIN_WAIT_2)
		return false;
	return space > adv && space - adv >= step;
}

void tt_tcp_output(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_tcp_out *out)
{
	unsigned before = out->n;

	switch (t->state) {
	case TT_TCP_SYN_SENT:
		if (t->flags & TT_TCB_ACK_NOW)
			emit(out, t->snd_una, 0, TT_TCP_SYN);
		break;
	case TT_TCP_SYN_RECEIVED:
		if (t->flags & TT_TCB_ACK_NOW)
			emit(out, t->snd_una, 0, TT_TCP_SYN | TT_TCP_ACK);
		break;
	case TT_TCP_ESTABLISHED:
	case TT_TCP_CLOSE_WAIT:
	case TT_TCP_FIN_WAIT_1:
	case TT_TCP_CLOSING:
	case TT_TCP_LAST_ACK:
		send_data(ctx, t, out);
		break;
	default:
		break;
	}
	/* A segment sent carries the window; only without one is an update due (nothing above
	 * changes the window it offers: the queue's held bytes or RCV.NXT). */
	if (out->n == before && ((t->flags & TT_TCB_ACK_NOW) || window_update_due(ctx, t)))
		emit(out, t->snd_nxt, 0, TT_TCP_ACK);
	t->flags &= (uint8_t)~TT_TCB_ACK_NOW;
}

/* When the current state has lasted too long. */
static uint64_t state_bound(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	const struct tt_conf_tcp *c = ctx->conf;
	uint64_t since = ms_abs(ctx, t->state_since_ms);

	switch (t->state) {
	case TT_TCP_SYN_SENT:
	case TT_TCP_SYN_RECEIVED:
		return since + c->syn_recv_timeout_ms;
	case TT_TCP_ESTABLISHED:
		return ms_abs(ctx, t->last_rx_ms) + c->idle_timeout_ms;
	case TT_TCP_FIN_WAIT_2:
		return since + c->fin_wait_2_timeout_ms;
	case TT_TCP_CLOSE_WAIT:
		return since + c->close_wait_timeout_ms;
	case TT_TCP_FIN_WAIT_1:
	case TT_TCP_CLOSING:
	case TT_TCP_LAST_ACK:
		/* Our FIN is in flight; a peer that keeps ACKing probes (or keeps its window
		 * shut) must not hold the connection beyond this. */
		return since + c->closing_timeout_ms;
	default:
		return UINT64_MAX;
	}
}

/* A peer window that keeps our data back: when the peer must have taken a segment's worth
 * (tt_tcp_persist_start). */
static uint64_t persist_bound(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	const struct tt_sndb *b = tt_tcp_sndb(ctx, t);

	if (b == NULL || b->persist_since_ms == 0)
		return UINT64_MAX;
	return ms_abs(ctx, b->persist_since_ms) + ctx->conf->persist_timeout_ms;
}

/* The application's bound: only ESTABLISHED has one (the connection's clock is the
 * application's there, tt_tcp_app_mark), so no other state pays for the call. */
static uint64_t app_bound(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	const struct tt_tcp_app_ops *app = ctx->apps[t->app];

	if (t->state != TT_TCP_ESTABLISHED || app->deadline == NULL)
		return UINT64_MAX;
	return app->deadline(ctx, t);
}

/* When the owed delayed ACK is due (t->delack_ms != 0), from the 16 low bits of the clock. */
static uint64_t delack_due(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	return ctx->now_ms +
	       (uint64_t)(int64_t)(int16_t)(uint16_t)(t->delack_ms - (uint16_t)ctx->now_ms);
}

/* Keep *due the earliest bound seen and *k its kind; a tie keeps the kind seen first. */
static inline void take_earlier(uint64_t at, enum tt_tcp_timer kind, uint64_t *due,
				enum tt_tcp_timer *k)
{
	if (at < *due) {
		*due = at;
		*k = kind;
	}
}

/*
 * The earliest bound and its kind, the bounds taken in the enum's order; inlined, so
 * tt_tcp_deadline pays nothing for the kind.  A straight run of compares: a bound that is not
 * pending costs one test, and the send block is read only when there is one.
 */
static inline enum tt_tcp_timer next_timer(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t,
					   uint64_t *due)
{
	enum tt_tcp_timer k = TT_TCP_TIMER_NONE;

	*due = UINT64_MAX;
	if (t->rto_deadline_ms != 0)
		take_earlier(ms_ahead(ctx, t->rto_deadline_ms), TT_TCP_TIMER_RETRANSMIT, due, &k);
	if (t->delack_ms != 0)
		take_earlier(delack_due(ctx, t), TT_TCP_TIMER_DELACK, due, &k);
	if (t->sndb != TT_SNDB_NONE)
		take_earlier(persist_bound(ctx, t), TT_TCP_TIMER_PERSIST, due, &k);
	take_earlier(app_bound(ctx, t), TT_TCP_TIMER_APP, due, &k);
	take_earlier(state_bound(ctx, t), TT_TCP_TIMER_TIMEOUT, due, &k);
	return k;
}

uint64_t tt_tcp_deadline(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	uint64_t d;

	next_timer(ctx, t, &d);
	return d;
}

enum tt_tcp_timer tt_tcp_timer_next(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t,
				    uint64_t *due)
{
	return next_timer(ctx, t, due);
}

static bool handshaking(const struct tt_tcb *t)
{
	return t->state == TT_TCP_SYN_SENT || t->state == TT_TCP_SYN_RECEIVED;
}

/* A path MTU as t may use it: raised to the floor of its family. */
static uint32_t path_mtu(const struct tt_tcb *t, uint32_t mtu)
{
	uint32_t floor = t->ipv6 ? TT_TCP_MIN_PATH_MTU6 : TT_TCP_MIN_PATH_MTU4;

	return mtu > floor ? mtu : floor;
}

/* The payload of t's segments on a path of that MTU (path_mtu's). */
static uint32_t mss_on_path(const struct tt_tcb *t, uint32_t mtu)
{
	return mtu - (t->ipv6 ? TT_IP6_HDR_LEN : TT_IP4_HDR_LEN) - TT_TCP_HDR_LEN -
	       ((t->flags & TT_TCB_TS) ? TT_TCP_TS_OPT_LEN : 0);
}

/* t's peer as the path MTU cache knows it: the flow's source, or for IPv6 the address pair's
 * (the owner sets ctx->addr6 around every call). */
static const uint8_t *peer_addr6(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	return t->ipv6 ? ctx->addr6->saddr : NULL;
}

void tt_tcp_path_mtu_cached(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	uint16_t mtu = tt_pmtu_cache_get(ctx->pmtu, &ctx->isn_secret.key, ctx->now_ms,
					 t->flow.saddr, peer_addr6(ctx, t));
	uint32_t mss;

	if (mtu == 0)
		return;
	mss = mss_on_path(t, path_mtu(t, mtu));
	if (mss >= t->mss)
		return;
	t->mss = (uint16_t)mss;
	count(ctx, TT_CTR_PATH_MTU_FROM_CACHE);
}

enum tt_tcp_verdict tt_tcp_too_big(struct tt_tcp_ctx *ctx, struct tt_tcb *t, uint32_t seq,
				   uint32_t mtu, struct tt_tcp_out *out)
{
	uint32_t usable = path_mtu(t, mtu), mss = mss_on_path(t, usable);

	if (handshaking(t) || seq_lt(seq, t->snd_una) || !seq_lt(seq, t->snd_max)) {
		count_drop(ctx, TT_DROP_ICMP_TOO_BIG_STALE);
		return TT_V_KEEP;
	}
	if (mss >= t->mss)
		return TT_V_KEEP;
	t->mss = (uint16_t)mss;
	count(ctx, TT_CTR_PATH_MTU_LOWERED);
	/* For the connections that open to this peer later (tt_pmtu_cache.h); usable is below
	 * the old segment size and its headers, so it fits 16 bits whatever mtu said. */
	if (ctx->pmtu != NULL)
		tt_pmtu_cache_put(ctx->pmtu, &ctx->isn_secret.key, ctx->now_ms, t->flow.saddr,
				  peer_addr6(ctx, t), (uint16_t)usable);
	/* In fast recovery the holes go again as recovery sends them, now at this size: going
	 * back to SND.UNA would send again what recovery already did, outside its pipe. */
	if (tt_tcp_in_recovery(t))
		return TT_V_KEEP;
	t->snd_nxt = t->snd_una;
	send_data(ctx, t, out);
	arm_rto(ctx, t);
	return TT_V_KEEP;
}

static enum tt_tcp_verdict retransmit(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
				      struct tt_tcp_out *out)
{
	const struct tt_conf_tcp *c = ctx->conf;
	uint8_t limit = handshaking(t) ? c->syn_retries : c->max_retries;
	bool orphan = tt_tcp_state_is_orphan(t->state) && c->orphan_retries < limit;

	if (orphan)
		limit = c->orphan_retries;
	if (t->retries >= limit) {
		count(ctx, TT_CTR_CONN_RETRIES_EXHAUSTED);
		if (orphan)
			count(ctx, TT_CTR_ORPHAN_RETRIES_EXHAUSTED);
		t->close_reason = TT_CLOSE_TIMEOUT;
		if (!handshaking(t))
			emit_rst(ctx, t, out);
		return TT_V_FREE;
	}
	t->retries++;
	rto_set_ms(t, min_u32(tt_tcp_rto_ms(t) * 2, c->rto_max_ms));
	t->rto_deadline_ms = 0;
	count(ctx, TT_CTR_RETRANSMITS);
	if (handshaking(t)) {
		t->flags |= TT_TCB_ACK_NOW;
		tt_tcp_output(ctx, t, out);
		arm_rto(ctx, t);
		return TT_V_KEEP;
	}
	if (t->snd_wnd == 0 && tt_tcp_queued(ctx, t) > 0) {
		/* Zero-window probe: one byte beyond the window (RFC 9293 3.8.6.1).
		 * SND.MAX covers it so that the ACK accepting it is valid; SND.NXT
		 * stays, so a byte the closed window refused goes first when it opens. */
		emit(out, t->snd_una, 1, TT_TCP_ACK);
		t->flags &= (uint8_t)~TT_TCB_RTT_TIMING; /* Karn: the timed bytes may start here */
		if (seq_lt(t->snd_max, t->snd_una + 1)) {
			t->snd_max = t->snd_una + 1;
			ctx->ctr->ev[TT_CTR_APP_TX_BYTES]++;
		}
		arm_persist(ctx, t);
		return TT_V_KEEP;
	}
	loss_window(ctx, t);
	tt_tcp_sack_timeout(ctx, t);
	send_data(ctx, t, out);
	arm_rto(ctx, t);
	return TT_V_KEEP;
}

enum tt_tcp_verdict tt_tcp_timeout(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_tcp_out *out)
{
	bool persist = ctx->now_ms >= persist_bound(ctx, t);
	bool app = ctx->now_ms >= app_bound(ctx, t);
	unsigned before = out->n;

	count(ctx, TT_CTR_TIMER_EXPIRIES);
	if (persist || app || ctx->now_ms >= state_bound(ctx, t)) {
		count(ctx, TT_CTR_CONN_TIMEOUT);
		if (persist)
			count(ctx, TT_CTR_CONN_PERSIST_TIMEOUT);
		if (app)
			count(ctx, TT_CTR_CONN_APP_TIMEOUT);
		t->close_reason = TT_CLOSE_TIMEOUT;
		/* A peer that still listens learns the connection is gone. */
		if (t->state != TT_TCP_SYN_SENT && t->state != TT_TCP_SYN_RECEIVED &&
		    t->state != TT_TCP_FIN_WAIT_2)
			emit_rst(ctx, t, out);
		return TT_V_FREE;
	}
	if (t->delack_ms != 0 && ctx->now_ms >= delack_due(ctx, t)) {
		count(ctx, TT_CTR_DELAYED_ACKS);
		t->flags |= TT_TCB_ACK_NOW;
	}
	if (t->rto_deadline_ms != 0 && ctx->now_ms >= ms_ahead(ctx, t->rto_deadline_ms)) {
		enum tt_tcp_verdict v = retransmit(ctx, t, out);

		/* What the retransmission sent carries the ACK. */
		if (v != TT_V_KEEP || out->n > before)
			t->flags &= (uint8_t)~TT_TCB_ACK_NOW;
		if (v != TT_V_KEEP)
			return v;
	}
	if (t->flags & TT_TCB_ACK_NOW)
		tt_tcp_output(ctx, t, out);
	return TT_V_KEEP;
}

/* Take a send block for t (it has none); false when the pool is empty. */
static bool sndb_take(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	uint32_t idx = tt_pool_get(ctx->sndb_pool);
	struct tt_sndb *b;

	if (idx == TT_POOL_NONE)
		return false;
	b = tt_pool_at_sized(ctx->sndb_pool, idx, sizeof(struct tt_sndb));
	tt_sndq_init(&b->q);
	/* No recovery under way: RecoveryPoint starts at SND.UNA as in a new connection. */
	b->recover = t->snd_una;
	b->persist_since_ms = 0; /* persist_una is read only while it is set */
	/* A new block starts as a new connection: the initial window, ssthresh unbounded. */
	b->cwnd = tt_tcp_initial_window(ctx->conf, t->mss);
	b->ssthresh = UINT32_MAX / 2;
	t->flags &= (uint8_t)~TT_TCB_RTT_TIMING;
	t->sndb = idx;
	return true;
}

bool tt_tcp_send(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const void *data, uint32_t len,
		 void *owner, uint16_t sum)
{
	struct tt_sndb *b;

	if (t->flags & TT_TCB_FIN_QUEUED)
		return false;
	if (len == 0)
		return true;
	if (t->sndb != TT_SNDB_NONE) {
		b = tt_tcp_sndb(ctx, t);
		if (!tt_sndq_takes(&b->q, data, len, owner))
			return false;
	} else if (sndb_take(ctx, t)) {
		b = tt_tcp_sndb(ctx, t);
	} else {
		count(ctx, TT_CTR_SEND_BLOCKS_EXHAUSTED);
		return false;
	}
	if (owner != NULL && !hold(ctx, owner))
		return false; /* an empty block goes back at the next settle */
	tt_sndq_push(&b->q, data, len, owner, sum);
	return true;
}

void tt_tcp_sndb_settle(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct tt_sndb *b = tt_tcp_sndb(ctx, t);

	if (b == NULL || b->q.bytes != 0 || t->snd_una != t->snd_max)
		return;
	t->flags &= (uint8_t)~TT_TCB_RTT_TIMING;
	tt_pool_put(ctx->sndb_pool, t->sndb);
	t->sndb = TT_SNDB_NONE;
}

static void sndb_release(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct tt_sndb *b = tt_tcp_sndb(ctx, t);

	if (b == NULL)
		return;
	ctx->held -= tt_sndq_flush(&b->q, ctx->release, ctx->owner_arg);
	tt_pool_put(ctx->sndb_pool, t->sndb);
	t->sndb = TT_SNDB_NONE;
}

void *tt_tcp_app_block_take(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	uint32_t idx;

	if (t->app_block != TT_TCB_NO_APP_BLOCK)
		return tt_pool_at_sized(ctx->app_pool, t->app_block, TT_TCP_APP_BLOCK_BYTES);
	idx = ctx->app_pool != NULL ? tt_pool_get(ctx->app_pool) : TT_POOL_NONE;
	if (idx == TT_POOL_NONE) {
		count(ctx, TT_CTR_APP_BLOCKS_EXHAUSTED);
		return NULL;
	}
	t->app_block = idx;
	return tt_pool_at_sized(ctx->app_pool, idx, TT_TCP_APP_BLOCK_BYTES);
}

void tt_tcp_close(struct tt_tcb *t)
{
	t->flags |= TT_TCB_FIN_QUEUED;
}

void tt_tcp_destroy(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	const struct tt_tcp_app_ops *app = ctx->apps[t->app];

	if (app->on_close != NULL)
		app->on_close(ctx, t);
	if (t->state == TT_TCP_SYN_RECEIVED)
		ctx->half_open--;
	ctx->state_count[t->state]--;
	if (t->ipv6)
		ctx->state_count6[t->state]--;
	sndb_release(ctx, t);
	tt_tcp_app_block_release(ctx, t);
	if (unlikely(t->ooo != TT_TCB_NO_BLOCK))
		tt_tcp_ooo_flush(ctx, t);
	tt_tcp_sack_release(ctx, t);
	t->state = TT_TCP_CLOSED;
}
