/*
 * libFuzzer harness for the TCP input path: the real tt_stack (the same
 * object the worker runs) fed by a program the fuzzer writes.  The input is
 * a configuration selector followed by operations: a segment from one of
 * four peers (two over IPv4, two over IPv6 from the same ports as their
 * IPv4 siblings, so both families' keys meet in the table; every header field and option chosen by
 * the input, SACK blocks included, sequence and acknowledgment numbers and block edges either
 * plausible or arbitrary, any payload), the clock moving on (timers fire), our frames reaching the
 * peers (who learn sequence numbers and timestamps from them) or being lost, and a router's ICMP
 * "too big" error quoting one of our frames still on its way, for any MTU (path MTU discovery,
 * and the path MTUs kept for a peer's later connections).
 *
 * The send blocks are 1 to 4 (tied to the table size the selector picks), so the four peers
 * often find none left (back-pressure, tt_sndb).
 *
 * After every operation: tt_stack_check() (gauges, table against pools,
 * TIME-WAIT order, sequence variables, held-buffer budget, send blocks), and every frame
 * we sent parses back as valid TCP (checksums included) no longer than the
 * buffer and the MTU allow, with at most tcp.mss bytes of payload and
 * options beyond the timestamps (SACK blocks: at most 3 beside timestamps,
 * 4 without).  At the
 * end the stack is freed and every frame buffer must be back; a received
 * buffer still referenced is a leak LeakSanitizer reports.  ASan and UBSan
 * (the fuzz build) catch the rest.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "icmp_too_big.h"
#include "tt_app.h"
#include "tt_http.h"
#include "tt_stack.h"

enum {
	ROOM = 2048,
	MTU = 1500,
	MAX_FRAMES = 256,
	N_PEERS = 4,
	MAX_OPS = 512,
	US_ADDR = 0xc6120002u,
	PEER_ADDR = 0xc6120101u,
};

static const struct tt_mac us_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct tt_in6 us_addr6 = {{0x20, 0x01, 0, 0x02, [15] = 0x02}};

/* 2001:2::100 + i, the IPv6 peer i's address. */
static struct tt_in6 peer_addr6(unsigned i)
{
	struct tt_in6 a = {{0x20, 0x01, 0, 0x02, [14] = 0x01}};

	a.b[15] = (uint8_t)i;
	return a;
}
static const struct tt_mac peer_mac = {{0x02, 0, 0, 0, 0, 0x02}};
static const uint16_t dports[4] = {80, 7, 9, 81};

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t u8(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static uint16_t u16(struct input *in)
{
	return (uint16_t)(u8(in) | u8(in) << 8);
}

static uint32_t u32(struct input *in)
{
	return (uint32_t)u16(in) | (uint32_t)u16(in) << 16;
}

struct rxbuf {
	int refs;
	uint8_t data[];
};

struct peer {
	bool v6; /* from peer_addr6(index) */
	uint16_t sport, dport;
	uint32_t nxt, rcv_nxt, ts_recent;
};

struct world {
	struct tt_conf conf;
	struct tt_counters ctr;
	struct tt_http_response http;
	struct tt_stack *st;
	uint64_t now;
	long bufs_out, owners_live;
	unsigned n_frames;
	uint8_t *frames[MAX_FRAMES];
	uint32_t frame_len[MAX_FRAMES];
	struct peer peers[N_PEERS];
	struct tt_net_if us_if, peer_if;
};

static void *frame_alloc(void *arg, uint8_t **data, uint32_t *room)
{
	struct world *w = arg;
	uint8_t *b = malloc(ROOM);

	FUZZ_CHECK(b != NULL);
	w->bufs_out++;
	*data = b;
	*room = ROOM;
	return b;
}

static void frame_free(void *arg, void *frame)
{
	struct world *w = arg;

	free(frame);
	w->bufs_out--;
}

static void frame_send(void *arg, unsigned port, void *frame, uint32_t len)
{
	struct world *w = arg;

	FUZZ_CHECK(port == 0);
	FUZZ_CHECK(len <= ROOM && len <= TT_ETH_HDR_LEN + MTU);
	w->bufs_out--;
	if (w->n_frames == MAX_FRAMES) { /* the link drops what does not fit */
		free(frame);
		return;
	}
	w->frames[w->n_frames] = frame;
	w->frame_len[w->n_frames++] = len;
}

static void owner_release(void *arg, void *owner)
{
	(void)arg;
	struct rxbuf *b = owner;

	FUZZ_CHECK(b->refs > 0);
	if (--b->refs == 0)
		free(b);
}

static void owner_retain(void *arg, void *owner)
{
	(void)arg;
	struct rxbuf *b = owner;

	FUZZ_CHECK(b->refs > 0);
	b->refs++;
}

static void check_stack(const struct world *w)
{
	const char *err = tt_stack_check(w->st);

	/* The state machine never asks for a segment the link cannot carry. */
	FUZZ_CHECK(w->ctr.ev[TT_CTR_TX_REFUSED_OVERSIZE] == 0);
	if (err != NULL) {
		fprintf(stderr, "fuzz_tcp_input: stack invariant: %s\n", err);
		abort();
	}
}

/* The configuration is part of the input: cookies, timestamps, limits. */
static void configure(struct world *w, struct input *in)
{
	struct tt_conf_tcp *c = &w->conf.tcp;
	uint8_t sel = u8(in);

	tt_conf_defaults(&w->conf);
	c->max_conns_per_core = 16 + (sel & 0x30);
	/* 1 to 4 send blocks for the four peers: most programs run the pool dry. */
	c->send_blocks_per_core = 1 + ((sel & 0x30) >> 4);
	c->syncookies = (enum tt_syncookie_mode)(sel % 3);
	c->syncookie_threshold = sel & 0x4 ? 2 : 1024;
	c->timestamps = !(sel & 0x8);
	c->time_wait_ms = 1000;
	c->rto_min_ms = 10;
	c->rto_initial_ms = 100;
	c->rto_max_ms = 2000;
	c->invalid_reply_interval_ms = sel & 0x40 ? 0 : 500;
	c->rcv_window = sel & 0x80 ? 1 << 20 : 65535;
	c->wscale = 7;
	sel = u8(in);
	c->min_peer_mss = 48 + (sel & 0x7f) * 4;
	c->sack = !(sel & 0x80);
	if (c->min_peer_mss > c->mss)
		c->min_peer_mss = c->mss;
}

/* Built once: the same for every input, and rebuilding it would cost more than most inputs. */
static uint8_t listen_app[65536];
static uint8_t body[3000];

static void build_constants(void)
{
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)('a' + i % 26);
	listen_app[80] = TT_APP_HTTP + 1;
	listen_app[7] = TT_APP_ECHO + 1;
	listen_app[9] = TT_APP_DISCARD + 1;
}

static void start(struct world *w)
{
	struct tt_stack_params p = {
	    .conf = &w->conf.tcp,
	    .n_ports = 1,
	    .listen_app = listen_app,
	    .app_data = &w->http,
	    .ctr = &w->ctr,
	    .table_key = {.k0 = 7, .k1 = 8},
	    .now_ms = w->now,
	    .max_held_bufs = 48,
	    .ooo_blocks = 4,
	    .io = {.frame_alloc = frame_alloc,
		   .frame_send = frame_send,
		   .frame_free = frame_free,
		   .retain = owner_retain,
		   .release = owner_release,
		   .arg = w},
	};
	static const char *const hdrs[] = {"Content-Type: text/plain"};

	FUZZ_CHECK(tt_http_response_build(&w->http, 200, hdrs, 1, body, sizeof(body)) == 0);
	w->http.header_timeout_ms = 3000;
	w->http.body_timeout_ms = 3000;
	p.ports[0].mac = us_mac;
	p.ports[0].mtu = MTU;
	p.cookie_secret.master.k0 = 1;
	p.isn_secret.key.k1 = 2;
	tt_app_register(p.apps);
	w->st = tt_stack_create(&p);
	FUZZ_CHECK(w->st != NULL);
	w->us_if.mac = us_mac;
	w->us_if.addr = US_ADDR;
	w->us_if.addr_count = 1;
	w->peer_if.mac = peer_mac;
	w->peer_if.addr = PEER_ADDR;
	w->peer_if.addr_count = N_PEERS;
	w->us_if.n_addr6 = 1;
	w->us_if.addr6[0] = us_addr6;
	for (unsigned i = 0; i < N_PEERS; i++) {
		w->peers[i].v6 = i & 1;
		if (w->peers[i].v6)
			w->peer_if.addr6[w->peer_if.n_addr6++] = peer_addr6(i);
		w->peers[i].sport = (uint16_t)(40000 + i / 2);
		w->peers[i].dport = dports[i];
		w->peers[i].nxt = 1000u * (i + 1);
	}
}

static uint32_t pick_seq(struct input *in, uint32_t plausible)
{
	switch (u8(in) & 3) {
	case 0:
		return plausible;
	case 1:
		return plausible + (uint32_t)(int32_t)(int16_t)u16(in);
	default:
		return u32(in);
	}
}

/* SACK blocks of our data as the peer may report them, or anything; as many as fit. */
static void sack_blocks(struct input *in, const struct peer *pr, struct tt_tcp_opts *o)
{
	uint32_t used = tt_net_tcp_hdr_len(o) - (TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + TT_TCP_HDR_LEN);
	uint32_t fit = (TT_TCP_OPT_MAX_LEN - used - TT_SACK_OPT_LEN) / TT_SACK_BLOCK_LEN;

	if (fit == 0)
		return;
	o->present |= TT_OPT_SACK;
	o->sack_n = (uint8_t)(1 + u8(in) % fit);
	for (unsigned i = 0; i < o->sack_n; i++) {
		o->sack[i].start = pick_seq(in, pr->rcv_nxt);
		o->sack[i].end = pick_seq(in, o->sack[i].start + 1448);
	}
}

/* One segment from a peer, every field from the input. */
static void peer_segment(struct world *w, struct input *in)
{
	struct peer *pr = &w->peers[u8(in) % N_PEERS];
	uint8_t opt = u8(in);
	struct tt_tcp_hdr_args a = {
	    .src_mac = peer_mac,
	    .dst_mac = us_mac,
	    .saddr = PEER_ADDR + (uint32_t)(pr - w->peers),
	    .daddr = US_ADDR,
	    .sport = pr->sport,
	    .dport = (opt & 0x80) ? dports[u8(in) & 3] : pr->dport,
	};
	uint32_t len, hl;
	struct rxbuf *b;
	enum tt_drop reason;
	struct tt_pkt pkt;

	uint8_t fl = u8(in);

	a.flags = fl & 0x3f;
	a.seq = pick_seq(in, pr->nxt);
	a.ack = pick_seq(in, pr->rcv_nxt);
	a.wnd = (opt & 0x40) ? u16(in) : 65535;
	if (opt & 1) {
		a.opts.present |= TT_OPT_MSS;
		a.opts.mss = u16(in);
	}
	if (opt & 2) {
		a.opts.present |= TT_OPT_WSCALE;
		a.opts.wscale = u8(in) % 15;
	}
	if (opt & 4)
		a.opts.present |= TT_OPT_SACK_OK;
	if (opt & 8) {
		a.opts.present |= TT_OPT_TS;
		a.opts.tsval = (opt & 0x10) ? u32(in) : (uint32_t)w->now;
		a.opts.tsecr = (opt & 0x20) ? u32(in) : pr->ts_recent;
	}
	if (fl & 0x40)
		sack_blocks(in, pr, &a.opts);
	len = u16(in) % 1461;
	if (len > in->left)
		len = (uint32_t)in->left;
	hl = pr->v6 ? tt_net_tcp6_hdr_len(&a.opts) : tt_net_tcp_hdr_len(&a.opts);
	b = malloc(sizeof(*b) + hl + len);
	FUZZ_CHECK(b != NULL);
	b->refs = 1;
	if (pr->v6) {
		struct tt_in6 src = peer_addr6((unsigned)(pr - w->peers));

		tt_net_tcp6_build(b->data, &a, src.b, us_addr6.b, len);
	} else {
		tt_net_tcp_build(b->data, &a, len);
	}
	memcpy(b->data + hl, in->p, len);
	in->p += len;
	in->left -= len;
	if (pr->v6)
		tt_net_tcp6_cksum(b->data);
	else
		tt_net_tcp_cksum(b->data, false);
	if (tt_net_parse(b->data, hl + len, &w->us_if, &pkt, &reason) == TT_PKT_TCP) {
		tt_stack_set_time(w->st, w->now);
		tt_stack_input(w->st, 0, &pkt, b);
	}
	owner_release(w, b);
	if (a.seq == pr->nxt)
		pr->nxt += len + ((a.flags & (TT_TCP_SYN | TT_TCP_FIN)) ? 1 : 0);
}

/* Our frames reach the peers, which learn from them; or they are lost. */
static void deliver(struct world *w, bool lost)
{
	for (unsigned i = 0; i < w->n_frames; i++) {
		enum tt_drop reason;
		struct tt_pkt pkt;

		/* Every frame we send is valid TCP, checksums included. */
		FUZZ_CHECK(tt_net_parse(w->frames[i], w->frame_len[i], &w->peer_if, &pkt,
					&reason) == TT_PKT_TCP);
		/* Over IPv6 our segments are 20 bytes shorter (tt_tcp_our_mss). */
		FUZZ_CHECK(pkt.seg.len + (pkt.family == TT_AF_INET6 ? 20 : 0) <= w->conf.tcp.mss);
		if (pkt.seg.opts.present & TT_OPT_SACK) {
			bool ts = pkt.seg.opts.present & TT_OPT_TS;

			FUZZ_CHECK(pkt.seg.opts.sack_n <= (ts ? 3 : 4));
			FUZZ_CHECK(pkt.seg.len + TT_SACK_OPT_LEN +
				       TT_SACK_BLOCK_LEN * pkt.seg.opts.sack_n +
				       (ts ? TT_TCP_TS_OPT_LEN : 0) <=
				   w->conf.tcp.mss);
		}
		if (!lost) {
			struct peer *pr =
			    &w->peers[pkt.family == TT_AF_INET6 ? pkt.daddr6.b[15]
								: pkt.daddr - PEER_ADDR];
			const struct tt_tcp_seg *s = &pkt.seg;

			FUZZ_CHECK(pr->v6 == (pkt.family == TT_AF_INET6));
			if (s->flags & TT_TCP_SYN)
				pr->rcv_nxt = s->seq + 1;
			else if (s->seq == pr->rcv_nxt)
				pr->rcv_nxt += s->len + ((s->flags & TT_TCP_FIN) ? 1 : 0);
			if (s->opts.present & TT_OPT_TS)
				pr->ts_recent = s->opts.tsval;
		}
		free(w->frames[i]);
	}
	w->n_frames = 0;
}

/* A router's "too big" error about one of our frames not yet delivered (the input picks it,
 * and the MTU: 0, the floors and their neighbours among any 32 bits). */
static void too_big(struct world *w, struct input *in)
{
	static const uint8_t router6[16] = {0x20, 0x01, 0, 0x02, [13] = 0x01, [15] = 0xfe};
	uint8_t f[ICMP_TOO_BIG_MAX];
	unsigned i = u8(in);
	uint32_t mtu = u32(in), len;
	enum tt_drop reason;
	struct tt_pkt pkt;

	if (w->n_frames == 0)
		return;
	len = icmp_too_big_build(f, w->frames[i % w->n_frames], (PEER_ADDR & ~0xffu) | 0xfe,
				 router6, mtu);
	if (tt_net_parse(f, len, &w->us_if, &pkt, &reason) == TT_PKT_TOO_BIG)
		tt_stack_too_big(w->st, &pkt, false);
}

static void advance(struct world *w, uint32_t ms)
{
	w->now += ms;
	tt_stack_set_time(w->st, w->now);
	for (unsigned i = 0; i < 1000 && tt_stack_timers(w->st) > 0; i++)
		check_stack(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct world *w = calloc(1, sizeof(*w));

	FUZZ_CHECK(w != NULL);
	if (body[0] == 0)
		build_constants();
	w->now = 1000000;
	configure(w, &in);
	start(w);
	for (unsigned op = 0; op < MAX_OPS && in.left > 0; op++) {
		uint8_t kind = u8(&in);

		switch (kind & 3) {
		case 0:
		case 1:
			peer_segment(w, &in);
			break;
		case 2:
			advance(w, (kind & 4) ? (uint32_t)u8(&in) << 10 : u8(&in));
			break;
		default:
			if (kind & 8)
				too_big(w, &in);
			else
				deliver(w, kind & 4);
			break;
		}
		check_stack(w);
	}
	deliver(w, true);
	tt_stack_free(w->st);
	FUZZ_CHECK(w->bufs_out == 0);
	tt_http_response_free(&w->http);
	free(w);
	return 0;
}
