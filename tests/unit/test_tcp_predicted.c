/*
 * The fast paths against the general ones: header prediction (tt_tcp_input.c: predicted,
 * input_predicted) against every step of input (input_general), and one segment sent at once
 * (tt_tcp_output.c: one_segment, send_one) against the send loop (send_segments).  Two
 * harnesses go through the same random conversations, one peer segment or application send
 * at a time; wherever a fast path may take it, one harness goes that way and the other the
 * general way, and the two must then agree on everything: the TCB, the segments sent (headers
 * and payload), the counters, what the application got and kept, the send block.  Everywhere
 * else both take the segment through tt_tcp_input.  The conversations mix
 * HTTP (responses of one and of many segments), echo (which keeps what it got until the peer
 * ACKs its echo, its window shutting meanwhile) and an application that takes only part of
 * what comes, peers with and without timestamps, windows that shut and open, ACKs of part of
 * what was sent, SACK blocks and three duplicate ACKs (recovery), sequence numbers that wrap
 * past 2^32 on both sides, segments out of order, old and repeated, a timestamp PAWS refuses,
 * delayed ACKs, timer expiries and a FIN (the conversation goes on through the closing states),
 * and sends that find segments already queued before them, up to a full list.  A conversation
 * opens with the handshake's ACK alone or with the peer's first bytes on it, which prediction
 * takes as soon as SYN-RECEIVED or a SYN cookie has established the connection.
 *
 * The paths are the files' own (included below): the test runs them as they are built, not a
 * copy of them.
 */
#include "splitmix.h"
#include "tcp_harness.h"
#include "tt_ooo.h"
#include "tt_sack.h"

#include "tt_tcp_input.c"
#include "tt_tcp_output.c"

enum {
	CONVERSATIONS = 2000,
	STEPS = 160,
	REQ_COPIES = 100,
	MAX_SEG = 700,
};

static const char request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
static uint8_t stream[REQ_COPIES * (sizeof(request) - 1)];

static uint32_t below(uint64_t *s, uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(splitmix64(s) % n);
}

/* The peer's first sequence number in the conversation under way. */
static uint32_t peer_isn;

/*
 * One of a pair, before its connection opens (pair_open): the peer with timestamps or none, an
 * HTTP body of body bytes; wrap > 0: both sides' first sequence numbers that many bytes below
 * 2^32 (ours set as a TIME-WAIT reuse sets it; a cookie's is the cookie), so that the
 * conversation crosses the wrap.
 */
static struct harness *pair_new(bool ts, uint32_t body, uint32_t wrap)
{
	struct harness *h = h_new();

	h->ctx.ooo_pool = tt_pool_create(4, sizeof(struct tt_ooo));
	h->ctx.sack_pool = tt_pool_create(2, sizeof(struct tt_sack_sb));
	assert_non_null(h->ctx.ooo_pool);
	assert_non_null(h->ctx.sack_pool);
	if (!ts)
		h_peer_plain(h, 1460);
	h_http_body(h, body);
	peer_isn = H_PEER_ISN;
	if (wrap > 0) {
		peer_isn = 0u - wrap;
		h->peer.nxt = peer_isn;
		h->ctx.tw_reuse = true;
		h->ctx.tw_isn = 0u - wrap;
	}
	return h;
}

static void pair_free(struct harness *h)
{
	struct tt_pool *ooo = h->ctx.ooo_pool, *sack = h->ctx.sack_pool;

	h_free(h);
	tt_pool_free(ooo);
	tt_pool_free(sack);
}

/* The peer's bytes from seq on: the stream, which repeats (len never crosses its end). */
static const uint8_t *peer_bytes(uint32_t seq, uint32_t *len)
{
	uint32_t off = (seq - (peer_isn + 1)) % sizeof(stream);

	if (*len > sizeof(stream) - off)
		*len = (uint32_t)sizeof(stream) - off;
	return stream + off;
}

typedef enum tt_tcp_verdict (*input_fn)(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
					const struct tt_tcp_seg *seg, void *owner,
					struct tt_tcp_out *out);

/* h_rx for a live connection, by fn instead of tt_tcp_input (which clears seg_charged first). */
static void rx_by(struct harness *h, const struct tt_tcp_seg *seg, input_fn fn)
{
	struct tt_tcp_out out = {.n = 0};
	enum tt_tcp_verdict v;

	h->n_tx = 0;
	h->scratch.refs++;
	h->ctx.seg_charged = false;
	v = fn(&h->ctx, &h->tcb, seg, &h->scratch, &out);
	h_capture(h, &out);
	h_apply(h, v);
	h->scratch.refs--;
}

static void same_tx(const struct h_tx *x, const struct h_tx *y)
{
	assert_int_equal(x->a.seq, y->a.seq);
	assert_int_equal(x->a.ack, y->a.ack);
	assert_int_equal(x->a.flags, y->a.flags);
	assert_int_equal(x->a.wnd, y->a.wnd);
	assert_int_equal(x->a.opts.present, y->a.opts.present);
	if (x->a.opts.present & TT_OPT_TS) {
		assert_int_equal(x->a.opts.tsval, y->a.opts.tsval);
		assert_int_equal(x->a.opts.tsecr, y->a.opts.tsecr);
	}
	if (x->a.opts.present & TT_OPT_SACK) {
		assert_int_equal(x->a.opts.sack_n, y->a.opts.sack_n);
		assert_memory_equal(x->a.opts.sack, y->a.opts.sack,
				    x->a.opts.sack_n * sizeof(x->a.opts.sack[0]));
	}
	assert_int_equal(x->len, y->len);
	assert_memory_equal(x->data, y->data, x->len);
}

/* Everything either input path may touch, the same in both. */
static void same_state(struct harness *a, struct harness *b)
{
	assert_int_equal(a->tcb_live, b->tcb_live);
	assert_int_equal(a->tw_live, b->tw_live);
	assert_int_equal(a->v, b->v);
	assert_int_equal(a->n_tx, b->n_tx);
	for (unsigned i = 0; i < a->n_tx; i++)
		same_tx(&a->tx[i], &b->tx[i]);
	assert_memory_equal(&a->ctr, &b->ctr, sizeof(a->ctr));
	assert_memory_equal(&a->peer, &b->peer, sizeof(a->peer));
	assert_int_equal(a->ctx.held, b->ctx.held);
	assert_int_equal(a->app.rx_len, b->app.rx_len);
	assert_memory_equal(a->app.rx, b->app.rx, a->app.rx_len);
	assert_int_equal(a->app.accept, b->app.accept);
	assert_int_equal(a->scratch.retains, b->scratch.retains);
	assert_int_equal(a->scratch.releases, b->scratch.releases);
	if (!a->tcb_live)
		return;
	assert_memory_equal(&a->tcb, &b->tcb, sizeof(a->tcb));
	if (a->tcb.sndb != TT_SNDB_NONE) {
		const struct tt_sndb *x = tt_tcp_sndb(&a->ctx, &a->tcb),
				     *y = tt_tcp_sndb(&b->ctx, &b->tcb);

		assert_int_equal(x->q.bytes, y->q.bytes);
		assert_int_equal(x->q.held_bytes, y->q.held_bytes);
		assert_int_equal(x->q.head_off, y->q.head_off);
		assert_int_equal(x->q.head, y->q.head);
		assert_int_equal(x->q.count, y->q.count);
		assert_int_equal(x->recover, y->recover);
		assert_int_equal(x->persist_since_ms, y->persist_since_ms);
		/* (A block's fields hold what its last user left until they are set.) */
		if (x->persist_since_ms != 0)
			assert_int_equal(x->persist_una, y->persist_una);
		if (a->tcb.flags & TT_TCB_RTT_TIMING) {
			assert_int_equal(x->rtt_seq, y->rtt_seq);
			assert_int_equal(x->rtt_start_ms, y->rtt_start_ms);
		}
		assert_int_equal(x->cwnd, y->cwnd);
		assert_int_equal(x->ssthresh, y->ssthresh);
	}
	if (a->tcb.app_block != TT_TCB_NO_APP_BLOCK)
		assert_memory_equal(tt_pool_at(a->ctx.app_pool, a->tcb.app_block),
				    tt_pool_at(b->ctx.app_pool, b->tcb.app_block),
				    TT_TCP_APP_BLOCK_BYTES);
}

/* How a pair's connection opens. */
enum opening {
	OPEN_PLAIN,	   /* the handshake's ACK alone, in SYN-RECEIVED */
	OPEN_SYN_RECEIVED, /* that ACK with the peer's first bytes */
	OPEN_COOKIE,	   /* that ACK with the peer's first bytes, to a SYN cookie */
};

/*
 * The peer opens app's connection in both.  Where the handshake's ACK carries bytes, it reaches
 * prediction in a (the connection is established by then, by the SYN-RECEIVED step or the
 * cookie) and the general path in b, whose copy carries an empty SACK option: one that input
 * reads as nothing and that prediction declines.  The two must then agree.
 */
static void pair_open(struct harness *a, struct harness *b, uint8_t app, enum opening how,
		      uint32_t len)
{
	struct harness *hs[2] = {a, b};

	for (int i = 0; i < 2 && how == OPEN_PLAIN; i++)
		h_connect(hs[i], app);
	for (int i = 0; i < 2 && how != OPEN_PLAIN; i++) {
		const uint8_t *data;
		struct tt_tcp_seg s;

		hs[i]->listen_app = app;
		if (how == OPEN_COOKIE) {
			/* (A SYN that reuses a TIME-WAIT's 4-tuple gets no cookie.) */
			hs[i]->conf.syncookies = TT_SYNCOOKIES_ALWAYS;
			hs[i]->ctx.tw_reuse = false;
		}
		h_send(hs[i], TT_TCP_SYN, NULL, 0);
		assert_int_equal(hs[i]->lv,
				 how == OPEN_COOKIE ? TT_L_SYNACK_COOKIE : TT_L_NEW_SYN_RECV);
		hs[i]->peer.ack = hs[i]->peer.rcv_max;
		data = peer_bytes(hs[i]->peer.nxt, &len);
		s = h_seg(hs[i], TT_TCP_ACK | TT_TCP_PSH, data, len);
		if (i == 1)
			s.opts.present |= TT_OPT_SACK;
		h_peer_sent(hs[i], &s);
		h_rx(hs[i], &s, &hs[i]->scratch);
		assert_true(hs[i]->tcb_live);
	}
	for (int i = 0; i < 2; i++)
		hs[i]->ctx.tw_reuse = false;
	same_state(a, b);
}

/*
 * The peer's next segment in both: from sequence number seq  (its next one, or not), len bytes
 * of the stream, with one SACK block [sack_from, its rcv_max) when sack_from is not 0.
 * Returns whether prediction took it.
 */
static bool both_take(struct harness *a, struct harness *b, uint8_t flags, uint32_t seq,
		      uint32_t len, uint32_t sack_from)
{
	struct harness *hs[2] = {a, b};
	struct tt_tcp_seg s[2];
	bool taken;

	for (int i = 0; i < 2; i++) {
		const uint8_t *data = peer_bytes(seq, &len);
		uint32_t nxt = hs[i]->peer.nxt;

		s[i] = h_seg(hs[i], flags, data, len);
		s[i].seq = seq;
		if (sack_from != 0) {
			s[i].opts.present |= TT_OPT_SACK;
			s[i].opts.sack_n = 1;
			s[i].opts.sack[0].start = sack_from;
			s[i].opts.sack[0].end = hs[i]->peer.rcv_max;
		}
		h_peer_sent(hs[i], &s[i]);
		/* Only its next segment moves the peer on: one beyond a hole leaves the hole to
		 * the segments that follow, an old one sends nothing new. */
		if (seq != nxt)
			hs[i]->peer.nxt = nxt;
	}
	taken = a->tcb_live && predicted(&a->tcb, &s[0]);
	assert_int_equal(taken, b->tcb_live && predicted(&b->tcb, &s[1]));
	if (taken) {
		rx_by(a, &s[0], input_predicted);
		rx_by(b, &s[1], input_general);
	} else {
		h_rx(a, &s[0], &a->scratch);
		h_rx(b, &s[1], &b->scratch);
	}
	same_state(a, b);
	return taken;
}

/*
 * The application sends len bytes (and closes, when close) outside a callback, in both; one
 * harness then sends by send_data (send_one wherever one_segment allows it), the other by
 * send_segments.  Both begin with queued pure ACKs already in the list of segments to send, as
 * when input asked for one before the send (a full list leaves no room for data).  Returns
 * whether send_one was due.
 */
static bool both_send(struct harness *a, struct harness *b, uint32_t len, bool close,
		      unsigned queued)
{
	struct harness *hs[2] = {a, b};
	struct tt_tcp_out out[2] = {{.n = 0}, {.n = 0}};
	bool one;

	if (!a->tcb_live)
		return false;
	for (int i = 0; i < 2; i++) {
		tt_tcp_send(&hs[i]->ctx, &hs[i]->tcb, stream, len, NULL, 0);
		if (close)
			tt_tcp_close(&hs[i]->tcb);
		hs[i]->n_tx = 0;
		for (unsigned k = 0; k < queued; k++)
			emit(&out[i], hs[i]->tcb.snd_nxt, 0, TT_TCP_ACK);
	}
	one = one_segment(&a->tcb, tt_tcp_sndb(&a->ctx, &a->tcb),
			  a->tcb.mss - tt_tcp_sack_reserve(&a->ctx, &a->tcb), &out[0]);
	send_data(&a->ctx, &a->tcb, &out[0]);
	send_segments(&b->ctx, &b->tcb, tt_tcp_sndb(&b->ctx, &b->tcb),
		      b->tcb.mss - tt_tcp_sack_reserve(&b->ctx, &b->tcb), &out[1]);
	for (int i = 0; i < 2; i++) {
		h_capture(hs[i], &out[i]);
		h_check_gauges(hs[i]);
	}
	same_state(a, b);
	return one;
}

static void fire_due(struct harness *a, struct harness *b)
{
	if (!a->tcb_live || tt_tcp_deadline(&a->ctx, &a->tcb) > a->ctx.now_ms)
		return;
	h_fire_at(a, a->ctx.now_ms);
	h_fire_at(b, b->ctx.now_ms);
	same_state(a, b);
}

static const uint16_t windows[] = {0, 1, 4, 16, 512, 65535};

/* Segments the two ways took: prediction, send_one. */
static unsigned predictions, one_segments;

/* One step of the peer's or the application's, chosen by r; returns whether prediction took a
 * segment. */
static bool step(struct harness *a, struct harness *b, uint64_t *r)
{
	struct harness *hs[2] = {a, b};
	uint32_t nxt = a->peer.nxt, una = a->tcb.snd_una, flight = a->peer.rcv_max - una;
	uint32_t len = 1 + below(r, MAX_SEG), ack = una + below(r, flight + 1);
	uint32_t wnd = windows[below(r, sizeof(windows) / sizeof(windows[0]))];
	uint32_t accept = below(r, 4) == 0 ? below(r, 300) : UINT32_MAX;
	uint64_t now = a->ctx.now_ms + below(r, 4) * below(r, 60);
	uint32_t sizes[3];
	/* Segments already in the list when the application sends: mostly none. */
	static const unsigned queued[] = {0, 0, 0, 1, TT_TCP_OUT_MAX - 1, TT_TCP_OUT_MAX};

	switch (below(r, 18)) {
	case 0: /* the window moves */
		for (int i = 0; i < 2; i++)
			hs[i]->peer.wnd = (uint16_t)wnd;
		return both_take(a, b, TT_TCP_ACK, nxt, 0, 0);
	case 1: /* an ACK of part of what we sent */
		for (int i = 0; i < 2; i++)
			hs[i]->peer.ack = ack;
		return both_take(a, b, TT_TCP_ACK, nxt, 0, 0);
	case 2: /* an ACK of part of what we sent, SACKing from anywhere to the end */
		for (int i = 0; i < 2; i++)
			hs[i]->peer.ack = ack;
		return both_take(a, b, TT_TCP_ACK, nxt, 0, una - 100 + below(r, flight + 200));
	case 3: /* bytes beyond a hole */
		return both_take(a, b, TT_TCP_ACK, nxt + 1 + below(r, 2000), len, 0);
	case 4: /* old bytes again */
		return both_take(a, b, TT_TCP_ACK | TT_TCP_PSH, nxt - below(r, 3000), len, 0);
	case 5: /* a timestamp older than the last one: PAWS */
		for (int i = 0; i < 2; i++)
			hs[i]->peer.tsval -= 5000;
		both_take(a, b, TT_TCP_ACK, nxt, len, 0);
		for (int i = 0; i < 2; i++)
			hs[i]->peer.tsval += 5000;
		return false;
	case 6: /* the application takes less from here on */
		for (int i = 0; i < 2; i++)
			hs[i]->app.accept = accept;
		return false;
	case 7: /* time passes; a timer may fire */
		for (int i = 0; i < 2; i++)
			hs[i]->ctx.now_ms = now;
		fire_due(a, b);
		return false;
	case 8: /* a segment with the flag no prediction takes */
		return below(r, 8) == 0 ? both_take(a, b, TT_TCP_ACK | TT_TCP_FIN, nxt, 0, 0)
					: both_take(a, b, TT_TCP_ACK | TT_TCP_URG, nxt, len, 0);
	case 9: /* a segment of ours lost: three duplicate ACKs at SND.UNA */
		for (int i = 0; i < 2; i++)
			hs[i]->peer.ack = una;
		for (int k = 0; k < 3; k++)
			both_take(a, b, TT_TCP_ACK, nxt, 0, 0);
		return false;
	case 10: /* an ACK of more than we sent */
		ack = a->peer.rcv_max + 1 + below(r, 3);
		for (int i = 0; i < 2; i++)
			hs[i]->peer.ack = ack;
		both_take(a, b, TT_TCP_ACK, nxt, len, 0);
		for (int i = 0; i < 2; i++)
			hs[i]->peer.ack = una;
		return false;
	case 11: /* a segment a little longer than the window left (echo's shuts as it holds) */
		return both_take(a, b, TT_TCP_ACK | TT_TCP_PSH, nxt,
				 rcv_wnd(&a->tcb) + 1 + below(r, 40), 0);
	case 12: /* the application sends (a short piece, about a segment or more), and
		  * sometimes closes */
		sizes[0] = 1 + below(r, 300);
		sizes[1] = a->tcb.mss - 40 + below(r, 80);
		sizes[2] = len * 3;
		one_segments +=
		    both_send(a, b, sizes[below(r, 3)], below(r, 16) == 0, queued[below(r, 6)]);
		return false;
	default: /* the next bytes, ACKing all we sent (or what was ACKed before); mostly from
		  * what we ACKed, as the peer's timer would send again what we did not take */
		if (below(r, 4) != 0 && seq_lt(a->tcb.rcv_nxt, nxt))
			nxt = a->tcb.rcv_nxt;
		ack = below(r, 3) != 0 ? a->peer.rcv_max : a->peer.ack;
		for (int i = 0; i < 2; i++) {
			hs[i]->peer.nxt = nxt;
			hs[i]->peer.ack = ack;
		}
		return both_take(a, b, TT_TCP_ACK | (below(r, 2) ? TT_TCP_PSH : 0), nxt, len, 0);
	}
}

static void test_predicted_as_general(void **state)
{
	static const uint32_t bodies[] = {64, 3000, 40000};
	unsigned general = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)request[i % (sizeof(request) - 1)];
	for (unsigned c = 0; c < CONVERSATIONS; c++) {
		uint64_t r = c + 1;
		static const uint8_t apps[] = {TT_APP_HTTP, TT_APP_ECHO, H_APP_REC};
		uint8_t app = apps[below(&r, 3)];
		bool ts = below(&r, 3) != 0;
		uint32_t body = bodies[below(&r, 3)];
		uint32_t wrap = below(&r, 2) ? 1 + below(&r, 60000) : 0;
		enum opening how = (enum opening)below(&r, 3);
		struct harness *a = pair_new(ts, body, wrap);
		struct harness *b = pair_new(ts, body, wrap);

		pair_open(a, b, app, how, 1 + below(&r, MAX_SEG));
		for (unsigned k = 0; k < STEPS && a->tcb_live; k++) {
			/* Until the connection goes, or the recording application would run out
			 * of room for what it was given. */
			if (a->app.rx_len > H_APP_RX_BYTES - 16 * MAX_SEG)
				break;
			if (step(a, b, &r))
				predictions++;
			else
				general++;
		}
		pair_free(a);
		pair_free(b);
	}
	print_message("%u segments predicted, %u steps otherwise, %u sent by send_one\n",
		      predictions, general, one_segments);
	assert_true(predictions > CONVERSATIONS * 5);
	assert_true(general > CONVERSATIONS * 10);
	assert_true(one_segments > CONVERSATIONS / 2);
}

/*
 * A segment's worth queued while SACK blocks are owed (data held beyond a hole): the blocks
 * take part of the segment, so it goes as two, by the loop (one_segment declines), and both
 * ways agree.
 */
static void test_one_segment_leaves_room_for_sack_blocks(void **state)
{
	struct harness *a = pair_new(true, 64, 0);
	struct harness *b = pair_new(true, 64, 0);

	(void)state;
	pair_open(a, b, H_APP_REC, OPEN_PLAIN, 0);
	both_take(a, b, TT_TCP_ACK | TT_TCP_PSH, a->peer.nxt + 100, 400, 0);
	assert_int_not_equal(a->tcb.ooo, TT_TCB_NO_BLOCK);
	assert_false(both_send(a, b, a->tcb.mss, false, 0));
	assert_int_equal(a->n_tx, 2);
	assert_true(a->tx[0].a.opts.present & TT_OPT_SACK);
	pair_free(a);
	pair_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_predicted_as_general),
	    cmocka_unit_test(test_one_segment_leaves_room_for_sack_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
