/*
 * stack_harness: the real tt_stack between frame-level peers, without DPDK.
 *
 * Where tcp_harness.h tests the pure state machine segment by segment,
 * this drives the very object the worker runs: every segment a peer sends
 * is a full Ethernet/IPv4/TCP frame (tt_net_tcp_build, software
 * checksums), parsed by tt_net_parse as the worker does and handed to
 * tt_stack_input with a reference-counted buffer as its owner; every frame
 * the stack transmits lands in memory through its I/O callbacks and is
 * parsed back with the peer's view of the link, so its checksums, its
 * length against the MTU and the buffer's room are all checked.
 *
 * IPv6 peers (sh_peer_new6, at most TT_NET_MAX_ADDR6 addresses among them) send and get
 * Ethernet/IPv6/TCP frames (tt_net_tcp6_build) to and from SH_US_ADDR6.
 *
 * Peers are simple, honest TCPs: they ACK every in-order byte they get,
 * keep what they received, and answer our FIN (with their own if asked).  sh_run() moves frames
 * both ways and the clock forward (firing the stack's timers) until nothing is left to do or a
 * bound is reached, so a test reads "connect, request, run, check what the peer got".
 *
 * Bursts: between sh_burst_begin() and sh_burst_end() the peers' segments
 * are parsed as they are sent but reach the stack together, through
 * tt_stack_input_burst, as the segments of one RX burst reach it from the
 * worker; sh_deliver() hands the peers' answers over that way too.
 *
 * Next hops: sh_start_neigh() gives the stack a neighbour cache (the
 * stack's interface 0 at SH_US_ADDR/prefix, with a gateway or none, and
 * sh_us_addr6/64; sh_start_neigh_if() takes the whole interface).  Its ARP
 * requests and neighbour solicitations are counted (arp_requests, nd_solicits)
 * and, while arp_answers is set, answered (a reply; a solicited advertisement)
 * with next_hop_mac for whatever address they ask; every TCP frame must then go
 * to next_hop_mac.
 *
 * Path MTU: sh_too_big() has a router on the path send the ICMP "fragmentation needed" (IPv4) or
 * Packet Too Big (IPv6) that quotes one of the frames the stack sent, through the parser into
 * tt_stack_too_big, as the worker takes it.
 *
 * Accounting checked by sh_free(): every buffer the stack allocated was
 * sent or given back, every received buffer it retained was released.
 */
#ifndef STACK_HARNESS_H
#define STACK_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "icmp_too_big.h"
#include "tt_app.h"
#include "tt_http.h"
#include "tt_nd.h"
#include "tt_stack.h"

enum {
	SH_T0_MS = 5000000,
	SH_ROOM = 2048,	      /* buffer room, as a default DPDK mbuf offers */
	SH_MAX_FRAMES = 4096, /* frames held between two deliveries */
	SH_MAX_PEERS = 64,
	SH_PEER_RX_BYTES = 1 << 20,
	SH_MTU = 1500,
	SH_MAX_BURST = 2 * TT_STACK_BURST, /* more than the stack overlaps at once */
};

#define SH_US_ADDR   0xc6120002u /* 198.18.0.2 */
#define SH_PEER_ADDR 0xc6120101u /* 198.18.1.1 and up */

/* 2001:2::2 (us) and 2001:2::100 + i (the IPv6 peers, RFC 5180's benchmarking prefix) */
static const struct tt_in6 sh_us_addr6 = {{0x20, 0x01, 0, 0x02, [15] = 0x02}};
static const struct tt_mac sh_us_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct tt_mac sh_peer_mac = {{0x02, 0, 0, 0, 0, 0x02}};

struct sh_frame {
	uint32_t len;
	uint8_t *data;
};

/* A received frame's buffer: what the worker's mbuf is to the stack. */
struct sh_buf {
	int refs;
	struct sh *h;
	uint8_t data[];
};

struct sh_peer {
	struct sh *h;
	uint32_t addr;
	uint16_t port, dport;
	uint32_t nxt;	  /* its next sequence number */
	uint32_t rcv_nxt; /* what it expects from us next */
	uint16_t wnd;	  /* window field it sends (it never scales) */
	uint16_t syn_wnd; /* the window field of our SYN-ACK */
	bool send_mss;	  /* its SYN carries an MSS option */
	uint16_t mss;
	bool ts; /* it offers (and then sends) timestamps */
	uint32_t tsval, ts_recent;
	bool synced, fin_rcvd, rst_rcvd, acks; /* acks: it ACKs what it receives */
	bool fin_back, fin_sent;	       /* fin_back: it answers our FIN with its own */
	bool owes_ack;
	unsigned segs_rcvd, data_segs_rcvd;
	uint32_t max_payload; /* largest payload of one segment from us */
	uint32_t rx_len;
	uint8_t *rx;
	bool v6; /* an IPv6 peer at addr6 */
	struct tt_in6 addr6;
};

struct sh {
	struct tt_conf conf;
	struct tt_counters ctr;
	uint8_t listen_app[65536];
	struct tt_http_response http;
	struct tt_stack *st;
	uint64_t now;
	uint32_t now_us_part; /* microseconds into now (tt_stack_set_clock): the ISNs' clock */
	uint32_t room;	      /* what frame_alloc offers */
	uint32_t max_held;    /* the stack's budget of held received buffers */
	uint32_t addr6_pairs; /* tt_stack_params.addr6_pairs */
	long bufs_out;	      /* frame buffers allocated and not yet sent or given back */
	long owners_live;
	unsigned n_frames;
	struct sh_frame frames[SH_MAX_FRAMES];
	unsigned n_peers;
	struct sh_peer peers[SH_MAX_PEERS];
	struct tt_net_if us_if, peer_if;
	bool batching; /* between sh_burst_begin and sh_burst_end */
	unsigned n_burst;
	struct tt_pkt burst[SH_MAX_BURST];
	void *burst_owner[SH_MAX_BURST];
	struct tt_neigh *neigh; /* sh_start_neigh */
	bool arp_answers;
	struct tt_mac next_hop_mac;
	unsigned arp_requests;
	unsigned n_asked;
	uint32_t asked[SH_MAX_FRAMES];
	unsigned nd_solicits, n_asked6;
	struct tt_in6 asked6[SH_MAX_FRAMES];
};

static inline void *sh_frame_alloc(void *arg, uint8_t **data, uint32_t *room)
{
	struct sh *h = arg;
	uint8_t *b = malloc(h->room);

	assert_non_null(b);
	h->bufs_out++;
	*data = b;
	*room = h->room;
	return b;
}

static inline void sh_frame_send(void *arg, unsigned port, void *frame, uint32_t len)
{
	struct sh *h = arg;

	assert_int_equal(port, 0);
	assert_true(len <= h->room);
	assert_true(len <= TT_ETH_HDR_LEN + SH_MTU);
	assert_true(h->n_frames < SH_MAX_FRAMES);
	h->frames[h->n_frames].data = frame;
	h->frames[h->n_frames].len = len;
	h->n_frames++;
	h->bufs_out--;
}

static inline void sh_frame_free(void *arg, void *frame)
{
	struct sh *h = arg;

	free(frame);
	h->bufs_out--;
}

static inline void sh_release(void *arg, void *owner)
{
	struct sh_buf *b = owner;

	assert_ptr_equal(arg, b->h); /* the stack passes its io.arg */
	assert_true(b->refs > 0);
	if (--b->refs == 0) {
		b->h->owners_live--;
		free(b);
	}
}

static inline void sh_retain(void *arg, void *owner)
{
	struct sh_buf *b = owner;

	assert_ptr_equal(arg, b->h);
	assert_true(b->refs > 0);
	b->refs++;
}

static inline void sh_http_body(struct sh *h, uint32_t body_len)
{
	static const char *const hdrs[] = {"Content-Type: text/plain"};
	uint8_t *body = malloc(body_len + 1);

	assert_non_null(body);
	for (uint32_t i = 0; i < body_len; i++)
		body[i] = (uint8_t)('a' + i % 26);
	tt_http_response_free(&h->http);
	assert_int_equal(tt_http_response_build(&h->http, 200, hdrs, 1, body, body_len), 0);
	free(body);
}

/* A stack with the default configuration changed by the test before sh_start(). */
static inline struct sh *sh_new(void)
{
	struct sh *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	tt_conf_defaults(&h->conf);
	h->conf.tcp.syncookies = TT_SYNCOOKIES_OFF;
	h->conf.tcp.max_conns_per_core = 4096;
	h->now = SH_T0_MS;
	h->room = SH_ROOM;
	h->max_held = 100000;
	h->listen_app[80] = TT_APP_HTTP + 1;
	h->listen_app[7] = TT_APP_ECHO + 1;
	h->listen_app[9] = TT_APP_DISCARD + 1;
	h->us_if.mac = sh_us_mac;
	h->us_if.addr = SH_US_ADDR;
	h->us_if.addr_count = 1;
	h->us_if.n_addr6 = 1;
	h->us_if.addr6[0] = sh_us_addr6;
	h->peer_if.mac = sh_peer_mac;
	h->peer_if.addr = SH_PEER_ADDR;
	h->peer_if.addr_count = SH_MAX_PEERS;
	sh_http_body(h, 64);
	return h;
}

static inline void sh_start_with(struct sh *h, struct tt_neigh *neigh)
{
	struct tt_stack_params p = {
	    .conf = &h->conf.tcp,
	    .n_ports = 1,
	    .listen_app = h->listen_app,
	    .app_data = &h->http,
	    .ctr = &h->ctr,
	    .table_key = {.k0 = 42, .k1 = 43},
	    .now_ms = h->now,
	    .max_held_bufs = h->max_held,
	    .addr6_pairs = h->addr6_pairs,
	    .io = {.frame_alloc = sh_frame_alloc,
		   .frame_send = sh_frame_send,
		   .frame_free = sh_frame_free,
		   .retain = sh_retain,
		   .release = sh_release,
		   .arg = h},
	};

	p.ports[0].mac = sh_us_mac;
	p.ports[0].mtu = SH_MTU;
	p.neigh = neigh;
	p.cookie_secret.master.k0 = 0x0123456789abcdefULL;
	p.cookie_secret.master.k1 = 0xfedcba9876543210ULL;
	p.isn_secret.key.k0 = 0x1111111122222222ULL;
	p.isn_secret.key.k1 = 0x3333333344444444ULL;
	tt_app_register(p.apps);
	h->st = tt_stack_create(&p);
	assert_non_null(h->st);
}

static inline void sh_start(struct sh *h)
{
	sh_start_with(h, NULL);
}

/* The stack with a neighbour cache whose interface 0 is nif. */
static inline void sh_start_neigh_if(struct sh *h, const struct tt_neigh_if *nif)
{
	const struct tt_neigh_params np = {
	    .entries = 64,
	    .queue_per_entry = 8,
	    .queue_per_worker = 64,
	    .reachable_ms = 30000,
	    .retrans_ms = 1000,
	    .probes = 3,
	    .n_ifs = 1,
	    .ifs = nif,
	    .ctr = &h->ctr,
	    .io = {.frame_alloc = sh_frame_alloc,
		   .frame_send = sh_frame_send,
		   .frame_free = sh_frame_free,
		   .arg = h},
	};

	h->neigh = tt_neigh_create(&np);
	assert_non_null(h->neigh);
	h->arp_answers = true;
	h->next_hop_mac = (struct tt_mac){{0x02, 0, 0, 0, 0, 0xfe}};
	sh_start_with(h, h->neigh);
}

/* The same at SH_US_ADDR/prefix_len, gateway (0: none), sh_us_addr6/64 without a gateway6. */
static inline void sh_start_neigh(struct sh *h, uint8_t prefix_len, uint32_t gateway)
{
	struct tt_neigh_if nif = {.mac = sh_us_mac,
				  .addr = SH_US_ADDR,
				  .prefix_len = prefix_len,
				  .gateway = gateway,
				  .n_addr6 = 1,
				  .prefix6_len = {64},
				  .addr6 = {sh_us_addr6}};

	sh_start_neigh_if(h, &nif);
}

static inline void sh_drop_frames(struct sh *h)
{
	for (unsigned i = 0; i < h->n_frames; i++)
		free(h->frames[i].data);
	h->n_frames = 0;
}

static inline void sh_free(struct sh *h)
{
	sh_drop_frames(h);
	assert_true(tt_stack_held_bufs(h->st) <= (uint32_t)h->owners_live);
	tt_stack_free(h->st);
	tt_neigh_free(h->neigh);
	assert_int_equal(h->bufs_out, 0);
	assert_int_equal(h->owners_live, 0);
	for (unsigned i = 0; i < h->n_peers; i++)
		free(h->peers[i].rx);
	tt_http_response_free(&h->http);
	free(h);
}

/* A peer that will connect to dport; it offers MSS 1460 and timestamps unless changed. */
static inline struct sh_peer *sh_peer_new(struct sh *h, uint16_t dport)
{
	struct sh_peer *p;

	assert_true(h->n_peers < SH_MAX_PEERS);
	p = &h->peers[h->n_peers];
	memset(p, 0, sizeof(*p));
	p->h = h;
	p->addr = SH_PEER_ADDR + h->n_peers;
	p->port = (uint16_t)(40000 + h->n_peers);
	p->dport = dport;
	p->nxt = 0x10000000u + 0x1000u * h->n_peers;
	p->wnd = 65535;
	p->send_mss = true;
	p->mss = 1460;
	p->ts = true;
	p->tsval = 777;
	p->acks = true;
	p->rx = malloc(SH_PEER_RX_BYTES);
	assert_non_null(p->rx);
	h->n_peers++;
	return p;
}

/* The same over IPv6, from the next of the peer link's IPv6 addresses. */
static inline struct sh_peer *sh_peer_new6(struct sh *h, uint16_t dport)
{
	struct sh_peer *p = sh_peer_new(h, dport);
	struct tt_in6 a = {{0x20, 0x01, 0, 0x02, [14] = 0x01, [15] = 0}};

	assert_true(h->peer_if.n_addr6 < TT_NET_MAX_ADDR6);
	a.b[15] = h->peer_if.n_addr6;
	p->v6 = true;
	p->addr6 = a;
	h->peer_if.addr6[h->peer_if.n_addr6++] = a;
	return p;
}

/* Every invariant of the stack, after every step. */
static inline void sh_check(const struct sh *h)
{
	const char *err = tt_stack_check(h->st);

	if (err != NULL)
		fail_msg("stack invariant: %s", err);
}

/* The peer sends one segment; it goes through the parser into the stack. */
static inline void sh_peer_send(struct sh_peer *p, uint8_t flags, const void *data, uint32_t len)
{
	struct sh *h = p->h;
	struct tt_tcp_hdr_args a = {
	    .src_mac = sh_peer_mac,
	    .dst_mac = sh_us_mac,
	    .saddr = p->addr,
	    .daddr = SH_US_ADDR,
	    .sport = p->port,
	    .dport = p->dport,
	    .seq = p->nxt,
	    .ack = (flags & TT_TCP_ACK) ? p->rcv_nxt : 0,
	    .wnd = p->wnd,
	    .flags = flags,
	};
	struct sh_buf *b;
	enum tt_drop reason;
	struct tt_pkt pkt;
	uint32_t hl;

	if (flags & TT_TCP_SYN) {
		if (p->send_mss) {
			a.opts.present |= TT_OPT_MSS;
			a.opts.mss = p->mss;
		}
	}
	if (p->ts) {
		a.opts.present |= TT_OPT_TS;
		a.opts.tsval = p->tsval++;
		a.opts.tsecr = (flags & TT_TCP_ACK) ? p->ts_recent : 0;
	}
	hl = p->v6 ? tt_net_tcp6_hdr_len(&a.opts) : tt_net_tcp_hdr_len(&a.opts);
	b = malloc(sizeof(*b) + hl + len);
	assert_non_null(b);
	b->refs = 1;
	b->h = h;
	h->owners_live++;
	if (p->v6)
		assert_int_equal(tt_net_tcp6_build(b->data, &a, p->addr6.b, sh_us_addr6.b, len),
				 hl);
	else
		assert_int_equal(tt_net_tcp_build(b->data, &a, len), hl);
	/* data may be NULL only without bytes (the test of data keeps a compiler's copy of this
	 * function for NULL data from warning about the copy). */
	assert_true(len == 0 || data != NULL);
	if (data != NULL && len > 0)
		memcpy(b->data + hl, data, len);
	if (p->v6)
		tt_net_tcp6_cksum(b->data);
	else
		tt_net_tcp_cksum(b->data, false);
	assert_int_equal(tt_net_parse(b->data, hl + len, &h->us_if, &pkt, &reason), TT_PKT_TCP);
	p->nxt += len + ((flags & (TT_TCP_SYN | TT_TCP_FIN)) ? 1 : 0);
	if (h->batching) {
		assert_true(h->n_burst < SH_MAX_BURST);
		h->burst[h->n_burst] = pkt;
		h->burst_owner[h->n_burst++] = b;
		return;
	}
	tt_stack_set_clock(h->st, h->now, h->now_us_part);
	tt_stack_input(h->st, 0, &pkt, b);
	sh_release(h, b);
	sh_check(h);
}

/* From here on the peers' segments wait for sh_burst_end(). */
static inline void sh_burst_begin(struct sh *h)
{
	assert_false(h->batching);
	h->batching = true;
	h->n_burst = 0;
}

/* The segments sent since sh_burst_begin() reach the stack as one burst, in order. */
static inline void sh_burst_end(struct sh *h)
{
	assert_true(h->batching);
	h->batching = false;
	tt_stack_set_clock(h->st, h->now, h->now_us_part);
	tt_stack_input_burst(h->st, 0, h->burst, h->burst_owner, h->n_burst); /* releases them */
	h->n_burst = 0;
	sh_check(h);
}

static inline struct sh_peer *sh_peer_of(struct sh *h, const struct tt_pkt *pkt)
{
	for (unsigned i = 0; i < h->n_peers; i++) {
		const struct sh_peer *p = &h->peers[i];
		bool to = pkt->family == TT_AF_INET6
			      ? p->v6 && memcmp(&p->addr6, &pkt->daddr6, sizeof(p->addr6)) == 0
			      : !p->v6 && p->addr == pkt->daddr;

		if (to && p->port == pkt->dport)
			return &h->peers[i];
	}
	fail_msg("a frame to %08x:%u, no such peer", pkt->daddr, pkt->dport);
	return NULL;
}

/* One frame from the stack reaches its peer. */
static inline void sh_peer_receive(struct sh_peer *p, const struct tt_pkt *pkt)
{
	const struct tt_tcp_seg *s = &pkt->seg;

	p->segs_rcvd++;
	if (s->flags & TT_TCP_RST) {
		p->rst_rcvd = true;
		return;
	}
	if (s->opts.present & TT_OPT_TS)
		p->ts_recent = s->opts.tsval;
	if ((s->flags & TT_TCP_SYN) && (s->flags & TT_TCP_ACK)) {
		if (!p->synced) {
			p->syn_wnd = s->wnd;
			p->rcv_nxt = s->seq + 1;
			p->synced = true;
		}
		p->owes_ack = true;
		return;
	}
	if (s->len > 0) {
		p->data_segs_rcvd++;
		if (s->len > p->max_payload)
			p->max_payload = s->len;
		if (s->seq == p->rcv_nxt) {
			assert_true(p->rx_len + s->len <= SH_PEER_RX_BYTES);
			memcpy(p->rx + p->rx_len, s->payload, s->len);
			p->rx_len += s->len;
			p->rcv_nxt += s->len;
		}
		p->owes_ack = true;
	}
	if ((s->flags & TT_TCP_FIN) && s->seq + s->len == p->rcv_nxt) {
		p->rcv_nxt++;
		p->fin_rcvd = true;
		p->owes_ack = true;
	}
}

/* Deliver every frame the stack sent; peers then ACK, in one burst. Returns the frames
 * delivered. */
static inline unsigned sh_deliver(struct sh *h)
{
	unsigned n = h->n_frames;
	bool burst = !h->batching;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = h->frames[i].data;
		struct tt_net_if pif;
		enum tt_drop reason;
		struct tt_pkt pkt;

		if (d[12] == 0x08 && d[13] == 0x06) { /* our ARP request */
			h->arp_requests++;
			h->asked[h->n_asked++] = (uint32_t)d[38] << 24 | (uint32_t)d[39] << 16 |
						 (uint32_t)d[40] << 8 | d[41];
			continue;
		}
		if (d[12] == 0x86 && d[13] == 0xdd && d[20] == 58 && d[54] == TT_ND_TYPE_NS) {
			assert_int_equal(h->frames[i].len, TT_ND_FRAME_LEN);
			h->nd_solicits++;
			memcpy(&h->asked6[h->n_asked6++], d + 62, 16);
			continue;
		}
		/* The peer's parser checks our checksums, lengths and addresses; with a
		 * neighbour cache the frame is for the next hop, which passes it on. */
		pif = h->peer_if;
		if (h->neigh != NULL)
			pif.mac = h->next_hop_mac;
		assert_int_equal(tt_net_parse(d, h->frames[i].len, &pif, &pkt, &reason),
				 TT_PKT_TCP);
		sh_peer_receive(sh_peer_of(h, &pkt), &pkt);
	}
	sh_drop_frames(h);
	/* The next hop answers now: what was held goes out, delivered with the next call. */
	for (unsigned i = 0; i < h->n_asked && h->arp_answers; i++)
		tt_neigh_learn4(h->neigh, 0, h->asked[i], &h->next_hop_mac, h->now);
	for (unsigned i = 0; i < h->n_asked6 && h->arp_answers; i++)
		tt_neigh_learn6(h->neigh, 0, &h->asked6[i], &h->next_hop_mac,
				TT_NEIGH_ND_NA_SOLICITED, true, h->now);
	h->n_asked = h->n_asked6 = 0;
	if (burst)
		sh_burst_begin(h);
	for (unsigned i = 0; i < h->n_peers; i++) {
		struct sh_peer *p = &h->peers[i];

		if (p->fin_rcvd && p->fin_back && !p->fin_sent && !p->rst_rcvd) {
			sh_peer_send(p, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
			p->fin_sent = true;
		} else if (p->owes_ack && p->acks && !p->rst_rcvd) {
			sh_peer_send(p, TT_TCP_ACK, NULL, 0);
		}
		p->owes_ack = false;
	}
	if (burst)
		sh_burst_end(h);
	return n;
}

/* The clock moves to ms; due timers fire. */
static inline void sh_advance(struct sh *h, uint64_t ms)
{
	h->now = ms;
	tt_stack_set_clock(h->st, h->now, h->now_us_part);
	while (tt_stack_timers(h->st) > 0)
		sh_check(h);
	if (h->neigh != NULL)
		while (tt_neigh_tick(h->neigh, h->now) > 0)
			;
}

/*
 * Frames both ways until none is left, then the clock moves on by step_ms
 * (timers fire) and again, for at most max_ms of simulated time or
 * max_frames frames.  Returns the frames delivered.
 */
static inline unsigned long sh_run(struct sh *h, uint64_t max_ms, uint64_t step_ms,
				   unsigned long max_frames)
{
	uint64_t end = h->now + max_ms;
	unsigned long total = 0;

	while (total < max_frames) {
		unsigned n = sh_deliver(h);

		total += n;
		if (n > 0)
			continue;
		if (h->now >= end)
			break;
		sh_advance(h, h->now + step_ms);
	}
	return total;
}

/* A router's ICMP error (from 198.18.1.254 or 2001:2::1:fe, icmp_too_big.h) saying that the
 * frame we sent was too big for a path of MTU mtu, parsed and given to the stack at the
 * harness's clock. */
static inline void sh_too_big(struct sh *h, const uint8_t *sent, uint32_t mtu)
{
	static const uint8_t router6[16] = {0x20, 0x01, 0, 0x02, [13] = 0x01, [15] = 0xfe};
	uint8_t f[ICMP_TOO_BIG_MAX];
	uint32_t len = icmp_too_big_build(f, sent, (SH_PEER_ADDR & ~0xffu) | 0xfe, router6, mtu);
	enum tt_drop reason;
	struct tt_pkt pkt;

	assert_int_equal(tt_net_parse(f, len, &h->us_if, &pkt, &reason), TT_PKT_TOO_BIG);
	tt_stack_set_clock(h->st, h->now, h->now_us_part);
	tt_stack_too_big(h->st, &pkt, false);
	sh_check(h);
}

/* SYN, SYN-ACK, ACK. */
static inline void sh_connect(struct sh_peer *p)
{
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_deliver(p->h);
	assert_true(p->synced);
}

struct sh_listing {
	const struct tt_stack *st;
	void (*fn)(const struct tt_stack_conn *c, void *arg);
	void *arg;
};

static inline void sh_listed_one(const struct tt_flow4 *k, uint32_t value, void *arg)
{
	struct sh_listing *l = arg;
	struct tt_stack_conn c;

	tt_stack_conn_describe(l->st, k, value, &c);
	l->fn(&c, l->arg);
}

/* Every connection and TIME-WAIT entry, as a listing describes it, to fn. */
static inline void sh_list(const struct sh *h, void (*fn)(const struct tt_stack_conn *c, void *arg),
			   void *arg)
{
	struct sh_listing l = {.st = h->st, .fn = fn, .arg = arg};

	tt_stack_walk(h->st, 0, UINT32_MAX, sh_listed_one, &l);
}

static inline uint64_t sh_ev(const struct sh *h, enum tt_counter c)
{
	return h->ctr.ev[c];
}

static inline uint64_t sh_in_state(const struct sh *h, enum tt_tcp_state s)
{
	return tt_stack_state_counts(h->st)[s];
}

static const char sh_get_close[] = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

/* New peer p (of port 80) connects and asks for a close we do first: it ends in TIME-WAIT. */
static inline struct sh_peer *sh_closed_by_us(struct sh_peer *p)
{
	p->fin_back = true;
	sh_connect(p);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, sh_get_close, sizeof(sh_get_close) - 1);
	sh_run(p->h, 0, 1, 100);
	assert_true(p->fin_rcvd && p->fin_sent);
	return p;
}

/* A new incarnation of p's 4-tuple, taking over its TIME-WAIT entry: its sequence numbers
 * 100,000 past the old connection's, what it saw of that one forgotten, the handshake again. */
static inline void sh_reconnect(struct sh_peer *p)
{
	p->nxt += 100000;
	p->synced = p->fin_rcvd = p->fin_sent = false;
	sh_connect(p);
}

/* A new IPv4 peer's connection that we close first. */
static inline struct sh_peer *sh_server_closed(struct sh *h)
{
	return sh_closed_by_us(sh_peer_new(h, 80));
}

#endif
