/*
 * tt_stack_set_rt: a reloaded configuration generation on a stack with open connections; see
 * stack_harness.h for the frame-level peers.
 */
#include <errno.h>

#include "stack_harness.h"

static const char get_req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

/* Generation 1: http on 80 and 8080 only, a 100-byte body, a long idle timeout. */
struct gen1 {
	struct tt_conf_tcp tcp;
	uint8_t listen_app[65536];
	struct tt_http_response http;
	struct tt_stack_rt rt;
};

static struct gen1 *gen1_new(const struct sh *h)
{
	static const char *const hdrs[] = {"X-Gen: 1"};
	struct gen1 *g = calloc(1, sizeof(*g));
	uint8_t body[100];

	assert_non_null(g);
	g->tcp = h->conf.tcp;
	g->tcp.idle_timeout_ms = 100000;
	g->listen_app[80] = TT_APP_HTTP + 1;
	g->listen_app[8080] = TT_APP_HTTP + 1;
	memset(body, 'z', sizeof(body));
	assert_int_equal(tt_http_response_build(&g->http, 200, hdrs, 1, body, sizeof(body)), 0);
	g->rt = (struct tt_stack_rt){
	    .gen = 1, .conf = &g->tcp, .listen_app = g->listen_app, .app_data = &g->http};
	return g;
}

static void gen1_free(struct gen1 *g)
{
	tt_http_response_free(&g->http);
	free(g);
}

/* The last len bytes the peer received equal want[0..len). */
static void assert_tail(const struct sh_peer *p, const uint8_t *want, uint32_t len)
{
	assert_true(p->rx_len >= len);
	assert_memory_equal(p->rx + p->rx_len - len, want, len);
}

/* What a listing says of the connection of peer p: its next timer, in ms from now. */
struct listed {
	uint16_t port;
	uint64_t timer_ms;
};

static void listed_of(const struct tt_stack_conn *c, void *arg)
{
	struct listed *l = arg;

	if (c->flow.sport == l->port)
		l->timer_ms = c->timer_ms;
}

static uint64_t listed_timer_ms(const struct sh *h, const struct sh_peer *p)
{
	struct listed l = {.port = p->port, .timer_ms = UINT64_MAX};

	sh_list(h, listed_of, &l);
	assert_true(l.timer_ms != UINT64_MAX);
	return l.timer_ms;
}

/*
 * A connection open before the reload keeps its TCP parameters (here its idle timeout) while
 * its next request gets the new response; new connections see the new listeners and timeout;
 * the old generation is held exactly as long as that connection lives.
 */
static void test_generation_applies_to_new_work(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *old, *fresh, *gone;
	struct gen1 *g;
	uint64_t no_listener;

	(void)state;
	h->conf.tcp.idle_timeout_ms = 1000;
	h->conf.tcp.delayed_ack_ms = 0;
	sh_start(h);
	g = gen1_new(h);
	old = sh_peer_new(h, 80);
	sh_connect(old);
	sh_peer_send(old, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_run(h, 0, 1, 100);
	assert_tail(old, h->http.keep_alive, h->http.keep_alive_len);
	assert_int_equal(tt_stack_rt_oldest(h->st), 0);

	assert_int_equal(tt_stack_set_rt(h->st, &g->rt), 0);
	sh_check(h);
	assert_int_equal(tt_stack_rt_oldest(h->st), 0); /* old still reads generation 0 */

	/* The open connection: its next request gets generation 1's response. */
	sh_peer_send(old, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_run(h, 0, 1, 100);
	assert_tail(old, g->http.keep_alive, g->http.keep_alive_len);

	/* New connections: 8080 is new, 9 is gone (RST), 80 answers with the new response. */
	fresh = sh_peer_new(h, 8080);
	sh_connect(fresh);
	sh_peer_send(fresh, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_run(h, 0, 1, 100);
	assert_tail(fresh, g->http.keep_alive, g->http.keep_alive_len);
	/* A listing gives each its own generation's idle bound. */
	assert_true(listed_timer_ms(h, old) <= 1000);
	assert_true(listed_timer_ms(h, fresh) > 1000);
	no_listener = h->ctr.drop[TT_DROP_TCP_NO_LISTENER];
	gone = sh_peer_new(h, 9);
	sh_peer_send(gone, TT_TCP_SYN, NULL, 0);
	sh_deliver(h);
	assert_true(gone->rst_rcvd && !gone->synced);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_NO_LISTENER], no_listener + 1);

	/* Idle: the old connection times out after its own 1 s, the new one does not. */
	sh_run(h, 3000, 100, 1000);
	assert_true(old->rst_rcvd);
	assert_false(fresh->rst_rcvd);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
	assert_int_equal(tt_stack_rt_oldest(h->st), 1);

	sh_free(h); /* before the generation whose response send queues may point into */
	gen1_free(g);
}

/*
 * A connection whose request head trickles in keeps the header timeout it was opened under when
 * a reload shortens it (10 s to 1 s): a segment 2 s later re-arms its timer for its own
 * deadline, not one already passed, and it is reset at 10 s; a connection opened after the
 * reload times out after 1 s.
 */
static void test_http_timeout_of_own_generation(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *old, *fresh;
	struct gen1 *g;

	(void)state;
	h->conf.tcp.delayed_ack_ms = 0;
	sh_start(h);
	h->http.header_timeout_ms = 10000;
	g = gen1_new(h);
	g->http.header_timeout_ms = 1000;
	old = sh_peer_new(h, 80);
	sh_connect(old);
	sh_peer_send(old, TT_TCP_ACK | TT_TCP_PSH, "GET / HT", 8);
	sh_run(h, 0, 1, 100);
	assert_int_equal(tt_stack_set_rt(h->st, &g->rt), 0);
	sh_run(h, 2000, 100, 1000);
	sh_peer_send(old, TT_TCP_ACK | TT_TCP_PSH, "T", 1);
	sh_run(h, 0, 1, 100);
	assert_false(old->rst_rcvd);
	sh_check(h);

	fresh = sh_peer_new(h, 80);
	sh_connect(fresh);
	sh_peer_send(fresh, TT_TCP_ACK | TT_TCP_PSH, "GET / HT", 8);
	sh_run(h, 1500, 100, 1000);
	assert_true(fresh->rst_rcvd);
	assert_false(old->rst_rcvd);
	sh_run(h, 7000, 100, 1000);
	assert_true(old->rst_rcvd);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 0);

	sh_free(h);
	gen1_free(g);
}

/* The SYN-ACK a new peer of h gets on port 80, parsed; its frame is dropped. */
static struct tt_pkt cookie_synack(struct sh *h)
{
	struct sh_peer *p = sh_peer_new(h, 80);
	enum tt_drop reason;
	struct tt_pkt pkt;

	p->ts = true;
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	assert_int_equal(h->n_frames, 1);
	assert_int_equal(
	    tt_net_parse(h->frames[0].data, h->frames[0].len, &h->peer_if, &pkt, &reason),
	    TT_PKT_TCP);
	assert_int_equal(pkt.seg.flags, TT_TCP_SYN | TT_TCP_ACK);
	sh_drop_frames(h);
	return pkt;
}

/*
 * Cookie SYN-ACKs come from a template per interface: a generation with another window and
 * MSS must change the next SYN-ACK, not answer from the template built before.
 */
static void test_cookie_synack_follows_generation(void **state)
{
	struct sh *h = sh_new();
	struct tt_pkt before, after;
	struct gen1 *g;

	(void)state;
	h->conf.tcp.syncookies = TT_SYNCOOKIES_ALWAYS;
	sh_start(h);
	g = gen1_new(h);
	g->tcp.rcv_window = 20000;
	g->tcp.mss = 1200;
	before = cookie_synack(h);
	assert_int_equal(before.seg.wnd,
			 h->conf.tcp.rcv_window < 65535 ? h->conf.tcp.rcv_window : 65535);
	assert_int_equal(before.seg.opts.mss, h->conf.tcp.mss);
	assert_int_equal(tt_stack_set_rt(h->st, &g->rt), 0);
	after = cookie_synack(h);
	assert_int_equal(after.seg.wnd, 20000);
	assert_int_equal(after.seg.opts.mss, 1200);
	assert_int_equal(h->ctr.ev[TT_CTR_SYNCOOKIES_SENT], 2);
	sh_free(h);
	gen1_free(g);
}

/* A generation must be newer, and its slot free of connections of the one it replaces. */
static void test_generation_slot_must_be_free(void **state)
{
	struct sh *h = sh_new();
	struct tt_stack_rt later;
	struct sh_peer *p;
	struct gen1 *g;

	(void)state;
	sh_start(h);
	g = gen1_new(h);
	assert_int_equal(tt_stack_set_rt(h->st, &g->rt), 0);
	p = sh_peer_new(h, 80); /* opened under generation 1 (slot 1) */
	sh_connect(p);
	assert_int_equal(tt_stack_set_rt(h->st, &g->rt), -EBUSY);
	later = g->rt;
	later.gen = 1 + TT_STACK_RT_GENS; /* slot 1 again: still held by p */
	assert_int_equal(tt_stack_set_rt(h->st, &later), -EBUSY);
	later.gen = TT_STACK_RT_GENS; /* slot 0: generation 0 has no connection left */
	assert_int_equal(tt_stack_set_rt(h->st, &later), 0);
	assert_int_equal(tt_stack_rt_oldest(h->st), 1);
	later.gen = 3;
	assert_int_equal(tt_stack_set_rt(h->st, &later), -EBUSY); /* older than the latest */
	sh_check(h);
	sh_free(h);
	gen1_free(g);
}

/* h started (every segment ACKed at once), and generation 1 retiring the ones it replaces after
 * grace_ms, resetting what is left drain_ms later. */
static struct gen1 *retiring_start(struct sh *h, uint32_t grace_ms, uint32_t drain_ms)
{
	struct gen1 *g;

	h->conf.tcp.delayed_ack_ms = 0;
	sh_start(h);
	g = gen1_new(h);
	g->tcp.reload_grace_ms = grace_ms;
	g->tcp.drain_timeout_ms = drain_ms;
	return g;
}

/* A new connection to port 80 whose peer answers our FIN with its own. */
static struct sh_peer *polite_peer(struct sh *h)
{
	struct sh_peer *p = sh_peer_new(h, 80);

	p->fin_back = true;
	sh_connect(p);
	return p;
}

/*
 * tcp.reload_grace_ms after a reload, the replaced generation's connections are drained: an idle
 * one and a busy one get a FIN after what was queued (the busy one's response whole), one whose
 * handshake completes later gets it at once, and what is still open drain_timeout_ms later is
 * reset; a connection of the new generation is not touched, and the old generation is released.
 */
static void test_replaced_generation_drained_after_grace(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *idle, *busy, *late, *fresh;
	struct gen1 *g;
	uint64_t t0;

	(void)state;
	g = retiring_start(h, 2000, 500);
	idle = polite_peer(h);
	busy = sh_peer_new(h, 80);
	sh_connect(busy);
	late = sh_peer_new(h, 80); /* SYN-RECEIVED: it does not ACK our SYN-ACK */
	late->acks = false;
	sh_peer_send(late, TT_TCP_SYN, NULL, 0);
	sh_deliver(h);
	assert_true(late->synced);
	t0 = h->now;
	assert_int_equal(tt_stack_set_rt(h->st, &g->rt), 0);
	fresh = sh_peer_new(h, 80);
	sh_connect(fresh);

	/* The grace: the requests on busy are answered, nothing is closed. */
	for (uint64_t t = 0; t < 2000; t += 400) {
		sh_peer_send(busy, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
		sh_run(h, 399, 1, 1000);
	}
	sh_run(h, t0 + 1999 - h->now, 1, 1000);
	assert_false(idle->fin_rcvd || busy->fin_rcvd || fresh->fin_rcvd);
	assert_int_equal(sh_ev(h, TT_CTR_RELOAD_CLOSED), 0);

	/* A request just before the grace ends: its response comes whole, then the FIN. */
	sh_peer_send(busy, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_advance(h, t0 + 2000);
	sh_run(h, 0, 1, 1000);
	assert_true(idle->fin_rcvd && busy->fin_rcvd);
	assert_tail(busy, g->http.keep_alive, g->http.keep_alive_len);
	assert_int_equal(sh_ev(h, TT_CTR_RELOAD_CLOSED), 2);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1); /* idle's: it closed too */
	late->acks = true;
	sh_peer_send(late, TT_TCP_ACK, NULL, 0);
	sh_run(h, 0, 1, 1000);
	assert_true(late->fin_rcvd);
	assert_int_equal(sh_ev(h, TT_CTR_RELOAD_CLOSED), 3);
	assert_int_equal(sh_in_state(h, TT_TCP_FIN_WAIT_2), 2); /* busy's and late's peers wait */
	assert_int_equal(tt_stack_rt_oldest(h->st), 0);

	sh_run(h, t0 + 2499 - h->now, 1, 1000);
	assert_false(busy->rst_rcvd || late->rst_rcvd);
	sh_advance(h, t0 + 2500);
	sh_run(h, 0, 1, 1000);
	assert_true(busy->rst_rcvd && late->rst_rcvd);
	assert_int_equal(sh_ev(h, TT_CTR_RELOAD_RESET), 2);
	assert_int_equal(sh_in_state(h, TT_TCP_FIN_WAIT_2), 0);
	assert_int_equal(tt_stack_rt_oldest(h->st), 1);
	assert_false(fresh->fin_rcvd || fresh->rst_rcvd);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
	sh_free(h);
	gen1_free(g);
}

/*
 * A connection opened under each generation and kept busy (a request every 300 ms) no longer
 * holds its generation for ever: reloads go on being taken, one every 1,200 ms, long past
 * TT_STACK_RT_GENS of them, each connection closed gracefully at reload_grace_ms.
 */
static void test_busy_connections_do_not_stop_reloads(void **state)
{
	enum { RELOADS = 3 * TT_STACK_RT_GENS };
	struct sh *h = sh_new();
	struct sh_peer *p[RELOADS + 1];
	struct tt_stack_rt rt[RELOADS + 1];
	struct gen1 *g;

	(void)state;
	g = retiring_start(h, 1000, 50);
	p[0] = polite_peer(h);
	for (unsigned k = 1; k <= RELOADS; k++) {
		rt[k] = g->rt;
		rt[k].gen = k;
		for (unsigned t = 0; t < 1100; t += 300) {
			for (unsigned i = 0; i < k; i++)
				if (!p[i]->fin_rcvd)
					sh_peer_send(p[i], TT_TCP_ACK | TT_TCP_PSH, get_req,
						     sizeof(get_req) - 1);
			sh_run(h, 300, 1, 1000);
		}
		assert_int_equal(tt_stack_set_rt(h->st, &rt[k]), 0);
		p[k] = polite_peer(h);
	}
	for (unsigned i = 0; i <= RELOADS; i++) {
		assert_false(p[i]->rst_rcvd);
		assert_true(p[i]->fin_rcvd == (i < RELOADS - 1));
	}
	assert_int_equal(sh_ev(h, TT_CTR_RELOAD_CLOSED), RELOADS - 1);
	assert_int_equal(sh_ev(h, TT_CTR_RELOAD_RESET), 0);
	assert_int_equal(tt_stack_rt_oldest(h->st), RELOADS - 1);
	sh_free(h);
	gen1_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generation_applies_to_new_work),
	    cmocka_unit_test(test_http_timeout_of_own_generation),
	    cmocka_unit_test(test_generation_slot_must_be_free),
	    cmocka_unit_test(test_cookie_synack_follows_generation),
	    cmocka_unit_test(test_replaced_generation_drained_after_grace),
	    cmocka_unit_test(test_busy_connections_do_not_stop_reloads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
