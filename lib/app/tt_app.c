#include "tt_app.h"
#include "tt_http.h"

/*
 * What the http application keeps per connection: the parser, in the TCB's application area.
 * A request head's clock (when its first byte came) is the connection's application mark
 * (tt_tcp_app_mark): requests are read in ESTABLISHED only, and a peer's FIN ends them (the
 * connection closes, and a closing one reads nothing more).
 */
static_assert(sizeof(struct tt_http_parser) <= sizeof(((struct tt_tcb *)0)->app_state),
	      "the HTTP parser lives in the TCB's application area");

static struct tt_http_parser *parser_of(struct tt_tcb *t)
{
	return (struct tt_http_parser *)t->app_state.bytes;
}

static void http_open(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	(void)ctx;
	tt_http_parser_init(parser_of(t));
}

/* A head that trickles in (Slowloris) times out header_timeout_ms after its first byte.  TCP
 * asks in ESTABLISHED only, where the connection's clock is the head's. */
static uint64_t http_deadline(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	const struct tt_http_response *r = ctx->app_data;

	if (r->header_timeout_ms == 0 || (t->flags & TT_TCB_FIN_QUEUED) ||
	    !tt_http_in_head((const struct tt_http_parser *)t->app_state.bytes))
		return UINT64_MAX;
	return tt_tcp_app_since(ctx->now_ms, t) + r->header_timeout_ms;
}

static bool http_respond(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
			 const struct tt_http_request *req)
{
	const struct tt_http_response *r = ctx->app_data;
	const uint8_t *bytes = req->keep_alive ? r->keep_alive : r->close;
	uint32_t len = req->keep_alive ? r->keep_alive_len : r->close_len;

	if (req->method == TT_HTTP_HEAD)
		len = req->keep_alive ? r->keep_alive_hdr_len : r->close_hdr_len;
	ctx->ctr->ev[TT_CTR_HTTP_REQUESTS]++;
	tt_tcp_send(ctx, t, bytes, len, NULL);
	if (req->keep_alive)
		return true;
	tt_tcp_close(t);
	return false;
}

/* Answer the complete requests in data; returns the bytes taken (see http_data). */
static uint32_t http_parse_all(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data,
			       uint32_t len)
{
	const struct tt_http_response *r = ctx->app_data;
	uint32_t done = 0;

	while (done < len && tt_tcp_send_ready(ctx, t)) {
		struct tt_http_request req;
		uint32_t used;

		switch (tt_http_parse(parser_of(t), data + done, len - done, &used, &req)) {
		case TT_HTTP_NEED_MORE:
			return len;
		case TT_HTTP_BAD:
			ctx->ctr->ev[TT_CTR_HTTP_BAD_REQUESTS]++;
			tt_tcp_send(ctx, t, r->bad_request, r->bad_request_len, NULL);
			tt_tcp_close(t);
			return len;
		case TT_HTTP_REQUEST:
			done += used;
			if (!http_respond(ctx, t, &req))
				return len;
			break;
		}
	}
	return done;
}

/*
 * Requests are answered while the send queue has room (or a send block is free to hold one);
 * what is left is not accepted, so TCP does not ACK it and the peer sends it again later.
 * The same response repeated takes one extent (tt_sndq), so only a
 * pipeline whose answers exceed TT_SNDQ_REPEAT_MAX_BYTES is paced by the
 * peer's retransmissions; nothing is ever dropped.
 */
static uint32_t http_data(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data,
			  uint32_t len, void *owner)
{
	bool in_head = tt_http_in_head(parser_of(t));
	uint32_t done;

	(void)owner;
	if (t->flags & TT_TCB_FIN_QUEUED)
		return len; /* closing: later requests are read and ignored */
	done = http_parse_all(ctx, t, data, len);
	/* The head's clock starts at its first byte. */
	if (!in_head && tt_http_in_head(parser_of(t)))
		tt_tcp_app_mark(ctx->now_ms, t);
	return done;
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

static uint32_t echo_data(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data,
			  uint32_t len, void *owner)
{
	return tt_tcp_send(ctx, t, data, len, owner) ? len : 0;
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
    .on_open = http_open,
    .on_data = http_data,
    .on_peer_fin = close_on_peer_fin,
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
