/*
 * tt_connlist: the live connection listing (like `ss -tan`), answered by each worker itself.
 *
 * A worker's connection table, pools and TIME-WAIT entries are its own and unlocked, so the
 * thread that asks (DPDK's telemetry thread, /tcpterm/connlist) never reads them.  It posts a
 * request into each worker's mailbox and waits, bounded; each worker, in its poll loop, walks
 * its own table (TCBs and TIME-WAIT entries alike), fills the mailbox's answer and marks it
 * done; the asker merges the answers in worker order.  A worker that does not answer in time
 * is named in the reply, and its connections are missing from it.
 *
 * One mailbox per worker, its state one atomic word:
 *
 *   IDLE --post (asker)--> POSTED --take (worker, CAS)--> TAKEN --walk done--> DONE
 *     ^       |                                                                  |
 *     +-------+ cancel (asker, CAS: only while POSTED)        take_answer (asker) +--> IDLE
 *
 * The asker writes the request, then stores POSTED with release; the worker's acquire (its
 * CAS) sees the request; the worker writes the answer, then stores DONE with release; the
 * asker's acquire load of DONE sees the answer.  An asker that gives up cancels a request the
 * worker has not taken; one it has taken stays the worker's until DONE, and the next query
 * discards that stale answer, or finds the worker still TAKEN and reports it as silent.
 * Queries on one set of mailboxes must not overlap: the caller serializes them (telemetry can
 * run several client threads at once).
 *
 * Cost on the worker: one relaxed load per loop iteration (tt_connlist_pending), off the
 * per-packet path.  A request is walked in steps, one per iteration: at most
 * TT_CONNLIST_SLOTS_PER_STEP table slots and TT_CONNLIST_READS_PER_STEP connections read (a
 * cache miss or two each), i.e. some tens of microseconds, so a table of millions never stalls
 * the worker: a million connections in 2^21 slots take 16384 iterations at least, well inside
 * TT_CONNLIST_TIMEOUT_MS on an idle or a busy worker.
 *
 * Consistency: like reading /proc/net/tcp, the walk is no snapshot.  A connection opened or
 * closed during it may or may not be listed, and a deletion that shifts a table entry back
 * across the cursor (tt_conn_tbl.h) can hide one; none is listed twice (entries only move
 * back, and the table does not wrap).
 * Each row is read in one go, at the worker's clock.
 *
 * Parameters (tt_connlist_parse), comma-separated, every key optional:
 *   state=NAME    a state as tt_tcp_state_names spells it (established, syn_recv, fin_wait_1,
 *                 fin_wait_2, close_wait, closing, last_ack, time_wait, syn_sent, closed);
 *                 case and '-' for '_' do not matter (ss's "syn-recv", "TIME-WAIT"); repeat
 *                 the key for several states
 *   addr=EP       either side is EP; local=EP, remote=EP: that side is EP; EP is A.B.C.D,
 *                 A.B.C.D:PORT, an IPv6 address (2001:2::1), [IPV6]:PORT, or :PORT (any
 *                 address, either family); each key at most once; an address matches
 *                 connections of its family only
 *   limit=N       rows listed at most, 0..TT_CONNLIST_MAX (default TT_CONNLIST_DEFAULT); the
 *                 reply always counts every connection that matched
 * Given keys must all match.  Anything else is rejected with a message.
 */
#ifndef TT_CONNLIST_H
#define TT_CONNLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tt_stack.h"

enum {
	/* Rows in one reply at most: a reply of that many worst-case rows (IPv6 endpoints) fits
	 * DPDK telemetry's 16 KiB (see tt_stats.c). */
	TT_CONNLIST_MAX = 75,
	TT_CONNLIST_DEFAULT = 50,
	TT_CONNLIST_SLOTS_PER_STEP = 1024,
	TT_CONNLIST_READS_PER_STEP = 64,
	TT_CONNLIST_TIMEOUT_MS = 2000, /* how long a query waits for the workers */
	TT_CONNLIST_PARAMS_MAX = 256,  /* parameter string bytes at most */
	TT_CONNLIST_MAX_WORKERS = 64,  /* the reply's bit mask of silent workers */
};

enum tt_connlist_state {
	TT_CONNLIST_IDLE,
	TT_CONNLIST_DONE,
	TT_CONNLIST_POSTED,
	TT_CONNLIST_TAKEN,
};

/* One side of a connection to match: address and/or port (neither: anything). */
struct tt_connlist_ep {
	uint32_t addr;	   /* host order, when has_addr */
	uint8_t addr6[16]; /* when has_addr6 */
	uint16_t port;
	bool has_addr, has_addr6, has_port;
};

struct tt_connlist_req {
	uint32_t states; /* bit (1 << enum tt_tcp_state) per state; 0: all */
	struct tt_connlist_ep any, local, remote; /* any: either side */
	uint32_t limit;				  /* rows wanted, 0..TT_CONNLIST_MAX */
};

struct tt_connlist_row {
	struct tt_stack_conn c;
	uint16_t worker;
};

struct tt_connlist_answer {
	uint64_t matched; /* connections that match the request, listed or not */
	uint32_t n;	  /* rows listed: min(matched, limit) */
	struct tt_connlist_row rows[TT_CONNLIST_MAX];
};

/* The merged answer of every worker that answered. */
struct tt_connlist_reply {
	struct tt_connlist_answer all; /* matched over answering workers; rows in worker order */
	uint32_t workers, answered;
	uint64_t silent; /* bit per worker that did not answer in time */
};

struct tt_connlist_mbox {
	_Alignas(64) uint32_t state; /* enum tt_connlist_state, atomic */
	uint16_t worker;
	uint32_t cursor; /* next table slot of the walk (the worker's, while TAKEN) */
	struct tt_connlist_req req;
	struct tt_connlist_answer ans;
};

void tt_connlist_mbox_init(struct tt_connlist_mbox *mb, uint16_t worker);

/* ---- the worker ---------------------------------------------------------------------------- */

/* A request waits or is in work: call tt_connlist_serve.  One relaxed load. */
static inline bool tt_connlist_pending(const struct tt_connlist_mbox *mb)
{
	return __atomic_load_n(&mb->state, __ATOMIC_RELAXED) >= TT_CONNLIST_POSTED;
}

/* One bounded step of the request in mb over the worker's stack st; true if it did work. */
bool tt_connlist_serve(struct tt_connlist_mbox *mb, const struct tt_stack *st);

/* ---- the asker ----------------------------------------------------------------------------- */

/* 0, or -EINVAL with a message in err (params may be NULL or empty: the defaults). */
int tt_connlist_parse(const char *params, struct tt_connlist_req *req, char *err, size_t err_len);

/* Post req; false when the worker still works on an earlier request. */
bool tt_connlist_post(struct tt_connlist_mbox *mb, const struct tt_connlist_req *req);

/* The worker answered: merge its answer into r (rows up to limit) and free the mailbox. */
bool tt_connlist_take_answer(struct tt_connlist_mbox *mb, uint32_t limit,
			     struct tt_connlist_reply *r);

/* Withdraw a request the worker has not taken (one it has taken runs to DONE). */
void tt_connlist_cancel(struct tt_connlist_mbox *mb);

/*
 * Ask the n workers' mailboxes (n <= TT_CONNLIST_MAX_WORKERS) and wait up to timeout_ms for
 * all of them; r gets what the ones that answered found, and which did not.
 */
void tt_connlist_query(struct tt_connlist_mbox *const *mb, unsigned n,
		       const struct tt_connlist_req *req, unsigned timeout_ms,
		       struct tt_connlist_reply *r);

#endif
