/*
 * tcp_harness: a minimal owner for packet-in/packet-out tests of the pure
 * state machine (tt_tcp), without DPDK.  The real glue (table, pools,
 * verdicts, frames) is tt_stack, which stack_harness.h drives instead.
 *
 * It plays both ends of one connection.  The worker end holds one TCB
 * and one TIME-WAIT slot and glues them to tt_tcp_* the way lib/worker
 * does: a segment goes to the TCB if there is one, else to the TIME-WAIT
 * entry, else to LISTEN; the output is built (tt_tcp_tx_hdr, then the
 * payload with tt_sndq_copy) before the verdict is applied; a received
 * buffer is passed as the owner and dropped after the call.  The peer end
 * keeps the sequence numbers, window and timestamps a real peer would put
 * in its segments, so a test reads as a conversation.
 *
 * The worker end can be the client as well: h_open() sends our SYN
 * (tt_tcp_connect) and the peer then plays the server, answering with
 * h_send(h, TT_TCP_SYN | TT_TCP_ACK, ...) like any other segment.
 *
 * Every segment the state machine asks for lands in h->tx[0..n_tx) for
 * the test to inspect.  After every step the per-state gauges are checked
 * against what the harness holds (at most one TCB and one TIME-WAIT
 * entry), so every test also checks them; h_free() checks that they
 * all return to zero.
 */
#ifndef TCP_HARNESS_H
#define TCP_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tt_app.h"
#include "tt_http.h"
#include "tt_tcp.h"

enum {
	H_T0_MS = 1000000,	 /* the clock at the start of every test */
	H_PEER_ISN = 0x10000000, /* the peer's initial sequence number */
	H_PEER_TSVAL = 5000,	 /* the peer's timestamp clock at the start */
	H_BUF_BYTES = 2048,
	H_TX_BYTES = 9000, /* a jumbo segment */
	H_APP_RX_BYTES = 65536,
	H_SNDB_BLOCKS = 2, /* the one connection needs one; a test may shrink the pool */
	H_APP_BLOCKS = 1,  /* the one connection needs one; a test may take it */
};

/* The recording application takes the discard slot: ctx->apps has one per enum tt_app_kind. */
enum { H_APP_REC = TT_APP_DISCARD };

/* peer 10.0.0.2:40000 -> us 10.0.0.1:80 */
static const struct tt_flow4 h_flow = {
    .saddr = 0x0a000002,
    .daddr = 0x0a000001,
    .sport = 40000,
    .dport = 80,
};

static const struct tt_mac h_peer_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};

/* The port index the worker gives the connection; tt_tcp_init_* must keep it. */
enum { H_PORT = 3 };

/* A received buffer, reference counted like the mbuf the worker passes as owner. */
struct h_buf {
	int refs;
	unsigned retains, releases;
	uint8_t data[H_BUF_BYTES];
};

/* One segment the state machine asked for, as the worker would build it. */
struct h_tx {
	struct tt_tcp_hdr_args a;
	uint32_t len;
	uint8_t data[H_TX_BYTES];
};

/* What the recording application saw, and how it behaves. */
struct h_app {
	unsigned opens, fins;
	unsigned closes;	  /* on_close calls */
	uint8_t close_reason;	  /* t->close_reason at the last on_close */
	uint8_t close_state;	  /* t->state at the last on_close */
	const char *open_request; /* queued by on_open when set: a client's first request */
	uint32_t accept;	  /* bytes it takes in all until set again (UINT32_MAX: any) */
	bool close_on_fin;
	uint32_t rx_len;
	uint8_t rx[H_APP_RX_BYTES];
};

struct h_peer {
	uint32_t nxt;	  /* sequence number of its next segment */
	uint32_t ack;	  /* what it acknowledges */
	uint32_t rcv_max; /* end of the highest segment it got from us (SYN and FIN count) */
	uint16_t wnd;	  /* window field of its segments after the SYN */
	uint16_t syn_wnd;
	struct tt_tcp_opts syn_opts; /* options of its SYN (tsval/tsecr filled when sent) */
	bool ts;		     /* it sends timestamps after the SYN */
	uint32_t tsval;		     /* its clock; advances by one per segment */
	uint32_t tsecr;		     /* the last TSval it got from us */
};

struct harness {
	struct tt_conf_tcp conf;
	struct tt_counters ctr;
	struct tt_tcp_ctx ctx;
	struct tt_pmtu_cache pmtu; /* the ctx's, as the stack gives it one */
	struct tt_http_response http;
	struct tt_tcb tcb;
	struct tt_tw tw;
	bool tcb_live, tw_live;
	unsigned sndb_others; /* send blocks a test took out of the pool (other connections') */
	unsigned app_block_others; /* application blocks a test took out of the pool */
	uint8_t listen_app;   /* application of new connections */
	enum tt_listen_verdict lv;
	struct tt_listen_result lr;
	enum tt_tcp_verdict v;
	enum tt_tw_verdict twv;
	struct h_app app;
	struct h_peer peer;
	struct h_buf scratch; /* owner of segments a test does not track */
	uint32_t iss;	      /* our initial sequence number: from our SYN, SYN-ACK or cookie */
	unsigned n_tx;
	struct h_tx tx[TT_TCP_OUT_MAX];
};

static inline struct harness *h_of(struct tt_tcp_ctx *ctx)
{
	return (struct harness *)(void *)((char *)ctx - offsetof(struct harness, ctx));
}

static inline void h_release(void *arg, void *owner)
{
	(void)arg;
	struct h_buf *b = owner;

	assert_true(b->refs > 0);
	b->refs--;
	b->releases++;
}

static inline void h_retain(void *arg, void *owner)
{
	(void)arg;
	struct h_buf *b = owner;

	assert_true(b->refs > 0);
	b->refs++;
	b->retains++;
}

static inline void rec_open(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct h_app *a = &h_of(ctx)->app;

	a->opens++;
	if (a->open_request != NULL)
		assert_true(tt_tcp_send(ctx, t, a->open_request, (uint32_t)strlen(a->open_request),
					NULL, 0));
}

static inline uint32_t rec_data(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data,
				uint32_t len, void *owner)
{
	struct h_app *a = &h_of(ctx)->app;
	uint32_t n = len < a->accept ? len : a->accept;

	if (a->accept != UINT32_MAX)
		a->accept -= n;
	(void)t;
	(void)owner;
	assert_true(a->rx_len + n <= sizeof(a->rx));
	memcpy(a->rx + a->rx_len, data, n);
	a->rx_len += n;
	return n;
}

static inline void rec_peer_fin(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct h_app *a = &h_of(ctx)->app;

	a->fins++;
	if (a->close_on_fin)
		tt_tcp_close(t);
}

static inline void rec_close(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct h_app *a = &h_of(ctx)->app;

	a->closes++;
	a->close_reason = t->close_reason;
	a->close_state = t->state;
}

static const struct tt_tcp_app_ops h_rec_app = {
    .on_open = rec_open,
    .on_data = rec_data,
    .on_peer_fin = rec_peer_fin,
    .on_close = rec_close,
};

/* The HTTP response: body_len bytes of a-z, so a misplaced byte shows. */
static inline void h_http_body(struct harness *h, uint32_t body_len)
{
	static const char *const hdrs[] = {"Content-Type: text/plain"};
	uint8_t *body = malloc(body_len + 1);

	assert_non_null(body);
	for (uint32_t i = 0; i < body_len; i++)
		body[i] = (uint8_t)('a' + i % 26);
	tt_http_response_free(&h->http);
	assert_int_equal(tt_http_response_build(&h->http, 200, hdrs, 1, body, body_len), 0);
	free(body);
	h->ctx.app_data = &h->http;
	h->ctx.conn_app_data = &h->http;
}

static inline struct harness *h_new(void)
{
	static const struct tt_syncookie_secret cookie = {
	    .master = {.k0 = 0x0123456789abcdefULL, .k1 = 0xfedcba9876543210ULL}};
	struct harness *h = calloc(1, sizeof(*h));
	struct tt_conf c;

	assert_non_null(h);
	tt_conf_defaults(&c);
	h->conf = c.tcp;
	h->conf.syncookies = TT_SYNCOOKIES_OFF;
	h->ctx.conf = &h->conf;
	h->ctx.ctr = &h->ctr;
	h->ctx.now_ms = H_T0_MS;
	h->ctx.isn_secret.key.k0 = 0x1111111122222222ULL;
	h->ctx.isn_secret.key.k1 = 0x3333333344444444ULL;
	h->ctx.release = h_release;
	h->ctx.retain = h_retain;
	h->ctx.held_limit = UINT32_MAX;
	h->ctx.pmtu = &h->pmtu;
	h->ctx.sndb_pool = tt_pool_create(H_SNDB_BLOCKS, sizeof(struct tt_sndb));
	assert_non_null(h->ctx.sndb_pool);
	h->ctx.app_pool = tt_pool_create(H_APP_BLOCKS, TT_TCP_APP_BLOCK_BYTES);
	assert_non_null(h->ctx.app_pool);
	assert_int_equal(tt_syncookie_keys_init(&h->ctx.cookie_keys, &cookie,
						tt_syncookie_period_ms(h->conf.time_wait_ms),
						h->ctx.now_ms),
			 0);
	tt_app_register(h->ctx.apps);
	h->ctx.apps[H_APP_REC] = &h_rec_app;
	h_http_body(h, 64);
	h->listen_app = H_APP_REC;
	h->app.accept = UINT32_MAX;
	h->app.close_on_fin = false;
	h->peer.nxt = H_PEER_ISN;
	h->peer.wnd = 512;
	h->peer.syn_wnd = 65535;
	h->peer.syn_opts.present = TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK | TT_OPT_TS;
	h->peer.syn_opts.mss = 1460;
	h->peer.syn_opts.wscale = 7;
	h->peer.ts = true;
	h->peer.tsval = H_PEER_TSVAL;
	return h;
}

/* A peer that sends no options at all (and so no window scaling, no timestamps). */
static inline void h_peer_plain(struct harness *h, uint16_t mss)
{
	h->peer.syn_opts.present = TT_OPT_MSS;
	h->peer.syn_opts.mss = mss;
	h->peer.ts = false;
	h->peer.wnd = 65535;
}

static inline void h_check_gauges(const struct harness *h)
{
	uint64_t want[TT_TCP_NSTATES] = {0};

	if (h->tcb_live)
		want[h->tcb.state]++;
	if (h->tw_live)
		want[TT_TCP_TIME_WAIT]++;
	for (unsigned s = 0; s < TT_TCP_NSTATES; s++)
		assert_int_equal(h->ctx.state_count[s], want[s]);
	assert_int_equal(h->ctx.half_open, h->tcb_live && h->tcb.state == TT_TCP_SYN_RECEIVED);
	assert_int_equal(tt_pool_in_use(h->ctx.sndb_pool),
			 h->sndb_others + (h->tcb_live && h->tcb.sndb != TT_SNDB_NONE));
	assert_int_equal(tt_pool_in_use(h->ctx.app_pool),
			 h->app_block_others +
			     (h->tcb_live && h->tcb.app_block != TT_TCB_NO_APP_BLOCK));
}

/* Other connections take every free block of pool: what tt_pool_get handed out, in taken[],
 * counted in *others (the blocks the gauges check leave to them). */
static inline unsigned h_take_all(struct tt_pool *pool, uint32_t *taken, unsigned *others)
{
	unsigned n = 0;
	uint32_t idx;

	while ((idx = tt_pool_get(pool)) != TT_POOL_NONE)
		taken[n++] = idx;
	*others = n;
	return n;
}

static inline void h_give_back(struct tt_pool *pool, const uint32_t *taken, unsigned n,
			       unsigned *others)
{
	for (unsigned i = 0; i < n; i++)
		tt_pool_put(pool, taken[i]);
	*others = 0;
}

/* The connection's send block (it must hold one). */
static inline struct tt_sndb *h_sndq_block(struct harness *h)
{
	struct tt_sndb *b = tt_tcp_sndb(&h->ctx, &h->tcb);

	assert_non_null(b);
	return b;
}

/* The connection's send queue (it must hold a send block). */
static inline struct tt_sndq *h_sndq(struct harness *h)
{
	return &h_sndq_block(h)->q;
}

static inline void h_free(struct harness *h)
{
	if (h->tcb_live)
		tt_tcp_destroy(&h->ctx, &h->tcb);
	if (h->tw_live)
		tt_tcp_tw_destroy(&h->ctx, &h->tw);
	h->tcb_live = h->tw_live = false;
	h_check_gauges(h);
	assert_int_equal(h->ctx.held, 0);
	assert_int_equal(tt_pool_in_use(h->ctx.sndb_pool), 0);
	tt_pool_free(h->ctx.sndb_pool);
	assert_int_equal(tt_pool_in_use(h->ctx.app_pool), h->app_block_others);
	tt_pool_free(h->ctx.app_pool);
	tt_http_response_free(&h->http);
	free(h);
}

/* What the peer learns from a segment we sent. */
static inline void h_peer_sees(struct harness *h, const struct h_tx *x)
{
	uint32_t end = x->a.seq + x->len + ((x->a.flags & TT_TCP_SYN) ? 1 : 0) +
		       ((x->a.flags & TT_TCP_FIN) ? 1 : 0);

	if (x->a.flags & TT_TCP_RST)
		return;
	if ((int32_t)(end - h->peer.rcv_max) > 0 || h->peer.rcv_max == 0)
		h->peer.rcv_max = end;
	if (x->a.opts.present & TT_OPT_TS)
		h->peer.tsecr = x->a.opts.tsval;
}

static inline struct h_tx *h_next_tx(struct harness *h)
{
	assert_true(h->n_tx < TT_TCP_OUT_MAX);
	return &h->tx[h->n_tx++];
}

/* The worker's send_out: headers and payload of what the TCB asked for. */
static inline void h_capture(struct harness *h, const struct tt_tcp_out *out)
{
	for (unsigned i = 0; i < out->n; i++) {
		struct h_tx *x = h_next_tx(h);

		tt_tcp_tx_hdr(&h->ctx, &h->tcb, &out->tx[i], &x->a);
		assert_memory_equal(&x->a.dst_mac, &h_peer_mac, sizeof(h_peer_mac));
		assert_int_equal(h->tcb.port, H_PORT);
		x->len = out->tx[i].len;
		if (x->a.flags & TT_TCP_SYN)
			h->iss = x->a.seq;
		assert_true(x->len <= sizeof(x->data));
		if (x->len > 0)
			tt_sndq_copy(h_sndq(h), out->tx[i].seq - h->tcb.snd_una, x->len, x->data);
		h_peer_sees(h, x);
	}
}

/* The worker's conn_done, after the output was built. */
static inline void h_apply(struct harness *h, enum tt_tcp_verdict v)
{
	h->v = v;
	switch (v) {
	case TT_V_KEEP:
		break;
	case TT_V_FREE:
		tt_tcp_destroy(&h->ctx, &h->tcb);
		h->tcb_live = false;
		break;
	case TT_V_TIME_WAIT:
		assert_int_equal(h->tcb.state, TT_TCP_TIME_WAIT);
		assert_false(h->tw_live);
		tt_tcp_tw_init(&h->ctx, &h->tw, &h->tcb);
		h->tcb_live = false;
		h->tw_live = true;
		break;
	}
	h_check_gauges(h);
}

/* A reply no state stands behind (stateless RST, cookie SYN-ACK). */
static inline struct h_tx *h_stateless(struct harness *h)
{
	struct h_tx *x = h_next_tx(h);

	memset(x, 0, sizeof(*x));
	x->a.saddr = h_flow.daddr;
	x->a.daddr = h_flow.saddr;
	x->a.sport = h_flow.dport;
	x->a.dport = h_flow.sport;
	return x;
}

/* The worker's new_conn: what it sets before tt_tcp_init_* fills the rest. */
static inline void h_new_tcb(struct harness *h)
{
	assert_false(h->tcb_live);
	memset(&h->tcb, 0xa5, sizeof(h->tcb));
	tt_timer_init(&h->tcb.timer);
	h->tcb.ipv6 = 0; /* the harness's connections are IPv4 */
	h->tcb.port = H_PORT;
	h->tcb.peer_mac = h_peer_mac;
	h->tcb_live = true;
}

/* The worker's tcp_listen. */
static inline void h_listen(struct harness *h, const struct tt_tcp_seg *seg, void *owner)
{
	struct tt_tcp_out out = {.n = 0};
	enum tt_tcp_verdict v;
	struct h_tx *x;

	h->lv = tt_tcp_listen(&h->ctx, &h_flow, seg, &h->lr);
	switch (h->lv) {
	case TT_L_DROP:
		break;
	case TT_L_RST:
		x = h_stateless(h);
		tt_tcp_rst_reply(seg, &x->a.seq, &x->a.ack, &x->a.flags);
		break;
	case TT_L_SYNACK_COOKIE:
		x = h_stateless(h);
		x->a.seq = h->lr.seq;
		x->a.ack = h->lr.ack;
		x->a.flags = TT_TCP_SYN | TT_TCP_ACK;
		h->iss = x->a.seq;
		x->a.wnd = (uint16_t)(h->conf.rcv_window < 65535 ? h->conf.rcv_window : 65535);
		x->a.opts = h->lr.opts;
		h_peer_sees(h, x);
		break;
	case TT_L_NEW_SYN_RECV:
		h_new_tcb(h);
		tt_tcp_init_syn_recv(&h->ctx, &h->tcb, &h_flow, seg, h->listen_app, &out);
		h_capture(h, &out);
		h_apply(h, TT_V_KEEP);
		break;
	case TT_L_NEW_COOKIE:
		h_new_tcb(h);
		tt_tcp_init_cookie(&h->ctx, &h->tcb, &h_flow, seg, &h->lr, h->listen_app);
		v = tt_tcp_input(&h->ctx, &h->tcb, seg, owner, &out);
		h_capture(h, &out);
		h_apply(h, v);
		break;
	}
	h_check_gauges(h);
}

/* The worker's tcp_time_wait. */
static inline void h_time_wait(struct harness *h, const struct tt_tcp_seg *seg, void *owner)
{
	struct h_tx *x;

	h->twv = tt_tcp_tw_input(&h->tw, seg);
	switch (h->twv) {
	case TT_TW_DROP:
		break;
	case TT_TW_ACK_RESTART:
	case TT_TW_ACK:
		x = h_next_tx(h);
		/* The answer goes back to the segment's flow and source MAC, as the worker's. */
		tt_tcp_tw_hdr(&h->ctx, &h->tw, &h_flow, &h_peer_mac, &x->a);
		assert_memory_equal(&x->a.dst_mac, &h_peer_mac, sizeof(h_peer_mac));
		x->len = 0;
		break;
	case TT_TW_REUSE:
		tt_tcp_tw_destroy(&h->ctx, &h->tw);
		h->tw_live = false;
		h_listen(h, seg, owner);
		break;
	}
	h_check_gauges(h);
}

/* One received segment through the worker's tcp_rx; owner is dropped afterwards like the mbuf. */
static inline void h_rx(struct harness *h, const struct tt_tcp_seg *seg, struct h_buf *owner)
{
	struct tt_tcp_out out = {.n = 0};
	enum tt_tcp_verdict v;

	h->n_tx = 0;
	owner->refs++;
	if (h->tcb_live) {
		v = tt_tcp_input(&h->ctx, &h->tcb, seg, owner, &out);
		h_capture(h, &out);
		h_apply(h, v);
	} else if (h->tw_live) {
		h_time_wait(h, seg, owner);
	} else {
		h_listen(h, seg, owner);
	}
	assert_true(owner->refs > 0);
	owner->refs--;
}

/* The segment the peer would send now. */
static inline struct tt_tcp_seg h_seg(const struct harness *h, uint8_t flags, const void *data,
				      uint32_t len)
{
	struct tt_tcp_seg s = {
	    .seq = h->peer.nxt,
	    .ack = (flags & TT_TCP_ACK) ? h->peer.ack : 0,
	    .len = len,
	    .wnd = h->peer.wnd,
	    .flags = flags,
	    .payload = data,
	};

	if (flags & TT_TCP_SYN) {
		s.wnd = h->peer.syn_wnd;
		s.opts = h->peer.syn_opts;
		if (s.opts.present & TT_OPT_TS) {
			/* A SYN-ACK echoes the TSval of the SYN it answers. */
			s.opts.tsval = h->peer.tsval;
			s.opts.tsecr = (flags & TT_TCP_ACK) ? h->peer.tsecr : 0;
		}
	} else if (h->peer.ts) {
		s.opts.present = TT_OPT_TS;
		s.opts.tsval = h->peer.tsval;
		s.opts.tsecr = h->peer.tsecr;
	}
	return s;
}

/* The peer's sequence space moves on by what s occupies. */
static inline void h_peer_sent(struct harness *h, const struct tt_tcp_seg *s)
{
	h->peer.nxt =
	    s->seq + s->len + ((s->flags & TT_TCP_SYN) ? 1 : 0) + ((s->flags & TT_TCP_FIN) ? 1 : 0);
	h->peer.tsval++;
}

/* The peer sends its next segment; data must stay valid if the application keeps it. */
static inline void h_send(struct harness *h, uint8_t flags, const void *data, uint32_t len)
{
	struct tt_tcp_seg s = h_seg(h, flags, data, len);

	h_peer_sent(h, &s);
	h_rx(h, &s, &h->scratch);
}

static inline void h_send_str(struct harness *h, uint8_t flags, const char *text)
{
	h_send(h, flags, text, (uint32_t)strlen(text));
}

/* Same, from a tracked buffer that becomes the segment's owner. */
static inline void h_send_buf(struct harness *h, uint8_t flags, struct h_buf *b, uint32_t len)
{
	struct tt_tcp_seg s = h_seg(h, flags, b->data, len);

	h_peer_sent(h, &s);
	h_rx(h, &s, b);
}

/* The peer acknowledges everything it got and says so. */
static inline void h_ack_all(struct harness *h)
{
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_ACK, NULL, 0);
}

/* The peer opens a connection (SYN, SYN-ACK, ACK) to application app. */
static inline void h_connect(struct harness *h, uint8_t app)
{
	h->listen_app = app;
	h_send(h, TT_TCP_SYN, NULL, 0);
	assert_int_equal(h->lv, TT_L_NEW_SYN_RECV);
	assert_int_equal(h->n_tx, 1);
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_true(h->tcb_live);
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	assert_int_equal(h->n_tx, 0);
}

/* We open a connection to the peer with application app: our SYN is in h->tx[0]. */
static inline void h_open(struct harness *h, uint8_t app)
{
	struct tt_tcp_out out = {.n = 0};

	h->n_tx = 0;
	h_new_tcb(h);
	tt_tcp_connect(&h->ctx, &h->tcb, &h_flow, app, &out);
	h_capture(h, &out);
	h_apply(h, TT_V_KEEP);
}

/* We open a connection and the peer accepts it (SYN, SYN-ACK; our ACK is in h->tx). */
static inline void h_open_accepted(struct harness *h, uint8_t app)
{
	h_open(h, app);
	assert_int_equal(h->n_tx, 1);
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_SYN | TT_TCP_ACK, NULL, 0);
	assert_true(h->tcb_live);
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	assert_true(h->n_tx > 0);
}

/* The timer fires at ms, earlier than the deadline when an armed timer was not moved later. */
static inline void h_fire_at(struct harness *h, uint64_t ms)
{
	struct tt_tcp_out out = {.n = 0};
	enum tt_tcp_verdict v;

	assert_true(h->tcb_live);
	h->ctx.now_ms = ms;
	h->n_tx = 0;
	v = tt_tcp_timeout(&h->ctx, &h->tcb, &out);
	h_capture(h, &out);
	h_apply(h, v);
}

/* The connection's timer fires at its deadline. */
static inline void h_fire(struct harness *h)
{
	uint64_t d;

	assert_true(h->tcb_live);
	d = tt_tcp_deadline(&h->ctx, &h->tcb);
	assert_true(d != UINT64_MAX);
	assert_true(d >= h->ctx.now_ms);
	h_fire_at(h, d);
}

/* The application acts outside a callback, then whatever may go out goes. */
static inline void h_output(struct harness *h)
{
	struct tt_tcp_out out = {.n = 0};

	h->n_tx = 0;
	tt_tcp_output(&h->ctx, &h->tcb, &out);
	h_capture(h, &out);
	h_check_gauges(h);
}

/* Check segment i of the last step. */
static inline void h_expect(const struct harness *h, unsigned i, uint8_t flags, uint32_t seq,
			    uint32_t ack, uint32_t len)
{
	assert_true(i < h->n_tx);
	assert_int_equal(h->tx[i].a.flags, flags);
	assert_int_equal(h->tx[i].a.seq, seq);
	assert_int_equal(h->tx[i].a.ack, ack);
	assert_int_equal(h->tx[i].len, len);
}

/* cmocka fixtures and counter reads shared by the TCP test programs. */
static inline int setup(void **state)
{
	*state = h_new();
	return 0;
}

static inline int teardown(void **state)
{
	h_free(*state);
	return 0;
}

/* The TSval we send now on h_flow: the clock plus the flow's offset (RFC 7323 5.4). */
static inline uint32_t h_tsval(const struct harness *h)
{
	return (uint32_t)h->ctx.now_ms + tt_isn_ts_offset(&h->ctx.isn_secret, &h_flow, NULL);
}

static inline uint64_t ev(const struct harness *h, enum tt_counter c)
{
	return h->ctr.ev[c];
}

static inline uint64_t drops(const struct harness *h, enum tt_drop d)
{
	return h->ctr.drop[d];
}

#endif
