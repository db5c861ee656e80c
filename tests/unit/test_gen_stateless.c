/*
 * The stateless cps client's replies (bench/gen/gen_stateless.c) to
 * crafted segments from the appliance, at and across the sequence wrap:
 * each segment is built and parsed as frames (lib/net), the reply is
 * checked field by field and then built and parsed back as the appliance
 * would receive it (addresses, ports, numbers, flags, the request); and
 * the connection counts kept beside the replies (a connection opened,
 * answered, completed, failed, or stray segments), every counter checked.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "gen_stateless.h"
#include "gen_harness.h"

/* CLIENT is address index 4 of the client's range. */
#define CLIENT_FIRST (CLIENT - 4)

static struct gen_sl client(enum gen_close_mode mode)
{
	static struct gen_sl_conn conns[GEN_SL_PORTS];

	struct gen_sl s;

	memset(conns, 0, sizeof(conns));
	s = (struct gen_sl){.conns = conns,
			    .c = {.mac = gen_mac,
				  .server_mac = srv_mac,
				  .server = SERVER,
				  .server_port = 80,
				  .close_mode = mode,
				  .body_len = BODY,
				  .request = (const uint8_t *)request,
				  .request_len = sizeof(request) - 1,
				  .client_first = CLIENT_FIRST,
				  .client_count = 250,
				  .pipeline = 1}};
	/* Checksums in software, which the parser at the other end then verifies. */
	assert_true(gen_sl_frames_init(&s, 0));
	return s;
}

/* A response of BODY body bytes, head padded so the whole is len bytes (len >= 60 + BODY). */
static uint32_t response(uint8_t *buf, uint32_t len)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 64\r\nX: ";
	uint32_t pad = len - BODY - (uint32_t)(sizeof(head) - 1) - 4;

	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, 'x', pad);
	memcpy(buf + sizeof(head) - 1 + pad, "\r\n\r\n", 4);
	for (uint32_t i = 0; i < BODY; i++)
		buf[len - BODY + i] = (uint8_t)('a' + i % 26);
	return len;
}

/* The appliance's segment to the client, as the client parses it. */
static struct tt_pkt from_server(uint8_t *frame, uint8_t flags, uint32_t seq, uint32_t ack,
				 const uint8_t *payload, uint32_t len)
{
	struct tt_tcp_hdr_args a = {.src_mac = srv_mac,
				    .dst_mac = gen_mac,
				    .saddr = SERVER,
				    .daddr = CLIENT,
				    .sport = 80,
				    .dport = CPORT,
				    .seq = seq,
				    .ack = ack,
				    .wnd = 65535,
				    .flags = flags};
	uint32_t hl = tt_net_tcp_build(frame, &a, len);

	if (len > 0) /* payload may be NULL then, which memcpy does not allow */
		memcpy(frame + hl, payload, len);
	tt_net_tcp_cksum(frame, 0);
	return parse(frame, hl + len, CLIENT, &gen_mac);
}

/* Whether the client answers the appliance's segment (built as from_server), the reply in *r. */
static bool answers(struct gen_sl *s, struct gen_sl_reply *r, uint8_t flags, uint32_t seq,
		    uint32_t ack, const uint8_t *payload, uint32_t len)
{
	uint8_t frame[2048];
	struct tt_pkt p = from_server(frame, flags, seq, ack, payload, len);

	return gen_sl_answer(s, &p, r);
}

/* The reply as the appliance parses it (software checksums both ways). */
static struct tt_pkt at_server(const struct gen_sl *s, const struct gen_sl_reply *r)
{
	static uint8_t frame[2048];

	return parse(frame, gen_sl_write(s, r, frame), SERVER, &srv_mac);
}

static void check_reply(const struct gen_sl *s, const struct gen_sl_reply *r, uint8_t flags,
			uint32_t seq, uint32_t ack)
{
	struct tt_pkt p = at_server(s, r);

	assert_int_equal(p.saddr, CLIENT);
	assert_int_equal(p.sport, CPORT);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.seg.flags, flags);
	assert_int_equal(p.seg.seq, seq);
	assert_int_equal(p.seg.ack, ack);
	assert_memory_equal(p.src_mac.b, gen_mac.b, 6);
	if (r->frame == GEN_SL_FRAME_REQUEST) {
		uint32_t k = s->c.keep_alive ? s->c.pipeline : 1, len = sizeof(request) - 1;

		assert_int_equal(p.seg.len, k * len);
		for (uint32_t i = 0; i < k; i++)
			assert_memory_equal(p.seg.payload + i * len, request, len);
	} else {
		assert_int_equal(p.seg.len, 0);
	}
}

/* Every counter of s is what want says (those it leaves out: 0). */
static void check_counters(const struct gen_sl *s, struct gen_sl_ctr want)
{
#define CHECK_COUNTER(name, doc)                                                                   \
	if (s->ctr.name != want.name)                                                              \
		fail_msg("%s: %" PRIu64 ", want %" PRIu64, #name, s->ctr.name, want.name);
	GEN_SL_COUNTERS(CHECK_COUNTER)
#undef CHECK_COUNTER
}

/* Open the connection of CLIENT:CPORT and answer the SYN-ACK of server sequence irs. */
static void open_conn(struct gen_sl *s, uint32_t irs)
{
	struct gen_sl_reply r;

	gen_sl_opened(s, 4, CPORT, 0, true);
	assert_true(answers(s, &r, TT_TCP_SYN | TT_TCP_ACK, irs, 0x10, NULL, 0));
	assert_int_equal(s->conns[CPORT].phase, GEN_SL_REQUEST);
}

static void test_synack_at_wrap(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;

	(void)state;
	gen_sl_opened(&s, 4, CPORT, 0, true);
	assert_true(answers(&s, &r, TT_TCP_SYN | TT_TCP_ACK, 0xffffffffu, 0x10, NULL, 0));
	assert_int_equal(r.frame, GEN_SL_FRAME_REQUEST);
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_PSH, 0x10, 0);
	/* Retransmitted: answered again, counted stray. */
	assert_true(answers(&s, &r, TT_TCP_SYN | TT_TCP_ACK, 0xffffffffu, 0x10, NULL, 0));
	check_counters(&s, (struct gen_sl_ctr){.synacks = 2, .requests = 2, .stray = 1});
	assert_int_equal(s.in_flight, 1);
}

/* Client close: a whole response across the wrap gets ACK + FIN; the server's FIN an ACK. */
static void test_client_close(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;
	uint8_t body[400];
	uint32_t n = response(body, 150), our = 0xfffffff0u;

	(void)state;
	open_conn(&s, 0xffffff9bu);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, 0xffffff9cu, our, body, n));
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_FIN, our, 0xffffff9cu + 150);
	assert_int_equal(s.response_len, 150);
	/* Their ACK of our FIN: nothing. Their FIN (LAST-ACK) at the wrap: an ACK past it. */
	assert_false(answers(&s, &r, TT_TCP_ACK, 50, our + 1, NULL, 0));
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_FIN, 0xffffffffu, our + 1, NULL, 0));
	check_reply(&s, &r, TT_TCP_ACK, our + 1, 0);
	/* Retransmitted (our ACK lost): answered as in TIME-WAIT, counted once more as stray. */
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_FIN, 0xffffffffu, our + 1, NULL, 0));
	check_counters(&s, (struct gen_sl_ctr){.synacks = 1,
					       .requests = 1,
					       .responses = 1,
					       .fins = 2,
					       .completed = 1,
					       .stray = 1});
	assert_int_equal(s.in_flight, 0);
}

/* Server close: the response with its FIN gets ACK + FIN past both; a later lone FIN too. */
static void test_server_close(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_SERVER);
	struct gen_sl_reply r;
	uint8_t body[400];
	uint32_t n = response(body, 200);

	(void)state;
	open_conn(&s, 0xffffff37u);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, 0xffffff38u, 7, body, n));
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_FIN, 7, 0xffffff38u + 201);
	assert_int_equal(s.in_flight, 0);
	/* Next connection on the port: the response alone gets its ACK; the FIN ACK + FIN. */
	open_conn(&s, 999);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, 1000, 7, body, n));
	check_reply(&s, &r, TT_TCP_ACK, 7, 1200);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_FIN, 1200, 7, NULL, 0));
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_FIN, 7, 1201);
	check_counters(&s,
		       (struct gen_sl_ctr){
			   .synacks = 2, .requests = 2, .responses = 2, .fins = 2, .completed = 2});
	assert_int_equal(s.in_flight, 0);
}

/*
 * Keep-alive: while the load lasts each whole response gets the next request, acknowledging it
 * (both sequence spaces across the wrap), and the connection stays where it waits for the next;
 * then a response gets ACK + FIN and the server's FIN an ACK, as in client close.
 */
static void test_keep_alive(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;
	uint8_t body[400];
	uint32_t n = response(body, 150), irs = 0xffffff00u, our = 0xffffffe0u;
	const uint32_t req_len = sizeof(request) - 1;

	(void)state;
	s.c.keep_alive = true;
	s.asking = true;
	open_conn(&s, irs);
	for (uint32_t k = 0; k < 2; k++, our += req_len) {
		assert_true(
		    answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, irs + 1 + k * n, our, body, n));
		assert_int_equal(r.frame, GEN_SL_FRAME_REQUEST);
		check_reply(&s, &r, TT_TCP_ACK | TT_TCP_PSH, our, irs + 1 + (k + 1) * n);
		assert_int_equal(s.conns[CPORT].phase, GEN_SL_REQUEST);
	}
	assert_true(our < 0xffffffe0u); /* the requests took our sequence numbers past the wrap */
	s.asking = false;
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, irs + 1 + 2 * n, our, body, n));
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_FIN, our, irs + 1 + 3 * n);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_FIN, irs + 1 + 3 * n, our + 1, NULL, 0));
	check_reply(&s, &r, TT_TCP_ACK, our + 1, irs + 2 + 3 * n);
	check_counters(&s,
		       (struct gen_sl_ctr){
			   .synacks = 1, .requests = 3, .responses = 3, .fins = 1, .completed = 1});
	assert_int_equal(s.in_flight, 0);
}

/* Not keep-alive, or keep-alive with the server's FIN on the response: no next request. */
static void test_keep_alive_not_asked(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;
	uint8_t body[400];
	uint32_t n = response(body, 150);

	(void)state;
	s.asking = true; /* without keep_alive it changes nothing */
	open_conn(&s, 99);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, 100, 7, body, n));
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_FIN, 7, 100 + n);
	s = client(GEN_CLOSE_CLIENT);
	s.c.keep_alive = true;
	s.asking = true;
	open_conn(&s, 99);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, 100, 7, body, n));
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_FIN, 7, 101 + n);
	check_counters(&s,
		       (struct gen_sl_ctr){.synacks = 1, .requests = 1, .responses = 1, .fins = 1});
	assert_int_equal(s.conns[CPORT].phase, GEN_SL_RESPONSE);
}

/* A client keeping k requests in flight on each connection (keep-alive, --pipeline k). */
static struct gen_sl pipelined(uint32_t k)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);

	s.c.keep_alive = true;
	s.c.pipeline = k;
	s.asking = true;
	assert_true(gen_sl_frames_init(&s, 0));
	return s;
}

/*
 * Pipelined keep-alive: the handshake's ACK carries the k requests; the segment with the last of
 * the k responses (all k, or the rest of them after a cut between two) gets the next k, the
 * first part only an ACK; after the load the last response gets ACK + FIN.
 */
static void test_pipelined(void **state)
{
	struct gen_sl s = pipelined(3);
	struct gen_sl_reply r;
	uint8_t three[3 * 150];
	uint32_t n = 150, irs = 0xfffffe00u, our = 0xffffff00u, seq = irs + 1;
	const uint32_t batch = 3 * (sizeof(request) - 1);

	(void)state;
	for (uint32_t i = 0; i < 3; i++)
		response(three + i * n, n);
	gen_sl_opened(&s, 4, CPORT, 0, true);
	assert_true(answers(&s, &r, TT_TCP_SYN | TT_TCP_ACK, irs, our, NULL, 0));
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_PSH, our, seq);
	our += batch;
	/* All three in one segment: the next three. */
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, seq, our, three, 3 * n));
	seq += 3 * n;
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_PSH, our, seq);
	our += batch;
	/* Two, then the third: an ACK, then the next three. */
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, seq, our, three, 2 * n));
	seq += 2 * n;
	check_reply(&s, &r, TT_TCP_ACK, our, seq);
	assert_int_equal(s.conns[CPORT].waiting, 1);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, seq, our, three, n));
	seq += n;
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_PSH, our, seq);
	assert_true(our > 0xffffff00u + batch); /* not yet across the wrap */
	our += batch;
	assert_true(our < 0xffffff00u); /* across it now */
	/* The load over: one, then the last two get ACK + FIN; the server's FIN an ACK. */
	s.asking = false;
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, seq, our, three, n));
	seq += n;
	check_reply(&s, &r, TT_TCP_ACK, our, seq);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, seq, our, three, 2 * n));
	seq += 2 * n;
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_FIN, our, seq);
	assert_int_equal(s.conns[CPORT].phase, GEN_SL_RESPONSE);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_FIN, seq, our + 1, NULL, 0));
	check_reply(&s, &r, TT_TCP_ACK, our + 1, seq + 1);
	check_counters(&s,
		       (struct gen_sl_ctr){
			   .synacks = 1, .requests = 9, .responses = 9, .fins = 1, .completed = 1});
	assert_int_equal(s.in_flight, 0);
}

/*
 * More responses than are due, a response cut inside (alone, or after a whole one), or the
 * server's FIN before the batch's last response fail the connection; good responses of no
 * connection (a stray segment) ask for nothing more.
 */
static void test_pipelined_bad(void **state)
{
	struct gen_sl s = pipelined(2);
	struct gen_sl_reply r;
	uint8_t three[3 * 150];
	uint32_t n = 150;

	(void)state;
	for (uint32_t i = 0; i < 3; i++)
		response(three + i * n, n);
	open_conn(&s, 99);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, 100, 7, three, 3 * n));
	check_reply(&s, &r, TT_TCP_ACK, 7, 100 + 3 * n);
	assert_int_equal(s.ctr.bad_data, 1);
	open_conn(&s, 99);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, 100, 7, three, n));
	check_reply(&s, &r, TT_TCP_ACK, 7, 100 + n);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, 100 + n, 7, three, n / 2));
	check_reply(&s, &r, TT_TCP_ACK, 7, 100 + n + n / 2);
	assert_int_equal(s.ctr.bad_data, 2);
	open_conn(&s, 99);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, 100, 7, three, n));
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_FIN, 7, 101 + n);
	assert_int_equal(s.ctr.bad_data, 3);
	open_conn(&s, 99);
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, 100, 7, three, n + n / 2));
	check_reply(&s, &r, TT_TCP_ACK, 7, 100 + n + n / 2);
	assert_int_equal(s.ctr.bad_data, 4);
	assert_int_equal(s.conns[CPORT].phase, GEN_SL_FREE);
	/* The whole batch again, of the connection just failed: no next batch, a FIN. */
	assert_true(answers(&s, &r, TT_TCP_ACK | TT_TCP_PSH, 100, 7, three, 2 * n));
	check_reply(&s, &r, TT_TCP_ACK | TT_TCP_FIN, 7, 100 + 2 * n);
	check_counters(&s, (struct gen_sl_ctr){.synacks = 4,
					       .requests = 8,
					       .responses = 3,
					       .partial = 4,
					       .bad_data = 4,
					       .fins = 1,
					       .stray = 1});
	assert_int_equal(s.in_flight, 0);
}

/* The pipeline's depth: 1..GEN_SL_PIPELINE_MAX, its requests in one template. */
static void test_pipeline_depth(void **state)
{
	static uint8_t long_request[GEN_TMPL_ROOM];
	struct gen_sl s = pipelined(GEN_SL_PIPELINE_MAX);

	(void)state;
	s.c.pipeline = 0;
	assert_false(gen_sl_frames_init(&s, 0));
	s.c.pipeline = GEN_SL_PIPELINE_MAX + 1;
	assert_false(gen_sl_frames_init(&s, 0));
	/* Eight of a request that fits alone do not fit together. */
	memset(long_request, 'x', sizeof(long_request));
	s.c.request = long_request;
	s.c.request_len = 100;
	s.c.pipeline = 1;
	assert_true(gen_sl_frames_init(&s, 0));
	s.c.pipeline = GEN_SL_PIPELINE_MAX;
	assert_false(gen_sl_frames_init(&s, 0));
}

/* Data that is not one whole response is acknowledged, fails its connection, is never learned. */
static void test_partial(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;
	uint8_t body[400];
	uint32_t n = response(body, 150);

	(void)state;
	open_conn(&s, 0xffffffefu);
	assert_true(answers(&s, &r, TT_TCP_ACK, 0xfffffff0u, 9, body, n - 1));
	check_reply(&s, &r, TT_TCP_ACK, 9, 0xfffffff0u + n - 1);
	assert_int_equal(s.response_len, 0);
	assert_int_equal(s.in_flight, 0);
	/* Learned from a whole one, a longer one is not whole either. */
	assert_true(answers(&s, &r, TT_TCP_ACK, 1, 9, body, n));
	n = response(body, 160);
	assert_true(answers(&s, &r, TT_TCP_ACK, 1, 9, body, n));
	check_reply(&s, &r, TT_TCP_ACK, 9, 161);
	/* The body's tail alone (no status line). */
	assert_true(answers(&s, &r, TT_TCP_ACK, 1, 9, body + 100, 60));
	check_counters(&s, (struct gen_sl_ctr){.synacks = 1,
					       .requests = 1,
					       .responses = 1,
					       .partial = 3,
					       .bad_data = 1,
					       .stray = 3});
}

/* A first response is learned only when every check passes; later ones must equal it. */
static void test_reference_checked(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;
	uint8_t good[400], bad[400];
	uint32_t n = response(good, 150);
	static const struct {
		uint32_t at;
		uint8_t byte;
	} flaws[] = {
	    {150 - BODY, 'b'},	   /* the body's first byte */
	    {149, 'a'},		   /* its last (byte 63 is 'l') */
	    {9, '3'},		   /* the status: 300 */
	    {34, '5'},		   /* Content-Length: 65 */
	    {17, 'X'},		   /* no Content-Length header */
	    {150 - BODY - 1, 'x'}, /* no head end */
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(flaws) / sizeof(flaws[0]); i++) {
		memcpy(bad, good, n);
		bad[flaws[i].at] = flaws[i].byte;
		open_conn(&s, 99);
		assert_true(answers(&s, &r, TT_TCP_ACK, 100, 9, bad, n));
		assert_int_equal(s.response_len, 0);
		assert_int_equal(s.ctr.bad_data, i + 1);
	}
	open_conn(&s, 99);
	assert_true(answers(&s, &r, TT_TCP_ACK, 100, 9, good, n));
	assert_int_equal(s.response_len, n);
	/* One byte off the reference, body or head: bad. */
	for (uint32_t at = 0; at < n; at += n - 1) {
		memcpy(bad, good, n);
		bad[at] ^= 1;
		open_conn(&s, 99);
		assert_true(answers(&s, &r, TT_TCP_ACK, 100, 9, bad, n));
	}
	assert_int_equal(s.ctr.bad_data, 8);
	assert_int_equal(s.ctr.responses, 1);
	/* The good one was still waiting for the FIN when its port was opened again. */
	assert_int_equal(s.ctr.timed_out, 1);
	assert_int_equal(s.in_flight, 0);
}

/* RSTs are counted; a SYN without ACK, a SYN-ACK with data, another source: unexpected. */
static void test_no_reply(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;
	uint8_t frame[256];
	struct tt_pkt other = from_server(frame, TT_TCP_SYN | TT_TCP_ACK, 1, 2, NULL, 0);

	(void)state;
	assert_false(answers(&s, &r, TT_TCP_RST | TT_TCP_ACK, 1, 2, NULL, 0));
	assert_false(answers(&s, &r, TT_TCP_SYN, 1, 0, NULL, 0));
	assert_false(answers(&s, &r, TT_TCP_SYN | TT_TCP_ACK, 1, 2, (const uint8_t *)"x", 1));
	other.sport = 81;
	assert_false(gen_sl_answer(&s, &other, &r));
	check_counters(&s, (struct gen_sl_ctr){.rsts = 1, .unexpected = 3});
}

/* A connection fails on a reset in flight, or when its port comes round unfinished. */
static void test_failures(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;

	(void)state;
	open_conn(&s, 1);
	assert_false(answers(&s, &r, TT_TCP_RST | TT_TCP_ACK, 2, 0x10, NULL, 0));
	assert_int_equal(s.in_flight, 0);
	/* Another address index on the port: its SYN-ACK is not ours. */
	gen_sl_opened(&s, 5, CPORT, 0, true);
	assert_true(answers(&s, &r, TT_TCP_SYN | TT_TCP_ACK, 1, 0x10, NULL, 0));
	gen_sl_opened(&s, 4, CPORT, 0, true);
	assert_int_equal(s.in_flight, 1);
	assert_int_equal(gen_sl_failed(&s), 2);
	check_counters(
	    &s,
	    (struct gen_sl_ctr){
		.synacks = 2, .requests = 2, .rsts = 1, .reset = 1, .timed_out = 1, .stray = 1});
}

static void test_syn(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;
	uint8_t frame[2048];
	struct tt_pkt p;

	(void)state;
	s.isn_key = 0x5a5a5a5a;
	gen_sl_syn(&s, 4, 65535, &r);
	p = parse(frame, gen_sl_write(&s, &r, frame), SERVER, &srv_mac);
	assert_int_equal(p.saddr, CLIENT);
	assert_int_equal(p.sport, 65535);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.seg.flags, TT_TCP_SYN);
	assert_int_equal(p.seg.seq, gen_sl_isn(&s, 4, 65535));
	assert_true(p.seg.opts.present & TT_OPT_MSS);
	assert_int_equal(p.seg.opts.mss, 1460);
}

/* A request that does not fit a template is refused, one that just fits taken. */
static void test_request_room(void **state)
{
	static uint8_t long_request[GEN_TMPL_ROOM];
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	const uint32_t room = GEN_TMPL_ROOM - TT_ETH_HDR_LEN - TT_IP4_HDR_LEN - TT_TCP_HDR_LEN;
	struct gen_sl_reply r = {.caddr = CLIENT, .cport = CPORT, .frame = GEN_SL_FRAME_REQUEST};
	uint8_t frame[2048];
	struct tt_pkt p;

	(void)state;
	memset(long_request, 'x', sizeof(long_request));
	s.c.request = long_request;
	s.c.request_len = room + 1;
	assert_false(gen_sl_frames_init(&s, 0));
	s.c.request_len = room;
	assert_true(gen_sl_frames_init(&s, 0));
	p = parse(frame, gen_sl_write(&s, &r, frame), SERVER, &srv_mac);
	assert_int_equal(p.seg.len, room);
	assert_memory_equal(p.seg.payload, long_request, room);
}

/* A SYN still unanswered after syn_rto_ms (and its port's share, 0 for CPORT) is due again,
 * once a timeout, until its SYN-ACK. */
static void test_syn_repeat(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;
	uint16_t ports[GEN_SL_SWEEP];

	(void)state;
	s.syn_rto_ms = 20;
	gen_sl_opened(&s, 4, CPORT, 0xfffffff0u, true); /* the clock wraps in between */
	s.sweep = CPORT - 10;
	assert_int_equal(gen_sl_syns_due(&s, 3, ports, GEN_SL_SWEEP), 0);
	assert_int_equal(s.sweep, CPORT - 10 + GEN_SL_SWEEP);
	s.sweep = CPORT - GEN_SL_SWEEP + 1; /* the sweep's last entry */
	assert_int_equal(gen_sl_syns_due(&s, 4, ports, GEN_SL_SWEEP), 1);
	assert_int_equal(ports[0], CPORT);
	assert_int_equal(gen_sl_isn(&s, 4, CPORT), gen_sl_isn(&s, 4, CPORT));
	assert_int_not_equal(gen_sl_isn(&s, 4, CPORT), gen_sl_isn(&s, 5, CPORT));
	s.sweep = CPORT;
	assert_int_equal(gen_sl_syns_due(&s, 23, ports, GEN_SL_SWEEP), 0);
	/* max 0 takes none; the sweep wraps at the table's end. */
	s.sweep = CPORT;
	assert_int_equal(gen_sl_syns_due(&s, 24, ports, 0), 0);
	gen_sl_opened(&s, 4, 3, 0, true);
	s.sweep = GEN_SL_PORTS - 10;
	assert_int_equal(gen_sl_syns_due(&s, 22, ports, GEN_SL_SWEEP), 0); /* port 3: 20 + 3 */
	s.sweep = GEN_SL_PORTS - 10;
	assert_int_equal(gen_sl_syns_due(&s, 23, ports, GEN_SL_SWEEP), 1);
	assert_int_equal(ports[0], 3);
	assert_int_equal(s.sweep, GEN_SL_SWEEP - 10);
	/* Answered: never again; and none at all without a timeout. */
	assert_true(answers(&s, &r, TT_TCP_SYN | TT_TCP_ACK, 1, 0x10, NULL, 0));
	s.sweep = CPORT;
	assert_int_equal(gen_sl_syns_due(&s, 1000, ports, GEN_SL_SWEEP), 0);
	gen_sl_opened(&s, 4, CPORT, 0, true);
	s.syn_rto_ms = 0;
	s.sweep = CPORT;
	assert_int_equal(gen_sl_syns_due(&s, 1000, ports, GEN_SL_SWEEP), 0);
	assert_int_equal(s.ctr.syn_retransmits, 2);
}

/*
 * --alternate: a connection the open loop opened is never repeated and not counted among the
 * closed loop's in flight, however it ends (reset, or its port come round unfinished).
 */
static void test_open_loop_conns(void **state)
{
	struct gen_sl s = client(GEN_CLOSE_CLIENT);
	struct gen_sl_reply r;
	uint16_t ports[GEN_SL_SWEEP];

	(void)state;
	s.syn_rto_ms = 20;
	gen_sl_opened(&s, 4, CPORT, 0, false);
	gen_sl_opened(&s, 4, CPORT + 1, 0, true);
	assert_int_equal(s.in_flight, 2);
	assert_int_equal(s.closed_in_flight, 1);
	s.sweep = CPORT;
	assert_int_equal(gen_sl_syns_due(&s, 1000, ports, GEN_SL_SWEEP), 1);
	assert_int_equal(ports[0], CPORT + 1);
	/* The open loop's port comes round to the closed loop: the first timed out, not repeated.
	 */
	gen_sl_opened(&s, 4, CPORT, 1000, true);
	assert_int_equal(s.in_flight, 2);
	assert_int_equal(s.closed_in_flight, 2);
	assert_int_equal(s.ctr.timed_out, 1);
	/* And back to the open loop while the closed loop's SYN is unanswered. */
	gen_sl_opened(&s, 4, CPORT, 1000, false);
	assert_int_equal(s.closed_in_flight, 1);
	assert_int_equal(s.ctr.timed_out, 2);
	s.sweep = CPORT;
	assert_int_equal(gen_sl_syns_due(&s, 5000, ports, GEN_SL_SWEEP), 1);
	assert_int_equal(ports[0], CPORT + 1);
	/* A reset ends the open loop's connection; the closed loop's count keeps its own. */
	assert_true(answers(&s, &r, TT_TCP_SYN | TT_TCP_ACK, 1, 0x10, NULL, 0));
	assert_false(answers(&s, &r, TT_TCP_RST | TT_TCP_ACK, 2, 0x10, NULL, 0));
	assert_int_equal(s.in_flight, 1);
	assert_int_equal(s.closed_in_flight, 1);
	assert_int_equal(s.ctr.syn_retransmits, 2);
}

/*
 * --alternate-factor: each open turn's rate is the factor times what the client completed a
 * second over the second half of the closed turn before it, set once as the turn begins.
 */
static void test_turn_rate(void **state)
{
	const uint64_t turn = 1ull << GEN_SL_ALTERNATE_SHIFT, half = turn / 2, hz = turn;
	struct gen_sl_turn_rate t;

	(void)state;
	gen_sl_turn_rate_init(&t, 2.0, 1000.0);
	/* An open turn before any closed one was measured, and a closed turn's first half. */
	assert_true(gen_sl_turn_rate_update(&t, 3 * turn + 5, hz, 10) == 1000.0);
	assert_true(gen_sl_turn_rate_update(&t, 4 * turn + 1, hz, 20) == 1000.0);
	assert_true(gen_sl_turn_rate_update(&t, 4 * turn + half - 1, hz, 30) == 1000.0);
	/* Its second half from 40 completed; the open turn begins at 40 + 300 (a second at hz = a
	 * turn: 300 in half a second), at 2x: 1,200 a second. */
	assert_true(gen_sl_turn_rate_update(&t, 4 * turn + half, hz, 40) == 1000.0);
	assert_true(gen_sl_turn_rate_update(&t, 4 * turn + half + 9, hz, 45) == 1000.0);
	assert_true(gen_sl_turn_rate_update(&t, 5 * turn, hz, 340) == 1200.0);
	/* Set once: the open turn's own completions do not move it. */
	assert_true(gen_sl_turn_rate_update(&t, 5 * turn + half, hz, 900) == 1200.0);
	/* A closed turn that completed nothing in its second half leaves the rate as it was. */
	assert_true(gen_sl_turn_rate_update(&t, 6 * turn + half, hz, 1000) == 1200.0);
	assert_true(gen_sl_turn_rate_update(&t, 7 * turn + 3, hz, 1000) == 1200.0);
	/* A closed turn the loop missed the second half of (no iteration in it) measures nothing:
	 * the next open turn keeps the rate. */
	assert_true(gen_sl_turn_rate_update(&t, 8 * turn + 7, hz, 1100) == 1200.0);
	assert_true(gen_sl_turn_rate_update(&t, 9 * turn + 7, hz, 1500) == 1200.0);
	/* Factor 0 (no --alternate-factor): --rate throughout. */
	gen_sl_turn_rate_init(&t, 0, 1000.0);
	assert_true(gen_sl_turn_rate_update(&t, 4 * turn + half, hz, 40) == 1000.0);
	assert_true(gen_sl_turn_rate_update(&t, 5 * turn, hz, 340) == 1000.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_synack_at_wrap),    cmocka_unit_test(test_client_close),
	    cmocka_unit_test(test_server_close),      cmocka_unit_test(test_partial),
	    cmocka_unit_test(test_no_reply),	      cmocka_unit_test(test_syn),
	    cmocka_unit_test(test_reference_checked), cmocka_unit_test(test_failures),
	    cmocka_unit_test(test_keep_alive),	      cmocka_unit_test(test_keep_alive_not_asked),
	    cmocka_unit_test(test_syn_repeat),	      cmocka_unit_test(test_open_loop_conns),
	    cmocka_unit_test(test_turn_rate),	      cmocka_unit_test(test_request_room),
	    cmocka_unit_test(test_pipelined),	      cmocka_unit_test(test_pipelined_bad),
	    cmocka_unit_test(test_pipeline_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
