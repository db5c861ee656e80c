/*
 * Segment arrival for an existing connection: RFC 9293 3.10.7.4, with the
 * RFC 5961 hardening (challenge ACKs for RST and SYN that are not exactly
 * expected, ACK range check) and RFC 7323 PAWS.  tt_tcp_input() is the one
 * switch on the state; the synchronized states share the checks below,
 * each a step of the RFC's "otherwise" chain.
 */
#include <rte_branch_prediction.h>

#include "tt_tcp_priv.h"

enum step {
	STEP_GO,   /* continue with the next check */
	STEP_DONE, /* segment fully handled (maybe dropped) */
};

/* The segment's source address, for its budget of replies: IPv6 while ctx->addr6 is set. */
static bool source_token(struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	return tt_reply_budget_take(&ctx->reply_budget, &ctx->isn_secret.key, ctx->now_ms,
				    t->flow.saddr, ctx->addr6 != NULL ? ctx->addr6->saddr : NULL);
}

/*
 * Whether a reply to seg, which the connection refuses, may go now: RFC 5961 7, the
 * connection's own limit, never shared between connections.  A segment with an ACK also costs
 * a token of its source's budget (if one is left), once, whatever the reply: the same segment
 * with no connection would cost one for its RST, and what is left must tell a prober nothing
 * (tt_reply_budget.h).  The reply does not wait on that token: a flood spoofing the source
 * would otherwise silence all its connections.
 */
static bool invalid_reply_allowed(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
				  const struct tt_tcp_seg *seg)
{
	uint32_t interval = ctx->conf->invalid_reply_interval_ms;

	if (tt_reply_budget_charged(seg->flags) && !ctx->seg_charged) {
		ctx->seg_charged = true;
		(void)source_token(ctx, t);
	}
	/* A 16-bit stamp: interval <= 60,000 ms < 2^16, read back as the latest time with those
	 * low bits (a reply 65.5 s or more ago may then look recent: one reply less, no more). */
	if (interval != 0 && t->invalid_reply_ms != 0 &&
	    (uint16_t)((uint16_t)ctx->now_ms - t->invalid_reply_ms) < interval) {
		count(ctx, TT_CTR_INVALID_REPLIES_LIMITED);
		return false;
	}
	t->invalid_reply_ms = (uint16_t)ctx->now_ms != 0 ? (uint16_t)ctx->now_ms : 1;
	return true;
}

/* An ACK in answer to an invalid segment, if the limits allow one now. */
static void invalid_ack(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg)
{
	if (invalid_reply_allowed(ctx, t, seg))
		t->flags |= TT_TCB_ACK_NOW;
}

static void challenge_ack(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg)
{
	if (!invalid_reply_allowed(ctx, t, seg))
		return;
	t->flags |= TT_TCB_ACK_NOW;
	count(ctx, TT_CTR_CHALLENGE_ACKS);
}

/* RCV.WND: what we advertised beyond RCV.NXT. */
static inline uint32_t rcv_wnd(const struct tt_tcb *t)
{
	return seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
}

/* RFC 9293 3.10.7.4 first: is any of the segment inside the receive window? */
static inline __attribute__((always_inline)) bool acceptable(const struct tt_tcb *t,
							     const struct tt_tcp_seg *seg)
{
	uint32_t wnd = rcv_wnd(t);
	uint32_t seg_len = seg->len + ((seg->flags & TT_TCP_FIN) ? 1 : 0);

	/* In order, as nearly every segment is: what the tests below find in that case. */
	if (likely(seg->seq == t->rcv_nxt))
		return seg_len == 0 || wnd != 0;
	if (seg_len == 0) {
		if (wnd == 0)
			return seg->seq == t->rcv_nxt;
		return seq_geq(seg->seq, t->rcv_nxt) && seq_lt(seg->seq, t->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return false;
	return (seq_geq(seg->seq, t->rcv_nxt) && seq_lt(seg->seq, t->rcv_nxt + wnd)) ||
	       (seq_geq(seg->seq + seg_len - 1, t->rcv_nxt) &&
		seq_lt(seg->seq + seg_len - 1, t->rcv_nxt + wnd));
}

/* RFC 7323 5.3 R1: a segment (not an RST) whose timestamp is older than TS.Recent. */
static bool paws_rejects(const struct tt_tcb *t, const struct tt_tcp_seg *seg)
{
	return (t->flags & TT_TCB_TS) && (seg->opts.present & TT_OPT_TS) &&
	       !(seg->flags & TT_TCP_RST) && seq_lt(seg->opts.tsval, t->ts_recent);
}

static enum step check_sequence(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
				const struct tt_tcp_seg *seg)
{
	bool rst = seg->flags & TT_TCP_RST;

	if (paws_rejects(t, seg)) {
		count_drop(ctx, TT_DROP_TCP_PAWS);
		invalid_ack(ctx, t, seg);
		return STEP_DONE;
	}
	if (acceptable(t, seg))
		return STEP_GO;
	count_drop(ctx, TT_DROP_TCP_OUT_OF_WINDOW);
	if (!rst)
		invalid_ack(ctx, t, seg);
	return STEP_DONE;
}

/* RFC 5961 3.2: only an RST exactly at RCV.NXT resets; others get a challenge. */
static enum step check_rst(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg,
			   enum tt_tcp_verdict *v)
{
	if (!(seg->flags & TT_TCP_RST))
		return STEP_GO;
	if (seg->seq == t->rcv_nxt) {
		count(ctx, TT_CTR_CONN_RESET_RX);
		t->close_reason = TT_CLOSE_RESET;
		*v = TT_V_FREE;
	} else {
		challenge_ack(ctx, t, seg);
	}
	return STEP_DONE;
}

/* RFC 7323 4.3: remember the newest timestamp of a segment at the left window edge. */
static void update_ts_recent(struct tt_tcb *t, const struct tt_tcp_seg *seg)
{
	if ((t->flags & TT_TCB_TS) && (seg->opts.present & TT_OPT_TS) &&
	    seq_geq(seg->opts.tsval, t->ts_recent) && seq_leq(seg->seq, t->rcv_nxt))
		t->ts_recent = seg->opts.tsval;
}

/*
 * RFC 6298 2.2 / 2.3 in fixed point: srtt << 3, rttvar << 2.  A sample
 * above rto_max_ms is ignored: it cannot be a real round trip of ours (the
 * peer chose the TSecr it came from), and it keeps every term below 2^20,
 * far from overflow.
 */
static void rtt_sample(struct tt_tcp_ctx *ctx, struct tt_tcb *t, uint32_t rtt)
{
	const struct tt_conf_tcp *c = ctx->conf;
	uint32_t rto;

	if (rtt > c->rto_max_ms)
		return;
	/* The 16-bit fields hold srtt << 3 and rttvar << 2 for samples up to 8,191 ms: a longer
	 * one counts as that (the RTO it gives, srtt + 4 rttvar, is still clamped as below). */
	rtt = min_u32(rtt, TT_TCB_RTT_MAX_MS);
	if (t->srtt_ms8 == 0) {
		t->srtt_ms8 = (uint16_t)(rtt << 3);
		t->rttvar_ms4 = (uint16_t)(rtt << 1);
	} else {
		uint32_t srtt = t->srtt_ms8 >> 3;
		uint32_t adelta = rtt > srtt ? rtt - srtt : srtt - rtt;

		t->rttvar_ms4 = (uint16_t)(t->rttvar_ms4 - (t->rttvar_ms4 >> 2) + adelta);
		t->srtt_ms8 = (uint16_t)(t->srtt_ms8 - srtt + rtt);
	}
	rto = (uint32_t)(t->srtt_ms8 >> 3) + max_u32(1, t->rttvar_ms4);
	rto_set_ms(t, min_u32(max_u32(rto, c->rto_min_ms), c->rto_max_ms));
}

static void measure_rtt(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg)
{
	if ((t->flags & TT_TCB_TS) && (seg->opts.present & TT_OPT_TS) && seg->opts.tsecr != 0) {
		/* A TSecr ahead of our clock wraps to a huge sample, which rtt_sample ignores. */
		rtt_sample(ctx, t, tt_tcp_tsval(ctx, t->ts_offset) - seg->opts.tsecr);
	} else if ((t->flags & TT_TCB_RTT_TIMING) &&
		   seq_geq(seg->ack, tt_tcp_sndb(ctx, t)->rtt_seq)) {
		t->flags &= (uint8_t)~TT_TCB_RTT_TIMING;
		rtt_sample(ctx, t, (uint32_t)ctx->now_ms - tt_tcp_sndb(ctx, t)->rtt_start_ms);
	}
}

/*
 * RFC 5681 3.1: slow start below ssthresh, congestion avoidance above, both counting the bytes
 * an ACK covers (up to SMSS) rather than ACKs, so that a peer ACKing a byte at a time (ACK
 * division, RFC 3465 2.1) grows cwnd no faster than one ACKing whole segments.
 */
static void grow_cwnd(struct tt_sndb *b, uint32_t acked, uint16_t mss)
{
	uint32_t counted = min_u32(acked, mss), add;

	if (b->cwnd < b->ssthresh) {
		b->cwnd += counted;
		return;
	}
	add = (uint32_t)mss * counted / b->cwnd;
	b->cwnd += add == 0 && counted == mss ? 1 : add;
}

/*
 * One segment again from SND.UNA: what the duplicate or partial ACKs say is
 * missing, never past what was sent (SND.MAX).  When it carries the last queued
 * byte and our FIN went with that byte, the FIN goes again with it: the segment
 * is resent as it was sent.
 */
static void resend_first(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_tcp_out *out)
{
	uint32_t queued = tt_tcp_queued(ctx, t);
	uint32_t n = min_u32(min_u32(t->mss, queued), t->snd_max - t->snd_una);
	uint8_t flags = TT_TCP_ACK;

	if (n == 0)
		return;
	if (n == queued)
		flags |= TT_TCP_PSH | ((t->flags & TT_TCB_FIN_SENT) ? TT_TCP_FIN : 0);
	emit(out, t->snd_una, n, flags);
	count(ctx, TT_CTR_FAST_RETRANSMITS);
	resent(ctx, t, n);
}

static void new_ack(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg,
		    struct tt_tcp_out *out)
{
	uint32_t acked = seg->ack - t->snd_una;
	struct tt_sndb *b = tt_tcp_sndb(ctx, t);
	bool reneged;

	measure_rtt(ctx, t, seg);
	if (b != NULL)
		ctx->held -=
		    tt_sndq_ack(&b->q, min_u32(acked, b->q.bytes), ctx->release, ctx->owner_arg);
	t->snd_una = seg->ack;
	if (seq_lt(t->snd_nxt, t->snd_una))
		t->snd_nxt = t->snd_una;
	t->retries = 0;
	/* Less than a segment taken while more is queued: the persist bound holds the peer to a
	 * segment's worth in tcp.persist_timeout_ms whatever its window.  A wide window taken a
	 * byte at a time would otherwise hold the connection and its send block for good: each
	 * such ACK clears the retries and restarts the retransmission timer. */
	if (b != NULL && acked < t->mss && b->q.bytes > 0)
		tt_tcp_persist_start(ctx, t);
	reneged = tt_tcp_sack_reneged(ctx, t);
	tt_tcp_sack_update(ctx, t, seg);
	if (reneged && acked >= t->mss) {
		/* What it SACKed is gone: a loss, met as a timeout meets one (resending may
		 * have stepped over those bytes), no recovery started below SND.MAX.  Only an
		 * ACK of a whole segment is met so, as a partial ACK below: a peer that SACKs the
		 * byte after SND.UNA and then ACKs up to it would otherwise draw a segment out
		 * again for each byte it takes.  A renege of fewer bytes is not met as a loss:
		 * what it dropped goes again by the retransmission timer, or by a partial ACK
		 * of a recovery once SND.UNA passes what the recovery sent again. */
		loss_window(ctx, t);
		set_recovery_point(ctx, t, t->snd_max);
	} else if (tt_tcp_in_recovery(t) && seq_lt(seg->ack, recovery_point(ctx, t))) {
		/* NewReno partial ACK (RFC 6582 3.2): the next hole goes out at once, once the
		 * ACK covers a whole segment (the one resent before).  An ACK of fewer bytes
		 * says nothing new of the hole: a segment for each would let a peer ACKing a
		 * byte at a time draw the whole flight out again, segment by segment. */
		t->dupacks = TT_SACK_DUP_THRESH;
		if (!tt_tcp_sack_partial_ack(ctx, t, out) && acked >= t->mss)
			resend_first(ctx, t, out);
	} else if (tt_tcp_in_recovery(t)) {
		t->dupacks = 0;
		if (b != NULL)
			b->cwnd = b->ssthresh;
	} else {
		t->dupacks = 0;
		if (b != NULL)
			grow_cwnd(b, acked, t->mss);
		/* RecoveryPoint never lags behind outside recovery (no stale value after a wrap).
		 */
		if (seq_lt(recovery_point(ctx, t), t->snd_una))
			set_recovery_point(ctx, t, t->snd_una);
	}
	if (t->snd_una == t->snd_max)
		t->rto_deadline_ms = 0;
	else
		set_rto(ctx, t);
}

/*
 * Three duplicate ACKs: resend the first unacknowledged segment (RFC 5681 3.2).  A duplicate
 * carries no data and no FIN: nor did seg, but when it stands for a segment whose bytes or
 * FIN our shut window refused (shut_out).  With a scoreboard RFC 6675 decides
 * (tt_tcp_sack_dup_ack), and an ACK at SND.UNA that SACKs new data counts as a duplicate
 * whatever its window or payload: a receiver holding data beyond a hole shrinks its window as
 * it goes.
 */
static void dup_ack(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg,
		    bool shut_out, struct tt_tcp_out *out)
{
	bool recovering = tt_tcp_in_recovery(t);
	bool sacked = tt_tcp_sack_update(ctx, t, seg);
	bool dup = !shut_out && seg->len == 0 && !(seg->flags & TT_TCP_FIN) &&
		   (uint32_t)seg->wnd << t->snd_wscale == t->snd_wnd;

	/* With the window closed the ACKs answer probes: nothing may be resent into it. */
	if (t->snd_una == t->snd_max || t->snd_wnd == 0)
		return;
	if (t->sack != TT_TCB_NO_BLOCK) {
		if (!dup && !sacked)
			return;
		if (t->dupacks < UINT8_MAX)
			t->dupacks++;
		tt_tcp_sack_dup_ack(ctx, t, recovering, out);
		return;
	}
	if (!dup)
		return;
	if (t->dupacks < UINT8_MAX)
		t->dupacks++;
	if (t->dupacks != TT_SACK_DUP_THRESH)
		return;
	/* After a timeout cwnd stays the loss window; the count then stays below DupThresh. */
	if (!may_enter_recovery(ctx, t)) {
		t->dupacks = TT_SACK_DUP_THRESH - 1;
		return;
	}
	cwnd_halve(ctx, t);
	set_recovery_point(ctx, t, t->snd_max);
	resend_first(ctx, t, out);
}

/*
 * What follows an acceptable ACK, on either path (check_ack, input_predicted): the window it
 * carries, the persist bound's clock, the retries (a shut window is no loss) and the send
 * block's settling.  RFC 9293 3.10.7.4
 * without SND.WL2 (tt_tcp.h): SND.UNA is the newest ACK, so only a segment whose ACK is
 * SND.UNA (moved by it or not) and whose sequence number is not older than the last update's
 * may move the window.  An older ACK is a stale copy, whatever its sequence number: taken, it
 * could shut the window and put SND.WL1 ahead of every update the peer sends.
 */
static inline void after_ack(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg,
			     bool advanced)
{
	if (seg->ack == t->snd_una && seq_leq(t->snd_wl1, seg->seq)) {
		/* A shut window that opens with nothing of ours in flight (a probe's byte is not:
		 * SND.NXT stays) ends the probes: their timer goes, and the data the window lets
		 * out starts a retransmission timer of its own (else the probe's, due any moment,
		 * would meet that data as lost). */
		if (unlikely(t->snd_wnd == 0) && seg->wnd != 0 && t->snd_nxt == t->snd_una)
			t->rto_deadline_ms = 0;
		t->snd_wnd = (uint32_t)seg->wnd << t->snd_wscale;
		t->snd_wl1 = seg->seq;
	}
	/* A segment's worth taken stops the persist bound's clock (tt_tcp_output.c). */
	if (advanced)
		tt_tcp_persist_progress(ctx, t);
	if (t->snd_wnd == 0 && tt_tcp_queued(ctx, t) > 0)
		t->retries = 0;
	tt_tcp_sndb_settle(ctx, t);
}

static bool our_fin_acked(const struct tt_tcb *t)
{
	return (t->flags & TT_TCB_FIN_SENT) && t->snd_una == t->snd_max;
}

static enum step check_ack(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg,
			   bool shut_out, struct tt_tcp_out *out, enum tt_tcp_verdict *v)
{
	uint32_t max_wnd = max_u32(t->snd_wnd, 65535);
	bool advanced;

	if (!(seg->flags & TT_TCP_ACK)) {
		count_drop(ctx, TT_DROP_TCP_FLAGS);
		return STEP_DONE;
	}
	/* RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.MAX]. */
	if (seq_gt(seg->ack, t->snd_max) || seq_lt(seg->ack, t->snd_una - max_wnd)) {
		count_drop(ctx, TT_DROP_TCP_BAD_ACK);
		invalid_ack(ctx, t, seg);
		return STEP_DONE;
	}
	/* Only a segment inside the window with an acceptable ACK is a sign of life: one that
	 * only guessed a sequence number (an RST or SYN for a challenge, a bad ACK) is not.  Nor,
	 * while out-of-order data is held, one that neither brings bytes at RCV.NXT nor ACKs
	 * anything new: a peer that left a hole and sent an ACK now and then would otherwise pin
	 * the queue's block and buffers for good (a live peer sends the hole again in an RTO). */
	advanced = seq_gt(seg->ack, t->snd_una);
	if (t->ooo == TT_TCB_NO_BLOCK || advanced ||
	    (seq_leq(seg->seq, t->rcv_nxt) && seq_gt(seg->seq + seg->len, t->rcv_nxt)))
		t->last_rx_ms = (uint32_t)ctx->now_ms;
	update_ts_recent(t, seg);
	if (advanced)
		new_ack(ctx, t, seg, out);
	else if (seg->ack == t->snd_una)
		dup_ack(ctx, t, seg, shut_out, out);
	tt_tcp_sack_settle(ctx, t);
	after_ack(ctx, t, seg, advanced);
	if (!our_fin_acked(t))
		return STEP_GO;
	switch (t->state) {
	case TT_TCP_FIN_WAIT_1:
		set_state(ctx, t, TT_TCP_FIN_WAIT_2);
		return STEP_GO;
	case TT_TCP_CLOSING:
		set_state(ctx, t, TT_TCP_TIME_WAIT);
		count_closed(ctx, t);
		*v = TT_V_TIME_WAIT;
		return STEP_DONE;
	case TT_TCP_LAST_ACK:
		count_closed(ctx, t);
		*v = TT_V_FREE;
		return STEP_DONE;
	default:
		return STEP_GO;
	}
}

static bool receives_data(const struct tt_tcb *t)
{
	return (t->state == TT_TCP_ESTABLISHED || t->state == TT_TCP_FIN_WAIT_1 ||
		t->state == TT_TCP_FIN_WAIT_2) &&
	       !(t->flags & TT_TCB_FIN_RCVD);
}

/* Bytes at RCV.NXT to the application; whether it took them all. */
static bool offer(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data, uint32_t len,
		  void *owner)
{
	uint32_t took = ctx->apps[t->app]->on_data(ctx, t, data, len, owner);

	t->rcv_nxt += took;
	ctx->ctr->ev[TT_CTR_APP_RX_BYTES] += took;
	return took == len;
}

/* ...and what it leaves of a segment is dropped (the peer sends it again). */
static bool take(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data, uint32_t len,
		 void *owner)
{
	if (offer(ctx, t, data, len, owner))
		return true;
	count_drop(ctx, TT_DROP_TCP_RCV_QUEUE_FULL);
	return false;
}

static void release_ooo_block(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	tt_pool_put(ctx->ooo_pool, t->ooo);
	t->ooo = TT_TCB_NO_BLOCK;
}

/* A segment beyond a hole: keep it if there is room, the ACK we send is a duplicate. */
static void queue_ooo(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg,
		      void *owner)
{
	struct tt_ooo_seg s = {
	    .seq = seg->seq, .len = seg->len, .data = seg->payload, .owner = owner};
	struct tt_ooo *q;

	count(ctx, TT_CTR_DUP_ACKS_SENT);
	if (!seq_lt(s.seq, t->rcv_adv))
		return;
	if (seq_gt(s.seq + s.len, t->rcv_adv))
		s.len = t->rcv_adv - s.seq;
	if (ctx->ooo_pool == NULL || owner == NULL)
		goto drop;
	if (s.len < TT_TCP_OOO_MIN_BYTES) {
		count_drop(ctx, TT_DROP_TCP_OOO_TINY);
		return;
	}
	if (t->ooo == TT_TCB_NO_BLOCK) {
		uint32_t idx = tt_pool_get(ctx->ooo_pool);

		if (idx == TT_POOL_NONE)
			goto drop;
		t->ooo = (uint16_t)idx;
		tt_ooo_init(tt_pool_at(ctx->ooo_pool, t->ooo));
	}
	q = tt_pool_at(ctx->ooo_pool, t->ooo);
	if (!hold(ctx, owner)) {
		if (q->n == 0)
			release_ooo_block(ctx, t);
		goto drop;
	}
	if (!tt_ooo_insert(q, &s)) {
		unhold(ctx, owner);
		if (q->n == 0)
			release_ooo_block(ctx, t);
		goto drop;
	}
	count(ctx, TT_CTR_OOO_QUEUED);
	return;
drop:
	count_drop(ctx, TT_DROP_TCP_OUT_OF_ORDER);
}

/*
 * The hole is filled: hand over what waited behind it, in order; whether RCV.NXT moved.  What
 * the application has no room for stays, at RCV.NXT, still reported in our SACK blocks (they
 * promised it), and is offered again by the next segment (drain_ooo from deliver), as an ACK
 * of what the application sent frees its room.
 */
static bool drain_ooo(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	uint32_t from = t->rcv_nxt;
	struct tt_ooo *q;

	if (t->ooo == TT_TCB_NO_BLOCK)
		return false;
	q = tt_pool_at(ctx->ooo_pool, t->ooo);
	while (q->n > 0 && seq_leq(q->seg[0].seq, t->rcv_nxt)) {
		const struct tt_ooo_seg *s = &q->seg[0];
		uint32_t end = s->seq + s->len;

		if (seq_gt(end, t->rcv_nxt) &&
		    !offer(ctx, t, s->data + (t->rcv_nxt - s->seq), end - t->rcv_nxt, s->owner)) {
			tt_ooo_trim_front(q, t->rcv_nxt);
			break;
		}
		unhold(ctx, s->owner);
		tt_ooo_pop(q);
	}
	if (q->n == 0)
		release_ooo_block(ctx, t);
	return t->rcv_nxt != from;
}

unsigned tt_tcp_ooo_flush(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct tt_ooo *q = tt_pool_at(ctx->ooo_pool, t->ooo);
	unsigned n = q->n;

	while (q->n > 0) {
		unhold(ctx, q->seg[0].owner);
		tt_ooo_pop(q);
	}
	release_ooo_block(ctx, t);
	return n;
}

/*
 * In-order data was taken: ACK it at once, or owe a delayed ACK that any
 * segment of ours will carry (tt_tcp_tx_hdr) and the timer sends at the
 * latest delayed_ack_ms from now.  A second segment while one is owed is
 * ACKed at once, so at least every second full-sized segment is.
 */
static void ack_data(struct tt_tcp_ctx *ctx, struct tt_tcb *t, bool at_once)
{
	uint16_t due;

	if (at_once || ctx->conf->delayed_ack_ms == 0 || t->delack_ms != 0) {
		t->flags |= TT_TCB_ACK_NOW;
		return;
	}
	if (t->quickacks > 0) {
		t->quickacks--;
		t->flags |= TT_TCB_ACK_NOW;
		count(ctx, TT_CTR_QUICK_ACKS);
		return;
	}
	due = (uint16_t)(ctx->now_ms + ctx->conf->delayed_ack_ms);
	t->delack_ms = due != 0 ? due : 1;
}

static void deliver(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg,
		    void *owner)
{
	uint32_t skip, len;
	bool hole, all;

	if (!receives_data(t))
		return;
	/* Held bytes at RCV.NXT that the application had no room for (drain_ooo): the ACK this
	 * segment brought may have given it room back, and the peer, told we hold them, does not
	 * send them again but waits for their ACK.  Offered before the segment's own bytes, which
	 * come after them. */
	if (unlikely(t->ooo != TT_TCB_NO_BLOCK) && drain_ooo(ctx, t))
		t->flags |= TT_TCB_ACK_NOW;
	if (seg->len == 0)
		return;
	if (seq_gt(seg->seq, t->rcv_nxt)) {
		/* The duplicate ACK tells the peer of the hole at once (RFC 5681 4.2), and so
		 * will the ACKs of its recovery, even of a hole we could not keep data behind. */
		t->flags |= TT_TCB_ACK_NOW;
		t->quickacks = TT_TCP_QUICKACKS_RECOVERY;
		queue_ooo(ctx, t, seg, owner);
		return;
	}
	skip = t->rcv_nxt - seg->seq;
	if (skip >= seg->len) {
		t->flags |= TT_TCB_ACK_NOW; /* all old: our ACK of it was lost */
		return;
	}
	len = min_u32(seg->len - skip, t->rcv_adv - t->rcv_nxt);
	/* Bytes beyond the window are not ACKed. */
	if (len < seg->len - skip)
		count_drop(ctx, TT_DROP_TCP_OUT_OF_WINDOW);
	hole = t->ooo != TT_TCB_NO_BLOCK;
	all = take(ctx, t, seg->payload + skip, len, owner);
	/* Also when the application took part: what RCV.NXT passed of a held segment goes, so that
	 * no SACK block reports bytes below it. */
	drain_ooo(ctx, t);
	/* A segment that fills (part of) a hole, repeats bytes or was cut short is answered at
	 * once: the peer is recovering, or must learn what was not taken. */
	ack_data(ctx, t, hole || skip != 0 || !all || len < seg->len - skip);
}

static void check_fin(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg,
		      enum tt_tcp_verdict *v)
{
	if (!(seg->flags & TT_TCP_FIN) || (t->flags & TT_TCB_FIN_RCVD) ||
	    seg->seq + seg->len != t->rcv_nxt)
		return;
	t->rcv_nxt++;
	t->flags |= TT_TCB_FIN_RCVD | TT_TCB_ACK_NOW;
	/* Segments held beyond the end of the stream the FIN marks (the peer sent them, then a FIN
	 * before them) are never delivered: dropped now, as Linux's tcp_fin purges its
	 * out-of-order queue, not held (and reported in SACK blocks) until the connection ends. */
	if (unlikely(t->ooo != TT_TCB_NO_BLOCK))
		ctx->ctr->drop[TT_DROP_TCP_OUT_OF_ORDER] += tt_tcp_ooo_flush(ctx, t);
	switch (t->state) {
	case TT_TCP_ESTABLISHED:
		set_state(ctx, t, TT_TCP_CLOSE_WAIT);
		ctx->apps[t->app]->on_peer_fin(ctx, t);
		break;
	case TT_TCP_FIN_WAIT_1:
		set_state(ctx, t, TT_TCP_CLOSING);
		break;
	case TT_TCP_FIN_WAIT_2:
		set_state(ctx, t, TT_TCP_TIME_WAIT);
		count_closed(ctx, t);
		*v = TT_V_TIME_WAIT;
		break;
	default:
		break;
	}
}

/* Bytes or a FIN exactly at RCV.NXT while the receive window is zero. */
static bool at_shut_window(const struct tt_tcb *t, const struct tt_tcp_seg *seg)
{
	return rcv_wnd(t) == 0 && seg->seq == t->rcv_nxt &&
	       (seg->len > 0 || (seg->flags & TT_TCP_FIN));
}

/*
 * Header prediction (after Van Jacobson's, RFC 1323 appendix A): in ESTABLISHED, a segment
 * with only ACK (and PSH) at RCV.NXT whose bytes fit the window, that ACKs nothing beyond
 * SND.MAX and is no duplicate ACK while data is in flight, with no SACK blocks and a timestamp
 * PAWS takes, on a connection that holds no out-of-order data and no scoreboard.  Nearly every
 * segment of a request and response; input_predicted does for it what input_general's steps
 * do, without the tests whose outcome these conditions fix (tests/unit/test_tcp_predicted.c
 * holds the two to the same results).  new_ack meets a recovery in progress as it does there.
 */
static inline bool predicted(const struct tt_tcb *t, const struct tt_tcp_seg *seg)
{
	return t->state == TT_TCP_ESTABLISHED && (seg->flags & ~TT_TCP_PSH) == TT_TCP_ACK &&
	       seg->seq == t->rcv_nxt && t->ooo == TT_TCB_NO_BLOCK && t->sack == TT_TCB_NO_BLOCK &&
	       !(seg->opts.present & TT_OPT_SACK) && seg->len <= rcv_wnd(t) &&
	       seq_geq(seg->ack, t->snd_una) && seq_leq(seg->ack, t->snd_max) &&
	       (seg->ack != t->snd_una || t->snd_una == t->snd_max) && !paws_rejects(t, seg);
}

static enum tt_tcp_verdict input_predicted(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
					   const struct tt_tcp_seg *seg, void *owner,
					   struct tt_tcp_out *out)
{
	bool advanced = seg->ack != t->snd_una;

	t->last_rx_ms = (uint32_t)ctx->now_ms;
	update_ts_recent(t, seg);
	if (advanced)
		new_ack(ctx, t, seg, out);
	after_ack(ctx, t, seg, advanced);
	if (seg->len > 0)
		ack_data(ctx, t, !take(ctx, t, seg->payload, seg->len, owner));
	tt_tcp_output(ctx, t, out);
	return TT_V_KEEP;
}

/* RFC 9293 3.10.7.4, every step, for any segment in a synchronized state. */
static enum tt_tcp_verdict input_general(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
					 const struct tt_tcp_seg *seg, void *owner,
					 struct tt_tcp_out *out)
{
	enum tt_tcp_verdict v = TT_V_KEEP;
	bool shut = at_shut_window(t, seg);
	struct tt_tcp_seg head;

	if (shut) {
		/* RFC 9293 3.10.7.4: with the window zero no such segment is acceptable, but its
		 * ACK (or RST) still counts; else a peer that sends its ACKs with data or a FIN
		 * would never reopen a window that our unacknowledged echoes keep shut.  Its bytes
		 * and FIN wait to be sent again; the rest goes on as a zero-length segment (which
		 * only PAWS can refuse, counted as such alone). */
		head = *seg;
		head.len = 0;
		head.flags &= (uint8_t)~TT_TCP_FIN;
		seg = &head;
	}
	if (check_sequence(ctx, t, seg) == STEP_DONE)
		goto out;
	if (shut) {
		count_drop(ctx, TT_DROP_TCP_OUT_OF_WINDOW);
		invalid_ack(ctx, t, seg);
	}
	if (check_rst(ctx, t, seg, &v) == STEP_DONE)
		goto out;
	if (seg->flags & TT_TCP_SYN) { /* RFC 5961 4.2 */
		challenge_ack(ctx, t, seg);
		goto out;
	}
	if (check_ack(ctx, t, seg, shut, out, &v) == STEP_DONE)
		goto out;
	deliver(ctx, t, seg, owner);
	check_fin(ctx, t, seg, &v);
out:
	if (v == TT_V_FREE)
		return v;
	tt_tcp_output(ctx, t, out);
	return v;
}

static enum tt_tcp_verdict input_synchronized(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
					      const struct tt_tcp_seg *seg, void *owner,
					      struct tt_tcp_out *out)
{
	if (likely(predicted(t, seg)))
		return input_predicted(ctx, t, seg, owner, out);
	return input_general(ctx, t, seg, owner, out);
}

/* RFC 9293 3.10.7.4 for SYN-RECEIVED, then the common path once established.  Not inlined
 * into tt_tcp_input, whose every call would then pay its frame (bench/trace.sh). */
static __attribute__((noinline)) enum tt_tcp_verdict
input_syn_received(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg,
		   void *owner, struct tt_tcp_out *out)
{
	if (seg->flags & TT_TCP_RST) {
		if (seg->seq == t->rcv_nxt) {
			count(ctx, TT_CTR_CONN_RESET_RX);
			t->close_reason = TT_CLOSE_RESET;
			return TT_V_FREE;
		}
		if (acceptable(t, seg)) { /* RFC 5961 3.2: in window, not exact */
			challenge_ack(ctx, t, seg);
			tt_tcp_output(ctx, t, out);
		}
		return TT_V_KEEP;
	}
	if (seg->flags & TT_TCP_SYN) {
		/* The same SYN (our SYN-ACK was lost) or another on this 4-tuple: our SYN-ACK
		 * again, at most one per invalid_reply_interval_ms, and the connection stays.  A
		 * peer that began anew, whose old duplicate SYN made this one (RFC 9293 3.5),
		 * answers it with an RST at RCV.NXT, which frees it; one that only knows the
		 * 4-tuple resets nothing (the challenge of RFC 5961 4). */
		if (seg->seq != t->rcv_nxt - 1)
			challenge_ack(ctx, t, seg);
		else if (invalid_reply_allowed(ctx, t, seg))
			t->flags |= TT_TCB_ACK_NOW;
		if (t->flags & TT_TCB_ACK_NOW)
			tt_tcp_output(ctx, t, out);
		return TT_V_KEEP;
	}
	/* The sequence number and the timestamp are checked first: a segment either refuses
	 * must not establish. */
	if (!acceptable(t, seg) || paws_rejects(t, seg)) {
		count_drop(ctx, acceptable(t, seg) ? TT_DROP_TCP_PAWS : TT_DROP_TCP_OUT_OF_WINDOW);
		if (invalid_reply_allowed(ctx, t, seg))
			emit(out, t->snd_nxt, 0, TT_TCP_ACK);
		return TT_V_KEEP;
	}
	if (!(seg->flags & TT_TCP_ACK)) {
		count_drop(ctx, TT_DROP_TCP_FLAGS);
		return TT_V_KEEP;
	}
	if (seg->ack != t->snd_nxt) {
		count_drop(ctx, TT_DROP_TCP_BAD_ACK);
		if (invalid_reply_allowed(ctx, t, seg)) {
			emit(out, seg->ack, 0, TT_TCP_RST);
			count(ctx, TT_CTR_RST_SENT);
		}
		return TT_V_KEEP;
	}
	t->last_rx_ms = (uint32_t)ctx->now_ms;
	t->snd_una = seg->ack;
	t->snd_wnd = (uint32_t)seg->wnd << t->snd_wscale;
	t->snd_wl1 = seg->seq;
	t->rto_deadline_ms = 0;
	t->retries = 0;
	tt_tcp_established(ctx, t);
	return input_synchronized(ctx, t, seg, owner, out);
}

enum tt_tcp_verdict tt_tcp_input(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
				 const struct tt_tcp_seg *seg, void *owner, struct tt_tcp_out *out)
{
	ctx->seg_charged = false;
	switch (t->state) {
	case TT_TCP_SYN_SENT:
		return tt_tcp_input_syn_sent(ctx, t, seg, out);
	case TT_TCP_SYN_RECEIVED:
		return input_syn_received(ctx, t, seg, owner, out);
	case TT_TCP_ESTABLISHED:
	case TT_TCP_FIN_WAIT_1:
	case TT_TCP_FIN_WAIT_2:
	case TT_TCP_CLOSE_WAIT:
	case TT_TCP_CLOSING:
	case TT_TCP_LAST_ACK:
		return input_synchronized(ctx, t, seg, owner, out);
	default:
		count_drop(ctx, TT_DROP_TCP_STATE);
		return TT_V_KEEP;
	}
}
