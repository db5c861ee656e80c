/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_HTTP_H
#define TT_HTTP_H

/*
 * HTTP/1.x request framing and canned responses for the `http` application, a responder that
 * answers every request with one configured status, header set and body (load generators such
 * as wrk and TRex only need correct framing and keep-alive, not routing).
 *
 * Parser. TCP hands payload to tt_http_parse() piece by piece as it arrives; a request may be
 * cut anywhere (inside a CRLF, inside a header name) and several pipelined requests may share a
 * piece. The parser never copies or buffers bytes: everything it must remember lives in
 * struct tt_http_parser, held to 16 bytes: between two segments of one request it is kept in the
 * connection's application block (tt_tcp_app_block), and a connection between requests keeps
 * none. Header names and the Connection / Transfer-Encoding / Expect tokens are recognised with a
 * running match against small word tables (candidate word + matched length), Content-Length is
 * accumulated as it streams past, and a repeated Content-Length is compared digit by digit
 * against the stored value instead of being parsed into a second number.
 *
 * What is accepted (RFC 9112): request line METHOD SP target SP HTTP/1.DIGIT (a minor version
 * above 1 read as 1.1, RFC 9110 2.5), CRLF or bare LF line ends, empty lines before the request
 * line (section 2.2: skipped, and nothing of them kept, so that they count toward no limit and
 * start no clock: an old client's CRLF after a POST leaves the connection between requests;
 * only a CR whose LF is still to come is kept, tt_http_phase),
 * header fields "token ':' OWS value OWS" with no whitespace before the
 * colon and no line folding.  Host (section 3.2): one line at most, and one on every HTTP/1.1
 * request; its value uri-host [":" port] of RFC 3986 3.2.2 (a reg-name or IPv4 address of
 * unreserved, sub-delims and percent-encoded bytes, not empty before a port; or an IP literal
 * in brackets: IPvFuture's shape, or IPv6's alphabet with a colon, its groups not counted), or
 * empty.  Expect: a 100-continue alone in its list element, on an HTTP/1.1 request whose body
 * is still to come, asks for the interim 100 (Continue) (RFC 9110 10.1.1, TT_HTTP_CONTINUE);
 * other expectations, parameters included, are ignored.  The head (request line through the blank
 * line) is limited to TT_HTTP_HEAD_MAX bytes. Bodies framed by
 * Content-Length or by chunked transfer coding are skipped as part of the request; chunk extensions
 * and trailer field values are skipped without a length limit because they cost no memory (the
 * application's body_timeout_ms bounds them). The chunk framing's lines end in CRLF only
 * (section 7.1), whitespace after a chunk size only comes before an extension (7.1.1), and trailer
 * fields are "token ':' value".  Rejected as TT_HTTP_BAD, each with the reason
 * tt_http_refusal gives: any other version (one whose major version is another digit, HTTP/0.x
 * or HTTP/2.x to 9.x, is refused as such, 505; anything else as malformed, 400), a missing,
 * repeated or invalid Host as above, Transfer-Encoding whose codings are not a single "chunked"
 * last (section 6.3: framing that cannot be read, 400) or on an HTTP/1.0 request (section 6.1),
 * Content-Length together with chunked, differing repeated Content-Length values, lists in
 * Content-Length, lengths above TT_HTTP_LENGTH_MAX.  Not implemented (501, RFC 9110 15.6.2): a
 * line of Transfer-Encoding naming codings before a final "chunked" (section 6.1: a coding the
 * server does not know; a request whose later line breaks the framing is refused at the
 * first), and CONNECT (RFC 9110 9.3.6: a 2xx answer would turn the connection into a tunnel).
 * A request-target still going at the head's limit is refused as too long, 414 (section 3).
 *
 * Parser state layout (16 bytes, checked below):
 *
 *   0               8       10      11      12      13      14      15      16
 *   +---------------+-------+-------+-------+-------+-------+-------+-------+
 *   |   remaining   | head  | state | flags | field |vstate | cand  |  idx  |
 *   +---------------+-------+-------+-------+-------+-------+-------+-------+
 *
 *   head:  15       14       13 .. 0
 *         +--------+------+----------------------------------+
 *         |CONTINUE| HOST | head bytes seen (TT_HTTP_HEAD_MAX + 1 at most), from the first
 *         +--------+------+ byte of the request line --------+
 *   HOST: a Host line was read.  CONTINUE: an Expect line asked for 100-continue.
 *
 *   flags:  7     6        5       4         3      2        1   0
 *         +----+-------+--------+--------+-------+--------+--------+
 *         | CR |CHUNKED| HAS_CL |KEEPALIVE| CLOSE | HTTP11 | method |
 *         +----+-------+--------+--------+-------+--------+--------+
 *   CR: a CR was seen and the next byte must be LF.  KEEPALIVE/CLOSE: tokens seen in Connection.
 *
 * Response. tt_http_response_build() renders the configured response once, at configuration
 * time, into complete byte strings (keep-alive, close, and one for each refusal: 400, 505, 414
 * and 501, empty, with Connection: close), beside the fixed interim 100 (Continue); the data path
 * only picks one and copies it into mbufs. The built struct is immutable and shared read-only
 * by all workers.
 *
 * Callers: the parser is used by the worker lcore that owns the connection; the builder runs on
 * the main lcore before the workers start. No locks, no allocation on the data path.
 * Cost: lines whole in a piece of 16 bytes or more are taken at once: target, name and value
 * runs scanned 16 bytes at a time (SSSE3; a portable build looks bytes up one by one), names
 * looked up whole by length, "GET / HTTP/1.1" CRLF one compare. A line cut by the piece, and
 * any piece under 16 bytes, goes through the head states, each taking its bytes as one run in a
 * tight loop (a byte-class table lookup, the running word match advanced in place; a target's
 * and a field value's bytes skipped eight at a time, a whole "GET " at once); line ends clear
 * the per-line fields, so the state is the same whichever way a line was read.
 * bench/http_trace.sh, instructions per request whole / one byte per call: trace GET (31 B)
 * 326 / 3,952; wrk (39 B) 381 / 5,008; curl (74 B) 555 / 9,283; browser (438 B) 2,013 /
 * 54,270; form POST (116 B) 906 / 14,507 (the Host value's check is 110-170 of the whole
 * figures: 216, 214, 400, 1,842 and 758 without it). A Host value of the usual shape, whole in
 * the piece, is taken at once. Chunk framing goes byte by byte; a body or chunk payload costs
 * O(1) per piece.
 */

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* RFC 9112 leaves the limit to the server; 8 KiB is many times what load generators send. */
#define TT_HTTP_HEAD_MAX 8192u
/* Largest Content-Length or chunk size accepted: what fits in a signed 64-bit file offset. */
#define TT_HTTP_LENGTH_MAX ((uint64_t)INT64_MAX)

enum tt_http_method {
	TT_HTTP_GET,
	TT_HTTP_HEAD,
	TT_HTTP_POST,
	TT_HTTP_OTHER, /* PUT, DELETE, OPTIONS, ...: answered like GET (CONNECT is refused) */
};

enum tt_http_status {
	TT_HTTP_NEED_MORE, /* every byte consumed, request not complete yet */
	TT_HTTP_REQUEST,   /* one complete request (head and body) consumed */
	TT_HTTP_BAD,	   /* refused: answer with its status (tt_http_refusal) and close */
	TT_HTTP_CONTINUE,  /* as NEED_MORE; the head ended here and asks for 100 (Continue) */
};

struct tt_http_request {
	enum tt_http_method method;
	bool keep_alive;
};

/* Fields are private to tt_http.c (tt_http_phase below reads three); the struct is public only
 * so that the application can keep it in an application block. */
struct tt_http_parser {
	uint64_t remaining; /* Content-Length or chunk size being read, then body bytes left */
	uint16_t head;	    /* head bytes seen so far (checked against TT_HTTP_HEAD_MAX), flags */
	uint8_t state;
	uint8_t flags;
	uint8_t field;	/* header whose value is being read */
	uint8_t vstate; /* position inside that value */
	uint8_t cand;	/* word-table entry the running match is following */
	uint8_t idx;	/* bytes of that entry matched; digits compared for a repeated length;
			 * in a Host value, hex digits a "%" owes, or with cand what an IPv6
			 * literal has read (tt_http.c); once refused, why (tt_http_refusal) */
};

/* Exactly its fields' bytes: no padding, which tt_http_parser_fresh would compare and a struct
 * copy need not keep. */
static_assert(sizeof(struct tt_http_parser) == 16, "parser state: 16 bytes, no padding");

/* The low bits of tt_http_parser.head count its bytes, the two above them are flags. */
enum { TT_HTTP_HEAD_LEN_BITS = 14 };
static_assert(TT_HTTP_HEAD_MAX + 1 < 1u << TT_HTTP_HEAD_LEN_BITS, "a head's length fits its bits");

void tt_http_parser_init(struct tt_http_parser *p);

/* True while p holds nothing of a request: as tt_http_parser_init left it, or as a complete
 * request left it.  Inline: the application asks after every piece. */
static inline bool tt_http_parser_fresh(const struct tt_http_parser *p)
{
	static const struct tt_http_parser fresh;

	return memcmp(p, &fresh, sizeof(*p)) == 0;
}

/* The parser's states below this one read a request head (tt_http.c's enum state). */
enum { TT_HTTP_HEAD_STATES = 9 };

enum tt_http_phase {
	TT_HTTP_BETWEEN, /* no byte of a request yet */
	TT_HTTP_IN_HEAD, /* a head has begun (a byte of its request line, or a CR), not ended */
	TT_HTTP_IN_BODY, /* the head ended, its body has not */
};

/* Where p is in a request.  Before the request line a parser holds nothing but, at most, a
 * CR whose LF is still to come (a flag): that too is a head begun, so that every parser kept
 * between segments is under a deadline.  Inline: the application asks on every segment and
 * every deadline. */
static inline enum tt_http_phase tt_http_phase(const struct tt_http_parser *p)
{
	if (p->state >= TT_HTTP_HEAD_STATES)
		return TT_HTTP_IN_BODY;
	return (p->head & ((1u << TT_HTTP_HEAD_LEN_BITS) - 1)) > 0 || p->flags != 0
		   ? TT_HTTP_IN_HEAD
		   : TT_HTTP_BETWEEN;
}

/*
 * Consume bytes from data[0..len).
 * TT_HTTP_REQUEST: one complete request was consumed; *consumed = its bytes in this piece,
 *   *req is filled and the parser is reset for the next pipelined request, so the caller
 *   calls again with the rest of the piece.
 * TT_HTTP_NEED_MORE: all bytes consumed (*consumed == len), request incomplete.
 * TT_HTTP_CONTINUE: as NEED_MORE, and the head ended at this piece's end with a body to come
 *   and a 100-continue expectation on HTTP/1.1: the caller sends the interim response
 *   (tt_http_response.continue_100) before reading on.  A head whose body has begun in the
 *   same piece gets none (RFC 9110 10.1.1 lets a server omit it once content has come), so
 *   whether it is returned depends on where the pieces are cut; nothing else does.
 * TT_HTTP_BAD: malformed; *consumed = bytes before the offending one. The parser stays BAD
 *   (further calls return TT_HTTP_BAD with *consumed = 0) until tt_http_parser_init().
 */
enum tt_http_status tt_http_parse(struct tt_http_parser *p, const uint8_t *data, uint32_t len,
				  uint32_t *consumed, struct tt_http_request *req);

/* Why a request was refused: each is answered with its own status (tt_http_response.refusal),
 * and the connection closes. */
enum tt_http_refusal {
	TT_HTTP_REFUSED_MALFORMED,	 /* 400 Bad Request */
	TT_HTTP_REFUSED_VERSION,	 /* 505 HTTP Version Not Supported (RFC 9110 15.6.6) */
	TT_HTTP_REFUSED_TARGET_TOO_LONG, /* 414 URI Too Long (RFC 9110 15.5.15) */
	TT_HTTP_REFUSED_NOT_IMPLEMENTED, /* 501 Not Implemented (RFC 9110 15.6.2) */
	TT_HTTP_REFUSALS,
};

/* After TT_HTTP_BAD: why (above). */
enum tt_http_refusal tt_http_refusal(const struct tt_http_parser *p);

/*
 * Request memo.  A request is framed by its own bytes: a fresh parser ends it where the same
 * bytes end it, whatever follows them in the piece (tests/fuzz/fuzz_http.c holds every feeding
 * to the one-byte-per-call reference, which cannot look ahead).  So a piece that a fresh parser
 * would begin with the bytes of a request it read before holds that request again, and
 * tt_http_parse_memo answers it with one compare instead of a parse: load generators (wrk,
 * TRex, tcpterm-gen) send one request again and again, and each one of a pipelined batch is
 * matched in turn.  Anything else is parsed as by tt_http_parse, and the last whole request a
 * fresh parser read (TT_HTTP_MEMO_MAX bytes at most) replaces the memo.  A zeroed memo is
 * empty.  One per worker (the connections of a worker take turns in one parse at a time).
 */
enum { TT_HTTP_MEMO_MAX = 116 };

struct tt_http_memo {
	uint16_t len; /* bytes of the remembered request; 0: none */
	uint8_t method;
	bool keep_alive;
	uint8_t bytes[TT_HTTP_MEMO_MAX];
};

static_assert(sizeof(struct tt_http_memo) == 120, "a memo: its request and 4 bytes of header");

/* Whether data begins with the request memo m holds; if so its method and connection into
 * *req.  What tt_http_parse_memo answers a fresh parser with, leaving it fresh. */
static inline bool tt_http_memo_hit(const struct tt_http_memo *m, const uint8_t *data, uint32_t len,
				    struct tt_http_request *req)
{
	if (m->len == 0 || len < m->len || memcmp(data, m->bytes, m->len) != 0)
		return false;
	req->method = (enum tt_http_method)m->method;
	req->keep_alive = m->keep_alive;
	return true;
}

/* tt_http_parse through memo m: the same results and the same parser state after every call. */
enum tt_http_status tt_http_parse_memo(struct tt_http_memo *m, struct tt_http_parser *p,
				       const uint8_t *data, uint32_t len, uint32_t *consumed,
				       struct tt_http_request *req);

struct tt_http_response {
	/* Full response bytes; *_hdr_len = bytes up to and including the blank line (for HEAD).
	 * *_sum: tt_net_cksum_sum (seed 0) of those bytes, for the send queue (tt_sndq.h,
	 * Checksums). */
	uint8_t *keep_alive;
	uint32_t keep_alive_len;
	uint32_t keep_alive_hdr_len;
	uint16_t keep_alive_sum, keep_alive_hdr_sum;
	uint8_t *close; /* same with "Connection: close" */
	uint32_t close_len;
	uint32_t close_hdr_len;
	uint16_t close_sum, close_hdr_sum;
	/* The answer to each refusal (enum tt_http_refusal): its status, an empty body,
	 * Connection: close. */
	uint8_t *refusal[TT_HTTP_REFUSALS];
	uint32_t refusal_len[TT_HTTP_REFUSALS];
	uint16_t refusal_sum[TT_HTTP_REFUSALS];
	const uint8_t *continue_100; /* the interim "HTTP/1.1 100 Continue" (static bytes) */
	uint32_t continue_100_len;
	uint16_t continue_100_sum;
	/* A request head must be complete this long after its first byte (Slowloris), and its
	 * body this long after the head ended; set by the caller after tt_http_response_build,
	 * 0: no bound. */
	uint32_t header_timeout_ms;
	uint32_t body_timeout_ms;
};

/*
 * Render the response: status line (reason phrase for common codes, "Unknown" otherwise), the
 * given header lines ("Name: value", without CRLF) in order, Content-Length, Connection, blank
 * line, body. Statuses that cannot carry a body (1xx, 204, 304; RFC 9110 6.4.1, 8.6) get no
 * Content-Length and require body_len == 0.
 * Returns 0, -EINVAL (status outside 100..599, a header with CR, LF or another control
 * character, without a token name and colon, or naming Content-Length, Connection or
 * Transfer-Encoding, which the builder owns; body required but missing; response above 4 GiB)
 * or -ENOMEM. On error *r is left zeroed.
 */
int tt_http_response_build(struct tt_http_response *r, uint16_t status, const char *const *headers,
			   unsigned n_headers, const uint8_t *body, uint32_t body_len);

/* Release the buffers; safe on a zeroed or already freed response. */
void tt_http_response_free(struct tt_http_response *r);

#endif /* TT_HTTP_H */
