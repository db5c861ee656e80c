/* The stateless cps client's replies and its connection counts; see gen_stateless.h. */
#define _GNU_SOURCE /* memmem */
#include <string.h>
#include <strings.h>

#include "gen_stateless.h"

static const char status_ok[] = "HTTP/1.1 200 ";
static const char head_end[] = "\r\n\r\n";
static const char content_length[] = "\r\ncontent-length:";

enum { SL_WINDOW = 65535, SL_MSS = 1460 };

/* The Content-Length value of head[0, len) (which ends in "\r\n\r\n"); UINT32_MAX: none or bad. */
static uint32_t head_content_length(const uint8_t *head, uint32_t len)
{
	const uint32_t name_len = sizeof(content_length) - 1;
	uint64_t v = 0;
	uint32_t i, digits = 0;

	for (i = 0; i + name_len <= len; i++)
		if (strncasecmp((const char *)head + i, content_length, name_len) == 0)
			break;
	if (i + name_len > len)
		return UINT32_MAX;
	for (i += name_len; i < len && head[i] == ' '; i++)
		;
	for (; i < len && head[i] >= '0' && head[i] <= '9' && v <= UINT32_MAX; i++, digits++)
		v = v * 10 + (uint64_t)(head[i] - '0');
	return digits != 0 && v < UINT32_MAX && head[i] == '\r' ? (uint32_t)v : UINT32_MAX;
}

/* Whether p[0, len) is a whole response of the run, checked byte by byte (no reference yet). */
static bool response_ok(const struct gen_sl *s, const uint8_t *p, uint32_t len)
{
	const uint8_t *end = memmem(p, len, head_end, sizeof(head_end) - 1);
	uint32_t head_len, body;

	if (end == NULL)
		return false;
	head_len = (uint32_t)(end - p) + (uint32_t)(sizeof(head_end) - 1);
	body = len - head_len;
	if (body != s->c.body_len || head_content_length(p, head_len) != body)
		return false;
	for (uint32_t i = 0; i < body; i++)
		if (p[head_len + i] != (uint8_t)('a' + i % 26))
			return false;
	return true;
}

/*
 * Learn the reference from the response at the start of p[0, len), if it passes every check: its
 * length is its head's and the run's body length.
 */
static bool learn_reference(struct gen_sl *s, const uint8_t *p, uint32_t len)
{
	const uint8_t *end = memmem(p, len, head_end, sizeof(head_end) - 1);
	uint32_t n;

	if (len < sizeof(status_ok) - 1 || memcmp(p, status_ok, sizeof(status_ok) - 1) != 0 ||
	    end == NULL)
		return false;
	n = (uint32_t)(end - p) + (uint32_t)(sizeof(head_end) - 1) + s->c.body_len;
	if (n > len || n > sizeof(s->ref) || !response_ok(s, p, n))
		return false;
	memcpy(s->ref, p, n);
	s->response_len = n;
	return true;
}

/*
 * How many whole, good responses payload is, back to back (0: anything else): each the
 * reference's bytes; before there is one, the first passes every check and becomes it.
 */
static uint32_t whole_responses(struct gen_sl *s, const uint8_t *p, uint32_t len)
{
	uint32_t n = 0;

	if (s->response_len == 0 && !learn_reference(s, p, len))
		return 0;
	for (uint32_t off = 0; off < len; off += s->response_len, n++)
		if (len - off < s->response_len || memcmp(p + off, s->ref, s->response_len) != 0)
			return 0;
	return n;
}

/* The table entry of pkt's connection if it is in phase want; NULL: counted as stray. */
static struct gen_sl_conn *conn_in(struct gen_sl *s, const struct tt_pkt *pkt,
				   enum gen_sl_phase want)
{
	struct gen_sl_conn *c = &s->conns[pkt->dport];

	if (c->phase != want || c->client != pkt->daddr - s->c.client_first) {
		s->ctr.stray++;
		return NULL;
	}
	return c;
}

static void conn_end(struct gen_sl *s, struct gen_sl_conn *c, uint64_t *outcome)
{
	c->phase = GEN_SL_FREE;
	(*outcome)++;
	s->in_flight--;
	s->closed_in_flight -= c->closed;
}

void gen_sl_opened(struct gen_sl *s, uint32_t client, uint16_t port, uint32_t now_ms, bool closed)
{
	struct gen_sl_conn *c = &s->conns[port];

	if (c->phase != GEN_SL_FREE)
		conn_end(s, c, &s->ctr.timed_out);
	*c = (struct gen_sl_conn){.client = (uint16_t)client,
				  .phase = GEN_SL_SYN_SENT,
				  .closed = closed,
				  .syn_ms = now_ms};
	s->in_flight++;
	s->closed_in_flight += closed;
}

uint32_t gen_sl_isn(const struct gen_sl *s, uint32_t client, uint16_t port)
{
	return ((client << 16) | port) * 0x9e3779b1u ^ s->isn_key;
}

unsigned gen_sl_syns_due(struct gen_sl *s, uint32_t now_ms, uint16_t *ports, unsigned max)
{
	unsigned n = 0;

	if (s->syn_rto_ms == 0)
		return 0;
	for (unsigned k = 0; k < GEN_SL_SWEEP && n < max; k++) {
		uint16_t port = (uint16_t)s->sweep++;
		struct gen_sl_conn *c = &s->conns[port];

		if (c->phase == GEN_SL_SYN_SENT && c->closed &&
		    now_ms - c->syn_ms >= s->syn_rto_ms + port % s->syn_rto_ms) {
			c->syn_ms = now_ms;
			ports[n++] = port;
		}
	}
	s->sweep %= GEN_SL_PORTS;
	s->ctr.syn_retransmits += n;
	return n;
}

void gen_sl_turn_rate_init(struct gen_sl_turn_rate *t, double factor, double rate)
{
	*t = (struct gen_sl_turn_rate){.factor = factor, .rate = rate, .mark_turn = UINT64_MAX};
}

double gen_sl_turn_rate_update(struct gen_sl_turn_rate *t, uint64_t tsc, uint64_t tsc_hz,
			       uint64_t completed)
{
	uint64_t turn = tsc >> GEN_SL_ALTERNATE_SHIFT;
	bool second_half = (tsc >> (GEN_SL_ALTERNATE_SHIFT - 1)) & 1;

	if (t->factor <= 0)
		return t->rate;
	if ((turn & 1) == 0) {
		if (second_half && t->mark_turn != turn) {
			t->mark_turn = turn;
			t->mark_tsc = tsc;
			t->mark_completed = completed;
		}
		return t->rate;
	}
	if (t->mark_turn == turn - 1) {
		/* The open turn's first iteration: its rate, once. */
		if (completed > t->mark_completed && tsc > t->mark_tsc)
			t->rate = t->factor * (double)(completed - t->mark_completed) *
				  (double)tsc_hz / (double)(tsc - t->mark_tsc);
		t->mark_turn = turn;
	}
	return t->rate;
}

uint64_t gen_sl_failed(const struct gen_sl *s)
{
	return s->ctr.reset + s->ctr.bad_data + s->ctr.timed_out;
}

static void reply_to(const struct tt_pkt *pkt, enum gen_sl_frame frame, uint32_t ack,
		     struct gen_sl_reply *r)
{
	*r = (struct gen_sl_reply){
	    .caddr = pkt->daddr,
	    .cport = pkt->dport,
	    .seq = pkt->seg.ack,
	    .ack = ack,
	    .frame = (uint8_t)frame,
	};
}

/* The requests a connection keeps in flight: pipeline keep-alive, else the one. */
static uint32_t requests_per_batch(const struct gen_sl *s)
{
	return s->c.keep_alive ? s->c.pipeline : 1;
}

/* What a data segment's responses did to their batch; STRAY: good ones of no connection known. */
enum batch { BATCH_BAD, BATCH_PART, BATCH_DONE, BATCH_STRAY };

/*
 * n whole good responses (0: none, the data bad or cut) move pkt's connection on: with the last
 * of its batch's responses it is done with the batch (again: keep-alive asks on, the next batch
 * is due), before it it waits for the rest; none, more than were due, or the server's FIN
 * before the last, fail it.
 */
static enum batch count_responses(struct gen_sl *s, const struct tt_pkt *pkt, uint32_t n, bool fin,
				  bool again)
{
	struct gen_sl_conn *c = conn_in(s, pkt, GEN_SL_REQUEST);

	if (c == NULL)
		return n == 0 ? BATCH_BAD : BATCH_STRAY;
	if (n == 0 || n > c->waiting || (fin && n < c->waiting)) {
		conn_end(s, c, &s->ctr.bad_data);
		return BATCH_BAD;
	}
	c->waiting = (uint8_t)(c->waiting - n);
	if (c->waiting > 0)
		return BATCH_PART;
	if (again)
		c->waiting = (uint8_t)requests_per_batch(s);
	else if (fin && s->c.close_mode == GEN_CLOSE_SERVER)
		conn_end(s, c, &s->ctr.completed);
	else
		c->phase = GEN_SL_RESPONSE;
	return BATCH_DONE;
}

static bool answer_data(struct gen_sl *s, const struct tt_pkt *pkt, struct gen_sl_reply *r)
{
	const struct tt_tcp_seg *g = &pkt->seg;
	bool fin = g->flags & TT_TCP_FIN;
	uint32_t ack = g->seq + g->len + (fin ? 1 : 0);
	uint32_t n = whole_responses(s, g->payload, g->len);
	bool again = !fin && s->c.keep_alive && s->asking;
	enum batch b;

	if (fin)
		s->ctr.fins++;
	b = count_responses(s, pkt, n, fin, again);
	if (b == BATCH_BAD) {
		s->ctr.partial++;
		reply_to(pkt, fin ? GEN_SL_FRAME_FIN_ACK : GEN_SL_FRAME_ACK, ack, r);
		return true;
	}
	s->ctr.responses += n;
	if (b == BATCH_PART) {
		reply_to(pkt, GEN_SL_FRAME_ACK, ack, r);
		return true;
	}
	/* A stray segment (a late one, of a connection failed or done) asks nothing more. */
	if (again && b == BATCH_DONE) {
		s->ctr.requests += requests_per_batch(s);
		reply_to(pkt, GEN_SL_FRAME_REQUEST, ack, r);
		return true;
	}
	/* Client close: ours goes with the ACK.  Server close: ours answers theirs. */
	reply_to(pkt,
		 fin || s->c.close_mode == GEN_CLOSE_CLIENT ? GEN_SL_FRAME_FIN_ACK
							    : GEN_SL_FRAME_ACK,
		 ack, r);
	return true;
}

static void count_reset(struct gen_sl *s, const struct tt_pkt *pkt)
{
	struct gen_sl_conn *c = &s->conns[pkt->dport];

	s->ctr.rsts++;
	if (c->phase != GEN_SL_FREE && c->client == pkt->daddr - s->c.client_first)
		conn_end(s, c, &s->ctr.reset);
}

static bool answer_synack(struct gen_sl *s, const struct tt_pkt *pkt, struct gen_sl_reply *r)
{
	const struct tt_tcp_seg *g = &pkt->seg;
	struct gen_sl_conn *c;

	if (g->len != 0 || (g->flags & TT_TCP_FIN)) {
		s->ctr.unexpected++;
		return false;
	}
	s->ctr.synacks++;
	s->ctr.requests += requests_per_batch(s);
	c = conn_in(s, pkt, GEN_SL_SYN_SENT);
	if (c != NULL) {
		c->phase = GEN_SL_REQUEST;
		c->waiting = (uint8_t)requests_per_batch(s);
	}
	reply_to(pkt, GEN_SL_FRAME_REQUEST, g->seq + 1, r);
	return true;
}

bool gen_sl_answer(struct gen_sl *s, const struct tt_pkt *pkt, struct gen_sl_reply *r)
{
	const struct tt_tcp_seg *g = &pkt->seg;
	struct gen_sl_conn *c;

	if (pkt->saddr != s->c.server || pkt->sport != s->c.server_port) {
		s->ctr.unexpected++;
		return false;
	}
	if (g->flags & TT_TCP_RST) {
		count_reset(s, pkt);
		return false;
	}
	if (!(g->flags & TT_TCP_ACK)) {
		s->ctr.unexpected++;
		return false;
	}
	if (g->flags & TT_TCP_SYN)
		return answer_synack(s, pkt, r);
	if (g->len != 0)
		return answer_data(s, pkt, r);
	if (g->flags & TT_TCP_FIN) {
		s->ctr.fins++;
		c = conn_in(s, pkt, GEN_SL_RESPONSE);
		if (c != NULL)
			conn_end(s, c, &s->ctr.completed);
		reply_to(pkt,
			 s->c.close_mode == GEN_CLOSE_SERVER ? GEN_SL_FRAME_FIN_ACK
							     : GEN_SL_FRAME_ACK,
			 g->seq + 1, r);
		return true;
	}
	return false; /* a bare ACK: of our request or our FIN */
}

void gen_sl_syn(const struct gen_sl *s, uint32_t client, uint16_t port, struct gen_sl_reply *r)
{
	*r = (struct gen_sl_reply){
	    .caddr = s->c.client_first + client,
	    .cport = port,
	    .seq = gen_sl_isn(s, client, port),
	    .frame = GEN_SL_FRAME_SYN,
	};
}

/* The template of a frame with flags and requests copies of c.request to the server. */
static bool frame_init(struct gen_sl *s, enum gen_sl_frame frame, uint8_t flags, uint32_t requests,
		       unsigned offload)
{
	struct tt_tcp_hdr_args h = {
	    .src_mac = s->c.mac,
	    .dst_mac = s->c.server_mac,
	    .daddr = s->c.server,
	    .dport = s->c.server_port,
	    .wnd = SL_WINDOW,
	    .flags = flags,
	};
	uint8_t payload[GEN_TMPL_ROOM] = {0};

	if ((uint64_t)requests * s->c.request_len > sizeof(payload))
		return false;
	for (uint32_t i = 0; i < requests; i++)
		memcpy(payload + i * s->c.request_len, s->c.request, s->c.request_len);
	if (frame == GEN_SL_FRAME_SYN)
		h.opts = (struct tt_tcp_opts){.present = TT_OPT_MSS, .mss = SL_MSS};
	return gen_tmpl_init(&s->frames[frame], &h, payload, requests * s->c.request_len, offload);
}

bool gen_sl_frames_init(struct gen_sl *s, unsigned offload)
{
	uint32_t k = requests_per_batch(s);

	if (k == 0 || k > GEN_SL_PIPELINE_MAX)
		return false;
	return frame_init(s, GEN_SL_FRAME_REQUEST, TT_TCP_ACK | TT_TCP_PSH, k, offload) &&
	       frame_init(s, GEN_SL_FRAME_SYN, TT_TCP_SYN, 0, offload) &&
	       frame_init(s, GEN_SL_FRAME_ACK, TT_TCP_ACK, 0, offload) &&
	       frame_init(s, GEN_SL_FRAME_FIN_ACK, TT_TCP_ACK | TT_TCP_FIN, 0, offload);
}

uint32_t gen_sl_write(const struct gen_sl *s, const struct gen_sl_reply *r, uint8_t *frame)
{
	return gen_tmpl_write(&s->frames[r->frame], frame, r->caddr, r->cport, r->seq, r->ack);
}
