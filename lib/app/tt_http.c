/* SPDX-License-Identifier: BSD-3-Clause */
#include "tt_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum state {
	/* Head states: every byte seen in them counts toward TT_HTTP_HEAD_MAX. */
	ST_LEAD, /* before the request line, skipping empty lines */
	ST_METHOD,
	ST_TARGET_START,
	ST_TARGET,
	ST_VERSION,  /* matching "HTTP/1." then the minor digit */
	ST_LINE_END, /* after the minor digit */
	ST_NAME_START,
	ST_NAME,
	ST_VALUE,
	/* Body states. */
	ST_BODY,
	ST_CHUNK_SIZE_START,
	ST_CHUNK_SIZE,
	ST_CHUNK_BWS, /* whitespace after the size, only ';' or the line end may follow */
	ST_CHUNK_EXT,
	ST_CHUNK_DATA,
	ST_CHUNK_DATA_END, /* the CRLF closing a chunk's data */
	ST_TRAILER_START,
	ST_TRAILER,
	ST_BAD,
};

static_assert(ST_BAD < 32, "line_end_states is a 32-bit mask");

/* States where CR starts a line end; elsewhere CR is an ordinary (invalid) byte. */
static const uint32_t line_end_states = 1u << ST_LEAD | 1u << ST_LINE_END | 1u << ST_NAME_START |
					1u << ST_VALUE | 1u << ST_CHUNK_SIZE | 1u << ST_CHUNK_BWS |
					1u << ST_CHUNK_EXT | 1u << ST_CHUNK_DATA_END |
					1u << ST_TRAILER_START | 1u << ST_TRAILER;

enum {
	F_METHOD = 0x03,
	F_HTTP11 = 0x04,
	F_CLOSE = 0x08,
	F_KEEP_ALIVE = 0x10,
	F_HAS_CL = 0x20,
	F_CHUNKED = 0x40,
	F_CR = 0x80,
};

static_assert((unsigned)TT_HTTP_OTHER <= (unsigned)F_METHOD, "method must fit its flag bits");

enum step {
	STEP_MORE,
	STEP_DONE,
	STEP_BAD,
};

/* A running match stops following any word once this is its candidate. */
#define MATCH_NONE 0xff

/* Request methods are case-sensitive (RFC 9110 9.1); index = enum tt_http_method. */
static const char *const method_words[] = {"GET", "HEAD", "POST"};
static_assert(sizeof(method_words) / sizeof(method_words[0]) == TT_HTTP_OTHER, "one per method");

enum field {
	FIELD_CONNECTION,
	FIELD_CONTENT_LENGTH,
	FIELD_TRANSFER_ENCODING,
	FIELD_OTHER,
};

/* Lowercase: names and the tokens below are compared case-insensitively. */
static const char *const field_words[] = {"connection", "content-length", "transfer-encoding"};
static_assert(sizeof(field_words) / sizeof(field_words[0]) == FIELD_OTHER, "one per field");

enum { TOKEN_CLOSE, TOKEN_KEEP_ALIVE };
static const char *const connection_words[] = {"close", "keep-alive"};
static const char *const coding_words[] = {"chunked"};

enum value_state {
	V_OWS,	 /* before an element (start of value or after a comma) */
	V_TOKEN, /* inside a token or a number */
	V_AFTER, /* whitespace after an element */
};

/* tchar of RFC 9110 5.6.2 as a bitmap of the ASCII range, one bit per byte value. */
static const uint32_t tchar_map[4] = {0x00000000, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff};

static bool is_tchar(uint8_t c)
{
	return c < 128 && (tchar_map[c >> 5] >> (c & 31) & 1);
}

/* field-vchar (VCHAR / obs-text) plus SP and HTAB: what may appear inside a field value. */
static bool is_value_char(uint8_t c)
{
	return (c >= 0x20 && c != 0x7f) || c == '\t';
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

static void match_start(struct tt_http_parser *p)
{
	p->cand = 0;
	p->idx = 0;
}

/*
 * Advance the running match by one byte. All words sharing the bytes matched so far stay
 * possible, so a mismatch on the current candidate moves to a sibling with the same prefix
 * ("con" continues as "connection" or "content-length") before giving up.
 */
static void match_step(struct tt_http_parser *p, const char *const *words, unsigned n_words,
		       uint8_t c)
{
	const char *cur;
	unsigned k;

	if (p->cand == MATCH_NONE)
		return;
	cur = words[p->cand];
	if ((uint8_t)cur[p->idx] != c) {
		p->cand = MATCH_NONE;
		for (k = 0; k < n_words; k++) {
			/* strncmp first: it proves words[k] is at least idx bytes long. */
			if (!strncmp(words[k], cur, p->idx) && (uint8_t)words[k][p->idx] == c) {
				p->cand = k;
				break;
			}
		}
		if (p->cand == MATCH_NONE)
			return;
	}
	p->idx++;
}

/* Index of the fully matched word, or n_words. */
static unsigned match_result(const struct tt_http_parser *p, const char *const *words,
			     unsigned n_words)
{
	if (p->cand == MATCH_NONE || words[p->cand][p->idx] != '\0')
		return n_words;
	return p->cand;
}

#define N_WORDS(w) (sizeof(w) / sizeof((w)[0]))

static enum step step_request_line(struct tt_http_parser *p, uint8_t c)
{
	static const char version[] = "HTTP/1.";

	switch (p->state) {
	case ST_LEAD:
		if (c == '\n')
			return STEP_MORE;
		if (!is_tchar(c))
			return STEP_BAD;
		p->state = ST_METHOD;
		match_start(p);
		/* fall through */
	case ST_METHOD:
		if (c == ' ') {
			p->flags |= match_result(p, method_words, N_WORDS(method_words));
			p->state = ST_TARGET_START;
			return STEP_MORE;
		}
		if (!is_tchar(c))
			return STEP_BAD;
		match_step(p, method_words, N_WORDS(method_words), c);
		return STEP_MORE;
	case ST_TARGET_START:
	case ST_TARGET:
		if (c == ' ' && p->state == ST_TARGET) {
			p->state = ST_VERSION;
			p->idx = 0;
			return STEP_MORE;
		}
		p->state = ST_TARGET;
		return c > 0x20 && c != 0x7f ? STEP_MORE : STEP_BAD;
	case ST_VERSION:
		if (p->idx < sizeof(version) - 1)
			return c == (uint8_t)version[p->idx++] ? STEP_MORE : STEP_BAD;
		if (c != '0' && c != '1')
			return STEP_BAD;
		p->flags |= c == '1' ? F_HTTP11 : 0;
		p->state = ST_LINE_END;
		return STEP_MORE;
	case ST_LINE_END:
		if (c != '\n')
			return STEP_BAD;
		p->state = ST_NAME_START;
		return STEP_MORE;
	}
	return STEP_BAD;
}

/* End of one element of Connection or Transfer-Encoding. */
static enum step token_end(struct tt_http_parser *p)
{
	unsigned t;

	if (p->field == FIELD_CONNECTION) {
		t = match_result(p, connection_words, N_WORDS(connection_words));
		if (t == TOKEN_CLOSE)
			p->flags |= F_CLOSE;
		else if (t == TOKEN_KEEP_ALIVE)
			p->flags |= F_KEEP_ALIVE;
		return STEP_MORE;
	}
	/* Only a single "chunked" is framing this responder can skip (RFC 9112 6.1, 7). */
	if (match_result(p, coding_words, N_WORDS(coding_words)) != 0 || (p->flags & F_CHUNKED))
		return STEP_BAD;
	p->flags |= F_CHUNKED;
	return STEP_MORE;
}

/* Connection and Transfer-Encoding values: #token lists, empty elements allowed. */
static enum step value_tokens(struct tt_http_parser *p, uint8_t c)
{
	const char *const *words = connection_words;
	unsigned n_words = N_WORDS(connection_words);
	enum step r = STEP_MORE;

	if (p->field == FIELD_TRANSFER_ENCODING) {
		words = coding_words;
		n_words = N_WORDS(coding_words);
	}
	if (is_tchar(c)) {
		if (p->vstate == V_AFTER)
			return STEP_BAD;
		if (p->vstate == V_OWS)
			match_start(p);
		p->vstate = V_TOKEN;
		match_step(p, words, n_words, fold(c));
		return STEP_MORE;
	}
	if (c != ',' && c != '\n' && !is_ws(c))
		return STEP_BAD;
	if (p->vstate == V_TOKEN)
		r = token_end(p);
	p->vstate = is_ws(c) && p->vstate != V_OWS ? V_AFTER : V_OWS;
	if (r == STEP_MORE && c == '\n' && p->field == FIELD_TRANSFER_ENCODING &&
	    !(p->flags & F_CHUNKED))
		return STEP_BAD;
	return r;
}

/* Decimal digit k (0 = most significant) of v, which has n significant digits. */
static unsigned digit_at(uint64_t v, unsigned n, unsigned k)
{
	for (k = n - 1 - k; k; k--)
		v /= 10;
	return v % 10;
}

static unsigned n_digits(uint64_t v)
{
	unsigned n = 0;

	for (; v; v /= 10)
		n++;
	return n;
}

/*
 * A first Content-Length accumulates into remaining. A repeated one must carry the same value
 * (RFC 9110 8.6); with no room for a second number it is checked digit by digit against the
 * stored one, leading zeros skipped, idx counting the significant digits matched.
 */
static enum step content_length_digit(struct tt_http_parser *p, unsigned d)
{
	unsigned n;

	if (!(p->flags & F_HAS_CL)) {
		if (p->remaining > (TT_HTTP_LENGTH_MAX - d) / 10)
			return STEP_BAD;
		p->remaining = p->remaining * 10 + d;
		return STEP_MORE;
	}
	if (p->idx == 0 && d == 0)
		return STEP_MORE;
	n = n_digits(p->remaining);
	if (p->idx >= n || digit_at(p->remaining, n, p->idx) != d)
		return STEP_BAD;
	p->idx++;
	return STEP_MORE;
}

static enum step value_content_length(struct tt_http_parser *p, uint8_t c)
{
	if (c >= '0' && c <= '9') {
		if (p->vstate == V_AFTER)
			return STEP_BAD;
		if (p->vstate == V_OWS) {
			p->vstate = V_TOKEN;
			p->idx = 0;
		}
		return content_length_digit(p, c - '0');
	}
	if (is_ws(c)) {
		if (p->vstate == V_TOKEN)
			p->vstate = V_AFTER;
		return STEP_MORE;
	}
	if (c != '\n' || p->vstate == V_OWS)
		return STEP_BAD;
	if ((p->flags & F_HAS_CL) && p->idx != n_digits(p->remaining))
		return STEP_BAD;
	p->flags |= F_HAS_CL;
	return STEP_MORE;
}

static enum step head_done(struct tt_http_parser *p)
{
	if (p->flags & F_CHUNKED) {
		/* Both framings at once is the request smuggling pattern (RFC 9112 6.1). */
		if ((p->flags & F_HAS_CL) || !(p->flags & F_HTTP11))
			return STEP_BAD;
		p->state = ST_CHUNK_SIZE_START;
		return STEP_MORE;
	}
	if (p->remaining == 0)
		return STEP_DONE;
	p->state = ST_BODY;
	return STEP_MORE;
}

static enum step step_header(struct tt_http_parser *p, uint8_t c)
{
	enum step r;

	switch (p->state) {
	case ST_NAME_START:
		if (c == '\n')
			return head_done(p);
		if (!is_tchar(c))
			return STEP_BAD;
		p->state = ST_NAME;
		match_start(p);
		/* fall through */
	case ST_NAME:
		if (c == ':') {
			p->field = match_result(p, field_words, N_WORDS(field_words));
			p->state = ST_VALUE;
			p->vstate = V_OWS;
			return STEP_MORE;
		}
		if (!is_tchar(c))
			return STEP_BAD;
		match_step(p, field_words, N_WORDS(field_words), fold(c));
		return STEP_MORE;
	case ST_VALUE:
		if (p->field == FIELD_CONTENT_LENGTH)
			r = value_content_length(p, c);
		else if (p->field == FIELD_OTHER)
			r = c == '\n' || is_value_char(c) ? STEP_MORE : STEP_BAD;
		else
			r = value_tokens(p, c);
		if (r == STEP_MORE && c == '\n')
			p->state = ST_NAME_START;
		return r;
	}
	return STEP_BAD;
}

static enum step chunk_size_done(struct tt_http_parser *p)
{
	p->state = p->remaining ? ST_CHUNK_DATA : ST_TRAILER_START;
	return STEP_MORE;
}

/* chunked-body of RFC 9112 7.1; extensions and trailer fields are checked for bytes only. */
static enum step step_chunk(struct tt_http_parser *p, uint8_t c)
{
	int d = hex_value(c);

	switch (p->state) {
	case ST_CHUNK_SIZE_START:
		if (d < 0)
			return STEP_BAD;
		p->state = ST_CHUNK_SIZE;
		/* fall through */
	case ST_CHUNK_SIZE:
		if (d >= 0) {
			if (p->remaining > TT_HTTP_LENGTH_MAX >> 4)
				return STEP_BAD;
			p->remaining = p->remaining << 4 | (unsigned)d;
			return STEP_MORE;
		}
		/* fall through */
	case ST_CHUNK_BWS:
		if (is_ws(c)) {
			p->state = ST_CHUNK_BWS;
			return STEP_MORE;
		}
		if (c == ';') {
			p->state = ST_CHUNK_EXT;
			return STEP_MORE;
		}
		return c == '\n' ? chunk_size_done(p) : STEP_BAD;
	case ST_CHUNK_EXT:
		if (c == '\n')
			return chunk_size_done(p);
		return is_value_char(c) ? STEP_MORE : STEP_BAD;
	case ST_CHUNK_DATA_END:
		p->state = ST_CHUNK_SIZE_START;
		return c == '\n' ? STEP_MORE : STEP_BAD;
	case ST_TRAILER_START:
		if (c == '\n')
			return STEP_DONE;
		p->state = ST_TRAILER;
		return is_tchar(c) ? STEP_MORE : STEP_BAD;
	case ST_TRAILER:
		if (c == '\n')
			p->state = ST_TRAILER_START;
		return c == '\n' || is_value_char(c) ? STEP_MORE : STEP_BAD;
	}
	return STEP_BAD;
}

/* Line ends are CRLF or a bare LF: a CR only arms the check, the LF does the line's work. */
static enum step step(struct tt_http_parser *p, uint8_t c)
{
	if (p->flags & F_CR) {
		if (c != '\n')
			return STEP_BAD;
		p->flags &= ~F_CR;
	} else if (c == '\r' && (line_end_states >> p->state & 1)) {
		p->flags |= F_CR;
		return STEP_MORE;
	}
	if (p->state < ST_NAME_START)
		return step_request_line(p, c);
	if (p->state < ST_BODY)
		return step_header(p, c);
	return step_chunk(p, c);
}

void tt_http_parser_init(struct tt_http_parser *p)
{
	memset(p, 0, sizeof(*p));
}

bool tt_http_in_head(const struct tt_http_parser *p)
{
	return p->state < ST_BODY && p->head_len > 0;
}

static void request_fill(const struct tt_http_parser *p, struct tt_http_request *req)
{
	req->method = (enum tt_http_method)(p->flags & F_METHOD);
	if (p->flags & F_CLOSE)
		req->keep_alive = false;
	else if (p->flags & F_HTTP11)
		req->keep_alive = true;
	else
		req->keep_alive = p->flags & F_KEEP_ALIVE;
}

/* Skip body bytes in bulk; returns the bytes taken from avail. */
static uint32_t body_skip(struct tt_http_parser *p, uint32_t avail)
{
	uint32_t n = p->remaining < avail ? (uint32_t)p->remaining : avail;

	p->remaining -= n;
	if (p->remaining == 0 && p->state == ST_CHUNK_DATA)
		p->state = ST_CHUNK_DATA_END;
	return n;
}

enum tt_http_status tt_http_parse(struct tt_http_parser *p, const uint8_t *data, uint32_t len,
				  uint32_t *consumed, struct tt_http_request *req)
{
	uint32_t i = 0;
	enum step r;

	if (p->state == ST_BAD) {
		*consumed = 0;
		return TT_HTTP_BAD;
	}
	while (i < len) {
		if (p->state == ST_BODY || p->state == ST_CHUNK_DATA) {
			i += body_skip(p, len - i);
			if (p->state == ST_BODY && p->remaining == 0)
				goto done;
			continue;
		}
		if (p->state < ST_BODY && ++p->head_len > TT_HTTP_HEAD_MAX)
			r = STEP_BAD;
		else
			r = step(p, data[i]);
		if (r == STEP_BAD) {
			p->state = ST_BAD;
			*consumed = i;
			return TT_HTTP_BAD;
		}
		i++;
		if (r == STEP_DONE)
			goto done;
	}
	*consumed = len;
	return TT_HTTP_NEED_MORE;
done:
	request_fill(p, req);
	tt_http_parser_init(p);
	*consumed = i;
	return TT_HTTP_REQUEST;
}

/* Reason phrases of RFC 9110 section 15 for the codes a responder is usually configured with. */
static const struct {
	uint16_t status;
	const char *reason;
} reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {500, "Internal Server Error"},
    {503, "Service Unavailable"},
};

static const char *reason_phrase(uint16_t status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

/* Header fields whose value the builder computes; a configured copy would contradict it. */
static const char *const owned_fields[] = {"content-length", "connection", "transfer-encoding"};

static bool name_is(const char *name, size_t len, const char *word)
{
	size_t i;

	if (strlen(word) != len)
		return false;
	for (i = 0; i < len; i++)
		if (fold((uint8_t)name[i]) != (uint8_t)word[i])
			return false;
	return true;
}

static int header_check(const char *h)
{
	size_t name_len = 0, i;

	if (!h)
		return -EINVAL;
	while (is_tchar((uint8_t)h[name_len]))
		name_len++;
	if (name_len == 0 || h[name_len] != ':')
		return -EINVAL;
	for (i = 0; i < sizeof(owned_fields) / sizeof(owned_fields[0]); i++)
		if (name_is(h, name_len, owned_fields[i]))
			return -EINVAL;
	for (i = name_len + 1; h[i]; i++)
		if (!is_value_char((uint8_t)h[i]))
			return -EINVAL;
	return 0;
}

/* One response as the pieces it is concatenated from. */
struct layout {
	char status_line[48];
	char length_line[40]; /* empty for statuses without a body */
	const char *const *headers;
	unsigned n_headers;
	const uint8_t *body;
	uint32_t body_len;
};

static uint8_t *put(uint8_t *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return dst + n;
}

static int render(const struct layout *l, const char *connection, uint8_t **buf, uint32_t *len,
		  uint32_t *hdr_len)
{
	size_t head = strlen(l->status_line) + strlen(l->length_line) + strlen(connection) + 2;
	uint8_t *b, *w;
	unsigned i;

	for (i = 0; i < l->n_headers; i++)
		head += strlen(l->headers[i]) + 2;
	if (head + l->body_len > UINT32_MAX)
		return -EINVAL;
	b = malloc(head + l->body_len);
	if (!b)
		return -ENOMEM;
	w = put(b, l->status_line, strlen(l->status_line));
	for (i = 0; i < l->n_headers; i++) {
		w = put(w, l->headers[i], strlen(l->headers[i]));
		w = put(w, "\r\n", 2);
	}
	w = put(w, l->length_line, strlen(l->length_line));
	w = put(w, connection, strlen(connection));
	w = put(w, "\r\n", 2);
	if (l->body_len)
		put(w, l->body, l->body_len);
	*buf = b;
	*len = (uint32_t)(head + l->body_len);
	*hdr_len = (uint32_t)head;
	return 0;
}

static void layout_init(struct layout *l, uint16_t status, bool with_length, uint32_t body_len)
{
	snprintf(l->status_line, sizeof(l->status_line), "HTTP/1.1 %u %s\r\n", status,
		 reason_phrase(status));
	if (with_length)
		snprintf(l->length_line, sizeof(l->length_line), "Content-Length: %u\r\n",
			 body_len);
	else
		l->length_line[0] = '\0';
}

int tt_http_response_build(struct tt_http_response *r, uint16_t status, const char *const *headers,
			   unsigned n_headers, const uint8_t *body, uint32_t body_len)
{
	/* 1xx, 204 and 304 never carry content (RFC 9110 6.4.1) nor a 204/1xx length (8.6). */
	bool bodiless = status < 200 || status == 204 || status == 304;
	struct layout resp = {
	    .headers = headers, .n_headers = n_headers, .body = body, .body_len = body_len};
	struct layout bad = {0};
	uint32_t bad_hdr_len;
	unsigned i;
	int rc;

	memset(r, 0, sizeof(*r));
	if (status < 100 || status > 599 || (n_headers && !headers) || (body_len && !body) ||
	    (bodiless && body_len))
		return -EINVAL;
	for (i = 0; i < n_headers; i++)
		if (header_check(headers[i]))
			return -EINVAL;
	layout_init(&resp, status, !bodiless, body_len);
	layout_init(&bad, 400, true, 0);
	rc = render(&resp, "Connection: keep-alive\r\n", &r->keep_alive, &r->keep_alive_len,
		    &r->keep_alive_hdr_len);
	if (!rc)
		rc = render(&resp, "Connection: close\r\n", &r->close, &r->close_len,
			    &r->close_hdr_len);
	if (!rc)
		rc = render(&bad, "Connection: close\r\n", &r->bad_request, &r->bad_request_len,
			    &bad_hdr_len);
	if (rc)
		tt_http_response_free(r);
	return rc;
}

void tt_http_response_free(struct tt_http_response *r)
{
	free(r->keep_alive);
	free(r->close);
	free(r->bad_request);
	memset(r, 0, sizeof(*r));
}
