/*
 * What a hostile peer can make the state machine do, bounded: every state
 * ends within its configured time whatever the peer sends, only acceptable
 * segments count as life, replies to invalid segments are rate limited per
 * connection, RTT samples from a peer-chosen TSecr cannot overflow, and our
 * TSvals do not reveal our clock.  Packet-in/packet-out with tcp_harness.h.
 */
#include <stdio.h>

#include "tcp_harness.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char get_ka[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
static const char get_close[] = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

static struct harness *connected(uint8_t app)
{
	struct harness *h = h_new();

	h_connect(h, app);
	return h;
}

/* Let every timer fire as it comes due, the peer silent, until the TCB is gone. */
static void fire_until_gone(struct harness *h, unsigned max_fires)
{
	for (unsigned i = 0; i < max_fires && h->tcb_live; i++)
		h_fire(h);
	assert_false(h->tcb_live);
}

/* ---- FIN-WAIT-1, CLOSING, LAST-ACK: our FIN unacknowledged ---- */

enum closing_how { VIA_FIN_WAIT_1, VIA_CLOSING, VIA_LAST_ACK };

static void enter(struct harness *h, enum closing_how how)
{
	switch (how) {
	case VIA_FIN_WAIT_1: /* we close after the response; the peer never ACKs */
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_close);
		assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_1);
		break;
	case VIA_CLOSING: /* both FINs cross; ours is never ACKed */
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_close);
		h->peer.ack = h->tcb.snd_max - 1;
		h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
		assert_int_equal(h->tcb.state, TT_TCP_CLOSING);
		break;
	case VIA_LAST_ACK: /* the peer closes, we answer with FIN, it never ACKs it */
		h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
		assert_int_equal(h->tcb.state, TT_TCP_LAST_ACK);
		break;
	}
}

/*
 * With retries to spare (rto_max, max_retries and orphan_retries would allow minutes),
 * closing_timeout_ms ends the state: RST, counted as a timeout.
 */
static void test_closing_states_bounded(void **state)
{
	static const enum closing_how hows[] = {VIA_FIN_WAIT_1, VIA_CLOSING, VIA_LAST_ACK};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(hows); i++) {
		struct harness *h = h_new();
		uint64_t since;

		h->conf.closing_timeout_ms = 5000;
		h->conf.max_retries = 30;
		h->conf.idle_timeout_ms = 86400000; /* only the retransmission timer fires */
		h->conf.orphan_retries = 30;
		h_connect(h, TT_APP_HTTP);
		enter(h, hows[i]);
		since = h->ctx.now_ms;
		fire_until_gone(h, 100);
		assert_int_equal(h->ctx.now_ms, since + 5000);
		assert_int_equal(h->v, TT_V_FREE);
		assert_int_equal(h->tx[h->n_tx - 1].a.flags, TT_TCP_RST | TT_TCP_ACK);
		assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 1);
		assert_int_equal(ev(h, TT_CTR_CONN_RETRIES_EXHAUSTED), 0);
		h_free(h);
	}
}

/*
 * A peer that closes but keeps its window shut on our response holds
 * CLOSE-WAIT (our FIN cannot go) no longer than close_wait_timeout_ms,
 * however long persist_timeout_ms and however diligently it answers probes.
 */
static void test_close_wait_zero_window_bounded(void **state)
{
	struct harness *h = h_new();
	uint64_t since;

	(void)state;
	h->conf.close_wait_timeout_ms = 7000;
	h->conf.persist_timeout_ms = 3600000;
	h->peer.wnd = 0;
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->tcb.state, TT_TCP_CLOSE_WAIT);
	since = h->ctx.now_ms;
	while (h->tcb_live) {
		h_fire(h);
		if (h->tcb_live)
			h_send(h, TT_TCP_ACK, NULL, 0); /* answers the probe, window still 0 */
	}
	assert_int_equal(h->ctx.now_ms, since + 7000);
	assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 1);
	h_free(h);
}

/* ---- idle: only acceptable segments are a sign of life ---- */

static void test_idle_not_refreshed_by_invalid(void **state)
{
	struct harness *h = connected(TT_APP_DISCARD);
	uint64_t last_valid = h->ctx.now_ms;
	uint32_t nxt = h->peer.nxt;

	(void)state;
	for (unsigned i = 0; i < 20; i++) {
		struct tt_tcp_seg s;

		h->ctx.now_ms += 10000;
		h->peer.nxt = nxt + 0x40000000u; /* far outside the window */
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "x");
		h->peer.nxt = nxt - 5000; /* old data, long acknowledged */
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "y");
		/* Inside the window but nothing a peer in the connection sends: an ACK of bytes
		 * never sent, an RST off RCV.NXT and a SYN (a challenge each), no ACK at all. */
		h->peer.nxt = nxt + 10;
		s = h_seg(h, TT_TCP_ACK | TT_TCP_PSH, "z", 1);
		s.ack = h->tcb.snd_max + 100000;
		h_rx(h, &s, &h->scratch);
		s = h_seg(h, TT_TCP_RST, NULL, 0);
		h_rx(h, &s, &h->scratch);
		s = h_seg(h, TT_TCP_SYN, NULL, 0);
		h_rx(h, &s, &h->scratch);
		s = h_seg(h, TT_TCP_PSH, "z", 1);
		h_rx(h, &s, &h->scratch);
		assert_true(h->tcb_live);
	}
	h->peer.nxt = nxt;
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), last_valid + h->conf.idle_timeout_ms);
	assert_true(drops(h, TT_DROP_TCP_OUT_OF_WINDOW) >= 40);
	assert_int_equal(drops(h, TT_DROP_TCP_BAD_ACK), 20);
	assert_int_equal(drops(h, TT_DROP_TCP_FLAGS), 20);
	/* An acceptable segment does count. */
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "z");
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb),
			 h->ctx.now_ms + h->conf.idle_timeout_ms);
	h_free(h);
}

/* ---- the HTTP head and body have their own bounds (Slowloris) ---- */

/*
 * A byte of bytes every second while the request's bound (due at `due`) has not passed: each
 * refreshes the idle timer but not the bound, which then resets the connection, unanswered.
 * Every byte is ACKed at once (no delayed ACK), so the next deadline is the request's bound.
 */
static void trickle_until_reset(struct harness *h, const char *bytes, uint64_t due)
{
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), due);
	for (const char *p = bytes; *p != '\0'; p++) {
		h->ctx.now_ms += 1000;
		if (h->ctx.now_ms >= due)
			break;
		h_send(h, TT_TCP_ACK | TT_TCP_PSH, p, 1);
		assert_true(h->tcb_live);
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), due);
	}
	h_fire(h);
	assert_false(h->tcb_live);
	assert_int_equal(h->ctx.now_ms, due);
	assert_int_equal(h->tx[h->n_tx - 1].a.flags, TT_TCP_RST | TT_TCP_ACK);
	assert_int_equal(ev(h, TT_CTR_CONN_APP_TIMEOUT), 1);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 0);
}

static void test_http_head_trickle_times_out(void **state)
{
	struct harness *h = connected(TT_APP_HTTP);

	(void)state;
	h->http.header_timeout_ms = 10000;
	h->conf.delayed_ack_ms = 0;
	h->ctx.now_ms += 500;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "G");
	trickle_until_reset(h, "ET / HTTP/1.1\r\nX: y\r\n", h->ctx.now_ms + 10000);
	h_free(h);
}

/*
 * A head that completes in time stops its clock; the next request starts a new one, also when
 * it begins in the piece that ended the one before (pipelined).
 */
static void test_http_head_clock_per_request(void **state)
{
	for (int pipelined = 0; pipelined <= 1; pipelined++) {
		struct harness *h = connected(TT_APP_HTTP);

		(void)state;
		h->http.header_timeout_ms = 10000;
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "GET / HTTP/1.1\r\nHost: t\r\n");
		h->ctx.now_ms += 9000;
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, pipelined ? "\r\nGET / HT" : "\r\n");
		assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 1);
		h_ack_all(h);
		if (!pipelined) {
			assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb),
					 h->ctx.now_ms + h->conf.idle_timeout_ms);
			h->ctx.now_ms += 30000;
			h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "GET");
		}
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), h->ctx.now_ms + 10000);
		h_free(h);
	}
}

/*
 * An old client's CRLF after a POST's body (RFC 9112 2.2), in the body's segment or a segment
 * of its own, is no head begun: the connection is between requests, holds no application block
 * and keeps its idle deadline; the next request's first byte starts the head's clock.  The CRLF
 * started it, and the connection was reset header_timeout_ms later.
 */
static void test_http_crlf_after_body_starts_no_clock(void **state)
{
	static const char post[] = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc";

	(void)state;
	for (int apart = 0; apart <= 1; apart++) {
		struct harness *h = connected(TT_APP_HTTP);

		h->http.header_timeout_ms = 10000;
		if (apart) {
			h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, post);
			h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "\r\n");
		} else {
			char both[sizeof(post) + 2];

			snprintf(both, sizeof(both), "%s\r\n", post);
			h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, both);
		}
		assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 1);
		h_ack_all(h);
		assert_int_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb),
				 h->ctx.now_ms + h->conf.idle_timeout_ms);
		h->ctx.now_ms += 30000;
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "GET");
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), h->ctx.now_ms + 10000);
		assert_int_equal(ev(h, TT_CTR_CONN_APP_TIMEOUT), 0);
		h_free(h);
	}
}

/*
 * A body (a Content-Length's bytes, chunk framing, trailers) that trickles in holds an
 * application block: it times out body_timeout_ms after its head ended, however long the
 * head took and whatever it says of the body's length.
 */
struct body_case {
	const char *name;
	const char *head; /* through the blank line */
	const char *trickle;
};

static const struct body_case body_cases[] = {
    {"Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n",
     "0123456789012345678901234567890123456789"},
    {"largest Content-Length",
     "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 9223372036854775807\r\n\r\n",
     "0123456789012345678901234567890123456789"},
    {"chunk extension", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
     "5;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    {"trailer", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
     "0\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
};

static void test_http_body_trickle_times_out(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(body_cases); i++) {
		const struct body_case *c = &body_cases[i];
		struct harness *h = connected(TT_APP_HTTP);

		print_message("case: %s\n", c->name);
		h->http.header_timeout_ms = 10000;
		h->http.body_timeout_ms = 20000;
		h->conf.delayed_ack_ms = 0;
		/* The head takes 9 s of its 10: the body's clock starts at its end. */
		h_send(h, TT_TCP_ACK | TT_TCP_PSH, c->head, 4);
		h->ctx.now_ms += 9000;
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, c->head + 4);
		trickle_until_reset(h, c->trickle, h->ctx.now_ms + 20000);
		h_free(h);
	}
}

/* A body that ends in time stops its clock; a second request's body gets a clock of its own. */
static void test_http_body_clock_per_request(void **state)
{
	static const char post[] = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n";
	struct harness *h = connected(TT_APP_HTTP);

	(void)state;
	h->http.header_timeout_ms = 10000;
	h->http.body_timeout_ms = 20000;
	h->conf.delayed_ack_ms = 0;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, post);
	h->ctx.now_ms += 19000;
	/* The first body ends and the second request's body begins in one piece. */
	{
		char piece[sizeof(post) + 8];

		snprintf(piece, sizeof(piece), "abcd%sx", post);
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, piece);
	}
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 1);
	h_ack_all(h);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), h->ctx.now_ms + 20000);
	h->ctx.now_ms += 5000;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "yzw");
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 2);
	h_ack_all(h);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb),
			 h->ctx.now_ms + h->conf.idle_timeout_ms);
	h_free(h);
}

/* ---- what a peer's ACKs can make us send (congestion control under attack) ---- */

/* An HTTP connection whose 30,000-byte response is out in its first ten segments. */
static struct harness *window_out(void)
{
	struct harness *h = connected(TT_APP_HTTP);

	h_http_body(h, 30000);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(h->n_tx, 10);
	return h;
}

/* Bytes of data in what the last input or timer sent. */
static uint32_t data_sent(const struct harness *h)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < h->n_tx; i++)
		n += h->tx[i].len;
	return n;
}

/*
 * After a timeout, duplicate ACKs below its RecoveryPoint start no fast retransmit (RFC 6582
 * 3.2 step 2): else three pure ACKs would set cwnd to half of the whole old flight while
 * SND.NXT is back at SND.UNA, and a burst of that half would follow, once per timeout.
 */
static void test_dup_acks_after_timeout(void **state)
{
	struct harness *h = window_out();

	(void)state;
	h_fire(h);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITS), 1);
	assert_int_equal(h_sndq_block(h)->cwnd, h->tcb.mss);
	for (int i = 0; i < 10; i++) {
		h_send(h, TT_TCP_ACK, NULL, 0);
		assert_int_equal(h->n_tx, 0);
	}
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 0);
	assert_int_equal(h_sndq_block(h)->cwnd, h->tcb.mss);
	/* Once SND.UNA passes the old flight (the rest of the response then in flight), three
	 * duplicates are a loss again. */
	h_ack_all(h);
	assert_int_not_equal(h->tcb.snd_una, h->tcb.snd_max);
	h->peer.ack = h->tcb.snd_una;
	for (int i = 0; i < 3; i++)
		h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 1);
	h_free(h);
}

/*
 * In NewReno recovery a partial ACK resends the next segment only when it covers a whole
 * segment (the one resent before): ACKs of a byte each get no segment back each.
 */
static void test_partial_acks_of_a_byte(void **state)
{
	struct harness *h = window_out();
	uint32_t una = h->tcb.snd_una, out = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 1);
	for (int i = 0; i < 1000; i++) {
		h->peer.ack = h->tcb.snd_una + 1;
		h_send(h, TT_TCP_ACK, NULL, 0);
		out += data_sent(h);
	}
	assert_int_equal(h->tcb.snd_una, una + 1000);
	assert_true(h->tcb.dupacks >= 3); /* still recovering */
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 1);
	assert_true(out <= 1000u + h->tcb.mss);
	/* An ACK of a whole segment more: the next goes at once. */
	h->peer.ack = h->tcb.snd_una + h->tcb.mss;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 2);
	h_free(h);
}

/*
 * A window that opens for a byte and shuts again, the byte never ACKed, does not restart the
 * persist bound: only an ACK of our data is progress (else the peer keeps a connection and
 * its queued data forever at two segments per period).
 */
static void test_window_toggle_persist_bounded(void **state)
{
	struct harness *h = connected(TT_APP_HTTP);
	uint64_t closed_at;

	(void)state;
	h->conf.persist_timeout_ms = 20000;
	h->peer.wnd = 0;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	closed_at = h->ctx.now_ms;
	assert_int_equal(h_sndq_block(h)->persist_since_ms, (uint32_t)closed_at);
	for (int i = 0; i < 100 && h->tcb_live; i++) {
		uint64_t next = h->ctx.now_ms + 500;

		while (h->tcb_live && tt_tcp_deadline(&h->ctx, &h->tcb) <= next)
			h_fire(h);
		if (!h->tcb_live)
			break;
		h->ctx.now_ms = next;
		h->peer.wnd = (uint16_t)(i & 1);
		h_send(h, TT_TCP_ACK, NULL, 0);
	}
	assert_false(h->tcb_live);
	assert_int_equal(h->ctx.now_ms, closed_at + 20000);
	assert_int_equal(ev(h, TT_CTR_CONN_PERSIST_TIMEOUT), 1);
	h_free(h);
}

/* A response of 30000 bytes to a peer whose window is wnd bytes (unscaled). */
static struct harness *window_of(uint16_t wnd)
{
	struct harness *h = h_new();

	h->conf.persist_timeout_ms = 20000;
	h_http_body(h, 30000);
	h->peer.syn_opts.present &= (uint8_t)~TT_OPT_WSCALE;
	h->peer.wnd = wnd;
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	return h;
}

/*
 * Every every_ms, at most n times while the connection lives: the timers that come due fire,
 * then the peer ACKs `take` more bytes of what it got (all of it if fewer; UINT32_MAX: all)
 * with its window still wnd.
 */
static void reader(struct harness *h, uint16_t wnd, uint32_t take, uint64_t every_ms, unsigned n)
{
	for (unsigned i = 0; i < n && h->tcb_live; i++) {
		uint64_t next = h->ctx.now_ms + every_ms;

		while (h->tcb_live && tt_tcp_deadline(&h->ctx, &h->tcb) <= next)
			h_fire(h);
		if (!h->tcb_live)
			break;
		h->ctx.now_ms = next;
		h->peer.ack = h->peer.rcv_max - h->tcb.snd_una > take ? h->tcb.snd_una + take
								      : h->peer.rcv_max;
		h->peer.wnd = wnd;
		h_send(h, TT_TCP_ACK, NULL, 0);
	}
}

/*
 * A slow reader (a window of one byte, each byte ACKed at once) or one that ACKs every probe of
 * its shut window takes a byte at a time and would hold the connection and its send block for
 * ever: less than a segment taken in persist_timeout_ms from when its window first kept our data
 * back ends it.
 */
static void test_byte_at_a_time_reader_bounded(void **state)
{
	(void)state;
	for (uint16_t wnd = 0; wnd < 2; wnd++) {
		struct harness *h = window_of(wnd);
		uint64_t since = h->ctx.now_ms;

		reader(h, wnd, UINT32_MAX, 500, 1000);
		assert_false(h->tcb_live);
		assert_int_equal(h->ctx.now_ms, since + 20000);
		assert_int_equal(ev(h, TT_CTR_CONN_PERSIST_TIMEOUT), 1);
		assert_true(h->peer.ack - (h->iss + 1) < h->tcb.mss);
		h_free(h);
	}
}

/*
 * A wide window taken a byte at a time, each ACK sooner than the retransmission timer: every
 * ACK is new, so the retries never grow and the timer never fires, and the window never keeps
 * the data back.  The persist bound holds it all the same: reset persist_timeout_ms after the
 * first ACK of less than a segment, less than a segment taken.  A peer that takes half a
 * segment at a time, or a segment at a time, slowly but a segment's worth in each
 * persist_timeout_ms, keeps its connection until the whole response is taken.
 */
static void test_wide_window_byte_at_a_time_bounded(void **state)
{
	struct harness *h = window_of(65535);
	uint64_t since = h->ctx.now_ms;

	(void)state;
	reader(h, 65535, 1, 100, 1000);
	assert_false(h->tcb_live);
	assert_int_equal(h->ctx.now_ms, since + 100 + 20000);
	assert_int_equal(ev(h, TT_CTR_CONN_PERSIST_TIMEOUT), 1);
	assert_true(h->peer.ack - (h->iss + 1) < h->tcb.mss);
	h_free(h);

	for (uint32_t half = 0; half < 2; half++) {
		h = window_of(65535);
		reader(h, 65535, half ? h->tcb.mss / 2 : h->tcb.mss, half ? 9000 : 19000, 100);
		assert_true(h->tcb_live);
		assert_int_equal(ev(h, TT_CTR_CONN_PERSIST_TIMEOUT), 0);
		assert_int_equal(h->peer.ack - (h->iss + 1), h->http.keep_alive_len);
		h_free(h);
	}
}

/*
 * Every queued byte taken stops the persist clock, though less than a segment was: a response
 * of 800 bytes and our FIN through a window of 500, the bytes ACKed, the FIN not.  What is left
 * is closing_timeout_ms's (or the retries'), not a persist timeout.
 */
static void test_persist_stops_with_the_queue(void **state)
{
	struct harness *h = h_new();

	(void)state;
	h->conf.persist_timeout_ms = 20000;
	h_http_body(h, 700);
	h->peer.syn_opts.present &= (uint8_t)~TT_OPT_WSCALE;
	h->peer.wnd = 500;
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_close);
	assert_int_equal(data_sent(h), 500);
	assert_int_not_equal(h_sndq_block(h)->persist_since_ms, 0);
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_true(h->tcb.flags & TT_TCB_FIN_SENT);
	assert_int_not_equal(h_sndq_block(h)->persist_since_ms, 0);
	h->peer.ack = h->tcb.snd_max - 1; /* all but our FIN */
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h_sndq_block(h)->q.bytes, 0);
	assert_int_equal(h_sndq_block(h)->persist_since_ms, 0);
	fire_until_gone(h, 100);
	assert_int_equal(ev(h, TT_CTR_CONN_PERSIST_TIMEOUT), 0);
	h_free(h);
}

/* A reader of a small window that takes more than a segment in each persist_timeout_ms stays:
 * 1,000 bytes every 5 s, until the whole response is taken. */
static void test_small_window_reader_kept(void **state)
{
	struct harness *h = window_of(1000);

	(void)state;
	reader(h, 1000, UINT32_MAX, 5000, 40);
	assert_true(h->tcb_live);
	assert_int_equal(ev(h, TT_CTR_CONN_PERSIST_TIMEOUT), 0);
	assert_int_equal(h->peer.ack - (h->iss + 1), h->http.keep_alive_len);
	h_free(h);
}

/*
 * Congestion avoidance counts bytes: ACKs of a byte each (ACK division) grow cwnd no faster
 * than ACKs of whole segments (RFC 5681 3.1, RFC 3465 2.1).
 */
static void test_ack_division_in_congestion_avoidance(void **state)
{
	struct harness *h = window_out();
	struct tt_sndb *b = h_sndq_block(h);
	uint32_t cwnd;

	(void)state;
	b->ssthresh = b->cwnd; /* congestion avoidance from here */
	cwnd = b->cwnd;
	for (int i = 0; i < 1000; i++) {
		h->peer.ack = h->tcb.snd_una + 1;
		h_send(h, TT_TCP_ACK, NULL, 0);
	}
	assert_int_equal(b->cwnd, cwnd);
	h->peer.ack = h->tcb.snd_una + h->tcb.mss;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(b->cwnd, cwnd + (uint32_t)h->tcb.mss * h->tcb.mss / cwnd);
	h_free(h);
}

/* ---- replies to invalid segments: one per interval, per connection (RFC 5961 7) ---- */

struct invalid_case {
	const char *name;
	int32_t seq_off; /* from RCV.NXT */
	uint8_t flags;
	uint32_t len;
	enum tt_counter counted; /* TT_CTR_COUNT: only the ACK */
};

static const struct invalid_case invalid_cases[] = {
    {"RST in window, not exact", 100, TT_TCP_RST, 0, TT_CTR_CHALLENGE_ACKS},
    {"SYN in window", 0, TT_TCP_SYN, 0, TT_CTR_CHALLENGE_ACKS},
    {"data beyond the window", 0x10000000, TT_TCP_ACK, 10, TT_CTR_COUNT},
    {"old data", -100000, TT_TCP_ACK, 10, TT_CTR_COUNT},
};

static void test_invalid_replies_limited(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(invalid_cases); i++) {
		const struct invalid_case *c = &invalid_cases[i];
		struct harness *h = connected(TT_APP_DISCARD);
		uint32_t nxt = h->peer.nxt;
		static const uint8_t data[10];
		unsigned replies = 0;

		print_message("case: %s\n", c->name);
		for (unsigned k = 0; k < 1000; k++) {
			struct tt_tcp_seg s = h_seg(h, c->flags, data, c->len);

			s.seq = nxt + (uint32_t)c->seq_off;
			if (k % 100 == 0)
				h->ctx.now_ms += 1; /* 10 ms in all: one interval */
			h_rx(h, &s, &h->scratch);
			replies += h->n_tx;
			assert_true(h->tcb_live);
		}
		assert_int_equal(replies, 1);
		if (c->counted != TT_CTR_COUNT)
			assert_int_equal(ev(h, c->counted), 1);
		assert_int_equal(ev(h, TT_CTR_INVALID_REPLIES_LIMITED), 999);
		/* The next interval gets one reply again. */
		h->ctx.now_ms += h->conf.invalid_reply_interval_ms;
		{
			struct tt_tcp_seg s = h_seg(h, c->flags, data, c->len);

			s.seq = nxt + (uint32_t)c->seq_off;
			h_rx(h, &s, &h->scratch);
			assert_int_equal(h->n_tx, 1);
		}
		h_free(h);
	}
}

/* Interval 0 turns the limit off. */
static void test_invalid_replies_unlimited(void **state)
{
	struct harness *h = h_new();

	(void)state;
	h->conf.invalid_reply_interval_ms = 0;
	h_connect(h, TT_APP_DISCARD);
	for (unsigned k = 0; k < 10; k++) {
		struct tt_tcp_seg s = h_seg(h, TT_TCP_RST, NULL, 0);

		s.seq += 100;
		h_rx(h, &s, &h->scratch);
		assert_int_equal(h->n_tx, 1);
	}
	assert_int_equal(ev(h, TT_CTR_CHALLENGE_ACKS), 10);
	h_free(h);
}

/* SYN-RECEIVED: a bad ACK costs at most one RST per interval, a repeated SYN one SYN-ACK. */
static void test_syn_received_replies_limited(void **state)
{
	struct harness *h = *state;
	unsigned rsts = 0, synacks = 0;

	h_send(h, TT_TCP_SYN, NULL, 0);
	for (unsigned k = 0; k < 100; k++) {
		h->peer.ack = 12345 + k; /* not our ISS + 1 */
		h_send(h, TT_TCP_ACK, NULL, 0);
		rsts += h->n_tx;
	}
	assert_int_equal(rsts, 1);
	assert_int_equal(drops(h, TT_DROP_TCP_BAD_ACK), 100);
	h->ctx.now_ms += h->conf.invalid_reply_interval_ms;
	h->peer.nxt = H_PEER_ISN;
	for (unsigned k = 0; k < 100; k++) {
		h_send(h, TT_TCP_SYN, NULL, 0);
		synacks += h->n_tx;
		h->peer.nxt = H_PEER_ISN;
	}
	assert_int_equal(synacks, 1);
	assert_true(h->tcb_live);
	assert_int_equal(h->tcb.state, TT_TCP_SYN_RECEIVED);
}

/* ---- timestamps ---- */

/* Our TSval is the clock plus a per-flow secret offset: it reveals neither. */
static void test_tsval_offset(void **state)
{
	struct harness *h = connected(TT_APP_DISCARD);
	struct tt_flow4 other = h_flow;
	uint32_t off = h->tcb.ts_offset;

	(void)state;
	other.sport++;
	assert_int_equal(off, tt_isn_ts_offset(&h->ctx.isn_secret, &h_flow, NULL));
	assert_int_not_equal(off, 0);
	assert_int_not_equal(off, tt_isn_ts_offset(&h->ctx.isn_secret, &other, NULL));
	h->ctx.now_ms += 1234;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "x");
	assert_int_equal(h->tx[0].a.opts.tsval, (uint32_t)h->ctx.now_ms + off);
	assert_int_not_equal(h->tx[0].a.opts.tsval, (uint32_t)h->ctx.now_ms);
	h_free(h);
}

/*
 * A TSecr chosen by the peer (ahead of our clock, half the number space
 * behind it, or far behind) is not a round trip: RTO and SRTT stay.
 */
static void test_rtt_sample_from_forged_tsecr(void **state)
{
	static const uint32_t behind[] = {0x80000000u, 0x7fffffffu, 0xffffffffu, 1000000u,
					  0x80000001u};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(behind); i++) {
		struct harness *h = connected(TT_APP_HTTP);
		uint32_t srtt, rttvar, rto;

		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
		h->ctx.now_ms += 20;
		h_ack_all(h); /* a real sample: 20 ms */
		srtt = h->tcb.srtt_ms8;
		rttvar = h->tcb.rttvar_ms4;
		rto = tt_tcp_rto_ms(&h->tcb);
		assert_int_not_equal(srtt, 0);
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
		h->peer.tsecr = h_tsval(h) - behind[i];
		h->peer.ack = h->peer.rcv_max;
		h_send(h, TT_TCP_ACK, NULL, 0);
		assert_int_equal(h->tcb.snd_una, h->tcb.snd_max); /* the ACK itself is taken */
		assert_int_equal(h->tcb.srtt_ms8, srtt);
		assert_int_equal(h->tcb.rttvar_ms4, rttvar);
		assert_int_equal(tt_tcp_rto_ms(&h->tcb), rto);
		h_free(h);
	}
}

/*
 * RFC 6298 in the TCB's 16-bit fields: the first sample sets SRTT = R, RTTVAR = R/2, RTO =
 * SRTT + max(G, 4 RTTVAR) within [rto_min_ms, rto_max_ms], then rounded up to the RTO's 2 ms
 * unit; a sample above TT_TCB_RTT_MAX_MS counts as that, and a second equal sample leaves
 * SRTT and shrinks RTTVAR by a quarter.
 */
struct rtt_case {
	uint32_t rtt_ms, rto_max_ms;
	uint16_t srtt_ms8, rttvar_ms4; /* after the first sample */
	uint32_t rto_ms;	       /* after the first sample */
	uint16_t rttvar2_ms4;	       /* after a second, equal sample */
};

static void test_rtt_fields_ranges(void **state)
{
	static const struct rtt_case cases[] = {
	    {1, 60000, 8, 2, 200, 2},			/* rto_min_ms */
	    {150, 60000, 1200, 300, 450, 225},		/* 150 + 300 */
	    {151, 60000, 1208, 302, 454, 227},		/* 151 + 302 = 453: 2 ms unit */
	    {8191, 60000, 65528, 16382, 24574, 12287},	/* the largest sample kept */
	    {8192, 60000, 65528, 16382, 24574, 12287},	/* clamped to 8,191 */
	    {50000, 60000, 65528, 16382, 24574, 12287}, /* clamped to 8,191 */
	    {8191, 10000, 65528, 16382, 10000, 12287},	/* rto_max_ms */
	    {8191, 120000, 65528, 16382, 24574, 12287}, /* the widest rto_max_ms */
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		const struct rtt_case *c = &cases[i];
		struct harness *h = connected(TT_APP_HTTP);

		h->conf.rto_max_ms = c->rto_max_ms;
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
		h->ctx.now_ms += c->rtt_ms;
		h_ack_all(h);
		assert_int_equal(h->tcb.srtt_ms8, c->srtt_ms8);
		assert_int_equal(h->tcb.rttvar_ms4, c->rttvar_ms4);
		assert_int_equal(tt_tcp_rto_ms(&h->tcb), c->rto_ms);
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
		h->ctx.now_ms += c->rtt_ms;
		h_ack_all(h);
		assert_int_equal(h->tcb.srtt_ms8, c->srtt_ms8);
		assert_int_equal(h->tcb.rttvar_ms4, c->rttvar2_ms4);
		h_free(h);
	}
}

/*
 * The RTO's backoff in its 2 ms field, up to the widest rto_max_ms: a response never ACKed is
 * sent again at intervals that double from the RTO until rto_max_ms and stay there.  Past
 * 65,535 ms the field's value was cut to 16 bits before it was halved, and the RTO fell to 0: a
 * segment a millisecond for as long as the retries lasted (and a peer that ACKs a byte now and
 * then makes them last).  rto_initial_ms at the field's edges is rounded up to its unit and
 * kept.
 */
static void test_rto_backoff_to_widest_max(void **state)
{
	static const uint32_t initial[] = {10, 65533, 65534, 65535, 65536, 65537, 120000};
	struct harness *h;
	uint32_t interval = 0, last;

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(initial); i++) {
		h = h_new();
		h->conf.rto_min_ms = 10;
		h->conf.rto_initial_ms = initial[i];
		h->conf.rto_max_ms = 120000;
		h_connect(h, TT_APP_HTTP);
		assert_int_equal(tt_tcp_rto_ms(&h->tcb), (initial[i] + 1) / 2 * 2);
		h_free(h);
	}

	h = connected(TT_APP_HTTP);
	h->conf.rto_max_ms = 120000;
	h->conf.max_retries = 30;
	h->conf.idle_timeout_ms = 86400000;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	for (unsigned k = 0; k < 16; k++) {
		uint64_t before = h->ctx.now_ms;

		last = interval;
		h_fire(h);
		assert_true(h->tcb_live);
		interval = (uint32_t)(h->ctx.now_ms - before);
		assert_true(interval >= 200);
		assert_true(interval <= 120000);
		if (last != 0)
			assert_int_equal(interval, last * 2 < 120000 ? last * 2 : 120000);
		assert_true(h->n_tx >= 1);
		assert_int_equal(h->tx[0].a.seq, h->tcb.snd_una);
	}
	assert_int_equal(interval, 120000);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rtt_fields_ranges),
	    cmocka_unit_test(test_rto_backoff_to_widest_max),
	    cmocka_unit_test(test_closing_states_bounded),
	    cmocka_unit_test(test_close_wait_zero_window_bounded),
	    cmocka_unit_test(test_idle_not_refreshed_by_invalid),
	    cmocka_unit_test(test_http_head_trickle_times_out),
	    cmocka_unit_test(test_http_head_clock_per_request),
	    cmocka_unit_test(test_http_crlf_after_body_starts_no_clock),
	    cmocka_unit_test(test_http_body_trickle_times_out),
	    cmocka_unit_test(test_http_body_clock_per_request),
	    cmocka_unit_test(test_dup_acks_after_timeout),
	    cmocka_unit_test(test_partial_acks_of_a_byte),
	    cmocka_unit_test(test_window_toggle_persist_bounded),
	    cmocka_unit_test(test_byte_at_a_time_reader_bounded),
	    cmocka_unit_test(test_wide_window_byte_at_a_time_bounded),
	    cmocka_unit_test(test_small_window_reader_kept),
	    cmocka_unit_test(test_persist_stops_with_the_queue),
	    cmocka_unit_test(test_ack_division_in_congestion_avoidance),
	    cmocka_unit_test(test_invalid_replies_limited),
	    cmocka_unit_test(test_invalid_replies_unlimited),
	    cmocka_unit_test_setup_teardown(test_syn_received_replies_limited, setup, teardown),
	    cmocka_unit_test(test_tsval_offset),
	    cmocka_unit_test(test_rtt_sample_from_forged_tsecr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
