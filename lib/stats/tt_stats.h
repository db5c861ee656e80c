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
 */
#ifndef TT_STATS_H
#define TT_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "tt_counters.h"
#include "tt_tcp.h"
#include "tt_worker.h"

struct tt_stats {
	struct tt_counters sum;
	int64_t conns[TT_TCP_NSTATES]; /* connections by state, like ss -s */
	uint64_t conns_total;
	uint64_t mbufs_in_use;
	uint64_t rx_bufs_held; /* of which received buffers connections keep (echo, reassembly) */
	uint64_t busy_cycles, idle_cycles;
};

void tt_stats_collect(struct tt_worker *const *workers, unsigned n, struct tt_stats *s);

/* One line: rates since prev over interval_ms, and the state gauges. */
void tt_stats_print_line(FILE *f, const struct tt_stats *cur, const struct tt_stats *prev,
			 uint64_t interval_ms);

/* Every non-zero counter, one per line, "name value". */
void tt_stats_print_all(FILE *f, const struct tt_stats *s);

/* Register the telemetry commands; the workers array must outlive EAL. */
int tt_stats_telemetry_init(struct tt_worker *const *workers, unsigned n);

#endif
