/*
 * tcpterm-gen: options, EAL and port bring-up, the appliance's MAC (ARP),
 * the per-second report and the JSON summary.  See gen.h.
 *
 *   tcpterm-gen [EAL args] -- --scenario NAME --device VDEV [options]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "gen.h"
#include "gen_stateless.h"
#include "tt_conf.h"
#include "tt_port.h"

enum { GEN_MAX_SECONDS = 3600, GEN_ARP_WAIT_MS = 15000, GEN_MBUFS = 32768 };

/* The soak's own defaults: minutes of moderate churn, and a drain long enough for its
 * scripted peers to give up on a cue that never comes. */
enum { GEN_SOAK_DURATION_S = 180, GEN_SOAK_DRAIN_S = 30, GEN_SOAK_RATE = 300 };

static volatile bool quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = true;
}

static const char *const scenario_names[] = {
    [GEN_CPS] = "cps",
    [GEN_RPS] = "rps",
    [GEN_THROUGHPUT] = "throughput",
    [GEN_CONCURRENT] = "concurrent",
    [GEN_SYNFLOOD] = "synflood",
    [GEN_SOAK] = "soak",
    [GEN_BLAST] = "blast",
    [GEN_REFLECT] = "reflect",
    [GEN_RESPOND] = "respond",
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: tcpterm-gen [EAL args] -- --scenario NAME --device VDEV [options]\n"
	    "  --scenario cps|rps|throughput|concurrent|synflood|soak|blast|reflect|respond\n"
	    "  --device D          the port: a vdev string (net_vhost0,iface=/tmp/s) or PCI "
	    "address\n"
	    "  --server A[:P]      the appliance (default 198.18.0.2:80); respond: our own\n"
	    "  --clients A/N       client addresses: N from A on (default 198.18.1.1/250)\n"
	    "  --ports LO-HI       client ports (default 1024-65535)\n"
	    "  --duration S        seconds of load (default 5, soak 180), then --drain S (default "
	    "5,\n"
	    "                      soak 30)\n"
	    "  --rate N            cps: connections/s, synflood: SYN/s, soak: connections/s "
	    "(default\n"
	    "                      300), others: opening rate; 0 = max\n"
	    "  --legit-rate N      synflood: legitimate connections/s (default 1000)\n"
	    "  --conns N           cps: in flight at most; others: connections (default 1000)\n"
	    "  --requests N        requests per connection (cps default 1, others 0 = unlimited)\n"
	    "  --pipeline K        requests in flight per connection (default 1)\n"
	    "  --body N            expected response body bytes (default 64); respond: sent\n"
	    "  --close client|server  who closes first in cps (default client); respond:\n"
	    "                      server: the response with our FIN\n"
	    "  --max-conns N       connection table size (default 1048576)\n"
	    "  --loss P            soak: percent of received frames dropped (default 0)\n"
	    "  --no-retransmit     never send a segment twice (as dperf): a connection whose SYN,\n"
	    "                      data or FIN goes unanswered for one RTO fails (timeout/reset)\n"
	    "  --stateless         cps, or rps keep-alive (--pipeline 8 at most, --rate 0),\n"
	    "                      without TCP state: each reply computed from the segment it\n"
	    "                      answers, never a retransmission, responses verified,\n"
	    "                      connections counted by port (rate runs; --body at most 1024;\n"
	    "                      pipelined, the responses of a batch must fit one segment)\n"
	    "  --alternate         --stateless cps at --rate N: a closed loop of --conns and the\n"
	    "                      open loop at N take turns of 2^30 TSC cycles each\n"
	    "  --alternate-factor F\n"
	    "                      with --alternate: each open turn at F x the connections a\n"
	    "                      second the closed turn before it completed (its second\n"
	    "                      half); --rate until one is measured\n");
	fprintf(
	    f, "  --linger S          after the result is printed, keep the port open up to S\n"
	       "                      seconds or until SIGINT/SIGTERM (default 0): a memif peer\n"
	       "                      stops first, before its PMD tears the link down\n"
	       "  --checksum-offload auto|off\n"
	       "                      auto: checksums left to the link both ways and its\n"
	       "                      verdicts trusted (rate runs); off (default): every checksum\n"
	       "                      computed and verified here in software (correctness runs)\n");
}

static int parse_addr(const char *s, uint32_t *a)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return -1;
	*a = ntohl(in.s_addr);
	return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *end || x > max)
		return -1;
	*v = x;
	return 0;
}

static int parse_scenario(const char *s, enum gen_scenario *sc)
{
	for (unsigned i = 0; i < RTE_DIM(scenario_names); i++)
		if (!strcmp(s, scenario_names[i])) {
			*sc = (enum gen_scenario)i;
			return 0;
		}
	return -1;
}

static int parse_server(const char *s, struct gen_opts *o)
{
	char buf[64];
	char *colon;
	uint64_t port = 80;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		if (parse_u64(colon + 1, 65535, &port) || port == 0)
			return -1;
	}
	o->server_port = (uint16_t)port;
	return parse_addr(buf, &o->server);
}

static int parse_clients(const char *s, struct gen_opts *o)
{
	char buf[64];
	char *slash;
	uint64_t n = 1;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (parse_u64(slash + 1, 65536, &n) || n == 0)
			return -1;
	}
	o->client_count = (uint32_t)n;
	return parse_addr(buf, &o->client_first);
}

static int parse_ports(const char *s, struct gen_opts *o)
{
	unsigned lo, hi;

	if (sscanf(s, "%u-%u", &lo, &hi) != 2 || lo == 0 || hi > 65535 || lo > hi)
		return -1;
	o->port_first = (uint16_t)lo;
	o->port_last = (uint16_t)hi;
	return 0;
}

static void defaults(struct gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->scenario = GEN_CPS;
	o->server = 0xc6120002; /* 198.18.0.2 */
	o->server_port = 80;
	o->client_first = 0xc6120101; /* 198.18.1.1 */
	o->client_count = 250;
	o->port_first = 1024;
	o->port_last = 65535;
	o->duration_s = 0; /* unset: per scenario */
	o->drain_s = -1;   /* unset: per scenario */
	o->legit_rate = 1000;
	o->conns = 1000;
	o->requests_per_conn = UINT32_MAX; /* unset: per scenario */
	o->pipeline = 1;
	o->body = 64;
	o->max_conns = 1 << 20;
}

static int parse_opt(int c, const char *arg, struct gen_opts *o)
{
	uint64_t v;

	switch (c) {
	case 's':
		return parse_scenario(arg, &o->scenario);
	case 'd':
		snprintf(o->device, sizeof(o->device), "%s", arg);
		return o->device[0] ? 0 : -1;
	case 'S':
		return parse_server(arg, o);
	case 'c':
		return parse_clients(arg, o);
	case 'p':
		return parse_ports(arg, o);
	case 'D':
		o->duration_s = atof(arg);
		return o->duration_s > 0 && o->duration_s <= GEN_MAX_SECONDS ? 0 : -1;
	case 'W':
		o->drain_s = atof(arg);
		return o->drain_s >= 0 && o->drain_s <= 600 ? 0 : -1;
	case 'G':
		o->linger_s = atof(arg);
		return o->linger_s >= 0 && o->linger_s <= 600 ? 0 : -1;
	case 'r':
		return parse_u64(arg, UINT32_MAX, &o->rate);
	case 'l':
		return parse_u64(arg, UINT32_MAX, &o->legit_rate);
	case 'n':
		if (parse_u64(arg, 1 << 26, &v) || v == 0)
			return -1;
		o->conns = (uint32_t)v;
		return 0;
	case 'q':
		if (parse_u64(arg, UINT32_MAX - 1, &v))
			return -1;
		o->requests_per_conn = (uint32_t)v;
		return 0;
	case 'k':
		if (parse_u64(arg, 64, &v) || v == 0)
			return -1;
		o->pipeline = (uint32_t)v;
		return 0;
	case 'b':
		if (parse_u64(arg, 1 << 24, &v))
			return -1;
		o->body = (uint32_t)v;
		return 0;
	case 'C':
		o->close_mode = !strcmp(arg, "server") ? GEN_CLOSE_SERVER : GEN_CLOSE_CLIENT;
		return !strcmp(arg, "server") || !strcmp(arg, "client") ? 0 : -1;
	case 'm':
		if (parse_u64(arg, 1 << 26, &v) || v < 16)
			return -1;
		o->max_conns = (uint32_t)v;
		return 0;
	case 'L':
		o->loss_pct = atof(arg);
		return o->loss_pct >= 0 && o->loss_pct <= 50 ? 0 : -1;
	case 'R':
		o->no_retransmit = true;
		return 0;
	case 'Z':
		o->stateless = true;
		return 0;
	case 'a':
		o->alternate = true;
		return 0;
	case 'F':
		o->alternate_factor = atof(arg);
		return o->alternate_factor > 0 && o->alternate_factor <= 100 ? 0 : -1;
	case 'O':
		o->checksum_offload = !strcmp(arg, "auto");
		return !strcmp(arg, "auto") || !strcmp(arg, "off") ? 0 : -1;
	default:
		return -1;
	}
}

/* What the stateless client runs: cps, and rps with up to GEN_SL_PIPELINE_MAX requests in
 * flight, opened at once. */
static bool stateless_fits(const struct gen_opts *o)
{
	if (o->body > GEN_SL_BODY_MAX)
		return false;
	return o->scenario == GEN_CPS ||
	       (o->scenario == GEN_RPS && o->pipeline <= GEN_SL_PIPELINE_MAX && o->rate == 0);
}

/* 0, 1 (help shown) or -1 (error printed). */
static int parse_opts(int argc, char **argv, struct gen_opts *o)
{
	static const struct option longs[] = {
	    {"scenario", required_argument, NULL, 's'},
	    {"device", required_argument, NULL, 'd'},
	    {"server", required_argument, NULL, 'S'},
	    {"clients", required_argument, NULL, 'c'},
	    {"ports", required_argument, NULL, 'p'},
	    {"duration", required_argument, NULL, 'D'},
	    {"drain", required_argument, NULL, 'W'},
	    {"linger", required_argument, NULL, 'G'},
	    {"rate", required_argument, NULL, 'r'},
	    {"legit-rate", required_argument, NULL, 'l'},
	    {"conns", required_argument, NULL, 'n'},
	    {"requests", required_argument, NULL, 'q'},
	    {"pipeline", required_argument, NULL, 'k'},
	    {"body", required_argument, NULL, 'b'},
	    {"close", required_argument, NULL, 'C'},
	    {"max-conns", required_argument, NULL, 'm'},
	    {"loss", required_argument, NULL, 'L'},
	    {"checksum-offload", required_argument, NULL, 'O'},
	    {"no-retransmit", no_argument, NULL, 'R'},
	    {"stateless", no_argument, NULL, 'Z'},
	    {"alternate", no_argument, NULL, 'a'},
	    {"alternate-factor", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, idx;

	defaults(o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longs, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == '?' || parse_opt(c, optarg, o) != 0) {
			if (c != '?')
				fprintf(stderr, "tcpterm-gen: bad value for --%s: '%s'\n",
					longs[idx].name, optarg);
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || o->device[0] == '\0') {
		fprintf(stderr, "tcpterm-gen: %s\n",
			optind != argc ? "unexpected argument" : "--device is required");
		usage(stderr);
		return -1;
	}
	if (o->stateless && !stateless_fits(o)) {
		fprintf(
		    stderr,
		    "tcpterm-gen: --stateless is for cps, or rps with --pipeline %u at most and "
		    "--rate 0, with --body %u at most\n",
		    GEN_SL_PIPELINE_MAX, GEN_SL_BODY_MAX);
		return -1;
	}
	if (o->alternate && !(o->stateless && o->scenario == GEN_CPS && o->rate > 0)) {
		fprintf(stderr, "tcpterm-gen: --alternate is for --stateless cps at a --rate\n");
		return -1;
	}
	if (o->alternate_factor > 0 && !o->alternate) {
		fprintf(stderr, "tcpterm-gen: --alternate-factor needs --alternate\n");
		return -1;
	}
	if (o->requests_per_conn == UINT32_MAX)
		o->requests_per_conn =
		    o->scenario == GEN_CPS || o->scenario == GEN_SYNFLOOD ? 1 : 0;
	if (o->duration_s == 0)
		o->duration_s = o->scenario == GEN_SOAK ? GEN_SOAK_DURATION_S : 5;
	if (o->drain_s < 0)
		o->drain_s = o->scenario == GEN_SOAK ? GEN_SOAK_DRAIN_S : 5;
	if (o->scenario == GEN_SOAK && o->rate == 0)
		o->rate = GEN_SOAK_RATE;
	return 0;
}

/* Ask for the appliance's MAC (before any worker runs: this lcore owns queue 0). */
static int resolve_server(uint16_t port_id, const struct tt_mac *our_mac, const struct gen_opts *o,
			  struct rte_mempool *pool, struct tt_mac *server_mac)
{
	for (int ms = 0; ms < GEN_ARP_WAIT_MS; ms += 100) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *rx[32];
		uint16_t n;

		if (m == NULL)
			return -ENOMEM;
		tt_net_arp_request(rte_pktmbuf_mtod(m, uint8_t *), our_mac, o->client_first,
				   o->server, NULL);
		m->data_len = m->pkt_len = 60; /* 42 bytes sent as the shortest Ethernet frame */
		if (rte_eth_tx_burst(port_id, 0, &m, 1) != 1)
			rte_pktmbuf_free(m);
		rte_delay_ms(100);
		n = rte_eth_rx_burst(port_id, 0, rx, 32);
		for (uint16_t i = 0; i < n; i++) {
			const struct rte_ether_hdr *e =
			    rte_pktmbuf_mtod(rx[i], const struct rte_ether_hdr *);
			const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(e + 1);

			if (e->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) &&
			    a->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY) &&
			    a->arp_data.arp_sip == rte_cpu_to_be_32(o->server)) {
				memcpy(server_mac->b, &a->arp_data.arp_sha, 6);
				rte_pktmbuf_free_bulk(rx, n);
				return 0;
			}
		}
		rte_pktmbuf_free_bulk(rx, n);
	}
	return -EHOSTUNREACH;
}

static void gen_conf(const struct gen_opts *o, struct tt_conf *c)
{
	struct tt_conf_port *p = &c->ports[0];

	tt_conf_defaults(c);
	c->n_ports = 1;
	snprintf(p->name, sizeof(p->name), "gen");
	snprintf(p->devargs, sizeof(p->devargs), "%s", o->device);
	p->is_pci = strchr(o->device, ':') != NULL && strncmp(o->device, "net_", 4) != 0;
	p->ip.addr = o->client_first;
	p->ip.prefix_len = 16;
	p->mtu = 1500;
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	p->checksum_offload = o->checksum_offload;
	/* The generator resolved the server's MAC itself (resolve_server) and sends from many
	 * addresses: its frames go to the MAC it knows, not through its neighbour cache. */
	p->reply_to_source_mac = true;
	c->tcp.max_conns_per_core = o->max_conns;
	/* Every connection may have requests in flight: a client whose request found no send
	 * block would only try again on a response that never comes. */
	c->tcp.send_blocks_per_core = o->max_conns;
	/* The client keeps TIME-WAIT short: its 4-tuples come round again. */
	c->tcp.time_wait_ms = 1000;
	c->tcp.syn_retries = 3;
	/* An open-loop client that offers load it cannot take back: a lost frame costs its
	 * connection, never a second try that would add to an overload (the RTO's only act is
	 * the connection's end). */
	if (o->no_retransmit)
		c->tcp.syn_retries = c->tcp.max_retries = 0;
	/* The orphan bounds are a server's defence against peers gone silent.  The run's end
	 * closes every connection, some behind a request that the full TX queue of the load
	 * refused more than once: an orphan then, which the bounds would reset at its next
	 * timeout (its retransmissions before the close counted), a failure of the generator's
	 * own making.  Its connections keep their full retries, as before the close. */
	c->tcp.orphan_retries = c->tcp.max_retries;
	c->tcp.max_orphans_per_core = UINT32_MAX;
	c->tcp.rcv_window = 1u << 22;
	c->tcp.wscale = 7;
}

struct gen_second {
	uint64_t attempted, established, completed, responses, failed, syns;
};

static uint64_t failed_total(const struct gen_http_stats *s)
{
	uint64_t f = 0;

	for (unsigned i = 0; i < GEN_FAIL_COUNT; i++)
		f += s->failed[i];
	return f;
}

static void sample(const struct gen_http_stats *s, const struct gen_run *r, struct gen_second *x)
{
	x->attempted = s->conns_attempted;
	x->established = s->conns_established;
	x->completed = s->conns_completed;
	x->responses = s->responses_ok;
	x->failed = failed_total(s);
	x->syns = r->syns_accepted;
}

static void print_hist(FILE *f, const char *name, const struct gen_hist *h)
{
	uint64_t upper, count;

	fprintf(f,
		"\"%s\":{\"count\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p99\":%" PRIu64
		",\"p999\":%" PRIu64 ",\"cdf\":[",
		name, h->n, gen_hist_quantile(h, 0.5), gen_hist_quantile(h, 0.99),
		gen_hist_quantile(h, 0.999));
	for (int i = 1; i <= 100; i++) {
		double q = i == 100 ? 0.999 : i / 100.0;

		fprintf(f, "%s[%.3f,%" PRIu64 "]", i > 1 ? "," : "", q, gen_hist_quantile(h, q));
	}
	/* The whole distribution (the cdf above stops at p99.9): [upper edge, count] pairs. */
	fprintf(f, "],\"buckets\":[");
	for (unsigned pos = 0, k = 0; gen_hist_next(h, &pos, &upper, &count); k++)
		fprintf(f, "%s[%" PRIu64 ",%" PRIu64 "]", k ? "," : "", upper, count);
	fprintf(f, "]}");
}

/*
 * The load window's figures: its bounds in TSC (for the appliance's samples), the worker's
 * busy fraction and the deltas of its counters.
 */
void gen_print_window(FILE *f, const struct gen_window w[2], uint64_t tsc_hz, double legit_rate)
{
	const struct gen_window *a = &w[0], *b = &w[1];
	uint64_t busy = b->busy_cycles - a->busy_cycles, idle = b->idle_cycles - a->idle_cycles;
	double secs = (double)(b->tsc - a->tsc) / (double)tsc_hz;

	fprintf(
	    f,
	    ",\"window\":{\"start_tsc\":%" PRIu64 ",\"end_tsc\":%" PRIu64 ",\"tsc_hz\":%" PRIu64
	    ",\"seconds\":%.4f,\"busy_cycles\":%" PRIu64 ",\"idle_cycles\":%" PRIu64
	    ",\"busy_fraction\":%.4f,\"rx_frames\":%" PRIu64 ",\"tx_frames\":%" PRIu64
	    ",\"tx_refused\":%" PRIu64 ",\"attempted\":%" PRIu64 ",\"completed\":%" PRIu64
	    ",\"responses\":%" PRIu64 ",\"syns_sent\":%" PRIu64 ",\"syns_accepted\":%" PRIu64
	    ",\"flood_rx\":%" PRIu64 ",\"legit_scheduled\":%.0f}",
	    a->tsc, b->tsc, tsc_hz, secs, busy, idle,
	    busy + idle ? (double)busy / (double)(busy + idle) : 0.0, b->rx_frames - a->rx_frames,
	    b->tx_frames - a->tx_frames, b->tx_refused - a->tx_refused, b->attempted - a->attempted,
	    b->completed - a->completed, b->responses - a->responses, b->syns_sent - a->syns_sent,
	    b->syns_accepted - a->syns_accepted, b->flood_rx - a->flood_rx, legit_rate * secs);
}

/* The generator's stack's counters of connections it ended itself, by reason. */
static const enum tt_counter stack_closes[] = {
    TT_CTR_CONN_RETRIES_EXHAUSTED, TT_CTR_ORPHAN_RETRIES_EXHAUSTED,
    TT_CTR_ORPHANS_RESET,	   TT_CTR_CONN_TIMEOUT,
    TT_CTR_CONN_RESET_TX,
};

static void print_summary(FILE *f, const struct gen_opts *o, const struct gen_http_stats *s,
			  const struct gen_run *r, const struct tt_worker *w,
			  const struct gen_second *series, unsigned n, double secs)
{
	fprintf(f,
		"{\"scenario\":\"%s\",\"seconds\":%.3f,\"conns_attempted\":%" PRIu64
		",\"conns_established\":%" PRIu64 ",\"conns_completed\":%" PRIu64
		",\"conns_unfinished\":%" PRIu64 ",\"requests_sent\":%" PRIu64
		",\"responses_ok\":%" PRIu64 ",\"body_bytes_verified\":%" PRIu64
		",\"syns_sent\":%" PRIu64 ",\"syns_accepted\":%" PRIu64 ",\"flood_rx\":%" PRIu64
		",\"flood_no_mbuf\":%" PRIu64 ",\"retransmits\":%" PRIu64 ",\"tx_failed\":%" PRIu64
		",",
		scenario_names[o->scenario], secs, s->conns_attempted, s->conns_established,
		s->conns_completed, s->conns_open, s->requests_sent, s->responses_ok,
		s->body_bytes_verified, r->syns_sent, r->syns_accepted, r->flood_rx,
		r->flood_no_mbuf, w->ctr.ev[TT_CTR_RETRANSMITS], w->ctr.ev[TT_CTR_TX_FAILED]);
	/* What the appliance sent per completed connection: SYN-ACK, response, FIN, ACKs. */
	fprintf(f,
		"\"rx_frames\":%" PRIu64 ",\"tx_frames\":%" PRIu64 ",\"rx_frames_per_conn\":%.3f,",
		w->ctr.ev[TT_CTR_RX_PACKETS], w->ctr.ev[TT_CTR_TX_PACKETS],
		s->conns_completed != 0
		    ? (double)w->ctr.ev[TT_CTR_RX_PACKETS] / (double)s->conns_completed
		    : 0.0);
	fprintf(f, "\"failed\":{");
	for (unsigned i = 0; i < GEN_FAIL_COUNT; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", gen_failure_names[i], s->failed[i]);
	/* Why the generator's own stack ended connections (its timeouts and resets): what a
	 * "timeout" above was. */
	fprintf(f, "},\"stack_closes\":{");
	for (unsigned i = 0; i < RTE_DIM(stack_closes); i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", tt_counter_names[stack_closes[i]],
			w->ctr.ev[stack_closes[i]]);
	fprintf(f,
		"},\"failed_total\":%" PRIu64 ",\"cps\":%.1f,\"rps\":%.1f,\"syn_rate\":%.1f,"
		"\"gbps\":%.4f,",
		failed_total(s), (double)s->conns_completed / secs, (double)s->responses_ok / secs,
		(double)r->syns_accepted / secs, (double)s->body_bytes_verified * 8 / secs / 1e9);
	print_hist(f, "connect_us", &s->connect_us);
	fprintf(f, ",");
	print_hist(f, "request_us", &s->request_us);
	fprintf(f, ",\"per_second\":[");
	for (unsigned i = 1; i < n; i++)
		fprintf(f,
			"%s{\"t\":%u,\"cps\":%" PRIu64 ",\"rps\":%" PRIu64 ",\"failed\":%" PRIu64
			"}",
			i > 1 ? "," : "", i, series[i].completed - series[i - 1].completed,
			series[i].responses - series[i - 1].responses,
			series[i].failed - series[i - 1].failed);
	fprintf(f, "]");
	/* Absent when the run was stopped before the load ended. */
	if (r->windows_taken == 2)
		gen_print_window(f, r->window, r->tsc_hz,
				 o->scenario == GEN_SYNFLOOD ? (double)o->legit_rate : 0.0);
	if (r->soak != NULL)
		gen_soak_print(f, r->soak);
	fprintf(f, "}\n");
	fflush(f);
}

static int run_link(const struct gen_opts *o, const struct tt_port *port, struct rte_mempool *pool)
{
	struct gen_link_result r;

	if (gen_link_run(o, port, pool, &quit, &r) != 0)
		return 1;
	printf(
	    "{\"scenario\":\"%s\",\"seconds\":%.3f,\"tx_frames\":%" PRIu64 ",\"rx_frames\":%" PRIu64
	    ",\"tx_refused\":%" PRIu64 ",\"tx_mpps\":%.3f,\"rx_mpps\":%.3f"
	    ",\"busy_fraction\":%.4f,\"busy_cycles\":%" PRIu64 ",\"busy_cycles_per_rx_frame\":%.1f",
	    scenario_names[o->scenario], r.seconds, r.tx, r.rx, r.tx_refused,
	    (double)r.tx / r.seconds / 1e6, (double)r.rx / r.seconds / 1e6,
	    r.cycles ? (double)r.busy_cycles / r.cycles : 0.0, r.busy_cycles,
	    r.rx ? (double)r.busy_cycles / r.rx : 0.0);
	if (o->scenario == GEN_RESPOND)
		printf(",\"port_rx_cycles\":%" PRIu64 ",\"port_tx_cycles\":%" PRIu64
		       ",\"syn_acks\":%" PRIu64 ",\"responses\":%" PRIu64 ",\"fins\":%" PRIu64
		       ",\"unexpected\":%" PRIu64 ",\"not_ours\":%" PRIu64,
		       r.port_rx_cycles, r.port_tx_cycles, r.rsp.syn_acks, r.rsp.responses,
		       r.rsp.fins, r.rsp.unexpected, r.rsp.not_ours);
	printf("}\n");
	return 0;
}

static unsigned first_worker_lcore(void)
{
	unsigned id;

	RTE_LCORE_FOREACH_WORKER(id)
	return id;
	return RTE_MAX_LCORE;
}

/* Launch the worker, print a line a second, return the summary when it stops. */
static int run_tcp(const struct gen_opts *o, struct tt_worker *w, struct gen_run *r,
		   struct gen_http_stats *s, unsigned lcore)
{
	static struct gen_second series[GEN_MAX_SECONDS + 700];
	unsigned n = 0;
	uint64_t hz = rte_get_tsc_hz();

	r->start_tsc = rte_rdtsc();
	r->end_tsc = r->start_tsc + (uint64_t)(o->duration_s * (double)hz);
	r->drain_end_tsc = r->end_tsc + (uint64_t)(o->drain_s * (double)hz);
	sample(s, r, &series[n++]);
	rte_eal_remote_launch(tt_worker_main, w, lcore);
	while (!quit) {
		uint64_t next = r->start_tsc + (uint64_t)n * hz;

		while (!quit && rte_rdtsc() < next)
			rte_delay_us_sleep(10000);
		if (n >= RTE_DIM(series))
			break;
		sample(s, r, &series[n]);
		fprintf(
		    stderr,
		    "t=%us cps %" PRIu64 " rps %" PRIu64 " open %" PRIu64 " failed %" PRIu64
		    " syns_accepted/s %" PRIu64 " tx_failed %" PRIu64 " retransmits %" PRIu64 "\n",
		    n, series[n].completed - series[n - 1].completed,
		    series[n].responses - series[n - 1].responses, s->conns_open,
		    series[n].failed - series[n - 1].failed, series[n].syns - series[n - 1].syns,
		    w->ctr.ev[TT_CTR_TX_FAILED], w->ctr.ev[TT_CTR_RETRANSMITS]);
		n++;
	}
	quit = true;
	rte_eal_wait_lcore(lcore);
	/* Rates are over the load phase only; the drain adds no new work. */
	print_summary(stdout, o, s, r, w, series, n,
		      RTE_MIN(o->duration_s, (double)(rte_rdtsc() - r->start_tsc) / (double)hz));
	return failed_total(s) == 0 ? 0 : 3;
}

/* The GET the clients send: keep-alive, and with "Connection: close". */
static void write_requests(const struct gen_opts *o, char *req, size_t len, char *req_close,
			   size_t close_len)
{
	struct in_addr srv = {.s_addr = htonl(o->server)};

	snprintf(req, len, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", inet_ntoa(srv));
	snprintf(req_close, close_len, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		 inet_ntoa(srv));
}

/* The worker lcore and the appliance's MAC, or an exit status (1: no lcore, 2: no ARP reply). */
static int worker_and_server(const struct gen_opts *o, const struct tt_port *port,
			     struct rte_mempool *pool, unsigned *lcore, struct tt_mac *server_mac)
{
	struct in_addr srv = {.s_addr = htonl(o->server)};

	*lcore = first_worker_lcore();
	if (*lcore == RTE_MAX_LCORE) {
		fprintf(stderr,
			"tcpterm-gen: needs a worker lcore besides the main one (-l 0,1)\n");
		return 1;
	}
	if (resolve_server(port->port_id, &port->mac, o, pool, server_mac) != 0) {
		fprintf(stderr, "tcpterm-gen: the appliance %s does not answer ARP on %s\n",
			inet_ntoa(srv), o->device);
		return 2;
	}
	return 0;
}

static int run_stateless(const struct gen_opts *o, const struct tt_port *port,
			 struct rte_mempool *pool)
{
	static char req[128], req_close[160];
	struct gen_sl_conf c = {
	    .mac = port->mac,
	    .server = o->server,
	    .server_port = o->server_port,
	    /* Keep-alive connections end as the stateful client's do: the client closes. */
	    .close_mode = o->scenario == GEN_RPS ? GEN_CLOSE_CLIENT : o->close_mode,
	    .body_len = o->body,
	    .client_first = o->client_first,
	    .client_count = o->client_count,
	    .keep_alive = o->scenario == GEN_RPS,
	    .pipeline = o->pipeline,
	};
	unsigned lcore;
	int rc = worker_and_server(o, port, pool, &lcore, &c.server_mac);

	if (rc != 0)
		return rc;
	write_requests(o, req, sizeof(req), req_close, sizeof(req_close));
	c.request = (const uint8_t *)(c.close_mode == GEN_CLOSE_SERVER ? req_close : req);
	c.request_len = (uint32_t)strlen((const char *)c.request);
	return gen_sl_run(o, port, pool, &c, lcore, &quit);
}

static int setup_tcp(const struct gen_opts *o, const struct tt_conf *conf, struct tt_port *port,
		     struct rte_mempool *pool)
{
	static uint8_t no_listeners[65536];
	static struct gen_http_stats stats;
	static struct gen_run run;
	static char req[128], req_close[160];
	struct tt_worker_params p = {0};
	unsigned lcore;
	struct tt_worker *w;
	int rc = worker_and_server(o, port, pool, &lcore, &run.server_mac);

	if (rc != 0)
		return rc;
	write_requests(o, req, sizeof(req), req_close, sizeof(req_close));
	stats.request = (const uint8_t *)req;
	stats.request_len = (uint32_t)strlen(req);
	stats.request_close = (const uint8_t *)req_close;
	stats.request_close_len = (uint32_t)strlen(req_close);
	stats.p = (struct gen_http_params){
	    .pipeline_depth = o->pipeline,
	    .body_len = o->body,
	    .hold = o->scenario == GEN_CONCURRENT,
	    .tsc_per_us = rte_get_tsc_hz() / 1000000,
	};
	stats.plan[0] = (struct gen_http_plan){o->requests_per_conn, o->close_mode};
	run.o = o;
	run.stats = &stats;
	run.tsc_hz = rte_get_tsc_hz();
	run.flood_rng = rte_rdtsc() | 1;
	run.next_port = o->port_first;
	run.quit = &quit;
	p.n_ports = 1;
	p.ports = port;
	p.addr_count = o->client_count;
	p.pool = pool;
	p.conf = conf;
	p.listen_app = no_listeners;
	p.apps[0] = &gen_http_app;
	p.app_data = &stats;
	p.on_loop = gen_scenario_loop;
	p.loop_arg = &run;
	p.table_key.k0 = rte_rdtsc();
	p.table_key.k1 = rte_rdtsc() * 0x9e3779b97f4a7c15ull;
	p.neigh_key.k0 = rte_rdtsc() ^ 0x5bd1e995u;
	p.cookie_secret.master.k0 = rte_rdtsc();
	p.isn_secret.key.k0 = rte_rdtsc() * 0x9e3779b97f4a7c15ull;
	p.tsc_base = rte_rdtsc();
	p.tsc_hz = rte_get_tsc_hz();
	p.epoch_ms = 1000;
	p.quit = &quit;
	if (o->scenario == GEN_SYNFLOOD && gen_flood_setup(&run, port) != 0) {
		fprintf(stderr, "tcpterm-gen: synflood: no RX callback on %s\n", o->device);
		return 1;
	}
	if (o->scenario == GEN_SOAK && gen_soak_setup(&run, &p, port) != 0) {
		fprintf(stderr, "tcpterm-gen: soak: set-up failed on %s\n", o->device);
		return 1;
	}
	w = tt_worker_create(&p);
	if (w == NULL) {
		fprintf(stderr, "tcpterm-gen: worker: %s (lower --max-conns)\n",
			rte_strerror(rte_errno));
		return 1;
	}
	if (gen_http_attach(&stats, tt_stack_tcbs(w->stack), o->max_conns) != 0) {
		fprintf(stderr, "tcpterm-gen: no memory for %u connections' state\n", o->max_conns);
		return 1;
	}
	rc = run_tcp(o, w, &run, &stats, lcore);
	gen_http_detach(&stats);
	return rc;
}

/*
 * The result is out; the port stays open for up to s seconds or until a signal.  A memif peer
 * that polls this port's memory is stopped first that way: net_memif (DPDK 22.11) can fault in
 * the peer's burst call while it tears down a link whose other end has closed.
 */
static void linger(double s)
{
	uint64_t end = rte_rdtsc() + (uint64_t)(s * (double)rte_get_tsc_hz());

	fflush(stdout);
	quit = false;
	while (!quit && rte_rdtsc() < end)
		rte_delay_us_sleep(10000);
}

int main(int argc, char **argv)
{
	static struct tt_conf conf;
	static char *eal_argv[64];
	static char vdev[300];
	struct rte_mempool *pool;
	struct gen_opts o;
	struct tt_port port;
	char err[256];
	int sep = 0, n = 0, rc;

	for (int i = 1; i < argc && sep == 0; i++)
		if (!strcmp(argv[i], "--"))
			sep = i;
	rc = sep ? parse_opts(argc - sep, argv + sep, &o) : parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	for (int i = 0; i < (sep ? sep : 1) && n < 60; i++)
		eal_argv[n++] = argv[i];
	gen_conf(&o, &conf);
	if (!conf.ports[0].is_pci) {
		snprintf(vdev, sizeof(vdev), "--vdev=%s", o.device);
		eal_argv[n++] = vdev;
	}
	if (rte_eal_init(n, eal_argv) < 0) {
		fprintf(stderr, "tcpterm-gen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* A vhost port whose virtio-user peer has gone raises SIGPIPE at shutdown. */
	signal(SIGPIPE, SIG_IGN);
	pool = rte_pktmbuf_pool_create("gen_mbuf", GEN_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (pool == NULL || tt_port_start(&conf.ports[0], 1, &pool, &port, err, sizeof(err)) != 0) {
		fprintf(stderr, "tcpterm-gen: %s\n", pool ? err : rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	if (o.scenario == GEN_BLAST || o.scenario == GEN_REFLECT || o.scenario == GEN_RESPOND)
		rc = run_link(&o, &port, pool);
	else if (o.stateless)
		rc = run_stateless(&o, &port, pool);
	else
		rc = setup_tcp(&o, &conf, &port, pool);
	linger(o.linger_s);
	tt_port_stop(&port);
	rte_eal_cleanup();
	return rc;
}
