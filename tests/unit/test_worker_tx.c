/*
 * The worker's TX path against a real ethdev whose TX queue fills: a net_ring port (EAL without
 * hugepages or PCI) whose TX ring holds TX_ROOM frames until the test takes them.  SYN-ACKs (the
 * replies to crafted SYNs fed through tt_worker_rx_burst) are the segments a full queue must
 * not lose: refused, they are held for the next flush (none, one, and TT_TX_HOLD of them, the
 * rest freed; over IPv6 and tagged in software for a VLAN as well); a held frame refused again
 * is dropped; RSTs are never held.  The same worker,
 * shedding, drops SYNs before parsing them.  And its loop (tt_worker_main, run for a few
 * iterations) builds a reply in the received buffer the stack gave back last, not one from the
 * pool, and gives a kept buffer back to the pool when it idles; a port that asks for it has its
 * batch sent after each full burst as well as at the iteration's end; and full polls lead it to
 * shed SYNs only while it is saturated.  A worker with a pool of its own parks the free buffers
 * beyond its store's band, counts them free, and gives them back as an allocation finds the
 * store empty and as its loop ends.
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
#include <rte_ip.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "tt_app.h"
#include "tt_http.h"
#include "tt_stats.h"
#include "tt_worker.h"

#include "worker_harness.h"

/* A ring of 8 slots holds 7; the RX ring holds four full iterations' frames and more. */
enum { TX_ROOM = 7, RX_ROOM = 1023, POOL_MBUFS = 2047 };

#define US_ADDR 0xc6120002u /* 198.18.0.2 */
#define US_VLAN_ADDR 0xc6120502u /* 198.18.5.2, on VLAN US_VLAN */
#define US_VLAN	     10
/* 2001:2::2, the VLAN's 2001:2:0:5::2, and a peer, 2001:2::1:n (RFC 5180) */
static const uint8_t us6[16] = {0x20, 0x01, 0, 2, [15] = 2};
static const uint8_t us6_vlan[16] = {0x20, 0x01, 0, 2, 0, 0, 0, 5, [15] = 2};

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

/* A worker on the test's port and configuration whose own frames come from pool. */
static struct tt_worker *worker_create(struct rte_mempool *pool)
{
	return worker_harness_create(0, &g.port, pool, &g.conf, g.listen_app, &g.http);
}

static int setup(void **state)
{
	static const char *const hdrs[] = {"Content-Type: text/plain"};

	(void)state;
	if (worker_harness_eal("test-worker-tx") < 0)
		return -1;
	g.pool = rte_pktmbuf_pool_create("tt_test_pool", POOL_MBUFS, 0, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	g.rx = rte_ring_create("tt_test_rx", RX_ROOM + 1, SOCKET_ID_ANY,
			       RING_F_SP_ENQ | RING_F_SC_DEQ);
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
	/* An IPv6 address, and a VLAN the port does not tag in hardware (a ring has no offload). */
	g.conf.ports[0].ip.n_addr6 = 1;
	memcpy(g.conf.ports[0].ip.addr6[0], us6, 16);
	g.conf.ports[0].ip.prefix6_len[0] = 64;
	g.conf.ports[0].n_vlans = 1;
	g.conf.ports[0].vlans[0].id = US_VLAN;
	g.conf.ports[0].vlans[0].ip.addr = US_VLAN_ADDR;
	g.conf.ports[0].vlans[0].ip.prefix_len = 24;
	g.conf.ports[0].vlans[0].ip.n_addr6 = 1;
	memcpy(g.conf.ports[0].vlans[0].ip.addr6[0], us6_vlan, 16);
	g.conf.ports[0].vlans[0].ip.prefix6_len[0] = 64;
	g.conf.tcp.max_conns_per_core = 1024;
	g.listen_app[80] = TT_APP_HTTP + 1;
	if (tt_http_response_build(&g.http, 200, hdrs, 1, (const uint8_t *)"hello", 5) != 0)
		return -1;
	g.w = worker_create(g.pool);
	return g.w == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	tt_worker_free(g.w);
	tt_http_response_free(&g.http);
	return 0;
}

/* A segment with these flags from a new peer to dport, its checksums complete. */
static struct rte_mbuf *seg_frame(uint16_t dport, uint8_t flags)
{
	struct tt_tcp_hdr_args a = {
	    .src_mac = {{0x02, 0, 0, 0, 0, 0x02}},
	    .dst_mac = g.port.mac,
	    .saddr = 0xc6120101u,
	    .daddr = US_ADDR,
	    .sport = (uint16_t)(10000 + g.next_peer++),
	    .dport = dport,
	    .seq = 12345,
	    .ack = 777,
	    .wnd = 65535,
	    .flags = flags,
	    .opts = {.present = TT_OPT_MSS, .mss = 1460},
	};
	struct rte_mbuf *m = worker_harness_segment(g.pool, &a, NULL, NULL);

	assert_non_null(m);
	return m;
}

/* n SYNs from new peers to dport, received as one RX burst; their replies wait in the batch. */
static void syns_in(unsigned n, uint16_t dport)
{
	struct rte_mbuf *m[64];

	assert_true(n <= 64);
	for (unsigned i = 0; i < n; i++)
		m[i] = seg_frame(dport, TT_TCP_SYN);
	tt_worker_rx_burst(g.w, 0, m, n);
}

/* The TCP flags of one of the appliance's frames: IPv4 or IPv6, behind a VLAN tag or not. */
static uint8_t frame_tcp_flags(const uint8_t *f)
{
	uint32_t l3 = f[12] == 0x81 ? TT_ETH_HDR_LEN + TT_VLAN_TAG_LEN : TT_ETH_HDR_LEN;

	return f[l3 + (f[l3 - 2] == 0x86 ? TT_IP6_HDR_LEN : TT_IP4_HDR_LEN) + 13];
}

/* What reached the link since the last call (the ring emptied); each frame's TCP flags. */
static unsigned link_take(uint8_t *flags)
{
	void *objs[TX_ROOM + 1];
	unsigned n = rte_ring_dequeue_burst(g.tx, objs, TX_ROOM + 1, NULL);

	for (unsigned i = 0; i < n; i++) {
		flags[i] = frame_tcp_flags(rte_pktmbuf_mtod((struct rte_mbuf *)objs[i], uint8_t *));
		rte_pktmbuf_free(objs[i]);
	}
	return n;
}

/* Flush and empty the link until nothing is left in it or in the port's batch (held frames). */
static void link_drain(void)
{
	uint8_t flags[TX_ROOM + 1];

	do
		tt_worker_flush(g.w);
	while (link_take(flags) > 0 || g.w->ports[0].n_tx > 0);
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

/* A SYN from a new peer (or from saddr, src6 when not 0 or NULL) over IPv6 to us6 on the
 * untagged interface (ipv6) or, tagged in the frame, on VLAN US_VLAN. */
static struct rte_mbuf *syn_frame_from(bool ipv6, uint32_t saddr, const uint8_t *src6)
{
	uint8_t peer6[16] = {0x20, 0x01, 0, 2};
	struct tt_tcp_hdr_args a = {
	    .src_mac = {{0x02, 0, 0, 0, 0, 0x02}},
	    .dst_mac = g.port.mac,
	    .saddr = saddr != 0 ? saddr : 0xc6120501u,
	    .daddr = US_VLAN_ADDR,
	    .sport = (uint16_t)(10000 + g.next_peer++),
	    .dport = 80,
	    .seq = 12345,
	    .wnd = 65535,
	    .flags = TT_TCP_SYN,
	    .opts = {.present = TT_OPT_MSS, .mss = 1460},
	};
	struct rte_mbuf *m = rte_pktmbuf_alloc(g.pool);
	uint8_t *f;
	uint32_t len;

	assert_non_null(m);
	f = rte_pktmbuf_mtod(m, uint8_t *);
	if (ipv6) {
		peer6[13] = 1;
		peer6[14] = (uint8_t)(g.next_peer >> 8);
		peer6[15] = (uint8_t)g.next_peer;
		len = tt_net_tcp6_build(f, &a, src6 != NULL ? src6 : peer6, us6, 0);
		tt_net_tcp6_cksum(f);
	} else {
		len = tt_net_tcp_build(f + TT_VLAN_TAG_LEN, &a, 0);
		tt_net_tcp_cksum(f + TT_VLAN_TAG_LEN, 0);
		tt_net_vlan_insert(f, US_VLAN);
		len += TT_VLAN_TAG_LEN;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	return m;
}

/* SYN-ACKs over IPv6 and those tagged in software for a VLAN are held as IPv4's are: one
 * beyond the ring's room each way waits for the next flush (they were freed at once). */
static void test_refused_ipv6_and_vlan_synacks_held(void **state)
{
	uint8_t flags[TX_ROOM + 1];

	(void)state;
	link_drain();
	for (int ipv6 = 0; ipv6 <= 1; ipv6++) {
		uint64_t held = ev(TT_CTR_TX_HELD), failed = ev(TT_CTR_TX_FAILED);
		struct rte_mbuf *m[TX_ROOM + 1];

		for (unsigned i = 0; i < TX_ROOM + 1; i++)
			m[i] = syn_frame_from(ipv6, 0, NULL);
		tt_worker_rx_burst(g.w, 0, m, TX_ROOM + 1);
		tt_worker_flush(g.w);
		assert_int_equal(ev(TT_CTR_TX_HELD), held + 1);
		assert_int_equal(ev(TT_CTR_TX_FAILED), failed);
		assert_int_equal(link_take(flags), TX_ROOM);
		tt_worker_flush(g.w);
		assert_int_equal(link_take(flags), 1);
		assert_int_equal(flags[0], TT_TCP_SYN | TT_TCP_ACK);
	}
}

static uint64_t drop(enum tt_drop d)
{
	return g.w->ctr.drop[d];
}

/* A frame on one interface from another's address is refused as from its own (a land), over
 * IPv4 on the VLAN from the untagged interface's address and over IPv6 on the untagged one from
 * the VLAN's: nothing answers either. */
static void test_source_of_another_interface_dropped(void **state)
{
	uint64_t bad4 = drop(TT_DROP_IP_BAD_SRC), bad6 = drop(TT_DROP_IP6_BAD_SRC);
	struct rte_mbuf *m[2];
	uint8_t flags[TX_ROOM + 1];

	(void)state;
	link_drain();
	m[0] = syn_frame_from(false, US_ADDR, NULL);
	m[1] = syn_frame_from(true, 0, us6_vlan);
	tt_worker_rx_burst(g.w, 0, m, 2);
	tt_worker_flush(g.w);
	assert_int_equal(link_take(flags), 0);
	assert_int_equal(drop(TT_DROP_IP_BAD_SRC), bad4 + 1);
	assert_int_equal(drop(TT_DROP_IP6_BAD_SRC), bad6 + 1);
	/* From a peer's addresses the same SYNs are answered. */
	m[0] = syn_frame_from(false, 0, NULL);
	m[1] = syn_frame_from(true, 0, NULL);
	tt_worker_rx_burst(g.w, 0, m, 2);
	tt_worker_flush(g.w);
	assert_int_equal(link_take(flags), 2);
}

/* A SYN whose TCP checksum is wrong: the parser drops it (tcp_csum), the peek does not look. */
static struct rte_mbuf *bad_cksum_syn(void)
{
	struct rte_mbuf *m = seg_frame(80, TT_TCP_SYN);

	rte_pktmbuf_mtod(m, uint8_t *)[TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + 16] ^= 0xff;
	return m;
}

/*
 * A shedding worker drops IPv4 SYNs unparsed: counted as the stack counts a shed SYN, never
 * answered, no connection, every buffer back in the pool; an ACK and a SYN-ACK of the same
 * burst go on to the stack (answered with RSTs).  The SYN with a bad checksum tells the two
 * paths apart: shed unparsed, it counts as shed, not as tcp_csum.  After a short poll SYNs are
 * answered again.
 */
static void test_shed_syns_unparsed(void **state)
{
	enum { SYNS = TT_RX_BURST + 8 }; /* the burst's frames go through in two chunks */
	struct rte_mbuf *m[SYNS + 3];
	uint8_t flags[TX_ROOM + 1];
	uint64_t syn0, shed0, csum0, rx0, bytes0, rst0;
	uint32_t conns0 = tt_stack_conn_count(g.w->stack), frame_bytes = 0;
	unsigned avail0, n;

	(void)state;
	link_drain();
	for (unsigned k = 0; k < g.conf.tcp.syn_shed_full_polls; k++) {
		assert_false(tt_stack_shedding(g.w->stack));
		tt_stack_rx_poll(g.w->stack, true);
	}
	assert_true(tt_stack_shedding(g.w->stack));

	syn0 = ev(TT_CTR_SYN_RECEIVED);
	shed0 = drop(TT_DROP_TCP_SYN_SHED);
	csum0 = drop(TT_DROP_TCP_CSUM);
	rx0 = ev(TT_CTR_RX_PACKETS);
	bytes0 = ev(TT_CTR_RX_BYTES);
	rst0 = ev(TT_CTR_RST_SENT);
	avail0 = rte_mempool_avail_count(g.pool);
	for (unsigned i = 0; i < SYNS - 1; i++)
		m[i] = seg_frame(80, TT_TCP_SYN);
	m[SYNS - 1] = bad_cksum_syn();
	m[SYNS] = seg_frame(80, TT_TCP_ACK);
	m[SYNS + 1] = seg_frame(80, TT_TCP_SYN);
	m[SYNS + 2] = seg_frame(80, TT_TCP_SYN | TT_TCP_ACK);
	for (unsigned i = 0; i < SYNS + 3; i++)
		frame_bytes += m[i]->pkt_len;
	tt_worker_rx_burst(g.w, 0, m, SYNS + 3);
	tt_worker_flush(g.w);

	assert_int_equal(ev(TT_CTR_SYN_RECEIVED) - syn0, SYNS + 1);
	assert_int_equal(drop(TT_DROP_TCP_SYN_SHED) - shed0, SYNS + 1);
	assert_int_equal(drop(TT_DROP_TCP_CSUM), csum0);
	assert_int_equal(ev(TT_CTR_RX_PACKETS) - rx0, SYNS + 3);
	assert_int_equal(ev(TT_CTR_RX_BYTES) - bytes0, frame_bytes);
	assert_int_equal(tt_stack_conn_count(g.w->stack), conns0);
	/* The ACK and the SYN-ACK met no connection: an RST each, and nothing else went out. */
	assert_int_equal(ev(TT_CTR_RST_SENT) - rst0, 2);
	n = link_take(flags);
	assert_int_equal(n, 2);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(flags[i] & (TT_TCP_SYN | TT_TCP_RST), TT_TCP_RST);
	assert_int_equal(rte_mempool_avail_count(g.pool), avail0);

	/* A short poll ends it: SYNs are answered, a bad checksum is the parser's again. */
	tt_stack_rx_poll(g.w->stack, false);
	assert_false(tt_stack_shedding(g.w->stack));
	m[0] = seg_frame(80, TT_TCP_SYN);
	m[1] = bad_cksum_syn();
	tt_worker_rx_burst(g.w, 0, m, 2);
	tt_worker_flush(g.w);
	assert_int_equal(drop(TT_DROP_TCP_SYN_SHED) - shed0, SYNS + 1);
	assert_int_equal(drop(TT_DROP_TCP_CSUM) - csum0, 1);
	assert_int_equal(ev(TT_CTR_SYN_RECEIVED) - syn0, SYNS + 2);
	assert_int_equal(link_take(flags), 1);
	assert_int_equal(flags[0], TT_TCP_SYN | TT_TCP_ACK);
}

/* An ICMP echo request of payload bytes from a peer, written at f; returns the frame's length. */
static uint32_t echo_request(uint8_t *f, uint32_t payload)
{
	static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + TT_ETH_HDR_LEN);
	uint8_t *icmp = f + TT_ETH_HDR_LEN + TT_IP4_HDR_LEN;
	uint32_t l4 = 8 + payload;
	uint16_t sum;

	memcpy(f, g.port.mac.b, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	*ip = (struct rte_ipv4_hdr){.version_ihl = 0x45,
				    .total_length = rte_cpu_to_be_16((uint16_t)(20 + l4)),
				    .time_to_live = 64,
				    .next_proto_id = IPPROTO_ICMP,
				    .src_addr = rte_cpu_to_be_32(0xc6120101u),
				    .dst_addr = rte_cpu_to_be_32(US_ADDR)};
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memset(icmp, 0, 8);
	icmp[0] = 8;
	for (uint32_t i = 0; i < payload; i++)
		icmp[8 + i] = (uint8_t)i;
	sum = (uint16_t)~rte_raw_cksum(icmp, l4);
	memcpy(icmp + 2, &sum, 2);
	return TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + l4;
}

/*
 * Frames the worker cannot answer in place as one buffer of the port's MTU are dropped before
 * parsing: one in two segments (a driver that chains a long frame; its reply would go out with
 * the second segment behind it), and an untagged one a byte longer than the MTU.
 */
static void test_chained_and_oversized_dropped(void **state)
{
	struct rte_mbuf *m[2], *tail;
	uint8_t flags[TX_ROOM + 1];
	unsigned avail0;
	uint32_t len;

	(void)state;
	link_drain();
	avail0 = rte_mempool_avail_count(g.pool);
	m[0] = rte_pktmbuf_alloc(g.pool);
	tail = rte_pktmbuf_alloc(g.pool);
	assert_non_null(m[0]);
	assert_non_null(tail);
	len = echo_request(rte_pktmbuf_mtod(m[0], uint8_t *), 64);
	m[0]->data_len = (uint16_t)len;
	m[0]->pkt_len = len;
	assert_non_null(rte_pktmbuf_append(tail, 1000));
	assert_int_equal(rte_pktmbuf_chain(m[0], tail), 0);
	m[1] = rte_pktmbuf_alloc(g.pool);
	assert_non_null(m[1]);
	len = echo_request(rte_pktmbuf_mtod(m[1], uint8_t *), 1500 + 1 - 28);
	m[1]->data_len = (uint16_t)len;
	m[1]->pkt_len = len;
	assert_int_equal(len, TT_ETH_HDR_LEN + 1500 + 1);
	tt_worker_rx_burst(g.w, 0, m, 2);
	tt_worker_flush(g.w);
	assert_int_equal(link_take(flags), 0);
	assert_int_equal(drop(TT_DROP_ETH_CHAINED), 1);
	assert_int_equal(drop(TT_DROP_ETH_OVER_MTU), 1);
	assert_int_equal(rte_mempool_avail_count(g.pool), avail0);
	/* One byte less is a frame of the MTU: answered. */
	m[0] = rte_pktmbuf_alloc(g.pool);
	len = echo_request(rte_pktmbuf_mtod(m[0], uint8_t *), 1500 - 28);
	m[0]->data_len = (uint16_t)len;
	m[0]->pkt_len = len;
	tt_worker_rx_burst(g.w, 0, m, 1);
	tt_worker_flush(g.w);
	assert_int_equal(link_take(flags), 1);
}

static int ext_freed;

static void ext_free_cb(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
	ext_freed++;
}

/*
 * An echo request in a buffer the driver attached from outside the pool (RTE_MBUF_F_EXTERNAL:
 * vhost's linear buffers, mlx5's striding queues) is answered in it, and still given back to its
 * owner once sent: the reply keeps the attachment flag.
 */
static void test_reply_in_external_buffer(void **state)
{
	static uint8_t ext[2048 + sizeof(struct rte_mbuf_ext_shared_info)];
	struct rte_mbuf_ext_shared_info *shinfo;
	struct rte_mbuf *m, *sent[TX_ROOM + 1];
	uint16_t buf_len = sizeof(ext);
	uint32_t len;

	(void)state;
	link_drain();
	ext_freed = 0;
	shinfo = rte_pktmbuf_ext_shinfo_init_helper(ext, &buf_len, ext_free_cb, NULL);
	assert_non_null(shinfo);
	m = rte_pktmbuf_alloc(g.pool);
	assert_non_null(m);
	rte_pktmbuf_attach_extbuf(m, ext, RTE_BAD_IOVA, buf_len, shinfo);
	rte_pktmbuf_reset_headroom(m);
	len = echo_request(rte_pktmbuf_mtod(m, uint8_t *), 64);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	tt_worker_rx_burst(g.w, 0, &m, 1);
	tt_worker_flush(g.w);
	assert_int_equal(rte_ring_dequeue_burst(g.tx, (void **)sent, TX_ROOM + 1, NULL), 1);
	assert_ptr_equal(sent[0], m);
	assert_true(m->ol_flags & RTE_MBUF_F_EXTERNAL);
	assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[TT_ETH_HDR_LEN + TT_IP4_HDR_LEN], 0);
	rte_pktmbuf_free(m);
	assert_int_equal(ext_freed, 1);
}

/* tt_worker_main until on_loop, called at each iteration with arg, sets *quit. */
static void run_loop(volatile bool *quit, void (*on_loop)(struct tt_worker *, void *), void *arg)
{
	g.w->quit = quit;
	g.w->on_loop = on_loop;
	g.w->loop_arg = arg;
	tt_worker_main(g.w);
	g.w->quit = NULL;
	g.w->on_loop = NULL;
}

static void stop_at_once(struct tt_worker *w, void *arg)
{
	(void)w;
	*(volatile bool *)arg = true;
}

/*
 * The ISNs' clock (RFC 6528's M, a 4 us tick) on a worker an hour into its run whose TSC rate is
 * no whole number of MHz: the microseconds into the millisecond, read back from the SYN-ACKs' ISNs
 * (ISN - F = M, M * 4 - now_ms * 1000 = the microseconds less their remainder by 4), stay within
 * the millisecond and are spread over it (a clock of TSC Hz / 10^6 of its own drifted from the
 * millisecond one and read 999 at every iteration within the hour).
 */
static void test_isn_clock_an_hour_in(void **state)
{
	struct tt_worker_params p;
	struct tt_worker *w;
	unsigned below = 0;

	(void)state;
	link_drain();
	worker_harness_params(&p, 0, &g.port, g.pool, &g.conf, g.listen_app, &g.http);
	p.tsc_hz += 777777;
	p.tsc_base -= 3600 * p.tsc_hz;
	w = tt_worker_create(&p);
	assert_non_null(w);
	tt_stack_rx_poll(w->stack, false);
	for (unsigned i = 0; i < 20; i++) {
		volatile bool quit = false;
		struct rte_mbuf *syn = seg_frame(80, TT_TCP_SYN), *sent = NULL;
		const uint8_t *f =
		    rte_pktmbuf_mtod(syn, const uint8_t *) + TT_ETH_HDR_LEN + TT_IP4_HDR_LEN;
		struct tt_flow4 flow = {.saddr = 0xc6120101u,
					.daddr = US_ADDR,
					.sport = (uint16_t)(f[0] << 8 | f[1]),
					.dport = 80};
		uint32_t iss, m, part;
		const uint8_t *s;

		assert_int_equal(rte_ring_enqueue(g.rx, syn), 0);
		w->quit = &quit;
		w->on_loop = stop_at_once;
		w->loop_arg = (void *)&quit;
		tt_worker_main(w);
		assert_int_equal(rte_ring_dequeue(g.tx, (void **)&sent), 0);
		s = rte_pktmbuf_mtod(sent, const uint8_t *) + TT_ETH_HDR_LEN + TT_IP4_HDR_LEN;
		assert_int_equal(s[13], TT_TCP_SYN | TT_TCP_ACK);
		iss = (uint32_t)s[4] << 24 | (uint32_t)s[5] << 16 | (uint32_t)s[6] << 8 | s[7];
		m = iss - (uint32_t)tt_isn_flow_hash(&p.isn_secret, &flow, NULL);
		part = m * 4 - (uint32_t)(w->now_ms * 1000);
		assert_true(part <= 996);
		below += part < 996;
		rte_pktmbuf_free(sent);
		rte_delay_us_block(37 + i * 13);
	}
	assert_true(below > 0);
	tt_worker_free(w);
}

/* tt_worker_main's on_loop: counts iterations, notes the pool's free mbufs at the third (the
 * second was idle) and ends the loop there. */
struct loop_watch {
	volatile bool quit;
	unsigned iterations;
	unsigned avail_at_third;
};

static void watch_loop(struct tt_worker *w, void *arg)
{
	struct loop_watch *lw = arg;

	(void)w;
	if (++lw->iterations == 3) {
		lw->avail_at_third = rte_mempool_avail_count(g.pool);
		lw->quit = true;
	}
}

/*
 * Two SYNs received in one burst by the running loop: the first one's SYN-ACK comes from the
 * pool, the second one's is built in the first SYN's buffer (the pool has no cache and hands its
 * mbufs out first in, first out, so only the loop's keeping of that buffer gives it), and the
 * second SYN's buffer, kept for the next frame, goes back to the pool at the idle iteration
 * that follows.
 */
static void test_reply_in_received_buffer(void **state)
{
	struct loop_watch lw = {0};
	struct rte_mbuf *syn[2], *sent[TX_ROOM + 1];
	unsigned avail0;

	(void)state;
	link_drain();
	tt_stack_rx_poll(g.w->stack, false); /* not shedding */
	avail0 = rte_mempool_avail_count(g.pool);
	syn[0] = seg_frame(80, TT_TCP_SYN);
	syn[1] = seg_frame(80, TT_TCP_SYN);
	assert_int_equal(rte_ring_enqueue_bulk(g.rx, (void **)syn, 2, NULL), 2);
	run_loop(&lw.quit, watch_loop, &lw);

	assert_int_equal(lw.iterations, 3);
	/* Held by then: the two SYN-ACKs on the link, nothing kept. */
	assert_int_equal(lw.avail_at_third, avail0 - 2);
	assert_int_equal(rte_ring_dequeue_burst(g.tx, (void **)sent, TX_ROOM + 1, NULL), 2);
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(sent[i], const uint8_t *);

		assert_int_equal(f[TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + 13], TT_TCP_SYN | TT_TCP_ACK);
	}
	assert_ptr_not_equal(sent[0], syn[0]);
	assert_ptr_equal(sent[1], syn[0]);
	rte_pktmbuf_free_bulk(sent, 2);
	assert_int_equal(rte_mempool_avail_count(g.pool), avail0);
}

/* tt_worker_main's on_loop: notes how many frames the link holds at the first iteration, before
 * the iteration's own flush, and ends the loop there. */
struct first_watch {
	volatile bool quit;
	unsigned on_link;
};

static void watch_first(struct tt_worker *w, void *arg)
{
	struct first_watch *fw = arg;

	(void)w;
	fw->on_link = rte_ring_count(g.tx);
	fw->quit = true;
}

/*
 * A full burst and one more SYN received by the running loop, on a port that flushes once per
 * iteration and on one that flushes after each full burst (tt_port.tx_flush_per_burst): before
 * the iteration's own flush the link holds nothing from the first, and from the second as many
 * of the full burst's SYN-ACKs as it has room for.
 */
static void test_flush_per_full_burst(void **state)
{
	struct rte_mbuf *m[TT_RX_BURST + 1];
	unsigned avail0;

	(void)state;
	for (unsigned per_burst = 0; per_burst <= 1; per_burst++) {
		struct first_watch fw = {0};

		link_drain();
		tt_stack_rx_poll(g.w->stack, false); /* not shedding */
		avail0 = rte_mempool_avail_count(g.pool);
		for (unsigned i = 0; i < TT_RX_BURST + 1; i++)
			m[i] = seg_frame(80, TT_TCP_SYN);
		assert_int_equal(rte_ring_enqueue_bulk(g.rx, (void **)m, TT_RX_BURST + 1, NULL),
				 TT_RX_BURST + 1);
		g.w->ports[0].tx_flush_per_burst = per_burst;
		run_loop(&fw.quit, watch_first, &fw);
		g.w->ports[0].tx_flush_per_burst = false;

		assert_int_equal(rte_ring_count(g.rx), 0);
		assert_int_equal(fw.on_link, per_burst ? TX_ROOM : 0);
		/* What the link refused and the batch held goes out as the link is emptied; every
		 * buffer comes back (the connections' TCBs hold none). */
		link_drain();
		assert_int_equal(rte_mempool_avail_count(g.pool), avail0);
	}
}

/* tt_worker_main's on_loop: ends the loop at the given iteration. */
struct loop_count {
	volatile bool quit;
	unsigned iterations, last;
};

static void count_loop(struct tt_worker *w, void *arg)
{
	struct loop_count *lc = arg;

	(void)w;
	lc->quit = ++lc->iterations == lc->last;
}

/*
 * Four full iterations of SYNs (tcp.syn_shed_full_polls, the default) and 32 more, received by
 * the running loop: a worker idle for the window before the wave answers them all; one busy
 * for it (saturated, tt_busy.h) sheds the 32 that come after the fourth full poll.  The window
 * is made long enough that the wave itself cannot tip it, however slow the build.
 */
static void test_shed_only_saturated(void **state)
{
	enum { FULL = TT_RX_BURST * TT_RX_BURSTS_PER_LOOP, WAVE = 4 * FULL + TT_RX_BURST };
	static struct rte_mbuf *m[WAVE];
	uint64_t span = rte_get_tsc_hz() * 100;

	(void)state;
	static_assert((unsigned)WAVE <= (unsigned)RX_ROOM, "the wave fits the RX ring");
	assert_int_equal(g.conf.tcp.syn_shed_full_polls, 4);
	for (unsigned saturated = 0; saturated <= 1; saturated++) {
		struct loop_count lc = {.last = 5};
		uint64_t syn0 = ev(TT_CTR_SYN_RECEIVED), shed0 = drop(TT_DROP_TCP_SYN_SHED);

		link_drain();
		tt_stack_rx_poll(g.w->stack, false); /* not shedding */
		tt_busy_window_init(&g.w->recent, span);
		tt_busy_window_add(&g.w->recent, span, saturated);
		for (unsigned i = 0; i < WAVE; i++)
			m[i] = seg_frame(80, TT_TCP_SYN);
		assert_int_equal(rte_ring_enqueue_bulk(g.rx, (void **)m, WAVE, NULL), WAVE);
		run_loop(&lc.quit, count_loop, &lc);

		assert_int_equal(rte_ring_count(g.rx), 0);
		assert_int_equal(ev(TT_CTR_SYN_RECEIVED) - syn0, WAVE);
		assert_int_equal(drop(TT_DROP_TCP_SYN_SHED) - shed0, saturated ? TT_RX_BURST : 0);
		link_drain();
	}
	tt_busy_window_init(&g.w->recent, rte_get_tsc_hz() / 1000);
}

enum { SPARES_POOL = 4 * TT_HELD_MARGIN_MBUFS };

/* tt_worker_main's on_loop for a worker whose frames come from a pool of SPARES_POOL: at the
 * second iteration, what its spares and the operator's view say once the store has settled;
 * then the store emptied behind the worker's back and a SYN received in the same iteration,
 * before the next balance. */
struct spares_watch {
	volatile bool quit;
	unsigned iterations;
	struct rte_mempool *pool;
	unsigned store, parked, parked_before_syn, parked_after_syn;
	struct tt_stats stats;
};

static void watch_spares(struct tt_worker *w, void *arg)
{
	static void *store[SPARES_POOL];
	struct spares_watch *sw = arg;

	if (++sw->iterations == 2) {
		struct rte_mbuf *syn = seg_frame(80, TT_TCP_SYN);

		sw->store = rte_mempool_avail_count(sw->pool);
		sw->parked = tt_spares_parked(&w->spares);
		tt_stats_collect(&w, 1, &sw->stats);
		assert_int_equal(rte_mempool_get_bulk(sw->pool, store, sw->store), 0);
		sw->parked_before_syn = tt_spares_parked(&w->spares);
		tt_worker_rx_burst(w, 0, &syn, 1);
		sw->parked_after_syn = tt_spares_parked(&w->spares);
		rte_mempool_put_bulk(sw->pool, store, sw->store);
	}
	sw->quit = sw->iterations == 3;
}

/*
 * The worker's spare buffers (tt_spares.h) in its loop: its pool's store is brought into its
 * band (TT_HELD_MARGIN_MBUFS to twice that) at the first iteration, the rest parked and counted
 * as free, not in use; a SYN whose SYN-ACK finds the store empty gets it from the parked ones
 * (a step given back, no allocation failure); and the loop's end gives every parked buffer
 * back.
 */
static void test_spares_in_loop(void **state)
{
	struct rte_mempool *pool = rte_pktmbuf_pool_create(
	    "tt_test_spares", SPARES_POOL, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct spares_watch sw = {.pool = pool};
	struct tt_worker *w;
	uint64_t failed;
	uint8_t flags[TX_ROOM + 1];

	(void)state;
	assert_non_null(pool);
	w = worker_create(pool);
	assert_non_null(w);
	link_drain();
	failed = w->ctr.ev[TT_CTR_MBUF_ALLOC_FAILED];
	w->quit = &sw.quit;
	w->on_loop = watch_spares;
	w->loop_arg = &sw;
	tt_worker_main(w);

	assert_int_equal(sw.iterations, 3);
	assert_int_equal(sw.store, (3 * TT_HELD_MARGIN_MBUFS) / 2);
	assert_int_equal(sw.parked, SPARES_POOL - sw.store);
	assert_int_equal(sw.stats.mbufs_in_use, 0);
	assert_int_equal(sw.stats.mbufs_parked, sw.parked);
	assert_int_equal(sw.parked_before_syn, sw.parked);
	assert_int_equal(sw.parked_after_syn, sw.parked - TT_SPARES_STEP);
	assert_int_equal(w->ctr.ev[TT_CTR_MBUF_ALLOC_FAILED], failed);
	assert_int_equal(w->ctr.ev[TT_CTR_TX_PACKETS], 1);
	assert_int_equal(link_take(flags), 1);
	assert_int_equal(flags[0], TT_TCP_SYN | TT_TCP_ACK);
	/* Nothing parked once the loop has ended; every buffer back. */
	assert_int_equal(tt_spares_parked(&w->spares), 0);
	assert_int_equal(rte_mempool_avail_count(pool), SPARES_POOL);
	tt_worker_free(w);
	rte_mempool_free(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused_synacks_held),
	    cmocka_unit_test(test_refused_ipv6_and_vlan_synacks_held),
	    cmocka_unit_test(test_source_of_another_interface_dropped),
	    cmocka_unit_test(test_shed_syns_unparsed),
	    cmocka_unit_test(test_reply_in_received_buffer),
	    cmocka_unit_test(test_isn_clock_an_hour_in),
	    cmocka_unit_test(test_chained_and_oversized_dropped),
	    cmocka_unit_test(test_reply_in_external_buffer),
	    cmocka_unit_test(test_flush_per_full_burst),
	    cmocka_unit_test(test_shed_only_saturated),
	    cmocka_unit_test(test_spares_in_loop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
