/*
 * SACK in both directions (RFC 2018) and SACK-based loss recovery (RFC 6675).
 *
 * Receiving: while the reassembly queue holds data beyond a hole, every
 * ACK we send carries blocks for it (tt_ooo_sack_blocks: the newest first),
 * as many as fit beside the timestamps in 40 option bytes and in the MSS
 * beside the segment's payload; data segments leave room for them.
 *
 * Sending: the peer's blocks, each checked against [SND.UNA, SND.MAX],
 * fill the connection's scoreboard (tt_sack.h), taken from the worker's
 * pool at the first valid block and given back once the cumulative ACK
 * covers every SACKed byte outside recovery.  Recovery starts at DupThresh
 * duplicate ACKs or as soon as IsLost(SND.UNA); RecoveryPoint is `recover`;
 * on every ACK of the recovery segments go out while cwnd - pipe allows a
 * full one: lost holes first (NextSeg rule 1), then new data (rule 2, by
 * tt_tcp_output with the same allowance), then holes not yet known lost
 * (rule 3).  Before DupThresh, each duplicate lets one new segment beyond
 * cwnd go (Limited Transmit, RFC 3042, as RFC 6675 5 (3) allows).  A
 * timeout sets RecoveryPoint to SND.MAX and no new recovery starts below it
 * (RFC 6675 5.1); the scoreboard is kept, as Linux keeps it, and the
 * go-back-N resending steps over what it and the blocks that follow SACK:
 * a receiver reports 3 or 4 blocks per ACK, so one that holds more ranges
 * would otherwise be sent again what it already has.  RFC 2018 lets a
 * receiver discard what it SACKed (reneging): a cumulative ACK that stops at
 * or inside a SACKed range says it did: the scoreboard is emptied then
 * (sack_reneged, HighRxt kept) and, when that ACK took a whole segment,
 * sending goes back to SND.UNA, so those bytes go again; a renege of
 * fewer bytes is not met as a loss (a peer reneging a byte at a time must
 * not draw a segment out for each): the retransmission timer resends them,
 * or a recovery's partial ACK once SND.UNA passes HighRxt.  A peer that did
 * not agree to SACK, or a worker out of scoreboards, gets NewReno.
 */
#include "tt_tcp_priv.h"

static struct tt_sack_sb *sb_of(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	return tt_pool_at(ctx->sack_pool, t->sack);
}

void tt_tcp_sack_release(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	if (t->sack == TT_TCB_NO_BLOCK)
		return;
	tt_pool_put(ctx->sack_pool, t->sack);
	t->sack = TT_TCB_NO_BLOCK;
}

/* Inside [SND.UNA, SND.MAX], and not starting at the segment's own ACK: a block there says the
 * peer holds the byte its cumulative ACK says it lacks (kept, it would read as a renege at the
 * next ACK). */
static bool block_valid(const struct tt_tcb *t, const struct tt_tcp_seg *seg,
			const struct tt_sack_block *b)
{
	return b->start != seg->ack && tt_sack_block_in(b->start, b->end, t->snd_una, t->snd_max);
}

/* The scoreboard, taken from the pool at the first block worth keeping; NULL: none. */
static struct tt_sack_sb *sb_get(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	uint32_t idx;

	if (t->sack != TT_TCB_NO_BLOCK)
		return sb_of(ctx, t);
	idx = tt_pool_get(ctx->sack_pool);
	if (idx == TT_POOL_NONE) {
		count(ctx, TT_CTR_SACK_NO_SCOREBOARD);
		return NULL;
	}
	t->sack = (uint16_t)idx;
	tt_sack_sb_init(sb_of(ctx, t), t->snd_una);
	/* Taken in the middle of a NewReno recovery (the pool had none when it began): what NewReno
	 * sent again, the first segment (resend_first), counts as sent again, or the holes would
	 * begin with it a third time. */
	if (tt_tcp_in_recovery(t))
		sb_of(ctx, t)->high_rxt =
		    t->snd_una +
		    min_u32(min_u32(t->mss, tt_tcp_queued(ctx, t)), t->snd_max - t->snd_una);
	return sb_of(ctx, t);
}

bool tt_tcp_sack_trim_sb(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct tt_sack_sb *sb = sb_of(ctx, t);

	tt_sack_sb_trim(sb, t->snd_una);
	if (sb->n == 0 || sb->r[0].start != t->snd_una)
		return false;
	count(ctx, TT_CTR_SACK_RENEGED);
	/* Emptied, HighRxt kept: what this recovery sent again stays sent, or a partial ACK
	 * would send SND.UNA's segment again for every byte a reneging peer ACKs. */
	sb->n = 0;
	return true;
}

bool tt_tcp_sack_update_sb(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_seg *seg)
{
	const struct tt_tcp_opts *o = &seg->opts;
	struct tt_sack_sb *sb = NULL;
	uint32_t ignored = 0, before = 0;
	bool no_sb = false; /* the pool had none: the valid blocks go unused, counted once */

	if (t->sack != TT_TCB_NO_BLOCK) {
		sb = sb_of(ctx, t);
		before = tt_sack_sb_bytes(sb);
	}
	if (!(o->present & TT_OPT_SACK))
		return false;
	ctx->ctr->ev[TT_CTR_SACK_BLOCKS_RX] += o->sack_n;
	for (uint8_t i = 0; i < o->sack_n; i++) {
		const struct tt_sack_block *b = &o->sack[i];

		if (!(t->flags & TT_TCB_SACK) || ctx->sack_pool == NULL ||
		    !block_valid(t, seg, b)) {
			ignored++;
			continue;
		}
		if (no_sb || (sb == NULL && (sb = sb_get(ctx, t)) == NULL)) {
			no_sb = true;
			continue;
		}
		tt_sack_sb_add(sb, b->start, b->end, t->snd_una, t->snd_max);
	}
	ctx->ctr->ev[TT_CTR_SACK_BLOCKS_IGNORED] += ignored;
	return sb != NULL && tt_sack_sb_bytes(sb) > before;
}

void tt_tcp_sack_settle(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	if (t->sack != TT_TCB_NO_BLOCK && !tt_tcp_in_recovery(t) && sb_of(ctx, t)->n == 0)
		tt_tcp_sack_release(ctx, t);
}

/* Send [seq, seq + len) again, cut to the queued data and to what was sent (SND.MAX); returns
 * the bytes sent. */
static uint32_t resend(struct tt_tcp_ctx *ctx, struct tt_tcb *t, uint32_t seq, uint32_t len,
		       struct tt_tcp_out *out)
{
	uint32_t off = seq - t->snd_una;
	uint32_t queued = tt_tcp_queued(ctx, t);
	uint32_t sent = min_u32(queued, t->snd_max - t->snd_una);
	uint8_t flags = TT_TCP_ACK;

	if (off >= sent || out->n == TT_TCP_OUT_MAX)
		return 0;
	len = min_u32(len, sent - off);
	/* The last queued byte went with our FIN: the FIN goes again with it. */
	if (off + len == queued)
		flags |= TT_TCP_PSH | ((t->flags & TT_TCB_FIN_SENT) ? TT_TCP_FIN : 0);
	emit(out, seq, len, flags);
	count(ctx, TT_CTR_SACK_RETRANSMITS);
	resent(ctx, t, len);
	return len;
}

/* NextSeg rule 2 applies: unsent data that tt_tcp_output sends now, the peer's window taking a
 * whole segment of it (less the SACK blocks we owe, as send_data cuts it) or all that is left.
 * A smaller piece waits while data is in flight (sender silly-window avoidance), and rule 3
 * does not wait for it. */
static bool new_data_due(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	uint32_t off = t->snd_nxt - t->snd_una;
	uint32_t queued = tt_tcp_queued(ctx, t);
	uint32_t mss = t->mss - tt_tcp_sack_reserve(ctx, t);

	return off < queued && off < t->snd_wnd && t->snd_wnd - off >= min_u32(mss, queued - off);
}

/* RFC 6675 5 (C): segments while cwnd - pipe >= 1 SMSS; returns how many went. */
static unsigned send_holes(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_sack_sb *sb,
			   struct tt_tcp_out *out)
{
	uint32_t pipe = tt_sack_sb_pipe(sb, t->snd_una, t->snd_max, t->mss);
	const struct tt_sndb *b = tt_tcp_sndb(ctx, t);
	uint32_t cwnd = b != NULL ? b->cwnd : 0;
	unsigned sent = 0;

	while (cwnd > pipe && cwnd - pipe >= t->mss) {
		struct tt_sack_seg s = tt_sack_sb_next(sb, t->snd_una, t->mss, true);

		if (s.len == 0 && new_data_due(ctx, t))
			break;
		if (s.len == 0)
			s = tt_sack_sb_next(sb, t->snd_una, t->mss, false);
		if (s.len == 0 || (s.len = resend(ctx, t, s.seq, s.len, out)) == 0)
			break;
		sb->high_rxt = s.seq + s.len;
		pipe += s.len;
		sent++;
	}
	return sent;
}

/* RFC 6675 5 (4): RecoveryPoint, halve the window, resend from SND.UNA, then what fits. */
static void enter_recovery(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_sack_sb *sb,
			   struct tt_tcp_out *out)
{
	struct tt_sack_seg first;
	uint32_t sent;

	count(ctx, TT_CTR_SACK_RECOVERIES);
	t->dupacks = max_u32(t->dupacks, TT_SACK_DUP_THRESH);
	cwnd_halve(ctx, t);
	set_recovery_point(ctx, t, t->snd_max);
	sb->high_rxt = t->snd_una;
	first = tt_sack_sb_next(sb, t->snd_una, t->mss, false);
	if (first.len == 0)
		first = (struct tt_sack_seg){.seq = t->snd_una, .len = t->mss};
	sent = resend(ctx, t, first.seq, first.len, out);
	if (sent > 0)
		sb->high_rxt = first.seq + sent;
	send_holes(ctx, t, sb, out);
}

void tt_tcp_sack_dup_ack(struct tt_tcp_ctx *ctx, struct tt_tcb *t, bool recovering,
			 struct tt_tcp_out *out)
{
	struct tt_sack_sb *sb = sb_of(ctx, t);

	if (recovering) {
		send_holes(ctx, t, sb, out);
		return;
	}
	if (may_enter_recovery(ctx, t) &&
	    (t->dupacks >= TT_SACK_DUP_THRESH || tt_sack_sb_lost(sb, t->snd_una, t->mss))) {
		enter_recovery(ctx, t, sb, out);
		return;
	}
	/* DupThresh duplicates are recovery: without one, the count stays below it. */
	if (t->dupacks >= TT_SACK_DUP_THRESH)
		t->dupacks = TT_SACK_DUP_THRESH - 1;
}

bool tt_tcp_sack_partial_ack(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_tcp_out *out)
{
	struct tt_sack_sb *sb;
	uint32_t sent;

	if (t->sack == TT_TCB_NO_BLOCK)
		return false;
	sb = sb_of(ctx, t);
	if (send_holes(ctx, t, sb, out) > 0 || sb->n > 0 || seq_gt(sb->high_rxt, t->snd_una))
		return true;
	/* No SACK information left: the bytes at SND.UNA are what the ACK says is missing. */
	sent = resend(ctx, t, t->snd_una, t->mss, out);
	if (sent > 0)
		sb->high_rxt = t->snd_una + sent;
	return true;
}

uint32_t tt_tcp_sack_room(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	uint32_t pipe = tt_sack_sb_pipe(sb_of(ctx, t), t->snd_una, t->snd_max, t->mss);
	const struct tt_sndb *b = tt_tcp_sndb(ctx, t);
	uint32_t cwnd = b != NULL ? b->cwnd : 0;

	return cwnd > pipe ? cwnd - pipe : 0;
}

uint32_t tt_tcp_sack_skip_sb(const struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	const struct tt_sack_sb *sb = sb_of(ctx, t);
	uint32_t data_end = t->snd_una + tt_tcp_queued(ctx, t);

	for (uint32_t k = 0; k < sb->n; k++) {
		if (seq_lt(t->snd_nxt, sb->r[k].start))
			return sb->r[k].start - t->snd_nxt;
		if (seq_lt(t->snd_nxt, sb->r[k].end))
			t->snd_nxt = seq_lt(sb->r[k].end, data_end) ? sb->r[k].end : data_end;
	}
	return UINT32_MAX;
}

void tt_tcp_sack_timeout(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	if (t->sack != TT_TCB_NO_BLOCK)
		sb_of(ctx, t)->high_rxt = t->snd_una;
	set_recovery_point(ctx, t, t->snd_max);
}

/* Blocks we report now, at most: none unless SACK was agreed and data waits behind a hole. */
static uint8_t blocks_owed(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	if (!(t->flags & TT_TCB_SACK) || t->ooo == TT_TCB_NO_BLOCK || (t->flags & TT_TCB_FIN_RCVD))
		return 0;
	return (uint8_t)min_u32(((struct tt_ooo *)tt_pool_at(ctx->ooo_pool, t->ooo))->n,
				(t->flags & TT_TCB_TS) ? TT_SACK_MAX_BLOCKS_TS
						       : TT_SACK_MAX_BLOCKS);
}

static uint32_t opt_bytes(uint32_t blocks)
{
	return blocks ? TT_SACK_OPT_LEN + TT_SACK_BLOCK_LEN * blocks : 0;
}

uint32_t tt_tcp_sack_reserve_ooo(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	uint32_t r = opt_bytes(blocks_owed(ctx, t));

	/* A peer MSS this small cannot take the blocks beside data: pure ACKs carry them. */
	return t->mss >= 2 * r ? r : 0;
}

void tt_tcp_sack_blocks_ooo(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t,
			    const struct tt_tcp_tx *tx, struct tt_tcp_hdr_args *a)
{
	uint32_t n = blocks_owed(ctx, t);
	uint32_t room = t->mss > tx->len ? t->mss - tx->len : 0;

	if (n == 0 || !(tx->flags & TT_TCP_ACK) || (tx->flags & (TT_TCP_SYN | TT_TCP_RST)))
		return;
	/* The blocks and the payload stay within the MSS (RFC 6691): t->mss is what is left
	 * of it beside the timestamps. */
	while (n > 0 && opt_bytes(n) > room)
		n--;
	if (n == 0)
		return;
	a->opts.sack_n =
	    tt_ooo_sack_blocks(tt_pool_at(ctx->ooo_pool, t->ooo), a->opts.sack, (uint8_t)n);
	if (a->opts.sack_n == 0)
		return;
	a->opts.present |= TT_OPT_SACK;
	ctx->ctr->ev[TT_CTR_SACK_BLOCKS_SENT] += a->opts.sack_n;
}
