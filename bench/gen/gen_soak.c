/*
 * The soak scenario: a long, moderate churn of every kind of peer a server
 * meets, so that whatever leaks slowly or outlives its bound shows in the
 * appliance's gauges once the load has stopped (bench/soak.sh reads them).
 *
 * After a quiet start (the appliance's resting counters are read then),
 * --rate connections start each second, their kinds drawn by weight; the
 * state each dishonest kind leaves the appliance in, bounded by its
 * configuration, is in brackets:
 *
 *   client_close  one request, then our FIN;                        honest
 *   server_close  one request with "Connection: close";             clients
 *   keep_alive    four requests, then our FIN;                      (gen_http)
 *   reset         a request, then RST before the answer is acknowledged;
 *   zero_window   a request with window 0; two persist probes answered, then
 *                 silence [persist];
 *   half_open     a SYN, never the ACK [SYN-RECEIVED];
 *   vanish        a request; the first two segments of the answer
 *                 acknowledged, then silence [ESTABLISHED, data unacknowledged];
 *   slow_head     half a request head, then silence [the HTTP head's bound];
 *   fin_wait_1    a "Connection: close" request; the answer acknowledged,
 *                 never its FIN [FIN-WAIT-1];
 *   fin_wait_2    the same, the FIN acknowledged but none sent back [FIN-WAIT-2];
 *   closing       the same, our FIN crossing theirs [CLOSING];
 *   close_wait    a request and our FIN with window 0 [CLOSE-WAIT];
 *   last_ack      a request and our FIN; the answer acknowledged, never its
 *                 FIN [LAST-ACK];
 *   echo_stall    1 KiB to echo with window 0, then silence [persist, the
 *                 appliance holding the received buffer];
 *   hole          512 bytes to echo behind a 64-byte hole, then silence
 *                 [ESTABLISHED, holding it out of order].
 *
 * The honest clients are ordinary connections of the generator's stack,
 * one gen_http plan each.  The others are scripted peers: raw segments
 * (tt_stack_send_segment) from an address block of their own, one peer per
 * address.  An ethdev RX callback takes the appliance's replies to them out
 * of each burst before the stack sees it (the stack would answer them with
 * RSTs) and, first, drops --loss percent of every received frame.  A peer
 * keeps its slot only while it has something left to say.  Like any client
 * it sends its SYN again when no SYN-ACK came (a cookie SYN-ACK lost to the
 * loss is never retransmitted); a slot whose cue never comes is taken back
 * after SOAK_GIVE_UP_MS.
 *
 * Bounded: nothing starts after --duration; the run ends once every client
 * has closed and every slot is free (and a linger has passed), or at the
 * drain bound.  Everything runs on the worker lcore: the RX callback is
 * called from the worker's rx_burst.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "gen.h"

/* The scripted peers' addresses, 198.18.64.0/22: one per slot, apart from the clients'. */
#define SOAK_PEER_NET 0xc6124000u

enum {
	/* Most peers speak for a round trip, the zero-window ones for a few seconds: a few
	 * hundred slots are busy at once at the default rate. */
	SOAK_PEERS = 1024,
	SOAK_QUIET_S = 2, /* long enough to read the appliance's resting mbuf count */
	SOAK_START_PER_LOOP = 32,
	/* Far beyond the SYN retries and every bound soak.sh gives the appliance. */
	SOAK_GIVE_UP_MS = 15000,
	SOAK_SCAN_MS = 100,
	SOAK_SYN_RTO_MS = 1000, /* RFC 6298's initial RTO, as a client would */
	SOAK_SYNS = 4,
	SOAK_RX_HOLD = TT_RX_BURST * TT_RX_BURSTS_PER_LOOP, /* what one loop iteration receives */
	SOAK_ECHO_PORT = 7,
	SOAK_MSS = 1460,
	SOAK_WND = 65535, /* the peers offer no window scaling */
	SOAK_PROBES = 2,
	/* The answer (16 KiB in soak.sh) is cut short after two of the four segments in flight. */
	SOAK_VANISH_WND = 4 * SOAK_MSS,
	SOAK_VANISH_AFTER = 2 * SOAK_MSS,
	SOAK_ECHO_BYTES = 1024,
	SOAK_HOLE = 64,
	SOAK_HOLE_BYTES = 512, /* above the appliance's floor for keeping out-of-order data */
	SOAK_FREE = 0xff,
};

/* name, weight (of 100) */
#define SOAK_KINDS(X)                                                                              \
	X(CLIENT_CLOSE, "client_close", 23)                                                        \
	X(SERVER_CLOSE, "server_close", 20)                                                        \
	X(KEEP_ALIVE, "keep_alive", 15)                                                            \
	X(RESET, "reset", 8)                                                                       \
	X(ZERO_WINDOW, "zero_window", 5)                                                           \
	X(HALF_OPEN, "half_open", 7)                                                               \
	X(VANISH, "vanish", 5)                                                                     \
	X(SLOW_HEAD, "slow_head", 2)                                                               \
	X(FIN_WAIT_1, "fin_wait_1", 2)                                                             \
	X(FIN_WAIT_2, "fin_wait_2", 3)                                                             \
	X(CLOSING, "closing", 2)                                                                   \
	X(CLOSE_WAIT, "close_wait", 2)                                                             \
	X(LAST_ACK, "last_ack", 2)                                                                 \
	X(ECHO_STALL, "echo_stall", 2)                                                             \
	X(HOLE, "hole", 2)

#define SOAK_ENUM(name, str, w) K_##name,
enum kind { SOAK_KINDS(SOAK_ENUM) K_COUNT };
#undef SOAK_ENUM

#define SOAK_NAME(name, str, w) str,
static const char *const kind_names[K_COUNT] = {SOAK_KINDS(SOAK_NAME)};
#undef SOAK_NAME

#define SOAK_WEIGHT(name, str, w) w,
static const uint8_t kind_weights[K_COUNT] = {SOAK_KINDS(SOAK_WEIGHT)};
#undef SOAK_WEIGHT
#define SOAK_SUM(name, str, w) +w
static_assert(0 SOAK_KINDS(SOAK_SUM) == 100, "weights are percentages");
#undef SOAK_SUM

/* The honest kinds come first: their kind is their application index and plan. */
static const struct gen_http_plan plans[GEN_SOAK_PLANS] = {
    [K_CLIENT_CLOSE] = {1, GEN_CLOSE_CLIENT},
    [K_SERVER_CLOSE] = {1, GEN_CLOSE_SERVER},
    [K_KEEP_ALIVE] = {4, GEN_CLOSE_CLIENT},
};
static_assert((unsigned)K_KEEP_ALIVE + 1 == GEN_SOAK_PLANS, "honest kinds are the plans");

static bool honest(unsigned kind)
{
	return kind < GEN_SOAK_PLANS;
}

/* One scripted peer (a slot). */
struct peer {
	uint8_t kind; /* SOAK_FREE: the slot is free */
	bool synced;
	bool fin; /* the appliance's FIN arrived in order */
	uint8_t probes;
	uint8_t syns;
	uint16_t port; /* ours: the next one each time the slot is taken */
	uint16_t dport;
	uint32_t snd_nxt;
	uint32_t rcv_nxt;
	uint32_t rcvd; /* answer bytes taken in order */
	uint64_t next_syn_tsc;
	uint64_t give_up_tsc;
};

/* For the scripted kinds; the honest ones count only started (gen_http has the rest). */
struct kind_stats {
	uint64_t started, synced, done;
	uint64_t rst_rcvd; /* the appliance's RST came while the peer still had a move to make */
	uint64_t gave_up;
};

struct gen_soak {
	struct gen_run *r;
	struct tt_net_if peer_if; /* the scripted peers' side of the link, for tt_net_parse */
	bool rx_cksum_offload;	  /* the port's RX checksum verdicts are used (tt_port) */
	uint64_t rng;
	uint64_t loss_below; /* a received frame is lost when a draw falls below this */
	uint64_t started;    /* starts due so far (pacing), whether they found room or not */
	uint64_t next_scan_tsc;
	uint32_t busy; /* slots taken */
	uint32_t free_head, n_free;
	uint32_t free_ring[SOAK_PEERS]; /* FIFO: a slot rests as long as possible between uses */
	unsigned n_held;
	struct rte_mbuf *held[SOAK_RX_HOLD]; /* replies to the peers, taken out of RX */
	uint64_t rx_lost, rx_for_peers, rx_stale, rx_overflow, no_slot;
	struct kind_stats k[K_COUNT];
	struct peer peers[SOAK_PEERS];
};

/* What echo sends back is never read: the content does not matter. */
static const uint8_t echo_bytes[SOAK_ECHO_BYTES];

static uint32_t take_slot(struct gen_soak *s)
{
	uint32_t idx;

	if (s->n_free == 0)
		return SOAK_PEERS;
	idx = s->free_ring[s->free_head];
	s->free_head = (s->free_head + 1) % SOAK_PEERS;
	s->n_free--;
	s->busy++;
	return idx;
}

static void free_slot(struct gen_soak *s, uint32_t idx)
{
	s->peers[idx].kind = SOAK_FREE;
	s->free_ring[(s->free_head + s->n_free) % SOAK_PEERS] = idx;
	s->n_free++;
	s->busy--;
}

/* The peer's script is played out: from now on it is silent. */
static void finish(struct gen_soak *s, uint32_t idx)
{
	s->k[s->peers[idx].kind].done++;
	free_slot(s, idx);
}

static void send_seg(struct gen_soak *s, struct tt_worker *w, uint32_t idx, uint8_t flags,
		     uint32_t seq, uint16_t wnd, const void *data, uint32_t len)
{
	const struct gen_run *r = s->r;
	const struct peer *p = &s->peers[idx];
	struct tt_tcp_hdr_args a = {
	    .dst_mac = r->server_mac,
	    .saddr = SOAK_PEER_NET + idx,
	    .daddr = r->o->server,
	    .sport = p->port,
	    .dport = p->dport,
	    .seq = seq,
	    .ack = (flags & TT_TCP_ACK) ? p->rcv_nxt : 0,
	    .wnd = wnd,
	    .flags = flags,
	};

	if (flags & TT_TCP_SYN) {
		a.opts.present = TT_OPT_MSS;
		a.opts.mss = SOAK_MSS;
	}
	tt_stack_send_segment(w->stack, 0, &a, data, len);
}

/* The next bytes of the peer's stream (a SYN or FIN takes a sequence number too). */
static void say(struct gen_soak *s, struct tt_worker *w, uint32_t idx, uint8_t flags, uint16_t wnd,
		const void *data, uint32_t len)
{
	struct peer *p = &s->peers[idx];

	send_seg(s, w, idx, flags, p->snd_nxt, wnd, data, len);
	p->snd_nxt += len + ((flags & (TT_TCP_SYN | TT_TCP_FIN)) ? 1 : 0);
}

static void start_peer(struct gen_soak *s, struct tt_worker *w, enum kind kind, uint64_t now)
{
	uint32_t idx = take_slot(s);
	struct peer *p;

	if (idx == SOAK_PEERS) {
		s->no_slot++;
		return;
	}
	p = &s->peers[idx];
	p->kind = (uint8_t)kind;
	p->synced = false;
	p->fin = false;
	p->probes = 0;
	p->syns = 1;
	p->rcvd = 0;
	p->port = p->port >= 1024 && p->port < UINT16_MAX ? (uint16_t)(p->port + 1) : 1024;
	p->dport = kind == K_ECHO_STALL || kind == K_HOLE ? SOAK_ECHO_PORT : s->r->o->server_port;
	p->snd_nxt = (uint32_t)gen_xorshift(&s->rng);
	p->next_syn_tsc = now + SOAK_SYN_RTO_MS * s->r->tsc_hz / 1000;
	p->give_up_tsc = now + SOAK_GIVE_UP_MS * s->r->tsc_hz / 1000;
	s->k[kind].started++;
	say(s, w, idx, TT_TCP_SYN, SOAK_WND, NULL, 0);
	if (kind == K_HALF_OPEN)
		finish(s, idx);
}

/* The handshake is done (the SYN-ACK came): the peer's opening move. */
static void opening(struct gen_soak *s, struct tt_worker *w, uint32_t idx)
{
	const struct gen_http_stats *st = s->r->stats;
	struct peer *p = &s->peers[idx];
	const uint8_t req = TT_TCP_ACK | TT_TCP_PSH;

	switch (p->kind) {
	case K_RESET:
		say(s, w, idx, req, SOAK_WND, st->request, st->request_len);
		send_seg(s, w, idx, TT_TCP_RST | TT_TCP_ACK, p->snd_nxt, 0, NULL, 0);
		finish(s, idx);
		break;
	case K_ZERO_WINDOW:
		say(s, w, idx, req, 0, st->request, st->request_len);
		break;
	case K_VANISH:
		say(s, w, idx, req, SOAK_VANISH_WND, st->request, st->request_len);
		break;
	case K_SLOW_HEAD:
		say(s, w, idx, req, SOAK_WND, st->request, st->request_len / 2);
		finish(s, idx);
		break;
	case K_FIN_WAIT_1:
	case K_FIN_WAIT_2:
	case K_CLOSING:
		say(s, w, idx, req, SOAK_WND, st->request_close, st->request_close_len);
		break;
	case K_CLOSE_WAIT:
		say(s, w, idx, req | TT_TCP_FIN, 0, st->request, st->request_len);
		finish(s, idx);
		break;
	case K_LAST_ACK:
		say(s, w, idx, req | TT_TCP_FIN, SOAK_WND, st->request, st->request_len);
		break;
	case K_ECHO_STALL:
		say(s, w, idx, req, 0, echo_bytes, sizeof(echo_bytes));
		finish(s, idx);
		break;
	case K_HOLE:
		say(s, w, idx, TT_TCP_ACK, SOAK_WND, NULL, 0);
		send_seg(s, w, idx, req, p->snd_nxt + SOAK_HOLE, SOAK_WND, echo_bytes,
			 SOAK_HOLE_BYTES);
		finish(s, idx);
		break;
	default:
		break;
	}
}

/* In-order bytes, and a FIN right behind them, advance what the peer acknowledges. */
static void take(struct peer *p, const struct tt_tcp_seg *seg)
{
	if (seg->seq != p->rcv_nxt)
		return;
	p->rcv_nxt += seg->len;
	p->rcvd += seg->len;
	if (seg->flags & TT_TCP_FIN) {
		p->rcv_nxt++;
		p->fin = true;
	}
}

/* The whole answer came, and the appliance's FIN: the last move, then silence. */
static void at_their_fin(struct gen_soak *s, struct tt_worker *w, uint32_t idx)
{
	struct peer *p = &s->peers[idx];

	switch (p->kind) {
	case K_FIN_WAIT_2: /* the appliance waits for a FIN that never comes */
		say(s, w, idx, TT_TCP_ACK, SOAK_WND, NULL, 0);
		break;
	case K_CLOSING: /* our FIN crosses theirs: it acknowledges their data, not their FIN */
		p->rcv_nxt--;
		say(s, w, idx, TT_TCP_FIN | TT_TCP_ACK, SOAK_WND, NULL, 0);
		break;
	default: /* FIN-WAIT-1, LAST-ACK: all of it acknowledged but the FIN */
		p->rcv_nxt--;
		say(s, w, idx, TT_TCP_ACK, SOAK_WND, NULL, 0);
		break;
	}
	finish(s, idx);
}

/* Data (or a FIN) for a peer whose script is still running. */
static void later(struct gen_soak *s, struct tt_worker *w, uint32_t idx,
		  const struct tt_tcp_seg *seg)
{
	struct peer *p = &s->peers[idx];

	if (seg->len == 0 && !(seg->flags & TT_TCP_FIN))
		return;
	switch (p->kind) {
	case K_ZERO_WINDOW:
		/* A probe: a byte the shut window does not take, answered with the same window. */
		say(s, w, idx, TT_TCP_ACK, 0, NULL, 0);
		if (++p->probes == SOAK_PROBES)
			finish(s, idx);
		break;
	case K_VANISH:
		take(p, seg);
		if (p->rcvd >= SOAK_VANISH_AFTER)
			finish(s, idx); /* gone without acknowledging this segment */
		else
			say(s, w, idx, TT_TCP_ACK, SOAK_VANISH_WND, NULL, 0);
		break;
	case K_FIN_WAIT_1:
	case K_FIN_WAIT_2:
	case K_CLOSING:
	case K_LAST_ACK:
		take(p, seg);
		if (p->fin)
			at_their_fin(s, w, idx);
		else
			say(s, w, idx, TT_TCP_ACK, SOAK_WND, NULL, 0);
		break;
	default:
		break;
	}
}

static void peer_input(struct gen_soak *s, struct tt_worker *w, const struct tt_pkt *pkt)
{
	uint32_t idx = pkt->daddr - SOAK_PEER_NET;
	struct peer *p = &s->peers[idx];
	const struct tt_tcp_seg *seg = &pkt->seg;

	if (p->kind == SOAK_FREE || pkt->dport != p->port || pkt->sport != p->dport) {
		s->rx_stale++; /* for a peer that has gone silent: nobody answers */
		return;
	}
	if (seg->flags & TT_TCP_RST) {
		s->k[p->kind].rst_rcvd++;
		free_slot(s, idx);
		return;
	}
	if (p->synced) {
		later(s, w, idx, seg);
		return;
	}
	if ((seg->flags & (TT_TCP_SYN | TT_TCP_ACK)) != (TT_TCP_SYN | TT_TCP_ACK) ||
	    seg->ack != p->snd_nxt)
		return;
	p->synced = true;
	p->rcv_nxt = seg->seq + 1;
	s->k[p->kind].synced++;
	opening(s, w, idx);
}

/* An IPv4 frame to one of the peers' addresses (tt_net_parse checks the rest later). */
static bool for_peers(const struct gen_soak *s, const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t daddr;

	if (m->data_len < TT_ETH_HDR_LEN + TT_IP4_HDR_LEN || f[12] != 0x08 || f[13] != 0x00)
		return false;
	daddr = (uint32_t)f[30] << 24 | (uint32_t)f[31] << 16 | (uint32_t)f[32] << 8 | f[33];
	return tt_net_is_ours(&s->peer_if, daddr);
}

/* Loss first, then the peers' replies aside; the rest goes on to the stack. */
static uint16_t soak_rx(uint16_t port_id, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
			uint16_t max, void *arg)
{
	struct gen_soak *s = arg;
	uint16_t kept = 0;

	(void)port_id;
	(void)queue;
	(void)max;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (gen_xorshift(&s->rng) < s->loss_below) {
			s->rx_lost++;
			rte_pktmbuf_free(m);
		} else if (!for_peers(s, m)) {
			pkts[kept++] = m;
		} else if (s->n_held < SOAK_RX_HOLD) {
			s->held[s->n_held++] = m;
		} else {
			s->rx_overflow++;
			rte_pktmbuf_free(m);
		}
	}
	return kept;
}

static void take_replies(struct gen_soak *s, struct tt_worker *w)
{
	for (unsigned i = 0; i < s->n_held; i++) {
		struct rte_mbuf *m = s->held[i];
		enum tt_drop reason;
		struct tt_pkt pkt;

		s->rx_for_peers++;
		/* As the worker does: what the port verified is not checked again (the appliance
		 * may leave its checksums to offload). */
		s->peer_if.rx_cksum = tt_port_rx_cksum(s->rx_cksum_offload, m);
		if (tt_net_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &s->peer_if,
				 &pkt, &reason) == TT_PKT_TCP)
			peer_input(s, w, &pkt);
		rte_pktmbuf_free(m);
	}
	s->n_held = 0;
}

static void peer_timers(struct gen_soak *s, struct tt_worker *w, uint64_t now)
{
	for (uint32_t i = 0; i < SOAK_PEERS; i++) {
		struct peer *p = &s->peers[i];

		if (p->kind == SOAK_FREE)
			continue;
		if (now >= p->give_up_tsc) {
			s->k[p->kind].gave_up++;
			free_slot(s, i);
		} else if (!p->synced && p->syns < SOAK_SYNS && now >= p->next_syn_tsc) {
			send_seg(s, w, i, TT_TCP_SYN, p->snd_nxt - 1, SOAK_WND, NULL, 0);
			p->syns++;
			p->next_syn_tsc = now + SOAK_SYN_RTO_MS * s->r->tsc_hz / 1000;
		}
	}
}

static enum kind draw_kind(struct gen_soak *s)
{
	unsigned x = (unsigned)(gen_xorshift(&s->rng) % 100);
	unsigned k = 0;

	while (x >= kind_weights[k]) {
		x -= kind_weights[k];
		k++;
	}
	return (enum kind)k;
}

static void start_due(struct gen_soak *s, struct tt_worker *w, uint64_t now)
{
	struct gen_run *r = s->r;
	uint64_t from = r->start_tsc + SOAK_QUIET_S * r->tsc_hz;
	uint64_t want;

	if (now < from)
		return;
	want = (uint64_t)((double)(now - from) * (double)r->o->rate / (double)r->tsc_hz);
	for (unsigned i = 0; i < SOAK_START_PER_LOOP && s->started < want; i++) {
		enum kind k = draw_kind(s);

		s->started++;
		if (!honest(k))
			start_peer(s, w, k, now);
		else if (gen_open(w, r, (uint8_t)k))
			s->k[k].started++;
	}
}

static void soak_loop(struct tt_worker *w, void *arg)
{
	struct gen_run *r = arg;
	struct gen_soak *s = r->soak;
	uint64_t now = rte_rdtsc();

	take_replies(s, w);
	if (now >= s->next_scan_tsc) {
		peer_timers(s, w, now);
		s->next_scan_tsc = now + SOAK_SCAN_MS * r->tsc_hz / 1000;
	}
	if (now < r->end_tsc) {
		start_due(s, w, now);
		return;
	}
	if (r->stats->conns_open == 0 && s->busy == 0 && r->linger_end_tsc == 0)
		r->linger_end_tsc = now + GEN_LINGER_S * r->tsc_hz;
	if ((r->linger_end_tsc != 0 && now >= r->linger_end_tsc) || now >= r->drain_end_tsc)
		*r->quit = true;
}

int gen_soak_setup(struct gen_run *r, struct tt_worker_params *p, const struct tt_port *port)
{
	struct gen_soak *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	s->r = r;
	s->peer_if.mac = port->mac;
	s->rx_cksum_offload = port->rx_cksum_offload;
	s->peer_if.addr = SOAK_PEER_NET;
	s->peer_if.addr_count = SOAK_PEERS;
	s->rng = rte_rdtsc() | 1;
	/* 2^64 * pct / 100, as a double: exact enough for a rate of loss. */
	s->loss_below = (uint64_t)(r->o->loss_pct / 100.0 * 18446744073709551616.0);
	for (uint32_t i = 0; i < SOAK_PEERS; i++) {
		s->peers[i].kind = SOAK_FREE;
		s->free_ring[i] = i;
	}
	s->n_free = SOAK_PEERS;
	for (unsigned k = 0; k < GEN_SOAK_PLANS; k++) {
		p->apps[k] = &gen_http_app;
		r->stats->plan[k] = plans[k];
	}
	p->on_loop = soak_loop;
	p->loop_arg = r;
	if (rte_eth_add_rx_callback(port->port_id, 0, soak_rx, s) == NULL) {
		int rc = -rte_errno;

		free(s);
		return rc;
	}
	r->soak = s;
	return 0;
}

void gen_soak_print(FILE *f, const struct gen_soak *s)
{
	fprintf(f,
		",\"soak\":{\"rate\":%" PRIu64 ",\"loss_pct\":%.3f,\"rx_lost\":%" PRIu64
		",\"rx_for_peers\":%" PRIu64 ",\"rx_stale\":%" PRIu64 ",\"rx_overflow\":%" PRIu64
		",\"no_slot\":%" PRIu64 ",\"kinds\":{",
		s->r->o->rate, s->r->o->loss_pct, s->rx_lost, s->rx_for_peers, s->rx_stale,
		s->rx_overflow, s->no_slot);
	for (unsigned k = 0; k < K_COUNT; k++) {
		const struct kind_stats *ks = &s->k[k];

		fprintf(f, "%s\"%s\":{\"started\":%" PRIu64, k ? "," : "", kind_names[k],
			ks->started);
		if (!honest(k))
			fprintf(f,
				",\"synced\":%" PRIu64 ",\"done\":%" PRIu64 ",\"rst_rcvd\":%" PRIu64
				",\"gave_up\":%" PRIu64,
				ks->synced, ks->done, ks->rst_rcvd, ks->gave_up);
		fprintf(f, "}");
	}
	fprintf(f, "}}");
}
