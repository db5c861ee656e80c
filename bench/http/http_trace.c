/*
 * tcpterm-http-trace: a fixed workload for counting tt_http_parse's instructions on its own.
 *
 * Parses one of a few request heads `repeats` times, each time from a fresh parser, handed
 * over whole or in pieces of `piece` bytes as TCP could deliver them. Under callgrind with
 * --toggle-collect=tt_http_parse (bench/http_trace.sh) the instructions collected divided by
 * `repeats` are what the parser costs per request, exactly and on any machine. Each run checks
 * that the parser found exactly one request spanning the whole head, so a parser that got
 * cheaper by being wrong fails here before its numbers are read.
 *
 *   tcpterm-http-trace CASE [repeats [piece]]     defaults: 1000, 0 (whole)
 *   tcpterm-http-trace --list                      the cases, one per line
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_http.h"

/* Heads as clients send them; the trace one is bench/trace/tt_trace.c's request. */
static const struct {
	const char *name;
	const char *head;
} cases[] = {
    {"trace", "GET / HTTP/1.1\r\nHost: trace\r\n\r\n"},
    /* wrk 4.x with no script. */
    {"wrk", "GET / HTTP/1.1\r\nHost: 198.18.0.2:80\r\n\r\n"},
    /* curl 7.88 (Debian 12) with no options. */
    {"curl",
     "GET / HTTP/1.1\r\nHost: 198.18.0.2\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"},
    /* Firefox 120 opening a page. */
    {"browser", "GET /index.html HTTP/1.1\r\n"
		"Host: 198.18.0.2\r\n"
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 "
		"Firefox/120.0\r\n"
		"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
		"image/webp,*/*;q=0.8\r\n"
		"Accept-Language: en-US,en;q=0.5\r\n"
		"Accept-Encoding: gzip, deflate\r\n"
		"Connection: keep-alive\r\n"
		"Upgrade-Insecure-Requests: 1\r\n"
		"Sec-Fetch-Dest: document\r\n"
		"Sec-Fetch-Mode: navigate\r\n"
		"Sec-Fetch-Site: none\r\n"
		"Sec-Fetch-User: ?1\r\n"
		"\r\n"},
    /* A small form post: the Content-Length value and the body skip. */
    {"post", "POST /form HTTP/1.1\r\nHost: 198.18.0.2\r\nContent-Type: "
	     "application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2"},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* One request from a fresh parser; exits on anything but one request over all len bytes. */
static void parse_once(const uint8_t *head, uint32_t len, uint32_t piece)
{
	struct tt_http_parser p;
	struct tt_http_request req;
	uint32_t off = 0, consumed;
	enum tt_http_status st = TT_HTTP_NEED_MORE;

	tt_http_parser_init(&p);
	while (off < len) {
		uint32_t n = piece && piece < len - off ? piece : len - off;

		st = tt_http_parse(&p, head + off, n, &consumed, &req);
		off += consumed;
		if (st != TT_HTTP_NEED_MORE && st != TT_HTTP_CONTINUE)
			break;
	}
	if (st != TT_HTTP_REQUEST || off != len) {
		fprintf(stderr, "http-trace: status %d after %u of %u bytes\n", st, off, len);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	unsigned long repeats = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	uint32_t piece = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 0;
	size_t i;

	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < N_CASES; i++)
			printf("%s %zu\n", cases[i].name, strlen(cases[i].head));
		return 0;
	}
	for (i = 0; i < N_CASES; i++)
		if (argc > 1 && !strcmp(argv[1], cases[i].name))
			break;
	if (i == N_CASES || repeats == 0) {
		fprintf(stderr, "usage: tcpterm-http-trace CASE [repeats [piece]] | --list\n");
		return 2;
	}
	for (unsigned long r = 0; r < repeats; r++)
		parse_once((const uint8_t *)cases[i].head, (uint32_t)strlen(cases[i].head), piece);
	return 0;
}
