/* SPDX-License-Identifier: BSD-3-Clause */
#include "tt_conf_priv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_build_config.h>

#include "tt_http_field.h"

enum {
	TCPIP_HDR_BYTES = 40,		  /* IPv4 + TCP without options: mss + 40 <= mtu */
	MAX_LCORE_ID = RTE_MAX_LCORE - 1, /* what the DPDK build can start (-l) */
	MAX_WINDOW = 65535,		  /* the 16-bit TCP window field before scaling */
};

static const char *const app_names[] = {
    [TT_APP_HTTP] = "http",
    [TT_APP_ECHO] = "echo",
    [TT_APP_DISCARD] = "discard",
};

static const char *const syncookie_names[] = {
    [TT_SYNCOOKIES_OFF] = "off",
    [TT_SYNCOOKIES_AUTO] = "auto",
    [TT_SYNCOOKIES_ALWAYS] = "always",
};

/* Appends ".name" (or "name" at the top) or, with name NULL, "[index]" to the key path. */
size_t tt_conf_push(struct ctx *x, const char *name, unsigned index)
{
	size_t old = strlen(x->key);

	if (name)
		snprintf(x->key + old, sizeof(x->key) - old, "%s%s", old ? "." : "", name);
	else
		snprintf(x->key + old, sizeof(x->key) - old, "[%u]", index);
	return old;
}

static void pop(struct ctx *x, size_t old)
{
	x->key[old] = '\0';
}

/* Writes "file:line: key: problem" for the current key path; always -EINVAL. */
static int vfail(struct ctx *x, unsigned line, const char *fmt, va_list ap)
{
	int n;

	if (x->errlen == 0)
		return -EINVAL;
	n = snprintf(x->err, x->errlen, "%s:%u: ", x->name, line);
	if (x->key[0] && n >= 0 && (size_t)n < x->errlen)
		n += snprintf(x->err + n, x->errlen - n, "%s: ", x->key);
	if (n >= 0 && (size_t)n < x->errlen)
		vsnprintf(x->err + n, x->errlen - n, fmt, ap);
	return -EINVAL;
}

int tt_conf_fail(struct ctx *x, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(x, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Blames member of the current key: cross-checks name a key other than the one being parsed. */
int tt_conf_fail_in(struct ctx *x, unsigned line, const char *member, const char *fmt, ...)
{
	va_list ap;

	tt_conf_push(x, member, 0);
	va_start(ap, fmt);
	vfail(x, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	default:
		return "nothing";
	}
}

int tt_conf_wrong_type(struct ctx *x, const config_setting_t *s, const char *want)
{
	return tt_conf_fail(x, line_of(s), "expected %s, got %s", want, type_name(s));
}

static int get_int(struct ctx *x, const config_setting_t *s, int64_t min, int64_t max, int64_t *v)
{
	int t = config_setting_type(s);

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return tt_conf_wrong_type(x, s, "an integer");
	*v = config_setting_get_int64(s);
	if (*v < min || *v > max)
		return tt_conf_fail(x, line_of(s),
				    "%" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")", *v,
				    min, max);
	return 0;
}

/* A string shorter than cap bytes (room for the NUL). */
int tt_conf_get_str(struct ctx *x, const config_setting_t *s, size_t cap, const char **out)
{
	size_t len;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return tt_conf_wrong_type(x, s, "a string");
	*out = config_setting_get_string(s);
	len = strlen(*out);
	if (len >= cap)
		return tt_conf_fail(x, line_of(s), "is too long (%zu characters, at most %zu)", len,
				    cap - 1);
	return 0;
}

int tt_conf_get_name(struct ctx *x, const config_setting_t *s, const char *const *names, unsigned n,
		     const char *choices, unsigned *out)
{
	const char *str = NULL;
	int rc = tt_conf_get_str(x, s, 64, &str);

	if (rc)
		return rc;
	for (*out = 0; *out < n && strcmp(names[*out], str) != 0; (*out)++)
		;
	return *out < n ? 0 : tt_conf_fail(x, line_of(s), "\"%s\" is not one of %s", str, choices);
}

/* Leading hex digits of s, counting no further than max. */
unsigned tt_conf_hex_run(const char *s, unsigned max)
{
	unsigned n = 0;

	while (n < max && isxdigit((unsigned char)s[n]))
		n++;
	return n;
}

int tt_conf_parse_uint(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	char *dst = (char *)obj + k->off;
	int64_t v = 0;
	int rc = get_int(x, s, k->min, k->max, &v);

	if (rc)
		return rc;
	switch (k->size) {
	case sizeof(uint8_t):
		*(uint8_t *)dst = (uint8_t)v;
		break;
	case sizeof(uint16_t):
		*(uint16_t *)dst = (uint16_t)v;
		break;
	default:
		*(uint32_t *)dst = (uint32_t)v;
		break;
	}
	return 0;
}

int tt_conf_parse_bool(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return tt_conf_wrong_type(x, s, "a boolean (true or false)");
	*(bool *)((char *)obj + k->off) = config_setting_get_bool(s);
	return 0;
}

/* k->size is the destination buffer, k->min the shortest accepted length. */
static int parse_str(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	const char *str = NULL;
	int rc = tt_conf_get_str(x, s, k->size, &str);

	if (rc)
		return rc;
	if (strlen(str) < (size_t)k->min)
		return tt_conf_fail(x, line_of(s), "must not be empty");
	memcpy((char *)obj + k->off, str, strlen(str) + 1);
	return 0;
}

/*
 * Parses each member of group g with the key table tbl; records where each key was found in
 * lines[] and fails on unknown keys and on missing required ones (at the group's own line).
 */
int tt_conf_walk_group(struct ctx *x, const config_setting_t *g, const struct key *tbl, unsigned n,
		       void *obj, unsigned *lines)
{
	unsigned i, k, len = config_setting_length(g);
	size_t old;
	int rc;

	memset(lines, 0, n * sizeof(*lines));
	for (i = 0; i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);

		old = tt_conf_push(x, config_setting_name(s), 0);
		for (k = 0; k < n && strcmp(tbl[k].name, config_setting_name(s)) != 0; k++)
			;
		if (k == n)
			return tt_conf_fail(x, line_of(s), "unknown key");
		lines[k] = line_of(s);
		rc = tbl[k].parse(x, s, &tbl[k], obj);
		if (rc)
			return rc;
		pop(x, old);
	}
	for (k = 0; k < n; k++)
		if (tbl[k].required && !lines[k])
			/* the root group has no line of its own: the file starts at line 1 */
			return tt_conf_fail_in(x, line_of(g) ? line_of(g) : 1, tbl[k].name,
					       "required key is missing");
	return 0;
}

/* Runs fn on each element of an array or list s holding min..max elements. */
int tt_conf_for_each_elem(struct ctx *x, const config_setting_t *s, const char *want, unsigned min,
			  unsigned max, elem_fn *fn, void *obj)
{
	unsigned i, n;
	size_t old;
	int rc;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return tt_conf_wrong_type(x, s, want);
	n = config_setting_length(s);
	if (n < min)
		return tt_conf_fail(x, line_of(s), "must not be empty");
	if (n > max)
		return tt_conf_fail(x, line_of(s), "has %u entries, at most %u are supported", n,
				    max);
	for (i = 0; i < n; i++) {
		old = tt_conf_push(x, NULL, i);
		rc = fn(x, config_setting_get_elem(s, i), i, obj);
		if (rc)
			return rc;
		pop(x, old);
	}
	return 0;
}

static int eal_elem(struct ctx *x, const config_setting_t *e, unsigned i, void *obj)
{
	struct tt_conf *c = obj;
	const char *str = NULL;
	int rc = tt_conf_get_str(x, e, sizeof(c->eal_args[i]), &str);

	if (rc)
		return rc;
	if (!str[0])
		return tt_conf_fail(x, line_of(e), "must not be empty");
	memcpy(c->eal_args[i], str, strlen(str) + 1);
	c->n_eal_args = i + 1;
	return 0;
}

static int parse_eal(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	(void)k;
	return tt_conf_for_each_elem(x, s, "an array of strings", 0, TT_CONF_MAX_EAL_ARGS, eal_elem,
				     obj);
}

static int parse_stats(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	int64_t v = 0;
	int rc = get_int(x, s, INT64_MIN, INT64_MAX, &v);

	(void)k;
	if (rc)
		return rc;
	/* a stats line more often than every 100 ms would drown the console */
	if (v < 0 || (v > 0 && v < 100) || v > 3600000)
		return tt_conf_fail(x, line_of(s),
				    "%" PRId64 " is out of range (0 or 100..3600000)", v);
	((struct tt_conf *)obj)->stats_interval_ms = (uint32_t)v;
	return 0;
}

static int worker_elem(struct ctx *x, const config_setting_t *e, unsigned i, void *obj)
{
	struct tt_conf *c = obj;
	unsigned j;
	int64_t v = 0;
	int rc = get_int(x, e, 0, MAX_LCORE_ID, &v);

	if (rc)
		return rc;
	for (j = 0; j < i; j++)
		if (c->worker_lcores[j] == v)
			return tt_conf_fail(x, line_of(e),
					    "lcore %" PRId64 " is already workers[%u]", v, j);
	c->worker_lcores[i] = (uint16_t)v;
	c->n_workers = i + 1;
	return 0;
}

static int parse_workers(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	(void)k;
	return tt_conf_for_each_elem(x, s, "an array of lcore ids", 1, TT_CONF_MAX_WORKERS,
				     worker_elem, obj);
}

static int parse_app(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	unsigned app;
	int rc = tt_conf_get_name(x, s, app_names, TT_APP_DISCARD + 1, "http, echo, discard", &app);

	(void)k;
	if (rc)
		return rc;
	((struct tt_conf_listener *)obj)->app = (enum tt_app_kind)app;
	return 0;
}

static const char *const family_names[] = {
    [TT_FAMILY_BOTH] = "both",
    [TT_FAMILY_IPV4] = "ipv4",
    [TT_FAMILY_IPV6] = "ipv6",
};

static int parse_family(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	unsigned f;
	int rc = tt_conf_get_name(x, s, family_names, TT_FAMILY_IPV6 + 1, "both, ipv4, ipv6", &f);

	(void)k;
	if (rc)
		return rc;
	((struct tt_conf_listener *)obj)->family = (enum tt_conf_family)f;
	return 0;
}

static const struct key listener_keys[L_N] = {
    [L_PORT] = {.name = "port",
		.parse = tt_conf_parse_uint,
		.min = 1,
		.max = 65535,
		.off = offsetof(struct tt_conf_listener, port),
		.size = sizeof(uint16_t),
		.required = true},
    [L_APP] = {.name = "app", .parse = parse_app, .required = true},
    [L_FAMILY] = {.name = "family", .parse = parse_family},
};

static int listener_elem(struct ctx *x, const config_setting_t *e, unsigned i, void *obj)
{
	struct tt_conf *c = obj;
	struct tt_conf_listener *l = &c->listeners[i];
	unsigned *lines = x->listener_line[i], j;
	int rc;

	if (!config_setting_is_group(e))
		return tt_conf_wrong_type(x, e, "a group { port = ...; app = ...; }");
	l->family = TT_FAMILY_BOTH;
	rc = tt_conf_walk_group(x, e, listener_keys, L_N, l, lines);
	if (rc)
		return rc;
	for (j = 0; j < i; j++)
		if (c->listeners[j].port == l->port)
			return tt_conf_fail_in(x, lines[L_PORT], "port",
					       "%u is already listeners[%u]", l->port, j);
	c->n_listeners = i + 1;
	return 0;
}

static int parse_listeners(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	(void)k;
	return tt_conf_for_each_elem(x, s, "a list of groups ( { ... }, ... )", 1,
				     TT_CONF_MAX_LISTENERS, listener_elem, obj);
}

static int header_elem(struct ctx *x, const config_setting_t *e, unsigned i, void *obj)
{
	struct tt_conf_http *h = obj;
	const char *str = NULL, *why;
	int rc = tt_conf_get_str(x, e, sizeof(h->headers[i]), &str);

	if (rc)
		return rc;
	why = tt_http_field_refusal(str);
	if (why != NULL) {
		int shown = 0; /* up to a control byte, which the message leaves out */

		while (str[shown] != '\0' && TT_HTTP_IS_VALUE_CHAR((unsigned char)str[shown]))
			shown++;
		return tt_conf_fail(x, line_of(e), "\"%.*s\" %s", shown, str, why);
	}
	memcpy(h->headers[i], str, strlen(str) + 1);
	h->n_headers = i + 1;
	return 0;
}

static int parse_headers(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	(void)k;
	((struct tt_conf_http *)obj)->n_headers = 0;
	return tt_conf_for_each_elem(x, s, "an array of strings", 0, TT_CONF_MAX_HTTP_HEADERS,
				     header_elem, obj);
}

static const struct key http_keys[H_N] = {
    [H_STATUS] = UINT_KEY("status", struct tt_conf_http, status, 200, 599),
    [H_HEADERS] = {.name = "headers", .parse = parse_headers},
    [H_BODY_SIZE] =
	UINT_KEY("body_size", struct tt_conf_http, body_size, 0, TT_CONF_MAX_BODY_BYTES),
    [H_BODY_FILE] = FIELD_KEY("body_file", parse_str, struct tt_conf_http, body_file, 0, 0),
    [H_HEADER_TIMEOUT] =
	UINT_KEY("header_timeout_ms", struct tt_conf_http, header_timeout_ms, 100, 86400000),
    [H_BODY_TIMEOUT] =
	UINT_KEY("body_timeout_ms", struct tt_conf_http, body_timeout_ms, 100, 86400000),
};

/* The body file must be there at startup, not discovered missing by the first request. */
static int check_body_file(struct ctx *x, struct tt_conf_http *h)
{
	unsigned line = x->http_line[H_BODY_FILE];
	struct stat st;
	int fd, rc;

	if (x->http_line[H_BODY_SIZE] && h->body_size > 0)
		return tt_conf_fail_in(
		    x, x->http_line[H_BODY_SIZE], "body_size",
		    "must be 0 when http.body_file is set (the file is the body)");
	/* O_NONBLOCK: opening a FIFO by mistake must not hang the startup */
	fd = open(h->body_file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return tt_conf_fail_in(x, line, "body_file", "cannot open \"%s\": %s", h->body_file,
				       strerror(errno));
	rc = fstat(fd, &st);
	close(fd);
	if (rc < 0 || !S_ISREG(st.st_mode))
		return tt_conf_fail_in(x, line, "body_file", "\"%s\" is not a regular file",
				       h->body_file);
	if (st.st_size > TT_CONF_MAX_BODY_BYTES)
		return tt_conf_fail_in(x, line, "body_file", "\"%s\" has %lld bytes, at most %d",
				       h->body_file, (long long)st.st_size, TT_CONF_MAX_BODY_BYTES);
	h->body_size = (uint32_t)st.st_size;
	return 0;
}

static int parse_http(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	struct tt_conf_http *h = &((struct tt_conf *)obj)->http;
	int rc;

	(void)k;
	if (!config_setting_is_group(s))
		return tt_conf_wrong_type(x, s, "a group { ... }");
	rc = tt_conf_walk_group(x, s, http_keys, H_N, h, x->http_line);
	if (!rc && h->body_file[0])
		rc = check_body_file(x, h);
	if (rc)
		return rc;
	/* RFC 9110 6.4.1: these responses end at the header block */
	if ((h->status == 204 || h->status == 304) && h->body_size > 0)
		return tt_conf_fail_in(
		    x, x->http_line[H_STATUS] ? x->http_line[H_STATUS] : line_of(s), "status",
		    "%u responses carry no body; set http.body_size = 0", h->status);
	return 0;
}

static int parse_syncookies(struct ctx *x, const config_setting_t *s, const struct key *k,
			    void *obj)
{
	unsigned m;
	int rc = tt_conf_get_name(x, s, syncookie_names, TT_SYNCOOKIES_ALWAYS + 1,
				  "always, auto, off", &m);

	(void)k;
	if (rc)
		return rc;
	((struct tt_conf_tcp *)obj)->syncookies = (enum tt_syncookie_mode)m;
	return 0;
}

static int parse_secret(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	struct tt_conf_tcp *t = obj;
	const char *str = NULL;
	unsigned i;
	int rc = tt_conf_get_str(x, s, 2 * sizeof(t->cookie_secret) + 1, &str);

	(void)k;
	if (rc)
		return rc;
	memset(t->cookie_secret, 0, sizeof(t->cookie_secret));
	t->cookie_secret_random = !strcmp(str, "random");
	if (t->cookie_secret_random)
		return 0;
	if (tt_conf_hex_run(str, 2 * sizeof(t->cookie_secret)) != 2 * sizeof(t->cookie_secret) ||
	    str[2 * sizeof(t->cookie_secret)] != '\0')
		return tt_conf_fail(x, line_of(s), "expected \"random\" or %zu hex digits",
				    2 * sizeof(t->cookie_secret));
	for (i = 0; i < sizeof(t->cookie_secret); i++) {
		char byte[3] = {str[2 * i], str[2 * i + 1], '\0'};

		t->cookie_secret[i] = (uint8_t)strtoul(byte, NULL, 16);
	}
	return 0;
}

#define TCP_KEY(n, field, lo, hi) UINT_KEY(n, struct tt_conf_tcp, field, lo, hi)

static const struct key tcp_keys[T_N] = {
    [T_MSS] = TCP_KEY("mss", mss, 88, 9000),
    /* 48: Linux's tcp_min_snd_mss floor, the least any peer may ask for */
    [T_MIN_PEER_MSS] = TCP_KEY("min_peer_mss", min_peer_mss, 48, 9000),
    /* 65535 << 14: the largest window RFC 7323 scaling can express */
    [T_RCV_WINDOW] = TCP_KEY("rcv_window", rcv_window, 1024, 1073725440),
    [T_WSCALE] = TCP_KEY("wscale", wscale, 0, 14),
    [T_TIMESTAMPS] =
	FIELD_KEY("timestamps", tt_conf_parse_bool, struct tt_conf_tcp, timestamps, 0, 1),
    [T_SACK] = FIELD_KEY("sack", tt_conf_parse_bool, struct tt_conf_tcp, sack, 0, 1),
    [T_CWND] = TCP_KEY("initial_cwnd_segments", initial_cwnd_segments, 1, 64),
    /* RFC 6298 asks for an upper bound of at least 60 s; Linux uses 120 s */
    [T_RTO_INITIAL] = TCP_KEY("rto_initial_ms", rto_initial_ms, 10, 120000),
    [T_RTO_MIN] = TCP_KEY("rto_min_ms", rto_min_ms, 10, 120000),
    [T_RTO_MAX] = TCP_KEY("rto_max_ms", rto_max_ms, 10, 120000),
    [T_MAX_RETRIES] = TCP_KEY("max_retries", max_retries, 1, 30),
    [T_SYN_RETRIES] = TCP_KEY("syn_retries", syn_retries, 0, 10),
    [T_TIME_WAIT] = TCP_KEY("time_wait_ms", time_wait_ms, 1000, 240000),
    [T_FIN_WAIT_2] = TCP_KEY("fin_wait_2_timeout_ms", fin_wait_2_timeout_ms, 100, 86400000),
    [T_CLOSE_WAIT] = TCP_KEY("close_wait_timeout_ms", close_wait_timeout_ms, 100, 86400000),
    [T_IDLE] = TCP_KEY("idle_timeout_ms", idle_timeout_ms, 100, 86400000),
    [T_SYN_RECV] = TCP_KEY("syn_recv_timeout_ms", syn_recv_timeout_ms, 100, 86400000),
    [T_CLOSING] = TCP_KEY("closing_timeout_ms", closing_timeout_ms, 100, 86400000),
    [T_PERSIST] = TCP_KEY("persist_timeout_ms", persist_timeout_ms, 100, 86400000),
    [T_INVALID_REPLY] = TCP_KEY("invalid_reply_interval_ms", invalid_reply_interval_ms, 0, 60000),
    /* RFC 1122 4.2.3.2: an ACK must not be delayed more than 0.5 s */
    [T_DELAYED_ACK] = TCP_KEY("delayed_ack_ms", delayed_ack_ms, 0, 500),
    [T_DRAIN] = TCP_KEY("drain_timeout_ms", drain_timeout_ms, 0, 600000),
    [T_RELOAD_GRACE] = TCP_KEY("reload_grace_ms", reload_grace_ms, 0, 86400000),
    [T_MAX_CONNS] = TCP_KEY("max_conns_per_core", max_conns_per_core, 16, 67108864),
    [T_SYNCOOKIES] = {.name = "syncookies", .parse = parse_syncookies},
    [T_THRESHOLD] = TCP_KEY("syncookie_threshold", syncookie_threshold, 0, 67108864),
    [T_SECRET] = {.name = "cookie_secret", .parse = parse_secret},
    [T_MAX_ORPHANS] = TCP_KEY("max_orphans_per_core", max_orphans_per_core, 0, 67108864),
    [T_ORPHAN_RETRIES] = TCP_KEY("orphan_retries", orphan_retries, 0, 30),
    [T_SHED_POLLS] = TCP_KEY("syn_shed_full_polls", syn_shed_full_polls, 0, 1024),
    [T_SEND_BLOCKS] = TCP_KEY("send_blocks_per_core", send_blocks_per_core, 0, 67108864),
    [T_APP_BLOCKS] = TCP_KEY("app_blocks_per_core", app_blocks_per_core, 0, 67108864),
};

/* tcp.<a> <= tcp.<b>. Blames a when the file sets it, else b: a default alone is never wrong. */
static int tcp_need_le(struct ctx *x, enum tcp_key a, uint32_t va, enum tcp_key b, uint32_t vb)
{
	if (va <= vb)
		return 0;
	if (x->tcp_line[a])
		return tt_conf_fail_in(x, x->tcp_line[a], tcp_keys[a].name,
				       "%u is above tcp.%s (%u)", va, tcp_keys[b].name, vb);
	return tt_conf_fail_in(x, x->tcp_line[b], tcp_keys[b].name, "%u is below tcp.%s (%u)", vb,
			       tcp_keys[a].name, va);
}

static int check_tcp(struct ctx *x)
{
	const struct tt_conf_tcp *t = &x->conf.tcp;
	unsigned need = 0;
	int rc;

	rc = tcp_need_le(x, T_RTO_MIN, t->rto_min_ms, T_RTO_INITIAL, t->rto_initial_ms);
	if (!rc)
		rc = tcp_need_le(x, T_RTO_INITIAL, t->rto_initial_ms, T_RTO_MAX, t->rto_max_ms);
	if (!rc)
		rc = tcp_need_le(x, T_MIN_PEER_MSS, t->min_peer_mss, T_MSS, t->mss);
	if (!rc)
		rc = tcp_need_le(x, T_THRESHOLD, t->syncookie_threshold, T_MAX_CONNS,
				 t->max_conns_per_core);
	if (!rc && t->send_blocks_per_core != 0)
		rc = tcp_need_le(x, T_SEND_BLOCKS, t->send_blocks_per_core, T_MAX_CONNS,
				 t->max_conns_per_core);
	if (!rc && t->app_blocks_per_core != 0)
		rc = tcp_need_le(x, T_APP_BLOCKS, t->app_blocks_per_core, T_MAX_CONNS,
				 t->max_conns_per_core);
	if (rc)
		return rc;
	/* the default window needs no scaling, so a conflict always involves rcv_window */
	while ((t->rcv_window >> need) > MAX_WINDOW)
		need++;
	if (t->wscale < need)
		return tt_conf_fail_in(x, x->tcp_line[T_RCV_WINDOW], "rcv_window",
				       "%u needs tcp.wscale >= %u (it is %u)", t->rcv_window, need,
				       t->wscale);
	/* A scaled window field counts units of 2^wscale bytes: a window below one unit would be
	 * advertised as 0 to every peer that scales, and nothing could ever be received.  (The
	 * default window, 65,535, is at least one unit at every scale: only a set one is less.) */
	if ((t->rcv_window >> t->wscale) == 0)
		return tt_conf_fail_in(
		    x, x->tcp_line[T_RCV_WINDOW], "rcv_window",
		    "%u is less than one unit of tcp.wscale %u (%u bytes): every "
		    "scaled window would be 0",
		    t->rcv_window, t->wscale, 1u << t->wscale);
	return 0;
}

static int parse_tcp(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	int rc;

	(void)k;
	if (!config_setting_is_group(s))
		return tt_conf_wrong_type(x, s, "a group { ... }");
	rc = tt_conf_walk_group(x, s, tcp_keys, T_N, &((struct tt_conf *)obj)->tcp, x->tcp_line);
	return rc ? rc : check_tcp(x);
}

#define NEIGH_KEY(n, field, lo, hi) UINT_KEY(n, struct tt_conf_neigh, field, lo, hi)

static const struct key neigh_keys[N_N] = {
    [N_ENTRIES] = NEIGH_KEY("entries", entries, 16, TT_CONF_MAX_NEIGH_ENTRIES),
    [N_REACHABLE] = NEIGH_KEY("reachable_ms", reachable_ms, 1000, 3600000),
    [N_RETRANS] = NEIGH_KEY("retrans_ms", retrans_ms, 10, 60000),
    [N_PROBES] = NEIGH_KEY("probes", probes, 1, 10),
    [N_QUEUE_ENTRY] = NEIGH_KEY("queue_per_entry", queue_per_entry, 1, 1024),
    [N_QUEUE_WORKER] = NEIGH_KEY("queue_per_worker", queue_per_worker, 1, 65536),
};

static int parse_neigh(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	struct tt_conf_neigh *n = &((struct tt_conf *)obj)->neigh;
	int rc;

	(void)k;
	if (!config_setting_is_group(s))
		return tt_conf_wrong_type(x, s, "a group { ... }");
	rc = tt_conf_walk_group(x, s, neigh_keys, N_N, n, x->neigh_line);
	if (rc)
		return rc;
	/* A refresh must be able to finish before the entry's life would end a second time. */
	if ((uint64_t)n->retrans_ms * n->probes >= n->reachable_ms)
		return tt_conf_fail_in(
		    x, x->neigh_line[N_RETRANS] ? x->neigh_line[N_RETRANS] : line_of(s),
		    "retrans_ms",
		    "%u * neigh.probes (%u) must be below "
		    "neigh.reachable_ms (%u)",
		    n->retrans_ms, n->probes, n->reachable_ms);
	if (n->queue_per_entry > n->queue_per_worker)
		return tt_conf_fail_in(
		    x, x->neigh_line[N_QUEUE_ENTRY] ? x->neigh_line[N_QUEUE_ENTRY] : line_of(s),
		    "queue_per_entry", "%u is above neigh.queue_per_worker (%u)",
		    n->queue_per_entry, n->queue_per_worker);
	return 0;
}

static const struct key root_keys[R_N] = {
    [R_EAL] = {.name = "eal", .parse = parse_eal},
    [R_STATS] = {.name = "stats_interval_ms", .parse = parse_stats},
    [R_WORKERS] = {.name = "workers", .parse = parse_workers},
    [R_PORTS] = {.name = "ports", .parse = tt_conf_parse_ports, .required = true},
    [R_LISTENERS] = {.name = "listeners", .parse = parse_listeners, .required = true},
    [R_HTTP] = {.name = "http", .parse = parse_http},
    [R_TCP] = {.name = "tcp", .parse = parse_tcp},
    [R_NEIGH] = {.name = "neigh", .parse = parse_neigh},
};

/* Whether some interface (a port, or a VLAN of one) has an IPv6 address. */
static bool any_address6(const struct tt_conf *c)
{
	for (unsigned i = 0; i < c->n_ports; i++) {
		if (c->ports[i].ip.n_addr6 > 0)
			return true;
		for (unsigned v = 0; v < c->ports[i].n_vlans; v++)
			if (c->ports[i].vlans[v].ip.n_addr6 > 0)
				return true;
	}
	return false;
}

/* A listener for IPv6 alone needs an IPv6 address on some interface, or it could never be
 * reached. */
static int check_families(struct ctx *x)
{
	const struct tt_conf *c = &x->conf;

	if (any_address6(c))
		return 0;
	for (unsigned i = 0; i < c->n_listeners; i++) {
		if (c->listeners[i].family != TT_FAMILY_IPV6)
			continue;
		tt_conf_push(x, "listeners", 0);
		tt_conf_push(x, NULL, i);
		return tt_conf_fail_in(x, x->listener_line[i][L_FAMILY], "family",
				       "\"ipv6\" but no port or VLAN has an address6 (listener %u)",
				       c->listeners[i].port);
	}
	return 0;
}

/* Segments of tcp.mss must fit every port: blame mss when set, else the port's mtu. */
static int check_mss(struct ctx *x)
{
	const struct tt_conf *c = &x->conf;
	unsigned i, need = c->tcp.mss + TCPIP_HDR_BYTES;

	for (i = 0; i < c->n_ports; i++) {
		if (c->ports[i].mtu >= need)
			continue;
		if (x->tcp_line[T_MSS])
			return tt_conf_fail_in(x, x->tcp_line[T_MSS], "tcp.mss",
					       "%u exceeds ports[%u].mtu - %u (%u)", c->tcp.mss, i,
					       TCPIP_HDR_BYTES, c->ports[i].mtu - TCPIP_HDR_BYTES);
		tt_conf_push(x, "ports", 0);
		tt_conf_push(x, NULL, i);
		return tt_conf_fail_in(x, x->port_line[i][P_MTU], "mtu",
				       "%u is too small for tcp.mss %u (needs >= %u)",
				       c->ports[i].mtu, c->tcp.mss, need);
	}
	return 0;
}

static int load(struct ctx *x, const char *text)
{
	config_t cfg;
	int rc = tt_conf_prescan(x, text);

	if (rc)
		return rc;
	config_init(&cfg);
	if (!config_read_string(&cfg, text)) {
		rc = tt_conf_fail(x, config_error_line(&cfg), "%s", config_error_text(&cfg));
	} else {
		rc = tt_conf_walk_group(x, config_root_setting(&cfg), root_keys, R_N, &x->conf,
					x->root_line);
		if (!rc)
			rc = check_mss(x);
		if (!rc)
			rc = check_families(x);
		if (!rc && x->running)
			rc = tt_conf_check_fixed(x);
	}
	config_destroy(&cfg);
	return rc;
}

static int load_text(struct tt_conf *c, const struct tt_conf *running, const char *text,
		     const char *name, char *err, size_t errlen)
{
	struct ctx *x;
	int rc;

	if (errlen)
		err[0] = '\0';
	if (!name)
		name = "<string>";
	x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	x->name = name;
	x->err = err;
	x->errlen = errlen;
	x->running = running;
	tt_conf_defaults(&x->conf);
	snprintf(x->conf.path, sizeof(x->conf.path), "%s", name);
	rc = load(x, text);
	if (!rc)
		*c = x->conf;
	free(x);
	return rc;
}

static int load_file(struct tt_conf *c, const struct tt_conf *running, const char *path, char *err,
		     size_t errlen)
{
	char *text = NULL;
	int rc;

	if (strlen(path) >= sizeof(c->path))
		return tt_conf_io_fail(err, errlen, path, "path too long", ENAMETOOLONG);
	rc = tt_conf_read_file(path, &text, err, errlen);
	if (rc)
		return rc;
	rc = load_text(c, running, text, path, err, errlen);
	free(text);
	return rc;
}

int tt_conf_load_string(struct tt_conf *c, const char *text, const char *name, char *err,
			size_t errlen)
{
	return load_text(c, NULL, text, name, err, errlen);
}

int tt_conf_load_file(struct tt_conf *c, const char *path, char *err, size_t errlen)
{
	return load_file(c, NULL, path, err, errlen);
}

int tt_conf_reload_string(struct tt_conf *c, const struct tt_conf *running, const char *text,
			  const char *name, char *err, size_t errlen)
{
	return load_text(c, running, text, name, err, errlen);
}

int tt_conf_reload_file(struct tt_conf *c, const struct tt_conf *running, const char *path,
			char *err, size_t errlen)
{
	return load_file(c, running, path, err, errlen);
}

void tt_conf_defaults(struct tt_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->n_workers = 1;
	c->worker_lcores[0] = 1;
	c->stats_interval_ms = 1000;
	c->http.status = 200;
	c->http.n_headers = 1;
	snprintf(c->http.headers[0], sizeof(c->http.headers[0]), "Content-Type: text/plain");
	c->http.body_size = 64;
	c->http.header_timeout_ms = 10000;
	c->http.body_timeout_ms = 30000;
	c->tcp = (struct tt_conf_tcp){
	    .mss = 1460,
	    .min_peer_mss = 536,
	    .rcv_window = 65535,
	    .wscale = 7,
	    .timestamps = true,
	    .sack = true,
	    .initial_cwnd_segments = 10,
	    .rto_initial_ms = 1000,
	    .rto_min_ms = 200,
	    .rto_max_ms = 60000,
	    .max_retries = 8,
	    .syn_retries = 5,
	    .time_wait_ms = 60000,
	    .fin_wait_2_timeout_ms = 60000,
	    .close_wait_timeout_ms = 60000,
	    .idle_timeout_ms = 300000,
	    .syn_recv_timeout_ms = 30000,
	    .closing_timeout_ms = 60000,
	    .persist_timeout_ms = 60000,
	    .invalid_reply_interval_ms = 500,
	    .delayed_ack_ms = 40,
	    .drain_timeout_ms = 5000,
	    .reload_grace_ms = 60000,
	    .max_conns_per_core = 1048576,
	    .syncookies = TT_SYNCOOKIES_AUTO,
	    .syncookie_threshold = 1024,
	    .cookie_secret_random = true,
	    .max_orphans_per_core = 65536,
	    .orphan_retries = 3,
	    .syn_shed_full_polls = 4,
	};
	c->neigh = (struct tt_conf_neigh){
	    .entries = 1024,
	    .reachable_ms = 30000,
	    .retrans_ms = 1000,
	    .probes = 3,
	    .queue_per_entry = 64,
	    .queue_per_worker = 1024,
	};
}

const char *tt_conf_app_name(enum tt_app_kind k)
{
	return (unsigned)k <= TT_APP_DISCARD ? app_names[k] : "?";
}
