/* SPDX-License-Identifier: BSD-3-Clause */
#include "tt_http.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_http_field.h"
#include "tt_net.h"

#if defined(__SSSE3__) && !defined(TT_HTTP_PORTABLE)
#define SIMD
#include <tmmintrin.h>
#endif

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
	ST_CHUNK_BWS, /* whitespace after the size: only more of it or ';' may follow */
	ST_CHUNK_EXT,
	ST_CHUNK_DATA,
	ST_CHUNK_DATA_END, /* the CRLF closing a chunk's data */
	ST_TRAILER_START,
	ST_TRAILER,	  /* a trailer field's name */
	ST_TRAILER_VALUE, /* after its colon */
	ST_BAD,
	ST_DONE, /* a request ended in this call; never stored, the parser is reset instead */
};

static_assert((int)ST_BODY == (int)TT_HTTP_HEAD_STATES,
	      "tt_http_phase tells the head states apart");
static_assert(ST_BAD < 32, "chunk_line_end_states is a 32-bit mask");

/* Chunk framing states where CR starts a line end; elsewhere CR is an ordinary (invalid) byte. */
static const uint32_t chunk_line_end_states = 1u << ST_CHUNK_SIZE | 1u << ST_CHUNK_EXT |
					      1u << ST_CHUNK_DATA_END | 1u << ST_TRAILER_START |
					      1u << ST_TRAILER_VALUE;

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

/* tt_http_parser.head: the head's length below TT_HTTP_HEAD_LEN_BITS, these flags above. */
enum {
	H_LEN = (1u << TT_HTTP_HEAD_LEN_BITS) - 1,
	H_HOST = 1u << TT_HTTP_HEAD_LEN_BITS,
	H_CONTINUE = 1u << (TT_HTTP_HEAD_LEN_BITS + 1),
};

static_assert(TT_HTTP_HEAD_LEN_BITS + 2 == 16, "two flags fill tt_http_parser.head");

static uint32_t head_len(const struct tt_http_parser *p)
{
	return p->head & H_LEN;
}

enum step {
	STEP_MORE,
	STEP_DONE,
	STEP_BAD,
};

/* A running match stops following any word once this is its candidate. */
#define MATCH_NONE 0xff

/* A word the parser recognises; len lets a whole name be compared without a NUL search. */
struct word {
	const char *text;
	size_t len;
};

#define WORD(s)                                                                                    \
	{                                                                                          \
		s, sizeof(s) - 1                                                                   \
	}

/* Request methods are case-sensitive (RFC 9110 9.1); index = enum tt_http_method, then
 * CONNECT, which is refused. */
enum { METHOD_CONNECT = TT_HTTP_OTHER };
static const struct word method_words[] = {WORD("GET"), WORD("HEAD"), WORD("POST"),
					   WORD("CONNECT")};
static_assert(sizeof(method_words) / sizeof(method_words[0]) == METHOD_CONNECT + 1,
	      "one per method, and CONNECT");

enum field {
	FIELD_CONNECTION,
	FIELD_CONTENT_LENGTH,
	FIELD_TRANSFER_ENCODING,
	FIELD_HOST,
	FIELD_EXPECT,
	FIELD_OTHER,
	/* Set by the value, not the name: a Transfer-Encoding line that named a coding other
	 * than chunked. */
	FIELD_TE_CODED,
};

/* Lowercase: names and the tokens below are compared case-insensitively. */
static const struct word field_words[] = {WORD("connection"), WORD("content-length"),
					  WORD("transfer-encoding"), WORD("host"), WORD("expect")};
static_assert(sizeof(field_words) / sizeof(field_words[0]) == FIELD_OTHER, "one per field");

enum { TOKEN_CLOSE, TOKEN_KEEP_ALIVE };
static const struct word connection_words[] = {WORD("close"), WORD("keep-alive")};
static const struct word coding_words[] = {WORD("chunked")};
static const struct word expect_words[] = {WORD("100-continue")};

enum value_state {
	V_OWS,	 /* before an element (start of value or after a comma) */
	V_TOKEN, /* inside a token or a number */
	V_AFTER, /* whitespace after an element */
	V_SKIP,	 /* Expect: the rest of an element that is not a bare token */
	/* Host's parts (host_byte) */
	V_HOST_NAME,	     /* a reg-name or IPv4 address */
	V_HOST_LITERAL_OPEN, /* just after '[' */
	/* An IPv6 literal (ipv6_byte); _DC: its "::" came before */
	V_HOST_V6_LEAD,	    /* a ":" first: another must follow */
	V_HOST_V6_GROUP,    /* inside a group of hex digits */
	V_HOST_V6_GROUP_DC, /* the same after the "::" */
	V_HOST_V6_COLON,    /* a ":" after a group */
	V_HOST_V6_COLON_DC, /* the same after the "::" */
	V_HOST_V6_DCOLON,   /* just after the "::" */
	V_HOST_V6_IPV4,	    /* its dotted IPv4 tail */
	V_HOST_FUTURE_V,    /* IPvFuture: after its "v", a hex digit must follow */
	V_HOST_FUTURE_VER,  /* its version's hex digits, up to the "." */
	V_HOST_FUTURE_DOT,  /* after the ".", a byte of the address must follow */
	V_HOST_FUTURE,	    /* the address's bytes */
	V_HOST_LITERAL_END, /* just after ']' */
	V_HOST_PORT,	    /* after the ':' */
};

/*
 * Byte classes, one table lookup per byte: tchar of RFC 9110 5.6.2; field-vchar (VCHAR /
 * obs-text, 5.5) plus SP and HTAB, what may appear inside a field value; the bytes a request
 * target may hold (VCHAR / obs-text; its grammar is not checked); and the unreserved and
 * sub-delims bytes of RFC 3986 2.2-2.3, a host's.
 */
enum {
	C_TCHAR = 1,
	C_VALUE = 2,
	C_TARGET = 4,
	C_HOST = 8,
};

#define IS_HOST_CHAR(c)                                                                            \
	(TT_HTTP_IS_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' ||            \
	 (c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' ||      \
	 (c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' || (c) == '=')
#define CLASS(c)                                                                                   \
	((TT_HTTP_IS_TCHAR(c) ? C_TCHAR : 0) | (TT_HTTP_IS_VALUE_CHAR(c) ? C_VALUE : 0) |          \
	 ((c) > 0x20 && (c) != 0x7f ? C_TARGET : 0) | (IS_HOST_CHAR(c) ? C_HOST : 0))
#define CLASS_ROW(r)                                                                               \
	CLASS(r), CLASS(r + 1), CLASS(r + 2), CLASS(r + 3), CLASS(r + 4), CLASS(r + 5),            \
	    CLASS(r + 6), CLASS(r + 7), CLASS(r + 8), CLASS(r + 9), CLASS(r + 10), CLASS(r + 11),  \
	    CLASS(r + 12), CLASS(r + 13), CLASS(r + 14), CLASS(r + 15)

static const uint8_t char_class[256] = {
    CLASS_ROW(0x00), CLASS_ROW(0x10), CLASS_ROW(0x20), CLASS_ROW(0x30),
    CLASS_ROW(0x40), CLASS_ROW(0x50), CLASS_ROW(0x60), CLASS_ROW(0x70),
    CLASS_ROW(0x80), CLASS_ROW(0x90), CLASS_ROW(0xa0), CLASS_ROW(0xb0),
    CLASS_ROW(0xc0), CLASS_ROW(0xd0), CLASS_ROW(0xe0), CLASS_ROW(0xf0),
};

static bool is_tchar(uint8_t c)
{
	return char_class[c] & C_TCHAR;
}

static bool is_value_char(uint8_t c)
{
	return char_class[c] & C_VALUE;
}

/*
 * Skip the run of bytes at s that are all at least lo and not DEL, looked at eight at a time (lo
 * at most 0x80, so obs-text never stops it); returns the first byte that is not, or where fewer
 * than eight bytes are left.  The caller's byte loop decides on that byte (a tab inside a
 * value, a line end, a refused byte) and on the piece's last bytes.
 */
static const uint8_t *skip_printable(const uint8_t *s, const uint8_t *e, uint8_t lo)
{
	const uint64_t ones = 0x0101010101010101ull, highs = ones << 7, del = ones * 0x7f;
	uint64_t w, d, stop;

	for (; e - s >= 8; s += 8) {
		memcpy(&w, s, sizeof(w));
		w = le64toh(w); /* the first byte in the lowest bits */
		d = w ^ del;	/* a zero byte where w has a DEL */
		/* High bits of the bytes below lo or zero in d; a borrow only runs upward, so the
		 * lowest one set is exact. */
		stop = (((w - ones * lo) & ~w) | ((d - ones) & ~d)) & highs;
		if (stop)
			return s + __builtin_ctzll(stop) / 8;
	}
	return s;
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

/*
 * Runs of one class are scanned 16 bytes at a time: with SSSE3 (every build here: DPDK's flags
 * carry -march=corei7) C_TARGET and C_VALUE are byte ranges (C_TARGET above SP, C_VALUE from SP
 * up plus HTAB, DEL in neither, obs-text in both) and C_TCHAR a bitmap looked up by nibbles;
 * other builds, and the tests of that path (TT_HTTP_PORTABLE), look each byte up in char_class.
 */
#ifdef SIMD
/* Bit h of entry l: byte (h << 4 | l) is a tchar; h < 8, no tchar is above 0x7f. */
#define TCHAR_BITS(l)                                                                              \
	(char)(TT_HTTP_IS_TCHAR((l) + 0x20) << 2 | TT_HTTP_IS_TCHAR((l) + 0x30) << 3 |             \
	       TT_HTTP_IS_TCHAR((l) + 0x40) << 4 | TT_HTTP_IS_TCHAR((l) + 0x50) << 5 |             \
	       TT_HTTP_IS_TCHAR((l) + 0x60) << 6 | TT_HTTP_IS_TCHAR((l) + 0x70) << 7)

static inline __m128i tchar_bits(__m128i v)
{
	const __m128i by_low =
	    _mm_setr_epi8(TCHAR_BITS(0), TCHAR_BITS(1), TCHAR_BITS(2), TCHAR_BITS(3), TCHAR_BITS(4),
			  TCHAR_BITS(5), TCHAR_BITS(6), TCHAR_BITS(7), TCHAR_BITS(8), TCHAR_BITS(9),
			  TCHAR_BITS(10), TCHAR_BITS(11), TCHAR_BITS(12), TCHAR_BITS(13),
			  TCHAR_BITS(14), TCHAR_BITS(15));
	const __m128i by_high =
	    _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char)128, 0, 0, 0, 0, 0, 0, 0, 0);
	__m128i high = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0f));

	/* pshufb gives 0 for an index with its top bit set: obs-text finds no bit. */
	return _mm_and_si128(_mm_shuffle_epi8(by_low, v), _mm_shuffle_epi8(by_high, high));
}
#endif

enum { SCAN_WIDTH = 16 };

/* Bit i set where byte i of the SCAN_WIDTH at q is not of class cls. */
static inline unsigned outside_class16(const uint8_t *q, uint8_t cls)
{
#ifdef SIMD
	__m128i v = _mm_loadu_si128((const __m128i *)q), out;

	if (cls == C_TCHAR) {
		out = _mm_cmpeq_epi8(tchar_bits(v), _mm_setzero_si128());
	} else {
		out = _mm_min_epu8(v, _mm_set1_epi8(cls == C_TARGET ? 0x20 : 0x1f));
		out = _mm_cmpeq_epi8(out, v);
		if (cls == C_VALUE)
			out = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')), out);
		out = _mm_or_si128(out, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
	}
	return (unsigned)_mm_movemask_epi8(out);
#else
	unsigned m = 0, i;

	for (i = 0; i < SCAN_WIDTH; i++)
		m |= (unsigned)!(char_class[q[i]] & cls) << i;
	return m;
#endif
}

/*
 * The first byte in [s, e) not of class cls, or e. The piece ending at e holds at least
 * SCAN_WIDTH bytes and every load lies in it: SCAN_WIDTH bytes at s while that many remain,
 * then the piece's last SCAN_WIDTH with the bytes before s shifted out.
 */
static inline const uint8_t *skip_class(const uint8_t *s, const uint8_t *e, uint8_t cls)
{
	unsigned m;

	for (; e - s >= SCAN_WIDTH; s += SCAN_WIDTH) {
		m = outside_class16(s, cls);
		if (m)
			return s + __builtin_ctz(m);
	}
	if (s == e)
		return e;
	m = outside_class16(e - SCAN_WIDTH, cls) >> (SCAN_WIDTH - (e - s));
	return m ? s + __builtin_ctz(m) : e;
}

#define N_WORDS(w) (sizeof(w) / sizeof((w)[0]))

/* Index of the word equal to the n bytes at s case-folded, or n_words. */
static unsigned word_index(const struct word *words, unsigned n_words, const uint8_t *s, size_t n)
{
	unsigned k;
	size_t j;

	/* The words differ in length: only one can be the one. */
	for (k = 0; k < n_words && words[k].len != n; k++)
		;
	for (j = 0; k < n_words && j < n; j++)
		if (fold(s[j]) != (uint8_t)words[k].text[j])
			return n_words;
	return k;
}

/*
 * The first word after cand sharing its first idx bytes and continuing with c, or MATCH_NONE:
 * all words sharing the bytes matched so far stay possible ("con" continues as "connection" or
 * "content-length").
 */
static unsigned match_sibling(const struct word *words, unsigned n_words, unsigned cand,
			      unsigned idx, uint8_t c)
{
	const char *cur = words[cand].text;
	unsigned k, j;

	for (k = 0; k < n_words; k++) {
		/* cur's first idx bytes are tchars, never NUL: a shorter words[k] stops j. */
		for (j = 0; j < idx && words[k].text[j] == cur[j]; j++)
			;
		if (j == idx && (uint8_t)words[k].text[idx] == c)
			return k;
	}
	return MATCH_NONE;
}

/*
 * Follow the running match (cand, idx) over the run of tchars at s, case-folded for names and
 * tokens; returns the first byte after the run (or e). A byte that differs from the candidate's
 * moves to a sibling before giving up; once given up the rest of the run is only scanned.
 */
static inline const uint8_t *match_run(struct tt_http_parser *p, const struct word *words,
				       unsigned n_words, bool fold_case, const uint8_t *s,
				       const uint8_t *e)
{
	unsigned cand = p->cand, idx = p->idx;

	for (; s < e && cand != MATCH_NONE && is_tchar(*s); s++) {
		uint8_t c = fold_case ? fold(*s) : *s;

		if (c != (uint8_t)words[cand].text[idx])
			cand = match_sibling(words, n_words, cand, idx, c);
		if (cand != MATCH_NONE)
			idx++;
	}
	while (s < e && is_tchar(*s))
		s++;
	p->cand = cand;
	p->idx = idx;
	return s;
}

/* Index of the fully matched word, or n_words. */
static unsigned match_result(const struct tt_http_parser *p, const struct word *words,
			     unsigned n_words)
{
	if (p->cand == MATCH_NONE || words[p->cand].len != p->idx)
		return n_words;
	return p->cand;
}

/* Also clears a match spent on its word: the state after a word must not depend on whether the
 * word was compared at once or followed across pieces. */
static void match_start(struct tt_http_parser *p)
{
	p->cand = 0;
	p->idx = 0;
}

/* The byte at s is refused for why (kept in idx); it is where the caller reports the error. */
static const uint8_t *refuse_for(struct tt_http_parser *p, const uint8_t *s,
				 enum tt_http_refusal why)
{
	p->state = ST_BAD;
	p->idx = (uint8_t)why;
	return s;
}

static const uint8_t *refuse(struct tt_http_parser *p, const uint8_t *s)
{
	return refuse_for(p, s, TT_HTTP_REFUSED_MALFORMED);
}

enum tt_http_refusal tt_http_refusal(const struct tt_http_parser *p)
{
	return p->state == ST_BAD ? (enum tt_http_refusal)p->idx : TT_HTTP_REFUSED_MALFORMED;
}

/*
 * *sp is at a CR where a line may end. True with *sp moved to the LF after it, which the caller
 * then handles as a bare LF. False when the piece ends after the CR (remembered in F_CR, *sp =
 * e) or another byte follows (refused, *sp at it).
 */
static bool cr_lf(struct tt_http_parser *p, const uint8_t **sp, const uint8_t *e)
{
	const uint8_t *s = *sp + 1;

	if (s < e && *s == '\n') {
		*sp = s;
		return true;
	}
	p->flags |= F_CR;
	*sp = s == e ? e : refuse(p, s);
	return false;
}

/*
 * The LF at lf ended a line; a header line or the blank line follows. What the line left in the
 * fields below is cleared: the state at a line start must be the same whether the line came
 * whole in a piece (taken at once, those fields never written) or byte by byte.
 */
static const uint8_t *next_line(struct tt_http_parser *p, const uint8_t *lf)
{
	p->state = ST_NAME_START;
	p->field = 0;
	p->vstate = 0;
	p->cand = 0;
	p->idx = 0;
	return lf + 1;
}

/* The blank line ending the head: the request is done unless a body follows. */
static bool head_done(struct tt_http_parser *p)
{
	/* Every HTTP/1.1 request names its host (RFC 9112 3.2). */
	if ((p->flags & F_HTTP11) && !(p->head & H_HOST))
		return false;
	if (p->flags & F_CHUNKED) {
		/* Both framings at once is the request smuggling pattern (RFC 9112 6.1). */
		if ((p->flags & F_HAS_CL) || !(p->flags & F_HTTP11))
			return false;
		p->state = ST_CHUNK_SIZE_START;
	} else {
		p->state = p->remaining ? ST_BODY : ST_DONE;
	}
	return true;
}

static const uint8_t *name_end(struct tt_http_parser *p, unsigned field, const uint8_t *colon)
{
	p->field = field;
	p->state = ST_VALUE;
	p->vstate = V_OWS;
	match_start(p);
	return colon + 1;
}

/*
 * Head states. Each consumes the bytes at s (s < e) that it can, as one run, and returns where
 * it stopped: at e, after the byte that changed the state, or at the refused byte.
 */

/*
 * Empty lines before a request line (RFC 9112 2.2), from s: skipped, and nothing of them is
 * kept but a CR that ended the piece (F_CR, whose LF the next piece must bring).  Returns where
 * they end: at e, or at a byte that is no line end (or is refused).
 */
static const uint8_t *skip_empty_lines(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	if (s < e && (p->flags & F_CR)) {
		if (*s != '\n')
			return refuse(p, s);
		p->flags &= ~F_CR;
		s++;
	}
	for (; s < e; s++) {
		if (*s == '\r' && !cr_lf(p, &s, e))
			return s;
		if (*s != '\n')
			break;
	}
	return s;
}

/* The request line's first byte (empty lines before it skipped, tt_http_parse). */
static inline const uint8_t *lead(struct tt_http_parser *p, const uint8_t *s)
{
	if (!is_tchar(*s))
		return refuse(p, s);
	p->state = ST_METHOD;
	match_start(p);
	return s;
}

static const uint8_t *method(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	unsigned m;

	/* The usual case, the method's first byte here and a whole "GET " in this piece, at once,
	 * leaving the state the byte by byte match leaves (GET is word 0, and sets no method
	 * flag). */
	static_assert(TT_HTTP_GET == 0, "GET is method word 0 and flag value 0");
	if (p->cand == 0 && p->idx == 0 && e - s >= 4 && memcmp(s, "GET ", 4) == 0) {
		p->idx = 3;
		p->state = ST_TARGET_START;
		return s + 4;
	}
	s = match_run(p, method_words, N_WORDS(method_words), false, s, e);
	if (s == e)
		return s;
	if (*s != ' ')
		return refuse(p, s);
	m = match_result(p, method_words, N_WORDS(method_words));
	if (m == METHOD_CONNECT)
		return refuse_for(p, s, TT_HTTP_REFUSED_NOT_IMPLEMENTED);
	p->flags |= m < METHOD_CONNECT ? m : TT_HTTP_OTHER;
	p->state = ST_TARGET_START;
	return s + 1;
}

static const uint8_t *target(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	if (p->state == ST_TARGET_START) {
		/* Not a space: the target is not empty. */
		p->state = ST_TARGET;
		if (!(char_class[*s] & C_TARGET))
			return refuse(p, s);
		s++;
	}
	s = skip_printable(s, e, 0x21);
	while (s < e && (char_class[*s] & C_TARGET))
		s++;
	if (s == e)
		return s;
	if (*s != ' ')
		return refuse(p, s);
	p->state = ST_VERSION;
	p->idx = 0;
	return s + 1;
}

static const uint8_t *version(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	static const char prefix[] = "HTTP/1.";
	enum { PREFIX_LEN = sizeof(prefix) - 1 };

	/* The usual case, the whole version in this piece, at once. */
	if (p->idx == 0 && e - s >= PREFIX_LEN && !memcmp(s, prefix, PREFIX_LEN)) {
		p->idx = PREFIX_LEN;
		s += PREFIX_LEN;
	}
	for (; s < e && p->idx < PREFIX_LEN; s++) {
		/* At the major version's digit another one is another version of HTTP (RFC 9110
		 * 15.6.6), refused as such. */
		bool major = p->idx == PREFIX_LEN - 2 && *s >= '0' && *s <= '9';

		if (*s == (uint8_t)prefix[p->idx++])
			continue;
		return refuse_for(p, s,
				  major ? TT_HTTP_REFUSED_VERSION : TT_HTTP_REFUSED_MALFORMED);
	}
	if (s == e)
		return s;
	/* A later minor version is read as the highest this one implements (RFC 9110 2.5). */
	if (*s < '0' || *s > '9')
		return refuse(p, s);
	p->flags |= *s != '0' ? F_HTTP11 : 0;
	p->state = ST_LINE_END;
	return s + 1;
}

static const uint8_t *line_end(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	if (*s == '\r' && !cr_lf(p, &s, e))
		return s;
	if (*s != '\n')
		return refuse(p, s);
	return next_line(p, s);
}

static inline const uint8_t *name_start(struct tt_http_parser *p, const uint8_t *s,
					const uint8_t *e)
{
	if (*s == '\r' && !cr_lf(p, &s, e))
		return s;
	if (*s == '\n')
		return head_done(p) ? s + 1 : refuse(p, s);
	if (!is_tchar(*s))
		return refuse(p, s);
	p->state = ST_NAME;
	match_start(p);
	return s;
}

static const uint8_t *name(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	s = match_run(p, field_words, N_WORDS(field_words), true, s, e);
	if (s == e)
		return s;
	if (*s != ':')
		return refuse(p, s);
	return name_end(p, match_result(p, field_words, N_WORDS(field_words)), s);
}

/* End of one element of Connection or Transfer-Encoding; false if the element is refused. */
static bool token_end(struct tt_http_parser *p)
{
	unsigned t;

	if (p->field == FIELD_CONNECTION) {
		t = match_result(p, connection_words, N_WORDS(connection_words));
		if (t == TOKEN_CLOSE)
			p->flags |= F_CLOSE;
		else if (t == TOKEN_KEEP_ALIVE)
			p->flags |= F_KEEP_ALIVE;
		return true;
	}
	/* Transfer-Encoding (RFC 9112 6.1, 6.3): chunked once, and last; after it no coding
	 * leaves framing that can be read.  A coding before it is one this responder does not
	 * implement (FIELD_TE_CODED: the line's end refuses it); chunked alone is framing it
	 * can skip (section 7). */
	if (p->flags & F_CHUNKED)
		return false;
	if (match_result(p, coding_words, N_WORDS(coding_words)) == 0)
		p->flags |= F_CHUNKED;
	else
		p->field = FIELD_TE_CODED;
	return true;
}

/* s is past the bytes of a value framing does not need: its line must end there. */
static const uint8_t *value_end(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	if (s == e || (*s == '\r' && !cr_lf(p, &s, e)))
		return s;
	if (*s != '\n')
		return refuse(p, s);
	return next_line(p, s);
}

/* Connection and Transfer-Encoding values: #token lists, empty elements allowed. */
static const uint8_t *value_tokens(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	bool te = p->field == FIELD_TRANSFER_ENCODING || p->field == FIELD_TE_CODED, ok;
	const struct word *words = te ? coding_words : connection_words;
	unsigned n_words = te ? N_WORDS(coding_words) : N_WORDS(connection_words);

	while (s < e) {
		if (is_tchar(*s)) {
			if (p->vstate == V_AFTER)
				return refuse(p, s);
			if (p->vstate == V_OWS)
				match_start(p);
			p->vstate = V_TOKEN;
			s = match_run(p, words, n_words, true, s, e);
			continue;
		}
		if (*s == '\r' && !cr_lf(p, &s, e))
			return s;
		if (*s != ',' && *s != '\n' && !is_ws(*s))
			return refuse(p, s);
		ok = p->vstate != V_TOKEN || token_end(p);
		p->vstate = is_ws(*s) && p->vstate != V_OWS ? V_AFTER : V_OWS;
		if (!ok || (*s == '\n' && te && !(p->flags & F_CHUNKED)))
			return refuse(p, s);
		/* Codings before chunked: not implemented, unless the framing is wrong anyway on
		 * HTTP/1.0 (head_done).  The request line alone decides, which every header line
		 * follows: a Content-Length beside the codings is refused with them whichever line
		 * comes first (as nginx answers it). */
		if (*s == '\n' && p->field == FIELD_TE_CODED)
			return refuse_for(p, s,
					  (p->flags & F_HTTP11) ? TT_HTTP_REFUSED_NOT_IMPLEMENTED
								: TT_HTTP_REFUSED_MALFORMED);
		if (*s == '\n')
			return next_line(p, s);
		s++;
	}
	return s;
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
static bool content_length_digit(struct tt_http_parser *p, unsigned d)
{
	unsigned n;

	if (!(p->flags & F_HAS_CL)) {
		if (p->remaining > (TT_HTTP_LENGTH_MAX - d) / 10)
			return false;
		p->remaining = p->remaining * 10 + d;
		return true;
	}
	if (p->idx == 0 && d == 0)
		return true;
	n = n_digits(p->remaining);
	if (p->idx >= n || digit_at(p->remaining, n, p->idx) != d)
		return false;
	p->idx++;
	return true;
}

static const uint8_t *value_content_length(struct tt_http_parser *p, const uint8_t *s,
					   const uint8_t *e)
{
	for (; s < e; s++) {
		if (*s >= '0' && *s <= '9') {
			if (p->vstate == V_AFTER)
				return refuse(p, s);
			if (p->vstate == V_OWS) {
				p->vstate = V_TOKEN;
				p->idx = 0;
			}
			if (!content_length_digit(p, *s - '0'))
				return refuse(p, s);
			continue;
		}
		if (is_ws(*s)) {
			if (p->vstate == V_TOKEN)
				p->vstate = V_AFTER;
			continue;
		}
		if (*s == '\r' && !cr_lf(p, &s, e))
			return s;
		if (*s != '\n' || p->vstate == V_OWS)
			return refuse(p, s);
		if ((p->flags & F_HAS_CL) && p->idx != n_digits(p->remaining))
			return refuse(p, s);
		p->flags |= F_HAS_CL;
		return next_line(p, s);
	}
	return s;
}

/*
 * Expect (RFC 9110 10.1.1): a list of expectations, each a token with an optional "=" value and
 * parameters.  An element that is 100-continue alone (case-insensitive) asks for the interim
 * response; any other is ignored, whatever field-vchar bytes it holds (a server need not
 * refuse an expectation it does not know; a quoted string with a comma inside is read as two
 * elements, which at worst sends a 100 a client must be able to read).
 */
static const uint8_t *value_expect(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	while (s < e) {
		if (*s == '\r' && !cr_lf(p, &s, e))
			return s;
		if (*s == ',' || *s == '\n') {
			if ((p->vstate == V_TOKEN || p->vstate == V_AFTER) &&
			    match_result(p, expect_words, N_WORDS(expect_words)) == 0)
				p->head |= H_CONTINUE;
			if (*s == '\n')
				return next_line(p, s);
			p->vstate = V_OWS;
			s++;
			continue;
		}
		if (!is_value_char(*s))
			return refuse(p, s);
		if (is_tchar(*s) && (p->vstate == V_OWS || p->vstate == V_TOKEN)) {
			if (p->vstate == V_OWS)
				match_start(p);
			p->vstate = V_TOKEN;
			s = match_run(p, expect_words, N_WORDS(expect_words), true, s, e);
			continue;
		}
		if (is_ws(*s))
			p->vstate = p->vstate == V_TOKEN ? V_AFTER : p->vstate;
		else
			p->vstate = V_SKIP;
		s++;
	}
	return s;
}

/*
 * What an IPv6 literal has read so far, in the 16 bits of cand (high) and idx (low), which a
 * Host value uses for nothing else while inside the brackets:
 *   in its groups:      groups ended (4 bits) | the current group's hex digits (3) | its value
 *                       read as a decimal octet (9: 0-255, or V6_NO_OCTET);
 *   in the IPv4 tail:   dots (2 bits, at bit 10) | the octet's digits (2, at bit 8) | its value.
 */
enum { V6_NO_OCTET = 256 };

static unsigned literal_bits(const struct tt_http_parser *p)
{
	return (unsigned)p->cand << 8 | p->idx;
}

static void literal_bits_set(struct tt_http_parser *p, unsigned w)
{
	p->cand = (uint8_t)(w >> 8);
	p->idx = (uint8_t)w;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* The octet a group's digits make so far with one more, c (RFC 3986 dec-octet: no leading
 * zero, at most 255), or V6_NO_OCTET. */
static unsigned octet_next(unsigned dec, unsigned digits, uint8_t c)
{
	if (dec == V6_NO_OCTET || !is_digit(c) || (digits > 0 && dec == 0))
		return V6_NO_OCTET;
	dec = dec * 10 + (unsigned)(c - '0');
	return dec > 255 ? V6_NO_OCTET : dec;
}

/* A new group beginning with hex digit c, after groups ended ones, in state group. */
static bool v6_group_start(struct tt_http_parser *p, unsigned groups, uint8_t c, uint8_t group)
{
	if (hex_value(c) < 0)
		return false;
	literal_bits_set(p, groups << 12 | 1u << 9 | octet_next(0, 0, c));
	p->vstate = group;
	return true;
}

/* The literal ends here: whole when it has eight groups, or fewer and the "::". */
static bool v6_end(struct tt_http_parser *p, bool whole)
{
	literal_bits_set(p, 0);
	p->vstate = V_HOST_LITERAL_END;
	return whole;
}

/*
 * One byte of an IPv6 literal (RFC 3986 3.2.2 IPv6address): groups of 1 to 4 hex digits
 * between ":"s, eight of them, or fewer where one "::" stands for the rest; the last two may be
 * a dotted IPv4 address (four decimal octets).  No zone identifier.
 */
static bool ipv6_byte(struct tt_http_parser *p, uint8_t c)
{
	unsigned w = literal_bits(p), groups = w >> 12, digits = (w >> 9) & 7, dec = w & 0x1ff;
	bool dc = p->vstate == V_HOST_V6_GROUP_DC || p->vstate == V_HOST_V6_COLON_DC;

	switch (p->vstate) {
	case V_HOST_LITERAL_OPEN:
		if (c == ':') {
			p->vstate = V_HOST_V6_LEAD;
			return true;
		}
		return v6_group_start(p, 0, c, V_HOST_V6_GROUP);
	case V_HOST_V6_LEAD:
		p->vstate = V_HOST_V6_DCOLON;
		return c == ':';
	case V_HOST_V6_GROUP:
	case V_HOST_V6_GROUP_DC:
		if (c == ':') {
			/* A group must follow: no room for it past 8 groups, or 7 with the "::". */
			if (groups + 1 > (dc ? 6u : 7u))
				return false;
			literal_bits_set(p, (groups + 1) << 12);
			p->vstate = dc ? V_HOST_V6_COLON_DC : V_HOST_V6_COLON;
			return true;
		}
		if (c == '.') {
			/* The group was the IPv4 tail's first octet, in the place of two groups. */
			if (dec == V6_NO_OCTET || (dc ? groups > 5 : groups != 6))
				return false;
			literal_bits_set(p, 1u << 10);
			p->vstate = V_HOST_V6_IPV4;
			return true;
		}
		if (c == ']')
			return v6_end(p, dc ? groups + 1 <= 7 : groups + 1 == 8);
		if (digits == 4 || hex_value(c) < 0)
			return false;
		literal_bits_set(p, groups << 12 | (digits + 1) << 9 | octet_next(dec, digits, c));
		return true;
	case V_HOST_V6_COLON:
	case V_HOST_V6_COLON_DC:
		if (c == ':' && !dc) {
			p->vstate = V_HOST_V6_DCOLON;
			return true;
		}
		return v6_group_start(p, groups, c, dc ? V_HOST_V6_GROUP_DC : V_HOST_V6_GROUP);
	case V_HOST_V6_DCOLON:
		if (c == ']')
			return v6_end(p,
				      true); /* at most 7 groups: each ":" after one checked it */
		return v6_group_start(p, groups, c, V_HOST_V6_GROUP_DC);
	case V_HOST_V6_IPV4: {
		unsigned dots = (w >> 10) & 3, od = (w >> 8) & 3, val = w & 0xff;

		if (c == ']')
			return v6_end(p, dots == 3 && od > 0);
		if (c == '.') {
			if (od == 0 || dots == 3)
				return false;
			literal_bits_set(p, (dots + 1) << 10);
			return true;
		}
		if (od == 3 || (val = octet_next(val, od, c)) == V6_NO_OCTET)
			return false;
		literal_bits_set(p, dots << 10 | (od + 1) << 8 | val);
		return true;
	}
	}
	return false;
}

/* An IP literal's byte (host_byte): IPvFuture's shape, "v" 1*HEXDIG "." 1*( unreserved /
 * sub-delims / ":" ), or an IPv6 address (ipv6_byte). */
static bool literal_byte(struct tt_http_parser *p, uint8_t c)
{
	switch (p->vstate) {
	case V_HOST_LITERAL_OPEN:
		if (c == 'v' || c == 'V') {
			p->vstate = V_HOST_FUTURE_V;
			return true;
		}
		return ipv6_byte(p, c);
	case V_HOST_V6_LEAD:
	case V_HOST_V6_GROUP:
	case V_HOST_V6_GROUP_DC:
	case V_HOST_V6_COLON:
	case V_HOST_V6_COLON_DC:
	case V_HOST_V6_DCOLON:
	case V_HOST_V6_IPV4:
		return ipv6_byte(p, c);
	case V_HOST_FUTURE_V:
	case V_HOST_FUTURE_VER:
		if (c == '.' && p->vstate == V_HOST_FUTURE_VER) {
			p->vstate = V_HOST_FUTURE_DOT;
			return true;
		}
		p->vstate = V_HOST_FUTURE_VER;
		return hex_value(c) >= 0;
	case V_HOST_FUTURE_DOT:
	case V_HOST_FUTURE:
		if (c == ']' && p->vstate == V_HOST_FUTURE) {
			p->vstate = V_HOST_LITERAL_END;
			return true;
		}
		p->vstate = V_HOST_FUTURE;
		return (char_class[c] & C_HOST) || c == ':';
	}
	return false;
}

/*
 * One byte of a Host value that is not a line end; false if it is refused.  uri-host [":" port]
 * (RFC 3986 3.2.2-3.2.3) between optional whitespace: a reg-name or IPv4 address (unreserved,
 * sub-delims, "%" HEXDIG HEXDIG), or an IP literal in brackets (literal_byte); the port is
 * digits.  The value may be empty (a target without an authority, RFC 9112 3.2), the host
 * before a ":" may not (RFC 9110 4.2.1).  idx counts the hex digits a "%" still owes.
 */
static bool host_byte(struct tt_http_parser *p, uint8_t c)
{
	if (p->vstate >= V_HOST_LITERAL_OPEN && p->vstate < V_HOST_LITERAL_END)
		return literal_byte(p, c);
	if (p->idx) {
		p->idx--;
		return hex_value(c) >= 0;
	}
	switch (p->vstate) {
	case V_OWS:
		if (is_ws(c))
			return true;
		if (c == '[') {
			literal_bits_set(p, 0);
			p->vstate = V_HOST_LITERAL_OPEN;
			return true;
		}
		if (c == ':')
			return false;
		p->vstate = V_HOST_NAME;
		/* fall through */
	case V_HOST_NAME:
		if (char_class[c] & C_HOST)
			return true;
		if (c == '%') {
			p->idx = 2;
			return true;
		}
		break;
	case V_HOST_PORT:
		if (c >= '0' && c <= '9')
			return true;
		break;
	case V_AFTER:
		return is_ws(c);
	}
	/* After the host (V_HOST_NAME, V_HOST_LITERAL_END) or the port. */
	if (c == ':' && p->vstate != V_HOST_PORT) {
		p->vstate = V_HOST_PORT;
		return true;
	}
	if (is_ws(c)) {
		p->vstate = V_AFTER;
		return true;
	}
	return false;
}

/* Past the run at s of the bytes that change nothing inside a reg-name or a port. */
static const uint8_t *host_run(const struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	if (p->idx == 0 && p->vstate == V_HOST_NAME)
		while (s < e && (char_class[*s] & C_HOST))
			s++;
	else if (p->vstate == V_HOST_PORT)
		while (s < e && *s >= '0' && *s <= '9')
			s++;
	return s;
}

/* The usual Host value whole in the piece, OWS reg-name [":" port] OWS and its line end, at
 * once, as host_byte would take it; NULL (nothing changed) for any other. */
static const uint8_t *host_whole(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	const uint8_t *name;

	while (s < e && is_ws(*s))
		s++;
	for (name = s; s < e && (char_class[*s] & C_HOST); s++)
		;
	if (s < e && *s == ':' && s > name)
		for (s++; s < e && *s >= '0' && *s <= '9'; s++)
			;
	while (s < e && is_ws(*s))
		s++;
	s += s < e && *s == '\r';
	if (s == e || *s != '\n' || (p->head & H_HOST))
		return NULL;
	p->head |= H_HOST;
	return next_line(p, s);
}

/* A Host value (host_byte, its runs at once); its line ends it unless a bracket or a "%" is
 * left open, or a Host line came before (RFC 9112 3.2). */
static const uint8_t *value_host(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	const uint8_t *next = p->vstate == V_OWS ? host_whole(p, s, e) : NULL;

	if (next)
		return next;
	for (; (s = host_run(p, s, e)) < e; s++) {
		if (*s == '\r' && !cr_lf(p, &s, e))
			return s;
		if (*s != '\n') {
			if (!host_byte(p, *s))
				return refuse(p, s);
			continue;
		}
		if (p->idx ||
		    (p->vstate >= V_HOST_LITERAL_OPEN && p->vstate < V_HOST_LITERAL_END) ||
		    (p->head & H_HOST))
			return refuse(p, s);
		p->head |= H_HOST;
		return next_line(p, s);
	}
	return s;
}

static inline const uint8_t *value(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	if (p->field == FIELD_CONTENT_LENGTH)
		return value_content_length(p, s, e);
	if (p->field == FIELD_HOST)
		return value_host(p, s, e);
	if (p->field == FIELD_EXPECT)
		return value_expect(p, s, e);
	if (p->field != FIELD_OTHER)
		return value_tokens(p, s, e);
	s = skip_printable(s, e, 0x20);
	while (s < e && is_value_char(*s))
		s++;
	return value_end(p, s, e);
}

/*
 * Lines whole in a piece of at least SCAN_WIDTH bytes are taken at once: each run scanned
 * SCAN_WIDTH bytes at a time, each word compared whole, no state written until the line ends.
 * The first line this cannot take (cut by the piece end, holding a byte to refuse, or merely
 * unusual) goes to the head states above, which follow a line across pieces and find the byte
 * to refuse; values the parser reads (Content-Length, Connection, Transfer-Encoding, Host,
 * Expect) go to their states after the colon.
 */

/*
 * Where the target starts, after the method and its SP (NULL if the method is empty or no SP
 * ends it, or is CONNECT, which the head states refuse), and the method: the usual ones with
 * their SP compared at once, any other scanned as tchars.
 */
static const uint8_t *after_method(const uint8_t *s, const uint8_t *e, unsigned *method)
{
	const uint8_t *sp;
	unsigned k;

	for (k = 0; k < N_WORDS(method_words); k++) {
		const struct word *w = &method_words[k];

		if ((size_t)(e - s) > w->len && !memcmp(s, w->text, w->len) && s[w->len] == ' ') {
			*method = k;
			return k == METHOD_CONNECT ? NULL : s + w->len + 1;
		}
	}
	*method = TT_HTTP_OTHER;
	sp = skip_class(s, e, C_TCHAR);
	return sp > s && sp < e && *sp == ' ' ? sp + 1 : NULL;
}

/* The request line at s: where the next line starts, or NULL. */
static const uint8_t *request_line(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	/* What load generators and most clients send for the root: one compare. */
	static const char root_get[SCAN_WIDTH] = "GET / HTTP/1.1\r\n";
	const uint8_t *target, *target_end, *v, *lf;
	unsigned method;

	if (e - s >= SCAN_WIDTH && !memcmp(s, root_get, SCAN_WIDTH)) {
		p->flags |= TT_HTTP_GET | F_HTTP11;
		return next_line(p, s + SCAN_WIDTH - 1);
	}
	target = after_method(s, e, &method);
	if (!target)
		return NULL;
	target_end = skip_class(target, e, C_TARGET);
	if (target_end == target || target_end == e || *target_end != ' ')
		return NULL;
	v = target_end + 1;
	/* The version and at least the LF. */
	if (e - v < 9 || (memcmp(v, "HTTP/1.1", 8) && memcmp(v, "HTTP/1.0", 8)))
		return NULL;
	lf = v + 8 + (v[8] == '\r');
	if (lf == e || *lf != '\n')
		return NULL;
	p->flags |= method | (v[7] == '1' ? F_HTTP11 : 0);
	return next_line(p, lf);
}

/* Header lines from s while their names are whole in the piece; returns where one is not. */
static const uint8_t *field_lines(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	const uint8_t *colon;

	while (s < e && is_tchar(*s)) {
		colon = skip_class(s, e, C_TCHAR);
		if (colon == e || *colon != ':')
			break;
		s = name_end(p, word_index(field_words, N_WORDS(field_words), s, colon - s), colon);
		if (p->field == FIELD_OTHER)
			s = value_end(p, skip_class(s, e, C_VALUE), e);
		else
			s = value(p, s, e);
		if (p->state != ST_NAME_START)
			break;
	}
	return s;
}

/*
 * From a line start (ST_LEAD or ST_NAME_START) at s < e: the lines whole in the piece, then
 * the first other line's start by its state. Out of line: inlined, its vector constants and
 * registers would be set up on every call of the parser, byte-sized pieces included.
 */
static __attribute__((noinline)) const uint8_t *whole_lines(struct tt_http_parser *p,
							    const uint8_t *s, const uint8_t *e)
{
	const uint8_t *next;

	if (p->state == ST_LEAD) {
		next = request_line(p, s, e);
		if (!next)
			return lead(p, s);
		s = next;
	}
	s = field_lines(p, s, e);
	return s < e && p->state == ST_NAME_START ? name_start(p, s, e) : s;
}

/*
 * The head states over data[s..e), one state's run at a time. Only the bytes up to
 * TT_HTTP_HEAD_MAX are looked at; a head still going on at the next byte is refused there.
 */
static const uint8_t *head(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	uint32_t room = TT_HTTP_HEAD_MAX - head_len(p);
	const uint8_t *start = s, *end = (uint32_t)(e - s) > room ? s + room : e;
	bool wide = end - start >= SCAN_WIDTH;

	/* A CR ended the previous piece. */
	if (s < end && (p->flags & F_CR)) {
		if (*s == '\n')
			p->flags &= ~F_CR;
		else
			refuse(p, s);
	}
	while (s < end && p->state < ST_BODY) {
		switch (p->state) {
		case ST_LEAD:
			s = wide ? whole_lines(p, s, end) : lead(p, s);
			break;
		case ST_METHOD:
			s = method(p, s, end);
			break;
		case ST_TARGET_START:
		case ST_TARGET:
			s = target(p, s, end);
			break;
		case ST_VERSION:
			s = version(p, s, end);
			break;
		case ST_LINE_END:
			s = line_end(p, s, end);
			break;
		case ST_NAME_START:
			s = wide ? whole_lines(p, s, end) : name_start(p, s, end);
			break;
		case ST_NAME:
			s = name(p, s, end);
			break;
		case ST_VALUE:
			s = value(p, s, end);
			break;
		}
	}
	if (p->state < ST_BODY && end < e) {
		/* The byte at end would be head byte TT_HTTP_HEAD_MAX + 1. */
		p->head = (uint16_t)((p->head & ~H_LEN) | (TT_HTTP_HEAD_MAX + 1));
		return refuse_for(p, s,
				  p->state == ST_TARGET ? TT_HTTP_REFUSED_TARGET_TOO_LONG
							: TT_HTTP_REFUSED_MALFORMED);
	}
	/* A refused byte counts: it was seen. */
	p->head += (uint16_t)(s - start) + (p->state == ST_BAD);
	return s;
}

static enum step chunk_size_done(struct tt_http_parser *p)
{
	p->state = p->remaining ? ST_CHUNK_DATA : ST_TRAILER_START;
	return STEP_MORE;
}

/* chunked-body of RFC 9112 7.1: whitespace after a size only before an extension (7.1.1),
 * trailer fields as "name:value" (5); extensions and values are checked for bytes only. */
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
		if (c == '\n')
			return chunk_size_done(p);
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
		return STEP_BAD;
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
		if (c == ':') {
			p->state = ST_TRAILER_VALUE;
			return STEP_MORE;
		}
		return is_tchar(c) ? STEP_MORE : STEP_BAD;
	case ST_TRAILER_VALUE:
		if (c == '\n')
			p->state = ST_TRAILER_START;
		return c == '\n' || is_value_char(c) ? STEP_MORE : STEP_BAD;
	}
	return STEP_BAD;
}

/*
 * Line ends are CRLF: a CR only arms the check, the LF does the line's work.  A bare LF, which
 * a head's lines may end with (RFC 9112 2.2), is refused in the chunk framing (7.1 asks CRLF):
 * a proxy before us that read it as an ordinary byte would frame the body otherwise.
 */
static enum step step_chunk_line(struct tt_http_parser *p, uint8_t c)
{
	if (p->flags & F_CR) {
		if (c != '\n')
			return STEP_BAD;
		p->flags &= ~F_CR;
	} else if (c == '\r' && (chunk_line_end_states >> p->state & 1)) {
		p->flags |= F_CR;
		return STEP_MORE;
	} else if (c == '\n') {
		return STEP_BAD;
	}
	return step_chunk(p, c);
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

/* The body states over data[s..e): payload skipped in bulk, chunk framing byte by byte. */
static const uint8_t *body(struct tt_http_parser *p, const uint8_t *s, const uint8_t *e)
{
	enum step r;

	while (s < e && p->state < ST_BAD) {
		if (p->state == ST_BODY || p->state == ST_CHUNK_DATA) {
			s += body_skip(p, (uint32_t)(e - s));
			if (p->state == ST_BODY && p->remaining == 0)
				p->state = ST_DONE;
			continue;
		}
		r = step_chunk_line(p, *s);
		if (r == STEP_BAD)
			return refuse(p, s);
		s++;
		if (r == STEP_DONE)
			p->state = ST_DONE;
	}
	return s;
}

void tt_http_parser_init(struct tt_http_parser *p)
{
	memset(p, 0, sizeof(*p));
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

static enum tt_http_status request_done(struct tt_http_parser *p, struct tt_http_request *req)
{
	request_fill(p, req);
	tt_http_parser_init(p);
	return TT_HTTP_REQUEST;
}

/* The head that ended at the piece's end leaves a body to come and asks for 100 (Continue):
 * on HTTP/1.1 only (RFC 9110 10.1.1: an HTTP/1.0 request's expectation is ignored). */
static bool awaits_continue(const struct tt_http_parser *p)
{
	return p->state >= ST_BODY && p->state < ST_BAD && (p->head & H_CONTINUE) &&
	       (p->flags & F_HTTP11);
}

static __attribute__((noinline)) enum tt_http_status parse(struct tt_http_parser *p,
							   const uint8_t *data, uint32_t len,
							   uint32_t *consumed,
							   struct tt_http_request *req)
{
	const uint8_t *s = data, *e = data + len;

	if (p->state == ST_BAD) {
		*consumed = 0;
		return TT_HTTP_BAD;
	}
	if (p->state < ST_BODY) {
		s = head(p, s, e);
		if (s == e && awaits_continue(p)) {
			*consumed = len;
			return TT_HTTP_CONTINUE;
		}
	}
	if (p->state >= ST_BODY && p->state < ST_BAD)
		s = body(p, s, e);
	*consumed = (uint32_t)(s - data);
	if (p->state == ST_DONE)
		return request_done(p, req);
	return p->state == ST_BAD ? TT_HTTP_BAD : TT_HTTP_NEED_MORE;
}

static __attribute__((noinline)) enum tt_http_status whole_request(struct tt_http_parser *p,
								   const uint8_t *data,
								   uint32_t len, uint32_t *consumed,
								   struct tt_http_request *req)
{
	uint32_t room = TT_HTTP_HEAD_MAX - head_len(p), used;
	const uint8_t *s = whole_lines(p, data, data + (len > room ? room : len));
	enum tt_http_status st;

	used = (uint32_t)(s - data);
	if (p->state == ST_DONE) {
		*consumed = used;
		return request_done(p, req);
	}
	p->head += (uint16_t)used + (p->state == ST_BAD);
	/* The head began in this piece (ST_LEAD): if it is over, it ended here. */
	if (used == len && awaits_continue(p)) {
		*consumed = len;
		return TT_HTTP_CONTINUE;
	}
	st = parse(p, s, len - used, consumed, req);
	*consumed += used;
	return st;
}

enum tt_http_status tt_http_parse(struct tt_http_parser *p, const uint8_t *data, uint32_t len,
				  uint32_t *consumed, struct tt_http_request *req)
{
	uint32_t empty = 0;
	enum tt_http_status st;

	if (p->state == ST_LEAD) {
		empty = (uint32_t)(skip_empty_lines(p, data, data + len) - data);
		data += empty;
		len -= empty;
	}
	if (len >= SCAN_WIDTH && p->state == ST_LEAD && !(p->flags & F_CR) &&
	    head_len(p) <= TT_HTTP_HEAD_MAX - SCAN_WIDTH)
		st = whole_request(p, data, len, consumed, req);
	else
		st = parse(p, data, len, consumed, req);
	*consumed += empty;
	return st;
}

enum tt_http_status tt_http_parse_memo(struct tt_http_memo *m, struct tt_http_parser *p,
				       const uint8_t *data, uint32_t len, uint32_t *consumed,
				       struct tt_http_request *req)
{
	bool fresh = tt_http_parser_fresh(p);
	enum tt_http_status st;

	if (fresh && tt_http_memo_hit(m, data, len, req)) {
		*consumed = m->len;
		return TT_HTTP_REQUEST;
	}
	st = tt_http_parse(p, data, len, consumed, req);
	if (st == TT_HTTP_REQUEST && fresh && *consumed <= TT_HTTP_MEMO_MAX) {
		memcpy(m->bytes, data, *consumed);
		m->len = (uint16_t)*consumed;
		m->method = (uint8_t)req->method;
		m->keep_alive = req->keep_alive;
	}
	return st;
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
    {414, "URI Too Long"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
};

static const char *reason_phrase(uint16_t status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
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

/* The interim response to a 100-continue expectation (RFC 9110 15.2.1): a status line and
 * the empty line, the same for every configuration. */
static const uint8_t continue_100[] = "HTTP/1.1 100 Continue\r\n\r\n";

int tt_http_response_build(struct tt_http_response *r, uint16_t status, const char *const *headers,
			   unsigned n_headers, const uint8_t *body, uint32_t body_len)
{
	/* 1xx, 204 and 304 never carry content (RFC 9110 6.4.1) nor a 204/1xx length (8.6). */
	bool bodiless = status < 200 || status == 204 || status == 304;
	struct layout resp = {
	    .headers = headers, .n_headers = n_headers, .body = body, .body_len = body_len};
	static const uint16_t refusal_status[TT_HTTP_REFUSALS] = {
	    [TT_HTTP_REFUSED_MALFORMED] = 400,
	    [TT_HTTP_REFUSED_VERSION] = 505,
	    [TT_HTTP_REFUSED_TARGET_TOO_LONG] = 414,
	    [TT_HTTP_REFUSED_NOT_IMPLEMENTED] = 501,
	};
	uint32_t hdr_len;
	unsigned i;
	int rc;

	memset(r, 0, sizeof(*r));
	if (status < 100 || status > 599 || (n_headers && !headers) || (body_len && !body) ||
	    (bodiless && body_len))
		return -EINVAL;
	for (i = 0; i < n_headers; i++)
		if (headers[i] == NULL || tt_http_field_refusal(headers[i]) != NULL)
			return -EINVAL;
	layout_init(&resp, status, !bodiless, body_len);
	rc = render(&resp, "Connection: keep-alive\r\n", &r->keep_alive, &r->keep_alive_len,
		    &r->keep_alive_hdr_len);
	if (!rc)
		rc = render(&resp, "Connection: close\r\n", &r->close, &r->close_len,
			    &r->close_hdr_len);
	for (i = 0; i < TT_HTTP_REFUSALS && !rc; i++) {
		struct layout refused = {0};

		layout_init(&refused, refusal_status[i], true, 0);
		rc = render(&refused, "Connection: close\r\n", &r->refusal[i], &r->refusal_len[i],
			    &hdr_len);
		if (!rc)
			r->refusal_sum[i] = tt_net_cksum_sum(r->refusal[i], r->refusal_len[i], 0);
	}
	if (rc) {
		tt_http_response_free(r);
		return rc;
	}
	r->keep_alive_sum = tt_net_cksum_sum(r->keep_alive, r->keep_alive_len, 0);
	r->keep_alive_hdr_sum = tt_net_cksum_sum(r->keep_alive, r->keep_alive_hdr_len, 0);
	r->close_sum = tt_net_cksum_sum(r->close, r->close_len, 0);
	r->close_hdr_sum = tt_net_cksum_sum(r->close, r->close_hdr_len, 0);
	r->continue_100 = continue_100;
	r->continue_100_len = sizeof(continue_100) - 1;
	r->continue_100_sum = tt_net_cksum_sum(continue_100, r->continue_100_len, 0);
	return 0;
}

void tt_http_response_free(struct tt_http_response *r)
{
	free(r->keep_alive);
	free(r->close);
	for (unsigned i = 0; i < TT_HTTP_REFUSALS; i++)
		free(r->refusal[i]);
	memset(r, 0, sizeof(*r));
}
