/*
 * tt_neigh: next-hop choice, resolution, lifetime and refresh, the bounded queues, the table's
 * bound against ARP from the wire; the same over IPv6 by neighbour discovery; then the stack
 * sending through it (stack_harness), both families.
 */
#include "stack_harness.h"

#define US     0xc6120002u /* 198.18.0.2/24 */
#define GW     0xc6120001u /* 198.18.0.1 */
#define PEER   0xc6120063u /* 198.18.0.99: on-link */
#define REMOTE 0xc6130005u /* 198.19.0.5: off-link */

enum { T0 = 1000000, MAX_SENT = 256, ROOM = 128 };

/* RFC 5180's 2001:2::/48: us 2001:2::2/64 (gateway6 2001:2::1) on interface 0, 2001:2:0:1::2/64
 * (no gateway6) on interface 1. */
static const struct tt_in6 us6 = {{0x20, 0x01, 0, 0x02, [15] = 0x02}};
static const struct tt_in6 gw6 = {{0x20, 0x01, 0, 0x02, [15] = 0x01}};
static const struct tt_in6 peer6 = {{0x20, 0x01, 0, 0x02, [15] = 0x63}};
static const struct tt_in6 remote6 = {{0x20, 0x01, 0, 0x02, 0, 0x09, [15] = 0x05}};
static const struct tt_in6 us6b = {{0x20, 0x01, 0, 0x02, 0, 0, 0, 0x01, [15] = 0x02}};

static const struct tt_mac us_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct tt_mac gw_mac = {{0x02, 0, 0, 0, 0, 0x0a}};
static const struct tt_mac peer_mac2 = {{0x02, 0, 0, 0, 0, 0x0b}};

struct sent {
	unsigned ifx;
	uint32_t len;
	uint8_t data[ROOM];
};

struct fx {
	struct tt_counters ctr;
	struct tt_neigh *n;
	long live; /* frames allocated or handed in and not yet sent or freed */
	unsigned n_sent, n_freed;
	struct sent sent[MAX_SENT];
};

static void *fx_alloc(void *arg, uint8_t **data, uint32_t *room)
{
	struct fx *f = arg;
	uint8_t *b = calloc(1, ROOM);

	assert_non_null(b);
	f->live++;
	*data = b;
	*room = ROOM;
	return b;
}

static void fx_send(void *arg, unsigned ifx, void *frame, uint32_t len)
{
	struct fx *f = arg;
	struct sent *s = &f->sent[f->n_sent++];

	assert_true(f->n_sent <= MAX_SENT);
	assert_true(len <= sizeof(s->data));
	s->ifx = ifx;
	s->len = len;
	memcpy(s->data, frame, len);
	free(frame);
	f->live--;
}

static void fx_free(void *arg, void *frame)
{
	struct fx *f = arg;

	free(frame);
	f->n_freed++;
	f->live--;
}

/* A cache of entries entries over interfaces ifs[0 .. n_ifs). */
static struct fx *fx_new_ifs(uint32_t entries, uint32_t per_entry, uint32_t per_worker,
			     const struct tt_neigh_if *ifs, unsigned n_ifs)
{
	struct fx *f = calloc(1, sizeof(*f));
	const struct tt_neigh_params p = {
	    .entries = entries,
	    .queue_per_entry = per_entry,
	    .queue_per_worker = per_worker,
	    .reachable_ms = 30000,
	    .retrans_ms = 1000,
	    .probes = 3,
	    .n_ifs = n_ifs,
	    .ifs = ifs,
	    .key = {.k0 = 7, .k1 = 8},
	    .io = {.frame_alloc = fx_alloc, .frame_send = fx_send, .frame_free = fx_free},
	};
	struct tt_neigh_params q = p;

	assert_non_null(f);
	q.ctr = &f->ctr;
	q.io.arg = f;
	f->n = tt_neigh_create(&q);
	assert_non_null(f->n);
	return f;
}

static struct fx *fx_new(uint32_t entries, uint32_t per_entry, uint32_t per_worker,
			 uint32_t gateway)
{
	const struct tt_neigh_if ifs[2] = {
	    {.mac = us_mac,
	     .addr = US,
	     .prefix_len = 24,
	     .gateway = gateway,
	     .n_addr6 = 1,
	     .prefix6_len = {64},
	     .addr6 = {us6},
	     .gateway6 = gateway ? gw6 : (struct tt_in6){{0}}},
	    {.mac = us_mac,
	     .addr = 0xc6120102u,
	     .prefix_len = 24,
	     .gateway = 0,
	     .n_addr6 = 1,
	     .prefix6_len = {64},
	     .addr6 = {us6b}},
	};

	return fx_new_ifs(entries, per_entry, per_worker, ifs, 2);
}

static void fx_free_all(struct fx *f)
{
	tt_neigh_free(f->n);
	assert_int_equal(f->live, 0);
	free(f);
}

/* A frame towards daddr (its first 6 bytes get the next hop's MAC); tag marks it. */
static void send_to(struct fx *f, unsigned ifx, uint32_t daddr, uint16_t *hint, uint8_t tag,
		    uint64_t now)
{
	uint8_t *d;
	uint32_t room;
	void *b = fx_alloc(f, &d, &room);

	memset(d, 0, 6);
	d[12] = 0x08;
	d[20] = tag;
	tt_neigh_send4(f->n, ifx, daddr, hint, b, d, 60, now);
}

static bool is_arp_request(const struct sent *s, uint32_t target, const struct tt_mac *dst)
{
	struct tt_net_if peer = {.addr = target, .addr_count = 1};
	struct tt_pkt pkt;
	enum tt_drop why;

	peer.mac = dst ? *dst : (struct tt_mac){{1, 1, 1, 1, 1, 1}};
	if (tt_net_parse(s->data, s->len, &peer, &pkt, &why) != TT_PKT_ARP)
		return false;
	if (dst == NULL && memcmp(s->data, "\xff\xff\xff\xff\xff\xff", 6) != 0)
		return false;
	return pkt.arp_op == TT_ARP_OP_REQUEST && pkt.saddr == US && pkt.daddr == target &&
	       memcmp(pkt.src_mac.b, us_mac.b, 6) == 0;
}

static void assert_data_to(const struct sent *s, const struct tt_mac *mac, uint8_t tag)
{
	assert_int_equal(s->len, 60);
	assert_memory_equal(s->data, mac->b, 6);
	assert_int_equal(s->data[20], tag);
}

/* On-link: one broadcast request, the frame waits, the answer sends it to the peer's MAC. */
static void test_resolve_on_link(void **state)
{
	struct fx *f = fx_new(64, 8, 64, GW);
	struct tt_neigh_key k = tt_neigh_key4(0, PEER);
	struct tt_mac mac;
	uint16_t hint = TT_NEIGH_NONE;
	(void)state;

	send_to(f, 0, PEER, &hint, 1, T0);
	assert_int_equal(f->n_sent, 1);
	assert_true(is_arp_request(&f->sent[0], PEER, NULL));
	assert_int_not_equal(hint, TT_NEIGH_NONE);
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_INCOMPLETE);
	assert_int_equal(tt_neigh_held(f->n), 1);
	send_to(f, 0, PEER, &hint, 2, T0 + 1); /* no second request */
	assert_int_equal(f->n_sent, 1);

	assert_true(tt_neigh_learn4(f->n, 0, PEER, &peer_mac2, T0 + 2));
	assert_int_equal(f->n_sent, 3);
	assert_data_to(&f->sent[1], &peer_mac2, 1);
	assert_data_to(&f->sent[2], &peer_mac2, 2);
	assert_int_equal(tt_neigh_state(f->n, &k, &mac), TT_NEIGH_REACHABLE);
	assert_memory_equal(mac.b, peer_mac2.b, 6);
	assert_int_equal(tt_neigh_held(f->n), 0);
	/* Resolved: at once, by the hint and without one. */
	send_to(f, 0, PEER, &hint, 3, T0 + 3);
	send_to(f, 0, PEER, NULL, 4, T0 + 3);
	assert_data_to(&f->sent[3], &peer_mac2, 3);
	assert_data_to(&f->sent[4], &peer_mac2, 4);
	assert_int_equal(f->ctr.ev[TT_CTR_ARP_REQUESTS_SENT], 1);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_RESOLVED], 1);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_HELD], 2);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_HELD_SENT], 2);
	fx_free_all(f);
}

/* Off-link goes to the gateway, one entry for every remote host; no gateway: no route. */
static void test_next_hop(void **state)
{
	struct fx *f = fx_new(64, 8, 64, GW);
	struct tt_neigh_if ifc = {.addr = US, .prefix_len = 24, .gateway = GW};
	uint32_t nh;
	(void)state;

	assert_true(tt_neigh_next_hop4(&ifc, PEER, &nh));
	assert_int_equal(nh, PEER);
	assert_true(tt_neigh_next_hop4(&ifc, REMOTE, &nh));
	assert_int_equal(nh, GW);
	ifc.gateway = 0;
	assert_false(tt_neigh_next_hop4(&ifc, REMOTE, &nh));
	ifc.prefix_len = 15; /* 198.18.0.0/15 holds 198.19.0.5 */
	assert_true(tt_neigh_next_hop4(&ifc, REMOTE, &nh));
	assert_int_equal(nh, REMOTE);

	send_to(f, 0, REMOTE, NULL, 1, T0);
	send_to(f, 0, REMOTE + 1, NULL, 2, T0);
	assert_int_equal(f->n_sent, 1);
	assert_true(is_arp_request(&f->sent[0], GW, NULL));
	assert_int_equal(tt_neigh_entries(f->n), 1);
	tt_neigh_learn4(f->n, 0, GW, &gw_mac, T0 + 1);
	assert_data_to(&f->sent[1], &gw_mac, 1);
	assert_data_to(&f->sent[2], &gw_mac, 2);
	/* Interface 1 has no gateway: dropped, counted, nothing asked. */
	send_to(f, 1, REMOTE, NULL, 3, T0 + 2);
	assert_int_equal(f->n_sent, 3);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_NO_ROUTE], 1);
	assert_int_equal(f->n_freed, 1);
	fx_free_all(f);
}

/* probes broadcast requests retrans_ms apart, then the held frames are dropped. */
static void test_failure_after_retries(void **state)
{
	struct fx *f = fx_new(64, 8, 64, GW);
	struct tt_neigh_key k = tt_neigh_key4(0, PEER);
	(void)state;

	send_to(f, 0, PEER, NULL, 1, T0);
	send_to(f, 0, PEER, NULL, 2, T0);
	assert_int_equal(tt_neigh_tick(f->n, T0 + 999), 0);
	assert_int_equal(tt_neigh_tick(f->n, T0 + 1000), 1);
	assert_int_equal(tt_neigh_tick(f->n, T0 + 2000), 1);
	assert_int_equal(f->n_sent, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_true(is_arp_request(&f->sent[i], PEER, NULL));
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_INCOMPLETE);
	assert_int_equal(tt_neigh_tick(f->n, T0 + 3000), 1);
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_FREE);
	assert_int_equal(f->n_sent, 3);
	assert_int_equal(f->n_freed, 2);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_FAILED], 1);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_UNRESOLVED], 2);
	assert_int_equal(tt_neigh_entries(f->n), 0);
	/* A later answer finds nothing to update. */
	assert_false(tt_neigh_learn4(f->n, 0, PEER, &peer_mac2, T0 + 3001));
	fx_free_all(f);
}

/* The entry's queue drops its oldest; the worker's bound drops the new frame. */
static void test_queue_bounds(void **state)
{
	struct fx *f = fx_new(64, 2, 3, GW);
	(void)state;

	send_to(f, 0, PEER, NULL, 1, T0);
	send_to(f, 0, PEER, NULL, 2, T0);
	send_to(f, 0, PEER, NULL, 3, T0); /* 1 goes */
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_QUEUE_FULL], 1);
	assert_int_equal(tt_neigh_held(f->n), 2);
	send_to(f, 0, PEER + 1, NULL, 4, T0);
	/* The worker's three are taken: the oldest frame of the oldest resolution goes (2). */
	send_to(f, 0, PEER + 1, NULL, 5, T0);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_POOL_FULL], 1);
	assert_int_equal(tt_neigh_held(f->n), 3);
	assert_int_equal(f->n_freed, 2);
	f->n_sent = 0;
	tt_neigh_learn4(f->n, 0, PEER, &peer_mac2, T0 + 1);
	assert_int_equal(f->n_sent, 1);
	assert_data_to(&f->sent[0], &peer_mac2, 3);
	/* PEER + 1 holds two: a third frame for it drops the oldest of its own (4). */
	send_to(f, 0, PEER + 2, NULL, 6, T0 + 2);
	send_to(f, 0, PEER + 2, NULL, 7, T0 + 2);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_POOL_FULL], 2);
	f->n_sent = 0;
	tt_neigh_learn4(f->n, 0, PEER + 1, &peer_mac2, T0 + 3);
	assert_int_equal(f->n_sent, 1);
	assert_data_to(&f->sent[0], &peer_mac2, 5);
	fx_free_all(f); /* the frames still held for PEER + 2 are given back */
}

/* In use at the end of its life: refreshed by unicast while its MAC stays in use. */
static void test_refresh_and_expiry(void **state)
{
	struct fx *f = fx_new(64, 8, 64, GW);
	struct tt_neigh_key k = tt_neigh_key4(0, PEER);
	uint16_t hint = TT_NEIGH_NONE;
	(void)state;

	send_to(f, 0, PEER, &hint, 1, T0);
	tt_neigh_learn4(f->n, 0, PEER, &peer_mac2, T0);
	f->n_sent = 0;
	send_to(f, 0, PEER, &hint, 2, T0 + 10000); /* used */
	assert_int_equal(tt_neigh_tick(f->n, T0 + 29999), 0);
	assert_int_equal(tt_neigh_tick(f->n, T0 + 30000), 1);
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_STALE);
	assert_int_equal(f->n_sent, 2);
	assert_true(is_arp_request(&f->sent[1], PEER, &peer_mac2)); /* unicast */
	send_to(f, 0, PEER, &hint, 3, T0 + 30001);		    /* still sent at once */
	assert_data_to(&f->sent[2], &peer_mac2, 3);
	assert_true(tt_neigh_learn4(f->n, 0, PEER, &peer_mac2, T0 + 30002));
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_REACHABLE);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_REFRESHED], 1);
	/* Unused for a whole life: freed, no request. */
	assert_int_equal(tt_neigh_tick(f->n, T0 + 60002), 1);
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_FREE);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_EXPIRED], 1);
	assert_int_equal(f->n_sent, 3);
	/* Used, then silent through every refresh: freed as failed. */
	send_to(f, 0, PEER, &hint, 4, T0 + 70000);
	tt_neigh_learn4(f->n, 0, PEER, &peer_mac2, T0 + 70000);
	send_to(f, 0, PEER, &hint, 5, T0 + 70001);
	for (uint64_t t = T0 + 100000; t <= T0 + 103000; t += 1000)
		tt_neigh_tick(f->n, t);
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_FREE);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_FAILED], 1);
	fx_free_all(f);
}

/* A gratuitous ARP (or any) moves an entry we hold to a new MAC. */
static void test_mac_change(void **state)
{
	struct fx *f = fx_new(64, 8, 64, GW);
	(void)state;

	send_to(f, 0, PEER, NULL, 1, T0);
	tt_neigh_learn4(f->n, 0, PEER, &peer_mac2, T0);
	assert_true(tt_neigh_learn4(f->n, 0, PEER, &gw_mac, T0 + 5));
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_MAC_CHANGED], 1);
	send_to(f, 0, PEER, NULL, 2, T0 + 6);
	assert_data_to(&f->sent[f->n_sent - 1], &gw_mac, 2);
	fx_free_all(f);
}

/* Answers and announcements for addresses we never asked about allocate nothing. */
static void test_arp_flood_allocates_nothing(void **state)
{
	struct fx *f = fx_new(16, 8, 64, GW);
	(void)state;

	for (uint32_t i = 0; i < 100000; i++)
		assert_false(tt_neigh_learn4(f->n, i & 1, 0xc6120000u + i, &gw_mac, T0 + i));
	assert_int_equal(tt_neigh_entries(f->n), 0);
	assert_int_equal(f->ctr.ev[TT_CTR_ARP_IGNORED], 100000);
	assert_int_equal(f->n_sent, 0);
	fx_free_all(f);
}

/*
 * The table's bound: two of 16 entries are kept for the gateways (gateway, gateway6), so 14
 * on-link next hops fill it; resolved ones are never pushed out (the 15th is dropped), and the
 * gateway still gets an entry.  Then a hint that outlived its entry (slot reused for another
 * key).
 */
static void test_table_full_and_stale_hint(void **state)
{
	struct fx *f = fx_new(16, 8, 64, GW);
	uint16_t hint = TT_NEIGH_NONE;
	unsigned full;
	(void)state;

	for (uint32_t i = 0; i < 14; i++)
		send_to(f, 0, 0xc6120010u + i, i == 0 ? &hint : NULL, 1, T0);
	for (uint32_t i = 0; i < 14; i++)
		assert_true(tt_neigh_learn4(f->n, 0, 0xc6120010u + i, &peer_mac2, T0 + 1));
	full = (unsigned)f->ctr.ev[TT_CTR_NEIGH_DROP_TABLE_FULL];
	assert_int_equal(full, 0);
	assert_int_equal(tt_neigh_entries(f->n), 14);
	send_to(f, 0, PEER, NULL, 1, T0 + 2);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_TABLE_FULL], 1);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_EVICTED], 0);
	f->n_sent = 0;
	send_to(f, 0, REMOTE, NULL, 1, T0 + 2);
	assert_int_equal(tt_neigh_entries(f->n), 15);
	assert_true(is_arp_request(&f->sent[0], GW, NULL));
	/* Every entry expires or fails; the first slot freed is taken by PEER. */
	for (uint64_t t = T0 + 1000; t <= T0 + 40000; t += 1000)
		while (tt_neigh_tick(f->n, t) > 0)
			;
	assert_int_equal(tt_neigh_entries(f->n), 0);
	send_to(f, 0, PEER, NULL, 2, T0 + 40001);
	tt_neigh_learn4(f->n, 0, PEER, &peer_mac2, T0 + 40002);
	/* The old hint names another key (or a free slot): never PEER's MAC for 198.18.0.16. */
	f->n_sent = 0;
	send_to(f, 0, 0xc6120010u, &hint, 3, T0 + 40003);
	assert_int_equal(f->n_sent, 1);
	assert_true(is_arp_request(&f->sent[0], 0xc6120010u, NULL));
	fx_free_all(f);
}

static void test_params_checked(void **state)
{
	struct tt_counters ctr;
	struct tt_neigh_params p = {.entries = 16,
				    .queue_per_entry = 1,
				    .queue_per_worker = 1,
				    .reachable_ms = 1,
				    .retrans_ms = 1,
				    .probes = 1,
				    .ctr = &ctr};
	struct tt_neigh *n;
	(void)state;

	n = tt_neigh_create(&p);
	assert_non_null(n);
	tt_neigh_free(n);
	p.entries = TT_NEIGH_MAX_ENTRIES + 1;
	assert_null(tt_neigh_create(&p));
	p.entries = 16;
	p.probes = 0;
	assert_null(tt_neigh_create(&p));
}

/* ---- IPv6: neighbour discovery ---- */

/* A frame of Ethernet + IPv6 towards daddr (the first 6 bytes get the next hop's MAC). */
static void send6_to(struct fx *f, unsigned ifx, const struct tt_in6 *daddr, uint16_t *hint,
		     uint8_t tag, uint64_t now)
{
	uint8_t *d;
	uint32_t room;
	void *b = fx_alloc(f, &d, &room);

	memset(d, 0, 6);
	d[12] = 0x86;
	d[13] = 0xdd;
	d[20] = tag;
	tt_neigh_send6(f->n, ifx, daddr, hint, b, d, 60, now);
}

/*
 * Whether s is our solicitation for target, as the target's owner parses it (hop limit,
 * checksum, options: tt_net_parse and tt_nd_parse), from src with our link-layer option: to
 * the solicited-node group's MAC and address, or (dst) to target itself at dst.
 */
static bool is_ns(const struct sent *s, const struct tt_in6 *target, const struct tt_in6 *src,
		  const struct tt_mac *dst)
{
	struct tt_net_if owner = {.mac = dst ? *dst : (struct tt_mac){{1, 1, 1, 1, 1, 1}},
				  .n_addr6 = 1};
	const uint8_t sn_mac[6] = {0x33, 0x33, 0xff, target->b[13], target->b[14], target->b[15]};
	struct tt_in6 group;
	struct tt_pkt pkt;
	enum tt_drop why;

	owner.addr6[0] = *target;
	tt_net_solicited_node(target, &group);
	if (s->len != TT_ND_FRAME_LEN ||
	    tt_net_parse(s->data, s->len, &owner, &pkt, &why) != TT_PKT_ND_NS)
		return false;
	if (memcmp(s->data, dst ? dst->b : sn_mac, 6) != 0 ||
	    memcmp(&pkt.daddr6, dst ? target : &group, 16) != 0)
		return false;
	return memcmp(&pkt.nd_target, target, 16) == 0 && memcmp(&pkt.saddr6, src, 16) == 0 &&
	       pkt.nd_has_lla && memcmp(pkt.nd_lla.b, us_mac.b, 6) == 0 &&
	       memcmp(pkt.src_mac.b, us_mac.b, 6) == 0;
}

/* On-link: a solicitation to the group, the frames wait, the advertisement sends them. */
static void test_nd_resolve_on_link(void **state)
{
	struct fx *f = fx_new(64, 8, 64, GW);
	struct tt_neigh_key k = tt_neigh_key6(0, &peer6);
	uint16_t hint = TT_NEIGH_NONE;
	struct tt_mac mac;
	(void)state;

	send6_to(f, 0, &peer6, &hint, 1, T0);
	send6_to(f, 0, &peer6, &hint, 2, T0 + 1);
	assert_int_equal(f->n_sent, 1);
	assert_true(is_ns(&f->sent[0], &peer6, &us6, NULL));
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_INCOMPLETE);
	assert_int_equal(tt_neigh_held(f->n), 2);
	/* The IPv4 key of the same bytes is another entry. */
	assert_int_equal(tt_neigh_state(f->n,
					&(struct tt_neigh_key){.family = TT_NEIGH_IPV4,
							       .addr = {0x20, 0x01, 0, 0x02}},
					NULL),
			 TT_NEIGH_FREE);

	assert_true(
	    tt_neigh_learn6(f->n, 0, &peer6, &peer_mac2, TT_NEIGH_ND_NA_SOLICITED, true, T0 + 2));
	assert_int_equal(f->n_sent, 3);
	assert_data_to(&f->sent[1], &peer_mac2, 1);
	assert_data_to(&f->sent[2], &peer_mac2, 2);
	assert_int_equal(tt_neigh_state(f->n, &k, &mac), TT_NEIGH_REACHABLE);
	assert_memory_equal(mac.b, peer_mac2.b, 6);
	send6_to(f, 0, &peer6, &hint, 3, T0 + 3);
	send6_to(f, 0, &peer6, NULL, 4, T0 + 3);
	assert_data_to(&f->sent[3], &peer_mac2, 3);
	assert_data_to(&f->sent[4], &peer_mac2, 4);
	assert_int_equal(f->ctr.ev[TT_CTR_ND_SOLICITS_SENT], 1);
	assert_int_equal(f->ctr.ev[TT_CTR_ARP_REQUESTS_SENT], 0);
	assert_int_equal(f->ctr.ev[TT_CTR_ND_LEARNED], 1);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_RESOLVED], 1);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_HELD_SENT], 2);
	fx_free_all(f);
}

/* On-link by prefix (at its bit boundary) or link-local; else gateway6; else no route. */
static void test_nd_next_hop(void **state)
{
	struct fx *f = fx_new(64, 8, 64, GW);
	struct tt_neigh_if ifc = {.n_addr6 = 2, .prefix6_len = {64, 57}, .gateway6 = gw6};
	struct tt_in6 nh, a = us6b, ll = {{0xfe, 0x80, [15] = 9}},
			  ll_edge = {{0xfe, 0xbf, [15] = 9}};
	struct tt_in6 not_ll = {{0xfe, 0xc0, [15] = 9}};
	(void)state;

	ifc.addr6[0] = us6;
	ifc.addr6[1] = us6b; /* 2001:2:0:1::2/57: 2001:2:0:0..7f::/57 */
	assert_true(tt_neigh_next_hop6(&ifc, &peer6, &nh));
	assert_memory_equal(&nh, &peer6, 16);
	a.b[7] = 0x7f; /* the last /64 inside the /57 */
	assert_true(tt_neigh_next_hop6(&ifc, &a, &nh));
	assert_memory_equal(&nh, &a, 16);
	a.b[7] = 0x80; /* the first outside */
	assert_true(tt_neigh_next_hop6(&ifc, &a, &nh));
	assert_memory_equal(&nh, &gw6, 16);
	assert_true(tt_neigh_next_hop6(&ifc, &ll, &nh));
	assert_memory_equal(&nh, &ll, 16);
	assert_true(tt_neigh_next_hop6(&ifc, &ll_edge, &nh));
	assert_memory_equal(&nh, &ll_edge, 16);
	assert_true(tt_neigh_next_hop6(&ifc, &not_ll, &nh));
	assert_memory_equal(&nh, &gw6, 16);
	memset(&ifc.gateway6, 0, 16);
	assert_false(tt_neigh_next_hop6(&ifc, &remote6, &nh));
	assert_true(tt_neigh_next_hop6(&ifc, &ll, &nh)); /* link-local needs no gateway */

	/* Off-link: one solicitation for the gateway, from our address on its prefix. */
	send6_to(f, 0, &remote6, NULL, 1, T0);
	send6_to(f, 0, &not_ll, NULL, 2, T0);
	assert_int_equal(f->n_sent, 1);
	assert_true(is_ns(&f->sent[0], &gw6, &us6, NULL));
	assert_int_equal(tt_neigh_entries(f->n), 1);
	assert_true(
	    tt_neigh_learn6(f->n, 0, &gw6, &gw_mac, TT_NEIGH_ND_NA_SOLICITED, true, T0 + 1));
	assert_data_to(&f->sent[1], &gw_mac, 1);
	assert_data_to(&f->sent[2], &gw_mac, 2);
	/* Interface 1 has no gateway6: no route, nothing asked; link-local is asked for. */
	send6_to(f, 1, &remote6, NULL, 3, T0 + 2);
	assert_int_equal(f->n_sent, 3);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_NO_ROUTE], 1);
	send6_to(f, 1, &ll, NULL, 4, T0 + 2);
	assert_int_equal(f->n_sent, 4);
	assert_true(is_ns(&f->sent[3], &ll, &us6b, NULL));
	fx_free_all(f);
}

/* Silence: `probes` solicitations retrans_ms apart, then the held frames are dropped. */
static void test_nd_failure(void **state)
{
	struct fx *f = fx_new(64, 8, 64, GW);
	struct tt_neigh_key k = tt_neigh_key6(0, &peer6);
	(void)state;

	send6_to(f, 0, &peer6, NULL, 1, T0);
	send6_to(f, 0, &peer6, NULL, 2, T0);
	assert_int_equal(tt_neigh_tick(f->n, T0 + 999), 0);
	assert_int_equal(tt_neigh_tick(f->n, T0 + 1000), 1);
	assert_int_equal(tt_neigh_tick(f->n, T0 + 2000), 1);
	assert_int_equal(f->n_sent, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_true(is_ns(&f->sent[i], &peer6, &us6, NULL));
	assert_int_equal(tt_neigh_tick(f->n, T0 + 3000), 1);
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_FREE);
	assert_int_equal(f->n_freed, 2);
	assert_int_equal(f->ctr.ev[TT_CTR_ND_SOLICITS_SENT], 3);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_FAILED], 1);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_UNRESOLVED], 2);
	assert_false(tt_neigh_learn6(f->n, 0, &peer6, &peer_mac2, TT_NEIGH_ND_NA_SOLICITED, true,
				     T0 + 3001));
	assert_int_equal(f->ctr.ev[TT_CTR_ND_IGNORED], 1);
	fx_free_all(f);
}

/* STALE: a unicast solicitation to the known MAC; Linux's answer (Solicited, no option)
 * confirms it. */
static void test_nd_refresh(void **state)
{
	struct fx *f = fx_new(64, 8, 64, GW);
	struct tt_neigh_key k = tt_neigh_key6(0, &peer6);
	uint16_t hint = TT_NEIGH_NONE;
	(void)state;

	send6_to(f, 0, &peer6, &hint, 1, T0);
	tt_neigh_learn6(f->n, 0, &peer6, &peer_mac2, TT_NEIGH_ND_NA_SOLICITED, true, T0);
	send6_to(f, 0, &peer6, &hint, 2, T0 + 10000);
	f->n_sent = 0;
	assert_int_equal(tt_neigh_tick(f->n, T0 + 30000), 1);
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_STALE);
	assert_int_equal(f->n_sent, 1);
	assert_true(is_ns(&f->sent[0], &peer6, &us6, &peer_mac2));
	send6_to(f, 0, &peer6, &hint, 3, T0 + 30001); /* still sent at once */
	assert_data_to(&f->sent[1], &peer_mac2, 3);
	/* An unsolicited advertisement without an option confirms nothing... */
	assert_false(tt_neigh_learn6(f->n, 0, &peer6, NULL, TT_NEIGH_ND_NA, true, T0 + 30002));
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_STALE);
	/* ...the solicited one does, keeping the MAC. */
	assert_true(
	    tt_neigh_learn6(f->n, 0, &peer6, NULL, TT_NEIGH_ND_NA_SOLICITED, false, T0 + 30003));
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_REACHABLE);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_REFRESHED], 1);
	/* Used, then silent through every unicast probe: freed as failed. */
	send6_to(f, 0, &peer6, &hint, 4, T0 + 40000);
	for (uint64_t t = T0 + 60003; t <= T0 + 63003; t += 1000)
		tt_neigh_tick(f->n, t);
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_FREE);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_FAILED], 1);
	assert_int_equal(f->ctr.ev[TT_CTR_ND_SOLICITS_SENT], 1 + 1 + 3);
	fx_free_all(f);
}

/*
 * What ND from the wire may change: nothing for addresses we hold no entry for; an INCOMPLETE
 * entry learns from any message with an address, never from one without; a known MAC moves
 * only with Override (or by the neighbour's own solicitation).
 */
static void test_nd_learning_rules(void **state)
{
	struct fx *f = fx_new(16, 8, 64, GW);
	struct tt_neigh_key k = tt_neigh_key6(0, &peer6);
	struct tt_mac mac;
	(void)state;

	for (uint32_t i = 0; i < 1000; i++) {
		struct tt_in6 a = peer6;

		a.b[14] = (uint8_t)(i >> 8);
		a.b[15] = (uint8_t)i;
		assert_false(tt_neigh_learn6(f->n, i & 1, &a, &gw_mac,
					     (enum tt_neigh_nd_kind)(i % 3), true, T0));
	}
	assert_int_equal(tt_neigh_entries(f->n), 0);
	assert_int_equal(f->ctr.ev[TT_CTR_ND_IGNORED], 1000);

	send6_to(f, 0, &peer6, NULL, 1, T0);
	f->n_sent = 0;
	assert_false(
	    tt_neigh_learn6(f->n, 0, &peer6, NULL, TT_NEIGH_ND_NA_SOLICITED, true, T0 + 1));
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_INCOMPLETE);
	/* Unsolicited, no Override: still the first address an INCOMPLETE entry hears of. */
	assert_true(tt_neigh_learn6(f->n, 0, &peer6, &peer_mac2, TT_NEIGH_ND_NA, false, T0 + 2));
	assert_data_to(&f->sent[0], &peer_mac2, 1);
	/* Another MAC without Override: a proxy's answer, ignored. */
	assert_false(
	    tt_neigh_learn6(f->n, 0, &peer6, &gw_mac, TT_NEIGH_ND_NA_SOLICITED, false, T0 + 3));
	assert_int_equal(tt_neigh_state(f->n, &k, &mac), TT_NEIGH_REACHABLE);
	assert_memory_equal(mac.b, peer_mac2.b, 6);
	/* With Override it moves; so it does by the neighbour's own solicitation. */
	assert_true(tt_neigh_learn6(f->n, 0, &peer6, &gw_mac, TT_NEIGH_ND_NA, true, T0 + 4));
	tt_neigh_state(f->n, &k, &mac);
	assert_memory_equal(mac.b, gw_mac.b, 6);
	assert_true(tt_neigh_learn6(f->n, 0, &peer6, &peer_mac2, TT_NEIGH_ND_NS, false, T0 + 5));
	tt_neigh_state(f->n, &k, &mac);
	assert_memory_equal(mac.b, peer_mac2.b, 6);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_MAC_CHANGED], 2);
	assert_int_equal(f->ctr.ev[TT_CTR_ND_LEARNED], 3);
	assert_int_equal(f->ctr.ev[TT_CTR_ND_IGNORED], 1000 + 2);
	/* The same address over ARP is another family: ARP learns nothing about it. */
	assert_false(tt_neigh_learn4(f->n, 0, 0x20010002u, &gw_mac, T0 + 6));
	fx_free_all(f);
}

/* Held frames of both families share the worker's bound. */
static void test_nd_queue_bounds(void **state)
{
	struct fx *f = fx_new(64, 2, 3, GW);
	(void)state;

	send6_to(f, 0, &peer6, NULL, 1, T0);
	send6_to(f, 0, &peer6, NULL, 2, T0);
	send6_to(f, 0, &peer6, NULL, 3, T0); /* 1 goes */
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_QUEUE_FULL], 1);
	send_to(f, 0, PEER, NULL, 4, T0);
	/* The worker's three are taken: the oldest frame of the oldest resolution goes (2). */
	send_to(f, 0, PEER, NULL, 5, T0);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_POOL_FULL], 1);
	f->n_sent = 0;
	tt_neigh_learn6(f->n, 0, &peer6, &peer_mac2, TT_NEIGH_ND_NA_SOLICITED, true, T0 + 1);
	assert_int_equal(f->n_sent, 1);
	assert_data_to(&f->sent[0], &peer_mac2, 3);
	fx_free_all(f);
}

/* Frames towards n on-link next hops never answered (198.18.0.100 up), one each, at now; what
 * was sent before is forgotten. */
static void spoofed_next_hops(struct fx *f, uint32_t n, uint64_t now)
{
	for (uint32_t i = 0; i < n; i++) {
		f->n_sent = 0;
		send_to(f, 0, 0xc6120064u + i % 150, NULL, 1, now);
	}
}

/*
 * SYNs from spoofed on-link sources make a next hop each that never answers.  They take turns
 * in the entries left to them, the oldest resolving one giving way to a new one: a real peer
 * that answers in time resolves amid them and then stays, and the gateways, whose entries are
 * kept apart, resolve (again) whatever the flood holds.
 */
static void test_spoofed_next_hops_take_turns(void **state)
{
	const struct tt_neigh_key first_spoofed = tt_neigh_key4(0, 0xc6120064u);
	struct fx *f = fx_new(16, 8, 64, GW);
	struct tt_mac mac;
	(void)state;

	spoofed_next_hops(f, 150, T0);
	assert_int_equal(tt_neigh_entries(f->n), 14);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_EVICTED], 136);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_EVICTED], 136);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_TABLE_FULL], 0);
	assert_int_equal(tt_neigh_held(f->n), 14);
	/* The gateways resolve: their frames wait, then go. */
	f->n_sent = 0;
	send_to(f, 0, REMOTE, NULL, 9, T0 + 1);
	send6_to(f, 0, &remote6, NULL, 10, T0 + 1);
	assert_int_equal(tt_neigh_entries(f->n), 16);
	assert_int_equal(f->n_sent, 2);
	assert_true(is_arp_request(&f->sent[0], GW, NULL));
	assert_true(is_ns(&f->sent[1], &gw6, &us6, NULL));
	tt_neigh_learn4(f->n, 0, GW, &gw_mac, T0 + 2);
	tt_neigh_learn6(f->n, 0, &gw6, &gw_mac, TT_NEIGH_ND_NA_SOLICITED, true, T0 + 2);
	assert_int_equal(f->n_sent, 4);
	assert_data_to(&f->sent[2], &gw_mac, 9);
	assert_data_to(&f->sent[3], &gw_mac, 10);
	/* A real peer amid the flood: five more spoofed next hops before its answer. */
	send_to(f, 0, PEER, NULL, 7, T0 + 3);
	spoofed_next_hops(f, 5, T0 + 3);
	f->n_sent = 0;
	assert_true(tt_neigh_learn4(f->n, 0, PEER, &peer_mac2, T0 + 4));
	assert_int_equal(f->n_sent, 1);
	assert_data_to(&f->sent[0], &peer_mac2, 7);
	spoofed_next_hops(f, 300, T0 + 5);
	assert_int_equal(tt_neigh_state(f->n, &first_spoofed, NULL), TT_NEIGH_FREE);
	{
		struct tt_neigh_key k = tt_neigh_key4(0, PEER);

		assert_int_equal(tt_neigh_state(f->n, &k, &mac), TT_NEIGH_REACHABLE);
		assert_memory_equal(mac.b, peer_mac2.b, 6);
		k = tt_neigh_key4(0, GW);
		assert_int_equal(tt_neigh_state(f->n, &k, &mac), TT_NEIGH_REACHABLE);
	}
	/* The gateway's entry expires unused, while the flood goes on; it comes back. */
	for (uint64_t t = T0 + 1000; t <= T0 + 33000; t += 1000) {
		spoofed_next_hops(f, 20, t);
		while (tt_neigh_tick(f->n, t) > 0)
			;
	}
	assert_int_equal(tt_neigh_state(f->n, &first_spoofed, NULL), TT_NEIGH_FREE);
	{
		struct tt_neigh_key k = tt_neigh_key4(0, GW);

		assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_FREE);
		f->n_sent = 0;
		send_to(f, 0, REMOTE, NULL, 11, T0 + 33001);
		assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_INCOMPLETE);
		tt_neigh_learn4(f->n, 0, GW, &gw_mac, T0 + 33002);
		assert_data_to(&f->sent[f->n_sent - 1], &gw_mac, 11);
	}
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_TABLE_FULL], 0);
	fx_free_all(f);
}

/*
 * More gateways than half the entries: half are kept for them (8 of 16); a gateway beyond them
 * that finds the table full of next hops still resolving takes the oldest one's place.
 */
static void test_gateways_beyond_reserved(void **state)
{
	struct tt_neigh_if ifs[10];
	struct tt_neigh_key k;
	struct fx *f;
	(void)state;

	/* Interface i: 198.18.i.2/24, its gateway 198.18.i.1. */
	for (unsigned i = 0; i < 10; i++)
		ifs[i] = (struct tt_neigh_if){.mac = us_mac,
					      .addr = 0xc6120002u | i << 8,
					      .prefix_len = 24,
					      .gateway = 0xc6120001u | i << 8};
	f = fx_new_ifs(16, 8, 64, ifs, 10);
	spoofed_next_hops(f, 6, T0);
	for (unsigned i = 0; i < 9; i++)
		send_to(f, i, REMOTE, NULL, 1, T0);
	spoofed_next_hops(f, 7, T0); /* the seventh next hop of interface 0 */
	assert_int_equal(tt_neigh_entries(f->n), 16);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_EVICTED], 0);
	f->n_sent = 0;
	send_to(f, 9, REMOTE, NULL, 2, T0 + 1);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_TABLE_FULL], 0);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_EVICTED], 1);
	k = tt_neigh_key4(9, 0xc6120901u);
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_INCOMPLETE);
	assert_int_equal(f->n_sent, 1); /* its request */
	assert_int_equal(f->sent[0].ifx, 9);
	k = tt_neigh_key4(0, 0xc6120064u);
	assert_int_equal(tt_neigh_state(f->n, &k, NULL), TT_NEIGH_FREE);
	fx_free_all(f);
}

/*
 * With the worker's held frames all taken, a new frame takes the place of the oldest frame of
 * the oldest next hop resolving (one that holds none goes on the way); a gateway's frames are
 * never the ones taken.
 */
static void test_held_frames_take_turns(void **state)
{
	struct fx *f = fx_new(64, 8, 3, GW);
	(void)state;

	/* The fourth takes the frame of 198.18.0.100; the fifth ends .100, takes .101's. */
	spoofed_next_hops(f, 5, T0);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_POOL_FULL], 2);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_EVICTED], 1);
	assert_int_equal(tt_neigh_held(f->n), 3);
	send_to(f, 0, REMOTE, NULL, 9, T0); /* ends .101, takes .102's */
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_EVICTED], 2);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_EVICTED], 0);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_POOL_FULL], 3);
	send_to(f, 0, REMOTE, NULL, 10, T0);
	send_to(f, 0, REMOTE, NULL, 11, T0);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_EVICTED], 4);
	assert_int_equal(tt_neigh_held(f->n), 3);
	/* Only the gateway's frames are held: a new next hop's frame is the one dropped, and
	 * no entry goes for it (.104, holding none, stays). */
	send_to(f, 0, PEER, NULL, 12, T0);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_EVICTED], 4);
	assert_int_equal(f->ctr.ev[TT_CTR_NEIGH_DROP_POOL_FULL], 6);
	f->n_sent = 0;
	tt_neigh_learn4(f->n, 0, GW, &gw_mac, T0 + 1);
	assert_int_equal(f->n_sent, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_data_to(&f->sent[i], &gw_mac, (uint8_t)(9 + i));
	fx_free_all(f);
}

/* ---- the stack through the cache ---- */

/* Peers off-link (198.18.1.x from 198.18.0.2/24): everything goes to the gateway's MAC. */
static void test_stack_via_gateway(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p[4];
	(void)state;

	sh_start_neigh(h, 24, GW);
	for (unsigned i = 0; i < 4; i++) {
		p[i] = sh_peer_new(h, 80);
		sh_peer_send(p[i], TT_TCP_SYN, NULL, 0); /* the SYN-ACK may wait */
	}
	sh_run(h, 1000, 10, 100000);
	for (unsigned i = 0; i < 4; i++)
		assert_true(p[i]->synced);
	/* One request for the gateway; the SYN-ACKs waited for its answer. */
	assert_int_equal(h->arp_requests, 1);
	assert_int_equal(sh_ev(h, TT_CTR_NEIGH_RESOLVED), 1);
	assert_int_equal(sh_ev(h, TT_CTR_NEIGH_HELD), 4);
	assert_int_equal(sh_ev(h, TT_CTR_NEIGH_HELD_SENT), 4);
	sh_free(h);
}

/* A TIME-WAIT entry keeps no next hop: its ACK of a FIN that comes again goes to the next hop
 * of the segment's source (the gateway's MAC, which the peer's parser checks), looked up in
 * the cache without asking again. */
static void test_time_wait_via_gateway(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;
	unsigned segs;
	(void)state;

	sh_start_neigh(h, 24, GW);
	p = sh_peer_new(h, 80);
	p->fin_back = true;
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_run(h, 1000, 10, 100000);
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_PSH, sh_get_close, sizeof(sh_get_close) - 1);
	sh_run(h, 0, 1, 100000);
	assert_int_equal(sh_in_state(h, TT_TCP_TIME_WAIT), 1);
	segs = p->segs_rcvd;
	p->nxt--;
	sh_peer_send(p, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
	sh_run(h, 0, 1, 100000);
	assert_int_equal(p->segs_rcvd, segs + 1);
	assert_int_equal(h->arp_requests, 1);
	sh_free(h);
}

/* The same peers with no gateway: no route, no SYN-ACK, counted. */
static void test_stack_no_route(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;
	(void)state;

	sh_start_neigh(h, 24, 0);
	p = sh_peer_new(h, 80);
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_run(h, 100, 10, 1000);
	assert_false(p->synced);
	assert_int_equal(h->arp_requests, 0);
	assert_true(sh_ev(h, TT_CTR_NEIGH_DROP_NO_ROUTE) >= 1);
	sh_free(h);
}

/* Nobody answers: the SYN-ACK is dropped after the requests, as counted. */
static void test_stack_unresolved(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;
	(void)state;

	sh_start_neigh(h, 16, 0); /* 198.18.1.x on-link */
	h->arp_answers = false;
	p = sh_peer_new(h, 80);
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_run(h, 5000, 100, 1000);
	assert_false(p->synced);
	assert_true(h->arp_requests >= 3);
	assert_true(sh_ev(h, TT_CTR_NEIGH_FAILED) >= 1);
	assert_true(sh_ev(h, TT_CTR_NEIGH_DROP_UNRESOLVED) >= 1);
	sh_free(h);
}

/* IPv6 peers on-link: one solicitation each before its SYN-ACK, the whole exchange (request,
 * response, close) then through the connection's hint without another. */
static void test_stack6_on_link(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p[3];
	(void)state;

	sh_start_neigh(h, 24, GW);
	for (unsigned i = 0; i < 3; i++) {
		p[i] = sh_peer_new6(h, 80);
		p[i]->fin_back = true;
		sh_peer_send(p[i], TT_TCP_SYN, NULL, 0);
	}
	sh_run(h, 1000, 10, 100000);
	for (unsigned i = 0; i < 3; i++) {
		assert_true(p[i]->synced);
		sh_peer_send(p[i], TT_TCP_ACK | TT_TCP_PSH, "GET / HTTP/1.0\r\n\r\n", 18);
	}
	sh_run(h, 5000, 10, 100000);
	for (unsigned i = 0; i < 3; i++)
		assert_true(p[i]->fin_rcvd && p[i]->rx_len > 64);
	assert_int_equal(h->nd_solicits, 3);
	assert_int_equal(h->arp_requests, 0);
	assert_int_equal(sh_ev(h, TT_CTR_ND_SOLICITS_SENT), 3);
	assert_int_equal(sh_ev(h, TT_CTR_NEIGH_RESOLVED), 3);
	assert_int_equal(sh_ev(h, TT_CTR_NEIGH_HELD_SENT), 3);
	sh_free(h);
}

/* Off every address6 prefix: through gateway6, one solicitation for all; without a gateway6,
 * no route. */
static void test_stack6_via_gateway6(void **state)
{
	struct tt_neigh_if nif = {.mac = sh_us_mac,
				  .addr = SH_US_ADDR,
				  .prefix_len = 24,
				  .n_addr6 = 1,
				  .prefix6_len = {120}, /* 2001:2::/120: the peers are off it */
				  .addr6 = {sh_us_addr6},
				  .gateway6 = gw6};
	struct sh *h = sh_new();
	struct sh_peer *p[3];
	(void)state;

	sh_start_neigh_if(h, &nif);
	for (unsigned i = 0; i < 3; i++) {
		p[i] = sh_peer_new6(h, 80);
		sh_peer_send(p[i], TT_TCP_SYN, NULL, 0);
	}
	sh_run(h, 1000, 10, 100000);
	for (unsigned i = 0; i < 3; i++)
		assert_true(p[i]->synced);
	assert_int_equal(h->nd_solicits, 1);
	assert_memory_equal(&h->asked6[0], &gw6, 16);
	assert_int_equal(sh_ev(h, TT_CTR_NEIGH_HELD), 3);
	sh_free(h);

	h = sh_new();
	memset(&nif.gateway6, 0, 16);
	sh_start_neigh_if(h, &nif);
	p[0] = sh_peer_new6(h, 80);
	sh_peer_send(p[0], TT_TCP_SYN, NULL, 0);
	sh_run(h, 100, 10, 1000);
	assert_false(p[0]->synced);
	assert_int_equal(h->nd_solicits, 0);
	assert_true(sh_ev(h, TT_CTR_NEIGH_DROP_NO_ROUTE) >= 1);
	sh_free(h);
}

/* Nobody advertises: the SYN-ACK is dropped after the solicitations, counted. */
static void test_stack6_unresolved(void **state)
{
	struct sh *h = sh_new();
	struct sh_peer *p;
	(void)state;

	sh_start_neigh(h, 24, GW);
	h->arp_answers = false;
	p = sh_peer_new6(h, 80);
	sh_peer_send(p, TT_TCP_SYN, NULL, 0);
	sh_run(h, 5000, 100, 1000);
	assert_false(p->synced);
	assert_int_equal(h->nd_solicits, 3);
	assert_true(sh_ev(h, TT_CTR_NEIGH_FAILED) >= 1);
	assert_true(sh_ev(h, TT_CTR_NEIGH_DROP_UNRESOLVED) >= 1);
	sh_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve_on_link),
	    cmocka_unit_test(test_next_hop),
	    cmocka_unit_test(test_failure_after_retries),
	    cmocka_unit_test(test_queue_bounds),
	    cmocka_unit_test(test_refresh_and_expiry),
	    cmocka_unit_test(test_mac_change),
	    cmocka_unit_test(test_arp_flood_allocates_nothing),
	    cmocka_unit_test(test_table_full_and_stale_hint),
	    cmocka_unit_test(test_spoofed_next_hops_take_turns),
	    cmocka_unit_test(test_held_frames_take_turns),
	    cmocka_unit_test(test_gateways_beyond_reserved),
	    cmocka_unit_test(test_params_checked),
	    cmocka_unit_test(test_nd_resolve_on_link),
	    cmocka_unit_test(test_nd_next_hop),
	    cmocka_unit_test(test_nd_failure),
	    cmocka_unit_test(test_nd_refresh),
	    cmocka_unit_test(test_nd_learning_rules),
	    cmocka_unit_test(test_nd_queue_bounds),
	    cmocka_unit_test(test_stack_via_gateway),
	    cmocka_unit_test(test_time_wait_via_gateway),
	    cmocka_unit_test(test_stack_no_route),
	    cmocka_unit_test(test_stack_unresolved),
	    cmocka_unit_test(test_stack6_on_link),
	    cmocka_unit_test(test_stack6_via_gateway6),
	    cmocka_unit_test(test_stack6_unresolved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
