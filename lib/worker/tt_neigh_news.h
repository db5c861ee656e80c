/*
 * tt_neigh_news: what one worker hears of a neighbour on the wire, told to the other workers.
 *
 * Each worker resolves its own next hops (tt_neigh.h), but an answer need not come back to the
 * worker that asked: a NIC's RSS puts ARP (no IP header to hash) on one queue, and hashes an
 * ND advertisement on the neighbour's address and ours, not on the flow whose frame waits.  The
 * worker that sent the request would not see the answer, and its frames would wait until the
 * entry failed (neigh_drop_unresolved).  So each ARP packet and ND message that speaks of a
 * neighbour (what the worker gives tt_neigh_learn4/6) is also posted as a record of 28 bytes
 * to every other worker's inbox, and each worker, once per loop iteration, takes what its inbox
 * holds into its own cache (tt_neigh_told4/6: an entry it holds learns as from the wire).
 *
 * The inboxes are rte_rings (any worker posts, one takes), made when the workers are linked
 * (tt_worker_link): with one worker there are none, and nothing is posted or polled.  A full
 * inbox refuses the record (neigh_news_dropped): the neighbour's next answer, or the asking
 * worker's next request, tries again.  What a flood of ARP costs each other worker is a
 * record taken and a cache lookup per packet, bounded by its inbox's size per iteration.
 */
#ifndef TT_NEIGH_NEWS_H
#define TT_NEIGH_NEWS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

#include "tt_conf.h"
#include "tt_counters.h"
#include "tt_neigh.h"

enum {
	TT_NEIGH_NEWS_INBOX = 1024, /* records a worker's inbox holds (less one) */
	TT_NEIGH_NEWS_BATCH = 64,   /* records a worker takes per loop iteration, at most */
};

enum tt_neigh_news_flags {
	TT_NEIGH_NEWS_IPV6 = 1,	    /* addr is IPv6 (else IPv4, host order, in its first 4 bytes) */
	TT_NEIGH_NEWS_MAC = 2,	    /* mac is set (IPv6: the message had a link-layer option) */
	TT_NEIGH_NEWS_OVERRIDE = 4, /* IPv6: the advertisement's Override flag */
};

struct tt_neigh_news {
	uint8_t ifx;
	uint8_t flags; /* TT_NEIGH_NEWS_* */
	uint8_t kind;  /* IPv6: enum tt_neigh_nd_kind */
	uint8_t pad;
	uint8_t addr[16];
	struct tt_mac mac;
	uint8_t pad2[2];
};

/* A worker's inbox and the other workers' (none until linked). */
struct tt_neigh_news_box {
	struct rte_ring *inbox;
	unsigned n_peers;
	struct rte_ring *peers[TT_CONF_MAX_WORKERS];
};

/* Makes the inbox of worker id on NUMA node socket; 0, or -1 with rte_errno set. */
int tt_neigh_news_open(struct tt_neigh_news_box *b, unsigned id, int socket);

/* The peers of box self among the n boxes: every other one's inbox. */
void tt_neigh_news_link(struct tt_neigh_news_box *const *boxes, unsigned n, unsigned self);

/* Posts *news to every peer's inbox: counted neigh_news_posted, or _dropped per full inbox. */
void tt_neigh_news_post(const struct tt_neigh_news_box *b, const struct tt_neigh_news *news,
			struct tt_counters *ctr);

/* Tells n (the box's worker's cache) what its inbox holds, TT_NEIGH_NEWS_BATCH at most; returns
 * how many records it took. */
unsigned tt_neigh_news_take(struct tt_neigh_news_box *b, struct tt_neigh *n, uint64_t now_ms);

/* Frees the inbox (NULL-safe in effect: a box never opened holds none). */
void tt_neigh_news_close(struct tt_neigh_news_box *b);

#endif
