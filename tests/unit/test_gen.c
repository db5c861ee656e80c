/*
 * Tests of the load generator's pieces that need no NIC: the latency
 * histogram (gen_hist) against exact quantiles of sorted samples, and the
 * HTTP client application (gen_http) driven through its callbacks on bare
 * TCBs, then once through the TCP state machine with the packet harness.
 * gen_http reads the TSC (rte_rdtsc, inline) but needs no EAL.
 */
#include <stdio.h>

#include "gen_hist.h"
#include "gen_http.h"
#include "tcp_harness.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- gen_hist ---- */

static const double quantiles[] = {0,	 0.001, 0.01, 0.1,   0.25,   0.5,
				   0.75, 0.9,	0.99, 0.999, 0.9999, 1.0};

static struct gen_hist *hist_new(void)
{
	struct gen_hist *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	return h;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The sample at quantile q of n sorted samples: the one of rank floor(q * n), the last for 1. */
static uint64_t exact_quantile(const uint64_t *sorted, uint64_t n, double q)
{
	uint64_t rank = (uint64_t)(q * (double)n);

	return sorted[rank < n ? rank : n - 1];
}

/* Never below the true value, and above it by less than 1/32 of it. */
static void assert_close(uint64_t got, uint64_t exact)
{
	if (got < exact || (got - exact) * 32 > exact)
		fail_msg("histogram says %llu, exact %llu", (unsigned long long)got,
			 (unsigned long long)exact);
}

static void test_hist_empty(void **state)
{
	struct gen_hist *h = hist_new(), *other = hist_new();

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(quantiles); i++)
		assert_int_equal(gen_hist_quantile(h, quantiles[i]), 0);
	gen_hist_merge(h, other);
	assert_int_equal(h->n, 0);
	assert_int_equal(gen_hist_quantile(h, 0.5), 0);
	free(other);
	free(h);
}

/* One sample: every quantile is the upper edge of its bucket. */
static void test_hist_bucket_edges(void **state)
{
	static const struct {
		uint64_t v, upper;
	} cases[] = {
	    {0, 0},
	    {1, 1},
	    {31, 31},
	    {32, 32},
	    {63, 63},
	    {64, 65},
	    {65, 65},
	    {66, 67},
	    {127, 127},
	    {128, 131},
	    {1000, 1007},
	    {1023, 1023},
	    {1024, 1055},
	    {(1ull << 40) - 1, (1ull << 40) - 1},
	    {1ull << 40, (33ull << 35) - 1},
	    {(1ull << 40) + (1ull << 35), (34ull << 35) - 1},
	    {UINT64_MAX, UINT64_MAX},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct gen_hist *h = hist_new();

		print_message("case: %llu\n", (unsigned long long)cases[i].v);
		gen_hist_add(h, cases[i].v);
		assert_int_equal(h->n, 1);
		for (unsigned k = 0; k < ARRAY_LEN(quantiles); k++)
			assert_int_equal(gen_hist_quantile(h, quantiles[k]), cases[i].upper);
		assert_close(cases[i].upper, cases[i].v);
		free(h);
	}
}

static uint64_t d_uniform(uint64_t *rng, uint64_t i)
{
	(void)i;
	return xorshift(rng) % 1000000;
}

/* Geometric scale, uniform within it: a long tail, like latencies. */
static uint64_t d_tail(uint64_t *rng, uint64_t i)
{
	uint64_t x = xorshift(rng);
	unsigned k = (unsigned)__builtin_ctzll(x | (1ull << 30));
	uint64_t base = 50ull << k;

	(void)i;
	return base + xorshift(rng) % base;
}

static uint64_t d_constant(uint64_t *rng, uint64_t i)
{
	(void)rng;
	(void)i;
	return 1000;
}

/* Just below, at and just above bucket edges, over 2^5 .. 2^40. */
static uint64_t d_edges(uint64_t *rng, uint64_t i)
{
	unsigned p = 5 + (unsigned)(i % 36);
	uint64_t s = xorshift(rng) % GEN_HIST_SUB;
	uint64_t edge = (GEN_HIST_SUB + s) << (p - GEN_HIST_SUB_BITS);

	return edge - 1 + i / 36 % 3;
}

/* Mostly zeros, some small exact values. */
static uint64_t d_zeros(uint64_t *rng, uint64_t i)
{
	(void)i;
	return xorshift(rng) % 4 == 0 ? xorshift(rng) % 40 : 0;
}

static uint64_t d_large(uint64_t *rng, uint64_t i)
{
	if (i % 100 == 0)
		return 1ull << 40;
	return (1ull << 30) + xorshift(rng) % ((1ull << 40) - (1ull << 30));
}

static void test_hist_distributions(void **state)
{
	static const struct {
		const char *name;
		uint64_t (*draw)(uint64_t *rng, uint64_t i);
	} cases[] = {
	    {"uniform", d_uniform},    {"long tail", d_tail}, {"constant", d_constant},
	    {"bucket edges", d_edges}, {"zeros", d_zeros},    {"large, up to 2^40", d_large},
	};
	enum { N = 20011 };
	uint64_t *v = malloc(N * sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct gen_hist *h = hist_new();
		uint64_t rng = 0x9e3779b97f4a7c15ull + i;

		print_message("case: %s\n", cases[i].name);
		for (uint64_t k = 0; k < N; k++) {
			v[k] = cases[i].draw(&rng, k);
			gen_hist_add(h, v[k]);
		}
		assert_int_equal(h->n, N);
		qsort(v, N, sizeof(*v), cmp_u64);
		for (unsigned k = 0; k < ARRAY_LEN(quantiles); k++)
			assert_close(gen_hist_quantile(h, quantiles[k]),
				     exact_quantile(v, N, quantiles[k]));
		/* Quantiles never go down as q grows. */
		for (unsigned k = 1; k < ARRAY_LEN(quantiles); k++)
			assert_true(gen_hist_quantile(h, quantiles[k - 1]) <=
				    gen_hist_quantile(h, quantiles[k]));
		free(h);
	}
	free(v);
}

/*
 * The bucket walk a report draws its CDF from: ascending edges, counts that add up to n, and
 * at every edge the cumulative count agrees with the quantiles (the walk and gen_hist_quantile
 * see the same buckets).
 */
static void test_hist_walk(void **state)
{
	static const uint64_t v[] = {0, 0, 5, 31, 32, 64, 65, 1000, 1001, 1023, 1024, 1ull << 40};
	struct gen_hist *h = hist_new();
	uint64_t upper, count, prev = 0, seen = 0;
	unsigned pos = 0, buckets = 0;

	(void)state;
	assert_int_equal(gen_hist_next(h, &pos, &upper, &count), 0);
	for (unsigned i = 0; i < ARRAY_LEN(v); i++)
		gen_hist_add(h, v[i]);
	pos = 0;
	while (gen_hist_next(h, &pos, &upper, &count)) {
		assert_true(buckets == 0 || upper > prev);
		assert_true(count > 0);
		seen += count;
		/* The last value at or below this edge is the quantile of its rank. */
		assert_int_equal(gen_hist_quantile(h, ((double)seen - 0.5) / (double)h->n), upper);
		prev = upper;
		buckets++;
	}
	assert_int_equal(seen, h->n);
	/* 0 twice, 5, 31, 32, 64-65, 1000-1007 twice, 1023, 1024-1055, 2^40: 9 buckets. */
	assert_int_equal(buckets, 9);
	assert_int_equal(prev, (33ull << 35) - 1);
	assert_int_equal(gen_hist_next(h, &pos, &upper, &count), 0);
	free(h);
}

/* Merging per-lcore histograms is the same as recording every sample in one. */
static void test_hist_merge(void **state)
{
	enum { PARTS = 3, N = 9000 };
	struct gen_hist *part[PARTS], *all = hist_new(), *merged = hist_new();
	uint64_t rng = 12345;

	(void)state;
	for (unsigned p = 0; p < PARTS; p++)
		part[p] = hist_new();
	for (unsigned k = 0; k < N; k++) {
		uint64_t x = d_tail(&rng, k) + (k % 7 == 0 ? 1ull << 38 : 0);

		gen_hist_add(all, x);
		/* Uneven parts: one gets half, one gets none of the large values. */
		gen_hist_add(part[k % 2 ? 0 : (k % 7 == 0 ? 1 : 2)], x);
	}
	for (unsigned p = 0; p < PARTS; p++)
		gen_hist_merge(merged, part[p]);
	assert_int_equal(merged->n, N);
	assert_memory_equal(merged, all, sizeof(*all));
	for (unsigned k = 0; k < ARRAY_LEN(quantiles); k++)
		assert_int_equal(gen_hist_quantile(merged, quantiles[k]),
				 gen_hist_quantile(all, quantiles[k]));
	/* Into a non-empty one: counts add up. */
	gen_hist_merge(part[0], part[1]);
	assert_int_equal(part[0]->n, N - part[2]->n);
	for (unsigned p = 0; p < PARTS; p++)
		free(part[p]);
	free(all);
	free(merged);
}

/* ---- gen_http on bare TCBs ---- */

static const char req_ka[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
static const char req_close[] = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

struct fix {
	struct gen_http_stats s;
	struct tt_counters ctr;
	struct tt_conf_tcp conf; /* a send block's initial window */
	struct tt_tcp_ctx ctx;
	struct tt_tcb t;
	struct tt_http_response resp; /* what the appliance answers */
};

static void no_release(void *arg, void *owner)
{
	(void)arg;
	(void)owner;
	fail_msg("the generator's requests have no owner to release");
}

static void no_retain(void *arg, void *owner)
{
	(void)arg;
	(void)owner;
	fail_msg("the generator's requests have no owner to retain");
}

static struct fix *fix_new(uint32_t per_conn, uint32_t depth, uint32_t body_len,
			   enum gen_close_mode mode, bool hold)
{
	static const char *const hdrs[] = {"Content-Type: text/plain", "Server: tcpterm"};
	struct fix *f = calloc(1, sizeof(*f));
	uint8_t *body = malloc(body_len + 1);

	assert_non_null(f);
	assert_non_null(body);
	for (uint32_t i = 0; i < body_len; i++)
		body[i] = (uint8_t)('a' + i % 26);
	assert_int_equal(tt_http_response_build(&f->resp, 200, hdrs, 2, body, body_len), 0);
	free(body);
	f->s.p = (struct gen_http_params){
	    .pipeline_depth = depth,
	    .body_len = body_len,
	    .hold = hold,
	    .tsc_per_us = 1000,
	};
	f->s.plan[0] = (struct gen_http_plan){per_conn, mode};
	f->s.request = (const uint8_t *)req_ka;
	f->s.request_len = (uint32_t)strlen(req_ka);
	f->s.request_close = (const uint8_t *)req_close;
	f->s.request_close_len = (uint32_t)strlen(req_close);
	f->ctx.ctr = &f->ctr;
	f->conf.initial_cwnd_segments = 10;
	f->ctx.conf = &f->conf;
	f->ctx.app_data = &f->s;
	f->ctx.release = no_release;
	f->ctx.retain = no_retain;
	f->ctx.sndb_pool = tt_pool_create(1, sizeof(struct tt_sndb));
	assert_non_null(f->ctx.sndb_pool);
	f->t.sndb = TT_SNDB_NONE;
	assert_int_equal(gen_http_attach(&f->s, &f->t, 1), 0);
	return f;
}

/* The bare TCB gives its send block back, as tt_tcp_destroy would. */
static void put_block(struct fix *f)
{
	if (f->t.sndb != TT_SNDB_NONE)
		tt_pool_put(f->ctx.sndb_pool, f->t.sndb);
	f->t.sndb = TT_SNDB_NONE;
}

static void fix_free(struct fix *f)
{
	put_block(f);
	assert_int_equal(tt_pool_in_use(f->ctx.sndb_pool), 0);
	tt_pool_free(f->ctx.sndb_pool);
	tt_http_response_free(&f->resp);
	gen_http_detach(&f->s);
	free(f);
}

/* The connection's send queue; an empty one while it holds no send block. */
static const struct tt_sndq *queue_of(const struct fix *f)
{
	static const struct tt_sndq empty;
	const struct tt_sndb *b = tt_tcp_sndb(&f->ctx, &f->t);

	return b != NULL ? &b->q : &empty;
}

/* A new connection of application app, as the worker and the scenario loop start it. */
static void conn_start_app(struct fix *f, uint8_t app)
{
	put_block(f); /* the fixture's previous connection's, if any */
	memset(&f->t, 0, sizeof(f->t));
	f->t.sndb = TT_SNDB_NONE;
	f->t.app = app;
	f->t.state = TT_TCP_SYN_SENT;
	gen_http_started(&f->s, &f->t);
}

static void conn_start(struct fix *f)
{
	conn_start_app(f, 0);
}

/* ... and the handshake completes. */
static void conn_open_app(struct fix *f, uint8_t app)
{
	conn_start_app(f, app);
	f->t.state = TT_TCP_ESTABLISHED;
	gen_http_app.on_open(&f->ctx, &f->t);
}

static void conn_open(struct fix *f)
{
	conn_open_app(f, 0);
}

static void feed(struct fix *f, const void *data, uint32_t len)
{
	assert_int_equal(gen_http_app.on_data(&f->ctx, &f->t, data, len, NULL), len);
}

/* The connection goes away for the given reason. */
static void conn_end(struct fix *f, enum tt_close_reason why)
{
	f->t.close_reason = (uint8_t)why;
	gen_http_app.on_close(&f->ctx, &f->t);
}

/* The peer acknowledged every request: the send queue empties. */
static void acked(struct fix *f)
{
	struct tt_sndb *b = tt_tcp_sndb(&f->ctx, &f->t);

	if (b != NULL)
		tt_sndq_ack(&b->q, b->q.bytes, f->ctx.release, NULL);
}

static uint64_t failed_total(const struct fix *f)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < GEN_FAIL_COUNT; i++)
		n += f->s.failed[i];
	return n;
}

static bool fin_queued(const struct fix *f)
{
	return f->t.flags & TT_TCB_FIN_QUEUED;
}

/* Requests in the send queue: a request repeated back to back shares one extent (reps). */
static unsigned queued_requests(const struct fix *f)
{
	const struct tt_sndq *q = queue_of(f);
	unsigned n = 0;

	for (unsigned i = 0; i < q->count; i++)
		n += q->ext[(q->head + i) % TT_SNDQ_EXTENTS].reps;
	return n;
}

/* Request i of the send queue is the keep-alive (false) or the close form (true). */
static void expect_request(const struct fix *f, unsigned i, bool close)
{
	const struct tt_sndq *q = queue_of(f);
	const struct tt_sndq_ext *e = NULL;

	for (unsigned k = 0; k < q->count; k++) {
		e = &q->ext[(q->head + k) % TT_SNDQ_EXTENTS];
		if (i < e->reps)
			break;
		i -= e->reps;
		e = NULL;
	}
	assert_non_null(e);
	assert_ptr_equal(e->data, close ? f->s.request_close : f->s.request);
	assert_int_equal(e->len, close ? f->s.request_close_len : f->s.request_len);
	assert_null(e->owner);
}

/* Each response cut in two at every byte, and fed one byte at a time. */
static void test_http_split(void **state)
{
	static const uint32_t bodies[] = {64, 0, 1, 1000};

	(void)state;
	for (unsigned b = 0; b < ARRAY_LEN(bodies); b++) {
		struct fix *f = fix_new(0, 1, bodies[b], GEN_CLOSE_CLIENT, false);
		const uint8_t *r = f->resp.keep_alive;
		uint32_t len = f->resp.keep_alive_len;
		uint64_t n = 0;

		print_message("case: body %u\n", bodies[b]);
		for (uint32_t cut = 0; cut <= len; cut++) {
			conn_open(f);
			expect_request(f, 0, false);
			feed(f, r, cut);
			assert_int_equal(f->s.responses_ok, n + (cut == len));
			feed(f, r + cut, len - cut);
			assert_int_equal(f->s.responses_ok, ++n);
			/* Unlimited requests: the next one goes as soon as this is answered. */
			assert_int_equal(queued_requests(f), 2);
			expect_request(f, 1, false);
			conn_end(f, TT_CLOSE_NORMAL);
		}
		conn_open(f);
		for (uint32_t i = 0; i < len; i++)
			feed(f, r + i, 1);
		assert_int_equal(f->s.responses_ok, ++n);
		conn_end(f, TT_CLOSE_NORMAL);
		/* Each connection ended with its next request in flight: closed early. */
		assert_int_equal(f->s.failed[GEN_FAIL_EARLY_CLOSE], n);
		assert_int_equal(failed_total(f), n);
		assert_int_equal(f->s.body_bytes_verified, n * bodies[b]);
		assert_int_equal(f->s.request_us.n, n);
		assert_int_equal(f->s.conns_open, 0);
		fix_free(f);
	}
}

static void test_http_pipelined(void **state)
{
	struct fix *f = fix_new(3, 3, 64, GEN_CLOSE_CLIENT, false);
	uint32_t len = f->resp.keep_alive_len;
	uint8_t *three = malloc(3 * len);

	(void)state;
	assert_non_null(three);
	for (unsigned i = 0; i < 3; i++)
		memcpy(three + i * len, f->resp.keep_alive, len);
	conn_open(f);
	assert_int_equal(f->s.requests_sent, 3);
	/* The same request three times: one extent of three copies. */
	assert_int_equal(queue_of(f)->count, 1);
	assert_int_equal(queued_requests(f), 3);
	for (unsigned i = 0; i < 3; i++)
		expect_request(f, i, false);
	assert_int_equal(queue_of(f)->bytes, 3 * f->s.request_len);
	/* The three answers in one piece, cut inside the second. */
	feed(f, three, len + 10);
	assert_int_equal(f->s.responses_ok, 1);
	assert_false(fin_queued(f));
	feed(f, three + len + 10, 2 * len - 10);
	assert_int_equal(f->s.responses_ok, 3);
	assert_int_equal(f->s.requests_sent, 3);
	assert_int_equal(f->s.body_bytes_verified, 3 * 64);
	assert_int_equal(f->s.request_us.n, 3);
	assert_true(fin_queued(f));
	conn_end(f, TT_CLOSE_NORMAL);
	assert_int_equal(f->s.conns_completed, 1);
	assert_int_equal(failed_total(f), 0);
	free(three);
	fix_free(f);
}

/*
 * The first response parsed whole becomes the reference; later whole ones that equal it are
 * accepted by comparison, and one wrong byte anywhere still fails the connection.
 */
static void test_http_reference(void **state)
{
	struct fix *f = fix_new(0, 1, 64, GEN_CLOSE_CLIENT, false);
	uint32_t len = f->resp.keep_alive_len;
	uint32_t head = f->resp.keep_alive_hdr_len;
	uint8_t *r = malloc(2 * len);
	uint64_t ok, by_ref = 0, failed;

	(void)state;
	assert_non_null(r);
	/* Cut in two, the response is parsed but not learnt. */
	conn_open(f);
	feed(f, f->resp.keep_alive, head);
	feed(f, f->resp.keep_alive + head, len - head);
	assert_int_equal(f->s.ref_len, 0);
	conn_end(f, TT_CLOSE_NORMAL);
	/* Whole, it is learnt. */
	conn_open(f);
	feed(f, f->resp.keep_alive, len);
	assert_int_equal(f->s.ref_len, len);
	assert_memory_equal(f->s.ref, f->resp.keep_alive, len);
	assert_int_equal(f->s.responses_by_ref, 0);
	ok = 2;
	conn_end(f, TT_CLOSE_NORMAL);
	/* Two equal ones in one piece: both by comparison. */
	memcpy(r, f->resp.keep_alive, len);
	memcpy(r + len, f->resp.keep_alive, len);
	conn_open(f);
	feed(f, r, 2 * len);
	ok += 2;
	by_ref += 2;
	assert_int_equal(f->s.responses_ok, ok);
	assert_int_equal(f->s.responses_by_ref, by_ref);
	assert_int_equal(f->s.body_bytes_verified, ok * 64);
	assert_int_equal(f->s.request_us.n, ok);
	conn_end(f, TT_CLOSE_NORMAL);
	/* Each connection above ended with its next request in flight: closed early. */
	failed = failed_total(f);
	assert_int_equal(f->s.failed[GEN_FAIL_EARLY_CLOSE], failed);
	/*
	 * A wrong byte at any place of a whole response, after a good one in the same piece: the
	 * verdict is the parser's own (g, fed a byte at a time, never learns a reference).  Most
	 * head bytes are not checked; a flip in the body, the status line, Content-Length or the
	 * head's end fails.
	 */
	for (uint32_t pos = 0; pos < len; pos++) {
		struct fix *g = fix_new(0, 1, 64, GEN_CLOSE_CLIENT, false);

		memcpy(r + len, f->resp.keep_alive, len);
		r[len + pos] ^= 0x01;
		conn_open(f);
		feed(f, r, 2 * len);
		conn_open(g);
		for (uint32_t i = 0; i < 2 * len; i++)
			feed(g, r + i, 1);
		assert_int_equal(g->s.ref_len, 0);
		by_ref++;
		assert_int_equal(f->s.responses_by_ref, by_ref);
		assert_int_equal(f->s.responses_ok - ok, g->s.responses_ok);
		assert_int_equal(failed_total(f) - failed, failed_total(g));
		assert_int_equal(fin_queued(f), fin_queued(g));
		if (pos >= head)
			assert_int_equal(g->s.failed[GEN_FAIL_BAD_DATA], 1);
		conn_end(f, TT_CLOSE_NORMAL);
		ok = f->s.responses_ok;
		failed = failed_total(f);
		fix_free(g);
	}
	assert_true(failed >= 64 + 13); /* the body, the status line */
	/* The reference stays the good response. */
	assert_memory_equal(f->s.ref, f->resp.keep_alive, len);
	free(r);
	fix_free(f);
}

/* A deeper pipeline than the request budget, refilled as answers come. */
static void test_http_pipeline_refill(void **state)
{
	struct fix *f = fix_new(5, 2, 10, GEN_CLOSE_CLIENT, false);
	static const uint64_t sent_after[] = {3, 4, 5, 5, 5};

	(void)state;
	conn_open(f);
	assert_int_equal(f->s.requests_sent, 2);
	for (unsigned i = 0; i < ARRAY_LEN(sent_after); i++) {
		assert_false(fin_queued(f));
		feed(f, f->resp.keep_alive, f->resp.keep_alive_len);
		assert_int_equal(f->s.responses_ok, i + 1);
		assert_int_equal(f->s.requests_sent, sent_after[i]);
	}
	assert_true(fin_queued(f));
	conn_end(f, TT_CLOSE_NORMAL);
	assert_int_equal(f->s.conns_completed, 1);
	fix_free(f);
}

/* One run, several kinds of client: each connection follows the plan of its application index. */
static void test_http_plans(void **state)
{
	struct fix *f = fix_new(1, 1, 64, GEN_CLOSE_CLIENT, false);
	const struct tt_http_response *r = &f->resp;

	(void)state;
	f->s.plan[1] = (struct gen_http_plan){1, GEN_CLOSE_SERVER};
	f->s.plan[2] = (struct gen_http_plan){3, GEN_CLOSE_CLIENT};

	conn_open(f); /* application 0: one request, then our FIN */
	expect_request(f, 0, false);
	feed(f, r->keep_alive, r->keep_alive_len);
	assert_true(fin_queued(f));
	conn_end(f, TT_CLOSE_NORMAL);

	conn_open_app(f, 1); /* one request asking the server to close; we wait for its FIN */
	expect_request(f, 0, true);
	feed(f, r->close, r->close_len);
	assert_false(fin_queued(f));
	gen_http_app.on_peer_fin(&f->ctx, &f->t);
	assert_true(fin_queued(f));
	conn_end(f, TT_CLOSE_NORMAL);

	conn_open_app(f, 2); /* three keep-alive requests, then our FIN */
	for (unsigned i = 0; i < 3; i++) {
		assert_false(fin_queued(f));
		expect_request(f, 0, false);
		acked(f);
		feed(f, r->keep_alive, r->keep_alive_len);
	}
	assert_true(fin_queued(f));
	conn_end(f, TT_CLOSE_NORMAL);

	assert_int_equal(f->s.requests_sent, 5);
	assert_int_equal(f->s.responses_ok, 5);
	assert_int_equal(f->s.conns_completed, 3);
	assert_int_equal(failed_total(f), 0);
	fix_free(f);
}

static void test_http_failures(void **state)
{
	static const struct {
		const char *name;
		const char *head; /* followed by the 64-byte body */
		enum gen_failure want;
	} cases[] = {
	    {"404", "HTTP/1.1 404 Not Found\r\nContent-Length: 64\r\n\r\n", GEN_FAIL_BAD_STATUS},
	    {"500", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 64\r\n\r\n",
	     GEN_FAIL_BAD_STATUS},
	    {"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 64\r\n\r\n", GEN_FAIL_BAD_STATUS},
	    {"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", GEN_FAIL_BAD_STATUS},
	    {"2000", "HTTP/1.1 2000 OK\r\nContent-Length: 64\r\n\r\n", GEN_FAIL_BAD_STATUS},
	    {"shorter length", "HTTP/1.1 200 OK\r\nContent-Length: 63\r\n\r\n", GEN_FAIL_BAD_DATA},
	    {"longer length", "HTTP/1.1 200 OK\r\nContent-Length: 640\r\n\r\n", GEN_FAIL_BAD_DATA},
	    {"no length", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", GEN_FAIL_BAD_DATA},
	    {"length in another header", "HTTP/1.1 200 OK\r\nX-Content-Length: 64\r\n\r\n",
	     GEN_FAIL_BAD_DATA},
	};
	char buf[256];

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct fix *f = fix_new(1, 1, 64, GEN_CLOSE_CLIENT, false);
		int n = snprintf(buf, sizeof(buf), "%s", cases[i].head);

		print_message("case: %s\n", cases[i].name);
		for (int k = 0; k < 64; k++)
			buf[n + k] = (char)('a' + k % 26);
		conn_open(f);
		feed(f, buf, (uint32_t)n + 64);
		assert_int_equal(f->s.failed[cases[i].want], 1);
		assert_int_equal(failed_total(f), 1);
		assert_int_equal(f->s.responses_ok, 0);
		assert_true(fin_queued(f));
		/* What still arrives is taken and ignored; the close counts nothing more. */
		feed(f, f->resp.keep_alive, f->resp.keep_alive_len);
		assert_int_equal(f->s.responses_ok, 0);
		conn_end(f, TT_CLOSE_NORMAL);
		assert_int_equal(failed_total(f), 1);
		assert_int_equal(f->s.conns_completed, 0);
		assert_int_equal(f->s.conns_open, 0);
		fix_free(f);
	}
}

/* A wrong byte anywhere in the body, in a response cut at that byte. */
static void test_http_corrupt_body(void **state)
{
	struct fix *f = fix_new(0, 1, 64, GEN_CLOSE_CLIENT, false);
	uint32_t len = f->resp.keep_alive_len;
	uint32_t head = f->resp.keep_alive_hdr_len;
	uint8_t *r = malloc(len);

	(void)state;
	assert_non_null(r);
	assert_int_equal(len, head + 64);
	for (uint32_t pos = 0; pos < 64; pos++) {
		memcpy(r, f->resp.keep_alive, len);
		r[head + pos] ^= 0x20;
		conn_open(f);
		feed(f, r, head + pos);
		assert_int_equal(failed_total(f), pos);
		feed(f, r + head + pos, len - head - pos);
		assert_int_equal(f->s.failed[GEN_FAIL_BAD_DATA], pos + 1);
		assert_true(fin_queued(f));
		conn_end(f, TT_CLOSE_NORMAL);
	}
	assert_int_equal(f->s.responses_ok, 0);
	assert_int_equal(failed_total(f), 64);
	free(r);
	fix_free(f);
}

/*
 * A body longer than the pattern's table (bench/gen/gen_http.c compares it in runs that wrap
 * round the table): good whole and in segment-sized pieces; a wrong byte at either side of the
 * table's length and of the pattern's period fails it, wherever the pieces cut.
 */
static void test_http_long_body(void **state)
{
	static const uint32_t flips[] = {0, 25, 26, 1663, 1664, 1665, 3327, 3328, 3999};
	static const uint32_t pieces[] = {4200, 1460, 1000, 7};
	const uint32_t body = 4000;
	struct fix *f = fix_new(0, 1, body, GEN_CLOSE_CLIENT, false);
	uint32_t len = f->resp.keep_alive_len;
	uint32_t head = f->resp.keep_alive_hdr_len;
	uint8_t *r = malloc(len);
	uint32_t bad = 0, ok = 0;

	(void)state;
	assert_non_null(r);
	for (unsigned p = 0; p < ARRAY_LEN(pieces); p++) {
		for (int flip = -1; flip < (int)ARRAY_LEN(flips); flip++) {
			memcpy(r, f->resp.keep_alive, len);
			if (flip >= 0)
				r[head + flips[flip]] ^= 0x01;
			conn_open(f);
			for (uint32_t at = 0; at < len; at += pieces[p])
				feed(f, r + at, len - at < pieces[p] ? len - at : pieces[p]);
			if (flip >= 0)
				bad++;
			else
				ok++;
			assert_int_equal(f->s.failed[GEN_FAIL_BAD_DATA], bad);
			assert_int_equal(f->s.responses_ok, ok);
			conn_end(f, TT_CLOSE_NORMAL);
		}
	}
	free(r);
	fix_free(f);
}

static void test_http_header_forms(void **state)
{
	static const char *const heads[] = {
	    "HTTP/1.1 200 OK\r\ncontent-LENGTH: 64\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nCONTENT-LENGTH:64\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length:    64\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 64\r\nConnection: keep-alive\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nX-Content-Length: 5\r\nContent-Length: 64\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 64\r\nX-Content-Length: 5\r\n\r\n",
	    "HTTP/1.1 200 Whatever\r\nContent-Content-Length: 1\r\ncontent-length: 64\r\n\r\n",
	};
	char buf[256];

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(heads); i++) {
		struct fix *f = fix_new(1, 1, 64, GEN_CLOSE_CLIENT, false);
		int n = snprintf(buf, sizeof(buf), "%s", heads[i]);

		print_message("case: %u\n", i);
		for (int k = 0; k < 64; k++)
			buf[n + k] = (char)('a' + k % 26);
		conn_open(f);
		feed(f, buf, (uint32_t)n + 64);
		assert_int_equal(failed_total(f), 0);
		assert_int_equal(f->s.responses_ok, 1);
		assert_int_equal(f->s.body_bytes_verified, 64);
		fix_free(f);
	}
}

static void test_http_empty_bodies(void **state)
{
	static const char two[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
				  "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct fix *f = fix_new(3, 3, 0, GEN_CLOSE_CLIENT, false);

	(void)state;
	conn_open(f);
	feed(f, two, sizeof(two) - 1);
	assert_int_equal(f->s.responses_ok, 2);
	assert_false(fin_queued(f));
	/* The appliance's own rendering of an empty 200. */
	feed(f, f->resp.keep_alive, f->resp.keep_alive_len);
	assert_int_equal(f->s.responses_ok, 3);
	assert_int_equal(f->s.body_bytes_verified, 0);
	assert_true(fin_queued(f));
	assert_int_equal(failed_total(f), 0);
	fix_free(f);
}

/* Client close: FIN after the last response of the connection, not before. */
static void test_http_client_close(void **state)
{
	static const uint32_t per_conn[] = {1, 2, 4};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(per_conn); i++) {
		struct fix *f = fix_new(per_conn[i], 1, 64, GEN_CLOSE_CLIENT, false);

		print_message("case: %u requests\n", per_conn[i]);
		conn_open(f);
		for (uint32_t k = 0; k < per_conn[i]; k++) {
			assert_int_equal(queue_of(f)->count, 1);
			expect_request(f, 0, false);
			assert_false(fin_queued(f));
			acked(f);
			feed(f, f->resp.keep_alive, f->resp.keep_alive_len);
		}
		assert_true(fin_queued(f));
		assert_int_equal(queue_of(f)->count, 0);
		assert_int_equal(f->s.requests_sent, per_conn[i]);
		assert_int_equal(f->s.responses_ok, per_conn[i]);
		conn_end(f, TT_CLOSE_NORMAL);
		assert_int_equal(f->s.conns_completed, 1);
		fix_free(f);
	}
}

/* Server close: the last request asks for it, and the peer's FIN is answered with ours. */
static void test_http_server_close(void **state)
{
	static const uint32_t per_conn[] = {1, 3};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(per_conn); i++) {
		struct fix *f = fix_new(per_conn[i], 1, 64, GEN_CLOSE_SERVER, false);
		uint32_t n = per_conn[i];

		print_message("case: %u requests\n", n);
		conn_open(f);
		for (uint32_t k = 0; k + 1 < n; k++) {
			expect_request(f, 0, false);
			acked(f);
			feed(f, f->resp.keep_alive, f->resp.keep_alive_len);
		}
		assert_int_equal(queue_of(f)->count, 1);
		expect_request(f, 0, true);
		acked(f);
		feed(f, f->resp.close, f->resp.close_len);
		assert_int_equal(f->s.responses_ok, n);
		assert_int_equal(queue_of(f)->count, 0);
		assert_false(fin_queued(f));
		gen_http_app.on_peer_fin(&f->ctx, &f->t);
		assert_true(fin_queued(f));
		conn_end(f, TT_CLOSE_NORMAL);
		assert_int_equal(f->s.conns_completed, 1);
		assert_int_equal(failed_total(f), 0);
		fix_free(f);
	}
}

static void test_http_hold(void **state)
{
	struct fix *f = fix_new(0, 4, 64, GEN_CLOSE_CLIENT, true);

	(void)state;
	conn_open(f);
	assert_int_equal(queue_of(f)->bytes, 0);
	assert_int_equal(queue_of(f)->count, 0);
	assert_int_equal(f->s.requests_sent, 0);
	assert_int_equal(f->s.conns_established, 1);
	assert_int_equal(f->s.connect_us.n, 1);
	assert_false(fin_queued(f));
	conn_end(f, TT_CLOSE_NORMAL);
	assert_int_equal(f->s.conns_completed, 1);
	assert_int_equal(failed_total(f), 0);
	fix_free(f);
}

/* How a connection's end is counted: exactly one outcome each. */
static void test_http_on_close(void **state)
{
	enum { COMPLETED = GEN_FAIL_COUNT };
	static const struct {
		const char *name;
		uint32_t per_conn;
		bool hold;
		bool opened;
		unsigned responses;
		enum tt_close_reason why;
		unsigned want; /* enum gen_failure, or COMPLETED */
	} cases[] = {
	    {"refused", 1, false, false, 0, TT_CLOSE_RESET, GEN_FAIL_RESET},
	    {"reset after the open", 1, false, true, 0, TT_CLOSE_RESET, GEN_FAIL_RESET},
	    {"reset after every response", 2, false, true, 2, TT_CLOSE_RESET, GEN_FAIL_RESET},
	    {"no answer to the SYN", 1, false, false, 0, TT_CLOSE_TIMEOUT, GEN_FAIL_TIMEOUT},
	    {"dropped before the handshake", 1, false, false, 0, TT_CLOSE_NORMAL, GEN_FAIL_TIMEOUT},
	    {"timed out waiting", 2, false, true, 1, TT_CLOSE_TIMEOUT, GEN_FAIL_TIMEOUT},
	    {"closed before the response", 1, false, true, 0, TT_CLOSE_NORMAL,
	     GEN_FAIL_EARLY_CLOSE},
	    {"closed after 1 of 3", 3, false, true, 1, TT_CLOSE_NORMAL, GEN_FAIL_EARLY_CLOSE},
	    {"unlimited, one in flight", 0, false, true, 2, TT_CLOSE_NORMAL, GEN_FAIL_EARLY_CLOSE},
	    {"complete", 2, false, true, 2, TT_CLOSE_NORMAL, COMPLETED},
	    {"held, closed", 0, true, true, 0, TT_CLOSE_NORMAL, COMPLETED},
	    {"held with a budget, closed", 5, true, true, 0, TT_CLOSE_NORMAL, COMPLETED},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct fix *f = fix_new(cases[i].per_conn, 1, 64, GEN_CLOSE_SERVER, cases[i].hold);

		print_message("case: %s\n", cases[i].name);
		if (cases[i].opened)
			conn_open(f);
		else
			conn_start(f);
		for (unsigned k = 0; k < cases[i].responses; k++) {
			acked(f);
			feed(f, f->resp.keep_alive, f->resp.keep_alive_len);
		}
		assert_int_equal(f->s.responses_ok, cases[i].responses);
		assert_int_equal(f->s.conns_open, 1);
		conn_end(f, cases[i].why);
		assert_int_equal(f->s.conns_open, 0);
		assert_int_equal(f->s.conns_attempted, 1);
		assert_int_equal(f->s.conns_established, cases[i].opened);
		assert_int_equal(f->s.conns_completed, cases[i].want == COMPLETED);
		for (unsigned k = 0; k < GEN_FAIL_COUNT; k++)
			assert_int_equal(f->s.failed[k], cases[i].want == k);
		fix_free(f);
	}
}

/* ---- gen_http through the TCP state machine ---- */

enum { APP_GEN = TT_APP_DISCARD + 1 };

static void test_http_over_tcp(void **state)
{
	struct harness *h = h_new();
	struct gen_http_stats *s = calloc(1, sizeof(*s));
	uint32_t req = (uint32_t)strlen(req_ka);
	uint32_t resp, peer_fin;

	(void)state;
	assert_non_null(s);
	s->p = (struct gen_http_params){
	    .pipeline_depth = 1,
	    .body_len = 64,
	    .tsc_per_us = 1000,
	};
	s->plan[APP_GEN] = (struct gen_http_plan){1, GEN_CLOSE_CLIENT};
	s->request = (const uint8_t *)req_ka;
	s->request_len = req;
	s->request_close = (const uint8_t *)req_close;
	s->request_close_len = (uint32_t)strlen(req_close);
	h->ctx.apps[APP_GEN] = &gen_http_app;
	assert_int_equal(gen_http_attach(s, &h->tcb, 1), 0);
	/* The harness's server answers with its own 64-byte a..z body, as the appliance would. */
	resp = h->http.keep_alive_len;
	h->ctx.app_data = s;

	h_open(h, APP_GEN);
	gen_http_started(s, &h->tcb);
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_SYN | TT_TCP_ACK, NULL, 0);
	assert_int_equal(h->tcb.state, TT_TCP_ESTABLISHED);
	assert_int_equal(s->conns_established, 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, h->iss + 1, H_PEER_ISN + 1, req);
	assert_memory_equal(h->tx[0].data, req_ka, req);

	/* The response acknowledges the request; our FIN rides the ACK of the response. */
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_ACK | TT_TCP_PSH, h->http.keep_alive, resp);
	assert_int_equal(s->responses_ok, 1);
	assert_int_equal(s->body_bytes_verified, 64);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_FIN, h->iss + 1 + req, H_PEER_ISN + 1 + resp, 0);

	h_ack_all(h);
	assert_int_equal(h->tcb.state, TT_TCP_FIN_WAIT_2);
	peer_fin = h->peer.nxt;
	h_send(h, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	assert_int_equal(h->v, TT_V_TIME_WAIT);
	h_expect(h, 0, TT_TCP_ACK, h->iss + 2 + req, peer_fin + 1, 0);
	assert_int_equal(s->conns_completed, 1);
	assert_int_equal(s->conns_open, 0);
	for (unsigned k = 0; k < GEN_FAIL_COUNT; k++)
		assert_int_equal(s->failed[k], 0);
	h_free(h);
	gen_http_detach(s);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    /* gen_hist */
	    cmocka_unit_test(test_hist_empty),
	    cmocka_unit_test(test_hist_bucket_edges),
	    cmocka_unit_test(test_hist_distributions),
	    cmocka_unit_test(test_hist_merge),
	    cmocka_unit_test(test_hist_walk),
	    /* gen_http */
	    cmocka_unit_test(test_http_split),
	    cmocka_unit_test(test_http_pipelined),
	    cmocka_unit_test(test_http_pipeline_refill),
	    cmocka_unit_test(test_http_plans),
	    cmocka_unit_test(test_http_failures),
	    cmocka_unit_test(test_http_corrupt_body),
	    cmocka_unit_test(test_http_long_body),
	    cmocka_unit_test(test_http_header_forms),
	    cmocka_unit_test(test_http_empty_bodies),
	    cmocka_unit_test(test_http_reference),
	    cmocka_unit_test(test_http_client_close),
	    cmocka_unit_test(test_http_server_close),
	    cmocka_unit_test(test_http_hold),
	    cmocka_unit_test(test_http_on_close),
	    cmocka_unit_test(test_http_over_tcp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
