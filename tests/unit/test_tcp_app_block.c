/*
 * Application blocks (tt_tcp_app_block): the HTTP responder keeps its parser in one only while
 * a request has come in part, and an empty pool is back-pressure, never a lost byte.  Through
 * the same glue as the worker's (tcp_harness.h), whose pool has H_APP_BLOCKS blocks; a test
 * takes them out to play the rest of the worker's connections holding every one.  The harness
 * checks after every step that the pool's blocks in use are exactly the one the TCB says it
 * holds, and that none is left when the connection goes.
 *
 * Also here, as the other change that brought the TCB to 112 bytes: the send window is taken
 * without SND.WL2 (tt_tcp.h).
 */
#include <stdio.h>

#include "tcp_harness.h"

static const char get_ka[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

static void expect_response(const struct harness *h, uint32_t ack)
{
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].a.ack, ack);
	assert_int_equal(h->tx[0].len, h->http.keep_alive_len);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive, h->http.keep_alive_len);
}

/* A request whole in one segment needs no block; one cut anywhere holds one until it ends. */
static void test_block_while_request_incomplete(void **state)
{
	static const size_t cuts[] = {1, 3, 14, 16, 20, sizeof(get_ka) - 2};
	struct harness *h = *state;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	expect_response(h, h->peer.nxt);
	assert_int_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	h_ack_all(h);
	for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		h_send(h, TT_TCP_ACK | TT_TCP_PSH, get_ka, (uint32_t)cuts[i]);
		assert_int_equal(h->tcb.rcv_nxt, h->peer.nxt); /* taken and acknowledged */
		assert_int_not_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka + cuts[i]);
		expect_response(h, h->peer.nxt);
		assert_int_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
		h_ack_all(h);
	}
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 1 + sizeof(cuts) / sizeof(cuts[0]));
	assert_int_equal(ev(h, TT_CTR_APP_BLOCKS_EXHAUSTED), 0);
}

/* A body cut across segments holds the block as its head does: up to its last byte. */
static void test_block_through_body(void **state)
{
	static const char head[] = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nab";
	struct harness *h = *state;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, head);
	assert_int_not_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "cd");
	assert_int_not_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 0);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "e");
	expect_response(h, h->peer.nxt);
	assert_int_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
}

static const char expect_head[] = "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
				  "Content-Length: 4\r\n\r\n";

/* A head asking for 100 (Continue) that ends its segment gets the interim response at once,
 * with the head ACKed, and its parser is kept for the body, which then gets the response. */
static void test_expect_continue(void **state)
{
	struct harness *h = *state;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, expect_head);
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].a.ack, h->peer.nxt);
	assert_int_equal(h->tx[0].len, h->http.continue_100_len);
	assert_memory_equal(h->tx[0].data, "HTTP/1.1 100 Continue\r\n\r\n", h->tx[0].len);
	assert_int_equal(ev(h, TT_CTR_HTTP_CONTINUES), 1);
	assert_int_not_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	h_ack_all(h);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "body");
	expect_response(h, h->peer.nxt);
	assert_int_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	assert_int_equal(ev(h, TT_CTR_HTTP_CONTINUES), 1);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 1);
}

/* With every block taken such a head is not taken: no interim response for bytes the peer is
 * to send again, which get it once a block is free. */
static void test_expect_continue_waits_for_block(void **state)
{
	struct harness *h = *state;
	uint32_t taken[H_APP_BLOCKS], rcv_nxt;
	unsigned n;

	h_connect(h, TT_APP_HTTP);
	n = h_take_all(h->ctx.app_pool, taken, &h->app_block_others);
	rcv_nxt = h->tcb.rcv_nxt;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, expect_head);
	assert_int_equal(h->tcb.rcv_nxt, rcv_nxt);
	for (unsigned i = 0; i < h->n_tx; i++)
		assert_int_equal(h->tx[i].len, 0);
	assert_int_equal(ev(h, TT_CTR_HTTP_CONTINUES), 0);
	assert_int_equal(ev(h, TT_CTR_APP_BLOCKS_EXHAUSTED), 1);
	h_give_back(h->ctx.app_pool, taken, n, &h->app_block_others);
	h->peer.nxt = rcv_nxt;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, expect_head);
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].len, h->http.continue_100_len);
	assert_int_equal(ev(h, TT_CTR_HTTP_CONTINUES), 1);
}

/*
 * Every block taken: the incomplete request is not acknowledged (RCV.NXT stays) and counted;
 * the peer's retransmission is read once a block is free, and a whole request never waits.
 */
static void test_incomplete_request_waits_for_block(void **state)
{
	struct harness *h = *state;
	uint32_t taken[H_APP_BLOCKS], rcv_nxt, req_seq;
	unsigned n;

	h_connect(h, TT_APP_HTTP);
	n = h_take_all(h->ctx.app_pool, taken, &h->app_block_others);
	assert_int_equal(n, H_APP_BLOCKS);
	rcv_nxt = h->tcb.rcv_nxt;
	req_seq = h->peer.nxt;
	h_send(h, TT_TCP_ACK | TT_TCP_PSH, get_ka, 10);
	assert_true(h->tcb_live);
	assert_int_equal(h->tcb.rcv_nxt, rcv_nxt);
	assert_int_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	for (unsigned i = 0; i < h->n_tx; i++) {
		assert_int_equal(h->tx[i].len, 0);
		assert_int_equal(h->tx[i].a.ack, rcv_nxt);
	}
	assert_int_equal(ev(h, TT_CTR_APP_BLOCKS_EXHAUSTED), 1);
	/* The peer sends the whole request again: no block is needed to answer it. */
	h->peer.nxt = req_seq;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	expect_response(h, rcv_nxt + strlen(get_ka));
	h_ack_all(h);
	/* Cut again, with a block free this time. */
	h_give_back(h->ctx.app_pool, taken, n, &h->app_block_others);
	h_send(h, TT_TCP_ACK | TT_TCP_PSH, get_ka, 10);
	assert_int_equal(h->tcb.rcv_nxt, h->peer.nxt);
	assert_int_not_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka + 10);
	expect_response(h, h->peer.nxt);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 2);
	assert_int_equal(ev(h, TT_CTR_APP_BLOCKS_EXHAUSTED), 1);
}

/* A segment with a whole request and the start of the next, every block taken: the first is
 * answered and acknowledged, the rest waits for the peer to send it again. */
static void test_pipeline_tail_waits_for_block(void **state)
{
	struct harness *h = *state;
	uint32_t taken[H_APP_BLOCKS], rcv_nxt;
	char piece[sizeof(get_ka) + 8];
	unsigned n;

	h_connect(h, TT_APP_HTTP);
	n = h_take_all(h->ctx.app_pool, taken, &h->app_block_others);
	snprintf(piece, sizeof(piece), "%s%.8s", get_ka, get_ka);
	rcv_nxt = h->tcb.rcv_nxt;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, piece);
	expect_response(h, rcv_nxt + strlen(get_ka));
	assert_int_equal(h->tcb.rcv_nxt, rcv_nxt + strlen(get_ka));
	assert_int_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	assert_int_equal(ev(h, TT_CTR_APP_BLOCKS_EXHAUSTED), 1);
	h_ack_all(h);
	h_give_back(h->ctx.app_pool, taken, n, &h->app_block_others);
	h->peer.nxt = h->tcb.rcv_nxt;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	expect_response(h, rcv_nxt + 2 * strlen(get_ka));
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 2);
}

/* A connection that goes while its request is incomplete gives its block back. */
static void test_block_freed_on_reset(void **state)
{
	struct harness *h = *state;

	h_connect(h, TT_APP_HTTP);
	h_send(h, TT_TCP_ACK | TT_TCP_PSH, get_ka, 5);
	assert_int_not_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	h_send(h, TT_TCP_RST, NULL, 0);
	assert_int_equal(h->v, TT_V_FREE);
	assert_false(h->tcb_live);
	assert_int_equal(tt_pool_in_use(h->ctx.app_pool), 0);
}

/* The stack closes the connection in the middle of a request (a drain, a reload's retirement):
 * the next bytes are read and ignored, and the request's block goes with them, not with the
 * connection (which waits for the peer's FIN). */
static void test_block_freed_after_our_close(void **state)
{
	struct harness *h = *state;

	h_connect(h, TT_APP_HTTP);
	h_send(h, TT_TCP_ACK | TT_TCP_PSH, get_ka, 5);
	assert_int_not_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	tt_tcp_close(&h->tcb);
	h_send(h, TT_TCP_ACK | TT_TCP_PSH, get_ka + 5, 3);
	assert_true(h->tcb_live);
	assert_int_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	assert_int_equal(tt_pool_in_use(h->ctx.app_pool), 0);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 0);
}

/* The peer's FIN in the middle of a request: the block goes at once, not with the connection
 * (which waits in LAST-ACK for our FIN's ACK). */
static void test_block_freed_on_peer_fin(void **state)
{
	struct harness *h = *state;

	h_connect(h, TT_APP_HTTP);
	h_send(h, TT_TCP_ACK | TT_TCP_PSH, get_ka, 5);
	assert_int_not_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_true(h->tcb_live);
	assert_int_equal(h->tcb.state, TT_TCP_LAST_ACK);
	assert_int_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 0);
}

/* A bad request ends in 400 and a close: nothing of it is kept. */
static void test_bad_request_keeps_no_block(void **state)
{
	struct harness *h = *state;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "GET / HTTP/1.1\r\nHo");
	assert_int_not_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "st : t\r\n\r\n"); /* space before the colon */
	assert_int_equal(ev(h, TT_CTR_HTTP_BAD_REQUESTS), 1);
	assert_int_equal(h->tcb.app_block, TT_TCB_NO_APP_BLOCK);
	assert_true(h->tcb.flags & TT_TCB_FIN_QUEUED);
}

/*
 * The send window without SND.WL2: only a segment carrying the newest ACK updates it (RFC 9293
 * 3.10.7.4: SND.UNA =< SEG.ACK), when its sequence number is not older than the one the window
 * came from; so neither a reordered copy of an older ACK brings an old window back nor a
 * segment ahead in sequence with an old ACK (a blind guess) shuts the window and puts SND.WL1
 * ahead of the peer's own updates.
 */
static void test_window_update_rules(void **state)
{
	struct harness *h = *state;
	uint32_t acked, seq;

	h_http_body(h, 3000);
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	seq = h->peer.nxt;
	acked = h->tcb.snd_una + 1000;
	/* The peer acknowledges 1000 bytes with a window of 40 (<< 7): taken. */
	h->peer.ack = acked;
	h->peer.wnd = 40;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->tcb.snd_una, acked);
	assert_int_equal(h->tcb.snd_wnd, 40u << 7);
	assert_int_equal(h->tcb.snd_wl1, seq);
	/* A copy of an older ACK, same sequence number, another window: not taken. */
	h->peer.ack = acked - 500;
	h->peer.wnd = 300;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->tcb.snd_una, acked);
	assert_int_equal(h->tcb.snd_wnd, 40u << 7);
	/* The newest ACK again with a window update (same sequence number): taken. */
	h->peer.ack = acked;
	h->peer.wnd = 50;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->tcb.snd_wnd, 50u << 7);
	/* A newer sequence number with an older ACK: not taken, even shut. */
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, "G");
	h->peer.ack = acked - 500;
	h->peer.wnd = 0;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->tcb.snd_wl1, seq);
	assert_int_equal(h->tcb.snd_wnd, 50u << 7);
	assert_int_equal(h->tcb.snd_una, acked);
	/* The peer's own next segment, with the newest ACK: taken. */
	h->peer.ack = acked;
	h->peer.wnd = 60;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->tcb.snd_wl1, seq + 1);
	assert_int_equal(h->tcb.snd_wnd, 60u << 7);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_block_while_request_incomplete),
	    T(test_block_through_body),
	    T(test_expect_continue),
	    T(test_expect_continue_waits_for_block),
	    T(test_incomplete_request_waits_for_block),
	    T(test_pipeline_tail_waits_for_block),
	    T(test_block_freed_on_reset),
	    T(test_block_freed_on_peer_fin),
	    T(test_block_freed_after_our_close),
	    T(test_bad_request_keeps_no_block),
	    T(test_window_update_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
