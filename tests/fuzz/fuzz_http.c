/*
 * libFuzzer harness for tt_http_parse(): TCP hands the parser a byte stream cut at arbitrary
 * points, and the parser keeps no bytes, only its 16-byte state, so it must find the same
 * requests and the same verdict however the stream is cut, and be in the same state after
 * the same bytes. The parser takes whole runs of bytes at once where it can; one byte per call
 * drives it through every state change one step at a time, so that feeding is the reference.
 *
 * Each input's stream is fed one byte per call first, recording the parser state after every
 * offset; then in one piece, in pieces whose lengths the input chooses, and (streams up to
 * SPLIT_ALL_MAX bytes) cut in two at every position. Every feeding must report the same
 * requests and the same refused byte, and after every call the parser must equal the
 * reference's state at the same offset, the refused byte's state after a refusal.  A call
 * whose piece ends where a head asking for 100 (Continue) ends must say so
 * (TT_HTTP_CONTINUE), and no other call may: one byte per call ends a piece at every head's
 * end, so the reference finds every such offset.
 *
 * The same feedings again through a request memo (tt_http_parse_memo), which must change
 * nothing: first with an empty memo, so that the stream's own requests fill it and a repeated
 * one is answered from it, then with the memo that feeding left, whose request may begin any
 * piece or lie across a cut.
 *
 * Input: one byte k (0..7), k bytes of piece lengths (each value + 1, used in turn and over
 * again), then the stream.  k = 0 feeds the stream one byte at a time.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tt_http.h"

enum { MAX_LENS = 7, SPLIT_ALL_MAX = 256 };

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
	/* The byte-by-byte reference: state after each stream offset, and after its refusal. */
	struct tt_http_parser *at;
	struct tt_http_parser bad_state;
	bool *cont;	/* the reference's offsets where a head asking for 100 (Continue) ended */
	bool recording; /* this is the reference: fill at[] instead of checking against it */
	struct tt_http_memo *memo; /* not NULL: parse through it */
};

static enum tt_http_status parse_piece(struct trace *t, const uint8_t *data, uint32_t len,
				       uint32_t *consumed, struct tt_http_request *req)
{
	if (t->memo != NULL)
		return tt_http_parse_memo(t->memo, &t->p, data, len, consumed, req);
	return tt_http_parse(&t->p, data, len, consumed, req);
}

/* After a call that left the stream at offset off (or refused the byte there). */
static void state_check(struct trace *t, const struct trace *ref, uint32_t off, bool refused)
{
	if (t->recording) {
		if (refused)
			t->bad_state = t->p;
		else
			t->at[off] = t->p;
		return;
	}
	FUZZ_CHECK(memcmp(&t->p, refused ? &ref->bad_state : &ref->at[off], sizeof(t->p)) == 0);
}

/* Feeds stream[off..off+n) as one piece; false once the parser has refused a byte. */
static bool feed(struct trace *t, const struct trace *ref, const uint8_t *stream, uint32_t off,
		 uint32_t n)
{
	uint32_t end = off + n;

	while (off < end) {
		struct tt_http_request req = {.method = TT_HTTP_OTHER};
		uint32_t avail = end - off, consumed = UINT32_MAX;

		switch (parse_piece(t, stream + off, avail, &consumed, &req)) {
		case TT_HTTP_NEED_MORE:
			FUZZ_CHECK(consumed == avail);
			FUZZ_CHECK(t->recording || !ref->cont[end]);
			break;
		case TT_HTTP_CONTINUE:
			FUZZ_CHECK(consumed == avail);
			FUZZ_CHECK(tt_http_phase(&t->p) == TT_HTTP_IN_BODY);
			if (t->recording)
				t->cont[end] = true;
			else
				FUZZ_CHECK(ref->cont[end]);
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
			state_check(t, ref, t->bad_at, true);
			/* Refused stays refused until the parser is reset. */
			consumed = UINT32_MAX;
			FUZZ_CHECK(parse_piece(t, stream + off, avail, &consumed, &req) ==
				   TT_HTTP_BAD);
			FUZZ_CHECK(consumed == 0);
			return false;
		}
		off += consumed;
		state_check(t, ref, off, false);
	}
	return true;
}

static void traces_equal(const struct trace *a, const struct trace *b)
{
	FUZZ_CHECK(a->n == b->n);
	for (uint32_t i = 0; i < a->n; i++) {
		FUZZ_CHECK(a->ev[i].end == b->ev[i].end);
		FUZZ_CHECK(a->ev[i].method == b->ev[i].method);
		FUZZ_CHECK(a->ev[i].keep_alive == b->ev[i].keep_alive);
	}
	FUZZ_CHECK(a->bad == b->bad);
	FUZZ_CHECK(!a->bad || a->bad_at == b->bad_at);
	/* Same bytes seen, same state: nothing about the cuts may linger in the parser. */
	FUZZ_CHECK(memcmp(&a->p, &b->p, sizeof(a->p)) == 0);
}

/* Feeds the stream in pieces of the given lengths (used in turn; none: one byte each). */
static void feed_pieces(struct trace *t, const struct trace *ref, const uint8_t *stream,
			uint32_t len, const uint8_t *lens, uint32_t k)
{
	uint32_t off = 0, piece = 0;

	t->n = 0;
	t->bad = false;
	tt_http_parser_init(&t->p);
	if (t->recording)
		t->at[0] = t->p;
	while (off < len) {
		uint32_t n = k ? lens[piece++ % k] + 1u : 1;

		if (n > len - off)
			n = len - off;
		if (!feed(t, ref, stream, off, n))
			break;
		off += n;
	}
}

/* Every feeding but the reference's: whole, in the input's pieces, cut in two everywhere. */
static void feedings(struct trace *t, const struct trace *ref, const uint8_t *stream, uint32_t len,
		     const uint8_t *lens, uint32_t k)
{
	t->n = 0;
	t->bad = false;
	tt_http_parser_init(&t->p);
	feed(t, ref, stream, 0, len);
	traces_equal(ref, t);
	feed_pieces(t, ref, stream, len, lens, k);
	traces_equal(ref, t);
	for (uint32_t cut = 1; len <= SPLIT_ALL_MAX && cut < len; cut++) {
		uint8_t two[2] = {(uint8_t)(cut - 1), (uint8_t)(len - cut - 1)};

		/* Piece lengths are one byte each: cut - 1 and len - cut - 1 fit below 256. */
		feed_pieces(t, ref, stream, len, two, 2);
		traces_equal(ref, t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_http_memo memo = {0};
	struct trace ref = {.recording = true}, t = {0};
	const uint8_t *lens, *stream;
	uint32_t k, len;

	if (size < 1 || size > UINT32_MAX / 2)
		return 0;
	k = data[0] % (MAX_LENS + 1);
	if (size < 1 + k)
		return 0;
	lens = data + 1;
	stream = data + 1 + k;
	len = (uint32_t)(size - 1 - k);
	ref.ev = calloc(len + 1, sizeof(*ref.ev));
	ref.at = calloc(len + 1, sizeof(*ref.at));
	ref.cont = calloc(len + 1, sizeof(*ref.cont));
	t.ev = calloc(len + 1, sizeof(*t.ev));
	FUZZ_CHECK(ref.ev && ref.at && ref.cont && t.ev);

	feed_pieces(&ref, NULL, stream, len, NULL, 0);
	feedings(&t, &ref, stream, len, lens, k);
	/* Through the memo: empty at first, then as the stream's requests left it. */
	t.memo = &memo;
	feedings(&t, &ref, stream, len, lens, k);
	feedings(&t, &ref, stream, len, lens, k);
	free(ref.ev);
	free(ref.at);
	free(ref.cont);
	free(t.ev);
	return 0;
}
