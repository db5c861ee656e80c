#define _GNU_SOURCE /* PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_telemetry.h>

#include "tt_stats.h"

void tt_stats_collect(struct tt_worker *const *workers, unsigned n, struct tt_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned w = 0; w < n; w++) {
		const struct tt_worker *wk = workers[w];

		for (unsigned i = 0; i < TT_DROP_COUNT; i++)
			s->sum.drop[i] += wk->ctr.drop[i];
		for (unsigned i = 0; i < TT_CTR_COUNT; i++)
			s->sum.ev[i] += wk->ctr.ev[i];
		for (unsigned i = 0; i < TT_TCP_NSTATES; i++) {
			s->conns[i] += (int64_t)tt_stack_state_counts(wk->stack)[i];
			s->conns6[i] += (int64_t)tt_stack_state_counts6(wk->stack)[i];
		}
		unsigned parked = tt_spares_parked(&wk->spares);
		unsigned in_use = rte_mempool_in_use_count(wk->pool);

		/* Parked buffers are free.  The two reads are not one instant: a step parked or
		 * given back between them shows in one sample as that many more or fewer in use. */
		s->mbufs_in_use += in_use > parked ? in_use - parked : 0;
		s->mbufs_parked += parked;
		s->rx_bufs_held += tt_stack_held_bufs(wk->stack);
		s->busy_cycles += wk->busy_cycles;
		s->idle_cycles += wk->idle_cycles;
		s->port_rx_cycles += wk->port_rx_cycles;
		s->port_tx_cycles += wk->port_tx_cycles;
		s->idle_port_rx_cycles += wk->idle_port_rx_cycles;
	}
	for (unsigned i = 0; i < TT_TCP_NSTATES; i++) {
		s->conns_total += (uint64_t)s->conns[i];
		s->conns_total6 += (uint64_t)s->conns6[i];
	}
}

static uint64_t drops_total(const struct tt_stats *s)
{
	uint64_t d = 0;

	for (unsigned i = 0; i < TT_DROP_COUNT; i++)
		d += s->sum.drop[i];
	return d;
}

/* cur - prev of a total that can read lower (a port whose statistics could not be read added
 * nothing to it this time): 0 then, not a wrapped difference. */
static uint64_t delta(uint64_t cur, uint64_t prev)
{
	return cur > prev ? cur - prev : 0;
}

static uint64_t rate(uint64_t cur, uint64_t prev, uint64_t interval_ms)
{
	return interval_ms ? delta(cur, prev) * 1000 / interval_ms : 0;
}

void tt_stats_print_line(FILE *f, const struct tt_stats *cur, const struct tt_stats *prev,
			 uint64_t interval_ms)
{
	const uint64_t *c = cur->sum.ev, *p = prev->sum.ev;
	uint64_t busy = cur->busy_cycles - prev->busy_cycles;
	uint64_t all = busy + cur->idle_cycles - prev->idle_cycles;

	fprintf(f,
		"rx %" PRIu64 "/s tx %" PRIu64 "/s | conn/s %" PRIu64 " req/s %" PRIu64
		" | estab %" PRId64 " syn_recv %" PRId64 " time_wait %" PRId64 " other %" PRId64
		" | cookies %" PRIu64 "/s | drops %" PRIu64,
		rate(c[TT_CTR_RX_PACKETS], p[TT_CTR_RX_PACKETS], interval_ms),
		rate(c[TT_CTR_TX_PACKETS], p[TT_CTR_TX_PACKETS], interval_ms),
		rate(c[TT_CTR_CONN_OPENED], p[TT_CTR_CONN_OPENED], interval_ms),
		rate(c[TT_CTR_HTTP_REQUESTS], p[TT_CTR_HTTP_REQUESTS], interval_ms),
		cur->conns[TT_TCP_ESTABLISHED], cur->conns[TT_TCP_SYN_RECEIVED],
		cur->conns[TT_TCP_TIME_WAIT],
		(int64_t)cur->conns_total - cur->conns[TT_TCP_ESTABLISHED] -
		    cur->conns[TT_TCP_SYN_RECEIVED] - cur->conns[TT_TCP_TIME_WAIT],
		rate(c[TT_CTR_SYNCOOKIES_SENT], p[TT_CTR_SYNCOOKIES_SENT], interval_ms),
		drops_total(cur) - drops_total(prev));
	tt_stats_print_nic_part(f, cur, prev, interval_ms);
	fprintf(f, " | busy %.1f%%\n", all ? 100.0 * (double)busy / (double)all : 0.0);
	fflush(f);
}

void tt_stats_print_all(FILE *f, const struct tt_stats *s)
{
	fprintf(f, "connections: total %" PRIu64 "\n", s->conns_total);
	for (unsigned i = 0; i < TT_TCP_NSTATES; i++) {
		char name6[32];

		snprintf(name6, sizeof(name6), "%s_ipv6", tt_tcp_state_names[i]);
		fprintf(f, "  conns_%-22s %" PRId64 "\n  conns_%-22s %" PRId64 "\n",
			tt_tcp_state_names[i], s->conns[i], name6, s->conns6[i]);
	}
	fprintf(f, "counters:\n");
	for (unsigned i = 0; i < TT_CTR_COUNT; i++)
		fprintf(f, "  %-28s %" PRIu64 "\n", tt_counter_names[i], s->sum.ev[i]);
	fprintf(f, "drops: total %" PRIu64 "\n", drops_total(s));
	for (unsigned i = 0; i < TT_DROP_COUNT; i++)
		if (s->sum.drop[i] != 0)
			fprintf(f, "  drop_%-23s %" PRIu64 "\n", tt_drop_names[i], s->sum.drop[i]);
	fprintf(f, "  mbufs_in_use                 %" PRIu64 "\n", s->mbufs_in_use);
	fprintf(f, "  mbufs_parked                 %" PRIu64 "\n", s->mbufs_parked);
	fprintf(f, "  rx_bufs_held                 %" PRIu64 "\n", s->rx_bufs_held);
	fprintf(f, "cycles: busy %" PRIu64 " idle %" PRIu64 " tsc_hz %" PRIu64 "\n", s->busy_cycles,
		s->idle_cycles, rte_get_tsc_hz());
	fprintf(f, "  port_rx_cycles               %" PRIu64 "\n", s->port_rx_cycles);
	fprintf(f, "  port_tx_cycles               %" PRIu64 "\n", s->port_tx_cycles);
	fprintf(f, "  idle_port_rx_cycles          %" PRIu64 "\n", s->idle_port_rx_cycles);
	tt_stats_print_nic_all(f, s);
	fflush(f);
}

/*
 * Telemetry callbacks take no user argument in DPDK 22.11, so the worker
 * list they read is kept here; it is written once before the workers
 * start and only read afterwards.
 */
static struct tt_worker *const *tm_workers;
static unsigned tm_n_workers;

/*
 * The ports are closed and the workers freed at exit while a telemetry client may still ask:
 * every callback that reads them holds this lock for reading, and tt_stats_telemetry_stop
 * takes it for writing once, after which callbacks answer {"error": ...} instead of reading
 * freed memory.  The lock prefers its writer (glibc's default lets new readers in while a writer
 * waits, and a client asking for connection listings in a loop, each held up to their timeout,
 * would keep the process from ever closing its ports).
 */
static pthread_rwlock_t tm_workers_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static bool tm_stopped;

/* Holds the workers and ports for reading; false (lock not held, d filled with the error) once
 * stopped. */
static bool tm_workers_hold(struct rte_tel_data *d)
{
	pthread_rwlock_rdlock(&tm_workers_lock);
	if (!tm_stopped)
		return true;
	pthread_rwlock_unlock(&tm_workers_lock);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", "stopping: the workers and ports are gone");
	return false;
}

static void tm_workers_release(void)
{
	pthread_rwlock_unlock(&tm_workers_lock);
}

/* The cycle counters of each worker that /tcpterm/workers gives, an array each. */
static const struct {
	const char *name;
	size_t offset; /* of the uint64_t in struct tt_worker */
} worker_cycles[] = {
    {"busy_cycles", offsetof(struct tt_worker, busy_cycles)},
    {"idle_cycles", offsetof(struct tt_worker, idle_cycles)},
    {"port_rx_cycles", offsetof(struct tt_worker, port_rx_cycles)},
    {"port_tx_cycles", offsetof(struct tt_worker, port_tx_cycles)},
    {"idle_port_rx_cycles", offsetof(struct tt_worker, idle_port_rx_cycles)},
};

static void free_all(struct rte_tel_data **arrays, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		rte_tel_data_free(arrays[k]);
}

/*
 * Each worker's busy and idle cycles and, of the busy ones, those in the ports' calls: arrays
 * indexed by worker, with the TSC at the sample.  (Kept out of /tcpterm/stats, whose values are
 * all plain counters.)
 */
static int tm_workers_cycles(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *arrays[RTE_DIM(worker_cycles)];
	const unsigned n = RTE_DIM(worker_cycles);

	(void)cmd;
	(void)params;
	for (unsigned k = 0; k < n; k++)
		arrays[k] = rte_tel_data_alloc();
	for (unsigned k = 0; k < n; k++) {
		if (arrays[k] == NULL) {
			free_all(arrays, n);
			return -ENOMEM;
		}
	}
	if (!tm_workers_hold(d)) {
		free_all(arrays, n);
		return 0;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "tsc", rte_rdtsc());
	for (unsigned k = 0; k < n; k++)
		rte_tel_data_start_array(arrays[k], RTE_TEL_U64_VAL);
	for (unsigned w = 0; w < tm_n_workers; w++) {
		const char *wk = (const char *)tm_workers[w];

		for (unsigned k = 0; k < n; k++)
			rte_tel_data_add_array_u64(
			    arrays[k], *(const uint64_t *)(wk + worker_cycles[k].offset));
	}
	tm_workers_release();
	for (unsigned k = 0; k < n; k++)
		if (rte_tel_data_add_dict_container(d, worker_cycles[k].name, arrays[k], 0) != 0)
			rte_tel_data_free(arrays[k]);
	return 0;
}

/*
 * "tsc" is when the sample was taken (the TSC every core and process on the machine shares),
 * so that a benchmark can take the deltas between two samples over exactly its load window.
 */
static int tm_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tt_stats s;

	(void)cmd;
	(void)params;
	if (!tm_workers_hold(d))
		return 0;
	tt_stats_collect(tm_workers, tm_n_workers, &s);
	tm_workers_release();
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "tsc", rte_rdtsc());
	rte_tel_data_add_dict_u64(d, "tsc_hz", rte_get_tsc_hz());
	for (unsigned i = 0; i < TT_CTR_COUNT; i++)
		rte_tel_data_add_dict_u64(d, tt_counter_names[i], s.sum.ev[i]);
	rte_tel_data_add_dict_u64(d, "mbufs_in_use", s.mbufs_in_use);
	rte_tel_data_add_dict_u64(d, "mbufs_parked", s.mbufs_parked);
	rte_tel_data_add_dict_u64(d, "rx_bufs_held", s.rx_bufs_held);
	rte_tel_data_add_dict_u64(d, "busy_cycles", s.busy_cycles);
	rte_tel_data_add_dict_u64(d, "idle_cycles", s.idle_cycles);
	rte_tel_data_add_dict_u64(d, "port_rx_cycles", s.port_rx_cycles);
	rte_tel_data_add_dict_u64(d, "port_tx_cycles", s.port_tx_cycles);
	rte_tel_data_add_dict_u64(d, "idle_port_rx_cycles", s.idle_port_rx_cycles);
	return 0;
}

static int tm_conns(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tt_stats s;

	(void)cmd;
	(void)params;
	if (!tm_workers_hold(d))
		return 0;
	tt_stats_collect(tm_workers, tm_n_workers, &s);
	tm_workers_release();
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "total", s.conns_total);
	rte_tel_data_add_dict_u64(d, "total_ipv6", s.conns_total6);
	for (unsigned i = 0; i < TT_TCP_NSTATES; i++) {
		char name[32];

		rte_tel_data_add_dict_u64(d, tt_tcp_state_names[i], (uint64_t)s.conns[i]);
		snprintf(name, sizeof(name), "%s_ipv6", tt_tcp_state_names[i]);
		rte_tel_data_add_dict_u64(d, name, (uint64_t)s.conns6[i]);
	}
	return 0;
}

static int tm_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tt_stats s;

	(void)cmd;
	(void)params;
	if (!tm_workers_hold(d))
		return 0;
	tt_stats_collect(tm_workers, tm_n_workers, &s);
	tm_workers_release();
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < TT_DROP_COUNT; i++)
		rte_tel_data_add_dict_u64(d, tt_drop_names[i], s.sum.drop[i]);
	return 0;
}

/* ---- the connection listing ---------------------------------------------------------------- */

/*
 * DPDK's telemetry leaves out, without a word, whatever does not fit its 16 KiB reply, so
 * TT_CONNLIST_MAX rows of the longest values must fit with everything else.  A row's values,
 * each with its separator (quotes around strings, a comma):
 */
enum {
	TM_TEL_OUTPUT_MAX = 16384,  /* MAX_OUTPUT_LEN of DPDK 22.11's telemetry.c */
	TM_ROW_MAX = (11 + 3)	    /* state: "established" */
		     + 2 * (47 + 3) /* local, remote: "[ffff:...:ffff]:65535" (IPv6, 39 + 8) */
		     + 2 * (10 + 1) /* send_q, recv_q: uint32_t */
		     + (3 + 1)	    /* retrans: uint8_t */
		     + (12 + 1)	    /* rtt_us: srtt_ms8 (uint32_t) * 125 < 10^12 */
		     + (13 + 1)	    /* rttvar_us: rttvar_ms4 (uint32_t) * 250 < 10^13 */
		     + (10 + 1)	    /* rto_ms: uint32_t */
		     + (10 + 3)	    /* timer: "retransmit" */
		     + (10 + 1)	    /* timer_ms: clamped to uint32_t */
		     + (2 + 1),	    /* worker: < 64 */
	/* {"/tcpterm/connlist":{...}}; five counts (up to 20 digits) with their keys; "silent"
	 * naming up to 64 workers; twelve column keys with their brackets. */
	TM_FIXED_MAX = 24 + 5 * (12 + 21) + (10 + 64 * 3) + 12 * (14 + 4),
};
static_assert(TT_CONNLIST_MAX * TM_ROW_MAX + TM_FIXED_MAX < TM_TEL_OUTPUT_MAX,
	      "a listing of TT_CONNLIST_MAX rows must fit one telemetry reply");

/* Queries take turns (telemetry serves each client in a thread of its own). */
static pthread_mutex_t tm_connlist_lock = PTHREAD_MUTEX_INITIALIZER;

enum {
	COL_STATE,
	COL_LOCAL,
	COL_REMOTE,
	COL_TIMER,
	COL_STRINGS, /* the columns before are strings, the rest numbers */
	COL_SEND_Q = COL_STRINGS,
	COL_RECV_Q,
	COL_RETRANS,
	COL_RTT,
	COL_RTTVAR,
	COL_RTO,
	COL_TIMER_MS,
	COL_WORKER,
	COL_SILENT,
	COL_N
};

static const char *const tm_col_names[COL_N] = {
    [COL_STATE] = "state",     [COL_LOCAL] = "local",	    [COL_REMOTE] = "remote",
    [COL_TIMER] = "timer",     [COL_SEND_Q] = "send_q",	    [COL_RECV_Q] = "recv_q",
    [COL_RETRANS] = "retrans", [COL_RTT] = "rtt_us",	    [COL_RTTVAR] = "rttvar_us",
    [COL_RTO] = "rto_ms",      [COL_TIMER_MS] = "timer_ms", [COL_WORKER] = "worker",
    [COL_SILENT] = "silent",
};

/* A.B.C.D:PORT, or [IPv6]:PORT when a6 (16 bytes) is not NULL. */
static void tm_endpoint(char *buf, size_t len, uint32_t a, const uint8_t *a6, uint16_t port)
{
	char s[INET6_ADDRSTRLEN];

	if (a6 != NULL && inet_ntop(AF_INET6, a6, s, sizeof(s)) != NULL)
		snprintf(buf, len, "[%s]:%u", s, port);
	else
		snprintf(buf, len, "%u.%u.%u.%u:%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
			 a & 0xff, port);
}

static void tm_connlist_row(struct rte_tel_data **col, const struct tt_connlist_row *row)
{
	const struct tt_stack_conn *c = &row->c;
	char ep[64];

	rte_tel_data_add_array_string(col[COL_STATE], tt_tcp_state_names[c->state]);
	tm_endpoint(ep, sizeof(ep), c->flow.daddr, c->ipv6 ? c->addr6.daddr : NULL, c->flow.dport);
	rte_tel_data_add_array_string(col[COL_LOCAL], ep);
	tm_endpoint(ep, sizeof(ep), c->flow.saddr, c->ipv6 ? c->addr6.saddr : NULL, c->flow.sport);
	rte_tel_data_add_array_string(col[COL_REMOTE], ep);
	rte_tel_data_add_array_string(col[COL_TIMER], tt_tcp_timer_names[c->timer]);
	rte_tel_data_add_array_u64(col[COL_SEND_Q], c->send_q);
	rte_tel_data_add_array_u64(col[COL_RECV_Q], c->recv_q);
	rte_tel_data_add_array_u64(col[COL_RETRANS], c->retrans);
	rte_tel_data_add_array_u64(col[COL_RTT], (uint64_t)c->srtt_ms8 * 125);
	rte_tel_data_add_array_u64(col[COL_RTTVAR], (uint64_t)c->rttvar_ms4 * 250);
	rte_tel_data_add_array_u64(col[COL_RTO], c->rto_ms);
	rte_tel_data_add_array_u64(col[COL_TIMER_MS], RTE_MIN(c->timer_ms, (uint64_t)UINT32_MAX));
	rte_tel_data_add_array_u64(col[COL_WORKER], row->worker);
}

/*
 * One dict: the counts, "silent" (the workers that did not answer in time, whose connections
 * are missing), then the rows as columns (containers hold arrays only in DPDK 22.11).
 */
static int tm_connlist_reply(struct rte_tel_data *d, const struct tt_connlist_req *q,
			     const struct tt_connlist_reply *r)
{
	struct rte_tel_data *col[COL_N];
	unsigned i;

	for (i = 0; i < COL_N; i++) {
		col[i] = rte_tel_data_alloc();
		if (col[i] == NULL)
			break;
		rte_tel_data_start_array(col[i],
					 i < COL_STRINGS ? RTE_TEL_STRING_VAL : RTE_TEL_U64_VAL);
	}
	if (i < COL_N) {
		while (i-- > 0)
			rte_tel_data_free(col[i]);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < r->all.n; k++)
		tm_connlist_row(col, &r->all.rows[k]);
	for (unsigned w = 0; w < r->workers; w++)
		if (r->silent & (UINT64_C(1) << w))
			rte_tel_data_add_array_u64(col[COL_SILENT], w);
	rte_tel_data_add_dict_u64(d, "total", r->all.matched);
	rte_tel_data_add_dict_u64(d, "listed", r->all.n);
	rte_tel_data_add_dict_u64(d, "limit", q->limit);
	rte_tel_data_add_dict_u64(d, "workers", r->workers);
	rte_tel_data_add_dict_u64(d, "answered", r->answered);
	for (i = 0; i < COL_N; i++)
		if (rte_tel_data_add_dict_container(d, tm_col_names[i], col[i], 0) != 0)
			rte_tel_data_free(col[i]);
	return 0;
}

/* /tcpterm/connlist[,PARAMS]: see tt_connlist.h; a bad parameter gets {"error": "..."}. */
static int tm_connlist(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static struct tt_connlist_reply r; /* 6 KiB, used under the lock */
	struct tt_connlist_mbox *mb[TT_CONF_MAX_WORKERS];
	struct tt_connlist_req q;
	char err[RTE_TEL_MAX_STRING_LEN];
	int rc;

	(void)cmd;
	rte_tel_data_start_dict(d);
	if (tt_connlist_parse(params, &q, err, sizeof(err)) != 0) {
		rte_tel_data_add_dict_string(d, "error", err);
		return 0;
	}
	if (!tm_workers_hold(d))
		return 0;
	for (unsigned w = 0; w < tm_n_workers; w++)
		mb[w] = &tm_workers[w]->connlist;
	pthread_mutex_lock(&tm_connlist_lock);
	tt_connlist_query(mb, tm_n_workers, &q, TT_CONNLIST_TIMEOUT_MS, &r);
	rc = tm_connlist_reply(d, &q, &r);
	pthread_mutex_unlock(&tm_connlist_lock);
	tm_workers_release();
	return rc;
}

void tt_stats_telemetry_stop(void)
{
	pthread_rwlock_wrlock(&tm_workers_lock);
	tm_stopped = true;
	pthread_rwlock_unlock(&tm_workers_lock);
}

int tt_stats_telemetry_init(struct tt_worker *const *workers, unsigned n)
{
	int rc;

	tm_workers = workers;
	tm_n_workers = n;
	rc = rte_telemetry_register_cmd("/tcpterm/stats", tm_stats, "Event counters, summed");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/tcpterm/conns", tm_conns, "Connections by state");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/tcpterm/drops", tm_drops, "Drops by reason");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/tcpterm/workers", tm_workers_cycles,
						"Busy and idle cycles per worker");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/tcpterm/connlist", tm_connlist,
						"Connections like ss. Params: state=,addr=,limit=");
	return rc;
}

/* ---- the NIC's side ------------------------------------------------------------------------ */

void tt_stats_collect_nic(const struct tt_port *ports, unsigned n, struct tt_stats *s)
{
	memset(&s->nic, 0, sizeof(s->nic));
	s->nic_queues = n > 0 ? RTE_MIN(ports[0].n_queues, (uint16_t)TT_PORT_QUEUE_STATS) : 0;
	/* A port whose stats cannot be read adds nothing; the next read tries again. */
	for (unsigned i = 0; i < n; i++)
		tt_port_stats_add(&ports[i], &s->nic);
}

/* Frames the NIC lost before any worker saw them. */
static uint64_t nic_drops(const struct tt_port_stats *n)
{
	return n->imissed + n->rx_nombuf + n->ierrors + n->oerrors;
}

void tt_stats_print_nic_part(FILE *f, const struct tt_stats *cur, const struct tt_stats *prev,
			     uint64_t interval_ms)
{
	const struct tt_port_stats *c = &cur->nic, *p = &prev->nic;

	fprintf(f,
		" | nic drops %" PRIu64 " (imissed %" PRIu64 " nombuf %" PRIu64 " ierrors %" PRIu64
		" oerrors %" PRIu64 ") rxq",
		delta(nic_drops(c), nic_drops(p)), delta(c->imissed, p->imissed),
		delta(c->rx_nombuf, p->rx_nombuf), delta(c->ierrors, p->ierrors),
		delta(c->oerrors, p->oerrors));
	for (unsigned q = 0; q < cur->nic_queues; q++)
		fprintf(f, " %" PRIu64 "/s", rate(c->q_ipackets[q], p->q_ipackets[q], interval_ms));
}

void tt_stats_print_nic_all(FILE *f, const struct tt_stats *s)
{
	const struct tt_port_stats *n = &s->nic;
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = {
	    {"ipackets", n->ipackets}, {"opackets", n->opackets}, {"ibytes", n->ibytes},
	    {"obytes", n->obytes},     {"imissed", n->imissed},	  {"rx_nombuf", n->rx_nombuf},
	    {"ierrors", n->ierrors},   {"oerrors", n->oerrors},	  {"drops_total", nic_drops(n)},
	};

	fprintf(f, "nic: summed over ports, %u queue(s) each\n", s->nic_queues);
	for (unsigned i = 0; i < RTE_DIM(rows); i++)
		fprintf(f, "  nic_%-24s %" PRIu64 "\n", rows[i].name, rows[i].v);
	for (unsigned q = 0; q < s->nic_queues; q++) {
		char rx[32], tx[32];

		snprintf(rx, sizeof(rx), "nic_rx_q%u_packets", q);
		snprintf(tx, sizeof(tx), "nic_tx_q%u_packets", q);
		fprintf(f, "  %-28s %" PRIu64 "\n  %-28s %" PRIu64 "\n", rx, n->q_ipackets[q], tx,
			n->q_opackets[q]);
	}
	fflush(f);
}

/* Like the worker list above: set once before telemetry can ask, read-only afterwards. */
static const struct tt_conf *tm_nic_conf;
static const struct tt_port *tm_nic_ports;

static void tm_nic_basic(struct rte_tel_data *d, const struct tt_port_stats *n, unsigned nq)
{
	char name[32];

	rte_tel_data_add_dict_u64(d, "ipackets", n->ipackets);
	rte_tel_data_add_dict_u64(d, "opackets", n->opackets);
	rte_tel_data_add_dict_u64(d, "ibytes", n->ibytes);
	rte_tel_data_add_dict_u64(d, "obytes", n->obytes);
	rte_tel_data_add_dict_u64(d, "imissed", n->imissed);
	rte_tel_data_add_dict_u64(d, "rx_nombuf", n->rx_nombuf);
	rte_tel_data_add_dict_u64(d, "ierrors", n->ierrors);
	rte_tel_data_add_dict_u64(d, "oerrors", n->oerrors);
	rte_tel_data_add_dict_u64(d, "drops_total", nic_drops(n));
	for (unsigned q = 0; q < nq; q++) {
		snprintf(name, sizeof(name), "rx_q%u_packets", q);
		rte_tel_data_add_dict_u64(d, name, n->q_ipackets[q]);
		snprintf(name, sizeof(name), "tx_q%u_packets", q);
		rte_tel_data_add_dict_u64(d, name, n->q_opackets[q]);
	}
}

/* Entries of /tcpterm/nic,NAME before its extended statistics (tm_nic_basic). */
static unsigned tm_nic_basic_entries(unsigned nq)
{
	return 9 + 2 * nq;
}

/* The extended statistics as they go into a dict of RTE_TEL_MAX_DICT_ENTRIES: room for what
 * fits, one entry kept for how many did not (xstats_left_out). */
struct tm_xstats {
	struct rte_tel_data *d;
	unsigned nq;   /* the per-queue packet counts already in the dict */
	unsigned room; /* entries left for xstats */
	unsigned left_out;
};

/* A telemetry dict key allows letters, digits, '_' and '/' only: a PMD's xstat names may not.
 * ethdev's own per-queue packet counts (rx_qN_packets, tx_qN_packets) are in the dict already. */
static void tm_nic_xstat(void *arg, const char *name, uint64_t value)
{
	struct tm_xstats *x = arg;
	char key[RTE_TEL_MAX_STRING_LEN], dir;
	unsigned q, end = 0;
	size_t i;

	if (sscanf(name, "%cx_q%u_packets%n", &dir, &q, &end) == 2 && name[end] == '\0' &&
	    (dir == 'r' || dir == 't') && q < x->nq)
		return;
	if (x->room == 0) {
		x->left_out++;
		return;
	}
	for (i = 0; name[i] != '\0' && i + 1 < sizeof(key); i++)
		key[i] = isalnum((unsigned char)name[i]) || name[i] == '/' ? name[i] : '_';
	key[i] = '\0';
	if (rte_tel_data_add_dict_u64(x->d, key, value) == 0)
		x->room--;
	else
		x->left_out++;
}

/* /tcpterm/nic: all ports summed; /tcpterm/nic,NAME: port NAME, basic stats then xstats. */
static int tm_nic_answer(const char *params, struct rte_tel_data *d)
{
	const struct tt_conf *c = tm_nic_conf;
	struct tt_stats s;

	rte_tel_data_start_dict(d);
	if (params == NULL || params[0] == '\0') {
		tt_stats_collect_nic(tm_nic_ports, c->n_ports, &s);
		rte_tel_data_add_dict_u64(d, "ports", c->n_ports);
		tm_nic_basic(d, &s.nic, s.nic_queues);
		return 0;
	}
	for (unsigned i = 0; i < c->n_ports; i++) {
		if (strcmp(params, c->ports[i].name) != 0)
			continue;
		struct tm_xstats x = {.d = d, .nq = 0};
		int rc;

		tt_stats_collect_nic(&tm_nic_ports[i], 1, &s);
		tm_nic_basic(d, &s.nic, s.nic_queues);
		x.nq = s.nic_queues;
		x.room = RTE_TEL_MAX_DICT_ENTRIES - tm_nic_basic_entries(s.nic_queues) - 1;
		rc = tt_port_xstats_each(&tm_nic_ports[i], tm_nic_xstat, &x);
		if (x.left_out > 0)
			rte_tel_data_add_dict_u64(d, "xstats_left_out", x.left_out);
		return rc < 0 ? -EIO : 0;
	}
	return -EINVAL; /* no such port: the client reads null */
}

static int tm_nic(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int rc;

	(void)cmd;
	if (!tm_workers_hold(d))
		return 0;
	rc = tm_nic_answer(params, d);
	tm_workers_release();
	return rc;
}

int tt_stats_telemetry_nic_init(const struct tt_conf *c, const struct tt_port *ports)
{
	tm_nic_conf = c;
	tm_nic_ports = ports;
	return rte_telemetry_register_cmd("/tcpterm/nic", tm_nic,
					  "NIC counters (ethdev), all ports summed. "
					  "Parameter: a port name, for its own and its "
					  "extended statistics");
}
