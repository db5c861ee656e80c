/*
 * The worker's TX path against a real ethdev whose TX queue fills: a net_ring port (EAL without
 * hugepages or PCI) whose TX ring holds TX_ROOM frames until the test takes them.  SYN-ACKs (the
 * replies to crafted SYNs fed through tt_worker_rx_burst) are the segments a full queue must
 * not lose: refused, they are held for the next flush (none, one, and TT_TX_HOLD of them, the
 * rest freed); a held frame refused again is dropped; RSTs are never held.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "tt_app.h"
#include "tt_http.h"
#include "tt_worker.h"

enum { TX_ROOM = 7, POOL_MBUFS = 2047 }; /* a ring of 8 slots holds 7 */

#define US_ADDR 0xc6120002u /* 198.18.0.2 */

static struct {
	struct rte_mempool *pool;
	struct rte_ring *rx, *tx;
	struct tt_port port;
	struct tt_conf conf;
	uint8_t listen_app[65536];
	struct tt_http_response http;
	struct tt_worker *w;
	uint16_t next_peer;
} g;

static int setup(void **state)
{
	char prefix[64];
	char *argv[] = {"test_worker_tx", "--no-huge",	       "-m", "256", "--no-pci",
			"--no-shconf",	  "--log-level=error", "-l", "0",   prefix};
	static const char *const hdrs[] = {"Content-Type: text/plain"};
	struct tt_worker_params p = {0};

	(void)state;
	snprintf(prefix, sizeof(prefix), "--file-prefix=tt-test-worker-tx-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0)
		return -1;
	g.pool = rte_pktmbuf_pool_create("tt_test_pool", POOL_MBUFS, 0, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	g.rx = rte_ring_create("tt_test_rx", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	g.tx = rte_ring_create("tt_test_tx", TX_ROOM + 1, SOCKET_ID_ANY,
			       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (g.pool == NULL || g.rx == NULL || g.tx == NULL)
		return -1;
	if (rte_eth_from_rings("tt_test_ring", &g.rx, 1, &g.tx, 1, SOCKET_ID_ANY) < 0)
		return -1;
	g.port.port_id = 0;
	g.port.n_queues = 1;
	g.port.mac = (struct tt_mac){{0x02, 0, 0, 0, 0, 0x01}};
	if (rte_eth_dev_configure(0, 1, 1, &(struct rte_eth_conf){0}) != 0 ||
	    rte_eth_rx_queue_setup(0, 0, 64, SOCKET_ID_ANY, NULL, g.pool) != 0 ||
	    rte_eth_tx_queue_setup(0, 0, 64, SOCKET_ID_ANY, NULL) != 0 || rte_eth_dev_start(0) != 0)
		return -1;

	tt_conf_defaults(&g.conf);
	g.conf.n_ports = 1;
	g.conf.ports[0].ip.addr = US_ADDR;
	g.conf.ports[0].ip.prefix_len = 24;
	g.conf.ports[0].mtu = 1500;
	g.conf.ports[0].rx_desc = 64;
	g.conf.ports[0].tx_desc = 64;
	/* Peers off the /24 with no gateway: answered where their frames came from. */
	g.conf.ports[0].reply_to_source_mac = true;
	g.conf.tcp.max_conns_per_core = 1024;
	g.listen_app[80] = TT_APP_HTTP + 1;
	if (tt_http_response_build(&g.http, 200, hdrs, 1, (const uint8_t *)"hello", 5) != 0)
		return -1;
	p.n_ports = 1;
	p.ports = &g.port;
	p.pool = g.pool;
	p.conf = &g.conf;
	p.listen_app = g.listen_app;
	p.app_data = &g.http;
	tt_app_register(p.apps);
	p.table_key = (struct tt_siphash_key){.k0 = 1, .k1 = 2};
	p.isn_secret.key = (struct tt_siphash_key){.k0 = 3, .k1 = 4};
	p.cookie_secret.master = (struct tt_siphash_key){.k0 = 5, .k1 = 6};
	p.tsc_base = rte_rdtsc();
	p.tsc_hz = rte_get_tsc_hz();
	p.epoch_ms = 1000000;
	g.w = tt_worker_create(&p);
	return g.w == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_worker_free(g.w);
	tt_http_response_free(&g.http);
	return 0;
}

/* n SYNs from new peers to dport, received as one RX burst; their replies wait in the batch. */
static void syns_in(unsigned n, uint16_t dport)
{
	struct rte_mbuf *m[64];

	assert_true(n <= 64);
	for (unsigned i = 0; i < n; i++) {
		struct tt_tcp_hdr_args a = {
		    .src_mac = {{0x02, 0, 0, 0, 0, 0x02}},
		    .dst_mac = g.port.mac,
		    .saddr = 0xc6120101u,
		    .daddr = US_ADDR,
		    .sport = (uint16_t)(10000 + g.next_peer++),
		    .dport = dport,
		    .seq = 12345,
		    .wnd = 65535,
		    .flags = TT_TCP_SYN,
		    .opts = {.present = TT_OPT_MSS, .mss = 1460},
		};
		uint32_t len;

		m[i] = rte_pktmbuf_alloc(g.pool);
		assert_non_null(m[i]);
		len = tt_net_tcp_build(rte_pktmbuf_mtod(m[i], uint8_t *), &a, 0);
		tt_net_tcp_cksum(rte_pktmbuf_mtod(m[i], uint8_t *), 0);
		m[i]->data_len = (uint16_t)len;
		m[i]->pkt_len = len;
	}
	tt_worker_rx_burst(g.w, 0, m, n);
}

/* What reached the link since the last call (the ring emptied); each frame's TCP flags. */
static unsigned link_take(uint8_t *flags)
{
	void *objs[TX_ROOM + 1];
	unsigned n = rte_ring_dequeue_burst(g.tx, objs, TX_ROOM + 1, NULL);

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod((struct rte_mbuf *)objs[i], const uint8_t *);

		flags[i] = f[TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + 13];
		rte_pktmbuf_free(objs[i]);
	}
	return n;
}

static uint64_t ev(enum tt_counter c)
{
	return g.w->ctr.ev[c];
}

static void test_refused_synacks_held(void **state)
{
	uint8_t flags[TX_ROOM + 1];

	(void)state;
	/* 0: the queue takes all; nothing is held. */
	syns_in(TX_ROOM - 2, 80);
	tt_worker_flush(g.w);
	assert_int_equal(ev(TT_CTR_TX_PACKETS), TX_ROOM - 2);
	assert_int_equal(ev(TT_CTR_TX_HELD), 0);
	assert_int_equal(link_take(flags), TX_ROOM - 2);
	assert_int_equal(flags[0], TT_TCP_SYN | TT_TCP_ACK);

	/* 1: one SYN-ACK beyond the ring's room is held, and the next flush sends it. */
	syns_in(TX_ROOM + 1, 80);
	tt_worker_flush(g.w);
	assert_int_equal(ev(TT_CTR_TX_HELD), 1);
	assert_int_equal(ev(TT_CTR_TX_FAILED), 0);
	assert_int_equal(link_take(flags), TX_ROOM);
	tt_worker_flush(g.w);
	assert_int_equal(ev(TT_CTR_TX_HELD_RETRIED), 1);
	assert_int_equal(link_take(flags), 1);
	assert_int_equal(flags[0], TT_TCP_SYN | TT_TCP_ACK);
	assert_int_equal(ev(TT_CTR_TX_PACKETS), (TX_ROOM - 2) + TX_ROOM + 1);

	/* The most: TT_TX_HOLD held, the three beyond them freed; refused again, the held ones
	 * go too. */
	syns_in(TX_ROOM + TT_TX_HOLD + 3, 80);
	tt_worker_flush(g.w);
	assert_int_equal(ev(TT_CTR_TX_HELD), 1 + TT_TX_HOLD);
	assert_int_equal(ev(TT_CTR_TX_FAILED), 3);
	tt_worker_flush(g.w);
	assert_int_equal(ev(TT_CTR_TX_HELD_DROPPED), TT_TX_HOLD);
	assert_int_equal(ev(TT_CTR_TX_FAILED), 3 + TT_TX_HOLD);
	assert_int_equal(ev(TT_CTR_TX_HELD_RETRIED), 1);
	assert_int_equal(link_take(flags), TX_ROOM);

	/* RSTs (no listener on 81) are not held: with the ring full they are freed at once. */
	syns_in(TX_ROOM, 80);
	tt_worker_flush(g.w);
	assert_int_equal(link_take(flags), TX_ROOM); /* the ring is empty again */
	syns_in(TX_ROOM, 80);
	syns_in(2, 81);
	tt_worker_flush(g.w);
	assert_int_equal(ev(TT_CTR_TX_HELD), 1 + TT_TX_HOLD);
	assert_int_equal(ev(TT_CTR_TX_FAILED), 3 + TT_TX_HOLD + 2);
	assert_int_equal(ev(TT_CTR_RST_SENT), 2);
	assert_int_equal(link_take(flags), TX_ROOM);
	tt_worker_flush(g.w);
	assert_int_equal(link_take(flags), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused_synacks_held),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
