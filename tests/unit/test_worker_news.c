/*
 * Neighbour news between workers (tt_news.h) through the real workers: two workers on the
 * two queues of a net_ring port (EAL without hugepages), linked as the appliance links them.
 * A SYN from an on-link peer reaches worker 1, whose SYN-ACK waits for the peer's MAC while it
 * asks; the answer (an ARP reply, or for IPv6 a neighbour advertisement written by the real
 * responder code to worker 1's own solicitation) arrives on worker 0's queue.  Worker 0 holds no
 * entry and only tells; worker 1's next loop iteration takes the news, resolves, and sends the
 * SYN-ACK to the peer's MAC.  An inbox that fills refuses and counts the rest, and an iteration
 * takes a bounded batch; one worker alone posts nothing.  An ICMP "fragmentation needed" that
 * quotes worker 1's connection, received by worker 0, lowers that connection's segment size
 * there, and is counted stale nowhere.  Only news of an address that can be a next hop is
 * told, and told too-big errors fill at most half of an inbox.
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
#include "tt_nd.h"
#include "tt_worker.h"

#include "icmp_too_big.h"
#include "worker_harness.h"

enum { ROOM = 2047, POOL_MBUFS = 4095 };

#define US_ADDR	  0xc6120002u				       /* 198.18.0.2/24 */
#define PEER_ADDR 0xc6120007u				       /* 198.18.0.7, on link */
static const uint8_t us6[16] = {0x20, 0x01, 0, 2, [15] = 2};   /* 2001:2::2/64 */
static const uint8_t peer6[16] = {0x20, 0x01, 0, 2, [15] = 7}; /* 2001:2::7 */
static const struct tt_mac us_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct tt_mac peer_mac = {{0x02, 0, 0, 0, 0, 0x77}};

static struct {
	struct rte_mempool *pool;
	struct rte_ring *rx[2], *tx[2];
	struct tt_port port;
	struct tt_conf conf;
	uint8_t listen_app[65536];
	struct tt_http_response http;
	struct tt_worker *w[2];
	uint16_t next_sport;
} g;

static struct tt_worker *worker_create(unsigned id)
{
	return worker_harness_create(id, &g.port, g.pool, &g.conf, g.listen_app, &g.http);
}

static int setup(void **state)
{
	static const char *const hdrs[] = {"Content-Type: text/plain"};

	(void)state;
	if (worker_harness_eal("test-worker-news") < 0)
		return -1;
	g.pool = rte_pktmbuf_pool_create("tt_test_pool", POOL_MBUFS, 0, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	for (unsigned q = 0; q < 2; q++) {
		char name[32];

		snprintf(name, sizeof(name), "tt_test_rx%u", q);
		g.rx[q] =
		    rte_ring_create(name, ROOM + 1, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "tt_test_tx%u", q);
		g.tx[q] =
		    rte_ring_create(name, ROOM + 1, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (g.rx[q] == NULL || g.tx[q] == NULL)
			return -1;
	}
	if (g.pool == NULL || rte_eth_from_rings("tt_test_ring", g.rx, 2, g.tx, 2, 0) < 0)
		return -1;
	g.port.port_id = 0;
	g.port.n_queues = 2;
	g.port.mac = us_mac;
	if (rte_eth_dev_configure(0, 2, 2, &(struct rte_eth_conf){0}) != 0)
		return -1;
	for (uint16_t q = 0; q < 2; q++)
		if (rte_eth_rx_queue_setup(0, q, 64, SOCKET_ID_ANY, NULL, g.pool) != 0 ||
		    rte_eth_tx_queue_setup(0, q, 64, SOCKET_ID_ANY, NULL) != 0)
			return -1;
	if (rte_eth_dev_start(0) != 0)
		return -1;
	tt_conf_defaults(&g.conf);
	g.conf.n_ports = 1;
	g.conf.ports[0].ip.addr = US_ADDR;
	g.conf.ports[0].ip.prefix_len = 24;
	g.conf.ports[0].ip.n_addr6 = 1;
	memcpy(g.conf.ports[0].ip.addr6[0], us6, 16);
	g.conf.ports[0].ip.prefix6_len[0] = 64;
	g.conf.ports[0].mtu = 1500;
	g.conf.ports[0].rx_desc = 64;
	g.conf.ports[0].tx_desc = 64;
	g.conf.ports[0].reply_to_source_mac = false; /* every frame through the neighbour cache */
	g.conf.tcp.max_conns_per_core = 1024;
	g.listen_app[80] = TT_APP_HTTP + 1;
	if (tt_http_response_build(&g.http, 200, hdrs, 1, (const uint8_t *)"hello", 5) != 0)
		return -1;
	g.w[0] = worker_create(0);
	g.w[1] = worker_create(1);
	if (g.w[0] == NULL || g.w[1] == NULL)
		return -1;
	return tt_worker_link(g.w, 2);
}

static int teardown(void **state)
{
	(void)state;
	tt_worker_free(g.w[0]);
	tt_worker_free(g.w[1]);
	tt_http_response_free(&g.http);
	return 0;
}

static struct rte_mbuf *mbuf_of(uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g.pool);

	assert_non_null(m);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	return m;
}

/* A SYN to port 80 from the on-link peer (IPv6 when v6), with a port of its own. */
static struct rte_mbuf *syn_frame(bool v6)
{
	struct tt_tcp_hdr_args a = {
	    .src_mac = peer_mac,
	    .dst_mac = us_mac,
	    .saddr = PEER_ADDR,
	    .daddr = US_ADDR,
	    .sport = (uint16_t)(20000 + g.next_sport++),
	    .dport = 80,
	    .seq = 4242,
	    .wnd = 65535,
	    .flags = TT_TCP_SYN,
	    .opts = {.present = TT_OPT_MSS, .mss = 1460},
	};
	struct rte_mbuf *m = worker_harness_segment(g.pool, &a, v6 ? peer6 : NULL, us6);

	assert_non_null(m);
	return m;
}

/* An ARP reply from (peer_mac, sip) to us. */
static struct rte_mbuf *arp_reply_frame(uint32_t sip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g.pool);
	uint8_t *f;
	uint32_t len;

	assert_non_null(m);
	f = rte_pktmbuf_mtod(m, uint8_t *);
	len = tt_net_arp_request(f, &peer_mac, sip, US_ADDR, &us_mac);
	f[TT_ETH_HDR_LEN + 7] = 2; /* the operation: reply */
	memcpy(f + TT_ETH_HDR_LEN + 18, us_mac.b, 6);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	return m;
}

static uint64_t ev(unsigned w, enum tt_counter c)
{
	return g.w[w]->ctr.ev[c];
}

static uint32_t taken_len[8]; /* the lengths of the frames link_take copied */

/* The frames queue q sent since the last call, freed; the first 8 ones' first bytes into f[i]. */
static unsigned link_take(unsigned q, uint8_t (*f)[128])
{
	void *objs[ROOM + 1];
	unsigned n = rte_ring_dequeue_burst(g.tx[q], objs, ROOM + 1, NULL);

	for (unsigned i = 0; i < n; i++) {
		const struct rte_mbuf *m = objs[i];

		if (f != NULL && i < 8) {
			memcpy(f[i], rte_pktmbuf_mtod(m, const uint8_t *), 128);
			taken_len[i] = m->data_len;
		}
		rte_pktmbuf_free(objs[i]);
	}
	return n;
}

static void stop_first(struct tt_worker *w, void *arg)
{
	(void)w;
	*(volatile bool *)arg = true;
}

/* One iteration of worker i's loop (it ends the loop from its on_loop hook). */
static void one_iteration(unsigned i)
{
	volatile bool quit = false;

	g.w[i]->on_loop = stop_first;
	g.w[i]->loop_arg = (void *)&quit;
	g.w[i]->quit = &quit;
	tt_worker_main(g.w[i]);
	g.w[i]->on_loop = NULL;
	g.w[i]->quit = NULL;
}

/* IPv4: worker 1 asks by ARP; the reply comes to worker 0, whose news resolves worker 1. */
static void test_arp_answer_on_another_queue(void **state)
{
	uint8_t f[8][128];
	struct rte_mbuf *m = syn_frame(false);
	uint64_t resolved0 = ev(1, TT_CTR_NEIGH_RESOLVED);

	(void)state;
	tt_worker_rx_burst(g.w[1], 0, &m, 1);
	tt_worker_flush(g.w[1]);
	assert_int_equal(link_take(1, f), 1); /* the ARP request; the SYN-ACK waits */
	assert_int_equal(f[0][12] << 8 | f[0][13], 0x0806);
	assert_int_equal(ev(1, TT_CTR_NEIGH_HELD), 1);

	m = arp_reply_frame(PEER_ADDR);
	tt_worker_rx_burst(g.w[0], 0, &m, 1);
	assert_int_equal(ev(0, TT_CTR_ARP_IGNORED), 1); /* no entry there */
	assert_int_equal(ev(0, TT_CTR_WORKER_NEWS_POSTED), 1);
	assert_int_equal(ev(1, TT_CTR_NEIGH_NEWS_LEARNED), 0);

	one_iteration(1);
	assert_int_equal(ev(1, TT_CTR_NEIGH_NEWS_LEARNED), 1);
	assert_int_equal(ev(1, TT_CTR_NEIGH_RESOLVED), resolved0 + 1);
	assert_int_equal(ev(1, TT_CTR_ARP_LEARNED), 0); /* it heard nothing itself */
	assert_int_equal(ev(1, TT_CTR_NEIGH_HELD_SENT), 1);
	assert_int_equal(link_take(1, f), 1);
	assert_memory_equal(f[0], peer_mac.b, 6);
	assert_int_equal(f[0][TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + 13], TT_TCP_SYN | TT_TCP_ACK);
	/* Worker 0 took nothing from news of its own: its inbox is empty. */
	assert_int_equal(rte_ring_count(g.w[0]->news.inbox), 0);
	assert_int_equal(link_take(0, NULL), 0);
}

/* IPv6: worker 1 solicits; the advertisement, as the peer's responder writes it to that very
 * solicitation, comes to worker 0. */
static void test_nd_answer_on_another_queue(void **state)
{
	uint8_t f[8][128];
	struct rte_mbuf *m = syn_frame(true);
	struct tt_net_if peer_if = {.mac = peer_mac, .addr_count = 1, .n_addr6 = 1};
	struct tt_pkt pkt;
	enum tt_drop reason;
	uint8_t *na;

	(void)state;
	memcpy(peer_if.addr6[0].b, peer6, 16);
	tt_worker_rx_burst(g.w[1], 0, &m, 1);
	tt_worker_flush(g.w[1]);
	assert_int_equal(link_take(1, f), 1); /* the solicitation */
	assert_int_equal(ev(1, TT_CTR_ND_SOLICITS_SENT), 1);
	assert_int_equal(tt_net_parse(f[0], taken_len[0], &peer_if, &pkt, &reason), TT_PKT_ND_NS);
	m = mbuf_of(0);
	na = rte_pktmbuf_mtod(m, uint8_t *);
	m->data_len = (uint16_t)tt_nd_na_reply(na, &pkt, &peer_if);
	m->pkt_len = m->data_len;
	tt_worker_rx_burst(g.w[0], 0, &m, 1);
	assert_int_equal(ev(0, TT_CTR_ND_ADVERTS_RX), 1);
	assert_int_equal(ev(0, TT_CTR_ND_IGNORED), 1);

	one_iteration(1);
	assert_int_equal(ev(1, TT_CTR_NEIGH_NEWS_LEARNED), 2);
	assert_int_equal(ev(1, TT_CTR_ND_LEARNED), 0);
	assert_int_equal(link_take(1, f), 1);
	assert_memory_equal(f[0], peer_mac.b, 6);
	assert_int_equal(f[0][TT_ETH_HDR_LEN + TT_IP6_HDR_LEN + 13], TT_TCP_SYN | TT_TCP_ACK);
}

/* n ARP replies from 100 on-link neighbours in turn, received by worker 0 in bursts. */
static void arp_flood(unsigned n)
{
	for (unsigned done = 0; done < n;) {
		struct rte_mbuf *m[TT_RX_BURST];
		unsigned k = n - done < TT_RX_BURST ? n - done : TT_RX_BURST;

		for (unsigned i = 0; i < k; i++)
			m[i] = arp_reply_frame(PEER_ADDR + 100 + (done + i) % 100);
		tt_worker_rx_burst(g.w[0], 0, m, k);
		done += k;
	}
}

/* A flood of ARP fills worker 1's inbox: the rest is refused and counted, and one iteration of
 * worker 1 takes a batch of it, no more; news of no entry it holds changes nothing there. */
static void test_full_inbox(void **state)
{
	uint64_t posted0 = ev(0, TT_CTR_WORKER_NEWS_POSTED), learned0;

	(void)state;
	arp_flood(TT_NEWS_INBOX + 40);
	assert_int_equal(ev(0, TT_CTR_WORKER_NEWS_POSTED) - posted0, TT_NEWS_INBOX - 1);
	assert_int_equal(ev(0, TT_CTR_WORKER_NEWS_DROPPED), 41);
	learned0 = ev(1, TT_CTR_NEIGH_NEWS_LEARNED);
	one_iteration(1);
	assert_int_equal(rte_ring_count(g.w[1]->news.inbox), TT_NEWS_INBOX - 1 - TT_NEWS_BATCH);
	assert_int_equal(ev(1, TT_CTR_NEIGH_NEWS_LEARNED), learned0);
	while (rte_ring_count(g.w[1]->news.inbox) > 0)
		one_iteration(1);
	assert_int_equal(ev(1, TT_CTR_ARP_IGNORED), 0);
	link_take(0, NULL);
	link_take(1, NULL);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A router's "fragmentation needed" (MTU 1000), or for an IPv6 frame a Packet Too Big (MTU
 * 1300), quoting sent, a frame of ours, received by worker 0. */
static void too_big_to_worker0(const uint8_t *sent)
{
	static const uint8_t router6[16] = {0x20, 0x01, 0, 2, [15] = 1}; /* 2001:2::1 */
	bool v6 = sent[12] == 0x86 && sent[13] == 0xdd;
	uint8_t icmp[ICMP_TOO_BIG_MAX];
	struct rte_mbuf *m =
	    mbuf_of(icmp_too_big_build(icmp, sent, 0xc6120001u, router6, v6 ? 1300 : 1000));

	memcpy(rte_pktmbuf_mtod(m, uint8_t *), icmp, m->data_len);
	tt_worker_rx_burst(g.w[0], 0, &m, 1);
}

/* An ICMP too-big error for a segment in flight on worker 1's connection (IPv6 when v6)
 * reaches worker 0: told, and worker 1 lowers the connection; then one quoting a connection
 * neither holds is told and taken by no one.  Nothing is counted stale. */
static void too_big_for_another_worker(bool v6)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	uint32_t l3 = v6 ? TT_IP6_HDR_LEN : TT_IP4_HDR_LEN;
	uint8_t f[8][128];
	struct rte_mbuf *m = syn_frame(v6);
	struct tt_tcp_hdr_args a = {.src_mac = peer_mac,
				    .dst_mac = us_mac,
				    .saddr = PEER_ADDR,
				    .daddr = US_ADDR,
				    .sport = (uint16_t)(20000 + g.next_sport - 1),
				    .dport = 80,
				    .seq = 4243,
				    .wnd = 65535,
				    .flags = TT_TCP_ACK | TT_TCP_PSH};
	uint64_t told0 = ev(0, TT_CTR_ICMP_TOO_BIG_TOLD);
	uint64_t lowered0 = ev(1, TT_CTR_PATH_MTU_LOWERED);

	tt_worker_rx_burst(g.w[1], 0, &m, 1); /* the peer's MAC is known since the first tests */
	tt_worker_flush(g.w[1]);
	assert_int_equal(link_take(1, f), 1);
	a.ack = get_be32(f[0] + TT_ETH_HDR_LEN + l3 + 4) + 1;
	m = worker_harness_segment_data(g.pool, &a, v6 ? peer6 : NULL, us6, get, sizeof(get) - 1);
	assert_non_null(m);
	tt_worker_rx_burst(g.w[1], 0, &m, 1);
	tt_worker_flush(g.w[1]);
	assert_int_equal(link_take(1, f), 1); /* the response, in flight */

	too_big_to_worker0(f[0]);
	assert_int_equal(ev(0, TT_CTR_ICMP_TOO_BIG_TOLD), told0 + 1);
	assert_int_equal(ev(1, TT_CTR_PATH_MTU_LOWERED), lowered0);
	one_iteration(1);
	assert_int_equal(ev(1, TT_CTR_PATH_MTU_LOWERED), lowered0 + 1);

	f[0][TT_ETH_HDR_LEN + l3 + 1] ^= 1; /* another source port */
	too_big_to_worker0(f[0]);
	one_iteration(1);
	assert_int_equal(ev(0, TT_CTR_ICMP_TOO_BIG_TOLD), told0 + 2);
	assert_int_equal(ev(1, TT_CTR_PATH_MTU_LOWERED), lowered0 + 1);
	assert_int_equal(g.w[0]->ctr.drop[TT_DROP_ICMP_TOO_BIG_STALE] +
			     g.w[1]->ctr.drop[TT_DROP_ICMP_TOO_BIG_STALE],
			 0);
	link_take(1, NULL);
}

static void test_too_big_for_another_worker(void **state)
{
	(void)state;
	too_big_for_another_worker(false);
}

static void test_too_big6_for_another_worker(void **state)
{
	(void)state;
	too_big_for_another_worker(true);
}

/* A neighbour solicitation from src (with our MAC as its unicast destination) to us. */
static struct rte_mbuf *ns_frame(const uint8_t *src)
{
	struct rte_mbuf *m = mbuf_of(0);
	struct tt_in6 s, t;

	memcpy(s.b, src, 16);
	memcpy(t.b, us6, 16);
	m->data_len =
	    (uint16_t)tt_nd_ns_build(rte_pktmbuf_mtod(m, uint8_t *), &peer_mac, &s, &t, &us_mac);
	m->pkt_len = m->data_len;
	return m;
}

/*
 * Only news of an address that can be a next hop of ours is told: an ARP packet from an
 * address off the interface's prefix (no gateway is configured) or from 0.0.0.0 (a probe), a
 * solicitation from an IPv6 address off every prefix, are heard by worker 0 alone; the same
 * from on-link addresses (IPv6: inside the prefix, or link-local) are told.  (A gateway is
 * inside its prefix: the configuration refuses one outside.)
 */
static void test_news_only_of_next_hops(void **state)
{
	static const uint8_t off6[16] = {0x20, 0x01, 0, 3, [15] = 7}; /* 2001:3::7 */
	static const uint8_t on6[16] = {0x20, 0x01, 0, 2, [15] = 8};  /* 2001:2::8 */
	static const uint8_t ll6[16] = {0xfe, 0x80, [15] = 7};	      /* fe80::7 */
	uint64_t posted0 = ev(0, TT_CTR_WORKER_NEWS_POSTED);
	struct rte_mbuf *m[3] = {arp_reply_frame(0xc6120507u), arp_reply_frame(0), ns_frame(off6)};

	(void)state;
	tt_worker_rx_burst(g.w[0], 0, m, 3);
	assert_int_equal(ev(0, TT_CTR_ND_ADVERTS_SENT), 1); /* the solicitation was answered */
	assert_int_equal(ev(0, TT_CTR_WORKER_NEWS_POSTED), posted0);
	m[0] = arp_reply_frame(PEER_ADDR + 1);
	m[1] = ns_frame(on6);
	m[2] = ns_frame(ll6);
	tt_worker_rx_burst(g.w[0], 0, m, 3);
	assert_int_equal(ev(0, TT_CTR_WORKER_NEWS_POSTED), posted0 + 3);
	while (rte_ring_count(g.w[1]->news.inbox) > 0)
		one_iteration(1);
	tt_worker_flush(g.w[0]);
	link_take(0, NULL);
	link_take(1, NULL);
}

/*
 * Told too-big errors fill at most half of an inbox: with worker 1's inbox half full of
 * neighbour news, one quoting no connection of worker 0 is refused there (not counted told),
 * and neighbour news is still taken in.
 */
static void test_too_big_leaves_room(void **state)
{
	uint8_t f[128];
	struct tt_tcp_hdr_args a = {.src_mac = us_mac,
				    .dst_mac = peer_mac,
				    .saddr = US_ADDR,
				    .daddr = PEER_ADDR,
				    .sport = 80,
				    .dport = 9,
				    .seq = 1,
				    .flags = TT_TCP_ACK};
	uint64_t told0 = ev(0, TT_CTR_ICMP_TOO_BIG_TOLD);
	uint64_t dropped0 = ev(0, TT_CTR_WORKER_NEWS_DROPPED);
	unsigned half = TT_NEWS_INBOX / 2;
	struct rte_mbuf *m;

	(void)state;
	memset(f, 0, sizeof(f));
	tt_net_tcp_build(f, &a, 0);
	arp_flood(half);
	assert_int_equal(rte_ring_count(g.w[1]->news.inbox), half);
	too_big_to_worker0(f);
	assert_int_equal(ev(0, TT_CTR_ICMP_TOO_BIG_TOLD), told0);
	assert_int_equal(ev(0, TT_CTR_WORKER_NEWS_DROPPED), dropped0 + 1);
	assert_int_equal(rte_ring_count(g.w[1]->news.inbox), half);
	m = arp_reply_frame(PEER_ADDR);
	tt_worker_rx_burst(g.w[0], 0, &m, 1);
	assert_int_equal(rte_ring_count(g.w[1]->news.inbox), half + 1);
	/* Below half full, the error is told. */
	one_iteration(1);
	too_big_to_worker0(f);
	assert_int_equal(ev(0, TT_CTR_ICMP_TOO_BIG_TOLD), told0 + 1);
	while (rte_ring_count(g.w[1]->news.inbox) > 0)
		one_iteration(1);
	link_take(0, NULL);
	link_take(1, NULL);
}

/* A worker whose drain ended takes no more news: the others post nothing to it (not counted
 * dropped either, as a full inbox would be). */
static void test_drained_worker_told_nothing(void **state)
{
	uint64_t posted0 = ev(0, TT_CTR_WORKER_NEWS_POSTED);
	uint64_t dropped0 = ev(0, TT_CTR_WORKER_NEWS_DROPPED);
	struct rte_mbuf *m = arp_reply_frame(PEER_ADDR);

	(void)state;
	tt_worker_rx_burst(g.w[0], 0, &m, 1);
	assert_int_equal(ev(0, TT_CTR_WORKER_NEWS_POSTED), posted0 + 1);
	tt_worker_drain(g.w[1], 0);
	tt_worker_main(g.w[1]); /* returns once drained */
	m = arp_reply_frame(PEER_ADDR);
	tt_worker_rx_burst(g.w[0], 0, &m, 1);
	assert_int_equal(ev(0, TT_CTR_WORKER_NEWS_POSTED), posted0 + 1);
	assert_int_equal(ev(0, TT_CTR_WORKER_NEWS_DROPPED), dropped0);
	link_take(0, NULL);
	link_take(1, NULL);
}

/* One worker alone has no inbox and tells no one. */
static void test_one_worker_posts_nothing(void **state)
{
	struct tt_worker *w = worker_create(5);
	struct rte_mbuf *m;

	(void)state;
	assert_non_null(w);
	assert_int_equal(tt_worker_link(&w, 1), 0);
	assert_null(w->news.inbox);
	m = arp_reply_frame(PEER_ADDR);
	tt_worker_rx_burst(w, 0, &m, 1);
	assert_int_equal(w->ctr.ev[TT_CTR_ARP_IGNORED], 1);
	assert_int_equal(w->ctr.ev[TT_CTR_WORKER_NEWS_POSTED], 0);
	assert_int_equal(w->ctr.ev[TT_CTR_WORKER_NEWS_DROPPED], 0);
	tt_worker_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_arp_answer_on_another_queue),
	    cmocka_unit_test(test_nd_answer_on_another_queue),
	    cmocka_unit_test(test_full_inbox),
	    cmocka_unit_test(test_too_big_for_another_worker),
	    cmocka_unit_test(test_too_big6_for_another_worker),
	    cmocka_unit_test(test_news_only_of_next_hops),
	    cmocka_unit_test(test_too_big_leaves_room),
	    cmocka_unit_test(test_drained_worker_told_nothing),
	    cmocka_unit_test(test_one_worker_posts_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
