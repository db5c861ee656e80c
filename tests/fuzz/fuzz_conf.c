/*
 * libFuzzer harness for tt_conf_load_string(): the input is the text of a configuration file.
 * A load either fails with one "name:line: ... problem" line, leaving the caller's struct as it
 * was, or fills a struct that keeps the invariants tt_conf.h promises: the data path reads those
 * fields without checking them again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tt_conf.h"

#define NAME "fuzz.conf"

enum { POISON = 0xa5 };

static bool all_bytes(const void *p, size_t n, uint8_t v)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

static unsigned n_lines(const char *text)
{
	unsigned n = 1;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void check_error(const char *text, const char *err)
{
	const char *p = err + strlen(NAME ":");
	char *end;
	unsigned long line;

	FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
	line = strtoul(p, &end, 10);
	FUZZ_CHECK(end > p && end[0] == ':' && end[1] == ' ' && end[2] != '\0');
	FUZZ_CHECK(line >= 1 && line <= n_lines(text));
}

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_conf(const struct tt_conf *c)
{
	const struct tt_conf_tcp *t = &c->tcp;

	FUZZ_CHECK(strcmp(c->path, NAME) == 0);
	FUZZ_CHECK(c->n_eal_args <= TT_CONF_MAX_EAL_ARGS);
	for (unsigned i = 0; i < c->n_eal_args; i++)
		FUZZ_CHECK(terminated(c->eal_args[i], sizeof(c->eal_args[i])) && c->eal_args[i][0]);
	FUZZ_CHECK(c->n_ports >= 1 && c->n_ports <= TT_CONF_MAX_PORTS);
	for (unsigned i = 0; i < c->n_ports; i++) {
		const struct tt_conf_port *p = &c->ports[i];

		FUZZ_CHECK(terminated(p->name, sizeof(p->name)) && p->name[0]);
		FUZZ_CHECK(terminated(p->devargs, sizeof(p->devargs)) && p->devargs[0]);
		FUZZ_CHECK(p->ip.prefix_len >= 1 && p->ip.prefix_len <= 32);
		FUZZ_CHECK(t->mss + 40u <= p->mtu);
		FUZZ_CHECK(p->rx_desc && !(p->rx_desc & (p->rx_desc - 1)));
		FUZZ_CHECK(p->tx_desc && !(p->tx_desc & (p->tx_desc - 1)));
		for (unsigned j = 0; j < i; j++) {
			FUZZ_CHECK(strcmp(p->name, c->ports[j].name) != 0);
			FUZZ_CHECK(p->ip.addr != c->ports[j].ip.addr);
		}
	}
	FUZZ_CHECK(c->n_workers >= 1 && c->n_workers <= TT_CONF_MAX_WORKERS);
	for (unsigned i = 0; i < c->n_workers; i++)
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(c->worker_lcores[i] != c->worker_lcores[j]);
	FUZZ_CHECK(c->n_listeners >= 1 && c->n_listeners <= TT_CONF_MAX_LISTENERS);
	for (unsigned i = 0; i < c->n_listeners; i++) {
		FUZZ_CHECK(c->listeners[i].port != 0);
		FUZZ_CHECK(c->listeners[i].app <= TT_APP_DISCARD);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(c->listeners[i].port != c->listeners[j].port);
	}
	FUZZ_CHECK(c->http.n_headers <= TT_CONF_MAX_HTTP_HEADERS);
	for (unsigned i = 0; i < c->http.n_headers; i++)
		FUZZ_CHECK(terminated(c->http.headers[i], sizeof(c->http.headers[i])));
	FUZZ_CHECK(c->http.body_size <= TT_CONF_MAX_BODY_BYTES);
	FUZZ_CHECK(t->min_peer_mss <= t->mss);
	FUZZ_CHECK(t->rto_min_ms <= t->rto_initial_ms && t->rto_initial_ms <= t->rto_max_ms);
	FUZZ_CHECK(t->wscale <= 14 && (t->rcv_window >> t->wscale) <= UINT16_MAX);
	FUZZ_CHECK(t->syncookie_threshold <= t->max_conns_per_core);
	FUZZ_CHECK(t->syncookies <= TT_SYNCOOKIES_ALWAYS);
	FUZZ_CHECK(!t->cookie_secret_random || all_bytes(t->cookie_secret, 16, 0));
	FUZZ_CHECK(c->stats_interval_ms == 0 ||
		   (c->stats_interval_ms >= 100 && c->stats_interval_ms <= 3600000));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tt_conf c;
	char err[512], short_err[48];
	size_t short_len = 1 + size % sizeof(short_err);
	char *text = malloc(size + 1);
	int rc;

	FUZZ_CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&c, POISON, sizeof(c));
	rc = tt_conf_load_string(&c, text, NAME, err, sizeof(err));
	if (rc == 0) {
		check_conf(&c);
	} else {
		FUZZ_CHECK(rc == -EINVAL || rc == -ENOMEM);
		FUZZ_CHECK(all_bytes(&c, sizeof(c), POISON));
		check_error(text, err);
		/* A short buffer gets the start of the same message, always terminated. */
		FUZZ_CHECK(tt_conf_load_string(&c, text, NAME, short_err, short_len) == rc);
		FUZZ_CHECK(terminated(short_err, short_len));
		FUZZ_CHECK(strncmp(err, short_err, short_len - 1) == 0);
		FUZZ_CHECK(all_bytes(&c, sizeof(c), POISON));
	}
	free(text);
	return 0;
}
