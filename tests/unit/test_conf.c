/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tt_conf.h"

#ifndef TT_SOURCE_DIR
#error "build with -DTT_SOURCE_DIR=\"/path/to/source\""
#endif

/* Lines 1 and 2 of most test texts: the two required keys, minimal and valid. */
#define PORTS                                                                                      \
	"ports = ( { name = \"p0\"; device = \"net_null0\";"                                       \
	" address = \"10.0.0.2/24\"; } );\n"
#define LISTENERS "listeners = ( { port = 80; app = \"http\"; } );\n"
#define BASE	  PORTS LISTENERS

static struct tt_conf conf;
static char err[512];

static int load(const char *text)
{
	return tt_conf_load_string(&conf, text, "t.conf", err, sizeof(err));
}

static void expect_error(const char *what, const char *text, const char *want)
{
	int rc = load(text);

	if (rc != -EINVAL || strcmp(err, want) != 0)
		print_message("case \"%s\"\n  text: %s\n  got:  %s\n  want: %s\n", what, text, err,
			      want);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, want);
}

static void expect_ok(const char *text)
{
	int rc = load(text);

	if (rc != 0)
		print_message("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
}

static void test_default_file(void **state)
{
	struct tt_conf def;
	int rc;

	(void)state;
	rc = tt_conf_load_file(&conf, TT_SOURCE_DIR "/conf/tcpterm.conf", err, sizeof(err));
	if (rc)
		print_message("%s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(conf.path, TT_SOURCE_DIR "/conf/tcpterm.conf");
	assert_int_equal(conf.n_eal_args, 1);
	assert_string_equal(conf.eal_args[0], "--no-pci");
	assert_int_equal(conf.stats_interval_ms, 1000);
	assert_int_equal(conf.n_workers, 1);
	assert_int_equal(conf.worker_lcores[0], 1);

	assert_int_equal(conf.n_ports, 1);
	assert_string_equal(conf.ports[0].name, "tap0");
	assert_string_equal(conf.ports[0].devargs, "net_tap0,iface=tt0");
	assert_false(conf.ports[0].is_pci);
	assert_int_equal(conf.ports[0].ip.addr, 0xc6120002); /* 198.18.0.2 */
	assert_int_equal(conf.ports[0].ip.prefix_len, 24);
	assert_int_equal(conf.ports[0].ip.gateway, 0xc6120001);
	assert_int_equal(conf.ports[0].ip.n_addr6, 1);
	assert_memory_equal(conf.ports[0].ip.addr6[0],
			    ((const uint8_t[16]){0x20, 0x01, 0, 2, [15] = 2}), 16); /* 2001:2::2 */
	assert_int_equal(conf.ports[0].ip.prefix6_len[0], 64);
	assert_int_equal(conf.ports[0].mtu, 1500);
	assert_int_equal(conf.ports[0].rx_desc, 1024);
	assert_int_equal(conf.ports[0].tx_desc, 1024);
	assert_true(conf.ports[0].checksum_offload);

	assert_int_equal(conf.n_listeners, 3);
	assert_int_equal(conf.listeners[0].port, 80);
	assert_int_equal(conf.listeners[0].app, TT_APP_HTTP);
	assert_int_equal(conf.listeners[1].port, 7);
	assert_int_equal(conf.listeners[1].app, TT_APP_ECHO);
	assert_int_equal(conf.listeners[2].port, 9);
	assert_int_equal(conf.listeners[2].app, TT_APP_DISCARD);

	assert_int_equal(conf.http.status, 200);
	assert_int_equal(conf.http.n_headers, 1);
	assert_string_equal(conf.http.headers[0], "Content-Type: text/plain");
	assert_int_equal(conf.http.body_size, 64);
	assert_string_equal(conf.http.body_file, "");

	assert_int_equal(conf.tcp.mss, 1460);
	assert_int_equal(conf.tcp.rcv_window, 65535);
	assert_int_equal(conf.tcp.wscale, 7);
	assert_true(conf.tcp.timestamps);
	assert_int_equal(conf.tcp.rto_min_ms, 200);
	assert_int_equal(conf.tcp.max_conns_per_core, 1048576);
	assert_int_equal(tt_conf_tcp_send_blocks(&conf.tcp), 1048576 / 4);
	assert_int_equal(conf.tcp.syncookies, TT_SYNCOOKIES_AUTO);
	assert_true(conf.tcp.cookie_secret_random);

	/* the file documents every default by setting it: it must agree with the code */
	tt_conf_defaults(&def);
	assert_memory_equal(&conf.tcp, &def.tcp, sizeof(def.tcp));
	assert_memory_equal(&conf.http, &def.http, sizeof(def.http));
}

static void test_examples(void **state)
{
	int rc;

	(void)state;
	rc = tt_conf_load_file(&conf, TT_SOURCE_DIR "/conf/examples/two-workers.conf", err,
			       sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(conf.n_workers, 2);
	assert_int_equal(conf.worker_lcores[0], 1);
	assert_int_equal(conf.worker_lcores[1], 2);
	assert_int_equal(conf.n_listeners, 3);

	rc = tt_conf_load_file(&conf, TT_SOURCE_DIR "/conf/examples/pci-port.conf", err,
			       sizeof(err));
	assert_int_equal(rc, 0);
	assert_true(conf.ports[0].is_pci);
	assert_string_equal(conf.ports[0].devargs, "0000:01:00.0");
	assert_int_equal(conf.ports[0].ip.gateway, 0xc6120101); /* 198.18.1.1 */
	assert_int_equal(conf.ports[0].rx_desc, 2048);
	assert_int_equal(conf.tcp.rcv_window, 1048576);
	assert_int_equal(conf.http.n_headers, 2);
	assert_string_equal(conf.http.headers[1], "Cache-Control: no-store");
}

/* The edges of a header the rules take: every tchar in a name, a name that only begins as one
 * tcpterm writes, a tab and obs-text in a value, an empty value. */
static void test_header_edges_taken(void **state)
{
	(void)state;
	expect_ok(BASE "http = {\n\theaders = [ \"aZ09!#$%&'*+-.^_`|~: a\\tb \\xff\",\n"
		       "\t\"Connection-Extra: x\", \"Content-Lengths: 1\", \"X-Empty:\" ];\n};\n");
	assert_int_equal(conf.http.n_headers, 4);
	assert_string_equal(conf.http.headers[0], "aZ09!#$%&'*+-.^_`|~: a\tb \xff");
}

static void test_minimal_takes_defaults(void **state)
{
	struct tt_conf def;

	(void)state;
	expect_ok(BASE);
	tt_conf_defaults(&def);
	assert_string_equal(conf.path, "t.conf");
	assert_int_equal(conf.n_eal_args, 0);
	assert_int_equal(conf.n_workers, 1);
	assert_int_equal(conf.worker_lcores[0], 1);
	assert_int_equal(conf.stats_interval_ms, def.stats_interval_ms);
	assert_memory_equal(&conf.tcp, &def.tcp, sizeof(def.tcp));
	assert_memory_equal(&conf.http, &def.http, sizeof(def.http));
	assert_int_equal(conf.ports[0].ip.addr, 0x0a000002);
	assert_int_equal(conf.ports[0].ip.gateway, 0);
	assert_int_equal(conf.ports[0].ip.n_addr6, 0);
	assert_int_equal(conf.ports[0].mtu, 1500);
	assert_int_equal(conf.ports[0].rx_desc, 1024);
	assert_int_equal(def.n_ports, 0);
	assert_int_equal(def.n_listeners, 0);
}

static void test_values_parsed(void **state)
{
	static const uint8_t secret[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

	(void)state;
	expect_ok(
	    "eal = [ \"--in-memory\", \"-l\", \"0-3\" ];\n"
	    "stats_interval_ms = 0;\n"
	    "workers = [ 3, 1, 127 ];\n"
	    "ports = (\n"
	    "  { name = \"a\"; device = \"3B:1f.7,arg=1\"; address = \"192.0.2.1/31\";\n"
	    "    mtu = 9000; },\n"
	    "  { name = \"b-1.x\"; device = \"net_ring0\"; address = \"198.51.100.7/32\";\n"
	    "    mtu = 9000; rx_desc = 64; tx_desc = 16384; checksum_offload = \"off\";\n"
	    "    address6 = \"2001:2::7/64\"; gateway6 = \"2001:2::1\"; }\n"
	    ");\n"
	    "listeners = ( { port = 65535; app = \"discard\"; family = \"ipv6\"; },\n"
	    "  { port = 1; app = \"echo\"; family = \"ipv4\"; },\n"
	    "  { port = 2; app = \"http\"; family = \"both\"; }, { port = 3; app = \"http\"; } );\n"
	    "http = { status = 404; headers = []; body_size = 0; };\n"
	    "tcp = { mss = 8960; rcv_window = 1073725440L; wscale = 14; timestamps = false;\n"
	    "  syncookies = \"always\"; cookie_secret = \"00112233445566778899AABBccddeeff\";\n"
	    "  rto_min_ms = 10; rto_initial_ms = 10; rto_max_ms = 10; };\n");
	assert_int_equal(conf.n_eal_args, 3);
	assert_string_equal(conf.eal_args[2], "0-3");
	assert_int_equal(conf.stats_interval_ms, 0);
	assert_int_equal(conf.n_workers, 3);
	assert_int_equal(conf.worker_lcores[2], 127); /* RTE_MAX_LCORE - 1 */
	assert_int_equal(conf.n_ports, 2);
	assert_true(conf.ports[0].is_pci);
	assert_string_equal(conf.ports[0].devargs, "0000:3b:1f.7,arg=1");
	assert_int_equal(conf.ports[0].ip.prefix_len, 31);
	assert_false(conf.ports[1].is_pci);
	assert_int_equal(conf.ports[1].ip.addr, 0xc6336407);
	assert_int_equal(conf.ports[1].mtu, 9000);
	assert_memory_equal(conf.ports[1].ip.gateway6,
			    ((const uint8_t[16]){0x20, 0x01, 0, 2, [15] = 1}), 16);
	assert_memory_equal(conf.ports[0].ip.gateway6, ((const uint8_t[16]){0}), 16);
	assert_int_equal(conf.ports[1].tx_desc, 16384);
	assert_true(conf.ports[0].checksum_offload);
	assert_false(conf.ports[1].checksum_offload);
	assert_int_equal(conf.listeners[0].port, 65535);
	assert_int_equal(conf.listeners[0].app, TT_APP_DISCARD);
	assert_int_equal(conf.listeners[0].family, TT_FAMILY_IPV6);
	assert_int_equal(conf.listeners[1].family, TT_FAMILY_IPV4);
	assert_int_equal(conf.listeners[2].family, TT_FAMILY_BOTH);
	assert_int_equal(conf.listeners[3].family, TT_FAMILY_BOTH); /* the default */
	assert_int_equal(conf.http.status, 404);
	assert_int_equal(conf.http.n_headers, 0);
	assert_int_equal(conf.http.body_size, 0);
	assert_int_equal(conf.tcp.mss, 8960);
	assert_int_equal(conf.tcp.rcv_window, 1073725440);
	assert_false(conf.tcp.timestamps);
	assert_int_equal(conf.tcp.syncookies, TT_SYNCOOKIES_ALWAYS);
	assert_false(conf.tcp.cookie_secret_random);
	assert_memory_equal(conf.tcp.cookie_secret, secret, sizeof(secret));
	assert_string_equal(tt_conf_app_name(TT_APP_ECHO), "echo");
	assert_string_equal(tt_conf_app_name((enum tt_app_kind)7), "?");
}

/* Where a range_cases entry puts its key in the text. */
enum where { IN_TOP, IN_TCP, IN_HTTP, IN_PORT, IN_LISTENER };

struct range_case {
	enum where where;
	const char *key;
	long long lo, hi;
};

static const struct range_case range_cases[] = {
    {IN_TOP, "stats_interval_ms", 0, 3600000},
    {IN_TCP, "mss", 88, 9000},
    {IN_TCP, "min_peer_mss", 48, 9000},
    {IN_TCP, "rcv_window", 1024, 1073725440},
    {IN_TCP, "wscale", 0, 14},
    {IN_TCP, "initial_cwnd_segments", 1, 64},
    {IN_TCP, "rto_initial_ms", 10, 120000},
    {IN_TCP, "rto_min_ms", 10, 120000},
    {IN_TCP, "rto_max_ms", 10, 120000},
    {IN_TCP, "max_retries", 1, 30},
    {IN_TCP, "syn_retries", 0, 10},
    {IN_TCP, "time_wait_ms", 1000, 240000},
    {IN_TCP, "fin_wait_2_timeout_ms", 100, 86400000},
    {IN_TCP, "close_wait_timeout_ms", 100, 86400000},
    {IN_TCP, "idle_timeout_ms", 100, 86400000},
    {IN_TCP, "syn_recv_timeout_ms", 100, 86400000},
    {IN_TCP, "closing_timeout_ms", 100, 86400000},
    {IN_TCP, "persist_timeout_ms", 100, 86400000},
    {IN_TCP, "invalid_reply_interval_ms", 0, 60000},
    {IN_TCP, "delayed_ack_ms", 0, 500},
    {IN_TCP, "drain_timeout_ms", 0, 600000},
    {IN_TCP, "reload_grace_ms", 0, 86400000},
    {IN_TCP, "max_conns_per_core", 16, 67108864},
    {IN_TCP, "syncookie_threshold", 0, 67108864},
    {IN_TCP, "max_orphans_per_core", 0, 67108864},
    {IN_TCP, "orphan_retries", 0, 30},
    {IN_TCP, "syn_shed_full_polls", 0, 1024},
    {IN_TCP, "send_blocks_per_core", 0, 67108864},
    {IN_TCP, "app_blocks_per_core", 0, 67108864},
    {IN_HTTP, "status", 200, 599},
    {IN_HTTP, "body_size", 0, 16777216},
    {IN_HTTP, "header_timeout_ms", 100, 86400000},
    {IN_HTTP, "body_timeout_ms", 100, 86400000},
    {IN_PORT, "mtu", 576, 9000},
    {IN_PORT, "rx_desc", 64, 16384},
    {IN_PORT, "tx_desc", 64, 16384},
    {IN_LISTENER, "port", 1, 65535},
};

/* Writes a file with key = v at a known line; returns that line, sets the expected key path. */
static unsigned range_text(const struct range_case *rc, long long v, char *text, size_t cap,
			   char *path, size_t pathcap)
{
	const char *grp = rc->where == IN_TCP ? "tcp" : "http";

	switch (rc->where) {
	case IN_TOP:
		snprintf(text, cap, BASE "\n%s = %lld;\n", rc->key, v);
		snprintf(path, pathcap, "%s", rc->key);
		return 4;
	case IN_TCP:
	case IN_HTTP:
		snprintf(text, cap, BASE "%s = {\n\t# a comment\n\n\t%s = %lld;\n};\n", grp,
			 rc->key, v);
		snprintf(path, pathcap, "%s.%s", grp, rc->key);
		return 6;
	case IN_PORT:
		snprintf(text, cap,
			 "ports = (\n\t{\n\t\tname = \"p0\";\n\t\tdevice = \"net_null0\";\n"
			 "\t\taddress = \"10.0.0.2/24\";\n\t\t%s = %lld;\n\t}\n);\n" LISTENERS,
			 rc->key, v);
		snprintf(path, pathcap, "ports[0].%s", rc->key);
		return 6;
	case IN_LISTENER:
		snprintf(text, cap,
			 PORTS "listeners = (\n\t{ port = 80; app = \"http\"; },\n"
			       "\t{ app = \"echo\";\n\t  %s = %lld; }\n);\n",
			 rc->key, v);
		snprintf(path, pathcap, "listeners[1].%s", rc->key);
		return 5;
	}
	return 0;
}

static void test_out_of_range(void **state)
{
	char text[1024], path[64], want[256];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++) {
		const struct range_case *rc = &range_cases[i];
		const long long bad[2] = {rc->lo - 1, rc->hi + 1};

		for (j = 0; j < 2; j++) {
			unsigned line =
			    range_text(rc, bad[j], text, sizeof(text), path, sizeof(path));

			if (!strcmp(rc->key, "stats_interval_ms"))
				snprintf(want, sizeof(want),
					 "t.conf:%u: %s: %lld is out of range (0 or 100..3600000)",
					 line, path, bad[j]);
			else
				snprintf(want, sizeof(want),
					 "t.conf:%u: %s: %lld is out of range (%lld..%lld)", line,
					 path, bad[j], rc->lo, rc->hi);
			expect_error(rc->key, text, want);
		}
	}
}

struct err_case {
	const char *what;
	const char *text;
	const char *want;
};

/* Why a configured header is refused (lib/app/tt_http_field.h, which the response builder
 * applies too: tests/unit/test_http.c). */
#define VALUE_BYTE "has a control byte (CR, LF, DEL or below space but tab) in its value"
#define NAME_BYTE                                                                                  \
	"has a byte in its name that no field name may hold (RFC 9110 5.6.2: letters, digits and " \
	"!#$%&'*+-.^_`|~)"
#define OWNED "names a field tcpterm writes itself (Content-Length, Connection, Transfer-Encoding)"

static const struct err_case err_cases[] = {
    /* unknown keys */
    {"unknown top-level key", BASE "\nfoo = 1;\n", "t.conf:4: foo: unknown key"},
    {"unknown key in tcp", BASE "tcp = {\n\tmss = 1400;\n\tbogus = 2;\n};\n",
     "t.conf:5: tcp.bogus: unknown key"},
    {"unknown key in a port",
     "ports = (\n"
     "\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\"; },\n"
     "\t{\n\t\tname = \"p1\";\n\t\tcolor = \"red\";\n\t}\n);\n" LISTENERS,
     "t.conf:5: ports[1].color: unknown key"},
    {"unknown key in a listener",
     PORTS "listeners = (\n\t{ port = 80; app = \"http\"; proto = \"tcp\"; }\n);\n",
     "t.conf:3: listeners[0].proto: unknown key"},
    {"unknown key in http", BASE "http = {\n\tstatus = 200;\n\tbody = \"x\";\n};\n",
     "t.conf:5: http.body: unknown key"},
    /* wrong types */
    {"string for an integer", BASE "tcp = {\n\tmss = \"1460\";\n};\n",
     "t.conf:4: tcp.mss: expected an integer, got a string"},
    {"float for an integer", BASE "tcp = { wscale = 7.0; };\n",
     "t.conf:3: tcp.wscale: expected an integer, got a float"},
    {"integer for a boolean", BASE "tcp = {\n\ttimestamps = 1;\n};\n",
     "t.conf:4: tcp.timestamps: expected a boolean (true or false), got an integer"},
    {"integer for a group", BASE "http = 3;\n",
     "t.conf:3: http: expected a group { ... }, got an integer"},
    {"group for the ports list", "ports = {\n\tname = \"p0\";\n};\n" LISTENERS,
     "t.conf:1: ports: expected a list of groups ( { ... }, ... ), got a group { ... }"},
    {"integer in the listeners list", PORTS "listeners = ( 80 );\n",
     "t.conf:2: listeners[0]: expected a group { port = ...; app = ...; }, got an integer"},
    {"scalar for workers", BASE "workers = 1;\n",
     "t.conf:3: workers: expected an array of lcore ids, got an integer"},
    {"string in workers", BASE "workers = [ \"1\" ];\n",
     "t.conf:3: workers[0]: expected an integer, got a string"},
    {"integer for a string", BASE "tcp = { syncookies = 1; };\n",
     "t.conf:3: tcp.syncookies: expected a string, got an integer"},
    {"integer in eal", BASE "eal = [\n\t1\n];\n",
     "t.conf:4: eal[0]: expected a string, got an integer"},
    /* libconfig syntax errors, with libconfig's text */
    {"syntax error", BASE "tcp = {\n\tmss = = 1460;\n};\n", "t.conf:4: syntax error"},
    {"unterminated group", BASE "tcp = {\n\tmss = 1460;\n", "t.conf:5: syntax error"},
    {"duplicate key", BASE "tcp = {\n\tmss = 1400;\n\tmss = 1300;\n};\n",
     "t.conf:5: duplicate setting name"},
    /* integers libconfig would silently wrap */
    {"integer over 32 bits", BASE "tcp = {\n\n\tmss = 4294968756;\n};\n",
     "t.conf:5: tcp.mss: integer 4294968756 does not fit in 32 bits"},
    {"hex over 31 bits", BASE "tcp = {\n\tmss = 0x80000000;\n};\n",
     "t.conf:4: tcp.mss: integer 0x80000000 does not fit in 32 bits"},
    {"array element over 32 bits", BASE "workers = [ 1,\n  4294967297 ];\n",
     "t.conf:4: workers[1]: integer 4294967297 does not fit in 32 bits"},
    {"after a 64-bit element and a boolean",
     BASE "eal = [ \"a\" ];\nx = ( 1L, true, 4294967297 );\n",
     "t.conf:4: x[2]: integer 4294967297 does not fit in 32 bits"},
    {"in a group of a list, after a string with a comma",
     "ports = ( { name = \"a,b\"; device = \"net_tap0\"; address = \"198.18.0.2/24\";\n"
     "  mtu = 1500; }, { name = \"p1\"; rx_desc = 4294967297; } );\n" LISTENERS,
     "t.conf:2: ports[1].rx_desc: integer 4294967297 does not fit in 32 bits"},
    {"nested deeper than the walk follows", BASE "x = [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]];\n",
     "t.conf:3: groups and lists nested deeper than 16"},
    {"64-bit integer out of range", BASE "tcp = {\n\tmss = 4294968756L;\n};\n",
     "t.conf:4: tcp.mss: 4294968756 is out of range (88..9000)"},
    {"negative value", BASE "tcp = {\n\tmss = -1460;\n};\n",
     "t.conf:4: tcp.mss: -1460 is out of range (88..9000)"},
    {"@include", BASE "@include \"other.conf\"\n",
     "t.conf:3: @include is not supported: use one file"},
    /* required keys */
    {"missing ports", LISTENERS, "t.conf:1: ports: required key is missing"},
    {"missing listeners", "\n" PORTS, "t.conf:1: listeners: required key is missing"},
    {"empty ports", "ports = ( );\n" LISTENERS, "t.conf:1: ports: must not be empty"},
    {"missing port address",
     "ports = (\n\t{\n\t\tname = \"p0\";\n\t\tdevice = \"net_null0\";\n\t}\n);\n" LISTENERS,
     "t.conf:2: ports[0].address: required key is missing"},
    {"trailing comma in a list", PORTS "listeners = (\n\t{ port = 80; app = \"echo\"; },\n);\n",
     "t.conf:4: syntax error"},
    {"missing listener app", PORTS "listeners = (\n\t{ port = 80; }\n);\n",
     "t.conf:3: listeners[0].app: required key is missing"},
    /* duplicates */
    {"duplicate listener port",
     PORTS "listeners = (\n\t{ port = 80; app = \"http\"; },\n\t{ port = 8080; app = \"http\"; },\n"
	   "\t{ app = \"echo\";\n\t  port = 80; }\n);\n",
     "t.conf:6: listeners[2].port: 80 is already listeners[0]"},
    {"duplicate worker", BASE "workers = [ 1, 2,\n\t1 ];\n",
     "t.conf:4: workers[2]: lcore 1 is already workers[0]"},
    {"duplicate port name",
     "ports = (\n\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\"; },\n"
     "\t{ name = \"p0\"; device = \"net_null1\"; address = \"10.0.1.2/24\"; }\n);\n" LISTENERS,
     "t.conf:3: ports[1].name: \"p0\" is already ports[0]"},
    {"duplicate port address",
     "ports = (\n\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\"; },\n"
     "\t{ name = \"p1\"; device = \"net_null1\";\n\t  address = \"10.0.0.2/16\"; }\n);\n" LISTENERS,
     "t.conf:4: ports[1].address: 10.0.0.2 is already the address of ports[0]"},
    {"duplicate port device",
     "ports = (\n\t{ name = \"p0\"; device = \"net_tap0,iface=tt0\"; address = \"10.0.0.2/24\"; "
     "},\n"
     "\t{ name = \"p1\"; address = \"10.0.1.2/24\";\n\t  device = \"net_tap0,iface=tt1\"; "
     "}\n);\n" LISTENERS,
     "t.conf:4: ports[1].device: \"net_tap0\" is already the device of ports[0]"},
    {"duplicate port PCI address",
     "ports = (\n\t{ name = \"p0\"; device = \"0000:01:00.0\"; address = \"10.0.0.2/24\"; },\n"
     "\t{ name = \"p1\"; device = \"01:00.0\"; address = \"10.0.1.2/24\"; }\n);\n" LISTENERS,
     "t.conf:3: ports[1].device: \"0000:01:00.0\" is already the device of ports[0]"},
    /* counts */
    {"empty workers", BASE "workers = [ ];\n", "t.conf:3: workers: must not be empty"},
    {"too many ports", "ports = ( {}, {}, {}, {}, {}, {}, {}, {}, {} );\n" LISTENERS,
     "t.conf:1: ports: has 9 entries, at most 8 are supported"},
    {"lcore id out of range", BASE "workers = [ 1, 1024 ];\n",
     "t.conf:3: workers[1]: 1024 is out of range (0..127)"},
    {"worker lcore past the DPDK build's", BASE "workers = [ 1, 128 ];\n",
     "t.conf:3: workers[1]: 128 is out of range (0..127)"},
    /* port addressing */
    {"gateway outside the prefix",
     "ports = ( {\n\tname = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\tgateway = \"10.0.1.1\";\n} );\n" LISTENERS,
     "t.conf:3: ports[0].gateway: 10.0.1.1 is outside 10.0.0.0/24"},
    {"gateway is the port itself",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\tgateway = \"10.0.0.2\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].gateway: 10.0.0.2 is the interface's own address"},
    {"gateway is the broadcast address",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\tgateway = \"10.0.0.255\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].gateway: 10.0.0.255 is the broadcast address of its prefix"},
    {"address without prefix",
     "ports = ( { name = \"p0\"; device = \"net_null0\";\n\taddress = \"10.0.0.2\"; } "
     ");\n" LISTENERS,
     "t.conf:2: ports[0].address: \"10.0.0.2\" is not IPv4/prefix, e.g. 198.18.0.2/24"},
    {"prefix out of range",
     "ports = ( { name = \"p0\"; device = \"net_null0\";\n\taddress = \"10.0.0.2/33\"; } "
     ");\n" LISTENERS,
     "t.conf:2: ports[0].address: prefix length 33 is out of range (1..32)"},
    {"address not IPv4",
     "ports = ( { name = \"p0\"; device = \"net_null0\";\n\taddress = \"10.0.0.256/24\"; } "
     ");\n" LISTENERS,
     "t.conf:2: ports[0].address: \"10.0.0.256\" is not an IPv4 address"},
    {"network address",
     "ports = ( { name = \"p0\"; device = \"net_null0\";\n\taddress = \"10.0.0.0/24\"; } "
     ");\n" LISTENERS,
     "t.conf:2: ports[0].address: 10.0.0.0/24 is the network address of its prefix"},
    {"multicast address",
     "ports = ( { name = \"p0\"; device = \"net_null0\";\n\taddress = \"224.0.0.5/24\"; } "
     ");\n" LISTENERS,
     "t.conf:2: ports[0].address: 224.0.0.5 is a multicast, reserved or broadcast address"},
    /* IPv6 addresses */
    {"gateway6 outside every prefix",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = [ \"2001:2::2/64\", \"2001:2:0:1::2/64\" ];\n"
     "\tgateway6 = \"2001:2:0:2::1\"; } );\n" LISTENERS,
     "t.conf:3: ports[0].gateway6: 2001:2:0:2::1 is outside every address6 prefix and not "
     "link-local (fe80::/10)"},
    {"gateway6 without address6",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\tgateway6 = \"fe80::1\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].gateway6: fe80::1 needs an address6 on the port (ours to solicit it "
     "from)"},
    {"gateway6 our own address",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"2001:2::2/64\"; gateway6 = \"2001:2::2\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].gateway6: 2001:2::2 is the port's own address6"},
    {"gateway6 with a prefix",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"2001:2::2/64\"; gateway6 = \"2001:2::1/64\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].gateway6: \"2001:2::1/64\" is not an IPv6 address (no /prefix)"},
    {"gateway6 multicast",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"2001:2::2/64\"; gateway6 = \"ff02::2\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].gateway6: ff02::2 is a multicast address"},
    {"gateway6 an IPv4 address",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"2001:2::2/64\"; gateway6 = \"10.0.0.1\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].gateway6: \"10.0.0.1\" is not an IPv6 address (no /prefix)"},
    {"ipv6 listener without address6",
     PORTS "listeners = ( { port = 80; app = \"http\"; },\n"
	   "\t{ port = 81; app = \"http\";\n\t  family = \"ipv6\"; } );\n",
     "t.conf:4: listeners[1].family: \"ipv6\" but no port or VLAN has an address6 (listener 81)"},
    {"address6 without prefix",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"2001:2::2\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: \"2001:2::2\" is not IPv6/prefix, e.g. 2001:2::2/64"},
    {"address6 prefix 0",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"2001:2::2/0\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: prefix length 0 is out of range (1..128)"},
    {"address6 prefix 129",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = [ \"2001:2::2/64\",\n\t\"2001:2:0:1::2/129\" ]; } );\n" LISTENERS,
     "t.conf:3: ports[0].address6[1]: prefix length 129 is out of range (1..128)"},
    {"address6 not IPv6",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"2001:2::2::1/64\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: \"2001:2::2::1\" is not an IPv6 address"},
    {"address6 an IPv4 address",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"10.0.0.3/24\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: \"10.0.0.3\" is not an IPv6 address"},
    {"address6 multicast",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"ff02::1/64\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: ff02::1 is a multicast address"},
    {"address6 unspecified",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"::/64\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: :: is the unspecified address"},
    {"address6 loopback",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"::1/128\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: ::1 is the loopback address"},
    {"address6 IPv4-mapped",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = \"::ffff:10.0.0.2/96\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: ::ffff:10.0.0.2 is an IPv4-mapped address"},
    {"address6 twice in a port",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = [ \"2001:2::2/64\", \"2001:2:0:0::2/48\" ]; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6[1]: 2001:2:0:0::2 is already address6[0]"},
    {"address6 on two ports",
     "ports = (\n\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\t  address6 = \"2001:2::2/64\"; },\n"
     "\t{ name = \"p1\"; device = \"net_null1\"; address = \"10.0.1.2/24\";\n"
     "\t  address6 = [ \"2001:2:0:1::2/64\", \"2001:2::2/64\" ]; }\n);\n" LISTENERS,
     "t.conf:5: ports[1].address6: 2001:2::2 is already an address of ports[0]"},
    {"address6 five entries",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = [ \"2001:2::1/64\", \"2001:2::2/64\", \"2001:2::3/64\", \"2001:2::4/64\",\n"
     "\t\"2001:2::5/64\" ]; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: has 5 entries, at most 4 are supported"},
    {"address6 empty list",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = [ ]; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: must not be empty"},
    {"address6 a number",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\taddress6 = 64; } );\n" LISTENERS,
     "t.conf:2: ports[0].address6: expected a string or a list of strings \"addr/prefix\", got "
     "an integer"},
    {"bad device",
     "ports = ( { name = \"p0\"; address = \"10.0.0.2/24\";\n\tdevice = \"01:00\"; } "
     ");\n" LISTENERS,
     "t.conf:2: ports[0].device: \"01:00\" is neither a PCI address (DDDD:BB:DD.F or BB:DD.F) "
     "nor a vdev (driver[,args])"},
    {"PCI function out of range",
     "ports = ( { name = \"p0\"; address = \"10.0.0.2/24\";\n\tdevice = \"00:01.8\"; } "
     ");\n" LISTENERS,
     "t.conf:2: ports[0].device: \"00:01.8\" is neither a PCI address (DDDD:BB:DD.F or BB:DD.F) "
     "nor a vdev (driver[,args])"},
    {"port name with a space",
     "ports = ( { address = \"10.0.0.2/24\"; device = \"net_null0\";\n\tname = \"p 0\"; } "
     ");\n" LISTENERS,
     "t.conf:2: ports[0].name: \"p 0\" may only hold letters, digits, '_', '-', '.'"},
    {"port name too long",
     "ports = ( { address = \"10.0.0.2/24\"; device = \"net_null0\";\n"
     "\tname = \"abcdefghijklmnopqrstuvwxyz0123456\"; } );\n" LISTENERS,
     "t.conf:2: ports[0].name: is too long (33 characters, at most 31)"},
    {"descriptors not a power of two",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\trx_desc = 1000; } );\n" LISTENERS,
     "t.conf:2: ports[0].rx_desc: 1000 is not a power of two"},
    /* cross-checks */
    {"mtu too small for the default mss",
     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\tmtu = 1400; } );\n" LISTENERS,
     "t.conf:2: ports[0].mtu: 1400 is too small for tcp.mss 1460 (needs >= 1500)"},
    {"mss above mtu - 40", BASE "tcp = {\n\tmss = 1461;\n};\n",
     "t.conf:4: tcp.mss: 1461 exceeds ports[0].mtu - 40 (1460)"},
    {"mss above the second port's mtu",
     "tcp = { mss = 1400; };\n"
     "ports = (\n\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\"; mtu = 9000; "
     "},\n"
     "\t{ name = \"p1\"; device = \"net_null1\"; address = \"10.0.1.2/24\"; mtu = 1280; "
     "}\n);\n" LISTENERS,
     "t.conf:1: tcp.mss: 1400 exceeds ports[1].mtu - 40 (1240)"},
    {"window below one unit of the scale",
     BASE "tcp = {\n\twscale = 14;\n\trcv_window = 16383;\n};\n",
     "t.conf:5: tcp.rcv_window: 16383 is less than one unit of tcp.wscale 14 (16384 bytes): every "
     "scaled window would be 0"},
    {"window below one unit, scale 11", BASE "tcp = {\n\trcv_window = 2047;\n\twscale = 11;\n};\n",
     "t.conf:4: tcp.rcv_window: 2047 is less than one unit of tcp.wscale 11 (2048 bytes): every "
     "scaled window would be 0"},
    {"window needs a larger scale", BASE "tcp = {\n\twscale = 2;\n\trcv_window = 1048576;\n};\n",
     "t.conf:5: tcp.rcv_window: 1048576 needs tcp.wscale >= 5 (it is 2)"},
    {"rto_initial below the default rto_min", BASE "tcp = {\n\trto_initial_ms = 100;\n};\n",
     "t.conf:4: tcp.rto_initial_ms: 100 is below tcp.rto_min_ms (200)"},
    {"rto_min above rto_initial", BASE "tcp = {\n\trto_min_ms = 1500;\n};\n",
     "t.conf:4: tcp.rto_min_ms: 1500 is above tcp.rto_initial_ms (1000)"},
    {"rto_max below rto_initial", BASE "tcp = {\n\trto_max_ms = 500;\n};\n",
     "t.conf:4: tcp.rto_max_ms: 500 is below tcp.rto_initial_ms (1000)"},
    {"min_peer_mss above the default mss", BASE "tcp = {\n\tmin_peer_mss = 1500;\n};\n",
     "t.conf:4: tcp.min_peer_mss: 1500 is above tcp.mss (1460)"},
    {"mss below the default min_peer_mss", BASE "tcp = {\n\tmss = 500;\n};\n",
     "t.conf:4: tcp.mss: 500 is below tcp.min_peer_mss (536)"},
    {"threshold above max_conns", BASE "tcp = {\n\tmax_conns_per_core = 1000;\n};\n",
     "t.conf:4: tcp.max_conns_per_core: 1000 is below tcp.syncookie_threshold (1024)"},
    {"threshold above max_conns, both set",
     BASE "tcp = {\n\tmax_conns_per_core = 1000;\n\tsyncookie_threshold = 1001;\n};\n",
     "t.conf:5: tcp.syncookie_threshold: 1001 is above tcp.max_conns_per_core (1000)"},
    {"send blocks above the default max_conns",
     BASE "tcp = {\n\tsend_blocks_per_core = 2000000;\n};\n",
     "t.conf:4: tcp.send_blocks_per_core: 2000000 is above tcp.max_conns_per_core (1048576)"},
    {"send blocks above max_conns, both set",
     BASE "tcp = {\n\tmax_conns_per_core = 2000;\n\tsend_blocks_per_core = 2001;\n};\n",
     "t.conf:5: tcp.send_blocks_per_core: 2001 is above tcp.max_conns_per_core (2000)"},
    {"application blocks above max_conns, both set",
     BASE "tcp = {\n\tmax_conns_per_core = 2000;\n\tapp_blocks_per_core = 2001;\n};\n",
     "t.conf:5: tcp.app_blocks_per_core: 2001 is above tcp.max_conns_per_core (2000)"},
    /* enumerations and formats */
    {"unknown app", PORTS "listeners = (\n\t{ port = 80;\n\t  app = \"ftp\"; }\n);\n",
     "t.conf:4: listeners[0].app: \"ftp\" is not one of http, echo, discard"},
    {"unknown listener family",
     PORTS "listeners = (\n\t{ port = 80; app = \"http\"; },\n\t{ port = 7; app = \"echo\";\n"
	   "\t  family = \"inet6\"; }\n);\n",
     "t.conf:5: listeners[1].family: \"inet6\" is not one of both, ipv4, ipv6"},
    {"listener family not a string",
     PORTS "listeners = (\n\t{ port = 80; app = \"http\"; family = 6; }\n);\n",
     "t.conf:3: listeners[0].family: expected a string, got an integer"},
    {"unknown checksum offload mode",
     "ports = ( { name = \"p0\"; device = \"net_null0\";\n"
     "\taddress = \"10.0.0.2/24\";\n\tchecksum_offload = \"on\"; } );\n" LISTENERS,
     "t.conf:3: ports[0].checksum_offload: \"on\" is not one of auto, off"},
    {"checksum offload as a boolean",
     "ports = ( { name = \"p0\"; device = \"net_null0\";\n"
     "\taddress = \"10.0.0.2/24\"; checksum_offload = false; } );\n" LISTENERS,
     "t.conf:2: ports[0].checksum_offload: expected a string, got a boolean"},
    {"unknown syncookie mode", BASE "tcp = {\n\tsyncookies = \"on\";\n};\n",
     "t.conf:4: tcp.syncookies: \"on\" is not one of always, auto, off"},
    {"short cookie secret", BASE "tcp = {\n\tcookie_secret = \"0011\";\n};\n",
     "t.conf:4: tcp.cookie_secret: expected \"random\" or 32 hex digits"},
    {"cookie secret not hex",
     BASE "tcp = {\n\tcookie_secret = \"0011223344556677889900112233445g\";\n};\n",
     "t.conf:4: tcp.cookie_secret: expected \"random\" or 32 hex digits"},
    {"empty eal argument", BASE "eal = [ \"--no-pci\",\n\"\" ];\n",
     "t.conf:4: eal[1]: must not be empty"},
    {"stats interval too short", BASE "stats_interval_ms = 10;\n",
     "t.conf:3: stats_interval_ms: 10 is out of range (0 or 100..3600000)"},
    /* http */
    {"header without a colon", BASE "http = {\n\theaders = [ \"X-A: 1\",\n\t\"X-B 2\" ];\n};\n",
     "t.conf:5: http.headers[1]: \"X-B 2\" has no ':' (expected \"Name: value\")"},
    {"header with CRLF", BASE "http = {\n\theaders = [ \"X-A: 1\\r\\nX-Evil: 1\" ];\n};\n",
     "t.conf:4: http.headers[0]: \"X-A: 1\" " VALUE_BYTE},
    {"header with a control byte", BASE "http = {\n\theaders = [ \"X-A: \\x01\" ];\n};\n",
     "t.conf:4: http.headers[0]: \"X-A: \" " VALUE_BYTE},
    {"header with DEL", BASE "http = {\n\theaders = [ \"X-A: a\\x7f\" ];\n};\n",
     "t.conf:4: http.headers[0]: \"X-A: a\" " VALUE_BYTE},
    {"header with an empty name", BASE "http = {\n\theaders = [ \": v\" ];\n};\n",
     "t.conf:4: http.headers[0]: \": v\" has an empty field name"},
    {"header name with a blank", BASE "http = {\n\theaders = [ \"X A: v\" ];\n};\n",
     "t.conf:4: http.headers[0]: \"X A: v\" " NAME_BYTE},
    {"header name with a separator", BASE "http = {\n\theaders = [ \"X(A): v\" ];\n};\n",
     "t.conf:4: http.headers[0]: \"X(A): v\" " NAME_BYTE},
    {"header tcpterm writes", BASE "http = {\n\theaders = [ \"Connection: close\" ];\n};\n",
     "t.conf:4: http.headers[0]: \"Connection: close\" " OWNED},
    {"header tcpterm writes, other case",
     BASE "http = {\n\theaders = [ \"X-A: 1\", \"content-LENGTH: 5\" ];\n};\n",
     "t.conf:4: http.headers[1]: \"content-LENGTH: 5\" " OWNED},
    {"transfer-encoding header",
     BASE "http = {\n\theaders = [ \"Transfer-Encoding: chunked\" ];\n};\n",
     "t.conf:4: http.headers[0]: \"Transfer-Encoding: chunked\" " OWNED},
    {"body_file missing", BASE "http = {\n\tbody_file = \"/nonexistent/body.html\";\n};\n",
     "t.conf:4: http.body_file: cannot open \"/nonexistent/body.html\": "
     "No such file or directory"},
    {"body_file is a directory", BASE "http = {\n\tbody_size = 0;\n\tbody_file = \"/\";\n};\n",
     "t.conf:5: http.body_file: \"/\" is not a regular file"},
    {"body_file and body_size", BASE "http = {\n\tbody_size = 10;\n\tbody_file = \"/\";\n};\n",
     "t.conf:4: http.body_size: must be 0 when http.body_file is set (the file is the body)"},
    {"204 with a body", BASE "http = {\n\tstatus = 204;\n};\n",
     "t.conf:4: http.status: 204 responses carry no body; set http.body_size = 0"},
};

static void test_address6_list(void **state)
{
	(void)state;
	expect_ok(
	    "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
	    "\taddress6 = [ \"2001:2::2/64\", \"2001:2:0:1:0:0:0:abcd/128\", \"fe80::2/10\" ]; "
	    "} );\n" LISTENERS);
	assert_int_equal(conf.ports[0].ip.n_addr6, 3);
	assert_memory_equal(conf.ports[0].ip.addr6[1],
			    ((const uint8_t[16]){0x20, 0x01, 0, 2, 0, 0, 0, 1, [14] = 0xab, 0xcd}),
			    16);
	assert_int_equal(conf.ports[0].ip.prefix6_len[0], 64);
	assert_int_equal(conf.ports[0].ip.prefix6_len[1], 128);
	assert_int_equal(conf.ports[0].ip.prefix6_len[2], 10);
	assert_int_equal(conf.ports[0].ip.addr6[2][0], 0xfe);
	/* gateway6: link-local, or at the bit boundary of a prefix */
	expect_ok("ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
		  "\taddress6 = \"2001:2::2/57\"; gateway6 = \"fe80::1\"; } );\n" LISTENERS);
	assert_int_equal(conf.ports[0].ip.gateway6[0], 0xfe);
	expect_ok("ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
		  "\taddress6 = \"2001:2::2/57\"; gateway6 = \"2001:2:0:7f::1\"; } );\n" LISTENERS);
	expect_error("gateway6 just outside",
		     "ports = ( { name = \"p0\"; device = \"net_null0\"; address = "
		     "\"10.0.0.2/24\";\n\taddress6 = \"2001:2::2/57\"; gateway6 = "
		     "\"2001:2:0:80::1\"; } );\n" LISTENERS,
		     "t.conf:2: ports[0].gateway6: 2001:2:0:80::1 is outside every address6 "
		     "prefix and not link-local (fe80::/10)");
	/* An IPv6 listener is fine once any port has an address6. */
	expect_ok(
	    "ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\"; },\n"
	    "\t{ name = \"p1\"; device = \"net_null1\"; address = \"10.0.1.2/24\";\n"
	    "\taddress6 = \"2001:2::2/64\"; } );\n"
	    "listeners = ( { port = 80; app = \"http\"; family = \"ipv6\"; } );\n");
}

static void test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
		expect_error(err_cases[i].what, err_cases[i].text, err_cases[i].want);
}

static void test_error_leaves_conf_untouched(void **state)
{
	static struct tt_conf before;

	(void)state;
	memset(&conf, 0xa5, sizeof(conf));
	before = conf;
	expect_error("late error", BASE "tcp = { mss = 9001; };\n",
		     "t.conf:3: tcp.mss: 9001 is out of range (88..9000)");
	assert_memory_equal(&conf, &before, sizeof(conf));
}

static void test_body_file(void **state)
{
	char path[] = "/tmp/test_conf_body_XXXXXX", text[512];
	char body[1000];
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(body, 'b', sizeof(body));
	assert_int_equal(write(fd, body, sizeof(body)), sizeof(body));
	close(fd);
	snprintf(text, sizeof(text), BASE "http = { body_file = \"%s\"; };\n", path);
	expect_ok(text);
	assert_string_equal(conf.http.body_file, path);
	assert_int_equal(conf.http.body_size, sizeof(body));
	unlink(path);
}

static void test_load_file_errors(void **state)
{
	int rc;

	(void)state;
	rc = tt_conf_load_file(&conf, "/nonexistent/tcpterm.conf", err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_string_equal(err,
			    "/nonexistent/tcpterm.conf: cannot open: No such file or directory");
	rc = tt_conf_load_file(&conf, "/", err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, "/: not a regular file");
	/* no room for the message is not an error of its own */
	rc = tt_conf_load_string(&conf, "foo = 1;", "x", NULL, 0);
	assert_int_equal(rc, -EINVAL);
	/* a short buffer gets a truncated, terminated message */
	rc = tt_conf_load_string(&conf, "foo = 1;", "x", err, 8);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, "x:1: fo");
}

/* A port with VLANs, a second port on the same prefix, both modes, a neighbour group. */
static void test_vlans_neigh_parsed(void **state)
{
	(void)state;
	expect_ok(
	    "ports = (\n"
	    "\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
	    "\t  reply_to_source_mac = true;\n"
	    "\t  vlans = ( { id = 100; address = \"10.1.0.2/24\"; gateway = \"10.1.0.1\";\n"
	    "\t              address6 = [ \"2001:2:0:64::2/64\" ]; gateway6 = \"fe80::1\"; },\n"
	    "\t            { id = 4094; address = \"10.2.0.2/16\"; } ); },\n"
	    "\t{ name = \"p1\"; device = \"net_null1\"; address = \"10.0.0.3/24\";\n"
	    "\t  vlans = ( { id = 100; address = \"10.3.0.2/24\"; } ); }\n"
	    ");\n" LISTENERS
	    "neigh = { entries = 16; reachable_ms = 1000; retrans_ms = 10; probes = 1;\n"
	    "\t queue_per_entry = 1; queue_per_worker = 1; };\n");
	assert_true(conf.ports[0].reply_to_source_mac);
	assert_false(conf.ports[1].reply_to_source_mac);
	assert_int_equal(conf.ports[0].n_vlans, 2);
	assert_int_equal(conf.ports[0].vlans[0].id, 100);
	assert_int_equal(conf.ports[0].vlans[0].ip.addr, 0x0a010002);
	assert_int_equal(conf.ports[0].vlans[0].ip.prefix_len, 24);
	assert_int_equal(conf.ports[0].vlans[0].ip.gateway, 0x0a010001);
	assert_int_equal(conf.ports[0].vlans[0].ip.n_addr6, 1);
	assert_memory_equal(conf.ports[0].vlans[0].ip.addr6[0],
			    ((const uint8_t[16]){0x20, 0x01, 0, 2, 0, 0, 0, 0x64, [15] = 2}), 16);
	assert_int_equal(conf.ports[0].vlans[0].ip.prefix6_len[0], 64);
	assert_int_equal(conf.ports[0].vlans[0].ip.gateway6[0], 0xfe);
	assert_int_equal(conf.ports[0].vlans[1].ip.n_addr6, 0);
	assert_int_equal(conf.ports[0].vlans[1].id, 4094);
	assert_int_equal(conf.ports[0].vlans[1].ip.prefix_len, 16);
	assert_int_equal(conf.ports[0].vlans[1].ip.gateway, 0);
	assert_int_equal(conf.ports[1].n_vlans, 1);
	assert_int_equal(conf.neigh.entries, 16);
	assert_int_equal(conf.neigh.reachable_ms, 1000);
	assert_int_equal(conf.neigh.retrans_ms, 10);
	assert_int_equal(conf.neigh.probes, 1);
	assert_int_equal(conf.neigh.queue_per_entry, 1);
	assert_int_equal(conf.neigh.queue_per_worker, 1);
	/* Defaults: untagged only, next hops resolved, Linux's ARP timings. */
	expect_ok(BASE);
	assert_false(conf.ports[0].reply_to_source_mac);
	assert_int_equal(conf.ports[0].n_vlans, 0);
	assert_int_equal(conf.neigh.entries, 1024);
	assert_int_equal(conf.neigh.reachable_ms, 30000);
	assert_int_equal(conf.neigh.retrans_ms, 1000);
	assert_int_equal(conf.neigh.probes, 3);
	/* A listener for IPv6 alone, whose only IPv6 address is a VLAN's. */
	expect_ok("ports = ( { name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
		  "\t  vlans = ( { id = 5; address = \"10.1.0.2/24\"; address6 = \"2001:2::2/64\"; "
		  "} ); } );\n"
		  "listeners = ( { port = 80; app = \"http\"; family = \"ipv6\"; } );\n");
	assert_int_equal(conf.listeners[0].family, TT_FAMILY_IPV6);
}

#define PORT0	"ports = (\n\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
#define VLAN(s) "\t  vlans = ( " s " ); }\n);\n" LISTENERS

static const struct err_case vlan_err_cases[] = {
    {"vlan id 0", PORT0 VLAN("{ id = 0; address = \"10.1.0.2/24\"; }"),
     "t.conf:3: ports[0].vlans[0].id: 0 is out of range (1..4094)"},
    {"vlan id 4095", PORT0 VLAN("{ id = 4095; address = \"10.1.0.2/24\"; }"),
     "t.conf:3: ports[0].vlans[0].id: 4095 is out of range (1..4094)"},
    {"vlan id twice",
     PORT0 VLAN("{ id = 7; address = \"10.1.0.2/24\"; },\n{ id = 7; address = \"10.2.0.2/24\"; }"),
     "t.conf:4: ports[0].vlans[1].id: 7 is already vlans[0]"},
    {"vlan without id", PORT0 VLAN("{ address = \"10.1.0.2/24\"; }"),
     "t.conf:3: ports[0].vlans[0].id: required key is missing"},
    {"vlan without address", PORT0 VLAN("{ id = 3; }"),
     "t.conf:3: ports[0].vlans[0].address: required key is missing"},
    {"vlan inside its port's prefix", PORT0 VLAN("{ id = 3;\naddress = \"10.0.0.9/24\"; }"),
     "t.conf:4: ports[0].vlans[0].address: 10.0.0.9/24 overlaps the prefix of ports[0]"},
    {"vlan prefix holding its port", PORT0 VLAN("{ id = 3;\naddress = \"10.1.0.9/8\"; }"),
     "t.conf:4: ports[0].vlans[0].address: 10.1.0.9/8 overlaps the prefix of ports[0]"},
    {"vlans on one address",
     PORT0 VLAN("{ id = 3; address = \"10.1.0.9/24\"; },\n{ id = 4; address = \"10.1.0.9/24\"; }"),
     "t.conf:4: ports[0].vlans[1].address: 10.1.0.9/24 is already the address of "
     "ports[0].vlans[0]"},
    {"vlan gateway outside",
     PORT0 VLAN("{ id = 3; address = \"10.1.0.9/24\";\ngateway = \"10.9.0.1\"; }"),
     "t.conf:4: ports[0].vlans[0].gateway: 10.9.0.1 is outside 10.1.0.0/24"},
    {"vlan gateway6 outside its address6",
     PORT0 VLAN("{ id = 3; address = \"10.1.0.9/24\"; address6 = \"2001:2:0:3::2/64\";\n"
		"gateway6 = \"2001:2::1\"; }"),
     "t.conf:4: ports[0].vlans[0].gateway6: 2001:2::1 is outside every address6 prefix and "
     "not link-local (fe80::/10)"},
    {"vlan address6 of its port",
     "ports = (\n\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\t  address6 = \"2001:2::2/64\";\n"
     "\t  vlans = ( { id = 3; address = \"10.1.0.9/24\";\n\taddress6 = \"2001:2::2/64\"; } ); }\n"
     ");\n" LISTENERS,
     "t.conf:5: ports[0].vlans[0].address6: 2001:2::2 is already an address of ports[0]"},
    {"vlan address6 of an earlier port's vlan",
     "ports = (\n\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\t  vlans = ( { id = 3; address = \"10.1.0.9/24\"; address6 = \"2001:2::9/64\"; } ); },\n"
     "\t{ name = \"p1\"; device = \"net_null1\"; address = \"10.0.0.3/24\";\n"
     "\t  vlans = ( { id = 3; address = \"10.2.0.9/24\";\n\taddress6 = \"2001:2::9/64\"; } ); }\n"
     ");\n" LISTENERS,
     "t.conf:6: ports[1].vlans[0].address6: 2001:2::9 is already an address of "
     "ports[0].vlans[0]"},
    {"vlan gateway6 its port's address6",
     "ports = (\n\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\t  address6 = \"2001:2::2/64\";\n"
     "\t  vlans = ( { id = 3; address = \"10.1.0.9/24\"; address6 = \"2001:2::3/64\";\n"
     "\tgateway6 = \"2001:2::2\"; } ); }\n);\n" LISTENERS,
     "t.conf:5: ports[0].vlans[0].gateway6: 2001:2::2 is an address of ports[0]"},
    {"port gateway an earlier port's address",
     "ports = (\n\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\"; },\n"
     "\t{ name = \"p1\"; device = \"net_null1\"; address = \"10.0.0.3/24\";\n"
     "\t  gateway = \"10.0.0.2\"; }\n);\n" LISTENERS,
     "t.conf:4: ports[1].gateway: 10.0.0.2 is an address of ports[0]"},
    {"port address an earlier port's gateway",
     "ports = (\n\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\t  gateway = \"10.0.0.1\"; },\n"
     "\t{ name = \"p1\"; device = \"net_null1\";\n\t  address = \"10.0.0.1/24\"; }\n);\n" LISTENERS,
     "t.conf:5: ports[1].address: 10.0.0.1 is the gateway of ports[0]"},
    {"vlan as a list item of the wrong type", PORT0 VLAN("3"),
     "t.conf:3: ports[0].vlans[0]: expected a group { id = ...; address = ...; }, got an integer"},
    {"port inside an earlier port's vlan",
     "ports = (\n"
     "\t{ name = \"p0\"; device = \"net_null0\"; address = \"10.0.0.2/24\";\n"
     "\t  vlans = ( { id = 3; address = \"10.1.0.2/24\"; } ); },\n"
     "\t{ name = \"p1\"; device = \"net_null1\";\n"
     "\t  address = \"10.1.0.7/24\"; }\n);\n" LISTENERS,
     "t.conf:5: ports[1].address: 10.1.0.7/24 overlaps the prefix of ports[0].vlans[0]"},
    {"reply_to_source_mac not a boolean", PORT0 "\t  reply_to_source_mac = 1; }\n);\n" LISTENERS,
     "t.conf:3: ports[0].reply_to_source_mac: expected a boolean (true or false), got an integer"},
    {"neigh retransmissions outlast the life",
     BASE "neigh = {\n\treachable_ms = 2000;\n"
	  "\tretrans_ms = 1000;\n};\n",
     "t.conf:5: neigh.retrans_ms: 1000 * neigh.probes (3) must be below neigh.reachable_ms (2000)"},
    {"neigh queue per entry above per worker",
     BASE "neigh = {\n\tqueue_per_entry = 8;\n"
	  "\tqueue_per_worker = 4;\n};\n",
     "t.conf:4: neigh.queue_per_entry: 8 is above neigh.queue_per_worker (4)"},
    {"neigh entries", BASE "neigh = { entries = 15; };\n",
     "t.conf:3: neigh.entries: 15 is out of range (16..16384)"},
};

static void test_vlan_neigh_errors(void **state)
{
	char many[4096];
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(vlan_err_cases) / sizeof(vlan_err_cases[0]); i++)
		expect_error(vlan_err_cases[i].what, vlan_err_cases[i].text,
			     vlan_err_cases[i].want);
	n = snprintf(many, sizeof(many), PORT0 "\t  vlans = (");
	for (unsigned v = 0; v <= TT_CONF_MAX_VLANS; v++)
		n += snprintf(many + n, sizeof(many) - (size_t)n,
			      "%s{ id = %u; address = \"10.%u.0.2/24\"; }", v ? ", " : "", v + 1,
			      v + 1);
	snprintf(many + n, sizeof(many) - (size_t)n, " ); }\n);\n" LISTENERS);
	expect_error("17 vlans", many,
		     "t.conf:3: ports[0].vlans: has 17 entries, at most 16 are supported");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_file),
	    cmocka_unit_test(test_examples),
	    cmocka_unit_test(test_minimal_takes_defaults),
	    cmocka_unit_test(test_header_edges_taken),
	    cmocka_unit_test(test_values_parsed),
	    cmocka_unit_test(test_out_of_range),
	    cmocka_unit_test(test_address6_list),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_error_leaves_conf_untouched),
	    cmocka_unit_test(test_body_file),
	    cmocka_unit_test(test_load_file_errors),
	    cmocka_unit_test(test_vlans_neigh_parsed),
	    cmocka_unit_test(test_vlan_neigh_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
