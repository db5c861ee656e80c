/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE /* memmem */
/* tt_reload: building a generation and the set of generations the main lcore keeps alive. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tt_reload.h"

static const char text[] =
    "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"198.18.0.2/24\";\n"
    "  address6 = \"2001:2::2/64\"; } );\n"
    "listeners = ( { port = 80; app = \"http\"; }, { port = 7; app = \"echo\"; },\n"
    "  { port = 9; app = \"discard\"; family = \"ipv4\"; },\n"
    "  { port = 10; app = \"discard\"; family = \"ipv6\"; } );\n"
    "http = { status = 404; body_size = 5; headers = [ ]; };\n"
    "tcp = { idle_timeout_ms = 1234; };\n";

static struct tt_conf conf;

static int setup(void **state)
{
	char err[256];

	(void)state;
	return tt_conf_load_string(&conf, text, "t.conf", err, sizeof(err));
}

/* The generation is the configuration as the workers read it. */
static void test_gen_create(void **state)
{
	static const char status[] = "HTTP/1.1 404 Not Found\r\n", end[] = "\r\n\r\nabcde";
	struct tt_reload_gen *g = tt_reload_gen_create(&conf, 7);
	const struct tt_http_response *r;

	(void)state;
	assert_non_null(g);
	assert_int_equal(g->rt.gen, 7);
	assert_ptr_equal(g->rt.conf, &g->conf.tcp);
	assert_int_equal(g->rt.conf->idle_timeout_ms, 1234);
	assert_ptr_equal(g->rt.listen_app, g->listen_app);
	assert_int_equal(g->listen_app[80], TT_APP_HTTP + 1);
	assert_int_equal(g->listen_app[7], TT_APP_ECHO + 1);
	assert_int_equal(g->listen_app[9], (TT_APP_DISCARD + 1) | TT_LISTEN_NO_IPV6);
	assert_int_equal(g->listen_app[10], (TT_APP_DISCARD + 1) | TT_LISTEN_NO_IPV4);
	assert_int_equal(g->listen_app[11], 0);
	r = g->rt.app_data;
	assert_ptr_equal(r, &g->http);
	assert_true(r->keep_alive_len > sizeof(status) + 5);
	assert_memory_equal(r->keep_alive, status, sizeof(status) - 1);
	assert_memory_equal(r->keep_alive + r->keep_alive_len - sizeof(end) + 1, end,
			    sizeof(end) - 1);
	assert_non_null(memmem(r->keep_alive, r->keep_alive_len, "Content-Length: 5\r\n", 19));
	tt_reload_gen_free(g);
}

/* At most TT_STACK_RT_GENS alive; release frees the older ones, never the latest. */
static void test_set(void **state)
{
	struct tt_reload_set s = {0};

	(void)state;
	for (uint32_t gen = 0; gen < TT_STACK_RT_GENS; gen++)
		assert_int_equal(tt_reload_set_push(&s, tt_reload_gen_create(&conf, gen)), 0);
	assert_int_equal(tt_reload_set_push(&s, NULL), -EBUSY);
	assert_int_equal(s.latest_gen, TT_STACK_RT_GENS - 1);
	assert_int_equal(tt_reload_set_release(&s, 0), 0);
	assert_int_equal(tt_reload_set_release(&s, 3), 3);
	assert_int_equal(s.n, TT_STACK_RT_GENS - 3);
	assert_int_equal(s.gens[0]->rt.gen, 3);
	/* every worker past the latest cannot happen, and still keeps the latest */
	assert_int_equal(tt_reload_set_release(&s, 1000), TT_STACK_RT_GENS - 4);
	assert_int_equal(s.n, 1);
	assert_int_equal(tt_reload_set_latest(&s)->rt.gen, TT_STACK_RT_GENS - 1);
	tt_reload_set_free(&s);
	assert_int_equal(s.n, 0);
}

/* A body file that went away since the configuration was checked: no generation. */
static void test_gen_body_file_gone(void **state)
{
	struct tt_conf c = conf;

	(void)state;
	c.http.body_size = 0;
	strcpy(c.http.body_file, "/nonexistent/tcpterm-body");
	errno = 0;
	assert_null(tt_reload_gen_create(&c, 1));
	assert_int_equal(errno, ENOENT);
}

/* A body file that became a FIFO since: refused at once (EINVAL), not an open that blocks the
 * main lcore until a writer comes (alarm() ends the test if it does). */
static void test_gen_body_file_fifo(void **state)
{
	char dir[] = "/tmp/tt-reload-XXXXXX", path[64];
	struct tt_conf c = conf;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/body", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	c.http.body_size = 0;
	strcpy(c.http.body_file, path);
	alarm(10);
	errno = 0;
	assert_null(tt_reload_gen_create(&c, 1));
	assert_int_equal(errno, EINVAL);
	alarm(0);
	unlink(path);
	rmdir(dir);
}

/*
 * /tcpterm/reload's mailbox: a requester gets the outcome of the reload that took its ticket,
 * not one of a SIGHUP that finished before it woke, nor one of a later request's; an outcome
 * replaced by TM_OUTCOMES (8) later ones is refused, not swapped for another.
 */
static void test_telemetry_outcome_is_the_requesters(void **state)
{
	struct tt_reload_set s = {0};
	uint64_t first, second, lost;
	char msg[64];
	bool applied;

	(void)state;
	assert_false(tt_reload_telemetry_pending());
	first = tt_reload_telemetry_request();
	tt_reload_outcome(&s, true, "sighup before"); /* taken no ticket: serves none */
	assert_int_equal(tt_reload_telemetry_wait(first, 0, &applied, msg, sizeof(msg)),
			 -ETIMEDOUT);
	assert_true(tt_reload_telemetry_pending());
	tt_reload_outcome(&s, false, "first's");
	tt_reload_outcome(&s, true, "sighup after");
	second = tt_reload_telemetry_request();
	assert_true(tt_reload_telemetry_pending());
	assert_false(tt_reload_telemetry_pending());
	tt_reload_outcome(&s, true, "second's");
	assert_int_equal(tt_reload_telemetry_wait(first, 0, &applied, msg, sizeof(msg)), 0);
	assert_false(applied);
	assert_string_equal(msg, "first's");
	assert_int_equal(tt_reload_telemetry_wait(second, 0, &applied, msg, sizeof(msg)), 0);
	assert_true(applied);
	assert_string_equal(msg, "second's");
	/* Two requests taken at once share one reload. */
	first = tt_reload_telemetry_request();
	second = tt_reload_telemetry_request();
	assert_true(tt_reload_telemetry_pending());
	tt_reload_outcome(&s, true, "both");
	assert_int_equal(tt_reload_telemetry_wait(first, 0, &applied, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "both");
	assert_int_equal(tt_reload_telemetry_wait(second, 0, &applied, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "both");
	/* Eight later outcomes replace an unread one. */
	lost = tt_reload_telemetry_request();
	for (unsigned i = 0; i < 9; i++) {
		if (i > 0)
			tt_reload_telemetry_request();
		assert_true(tt_reload_telemetry_pending());
		tt_reload_outcome(&s, true, i == 0 ? "lost" : "later");
	}
	assert_int_equal(tt_reload_telemetry_wait(lost, 0, &applied, msg, sizeof(msg)), -ENOENT);
	assert_int_equal(s.applied, 13);
	assert_int_equal(s.refused, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gen_create),
	    cmocka_unit_test(test_set),
	    cmocka_unit_test(test_gen_body_file_gone),
	    cmocka_unit_test(test_gen_body_file_fifo),
	    cmocka_unit_test(test_telemetry_outcome_is_the_requesters),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
