/* The neighbour cache of one worker; see tt_neigh.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>

#include "tt_nd.h"
#include "tt_neigh.h"

enum { NO_SLOT = UINT32_MAX };

/* One cache line: what a hinted lookup reads. */
struct entry {
	struct tt_neigh_key key;
	struct tt_mac mac;
	uint8_t state;		 /* enum tt_neigh_state */
	uint8_t probes;		 /* requests sent in this resolution or refresh */
	uint16_t held;		 /* frames on the queue */
	uint32_t q_head, q_tail; /* held frames (pending slots), oldest first */
	uint64_t confirmed_ms;	 /* the last answer */
	uint64_t used_ms;	 /* the last frame sent towards it */
	uint64_t due_ms;	 /* the next request, or the state's end */
};
_Static_assert(sizeof(struct entry) == 64, "a neighbour entry is one cache line");

/* A frame waiting for its next hop's MAC. */
struct pending {
	void *frame;
	uint8_t *data;
	uint32_t len;
	uint32_t next;
};

/* An entry's place in the resolving list (struct tt_neigh.oldest): entry numbers. */
struct link {
	uint16_t older, newer;
};

struct tt_neigh {
	struct entry *e; /* [cap] */
	uint16_t *index; /* [index_mask + 1]: entry numbers, TT_NEIGH_NONE: empty */
	uint32_t index_mask;
	uint32_t cap, used;
	/* Entries kept for gateways (one per gateway and gateway6 configured, at most cap / 2),
	 * and how many gateways hold one: other next hops take at most cap - reserved. */
	uint32_t reserved, gateways_used;
	uint16_t free_head; /* free entries, linked through their q_head */
	/* INCOMPLETE entries of next hops that are no gateway, oldest first: the ones a new next
	 * hop or frame takes the place of when the table or the held frames are at bound. */
	uint16_t oldest, newest;
	struct link *link;  /* [cap] */
	struct pending *q;  /* [queue_per_worker] */
	uint32_t q_free, q_used;
	uint32_t queue_per_entry, reachable_ms, retrans_ms, probes;
	uint32_t cursor; /* where tt_neigh_tick goes on */
	struct tt_siphash_key hkey;
	struct tt_counters *ctr;
	struct tt_neigh_io io;
	unsigned n_ifs;
	struct tt_neigh_if ifs[];
};

static inline bool key_eq(const struct tt_neigh_key *a, const struct tt_neigh_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static uint32_t home(const struct tt_neigh *n, const struct tt_neigh_key *k)
{
	return (uint32_t)tt_siphash(&n->hkey, k, sizeof(*k)) & n->index_mask;
}

static uint32_t key_addr4(const struct tt_neigh_key *k)
{
	return (uint32_t)k->addr[0] << 24 | (uint32_t)k->addr[1] << 16 | (uint32_t)k->addr[2] << 8 |
	       k->addr[3];
}

/* Whether k names its interface's gateway (IPv6: gateway6). */
static bool is_gateway(const struct tt_neigh *n, const struct tt_neigh_key *k)
{
	const struct tt_neigh_if *ifc = &n->ifs[k->ifx];

	if (k->family == TT_NEIGH_IPV4)
		return ifc->gateway != 0 && key_addr4(k) == ifc->gateway;
	return tt_neigh_has_gateway6(ifc) && memcmp(k->addr, ifc->gateway6.b, 16) == 0;
}

/* Entry i, just made INCOMPLETE for no gateway, goes last in the resolving list. */
static void resolving_append(struct tt_neigh *n, uint16_t i)
{
	n->link[i] = (struct link){.older = n->newest, .newer = TT_NEIGH_NONE};
	if (n->newest != TT_NEIGH_NONE)
		n->link[n->newest].newer = i;
	else
		n->oldest = i;
	n->newest = i;
}

/* Entry i leaves the resolving list (it resolved, or goes), if it is in it. */
static void resolving_unlink(struct tt_neigh *n, uint16_t i)
{
	const struct link l = n->link[i];

	if (n->e[i].state != TT_NEIGH_INCOMPLETE || is_gateway(n, &n->e[i].key))
		return;
	if (l.older != TT_NEIGH_NONE)
		n->link[l.older].newer = l.newer;
	else
		n->oldest = l.newer;
	if (l.newer != TT_NEIGH_NONE)
		n->link[l.newer].older = l.older;
	else
		n->newest = l.older;
}

struct tt_neigh *tt_neigh_create(const struct tt_neigh_params *p)
{
	struct tt_neigh *n;
	uint32_t slots = 1;

	if (p->entries < 16 || p->entries > TT_NEIGH_MAX_ENTRIES || p->queue_per_entry == 0 ||
	    p->queue_per_entry > UINT16_MAX || p->queue_per_worker == 0 || p->probes == 0 ||
	    p->probes > UINT8_MAX || p->retrans_ms == 0 || p->reachable_ms == 0 ||
	    p->n_ifs > TT_NEIGH_MAX_IFS) {
		errno = EINVAL;
		return NULL;
	}
	while (slots < 2 * p->entries)
		slots <<= 1;
	n = calloc(1, sizeof(*n) + p->n_ifs * sizeof(n->ifs[0]));
	if (n == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	n->e = calloc(p->entries, sizeof(*n->e));
	n->index = malloc(slots * sizeof(*n->index));
	n->q = calloc(p->queue_per_worker, sizeof(*n->q));
	n->link = calloc(p->entries, sizeof(*n->link));
	if (n->e == NULL || n->index == NULL || n->q == NULL || n->link == NULL) {
		tt_neigh_free(n);
		errno = ENOMEM;
		return NULL;
	}
	memset(n->index, 0xff, slots * sizeof(*n->index));
	n->index_mask = slots - 1;
	n->cap = p->entries;
	for (uint32_t i = 0; i < p->entries; i++)
		n->e[i].q_head = i + 1 < p->entries ? i + 1 : TT_NEIGH_NONE;
	n->free_head = 0;
	for (uint32_t i = 0; i < p->queue_per_worker; i++)
		n->q[i].next = i + 1 < p->queue_per_worker ? i + 1 : NO_SLOT;
	n->q_free = 0;
	n->queue_per_entry = p->queue_per_entry;
	n->reachable_ms = p->reachable_ms;
	n->retrans_ms = p->retrans_ms;
	n->probes = p->probes;
	n->hkey = p->key;
	n->ctr = p->ctr;
	n->io = p->io;
	n->n_ifs = p->n_ifs;
	n->oldest = n->newest = TT_NEIGH_NONE;
	if (p->n_ifs > 0)
		memcpy(n->ifs, p->ifs, p->n_ifs * sizeof(n->ifs[0]));
	for (unsigned i = 0; i < p->n_ifs; i++)
		n->reserved += (p->ifs[i].gateway != 0) + tt_neigh_has_gateway6(&p->ifs[i]);
	if (n->reserved > n->cap / 2)
		n->reserved = n->cap / 2;
	return n;
}

static struct pending *q_pop(struct tt_neigh *n, struct entry *e)
{
	uint32_t i = e->q_head;
	struct pending *q = &n->q[i];

	e->q_head = q->next;
	if (--e->held == 0)
		e->q_head = e->q_tail = NO_SLOT;
	q->next = n->q_free;
	n->q_free = i;
	n->q_used--;
	return q;
}

/* Every frame held on e goes back, counted as ctr (a drop reason). */
static void q_drop_all(struct tt_neigh *n, struct entry *e, enum tt_counter ctr)
{
	while (e->held > 0) {
		struct pending *q = q_pop(n, e);

		n->ctr->ev[ctr]++;
		n->io.frame_free(n->io.arg, q->frame);
	}
}

void tt_neigh_free(struct tt_neigh *n)
{
	if (n == NULL)
		return;
	if (n->e != NULL && n->q != NULL)
		for (uint32_t i = 0; i < n->cap; i++)
			if (n->e[i].state != TT_NEIGH_FREE)
				while (n->e[i].held > 0)
					n->io.frame_free(n->io.arg, q_pop(n, &n->e[i])->frame);
	free(n->e);
	free(n->index);
	free(n->q);
	free(n->link);
	free(n);
}

/* The index slot that names entry i (it is in the index). */
static uint32_t slot_of(const struct tt_neigh *n, uint32_t i)
{
	uint32_t s = home(n, &n->e[i].key);

	while (n->index[s] != i)
		s = (s + 1) & n->index_mask;
	return s;
}

/* Entry number for k, or TT_NEIGH_NONE. */
static uint32_t find(const struct tt_neigh *n, const struct tt_neigh_key *k)
{
	uint32_t s = home(n, k);

	for (unsigned d = 0; d < TT_NEIGH_MAX_PROBE; d++, s = (s + 1) & n->index_mask) {
		uint16_t i = n->index[s];

		if (i == TT_NEIGH_NONE)
			return TT_NEIGH_NONE;
		if (key_eq(&n->e[i].key, k))
			return i;
	}
	return TT_NEIGH_NONE;
}

/*
 * Remove entry i: backward-shift deletion keeps every probe run unbroken (a later entry of the
 * run moves into the hole when its home does not lie between the hole and itself).
 */
static void remove_entry(struct tt_neigh *n, uint32_t i)
{
	uint32_t hole = slot_of(n, i), s = hole;

	for (;;) {
		uint32_t h;

		s = (s + 1) & n->index_mask;
		if (n->index[s] == TT_NEIGH_NONE)
			break;
		h = home(n, &n->e[n->index[s]].key);
		/* Moves when home h is not in the cyclic range (hole, s]. */
		if (((s - h) & n->index_mask) >= ((s - hole) & n->index_mask)) {
			n->index[hole] = n->index[s];
			hole = s;
		}
	}
	n->index[hole] = TT_NEIGH_NONE;
	resolving_unlink(n, (uint16_t)i);
	n->gateways_used -= is_gateway(n, &n->e[i].key);
	memset(&n->e[i], 0, sizeof(n->e[i]));
	n->e[i].q_head = n->free_head;
	n->free_head = (uint16_t)i;
	n->used--;
}

/* The oldest resolving entry goes, its held frames dropped (neigh_drop_evicted). */
static void evict_oldest(struct tt_neigh *n)
{
	uint16_t i = n->oldest;

	n->ctr->ev[TT_CTR_NEIGH_EVICTED]++;
	q_drop_all(n, &n->e[i], TT_CTR_NEIGH_DROP_EVICTED);
	remove_entry(n, i);
}

/*
 * A new INCOMPLETE entry for k, or TT_NEIGH_NONE when the table (or k's probe run) is full.
 * A gateway may take any free entry; another next hop leaves the reserved ones; either, when
 * none is left for it, takes the place of the oldest next hop still resolving (a gateway
 * too when there are more of them than entries reserved).
 */
static uint32_t insert(struct tt_neigh *n, const struct tt_neigh_key *k)
{
	bool gateway = is_gateway(n, k);
	uint32_t s, i;
	unsigned d = 0;

	if ((n->free_head == TT_NEIGH_NONE ||
	     (!gateway && n->used - n->gateways_used + n->reserved >= n->cap))) {
		if (n->oldest == TT_NEIGH_NONE)
			return TT_NEIGH_NONE;
		evict_oldest(n);
	}
	s = home(n, k);
	i = n->free_head;
	if (i == TT_NEIGH_NONE)
		return TT_NEIGH_NONE;
	while (n->index[s] != TT_NEIGH_NONE) {
		if (++d == TT_NEIGH_MAX_PROBE)
			return TT_NEIGH_NONE;
		s = (s + 1) & n->index_mask;
	}
	n->free_head = (uint16_t)n->e[i].q_head;
	n->index[s] = (uint16_t)i;
	n->e[i] = (struct entry){
	    .key = *k, .state = TT_NEIGH_INCOMPLETE, .q_head = NO_SLOT, .q_tail = NO_SLOT};
	n->used++;
	if (gateway)
		n->gateways_used++;
	else
		resolving_append(n, (uint16_t)i);
	return i;
}

/* Our address to solicit target from: the first whose prefix holds it, else the first. */
static const struct tt_in6 *nd_source(const struct tt_neigh_if *ifc, const struct tt_in6 *target)
{
	unsigned i = tt_neigh_prefix6_of(ifc, target);

	return &ifc->addr6[i < ifc->n_addr6 ? i : 0];
}

/*
 * One request for e: while INCOMPLETE an ARP broadcast or a solicitation to the target's
 * solicited-node group; while STALE the same to the known MAC alone.
 */
static void solicit(struct tt_neigh *n, struct entry *e, uint64_t now_ms)
{
	const struct tt_neigh_if *ifc = &n->ifs[e->key.ifx];
	const struct tt_mac *known = e->state == TT_NEIGH_STALE ? &e->mac : NULL;
	bool v6 = e->key.family == TT_NEIGH_IPV6;
	uint32_t need = v6 ? TT_ND_FRAME_LEN : TT_ETH_HDR_LEN + TT_ARP_LEN, room, len;
	uint8_t *data;
	void *f;

	e->probes++;
	e->due_ms = now_ms + n->retrans_ms;
	f = n->io.frame_alloc(n->io.arg, &data, &room);
	if (f == NULL) {
		n->ctr->ev[TT_CTR_MBUF_ALLOC_FAILED]++;
		return;
	}
	if (room < need) {
		n->ctr->ev[TT_CTR_TX_REFUSED_OVERSIZE]++;
		n->io.frame_free(n->io.arg, f);
		return;
	}
	if (v6) {
		struct tt_in6 target;

		memcpy(target.b, e->key.addr, 16);
		len = tt_nd_ns_build(data, &ifc->mac, nd_source(ifc, &target), &target, known);
		n->ctr->ev[TT_CTR_ND_SOLICITS_SENT]++;
	} else {
		len = tt_net_arp_request(data, &ifc->mac, ifc->addr, key_addr4(&e->key), known);
		n->ctr->ev[TT_CTR_ARP_REQUESTS_SENT]++;
	}
	n->io.frame_send(n->io.arg, e->key.ifx, f, len);
}

/*
 * When every held frame of the worker is taken, the oldest frame of the oldest next hop still
 * resolving that holds one goes (neigh_drop_pool_full), and the older resolving entries that
 * hold none go with it; not a gateway's.  false: none to take (nothing changes).
 */
static bool make_room(struct tt_neigh *n, const struct entry *e)
{
	uint16_t i = n->oldest;

	while (i != TT_NEIGH_NONE && n->e[i].held == 0 && &n->e[i] != e)
		i = n->link[i].newer;
	if (i == TT_NEIGH_NONE || n->e[i].held == 0)
		return false;
	while (n->oldest != i)
		evict_oldest(n);
	n->ctr->ev[TT_CTR_NEIGH_DROP_POOL_FULL]++;
	n->io.frame_free(n->io.arg, q_pop(n, &n->e[i])->frame);
	return true;
}

/*
 * Queue a frame on INCOMPLETE entry e: the oldest goes when the entry's queue is full, and
 * when the worker's are all held, that of the oldest next hop resolving (make_room).
 */
static void hold(struct tt_neigh *n, struct entry *e, void *frame, uint8_t *data, uint32_t len)
{
	uint32_t i;

	if (e->held >= n->queue_per_entry) {
		n->ctr->ev[TT_CTR_NEIGH_DROP_QUEUE_FULL]++;
		n->io.frame_free(n->io.arg, q_pop(n, e)->frame);
	}
	if (n->q_free == NO_SLOT && !make_room(n, e)) {
		n->ctr->ev[TT_CTR_NEIGH_DROP_POOL_FULL]++;
		n->io.frame_free(n->io.arg, frame);
		return;
	}
	i = n->q_free;
	n->q_free = n->q[i].next;
	n->q[i] = (struct pending){.frame = frame, .data = data, .len = len, .next = NO_SLOT};
	if (e->held++ == 0)
		e->q_head = i;
	else
		n->q[e->q_tail].next = i;
	e->q_tail = i;
	n->q_used++;
	n->ctr->ev[TT_CTR_NEIGH_HELD]++;
}

/* Send the frame to next hop k (its route found) on interface ifx; see tt_neigh_send4. */
static void send_nh(struct tt_neigh *n, unsigned ifx, const struct tt_neigh_key *k, uint16_t *hint,
		    void *frame, uint8_t *data, uint32_t len, uint64_t now_ms)
{
	struct entry *e;
	uint32_t i = hint != NULL ? *hint : TT_NEIGH_NONE;

	if (i >= n->cap || !key_eq(&n->e[i].key, k) || n->e[i].state == TT_NEIGH_FREE)
		i = find(n, k);
	if (i == TT_NEIGH_NONE) {
		i = insert(n, k);
		if (i == TT_NEIGH_NONE) {
			n->ctr->ev[TT_CTR_NEIGH_DROP_TABLE_FULL]++;
			n->io.frame_free(n->io.arg, frame);
			return;
		}
		solicit(n, &n->e[i], now_ms);
	}
	if (hint != NULL)
		*hint = (uint16_t)i;
	e = &n->e[i];
	e->used_ms = now_ms;
	if (e->state == TT_NEIGH_INCOMPLETE) {
		hold(n, e, frame, data, len);
		return;
	}
	memcpy(data, e->mac.b, 6);
	n->io.frame_send(n->io.arg, ifx, frame, len);
}

static void no_route(struct tt_neigh *n, void *frame)
{
	n->ctr->ev[TT_CTR_NEIGH_DROP_NO_ROUTE]++;
	n->io.frame_free(n->io.arg, frame);
}

void tt_neigh_send4(struct tt_neigh *n, unsigned ifx, uint32_t daddr, uint16_t *hint, void *frame,
		    uint8_t *data, uint32_t len, uint64_t now_ms)
{
	struct tt_neigh_key k;
	uint32_t nh;

	if (unlikely(!tt_neigh_next_hop4(&n->ifs[ifx], daddr, &nh))) {
		no_route(n, frame);
		return;
	}
	k = tt_neigh_key4(ifx, nh);
	send_nh(n, ifx, &k, hint, frame, data, len, now_ms);
}

/* Kept out of the stack's flattened send path (tt_stack.c send_out): IPv6 is rare there. */
__attribute__((noinline)) void tt_neigh_send6(struct tt_neigh *n, unsigned ifx,
					      const struct tt_in6 *daddr, uint16_t *hint,
					      void *frame, uint8_t *data, uint32_t len,
					      uint64_t now_ms)
{
	struct tt_neigh_key k;
	struct tt_in6 nh;

	if (unlikely(!tt_neigh_next_hop6(&n->ifs[ifx], daddr, &nh))) {
		no_route(n, frame);
		return;
	}
	k = tt_neigh_key6(ifx, &nh);
	send_nh(n, ifx, &k, hint, frame, data, len, now_ms);
}

/* Entry e (on interface ifx) is confirmed at mac: REACHABLE, its held frames go out. */
static void confirm(struct tt_neigh *n, unsigned ifx, struct entry *e, const struct tt_mac *mac,
		    uint64_t now_ms)
{
	if (e->state == TT_NEIGH_INCOMPLETE) {
		n->ctr->ev[TT_CTR_NEIGH_RESOLVED]++;
		resolving_unlink(n, (uint16_t)(e - n->e));
	} else if (memcmp(&e->mac, mac, sizeof(*mac)) != 0)
		n->ctr->ev[TT_CTR_NEIGH_MAC_CHANGED]++;
	else
		n->ctr->ev[TT_CTR_NEIGH_REFRESHED]++;
	e->mac = *mac;
	e->state = TT_NEIGH_REACHABLE;
	e->probes = 0;
	e->confirmed_ms = now_ms;
	e->due_ms = now_ms + n->reachable_ms;
	while (e->held > 0) {
		struct pending *q = q_pop(n, e);

		memcpy(q->data, mac->b, 6);
		n->ctr->ev[TT_CTR_NEIGH_HELD_SENT]++;
		n->io.frame_send(n->io.arg, ifx, q->frame, q->len);
	}
}

/* tt_neigh_learn4 and tt_neigh_told4: told, the news came from another worker (counted as such,
 * and not at all when it changed nothing). */
static bool learn4(struct tt_neigh *n, unsigned ifx, uint32_t addr, const struct tt_mac *mac,
		   uint64_t now_ms, bool told)
{
	struct tt_neigh_key k = tt_neigh_key4(ifx, addr);
	uint32_t i = find(n, &k);

	if (i == TT_NEIGH_NONE) {
		n->ctr->ev[TT_CTR_ARP_IGNORED] += !told;
		return false;
	}
	n->ctr->ev[told ? TT_CTR_NEIGH_NEWS_LEARNED : TT_CTR_ARP_LEARNED]++;
	confirm(n, ifx, &n->e[i], mac, now_ms);
	return true;
}

bool tt_neigh_learn4(struct tt_neigh *n, unsigned ifx, uint32_t addr, const struct tt_mac *mac,
		     uint64_t now_ms)
{
	return learn4(n, ifx, addr, mac, now_ms, false);
}

bool tt_neigh_may_hold4(const struct tt_neigh *n, unsigned ifx, uint32_t addr)
{
	uint32_t nh;

	return ifx < n->n_ifs && addr != 0 && tt_neigh_next_hop4(&n->ifs[ifx], addr, &nh) &&
	       nh == addr;
}

bool tt_neigh_may_hold6(const struct tt_neigh *n, unsigned ifx, const struct tt_in6 *addr)
{
	struct tt_in6 nh;

	return ifx < n->n_ifs && tt_neigh_next_hop6(&n->ifs[ifx], addr, &nh) &&
	       memcmp(&nh, addr, sizeof(nh)) == 0;
}

bool tt_neigh_told4(struct tt_neigh *n, unsigned ifx, uint32_t addr, const struct tt_mac *mac,
		    uint64_t now_ms)
{
	return learn4(n, ifx, addr, mac, now_ms, true);
}

/* tt_neigh_learn6 and tt_neigh_told6, as learn4. */
static bool learn6(struct tt_neigh *n, unsigned ifx, const struct tt_in6 *addr,
		   const struct tt_mac *mac, enum tt_neigh_nd_kind kind, bool override,
		   uint64_t now_ms, bool told)
{
	struct tt_neigh_key k = tt_neigh_key6(ifx, addr);
	uint32_t i = find(n, &k);
	struct entry *e;

	if (i == TT_NEIGH_NONE)
		goto ignored;
	e = &n->e[i];
	if (mac == NULL) {
		/* Only the answer to our probe confirms, and only a MAC we already have. */
		if (kind != TT_NEIGH_ND_NA_SOLICITED || e->state == TT_NEIGH_INCOMPLETE)
			goto ignored;
		mac = &e->mac;
	} else if (kind != TT_NEIGH_ND_NS && !override && e->state != TT_NEIGH_INCOMPLETE &&
		   memcmp(&e->mac, mac, sizeof(*mac)) != 0) {
		goto ignored;
	}
	n->ctr->ev[told ? TT_CTR_NEIGH_NEWS_LEARNED : TT_CTR_ND_LEARNED]++;
	confirm(n, ifx, e, mac, now_ms);
	return true;
ignored:
	n->ctr->ev[TT_CTR_ND_IGNORED] += !told;
	return false;
}

bool tt_neigh_learn6(struct tt_neigh *n, unsigned ifx, const struct tt_in6 *addr,
		     const struct tt_mac *mac, enum tt_neigh_nd_kind kind, bool override,
		     uint64_t now_ms)
{
	return learn6(n, ifx, addr, mac, kind, override, now_ms, false);
}

bool tt_neigh_told6(struct tt_neigh *n, unsigned ifx, const struct tt_in6 *addr,
		    const struct tt_mac *mac, enum tt_neigh_nd_kind kind, bool override,
		    uint64_t now_ms)
{
	return learn6(n, ifx, addr, mac, kind, override, now_ms, true);
}

/* What is due for entry i at now_ms; true when it changed or sent something. */
static bool tick_one(struct tt_neigh *n, uint32_t i, uint64_t now_ms)
{
	struct entry *e = &n->e[i];

	if (e->state == TT_NEIGH_FREE || now_ms < e->due_ms)
		return false;
	switch (e->state) {
	case TT_NEIGH_REACHABLE:
		/* In use during its life: refresh it, still sending to the MAC it has. */
		if (e->used_ms > e->confirmed_ms) {
			e->state = TT_NEIGH_STALE;
			e->probes = 0;
			solicit(n, e, now_ms);
			return true;
		}
		n->ctr->ev[TT_CTR_NEIGH_EXPIRED]++;
		break;
	case TT_NEIGH_INCOMPLETE:
	case TT_NEIGH_STALE:
		if (e->probes < n->probes) {
			solicit(n, e, now_ms);
			return true;
		}
		n->ctr->ev[TT_CTR_NEIGH_FAILED]++;
		q_drop_all(n, e, TT_CTR_NEIGH_DROP_UNRESOLVED);
		break;
	}
	remove_entry(n, i);
	return true;
}

unsigned tt_neigh_tick(struct tt_neigh *n, uint64_t now_ms)
{
	unsigned done = 0;

	if (n->used == 0)
		return 0;
	for (unsigned k = 0; k < TT_NEIGH_TICK_BATCH && k < n->cap; k++) {
		done += tick_one(n, n->cursor, now_ms);
		n->cursor = n->cursor + 1 < n->cap ? n->cursor + 1 : 0;
	}
	return done;
}

enum tt_neigh_state tt_neigh_state(const struct tt_neigh *n, const struct tt_neigh_key *key,
				   struct tt_mac *mac)
{
	uint32_t i = find(n, key);

	if (i == TT_NEIGH_NONE)
		return TT_NEIGH_FREE;
	if (mac != NULL)
		*mac = n->e[i].mac;
	return (enum tt_neigh_state)n->e[i].state;
}

uint32_t tt_neigh_entries(const struct tt_neigh *n)
{
	return n->used;
}

uint32_t tt_neigh_held(const struct tt_neigh *n)
{
	return n->q_used;
}
