/*
 * libFuzzer harness for tt_http_parse(): TCP hands the parser a byte stream cut at arbitrary
 * points, and the parser keeps no bytes, only its 16-byte state, so it must find the same
 * requests and the same verdict however the stream is cut.  Each input is fed twice, in one
 * piece and in pieces whose lengths the input chooses, and the two traces must agree.
 *
 * Input: one byte k (0..7), k bytes of piece lengths (each value + 1, used in turn and over
 * again), then the stream.  k = 0 feeds the stream one byte at a time.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tt_http.h"

enum { MAX_LENS = 7 };

struct event {
	uint32_t end; /* stream offset just past the request */
	enum tt_http_method method;
	bool keep_alive;
};

struct trace {
	struct event *ev; /* room for one per stream byte: a request consumes at least one */
	uint32_t n;
	bool bad;
	uint32_t bad_at; /* stream offset of the byte the parser refused */
	struct tt_http_parser p;
};

/* Feeds stream[off..off+n) as one piece; false once the parser has refused a byte. */
static bool feed(struct trace *t, const uint8_t *stream, uint32_t off, uint32_t n)
{
	uint32_t end = off + n;

	while (off < end) {
		struct tt_http_request req = {.method = TT_HTTP_OTHER};
		uint32_t avail = end - off, consumed = UINT32_MAX;

		switch (tt_http_parse(&t->p, stream + off, avail, &consumed, &req)) {
		case TT_HTTP_NEED_MORE:
			FUZZ_CHECK(consumed == avail);
			break;
		case TT_HTTP_REQUEST:
			/* Zero would make the caller's loop over a piece spin forever. */
			FUZZ_CHECK(consumed >= 1 && consumed <= avail);
			FUZZ_CHECK(req.method <= TT_HTTP_OTHER);
			t->ev[t->n++] = (struct event){off + consumed, req.method, req.keep_alive};
			break;
		case TT_HTTP_BAD:
			FUZZ_CHECK(consumed < avail);
			t->bad = true;
			t->bad_at = off + consumed;
			/* Refused stays refused until the parser is reset. */
			consumed = UINT32_MAX;
			FUZZ_CHECK(tt_http_parse(&t->p, stream + off, avail, &consumed, &req) ==
				   TT_HTTP_BAD);
			FUZZ_CHECK(consumed == 0);
			return false;
		}
		off += consumed;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace whole = {0}, cut = {0};
	const uint8_t *lens, *stream;
	uint32_t k, len, off = 0, piece = 0;

	if (size < 1 || size > UINT32_MAX / 2)
		return 0;
	k = data[0] % (MAX_LENS + 1);
	if (size < 1 + k)
		return 0;
	lens = data + 1;
	stream = data + 1 + k;
	len = (uint32_t)(size - 1 - k);
	whole.ev = calloc(len + 1, sizeof(*whole.ev));
	cut.ev = calloc(len + 1, sizeof(*cut.ev));
	FUZZ_CHECK(whole.ev && cut.ev);
	tt_http_parser_init(&whole.p);
	tt_http_parser_init(&cut.p);

	feed(&whole, stream, 0, len);
	while (off < len) {
		uint32_t n = k ? lens[piece++ % k] + 1u : 1;

		if (n > len - off)
			n = len - off;
		if (!feed(&cut, stream, off, n))
			break;
		off += n;
	}

	FUZZ_CHECK(whole.n == cut.n);
	for (uint32_t i = 0; i < whole.n; i++) {
		FUZZ_CHECK(whole.ev[i].end == cut.ev[i].end);
		FUZZ_CHECK(whole.ev[i].method == cut.ev[i].method);
		FUZZ_CHECK(whole.ev[i].keep_alive == cut.ev[i].keep_alive);
	}
	FUZZ_CHECK(whole.bad == cut.bad);
	FUZZ_CHECK(!whole.bad || whole.bad_at == cut.bad_at);
	/* Same bytes seen, same state: nothing about the cuts may linger in the parser. */
	FUZZ_CHECK(memcmp(&whole.p, &cut.p, sizeof(whole.p)) == 0);
	free(whole.ev);
	free(cut.ev);
	return 0;
}
