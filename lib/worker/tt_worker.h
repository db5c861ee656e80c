/*
 * tt_worker: one data-path lcore, shared-nothing.
 *
 * A worker owns one RX/TX queue pair of each port, its mbuf pool, the TX
 * batches, its counters and one TCP stack (tt_stack: connection table,
 * pools, timer wheel).  The port's RSS (or the kernel's queue choice for a
 * TAP) keeps every segment of a flow on one queue, so no worker ever
 * touches another's state and nothing is locked.
 *
 * One loop iteration:
 *   rx_burst(32) -> parse the burst -> ARP/ICMP/ICMPv6/ND replies in place, the TCP
 *   segments into the stack as one burst -> the stack's frames into the TX
 *   batch -> expire a bounded batch of timers and neighbour deadlines -> one
 *   tx_burst of the batch.  Up to TT_RX_BURSTS_PER_LOOP bursts per port and
 *   iteration; a port that asks for it (tt_port.tx_flush_per_burst: memif) has
 *   its batch sent after each full burst as well, so its peer gets the replies
 *   while the next burst is being served.
 * A data, SYN or FIN segment the NIC's TX queue refuses is held for the next flush
 * (TT_TX_HOLD per port, tx_held; tx_held_retried / tx_held_dropped say how it went); other
 * refused frames, and held ones refused again, are freed and counted (tx_failed).
 *
 * Admission control: after each RX poll the worker tells its stack whether some port filled
 * every burst it asked for while the worker was saturated, busy for more than half of the last
 * millisecond or two (tt_busy.h: a wave of frames after idle time is not overload), and the
 * stack sheds SYNs while that goes on (tt_stack_rx_poll).  While it
 * does (tt_stack_shedding), the worker drops a plain IPv4 SYN the port did not untag before
 * parsing it: recognised at fixed offsets of its first cache line (tt_net_peek_ipv4_syn), counted
 * as received, syn_received and tcp_syn_shed, and freed with the burst's other shed SYNs in one
 * rte_pktmbuf_free_bulk.  No checksum or address is checked, so a frame the parser would have
 * dropped for another reason counts as shed; either way it is dropped.  Other SYNs (IPv6, tagged,
 * IPv4 with options) are shed by the stack after parsing.
 *
 * Interfaces: each port untagged is interface 0..n_ports-1, then come the
 * VLANs of each port in order, each an interface with its own addresses.  A
 * received frame is given to the interface of its port and VLAN (the tag
 * the port stripped, or the one in the frame: software); a frame of a VLAN
 * the port does not serve is dropped (vlan_unserved).  Frames leave tagged
 * with their interface's VLAN, by the port's insert offload or in software
 * (the tag written into the mbuf's headroom).  Connections remember their
 * interface (tt_tcb.port); an address belongs to one interface only (the
 * configuration refuses overlapping prefixes beside a VLAN), so a 4-tuple
 * names one interface and the connection table needs no interface in its
 * key.
 *
 * Next hops: the worker owns a neighbour cache (tt_neigh) over its
 * interfaces; ARP packets and neighbour advertisements / solicitations
 * update the entries it holds, and are told to the other workers, whose
 * queues may not see the answers to their requests (tt_news.h: each
 * iteration takes what they told, and so ICMP too-big errors that quote
 * another worker's connection); the stack sends through it,
 * tt_neigh_tick runs its deadlines every iteration.  A tag before IPv6 that the port did
 * not strip is taken out before parsing (tt_net_vlan_strip).
 *
 * Free buffers: while the loop runs, the worker keeps its pool's common store within a band of
 * one to two thousand free mbufs and parks the rest (tt_spares.h), so the buffers it receives
 * into and builds replies in are few and stay in the caches; parked buffers go back as the
 * store runs low, as one of the worker's allocations fails, and when the loop ends.
 *
 * The main lcore creates workers (tt_worker_create) before launching
 * them and afterwards only reads their counters and gauges, and may ask
 * them to drain (tt_worker_drain): the one field that request writes is
 * read by the worker every loop, so no lock is needed.  A reload is
 * published the same way (tt_worker_publish: one pointer, read once per
 * iteration; the worker answers with rt_oldest, see tt_reload.h).  A draining worker
 * hands the deadline to tt_stack_drain_step every loop and returns from
 * tt_worker_main once its stack is empty.
 *
 * The connection listing (/tcpterm/connlist) reaches the worker through its mailbox
 * (tt_connlist.h): one flag read per iteration, and while a request is in work one bounded step
 * of its walk per iteration, counted as busy.
 *
 * Busy and idle TSC cycles are measured per iteration: an iteration that
 * received nothing, expired nothing and sent nothing is idle (a load
 * generator's iterations that only open connections are busy too).  Of
 * the busy cycles, those spent inside the ports' receive and send calls
 * are counted apart (port_rx_cycles, port_tx_cycles): what the PMD takes,
 * read from the TSC around each call rather than from samples; and of the
 * idle cycles, those of the empty receive calls (idle_port_rx_cycles).
 */
#ifndef TT_WORKER_H
#define TT_WORKER_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_reciprocal.h>

#include "tt_busy.h"
#include "tt_conf.h"
#include "tt_connlist.h"
#include "tt_counters.h"
#include "tt_nd.h"
#include "tt_neigh.h"
#include "tt_news.h"
#include "tt_net_locals.h"
#include "tt_net.h"
#include "tt_port.h"
#include "tt_spares.h"
#include "tt_stack.h"
#include "tt_tcp.h"

enum {
	TT_RX_BURST = 32,
	TT_RX_BURSTS_PER_LOOP = 4,
	TT_TX_BATCH = 128,
	/* Refused frames a port's batch keeps for the next flush (see tt_worker_flush): a
	 * quarter of it, so a burst of new frames always has room beside them. */
	TT_TX_HOLD = TT_TX_BATCH / 4,
	TT_HELD_MARGIN_MBUFS = 1024, /* beyond the rings: mempool cache and one loop's frames */
};

struct tt_worker;

/* What a worker needs from the outside; shared data here is read-only. */
struct tt_worker_params {
	unsigned id;
	uint16_t queue_id; /* the same queue index on every port */
	unsigned n_ports;
	const struct tt_port *ports; /* [n_ports], started; addresses from conf->ports */
	uint32_t addr_count;	     /* addresses owned from each port's address on (0: one) */
	struct rte_mempool *pool;
	const struct tt_conf *conf;
	const uint8_t *listen_app; /* [65536]: 0 = no listener, else application index + 1 */
	const struct tt_tcp_app_ops *apps[TT_TCP_MAX_APPS]; /* by application index */
	const void *app_data; /* the applications' shared data (HTTP responses) */
	/* Called once per loop iteration after RX, e.g. to open client connections. */
	void (*on_loop)(struct tt_worker *w, void *arg);
	void *loop_arg;
	struct tt_syncookie_secret cookie_secret;
	struct tt_isn_secret isn_secret;
	struct tt_siphash_key table_key; /* the connection table's: per worker, from getrandom(2) */
	int numa_node; /* the worker lcore's: where its connection table is placed; < 0: any */
	struct tt_siphash_key neigh_key; /* the neighbour cache's: likewise */
	uint64_t epoch_ms; /* wall-clock ms at tsc_base: the cookie clock all nodes share */
	uint64_t tsc_base;
	uint64_t tsc_hz;
	volatile bool *quit; /* the loop ends when it becomes true; NULL: only by a drain */
};

/* One port as a worker sees it: its queue pair, its VLANs and its TX batch. */
struct tt_worker_port {
	uint16_t port_id;
	uint8_t tx_cksum_offload; /* TT_TX_* bits */
	bool rx_cksum_offload;
	bool rx_vlan_strip, tx_vlan_insert; /* the port's VLAN offloads */
	bool tx_flush_per_burst;	    /* the batch sent after each full RX burst too */
	bool tx_header_in_headroom;	    /* the PMD writes the line before a sent frame */
	uint32_t max_frame; /* the longest frame taken untagged: the MTU and Ethernet */
	uint64_t tx_ol_flags;		    /* what tx_cksum_offload asks of the PMD, per frame */
	unsigned n_vlans;
	uint16_t vlan_id[TT_CONF_MAX_VLANS]; /* the VLANs served, with their interfaces: */
	uint8_t vlan_ifx[TT_CONF_MAX_VLANS];
	unsigned n_tx;
	unsigned n_held; /* tx[0 .. n_held): refused once, tried again at the next flush */
	struct rte_mbuf *tx[TT_TX_BATCH];
};

/* One interface: a port untagged, or one VLAN of it. */
struct tt_worker_if {
	struct tt_net_if ifc;
	uint8_t port; /* index in tt_worker.ports */
};

struct tt_worker {
	struct tt_counters ctr;
	struct tt_stack *stack;
	uint16_t queue_id;
	unsigned n_ports;
	struct rte_mempool *pool;
	/* The pool's free buffers beyond its store's band (TT_HELD_MARGIN_MBUFS to twice that),
	 * parked while the loop runs so that the store cycles few (tt_spares.h). */
	struct tt_spares spares;
	uint64_t tsc_base;
	struct rte_reciprocal_u64 tsc_per_ms; /* TSC ticks a millisecond, as a divisor */
	uint64_t tsc_ms_ticks;		      /* the same, as a number */
	uint64_t tsc_100us;		      /* TSC ticks in 100 us: a slow iteration's least */
	uint64_t epoch_ms;
	uint64_t now_ms;
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	/* The last millisecond or two, busy or not: a full RX poll counts toward shedding SYNs
	 * only while the worker is saturated (tt_busy.h). */
	struct tt_busy_window recent;
	/* Of busy_cycles, those inside the ports' receive and send calls (rte_eth_rx_burst from
	 * the iteration's start, rte_eth_tx_burst): the PMD's share, by the TSC. */
	uint64_t port_rx_cycles;
	uint64_t port_tx_cycles;
	/* Of idle_cycles, those inside the empty receive calls: a profile's samples of idle polls
	 * split between the PMD and the loop around its calls. */
	uint64_t idle_port_rx_cycles;
	volatile bool *quit;
	/* 0, or the drain's deadline (ms, the worker's clock): written by tt_worker_drain on the
	 * main lcore, read every loop; an aligned 64-bit store is never seen half done. */
	volatile uint64_t drain_deadline_ms;
	void (*on_loop)(struct tt_worker *w, void *arg);
	void *loop_arg;
	unsigned id;
	bool prefetchw; /* the CPU has PREFETCHW: received buffers are prefetched for writing */
	uint8_t write_lines; /* how many lines of each (the last frame sent's, bounded) */
	/* The received buffer given back last, for the next frame built (see mbuf_release in
	 * tt_worker.c); NULL when none.  Only the running loop (looping: inside tt_worker_main)
	 * fills it, and it empties it when idle: an idle worker holds no buffer. */
	struct rte_mbuf *recycled;
	bool looping;
	/* Reload (see tt_reload.h): the latest generation, stored by the main lcore (release)
	 * and loaded once per iteration (acquire); NULL: generation 0 of the params.  rt is
	 * what the stack has; rt_oldest, stored by the worker (release), the oldest generation
	 * its connections may still read: the main lcore frees generations older than every
	 * worker's. */
	const struct tt_stack_rt *rt_next;
	const struct tt_stack_rt *rt;
	uint32_t rt_oldest;
	struct tt_worker_port ports[TT_CONF_MAX_PORTS];
	unsigned n_ifs;
	struct tt_worker_if ifs[TT_STACK_MAX_IFS];
	/* Every interface's addresses, which the parser refuses as a source on any of them
	 * (tt_net_locals.h): read when there are two interfaces or more. */
	struct tt_net_locals locals;
	struct tt_neigh *neigh;
	/* What the other workers heard for this one, and their inboxes (tt_news.h). */
	struct tt_news_box news;
	int numa_node;			  /* the lcore's (params): where the inbox is made */
	struct tt_connlist_mbox connlist; /* the listing's requests, served in the loop */
} __rte_cache_aligned;

static_assert((int)TT_CONF_MAX_ADDR6 == (int)TT_NET_MAX_ADDR6, "a port's IPv6 addresses fit");
static_assert((int)TT_CONF_MAX_WORKERS <= (int)TT_CONNLIST_MAX_WORKERS,
	      "a listing can name every worker");

/* NULL + rte_errno on failure. */
struct tt_worker *tt_worker_create(const struct tt_worker_params *p);
void tt_worker_free(struct tt_worker *w);

/*
 * Links the n workers of one appliance before their launch: each gets an inbox for what the
 * others hear that it needs, and their inboxes to tell (tt_news.h).  Nothing to do for one
 * worker.  0, or -1 with rte_errno set (the inboxes made so far go with tt_worker_free).
 */
int tt_worker_link(struct tt_worker *const *ws, unsigned n);

/* The lcore entry point (rte_eal_remote_launch); arg is the struct tt_worker. */
int tt_worker_main(void *arg);

/*
 * Handle n frames received on the worker's port index port; takes ownership of them.  Every
 * frame of a burst (TT_RX_BURST) is parsed first (but SYNs shed unparsed, see admission control
 * above), ARP and ICMP answered in place, and the TCP segments go to the stack together
 * (tt_stack_input_burst), which overlaps their table and TCB misses.
 */
void tt_worker_rx_burst(struct tt_worker *w, unsigned port, struct rte_mbuf **pkts, unsigned n);

/*
 * From the main lcore: make the worker drain (tt_stack_drain_step) with its deadline timeout_ms
 * from now, and return from tt_worker_main when its stack is empty.  Calling again can only
 * bring the deadline forward (0: abort what is left now).
 */
void tt_worker_drain(struct tt_worker *w, uint32_t timeout_ms);

/* From the main lcore: the worker opens connections under rt from its next iteration on. */
static inline void tt_worker_publish(struct tt_worker *w, const struct tt_stack_rt *rt)
{
	__atomic_store_n(&w->rt_next, rt, __ATOMIC_RELEASE);
}

/* From the main lcore: the oldest generation the worker may still read. */
static inline uint32_t tt_worker_rt_oldest(const struct tt_worker *w)
{
	return __atomic_load_n(&w->rt_oldest, __ATOMIC_ACQUIRE);
}

/* Transmit the TX batches of every port; refused frames as described above (TT_TX_HOLD). */
void tt_worker_flush(struct tt_worker *w);

#endif
