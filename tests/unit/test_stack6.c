/*
 * tt_stack over IPv6, through frames (stack_harness.h): handshakes with and without SYN cookies,
 * HTTP, both close orders (a TIME-WAIT entry of its own, taken over by a new SYN), an RST for a
 * closed port, listeners by family, the same ports from an IPv4 and an IPv6 peer kept apart,
 * and the side pool of address pairs at 0, 1 and its full size.
 */
#include "stack_harness.h"

static const char get_req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

/* A request, the whole response, byte for byte, in segments that fit MTU - 60 - options. */
static void get_ok(struct sh *h, struct sh_peer *p)
{
	uint32_t before = p->rx_len;

	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_run(h, 1000, 10, 5000);
	assert_int_equal(p->rx_len - before, h->http.keep_alive_len);
	assert_memory_equal(p->rx + before, h->http.keep_alive, h->http.keep_alive_len);
	assert_true(p->max_payload <= SH_MTU - 60 - TT_TCP_TS_OPT_LEN);
	assert_int_equal(sh_ev(h, TT_CTR_TX_REFUSED_OVERSIZE), 0);
}

static void test_http6(void **state)
{
	static const enum tt_syncookie_mode modes[] = {TT_SYNCOOKIES_OFF, TT_SYNCOOKIES_ALWAYS};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct sh *h = sh_new();
		struct sh_peer *p;

		h->conf.tcp.syncookies = modes[i];
		sh_http_body(h, 20 * 1024);
		sh_start(h);
		p = sh_peer_new6(h, 80);
		sh_connect(p);
		assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_VALIDATED), i);
		assert_int_equal(sh_ev(h, TT_CTR_CONN_OPENED_IPV6), 1);
		get_ok(h, p);
		get_ok(h, p);
		assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
		sh_free(h);
	}
}

/* The peer closes first: no TIME-WAIT here, the pair goes back with the TCB. */
static void test_client_close6(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;

	(void)state;
	sh_start(h);
	p = sh_peer_new6(h, 80);
	sh_connect(p);
	get_ok(h, p);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	sh_run(h, 1000, 10, 100);
	assert_true(p->fin_rcvd);
	assert_int_equal(tt_stack_conn_count(h->st), 0);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_CLOSED), 1);
	sh_free(h);
}

/* We close first: an IPv6 TIME-WAIT entry, re-ACKing a retransmitted FIN over IPv6, taken over
 * by a new SYN of the same 4-tuple, and at last expired. */
static void test_server_close6_time_wait(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;
	unsigned segs;

	(void)state;
	sh_start(h);
	p = sh_closed_by_us(sh_peer_new6(h, 80));
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	/* The FIN again: the entry answers with an ACK to the IPv6 peer. */
	segs = p->segs_rcvd;
	p->nxt--;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	sh_deliver(h);
	assert_int_equal(p->segs_rcvd, segs + 1);
	/* A new incarnation takes the 4-tuple. */
	p->fin_back = false;
	sh_reconnect(p);
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_REUSED), 1);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 0);
	get_ok(h, p);
	/* Closed by us again, then the TIME-WAIT entry expires with its pair. */
	p->fin_back = true;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, sh_get_close, sizeof(sh_get_close) - 1);
	sh_run(h, 0, 1, 100);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	sh_advance(h, h->now + h->conf.tcp.time_wait_ms);
	assert_int_equal(tt_stack_conn_count(h->st), 0);
	sh_free(h);
}

/* The per-family gauges and counters beside the totals (sh_check verifies the gauges against
 * the table after every step): two IPv4 and one IPv6 connection, closed both ways. */
static void test_family_gauges(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *v4a, *v4b, *v6;
	const uint64_t *n6;

	(void)state;
	sh_start(h);
	n6 = tt_stack_state_counts6(h->st);
	v4a = sh_peer_new(h, 80);
	v4b = sh_peer_new(h, 80);
	v6 = sh_peer_new6(h, 80);
	sh_connect(v4a);
	sh_connect(v4b);
	sh_connect(v6);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 3);
	assert_int_equal(n6[TT_TCP_ESTABLISHED], 1);
	/* The IPv6 peer closes first: LAST-ACK, then gone. */
	sh_peer_send(v6, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	sh_run(h, 1000, 10, 100);
	assert_int_equal(n6[TT_TCP_ESTABLISHED], 0);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_CLOSED_IPV6), 1);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_CLOSED), 1);
	/* An IPv4 one the same way: only the total moves. */
	sh_peer_send(v4a, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	sh_run(h, 1000, 10, 100);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_CLOSED), 2);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_CLOSED_IPV6), 1);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
	/* A new IPv6 connection we close: its TIME-WAIT entry counts as IPv6. */
	sh_closed_by_us(sh_peer_new6(h, 80));
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	assert_int_equal(n6[TT_TCP_TIME_WAIT], 1);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_CLOSED_IPV6), 2);
	sh_advance(h, h->now + h->conf.tcp.time_wait_ms);
	assert_int_equal(n6[TT_TCP_TIME_WAIT], 0);
	for (unsigned s = 0; s < TT_TCP_NSTATES; s++)
		assert_int_equal(n6[s], 0);
	sh_free(h);
}

/* No listener (a closed port, or a listener for IPv4 only): an RST over IPv6. */
static void test_rst_for_closed_port6(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p, *q;

	(void)state;
	h->listen_app[7] |= TT_LISTEN_NO_IPV6;
	sh_start(h);
	p = sh_peer_new6(h, 5555);
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_deliver(h);
	assert_true(p->rst_rcvd && !p->synced);
	q = sh_peer_new6(h, 7);
	sh_peer_send(q, TT_TCP_SYN, NULL, 0);
	sh_deliver(h);
	assert_true(q->rst_rcvd && !q->synced);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_NO_LISTENER], 2);
	assert_int_equal(tt_stack_conn_count(h->st), 0);
	sh_free(h);
}

/* The RST budget of an IPv6 source is its /64's: a flood from one address of it uses up what
 * the others in the same /64 would get (the harness's IPv6 peers share one /64). */
static void test_rst_budget_per_64(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *flooder, *neighbour;

	(void)state;
	sh_start(h);
	flooder = sh_peer_new6(h, 81); /* no listener: every SYN earns an RST */
	neighbour = sh_peer_new6(h, 81);
	for (unsigned i = 0; i < 2 * TT_REPLY_BUDGET_PER_MS; i++) {
		sh_peer_send(flooder, TT_TCP_SYN, NULL, 0);
		flooder->nxt += 1000;
	}
	assert_int_equal(h->n_frames, TT_REPLY_BUDGET_PER_MS);
	assert_int_equal(sh_ev(h, TT_CTR_RST_RATE_LIMITED), TT_REPLY_BUDGET_PER_MS);
	sh_drop_frames(h);
	sh_peer_send(neighbour, TT_TCP_SYN, NULL, 0);
	assert_int_equal(h->n_frames, 0);
	assert_int_equal(sh_ev(h, TT_CTR_RST_RATE_LIMITED), TT_REPLY_BUDGET_PER_MS + 1);
	/* The next millisecond refills the bucket. */
	sh_advance(h, h->now + 1);
	sh_peer_send(neighbour, TT_TCP_SYN, NULL, 0);
	sh_deliver(h);
	assert_true(neighbour->rst_rcvd);
	sh_free(h);
}

/* A listener for IPv6 only refuses IPv4 and serves IPv6. */
static void test_listener_ipv6_only(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p4, *p6;

	(void)state;
	h->listen_app[80] |= TT_LISTEN_NO_IPV4;
	sh_start(h);
	p4 = sh_peer_new(h, 80);
	sh_peer_send(p4, TT_TCP_SYN, NULL, 0);
	sh_deliver(h);
	assert_true(p4->rst_rcvd);
	p6 = sh_peer_new6(h, 80);
	sh_connect(p6);
	get_ok(h, p6);
	sh_free(h);
}

/* An IPv4 and an IPv6 peer on the same ports (and the IPv6 one's address hash unknown to the
 * IPv4 one): two connections, each its own bytes. */
static void test_same_ports_both_families(void **state)
{
	enum { N = 3000 };
	static uint8_t d4[N], d6[N];
	struct sh *h = sh_new();
	struct sh_peer *p4, *p6;

	(void)state;
	for (unsigned i = 0; i < N; i++) {
		d4[i] = (uint8_t)i;
		d6[i] = (uint8_t)(255 - i * 3);
	}
	sh_start(h);
	p4 = sh_peer_new(h, 7);
	p6 = sh_peer_new6(h, 7);
	p6->port = p4->port;
	sh_connect(p4);
	sh_connect(p6);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 2);
	sh_peer_send(p4, TT_TCP_ACK | TT_TCP_PSH, d4, 1000);
	sh_peer_send(p6, TT_TCP_ACK | TT_TCP_PSH, d6, 1000);
	sh_peer_send(p6, TT_TCP_ACK | TT_TCP_PSH, d6 + 1000, 1000);
	sh_peer_send(p4, TT_TCP_ACK | TT_TCP_PSH, d4 + 1000, 2000);
	sh_peer_send(p6, TT_TCP_ACK | TT_TCP_PSH, d6 + 2000, 1000);
	sh_run(h, 1000, 10, 1000);
	assert_int_equal(p4->rx_len, N);
	assert_int_equal(p6->rx_len, N);
	assert_memory_equal(p4->rx, d4, N);
	assert_memory_equal(p6->rx, d6, N);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_FLOW_COLLISION], 0);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_OPENED_IPV6), 1);
	sh_free(h);
}

/* The side pool bounds the IPv6 connections: at n pairs the (n + 1)th is refused with an RST and
 * counted, IPv4 connections are not affected, and a freed pair serves again.  tw4: an IPv4
 * TIME-WAIT entry first, which holds no pair and is not recycled for one. */
static void pairs_case(uint32_t addr6_pairs, unsigned n, bool tw4)
{
	struct sh *h = sh_new();
	struct sh_peer *p[TT_NET_MAX_ADDR6], *extra, *p4;

	h->addr6_pairs = addr6_pairs;
	sh_start(h);
	if (tw4)
		sh_server_closed(h);
	for (unsigned i = 0; i < n; i++) {
		p[i] = sh_peer_new6(h, 80);
		sh_connect(p[i]);
	}
	extra = sh_peer_new6(h, 80);
	sh_peer_send(extra, TT_TCP_SYN, NULL, 0);
	sh_deliver(h);
	assert_true(extra->rst_rcvd && !extra->synced);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP6_PAIRS_FULL], 1);
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_RECYCLED), 0);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), tw4);
	p4 = sh_peer_new(h, 80);
	sh_connect(p4);
	get_ok(h, p4);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), n + 1);
	if (n > 0) { /* one goes (an RST from the peer), the waiting one gets its pair */
		sh_peer_send(p[0], TT_TCP_RST | TT_TCP_ACK, NULL, 0);
		extra->rst_rcvd = false;
		extra->nxt += 1000;
		sh_connect(extra);
		get_ok(h, extra);
	}
	sh_free(h);
}

static void test_pairs_exhausted(void **state)
{
	(void)state;
	pairs_case(TT_STACK_NO_ADDR6, 0, false);
	pairs_case(1, 1, false);
	pairs_case(3, 3, false);
	pairs_case(2, 2, true);
}

/* At the pool's default size (the table's), every connection may be IPv6: a table full of
 * IPv6 connections refuses the next as a full table, not as exhausted pairs. */
static void test_pairs_default_cover_the_table(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p[4], *extra;

	(void)state;
	h->conf.tcp.max_conns_per_core = 16;
	h->conf.tcp.syncookie_threshold = 16;
	sh_start(h);
	for (unsigned i = 0; i < 3; i++) {
		p[i] = sh_peer_new6(h, 80);
		for (unsigned k = 0; k < 5 + (i == 2); k++) { /* 16 connections, 3 addresses */
			p[i]->port = (uint16_t)(50000 + 10 * i + k);
			p[i]->synced = false;
			p[i]->nxt += 1000;
			sh_connect(p[i]);
		}
	}
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 16);
	extra = sh_peer_new6(h, 80);
	sh_peer_send(extra, TT_TCP_SYN, NULL, 0);
	sh_deliver(h);
	assert_true(extra->rst_rcvd);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_TABLE_FULL], 1);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP6_PAIRS_FULL], 0);
	sh_free(h);
}

/* A table full of IPv6 TIME-WAIT entries holds every pair: a new IPv6 connection recycles the
 * oldest entry for its pair, as it would for its table slot, and is not refused. */
static void test_pairs_from_time_wait(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p, *extra;

	(void)state;
	h->conf.tcp.max_conns_per_core = 16;
	sh_start(h);
	p = sh_peer_new6(h, 80);
	p->fin_back = true;
	for (unsigned k = 0; k < 16; k++) {
		p->port = (uint16_t)(50000 + k);
		p->synced = p->fin_rcvd = p->fin_sent = false;
		p->nxt += 1000;
		sh_connect(p);
		sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, sh_get_close, sizeof(sh_get_close) - 1);
		sh_run(h, 0, 1, 100);
	}
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 16);
	extra = sh_peer_new6(h, 80);
	sh_connect(extra);
	get_ok(h, extra);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP6_PAIRS_FULL], 0);
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_RECYCLED), 1);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 15);
	sh_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http6),
	    cmocka_unit_test(test_client_close6),
	    cmocka_unit_test(test_server_close6_time_wait),
	    cmocka_unit_test(test_family_gauges),
	    cmocka_unit_test(test_rst_for_closed_port6),
	    cmocka_unit_test(test_rst_budget_per_64),
	    cmocka_unit_test(test_listener_ipv6_only),
	    cmocka_unit_test(test_same_ports_both_families),
	    cmocka_unit_test(test_pairs_exhausted),
	    cmocka_unit_test(test_pairs_default_cover_the_table),
	    cmocka_unit_test(test_pairs_from_time_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
