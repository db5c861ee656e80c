/*
 * Helpers shared by the files of the TCP state machine; not a public API.
 * Sequence comparisons are modulo 2^32 (RFC 9293 3.4).
 */
#ifndef TT_TCP_PRIV_H
#define TT_TCP_PRIV_H

#include <rte_branch_prediction.h>

#include "tt_tcp.h"

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static inline uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static inline void count(struct tt_tcp_ctx *ctx, enum tt_counter c)
{
	ctx->ctr->ev[c]++;
}

/* A connection closed in order (it reached TIME-WAIT or its LAST-ACK was acknowledged). */
static inline void count_closed(struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	count(ctx, TT_CTR_CONN_CLOSED);
	if (t->ipv6)
		count(ctx, TT_CTR_CONN_CLOSED_IPV6);
}

static inline void count_drop(struct tt_tcp_ctx *ctx, enum tt_drop d)
{
	ctx->ctr->drop[d]++;
}

/* n bytes below SND.MAX went out again: counted, and (Karn, RFC 6298 3) a running RTT
 * measurement stops, as the timed bytes may be among them.  Every path that sends data again
 * comes here. */
static inline void resent(struct tt_tcp_ctx *ctx, struct tt_tcb *t, uint32_t n)
{
	ctx->ctr->ev[TT_CTR_RETRANSMITTED_BYTES] += n;
	t->flags &= (uint8_t)~TT_TCB_RTT_TIMING;
}

enum { TT_TCP_OOO_MIN_BYTES = 256 };

/* Take a reference to a received buffer if the worker's budget allows (counted if not). */
static inline bool hold(struct tt_tcp_ctx *ctx, void *owner)
{
	if (ctx->held >= ctx->held_limit) {
		ctx->ctr->ev[TT_CTR_RX_HOLD_REFUSED]++;
		return false;
	}
	ctx->held++;
	ctx->retain(ctx->owner_arg, owner);
	return true;
}

static inline void unhold(struct tt_tcp_ctx *ctx, void *owner)
{
	ctx->held--;
	ctx->release(ctx->owner_arg, owner);
}

/* Every state change goes through here so the per-state gauges stay exact. */
static inline void set_state(struct tt_tcp_ctx *ctx, struct tt_tcb *t, enum tt_tcp_state s)
{
	if (t->state == TT_TCP_SYN_RECEIVED)
		ctx->half_open--;
	if (s == TT_TCP_SYN_RECEIVED)
		ctx->half_open++;
	ctx->state_count[t->state]--;
	ctx->state_count[s]++;
	if (t->ipv6) {
		ctx->state_count6[t->state]--;
		ctx->state_count6[s]++;
	}
	t->state = (uint8_t)s;
	t->state_since_ms = (uint32_t)ctx->now_ms;
}

/* The absolute ms time of a 32-bit timestamp in the recent past (< 49 days ago). */
static inline uint64_t ms_abs(const struct tt_tcp_ctx *ctx, uint32_t t32)
{
	return ctx->now_ms - (uint32_t)((uint32_t)ctx->now_ms - t32);
}

/* The absolute ms time of a 32-bit deadline within 24 days of now, either way. */
static inline uint64_t ms_ahead(const struct tt_tcp_ctx *ctx, uint32_t t32)
{
	return ctx->now_ms + (uint64_t)(int64_t)(int32_t)(t32 - (uint32_t)ctx->now_ms);
}

/* A 32-bit stamp of an absolute time where 0 means "none": a real 0 moves by 1 ms. */
static inline uint32_t ms_stamp(uint64_t abs_ms)
{
	return (uint32_t)abs_ms != 0 ? (uint32_t)abs_ms : 1;
}

/* Set the RTO (ms, at most tcp.rto_max_ms's ceiling): rounded up to the field's 2 ms unit. */
static inline void rto_set_ms(struct tt_tcb *t, uint32_t ms)
{
	t->rto_2ms = (uint16_t)(((ms < TT_TCB_RTO_MAX_MS ? ms : TT_TCB_RTO_MAX_MS) + 1) / 2);
}

/* Arm the retransmission timer one RTO from now. */
static inline void set_rto(const struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	t->rto_deadline_ms = ms_stamp(ctx->now_ms + tt_tcp_rto_ms(t));
}

static inline void emit(struct tt_tcp_out *out, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct tt_tcp_tx *tx;

	if (out->n == TT_TCP_OUT_MAX)
		return;
	tx = &out->tx[out->n++];
	tx->seq = seq;
	tx->len = len;
	tx->flags = flags;
}

/* Tell a peer that still listens that the connection is gone (the caller counts why). */
static inline void emit_rst(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_tcp_out *out)
{
	emit(out, t->snd_nxt, 0, TT_TCP_RST | TT_TCP_ACK);
	count(ctx, TT_CTR_RST_SENT);
}

/* Addresses of a segment we send on flow f (f names the peer as source). */
static inline void reply_addrs(struct tt_tcp_hdr_args *a, const struct tt_flow4 *f,
			       const struct tt_mac *peer_mac)
{
	a->dst_mac = *peer_mac;
	a->saddr = f->daddr;
	a->daddr = f->saddr;
	a->sport = f->dport;
	a->dport = f->sport;
}

/* A new connection's segment size (set, with its flags) lowered to the path MTU that an earlier
 * connection to the same peer learned, while one is kept (tt_pmtu_cache.h; ctx->pmtu not
 * NULL). */
void tt_tcp_path_mtu_cached(struct tt_tcp_ctx *ctx, struct tt_tcb *t);

/* The same, at the cost of one compare while no path MTU is kept at all. */
static inline void start_at_path_mtu(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	if (unlikely(ctx->pmtu != NULL && ctx->now_ms < ctx->pmtu->until_ms))
		tt_tcp_path_mtu_cached(ctx, t);
}

/*
 * Payload bytes per segment: the peer's MSS raised to the configured floor
 * (a peer asking for tiny segments would multiply our packet rate;
 * CVE-2019-11479), capped by ours, less the options we always send
 * (RFC 6691).  The floor (>= 48) keeps the result above zero.
 */
static inline uint16_t effective_mss(const struct tt_tcp_ctx *ctx, uint16_t peer_mss, bool ts)
{
	const struct tt_conf_tcp *c = ctx->conf;
	uint16_t m = peer_mss < c->min_peer_mss ? c->min_peer_mss : peer_mss;

	if (m > tt_tcp_our_mss(ctx))
		m = tt_tcp_our_mss(ctx);
	return (uint16_t)(ts ? m - TT_TCP_TS_OPT_LEN : m);
}

/*
 * What a connection of app can take while its queue holds held bytes and has extents free: the
 * configured window less what is held, and for an application that keeps received segments,
 * one free extent a segment of mss.
 */
static inline uint32_t app_room(const struct tt_tcp_ctx *ctx, uint8_t app, uint32_t held,
				uint32_t extents, uint16_t mss)
{
	uint32_t cfg = ctx->conf->rcv_window;
	uint32_t space = cfg > held ? cfg - held : 0;

	if (ctx->apps[app]->holds_rx)
		space = min_u32(space, extents * (uint32_t)mss);
	return space;
}

/* Fast recovery (NewReno or SACK) is under way: DupThresh duplicate ACKs were seen. */
/* The ISNs' clock, in microseconds (tt_isn.h). */
static inline uint64_t tt_tcp_isn_clock_us(const struct tt_tcp_ctx *ctx)
{
	return ctx->now_ms * 1000 + ctx->now_us_part;
}

static inline bool tt_tcp_in_recovery(const struct tt_tcb *t)
{
	return t->dupacks >= TT_SACK_DUP_THRESH;
}

/* ---- SACK (tt_tcp_sack.c) ---- */

/* tt_tcp_sack_reneged on a connection with a scoreboard. */
bool tt_tcp_sack_trim_sb(struct tt_tcp_ctx *ctx, struct tt_tcb *t);

/* SND.UNA moved: forget what the scoreboard holds below it; true when SND.UNA is a byte the
 * peer reported holding, so it discarded what it SACKed (reneged, RFC 2018 8): the scoreboard
 * is emptied (HighRxt kept) and counted (sack_reneged), the caller meets the loss. */
static inline bool tt_tcp_sack_reneged(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	return t->sack != TT_TCB_NO_BLOCK && tt_tcp_sack_trim_sb(ctx, t);
}

/* tt_tcp_sack_update on a connection with a scoreboard or an ACK with SACK blocks. */
bool tt_tcp_sack_update_sb(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg);

/* An acceptable ACK moved SND.UNA (or not): take its SACK blocks into the scoreboard; true
 * when they SACKed bytes not SACKed before.  Most ACKs (no scoreboard, no blocks: every
 * keep-alive request's) cost two tests and no call. */
static inline bool tt_tcp_sack_update(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
				      const struct tt_tcp_seg *seg)
{
	if (t->sack == TT_TCB_NO_BLOCK && !(seg->opts.present & TT_OPT_SACK))
		return false;
	return tt_tcp_sack_update_sb(ctx, t, seg);
}
/* After an ACK: give the scoreboard back when nothing SACKed is left outside recovery. */
void tt_tcp_sack_settle(struct tt_tcp_ctx *ctx, struct tt_tcb *t);
/* A duplicate ACK (counted in dupacks; recovering: recovery was under way before it) on a
 * connection with a scoreboard. */
void tt_tcp_sack_dup_ack(struct tt_tcp_ctx *ctx, struct tt_tcb *t, bool recovering,
			 struct tt_tcp_out *out);
/* A partial ACK in recovery; false: no scoreboard, NewReno decides. */
bool tt_tcp_sack_partial_ack(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_tcp_out *out);
/* In SACK recovery: the new data cwnd - pipe allows. */
uint32_t tt_tcp_sack_room(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t);
/* tt_tcp_sack_skip resending below SND.MAX on a connection with a scoreboard. */
uint32_t tt_tcp_sack_skip_sb(const struct tt_tcp_ctx *ctx, struct tt_tcb *t);

/* Resending below SND.MAX (after a timeout): SND.NXT steps over SACKed bytes; returns how
 * many may go before the next SACKed byte (UINT32_MAX: no limit).  Sending new data, or
 * with no scoreboard, costs two tests and no call (each data segment asks). */
static inline uint32_t tt_tcp_sack_skip(const struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	if (t->sack == TT_TCB_NO_BLOCK || !seq_lt(t->snd_nxt, t->snd_max))
		return UINT32_MAX;
	return tt_tcp_sack_skip_sb(ctx, t);
}
/* Limited Transmit (RFC 3042): bytes beyond cwnd the duplicate ACKs so far allow. */
static inline uint32_t tt_tcp_sack_limited(const struct tt_tcb *t)
{
	if (t->sack == TT_TCB_NO_BLOCK || tt_tcp_in_recovery(t))
		return 0;
	return min_u32(t->dupacks, TT_SACK_DUP_THRESH - 1) * (uint32_t)t->mss;
}
/* Retransmission timeout: RecoveryPoint = SND.MAX, the scoreboard kept (HighRxt = SND.UNA). */
void tt_tcp_sack_timeout(struct tt_tcp_ctx *ctx, struct tt_tcb *t);
void tt_tcp_sack_release(struct tt_tcp_ctx *ctx, struct tt_tcb *t);
/* tt_tcp_sack_reserve and tt_tcp_sack_blocks on a SACK connection holding out-of-order data. */
uint32_t tt_tcp_sack_reserve_ooo(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t);
void tt_tcp_sack_blocks_ooo(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t,
			    const struct tt_tcp_tx *tx, struct tt_tcp_hdr_args *a);

/* Blocks may be owed only on a SACK connection holding out-of-order data: every other segment
 * (each keep-alive response) pays two tests for the SACK option and no call. */
static inline bool tt_tcp_sack_may_owe(const struct tt_tcb *t)
{
	return (t->flags & TT_TCB_SACK) && t->ooo != TT_TCB_NO_BLOCK;
}
/* Payload bytes a data segment leaves for the SACK blocks we owe. */
static inline uint32_t tt_tcp_sack_reserve(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	return tt_tcp_sack_may_owe(t) ? tt_tcp_sack_reserve_ooo(ctx, t) : 0;
}
/* Put the SACK blocks we owe into the options of segment tx, as many as fit. */
static inline void tt_tcp_sack_blocks(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t,
				      const struct tt_tcp_tx *tx, struct tt_tcp_hdr_args *a)
{
	if (tt_tcp_sack_may_owe(t))
		tt_tcp_sack_blocks_ooo(ctx, t, tx, a);
}

/* Give the send block back when nothing is queued and nothing is in flight. */
void tt_tcp_sndb_settle(struct tt_tcp_ctx *ctx, struct tt_tcb *t);

/*
 * The persist bound (RFC 1122 4.2.2.17, and the silly window of RFC 9293 3.8.6.2.1): a peer
 * whose window keeps our queued data back, below a segment and below what is queued (shut
 * included), must take a segment's worth of it within tcp.persist_timeout_ms of when its
 * window first did so, or the connection is reset.  Answering zero-window probes, opening
 * its window without taking what it lets through, or taking a byte at a time through a window
 * of one byte is no progress: each would hold the connection and its send block forever.  So
 * is taking less than a segment at a time through a wide window (new_ack starts the clock
 * then).  The clock starts here, at SND.UNA, unless it runs (t holds a send block);
 * tt_tcp_persist_progress stops it, persist_bound (tt_tcp_output.c) reads it.
 */
static inline void tt_tcp_persist_start(const struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct tt_sndb *b = tt_tcp_sndb(ctx, t);

	if (b->persist_since_ms != 0)
		return;
	b->persist_since_ms = ms_stamp(ctx->now_ms);
	b->persist_una = t->snd_una;
}

/* SND.UNA moved: a segment's worth taken since the persist bound's clock started
 * (tt_tcp_persist_start), or every queued byte (a FIN may still be in flight), stops it. */
static inline void tt_tcp_persist_progress(const struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct tt_sndb *b = tt_tcp_sndb(ctx, t);

	if (b != NULL && b->persist_since_ms != 0 &&
	    (t->snd_una - b->persist_una >= t->mss || b->q.bytes == 0))
		b->persist_since_ms = 0;
}

/* RFC 6582 / RFC 6675 RecoveryPoint: SND.UNA without a send block (nothing to recover). */
static inline uint32_t recovery_point(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	const struct tt_sndb *b = tt_tcp_sndb(ctx, t);

	return b != NULL ? b->recover : t->snd_una;
}

/* Set RecoveryPoint; without a send block there are no queued bytes to recover. */
static inline void set_recovery_point(const struct tt_tcp_ctx *ctx, struct tt_tcb *t, uint32_t seq)
{
	struct tt_sndb *b = tt_tcp_sndb(ctx, t);

	if (b != NULL)
		b->recover = seq;
}

/* Whether duplicate ACKs may start a recovery: data is queued and SND.UNA is not below the
 * RecoveryPoint of the last recovery or timeout (RFC 6582 3.2 step 2, RFC 6675 5.1). */
static inline bool may_enter_recovery(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	return tt_tcp_queued(ctx, t) > 0 && seq_geq(t->snd_una, recovery_point(ctx, t));
}

/* Loss (RFC 5681 3.1 eq. 4, 3.2 step 2): ssthresh = max(FlightSize / 2, 2 SMSS), cwnd
 * from there.  Congestion state is the send block's: without one only a FIN can be in
 * flight, and cwnd never holds a FIN back. */
static inline void cwnd_halve(const struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct tt_sndb *b = tt_tcp_sndb(ctx, t);

	if (b == NULL)
		return;
	b->ssthresh = max_u32((t->snd_max - t->snd_una) / 2, 2u * t->mss);
	b->cwnd = b->ssthresh;
}

/* A loss found by a retransmission timeout or a peer that reneged (RFC 5681 3.1): ssthresh as
 * cwnd_halve sets it, a loss window of one segment, sending back at SND.UNA, and no RTT sample
 * from a segment that may now go twice (Karn). */
static inline void loss_window(const struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	cwnd_halve(ctx, t);
	if (tt_tcp_sndb(ctx, t) != NULL)
		tt_tcp_sndb(ctx, t)->cwnd = t->mss;
	t->snd_nxt = t->snd_una;
	t->dupacks = 0;
	t->flags &= (uint8_t)~TT_TCB_RTT_TIMING;
}

/* RFC 6928: IW = min(10 * MSS, max(2 * MSS, 14600)) for 10 segments; here N segments and
 * N * 1460 bytes, so a jumbo MSS does not send N times its size at once. */
static inline uint32_t tt_tcp_initial_window(const struct tt_conf_tcp *c, uint16_t mss)
{
	uint32_t n = c->initial_cwnd_segments, bytes = n * 1460u;

	return min_u32(n * mss, max_u32(2u * mss, bytes));
}

/* t as a new connection (CLOSED) of app on flow f whose timestamp offset is ts_offset. */
void tt_tcp_init_common(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_flow4 *f,
			uint8_t app, uint32_t ts_offset);
/* The same with the flow's tt_isn_flow_hash for its timestamp offset; returns the hash, whose
 * other half is the ISN's offset (tt_isn_at). */
uint64_t tt_tcp_init_hashed(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_flow4 *f,
			    uint8_t app);
void tt_tcp_established(struct tt_tcp_ctx *ctx, struct tt_tcb *t);
/* Release the out-of-order segments a connection holds (t->ooo is a block: the callers test it,
 * not a call per connection); returns how many there were. */
unsigned tt_tcp_ooo_flush(struct tt_tcp_ctx *ctx, struct tt_tcb *t);
enum tt_tcp_verdict tt_tcp_input_syn_sent(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
					  const struct tt_tcp_seg *seg, struct tt_tcp_out *out);

#endif
