/* One worker's TCP world: connections, pools, timers, frames; see tt_stack.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_prefetch.h>

#include "tt_conn_tbl.h"
#include "tt_pool.h"
#include "tt_stack.h"
#include "tt_synack.h"
#include "tt_timer.h"
#include "tt_tw_ring.h"

struct tt_stack {
	struct tt_tcp_ctx tcp;
	struct tt_counters *ctr;
	struct tt_conn_tbl *tbl;
	struct tt_pool *tcbs;
	struct tt_tw_ring tw; /* TIME-WAIT entries, oldest first */
	struct tt_pool *ooo;
	struct tt_pool *sack;
	struct tt_pool *sndb;
	struct tt_pool *app_blocks;
	struct tt_timer_wheel *wheel;
	const uint8_t *listen_app; /* the latest generation's */
	/* Configuration generations by slot (gen % TT_STACK_RT_GENS), with the connections
	 * opened under each, when a newer one replaced it (UINT64_MAX: not replaced) and whether
	 * a retire walk closed them all; slot rt_cur is the latest. */
	struct {
		const struct tt_stack_rt *rt;
		uint32_t conns;
		bool close_walked;
		uint64_t replaced_ms;
	} gens[TT_STACK_RT_GENS];
	unsigned rt_cur;
	/* Retiring replaced generations (tt_stack.h): the slots whose connections close at first
	 * sight (all of them while draining); the walk under way, with the slots it closes and
	 * resets, those it found a connection to close in and those whose closes it had to leave
	 * for want of orphan room; when its next step is due (0: at the next call; UINT64_MAX:
	 * none). */
	uint8_t closing_slots;
	struct {
		bool on;
		uint8_t close, reset, closed, skipped;
		uint32_t cursor;
	} retire;
	uint64_t retire_next_ms;
	struct tt_stack_rt rt0;	   /* generation 0, from tt_stack_params */
	uint32_t pressure_mark;	   /* TCBs in use from which "auto" answers with cookies */
	/* The table hash of the segment in process, so that the insert, update or delete its
	 * verdict makes needs no second SipHash (see flow_hash). */
	struct {
		struct tt_flow4 flow;
		uint32_t hash;
	} cur;
	unsigned n_ports;
	struct tt_stack_port ports[TT_STACK_MAX_IFS];
	/* Cookie SYN-ACK templates, TT_SYNACK_SLOTS per interface, each built on first use. */
	struct tt_synack_tmpl *synack;
	struct tt_neigh *neigh;
	struct tt_stack_io io;
	/* tt_stack_drain_step: new connections refused; how far the close and reset walks got;
	 * the close walk's pass under way: what it closed, the table's entries when it began. */
	bool draining;
	bool close_walked;
	uint32_t close_cursor;
	uint32_t close_pass_closed;
	uint32_t close_pass_entries;
	uint32_t abort_cursor;
	/* Admission control (tt_stack_rx_poll): full RX polls in a row; SYNs shed or not. */
	uint32_t full_polls;
	bool shedding;
	/* IPv6 (tt_stack.h): the address pairs of the IPv6 connections (NULL: none may open),
	 * each TCB's pair by pool index (read for IPv6 ones only; a TIME-WAIT entry holds its
	 * own), and the key that folds an IPv6 4-tuple into a table key. */
	struct tt_pool *pairs6;
	uint32_t *tcb_pair6;
	struct tt_siphash_key key6;
};

/* The pool index a table value names. */
static inline uint32_t conn_index(uint32_t v)
{
	return v & ~(TT_CONN_TW | TT_CONN_V6);
}

static inline struct tt_tcb *tcb_of(const struct tt_stack *st, uint32_t v)
{
	return tt_pool_at_sized(st->tcbs, conn_index(v), sizeof(struct tt_tcb));
}

/* A TCB's pool index, which also names its timer on the wheel (a constant stride: no division). */
static inline uint32_t tcb_index(const struct tt_stack *st, const struct tt_tcb *t)
{
	return (uint32_t)(t - (const struct tt_tcb *)tt_pool_at(st->tcbs, 0));
}

/* The table value that names the TCB of pool index idx, of IPv6 or IPv4. */
static inline uint32_t tcb_value(uint32_t idx, bool ipv6)
{
	return idx | (ipv6 ? TT_CONN_V6 : 0);
}

static inline struct tt_tw *tw_of(const struct tt_stack *st, uint32_t v)
{
	return tt_tw_ring_at(&st->tw, conn_index(v));
}

/*
 * The table's key layout (tt_conn_tbl.h): a value names a TCB's flow, or with TT_CONN_TW the
 * TIME-WAIT ring's flow of that index (TT_CONN_V6 only says the TCB's family).  A new TCB's flow
 * is written by tt_tcp_init_* right after its insert, before the table is used again; a
 * TIME-WAIT entry's is written before its value goes in.  NULL while either array is missing.
 */
static const struct tt_conn_tbl_keys *conn_keys(const struct tt_stack *st,
						struct tt_conn_tbl_keys *keys)
{
	if (st->tcbs == NULL || st->tw.flow == NULL)
		return NULL;
	*keys = (struct tt_conn_tbl_keys){
	    .base = {(const uint8_t *)tt_pool_at(st->tcbs, 0) + offsetof(struct tt_tcb, flow),
		     (const uint8_t *)tt_tw_ring_flow(&st->tw, 0)},
	    .stride = {sizeof(struct tt_tcb), sizeof(struct tt_flow4)},
	    .kind_bit = TT_CONN_TW,
	    .index_mask = ~(TT_CONN_TW | TT_CONN_V6)};
	return keys;
}

static const struct tt_addr6_pair *pair6_at(const struct tt_stack *st, uint32_t idx)
{
	return tt_pool_at(st->pairs6, idx);
}

/* A TCB's addresses: NULL for IPv4. */
static const struct tt_addr6_pair *tcb_addr6(const struct tt_stack *st, const struct tt_tcb *t)
{
	if (likely(!t->ipv6))
		return NULL;
	return pair6_at(st, st->tcb_pair6[tcb_index(st, t)]);
}

static const struct tt_addr6_pair *tw_addr6(const struct tt_stack *st, const struct tt_tw *tw)
{
	if (likely(!tw->ipv6))
		return NULL;
	return pair6_at(st, tw->pair6);
}

/* The table key of an IPv6 4-tuple: the ports, and a keyed 64-bit hash of the addresses
 * and ports in place of the IPv4 addresses. */
static struct tt_flow4 flow6_key(const struct tt_stack *st, const struct tt_addr6_pair *a6,
				 uint16_t sport, uint16_t dport)
{
	struct tt_flow4 f = {.sport = sport, .dport = dport};
	uint8_t in[TT_FLOW_PACKED_MAX];
	uint64_t h = tt_siphash(&st->key6, in, tt_flow_pack(&f, a6, in));

	f.saddr = (uint32_t)h;
	f.daddr = (uint32_t)(h >> 32);
	return f;
}

const struct tt_tcb *tt_stack_tcbs(const struct tt_stack *st)
{
	return tt_pool_at(st->tcbs, 0);
}

size_t tt_stack_tcb_size(void)
{
	return sizeof(struct tt_tcb);
}

size_t tt_stack_tw_size(void)
{
	return sizeof(struct tt_tw) + sizeof(struct tt_flow4); /* the entry and its key */
}

size_t tt_stack_table_bytes_per_conn(const struct tt_stack *st)
{
	return tt_conn_tbl_bytes(st->tbl) / tt_conn_tbl_max_entries(st->tbl);
}

const uint64_t *tt_stack_state_counts(const struct tt_stack *st)
{
	return st->tcp.state_count;
}

const uint64_t *tt_stack_state_counts6(const struct tt_stack *st)
{
	return st->tcp.state_count6;
}

uint32_t tt_stack_conn_count(const struct tt_stack *st)
{
	return tt_conn_tbl_count(st->tbl);
}

uint32_t tt_stack_held_bufs(const struct tt_stack *st)
{
	return st->tcp.held;
}

void tt_stack_set_time(struct tt_stack *st, uint64_t now_ms)
{
	tt_stack_set_clock(st, now_ms, 0);
}

void tt_stack_set_clock(struct tt_stack *st, uint64_t now_ms, uint32_t us_part)
{
	st->tcp.now_ms = now_ms;
	st->tcp.now_us_part = us_part < 1000 ? us_part : 999;
}

struct tt_stack *tt_stack_create(const struct tt_stack_params *p)
{
	const struct tt_conf_tcp *c = p->conf;
	uint32_t ooo_blocks = p->ooo_blocks ? p->ooo_blocks : TT_STACK_OOO_BLOCKS;
	uint32_t sack_blocks = p->sack_blocks ? p->sack_blocks : TT_STACK_SACK_BLOCKS;
	struct tt_conn_tbl_keys keys;
	struct tt_stack *st;

	if (ooo_blocks >= TT_TCB_NO_BLOCK || sack_blocks >= TT_TCB_NO_BLOCK) {
		errno = EINVAL;
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	st->ctr = p->ctr;
	st->n_ports = p->n_ports;
	memcpy(st->ports, p->ports, sizeof(st->ports));
	st->neigh = p->neigh;
	st->listen_app = p->listen_app;
	st->rt0 = (struct tt_stack_rt){
	    .gen = 0, .conf = c, .listen_app = p->listen_app, .app_data = p->app_data};
	st->gens[0].rt = &st->rt0;
	for (unsigned s = 0; s < TT_STACK_RT_GENS; s++)
		st->gens[s].replaced_ms = UINT64_MAX;
	st->retire_next_ms = UINT64_MAX;
	st->io = p->io;
	st->tcp.conf = c;
	st->tcp.ctr = p->ctr;
	st->tcp.app_data = p->app_data;
	st->tcp.conn_app_data = p->app_data;
	st->tcp.now_ms = p->now_ms;
	st->tcp.isn_secret = p->isn_secret;
	st->tcp.release = p->io.release;
	st->tcp.retain = p->io.retain;
	st->tcp.owner_arg = p->io.arg;
	st->tcp.held_limit = p->max_held_bufs;
	memcpy(st->tcp.apps, p->apps, sizeof(st->tcp.apps));
	if (tt_syncookie_keys_init(&st->tcp.cookie_keys, &p->cookie_secret,
				   tt_syncookie_period_ms(c->time_wait_ms), p->now_ms) != 0) {
		free(st);
		errno = EINVAL;
		return NULL;
	}
	/* Every connection can sit in TIME-WAIT at once: both pools cover the table. */
	st->tcbs =
	    tt_pool_create_on_node(c->max_conns_per_core, sizeof(struct tt_tcb), p->numa_node);
	if (tt_tw_ring_init(&st->tw, c->max_conns_per_core, p->numa_node) != 0) {
		tt_stack_free(st);
		errno = ENOMEM;
		return NULL;
	}
	st->tbl = tt_conn_tbl_create_on_node(c->max_conns_per_core, &p->table_key,
					     conn_keys(st, &keys), p->numa_node);
	st->ooo = tt_pool_create(ooo_blocks, sizeof(struct tt_ooo));
	st->tcp.ooo_pool = st->ooo;
	st->sack = tt_pool_create(sack_blocks, sizeof(struct tt_sack_sb));
	st->tcp.sack_pool = st->sack;
	st->sndb = tt_pool_create(tt_conf_tcp_send_blocks(c), sizeof(struct tt_sndb));
	st->tcp.sndb_pool = st->sndb;
	st->app_blocks = tt_pool_create(tt_conf_tcp_app_blocks(c), TT_TCP_APP_BLOCK_BYTES);
	st->tcp.app_pool = st->app_blocks;
	st->pressure_mark = c->max_conns_per_core - c->max_conns_per_core / 8;
	if (st->tcbs != NULL)
		st->wheel = tt_timer_wheel_create(
		    p->now_ms, (uint8_t *)tt_pool_at(st->tcbs, 0) + offsetof(struct tt_tcb, timer),
		    sizeof(struct tt_tcb), c->max_conns_per_core);
	st->tcb_pair6 = calloc(c->max_conns_per_core, sizeof(uint32_t));
	if (p->addr6_pairs != TT_STACK_NO_ADDR6)
		st->pairs6 = tt_pool_create(p->addr6_pairs ? p->addr6_pairs : c->max_conns_per_core,
					    sizeof(struct tt_addr6_pair));
	/* Its own key, drawn from the table's: the fold and the table's hash stay independent. */
	st->key6.k0 = tt_siphash(&p->table_key, "addr6-k0", 8);
	st->key6.k1 = tt_siphash(&p->table_key, "addr6-k1", 8);
	st->synack = calloc(p->n_ports, TT_SYNACK_SLOTS * sizeof(*st->synack));
	st->tcp.app_worker = calloc(1, TT_TCP_APP_WORKER_BYTES);
	st->tcp.pmtu = calloc(1, sizeof(*st->tcp.pmtu));
	if ((st->synack == NULL && p->n_ports > 0) || st->tcp.app_worker == NULL ||
	    st->tcp.pmtu == NULL || st->tbl == NULL || st->tcbs == NULL || st->ooo == NULL ||
	    st->sack == NULL || st->sndb == NULL || st->app_blocks == NULL || st->wheel == NULL ||
	    st->tcb_pair6 == NULL || (p->addr6_pairs != TT_STACK_NO_ADDR6 && st->pairs6 == NULL)) {
		tt_stack_free(st);
		errno = ENOMEM;
		return NULL;
	}
	/* flow_hash's memo holds a true pair from the start. */
	st->cur.hash = tt_conn_tbl_hash(st->tbl, &st->cur.flow);
	return st;
}

static_assert((int)TT_STACK_RT_GENS <= (int)TT_TCP_RT_SLOTS,
	      "a TCB's rt_slot holds a generation's slot");
static_assert(TT_STACK_RT_GENS <= 8, "a uint8_t holds a set of generation slots");

static void retire_plan(struct tt_stack *st);

int tt_stack_set_rt(struct tt_stack *st, const struct tt_stack_rt *rt)
{
	unsigned slot = rt->gen % TT_STACK_RT_GENS;
	uint8_t bit = (uint8_t)(1u << slot);

	if ((int32_t)(rt->gen - st->gens[st->rt_cur].rt->gen) <= 0 || st->gens[slot].conns != 0)
		return -EBUSY;
	st->gens[st->rt_cur].replaced_ms = st->tcp.now_ms;
	/* The slot starts afresh: a walk under way must not take the new generation's
	 * connections for those of the one that left the slot. */
	st->gens[slot] = (typeof(st->gens[slot])){.rt = rt, .replaced_ms = UINT64_MAX};
	if (!st->draining)
		st->closing_slots &= (uint8_t)~bit;
	st->retire.close &= (uint8_t)~bit;
	st->retire.reset &= (uint8_t)~bit;
	st->retire.closed &= (uint8_t)~bit;
	st->retire.skipped &= (uint8_t)~bit;
	st->rt_cur = slot;
	st->listen_app = rt->listen_app;
	st->tcp.conf = rt->conf;
	st->tcp.app_data = rt->app_data;
	st->tcp.conn_app_data = rt->app_data;
	retire_plan(st);
	return 0;
}

uint32_t tt_stack_rt_oldest(const struct tt_stack *st)
{
	uint32_t oldest = st->gens[st->rt_cur].rt->gen;

	for (unsigned i = 0; i < TT_STACK_RT_GENS; i++)
		if (st->gens[i].conns != 0 && (int32_t)(st->gens[i].rt->gen - oldest) < 0)
			oldest = st->gens[i].rt->gen;
	return oldest;
}

/* What of ctx the state machine reads of the generation t was opened under: its TCP
 * parameters and its application's timeouts (a copy's, for a listing or a check, as well). */
static void gen_of(const struct tt_stack *st, const struct tt_tcb *t, struct tt_tcp_ctx *ctx)
{
	ctx->conf = st->gens[t->rt_slot].rt->conf;
	ctx->conn_app_data = st->gens[t->rt_slot].rt->app_data;
}

/* The state machine reads the parameters t was opened under (gen_of) and its addresses... */
static void bind_rt(struct tt_stack *st, const struct tt_tcb *t)
{
	gen_of(st, t, &st->tcp);
	st->tcp.addr6 = tcb_addr6(st, t);
}

/* ...and a segment that meets no connection those of the latest generation. */
static void unbind_rt(struct tt_stack *st)
{
	st->tcp.conf = st->gens[st->rt_cur].rt->conf;
	st->tcp.conn_app_data = st->tcp.app_data;
	st->tcp.addr6 = NULL;
}

/*
 * Whether frames of interface port go to the next hop the neighbour cache resolves (ARP or ND,
 * by the frame's family), else to the MAC the connection or segment brought.
 */
static inline bool by_neigh(const struct tt_stack *st, unsigned port)
{
	return st->neigh != NULL && !st->ports[port].reply_to_source_mac;
}

/*
 * A new frame for interface port, its buffer returned and its data in *frame; NULL (counted)
 * when none is left or a frame of len bytes, written as write_len, would not fit.
 */
static void *frame_get(struct tt_stack *st, unsigned port, uint32_t len, uint32_t write_len,
		       uint8_t **frame)
{
	uint32_t room;
	void *buf;

	if (unlikely(len > TT_ETH_HDR_LEN + (uint32_t)st->ports[port].mtu)) {
		st->ctr->ev[TT_CTR_TX_REFUSED_OVERSIZE]++;
		return NULL;
	}
	buf = st->io.frame_alloc(st->io.arg, frame, &room);
	if (unlikely(buf == NULL)) {
		st->ctr->ev[TT_CTR_MBUF_ALLOC_FAILED]++;
		return NULL;
	}
	if (unlikely(write_len > room)) {
		st->ctr->ev[TT_CTR_TX_REFUSED_OVERSIZE]++;
		st->io.frame_free(st->io.arg, buf);
		return NULL;
	}
	return buf;
}

/* A built frame of len bytes to the peer daddr (IPv4) or a6->saddr (a6 not NULL). */
static void frame_xmit(struct tt_stack *st, unsigned port, void *buf, uint8_t *frame, uint32_t len,
		       uint32_t daddr, const struct tt_addr6_pair *a6, uint16_t *nh)
{
	if (!by_neigh(st, port))
		st->io.frame_send(st->io.arg, port, buf, len);
	else if (a6 == NULL)
		tt_neigh_send4(st->neigh, port, daddr, nh, buf, frame, len, st->tcp.now_ms);
	else
		tt_neigh_send6(st->neigh, port, (const struct tt_in6 *)a6->saddr, nh, buf, frame,
			       len, st->tcp.now_ms);
}

/*
 * Build one TCP segment into a new frame; the payload (if any) comes from q at off.  a6: the
 * flow's IPv6 addresses (peer first: the frame goes from a6->daddr to a6->saddr), NULL: IPv4.
 * nh: the connection's next-hop hint (NULL: a stateless reply), used when by_neigh.
 */
static void send_tcp(struct tt_stack *st, unsigned port, struct tt_tcp_hdr_args *a,
		     const struct tt_addr6_pair *a6, const struct tt_sndq *q, uint32_t off,
		     uint32_t len, uint16_t *nh)
{
	const struct tt_stack_port *sp = &st->ports[port];
	uint32_t hl = a6 == NULL ? tt_net_tcp_hdr_len(&a->opts) : tt_net_tcp6_hdr_len(&a->opts);
	uint8_t *frame;
	void *buf = frame_get(st, port, hl + len, hl + len, &frame);

	if (buf == NULL)
		return;
	a->src_mac = sp->mac;
	if (a6 != NULL) {
		tt_net_tcp6_build(frame, a, a6->daddr, a6->saddr, len);
		if (len > 0)
			tt_sndq_copy(q, off, len, frame + hl);
		tt_net_tcp6_cksum(frame);
	} else {
		tt_net_tcp_build_tx(frame, a, len, sp->tx_cksum_offload);
		if (!(sp->tx_cksum_offload & TT_TX_TCP_CKSUM)) {
			/* The payload's sum as it is copied: a whole response adds the sum it was
			 * rendered with (tt_sndq.h, Checksums). */
			tt_net_tcp_cksum_finish(
			    frame, len > 0 ? tt_sndq_copy_sum(q, off, len, frame + hl) : 0);
		} else if (len > 0) {
			tt_sndq_copy(q, off, len, frame + hl);
		}
	}
	frame_xmit(st, port, buf, frame, hl + len, a->daddr, a6, nh);
}

/*
 * Flattened: the header's fields (tt_tcp_tx_hdr), the frame's build and the payload's copy in
 * one body, so that the arguments stay in registers instead of a struct written and read back
 * and no call is made per frame but the port's: bench/trace.sh counts 166 fewer stack
 * instructions a short connection (three frames) and 62 a keep-alive request.  The IPv6
 * builders and neighbour send are rare and kept out (noinline at their definitions).
 */
__attribute__((flatten)) static void send_out(struct tt_stack *st, struct tt_tcb *t,
					      const struct tt_tcp_out *out)
{
	const struct tt_addr6_pair *a6 = tcb_addr6(st, t), *saved = st->tcp.addr6;
	const struct tt_sndb *b = tt_tcp_sndb(&st->tcp, t); /* payload: only while it holds one */

	st->tcp.addr6 = a6; /* the MSS a SYN-ACK advertises */
	for (unsigned i = 0; i < out->n; i++) {
		const struct tt_tcp_tx *tx = &out->tx[i];
		struct tt_tcp_hdr_args a;

		tt_tcp_tx_hdr(&st->tcp, t, tx, &a);
		send_tcp(st, t->port, &a, a6, b != NULL ? &b->q : NULL, tx->seq - t->snd_una,
			 tx->len, &t->nh);
	}
	st->tcp.addr6 = saved;
}

/* pkt's IPv6 addresses as a pair (peer first) in *a6, or NULL for IPv4. */
static const struct tt_addr6_pair *pkt_addr6(const struct tt_pkt *pkt, struct tt_addr6_pair *a6)
{
	if (pkt->family != TT_AF_INET6)
		return NULL;
	memcpy(a6->saddr, pkt->saddr6.b, 16);
	memcpy(a6->daddr, pkt->daddr6.b, 16);
	return a6;
}

/* Header of a reply to pkt that no connection state stands behind. */
static void stateless_hdr(const struct tt_pkt *pkt, struct tt_tcp_hdr_args *a)
{
	a->dst_mac = pkt->src_mac;
	a->saddr = pkt->daddr;
	a->daddr = pkt->saddr;
	a->sport = pkt->dport;
	a->dport = pkt->sport;
	a->wnd = 0;
	a->opts.present = 0;
}

/* A token of the budget of replies to unwanted segments for pkt's source (a6: its IPv6
 * addresses, NULL for IPv4): tt_reply_budget.h. */
static bool reply_token(struct tt_stack *st, const struct tt_pkt *pkt,
			const struct tt_addr6_pair *a6)
{
	return tt_reply_budget_take(&st->tcp.reply_budget, &st->tcp.isn_secret.key, st->tcp.now_ms,
				    pkt->saddr, a6 != NULL ? a6->saddr : NULL);
}

static void send_rst(struct tt_stack *st, unsigned port, const struct tt_pkt *pkt)
{
	struct tt_tcp_hdr_args a;
	struct tt_addr6_pair pair;
	const struct tt_addr6_pair *a6 = pkt_addr6(pkt, &pair);

	if (pkt->seg.flags & TT_TCP_RST)
		return;
	if (!reply_token(st, pkt, a6)) {
		st->ctr->ev[TT_CTR_RST_RATE_LIMITED]++;
		return;
	}
	stateless_hdr(pkt, &a);
	tt_tcp_rst_reply(&pkt->seg, &a.seq, &a.ack, &a.flags);
	send_tcp(st, port, &a, a6, NULL, 0, 0, NULL);
	st->ctr->ev[TT_CTR_RST_SENT]++;
}

/* The table's hash of f: the one computed for the segment in process when it is f's. */
static uint32_t flow_hash(const struct tt_stack *st, const struct tt_flow4 *f)
{
	if (likely(memcmp(&st->cur.flow, f, sizeof(*f)) == 0))
		return st->cur.hash;
	return tt_conn_tbl_hash(st->tbl, f);
}

static void arm(struct tt_stack *st, struct tt_tcb *t)
{
	uint64_t d = tt_tcp_deadline(&st->tcp, t);

	if (d == UINT64_MAX)
		return;
	/* Lazy: a timer due earlier than needed fires, finds nothing due and re-arms. */
	tt_timer_start_before(st->wheel, tcb_index(st, t), d);
}

static void free_conn(struct tt_stack *st, struct tt_tcb *t)
{
	uint32_t idx = tcb_index(st, t);

	st->gens[t->rt_slot].conns--;
	tt_timer_stop(st->wheel, idx);
	tt_conn_tbl_delete_value(st->tbl, flow_hash(st, &t->flow), tcb_value(idx, t->ipv6));
	tt_tcp_destroy(&st->tcp, t);
	if (t->ipv6)
		tt_pool_put(st->pairs6, st->tcb_pair6[idx]);
	tt_pool_put(st->tcbs, idx);
}

static struct tt_tw *tw_at(const struct tt_stack *st, uint32_t pos)
{
	return tt_tw_ring_at(&st->tw, pos);
}

/* The table value that names the TIME-WAIT entry at pos. */
static uint32_t tw_value(const struct tt_tw *tw, uint32_t pos)
{
	return pos | TT_CONN_TW | (tw->ipv6 ? TT_CONN_V6 : 0);
}

/* A live TIME-WAIT entry goes: its table slot, its gauges, its address pair.  Its place in
 * the ring stays, a hole, until the head passes it. */
static void free_tw(struct tt_stack *st, struct tt_tw *tw)
{
	tt_conn_tbl_delete_value(st->tbl, tw->hash, tw_value(tw, tt_tw_ring_pos(&st->tw, tw)));
	tt_tcp_tw_destroy(&st->tcp, tw);
	if (tw->ipv6)
		tt_pool_put(st->pairs6, tw->pair6);
	tt_tw_ring_mark_gone(&st->tw, tw);
}

/* How many entries past the head the expiry walk and the recycling prefetch the table slot of. */
#define TW_PREFETCH_AHEAD 8u

/*
 * Entries leave the ring from its head, by expiry or recycled for room, and each one's only miss
 * is its table slot and the one after it (the ring itself is read in order): prefetched here for
 * the entry TW_PREFETCH_AHEAD places on, they are in cache by the time that one leaves.
 */
static void prefetch_tw_slot_ahead(struct tt_stack *st)
{
	const uint8_t *slot;

	if (st->tw.used <= TW_PREFETCH_AHEAD)
		return;
	slot = tt_conn_tbl_home_addr(
	    st->tbl, tw_at(st, tt_tw_ring_next(&st->tw, st->tw.head, TW_PREFETCH_AHEAD))->hash);
	rte_prefetch0(slot);
	rte_prefetch0(slot + TT_CONN_TBL_SLOT_BYTES);
}

/* The oldest live TIME-WAIT entry, the holes before it popped, or NULL when none lives.  Each
 * hole is stepped over once in its life: the walk is paid for by the frees that made them. */
static struct tt_tw *oldest_live_tw(struct tt_stack *st)
{
	if (st->tw.live == 0)
		return NULL;
	while (tt_tw_ring_at(&st->tw, st->tw.head)->gone)
		tt_tw_ring_pop(&st->tw);
	return tt_tw_ring_at(&st->tw, st->tw.head);
}

/* Free the oldest live TIME-WAIT entry, for room in the table; false when there is none.  One
 * already due (the segments of an iteration come before its timers, and a batch of timers may
 * leave TIME-WAIT no room) expired: counted as the timers would, not as a quarantine cut short. */
static bool recycle_oldest_tw(struct tt_stack *st)
{
	struct tt_tw *tw = oldest_live_tw(st);

	if (tw == NULL)
		return false;
	prefetch_tw_slot_ahead(st);
	st->ctr
	    ->ev[(int32_t)(tw->expire_ms - (uint32_t)st->tcp.now_ms) > 0 ? TT_CTR_TIME_WAIT_RECYCLED
									 : TT_CTR_TIMER_EXPIRIES]++;
	free_tw(st, tw);
	tt_tw_ring_pop(&st->tw);
	return true;
}

/* A place at the ring's tail for an entry that expires time_wait_ms from now; a full ring
 * gives up its head (recycled if it still lives). */
static struct tt_tw *tw_push(struct tt_stack *st)
{
	struct tt_tw *tw;

	if (unlikely(tt_tw_ring_full(&st->tw))) {
		if (tt_tw_ring_at(&st->tw, st->tw.head)->gone)
			tt_tw_ring_pop(&st->tw);
		else
			recycle_oldest_tw(st);
	}
	tw = tw_at(st, tt_tw_ring_push(&st->tw));
	tw->expire_ms = (uint32_t)(st->tcp.now_ms + st->tcp.conf->time_wait_ms);
	return tw;
}

static void to_time_wait(struct tt_stack *st, struct tt_tcb *t)
{
	uint32_t hash = flow_hash(st, &t->flow), idx = tcb_index(st, t);
	struct tt_tw *tw = tw_push(st);
	uint32_t pos = tt_tw_ring_pos(&st->tw, tw);

	st->gens[t->rt_slot].conns--;
	tt_timer_stop(st->wheel, idx);
	tt_tcp_tw_init(&st->tcp, tw, t);
	tw->hash = hash;
	/* The address pair goes with the connection into TIME-WAIT. */
	tw->pair6 = st->tcb_pair6[idx];
	*tt_tw_ring_flow(&st->tw, pos) = t->flow;
	tt_conn_tbl_replace_value(st->tbl, hash, tcb_value(idx, t->ipv6), tw_value(tw, pos));
	tt_pool_put(st->tcbs, idx);
}

/*
 * The FIN came again: the quarantine restarts, but only once half of it has passed.  A restart
 * moves the entry to the ring's tail and leaves a hole where it was until the head passes it;
 * a peer repeating its FIN at will would fill the ring with holes and push the other entries
 * out early (recycled).  So the entry lives at least half of time_wait_ms after any FIN, and
 * moves at most twice per time_wait_ms.
 */
static bool tw_restart_due(const struct tt_stack *st, const struct tt_tw *tw)
{
	return (int32_t)(tw->expire_ms - (uint32_t)st->tcp.now_ms) <=
	       (int32_t)(st->tcp.conf->time_wait_ms / 2);
}

/* The entry moves to the tail, to live time_wait_ms from now. */
static struct tt_tw *restart_tw(struct tt_stack *st, struct tt_tw *tw, const struct tt_flow4 *f)
{
	struct tt_tw kept = *tw;
	uint32_t expire_ms;

	tt_tw_ring_mark_gone(&st->tw, tw);
	tw = tw_push(st);
	expire_ms = tw->expire_ms;
	*tw = kept;
	tw->expire_ms = expire_ms;
	*tt_tw_ring_flow(&st->tw, tt_tw_ring_pos(&st->tw, tw)) = *f;
	tt_conn_tbl_update_hash(st->tbl, f, kept.hash, tw_value(tw, tt_tw_ring_pos(&st->tw, tw)));
	return tw;
}

/* FIN after the queued data. */
static void close_now(struct tt_stack *st, struct tt_tcb *t)
{
	struct tt_tcp_out out = {.n = 0};

	tt_tcp_close(t);
	tt_tcp_output(&st->tcp, t, &out);
	send_out(st, t, &out);
}

/*
 * While draining, a connection that completes its handshake, or that the close walk missed
 * because a deletion shifted it behind the cursor, is closed the first time it is seen.
 */
static bool drain_conn(struct tt_stack *st, struct tt_tcb *t)
{
	if ((t->state != TT_TCP_ESTABLISHED && t->state != TT_TCP_CLOSE_WAIT) ||
	    (t->flags & TT_TCB_FIN_QUEUED))
		return false;
	close_now(st, t);
	return true;
}

/* The latest generation's configuration (a bound on the whole stack, not on one connection). */
static const struct tt_conf_tcp *latest_conf(const struct tt_stack *st)
{
	return st->gens[st->rt_cur].rt->conf;
}

/*
 * Whether retiring may close one more connection, which then is an orphan: it keeps the orphans
 * below half of tcp.max_orphans_per_core, from where orphans_over resets them at their first
 * retransmission, so that a reload retiring many connections at once costs neither them nor
 * the connections closing on their own a FIN.
 */
static bool retire_orphan_room(const struct tt_stack *st)
{
	const uint64_t *n = st->tcp.state_count;

	return 2 * (n[TT_TCP_FIN_WAIT_1] + n[TT_TCP_CLOSING] + n[TT_TCP_LAST_ACK]) <
	       latest_conf(st)->max_orphans_per_core;
}

/* A connection of a draining stack, or of a generation being retired while the orphans leave
 * room, closes the first time it is seen. */
static void close_at_sight(struct tt_stack *st, struct tt_tcb *t)
{
	if (st->draining)
		drain_conn(st, t);
	else if (retire_orphan_room(st) && drain_conn(st, t))
		st->ctr->ev[TT_CTR_RELOAD_CLOSED]++;
}

/*
 * Whether orphan t must go: the orphans are over tcp.max_orphans_per_core, an orphan that has
 * retransmitted k times weighing 2^k of them (Linux's tcp_too_many_orphans(shift)): under
 * pressure the orphans whose peers went silent give up first, long before their retries end.
 */
static bool orphans_over(const struct tt_stack *st, const struct tt_tcb *t)
{
	const uint64_t *n = st->tcp.state_count;
	unsigned shift = t->retries < 16 ? t->retries : 16;

	return (n[TT_TCP_FIN_WAIT_1] + n[TT_TCP_CLOSING] + n[TT_TCP_LAST_ACK]) << shift >
	       latest_conf(st)->max_orphans_per_core;
}

/* An RST to the peer (unless in SYN-SENT, where it has nothing to match), then the TCB goes. */
static void reset_conn(struct tt_stack *st, struct tt_tcb *t)
{
	struct tt_tcp_out out = {.n = 0};

	if (t->state != TT_TCP_SYN_SENT) {
		out.tx[out.n++] =
		    (struct tt_tcp_tx){.seq = t->snd_nxt, .flags = TT_TCP_RST | TT_TCP_ACK};
		st->ctr->ev[TT_CTR_RST_SENT]++;
	}
	st->ctr->ev[TT_CTR_CONN_RESET_TX]++;
	t->close_reason = TT_CLOSE_TIMEOUT;
	send_out(st, t, &out);
	free_conn(st, t);
}

static void conn_done(struct tt_stack *st, struct tt_tcb *t, const struct tt_tcp_out *out,
		      enum tt_tcp_verdict v)
{
	if (out->n != 0)
		send_out(st, t, out);
	switch (v) {
	case TT_V_KEEP:
		/* Draining, or its generation retired (tt_stack.h): closed at first sight. */
		if (unlikely(st->closing_slots != 0) && ((st->closing_slots >> t->rt_slot) & 1))
			close_at_sight(st, t);
		/* Over the bound, an orphan that just became one or whose timer fired is reset
		 * (Linux's tcp_close and tcp_out_of_resources): it can hold the table no longer.
		 * Not while draining: the drain closes every connection at once and its deadline
		 * bounds them all, so the bound would only turn its FINs into resets. */
		if (unlikely(tt_tcp_state_is_orphan(t->state)) && !st->draining &&
		    orphans_over(st, t)) {
			st->ctr->ev[TT_CTR_ORPHANS_RESET]++;
			reset_conn(st, t);
			break;
		}
		arm(st, t);
		break;
	case TT_V_FREE:
		free_conn(st, t);
		break;
	case TT_V_TIME_WAIT:
		to_time_wait(st, t);
		break;
	}
}

/*
 * TIME-WAIT entries expire from the ring's head, at most max places walked; returns how many
 * expired.  An entry holds its key's hash, so the walk reads entries in order (one cache line
 * for two) and the only miss is each entry's table slot (prefetch_tw_slot_ahead).
 */
static unsigned expire_tw(struct tt_stack *st, unsigned max)
{
	uint32_t now = (uint32_t)st->tcp.now_ms;
	unsigned n = 0;

	for (unsigned walked = 0; walked < max && st->tw.used > 0; walked++) {
		struct tt_tw *tw = tw_at(st, st->tw.head);

		if (!tw->gone) {
			if ((int32_t)(tw->expire_ms - now) > 0)
				break;
			prefetch_tw_slot_ahead(st);
			free_tw(st, tw);
			n++;
		}
		tt_tw_ring_pop(&st->tw);
	}
	st->ctr->ev[TT_CTR_TIMER_EXPIRIES] += n;
	return n;
}

/*
 * An address pair for a new IPv6 connection, or TT_POOL_NONE.  With none free the oldest
 * TIME-WAIT entry is recycled for its pair if it is IPv6, as a full table recycles one for its
 * slot: at the pool's default size (the table's) none is free only when every entry is IPv6.
 */
static uint32_t take_pair6(struct tt_stack *st)
{
	const struct tt_tw *oldest;
	uint32_t pair;

	if (st->pairs6 == NULL)
		return TT_POOL_NONE;
	pair = tt_pool_get(st->pairs6);
	if (likely(pair != TT_POOL_NONE))
		return pair;
	oldest = oldest_live_tw(st);
	if (oldest != NULL && oldest->ipv6 && recycle_oldest_tw(st))
		pair = tt_pool_get(st->pairs6);
	return pair;
}

/*
 * A new TCB in the table for f, or NULL (counted) when the table or pool is
 * full.  A table full of TIME-WAIT entries makes room by recycling the
 * oldest one (as Linux does when its tw buckets overflow): it is the one
 * closest to expiry, and RFC 6191 already lets a new SYN take a TIME-WAIT
 * 4-tuple.  The TCB pool covers the table, so when it is empty every slot
 * holds a TCB and nothing can be recycled.
 */
static struct tt_tcb *new_conn(struct tt_stack *st, const struct tt_flow4 *f,
			       const struct tt_addr6_pair *a6)
{
	uint32_t idx = tt_pool_get(st->tcbs), hash = flow_hash(st, f), pair = TT_POOL_NONE, value;
	struct tt_tcb *t;
	int rc;

	if (unlikely(idx == TT_POOL_NONE))
		goto full;
	if (a6 != NULL) {
		pair = take_pair6(st);
		if (unlikely(pair == TT_POOL_NONE)) {
			tt_pool_put(st->tcbs, idx);
			st->ctr->drop[TT_DROP_TCP6_PAIRS_FULL]++;
			return NULL;
		}
	}
	value = tcb_value(idx, a6 != NULL);
	rc = tt_conn_tbl_insert_hash(st->tbl, f, hash, value);
	if (unlikely(rc == -ENOSPC) && recycle_oldest_tw(st))
		rc = tt_conn_tbl_insert_hash(st->tbl, f, hash, value);
	if (unlikely(rc != 0)) {
		tt_pool_put(st->tcbs, idx);
		if (pair != TT_POOL_NONE)
			tt_pool_put(st->pairs6, pair);
		if (rc == -EBUSY) { /* the key's probe run is at its bound: not a full table */
			st->ctr->drop[TT_DROP_TCP_TABLE_PROBE]++;
			return NULL;
		}
		goto full;
	}
	t = tcb_of(st, idx);
	tt_timer_init(&t->timer);
	t->rt_slot = st->rt_cur & (TT_TCP_RT_SLOTS - 1);
	t->ipv6 = a6 != NULL;
	if (a6 != NULL) {
		*(struct tt_addr6_pair *)tt_pool_at(st->pairs6, pair) = *a6;
		st->tcb_pair6[idx] = pair;
	}
	st->gens[st->rt_cur].conns++;
	return t;
full:
	st->ctr->drop[TT_DROP_TCP_TABLE_FULL]++;
	return NULL;
}

/* Where t's frames go: the MAC its first segment came from, or the next hop's entry (not known
 * yet: tt_neigh_send4/6 finds it with the first frame). */
static void set_l2_dst(const struct tt_stack *st, struct tt_tcb *t, unsigned port,
		       const struct tt_mac *src)
{
	t->port = (uint8_t)port;
	if (by_neigh(st, port))
		t->nh = TT_NEIGH_NONE;
	else
		t->peer_mac = *src;
}

struct tt_tcb *tt_stack_connect(struct tt_stack *st, unsigned port, const struct tt_flow4 *f,
				const struct tt_mac *peer_mac, uint8_t app)
{
	struct tt_tcp_out out = {.n = 0};
	struct tt_tcb *t = new_conn(st, f, NULL);

	if (t == NULL)
		return NULL;
	set_l2_dst(st, t, port, peer_mac);
	tt_tcp_connect(&st->tcp, t, f, app, &out);
	conn_done(st, t, &out, TT_V_KEEP);
	return t;
}

struct close_walk {
	struct tt_stack *st;
	unsigned left;
};

static void close_one(const struct tt_flow4 *k, uint32_t v, void *arg)
{
	struct close_walk *cw = arg;
	struct tt_stack *st = cw->st;
	struct tt_tcb *t;
	bool closed;

	(void)k;
	if ((v & TT_CONN_TW) || cw->left == 0)
		return;
	t = tcb_of(st, v);
	/* Handshakes complete first (the application then decides for itself), and a close
	 * already under way is not made again. */
	bind_rt(st, t);
	closed = drain_conn(st, t);
	if (closed)
		arm(st, t);
	unbind_rt(st);
	cw->left -= closed;
}

uint32_t tt_stack_close_step(struct tt_stack *st, uint32_t cursor, unsigned max_close,
			     unsigned *closed)
{
	struct close_walk cw = {.st = st, .left = max_close};

	/* One slot at a time: a slot holds at most one connection. */
	for (unsigned visits = 0; cw.left > 0 && visits < TT_STACK_RETIRE_SLOTS; visits++) {
		cursor = tt_conn_tbl_walk(st->tbl, cursor, 1, close_one, &cw);
		if (cursor == 0)
			break;
	}
	*closed = max_close - cw.left;
	return cursor;
}

/*
 * The drain's close walk, in steps of tt_stack_close_step.  A deletion behind the cursor can
 * move a connection the walk has not read into a slot it has, so a pass that closed any or
 * saw the table shrink is followed by another; the walk ends with a pass that did neither.
 */
static void drain_close_step(struct tt_stack *st, unsigned max_close)
{
	unsigned closed;

	if (st->close_cursor == 0)
		st->close_pass_entries = tt_conn_tbl_count(st->tbl);
	st->close_cursor = tt_stack_close_step(st, st->close_cursor, max_close, &closed);
	st->close_pass_closed += closed;
	if (st->close_cursor != 0)
		return;
	st->close_walked =
	    st->close_pass_closed == 0 && tt_conn_tbl_count(st->tbl) == st->close_pass_entries;
	st->close_pass_closed = 0;
}

static void take_value(const struct tt_flow4 *k, uint32_t v, void *arg)
{
	(void)k;
	*(uint32_t *)arg = v;
}

/*
 * A peer still waiting (for data, for our FIN or for the ACK of its own) learns from an RST
 * that the connection is gone; all a server can know of one in SYN-SENT is our SYN, so that
 * one goes silently (RFC 9293 3.10.5), as does a TIME-WAIT entry, which has nothing to tell.
 */
static void abort_conn(struct tt_stack *st, uint32_t v)
{
	struct tt_tcb *t;

	if (v & TT_CONN_TW) {
		free_tw(st, tw_of(st, v));
		return;
	}
	t = tcb_of(st, v);
	bind_rt(st, t);
	reset_conn(st, t); /* the drain's time bound */
	unbind_rt(st);
}

/*
 * Abort what the table holds, at most budget slot visits.  A deletion pulls the following
 * entries of its probe run back, possibly into the slot just emptied, so the walk leaves a slot
 * only once it is empty: the slots behind the cursor stay empty and no entry is passed over.
 * At the table's end the cursor wraps, which finds anything inserted behind it meanwhile.
 */
static uint32_t abort_step(struct tt_stack *st, unsigned budget)
{
	while (budget-- > 0 && tt_conn_tbl_count(st->tbl) > 0) {
		uint32_t v = TT_CONN_NONE;
		uint32_t next = tt_conn_tbl_walk(st->tbl, st->abort_cursor, 1, take_value, &v);

		if (v == TT_CONN_NONE)
			st->abort_cursor = next;
		else
			abort_conn(st, v);
	}
	return tt_conn_tbl_count(st->tbl);
}

/* When the connections of generation slot s are closed, and when reset (UINT64_MAX: never). */
static uint64_t retire_close_at(const struct tt_stack *st, unsigned s)
{
	uint64_t replaced = st->gens[s].replaced_ms;

	return replaced == UINT64_MAX ? UINT64_MAX : replaced + latest_conf(st)->reload_grace_ms;
}

static uint64_t retire_reset_at(const struct tt_stack *st, unsigned s)
{
	uint64_t close_at = retire_close_at(st, s);

	return close_at == UINT64_MAX ? UINT64_MAX : close_at + latest_conf(st)->drain_timeout_ms;
}

/* When the next step of a walk is due: the earliest close not yet walked for, or reset, of a
 * replaced generation that still has connections.  A slot without connections no longer closes
 * them at first sight, which leaves conn_done its one test while no generation retires. */
static void retire_plan(struct tt_stack *st)
{
	uint64_t due = UINT64_MAX;

	for (unsigned s = 0; s < TT_STACK_RT_GENS; s++) {
		uint64_t at;

		if (s == st->rt_cur)
			continue;
		if (st->gens[s].conns == 0) {
			if (!st->draining)
				st->closing_slots &= (uint8_t) ~(1u << s);
			continue;
		}
		at = st->gens[s].close_walked ? retire_reset_at(st, s) : retire_close_at(st, s);
		if (at < due)
			due = at;
	}
	st->retire_next_ms = st->retire.on ? 0 : due;
}

/* The slots with connections whose close (not yet walked for) or reset is due by now. */
static void retire_due_slots(const struct tt_stack *st, uint8_t *close, uint8_t *reset)
{
	uint64_t now = st->tcp.now_ms;

	*close = *reset = 0;
	for (unsigned s = 0; s < TT_STACK_RT_GENS; s++) {
		if (s == st->rt_cur || st->gens[s].conns == 0)
			continue;
		if (!st->gens[s].close_walked && retire_close_at(st, s) <= now)
			*close |= (uint8_t)(1u << s);
		if (retire_reset_at(st, s) <= now)
			*reset |= (uint8_t)(1u << s);
	}
}

static void retire_walk_start(struct tt_stack *st)
{
	retire_due_slots(st, &st->retire.close, &st->retire.reset);
	st->retire.closed = st->retire.skipped = 0;
	/* A handshake that completes behind the walk's cursor closes at once. */
	st->closing_slots |= st->retire.close | st->retire.reset;
	st->retire.on = true;
	st->retire.cursor = 0;
}

/*
 * The walk covered the table.  A slot is closed once a walk found nothing of it left to close:
 * one that closed some is walked for again, for a connection that a deletion moved behind the
 * cursor (an idle one would otherwise wait for the reset), as is one it could not close whole
 * (skipped) or reset whole.
 */
static void retire_walk_end(struct tt_stack *st)
{
	uint8_t done = st->retire.close & (uint8_t) ~(st->retire.closed | st->retire.skipped);

	for (unsigned s = 0; s < TT_STACK_RT_GENS; s++)
		if (done & (1u << s))
			st->gens[s].close_walked = true;
	st->retire.on = false;
	retire_plan(st);
}

/* What a walk does at one table slot. */
enum retire_move {
	RETIRE_NEXT, /* on to the next slot */
	RETIRE_STAY, /* a reset deleted the entry: the slot may hold the next one now */
	RETIRE_WAIT, /* a close found no room among the orphans: this slot again later */
};

/*
 * The walk at the entry of table value v: a connection whose reset is due is reset; one whose
 * close is due gets its FIN while the orphans leave room (retire_orphan_room), else the walk
 * waits for room, or with a reset due somewhere (which a wait must not hold up) leaves it to a
 * later walk.  *acted counts the connections closed or reset.
 */
static enum retire_move retire_entry(struct tt_stack *st, uint32_t v, unsigned *acted)
{
	struct tt_tcb *t;
	uint8_t bit;

	if (v == TT_CONN_NONE || (v & TT_CONN_TW))
		return RETIRE_NEXT;
	t = tcb_of(st, v);
	bit = (uint8_t)(1u << t->rt_slot);
	if (st->retire.reset & bit) {
		st->ctr->ev[TT_CTR_RELOAD_RESET]++;
		abort_conn(st, v);
		(*acted)++;
		return RETIRE_STAY;
	}
	if (!(st->retire.close & bit))
		return RETIRE_NEXT;
	if (!retire_orphan_room(st)) {
		if (st->retire.reset == 0)
			return RETIRE_WAIT;
		st->retire.skipped |= bit;
		return RETIRE_NEXT;
	}
	bind_rt(st, t);
	if (drain_conn(st, t)) {
		st->ctr->ev[TT_CTR_RELOAD_CLOSED]++;
		st->retire.closed |= bit;
		arm(st, t);
		(*acted)++;
	}
	unbind_rt(st);
	return RETIRE_NEXT;
}

/*
 * One bounded step of the walk: at most TT_STACK_RETIRE_SLOTS slot visits and
 * TT_STACK_DRAIN_BATCH connections closed or reset; a wait for orphan room looks again a
 * millisecond later.  Returns the slots visited.
 */
static unsigned retire_step(struct tt_stack *st)
{
	unsigned visits = 0, acted = 0;

	if (!st->retire.on) {
		retire_walk_start(st);
		/* Their connections all went on their own meanwhile. */
		if ((st->retire.close | st->retire.reset) == 0) {
			st->retire.on = false;
			retire_plan(st);
			return 0;
		}
	} else {
		/* A reset that fell due while the walk was on joins it at once (one not done
		 * behind the cursor is left to the next walk). */
		uint8_t due_close, due_reset;

		retire_due_slots(st, &due_close, &due_reset);
		st->retire.reset |= due_reset;
		st->closing_slots |= due_reset;
	}
	st->retire_next_ms = 0;
	while (visits < TT_STACK_RETIRE_SLOTS && acted < TT_STACK_DRAIN_BATCH) {
		uint32_t v = TT_CONN_NONE;
		uint32_t next = tt_conn_tbl_walk(st->tbl, st->retire.cursor, 1, take_value, &v);
		enum retire_move move = retire_entry(st, v, &acted);

		if (move == RETIRE_WAIT) {
			st->retire_next_ms = st->tcp.now_ms + 1;
			break;
		}
		visits++;
		if (move == RETIRE_STAY)
			continue;
		st->retire.cursor = next;
		if (next == 0) {
			retire_walk_end(st);
			break;
		}
	}
	return visits;
}

uint32_t tt_stack_drain_step(struct tt_stack *st, uint64_t deadline_ms, unsigned budget)
{
	st->draining = true;
	st->closing_slots = UINT8_MAX;
	/* TIME-WAIT entries alone do not hold the drain up: once the process is gone, no new
	 * connection can take their 4-tuples here. */
	if (st->tcp.now_ms < deadline_ms && tt_pool_in_use(st->tcbs) > 0) {
		if (!st->close_walked)
			drain_close_step(st, budget);
		return tt_conn_tbl_count(st->tbl);
	}
	return abort_step(st, budget);
}

void tt_stack_send_segment(struct tt_stack *st, unsigned port, struct tt_tcp_hdr_args *a,
			   const void *payload, uint32_t len)
{
	/* The frame builder copies payload out of a send queue: a one-extent queue on the stack. */
	struct tt_sndq q = {0};

	if (len > 0)
		tt_sndq_push(&q, payload, len, NULL, 0);
	send_tcp(st, port, a, NULL, &q, 0, len, NULL);
}

/* Port's template for SYN-ACKs of pkt's family with options o, (re)built when what it was
 * built for differs: first use, or a configuration change. */
static const struct tt_synack_tmpl *synack_tmpl(struct tt_stack *st, unsigned port,
						const struct tt_pkt *pkt,
						const struct tt_tcp_opts *o)
{
	const struct tt_stack_port *sp = &st->ports[port];
	struct tt_synack_tmpl *t =
	    &st->synack[port * TT_SYNACK_SLOTS + tt_synack_slot(pkt->family, o->present)];

	if (unlikely(t->key != tt_synack_key(o)))
		tt_synack_tmpl_build(t, &sp->mac, pkt->family, o, sp->tx_cksum_offload);
	return t;
}

/* The cookie's SYN-ACK, from the template: the frame send_tcp would build for it. */
static void send_cookie_synack(struct tt_stack *st, unsigned port, const struct tt_pkt *pkt,
			       const struct tt_addr6_pair *a6, const struct tt_listen_result *r,
			       uint8_t app)
{
	const struct tt_synack_tmpl *t = synack_tmpl(st, port, pkt, &r->opts);
	uint16_t wnd = tt_tcp_cookie_window(&st->tcp, r, app);
	uint8_t *frame;
	void *buf = frame_get(st, port, t->len, TT_SYNACK_ROOM, &frame);

	if (buf == NULL)
		return;
	frame_xmit(st, port, buf, frame,
		   tt_synack_write(frame, t, pkt, r->seq, r->ack, wnd, &r->opts), pkt->saddr, a6,
		   NULL);
}

/* What LISTEN would turn into a connection: a SYN, or an ACK that may carry a SYN cookie. */
static bool opens_conn(const struct tt_stack *st, const struct tt_tcp_seg *seg)
{
	uint8_t f = seg->flags & (TT_TCP_SYN | TT_TCP_ACK | TT_TCP_RST);

	return f == TT_TCP_SYN ||
	       (f == TT_TCP_ACK && st->tcp.conf->syncookies != TT_SYNCOOKIES_OFF);
}

/* Whether a listener takes pkt (a6: its IPv6 addresses, NULL for IPv4); if not, *why: none on
 * its port for its family, or a drain refusing what would open a connection. */
static bool listener_takes(const struct tt_stack *st, const struct tt_pkt *pkt,
			   const struct tt_addr6_pair *a6, enum tt_drop *why)
{
	uint8_t l = st->listen_app[pkt->dport];

	if ((l & TT_LISTEN_APP_MASK) == 0 ||
	    (l & (a6 != NULL ? TT_LISTEN_NO_IPV6 : TT_LISTEN_NO_IPV4))) {
		*why = TT_DROP_TCP_NO_LISTENER;
		return false;
	}
	if (unlikely(st->draining) && opens_conn(st, &pkt->seg)) {
		*why = TT_DROP_TCP_DRAINING;
		return false;
	}
	return true;
}

static void tcp_listen6(struct tt_stack *st, unsigned port, const struct tt_pkt *pkt,
			const struct tt_flow4 *f, const struct tt_addr6_pair *a6, void *owner)
{
	uint8_t app = st->listen_app[pkt->dport] & TT_LISTEN_APP_MASK;
	struct tt_listen_result r;
	struct tt_tcp_out out; /* not zeroed: a cookie SYN-ACK, most of a flood, needs none */
	enum tt_drop why;
	struct tt_tcb *t;

	if (!listener_takes(st, pkt, a6, &why)) {
		st->ctr->drop[why]++;
		send_rst(st, port, pkt);
		return;
	}
	st->tcp.table_pressure = tt_pool_in_use(st->tcbs) >= st->pressure_mark;
	out.n = 0;
	switch (tt_tcp_listen(&st->tcp, f, &pkt->seg, &r)) {
	case TT_L_DROP:
		st->ctr->drop[r.reason]++;
		return;
	case TT_L_RST:
		st->ctr->drop[r.reason]++;
		send_rst(st, port, pkt);
		return;
	case TT_L_SYNACK_COOKIE:
		send_cookie_synack(st, port, pkt, a6, &r, (uint8_t)(app - 1));
		return;
	case TT_L_NEW_SYN_RECV:
		t = new_conn(st, f, a6);
		if (t == NULL) {
			send_rst(st, port, pkt); /* refused, and the client learns it at once */
			return;
		}
		st->ctr->ev[TT_CTR_TIME_WAIT_REUSED] += st->tcp.tw_reuse;
		set_l2_dst(st, t, port, &pkt->src_mac);
		tt_tcp_init_syn_recv(&st->tcp, t, f, &pkt->seg, (uint8_t)(app - 1), &out);
		conn_done(st, t, &out, TT_V_KEEP);
		return;
	case TT_L_NEW_COOKIE:
		t = new_conn(st, f, a6);
		if (t == NULL) {
			send_rst(st, port, pkt);
			return;
		}
		set_l2_dst(st, t, port, &pkt->src_mac);
		tt_tcp_init_cookie(&st->tcp, t, f, &pkt->seg, &r, (uint8_t)(app - 1));
		conn_done(st, t, &out, tt_tcp_input(&st->tcp, t, &pkt->seg, owner, &out));
		return;
	}
}

/* LISTEN for pkt, whose IPv6 addresses (NULL: IPv4) the state machine sees meanwhile. */
static void tcp_listen(struct tt_stack *st, unsigned port, const struct tt_pkt *pkt,
		       const struct tt_flow4 *f, void *owner)
{
	struct tt_addr6_pair pair;

	st->tcp.addr6 = pkt_addr6(pkt, &pair);
	tcp_listen6(st, port, pkt, f, st->tcp.addr6, owner);
	st->tcp.addr6 = NULL;
}

static void tcp_time_wait(struct tt_stack *st, unsigned port, struct tt_tw *tw,
			  const struct tt_pkt *pkt, const struct tt_flow4 *f, void *owner)
{
	enum tt_tw_verdict v = tt_tcp_tw_input(tw, &pkt->seg);
	struct tt_tcp_hdr_args a;
	struct tt_addr6_pair pair;
	enum tt_drop why;
	bool token = true;

	/* A SYN that no listener would take leaves the entry as it is and gets its ACK, as an
	 * old SYN does (Linux's TCP_TW_SYN without a listener): a SYN could otherwise end the
	 * quarantine of a 4-tuple on a port nobody listens on (a client connection's). */
	if (v == TT_TW_REUSE && !listener_takes(st, pkt, pkt_addr6(pkt, &pair), &why))
		v = TT_TW_ACK;

	/* A segment with an ACK (and no RST) costs a token of its source's budget here as it
	 * would with no entry, answered or not (tt_reply_budget.h), and its answer needs it: one
	 * who knows the 4-tuple could otherwise have us send the peer an ACK for each of its
	 * segments.  Not the peer's FIN again, exactly at its sequence number, which restarts
	 * the entry: taken.  (An old SYN, without an ACK, is answered one for one, as a
	 * listener answers SYNs.) */
	if (v != TT_TW_ACK_RESTART && tt_reply_budget_charged(pkt->seg.flags))
		token = reply_token(st, pkt, pkt_addr6(pkt, &pair));
	switch (v) {
	case TT_TW_DROP:
		return;
	case TT_TW_ACK_RESTART:
		if (tw_restart_due(st, tw))
			tw = restart_tw(st, tw, f);
		break;
	case TT_TW_ACK:
		break;
	case TT_TW_REUSE:
		/* As Linux's tw_isn: past the old window's reach from the old SND.NXT. */
		st->tcp.tw_isn = tw->snd_nxt + 65537;
		st->tcp.tw_reuse = true;
		free_tw(st, tw);
		tcp_listen(st, port, pkt, f, owner);
		st->tcp.tw_reuse = false;
		return;
	}
	if (!token) {
		st->ctr->ev[TT_CTR_INVALID_REPLIES_LIMITED]++;
		return;
	}
	/* Back the way the segment came: its interface, its source MAC or (by_neigh) the next
	 * hop of its source. */
	tt_tcp_tw_hdr(&st->tcp, tw, f, &pkt->src_mac, &a);
	send_tcp(st, port, &a, tw_addr6(st, tw), NULL, 0, 0, NULL);
}

/*
 * Whether the connection of table value v is pkt's: always for IPv4 (the key is the 4-tuple),
 * unless v is an IPv6 connection; for IPv6 when v is one whose addresses are pkt's (the key
 * holds a hash of them).
 */
static bool same_flow(const struct tt_stack *st, const struct tt_pkt *pkt, uint32_t v)
{
	const struct tt_addr6_pair *a6;

	if (pkt->family != TT_AF_INET6)
		return !(v & TT_CONN_V6);
	if (!(v & TT_CONN_V6))
		return false;
	a6 = v & TT_CONN_TW ? tw_addr6(st, tw_of(st, v)) : tcb_addr6(st, tcb_of(st, v));
	return memcmp(a6->saddr, pkt->saddr6.b, 16) == 0 &&
	       memcmp(a6->daddr, pkt->daddr6.b, 16) == 0;
}

/* One segment, v what the table holds for its flow now. */
static void segment_input(struct tt_stack *st, unsigned port, const struct tt_pkt *pkt,
			  const struct tt_flow4 *f, uint32_t v, void *owner)
{
	struct tt_tcp_out out;
	struct tt_tcb *t;

	/* Every SYN, whatever it meets: a flood's offered load as this core saw it. */
	if ((pkt->seg.flags & (TT_TCP_SYN | TT_TCP_ACK)) == TT_TCP_SYN)
		st->ctr->ev[TT_CTR_SYN_RECEIVED]++;
	if (v == TT_CONN_NONE) {
		tcp_listen(st, port, pkt, f, owner);
		return;
	}
	if (unlikely(!same_flow(st, pkt, v))) {
		st->ctr->drop[TT_DROP_TCP_FLOW_COLLISION]++;
		return;
	}
	if (v & TT_CONN_TW) {
		tcp_time_wait(st, port, tw_of(st, v), pkt, f, owner);
		return;
	}
	t = tcb_of(st, v);
	out.n = 0;
	bind_rt(st, t);
	conn_done(st, t, &out, tt_tcp_input(&st->tcp, t, &pkt->seg, owner, &out));
	unbind_rt(st);
}

/* Every line a TCB spans (two or three: tt_tcp.h), or a TIME-WAIT entry's one. */
static void prefetch_conn(const struct tt_stack *st, uint32_t v)
{
	const char *p;

	if (v == TT_CONN_NONE)
		return;
	if (v & TT_CONN_TW) {
		rte_prefetch0(tw_of(st, v));
		return;
	}
	p = (const char *)tcb_of(st, v);
	rte_prefetch0(p);
	rte_prefetch0(p + 64);
	rte_prefetch0(p + sizeof(struct tt_tcb) - 1);
}

/* The table key of pkt's flow (an IPv6 one: flow6_key). */
static struct tt_flow4 flow_key(const struct tt_stack *st, const struct tt_pkt *pkt)
{
	struct tt_addr6_pair pair;

	if (likely(pkt->family != TT_AF_INET6))
		return (struct tt_flow4){.saddr = pkt->saddr,
					 .daddr = pkt->daddr,
					 .sport = pkt->sport,
					 .dport = pkt->dport};
	return flow6_key(st, pkt_addr6(pkt, &pair), pkt->sport, pkt->dport);
}

/*
 * The stages of a burst of at most TT_STACK_BURST segments.  The lookups of the second stage only
 * choose what to prefetch: an earlier segment of the burst may insert or remove the very entry a
 * later one needs (its SYN then its ACK, an RST then a new SYN, a cookie ACK, a TIME-WAIT 4-tuple
 * taken over), so a segment whose key the table may have changed since the burst's lookups
 * (tt_conn_tbl_changed) looks up again, with its hash, when its turn comes.
 */
static void input_burst(struct tt_stack *st, unsigned port, const struct tt_pkt *pkts,
			void *const *owners, unsigned n_in, bool release)
{
	struct tt_flow4 f[TT_STACK_BURST];
	uint32_t hash[TT_STACK_BURST], v[TT_STACK_BURST];
	uint8_t idx[TT_STACK_BURST]; /* the segments that go on, by their index in pkts */
	unsigned n = 0;

	for (unsigned i = 0; i < n_in; i++) {
		/* Shedding: a SYN costs no hash, lookup, cookie or TCB, and no reply. */
		if (unlikely(st->shedding) &&
		    (pkts[i].seg.flags & (TT_TCP_SYN | TT_TCP_ACK | TT_TCP_RST)) == TT_TCP_SYN) {
			st->ctr->ev[TT_CTR_SYN_RECEIVED]++;
			st->ctr->drop[TT_DROP_TCP_SYN_SHED]++;
			if (release)
				st->io.release(st->io.arg, owners[i]);
			continue;
		}
		idx[n] = (uint8_t)i;
		f[n++] = flow_key(st, &pkts[i]);
	}
	tt_conn_tbl_hash_bulk(st->tbl, f, n, hash);
	tt_conn_tbl_lookup_bulk(st->tbl, f, hash, n, v);
	for (unsigned i = 0; i < n; i++)
		prefetch_conn(st, v[i]);
	tt_conn_tbl_mark(st->tbl);
	for (unsigned i = 0; i < n; i++) {
		if (tt_conn_tbl_changed(st->tbl, hash[i]))
			v[i] = tt_conn_tbl_lookup_hash(st->tbl, &f[i], hash[i]);
		st->cur.flow = f[i];
		st->cur.hash = hash[i];
		segment_input(st, port, &pkts[idx[i]], &f[i], v[i], owners[idx[i]]);
		/* Given back at once: the next frame built reuses a buffer still in cache. */
		if (release)
			st->io.release(st->io.arg, owners[idx[i]]);
	}
}

void tt_stack_rx_poll(struct tt_stack *st, bool full)
{
	uint16_t k = latest_conf(st)->syn_shed_full_polls;

	st->full_polls = full ? st->full_polls + (st->full_polls < k) : 0;
	st->shedding = k != 0 && st->full_polls >= k;
	st->ctr->ev[TT_CTR_SYN_SHED_POLLS] += st->shedding;
}

bool tt_stack_shedding(const struct tt_stack *st)
{
	return st->shedding;
}

void tt_stack_input_burst(struct tt_stack *st, unsigned port, const struct tt_pkt *pkts,
			  void *const *owners, unsigned n)
{
	for (unsigned done = 0; done < n; done += TT_STACK_BURST) {
		unsigned m = n - done < TT_STACK_BURST ? n - done : TT_STACK_BURST;

		input_burst(st, port, pkts + done, owners + done, m, true);
	}
}

void tt_stack_input(struct tt_stack *st, unsigned port, const struct tt_pkt *pkt, void *owner)
{
	input_burst(st, port, pkt, &owner, 1, false);
}

bool tt_stack_too_big(struct tt_stack *st, const struct tt_pkt *pkt, bool told)
{
	struct tt_flow4 f = flow_key(st, pkt);
	uint32_t v = tt_conn_tbl_lookup(st->tbl, &f);
	struct tt_tcp_out out = {.n = 0};
	struct tt_tcb *t;

	if (v == TT_CONN_NONE || !same_flow(st, pkt, v)) {
		st->ctr->drop[TT_DROP_ICMP_TOO_BIG_STALE] += !told;
		return false;
	}
	if (v & TT_CONN_TW) {
		/* RSS keeps a flow on one worker: the TIME-WAIT entry is this one's, and no other
		 * worker holds the connection. */
		st->ctr->drop[TT_DROP_ICMP_TOO_BIG_STALE]++;
		return true;
	}
	t = tcb_of(st, v);
	bind_rt(st, t);
	conn_done(st, t, &out, tt_tcp_too_big(&st->tcp, t, pkt->seg.seq, pkt->too_big_mtu, &out));
	unbind_rt(st);
	return true;
}

unsigned tt_stack_timers(struct tt_stack *st)
{
	uint32_t due[TT_STACK_TIMER_BATCH];
	unsigned n = tt_timer_wheel_advance(st->wheel, st->tcp.now_ms, due, TT_STACK_TIMER_BATCH);

	for (unsigned i = 0; i < n; i++) {
		struct tt_tcp_out out = {.n = 0};
		struct tt_tcb *t = tcb_of(st, due[i]);

		bind_rt(st, t);
		conn_done(st, t, &out, tt_tcp_timeout(&st->tcp, t, &out));
	}
	unbind_rt(st);
	/* TIME-WAIT expires from the FIFO's head, in the same bounded batch. */
	n += expire_tw(st, TT_STACK_TIMER_BATCH - n);
	/* A drain closes and resets everything by itself. */
	if (unlikely(st->tcp.now_ms >= st->retire_next_ms) && !st->draining)
		n += retire_step(st);
	return n;
}

uint32_t tt_stack_walk(const struct tt_stack *st, uint32_t from, uint32_t n_slots,
		       void (*fn)(const struct tt_flow4 *k, uint32_t value, void *arg), void *arg)
{
	return tt_conn_tbl_walk(st->tbl, from, n_slots, fn, arg);
}

enum tt_tcp_state tt_stack_conn_state(const struct tt_stack *st, uint32_t value)
{
	if (value & TT_CONN_TW)
		return TT_TCP_TIME_WAIT;
	return tcb_of(st, value)->state;
}

const struct tt_addr6_pair *tt_stack_conn_addr6(const struct tt_stack *st, uint32_t value)
{
	if (value & TT_CONN_TW)
		return tw_addr6(st, tw_of(st, value));
	return tcb_addr6(st, tcb_of(st, value));
}

static void describe_addr6(struct tt_stack_conn *c, const struct tt_addr6_pair *a6)
{
	c->ipv6 = a6 != NULL;
	if (a6 != NULL)
		c->addr6 = *a6;
}

void tt_stack_conn_describe(const struct tt_stack *st, const struct tt_flow4 *k, uint32_t value,
			    struct tt_stack_conn *c)
{
	uint64_t now = st->tcp.now_ms, due;
	struct tt_tcp_ctx ctx = st->tcp;
	const struct tt_tcb *t;

	memset(c, 0, sizeof(*c));
	if (value & TT_CONN_TW) {
		const struct tt_tw *tw = tw_of(st, value);

		int32_t left = (int32_t)(tw->expire_ms - (uint32_t)now);

		c->flow = *k;
		describe_addr6(c, tw_addr6(st, tw));
		c->state = TT_TCP_TIME_WAIT;
		c->timer = TT_TCP_TIMER_TIME_WAIT;
		c->timer_ms = left > 0 ? (uint64_t)left : 0;
		return;
	}
	t = tcb_of(st, value);
	c->flow = t->flow;
	describe_addr6(c, tcb_addr6(st, t));
	c->state = t->state;
	c->retrans = t->retries;
	c->send_q = tt_tcp_queued(&st->tcp, t);
	if (t->ooo != TT_TCB_NO_BLOCK) {
		const struct tt_ooo *q = tt_pool_at(st->ooo, t->ooo);

		for (uint32_t i = 0; i < q->n; i++)
			c->recv_q += q->seg[i].len;
	}
	c->srtt_ms8 = t->srtt_ms8;
	c->rttvar_ms4 = t->rttvar_ms4;
	c->rto_ms = tt_tcp_rto_ms(t);
	/* Its timers run by the configuration generation it was opened under, as in check_tcb. */
	gen_of(st, t, &ctx);
	c->timer = (uint8_t)tt_tcp_timer_next(&ctx, t, &due);
	c->timer_ms = due == UINT64_MAX ? 0 : due > now ? due - now : 0;
}

struct check_walk {
	const struct tt_stack *st;
	uint32_t pairs; /* IPv6 connections seen */
	uint64_t states[TT_TCP_NSTATES], states6[TT_TCP_NSTATES];
	uint32_t half_open;
	uint32_t scoreboards;
	uint32_t send_blocks;
	uint32_t app_blocks;
	const char *err;
};

/* The scoreboard holds sorted, disjoint, non-empty ranges inside [SND.UNA, SND.MAX]. */
static const char *check_sack(const struct tt_stack *st, const struct tt_tcb *t)
{
	const struct tt_sack_sb *sb;
	uint32_t from = t->snd_una;

	if (t->sack == TT_TCB_NO_BLOCK)
		return NULL;
	if (t->sack >= st->sack->capacity)
		return "a scoreboard index beyond the pool";
	sb = tt_pool_at(st->sack, t->sack);
	if (sb->n > TT_SACK_RANGES)
		return "a scoreboard with more ranges than it has";
	for (uint32_t i = 0; i < sb->n; i++) {
		if ((int32_t)(sb->r[i].start - from) < (i > 0) ||
		    (int32_t)(sb->r[i].end - sb->r[i].start) <= 0 ||
		    (int32_t)(t->snd_max - sb->r[i].end) < 0)
			return "scoreboard ranges out of order or outside [SND.UNA, SND.MAX]";
		from = sb->r[i].end;
	}
	return NULL;
}

static const char *check_tcb(const struct tt_stack *st, const struct tt_tcb *t)
{
	const struct tt_conf_tcp *c = st->gens[t->rt_slot].rt->conf;
	struct tt_tcp_ctx ctx = st->tcp;

	if (st->gens[t->rt_slot].conns == 0)
		return "a TCB's configuration generation counts no connection";
	gen_of(st, t, &ctx); /* the deadline the state machine computes for t */
	if (t->state == TT_TCP_CLOSED || t->state >= TT_TCP_TIME_WAIT)
		return "a TCB in the table is CLOSED or TIME-WAIT";
	if ((int32_t)(t->snd_nxt - t->snd_una) < 0 || (int32_t)(t->snd_max - t->snd_nxt) < 0)
		return "SND.UNA <= SND.NXT <= SND.MAX does not hold";
	if ((int32_t)(t->rcv_adv - t->rcv_nxt) < 0 && t->state != TT_TCP_SYN_SENT)
		return "RCV.ADV is behind RCV.NXT";
	if (t->mss == 0 || t->mss > c->mss)
		return "the segment size is 0 or above tcp.mss";
	if (t->sndb != TT_SNDB_NONE && t->sndb >= st->sndb->capacity)
		return "a send block index beyond the pool";
	if (t->app_block != TT_TCB_NO_APP_BLOCK && t->app_block >= st->app_blocks->capacity)
		return "an application block index beyond the pool";
	if (t->snd_max - t->snd_una > tt_tcp_queued(&ctx, t) + 2)
		return "more in flight than queued (plus SYN and FIN)";
	if (t->delack_ms != 0 && (!tt_timer_pending(&t->timer) ||
				  tt_timer_expiry(st->wheel, &t->timer) > tt_tcp_deadline(&ctx, t)))
		return "an owed delayed ACK has no timer armed in time";
	return check_sack(st, t);
}

/*
 * An IPv6 connection (flag ipv6, table value v) holds a pair of the side pool whose fold is its
 * key; an IPv4 one holds none.
 */
static const char *check_addr6(struct check_walk *cw, uint32_t v, bool ipv6, uint32_t pair,
			       const struct tt_flow4 *k)
{
	const struct tt_stack *st = cw->st;
	struct tt_flow4 f;

	if (ipv6 != ((v & TT_CONN_V6) != 0))
		return "a connection's IPv6 flag differs from its table value's";
	if (!ipv6)
		return NULL;
	cw->pairs++;
	if (st->pairs6 == NULL || pair >= st->pairs6->capacity)
		return "an IPv6 connection's address pair is beyond the side pool";
	f = flow6_key(st, pair6_at(st, pair), k->sport, k->dport);
	if (memcmp(&f, k, sizeof(f)) != 0)
		return "an IPv6 connection's table key is not the hash of its addresses";
	return NULL;
}

static void check_one(const struct tt_flow4 *k, uint32_t v, void *arg)
{
	struct check_walk *cw = arg;
	const struct tt_stack *st = cw->st;

	if (cw->err != NULL)
		return;
	/* The slot's tag is its key's hash, and the key's probe run reaches it. */
	if (tt_conn_tbl_lookup(st->tbl, k) != v) {
		cw->err = "an entry is not found in the table by its own key";
		return;
	}
	if (v & TT_CONN_TW) {
		const struct tt_tw *tw = tw_of(st, v);

		if (!tt_tw_ring_holds(&st->tw, conn_index(v)))
			cw->err = "a TIME-WAIT index outside the ring's entries";
		else if (tw->gone)
			cw->err = "the table names a TIME-WAIT entry that is gone";
		else if (tw->hash != tt_conn_tbl_hash(st->tbl, k))
			cw->err = "a TIME-WAIT entry's hash is not its table key's";
		else
			cw->err = check_addr6(cw, v, tw->ipv6, tw->pair6, k);
		cw->states[TT_TCP_TIME_WAIT]++;
		cw->states6[TT_TCP_TIME_WAIT] += tw->ipv6;
		return;
	}
	if (conn_index(v) < st->tcbs->capacity) {
		cw->err = check_addr6(cw, v, tcb_of(st, v)->ipv6, st->tcb_pair6[conn_index(v)], k);
		if (cw->err != NULL)
			return;
	}
	if (conn_index(v) >= st->tcbs->capacity) {
		cw->err = "a TCB index beyond the pool";
		return;
	}
	cw->err = check_tcb(st, tcb_of(st, v));
	cw->states[tcb_of(st, v)->state]++;
	cw->states6[tcb_of(st, v)->state] += tcb_of(st, v)->ipv6;
	cw->half_open += tcb_of(st, v)->state == TT_TCP_SYN_RECEIVED;
	cw->scoreboards += tcb_of(st, v)->sack != TT_TCB_NO_BLOCK;
	cw->send_blocks += tcb_of(st, v)->sndb != TT_SNDB_NONE;
	cw->app_blocks += tcb_of(st, v)->app_block != TT_TCB_NO_APP_BLOCK;
}

static const char *check_tw_ring(const struct tt_stack *st)
{
	uint32_t live = 0, pos = st->tw.head, last = 0;

	if (st->tw.used > st->tw.cap || st->tw.head >= st->tw.cap)
		return "the TIME-WAIT ring's head or length is beyond its capacity";
	for (uint32_t i = 0; i < st->tw.used; i++, pos = tt_tw_ring_next(&st->tw, pos, 1)) {
		const struct tt_tw *tw = tw_at(st, pos);

		if (tw->gone)
			continue;
		/* Live entries expire in ring order (on the 32-bit clock, within 2^31 ms). */
		if (live > 0 && (int32_t)(tw->expire_ms - last) < 0)
			return "the TIME-WAIT ring is out of expiry order";
		last = tw->expire_ms;
		live++;
	}
	if (live != st->tw.live)
		return "the TIME-WAIT ring's live count differs from its entries";
	return NULL;
}

const char *tt_stack_check(const struct tt_stack *st)
{
	struct check_walk cw = {.st = st};

	tt_conn_tbl_walk(st->tbl, 0, UINT32_MAX, check_one, &cw);
	if (cw.err != NULL)
		return cw.err;
	for (unsigned s = 0; s < TT_TCP_NSTATES; s++)
		if (cw.states[s] != st->tcp.state_count[s] ||
		    cw.states6[s] != st->tcp.state_count6[s])
			return "a per-state gauge differs from the table's content";
	if (cw.half_open != st->tcp.half_open)
		return "the half-open count differs from the table's content";
	if (tt_conn_tbl_count(st->tbl) != tt_pool_in_use(st->tcbs) + st->tw.live)
		return "table entries and pool objects in use differ";
	if (st->tcp.held > st->tcp.held_limit)
		return "more received buffers held than the budget";
	if (cw.scoreboards != tt_pool_in_use(st->sack))
		return "scoreboards in use differ from the connections holding one";
	if (cw.send_blocks != tt_pool_in_use(st->sndb))
		return "send blocks in use differ from the connections holding one";
	if (cw.app_blocks != tt_pool_in_use(st->app_blocks))
		return "application blocks in use differ from the connections holding one";
	if (cw.pairs != (st->pairs6 != NULL ? tt_pool_in_use(st->pairs6) : 0))
		return "IPv6 address pairs in use differ from the IPv6 connections";
	return check_tw_ring(st);
}

static void release_one(const struct tt_flow4 *k, uint32_t v, void *arg)
{
	struct tt_stack *st = arg;

	(void)k;
	if (v & TT_CONN_TW)
		tt_tcp_tw_destroy(&st->tcp, tw_of(st, v));
	else
		tt_tcp_destroy(&st->tcp, tcb_of(st, v));
}

void tt_stack_free(struct tt_stack *st)
{
	if (st == NULL)
		return;
	/* What connections hold (received buffers) goes back before the pools go. */
	if (st->tbl != NULL && st->tcbs != NULL && st->tw.e != NULL)
		tt_conn_tbl_walk(st->tbl, 0, UINT32_MAX, release_one, st);
	tt_conn_tbl_free(st->tbl);
	tt_pool_free(st->tcbs);
	tt_tw_ring_fini(&st->tw);
	tt_pool_free(st->ooo);
	tt_pool_free(st->sack);
	tt_pool_free(st->sndb);
	tt_pool_free(st->app_blocks);
	tt_pool_free(st->pairs6);
	free(st->tcb_pair6);
	free(st->synack);
	free(st->tcp.app_worker);
	free(st->tcp.pmtu);
	tt_timer_wheel_free(st->wheel);
	free(st);
}
