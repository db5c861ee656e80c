/*
 * Graceful overload, through the real stack (stack_harness.h): the bound on orphans
 * (tcp.max_orphans_per_core, with the weight of an orphan's retransmissions), their shorter
 * retransmission budget (tcp.orphan_retries) and the admission control that sheds SYNs while
 * the worker's RX polls come back full (tcp.syn_shed_full_polls), each at 0, 1 and its largest
 * useful value; the send blocks (tcp.send_blocks_per_core) at 1 and 2.
 */
#include "stack_harness.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char get_req[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

/*
 * A peer whose request asks us to close, and which then ACKs nothing: the response carries our
 * FIN and the connection stays in FIN-WAIT-1, an orphan, until its FIN is ACKed or it gives up.
 */
static struct sh_peer *silent_orphan(struct sh *h)
{
	struct sh_peer *p = sh_peer_new(h, 80);

	sh_connect(p);
	p->acks = false;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, sh_get_close, sizeof(sh_get_close) - 1);
	sh_deliver(h);
	assert_true(p->fin_rcvd);
	return p;
}

static uint64_t orphans(const struct sh *h)
{
	return sh_in_state(h, TT_TCP_FIN_WAIT_1) + sh_in_state(h, TT_TCP_CLOSING) +
	       sh_in_state(h, TT_TCP_LAST_ACK);
}

/*
 * PEERS connections become orphans one after the other; beyond the bound each new one is reset
 * at once (an RST after its response and FIN), so the orphans never exceed it, the first ones
 * keep their place, and the connections that are no orphans are not touched.
 */
static void test_orphans_bounded(void **state)
{
	enum { PEERS = 5 };
	static const uint32_t bounds[] = {0, 1, 3, PEERS};

	(void)state;
	for (unsigned c = 0; c < ARRAY_LEN(bounds); c++) {
		struct sh *h = sh_new();
		struct sh_peer *open, *p[PEERS];
		uint32_t kept = bounds[c] < PEERS ? bounds[c] : PEERS;

		h->conf.tcp.max_orphans_per_core = bounds[c];
		sh_start(h);
		open = sh_peer_new(h, 80); /* established, keep-alive: never an orphan */
		sh_connect(open);
		for (unsigned i = 0; i < PEERS; i++) {
			p[i] = silent_orphan(h);
			assert_true(orphans(h) <= bounds[c]);
		}
		assert_int_equal(orphans(h), kept);
		assert_int_equal(sh_ev(h, TT_CTR_ORPHANS_RESET), PEERS - kept);
		for (unsigned i = 0; i < PEERS; i++) {
			assert_int_equal(p[i]->rst_rcvd, i >= kept);
			/* Reset or not, the response went out whole before the FIN. */
			assert_true(p[i]->rx_len > 0);
		}
		assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), 1);
		sh_peer_send(open, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
		sh_deliver(h);
		assert_false(open->rst_rcvd);
		assert_true(open->rx_len > 0);
		sh_free(h);
	}
}

/*
 * A silent orphan retransmits its FIN min(orphan_retries, max_retries) times, then is reset;
 * orphan_retry_exhausted counts the ones the orphan budget ended.  closing_timeout_ms is set
 * far out so the retries alone decide.
 */
static void test_orphan_retries(void **state)
{
	static const struct {
		uint8_t orphan_retries, max_retries;
		uint64_t retransmits, orphan_exhausted;
	} cases[] = {
	    {0, 8, 0, 1},  {1, 8, 1, 1}, {3, 8, 3, 1},
	    {8, 8, 8, 0},  /* the same budget as any connection: not an orphan's limit */
	    {30, 4, 4, 0}, /* the largest: max_retries is the smaller */
	};

	(void)state;
	for (unsigned c = 0; c < ARRAY_LEN(cases); c++) {
		struct sh *h = sh_new();
		struct sh_peer *p;

		h->conf.tcp.orphan_retries = cases[c].orphan_retries;
		h->conf.tcp.max_retries = cases[c].max_retries;
		h->conf.tcp.closing_timeout_ms = 86400000;
		sh_start(h);
		p = silent_orphan(h);
		assert_int_equal(orphans(h), 1);
		sh_run(h, 1000000, 500, 1000);
		assert_int_equal(orphans(h), 0);
		assert_int_equal(tt_stack_conn_count(h->st), 0);
		assert_true(p->rst_rcvd);
		assert_int_equal(sh_ev(h, TT_CTR_RETRANSMITS), cases[c].retransmits);
		assert_int_equal(sh_ev(h, TT_CTR_CONN_RETRIES_EXHAUSTED), 1);
		assert_int_equal(sh_ev(h, TT_CTR_ORPHAN_RETRIES_EXHAUSTED),
				 cases[c].orphan_exhausted);
		assert_int_equal(sh_ev(h, TT_CTR_ORPHANS_RESET), 0);
		sh_free(h);
	}
}

/*
 * Under the bound, an orphan that retransmitted k times weighs 2^k: three silent orphans with
 * room for four all survive their start, then at each round of retransmissions the one whose
 * weight tips the count over the bound goes (3 x 2 > 4, then 2 x 4 > 4, then 1 x 8 > 4), long
 * before their retries would end them.
 */
static void test_orphans_under_pressure_go_first(void **state)
{
	struct sh *h = sh_new();
	uint64_t step = 0;

	(void)state;
	h->conf.tcp.max_orphans_per_core = 4;
	h->conf.tcp.orphan_retries = 30;
	h->conf.tcp.closing_timeout_ms = 86400000;
	sh_start(h);
	for (unsigned i = 0; i < 3; i++)
		silent_orphan(h);
	assert_int_equal(orphans(h), 3);
	assert_int_equal(sh_ev(h, TT_CTR_ORPHANS_RESET), 0);
	while (orphans(h) == 3 && step++ < 100000)
		sh_run(h, 10, 10, 100);
	assert_int_equal(orphans(h), 2);
	assert_int_equal(sh_ev(h, TT_CTR_ORPHANS_RESET), 1);
	assert_int_equal(sh_ev(h, TT_CTR_RETRANSMITS), 3);
	sh_run(h, 1000000, 500, 1000);
	assert_int_equal(orphans(h), 0);
	assert_int_equal(sh_ev(h, TT_CTR_ORPHANS_RESET), 3);
	assert_int_equal(sh_ev(h, TT_CTR_RETRANSMITS), 3 + 2 + 1);
	assert_int_equal(sh_ev(h, TT_CTR_CONN_RETRIES_EXHAUSTED), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_true(h->peers[i].rst_rcvd);
	sh_free(h);
}

/* A peer's SYN alone; true if the stack answered it (with a SYN-ACK). */
static bool syn_answered(struct sh *h, struct sh_peer *p)
{
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_deliver(h);
	return p->synced;
}

/*
 * With syn_shed_full_polls = k, k full RX polls in a row make the stack drop SYNs unanswered
 * (k = 0: never); an open connection is still served meanwhile, and the first short poll ends
 * the shedding.
 */
static void test_syn_shed_after_full_polls(void **state)
{
	static const uint16_t ks[] = {0, 1, 4, 1024};

	(void)state;
	for (unsigned c = 0; c < ARRAY_LEN(ks); c++) {
		struct sh *h = sh_new();
		struct sh_peer *open;
		unsigned k = ks[c], full = k ? k : 2048;

		h->conf.tcp.syn_shed_full_polls = ks[c];
		sh_start(h);
		open = sh_peer_new(h, 80);
		sh_connect(open);
		for (unsigned i = 0; i + 1 < full; i++)
			tt_stack_rx_poll(h->st, true);
		assert_true(syn_answered(h, sh_peer_new(h, 80)));
		tt_stack_rx_poll(h->st, true);
		assert_int_equal(syn_answered(h, sh_peer_new(h, 80)), k == 0);
		assert_int_equal(sh_ev(h, TT_CTR_SYN_SHED_POLLS), k != 0);
		assert_int_equal(h->ctr.drop[TT_DROP_TCP_SYN_SHED], k != 0);
		assert_int_equal(sh_ev(h, TT_CTR_SYN_RECEIVED), 3);
		sh_peer_send(open, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
		sh_deliver(h);
		assert_true(open->rx_len > 0);
		tt_stack_rx_poll(h->st, false);
		assert_true(syn_answered(h, sh_peer_new(h, 80)));
		sh_free(h);
	}
}

/*
 * In one burst, shed SYNs leave the other segments their order and owners: the request of an
 * open connection between two SYNs is answered, the SYNs are not, and every buffer comes back.
 */
static void test_syn_shed_in_burst(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *a, *open, *b;

	(void)state;
	h->conf.tcp.syn_shed_full_polls = 1;
	sh_start(h);
	open = sh_peer_new(h, 80);
	sh_connect(open);
	a = sh_peer_new(h, 80);
	b = sh_peer_new(h, 80);
	tt_stack_rx_poll(h->st, true);
	sh_burst_begin(h);
	sh_peer_send(a, TT_TCP_SYN, NULL, 0);
	sh_peer_send(open, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_peer_send(b, TT_TCP_SYN, NULL, 0);
	sh_peer_send(open, TT_TCP_ACK | TT_TCP_PSH, get_req, sizeof(get_req) - 1);
	sh_burst_end(h);
	sh_deliver(h);
	assert_false(a->synced);
	assert_false(b->synced);
	assert_int_equal(h->ctr.drop[TT_DROP_TCP_SYN_SHED], 2);
	assert_int_equal(sh_ev(h, TT_CTR_HTTP_REQUESTS), 2);
	assert_int_equal(tt_stack_conn_count(h->st), 1);
	sh_free(h);
}

/*
 * tcp.send_blocks_per_core at 1 and 2: with every block held by a connection whose response is
 * not acknowledged yet, one more request waits (not acknowledged, send_blocks_exhausted) and is
 * answered once, byte for byte, when its peer sends it again after a block came back.
 */
static void test_send_blocks_bounded(void **state)
{
	static const uint32_t blocks[] = {1, 2};
	const uint32_t len = sizeof(get_req) - 1;

	(void)state;
	for (unsigned c = 0; c < ARRAY_LEN(blocks); c++) {
		struct sh *h = sh_new();
		struct sh_peer *holder[2], *late;
		uint32_t seq;

		h->conf.tcp.send_blocks_per_core = blocks[c];
		sh_start(h);
		for (unsigned i = 0; i < blocks[c]; i++) {
			holder[i] = sh_peer_new(h, 80);
			sh_connect(holder[i]);
			holder[i]->acks = false;
			sh_peer_send(holder[i], TT_TCP_ACK | TT_TCP_PSH, get_req, len);
			sh_deliver(h);
			assert_int_equal(holder[i]->rx_len, h->http.keep_alive_len);
		}
		late = sh_peer_new(h, 80);
		sh_connect(late);
		seq = late->nxt;
		sh_peer_send(late, TT_TCP_ACK | TT_TCP_PSH, get_req, len);
		sh_deliver(h);
		assert_int_equal(late->rx_len, 0);
		assert_int_equal(sh_ev(h, TT_CTR_SEND_BLOCKS_EXHAUSTED), 1);
		assert_int_equal(sh_ev(h, TT_CTR_HTTP_REQUESTS), blocks[c]);

		/* The first holder's response is acknowledged: its block goes back. */
		sh_peer_send(holder[0], TT_TCP_ACK, NULL, 0);
		late->nxt = seq; /* the late peer's retransmission */
		sh_peer_send(late, TT_TCP_ACK | TT_TCP_PSH, get_req, len);
		sh_run(h, 0, 1, 100);
		assert_int_equal(late->rx_len, h->http.keep_alive_len);
		assert_memory_equal(late->rx, h->http.keep_alive, h->http.keep_alive_len);
		assert_int_equal(sh_ev(h, TT_CTR_SEND_BLOCKS_EXHAUSTED), 1);
		assert_int_equal(sh_ev(h, TT_CTR_HTTP_REQUESTS), blocks[c] + 1);
		assert_int_equal(sh_in_state(h, TT_TCP_ESTABLISHED), blocks[c] + 1);
		sh_free(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_orphans_bounded),
	    cmocka_unit_test(test_orphan_retries),
	    cmocka_unit_test(test_orphans_under_pressure_go_first),
	    cmocka_unit_test(test_syn_shed_after_full_polls),
	    cmocka_unit_test(test_syn_shed_in_burst),
	    cmocka_unit_test(test_send_blocks_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
