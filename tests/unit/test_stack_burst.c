/*
 * tt_stack_input_burst: segments of one RX burst that depend on each other.
 *
 * The burst looks every segment up before it runs the first, to prefetch;
 * a segment that inserts or removes a table entry changes what a later
 * segment of the same burst must find.  Each case below puts such a pair in
 * one burst and checks the outcome that handling them one at a time gives:
 * a later segment that acted on the early (stale) lookup would be refused
 * as a duplicate (table full + RST), reach a freed TCB or TIME-WAIT entry
 * (the invariants of tt_stack_check, checked after every burst), or miss
 * the RST its 4-tuple now deserves.
 */
#include "stack_harness.h"

static const char get_req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

/* A started stack answering SYNs by mode, with a table of max_conns. */
static struct sh *started(enum tt_syncookie_mode mode, uint32_t max_conns)
{
	struct sh *h = sh_new();

	h->conf.tcp.syncookies = mode;
	h->conf.tcp.max_conns_per_core = max_conns;
	sh_start(h);
	return h;
}

/* Count the frames waiting for p whose flags are exactly flags. */
static unsigned frames_to(const struct sh *h, const struct sh_peer *p, uint8_t flags)
{
	unsigned n = 0;

	for (unsigned i = 0; i < h->n_frames; i++) {
		enum tt_drop reason;
		struct tt_pkt pkt;

		assert_int_equal(
		    tt_net_parse(h->frames[i].data, h->frames[i].len, &h->peer_if, &pkt, &reason),
		    TT_PKT_TCP);
		n += pkt.daddr == p->addr && pkt.dport == p->port &&
		     (pkt.seg.flags & (TT_TCP_SYN | TT_TCP_ACK | TT_TCP_RST | TT_TCP_FIN)) == flags;
	}
	return n;
}

/* The peer starts a new connection on its 4-tuple with an ISN beyond the old one's. */
static void peer_restart(struct sh_peer *p)
{
	p->nxt += 1u << 20;
	p->synced = false;
	p->fin_rcvd = p->fin_sent = p->rst_rcvd = false;
	p->rx_len = 0;
}

/* A SYN and its retransmission in one burst: the second finds the connection the first made. */
static void test_burst_syn_and_retransmission(void **state)
{
	struct sh *h = started(TT_SYNCOOKIES_OFF, 64);
	struct sh_peer *p = sh_peer_new(h, 80);
	uint32_t isn = p->nxt;

	(void)state;
	sh_burst_begin(h);
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	p->nxt = isn;
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_burst_end(h);
	assert_int_equal(frames_to(h, p, TT_TCP_SYN | TT_TCP_ACK), 2);
	assert_int_equal(h->n_frames, 2);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_TABLE_FULL], 0);
	assert_int_equal(sh_in_state(h, TT_TCP_SYN_RECEIVED), 1);
	sh_deliver(h);
	assert_false(p->rst_rcvd);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
	sh_free(h);
}

/* The ACK that returns a SYN cookie makes the connection; the request and the FIN behind it in
 * the same burst belong to that connection, not to LISTEN. */
static void test_burst_cookie_ack_then_request(void **state)
{
	struct sh *h = started(TT_SYNCOOKIES_ALWAYS, 64);
	struct sh_peer *p = sh_peer_new(h, 80);

	(void)state;
	p->acks = false; /* the handshake's ACK goes into the burst below */
	sh_connect(p);
	assert_int_equal(tt_stack_conn_count(h->st), 0);
	p->acks = true;
	sh_burst_begin(h);
	sh_peer_send(p, TT_TCP_ACK, NULL, 0);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	sh_burst_end(h);
	assert_int_equal(frames_to(h, p, TT_TCP_RST | TT_TCP_ACK) + frames_to(h, p, TT_TCP_RST), 0);
	sh_run(h, 100, 1, 100);
	assert_false(p->rst_rcvd);
	assert_true(p->fin_rcvd);
	assert_int_equal(p->rx_len, h->http.keep_alive_len);
	assert_int_equal(sh_ev(h, TT_CTR_SYNCOOKIES_VALIDATED), 1);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_OPENED), 1);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_TABLE_FULL], 0);
	sh_free(h);
}

/* An RST ends a connection; the SYN behind it in the same burst opens a new one. */
static void test_burst_rst_then_syn(void **state)
{
	struct sh *h = started(TT_SYNCOOKIES_OFF, 64);
	struct sh_peer *p = sh_peer_new(h, 80);

	(void)state;
	sh_connect(p);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
	sh_burst_begin(h);
	sh_peer_send(p, TT_TCP_RST, NULL, 0);
	peer_restart(p);
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_burst_end(h);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_RESET_RX), 1);
	assert_int_equal(frames_to(h, p, TT_TCP_SYN | TT_TCP_ACK), 1);
	assert_int_equal(h->n_frames, 1);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 0);
	assert_int_equal(sh_in_state(h, TT_TCP_SYN_RECEIVED), 1);
	sh_deliver(h);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
	sh_free(h);
}

/* A SYN takes a TIME-WAIT 4-tuple over (RFC 6191); its retransmission in the same burst finds
 * the new connection, not the TIME-WAIT entry that is gone. */
static void test_burst_time_wait_reused(void **state)
{
	struct sh *h = started(TT_SYNCOOKIES_OFF, 64);
	struct sh_peer *p = sh_server_closed(h);
	uint32_t isn;

	(void)state;
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	peer_restart(p);
	isn = p->nxt;
	sh_burst_begin(h);
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	p->nxt = isn;
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_burst_end(h);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 0);
	assert_int_equal(sh_in_state(h, TT_TCP_SYN_RECEIVED), 1);
	assert_int_equal(frames_to(h, p, TT_TCP_SYN | TT_TCP_ACK), 2);
	assert_int_equal(h->n_frames, 2);
	sh_deliver(h);
	assert_false(p->rst_rcvd);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
	assert_int_equal(tt_stack_conn_count(h->st), 1);
	sh_free(h);
}

/* A table full of TIME-WAIT entries: a new connection recycles the oldest entry, and an ACK on
 * that entry's 4-tuple later in the same burst finds no connection (an RST), where the ACK of
 * the next entry's is still absorbed by its TIME-WAIT. */
static void test_burst_time_wait_recycled(void **state)
{
	struct sh *h = started(TT_SYNCOOKIES_OFF, 16);
	struct sh_peer *oldest, *next, *q;

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		sh_server_closed(h);
	oldest = &h->peers[0];
	next = &h->peers[1];
	q = sh_peer_new(h, 80);
	sh_burst_begin(h);
	sh_peer_send(q, TT_TCP_SYN, NULL, 0);
	sh_peer_send(oldest, TT_TCP_ACK, NULL, 0);
	sh_peer_send(next, TT_TCP_ACK, NULL, 0);
	sh_burst_end(h);
	assert_int_equal(sh_ev(h, TT_CTR_TIME_WAIT_RECYCLED), 1);
	assert_int_equal(frames_to(h, q, TT_TCP_SYN | TT_TCP_ACK), 1);
	assert_int_equal(frames_to(h, oldest, TT_TCP_RST), 1);
	assert_int_equal(frames_to(h, next, TT_TCP_RST), 0);
	assert_int_equal(h->n_frames, 2);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 15);
	assert_int_equal(sh_in_state(h, TT_TCP_SYN_RECEIVED), 1);
	sh_free(h);
}

/*
 * A final ACK frees a connection in LAST-ACK; a SYN on the same 4-tuple behind it opens a new
 * one.  More peers than one stage overlaps, each with its pair in the same burst, so the pairs
 * straddle the stack's TT_STACK_BURST chunks.
 */
static void test_burst_last_ack_then_syn(void **state)
{
	enum { PEERS = 24 };
	struct sh *h = started(TT_SYNCOOKIES_OFF, 256);
	struct sh_peer *p[PEERS];

	(void)state;
	for (unsigned i = 0; i < PEERS; i++) {
		p[i] = sh_peer_new(h, 80);
		sh_connect(p[i]);
		p[i]->acks = false; /* the ACK of our FIN waits for the burst */
		sh_peer_send(p[i], TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, get_req,
			     sizeof(get_req) - 1);
	}
	sh_deliver(h); /* the responses and our FINs: every connection in LAST-ACK */
	assert_int_equal(sh_in_state(h, TT_TCP_LAST_ACK), PEERS);
	sh_burst_begin(h);
	for (unsigned i = 0; i < PEERS; i++) {
		assert_true(p[i]->fin_rcvd);
		assert_int_equal(p[i]->rx_len, h->http.keep_alive_len);
		sh_peer_send(p[i], TT_TCP_ACK, NULL, 0);
		peer_restart(p[i]);
		p[i]->acks = true;
		sh_peer_send(p[i], TT_TCP_SYN, NULL, 0);
	}
	sh_burst_end(h);
	assert_int_equal(h->n_frames, PEERS);
	for (unsigned i = 0; i < PEERS; i++)
		assert_int_equal(frames_to(h, p[i], TT_TCP_SYN | TT_TCP_ACK), 1);
	assert_int_equal(sh_in_state(h, TT_TCP_LAST_ACK), 0);
	assert_int_equal(sh_in_state(h, TT_TCP_SYN_RECEIVED), PEERS);
	sh_deliver(h);
	assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), PEERS);
	sh_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_syn_and_retransmission),
	    cmocka_unit_test(test_burst_cookie_ack_then_request),
	    cmocka_unit_test(test_burst_rst_then_syn),
	    cmocka_unit_test(test_burst_time_wait_reused),
	    cmocka_unit_test(test_burst_time_wait_recycled),
	    cmocka_unit_test(test_burst_last_ack_then_syn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
