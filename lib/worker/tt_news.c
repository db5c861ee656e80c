/* News between workers; see tt_news.h. */
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>

#include "tt_news.h"

static_assert(sizeof(struct tt_news) == 56, "a record is 56 bytes, whole 32-bit words");

int tt_news_open(struct tt_news_box *b, unsigned id, int socket)
{
	char name[RTE_RING_NAMESIZE];

	memset(b, 0, sizeof(*b));
	snprintf(name, sizeof(name), "tt_news_%u", id);
	b->inbox = rte_ring_create_elem(name, sizeof(struct tt_news), TT_NEWS_INBOX, socket,
					RING_F_SC_DEQ);
	return b->inbox != NULL ? 0 : -1;
}

void tt_news_link(struct tt_news_box *const *boxes, unsigned n, unsigned self)
{
	struct tt_news_box *b = boxes[self];

	b->n_peers = 0;
	for (unsigned i = 0; i < n; i++)
		if (i != self)
			b->peers[b->n_peers++] = boxes[i];
}

unsigned tt_news_post(const struct tt_news_box *b, const struct tt_news *news,
		      struct tt_counters *ctr)
{
	struct tt_news rec = *news; /* the ring's API takes no const */
	unsigned posted = 0;

	for (unsigned i = 0; i < b->n_peers; i++) {
		const struct tt_news_box *p = b->peers[i];
		bool in;

		if (__atomic_load_n(&p->closed, __ATOMIC_RELAXED))
			continue;
		in = (news->type != TT_NEWS_TOO_BIG ||
		      rte_ring_free_count(p->inbox) > TT_NEWS_INBOX / 2) &&
		     rte_ring_mp_enqueue_elem(p->inbox, &rec, sizeof(rec)) == 0;

		ctr->ev[in ? TT_CTR_WORKER_NEWS_POSTED : TT_CTR_WORKER_NEWS_DROPPED]++;
		posted += in;
	}
	return posted;
}

void tt_news_too_big(const struct tt_pkt *pkt, struct tt_news *news)
{
	memset(news, 0, sizeof(*news));
	news->type = TT_NEWS_TOO_BIG;
	news->flags = pkt->family == TT_AF_INET6 ? TT_NEWS_IPV6 : 0;
	news->too_big.mtu = pkt->too_big_mtu;
	news->too_big.seq = pkt->seg.seq;
	news->too_big.sport = pkt->sport;
	news->too_big.dport = pkt->dport;
	/* Only the error's own family: the parser leaves the other's fields as they were. */
	if (pkt->family == TT_AF_INET6) {
		memcpy(news->too_big.saddr6, pkt->saddr6.b, 16);
		memcpy(news->too_big.daddr6, pkt->daddr6.b, 16);
	} else {
		news->too_big.saddr = pkt->saddr;
		news->too_big.daddr = pkt->daddr;
	}
}

/* The too-big error of record r, as the parser left it, for the stack. */
static void too_big_of(const struct tt_news *r, struct tt_pkt *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	pkt->family = (r->flags & TT_NEWS_IPV6) ? TT_AF_INET6 : TT_AF_INET;
	pkt->too_big_mtu = r->too_big.mtu;
	pkt->seg.seq = r->too_big.seq;
	pkt->saddr = r->too_big.saddr;
	pkt->daddr = r->too_big.daddr;
	pkt->sport = r->too_big.sport;
	pkt->dport = r->too_big.dport;
	memcpy(pkt->saddr6.b, r->too_big.saddr6, 16);
	memcpy(pkt->daddr6.b, r->too_big.daddr6, 16);
}

unsigned tt_news_take(struct tt_news_box *b, struct tt_neigh *n, struct tt_stack *st,
		      uint64_t now_ms)
{
	struct tt_news news[TT_NEWS_BATCH];
	unsigned got;

	if (b->inbox == NULL)
		return 0;
	got = rte_ring_sc_dequeue_burst_elem(b->inbox, news, sizeof(news[0]), TT_NEWS_BATCH, NULL);
	for (unsigned i = 0; i < got; i++) {
		const struct tt_news *r = &news[i];
		const struct tt_mac *mac = (r->flags & TT_NEWS_MAC) ? &r->neigh.mac : NULL;
		struct tt_pkt pkt;
		struct tt_in6 a6;
		uint32_t a4;

		switch (r->type) {
		case TT_NEWS_NEIGH4:
			memcpy(&a4, r->neigh.addr, 4);
			if (mac != NULL)
				tt_neigh_told4(n, r->ifx, a4, mac, now_ms);
			break;
		case TT_NEWS_NEIGH6:
			memcpy(a6.b, r->neigh.addr, 16);
			tt_neigh_told6(n, r->ifx, &a6, mac, (enum tt_neigh_nd_kind)r->kind,
				       r->flags & TT_NEWS_OVERRIDE, now_ms);
			break;
		case TT_NEWS_TOO_BIG:
			too_big_of(r, &pkt);
			tt_stack_too_big(st, &pkt, true);
			break;
		default:
			break;
		}
	}
	return got;
}

void tt_news_stop(struct tt_news_box *b)
{
	__atomic_store_n(&b->closed, true, __ATOMIC_RELAXED);
}

void tt_news_close(struct tt_news_box *b)
{
	rte_ring_free(b->inbox);
	b->inbox = NULL;
	b->n_peers = 0;
}
