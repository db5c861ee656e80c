/*
 * The stateless cps client's loop on the worker lcore (gen_stateless.h):
 * receive a burst, answer it in place, add the SYNs due, send all in one
 * burst behind the replies the TX queue refused before (gen_sl_tx.h); and
 * its per-second lines and JSON summary on the main lcore.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_mbuf.h>

#include "gen.h"
#include "gen_sl_tx.h"
#include "gen_stateless.h"
#include "tt_port.h"

/*
 * SL_SYN_RTO_MS: in the closed loop, a SYN unanswered that long goes out again (gen_stateless.h).
 * SL_SYN_BATCH: at --rate N, SYNs wait until that many are due unless replies go out anyway
 * or the first has waited SL_SYN_WAIT_US (16 are due in 6 us at the overload scenario's
 * 2.7 M/s; at 1,000/s the wait bounds the delay): a TX burst costs the vhost PMD a
 * write to the ring the other side polls, so a SYN or two per burst cost more cycles per SYN
 * than a batch (overload, 1,360,000 x 2, templates in both: 1,932 busy cycles per completed
 * connection at 0.965 busy before, 1,802 at 0.908 after; medians of 3).
 */
enum { SL_QUIET_S = 2, SL_SYN_RTO_MS = 20, SL_SYN_BATCH = 16, SL_SYN_WAIT_US = 20 };

struct sl_run {
	struct gen_sl sl;
	const struct gen_opts *o;
	const struct tt_port *port;
	struct rte_mempool *pool;
	struct tt_net_if ifc;
	uint64_t tx_ol_flags;
	uint64_t tsc_hz, tsc_per_ms, start_tsc, end_tsc, drain_end_tsc;
	/* The open loop's pacing: SYNs due at --rate from pace_tsc on, pace_syns of them sent (the
	 * start of the run, or with --alternate of the open loop's turn). */
	uint64_t pace_tsc, pace_syns;
	struct gen_sl_turn_rate open_rate; /* the open loop's SYNs a second */
	bool closed; /* the closed loop's turn (--rate 0, or with --alternate) */
	uint64_t busy_cycles, idle_cycles;
	/* With --alternate, the load window's busy and idle cycles by turn, [0] the closed loop's
	 * and [1] the open loop's, as bench/alternate.py splits the appliance's: which side a turn
	 * saturated. */
	uint64_t turn_busy[2], turn_idle[2], turn_syns[2];
	uint32_t next_client;
	uint32_t next_port;
	struct gen_sl_tx tx; /* the burst: held replies, replies, SYNs (gen_sl_tx.h) */
	/* The tuples of the burst's SYNs, to mark those the TX queue takes as opened. */
	uint32_t syn_client[GEN_SL_BURST];
	uint16_t syn_port[GEN_SL_BURST];
	struct gen_window window[2];
	unsigned windows_taken;
	volatile bool *quit;
};

static void take_window(struct sl_run *r, uint64_t now)
{
	const struct gen_sl_ctr *c = &r->sl.ctr;

	r->window[r->windows_taken++] = (struct gen_window){
	    .tsc = now,
	    .busy_cycles = r->busy_cycles,
	    .idle_cycles = r->idle_cycles,
	    .rx_frames = c->rx_frames,
	    .tx_frames = c->tx_frames,
	    .tx_refused = c->tx_refused,
	    .attempted = c->syns_accepted,
	    .completed = c->completed,
	    .responses = c->responses,
	    .syns_sent = c->syns_sent,
	    .syns_accepted = c->syns_accepted,
	};
}

/* Write frame rep into m, with its TX length and checksum flags (the templates' sums are done). */
static void tx_write(const struct sl_run *r, struct rte_mbuf *m, const struct gen_sl_reply *rep)
{
	uint32_t len = gen_sl_write(&r->sl, rep, rte_pktmbuf_mtod(m, uint8_t *));

	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->ol_flags = r->tx_ol_flags;
	m->l2_len = TT_ETH_HDR_LEN;
	m->l3_len = TT_IP4_HDR_LEN;
}

/* Turn received frame m into its reply; false: m is to be freed. */
static bool answer(struct sl_run *r, struct rte_mbuf *m)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	struct gen_sl_reply rep;
	enum tt_drop reason;
	struct tt_pkt pkt;

	r->ifc.rx_cksum = tt_port_rx_cksum(r->port->rx_cksum_offload, m);
	switch (tt_net_parse(frame, rte_pktmbuf_data_len(m), &r->ifc, &pkt, &reason)) {
	case TT_PKT_TCP:
		break;
	case TT_PKT_ARP:
		r->sl.ctr.not_tcp++;
		if (pkt.arp_op != TT_ARP_OP_REQUEST)
			return false;
		tt_net_arp_reply(frame, &pkt, &r->ifc);
		m->ol_flags = 0;
		return true;
	default:
		r->sl.ctr.not_tcp++;
		return false;
	}
	if (!gen_sl_answer(&r->sl, &pkt, &rep))
		return false;
	/* The reply is written over the segment it answers: read nothing of it after this. */
	tx_write(r, m, &rep);
	r->sl.ctr.replies++;
	return true;
}

static void build_syn(struct sl_run *r, struct rte_mbuf *m, uint32_t client, uint16_t port)
{
	struct gen_sl_reply syn;

	gen_sl_syn(&r->sl, client, port, &syn);
	tx_write(r, m, &syn);
}

/*
 * The SYNs due by now, at most room of them, appended at tx: in the open loop at --rate (none
 * while fewer than SL_SYN_BATCH are due and the burst has no replies), in the closed loop as
 * many as keep --conns of its connections in flight.
 */
static uint16_t add_syns(struct sl_run *r, uint64_t now, struct rte_mbuf **tx, uint16_t room,
			 bool with_replies)
{
	const struct gen_opts *o = r->o;
	uint64_t n = room;

	if (r->closed) {
		uint64_t in_flight = r->sl.closed_in_flight;
		uint64_t free_conns = o->conns > in_flight ? o->conns - in_flight : 0;

		n = free_conns < room ? free_conns : room;
	} else {
		double per_syn = (double)r->tsc_hz / r->open_rate.rate;
		uint64_t want = (uint64_t)((double)(now - r->pace_tsc) / per_syn);
		double first_due = (double)r->pace_tsc + (double)(r->pace_syns + 1) * per_syn;

		n = want > r->pace_syns ? want - r->pace_syns : 0;
		n = n < room ? n : room;
		if (n < SL_SYN_BATCH && !with_replies &&
		    (double)now - first_due < (double)r->tsc_per_ms * SL_SYN_WAIT_US / 1000)
			return 0;
	}
	if (n == 0)
		return 0;
	if (rte_pktmbuf_alloc_bulk(r->pool, tx, (unsigned)n) != 0) {
		r->sl.ctr.no_mbuf++;
		return 0;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (r->next_port > o->port_last) {
			r->next_port = o->port_first;
			r->next_client = (r->next_client + 1) % o->client_count;
		}
		r->syn_client[i] = r->next_client;
		r->syn_port[i] = (uint16_t)r->next_port++;
		build_syn(r, tx[i], r->syn_client[i], r->syn_port[i]);
	}
	r->sl.ctr.syns_sent += n;
	r->pace_syns += r->closed ? 0 : n;
	return (uint16_t)n;
}

/* The SYNs due again (gen_stateless.h), at most room of them, appended at tx. */
static uint16_t add_syn_repeats(struct sl_run *r, uint32_t now_ms, struct rte_mbuf **tx,
				uint16_t room)
{
	uint16_t ports[GEN_SL_SWEEP];
	unsigned n = gen_sl_syns_due(&r->sl, now_ms, ports, RTE_MIN(room, GEN_SL_SWEEP));

	if (n == 0)
		return 0;
	/* None left: their time was reset, so they come round again a timeout later. */
	if (rte_pktmbuf_alloc_bulk(r->pool, tx, n) != 0) {
		r->sl.ctr.no_mbuf++;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		build_syn(r, tx[i], r->sl.conns[ports[i]].client, ports[i]);
	return (uint16_t)n;
}

static int sl_loop(void *arg)
{
	struct sl_run *r = arg;
	struct gen_sl_ctr *c = &r->sl.ctr;
	struct gen_sl_tx *t = &r->tx;
	uint16_t port = r->port->port_id;
	uint64_t last_rx = 0;
	bool loading = true;

	while (!*r->quit) {
		struct rte_mbuf *rx[GEN_SL_BURST];
		uint64_t t0 = rte_rdtsc(), t1;
		uint32_t now_ms = (uint32_t)(t0 / r->tsc_per_ms);
		uint16_t n = rte_eth_rx_burst(port, 0, rx, GEN_SL_BURST), ntx, syns = 0, sent,
			 opened;

		if (r->windows_taken == 0)
			take_window(r, t0);
		if (r->o->alternate) {
			bool closed = ((t0 >> GEN_SL_ALTERNATE_SHIFT) & 1) == 0;

			if (r->closed && !closed) {
				r->pace_tsc = t0;
				r->pace_syns = 0;
			}
			r->closed = closed;
			gen_sl_turn_rate_update(&r->open_rate, t0, r->tsc_hz, c->completed);
		}
		if (loading && t0 >= r->end_tsc) {
			loading = false;
			r->sl.asking = false;
			take_window(r, t0);
		}
		c->rx_frames += n;
		c->polls++;
		c->full_polls += n == GEN_SL_BURST;
		for (uint16_t i = 0; i < n; i++) {
			if (answer(r, rx[i]))
				gen_sl_tx_reply(t, rx[i]);
			else
				rte_pktmbuf_free(rx[i]);
		}
		t->n += add_syn_repeats(r, now_ms, t->f + t->n, GEN_SL_BURST);
		if (loading) {
			syns = add_syns(r, t0, t->f + t->n, GEN_SL_BURST, t->n != 0);
			t->n += syns;
		}
		ntx = t->n;
		sent = gen_sl_tx_send(t, port, c);
		/* Replies go first: the SYNs are the burst's tail. */
		opened = sent > ntx - syns ? sent - (ntx - syns) : 0;
		for (uint16_t i = 0; i < opened; i++)
			gen_sl_opened(&r->sl, r->syn_client[i], r->syn_port[i], now_ms, r->closed);
		c->syns_accepted += opened;
		if (loading && r->o->alternate)
			r->turn_syns[!r->closed] += opened;
		if (n != 0)
			last_rx = t0;
		t1 = rte_rdtsc();
		if (n != 0 || ntx != 0)
			r->busy_cycles += t1 - t0;
		else
			r->idle_cycles += t1 - t0;
		if (loading && r->o->alternate)
			(n != 0 || ntx != 0 ? r->turn_busy : r->turn_idle)[!r->closed] += t1 - t0;
		if (!loading && (t0 >= r->drain_end_tsc ||
				 t0 - RTE_MAX(last_rx, r->end_tsc) >= SL_QUIET_S * r->tsc_hz))
			*r->quit = true;
	}
	/* Their connections are left in flight (unfinished). */
	gen_sl_tx_free(t);
	return 0;
}

#define SL_PRINT(name, doc)                                                                        \
	fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", #name, c->name), first = false;
/* The client's totals at the end of each second of the run. */
struct sl_second {
	uint64_t completed, responses;
};

static void print_summary(FILE *f, const struct sl_run *r, const struct sl_second *series,
			  unsigned n, double secs)
{
	const struct gen_sl_ctr *c = &r->sl.ctr;
	bool first = true;

	/* The stateful client's keys where they mean the same: tx_failed, frames refused and freed
	 * (SYNs, and replies the hold had no room for). */
	fprintf(
	    f,
	    "{\"scenario\":\"%s\",\"stateless\":true,\"seconds\":%.3f,\"conns_attempted\":%" PRIu64
	    ",\"conns_established\":%" PRIu64 ",\"conns_completed\":%" PRIu64
	    ",\"conns_unfinished\":%" PRIu64 ",\"requests_sent\":%" PRIu64
	    ",\"responses_ok\":%" PRIu64 ",\"body_bytes_verified\":%" PRIu64
	    ",\"syns_sent\":%" PRIu64 ",\"syns_accepted\":%" PRIu64
	    ",\"retransmits\":0,\"tx_failed\":%" PRIu64 ",\"rx_frames\":%" PRIu64
	    ",\"tx_frames\":%" PRIu64 ",\"failed\":{\"reset\":%" PRIu64 ",\"timeout\":%" PRIu64
	    ",\"bad_data\":%" PRIu64 "},\"failed_total\":%" PRIu64
	    ",\"cps\":%.1f,\"rps\":%.1f,\"syn_rate\":%.1f,"
	    "\"response_len\":%u,\"counters\":{",
	    r->sl.c.keep_alive ? "rps" : "cps", secs, c->syns_accepted, c->synacks, c->completed,
	    r->sl.in_flight, c->requests, c->responses, c->responses * r->o->body, c->syns_sent,
	    c->syns_accepted, c->tx_refused - c->replies_held, c->rx_frames, c->tx_frames, c->reset,
	    c->timed_out, c->bad_data, gen_sl_failed(&r->sl), (double)c->completed / secs,
	    (double)c->responses / secs, (double)c->syns_accepted / secs, r->sl.response_len);
	GEN_SL_COUNTERS(SL_PRINT)
	fprintf(f, "},\"per_second\":[");
	for (unsigned i = 1; i < n; i++)
		fprintf(f, "%s{\"t\":%u,\"cps\":%" PRIu64 ",\"rps\":%" PRIu64 ",\"failed\":0}",
			i > 1 ? "," : "", i, series[i].completed - series[i - 1].completed,
			series[i].responses - series[i - 1].responses);
	fprintf(f, "]");
	if (r->windows_taken == 2)
		gen_print_window(f, r->window, r->tsc_hz, 0);
	if (r->o->alternate)
		fprintf(f,
			",\"turns\":{\"closed\":{\"busy_cycles\":%" PRIu64
			",\"idle_cycles\":%" PRIu64 ",\"syns_accepted\":%" PRIu64
			"},\"open\":{\"busy_cycles\":%" PRIu64 ",\"idle_cycles\":%" PRIu64
			",\"syns_accepted\":%" PRIu64 "}}",
			r->turn_busy[0], r->turn_idle[0], r->turn_syns[0], r->turn_busy[1],
			r->turn_idle[1], r->turn_syns[1]);
	fprintf(f, "}\n");
	fflush(f);
}
#undef SL_PRINT

int gen_sl_run(const struct gen_opts *o, const struct tt_port *port, struct rte_mempool *pool,
	       const struct gen_sl_conf *conf, unsigned lcore, volatile bool *quit)
{
	static struct sl_run run;
	static struct sl_second series[3600 + 700];
	struct sl_run *r = &run;
	unsigned n = 0;

	r->sl.c = *conf;
	/* Replies are written over the frames they answer: every buffer has room for a template. */
	if (rte_pktmbuf_data_room_size(pool) < RTE_PKTMBUF_HEADROOM + GEN_TMPL_ROOM ||
	    !gen_sl_frames_init(&r->sl, port->tx_cksum_offload)) {
		fprintf(stderr, "tcpterm-gen: the request or the frames do not fit the buffers\n");
		return 1;
	}
	r->sl.conns = calloc(GEN_SL_PORTS, sizeof(*r->sl.conns));
	if (r->sl.conns == NULL) {
		fprintf(stderr, "tcpterm-gen: no memory for the connection table\n");
		return 1;
	}
	r->o = o;
	r->port = port;
	r->pool = pool;
	r->ifc = (struct tt_net_if){
	    .mac = port->mac, .addr = o->client_first, .addr_count = o->client_count};
	r->tx_ol_flags = tt_port_tx_ol_flags(port->tx_cksum_offload);
	r->tsc_hz = rte_get_tsc_hz();
	r->tsc_per_ms = r->tsc_hz / 1000;
	r->sl.syn_rto_ms = o->rate == 0 || o->alternate ? SL_SYN_RTO_MS : 0;
	r->closed = o->rate == 0;
	gen_sl_turn_rate_init(&r->open_rate, o->alternate_factor, (double)o->rate);
	r->sl.isn_key = (uint32_t)rte_rdtsc();
	r->sl.asking = true;
	r->next_port = o->port_first;
	r->quit = quit;
	r->start_tsc = rte_rdtsc();
	r->pace_tsc = r->start_tsc;
	r->end_tsc = r->start_tsc + (uint64_t)(o->duration_s * (double)r->tsc_hz);
	r->drain_end_tsc = r->end_tsc + (uint64_t)(o->drain_s * (double)r->tsc_hz);
	series[n++] = (struct sl_second){0};
	rte_eal_remote_launch(sl_loop, r, lcore);
	while (!*quit && n < RTE_DIM(series)) {
		uint64_t next = r->start_tsc + (uint64_t)n * r->tsc_hz;
		const struct gen_sl_ctr *c = &r->sl.ctr;

		while (!*quit && rte_rdtsc() < next)
			rte_delay_us_sleep(10000);
		series[n] = (struct sl_second){c->completed, c->responses};
		fprintf(stderr,
			"t=%us cps %" PRIu64 " rps %" PRIu64 " syns_accepted %" PRIu64
			" synacks %" PRIu64 " rsts %" PRIu64 " partial %" PRIu64
			" unexpected %" PRIu64 " tx_refused %" PRIu64 " replies_held %" PRIu64
			" replies_dropped %" PRIu64 "\n",
			n, series[n].completed - series[n - 1].completed,
			series[n].responses - series[n - 1].responses, c->syns_accepted, c->synacks,
			c->rsts, c->partial, c->unexpected, c->tx_refused, c->replies_held,
			c->replies_dropped);
		n++;
	}
	*quit = true;
	rte_eal_wait_lcore(lcore);
	print_summary(
	    stdout, r, series, n,
	    RTE_MIN(o->duration_s, (double)(rte_rdtsc() - r->start_tsc) / (double)r->tsc_hz));
	free(r->sl.conns);
	return gen_sl_failed(&r->sl) == 0 && r->sl.in_flight == 0 ? 0 : 3;
}
