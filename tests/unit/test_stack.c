/*
 * tt_stack through frames: the worker's glue (table, pools, verdicts, timers,
 * frame building) driven by frame-level peers; see stack_harness.h.
 */
#include "stack_harness.h"

static const char get_req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

/* The payload a peer announcing mss (0: no option) may get per segment. */
static uint32_t payload_bound(const struct sh *h, uint16_t mss, bool has_opt, bool ts)
{
	uint32_t m = has_opt ? mss : 536;

	if (m < h->conf.tcp.min_peer_mss)
		m = h->conf.tcp.min_peer_mss;
	if (m > h->conf.tcp.mss)
		m = h->conf.tcp.mss;
	return ts ? m - 12 : m;
}

struct mss_case {
	uint16_t mss;
	bool has_opt;
	bool ts;
};

static const struct mss_case mss_cases[] = {
    {0, true, false},  {0, true, true},	  {1, true, false},   {1, true, true},
    {8, true, false},  {8, true, true},	  {12, true, false},  {12, true, true},
    {88, true, false}, {88, true, true},  {536, true, true},  {1460, true, true},
    {1460, true, false}, {0, false, false}, {0, false, true}, {65535, true, true},
};

/* Segments a response of len bytes may take at most: full segments and one partial. */
static unsigned segs_bound(uint32_t len, uint32_t per_seg)
{
	return (len + per_seg - 1) / per_seg;
}

/* The data came as pieces of piece_len bytes (the last may be shorter). */
static void check_mss_case(const struct sh *h, const struct sh_peer *p, const struct mss_case *c,
			   uint32_t len, uint32_t piece_len)
{
	uint32_t bound = payload_bound(h, c->mss, c->has_opt, c->ts);
	uint32_t pieces = segs_bound(len, piece_len);

	if (p->max_payload > bound || p->data_segs_rcvd > pieces * segs_bound(piece_len, bound))
		fail_msg("mss %u%s ts %d: largest payload %u (bound %u), %u data segments "
			 "for %u bytes",
			 c->mss, c->has_opt ? "" : " (no option)", c->ts, p->max_payload, bound,
			 p->data_segs_rcvd, len);
	assert_int_equal(sh_ev(h, TT_CTR_TX_REFUSED_OVERSIZE), 0);
}

/* A peer announcing a tiny (or no, or huge) MSS gets a 20 KB HTTP response in segments
 * no smaller than the floor allows and no larger than the link carries. */
static void test_peer_mss_http(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(mss_cases) / sizeof(mss_cases[0]); i++) {
		const struct mss_case *c = &mss_cases[i];
		struct sh *h = sh_new();
		struct sh_peer *p;

		sh_http_body(h, 20 * 1024);
		sh_start(h);
		p = sh_peer_new(h, 80);
		p->mss = c->mss;
		p->send_mss = c->has_opt;
		p->ts = c->ts;
		sh_connect(p);
		sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
		sh_run(h, 30000, 10, 5000);
		if (p->rx_len != h->http.keep_alive_len)
			fail_msg("mss %u%s ts %d: got %u of %u response bytes", c->mss,
				 c->has_opt ? "" : " (no option)", c->ts, p->rx_len,
				 h->http.keep_alive_len);
		assert_memory_equal(p->rx, h->http.keep_alive, h->http.keep_alive_len);
		check_mss_case(h, p, c, h->http.keep_alive_len, h->http.keep_alive_len);
		sh_free(h);
	}
}

/* The same floor holds for an echo stream, where our segments carry the peer's bytes. */
static void test_peer_mss_echo(void **state)
{
	enum { TOTAL = 20 * 1024, CHUNK = 1000 };
	static uint8_t data[TOTAL];

	(void)state;
	for (uint32_t i = 0; i < TOTAL; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	for (size_t i = 0; i < sizeof(mss_cases) / sizeof(mss_cases[0]); i++) {
		const struct mss_case *c = &mss_cases[i];
		struct sh *h = sh_new();
		struct sh_peer *p;

		sh_start(h);
		p = sh_peer_new(h, 7);
		p->mss = c->mss;
		p->send_mss = c->has_opt;
		p->ts = c->ts;
		sh_connect(p);
		for (uint32_t off = 0; off < TOTAL; off += CHUNK) {
			uint32_t n = TOTAL - off < CHUNK ? TOTAL - off : CHUNK;

			sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data + off, n);
			sh_run(h, 5000, 10, 2000);
		}
		if (p->rx_len != TOTAL)
			fail_msg("mss %u%s ts %d: %u of %u bytes echoed", c->mss,
				 c->has_opt ? "" : " (no option)", c->ts, p->rx_len, TOTAL);
		assert_memory_equal(p->rx, data, TOTAL);
		/* Each chunk comes back on its own: whole or in floor-sized pieces. */
		check_mss_case(h, p, c, TOTAL, CHUNK);
		sh_free(h);
	}
}

/* Whatever asks for it, no frame is built beyond the buffer's room: refused and counted. */
static void test_frame_beyond_room_refused(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;

	(void)state;
	sh_http_body(h, 4000);
	sh_start(h);
	p = sh_peer_new(h, 80);
	sh_connect(p);
	h->room = 600; /* smaller than one full segment */
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	assert_true(sh_ev(h, TT_CTR_TX_REFUSED_OVERSIZE) > 0);
	for (unsigned i = 0; i < h->n_frames; i++)
		assert_true(h->frames[i].len <= 600);
	h->room = SH_ROOM;
	sh_free(h);
}

/* A table full of TIME-WAIT entries recycles the oldest for a new connection. */
static void test_time_wait_recycled_when_full(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;

	(void)state;
	h->conf.tcp.max_conns_per_core = 16;
	sh_start(h);
	for (unsigned i = 0; i < 16; i++)
		sh_server_closed(h);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 16);
	assert_int_equal(tt_stack_conn_count(h->st), 16);
	p = sh_peer_new(h, 80);
	sh_connect(p);
	assert_false(p->rst_rcvd);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 15);
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_RECYCLED), 1);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_TABLE_FULL], 0);
	/* The oldest went: the first peer's 4-tuple is free, the second's still quarantined. */
	sh_peer_send(&h->peers[1], TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_frames, 0); /* a pure ACK in TIME-WAIT is dropped */
	sh_peer_send(&h->peers[0], TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_frames, 1); /* no connection: RST */
	sh_deliver(h);
	assert_true(h->peers[0].rst_rcvd);
	/* The rest expire on time, oldest first. */
	sh_advance(h, h->now + h->conf.tcp.time_wait_ms);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 0);
	assert_int_equal(tt_stack_conn_count(h->st), 1);
	sh_free(h);
}

/* RFC 6528's clock ticks every 4 us: the same 4-tuple's SYN 8 us into the same millisecond (as
 * after an RST, with no TIME-WAIT) begins two above, not at the same ISN; the microseconds into
 * the millisecond are clamped to 999 (at most 249 above the millisecond's own). */
static void test_isn_clock_finer_than_ms(void **state)
{
	static const uint32_t parts[] = {0, 8, 999, 5000};
	static const uint32_t above[] = {0, 2, 249, 249};
	uint32_t iss0 = 0;

	(void)state;
	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct sh *h = sh_new();
		struct sh_peer *p;

		sh_start(h);
		h->now_us_part = parts[i];
		p = sh_peer_new(h, 80);
		sh_connect(p);
		if (i == 0)
			iss0 = p->rcv_nxt - 1;
		assert_int_equal(p->rcv_nxt - 1 - iss0, above[i]);
		sh_free(h);
	}
}

/* The table full of TIME-WAIT entries whose time is up, and a SYN before the iteration's timers
 * run: the oldest entry goes for it, counted as expired (timer_expiries), not recycled. */
static void test_time_wait_due_taken_as_expired(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;
	uint64_t expiries;

	(void)state;
	h->conf.tcp.max_conns_per_core = 16;
	sh_start(h);
	for (unsigned i = 0; i < 16; i++)
		sh_server_closed(h);
	expiries = sh_ev(h, TT_CTR_TIMER_EXPIRIES);
	h->now += h->conf.tcp.time_wait_ms;
	tt_stack_set_time(h->st, h->now); /* the clock moved; the timers have not run yet */
	p = sh_peer_new(h, 80);
	sh_connect(p);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_RECYCLED), 0);
	assert_int_equal(sh_ev(h, TT_CTR_TIMER_EXPIRIES), expiries + 1);
	sh_advance(h, h->now);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 0);
	assert_int_equal(sh_ev(h, TT_CTR_TIMER_EXPIRIES), expiries + 16);
	sh_free(h);
}

/* The peer sends its FIN again (our ACK of it was lost): an ACK comes back. */
static void fin_again(struct sh_peer *p)
{
	unsigned segs = p->segs_rcvd;

	p->nxt--;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	sh_deliver(p->h);
	assert_int_equal(p->segs_rcvd, segs + 1);
}

/* A peer whose connection is gone gets an RST for an ACK; one in TIME-WAIT gets nothing. */
static void check_quarantined(struct sh_peer *p, bool in_time_wait)
{
	p->rst_rcvd = false;
	sh_peer_send(p, TT_TCP_ACK, NULL, 0);
	sh_deliver(p->h);
	assert_int_equal(p->rst_rcvd, !in_time_wait);
}

/* A stack of 8 connections whose 8 peers have each closed one: the TIME-WAIT ring full. */
static struct sh *full_time_wait_ring(void)
{
	struct sh *h = sh_new();

	h->conf.tcp.max_conns_per_core = 8;
	sh_start(h);
	for (unsigned i = 0; i < 8; i++)
		sh_server_closed(h);
	return h;
}

/*
 * TIME-WAIT entries sit in a ring with as many places as the table: with every place taken, a
 * FIN that comes again moves its entry to the tail, across the ring's end; the place it leaves
 * is a hole that the head steps over without counting an expiry, and when the hole is not at
 * the head the head gives way (recycled, as a full table does).  Every other entry expires
 * time_wait_ms after it entered, the moved ones time_wait_ms after their FIN came again.
 */
static void test_time_wait_ring_restart_and_wrap(void **state)
{
	struct sh *h = full_time_wait_ring();
	uint64_t t0 = h->now, t1, tw_ms = h->conf.tcp.time_wait_ms, expiries;

	(void)state;
	t1 = t0 + tw_ms / 2;
	sh_advance(h, t1);
	fin_again(&h->peers[0]); /* the head's own place makes room */
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_RECYCLED), 0);
	fin_again(&h->peers[5]); /* a hole in the middle: the head (peer 1) gives way */
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_RECYCLED), 1);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 7);
	check_quarantined(&h->peers[1], false);
	check_quarantined(&h->peers[2], true);
	check_quarantined(&h->peers[5], true);
	expiries = sh_ev(h, TT_CTR_TIMER_EXPIRIES);
	sh_advance(h, t0 + tw_ms - 1);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 7);
	sh_advance(h, t0 + tw_ms);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 2); /* peers 0 and 5 */
	assert_int_equal(sh_ev(h, TT_CTR_TIMER_EXPIRIES) - expiries, 5);
	check_quarantined(&h->peers[0], true);
	check_quarantined(&h->peers[6], false);
	sh_advance(h, t1 + tw_ms - 1);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 2);
	sh_advance(h, t1 + tw_ms);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 0);
	/* The ring, its head now past its end, takes a full round again. */
	for (unsigned i = 0; i < 8; i++)
		sh_server_closed(h);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 8);
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_RECYCLED), 1);
	sh_free(h);
}

/*
 * A newer SYN on a TIME-WAIT 4-tuple that no listener would take (its port no longer listened
 * on, or not for its family) leaves the entry and its quarantine as they are and gets the
 * entry's ACK, as an old SYN does, not an RST; once the listener is back, the same SYN takes
 * the 4-tuple over (time_wait_reused counts that one only).
 */
static void test_time_wait_kept_without_listener(void **state)
{
	static const uint8_t refusing[] = {0, (TT_APP_HTTP + 1) | TT_LISTEN_NO_IPV4};

	(void)state;
	for (unsigned i = 0; i < sizeof(refusing); i++) {
		struct sh *h = sh_new();
		struct sh_peer *p;
		enum tt_drop why;
		struct tt_pkt a;
		uint32_t our_next;

		sh_start(h);
		p = sh_closed_by_us(sh_peer_new(h, 80));
		our_next = p->rcv_nxt;
		sh_advance(h, h->now + 1);
		h->listen_app[80] = refusing[i];
		p->nxt += 100000;
		p->synced = p->fin_rcvd = p->fin_sent = false;
		sh_peer_send(p, TT_TCP_SYN, NULL, 0);
		assert_int_equal(h->n_frames, 1);
		assert_int_equal(
		    tt_net_parse(h->frames[0].data, h->frames[0].len, &h->peer_if, &a, &why),
		    TT_PKT_TCP);
		assert_int_equal(a.seg.flags, TT_TCP_ACK); /* the entry's ACK */
		assert_int_equal(a.seg.seq, our_next);
		sh_drop_frames(h);
		assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
		assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_REUSED), 0);

		h->listen_app[80] = TT_APP_HTTP + 1;
		p->nxt--; /* the same SYN again */
		sh_connect(p);
		assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_REUSED), 1);
		assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 0);
		assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
		sh_free(h);
	}
}

/*
 * A SYN that takes over a TIME-WAIT 4-tuple starts the new connection above every sequence
 * number of the old one (RFC 9293 3.6.1; Linux's tw_isn: SND.NXT + 65537), with state even
 * where SYNs get cookies (a cookie is the ISN, which could not be chosen): 20 KB sent, then
 * a new incarnation a millisecond later, whose clock-driven ISN would lie inside them.
 */
static void test_time_wait_reuse_isn_above(void **state)
{
	for (int mode = 0; mode < 2; mode++) {
		struct sh *h = sh_new();
		struct sh_peer *p;
		uint64_t cookies;
		uint32_t old_end;

		(void)state;
		h->conf.tcp.syncookies = mode ? TT_SYNCOOKIES_ALWAYS : TT_SYNCOOKIES_OFF;
		sh_http_body(h, 20 * 1024);
		sh_start(h);
		p = sh_closed_by_us(sh_peer_new(h, 80));
		old_end = p->rcv_nxt; /* our SND.NXT, past the FIN */
		cookies = sh_ev(h, TT_CTR_SYNCOOKIES_SENT);
		sh_advance(h, h->now + 1);
		sh_reconnect(p);
		assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_REUSED), 1);
		assert_int_equal(p->rcv_nxt - 1, old_end + 65537);
		assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_SENT), cookies);
		assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
		sh_free(h);
	}
}

/*
 * A SYN-ACK offers what the listener's application can take, with a cookie as with state: echo
 * keeps each received segment until it is echoed, so eight of the connection's segments
 * (1,448 bytes: a 1,460-byte MSS less the timestamps), HTTP the configured window.  The peer
 * then sends the whole window at once and every byte comes back; a segment more, while the
 * echoes are not ACKed, lies beyond the window offered and is refused as such (a larger window
 * would have taken it to an application with no room: a full receive queue).
 */
static void test_synack_window_of_the_application(void **state)
{
	enum { SEG = 1448, ECHO_WND = TT_SNDQ_EXTENTS * SEG };
	static uint8_t data[ECHO_WND];

	(void)state;
	for (uint32_t i = 0; i < ECHO_WND; i++)
		data[i] = (uint8_t)(i * 13 + i / 255);
	for (int mode = 0; mode < 2; mode++) {
		struct sh *h = sh_new();
		struct sh_peer *echo, *http;

		h->conf.tcp.syncookies = mode ? TT_SYNCOOKIES_ALWAYS : TT_SYNCOOKIES_OFF;
		sh_start(h);
		echo = sh_peer_new(h, 7);
		http = sh_peer_new(h, 80);
		sh_connect(echo);
		sh_connect(http);
		assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_SENT), mode ? 2 : 0);
		assert_int_equal(echo->syn_wnd, ECHO_WND);
		assert_int_equal(http->syn_wnd, 65535);
		echo->acks = false; /* the window is not opened again by the echo's ACKs */
		sh_burst_begin(h);
		for (uint32_t off = 0; off < ECHO_WND; off += SEG)
			sh_peer_send(echo, TT_TCP_ACK, data + off, SEG);
		sh_burst_end(h);
		sh_deliver(h);
		assert_int_equal(echo->rx_len, ECHO_WND);
		assert_memory_equal(echo->rx, data, ECHO_WND);
		sh_peer_send(echo, TT_TCP_ACK, data, SEG);
		sh_deliver(h);
		assert_int_equal(echo->rx_len, ECHO_WND);
		assert_int_equal(h->ctr.drop[TT_DROP_TCP_OUT_OF_WINDOW], 1);
		assert_int_equal(h->ctr.drop[TT_DROP_TCP_RCV_QUEUE_FULL], 0);
		sh_free(h);
	}
}

/*
 * A TIME-WAIT entry's ACKs to data are held to the budget of replies to unwanted segments
 * (TT_REPLY_BUDGET_PER_MS a ms to a bucket of sources): forty data segments in one millisecond get
 * sixteen, the next millisecond one again.  (A repeated FIN is not held: below.)
 */
static void test_time_wait_acks_limited(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;

	(void)state;
	sh_start(h);
	p = sh_server_closed(h);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	sh_drop_frames(h);
	for (int i = 0; i < 40; i++) {
		sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, "x", 1);
		p->nxt--; /* the same byte again */
	}
	assert_int_equal(h->n_frames, TT_REPLY_BUDGET_PER_MS);
	assert_int_equal(sh_ev(h, TT_CTR_INVALID_REPLIES_LIMITED), 40 - TT_REPLY_BUDGET_PER_MS);
	sh_drop_frames(h);
	sh_advance(h, h->now + 1);
	sh_drop_frames(h);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, "x", 1);
	assert_int_equal(h->n_frames, 1);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	sh_free(h);
}

/*
 * A peer that repeats its FIN gets an ACK every time, but its entry moves (a hole left in the
 * ring) only once half of its time has passed: a hundred FINs at once neither recycle another
 * entry nor cut a quarantine short; one at half time restarts the entry's own, as before.
 */
static void test_time_wait_fin_repeats_bounded(void **state)
{
	struct sh *h = full_time_wait_ring();
	uint64_t t0 = h->now, t1, tw_ms = h->conf.tcp.time_wait_ms;

	(void)state;
	for (unsigned i = 0; i < 100; i++)
		fin_again(&h->peers[3]);
	sh_advance(h, t0 + tw_ms / 2 - 1);
	fin_again(&h->peers[3]);
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_RECYCLED), 0);
	for (unsigned i = 0; i < 8; i++)
		check_quarantined(&h->peers[i], true);
	t1 = t0 + tw_ms / 2;
	sh_advance(h, t1);
	fin_again(&h->peers[3]); /* due: it moves, and the head gives way */
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_RECYCLED), 1);
	check_quarantined(&h->peers[0], false);
	sh_advance(h, t0 + tw_ms);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	check_quarantined(&h->peers[3], true);
	sh_advance(h, t1 + tw_ms);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 0);
	sh_free(h);
}

struct tw_timer {
	uint64_t ms;
	unsigned n;
};

static void tw_timer_of(const struct tt_stack_conn *c, void *arg)
{
	struct tw_timer *w = arg;

	assert_int_equal(c->state, TT_TCP_TIME_WAIT);
	w->ms = c->timer_ms;
	w->n++;
}

/* What a listing says is left of the one TIME-WAIT entry. */
static uint64_t tw_left_ms(const struct sh *h)
{
	struct tw_timer w = {0};

	sh_list(h, tw_timer_of, &w);
	assert_int_equal(w.n, 1);
	return w.ms;
}

/* An entry keeps the low 32 bits of its expiry: one made just before the clock's low half
 * wraps expires on time after it, neither at once nor never, and a listing counts down. */
static void test_time_wait_expiry_across_clock_wrap(void **state)
{
	struct sh *h = sh_new();
	uint64_t t0, tw_ms;

	(void)state;
	h->now = (1ull << 32) - 2000;
	sh_start(h);
	tw_ms = h->conf.tcp.time_wait_ms;
	sh_server_closed(h);
	t0 = h->now;
	assert_int_equal(tw_left_ms(h), tw_ms);
	sh_advance(h, t0 + 1000); /* the timers run before the wrap ... */
	assert_int_equal(tw_left_ms(h), tw_ms - 1000);
	sh_advance(h, t0 + 3000); /* ... and after it */
	assert_int_equal(tw_left_ms(h), tw_ms - 3000);
	sh_advance(h, t0 + tw_ms - 1);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	assert_int_equal(tw_left_ms(h), 1);
	sh_advance(h, t0 + tw_ms);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 0);
	sh_free(h);
}

enum { SMALL_TABLE = 16 };

/* A started stack with a table of SMALL_TABLE connections that answers SYNs by mode, holding
 * n established connections. */
static struct sh *small_table(enum tt_syncookie_mode mode, unsigned n)
{
	struct sh *h = sh_new();

	h->conf.tcp.max_conns_per_core = SMALL_TABLE;
	h->conf.tcp.syncookies = mode;
	h->conf.tcp.syncookie_threshold = SMALL_TABLE; /* the half-open count never gets there */
	sh_start(h);
	for (unsigned i = 0; i < n; i++)
		sh_connect(sh_peer_new(h, 80));
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), n);
	return h;
}

/* Under "auto", TCBs running short switch SYNs to cookies before the table fills. */
static void test_auto_cookies_under_table_pressure(void **state)
{
	struct sh *h = small_table(TT_SYNCOOKIES_AUTO, 14);
	struct sh_peer *p;

	(void)state;
	assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_SENT), 0);
	p = sh_peer_new(h, 80);
	sh_connect(p);
	assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_SENT), 1);
	assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_VALIDATED), 1);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 15);
	assert_int_equal(sh_in_state(h, TT_TCP_SYN_RECEIVED), 0);
	sh_free(h);
}

/* With nothing to recycle, a SYN is refused with a counted RST, not silently dropped. */
static void test_full_table_refuses_with_rst(void **state)
{
	struct sh *h = small_table(TT_SYNCOOKIES_OFF, SMALL_TABLE);
	struct sh_peer *p;

	(void)state;
	p = sh_peer_new(h, 80);
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_deliver(h);
	assert_true(p->rst_rcvd);
	assert_false(p->synced);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_TABLE_FULL], 1);
	assert_int_equal(sh_ev(h, TT_CTR_RST_SENT), 1);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), SMALL_TABLE);
	sh_free(h);
}

/* A valid cookie that finds no free TCB is refused the same way, and counted as a full table,
 * not as a validated cookie: every validated cookie is a connection born. */
static void test_full_table_refuses_cookie_with_rst(void **state)
{
	struct sh *h = small_table(TT_SYNCOOKIES_ALWAYS, SMALL_TABLE);
	struct sh_peer *p;

	(void)state;
	assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_VALIDATED), SMALL_TABLE);
	p = sh_peer_new(h, 80);
	sh_connect(p); /* the cookie's SYN-ACK comes; the ACK that returns it finds no room */
	sh_deliver(h);
	assert_true(p->rst_rcvd);
	assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_SENT), SMALL_TABLE + 1);
	assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_VALIDATED), SMALL_TABLE);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_OPENED), SMALL_TABLE);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_TABLE_FULL], 1);
	assert_int_equal(tt_stack_conn_count(h->st), SMALL_TABLE);
	sh_free(h);
}

/* Every SYN without an ACK that reaches TCP is counted once, whatever it meets: a listener
 * (cookie or not), no listener, a connection; a SYN-ACK or an ACK is not. */
static void test_syns_counted(void **state)
{
	struct sh *h = small_table(TT_SYNCOOKIES_ALWAYS, 2);
	struct sh_peer *p;

	(void)state;
	assert_int_equal(sh_ev(h, TT_CTR_SYN_RECEIVED), 2);
	assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_SENT), 2);
	sh_peer_send(sh_peer_new(h, 81), TT_TCP_SYN, NULL, 0); /* no listener: RST */
	assert_int_equal(sh_ev(h, TT_CTR_SYN_RECEIVED), 3);
	p = sh_peer_new(h, 80);
	sh_peer_send(p, TT_TCP_SYN | TT_TCP_ACK, NULL, 0);
	sh_peer_send(p, TT_TCP_ACK, NULL, 0);
	assert_int_equal(sh_ev(h, TT_CTR_SYN_RECEIVED), 3);
	p = &h->peers[0]; /* established: a SYN in the window is answered by a challenge ACK */
	p->nxt -= 1;
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	assert_int_equal(sh_ev(h, TT_CTR_SYN_RECEIVED), 4);
	assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_SENT), 2);
	sh_free(h);
}

/*
 * Peers that never drain (window shut, nothing ACKed) make echo hold their
 * segments; past the worker's budget the stack refuses to hold more (the
 * data is not ACKed), so buffers stay for everyone else: a legitimate HTTP
 * client is served in full meanwhile, and the budget is never exceeded.
 */
static void test_held_buffers_bounded(void **state)
{
	enum { HOSTILE = 40, SEGS = 8, LIMIT = 64 };
	static uint8_t chunk[300];
	struct sh *h = sh_new();
	struct sh_peer *legit;

	(void)state;
	h->max_held = LIMIT;
	sh_start(h);
	for (unsigned i = 0; i < HOSTILE; i++) {
		struct sh_peer *p = sh_peer_new(h, 7);

		sh_connect(p);
		p->wnd = 0;
		p->acks = false;
		for (unsigned k = 0; k < SEGS; k++) {
			sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, chunk, sizeof(chunk));
			assert_true(tt_stack_held_bufs(h->st) <= LIMIT);
		}
		sh_deliver(h);
	}
	assert_int_equal(tt_stack_held_bufs(h->st), LIMIT);
	assert_true(sh_ev(h, TT_CTR_RX_HOLD_REFUSED) >= HOSTILE * SEGS - LIMIT);
	legit = sh_peer_new(h, 80);
	sh_connect(legit);
	sh_peer_send(legit, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_run(h, 1000, 10, 1000);
	assert_int_equal(legit->rx_len, h->http.keep_alive_len);
	assert_true(tt_stack_held_bufs(h->st) <= LIMIT);
	sh_free(h);
}

/* A connected peer of the discard service whose next segment leaves 100 bytes from *hole
 * unsent before it. */
static struct sh_peer *peer_past_hole(struct sh *h, uint32_t *hole)
{
	struct sh_peer *p = sh_peer_new(h, 9);

	sh_connect(p);
	*hole = p->nxt;
	p->nxt = *hole + 100;
	return p;
}

/* Out of order, a few bytes would pin a whole buffer: not kept.  A real segment is. */
static void test_tiny_out_of_order_not_kept(void **state)
{
	static uint8_t data[1000];
	struct sh *h = sh_new();
	struct sh_peer *p;
	uint32_t hole;

	(void)state;
	sh_start(h);
	p = peer_past_hole(h, &hole);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data, 10);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_OOO_TINY], 1);
	assert_int_equal(tt_stack_held_bufs(h->st), 0);
	p->nxt = hole + 100;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data, 600);
	assert_int_equal(sh_ev(h, TT_CTR_OOO_QUEUED), 1);
	assert_int_equal(tt_stack_held_bufs(h->st), 1);
	p->nxt = hole;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data, 100); /* fills the hole */
	assert_int_equal(tt_stack_held_bufs(h->st), 0);
	assert_int_equal(sh_ev(h, TT_CTR_APP_RX_BYTES), 700);
	sh_free(h);
}

/*
 * A FIN at RCV.NXT while segments beyond it are held out of order: the peer says its stream ends
 * there, so what it sent past the end is never delivered.  The held segments go with the FIN
 * (tcp_out_of_order_not_kept), their buffers given back at once, not when the connection ends;
 * the FIN is taken and the connection closes as any other.
 */
static void test_fin_drops_segments_held_beyond_it(void **state)
{
	static uint8_t data[1000];
	struct sh *h = sh_new();
	struct sh_peer *p;
	uint64_t not_kept;
	uint32_t hole;

	(void)state;
	sh_start(h);
	p = peer_past_hole(h, &hole);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data, 600);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data, 600);
	assert_int_equal(sh_ev(h, TT_CTR_OOO_QUEUED), 2);
	assert_int_equal(tt_stack_held_bufs(h->st), 2);
	not_kept = h->ctr.drop[TT_DROP_TCP_OUT_OF_ORDER];
	p->nxt = hole;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(tt_stack_held_bufs(h->st), 0);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_OUT_OF_ORDER] - not_kept, 2);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 0);
	sh_run(h, 1000, 10, 1000);
	assert_true(p->fin_rcvd);
	assert_int_equal(tt_stack_conn_count(h->st), 0);
	assert_int_equal(sh_ev(h, TT_CTR_APP_RX_BYTES), 0);
	sh_free(h);
}

/* What a 4-tuple holds when blind segments come for it. */
enum tuple_held { HELD_NONE, HELD_SYN_RECEIVED, HELD_ESTABLISHED, HELD_TIME_WAIT, HELD_N };

static struct sh_peer *tuple_peer(struct sh *h, enum tuple_held held, bool v6)
{
	struct sh_peer *p = v6 ? sh_peer_new6(h, 80) : sh_peer_new(h, 80);

	switch (held) {
	case HELD_SYN_RECEIVED:
		sh_peer_send(p, TT_TCP_SYN, NULL, 0);
		break;
	case HELD_ESTABLISHED:
		sh_connect(p);
		break;
	case HELD_TIME_WAIT:
		sh_closed_by_us(p);
		break;
	default:
		break;
	}
	return p;
}

/*
 * n segments with flags from a source that does not see our side, on a 4-tuple that holds what
 * held says: their acknowledgment number a quarter of the space away from the connection's,
 * their sequence number too unless seq_right; then, in the same millisecond, a pure ACK from
 * another port of the same source (over IPv6 of its /64), which no connection has: whether its
 * RST came.
 */
static bool probe_answered(enum tuple_held held, uint8_t flags, bool v6, unsigned n, bool seq_right)
{
	struct sh *h = sh_new();
	struct sh_peer *victim, *probe;
	unsigned frames, victim_segs;
	bool answered;

	sh_start(h);
	victim = tuple_peer(h, held, v6);
	assert_int_equal(sh_in_state(h, TT_TCP_SYN_RECEIVED), held == HELD_SYN_RECEIVED);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), held == HELD_ESTABLISHED);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), held == HELD_TIME_WAIT);
	sh_advance(h, h->now + 1);
	sh_drop_frames(h);
	victim_segs = victim->segs_rcvd;
	victim->nxt += seq_right ? 0 : 0x40000000u;
	victim->rcv_nxt += 0x40000000u;
	for (unsigned i = 0; i < n; i++) {
		sh_peer_send(victim, flags, (flags & TT_TCP_PSH) ? "x" : NULL,
			     (flags & TT_TCP_PSH) ? 1 : 0);
		victim->nxt -= (flags & TT_TCP_PSH) ? 1 : 0;
	}
	/* A connection answers at most one of them (RFC 5961 7). */
	if (held == HELD_ESTABLISHED && !(flags & TT_TCP_RST)) {
		sh_deliver(h);
		assert_true(victim->segs_rcvd - victim_segs <= 1);
	}
	sh_drop_frames(h);
	probe = v6 ? sh_peer_new6(h, 80) : sh_peer_new(h, 80);
	if (!v6)
		probe->addr = victim->addr;
	frames = h->n_frames;
	sh_peer_send(probe, TT_TCP_ACK, NULL, 0);
	answered = h->n_frames > frames;
	sh_free(h);
	return answered;
}

/*
 * The budget of replies of a source is no side channel (CVE-2016-5696): blind segments on a
 * 4-tuple cost it the same whether the 4-tuple has a connection (being opened, open, in
 * TIME-WAIT) or none, so a prober sharing the source's bucket learns nothing from what is left.
 * Those with an ACK and no RST cost a token each, once (the RST they earn with no connection):
 * after all the bucket holds the probe's RST is not sent, after one less it is; the rest cost
 * nothing, and it is.  Blind in both numbers (refused as out of window), and with the sequence
 * number right but the acknowledgment number not (refused for its ACK).
 */
static void test_reply_budget_tells_no_connection(void **state)
{
	static const uint8_t kinds[] = {
	    TT_TCP_ACK,
	    TT_TCP_ACK | TT_TCP_PSH,
	    TT_TCP_ACK | TT_TCP_FIN,
	    TT_TCP_ACK | TT_TCP_SYN,
	    TT_TCP_RST,
	    TT_TCP_RST | TT_TCP_ACK,
	    TT_TCP_SYN,
	    TT_TCP_PSH,
	    TT_TCP_FIN,
	};

	(void)state;
	for (int m = 0; m < 8; m++) {
		bool v6 = m & 1, seq_right = m & 2, one_less = m & 4;
		unsigned n = TT_REPLY_BUDGET_PER_MS - (one_less ? 1 : 0);

		for (size_t k = 0; k < sizeof(kinds); k++) {
			bool costs = (kinds[k] & (TT_TCP_ACK | TT_TCP_RST)) == TT_TCP_ACK;
			bool want = !costs || one_less;

			for (int held = HELD_NONE; held < HELD_N; held++) {
				if (probe_answered((enum tuple_held)held, kinds[k], v6, n,
						   seq_right) == want)
					continue;
				fail_msg(
				    "flags 0x%02x, %s, %u segments, sequence number %s, tuple %d: "
				    "the probe was %sanswered",
				    kinds[k], v6 ? "IPv6" : "IPv4", n,
				    seq_right ? "right" : "blind", held, want ? "not " : "");
			}
		}
	}
}

/*
 * A flood spoofing a peer's address empties its source's budget, but a connection's replies
 * are held to the connection's own limit alone: in the millisecond the flood's segments took
 * every token, the peer's data sent again (our ACK of it was lost) still gets its ACK.
 */
static void test_spoofed_flood_silences_no_connection(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p, *spoof;

	(void)state;
	sh_start(h);
	p = sh_peer_new(h, 7);
	sh_connect(p);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, "abcd", 4);
	sh_deliver(h);
	sh_advance(h, h->now + 1);
	sh_drop_frames(h);
	spoof = sh_peer_new(h, 81); /* no listener: each of its ACKs earns an RST */
	spoof->addr = p->addr;
	for (unsigned i = 0; i < 2 * TT_REPLY_BUDGET_PER_MS; i++)
		sh_peer_send(spoof, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_frames, TT_REPLY_BUDGET_PER_MS);
	sh_drop_frames(h);
	p->nxt -= 4;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, "abcd", 4);
	assert_int_equal(h->n_frames, 1);
	assert_int_equal(sh_ev(h, TT_CTR_APP_RX_BYTES), 4);
	sh_free(h);
}

/*
 * RSTs to segments without a connection are limited per source bucket, not
 * globally: one source exhausting its budget takes nothing from another's,
 * so the budget tells a prober nothing about RSTs sent elsewhere.
 */
static void test_rst_budget_per_source(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *flooder, *other = NULL;
	unsigned rsts = 0;

	(void)state;
	sh_start(h);
	flooder = sh_peer_new(h, 81); /* no listener: every SYN earns an RST */
	for (unsigned i = 0; i < 200; i++) {
		sh_peer_send(flooder, TT_TCP_SYN, NULL, 0);
		flooder->nxt += 1000;
	}
	rsts = h->n_frames;
	sh_drop_frames(h);
	assert_int_equal(rsts, TT_REPLY_BUDGET_PER_MS);
	assert_int_equal(sh_ev(h, TT_CTR_RST_RATE_LIMITED), 200 - TT_REPLY_BUDGET_PER_MS);
	/* In the same millisecond, other sources still get their answers (most of them: a
	 * few share the flooder's bucket). */
	for (unsigned i = 0; i < 16; i++) {
		other = sh_peer_new(h, 81);
		sh_peer_send(other, TT_TCP_SYN, NULL, 0);
	}
	assert_true(h->n_frames >= 12);
	sh_free(h);
}

/* Peer p received len bytes at from, exactly want, and nothing after them. */
static void rx_is(const struct sh_peer *p, uint32_t from, const uint8_t *want, uint32_t len)
{
	assert_int_equal(p->rx_len, from + len);
	assert_memory_equal(p->rx + from, want, len);
}

/*
 * One worker's request memo (tt_http.h) through the stack: the connections of a worker share
 * it, and each request is answered as its own bytes ask, whichever request another connection
 * sent before it: a GET filling it, a HEAD and an HTTP/1.0 request (not kept alive) that differ
 * from it, the GET again and three pipelined in one segment, answered from it.
 */
static void test_request_memo_shared(void **state)
{
	static const char head_req[] = "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n";
	static const char get10_req[] = "GET / HTTP/1.0\r\nHost: t\r\n\r\n";
	char three[3 * (sizeof(get_req) - 1)];
	struct sh *h = sh_new();
	const struct tt_http_response *r = &h->http;
	struct sh_peer *peer[3], *a, *b, *c;
	uint32_t from;

	(void)state;
	sh_start(h);
	for (unsigned i = 0; i < 3; i++) {
		peer[i] = sh_peer_new(h, 80);
		sh_connect(peer[i]);
	}
	a = peer[0];
	b = peer[1];
	c = peer[2];
	sh_peer_send(a, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_run(h, 100, 10, 100);
	rx_is(a, 0, r->keep_alive, r->keep_alive_len);
	sh_peer_send(b, TT_TCP_ACK | TT_TCP_PSH, head_req, sizeof(head_req) - 1);
	sh_run(h, 100, 10, 100);
	rx_is(b, 0, r->keep_alive, r->keep_alive_hdr_len);
	sh_peer_send(a, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_run(h, 100, 10, 100);
	rx_is(a, r->keep_alive_len, r->keep_alive, r->keep_alive_len);
	sh_peer_send(b, TT_TCP_ACK | TT_TCP_PSH, head_req, sizeof(head_req) - 1);
	sh_run(h, 100, 10, 100);
	rx_is(b, r->keep_alive_hdr_len, r->keep_alive, r->keep_alive_hdr_len);
	for (unsigned i = 0; i < 3; i++)
		memcpy(three + i * (sizeof(get_req) - 1), get_req, sizeof(get_req) - 1);
	from = a->rx_len;
	sh_peer_send(a, TT_TCP_ACK | TT_TCP_PSH, three, sizeof(three));
	sh_run(h, 100, 10, 100);
	assert_int_equal(a->rx_len, from + 3 * r->keep_alive_len);
	for (unsigned i = 0; i < 3; i++)
		assert_memory_equal(a->rx + from + i * r->keep_alive_len, r->keep_alive,
				    r->keep_alive_len);
	sh_peer_send(c, TT_TCP_ACK | TT_TCP_PSH, get10_req, sizeof(get10_req) - 1);
	sh_run(h, 100, 10, 100);
	rx_is(c, 0, r->close, r->close_len);
	assert_true(c->fin_rcvd);
	assert_false(a->fin_rcvd || b->fin_rcvd);
	assert_int_equal(sh_ev(h, TT_CTR_HTTP_REQUESTS), 8);
	sh_free(h);
}

/* A crafted segment carries its payload whole, with checksums a peer accepts; one beyond the
 * MTU is refused and counted, never truncated. */
static void test_crafted_segment_payload(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
	static uint8_t big[SH_MTU];
	struct sh *h = sh_new();
	struct tt_tcp_hdr_args a = {
	    .dst_mac = sh_peer_mac,
	    .saddr = SH_US_ADDR,
	    .daddr = SH_PEER_ADDR,
	    .sport = 80,
	    .dport = 40000,
	    .seq = 1000,
	    .ack = 2000,
	    .wnd = 512,
	    .flags = TT_TCP_ACK | TT_TCP_PSH,
	};
	enum tt_drop reason;
	struct tt_pkt pkt;

	(void)state;
	sh_start(h);
	tt_stack_send_segment(h->st, 0, &a, req, sizeof(req) - 1);
	assert_int_equal(h->n_frames, 1);
	assert_int_equal(
	    tt_net_parse(h->frames[0].data, h->frames[0].len, &h->peer_if, &pkt, &reason),
	    TT_PKT_TCP);
	assert_int_equal(pkt.seg.seq, 1000);
	assert_int_equal(pkt.seg.ack, 2000);
	assert_int_equal(pkt.seg.wnd, 512);
	assert_int_equal(pkt.seg.flags, TT_TCP_ACK | TT_TCP_PSH);
	assert_int_equal(pkt.seg.len, sizeof(req) - 1);
	assert_memory_equal(pkt.seg.payload, req, sizeof(req) - 1);
	sh_drop_frames(h);
	tt_stack_send_segment(h->st, 0, &a, big, sizeof(big));
	assert_int_equal(h->n_frames, 0);
	assert_int_equal(sh_ev(h, TT_CTR_TX_REFUSED_OVERSIZE), 1);
	sh_free(h);
}

/* The only frame the stack sent since the last look, as its peer parses it. */
static struct tt_tcp_seg only_frame(struct sh *h)
{
	enum tt_drop reason;
	struct tt_pkt pkt;

	assert_int_equal(h->n_frames, 1);
	assert_int_equal(
	    tt_net_parse(h->frames[0].data, h->frames[0].len, &h->peer_if, &pkt, &reason),
	    TT_PKT_TCP);
	return pkt.seg;
}

/* Past quick-ack, a lone segment of an upload is ACKed by the wheel's timer delayed_ack_ms
 * after it came, not a tick before; the invariants hold at every step (sh_check). */
static void test_delayed_ack_timer(void **state)
{
	static const uint8_t data[10] = "0123456789";
	struct sh *h = sh_new();
	struct sh_peer *p;
	struct tt_tcp_seg s;
	uint64_t t0;

	(void)state;
	sh_start(h);
	p = sh_peer_new(h, 9);
	sh_connect(p);
	for (int i = 0; i < TT_TCP_QUICKACKS; i++) {
		sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data, sizeof(data));
		s = only_frame(h);
		assert_int_equal(s.ack, p->nxt);
		sh_drop_frames(h);
	}
	t0 = h->now;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data, sizeof(data));
	assert_int_equal(h->n_frames, 0);
	sh_advance(h, t0 + h->conf.tcp.delayed_ack_ms - 1);
	assert_int_equal(h->n_frames, 0);
	sh_advance(h, t0 + h->conf.tcp.delayed_ack_ms);
	s = only_frame(h);
	assert_int_equal(s.flags, TT_TCP_ACK);
	assert_int_equal(s.len, 0);
	assert_int_equal(s.ack, p->nxt);
	assert_int_equal(sh_ev(h, TT_CTR_DELAYED_ACKS), 1);
	assert_int_equal(sh_ev(h, TT_CTR_QUICK_ACKS), TT_TCP_QUICKACKS);
	sh_drop_frames(h);
	sh_advance(h, t0 + 10000);
	assert_int_equal(h->n_frames, 0);
	sh_free(h);
}

/* Keep-alive requests answered at once: one frame each (the response carries the ACK), and
 * no ACK of its own afterwards, from quick-ack on and past it. */
static void test_delayed_ack_rides_on_response(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;
	struct tt_tcp_seg s;

	(void)state;
	sh_start(h);
	p = sh_peer_new(h, 80);
	sh_connect(p);
	for (int i = 0; i < 2 * TT_TCP_QUICKACKS; i++) {
		sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
		s = only_frame(h);
		assert_int_equal(s.len, h->http.keep_alive_len);
		assert_int_equal(s.ack, p->nxt);
		sh_deliver(h); /* the peer ACKs the response */
		assert_int_equal(h->n_frames, 0);
		sh_advance(h, h->now + 2 * h->conf.tcp.delayed_ack_ms);
		assert_int_equal(h->n_frames, 0);
	}
	assert_int_equal(sh_ev(h, TT_CTR_DELAYED_ACKS), 0);
	sh_free(h);
}

/* A peer of h at p's address (IPv4 or IPv6, as p), from a port of its own. */
static struct sh_peer *peer_beside(struct sh *h, const struct sh_peer *p)
{
	struct sh_peer *q = p->v6 ? sh_peer_new6(h, p->dport) : sh_peer_new(h, p->dport);

	q->addr = p->addr;
	q->addr6 = p->addr6;
	return q;
}

/* q connects and gets the whole response; returns the largest payload of a segment of it. */
static uint32_t get_whole(struct sh *h, struct sh_peer *q)
{
	sh_connect(q);
	sh_peer_send(q, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_run(h, 1000, 10, 5000);
	assert_int_equal(q->rx_len, h->http.keep_alive_len);
	assert_memory_equal(q->rx, h->http.keep_alive, h->http.keep_alive_len);
	return q->max_payload;
}

/*
 * Path MTU per peer, through frames (both families): an ICMP error quoting a segment of the
 * first response lowers that connection's size; a second connection from the same address
 * begins at that size, with no error of its own, and one from another address at the full
 * size; TT_PMTU_CACHE_MS later a connection from the first address is back at the full size.
 */
static void test_path_mtu_kept_per_peer(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		struct sh *h = sh_new();
		uint32_t mtu = v6 ? 1300 : 1000;
		uint32_t mss = mtu - (v6 ? TT_IP6_HDR_LEN : TT_IP4_HDR_LEN) - TT_TCP_HDR_LEN -
			       TT_TCP_TS_OPT_LEN;
		const uint8_t *full = NULL;
		struct sh_peer *p;

		sh_http_body(h, 20 * 1024);
		sh_start(h);
		p = v6 ? sh_peer_new6(h, 80) : sh_peer_new(h, 80);
		sh_connect(p);
		sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
		for (unsigned i = 0; i < h->n_frames && full == NULL; i++)
			if (h->frames[i].len > TT_ETH_HDR_LEN + mtu)
				full = h->frames[i].data;
		assert_non_null(full);
		sh_too_big(h, full, mtu);
		assert_int_equal(sh_ev(h, TT_CTR_PATH_MTU_LOWERED), 1);
		sh_run(h, 1000, 10, 5000);
		assert_int_equal(p->rx_len, h->http.keep_alive_len);

		assert_int_equal(get_whole(h, peer_beside(h, p)), mss);
		assert_int_equal(sh_ev(h, TT_CTR_PATH_MTU_FROM_CACHE), 1);
		assert_true(get_whole(h, v6 ? sh_peer_new6(h, 80) : sh_peer_new(h, 80)) > mss);
		sh_advance(h, h->now + TT_PMTU_CACHE_MS);
		sh_run(h, 1000, 10, 5000);
		assert_true(get_whole(h, peer_beside(h, p)) > mss);
		assert_int_equal(sh_ev(h, TT_CTR_PATH_MTU_FROM_CACHE), 1);
		assert_int_equal(sh_ev(h, TT_CTR_PATH_MTU_LOWERED), 1);
		sh_free(h);
	}
}

/*
 * An ICMP too-big error quoting a connection now in TIME-WAIT: stale, counted where the entry
 * is, and settled there (true) whether the worker would tell the others or not: RSS keeps the
 * flow on this worker, so no other one holds it.
 */
static void test_too_big_time_wait_settled(void **state)
{
	uint8_t sent[256], f[ICMP_TOO_BIG_MAX];
	struct sh *h = sh_new();
	struct sh_peer *p;

	(void)state;
	sh_start(h);
	p = sh_peer_new(h, 80);
	p->fin_back = true;
	sh_connect(p);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, sh_get_close, sizeof(sh_get_close) - 1);
	assert_true(h->n_frames > 0); /* the response: a segment of the connection */
	memcpy(sent, h->frames[0].data, sizeof(sent));
	sh_run(h, 0, 1, 100);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	for (int told = 0; told < 2; told++) {
		uint32_t len =
		    icmp_too_big_build(f, sent, (SH_PEER_ADDR & ~0xffu) | 0xfe, NULL, 1000);
		enum tt_drop reason;
		struct tt_pkt pkt;

		assert_int_equal(tt_net_parse(f, len, &h->us_if, &pkt, &reason), TT_PKT_TOO_BIG);
		assert_true(tt_stack_too_big(h->st, &pkt, told));
		assert_int_equal(h->ctr.drop[TT_DROP_ICMP_TOO_BIG_STALE], told + 1);
	}
	assert_int_equal(sh_ev(h, TT_CTR_PATH_MTU_LOWERED), 0);
	sh_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_peer_mss_http),
	    cmocka_unit_test(test_request_memo_shared),
	    cmocka_unit_test(test_peer_mss_echo),
	    cmocka_unit_test(test_frame_beyond_room_refused),
	    cmocka_unit_test(test_time_wait_recycled_when_full),
	    cmocka_unit_test(test_time_wait_due_taken_as_expired),
	    cmocka_unit_test(test_too_big_time_wait_settled),
	    cmocka_unit_test(test_isn_clock_finer_than_ms),
	    cmocka_unit_test(test_time_wait_ring_restart_and_wrap),
	    cmocka_unit_test(test_time_wait_reuse_isn_above),
	    cmocka_unit_test(test_time_wait_kept_without_listener),
	    cmocka_unit_test(test_time_wait_acks_limited),
	    cmocka_unit_test(test_reply_budget_tells_no_connection),
	    cmocka_unit_test(test_spoofed_flood_silences_no_connection),
	    cmocka_unit_test(test_time_wait_fin_repeats_bounded),
	    cmocka_unit_test(test_time_wait_expiry_across_clock_wrap),
	    cmocka_unit_test(test_auto_cookies_under_table_pressure),
	    cmocka_unit_test(test_full_table_refuses_with_rst),
	    cmocka_unit_test(test_full_table_refuses_cookie_with_rst),
	    cmocka_unit_test(test_synack_window_of_the_application),
	    cmocka_unit_test(test_syns_counted),
	    cmocka_unit_test(test_held_buffers_bounded),
	    cmocka_unit_test(test_tiny_out_of_order_not_kept),
	    cmocka_unit_test(test_fin_drops_segments_held_beyond_it),
	    cmocka_unit_test(test_rst_budget_per_source),
	    cmocka_unit_test(test_crafted_segment_payload),
	    cmocka_unit_test(test_delayed_ack_timer),
	    cmocka_unit_test(test_delayed_ack_rides_on_response),
	    cmocka_unit_test(test_path_mtu_kept_per_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
