/* The scenarios as a worker loop hook; see gen.h. */
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "gen.h"
#include "gen_flood.h"

/* Per loop iteration at most: connections opened or closed, SYNs crafted. */
enum { GEN_OPEN_PER_LOOP = 32, GEN_SYN_PER_LOOP = 64, GEN_FLOOD_RX_BURSTS = 8 };

/*
 * When the TX queue refuses flood SYNs (the appliance's RX ring is full), the flood pauses this
 * long: the ring drains a little (the appliance takes ~2 frames/us, the ring holds 1024), so the
 * legitimate clients' frames of the next iterations find room, and the generator does not spend
 * its core crafting SYNs only to free them.  The ring never runs dry: the offered load stays at
 * what the appliance takes.
 */
enum { GEN_FLOOD_BACKOFF_US = 20 };

/* Next client 4-tuple: ports fastest, then addresses, wrapping. */
static void next_flow(struct gen_run *r, struct tt_flow4 *f)
{
	const struct gen_opts *o = r->o;

	if (r->next_port < o->port_first || r->next_port > o->port_last) {
		r->next_port = o->port_first;
		r->next_client = (r->next_client + 1) % o->client_count;
	}
	f->saddr = o->server;
	f->sport = o->server_port;
	f->daddr = o->client_first + r->next_client;
	f->dport = r->next_port++;
}

bool gen_open(struct tt_worker *w, struct gen_run *r, uint8_t app)
{
	struct tt_flow4 f;
	struct tt_tcb *t;

	next_flow(r, &f);
	t = tt_stack_connect(w->stack, 0, &f, &r->server_mac, app);
	if (t == NULL)
		return false;
	gen_http_started(r->stats, t);
	r->opened++;
	return true;
}

static void open_conns(struct tt_worker *w, struct gen_run *r, uint64_t n)
{
	/* A full table stops the batch: the rest are tried next iteration. */
	for (uint64_t i = 0; i < n && gen_open(w, r, 0); i++)
		;
}

/* How many of `rate` per second since `since` are due by now, given `done` (0 rate: cap). */
static uint64_t due_since(const struct gen_run *r, uint64_t since, uint64_t now, uint64_t rate,
			  uint64_t done, uint64_t cap)
{
	uint64_t want;

	if (rate == 0)
		return cap;
	want = (uint64_t)((double)(now - since) * (double)rate / (double)r->tsc_hz);
	want = want > done ? want - done : 0;
	return want < cap ? want : cap;
}

static uint64_t due(const struct gen_run *r, uint64_t now, uint64_t rate, uint64_t done,
		    uint64_t cap)
{
	return due_since(r, r->start_tsc, now, rate, done, cap);
}

/*
 * n SYNs from the template, straight to the TX queue after the legitimate clients' frames: the
 * ones it refuses are freed at once (syns_sent - syns_accepted), and the flood pauses.
 */
static void send_flood(struct tt_worker *w, struct gen_run *r, uint64_t n)
{
	const struct tt_worker_port *wp = &w->ports[0];
	struct rte_mbuf *m[GEN_SYN_PER_LOOP];
	uint16_t taken;

	if (rte_pktmbuf_alloc_bulk(w->pool, m, (unsigned)n) != 0) {
		r->flood_no_mbuf++;
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint32_t len = gen_flood_syn_write(&r->flood_syn, rte_pktmbuf_mtod(m[i], uint8_t *),
						   gen_xorshift(&r->flood_rng));

		m[i]->data_len = (uint16_t)len;
		m[i]->pkt_len = len;
		m[i]->ol_flags = wp->tx_cksum_offload ? wp->tx_ol_flags : 0;
		m[i]->l2_len = TT_ETH_HDR_LEN;
		m[i]->l3_len = TT_IP4_HDR_LEN;
	}
	/* What is queued already (the legitimate clients' frames) goes first. */
	tt_worker_flush(w);
	taken = rte_eth_tx_burst(wp->port_id, w->queue_id, m, (uint16_t)n);
	r->syns_sent += n;
	r->syns_accepted += taken;
	/* The worker's own counters: its frames out, and an iteration that sent SYNs is busy. */
	w->ctr.ev[TT_CTR_TX_PACKETS] += taken;
	if (taken < n) {
		w->ctr.ev[TT_CTR_TX_FAILED] += n - taken;
		rte_pktmbuf_free_bulk(m + taken, (unsigned)(n - taken));
		r->flood_resume_tsc = rte_rdtsc() + GEN_FLOOD_BACKOFF_US * r->tsc_hz / 1000000;
	}
}

/*
 * The port's RX callback in the synflood: frames to the flood's sources (the appliance's SYN-ACK
 * cookies) counted (flood_rx) and freed together before the worker sees the burst; the others
 * keep their order.  Whether the ring filled the burst is noted (flood_rx_full): the worker
 * stops polling at the first burst that comes back short, as a thinned one does.
 */
static uint16_t drop_flood_rx(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
			      uint16_t max, void *arg)
{
	struct gen_run *r = arg;
	struct rte_mbuf *drop[TT_RX_BURST];
	uint16_t kept = 0;
	unsigned n_drop = 0;

	(void)port;
	(void)queue;
	r->flood_rx_full = n == max;
	for (uint16_t i = 0; i < n; i++) {
		if (!gen_flood_peek(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				    rte_pktmbuf_data_len(pkts[i]))) {
			pkts[kept++] = pkts[i];
			continue;
		}
		drop[n_drop++] = pkts[i];
		if (n_drop == RTE_DIM(drop)) {
			rte_pktmbuf_free_bulk(drop, n_drop);
			n_drop = 0;
		}
	}
	rte_pktmbuf_free_bulk(drop, n_drop);
	r->flood_rx += n - kept;
	return kept;
}

/*
 * Up to GEN_FLOOD_RX_BURSTS more bursts while the ring filled the last one: at --rate 0 each
 * iteration sends up to GEN_SYN_PER_LOOP SYNs, whose SYN-ACKs must come off the ring as fast,
 * or the ring fills and the legitimate clients' frames are lost with the cookies.
 */
static void poll_flood_rx(struct tt_worker *w, struct gen_run *r)
{
	struct rte_mbuf *pkts[TT_RX_BURST];

	for (unsigned b = 0; b < GEN_FLOOD_RX_BURSTS && r->flood_rx_full; b++) {
		uint16_t n = rte_eth_rx_burst(w->ports[0].port_id, w->queue_id, pkts, TT_RX_BURST);

		tt_worker_rx_burst(w, 0, pkts, n);
	}
	r->flood_rx_full = false;
}

int gen_flood_setup(struct gen_run *r, const struct tt_port *port)
{
	gen_flood_syn_init(&r->flood_syn, &port->mac, &r->server_mac, r->o->server,
			   r->o->server_port, port->tx_cksum_offload);
	return rte_eth_add_rx_callback(port->port_id, 0, drop_flood_rx, r) != NULL ? 0 : -rte_errno;
}

static void take_window(const struct tt_worker *w, struct gen_run *r, uint64_t now)
{
	struct gen_window *x = &r->window[r->windows_taken++];

	*x = (struct gen_window){
	    .tsc = now,
	    .busy_cycles = w->busy_cycles,
	    .idle_cycles = w->idle_cycles,
	    .rx_frames = w->ctr.ev[TT_CTR_RX_PACKETS],
	    .tx_frames = w->ctr.ev[TT_CTR_TX_PACKETS],
	    /* Frames the TX queue refused at least once (a held one may go out later). */
	    .tx_refused = w->ctr.ev[TT_CTR_TX_FAILED] + w->ctr.ev[TT_CTR_TX_HELD] -
			  w->ctr.ev[TT_CTR_TX_HELD_DROPPED],
	    .attempted = r->stats->conns_attempted,
	    .completed = r->stats->conns_completed,
	    .responses = r->stats->responses_ok,
	    .syns_sent = r->syns_sent,
	    .syns_accepted = r->syns_accepted,
	    .flood_rx = r->flood_rx,
	};
}

/* Keep up to `target` connections open (rps, throughput, concurrent, cps cap). */
static uint64_t room(const struct gen_run *r, uint64_t target)
{
	uint64_t open = r->stats->conns_open;

	return open < target ? target - open : 0;
}

void gen_scenario_loop(struct tt_worker *w, void *arg)
{
	struct gen_run *r = arg;
	const struct gen_opts *o = r->o;
	uint64_t now = rte_rdtsc();
	uint64_t n;

	if (r->windows_taken == 0)
		take_window(w, r, now);
	if (now >= r->end_tsc) {
		if (!r->stopping) {
			r->stopping = true;
			take_window(w, r, now);
			/* Every connection ends after its next response. */
			r->stats->plan[0].requests_per_conn = 1;
		}
		if (!r->closed_all) {
			/* Closing is paced like opening, so the FINs do not arrive as one wave. */
			n = due_since(r, r->end_tsc, now, o->rate, r->closed, GEN_OPEN_PER_LOOP);
			if (n > 0) {
				unsigned k;

				/* A step returns 0 only at the table's end. */
				r->close_cursor =
				    tt_stack_close_step(w->stack, r->close_cursor, (unsigned)n, &k);
				r->closed += k;
				r->closed_all = r->close_cursor == 0;
			}
		}
		/* Linger after the last connection: the appliance's retransmitted FINs
		 * still get their ACK (from TIME-WAIT) or an RST, not silence. */
		if (r->stats->conns_open == 0 && r->linger_end_tsc == 0)
			r->linger_end_tsc = now + GEN_LINGER_S * r->tsc_hz;
		if ((r->linger_end_tsc != 0 && now >= r->linger_end_tsc) || now >= r->drain_end_tsc)
			*r->quit = true;
		return;
	}
	switch (o->scenario) {
	case GEN_CPS:
		n = due(r, now, o->rate, r->opened, room(r, o->conns));
		open_conns(w, r, n < GEN_OPEN_PER_LOOP ? n : GEN_OPEN_PER_LOOP);
		break;
	case GEN_SYNFLOOD:
		poll_flood_rx(w, r);
		n = due(r, now, o->legit_rate, r->opened, room(r, o->conns));
		open_conns(w, r, n < GEN_OPEN_PER_LOOP ? n : GEN_OPEN_PER_LOOP);
		n = now >= r->flood_resume_tsc
			? due(r, now, o->rate, r->syns_sent, GEN_SYN_PER_LOOP)
			: 0;
		if (n > 0)
			send_flood(w, r, n);
		break;
	default: /* rps, throughput, concurrent: a fixed population, paced by --rate */
		if (r->opened < o->conns) {
			n = due(r, now, o->rate, r->opened, o->conns - r->opened);
			open_conns(w, r, n < GEN_OPEN_PER_LOOP ? n : GEN_OPEN_PER_LOOP);
		}
		break;
	}
}
