/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bytes the TRex profiles of bench/trex send, through tcpterm's own HTTP parser and
 * response builder. trex_profiles.h is generated at build time from the profiles' module-level
 * HTTP_REQUEST* constants and bench/trex/tt_target.py (tests/unit/trex_profiles.py), so a
 * profile edited into a request tcpterm would not answer, or a response size that no longer
 * matches what the example configuration makes tcpterm send, fails here.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trex_profiles.h"
#include "tt_conf.h"
#include "tt_http.h"

#define PIPELINE_DEPTH 8
#define MAX_BYTES      (PIPELINE_DEPTH * 512)

/*
 * Feed buf[0..len) in pieces: the first `first` bytes, then `step` bytes at a time. Every
 * request must end exactly where a copy of the profile's request ends (multiples of
 * req_len), none may be malformed, and the keep-alive verdict must be the profile's. Returns
 * the requests seen.
 */
static unsigned feed(const struct trex_request *r, const uint8_t *buf, uint32_t len, uint32_t first,
		     uint32_t step)
{
	struct tt_http_parser p;
	struct tt_http_request req;
	uint32_t off = 0, end = first < len ? first : len, used;
	unsigned n = 0;

	tt_http_parser_init(&p);
	for (;;) {
		while (off < end) {
			enum tt_http_status st =
			    tt_http_parse(&p, buf + off, end - off, &used, &req);

			if (st == TT_HTTP_BAD)
				fail_msg("%s: rejected at byte %u", r->name, off + used);
			off += used;
			if (st == TT_HTTP_NEED_MORE || st == TT_HTTP_CONTINUE)
				break;
			n++;
			if (off != n * r->len)
				fail_msg("%s: request %u ended at %u, want %u", r->name, n, off,
					 n * r->len);
			if (req.method != TT_HTTP_GET || req.keep_alive == r->close)
				fail_msg("%s: method %d keep-alive %d", r->name, req.method,
					 req.keep_alive);
		}
		if (end == len)
			return n;
		end = len - end > step ? end + step : len;
	}
}

static void test_requests_whole_and_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(trex_requests) / sizeof(trex_requests[0]); i++) {
		const struct trex_request *r = &trex_requests[i];
		const uint8_t *b = (const uint8_t *)r->bytes;

		assert_true(r->len <= MAX_BYTES / PIPELINE_DEPTH);
		assert_int_equal(feed(r, b, r->len, r->len, r->len), 1);
		for (uint32_t cut = 0; cut <= r->len; cut++)
			assert_int_equal(feed(r, b, r->len, cut, r->len), 1);
		assert_int_equal(feed(r, b, r->len, 1, 1), 1);
		/* The Host header names the address the profile connects to. */
		assert_non_null(memmem(b, r->len, "Host: " TREX_SERVER_IP "\r\n",
				       strlen("Host: " TREX_SERVER_IP "\r\n")));
	}
}

/* astf_http_rps.py --pipeline N writes N copies at once: N requests, however TCP cuts them. */
static void test_requests_pipelined(void **state)
{
	static uint8_t buf[MAX_BYTES];

	(void)state;
	for (size_t i = 0; i < sizeof(trex_requests) / sizeof(trex_requests[0]); i++) {
		const struct trex_request *r = &trex_requests[i];
		uint32_t len = PIPELINE_DEPTH * r->len;

		for (unsigned k = 0; k < PIPELINE_DEPTH; k++)
			memcpy(buf + k * r->len, r->bytes, r->len);
		assert_int_equal(feed(r, buf, len, len, len), PIPELINE_DEPTH);
		for (uint32_t cut = 0; cut <= len; cut++)
			assert_int_equal(feed(r, buf, len, cut, len), PIPELINE_DEPTH);
		assert_int_equal(feed(r, buf, len, 1, 1), PIPELINE_DEPTH);
		assert_int_equal(feed(r, buf, len, 1460, 1460), PIPELINE_DEPTH);
	}
}

/*
 * The response sizes the profiles recv() are what tcpterm sends under the example
 * configuration they target: the response built the way tcpterm builds it at start.
 */
static void test_response_sizes_match_example_conf(void **state)
{
	static struct tt_conf conf;
	const char *hdrs[TT_CONF_MAX_HTTP_HEADERS];
	struct tt_http_response resp;
	struct in_addr server;
	char err[256];
	uint8_t *body;
	bool http_listener = false;

	(void)state;
	assert_int_equal(
	    tt_conf_load_file(&conf, TT_SOURCE_DIR "/" TREX_EXAMPLE_CONF, err, sizeof(err)), 0);
	assert_string_equal(conf.http.body_file, "");
	for (unsigned i = 0; i < conf.http.n_headers; i++)
		hdrs[i] = conf.http.headers[i];
	body = calloc(1, conf.http.body_size + 1);
	assert_non_null(body);
	assert_int_equal(tt_http_response_build(&resp, conf.http.status, hdrs, conf.http.n_headers,
						body, conf.http.body_size),
			 0);
	free(body);
	assert_int_equal(resp.keep_alive_len, TREX_RESPONSE_KEEPALIVE_LEN);
	assert_int_equal(resp.close_len, TREX_RESPONSE_CLOSE_LEN);
	tt_http_response_free(&resp);

	assert_int_equal(inet_pton(AF_INET, TREX_SERVER_IP, &server), 1);
	assert_int_equal(conf.ports[0].ip.addr, ntohl(server.s_addr));
	for (unsigned i = 0; i < conf.n_listeners; i++)
		http_listener |= conf.listeners[i].port == TREX_HTTP_PORT &&
				 conf.listeners[i].app == TT_APP_HTTP;
	assert_true(http_listener);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_requests_whole_and_split),
	    cmocka_unit_test(test_requests_pipelined),
	    cmocka_unit_test(test_response_sizes_match_example_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
