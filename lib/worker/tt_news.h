/*
 * tt_news: what one worker hears on the wire that another worker needs.
 *
 * RSS keeps every segment of a flow on one worker, but not the packets about it.  Two kinds
 * reach a worker that does not need them:
 *   - Neighbours.  Each worker resolves its own next hops (tt_neigh.h), and RSS puts ARP (no IP
 *     header to hash) on one queue and hashes an ND advertisement on the neighbour's address
 *     and ours, not on the flow whose frame waits: the worker that asked would not see the
 *     answer, and its frames would wait until the entry failed (neigh_drop_unresolved).  So
 *     each ARP packet and ND message that speaks of a neighbour (what the worker gives
 *     tt_neigh_learn4/6) is told to every other worker, whose entries learn from it as from
 *     the wire (tt_neigh_told4/6).
 *   - Path MTU.  An ICMP "fragmentation needed" or Packet Too Big is hashed on the router's
 *     address and ours, not on the connection it quotes: one that quotes no connection of the
 *     worker that received it is told to the others, and the worker that holds the connection
 *     takes it (tt_stack_too_big, told: counted icmp_too_big_told where it was received, and
 *     stale nowhere when no worker holds it).
 * Each is a record of 56 bytes posted to every other worker's inbox, and each worker takes
 * what its inbox holds once per loop iteration, TT_NEWS_BATCH at most.
 *
 * The inboxes are rte_rings (any worker posts, one takes), made when the workers are linked
 * (tt_worker_link): with one worker there are none, and nothing is posted or polled.  A full
 * inbox refuses the record (worker_news_dropped): the neighbour's next answer, the asking
 * worker's next request, or the router's next error tries again.
 *
 * What a flood costs: only news of an address that can be a next hop of ours (on-link, or the
 * gateway: tt_neigh_may_hold4/6) is posted, as only such an address can have an entry; each
 * other worker then pays a record taken and a lookup per packet, TT_NEWS_BATCH at most per
 * iteration.  Too-big errors quoting connections no worker holds cost as much, and may fill
 * only about half of an inbox (the rest refused; workers posting at once may each pass the
 * test), so that a flood of them leaves room for the neighbours' answers.
 */
#ifndef TT_NEWS_H
#define TT_NEWS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

#include "tt_conf.h"
#include "tt_counters.h"
#include "tt_neigh.h"
#include "tt_stack.h"

enum {
	TT_NEWS_INBOX = 1024, /* records a worker's inbox holds (less one) */
	TT_NEWS_BATCH = 64,   /* records a worker takes per loop iteration, at most */
};

enum tt_news_type {
	TT_NEWS_NEIGH4,	 /* an ARP packet's sender */
	TT_NEWS_NEIGH6,	 /* an ND message's target (advertisement) or source (solicitation) */
	TT_NEWS_TOO_BIG, /* an ICMP too-big error that quoted no connection of its worker */
};

enum tt_news_flags {
	TT_NEWS_MAC = 1, /* neighbour: mac is set (IPv6: the message had a link-layer option) */
	TT_NEWS_OVERRIDE = 2, /* NEIGH6: the advertisement's Override flag */
	TT_NEWS_IPV6 = 4,     /* TOO_BIG: the quoted segment is IPv6 */
};

struct tt_news {
	uint8_t type;  /* enum tt_news_type */
	uint8_t flags; /* TT_NEWS_* */
	uint8_t ifx;   /* neighbour: the interface it was heard on */
	uint8_t kind;  /* NEIGH6: enum tt_neigh_nd_kind */
	union {
		struct {
			uint8_t addr[16]; /* IPv4: host order, in the first 4 bytes */
			struct tt_mac mac;
		} neigh;
		/* The quoted segment turned around, as tt_pkt has it (tt_net.h, TT_PKT_TOO_BIG). */
		struct {
			uint32_t mtu, seq, saddr, daddr;
			uint16_t sport, dport;
			uint8_t saddr6[16], daddr6[16];
		} too_big;
	};
};

/* A worker's inbox and the other workers' boxes (none until linked). */
struct tt_news_box {
	struct rte_ring *inbox;
	bool closed; /* its worker takes no more (its drain ended): nothing is posted to it */
	unsigned n_peers;
	const struct tt_news_box *peers[TT_CONF_MAX_WORKERS];
};

/* Makes the inbox of worker id on NUMA node socket; 0, or -1 with rte_errno set. */
int tt_news_open(struct tt_news_box *b, unsigned id, int socket);

/* The peers of box self among the n boxes: every other one's inbox. */
void tt_news_link(struct tt_news_box *const *boxes, unsigned n, unsigned self);

/* Posts *news to every peer's inbox but the closed ones: counted worker_news_posted, or _dropped
 * per full inbox (a too-big record: per inbox half full or more); returns how many took it. */
unsigned tt_news_post(const struct tt_news_box *b, const struct tt_news *news,
		      struct tt_counters *ctr);

/* The record of a too-big error pkt (TT_PKT_TOO_BIG). */
void tt_news_too_big(const struct tt_pkt *pkt, struct tt_news *news);

/* Takes what the inbox holds, TT_NEWS_BATCH at most, into the worker's neighbour cache n and
 * stack st; returns how many records it took. */
unsigned tt_news_take(struct tt_news_box *b, struct tt_neigh *n, struct tt_stack *st,
		      uint64_t now_ms);

/* The box's worker takes no more news (its drain ended, the others may still be draining):
 * the others stop posting to it rather than count every record refused by a full inbox. */
void tt_news_stop(struct tt_news_box *b);

/* Frees the inbox, if any. */
void tt_news_close(struct tt_news_box *b);

#endif
