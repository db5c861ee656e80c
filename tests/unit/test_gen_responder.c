/*
 * The stateless responder's replies (bench/gen/gen_responder.c) to the
 * benchmark client's segments, built and parsed as frames (lib/net): each
 * reply parsed back as the client receives it (addresses, ports, MACs,
 * numbers at and across the sequence wrap, flags, the MSS of the SYN-ACK,
 * the response byte for byte against the appliance's own rendering), in
 * both close modes; what gets no reply (bare ACKs, RSTs, other data, other
 * flags, segments to another port), every counter checked.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "gen_responder.h"
#include "gen_harness.h"
#include "tt_conf.h"
#include "tt_reload.h"

static struct gen_rsp responder(bool server_close)
{
	struct gen_rsp r;

	/* Checksums in software, which the parser at the other end then verifies. */
	assert_true(gen_rsp_init(&r, &srv_mac, SERVER, 80, BODY, server_close, 0));
	return r;
}

/*
 * The client's segment to dport, as the responder parses it, answered in place: the reply's
 * length (0: none), the reply parsed as the client receives it in *reply.
 */
static uint32_t answer(struct gen_rsp *r, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
		       const char *payload, struct tt_pkt *reply)
{
	static uint8_t frame[2048];
	uint32_t len = payload != NULL ? (uint32_t)strlen(payload) : 0, n;
	struct tt_tcp_hdr_args a = {.src_mac = gen_mac,
				    .dst_mac = srv_mac,
				    .saddr = CLIENT,
				    .daddr = SERVER,
				    .sport = CPORT,
				    .dport = dport,
				    .seq = seq,
				    .ack = ack,
				    .wnd = 65535,
				    .flags = flags};
	uint32_t hl;
	struct tt_pkt pkt;

	if (flags == TT_TCP_SYN)
		a.opts = (struct tt_tcp_opts){.present = TT_OPT_MSS, .mss = 1460};
	memset(frame, 0, sizeof(frame));
	hl = tt_net_tcp_build(frame, &a, len);
	if (len > 0)
		memcpy(frame + hl, payload, len);
	tt_net_tcp_cksum(frame, 0);
	pkt = parse(frame, hl + len, SERVER, &srv_mac);
	n = gen_rsp_answer(r, &pkt, frame);
	if (n > 0)
		*reply = parse(frame, n, CLIENT, &gen_mac);
	return n;
}

static void check_reply(const struct tt_pkt *p, uint8_t flags, uint32_t seq, uint32_t ack)
{
	assert_int_equal(p->saddr, SERVER);
	assert_int_equal(p->daddr, CLIENT);
	assert_int_equal(p->sport, 80);
	assert_int_equal(p->dport, CPORT);
	assert_memory_equal(p->src_mac.b, srv_mac.b, 6);
	assert_int_equal(p->seg.flags, flags);
	assert_int_equal(p->seg.seq, seq);
	assert_int_equal(p->seg.ack, ack);
	assert_int_equal(p->seg.wnd, 65535);
}

/* The reply's payload is the appliance's response (keep-alive or close) of BODY bytes. */
static void check_response(const struct tt_pkt *p, bool close)
{
	static struct tt_conf conf;
	struct tt_http_response http;

	tt_conf_defaults(&conf);
	conf.http.body_size = BODY;
	assert_int_equal(tt_reload_http_response(&conf.http, &http), 0);
	assert_int_equal(p->seg.len, close ? http.close_len : http.keep_alive_len);
	assert_memory_equal(p->seg.payload, close ? http.close : http.keep_alive, p->seg.len);
	tt_http_response_free(&http);
}

static void check_counters(const struct gen_rsp *r, struct gen_rsp_ctr want)
{
	assert_int_equal(r->ctr.syn_acks, want.syn_acks);
	assert_int_equal(r->ctr.responses, want.responses);
	assert_int_equal(r->ctr.fins, want.fins);
	assert_int_equal(r->ctr.unexpected, want.unexpected);
	assert_int_equal(r->ctr.not_ours, want.not_ours);
}

/* SYN, request, FIN and the last ACK of a client-close connection, its numbers across the wrap. */
static void test_client_close(void **state)
{
	struct gen_rsp r = responder(false);
	struct tt_pkt p;
	uint32_t cs = 0xffffffe0u, ss, resp_len;

	(void)state;
	assert_true(answer(&r, 80, TT_TCP_SYN, cs, 0, NULL, &p) > 0);
	assert_int_equal(p.seg.flags, TT_TCP_SYN | TT_TCP_ACK);
	assert_int_equal(p.seg.ack, cs + 1);
	assert_int_equal(p.seg.len, 0);
	assert_true(p.seg.opts.present & TT_OPT_MSS);
	assert_int_equal(p.seg.opts.mss, 1460);
	assert_int_equal(p.seg.opts.present & ~TT_OPT_MSS, 0);
	ss = p.seg.seq;
	/* The handshake's ACK with the request, which carries their sequence past the wrap. */
	assert_true(answer(&r, 80, TT_TCP_ACK | TT_TCP_PSH, cs + 1, ss + 1, request, &p) > 0);
	check_reply(&p, TT_TCP_ACK | TT_TCP_PSH, ss + 1, cs + 1 + (uint32_t)strlen(request));
	check_response(&p, false);
	resp_len = p.seg.len;
	cs += 1 + (uint32_t)strlen(request);
	/* Their ACK of the response: nothing.  Their FIN: ours with the ACK. */
	assert_int_equal(answer(&r, 80, TT_TCP_ACK, cs, ss + 1 + resp_len, NULL, &p), 0);
	assert_true(answer(&r, 80, TT_TCP_ACK | TT_TCP_FIN, cs, ss + 1 + resp_len, NULL, &p) > 0);
	check_reply(&p, TT_TCP_ACK | TT_TCP_FIN, ss + 1 + resp_len, cs + 1);
	assert_int_equal(p.seg.len, 0);
	check_counters(&r, (struct gen_rsp_ctr){.syn_acks = 1, .responses = 1, .fins = 1});
}

/* Server close: the response with our FIN, and their FIN gets an ACK. */
static void test_server_close(void **state)
{
	struct gen_rsp r = responder(true);
	struct tt_pkt p;
	uint32_t resp_len;

	(void)state;
	assert_true(answer(&r, 80, TT_TCP_ACK | TT_TCP_PSH, 0xfffffffeu, 1000, request, &p) > 0);
	check_reply(&p, TT_TCP_ACK | TT_TCP_PSH | TT_TCP_FIN, 1000,
		    0xfffffffeu + (uint32_t)strlen(request));
	check_response(&p, true);
	resp_len = p.seg.len;
	assert_true(answer(&r, 80, TT_TCP_ACK | TT_TCP_FIN, 0xfffffffeu + (uint32_t)strlen(request),
			   1000 + resp_len + 1, NULL, &p) > 0);
	check_reply(&p, TT_TCP_ACK, 1000 + resp_len + 1,
		    0xfffffffeu + (uint32_t)strlen(request) + 1);
	check_counters(&r, (struct gen_rsp_ctr){.responses = 1, .fins = 1});
}

/* The ISN differs from tuple to tuple and is the same for a SYN sent again. */
static void test_isn(void **state)
{
	struct gen_rsp r = responder(false);
	struct tt_pkt a, b, c;

	(void)state;
	assert_true(answer(&r, 80, TT_TCP_SYN, 7, 0, NULL, &a) > 0);
	assert_true(answer(&r, 80, TT_TCP_SYN, 7, 0, NULL, &b) > 0);
	assert_true(answer(&r, 80, TT_TCP_SYN, 8, 0, NULL, &c) > 0);
	assert_int_equal(a.seg.seq, b.seg.seq);
	assert_int_not_equal(a.seg.seq, c.seg.seq);
	check_counters(&r, (struct gen_rsp_ctr){.syn_acks = 3});
}

/* What gets no reply: counted as unexpected unless it needs none (a bare ACK, an RST). */
static void test_no_reply(void **state)
{
	struct gen_rsp r = responder(false);
	struct tt_pkt p;

	(void)state;
	assert_int_equal(answer(&r, 80, TT_TCP_ACK, 1, 1, NULL, &p), 0);
	assert_int_equal(answer(&r, 80, TT_TCP_RST, 1, 0, NULL, &p), 0);
	assert_int_equal(answer(&r, 80, TT_TCP_RST | TT_TCP_ACK, 1, 1, NULL, &p), 0);
	/* Data that is not a whole request, a request with a FIN, a SYN-ACK, a bare FIN. */
	assert_int_equal(answer(&r, 80, TT_TCP_ACK, 1, 1, "GET / HTTP/1.1\r\n", &p), 0);
	assert_int_equal(answer(&r, 80, TT_TCP_ACK, 1, 1, "\r\n\r", &p), 0);
	assert_int_equal(answer(&r, 80, TT_TCP_ACK | TT_TCP_FIN, 1, 1, request, &p), 0);
	assert_int_equal(answer(&r, 80, TT_TCP_SYN | TT_TCP_ACK, 1, 1, NULL, &p), 0);
	assert_int_equal(answer(&r, 80, TT_TCP_FIN, 1, 0, NULL, &p), 0);
	/* Shortest whole request: the four bytes alone. */
	assert_true(answer(&r, 80, TT_TCP_ACK, 1, 1, "\r\n\r\n", &p) > 0);
	/* Another port: not ours, whatever it is. */
	assert_int_equal(answer(&r, 81, TT_TCP_SYN, 1, 0, NULL, &p), 0);
	assert_int_equal(answer(&r, 81, TT_TCP_ACK, 1, 1, request, &p), 0);
	check_counters(&r, (struct gen_rsp_ctr){.responses = 1, .unexpected = 5, .not_ours = 2});
}

/* A response that does not fit a template is refused at init. */
static void test_body_too_large(void **state)
{
	struct gen_rsp r;

	(void)state;
	assert_true(gen_rsp_init(&r, &srv_mac, SERVER, 80, 300, false, 0));
	assert_false(gen_rsp_init(&r, &srv_mac, SERVER, 80, GEN_TMPL_ROOM, false, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_close),
	    cmocka_unit_test(test_server_close),
	    cmocka_unit_test(test_isn),
	    cmocka_unit_test(test_no_reply),
	    cmocka_unit_test(test_body_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
