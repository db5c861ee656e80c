/*
 * tt_stack: one worker's TCP world, and what a verdict means for it.
 *
 * The state machine (tt_tcp) is pure: it changes one connection and says
 * what to send and whether the connection lives on, dies or turns into a
 * TIME-WAIT entry.  This module owns everything around it: the connection
 * table, the TCB pool and TIME-WAIT ring (tt_tw_ring.h), the out-of-order pool, the timer
 * wheel, the stateless answers (RST, cookie SYN-ACK) and the frames.  It
 * takes parsed segments (tt_net_parse) and turns every reply into a frame
 * through the caller's I/O callbacks, so the worker keeps only RX, TX and
 * its loop, and the unit tests drive this very object without a NIC.
 *
 * Frames: the stack asks io.frame_alloc for a buffer, writes Ethernet +
 * IPv4 + TCP + payload, completes the checksums (or seeds them for the
 * port's offload) and hands it to io.frame_send, or, when it has a neighbour
 * cache (params.neigh) and the interface is not in reply_to_source_mac mode,
 * to tt_neigh_send4 (IPv4: ARP) or tt_neigh_send6 (IPv6: neighbour discovery),
 * which writes the next hop's MAC and sends it or holds it until the next hop
 * resolves.  A connection keeps its next hop's entry as a hint (tt_tcb.nh), so its
 * segments find the MAC without hashing; a TIME-WAIT entry answers a segment the way it
 * came (its interface, and its source MAC or the next hop of its source, looked up).  A frame that
 * would not fit the buffer's room or the port's MTU is never built: the buffer goes back through
 * io.frame_free and tx_refused_oversize counts it.
 *
 * Received payload: the segment's owner (the received mbuf for the
 * worker) is passed to the applications and the reassembly queue, which
 * keep it with io.retain and give it back with io.release.
 *
 * Draining (shutdown): once tt_stack_drain_step was called, no new
 * connection is made: a segment that would open one (a SYN, or an ACK
 * that may carry a SYN cookie) is answered with an RST and counted as
 * tcp_draining; segments of existing connections are processed as usual.
 * Established and close-wait connections get a FIN after their queued
 * data, in bounded steps; at the deadline whatever is left is aborted (an
 * RST, conn_reset_by_us) and TIME-WAIT entries are freed without a word.
 * The drain is over when the table is empty.
 *
 * Bursts (tt_stack_input_burst): the segments of one RX burst go through
 * in stages, so that the cache misses of one packet overlap those of the
 * others instead of following them: the table hash of every segment, its
 * home slot prefetched; then every lookup, its TCB or TIME-WAIT entry
 * prefetched; then the state machine, segment by segment in arrival order.
 * Each segment sees the table as its predecessors in the burst left it:
 * the early lookups only decide what to prefetch, and once a segment
 * changed the table (a new connection, one freed or turned into TIME-WAIT)
 * the later ones look up again (with the hash already made) at their turn.
 *
 * Reload: tt_stack_set_rt hands the stack a new configuration generation
 * (struct tt_stack_rt below): new connections are opened under it, each
 * connection keeps reading the TCP parameters of the generation it was
 * opened under (its TCB keeps the slot), and tt_stack_rt_oldest says
 * which generations are still referenced.  A generation is not held for ever: once a newer one
 * replaced it, its connections stay tcp.reload_grace_ms, then they are retired as a drain
 * would (tcp.reload_grace_ms and tcp.drain_timeout_ms of the latest generation): established
 * and close-wait ones get a FIN after their queued data (reload_conns_closed), as does one
 * completing its handshake later, the first time it is seen; whatever is still open
 * drain_timeout_ms later is reset (reload_conns_reset, conn_reset_by_us).  A close makes an
 * orphan, so retiring closes only while the orphans stay below half of
 * tcp.max_orphans_per_core (where the bound starts to reset them); otherwise it waits for room,
 * looking again each millisecond, or while a reset is due leaves the close to a later walk.
 * tt_stack_timers does the work (not while draining, which does it all), walking the table in
 * bounded steps (TT_STACK_RETIRE_SLOTS, TT_STACK_DRAIN_BATCH) from when a close or reset is due
 * until a walk has covered the table; the closes are walked for again until a walk finds none
 * left (a deletion may move a connection behind the cursor).
 *
 * Orphans (tt_tcp_state_is_orphan: FIN-WAIT-1, CLOSING, LAST-ACK) are bounded per stack by
 * tcp.max_orphans_per_core of the latest generation: a connection that is an orphan when a
 * segment or its timer leaves it while the stack holds more than that is reset (an RST,
 * orphans_reset, conn_reset_by_us), as Linux resets orphans beyond tcp_max_orphans, so peers
 * that never send the final ACK cannot make the table full.  An orphan that has retransmitted
 * k times counts the orphans 2^k times (Linux's shift in tcp_out_of_resources): past half the
 * bound, an orphan goes at its first retransmission, past a quarter at its second.  Not while
 * draining: the drain closes every connection at once, and its deadline bounds them.
 *
 * IPv6: a connection over IPv6 is served exactly as one over IPv4; only its identity differs.
 * The TCB (112 bytes) and the TIME-WAIT entry (32) keep their IPv4 size: their flow field holds
 * the ports and, in place of the two IPv4 addresses, a 64-bit SipHash of the full 4-tuple under
 * a per-stack key of its own (so the one table serves both families, its probe bound and
 * flooding defence unchanged), and a flag bit says IPv6.  The 32-byte address pairs live in a
 * side pool (tt_stack_params.addr6_pairs, by default as many as the table holds), named by the
 * pool index of the TCB or TIME-WAIT entry through two index arrays (4 bytes per connection
 * each), read for IPv6 connections only.  The table value carries TT_CONN_V6, so a lookup
 * compares the full addresses with the pair (a hash match of other addresses, or an IPv4
 * 4-tuple equal to a key, is dropped as tcp_flow_key_collision) and an IPv4 segment pays one
 * bit test.  A new IPv6 connection with no pair left recycles the oldest TIME-WAIT entry, which
 * at the default size is then IPv6 and frees its pair (as a full table recycles one for its
 * slot); with none to recycle it is refused like a full table, counted as
 * tcp6_addr_pairs_exhausted.  The SYN cookie, ISN and timestamp offset MACs cover both
 * addresses in full (tt_flow_pack); our MSS is tcp.mss - 20 (tt_tcp_our_mss); the frames are
 * tt_net_tcp6_build's, their checksum computed in software.
 *
 * Invariants: every connection is in the table exactly once, as a TCB or
 * as a TIME-WAIT entry; a TCB's timer is armed no later than
 * tt_tcp_deadline(); the per-state gauges count exactly what the pools
 * hold.
 *
 * Threading: owned by one worker lcore; nothing here is shared or locked.
 * Cost: one table hash per segment, one or two lookups with it; allocation
 * only from the pools created by tt_stack_create.
 */
#ifndef TT_STACK_H
#define TT_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tt_conf.h"
#include "tt_counters.h"
#include "tt_neigh.h"
#include "tt_net.h"
#include "tt_tcp.h"

enum {
	TT_STACK_TIMER_BATCH = 256, /* expiries handled per tt_stack_timers call at most */
	TT_STACK_BURST = 32,	    /* segments whose lookups tt_stack_input_burst overlaps */
	/* Connections that may hold out-of-order segments at once (8 segments each): bounds the
	 * receive buffers that holes can pin. */
	TT_STACK_OOO_BLOCKS = 1024,
	/* Connections that may keep a SACK scoreboard at once (72 bytes each); the rest
	 * recover with NewReno (sack_scoreboards_exhausted). */
	TT_STACK_SACK_BLOCKS = 1024,
	/* Connections closed or aborted per tt_stack_drain_step, or per step of a retire walk,
	 * of a worker: their frames fit the TX ring beside a poll's own. */
	TT_STACK_DRAIN_BATCH = 256,
	/* Configuration generations a stack's connections may hold at once (see tt_stack_rt). */
	TT_STACK_RT_GENS = 8,
	/* Table slots a retire walk (Reload, above) visits per tt_stack_timers call at most (each
	 * occupied one a read of its TCB). */
	TT_STACK_RETIRE_SLOTS = 256,
};

#define TT_STACK_NO_ADDR6 UINT32_MAX /* tt_stack_params.addr6_pairs: no IPv6 connection */

struct tt_stack;

/*
 * A listen_app entry (one per TCP port): the application index + 1 in the low bits (0: no
 * listener), and the families the listener does not answer (listeners[].family); a segment of
 * such a family meets no listener (tcp_no_listener, an RST).
 */
enum {
	TT_LISTEN_APP_MASK = 0x0f,
	TT_LISTEN_NO_IPV4 = 0x40,
	TT_LISTEN_NO_IPV6 = 0x80,
};

/*
 * Reload: what a new configuration may change, as the stack reads it.  Immutable once given to
 * tt_stack_set_rt; its owner (the main lcore) keeps it, and everything it points to, alive
 * until tt_stack_rt_oldest() has passed its gen.  The stack opens new connections under the
 * latest generation; a connection keeps reading the TCP parameters it was opened under (its
 * window scale, MSS, timers stay consistent) while a new request on it gets the latest
 * application data (the HTTP response).  Since a send queue may still point into the response
 * of any generation the connection lived through, a connection holds every generation from
 * its own to the latest: tt_stack_rt_oldest() is the generation of the oldest connection.
 */
struct tt_stack_rt {
	uint32_t gen;
	const struct tt_conf_tcp *conf;
	const uint8_t *listen_app; /* [65536]: TT_LISTEN_* entries */
	const void *app_data;	   /* the applications' shared, read-only data */
};

/* The interfaces a stack serves: every port untagged, then the VLANs of each port. */
enum { TT_STACK_MAX_IFS = TT_CONF_MAX_PORTS * (1 + TT_CONF_MAX_VLANS) };

/* One interface (a port, or one VLAN of a port) as the stack builds frames for it. */
struct tt_stack_port {
	struct tt_mac mac;
	uint16_t mtu;		  /* IP MTU: no frame is longer than 14 + mtu bytes */
	uint8_t tx_cksum_offload; /* TT_TX_* bits: checksums the port completes */
	/* Replies go to the source MAC of the segment that caused them (the connection's first),
	 * not to the next hop the neighbour cache resolves; always so without a cache. */
	bool reply_to_source_mac;
};

/* How frames leave and how received buffers are held (the worker: mbufs). */
struct tt_stack_io {
	/* A buffer for one frame; *data and *room describe where to write. NULL: none left. */
	void *(*frame_alloc)(void *arg, uint8_t **data, uint32_t *room);
	/* Transmit len bytes written into frame on port (ownership passes). */
	void (*frame_send)(void *arg, unsigned port, void *frame, uint32_t len);
	/* Give back a buffer that was not sent. */
	void (*frame_free)(void *arg, void *frame);
	/* Keep a received buffer referenced, and give a reference back. */
	void (*retain)(void *arg, void *owner);
	void (*release)(void *arg, void *owner);
	void *arg; /* the first argument of each */
};

struct tt_stack_params {
	const struct tt_conf_tcp *conf;
	unsigned n_ports; /* interfaces, in fact: see TT_STACK_MAX_IFS */
	struct tt_stack_port ports[TT_STACK_MAX_IFS];
	/* The worker's neighbour cache (its interfaces numbered as ports[]); NULL: none, every
	 * frame goes to the MAC the connection or the segment brought. */
	struct tt_neigh *neigh;
	const uint8_t *listen_app; /* [65536]: TT_LISTEN_* entries */
	const struct tt_tcp_app_ops *apps[TT_TCP_MAX_APPS];
	const void *app_data; /* the applications' shared, read-only data */
	struct tt_counters *ctr;
	struct tt_syncookie_secret cookie_secret;
	struct tt_isn_secret isn_secret;
	struct tt_siphash_key table_key; /* keys the connection table's hash: random per worker */
	/* The NUMA node the memory of the connection table, the TCB pool and the TIME-WAIT ring
	 * comes from (the worker's; tt_mem.h); < 0: any. */
	int numa_node;
	uint64_t now_ms;
	/* Received buffers the connections may keep referenced at once (echo's send queues,
	 * reassembly): the buffer pool less what RX and TX need, so RX never starves. */
	uint32_t max_held_bufs;
	/* Connections that may hold out-of-order segments at once; 0: TT_STACK_OOO_BLOCKS.
	 * Below TT_TCB_NO_BLOCK (a TCB keeps a 16-bit index); the same for sack_blocks. */
	uint32_t ooo_blocks;
	/* Connections that may hold a SACK scoreboard at once; 0: TT_STACK_SACK_BLOCKS. */
	uint32_t sack_blocks;
	/* IPv6 connections (TIME-WAIT entries included) at once: the side pool's address pairs;
	 * 0: tcp.max_conns_per_core (every connection may be IPv6), TT_STACK_NO_ADDR6: none. */
	uint32_t addr6_pairs;
	struct tt_stack_io io;
};

/* NULL + errno (ENOMEM; EINVAL for a block count the TCB cannot index) on failure.  conf,
 * listen_app and app_data are generation 0. */
struct tt_stack *tt_stack_create(const struct tt_stack_params *p);

/*
 * New connections (and new requests) from now on under rt.  rt->gen must be the latest
 * generation + k for a k >= 1, and the generation rt->gen - TT_STACK_RT_GENS (which shares its
 * slot) must be released (tt_stack_rt_oldest() past it): else -EBUSY and nothing changes.
 */
int tt_stack_set_rt(struct tt_stack *st, const struct tt_stack_rt *rt);

/* The oldest generation a connection of this stack may still read (the latest when none). */
uint32_t tt_stack_rt_oldest(const struct tt_stack *st);
/* Releases every connection (and what it holds), then the stack. */
void tt_stack_free(struct tt_stack *st);

/* The clock every following call sees, in ms. */
void tt_stack_set_time(struct tt_stack *st, uint64_t now_ms);

/* The same, with the microseconds into now_ms (0..999, clamped) that the ISNs' clock reads
 * (tt_tcp_ctx.now_us_part); tt_stack_set_time leaves them 0. */
void tt_stack_set_clock(struct tt_stack *st, uint64_t now_ms, uint32_t us_part);

/* A parsed TCP segment received on port index port; owner stays the caller's. */
void tt_stack_input(struct tt_stack *st, unsigned port, const struct tt_pkt *pkt, void *owner);

/*
 * An ICMP error saying a segment of ours was too big for the path (TT_PKT_TOO_BIG): the
 * connection it quotes takes it (tt_tcp_too_big); one quoting a TIME-WAIT entry is dropped,
 * counted icmp_too_big_stale; both settle it here (true).  One quoting no connection of this
 * worker returns false, counted icmp_too_big_stale unless told (with several workers the one
 * that received it tells the others, tt_news.h: no worker counts it stale then).
 */
bool tt_stack_too_big(struct tt_stack *st, const struct tt_pkt *pkt, bool told);

/*
 * n parsed TCP segments received on port index port, in arrival order (any n; the stages
 * overlap TT_STACK_BURST at a time): the same outcome as tt_stack_input on each in turn, except
 * that the caller's reference to owners[i] (pkts[i]'s buffer) passes to the stack, which gives
 * it back (io.release) as soon as pkts[i] was processed.
 */
void tt_stack_input_burst(struct tt_stack *st, unsigned port, const struct tt_pkt *pkts,
			  void *const *owners, unsigned n);

/*
 * Admission control: the caller's RX poll ended, full when it returned every frame it could
 * take (the queue had more) and the caller is saturated (the worker: tt_busy.h).  After
 * tcp.syn_shed_full_polls full polls in a row the stack sheds new work, first and cheaply: until a
 * poll comes back short, a SYN (no ACK, no RST) is dropped before its hash and lookup
 * (tcp_syn_shed), so the cycles go to the segments of open connections, whose loss in an
 * overflowing ring would cost them a retransmission or leave an orphan.  The worker drops a plain
 * untagged IPv4 SYN even before parsing it (tt_net_peek_ipv4_syn, counted the same way) while
 * tt_stack_shedding says so; the check here catches the rest (IPv6, tagged, IPv4 with options).
 * syn_shed_polls counts the polls spent shedding.  0 turns it off.
 */
void tt_stack_rx_poll(struct tt_stack *st, bool full);

/* Whether SYNs are being shed, as the last tt_stack_rx_poll decided. */
bool tt_stack_shedding(const struct tt_stack *st);

/* Expire due timers (at most TT_STACK_TIMER_BATCH) and take a step of a retire walk when one is
 * due (Reload, above); returns how many timers fired plus the slots the walk visited. */
unsigned tt_stack_timers(struct tt_stack *st);

/*
 * Open a client connection on port index port to flow f (f.saddr/sport the
 * server, f.daddr/dport our side) for application app; its frames go to
 * peer_mac when the interface is in reply_to_source_mac mode (or the stack
 * has no neighbour cache), else to the next hop the cache resolves.  NULL (counted as
 * tcp_table_full) when no TCB is free or the 4-tuple is in use.
 */
struct tt_tcb *tt_stack_connect(struct tt_stack *st, unsigned port, const struct tt_flow4 *f,
				const struct tt_mac *peer_mac, uint8_t app);

/*
 * Close up to max_close established or close-wait connections (FIN after their queued data;
 * one whose FIN is already queued is passed over), reading at most TT_STACK_RETIRE_SLOTS
 * table slots from cursor on; *closed: how many.  Returns the cursor for the next call, 0
 * once the walk reached the table's end.
 */
uint32_t tt_stack_close_step(struct tt_stack *st, uint32_t cursor, unsigned max_close,
			     unsigned *closed);

/*
 * Drain the stack before the process exits: refuse new connections, close the open ones, abort
 * what is left at deadline_ms (the clock of tt_stack_set_time).  The first call starts the
 * drain.  Every call does a bounded share of the work: before the deadline it closes up to
 * budget (>= 1) established or close-wait connections (FIN after their queued data) and reads
 * at most TT_STACK_RETIRE_SLOTS table slots (later calls continue the walk, in passes, until a
 * pass finds nothing to close and the table did not shrink under it: a deletion can move a
 * connection behind the walk, so while connections keep ending the passes go on, each step
 * still bounded); at or after the deadline, or as soon as
 * only TIME-WAIT entries are left, it takes up to budget steps of a walk that aborts every
 * connection (an RST to the peer unless in SYN-SENT, counted as conn_reset_by_us) and frees
 * every TIME-WAIT entry silently, one connection or one empty slot per step.  A later call may
 * pass an earlier deadline.  Returns the connections left in the table: 0 once the drain is
 * complete.
 */
uint32_t tt_stack_drain_step(struct tt_stack *st, uint64_t deadline_ms, unsigned budget);

/*
 * Send one segment that no connection stands behind (a crafted SYN, a
 * scripted peer's request) with len bytes of payload (none: NULL, 0).
 */
void tt_stack_send_segment(struct tt_stack *st, unsigned port, struct tt_tcp_hdr_args *a,
			   const void *payload, uint32_t len);

/* Gauges: connections in each state (TIME-WAIT entries included), [TT_TCP_NSTATES]. */
const uint64_t *tt_stack_state_counts(const struct tt_stack *st);

/* The IPv6 connections among them (IPv4: the difference), [TT_TCP_NSTATES]. */
const uint64_t *tt_stack_state_counts6(const struct tt_stack *st);

/* Connections (TCBs and TIME-WAIT entries) in the table. */
uint32_t tt_stack_conn_count(const struct tt_stack *st);

/* Received buffers the connections reference now (gauge). */
uint32_t tt_stack_held_bufs(const struct tt_stack *st);

/* One connection as a listing shows it (tt_connlist), at the stack's clock. */
struct tt_stack_conn {
	struct tt_flow4 flow; /* saddr/sport: the peer; daddr/dport: us (IPv6: ports only) */
	bool ipv6;	      /* the addresses are addr6's */
	struct tt_addr6_pair addr6;
	uint8_t state;	     /* enum tt_tcp_state */
	uint8_t timer;	     /* enum tt_tcp_timer: what the connection's timer is for next */
	uint8_t retrans;     /* retransmissions of the current timeout in a row (RTO backoff) */
	uint32_t send_q;     /* bytes queued to send, those in flight included */
	uint32_t recv_q;     /* bytes received behind a hole, not yet given to the application */
	uint32_t srtt_ms8;   /* smoothed RTT, ms << 3 (0: no sample yet) */
	uint32_t rttvar_ms4; /* RTT variation, ms << 2 */
	uint32_t rto_ms;
	uint64_t timer_ms; /* ms until the timer is due (0: due now); the wheel fires no later */
};

/*
 * The connections (TCBs and TIME-WAIT entries) in table slots [from, from + n_slots): fn gets
 * each one's key and table value.  Returns the slot to continue from, 0 at the table's end
 * (tt_conn_tbl_walk).  fn must not change the stack.
 */
uint32_t tt_stack_walk(const struct tt_stack *st, uint32_t from, uint32_t n_slots,
		       void (*fn)(const struct tt_flow4 *k, uint32_t value, void *arg), void *arg);

/* The state of the connection a table value names (one cache line of its TCB; a TIME-WAIT
 * entry's is in the value). */
enum tt_tcp_state tt_stack_conn_state(const struct tt_stack *st, uint32_t value);

/* The addresses of the IPv6 connection a table value names; NULL for an IPv4 one. */
const struct tt_addr6_pair *tt_stack_conn_addr6(const struct tt_stack *st, uint32_t value);

/* Everything a listing shows of the connection a table value names, k its table key. */
void tt_stack_conn_describe(const struct tt_stack *st, const struct tt_flow4 *k, uint32_t value,
			    struct tt_stack_conn *c);

/*
 * Cross-check every invariant (debug and test use: O(connections)).
 * Returns NULL, or a description of the first violation found:
 * per-state gauges against the table's content, table entries against
 * the pools, the TIME-WAIT FIFO's order, each TCB's sequence variables
 * (SND.UNA <= SND.NXT <= SND.MAX, RCV.NXT <= RCV.ADV) and MSS, an owed
 * delayed ACK's timer armed no later than it is due, held buffers within
 * their budget, each IPv6 connection's address pair (in the side pool, its
 * table key the hash of it) and the pairs in use against the IPv6
 * connections.
 */
const char *tt_stack_check(const struct tt_stack *st);

/* The TCB pool: TCB i of the stack is tt_stack_tcbs(st)[i], i < tcp.max_conns_per_core (an
 * application may keep per-connection state beside it, by that index). */
const struct tt_tcb *tt_stack_tcbs(const struct tt_stack *st);

/* Memory per object, for the operator: TCB, TIME-WAIT entry, table share per connection. */
size_t tt_stack_tcb_size(void);
size_t tt_stack_tw_size(void);
size_t tt_stack_table_bytes_per_conn(const struct tt_stack *st);

#endif
