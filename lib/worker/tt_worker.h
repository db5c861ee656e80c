/*
 * tt_worker: one data-path lcore, shared-nothing.
 *
 * A worker owns one RX/TX queue pair of each port and everything a
 * connection needs: the connection table, the TCB and TIME-WAIT pools,
 * the timer wheel, its mbuf pool, the TX batch and its counters.  The
 * port's RSS (or the kernel's queue choice for a TAP) keeps every segment
 * of a flow on one queue, so no worker ever touches another's state and
 * nothing is locked.
 *
 * One loop iteration:
 *   rx_burst(32) -> parse -> ARP/ICMP replies, TCP (lookup, LISTEN,
 *   tt_tcp_input) -> replies into the TX batch -> expire a bounded batch
 *   of timers -> one tx_burst of the batch.
 * Mbufs the NIC refuses are freed and counted (tx_failed).
 *
 * The main lcore creates workers (tt_worker_create) before launching
 * them and afterwards only reads their counters and gauges.  Busy and
 * idle TSC cycles are measured per iteration (an iteration that received
 * nothing and expired nothing is idle).
 */
#ifndef TT_WORKER_H
#define TT_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tt_conf.h"
#include "tt_conn_tbl.h"
#include "tt_counters.h"
#include "tt_net.h"
#include "tt_pool.h"
#include "tt_port.h"
#include "tt_tcp.h"
#include "tt_timer.h"

enum {
	TT_RX_BURST = 32,
	TT_RX_BURSTS_PER_LOOP = 4,
	TT_TX_BATCH = 128,
	TT_TIMER_BATCH = 256, /* expiries handled per loop iteration at most */
	/* Connections that may hold out-of-order segments at once (8 segments each): bounds the
	 * receive buffers that holes can pin. */
	TT_OOO_BLOCKS = 1024,
};

struct tt_worker;

/* What a worker needs from the outside; shared data here is read-only. */
struct tt_worker_params {
	unsigned id;
	uint16_t queue_id; /* the same queue index on every port */
	unsigned n_ports;
	const struct tt_port *ports; /* [n_ports], started; addresses from conf->ports */
	uint32_t addr_count;         /* addresses owned from each port's address on (0: one) */
	struct rte_mempool *pool;
	const struct tt_conf *conf;
	const uint8_t *listen_app; /* [65536]: 0 = no listener, else application index + 1 */
	const struct tt_tcp_app_ops *apps[TT_TCP_MAX_APPS]; /* by application index */
	const void *app_data;      /* the applications' shared data (HTTP responses) */
	/* Called once per loop iteration after RX, e.g. to open client connections. */
	void (*on_loop)(struct tt_worker *w, void *arg);
	void *loop_arg;
	struct tt_syncookie_secret cookie_secret;
	struct tt_isn_secret isn_secret;
	struct tt_siphash_key table_key; /* the connection table's: per worker, from getrandom(2) */
	uint64_t epoch_ms; /* wall-clock ms at tsc_base: the cookie clock all nodes share */
	uint64_t tsc_base;
	uint64_t tsc_hz;
	volatile bool *quit;
};

/* One port as a worker sees it: its queue pair and its TX batch. */
struct tt_worker_port {
	struct tt_net_if ifc;
	uint16_t port_id;
	bool tx_cksum_offload;
	unsigned n_tx;
	struct rte_mbuf *tx[TT_TX_BATCH];
};

struct tt_worker {
	struct tt_tcp_ctx tcp;
	struct tt_counters ctr;
	uint16_t queue_id;
	unsigned n_ports;
	struct rte_mempool *pool;
	struct tt_conn_tbl *tbl;
	struct tt_pool *tcbs;
	struct tt_pool *tws;
	struct tt_pool *ooo;
	struct tt_timer_wheel *wheel;
	const uint8_t *listen_app;
	uint64_t tsc_base;
	uint64_t tsc_per_ms;
	uint64_t epoch_ms;
	uint64_t rst_ms;
	uint32_t rst_tokens;
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	volatile bool *quit;
	void (*on_loop)(struct tt_worker *w, void *arg);
	void *loop_arg;
	unsigned id;
	struct tt_worker_port ports[TT_CONF_MAX_PORTS];
} __rte_cache_aligned;

/* NULL + rte_errno on failure. */
struct tt_worker *tt_worker_create(const struct tt_worker_params *p);
void tt_worker_free(struct tt_worker *w);

/* The lcore entry point (rte_eal_remote_launch); arg is the struct tt_worker. */
int tt_worker_main(void *arg);

/* Handle one frame received on the worker's port index port; takes ownership of m. */
void tt_worker_rx(struct tt_worker *w, unsigned port, struct rte_mbuf *m);

/*
 * Open a client connection on port index port to flow f (f.saddr/sport the
 * server, f.daddr/dport our side) whose next hop is peer_mac, for
 * application app.  NULL (counted as tcp_table_full) when no TCB is free
 * or the 4-tuple is in use.
 */
struct tt_tcb *tt_worker_connect(struct tt_worker *w, unsigned port, const struct tt_flow4 *f,
				 const struct tt_mac *peer_mac, uint8_t app);

/*
 * Close up to max_close established connections (FIN after their queued
 * data), walking the table from cursor on; returns the cursor for the next
 * call, 0 once the whole table was covered.  Small steps keep each burst
 * of FINs within what the peer and the TX ring can take.
 */
uint32_t tt_worker_close_step(struct tt_worker *w, uint32_t cursor, unsigned max_close);

/* Send one segment that no connection stands behind (a crafted SYN). */
void tt_worker_send_segment(struct tt_worker *w, unsigned port, struct tt_tcp_hdr_args *a);

/* Advance time to now_ms and expire due timers (at most TT_TIMER_BATCH). */
unsigned tt_worker_timers(struct tt_worker *w, uint64_t now_ms);

/* Transmit the TX batches of every port. */
void tt_worker_flush(struct tt_worker *w);

/* Memory per object, for the operator: TCB, TIME-WAIT entry, table share per connection. */
size_t tt_worker_tcb_size(void);
size_t tt_worker_tw_size(void);
size_t tt_worker_table_bytes_per_conn(const struct tt_worker *w);

#endif
