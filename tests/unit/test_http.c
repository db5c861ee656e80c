/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE /* memmem */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net_ref.h"
#include "tt_http.h"

/*
 * Every request case is a buffer made of parts, each part one request (or a final fragment),
 * together with what the parser must report for it. The buffer is fed whole, cut in two at
 * every position, and byte by byte; all feedings must report exactly the same events.
 */
struct part {
	const char *bytes;
	size_t len;
	enum tt_http_status status; /* REQUEST, BAD, or NEED_MORE for an unfinished tail */
	enum tt_http_method method;
	bool keep_alive;
	const char *bad_at; /* BAD: error at the first occurrence of this; NULL: the last byte */
};

#define MAX_PARTS 3

struct req_case {
	const char *name;
	struct part parts[MAX_PARTS];
};

#define OK(s, m, ka)                                                                               \
	{                                                                                          \
		.bytes = s, .len = sizeof(s) - 1, .status = TT_HTTP_REQUEST,                       \
		.method = TT_HTTP_##m, .keep_alive = ka                                            \
	}
#define BAD(s, at)                                                                                 \
	{                                                                                          \
		.bytes = s, .len = sizeof(s) - 1, .status = TT_HTTP_BAD, .bad_at = at              \
	}
#define MORE(s)                                                                                    \
	{                                                                                          \
		.bytes = s, .len = sizeof(s) - 1, .status = TT_HTTP_NEED_MORE                      \
	}

#define CRLF "\r\n"
/* Every HTTP/1.1 request names its host (RFC 9112 3.2): the Host line comes with the line. */
#define HOST	    "Host: t" CRLF
#define L11	    " / HTTP/1.1" CRLF HOST
#define L10  " / HTTP/1.0" CRLF
#define L11_NO_HOST " / HTTP/1.1" CRLF
#define CHUNKED_BODY                                                                               \
	"5;name=val;x" CRLF "hello" CRLF "A \t;e" CRLF "0123456789" CRLF "0" CRLF                  \
	"Trailer-A: 1" CRLF "Trailer-B: two" CRLF CRLF

static const struct req_case req_cases[] = {
    /* methods */
    {"get", {OK("GET / HTTP/1.1" CRLF "Host: a" CRLF CRLF, GET, true)}},
    {"head", {OK("HEAD /x HTTP/1.1" CRLF HOST CRLF, HEAD, true)}},
    {"post", {OK("POST /p HTTP/1.1" CRLF HOST "Content-Length: 5" CRLF CRLF "hello", POST, true)}},
    {"put", {OK("PUT" L11 "Content-Length: 0" CRLF CRLF, OTHER, true)}},
    {"delete", {OK("DELETE /d HTTP/1.1" CRLF HOST CRLF, OTHER, true)}},
    {"options", {OK("OPTIONS * HTTP/1.1" CRLF HOST CRLF, OTHER, true)}},
    {"method prefix", {OK("GE" L11 CRLF, OTHER, true)}},
    {"method longer", {OK("GETS" L11 CRLF, OTHER, true)}},
    {"method ending in get", {OK("-GET" L11 CRLF, OTHER, true)}},
    {"method near head", {OK("HEADER" L11 CRLF, OTHER, true)}},
    {"method case", {OK("get" L11 CRLF, OTHER, true)}},
    {"method tchars", {OK("M-SEARCH" L11 CRLF, OTHER, true)}},
    /* keep-alive rules */
    {"1.0 default", {OK("GET" L10 CRLF, GET, false)}},
    {"1.0 keep-alive", {OK("GET" L10 "Connection: keep-alive" CRLF CRLF, GET, true)}},
    {"1.0 tokens", {OK("GET" L10 "Connection: Keep-Alive, Upgrade" CRLF CRLF, GET, true)}},
    {"1.0 upper", {OK("GET" L10 "CONNECTION: KEEP-ALIVE" CRLF CRLF, GET, true)}},
    {"1.0 close wins", {OK("GET" L10 "Connection: keep-alive, close" CRLF CRLF, GET, false)}},
    {"1.0 longer token", {OK("GET" L10 "Connection: keep-alived" CRLF CRLF, GET, false)}},
    {"1.0 other token", {OK("GET" L10 "Connection: Upgrade" CRLF CRLF, GET, false)}},
    {"1.0 close", {OK("GET" L10 "Connection: close" CRLF CRLF, GET, false)}},
    {"1.1 close", {OK("GET" L11 "Connection: close" CRLF CRLF, GET, false)}},
    {"1.1 close upper", {OK("GET" L11 "CONNECTION:CLOSE" CRLF CRLF, GET, false)}},
    {"1.1 close listed", {OK("GET" L11 "Connection: Upgrade,  close \t" CRLF CRLF, GET, false)}},
    {"1.1 empty elements", {OK("GET" L11 "Connection: ,, close ," CRLF CRLF, GET, false)}},
    {"1.1 closed", {OK("GET" L11 "Connection: closed" CRLF CRLF, GET, true)}},
    {"1.1 x-close", {OK("GET" L11 "Connection: x-close" CRLF CRLF, GET, true)}},
    {"1.1 second header",
     {OK("GET" L11 "Connection: upgrade" CRLF "connection: close" CRLF CRLF, GET, false)}},
    {"name too short", {OK("GET" L11 "Connectio: close" CRLF CRLF, GET, true)}},
    {"name too long", {OK("GET" L11 "Connections: close" CRLF CRLF, GET, true)}},
    {"name prefixed", {OK("GET" L11 "X-Connection: close" CRLF CRLF, GET, true)}},
    {"close in other", {OK("GET" L11 "Via: close" CRLF CRLF, GET, true)}},
    /* names sharing a prefix with the framing fields */
    {"content-type", {OK("GET" L11 "Content-Type: a/b" CRLF "Contents: x" CRLF CRLF, GET, true)}},
    {"content-lengthy", {OK("GET" L11 "Content-Lengthy: 5" CRLF CRLF, GET, true)}},
    {"transfer", {OK("GET" L11 "Transfer: gzip" CRLF CRLF, GET, true)}},
    /* line ends and odd but valid bytes */
    {"bare lf", {OK("GET / HTTP/1.1\nHost: a\n\n", GET, true)}},
    {"mixed ends", {OK("GET / HTTP/1.0\nConnection: keep-alive" CRLF "\n", GET, true)}},
    {"leading crlf", {OK(CRLF CRLF "GET" L11 CRLF, GET, true)}},
    {"leading lf", {OK("\n\nHEAD" L11 CRLF, HEAD, true)}},
    {"obs-text value", {OK("GET" L11 "X-Name: caf\xc3\xa9\t!" CRLF CRLF, GET, true)}},
    {"empty value", {OK("GET" L11 "X-Empty:" CRLF CRLF, GET, true)}},
    {"target bytes", {OK("GET /a?b=%20&c#d\x80 HTTP/1.1" CRLF HOST CRLF, GET, true)}},
    /* Content-Length */
    {"cl ows", {OK("POST" L11 "Content-Length: \t 3 \t" CRLF CRLF "abc", POST, true)}},
    {"cl get body", {OK("GET" L11 "content-length: 2" CRLF CRLF "\r\n", GET, true)}},
    {"cl zeros",
     {OK("POST" L11 "Content-Length: 00000000000000000000000001" CRLF CRLF "z", POST, true)}},
    {"cl same twice",
     {OK("POST" L11 "Content-Length: 3" CRLF "Content-Length: 003" CRLF CRLF "abc", POST, true)}},
    {"cl zero twice",
     {OK("POST" L11 "Content-Length: 0" CRLF "Content-Length:00" CRLF CRLF, POST, true)}},
    {"cl ten twice",
     {OK("POST" L11 "Content-Length: 10 " CRLF "CONTENT-LENGTH:10" CRLF CRLF "0123456789", POST,
	 true)}},
    {"cl max", {MORE("POST" L11 "Content-Length: 9223372036854775807" CRLF CRLF "abc")}},
    /* chunked */
    {"chunked", {OK("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF CHUNKED_BODY, POST, true)}},
    {"chunked case ows",
     {OK("POST" L11 "transfer-encoding:  Chunked ," CRLF CRLF "1f" CRLF
	 "0123456789abcdef0123456789abcde" CRLF "0" CRLF CRLF,
	 POST, true)}},
    {"trailer empty value",
     {OK("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "0" CRLF "X:" CRLF "Y:\t" CRLF CRLF,
	 POST, true)}},
    {"chunk data like framing",
     {OK("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "7" CRLF "\r\n0\r\n\r\n" CRLF
	 "0" CRLF CRLF,
	 POST, true)}},
    {"chunked head bare lf",
     {OK("POST / HTTP/1.1\nHost: t\nTransfer-Encoding: chunked\n\n3\r\nabc\r\n0\r\nX: y\r\n\r\n",
	 POST, true)}},
    {"chunk max",
     {MORE("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "7fffffffffffffff" CRLF)}},
    /* pipelining */
    {"pipeline get post chunked",
     {OK("GET /1 HTTP/1.1" CRLF "Host: a" CRLF CRLF, GET, true),
      OK("POST /2 HTTP/1.1" CRLF HOST "Content-Length: 4" CRLF CRLF "GET ", POST, true),
      OK("POST /3 HTTP/1.1" CRLF HOST "Transfer-Encoding: chunked" CRLF
	 "Connection: close" CRLF CRLF "4" CRLF "GET " CRLF "0" CRLF CRLF,
	 POST, false)}},
    {"pipeline keep-alive mix",
     {OK("GET" L11 CRLF, GET, true), OK("GET" L10 "Connection: keep-alive" CRLF CRLF, GET, true),
      OK("HEAD" L11 "Connection: close" CRLF CRLF, HEAD, false)}},
    {"pipeline blank line after body",
     {OK("POST" L11 "Content-Length: 2" CRLF CRLF "ab", POST, true),
      OK(CRLF "GET" L11 CRLF, GET, true)}},
    {"pipeline tail", {OK("GET" L11 CRLF, GET, true), MORE("GET /x HT")}},
    {"pipeline then bad", {OK("GET" L11 CRLF, GET, true), BAD("BLAH" CRLF, CRLF)}},
    /* Host (RFC 9112 3.2, RFC 3986 3.2.2) */
    {"host empty", {OK("GET" L11_NO_HOST "Host:" CRLF CRLF, GET, true)}},
    {"host name port", {OK("GET" L11_NO_HOST "Host: 198.18.0.2:8080" CRLF CRLF, GET, true)}},
    {"host ipv6 port", {OK("GET" L11_NO_HOST "Host: [2001:db8::1]:80" CRLF CRLF, GET, true)}},
    {"host ipvfuture", {OK("GET" L11_NO_HOST "Host:[v1.a!]" CRLF CRLF, GET, true)}},
    {"host ows pct", {OK("GET" L11_NO_HOST "HOST: \t a%2Fb.Example \t" CRLF CRLF, GET, true)}},
    {"host sub-delims", {OK("GET" L11_NO_HOST "Host: ex_a-m~ple!$&'()*+,;=" CRLF CRLF, GET, true)}},
    {"host empty port", {OK("GET" L11_NO_HOST "Host: a:" CRLF CRLF, GET, true)}},
    {"host port only", {BAD("GET" L11_NO_HOST "Host: :80" CRLF CRLF, ":80")}},
    {"host 1.0 absent", {OK("GET" L10 "Connection: keep-alive" CRLF CRLF, GET, true)}},
    {"host 1.0 given", {OK("GET" L10 "Host: a" CRLF CRLF, GET, false)}},
    {"hostx is other", {OK("GET" L11 "Hostx: a b" CRLF "Hos: /" CRLF CRLF, GET, true)}},
    {"host missing", {BAD("GET" L11_NO_HOST CRLF, NULL)}},
    {"host missing others",
     {BAD("POST" L11_NO_HOST "Hosts: a" CRLF "Content-Length: 1" CRLF CRLF "x", "\nx")}},
    {"host twice", {BAD("GET" L11 "Host: t" CRLF CRLF, "\n" CRLF)}},
    {"host twice 1.0", {BAD("GET" L10 "Host: a" CRLF "host: b" CRLF CRLF, "\n" CRLF)}},
    {"host twice empty", {BAD("GET" L10 "Host:" CRLF "Host:" CRLF CRLF, "\n" CRLF)}},
    {"host space inside", {BAD("GET" L11_NO_HOST "Host: a b" CRLF CRLF, "b" CRLF)}},
    {"host slash", {BAD("GET" L11_NO_HOST "Host: a/b" CRLF CRLF, "/b")}},
    {"host userinfo", {BAD("GET" L11_NO_HOST "Host: u@a" CRLF CRLF, "@")}},
    {"host quote", {BAD("GET" L11_NO_HOST "Host: \"a\"" CRLF CRLF, "\"")}},
    {"host obs-text", {BAD("GET" L11_NO_HOST "Host: caf\xc3\xa9" CRLF CRLF, "\xc3")}},
    {"host pct short", {BAD("GET" L11_NO_HOST "Host: a%2" CRLF CRLF, "\n" CRLF)}},
    {"host pct not hex", {BAD("GET" L11_NO_HOST "Host: a%zz" CRLF CRLF, "zz")}},
    {"host literal open", {BAD("GET" L11_NO_HOST "Host: [::1" CRLF CRLF, "\n" CRLF)}},
    {"host literal empty", {BAD("GET" L11_NO_HOST "Host: []" CRLF CRLF, "]")}},
    {"host literal letter", {BAD("GET" L11_NO_HOST "Host: [::x]" CRLF CRLF, "x]")}},
    {"host literal no colon", {BAD("GET" L11_NO_HOST "Host: [1.2.3.4]" CRLF CRLF, ".2.3.4]")}},
    {"host future no version", {BAD("GET" L11_NO_HOST "Host: [v.a]" CRLF CRLF, ".a")}},
    {"host future no dot", {BAD("GET" L11_NO_HOST "Host: [v1]" CRLF CRLF, "]")}},
    {"host future empty", {BAD("GET" L11_NO_HOST "Host: [v1.]" CRLF CRLF, "]")}},
    {"host future slash", {BAD("GET" L11_NO_HOST "Host: [v1.a/b]" CRLF CRLF, "/b")}},
    {"host ipv4 tail", {OK("GET" L11_NO_HOST "Host: [::ffff:198.18.0.2]" CRLF CRLF, GET, true)}},
    {"host ipv6 unspecified", {OK("GET" L11_NO_HOST "Host: [::]" CRLF CRLF, GET, true)}},
    {"host ipv6 loopback", {OK("GET" L11_NO_HOST "Host: [::1]" CRLF CRLF, GET, true)}},
    {"host ipv6 eight groups",
     {OK("GET" L11_NO_HOST "Host: [1:2:3:4:5:6:7:8]" CRLF CRLF, GET, true)}},
    {"host ipv6 dcolon last", {OK("GET" L11_NO_HOST "Host: [1::]" CRLF CRLF, GET, true)}},
    {"host ipv6 seven then dcolon",
     {OK("GET" L11_NO_HOST "Host: [1:2:3:4:5:6:7::]" CRLF CRLF, GET, true)}},
    {"host ipv6 dcolon then seven",
     {OK("GET" L11_NO_HOST "Host: [::2:3:4:5:6:7:8]" CRLF CRLF, GET, true)}},
    {"host ipv6 dcolon inside",
     {OK("GET" L11_NO_HOST "Host: [1:0db8::aBcD:FFFF]" CRLF CRLF, GET, true)}},
    {"host ipv6 full groups",
     {OK("GET" L11_NO_HOST "Host: [ffff:0:0:0:0:0:0:1]" CRLF CRLF, GET, true)}},
    {"host ipv6 six then ipv4",
     {OK("GET" L11_NO_HOST "Host: [1:2:3:4:5:6:1.2.3.4]" CRLF CRLF, GET, true)}},
    {"host ipv6 five dcolon ipv4",
     {OK("GET" L11_NO_HOST "Host: [1:2:3:4:5::1.2.3.4]" CRLF CRLF, GET, true)}},
    {"host ipv6 dcolon ipv4", {OK("GET" L11_NO_HOST "Host: [::1.2.3.4]" CRLF CRLF, GET, true)}},
    {"host ipv6 ipv4 extremes", {OK("GET" L11_NO_HOST "Host: [::0.0.0.255]" CRLF CRLF, GET, true)}},
    {"host ipv6 ipv4 255",
     {OK("GET" L11_NO_HOST "Host: [::255.255.255.255]" CRLF CRLF, GET, true)}},
    {"host ipv6 six dcolon one",
     {OK("GET" L11_NO_HOST "Host: [1:2:3:4:5:6::7]" CRLF CRLF, GET, true)}},
    {"host ipv6 one dcolon ipv4",
     {OK("GET" L11_NO_HOST "Host: [1::1.2.3.4]" CRLF CRLF, GET, true)}},
    {"host ipv6 ipv4 port", {OK("GET" L11_NO_HOST "Host: [::1.2.3.4]:80" CRLF CRLF, GET, true)}},
    {"host ipv6 dcolon five ipv4",
     {OK("GET" L11_NO_HOST "Host: [::1:2:3:4:5:1.2.3.4]" CRLF CRLF, GET, true)}},
    {"host ipv6 dcolon then eight",
     {BAD("GET" L11_NO_HOST "Host: [::1:2:3:4:5:6:7:8]" CRLF CRLF, ":8]")}},
    {"host ipv6 eight with dcolon",
     {BAD("GET" L11_NO_HOST "Host: [1:2:3:4::5:6:7:8]" CRLF CRLF, ":8]")}},
    {"host ipv6 dcolon six ipv4",
     {BAD("GET" L11_NO_HOST "Host: [1::2:3:4:5:6:1.2.3.4]" CRLF CRLF, ".2.3.4]")}},
    {"host ipv6 dcolon lead six ipv4",
     {BAD("GET" L11_NO_HOST "Host: [::1:2:3:4:5:6:1.2.3.4]" CRLF CRLF, ".2.3.4]")}},
    {"host ipv6 ipv4 last 256", {BAD("GET" L11_NO_HOST "Host: [::1.2.3.256]" CRLF CRLF, "6]")}},
    {"host ipv6 dcolon trailing colon", {BAD("GET" L11_NO_HOST "Host: [::1:]" CRLF CRLF, "]")}},
    {"host ipv6 colons three inside", {BAD("GET" L11_NO_HOST "Host: [1:::2]" CRLF CRLF, ":2]")}},
    {"host ipv6 ipv4 last double zero",
     {BAD("GET" L11_NO_HOST "Host: [::1.2.3.00]" CRLF CRLF, "0]")}},
    {"host ipv6 triple colon", {BAD("GET" L11_NO_HOST "Host: [:::]" CRLF CRLF, ":]")}},
    {"host ipv6 nine groups",
     {BAD("GET" L11_NO_HOST "Host: [1:2:3:4:5:6:7:8:9]" CRLF CRLF, ":9]")}},
    {"host ipv6 seven groups", {BAD("GET" L11_NO_HOST "Host: [1:2:3:4:5:6:7]" CRLF CRLF, "]")}},
    {"host ipv6 long group", {BAD("GET" L11_NO_HOST "Host: [12345::]" CRLF CRLF, "5::]")}},
    {"host ipv6 two dcolons", {BAD("GET" L11_NO_HOST "Host: [1::2::3]" CRLF CRLF, ":3]")}},
    {"host ipv6 lone lead colon", {BAD("GET" L11_NO_HOST "Host: [:1]" CRLF CRLF, "1]")}},
    {"host ipv6 trailing colon", {BAD("GET" L11_NO_HOST "Host: [1:]" CRLF CRLF, "]")}},
    {"host ipv6 eight then dcolon",
     {BAD("GET" L11_NO_HOST "Host: [1:2:3:4:5:6:7:8::]" CRLF CRLF, "::]")}},
    {"host ipv6 ipv4 short", {BAD("GET" L11_NO_HOST "Host: [::1.2.3]" CRLF CRLF, "]")}},
    {"host ipv6 ipv4 long", {BAD("GET" L11_NO_HOST "Host: [::1.2.3.4.5]" CRLF CRLF, ".5]")}},
    {"host ipv6 ipv4 256", {BAD("GET" L11_NO_HOST "Host: [::256.1.1.1]" CRLF CRLF, ".1.1.1]")}},
    {"host ipv6 ipv4 leading zero", {BAD("GET" L11_NO_HOST "Host: [::1.2.3.04]" CRLF CRLF, "4]")}},
    {"host ipv6 ipv4 first leading zero",
     {BAD("GET" L11_NO_HOST "Host: [::01.2.3.4]" CRLF CRLF, ".2.3.4]")}},
    {"host ipv6 ipv4 empty octet", {BAD("GET" L11_NO_HOST "Host: [::1.2.3.]" CRLF CRLF, "]")}},
    {"host ipv6 ipv4 double dot", {BAD("GET" L11_NO_HOST "Host: [::1..2.3]" CRLF CRLF, ".2.3]")}},
    {"host ipv6 ipv4 hex", {BAD("GET" L11_NO_HOST "Host: [::1.2.3.a]" CRLF CRLF, "a]")}},
    {"host ipv6 dcolon ipv4 too many",
     {BAD("GET" L11_NO_HOST "Host: [1:2:3:4:5:6::1.2.3.4]" CRLF CRLF, ".2.3.4]")}},
    {"host ipv6 ipv4 after seven",
     {BAD("GET" L11_NO_HOST "Host: [1:2:3:4:5:6:7:1.2.3.4]" CRLF CRLF, ".2.3.4]")}},
    {"host ipv6 ipv4 after five",
     {BAD("GET" L11_NO_HOST "Host: [1:2:3:4:5:1.2.3.4]" CRLF CRLF, ".2.3.4]")}},
    {"host ipv6 ipv4 hex octet", {BAD("GET" L11_NO_HOST "Host: [::a.2.3.4]" CRLF CRLF, ".2.3.4]")}},
    {"host ipv6 ipv4 four digits", {BAD("GET" L11_NO_HOST "Host: [::1.2.3.1234]" CRLF CRLF, "4]")}},
    {"host literal then", {BAD("GET" L11_NO_HOST "Host: [::1]a" CRLF CRLF, "a" CRLF)}},
    {"host literal zone", {BAD("GET" L11_NO_HOST "Host: [fe80::1%25e]" CRLF CRLF, "%")}},
    {"host literal inside", {BAD("GET" L11_NO_HOST "Host: a[::1]" CRLF CRLF, "[")}},
    {"host port letter", {BAD("GET" L11_NO_HOST "Host: a:8x" CRLF CRLF, "x")}},
    {"host two ports", {BAD("GET" L11_NO_HOST "Host: a:80:81" CRLF CRLF, ":81")}},
    {"host ws then port", {BAD("GET" L11_NO_HOST "Host: a :80" CRLF CRLF, ":80")}},
    /* Expect (RFC 9110 10.1.1): read, and never a reason to refuse a token list */
    {"expect continue",
     {OK("POST" L11 "Expect: 100-continue" CRLF "Content-Length: 3" CRLF CRLF "abc", POST, true)}},
    {"expect continue chunked",
     {OK("POST" L11 "expect: 100-Continue, x" CRLF "Transfer-Encoding: chunked" CRLF CRLF
	 "0" CRLF CRLF,
	 POST, true)}},
    {"expect other", {OK("GET" L11 "Expect: 100-continued" CRLF CRLF, GET, true)}},
    {"expect parameters",
     {OK("GET" L11 "Expect: a=b;c=\"d, e\" , 100-continue=1, x y" CRLF CRLF, GET, true)}},
    {"expect ctl", {BAD("GET" L11 "Expect: a\x01" CRLF CRLF, "\x01")}},
    /* request line errors */
    {"version 1.2", {OK("GET / HTTP/1.2" CRLF HOST CRLF, GET, true)}},
    {"version 1.9 close",
     {OK("GET / HTTP/1.9" CRLF HOST "Connection: close" CRLF CRLF, GET, false)}},
    {"version 2.0", {BAD("GET / HTTP/2.0" CRLF CRLF, "2.0")}},
    {"version 0.9", {BAD("GET / HTTP/0.9" CRLF CRLF, "0.9")}},
    {"version minor letter", {BAD("GET / HTTP/1.x" CRLF CRLF, "x")}},
    {"version 1.10", {BAD("GET / HTTP/1.10" CRLF CRLF, "0" CRLF)}},
    {"version case", {BAD("GET / http/1.1" CRLF CRLF, "http")}},
    {"version missing", {BAD("GET /" CRLF CRLF, CRLF)}},
    {"trailing space", {BAD("GET / HTTP/1.1 " CRLF CRLF, " " CRLF)}},
    {"empty target", {BAD("GET  / HTTP/1.1" CRLF CRLF, " /")}},
    {"double space", {BAD("GET /  HTTP/1.1" CRLF CRLF, " HTTP")}},
    {"leading space", {BAD(" GET" L11 CRLF, " GET")}},
    {"empty method", {BAD(" / HTTP/1.1" CRLF "Host: a" CRLF CRLF, " /")}},
    {"method ctl", {BAD("G\x01T" L11 CRLF, "\x01")}},
    {"method del", {BAD("GE\x7fT" L11 CRLF, "\x7f")}},
    {"method nul", {BAD("GE\0T" L11 CRLF, "")}},
    {"method separator", {BAD("GE/T" L11 CRLF, "/T")}},
    {"target ctl", {BAD("GET /a\tb HTTP/1.1" CRLF CRLF, "\tb")}},
    {"bare cr request line", {BAD("GET / HTTP/1.1\rX: a" CRLF CRLF, "X:")}},
    {"bare cr target", {BAD("GET /a\rb HTTP/1.1" CRLF CRLF, "\rb")}},
    /* header errors */
    {"no colon", {BAD("GET" L11 "Host example" CRLF CRLF, " example")}},
    {"space before colon", {BAD("GET" L11 "Host : a" CRLF CRLF, " :")}},
    {"empty name", {BAD("GET" L11 ": a" CRLF CRLF, ": a")}},
    {"obs-fold", {BAD("GET" L11 "X: a" CRLF " folded" CRLF CRLF, " folded")}},
    {"value ctl",
     {BAD("GET" L11 "X: a\x01"
	  "b" CRLF CRLF,
	  "\x01")}},
    {"value del", {BAD("GET" L11 "X: a\x7f" CRLF CRLF, "\x7f")}},
    {"value bare cr", {BAD("GET" L11 "X: a\rb" CRLF CRLF, "b" CRLF)}},
    {"connection bad char", {BAD("GET" L11 "Connection: \"close\"" CRLF CRLF, "\"close")}},
    {"connection two words", {BAD("GET" L11 "Connection: keep alive" CRLF CRLF, "alive")}},
    /* Content-Length errors */
    {"cl letters", {BAD("POST" L11 "Content-Length: abc" CRLF CRLF, "abc")}},
    {"cl two numbers", {BAD("POST" L11 "Content-Length: 1 2" CRLF CRLF, "2" CRLF)}},
    {"cl empty", {BAD("POST" L11 "Content-Length: " CRLF CRLF, "\n" CRLF)}},
    {"cl negative", {BAD("POST" L11 "Content-Length: -1" CRLF CRLF, "-1")}},
    {"cl plus", {BAD("POST" L11 "Content-Length: +1" CRLF CRLF, "+1")}},
    {"cl hex", {BAD("POST" L11 "Content-Length: 0x10" CRLF CRLF, "x10")}},
    {"cl list", {BAD("POST" L11 "Content-Length: 5, 5" CRLF CRLF, ", 5")}},
    {"cl overflow", {BAD("POST" L11 "Content-Length: 9223372036854775808" CRLF CRLF, "8" CRLF)}},
    {"cl differ",
     {BAD("POST" L11 "Content-Length: 5" CRLF "Content-Length: 6" CRLF CRLF, "6" CRLF)}},
    {"cl longer",
     {BAD("POST" L11 "Content-Length: 5" CRLF "Content-Length: 50" CRLF CRLF, "0" CRLF)}},
    {"cl shorter",
     {BAD("POST" L11 "Content-Length: 50" CRLF "Content-Length: 5" CRLF CRLF, "\n" CRLF)}},
    {"cl zero then one",
     {BAD("POST" L11 "Content-Length: 0" CRLF "Content-Length: 1" CRLF CRLF, "1" CRLF CRLF)}},
    /* Transfer-Encoding errors */
    {"cl then te",
     {BAD("POST" L11 "Content-Length: 5" CRLF "Transfer-Encoding: chunked" CRLF CRLF, NULL)}},
    {"te then cl",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF "Content-Length: 5" CRLF CRLF, NULL)}},
    {"te gzip", {BAD("POST" L11 "Transfer-Encoding: gzip" CRLF CRLF, "\n" CRLF)}},
    {"te gzip chunked", {BAD("POST" L11 "Transfer-Encoding: gzip, chunked" CRLF CRLF, "\n" CRLF)}},
    {"te chunked gzip", {BAD("POST" L11 "Transfer-Encoding: chunked, gzip" CRLF CRLF, "\n" CRLF)}},
    {"te chunked prefix", {BAD("POST" L11 "Transfer-Encoding: chunk" CRLF CRLF, "\n" CRLF)}},
    {"te twice",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF "Transfer-Encoding: chunked" CRLF CRLF,
	  "\n" CRLF)}},
    {"te empty", {BAD("POST" L11 "Transfer-Encoding: " CRLF CRLF, "\n" CRLF)}},
    {"te two words", {BAD("POST" L11 "Transfer-Encoding: chunked x" CRLF CRLF, "x" CRLF)}},
    {"te on 1.0", {BAD("POST" L10 "Transfer-Encoding: chunked" CRLF CRLF, NULL)}},
    /* chunked body errors */
    {"chunk size letters",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "zz" CRLF, "zz")}},
    {"chunk size missing",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF ";e" CRLF, ";e")}},
    {"chunk size overflow",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "8000000000000000" CRLF, "0" CRLF)}},
    {"chunk size junk",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "5 x" CRLF, "x" CRLF)}},
    {"chunk ext ctl",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "5;a\x01" CRLF, "\x01")}},
    {"chunk data unterminated",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "5" CRLF "helloX", "X")}},
    {"chunk trailer fold",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "0" CRLF " f" CRLF CRLF, " f")}},
    /* chunk framing lines end in CRLF only (RFC 9112 7.1); the offending byte is the last */
    {"chunk size bare lf", {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "3\n", NULL)}},
    {"chunk ext bare lf", {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "3;e=1\n", NULL)}},
    {"chunk data end bare lf",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "3" CRLF "abc\n", NULL)}},
    {"last chunk bare lf",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "0" CRLF "\n", NULL)}},
    {"trailer bare lf",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "0" CRLF "X: y\n", NULL)}},
    {"chunk size ws then line end",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "5 \t\r", NULL)}},
    {"trailer without colon",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "0" CRLF "Xy\r", NULL)}},
    {"trailer ws before colon",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "0" CRLF "X ", NULL)}},
    {"trailer empty name",
     {BAD("POST" L11 "Transfer-Encoding: chunked" CRLF CRLF "0" CRLF ":", NULL)}},
};

struct event {
	enum tt_http_status status;
	uint32_t end; /* REQUEST: offset after the request; BAD: offset of the offending byte */
	enum tt_http_method method;
	bool keep_alive;
};

#define MAX_EVENTS 8

struct run {
	struct event ev[MAX_EVENTS];
	unsigned n;
};

static void record(struct run *run, enum tt_http_status st, uint32_t end,
		   const struct tt_http_request *req)
{
	struct event *e;

	assert_true(run->n < MAX_EVENTS);
	e = &run->ev[run->n++];
	memset(e, 0, sizeof(*e));
	e->status = st;
	e->end = end;
	if (st == TT_HTTP_REQUEST) {
		e->method = req->method;
		e->keep_alive = req->keep_alive;
	}
}

/*
 * Feed buf as a first piece of `first` bytes, then pieces of `step` bytes, the way TCP would
 * hand in segments, collecting one event per REQUEST or BAD.
 */
static void drive(const uint8_t *buf, uint32_t len, uint32_t first, uint32_t step, struct run *run)
{
	struct tt_http_parser p;
	struct tt_http_request req;
	uint32_t off = 0, end = first, used;
	enum tt_http_status st;

	tt_http_parser_init(&p);
	run->n = 0;
	for (;;) {
		while (off < end || end == 0) {
			memset(&req, 0xa5, sizeof(req));
			st = tt_http_parse(&p, buf + off, end - off, &used, &req);
			assert_true(used <= end - off);
			/* CONTINUE depends on where the pieces are cut (test_expect_continue). */
			if (st == TT_HTTP_CONTINUE)
				assert_int_equal(tt_http_phase(&p), TT_HTTP_IN_BODY);
			if (st == TT_HTTP_NEED_MORE || st == TT_HTTP_CONTINUE) {
				assert_int_equal(used, end - off);
				off = end;
				break;
			}
			record(run, st, off + used, &req);
			if (st == TT_HTTP_BAD) {
				/* the parser stays failed */
				st = tt_http_parse(&p, buf + off, end - off, &used, &req);
				assert_int_equal(st, TT_HTTP_BAD);
				assert_int_equal(used, 0);
				return;
			}
			assert_true(used > 0);
			off += used;
		}
		if (end == len)
			return;
		end = end + step < len ? end + step : len;
	}
}

static size_t case_bytes(const struct req_case *c, uint8_t *buf, size_t cap, struct run *want)
{
	const struct part *pt;
	size_t len = 0, at;
	unsigned i;

	want->n = 0;
	for (i = 0; i < MAX_PARTS && c->parts[i].bytes; i++) {
		pt = &c->parts[i];
		assert_true(len + pt->len <= cap);
		memcpy(buf + len, pt->bytes, pt->len);
		if (pt->status == TT_HTTP_REQUEST) {
			struct tt_http_request req = {pt->method, pt->keep_alive};

			record(want, pt->status, len + pt->len, &req);
		} else if (pt->status == TT_HTTP_BAD) {
			at = pt->len - 1;
			if (pt->bad_at) {
				const char *hit =
				    memmem(pt->bytes, pt->len, pt->bad_at,
					   strlen(pt->bad_at) ? strlen(pt->bad_at) : 1);

				assert_non_null(hit);
				at = hit - pt->bytes;
			}
			record(want, pt->status, len + at, NULL);
		}
		len += pt->len;
	}
	return len;
}

static void assert_runs_equal(const char *name, const char *how, uint32_t at,
			      const struct run *want, const struct run *got)
{
	unsigned i;

	if (got->n != want->n)
		fail_msg("%s (%s %u): %u events, want %u", name, how, at, got->n, want->n);
	for (i = 0; i < want->n; i++) {
		const struct event *w = &want->ev[i], *g = &got->ev[i];

		if (g->status != w->status || g->end != w->end || g->method != w->method ||
		    g->keep_alive != w->keep_alive)
			fail_msg(
			    "%s (%s %u) event %u: status %d end %u method %d ka %d, want %d %u "
			    "%d %d",
			    name, how, at, i, g->status, g->end, g->method, g->keep_alive,
			    w->status, w->end, w->method, w->keep_alive);
	}
}

/* Whole, cut in two at every position (including empty pieces), and byte by byte. */
static void check_all_feedings(const char *name, const uint8_t *buf, uint32_t len,
			       const struct run *want)
{
	struct run got;
	uint32_t k;

	drive(buf, len, len, len, &got);
	assert_runs_equal(name, "whole", len, want, &got);
	for (k = 0; k <= len; k++) {
		drive(buf, len, k, len, &got);
		assert_runs_equal(name, "split at", k, want, &got);
	}
	drive(buf, len, 1, 1, &got);
	assert_runs_equal(name, "bytewise", 1, want, &got);
}

static void test_request_table(void **state)
{
	static uint8_t buf[1024];
	struct run want;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		len = case_bytes(&req_cases[i], buf, sizeof(buf), &want);
		check_all_feedings(req_cases[i].name, buf, (uint32_t)len, &want);
	}
}

/*
 * Every byte value inside a long request target and a long header field value, at each offset
 * of an 8-byte word (the parser skips such runs a word at a time): refused where it is not a
 * byte the run may hold, read on where it is.  Space and the line ends, which end a run, are
 * tested by the request table.
 */
static void check_byte_in_run(const char *head, const char *tail, unsigned offset, uint8_t b,
			      bool allowed)
{
	uint8_t buf[96];
	struct run want = {.n = 1};
	uint32_t len = 0, at;

	len += (uint32_t)strlen(strcpy((char *)buf, head));
	memset(buf + len, 'a', offset);
	len += offset;
	at = len;
	buf[len++] = b;
	memset(buf + len, 'a', 16);
	len += 16;
	memcpy(buf + len, tail, strlen(tail));
	len += (uint32_t)strlen(tail);
	if (allowed)
		want.ev[0] = (struct event){TT_HTTP_REQUEST, len, TT_HTTP_GET, true};
	else
		want.ev[0] = (struct event){TT_HTTP_BAD, at, TT_HTTP_GET, false};
	check_all_feedings(head, buf, len, &want);
}

static void test_byte_classes_in_long_runs(void **state)
{
	unsigned offset, b;

	(void)state;
	for (b = 0; b < 256; b++) {
		if (b == ' ' || b == '\r' || b == '\n')
			continue;
		for (offset = 0; offset < 8; offset++) {
			/* request-target: VCHAR / obs-text */
			check_byte_in_run("GET /", " HTTP/1.1\r\nHost: t\r\n\r\n", offset,
					  (uint8_t)b, b > 0x20 && b != 0x7f);
			/* field-value: VCHAR / obs-text, SP, HTAB */
			check_byte_in_run("GET / HTTP/1.1\r\nHost: t\r\nX-Long: ", "\r\n\r\n",
					  offset, (uint8_t)b,
					  (b >= 0x20 && b != 0x7f) || b == '\t');
		}
	}
}

/* A GET whose head is exactly `len` bytes, padded with one long header. */
static uint8_t *head_of_size(uint32_t len)
{
	static const char start[] = "GET / HTTP/1.1\r\nHost: t\r\nX-Pad: ";
	uint8_t *b = malloc(len);

	assert_non_null(b);
	memcpy(b, start, sizeof(start) - 1);
	memset(b + sizeof(start) - 1, 'a', len - (sizeof(start) - 1) - 4);
	memcpy(b + len - 4, "\r\n\r\n", 4);
	return b;
}

static void test_head_limit(void **state)
{
	struct run want = {.n = 1};
	uint8_t *b;

	(void)state;
	b = head_of_size(TT_HTTP_HEAD_MAX);
	want.ev[0] = (struct event){TT_HTTP_REQUEST, TT_HTTP_HEAD_MAX, TT_HTTP_GET, true};
	check_all_feedings("head at limit", b, TT_HTTP_HEAD_MAX, &want);
	free(b);

	b = head_of_size(TT_HTTP_HEAD_MAX + 1);
	want.ev[0] = (struct event){TT_HTTP_BAD, TT_HTTP_HEAD_MAX, TT_HTTP_GET, false};
	check_all_feedings("head over limit", b, TT_HTTP_HEAD_MAX + 1, &want);
	free(b);
}

/*
 * Empty lines before the request line count toward no limit: after TT_HTTP_HEAD_MAX + 1 of
 * them (CRLF and bare LF, cut anywhere), a head of TT_HTTP_HEAD_MAX bytes is taken and one of a
 * byte more refused at its last byte, whole, a byte at a time and in pieces of 7.  They leave
 * the parser as fresh as it was (nothing to keep between segments; no head begun), but for a
 * CR whose LF is still to come.
 */
static void test_head_limit_leading_lines(void **state)
{
	uint32_t lead = TT_HTTP_HEAD_MAX + 1, steps[] = {0, 1, 7};
	uint8_t *b = malloc(lead + TT_HTTP_HEAD_MAX + 1), *h;
	struct tt_http_request req;
	struct tt_http_parser p;
	uint32_t used;

	(void)state;
	assert_non_null(b);
	for (uint32_t i = 0; i < lead; i++)
		b[i] = i % 3 == 2 ? '\n' : "\r\n"[i % 3];
	b[lead - 1] = '\n';
	tt_http_parser_init(&p);
	assert_int_equal(tt_http_parse(&p, b, lead, &used, &req), TT_HTTP_NEED_MORE);
	assert_int_equal(used, lead);
	assert_true(tt_http_parser_fresh(&p));
	assert_int_equal(tt_http_phase(&p), TT_HTTP_BETWEEN);
	/* A CR alone is kept, and under the head's clock, until its LF comes. */
	assert_int_equal(tt_http_parse(&p, b, 1, &used, &req), TT_HTTP_NEED_MORE);
	assert_false(tt_http_parser_fresh(&p));
	assert_int_equal(tt_http_phase(&p), TT_HTTP_IN_HEAD);
	assert_int_equal(tt_http_parse(&p, b + 1, 1, &used, &req), TT_HTTP_NEED_MORE);
	assert_true(tt_http_parser_fresh(&p));
	for (uint32_t extra = 0; extra <= 1; extra++) {
		uint32_t len = lead + TT_HTTP_HEAD_MAX + extra;
		struct run want = {.n = 1}, got;

		h = head_of_size(TT_HTTP_HEAD_MAX + extra);
		memcpy(b + lead, h, TT_HTTP_HEAD_MAX + extra);
		free(h);
		want.ev[0] = extra ? (struct event){TT_HTTP_BAD, len - 1, TT_HTTP_GET, false}
				   : (struct event){TT_HTTP_REQUEST, len, TT_HTTP_GET, true};
		for (unsigned k = 0; k < 3; k++) {
			drive(b, len, steps[k] ? steps[k] : len, steps[k] ? steps[k] : len, &got);
			assert_runs_equal("leading lines", "pieces", len, &want, &got);
		}
	}
	free(b);
}

/* Per-call consumed counts while a POST body straddles three pieces. */
static void test_body_across_pieces(void **state)
{
	static const char head[] = "POST /u HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n";
	static const char next[] = "GET / HTTP/1.0\r\n\r\n";
	struct tt_http_parser p;
	struct tt_http_request req;
	uint8_t piece[64];
	uint32_t used;

	(void)state;
	tt_http_parser_init(&p);
	memcpy(piece, head, sizeof(head) - 1);
	memcpy(piece + sizeof(head) - 1, "he", 2);
	assert_int_equal(tt_http_parse(&p, piece, sizeof(head) + 1, &used, &req),
			 TT_HTTP_NEED_MORE);
	assert_int_equal(used, sizeof(head) + 1);
	assert_int_equal(tt_http_parse(&p, (const uint8_t *)"ll", 2, &used, &req),
			 TT_HTTP_NEED_MORE);
	assert_int_equal(used, 2);

	piece[0] = 'o';
	memcpy(piece + 1, next, sizeof(next) - 1);
	assert_int_equal(tt_http_parse(&p, piece, sizeof(next), &used, &req), TT_HTTP_REQUEST);
	assert_int_equal(used, 1);
	assert_int_equal(req.method, TT_HTTP_POST);
	assert_true(req.keep_alive);
	assert_int_equal(tt_http_parse(&p, piece + 1, sizeof(next) - 1, &used, &req),
			 TT_HTTP_REQUEST);
	assert_int_equal(used, sizeof(next) - 1);
	assert_int_equal(req.method, TT_HTTP_GET);
	assert_false(req.keep_alive);
}

/*
 * Differential check of the two ways the parser reads a head: lines whole in a piece of 16 bytes
 * or more are taken at once, anything else byte run by byte run. Requests are generated from a
 * fixed seed (valid and not: header sets, name case, CRLF or LF, Content-Length and chunked
 * bodies, pipelining), then mutated (a byte replaced by one that matters to the grammar, a byte
 * dropped); every one must report the same events whole, cut in two anywhere, and byte by byte.
 */
static uint32_t rnd_state = 0x9e3779b9u;

static uint32_t rnd_below(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

static const char *pick(const char *const *list, size_t n)
{
	return list[rnd_below((uint32_t)n)];
}

#define PICK(list) pick(list, sizeof(list) / sizeof(list[0]))

static size_t put(uint8_t *b, size_t len, size_t cap, const char *s)
{
	size_t n = strlen(s);

	assert_true(len + n <= cap);
	memcpy(b + len, s, n);
	return len + n;
}

/* s with each letter's case chosen at random. */
static size_t put_any_case(uint8_t *b, size_t len, size_t cap, const char *s)
{
	size_t start = len, i;

	len = put(b, len, cap, s);
	for (i = start; i < len; i++)
		if ((b[i] | 0x20) >= 'a' && (b[i] | 0x20) <= 'z' && rnd_below(2))
			b[i] ^= 0x20;
	return len;
}

static size_t gen_request(uint8_t *b, size_t len, size_t cap)
{
	static const char *const methods[] = {"GET",	  "HEAD", "POST", "PUT",
					      "M-SEARCH", "GETS", "get",  ""};
	static const char *const targets[] = {"/", "*", "/index.html?q=1&r=%20", "/\x80\xff",
					      "/a/very/long/path/that/goes/past/sixteen/bytes"};
	static const char *const versions[] = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/1.2"};
	static const char *const names[] = {
	    "Expect",	  "User-Agent",	  "Accept",	    "X-Long-Header-Name-Here",
	    "Connection", "Content-Type", "Content-Lengthy"};
	static const char *const hosts[] = {
	    "", " t", " 198.18.0.2:80", " [2001:db8::1]:8080", " a%20b ", " a b"};
	static const char *const values[] = {"",
					     " a",
					     " 198.18.0.2:80",
					     "\tcaf\xc3\xa9 \t",
					     " text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
					     " keep-alive",
					     " close",
					     " Upgrade, close",
					     " 100-continue"};
	const char *eol = rnd_below(4) ? "\r\n" : "\n";
	unsigned n, i, body = rnd_below(4);
	char num[24];

	if (!rnd_below(8))
		len = put(b, len, cap, eol);
	len = put(b, len, cap, PICK(methods));
	len = put(b, len, cap, " ");
	len = put(b, len, cap, PICK(targets));
	len = put(b, len, cap, " ");
	len = put(b, len, cap, PICK(versions));
	len = put(b, len, cap, eol);
	/* Mostly one Host line, at times none or two. */
	for (n = rnd_below(8) ? 1 : rnd_below(3), i = 0; i < n; i++) {
		len = put_any_case(b, len, cap, "Host:");
		len = put(b, len, cap, PICK(hosts));
		len = put(b, len, cap, eol);
	}
	for (n = rnd_below(8), i = 0; i < n; i++) {
		len = put_any_case(b, len, cap, PICK(names));
		len = put(b, len, cap, ":");
		len = put(b, len, cap, PICK(values));
		len = put(b, len, cap, eol);
	}
	if (body == 1) {
		snprintf(num, sizeof(num), "%u", rnd_below(20));
		len = put_any_case(b, len, cap, "Content-Length: ");
		len = put(b, len, cap, num);
		len = put(b, len, cap, eol);
	} else if (body == 2) {
		len = put_any_case(b, len, cap, "Transfer-Encoding: chunked");
		len = put(b, len, cap, eol);
	}
	len = put(b, len, cap, eol);
	if (body == 1)
		for (i = (unsigned)strtoul(num, NULL, 10); i; i--)
			len = put(b, len, cap, "x");
	else if (body == 2)
		len = put(b, len, cap, "3;e=1\r\nabc\r\n0\r\nT: v\r\n\r\n");
	return len;
}

/* A byte that matters to the grammar, or any byte. */
static uint8_t gen_byte(void)
{
	static const uint8_t special[] = {'\r', '\n', ':',  ' ', '\t', 0,
					  0x7f, 0x80, 0xff, '"', ','};

	return rnd_below(3) ? special[rnd_below(sizeof(special))] : (uint8_t)rnd_below(256);
}

static void test_whole_equals_bytewise(void **state)
{
	static uint8_t buf[2048];
	struct run whole, got;
	size_t len, at;
	unsigned i, k;

	(void)state;
	for (i = 0; i < 3000; i++) {
		len = 0;
		for (k = 1 + rnd_below(3); k; k--)
			len = gen_request(buf, len, sizeof(buf) / 2);
		if (i % 3 && len) {
			at = rnd_below((uint32_t)len);
			if (i % 3 == 1)
				buf[at] = gen_byte();
			else
				memmove(buf + at, buf + at + 1, --len - at);
		}
		drive(buf, (uint32_t)len, (uint32_t)len, (uint32_t)len, &whole);
		drive(buf, (uint32_t)len, 1, 1, &got);
		assert_runs_equal("generated", "bytewise", i, &whole, &got);
		for (at = 0; at <= len; at += 1 + (len > 256) * rnd_below(7)) {
			drive(buf, (uint32_t)len, (uint32_t)at, (uint32_t)len, &got);
			assert_runs_equal("generated", "split at", (uint32_t)at, &whole, &got);
		}
	}
}

/* The statuses of feeding s as pieces cut at the given offsets (ascending, inside s), in order;
 * the call ending at the end of s is the last. */
static void feed_cuts(const char *s, const uint32_t *cuts, unsigned n_cuts, enum tt_http_status *st)
{
	uint32_t len = (uint32_t)strlen(s), off = 0, end, used;
	struct tt_http_parser p;
	struct tt_http_request req;

	tt_http_parser_init(&p);
	for (unsigned i = 0; i <= n_cuts; i++, off = end) {
		end = i < n_cuts ? cuts[i] : len;
		st[i] = tt_http_parse(&p, (const uint8_t *)s + off, end - off, &used, &req);
		/* One request at most in these cases: a REQUEST takes the piece's rest. */
		assert_int_equal(used, end - off);
	}
}

/*
 * Expect: 100-continue (RFC 9110 10.1.1): CONTINUE from the call whose piece ends where such a
 * head ends with its body still to come, on HTTP/1.1, whichever path read the head (whole in a
 * piece of 16 bytes or more, or line by line across pieces); not once the body has begun in the
 * piece, nor without a body, nor on HTTP/1.0, nor for another expectation.
 */
static void test_expect_continue(void **state)
{
	static const char post[] = "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
				   "Content-Length: 3\r\n\r\nabc";
	static const char chunked[] = "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
				      "EXPECT: x, 100-Continue\r\n\r\n1\r\na\r\n0\r\n\r\n";
	static const char v12[] = "POST / HTTP/1.2\r\nHost: t\r\nExpect: 100-continue\r\n"
				  "Content-Length: 3\r\n\r\nabc";
	static const char *const none[] = {
	    "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
	    "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
	    "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continued\r\nContent-Length: 3\r\n\r\nabc",
	    "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100\r\nContent-Length: 3\r\n\r\nabc",
	};
	const uint32_t post_head = (uint32_t)strlen(post) - 3;
	const uint32_t chunked_head = (uint32_t)(strstr(chunked, "\r\n\r\n") + 4 - chunked);
	enum tt_http_status st[3];
	uint32_t cuts[2];

	(void)state;
	/* Whole in its piece, then the body. */
	cuts[0] = post_head;
	feed_cuts(post, cuts, 1, st);
	assert_int_equal(st[0], TT_HTTP_CONTINUE);
	assert_int_equal(st[1], TT_HTTP_REQUEST);
	/* A short last piece: the blank line's LF after a CR that ended the piece before, the
	 * blank line, the head's last line with it. */
	for (uint32_t last = 1; last <= 21; last += last == 1 ? 1 : 19) {
		cuts[0] = post_head - last;
		cuts[1] = post_head;
		feed_cuts(post, cuts, 2, st);
		assert_int_equal(st[0], TT_HTTP_NEED_MORE);
		assert_int_equal(st[1], TT_HTTP_CONTINUE);
		assert_int_equal(st[2], TT_HTTP_REQUEST);
	}
	/* The body begun in the head's piece, or all of it there: no interim response. */
	cuts[0] = post_head + 1;
	feed_cuts(post, cuts, 1, st);
	assert_int_equal(st[0], TT_HTTP_NEED_MORE);
	assert_int_equal(st[1], TT_HTTP_REQUEST);
	feed_cuts(post, cuts, 0, st);
	assert_int_equal(st[0], TT_HTTP_REQUEST);
	/* Chunked, the expectation second in its list and in capitals. */
	cuts[0] = chunked_head;
	feed_cuts(chunked, cuts, 1, st);
	assert_int_equal(st[0], TT_HTTP_CONTINUE);
	assert_int_equal(st[1], TT_HTTP_REQUEST);
	/* HTTP/1.2 is read as 1.1. */
	cuts[0] = (uint32_t)strlen(v12) - 3;
	feed_cuts(v12, cuts, 1, st);
	assert_int_equal(st[0], TT_HTTP_CONTINUE);
	assert_int_equal(st[1], TT_HTTP_REQUEST);
	/* HTTP/1.0, no body, or another expectation: the head's end is only NEED_MORE, whole and
	 * with the blank line alone. */
	for (unsigned i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		uint32_t len = (uint32_t)strlen(none[i]);
		bool body = none[i][len - 1] == 'c';

		cuts[0] = body ? len - 3 : len;
		feed_cuts(none[i], cuts, body, st);
		assert_int_equal(st[0], body ? TT_HTTP_NEED_MORE : TT_HTTP_REQUEST);
		if (body)
			assert_int_equal(st[1], TT_HTTP_REQUEST);
		cuts[0] = (body ? len - 3 : len) - 2;
		cuts[1] = body ? len - 3 : len;
		feed_cuts(none[i], cuts, 1 + body, st);
		assert_int_equal(st[0], TT_HTTP_NEED_MORE);
		assert_int_equal(st[1], body ? TT_HTTP_NEED_MORE : TT_HTTP_REQUEST);
	}
}

/* One call through memo m with parser p on the string s; *used and *req as tt_http_parse. */
static enum tt_http_status memo_parse(struct tt_http_memo *m, struct tt_http_parser *p,
				      const char *s, uint32_t len, uint32_t *used,
				      struct tt_http_request *req)
{
	*used = UINT32_MAX;
	return tt_http_parse_memo(m, p, (const uint8_t *)s, len, used, req);
}

/*
 * The request memo: filled by a whole request a fresh parser read, answering the same bytes at
 * the head of a later piece (a memo whose method was changed by hand shows which calls it
 * answered), and never by a piece too short for them, a parser in the middle of a request, a
 * refused request or one over TT_HTTP_MEMO_MAX bytes.
 */
static void test_request_memo(void **state)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char get_b[] = "GET / HTTP/1.1\r\nHost: b\r\n\r\n";
	static const char get10[] = "GET / HTTP/1.0\r\n\r\n";
	static const char http20[] = "GET / HTTP/2.0\r\n\r\n";
	const uint32_t n = sizeof(get) - 1;
	struct tt_http_memo m = {0};
	struct tt_http_parser p;
	struct tt_http_request req;
	char piece[3 * sizeof(get)], big[TT_HTTP_MEMO_MAX + 2];
	uint32_t used;

	(void)state;
	tt_http_parser_init(&p);
	/* Empty: parsed, and remembered with its result. */
	assert_int_equal(memo_parse(&m, &p, get, n, &used, &req), TT_HTTP_REQUEST);
	assert_int_equal(used, n);
	assert_int_equal(m.len, n);
	assert_memory_equal(m.bytes, get, n);
	assert_int_equal(m.method, TT_HTTP_GET);
	assert_true(m.keep_alive);
	/* The same bytes, exactly or with more behind them: the memo answers. */
	m.method = TT_HTTP_POST;
	assert_int_equal(memo_parse(&m, &p, get, n, &used, &req), TT_HTTP_REQUEST);
	assert_int_equal(used, n);
	assert_int_equal(req.method, TT_HTTP_POST);
	assert_true(req.keep_alive);
	assert_true(tt_http_parser_fresh(&p));
	/* Three in a piece (pipelined): each from the memo in turn. */
	memcpy(piece, get, n);
	memcpy(piece + n, get, n);
	memcpy(piece + 2 * n, get, n);
	for (uint32_t off = 0; off < 3 * n; off += used) {
		req.method = TT_HTTP_GET;
		assert_int_equal(memo_parse(&m, &p, piece + off, 3 * n - off, &used, &req),
				 TT_HTTP_REQUEST);
		assert_int_equal(used, n);
		assert_int_equal(req.method, TT_HTTP_POST);
	}
	/* One byte short: parsed (the rest is to come), the memo kept; the rest completes the
	 * request in a parser that was not fresh, which is not remembered either. */
	assert_int_equal(memo_parse(&m, &p, get, n - 1, &used, &req), TT_HTTP_NEED_MORE);
	assert_int_equal(used, n - 1);
	assert_false(tt_http_parser_fresh(&p));
	assert_int_equal(memo_parse(&m, &p, get + n - 1, 1, &used, &req), TT_HTTP_REQUEST);
	assert_int_equal(used, 1);
	assert_int_equal(req.method, TT_HTTP_GET);
	assert_int_equal(m.len, n);
	assert_int_equal(m.method, TT_HTTP_POST);
	/* Another request: parsed (one byte differs), and remembered in the place of the first. */
	assert_int_equal(memo_parse(&m, &p, get_b, n, &used, &req), TT_HTTP_REQUEST);
	assert_int_equal(req.method, TT_HTTP_GET);
	assert_memory_equal(m.bytes, get_b, n);
	assert_int_equal(m.method, TT_HTTP_GET);
	/* HTTP/1.0 without keep-alive: the memo keeps that too. */
	assert_int_equal(memo_parse(&m, &p, get10, sizeof(get10) - 1, &used, &req),
			 TT_HTTP_REQUEST);
	assert_false(req.keep_alive);
	req.keep_alive = true;
	assert_int_equal(memo_parse(&m, &p, get10, sizeof(get10) - 1, &used, &req),
			 TT_HTTP_REQUEST);
	assert_false(req.keep_alive);
	/* A request of TT_HTTP_MEMO_MAX bytes is remembered, one of a byte more is not. */
	for (uint32_t len = TT_HTTP_MEMO_MAX; len <= TT_HTTP_MEMO_MAX + 1; len++) {
		static const char head[] = "GET / HTTP/1.1\r\nHost: t\r\nX: ";
		uint32_t pad = len - (uint32_t)(sizeof(head) - 1 + 4);

		memcpy(big, head, sizeof(head) - 1);
		memset(big + sizeof(head) - 1, 'a', pad);
		memcpy(big + sizeof(head) - 1 + pad, "\r\n\r\n", 5);
		assert_int_equal(strlen(big), len);
		assert_int_equal(memo_parse(&m, &p, big, len, &used, &req), TT_HTTP_REQUEST);
		assert_int_equal(used, len);
		assert_int_equal(m.len, len == TT_HTTP_MEMO_MAX ? len : TT_HTTP_MEMO_MAX);
	}
	/* A refused request is not remembered, and the memo does not answer a refused parser. */
	assert_int_equal(memo_parse(&m, &p, http20, sizeof(http20) - 1, &used, &req), TT_HTTP_BAD);
	assert_int_equal(m.len, TT_HTTP_MEMO_MAX);
	memcpy(big, m.bytes, TT_HTTP_MEMO_MAX);
	assert_int_equal(memo_parse(&m, &p, big, TT_HTTP_MEMO_MAX, &used, &req), TT_HTTP_BAD);
	assert_int_equal(used, 0);
}

/* The request's bytes, len of them, refused for why: whole, a byte at a time, through the memo
 * or not; the parser says why until it is reset. */
static void expect_refusal(const char *req, uint32_t len, enum tt_http_refusal why)
{
	struct tt_http_memo m = {0};
	struct tt_http_request r;
	struct tt_http_parser p;
	enum tt_http_status st = TT_HTTP_NEED_MORE;
	uint32_t used, off = 0;

	tt_http_parser_init(&p);
	if (memo_parse(&m, &p, req, len, &used, &r) != TT_HTTP_BAD || tt_http_refusal(&p) != why)
		fail_msg("%.60s: refused %d, not %d", req, (int)tt_http_refusal(&p), (int)why);
	tt_http_parser_init(&p);
	while (off < len && st != TT_HTTP_BAD)
		st = tt_http_parse(&p, (const uint8_t *)req + off++, 1, &used, &r);
	assert_int_equal(st, TT_HTTP_BAD);
	assert_int_equal(tt_http_refusal(&p), why);
	assert_int_equal(tt_http_parse(&p, (const uint8_t *)"\r\n", 2, &used, &r), TT_HTTP_BAD);
	assert_int_equal(tt_http_refusal(&p), why);
}

/*
 * Each refusal's reason.  A request of another major version of HTTP (a digit other than 1:
 * HTTP/0.9, HTTP/2.0, h2c's preface, HTTP/9.9) is refused as such (505); CONNECT, and codings
 * before a final chunked on HTTP/1.1, as not implemented (501); anything else (HTTP/1.x, an
 * HTTP-name that is not, a version that is no digit, codings whose chunked is not last or
 * missing, codings beside a Content-Length or on HTTP/1.0, codings whose chunked comes on a
 * later line) as malformed (400).
 */
static void test_refusal_reasons(void **state)
{
	static const struct {
		const char *req;
		enum tt_http_refusal why;
	} cases[] = {
	    {"GET / HTTP/0.9\r\n\r\n", TT_HTTP_REFUSED_VERSION},
	    {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", TT_HTTP_REFUSED_VERSION},
	    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", TT_HTTP_REFUSED_VERSION},
	    {"GET / HTTP/9.9\r\n\r\n", TT_HTTP_REFUSED_VERSION},
	    {"GET / HTTP/2", TT_HTTP_REFUSED_VERSION},
	    {"GET / HTTP/1.x\r\n\r\n", TT_HTTP_REFUSED_MALFORMED},
	    {"GET / HTTPS/2.0\r\n\r\n", TT_HTTP_REFUSED_MALFORMED},
	    {"GET / HTTP/x.0\r\n\r\n", TT_HTTP_REFUSED_MALFORMED},
	    {"GET / HTTP/1.1\r\n\r\n", TT_HTTP_REFUSED_MALFORMED},
	    {"GET / http/2.0\r\n\r\n", TT_HTTP_REFUSED_MALFORMED},
	    {"GET / HTTP/11.0\r\n\r\n", TT_HTTP_REFUSED_MALFORMED},
	    {"CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n", TT_HTTP_REFUSED_NOT_IMPLEMENTED},
	    {"\r\nCONNECT t:443 HTTP/1.0\r\n\r\n", TT_HTTP_REFUSED_NOT_IMPLEMENTED},
	    {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
	     TT_HTTP_REFUSED_NOT_IMPLEMENTED},
	    {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: x,,GZIP ,Chunked\r\n\r\n",
	     TT_HTTP_REFUSED_NOT_IMPLEMENTED},
	    {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
	     TT_HTTP_REFUSED_MALFORMED},
	    {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
	     TT_HTTP_REFUSED_MALFORMED},
	    {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n",
	     TT_HTTP_REFUSED_MALFORMED},
	    {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
	     "Transfer-Encoding: gzip, chunked\r\n\r\n",
	     TT_HTTP_REFUSED_MALFORMED},
	    {"POST / HTTP/1.0\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	     TT_HTTP_REFUSED_MALFORMED},
	    /* A Content-Length beside the codings: the same status before them and after. */
	    {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
	     "Transfer-Encoding: gzip, chunked\r\n\r\n",
	     TT_HTTP_REFUSED_NOT_IMPLEMENTED},
	    {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n"
	     "Content-Length: 5\r\n\r\n",
	     TT_HTTP_REFUSED_NOT_IMPLEMENTED},
	};
	/* Not CONNECT (methods are case-sensitive): other methods, answered as GET is. */
	static const char *const not_connect[] = {"CONNECTX / HTTP/1.1\r\nHost: t\r\n\r\n",
						  "connect / HTTP/1.1\r\nHost: t\r\n\r\n",
						  "CONNEC / HTTP/1.1\r\nHost: t\r\n\r\n"};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refusal(cases[i].req, (uint32_t)strlen(cases[i].req), cases[i].why);
	for (size_t i = 0; i < sizeof(not_connect) / sizeof(not_connect[0]); i++) {
		uint32_t len = (uint32_t)strlen(not_connect[i]);
		struct run want = {.n = 1};

		want.ev[0] = (struct event){TT_HTTP_REQUEST, len, TT_HTTP_OTHER, true};
		check_all_feedings(not_connect[i], (const uint8_t *)not_connect[i], len, &want);
	}
}

/* A request-target still going at the head's limit is too long (414); a head whose target ended
 * but whose request line, fields or method run past the limit is malformed (400). */
static void test_refusal_at_head_limit(void **state)
{
	char *req = malloc(TT_HTTP_HEAD_MAX + 64);

	(void)state;
	assert_non_null(req);
	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', TT_HTTP_HEAD_MAX);
	memcpy(req + 5 + TT_HTTP_HEAD_MAX, " HTTP/1.1\r\n", 11);
	expect_refusal(req, 5 + TT_HTTP_HEAD_MAX + 11, TT_HTTP_REFUSED_TARGET_TOO_LONG);
	/* The head's last byte is the target's: the SP that would end it is one byte over. */
	req[TT_HTTP_HEAD_MAX] = ' ';
	expect_refusal(req, TT_HTTP_HEAD_MAX + 1, TT_HTTP_REFUSED_TARGET_TOO_LONG);
	/* The target ends inside the limit, its version runs past it. */
	req[TT_HTTP_HEAD_MAX - 4] = ' ';
	memcpy(req + TT_HTTP_HEAD_MAX - 3, "HTTP/1.1\r\n", 10);
	expect_refusal(req, TT_HTTP_HEAD_MAX + 7, TT_HTTP_REFUSED_MALFORMED);
	free(req);
	req = (char *)head_of_size(TT_HTTP_HEAD_MAX + 1);
	expect_refusal(req, TT_HTTP_HEAD_MAX + 1, TT_HTTP_REFUSED_MALFORMED);
	free(req);
	req = malloc(TT_HTTP_HEAD_MAX + 1);
	assert_non_null(req);
	memset(req, 'G', TT_HTTP_HEAD_MAX + 1);
	expect_refusal(req, TT_HTTP_HEAD_MAX + 1, TT_HTTP_REFUSED_MALFORMED);
	free(req);
}

static void test_parser_size(void **state)
{
	struct tt_http_parser p;
	struct tt_http_request req;
	uint32_t used = 99;

	(void)state;
	assert_true(sizeof(struct tt_http_parser) <= 16);
	tt_http_parser_init(&p);
	assert_int_equal(tt_http_parse(&p, NULL, 0, &used, &req), TT_HTTP_NEED_MORE);
	assert_int_equal(used, 0);
}

static void test_response_exact(void **state)
{
	static const char *const hdrs[] = {"Content-Type: text/plain", "Server: tcpterm"};
	static const char ka[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nServer: tcpterm\r\n"
	    "Content-Length: 2\r\nConnection: keep-alive\r\n\r\nhi";
	static const char cl[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nServer: tcpterm\r\n"
	    "Content-Length: 2\r\nConnection: close\r\n\r\nhi";
	static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
				  "Connection: close\r\n\r\n";
	static const char version[] = "HTTP/1.1 505 HTTP Version Not Supported\r\n"
				      "Content-Length: 0\r\nConnection: close\r\n\r\n";
	static const char too_long[] = "HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\n"
				       "Connection: close\r\n\r\n";
	static const char not_impl[] = "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n"
				       "Connection: close\r\n\r\n";
	static const char *const refusal[TT_HTTP_REFUSALS] = {
	    [TT_HTTP_REFUSED_MALFORMED] = bad,
	    [TT_HTTP_REFUSED_VERSION] = version,
	    [TT_HTTP_REFUSED_TARGET_TOO_LONG] = too_long,
	    [TT_HTTP_REFUSED_NOT_IMPLEMENTED] = not_impl,
	};
	struct tt_http_response r;

	(void)state;
	assert_int_equal(tt_http_response_build(&r, 200, hdrs, 2, (const uint8_t *)"hi", 2), 0);
	assert_int_equal(r.keep_alive_len, sizeof(ka) - 1);
	assert_memory_equal(r.keep_alive, ka, sizeof(ka) - 1);
	assert_int_equal(r.keep_alive_hdr_len, sizeof(ka) - 1 - 2);
	assert_int_equal(r.close_len, sizeof(cl) - 1);
	assert_memory_equal(r.close, cl, sizeof(cl) - 1);
	assert_int_equal(r.close_hdr_len, sizeof(cl) - 1 - 2);
	for (unsigned i = 0; i < TT_HTTP_REFUSALS; i++) {
		assert_int_equal(r.refusal_len[i], strlen(refusal[i]));
		assert_memory_equal(r.refusal[i], refusal[i], r.refusal_len[i]);
	}
	assert_int_equal(r.continue_100_len, strlen("HTTP/1.1 100 Continue\r\n\r\n"));
	assert_memory_equal(r.continue_100, "HTTP/1.1 100 Continue\r\n\r\n", r.continue_100_len);
	tt_http_response_free(&r);
	assert_null(r.keep_alive);
	tt_http_response_free(&r);
}

static void test_response_no_headers(void **state)
{
	static const char ka[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
				 "Connection: keep-alive\r\n\r\n";
	struct tt_http_response r;

	(void)state;
	assert_int_equal(tt_http_response_build(&r, 404, NULL, 0, NULL, 0), 0);
	assert_int_equal(r.keep_alive_len, sizeof(ka) - 1);
	assert_int_equal(r.keep_alive_hdr_len, sizeof(ka) - 1);
	assert_memory_equal(r.keep_alive, ka, sizeof(ka) - 1);
	tt_http_response_free(&r);
}

/* A response's stored checksum is the reference RFC 1071 sum of its bytes (memory order). */
static void assert_sum(uint16_t sum, const uint8_t *bytes, uint32_t len)
{
	assert_int_equal(be16toh(sum), ref_fold(ref_add(0, bytes, len)));
}

/* HEAD sends hdr_len bytes: everything up to the blank line, none of the body.  Each length
 * sent has its checksum beside it (odd lengths included: the body is 23 bytes). */
static void test_response_head_len(void **state)
{
	static const char body[] = "<html>0123456789</html>";
	static const char tail[] = "Content-Length: 23\r\nConnection: close\r\n\r\n";
	struct tt_http_response r;

	(void)state;
	assert_int_equal(
	    tt_http_response_build(&r, 200, NULL, 0, (const uint8_t *)body, sizeof(body) - 1), 0);
	assert_int_equal(r.close_len, r.close_hdr_len + sizeof(body) - 1);
	assert_memory_equal(r.close + r.close_hdr_len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	assert_memory_equal(r.close + r.close_hdr_len, body, sizeof(body) - 1);
	assert_int_equal(r.keep_alive_len, r.keep_alive_hdr_len + sizeof(body) - 1);
	assert_memory_equal(r.keep_alive + r.keep_alive_hdr_len, body, sizeof(body) - 1);
	assert_true((r.close_len - r.close_hdr_len) % 2 == 1);
	assert_sum(r.keep_alive_sum, r.keep_alive, r.keep_alive_len);
	assert_sum(r.keep_alive_hdr_sum, r.keep_alive, r.keep_alive_hdr_len);
	assert_sum(r.close_sum, r.close, r.close_len);
	assert_sum(r.close_hdr_sum, r.close, r.close_hdr_len);
	for (unsigned i = 0; i < TT_HTTP_REFUSALS; i++)
		assert_sum(r.refusal_sum[i], r.refusal[i], r.refusal_len[i]);
	assert_sum(r.continue_100_sum, r.continue_100, r.continue_100_len);
	tt_http_response_free(&r);
}

static void test_response_reasons(void **state)
{
	static const struct {
		uint16_t status;
		const char *line;
	} cases[] = {
	    {200, "HTTP/1.1 200 OK\r\n"},
	    {201, "HTTP/1.1 201 Created\r\n"},
	    {204, "HTTP/1.1 204 No Content\r\n"},
	    {301, "HTTP/1.1 301 Moved Permanently\r\n"},
	    {302, "HTTP/1.1 302 Found\r\n"},
	    {304, "HTTP/1.1 304 Not Modified\r\n"},
	    {400, "HTTP/1.1 400 Bad Request\r\n"},
	    {403, "HTTP/1.1 403 Forbidden\r\n"},
	    {404, "HTTP/1.1 404 Not Found\r\n"},
	    {500, "HTTP/1.1 500 Internal Server Error\r\n"},
	    {503, "HTTP/1.1 503 Service Unavailable\r\n"},
	    {418, "HTTP/1.1 418 Unknown\r\n"},
	    {100, "HTTP/1.1 100 Unknown\r\n"},
	    {599, "HTTP/1.1 599 Unknown\r\n"},
	};
	struct tt_http_response r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(tt_http_response_build(&r, cases[i].status, NULL, 0, NULL, 0), 0);
		assert_true(r.keep_alive_len >= strlen(cases[i].line));
		assert_memory_equal(r.keep_alive, cases[i].line, strlen(cases[i].line));
		tt_http_response_free(&r);
	}
}

/* 1xx, 204 and 304 carry no Content-Length and refuse a body. */
static void test_response_bodiless(void **state)
{
	static const char want[] = "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n";
	struct tt_http_response r;

	(void)state;
	assert_int_equal(tt_http_response_build(&r, 204, NULL, 0, NULL, 0), 0);
	assert_int_equal(r.keep_alive_len, sizeof(want) - 1);
	assert_memory_equal(r.keep_alive, want, sizeof(want) - 1);
	tt_http_response_free(&r);
	assert_int_equal(tt_http_response_build(&r, 304, NULL, 0, (const uint8_t *)"x", 1),
			 -EINVAL);
	assert_int_equal(tt_http_response_build(&r, 101, NULL, 0, (const uint8_t *)"x", 1),
			 -EINVAL);
}

static void test_response_errors(void **state)
{
	static const struct {
		const char *name;
		uint16_t status;
		const char *header;
		const uint8_t *body;
		uint32_t body_len;
	} cases[] = {
	    {"status 0", 0, "X: y", NULL, 0},
	    {"status 99", 99, "X: y", NULL, 0},
	    {"status 600", 600, "X: y", NULL, 0},
	    {"cr", 200, "X: a\rb", NULL, 0},
	    {"lf", 200, "X: a\nb", NULL, 0},
	    {"crlf end", 200, "X: y\r\n", NULL, 0},
	    {"ctl", 200, "X: a\x01", NULL, 0},
	    {"no colon", 200, "X y", NULL, 0},
	    {"empty name", 200, ": y", NULL, 0},
	    {"space before colon", 200, "X : y", NULL, 0},
	    {"null header", 200, NULL, NULL, 0},
	    {"own content-length", 200, "content-length: 5", NULL, 0},
	    {"own connection", 200, "Connection: close", NULL, 0},
	    {"own transfer-encoding", 200, "Transfer-Encoding: chunked", NULL, 0},
	    {"body missing", 200, "X: y", NULL, 3},
	};
	struct tt_http_response r;
	const char *hdr[1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hdr[0] = cases[i].header;
		memset(&r, 0x5a, sizeof(r));
		if (tt_http_response_build(&r, cases[i].status, hdr, 1, cases[i].body,
					   cases[i].body_len) != -EINVAL)
			fail_msg("%s: not rejected", cases[i].name);
		assert_null(r.keep_alive);
		assert_null(r.close);
		for (unsigned k = 0; k < TT_HTTP_REFUSALS; k++)
			assert_null(r.refusal[k]);
		assert_int_equal(r.keep_alive_len, 0);
	}
	assert_int_equal(tt_http_response_build(&r, 200, NULL, 1, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refusal_reasons),
	    cmocka_unit_test(test_refusal_at_head_limit),
	    cmocka_unit_test(test_parser_size),
	    cmocka_unit_test(test_request_table),
	    cmocka_unit_test(test_byte_classes_in_long_runs),
	    cmocka_unit_test(test_head_limit),
	    cmocka_unit_test(test_head_limit_leading_lines),
	    cmocka_unit_test(test_body_across_pieces),
	    cmocka_unit_test(test_whole_equals_bytewise),
	    cmocka_unit_test(test_request_memo),
	    cmocka_unit_test(test_expect_continue),
	    cmocka_unit_test(test_response_exact),
	    cmocka_unit_test(test_response_no_headers),
	    cmocka_unit_test(test_response_head_len),
	    cmocka_unit_test(test_response_reasons),
	    cmocka_unit_test(test_response_bodiless),
	    cmocka_unit_test(test_response_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
