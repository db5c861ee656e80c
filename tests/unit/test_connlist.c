/*
 * tt_connlist: the connection listing over a real tt_stack (stack_harness.h), and its mailbox.
 *
 * Covered: every row field against what the peers did (state, both addresses and ports, send
 * and receive queues, retransmissions, RTT, the timer and its remaining time, TIME-WAIT's
 * countdown); filters by state, by either side, by local or remote address and port, and
 * combined; the limit (0, 1, the maximum) against the total; an empty table; the walk's bound
 * per step; the parameter syntax, accepted and rejected; the mailbox protocol (a request the
 * worker has not taken can be withdrawn, a stale answer is dropped, a busy worker is reported
 * silent) and a query answered by worker threads, merged in worker order, or timed out.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "stack_harness.h"
#include "tt_conn_tbl.h"
#include "tt_connlist.h"

static const char head_close[] = "HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
static const char get_keep[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

static struct tt_connlist_req parse_ok(const char *params)
{
	struct tt_connlist_req q;
	char err[128] = "";

	if (tt_connlist_parse(params, &q, err, sizeof(err)) != 0)
		fail_msg("'%s' rejected: %s", params ? params : "(null)", err);
	return q;
}

/* The request answered by this thread as the worker would, step by step; returns the steps. */
static unsigned ask(const struct sh *h, const char *params, struct tt_connlist_reply *r)
{
	static struct tt_connlist_mbox mb;
	struct tt_connlist_req q = parse_ok(params);
	unsigned steps = 0;

	tt_connlist_mbox_init(&mb, 0);
	memset(r, 0, sizeof(*r));
	r->workers = 1;
	assert_true(tt_connlist_post(&mb, &q));
	while (tt_connlist_pending(&mb)) {
		assert_true(tt_connlist_serve(&mb, h->st));
		steps++;
	}
	assert_true(tt_connlist_take_answer(&mb, q.limit, r));
	assert_false(tt_connlist_serve(&mb, h->st));
	assert_int_equal(r->answered, 1);
	return steps;
}

static const struct tt_stack_conn *row_of(const struct tt_connlist_reply *r,
					  const struct sh_peer *p)
{
	for (uint32_t i = 0; i < r->all.n; i++) {
		const struct tt_flow4 *f = &r->all.rows[i].c.flow;

		if (f->saddr == p->addr && f->sport == p->port)
			return &r->all.rows[i].c;
	}
	fail_msg("peer %08x:%u not listed", p->addr, p->port);
	return NULL;
}

static void assert_row(const struct tt_stack_conn *c, const struct sh_peer *p,
		       enum tt_tcp_state state)
{
	assert_string_equal(tt_tcp_state_names[c->state], tt_tcp_state_names[state]);
	assert_int_equal(c->flow.daddr, SH_US_ADDR);
	assert_int_equal(c->flow.dport, p->dport);
	assert_int_equal(c->flow.saddr, p->addr);
	assert_int_equal(c->flow.sport, p->port);
}

/* One connection in each state a server holds: the peers, in order. */
enum { P_ESTAB, P_SYN_RECV, P_FIN_WAIT_2, P_TIME_WAIT, P_CLOSE_WAIT, P_FIN_WAIT_1, P_N };
enum { RTT_MS = 30 };

static struct sh *zoo(struct sh_peer **p)
{
	struct sh *h = sh_new();

	sh_http_body(h, 20000);
	sh_start(h);
	/* Our FIN acknowledged RTT_MS later, the peer's own never sent. */
	p[P_FIN_WAIT_2] = sh_peer_new(h, 80);
	sh_connect(p[P_FIN_WAIT_2]);
	sh_peer_send(p[P_FIN_WAIT_2], TT_TCP_ACK | TT_TCP_PSH, head_close, sizeof(head_close) - 1);
	h->now += RTT_MS;
	sh_deliver(h);
	p[P_ESTAB] = sh_peer_new(h, 9);
	sh_connect(p[P_ESTAB]);
	p[P_SYN_RECV] = sh_peer_new(h, 80);
	p[P_SYN_RECV]->acks = false;
	sh_peer_send(p[P_SYN_RECV], TT_TCP_SYN, NULL, 0);
	p[P_TIME_WAIT] = sh_server_closed(h);
	/* The peer's window shut on a response, then its FIN: ours waits behind the data. */
	p[P_CLOSE_WAIT] = sh_peer_new(h, 80);
	sh_connect(p[P_CLOSE_WAIT]);
	p[P_CLOSE_WAIT]->wnd = 0;
	sh_peer_send(p[P_CLOSE_WAIT], TT_TCP_ACK | TT_TCP_PSH, get_keep, sizeof(get_keep) - 1);
	sh_peer_send(p[P_CLOSE_WAIT], TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	/* A peer that acknowledges nothing after the handshake: our FIN stays unacknowledged. */
	p[P_FIN_WAIT_1] = sh_peer_new(h, 80);
	sh_connect(p[P_FIN_WAIT_1]);
	p[P_FIN_WAIT_1]->acks = false;
	sh_peer_send(p[P_FIN_WAIT_1], TT_TCP_ACK | TT_TCP_PSH, head_close, sizeof(head_close) - 1);
	sh_run(h, 0, 1, 1000);
	sh_drop_frames(h);
	return h;
}

static void test_rows_of_every_state(void **state)
{
	struct sh_peer *p[P_N];
	struct sh *h = zoo(p);
	const struct tt_conf_tcp *c = &h->conf.tcp;
	struct tt_connlist_reply r;
	const struct tt_stack_conn *e;

	(void)state;
	ask(h, NULL, &r);
	assert_int_equal(r.all.matched, P_N);
	assert_int_equal(r.all.n, P_N);
	e = row_of(&r, p[P_ESTAB]);
	assert_row(e, p[P_ESTAB], TT_TCP_ESTABLISHED);
	assert_string_equal(tt_tcp_timer_names[e->timer], "timeout"); /* idle */
	assert_int_equal(e->timer_ms, c->idle_timeout_ms);
	assert_int_equal(e->send_q, 0);
	e = row_of(&r, p[P_SYN_RECV]);
	assert_row(e, p[P_SYN_RECV], TT_TCP_SYN_RECEIVED);
	assert_string_equal(tt_tcp_timer_names[e->timer], "retransmit");
	assert_int_equal(e->timer_ms, c->rto_initial_ms);
	assert_int_equal(e->retrans, 0);
	e = row_of(&r, p[P_FIN_WAIT_2]);
	assert_row(e, p[P_FIN_WAIT_2], TT_TCP_FIN_WAIT_2);
	assert_string_equal(tt_tcp_timer_names[e->timer], "timeout");
	assert_int_equal(e->timer_ms, c->fin_wait_2_timeout_ms);
	assert_int_equal(e->srtt_ms8, RTT_MS << 3); /* the first sample (RFC 6298 2.2) */
	assert_int_equal(e->rttvar_ms4, (RTT_MS / 2) << 2);
	e = row_of(&r, p[P_TIME_WAIT]);
	assert_row(e, p[P_TIME_WAIT], TT_TCP_TIME_WAIT);
	assert_string_equal(tt_tcp_timer_names[e->timer], "time_wait");
	assert_int_equal(e->timer_ms, c->time_wait_ms);
	e = row_of(&r, p[P_CLOSE_WAIT]);
	assert_row(e, p[P_CLOSE_WAIT], TT_TCP_CLOSE_WAIT);
	assert_int_equal(e->send_q, h->http.keep_alive_len);
	e = row_of(&r, p[P_FIN_WAIT_1]);
	assert_row(e, p[P_FIN_WAIT_1], TT_TCP_FIN_WAIT_1);
	assert_string_equal(tt_tcp_timer_names[e->timer], "retransmit");
	assert_true(e->send_q > 0);

	/* 1.5 s later: the countdowns moved by as much, the unanswered FIN was sent again. */
	sh_advance(h, h->now + 1500);
	sh_drop_frames(h);
	ask(h, NULL, &r);
	assert_int_equal(row_of(&r, p[P_TIME_WAIT])->timer_ms, c->time_wait_ms - 1500);
	assert_int_equal(row_of(&r, p[P_ESTAB])->timer_ms, c->idle_timeout_ms - 1500);
	assert_int_equal(row_of(&r, p[P_FIN_WAIT_1])->retrans, 1);
	assert_int_equal(row_of(&r, p[P_SYN_RECV])->retrans, 1);
	sh_free(h);
}

static void test_receive_queue_is_what_waits_behind_a_hole(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;
	struct tt_connlist_reply r;
	uint8_t data[600] = {0};
	uint32_t nxt;

	(void)state;
	sh_start(h);
	p = sh_peer_new(h, 9);
	sh_connect(p);
	nxt = p->nxt;
	p->nxt = nxt + 1000; /* 1000 bytes missing before it */
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data, sizeof(data));
	ask(h, "state=established", &r);
	assert_int_equal(row_of(&r, p)->recv_q, sizeof(data));
	p->nxt = nxt;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data, 500);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, data, 500); /* the hole filled: all delivered */
	ask(h, "state=established", &r);
	assert_int_equal(row_of(&r, p)->recv_q, 0);
	sh_drop_frames(h);
	sh_free(h);
}

/* Which of the peers' connections a listing names, by their ports (bit per peer). */
static unsigned listed(const struct tt_connlist_reply *r, struct sh_peer *const *p, unsigned n)
{
	unsigned got = 0;

	for (uint32_t k = 0; k < r->all.n; k++)
		for (unsigned j = 0; j < n; j++)
			if (r->all.rows[k].c.flow.sport == p[j]->port)
				got |= 1u << j;
	return got;
}

struct filter_case {
	const char *params;
	unsigned peers; /* bit per P_* expected */
};

static void test_filters(void **state)
{
	struct sh_peer *p[P_N];
	struct sh *h = zoo(p);
	char buf[128];
	struct tt_connlist_reply r;
	const struct filter_case cases[] = {
	    {"state=established", 1u << P_ESTAB},
	    {"state=SYN-RECV", 1u << P_SYN_RECV},
	    {"state=time_wait,state=fin_wait_2", (1u << P_TIME_WAIT) | (1u << P_FIN_WAIT_2)},
	    {"state=closing", 0},
	    {"local=:9", 1u << P_ESTAB},
	    {"local=198.18.0.2:80", (1u << P_N) - 1 - (1u << P_ESTAB)},
	    {"local=198.18.0.2", (1u << P_N) - 1},
	    {"addr=198.18.0.2", (1u << P_N) - 1},
	    {"addr=:80,state=close_wait", 1u << P_CLOSE_WAIT},
	    {"addr=198.18.0.9", 0},
	    {"local=198.18.1.1", 0}, /* a peer's address is not our side */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned want = cases[i].peers, got;

		ask(h, cases[i].params, &r);
		got = listed(&r, p, P_N);
		if (got != want || r.all.matched != (uint64_t)__builtin_popcount(want))
			fail_msg("%s: peers %#x listed of %" PRIu64 " matched, want %#x",
				 cases[i].params, got, r.all.matched, want);
	}
	/* Each peer by its own address, either side or remote, with and without its port. */
	for (unsigned j = 0; j < P_N; j++) {
		const uint32_t a = p[j]->addr;
		const char *fmts[] = {"addr=%u.%u.%u.%u", "remote=%u.%u.%u.%u:%u",
				      "addr=%u.%u.%u.%u:%u"};

		for (size_t f = 0; f < 3; f++) {
			snprintf(buf, sizeof(buf), fmts[f], a >> 24, (a >> 16) & 0xff,
				 (a >> 8) & 0xff, a & 0xff, p[j]->port);
			ask(h, buf, &r);
			assert_int_equal(r.all.matched, 1);
			assert_int_equal(r.all.rows[0].c.flow.sport, p[j]->port);
		}
	}
	sh_free(h);
}

/*
 * IPv6 endpoints: an IPv6 address matches IPv6 connections only (established and TIME-WAIT,
 * whose keys hold a hash where IPv4 has addresses) and an IPv4 one IPv4 connections only.
 */
static void test_filters_ipv6(void **state)
{
	enum { V4, V6A, V6B, V6_TW, N };
	struct sh *h = sh_new();
	struct sh_peer *p[N];
	struct tt_connlist_reply r;
	char buf[128];
	const struct filter_case cases[] = {
	    {"addr=2001:2::100", 1u << V6A},
	    {"remote=[2001:2::101]", 1u << V6B},
	    {"local=[2001:2::2]:9", (1u << V6A) | (1u << V6B)},
	    {"local=2001:2::2", (1u << V6A) | (1u << V6B) | (1u << V6_TW)},
	    {"addr=[2001:2::2]:80,state=time_wait", 1u << V6_TW},
	    {"local=198.18.0.2", 1u << V4},
	    {"addr=:9", (1u << V4) | (1u << V6A) | (1u << V6B)},
	    {"addr=2001:2::999", 0},
	    {"local=[2001:2::2]:9,remote=198.18.1.1", 0}, /* two families: nothing */
	};

	(void)state;
	sh_start(h);
	p[V4] = sh_peer_new(h, 9);
	p[V6A] = sh_peer_new6(h, 9);
	p[V6B] = sh_peer_new6(h, 9);
	for (unsigned j = V4; j <= V6B; j++)
		sh_connect(p[j]);
	p[V6_TW] = sh_peer_new6(h, 80);
	p[V6_TW]->fin_back = true;
	sh_connect(p[V6_TW]);
	sh_peer_send(p[V6_TW], TT_TCP_ACK | TT_TCP_PSH, sh_get_close, sizeof(sh_get_close) - 1);
	sh_run(h, 0, 1, 100);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	sh_drop_frames(h);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned got;

		ask(h, cases[i].params, &r);
		got = listed(&r, p, N);
		if (got != cases[i].peers ||
		    r.all.matched != (uint64_t)__builtin_popcount(cases[i].peers))
			fail_msg("%s: peers %#x listed of %" PRIu64 " matched, want %#x",
				 cases[i].params, got, r.all.matched, cases[i].peers);
	}
	/* With its port, each IPv6 peer alone; with another's port, none. */
	snprintf(buf, sizeof(buf), "remote=[2001:2::100]:%u", p[V6A]->port);
	ask(h, buf, &r);
	assert_int_equal(listed(&r, p, N), 1u << V6A);
	snprintf(buf, sizeof(buf), "remote=[2001:2::100]:%u", p[V6B]->port);
	ask(h, buf, &r);
	assert_int_equal(r.all.matched, 0);
	sh_free(h);
}

static void test_empty_table(void **state)
{
	struct sh *h = sh_new();
	struct tt_connlist_reply r;

	(void)state;
	sh_start(h);
	ask(h, "", &r);
	assert_int_equal(r.all.matched, 0);
	assert_int_equal(r.all.n, 0);
	sh_free(h);
}

enum { MANY = 150 };

/* MANY half-open connections to dport from one peer address, ports 1000.. */
static struct sh *crowd_to(uint16_t dport)
{
	struct sh *h = sh_new();
	struct sh_peer *p;

	sh_start(h);
	p = sh_peer_new(h, dport);
	for (unsigned i = 0; i < MANY; i++) {
		p->port = (uint16_t)(1000 + i);
		sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	}
	sh_drop_frames(h);
	assert_int_equal(tt_stack_conn_count(h->st), MANY);
	return h;
}

static struct sh *crowd(void)
{
	return crowd_to(80);
}

static void test_limit_bounds_rows_not_total(void **state)
{
	struct sh *h = crowd();
	struct tt_connlist_reply r;
	bool seen[MANY] = {false};

	(void)state;
	ask(h, "limit=0", &r);
	assert_int_equal(r.all.n, 0);
	assert_int_equal(r.all.matched, MANY);
	ask(h, "limit=1", &r);
	assert_int_equal(r.all.n, 1);
	assert_int_equal(r.all.matched, MANY);
	ask(h, NULL, &r);
	assert_int_equal(r.all.n, TT_CONNLIST_DEFAULT);
	ask(h, "limit=75,state=syn_recv", &r);
	assert_int_equal(r.all.n, TT_CONNLIST_MAX);
	assert_int_equal(r.all.matched, MANY);
	for (uint32_t i = 0; i < r.all.n; i++) {
		unsigned k = r.all.rows[i].c.flow.sport - 1000u;

		assert_true(k < MANY);
		assert_false(seen[k]); /* each connection once */
		seen[k] = true;
	}
	sh_free(h);
}

/* A step reads at most TT_CONNLIST_READS_PER_STEP connections and walks at most
 * TT_CONNLIST_SLOTS_PER_STEP slots: MANY connections in 8192 + 192 slots take both bounds'
 * steps. */
static void test_walk_is_bounded_per_step(void **state)
{
	struct sh *h = crowd();
	struct tt_connlist_reply r;
	unsigned steps, slots = 2 * h->conf.tcp.max_conns_per_core + TT_CONN_TBL_MAX_PROBE;

	(void)state;
	steps = ask(h, "limit=0", &r);
	assert_int_equal(r.all.matched, MANY);
	assert_true(steps >= slots / TT_CONNLIST_SLOTS_PER_STEP);
	assert_true(steps >= (MANY + TT_CONNLIST_READS_PER_STEP - 1) / TT_CONNLIST_READS_PER_STEP);
	/* Connections that do not pass the address filter cost no read: slots alone bound it. */
	steps = ask(h, "addr=198.18.9.9", &r);
	assert_int_equal(r.all.matched, 0);
	assert_int_equal(steps,
			 (slots + TT_CONNLIST_SLOTS_PER_STEP - 1) / TT_CONNLIST_SLOTS_PER_STEP);
	sh_free(h);
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
	    "state=bogus",
	    "state=",
	    "state",
	    "=established",
	    "limit=76",
	    "limit=-1",
	    "limit=1x",
	    "limit=99999999999999999999",
	    "addr=1.2.3",
	    "addr=1.2.3.4:0",
	    "addr=1.2.3.4:65536",
	    "addr=:",
	    "addr=1.2.3.4:80:1",
	    "addr=01.2.3.4",
	    "addr=",
	    "local=a.b.c.d",
	    "foo=1",
	    "limit=1,limit=2",
	    "addr=1.2.3.4,addr=1.2.3.5",
	    "addr=[2001:2::1",
	    "addr=[2001:2::1]80",
	    "addr=[2001:2::1]:",
	    "addr=[2001:2::1]:0",
	    "addr=[2001:2::1]:65536",
	    "addr=[1.2.3.4]",
	    "addr=[]:80",
	    "addr=2001:2::1:80:1:2:3:4:5",
	    "addr=2001:2:::1",
	    "state=established,",
	    ",state=established",
	    "state=established,,limit=1",
	    "state=estab\"lished",
	};
	struct tt_connlist_req q;
	char err[128], longp[400];

	(void)state;
	q = parse_ok(NULL);
	assert_int_equal(q.limit, TT_CONNLIST_DEFAULT);
	assert_int_equal(q.states, 0);
	q = parse_ok("state=TIME-WAIT,state=syn_recv,limit=7,remote=198.18.0.1:80,local=:9,"
		     "addr=198.18.0.2");
	assert_int_equal(q.states, (1u << TT_TCP_TIME_WAIT) | (1u << TT_TCP_SYN_RECEIVED));
	assert_int_equal(q.limit, 7);
	assert_true(q.remote.has_addr && q.remote.has_port);
	assert_int_equal(q.remote.addr, 0xc6120001);
	assert_int_equal(q.remote.port, 80);
	assert_true(!q.local.has_addr && q.local.has_port && q.local.port == 9);
	assert_true(q.any.has_addr && !q.any.has_port && q.any.addr == 0xc6120002);
	q = parse_ok("addr=2001:2::1,remote=[2001:2::fffe]:65535,local=[::1]");
	assert_true(q.any.has_addr6 && !q.any.has_addr && !q.any.has_port);
	assert_int_equal(q.any.addr6[0], 0x20);
	assert_int_equal(q.any.addr6[3], 0x02);
	assert_int_equal(q.any.addr6[15], 0x01);
	assert_true(q.remote.has_addr6 && q.remote.has_port && q.remote.port == 65535);
	assert_int_equal(q.remote.addr6[14], 0xff);
	assert_int_equal(q.remote.addr6[15], 0xfe);
	assert_true(q.local.has_addr6 && !q.local.has_port && q.local.addr6[15] == 1);
	q = parse_ok("limit=0");
	assert_int_equal(q.limit, 0);
	q = parse_ok("limit=75");
	assert_int_equal(q.limit, TT_CONNLIST_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (tt_connlist_parse(bad[i], &q, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '"')); /* safe inside a JSON string */
	}
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(tt_connlist_parse(longp, &q, err, sizeof(err)), -EINVAL);
}

static void test_mailbox_protocol(void **state)
{
	struct sh *h = crowd();
	static struct tt_connlist_mbox mb;
	struct tt_connlist_req q = parse_ok("limit=5");
	struct tt_connlist_reply r = {.workers = 1};

	(void)state;
	tt_connlist_mbox_init(&mb, 3);
	assert_false(tt_connlist_pending(&mb));
	assert_false(tt_connlist_serve(&mb, h->st));
	/* Withdrawn before the worker saw it: the worker does nothing. */
	assert_true(tt_connlist_post(&mb, &q));
	tt_connlist_cancel(&mb);
	assert_false(tt_connlist_pending(&mb));
	assert_false(tt_connlist_serve(&mb, h->st));
	/* Taken: it can no longer be withdrawn, and a new request must wait. */
	assert_true(tt_connlist_post(&mb, &q));
	assert_true(tt_connlist_serve(&mb, h->st));
	tt_connlist_cancel(&mb);
	assert_true(tt_connlist_pending(&mb));
	assert_false(tt_connlist_post(&mb, &q));
	assert_false(tt_connlist_take_answer(&mb, q.limit, &r));
	while (tt_connlist_pending(&mb))
		tt_connlist_serve(&mb, h->st);
	/* A stale answer (its asker gone) is dropped by the next post. */
	assert_true(tt_connlist_post(&mb, &q));
	while (tt_connlist_pending(&mb))
		tt_connlist_serve(&mb, h->st);
	assert_true(tt_connlist_take_answer(&mb, q.limit, &r));
	assert_int_equal(r.all.n, 5);
	assert_int_equal(r.all.matched, MANY);
	assert_int_equal(r.all.rows[0].worker, 3);
	sh_free(h);
}

/* ---- queries answered by worker threads ---------------------------------------------------- */

struct worker_thread {
	pthread_t tid;
	struct tt_connlist_mbox mb;
	const struct sh *h;
	bool stop; /* atomic */
};

static void *serve_loop(void *arg)
{
	struct worker_thread *w = arg;
	const struct timespec nap = {.tv_nsec = 20 * 1000};

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		if (tt_connlist_pending(&w->mb))
			tt_connlist_serve(&w->mb, w->h->st);
		else
			nanosleep(&nap, NULL);
	}
	return NULL;
}

/* Threads serving the mailboxes of w[0..n) over the stacks hs[0..n) (NULL: mailbox only). */
static void start_workers(struct worker_thread *w, struct sh *const *hs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		tt_connlist_mbox_init(&w[i].mb, (uint16_t)i);
		w[i].h = hs[i];
		w[i].stop = false;
		if (hs[i] != NULL)
			assert_int_equal(pthread_create(&w[i].tid, NULL, serve_loop, &w[i]), 0);
	}
}

static void stop_workers(struct worker_thread *w, struct sh *const *hs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (hs[i] == NULL)
			continue;
		__atomic_store_n(&w[i].stop, true, __ATOMIC_RELEASE);
		pthread_join(w[i].tid, NULL);
		sh_free(hs[i]);
	}
}

static double since_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_query_merges_workers_in_order(void **state)
{
	struct sh *hs[2] = {crowd(), crowd_to(9)};
	static struct worker_thread w[2];
	struct tt_connlist_mbox *mbs[2] = {&w[0].mb, &w[1].mb};
	struct tt_connlist_req q = parse_ok("limit=75");
	static struct tt_connlist_reply r;

	(void)state;
	start_workers(w, hs, 2);
	for (unsigned round = 0; round < 3; round++) {
		tt_connlist_query(mbs, 2, &q, 5000, &r);
		assert_int_equal(r.workers, 2);
		assert_int_equal(r.answered, 2);
		assert_int_equal(r.silent, 0);
		assert_int_equal(r.all.matched, 2 * MANY);
		assert_int_equal(r.all.n, TT_CONNLIST_MAX);
		for (uint32_t k = 0; k < r.all.n; k++) /* worker 0 had enough for every row */
			assert_int_equal(r.all.rows[k].worker, 0);
	}
	/* Nothing of worker 0's matches: the rows are worker 1's. */
	q = parse_ok("limit=3,local=:9");
	tt_connlist_query(mbs, 2, &q, 5000, &r);
	assert_int_equal(r.all.matched, MANY);
	assert_int_equal(r.all.n, 3);
	for (uint32_t k = 0; k < r.all.n; k++)
		assert_int_equal(r.all.rows[k].worker, 1);
	q = parse_ok("limit=3,state=time_wait");
	tt_connlist_query(mbs, 2, &q, 5000, &r);
	assert_int_equal(r.all.matched, 0);
	assert_int_equal(r.answered, 2);
	stop_workers(w, hs, 2);
}

/* Many queries in a row, with changing filters and limits: every answer is its own request's. */
static void test_queries_in_a_row_get_their_own_answers(void **state)
{
	struct sh *hs[2] = {crowd(), crowd_to(9)};
	static struct worker_thread w[2];
	struct tt_connlist_mbox *mbs[2] = {&w[0].mb, &w[1].mb};
	static struct tt_connlist_reply r;
	const struct {
		const char *params;
		uint64_t matched;
		uint32_t n;
	} cases[] = {
	    {"limit=0", 2 * MANY, 0},	     {"local=198.18.0.2", 2 * MANY, TT_CONNLIST_DEFAULT},
	    {"local=:9,limit=75", MANY, 75}, {"addr=198.18.0.3", 0, 0},
	    {"limit=7,local=:80", MANY, 7},
	};

	(void)state;
	start_workers(w, hs, 2);
	for (unsigned k = 0; k < 2000; k++) {
		unsigned c = k % (sizeof(cases) / sizeof(cases[0]));
		struct tt_connlist_req q = parse_ok(cases[c].params);

		tt_connlist_query(mbs, 2, &q, 5000, &r);
		if (r.answered != 2 || r.all.matched != cases[c].matched || r.all.n != cases[c].n)
			fail_msg("query %u (%s): %u answered, %" PRIu64 " matched, %u listed", k,
				 cases[c].params, r.answered, r.all.matched, r.all.n);
	}
	stop_workers(w, hs, 2);
}

static void test_query_times_out_on_a_silent_worker(void **state)
{
	struct sh *hs[2] = {crowd(), NULL}; /* worker 1 never answers */
	static struct worker_thread w[2];
	struct tt_connlist_mbox *mbs[2] = {&w[0].mb, &w[1].mb};
	struct tt_connlist_req q = parse_ok("limit=10");
	static struct tt_connlist_reply r;
	struct timespec t0;
	double took;

	(void)state;
	start_workers(w, hs, 2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tt_connlist_query(mbs, 2, &q, 200, &r);
	took = since_ms(&t0);
	assert_true(took >= 200 && took < 2000);
	assert_int_equal(r.answered, 1);
	assert_int_equal(r.silent, 1u << 1);
	assert_int_equal(r.all.matched, MANY);
	assert_int_equal(r.all.n, 10);
	/* The silent worker's request was withdrawn: its mailbox is free again. */
	assert_false(tt_connlist_pending(&w[1].mb));
	stop_workers(w, hs, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows_of_every_state),
	    cmocka_unit_test(test_receive_queue_is_what_waits_behind_a_hole),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_filters_ipv6),
	    cmocka_unit_test(test_empty_table),
	    cmocka_unit_test(test_limit_bounds_rows_not_total),
	    cmocka_unit_test(test_walk_is_bounded_per_step),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_mailbox_protocol),
	    cmocka_unit_test(test_query_merges_workers_in_order),
	    cmocka_unit_test(test_queries_in_a_row_get_their_own_answers),
	    cmocka_unit_test(test_query_times_out_on_a_silent_worker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
