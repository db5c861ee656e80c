/*
 * tt_stats: the operator's view of all workers' counters.
 *
 * The main lcore sums the per-worker counters and gauges into a
 * struct tt_stats (no locks: a counter read one increment late is fine),
 * prints the periodic one-line summary and the full table at exit, and
 * answers DPDK telemetry (/tcpterm/stats, /tcpterm/conns, /tcpterm/drops,
 * /tcpterm/workers) so that `dpdk-telemetry.py` can read the same numbers
 * while it runs.  /tcpterm/stats and /tcpterm/workers (busy and idle
 * cycles per worker) carry the TSC at the sample: two samples give a load
 * window's busy fraction and cycles per connection (bench/run.sh).
 *
 * /tcpterm/connlist lists connections like `ss -tan` (scripts/tcpterm-ss):
 * the workers answer it themselves through their mailboxes (tt_connlist.h),
 * and at most TT_CONNLIST_MAX rows go out, as many as one 16 KiB reply holds.
 *
 * The NIC's own counters (ethdev basic stats, summed over ports: imissed,
 * rx_nombuf, ierrors, oerrors, per-queue packets) sit beside ours: in the
 * periodic line as "nic drops N (...)" next to our "drops N", in the final
 * table as nic_*, and in /tcpterm/nic (all ports summed; with a port name
 * as parameter, that port's basic and extended statistics).  A frame the
 * NIC dropped never reached a worker, so no drop reason of ours counts it.
 */
#ifndef TT_STATS_H
#define TT_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "tt_conf.h"
#include "tt_counters.h"
#include "tt_port.h"
#include "tt_tcp.h"
#include "tt_worker.h"

struct tt_stats {
	struct tt_counters sum;
	int64_t conns[TT_TCP_NSTATES];	/* connections by state, like ss -s */
	int64_t conns6[TT_TCP_NSTATES]; /* the IPv6 ones among them (IPv4: the difference) */
	uint64_t conns_total, conns_total6;
	uint64_t mbufs_in_use; /* out of the pools, less the parked ones */
	uint64_t mbufs_parked; /* free, kept out of the pools' stores by the workers */
	uint64_t rx_bufs_held; /* of which received buffers connections keep (echo, reassembly) */
	uint64_t busy_cycles, idle_cycles;
	uint64_t port_rx_cycles, port_tx_cycles; /* of busy_cycles, in the ports' calls */
	uint64_t idle_port_rx_cycles;		 /* of idle_cycles, in the empty receive calls */
	struct tt_port_stats nic; /* summed over ports, by tt_stats_collect_nic */
	unsigned nic_queues;	  /* queues per port, as many as workers */
};

void tt_stats_collect(struct tt_worker *const *workers, unsigned n, struct tt_stats *s);

/* One line: rates since prev over interval_ms, and the state gauges. */
void tt_stats_print_line(FILE *f, const struct tt_stats *cur, const struct tt_stats *prev,
			 uint64_t interval_ms);

/* Every non-zero counter, one per line, "name value". */
void tt_stats_print_all(FILE *f, const struct tt_stats *s);

/* Register the telemetry commands; the workers array must outlive EAL. */
int tt_stats_telemetry_init(struct tt_worker *const *workers, unsigned n);

/* Before the ports are closed and the workers freed: every command that reads them answers
 * {"error": ...} from now on (waits for the queries in progress, a listing at most
 * TT_CONNLIST_TIMEOUT_MS). */
void tt_stats_telemetry_stop(void);

/* The NIC side of s: ethdev statistics of the n started ports, summed (after tt_stats_collect). */
void tt_stats_collect_nic(const struct tt_port *ports, unsigned n, struct tt_stats *s);

/* The periodic line's NIC part: " | nic drops N (imissed a nombuf b ierrors c oerrors d) rxq
 * R0/s R1/s ..." (deltas since prev, per-queue received packets per second). */
void tt_stats_print_nic_part(FILE *f, const struct tt_stats *cur, const struct tt_stats *prev,
			     uint64_t interval_ms);

/* The final table's NIC part: "nic: drops total N" then every nic_* counter. */
void tt_stats_print_nic_all(FILE *f, const struct tt_stats *s);

/* Register /tcpterm/nic for the ports of c (started, in c's order); ports must outlive EAL. */
int tt_stats_telemetry_nic_init(const struct tt_conf *c, const struct tt_port *ports);

#endif
