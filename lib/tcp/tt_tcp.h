/*
 * tt_tcp: the TCP state machine of one connection, as pure functions.
 *
 * Nothing here does I/O, allocates or reads a clock.  Every entry point
 * takes the worker's context (configuration, counters, secrets, the
 * current time in ms) and a connection, changes the connection, and
 * describes what must be sent in a struct tt_tcp_out.  The worker then
 * builds the frames (tt_net) and transmits them, and acts on the verdict
 * (free the TCB, turn it into a TIME-WAIT entry).  This is what makes the
 * whole protocol testable as packet-in/packet-out cases without a NIC.
 *
 * Entry points and who calls them:
 *   tt_tcp_connect     open a connection as a client (SYN-SENT; the load
 *                      generator);
 *   tt_tcp_listen      a segment that matched no connection (LISTEN);
 *   tt_tcp_init_*      a new TCB after tt_tcp_listen asked for one;
 *   tt_tcp_input       a segment for an existing connection: one switch
 *                      on the state, RFC 9293 3.10.7 order of checks;
 *   tt_tcp_timeout     the connection's timer fired;
 *   tt_tcp_too_big     an ICMP error says a segment of it was too big for
 *                      the path (path MTU discovery; the size is kept for
 *                      the peer's next connections, tt_pmtu_cache.h);
 *   tt_tcp_tw_input    a segment for a TIME-WAIT entry (see below);
 *   tt_tcp_send/close  the application queues data / asks for FIN.
 *
 * Timers: a connection has one timer.  tt_tcp_deadline() says when it
 * must fire next (retransmission, persist, a delayed ACK, or the bound of
 * the current state); the worker arms it no later than that, and tt_tcp_timeout()
 * re-checks what is really due, so a deadline that moved later (an idle
 * connection that saw traffic) costs nothing until it fires.  Every state
 * has a bound from the configuration, so no peer can hold a connection
 * forever: SYN-SENT/SYN-RECEIVED, ESTABLISHED idle (only acceptable
 * segments count as traffic), FIN-WAIT-1/CLOSING/LAST-ACK (our FIN
 * unacknowledged), FIN-WAIT-2, CLOSE-WAIT, a closed peer window with data
 * waiting (persist), and the application's own bound (an HTTP request's head or body).
 *
 * Received buffers: echo's send queue and the reassembly queue keep
 * references to received segments.  Per connection they are bounded by
 * the window, the queue's extents and TT_OOO_SEGS; per worker by
 * ctx->held_limit, beyond which they are refused (not acknowledged, the
 * peer sends again), so a crowd of peers that never drain cannot take the
 * buffers RX needs.  An out-of-order segment under TT_TCP_OOO_MIN_BYTES is
 * not kept: a whole buffer for a few bytes is what such a crowd would send.
 *
 * Loss (tt_tcp_sack.c): with SACK agreed (tcp.sack) our ACKs report the
 * out-of-order data we hold (RFC 2018), and the peer's reports drive
 * RFC 6675 recovery from a scoreboard taken from ctx->sack_pool only while
 * there is loss; without SACK, or without a free scoreboard, NewReno
 * (RFC 6582).  Both pools are indexed by 16 bits in the TCB.
 *
 * Delayed ACK (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3): in-order data is
 * ACKed at the latest tcp.delayed_ack_ms after its first unacknowledged
 * segment, and at once on the second unacknowledged segment (of any size,
 * so at least every second full-sized one), for out-of-order data, a
 * duplicate, a segment that fills a hole or was cut by the window, a FIN,
 * a window update, and the first TT_TCP_QUICKACKS data segments of a
 * connection (the peer's slow start needs our ACKs).  Any segment we send
 * carries the ACK (tt_tcp_tx_hdr clears what is owed), so a request the
 * application answers at once is ACKed by its response.  The deadline is
 * stamped once, when the ACK becomes owed, and never moved later.
 *
 * Replies to invalid segments (challenge ACKs, ACKs of out-of-window
 * segments, RSTs for a bad ACK in SYN-RECEIVED) are limited per
 * connection to one per tcp.invalid_reply_interval_ms (RFC 5961 7), a
 * limit never shared between connections.  A refused segment that carries
 * an ACK also costs a token of its source's budget, exactly as it would
 * without a connection, so that the budget is no side channel either
 * (CVE-2016-5696, tt_reply_budget.h); the reply does not wait on it.
 *
 * TIME-WAIT is not a TCB: a closing connection becomes a struct tt_tw of
 * 32 bytes that remembers only what RFC 9293 / RFC 6191 / RFC 1337 need
 * (sequence numbers, the peer's last timestamp, the window to re-ACK).
 *
 * All of it runs on the worker lcore that owns the connection.
 */
#ifndef TT_TCP_H
#define TT_TCP_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tt_conf.h"
#include "tt_counters.h"
#include "tt_flow4.h"
#include "tt_isn.h"
#include "tt_pmtu_cache.h"
#include "tt_reply_budget.h"
#include "tt_net.h"
#include "tt_ooo.h"
#include "tt_pool.h"
#include "tt_sack.h"
#include "tt_sndq.h"
#include "tt_syncookie.h"
#include "tt_timer.h"

/* RFC 9293 states; SYN-SENT belongs to the client side. */
#define TT_TCP_STATES(X)                                                                           \
	X(CLOSED, "closed")                                                                        \
	X(SYN_SENT, "syn_sent")                                                                    \
	X(SYN_RECEIVED, "syn_recv")                                                                \
	X(ESTABLISHED, "established")                                                              \
	X(FIN_WAIT_1, "fin_wait_1")                                                                \
	X(FIN_WAIT_2, "fin_wait_2")                                                                \
	X(CLOSE_WAIT, "close_wait")                                                                \
	X(CLOSING, "closing")                                                                      \
	X(LAST_ACK, "last_ack")                                                                    \
	X(TIME_WAIT, "time_wait")

#define TT_ENUM_STATE(name, str) TT_TCP_##name,
enum tt_tcp_state { TT_TCP_STATES(TT_ENUM_STATE) TT_TCP_NSTATES };
#undef TT_ENUM_STATE

extern const char *const tt_tcp_state_names[TT_TCP_NSTATES];

/*
 * An orphan (Linux's word): the application has closed and our FIN waits for the peer's ACK
 * (FIN-WAIT-1, CLOSING, LAST-ACK).  Nobody reads it any more, yet it holds a TCB and
 * retransmits; tcp.orphan_retries and tcp.max_orphans_per_core bound what peers that never
 * send the final ACK can make a worker keep.
 */
static inline bool tt_tcp_state_is_orphan(unsigned state)
{
	return state == TT_TCP_FIN_WAIT_1 || state == TT_TCP_CLOSING || state == TT_TCP_LAST_ACK;
}

/* struct tt_tcb.ooo / .sack: no block.  The pools behind them hold fewer blocks. */
enum { TT_TCB_NO_BLOCK = UINT16_MAX };

/* struct tt_tcb.flags */
enum {
	TT_TCB_TS = 0x01,	  /* timestamps negotiated */
	TT_TCB_SACK = 0x02,	  /* peer sent SACK-permitted */
	TT_TCB_FIN_QUEUED = 0x04, /* the application closed: FIN after the queued data */
	TT_TCB_FIN_SENT = 0x08,
	TT_TCB_FIN_RCVD = 0x10,
	TT_TCB_ACK_NOW = 0x20,	  /* an ACK is owed to the peer */
	TT_TCB_RTT_TIMING = 0x40, /* rtt_seq/rtt_start time a segment (no timestamps) */
	TT_TCB_WS = 0x80,	  /* window scaling negotiated */
};

/*
 * A send block: what only a connection with bytes to send or to see acknowledged needs.  A
 * TCB takes one from ctx->sndb_pool when the application first queues bytes (tt_tcp_send)
 * and gives it back once every queued byte is acknowledged and nothing else is in flight
 * (SND.UNA == SND.MAX), or when the connection ends; an idle keep-alive connection holds
 * none.  What it carries, and why it can go with the queue:
 *
 *   q                 the send queue (tt_sndq): the bytes themselves;
 *   recover           RFC 6582 / RFC 6675 RecoveryPoint: recovery is from the loss of
 *                     queued bytes; without a block it reads as SND.UNA (no recovery to
 *                     finish: the FIN alone is never resent by fast retransmit);
 *   persist_since/una the peer's window kept queued bytes back, and SND.UNA then (there are
 *                     none without a block);
 *   rtt_seq/start_ms  a data segment being timed (Karn; no timestamps): the ACK that drains
 *                     the queue covers it, so the sample is taken before the block goes;
 *   cwnd/ssthresh     congestion state (RFC 5681): it paces queued bytes only (a FIN alone is
 *                     never held back by cwnd, and a loss with no block is a FIN's).
 *
 * A new block starts as a new connection does: cwnd at the initial window (RFC 6928,
 * tcp.initial_cwnd_segments), ssthresh unbounded.  So every response sent after the peer
 * acknowledged all of the previous one starts from the initial window.  RFC 5681 4.1 asks
 * for no more than that restart after an idle longer than the RTO and lets a sender keep
 * cwnd after a shorter one; RFC 7661 (experimental) would even keep it longer.  Starting
 * from IW is the conservative end of both (we never send more than they allow), and costs
 * only responses larger than IW that follow each other with a fully acknowledged gap; a
 * pipelined or streaming connection keeps its block, and its cwnd, throughout.  What is lost
 * is a reduced ssthresh: after a loss, the next response slow-starts again, as a new
 * connection to the same peer would.  The RTT estimate stays in the TCB.
 *
 * When the pool is empty the application sees the queue as full (tt_tcp_send returns false,
 * tt_tcp_send_ready false), exactly as when a queue has no free extent: the bytes it refuses
 * are not acknowledged, the peer sends them again, and a block freed by any connection of the
 * worker serves them then; no acknowledged byte is lost and every connection keeps its timers
 * (counted: send_blocks_exhausted).
 */
struct tt_sndb {
	struct tt_sndq q;
	uint32_t recover;
	/* The persist bound (tt_tcp_output.c): when the peer's window first kept queued data back,
	 * a segment's worth not taken since (0: not so); SND.UNA then. */
	uint32_t persist_since_ms;
	uint32_t persist_una;
	uint32_t rtt_seq;
	uint32_t rtt_start_ms;
	uint32_t cwnd;
	uint32_t ssthresh;
};

static_assert(sizeof(struct tt_sndb) == 240,
	      "the send queue (208), its 28 bytes of state, padding");

/* struct tt_tcb.sndb: no send block. */
#define TT_SNDB_NONE UINT32_MAX

/* Ranges of the TCB's 16-bit RTT fields (struct tt_tcb). */
enum {
	/* An RTT sample above this counts as this: srtt << 3 and 4 * rttvar then fit 16 bits. */
	TT_TCB_RTT_MAX_MS = 8191,
	/* The RTO is kept in 2 ms units: up to 131,070 ms, above tcp.rto_max_ms's ceiling. */
	TT_TCB_RTO_MAX_MS = 2 * UINT16_MAX,
};

/*
 * The transmission control block: 112 bytes, 7/4 of a cache line.
 *
 *   bytes 0-63    what every segment of an established connection reads or writes: identity,
 *                 state, the sequence variables, the loss-block and send-block indices, the
 *                 segment size;
 *   bytes 64-111  the RTT estimate, the time stamps that bound every state, the application
 *                 block index, the timer link, where frames go (L2).
 *
 * The pool packs TCBs at this stride from a 64-byte aligned base, so a TCB starts at 0, 16, 32
 * or 48 bytes into a line and spans two or three lines (the worker prefetches all of them).
 * What a connection holds only while it needs it is outside: the send queue and congestion
 * state while bytes are queued or in flight (struct tt_sndb), the application's state beyond
 * the TCB while it has some (an application block, tt_tcp_app_block), out-of-order segments
 * and the peer's SACK blocks while there is loss.  Bytes 64-111:
 *
 *    64     66     68     70 71 72     74     76           80           84           88
 *   +------+------+------+--+--+------+------+------------+------------+------------+
 *   | srtt |rttvar| rto  |cr|qa|delack|invrep| rto_deadl. | state_since|  last_rx   |
 *   +------+------+------+--+--+------+------+------------+------------+------------+
 *   88          92                        104                110  111  112
 *   +-----------+-------------------------+------------------+----+----+
 *   | app_block | timer: next, prev, exp. | peer_mac or nh   |port|bits|
 *   +-----------+-------------------------+------------------+----+----+
 *
 * Units and ranges of the narrow fields (RFC 6298 arithmetic is unchanged, in ms):
 *   srtt_ms8    smoothed RTT << 3, samples clamped to TT_TCB_RTT_MAX_MS (<= 65,528);
 *   rttvar_ms4  RTT variation << 2 (<= 4 * 8,191 in steady state, 2 * 8,191 at the first
 *               sample);
 *   rto_2ms     RTO in 2 ms units, rounded up, clamped to [rto_min_ms, rto_max_ms] (<= 120 s);
 *   delack_ms, invalid_reply_ms  the low 16 bits of the clock (see each).
 *
 * RFC 9293's SND.WL2 is not kept: the window is taken from a segment whose sequence number
 * is newer than SND.WL1's, or equal to it with an ACK that is the newest (SND.UNA after the
 * ACK is processed); see tt_tcp_input.c.
 */
struct tt_tcb {
	/* bytes 0-63: per-segment */
	struct tt_flow4 flow;
	uint8_t state;
	uint8_t flags;
	uint8_t snd_wscale; /* shift applied to the peer's window field */
	uint8_t rcv_wscale; /* shift we apply to our advertised window */
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max; /* highest sequence sent + 1 (snd_nxt rewinds on RTO) */
	uint32_t snd_wnd; /* peer's window, scaled */
	uint32_t snd_wl1; /* the sequence number of the segment the window was taken from */
	uint32_t rcv_nxt;
	uint32_t rcv_adv; /* right edge of the window we advertised */
	uint32_t ts_recent;
	uint32_t ts_offset; /* added to our clock in every TSval (RFC 7323 5.4) */
	/* Loss state, held only while there is loss (TT_TCB_NO_BLOCK: none): */
	uint16_t ooo;  /* out-of-order segments: index in ctx->ooo_pool */
	uint16_t sack; /* the peer's SACK blocks (scoreboard): index in ctx->sack_pool */
	uint16_t mss;  /* what we put in one segment: min(peer MSS, ours) */
	uint8_t retries;
	uint8_t dupacks;
	uint32_t sndb; /* the send block: index in ctx->sndb_pool, TT_SNDB_NONE: none */
	/* bytes 64-111: RTT, timers, the application block, where frames go */
	uint16_t srtt_ms8;    /* smoothed RTT, ms << 3 (RFC 6298); 0: no sample yet */
	uint16_t rttvar_ms4;  /* RTT variation, ms << 2 */
	uint16_t rto_2ms;     /* RTO in 2 ms units: tt_tcp_rto_ms() */
	uint8_t close_reason; /* enum tt_close_reason, for the application's on_close */
	uint8_t quickacks;    /* in-order segments still ACKed at once (quick-ack) */
	/* When the delayed ACK is due, as the low 16 bits of the clock: it is never more than
	 * 500 ms ahead, far inside what 16 bits tell apart.  0: no ACK owed. */
	uint16_t delack_ms;
	/* The last reply to an invalid segment, as the low 16 bits of the clock (0: none); the
	 * interval it is held to is at most 60,000 ms. */
	uint16_t invalid_reply_ms;
	/* Times in ms as the low 32 bits of the clock (ms_abs / ms_ahead turn them back). */
	uint32_t rto_deadline_ms; /* when to retransmit; 0: nothing pending */
	/* When the state was entered.  ESTABLISHED has no bound from it (its idle bound counts
	 * from last_rx_ms), so there the application may take it as its own clock
	 * (tt_tcp_app_mark): the HTTP responder times a request's head or body from it. */
	uint32_t state_since_ms;
	/* The last acceptable segment; while out-of-order data is held, the last that brought
	 * bytes at RCV.NXT or ACKed something new (tt_tcp_input.c). */
	uint32_t last_rx_ms;
	/* The application's state beyond the TCB: index in ctx->app_pool, TT_TCB_NO_APP_BLOCK:
	 * none (tt_tcp_app_block). */
	uint32_t app_block;
	/* set by the worker, kept by tt_tcp_init_*: linked by pool index (tt_timer) */
	struct tt_timer timer;
	/* Where frames go: an interface in reply_to_source_mac mode keeps the source MAC of the
	 * segment that made the connection; otherwise the neighbour cache says, and nh is the
	 * index of the next hop's entry (a hint, checked on use: tt_neigh_send4/6). */
	union {
		struct tt_mac peer_mac;
		uint16_t nh;
	};
	uint8_t port; /* the worker's interface index (a port, or one VLAN of it) */
	/* set by tt_tcp_init_*: */
	uint8_t app : 3; /* enum tt_app_kind, < TT_TCP_MAX_APPS */
	/* set by the worker, kept by tt_tcp_init_*: the configuration generation the
	 * connection was opened under (tt_stack's slot), < TT_TCP_RT_SLOTS */
	uint8_t rt_slot : 4;
	/* set by the worker: the connection is over IPv6, its addresses in the worker's side
	 * pool (tt_stack.h); flow then holds the ports and a keyed hash of the addresses */
	uint8_t ipv6 : 1;
};

static_assert(offsetof(struct tt_tcb, srtt_ms8) == 64, "per-segment fields fill bytes 0-63");
static_assert(offsetof(struct tt_tcb, timer) == 92, "bytes 64-111 as drawn above");
static_assert(sizeof(struct tt_tcb) == 112, "TCB size is deliberate: 112 bytes");

/* struct tt_tcb.app_block: no application block. */
#define TT_TCB_NO_APP_BLOCK UINT32_MAX

/* The RTO in ms. */
static inline uint32_t tt_tcp_rto_ms(const struct tt_tcb *t)
{
	return 2u * t->rto_2ms;
}

/* ESTABLISHED only: the application marks now on the connection's clock (state_since_ms). */
static inline void tt_tcp_app_mark(uint64_t now_ms, struct tt_tcb *t)
{
	t->state_since_ms = (uint32_t)now_ms;
}

/* The absolute time of the application's mark (within 49 days of now). */
static inline uint64_t tt_tcp_app_since(uint64_t now_ms, const struct tt_tcb *t)
{
	return now_ms - (uint32_t)((uint32_t)now_ms - t->state_since_ms);
}

/*
 * The compact TIME-WAIT form of a connection (RFC 9293 3.6.1): 32 bytes,
 * two to a cache line.  It keeps what the segments it answers need
 * (sequence numbers, the peer's last timestamp, the window to re-ACK) and
 * nothing a segment brings along anyway: the 4-tuple is the table key the
 * segment was found under, and an answer goes back the way the segment
 * came (its interface, its source MAC or the next hop of its source).
 * The worker (tt_stack) owns hash, expire_ms, pair6 and gone; the TCP
 * functions below the rest.
 */
struct tt_tw {
	uint32_t hash; /* the table's hash of the 4-tuple: finds its slot without the key */
	uint32_t snd_nxt;
	uint32_t rcv_nxt;
	uint32_t ts_recent;
	uint32_t ts_offset;
	uint32_t expire_ms; /* low 32 bits of the worker's clock (time_wait_ms < 2^31) */
	uint32_t pair6;	    /* IPv6: the address pair's index in the worker's side pool */
	uint16_t wnd;	    /* advertised window field to repeat in ACKs */
	uint8_t ts_ok : 1;
	uint8_t ipv6 : 1; /* the TCB's ipv6 */
	uint8_t gone : 1; /* freed before it expired: a hole in the worker's ring */
};
static_assert(sizeof(struct tt_tw) == 32, "two TIME-WAIT entries per cache line");

/* Why a connection ended, as its application's on_close sees it. */
enum tt_close_reason {
	TT_CLOSE_NORMAL,  /* closed by the protocol (or never got that far) */
	TT_CLOSE_RESET,	  /* the peer reset it */
	TT_CLOSE_TIMEOUT, /* retransmissions exhausted or a state's time bound hit */
};

/* One segment to send, described; the worker builds it (tt_tcp_tx_hdr). */
struct tt_tcp_tx {
	uint32_t seq;
	uint32_t len;  /* payload bytes, taken from the send queue at seq - snd_una */
	uint8_t flags; /* a SYN carries the connection's SYN options */
};

enum { TT_TCP_OUT_MAX = 48 };

/* In-order data segments ACKed at once after the handshake (quick-ack, as Linux). */
/*
 * Quick-ACKs at the start of a connection, and after out-of-order data: the peer then recovers
 * hole by hole (NewReno, one per round trip), and each retransmission must be ACKed at once,
 * even of a hole we kept no data behind, or every hole costs a delayed-ACK timer (measured: a
 * 1 MiB response after a burst of TX-queue losses crawled at one segment per 40 ms).
 */
enum { TT_TCP_QUICKACKS = 8, TT_TCP_QUICKACKS_RECOVERY = UINT8_MAX };
struct tt_tcp_out {
	unsigned n;
	struct tt_tcp_tx tx[TT_TCP_OUT_MAX];
};

/* What the worker must do with the connection after a call. */
enum tt_tcp_verdict {
	TT_V_KEEP,	/* connection lives on */
	TT_V_FREE,	/* connection is gone: remove from the table, free the TCB */
	TT_V_TIME_WAIT, /* replace the TCB by a TIME-WAIT entry (tt_tcp_tw_init) */
};

struct tt_tcp_ctx;

enum { TT_TCP_MAX_APPS = 8, TT_TCP_RT_SLOTS = 16 };

/* The application interface (lib/app implements it). */
struct tt_tcp_app_ops {
	void (*on_open)(struct tt_tcp_ctx *ctx, struct tt_tcb *t);
	/* In-order payload; returns the bytes accepted (the rest is not ACKed). */
	uint32_t (*on_data)(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const uint8_t *data,
			    uint32_t len, void *owner);
	/* The peer sent FIN: no more data will come. */
	void (*on_peer_fin)(struct tt_tcp_ctx *ctx, struct tt_tcb *t);
	/* The connection is going away (closed, reset or timed out); may be NULL. */
	void (*on_close)(struct tt_tcp_ctx *ctx, struct tt_tcb *t);
	/* The application's own bound on the connection (absolute ms, UINT64_MAX: none);
	 * past it the connection times out like any state bound.  Asked in ESTABLISHED only,
	 * where the connection's clock is the application's (tt_tcp_app_mark).  May be NULL. */
	uint64_t (*deadline)(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t);
	/* The application keeps received segments in the send queue (echo): the
	 * receive window is then bounded by the queue's free extents too. */
	bool holds_rx;
};

/* The bytes of the applications' writable state of a worker (tt_tcp_ctx.app_worker). */
enum { TT_TCP_APP_WORKER_BYTES = 120 };

/* Per-worker context: everything the state machine reads besides the TCB. */
struct tt_tcp_ctx {
	const struct tt_conf_tcp *conf;
	const struct tt_tcp_app_ops *apps[TT_TCP_MAX_APPS]; /* by tcb->app */
	const void *app_data; /* shared, read-only (e.g. HTTP responses): the latest */
	/* The same, of the configuration the connection in process was opened under: what its
	 * armed timer was reckoned from (the HTTP timeouts) must not move with a reload. */
	const void *conn_app_data;
	struct tt_counters *ctr;
	uint64_t state_count[TT_TCP_NSTATES];  /* gauge: connections in each state */
	uint64_t state_count6[TT_TCP_NSTATES]; /* gauge: the IPv6 ones among them (tcb->ipv6) */
	uint64_t now_ms;
	/* Microseconds into now_ms (0..999): the ISNs' clock (RFC 6528's M, a 4 us tick) reads
	 * now_ms * 1000 + now_us_part, so a 4-tuple opened twice within one millisecond (an RST,
	 * then the same SYN) does not begin at the same ISN.  0 where the owner keeps ms only. */
	uint32_t now_us_part;
	uint32_t half_open;  /* connections in SYN-RECEIVED */
	bool table_pressure; /* set by the owner: few TCBs left, so "auto" answers with cookies */
	struct tt_syncookie_keys cookie_keys;
	/* Until when a cookie this context sent may still be valid: "auto" checks an ACK as a
	 * cookie only before it. */
	uint64_t cookies_live_until_ms;
	struct tt_isn_secret isn_secret;
	/* Replies to unwanted segments, per source, with or without a connection; whether the
	 * segment in tt_tcp_input has paid its token. */
	struct tt_reply_budget reply_budget;
	bool seg_charged;
	/* The path MTUs "too big" errors taught, for later connections to the same peers (the
	 * owner's, zeroed; NULL: none kept). */
	struct tt_pmtu_cache *pmtu;
	/* Give back and keep a reference to an owner handle (a received mbuf), owner_arg the
	 * first argument of both. */
	tt_sndq_release_fn release;
	void (*retain)(void *arg, void *owner);
	void *owner_arg;
	/* Received buffers the queues of this worker reference (echo's send queues, out-of-order
	 * segments), and how many they may: the rest of the pool stays for RX and TX. */
	uint32_t held, held_limit;
	struct tt_pool *ooo_pool; /* struct tt_ooo blocks; NULL: no reassembly */
	/* struct tt_sack_sb blocks; NULL: the peer's SACK blocks are not used (NewReno). */
	struct tt_pool *sack_pool;
	/* struct tt_sndb blocks: connections with bytes queued or in flight at once (never NULL).
	 */
	struct tt_pool *sndb_pool;
	/* Application blocks (TT_TCP_APP_BLOCK_BYTES each): connections whose application holds
	 * state beyond the TCB at once; NULL: none. */
	struct tt_pool *app_pool;
	/* Set by the owner around every call: the IPv6 addresses of the segment or connection in
	 * process, NULL for IPv4.  The ISN, the timestamp offset and the SYN cookie cover them
	 * in full; our MSS is then 20 bytes less (tt_tcp_our_mss). */
	const struct tt_addr6_pair *addr6;
	/* Set by the owner around tt_tcp_listen for a SYN that takes over a TIME-WAIT 4-tuple
	 * (tw_reuse): the new connection keeps state, cookies or not, and starts at tw_isn,
	 * above every sequence number of the old one (RFC 9293 3.6.1). */
	bool tw_reuse;
	uint32_t tw_isn;
	/* What the applications keep of their own on this worker: TT_TCP_APP_WORKER_BYTES,
	 * zeroed by the owner (the HTTP request memo, tt_app.c), written by this worker alone,
	 * unlike app_data; NULL: none. */
	void *app_worker;
};

/* The MSS we advertise and the ceiling of a connection's: tcp.mss (<= MTU - 40) over IPv4,
 * tcp.mss - 20 (<= MTU - 60) over IPv6, whose header is 20 bytes longer. */
static inline uint16_t tt_tcp_our_mss(const struct tt_tcp_ctx *ctx)
{
	return (uint16_t)(ctx->conf->mss -
			  (ctx->addr6 != NULL ? TT_IP6_HDR_LEN - TT_IP4_HDR_LEN : 0));
}

/* The connection's send block; NULL while it holds none (nothing queued or in flight). */
static inline struct tt_sndb *tt_tcp_sndb(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	return t->sndb == TT_SNDB_NONE ? NULL
				       : (struct tt_sndb *)tt_pool_at_sized(ctx->sndb_pool, t->sndb,
									    sizeof(struct tt_sndb));
}

/*
 * Application blocks: what an application keeps of a connection beyond the TCB (the HTTP
 * parser between the segments of a request), held only while it keeps something.  A block is
 * TT_TCP_APP_BLOCK_BYTES, 8-byte aligned; TCP releases it when the connection goes
 * (tt_tcp_destroy).  An application that finds the pool empty takes fewer bytes of the segment
 * in process, so that the peer sends them again (counted: app_blocks_exhausted).
 */
enum { TT_TCP_APP_BLOCK_BYTES = 16 };

/* The connection's application block; NULL while it holds none. */
static inline void *tt_tcp_app_block(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	return t->app_block == TT_TCB_NO_APP_BLOCK
		   ? NULL
		   : tt_pool_at_sized(ctx->app_pool, t->app_block, TT_TCP_APP_BLOCK_BYTES);
}

/* The connection's application block, taken from the pool if it holds none; NULL (counted)
 * when the pool is empty. */
void *tt_tcp_app_block_take(struct tt_tcp_ctx *ctx, struct tt_tcb *t);

/* Give the connection's application block back (nothing if it holds none).  Inline: the
 * application asks after every request. */
static inline void tt_tcp_app_block_release(struct tt_tcp_ctx *ctx, struct tt_tcb *t)
{
	if (t->app_block == TT_TCB_NO_APP_BLOCK)
		return;
	tt_pool_put(ctx->app_pool, t->app_block);
	t->app_block = TT_TCB_NO_APP_BLOCK;
}

/* Bytes queued (unacknowledged and unsent), 0 without a send block. */
static inline uint32_t tt_tcp_queued(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	return t->sndb == TT_SNDB_NONE ? 0 : tt_tcp_sndb(ctx, t)->q.bytes;
}

/* ---- LISTEN: segments that matched no connection ---- */

enum tt_listen_verdict {
	TT_L_DROP,	    /* counted; nothing to send */
	TT_L_RST,	    /* answer with tt_tcp_rst_reply */
	TT_L_SYNACK_COOKIE, /* send the SYN-ACK in *synack; keep no state */
	TT_L_NEW_SYN_RECV,  /* allocate a TCB, tt_tcp_init_syn_recv */
	TT_L_NEW_COOKIE,    /* allocate a TCB, tt_tcp_init_cookie, then tt_tcp_input */
};

struct tt_listen_result {
	uint32_t seq, ack;	 /* for the cookie SYN-ACK */
	uint16_t mss;		 /* the peer's MSS as the cookie holds it */
	uint32_t ts_offset;	 /* of the connection a valid cookie opens (tt_syncookie_check) */
	struct tt_tcp_opts opts; /* options of the cookie SYN-ACK / decoded from the cookie */
	enum tt_drop reason;
};

enum tt_listen_verdict tt_tcp_listen(struct tt_tcp_ctx *ctx, const struct tt_flow4 *f,
				     const struct tt_tcp_seg *seg, struct tt_listen_result *r);

/*
 * The window a cookie's SYN-ACK (r, from tt_tcp_listen) offers a connection of app, and that
 * tt_tcp_init_cookie then holds it to: the configured one, or what an application that keeps
 * received segments can hold at the cookie's segment size.
 */
uint16_t tt_tcp_cookie_window(const struct tt_tcp_ctx *ctx, const struct tt_listen_result *r,
			      uint8_t app);

void tt_tcp_init_syn_recv(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_flow4 *f,
			  const struct tt_tcp_seg *syn, uint8_t app, struct tt_tcp_out *out);
void tt_tcp_init_cookie(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_flow4 *f,
			const struct tt_tcp_seg *ack, const struct tt_listen_result *r,
			uint8_t app);

/*
 * Active open: t becomes a SYN-SENT connection on flow f (f.saddr/sport
 * name the server, f.daddr/dport us) and the SYN is described in out.
 * We offer window scaling and, when configured, timestamps.
 */
void tt_tcp_connect(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_flow4 *f, uint8_t app,
		    struct tt_tcp_out *out);

/* RST in answer to a segment no connection wants (RFC 9293 3.10.7.1). */
void tt_tcp_rst_reply(const struct tt_tcp_seg *seg, uint32_t *seq, uint32_t *ack, uint8_t *flags);

/* ---- connections ---- */

enum tt_tcp_verdict tt_tcp_input(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
				 const struct tt_tcp_seg *seg, void *owner, struct tt_tcp_out *out);
enum tt_tcp_verdict tt_tcp_timeout(struct tt_tcp_ctx *ctx, struct tt_tcb *t,
				   struct tt_tcp_out *out);

/* The smallest path MTU an ICMP "too big" error may set: Linux's min_pmtu for IPv4 (a segment
 * of 512 bytes), the MTU every IPv6 link has (RFC 8200 5). */
enum { TT_TCP_MIN_PATH_MTU4 = 552, TT_TCP_MIN_PATH_MTU6 = 1280 };

/*
 * An ICMP error says the segment of t at our sequence number seq was too big for a path of MTU
 * mtu (RFC 1191, RFC 8201).  Taken only while that sequence number is in flight, in
 * [SND.UNA, SND.MAX) (RFC 5927 5.2: a blind forger must guess it), and only to lower the
 * segment size, never below the MTU floor above: then data is sent again from SND.UNA at the
 * new size, as far as the windows let it (not a congestion signal: cwnd and ssthresh stay, as
 * Linux's tcp_simple_retransmit); in fast recovery the recovery sends the holes at that size.
 * The receive window's reckoning in segments (an application that holds what it received)
 * uses the lowered size too.  Always TT_V_KEEP.
 */
enum tt_tcp_verdict tt_tcp_too_big(struct tt_tcp_ctx *ctx, struct tt_tcb *t, uint32_t seq,
				   uint32_t mtu, struct tt_tcp_out *out);

/* Emit whatever data / FIN / ACK the windows allow now. */
void tt_tcp_output(struct tt_tcp_ctx *ctx, struct tt_tcb *t, struct tt_tcp_out *out);

/* When the connection's timer must fire next (absolute ms). */
uint64_t tt_tcp_deadline(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t);

/* What a connection's timer is for next, for the operator (tt_tcp_timer_next). */
#define TT_TCP_TIMERS(X)                                                                           \
	X(NONE, "none")		    /* nothing bounds the state (never for a TCB in the table) */  \
	X(RETRANSMIT, "retransmit") /* SYN-ACK, data or FIN retransmission, zero-window probe */   \
	X(DELACK, "delack")	    /* a delayed ACK */                                            \
	X(PERSIST, "persist")	    /* the bound on a peer window kept shut on our data */         \
	X(APP, "app")	      /* the application's bound (an HTTP head or body trickling in) */    \
	X(TIMEOUT, "timeout") /* the state's bound: ESTABLISHED idle, SYN-RECEIVED, ... */         \
	X(TIME_WAIT, "time_wait") /* a TIME-WAIT entry's end (never from tt_tcp_timer_next) */

#define TT_ENUM_TIMER(name, str) TT_TCP_TIMER_##name,
enum tt_tcp_timer { TT_TCP_TIMERS(TT_ENUM_TIMER) TT_TCP_NTIMERS };
#undef TT_ENUM_TIMER

extern const char *const tt_tcp_timer_names[TT_TCP_NTIMERS];

/* tt_tcp_deadline (into *due), and which of the connection's bounds it is. */
enum tt_tcp_timer tt_tcp_timer_next(const struct tt_tcp_ctx *ctx, const struct tt_tcb *t,
				    uint64_t *due);

/*
 * Fill the header of segment tx of connection t (everything but our MAC):
 * addresses, ACK = RCV.NXT, the window we advertise now, options.
 */
void tt_tcp_tx_hdr(const struct tt_tcp_ctx *ctx, struct tt_tcb *t, const struct tt_tcp_tx *tx,
		   struct tt_tcp_hdr_args *a);

/* The timestamp value we send now on a connection whose offset is ts_offset. */
static inline uint32_t tt_tcp_tsval(const struct tt_tcp_ctx *ctx, uint32_t ts_offset)
{
	return (uint32_t)ctx->now_ms + ts_offset;
}

/* Release everything a TCB holds and leave the state gauges right. */
void tt_tcp_destroy(struct tt_tcp_ctx *ctx, struct tt_tcb *t);

/* ---- the application's side ---- */

/* Queue bytes to send; false when the send queue has no room for them (no free extent, and
 * they do not repeat its last: tt_sndq) or no send block is free (counted:
 * send_blocks_exhausted).  sum: their checksum if known, else 0 (tt_sndq_push). */
bool tt_tcp_send(struct tt_tcp_ctx *ctx, struct tt_tcb *t, const void *data, uint32_t len,
		 void *owner, uint16_t sum);
/* Whether tt_tcp_send would take one more extent now (the queue has a free extent, or a send
 * block is free to hold it); false counts as send_blocks_exhausted when no block is free.
 * Inline: the application asks before every request it answers. */
static inline bool tt_tcp_send_ready(struct tt_tcp_ctx *ctx, const struct tt_tcb *t)
{
	if (t->sndb != TT_SNDB_NONE)
		return !tt_sndq_full(&tt_tcp_sndb(ctx, t)->q);
	if (ctx->sndb_pool->n_free > 0)
		return true;
	ctx->ctr->ev[TT_CTR_SEND_BLOCKS_EXHAUSTED]++;
	return false;
}
/* Whether tt_tcp_send takes static bytes (no owner) into the send block the connection holds:
 * an extent is free, or they repeat its last (tt_sndq), as they may when every extent is
 * taken.  For an application that tt_tcp_send_ready refused. */
static inline bool tt_tcp_send_repeats(struct tt_tcp_ctx *ctx, const struct tt_tcb *t,
				       const void *data, uint32_t len)
{
	return t->sndb != TT_SNDB_NONE && !(t->flags & TT_TCB_FIN_QUEUED) &&
	       tt_sndq_takes(&tt_tcp_sndb(ctx, t)->q, data, len, NULL);
}
/* No more data from us: FIN after what is queued. */
void tt_tcp_close(struct tt_tcb *t);

/* ---- TIME-WAIT ---- */

enum tt_tw_verdict {
	TT_TW_DROP,
	TT_TW_ACK,	   /* re-send the last ACK */
	TT_TW_ACK_RESTART, /* retransmitted FIN: ACK and restart the 2*MSL timer (when due) */
	TT_TW_REUSE, /* a new SYN may take the 4-tuple (RFC 6191): free the entry, LISTEN it */
};

/* Move t (in TIME-WAIT) into tw and release the TCB's resources; the TCB may then be freed. */
void tt_tcp_tw_init(struct tt_tcp_ctx *ctx, struct tt_tw *tw, struct tt_tcb *t);
/* What a segment for TIME-WAIT entry tw calls for; the owner counts a reuse once a listener
 * took the SYN (time_wait_reused). */
enum tt_tw_verdict tt_tcp_tw_input(const struct tt_tw *tw, const struct tt_tcp_seg *seg);
/* The ACK a TIME-WAIT entry repeats, in answer to a segment of flow f from peer_mac. */
void tt_tcp_tw_hdr(const struct tt_tcp_ctx *ctx, const struct tt_tw *tw, const struct tt_flow4 *f,
		   const struct tt_mac *peer_mac, struct tt_tcp_hdr_args *a);
/* The entry leaves TIME-WAIT (expired or reused). */
void tt_tcp_tw_destroy(struct tt_tcp_ctx *ctx, struct tt_tw *tw);

#endif
