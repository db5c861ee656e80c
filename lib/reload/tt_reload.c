/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration generations of a running appliance; see tt_reload.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_telemetry.h>

#include "tt_reload.h"

/* The body: body_file's content, or body_size bytes of the alphabet repeated (checkable). */
static int read_body(const struct tt_conf_http *h, uint8_t **body, uint32_t *len)
{
	struct stat st;
	FILE *f;
	long sz;
	int fd;

	*body = NULL;
	*len = 0;
	if (h->body_file[0] == '\0') {
		if (h->body_size == 0)
			return 0;
		*body = malloc(h->body_size);
		if (*body == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < h->body_size; i++)
			(*body)[i] = (uint8_t)('a' + i % 26);
		*len = h->body_size;
		return 0;
	}
	/* The loader checked the file; it may have changed since, even into a FIFO whose open
	 * would block the main lcore (O_NONBLOCK): check it again. */
	fd = open(h->body_file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	f = fdopen(fd, "rb");
	if (f == NULL) {
		close(fd);
		return -ENOMEM;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || sz > TT_CONF_MAX_BODY_BYTES) {
		fclose(f);
		return -EFBIG;
	}
	rewind(f);
	*body = malloc(sz > 0 ? (size_t)sz : 1);
	if (*body == NULL || fread(*body, 1, (size_t)sz, f) != (size_t)sz) {
		fclose(f);
		free(*body);
		*body = NULL;
		return -EIO;
	}
	fclose(f);
	*len = (uint32_t)sz;
	return 0;
}

int tt_reload_http_response(const struct tt_conf_http *h, struct tt_http_response *r)
{
	const char *hdrs[TT_CONF_MAX_HTTP_HEADERS];
	uint8_t *body;
	uint32_t len;
	int rc = read_body(h, &body, &len);

	if (rc != 0)
		return rc;
	for (unsigned i = 0; i < h->n_headers; i++)
		hdrs[i] = h->headers[i];
	rc = tt_http_response_build(r, h->status, hdrs, h->n_headers, body, len);
	free(body);
	r->header_timeout_ms = h->header_timeout_ms;
	r->body_timeout_ms = h->body_timeout_ms;
	return rc;
}

struct tt_reload_gen *tt_reload_gen_create(const struct tt_conf *c, uint32_t gen)
{
	struct tt_reload_gen *g = calloc(1, sizeof(*g));
	int rc;

	if (g == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	g->conf = *c;
	rc = tt_reload_http_response(&c->http, &g->http);
	if (rc != 0) {
		free(g);
		errno = -rc;
		return NULL;
	}
	for (unsigned i = 0; i < c->n_listeners; i++) {
		const struct tt_conf_listener *l = &c->listeners[i];

		g->listen_app[l->port] =
		    (uint8_t)((l->app + 1) | (l->family == TT_FAMILY_IPV4 ? TT_LISTEN_NO_IPV6 : 0) |
			      (l->family == TT_FAMILY_IPV6 ? TT_LISTEN_NO_IPV4 : 0));
	}
	g->rt = (struct tt_stack_rt){
	    .gen = gen, .conf = &g->conf.tcp, .listen_app = g->listen_app, .app_data = &g->http};
	return g;
}

void tt_reload_gen_free(struct tt_reload_gen *g)
{
	if (g == NULL)
		return;
	tt_http_response_free(&g->http);
	free(g);
}

int tt_reload_set_push(struct tt_reload_set *s, struct tt_reload_gen *g)
{
	if (s->n == TT_STACK_RT_GENS)
		return -EBUSY;
	s->gens[s->n] = g;
	__atomic_store_n(&s->latest_gen, g->rt.gen, __ATOMIC_RELAXED);
	__atomic_store_n(&s->n, s->n + 1, __ATOMIC_RELAXED);
	return 0;
}

struct tt_reload_gen *tt_reload_set_latest(const struct tt_reload_set *s)
{
	return s->n ? s->gens[s->n - 1] : NULL;
}

unsigned tt_reload_set_release(struct tt_reload_set *s, uint32_t oldest_in_use)
{
	unsigned k = 0;

	while (k + 1 < s->n && (int32_t)(s->gens[k]->rt.gen - oldest_in_use) < 0)
		tt_reload_gen_free(s->gens[k++]);
	memmove(s->gens, s->gens + k, (s->n - k) * sizeof(s->gens[0]));
	__atomic_store_n(&s->n, s->n - k, __ATOMIC_RELAXED);
	return k;
}

void tt_reload_set_free(struct tt_reload_set *s)
{
	for (unsigned i = 0; i < s->n; i++)
		tt_reload_gen_free(s->gens[i]);
	s->n = 0;
}

/*
 * The telemetry mailbox.  DPDK 22.11 telemetry callbacks take no user argument and run on the
 * telemetry thread: a request is a ticket (tm_requested); the main lcore takes every ticket
 * issued so far at once (tm_taken), reloads, and publishes the outcome with tm_done = the
 * tickets it served.  Each outcome that served tickets goes into a ring of the last
 * TM_OUTCOMES with the tickets it answers, so a requester reads its own reload's, not the one of
 * a SIGHUP or of a later request that finished before it woke.  The ring is copied under a mutex
 * (control plane only).
 */
enum { TM_WAIT_MS = 30000, TM_OUTCOMES = 8 };
static uint64_t tm_requested, tm_done, tm_taken;
static pthread_mutex_t tm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tm_outcome {
	uint64_t first, last; /* the tickets it served (none: 0, 0) */
	bool applied;
	char msg[RTE_TEL_MAX_STRING_LEN];
} tm_outcomes[TM_OUTCOMES];
static unsigned tm_next;
static struct tt_reload_set *tm_set;

bool tt_reload_telemetry_pending(void)
{
	uint64_t req = __atomic_load_n(&tm_requested, __ATOMIC_ACQUIRE);

	if (req == tm_taken)
		return false;
	tm_taken = req;
	return true;
}

void tt_reload_outcome(struct tt_reload_set *s, bool applied, const char *msg)
{
	uint64_t done = __atomic_load_n(&tm_done, __ATOMIC_RELAXED); /* ours to write */
	struct tm_outcome *o;

	__atomic_fetch_add(applied ? &s->applied : &s->refused, 1, __ATOMIC_RELAXED);
	if (tm_taken == done)
		return; /* no request waits for this one (SIGHUP) */
	pthread_mutex_lock(&tm_lock);
	o = &tm_outcomes[tm_next++ % TM_OUTCOMES];
	o->first = done + 1;
	o->last = tm_taken;
	o->applied = applied;
	snprintf(o->msg, sizeof(o->msg), "%s", msg);
	pthread_mutex_unlock(&tm_lock);
	__atomic_store_n(&tm_done, tm_taken, __ATOMIC_RELEASE);
}

uint64_t tt_reload_telemetry_request(void)
{
	return __atomic_add_fetch(&tm_requested, 1, __ATOMIC_ACQ_REL);
}

int tt_reload_telemetry_wait(uint64_t ticket, unsigned timeout_ms, bool *applied, char *msg,
			     size_t len)
{
	int rc = -ENOENT;

	for (unsigned ms = 0; __atomic_load_n(&tm_done, __ATOMIC_ACQUIRE) < ticket; ms += 10) {
		if (ms >= timeout_ms)
			return -ETIMEDOUT;
		usleep(10 * 1000);
	}
	pthread_mutex_lock(&tm_lock);
	for (unsigned i = 0; i < TM_OUTCOMES; i++) {
		const struct tm_outcome *o = &tm_outcomes[i];

		if (o->first <= ticket && ticket <= o->last) {
			*applied = o->applied;
			snprintf(msg, len, "%s", o->msg);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&tm_lock);
	return rc;
}

static void add_counts(struct rte_tel_data *d)
{
	rte_tel_data_add_dict_u64(d, "reloads_applied",
				  __atomic_load_n(&tm_set->applied, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "reloads_refused",
				  __atomic_load_n(&tm_set->refused, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "generation",
				  __atomic_load_n(&tm_set->latest_gen, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "generations_alive",
				  __atomic_load_n(&tm_set->n, __ATOMIC_RELAXED));
}

static int tm_reload(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char msg[RTE_TEL_MAX_STRING_LEN];
	bool applied;
	int rc;

	(void)cmd;
	(void)params;
	rc = tt_reload_telemetry_wait(tt_reload_telemetry_request(), TM_WAIT_MS, &applied, msg,
				      sizeof(msg));
	if (rc != 0)
		return rc;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "outcome", applied ? "applied" : "refused");
	rte_tel_data_add_dict_string(d, "message", msg);
	add_counts(d);
	return 0;
}

static int tm_reloads(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	add_counts(d);
	return 0;
}

int tt_reload_telemetry_init(struct tt_reload_set *s)
{
	tm_set = s;
	if (rte_telemetry_register_cmd("/tcpterm/reload", tm_reload,
				       "Re-read the configuration file (as SIGHUP) and answer with "
				       "the outcome") != 0 ||
	    rte_telemetry_register_cmd("/tcpterm/reloads", tm_reloads,
				       "Reloads applied and refused, the generation in force") != 0)
		return -EINVAL;
	return 0;
}
