/*
 * Send blocks (struct tt_sndb): a connection holds one only while it has bytes queued or in
 * flight, and an empty pool is back-pressure, never a lost byte.  Through the same glue as the
 * worker's (tcp_harness.h), whose pool has H_SNDB_BLOCKS blocks; a test takes them out to
 * play the rest of the worker's connections holding every one.  The harness checks after every
 * step that the pool's blocks in use are exactly the one the TCB says it holds.
 */
#include <stdio.h>

#include "tcp_harness.h"

static const char get_ka[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
static const char get_close[] = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

/* The block comes with the response and goes with its last ACK; the next request takes one
 * again. */
static void test_block_while_unacked(void **state)
{
	struct harness *h = *state;

	h_connect(h, TT_APP_HTTP);
	assert_int_equal(h->tcb.sndb, TT_SNDB_NONE);
	for (unsigned round = 0; round < 2; round++) {
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
		assert_int_equal(h->n_tx, 1);
		assert_int_equal(h->tx[0].len, h->http.keep_alive_len);
		assert_int_not_equal(h->tcb.sndb, TT_SNDB_NONE);
		assert_int_equal(tt_tcp_queued(&h->ctx, &h->tcb), h->http.keep_alive_len);
		/* Half of it acknowledged: the rest still needs the block. */
		h->peer.ack = h->tcb.snd_una + h->http.keep_alive_len / 2;
		h_send(h, TT_TCP_ACK, NULL, 0);
		assert_int_not_equal(h->tcb.sndb, TT_SNDB_NONE);
		h_ack_all(h);
		assert_int_equal(h->tcb.sndb, TT_SNDB_NONE);
	}
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 2);
	assert_int_equal(ev(h, TT_CTR_SEND_BLOCKS_EXHAUSTED), 0);
}

/* Our FIN is in flight after the response: the block stays until the FIN is acknowledged. */
static void test_block_kept_for_fin(void **state)
{
	struct harness *h = *state;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_close);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_1);
	h->peer.ack = h->tcb.snd_max - 1; /* the data, not the FIN */
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(tt_tcp_queued(&h->ctx, &h->tcb), 0);
	assert_int_not_equal(h->tcb.sndb, TT_SNDB_NONE);
	h_ack_all(h);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_2);
	assert_int_equal(h->tcb.sndb, TT_SNDB_NONE);
}

/* A reset while the response is in flight: the block goes back with the TCB. */
static void test_block_freed_on_reset(void **state)
{
	struct harness *h = *state;

	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_not_equal(h->tcb.sndb, TT_SNDB_NONE);
	h_send(h, TT_TCP_RST, NULL, 0);
	assert_int_equal(h->v, TT_V_FREE);
	assert_false(h->tcb_live);
	assert_int_equal(tt_pool_in_use(h->ctx.sndb_pool), 0);
}

/*
 * Every block taken: the request is not answered and not acknowledged (RCV.NXT stays), and
 * counted; once a block is free the peer's retransmission of it is answered, once.
 */
static void test_http_waits_for_block(void **state)
{
	struct harness *h = *state;
	uint32_t taken[H_SNDB_BLOCKS], rcv_nxt, req_seq;
	unsigned n;

	h_connect(h, TT_APP_HTTP);
	n = h_take_all(h->ctx.sndb_pool, taken, &h->sndb_others);
	assert_int_equal(n, H_SNDB_BLOCKS);
	rcv_nxt = h->tcb.rcv_nxt;
	req_seq = h->peer.nxt;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_true(h->tcb_live);
	assert_int_equal(h->tcb.rcv_nxt, rcv_nxt);
	assert_int_equal(h->tcb.sndb, TT_SNDB_NONE);
	for (unsigned i = 0; i < h->n_tx; i++) {
		assert_int_equal(h->tx[i].len, 0);
		assert_int_equal(h->tx[i].a.ack, rcv_nxt); /* never past the refused request */
	}
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 0);
	assert_int_equal(ev(h, TT_CTR_SEND_BLOCKS_EXHAUSTED), 1);

	h_give_back(h->ctx.sndb_pool, taken, n, &h->sndb_others);
	h->peer.nxt = req_seq; /* the peer's retransmission */
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(h->tcb.rcv_nxt, rcv_nxt + strlen(get_ka));
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].a.ack, rcv_nxt + strlen(get_ka));
	assert_int_equal(h->tx[0].len, h->http.keep_alive_len);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive, h->http.keep_alive_len);
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 1);
	assert_int_equal(ev(h, TT_CTR_SEND_BLOCKS_EXHAUSTED), 1);
	h_ack_all(h);
	assert_int_equal(h->tcb.sndb, TT_SNDB_NONE);
}

/*
 * Every block taken while a request comes in pieces: the pieces that only continue it (its head
 * cut short, its head whole with the body to come, the body's middle) are read and
 * acknowledged, as its clock runs; only the piece that completes it, which needs an answer,
 * waits for a block, and then is answered once.
 */
static void test_http_reads_request_without_block(void **state)
{
	static const char *const pieces[] = {
	    "POST / HTTP/1.1\r\nHo",
	    "st: t\r\nContent-Length: 10\r\n\r\n",
	    "01234",
	    "56789",
	};
	struct harness *h = *state;
	uint32_t taken[H_SNDB_BLOCKS], rcv_nxt, last_seq;
	unsigned n;

	h_connect(h, TT_APP_HTTP);
	n = h_take_all(h->ctx.sndb_pool, taken, &h->sndb_others);
	for (unsigned i = 0; i < 3; i++) {
		rcv_nxt = h->tcb.rcv_nxt;
		h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, pieces[i]);
		assert_int_equal(h->tcb.rcv_nxt, rcv_nxt + strlen(pieces[i]));
	}
	rcv_nxt = h->tcb.rcv_nxt;
	last_seq = h->peer.nxt;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, pieces[3]);
	assert_int_equal(h->tcb.rcv_nxt, rcv_nxt); /* the answer waits: not taken */
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 0);
	/* Not before its time: the body's clock is the one the pieces started. */
	assert_true(h->tcb_live);

	h_give_back(h->ctx.sndb_pool, taken, n, &h->sndb_others);
	h->peer.nxt = last_seq; /* the peer's retransmission */
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, pieces[3]);
	assert_int_equal(h->tcb.rcv_nxt, rcv_nxt + strlen(pieces[3]));
	assert_int_equal(ev(h, TT_CTR_HTTP_REQUESTS), 1);
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].len, h->http.keep_alive_len);
	h_ack_all(h);
}

/* Echo: the received segment is neither kept nor acknowledged without a block, then echoed
 * byte for byte when it comes again. */
static void test_echo_waits_for_block(void **state)
{
	struct harness *h = *state;
	struct h_buf *b = calloc(1, sizeof(*b));
	uint32_t taken[H_SNDB_BLOCKS], rcv_nxt, seq;
	unsigned n;

	assert_non_null(b);
	for (unsigned i = 0; i < sizeof(b->data); i++)
		b->data[i] = (uint8_t)(7 * i);
	h_peer_plain(h, 1460);
	h_connect(h, TT_APP_ECHO);
	n = h_take_all(h->ctx.sndb_pool, taken, &h->sndb_others);
	rcv_nxt = h->tcb.rcv_nxt;
	seq = h->peer.nxt;
	h_send_buf(h, TT_TCP_ACK | TT_TCP_PSH, b, 500);
	assert_int_equal(h->tcb.rcv_nxt, rcv_nxt);
	assert_int_equal(b->retains, 0);
	assert_int_equal(b->refs, 0);
	for (unsigned i = 0; i < h->n_tx; i++)
		assert_int_equal(h->tx[i].len, 0);
	assert_int_equal(ev(h, TT_CTR_SEND_BLOCKS_EXHAUSTED), 1);

	h_give_back(h->ctx.sndb_pool, taken, n, &h->sndb_others);
	h->peer.nxt = seq;
	h_send_buf(h, TT_TCP_ACK | TT_TCP_PSH, b, 500);
	assert_int_equal(h->tcb.rcv_nxt, rcv_nxt + 500);
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].len, 500);
	assert_memory_equal(h->tx[0].data, b->data, 500);
	assert_int_equal(b->refs, 1);
	h_ack_all(h);
	assert_int_equal(b->refs, 0);
	assert_int_equal(h->tcb.sndb, TT_SNDB_NONE);
	free(b);
}

/*
 * No block to be had is not a wedge: the connection keeps its idle bound and its timer, and
 * a FIN (which needs no block) still closes it cleanly.
 */
static void test_no_block_connection_still_closes(void **state)
{
	struct harness *h = *state;
	uint32_t taken[H_SNDB_BLOCKS], req_seq;
	uint64_t due;
	unsigned n;

	h_connect(h, TT_APP_HTTP);
	n = h_take_all(h->ctx.sndb_pool, taken, &h->sndb_others);
	req_seq = h->peer.nxt;
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(ev(h, TT_CTR_SEND_BLOCKS_EXHAUSTED), 1);
	due = tt_tcp_deadline(&h->ctx, &h->tcb);
	assert_true(due > h->ctx.now_ms && due <= h->ctx.now_ms + h->conf.idle_timeout_ms);
	/* The peer gives up on its request and closes: our FIN goes without a block. */
	h->peer.nxt = req_seq;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->tcb.state, TT_TCP_LAST_ACK);
	assert_int_equal(h->n_tx, 1);
	assert_true(h->tx[0].a.flags & TT_TCP_FIN);
	assert_int_equal(h->tcb.sndb, TT_SNDB_NONE);
	/* Its ACK is lost: the FIN goes again on the retransmission timer. */
	h_fire(h);
	assert_int_equal(h->n_tx, 1);
	assert_true(h->tx[0].a.flags & TT_TCP_FIN);
	h_ack_all(h);
	assert_false(h->tcb_live);
	h_give_back(h->ctx.sndb_pool, taken, n, &h->sndb_others);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_block_while_unacked),
	    T(test_block_kept_for_fin),
	    T(test_block_freed_on_reset),
	    T(test_http_waits_for_block),
	    T(test_http_reads_request_without_block),
	    T(test_echo_waits_for_block),
	    T(test_no_block_connection_still_closes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
