/* The per-lcore data path; see tt_worker.h. */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "tt_worker.h"

/* Answers to segments nobody wants: at most this many RSTs per ms (RFC 5961 10). */
enum { TT_RST_PER_MS = 100 };

size_t tt_worker_tcb_size(void)
{
	return sizeof(struct tt_tcb);
}

size_t tt_worker_tw_size(void)
{
	return sizeof(struct tt_tw);
}

size_t tt_worker_table_bytes_per_conn(const struct tt_worker *w)
{
	return tt_conn_tbl_bytes(w->tbl) / tt_conn_tbl_max_entries(w->tbl);
}

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

struct tt_worker *tt_worker_create(const struct tt_worker_params *p)
{
	const struct tt_conf_tcp *c = &p->conf->tcp;
	struct tt_worker *w = rte_zmalloc("tt_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);

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
		wp->tx_cksum_offload = p->ports[i].tx_cksum_offload;
	}
	w->pool = p->pool;
	w->listen_app = p->listen_app;
	w->quit = p->quit;
	w->tsc_base = p->tsc_base;
	w->tsc_per_ms = p->tsc_hz / 1000;
	w->epoch_ms = p->epoch_ms;
	w->tcp.conf = c;
	w->tcp.ctr = &w->ctr;
	w->tcp.app_data = p->app_data;
	w->tcp.now_ms = now_ms(w);
	w->tcp.isn_secret = p->isn_secret;
	w->tcp.release = mbuf_release;
	w->tcp.retain = mbuf_retain;
	tt_syncookie_keys_init(&w->tcp.cookie_keys, &p->cookie_secret, w->tcp.now_ms);
	memcpy(w->tcp.apps, p->apps, sizeof(w->tcp.apps));
	w->on_loop = p->on_loop;
	w->loop_arg = p->loop_arg;
	/* Every connection can sit in TIME-WAIT at once: both pools cover the table. */
	w->tbl = tt_conn_tbl_create(c->max_conns_per_core, &p->table_key);
	w->tcbs = tt_pool_create(c->max_conns_per_core, sizeof(struct tt_tcb));
	w->tws = tt_pool_create(c->max_conns_per_core, sizeof(struct tt_tw));
	w->ooo = tt_pool_create(TT_OOO_BLOCKS, sizeof(struct tt_ooo));
	w->tcp.ooo_pool = w->ooo;
	w->wheel = tt_timer_wheel_create(w->tcp.now_ms);
	if (w->tbl == NULL || w->tcbs == NULL || w->tws == NULL || w->ooo == NULL ||
	    w->wheel == NULL) {
		tt_worker_free(w);
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
	tt_conn_tbl_free(w->tbl);
	tt_pool_free(w->tcbs);
	tt_pool_free(w->tws);
	tt_pool_free(w->ooo);
	tt_timer_wheel_free(w->wheel);
	rte_free(w);
}

static void flush_port(struct tt_worker *w, struct tt_worker_port *wp)
{
	uint16_t sent;

	if (wp->n_tx == 0)
		return;
	sent = rte_eth_tx_burst(wp->port_id, w->queue_id, wp->tx, (uint16_t)wp->n_tx);
	w->ctr.ev[TT_CTR_TX_PACKETS] += sent;
	if (unlikely(sent < wp->n_tx)) {
		w->ctr.ev[TT_CTR_TX_FAILED] += wp->n_tx - sent;
		rte_pktmbuf_free_bulk(&wp->tx[sent], wp->n_tx - sent);
	}
	wp->n_tx = 0;
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

/* Build and queue one TCP segment; the payload (if any) comes from q at off. */
static void send_tcp(struct tt_worker *w, unsigned port, struct tt_tcp_hdr_args *a,
		     const struct tt_sndq *q, uint32_t off, uint32_t len)
{
	struct tt_worker_port *wp = &w->ports[port];
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);
	uint8_t *frame;
	uint32_t hl;

	if (unlikely(m == NULL)) {
		w->ctr.ev[TT_CTR_MBUF_ALLOC_FAILED]++;
		return;
	}
	a->src_mac = wp->ifc.mac;
	frame = rte_pktmbuf_mtod(m, uint8_t *);
	hl = tt_net_tcp_build(frame, a, len);
	if (len > 0)
		tt_sndq_copy(q, off, len, frame + hl);
	tt_net_tcp_cksum(frame, wp->tx_cksum_offload);
	m->data_len = (uint16_t)(hl + len);
	m->pkt_len = hl + len;
	if (wp->tx_cksum_offload) {
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
		m->l2_len = TT_ETH_HDR_LEN;
		m->l3_len = TT_IP4_HDR_LEN;
	}
	tx_push(w, wp, m);
}

static void send_out(struct tt_worker *w, struct tt_tcb *t, const struct tt_tcp_out *out)
{
	for (unsigned i = 0; i < out->n; i++) {
		const struct tt_tcp_tx *tx = &out->tx[i];
		struct tt_tcp_hdr_args a;

		tt_tcp_tx_hdr(&w->tcp, t, tx, &a);
		send_tcp(w, t->port, &a, &t->sndq, tx->seq - t->snd_una, tx->len);
	}
}

/* Header of a reply to pkt that no connection state stands behind. */
static void stateless_hdr(const struct tt_pkt *pkt, struct tt_tcp_hdr_args *a)
{
	a->dst_mac = pkt->src_mac;
	a->saddr = pkt->daddr;
	a->daddr = pkt->saddr;
	a->sport = pkt->dport;
	a->dport = pkt->sport;
	a->wnd = 0;
	a->opts.present = 0;
}

static void send_rst(struct tt_worker *w, unsigned port, const struct tt_pkt *pkt)
{
	struct tt_tcp_hdr_args a;

	if (pkt->seg.flags & TT_TCP_RST)
		return;
	if (w->tcp.now_ms != w->rst_ms) {
		w->rst_ms = w->tcp.now_ms;
		w->rst_tokens = TT_RST_PER_MS;
	}
	if (w->rst_tokens == 0) {
		w->ctr.ev[TT_CTR_RST_RATE_LIMITED]++;
		return;
	}
	w->rst_tokens--;
	stateless_hdr(pkt, &a);
	tt_tcp_rst_reply(&pkt->seg, &a.seq, &a.ack, &a.flags);
	send_tcp(w, port, &a, NULL, 0, 0);
	w->ctr.ev[TT_CTR_RST_SENT]++;
}

static void arm(struct tt_worker *w, struct tt_tcb *t)
{
	uint64_t d = tt_tcp_deadline(&w->tcp, t);

	if (d == UINT64_MAX)
		return;
	/* Lazy: a timer due earlier than needed fires, finds nothing due and re-arms. */
	if (!tt_timer_pending(&t->timer) || d < t->timer.expire)
		tt_timer_start(w->wheel, &t->timer, d);
}

static void free_conn(struct tt_worker *w, struct tt_tcb *t)
{
	tt_timer_stop(w->wheel, &t->timer);
	tt_conn_tbl_delete(w->tbl, &t->flow);
	tt_tcp_destroy(&w->tcp, t);
	tt_pool_put(w->tcbs, tt_pool_index(w->tcbs, t));
}

static void to_time_wait(struct tt_worker *w, struct tt_tcb *t)
{
	uint32_t idx = tt_pool_get(w->tws);
	struct tt_tw *tw;

	if (unlikely(idx == TT_POOL_NONE)) {
		free_conn(w, t);
		return;
	}
	tw = tt_pool_at(w->tws, idx);
	tt_timer_stop(w->wheel, &t->timer);
	tt_timer_init(&tw->timer);
	tt_conn_tbl_update(w->tbl, &t->flow, idx | TT_CONN_TW);
	tt_tcp_tw_init(&w->tcp, tw, t);
	tt_pool_put(w->tcbs, tt_pool_index(w->tcbs, t));
	tt_timer_start(w->wheel, &tw->timer, w->tcp.now_ms + w->tcp.conf->time_wait_ms);
}

static void conn_done(struct tt_worker *w, struct tt_tcb *t, const struct tt_tcp_out *out,
		      enum tt_tcp_verdict v)
{
	send_out(w, t, out);
	switch (v) {
	case TT_V_KEEP:
		arm(w, t);
		break;
	case TT_V_FREE:
		free_conn(w, t);
		break;
	case TT_V_TIME_WAIT:
		to_time_wait(w, t);
		break;
	}
}

static void free_tw(struct tt_worker *w, struct tt_tw *tw)
{
	tt_timer_stop(w->wheel, &tw->timer);
	tt_conn_tbl_delete(w->tbl, &tw->flow);
	tt_tcp_tw_destroy(&w->tcp, tw);
	tt_pool_put(w->tws, tt_pool_index(w->tws, tw));
}

/* A new TCB in the table for f, or NULL (counted) when the table or pool is full. */
static struct tt_tcb *new_conn(struct tt_worker *w, const struct tt_flow4 *f)
{
	uint32_t idx = tt_pool_get(w->tcbs);
	struct tt_tcb *t;

	if (unlikely(idx == TT_POOL_NONE))
		goto full;
	if (unlikely(tt_conn_tbl_insert(w->tbl, f, idx) != 0)) {
		tt_pool_put(w->tcbs, idx);
		goto full;
	}
	t = tt_pool_at(w->tcbs, idx);
	tt_timer_init(&t->timer);
	return t;
full:
	w->ctr.drop[TT_DROP_TCP_TABLE_FULL]++;
	return NULL;
}

struct tt_tcb *tt_worker_connect(struct tt_worker *w, unsigned port, const struct tt_flow4 *f,
				 const struct tt_mac *peer_mac, uint8_t app)
{
	struct tt_tcp_out out = {.n = 0};
	struct tt_tcb *t = new_conn(w, f);

	if (t == NULL)
		return NULL;
	t->port = (uint8_t)port;
	t->peer_mac = *peer_mac;
	tt_tcp_connect(&w->tcp, t, f, app, &out);
	conn_done(w, t, &out, TT_V_KEEP);
	return t;
}

struct close_walk {
	struct tt_worker *w;
	unsigned left;
};

static void close_one(const struct tt_flow4 *k, uint32_t v, void *arg)
{
	struct close_walk *cw = arg;
	struct tt_worker *w = cw->w;
	struct tt_tcp_out out = {.n = 0};
	struct tt_tcb *t;

	(void)k;
	if ((v & TT_CONN_TW) || cw->left == 0)
		return;
	t = tt_pool_at(w->tcbs, v);
	/* Handshakes complete first: the application then decides for itself. */
	if (t->state != TT_TCP_ESTABLISHED && t->state != TT_TCP_CLOSE_WAIT)
		return;
	tt_tcp_close(t);
	tt_tcp_output(&w->tcp, t, &out);
	send_out(w, t, &out);
	arm(w, t);
	cw->left--;
}

uint32_t tt_worker_close_step(struct tt_worker *w, uint32_t cursor, unsigned max_close)
{
	struct close_walk cw = {.w = w, .left = max_close};

	/* One slot at a time: a slot holds at most one connection. */
	while (cw.left > 0) {
		cursor = tt_conn_tbl_walk(w->tbl, cursor, 1, close_one, &cw);
		if (cursor == 0)
			break;
	}
	return cursor;
}

void tt_worker_send_segment(struct tt_worker *w, unsigned port, struct tt_tcp_hdr_args *a)
{
	send_tcp(w, port, a, NULL, 0, 0);
}

static void send_cookie_synack(struct tt_worker *w, unsigned port, const struct tt_pkt *pkt,
			       const struct tt_listen_result *r)
{
	struct tt_tcp_hdr_args a;

	stateless_hdr(pkt, &a);
	a.seq = r->seq;
	a.ack = r->ack;
	a.flags = TT_TCP_SYN | TT_TCP_ACK;
	a.wnd = (uint16_t)RTE_MIN(w->tcp.conf->rcv_window, 65535u);
	a.opts = r->opts;
	send_tcp(w, port, &a, NULL, 0, 0);
}

static void tcp_listen(struct tt_worker *w, unsigned port, const struct tt_pkt *pkt,
		       const struct tt_flow4 *f, struct rte_mbuf *m)
{
	uint8_t app = w->listen_app[pkt->dport];
	struct tt_listen_result r;
	struct tt_tcp_out out = {.n = 0};
	struct tt_tcb *t;

	if (app == 0) {
		w->ctr.drop[TT_DROP_TCP_NO_LISTENER]++;
		send_rst(w, port, pkt);
		return;
	}
	switch (tt_tcp_listen(&w->tcp, f, &pkt->seg, &r)) {
	case TT_L_DROP:
		w->ctr.drop[r.reason]++;
		return;
	case TT_L_RST:
		w->ctr.drop[r.reason]++;
		send_rst(w, port, pkt);
		return;
	case TT_L_SYNACK_COOKIE:
		send_cookie_synack(w, port, pkt, &r);
		return;
	case TT_L_NEW_SYN_RECV:
		t = new_conn(w, f);
		if (t == NULL)
			return;
		t->port = (uint8_t)port;
		t->peer_mac = pkt->src_mac;
		tt_tcp_init_syn_recv(&w->tcp, t, f, &pkt->seg, (uint8_t)(app - 1), &out);
		conn_done(w, t, &out, TT_V_KEEP);
		return;
	case TT_L_NEW_COOKIE:
		t = new_conn(w, f);
		if (t == NULL) {
			send_rst(w, port, pkt);
			return;
		}
		t->port = (uint8_t)port;
		t->peer_mac = pkt->src_mac;
		tt_tcp_init_cookie(&w->tcp, t, f, &pkt->seg, &r, (uint8_t)(app - 1));
		conn_done(w, t, &out, tt_tcp_input(&w->tcp, t, &pkt->seg, m, &out));
		return;
	}
}

static void tcp_time_wait(struct tt_worker *w, unsigned port, struct tt_tw *tw,
			  const struct tt_pkt *pkt, const struct tt_flow4 *f, struct rte_mbuf *m)
{
	struct tt_tcp_hdr_args a;

	switch (tt_tcp_tw_input(&w->tcp, tw, &pkt->seg)) {
	case TT_TW_DROP:
		return;
	case TT_TW_ACK_RESTART:
		tt_timer_start(w->wheel, &tw->timer, w->tcp.now_ms + w->tcp.conf->time_wait_ms);
		/* fall through */
	case TT_TW_ACK:
		tt_tcp_tw_hdr(&w->tcp, tw, &a);
		send_tcp(w, tw->port, &a, NULL, 0, 0);
		return;
	case TT_TW_REUSE:
		free_tw(w, tw);
		tcp_listen(w, port, pkt, f, m);
		return;
	}
}

static void tcp_rx(struct tt_worker *w, unsigned port, const struct tt_pkt *pkt,
		   struct rte_mbuf *m)
{
	struct tt_flow4 f = {
		.saddr = pkt->saddr, .daddr = pkt->daddr, .sport = pkt->sport, .dport = pkt->dport};
	uint32_t v = tt_conn_tbl_lookup(w->tbl, &f);
	struct tt_tcp_out out;
	struct tt_tcb *t;

	if (v == TT_CONN_NONE) {
		tcp_listen(w, port, pkt, &f, m);
		return;
	}
	if (v & TT_CONN_TW) {
		tcp_time_wait(w, port, tt_pool_at(w->tws, v & ~TT_CONN_TW), pkt, &f, m);
		return;
	}
	t = tt_pool_at(w->tcbs, v);
	out.n = 0;
	conn_done(w, t, &out, tt_tcp_input(&w->tcp, t, &pkt->seg, m, &out));
}

/* Send the received frame, turned into a reply in place, back out of its port. */
static void reply_in_place(struct tt_worker *w, struct tt_worker_port *wp, struct rte_mbuf *m)
{
	m->ol_flags = 0;
	tx_push(w, wp, m);
}

void tt_worker_rx(struct tt_worker *w, unsigned port, struct rte_mbuf *m)
{
	struct tt_worker_port *wp = &w->ports[port];
	struct tt_net_if *ifc = &wp->ifc;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	enum tt_drop reason;
	struct tt_pkt pkt;

	w->ctr.ev[TT_CTR_RX_PACKETS]++;
	w->ctr.ev[TT_CTR_RX_BYTES] += m->pkt_len;
	ifc->rx_ip_cksum_verified =
		(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	ifc->rx_l4_cksum_verified =
		(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	switch (tt_net_parse(frame, rte_pktmbuf_data_len(m), ifc, &pkt, &reason)) {
	case TT_PKT_DROP:
		w->ctr.drop[reason]++;
		break;
	case TT_PKT_ARP:
		if (pkt.arp_op != TT_ARP_OP_REQUEST) {
			w->ctr.ev[TT_CTR_ARP_LEARNED]++;
			break;
		}
		tt_net_arp_reply(frame, ifc);
		w->ctr.ev[TT_CTR_ARP_REPLIES]++;
		reply_in_place(w, wp, m);
		return;
	case TT_PKT_ICMP_ECHO:
		tt_net_icmp_echo_reply(frame, &pkt, ifc);
		w->ctr.ev[TT_CTR_ICMP_ECHO_REPLIES]++;
		reply_in_place(w, wp, m);
		return;
	case TT_PKT_TCP:
		tcp_rx(w, port, &pkt, m);
		break;
	}
	rte_pktmbuf_free(m);
}

static bool is_tcb_timer(const struct tt_worker *w, const struct tt_timer *tm)
{
	const uint8_t *p = (const uint8_t *)tm;
	const uint8_t *base = tt_pool_at(w->tcbs, 0);

	return p >= base && p < base + (size_t)w->tcbs->capacity * sizeof(struct tt_tcb);
}

unsigned tt_worker_timers(struct tt_worker *w, uint64_t now)
{
	struct tt_timer *due[TT_TIMER_BATCH];
	unsigned n = tt_timer_wheel_advance(w->wheel, now, due, TT_TIMER_BATCH);

	for (unsigned i = 0; i < n; i++) {
		struct tt_tcp_out out = {.n = 0};
		struct tt_tcb *t;

		if (!is_tcb_timer(w, due[i])) {
			w->ctr.ev[TT_CTR_TIMER_EXPIRIES]++;
			free_tw(w, container_of(due[i], struct tt_tw, timer));
			continue;
		}
		t = container_of(due[i], struct tt_tcb, timer);
		conn_done(w, t, &out, tt_tcp_timeout(&w->tcp, t, &out));
	}
	return n;
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
		uint16_t n = rte_eth_rx_burst(w->ports[port].port_id, w->queue_id, pkts,
					      TT_RX_BURST);

		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			tt_worker_rx(w, port, pkts[i]);
		}
		total += n;
		if (n < TT_RX_BURST)
			break;
	}
	return total;
}

int tt_worker_main(void *arg)
{
	struct tt_worker *w = arg;
	struct rte_mbuf *pkts[TT_RX_BURST];

	while (!*w->quit) {
		uint64_t t0 = rte_rdtsc();
		unsigned n = 0, e;

		w->tcp.now_ms = w->epoch_ms + (t0 - w->tsc_base) / w->tsc_per_ms;
		for (unsigned p = 0; p < w->n_ports; p++)
			n += rx_port(w, p, pkts);
		if (w->on_loop != NULL)
			w->on_loop(w, w->loop_arg);
		e = tt_worker_timers(w, w->tcp.now_ms);
		tt_worker_flush(w);
		w->ctr.ev[TT_CTR_LOOPS]++;
		if (n == 0 && e == 0) {
			w->ctr.ev[TT_CTR_LOOPS_IDLE]++;
			w->idle_cycles += rte_rdtsc() - t0;
		} else {
			w->busy_cycles += rte_rdtsc() - t0;
		}
	}
	tt_worker_flush(w);
	return 0;
}
