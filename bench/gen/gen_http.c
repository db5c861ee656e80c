/* The load generator's HTTP client; see gen_http.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "gen_http.h"

#define GEN_NAME(name, str) str,
const char *const gen_failure_names[GEN_FAIL_COUNT] = {GEN_FAILURES(GEN_NAME)};
#undef GEN_NAME

enum phase { PH_NEW, PH_HEAD, PH_BODY, PH_FAILED };

enum { CL_DIGITS = 0xff };

/* Per-connection state, beside the stack's TCBs (gen_http_attach): the TCB's 16 bytes of
 * application state are the appliance's size, and the generator needs more. */
struct gen_http_conn {
	uint32_t t_us;	    /* connect start, then the start of the response being read */
	uint32_t body_left; /* body bytes still to read */
	uint32_t off;	    /* head: bytes read so far; body: offset for the pattern */
	uint32_t sent;	    /* requests sent on this connection */
	uint32_t done;	    /* responses read completely */
	uint8_t phase;
	uint8_t m_cl;  /* bytes of "\ncontent-length:" matched, or CL_DIGITS */
	uint8_t m_end; /* bytes of "\r\n\r\n" matched */
	uint8_t opened;
};

static const char cl_name[] = "\ncontent-length:";
static const char head_end[] = "\r\n\r\n";

/*
 * The body's pattern (byte i = 'a' + i % 26) from every phase, long enough that a segment's body
 * bytes compare with one memcmp: a byte-by-byte check with its modulo took more of the client's
 * cycles than the rest of a large response's receive (bench/README.md, throughput).
 */
enum { PATTERN_PERIOD = 26, PATTERN_LEN = PATTERN_PERIOD * 64 };
static uint8_t body_pattern[PATTERN_LEN];

static void pattern_init(void)
{
	for (uint32_t i = 0; i < PATTERN_LEN; i++)
		body_pattern[i] = (uint8_t)('a' + i % PATTERN_PERIOD);
}

/* Whether p[0, n) are the body's bytes from offset off on. */
static bool body_matches(const uint8_t *p, uint32_t off, uint32_t n)
{
	while (n > 0) {
		uint32_t from = off % PATTERN_PERIOD;
		uint32_t m = n < PATTERN_LEN - from ? n : PATTERN_LEN - from;

		if (memcmp(p, body_pattern + from, m) != 0)
			return false;
		p += m;
		off += m;
		n -= m;
	}
	return true;
}

static struct gen_http_stats *stats_of(struct tt_tcp_ctx *ctx)
{
	return (struct gen_http_stats *)(uintptr_t)ctx->app_data;
}

static struct gen_http_conn *conn_in(struct gen_http_stats *s, const struct tt_tcb *t)
{
	return &s->conns[t - s->tcbs];
}

static struct gen_http_conn *conn_of(struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	return conn_in(stats_of(ctx), t);
}

int gen_http_attach(struct gen_http_stats *s, const struct tt_tcb *tcbs, uint32_t n)
{
	pattern_init();
	s->conns = calloc(n, sizeof(*s->conns));
	s->tcbs = tcbs;
	return s->conns != NULL ? 0 : -ENOMEM;
}

void gen_http_detach(struct gen_http_stats *s)
{
	free(s->conns);
	s->conns = NULL;
}

static uint32_t now_us(const struct gen_http_stats *s)
{
	return (uint32_t)(rte_rdtsc() / s->p.tsc_per_us);
}

/*
 * The time of one segment's events, read when the first of them needs it: a segment carries up
 * to pipeline_depth responses that all arrived together, and a TSC read with its division costs
 * tens of cycles, as much as the rest of a pipelined response's bookkeeping.
 */
struct seg_clock {
	const struct gen_http_stats *s;
	uint32_t us;
	bool read;
};

static uint32_t clock_us(struct seg_clock *k)
{
	if (!k->read) {
		k->us = now_us(k->s);
		k->read = true;
	}
	return k->us;
}

void gen_http_started(struct gen_http_stats *s, struct tt_tcb *t)
{
	/* A TCB's previous connection left its state here: this one starts afresh. */
	*conn_in(s, t) = (struct gen_http_conn){.t_us = now_us(s)};
	s->conns_attempted++;
	s->conns_open++;
}

static const struct gen_http_plan *plan_of(const struct gen_http_stats *s, const struct tt_tcb *t)
{
	return &s->plan[t->app];
}

static bool more_requests(const struct gen_http_plan *pl, const struct gen_http_conn *c)
{
	return pl->requests_per_conn == 0 || c->sent < pl->requests_per_conn;
}

/* Keep pipeline_depth requests in flight. */
static void send_requests(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct seg_clock *clock)
{
	struct gen_http_stats *s = stats_of(ctx);
	const struct gen_http_plan *pl = plan_of(s, t);
	struct gen_http_conn *c = conn_of(ctx, t);

	while (c->sent - c->done < s->p.pipeline_depth && more_requests(pl, c)) {
		bool last = pl->requests_per_conn != 0 && c->sent + 1 == pl->requests_per_conn;
		bool close = last && pl->close_mode == GEN_CLOSE_SERVER;

		if (!tt_tcp_send(ctx, t, close ? s->request_close : s->request,
				 close ? s->request_close_len : s->request_len, NULL, 0))
			break;
		if (c->sent == c->done)
			c->t_us = clock_us(clock);
		c->sent++;
		s->requests_sent++;
	}
}

static void http_open(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct gen_http_stats *s = stats_of(ctx);
	struct gen_http_conn *c = conn_of(ctx, t);

	struct seg_clock clock = {.s = s};

	c->opened = 1;
	c->phase = PH_HEAD;
	s->conns_established++;
	gen_hist_add(&s->connect_us, clock_us(&clock) - c->t_us);
	if (!s->p.hold)
		send_requests(ctx, t, &clock);
}

static void fail(struct tt_tcp_ctx *ctx, struct tt_tcb *t, enum gen_failure why)
{
	stats_of(ctx)->failed[why]++;
	conn_of(ctx, t)->phase = PH_FAILED;
	tt_tcp_close(t);
}

static void response_done(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct seg_clock *clock)
{
	struct gen_http_stats *s = stats_of(ctx);
	const struct gen_http_plan *pl = plan_of(s, t);
	struct gen_http_conn *c = conn_of(ctx, t);
	uint32_t now = clock_us(clock);

	s->responses_ok++;
	gen_hist_add(&s->request_us, now - c->t_us);
	c->t_us = now; /* the next pipelined response is timed from here */
	c->done++;
	c->phase = PH_HEAD;
	c->off = 0;
	c->m_cl = 0;
	c->m_end = 0;
	if (more_requests(pl, c))
		send_requests(ctx, t, clock);
	else if (c->done == c->sent && pl->close_mode == GEN_CLOSE_CLIENT)
		tt_tcp_close(t);
}

/* One byte of a response head; false on a bad status line. */
static bool head_byte(struct gen_http_conn *c, uint8_t b)
{
	/* The status code ends at a space (RFC 9112 4): "HTTP/1.1 2000" is no 200. */
	static const char status[] = "HTTP/1.1 200 ";
	uint8_t lower = (b >= 'A' && b <= 'Z') ? (uint8_t)(b + 32) : b;

	if (c->off < sizeof(status) - 1 && b != (uint8_t)status[c->off])
		return false;
	c->off++;
	if (c->m_cl == CL_DIGITS) {
		if (b >= '0' && b <= '9')
			c->body_left = c->body_left * 10 + (uint32_t)(b - '0');
		else if (b != ' ')
			c->m_cl = 0;
	} else {
		c->m_cl = lower == (uint8_t)cl_name[c->m_cl] ? (uint8_t)(c->m_cl + 1)
			  : (lower == '\n')		     ? 1
							     : 0;
		if (c->m_cl == sizeof(cl_name) - 1) {
			c->m_cl = CL_DIGITS;
			c->body_left = 0;
		}
	}
	c->m_end = b == (uint8_t)head_end[c->m_end] ? (uint8_t)(c->m_end + 1) : (b == '\r');
	return true;
}

/*
 * The parser has just accepted the response data[start, end) whole: the first one up to
 * GEN_HTTP_REF_MAX bytes becomes the reference (see gen_http.h).
 */
static void ref_learn(struct gen_http_stats *s, const uint8_t *data, uint32_t start, uint32_t end)
{
	if (s->ref_len == 0 && end - start <= sizeof(s->ref)) {
		memcpy(s->ref, data + start, end - start);
		s->ref_len = end - start;
	}
}

/* The response at data[i] equals the reference, and the parser is at a response's start. */
static bool ref_match(const struct gen_http_stats *s, const struct gen_http_conn *c,
		      const uint8_t *data, uint32_t i, uint32_t len)
{
	return s->ref_len != 0 && c->phase == PH_HEAD && c->off == 0 && len - i >= s->ref_len &&
	       memcmp(data + i, s->ref, s->ref_len) == 0;
}

static uint32_t http_data(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data,
			  uint32_t len, void *owner)
{
	struct gen_http_stats *s = stats_of(ctx);
	struct gen_http_conn *c = conn_of(ctx, t);
	uint32_t i = 0;
	/* Where the response being parsed began in data; UINT32_MAX: in an earlier call. */
	uint32_t start = c->phase == PH_HEAD && c->off == 0 ? 0 : UINT32_MAX;
	struct seg_clock clock = {.s = s};

	(void)owner;
	while (i < len && c->phase != PH_FAILED) {
		if (start == i && ref_match(s, c, data, i, len)) {
			i += s->ref_len;
			start = i;
			s->body_bytes_verified += s->p.body_len;
			s->responses_by_ref++;
			response_done(ctx, t, &clock);
			continue;
		}
		if (c->phase == PH_HEAD) {
			if (!head_byte(c, data[i++])) {
				fail(ctx, t, GEN_FAIL_BAD_STATUS);
				break;
			}
			if (c->m_end == sizeof(head_end) - 1) {
				if (c->body_left != s->p.body_len) {
					fail(ctx, t, GEN_FAIL_BAD_DATA);
					break;
				}
				c->phase = PH_BODY;
				c->off = 0;
			}
		} else {
			uint32_t n = len - i < c->body_left ? len - i : c->body_left;

			if (!body_matches(data + i, c->off, n)) {
				fail(ctx, t, GEN_FAIL_BAD_DATA);
				return len;
			}
			i += n;
			c->off += n;
			c->body_left -= n;
			s->body_bytes_verified += n;
		}
		if (c->phase == PH_BODY && c->body_left == 0) {
			if (start != UINT32_MAX)
				ref_learn(s, data, start, i);
			start = i;
			response_done(ctx, t, &clock);
		}
	}
	return len;
}

static void http_peer_fin(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	(void)ctx;
	tt_tcp_close(t);
}

static void http_close(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	struct gen_http_stats *s = stats_of(ctx);
	const struct gen_http_plan *pl = plan_of(s, t);
	struct gen_http_conn *c = conn_of(ctx, t);

	s->conns_open--;
	if (c->phase == PH_FAILED)
		return;
	switch (t->close_reason) {
	case TT_CLOSE_RESET:
		s->failed[GEN_FAIL_RESET]++;
		return;
	case TT_CLOSE_TIMEOUT:
		s->failed[GEN_FAIL_TIMEOUT]++;
		return;
	default:
		break;
	}
	if (!c->opened)
		s->failed[GEN_FAIL_TIMEOUT]++;
	else if (c->done < c->sent ||
		 (pl->requests_per_conn != 0 && !s->p.hold && c->done < pl->requests_per_conn))
		s->failed[GEN_FAIL_EARLY_CLOSE]++;
	else
		s->conns_completed++;
}

const struct tt_tcp_app_ops gen_http_app = {
    .on_open = http_open,
    .on_data = http_data,
    .on_peer_fin = http_peer_fin,
    .on_close = http_close,
};
