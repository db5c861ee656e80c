/*
 * tcpterm-gen: a stateful TCP load generator built on the project's own
 * stack (lib/): the same parser, connection table, timer wheel, state
 * machine (its client half) and TX batching as the appliance.
 *
 * One worker lcore runs the worker loop of lib/worker with a scenario as
 * its per-iteration hook; the main lcore prints a line per second and the
 * final summary (JSON).  The scenarios:
 *
 *   cps         a new connection per request, open loop at --rate or as
 *               fast as the in-flight cap (--conns) allows;
 *   rps         --conns keep-alive connections, requests back to back,
 *               --pipeline deep;
 *   throughput  --conns connections downloading --body byte responses;
 *   concurrent  open --conns connections and hold them idle;
 *   synflood    SYNs from random sources at --rate beside a cps stream of
 *               legitimate clients at --legit-rate; each iteration opens
 *               the legitimate connections due first and sends them out
 *               before the flood's SYNs, which get what room is left in
 *               the TX queue (those it takes are counted apart); the SYNs
 *               are written from a template and the appliance's SYN-ACKs
 *               to their sources dropped unparsed (gen_flood.h), so the
 *               flood costs the generator little at either end;
 *   soak        --rate connections a second of every kind, honest and not
 *               (gen_soak.c), with --loss percent of received frames lost;
 *   blast/reflect  the link's own limit: 64-byte frames out and back;
 *   respond     in the appliance's place, an HTTP server with no TCP state
 *               (gen_responder.h): what the appliance's work costs at the
 *               least on its port.
 *
 * cps and rps --stateless run without lib/ (gen_stateless.h): every reply
 * computed from the segment it answers, each response compared with the
 * verified reference, each connection's phase in a table indexed by its
 * port; for rate runs the generator must not limit (frames from templates,
 * SYNs in batches at --rate: about 1,800 busy cycles per completed
 * connection in the overload scenario, three quarters of them in the vhost
 * PMD; bench/README.md).
 *
 * Every scenario is bounded by --duration plus a drain time; nothing runs
 * forever.
 */
#ifndef GEN_H
#define GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gen_http.h"
#include "gen_responder.h"
#include "gen_tmpl.h"
#include "tt_worker.h"

enum gen_scenario {
	GEN_CPS,
	GEN_RPS,
	GEN_THROUGHPUT,
	GEN_CONCURRENT,
	GEN_SYNFLOOD,
	GEN_SOAK,
	GEN_BLAST,
	GEN_REFLECT,
	GEN_RESPOND
};

/* Seconds the generator stays after its last connection, for the appliance's last FINs. */
enum { GEN_LINGER_S = 4 };

struct gen_opts {
	enum gen_scenario scenario;
	char device[256];
	uint32_t server;      /* the appliance's address */
	uint16_t server_port;
	uint32_t client_first; /* client addresses: client_first .. + client_count - 1 */
	uint32_t client_count;
	uint16_t port_first, port_last; /* client ports */
	double duration_s;
	double drain_s;
	/* After the result: the port stays open this long, or until SIGINT/SIGTERM (--linger). */
	double linger_s;
	uint64_t rate;       /* cps: connections/s; synflood: SYN/s; 0: as fast as possible */
	uint64_t legit_rate; /* synflood: legitimate connections/s */
	uint32_t conns;      /* cps: in flight at most; others: connections */
	uint32_t requests_per_conn;
	uint32_t pipeline;
	uint32_t body;
	enum gen_close_mode close_mode;
	uint32_t max_conns;
	double loss_pct;       /* soak: received frames dropped, percent */
	bool checksum_offload; /* ports[0].checksum_offload: "auto" (true) or "off" */
	bool no_retransmit;    /* syn_retries = max_retries = 0: one RTO ends a connection */
	bool stateless;        /* cps without connection state (gen_stateless.h) */
	bool alternate;	       /* stateless cps: closed, open loop by turns (gen_stateless.h) */
	double alternate_factor; /* > 0: each open turn at this x the closed turn's rate */
};

struct gen_soak;

/*
 * The generator's own counters at one instant.  The worker takes one when
 * the load starts and one when it ends (its first iteration at or past
 * end_tsc), so rates, the busy fraction and the flood's figures are over
 * the load window only; the TSC values let a benchmark pick the
 * appliance's telemetry samples of the same window.
 */
struct gen_window {
	uint64_t tsc;
	uint64_t busy_cycles, idle_cycles;
	uint64_t rx_frames, tx_frames, tx_refused;
	uint64_t attempted, completed, responses;
	uint64_t syns_sent, syns_accepted;
	uint64_t flood_rx;
};

/* What the scenario hook reads and writes; owned by the worker lcore. */
struct gen_run {
	const struct gen_opts *o;
	struct gen_http_stats *stats;
	struct tt_mac server_mac;
	uint64_t tsc_hz;
	uint64_t start_tsc, end_tsc, drain_end_tsc;
	uint64_t opened;       /* connections started */
	uint64_t syns_sent;    /* synflood: SYNs offered to the TX queue */
	uint64_t syns_accepted; /* synflood: of which the TX queue took (onto the link) */
	uint64_t flood_rng;
	uint64_t flood_resume_tsc; /* synflood: paused until then (TX queue full) */
	uint64_t flood_rx;	   /* synflood: frames to the flood's sources, dropped unparsed */
	uint64_t flood_no_mbuf;	   /* synflood: SYN batches not sent for want of mbufs */
	bool flood_rx_full;	   /* synflood: the last RX burst was full before the drop */
	struct gen_tmpl flood_syn; /* synflood: the SYN's template (gen_flood.h) */
	uint32_t next_client;  /* index into the client address range */
	uint16_t next_port;
	bool stopping;         /* past end_tsc: closing down */
	bool closed_all;       /* the close walk covered the whole table */
	uint32_t close_cursor;
	uint64_t closed;       /* closes asked for since the end (pacing) */
	uint64_t linger_end_tsc; /* set when the last connection is gone */
	struct gen_soak *soak; /* the soak's own state; NULL in other scenarios */
	struct gen_window window[2]; /* at the load's start and end */
	unsigned windows_taken;
	volatile bool *quit;
};

static inline uint64_t gen_xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The worker's per-iteration hook (struct tt_worker_params.on_loop). */
void gen_scenario_loop(struct tt_worker *w, void *arg);

/* Open a client connection of application app (its gen_http plan); false if the table is full. */
bool gen_open(struct tt_worker *w, struct gen_run *r, uint8_t app);

/*
 * Synflood: the SYN template, and the RX callback on the port's queue 0 that drops frames to
 * the flood's sources before the stack parses them (gen_flood.h).  After the appliance's MAC is
 * known; 0 or -errno.
 */
int gen_flood_setup(struct gen_run *r, const struct tt_port *port);

/* The soak's HTTP clients are applications 0 .. GEN_SOAK_PLANS - 1. */
enum { GEN_SOAK_PLANS = 3 };

/*
 * Soak: registers its clients' applications and its loop hook in p, and its
 * RX callback (loss, the scripted peers' replies) on the port's queue 0.
 * 0 or -errno.
 */
int gen_soak_setup(struct gen_run *r, struct tt_worker_params *p, const struct tt_port *port);
/* The soak's part of the JSON summary: ,"soak":{...} */
void gen_soak_print(FILE *f, const struct gen_soak *s);

/* The load window's figures as the summary's ,"window":{...}: w[0] at its start, w[1] at its end. */
void gen_print_window(FILE *f, const struct gen_window w[2], uint64_t tsc_hz, double legit_rate);

/* The stateless cps client (gen_stateless.h) on lcore until the duration and drain end or quit;
 * prints its summary; 0, or 3 when the server reset connections. */
struct gen_sl_conf;
int gen_sl_run(const struct gen_opts *o, const struct tt_port *port, struct rte_mempool *pool,
	       const struct gen_sl_conf *conf, unsigned lcore, volatile bool *quit);

/* blast / reflect / respond on a port, on the calling lcore, until quit or the duration. */
struct gen_link_result {
	uint64_t tx, rx;
	uint64_t tx_refused;
	uint64_t cycles, busy_cycles; /* first to last frame received; of iterations that did */
	uint64_t port_rx_cycles, port_tx_cycles; /* respond: busy cycles in the port's calls */
	double seconds;
	struct gen_rsp_ctr rsp; /* respond: the replies by kind */
};
int gen_link_run(const struct gen_opts *o, const struct tt_port *port, struct rte_mempool *pool,
		 volatile bool *quit, struct gen_link_result *r);

#endif
