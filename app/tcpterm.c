/*
 * tcpterm: the appliance binary.  Control plane only: configuration,
 * EAL and port bring-up, worker launch, signals, periodic statistics.
 *
 *   tcpterm [EAL args] -- [-f FILE] [--check] [--help]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pdump.h>

#include "tt_app.h"
#include "tt_conf.h"
#include "tt_port.h"
#include "tt_reload.h"
#include "tt_service.h"
#include "tt_stats.h"
#include "tt_worker.h"

extern const char tt_default_conf[]; /* conf/tcpterm.conf, embedded at build time */

enum { TT_MAX_EAL_ARGV = 128, TT_MBUFS_PER_WORKER_EXTRA = 8192 };

/* Counted by the handler, acted on by the main loop: printing and draining are no work for a
 * signal handler (not async-signal-safe). */
static volatile sig_atomic_t stop_signals; /* SIGINT, SIGTERM */
static volatile sig_atomic_t hup_signals;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_signals++;
	else
		stop_signals++;
}

/*
 * Before any port starts, so that no signal finds the default action once there are
 * connections to drain (SIGHUP would kill us, SIGPIPE from a virtio-user socket whose vhost
 * side closed would end us with status 141).  After rte_eal_init, which installs no handler
 * for these signals: a virtio-user port in server mode waits there for its peer, and Ctrl-C
 * must still end that wait.
 */
static int install_signals(void)
{
	struct sigaction on = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	struct sigaction ign = {.sa_handler = SIG_IGN};

	sigemptyset(&on.sa_mask);
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGINT, &on, NULL) != 0 || sigaction(SIGTERM, &on, NULL) != 0 ||
	    sigaction(SIGHUP, &on, NULL) != 0 || sigaction(SIGPIPE, &ign, NULL) != 0) {
		fprintf(stderr, "tcpterm: sigaction: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tcpterm [EAL args] -- [-f FILE] [--check] [--help]\n"
		   "  -f FILE   configuration file (default: the built-in conf/tcpterm.conf)\n"
		   "  --check   validate the configuration and exit (0 valid, 1 invalid)\n"
		   "  --help    this text\n"
		   "EAL arguments may also come from the file's `eal` list.\n");
}

struct opts {
	const char *conf_path;
	bool check;
};

/* argv after "--"; returns 0, 1 (exit ok) or -1 (usage error). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
	    {"check", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", longs, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->conf_path = optarg;
			break;
		case 'c':
			o->check = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tcpterm: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static bool has_lcore_arg(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-l") || !strncmp(argv[i], "--lcores", 8) ||
		    !strcmp(argv[i], "-c") || !strncmp(argv[i], "-l", 2))
			return true;
	return false;
}

/* The main lcore: the lowest id that no worker uses. */
static unsigned main_lcore_of(const struct tt_conf *c)
{
	for (unsigned id = 0;; id++) {
		bool used = false;

		for (unsigned w = 0; w < c->n_workers; w++)
			used |= c->worker_lcores[w] == id;
		if (!used)
			return id;
	}
}

/*
 * Command-line EAL args, then the file's, then the ports' devices and, unless given, lcores.
 * The strings made here are static: EAL may point into its argv until rte_eal_cleanup(), and
 * nothing is left to free at exit.
 */
static int build_eal_argv(const struct tt_conf *c, int argc, char **argv, char **out)
{
	static char vdevs[TT_CONF_MAX_PORTS][sizeof("--vdev=") + sizeof(c->ports[0].devargs)];
	static char lcores[1024];
	static char main_lcore_arg[32];
	int n = 0;

	for (int i = 0; i < argc && n < TT_MAX_EAL_ARGV - 8; i++)
		out[n++] = argv[i];
	for (unsigned i = 0; i < c->n_eal_args && n < TT_MAX_EAL_ARGV - 8; i++)
		out[n++] = (char *)c->eal_args[i];
	for (unsigned i = 0; i < c->n_ports && n < TT_MAX_EAL_ARGV - 8; i++) {
		if (c->ports[i].is_pci) {
			out[n++] = "-a";
			out[n++] = (char *)c->ports[i].devargs;
		} else {
			snprintf(vdevs[i], sizeof(vdevs[i]), "--vdev=%s", c->ports[i].devargs);
			out[n++] = vdevs[i];
		}
	}
	if (!has_lcore_arg(out + 1, n - 1)) {
		unsigned main_lcore = main_lcore_of(c);
		int len = snprintf(lcores, sizeof(lcores), "%u", main_lcore);

		for (unsigned w = 0; w < c->n_workers; w++)
			len += snprintf(lcores + len, sizeof(lcores) - (size_t)len, ",%u",
					c->worker_lcores[w]);
		snprintf(main_lcore_arg, sizeof(main_lcore_arg), "--main-lcore=%u", main_lcore);
		out[n++] = "-l";
		out[n++] = lcores;
		out[n++] = main_lcore_arg;
	}
	out[n] = NULL;
	return n;
}

/*
 * A secret key from the kernel's random source: the SYN cookies', the ISNs' and the tables'
 * keys are what a forger or a hash flood would have to guess, so without one the appliance
 * does not start (getrandom blocks only until the pool is first seeded, at boot).
 */
static int random_key(struct tt_siphash_key *k)
{
	uint8_t *b = (uint8_t *)k;
	size_t got = 0;

	while (got < sizeof(*k)) {
		ssize_t n = getrandom(b + got, sizeof(*k) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "tcpterm: no random key from the kernel (getrandom): %s\n",
				strerror(n < 0 ? errno : EIO));
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

static int make_secrets(const struct tt_conf *c, struct tt_worker_params *p)
{
	if (c->tcp.cookie_secret_random) {
		if (random_key(&p->cookie_secret.master) != 0)
			return -1;
	} else {
		memcpy(&p->cookie_secret.master.k0, c->tcp.cookie_secret, 8);
		memcpy(&p->cookie_secret.master.k1, c->tcp.cookie_secret + 8, 8);
	}
	return random_key(&p->isn_secret.key);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct appliance {
	const struct tt_conf *boot; /* as loaded at start: ports, workers, what cannot change */
	const struct tt_conf *conf; /* the generation in force (the same fixed keys) */
	const char *conf_path;	    /* what a reload re-reads; NULL: the built-in file */
	struct tt_reload_set gens;
	unsigned n_ports_started;
	struct tt_port ports[TT_CONF_MAX_PORTS];
	struct rte_mempool *pools[TT_CONF_MAX_WORKERS];
	struct tt_worker *workers[TT_CONF_MAX_WORKERS];
};

/* Worker k's pool feeds RX queue k of every port and all of worker k's transmissions. */
static int create_pools(struct appliance *a)
{
	/* Frames waiting for their next hop's MAC hold buffers too (tt_neigh). */
	unsigned n = TT_MBUFS_PER_WORKER_EXTRA + a->boot->neigh.queue_per_worker;
	uint16_t room = RTE_MBUF_DEFAULT_BUF_SIZE;

	for (unsigned i = 0; i < a->boot->n_ports; i++) {
		const struct tt_conf_port *pc = &a->boot->ports[i];

		n += pc->rx_desc + pc->tx_desc + TT_TX_BATCH;
		/* A full-sized frame with an 802.1Q tag the port did not strip. */
		room = RTE_MAX(room,
			       pc->mtu + TT_ETH_HDR_LEN + TT_VLAN_TAG_LEN + RTE_PKTMBUF_HEADROOM);
	}

	for (unsigned w = 0; w < a->boot->n_workers; w++) {
		char name[32];

		snprintf(name, sizeof(name), "tt_mbuf_%u", w);
		a->pools[w] = rte_pktmbuf_pool_create(
		    name, n, 256, 0, room, (int)rte_lcore_to_socket_id(a->boot->worker_lcores[w]));
		if (a->pools[w] == NULL) {
			fprintf(stderr, "tcpterm: mbuf pool: %s (reserve hugepages: see README)\n",
				rte_strerror(rte_errno));
			return -1;
		}
	}
	return 0;
}

static int create_workers(struct appliance *a)
{
	const struct tt_reload_gen *g0 = tt_reload_set_latest(&a->gens);
	const struct tt_conf *c = &g0->conf;
	struct tt_worker_params p = {
	    .n_ports = c->n_ports,
	    .ports = a->ports,
	    .conf = c,
	    .listen_app = g0->listen_app,
	    .app_data = &g0->http,
	    .epoch_ms = wall_ms(),
	    .tsc_base = rte_rdtsc(),
	    .tsc_hz = rte_get_tsc_hz(),
	};

	tt_app_register(p.apps);
	if (make_secrets(c, &p) != 0)
		return -1;
	for (unsigned w = 0; w < c->n_workers; w++) {
		p.id = w;
		p.queue_id = (uint16_t)w;
		p.numa_node = (int)rte_lcore_to_socket_id(a->boot->worker_lcores[w]);
		p.pool = a->pools[w];
		if (random_key(&p.table_key) != 0 || random_key(&p.neigh_key) != 0)
			return -1;
		a->workers[w] = tt_worker_create(&p);
		if (a->workers[w] == NULL) {
			fprintf(stderr, "tcpterm: worker %u: %s (lower tcp.max_conns_per_core?)\n",
				w, rte_strerror(rte_errno));
			return -1;
		}
	}
	if (tt_worker_link(a->workers, c->n_workers) != 0) {
		fprintf(stderr, "tcpterm: the workers' neighbour inboxes: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int check_lcores(const struct tt_conf *c)
{
	for (unsigned w = 0; w < c->n_workers; w++) {
		unsigned id = c->worker_lcores[w];

		if (!rte_lcore_is_enabled(id) || id == rte_get_main_lcore()) {
			fprintf(stderr,
				"tcpterm: worker lcore %u is not an enabled worker lcore of EAL "
				"(check -l/--lcores and `workers`)\n",
				id);
			return -1;
		}
	}
	return 0;
}

/* Our counters and the NIC's, for the periodic line and the final table. */
static void collect_all(const struct appliance *a, struct tt_stats *s)
{
	tt_stats_collect(a->workers, a->boot->n_workers, s);
	tt_stats_collect_nic(a->ports, a->n_ports_started, s);
}

/* Log the listener changes of a reload: ports added, ports removed. */
static void log_listener_changes(const struct tt_reload_gen *old, const struct tt_reload_gen *g)
{
	for (unsigned port = 1; port < 65536; port++) {
		if (g->listen_app[port] == old->listen_app[port])
			continue;
		if (g->listen_app[port] == 0)
			printf(
			    "tcpterm: reload: no longer listening on port %u (its open connections "
			    "continue)\n",
			    port);
		else
			printf("tcpterm: reload: listening on port %u: %s%s\n", port,
			       tt_conf_app_name((enum tt_app_kind)(
				   (g->listen_app[port] & TT_LISTEN_APP_MASK) - 1)),
			       g->listen_app[port] & TT_LISTEN_NO_IPV6	 ? " (IPv4 only)"
			       : g->listen_app[port] & TT_LISTEN_NO_IPV4 ? " (IPv6 only)"
									 : "");
	}
}

static void reload_refused(struct appliance *a, const char *why, const char *msg)
{
	printf("tcpterm: reload (%s) refused: %s; the running configuration stays\n", why, msg);
	fflush(stdout);
	tt_reload_outcome(&a->gens, false, msg);
}

/*
 * Re-read the file, check it against the running configuration, build the new generation and
 * publish it to every worker (see tt_reload.h); anything wrong changes nothing.
 */
static void reload(struct appliance *a, const char *why)
{
	static struct tt_conf next; /* 12 KiB: not on the stack */
	const struct tt_reload_gen *old = tt_reload_set_latest(&a->gens);
	struct tt_reload_gen *g;
	char err[512], msg[600];

	if (a->conf_path == NULL)
		return reload_refused(a, why,
				      "running on the built-in configuration: no file to "
				      "re-read (start with -f FILE)");
	if (tt_conf_reload_file(&next, a->conf, a->conf_path, err, sizeof(err)) != 0)
		return reload_refused(a, why, err);
	if (a->gens.n == TT_STACK_RT_GENS) {
		snprintf(msg, sizeof(msg),
			 "%u earlier configurations are still read by open connections (for up "
			 "to tcp.reload_grace_ms + tcp.drain_timeout_ms)",
			 a->gens.n - 1);
		return reload_refused(a, why, msg);
	}
	g = tt_reload_gen_create(&next, old->rt.gen + 1);
	if (g == NULL) {
		/* The loader checked the response's fields: what fails here is the body file,
		 * changed since (EINVAL: no longer a regular file), or memory. */
		if (next.http.body_file[0] != '\0')
			snprintf(msg, sizeof(msg), "%s: http.body_file \"%s\": %s", a->conf_path,
				 next.http.body_file,
				 errno == EINVAL ? "not a regular file" : strerror(errno));
		else
			snprintf(msg, sizeof(msg), "%s: cannot build the HTTP response: %s",
				 a->conf_path, strerror(errno));
		return reload_refused(a, why, msg);
	}
	tt_reload_set_push(&a->gens, g);
	for (unsigned w = 0; w < a->boot->n_workers; w++)
		tt_worker_publish(a->workers[w], &g->rt);
	a->conf = &g->conf;
	log_listener_changes(old, g);
	snprintf(msg, sizeof(msg),
		 "generation %" PRIu32 " from %s: %u listener(s), http %u, body %u B", g->rt.gen,
		 a->conf_path, g->conf.n_listeners, g->conf.http.status, g->conf.http.body_size);
	printf("tcpterm: reload (%s) applied: %s\n", why, msg);
	fflush(stdout);
	tt_reload_outcome(&a->gens, true, msg);
}

/* Free the generations no worker reads any more. */
static void release_generations(struct appliance *a)
{
	uint32_t oldest = tt_reload_set_latest(&a->gens)->rt.gen;
	unsigned n;

	if (a->gens.n == 1)
		return;
	for (unsigned w = 0; w < a->boot->n_workers; w++) {
		uint32_t o = tt_worker_rt_oldest(a->workers[w]);

		if ((int32_t)(o - oldest) < 0)
			oldest = o;
	}
	n = tt_reload_set_release(&a->gens, oldest);
	if (n > 0) {
		printf("tcpterm: reload: %u earlier generation(s) released, %u in use\n", n,
		       a->gens.n);
		fflush(stdout);
	}
}

/* What the main lcore does every few ms while workers run: the periodic line, reloads. */
struct monitor {
	struct tt_stats prev;
	uint64_t last_ms;
	sig_atomic_t hups_seen;
};

static void monitor_init(struct appliance *a, struct monitor *m)
{
	collect_all(a, &m->prev);
	m->last_ms = wall_ms();
	m->hups_seen = 0;
}

static void monitor_tick(struct appliance *a, struct monitor *m)
{
	const struct tt_conf *c;
	struct tt_stats cur;

	usleep(20 * 1000);
	if (hup_signals != m->hups_seen) {
		m->hups_seen = hup_signals;
		reload(a, "SIGHUP");
	}
	if (tt_reload_telemetry_pending())
		reload(a, "telemetry");
	release_generations(a);
	c = a->conf;
	if (c->stats_interval_ms == 0 || wall_ms() - m->last_ms < c->stats_interval_ms)
		return;
	collect_all(a, &cur);
	tt_stats_print_line(stdout, &cur, &m->prev, wall_ms() - m->last_ms);
	m->prev = cur;
	m->last_ms = wall_ms();
}

static bool workers_running(const struct appliance *a)
{
	for (unsigned w = 0; w < a->boot->n_workers; w++)
		if (rte_eal_get_lcore_state(a->boot->worker_lcores[w]) == RUNNING)
			return true;
	return false;
}

/*
 * The first SIGINT/SIGTERM: every worker drains with the configured deadline; a later one
 * brings the deadline to now.  Returns once every worker returned.
 */
static void drain(struct appliance *a, struct monitor *m)
{
	const struct tt_conf *c = a->boot; /* a reload during the drain may free a->conf */
	uint32_t timeout_ms = a->conf->tcp.drain_timeout_ms;
	/* The drain follows the first signal: any after it, even one that came before this line,
	 * cuts the drain short. */
	sig_atomic_t stops_seen = 1;
	uint64_t t0 = wall_ms();
	struct tt_stats s0, s1;

	tt_stats_collect(a->workers, c->n_workers, &s0);
	printf("tcpterm: draining %" PRIu64 " connections for up to %" PRIu32 " ms\n",
	       s0.conns_total - (uint64_t)s0.conns[TT_TCP_TIME_WAIT], timeout_ms);
	fflush(stdout);
	tt_service_notify_stopping("draining");
	for (unsigned w = 0; w < c->n_workers; w++)
		tt_worker_drain(a->workers[w], timeout_ms);
	while (workers_running(a)) {
		monitor_tick(a, m);
		if (stop_signals != stops_seen) {
			stops_seen = stop_signals;
			printf("tcpterm: signal during the drain: resetting what is left now\n");
			fflush(stdout);
			for (unsigned w = 0; w < c->n_workers; w++)
				tt_worker_drain(a->workers[w], 0);
		}
	}
	rte_eal_mp_wait_lcore();
	tt_stats_collect(a->workers, c->n_workers, &s1);
	printf("tcpterm: drained in %" PRIu64 " ms: %" PRIu64 " closed gracefully, %" PRIu64
	       " reset\n",
	       wall_ms() - t0, s1.sum.ev[TT_CTR_CONN_CLOSED] - s0.sum.ev[TT_CTR_CONN_CLOSED],
	       s1.sum.ev[TT_CTR_CONN_RESET_TX] - s0.sum.ev[TT_CTR_CONN_RESET_TX]);
}

static int setup(struct appliance *a)
{
	const struct tt_conf *c = a->boot;
	struct tt_reload_gen *g0;
	char err[512];

	if (check_lcores(c) != 0 || create_pools(a) != 0)
		return -1;
	g0 = tt_reload_gen_create(c, 0);
	if (g0 == NULL) {
		fprintf(stderr, "tcpterm: cannot build the HTTP response: %s\n", strerror(errno));
		return -1;
	}
	tt_reload_set_push(&a->gens, g0);
	a->conf = &g0->conf;
	for (unsigned i = 0; i < c->n_ports; i++) {
		if (tt_port_start(&c->ports[i], (uint16_t)c->n_workers, a->pools, &a->ports[i], err,
				  sizeof(err)) != 0) {
			fprintf(stderr, "tcpterm: %s\n", err);
			return -1;
		}
		a->n_ports_started++;
	}
	return create_workers(a);
}

/*
 * Packet capture: dpdk-dumpcap (or dpdk-pdump) runs as a secondary process and asks us, over
 * EAL's multi-process channel, to copy what the workers receive and send into its ring; the
 * copies are made in the workers' rx/tx_burst callbacks only while a capture runs.  That
 * channel needs the shared runtime directory: with --in-memory (or --no-shconf) there is none,
 * and capture is unavailable, which is said at start rather than discovered by the operator.
 */
static bool capture_init(void)
{
	const char *dir = rte_eal_get_runtime_dir();
	const char *prefix = strrchr(dir, '/');
	char config[PATH_MAX];

	/* The shared configuration a secondary attaches to; EAL writes none with --in-memory. */
	snprintf(config, sizeof(config), "%s/config", dir);
	if (access(config, F_OK) != 0) {
		printf("tcpterm: capture unavailable: no shared EAL configuration (--in-memory?); "
		       "dpdk-dumpcap needs a hugetlbfs (--huge-dir), see README\n");
		return false;
	}
	if (rte_pdump_init() != 0) {
		printf("tcpterm: capture unavailable: %s\n", rte_strerror(rte_errno));
		return false;
	}
	printf("tcpterm: capture: dpdk-dumpcap --file-prefix=%s -i PORT -w FILE.pcapng\n",
	       prefix != NULL ? prefix + 1 : dir);
	return true;
}

static void print_banner(const struct appliance *a)
{
	const struct tt_conf *c = a->conf;

	for (unsigned i = 0; i < c->n_ports; i++) {
		const struct tt_conf_port *p = &c->ports[i];
		const struct tt_port *ps = &a->ports[i];
		const uint8_t *m = ps->mac.b;

		printf("tcpterm: port %s (%s) %02x:%02x:%02x:%02x:%02x:%02x %u.%u.%u.%u/%u, "
		       "%u queue(s), rss %s, checksums: tx ip %s, tx tcp %s, rx %s; tx sent %s\n",
		       p->name, ps->driver, m[0], m[1], m[2], m[3], m[4], m[5], p->ip.addr >> 24,
		       (p->ip.addr >> 16) & 0xff, (p->ip.addr >> 8) & 0xff, p->ip.addr & 0xff,
		       p->ip.prefix_len, ps->n_queues, ps->rss ? "on" : "off",
		       ps->tx_cksum_offload & TT_TX_IP_CKSUM ? "offload" : "software",
		       ps->tx_cksum_offload & TT_TX_TCP_CKSUM ? "offload" : "software",
		       ps->rx_cksum_offload ? "port verdict first" : "software",
		       ps->tx_flush_per_burst ? "after each full rx burst and loop"
					      : "once a loop");
		for (unsigned j = 0; j < p->ip.n_addr6; j++) {
			char a6[INET6_ADDRSTRLEN];

			inet_ntop(AF_INET6, p->ip.addr6[j], a6, sizeof(a6));
			printf("tcpterm: port %s ipv6 %s/%u\n", p->name, a6, p->ip.prefix6_len[j]);
		}
		printf("tcpterm: port %s rings: rx %u, tx %u descriptors%s", p->name, ps->rx_desc,
		       ps->tx_desc,
		       ps->rings_reported ? "" : " as set up (the driver does not report them)");
		if (ps->rx_desc != p->rx_desc || ps->tx_desc != p->tx_desc)
			printf(", rx_desc %u and tx_desc %u asked: the driver's bounds", p->rx_desc,
			       p->tx_desc);
		printf("\n");
		printf("tcpterm: port %s replies to %s\n", p->name,
		       p->reply_to_source_mac ? "the source MAC of what they answer"
					      : "the next hop (ARP)");
		for (unsigned v = 0; v < p->n_vlans; v++) {
			const struct tt_conf_vlan *vl = &p->vlans[v];

			printf("tcpterm: port %s vlan %u %u.%u.%u.%u/%u, tags: rx %s, tx %s\n",
			       p->name, vl->id, vl->ip.addr >> 24, (vl->ip.addr >> 16) & 0xff,
			       (vl->ip.addr >> 8) & 0xff, vl->ip.addr & 0xff, vl->ip.prefix_len,
			       ps->rx_vlan_strip ? "stripped by the port" : "software",
			       ps->tx_vlan_insert ? "inserted by the port" : "software");
		}
	}
	printf("tcpterm: %u worker(s), memory per connection: tcb %zu B + table %zu B, "
	       "per TIME-WAIT entry %zu B + table %zu B; a send block of %zu B while data is "
	       "queued (%u per worker), an application block of %u B while a request is "
	       "incomplete (%u per worker)\n",
	       c->n_workers, tt_stack_tcb_size(),
	       tt_stack_table_bytes_per_conn(a->workers[0]->stack), tt_stack_tw_size(),
	       tt_stack_table_bytes_per_conn(a->workers[0]->stack), sizeof(struct tt_sndb),
	       tt_conf_tcp_send_blocks(&c->tcp), (unsigned)TT_TCP_APP_BLOCK_BYTES,
	       tt_conf_tcp_app_blocks(&c->tcp));
	for (unsigned i = 0; i < c->n_listeners; i++)
		printf("tcpterm: listening on port %u: %s\n", c->listeners[i].port,
		       tt_conf_app_name(c->listeners[i].app));
	fflush(stdout);
}

/* Every port started and every worker launched: the service is up. */
static void notify_ready(const struct appliance *a)
{
	char status[128];

	snprintf(status, sizeof(status), "%u port(s), %u worker(s), %u listener(s)",
		 a->n_ports_started, a->boot->n_workers, a->conf->n_listeners);
	if (tt_service_notify_ready(status) != 0)
		fprintf(stderr, "tcpterm: readiness notification failed\n");
}

static int run(struct appliance *a)
{
	const struct tt_conf *c = a->boot;
	struct tt_stats final;
	struct monitor m;

	tt_stats_telemetry_init(a->workers, c->n_workers);
	tt_stats_telemetry_nic_init(a->boot, a->ports);
	tt_reload_telemetry_init(&a->gens);
	print_banner(a);
	for (unsigned w = 0; w < c->n_workers; w++)
		rte_eal_remote_launch(tt_worker_main, a->workers[w], c->worker_lcores[w]);
	notify_ready(a);
	monitor_init(a, &m);
	while (stop_signals == 0)
		monitor_tick(a, &m);
	drain(a, &m);
	collect_all(a, &final);
	printf("tcpterm: stopped; final counters:\n");
	tt_stats_print_all(stdout, &final);
	printf("reloads: applied %" PRIu64 " refused %" PRIu64 "\n", a->gens.applied,
	       a->gens.refused);
	return 0;
}

/*
 * Closed ports have given their rings' mbufs back, so what is still out of
 * the pools is what connections hold (rx_bufs_held) or what leaked.  The
 * count while running cannot tell: a TX ring keeps sent mbufs until it
 * wraps (virtio reclaims lazily).
 */
static void print_pools_after_close(const struct appliance *a)
{
	unsigned out = 0;

	for (unsigned w = 0; w < a->boot->n_workers; w++)
		out += rte_mempool_in_use_count(a->pools[w]);
	printf("tcpterm: ports closed, mbufs not back in the pools: %u\n", out);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct tt_conf conf;
	static struct appliance app;
	static char *eal_argv[TT_MAX_EAL_ARGV + 1];
	struct opts o = {0};
	char err[512];
	int sep = 0, rc, eal_argc;
	bool capturing;

	/* EAL arguments stop at "--"; without one, every argument is ours. */
	for (int i = 1; i < argc && sep == 0; i++)
		if (!strcmp(argv[i], "--"))
			sep = i;
	rc = sep ? parse_opts(argc - sep, argv + sep, &o) : parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	rc = o.conf_path ? tt_conf_load_file(&conf, o.conf_path, err, sizeof(err))
			 : tt_conf_load_string(&conf, tt_default_conf, "<built-in tcpterm.conf>",
					       err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "tcpterm: %s\n", err);
		return 1;
	}
	if (o.check) {
		printf("tcpterm: %s: configuration is valid\n", conf.path);
		return 0;
	}
	eal_argc = build_eal_argv(&conf, sep ? sep : 1, argv, eal_argv);
	if (tt_service_log_init() != 0)
		fprintf(stderr,
			"tcpterm: cannot direct the DPDK log to stderr; EAL's default stays\n");
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr,
			"tcpterm: EAL init failed: %s\n"
			"  reserve hugepages (scripts/setup.sh) and pass --in-memory, or pass "
			"--no-huge;\n"
			"  with no DPDK NIC use a virtual device, e.g. net_tap0,iface=tt0\n",
			rte_strerror(rte_errno));
		return 1;
	}
	app.boot = &conf;
	app.conf = &conf;
	app.conf_path = o.conf_path;
	capturing = capture_init();
	rc = install_signals() == 0 && setup(&app) == 0 ? run(&app) : 1;
	tt_stats_telemetry_stop();
	for (unsigned i = 0; i < app.n_ports_started; i++)
		tt_port_stop(&app.ports[i]);
	if (rc == 0)
		print_pools_after_close(&app);
	for (unsigned w = 0; w < conf.n_workers; w++)
		tt_worker_free(app.workers[w]);
	tt_reload_set_free(&app.gens);
	if (capturing)
		rte_pdump_uninit();
	rte_eal_cleanup();
	return rc;
}
