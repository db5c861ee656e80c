/* The connection listing, answered by the workers through mailboxes; see tt_connlist.h. */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tt_connlist.h"

void tt_connlist_mbox_init(struct tt_connlist_mbox *mb, uint16_t worker)
{
	memset(mb, 0, sizeof(*mb));
	mb->worker = worker;
	__atomic_store_n(&mb->state, TT_CONNLIST_IDLE, __ATOMIC_RELEASE);
}

/* ---- the worker's walk ---------------------------------------------------------------------- */

static bool ep_port_match(const struct tt_connlist_ep *e, uint16_t port)
{
	return !e->has_port || e->port == port;
}

/*
 * One side of a connection: addr/port of the table key (IPv4), or the port of the key and
 * the address a6 (IPv6: the key holds a hash where IPv4 has addresses).
 */
static bool ep_match(const struct tt_connlist_ep *e, uint32_t addr, const uint8_t *a6,
		     uint16_t port)
{
	if (!ep_port_match(e, port))
		return false;
	if (a6 != NULL)
		return !e->has_addr && (!e->has_addr6 || memcmp(e->addr6, a6, 16) == 0);
	return !e->has_addr6 && (!e->has_addr || e->addr == addr);
}

/*
 * A flow's saddr/sport is the peer, daddr/dport us (tt_flow4.h).  a6: the connection's IPv6
 * addresses, or NULL for IPv4.
 */
static bool flow_match(const struct tt_connlist_req *q, const struct tt_flow4 *k,
		       const struct tt_addr6_pair *a6)
{
	const uint8_t *ours = a6 ? a6->daddr : NULL, *theirs = a6 ? a6->saddr : NULL;

	return ep_match(&q->local, k->daddr, ours, k->dport) &&
	       ep_match(&q->remote, k->saddr, theirs, k->sport) &&
	       (ep_match(&q->any, k->daddr, ours, k->dport) ||
		ep_match(&q->any, k->saddr, theirs, k->sport));
}

/* Whether a side of the request names an address: an IPv4 one (v6 false) or an IPv6 one. */
static bool req_has_addr(const struct tt_connlist_req *q, bool v6)
{
	const struct tt_connlist_ep *e[] = {&q->local, &q->remote, &q->any};

	for (unsigned i = 0; i < 3; i++)
		if (v6 ? e[i]->has_addr6 : e[i]->has_addr)
			return true;
	return false;
}

/*
 * Whether the connection of table key k and value matches.  The key holds IPv4 addresses,
 * and a hash of the addresses of an IPv6 connection: a request without IPv6 addresses is
 * decided on the key alone but for one read that confirms an IPv4 address match is no IPv6
 * connection; one with IPv6 addresses needs the connection's addresses.  *reads counts the
 * connections read.
 */
static bool conn_match(const struct tt_connlist_req *q, const struct tt_stack *st,
		       const struct tt_flow4 *k, uint32_t value, unsigned *reads)
{
	const struct tt_addr6_pair *a6;

	if (!req_has_addr(q, true)) {
		if (!flow_match(q, k, NULL))
			return false;
		if (!req_has_addr(q, false))
			return true;
		++*reads;
		return tt_stack_conn_addr6(st, value) == NULL;
	}
	++*reads;
	a6 = tt_stack_conn_addr6(st, value);
	return a6 != NULL && flow_match(q, k, a6);
}

struct step {
	struct tt_connlist_mbox *mb;
	const struct tt_stack *st;
	unsigned reads;
};

/* The address filter needs the table key, and a read of the connection as conn_match says;
 * the state costs one read (the same one, if conn_match made it). */
static void visit(const struct tt_flow4 *k, uint32_t value, void *arg)
{
	struct step *s = arg;
	struct tt_connlist_mbox *mb = s->mb;
	struct tt_connlist_answer *a = &mb->ans;
	enum tt_tcp_state state;
	unsigned reads = s->reads;

	if (!conn_match(&mb->req, s->st, k, value, &s->reads))
		return;
	if (s->reads == reads)
		s->reads++;
	state = tt_stack_conn_state(s->st, value);
	if (mb->req.states != 0 && !(mb->req.states & (1u << state)))
		return;
	a->matched++;
	if (a->n >= mb->req.limit)
		return;
	tt_stack_conn_describe(s->st, k, value, &a->rows[a->n].c);
	a->rows[a->n].worker = mb->worker;
	a->n++;
}

bool tt_connlist_serve(struct tt_connlist_mbox *mb, const struct tt_stack *st)
{
	uint32_t state = __atomic_load_n(&mb->state, __ATOMIC_ACQUIRE);
	struct step s = {.mb = mb, .st = st};

	if (state == TT_CONNLIST_POSTED) {
		/* Fails if the asker cancelled meanwhile. */
		if (!__atomic_compare_exchange_n(&mb->state, &state, TT_CONNLIST_TAKEN, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return false;
		mb->cursor = 0;
		mb->ans.matched = 0;
		mb->ans.n = 0;
	} else if (state != TT_CONNLIST_TAKEN) {
		return false;
	}
	/* Slot by slot, so that the read budget holds exactly (a slot holds one connection). */
	for (unsigned slots = 0;
	     slots < TT_CONNLIST_SLOTS_PER_STEP && s.reads < TT_CONNLIST_READS_PER_STEP; slots++) {
		mb->cursor = tt_stack_walk(st, mb->cursor, 1, visit, &s);
		if (mb->cursor == 0) {
			__atomic_store_n(&mb->state, TT_CONNLIST_DONE, __ATOMIC_RELEASE);
			break;
		}
	}
	return true;
}

/* ---- parameters ----------------------------------------------------------------------------- */

/* A message about a token, which is echoed only in characters safe in any reply (JSON). */
static int bad(char *err, size_t len, const char *what, const char *tok)
{
	char safe[33];
	size_t i;

	for (i = 0; tok[i] != '\0' && i + 1 < sizeof(safe); i++)
		safe[i] =
		    isalnum((unsigned char)tok[i]) || strchr("._:-*[]", tok[i]) ? tok[i] : '?';
	safe[i] = '\0';
	snprintf(err, len, "%s: '%s'", what, safe);
	return -EINVAL;
}

static int parse_state(const char *v, uint32_t *states)
{
	char name[16];
	size_t i;

	for (i = 0; v[i] != '\0' && i + 1 < sizeof(name); i++)
		name[i] = v[i] == '-' ? '_' : (char)tolower((unsigned char)v[i]);
	if (v[i] != '\0')
		return -EINVAL;
	name[i] = '\0';
	for (unsigned s = 0; s < TT_TCP_NSTATES; s++) {
		if (strcmp(name, tt_tcp_state_names[s]) == 0) {
			*states |= 1u << s;
			return 0;
		}
	}
	return -EINVAL;
}

/* Decimal digits only, at most max. */
static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	unsigned long n = 0;

	if (*v == '\0')
		return -EINVAL;
	for (; *v != '\0'; v++) {
		if (!isdigit((unsigned char)*v))
			return -EINVAL;
		n = n * 10 + (unsigned long)(*v - '0');
		if (n > max)
			return -EINVAL;
	}
	*out = n;
	return 0;
}

/* A.B.C.D, A.B.C.D:PORT, IPV6, [IPV6], [IPV6]:PORT or :PORT (port 1..65535). */
static int parse_ep(char *v, struct tt_connlist_ep *e)
{
	char *addr = v, *port = NULL, *close;
	struct in_addr a;
	unsigned long n;

	if (*v == '[') {
		close = strchr(v, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -EINVAL;
		*close = '\0';
		addr = v + 1;
		port = close[1] == ':' ? close + 2 : NULL;
		if (inet_pton(AF_INET6, addr, e->addr6) != 1)
			return -EINVAL;
		e->has_addr6 = true;
	} else if (strchr(v, ':') != strrchr(v, ':')) { /* two colons or more: a bare IPv6 */
		if (inet_pton(AF_INET6, v, e->addr6) != 1)
			return -EINVAL;
		e->has_addr6 = true;
	} else {
		port = strchr(v, ':');
		if (port != NULL)
			*port++ = '\0';
		if (*addr == '\0' && port == NULL)
			return -EINVAL;
		if (*addr != '\0') {
			if (inet_pton(AF_INET, addr, &a) != 1)
				return -EINVAL;
			e->addr = ntohl(a.s_addr);
			e->has_addr = true;
		}
	}
	if (port != NULL) {
		if (parse_uint(port, 65535, &n) != 0 || n == 0)
			return -EINVAL;
		e->port = (uint16_t)n;
		e->has_port = true;
	}
	return 0;
}

static int parse_pair(char *key, char *val, struct tt_connlist_req *req, unsigned *seen, char *err,
		      size_t len)
{
	static const char *const keys[] = {"state", "addr", "local", "remote", "limit"};
	struct tt_connlist_ep *eps[] = {NULL, &req->any, &req->local, &req->remote, NULL};
	unsigned long limit;
	unsigned k;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]) && strcmp(key, keys[k]) != 0; k++)
		;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return bad(err, len, "unknown key (state, addr, local, remote, limit)", key);
	if (k != 0 && (*seen & (1u << k)))
		return bad(err, len, "key given twice", key);
	*seen |= 1u << k;
	if (k == 0)
		return parse_state(val, &req->states) == 0
			   ? 0
			   : bad(err, len, "unknown state (established, time_wait, ...)", val);
	if (eps[k] != NULL) {
		char copy[TT_CONNLIST_PARAMS_MAX];

		snprintf(copy, sizeof(copy), "%s", val);
		return parse_ep(val, eps[k]) == 0
			   ? 0
			   : bad(err, len,
				 "address not A.B.C.D[:PORT], IPV6, [IPV6][:PORT] or :PORT", copy);
	}
	if (parse_uint(val, TT_CONNLIST_MAX, &limit) != 0)
		return bad(err, len, "limit not 0..75", val);
	req->limit = (uint32_t)limit;
	return 0;
}

int tt_connlist_parse(const char *params, struct tt_connlist_req *req, char *err, size_t err_len)
{
	char buf[TT_CONNLIST_PARAMS_MAX];
	unsigned seen = 0;
	char *tok, *next;

	static_assert(TT_CONNLIST_MAX == 75, "the limit's message names the bound");
	memset(req, 0, sizeof(*req));
	req->limit = TT_CONNLIST_DEFAULT;
	if (params == NULL || params[0] == '\0')
		return 0;
	if (strlen(params) >= sizeof(buf)) {
		snprintf(err, err_len, "parameters longer than %d bytes",
			 TT_CONNLIST_PARAMS_MAX - 1);
		return -EINVAL;
	}
	strcpy(buf, params);
	for (tok = buf; tok != NULL; tok = next) {
		char *eq;
		int rc;

		next = strchr(tok, ',');
		if (next != NULL)
			*next++ = '\0';
		eq = strchr(tok, '=');
		if (eq == NULL || eq == tok || eq[1] == '\0')
			return bad(err, err_len, "not key=value", tok);
		*eq = '\0';
		rc = parse_pair(tok, eq + 1, req, &seen, err, err_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- the asker ------------------------------------------------------------------------------ */

bool tt_connlist_post(struct tt_connlist_mbox *mb, const struct tt_connlist_req *req)
{
	uint32_t state = __atomic_load_n(&mb->state, __ATOMIC_ACQUIRE);

	if (state == TT_CONNLIST_DONE) /* the answer to a query that gave up waiting */
		state = TT_CONNLIST_IDLE;
	if (state != TT_CONNLIST_IDLE)
		return false;
	mb->req = *req;
	__atomic_store_n(&mb->state, TT_CONNLIST_POSTED, __ATOMIC_RELEASE);
	return true;
}

bool tt_connlist_take_answer(struct tt_connlist_mbox *mb, uint32_t limit,
			     struct tt_connlist_reply *r)
{
	const struct tt_connlist_answer *a = &mb->ans;

	if (__atomic_load_n(&mb->state, __ATOMIC_ACQUIRE) != TT_CONNLIST_DONE)
		return false;
	r->all.matched += a->matched;
	for (uint32_t i = 0; i < a->n && r->all.n < limit; i++)
		r->all.rows[r->all.n++] = a->rows[i];
	r->answered++;
	__atomic_store_n(&mb->state, TT_CONNLIST_IDLE, __ATOMIC_RELEASE);
	return true;
}

void tt_connlist_cancel(struct tt_connlist_mbox *mb)
{
	uint32_t posted = TT_CONNLIST_POSTED;

	__atomic_compare_exchange_n(&mb->state, &posted, TT_CONNLIST_IDLE, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void tt_connlist_query(struct tt_connlist_mbox *const *mb, unsigned n,
		       const struct tt_connlist_req *req, unsigned timeout_ms,
		       struct tt_connlist_reply *r)
{
	const struct timespec nap = {.tv_nsec = 100 * 1000};
	uint64_t deadline = mono_us() + (uint64_t)timeout_ms * 1000;
	uint64_t waiting = 0;

	memset(r, 0, sizeof(*r));
	if (n > TT_CONNLIST_MAX_WORKERS)
		n = TT_CONNLIST_MAX_WORKERS;
	r->workers = n;
	for (unsigned w = 0; w < n; w++) {
		if (tt_connlist_post(mb[w], req))
			waiting |= UINT64_C(1) << w;
		else
			r->silent |= UINT64_C(1) << w; /* still busy with an abandoned request */
	}
	/* Answers are merged in worker order, so that the rows listed are the same whichever
	 * worker finishes first. */
	for (unsigned next = 0; next < n;) {
		if (!(waiting & (UINT64_C(1) << next))) {
			next++;
		} else if (tt_connlist_take_answer(mb[next], req->limit, r)) {
			waiting &= ~(UINT64_C(1) << next);
			next++;
		} else if (mono_us() >= deadline) {
			break;
		} else {
			nanosleep(&nap, NULL);
		}
	}
	for (unsigned w = 0; w < n; w++) {
		if (!(waiting & (UINT64_C(1) << w)))
			continue;
		if (!tt_connlist_take_answer(mb[w], req->limit, r)) {
			tt_connlist_cancel(mb[w]);
			r->silent |= UINT64_C(1) << w;
		}
	}
}
