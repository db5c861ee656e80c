#include "tt_app.h"
#include "tt_http.h"

/*
 * What the http application keeps per connection: the parser, while a request is incomplete,
 * in the connection's application block (tt_tcp_app_block); a connection between requests
 * keeps none, and a fresh parser reads its next bytes.  The clock of the request being read
 * (when its head's first byte came, then when its head ended) is the connection's application
 * mark (tt_tcp_app_mark): requests are read in ESTABLISHED only, and a peer's FIN ends them
 * (the connection closes, and a closing one reads nothing more).
 */
static_assert(sizeof(struct tt_http_parser) <= TT_TCP_APP_BLOCK_BYTES,
	      "the HTTP parser fits an application block");
static_assert(_Alignof(struct tt_http_parser) <= 8, "application blocks are 8-byte aligned");
/* The worker's request memo (tt_http.h) is its application state (tt_tcp_ctx.app_worker); a
 * context without one (a test's) parses every request. */
static_assert(sizeof(struct tt_http_memo) <= TT_TCP_APP_WORKER_BYTES,
	      "the request memo fits the worker's application state");

/* A head that trickles in (Slowloris) times out header_timeout_ms after its first byte, a body
 * body_timeout_ms after its head ended: a request in either holds an application block.  TCP
 * asks in ESTABLISHED only, where the connection's clock is the request's.  The timeouts are
 * those the connection was opened under, as its TCP ones: a reload must not move a deadline
 * its timer was armed for. */
static uint64_t http_deadline(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	const struct tt_http_response *r = ctx->conn_app_data;
	const struct tt_http_parser *p = tt_tcp_app_block(ctx, t);
	uint32_t bound;

	if ((t->flags & TT_TCB_FIN_QUEUED) || p == NULL)
		return UINT64_MAX;
	switch (tt_http_phase(p)) {
	case TT_HTTP_IN_HEAD:
		bound = r->header_timeout_ms;
		break;
	case TT_HTTP_IN_BODY:
		bound = r->body_timeout_ms;
		break;
	default:
		return UINT64_MAX;
	}
	if (bound == 0)
		return UINT64_MAX;
	return tt_tcp_app_since(ctx->now_ms, t) + bound;
}

/* The bytes that answer req: the response kept alive or closing, whole or its head alone. */
struct http_answer {
	const uint8_t *bytes;
	uint32_t len;
	uint16_t sum;
};

static struct http_answer http_answer(const struct tt_http_response *r,
				      const struct tt_http_request *req)
{
	struct http_answer a = {
	    .bytes = req->keep_alive ? r->keep_alive : r->close,
	    .len = req->keep_alive ? r->keep_alive_len : r->close_len,
	    .sum = req->keep_alive ? r->keep_alive_sum : r->close_sum,
	};

	if (req->method == TT_HTTP_HEAD) {
		a.len = req->keep_alive ? r->keep_alive_hdr_len : r->close_hdr_len;
		a.sum = req->keep_alive ? r->keep_alive_hdr_sum : r->close_hdr_sum;
	}
	return a;
}

/* With no room for another extent (tt_tcp_send_ready false), the answer to req still goes when
 * it repeats the last one queued. */
static bool http_answer_repeats(struct tt_tcp_ctx *ctx, const struct tt_tcb *t,
				const struct tt_http_request *req)
{
	struct http_answer a = http_answer(ctx->app_data, req);

	return tt_tcp_send_repeats(ctx, t, a.bytes, a.len);
}

static bool http_respond(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
			 const struct tt_http_request *req)
{
	struct http_answer a = http_answer(ctx->app_data, req);

	ctx->ctr->ev[TT_CTR_HTTP_REQUESTS]++;
	tt_tcp_send(ctx, t, a.bytes, a.len, NULL, a.sum);
	if (req->keep_alive)
		return true;
	tt_tcp_close(t);
	return false;
}

/* What counts each refusal (enum tt_http_refusal). */
static const enum tt_counter refusal_counter[TT_HTTP_REFUSALS] = {
    [TT_HTTP_REFUSED_MALFORMED] = TT_CTR_HTTP_BAD_REQUESTS,
    [TT_HTTP_REFUSED_VERSION] = TT_CTR_HTTP_VERSION_REFUSED,
    [TT_HTTP_REFUSED_TARGET_TOO_LONG] = TT_CTR_HTTP_TARGET_TOO_LONG,
    [TT_HTTP_REFUSED_NOT_IMPLEMENTED] = TT_CTR_HTTP_NOT_IMPLEMENTED,
};

/* Answer the complete requests in data with parser p; returns the bytes they took.  *rest_read:
 * the bytes after them went into p (an incomplete request), or were a bad request (answered).
 * *continue_due: the incomplete request's head ended with data and asks for 100 (Continue).
 * With no room to send, the bytes are still read as long as they only continue a request
 * (a head, a body): only what must be answered waits, as otherwise the request's own clock
 * (header_timeout_ms, body_timeout_ms) would run out on a client that sent in time. */
static uint32_t http_parse_all(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_http_parser *p,
			       const uint8_t *data, uint32_t len, bool *rest_read,
			       bool *continue_due)
{
	const struct tt_http_response *r = ctx->app_data;
	struct tt_http_memo *memo = ctx->app_worker;
	uint32_t done = 0;

	*rest_read = false;
	while (done < len) {
		struct tt_http_request req;
		enum tt_http_refusal why;
		enum tt_http_status res;
		uint32_t used;

		if (tt_tcp_send_ready(ctx, t)) {
			res = memo != NULL ? tt_http_parse_memo(memo, p, data + done, len - done,
								&used, &req)
					   : tt_http_parse(p, data + done, len - done, &used, &req);
		} else {
			struct tt_http_parser before = *p;

			res = tt_http_parse(p, data + done, len - done, &used, &req);
			if (res != TT_HTTP_NEED_MORE &&
			    !(res == TT_HTTP_REQUEST && http_answer_repeats(ctx, t, &req))) {
				*p = before; /* to be answered: left for the peer to send again */
				return done;
			}
		}
		switch (res) {
		case TT_HTTP_NEED_MORE:
			*rest_read = true;
			return done;
		case TT_HTTP_CONTINUE:
			*continue_due = true;
			*rest_read = true;
			return done;
		case TT_HTTP_BAD:
			why = tt_http_refusal(p);
			ctx->ctr->ev[refusal_counter[why]]++;
			tt_tcp_send(ctx, t, r->refusal[why], r->refusal_len[why], NULL,
				    r->refusal_sum[why]);
			tt_tcp_close(t);
			*rest_read = true;
			return done;
		case TT_HTTP_REQUEST:
			done += used;
			if (!http_respond(ctx, t, &req)) {
				*rest_read = true; /* closing: what follows is read and ignored */
				return done;
			}
			break;
		}
	}
	return done;
}

/* Keep what the parser holds after a piece: in the connection's application block, taken if it
 * holds none and given back once the parser holds nothing.  false: no block was free. */
static bool http_keep_parser(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
			     const struct tt_http_parser *p)
{
	struct tt_http_parser *kept;

	if (tt_http_parser_fresh(p) || (t->flags & TT_TCB_FIN_QUEUED)) {
		tt_tcp_app_block_release(ctx, t);
		return true;
	}
	kept = tt_tcp_app_block_take(ctx, t);
	if (kept == NULL)
		return false;
	if (kept != p)
		*kept = *p;
	return true;
}

/*
 * Requests are answered while the send queue has room (or a send block is free to hold one);
 * what is left is not accepted, so TCP does not ACK it and the peer sends it again later.
 * The same response repeated takes one extent (tt_sndq), so a pipeline of one request is paced
 * by the peer's retransmissions only once its answers exceed TT_SNDQ_REPEAT_MAX_BYTES; answers
 * that differ (GET and HEAD alternating) take an extent each, TT_SNDQ_EXTENTS in flight at
 * most, and a request whose answer repeats the last is answered even then.  Nothing is ever
 * dropped.  An incomplete request is accepted only if its parser can be kept: without a free
 * application block its bytes are left for the peer to send again (app_blocks_exhausted), as one
 * that needs a send block is.
 */
static uint32_t http_data(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data,
			  uint32_t len, void *owner)
{
	const struct tt_http_response *r = ctx->app_data;
	const struct tt_http_memo *memo = ctx->app_worker;
	struct tt_http_parser fresh, *p = tt_tcp_app_block(ctx, t);
	struct tt_http_request req;
	bool rest_read, continue_due = false;
	enum tt_http_phase before, after;
	uint32_t done;

	(void)owner;
	if (t->flags & TT_TCB_FIN_QUEUED) {
		/* Closing (a bad request, a drain, a reload's retirement): later requests are read
		 * and ignored, and a request the close cut short gives its parser back. */
		tt_tcp_app_block_release(ctx, t);
		return len;
	}
	/* The piece is the one request the worker's memo holds, and no parser is kept: what
	 * http_parse_all and http_keep_parser do with it, without the parser's loop and phases
	 * (bench/trace.sh --keepalive: a load generator's every request). */
	if (p == NULL && memo != NULL && len == memo->len &&
	    tt_http_memo_hit(memo, data, len, &req)) {
		if (!tt_tcp_send_ready(ctx, t) && !http_answer_repeats(ctx, t, &req))
			return 0;
		http_respond(ctx, t, &req);
		return len;
	}
	if (p == NULL) {
		tt_http_parser_init(&fresh);
		p = &fresh;
	}
	before = tt_http_phase(p);
	done = http_parse_all(ctx, t, p, data, len, &rest_read, &continue_due);
	after = tt_http_phase(p); /* read before http_keep_parser may give p's block back */
	if (!http_keep_parser(ctx, t, p))
		return done;
	/* Only for a head that was taken (its parser kept): the client waits for this before it
	 * sends the body (RFC 9110 10.1.1).  Sending was ready when the parse began. */
	if (continue_due &&
	    tt_tcp_send(ctx, t, r->continue_100, r->continue_100_len, NULL, r->continue_100_sum))
		ctx->ctr->ev[TT_CTR_HTTP_CONTINUES]++;
	/* A head's clock starts at its first byte, a body's when the head ended: here when the
	 * phase changed, or a request ended in this piece and the next one is begun (done > 0
	 * counts whole requests only). */
	if (after != TT_HTTP_BETWEEN && (after != before || done > 0))
		tt_tcp_app_mark(ctx->now_ms, t);
	return rest_read ? len : done;
}

/* The peer's FIN ends an incomplete request: nothing more of it will come, so its parser goes
 * now rather than with the connection. */
static void http_peer_fin(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	tt_tcp_app_block_release(ctx, t);
	tt_tcp_close(t);
}

static void close_on_peer_fin(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	(void)ctx;
	tt_tcp_close(t);
}

static void no_open(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	(void)ctx;
	(void)t;
}

/* Bytes that come once our FIN is queued (a drain, a reload's retirement) cannot be echoed:
 * read and dropped, so that the peer's FIN behind them is taken. */
static uint32_t echo_data(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data,
			  uint32_t len, void *owner)
{
	if (t->flags & TT_TCB_FIN_QUEUED)
		return len;
	return tt_tcp_send(ctx, t, data, len, owner, 0) ? len : 0;
}

static uint32_t discard_data(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data,
			     uint32_t len, void *owner)
{
	(void)ctx;
	(void)t;
	(void)data;
	(void)owner;
	return len;
}

const struct tt_tcp_app_ops tt_app_http = {
    .on_open = no_open,
    .on_data = http_data,
    .on_peer_fin = http_peer_fin,
    .deadline = http_deadline,
};

const struct tt_tcp_app_ops tt_app_echo = {
    .on_open = no_open,
    .on_data = echo_data,
    .on_peer_fin = close_on_peer_fin,
    .holds_rx = true,
};

const struct tt_tcp_app_ops tt_app_discard = {
    .on_open = no_open,
    .on_data = discard_data,
    .on_peer_fin = close_on_peer_fin,
};

void tt_app_register(const struct tt_tcp_app_ops **apps)
{
	apps[TT_APP_HTTP] = &tt_app_http;
	apps[TT_APP_ECHO] = &tt_app_echo;
	apps[TT_APP_DISCARD] = &tt_app_discard;
}
