/* The per-lcore data path; see tt_worker.h. */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "tt_worker.h"

static void mbuf_release(void *owner)
{
	rte_pktmbuf_free(owner);
}

static void mbuf_retain(void *owner)
{
	rte_mbuf_refcnt_update(owner, 1);
}

static uint64_t now_ms(const struct tt_worker *w)
{
	return w->epoch_ms + (rte_rdtsc() - w->tsc_base) / w->tsc_per_ms;
}

static void *frame_alloc(void *arg, uint8_t **data, uint32_t *room)
{
	struct tt_worker *w = arg;
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);

	if (unlikely(m == NULL))
		return NULL;
	*data = rte_pktmbuf_mtod(m, uint8_t *);
	*room = rte_pktmbuf_tailroom(m);
	return m;
}

static void frame_free(void *arg, void *frame)
{
	(void)arg;
	rte_pktmbuf_free(frame);
}

static void frame_send(void *arg, unsigned port, void *frame, uint32_t len);

/*
 * What the pool must keep free whatever connections hold: every RX ring
 * refilled, every TX ring and batch full, and the mempool cache plus the
 * frames one loop iteration builds before its flush.
 */
static uint32_t held_budget(const struct tt_worker_params *p)
{
	uint64_t reserve = TT_HELD_MARGIN_MBUFS;

	for (unsigned i = 0; i < p->n_ports; i++)
		reserve +=
		    (uint64_t)p->conf->ports[i].rx_desc + p->conf->ports[i].tx_desc + TT_TX_BATCH;
	return p->pool->size > reserve ? (uint32_t)(p->pool->size - reserve) : 0;
}

/* The mbuf TX flags that make the PMD complete the checksums tt_net_tcp_cksum left to it. */
static uint64_t tx_ol_flags(uint8_t offload)
{
	uint64_t f = RTE_MBUF_F_TX_IPV4;

	if (offload & TT_TX_IP_CKSUM)
		f |= RTE_MBUF_F_TX_IP_CKSUM;
	if (offload & TT_TX_TCP_CKSUM)
		f |= RTE_MBUF_F_TX_TCP_CKSUM;
	return f;
}

struct tt_worker *tt_worker_create(const struct tt_worker_params *p)
{
	struct tt_worker *w = rte_zmalloc("tt_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	struct tt_stack_params sp = {
	    .conf = &p->conf->tcp,
	    .n_ports = p->n_ports,
	    .listen_app = p->listen_app,
	    .app_data = p->app_data,
	    .cookie_secret = p->cookie_secret,
	    .isn_secret = p->isn_secret,
	    .table_key = p->table_key,
	    .io = {.frame_alloc = frame_alloc,
		   .frame_send = frame_send,
		   .frame_free = frame_free,
		   .retain = mbuf_retain,
		   .release = mbuf_release},
	};

	if (w == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	w->id = p->id;
	w->queue_id = p->queue_id;
	w->n_ports = p->n_ports;
	for (unsigned i = 0; i < p->n_ports; i++) {
		struct tt_worker_port *wp = &w->ports[i];

		wp->port_id = p->ports[i].port_id;
		wp->ifc.mac = p->ports[i].mac;
		wp->ifc.addr = p->conf->ports[i].addr;
		wp->ifc.addr_count = p->addr_count ? p->addr_count : 1;
		wp->ifc.bcast =
		    tt_net_directed_bcast(p->conf->ports[i].addr, p->conf->ports[i].prefix_len);
		wp->ifc.n_addr6 = (uint8_t)p->conf->ports[i].n_addr6;
		memcpy(wp->ifc.addr6, p->conf->ports[i].addr6, sizeof(wp->ifc.addr6));
		wp->tx_cksum_offload = p->ports[i].tx_cksum_offload;
		wp->rx_cksum_offload = p->ports[i].rx_cksum_offload;
		wp->tx_ol_flags = tx_ol_flags(wp->tx_cksum_offload);
		sp.ports[i].mac = p->ports[i].mac;
		sp.ports[i].mtu = p->conf->ports[i].mtu;
		sp.ports[i].tx_cksum_offload = p->ports[i].tx_cksum_offload;
	}
	w->pool = p->pool;
	w->quit = p->quit;
	w->tsc_base = p->tsc_base;
	w->tsc_per_ms = p->tsc_hz / 1000;
	w->epoch_ms = p->epoch_ms;
	w->now_ms = now_ms(w);
	w->on_loop = p->on_loop;
	w->loop_arg = p->loop_arg;
	tt_connlist_mbox_init(&w->connlist, (uint16_t)p->id);
	memcpy(sp.apps, p->apps, sizeof(sp.apps));
	sp.ctr = &w->ctr;
	sp.now_ms = w->now_ms;
	sp.max_held_bufs = held_budget(p);
	sp.io.arg = w;
	w->stack = tt_stack_create(&sp);
	if (w->stack == NULL) {
		rte_free(w);
		rte_errno = ENOMEM;
		return NULL;
	}
	return w;
}

void tt_worker_free(struct tt_worker *w)
{
	if (w == NULL)
		return;
	for (unsigned i = 0; i < w->n_ports; i++)
		rte_pktmbuf_free_bulk(w->ports[i].tx, w->ports[i].n_tx);
	tt_stack_free(w->stack);
	rte_free(w);
}

/*
 * A frame worth holding when the TX queue refuses it: an IPv4 TCP segment with data, SYN or
 * FIN, whose loss would cost its connection a retransmission timeout (1 s at first).  Pure
 * ACKs and RSTs are not held, nor ARP or ICMP replies: an ACK's news is cumulative and the
 * next ACK or segment repeats it, an RST or an echo reply answers something the peer sends
 * again, and each would take a held slot from a segment whose loss costs a timeout.
 */
static bool worth_holding(const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *ip = f + TT_ETH_HDR_LEN, *tcp;
	uint32_t len = rte_pktmbuf_data_len(m), ihl, tot;

	if (len < TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + 20 || f[12] != 0x08 || f[13] != 0x00 ||
	    ip[9] != 6)
		return false;
	ihl = (ip[0] & 0xfu) * 4u;
	tot = (uint32_t)ip[2] << 8 | ip[3];
	if (ihl < TT_IP4_HDR_LEN || len < TT_ETH_HDR_LEN + ihl + 20)
		return false;
	tcp = ip + ihl;
	return (tcp[13] & (TT_TCP_SYN | TT_TCP_FIN)) || tot > ihl + (tcp[12] >> 4) * 4u;
}

/*
 * One tx_burst of the port's batch.  Frames the queue refuses (a momentarily full ring) that
 * are worth it (worth_holding) stay at the batch's head, TT_TX_HOLD at most, and go first in
 * the next flush; a held frame refused again, and every other refused frame, is freed and
 * counted in tx_failed.
 */
static void flush_port(struct tt_worker *w, struct tt_worker_port *wp)
{
	unsigned n = wp->n_tx, held = wp->n_held, kept = 0;
	uint16_t sent;

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(wp->port_id, w->queue_id, wp->tx, (uint16_t)n);
	w->ctr.ev[TT_CTR_TX_PACKETS] += sent;
	w->ctr.ev[TT_CTR_TX_HELD_RETRIED] += RTE_MIN((unsigned)sent, held);
	for (unsigned i = sent; unlikely(i < n); i++) {
		struct rte_mbuf *m = wp->tx[i];

		/* kept <= i - sent: the move never overwrites a frame still to look at. */
		if (i >= held && kept < TT_TX_HOLD && worth_holding(m)) {
			wp->tx[kept++] = m;
			continue;
		}
		w->ctr.ev[TT_CTR_TX_HELD_DROPPED] += i < held;
		w->ctr.ev[TT_CTR_TX_FAILED]++;
		rte_pktmbuf_free(m);
	}
	w->ctr.ev[TT_CTR_TX_HELD] += kept;
	wp->n_tx = wp->n_held = kept;
}

void tt_worker_flush(struct tt_worker *w)
{
	for (unsigned i = 0; i < w->n_ports; i++)
		flush_port(w, &w->ports[i]);
}

static void tx_push(struct tt_worker *w, struct tt_worker_port *wp, struct rte_mbuf *m)
{
	w->ctr.ev[TT_CTR_TX_BYTES] += m->pkt_len;
	wp->tx[wp->n_tx++] = m;
	if (wp->n_tx == TT_TX_BATCH)
		flush_port(w, wp);
}

static void frame_send(void *arg, unsigned port, void *frame, uint32_t len)
{
	struct tt_worker *w = arg;
	struct tt_worker_port *wp = &w->ports[port];
	struct rte_mbuf *m = frame;

	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	/* An IPv6 segment's checksum is complete (tt_net_tcp6_cksum): no offload flags. */
	if (wp->tx_cksum_offload && rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->ether_type ==
					RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		m->ol_flags = wp->tx_ol_flags;
		m->l2_len = TT_ETH_HDR_LEN;
		m->l3_len = TT_IP4_HDR_LEN;
	}
	tx_push(w, wp, m);
}

/* Send the received frame, turned into a reply in place, back out of its port. */
static void reply_in_place(struct tt_worker *w, struct tt_worker_port *wp, struct rte_mbuf *m)
{
	m->ol_flags = 0;
	tx_push(w, wp, m);
}

/*
 * The same for a reply of len bytes written over the frame.  Every mbuf holds a frame of the
 * port's MTU in one segment (the pool is sized so, and the MTU is at least 576), so len fits.
 */
static_assert(TT_ND_FRAME_LEN <= TT_ETH_HDR_LEN + 576, "an advertisement fits any mbuf");
static void reply_rewritten(struct tt_worker *w, struct tt_worker_port *wp, struct rte_mbuf *m,
			    uint32_t len)
{
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	reply_in_place(w, wp, m);
}

/*
 * Parse one frame: ARP and ICMP are answered in place and dropped frames freed (false); a TCP
 * segment is left in *pkt for the stack (true) and m stays the caller's.
 */
static bool rx_parse(struct tt_worker *w, struct tt_worker_port *wp, struct rte_mbuf *m,
		     struct tt_pkt *pkt)
{
	struct tt_net_if *ifc = &wp->ifc;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	enum tt_drop reason;

	w->ctr.ev[TT_CTR_RX_PACKETS]++;
	w->ctr.ev[TT_CTR_RX_BYTES] += m->pkt_len;
	ifc->rx_cksum = tt_port_rx_cksum(wp->rx_cksum_offload, m);
	switch (tt_net_parse(frame, rte_pktmbuf_data_len(m), ifc, pkt, &reason)) {
	case TT_PKT_DROP:
		w->ctr.drop[reason]++;
		break;
	case TT_PKT_ARP:
		if (pkt->arp_op != TT_ARP_OP_REQUEST) {
			w->ctr.ev[TT_CTR_ARP_LEARNED]++;
			break;
		}
		tt_net_arp_reply(frame, ifc);
		w->ctr.ev[TT_CTR_ARP_REPLIES]++;
		reply_in_place(w, wp, m);
		return false;
	case TT_PKT_ICMP_ECHO:
		tt_net_icmp_echo_reply(frame, pkt, ifc);
		w->ctr.ev[TT_CTR_ICMP_ECHO_REPLIES]++;
		reply_in_place(w, wp, m);
		return false;
	case TT_PKT_ICMP6_ECHO:
		w->ctr.ev[TT_CTR_ICMP6_ECHO_REPLIES]++;
		reply_rewritten(w, wp, m, tt_net_icmp6_echo_reply(frame, pkt, ifc));
		return false;
	case TT_PKT_ND_NS:
		w->ctr.ev[TT_CTR_ND_ADVERTS_SENT]++;
		reply_rewritten(w, wp, m, tt_nd_na_reply(frame, pkt, ifc));
		return false;
	case TT_PKT_ND_NA:
		w->ctr.ev[TT_CTR_ND_ADVERTS_RX]++;
		break;
	case TT_PKT_TCP:
		return true;
	}
	rte_pktmbuf_free(m);
	return false;
}

void tt_worker_rx_burst(struct tt_worker *w, unsigned port, struct rte_mbuf **pkts, unsigned n)
{
	struct tt_worker_port *wp = &w->ports[port];
	struct tt_pkt segs[TT_RX_BURST];
	void *owners[TT_RX_BURST];

	while (n > 0) {
		unsigned m = n < TT_RX_BURST ? n : TT_RX_BURST, n_segs = 0;

		/* Every frame's headers and first bytes at once: the misses overlap, and parsing
		 * (checksum included) reads frames already on their way. */
		for (unsigned i = 0; i < m; i++) {
			const char *d = rte_pktmbuf_mtod(pkts[i], const char *);

			rte_prefetch0(d);
			rte_prefetch0(d + RTE_CACHE_LINE_SIZE);
		}
		for (unsigned i = 0; i < m; i++) {
			if (rx_parse(w, wp, pkts[i], &segs[n_segs]))
				owners[n_segs++] = pkts[i];
		}
		tt_stack_input_burst(w->stack, port, segs, owners, n_segs); /* frees them */
		pkts += m;
		n -= m;
	}
}

/*
 * Up to TT_RX_BURSTS_PER_LOOP full bursts per port and iteration: a peer
 * that sends faster than one burst per loop is drained before its replies
 * pile up, while the timers still run at least once per bounded batch.
 */
static unsigned rx_port(struct tt_worker *w, unsigned port, struct rte_mbuf **pkts)
{
	unsigned total = 0;

	for (unsigned b = 0; b < TT_RX_BURSTS_PER_LOOP; b++) {
		uint16_t n =
		    rte_eth_rx_burst(w->ports[port].port_id, w->queue_id, pkts, TT_RX_BURST);

		tt_worker_rx_burst(w, port, pkts, n);
		total += n;
		if (n < TT_RX_BURST)
			break;
	}
	return total;
}

void tt_worker_drain(struct tt_worker *w, uint32_t timeout_ms)
{
	uint64_t deadline = now_ms(w) + timeout_ms;

	if (w->drain_deadline_ms == 0 || deadline < w->drain_deadline_ms)
		w->drain_deadline_ms = deadline;
}

/* One acquire load per iteration: a new generation goes to the stack, and the oldest one still
 * read is reported while older ones are held. */
static inline void rt_poll(struct tt_worker *w)
{
	const struct tt_stack_rt *rt = __atomic_load_n(&w->rt_next, __ATOMIC_ACQUIRE);

	if (unlikely(rt != w->rt) && tt_stack_set_rt(w->stack, rt) == 0)
		w->rt = rt;
	if (unlikely(w->rt != NULL && w->rt_oldest != w->rt->gen))
		__atomic_store_n(&w->rt_oldest, tt_stack_rt_oldest(w->stack), __ATOMIC_RELEASE);
}

int tt_worker_main(void *arg)
{
	struct tt_worker *w = arg;
	struct rte_mbuf *pkts[TT_RX_BURST];
	bool drained = false;
	/* One TSC read per iteration ends it and starts the next: no cycle falls between two
	 * iterations unaccounted (a read costs tens of cycles, most of an idle poll). */
	uint64_t t0 = rte_rdtsc(), t1;

	while (!drained && (w->quit == NULL || !*w->quit)) {
		uint64_t queued = w->ctr.ev[TT_CTR_TX_PACKETS] + w->ctr.ev[TT_CTR_TX_FAILED] +
				  w->ctr.ev[TT_CTR_TX_HELD];
		unsigned n = 0, e;
		bool listed = false, full = false;

		w->now_ms = w->epoch_ms + (t0 - w->tsc_base) / w->tsc_per_ms;
		tt_stack_set_time(w->stack, w->now_ms);
		rt_poll(w);
		for (unsigned p = 0; p < w->n_ports; p++) {
			unsigned got = rx_port(w, p, pkts);

			n += got;
			full |= got == TT_RX_BURST * TT_RX_BURSTS_PER_LOOP;
		}
		tt_stack_rx_poll(w->stack, full);
		if (w->on_loop != NULL)
			w->on_loop(w, w->loop_arg);
		e = tt_stack_timers(w->stack);
		if (unlikely(tt_connlist_pending(&w->connlist)))
			listed = tt_connlist_serve(&w->connlist, w->stack);
		if (unlikely(w->drain_deadline_ms != 0))
			drained = tt_stack_drain_step(w->stack, w->drain_deadline_ms,
						      TT_STACK_DRAIN_BATCH) == 0;
		tt_worker_flush(w);
		w->ctr.ev[TT_CTR_LOOPS]++;
		/* Every frame queued in the iteration was sent, held or refused by now. */
		queued = w->ctr.ev[TT_CTR_TX_PACKETS] + w->ctr.ev[TT_CTR_TX_FAILED] +
			 w->ctr.ev[TT_CTR_TX_HELD] - queued;
		t1 = rte_rdtsc();
		if (n == 0 && e == 0 && queued == 0 && !listed) {
			w->ctr.ev[TT_CTR_LOOPS_IDLE]++;
			w->idle_cycles += t1 - t0;
		} else {
			w->busy_cycles += t1 - t0;
		}
		t0 = t1;
	}
	tt_worker_flush(w);
	return 0;
}
