/*
 * tt_neigh: one worker's neighbour cache, the next hop of every frame we send, and the frames
 * that wait for a next hop's MAC.  IPv4 resolves by ARP (RFC 826), IPv6 by neighbour discovery
 * (RFC 4861 7.2); both share one table and one set of rules.
 *
 * Next hop (tt_neigh_send4, tt_neigh_send6): a destination inside the interface's prefix (IPv6:
 * inside one of its address6 prefixes, or link-local fe80::/10) is its own next hop (on-link);
 * any other goes to the interface's gateway (IPv6: gateway6); without one it has no route and
 * the frame is dropped (neigh_drop_no_route, either family), as Linux answers ENETUNREACH.
 *
 * Entries are keyed by (interface, address family, address): the address is 16 bytes, so IPv4
 * and IPv6 next hops live in one table.  The table is fixed at creation: `entries` entries, an
 * open-addressed index of twice as many slots, probe runs bounded by TT_NEIGH_MAX_PROBE (a run
 * at its bound counts as a full table).  An entry never moves once allocated, so its index is
 * a stable hint: a connection keeps the index of its next hop's entry (struct tt_tcb.nh) and
 * each segment checks the entry's key against its own instead of hashing (tt_neigh_send4/6
 * with a hint; a TIME-WAIT entry's rare answers look theirs up).
 *
 *   INCOMPLETE  asked for, no answer yet: frames wait on the entry's queue; a request every
 *               retrans_ms, `probes` in all (ARP: broadcast; ND: a solicitation to the
 *               target's solicited-node group), then the entry fails: its frames are dropped
 *               (neigh_drop_unresolved) and it is freed (neigh_failed);
 *   REACHABLE   MAC known, confirmed by an answer less than reachable_ms ago;
 *   STALE       reachable_ms passed while the entry was in use: the MAC is still used while
 *               unicast requests (ARP to the MAC; ND to the address at the MAC, as Linux's
 *               probes) refresh it, one every retrans_ms, `probes` in all; an answer makes it
 *               REACHABLE again, silence frees it (neigh_failed).  An entry unused for a whole
 *               reachable_ms is freed when it ends (neigh_expired).
 *
 * Only a packet about a neighbour we hold an entry for changes the table (tt_neigh_learn4,
 * tt_neigh_learn6): ARP, a reply to our request, a request from that neighbour, a gratuitous
 * ARP; ND, an advertisement (solicited or not) or a solicitation whose source link-layer
 * option names it.  Nothing from the wire allocates an entry; only our own need to send does,
 * and a flood of answers or announcements for addresses we never asked about costs a hash
 * lookup each (arp_ignored, nd_ignored).  An advertisement follows RFC 4861 7.2.5 where it
 * matters to a host that only sends: one without a target link-layer option teaches an
 * INCOMPLETE entry nothing, and confirms a known MAC only when Solicited (the answer to our
 * unicast probe, which Linux sends without the option); one whose address differs from the
 * known MAC replaces it only with Override set (else nd_ignored: a proxy or anycast answer
 * must not take over).  Unsolicited news (a solicitation, an unsolicited advertisement) is
 * taken as ARP's is: the MAC is learnt and the entry counts as confirmed.
 *
 * What a flood can make us hold: SYNs from spoofed addresses inside our prefix (or link-local)
 * make one INCOMPLETE entry each (and a request, as Linux would send).  Each gateway and
 * gateway6 configured has an entry kept apart (at most entries / 2 in all), so its next hop
 * resolves again whatever the flood holds; other next hops take the rest, and when none is
 * left a new one takes the place of the oldest still INCOMPLETE (neigh_evicted, its frames
 * neigh_drop_evicted), as Linux's forced garbage collection does: a real peer resolves if it
 * answers before `entries` less the reserved newer next hops come (and, with every held frame
 * taken, before its frame is the oldest).  Entries with a MAC are never pushed out: with
 * every one resolved, a new next hop's frame is dropped (neigh_drop_table_full).  Spoofed
 * addresses outside the prefix all share the gateway's entry.
 *
 * Held frames: at most queue_per_entry per entry (the oldest is dropped for a newer one, as
 * Linux does: neigh_drop_queue_full) and queue_per_worker in all: then the oldest frame of the
 * oldest INCOMPLETE next hop that is no gateway and holds one goes (neigh_drop_pool_full; the
 * older ones holding none go with it, neigh_evicted), or, with none, the new frame.  They are
 * frames fully built but for the destination MAC, which is written when the entry resolves;
 * then io.send transmits them in their order.
 *
 * Timers: tt_neigh_tick walks at most TT_NEIGH_TICK_BATCH entries per call, round robin, and
 * sends the requests and ends the states due; the worker calls it every loop iteration, so an
 * entry's deadlines are late by at most a few iterations.
 *
 * Threading: owned by one worker lcore, nothing shared.  What one worker hears of a neighbour
 * reaches the others as news (tt_news.h, tt_neigh_told4/6): the answer to a worker's
 * request may arrive on another worker's queue.  Cost: a hinted lookup reads one
 * cache line (the entry); a miss hashes the key (SipHash) and probes the index.
 */
#ifndef TT_NEIGH_H
#define TT_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "tt_counters.h"
#include "tt_net.h"
#include "tt_siphash.h"

enum {
	TT_NEIGH_NONE = UINT16_MAX, /* a hint that names no entry */
	TT_NEIGH_MAX_ENTRIES = 16384,
	TT_NEIGH_MAX_IFS = 256, /* interfaces a worker has (ports and their VLANs) */
	TT_NEIGH_MAX_PROBE = 32,
	TT_NEIGH_TICK_BATCH = 64,
};

enum tt_neigh_family { TT_NEIGH_IPV4 = 4, TT_NEIGH_IPV6 = 6 };

enum tt_neigh_state { TT_NEIGH_FREE, TT_NEIGH_INCOMPLETE, TT_NEIGH_REACHABLE, TT_NEIGH_STALE };

/* An entry's identity: 20 bytes, compared and hashed whole (the padding is zero). */
struct tt_neigh_key {
	uint8_t ifx;	/* the worker's interface index */
	uint8_t family; /* enum tt_neigh_family */
	uint8_t pad[2];
	uint8_t addr[16]; /* IPv4: the first 4 bytes, network order; the rest zero */
};

static inline struct tt_neigh_key tt_neigh_key4(unsigned ifx, uint32_t addr)
{
	struct tt_neigh_key k = {.ifx = (uint8_t)ifx, .family = TT_NEIGH_IPV4};

	k.addr[0] = (uint8_t)(addr >> 24);
	k.addr[1] = (uint8_t)(addr >> 16);
	k.addr[2] = (uint8_t)(addr >> 8);
	k.addr[3] = (uint8_t)addr;
	return k;
}

static inline struct tt_neigh_key tt_neigh_key6(unsigned ifx, const struct tt_in6 *addr)
{
	struct tt_neigh_key k = {.ifx = (uint8_t)ifx, .family = TT_NEIGH_IPV6};

	__builtin_memcpy(k.addr, addr->b, 16);
	return k;
}

/* One interface as routing, ARP and neighbour discovery see it. */
struct tt_neigh_if {
	struct tt_mac mac;
	uint32_t addr; /* ours, host order: the sender of our requests */
	uint8_t prefix_len;
	uint32_t gateway; /* host order; 0: none */
	/* IPv6: our addresses (the source of our solicitations: the first whose prefix holds the
	 * target, else the first), their prefix lengths, the gateway (all zero: none). */
	uint8_t n_addr6;
	uint8_t prefix6_len[TT_NET_MAX_ADDR6];
	struct tt_in6 addr6[TT_NET_MAX_ADDR6];
	struct tt_in6 gateway6;
};

/* How frames leave (the worker: its TX batch; the unit tests: memory). */
struct tt_neigh_io {
	/* A buffer for one frame (NULL: none left); *data and *room describe it. */
	void *(*frame_alloc)(void *arg, uint8_t **data, uint32_t *room);
	/* Transmit len bytes of a frame on interface ifx (ownership passes). */
	void (*frame_send)(void *arg, unsigned ifx, void *frame, uint32_t len);
	/* Give back a frame that will not be sent. */
	void (*frame_free)(void *arg, void *frame);
	void *arg;
};

struct tt_neigh_params {
	uint32_t entries;	   /* 16..TT_NEIGH_MAX_ENTRIES */
	uint32_t queue_per_entry;  /* held frames per entry, >= 1 */
	uint32_t queue_per_worker; /* held frames in all, >= 1 */
	uint32_t reachable_ms;	   /* an answer keeps an entry REACHABLE this long */
	uint32_t retrans_ms;	   /* between two requests for one entry */
	uint32_t probes;	   /* requests per resolution or refresh, >= 1 */
	unsigned n_ifs;
	const struct tt_neigh_if *ifs; /* [n_ifs], copied */
	struct tt_siphash_key key;     /* the index's hash key (random per worker) */
	struct tt_counters *ctr;
	struct tt_neigh_io io;
};

struct tt_neigh;

/* NULL + errno (EINVAL for parameters out of range, ENOMEM) on failure. */
struct tt_neigh *tt_neigh_create(const struct tt_neigh_params *p);

/* Gives every held frame back (io.frame_free), then the cache. */
void tt_neigh_free(struct tt_neigh *n);

/*
 * Send len bytes of frame (Ethernet + IPv4, built but for the destination MAC) on interface
 * ifx towards IPv4 host-order daddr: the MAC of its next hop is written and the frame sent, or
 * it waits for the next hop's resolution (a new entry sends its first request now), or it is
 * dropped and counted.  Ownership of frame passes in every case.  hint (NULL: none) is the
 * caller's memory of the next hop's entry: tried first, updated to the entry found.
 */
void tt_neigh_send4(struct tt_neigh *n, unsigned ifx, uint32_t daddr, uint16_t *hint, void *frame,
		    uint8_t *data, uint32_t len, uint64_t now_ms);

/* tt_neigh_send4 for a frame of Ethernet + IPv6 towards daddr. */
void tt_neigh_send6(struct tt_neigh *n, unsigned ifx, const struct tt_in6 *daddr, uint16_t *hint,
		    void *frame, uint8_t *data, uint32_t len, uint64_t now_ms);

/*
 * An ARP packet on interface ifx said that addr (IPv4, host order) is at mac.  An entry we hold
 * for it learns the MAC (REACHABLE, its held frames go out); returns false when we hold none
 * (nothing changes).
 */
bool tt_neigh_learn4(struct tt_neigh *n, unsigned ifx, uint32_t addr, const struct tt_mac *mac,
		     uint64_t now_ms);

/* What a neighbour discovery message said about a neighbour (tt_neigh_learn6). */
enum tt_neigh_nd_kind {
	TT_NEIGH_ND_NS,		  /* a solicitation from it, with its source link-layer option */
	TT_NEIGH_ND_NA,		  /* an advertisement without Solicited */
	TT_NEIGH_ND_NA_SOLICITED, /* the answer to a solicitation */
};

/*
 * A neighbour discovery message on interface ifx spoke of addr: mac is its link-layer address
 * option (NULL: the message had none), override the advertisement's Override flag.  An entry we
 * hold learns or is confirmed as tt_neigh.h's top comment says (its held frames go out once it
 * has a MAC); returns false when it changed nothing (counted nd_ignored).
 */
bool tt_neigh_learn6(struct tt_neigh *n, unsigned ifx, const struct tt_in6 *addr,
		     const struct tt_mac *mac, enum tt_neigh_nd_kind kind, bool override,
		     uint64_t now_ms);

/*
 * The same news, heard by another worker and told to this one (tt_news.h): an entry we
 * hold learns as from the wire, counted neigh_news_learned; nothing is counted when it changes
 * nothing (the worker that heard it counted the packet).
 */
bool tt_neigh_told4(struct tt_neigh *n, unsigned ifx, uint32_t addr, const struct tt_mac *mac,
		    uint64_t now_ms);
bool tt_neigh_told6(struct tt_neigh *n, unsigned ifx, const struct tt_in6 *addr,
		    const struct tt_mac *mac, enum tt_neigh_nd_kind kind, bool override,
		    uint64_t now_ms);

/* Whether an entry for addr on interface ifx can exist: addr is a next hop of ours (on-link,
 * or the gateway), as only our own need to send makes entries.  News of any other address
 * cannot matter to another worker's cache (tt_news.h). */
bool tt_neigh_may_hold4(const struct tt_neigh *n, unsigned ifx, uint32_t addr);
bool tt_neigh_may_hold6(const struct tt_neigh *n, unsigned ifx, const struct tt_in6 *addr);

/* Send the requests and end the states due by now_ms, in at most TT_NEIGH_TICK_BATCH entries.
 * Returns the entries that changed or sent something. */
unsigned tt_neigh_tick(struct tt_neigh *n, uint64_t now_ms);

/* The entry for key, for the operator and the tests: its state (TT_NEIGH_FREE: none) and MAC. */
enum tt_neigh_state tt_neigh_state(const struct tt_neigh *n, const struct tt_neigh_key *key,
				   struct tt_mac *mac);

/* Gauges: entries in use, frames held now. */
uint32_t tt_neigh_entries(const struct tt_neigh *n);
uint32_t tt_neigh_held(const struct tt_neigh *n);

/*
 * The next hop of IPv4 host-order daddr leaving interface ifc: daddr itself on-link, else the
 * gateway; false when off-link without a gateway.
 */
static inline bool tt_neigh_next_hop4(const struct tt_neigh_if *ifc, uint32_t daddr, uint32_t *nh)
{
	uint32_t mask = ifc->prefix_len ? UINT32_MAX << (32 - ifc->prefix_len) : 0;

	if (((daddr ^ ifc->addr) & mask) == 0) {
		*nh = daddr;
		return true;
	}
	*nh = ifc->gateway;
	return ifc->gateway != 0;
}

/* fe80::/10 (RFC 4291 2.5.6): on every link, never behind a gateway. */
static inline bool tt_neigh_is_link_local6(const struct tt_in6 *a)
{
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/* Whether a and b share their first len bits. */
static inline bool tt_neigh_prefix6_eq(const struct tt_in6 *a, const struct tt_in6 *b, unsigned len)
{
	unsigned i = 0;

	for (; len >= 8; len -= 8, i++)
		if (a->b[i] != b->b[i])
			return false;
	return len == 0 || ((a->b[i] ^ b->b[i]) & (uint8_t)(0xff00 >> len)) == 0;
}

/* Index of the first of ifc's IPv6 addresses whose prefix holds a, or ifc->n_addr6. */
static inline unsigned tt_neigh_prefix6_of(const struct tt_neigh_if *ifc, const struct tt_in6 *a)
{
	unsigned i;

	for (i = 0; i < ifc->n_addr6; i++)
		if (tt_neigh_prefix6_eq(a, &ifc->addr6[i], ifc->prefix6_len[i]))
			break;
	return i;
}

/* Whether ifc has an IPv6 gateway (gateway6 not all zero). */
static inline bool tt_neigh_has_gateway6(const struct tt_neigh_if *ifc)
{
	static const struct tt_in6 none;

	return __builtin_memcmp(&ifc->gateway6, &none, sizeof(none)) != 0;
}

/*
 * The next hop of IPv6 daddr leaving interface ifc: daddr itself when on-link (inside one of
 * the interface's prefixes, or link-local), else gateway6; false when off-link without one.
 */
static inline bool tt_neigh_next_hop6(const struct tt_neigh_if *ifc, const struct tt_in6 *daddr,
				      struct tt_in6 *nh)
{
	if (tt_neigh_is_link_local6(daddr) || tt_neigh_prefix6_of(ifc, daddr) < ifc->n_addr6) {
		*nh = *daddr;
		return true;
	}
	*nh = ifc->gateway6;
	return tt_neigh_has_gateway6(ifc);
}

#endif
