/* SPDX-License-Identifier: BSD-3-Clause */
/* tt_conf_reload_*: which keys a reload may change, and how a refusal names the key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tt_conf.h"

/*
 * The running file: every fixed key set explicitly, one per line, so that a case can change
 * exactly one line and expect that line in the error.
 */
static const char *const running_lines[] = {
    /* 1 */ "eal = [ \"--no-pci\" ];",
    /* 2 */ "workers = [ 2 ];",
    /* 3 */ "stats_interval_ms = 1000;",
    /* 4 */ "ports = ( {",
    /* 5 */ "  name = \"p0\";",
    /* 6 */ "  device = \"net_null0\";",
    /* 7 */ "  address = \"198.18.0.2/24\";",
    /* 8 */ "  gateway = \"198.18.0.1\";",
    /* 9 */ "  mtu = 1500;",
    /* 10 */ "  rx_desc = 1024;",
    /* 11 */ "  tx_desc = 1024;",
    /* 12 */ "  checksum_offload = \"auto\";",
    /* 13 */ "} );",
    /* 14 */ "listeners = ( { port = 80; app = \"http\"; } );",
    /* 15 */ "http = { status = 200; body_size = 64; };",
    /* 16 */ "tcp = {",
    /* 17 */ "  max_conns_per_core = 4096;",
    /* 18 */ "  time_wait_ms = 60000;",
    /* 19 */ "  cookie_secret = \"random\";",
    /* 20 */ "  idle_timeout_ms = 300000;",
    /* 21 */ "};",
};
enum { N_LINES = sizeof(running_lines) / sizeof(running_lines[0]) };

static struct tt_conf running, next;
static char err[512];

/* The running text with line `line` (1-based) replaced by `with` (NULL: unchanged). */
static const char *text_with(unsigned line, const char *with)
{
	static char buf[4096];
	size_t n = 0;

	for (unsigned i = 0; i < N_LINES; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\n",
				      i + 1 == line && with ? with : running_lines[i]);
	return buf;
}

static int setup(void **state)
{
	(void)state;
	if (tt_conf_load_string(&running, text_with(0, NULL), "run.conf", err, sizeof(err)) != 0) {
		print_message("%s\n", err);
		return -1;
	}
	return 0;
}

static int reload(const char *text)
{
	return tt_conf_reload_string(&next, &running, text, "new.conf", err, sizeof(err));
}

/* Each key that cannot change, changed alone, is refused and named with its line. */
static void test_fixed_keys_refused(void **state)
{
	static const struct {
		unsigned line;
		const char *with, *want;
	} cases[] = {
	    {1, "eal = [ \"--no-pci\", \"--no-telemetry\" ];", "new.conf:1: eal"},
	    {2, "workers = [ 0 ];", "new.conf:2: workers"},
	    {5, "  name = \"p1\";", "new.conf:5: ports[0].name"},
	    {6, "  device = \"net_null1\";", "new.conf:6: ports[0].device"},
	    {7, "  address = \"198.18.0.3/24\";", "new.conf:7: ports[0].address"},
	    {7, "  address = \"198.18.0.2/16\";", "new.conf:7: ports[0].address"},
	    {8, "  gateway = \"198.18.0.9\";", "new.conf:8: ports[0].gateway"},
	    {8, "  address6 = \"2001:2::2/64\"; gateway = \"198.18.0.1\";",
	     "new.conf:8: ports[0].address6"},
	    {9, "  mtu = 9000;", "new.conf:9: ports[0].mtu"},
	    {10, "  rx_desc = 512;", "new.conf:10: ports[0].rx_desc"},
	    {11, "  tx_desc = 2048;", "new.conf:11: ports[0].tx_desc"},
	    {12, "  checksum_offload = \"off\";", "new.conf:12: ports[0].checksum_offload"},
	    {12, "  checksum_offload = \"auto\"; reply_to_source_mac = true;",
	     "new.conf:12: ports[0].reply_to_source_mac"},
	    {12,
	     "  checksum_offload = \"auto\"; vlans = ( { id = 5; address = \"198.18.9.2/24\"; } );",
	     "new.conf:12: ports[0].vlans"},
	    {21, "}; neigh = { entries = 32; };", "new.conf:21: neigh"},
	    {13, "}, { name = \"p1\"; device = \"net_null1\"; address = \"198.18.2.2/24\"; } );",
	     "new.conf:4: ports"},
	    {17, "  max_conns_per_core = 8192;", "new.conf:17: tcp.max_conns_per_core"},
	    {18, "  time_wait_ms = 30000;", "new.conf:18: tcp.time_wait_ms"},
	    {18, "  time_wait_ms = 60000; wscale = 9;", "new.conf:18: tcp.wscale"},
	    {18, "  time_wait_ms = 60000; timestamps = false;", "new.conf:18: tcp.timestamps"},
	    {18, "  time_wait_ms = 60000; send_blocks_per_core = 512;",
	     "new.conf:18: tcp.send_blocks_per_core"},
	    {18, "  time_wait_ms = 60000; app_blocks_per_core = 512;",
	     "new.conf:18: tcp.app_blocks_per_core"},
	    {19, "  cookie_secret = \"00112233445566778899aabbccddeeff\";",
	     "new.conf:19: tcp.cookie_secret"},
	    /* left to its default, which differs: blamed where the group (or file) starts */
	    {17, "", "new.conf:16: tcp.max_conns_per_core"},
	    {2, "", "new.conf:1: workers"},
	};
	char want[256];

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = reload(text_with(cases[i].line, cases[i].with));

		snprintf(want, sizeof(want), "%s: cannot change at run time", cases[i].want);
		if (rc != -EPERM || strcmp(err, want) != 0)
			print_message("case %u: got %d \"%s\", want \"%s\"\n", i, rc, err, want);
		assert_int_equal(rc, -EPERM);
		assert_string_equal(err, want);
	}
}

/* An identical file is a reload that changes nothing: accepted, the same values. */
static void test_identical_is_noop(void **state)
{
	(void)state;
	memset(&next, 0xa5, sizeof(next));
	assert_int_equal(reload(text_with(0, NULL)), 0);
	assert_string_equal(err, "");
	assert_int_equal(next.n_listeners, running.n_listeners);
	assert_int_equal(next.listeners[0].port, 80);
	assert_int_equal(next.http.body_size, running.http.body_size);
	assert_int_equal(next.tcp.idle_timeout_ms, running.tcp.idle_timeout_ms);
	assert_int_equal(next.ports[0].ip.addr, running.ports[0].ip.addr);
	assert_string_equal(next.path, "new.conf");
}

/* Listeners, the HTTP response, per-connection TCP keys and the stats period may change. */
static void test_reloadable_keys_accepted(void **state)
{
	static const struct {
		unsigned line;
		const char *with;
	} cases[] = {
	    {3, "stats_interval_ms = 0;"},
	    {14,
	     "listeners = ( { port = 80; app = \"http\"; }, { port = 8080; app = \"echo\"; } );"},
	    {14, "listeners = ( { port = 9; app = \"discard\"; } );"},
	    {15, "http = { status = 404; body_size = 3; headers = [ \"X-A: b\" ]; };"},
	    {20,
	     "  idle_timeout_ms = 1000; mss = 1000; rcv_window = 8192; syncookies = \"always\";"},
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = reload(text_with(cases[i].line, cases[i].with));

		if (rc != 0)
			print_message("case %u: %s\n", i, err);
		assert_int_equal(rc, 0);
	}
	assert_int_equal(next.tcp.mss, 1000);
	assert_int_equal(next.tcp.syncookies, TT_SYNCOOKIES_ALWAYS);
}

/* An invalid file fails as at start (not as a fixed key) and leaves the output alone. */
static void test_invalid_file(void **state)
{
	(void)state;
	memset(&next, 0, sizeof(next));
	assert_int_equal(reload(text_with(9, "  mtu = 100;")), -EINVAL);
	assert_string_equal(err, "new.conf:9: ports[0].mtu: 100 is out of range (576..9000)");
	assert_int_equal(reload(text_with(14, "listeners = ( { port = 80; app = \"http\"; } ")),
			 -EINVAL);
	assert_non_null(strstr(err, "new.conf:15: "));
	assert_int_equal(next.n_ports, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_keys_refused),
	    cmocka_unit_test(test_identical_is_noop),
	    cmocka_unit_test(test_reloadable_keys_accepted),
	    cmocka_unit_test(test_invalid_file),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
