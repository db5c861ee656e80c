/*
 * gen_http: the load generator's HTTP/1.1 client application.
 *
 * On a connection's open it sends GET requests (pipeline_depth at a time)
 * and reads the responses with a small per-byte parser that keeps its
 * state inside the TCB (16 bytes, no buffering): it checks the status
 * line says 200, takes Content-Length, and verifies every body byte
 * against the pattern the appliance serves (byte i = 'a' + i % 26).
 * A connection follows the plan of its application index (plan[t->app],
 * so one run may mix kinds of clients): after requests_per_conn
 * responses it closes (client close) or asks the server to close with
 * "Connection: close" (server close); 0 means keep the connection and go
 * on until the run ends.
 *
 * Walking every byte through that parser is per-byte work repeated on
 * every connection of a rate run, so the first response the parser accepts whole
 * from one call (head and body in one piece) becomes the reference: a
 * later response that starts a call's data, or follows a complete one in
 * it, and equals the reference byte for byte is accepted by one memcmp.
 * The parser's verdict depends only on the bytes, so the result is the
 * same; anything else (a response cut across segments, a different or
 * corrupt one) goes through the parser as before.
 *
 * Every outcome is counted in struct gen_http_stats: completed requests
 * and their latency, connection set-up latency, and failures by reason
 * (reset, timed out, bad status, bad body, closed before the response).
 * The statistics are the worker's own (ctx->app_data): one lcore.
 */
#ifndef GEN_HTTP_H
#define GEN_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "gen_hist.h"
#include "tt_tcp.h"

/* Bytes of the reference response at most (a longer one is always parsed). */
enum { GEN_HTTP_REF_MAX = 512 };

enum gen_close_mode { GEN_CLOSE_CLIENT, GEN_CLOSE_SERVER };

/* What one connection does. */
struct gen_http_plan {
	uint32_t requests_per_conn; /* 0: unlimited (keep-alive until the end) */
	enum gen_close_mode close_mode;
};

/* What every connection of the run shares. */
struct gen_http_params {
	uint32_t pipeline_depth; /* requests in flight per connection, >= 1 */
	uint32_t body_len;	 /* expected Content-Length */
	bool hold;		 /* concurrent: open and send nothing */
	uint64_t tsc_per_us;
};

#define GEN_FAILURES(X)                                                                            \
	X(RESET, "reset")                                                                          \
	X(TIMEOUT, "timeout")                                                                      \
	X(BAD_STATUS, "bad_status")                                                                \
	X(BAD_DATA, "bad_data")                                                                    \
	X(EARLY_CLOSE, "closed_early")

#define GEN_ENUM_FAIL(name, str) GEN_FAIL_##name,
enum gen_failure { GEN_FAILURES(GEN_ENUM_FAIL) GEN_FAIL_COUNT };
#undef GEN_ENUM_FAIL

extern const char *const gen_failure_names[GEN_FAIL_COUNT];

struct gen_http_stats {
	struct gen_http_params p;
	struct gen_http_plan plan[TT_TCP_MAX_APPS]; /* by the connection's application index */
	uint64_t conns_attempted;
	uint64_t conns_established;
	uint64_t conns_completed; /* closed after every request it made was answered */
	uint64_t conns_open;	  /* gauge */
	uint64_t requests_sent;
	uint64_t responses_ok;
	uint64_t body_bytes_verified;
	uint64_t responses_by_ref; /* of responses_ok: matched the reference whole */
	uint64_t failed[GEN_FAIL_COUNT];
	struct gen_hist connect_us;
	struct gen_hist request_us;
	const uint8_t *request; /* the GET we send, keep-alive form */
	uint32_t request_len;
	const uint8_t *request_close; /* with Connection: close */
	uint32_t request_close_len;
	uint32_t ref_len; /* 0: no reference yet */
	uint8_t ref[GEN_HTTP_REF_MAX];
	/* Per-connection client state: conns[t - tcbs] (gen_http_attach). */
	struct gen_http_conn *conns;
	const struct tt_tcb *tcbs;
};

extern const struct tt_tcp_app_ops gen_http_app;

/* Give the n TCBs at tcbs (a stack's, tt_stack_tcbs) their client state; 0 or -ENOMEM. */
int gen_http_attach(struct gen_http_stats *s, const struct tt_tcb *tcbs, uint32_t n);
void gen_http_detach(struct gen_http_stats *s);

/* Mark t as a connection being opened now (after tt_stack_connect). */
void gen_http_started(struct gen_http_stats *s, struct tt_tcb *t);

#endif
