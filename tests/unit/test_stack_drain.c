/*
 * Tests of tt_stack as the worker drives it, without DPDK: segments go in as
 * parsed packets, every frame the stack sends is captured by the I/O
 * callbacks and parsed back (tt_net_parse, so checksums and lengths are
 * checked too), and each test asserts on those frames, the gauges and the
 * counters.  The peers are scripted here: no options but the MSS, so a
 * sequence number is all they need to track.
 *
 * Covered: the drain (tt_stack_drain_step) refuses what would open a
 * connection and nothing else, closes in bounded steps, closes a handshake
 * that completes while it runs, ends early once only TIME-WAIT entries are
 * left, and at its deadline aborts every connection exactly once (one RST
 * each, none for TIME-WAIT or SYN-SENT) leaving no gauge, timer or buffer
 * behind.  Retiring a generation a reload replaced (tcp.reload_grace_ms) is the same walk
 * for its connections alone: one FIN each in bounded steps, one RST each drain_timeout_ms later.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tt_app.h"
#include "tt_conn_tbl.h"
#include "tt_http.h"
#include "tt_stack.h"

enum {
	T0_MS = 1000000,
	OUR_IP = 0xc6120002,  /* 198.18.0.2 */
	PEER_IP = 0xc6120001, /* 198.18.0.1 */
	HTTP_PORT = 80,
	FRAME_ROOM = 2048,
	MAX_FRAMES = 4096,
	MAX_CONNS = 1024,
	TABLE_SLOTS = 2 * MAX_CONNS, /* tt_conn_tbl's capacity for MAX_CONNS */
	DRAIN_MS = 5000,
};

#define TABLE_KEY ((struct tt_siphash_key){.k0 = 0x5eed, .k1 = 0xfeed})

static const struct tt_mac our_mac = {{0x02, 0, 0, 0, 0, 0x02}};
static const struct tt_mac peer_mac = {{0x02, 0, 0, 0, 0, 0x01}};

struct frame {
	unsigned port;
	uint32_t len;
	uint8_t data[FRAME_ROOM];
};

/* A received buffer as the worker passes it (an mbuf): counted references. */
struct buf {
	int refs;
};

struct fx {
	struct tt_conf conf;
	struct tt_counters ctr;
	struct tt_http_response http;
	uint8_t listen_app[65536];
	struct tt_stack *st;
	uint64_t now;
	struct buf owner;
	unsigned n_frames;
	struct frame *frames[MAX_FRAMES];
	unsigned allocated, released; /* frame buffers */
};

/* A scripted peer connection: its port, its next sequence number, what it acknowledges. */
struct peer {
	uint16_t sport;
	uint32_t snd_nxt;
	uint32_t rcv_nxt;
	bool fin_seen;
	uint32_t our_fin; /* sequence number of our FIN, once seen */
};

/* A frame the stack sent, parsed. */
struct seen {
	uint16_t dport;
	uint8_t flags;
	uint32_t seq, ack, len;
};

static void *frame_alloc(void *arg, uint8_t **data, uint32_t *room)
{
	struct fx *fx = arg;
	struct frame *f = malloc(sizeof(*f));

	assert_non_null(f);
	fx->allocated++;
	*data = f->data;
	*room = sizeof(f->data);
	return f;
}

static void frame_send(void *arg, unsigned port, void *frame, uint32_t len)
{
	struct fx *fx = arg;
	struct frame *f = frame;

	assert_true(fx->n_frames < MAX_FRAMES);
	f->port = port;
	f->len = len;
	fx->frames[fx->n_frames++] = f;
}

static void frame_free(void *arg, void *frame)
{
	struct fx *fx = arg;

	fx->released++;
	free(frame);
}

static void buf_retain(void *arg, void *owner)
{
	(void)arg;
	((struct buf *)owner)->refs++;
}

static void buf_release(void *arg, void *owner)
{
	(void)arg;
	struct buf *b = owner;

	assert_true(b->refs > 0);
	b->refs--;
}

static void fx_start(struct fx *fx)
{
	struct tt_stack_params p = {
	    .conf = &fx->conf.tcp,
	    .n_ports = 1,
	    .ports = {{.mac = our_mac, .mtu = 1500}},
	    .listen_app = fx->listen_app,
	    .app_data = &fx->http,
	    .ctr = &fx->ctr,
	    .cookie_secret = {.master = {.k0 = 0x0123456789abcdefULL, .k1 = 0x1122334455667788ULL}},
	    .isn_secret = {.key = {.k0 = 0x1111111122222222ULL, .k1 = 0x3333333344444444ULL}},
	    .table_key = TABLE_KEY,
	    .now_ms = fx->now,
	    .io = {.frame_alloc = frame_alloc,
		   .frame_send = frame_send,
		   .frame_free = frame_free,
		   .retain = buf_retain,
		   .release = buf_release,
		   .arg = fx},
	};

	tt_app_register(p.apps);
	fx->st = tt_stack_create(&p);
	assert_non_null(fx->st);
}

/* A stack with an HTTP listener on port 80 and this SYN cookie mode. */
static struct fx *fx_new(enum tt_syncookie_mode cookies)
{
	static const char *const hdrs[] = {"Content-Type: text/plain"};
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	tt_conf_defaults(&fx->conf);
	fx->conf.tcp.max_conns_per_core = MAX_CONNS;
	fx->conf.tcp.syncookies = cookies;
	fx->listen_app[HTTP_PORT] = TT_APP_HTTP + 1;
	assert_int_equal(tt_http_response_build(&fx->http, 200, hdrs, 1, (const uint8_t *)"ok", 2),
			 0);
	fx->now = T0_MS;
	fx_start(fx);
	return fx;
}

static void fx_free(struct fx *fx)
{
	for (unsigned i = 0; i < fx->n_frames; i++)
		free(fx->frames[i]);
	fx->released += fx->n_frames;
	tt_stack_free(fx->st);
	assert_int_equal(fx->allocated, fx->released);
	assert_int_equal(fx->owner.refs, 0);
	tt_http_response_free(&fx->http);
	free(fx);
}

static void set_time(struct fx *fx, uint64_t ms)
{
	fx->now = ms;
	tt_stack_set_time(fx->st, ms);
}

/* Parse and drop every captured frame; returns how many there were (at most max kept). */
static unsigned take(struct fx *fx, struct seen *out, unsigned max)
{
	struct tt_net_if ifc = {.mac = peer_mac, .addr = PEER_IP, .addr_count = 1};
	unsigned n = fx->n_frames;

	for (unsigned i = 0; i < n; i++) {
		struct frame *f = fx->frames[i];
		enum tt_drop why;
		struct tt_pkt pkt;

		assert_int_equal(f->port, 0);
		assert_int_equal(tt_net_parse(f->data, f->len, &ifc, &pkt, &why), TT_PKT_TCP);
		assert_int_equal(pkt.saddr, OUR_IP);
		if (i < max)
			out[i] = (struct seen){.dport = pkt.dport,
					       .flags = pkt.seg.flags,
					       .seq = pkt.seg.seq,
					       .ack = pkt.seg.ack,
					       .len = pkt.seg.len};
		free(f);
		fx->released++;
	}
	fx->n_frames = 0;
	return n;
}

/* The one frame the last step sent. */
static struct seen take_one(struct fx *fx)
{
	struct seen s;

	assert_int_equal(take(fx, &s, 1), 1);
	return s;
}

static void send_seg(struct fx *fx, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
		     uint32_t ack)
{
	struct tt_pkt pkt = {
	    .src_mac = peer_mac,
	    .saddr = PEER_IP,
	    .daddr = OUR_IP,
	    .sport = sport,
	    .dport = dport,
	    .seg = {.seq = seq, .ack = ack, .wnd = 65535, .flags = flags},
	};

	if (flags & TT_TCP_SYN) {
		pkt.seg.opts.present = TT_OPT_MSS;
		pkt.seg.opts.mss = 1460;
	}
	fx->owner.refs++;
	tt_stack_input(fx->st, 0, &pkt, &fx->owner);
	fx->owner.refs--;
}

static struct peer peer_at(uint16_t sport)
{
	return (struct peer){.sport = sport, .snd_nxt = 0x40000000u + sport * 7919u};
}

/* The peer's SYN; returns our SYN-ACK. */
static struct seen syn(struct fx *fx, struct peer *p)
{
	struct seen sa;

	send_seg(fx, p->sport, HTTP_PORT, TT_TCP_SYN, p->snd_nxt, 0);
	sa = take_one(fx);
	assert_int_equal(sa.flags, TT_TCP_SYN | TT_TCP_ACK);
	assert_int_equal(sa.ack, p->snd_nxt + 1);
	p->snd_nxt++;
	p->rcv_nxt = sa.seq + 1;
	return sa;
}

static void ack(struct fx *fx, const struct peer *p)
{
	send_seg(fx, p->sport, HTTP_PORT, TT_TCP_ACK, p->snd_nxt, p->rcv_nxt);
}

static void open_conn(struct fx *fx, struct peer *p)
{
	syn(fx, p);
	ack(fx, p);
	assert_int_equal(fx->n_frames, 0);
}

static uint64_t gauge(const struct fx *fx, enum tt_tcp_state s)
{
	return tt_stack_state_counts(fx->st)[s];
}

static void expect_empty(const struct fx *fx)
{
	assert_int_equal(tt_stack_conn_count(fx->st), 0);
	for (unsigned s = 0; s < TT_TCP_NSTATES; s++)
		assert_int_equal(gauge(fx, (enum tt_tcp_state)s), 0);
}

/* Every TCB that was born ended in exactly one counted way (the integration tests' rule). */
static void expect_accounted(const struct fx *fx)
{
	const uint64_t *e = fx->ctr.ev;

	assert_int_equal(e[TT_CTR_SYNACK_SENT] + e[TT_CTR_SYNCOOKIES_VALIDATED],
			 e[TT_CTR_CONN_CLOSED] + e[TT_CTR_CONN_RESET_RX] + e[TT_CTR_CONN_RESET_TX] +
			     e[TT_CTR_CONN_TIMEOUT] + e[TT_CTR_CONN_RETRIES_EXHAUSTED]);
}

/* The drain is over: nothing left, and every connection ended closed or reset by us. */
static void expect_drained(const struct fx *fx, uint64_t closed, uint64_t reset)
{
	expect_empty(fx);
	assert_int_equal(fx->ctr.ev[TT_CTR_CONN_CLOSED], closed);
	assert_int_equal(fx->ctr.ev[TT_CTR_CONN_RESET_TX], reset);
	expect_accounted(fx);
}

/* Drain steps before the deadline until every open connection got its FIN (at most budget
 * frames per step); records each FIN's sequence number in its peer. */
static void drain_fins(struct fx *fx, struct peer *peers, unsigned n, unsigned budget)
{
	unsigned fins = 0;

	for (unsigned step = 0; fins < n; step++) {
		struct seen s[MAX_FRAMES];
		unsigned k;

		/* a step reads at most TT_STACK_RETIRE_SLOTS slots */
		assert_true(step <= n + TABLE_SLOTS / TT_STACK_RETIRE_SLOTS);
		assert_true(tt_stack_drain_step(fx->st, fx->now + DRAIN_MS, budget) > 0);
		k = take(fx, s, MAX_FRAMES);
		assert_true(k <= budget);
		for (unsigned i = 0; i < k; i++) {
			struct peer *p = NULL;

			assert_int_equal(s[i].flags, TT_TCP_FIN | TT_TCP_ACK);
			for (unsigned j = 0; j < n; j++)
				if (peers[j].sport == s[i].dport)
					p = &peers[j];
			assert_non_null(p);
			assert_false(p->fin_seen);
			assert_int_equal(s[i].seq, p->rcv_nxt);
			p->fin_seen = true;
			p->our_fin = s[i].seq;
			fins++;
		}
	}
}

/*
 * Drain steps at or after the deadline until the table is empty; each step does at most
 * budget slot visits or aborts, so one lap and the aborts bound their number.
 */
static void abort_all(struct fx *fx, uint64_t deadline, unsigned budget)
{
	uint32_t left = tt_stack_conn_count(fx->st);
	unsigned max_steps = (TABLE_SLOTS + left) / budget + 1;

	for (unsigned step = 0; left > 0; step++) {
		uint32_t now_left;

		assert_true(step < max_steps);
		now_left = tt_stack_drain_step(fx->st, deadline, budget);
		assert_true(now_left <= left && left - now_left <= budget);
		left = now_left;
	}
}

/* The peer acknowledges our FIN and sends its own: we answer with an ACK from TIME-WAIT. */
static void close_from_peer(struct fx *fx, struct peer *p)
{
	struct seen a;

	p->rcv_nxt = p->our_fin + 1;
	send_seg(fx, p->sport, HTTP_PORT, TT_TCP_FIN | TT_TCP_ACK, p->snd_nxt, p->rcv_nxt);
	p->snd_nxt++;
	a = take_one(fx);
	assert_int_equal(a.flags, TT_TCP_ACK);
	assert_int_equal(a.ack, p->snd_nxt);
}

/* ---- refusing -------------------------------------------------------------------------- */

struct refuse_case {
	const char *name;
	enum tt_syncookie_mode cookies;
	uint8_t flags;
	uint16_t dport;
	uint8_t reply; /* flags of the answer, 0: none */
	enum tt_drop drop;
};

/* What a draining stack does with segments that match no connection. */
static void test_drain_refuses_what_would_open(void **state)
{
	static const struct refuse_case cases[] = {
	    {"SYN", TT_SYNCOOKIES_AUTO, TT_TCP_SYN, HTTP_PORT, TT_TCP_RST | TT_TCP_ACK,
	     TT_DROP_TCP_DRAINING},
	    {"SYN, cookies always", TT_SYNCOOKIES_ALWAYS, TT_TCP_SYN, HTTP_PORT,
	     TT_TCP_RST | TT_TCP_ACK, TT_DROP_TCP_DRAINING},
	    {"ACK, maybe a cookie", TT_SYNCOOKIES_AUTO, TT_TCP_ACK, HTTP_PORT, TT_TCP_RST,
	     TT_DROP_TCP_DRAINING},
	    {"ACK, cookies off", TT_SYNCOOKIES_OFF, TT_TCP_ACK, HTTP_PORT, TT_TCP_RST,
	     TT_DROP_TCP_NO_CONN},
	    {"SYN-ACK", TT_SYNCOOKIES_AUTO, TT_TCP_SYN | TT_TCP_ACK, HTTP_PORT, TT_TCP_RST,
	     TT_DROP_TCP_NO_CONN},
	    {"RST", TT_SYNCOOKIES_AUTO, TT_TCP_RST, HTTP_PORT, 0, TT_DROP_TCP_NO_CONN},
	    {"SYN, no listener", TT_SYNCOOKIES_AUTO, TT_TCP_SYN, HTTP_PORT + 1,
	     TT_TCP_RST | TT_TCP_ACK, TT_DROP_TCP_NO_LISTENER},
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct refuse_case *c = &cases[i];
		struct fx *fx = fx_new(c->cookies);
		struct seen s;

		print_message("case %s\n", c->name);
		assert_int_equal(tt_stack_drain_step(fx->st, fx->now + DRAIN_MS, 8), 0);
		send_seg(fx, 40000, c->dport, c->flags, 1000, 5000);
		assert_int_equal(take(fx, &s, 1), c->reply != 0);
		if (c->reply != 0) {
			assert_int_equal(s.flags, c->reply);
			assert_int_equal(s.dport, 40000);
			if (c->flags & TT_TCP_ACK)
				assert_int_equal(s.seq, 5000);
			else
				assert_int_equal(s.ack, 1001);
		}
		for (unsigned d = 0; d < TT_DROP_COUNT; d++)
			assert_int_equal(fx->ctr.drop[d], d == c->drop);
		assert_int_equal(fx->ctr.ev[TT_CTR_SYNACK_SENT] +
				     fx->ctr.ev[TT_CTR_SYNCOOKIES_SENT] +
				     fx->ctr.ev[TT_CTR_SYNCOOKIES_FAILED],
				 0);
		expect_empty(fx);
		fx_free(fx);
	}
}

/* The same SYN is answered with a SYN-ACK before the drain: the refusal is the drain's. */
static void test_syn_accepted_before_drain(void **state)
{
	struct fx *fx = fx_new(TT_SYNCOOKIES_AUTO);
	struct peer p = peer_at(40000);

	(void)state;
	syn(fx, &p);
	assert_int_equal(gauge(fx, TT_TCP_SYN_RECEIVED), 1);
	assert_int_equal(fx->ctr.drop[TT_DROP_TCP_DRAINING], 0);
	fx_free(fx);
}

/* A client that got its cookie SYN-ACK before the drain completes the handshake after it. */
static void test_cookie_ack_refused_while_draining(void **state)
{
	struct fx *fx = fx_new(TT_SYNCOOKIES_ALWAYS);
	struct peer p = peer_at(40001);
	struct seen r;

	(void)state;
	syn(fx, &p);
	assert_int_equal(fx->ctr.ev[TT_CTR_SYNCOOKIES_SENT], 1);
	expect_empty(fx);
	assert_int_equal(tt_stack_drain_step(fx->st, fx->now + DRAIN_MS, 8), 0);
	ack(fx, &p);
	r = take_one(fx);
	assert_int_equal(r.flags, TT_TCP_RST);
	assert_int_equal(r.seq, p.rcv_nxt);
	assert_int_equal(fx->ctr.drop[TT_DROP_TCP_DRAINING], 1);
	assert_int_equal(fx->ctr.ev[TT_CTR_SYNCOOKIES_VALIDATED], 0);
	assert_int_equal(fx->ctr.ev[TT_CTR_CONN_OPENED], 0);
	expect_empty(fx);
	fx_free(fx);
}

/* ---- closing --------------------------------------------------------------------------- */

/*
 * FINs go out at most budget per step; the peers' answers are processed as usual; once only
 * TIME-WAIT entries are left the drain frees them without a word and is complete, long before
 * its deadline.
 */
static void test_drain_closes_in_steps_and_ends_at_time_wait(void **state)
{
	enum { N = 20, BUDGET = 3 };
	struct fx *fx = fx_new(TT_SYNCOOKIES_AUTO);
	struct peer peers[N];

	(void)state;
	for (unsigned i = 0; i < N; i++) {
		peers[i] = peer_at((uint16_t)(41000 + i));
		open_conn(fx, &peers[i]);
	}
	assert_int_equal(gauge(fx, TT_TCP_ESTABLISHED), N);
	drain_fins(fx, peers, N, BUDGET);
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_1), N);
	for (unsigned i = 0; i < N; i++)
		close_from_peer(fx, &peers[i]);
	assert_int_equal(gauge(fx, TT_TCP_TIME_WAIT), N);
	abort_all(fx, fx->now + DRAIN_MS, BUDGET);
	assert_int_equal(take(fx, NULL, 0), 0);
	assert_int_equal(fx->ctr.ev[TT_CTR_RST_SENT], 0);
	expect_drained(fx, N, 0);
	fx_free(fx);
}

/*
 * The drain closes more connections than tcp.max_orphans_per_core at once: its orphans are not
 * reset for being over the bound (its deadline bounds them), so a peer's ACK that has not
 * reached our FIN yet draws no RST, and every connection ends in TIME-WAIT by its FIN.
 */
static void test_drain_not_cut_by_orphan_bound(void **state)
{
	enum { N = 10 };
	struct fx *fx = fx_new(TT_SYNCOOKIES_OFF);
	struct peer peers[N];

	(void)state;
	fx->conf.tcp.max_orphans_per_core = 4;
	for (unsigned i = 0; i < N; i++) {
		peers[i] = peer_at((uint16_t)(43000 + i));
		open_conn(fx, &peers[i]);
	}
	drain_fins(fx, peers, N, N);
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_1), N);
	/* An ACK of everything but the FIN (sent before the FIN reached the peer). */
	send_seg(fx, peers[0].sport, HTTP_PORT, TT_TCP_ACK, peers[0].snd_nxt, peers[0].rcv_nxt);
	assert_int_equal(take(fx, NULL, 0), 0);
	assert_int_equal(fx->ctr.ev[TT_CTR_ORPHANS_RESET], 0);
	for (unsigned i = 0; i < N; i++)
		close_from_peer(fx, &peers[i]);
	assert_int_equal(gauge(fx, TT_TCP_TIME_WAIT), N);
	abort_all(fx, fx->now + DRAIN_MS, N);
	assert_int_equal(fx->ctr.ev[TT_CTR_RST_SENT], 0);
	expect_drained(fx, N, 0);
	fx_free(fx);
}

/* A handshake the drain found half open is closed as soon as it completes. */
static void test_handshake_completed_while_draining_is_closed(void **state)
{
	struct fx *fx = fx_new(TT_SYNCOOKIES_AUTO);
	struct peer p = peer_at(40002);
	struct seen f;

	(void)state;
	syn(fx, &p);
	assert_int_equal(tt_stack_drain_step(fx->st, fx->now + DRAIN_MS, 8), 1);
	assert_int_equal(take(fx, NULL, 0), 0); /* the close walk leaves handshakes alone */
	ack(fx, &p);
	f = take_one(fx);
	assert_int_equal(f.flags, TT_TCP_FIN | TT_TCP_ACK);
	assert_int_equal(f.seq, p.rcv_nxt);
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_1), 1);
	assert_int_equal(fx->ctr.ev[TT_CTR_CONN_OPENED], 1);
	fx_free(fx);
}

/* ---- aborting at the deadline ---------------------------------------------------------- */

/*
 * Most of a table's connections, in FIN-WAIT-1 (peer silent), TIME-WAIT and SYN-RECEIVED, at
 * the deadline: every TCB gets exactly one RST at SND.NXT, TIME-WAIT entries none, at most
 * budget frames per step; afterwards nothing is left: no entry, gauge, timer or buffer.
 */
static void test_deadline_aborts_everything_once(void **state)
{
	enum { N = 900, N_TW = 100, N_SYN = 50, BUDGET = 7 };
	struct fx *fx = fx_new(TT_SYNCOOKIES_OFF);
	static struct peer peers[N + N_SYN];
	static unsigned rsts[65536];
	uint64_t deadline = fx->now + DRAIN_MS;
	unsigned n_rst = 0;

	(void)state;
	memset(rsts, 0, sizeof(rsts));
	for (unsigned i = 0; i < N + N_SYN; i++) {
		peers[i] = peer_at((uint16_t)(20000 + i));
		if (i < N)
			open_conn(fx, &peers[i]);
		else
			syn(fx, &peers[i]);
	}
	drain_fins(fx, peers, N, 64);
	for (unsigned i = 0; i < N_TW; i++)
		close_from_peer(fx, &peers[i]);
	assert_int_equal(gauge(fx, TT_TCP_TIME_WAIT), N_TW);
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_1), N - N_TW);
	assert_int_equal(gauge(fx, TT_TCP_SYN_RECEIVED), N_SYN);
	/* Before the deadline the drain waits for the silent peers. */
	set_time(fx, deadline - 1);
	assert_int_equal(tt_stack_drain_step(fx->st, deadline, BUDGET), N + N_SYN);
	set_time(fx, deadline);
	for (uint32_t left = N + N_SYN, step = 0; left > 0; step++) {
		struct seen s[BUDGET + 1];
		unsigned k;

		/* One lap: an entry that a deletion pulled back is not left for a second one. */
		assert_true(step < (TABLE_SLOTS + N + N_SYN) / BUDGET + 1);
		left = tt_stack_drain_step(fx->st, deadline, BUDGET);
		k = take(fx, s, BUDGET + 1);
		assert_true(k <= BUDGET);
		for (unsigned i = 0; i < k; i++) {
			const struct peer *p = &peers[s[i].dport - 20000];

			assert_int_equal(s[i].flags, TT_TCP_RST | TT_TCP_ACK);
			assert_true(s[i].dport >= 20000 + N_TW && s[i].dport < 20000 + N + N_SYN);
			assert_int_equal(s[i].seq, p->fin_seen ? p->our_fin + 1 : p->rcv_nxt);
			assert_int_equal(s[i].ack, p->snd_nxt);
			rsts[s[i].dport]++;
			n_rst++;
		}
	}
	for (unsigned i = N_TW; i < N + N_SYN; i++)
		assert_int_equal(rsts[peers[i].sport], 1);
	assert_int_equal(n_rst, N + N_SYN - N_TW);
	assert_int_equal(fx->ctr.ev[TT_CTR_RST_SENT], N + N_SYN - N_TW);
	expect_drained(fx, N_TW, N + N_SYN - N_TW);
	/* No timer of a freed connection or entry is left to fire. */
	set_time(fx, deadline + 10 * 60 * 1000);
	assert_int_equal(tt_stack_timers(fx->st), 0);
	assert_int_equal(take(fx, NULL, 0), 0);
	fx_free(fx);
}

/* A second request with an earlier deadline (a second SIGTERM) aborts at once. */
static void test_earlier_deadline_aborts_now(void **state)
{
	struct fx *fx = fx_new(TT_SYNCOOKIES_AUTO);
	struct peer p = peer_at(40003);
	struct seen s;

	(void)state;
	open_conn(fx, &p);
	for (unsigned step = 0; fx->n_frames == 0; step++) {
		assert_true(step <= TABLE_SLOTS / TT_STACK_RETIRE_SLOTS);
		assert_int_equal(tt_stack_drain_step(fx->st, fx->now + DRAIN_MS, 8), 1);
	}
	assert_int_equal(take_one(fx).flags, TT_TCP_FIN | TT_TCP_ACK);
	abort_all(fx, fx->now, 8);
	s = take_one(fx);
	assert_int_equal(s.flags, TT_TCP_RST | TT_TCP_ACK);
	assert_int_equal(s.seq, p.rcv_nxt + 1);
	expect_drained(fx, 0, 1);
	fx_free(fx);
}

/* Our own SYN is all a server may have seen of a SYN-SENT connection: no RST for it. */
static void test_abort_syn_sent_silently(void **state)
{
	struct fx *fx = fx_new(TT_SYNCOOKIES_AUTO);
	struct tt_flow4 f = {.saddr = PEER_IP, .daddr = OUR_IP, .sport = 8080, .dport = 50000};
	struct seen s;

	(void)state;
	assert_non_null(tt_stack_connect(fx->st, 0, &f, &peer_mac, TT_APP_DISCARD));
	s = take_one(fx);
	assert_int_equal(s.flags, TT_TCP_SYN);
	abort_all(fx, fx->now, 8);
	assert_int_equal(take(fx, NULL, 0), 0);
	assert_int_equal(fx->ctr.ev[TT_CTR_RST_SENT], 0);
	assert_int_equal(fx->ctr.ev[TT_CTR_CONN_RESET_TX], 1);
	expect_empty(fx);
	fx_free(fx);
}

/* ---- retiring a replaced generation ----------------------------------------------------- */

/* Generation gen of fx's stack: its listeners and response, the TCP parameters tcp. */
static struct tt_stack_rt fx_gen(struct fx *fx, uint32_t gen, const struct tt_conf_tcp *tcp)
{
	return (struct tt_stack_rt){
	    .gen = gen, .conf = tcp, .listen_app = fx->listen_app, .app_data = &fx->http};
}

/* Peers [from, to) of peers connect, each from port 20000 + its index. */
static void open_peers(struct fx *fx, struct peer *peers, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		peers[i] = peer_at((uint16_t)(20000 + i));
		open_conn(fx, &peers[i]);
	}
}

/* n_old peers connect, rt is taken at the time returned, then n_new more peers connect. */
static uint64_t open_across_reload(struct fx *fx, struct peer *peers, unsigned n_old,
				   unsigned n_new, const struct tt_stack_rt *rt)
{
	uint64_t t;

	open_peers(fx, peers, 0, n_old);
	t = fx->now;
	assert_int_equal(tt_stack_set_rt(fx->st, rt), 0);
	open_peers(fx, peers, n_old, n_old + n_new);
	return t;
}

/*
 * Timer calls at the stack's present time until one does nothing (a bounded number: a timer
 * armed early fires and re-arms); every frame they send has these flags, goes to a peer below
 * limit_port and is counted in seen_by (with seen_by NULL, none may be sent).
 */
static void retire_frames(struct fx *fx, uint8_t flags, uint16_t limit_port, unsigned *seen_by)
{
	for (unsigned step = 0;; step++) {
		struct seen s[MAX_FRAMES];
		unsigned n = tt_stack_timers(fx->st), k = take(fx, s, MAX_FRAMES);

		assert_true(step < 64);
		/* The walk's closes, and those of connections whose timers fired (at first sight)
		 */
		assert_true(k <= TT_STACK_DRAIN_BATCH + TT_STACK_TIMER_BATCH);
		assert_true(k == 0 || seen_by != NULL);
		for (unsigned i = 0; i < k; i++) {
			assert_int_equal(s[i].flags, flags);
			assert_true(s[i].dport >= 20000 && s[i].dport < limit_port);
			seen_by[s[i].dport]++;
		}
		if (n == 0)
			break;
	}
}

/*
 * Most of a table's connections opened under generation 0, some under generation 1 after the
 * reload: at tcp.reload_grace_ms each of generation 0 gets one FIN (at most
 * TT_STACK_DRAIN_BATCH per tt_stack_timers call), generation 1 nothing; their peers take the FIN
 * and say nothing more, and drain_timeout_ms later each gets one RST: generation 0 is released.
 */
static void test_replaced_generation_retired_in_steps(void **state)
{
	enum { N_OLD = 900, N_NEW = 60, GRACE_MS = 2000 };
	static struct peer peers[N_OLD + N_NEW];
	static unsigned fins[65536], rsts[65536];
	struct fx *fx = fx_new(TT_SYNCOOKIES_OFF);
	struct tt_conf_tcp tcp1 = fx->conf.tcp;
	struct tt_stack_rt rt1 = fx_gen(fx, 1, &tcp1);
	uint64_t t0;

	(void)state;
	memset(fins, 0, sizeof(fins));
	memset(rsts, 0, sizeof(rsts));
	tcp1.reload_grace_ms = GRACE_MS;
	tcp1.drain_timeout_ms = DRAIN_MS;
	t0 = open_across_reload(fx, peers, N_OLD, N_NEW, &rt1);
	set_time(fx, t0 + GRACE_MS - 1);
	retire_frames(fx, 0, 0, NULL);

	set_time(fx, t0 + GRACE_MS);
	retire_frames(fx, TT_TCP_FIN | TT_TCP_ACK, 20000 + N_OLD, fins);
	for (unsigned i = 0; i < N_OLD; i++) {
		struct peer *p = &peers[i];

		assert_int_equal(fins[p->sport], 1);
		p->rcv_nxt++; /* the FIN, which came after no data */
		ack(fx, p);
	}
	assert_int_equal(take(fx, NULL, 0), 0);
	assert_int_equal(fx->ctr.ev[TT_CTR_RELOAD_CLOSED], N_OLD);
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_2), N_OLD);
	assert_int_equal(gauge(fx, TT_TCP_ESTABLISHED), N_NEW);
	assert_int_equal(tt_stack_rt_oldest(fx->st), 0);

	set_time(fx, t0 + GRACE_MS + DRAIN_MS - 1);
	retire_frames(fx, 0, 0, NULL);
	set_time(fx, t0 + GRACE_MS + DRAIN_MS);
	retire_frames(fx, TT_TCP_RST | TT_TCP_ACK, 20000 + N_OLD, rsts);
	for (unsigned i = 0; i < N_OLD; i++)
		assert_int_equal(rsts[peers[i].sport], 1);
	assert_int_equal(fx->ctr.ev[TT_CTR_RELOAD_RESET], N_OLD);
	assert_int_equal(fx->ctr.ev[TT_CTR_CONN_RESET_TX], N_OLD);
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_2), 0);
	assert_int_equal(gauge(fx, TT_TCP_ESTABLISHED), N_NEW);
	assert_int_equal(tt_stack_rt_oldest(fx->st), 1);
	/* Nothing more is due: generation 1 stays as long as its connections. */
	set_time(fx, t0 + 10 * (GRACE_MS + DRAIN_MS));
	retire_frames(fx, 0, 0, NULL);
	assert_int_equal(gauge(fx, TT_TCP_ESTABLISHED), N_NEW);
	fx_free(fx);
}

/*
 * Many connections to retire and room for few orphans (tcp.max_orphans_per_core 100): the walk
 * closes while the orphans stay below half the bound and waits for the peers' ACKs for the rest,
 * so no orphan is reset by the bound and every connection gets its FIN, none an RST.
 */
static void test_retiring_waits_for_orphan_room(void **state)
{
	enum { N = 300, MAX_ORPHANS = 100 };
	static struct peer peers[N];
	static unsigned fins[65536];
	struct fx *fx = fx_new(TT_SYNCOOKIES_OFF);
	struct tt_conf_tcp tcp1 = fx->conf.tcp;
	struct tt_stack_rt rt1 = fx_gen(fx, 1, &tcp1);
	unsigned got = 0;

	(void)state;
	memset(fins, 0, sizeof(fins));
	tcp1.reload_grace_ms = 0;
	tcp1.max_orphans_per_core = MAX_ORPHANS;
	open_peers(fx, peers, 0, N);
	assert_int_equal(tt_stack_set_rt(fx->st, &rt1), 0);
	for (unsigned round = 0; got < N; round++) {
		struct seen s[MAX_FRAMES];
		unsigned k;

		assert_true(round < N);
		set_time(fx, fx->now + 1); /* a waiting walk looks again a millisecond later */
		retire_frames(fx, TT_TCP_FIN | TT_TCP_ACK, 20000 + N, fins);
		assert_true(gauge(fx, TT_TCP_FIN_WAIT_1) <= MAX_ORPHANS / 2);
		k = 0;
		for (unsigned i = 0; i < N; i++) {
			struct peer *p = &peers[i];

			if (fins[p->sport] == 1 && !p->fin_seen) { /* the peer takes our FIN */
				p->fin_seen = true;
				p->rcv_nxt++;
				ack(fx, p);
				k++;
			}
		}
		assert_int_equal(take(fx, s, 0), 0);
		assert_true(k > 0); /* each round makes progress */
		got += k;
	}
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(fins[peers[i].sport], 1);
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_2), N);
	assert_int_equal(fx->ctr.ev[TT_CTR_ORPHANS_RESET], 0);
	assert_int_equal(fx->ctr.ev[TT_CTR_RELOAD_CLOSED], N);
	assert_int_equal(fx->ctr.ev[TT_CTR_RELOAD_RESET], 0);
	fx_free(fx);
}

/*
 * A reset due while closes wait for orphan room: generation 0's peers never take our FINs, so
 * its orphans fill the room when generation 1's closes fall due; generation 0's reset then goes
 * ahead of the waiting closes (it frees their room), and every connection of generation 1 still
 * gets its FIN once its peers take the first ones, none an RST before its own reset time.
 */
static void test_reset_goes_ahead_of_waiting_closes(void **state)
{
	enum { N_A = 5, N_B = 40, GRACE_MS = 1000, DRAIN_ST_MS = 2000, MAX_ORPHANS = 20 };
	static struct peer peers[N_A + N_B];
	static unsigned fins[65536], rsts[65536];
	struct fx *fx = fx_new(TT_SYNCOOKIES_OFF);
	struct tt_conf_tcp tcp = fx->conf.tcp;
	struct tt_stack_rt rt1 = fx_gen(fx, 1, &tcp);
	struct tt_stack_rt rt2 = fx_gen(fx, 2, rt1.conf);
	uint64_t t0;

	(void)state;
	memset(fins, 0, sizeof(fins));
	memset(rsts, 0, sizeof(rsts));
	tcp.reload_grace_ms = GRACE_MS;
	tcp.drain_timeout_ms = DRAIN_ST_MS;
	tcp.max_orphans_per_core = MAX_ORPHANS;
	t0 = open_across_reload(fx, peers, N_A, N_B, &rt1);
	set_time(fx, t0 + GRACE_MS);
	retire_frames(fx, TT_TCP_FIN | TT_TCP_ACK, 20000 + N_A, fins); /* A's FINs: 5 orphans */
	set_time(fx, t0 + 1500);
	assert_int_equal(tt_stack_set_rt(fx->st, &rt2), 0); /* B's close at t0 + 2500 */
	set_time(fx, t0 + 2500);
	retire_frames(fx, TT_TCP_FIN | TT_TCP_ACK, 20000 + N_A + N_B, fins);
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_1), MAX_ORPHANS / 2); /* B waits for room */
	set_time(fx, t0 + GRACE_MS + DRAIN_ST_MS); /* A's reset, B's FINs untaken */
	for (unsigned step = 0; step < 64 && tt_stack_timers(fx->st) > 0; step++) {
		struct seen s[MAX_FRAMES];
		unsigned k = take(fx, s, MAX_FRAMES);

		for (unsigned j = 0; j < k; j++) {
			if (s[j].flags & TT_TCP_RST)
				rsts[s[j].dport]++;
			else
				fins[s[j].dport]++;
		}
	}
	for (unsigned i = 0; i < N_A; i++)
		assert_int_equal(rsts[peers[i].sport], 1);
	/* B's peers take every FIN as it comes, until each has had one. */
	for (unsigned round = 0; round < N_B; round++) {
		unsigned k = 0;

		for (unsigned i = N_A; i < N_A + N_B; i++) {
			struct peer *p = &peers[i];

			if (fins[p->sport] > 0 && !p->fin_seen) {
				p->fin_seen = true;
				p->rcv_nxt++;
				ack(fx, p);
				k++;
			}
		}
		if (k == 0)
			break;
		set_time(fx, fx->now + 1);
		retire_frames(fx, TT_TCP_FIN | TT_TCP_ACK, 20000 + N_A + N_B, fins);
	}
	for (unsigned i = N_A; i < N_A + N_B; i++) {
		assert_int_equal(fins[peers[i].sport], 1);
		assert_int_equal(rsts[peers[i].sport], 0);
	}
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_2), N_B);
	assert_int_equal(fx->ctr.ev[TT_CTR_RELOAD_RESET], N_A);
	assert_int_equal(fx->ctr.ev[TT_CTR_ORPHANS_RESET], 0);
	fx_free(fx);
}

/*
 * Two peer ports whose connections to port 80 share the home slot home of fx's table (the
 * stack's key and size): the first takes the slot, the second the one after it.
 */
static void ports_at_home(uint32_t home, uint16_t *first, uint16_t *second)
{
	static struct tt_flow4 none[1];
	struct tt_conn_tbl_keys keys = tt_conn_tbl_keys_array(none, 0);
	struct tt_conn_tbl *t = tt_conn_tbl_create(MAX_CONNS, &TABLE_KEY, &keys);
	const uint8_t *slot0 = tt_conn_tbl_home_addr(t, 0);
	unsigned found = 0;

	assert_non_null(t);
	for (uint32_t port = 20000; port < 65536 && found < 2; port++) {
		struct tt_flow4 f = {
		    .saddr = PEER_IP, .daddr = OUR_IP, .sport = (uint16_t)port, .dport = HTTP_PORT};
		const uint8_t *at = tt_conn_tbl_home_addr(t, tt_conn_tbl_hash(t, &f));

		if ((uint32_t)(at - slot0) == home * TT_CONN_TBL_SLOT_BYTES)
			*(found++ == 0 ? first : second) = (uint16_t)port;
	}
	assert_int_equal(found, 2);
	tt_conn_tbl_free(t);
}

/* The one frame sent is a's FIN; a's peer resets it, and its deletion moves b back a slot. */
static void reset_the_first(struct fx *fx, const struct peer *a)
{
	struct seen s[MAX_FRAMES];

	assert_int_equal(take(fx, s, MAX_FRAMES), 1);
	assert_int_equal(s[0].dport, a->sport);
	send_seg(fx, a->sport, HTTP_PORT, TT_TCP_RST, a->snd_nxt, 0);
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_1), 0);
}

/* The frames sent, each a FIN to port: how many. */
static unsigned fins_to(struct fx *fx, uint16_t port)
{
	struct seen s[MAX_FRAMES];
	unsigned k = take(fx, s, MAX_FRAMES);

	for (unsigned i = 0; i < k; i++) {
		assert_int_equal(s[i].dport, port);
		assert_int_equal(s[i].flags, TT_TCP_FIN | TT_TCP_ACK);
	}
	return k;
}

/*
 * A connection that a deletion moves behind the close walk's cursor still gets its FIN before
 * its reset time: a and b share home slot 255, the last slot of the walk's first step, b one
 * slot on; the first step closes a, a's peer resets it, and its deletion moves b into the slot
 * the walk has passed.  The slot is walked for again because the walk closed something in it.
 */
static void test_close_walked_again_for_one_moved_behind(void **state)
{
	enum { HOME = TT_STACK_RETIRE_SLOTS - 1 };
	struct fx *fx = fx_new(TT_SYNCOOKIES_OFF);
	struct tt_conf_tcp tcp1 = fx->conf.tcp;
	struct tt_stack_rt rt1 = fx_gen(fx, 1, &tcp1);
	struct peer a, b;
	uint16_t port_a = 0, port_b = 0;
	unsigned fins_b = 0;

	(void)state;
	tcp1.reload_grace_ms = 0;
	ports_at_home(HOME, &port_a, &port_b);
	a = peer_at(port_a);
	b = peer_at(port_b);
	open_conn(fx, &a);
	open_conn(fx, &b);
	assert_int_equal(tt_stack_set_rt(fx->st, &rt1), 0);
	assert_int_equal(tt_stack_timers(fx->st), TT_STACK_RETIRE_SLOTS); /* the first step */
	reset_the_first(fx, &a);
	for (unsigned step = 0; step < 64 && tt_stack_timers(fx->st) > 0; step++)
		fins_b += fins_to(fx, port_b);
	assert_int_equal(fins_b, 1);
	assert_int_equal(fx->ctr.ev[TT_CTR_RELOAD_CLOSED], 2);
	fx_free(fx);
}

/*
 * The drain's close walk, likewise: a and b share home slot 255, the last its first step reads,
 * b one slot on; that step closes a, a's peer resets it, and its deletion moves b into the slot
 * the walk has passed.  The pass closed something, so another follows: b gets its FIN, not an
 * RST at the deadline.
 */
static void test_drain_walks_again_for_one_moved_behind(void **state)
{
	enum { HOME = TT_STACK_RETIRE_SLOTS - 1 };
	struct fx *fx = fx_new(TT_SYNCOOKIES_OFF);
	struct peer a, b;
	uint16_t port_a = 0, port_b = 0;
	unsigned fins_b = 0;

	(void)state;
	ports_at_home(HOME, &port_a, &port_b);
	a = peer_at(port_a);
	b = peer_at(port_b);
	open_conn(fx, &a);
	open_conn(fx, &b);
	assert_true(tt_stack_drain_step(fx->st, fx->now + DRAIN_MS, 1) > 0);
	reset_the_first(fx, &a);
	for (unsigned step = 0; step < 1024 && fins_b == 0; step++) {
		assert_true(tt_stack_drain_step(fx->st, fx->now + DRAIN_MS, 1) > 0);
		fins_b += fins_to(fx, port_b);
	}
	assert_int_equal(fins_b, 1);
	assert_int_equal(gauge(fx, TT_TCP_FIN_WAIT_1), 1);
	assert_int_equal(fx->ctr.ev[TT_CTR_RST_SENT], 0);
	fx_free(fx);
}

/* A drain step reads at most TT_STACK_RETIRE_SLOTS slots: a connection at slot 600 of a table
 * otherwise empty gets its FIN from the third step, none from the first two. */
static void test_drain_step_reads_bounded_slots(void **state)
{
	struct fx *fx = fx_new(TT_SYNCOOKIES_OFF);
	uint16_t port = 0, next = 0;
	struct peer p;

	(void)state;
	ports_at_home(600, &port, &next);
	p = peer_at(port);
	open_conn(fx, &p);
	for (unsigned step = 0; step < 2; step++) {
		assert_true(tt_stack_drain_step(fx->st, fx->now + DRAIN_MS, 1) > 0);
		assert_int_equal(take(fx, NULL, 0), 0);
	}
	assert_true(tt_stack_drain_step(fx->st, fx->now + DRAIN_MS, 1) > 0);
	assert_int_equal(take_one(fx).flags, TT_TCP_FIN | TT_TCP_ACK);
	fx_free(fx);
}

/*
 * A reload while a walk is on: the walk goes on for generation 0 alone; generation 1, replaced
 * by the second reload, is retired at its own grace, counted from that reload, and the
 * generation in force is never touched.
 */
static void test_reload_during_a_walk(void **state)
{
	enum { N_OLD = 600, N_MID = 40, N_NEW = 40, GRACE_MS = 1000 };
	static struct peer peers[N_OLD + N_MID + N_NEW];
	static unsigned fins[65536];
	struct fx *fx = fx_new(TT_SYNCOOKIES_OFF);
	struct tt_conf_tcp tcp1 = fx->conf.tcp;
	struct tt_stack_rt rt1 = fx_gen(fx, 1, &tcp1);
	struct tt_stack_rt rt2 = fx_gen(fx, 2, rt1.conf);
	uint64_t t2 = 0;

	(void)state;
	memset(fins, 0, sizeof(fins));
	tcp1.reload_grace_ms = GRACE_MS;
	for (unsigned i = 0; i < N_OLD + N_MID + N_NEW; i++) {
		peers[i] = peer_at((uint16_t)(20000 + i));
		if (i == N_OLD)
			assert_int_equal(tt_stack_set_rt(fx->st, &rt1), 0);
		if (i == N_OLD + N_MID) {
			struct seen s[MAX_FRAMES];
			unsigned k;

			set_time(fx, fx->now + GRACE_MS);
			assert_true(tt_stack_timers(fx->st) >
				    0); /* one step of generation 0's walk */
			k = take(fx, s, MAX_FRAMES);
			for (unsigned j = 0; j < k; j++) {
				assert_true(s[j].dport < 20000 + N_OLD);
				fins[s[j].dport]++;
			}
			t2 = fx->now;
			assert_int_equal(tt_stack_set_rt(fx->st, &rt2), 0);
		}
		open_conn(fx, &peers[i]);
	}
	assert_true(fx->ctr.ev[TT_CTR_RELOAD_CLOSED] < N_OLD);
	retire_frames(fx, TT_TCP_FIN | TT_TCP_ACK, 20000 + N_OLD, fins);
	assert_int_equal(fx->ctr.ev[TT_CTR_RELOAD_CLOSED], N_OLD);
	for (unsigned i = 0; i < N_OLD; i++) { /* the peers take our FINs */
		peers[i].rcv_nxt++;
		ack(fx, &peers[i]);
	}
	set_time(fx, t2 + GRACE_MS - 1);
	retire_frames(fx, 0, 0, NULL);
	set_time(fx, t2 + GRACE_MS);
	retire_frames(fx, TT_TCP_FIN | TT_TCP_ACK, 20000 + N_OLD + N_MID, fins);
	for (unsigned i = 0; i < N_OLD + N_MID + N_NEW; i++)
		assert_int_equal(fins[peers[i].sport], i < N_OLD + N_MID);
	assert_int_equal(gauge(fx, TT_TCP_ESTABLISHED), N_NEW);
	fx_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drain_refuses_what_would_open),
	    cmocka_unit_test(test_syn_accepted_before_drain),
	    cmocka_unit_test(test_cookie_ack_refused_while_draining),
	    cmocka_unit_test(test_drain_closes_in_steps_and_ends_at_time_wait),
	    cmocka_unit_test(test_drain_not_cut_by_orphan_bound),
	    cmocka_unit_test(test_drain_walks_again_for_one_moved_behind),
	    cmocka_unit_test(test_drain_step_reads_bounded_slots),
	    cmocka_unit_test(test_handshake_completed_while_draining_is_closed),
	    cmocka_unit_test(test_deadline_aborts_everything_once),
	    cmocka_unit_test(test_earlier_deadline_aborts_now),
	    cmocka_unit_test(test_abort_syn_sent_silently),
	    cmocka_unit_test(test_replaced_generation_retired_in_steps),
	    cmocka_unit_test(test_retiring_waits_for_orphan_room),
	    cmocka_unit_test(test_reload_during_a_walk),
	    cmocka_unit_test(test_reset_goes_ahead_of_waiting_closes),
	    cmocka_unit_test(test_close_walked_again_for_one_moved_behind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
