/*
 * Packet-in/packet-out tests of the TCP state machine: a segment goes in
 * through the same glue as the worker's (tcp_harness.h), and the test
 * checks the segments that would go out (flags, sequence and
 * acknowledgment numbers, window, options, payload), the state, the
 * verdict and the counters.  The per-state gauges are checked after every
 * step by the harness.
 */
#include <stdio.h>

#include "tcp_harness.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	OPT_ALL = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK | TT_OPT_TS,
	TCB_OPTS = TT_TCB_TS | TT_TCB_SACK | TT_TCB_WS,
	MSS_TS = 1448,	  /* 1460 less the 12 bytes of the timestamp option */
	WND_SCALED = 511, /* 65535 >> 7: our window field once scaling is on */
	NO_TS = -1000000,
};

static const char get_ka[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
static const char get_10[] = "GET / HTTP/1.0\r\n\r\n";
static const char get_close[] = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

static struct harness *connected(uint8_t app)
{
	struct harness *h = h_new();

	h_connect(h, app);
	return h;
}

static uint32_t iss1(const struct harness *h)
{
	return h->iss + 1;
}

/* Reassembles our payload by sequence number, as the peer would. */
struct stream {
	uint32_t base;
	uint32_t len; /* highest byte received + 1 */
	uint8_t *buf;
	uint32_t cap;
};

static void stream_init(struct stream *s, uint32_t base, uint32_t cap)
{
	s->base = base;
	s->len = 0;
	s->cap = cap;
	s->buf = calloc(1, cap);
	assert_non_null(s->buf);
}

static void stream_take(struct stream *s, const struct harness *h)
{
	for (unsigned i = 0; i < h->n_tx; i++) {
		uint32_t off = h->tx[i].a.seq - s->base;

		if (h->tx[i].len == 0)
			continue;
		assert_true(off + h->tx[i].len <= s->cap);
		memcpy(s->buf + off, h->tx[i].data, h->tx[i].len);
		if (off + h->tx[i].len > s->len)
			s->len = off + h->tx[i].len;
	}
}

/* ---- LISTEN ---- */

/* What a SYN-ACK offers, and what the TCB keeps, for one peer SYN. */
struct nego {
	uint8_t synack_opts;
	uint16_t mss;
	uint8_t snd_wscale, rcv_wscale, tcb_flags;
};

static void check_synack(const struct harness *h, uint32_t seq, const struct nego *n)
{
	const struct h_tx *x = &h->tx[0];

	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_SYN | TT_TCP_ACK, seq, H_PEER_ISN + 1, 0);
	assert_int_equal(x->a.wnd, 65535);
	assert_int_equal(x->a.saddr, h_flow.daddr);
	assert_int_equal(x->a.dport, h_flow.sport);
	assert_int_equal(x->a.opts.present, n->synack_opts);
	assert_int_equal(x->a.opts.mss, 1460);
	if (n->synack_opts & TT_OPT_WSCALE)
		assert_int_equal(x->a.opts.wscale, 7);
	if (n->synack_opts & TT_OPT_TS)
		assert_int_equal(x->a.opts.tsecr, H_PEER_TSVAL);
}

static void check_nego(const struct harness *h, const struct nego *n)
{
	assert_int_equal(h->tcb.mss, n->mss);
	assert_int_equal(h->tcb.snd_wscale, n->snd_wscale);
	assert_int_equal(h->tcb.rcv_wscale, n->rcv_wscale);
	assert_int_equal(h->tcb.flags & TCB_OPTS, n->tcb_flags);
}

static void test_listen_syn_recv(void **state)
{
	static const struct {
		const char *name;
		bool conf_ts;
		struct tt_tcp_opts syn;
		struct nego want;
	} cases[] = {
	    {"all options",
	     true,
	     {.present = OPT_ALL, .wscale = 9, .mss = 1460},
	     {OPT_ALL, MSS_TS, 9, 7, TCB_OPTS}},
	    {"mss only", true, {.present = TT_OPT_MSS, .mss = 1000}, {TT_OPT_MSS, 1000, 0, 0, 0}},
	    {"no options: 536", true, {.present = 0}, {TT_OPT_MSS, 536, 0, 0, 0}},
	    {"timestamps off here",
	     false,
	     {.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_TS, .wscale = 2, .mss = 1460},
	     {TT_OPT_MSS | TT_OPT_WSCALE, 1460, 2, 7, TT_TCB_WS}},
	    {"jumbo peer: our mss",
	     true,
	     {.present = TT_OPT_MSS | TT_OPT_TS, .mss = 9000},
	     {TT_OPT_MSS | TT_OPT_TS, MSS_TS, 0, 0, TT_TCB_TS}},
	    {"sack, scale 0",
	     true,
	     {.present = TT_OPT_MSS | TT_OPT_SACK_OK | TT_OPT_WSCALE, .wscale = 0, .mss = 1400},
	     {TT_OPT_MSS | TT_OPT_SACK_OK | TT_OPT_WSCALE, 1400, 0, 7, TT_TCB_SACK | TT_TCB_WS}},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();

		print_message("case: %s\n", cases[i].name);
		h->conf.timestamps = cases[i].conf_ts;
		h->peer.syn_opts = cases[i].syn;
		h_send(h, TT_TCP_SYN, NULL, 0);
		assert_int_equal(h->lv, TT_L_NEW_SYN_RECV);
		assert_true(h->tcb_live);
		assert_int_equal(h->tcb.state, TT_TCP_SYN_RECEIVED);
		assert_int_equal(h->ctx.half_open, 1);
		assert_int_equal(h->iss, tt_isn_make(&h->ctx.isn_secret, &h_flow, NULL,
						     (uint64_t)H_T0_MS * 1000));
		check_synack(h, h->iss, &cases[i].want);
		if (cases[i].want.synack_opts & TT_OPT_TS)
			assert_int_equal(h->tx[0].a.opts.tsval, h_tsval(h));
		check_nego(h, &cases[i].want);
		assert_int_equal(h->tcb.snd_una, h->iss);
		assert_int_equal(h->tcb.snd_nxt, iss1(h));
		assert_int_equal(h->tcb.snd_max, iss1(h));
		assert_int_equal(h->tcb.rcv_nxt, H_PEER_ISN + 1);
		assert_int_equal(h->tcb.rcv_adv, H_PEER_ISN + 1 + 65535);
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), H_T0_MS + 1000);
		assert_int_equal(ev(h, TT_CTR_SYNACK_SENT), 1);
		h_free(h);
	}
}

static void test_listen_cookie(void **state)
{
	static const struct {
		const char *name;
		struct tt_tcp_opts syn;
		uint16_t cookie_mss;
		struct nego want;
		bool ts_off; /* tcp.timestamps = false */
		bool ack_ts; /* the ACK carries a timestamp the SYN did not */
	} cases[] = {
	    {"timestamps carry the options",
	     {.present = OPT_ALL, .wscale = 9, .mss = 1400},
	     1380,
	     {OPT_ALL, 1368, 9, 7, TCB_OPTS},
	     false,
	     false},
	    {"timestamps, no window scale",
	     {.present = TT_OPT_MSS | TT_OPT_TS, .mss = 1460},
	     1460,
	     {TT_OPT_MSS | TT_OPT_TS, MSS_TS, 0, 0, TT_TCB_TS},
	     false,
	     false},
	    {"no timestamps: mss only",
	     {.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK, .wscale = 9, .mss = 1460},
	     1460,
	     {TT_OPT_MSS, 1460, 0, 0, 0},
	     false,
	     false},
	    /* RFC 7323 section 3.2: a timestamp we never agreed to is ignored, not checked */
	    {"timestamps off here: the ACK's TSecr does not count",
	     {.present = OPT_ALL, .wscale = 9, .mss = 1460},
	     1460,
	     {TT_OPT_MSS, 1460, 0, 0, 0},
	     true,
	     false},
	    /* RFC 7323 section 3.2 again: the SYN offered none, so none was agreed to */
	    {"no timestamp in the SYN, one in the ACK: ignored",
	     {.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK, .wscale = 9, .mss = 1460},
	     1460,
	     {TT_OPT_MSS, 1460, 0, 0, 0},
	     false,
	     true},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();
		uint32_t cookie, synack_tsval;

		print_message("case: %s\n", cases[i].name);
		h->conf.syncookies = TT_SYNCOOKIES_ALWAYS;
		h->conf.timestamps = !cases[i].ts_off;
		h->peer.syn_opts = cases[i].syn;
		h->peer.ts = cases[i].syn.present & TT_OPT_TS;
		h->listen_app = TT_APP_HTTP;
		h_send(h, TT_TCP_SYN, NULL, 0);
		assert_int_equal(h->lv, TT_L_SYNACK_COOKIE);
		assert_false(h->tcb_live);
		assert_int_equal(ev(h, TT_CTR_SYNCOOKIES_SENT), 1);
		cookie = h->tx[0].a.seq;
		synack_tsval = h->tx[0].a.opts.tsval;
		check_synack(h, cookie, &cases[i].want);

		/* The third segment of the handshake carries the request. */
		h->ctx.now_ms += 40;
		h->peer.ack = h->peer.rcv_max;
		h->peer.wnd = 1000;
		if (cases[i].ack_ts) {
			h->peer.ts = true;
			h->peer.tsecr = 0; /* TS.Recent of a peer that got no TSval (RFC 7323 4.3) */
		}
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
		assert_int_equal(h->lv, TT_L_NEW_COOKIE);
		assert_int_equal(h->lr.mss, cases[i].cookie_mss);
		assert_true(h->tcb_live);
		assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
		assert_int_equal(h->iss, cookie);
		assert_int_equal(h->tcb.rcv_nxt, H_PEER_ISN + 1 + strlen(get_ka));
		check_nego(h, &cases[i].want);
		assert_int_equal(h->tcb.snd_wnd, 1000u << cases[i].want.snd_wscale);
		assert_int_equal(ev(h, TT_CTR_SYNCOOKIES_VALIDATED), 1);
		assert_int_equal(ev(h, TT_CTR_CONN_OPENED), 1);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, cookie + 1, h->peer.nxt,
			 h->http.keep_alive_len);
		assert_memory_equal(h->tx[0].data, h->http.keep_alive, h->http.keep_alive_len);
		if (cases[i].want.synack_opts & TT_OPT_TS) {
			/* The connection keeps the clock its SYN-ACK showed (the offset is the
			 * cookie's MAC's, rebuilt from the ACK): 40 ms on, less the up to 63
			 * ticks the SYN-ACK's TSval stepped back to carry the options. */
			uint32_t ahead = h->tx[0].a.opts.tsval - synack_tsval;

			assert_true(ahead >= 40 && ahead <= 40 + 63);
			assert_int_equal(h->tx[0].a.opts.tsval,
					 (uint32_t)h->ctx.now_ms + h->tcb.ts_offset);
		}
		h_free(h);
	}
}

static void test_listen_bad_cookie(void **state)
{
	static const struct {
		const char *name;
		enum tt_syncookie_mode mode;
		bool after_time_wait; /* the ACK comes tcp.time_wait_ms after the SYN-ACK */
		uint32_t ack_delta;
		uint32_t tsecr_xor; /* over the TSecr that carries the options back */
		bool drop_ts;	    /* the ACK leaves out the timestamp option */
		enum tt_drop reason;
		unsigned failed;
		bool zero_tsecr; /* its TSecr is 0: as if it had none */
	} cases[] = {
	    {"forged, auto", TT_SYNCOOKIES_AUTO, false, 0x5a5a5a5a, 0, false, TT_DROP_SYNCOOKIE_BAD,
	     1, false},
	    {"forged, always", TT_SYNCOOKIES_ALWAYS, false, 0x5a5a5a5a, 0, false,
	     TT_DROP_SYNCOOKIE_BAD, 1, false},
	    /* A replayed final ACK must not recreate a connection whose TIME-WAIT is over. */
	    {"expired after TIME-WAIT", TT_SYNCOOKIES_ALWAYS, true, 0, 0, false,
	     TT_DROP_SYNCOOKIE_EXPIRED, 1, false},
	    /* Options we never agreed to: each bit of the TSval's low six, or no timestamp. */
	    {"TSecr wscale bit 0", TT_SYNCOOKIES_ALWAYS, false, 0, 1u << 0, false,
	     TT_DROP_SYNCOOKIE_BAD, 1, false},
	    {"TSecr wscale bit 1", TT_SYNCOOKIES_ALWAYS, false, 0, 1u << 1, false,
	     TT_DROP_SYNCOOKIE_BAD, 1, false},
	    {"TSecr wscale bit 2", TT_SYNCOOKIES_ALWAYS, false, 0, 1u << 2, false,
	     TT_DROP_SYNCOOKIE_BAD, 1, false},
	    {"TSecr wscale bit 3", TT_SYNCOOKIES_ALWAYS, false, 0, 1u << 3, false,
	     TT_DROP_SYNCOOKIE_BAD, 1, false},
	    {"TSecr sack bit", TT_SYNCOOKIES_ALWAYS, false, 0, 1u << 4, false,
	     TT_DROP_SYNCOOKIE_BAD, 1, false},
	    {"TSecr reserved bit", TT_SYNCOOKIES_ALWAYS, false, 0, 1u << 5, false,
	     TT_DROP_SYNCOOKIE_BAD, 1, false},
	    {"timestamp removed", TT_SYNCOOKIES_ALWAYS, false, 0, 0, true, TT_DROP_SYNCOOKIE_BAD,
	     1, false},
	    {"TSecr 0: as no timestamp", TT_SYNCOOKIES_ALWAYS, false, 0, 0, false,
	     TT_DROP_SYNCOOKIE_BAD, 1, true},
	    {"cookies off", TT_SYNCOOKIES_OFF, false, 0, 0, false, TT_DROP_TCP_NO_CONN, 0, false},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();
		struct tt_listen_result r;
		uint32_t ack;

		print_message("case: %s\n", cases[i].name);
		h->conf.syncookies = TT_SYNCOOKIES_ALWAYS;
		h_send(h, TT_TCP_SYN, NULL, 0);
		assert_int_equal(h->lv, TT_L_SYNACK_COOKIE);
		h->conf.syncookies = cases[i].mode;
		if (cases[i].after_time_wait)
			h->ctx.now_ms += h->conf.time_wait_ms;
		ack = h->peer.rcv_max + cases[i].ack_delta;
		h->peer.ack = ack;
		h->peer.tsecr ^= cases[i].tsecr_xor;
		if (cases[i].zero_tsecr)
			h->peer.tsecr = 0;
		h->peer.ts = !cases[i].drop_ts;
		h_send(h, TT_TCP_ACK, NULL, 0);
		assert_int_equal(h->lv, TT_L_RST);
		assert_int_equal(h->lr.reason, cases[i].reason);
		assert_false(h->tcb_live);
		assert_int_equal(ev(h, TT_CTR_SYNCOOKIES_FAILED), cases[i].failed);
		assert_int_equal(ev(h, TT_CTR_SYNCOOKIES_VALIDATED), 0);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_RST, ack, 0, 0);
		/* The listener keeps nothing: the same check gives the same answer. */
		assert_int_equal(
		    tt_tcp_listen(
			&h->ctx, &h_flow,
			&(struct tt_tcp_seg){.seq = h->peer.nxt, .ack = ack, .flags = TT_TCP_ACK},
			&r),
		    TT_L_RST);
		h_free(h);
	}
}

/*
 * "auto" checks an ACK that matches no connection as a cookie only while a cookie it sent may
 * still be valid (two periods after the last): before the first cookie, and from two periods
 * after the last, the ACK meets no connection with no MAC computed (syncookies_failed stays 0)
 * even when it carries a valid cookie; up to then it is checked (a valid one opens its
 * connection).  "always" checks every one.
 */
static void test_listen_cookie_ack_only_while_cookies_live(void **state)
{
	static const struct {
		const char *name;
		enum tt_syncookie_mode mode;
		bool cookie_sent;    /* a SYN got a cookie before */
		uint32_t after_periods;	   /* the ACK comes this many cookie periods after it... */
		int32_t after_ms;	   /* ...plus this */
		bool forged;		   /* the ACK's cookie is not the one sent */
		enum tt_listen_verdict want;
		enum tt_drop reason;
		unsigned failed;
	} cases[] = {
	    {"auto, no cookie out", TT_SYNCOOKIES_AUTO, false, 0, 0, true, TT_L_RST,
	     TT_DROP_TCP_NO_CONN, 0},
	    {"always, no cookie out", TT_SYNCOOKIES_ALWAYS, false, 0, 0, true, TT_L_RST,
	     TT_DROP_SYNCOOKIE_BAD, 1},
	    {"auto, valid cookie at once", TT_SYNCOOKIES_AUTO, true, 0, 1, false, TT_L_NEW_COOKIE,
	     TT_DROP_TCP_NO_CONN, 0},
	    {"auto, forged, last ms of the two periods", TT_SYNCOOKIES_AUTO, true, 2, -1, true,
	     TT_L_RST, TT_DROP_SYNCOOKIE_BAD, 1},
	    {"auto, forged, two periods on", TT_SYNCOOKIES_AUTO, true, 2, 0, true, TT_L_RST,
	     TT_DROP_TCP_NO_CONN, 0},
	    {"auto, the cookie, two periods on", TT_SYNCOOKIES_AUTO, true, 2, 0, false, TT_L_RST,
	     TT_DROP_TCP_NO_CONN, 0},
	    {"always, the cookie, two periods on", TT_SYNCOOKIES_ALWAYS, true, 2, 0, false,
	     TT_L_RST, TT_DROP_SYNCOOKIE_EXPIRED, 1},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();
		uint32_t period = h->ctx.cookie_keys.period_ms;

		print_message("case: %s\n", cases[i].name);
		h->listen_app = TT_APP_HTTP;
		if (cases[i].cookie_sent) {
			h->conf.syncookies = TT_SYNCOOKIES_ALWAYS;
			h_send(h, TT_TCP_SYN, NULL, 0);
			assert_int_equal(h->lv, TT_L_SYNACK_COOKIE);
			h->peer.ack = h->peer.rcv_max;
		} else {
			h->peer.nxt++; /* as if its SYN went by */
			h->peer.ack = 0x12345678;
		}
		h->conf.syncookies = cases[i].mode;
		h->ctx.now_ms += cases[i].after_periods * (uint64_t)period + cases[i].after_ms;
		if (cases[i].forged)
			h->peer.ack ^= 0x5a5a5a5a;
		h_send(h, TT_TCP_ACK, NULL, 0);
		assert_int_equal(h->lv, cases[i].want);
		if (cases[i].want == TT_L_RST)
			assert_int_equal(h->lr.reason, cases[i].reason);
		assert_int_equal(h->tcb_live, cases[i].want == TT_L_NEW_COOKIE);
		assert_int_equal(ev(h, TT_CTR_SYNCOOKIES_FAILED), cases[i].failed);
		h_free(h);
	}
}

static void test_listen_no_conn_segments(void **state)
{
	static const struct {
		const char *name;
		uint8_t flags;
		enum tt_listen_verdict want;
		enum tt_drop reason;
	} cases[] = {
	    {"RST", TT_TCP_RST, TT_L_DROP, TT_DROP_TCP_NO_CONN},
	    {"RST+ACK", TT_TCP_RST | TT_TCP_ACK, TT_L_DROP, TT_DROP_TCP_NO_CONN},
	    {"FIN without ACK", TT_TCP_FIN, TT_L_DROP, TT_DROP_TCP_FLAGS},
	    {"no flags", 0, TT_L_DROP, TT_DROP_TCP_FLAGS},
	    {"SYN+ACK", TT_TCP_SYN | TT_TCP_ACK, TT_L_RST, TT_DROP_TCP_NO_CONN},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();

		print_message("case: %s\n", cases[i].name);
		h->conf.syncookies = TT_SYNCOOKIES_AUTO;
		h->peer.ack = 0x77777777;
		h_send(h, cases[i].flags, NULL, 0);
		assert_int_equal(h->lv, cases[i].want);
		assert_int_equal(h->lr.reason, cases[i].reason);
		assert_int_equal(h->n_tx, cases[i].want == TT_L_RST ? 1 : 0);
		if (cases[i].want == TT_L_RST)
			h_expect(h, 0, TT_TCP_RST, 0x77777777, 0, 0);
		assert_false(h->tcb_live);
		h_free(h);
	}
}

/* Which SYNs get state: by mode, and in auto mode by the half-open count. */
static void test_listen_cookie_modes(void **state)
{
	static const struct tt_flow4 other = {
	    .saddr = 0x0a000003, .daddr = 0x0a000001, .sport = 40001, .dport = 80};
	static const struct {
		const char *name;
		enum tt_syncookie_mode mode;
		uint32_t threshold;
		enum tt_listen_verdict first, second;
	} cases[] = {
	    {"off", TT_SYNCOOKIES_OFF, 0, TT_L_NEW_SYN_RECV, TT_L_NEW_SYN_RECV},
	    {"auto, below threshold", TT_SYNCOOKIES_AUTO, 2, TT_L_NEW_SYN_RECV, TT_L_NEW_SYN_RECV},
	    {"auto, threshold reached", TT_SYNCOOKIES_AUTO, 1, TT_L_NEW_SYN_RECV,
	     TT_L_SYNACK_COOKIE},
	    {"always", TT_SYNCOOKIES_ALWAYS, 1024, TT_L_SYNACK_COOKIE, TT_L_SYNACK_COOKIE},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();
		struct tt_listen_result r;
		struct tt_tcp_seg syn;

		print_message("case: %s\n", cases[i].name);
		h->conf.syncookies = cases[i].mode;
		h->conf.syncookie_threshold = cases[i].threshold;
		syn = h_seg(h, TT_TCP_SYN, NULL, 0);
		h_send(h, TT_TCP_SYN, NULL, 0);
		assert_int_equal(h->lv, cases[i].first);
		assert_int_equal(tt_tcp_listen(&h->ctx, &other, &syn, &r), cases[i].second);
		h_free(h);
	}
}

static void test_rst_reply(void **state)
{
	static const struct {
		uint8_t flags;
		uint32_t seq, ack, len;
		uint32_t want_seq, want_ack;
		uint8_t want_flags;
	} cases[] = {
	    {TT_TCP_ACK, 100, 5000, 0, 5000, 0, TT_TCP_RST},
	    {TT_TCP_ACK | TT_TCP_PSH, 100, 7, 10, 7, 0, TT_TCP_RST},
	    {TT_TCP_ACK | TT_TCP_FIN, 100, 9, 0, 9, 0, TT_TCP_RST},
	    {TT_TCP_SYN, 100, 0, 0, 0, 101, TT_TCP_RST | TT_TCP_ACK},
	    {TT_TCP_SYN, 0xffffffff, 0, 0, 0, 0, TT_TCP_RST | TT_TCP_ACK},
	    {TT_TCP_SYN, 100, 0, 5, 0, 106, TT_TCP_RST | TT_TCP_ACK},
	    {TT_TCP_FIN, 100, 0, 0, 0, 101, TT_TCP_RST | TT_TCP_ACK},
	    {TT_TCP_FIN | TT_TCP_PSH, 100, 0, 10, 0, 111, TT_TCP_RST | TT_TCP_ACK},
	    {TT_TCP_PSH, 0xfffffffb, 0, 10, 0, 5, TT_TCP_RST | TT_TCP_ACK},
	    {0, 100, 0, 0, 0, 100, TT_TCP_RST | TT_TCP_ACK},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct tt_tcp_seg s = {.seq = cases[i].seq,
				       .ack = cases[i].ack,
				       .len = cases[i].len,
				       .flags = cases[i].flags};
		uint32_t seq = 1, ack = 1;
		uint8_t flags = 0;

		tt_tcp_rst_reply(&s, &seq, &ack, &flags);
		assert_int_equal(seq, cases[i].want_seq);
		assert_int_equal(ack, cases[i].want_ack);
		assert_int_equal(flags, cases[i].want_flags);
	}
}

/* ---- SYN-RECEIVED ---- */

static void test_synrecv_syn_again(void **state)
{
	struct harness *h = *state;

	h_send(h, TT_TCP_SYN, NULL, 0);
	h->peer.nxt = H_PEER_ISN; /* our SYN-ACK was lost: the same SYN again */
	h->ctx.now_ms += 300;
	h_send(h, TT_TCP_SYN, NULL, 0);
	assert_int_equal(h->v, TT_V_KEEP);
	assert_int_equal(h->tcb.state, TT_TCP_SYN_RECEIVED);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_SYN | TT_TCP_ACK, h->iss, H_PEER_ISN + 1, 0);
	assert_int_equal(h->tx[0].a.opts.present, OPT_ALL);
	assert_int_equal(h->tx[0].a.opts.tsval, h_tsval(h));
}

/*
 * Another SYN on the 4-tuple of a connection in SYN-RECEIVED, in its receive window or not:
 * our SYN-ACK again as a challenge (rate-limited), no RST, the connection kept, so that a
 * peer that knows only the 4-tuple resets nothing.  A peer that really began anew (RFC 9293
 * 3.5: the connection came from its old duplicate SYN) answers the SYN-ACK with an RST at our
 * RCV.NXT, which frees it.
 */
static void test_synrecv_other_syn(void **state)
{
	static const uint32_t other[] = {H_PEER_ISN + 1000000, H_PEER_ISN + 1, H_PEER_ISN - 1,
					 H_PEER_ISN + 0x80000000u};
	struct harness *h = *state;
	uint32_t iss;

	h_send(h, TT_TCP_SYN, NULL, 0);
	iss = h->iss;
	for (unsigned i = 0; i < ARRAY_LEN(other); i++) {
		h->ctx.now_ms += 1000; /* past invalid_reply_interval_ms */
		h->peer.nxt = other[i];
		h_send(h, TT_TCP_SYN, NULL, 0);
		assert_int_equal(h->v, TT_V_KEEP);
		assert_int_equal(h->tcb.state, TT_TCP_SYN_RECEIVED);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_SYN | TT_TCP_ACK, iss, H_PEER_ISN + 1, 0);
		assert_int_equal(ev(h, TT_CTR_CHALLENGE_ACKS), i + 1);
	}
	/* Another at once: limited. */
	h->peer.nxt = H_PEER_ISN + 2000000;
	h_send(h, TT_TCP_SYN, NULL, 0);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(ev(h, TT_CTR_INVALID_REPLIES_LIMITED), 1);
	assert_int_equal(ev(h, TT_CTR_RST_SENT), 0);
	assert_int_equal(h->ctx.half_open, 1);
	/* The peer that began anew: its RST at the ACK of our SYN-ACK. */
	h->peer.nxt = H_PEER_ISN + 1;
	h_send(h, TT_TCP_RST, NULL, 0);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(h->ctx.half_open, 0);
}

static void test_synrecv_bad_ack(void **state)
{
	static const int32_t delta[] = {-1, 1, 100000, -70000};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(delta); i++) {
		struct harness *h = h_new();
		uint32_t ack;

		h_send(h, TT_TCP_SYN, NULL, 0);
		ack = iss1(h) + (uint32_t)delta[i];
		h->peer.ack = ack;
		h_send(h, TT_TCP_ACK, NULL, 0);
		assert_int_equal(h->v, TT_V_KEEP);
		assert_int_equal(h->tcb.state, TT_TCP_SYN_RECEIVED);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_RST, ack, 0, 0);
		assert_int_equal(drops(h, TT_DROP_TCP_BAD_ACK), 1);
		assert_int_equal(ev(h, TT_CTR_RST_SENT), 1);
		assert_int_equal(ev(h, TT_CTR_CONN_OPENED), 0);
		h_free(h);
	}
}

/* RFC 9293 3.10.7.4: the sequence number is checked first, in SYN-RECEIVED too. */
static void test_synrecv_ack_out_of_window(void **state)
{
	static const int32_t delta[] = {-100, 65535, 0x40000000};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(delta); i++) {
		struct harness *h = h_new();

		h_send(h, TT_TCP_SYN, NULL, 0);
		h->peer.ack = h->peer.rcv_max;
		h->peer.nxt += (uint32_t)delta[i];
		h_send_str(h, TT_TCP_ACK, "data");
		assert_int_equal(h->v, TT_V_KEEP);
		assert_int_equal(h->tcb.state, TT_TCP_SYN_RECEIVED);
		assert_int_equal(h->app.opens, 0);
		assert_int_equal(h->app.rx_len, 0);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1, 0);
		assert_int_equal(drops(h, TT_DROP_TCP_OUT_OF_WINDOW), 1);
		h_free(h);
	}
}

/* PAWS in SYN-RECEIVED too (RFC 7323 5.3): an ACK whose timestamp is older than the SYN's
 * does not establish; one that is not older does. */
static void test_synrecv_ack_paws(void **state)
{
	struct harness *h = h_new();
	struct tt_tcp_seg s;

	(void)state;
	h_send(h, TT_TCP_SYN, NULL, 0);
	h->peer.ack = h->peer.rcv_max;
	s = h_seg(h, TT_TCP_ACK, NULL, 0);
	s.opts.tsval = h->tcb.ts_recent - 1;
	h_rx(h, &s, &h->scratch);
	assert_int_equal(h->v, TT_V_KEEP);
	assert_int_equal(h->tcb.state, TT_TCP_SYN_RECEIVED);
	assert_int_equal(drops(h, TT_DROP_TCP_PAWS), 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1, 0);
	s.opts.tsval = h->tcb.ts_recent;
	h_rx(h, &s, &h->scratch);
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	h_free(h);
}

static void test_synrecv_ack_with_request(void **state)
{
	struct harness *h = *state;

	h->listen_app = TT_APP_HTTP;
	h_send(h, TT_TCP_SYN, NULL, 0);
	h->peer.ack = h->peer.rcv_max;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	assert_int_equal(h->ctx.half_open, 0);
	assert_int_equal(ev(h, TT_CTR_CONN_OPENED), 1);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, iss1(h), H_PEER_ISN + 1 + strlen(get_ka),
		 h->http.keep_alive_len);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive, h->http.keep_alive_len);
	assert_int_equal(h->tx[0].a.wnd, WND_SCALED);
	assert_int_equal(h->tx[0].a.opts.present, TT_OPT_TS);
	assert_int_equal(h->tx[0].a.opts.tsecr, H_PEER_TSVAL + 1);
	assert_int_equal(h->tcb.snd_wnd, 512u << 7);
}

static void test_synrecv_ack_with_data(void **state)
{
	struct harness *h = *state;

	h_send(h, TT_TCP_SYN, NULL, 0);
	h->peer.ack = h->peer.rcv_max;
	h_send_str(h, TT_TCP_ACK, "hello");
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	assert_int_equal(h->app.opens, 1);
	assert_int_equal(h->app.rx_len, 5);
	assert_memory_equal(h->app.rx, "hello", 5);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 6, 0);
}

static void test_synrecv_rst(void **state)
{
	static const struct {
		int32_t delta; /* from RCV.NXT */
		enum tt_tcp_verdict want;
		unsigned n_tx; /* in window but not exact: a challenge (the SYN-ACK again) */
	} cases[] = {{0, TT_V_FREE, 0}, {100, TT_V_KEEP, 1}, {-1, TT_V_KEEP, 0}};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();

		h_send(h, TT_TCP_SYN, NULL, 0);
		h->peer.nxt += (uint32_t)cases[i].delta;
		h_send(h, TT_TCP_RST, NULL, 0);
		assert_int_equal(h->v, cases[i].want);
		assert_int_equal(h->n_tx, cases[i].n_tx);
		assert_int_equal(ev(h, TT_CTR_CHALLENGE_ACKS), cases[i].n_tx);
		if (cases[i].n_tx)
			h_expect(h, 0, TT_TCP_SYN | TT_TCP_ACK, h->iss, h->tcb.rcv_nxt, 0);
		assert_int_equal(ev(h, TT_CTR_CONN_RESET_RX), cases[i].want == TT_V_FREE);
		assert_int_equal(h->tcb_live, cases[i].want == TT_V_KEEP);
		h_free(h);
	}
}

/* Every fire: when it happens (ms after the SYN) and the RTO it leaves. */
static void fire_synacks(struct harness *h, const uint32_t *at, const uint32_t *rto, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		h_fire(h);
		assert_int_equal(h->ctx.now_ms, H_T0_MS + at[i]);
		assert_int_equal(h->v, TT_V_KEEP);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_SYN | TT_TCP_ACK, h->iss, H_PEER_ISN + 1, 0);
		assert_int_equal(h->tx[0].a.opts.present, OPT_ALL);
		assert_int_equal(tt_tcp_rto_ms(&h->tcb), rto[i]);
		assert_int_equal(ev(h, TT_CTR_RETRANSMITS), i + 1);
	}
}

static void test_synrecv_retransmit(void **state)
{
	static const uint32_t at[] = {1000, 3000, 7000};
	static const uint32_t rto[] = {2000, 4000, 8000};
	struct harness *h = *state;

	h->conf.syn_retries = 3;
	h_send(h, TT_TCP_SYN, NULL, 0);
	fire_synacks(h, at, rto, ARRAY_LEN(at));
	h_fire(h);
	assert_int_equal(h->ctx.now_ms, H_T0_MS + 15000);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(ev(h, TT_CTR_CONN_RETRIES_EXHAUSTED), 1);
	assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 0);
	assert_int_equal(ev(h, TT_CTR_RST_SENT), 0);
}

static void test_synrecv_timeout_bound(void **state)
{
	static const uint32_t at[] = {1000, 3000, 7000, 15000};
	static const uint32_t rto[] = {2000, 4000, 8000, 16000};
	struct harness *h = *state;

	h_send(h, TT_TCP_SYN, NULL, 0);
	fire_synacks(h, at, rto, ARRAY_LEN(at));
	/* The next retransmission (31 s) comes after syn_recv_timeout (30 s). */
	h_fire(h);
	assert_int_equal(h->ctx.now_ms, H_T0_MS + 30000);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 1);
	assert_int_equal(ev(h, TT_CTR_CONN_RETRIES_EXHAUSTED), 0);
}

/* ---- ESTABLISHED ---- */

static void test_est_data_acked(void **state)
{
	static const uint32_t sizes[] = {1, 100, MSS_TS, 7};
	static uint8_t data[MSS_TS];
	struct harness *h = *state;
	uint32_t total = 0;

	for (uint32_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	h_connect(h, H_APP_REC);
	for (unsigned i = 0; i < ARRAY_LEN(sizes); i++) {
		h->ctx.now_ms += 10;
		h_send(h, TT_TCP_ACK | TT_TCP_PSH, data, sizes[i]);
		total += sizes[i];
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1 + total, 0);
		assert_int_equal(h->tx[0].a.wnd, WND_SCALED);
		assert_int_equal(h->tx[0].a.opts.present, TT_OPT_TS);
		assert_int_equal(h->tx[0].a.opts.tsval, h_tsval(h));
		assert_int_equal(h->tx[0].a.opts.tsecr, h->peer.tsval - 1);
		assert_int_equal(h->app.rx_len, total);
		assert_memory_equal(h->app.rx + total - sizes[i], data, sizes[i]);
		assert_int_equal(h->tcb.rcv_nxt, H_PEER_ISN + 1 + total);
	}
	assert_int_equal(ev(h, TT_CTR_APP_RX_BYTES), total);
}

static void test_est_http_response(void **state)
{
	struct harness *h = *state;
	char two[2 * sizeof(get_ka)];
	uint32_t len = h->http.keep_alive_len;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, iss1(h), h->peer.nxt, len);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive, len);
	assert_int_equal(h->tcb.snd_max, iss1(h) + len);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), h->ctx.now_ms + 1000);
	h_ack_all(h);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(h->tcb.snd_una, iss1(h) + len);
	assert_int_equal(h->tcb.rto_deadline_ms, 0);

	/* Two pipelined requests in one segment: both answers in one segment. */
	snprintf(two, sizeof(two), "%s%s", get_ka, get_ka);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, two);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 3);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, iss1(h) + len, h->peer.nxt, 2 * len);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive, len);
	assert_memory_equal(h->tx[0].data + len, h->http.keep_alive, len);
}

/*
 * A pipeline deeper than the send queue's extents (wrk's -- 16, TRex's pipeline=N): every
 * request of the segment is answered at once and the whole segment is ACKed. Before repeated
 * responses shared an extent, the ninth request onwards was refused and the peer had to
 * retransmit it after an RTO, one batch per RTO.
 */
static void test_est_http_deep_pipeline(void **state)
{
	enum { DEPTH = 4 * TT_SNDQ_EXTENTS };
	struct harness *h = *state;
	uint32_t len = h->http.keep_alive_len, got = 0;
	char batch[DEPTH * sizeof(get_ka)];
	size_t n = 0;

	for (unsigned i = 0; i < DEPTH; i++)
		n += (size_t)snprintf(batch + n, sizeof(batch) - n, "%s", get_ka);
	assert_true(DEPTH * len <= 10 * MSS_TS); /* the answers fit the initial window */
	h_connect(h, TT_APP_HTTP);
	h_send(h, TT_TCP_ACK | TT_TCP_PSH, batch, (uint32_t)n);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), DEPTH);
	assert_int_equal(ev(h, TT_CTR_APP_RX_BYTES), n);
	assert_int_equal(h->tcb.rcv_nxt, h->peer.nxt);
	for (unsigned i = 0; i < h->n_tx; i++) {
		h_expect(h, i, h->tx[i].a.flags, iss1(h) + got, h->peer.nxt, h->tx[i].len);
		for (uint32_t k = 0; k < h->tx[i].len; k++)
			assert_int_equal(h->tx[i].data[k], h->http.keep_alive[(got + k) % len]);
		got += h->tx[i].len;
	}
	assert_int_equal(got, DEPTH * len);
	h_ack_all(h);
	/* Everything acknowledged: the send block went back to the pool. */
	assert_int_equal(h->tcb.sndb, TT_SNDB_NONE);
	assert_int_equal(tt_tcp_queued(&h->ctx, &h->tcb), 0);
}

/*
 * Answers that differ (GET and HEAD alternating) take an extent each: after eight the queue
 * has none free, and a request whose answer differs from the last waits for the peer to send
 * it again.  One whose answer repeats the last is still answered (it takes no extent): here
 * the two HEADs after the eighth answer, then the GET behind them waits.  In one segment
 * (the parser's path), or a request a segment with the worker's request memo (its path for a
 * piece that repeats the last request read).
 */
static void pipeline_repeat_when_full(struct harness *h, bool one_per_segment)
{
	static const char head_ka[] = "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n";
	enum { N = TT_SNDQ_EXTENTS + 3 };
	char batch[N * sizeof(get_ka)];
	uint32_t n = 0, answered = 0, want = 0, got = 0;

	if (one_per_segment)
		h->ctx.app_worker = calloc(1, TT_TCP_APP_WORKER_BYTES);
	h_connect(h, TT_APP_HTTP);
	for (unsigned i = 0; i < N; i++) {
		const char *req = i < TT_SNDQ_EXTENTS && i % 2 == 0 ? get_ka
				  : i < N - 1			    ? head_ka
								    : get_ka;
		uint32_t len = (uint32_t)snprintf(batch + n, sizeof(batch) - n, "%s", req);

		if (one_per_segment)
			h_send(h, TT_TCP_ACK | TT_TCP_PSH, batch + n, len);
		for (unsigned k = 0; k < h->n_tx; k++)
			got += h->tx[k].len;
		n += len;
		if (i < N - 1) {
			answered = n;
			want += req == get_ka ? h->http.keep_alive_len : h->http.keep_alive_hdr_len;
		}
	}
	if (!one_per_segment) {
		h_send(h, TT_TCP_ACK | TT_TCP_PSH, batch, n);
		for (unsigned k = 0; k < h->n_tx; k++)
			got += h->tx[k].len;
	}
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), N - 1);
	assert_int_equal(h->tcb.rcv_nxt, h->peer.nxt - (n - answered));
	assert_int_equal(tt_tcp_queued(&h->ctx, &h->tcb), want);
	assert_int_equal(got, want);
	/* Once the answers are ACKed, the GET sent again is answered. */
	h_ack_all(h);
	h->peer.nxt = h->tcb.rcv_nxt;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), N);
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].len, h->http.keep_alive_len);
	free(h->ctx.app_worker);
	h->ctx.app_worker = NULL;
}

static void test_est_http_pipeline_repeat_when_full(void **state)
{
	pipeline_repeat_when_full(*state, false);
}

static void test_est_http_repeat_when_full_memo(void **state)
{
	pipeline_repeat_when_full(*state, true);
}

static void expect_full_segments(const struct harness *h, unsigned n, uint32_t first_seq)
{
	assert_int_equal(h->n_tx, n);
	for (unsigned i = 0; i < n; i++)
		h_expect(h, i, TT_TCP_ACK, first_seq + i * MSS_TS, h->tcb.rcv_nxt, MSS_TS);
}

/* Segmented at MSS - 12, ten segments of initial window, more as ACKs arrive. */
static void test_est_large_response(void **state)
{
	struct harness *h = *state;
	uint32_t len, left, n;
	struct stream s;

	h_http_body(h, 30000);
	len = h->http.keep_alive_len;
	h_connect(h, TT_APP_HTTP);
	stream_init(&s, iss1(h), len);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, 10 * MSS_TS);
	expect_full_segments(h, 10, iss1(h));
	stream_take(&s, h);

	/* Two segments acknowledged: slow start adds one MSS, three segments fit. */
	h->peer.ack = iss1(h) + 2 * MSS_TS;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, 11 * MSS_TS);
	expect_full_segments(h, 3, iss1(h) + 10 * MSS_TS);
	stream_take(&s, h);

	h_ack_all(h);
	left = len - 13 * MSS_TS;
	n = (left + MSS_TS - 1) / MSS_TS;
	assert_true(n <= 12);
	assert_int_equal(h->n_tx, n);
	for (unsigned i = 0; i + 1 < n; i++)
		h_expect(h, i, TT_TCP_ACK, iss1(h) + (13 + i) * MSS_TS, h->tcb.rcv_nxt, MSS_TS);
	h_expect(h, n - 1, TT_TCP_ACK | TT_TCP_PSH, iss1(h) + (12 + n) * MSS_TS, h->tcb.rcv_nxt,
		 left - (n - 1) * MSS_TS);
	stream_take(&s, h);
	assert_int_equal(s.len, len);
	assert_memory_equal(s.buf, h->http.keep_alive, len);
	assert_int_equal(ev(h, TT_CTR_APP_TX_BYTES), len);
	h_ack_all(h);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(h->tcb.sndb, TT_SNDB_NONE);
	assert_int_equal(tt_tcp_queued(&h->ctx, &h->tcb), 0);
	/* The next response takes a new send block: the initial window again (RFC 5681 4.1's
	 * restart window, however short the idle), 10 segments, not the grown cwnd. */
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, 10 * MSS_TS);
	assert_int_equal(h->n_tx, 10);
	free(s.buf);
}

/*
 * With a jumbo MSS the initial window is RFC 6928's in bytes: min(10 * MSS, max(2 * MSS,
 * 14600)), two segments of 8948 here, not ten.
 */
static void test_initial_window_jumbo(void **state)
{
	struct harness *h = *state;
	uint32_t mss = 8960 - TT_TCP_TS_OPT_LEN;

	h->conf.mss = 8960;
	h->peer.syn_opts.mss = 8960;
	h_http_body(h, 60000);
	h_connect(h, TT_APP_HTTP);
	assert_int_equal(h->tcb.mss, mss);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, 2 * mss);
	assert_int_equal(h->n_tx, 2);
	h_expect(h, 1, TT_TCP_ACK, iss1(h) + mss, h->tcb.rcv_nxt, mss);
}

static void test_est_peer_window(void **state)
{
	struct harness *h = *state;

	h_http_body(h, 30000);
	h->peer.wnd = 16; /* 2048 bytes with the peer's scale of 7 */
	h_connect(h, TT_APP_HTTP);
	assert_int_equal(h->tcb.snd_wnd, 2048);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	/* 600 more bytes would fit, but a runt while data is in flight is silly-window. */
	expect_full_segments(h, 1, iss1(h));
	h_ack_all(h);
	expect_full_segments(h, 1, iss1(h) + MSS_TS);
	h->peer.wnd = 64;
	h_ack_all(h);
	assert_int_equal(h->tcb.snd_wnd, 8192);
	expect_full_segments(h, 5, iss1(h) + 2 * MSS_TS);
}

static void test_est_out_of_order(void **state)
{
	static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
	struct harness *h = *state;
	struct tt_tcp_seg s;

	h_connect(h, H_APP_REC);
	s = h_seg(h, TT_TCP_ACK, text + 20, 20);
	s.seq += 20;
	h_rx(h, &s, &h->scratch);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1, 0);
	assert_int_equal(h->app.rx_len, 0);
	assert_int_equal(ev(h, TT_CTR_DUP_ACKS_SENT), 1);

	h_send(h, TT_TCP_ACK, text, 20);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 21, 0);
	/* Nothing was kept from the early segment: its retransmission fills in. */
	h_send(h, TT_TCP_ACK, text + 20, 20);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 41, 0);
	assert_int_equal(h->app.rx_len, 40);
	assert_memory_equal(h->app.rx, text, 40);
}

static void test_est_old_data(void **state)
{
	static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
	struct harness *h = *state;
	struct tt_tcp_seg s;

	h_connect(h, H_APP_REC);
	h_send(h, TT_TCP_ACK, text, 30);
	/* An old duplicate: ACK, deliver nothing. */
	s = h_seg(h, TT_TCP_ACK, text, 30);
	s.seq = H_PEER_ISN + 1;
	h_rx(h, &s, &h->scratch);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 31, 0);
	assert_int_equal(h->app.rx_len, 30);
	assert_int_equal(drops(h, TT_DROP_TCP_OUT_OF_WINDOW), 1);
	/* Half old, half new: only the new half goes up. */
	s = h_seg(h, TT_TCP_ACK, text + 20, 20);
	s.seq = H_PEER_ISN + 21;
	h_rx(h, &s, &h->scratch);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 41, 0);
	assert_int_equal(h->app.rx_len, 40);
	assert_memory_equal(h->app.rx, text, 40);
}

/* What the application does not take is not acknowledged: the peer sends it again. */
static void test_est_app_backpressure(void **state)
{
	static const char text[] = "0123456789abcdefghijklmnopqrstuv";
	struct harness *h = *state;
	struct tt_tcp_seg s;

	h_connect(h, H_APP_REC);
	h->app.accept = 10;
	s = h_seg(h, TT_TCP_ACK, text, 30);
	h_rx(h, &s, &h->scratch);
	assert_int_equal(h->app.rx_len, 10);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 11, 0);
	assert_int_equal(drops(h, TT_DROP_TCP_RCV_QUEUE_FULL), 1);
	h->app.accept = UINT32_MAX;
	h_rx(h, &s, &h->scratch);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 31, 0);
	assert_int_equal(h->app.rx_len, 30);
	assert_memory_equal(h->app.rx, text, 30);
}

static void test_est_window_trim(void **state)
{
	static uint8_t big[5000];
	struct harness *h = *state;

	memset(big, 'z', sizeof(big));
	h->conf.rcv_window = 4096;
	h_peer_plain(h, 1460);
	h_connect(h, H_APP_REC);
	assert_int_equal(h->tcb.rcv_wscale, 0);
	/* 5000 bytes and a FIN into a 4096-byte window: the tail and the FIN are cut. */
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, big, sizeof(big));
	assert_int_equal(h->app.rx_len, 4096);
	assert_int_equal(h->app.fins, 0);
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1 + 4096, 0);
	assert_int_equal(h->tx[0].a.wnd, 4096);
	assert_int_equal(h->tx[0].a.opts.present, 0);
}

static void test_est_paws(void **state)
{
	struct harness *h = *state;
	struct tt_tcp_seg s;
	uint32_t recent;

	h_connect(h, H_APP_REC);
	h_send_str(h, TT_TCP_ACK, "0123456789");
	recent = h->tcb.ts_recent;
	assert_int_equal(recent, h->peer.tsval - 1);
	s = h_seg(h, TT_TCP_ACK, "abcdefghij", 10);
	s.opts.tsval = recent - 1;
	h_rx(h, &s, &h->scratch);
	assert_int_equal(h->v, TT_V_KEEP);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 11, 0);
	assert_int_equal(h->app.rx_len, 10);
	assert_int_equal(drops(h, TT_DROP_TCP_PAWS), 1);
	assert_int_equal(h->tcb.ts_recent, recent);
	/* The same timestamp again is not older: accepted. */
	s.opts.tsval = recent;
	h_rx(h, &s, &h->scratch);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 21, 0);
	assert_int_equal(h->app.rx_len, 20);
}

/* RFC 5961 3.2. */
static void test_est_rst(void **state)
{
	static const struct {
		const char *name;
		uint8_t flags;
		int32_t delta; /* from RCV.NXT */
		int32_t ts_delta;
		enum tt_tcp_verdict want;
		unsigned acks;
		enum tt_drop drop;
	} cases[] = {
	    {"exact", TT_TCP_RST, 0, 0, TT_V_FREE, 0, TT_DROP_COUNT},
	    {"exact with ACK", TT_TCP_RST | TT_TCP_ACK, 0, 0, TT_V_FREE, 0, TT_DROP_COUNT},
	    {"exact, old timestamp", TT_TCP_RST, 0, -100, TT_V_FREE, 0, TT_DROP_COUNT},
	    {"in window", TT_TCP_RST, 1000, 0, TT_V_KEEP, 1, TT_DROP_COUNT},
	    {"last byte of window", TT_TCP_RST, 65534, 0, TT_V_KEEP, 1, TT_DROP_COUNT},
	    {"right of window", TT_TCP_RST, 65535, 0, TT_V_KEEP, 0, TT_DROP_TCP_OUT_OF_WINDOW},
	    {"left of window", TT_TCP_RST, -1, 0, TT_V_KEEP, 0, TT_DROP_TCP_OUT_OF_WINDOW},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = connected(H_APP_REC);
		struct tt_tcp_seg s = h_seg(h, cases[i].flags, NULL, 0);

		print_message("case: %s\n", cases[i].name);
		s.seq += (uint32_t)cases[i].delta;
		s.opts.tsval += (uint32_t)cases[i].ts_delta;
		h_rx(h, &s, &h->scratch);
		assert_int_equal(h->v, cases[i].want);
		assert_int_equal(h->n_tx, cases[i].acks);
		if (cases[i].acks)
			h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1, 0);
		assert_int_equal(ev(h, TT_CTR_CHALLENGE_ACKS), cases[i].acks);
		assert_int_equal(ev(h, TT_CTR_CONN_RESET_RX), cases[i].want == TT_V_FREE);
		if (cases[i].drop != TT_DROP_COUNT)
			assert_int_equal(drops(h, cases[i].drop), 1);
		if (cases[i].want == TT_V_KEEP)
			assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
		h_free(h);
	}
}

/* RFC 5961 4.2: a SYN on a synchronized connection only earns an ACK. */
static void test_est_syn(void **state)
{
	static const struct {
		const char *name;
		int32_t delta;
		unsigned challenges;
	} cases[] = {
	    {"at RCV.NXT", 0, 1},
	    {"inside the window", 5000, 1},
	    {"the original SYN", -1, 0},
	    {"far away", 0x40000000, 0},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = connected(H_APP_REC);
		struct tt_tcp_seg s = h_seg(h, TT_TCP_SYN, NULL, 0);

		print_message("case: %s\n", cases[i].name);
		s.seq += (uint32_t)cases[i].delta;
		s.opts.tsval = h->peer.tsval;
		h_rx(h, &s, &h->scratch);
		assert_int_equal(h->v, TT_V_KEEP);
		assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1, 0);
		assert_int_equal(ev(h, TT_CTR_CHALLENGE_ACKS), cases[i].challenges);
		assert_int_equal(h->app.opens, 1);
		h_free(h);
	}
}

/* RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.MAX]. */
static void test_est_bad_ack(void **state)
{
	static const int32_t delta[] = {1, 1000, -70000};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(delta); i++) {
		struct harness *h = connected(H_APP_REC);

		h->peer.ack = h->tcb.snd_max + (uint32_t)delta[i];
		h_send_str(h, TT_TCP_ACK, "data");
		assert_int_equal(h->v, TT_V_KEEP);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1, 0);
		assert_int_equal(h->app.rx_len, 0);
		assert_int_equal(h->tcb.snd_una, iss1(h));
		assert_int_equal(drops(h, TT_DROP_TCP_BAD_ACK), 1);
		h_free(h);
	}
}

/* ---- retransmission ---- */

static void test_rto_go_back_n(void **state)
{
	struct harness *h = *state;
	uint32_t len, max;

	h_http_body(h, 5000);
	len = h->http.keep_alive_len;
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(h->n_tx, 4);
	max = h->tcb.snd_max;
	assert_int_equal(max, iss1(h) + len);

	h_fire(h);
	assert_int_equal(h->ctx.now_ms, H_T0_MS + 1000);
	assert_int_equal(h->v, TT_V_KEEP);
	expect_full_segments(h, 1, iss1(h));
	assert_memory_equal(h->tx[0].data, h->http.keep_alive, MSS_TS);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, MSS_TS);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->ssthresh, 2 * MSS_TS);
	assert_int_equal(tt_tcp_rto_ms(&h->tcb), 2000);
	assert_int_equal(h->tcb.snd_max, max);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), H_T0_MS + 3000);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITS), 1);

	/* The ACK of the resent segment: RTT 100 ms from its timestamp, slow start resumes. */
	h->ctx.now_ms += 100;
	h->peer.ack = iss1(h) + MSS_TS;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(tt_tcp_rto_ms(&h->tcb), 300);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, 2 * MSS_TS);
	expect_full_segments(h, 2, iss1(h) + MSS_TS);
	h->peer.ack = iss1(h) + 3 * MSS_TS;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, 2 * MSS_TS + MSS_TS / 2);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, iss1(h) + 3 * MSS_TS, h->tcb.rcv_nxt,
		 len - 3 * MSS_TS);
	h_ack_all(h);
	assert_int_equal(h->tcb.snd_una, max);
	assert_int_equal(h->tcb.rto_deadline_ms, 0);
	assert_int_equal(ev(h, TT_CTR_APP_TX_BYTES), len);
}

/* A GET answered with a 30,000-byte body: the first ten segments of it in flight. */
static void flight_of_ten(struct harness *h)
{
	h_http_body(h, 30000);
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(h->n_tx, 10);
}

static void test_fast_retransmit(void **state)
{
	struct harness *h = *state;
	uint16_t wnd;

	flight_of_ten(h);
	/* The first segment was lost: every later one brings a duplicate ACK. */
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 0);
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 0);
	/* A window update is not a duplicate. */
	wnd = h->peer.wnd;
	h->peer.wnd = (uint16_t)(wnd + 1);
	h_send(h, TT_TCP_ACK, NULL, 0);
	h->peer.wnd = wnd;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 0);
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), h->tcb.rcv_nxt, MSS_TS);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive, MSS_TS);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 1);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->ssthresh, 5 * MSS_TS);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, 5 * MSS_TS);
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 1);
	/* The hole is filled: recovery ends with cwnd = ssthresh (RFC 6582 3.2 step 3). */
	h_ack_all(h);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, 5 * MSS_TS);
	expect_full_segments(h, 5, iss1(h) + 10 * MSS_TS);
}

/* Two holes in one flight: the partial ACK sends the second at once (NewReno). */
static void test_partial_ack(void **state)
{
	struct harness *h = *state;

	flight_of_ten(h);
	/* Segments 0 and 2 were lost: three duplicate ACKs for segment 0. */
	for (int i = 0; i < 3; i++)
		h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), h->tcb.rcv_nxt, MSS_TS);
	/* Segment 0 arrived again: the ACK stops at segment 2, short of the recovery point. */
	h->peer.ack = iss1(h) + 2 * MSS_TS;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_true(h->n_tx >= 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h) + 2 * MSS_TS, h->tcb.rcv_nxt, MSS_TS);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 2);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITS), 0);
}

/*
 * Karn (RFC 6298 3): a segment sent again gives no RTT sample.  Without timestamps the first
 * segment of a flight is timed; lost, it is sent again by the fast retransmit, and the ACK
 * that covers it 5 s later leaves SRTT and the RTO as they were.  It was taken as a 5 s
 * sample.  (A zero-window probe, which sends the first unacknowledged byte again, stops the
 * timing the same way.)
 */
static void test_fast_retransmit_takes_no_rtt_sample(void **state)
{
	struct harness *h = *state;
	uint16_t srtt, rto;

	h_http_body(h, 30000);
	h_peer_plain(h, 1460);
	h_connect(h, TT_APP_HTTP);
	srtt = h->tcb.srtt_ms8;
	rto = h->tcb.rto_2ms;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_true(h->tcb.flags & TT_TCB_RTT_TIMING);
	for (int i = 0; i < 3; i++)
		h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), h->tcb.rcv_nxt, 1460);
	h->ctx.now_ms += 5000;
	h->peer.ack = iss1(h) + 2 * 1460;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->tcb.snd_una, iss1(h) + 2 * 1460);
	assert_int_equal(h->tcb.srtt_ms8, srtt);
	assert_int_equal(h->tcb.rto_2ms, rto);
}

/* An ICMP "too big" error about the segment at seq, MTU mtu: what the connection sends. */
static void too_big(struct harness *h, uint32_t seq, uint32_t mtu)
{
	struct tt_tcp_out out = {.n = 0};

	h->n_tx = 0;
	assert_int_equal(tt_tcp_too_big(&h->ctx, &h->tcb, seq, mtu, &out), TT_V_KEEP);
	h_capture(h, &out);
}

/*
 * Path MTU discovery (RFC 1191): ten full segments in flight, an ICMP error quoting the second
 * with MTU 1000 lowers the segment size to 948 (1000 less 40 bytes of headers and 12 of the
 * timestamp option) and sends the flight again from SND.UNA at that size, cwnd unchanged;
 * later data goes at that size too.  A quote outside [SND.UNA, SND.MAX) (RFC 5927 5.2), or an
 * MTU no smaller than the path's, changes nothing; an MTU below the floor is taken as 552.
 */
static void test_too_big_lowers_mss(void **state)
{
	struct harness *h = *state;
	uint32_t cwnd;

	flight_of_ten(h);
	cwnd = tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd;
	/* Stale: below SND.UNA, at SND.MAX; no smaller: 1500. */
	too_big(h, iss1(h) - 1, 1000);
	too_big(h, h->tcb.snd_max, 1000);
	assert_int_equal(drops(h, TT_DROP_ICMP_TOO_BIG_STALE), 2);
	too_big(h, iss1(h), 1500);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(h->tcb.mss, MSS_TS);
	assert_int_equal(ev(h, TT_CTR_PATH_MTU_LOWERED), 0);

	too_big(h, iss1(h) + MSS_TS, 1000);
	assert_int_equal(h->tcb.mss, 948);
	assert_int_equal(ev(h, TT_CTR_PATH_MTU_LOWERED), 1);
	assert_true(h->n_tx >= 1);
	for (unsigned k = 0; k < h->n_tx; k++)
		h_expect(h, k, TT_TCP_ACK, iss1(h) + k * 948, h->tcb.rcv_nxt, 948);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, cwnd);
	/* The peer takes the first two: what follows goes at 948 bytes. */
	h->peer.ack = iss1(h) + 2 * 948;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_true(h->n_tx > 0);
	for (unsigned k = 0; k < h->n_tx; k++)
		assert_true(h->tx[k].len <= 948);
	/* Below the floor: 552, a segment of 500 with the option. */
	too_big(h, h->tcb.snd_una, 68);
	assert_int_equal(h->tcb.mss, 552 - 40 - 12);
	assert_int_equal(ev(h, TT_CTR_PATH_MTU_LOWERED), 2);
}

/*
 * A path MTU learned is kept for the peer (tt_pmtu_cache.h): its next connections, opened by
 * SYN-RECEIVED or by a SYN cookie whose ACK brings the request, begin at the size the first was
 * lowered to and send their responses in segments of that size; TT_PMTU_CACHE_MS after the
 * error, a new connection is back at the full size.
 */
static void test_too_big_kept_for_later_connections(void **state)
{
	static const enum tt_syncookie_mode modes[] = {TT_SYNCOOKIES_OFF, TT_SYNCOOKIES_ALWAYS,
						       TT_SYNCOOKIES_OFF};
	static const uint16_t want_mss[] = {948, 948, MSS_TS};
	struct harness *h = *state;

	flight_of_ten(h);
	too_big(h, iss1(h), 1000);
	assert_int_equal(h->tcb.mss, 948);
	assert_int_equal(ev(h, TT_CTR_PATH_MTU_FROM_CACHE), 0);
	for (unsigned i = 0; i < ARRAY_LEN(modes); i++) {
		h_send(h, TT_TCP_RST, NULL, 0);
		assert_false(h->tcb_live);
		if (i == 2)
			h->ctx.now_ms += TT_PMTU_CACHE_MS;
		h->conf.syncookies = modes[i];
		h->listen_app = TT_APP_HTTP;
		h_send(h, TT_TCP_SYN, NULL, 0);
		assert_int_equal(h->n_tx, 1);
		/* (Our new ISS may lie below what the peer's last connection saw.) */
		h->peer.ack = h->tx[0].a.seq + 1;
		if (modes[i] == TT_SYNCOOKIES_OFF) {
			assert_int_equal(h->lv, TT_L_NEW_SYN_RECV);
			assert_int_equal(h->tcb.mss, want_mss[i]);
		} else {
			assert_int_equal(h->lv, TT_L_SYNACK_COOKIE);
		}
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
		assert_true(h->tcb_live);
		assert_int_equal(h->tcb.mss, want_mss[i]);
		assert_true(h->n_tx > 1);
		for (unsigned k = 0; k < h->n_tx; k++)
			assert_true(h->tx[k].len <= want_mss[i]);
		assert_int_equal(h->tx[0].len, want_mss[i]);
		assert_int_equal(ev(h, TT_CTR_PATH_MTU_FROM_CACHE), i < 2 ? i + 1 : 2);
	}
	assert_int_equal(ev(h, TT_CTR_PATH_MTU_LOWERED), 1);
}

/*
 * A clock that puts the listener's ISS within one of iss (RFC 6528's M + F, M counting 4 us):
 * now_ms * 250 = ISS - F mod 2^32 needs ISS - F even (250 = 2 * 125, 125 odd), so iss or the
 * number below it.  Newton's step x *= 2 - 125x doubles the low bits of 125's inverse mod 2^32.
 */
static uint64_t clock_for_iss(const struct harness *h, uint32_t iss)
{
	uint32_t diff = iss - (uint32_t)tt_isn_flow_hash(&h->ctx.isn_secret, &h_flow, NULL);
	uint32_t inv = 125;

	for (int i = 0; i < 5; i++)
		inv *= 2 - 125 * inv;
	return ((diff & ~1u) / 2 * inv) & 0x7fffffffu;
}

/*
 * The quote's range at the wrap: the flight of ten from 2^32 - 2 * 1448 on (SND.MAX past 0).
 * Just below SND.UNA and SND.MAX are stale; 2^32 - 1 and SND.MAX - 1 (past the wrap) are in
 * flight, and the resend runs across the wrap.
 */
static void test_too_big_at_wrap(void **state)
{
	struct harness *h = *state;
	uint32_t una;

	h->ctx.now_ms = clock_for_iss(h, UINT32_MAX - 2 * MSS_TS);
	flight_of_ten(h);
	una = iss1(h);
	assert_true(una >= UINT32_MAX - 2 * MSS_TS && una <= UINT32_MAX - 2 * MSS_TS + 1);
	assert_true(h->tcb.snd_max < una);
	too_big(h, una - 1, 1000);
	too_big(h, h->tcb.snd_max, 1000);
	assert_int_equal(drops(h, TT_DROP_ICMP_TOO_BIG_STALE), 2);
	assert_int_equal(h->tcb.mss, MSS_TS);

	too_big(h, UINT32_MAX, 1000);
	assert_int_equal(h->tcb.mss, 948);
	assert_true(h->n_tx >= 4);
	for (unsigned k = 0; k < h->n_tx; k++)
		h_expect(h, k, TT_TCP_ACK, una + k * 948, h->tcb.rcv_nxt, 948);
	too_big(h, h->tcb.snd_max - 1, 900);
	assert_int_equal(h->tcb.mss, 848);
	assert_int_equal(ev(h, TT_CTR_PATH_MTU_LOWERED), 2);
	assert_int_equal(drops(h, TT_DROP_ICMP_TOO_BIG_STALE), 2);
}

/* In fast recovery the size is lowered but SND.NXT stays: the recovery sends the holes, at the
 * new size (the partial ACK's retransmission), and nothing goes again outside it. */
static void test_too_big_in_recovery(void **state)
{
	struct harness *h = *state;
	uint32_t nxt;

	flight_of_ten(h);
	for (int i = 0; i < 3; i++)
		h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 1);
	nxt = h->tcb.snd_nxt;
	too_big(h, iss1(h), 1000);
	assert_int_equal(h->tcb.mss, 948);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(h->tcb.snd_nxt, nxt);
	/* Segment 0 arrived; segment 1 was lost too: the partial ACK sends it at 948 bytes. */
	h->peer.ack = iss1(h) + MSS_TS;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_true(h->n_tx >= 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h) + MSS_TS, h->tcb.rcv_nxt, 948);
}

/* Over IPv6 (the TCB's flag, which the worker sets for an IPv6 flow) the floor is 1280, less
 * 60 bytes of headers and 12 of the timestamp option; the largest MTU a Packet Too Big can
 * carry (2^32 - 1) is no smaller than the path's, and an MTU equal to the current size's is
 * taken once. */
static void test_too_big_ipv6_floor(void **state)
{
	/* The connection's addresses, which the stack sets around every call for IPv6. */
	static const struct tt_addr6_pair pair = {.saddr = {0x20, 0x01, 0, 0x02, [15] = 0x01},
						  .daddr = {0x20, 0x01, 0, 0x02, [15] = 0x02}};
	struct harness *h = *state;

	h_http_body(h, 30000);
	h_connect(h, TT_APP_HTTP);
	h->tcb.ipv6 = 1;
	h->ctx.addr6 = &pair;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	too_big(h, iss1(h), UINT32_MAX);
	assert_int_equal(h->tcb.mss, MSS_TS);
	too_big(h, iss1(h), 1000);
	assert_int_equal(h->tcb.mss, 1280 - 60 - 12);
	assert_true(h->n_tx >= 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), h->tcb.rcv_nxt, 1280 - 60 - 12);
	too_big(h, iss1(h), 1280);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(ev(h, TT_CTR_PATH_MTU_LOWERED), 1);
	h->tcb.ipv6 = 0;
	h->ctx.addr6 = NULL;
}

static void test_retries_exhausted(void **state)
{
	static const uint32_t gaps[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
	struct harness *h = *state;
	uint32_t len = h->http.keep_alive_len;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	for (unsigned i = 0; i < ARRAY_LEN(gaps); i++) {
		uint64_t before = h->ctx.now_ms;

		h_fire(h);
		assert_int_equal(h->ctx.now_ms - before, gaps[i]);
		assert_int_equal(h->v, TT_V_KEEP);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, iss1(h), h->tcb.rcv_nxt, len);
		assert_memory_equal(h->tx[0].data, h->http.keep_alive, len);
	}
	h_fire(h);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_RST | TT_TCP_ACK, iss1(h) + len, H_PEER_ISN + 1 + strlen(get_ka), 0);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITS), 8);
	assert_int_equal(ev(h, TT_CTR_CONN_RETRIES_EXHAUSTED), 1);
	assert_int_equal(ev(h, TT_CTR_RST_SENT), 1);
	assert_int_equal(ev(h, TT_CTR_CONN_RESET_TX), 0); /* one end, one reason */
}

/* The peer's window is closed when the response is ready. */
static struct harness *zero_window(void)
{
	struct harness *h = h_new();

	h->peer.wnd = 0;
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), h->peer.nxt, 0);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), h->ctx.now_ms + 1000);
	return h;
}

static void expect_probe(struct harness *h)
{
	h_fire(h);
	assert_int_equal(h->v, TT_V_KEEP);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), h->tcb.rcv_nxt, 1);
	assert_int_equal(h->tx[0].data[0], h->http.keep_alive[0]);
}

static void test_zero_window_opens(void **state)
{
	struct harness *h = zero_window();
	uint32_t len = h->http.keep_alive_len;
	struct stream s;

	(void)state;
	stream_init(&s, iss1(h), len);
	expect_probe(h);
	assert_int_equal(h->ctx.now_ms, H_T0_MS + 1000);
	/* Still closed: the probe byte is not taken. */
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 0);
	expect_probe(h);
	assert_int_equal(h->ctx.now_ms, H_T0_MS + 3000);
	h_send(h, TT_TCP_ACK, NULL, 0);
	/* The window opens without the probe byte: the whole response follows. */
	h->peer.wnd = 512;
	h_send(h, TT_TCP_ACK, NULL, 0);
	stream_take(&s, h);
	assert_true(h->n_tx >= 1);
	assert_int_equal(h->tx[0].a.seq, iss1(h));
	assert_int_equal(s.len, len);
	assert_memory_equal(s.buf, h->http.keep_alive, len);
	assert_int_equal(ev(h, TT_CTR_APP_TX_BYTES), len);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 0);
	free(s.buf);
	h_free(h);
}

/*
 * The window opens just before the probe timer is due (10 ms before the first probe, or before
 * the second): the response goes out then, with a retransmission timer of its own, a whole RTO
 * from now.  The probe's timer, left running, fired 10 ms after the data left and met it as a
 * loss (a retransmission, cwnd down to one segment).
 */
static void test_zero_window_opens_before_the_probe(void **state)
{
	(void)state;
	for (int probes = 0; probes < 2; probes++) {
		struct harness *h = zero_window();
		uint64_t due = h->ctx.now_ms + 1000, rto;

		if (probes) {
			expect_probe(h);
			due = h->ctx.now_ms + tt_tcp_rto_ms(&h->tcb);
		}
		h->ctx.now_ms = due - 10;
		h->peer.wnd = 512;
		h_send(h, TT_TCP_ACK, NULL, 0);
		assert_true(h->n_tx >= 1);
		assert_int_equal(h->tx[0].a.seq, iss1(h));
		rto = tt_tcp_rto_ms(&h->tcb);
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), h->ctx.now_ms + rto);
		h_fire(h);
		assert_int_equal(h->ctx.now_ms, due - 10 + rto);
		assert_int_equal(ev(h, TT_CTR_RETRANSMITS), (uint64_t)probes + 1);
		h_free(h);
	}
}

static void test_zero_window_probe_taken(void **state)
{
	struct harness *h = zero_window();
	uint32_t len = h->http.keep_alive_len;

	(void)state;
	expect_probe(h);
	h->peer.wnd = 512;
	h->peer.ack = iss1(h) + 1;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, iss1(h) + 1, h->tcb.rcv_nxt, len - 1);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive + 1, len - 1);
	assert_int_equal(ev(h, TT_CTR_APP_TX_BYTES), len);
	h_free(h);
}

/* RFC 1122 4.2.2.17: a peer that answers the probes keeps the connection. */
/* A peer that answers the probes of its closed window is not given up by the retry count... */
static void test_zero_window_peer_alive(void **state)
{
	struct harness *h = zero_window();

	(void)state;
	h->conf.persist_timeout_ms = 3600000;
	for (unsigned i = 0; i < 2u * h->conf.max_retries; i++) {
		expect_probe(h);
		h_send(h, TT_TCP_ACK, NULL, 0);
		assert_int_equal(h->n_tx, 0);
	}
	assert_int_equal(tt_tcp_rto_ms(&h->tcb), h->conf.rto_max_ms);
	assert_int_equal(ev(h, TT_CTR_CONN_RETRIES_EXHAUSTED), 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 0);
	h_free(h);
}

/* ...but only for persist_timeout_ms from when its window closed on our data. */
static void test_zero_window_persist_bound(void **state)
{
	struct harness *h = zero_window();
	uint64_t closed_at = h->ctx.now_ms;
	unsigned probes = 0;

	(void)state;
	h->conf.persist_timeout_ms = 20000;
	while (h->tcb_live && probes < 100) {
		h_fire(h);
		if (!h->tcb_live)
			break;
		probes++;
		h_send(h, TT_TCP_ACK, NULL, 0); /* still zero */
		assert_true(h->tcb_live);
	}
	assert_false(h->tcb_live);
	assert_int_equal(h->ctx.now_ms, closed_at + 20000);
	assert_true(probes >= 4);
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].a.flags, TT_TCP_RST | TT_TCP_ACK);
	assert_int_equal(ev(h, TT_CTR_CONN_PERSIST_TIMEOUT), 1);
	assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 1);
	h_free(h);
}

/*
 * The persist clock runs from when the window first kept our data back until the peer takes a
 * segment's worth: not stopped by a window that opens, nor by ACKs of fewer bytes (a byte
 * through a window of one, the probe's); stopped by an ACK of a whole segment, and started
 * anew there by a window that keeps data back again.
 */
static void test_zero_window_persist_restarts(void **state)
{
	struct harness *h = h_new();
	uint32_t since;

	(void)state;
	h->conf.persist_timeout_ms = 20000;
	h_http_body(h, 30000);
	h->peer.syn_opts.present &= (uint8_t)~TT_OPT_WSCALE; /* its window in bytes */
	h->peer.wnd = 0;
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	since = h_sndq_block(h)->persist_since_ms;
	assert_int_equal(since, (uint32_t)h->ctx.now_ms);
	h->ctx.now_ms += 5000;
	h->peer.wnd = 1; /* one byte: the window is open again */
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].len, 1);
	h->ctx.now_ms += 5000;
	h->peer.ack = h->peer.rcv_max; /* that byte taken */
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h_sndq_block(h)->persist_since_ms, since);
	h->ctx.now_ms += 5000;
	h->peer.wnd = 65535;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_true(h->n_tx > 1);
	assert_int_equal(h_sndq_block(h)->persist_since_ms, since);
	h->ctx.now_ms += 4000;
	h->peer.ack = iss1(h) + 1 + h->tcb.mss;
	h->peer.wnd = 0;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h_sndq_block(h)->persist_since_ms, (uint32_t)h->ctx.now_ms);
	assert_int_equal(h_sndq_block(h)->persist_una, h->peer.ack);
	assert_true(tt_tcp_deadline(&h->ctx, &h->tcb) <= h->ctx.now_ms + 20000);
	assert_int_equal(ev(h, TT_CTR_CONN_PERSIST_TIMEOUT), 0);
	h_free(h);
}

/* A peer that stops answering the probes is given up like any other. */
static void test_zero_window_peer_gone(void **state)
{
	struct harness *h = zero_window();

	(void)state;
	h->conf.persist_timeout_ms = 3600000; /* the retry count ends it first */
	for (unsigned i = 0; i < h->conf.max_retries; i++)
		expect_probe(h);
	h_fire(h);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_RST | TT_TCP_ACK, iss1(h), H_PEER_ISN + 1 + strlen(get_ka), 0);
	assert_int_equal(ev(h, TT_CTR_CONN_RETRIES_EXHAUSTED), 1);
	h_free(h);
}

/* ---- delayed ACK ---- */

/* The first data segments of a connection are ACKed at once (quick-ack). */
static void burn_quickacks(struct harness *h)
{
	for (int i = 0; i < TT_TCP_QUICKACKS; i++) {
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "0123456789");
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), h->peer.nxt, 0);
	}
	assert_int_equal(ev(h, TT_CTR_QUICK_ACKS), TT_TCP_QUICKACKS);
	assert_int_equal(ev(h, TT_CTR_DELAYED_ACKS), 0);
}

/* Past quick-ack, one segment's ACK waits delayed_ack_ms from its arrival, no longer. */
static void test_delack_timer(void **state)
{
	static const uint32_t delays[] = {40, 500, 1};
	struct harness *h = *state;

	for (unsigned i = 0; i < ARRAY_LEN(delays); i++) {
		uint64_t t0;

		print_message("delay %u ms\n", delays[i]);
		h_free(h);
		*state = h = h_new();
		h->conf.delayed_ack_ms = delays[i];
		h_connect(h, H_APP_REC);
		burn_quickacks(h);
		t0 = h->ctx.now_ms;
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "abc");
		assert_int_equal(h->n_tx, 0);
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), t0 + delays[i]);
		/* A segment without data neither moves the deadline nor earns an ACK. */
		h->ctx.now_ms = t0 + delays[i] / 2;
		h_send(h, TT_TCP_ACK, NULL, 0);
		assert_int_equal(h->n_tx, 0);
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), t0 + delays[i]);
		h_fire(h);
		assert_int_equal(h->ctx.now_ms, t0 + delays[i]);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), h->peer.nxt, 0);
		assert_int_equal(ev(h, TT_CTR_DELAYED_ACKS), 1);
		assert_true(tt_tcp_deadline(&h->ctx, &h->tcb) > h->ctx.now_ms + 500);
		assert_int_equal(h->app.rx_len, 10 * TT_TCP_QUICKACKS + 3);
	}
}

/* The second unacknowledged segment is ACKed at once (RFC 1122 4.2.3.2). */
static void test_delack_every_second_segment(void **state)
{
	static uint8_t full[MSS_TS];
	struct harness *h = *state;

	memset(full, 'f', sizeof(full));
	h_connect(h, H_APP_REC);
	burn_quickacks(h);
	for (int round = 0; round < 3; round++) {
		h_send(h, TT_TCP_ACK, full, MSS_TS);
		assert_int_equal(h->n_tx, 0);
		h_send(h, TT_TCP_ACK | TT_TCP_PSH, full, MSS_TS);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), h->peer.nxt, 0);
		assert_int_equal(h->tcb.delack_ms, 0);
	}
	assert_int_equal(ev(h, TT_CTR_DELAYED_ACKS), 0);
	assert_int_equal(ev(h, TT_CTR_QUICK_ACKS), TT_TCP_QUICKACKS);
}

/* Out-of-order data is ACKed at once (a duplicate ACK), and so is the segment that fills the
 * hole and the next ones of the peer's recovery (quick-ack again). */
static void test_delack_out_of_order(void **state)
{
	static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
	struct harness *h = *state;
	struct tt_tcp_seg s;
	uint32_t hole;

	h_connect(h, H_APP_REC);
	burn_quickacks(h);
	h_send_str(h, TT_TCP_ACK, "owed");
	assert_int_equal(h->n_tx, 0);
	hole = h->peer.nxt;
	s = h_seg(h, TT_TCP_ACK, text + 20, 20);
	s.seq += 20;
	h_rx(h, &s, &h->scratch);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), hole, 0);
	assert_int_equal(h->tcb.delack_ms, 0);
	h_send(h, TT_TCP_ACK, text, 20);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), hole + 20, 0);
	assert_int_equal(ev(h, TT_CTR_QUICK_ACKS), TT_TCP_QUICKACKS + 1);
}

/*
 * After out-of-order data the peer recovers hole by hole: every retransmission that moves
 * RCV.NXT is ACKed at once, far beyond the start-up quick-ACKs, even when the data behind the
 * hole was not kept (a segment under 256 bytes is not).
 */
static void test_delack_recovery_acked_at_once(void **state)
{
	static const char text[400];
	struct harness *h = *state;
	struct tt_tcp_seg s;
	uint32_t hole;

	h_connect(h, H_APP_REC);
	burn_quickacks(h);
	hole = h->peer.nxt;
	s = h_seg(h, TT_TCP_ACK, text, 20);
	s.seq += 300;
	h_rx(h, &s, &h->scratch);
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tcb.ooo, TT_TCB_NO_BLOCK);
	for (uint32_t i = 1; i <= 3 * TT_TCP_QUICKACKS; i++) {
		h_send(h, TT_TCP_ACK, text, 10);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), hole + 10 * i, 0);
		assert_int_equal(h->tcb.delack_ms, 0);
	}
}

/* A duplicate of data already ACKed is answered at once: our ACK was lost. */
static void test_delack_duplicate(void **state)
{
	struct harness *h = *state;
	struct tt_tcp_seg s;

	h_connect(h, H_APP_REC);
	burn_quickacks(h);
	s = h_seg(h, TT_TCP_ACK, "0123456789", 10);
	s.seq -= 10;
	h_rx(h, &s, &h->scratch);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), h->peer.nxt, 0);
	assert_int_equal(h->app.rx_len, 10 * TT_TCP_QUICKACKS);
}

/* Requests answered at once: the ACK rides on the response, never a bare ACK, and nothing
 * is left owed for the timer. */
static void test_delack_rides_on_response(void **state)
{
	struct harness *h = *state;
	uint32_t len = h->http.keep_alive_len;

	h_connect(h, TT_APP_HTTP);
	for (int i = 0; i < 2 * TT_TCP_QUICKACKS; i++) {
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, h->tcb.snd_max - len, h->peer.nxt, len);
		assert_int_equal(h->tcb.delack_ms, 0);
		h_ack_all(h);
		assert_int_equal(h->n_tx, 0);
	}
	assert_int_equal(ev(h, TT_CTR_DELAYED_ACKS), 0);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb),
			 h->ctx.now_ms + h->conf.idle_timeout_ms);
}

/* delayed_ack_ms = 0: every segment is ACKed at once, quick-ack or not. */
static void test_delack_off(void **state)
{
	struct harness *h = *state;

	h->conf.delayed_ack_ms = 0;
	h_connect(h, H_APP_REC);
	for (int i = 0; i < 2 * TT_TCP_QUICKACKS; i++) {
		h_send_str(h, TT_TCP_ACK, "x");
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), h->peer.nxt, 0);
	}
	assert_int_equal(ev(h, TT_CTR_QUICK_ACKS), 0);
	assert_int_equal(ev(h, TT_CTR_DELAYED_ACKS), 0);
}

/* ---- passive close ---- */

static void test_passive_close(void **state)
{
	static const struct {
		const char *name;
		const char *last_words;
	} cases[] = {{"FIN alone", ""}, {"data then FIN", "bye"}};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = connected(H_APP_REC);
		uint32_t n = (uint32_t)strlen(cases[i].last_words);

		print_message("case: %s\n", cases[i].name);
		h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
		assert_int_equal(h->tcb.state, TT_TCP_CLOSE_WAIT);
		assert_int_equal(h->app.fins, 1);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 2, 0);

		assert_true(tt_tcp_send(&h->ctx, &h->tcb, cases[i].last_words, n, NULL, 0));
		tt_tcp_close(&h->tcb);
		assert_false(tt_tcp_send(&h->ctx, &h->tcb, "more", 4, NULL, 0));
		h_output(h);
		assert_int_equal(h->tcb.state, TT_TCP_LAST_ACK);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK | TT_TCP_FIN | (n ? TT_TCP_PSH : 0), iss1(h),
			 H_PEER_ISN + 2, n);
		assert_memory_equal(h->tx[0].data, cases[i].last_words, n);
		h_ack_all(h);
		assert_int_equal(h->v, TT_V_FREE);
		assert_int_equal(h->n_tx, 0);
		assert_int_equal(ev(h, TT_CTR_CONN_CLOSED), 1);
		h_free(h);
	}
}

/* Request and FIN together: the whole response still goes out, then our FIN. */
static void test_passive_close_http(void **state)
{
	struct harness *h = *state;
	uint32_t len, fin_ack;
	struct stream s;

	h_http_body(h, 20000);
	len = h->http.keep_alive_len;
	h_connect(h, TT_APP_HTTP);
	stream_init(&s, iss1(h), len);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, get_ka);
	fin_ack = H_PEER_ISN + 2 + (uint32_t)strlen(get_ka);
	assert_int_equal(h->tcb.state, TT_TCP_CLOSE_WAIT);
	expect_full_segments(h, 10, iss1(h));
	assert_int_equal(h->tx[0].a.ack, fin_ack);
	stream_take(&s, h);
	while (h->tcb.state == TT_TCP_CLOSE_WAIT) {
		h_ack_all(h);
		assert_true(h->n_tx > 0);
		stream_take(&s, h);
	}
	assert_int_equal(h->tcb.state, TT_TCP_LAST_ACK);
	assert_int_equal(h->tx[h->n_tx - 1].a.flags, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN);
	assert_int_equal(h->tx[h->n_tx - 1].a.seq + h->tx[h->n_tx - 1].len, iss1(h) + len);
	assert_int_equal(s.len, len);
	assert_memory_equal(s.buf, h->http.keep_alive, len);
	h_ack_all(h);
	assert_int_equal(h->v, TT_V_FREE);
	free(s.buf);
}

static void test_last_ack_fin_again(void **state)
{
	struct harness *h = *state;

	h->app.close_on_fin = true;
	h_connect(h, H_APP_REC);
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->tcb.state, TT_TCP_LAST_ACK);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_FIN, iss1(h), H_PEER_ISN + 2, 0);
	/* Our FIN+ACK was lost: the peer sends its FIN again. */
	h->peer.nxt = H_PEER_ISN + 1;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->tcb.state, TT_TCP_LAST_ACK);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h) + 1, H_PEER_ISN + 2, 0);
	/* Our FIN goes again on the retransmission timer. */
	h_fire(h);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_FIN, iss1(h), H_PEER_ISN + 2, 0);
	h_ack_all(h);
	assert_int_equal(h->v, TT_V_FREE);
}

/* ---- active close ---- */

static void test_active_close(void **state)
{
	static const char *const requests[] = {get_10, get_close};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(requests); i++) {
		struct harness *h = connected(TT_APP_HTTP);
		uint32_t len = h->http.close_len;
		uint32_t peer_fin;

		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, requests[i]);
		assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_1);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, iss1(h), h->peer.nxt, len);
		assert_memory_equal(h->tx[0].data, h->http.close, len);
		h_ack_all(h);
		assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_2);
		assert_int_equal(h->n_tx, 0);
		peer_fin = h->peer.nxt;
		h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
		assert_int_equal(h->v, TT_V_TIME_WAIT);
		assert_true(h->tw_live);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, iss1(h) + len + 1, peer_fin + 1, 0);
		assert_int_equal(h->tw.snd_nxt, iss1(h) + len + 1);
		assert_int_equal(h->tw.rcv_nxt, peer_fin + 1);
		assert_int_equal(h->tw.wnd, h->tx[0].a.wnd);
		assert_int_equal(ev(h, TT_CTR_CONN_CLOSED), 1);
		h_free(h);
	}
}

static void test_fin_wait_1_fin_ack(void **state)
{
	struct harness *h = *state;
	uint32_t fin_end;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_10);
	fin_end = h->tcb.snd_max;
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->v, TT_V_TIME_WAIT);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, fin_end, h->peer.nxt, 0);
}

/* The response and its FIN were lost: they go again together, from SND.UNA. */
static void test_fin_wait_1_retransmit(void **state)
{
	struct harness *h = *state;
	uint32_t len = h->http.close_len;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_10);
	h_fire(h);
	assert_int_equal(h->v, TT_V_KEEP);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, iss1(h), h->peer.nxt, len);
	assert_memory_equal(h->tx[0].data, h->http.close, len);
	assert_int_equal(h->tcb.snd_max, iss1(h) + len + 1);
	h_ack_all(h);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_2);
	assert_int_equal(ev(h, TT_CTR_APP_TX_BYTES), len);
}

/* The peer's window takes only part of the response: the FIN waits for the segment with the
 * last byte, and rides on it. */
static void test_fin_on_last_segment_window(void **state)
{
	struct harness *h = *state;
	uint32_t len;

	h_http_body(h, 1500);
	len = h->http.close_len;
	h_peer_plain(h, 1460);
	h->peer.wnd = 1000;
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_close);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), h->peer.nxt, 1000);
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	h_ack_all(h);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, iss1(h) + 1000, h->peer.nxt,
		 len - 1000);
	assert_memory_equal(h->tx[0].data, h->http.close + 1000, len - 1000);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_1);
	assert_int_equal(h->tcb.snd_max, iss1(h) + len + 1);
	h_ack_all(h);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_2);
	assert_int_equal(h->n_tx, 0);
}

/* The last segment (with our FIN) and the first were lost: the fast retransmit resends the
 * first, the partial ACK that follows resends the last with its FIN. */
static void test_fin_fast_retransmit(void **state)
{
	struct harness *h = *state;
	uint32_t len, last;

	h_http_body(h, 4 * MSS_TS + 100);
	len = h->http.close_len;
	h_connect(h, TT_APP_HTTP);
	last = iss1(h) + 4 * MSS_TS;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_close);
	assert_int_equal(h->n_tx, 5);
	h_expect(h, 4, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, last, h->peer.nxt, len - 4 * MSS_TS);
	for (int i = 0; i < 3; i++)
		h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), h->peer.nxt, MSS_TS);
	h->peer.ack = last;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, last, h->peer.nxt, len - 4 * MSS_TS);
	assert_memory_equal(h->tx[0].data, h->http.close + 4 * MSS_TS, len - 4 * MSS_TS);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 2);
	h_ack_all(h);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_2);
}

/* The peer's last data and its FIN in one segment: one ACK covers both. */
static void test_peer_fin_with_data(void **state)
{
	struct harness *h = *state;

	h_connect(h, H_APP_REC);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, "bye");
	assert_int_equal(h->tcb.state, TT_TCP_CLOSE_WAIT);
	assert_int_equal(h->app.rx_len, 3);
	assert_int_equal(h->app.fins, 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h), H_PEER_ISN + 1 + 3 + 1, 0);
}

static void test_fin_wait_2_timeout(void **state)
{
	struct harness *h = *state;
	uint64_t since;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_10);
	h->ctx.now_ms += 20;
	h_ack_all(h);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_2);
	since = h->ctx.now_ms;
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), since + 60000);
	h_fire_at(h, since + 30000); /* a timer armed for something earlier */
	assert_int_equal(h->v, TT_V_KEEP);
	assert_int_equal(h->n_tx, 0);
	h_fire(h);
	assert_int_equal(h->ctx.now_ms, since + 60000);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 1);
}

static void test_simultaneous_close(void **state)
{
	struct harness *h = *state;
	uint32_t fin_end, peer_fin;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_10);
	fin_end = h->tcb.snd_max;
	/* The peer's FIN crosses ours: it acknowledges the data only. */
	h->peer.ack = fin_end - 1;
	peer_fin = h->peer.nxt;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->v, TT_V_KEEP);
	assert_int_equal(h->tcb.state, TT_TCP_CLOSING);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, fin_end, peer_fin + 1, 0);
	h_ack_all(h);
	assert_int_equal(h->v, TT_V_TIME_WAIT);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(h->tw.rcv_nxt, peer_fin + 1);
	assert_int_equal(h->tw.snd_nxt, fin_end);
}

/* ---- TIME-WAIT ---- */

static void to_time_wait(struct harness *h, bool ts)
{
	if (!ts)
		h_peer_plain(h, 1460);
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_10);
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_true(h->tw_live);
}

/* What the worker does with a TIME-WAIT verdict, as the harness saw it. */
static void check_tw_outcome(const struct harness *h, const struct tt_tw *tw,
			     const struct tt_tcp_seg *s, enum tt_tw_verdict want)
{
	assert_int_equal(h->twv, want);
	switch (want) {
	case TT_TW_DROP:
		assert_true(h->tw_live);
		assert_int_equal(h->n_tx, 0);
		break;
	case TT_TW_ACK:
	case TT_TW_ACK_RESTART:
		assert_true(h->tw_live);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, tw->snd_nxt, tw->rcv_nxt, 0);
		assert_int_equal(h->tx[0].a.wnd, tw->wnd);
		assert_int_equal(h->tx[0].a.sport, h_flow.dport);
		assert_int_equal(h->tx[0].a.daddr, h_flow.saddr);
		assert_int_equal(h->tx[0].a.opts.present, tw->ts_ok ? TT_OPT_TS : 0);
		if (tw->ts_ok) {
			assert_int_equal(h->tx[0].a.opts.tsval, h_tsval(h));
			assert_int_equal(h->tx[0].a.opts.tsecr, tw->ts_recent);
		}
		break;
	case TT_TW_REUSE:
		/* The entry is gone and the SYN went to LISTEN. */
		assert_false(h->tw_live);
		assert_int_equal(h->lv, TT_L_NEW_SYN_RECV);
		assert_int_equal(h->tcb.state, TT_TCP_SYN_RECEIVED);
		assert_int_equal(h->tcb.rcv_nxt, s->seq + 1);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_SYN | TT_TCP_ACK, h->iss, s->seq + 1, 0);
		break;
	}
}

static void test_time_wait(void **state)
{
	static const struct {
		const char *name;
		bool ts;
		uint8_t flags;
		int32_t delta; /* seq - RCV.NXT */
		uint32_t len;
		int32_t ts_delta; /* tsval - TS.Recent, or NO_TS */
		enum tt_tw_verdict want;
	} cases[] = {
	    {"FIN again", true, TT_TCP_ACK | TT_TCP_FIN, -1, 0, 0, TT_TW_ACK_RESTART},
	    {"FIN again, no ts", false, TT_TCP_ACK | TT_TCP_FIN, -1, 0, NO_TS, TT_TW_ACK_RESTART},
	    {"RST", true, TT_TCP_RST, 0, 0, 0, TT_TW_DROP},
	    {"RST+ACK", false, TT_TCP_RST | TT_TCP_ACK, 0, 0, NO_TS, TT_TW_DROP},
	    {"SYN, newer ts, lower seq", true, TT_TCP_SYN, -1000, 0, 1, TT_TW_REUSE},
	    {"SYN, older ts, lower seq", true, TT_TCP_SYN, -1000, 0, -1, TT_TW_ACK},
	    {"SYN, older ts, higher seq", true, TT_TCP_SYN, 1000, 0, -1, TT_TW_ACK},
	    {"SYN, same ts, higher seq", true, TT_TCP_SYN, 1000, 0, 0, TT_TW_REUSE},
	    {"SYN, same ts, same seq", true, TT_TCP_SYN, 0, 0, 0, TT_TW_ACK},
	    {"SYN, same ts, lower seq", true, TT_TCP_SYN, -1000, 0, 0, TT_TW_ACK},
	    {"SYN without ts, higher seq", true, TT_TCP_SYN, 1000, 0, NO_TS, TT_TW_REUSE},
	    {"SYN, higher seq", false, TT_TCP_SYN, 1000, 0, NO_TS, TT_TW_REUSE},
	    {"SYN, same seq", false, TT_TCP_SYN, 0, 0, NO_TS, TT_TW_ACK},
	    {"SYN, lower seq", false, TT_TCP_SYN, -1000, 0, NO_TS, TT_TW_ACK},
	    {"data", true, TT_TCP_ACK | TT_TCP_PSH, 0, 10, 1, TT_TW_ACK},
	    {"pure ACK", true, TT_TCP_ACK, 0, 0, 1, TT_TW_DROP},
	    {"pure ACK, no ts", false, TT_TCP_ACK, 0, 0, NO_TS, TT_TW_DROP},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct harness *h = h_new();
		struct tt_tcp_seg s;
		struct tt_tw tw;

		print_message("case: %s\n", cases[i].name);
		to_time_wait(h, cases[i].ts);
		tw = h->tw;
		assert_int_equal(tw.ts_ok, cases[i].ts);
		h->ctx.now_ms += 1000;
		s = h_seg(h, cases[i].flags, "0123456789", cases[i].len);
		s.seq = tw.rcv_nxt + (uint32_t)cases[i].delta;
		s.opts.present = cases[i].ts_delta == NO_TS ? 0 : TT_OPT_TS;
		s.opts.tsval = tw.ts_recent + (uint32_t)cases[i].ts_delta;
		if (cases[i].flags & TT_TCP_SYN) {
			s.opts.present |= TT_OPT_MSS;
			s.opts.mss = 1460;
			s.opts.tsecr = 0;
		}
		h_rx(h, &s, &h->scratch);
		check_tw_outcome(h, &tw, &s, cases[i].want);
		h_free(h);
	}
}

static void test_time_wait_entry(void **state)
{
	struct harness *h = *state;

	assert_int_equal(sizeof(struct tt_tw), 32);
	to_time_wait(h, true);
	assert_int_equal(h->tw.ts_recent, h->peer.tsval - 1);
	assert_int_equal(h->tw.wnd, WND_SCALED);
	assert_int_equal(h->ctx.state_count[TT_TCP_TIME_WAIT], 1);
	tt_tcp_tw_destroy(&h->ctx, &h->tw);
	h->tw_live = false;
	h_check_gauges(h);
}

/* ---- timeouts of idle connections ---- */

static void test_idle_timeout(void **state)
{
	struct harness *h = *state;

	h_connect(h, H_APP_REC);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), H_T0_MS + 300000);
	h->ctx.now_ms += 1000;
	h_send_str(h, TT_TCP_ACK, "ping");
	/* The timer armed for the first deadline fires and finds nothing due. */
	h_fire_at(h, H_T0_MS + 300000);
	assert_int_equal(h->v, TT_V_KEEP);
	assert_int_equal(h->n_tx, 0);
	h_fire(h);
	assert_int_equal(h->ctx.now_ms, H_T0_MS + 301000);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_RST | TT_TCP_ACK, iss1(h), H_PEER_ISN + 5, 0);
	assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 1);
	assert_int_equal(ev(h, TT_CTR_RST_SENT), 1);
	assert_int_equal(ev(h, TT_CTR_CONN_RESET_TX), 0); /* one end, one reason */
}

static void test_close_wait_timeout(void **state)
{
	struct harness *h = *state;

	h_connect(h, H_APP_REC);
	h->ctx.now_ms += 5;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->tcb.state, TT_TCP_CLOSE_WAIT);
	h_fire(h);
	assert_int_equal(h->ctx.now_ms, H_T0_MS + 5 + 60000);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_RST | TT_TCP_ACK, iss1(h), H_PEER_ISN + 2, 0);
	assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 1);
}

/* ---- echo ---- */

/* Echo holds each received segment in a send-queue extent: the window is what they can take. */
#define ECHO_WND (TT_SNDQ_EXTENTS * 1460)

static void fill(struct h_buf *b, uint8_t seed)
{
	for (unsigned i = 0; i < sizeof(b->data); i++)
		b->data[i] = (uint8_t)(seed + i);
}

/* Echo closed by the stack (a drain): the peer's bytes and FIN that follow are read, not
 * echoed, and its FIN is taken (it waited behind refused bytes, until the FIN-WAIT timeout). */
static void test_echo_after_our_close_takes_fin(void **state)
{
	struct harness *h = *state;

	h_connect(h, TT_APP_ECHO);
	tt_tcp_close(&h->tcb);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, "late bytes");
	assert_true(h->tcb.flags & TT_TCB_FIN_RCVD);
	assert_int_equal(h->tcb.rcv_nxt, H_PEER_ISN + 1 + 10 + 1);
	for (unsigned i = 0; i < h->n_tx; i++)
		assert_int_equal(h->tx[i].len, 0); /* nothing echoed */
	assert_true(h->tcb.state == TT_TCP_CLOSING || h->tcb.state == TT_TCP_TIME_WAIT ||
		    h->tcb.state == TT_TCP_LAST_ACK);
}

static void test_echo_release_on_ack(void **state)
{
	struct harness *h = *state;
	struct h_buf *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	fill(a, 1);
	h_peer_plain(h, 1460);
	h_connect(h, TT_APP_ECHO);
	h_send_buf(h, TT_TCP_ACK | TT_TCP_PSH, a, 100);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, iss1(h), H_PEER_ISN + 101, 100);
	assert_memory_equal(h->tx[0].data, a->data, 100);
	assert_int_equal(h->tx[0].a.wnd, ECHO_WND - 100);
	assert_int_equal(a->refs, 1);
	assert_int_equal(a->retains, 1);
	assert_int_equal(a->releases, 0);

	h->peer.ack = iss1(h) + 40;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->n_tx, 0);
	assert_int_equal(a->refs, 1);
	assert_int_equal(h_sndq(h)->held_bytes, 60);

	h_ack_all(h);
	assert_int_equal(a->refs, 0);
	assert_int_equal(a->releases, 1);
	assert_int_equal(h->tcb.sndb, TT_SNDB_NONE); /* no held bytes: no block at all */
	h_send_str(h, TT_TCP_ACK, "x");
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].a.wnd,
			 ECHO_WND - 101); /* no update for 100 bytes: below two segments */
	free(a);
}

/* An echo connection whose receive window (2,000 bytes) two segments of 1,000 (b[0], b[1])
 * shut: their echoes hold it. */
static void echo_window_shut(struct harness *h, struct h_buf *b)
{
	h->conf.rcv_window = 2000;
	h_connect(h, TT_APP_ECHO);
	for (unsigned i = 0; i < 2; i++) {
		fill(&b[i], (uint8_t)i);
		h_send_buf(h, TT_TCP_ACK | TT_TCP_PSH, &b[i], 1000);
	}
	assert_int_equal(h->tx[0].a.wnd, 0);
}

/*
 * The receive window shut by what the echoes hold: a FIN at RCV.NXT is not acceptable, but
 * its ACK still counts (RFC 9293 3.10.7.4): the echoed bytes it acknowledges go, the window
 * opens, and the FIN sent again is taken.
 */
static void test_echo_shut_window_takes_acks(void **state)
{
	struct harness *h = *state;
	struct h_buf *b = calloc(2, sizeof(*b));
	uint32_t rcv_nxt;

	assert_non_null(b);
	h_peer_plain(h, 1460);
	echo_window_shut(h, b);
	rcv_nxt = h->tcb.rcv_nxt;
	assert_int_equal(h->tcb.rcv_adv, rcv_nxt);
	/* The peer's FIN carries the ACK of both echoes. */
	h->peer.ack = h->tcb.snd_max;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->tcb.snd_una, h->tcb.snd_max);
	assert_int_equal(b[0].refs + b[1].refs, 0);
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	assert_int_equal(drops(h, TT_DROP_TCP_OUT_OF_WINDOW), 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, h->tcb.snd_max, rcv_nxt, 0);
	assert_int_equal(h->tx[0].a.wnd, 2000);
	/* The FIN again, into the open window: taken. */
	h->peer.nxt--;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->tcb.rcv_nxt, rcv_nxt + 1);
	assert_int_not_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	free(b);
}

/*
 * Bytes at the shut window are no duplicate ACK (RFC 5681 2): a peer that probes our closed
 * window a byte at a time, its ACK at SND.UNA with our echoes outstanding, draws no fast
 * retransmit however many probes it sends.  Three did, as their refused bytes left segments
 * of no length.
 */
static void test_echo_shut_window_probes_not_duplicates(void **state)
{
	struct harness *h = *state;
	struct h_buf *b = calloc(3, sizeof(*b));

	assert_non_null(b);
	h->conf.invalid_reply_interval_ms = 0;
	h_peer_plain(h, 1460);
	echo_window_shut(h, b);
	assert_true(h->tcb.snd_una != h->tcb.snd_max);
	h->peer.ack = h->tcb.snd_una;
	fill(&b[2], 2);
	for (unsigned i = 0; i < 5; i++) {
		h_send_buf(h, TT_TCP_ACK | TT_TCP_PSH, &b[2], 1);
		h->peer.nxt--; /* refused: the byte is sent again */
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, h->tcb.snd_max, h->tcb.rcv_nxt, 0);
	}
	assert_int_equal(h->tcb.dupacks, 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 0);
	assert_int_equal(drops(h, TT_DROP_TCP_OUT_OF_WINDOW), 5);
	h_ack_all(h); /* the echoes let go of b before it goes */
	assert_int_equal(b[0].refs + b[1].refs + b[2].refs, 0);
	free(b);
}

/* Data at the shut window with an old timestamp: one drop, as PAWS's, and one ACK. */
static void test_echo_shut_window_paws_counted_once(void **state)
{
	struct harness *h = *state;
	struct h_buf *b = calloc(2, sizeof(*b));
	struct tt_tcp_seg s;

	assert_non_null(b);
	h->conf.rcv_window = 2000;
	h_connect(h, TT_APP_ECHO);
	for (unsigned i = 0; i < 2; i++) {
		fill(&b[i], (uint8_t)i);
		h_send_buf(h, TT_TCP_ACK | TT_TCP_PSH, &b[i], 1000);
	}
	assert_int_equal(h->tcb.rcv_adv, h->tcb.rcv_nxt);
	s = h_seg(h, TT_TCP_ACK | TT_TCP_PSH, "x", 1);
	s.opts.tsval = h->tcb.ts_recent - 1;
	h_rx(h, &s, &h->scratch);
	assert_int_equal(drops(h, TT_DROP_TCP_PAWS), 1);
	assert_int_equal(drops(h, TT_DROP_TCP_OUT_OF_WINDOW), 0);
	assert_int_equal(ev(h, TT_CTR_INVALID_REPLIES_LIMITED), 0);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, h->tcb.snd_max, h->tcb.rcv_nxt, 0);
	h_ack_all(h);
	free(b);
}

/* The window shrinks by what the echoes hold; its right edge never moves left. */
static void test_echo_window(void **state)
{
	struct harness *h = *state;
	struct h_buf *b = calloc(TT_SNDQ_EXTENTS + 1, sizeof(*b));
	uint32_t edge, rcv_nxt;

	assert_non_null(b);
	h_peer_plain(h, 1460);
	h_connect(h, TT_APP_ECHO);
	edge = H_PEER_ISN + 1 + ECHO_WND;
	for (unsigned i = 0; i < TT_SNDQ_EXTENTS; i++) {
		fill(&b[i], (uint8_t)i);
		h_send_buf(h, TT_TCP_ACK | TT_TCP_PSH, &b[i], 1000);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, iss1(h) + i * 1000,
			 H_PEER_ISN + 1 + (i + 1) * 1000, 1000);
		assert_memory_equal(h->tx[0].data, b[i].data, 1000);
		assert_int_equal(h->tx[0].a.wnd, ECHO_WND - (i + 1) * 1000);
		assert_int_equal(h->tx[0].a.ack + h->tx[0].a.wnd, edge);
		assert_int_equal(b[i].refs, 1);
	}
	/* Every extent is taken: the next segment is not accepted, the edge stays. */
	fill(&b[TT_SNDQ_EXTENTS], 0x80);
	rcv_nxt = h->tcb.rcv_nxt;
	h_send_buf(h, TT_TCP_ACK | TT_TCP_PSH, &b[TT_SNDQ_EXTENTS], 1000);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h) + 8000, rcv_nxt, 0);
	assert_int_equal(h->tx[0].a.ack + h->tx[0].a.wnd, edge);
	assert_int_equal(b[TT_SNDQ_EXTENTS].retains, 0);
	assert_int_equal(b[TT_SNDQ_EXTENTS].refs, 0);
	assert_int_equal(drops(h, TT_DROP_TCP_RCV_QUEUE_FULL), 1);

	/* The echoes are acknowledged: every buffer is released, the reopened window is told. */
	h_ack_all(h);
	for (unsigned i = 0; i < TT_SNDQ_EXTENTS; i++) {
		assert_int_equal(b[i].refs, 0);
		assert_int_equal(b[i].releases, 1);
	}
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, iss1(h) + 8000, rcv_nxt, 0);
	assert_int_equal(h->tx[0].a.wnd, ECHO_WND);
	h->peer.nxt = rcv_nxt;
	h_send_buf(h, TT_TCP_ACK | TT_TCP_PSH, &b[TT_SNDQ_EXTENTS], 1000);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, iss1(h) + 8000, rcv_nxt + 1000, 1000);
	assert_int_equal(h->tx[0].a.wnd, ECHO_WND - 1000);
	assert_true((int32_t)(h->tx[0].a.ack + h->tx[0].a.wnd - edge) > 0);
	assert_int_equal(b[TT_SNDQ_EXTENTS].refs, 1);
	h_ack_all(h);
	assert_int_equal(b[TT_SNDQ_EXTENTS].refs, 0);
	assert_int_equal(b[TT_SNDQ_EXTENTS].releases, 1);
	free(b);
}

/* ---- gauges ---- */

static void expect_only(const struct harness *h, enum tt_tcp_state s, uint32_t half_open)
{
	for (unsigned i = 0; i < TT_TCP_NSTATES; i++)
		assert_int_equal(h->ctx.state_count[i], i == (unsigned)s);
	assert_int_equal(h->ctx.half_open, half_open);
}

static void test_gauges_walk(void **state)
{
	struct harness *h = *state;

	h->listen_app = TT_APP_HTTP;
	h_send(h, TT_TCP_SYN, NULL, 0);
	expect_only(h, TT_TCP_SYN_RECEIVED, 1);
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_ACK, NULL, 0);
	expect_only(h, TT_TCP_ESTABLISHED, 0);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_10);
	expect_only(h, TT_TCP_FIN_WAIT_1, 0);
	h_ack_all(h);
	expect_only(h, TT_TCP_FIN_WAIT_2, 0);
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	expect_only(h, TT_TCP_TIME_WAIT, 0);
	h->peer.nxt += 100000;
	h->peer.tsval += 100;
	h_send(h, TT_TCP_SYN, NULL, 0);
	assert_int_equal(h->twv, TT_TW_REUSE);
	expect_only(h, TT_TCP_SYN_RECEIVED, 1);
	h_send(h, TT_TCP_RST, NULL, 0);
	assert_int_equal(h->v, TT_V_FREE);
	for (unsigned i = 0; i < TT_TCP_NSTATES; i++)
		assert_int_equal(h->ctx.state_count[i], 0);
	assert_int_equal(h->ctx.half_open, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listen_syn_recv),
	    cmocka_unit_test(test_listen_cookie),
	    cmocka_unit_test(test_listen_bad_cookie),
	    cmocka_unit_test(test_listen_cookie_ack_only_while_cookies_live),
	    cmocka_unit_test(test_listen_no_conn_segments),
	    cmocka_unit_test(test_listen_cookie_modes),
	    cmocka_unit_test(test_rst_reply),
	    T(test_synrecv_syn_again),
	    T(test_synrecv_other_syn),
	    cmocka_unit_test(test_synrecv_bad_ack),
	    cmocka_unit_test(test_synrecv_ack_out_of_window),
	    cmocka_unit_test(test_synrecv_ack_paws),
	    T(test_synrecv_ack_with_request),
	    T(test_synrecv_ack_with_data),
	    cmocka_unit_test(test_synrecv_rst),
	    T(test_synrecv_retransmit),
	    T(test_synrecv_timeout_bound),
	    T(test_est_data_acked),
	    T(test_est_http_response),
	    T(test_est_http_deep_pipeline),
	    T(test_est_http_pipeline_repeat_when_full),
	    T(test_est_http_repeat_when_full_memo),
	    T(test_est_large_response),
	    T(test_initial_window_jumbo),
	    T(test_est_peer_window),
	    T(test_est_out_of_order),
	    T(test_est_old_data),
	    T(test_est_app_backpressure),
	    T(test_est_window_trim),
	    T(test_est_paws),
	    cmocka_unit_test(test_est_rst),
	    cmocka_unit_test(test_est_syn),
	    cmocka_unit_test(test_est_bad_ack),
	    T(test_rto_go_back_n),
	    T(test_fast_retransmit),
	    T(test_partial_ack),
	    T(test_fast_retransmit_takes_no_rtt_sample),
	    T(test_too_big_lowers_mss),
	    T(test_too_big_kept_for_later_connections),
	    T(test_too_big_at_wrap),
	    T(test_too_big_ipv6_floor),
	    T(test_too_big_in_recovery),
	    T(test_retries_exhausted),
	    cmocka_unit_test(test_zero_window_opens),
	    cmocka_unit_test(test_zero_window_opens_before_the_probe),
	    cmocka_unit_test(test_zero_window_probe_taken),
	    cmocka_unit_test(test_zero_window_peer_alive),
	    cmocka_unit_test(test_zero_window_persist_bound),
	    cmocka_unit_test(test_zero_window_persist_restarts),
	    cmocka_unit_test(test_zero_window_peer_gone),
	    T(test_delack_timer),
	    T(test_delack_every_second_segment),
	    T(test_delack_out_of_order),
	    T(test_delack_recovery_acked_at_once),
	    T(test_delack_duplicate),
	    T(test_delack_rides_on_response),
	    T(test_delack_off),
	    cmocka_unit_test(test_passive_close),
	    T(test_passive_close_http),
	    T(test_last_ack_fin_again),
	    cmocka_unit_test(test_active_close),
	    T(test_fin_wait_1_fin_ack),
	    T(test_fin_wait_1_retransmit),
	    T(test_fin_on_last_segment_window),
	    T(test_fin_fast_retransmit),
	    T(test_peer_fin_with_data),
	    T(test_fin_wait_2_timeout),
	    T(test_simultaneous_close),
	    cmocka_unit_test(test_time_wait),
	    T(test_time_wait_entry),
	    T(test_idle_timeout),
	    T(test_close_wait_timeout),
	    T(test_echo_release_on_ack),
	    T(test_echo_after_our_close_takes_fin),
	    T(test_echo_window),
	    T(test_echo_shut_window_takes_acks),
	    T(test_echo_shut_window_probes_not_duplicates),
	    T(test_echo_shut_window_paws_counted_once),
	    T(test_gauges_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
