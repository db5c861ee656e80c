/*
 * Packet-in/packet-out tests of the client half of the TCP state machine
 * (tt_tcp_connect, SYN-SENT): the harness's worker end opens the
 * connection and its peer plays a scripted server.  Every test checks the
 * segments that would go out, the state, the verdict, the counters and,
 * through the recording application, what on_open / on_close saw.  The
 * per-state gauges are checked after every step by the harness.
 */
#include "tcp_harness.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	OPT_ALL = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK | TT_OPT_TS,
	TCB_NEGO = TT_TCB_TS | TT_TCB_WS, /* what the SYN-ACK decides */
	MSS_TS = 1448,			  /* 1460 less the 12 bytes of the timestamp option */
	WND_SCALED = 511,		  /* 65535 >> 7: our window field once scaling is on */
};

static const char get_ka[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

static uint64_t all_drops(const struct harness *h)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < TT_DROP_COUNT; i++)
		n += h->ctr.drop[i];
	return n;
}

static uint32_t iss1(const struct harness *h)
{
	return h->iss + 1;
}

static void expect_closed_once(const struct harness *h, enum tt_close_reason why,
			       enum tt_tcp_state in)
{
	assert_false(h->tcb_live);
	assert_int_equal(h->app.closes, 1);
	assert_int_equal(h->app.close_reason, why);
	assert_int_equal(h->app.close_state, in);
	assert_int_equal(h->tcb.close_reason, why);
}

/* Our SYN is still the only thing that happened: the TCB waits in SYN-SENT. */
static void expect_syn_sent(const struct harness *h)
{
	assert_true(h->tcb_live);
	assert_int_equal(h->v, TT_V_KEEP);
	assert_int_equal(h->tcb.state, TT_TCP_SYN_SENT);
	assert_int_equal(h->tcb.snd_una, h->iss);
	assert_int_equal(h->tcb.snd_nxt, iss1(h));
	assert_int_equal(h->ctx.state_count[TT_TCP_SYN_SENT], 1);
	assert_int_equal(h->app.opens, 0);
	assert_int_equal(h->app.closes, 0);
	assert_int_equal(ev(h, TT_CTR_CONN_OPENED), 0);
}

/* The peer's SYN-ACK to our SYN, from its initial sequence number. */
static void send_synack(struct harness *h)
{
	h->peer.nxt = H_PEER_ISN;
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_SYN | TT_TCP_ACK, NULL, 0);
}

/* ---- the SYN ---- */

static void test_connect_syn(void **state)
{
	static const struct {
		const char *name;
		bool ts;
		uint16_t mss;
		uint8_t wscale;
		uint8_t want_opts;
	} cases[] = {
	    {"defaults", true, 1460, 7, TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_TS},
	    {"timestamps off", false, 1460, 7, TT_OPT_MSS | TT_OPT_WSCALE},
	    {"small mss, scale 3", true, 1000, 3, TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_TS},
	    {"scale 0 is still offered", false, 536, 0, TT_OPT_MSS | TT_OPT_WSCALE},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();
		const struct h_tx *x = &h->tx[0];

		print_message("case: %s\n", cases[i].name);
		h->conf.timestamps = cases[i].ts;
		h->conf.mss = cases[i].mss;
		h->conf.wscale = cases[i].wscale;
		h_open(h, H_APP_REC);
		expect_syn_sent(h);
		assert_int_equal(h->iss, tt_isn_make(&h->ctx.isn_secret, &h_flow, NULL,
						     (uint64_t)H_T0_MS * 1000));
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_SYN, h->iss, 0, 0);
		assert_int_equal(x->a.saddr, h_flow.daddr);
		assert_int_equal(x->a.daddr, h_flow.saddr);
		assert_int_equal(x->a.sport, h_flow.dport);
		assert_int_equal(x->a.dport, h_flow.sport);
		assert_int_equal(x->a.wnd, 65535);
		assert_int_equal(x->a.opts.present, cases[i].want_opts);
		assert_int_equal(x->a.opts.mss, cases[i].mss);
		assert_int_equal(x->a.opts.wscale, cases[i].wscale);
		if (cases[i].ts) {
			assert_int_equal(x->a.opts.tsval, h_tsval(h));
			assert_int_equal(x->a.opts.tsecr, 0);
		}
		assert_int_equal(h->tcb.snd_max, iss1(h));
		assert_int_equal(h->tcb.app, H_APP_REC);
		assert_int_equal(h->tcb.close_reason, TT_CLOSE_NORMAL);
		assert_int_equal(h->ctx.half_open, 0);
		for (unsigned s = 0; s < TT_TCP_NSTATES; s++)
			assert_int_equal(h->ctx.state_count[s], s == TT_TCP_SYN_SENT);
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), H_T0_MS + 1000);
		assert_int_equal(ev(h, TT_CTR_SYNACK_SENT), 0);
		h_free(h);
	}
}

/* ---- the SYN-ACK ---- */

/* What the TCB keeps from one SYN-ACK, and the options and window of our ACK. */
struct nego {
	uint16_t mss;
	uint8_t snd_wscale, rcv_wscale, tcb_flags;
	uint8_t ack_opts;
	uint16_t ack_wnd;
};

static void check_established(const struct harness *h, const struct nego *n, uint16_t syn_wnd)
{
	assert_int_equal(h->v, TT_V_KEEP);
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	assert_int_equal(h->tcb.mss, n->mss);
	assert_int_equal(h->tcb.snd_wscale, n->snd_wscale);
	assert_int_equal(h->tcb.rcv_wscale, n->rcv_wscale);
	assert_int_equal(h->tcb.flags & TCB_NEGO, n->tcb_flags);
	assert_int_equal(h->tcb.rcv_nxt, H_PEER_ISN + 1);
	assert_int_equal(h->tcb.snd_una, iss1(h));
	/* The window of a SYN is never scaled. */
	assert_int_equal(h->tcb.snd_wnd, syn_wnd);
	assert_int_equal(h->tcb.snd_wl1, H_PEER_ISN);
	/* No send block yet: congestion state comes with the first queued byte (tt_tcp_send). */
	assert_int_equal(h->tcb.sndb, TT_SNDB_NONE);
	assert_int_equal(h->tcb.retries, 0);
	if (n->tcb_flags & TT_TCB_TS)
		assert_int_equal(h->tcb.ts_recent, H_PEER_TSVAL);
	assert_int_equal(h->app.opens, 1);
	assert_int_equal(ev(h, TT_CTR_CONN_OPENED), 1);
	assert_int_equal(h->ctx.state_count[TT_TCP_ESTABLISHED], 1);
	assert_int_equal(h->ctx.state_count[TT_TCP_SYN_SENT], 0);
}

static void test_synack_negotiation(void **state)
{
	static const struct {
		const char *name;
		bool conf_ts;
		struct tt_tcp_opts synack;
		struct nego want;
	} cases[] = {
	    {"all options",
	     true,
	     {.present = OPT_ALL, .mss = 1460, .wscale = 9},
	     {MSS_TS, 9, 7, TT_TCB_TS | TT_TCB_WS, TT_OPT_TS, WND_SCALED}},
	    {"no window scale: ours is dropped too",
	     true,
	     {.present = TT_OPT_MSS | TT_OPT_TS, .mss = 1460},
	     {MSS_TS, 0, 0, TT_TCB_TS, TT_OPT_TS, 65535}},
	    {"scale 0 keeps ours",
	     true,
	     {.present = TT_OPT_MSS | TT_OPT_WSCALE, .mss = 1400, .wscale = 0},
	     {1400, 0, 7, TT_TCB_WS, 0, WND_SCALED}},
	    {"no timestamps in the SYN-ACK",
	     true,
	     {.present = TT_OPT_MSS | TT_OPT_WSCALE, .mss = 1460, .wscale = 2},
	     {1460, 2, 7, TT_TCB_WS, 0, WND_SCALED}},
	    {"timestamps not offered by us",
	     false,
	     {.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_TS, .mss = 1460, .wscale = 7},
	     {1460, 7, 7, TT_TCB_WS, 0, WND_SCALED}},
	    {"no options: 536", true, {.present = 0}, {536, 0, 0, 0, 0, 65535}},
	    {"no mss, timestamps: 536 - 12",
	     true,
	     {.present = TT_OPT_TS},
	     {524, 0, 0, TT_TCB_TS, TT_OPT_TS, 65535}},
	    {"jumbo peer: our mss",
	     true,
	     {.present = TT_OPT_MSS | TT_OPT_TS | TT_OPT_WSCALE, .mss = 9000, .wscale = 14},
	     {MSS_TS, 14, 7, TT_TCB_TS | TT_TCB_WS, TT_OPT_TS, WND_SCALED}},
	    {"small peer mss: raised to min_peer_mss (536) - 12",
	     true,
	     {.present = TT_OPT_MSS | TT_OPT_TS, .mss = 512},
	     {524, 0, 0, TT_TCB_TS, TT_OPT_TS, 65535}},
	    {"peer mss 0: raised to min_peer_mss",
	     true,
	     {.present = TT_OPT_MSS, .mss = 0},
	     {536, 0, 0, 0, 0, 65535}},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();
		const struct h_tx *x = &h->tx[0];

		print_message("case: %s\n", cases[i].name);
		h->conf.timestamps = cases[i].conf_ts;
		h->peer.syn_opts = cases[i].synack;
		h->peer.syn_wnd = 30000;
		h_open(h, H_APP_REC);
		h->ctx.now_ms += 7;
		send_synack(h);
		check_established(h, &cases[i].want, 30000);
		/* Our ACK of the SYN-ACK, alone: the application queued nothing. */
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1, 0);
		assert_int_equal(x->a.opts.present, cases[i].want.ack_opts);
		assert_int_equal(x->a.wnd, cases[i].want.ack_wnd);
		if (cases[i].want.ack_opts & TT_OPT_TS) {
			assert_int_equal(x->a.opts.tsval, h_tsval(h));
			assert_int_equal(x->a.opts.tsecr, H_PEER_TSVAL);
		}
		assert_int_equal(h->tcb.rto_deadline_ms, 0);
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb),
				 h->ctx.now_ms + h->conf.idle_timeout_ms);
		h_free(h);
	}
}

/* What on_open queues rides on the ACK of the SYN-ACK: no bare ACK before it. */
static void test_synack_request_on_ack(void **state)
{
	static char big[3000];
	static const struct {
		const char *name;
		const char *request;
		uint32_t segs;
	} cases[] = {
	    {"one segment", get_ka, 1},
	    {"three segments", big, 3},
	};

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();
		uint32_t len = (uint32_t)strlen(cases[i].request);
		uint32_t off = 0;

		print_message("case: %s\n", cases[i].name);
		h->app.open_request = cases[i].request;
		h_open_accepted(h, H_APP_REC);
		assert_int_equal(h->n_tx, cases[i].segs);
		for (unsigned k = 0; k < h->n_tx; k++) {
			uint32_t n = len - off < MSS_TS ? len - off : MSS_TS;
			uint8_t flags = TT_TCP_ACK | (off + n == len ? TT_TCP_PSH : 0);

			h_expect(h, k, flags, iss1(h) + off, H_PEER_ISN + 1, n);
			assert_memory_equal(h->tx[k].data, cases[i].request + off, n);
			assert_int_equal(h->tx[k].a.opts.tsecr, H_PEER_TSVAL);
			off += n;
		}
		assert_int_equal(off, len);
		assert_int_equal(h->tcb.snd_max, iss1(h) + len);
		assert_int_equal(h->tcb.rto_deadline_ms, h->ctx.now_ms + tt_tcp_rto_ms(&h->tcb));
		assert_int_equal(ev(h, TT_CTR_APP_TX_BYTES), len);
		h_ack_all(h);
		assert_int_equal(h->tcb.snd_una, iss1(h) + len);
		assert_int_equal(h->tcb.rto_deadline_ms, 0);
		h_free(h);
	}
}

/* An ACK that does not acknowledge our SYN: RST <SEQ=SEG.ACK> unless it is an RST itself. */
static void test_syn_sent_bad_ack(void **state)
{
	static const struct {
		const char *name;
		uint8_t flags;
		int32_t delta; /* SEG.ACK - (ISS + 1) */
		bool rst;
	} cases[] = {
	    {"SYN-ACK acks ISS", TT_TCP_SYN | TT_TCP_ACK, -1, true},
	    {"SYN-ACK acks one too many", TT_TCP_SYN | TT_TCP_ACK, 1, true},
	    {"SYN-ACK from an old connection", TT_TCP_SYN | TT_TCP_ACK, -100000, true},
	    {"SYN-ACK far ahead", TT_TCP_SYN | TT_TCP_ACK, 1 << 30, true},
	    {"plain ACK", TT_TCP_ACK, 5, true},
	    {"RST with a bad ACK", TT_TCP_RST | TT_TCP_ACK, 1, false},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();
		uint32_t bad;

		print_message("case: %s\n", cases[i].name);
		h_open(h, H_APP_REC);
		bad = iss1(h) + (uint32_t)cases[i].delta;
		h->peer.ack = bad;
		h_send(h, cases[i].flags, NULL, 0);
		expect_syn_sent(h);
		assert_int_equal(drops(h, TT_DROP_TCP_BAD_ACK), 1);
		assert_int_equal(all_drops(h), 1);
		assert_int_equal(h->n_tx, cases[i].rst);
		assert_int_equal(ev(h, TT_CTR_RST_SENT), cases[i].rst);
		if (cases[i].rst) {
			h_expect(h, 0, TT_TCP_RST, bad, 0, 0);
			assert_int_equal(h->tx[0].a.dport, h_flow.sport);
		}
		assert_int_equal(h->tcb.rcv_nxt, 0);
		assert_int_equal(ev(h, TT_CTR_CONN_RESET_RX), 0);
		/* The connection is still waiting: the right SYN-ACK completes it. */
		send_synack(h);
		assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1, 0);
		h_free(h);
	}
}

/* RST in SYN-SENT: only one that acknowledges our SYN refuses the connection. */
static void test_syn_sent_rst(void **state)
{
	static const struct {
		const char *name;
		uint8_t flags;
		bool refused;
	} cases[] = {
	    {"RST+ACK acking the SYN: refused", TT_TCP_RST | TT_TCP_ACK, true},
	    {"RST without ACK: ignored", TT_TCP_RST, false},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();

		print_message("case: %s\n", cases[i].name);
		h_open(h, H_APP_REC);
		h->peer.ack = iss1(h);
		h->peer.nxt = 0;
		h_send(h, cases[i].flags, NULL, 0);
		assert_int_equal(h->n_tx, 0);
		assert_int_equal(all_drops(h), 0);
		assert_int_equal(ev(h, TT_CTR_RST_SENT), 0);
		assert_int_equal(ev(h, TT_CTR_CONN_RESET_RX), cases[i].refused);
		if (cases[i].refused) {
			assert_int_equal(h->v, TT_V_FREE);
			expect_closed_once(h, TT_CLOSE_RESET, TT_TCP_SYN_SENT);
			assert_int_equal(h->app.opens, 0);
		} else {
			expect_syn_sent(h);
			assert_int_equal(h->tcb.close_reason, TT_CLOSE_NORMAL);
			send_synack(h);
			assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
		}
		h_free(h);
	}
}

/* Simultaneous open is not supported: segments without SYN+ACK are dropped. */
static void test_syn_sent_unexpected(void **state)
{
	static const struct {
		const char *name;
		uint8_t flags;
	} cases[] = {
	    {"bare SYN (simultaneous open)", TT_TCP_SYN},
	    {"ACK of our SYN without SYN", TT_TCP_ACK},
	    {"FIN+ACK without SYN", TT_TCP_FIN | TT_TCP_ACK},
	    {"no flags", 0},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();

		print_message("case: %s\n", cases[i].name);
		h_open(h, H_APP_REC);
		h->peer.ack = iss1(h);
		h_send(h, cases[i].flags, NULL, 0);
		expect_syn_sent(h);
		assert_int_equal(h->n_tx, 0);
		assert_int_equal(drops(h, TT_DROP_TCP_STATE), 1);
		assert_int_equal(all_drops(h), 1);
		assert_int_equal(ev(h, TT_CTR_RST_SENT), 0);
		assert_int_equal(h->tcb.rcv_nxt, 0);
		/* Our SYN's retransmission still goes, and the handshake then completes. */
		h_fire(h);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_SYN, h->iss, 0, 0);
		send_synack(h);
		assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
		h_free(h);
	}
}

/* ---- timers ---- */

/* Every fire: when it happens (ms after the SYN) and the RTO it leaves; each resends the SYN. */
static void fire_syns(struct harness *h, const uint32_t *at, const uint32_t *rto, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		h_fire(h);
		assert_int_equal(h->ctx.now_ms, H_T0_MS + at[i]);
		expect_syn_sent(h);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_SYN, h->iss, 0, 0);
		assert_int_equal(h->tx[0].a.opts.present, TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_TS);
		assert_int_equal(h->tx[0].a.opts.tsval, h_tsval(h));
		assert_int_equal(tt_tcp_rto_ms(&h->tcb), rto[i]);
		assert_int_equal(h->tcb.retries, i + 1);
		assert_int_equal(ev(h, TT_CTR_RETRANSMITS), i + 1);
	}
}

static void test_syn_retransmit(void **state)
{
	static const uint32_t at[] = {1000, 3000, 7000};
	static const uint32_t rto[] = {2000, 4000, 8000};
	struct harness *h = *state;

	h->conf.syn_retries = 3;
	h_open(h, H_APP_REC);
	fire_syns(h, at, rto, ARRAY_LEN(at));
	h_fire(h);
	assert_int_equal(h->ctx.now_ms, H_T0_MS + 15000);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(ev(h, TT_CTR_CONN_RETRIES_EXHAUSTED), 1);
	assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 0);
	assert_int_equal(ev(h, TT_CTR_RST_SENT), 0);
	expect_closed_once(h, TT_CLOSE_TIMEOUT, TT_TCP_SYN_SENT);
	assert_int_equal(h->app.opens, 0);
}

/* SYN-SENT is bounded by syn_recv_timeout_ms, whatever retransmissions remain. */
static void test_syn_sent_bound(void **state)
{
	static const uint32_t at[] = {1000, 3000, 7000, 15000};
	static const uint32_t rto[] = {2000, 4000, 8000, 16000};
	static const struct {
		const char *name;
		uint32_t bound_ms;
		unsigned fires;
	} cases[] = {
	    {"default 30 s: before the 5th retransmission", 30000, 4},
	    {"2.5 s: after the first", 2500, 1},
	    {"exactly at a retransmission: the bound wins", 7000, 2},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();

		print_message("case: %s\n", cases[i].name);
		h->conf.syn_recv_timeout_ms = cases[i].bound_ms;
		h_open(h, H_APP_REC);
		fire_syns(h, at, rto, cases[i].fires);
		h_fire(h);
		assert_int_equal(h->ctx.now_ms, H_T0_MS + cases[i].bound_ms);
		assert_int_equal(h->v, TT_V_FREE);
		assert_int_equal(h->n_tx, 0);
		assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 1);
		assert_int_equal(ev(h, TT_CTR_CONN_RETRIES_EXHAUSTED), 0);
		assert_int_equal(ev(h, TT_CTR_RST_SENT), 0);
		expect_closed_once(h, TT_CLOSE_TIMEOUT, TT_TCP_SYN_SENT);
		h_free(h);
	}
}

/* A SYN-ACK after retransmissions: the count starts over for the data. */
static void test_synack_after_retransmit(void **state)
{
	static const uint32_t at[] = {1000, 3000};
	static const uint32_t rto[] = {2000, 4000};
	struct harness *h = *state;

	h_open(h, H_APP_REC);
	fire_syns(h, at, rto, ARRAY_LEN(at));
	h->ctx.now_ms += 50;
	send_synack(h);
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	assert_int_equal(h->tcb.retries, 0);
	assert_int_equal(h->tcb.rto_deadline_ms, 0);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1, 0);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb),
			 h->ctx.now_ms + h->conf.idle_timeout_ms);
}

/* ---- on_close ---- */

static void end_refused(struct harness *h)
{
	h_open(h, H_APP_REC);
	h->peer.ack = iss1(h);
	h_send(h, TT_TCP_RST | TT_TCP_ACK, NULL, 0);
}

static void end_syn_timeout(struct harness *h)
{
	h->conf.syn_retries = 0;
	h_open(h, H_APP_REC);
	h_fire(h);
}

/* The worker drops a connection that never got an answer (e.g. at shutdown). */
static void end_dropped_in_syn_sent(struct harness *h)
{
	h_open(h, H_APP_REC);
	h_apply(h, TT_V_FREE);
}

static void end_reset_established(struct harness *h)
{
	h_open_accepted(h, H_APP_REC);
	h_send(h, TT_TCP_RST, NULL, 0);
}

static void end_idle(struct harness *h)
{
	h_open_accepted(h, H_APP_REC);
	h_fire(h);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_RST | TT_TCP_ACK, iss1(h), H_PEER_ISN + 1, 0);
}

static void end_time_wait(struct harness *h)
{
	h_open_accepted(h, H_APP_REC);
	tt_tcp_close(&h->tcb);
	h_output(h);
	h_ack_all(h);
	h_send(h, TT_TCP_FIN | TT_TCP_ACK, NULL, 0);
	assert_true(h->tw_live);
}

static void end_last_ack(struct harness *h)
{
	h->app.close_on_fin = true;
	h_open_accepted(h, H_APP_REC);
	h_send(h, TT_TCP_FIN | TT_TCP_ACK, NULL, 0);
	h_ack_all(h);
}

static void test_on_close_once(void **state)
{
	static const struct {
		const char *name;
		void (*run)(struct harness *h);
		enum tt_tcp_verdict v;
		enum tt_close_reason why;
		enum tt_tcp_state in;
	} cases[] = {
	    {"refused", end_refused, TT_V_FREE, TT_CLOSE_RESET, TT_TCP_SYN_SENT},
	    {"no answer", end_syn_timeout, TT_V_FREE, TT_CLOSE_TIMEOUT, TT_TCP_SYN_SENT},
	    {"dropped in SYN-SENT", end_dropped_in_syn_sent, TT_V_FREE, TT_CLOSE_NORMAL,
	     TT_TCP_SYN_SENT},
	    {"reset when established", end_reset_established, TT_V_FREE, TT_CLOSE_RESET,
	     TT_TCP_ESTABLISHED},
	    {"idle", end_idle, TT_V_FREE, TT_CLOSE_TIMEOUT, TT_TCP_ESTABLISHED},
	    {"our close: TIME-WAIT", end_time_wait, TT_V_TIME_WAIT, TT_CLOSE_NORMAL,
	     TT_TCP_TIME_WAIT},
	    {"peer's close: LAST-ACK", end_last_ack, TT_V_FREE, TT_CLOSE_NORMAL, TT_TCP_LAST_ACK},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();

		print_message("case: %s\n", cases[i].name);
		cases[i].run(h);
		assert_int_equal(h->v, cases[i].v);
		expect_closed_once(h, cases[i].why, cases[i].in);
		/* The TIME-WAIT entry is no connection of the application's any more. */
		if (h->tw_live) {
			tt_tcp_tw_destroy(&h->ctx, &h->tw);
			h->tw_live = false;
		}
		assert_int_equal(h->app.closes, 1);
		/* A TCB reused for a new connection starts with a clean reason. */
		h_open(h, H_APP_REC);
		assert_int_equal(h->tcb.close_reason, TT_CLOSE_NORMAL);
		h_free(h);
	}
}

/* ---- whole connections ---- */

/* Connect, send the request with the handshake's ACK, read the response. */
static uint32_t request_response(struct harness *h, uint8_t resp_flags)
{
	uint32_t req = (uint32_t)strlen(get_ka);
	uint32_t resp = (uint32_t)strlen(response);

	h->app.open_request = get_ka;
	h_open_accepted(h, H_APP_REC);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, iss1(h), H_PEER_ISN + 1, req);
	assert_memory_equal(h->tx[0].data, get_ka, req);
	h->ctx.now_ms += 3;
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_ACK | TT_TCP_PSH | resp_flags, response, resp);
	assert_int_equal(h->tcb.snd_una, iss1(h) + req);
	assert_int_equal(h->tcb.rto_deadline_ms, 0);
	assert_int_equal(h->app.rx_len, resp);
	assert_memory_equal(h->app.rx, response, resp);
	assert_int_equal(ev(h, TT_CTR_APP_RX_BYTES), resp);
	assert_int_equal(ev(h, TT_CTR_APP_TX_BYTES), req);
	return req;
}

static void test_client_lifecycle(void **state)
{
	struct harness *h = *state;
	uint32_t req = request_response(h, 0);
	uint32_t resp = (uint32_t)strlen(response);
	uint32_t peer_fin;

	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h) + req, H_PEER_ISN + 1 + resp, 0);

	tt_tcp_close(&h->tcb);
	h_output(h);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_FIN, iss1(h) + req, H_PEER_ISN + 1 + resp, 0);

	h_ack_all(h);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_2);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb),
			 h->ctx.now_ms + h->conf.fin_wait_2_timeout_ms);

	peer_fin = h->peer.nxt;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->v, TT_V_TIME_WAIT);
	assert_true(h->tw_live);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h) + req + 1, peer_fin + 1, 0);
	assert_int_equal(h->tw.snd_nxt, iss1(h) + req + 1);
	assert_int_equal(h->tw.rcv_nxt, peer_fin + 1);
	assert_int_equal(h->tw.ts_ok, 1);
	assert_int_equal(h->tw.ts_recent, h->peer.tsval - 1);
	assert_int_equal(h->tw.wnd, WND_SCALED);
	assert_int_equal(ev(h, TT_CTR_CONN_CLOSED), 1);
	assert_int_equal(h->app.fins, 0);
	expect_closed_once(h, TT_CLOSE_NORMAL, TT_TCP_TIME_WAIT);

	/* The server's FIN again: our last ACK was lost. */
	h->peer.nxt = peer_fin;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->twv, TT_TW_ACK_RESTART);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h) + req + 1, peer_fin + 1, 0);
}

static void test_client_lifecycle_server_closes(void **state)
{
	struct harness *h = *state;
	uint32_t req = request_response(h, TT_TCP_FIN);
	uint32_t fin_ack = H_PEER_ISN + 1 + (uint32_t)strlen(response) + 1;

	assert_int_equal(h->tcb.state, TT_TCP_CLOSE_WAIT);
	assert_int_equal(h->app.fins, 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h) + req, fin_ack, 0);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb),
			 h->ctx.now_ms + h->conf.close_wait_timeout_ms);

	tt_tcp_close(&h->tcb);
	h_output(h);
	assert_int_equal(h->tcb.state, TT_TCP_LAST_ACK);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_FIN, iss1(h) + req, fin_ack, 0);
	assert_int_equal(h->app.closes, 0);

	h_ack_all(h);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(ev(h, TT_CTR_CONN_CLOSED), 1);
	expect_closed_once(h, TT_CLOSE_NORMAL, TT_TCP_LAST_ACK);
	for (unsigned s = 0; s < TT_TCP_NSTATES; s++)
		assert_int_equal(h->ctx.state_count[s], 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connect_syn),
	    cmocka_unit_test(test_synack_negotiation),
	    cmocka_unit_test(test_synack_request_on_ack),
	    cmocka_unit_test(test_syn_sent_bad_ack),
	    cmocka_unit_test(test_syn_sent_rst),
	    cmocka_unit_test(test_syn_sent_unexpected),
	    T(test_syn_retransmit),
	    cmocka_unit_test(test_syn_sent_bound),
	    T(test_synack_after_retransmit),
	    cmocka_unit_test(test_on_close_once),
	    T(test_client_lifecycle),
	    T(test_client_lifecycle_server_closes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
